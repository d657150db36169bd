/* gen-report-store: fills a ticket store with a generated month of
   tickets for tests/report/t-report.sh, so that `shopdeskctl report` has
   something to count and check-report.py something to recompute.

   About 300 tickets over November 2026, a few in late October (open
   into November, answered or resolved in it: the backlog and the edges
   of the period) and a few in early December, in three queues: "sales"
   (Europe/Vilnius, mon-fri 09:00-18:00, holiday 2026-11-11), "support"
   (America/New_York, 24/7) and "old" (in no configuration: UTC, 24/7).
   Every ticket is made and changed the way the milter does it, through
   intake_message (the customer's messages, at a synthetic .now) and
   intake_reply (agents' replies, notes and commands: #resolve, #close,
   #assign, #category); a rating goes in as the customer's answer to the
   follow-up (followup_sent set first, as timers.c would have), and an
   auto-close is written as timers.c writes it.  A handful of tickets
   are made by hand around the period's edges in each queue's zone.

   Deterministic: g_rand_new_with_seed(seed), 42 unless --seed; every
   step of every ticket is planned first and then applied in time order
   across tickets, as the milter would have seen them.

   usage: gen-report-store [--seed N] [--tickets N] STATE_DIR
   Prints how many tickets and steps it wrote. */

#include "intake.h"
#include "command.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char config_text[] =
	"[shopdesk]\n"
	"domain = shop.test\n"
	"state_dir = %s\n"
	"ticket_tag = Ticket\n"
	"[queue sales]\n"
	"address = sales@shop.test\n"
	"timezone = Europe/Vilnius\n"
	"hours = mon-fri 09:00-18:00\n"
	"holidays = 2026-11-11\n"
	"[queue support]\n"
	"address = support@shop.test\n"
	"timezone = America/New_York\n"
	"hours = 24/7\n";

/* 2026-11-01T00:00:00Z and friends */
#define T_NOV1 1793491200LL
#define T_DEC1 (T_NOV1 + 30 * 86400LL)
#define T_OCT25 (T_NOV1 - 7 * 86400LL)
#define MINUTE 60
#define HOUR 3600
#define DAY 86400

enum step_kind {
	STEP_CUSTOMER,		/* the customer writes (the first: created) */
	STEP_REPLY,		/* an agent answers, maybe with commands */
	STEP_NOTE,		/* an agent's internal note, maybe commands */
	STEP_FOLLOWUP,		/* "was it solved?" asked: followup_sent */
	STEP_AUTOCLOSE,		/* the auto-close timer closes it */
};

struct step {
	int64_t t;
	unsigned int ticket;	/* index into the plans */
	unsigned int seq;	/* order within the ticket */
	enum step_kind kind;
	const char *agent;
	char *commands;		/* "#resolve\n#assign x" or NULL */
	int rating;		/* STEP_CUSTOMER: the answer to the follow-up */
	int solved;		/* -1, 0, 1 */
};

struct plan {
	const char *queue;
	const char *channel;
	char *address;
	const char *language;
	const char *category;
	char *subject;
	uint32_t id;		/* the store's, once created */
	char *last_msgid;	/* what the next message references */
	unsigned int messages;
	unsigned int nsteps;
};

struct gen {
	GRand *rand;
	GPtrArray *plans;	/* struct plan * */
	GPtrArray *steps;	/* struct step * */
	GTimeZone *vilnius;
	struct config *config;
	struct token_key *key;
	struct store *store;
	unsigned int applied;
};

static const char *const agents[] = { "ann@shop.test", "bob@shop.test" };

static void die(const char *what, char *error)
{
	fprintf(stderr, "gen-report-store: %s: %s\n", what,
		error != NULL ? error : "failed");
	exit(1);
}

static const char *pick(struct gen *g, const char *const *list, int n)
{
	return list[g_rand_int_range(g->rand, 0, n)];
}

static bool chance(struct gen *g, int percent)
{
	return g_rand_int_range(g->rand, 0, 100) < percent;
}

static int64_t between(struct gen *g, int64_t lo, int64_t hi)
{
	return lo + (int64_t)(g_rand_double(g->rand) * (double)(hi - lo));
}

/* A delay such as people take: mostly minutes to hours, now and then
   days (log-uniform between lo and hi seconds). */
static int64_t delay(struct gen *g, int64_t lo, int64_t hi)
{
	double l = g_rand_double_range(g->rand, 0, 1);

	return (int64_t)(lo * pow((double)hi / lo, l));
}

static struct plan *new_plan(struct gen *g, const char *queue,
			     const char *channel, const char *language,
			     const char *category)
{
	struct plan *p = g_new0(struct plan, 1);
	unsigned int n = g->plans->len + 1;

	p->queue = queue;
	p->channel = channel;
	p->language = language;
	p->category = category;
	if (strcmp(channel, "telegram") == 0)
		p->address = g_strdup_printf("tg.%u@telegram.shop.test",
					     100000 + n * 7);
	else if (strcmp(channel, "whatsapp") == 0)
		p->address = g_strdup_printf("wa.3706%07u@whatsapp.shop.test",
					     n * 13);
	else if (strcmp(channel, "viber") == 0)
		p->address = g_strdup_printf("vb.%u@viber.shop.test", n);
	else
		p->address = g_strdup_printf("customer%u@example.com", n);
	p->subject = g_strdup_printf("Question %u about my order", n);
	g_ptr_array_add(g->plans, p);
	return p;
}

static struct step *add_step(struct gen *g, struct plan *p, int64_t t,
			     enum step_kind kind)
{
	struct step *s = g_new0(struct step, 1);

	s->t = t;
	s->ticket = g->plans->len - 1;
	for (unsigned int i = 0; i < g->plans->len; i++)
		if (g->plans->pdata[i] == p)
			s->ticket = i;
	s->seq = p->nsteps++;
	s->kind = kind;
	s->solved = -1;
	g_ptr_array_add(g->steps, s);
	return s;
}

static struct step *customer(struct gen *g, struct plan *p, int64_t t)
{
	return add_step(g, p, t, STEP_CUSTOMER);
}

/* Whether sales is open at t: mon-fri 09:00-18:00 in Vilnius, but the
   holiday. */
static bool sales_open(struct gen *g, int64_t t)
{
	GDateTime *local = g_date_time_new_from_unix_utc(t);
	GDateTime *v = g_date_time_to_timezone(local, g->vilnius);
	int day = g_date_time_get_day_of_week(v);
	int hour = g_date_time_get_hour(v);
	bool holiday = g_date_time_get_year(v) == 2026 &&
		g_date_time_get_month(v) == 11 &&
		g_date_time_get_day_of_month(v) == 11;

	g_date_time_unref(v);
	g_date_time_unref(local);
	return day <= 5 && hour >= 9 && hour < 18 && !holiday;
}

/* Sales agents answer in office hours, mostly: a reply planned when the
   queue is closed waits for the next opening (and a few minutes). */
static int64_t office(struct gen *g, struct plan *p, int64_t t)
{
	if (strcmp(p->queue, "sales") != 0 || chance(g, 15) ||
	    sales_open(g, t))
		return t;
	while (!sales_open(g, t))
		t += 15 * MINUTE;
	return t + g_rand_int_range(g->rand, 0, 45 * MINUTE);
}

static struct step *reply(struct gen *g, struct plan *p, int64_t t,
			  const char *agent, const char *commands)
{
	struct step *s = add_step(g, p, t, STEP_REPLY);

	s->agent = agent;
	s->commands = g_strdup(commands);
	return s;
}

static struct step *note(struct gen *g, struct plan *p, int64_t t,
			 const char *agent, const char *commands)
{
	struct step *s = add_step(g, p, t, STEP_NOTE);

	s->agent = agent;
	s->commands = g_strdup(commands);
	return s;
}

/* The customer's answer to "was it solved?": asked at t, answered
   later.  Returns the answer's time; *closes_r tells whether it closes
   the ticket (intake.c's rate(): solved, 4 or 5). */
static int64_t rate(struct gen *g, struct plan *p, int64_t t,
		    bool *closes_r)
{
	struct step *s;
	int64_t answer = t + delay(g, 5 * MINUTE, 2 * DAY);

	add_step(g, p, t, STEP_FOLLOWUP);
	s = customer(g, p, answer);
	if (chance(g, 15)) {
		s->rating = 0;	/* a bare "yes": a csat event, no rating */
		s->solved = 1;
	} else {
		s->rating = g_rand_int_range(g->rand, 1, 6);
		s->solved = s->rating >= 4 ? (chance(g, 50) ? 1 : -1) :
			(chance(g, 50) ? 0 : -1);
	}
	*closes_r = s->solved == 1 || s->rating >= 4;
	return answer;
}

/* One generated ticket's life from created, in its plan's steps. */
static void life(struct gen *g, struct plan *p, int64_t created)
{
	const char *owner = pick(g, agents, 2);
	bool assigned = false;
	int64_t t = created;
	char *cmd;
	int rounds;

	customer(g, p, t);
	if (chance(g, 10)) {
		/* nobody answers; the customer may write again */
		if (chance(g, 40))
			customer(g, p, t + delay(g, 30 * MINUTE, 3 * DAY));
		if (chance(g, 25))
			note(g, p, t + delay(g, 10 * MINUTE, DAY), owner,
			     chance(g, 50) ? NULL : "#assign ann@shop.test");
		return;
	}
	if (chance(g, 8))
		note(g, p, (t += delay(g, 2 * MINUTE, 2 * HOUR)), owner, NULL);

	/* the first reply: now and then assigning, or setting a category */
	t = office(g, p, t + delay(g, 3 * MINUTE, 3 * DAY));
	if (chance(g, 40)) {
		cmd = g_strdup_printf("#assign %s", owner);
		assigned = true;
	} else if (p->category == NULL && chance(g, 30)) {
		cmd = g_strdup("#category delivery");
	} else {
		cmd = NULL;
	}
	/* the other agent answers some tickets first */
	reply(g, p, t, chance(g, 20) ? agents[owner == agents[0]] : owner,
	      cmd);
	g_free(cmd);

	/* back and forth */
	rounds = g_rand_int_range(g->rand, 0, 3);
	for (int i = 0; i < rounds; i++) {
		t += delay(g, 10 * MINUTE, 2 * DAY);
		customer(g, p, t);
		if (chance(g, 15))
			return;	/* waits for an answer */
		t = office(g, p, t + delay(g, 5 * MINUTE, DAY));
		reply(g, p, t, assigned || chance(g, 70) ? owner :
		      agents[owner == agents[0]], NULL);
	}
	if (chance(g, 15))
		return;	/* pending on the customer */

	/* the resolution */
	t = office(g, p, t + delay(g, 10 * MINUTE, 3 * DAY));
	if (chance(g, 12)) {
		reply(g, p, t, owner, "#close");
		return;
	}
	if (chance(g, 10))
		note(g, p, t, owner, "#resolve");
	else
		reply(g, p, t, owner, "#resolve");

	for (int again = 0; again < 2; again++) {
		int what = g_rand_int_range(g->rand, 0, 100);
		bool closes;

		if (what < 20) {
			/* the customer writes again: resolved -> open */
			t += delay(g, 30 * MINUTE, 3 * DAY);
			customer(g, p, t);
			if (chance(g, 20))
				return;
			t += delay(g, 10 * MINUTE, DAY);
			if (chance(g, 30)) {
				reply(g, p, t, owner, "#close");
				return;
			}
			reply(g, p, t, owner, "#resolve");
			continue;
		}
		if (what < 55) {
			t += delay(g, 12 * HOUR, 2 * DAY);
			t = rate(g, p, t, &closes);
			if (closes)
				return;
			/* reopened by the rating: answered and resolved */
			t += delay(g, 10 * MINUTE, DAY);
			reply(g, p, t, owner, "#resolve");
			continue;
		}
		if (what < 75)
			add_step(g, p, t + 3 * DAY + delay(g, MINUTE, HOUR),
				 STEP_AUTOCLOSE);
		return;
	}
}

static const char *queue_of(struct gen *g)
{
	int r = g_rand_int_range(g->rand, 0, 100);

	return r < 45 ? "sales" : r < 85 ? "support" : "old";
}

static const char *channel_of(struct gen *g)
{
	int r = g_rand_int_range(g->rand, 0, 100);

	return r < 50 ? "email" : r < 80 ? "telegram" : "whatsapp";
}

static const char *language_of(struct gen *g)
{
	static const char *const langs[] = { "en", "en", "ru", "uk", "lt",
					     NULL };
	return langs[g_rand_int_range(g->rand, 0, G_N_ELEMENTS(langs))];
}

static const char *category_of(struct gen *g)
{
	static const char *const cats[] = { "order", "order", "delivery",
					    NULL, NULL };
	return cats[g_rand_int_range(g->rand, 0, G_N_ELEMENTS(cats))];
}

static struct plan *random_plan(struct gen *g, const char *queue)
{
	const char *channel = channel_of(g);
	const char *language = language_of(g);
	const char *category = category_of(g);

	return new_plan(g, queue != NULL ? queue : queue_of(g), channel,
			language, category);
}

/* Tickets made by hand at the edges of November in each queue's zone
   (Vilnius is UTC+2 in November, New York UTC-4 until 2026-11-01
   06:00Z and UTC-5 after, "old" UTC). */
static void edges(struct gen *g)
{
	struct plan *p;

	/* sales: created at 00:00 Vilnius on Nov 1 exactly (in) */
	p = random_plan(g, "sales");
	customer(g, p, T_NOV1 - 2 * HOUR);
	reply(g, p, T_NOV1 + 2 * DAY + 8 * HOUR, "ann@shop.test", NULL);
	/* sales: one second before (out), answered on Monday Nov 2 */
	p = random_plan(g, "sales");
	customer(g, p, T_NOV1 - 2 * HOUR - 1);
	reply(g, p, T_NOV1 + DAY + 8 * HOUR, "bob@shop.test",
	      "#assign bob@shop.test");
	/* support: 23:59:59 EDT Oct 31 (out), answered at 00:00 EDT Nov 1 */
	p = random_plan(g, "support");
	customer(g, p, T_NOV1 + 4 * HOUR - 1);
	reply(g, p, T_NOV1 + 4 * HOUR, "bob@shop.test", NULL);
	/* support: across the end of daylight saving time (01:30 EDT ->
	   01:30 EST: one wall hour, one open hour) */
	p = random_plan(g, "support");
	customer(g, p, T_NOV1 + 5 * HOUR + 30 * MINUTE);
	reply(g, p, T_NOV1 + 6 * HOUR + 30 * MINUTE, "ann@shop.test",
	      "#resolve");
	/* support: 23:59:59 EST Nov 30 (in), 00:00 EST Dec 1 (out) */
	p = random_plan(g, "support");
	customer(g, p, T_DEC1 + 5 * HOUR - 1);
	p = random_plan(g, "support");
	customer(g, p, T_DEC1 + 5 * HOUR);
	reply(g, p, T_DEC1 + 6 * HOUR, "ann@shop.test", NULL);
	/* old (UTC): 23:59:59 Nov 30 (in), 00:00 Dec 1 (out) */
	p = random_plan(g, "old");
	customer(g, p, T_DEC1 - 1);
	p = random_plan(g, "old");
	customer(g, p, T_DEC1);
	/* old: Oct 31 23:30 UTC (out) but Nov 1 01:30 in Vilnius: the
	   same instant in sales (in) */
	p = random_plan(g, "old");
	customer(g, p, T_NOV1 - 30 * MINUTE);
	reply(g, p, T_NOV1 + 30 * MINUTE, "bob@shop.test", NULL);
	p = random_plan(g, "sales");
	customer(g, p, T_NOV1 - 30 * MINUTE);
	reply(g, p, T_NOV1 + 30 * MINUTE, "bob@shop.test", NULL);
	/* sales: created 23:59:59 Nov 30 Vilnius, resolved at the
	   period's end exactly: still open in the backlog */
	p = random_plan(g, "sales");
	customer(g, p, T_DEC1 - 2 * HOUR - 1);
	reply(g, p, T_DEC1 - 2 * HOUR, "ann@shop.test", "#resolve");
	/* sales: resolved in October, reopened and resolved again in
	   November (a reopening and a resolved, no resolution) */
	p = random_plan(g, "sales");
	customer(g, p, T_NOV1 - 12 * DAY + 9 * HOUR);
	reply(g, p, T_NOV1 - 11 * DAY + 10 * HOUR, "ann@shop.test",
	      "#resolve");
	customer(g, p, T_NOV1 + 2 * DAY + 7 * HOUR);
	reply(g, p, T_NOV1 + 3 * DAY + 8 * HOUR, "ann@shop.test",
	      "#resolve");
	/* sales: created Monday Oct 26 (the day after Vilnius left summer
	   time), answered on the holiday Nov 11, resolved Nov 12 */
	p = random_plan(g, "sales");
	customer(g, p, T_NOV1 - 6 * DAY + 6 * HOUR);
	reply(g, p, T_NOV1 + 10 * DAY + 9 * HOUR, "bob@shop.test",
	      "#category order");
	reply(g, p, T_NOV1 + 11 * DAY + 9 * HOUR, "bob@shop.test",
	      "#resolve");
	/* sales: written on a Saturday night, answered Monday morning */
	p = random_plan(g, "sales");
	customer(g, p, T_NOV1 + 6 * DAY + 21 * HOUR);	/* Sat Nov 7 23:00 */
	reply(g, p, T_NOV1 + 8 * DAY + 7 * HOUR + 15 * MINUTE, "ann@shop.test",
	      NULL);
	/* old: October, never answered (backlog only) */
	p = random_plan(g, "old");
	customer(g, p, T_NOV1 - 3 * DAY + 5 * HOUR);
	/* support: a note only, assigning (new -> open, no reply) */
	p = random_plan(g, "support");
	customer(g, p, T_NOV1 + 14 * DAY + 3 * HOUR);
	note(g, p, T_NOV1 + 14 * DAY + 4 * HOUR, "bob@shop.test",
	     "#assign bob@shop.test");
	/* support: resolved, a rating of 5 closes it within November */
	p = random_plan(g, "support");
	customer(g, p, T_NOV1 + 20 * DAY);
	reply(g, p, T_NOV1 + 20 * DAY + HOUR, "bob@shop.test", "#resolve");
	add_step(g, p, T_NOV1 + 21 * DAY, STEP_FOLLOWUP);
	{
		struct step *s = customer(g, p, T_NOV1 + 21 * DAY + HOUR);

		s->rating = 5;
		s->solved = 1;
	}
	/* sales: resolved, a rating of 1 reopens it, then closed */
	p = random_plan(g, "sales");
	customer(g, p, T_NOV1 + 16 * DAY + 10 * HOUR);
	reply(g, p, T_NOV1 + 16 * DAY + 11 * HOUR, "ann@shop.test",
	      "#resolve");
	add_step(g, p, T_NOV1 + 17 * DAY + 10 * HOUR, STEP_FOLLOWUP);
	{
		struct step *s = customer(g, p, T_NOV1 + 17 * DAY + 12 * HOUR);

		s->rating = 1;
		s->solved = 0;
	}
	reply(g, p, T_NOV1 + 18 * DAY + 8 * HOUR, "ann@shop.test", "#close");
	/* old: the only viber ticket, created and closed in October: in no
	   November figure, not even the backlog */
	p = new_plan(g, "old", "viber", "en", "order");
	customer(g, p, T_NOV1 - 20 * DAY);
	reply(g, p, T_NOV1 - 19 * DAY, "ann@shop.test", "#close");
	/* support: the only ticket of category "refund", in December */
	p = new_plan(g, "support", "email", "en", "refund");
	customer(g, p, T_DEC1 + 2 * DAY);
	reply(g, p, T_DEC1 + 2 * DAY + HOUR, "ann@shop.test", NULL);
	/* support: answered at its reply-by exactly (in time), and one
	   second after it (late) */
	p = random_plan(g, "support");
	customer(g, p, T_NOV1 + 9 * DAY + 13 * HOUR);
	reply(g, p, T_NOV1 + 9 * DAY + 17 * HOUR, "bob@shop.test", NULL);
	p = random_plan(g, "support");
	customer(g, p, T_NOV1 + 9 * DAY + 13 * HOUR);
	reply(g, p, T_NOV1 + 9 * DAY + 17 * HOUR + 1, "bob@shop.test", NULL);
	/* old: resolved, auto-closed three days later */
	p = random_plan(g, "old");
	customer(g, p, T_NOV1 + 24 * DAY + 2 * HOUR);
	reply(g, p, T_NOV1 + 24 * DAY + 3 * HOUR, "bob@shop.test",
	      "#resolve");
	add_step(g, p, T_NOV1 + 27 * DAY + 3 * HOUR, STEP_AUTOCLOSE);
}

static void plan_all(struct gen *g, unsigned int n)
{
	edges(g);
	for (unsigned int i = 0; i < n; i++) {
		struct plan *p = random_plan(g, NULL);
		int64_t created;
		int r = g_rand_int_range(g->rand, 0, 100);

		if (r < 5)	/* late October */
			created = between(g, T_OCT25, T_NOV1);
		else if (r < 8)	/* early December */
			created = between(g, T_DEC1, T_DEC1 + 4 * DAY);
		else
			created = between(g, T_NOV1, T_DEC1);
		life(g, p, created);
	}
}

static int step_cmp(gconstpointer a, gconstpointer b)
{
	const struct step *x = *(struct step *const *)a;
	const struct step *y = *(struct step *const *)b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	if (x->ticket != y->ticket)
		return x->ticket < y->ticket ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* --- applying the steps -------------------------------------------------- */

static void apply_customer(struct gen *g, struct plan *p,
			   const struct step *s)
{
	char message_id[96], snippet[96];
	const char *refs[2] = { p->last_msgid, NULL };
	const char *none[] = { NULL };
	struct intake_result r;
	char *error = NULL;

	g_snprintf(message_id, sizeof(message_id), "gen.%u.%u@%s",
		   s->ticket + 1, s->seq, strchr(p->address, '@') + 1);
	g_snprintf(snippet, sizeof(snippet), "Message %u of the customer",
		   p->messages + 1);
	struct intake_message msg = {
		.queue_id = "GEN",
		.queue = p->queue,
		.channel = p->channel,
		.message_id = message_id,
		.references = p->last_msgid != NULL ? refs : none,
		.tokens = none,
		.subject = p->messages == 0 ? p->subject :
			g_strdup_printf("Re: %s", p->subject),
		.from_name = "Customer",
		.from_address = p->address,
		.date = s->t,
		.snippet = snippet,
		.language = p->language != NULL ? p->language : "",
		.category = p->category != NULL ? p->category : "",
		.now = s->t,
		.reply_by = s->t + 4 * HOUR,
		.next_reply_by = s->t + 4 * HOUR,
		.rating = s->rating,
		.solved = s->solved,
	};
	if (intake_message(g->store, g->config, g->key, &msg, &r,
			   &error) < 0)
		die("intake_message", error);
	if (p->messages > 0)
		g_free((char *)msg.subject);
	if (p->id == 0) {
		if (!r.created)
			die(p->subject, g_strdup("not a new ticket"));
		p->id = r.ticket_id;
	} else if (r.ticket_id != p->id) {
		die(p->subject, g_strdup_printf(
			    "filed into ticket %u, not %u (%s)", r.ticket_id,
			    p->id, r.thread.note != NULL ? r.thread.note : ""));
	}
	g_free(p->last_msgid);
	p->last_msgid = g_strdup(message_id);
	p->messages++;
}

static void apply_reply(struct gen *g, struct plan *p, const struct step *s)
{
	char message_id[96], *subject;
	const char *refs[2] = { p->last_msgid, NULL };
	const char *none[] = { NULL };
	struct command_list *commands = NULL;
	struct intake_result r;
	char *error = NULL, *rest = NULL;

	g_snprintf(message_id, sizeof(message_id), "gen.%u.%u@shop.test",
		   s->ticket + 1, s->seq);
	if (s->commands != NULL) {
		char *text = g_strdup_printf("%s\n\nThank you.\n",
					     s->commands);

		commands = command_parse_text(text, &rest);
		g_free(text);
		g_free(rest);
	}
	subject = g_strdup_printf("Re: %s", p->subject);
	struct intake_reply msg = {
		.queue_id = "GEN",
		.message_id = message_id,
		.references = refs,
		.tokens = none,
		.subject = subject,
		.agent = s->agent,
		.to = s->kind == STEP_NOTE ? "" : p->address,
		.note = s->kind == STEP_NOTE,
		.commands = commands,
		.now = s->t,
	};
	if (intake_reply(g->store, g->config, g->key, &msg, &r, &error) < 0)
		die("intake_reply", error);
	if (r.ticket_id != p->id)
		die(p->subject, g_strdup_printf("reply filed into %u, not %u",
						r.ticket_id, p->id));
	if (commands != NULL)
		command_list_free(&commands);
	g_free(subject);
	g_free(p->last_msgid);
	p->last_msgid = g_strdup(message_id);
}

struct direct {
	const struct plan *plan;
	const struct step *step;
};

/* What timers.c does: asks "was it solved?" (followup_sent), or closes
   a resolved ticket ({'from': 'resolved', 'to': 'closed', 'by':
   'autoclose'}).  Nothing when the ticket is no longer resolved. */
static int direct_txn(struct store_txn *txn, void *context, char **error_r)
{
	struct direct *d = context;
	struct ticket *ticket;
	struct ticket_event *ev;
	int ret = store_ticket_get(txn, d->plan->id, &ticket, error_r);

	if (ret <= 0) {
		if (ret == 0)
			*error_r = g_strdup("no such ticket");
		return -1;
	}
	if (ticket->status != TICKET_RESOLVED) {
		ticket_free(&ticket);
		return 0;
	}
	if (d->step->kind == STEP_FOLLOWUP) {
		ticket->followup_sent = d->step->t;
	} else {
		ticket_set_status(ticket, TICKET_CLOSED, d->step->t);
		ticket->updated = d->step->t;
		ev = ticket_event_new(d->step->t, "status",
				      g_variant_new_parsed(
					      "{'from': <'resolved'>, "
					      "'to': <'closed'>, "
					      "'by': <'autoclose'>}"));
		ret = store_event_append(txn, ticket, ev, error_r);
		ticket_event_free(&ev);
		if (ret < 0) {
			ticket_free(&ticket);
			return -1;
		}
	}
	ret = store_ticket_put(txn, ticket, error_r);
	ticket_free(&ticket);
	return ret;
}

static void apply(struct gen *g, const struct step *s)
{
	struct plan *p = g->plans->pdata[s->ticket];
	struct direct d = { p, s };
	char *error = NULL;

	switch (s->kind) {
	case STEP_CUSTOMER:
		apply_customer(g, p, s);
		break;
	case STEP_REPLY:
	case STEP_NOTE:
		apply_reply(g, p, s);
		break;
	case STEP_FOLLOWUP:
	case STEP_AUTOCLOSE:
		if (store_transaction(g->store, direct_txn, &d, &error) < 0)
			die("timer step", error);
		break;
	}
	g->applied++;
}

int main(int argc, char *argv[])
{
	struct gen g = { 0 };
	unsigned int seed = 42, tickets = 280;
	const char *dir = NULL;
	char *path, *text, *error = NULL, *tmp, *abs_dir;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
			seed = strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--tickets") == 0 && i + 1 < argc)
			tickets = strtoul(argv[++i], NULL, 10);
		else if (argv[i][0] != '-' && dir == NULL)
			dir = argv[i];
		else
			dir = NULL, i = argc;
	}
	if (dir == NULL) {
		fprintf(stderr, "usage: gen-report-store [--seed N] "
			"[--tickets N] STATE_DIR\n");
		return 2;
	}
	if (g_mkdir_with_parents(dir, 0750) < 0)
		die(dir, g_strdup(g_strerror(errno)));
	dir = abs_dir = g_canonicalize_filename(dir, NULL);

	/* intake reads a few settings (the tag, participants_max): a
	   configuration of the generator's own, in a temporary folder */
	tmp = g_dir_make_tmp("gen-report-store-XXXXXX", NULL);
	path = g_build_filename(tmp, "shopdesk.conf", NULL);
	text = g_strdup_printf(config_text, dir);
	if (!g_file_set_contents(path, text, -1, NULL) ||
	    config_load(path, &g.config, &error) < 0)
		die(path, error);
	g_unlink(path);
	g_rmdir(tmp);
	/* the milter's own key, so that tokens it makes would be valid */
	if (token_key_load(dir, &g.key, &error) < 0)
		die("token key", error);

	g.rand = g_rand_new_with_seed(seed);
	g.vilnius = g_time_zone_new_identifier("Europe/Vilnius");
	if (g.vilnius == NULL)
		die("Europe/Vilnius", g_strdup("unknown time zone"));
	g.plans = g_ptr_array_new();
	g.steps = g_ptr_array_new();
	plan_all(&g, tickets);
	g_ptr_array_sort(g.steps, step_cmp);

	if (store_open(dir, STORE_NOSYNC, &g.store, &error) < 0)
		die("store_open", error);
	for (unsigned int i = 0; i < g.steps->len; i++)
		apply(&g, g.steps->pdata[i]);
	store_close(&g.store);
	printf("gen-report-store: %u tickets, %u steps, seed %u, in %s\n",
	       g.plans->len, g.applied, seed, dir);

	for (unsigned int i = 0; i < g.steps->len; i++) {
		struct step *s = g.steps->pdata[i];

		g_free(s->commands);
		g_free(s);
	}
	for (unsigned int i = 0; i < g.plans->len; i++) {
		struct plan *p = g.plans->pdata[i];

		g_free(p->address);
		g_free(p->subject);
		g_free(p->last_msgid);
		g_free(p);
	}
	g_ptr_array_unref(g.steps);
	g_ptr_array_unref(g.plans);
	g_rand_free(g.rand);
	g_time_zone_unref(g.vilnius);
	token_key_free(&g.key);
	config_free(&g.config);
	g_free(path);
	g_free(text);
	g_free(abs_dir);
	return 0;
}
