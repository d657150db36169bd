/* Tests of the spool: durable put and claim, idempotency keys,
   deferral, dead letters, and the return of items a crashed consumer
   had claimed. */

#include "spool.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <stdbool.h>
#include <string.h>

struct fixture {
	char *dir;
	struct spool *spool;
};

static void setup(struct fixture *fx, gconstpointer data)
{
	char *error = NULL;

	fx->dir = g_dir_make_tmp("test-spool-XXXXXX", NULL);
	if (spool_open(fx->dir, true, &fx->spool, &error) < 0)
		g_error("%s", error);
}

static void teardown(struct fixture *fx, gconstpointer data)
{
	char *command = g_strdup_printf("rm -rf '%s'", fx->dir);

	spool_close(&fx->spool);
	g_spawn_command_line_sync(command, NULL, NULL, NULL, NULL);
	g_free(command);
	g_free(fx->dir);
}

static int64_t now(void)
{
	return g_get_real_time() / G_USEC_PER_SEC;
}

static unsigned int count(const struct fixture *fx, const char *sub)
{
	char *path = g_build_filename(fx->dir, sub, NULL);
	GDir *d = g_dir_open(path, 0, NULL);
	unsigned int n = 0;

	while (d != NULL && g_dir_read_name(d) != NULL)
		n++;
	if (d != NULL)
		g_dir_close(d);
	g_free(path);
	return n;
}

static void test_put_claim_done(struct fixture *fx, gconstpointer data)
{
	struct spool_item *item = NULL;
	char *error = NULL;

	g_assert_cmpint(spool_put(fx->spool, "ack.12", "hello", 5, &error),
			==, 1);
	g_assert_cmpuint(count(fx, "new"), ==, 1);
	g_assert_cmpuint(count(fx, "tmp"), ==, 0);
	g_assert_cmpint(spool_claim(fx->spool, now(), &item, &error), ==, 1);
	g_assert_cmpstr(item->key, ==, "ack.12");
	g_assert_cmpstr(item->data, ==, "hello");
	g_assert_cmpuint(item->size, ==, 5);
	g_assert_cmpuint(count(fx, "cur"), ==, 1);
	g_assert_cmpint(spool_done(fx->spool, &item, &error), ==, 0);
	g_assert_null(item);
	g_assert_cmpint(spool_claim(fx->spool, now(), &item, &error), ==, 0);
	g_assert_cmpuint(count(fx, "cur") + count(fx, "new"), ==, 0);
}

static void test_idempotent(struct fixture *fx, gconstpointer data)
{
	struct spool_item *item = NULL;
	char *error = NULL;

	g_assert_cmpint(spool_put(fx->spool, "k", "one", 3, &error), ==, 1);
	g_assert_cmpint(spool_put(fx->spool, "k", "two", 3, &error), ==, 0);
	g_assert_cmpint(spool_claim(fx->spool, now(), &item, &error), ==, 1);
	/* in progress: still the same item */
	g_assert_cmpint(spool_put(fx->spool, "k", "three", 5, &error), ==, 0);
	g_assert_cmpstr(item->data, ==, "one");
	g_assert_cmpint(spool_done(fx->spool, &item, &error), ==, 0);
	/* done: a producer repeating the put after a crash sends nothing
	   twice */
	g_assert_cmpuint(count(fx, "done"), ==, 1);
	g_assert_cmpint(spool_put(fx->spool, "k", "four", 4, &error), ==, 0);
	g_assert_cmpint(spool_claim(fx->spool, now(), &item, &error), ==, 0);
}

static void test_defer_and_order(struct fixture *fx, gconstpointer data)
{
	struct spool_item *item = NULL;
	char *error = NULL;
	int64_t t = now();

	g_assert_cmpint(spool_put(fx->spool, "a", "a", 1, &error), ==, 1);
	g_assert_cmpint(spool_claim(fx->spool, t, &item, &error), ==, 1);
	g_assert_cmpint(spool_defer(fx->spool, &item, t + 100, &error), ==,
			0);
	g_assert_cmpint(spool_claim(fx->spool, t + 99, &item, &error), ==, 0);
	g_assert_cmpint(spool_put(fx->spool, "b", "b", 1, &error), ==, 1);
	/* b is ready, a is not yet */
	g_assert_cmpint(spool_claim(fx->spool, t + 1, &item, &error), ==, 1);
	g_assert_cmpstr(item->key, ==, "b");
	g_assert_cmpint(spool_defer(fx->spool, &item, t + 200, &error), ==,
			0);
	/* both ready: the one that waited longest first */
	g_assert_cmpint(spool_claim(fx->spool, t + 300, &item, &error), ==, 1);
	g_assert_cmpstr(item->key, ==, "a");
	g_assert_cmpint(item->not_before, ==, t + 100);
	g_assert_cmpint(spool_bury(fx->spool, &item, &error), ==, 0);
	g_assert_cmpuint(count(fx, "dead"), ==, 1);
	g_assert_cmpint(spool_claim(fx->spool, t + 300, &item, &error), ==, 1);
	g_assert_cmpstr(item->key, ==, "b");
	g_assert_cmpint(spool_done(fx->spool, &item, &error), ==, 0);
}

static void test_crash_returns_items(struct fixture *fx, gconstpointer data)
{
	struct spool_item *item = NULL;
	char *error = NULL;

	g_assert_cmpint(spool_put(fx->spool, "x", "x", 1, &error), ==, 1);
	g_assert_cmpint(spool_claim(fx->spool, now(), &item, &error), ==, 1);
	/* the consumer dies here, item claimed and not done */
	spool_item_free(&item);
	spool_close(&fx->spool);
	/* a producer opening the spool leaves cur/ alone */
	g_assert_cmpint(spool_open(fx->dir, false, &fx->spool, &error), ==, 0);
	g_assert_cmpuint(count(fx, "cur"), ==, 1);
	spool_close(&fx->spool);
	g_assert_cmpint(spool_open(fx->dir, true, &fx->spool, &error), ==, 0);
	g_assert_cmpuint(count(fx, "cur"), ==, 0);
	g_assert_cmpint(spool_claim(fx->spool, now(), &item, &error), ==, 1);
	g_assert_cmpstr(item->key, ==, "x");
	g_assert_cmpint(spool_done(fx->spool, &item, &error), ==, 0);
}

static void test_bad_keys(struct fixture *fx, gconstpointer data)
{
	static const char *const keys[] = {
		"", ".hidden", "a/b", "../x", "sp ace", "new\nline",
	};
	char *long_key = g_strnfill(201, 'k');
	char *error = NULL;

	for (unsigned int i = 0; i < G_N_ELEMENTS(keys); i++) {
		g_assert_cmpint(spool_put(fx->spool, keys[i], "x", 1, &error),
				==, -1);
		g_free(error);
	}
	g_assert_cmpint(spool_put(fx->spool, long_key, "x", 1, &error), ==,
			-1);
	g_free(error);
	g_free(long_key);
	g_assert_cmpuint(count(fx, "new") + count(fx, "tmp"), ==, 0);
}

/* Progress written into a claimed item survives a crash. */
static void test_update(struct fixture *fx, gconstpointer data)
{
	struct spool_item *item = NULL;
	char *error = NULL;

	g_assert_cmpint(spool_put(fx->spool, "m", "part0", 5, &error), ==, 1);
	g_assert_cmpint(spool_claim(fx->spool, now(), &item, &error), ==, 1);
	g_assert_cmpint(spool_update(fx->spool, item, "part1+", 6, &error),
			==, 0);
	g_assert_cmpstr(item->data, ==, "part1+");
	g_assert_cmpuint(item->size, ==, 6);
	g_assert_cmpuint(count(fx, "tmp"), ==, 0);
	spool_item_free(&item);
	spool_close(&fx->spool);	/* crash */
	g_assert_cmpint(spool_open(fx->dir, true, &fx->spool, &error), ==, 0);
	g_assert_cmpint(spool_claim(fx->spool, now(), &item, &error), ==, 1);
	g_assert_cmpstr(item->data, ==, "part1+");
	g_assert_cmpint(spool_done(fx->spool, &item, &error), ==, 0);
}

static bool listed(GPtrArray *list, const char *key, int64_t not_before)
{
	for (unsigned int i = 0; i < list->len; i++) {
		const struct spool_entry *e = list->pdata[i];

		if (strcmp(e->key, key) == 0)
			return not_before < 0 || e->not_before == not_before;
	}
	return false;
}

/* What an admin sees and does: list, peek, retry, drop. */
static void test_admin(struct fixture *fx, gconstpointer data)
{
	struct spool_item *item = NULL;
	char *error = NULL, *peeked = NULL;
	int64_t t = now();
	GPtrArray *list;
	size_t size;

	g_assert_cmpint(spool_put(fx->spool, "msg.tg.1.a", "a", 1, &error),
			==, 1);
	g_assert_cmpint(spool_put(fx->spool, "msg.tg.1.b", "b", 1, &error),
			==, 1);
	g_assert_cmpint(spool_put(fx->spool, "ack.1", "c", 1, &error), ==, 1);
	list = spool_list(fx->spool, SPOOL_WAITING, "msg.tg.1.");
	g_assert_cmpuint(list->len, ==, 2);
	g_ptr_array_unref(list);
	g_assert_cmpint(spool_peek(fx->spool, "msg.tg.1.b", &peeked, &size,
				   &error), ==, 1);
	g_assert_cmpstr(peeked, ==, "b");
	g_free(peeked);
	g_assert_cmpint(spool_peek(fx->spool, "nope", &peeked, &size, &error),
			==, 0);

	/* a deferred item comes back ready now */
	while (spool_claim(fx->spool, t, &item, &error) == 1 &&
	       strcmp(item->key, "msg.tg.1.a") != 0)
		g_assert_cmpint(spool_defer(fx->spool, &item, t + 1000,
					    &error), ==, 0);
	g_assert_nonnull(item);
	g_assert_cmpint(spool_defer(fx->spool, &item, t + 500, &error), ==, 0);
	list = spool_list(fx->spool, SPOOL_WAITING, "");
	g_assert_true(listed(list, "msg.tg.1.a", t + 500));
	g_ptr_array_unref(list);
	g_assert_cmpint(spool_retry(fx->spool, "msg.tg.1.a", t, &error), ==,
			1);
	g_assert_cmpint(spool_claim(fx->spool, t, &item, &error), ==, 1);
	g_assert_cmpstr(item->key, ==, "msg.tg.1.a");
	/* in progress: neither retry nor drop touches it */
	g_assert_cmpint(spool_retry(fx->spool, "msg.tg.1.a", t, &error), ==,
			0);
	g_assert_cmpint(spool_drop(fx->spool, "msg.tg.1.a", &error), ==, 0);
	g_assert_cmpint(spool_bury(fx->spool, &item, &error), ==, 0);
	list = spool_list(fx->spool, SPOOL_DEAD, "");
	g_assert_true(listed(list, "msg.tg.1.a", -1));
	g_ptr_array_unref(list);

	/* a dead item retried is claimed again */
	g_assert_cmpint(spool_retry(fx->spool, "msg.tg.1.a", t, &error), ==,
			1);
	g_assert_cmpuint(count(fx, "dead"), ==, 0);
	g_assert_cmpint(spool_claim(fx->spool, t, &item, &error), ==, 1);
	g_assert_cmpstr(item->key, ==, "msg.tg.1.a");
	g_assert_cmpint(spool_bury(fx->spool, &item, &error), ==, 0);

	/* dropped: gone, and a repeated put does not revive it */
	g_assert_cmpint(spool_drop(fx->spool, "msg.tg.1.a", &error), ==, 1);
	g_assert_cmpint(spool_drop(fx->spool, "msg.tg.1.b", &error), ==, 1);
	g_assert_cmpint(spool_drop(fx->spool, "msg.tg.1.b", &error), ==, 0);
	g_assert_cmpuint(count(fx, "dead"), ==, 0);
	g_assert_cmpint(spool_put(fx->spool, "msg.tg.1.a", "a", 1, &error),
			==, 0);
	list = spool_list(fx->spool, SPOOL_WAITING, "msg.");
	g_assert_cmpuint(list->len, ==, 0);
	g_ptr_array_unref(list);
	g_assert_cmpint(spool_retry(fx->spool, "../x", t, &error), ==, 0);
}

int main(int argc, char *argv[])
{
	g_test_init(&argc, &argv, NULL);
	g_test_add("/spool/put-claim-done", struct fixture, NULL, setup,
		   test_put_claim_done, teardown);
	g_test_add("/spool/idempotent", struct fixture, NULL, setup,
		   test_idempotent, teardown);
	g_test_add("/spool/defer-and-order", struct fixture, NULL, setup,
		   test_defer_and_order, teardown);
	g_test_add("/spool/crash-returns-items", struct fixture, NULL, setup,
		   test_crash_returns_items, teardown);
	g_test_add("/spool/bad-keys", struct fixture, NULL, setup,
		   test_bad_keys, teardown);
	g_test_add("/spool/update", struct fixture, NULL, setup, test_update,
		   teardown);
	g_test_add("/spool/admin", struct fixture, NULL, setup, test_admin,
		   teardown);
	return g_test_run();
}
