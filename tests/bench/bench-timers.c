/* bench-timers: what the SLA timers cost with many open tickets, and
   how late their mail is.  Fills a store through intake (without log
   syncs, to fill fast) with tickets whose promises run, their warnings
   and reply-by times spread over the next three days, reopens it with
   durable commits as the milter runs it, and measures:
   1. a tick with nothing due (timers_run before every due time), with
      a small and with a large store: wall time and the pages the
      store's cache handed out, over TICKS ticks;
   2. ticks that fire 1, 10 and 100 due timers: the cost per timer (a
      store transaction and an outbox item, each synced: three syncs),
      its CPU time, and what the scan of the index takes of the tick;
   3. the delay between a due time and the mail in the outbox: tickets
      are made to fall due on the real clock, 100 over 10 seconds (the
      worker's cadence alone) and DUE over 5 seconds (a storm: more
      than a round fires), the milter's own worker threads
      (milter/worker.c: a timers_run round every 250 ms) run against
      the store, and inotify stamps each item as it enters outbox/new,
      where the bridge picks it up.
   The log lines of the fired timers go to stderr.

   usage: bench-timers [SMALL [LARGE [TICKS [DUE]]]]
   (1000 100000 1000 1000); top_srcdir locates the templates. */

#include "intake.h"
#include "settings.h"
#include "timers.h"
#include "worker.h"

#include <glib/gstdio.h>
#include <gmime/gmime.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/inotify.h>
#include <unistd.h>

#define HOUR 3600
#define DAY 86400
#define SPREAD_DAYS 3
#define DUE_WAIT 60	/* seconds after the last due time to give up */
#define FIRED 1400	/* part 2 fires them, one ticket each at most */

static const char config_text[] =
	"[shopdesk]\n"
	"domain = shop.test\n"
	"state_dir = %s\n"
	"spool_dir = %s/spool\n"
	"templates_dir = %s\n"
	"ticket_tag = Ticket\n"
	"[queue sales]\n"
	"address = sales@shop.test\n"
	"name = Sales\n"
	"hours = 24/7\n"
	"escalate_to = lead@shop.test\n";

struct bench {
	char *dir;
	struct config *config;
	struct token_key *key;
	struct store *store;
	struct spool *outbox;
	struct timers *timers;
	GRand *rand;
	int64_t start;		/* every timer falls due after it */
	unsigned long made;
};

static G_GNUC_NORETURN void die(const char *what, char *error)
{
	fprintf(stderr, "bench-timers: %s: %s\n", what, error);
	exit(1);
}

static int64_t real_now(void)
{
	return g_get_real_time() / G_USEC_PER_SEC;
}

/* CPU time of the process in microseconds */
static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double percentile(const double *sorted, unsigned int n,
			 unsigned int p)
{
	return sorted[(n - 1) * p / 100];
}

/* What a synced write costs on the store's disk just now, the median
   of 21 in milliseconds: a timer that sends mail syncs three times (the
   outbox item, its directory, the store's log), which bounds how fast
   timers fire; on a shared machine it changes from minute to minute. */
static double sync_ms(const struct bench *b)
{
	char *path = g_build_filename(b->dir, "sync-probe", NULL);
	char block[512] = { 0 };
	double times[21];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0) {
		fprintf(stderr, "bench-timers: %s: %s\n", path,
			g_strerror(errno));
		exit(1);
	}
	for (unsigned int i = 0; i < G_N_ELEMENTS(times); i++) {
		gint64 t0 = g_get_monotonic_time();

		if (pwrite(fd, block, sizeof(block), 0) != sizeof(block) ||
		    fsync(fd) < 0) {
			fprintf(stderr, "bench-timers: %s: %s\n", path,
				g_strerror(errno));
			exit(1);
		}
		times[i] = (g_get_monotonic_time() - t0) / 1000.0;
	}
	close(fd);
	g_unlink(path);
	g_free(path);
	qsort(times, G_N_ELEMENTS(times), sizeof(double), cmp_double);
	return times[G_N_ELEMENTS(times) / 2];
}

static void open_store(struct bench *b, enum store_flags flags)
{
	char *outbox = g_build_filename(b->config->spool_dir, "outbox", NULL);
	char *error = NULL;

	if (store_open(b->dir, flags, &b->store, &error) < 0 ||
	    spool_open(outbox, false, &b->outbox, &error) < 0 ||
	    timers_open(b->config, b->store, b->outbox, &b->timers,
			&error) < 0)
		die("open", error);
	g_free(outbox);
}

static void close_store(struct bench *b)
{
	timers_close(&b->timers);
	spool_close(&b->outbox);
	store_close(&b->store);
}

/* One new ticket the way the milter makes it, created at b->start,
   whose reply-by falls between an hour and three days later, its
   warning at 80 % of the way. */
static void one_ticket(struct bench *b)
{
	char sender[64], subject[64], message_id[64];
	const char *none[] = { NULL };
	int64_t promise = HOUR + g_rand_int_range(b->rand, 0,
						  SPREAD_DAYS * DAY - HOUR);
	struct intake_result r;
	char *error = NULL;

	b->made++;
	g_snprintf(sender, sizeof(sender), "customer%lu@example.com",
		   b->made);
	g_snprintf(subject, sizeof(subject), "Question number %lu", b->made);
	g_snprintf(message_id, sizeof(message_id), "%lu.bench@example.com",
		   b->made);
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
		.date = b->start,
		.snippet = "Hello, where is my order?",
		.now = b->start,
		.reply_by = b->start + promise,
		.warn_at = b->start + promise * 4 / 5,
	};
	if (intake_message(b->store, b->config, b->key, &msg, &r,
			   &error) < 0)
		die("intake", error);
	if (!r.created) {
		fprintf(stderr, "bench-timers: ticket %lu was not new\n",
			b->made);
		exit(1);
	}
}

static void fill(struct bench *b, unsigned long size)
{
	gint64 start = g_get_monotonic_time();

	open_store(b, STORE_NOSYNC);
	while (b->made < size)
		one_ticket(b);
	close_store(b);
	fprintf(stderr, "filled to %lu tickets in %.1f s\n", size,
		(g_get_monotonic_time() - start) / 1e6);
}

/* the pages the store's cache handed out so far, and in *read_r those
   it read from disk (NULL: not wanted) */
static uint64_t pages(struct bench *b, uint64_t *read_r)
{
	uint64_t requested, read;
	char *error = NULL;

	if (store_cache_stat(b->store, &requested, &read, &error) < 0)
		die("store_cache_stat", error);
	if (read_r != NULL)
		*read_r = read;
	return requested;
}

static unsigned int tick(struct bench *b, int64_t now, unsigned int max)
{
	unsigned int fired;
	char *error = NULL;

	if (timers_run(b->timers, now, max, &fired, &error) < 0)
		die("timers_run", error);
	return fired;
}

/* 1. Ticks with nothing due, as the timers thread makes four times a
   second nearly always; returns the median in microseconds (the
   machine may be shared: the mean takes a neighbour's load). */
static double idle(struct bench *b, unsigned int ticks)
{
	double *times = g_new(double, ticks);
	double sum = 0, p50;
	uint64_t before;

	open_store(b, 0);
	/* warm, as in a milter that has run a while */
	for (unsigned int i = 0; i < ticks / 10; i++)
		tick(b, b->start, 100);
	before = pages(b, NULL);
	for (unsigned int i = 0; i < ticks; i++) {
		gint64 t0 = g_get_monotonic_time();

		if (tick(b, b->start, 100) != 0) {
			fprintf(stderr, "bench-timers: a timer fired "
				"before its time\n");
			exit(1);
		}
		times[i] = g_get_monotonic_time() - t0;
		sum += times[i];
	}
	qsort(times, ticks, sizeof(double), cmp_double);
	p50 = percentile(times, ticks, 50);
	printf("store of %7lu tickets: idle tick %5.1f us p50, %6.1f us p99, "
	       "%6.1f us mean, %.1f cache pages (%u ticks)\n", b->made, p50,
	       percentile(times, ticks, 99), sum / ticks,
	       (double)(pages(b, NULL) - before) / ticks, ticks);
	close_store(b);
	g_free(times);
	return p50;
}

struct scan_context {
	int64_t until;
	unsigned int max;
	GArray *due;
};

static int scan_txn(struct store_txn *txn, void *context, char **error_r)
{
	struct scan_context *c = context;

	g_clear_pointer(&c->due, g_array_unref);
	return store_timers_due(txn, c->until, c->max, &c->due, error_r);
}

/* 2. Ticks that each fire n timers: the earliest n of those left, at
   the time the last of them falls due. */
static void fire(struct bench *b, unsigned int n, unsigned int rounds)
{
	struct scan_context scan = { .until = b->start + SPREAD_DAYS * DAY,
				     .max = n };
	double *times = g_new(double, rounds);
	double sum = 0, scan_sum = 0, cpu = 0;
	uint64_t scan_pages = 0, tick_pages = 0, tick_reads = 0;
	char *error = NULL;

	for (unsigned int i = 0; i < rounds; i++) {
		gint64 t0 = g_get_monotonic_time();
		uint64_t p0 = pages(b, NULL), r0, r1;
		int64_t now;

		/* the scan alone, as timers_run starts with it */
		if (store_transaction(b->store, scan_txn, &scan, &error) < 0)
			die("scan", error);
		scan_sum += g_get_monotonic_time() - t0;
		scan_pages += pages(b, NULL) - p0;
		if (scan.due->len < n) {
			fprintf(stderr, "bench-timers: fewer than %u timers "
				"left\n", n);
			exit(1);
		}
		/* the time the n-th falls due */
		now = g_array_index(scan.due, struct store_timer, n - 1).due;
		p0 = pages(b, &r0);
		cpu -= cpu_now();
		t0 = g_get_monotonic_time();
		if (tick(b, now, n) != n) {
			fprintf(stderr, "bench-timers: fewer than %u timers "
				"fired\n", n);
			exit(1);
		}
		times[i] = (g_get_monotonic_time() - t0) / 1000.0;
		cpu += cpu_now();
		sum += times[i];
		tick_pages += pages(b, &r1) - p0;
		tick_reads += r1 - r0;
	}
	g_clear_pointer(&scan.due, g_array_unref);
	qsort(times, rounds, sizeof(double), cmp_double);
	printf("tick firing %3u: %7.1f ms p50, %7.1f ms mean; per timer "
	       "%5.2f ms, %4.2f ms CPU, %4.1f cache pages (%.1f from disk); "
	       "the scan alone %6.1f us, %5.1f pages (%u ticks)\n", n,
	       percentile(times, rounds, 50), sum / rounds, sum / rounds / n,
	       cpu / 1000 / rounds / n, (double)tick_pages / rounds / n,
	       (double)tick_reads / rounds / n, scan_sum / rounds,
	       (double)scan_pages / rounds, rounds);
	g_free(times);
}

/* 3. The delay from due time to outbox, through the milter's worker. */

struct watch {
	int fd;			/* inotify on outbox/new */
	int64_t from;		/* counts timers due at or after it */
	unsigned int want;
	GArray *delays;		/* double, ms */
	GMutex lock;
	GCond done;
	bool stop;
};

/* "timer.sla_warn.ID.DUE": the due time, or 0 for another item */
static int64_t key_due(const char *key)
{
	const char *dot = strrchr(key, '.');

	if (!g_str_has_prefix(key, "timer.sla_warn.") || dot == NULL)
		return 0;
	return g_ascii_strtoll(dot + 1, NULL, 10);
}

static gpointer watch_main(gpointer data)
{
	struct watch *w = data;
	char buf[64 * 1024]
		__attribute__((aligned(__alignof__(struct inotify_event))));
	struct pollfd pfd = { .fd = w->fd, .events = POLLIN };

	for (;;) {
		ssize_t len;
		gint64 seen;

		g_mutex_lock(&w->lock);
		if (w->stop || w->delays->len >= w->want) {
			g_cond_signal(&w->done);
			g_mutex_unlock(&w->lock);
			return NULL;
		}
		g_mutex_unlock(&w->lock);
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		len = read(w->fd, buf, sizeof(buf));
		seen = g_get_real_time();
		for (char *p = buf; len > 0 && p < buf + len;) {
			const struct inotify_event *ev = (void *)p;
			int64_t due = ev->len > 0 ? key_due(ev->name) : 0;

			if (due >= w->from) {
				double ms = (seen - due * G_USEC_PER_SEC) /
					1000.0;

				g_mutex_lock(&w->lock);
				g_array_append_val(w->delays, ms);
				g_mutex_unlock(&w->lock);
			}
			p += sizeof(*ev) + ev->len;
		}
	}
}

struct soon_context {
	uint32_t next;		/* the ticket to look at next (going down) */
	unsigned int done, count, want;
	int64_t base;
	int seconds;		/* they fall due over it */
};

/* Brings the warnings of the next tickets (from the newest down) whose
   promise still runs to base .. base + seconds, evenly. */
static int soon_txn(struct store_txn *txn, void *context, char **error_r)
{
	struct soon_context *c = context;
	uint32_t id = c->next;
	unsigned int done = c->done;

	for (unsigned int n = 0; n < c->count && done < c->want && id > 0;
	     id--) {
		struct ticket *ticket;
		int ret = store_ticket_get(txn, id, &ticket, error_r);

		if (ret < 0)
			return -1;
		if (ret == 0)
			continue;
		if (ticket->sla == SLA_OK) {
			ticket->warn_at = c->base +
				(int64_t)done * c->seconds / c->want;
			ret = store_ticket_put(txn, ticket, error_r);
			done++;
			n++;
		}
		ticket_free(&ticket);
		if (ret < 0)
			return -1;
	}
	/* at the end only: after a deadlock it runs again from the start */
	c->next = id;
	c->done = done;
	return 0;
}

static void delay(struct bench *b, unsigned int want, int seconds)
{
	struct soon_context soon = { .next = b->made, .count = 100,
				     .want = want, .seconds = seconds };
	struct watch w = { .want = want };
	char *dir = g_build_filename(b->config->spool_dir, "outbox", "new",
				     NULL);
	struct worker *worker;
	struct config *own;
	GThread *watcher;
	double *delays, sum = 0;
	char *error = NULL, *conf;
	gint64 deadline;
	unsigned int n;

	open_store(b, 0);
	soon.base = real_now() + 3;
	while (soon.done < want && soon.next > 0) {
		if (store_transaction(b->store, soon_txn, &soon, &error) < 0)
			die("make timers due", error);
	}
	if (soon.done < want) {
		fprintf(stderr, "bench-timers: only %u tickets to make due\n",
			soon.done);
		exit(1);
	}
	if (real_now() >= soon.base) {
		fprintf(stderr, "bench-timers: the set-up of part 3 took "
			"too long\n");
		exit(1);
	}
	w.from = soon.base;
	w.delays = g_array_new(FALSE, FALSE, sizeof(double));
	g_mutex_init(&w.lock);
	g_cond_init(&w.done);
	w.fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (w.fd < 0 || inotify_add_watch(w.fd, dir, IN_MOVED_TO) < 0) {
		fprintf(stderr, "bench-timers: inotify %s: %s\n", dir,
			g_strerror(errno));
		exit(1);
	}
	watcher = g_thread_new("watch", watch_main, &w);
	/* the worker takes its settings as in the milter: their own copy
	   of the configuration, which settings_stop() frees */
	conf = g_build_filename(b->dir, "shopdesk.conf", NULL);
	if (config_load(conf, &own, &error) < 0 ||
	    settings_start(own, b->store, b->key, &error) < 0)
		die(conf, error);
	g_free(conf);
	if (worker_start(b->config, b->store, &worker, &error) < 0)
		die("worker_start", error);

	deadline = g_get_monotonic_time() +
		(soon.base + seconds + DUE_WAIT - real_now()) *
		G_USEC_PER_SEC;
	g_mutex_lock(&w.lock);
	while (w.delays->len < want &&
	       g_cond_wait_until(&w.done, &w.lock, deadline))
		;
	w.stop = true;
	n = w.delays->len;
	g_mutex_unlock(&w.lock);
	g_thread_join(watcher);
	worker_stop(&worker);
	settings_stop();
	close(w.fd);
	close_store(b);

	if (n == 0) {
		fprintf(stderr, "bench-timers: no timer fired\n");
		exit(1);
	}
	delays = (double *)w.delays->data;
	qsort(delays, n, sizeof(double), cmp_double);
	for (unsigned int i = 0; i < n; i++)
		sum += delays[i];
	printf("%4u of %4u warnings due over %2d s in the outbox: delay "
	       "after the due time %5.0f ms p50, %5.0f ms p99, %5.0f ms max, "
	       "%5.0f ms mean\n", n, want, seconds,
	       percentile(delays, n, 50), percentile(delays, n, 99),
	       delays[n - 1], sum / n);
	g_array_unref(w.delays);
	g_mutex_clear(&w.lock);
	g_cond_clear(&w.done);
	g_free(dir);
}

static void remove_tree(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;

	while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
		char *path = g_build_filename(dir, name, NULL);

		if (g_file_test(path, G_FILE_TEST_IS_DIR))
			remove_tree(path);
		else
			g_unlink(path);
		g_free(path);
	}
	if (d != NULL)
		g_dir_close(d);
	g_rmdir(dir);
}

/* the store and spool: a hundred megabytes, gone however it ends */
static char *bench_dir;

static void remove_bench_dir(void)
{
	remove_tree(bench_dir);
	g_free(bench_dir);
}

int main(int argc, char *argv[])
{
	unsigned long small = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000;
	unsigned long large = argc > 2 ? strtoul(argv[2], NULL, 10) : 100000;
	unsigned int ticks = argc > 3 ? strtoul(argv[3], NULL, 10) : 1000;
	unsigned int due = argc > 4 ? strtoul(argv[4], NULL, 10) : 1000;
	const char *top = g_getenv("top_srcdir");
	struct bench b = { 0 };
	char *path, *text, *templates, *error = NULL;
	double t_small, t_large;

	if (small == 0 || large < small || ticks < 10 || due == 0 ||
	    large < FIRED + 100 + due) {
		fprintf(stderr, "usage: bench-timers [SMALL [LARGE [TICKS "
			"[DUE]]]]  (LARGE at least %u + DUE)\n",
			FIRED + 100);
		return 2;
	}
	/* each figure as soon as it is known: the run takes minutes */
	setvbuf(stdout, NULL, _IOLBF, 0);
	b.dir = g_dir_make_tmp("bench-timers-XXXXXX", NULL);
	bench_dir = g_strdup(b.dir);
	atexit(remove_bench_dir);
	templates = g_build_filename(top != NULL ? top : ".", "templates",
				     NULL);
	path = g_build_filename(b.dir, "shopdesk.conf", NULL);
	text = g_strdup_printf(config_text, b.dir, b.dir, templates);
	g_file_set_contents(path, text, -1, NULL);
	if (config_load(path, &b.config, &error) < 0)
		die(path, error);
	g_mime_init();
	b.key = token_key_new("bench", 5);
	b.rand = g_rand_new_with_seed(1);
	b.start = real_now();

	fill(&b, small);
	t_small = idle(&b, ticks);
	fill(&b, large);
	t_large = idle(&b, ticks);
	printf("ratio large/small (p50): %.2f\n", t_large / t_small);

	printf("a synced write on the store's disk now: %.2f ms p50 (a timer "
	       "syncs three times)\n", sync_ms(&b));
	open_store(&b, 0);
	/* FIRED timers in all */
	fire(&b, 1, 100);
	fire(&b, 10, 30);
	fire(&b, 100, 10);
	close_store(&b);

	/* few enough for one round each: the cadence alone; then as
	   many as a ticket storm could bring */
	delay(&b, 100, 10);
	delay(&b, due, 5);
	printf("a synced write on the store's disk now: %.2f ms p50\n",
	       sync_ms(&b));

	g_rand_free(b.rand);
	config_free(&b.config);
	token_key_free(&b.key);
	g_free(templates);
	g_free(path);
	g_free(text);
	g_free(b.dir);
	g_mime_shutdown();
	return 0;
}
