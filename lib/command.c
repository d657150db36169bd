/* command.c: agents' command lines.  The grammar is deliberately small:
   one command a line, at the top, so that a "#" further down a reply (an
   order number, "#1 seller") is never taken for one.  HTML is read with
   libxml2's parser, never with patterns, and only text is removed from
   it. */

#include "command.h"

#include <libxml/HTMLparser.h>
#include <libxml/HTMLtree.h>
#include <string.h>

static const char *const categories[] = {
	"delivery", "returns", "payment", "order", "product", "technical",
	"other", NULL,
};

static const struct {
	const char *word;
	enum command_kind kind;
	const char *status;	/* for COMMAND_STATUS */
	bool takes_arg;
} words[] = {
	{ "#close", COMMAND_STATUS, "closed", false },
	{ "#resolve", COMMAND_STATUS, "resolved", false },
	{ "#pending", COMMAND_STATUS, "pending", false },
	{ "#open", COMMAND_STATUS, "open", false },
	{ "#note", COMMAND_NOTE, NULL, false },
	{ "#assign", COMMAND_ASSIGN, NULL, true },
	{ "#category", COMMAND_CATEGORY, NULL, true },
};

enum line_kind { LINE_BLANK, LINE_COMMAND, LINE_UNKNOWN, LINE_TEXT };

static void command_free(gpointer data)
{
	struct command *c = data;

	g_free(c->arg);
	g_free(c);
}

static struct command_list *list_new(void)
{
	struct command_list *list = g_new0(struct command_list, 1);

	list->commands = g_ptr_array_new_with_free_func(command_free);
	return list;
}

void command_list_free(struct command_list **_list)
{
	struct command_list *list = *_list;

	if (list == NULL)
		return;
	*_list = NULL;
	g_ptr_array_unref(list->commands);
	g_free(list->unknown);
	g_free(list);
}

/* Classifies one line (len bytes) and adds a command it holds. */
static enum line_kind read_line(struct command_list *list, const char *line,
				size_t len)
{
	char *text = g_strstrip(g_strndup(line, len));
	char **parts;
	enum line_kind kind = LINE_UNKNOWN;

	/* a non-breaking space is how HTML editors indent */
	g_strdelimit(text, "\t", ' ');
	if (*text == '\0' || strcmp(text, "\xc2\xa0") == 0) {
		g_free(text);
		return LINE_BLANK;
	}
	if (*text != '#') {
		g_free(text);
		return LINE_TEXT;
	}
	/* a command's argument goes into the store: bytes that are not
	   UTF-8 make the line no command, and the agent is told of it */
	if (!g_utf8_validate(text, -1, NULL)) {
		list->unknown = g_utf8_make_valid(text, -1);
		g_free(text);
		return LINE_UNKNOWN;
	}
	parts = g_strsplit_set(text, " ", 2);
	for (unsigned int i = 0; i < G_N_ELEMENTS(words); i++) {
		char *arg = parts[1] != NULL ? g_strstrip(parts[1]) : NULL;
		struct command *c;

		if (g_ascii_strcasecmp(parts[0], words[i].word) != 0)
			continue;
		if (words[i].takes_arg != (arg != NULL && *arg != '\0') ||
		    strpbrk(arg != NULL ? arg : "", " \t") != NULL)
			break;
		if (words[i].kind == COMMAND_CATEGORY &&
		    !g_strv_contains(categories, arg))
			break;
		c = g_new0(struct command, 1);
		c->kind = words[i].kind;
		c->arg = words[i].kind == COMMAND_STATUS ?
			g_strdup(words[i].status) :
			words[i].takes_arg ? g_ascii_strdown(arg, -1) : NULL;
		g_ptr_array_add(list->commands, c);
		kind = LINE_COMMAND;
		break;
	}
	if (kind == LINE_UNKNOWN)
		list->unknown = g_strdup(text);
	g_strfreev(parts);
	g_free(text);
	return kind;
}

struct command_list *command_parse_text(const char *text, char **rest_r)
{
	struct command_list *list = list_new();
	const char *p = text, *rest = text;

	while (*p != '\0') {
		size_t len = strcspn(p, "\r\n");
		enum line_kind kind = read_line(list, p, len);

		if (kind == LINE_TEXT || kind == LINE_UNKNOWN)
			break;
		p += len;
		if (*p == '\r')
			p++;
		if (*p == '\n')
			p++;
		if (kind == LINE_COMMAND)
			rest = p;
	}
	/* the blank lines between the commands and the prose go too */
	while (list->commands->len > 0 && (*rest == '\r' || *rest == '\n'))
		rest++;
	*rest_r = list->commands->len > 0 ? g_strdup(rest) : NULL;
	return list;
}

struct html_walk {
	struct command_list *list;
	GPtrArray *remove;	/* xmlNode * emptied of commands */
	bool done;
};

/* Reads command lines off the start of a text node; removes what it
   read.  Sets done at the first line of prose. */
static void walk_text(struct html_walk *w, xmlNode *node)
{
	const char *text = (const char *)node->content;
	const char *p = text, *rest = text;

	while (*p != '\0') {
		size_t len = strcspn(p, "\r\n");
		enum line_kind kind = read_line(w->list, p, len);

		if (kind == LINE_TEXT || kind == LINE_UNKNOWN) {
			w->done = true;
			break;
		}
		p += len;
		while (*p == '\r' || *p == '\n')
			p++;
		rest = p;
	}
	if (*rest == '\0') {
		g_ptr_array_add(w->remove, node);
	} else if (rest != text) {
		char *kept = g_strdup(rest);

		xmlNodeSetContent(node, (const xmlChar *)kept);
		g_free(kept);
	}
}

static void walk(struct html_walk *w, xmlNode *node)
{
	for (; node != NULL && !w->done; node = node->next) {
		if (node->type == XML_TEXT_NODE) {
			walk_text(w, node);
		} else if (node->type == XML_ELEMENT_NODE) {
			const char *name = (const char *)node->name;

			if (g_ascii_strcasecmp(name, "head") == 0 ||
			    g_ascii_strcasecmp(name, "style") == 0 ||
			    g_ascii_strcasecmp(name, "script") == 0 ||
			    g_ascii_strcasecmp(name, "title") == 0)
				continue;
			if (g_ascii_strcasecmp(name, "br") == 0) {
				/* between command lines */
				g_ptr_array_add(w->remove, node);
				continue;
			}
			walk(w, node->children);
		}
	}
}

/* The document in UTF-8 (not ASCII with character references), without
   the DOCTYPE the parser supplies when the mail had none. */
static char *serialize(htmlDocPtr doc, const char *original)
{
	/* no encoder: libxml2's own text is UTF-8 already */
	xmlOutputBufferPtr buf = xmlAllocOutputBuffer(NULL);
	xmlDtdPtr dtd = xmlGetIntSubset(doc);
	char *folded = g_ascii_strdown(original, -1);
	char *text;

	if (dtd != NULL && strstr(folded, "<!doctype") == NULL) {
		xmlUnlinkNode((xmlNodePtr)dtd);
		xmlFreeDtd(dtd);
	}
	g_free(folded);
	htmlDocContentDumpFormatOutput(buf, doc, "UTF-8", 0);
	xmlOutputBufferFlush(buf);
	text = g_strndup((const char *)xmlOutputBufferGetContent(buf),
			 xmlOutputBufferGetSize(buf));
	xmlOutputBufferClose(buf);
	return text;
}

struct command_list *command_parse_html(const char *html, char **rest_r)
{
	struct html_walk w = { .list = list_new() };
	htmlDocPtr doc;

	*rest_r = NULL;
	doc = htmlReadMemory(html, strlen(html), NULL, "UTF-8",
			     HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
			     HTML_PARSE_NONET | HTML_PARSE_NOBLANKS);
	if (doc == NULL)
		return w.list;
	w.remove = g_ptr_array_new();
	walk(&w, xmlDocGetRootElement(doc));
	if (w.list->commands->len > 0) {
		for (unsigned int i = 0; i < w.remove->len; i++) {
			xmlNode *node = w.remove->pdata[i];

			xmlUnlinkNode(node);
			xmlFreeNode(node);
		}
		*rest_r = serialize(doc, html);
	}
	g_ptr_array_unref(w.remove);
	xmlFreeDoc(doc);
	return w.list;
}
