/* jsonget.c: lenient reading of JSON members (jsonget.h). */

#include "jsonget.h"

#include <string.h>

bool jsonget_shallow(const void *data, size_t size)
{
	const char *p = data, *end = p + size;
	unsigned int depth = 0;
	bool in_string = false;

	for (; p < end; p++) {
		if (in_string) {
			if (*p == '\\' && p + 1 < end)
				p++;
			else if (*p == '"')
				in_string = false;
		} else if (*p == '"') {
			in_string = true;
		} else if (*p == '[' || *p == '{') {
			if (++depth > JSONGET_DEPTH_MAX)
				return false;
		} else if ((*p == ']' || *p == '}') && depth > 0) {
			depth--;
		}
	}
	return true;
}

JsonNode *jsonget_parse(const void *data, size_t size, char **error_r)
{
	JsonParser *parser = json_parser_new();
	GError *error = NULL;
	JsonNode *root = NULL;

	if (!jsonget_shallow(data, size)) {
		*error_r = g_strdup_printf("JSON nested deeper than %d",
					   JSONGET_DEPTH_MAX);
	} else if (!json_parser_load_from_data(parser, data, size, &error)) {
		*error_r = g_strdup_printf("not JSON: %s", error->message);
		g_error_free(error);
	} else if (json_parser_get_root(parser) == NULL ||
		   !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
		*error_r = g_strdup("not a JSON object");
	} else {
		root = json_node_copy(json_parser_get_root(parser));
	}
	g_object_unref(parser);
	return root;
}

const char *jsonget_text(JsonNode *node)
{
	const char *value;

	if (node == NULL || json_node_get_value_type(node) != G_TYPE_STRING)
		return NULL;
	value = json_node_get_string(node);
	return g_utf8_validate(value, -1, NULL) ? value : NULL;
}

const char *jsonget_string(JsonObject *o, const char *name)
{
	return jsonget_text(o != NULL ? json_object_get_member(o, name) :
			    NULL);
}

int64_t jsonget_int(JsonObject *o, const char *name, int64_t def)
{
	JsonNode *node = o != NULL ? json_object_get_member(o, name) : NULL;
	const char *text;
	gint64 value;

	if (node == NULL || !JSON_NODE_HOLDS_VALUE(node))
		return def;
	if (json_node_get_value_type(node) == G_TYPE_INT64)
		return json_node_get_int(node);
	text = json_node_get_value_type(node) == G_TYPE_STRING ?
		json_node_get_string(node) : NULL;
	if (text != NULL && g_ascii_string_to_signed(text, 10, G_MININT64,
						      G_MAXINT64, &value,
						      NULL))
		return value;
	return def;
}

JsonObject *jsonget_object(JsonObject *o, const char *name)
{
	JsonNode *node = o != NULL ? json_object_get_member(o, name) : NULL;

	return node != NULL && JSON_NODE_HOLDS_OBJECT(node) ?
		json_node_get_object(node) : NULL;
}

JsonArray *jsonget_array(JsonObject *o, const char *name)
{
	JsonNode *node = o != NULL ? json_object_get_member(o, name) : NULL;

	return node != NULL && JSON_NODE_HOLDS_ARRAY(node) ?
		json_node_get_array(node) : NULL;
}

JsonObject *jsonget_element(JsonArray *a, guint i)
{
	JsonNode *node;

	if (a == NULL || i >= json_array_get_length(a))
		return NULL;
	node = json_array_get_element(a, i);
	return JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) :
		NULL;
}

char *jsonget_built(JsonBuilder **_b)
{
	JsonBuilder *b = *_b;
	JsonNode *root = json_builder_get_root(b);
	char *text = json_to_string(root, FALSE);

	*_b = NULL;
	json_node_unref(root);
	g_object_unref(b);
	return text;
}
