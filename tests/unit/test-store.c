/* Unit tests of the ticket store on a real Berkeley DB environment in a
   temporary directory: records round-trip, ids are sequential and
   survive a reopen, histories stay apart, indexes work, a second opener
   is refused, concurrent writers all land (deadlocks retried), and the
   cache's page counts move as reads do. */

#include "store.h"

#include <glib/gstdio.h>
#include <string.h>

struct fixture {
	char *dir;
	struct store *store;
};

static void setup(struct fixture *fx, gconstpointer data)
{
	char *error = NULL;

	fx->dir = g_dir_make_tmp("test-store-XXXXXX", NULL);
	g_assert_nonnull(fx->dir);
	if (store_open(fx->dir, 0, &fx->store, &error) < 0)
		g_error("store_open: %s", error);
}

static void remove_tree(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;

	while ((name = g_dir_read_name(d)) != NULL) {
		char *path = g_build_filename(dir, name, NULL);

		if (g_file_test(path, G_FILE_TEST_IS_DIR))
			remove_tree(path);
		else
			g_unlink(path);
		g_free(path);
	}
	g_dir_close(d);
	g_rmdir(dir);
}

static void teardown(struct fixture *fx, gconstpointer data)
{
	store_close(&fx->store);
	g_assert_null(fx->store);
	remove_tree(fx->dir);
	g_free(fx->dir);
}

struct create_ctx {
	const char *subject;
	uint32_t id;
};

static int create_txn(struct store_txn *txn, void *context,
		      char **error_r)
{
	struct create_ctx *c = context;
	struct ticket *ticket = ticket_new();
	struct ticket_event *ev;
	int ret;

	g_free(ticket->subject);
	ticket->subject = g_strdup(c->subject);
	ticket_add_participant(ticket, "Alice@Example.COM");
	ret = store_ticket_create(txn, ticket, error_r);
	if (ret == 0) {
		ev = ticket_event_new(100, "created", NULL);
		ret = store_event_append(txn, ticket, ev, error_r);
		ticket_event_free(&ev);
	}
	if (ret == 0)
		ret = store_ticket_put(txn, ticket, error_r);
	if (ret == 0)
		ret = store_msgid_put(txn, c->subject, ticket->id, error_r);
	c->id = ticket->id;
	ticket_free(&ticket);
	return ret;
}

static uint32_t create(struct store *store, const char *subject)
{
	struct create_ctx c = { .subject = subject };
	char *error = NULL;

	if (store_transaction(store, create_txn, &c, &error) < 0)
		g_error("create: %s", error);
	g_free(error);
	return c.id;
}

struct get_ctx {
	uint32_t id;
	int found;
	struct ticket *ticket;
	GPtrArray *events;
	uint32_t msgid_ticket;
	const char *msgid;
};

static int get_txn(struct store_txn *txn, void *context, char **error_r)
{
	struct get_ctx *c = context;

	ticket_free(&c->ticket);
	c->found = store_ticket_get(txn, c->id, &c->ticket, error_r);
	if (c->found < 0)
		return -1;
	if (c->events != NULL)
		g_ptr_array_unref(c->events);
	c->events = NULL;
	if (store_event_list(txn, c->id, &c->events, error_r) < 0)
		return -1;
	if (c->msgid != NULL &&
	    store_msgid_get(txn, c->msgid, &c->msgid_ticket, error_r) < 0)
		return -1;
	return 0;
}

static void get(struct store *store, struct get_ctx *c)
{
	char *error = NULL;

	if (store_transaction(store, get_txn, c, &error) < 0)
		g_error("get: %s", error);
	g_free(error);
}

static void get_ctx_clear(struct get_ctx *c)
{
	ticket_free(&c->ticket);
	if (c->events != NULL)
		g_ptr_array_unref(c->events);
	c->events = NULL;
}

static void test_sequential_ids(struct fixture *fx, gconstpointer data)
{
	char *error = NULL;

	g_assert_cmpuint(create(fx->store, "one"), ==, 1);
	g_assert_cmpuint(create(fx->store, "two"), ==, 2);
	store_close(&fx->store);
	if (store_open(fx->dir, 0, &fx->store, &error) < 0)
		g_error("reopen: %s", error);
	g_assert_cmpuint(create(fx->store, "three"), ==, 3);
}

static void test_round_trip(struct fixture *fx, gconstpointer data)
{
	struct get_ctx c = { .msgid = "two" };
	uint32_t one = create(fx->store, "one");
	uint32_t two = create(fx->store, "two");

	c.id = one;
	get(fx->store, &c);
	g_assert_cmpint(c.found, ==, 1);
	g_assert_cmpstr(c.ticket->subject, ==, "one");
	g_assert_cmpuint(c.ticket->participants->len, ==, 1);
	g_assert_cmpstr(g_ptr_array_index(c.ticket->participants, 0), ==,
			"alice@example.com");
	g_assert_cmpuint(c.ticket->next_seq, ==, 1);
	g_assert_cmpuint(c.events->len, ==, 1);
	g_assert_cmpuint(c.msgid_ticket, ==, two);
	get_ctx_clear(&c);

	c.id = 999;
	c.msgid = NULL;
	get(fx->store, &c);
	g_assert_cmpint(c.found, ==, 0);
	g_assert_cmpuint(c.events->len, ==, 0);
	get_ctx_clear(&c);
}

struct append_ctx {
	uint32_t id;
	unsigned int count;
};

static int append_txn(struct store_txn *txn, void *context,
		      char **error_r)
{
	struct append_ctx *c = context;
	struct ticket *ticket;
	int ret = store_ticket_get(txn, c->id, &ticket, error_r);

	if (ret <= 0)
		return -1;
	for (unsigned int i = 0; i < c->count && ret >= 0; i++) {
		struct ticket_event *ev = ticket_event_new(
			200 + i, "message",
			g_variant_new_parsed("{'n': <%u>}", i));

		ret = store_event_append(txn, ticket, ev, error_r);
		ticket_event_free(&ev);
	}
	if (ret >= 0)
		ret = store_ticket_put(txn, ticket, error_r);
	ticket_free(&ticket);
	return ret < 0 ? -1 : 0;
}

static void test_histories_apart(struct fixture *fx, gconstpointer data)
{
	struct append_ctx a = { .count = 300 };
	struct get_ctx c = { 0 };
	char *error = NULL;
	uint32_t one = create(fx->store, "one");
	uint32_t two = create(fx->store, "two");
	uint32_t three = create(fx->store, "three");

	/* The middle ticket's history must not bleed into its neighbours
	   (keys are ticket id + sequence, big-endian, so 256 and 1 do not
	   collate together). */
	a.id = two;
	if (store_transaction(fx->store, append_txn, &a, &error) < 0)
		g_error("append: %s", error);
	g_free(error);
	c.id = two;
	get(fx->store, &c);
	g_assert_cmpuint(c.events->len, ==, 301);
	for (unsigned int i = 0; i < c.events->len; i++) {
		struct ticket_event *ev = g_ptr_array_index(c.events, i);

		g_assert_cmpuint(ev->seq, ==, i);
	}
	get_ctx_clear(&c);
	c.id = one;
	get(fx->store, &c);
	g_assert_cmpuint(c.events->len, ==, 1);
	get_ctx_clear(&c);
	c.id = three;
	get(fx->store, &c);
	g_assert_cmpuint(c.events->len, ==, 1);
	get_ctx_clear(&c);
}

static void test_second_opener_refused(struct fixture *fx,
				       gconstpointer data)
{
	struct store *other = NULL;
	char *error = NULL;

	g_assert_cmpint(store_open(fx->dir, 0, &other, &error), ==, -1);
	g_assert_nonnull(strstr(error, "in use"));
	g_assert_null(other);
	g_free(error);
}

static bool count_one(const struct ticket *ticket, void *context)
{
	(*(unsigned int *)context)++;
	return true;
}

static int count_txn(struct store_txn *txn, void *context,
		     char **error_r)
{
	*(unsigned int *)context = 0;
	return store_ticket_foreach(txn, count_one, context, error_r);
}

struct writer {
	struct store *store;
	uint32_t id;
};

static gpointer writer_thread(gpointer data)
{
	struct writer *w = data;
	struct append_ctx a = { .id = w->id, .count = 1 };
	char *error = NULL;

	for (unsigned int i = 0; i < 50; i++) {
		if (store_transaction(w->store, append_txn, &a, &error) < 0)
			g_error("append: %s", error);
	}
	g_free(error);
	return NULL;
}

static void test_concurrent_writers(struct fixture *fx, gconstpointer data)
{
	struct writer w = { .store = fx->store };
	struct get_ctx c = { 0 };
	GThread *threads[4];
	unsigned int count;
	char *error = NULL;

	w.id = create(fx->store, "shared");
	for (unsigned int i = 0; i < G_N_ELEMENTS(threads); i++)
		threads[i] = g_thread_new("writer", writer_thread, &w);
	for (unsigned int i = 0; i < G_N_ELEMENTS(threads); i++)
		g_thread_join(threads[i]);
	c.id = w.id;
	get(fx->store, &c);
	g_assert_cmpuint(c.events->len, ==, 1 + 4 * 50);
	g_assert_cmpuint(c.ticket->next_seq, ==, 1 + 4 * 50);
	get_ctx_clear(&c);
	if (store_transaction(fx->store, count_txn, &count, &error) < 0)
		g_error("count: %s", error);
	g_free(error);
	g_assert_cmpuint(count, ==, 1);
}

static void test_bad_record(void)
{
	static const guint8 wrong_version[] = { 9, 0, 0, 0 };
	struct ticket *ticket = NULL;
	char *error = NULL;

	g_assert_cmpint(ticket_deserialize(wrong_version,
					   sizeof(wrong_version), &ticket,
					   &error), ==, -1);
	g_assert_null(ticket);
	g_assert_cmpstr(error, ==, "unknown record version");
	g_clear_pointer(&error, g_free);
	g_assert_cmpint(ticket_deserialize("", 0, &ticket, &error), ==, -1);
	g_free(error);
}

/* A record written by the first release (format 1, before the
   acknowledgement fields) still reads, with those fields empty. */
static void test_record_v1(void)
{
	const char *participants[] = { "anna@example.com", NULL };
	GVariant *v1 = g_variant_ref_sink(g_variant_new(
		"(yussssssssxxxxs^asuu)", 1, 7, "sales", "pending", "email",
		"Anna", "anna@example.com", "en", "Lamp", "", (gint64)100,
		(gint64)200, (gint64)300, (gint64)0, "", participants, 0, 4));
	struct ticket *ticket = NULL;
	char *error = NULL;
	GBytes *again;

	g_assert_cmpint(ticket_deserialize(g_variant_get_data(v1),
					   g_variant_get_size(v1), &ticket,
					   &error), ==, 0);
	g_assert_cmpuint(ticket->id, ==, 7);
	g_assert_cmpint(ticket->status, ==, TICKET_PENDING);
	g_assert_cmpstr(ticket->subject, ==, "Lamp");
	g_assert_cmpint(ticket->reply_by, ==, 300);
	g_assert_true(ticket_has_participant(ticket, "anna@example.com"));
	g_assert_cmpuint(ticket->next_seq, ==, 4);
	g_assert_cmpint(ticket->last_ack, ==, 0);
	g_assert_cmpstr(ticket->ack_id, ==, "");
	/* and is written back in the current format */
	again = ticket_serialize(ticket);
	g_assert_cmpuint(((const guint8 *)g_bytes_get_data(again, NULL))[0],
			 ==, 3);
	g_bytes_unref(again);
	ticket_free(&ticket);
	g_variant_unref(v1);
	g_free(error);
}

/* A record of format 2 (before the timers) reads with no promise
   watched and nothing due. */
static void test_record_v2(void)
{
	const char *participants[] = { "anna@example.com", NULL };
	GVariant *v2 = g_variant_ref_sink(g_variant_new(
		"(yussssssssxxxxs^asuuxss)", 2, 7, "sales", "resolved",
		"email", "Anna", "anna@example.com", "en", "Lamp", "",
		(gint64)100, (gint64)200, (gint64)300, (gint64)0, "",
		participants, 0, 4, (gint64)150, "ack@shop.test",
		"lamp@example.com"));
	struct ticket_timer timers[TICKET_TIMERS_MAX];
	struct ticket *ticket = NULL;
	char *error = NULL;

	g_assert_cmpint(ticket_deserialize(g_variant_get_data(v2),
					   g_variant_get_size(v2), &ticket,
					   &error), ==, 0);
	g_assert_cmpint(ticket->status, ==, TICKET_RESOLVED);
	g_assert_cmpint(ticket->last_ack, ==, 150);
	g_assert_cmpstr(ticket->ack_for, ==, "lamp@example.com");
	g_assert_cmpint(ticket->sla, ==, SLA_NONE);
	g_assert_false(ticket->awaiting);
	g_assert_cmpuint(ticket_timers(ticket, timers), ==, 0);
	ticket_free(&ticket);
	g_variant_unref(v2);
}

/* The timers a record implies, and a round trip of them. */
static void test_record_timers(void)
{
	struct ticket_timer timers[TICKET_TIMERS_MAX];
	struct ticket *ticket = ticket_new(), *back = NULL;
	char *error = NULL;
	GBytes *bytes;

	ticket->id = 3;
	ticket->sla = SLA_OK;
	ticket->awaiting = true;
	ticket->promise_by = 1000;
	ticket->warn_at = 800;
	g_assert_cmpuint(ticket_timers(ticket, timers), ==, 2);
	g_assert_cmpint(timers[0].kind, ==, TIMER_SLA_WARN);
	g_assert_cmpint(timers[0].due, ==, 800);
	g_assert_cmpint(timers[1].kind, ==, TIMER_SLA_BREACH);
	ticket->sla = SLA_WARNED;
	g_assert_cmpuint(ticket_timers(ticket, timers), ==, 1);
	g_assert_cmpint(timers[0].kind, ==, TIMER_SLA_BREACH);
	ticket->awaiting = false;
	g_assert_cmpuint(ticket_timers(ticket, timers), ==, 0);

	ticket_set_status(ticket, TICKET_RESOLVED, 2000);
	g_assert_cmpuint(ticket_timers(ticket, timers), ==, 1);
	g_assert_cmpint(timers[0].kind, ==, TIMER_SCHEDULE);
	g_assert_cmpint(timers[0].due, ==, 2000);
	ticket->followup_at = 4000;
	ticket->autoclose_at = 5000;
	g_assert_cmpuint(ticket_timers(ticket, timers), ==, 2);
	g_assert_cmpint(timers[0].kind, ==, TIMER_FOLLOWUP);
	g_assert_cmpint(timers[0].due, ==, 4000);
	g_assert_cmpint(timers[1].kind, ==, TIMER_AUTOCLOSE);
	ticket->followup_sent = 4100;
	g_assert_cmpuint(ticket_timers(ticket, timers), ==, 1);
	g_assert_cmpint(timers[0].kind, ==, TIMER_AUTOCLOSE);
	ticket->autoclose_at = TIMER_OFF;
	ticket->rating = 4;
	g_assert_cmpuint(ticket_timers(ticket, timers), ==, 0);

	bytes = ticket_serialize(ticket);
	g_assert_cmpint(ticket_deserialize(g_bytes_get_data(bytes, NULL),
					   g_bytes_get_size(bytes), &back,
					   &error), ==, 0);
	g_assert_cmpint(back->sla, ==, SLA_WARNED);
	g_assert_cmpint(back->promise_by, ==, 1000);
	g_assert_cmpint(back->warn_at, ==, 800);
	g_assert_cmpint(back->resolved_at, ==, 2000);
	g_assert_cmpint(back->autoclose_at, ==, TIMER_OFF);
	g_assert_cmpint(back->followup_at, ==, 4000);
	g_assert_cmpint(back->followup_sent, ==, 4100);
	g_assert_cmpint(back->rating, ==, 4);
	ticket_set_status(back, TICKET_OPEN, 3000);
	g_assert_cmpint(back->resolved_at, ==, 0);
	g_assert_cmpuint(ticket_timers(back, timers), ==, 0);
	g_bytes_unref(bytes);
	ticket_free(&back);
	ticket_free(&ticket);
}

/* Index keys over 4 KiB that differ only at the end stay two keys. */
struct long_keys_ctx {
	char *a, *b;
	uint32_t id_a, id_b;
	bool put;
};

static int long_keys_txn(struct store_txn *txn, void *context,
			 char **error_r)
{
	struct long_keys_ctx *c = context;

	if (c->put)
		return store_msgid_put(txn, c->a, 1, error_r) < 0 ||
			store_msgid_put(txn, c->b, 2, error_r) < 0 ? -1 : 0;
	return store_msgid_get(txn, c->a, &c->id_a, error_r) < 0 ||
		store_msgid_get(txn, c->b, &c->id_b, error_r) < 0 ? -1 : 0;
}

static void test_long_keys(struct fixture *fx, gconstpointer data)
{
	struct long_keys_ctx c = { .put = true };
	char *error = NULL;

	c.a = g_strnfill(6000, 'x');
	c.b = g_strdup(c.a);
	c.b[5999] = 'y';
	g_assert_cmpint(store_transaction(fx->store, long_keys_txn, &c,
					  &error), ==, 0);
	c.put = false;
	g_assert_cmpint(store_transaction(fx->store, long_keys_txn, &c,
					  &error), ==, 0);
	g_assert_cmpuint(c.id_a, ==, 1);
	g_assert_cmpuint(c.id_b, ==, 2);
	g_free(c.a);
	g_free(c.b);
	g_free(error);
}

/* Reading a ticket asks the cache for pages; right after it was
   written they are in it, after a reopen they come from disk. */
static void test_cache_stat(struct fixture *fx, gconstpointer data)
{
	struct get_ctx c = { 0 };
	uint64_t requested, read, requested2, read2;
	char *error = NULL;

	c.id = create(fx->store, "counted");
	if (store_cache_stat(fx->store, &requested, &read, &error) < 0)
		g_error("store_cache_stat: %s", error);
	get(fx->store, &c);
	g_assert_cmpint(c.found, ==, 1);
	if (store_cache_stat(fx->store, &requested2, &read2, &error) < 0)
		g_error("store_cache_stat: %s", error);
	g_assert_cmpuint(requested2, >, requested);
	g_assert_cmpuint(read2, ==, read);

	store_close(&fx->store);
	if (store_open(fx->dir, 0, &fx->store, &error) < 0)
		g_error("store_open: %s", error);
	if (store_cache_stat(fx->store, &requested, &read, &error) < 0)
		g_error("store_cache_stat: %s", error);
	get(fx->store, &c);
	g_assert_cmpint(c.found, ==, 1);
	if (store_cache_stat(fx->store, &requested2, &read2, &error) < 0)
		g_error("store_cache_stat: %s", error);
	g_assert_cmpuint(requested2, >, requested);
	g_assert_cmpuint(read2, >, read);
	get_ctx_clear(&c);
}

/* The change: what step does to the ticket, the event it records */
struct overdue_ctx {
	uint32_t id;
	int step;
	GArray *marks;
};

static int overdue_txn(struct store_txn *txn, void *context,
		       char **error_r)
{
	struct overdue_ctx *c = context;
	struct ticket *ticket = NULL;
	struct ticket_event *ev = NULL;
	int ret;

	if (store_ticket_get(txn, c->id, &ticket, error_r) <= 0)
		return -1;
	switch (c->step) {
	case 0:		/* the promise breaks: overdue */
		ticket->awaiting = true;
		ticket->sla = SLA_BREACHED;
		ev = ticket_event_new(200, "sla_breach", NULL);
		break;
	case 1:		/* a note: still overdue */
		ev = ticket_event_new(300, "message", NULL);
		break;
	case 2:		/* the agent's reply: no longer */
		ticket->awaiting = false;
		ev = ticket_event_new(400, "message", NULL);
		break;
	}
	ret = store_event_append(txn, ticket, ev, error_r);
	if (ret == 0)
		ret = store_ticket_put(txn, ticket, error_r);
	ticket_event_free(&ev);
	ticket_free(&ticket);
	if (c->marks != NULL)
		g_array_unref(c->marks);
	c->marks = NULL;
	return ret < 0 ? -1 : store_mailbox_pending(txn, 10, &c->marks,
						    error_r);
}

static int done_txn(struct store_txn *txn, void *context, char **error_r)
{
	struct overdue_ctx *c = context;

	for (unsigned int i = 0; i < c->marks->len; i++)
		if (store_mailbox_done(txn, &g_array_index(
				c->marks, struct store_mailbox_mark, i),
				error_r) < 0)
			return -1;
	return 0;
}

/* A ticket that becomes overdue, or stops being so, is marked for its
   mailbox as a status change is; a change that leaves it as it was is
   not. */
static void test_overdue_marks(struct fixture *fx, gconstpointer data)
{
	const unsigned int marked[] = { 1, 0, 1 };
	struct overdue_ctx c = { 0 };
	char *error = NULL;

	c.id = create(fx->store, "late");
	for (c.step = 0; c.step < 3; c.step++) {
		if (store_transaction(fx->store, overdue_txn, &c, &error) < 0 ||
		    store_transaction(fx->store, done_txn, &c, &error) < 0)
			g_error("step %d: %s", c.step, error);
		g_assert_cmpuint(c.marks->len, ==, marked[c.step]);
		if (c.marks->len > 0)
			g_assert_cmpuint(g_array_index(c.marks,
				struct store_mailbox_mark, 0).id, ==, c.id);
	}
	g_array_unref(c.marks);
}

/* Overdue: awaiting a human after the promise broke, and still open. */
static void test_overdue(void)
{
	struct ticket *ticket = ticket_new();

	ticket->awaiting = true;
	ticket->sla = SLA_WARNED;
	g_assert_false(ticket_overdue(ticket));
	ticket->sla = SLA_BREACHED;
	g_assert_true(ticket_overdue(ticket));
	ticket_set_status(ticket, TICKET_RESOLVED, 100);
	g_assert_false(ticket_overdue(ticket));
	ticket_set_status(ticket, TICKET_PENDING, 200);
	g_assert_true(ticket_overdue(ticket));
	ticket->awaiting = false;
	g_assert_false(ticket_overdue(ticket));
	ticket_free(&ticket);
}

/* A backup is a store of its own: it verifies, and recovering from it
   into an empty folder gives the tickets back with their ids, and the
   next id after them. */
static void test_backup_recover(struct fixture *fx, gconstpointer data)
{
	char *backup = g_build_filename(fx->dir, "backup", NULL);
	char *restored = g_dir_make_tmp("test-store-XXXXXX", NULL);
	GString *report = g_string_new(NULL);
	struct get_ctx c = { 0 };
	char *error = NULL;
	uint32_t a, b;

	a = create(fx->store, "first");
	b = create(fx->store, "second");
	if (store_backup(fx->store, backup, &error) < 0)
		g_error("store_backup: %s", error);
	g_assert_cmpint(store_verify(backup, report, &error), ==, 0);
	g_assert_nonnull(strstr(report->str, "tickets.db: ok\n"));
	g_assert_nonnull(strstr(report->str, "timers.db: ok\n"));

	/* the live store is refused: it is in use */
	g_assert_cmpint(store_recover(fx->dir, backup, report, &error), ==,
			-1);
	g_assert_nonnull(strstr(error, "in use"));
	g_clear_pointer(&error, g_free);
	/* a folder that is no backup is refused */
	g_assert_cmpint(store_recover(restored, restored, report, &error),
			==, -1);
	g_assert_nonnull(strstr(error, "not a backup"));
	g_clear_pointer(&error, g_free);

	g_string_truncate(report, 0);
	if (store_recover(restored, backup, report, &error) < 0)
		g_error("store_recover: %s", error);
	g_assert_nonnull(strstr(report->str, "as of the backup"));
	store_close(&fx->store);
	remove_tree(fx->dir);
	g_free(fx->dir);
	fx->dir = restored;
	if (store_open(fx->dir, 0, &fx->store, &error) < 0)
		g_error("store_open: %s", error);
	c.id = b;
	get(fx->store, &c);
	g_assert_cmpint(c.found, ==, 1);
	g_assert_cmpstr(c.ticket->subject, ==, "second");
	g_assert_cmpuint(create(fx->store, "third"), ==, b + 1);
	g_assert_cmpuint(a, ==, b - 1);
	get_ctx_clear(&c);
	g_string_free(report, TRUE);
	g_free(backup);
}

/* Another store's logs, though numbered as the backup's, are not
   replayed over it: the store comes back as of the backup. */
static void test_recover_foreign_logs(struct fixture *fx, gconstpointer data)
{
	char *backup = g_build_filename(fx->dir, "backup", NULL);
	char *other = g_dir_make_tmp("test-store-XXXXXX", NULL);
	GString *report = g_string_new(NULL);
	struct store *store;
	struct get_ctx c = { 0 };
	char *error = NULL;

	create(fx->store, "ours");
	if (store_backup(fx->store, backup, &error) < 0)
		g_error("store_backup: %s", error);
	if (store_open(other, 0, &store, &error) < 0)
		g_error("store_open: %s", error);
	create(store, "theirs");
	create(store, "theirs too");
	store_close(&store);
	if (store_recover(other, backup, report, &error) < 0)
		g_error("store_recover: %s", error);
	g_assert_nonnull(strstr(report->str, "do not continue the backup"));
	if (store_open(other, 0, &store, &error) < 0)
		g_error("store_open: %s", error);
	c.id = 1;
	get(store, &c);
	g_assert_cmpstr(c.ticket->subject, ==, "ours");
	c.id = 2;
	get(store, &c);
	g_assert_cmpint(c.found, ==, 0);
	store_close(&store);
	remove_tree(other);
	get_ctx_clear(&c);
	g_string_free(report, TRUE);
	g_free(other);
	g_free(backup);
}

int main(int argc, char *argv[])
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/store/record-v1", test_record_v1);
	g_test_add_func("/store/record-v2", test_record_v2);
	g_test_add_func("/store/record-timers", test_record_timers);
	g_test_add("/store/sequential-ids", struct fixture, NULL, setup,
		   test_sequential_ids, teardown);
	g_test_add("/store/round-trip", struct fixture, NULL, setup,
		   test_round_trip, teardown);
	g_test_add("/store/histories-apart", struct fixture, NULL, setup,
		   test_histories_apart, teardown);
	g_test_add("/store/second-opener-refused", struct fixture, NULL,
		   setup, test_second_opener_refused, teardown);
	g_test_add("/store/concurrent-writers", struct fixture, NULL, setup,
		   test_concurrent_writers, teardown);
	g_test_add_func("/store/bad-record", test_bad_record);
	g_test_add("/store/long-keys", struct fixture, NULL, setup,
		   test_long_keys, teardown);
	g_test_add("/store/cache-stat", struct fixture, NULL, setup,
		   test_cache_stat, teardown);
	g_test_add("/store/overdue-marks", struct fixture, NULL, setup,
		   test_overdue_marks, teardown);
	g_test_add_func("/store/overdue", test_overdue);
	g_test_add("/store/backup-recover", struct fixture, NULL, setup,
		   test_backup_recover, teardown);
	g_test_add("/store/recover-foreign-logs", struct fixture, NULL, setup,
		   test_recover_foreign_logs, teardown);
	return g_test_run();
}
