/* Tests of mbevent.c: a table of event files, each read or refused with
   its reason; and applying events to tickets in a real store: a keyword
   or folder sets the status (and marks the ticket for the mailbox), the
   same status again writes nothing, a removed keyword reopens, an
   expunge is history only, an unknown ticket is skipped, and a spool
   key applied once is never applied again until forgotten. */

#include "mbevent.h"

#include <glib/gstdio.h>
#include <string.h>

struct parse_case {
	const char *name;
	const char *text;
	const char *error;	/* substring, NULL: reads */
};

#define FILE_HEAD \
	"{\"version\": 1, \"user\": \"ann@shop.test\", \"service\": " \
	"\"imap\", \"time\": 1795000000, \"events\": ["
#define FILE_OF(events) FILE_HEAD events "]}"

static const struct parse_case parse_cases[] = {
	{ "keyword", FILE_OF("{\"type\": \"keyword\", \"ticket\": \"12\", "
			     "\"mailbox\": \"INBOX\", \"uid\": 7, \"old\": "
			     "\"open\", \"new\": \"resolved\"}"), NULL },
	{ "removal", FILE_OF("{\"type\": \"keyword\", \"ticket\": \"12\", "
			     "\"mailbox\": \"INBOX\", \"old\": \"pending\", "
			     "\"new\": \"\"}"), NULL },
	{ "folder", FILE_OF("{\"type\": \"folder\", \"ticket\": \"3\", "
			    "\"mailbox\": \"Sales/Pending\", \"from\": "
			    "\"Sales\", \"move\": true, \"new\": \"pending\"}"),
	  NULL },
	{ "expunge", FILE_OF("{\"type\": \"expunge\", \"ticket\": \"3\", "
			     "\"mailbox\": \"Sales\", \"uid\": 9}"), NULL },
	{ "delivery", FILE_OF("{\"type\": \"delivery\", \"ticket\": \"3\", "
			      "\"channel\": \"telegram\", \"chat\": \"77\", "
			      "\"result\": \"sent\", \"message_ids\": "
			      "\"5001,5002\"}"), NULL },
	{ "delivery-result", FILE_OF("{\"type\": \"delivery\", \"ticket\": "
				     "\"3\", \"channel\": \"telegram\", "
				     "\"chat\": \"77\", \"result\": "
				     "\"maybe\"}"),
	  "\"result\" is not sent, dead, delivered, read or failed: maybe" },
	{ "delivery-read", FILE_OF("{\"type\": \"delivery\", \"ticket\": "
				   "\"3\", \"channel\": \"whatsapp\", "
				   "\"chat\": \"37060000001\", \"result\": "
				   "\"read\", \"message_ids\": \"wamid.x\"}"),
	  NULL },
	{ "delivery-failed", FILE_OF("{\"type\": \"delivery\", "
				     "\"ticket\": \"3\", \"channel\": "
				     "\"viber\", \"chat\": \"a=\", "
				     "\"result\": \"failed\", \"why\": "
				     "\"not subscribed\"}"), NULL },
	{ "delivery-no-chat", FILE_OF("{\"type\": \"delivery\", \"ticket\": "
				      "\"3\", \"channel\": \"telegram\", "
				      "\"result\": \"sent\"}"),
	  "\"chat\" is missing" },
	{ "keyword-no-mailbox", FILE_OF("{\"type\": \"keyword\", \"ticket\": "
					"\"3\", \"new\": \"open\"}"),
	  "\"mailbox\" is missing" },
	{ "empty", FILE_OF(""), NULL },
	{ "not-json", "{\"version\": 1, ", "not JSON" },
	{ "not-object", "[1, 2]", "not a JSON object" },
	{ "no-version", "{\"user\": \"x\", \"events\": []}", "unknown version 0" },
	{ "version-2", "{\"version\": 2, \"user\": \"x\", \"events\": []}",
	  "unknown version 2" },
	{ "no-user", "{\"version\": 1, \"events\": []}",
	  "\"user\" is missing" },
	{ "no-events", "{\"version\": 1, \"user\": \"x\"}",
	  "\"events\" is missing" },
	{ "event-not-object", FILE_OF("42"), "an event is not an object" },
	{ "unknown-type", FILE_OF("{\"type\": \"flag\", \"ticket\": \"1\", "
				  "\"mailbox\": \"INBOX\", \"new\": "
				  "\"open\"}"), "unknown event type: flag" },
	{ "bad-ticket", FILE_OF("{\"type\": \"keyword\", \"ticket\": \"1x\", "
				"\"mailbox\": \"INBOX\", \"new\": \"open\"}"),
	  "not a ticket number: 1x" },
	{ "ticket-zero", FILE_OF("{\"type\": \"keyword\", \"ticket\": \"0\", "
				 "\"mailbox\": \"INBOX\", \"new\": "
				 "\"open\"}"), "not a ticket number: 0" },
	{ "ticket-number", FILE_OF("{\"type\": \"keyword\", \"ticket\": 5, "
				   "\"mailbox\": \"INBOX\", \"new\": "
				   "\"open\"}"), "\"ticket\" is missing or not" },
	{ "bad-status", FILE_OF("{\"type\": \"keyword\", \"ticket\": \"1\", "
				"\"mailbox\": \"INBOX\", \"new\": \"done\"}"),
	  "\"new\" is not a status: done" },
	{ "no-status", FILE_OF("{\"type\": \"folder\", \"ticket\": \"1\", "
			       "\"mailbox\": \"Junk\"}"),
	  "folder event without a status" },
	{ "negative-uid", FILE_OF("{\"type\": \"expunge\", \"ticket\": \"1\", "
				  "\"mailbox\": \"INBOX\", \"uid\": -1}"),
	  "\"uid\" is not a number" },
	{ "control-chars", FILE_OF("{\"type\": \"expunge\", \"ticket\": "
				   "\"1\", \"mailbox\": \"IN\\nBOX\"}"),
	  "\"mailbox\" has control characters" },
	/* json-glib's octal escapes (found by tests/fuzz) */
	{ "not-utf8", FILE_OF("{\"type\": \"expunge\", \"ticket\": "
			      "\"1\", \"mailbox\": \"IN\\377BOX\"}"),
	  "\"mailbox\" is not UTF-8" },
	{ "half-good", FILE_OF("{\"type\": \"expunge\", \"ticket\": \"1\", "
			       "\"mailbox\": \"INBOX\"}, {\"type\": "
			       "\"keyword\"}"), "\"ticket\" is missing" },
};

static void test_parse(gconstpointer data)
{
	const struct parse_case *c = data;
	struct mbevent_file *file = NULL;
	char *error = NULL;
	int ret;

	ret = mbevent_parse(c->text, strlen(c->text), &file, &error);
	if (c->error == NULL) {
		if (ret < 0)
			g_error("%s: %s", c->name, error);
		g_assert_cmpstr(file->user, ==, "ann@shop.test");
		mbevent_file_free(&file);
		g_assert_null(file);
	} else {
		g_assert_cmpint(ret, ==, -1);
		g_assert_nonnull(strstr(error, c->error));
		g_free(error);
	}
}

static void test_parse_fields(void)
{
	static const char text[] = FILE_OF(
		"{\"type\": \"folder\", \"ticket\": \"3\", \"mailbox\": "
		"\"Pending\", \"from\": \"Sales\", \"move\": true, \"old\": "
		"\"new\", \"new\": \"pending\", \"message_id\": \"<a@b>\"}");
	struct mbevent_file *file;
	const struct mbevent *ev;
	char *error = NULL;

	g_assert_cmpint(mbevent_parse(text, sizeof(text) - 1, &file, &error),
			==, 0);
	g_assert_cmpstr(file->service, ==, "imap");
	g_assert_cmpint(file->time, ==, 1795000000);
	g_assert_cmpuint(file->events->len, ==, 1);
	ev = file->events->pdata[0];
	g_assert_cmpint(ev->type, ==, MBEVENT_FOLDER);
	g_assert_cmpuint(ev->ticket, ==, 3);
	g_assert_cmpstr(ev->mailbox, ==, "Pending");
	g_assert_cmpstr(ev->from, ==, "Sales");
	g_assert_true(ev->move);
	g_assert_true(ev->has_old && ev->old == TICKET_NEW);
	g_assert_true(ev->has_new && ev->new_status == TICKET_PENDING);
	g_assert_cmpstr(ev->message_id, ==, "<a@b>");
	mbevent_file_free(&file);
}

/* --- applying, on a real store ------------------------------------ */

struct fixture {
	char *dir;
	struct store *store;
	uint32_t id;
	int64_t updated;
};

static int create_txn(struct store_txn *txn, void *context,
		      char **error_r)
{
	struct fixture *fx = context;
	struct ticket *ticket = ticket_new();
	int ret;

	g_free(ticket->queue);
	ticket->queue = g_strdup("sales");
	ticket->updated = fx->updated;
	ret = store_ticket_create(txn, ticket, error_r);
	if (ret == 0)
		ret = store_msgid_put(txn, "m@x", ticket->id, error_r);
	fx->id = ticket->id;
	ticket_free(&ticket);
	return ret;
}

static void setup(struct fixture *fx, gconstpointer data)
{
	char *error = NULL;

	fx->updated = data == NULL ? 0 : *(const int64_t *)data;
	fx->dir = g_dir_make_tmp("test-mbevent-XXXXXX", NULL);
	if (store_open(fx->dir, STORE_NOSYNC, &fx->store, &error) < 0)
		g_error("store_open: %s", error);
	if (store_transaction(fx->store, create_txn, fx, &error) < 0)
		g_error("create: %s", error);
	g_free(error);
}

static void teardown(struct fixture *fx, gconstpointer data)
{
	GDir *d;
	const char *name;

	store_close(&fx->store);
	d = g_dir_open(fx->dir, 0, NULL);
	while ((name = g_dir_read_name(d)) != NULL) {
		char *path = g_build_filename(fx->dir, name, NULL);

		g_unlink(path);
		g_free(path);
	}
	g_dir_close(d);
	g_rmdir(fx->dir);
	g_free(fx->dir);
}

struct read_context {
	uint32_t id;
	struct ticket *ticket;
	GPtrArray *events;
	GArray *marks;
};

static int read_txn(struct store_txn *txn, void *context,
		    char **error_r)
{
	struct read_context *c = context;

	ticket_free(&c->ticket);
	g_clear_pointer(&c->events, g_ptr_array_unref);
	g_clear_pointer(&c->marks, g_array_unref);
	if (store_ticket_get(txn, c->id, &c->ticket, error_r) <= 0 ||
	    store_event_list(txn, c->id, &c->events, error_r) < 0 ||
	    store_mailbox_pending(txn, 10, &c->marks, error_r) < 0)
		return -1;
	return 0;
}

static void read_ticket(struct fixture *fx, struct read_context *c)
{
	char *error = NULL;

	c->id = fx->id;
	if (store_transaction(fx->store, read_txn, c, &error) < 0)
		g_error("read: %s", error);
	g_free(error);
}

static void read_clear(struct read_context *c)
{
	ticket_free(&c->ticket);
	g_clear_pointer(&c->events, g_ptr_array_unref);
	g_clear_pointer(&c->marks, g_array_unref);
}

/* Applies one event (JSON, %u for the ticket) under key. */
static void apply(struct fixture *fx, const char *key, const char *event)
{
	char *id = g_strdup_printf("%u", fx->id);
	GString *events = g_string_new(event);
	char *text;
	struct mbevent_file *file;
	char *error = NULL;

	g_string_replace(events, "%u", id, 0);
	/* every event names the ticket's message, unless it names one */
	if (strstr(event, "message_id") == NULL)
		g_string_replace(events, "{\"type\"",
				 "{\"message_id\": \"<m@x>\", \"type\"", 0);
	text = g_strconcat(FILE_HEAD, events->str, "]}", NULL);
	if (mbevent_parse(text, strlen(text), &file, &error) < 0)
		g_error("parse: %s", error);
	if (mbevent_apply(fx->store, file, key, 1795000100, &error) < 0)
		g_error("apply: %s", error);
	g_free(error);
	mbevent_file_free(&file);
	g_free(text);
	g_string_free(events, TRUE);
	g_free(id);
}

static const char *last_event(const struct read_context *c)
{
	const struct ticket_event *ev =
		c->events->pdata[c->events->len - 1];

	return ev->event;
}

static void test_status(struct fixture *fx, gconstpointer data)
{
	struct read_context c = { 0 };
	const struct ticket_event *ev;
	const char *by = NULL, *via = NULL;

	apply(fx, "k1", "{\"type\": \"keyword\", \"ticket\": \"%u\", "
	      "\"mailbox\": \"Sales\", \"uid\": 4, \"new\": \"resolved\"}");
	read_ticket(fx, &c);
	g_assert_cmpint(c.ticket->status, ==, TICKET_RESOLVED);
	g_assert_cmpuint(c.events->len, ==, 1);
	ev = c.events->pdata[0];
	g_assert_cmpstr(ev->event, ==, "status");
	g_variant_lookup(ev->fields, "by", "&s", &by);
	g_variant_lookup(ev->fields, "via", "&s", &via);
	g_assert_cmpstr(by, ==, "ann@shop.test");
	g_assert_cmpstr(via, ==, "keyword");
	g_assert_cmpuint(c.marks->len, ==, 1);
	g_assert_cmpuint(g_array_index(c.marks, struct store_mailbox_mark,
				       0).id, ==, fx->id);

	apply(fx, "k2", "{\"type\": \"folder\", \"ticket\": \"%u\", "
	      "\"mailbox\": \"Pending\", \"move\": true, \"new\": "
	      "\"pending\"}");
	read_ticket(fx, &c);
	g_assert_cmpint(c.ticket->status, ==, TICKET_PENDING);
	g_assert_cmpuint(c.events->len, ==, 2);
	ev = c.events->pdata[1];
	g_variant_lookup(ev->fields, "via", "&s", &via);
	g_assert_cmpstr(via, ==, "move");
	read_clear(&c);
}

static int done_txn(struct store_txn *txn, void *context,
		    char **error_r)
{
	return store_mailbox_done(txn, context, error_r);
}

static void test_mailbox_marks(struct fixture *fx, gconstpointer data)
{
	struct read_context c = { 0 };
	struct store_mailbox_mark old;
	char *error = NULL;

	apply(fx, "k1", "{\"type\": \"keyword\", \"ticket\": \"%u\", "
	      "\"mailbox\": \"Sales\", \"new\": \"open\"}");
	read_ticket(fx, &c);
	old = g_array_index(c.marks, struct store_mailbox_mark, 0);
	apply(fx, "k2", "{\"type\": \"keyword\", \"ticket\": \"%u\", "
	      "\"mailbox\": \"Sales\", \"new\": \"pending\"}");
	/* done for the older change: the newer one stays marked */
	g_assert_cmpint(store_transaction(fx->store, done_txn, &old, &error),
			==, 0);
	read_ticket(fx, &c);
	g_assert_cmpuint(c.marks->len, ==, 1);
	old = g_array_index(c.marks, struct store_mailbox_mark, 0);
	g_assert_cmpint(store_transaction(fx->store, done_txn, &old, &error),
			==, 0);
	read_ticket(fx, &c);
	g_assert_cmpuint(c.marks->len, ==, 0);
	read_clear(&c);
	g_free(error);
}

static void test_same_status(struct fixture *fx, gconstpointer data)
{
	struct read_context c = { 0 };

	/* a new ticket set to "new": nothing to write, nothing marked */
	apply(fx, "k1", "{\"type\": \"keyword\", \"ticket\": \"%u\", "
	      "\"mailbox\": \"Sales\", \"new\": \"new\"}");
	read_ticket(fx, &c);
	g_assert_cmpint(c.ticket->status, ==, TICKET_NEW);
	g_assert_cmpuint(c.events->len, ==, 0);
	g_assert_cmpuint(c.marks->len, ==, 0);
	read_clear(&c);
}

static void test_removal(struct fixture *fx, gconstpointer data)
{
	struct read_context c = { 0 };

	apply(fx, "k1", "{\"type\": \"keyword\", \"ticket\": \"%u\", "
	      "\"mailbox\": \"Sales\", \"new\": \"pending\"}");
	/* taking off a keyword the ticket doesn't have: no change */
	apply(fx, "k2", "{\"type\": \"keyword\", \"ticket\": \"%u\", "
	      "\"mailbox\": \"Sales\", \"old\": \"resolved\"}");
	read_ticket(fx, &c);
	g_assert_cmpint(c.ticket->status, ==, TICKET_PENDING);
	g_assert_cmpuint(c.events->len, ==, 1);
	/* taking off the one it has: open again */
	apply(fx, "k3", "{\"type\": \"keyword\", \"ticket\": \"%u\", "
	      "\"mailbox\": \"Sales\", \"old\": \"pending\"}");
	read_ticket(fx, &c);
	g_assert_cmpint(c.ticket->status, ==, TICKET_OPEN);
	g_assert_cmpuint(c.events->len, ==, 2);
	read_clear(&c);
}

static void test_expunge(struct fixture *fx, gconstpointer data)
{
	struct read_context c = { 0 };

	apply(fx, "k1", "{\"type\": \"expunge\", \"ticket\": \"%u\", "
	      "\"mailbox\": \"Sales\", \"uid\": 5, \"old\": \"resolved\"}");
	read_ticket(fx, &c);
	g_assert_cmpint(c.ticket->status, ==, TICKET_NEW);
	g_assert_cmpuint(c.events->len, ==, 1);
	g_assert_cmpstr(last_event(&c), ==, "expunge");
	g_assert_cmpuint(c.marks->len, ==, 0);
	read_clear(&c);
}

static void test_delivery(struct fixture *fx, gconstpointer data)
{
	struct read_context c = { 0 };

	apply(fx, "k1", "{\"type\": \"delivery\", \"ticket\": \"%u\", "
	      "\"message_id\": \"<m@x>\", "
	      "\"channel\": \"telegram\", \"chat\": \"77\", \"result\": "
	      "\"sent\", \"message_ids\": \"5001\", \"outbox\": "
	      "\"msg.telegram.77.ab\"}");
	read_ticket(fx, &c);
	g_assert_cmpint(c.ticket->status, ==, TICKET_NEW);
	g_assert_cmpuint(c.events->len, ==, 1);
	g_assert_cmpstr(last_event(&c), ==, "delivery");
	read_clear(&c);
}

static void test_unknown_ticket(struct fixture *fx, gconstpointer data)
{
	struct read_context c = { 0 };

	/* ticket 999 does not exist; the file's other event applies */
	apply(fx, "k1", "{\"type\": \"keyword\", \"ticket\": \"999\", "
	      "\"mailbox\": \"Sales\", \"new\": \"open\"}, "
	      "{\"type\": \"keyword\", \"ticket\": \"%u\", "
	      "\"mailbox\": \"Sales\", \"new\": \"open\"}");
	read_ticket(fx, &c);
	g_assert_cmpint(c.ticket->status, ==, TICKET_OPEN);
	read_clear(&c);
}

static void test_once(struct fixture *fx, gconstpointer data)
{
	struct read_context c = { 0 };
	char *error = NULL;
	static const char expunge[] =
		"{\"type\": \"expunge\", \"ticket\": \"%u\", "
		"\"mailbox\": \"Sales\", \"uid\": 5}";

	apply(fx, "k1", expunge);
	apply(fx, "k1", expunge);	/* a crash before spool_done */
	read_ticket(fx, &c);
	g_assert_cmpuint(c.events->len, ==, 1);
	g_assert_cmpint(mbevent_forget(fx->store, "k1", &error), ==, 0);
	apply(fx, "k1", expunge);	/* forgotten: a new item */
	read_ticket(fx, &c);
	g_assert_cmpuint(c.events->len, ==, 2);
	read_clear(&c);
	g_free(error);
}

static void test_foreign_message(struct fixture *fx, gconstpointer data)
{
	struct read_context c = { 0 };

	/* a message the store does not know for this ticket, and none */
	apply(fx, "k1", "{\"type\": \"keyword\", \"ticket\": \"%u\", "
	      "\"mailbox\": \"Sales\", \"new\": \"resolved\", "
	      "\"message_id\": \"<made-up@x>\"}");
	apply(fx, "k2", "{\"type\": \"keyword\", \"ticket\": \"%u\", "
	      "\"mailbox\": \"Sales\", \"new\": \"resolved\", "
	      "\"message_id\": \"\"}");
	read_ticket(fx, &c);
	g_assert_cmpint(c.ticket->status, ==, TICKET_NEW);
	g_assert_cmpuint(c.events->len, ==, 0);
	read_clear(&c);
}

static const int64_t later = 1795000050;

static void test_stale(struct fixture *fx, gconstpointer data)
{
	struct read_context c = { 0 };

	/* the ticket changed at 1795000050, the event is from ...000 */
	apply(fx, "k1", "{\"type\": \"keyword\", \"ticket\": \"%u\", "
	      "\"mailbox\": \"Sales\", \"new\": \"resolved\"}");
	read_ticket(fx, &c);
	g_assert_cmpint(c.ticket->status, ==, TICKET_NEW);
	g_assert_cmpuint(c.events->len, ==, 0);
	read_clear(&c);
}

int main(int argc, char *argv[])
{
	g_test_init(&argc, &argv, NULL);
	for (unsigned int i = 0; i < G_N_ELEMENTS(parse_cases); i++) {
		char *path = g_strdup_printf("/mbevent/parse/%s",
					     parse_cases[i].name);

		g_test_add_data_func(path, &parse_cases[i], test_parse);
		g_free(path);
	}
	g_test_add_func("/mbevent/parse-fields", test_parse_fields);
#define ADD(name, func) \
	g_test_add("/mbevent/apply/" name, struct fixture, NULL, setup, \
		   func, teardown)
	ADD("status", test_status);
	ADD("mailbox-marks", test_mailbox_marks);
	ADD("same-status", test_same_status);
	ADD("removal", test_removal);
	ADD("expunge", test_expunge);
	ADD("delivery", test_delivery);
	ADD("unknown-ticket", test_unknown_ticket);
	ADD("once", test_once);
	ADD("foreign-message", test_foreign_message);
	g_test_add("/mbevent/apply/stale", struct fixture, &later, setup,
		   test_stale, teardown);
	return g_test_run();
}
