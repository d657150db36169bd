/* bench-report: what a report costs on a big store.  Fills a store
   (without log syncs, to fill fast) with TICKETS tickets spread over
   2026, ten history events each (created, the customer's message, an
   agent's reply, pending, the customer again, open, a second reply,
   resolved, a rating, closed), reopens it with durable commits as the
   milter runs it, and times report_handle() for November and for the
   whole year, by queue and by day: wall time, and the time one batch
   of the store's reading holds its transaction on average (what mail
   arriving meanwhile may wait for).

   usage: bench-report [TICKETS]   (100000: a million events) */

#include "report.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>

#define YEAR_START 1767225600	/* 2026-01-01T00:00:00Z */
#define YEAR_SECONDS (365 * 86400)
#define EVENTS 10

static const char config_text[] =
	"[shopdesk]\n"
	"domain = shop.test\n"
	"state_dir = %s\n"
	"[queue sales]\n"
	"address = sales@shop.test\n"
	"timezone = Europe/Vilnius\n"
	"hours = mon-fri 09:00-18:00\n"
	"[queue support]\n"
	"address = support@shop.test\n"
	"timezone = America/New_York\n"
	"hours = 24/7\n";

struct fill {
	unsigned int from, to;	/* ticket numbers of this transaction */
	GRand *rand;
};

static GVariant *fields(const char *k1, const char *v1, const char *k2,
			const char *v2)
{
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
	if (k1 != NULL)
		g_variant_builder_add(&b, "{sv}", k1,
				      g_variant_new_string(v1));
	if (k2 != NULL)
		g_variant_builder_add(&b, "{sv}", k2,
				      g_variant_new_string(v2));
	return g_variant_builder_end(&b);
}

static int append(struct store_txn *txn, struct ticket *ticket, int64_t t,
		  const char *event, GVariant *f, char **error_r)
{
	struct ticket_event *ev = ticket_event_new(t, event, f);
	int ret = store_event_append(txn, ticket, ev, error_r);

	ticket_event_free(&ev);
	return ret;
}

static int fill_txn(struct store_txn *txn, void *context, char **error_r)
{
	struct fill *c = context;

	for (unsigned int n = c->from; n < c->to; n++) {
		struct ticket *ticket = ticket_new();
		int64_t t = YEAR_START + g_rand_int_range(c->rand, 0,
							  YEAR_SECONDS - 86400 * 20);
		const char *agent = n % 3 == 0 ? "bob@shop.test" :
			"ann@shop.test";
		GVariantBuilder b;
		int ret;

		g_free(ticket->queue);
		ticket->queue = g_strdup(n % 2 == 0 ? "sales" : "support");
		ticket->created = t;
		ticket->reply_by = t + 4 * 3600;
		g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
		g_variant_builder_add(&b, "{sv}", "score",
				      g_variant_new_int32(1 + n % 5));
		ret = store_ticket_create(txn, ticket, error_r);
		if (ret == 0)
			ret = append(txn, ticket, t, "created", NULL, error_r);
		if (ret == 0)
			ret = append(txn, ticket, t, "message",
				     fields("direction", "inbound", "from",
					    "customer@example.com"), error_r);
		t += g_rand_int_range(c->rand, 60, 2 * 86400);
		if (ret == 0)
			ret = append(txn, ticket, t, "message",
				     fields("direction", "outbound", "from",
					    agent), error_r);
		if (ret == 0)
			ret = append(txn, ticket, t, "status",
				     fields("from", "new", "to", "pending"),
				     error_r);
		t += g_rand_int_range(c->rand, 60, 86400);
		if (ret == 0)
			ret = append(txn, ticket, t, "message",
				     fields("direction", "inbound", "from",
					    "customer@example.com"), error_r);
		if (ret == 0)
			ret = append(txn, ticket, t, "status",
				     fields("from", "pending", "to", "open"),
				     error_r);
		t += g_rand_int_range(c->rand, 60, 86400);
		if (ret == 0)
			ret = append(txn, ticket, t, "message",
				     fields("direction", "outbound", "from",
					    agent), error_r);
		if (ret == 0)
			ret = append(txn, ticket, t, "status",
				     fields("from", "open", "to", "resolved"),
				     error_r);
		t += g_rand_int_range(c->rand, 60, 3 * 86400);
		if (ret == 0)
			ret = append(txn, ticket, t, "csat",
				     g_variant_builder_end(&b), error_r);
		else
			g_variant_builder_clear(&b);
		if (ret == 0)
			ret = append(txn, ticket, t, "status",
				     fields("from", "resolved", "to",
					    "closed"), error_r);
		if (ret == 0)
			ret = store_ticket_put(txn, ticket, error_r);
		ticket_free(&ticket);
		if (ret < 0)
			return -1;
	}
	return 0;
}

static double timed_report(struct store *store, const struct config *config,
			   const char *request)
{
	gint64 start = g_get_monotonic_time();
	JsonNode *reply = report_handle(store, config, request);
	double ms = (g_get_monotonic_time() - start) / 1000.0;
	JsonObject *o = json_node_get_object(reply);

	if (json_object_has_member(o, "error")) {
		fprintf(stderr, "bench-report: %s\n",
			json_object_get_string_member(o, "error"));
		exit(1);
	}
	json_node_unref(reply);
	return ms;
}

int main(int argc, char *argv[])
{
	unsigned int tickets = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000;
	char *dir = g_dir_make_tmp("bench-report-XXXXXX", NULL);
	char *conf = g_build_filename(dir, "shopdesk.conf", NULL);
	char *text = g_strdup_printf(config_text, dir);
	struct fill fill = { .rand = g_rand_new_with_seed(42) };
	struct config *config;
	struct store *store;
	char *error = NULL;
	unsigned int batches = (tickets + 255) / 256;
	gint64 start;
	static const char *const requests[] = {
		/* the store's reading alone: no ticket is of this queue */
		"report from=2026-11-01 to=2026-11-30 queue=none",
		"report from=2026-11-01 to=2026-11-30 by=queue",
		"report from=2026-11-01 to=2026-11-30 by=day",
		"report from=2026-01-01 to=2026-12-31 by=queue",
		"report from=2026-01-01 to=2026-12-31 by=week",
	};

	if (!g_file_set_contents(conf, text, -1, NULL) ||
	    config_load(conf, &config, &error) < 0 ||
	    store_open(dir, STORE_NOSYNC, &store, &error) < 0) {
		fprintf(stderr, "bench-report: %s\n", error);
		return 1;
	}
	start = g_get_monotonic_time();
	for (fill.from = 1; fill.from <= tickets; fill.from = fill.to) {
		fill.to = MIN(fill.from + 1000, tickets + 1);
		if (store_transaction(store, fill_txn, &fill, &error) < 0) {
			fprintf(stderr, "bench-report: %s\n", error);
			return 1;
		}
	}
	printf("filled %u tickets, %u history events, in %.1f s\n", tickets,
	       tickets * EVENTS, (g_get_monotonic_time() - start) / 1e6);
	store_close(&store);
	if (store_open(dir, 0, &store, &error) < 0) {
		fprintf(stderr, "bench-report: %s\n", error);
		return 1;
	}
	for (unsigned int i = 0; i < G_N_ELEMENTS(requests); i++) {
		double ms = timed_report(store, config, requests[i]);

		printf("%-48s %8.0f ms  (at most %.1f ms a transaction of 256 tickets)\n",
		       requests[i] + strlen("report "), ms, ms / batches);
	}
	store_close(&store);
	config_free(&config);
	g_rand_free(fill.rand);
	g_free(text);
	g_free(conf);
	/* the store's files */
	{
		GDir *d = g_dir_open(dir, 0, NULL);
		const char *name;

		while ((name = g_dir_read_name(d)) != NULL) {
			char *path = g_build_filename(dir, name, NULL);

			g_unlink(path);
			g_free(path);
		}
		g_dir_close(d);
		g_rmdir(dir);
	}
	g_free(dir);
	return 0;
}
