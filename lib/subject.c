/* subject.c: comparing and tagging subject lines.

   Strips the reply and forward prefixes mail clients add in many
   languages ("Re:", "AW:", "Отв:", "Persiųsti:", "回复：" ...), counted
   ones ("Re[2]:", "Re(3):", "RE^2:") included, and shopdesk's ticket tag,
   so that a reply compares equal to the mail it answers; finds the tag,
   and places it in a subject after the prefixes.

   A prefix is a whole word from the table below, in any case, then an
   optional counter, optional white space and a colon (':' or the
   full-width '：').  So words that merely start like one ("Refund",
   "Return", "Réfrigérateur") stay, and so does "Re 2:": a bare number is
   not a counter.  The tag is "[TAG #N]": TAG in any case, N from 1 to
   UINT32_MAX without leading zeros, blanks (spaces, tabs) allowed, not
   required, between the parts: "[Ticket#12]" and "[ ticket # 12 ]" are
   tags too, because people retype them; "[Ticket 12]" is not.

   It does not decode RFC 2047: callers pass decoded UTF-8, and bytes
   that are not UTF-8 become U+FFFD.  It does not strip mailing-list
   tags ("[users]") or a trailing "(fwd)", and looks for prefixes only
   before the subject proper.  Every function takes time linear in the
   length of the subject. */

#include "subject.h"

#include <glib.h>
#include <stdbool.h>
#include <string.h>

/* Case-folded and in NFKC, as known_prefix compares them. */
static const char *const prefixes[] = {
	"re", "fw", "fwd",			/* English; most clients */
	"aw", "wg", "wtr",			/* German */
	"antw", "doorst",			/* Dutch */
	"sv", "vs", "vb", "fs", "vl", "edasi",	/* Nordic, Estonian */
	"tr", "réf", "ref",			/* French */
	"rv", "res", "enc",			/* Spanish, Portuguese */
	"r", "i", "rif",			/* Italian */
	"odp", "pd", "př",			/* Polish, Czech */
	"vá", "tov",				/* Hungarian */
	"отв", "ответ", "пересл", "перес",	/* Russian */
	"відп", "відповідь", "переслати",	/* Ukrainian */
	"ats", "atsakyti", "pers", "persiųsti",	/* Lithuanian */
	"atb", "pārs",				/* Latvian */
	"απ", "σχετ", "πρθ",			/* Greek */
	"ynt", "ilt", "i\xcc\x87lt",		/* Turkish ("İLT" folds so) */
	"השב", "הועבר", "رد",			/* Hebrew, Arabic */
	"回复", "回覆", "答复", "答覆",		/* Chinese */
	"转发", "轉寄", "轉發",
	"返信", "転送", "회신", "전달",		/* Japanese, Korean */
	"bls", "trs", "yml",			/* Indonesian, Welsh */
};

/* Twice the longest word in the table (room for decomposed letters);
   longer words are not looked up. */
#define PREFIX_MAX_CHARS 18

static const char *skip_space(const char *p)
{
	while (*p != '\0' && g_unichar_isspace(g_utf8_get_char(p)))
		p = g_utf8_next_char(p);
	return p;
}

static const char *skip_blanks(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Skips a reply counter, "[2]", "(2)" or "^2", if there is one at p. */
static const char *skip_counter(const char *p)
{
	const char *q;
	char close;

	if (*p == '[')
		close = ']';
	else if (*p == '(')
		close = ')';
	else if (*p == '^')
		close = '\0';
	else
		return p;
	q = p + 1;
	while (g_ascii_isdigit(*q))
		q++;
	if (q == p + 1)
		return p;
	if (close == '\0')
		return q;
	return *q == close ? q + 1 : p;
}

static bool in_table(const char *folded)
{
	for (unsigned int i = 0; i < G_N_ELEMENTS(prefixes); i++) {
		if (strcmp(folded, prefixes[i]) == 0)
			return true;
	}
	return false;
}

/* word is at most PREFIX_MAX_CHARS characters. */
static bool known_prefix(const char *word, size_t size)
{
	char ascii[PREFIX_MAX_CHARS + 1];
	char *compat, *folded;
	bool known;
	size_t i;

	/* ASCII words, nearly all of them, without allocating: a subject
	   of a million "Re: " must stay fast */
	for (i = 0; i < size && (guchar)word[i] < 0x80; i++)
		ascii[i] = g_ascii_tolower(word[i]);
	if (i == size) {
		ascii[i] = '\0';
		return in_table(ascii);
	}
	compat = g_utf8_normalize(word, size, G_NORMALIZE_NFKC);
	folded = g_utf8_casefold(compat, -1);
	known = in_table(folded);
	g_free(folded);
	g_free(compat);
	return known;
}

/* Returns the end of the reply/forward prefix at p, its colon included,
   or NULL when p does not start with one. */
static const char *match_prefix(const char *p)
{
	const char *q = p;
	unsigned int chars = 0;
	gunichar c;

	for (; *q != '\0'; q = g_utf8_next_char(q)) {
		c = g_utf8_get_char(q);
		if (!g_unichar_isalpha(c) && !g_unichar_ismark(c))
			break;
		if (++chars > PREFIX_MAX_CHARS)
			return NULL;
	}
	if (chars == 0 || !known_prefix(p, q - p))
		return NULL;
	q = skip_space(skip_counter(q));
	c = g_utf8_get_char(q);
	if (c != ':' && c != 0xff1a)
		return NULL;
	return g_utf8_next_char(q);
}

/* Returns the end of the text at p that case-folds to folded, or NULL.
   Compares one character at a time, as one may fold to several
   ("ß" to "ss"), and stops at the first difference. */
static const char *match_folded(const char *p, const char *folded)
{
	size_t size = strlen(folded), done = 0;

	while (done < size) {
		const char *next;
		char *one;
		size_t one_size;
		bool same;

		if (*p == '\0')
			return NULL;
		if ((guchar)*p < 0x80) {
			if (g_ascii_tolower(*p) != folded[done])
				return NULL;
			done++;
			p++;
			continue;
		}
		next = g_utf8_next_char(p);
		one = g_utf8_casefold(p, next - p);
		one_size = strlen(one);
		same = one_size <= size - done &&
		       memcmp(one, folded + done, one_size) == 0;
		g_free(one);
		if (!same)
			return NULL;
		done += one_size;
		p = next;
	}
	return p;
}

/* Parses the ticket tag at p (folded_tag is TAG case-folded).  Returns
   its end and sets *id_r, or returns NULL. */
static const char *match_tag(const char *p, const char *folded_tag,
			     uint32_t *id_r)
{
	guint64 id = 0;

	if (*p != '[')
		return NULL;
	p = match_folded(skip_blanks(p + 1), folded_tag);
	if (p == NULL)
		return NULL;
	p = skip_blanks(p);
	if (*p != '#')
		return NULL;
	p = skip_blanks(p + 1);
	if (*p < '1' || *p > '9')
		return NULL;
	for (; g_ascii_isdigit(*p); p++) {
		id = id * 10 + (guint64)(*p - '0');
		if (id > UINT32_MAX)
			return NULL;
	}
	p = skip_blanks(p);
	if (*p != ']')
		return NULL;
	*id_r = (uint32_t)id;
	return p + 1;
}

/* Returns where the subject proper begins: after white space, prefixes
   and ticket tags, in any order and number. */
static const char *skip_leading(const char *p, const char *folded_tag)
{
	for (;;) {
		const char *next;
		uint32_t id;

		p = skip_space(p);
		next = match_prefix(p);
		if (next == NULL)
			next = match_tag(p, folded_tag, &id);
		if (next == NULL)
			return p;
		p = next;
	}
}

/* Returns str with every run of white space made one space, trimmed. */
static char *collapse_space(const char *str)
{
	GString *out = g_string_sized_new(strlen(str));
	bool space = false;

	for (const char *p = str; *p != '\0'; p = g_utf8_next_char(p)) {
		if (g_unichar_isspace(g_utf8_get_char(p))) {
			space = true;
			continue;
		}
		if (space && out->len > 0)
			g_string_append_c(out, ' ');
		space = false;
		g_string_append_len(out, p, g_utf8_next_char(p) - p);
	}
	return g_string_free(out, FALSE);
}

char *subject_strip(const char *subject, const char *ticket_tag)
{
	char *valid = g_utf8_make_valid(subject, -1);
	char *folded_tag = g_utf8_casefold(ticket_tag, -1);
	GString *stripped = g_string_sized_new(strlen(valid));
	char *result;
	const char *p;

	for (p = skip_leading(valid, folded_tag); *p != '\0';) {
		const char *end;
		uint32_t id;

		if ((end = match_tag(p, folded_tag, &id)) != NULL) {
			/* "a[Ticket #1]b" is two words */
			g_string_append_c(stripped, ' ');
			p = end;
		} else {
			g_string_append_c(stripped, *p++);
		}
	}
	result = collapse_space(stripped->str);
	g_string_free(stripped, TRUE);
	g_free(folded_tag);
	g_free(valid);
	return result;
}

char *subject_normalize(const char *subject, const char *ticket_tag)
{
	char *stripped = subject_strip(subject, ticket_tag);
	/* NFKC, so that full-width, decomposed and precomposed spellings
	   of a subject compare equal */
	char *compat = g_utf8_normalize(stripped, -1, G_NORMALIZE_NFKC);
	char *result = g_utf8_casefold(compat, -1);

	g_free(compat);
	g_free(stripped);
	return result;
}

int subject_find_tag(const char *subject, const char *ticket_tag,
		     uint32_t *id_r)
{
	char *valid = g_utf8_make_valid(subject, -1);
	char *folded_tag = g_utf8_casefold(ticket_tag, -1);
	int found = 0;

	for (const char *p = valid; (p = strchr(p, '[')) != NULL; p++) {
		if (match_tag(p, folded_tag, id_r) != NULL) {
			found = 1;
			break;
		}
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
	GString *out;
	const char *p, *end, *rest;

	/* A tag for another ticket does not count: the mail now belongs
	   to this one too, and replies to it must carry this tag. */
	for (p = valid; (p = strchr(p, '[')) != NULL; p++) {
		uint32_t found;

		if (match_tag(p, folded_tag, &found) != NULL && found == id) {
			g_free(folded_tag);
			return valid;
		}
	}
	/* The prefixes stay as the client wrote them. */
	end = valid;
	while ((p = match_prefix(skip_space(end))) != NULL)
		end = p;
	rest = skip_space(end);
	out = g_string_sized_new(strlen(valid) + strlen(ticket_tag) + 16);
	g_string_append_len(out, valid, end - valid);
	if (end > valid)
		g_string_append_c(out, ' ');
	g_string_append_printf(out, "[%s #%u]", ticket_tag, id);
	if (*rest != '\0') {
		g_string_append_c(out, ' ');
		g_string_append(out, rest);
	}
	g_free(folded_tag);
	g_free(valid);
	return g_string_free(out, FALSE);
}
