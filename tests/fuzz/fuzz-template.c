/* fuzz-template: Mustache templates (template.h).  Input: the template
   text, rendered against fixed data when it parses.  Every list in the
   data has one element, so that nested sections stay linear. */

#include "fuzz.h"
#include "template.h"

static JsonNode *data_root;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char json[] =
		"{\"name\": \"Ann <&\\\"'>\", \"ticket\": 12, \"n\": 1.5,"
		" \"t\": true, \"f\": false, \"z\": null, \"e\": [],"
		" \"list\": [{\"name\": \"x\", \"a\": {\"b\": \"c\"}}],"
		" \"a\": {\"b\": {\"c\": \"deep\"}}, \"s\": \"\"}";

	data_root = json_from_string(json, NULL);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_string(data, size);
	struct template *template;
	char *error = NULL, *out;

	if (template_parse(text, &template, &error) == 0) {
		out = template_render(template, data_root);
		fuzz_assert(out != NULL);
		g_free(out);
		out = template_render(template, NULL);
		g_free(out);
		template_free(&template);
	} else {
		fuzz_assert(error != NULL);
		g_free(error);
	}
	g_free(text);
	return 0;
}
