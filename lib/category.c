/* category.c: keyword rules for frequent questions.  Matching is by word
   prefixes, so that one stem covers a word's inflections ("доставк"
   matches доставка, доставки, доставку), which is what the languages we
   answer in need.  No stemming library, no scoring beyond counting. */

#include "category.h"

#include <string.h>

static const char *const known[] = {
	"delivery", "returns", "payment", "order", "product", "technical",
	CATEGORY_OTHER, NULL,
};

struct rule {
	char *name;
	char **keywords;	/* case-folded, NFKC */
	char *answer;		/* NULL when none */
};

struct category_rules {
	GHashTable *languages;	/* code -> GPtrArray of struct rule */
};

static void rule_free(gpointer data)
{
	struct rule *rule = data;

	g_free(rule->name);
	g_strfreev(rule->keywords);
	g_free(rule->answer);
	g_free(rule);
}

static char *fold(const char *text)
{
	char *nfkc = g_utf8_normalize(text, -1, G_NORMALIZE_ALL_COMPOSE);
	char *folded;

	if (nfkc == NULL)
		return g_strdup("");
	folded = g_utf8_casefold(nfkc, -1);
	g_free(nfkc);
	return folded;
}

static int load_file(const char *path, GPtrArray *rules, char **error_r)
{
	GKeyFile *kf = g_key_file_new();
	GError *error = NULL;
	char **groups;
	int ret = 0;

	if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &error)) {
		*error_r = g_strdup_printf("%s: %s", path, error->message);
		g_error_free(error);
		g_key_file_free(kf);
		return -1;
	}
	groups = g_key_file_get_groups(kf, NULL);
	for (unsigned int i = 0; groups[i] != NULL && ret == 0; i++) {
		struct rule *rule;
		char **keywords;

		if (!g_strv_contains(known, groups[i])) {
			*error_r = g_strdup_printf(
				"%s: [%s]: not a category (delivery, returns, "
				"payment, order, product, technical, other)",
				path, groups[i]);
			ret = -1;
			break;
		}
		keywords = g_key_file_get_string_list(kf, groups[i], "keywords",
						      NULL, NULL);
		if (keywords == NULL || keywords[0] == NULL) {
			*error_r = g_strdup_printf("%s: [%s] keywords: "
						   "missing", path, groups[i]);
			g_strfreev(keywords);
			ret = -1;
			break;
		}
		rule = g_new0(struct rule, 1);
		rule->name = g_strdup(groups[i]);
		rule->keywords = g_new0(char *,
					g_strv_length(keywords) + 1);
		for (unsigned int k = 0, n = 0; keywords[k] != NULL; k++) {
			char *kw = fold(g_strstrip(keywords[k]));

			if (*kw != '\0')
				rule->keywords[n++] = kw;
			else
				g_free(kw);
		}
		g_strfreev(keywords);
		rule->answer = g_key_file_get_locale_string(kf, groups[i],
							    "answer", NULL,
							    NULL);
		g_ptr_array_add(rules, rule);
	}
	g_strfreev(groups);
	g_key_file_free(kf);
	return ret;
}

int category_load(const char *templates_dir, struct category_rules **rules_r,
		  char **error_r)
{
	struct category_rules *rules = g_new0(struct category_rules, 1);
	GError *error = NULL;
	GDir *dir = g_dir_open(templates_dir, 0, &error);
	const char *name;
	int ret = 0;

	rules->languages = g_hash_table_new_full(
		g_str_hash, g_str_equal, g_free,
		(GDestroyNotify)g_ptr_array_unref);
	if (dir == NULL) {
		*error_r = g_strdup_printf("templates: %s", error->message);
		g_error_free(error);
		category_free(&rules);
		return -1;
	}
	while (ret == 0 && (name = g_dir_read_name(dir)) != NULL) {
		char *path = g_build_filename(templates_dir, name,
					      "categories.conf", NULL);

		if (g_file_test(path, G_FILE_TEST_EXISTS)) {
			GPtrArray *list = g_ptr_array_new_with_free_func(
				rule_free);

			g_hash_table_insert(rules->languages, g_strdup(name),
					    list);
			ret = load_file(path, list, error_r);
		}
		g_free(path);
	}
	g_dir_close(dir);
	if (ret < 0) {
		category_free(&rules);
		return -1;
	}
	*rules_r = rules;
	return 0;
}

void category_free(struct category_rules **_rules)
{
	struct category_rules *rules = *_rules;

	if (rules == NULL)
		return;
	*_rules = NULL;
	g_hash_table_unref(rules->languages);
	g_free(rules);
}

/* Adds to counts[i] the words of text that start with a keyword of
   rule i. */
static void count_words(const GPtrArray *list, const char *text,
			unsigned int *counts)
{
	char *folded = fold(text);
	const char *p = folded;

	while (*p != '\0') {
		const char *word;

		while (*p != '\0' && !g_unichar_isalnum(g_utf8_get_char(p)))
			p = g_utf8_next_char(p);
		word = p;
		while (*p != '\0' && g_unichar_isalnum(g_utf8_get_char(p)))
			p = g_utf8_next_char(p);
		if (p == word)
			continue;
		for (unsigned int i = 0; i < list->len; i++) {
			const struct rule *rule = list->pdata[i];

			for (char **kw = rule->keywords; *kw != NULL; kw++) {
				size_t len = strlen(*kw);

				if (len <= (size_t)(p - word) &&
				    strncmp(word, *kw, len) == 0) {
					counts[i]++;
					break;
				}
			}
		}
	}
	g_free(folded);
}

const char *category_classify(const struct category_rules *rules,
			      const char *language, const char *subject,
			      const char *text, const char **answer_r)
{
	const GPtrArray *list = g_hash_table_lookup(rules->languages,
						    language);
	const struct rule *best = NULL;
	unsigned int *counts, best_count = 0;

	*answer_r = NULL;
	if (list == NULL || list->len == 0)
		return CATEGORY_OTHER;
	counts = g_new0(unsigned int, list->len);
	if (subject != NULL)
		count_words(list, subject, counts);
	if (text != NULL)
		count_words(list, text, counts);
	for (unsigned int i = 0; i < list->len; i++) {
		if (counts[i] > best_count) {
			best_count = counts[i];
			best = list->pdata[i];
		}
	}
	g_free(counts);
	if (best == NULL)
		return CATEGORY_OTHER;
	*answer_r = best->answer;
	return best->name;
}
