/* fuzz-token: reply tokens (token.h).  Input: a token to check; its
   first four bytes are also a ticket id whose token must check. */

#include "fuzz.h"
#include "token.h"

#include <string.h>

static struct token_key *key;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	key = token_key_new("fuzz-secret-fuzz-secret", 23);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t id, got;
	char *token;

	(void)token_parse(key, (const char *)data, size, &got);
	if (size < 4)
		return 0;
	memcpy(&id, data, sizeof(id));
	if (id == 0)
		return 0;
	token = token_make(key, id);
	fuzz_assert(token_parse(key, token, strlen(token), &got) == 1);
	fuzz_assert(got == id);
	g_free(token);
	return 0;
}
