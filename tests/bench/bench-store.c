/* bench-store: what creating one ticket costs with a small and with a
   large store.  Fills a store to N tickets through intake (without log
   syncs, to fill fast), reopens it with durable commits as the milter
   runs it, creates SAMPLE/2 tickets untimed (a warm cache, as in a
   daemon that has run for a while) and times SAMPLE more; then grows the store
   to the large size and times again.  Prints both figures and their
   ratio (the target: the large store costs at most 1.2 times the small).

   usage: bench-store [SMALL [LARGE [SAMPLE]]]  (10000 1000000 2000) */

#include "intake.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>

static const char config_text[] =
	"[shopdesk]\n"
	"domain = shop.test\n"
	"state_dir = %s\n"
	"[queue sales]\n"
	"address = sales@shop.test\n";

struct bench {
	char *dir;
	struct config *config;
	struct token_key *key;
	struct store *store;
	unsigned long made;
};

static void open_store(struct bench *b, enum store_flags flags)
{
	char *error;

	if (store_open(b->dir, flags, &b->store, &error) < 0) {
		fprintf(stderr, "bench-store: %s\n", error);
		exit(1);
	}
}

/* Makes one new ticket the way the milter does; returns microseconds. */
static double one_ticket(struct bench *b)
{
	char sender[64], subject[64], message_id[64];
	const char *none[] = { NULL };
	struct intake_result r;
	char *error = NULL;
	gint64 start;

	b->made++;
	g_snprintf(sender, sizeof(sender), "customer%lu@example.com",
		   b->made);
	g_snprintf(subject, sizeof(subject), "Question number %lu", b->made);
	g_snprintf(message_id, sizeof(message_id), "%lu.%x@example.com",
		   b->made, g_random_int());
	struct intake_message msg = {
		.queue_id = "BENCH",
		.queue = "sales",
		.channel = "email",
		.message_id = message_id,
		.references = none,
		.tokens = none,
		.subject = subject,
		.from_name = "Customer",
		.from_address = sender,
		.snippet = "Hello, where is my order?",
		.now = g_get_real_time() / G_USEC_PER_SEC,
	};
	start = g_get_monotonic_time();
	if (intake_message(b->store, b->config, b->key, &msg, &r,
			   &error) < 0) {
		fprintf(stderr, "bench-store: intake: %s\n", error);
		g_free(error);
		exit(1);
	}
	if (!r.created) {
		fprintf(stderr, "bench-store: ticket %lu was not new\n",
			b->made);
		exit(1);
	}
	return g_get_monotonic_time() - start;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Grows the store to size tickets, then times sample creations. */
static double measure(struct bench *b, unsigned long size,
		      unsigned long sample)
{
	double *times = g_new(double, sample);
	double sum = 0;
	gint64 fill_start = g_get_monotonic_time();

	open_store(b, STORE_NOSYNC);
	while (b->made < size)
		one_ticket(b);
	store_close(&b->store);
	fprintf(stderr, "filled to %lu tickets in %.1f s\n", size,
		(g_get_monotonic_time() - fill_start) / 1e6);

	/* The milter runs for weeks: time the steady state, after the
	   first creations have brought the index pages into the cache. */
	open_store(b, 0);
	for (unsigned long i = 0; i < sample / 2; i++)
		one_ticket(b);
	for (unsigned long i = 0; i < sample; i++) {
		times[i] = one_ticket(b);
		sum += times[i];
	}
	store_close(&b->store);
	qsort(times, sample, sizeof(double), cmp_double);
	printf("store of %8lu tickets: create %.1f us mean, %.1f us p50, "
	       "%.1f us p99 (%lu samples)\n", size, sum / sample,
	       times[sample / 2], times[sample * 99 / 100], sample);
	g_free(times);
	return sum / sample;
}

static void remove_dir(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;

	while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
		char *path = g_build_filename(dir, name, NULL);

		g_unlink(path);
		g_free(path);
	}
	if (d != NULL)
		g_dir_close(d);
	g_rmdir(dir);
}

int main(int argc, char *argv[])
{
	unsigned long small = argc > 1 ? strtoul(argv[1], NULL, 10) : 10000;
	unsigned long large = argc > 2 ? strtoul(argv[2], NULL, 10) : 1000000;
	unsigned long sample = argc > 3 ? strtoul(argv[3], NULL, 10) : 2000;
	struct bench b = { 0 };
	char *path, *text, *error = NULL;
	double t_small, t_large;

	b.dir = g_dir_make_tmp("bench-store-XXXXXX", NULL);
	path = g_build_filename(b.dir, "shopdesk.conf", NULL);
	text = g_strdup_printf(config_text, b.dir);
	g_file_set_contents(path, text, -1, NULL);
	if (config_load(path, &b.config, &error) < 0) {
		fprintf(stderr, "bench-store: %s\n", error);
		return 1;
	}
	b.key = token_key_new("bench", 5);

	t_small = measure(&b, small, sample);
	t_large = measure(&b, large, sample);
	printf("ratio large/small: %.2f (target <= 1.20)\n",
	       t_large / t_small);
	remove_dir(b.dir);
	config_free(&b.config);
	token_key_free(&b.key);
	g_free(path);
	g_free(text);
	g_free(b.dir);
	return 0;
}
