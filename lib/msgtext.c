/* msgtext.c: the text of a reply as a messenger shows it (msgtext.h).
   HTML is read with libxml2's parser, never with patterns.  The quote
   rules are deliberately conservative: a line is only dropped when it
   is quoted ('>'), or is an attribution that introduces quoted lines,
   or starts Outlook's header block or a signature, so that an agent's
   own words are never lost to a guess.

   It does not know about MIME: the milter picks the part. */

#include "msgtext.h"

#include <libxml/HTMLparser.h>
#include <stdbool.h>
#include <string.h>

/* --- HTML to text ---------------------------------------------------- */

static const char *const block_elements[] = {
	"p", "div", "li", "ul", "ol", "tr", "table", "h1", "h2", "h3", "h4",
	"h5", "h6", "pre", "address", "section", "article", "header",
	"footer", "dl", "dt", "dd", "hr", "center", "body", NULL,
};

static bool is_element(xmlNode *node, const char *name)
{
	return node->type == XML_ELEMENT_NODE &&
		g_ascii_strcasecmp((const char *)node->name, name) == 0;
}

static bool in_list(const char *const *list, const char *name)
{
	for (; *list != NULL; list++) {
		if (g_ascii_strcasecmp(*list, name) == 0)
			return true;
	}
	return false;
}

/* Gmail's "gmail_quote", Outlook's "divRplyFwdMsg" and the history
   after it, Apple Mail's and Thunderbird's "moz-cite-prefix" */
static bool is_quote_container(xmlNode *node)
{
	xmlChar *cls = xmlGetProp(node, (const xmlChar *)"class");
	xmlChar *id = xmlGetProp(node, (const xmlChar *)"id");
	bool quote = false;

	if (cls != NULL)
		quote = strstr((const char *)cls, "gmail_quote") != NULL ||
			strstr((const char *)cls, "moz-cite-prefix") != NULL;
	if (id != NULL)
		quote = quote ||
			strcmp((const char *)id, "divRplyFwdMsg") == 0 ||
			strcmp((const char *)id, "appendonsend") == 0;
	xmlFree(cls);
	xmlFree(id);
	return quote;
}

struct html_text {
	GString *out;
	bool space;		/* a space is owed before the next word */
	unsigned int pre;	/* inside <pre> */
	bool stop;		/* Outlook's history starts: nothing more */
};

static void line_break(struct html_text *t, unsigned int want)
{
	unsigned int have = 0;

	for (gsize i = t->out->len; i > 0 && t->out->str[i - 1] == '\n';
	     i--)
		have++;
	if (t->out->len == 0)
		return;
	while (have++ < want)
		g_string_append_c(t->out, '\n');
	t->space = false;
}

static void add_text(struct html_text *t, const char *text)
{
	if (t->pre > 0) {
		g_string_append(t->out, text);
		return;
	}
	for (const char *p = text; *p != '\0'; p++) {
		if (g_ascii_isspace(*p)) {
			t->space = true;
			continue;
		}
		if (t->space && t->out->len > 0 &&
		    t->out->str[t->out->len - 1] != '\n')
			g_string_append_c(t->out, ' ');
		t->space = false;
		g_string_append_c(t->out, *p);
	}
}

static void walk(struct html_text *t, xmlNode *node)
{
	for (; node != NULL && !t->stop; node = node->next) {
		const char *name;
		bool block;

		if (node->type == XML_TEXT_NODE ||
		    node->type == XML_CDATA_SECTION_NODE) {
			add_text(t, (const char *)node->content);
			continue;
		}
		if (node->type != XML_ELEMENT_NODE)
			continue;
		name = (const char *)node->name;
		if (in_list((const char *const[]){ "head", "style", "script",
						   "title", "blockquote",
						   NULL }, name))
			continue;
		if (is_quote_container(node)) {
			xmlChar *id = xmlGetProp(node, (const xmlChar *)"id");

			/* Outlook's history is the rest of the body, not
			   inside its marker */
			if (id != NULL)
				t->stop = true;
			xmlFree(id);
			continue;
		}
		if (is_element(node, "br")) {
			g_string_append_c(t->out, '\n');
			t->space = false;
			continue;
		}
		block = in_list(block_elements, name);
		if (block)
			line_break(t, 1);
		if (is_element(node, "li"))
			g_string_append(t->out, "- ");
		if (is_element(node, "pre"))
			t->pre++;
		walk(t, node->children);
		if (is_element(node, "pre"))
			t->pre--;
		if (is_element(node, "a")) {
			xmlChar *href = xmlGetProp(node,
						   (const xmlChar *)"href");
			xmlChar *words = xmlNodeGetContent(node);

			if (href != NULL && (g_str_has_prefix(
				(const char *)href, "http:") ||
			    g_str_has_prefix((const char *)href, "https:")) &&
			    (words == NULL || strcmp((const char *)words,
						     (const char *)href) != 0)) {
				g_string_append_printf(t->out, " <%s>",
						       (const char *)href);
			}
			xmlFree(href);
			xmlFree(words);
		}
		if (block)
			line_break(t, is_element(node, "p") ? 2 : 1);
	}
}

char *msgtext_from_html(const char *html)
{
	struct html_text t = { .out = g_string_new(NULL) };
	/* libxml2 passes bytes that are not UTF-8 through, or guesses
	   another charset on its own: it is given UTF-8 only */
	char *valid = g_utf8_make_valid(html, -1);
	htmlDocPtr doc = htmlReadMemory(valid, strlen(valid), NULL, "UTF-8",
					HTML_PARSE_NOERROR |
					HTML_PARSE_NOWARNING |
					HTML_PARSE_NONET);
	char *text, *out;

	if (doc != NULL) {
		walk(&t, xmlDocGetRootElement(doc));
		xmlFreeDoc(doc);
	}
	g_free(valid);
	/* and what it gives back is checked as well */
	text = g_string_free(t.out, FALSE);
	out = g_utf8_make_valid(g_strstrip(text), -1);
	g_free(text);
	return out;
}

/* --- quotes and signature ---------------------------------------------- */

static const char *const attribution_ends[] = {
	"wrote:", "schrieb:", "a écrit :", "a écrit:", "escribió:",
	"пишет:", "написал:", "написала:", "написал(а):", "пише:",
	"написав:", "написав(ла):", "rašė:",
};

/* Only believed when quoted lines follow (see msgtext_strip). */
static bool is_attribution(const char *line)
{
	for (unsigned int i = 0; i < G_N_ELEMENTS(attribution_ends); i++) {
		if (g_str_has_suffix(line, attribution_ends[i]))
			return true;
	}
	/* German "Am ... schrieb Ivan <ivan@example.com>:", and Gmail's
	   other languages: "DATE, NAME <ADDRESS>:" */
	return (g_str_has_prefix(line, "Am ") &&
		strstr(line, " schrieb ") != NULL &&
		g_str_has_suffix(line, ":")) ||
		g_str_has_suffix(line, ">:");
}

static bool is_quoted(const char *line)
{
	return line[0] == '>';
}

static bool is_blank(const char *line)
{
	for (const char *p = line; *p != '\0'; p++) {
		if (!g_ascii_isspace(*p))
			return false;
	}
	return true;
}

/* Outlook: "-----Original Message-----", or "From: ..." directly
   followed by "Sent: ..." (or "Date: ...") after a rule of underscores
   or on its own */
static bool starts_history(char **lines, unsigned int i)
{
	char *line = lines[i];

	if (g_str_has_prefix(line, "-----") &&
	    strstr(line, "Original Message") != NULL)
		return true;
	if (g_str_has_prefix(line, "________________________________"))
		return lines[i + 1] != NULL &&
			g_str_has_prefix(lines[i + 1], "From:");
	return g_str_has_prefix(line, "From: ") && lines[i + 1] != NULL &&
		(g_str_has_prefix(lines[i + 1], "Sent: ") ||
		 g_str_has_prefix(lines[i + 1], "Date: "));
}

/* the next line after i that is not blank, or NULL */
static const char *next_nonblank(char **lines, unsigned int i)
{
	for (i++; lines[i] != NULL; i++) {
		if (!is_blank(lines[i]))
			return lines[i];
	}
	return NULL;
}

char *msgtext_strip(const char *text)
{
	char *copy = g_strdup(text);
	char **lines;
	GString *out = g_string_new(NULL);
	bool *drop;
	unsigned int n, blank_run = 0;

	/* CRLF and lone CR become LF */
	for (char *r = copy, *w = copy;; r++) {
		if (*r == '\r') {
			*w++ = '\n';
			if (r[1] == '\n')
				r++;
		} else if ((*w++ = *r) == '\0') {
			break;
		}
	}
	lines = g_strsplit(copy, "\n", -1);
	g_free(copy);
	n = g_strv_length(lines);
	drop = g_new0(bool, n + 1);
	for (unsigned int i = 0; i < n; i++) {
		const char *line = lines[i];
		const char *next;

		g_strchomp(lines[i]);
		if (strcmp(line, "--") == 0 || starts_history(lines, i)) {
			/* the signature or the history: nothing after it is
			   the agent's ("-- " lost its space to the chomp, and
			   clients and HTML conversion often drop it too) */
			for (unsigned int j = i; j < n; j++)
				drop[j] = true;
			break;
		}
		if (is_quoted(line)) {
			drop[i] = true;
			continue;
		}
		if (!is_attribution(line))
			continue;
		/* an attribution only with the quote it introduces: a last
		   line ending in "wrote:" is the agent's */
		next = next_nonblank(lines, i);
		if (next == NULL || !is_quoted(next))
			continue;
		drop[i] = true;
		/* wrapped: "On Mon, ... Ivan <" / "ivan@example.com> wrote:" */
		if (i > 0 && !drop[i - 1] &&
		    g_str_has_prefix(lines[i - 1], "On ") &&
		    !is_attribution(lines[i - 1]))
			drop[i - 1] = true;
	}
	for (unsigned int i = 0; i < n; i++) {
		if (drop[i])
			continue;
		if (is_blank(lines[i])) {
			blank_run++;
			continue;
		}
		if (out->len > 0)
			g_string_append(out, blank_run > 0 ? "\n\n" : "\n");
		blank_run = 0;
		g_string_append(out, lines[i]);
	}
	g_free(drop);
	g_strfreev(lines);
	return g_string_free(out, FALSE);
}

/* --- splitting ----------------------------------------------------------- */

static unsigned int utf16_units(gunichar c)
{
	return c > 0xffff ? 2 : 1;
}

GPtrArray *msgtext_split(const char *text, unsigned int limit)
{
	GPtrArray *pieces = g_ptr_array_new_with_free_func(g_free);
	/* the walk below steps by UTF-8 lead bytes: a lone lead byte at
	   the end would step past the NUL */
	char *valid = g_utf8_make_valid(text, -1);
	const char *p = valid;

	while (*p != '\0') {
		const char *q = p, *newline = NULL, *space = NULL, *end;
		unsigned int units = 0, half = limit / 2;
		char *piece;

		/* the longest prefix within the limit, remembering the last
		   break in its second half */
		while (*q != '\0') {
			gunichar c = g_utf8_get_char(q);

			if (units + utf16_units(c) > limit)
				break;
			units += utf16_units(c);
			q = g_utf8_next_char(q);
			if (units >= half && c == '\n')
				newline = q;
			else if (units >= half && c == ' ')
				space = q;
		}
		if (*q == '\0')
			end = q;
		else if (newline != NULL)
			end = newline;
		else if (space != NULL)
			end = space;
		else
			end = q;
		piece = g_strndup(p, end - p);
		g_strstrip(piece);
		if (*piece != '\0')
			g_ptr_array_add(pieces, piece);
		else
			g_free(piece);
		p = end;
	}
	g_free(valid);
	return pieces;
}
