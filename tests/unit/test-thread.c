/* Table-driven tests of the threading rules (DESIGN.md, "Threading, in
   order") through intake, on a real store: each scenario is a list of
   messages fed in order to a fresh store, each with the rule and ticket
   it must land in, and for some the acknowledgement intake decides on
   (limits: 2 per hour, 3 a day per sender, one per day on reopen).  Ticket ids are sequential from 1 in a fresh store,
   so expected ids are plain numbers. */

#include "intake.h"
#include "mailmsg.h"
#include "subject.h"

#include <glib/gstdio.h>
#include <string.h>

#define DAY (24 * 3600)
#define NO_TOKEN 0
#define FORGED (-1)

struct step {
	const char *from;
	const char *subject;
	const char *message_id;
	const char *refs[3];	/* In-Reply-To first, then References */
	int token;		/* valid token for this ticket, NO_TOKEN, FORGED */
	int second_token;	/* a second branded recipient's token */
	int64_t at;		/* seconds after the scenario starts */
	const char *channel;	/* NULL: email */
	/* expected */
	enum thread_rule rule;
	uint32_t ticket;
	uint32_t linked_to;
	const char *status;
	/* after the step: set this ticket's status (for later steps) */
	const char *then_status;
	/* the acknowledgement: 0 not checked, 1 one is decided, -1 none,
	   with skipped a piece of the reason; ack_of: the step (from 1)
	   whose ack is handed out again */
	int ack;
	const char *skipped;
	unsigned int ack_of;
	bool no_reopen;		/* an auto-reply or a bare thank-you */
};

struct scenario {
	const char *name;
	struct step steps[12];
};

static const struct scenario scenarios[] = {
	{ "acks", {
		{ "a@example.com", "Order 1", "a1@x", .rule = THREAD_RULE_NEW,
		  .ticket = 1, .ack = 1 },
		{ "a@example.com", "Re: Order 1", "a2@x", .at = 10,
		  .rule = THREAD_RULE_SUBJECT, .ticket = 1, .ack = -1,
		  .skipped = "not a new ticket" },
		/* the first message again, after a crash: the same ack */
		{ "a@example.com", "Order 1", "a1@x", .at = 20,
		  .rule = THREAD_RULE_DUPLICATE, .ticket = 1, .ack_of = 1 },
		{ "a@example.com", "Order 2", "a3@x", .at = 30,
		  .rule = THREAD_RULE_NEW, .ticket = 2, .ack = 1 },
		{ "a@example.com", "Order 3", "a4@x", .at = 40,
		  .rule = THREAD_RULE_NEW, .ticket = 3, .ack = -1,
		  .skipped = "burst limit" },
		{ "a@example.com", "Order 4", "a5@x", .at = 7200,
		  .rule = THREAD_RULE_NEW, .ticket = 4, .ack = 1 },
		{ "a@example.com", "Order 5", "a6@x", .at = 4 * 3600,
		  .rule = THREAD_RULE_NEW, .ticket = 5, .ack = -1,
		  .skipped = "daily cap" },
		/* another sender has limits of its own */
		{ "b@example.com", "Order 5", "b1@x", .at = 4 * 3600,
		  .rule = THREAD_RULE_NEW, .ticket = 6, .ack = 1 },
		{ "a@example.com", "Order 6", "a7@x", .at = DAY + 60,
		  .rule = THREAD_RULE_NEW, .ticket = 7, .ack = 1 },
	} },
	{ "acks-on-reopen", {
		{ "c@example.com", "Help", "c1@x", .rule = THREAD_RULE_NEW,
		  .ticket = 1, .ack = 1, .then_status = "resolved" },
		{ "c@example.com", "Re: Help", "c2@x", .at = 3600,
		  .rule = THREAD_RULE_SUBJECT, .ticket = 1, .status = "open",
		  .ack = -1, .skipped = "acknowledged recently",
		  .then_status = "pending" },
		{ "c@example.com", "Re: Help", "c3@x", .at = 2 * DAY,
		  .rule = THREAD_RULE_SUBJECT, .ticket = 1, .status = "open",
		  .ack = 1, .then_status = "resolved" },
		/* a thank-you or an out-of-office reply: filed, no reopen */
		{ "c@example.com", "Re: Help", "c4@x", .at = 4 * DAY,
		  .rule = THREAD_RULE_SUBJECT, .ticket = 1,
		  .status = "resolved", .no_reopen = true, .ack = -1,
		  .skipped = "not a new ticket" },
	} },
	{ "new-then-reply", {
		{ "alice@example.com", "Where is my order", "a1@x",
		  .rule = THREAD_RULE_NEW, .ticket = 1, .status = "new" },
		{ "alice@example.com", "Re: Where is my order", "a2@x",
		  { "a1@x" }, .at = 60,
		  .rule = THREAD_RULE_REFERENCES, .ticket = 1 },
		{ "alice@example.com", "Another question", "a3@x",
		  { "unknown@x", "a2@x" }, .at = 120,
		  .rule = THREAD_RULE_REFERENCES, .ticket = 1 },
		{ "bob@example.org", "Different thing", "b1@x", .at = 180,
		  .rule = THREAD_RULE_NEW, .ticket = 2 },
	} },
	{ "duplicate-is-not-a-second-ticket", {
		{ "alice@example.com", "Broken lamp", "d1@x",
		  .rule = THREAD_RULE_NEW, .ticket = 1 },
		{ "alice@example.com", "Broken lamp", "d1@x", .at = 5,
		  .rule = THREAD_RULE_DUPLICATE, .ticket = 1 },
		{ "bob@example.org", "Other", "d2@x", .at = 6,
		  .rule = THREAD_RULE_NEW, .ticket = 2 },
	} },
	{ "token-from-second-address", {
		{ "alice@example.com", "Refund please", "t1@x",
		  .rule = THREAD_RULE_NEW, .ticket = 1 },
		{ "alice@home.example", "my other address", "t2@x",
		  .token = 1, .at = 60,
		  .rule = THREAD_RULE_TOKEN, .ticket = 1 },
		/* now a participant: the tag works for the second address */
		{ "alice@home.example", "[Ticket #1] again", "t3@x", .at = 90,
		  .rule = THREAD_RULE_TAG, .ticket = 1 },
	} },
	{ "forged-token-and-stranger-tag", {
		{ "alice@example.com", "Invoice", "f1@x",
		  .rule = THREAD_RULE_NEW, .ticket = 1 },
		{ "mallory@evil.test", "let me in", "f2@x", .token = FORGED,
		  .at = 10, .rule = THREAD_RULE_NEW, .ticket = 2 },
		{ "mallory@evil.test", "[Ticket #1] Invoice", "f3@x",
		  .at = 20, .rule = THREAD_RULE_NEW, .ticket = 3,
		  .linked_to = 1 },
		{ "alice@example.com", "[ticket #1] thanks", "f4@x",
		  .at = 30, .rule = THREAD_RULE_TAG, .ticket = 1 },
		/* a tag naming no ticket is ignored */
		{ "alice@example.com", "[Ticket #77] hello", "f5@x",
		  .at = 40, .rule = THREAD_RULE_NEW, .ticket = 4 },
	} },
	{ "precedence", {
		{ "alice@example.com", "First", "p1@x",
		  .rule = THREAD_RULE_NEW, .ticket = 1 },
		{ "alice@example.com", "Second", "p2@x",
		  .rule = THREAD_RULE_NEW, .ticket = 2 },
		/* token beats References beats tag beats subject */
		{ "alice@example.com", "[Ticket #1] First", "p3@x",
		  { "p1@x" }, .token = 2, .at = 10,
		  .rule = THREAD_RULE_TOKEN, .ticket = 2 },
		{ "alice@example.com", "[Ticket #2] First", "p4@x",
		  { "p1@x" }, .at = 20,
		  .rule = THREAD_RULE_REFERENCES, .ticket = 1 },
		{ "alice@example.com", "Re: [Ticket #2] First", "p5@x",
		  .at = 30, .rule = THREAD_RULE_TAG, .ticket = 2 },
		/* a forged token first, a valid one second */
		{ "alice@example.com", "x", "p6@x", .token = FORGED,
		  .second_token = 1, .at = 40,
		  .rule = THREAD_RULE_TOKEN, .ticket = 1 },
	} },
	{ "subject-rule", {
		{ "alice@example.com", "Where is my order?", "s1@x",
		  .rule = THREAD_RULE_NEW, .ticket = 1 },
		{ "alice@example.com", "RE: AW: Отв: where is MY   order?",
		  "s2@x", .at = 3600,
		  .rule = THREAD_RULE_SUBJECT, .ticket = 1 },
		/* someone else with the same subject: their own ticket */
		{ "carol@example.net", "Where is my order?", "s3@x",
		  .at = 3700, .rule = THREAD_RULE_NEW, .ticket = 2 },
		/* past the window (7 days after the last message) */
		{ "alice@example.com", "Re: Where is my order?", "s4@x",
		  .at = 3600 + 8 * DAY,
		  .rule = THREAD_RULE_NEW, .ticket = 3 },
		/* an empty subject never threads by subject */
		{ "dave@example.com", "", "s5@x", .at = 9 * DAY,
		  .rule = THREAD_RULE_NEW, .ticket = 4 },
		{ "dave@example.com", "Re: ", "s6@x", .at = 9 * DAY + 1,
		  .rule = THREAD_RULE_NEW, .ticket = 5 },
	} },
	{ "closed-links-new", {
		{ "alice@example.com", "Damaged box", "c1@x",
		  .rule = THREAD_RULE_NEW, .ticket = 1,
		  .then_status = "closed" },
		{ "alice@example.com", "Re: Damaged box", "c2@x", { "c1@x" },
		  .at = 60, .rule = THREAD_RULE_REFERENCES, .ticket = 2,
		  .linked_to = 1, .status = "new" },
		{ "alice@example.com", "Damaged box", "c3@x", .token = 1,
		  .at = 120, .rule = THREAD_RULE_TOKEN, .ticket = 3,
		  .linked_to = 1 },
		/* the newest ticket now holds the thread key */
		{ "alice@example.com", "Re: Damaged box", "c4@x", .at = 180,
		  .rule = THREAD_RULE_SUBJECT, .ticket = 3 },
	} },
	{ "reopen", {
		{ "alice@example.com", "Size exchange", "r1@x",
		  .rule = THREAD_RULE_NEW, .ticket = 1,
		  .then_status = "pending" },
		{ "alice@example.com", "Re: Size exchange", "r2@x",
		  { "r1@x" }, .at = 60, .rule = THREAD_RULE_REFERENCES,
		  .ticket = 1, .status = "open", .then_status = "resolved" },
		{ "alice@example.com", "Re: Size exchange", "r3@x",
		  { "r2@x" }, .at = 120, .rule = THREAD_RULE_REFERENCES,
		  .ticket = 1, .status = "open" },
	} },
	{ "messenger", {
		{ "tg.1001@telegram.shop.test", "", "tg1@telegram",
		  .channel = "telegram", .rule = THREAD_RULE_NEW,
		  .ticket = 1 },
		{ "tg.1001@telegram.shop.test", "", "tg2@telegram",
		  .channel = "telegram", .at = 30,
		  .rule = THREAD_RULE_MESSENGER, .ticket = 1 },
		{ "tg.2002@telegram.shop.test", "", "tg3@telegram",
		  .channel = "telegram", .at = 40, .rule = THREAD_RULE_NEW,
		  .ticket = 2, .then_status = "closed" },
		{ "tg.2002@telegram.shop.test", "", "tg4@telegram",
		  .channel = "telegram", .at = 50, .rule = THREAD_RULE_NEW,
		  .ticket = 3 },
	} },
};

static const char config_text[] =
	"[shopdesk]\n"
	"domain = shop.test\n"
	"state_dir = %s\n"
	"ticket_tag = Ticket\n"
	"thread_window = 7d\n"
	"ack_burst = 2\n"
	"ack_burst_period = 1h\n"
	"ack_daily_max = 3\n"
	"ack_reopen_period = 1d\n"
	"[queue sales]\n"
	"address = sales@shop.test\n"
	"[channel telegram]\n"
	"domain = telegram.shop.test\n"
	"token_file = /nonexistent/telegram.token\n"
	"queue = sales\n";

struct status_ctx {
	uint32_t id;
	const char *status;
};

static int status_txn(struct store_txn *txn, void *context,
		      char **error_r)
{
	struct status_ctx *c = context;
	struct ticket *ticket;
	int ret = store_ticket_get(txn, c->id, &ticket, error_r);

	if (ret <= 0)
		return -1;
	g_assert_cmpint(ticket_status_parse(c->status, &ticket->status), ==,
			0);
	ret = store_ticket_put(txn, ticket, error_r);
	ticket_free(&ticket);
	return ret;
}

static void remove_tree(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;

	while ((name = g_dir_read_name(d)) != NULL) {
		char *path = g_build_filename(dir, name, NULL);

		if (g_unlink(path) < 0)
			remove_tree(path);
		g_free(path);
	}
	g_dir_close(d);
	g_rmdir(dir);
}

static void run_scenario(gconstpointer data)
{
	const struct scenario *sc = data;
	struct token_key *key = token_key_new("unit-test-secret", 16);
	char *dir = g_dir_make_tmp("test-thread-XXXXXX", NULL);
	char *path = g_build_filename(dir, "shopdesk.conf", NULL);
	char *text = g_strdup_printf(config_text, dir);
	struct config *config;
	struct store *store;
	char *error = NULL;
	const int64_t start = 1795000000;
	char ack_ids[G_N_ELEMENTS(sc->steps)][128] = { { 0 } };

	g_assert_true(g_file_set_contents(path, text, -1, NULL));
	if (config_load(path, &config, &error) < 0)
		g_error("config: %s", error);
	if (store_open(dir, 0, &store, &error) < 0)
		g_error("store: %s", error);

	for (unsigned int i = 0; i < G_N_ELEMENTS(sc->steps) &&
	     sc->steps[i].from != NULL; i++) {
		const struct step *st = &sc->steps[i];
		const char *tokens[3] = { NULL };
		const char *refs[4] = { NULL };
		unsigned int ntokens = 0;
		struct intake_result r;
		char *db_error = NULL;
		char *made[2] = { NULL };
		int token_ids[2] = { st->token, st->second_token };

		for (unsigned int t = 0; t < 2; t++) {
			if (token_ids[t] == NO_TOKEN)
				continue;
			if (token_ids[t] == FORGED) {
				/* a well-formed token whose MAC is wrong */
				struct token_key *other =
					token_key_new("other", 5);

				made[t] = token_make(other, 1);
				token_key_free(&other);
			} else {
				made[t] = token_make(key, token_ids[t]);
			}
			tokens[ntokens++] = made[t];
		}
		for (unsigned int j = 0; j < 3 && st->refs[j] != NULL; j++)
			refs[j] = st->refs[j];

		struct intake_message msg = {
			.queue_id = "TEST",
			.queue = "sales",
			.channel = st->channel != NULL ? st->channel : "email",
			.message_id = st->message_id,
			.references = refs,
			.tokens = tokens,
			.subject = st->subject,
			.from_name = "",
			.from_address = st->from,
			.snippet = "",
			.now = start + st->at,
			.ack_wanted = true,
			.ack_to = st->from,
			.no_reopen = st->no_reopen,
		};
		if (intake_message(store, config, key, &msg, &r,
				   &db_error) < 0)
			g_error("step %u: %s", i + 1, db_error);
		if (r.thread.rule != st->rule || r.ticket_id != st->ticket ||
		    r.thread.linked_to != st->linked_to)
			g_error("%s step %u: got rule %s ticket %u linked %u, "
				"want rule %s ticket %u linked %u", sc->name,
				i + 1, thread_rule_name(r.thread.rule),
				r.ticket_id, r.thread.linked_to,
				thread_rule_name(st->rule), st->ticket,
				st->linked_to);
		if (st->status != NULL)
			g_assert_cmpstr(ticket_status_name(r.status), ==,
					st->status);
		g_strlcpy(ack_ids[i], r.ack_id, sizeof(ack_ids[i]));
		if (st->ack == 1 && r.ack_id[0] == '\0')
			g_error("%s step %u: no ack (%s)", sc->name, i + 1,
				r.ack_skipped);
		if (st->ack == -1 && r.ack_id[0] != '\0')
			g_error("%s step %u: unwanted ack", sc->name, i + 1);
		if (st->skipped != NULL &&
		    (r.ack_skipped == NULL ||
		     strstr(r.ack_skipped, st->skipped) == NULL))
			g_error("%s step %u: skipped for \"%s\", want \"%s\"",
				sc->name, i + 1, r.ack_skipped, st->skipped);
		if (st->ack_of != 0)
			g_assert_cmpstr(r.ack_id, ==, ack_ids[st->ack_of - 1]);
		if (st->then_status != NULL) {
			struct status_ctx c = { r.ticket_id, st->then_status };

			if (store_transaction(store, status_txn, &c,
					      &db_error) < 0)
				g_error("status: %s", db_error);
		}
		g_free(db_error);
		g_free(made[0]);
		g_free(made[1]);
	}
	store_close(&store);
	config_free(&config);
	token_key_free(&key);
	remove_tree(dir);
	g_free(dir);
	g_free(path);
	g_free(text);
}

static void test_message_id_usable(void)
{
	static const struct {
		const char *id;
		bool usable;
	} cases[] = {
		{ "abc@example.com", true },
		{ "20261130.1@[192.0.2.1]", true },
		{ "a\"quoted local\"@x", false },	/* a blank */
		{ NULL, false },
		{ "", false },
		{ "no-at-sign", false },
		{ "@example.com", false },
		{ "abc@", false },
		{ "a b@example.com", false },
		{ "a\tb@example.com", false },
		{ "<abc@example.com>", false },
		{ "abc@exa\x7fmple.com", false },
	};
	char *fill = g_strnfill(246, 'a');
	char *long_id = g_strdup_printf("%s@x.yz", fill + 1);	/* 250 */

	for (unsigned int i = 0; i < G_N_ELEMENTS(cases); i++) {
		if (mailmsg_id_usable(cases[i].id) != cases[i].usable)
			g_error("case %u (%s): want %s", i,
				cases[i].id != NULL ? cases[i].id : "NULL",
				cases[i].usable ? "usable" : "unusable");
	}
	g_assert_true(mailmsg_id_usable(long_id));
	g_free(long_id);
	long_id = g_strdup_printf("%s@x.yz", fill);		/* 251 */
	g_assert_false(mailmsg_id_usable(long_id));
	g_free(long_id);
	g_free(fill);
}

int main(int argc, char *argv[])
{
	g_test_init(&argc, &argv, NULL);
	for (unsigned int i = 0; i < G_N_ELEMENTS(scenarios); i++) {
		char *name = g_strdup_printf("/thread/%s", scenarios[i].name);

		g_test_add_data_func(name, &scenarios[i], run_scenario);
		g_free(name);
	}
	g_test_add_func("/thread/message-id-usable", test_message_id_usable);
	return g_test_run();
}
