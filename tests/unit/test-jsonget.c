/* Tests of bridge/jsonget.c: the depth scan refuses what would make
   json-glib recurse without end (it crashes near 100 000 levels), and
   takes what is merely large or has brackets inside strings; the
   lenient members read wrong types as absent; a built request reads
   back as the same JSON. */

#include "jsonget.h"

#include <string.h>

static void test_shallow(void)
{
	GString *deep = g_string_new(NULL);
	JsonNode *root;
	char *error = NULL;
	static const char strings[] =
		"{\"a\": \"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
		"[[[[[[[[[[[[[[[[[[[[[[[[\\\"[[[[[[[\", \"b\": [[[]]]}";

	for (int i = 0; i < JSONGET_DEPTH_MAX; i++)
		g_string_append_c(deep, '[');
	for (int i = 0; i < JSONGET_DEPTH_MAX; i++)
		g_string_append_c(deep, ']');
	g_assert_true(jsonget_shallow(deep->str, deep->len));
	g_string_prepend_c(deep, '[');
	g_string_append_c(deep, ']');
	g_assert_false(jsonget_shallow(deep->str, deep->len));
	g_assert_true(jsonget_shallow(strings, strlen(strings)));

	/* 100 000 levels: refused before json-glib sees it */
	g_string_truncate(deep, 0);
	g_string_append(deep, "{\"x\": ");
	for (int i = 0; i < 100000; i++)
		g_string_append_c(deep, '[');
	root = jsonget_parse(deep->str, deep->len, &error);
	g_assert_null(root);
	g_assert_nonnull(strstr(error, "deeper than"));
	g_free(error);
	g_string_free(deep, TRUE);
}

static void test_members(void)
{
	static const char text[] =
		"{\"s\": \"x\", \"n\": 5, \"d\": \"17\", \"o\": {}, \"a\": [1]}";
	char *error = NULL;
	JsonNode *root = jsonget_parse(text, strlen(text), &error);
	JsonObject *o = json_node_get_object(root);

	g_assert_cmpstr(jsonget_string(o, "s"), ==, "x");
	g_assert_null(jsonget_string(o, "n"));
	g_assert_cmpint(jsonget_int(o, "n", -1), ==, 5);
	g_assert_cmpint(jsonget_int(o, "d", -1), ==, 17);
	g_assert_cmpint(jsonget_int(o, "s", -1), ==, -1);
	g_assert_nonnull(jsonget_object(o, "o"));
	g_assert_null(jsonget_object(o, "a"));
	g_assert_nonnull(jsonget_array(o, "a"));
	json_node_unref(root);
}

static void test_built(void)
{
	JsonBuilder *b = json_builder_new();
	char *text;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "chat_id");
	json_builder_add_int_value(b, -100);
	json_builder_set_member_name(b, "text");
	json_builder_add_string_value(b, "a \"b\"\n");
	json_builder_end_object(b);
	text = jsonget_built(&b);
	g_assert_null(b);
	g_assert_cmpstr(text, ==,
			"{\"chat_id\":-100,\"text\":\"a \\\"b\\\"\\n\"}");
	g_free(text);
}

int main(int argc, char *argv[])
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/jsonget/shallow", test_shallow);
	g_test_add_func("/jsonget/members", test_members);
	g_test_add_func("/jsonget/built", test_built);
	return g_test_run();
}
