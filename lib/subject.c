/* subject.c: subject lines as mail clients write them.  Strips the
   reply and forward prefixes of many languages' clients ("Re:", "AW:",
   "Отв:", "Persiųsti:" ...), also counted ("Re[2]:", "Re(3):", "RE^2:")
   and with a full-width colon, and shopdesk's own ticket tag
   "[TAG #N]", for comparing subjects; finds and places the tag.

   A prefix counts only when its colon follows, so words that merely
   start like one ("Refund", "Return") stay.  It does not decode
   RFC 2047: callers pass decoded UTF-8 (invalid bytes are replaced). */

#include "subject.h"

#include <glib.h>
#include <stdbool.h>
#include <string.h>

/* Case-folded; longer forms before their own beginnings. */
static const char *const prefixes[] = {
	"re", "fwd", "fw", "aw", "wg", "wtr", "sv", "vs", "antw", "doorst",
	"tr", "rv", "réf", "ref", "rif", "enc", "res", "odp", "pd",
	"ответ", "отв", "пересл", "перес", "fwd", "відповідь", "відп",
	"переслати", "atsakyti", "ats", "persiųsti", "pers", "wl", "vl",
};

/* Returns the end of the reply/forward prefix at p, or NULL. */
static const char *match_prefix(const char *p)
{
	for (unsigned int i = 0; i < G_N_ELEMENTS(prefixes); i++) {
		glong chars = g_utf8_strlen(prefixes[i], -1);
		const char *q = p;
		char *folded;
		bool same;

		for (glong c = 0; c < chars && *q != '\0'; c++)
			q = g_utf8_next_char(q);
		folded = g_utf8_casefold(p, q - p);
		same = strcmp(folded, prefixes[i]) == 0;
		g_free(folded);
		if (!same)
			continue;
		/* counters: Re[2]: Re(2): Re^2: */
		if (*q == '[' || *q == '(' || *q == '^') {
			char close = *q == '[' ? ']' : *q == '(' ? ')' : 0;
			const char *d = q + 1;

			while (g_ascii_isdigit(*d))
				d++;
			if (d > q + 1 && (close == 0 || *d == close))
				q = close == 0 ? d : d + 1;
		}
		while (*q == ' ' || *q == '\t')
			q++;
		if (*q == ':')
			return q + 1;
		if (strncmp(q, "\xef\xbc\x9a", 3) == 0)	/* U+FF1A '：' */
			return q + 3;
	}
	return NULL;
}

/* Parses "[TAG #N]" at p (p points at '['), case-insensitively, spaces
   allowed around '#'.  Returns the end of the tag, or NULL. */
static const char *match_tag(const char *p, const char *folded_tag,
			     uint32_t *id_r)
{
	size_t tag_len = strlen(folded_tag);
	const char *q = p + 1;
	const char *end;
	char *folded;
	bool same;
	guint64 id = 0;

	end = q;
	for (glong c = g_utf8_strlen(folded_tag, -1); c > 0 && *end != '\0';
	     c--)
		end = g_utf8_next_char(end);
	folded = g_utf8_casefold(q, end - q);
	same = strlen(folded) == tag_len && memcmp(folded, folded_tag,
						   tag_len) == 0;
	g_free(folded);
	if (!same)
		return NULL;
	q = end;
	while (*q == ' ')
		q++;
	if (*q++ != '#')
		return NULL;
	while (*q == ' ')
		q++;
	if (!g_ascii_isdigit(*q) || *q == '0')
		return NULL;
	while (g_ascii_isdigit(*q)) {
		id = id * 10 + (*q++ - '0');
		if (id > UINT32_MAX)
			return NULL;
	}
	while (*q == ' ')
		q++;
	if (*q != ']')
		return NULL;
	*id_r = id;
	return q + 1;
}

/* Skips white space, reply/forward prefixes and ticket tags at the
   start; returns where the subject proper begins. */
static const char *skip_leading(const char *p, const char *folded_tag)
{
	for (;;) {
		const char *next;
		uint32_t id;

		while (*p != '\0' && g_unichar_isspace(g_utf8_get_char(p)))
			p = g_utf8_next_char(p);
		if ((next = match_prefix(p)) != NULL ||
		    (*p == '[' && (next = match_tag(p, folded_tag, &id)) != NULL))
			p = next;
		else
			return p;
	}
}

char *subject_normalize(const char *subject, const char *ticket_tag)
{
	char *valid = g_utf8_make_valid(subject, -1);
	char *folded_tag = g_utf8_casefold(ticket_tag, -1);
	GString *out = g_string_new(NULL);
	const char *p = skip_leading(valid, folded_tag);
	bool space = false;
	char *result;

	while (*p != '\0') {
		gunichar c = g_utf8_get_char(p);
		const char *next;
		uint32_t id;

		if (c == '[' && (next = match_tag(p, folded_tag, &id)) != NULL) {
			p = next;
			space = true;
			continue;
		}
		if (g_unichar_isspace(c)) {
			space = true;
		} else {
			if (space && out->len > 0)
				g_string_append_c(out, ' ');
			space = false;
			g_string_append_len(out, p, g_utf8_next_char(p) - p);
		}
		p = g_utf8_next_char(p);
	}
	result = g_utf8_casefold(out->str, out->len);
	g_string_free(out, TRUE);
	g_free(folded_tag);
	g_free(valid);
	return result;
}

int subject_find_tag(const char *subject, const char *ticket_tag,
		     uint32_t *id_r)
{
	char *valid = g_utf8_make_valid(subject, -1);
	char *folded_tag = g_utf8_casefold(ticket_tag, -1);
	const char *p = valid;
	int found = 0;

	while ((p = strchr(p, '[')) != NULL) {
		if (match_tag(p, folded_tag, id_r) != NULL) {
			found = 1;
			break;
		}
		p++;
	}
	g_free(folded_tag);
	g_free(valid);
	return found;
}

char *subject_add_tag(const char *subject, const char *ticket_tag,
		      uint32_t id)
{
	char *valid = g_utf8_make_valid(subject, -1);
	char *folded_tag = g_utf8_casefold(ticket_tag, -1);
	const char *p = valid;
	const char *start, *rest;
	char *result;

	/* Already tagged for this ticket anywhere: leave it as it is. */
	while ((p = strchr(p, '[')) != NULL) {
		uint32_t found;

		if (match_tag(p, folded_tag, &found) != NULL && found == id) {
			g_free(folded_tag);
			return valid;
		}
		p++;
	}
	/* After the prefixes only ("Re: [Ticket #12] ..."), keeping the
	   prefixes as the client wrote them. */
	start = valid;
	for (;;) {
		const char *q = start;
		const char *next;

		while (*q == ' ' || *q == '\t')
			q++;
		if ((next = match_prefix(q)) == NULL)
			break;
		start = next;
	}
	rest = start;
	while (*rest == ' ' || *rest == '\t')
		rest++;
	result = g_strdup_printf("%.*s%s[%s #%u]%s%s", (int)(start - valid),
				 valid, start > valid ? " " : "", ticket_tag,
				 id, *rest != '\0' ? " " : "", rest);
	g_free(folded_tag);
	g_free(valid);
	return result;
}
