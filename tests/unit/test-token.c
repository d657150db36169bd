/* Table-driven tests of reply tokens: known answers that pin the
   format (a change would break every token already sent), round trips,
   forgeries of every shape, and the key file (created once, 0600, 32
   bytes, reused; one of the wrong size refused, naming the file). */

#include "token.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#define KEY "0123456789abcdef0123456789abcdef"
#define KEY_SIZE 32

/* HMAC-SHA256 computed elsewhere (Python's hmac module). */
static const struct known_case {
	uint32_t id;
	const char *token;
} known_cases[] = {
	{ 12, "12kf22711b5395f55aa" },
	{ 4294967295u, "4294967295k88d2541422454867" },
};

static void test_known(gconstpointer data)
{
	const struct known_case *c = data;
	struct token_key *key = token_key_new(KEY, KEY_SIZE);
	char *token = token_make(key, c->id);

	g_assert_cmpstr(token, ==, c->token);
	g_free(token);
	token_key_free(&key);
	g_assert_null(key);
}

static const uint32_t round_trip_ids[] = {
	1, 9, 10, 12, 99, 100, 12345, 2147483647u, 2147483648u,
	4294967294u, 4294967295u,
};

static void test_round_trip(gconstpointer data)
{
	const uint32_t *want = data;
	struct token_key *key = token_key_new(KEY, KEY_SIZE);
	char *token = token_make(key, *want);
	char *upper = g_ascii_strup(token, -1);
	char *padded = g_strconcat(token, "@example.com", NULL);
	uint32_t id = 0;

	g_assert_true(g_regex_match_simple("^[1-9][0-9]*k[0-9a-f]{16}$",
					   token, 0, 0));
	g_assert_cmpint(token_parse(key, token, strlen(token), &id), ==, 1);
	g_assert_cmpuint(id, ==, *want);
	/* MTAs may fold the case of a local part */
	id = 0;
	g_assert_cmpint(token_parse(key, upper, strlen(upper), &id), ==, 1);
	g_assert_cmpuint(id, ==, *want);
	/* the length given counts, not the NUL */
	id = 0;
	g_assert_cmpint(token_parse(key, padded, strlen(token), &id), ==, 1);
	g_assert_cmpuint(id, ==, *want);
	g_free(padded);
	g_free(upper);
	g_free(token);
	token_key_free(&key);
}

/* Each is before, the first mac_digits of the good token's MAC for
   ticket 12, and after. */
static const struct forged_case {
	const char *before;
	int mac_digits;
	const char *after;
} forged_cases[] = {
	{ "13k", 16, "" },		/* the MAC of another id */
	{ "112k", 16, "" },
	{ "1k", 16, "" },
	{ "012k", 16, "" },		/* leading zeros */
	{ "0012k", 16, "" },
	{ "0k", 16, "" },		/* id 0 */
	{ "k", 16, "" },		/* no id */
	{ "4294967308k", 16, "" },	/* 2^32 + 12 */
	{ "99999999999999999999k", 16, "" },
	{ "12", 16, "" },		/* no separator */
	{ "12x", 16, "" },		/* another separator */
	{ "12kk", 16, "" },
	{ "12-", 16, "" },
	{ "12 k", 16, "" },
	{ "+12k", 16, "" },
	{ " 12k", 16, "" },
	{ "12k ", 16, "" },
	{ "12k", 15, "" },		/* MAC truncated */
	{ "12k", 1, "" },
	{ "12k", 0, "" },
	{ "12k", 16, "0" },		/* MAC extended */
	{ "12k", 16, " " },
	{ "12k", 16, "12k" },
	{ "12k0x", 14, "" },		/* not hex */
	{ "12k", 15, "g" },
	{ "12k", 15, "z" },
	{ "12k", 14, "\xc3\xa9" },
	{ "\xef\xbc\x91\xef\xbc\x92k", 16, "" },	/* full-width "12" */
	{ "", 16, "" },
	{ "", 0, "" },
};

static void test_forged(gconstpointer data)
{
	const struct forged_case *c = data;
	struct token_key *key = token_key_new(KEY, KEY_SIZE);
	char *good = token_make(key, 12);
	char *forged = g_strdup_printf("%s%.*s%s", c->before, c->mac_digits,
				       strchr(good, 'k') + 1, c->after);
	uint32_t id = 0;

	g_assert_cmpint(token_parse(key, forged, strlen(forged), &id), ==, 0);
	g_assert_cmpuint(id, ==, 0);
	g_free(forged);
	g_free(good);
	token_key_free(&key);
}

/* Every single-digit change to the MAC is caught. */
static void test_flipped(void)
{
	struct token_key *key = token_key_new(KEY, KEY_SIZE);
	char *good = token_make(key, 12);
	char *mac = strchr(good, 'k') + 1;
	uint32_t id = 0;

	for (unsigned int i = 0; i < 16; i++) {
		char saved = mac[i];

		for (const char *d = "0123456789abcdef"; *d != '\0'; d++) {
			if (*d == saved)
				continue;
			mac[i] = *d;
			g_assert_cmpint(token_parse(key, good, strlen(good),
						    &id), ==, 0);
		}
		mac[i] = saved;
	}
	g_assert_cmpint(token_parse(key, good, strlen(good), &id), ==, 1);
	g_free(good);
	token_key_free(&key);
}

static const struct other_key_case {
	const char *secret;
	size_t size;
} other_keys[] = {
	{ "1123456789abcdef0123456789abcdef", 32 },	/* first byte */
	{ "0123456789abcdef0123456789abcdeF", 32 },	/* last byte */
	{ "0123456789abcdef0123456789abcde", 31 },	/* shorter */
	{ "0123456789abcdef0123456789abcdef0", 33 },	/* longer */
	{ "", 0 },
};

static void test_other_key(gconstpointer data)
{
	const struct other_key_case *c = data;
	struct token_key *key = token_key_new(KEY, KEY_SIZE);
	struct token_key *other = token_key_new(c->secret, c->size);
	char *mine = token_make(key, 12);
	char *theirs = token_make(other, 12);
	uint32_t id = 0;

	g_assert_cmpstr(mine, !=, theirs);
	g_assert_cmpint(token_parse(key, theirs, strlen(theirs), &id), ==, 0);
	g_assert_cmpint(token_parse(other, mine, strlen(mine), &id), ==, 0);
	g_assert_cmpint(token_parse(other, theirs, strlen(theirs), &id), ==,
			1);
	g_free(theirs);
	g_free(mine);
	token_key_free(&other);
	token_key_free(&key);
}

/* Keys longer than 32 bytes are used whole, not cut. */
static void test_long_key(void)
{
	static const char a[] = KEY KEY "a", b[] = KEY KEY "b";
	struct token_key *key_a = token_key_new(a, sizeof(a) - 1);
	struct token_key *key_b = token_key_new(b, sizeof(b) - 1);
	char *token_a = token_make(key_a, 5), *token_b = token_make(key_b, 5);

	g_assert_cmpstr(token_a, !=, token_b);
	g_free(token_a);
	g_free(token_b);
	token_key_free(&key_a);
	token_key_free(&key_b);
}

static char *make_dir(void)
{
	GError *error = NULL;
	char *dir = g_dir_make_tmp("test-token-XXXXXX", &error);

	g_assert_no_error(error);
	return dir;
}

static unsigned int count_entries(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	unsigned int n = 0;

	g_assert_nonnull(d);
	while (g_dir_read_name(d) != NULL)
		n++;
	g_dir_close(d);
	return n;
}

static void remove_dir(char *dir)
{
	char *path = g_build_filename(dir, "token.key", NULL);

	g_remove(path);
	g_assert_cmpint(g_rmdir(dir), ==, 0);
	g_free(path);
	g_free(dir);
}

static void test_key_file(void)
{
	char *dir = make_dir();
	char *path = g_build_filename(dir, "token.key", NULL);
	struct token_key *first = NULL, *second = NULL, *raw;
	char *error = NULL, *token1, *token2, *token3, *data;
	gsize size;
	GStatBuf st;

	g_assert_cmpint(token_key_load(dir, &first, &error), ==, 0);
	g_assert_null(error);
	g_assert_cmpint(g_stat(path, &st), ==, 0);
	g_assert_true(S_ISREG(st.st_mode));
	g_assert_cmpint(st.st_size, ==, 32);
	g_assert_cmpint(st.st_mode & 07777, ==, 0600);
	g_assert_cmpuint(count_entries(dir), ==, 1);	/* no temp file left */

	/* the second start reads the same key */
	g_assert_cmpint(token_key_load(dir, &second, &error), ==, 0);
	g_assert_null(error);
	token1 = token_make(first, 5);
	token2 = token_make(second, 5);
	g_assert_cmpstr(token1, ==, token2);

	/* and it is the file's content */
	g_assert_true(g_file_get_contents(path, &data, &size, NULL));
	raw = token_key_new(data, size);
	token3 = token_make(raw, 5);
	g_assert_cmpstr(token1, ==, token3);

	g_free(token3);
	g_free(token2);
	g_free(token1);
	g_free(data);
	token_key_free(&raw);
	token_key_free(&second);
	token_key_free(&first);
	g_free(path);
	remove_dir(dir);
}

/* Two installations do not share a key. */
static void test_key_random(void)
{
	char *dir1 = make_dir(), *dir2 = make_dir();
	struct token_key *key1 = NULL, *key2 = NULL;
	char *error = NULL, *token1, *token2;

	g_assert_cmpint(token_key_load(dir1, &key1, &error), ==, 0);
	g_assert_cmpint(token_key_load(dir2, &key2, &error), ==, 0);
	token1 = token_make(key1, 5);
	token2 = token_make(key2, 5);
	g_assert_cmpstr(token1, !=, token2);
	g_free(token1);
	g_free(token2);
	token_key_free(&key1);
	token_key_free(&key2);
	remove_dir(dir1);
	remove_dir(dir2);
}

/* Processes starting at once on a new installation agree on the key. */
static gpointer load_key(gpointer dir)
{
	struct token_key *key = NULL;
	char *error = NULL, *token;

	if (token_key_load(dir, &key, &error) < 0)
		g_error("%s", error);
	token = token_make(key, 5);
	token_key_free(&key);
	return token;
}

static void test_key_race(void)
{
	char *dir = make_dir();
	GThread *threads[8];
	char *first = NULL;

	for (unsigned int i = 0; i < G_N_ELEMENTS(threads); i++)
		threads[i] = g_thread_new("load", load_key, dir);
	for (unsigned int i = 0; i < G_N_ELEMENTS(threads); i++) {
		char *token = g_thread_join(threads[i]);

		if (first == NULL) {
			first = token;
			continue;
		}
		g_assert_cmpstr(token, ==, first);
		g_free(token);
	}
	g_assert_cmpuint(count_entries(dir), ==, 1);
	g_free(first);
	remove_dir(dir);
}

static const struct bad_key_case {
	const char *content;
	gssize size;
} bad_keys[] = {
	{ "", 0 },
	{ "short", 5 },
	{ "0123456789abcdef0123456789abcde", 31 },
	{ "0123456789abcdef0123456789abcdef\n", 33 },
	{ "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	  64 },
};

static void test_bad_key(gconstpointer data)
{
	const struct bad_key_case *c = data;
	char *dir = make_dir();
	char *path = g_build_filename(dir, "token.key", NULL);
	struct token_key *key = NULL;
	char *error = NULL, *after;
	gsize size;

	g_assert_true(g_file_set_contents(path, c->content, c->size, NULL));
	g_assert_cmpint(token_key_load(dir, &key, &error), ==, -1);
	g_assert_null(key);
	g_assert_nonnull(error);
	g_assert_nonnull(strstr(error, path));
	g_free(error);
	/* left alone for a human to look at */
	g_assert_true(g_file_get_contents(path, &after, &size, NULL));
	g_assert_cmpuint(size, ==, c->size);
	g_assert_cmpmem(after, size, c->content, c->size);
	g_free(after);
	g_free(path);
	remove_dir(dir);
}

static void test_key_not_file(void)
{
	char *dir = make_dir();
	char *path = g_build_filename(dir, "token.key", NULL);
	struct token_key *key = NULL;
	char *error = NULL;

	g_assert_cmpint(g_mkdir(path, 0700), ==, 0);
	g_assert_cmpint(token_key_load(dir, &key, &error), ==, -1);
	g_assert_null(key);
	g_assert_nonnull(strstr(error, path));
	g_free(error);
	g_assert_cmpint(g_rmdir(path), ==, 0);
	g_free(path);
	remove_dir(dir);
}

static void test_key_no_dir(void)
{
	char *dir = make_dir();
	char *missing = g_build_filename(dir, "missing", NULL);
	struct token_key *key = NULL;
	char *error = NULL;

	g_assert_cmpint(token_key_load(missing, &key, &error), ==, -1);
	g_assert_null(key);
	g_assert_nonnull(strstr(error, missing));
	g_free(error);
	g_free(missing);
	remove_dir(dir);
}

static char *token_in(const char *dir)
{
	struct token_key *key = NULL;
	char *error = NULL, *token;

	g_assert_cmpint(token_key_load(dir, &key, &error), ==, 0);
	token = token_make(key, 7);
	token_key_free(&key);
	return token;
}

/* A backup takes the key along; a restore puts it back only where
   there is none, and never makes one of its own. */
static void test_key_copy(void)
{
	char *a = make_dir(), *b = make_dir(), *empty = make_dir();
	char *error = NULL, *ta, *tb, *tb2;

	g_assert_cmpint(token_key_copy(a, b, false, &error), ==, 0);
	g_assert_cmpuint(count_entries(b), ==, 0);
	ta = token_in(a);
	g_assert_cmpint(token_key_copy(a, b, false, &error), ==, 1);
	g_assert_null(error);
	tb = token_in(b);
	g_assert_cmpstr(ta, ==, tb);
	g_assert_cmpuint(count_entries(b), ==, 1);	/* no temp file left */

	/* kept, then replaced */
	g_assert_cmpint(token_key_copy(empty, b, true, &error), ==, 0);
	g_assert_cmpint(token_key_copy(b, empty, false, &error), ==, 1);
	remove_dir(a);
	a = make_dir();
	g_free(ta);
	ta = token_in(a);
	g_assert_cmpstr(ta, !=, tb);
	g_assert_cmpint(token_key_copy(a, b, false, &error), ==, 0);
	tb2 = token_in(b);
	g_assert_cmpstr(tb2, ==, tb);
	g_free(tb2);
	g_assert_cmpint(token_key_copy(a, b, true, &error), ==, 1);
	tb2 = token_in(b);
	g_assert_cmpstr(tb2, ==, ta);
	g_assert_cmpuint(count_entries(b), ==, 1);

	g_free(tb2);
	g_free(tb);
	g_free(ta);
	remove_dir(a);
	remove_dir(b);
	remove_dir(empty);
}

#define ADD_TABLE(prefix, table, func)					\
	for (unsigned int i = 0; i < G_N_ELEMENTS(table); i++) {	\
		char *path = g_strdup_printf(prefix "/%u", i);		\
									\
		g_test_add_data_func(path, &table[i], func);		\
		g_free(path);						\
	}

int main(int argc, char *argv[])
{
	g_test_init(&argc, &argv, NULL);
	ADD_TABLE("/token/known", known_cases, test_known);
	ADD_TABLE("/token/round-trip", round_trip_ids, test_round_trip);
	ADD_TABLE("/token/forged", forged_cases, test_forged);
	ADD_TABLE("/token/other-key", other_keys, test_other_key);
	ADD_TABLE("/token/bad-key-file", bad_keys, test_bad_key);
	g_test_add_func("/token/flipped", test_flipped);
	g_test_add_func("/token/long-key", test_long_key);
	g_test_add_func("/token/key-file", test_key_file);
	g_test_add_func("/token/key-random", test_key_random);
	g_test_add_func("/token/key-race", test_key_race);
	g_test_add_func("/token/key-not-file", test_key_not_file);
	g_test_add_func("/token/key-no-dir", test_key_no_dir);
	g_test_add_func("/token/key-copy", test_key_copy);
	return g_test_run();
}
