/* template.c: a Mustache renderer for message templates.  Parsing turns
   the text into a tree of text, variable and section nodes, applying
   the specification's standalone-line rule (a section, inverted section
   or comment tag alone on its line takes the whole line with it);
   rendering walks the tree against a stack of JSON contexts.

   Deliberately missing: partials, set-delimiter tags and lambdas, which
   shopdesk's templates do not need; they are parse errors, never
   silently printed. */

#include "template.h"

#include <stdbool.h>
#include <string.h>

enum node_type {
	NODE_TEXT,
	NODE_ESCAPED,	/* {{name}} */
	NODE_RAW,	/* {{{name}}} {{&name}} */
	NODE_SECTION,	/* {{#name}} ... {{/name}} */
	NODE_INVERTED,	/* {{^name}} ... {{/name}} */
};

struct node {
	enum node_type type;
	char *text;		/* the text, or the name */
	GPtrArray *children;	/* sections only */
};

struct template {
	GPtrArray *nodes;
};

static void node_free(gpointer data)
{
	struct node *node = data;

	g_free(node->text);
	if (node->children != NULL)
		g_ptr_array_unref(node->children);
	g_free(node);
}

static GPtrArray *node_list_new(void)
{
	return g_ptr_array_new_with_free_func(node_free);
}

static struct node *node_add(GPtrArray *list, enum node_type type,
			     const char *text, size_t len)
{
	struct node *node = g_new0(struct node, 1);

	node->type = type;
	node->text = g_strndup(text, len);
	g_ptr_array_add(list, node);
	return node;
}

static unsigned int line_of(const char *text, const char *p)
{
	unsigned int line = 1;

	for (; text < p; text++)
		line += *text == '\n';
	return line;
}

static bool is_blank(const char *p, const char *end)
{
	for (; p < end; p++) {
		if (*p != ' ' && *p != '\t')
			return false;
	}
	return true;
}

/* A tag that may stand alone: if only blanks precede it on its line
   (since the line began, or since the last standalone tag ended) and
   only blanks and a line end follow it, returns true and sets where the
   line starts and where the next one begins. */
static bool standalone(const char *seg_start, bool seg_at_line_start,
		       const char *tag_start, const char *tag_end,
		       const char **line_start_r, const char **next_r)
{
	const char *line_start = NULL;
	const char *p;

	for (p = tag_start; p > seg_start; p--) {
		if (p[-1] == '\n') {
			line_start = p;
			break;
		}
	}
	if (line_start == NULL) {
		if (!seg_at_line_start)
			return false;
		line_start = seg_start;
	}
	if (!is_blank(line_start, tag_start))
		return false;
	for (p = tag_end; *p == ' ' || *p == '\t'; p++)
		;
	if (*p == '\n')
		p++;
	else if (p[0] == '\r' && p[1] == '\n')
		p += 2;
	else if (*p != '\0')
		return false;
	*line_start_r = line_start;
	*next_r = p;
	return true;
}

static char *strip_name(const char *start, const char *end)
{
	while (start < end && g_ascii_isspace(*start))
		start++;
	while (end > start && g_ascii_isspace(end[-1]))
		end--;
	return g_strndup(start, end - start);
}

int template_parse(const char *text, struct template **template_r,
		   char **error_r)
{
	GPtrArray *stack = g_ptr_array_new();	/* struct node * sections */
	GPtrArray *root = node_list_new();
	GPtrArray *current = root;
	const char *p = text;
	bool at_line_start = true;

	while (*p != '\0') {
		const char *open = strstr(p, "{{");
		const char *content, *content_end, *tag_end;
		const char *line_start, *next;
		char sigil = 0;
		char *name;

		if (open == NULL) {
			node_add(current, NODE_TEXT, p, strlen(p));
			break;
		}
		if (open[2] == '{') {
			content = open + 3;
			content_end = strstr(content, "}}}");
			tag_end = content_end != NULL ? content_end + 3 : NULL;
			sigil = '&';
		} else {
			content = open + 2;
			content_end = strstr(content, "}}");
			tag_end = content_end != NULL ? content_end + 2 : NULL;
			while (content < content_end && g_ascii_isspace(*content))
				content++;
			if (content_end != NULL &&
			    strchr("#^/!&>=", *content) != NULL &&
			    content < content_end)
				sigil = *content++;
		}
		if (content_end == NULL) {
			*error_r = g_strdup_printf("line %u: unclosed tag",
						   line_of(text, open));
			goto fail;
		}
		if (sigil == '>' || sigil == '=') {
			*error_r = g_strdup_printf("line %u: %s are not "
						   "supported",
						   line_of(text, open),
						   sigil == '>' ? "partials" :
						   "delimiter changes");
			goto fail;
		}
		if (sigil != 0 && sigil != '&' &&
		    standalone(p, at_line_start, open, tag_end, &line_start,
			       &next)) {
			node_add(current, NODE_TEXT, p, line_start - p);
			at_line_start = true;
		} else {
			node_add(current, NODE_TEXT, p, open - p);
			next = tag_end;
			at_line_start = false;
		}
		p = next;
		if (sigil == '!')
			continue;
		name = strip_name(content, content_end);
		/* "{{}}", "{{# }}": nothing to look up */
		if (*name == '\0') {
			*error_r = g_strdup_printf("line %u: a tag without a "
						   "name", line_of(text, open));
			g_free(name);
			goto fail;
		}
		switch (sigil) {
		case '#':
		case '^': {
			struct node *section = node_add(
				current, sigil == '#' ? NODE_SECTION :
				NODE_INVERTED, name, strlen(name));

			section->children = node_list_new();
			g_ptr_array_add(stack, section);
			current = section->children;
			break;
		}
		case '/': {
			struct node *section = stack->len == 0 ? NULL :
				g_ptr_array_index(stack, stack->len - 1);

			if (section == NULL ||
			    strcmp(section->text, name) != 0) {
				*error_r = g_strdup_printf(
					"line %u: {{/%s}} closes %s%s",
					line_of(text, open), name,
					section == NULL ? "no section" :
					"section ",
					section == NULL ? "" : section->text);
				g_free(name);
				goto fail;
			}
			g_ptr_array_remove_index(stack, stack->len - 1);
			current = stack->len == 0 ? root :
				((struct node *)g_ptr_array_index(
					stack, stack->len - 1))->children;
			break;
		}
		default:
			node_add(current, sigil == '&' ? NODE_RAW :
				 NODE_ESCAPED, name, strlen(name));
		}
		g_free(name);
	}
	if (stack->len > 0) {
		*error_r = g_strdup_printf("section %s is not closed",
			((struct node *)g_ptr_array_index(
				stack, stack->len - 1))->text);
		goto fail;
	}
	g_ptr_array_unref(stack);
	*template_r = g_new0(struct template, 1);
	(*template_r)->nodes = root;
	return 0;
fail:
	g_ptr_array_unref(stack);
	g_ptr_array_unref(root);
	return -1;
}

void template_free(struct template **_template)
{
	struct template *template = *_template;

	if (template == NULL)
		return;
	*_template = NULL;
	g_ptr_array_unref(template->nodes);
	g_free(template);
}

/* Resolves name against the context stack: "." is the top; otherwise
   the first part of a dotted name is looked up from the top of the stack
   down, and each further part only inside what the previous found. */
static JsonNode *lookup(GPtrArray *stack, const char *name)
{
	char **parts;
	JsonNode *value = NULL;

	if (strcmp(name, ".") == 0)
		return stack->len > 0 ? g_ptr_array_index(stack,
							  stack->len - 1) :
			NULL;
	parts = g_strsplit(name, ".", -1);
	for (unsigned int i = stack->len; i > 0 && value == NULL; i--) {
		JsonNode *node = g_ptr_array_index(stack, i - 1);

		if (JSON_NODE_HOLDS_OBJECT(node) &&
		    json_object_has_member(json_node_get_object(node),
					   parts[0]))
			value = json_object_get_member(
				json_node_get_object(node), parts[0]);
	}
	for (unsigned int i = 1; parts[i] != NULL && value != NULL; i++) {
		if (!JSON_NODE_HOLDS_OBJECT(value) ||
		    !json_object_has_member(json_node_get_object(value),
					    parts[i]))
			value = NULL;
		else
			value = json_object_get_member(
				json_node_get_object(value), parts[i]);
	}
	g_strfreev(parts);
	return value;
}

/* Falsey: missing, null, false, an empty list, an empty string. */
static bool truthy(JsonNode *value)
{
	if (value == NULL || JSON_NODE_HOLDS_NULL(value))
		return false;
	if (JSON_NODE_HOLDS_ARRAY(value))
		return json_array_get_length(json_node_get_array(value)) > 0;
	if (JSON_NODE_HOLDS_VALUE(value)) {
		GType type = json_node_get_value_type(value);

		if (type == G_TYPE_BOOLEAN)
			return json_node_get_boolean(value);
		if (type == G_TYPE_STRING)
			return *json_node_get_string(value) != '\0';
	}
	return true;
}

static void append_value(GString *out, JsonNode *value, bool escape)
{
	char buf[G_ASCII_DTOSTR_BUF_SIZE];
	const char *text = "";
	GType type;

	if (value == NULL || !JSON_NODE_HOLDS_VALUE(value))
		return;
	type = json_node_get_value_type(value);
	if (type == G_TYPE_STRING) {
		text = json_node_get_string(value);
	} else if (type == G_TYPE_INT64) {
		g_snprintf(buf, sizeof(buf), "%" G_GINT64_FORMAT,
			   json_node_get_int(value));
		text = buf;
	} else if (type == G_TYPE_DOUBLE) {
		text = g_ascii_formatd(buf, sizeof(buf), "%.15g",
				       json_node_get_double(value));
	} else if (type == G_TYPE_BOOLEAN) {
		text = json_node_get_boolean(value) ? "true" : "false";
	}
	if (!escape) {
		g_string_append(out, text);
		return;
	}
	for (; *text != '\0'; text++) {
		switch (*text) {
		case '&': g_string_append(out, "&amp;"); break;
		case '"': g_string_append(out, "&quot;"); break;
		case '<': g_string_append(out, "&lt;"); break;
		case '>': g_string_append(out, "&gt;"); break;
		default: g_string_append_c(out, *text);
		}
	}
}

static void render_nodes(GPtrArray *nodes, GPtrArray *stack, GString *out)
{
	for (unsigned int i = 0; i < nodes->len; i++) {
		struct node *node = g_ptr_array_index(nodes, i);
		JsonNode *value;

		switch (node->type) {
		case NODE_TEXT:
			g_string_append(out, node->text);
			break;
		case NODE_ESCAPED:
		case NODE_RAW:
			append_value(out, lookup(stack, node->text),
				     node->type == NODE_ESCAPED);
			break;
		case NODE_INVERTED:
			if (!truthy(lookup(stack, node->text)))
				render_nodes(node->children, stack, out);
			break;
		case NODE_SECTION:
			value = lookup(stack, node->text);
			if (!truthy(value))
				break;
			if (JSON_NODE_HOLDS_ARRAY(value)) {
				JsonArray *list = json_node_get_array(value);

				for (unsigned int j = 0;
				     j < json_array_get_length(list); j++) {
					g_ptr_array_add(stack,
						json_array_get_element(list, j));
					render_nodes(node->children, stack,
						     out);
					g_ptr_array_remove_index(
						stack, stack->len - 1);
				}
			} else {
				g_ptr_array_add(stack, value);
				render_nodes(node->children, stack, out);
				g_ptr_array_remove_index(stack,
							 stack->len - 1);
			}
			break;
		}
	}
}

char *template_render(const struct template *template, JsonNode *data)
{
	GPtrArray *stack = g_ptr_array_new();
	GString *out = g_string_new(NULL);

	if (data != NULL)
		g_ptr_array_add(stack, data);
	render_nodes(template->nodes, stack, out);
	g_ptr_array_unref(stack);
	return g_string_free(out, FALSE);
}
