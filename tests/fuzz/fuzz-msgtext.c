/* fuzz-msgtext: an agent's words as a messenger gets them (msgtext.h).
   Input: a mode byte (0 split, 1 strip, 2 HTML to text; modulo 3), a
   limit byte for split, then the text.  Whatever comes out must be
   valid UTF-8, and split's pieces within the limit and not blank. */

#include "fuzz.h"
#include "msgtext.h"

#include <stdbool.h>

static unsigned int units(const char *s)
{
	unsigned int n = 0;

	for (const char *p = s; *p != '\0'; p = g_utf8_next_char(p))
		n += g_utf8_get_char(p) > 0xffff ? 2 : 1;
	return n;
}

static bool blank(const char *s)
{
	for (; *s != '\0'; s++) {
		if (!g_ascii_isspace(*s))
			return false;
	}
	return true;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int mode, limit;
	char *text, *out;
	GPtrArray *pieces;

	if (size < 2)
		return 0;
	mode = data[0] % 3;
	limit = MAX(2, data[1]);
	text = fuzz_string(data + 2, size - 2);
	switch (mode) {
	case 0:
		pieces = msgtext_split(text, limit);
		for (unsigned int i = 0; i < pieces->len; i++) {
			const char *piece = pieces->pdata[i];

			fuzz_assert(g_utf8_validate(piece, -1, NULL));
			fuzz_assert(units(piece) <= limit);
			fuzz_assert(!blank(piece));
		}
		g_ptr_array_unref(pieces);
		break;
	case 1:
		out = msgtext_strip(text);
		g_free(out);
		break;
	case 2:
		out = msgtext_from_html(text);
		fuzz_assert(g_utf8_validate(out, -1, NULL));
		g_free(out);
		break;
	}
	g_free(text);
	return 0;
}
