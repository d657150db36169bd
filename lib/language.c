/* language.c: chooses the language of an answer.  The candidates are the
   languages with templates, so that libexttextcat, given only their
   fingerprints, never names one we could not answer in.  It does not
   translate anything and does not read templates (ack.c does). */

#include "language.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <textcat.h>
#include <unistd.h>

#define CODE_MAX 8
/* Below this many bytes a guess is noise ("ok", "thanks!"): the queue's
   language is a better one. */
#define TEXT_MIN 24

struct language {
	GPtrArray *codes;	/* sorted, with templates */
	void *textcat;		/* NULL when no fingerprint was found */
	GMutex lock;		/* the classifier keeps state per call */
};

static bool valid_code(const char *name)
{
	size_t len = strlen(name);

	if (len < 2 || len > 3)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!g_ascii_islower(name[i]))
			return false;
	}
	return true;
}

static gint cmp_code(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list_codes(const char *dir, GPtrArray *codes, char **error_r)
{
	GError *error = NULL;
	GDir *d = g_dir_open(dir, 0, &error);
	const char *name;

	if (d == NULL) {
		*error_r = g_strdup_printf("templates: %s", error->message);
		g_error_free(error);
		return -1;
	}
	while ((name = g_dir_read_name(d)) != NULL) {
		char *ack = g_build_filename(dir, name, "ack.txt", NULL);

		if (valid_code(name) && g_file_test(ack, G_FILE_TEST_EXISTS))
			g_ptr_array_add(codes, g_strdup(name));
		g_free(ack);
	}
	g_dir_close(d);
	if (codes->len == 0) {
		*error_r = g_strdup_printf("templates: no language in %s "
					   "(a directory like en/ holding "
					   "ack.txt)", dir);
		return -1;
	}
	g_ptr_array_sort(codes, cmp_code);
	return 0;
}

/* libexttextcat reads its list of fingerprints from a file only: a
   private one names just ours, and goes once it is read. */
static void *open_textcat(const GPtrArray *codes, const char *dir)
{
	GString *conf = g_string_new(NULL);
	char *path = NULL;
	void *textcat = NULL;
	int fd;

	for (unsigned int i = 0; i < codes->len; i++) {
		char *lm = g_strdup_printf("%s/%s.lm", dir,
					   (char *)codes->pdata[i]);

		if (g_file_test(lm, G_FILE_TEST_EXISTS))
			g_string_append_printf(conf, "%s %s\n", lm,
					       (char *)codes->pdata[i]);
		g_free(lm);
	}
	if (conf->len > 0 &&
	    (fd = g_file_open_tmp("shopdesk-textcat.XXXXXX", &path,
				  NULL)) >= 0) {
		if (write(fd, conf->str, conf->len) == (ssize_t)conf->len)
			textcat = special_textcat_Init(path, "");
		if (textcat != NULL)
			textcat_SetProperty(textcat,
					    TCPROP_MINIMUM_DOCUMENT_SIZE,
					    TEXT_MIN);
		close(fd);
		g_unlink(path);
		g_free(path);
	}
	g_string_free(conf, TRUE);
	return textcat;
}

int language_open(const char *templates_dir, const char *fingerprint_dir,
		  struct language **language_r, char **error_r)
{
	struct language *language = g_new0(struct language, 1);

	language->codes = g_ptr_array_new_with_free_func(g_free);
	g_mutex_init(&language->lock);
	if (list_codes(templates_dir, language->codes, error_r) < 0) {
		language_close(&language);
		return -1;
	}
	language->textcat = open_textcat(language->codes, fingerprint_dir);
	*language_r = language;
	return 0;
}

void language_close(struct language **_language)
{
	struct language *language = *_language;

	if (language == NULL)
		return;
	*_language = NULL;
	if (language->textcat != NULL)
		textcat_Done(language->textcat);
	g_ptr_array_unref(language->codes);
	g_mutex_clear(&language->lock);
	g_free(language);
}

static const char *find(const struct language *language, const char *code)
{
	char **found = bsearch(&code, language->codes->pdata,
			       language->codes->len, sizeof(char *),
			       cmp_code);

	return found != NULL ? *found : NULL;
}

bool language_has(const struct language *language, const char *code)
{
	return find(language, code) != NULL;
}

/* "ru-RU, en;q=0.5": the first tag whose primary subtag we have. */
static const char *from_header(const struct language *language,
			       const char *header)
{
	char **tags = g_strsplit(header, ",", -1);
	const char *found = NULL;

	for (unsigned int i = 0; tags[i] != NULL && found == NULL; i++) {
		char *tag = g_strstrip(tags[i]);
		size_t len = strcspn(tag, "-_; \t");
		char code[CODE_MAX];

		if (len == 0 || len >= sizeof(code))
			continue;
		for (size_t j = 0; j < len; j++)
			code[j] = g_ascii_tolower(tag[j]);
		code[len] = '\0';
		found = find(language, code);
	}
	g_strfreev(tags);
	return found;
}

/* The text without quoted lines: a reply quotes our own words. */
static GString *own_words(const char *text)
{
	GString *out = g_string_new(NULL);

	while (*text != '\0') {
		size_t len = strcspn(text, "\n");

		if (*text != '>')
			g_string_append_len(out, text, len + 1);
		text += len;
		if (*text == '\n')
			text++;
	}
	return out;
}

/* Letters one language of a close pair writes and the other does not.
   libexttextcat answers "[ru][uk]" when the scores are near, as they
   are for a few lines of Russian or Ukrainian; these letters settle it. */
static const struct {
	const char *code;
	const char *letters;
} own_letters[] = {
	{ "uk", "іїєґІЇЄҐ" },
	{ "ru", "ыэъёЫЭЪЁ" },
};

static unsigned int count_letters(const char *code, const char *text)
{
	const char *letters = NULL;
	unsigned int n = 0;

	for (unsigned int i = 0; i < G_N_ELEMENTS(own_letters); i++) {
		if (strcmp(own_letters[i].code, code) == 0)
			letters = own_letters[i].letters;
	}
	if (letters == NULL)
		return 0;
	for (const char *p = text; *p != '\0'; p = g_utf8_next_char(p)) {
		if (g_utf8_strchr(letters, -1, g_utf8_get_char(p)) != NULL)
			n++;
	}
	return n;
}

/* "[uk][ru]" (best first) or "SHORT" or "UNKNOWN": of the candidates we
   have, the one whose own letters the text uses most, else the first. */
static const char *from_text(struct language *language, const char *text)
{
	GString *words;
	const char *result;
	const char *found = NULL;
	unsigned int found_letters = 0;
	char code[CODE_MAX];

	if (language->textcat == NULL || text == NULL)
		return NULL;
	words = own_words(text);
	g_mutex_lock(&language->lock);
	result = textcat_Classify(language->textcat, words->str, words->len);
	for (const char *p = result; p != NULL && *p == '[';) {
		size_t len = strcspn(p + 1, "]");
		const char *candidate = NULL;
		unsigned int letters;

		if (len < sizeof(code)) {
			memcpy(code, p + 1, len);
			code[len] = '\0';
			candidate = find(language, code);
		}
		p += len + 1;
		if (*p == ']')
			p++;
		if (candidate == NULL)
			continue;
		letters = count_letters(candidate, words->str);
		if (found == NULL || letters > found_letters) {
			found = candidate;
			found_letters = letters;
		}
	}
	g_mutex_unlock(&language->lock);
	g_string_free(words, TRUE);
	return found;
}

const char *language_detect(struct language *language,
			    const char *content_language, const char *text,
			    const char *fallback)
{
	const char *found = NULL;

	if (content_language != NULL)
		found = from_header(language, content_language);
	if (found == NULL)
		found = from_text(language, text);
	if (found == NULL && fallback != NULL)
		found = find(language, fallback);
	if (found == NULL)
		found = find(language, "en");
	return found != NULL ? found : language->codes->pdata[0];
}
