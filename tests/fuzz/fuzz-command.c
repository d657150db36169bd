/* fuzz-command: agents' command lines in text and HTML (command.h).
   Input: a mode byte (even: text, odd: HTML), then the body. */

#include "fuzz.h"
#include "command.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct command_list *list;
	char *text, *rest = NULL;

	if (size < 1)
		return 0;
	text = fuzz_string(data + 1, size - 1);
	if (data[0] % 2 == 0)
		list = command_parse_text(text, &rest);
	else
		list = command_parse_html(text, &rest);
	fuzz_assert(list != NULL);
	for (unsigned int i = 0; i < list->commands->len; i++) {
		const struct command *c = list->commands->pdata[i];

		fuzz_assert(c->kind == COMMAND_NOTE || c->arg != NULL);
		fuzz_assert(c->arg == NULL ||
			    g_utf8_validate(c->arg, -1, NULL));
	}
	fuzz_assert(list->unknown == NULL ||
		    g_utf8_validate(list->unknown, -1, NULL));
	command_list_free(&list);
	g_free(rest);
	g_free(text);
	return 0;
}
