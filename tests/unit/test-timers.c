/* Tests of the timers (timers.h) on a real store: tickets are made by
   the mail pipeline as the milter would, time is the argument given to
   timers_run(), and what fired is read back from the history, the
   ticket and the outbox spool's files. */

#include "pipeline.h"
#include "timers.h"

#include <glib/gstdio.h>
#include <string.h>

#define T0 1795000000	/* a Wednesday, 2026-11-18 */
#define MINUTE 60
#define HOUR 3600
#define DAY 86400

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
	"sla_first_reply = 60m\n"
	"sla_next_reply = 30m\n"
	"sla_warn = 80%%\n"
	"%s";

struct fixture {
	char *dir;
	struct config *config;
	struct store *store;
	struct token_key *key;
	struct pipeline *pipeline;
	struct spool *outbox;
	struct timers *timers;
};

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

static void open_parts(struct fixture *f)
{
	char *error = NULL;
	char *outbox = g_build_filename(f->config->spool_dir, "outbox", NULL);

	if (store_open(f->dir, 0, &f->store, &error) < 0 ||
	    pipeline_open(f->config, f->store, f->key, &f->pipeline,
			  &error) < 0 ||
	    spool_open(outbox, false, &f->outbox, &error) < 0 ||
	    timers_open(f->config, f->store, f->outbox, &f->timers,
			&error) < 0)
		g_error("open: %s", error);
	g_free(outbox);
}

static void close_parts(struct fixture *f)
{
	timers_close(&f->timers);
	spool_close(&f->outbox);
	pipeline_close(&f->pipeline);
	store_close(&f->store);
}

static void setup(struct fixture *f, const char *more)
{
	char *path, *text;
	char *templates = g_build_filename(g_getenv("top_srcdir") != NULL ?
					   g_getenv("top_srcdir") : ".",
					   "templates", NULL);
	char *error = NULL;

	f->dir = g_dir_make_tmp("test-timers-XXXXXX", NULL);
	path = g_build_filename(f->dir, "shopdesk.conf", NULL);
	text = g_strdup_printf(config_text, f->dir, f->dir, templates,
			       more != NULL ? more : "");
	g_assert_true(g_file_set_contents(path, text, -1, NULL));
	if (config_load(path, &f->config, &error) < 0)
		g_error("config: %s", error);
	f->key = token_key_new("unit-test-secret", 16);
	open_parts(f);
	g_free(templates);
	g_free(text);
	g_free(path);
}

static void teardown(struct fixture *f)
{
	close_parts(f);
	config_free(&f->config);
	token_key_free(&f->key);
	remove_tree(f->dir);
	g_free(f->dir);
}

static GMimeMessage *parse(const char *text)
{
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(text,
								strlen(text));
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	GMimeMessage *message = g_mime_parser_construct_message(parser, NULL);

	g_object_unref(parser);
	g_object_unref(stream);
	return message;
}

/* A mail through the pipeline at time now: from the customer when
   agent is NULL, else an agent's reply to the customer. */
static uint32_t mail_about(struct fixture *f, const char *agent,
			   const char *subject, const char *id,
			   const char *in_reply_to, const char *body,
			   int64_t now)
{
	char *text = g_strdup_printf(
		"From: %s\nTo: %s\nSubject: %s\n"
		"Message-ID: <%s>\n%s%s%s\n%s\n",
		agent != NULL ? "Ann <ann@shop.test>" :
		"Anna <anna@example.com>",
		agent != NULL ? "anna@example.com" : "sales@shop.test",
		subject, id,
		in_reply_to != NULL ? "In-Reply-To: <" : "",
		in_reply_to != NULL ? in_reply_to : "",
		in_reply_to != NULL ? ">\n" : "", body);
	const char *customers[] = { "anna@example.com", NULL };
	const char *rcpts[] = { "<anna@example.com>", NULL };
	const char *none[] = { NULL };
	struct pipeline_mail m = {
		.queue_id = "TESTQID",
		.envelope_from = agent != NULL ? "ann@shop.test" :
			"anna@example.com",
		.agent = agent,
		.queue = agent != NULL ? NULL :
			config_queue_by_name(f->config, "sales"),
		.queue_rcpt = agent != NULL ? NULL : "sales@shop.test",
		.customers = agent != NULL ? customers : none,
		.customer_rcpts = agent != NULL ? rcpts : none,
		.tokens = none,
		.strip = none,
		.has_message_id = true,
		.subject_count = 1,
		.headers = text,
		.headers_size = strlen(text),
		.message = parse(text),
		.now = now,
	};
	struct plan *plan = pipeline_run(f->pipeline, &m);
	uint32_t ticket = plan->ticket;

	g_assert_cmpint(plan->failure, ==, PLAN_OK);
	plan_free(&plan);
	g_object_unref(m.message);
	g_free(text);
	return ticket;
}

static uint32_t mail(struct fixture *f, const char *agent, const char *id,
		     const char *in_reply_to, const char *body, int64_t now)
{
	return mail_about(f, agent, "Broken lamp", id, in_reply_to, body,
			  now);
}

/* A customer mail RFC 3834 forbids answering (Precedence: bulk). */
static uint32_t mail_bulk(struct fixture *f, const char *id, int64_t now)
{
	char *text = g_strdup_printf(
		"From: News <news@example.com>\nTo: sales@shop.test\n"
		"Subject: Offers\nPrecedence: bulk\nMessage-ID: <%s>\n\n"
		"Our offers.\n", id);
	const char *none[] = { NULL };
	struct pipeline_mail m = {
		.queue_id = "TESTQID",
		.envelope_from = "news@example.com",
		.queue = config_queue_by_name(f->config, "sales"),
		.queue_rcpt = "sales@shop.test",
		.customers = none,
		.customer_rcpts = none,
		.tokens = none,
		.strip = none,
		.has_message_id = true,
		.subject_count = 1,
		.headers = text,
		.headers_size = strlen(text),
		.message = parse(text),
		.now = now,
	};
	struct plan *plan = pipeline_run(f->pipeline, &m);
	uint32_t ticket = plan->ticket;

	plan_free(&plan);
	g_object_unref(m.message);
	g_free(text);
	return ticket;
}

static unsigned int run(struct fixture *f, int64_t now)
{
	unsigned int fired;
	char *error = NULL;

	if (timers_run(f->timers, now, 100, &fired, &error) < 0)
		g_error("timers_run: %s", error);
	return fired;
}

struct read_context {
	uint32_t id;
	struct ticket *ticket;
	GString *history;	/* "event by;" for each event */
};

static int read_txn(struct store_txn *txn, void *context, char **error_r)
{
	struct read_context *c = context;
	GPtrArray *events;

	ticket_free(&c->ticket);
	g_string_truncate(c->history, 0);
	if (store_ticket_get(txn, c->id, &c->ticket, error_r) <= 0 ||
	    store_event_list(txn, c->id, &events, error_r) < 0)
		return -1;
	for (unsigned int i = 0; i < events->len; i++) {
		const struct ticket_event *ev = events->pdata[i];
		const char *by = "";

		g_variant_lookup(ev->fields, "by", "&s", &by);
		g_string_append_printf(c->history, "%s%s%s;", ev->event,
				       *by != '\0' ? " " : "", by);
	}
	g_ptr_array_unref(events);
	return 0;
}

/* The ticket (ticket_free it) and its history in *history_r. */
static struct ticket *read_ticket(struct fixture *f, uint32_t id,
				  char **history_r)
{
	struct read_context c = { .id = id, .history = g_string_new(NULL) };
	char *error = NULL;

	if (store_transaction(f->store, read_txn, &c, &error) < 0)
		g_error("ticket %u: %s", id, error);
	*history_r = g_string_free(c.history, FALSE);
	return c.ticket;
}

/* The outbox item put under key, or NULL. */
static char *outbox_item(struct fixture *f, const char *key)
{
	char *path = g_build_filename(f->config->spool_dir, "outbox", "new",
				      key, NULL);
	char *data = NULL;

	g_file_get_contents(path, &data, NULL, NULL);
	g_free(path);
	return data;
}

static unsigned int outbox_count(struct fixture *f)
{
	char *path = g_build_filename(f->config->spool_dir, "outbox", "new",
				      NULL);
	GDir *d = g_dir_open(path, 0, NULL);
	unsigned int n = 0;

	while (d != NULL && g_dir_read_name(d) != NULL)
		n++;
	if (d != NULL)
		g_dir_close(d);
	g_free(path);
	return n;
}

static void assert_has(const char *text, const char *what)
{
	if (text == NULL || strstr(text, what) == NULL)
		g_error("no \"%s\" in:\n%s", what, text != NULL ? text : "");
}

/* Warned at 80% of the hour, escalated when it passes, each once,
   and nothing after; the mails answerable to the customer. */
static void test_escalation(void)
{
	struct fixture f;
	struct ticket *t;
	char *history, *item, *key;
	uint32_t id;

	setup(&f, "escalate_to = boss@shop.test\n");
	id = mail(&f, NULL, "lamp-1@example.com", NULL,
		  "Hello, my lamp is broken.\nIt flickers.", T0);
	g_assert_cmpuint(id, ==, 1);
	g_assert_cmpuint(run(&f, T0 + 47 * MINUTE), ==, 0);
	g_assert_cmpuint(outbox_count(&f), ==, 0);	/* the pipeline's
							   ack is a plan
							   item */

	g_assert_cmpuint(run(&f, T0 + 48 * MINUTE), ==, 1);
	key = g_strdup_printf("timer.sla_warn.1.%d", T0 + 48 * MINUTE);
	item = outbox_item(&f, key);
	assert_has(item, "boss@shop.test");	/* nobody assigned */
	assert_has(item, "X-Shopdesk-Ticket: 1");
	assert_has(item, "Reply-To: anna@example.com");
	assert_has(item, "[Ticket #1]");
	assert_has(item, "In-Reply-To: <lamp-1@example.com>");
	assert_has(item, "> Hello, my lamp is broken.");
	assert_has(item, "Importance: high");
	g_free(item);
	g_free(key);
	t = read_ticket(&f, id, &history);
	g_assert_cmpint(t->sla, ==, SLA_WARNED);
	assert_has(history, "sla_warn;");
	ticket_free(&t);
	g_free(history);

	/* never twice */
	g_assert_cmpuint(run(&f, T0 + 50 * MINUTE), ==, 0);
	g_assert_cmpuint(outbox_count(&f), ==, 1);

	/* a restart: the index is in the store */
	close_parts(&f);
	open_parts(&f);
	g_assert_cmpuint(run(&f, T0 + 2 * HOUR), ==, 1);
	key = g_strdup_printf("timer.sla_breach.1.%d", T0 + HOUR);
	item = outbox_item(&f, key);
	assert_has(item, "boss@shop.test");
	assert_has(item, "was due for an answer");
	g_free(item);
	g_free(key);
	g_assert_cmpuint(run(&f, T0 + 3 * HOUR), ==, 0);
	t = read_ticket(&f, id, &history);
	g_assert_cmpint(t->sla, ==, SLA_BREACHED);
	g_assert_cmpint(t->promise_by, ==, T0 + HOUR);
	assert_has(history, "sla_warn;sla_breach;");
	ticket_free(&t);
	g_free(history);

	/* a late answer does not make it met */
	mail(&f, "ann", "r-1@shop.test", "lamp-1@example.com", "Sorry!",
	     T0 + 4 * HOUR);
	t = read_ticket(&f, id, &history);
	g_assert_cmpint(t->sla, ==, SLA_BREACHED);
	g_assert_false(t->awaiting);
	ticket_free(&t);
	g_free(history);
	teardown(&f);
}

/* A mail that cannot be made (its template gone) fails its firing:
   nothing is sent or changed, the other timers go on, and it fires
   once the template is back. */
static void test_no_template(void)
{
	struct fixture f;
	struct ticket *t;
	char *history, *templates, *error = NULL;
	unsigned int fired;

	setup(&f, "escalate_to = boss@shop.test\nautoclose_after = 5m\n"
		  "followup_after = off\n");
	g_assert_cmpuint(mail(&f, NULL, "lamp-1@example.com", NULL,
			      "Hello, my lamp is broken.", T0), ==, 1);
	/* another ticket, resolved: its timers need no template */
	g_assert_cmpuint(mail_about(&f, NULL, "Broken cup", "cup-1@example.com",
				    NULL, "The cup is broken.", T0), ==, 2);
	mail(&f, "ann", "r-1@shop.test", "cup-1@example.com",
	     "#resolve\nAnother is on its way.", T0 + MINUTE);
	templates = f.config->templates_dir;
	f.config->templates_dir = g_build_filename(f.dir, "none", NULL);
	g_assert_cmpint(timers_run(f.timers, T0 + 48 * MINUTE, 100, &fired,
				   &error), ==, 0);
	/* ticket 2 scheduled and auto-closed; ticket 1's warning not */
	g_assert_cmpuint(fired, ==, 2);
	g_assert_cmpuint(outbox_count(&f), ==, 0);
	t = read_ticket(&f, 1, &history);
	g_assert_cmpint(t->sla, ==, SLA_OK);
	g_assert_null(strstr(history, "sla_warn"));
	ticket_free(&t);
	g_free(history);

	t = read_ticket(&f, 2, &history);
	g_assert_cmpint(t->status, ==, TICKET_CLOSED);
	ticket_free(&t);
	g_free(history);

	g_free(f.config->templates_dir);
	f.config->templates_dir = templates;
	g_assert_cmpuint(run(&f, T0 + 48 * MINUTE), ==, 1);
	g_assert_cmpuint(outbox_count(&f), ==, 1);
	teardown(&f);
}

/* An answer in time: met, and no timer fires; the customer writes
   again and a new promise (sla_next_reply) is watched. */
static void test_met_and_next(void)
{
	struct fixture f;
	struct ticket *t;
	char *history;
	uint32_t id;

	setup(&f, "escalate_to = boss@shop.test\n");
	id = mail(&f, NULL, "lamp-1@example.com", NULL, "Broken.", T0);
	mail(&f, "ann", "r-1@shop.test", "lamp-1@example.com",
	     "#assign ann\nWe will send a new one.", T0 + 10 * MINUTE);
	g_assert_cmpuint(run(&f, T0 + 5 * HOUR), ==, 0);
	t = read_ticket(&f, id, &history);
	g_assert_cmpint(t->sla, ==, SLA_MET);
	g_assert_cmpint(t->status, ==, TICKET_PENDING);
	ticket_free(&t);
	g_free(history);

	mail(&f, NULL, "lamp-2@example.com", "r-1@shop.test", "Which one?",
	     T0 + 6 * HOUR);
	t = read_ticket(&f, id, &history);
	g_assert_cmpint(t->sla, ==, SLA_OK);
	g_assert_cmpint(t->promise_by, ==, T0 + 6 * HOUR + 30 * MINUTE);
	g_assert_cmpint(t->warn_at, ==, T0 + 6 * HOUR + 24 * MINUTE);
	g_assert_cmpint(t->reply_by, ==, T0 + HOUR);	/* the first */
	ticket_free(&t);
	g_free(history);
	/* the warning goes to the assignee */
	g_assert_cmpuint(run(&f, T0 + 6 * HOUR + 25 * MINUTE), ==, 1);
	{
		char *key = g_strdup_printf("timer.sla_warn.1.%d",
					    T0 + 6 * HOUR + 24 * MINUTE);
		char *item = outbox_item(&f, key);

		assert_has(item, "ann@shop.test");
		assert_has(item, "> Which one?");
		g_free(item);
		g_free(key);
	}
	teardown(&f);
}

/* Resolved: closed after autoclose_after of business time unless the
   customer writes; a customer who writes after gets a linked ticket. */
static void test_autoclose(void)
{
	struct fixture f;
	struct ticket *t;
	char *history;
	uint32_t id, next;

	setup(&f, "followup_after = off\n");
	id = mail(&f, NULL, "lamp-1@example.com", NULL, "Broken.", T0);
	mail(&f, "ann", "r-1@shop.test", "lamp-1@example.com",
	     "#resolve\nSent a new one.", T0 + 10 * MINUTE);
	g_assert_cmpuint(run(&f, T0 + 11 * MINUTE), ==, 1);	/* schedule */
	t = read_ticket(&f, id, &history);
	g_assert_cmpint(t->status, ==, TICKET_RESOLVED);
	g_assert_cmpint(t->autoclose_at, ==, T0 + 10 * MINUTE + 3 * DAY);
	ticket_free(&t);
	g_free(history);
	g_assert_cmpuint(run(&f, T0 + 3 * DAY), ==, 0);
	g_assert_cmpuint(run(&f, T0 + 3 * DAY + 10 * MINUTE), ==, 1);
	g_assert_cmpuint(run(&f, T0 + 4 * DAY), ==, 0);
	t = read_ticket(&f, id, &history);
	g_assert_cmpint(t->status, ==, TICKET_CLOSED);
	assert_has(history, "autoclose;status autoclose;");
	ticket_free(&t);
	g_free(history);

	next = mail(&f, NULL, "lamp-3@example.com", "r-1@shop.test",
		    "It broke again.", T0 + 5 * DAY);
	g_assert_cmpuint(next, ==, 2);
	t = read_ticket(&f, next, &history);
	g_assert_cmpuint(t->linked_to, ==, id);
	ticket_free(&t);
	g_free(history);
	teardown(&f);
}

/* A customer who writes while resolved stops the auto-close; off
   never closes. */
static void test_autoclose_stopped(void)
{
	struct fixture f;
	struct ticket *t;
	char *history;
	uint32_t id;

	setup(&f, "followup_after = off\n");
	id = mail(&f, NULL, "lamp-1@example.com", NULL, "Broken.", T0);
	mail(&f, "ann", "r-1@shop.test", "lamp-1@example.com",
	     "#resolve\nSent a new one.", T0 + 10 * MINUTE);
	g_assert_cmpuint(run(&f, T0 + 11 * MINUTE), ==, 1);
	mail(&f, NULL, "lamp-2@example.com", "r-1@shop.test",
	     "Not arrived.", T0 + DAY);
	/* the new promise: warned and breached */
	g_assert_cmpuint(run(&f, T0 + 10 * DAY), ==, 2);
	t = read_ticket(&f, id, &history);
	g_assert_cmpint(t->status, ==, TICKET_OPEN);
	g_assert_null(strstr(history, "autoclose"));
	ticket_free(&t);
	g_free(history);
	teardown(&f);

	setup(&f, "autoclose_after = off\nfollowup_after = off\n");
	id = mail(&f, NULL, "lamp-1@example.com", NULL, "Broken.", T0);
	mail(&f, "ann", "r-1@shop.test", "lamp-1@example.com",
	     "#resolve\nSent a new one.", T0 + 10 * MINUTE);
	g_assert_cmpuint(run(&f, T0 + 11 * MINUTE), ==, 1);
	g_assert_cmpuint(run(&f, T0 + 100 * DAY), ==, 0);
	t = read_ticket(&f, id, &history);
	g_assert_cmpint(t->status, ==, TICKET_RESOLVED);
	g_assert_cmpint(t->autoclose_at, ==, TIMER_OFF);
	ticket_free(&t);
	g_free(history);
	teardown(&f);
}

/* Resolved: a day later the customer is asked, in their language and
   on their channel; a rating or yes closes, no reopens. */
static void test_followup(void)
{
	struct fixture f;
	struct ticket *t;
	char *history, *key, *item;
	uint32_t id;

	setup(&f, NULL);
	id = mail(&f, NULL, "lamp-1@example.com", NULL, "Broken.", T0);
	mail(&f, "ann", "r-1@shop.test", "lamp-1@example.com",
	     "#resolve\nSent a new one.", T0 + 10 * MINUTE);
	g_assert_cmpuint(run(&f, T0 + 11 * MINUTE), ==, 1);	/* schedule */
	g_assert_cmpuint(run(&f, T0 + DAY), ==, 0);
	g_assert_cmpuint(run(&f, T0 + DAY + 10 * MINUTE), ==, 1);
	g_assert_cmpuint(run(&f, T0 + DAY + 20 * MINUTE), ==, 0);
	key = g_strdup_printf("followup.1.%d", T0 + 10 * MINUTE);
	item = outbox_item(&f, key);
	assert_has(item, "anna@example.com");
	assert_has(item, "Was your problem solved?");
	assert_has(item, "Content-Language: en");
	assert_has(item, "In-Reply-To: <lamp-1@example.com>");
	assert_has(item, "Subject: Re: [Ticket #1] Broken lamp");
	g_free(item);
	t = read_ticket(&f, id, &history);
	g_assert_cmpint(t->followup_sent, ==, T0 + DAY + 10 * MINUTE);
	assert_has(history, "followup;");
	ticket_free(&t);
	g_free(history);

	/* the answer, in reply to the follow-up: a 5 closes */
	item = g_strdup_printf("%s@shop.test", key);
	g_assert_cmpuint(mail(&f, NULL, "lamp-5@example.com", item,
			      "5\n\n> Was your problem solved?",
			      T0 + 2 * DAY), ==, id);
	g_free(item);
	g_free(key);
	t = read_ticket(&f, id, &history);
	g_assert_cmpint(t->status, ==, TICKET_CLOSED);
	g_assert_cmpint(t->rating, ==, 5);
	assert_has(history, "followup;csat;status customer;message;");
	ticket_free(&t);
	g_free(history);
	/* and the auto-close has nothing left to do */
	g_assert_cmpuint(run(&f, T0 + 10 * DAY), ==, 0);
	teardown(&f);

	/* "no" reopens, with a new promise */
	setup(&f, "autoclose_after = off\n");
	id = mail(&f, NULL, "lamp-1@example.com", NULL, "Broken.", T0);
	mail(&f, "ann", "r-1@shop.test", "lamp-1@example.com",
	     "#resolve\nSent a new one.", T0 + 10 * MINUTE);
	g_assert_cmpuint(run(&f, T0 + 2 * DAY), ==, 2);
	mail(&f, NULL, "lamp-5@example.com", "r-1@shop.test", "No",
	     T0 + 3 * DAY);
	t = read_ticket(&f, id, &history);
	g_assert_cmpint(t->status, ==, TICKET_OPEN);
	g_assert_cmpint(t->rating, ==, 0);
	g_assert_cmpint(t->sla, ==, SLA_OK);
	assert_has(history, "csat;status customer;");
	ticket_free(&t);
	g_free(history);
	/* resolved again: asked again */
	mail(&f, "ann", "r-2@shop.test", "lamp-5@example.com",
	     "#resolve\nSent another one.", T0 + 4 * DAY);
	g_assert_cmpuint(run(&f, T0 + 6 * DAY), ==, 2);
	t = read_ticket(&f, id, &history);
	g_assert_cmpint(t->followup_sent, ==, T0 + 6 * DAY);
	ticket_free(&t);
	g_free(history);
	teardown(&f);
}

/* Mail that RFC 3834 forbids answering opens a ticket that is never
   asked; a Russian customer is asked in Russian. */
static void test_followup_who(void)
{
	struct fixture f;
	struct ticket *t;
	char *history, *key, *item;
	uint32_t id;

	setup(&f, "autoclose_after = off\n");
	id = mail(&f, NULL, "lamp-1@example.com", NULL,
		  "Здравствуйте! Лампа мигает с понедельника, что делать?",
		  T0);
	mail(&f, "ann", "r-1@shop.test", "lamp-1@example.com",
	     "#resolve\nОтправили новую.", T0 + 10 * MINUTE);
	g_assert_cmpuint(run(&f, T0 + 2 * DAY), ==, 2);
	key = g_strdup_printf("followup.%u.%d", id, T0 + 10 * MINUTE);
	item = outbox_item(&f, key);
	assert_has(item, "Content-Language: ru");
	g_free(item);
	g_free(key);
	/* "да" is yes */
	mail(&f, NULL, "lamp-5@example.com", "r-1@shop.test", "Да, спасибо!",
	     T0 + 3 * DAY);
	t = read_ticket(&f, id, &history);
	g_assert_cmpint(t->status, ==, TICKET_CLOSED);
	ticket_free(&t);
	g_free(history);

	id = mail_bulk(&f, "news-1@example.com", T0 + 4 * DAY);
	mail(&f, "ann", "r-3@shop.test", "news-1@example.com",
	     "#resolve\nNoted.", T0 + 4 * DAY + 10 * MINUTE);
	g_assert_cmpuint(run(&f, T0 + 7 * DAY), ==, 2);
	t = read_ticket(&f, id, &history);
	g_assert_true(t->quiet);
	g_assert_cmpint(t->followup_sent, !=, 0);
	ticket_free(&t);
	g_free(history);
	key = g_strdup_printf("followup.%u.%d", id,
			      T0 + 4 * DAY + 10 * MINUTE);
	g_assert_null(outbox_item(&f, key));
	g_free(key);

	/* a customer who says "stop" gets no follow-up either */
	id = mail(&f, NULL, "cup-1@example.com", NULL,
		  "Hello, the cup I ordered came broken.", T0 + 8 * DAY);
	mail(&f, "ann", "r-4@shop.test", "cup-1@example.com",
	     "We are sending another.", T0 + 8 * DAY + 10 * MINUTE);
	mail(&f, NULL, "cup-2@example.com", "r-4@shop.test", "Stop!",
	     T0 + 8 * DAY + 20 * MINUTE);
	mail(&f, "ann", "r-5@shop.test", "cup-2@example.com",
	     "#resolve\nSorry.", T0 + 8 * DAY + 30 * MINUTE);
	g_assert_cmpuint(run(&f, T0 + 11 * DAY), ==, 2);
	t = read_ticket(&f, id, &history);
	g_assert_true(t->quiet);
	ticket_free(&t);
	g_free(history);
	key = g_strdup_printf("followup.%u.%d", id,
			      T0 + 8 * DAY + 30 * MINUTE);
	g_assert_null(outbox_item(&f, key));
	g_free(key);
	teardown(&f);
}

/* A WhatsApp customer unanswered for 23 hours: the assignee (else
   escalate_to) hears the free-form window closes within the hour; once
   per customer message, never after an answer. */
static void test_window(void)
{
	static const char chat_mail[] =
		"From: \"Ona (WhatsApp)\" <wa.37060000001@whatsapp.shop.test>\n"
		"To: sales@shop.test\nSubject: Delivery\n"
		"Message-ID: <wa.%s@whatsapp.shop.test>\n\nWhere is it?\n";
	struct fixture f;
	struct ticket *t;
	char *history, *key, *item;
	uint32_t id = 0;

	setup(&f, "escalate_to = boss@shop.test\n"
		  "[channel whatsapp]\n"
		  "token_file = /nonexistent/whatsapp.token\n"
		  "phone_number_id = 106540352242922\n"
		  "domain = whatsapp.shop.test\nqueue = sales\n");
	for (unsigned int i = 0; i < 2; i++) {
		char *text = g_strdup_printf(chat_mail, i == 0 ? "A1" : "A2");
		const char *none[] = { NULL };
		struct pipeline_mail m = {
			.queue_id = "TESTQID",
			.envelope_from = "wa.37060000001@whatsapp.shop.test",
			.queue = config_queue_by_name(f.config, "sales"),
			.queue_rcpt = "sales@shop.test",
			.customers = none,
			.customer_rcpts = none,
			.tokens = none,
			.strip = none,
			.local = true,
			.has_message_id = true,
			.subject_count = 1,
			.headers = text,
			.headers_size = strlen(text),
			.message = parse(text),
			.now = T0 + i * 2 * HOUR,
		};
		struct plan *plan = pipeline_run(f.pipeline, &m);

		id = plan->ticket;
		plan_free(&plan);
		g_object_unref(m.message);
		g_free(text);
	}
	/* the promise's warning and breach; the window is counted from
	   the latest message */
	g_assert_cmpuint(run(&f, T0 + 23 * HOUR), ==, 2);
	g_assert_cmpuint(run(&f, T0 + 25 * HOUR), ==, 1);
	g_assert_cmpuint(run(&f, T0 + 25 * HOUR + MINUTE), ==, 0);
	key = g_strdup_printf("timer.window.%u.%d", id, T0 + 25 * HOUR);
	item = outbox_item(&f, key);
	assert_has(item, "boss@shop.test");
	assert_has(item, "Reply-To: wa.37060000001@whatsapp.shop.test");
	assert_has(item, "freely only");
	g_free(item);
	g_free(key);
	t = read_ticket(&f, id, &history);
	g_assert_cmpstr(t->channel, ==, "whatsapp");
	assert_has(history, "window;");
	ticket_free(&t);
	g_free(history);
	teardown(&f);
}

int main(int argc, char *argv[])
{
	g_test_init(&argc, &argv, NULL);
	g_mime_init();
	g_test_add_func("/timers/escalation", test_escalation);
	g_test_add_func("/timers/no-template", test_no_template);
	g_test_add_func("/timers/met-and-next", test_met_and_next);
	g_test_add_func("/timers/autoclose", test_autoclose);
	g_test_add_func("/timers/autoclose-stopped", test_autoclose_stopped);
	g_test_add_func("/timers/followup", test_followup);
	g_test_add_func("/timers/followup-who", test_followup_who);
	g_test_add_func("/timers/window", test_window);
	return g_test_run();
}
