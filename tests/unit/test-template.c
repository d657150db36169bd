/* The Mustache renderer against the Mustache specification's own cases
   (../shared/testdata/mustache-spec, or $MUSTACHE_SPEC_DIR) for the
   features shopdesk supports: interpolation, sections, inverted
   sections, comments; then shopdesk's own cases: parse errors, and the
   choices the specification leaves open. */

#include "template.h"

#include <string.h>

static const char *const spec_files[] = {
	"interpolation", "sections", "inverted", "comments",
};

struct spec_case {
	char *template;
	char *expected;
	JsonNode *data;
};

static void run_spec_case(gconstpointer user_data)
{
	const struct spec_case *c = user_data;
	struct template *t = NULL;
	char *error = NULL;
	char *got;

	if (template_parse(c->template, &t, &error) < 0)
		g_error("parse: %s", error);
	got = template_render(t, c->data);
	g_assert_cmpstr(got, ==, c->expected);
	g_free(got);
	template_free(&t);
}

static char *spec_dir(void)
{
	const char *dir = g_getenv("MUSTACHE_SPEC_DIR");
	const char *top = g_getenv("top_srcdir");

	if (dir != NULL)
		return g_strdup(dir);
	return g_build_filename(top != NULL ? top : ".", "..", "shared",
				"testdata", "mustache-spec", NULL);
}

/* Adds one test per case of FILE.json; keep gets the cases and parsers
   the parser (which owns their data), both freed when the tests are
   done. */
static void add_spec_file(const char *dir, const char *file,
			  GPtrArray *keep, GPtrArray *parsers)
{
	char *path = g_strdup_printf("%s/%s.json", dir, file);
	JsonParser *parser = json_parser_new();
	GError *error = NULL;
	JsonArray *tests;

	if (!json_parser_load_from_file(parser, path, &error))
		g_error("%s: %s (set MUSTACHE_SPEC_DIR)", path, error->message);
	tests = json_object_get_array_member(
		json_node_get_object(json_parser_get_root(parser)), "tests");
	for (unsigned int i = 0; i < json_array_get_length(tests); i++) {
		JsonObject *test = json_array_get_object_element(tests, i);
		struct spec_case *c = g_new0(struct spec_case, 1);
		char *name;

		c->template = g_strdup(json_object_get_string_member(
			test, "template"));
		c->expected = g_strdup(json_object_get_string_member(
			test, "expected"));
		c->data = json_object_get_member(test, "data");
		name = g_strdup_printf("/template/spec/%s/%s", file,
				       json_object_get_string_member(test,
								     "name"));
		g_strdelimit(name + strlen("/template/spec/"), "/", '_');
		g_test_add_data_func(name, c, run_spec_case);
		g_ptr_array_add(keep, c);
		g_free(name);
	}
	g_ptr_array_add(parsers, parser);
	g_free(path);
}

static const struct {
	const char *template;
	const char *error;	/* substring */
} bad_templates[] = {
	{ "Hello {{name", "line 1: unclosed tag" },
	{ "a\n{{#x}}\nb\n", "section x is not closed" },
	{ "{{#x}}{{/y}}", "{{/y}} closes section x" },
	{ "{{/y}}", "{{/y}} closes no section" },
	{ "x\n{{> header}}", "line 2: partials are not supported" },
	{ "{{=<% %>=}}", "delimiter changes are not supported" },
	{ "{{{raw}}", "unclosed tag" },
	/* tests/fuzz found these reaching json-glib with no name */
	{ "x\n{{}}", "line 2: a tag without a name" },
	{ "{{# }}{{/ }}", "line 1: a tag without a name" },
	{ "{{{ }}}", "a tag without a name" },
};

static void test_parse_errors(void)
{
	for (unsigned int i = 0; i < G_N_ELEMENTS(bad_templates); i++) {
		struct template *t = NULL;
		char *error = NULL;

		if (template_parse(bad_templates[i].template, &t, &error) != -1)
			g_error("\"%s\" parsed", bad_templates[i].template);
		if (strstr(error, bad_templates[i].error) == NULL)
			g_error("\"%s\": error \"%s\", want \"%s\"",
				bad_templates[i].template, error,
				bad_templates[i].error);
		g_assert_null(t);
		g_free(error);
	}
}

static const struct {
	const char *template;
	const char *data;
	const char *expected;
} own_cases[] = {
	/* an empty string is falsey: "Dear {{name}}" only with a name */
	{ "{{#name}}Dear {{name}},{{/name}}{{^name}}Hello,{{/name}}",
	  "{\"name\": \"\"}", "Hello," },
	{ "{{#name}}Dear {{name}},{{/name}}", "{\"name\": \"Anna\"}",
	  "Dear Anna," },
	/* customer data stays inert: no markup, no template syntax */
	{ "Dear {{name}}", "{\"name\": \"<b>{{secret}}</b>\"}",
	  "Dear &lt;b&gt;{{secret}}&lt;/b&gt;" },
	{ "{{{name}}}", "{\"name\": \"{{#x}}{{/x}}\"}", "{{#x}}{{/x}}" },
	{ "{{n}} {{f}}", "{\"n\": -7, \"f\": 0.5}", "-7 0.5" },
	{ "Привет, {{имя}}!", "{\"имя\": \"Ира\"}", "Привет, Ира!" },
};

static void test_own_cases(void)
{
	for (unsigned int i = 0; i < G_N_ELEMENTS(own_cases); i++) {
		JsonNode *data = json_from_string(own_cases[i].data, NULL);
		struct template *t = NULL;
		char *error = NULL, *got;

		if (template_parse(own_cases[i].template, &t, &error) < 0)
			g_error("parse: %s", error);
		got = template_render(t, data);
		if (strcmp(got, own_cases[i].expected) != 0)
			g_error("\"%s\" rendered \"%s\", want \"%s\"",
				own_cases[i].template, got,
				own_cases[i].expected);
		g_free(got);
		template_free(&t);
		json_node_unref(data);
	}
}

static void spec_case_free(gpointer data)
{
	struct spec_case *c = data;

	g_free(c->template);
	g_free(c->expected);
	g_free(c);
}

static void skip_spec(void)
{
	g_test_skip("no Mustache specification cases (set MUSTACHE_SPEC_DIR)");
}

int main(int argc, char *argv[])
{
	GPtrArray *keep = g_ptr_array_new_with_free_func(spec_case_free);
	GPtrArray *parsers = g_ptr_array_new_with_free_func(g_object_unref);
	char *dir = spec_dir();
	int ret;

	g_test_init(&argc, &argv, NULL);
	if (g_file_test(dir, G_FILE_TEST_IS_DIR)) {
		for (unsigned int i = 0; i < G_N_ELEMENTS(spec_files); i++)
			add_spec_file(dir, spec_files[i], keep, parsers);
	} else {
		/* a tarball built by make dist has no ../shared beside it */
		g_test_add_func("/template/spec", skip_spec);
	}
	g_test_add_func("/template/parse-errors", test_parse_errors);
	g_test_add_func("/template/own-cases", test_own_cases);
	ret = g_test_run();
	g_ptr_array_unref(keep);
	g_ptr_array_unref(parsers);
	g_free(dir);
	return ret;
}
