/* Tests of reply tokens: round trip, forgeries of every shape, and the
   key file (created once, 0600, 32 bytes; reused; a damaged one refused). */

#include "token.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

static void test_round_trip(void)
{
	struct token_key *key = token_key_new("secret", 6);
	static const uint32_t ids[] = { 1, 9, 10, 12345, 4294967295u };

	for (unsigned int i = 0; i < G_N_ELEMENTS(ids); i++) {
		char *token = token_make(key, ids[i]);
		char *upper = g_ascii_strup(token, -1);
		uint32_t id = 0;

		g_assert_true(strspn(token, "0123456789abcdefk") ==
			      strlen(token));
		g_assert_cmpint(token_parse(key, token, strlen(token), &id),
				==, 1);
		g_assert_cmpuint(id, ==, ids[i]);
		/* MTAs may fold the case of a local part */
		g_assert_cmpint(token_parse(key, upper, strlen(upper), &id),
				==, 1);
		g_free(upper);
		g_free(token);
	}
	token_key_free(&key);
	g_assert_null(key);
}

static void test_forgeries(void)
{
	struct token_key *key = token_key_new("secret", 6);
	struct token_key *other = token_key_new("secreT", 6);
	char *good = token_make(key, 12);
	char *foreign = token_make(other, 12);
	char *mac = strchr(good, 'k') + 1;
	char *tokens[] = {
		foreign,				/* another key */
		g_strdup_printf("13k%s", mac),		/* another id */
		g_strdup_printf("012k%s", mac),		/* leading zero */
		g_strdup_printf("12k%.15s", mac),	/* short MAC */
		g_strdup_printf("12k%s0", mac),		/* long MAC */
		g_strdup_printf("12x%s", mac),		/* wrong letter */
		g_strdup_printf("k%s", mac),		/* no id */
		g_strdup_printf("0k%s", mac),		/* id 0 */
		g_strdup_printf("4294967308k%s", mac),	/* 2^32 + 12 */
		g_strdup("12k"),
		g_strdup(""),
		g_strdup("12kzzzzzzzzzzzzzzzz"),
	};
	uint32_t id = 0;

	for (unsigned int i = 0; i < G_N_ELEMENTS(tokens); i++) {
		if (token_parse(key, tokens[i], strlen(tokens[i]), &id) != 0)
			g_error("forged token \"%s\" accepted", tokens[i]);
		g_free(tokens[i]);
	}
	/* one flipped MAC digit */
	mac[5] = mac[5] == '0' ? '1' : '0';
	g_assert_cmpint(token_parse(key, good, strlen(good), &id), ==, 0);
	/* a token is checked by length, not up to a NUL */
	mac[5] = '\0';
	g_assert_cmpint(token_parse(key, good, 2, &id), ==, 0);
	g_free(good);
	token_key_free(&key);
	token_key_free(&other);
}

static void test_key_file(void)
{
	char *dir = g_dir_make_tmp("test-token-XXXXXX", NULL);
	char *path = g_build_filename(dir, "token.key", NULL);
	struct token_key *first = NULL, *second = NULL;
	char *error = NULL, *token1, *token2;
	GStatBuf st;

	g_assert_cmpint(token_key_load(dir, &first, &error), ==, 0);
	g_assert_cmpint(g_stat(path, &st), ==, 0);
	g_assert_cmpint(st.st_size, ==, 32);
	g_assert_cmpint(st.st_mode & 0777, ==, 0600);
	g_assert_cmpint(token_key_load(dir, &second, &error), ==, 0);
	token1 = token_make(first, 5);
	token2 = token_make(second, 5);
	g_assert_cmpstr(token1, ==, token2);	/* the same key again */

	g_assert_true(g_file_set_contents(path, "short", -1, NULL));
	token_key_free(&second);
	g_assert_cmpint(token_key_load(dir, &second, &error), ==, -1);
	g_assert_nonnull(strstr(error, "token.key"));
	g_assert_null(second);
	g_free(error);

	token_key_free(&first);
	g_free(token1);
	g_free(token2);
	g_unlink(path);
	g_rmdir(dir);
	g_free(path);
	g_free(dir);
}

int main(int argc, char *argv[])
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/token/round-trip", test_round_trip);
	g_test_add_func("/token/forgeries", test_forgeries);
	g_test_add_func("/token/key-file", test_key_file);
	return g_test_run();
}
