/* timers.c: fires what the store's timer index says is due (timers.h).
   What each timer does:
   - sla_warn: the promise is about to break: the assignee, else the
     queue's escalate_to, gets a short mail; the ticket is "warned".
   - sla_breach: the reply-by passed without a human reply: escalate_to
     gets a mail; the ticket is "breached" (and stays so).
   - schedule: the ticket was resolved: its auto-close time is computed
     in the queue's business time (autoclose_after).
   - autoclose: resolved that long with no word from the customer: the
     ticket closes; a customer who writes later gets a new, linked one.
   The mails are notices (notice.c): from the queue, with the ticket's
   tag and X-Shopdesk-Ticket, Reply-To the customer, quoting the
   customer's last message, so that an agent's answer is a reply to the
   customer like any other. */

#include "timers.h"
#include "hours.h"
#include "log.h"
#include "notice.h"

#include <string.h>

struct timers {
	const struct config *config;
	struct store *store;
	struct spool *outbox;
	GHashTable *hours;	/* queue name -> struct hours */
};

struct fire {
	struct timers *timers;
	struct store_timer timer;
	int64_t now;
	bool fired;		/* its reason held: it did its work */
	GString *log;		/* what the firing did, for the log line */
};

struct scan {
	int64_t until;
	unsigned int max;
	GArray *due;
};

static void hours_destroy(gpointer data)
{
	struct hours *hours = data;

	hours_free(&hours);
}

int timers_open(const struct config *config, struct store *store,
		struct spool *outbox, struct timers **timers_r,
		char **error_r)
{
	struct timers *t = g_new0(struct timers, 1);

	t->config = config;
	t->store = store;
	t->outbox = outbox;
	t->hours = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
					 hours_destroy);
	for (unsigned int i = 0; i < config->queues->len; i++) {
		const struct config_queue *q = config->queues->pdata[i];
		struct hours *hours;

		if (hours_parse(q->hours, q->timezone, q->holidays, &hours,
				error_r) < 0) {
			timers_close(&t);
			return -1;
		}
		g_hash_table_insert(t->hours, q->name, hours);
	}
	*timers_r = t;
	return 0;
}

void timers_close(struct timers **_timers)
{
	struct timers *t = *_timers;

	if (t == NULL)
		return;
	*_timers = NULL;
	g_hash_table_unref(t->hours);
	g_free(t);
}

/* Whether the ticket still implies the timer: its reason holds. */
static bool still_due(const struct ticket *ticket,
		      const struct store_timer *timer)
{
	struct ticket_timer timers[TICKET_TIMERS_MAX];
	unsigned int n = ticket_timers(ticket, timers);

	for (unsigned int i = 0; i < n; i++) {
		if (timers[i].kind == timer->kind &&
		    timers[i].due == timer->due)
			return true;
	}
	return false;
}

static int append(struct store_txn *txn, struct ticket *ticket, int64_t now,
		  const char *name, GVariant *fields, char **error_r)
{
	struct ticket_event *ev = ticket_event_new(now, name, fields);
	int ret = store_event_append(txn, ticket, ev, error_r);

	ticket_event_free(&ev);
	return ret;
}

/* The customer's latest message in the history: its Message-ID, date
   and the start of its text (new strings, "" when there is none). */
struct last_message {
	char *message_id, *date, *snippet;
};

static int last_message(struct store_txn *txn, uint32_t id,
			struct last_message *last_r, char **error_r)
{
	GPtrArray *events;

	last_r->message_id = NULL;
	last_r->date = NULL;
	last_r->snippet = NULL;
	if (store_event_list(txn, id, &events, error_r) < 0)
		return -1;
	for (unsigned int i = events->len; i-- > 0;) {
		const struct ticket_event *ev = events->pdata[i];
		const char *direction = NULL;

		if (strcmp(ev->event, "message") != 0 ||
		    !g_variant_lookup(ev->fields, "direction", "&s",
				      &direction) ||
		    strcmp(direction, "inbound") != 0)
			continue;
		g_variant_lookup(ev->fields, "message_id", "s",
				 &last_r->message_id);
		g_variant_lookup(ev->fields, "date", "s", &last_r->date);
		g_variant_lookup(ev->fields, "snippet", "s",
				 &last_r->snippet);
		break;
	}
	g_ptr_array_unref(events);
	if (last_r->message_id == NULL)
		last_r->message_id = g_strdup("");
	if (last_r->date == NULL)
		last_r->date = g_strdup("");
	if (last_r->snippet == NULL)
		last_r->snippet = g_strdup("");
	return 0;
}

static void last_message_clear(struct last_message *last)
{
	g_free(last->message_id);
	g_free(last->date);
	g_free(last->snippet);
}

/* "2026-12-04 14:00 Europe/Vilnius": the queue's own clock */
static char *queue_time(const struct timers *t, const char *queue,
			int64_t time)
{
	const struct hours *hours = g_hash_table_lookup(t->hours, queue);
	GDateTime *utc = g_date_time_new_from_unix_utc(time);
	GDateTime *local = g_date_time_to_timezone(
		utc, hours != NULL ? hours_timezone(hours) :
		g_date_time_get_timezone(utc));
	char *day = g_date_time_format(local, "%Y-%m-%d %H:%M");
	char *text = g_strdup_printf("%s %s", day,
				     hours != NULL ?
				     g_time_zone_get_identifier(
					     hours_timezone(hours)) : "UTC");

	g_free(day);
	g_date_time_unref(local);
	g_date_time_unref(utc);
	return text;
}

/* The assignee's address: as written when it is one, else at the
   shop's domain (agents log in with their local part). */
static char *assignee_address(const struct config *config,
			      const struct ticket *ticket)
{
	if (*ticket->assignee == '\0')
		return NULL;
	if (strchr(ticket->assignee, '@') != NULL)
		return g_strdup(ticket->assignee);
	return g_strdup_printf("%s@%s", ticket->assignee, config->domain);
}

/* text as a mail quotes it: "> " before every line */
static char *quoted(const char *text)
{
	char **lines = g_strsplit(*text != '\0' ? text : "(no text)", "\n",
				  -1);
	GString *out = g_string_new(NULL);

	for (char **l = lines; *l != NULL; l++)
		g_string_append_printf(out, "%s> %s", l == lines ? "" : "\n",
				       *l);
	g_strfreev(lines);
	return g_string_free(out, FALSE);
}

static JsonNode *escalation_data(const struct timers *t,
				 const struct ticket *ticket,
				 const struct last_message *last,
				 int64_t now)
{
	JsonObject *obj = json_object_new();
	JsonObject *customer = json_object_new();
	JsonNode *node = json_node_new(JSON_NODE_OBJECT);
	char *reply_by = queue_time(t, ticket->queue, ticket->promise_by);
	char *quote = quoted(last->snippet);
	int64_t left = ticket->promise_by - now;

	json_object_set_string_member(customer, "name",
				      ticket->customer_name);
	json_object_set_string_member(customer, "address",
				      ticket->customer_address);
	json_object_set_object_member(obj, "customer", customer);
	json_object_set_string_member(obj, "channel", ticket->channel);
	json_object_set_string_member(obj, "subject", ticket->subject);
	json_object_set_string_member(obj, "reply_by", reply_by);
	json_object_set_int_member(obj, "minutes_left",
				   left > 0 ? (left + 59) / 60 : 0);
	if (*ticket->assignee != '\0')
		json_object_set_string_member(obj, "assignee",
					      ticket->assignee);
	json_object_set_string_member(obj, "last_date", last->date);
	json_object_set_string_member(obj, "quote", quote);
	json_node_take_object(node, obj);
	g_free(reply_by);
	g_free(quote);
	return node;
}

/* The mail about a promise in danger, put in the outbox under the
   firing's key. */
static int escalation_mail(struct fire *f, struct store_txn *txn,
			   const struct ticket *ticket,
			   const struct config_queue *queue, const char *to,
			   const char *template_name, char **error_r)
{
	struct timers *t = f->timers;
	struct last_message last;
	char *key = g_strdup_printf("timer.%s.%u.%" G_GINT64_FORMAT,
				    ticket_timer_name(f->timer.kind),
				    ticket->id, f->timer.due);
	char *message_id = g_strdup_printf("%s@%s", key, t->config->domain);
	char *item = NULL;
	int ret = -1;

	if (last_message(txn, ticket->id, &last, error_r) < 0)
		goto out;
	struct notice n = {
		.queue = queue,
		.to = to,
		.ticket = ticket->id,
		.subject = ticket->subject,
		.in_reply_to = last.message_id,
		.reply_to = ticket->customer_address,
		.urgent = true,
		.message_id = message_id,
		.template_name = template_name,
		.data = escalation_data(t, ticket, &last, f->now),
	};
	item = notice_build(t->config, &n, error_r);
	json_node_unref(n.data);
	last_message_clear(&last);
	if (item == NULL)
		goto out;
	if (spool_put(t->outbox, key, item, strlen(item), error_r) < 0)
		goto out;
	g_string_append_printf(f->log, " outbox=%s to=<%s>", key, to);
	ret = 0;
out:
	g_free(item);
	g_free(message_id);
	g_free(key);
	return ret;
}

static int fire_sla(struct fire *f, struct store_txn *txn,
		    struct ticket *ticket, const struct config_queue *queue,
		    char **error_r)
{
	bool warn = f->timer.kind == TIMER_SLA_WARN;
	char *to = NULL;
	char *reply_by = ticket_format_time(ticket->promise_by);
	int ret = 0;

	if (warn)
		to = assignee_address(f->timers->config, ticket);
	if (to == NULL && queue != NULL && queue->escalate_to != NULL)
		to = g_strdup(queue->escalate_to);
	if (to != NULL)
		ret = escalation_mail(f, txn, ticket, queue, to,
				      warn ? "notice-sla-warning.txt" :
				      "notice-sla-breach.txt", error_r);
	else
		g_string_append(f->log, " (nobody to tell: no assignee, "
				"no escalate_to)");
	ticket->sla = warn ? SLA_WARNED : SLA_BREACHED;
	if (ret == 0)
		ret = append(txn, ticket, f->now, warn ? "sla_warn" :
			     "sla_breach",
			     g_variant_new_parsed("{'reply_by': <%s>, "
						  "'to': <%s>}", reply_by,
						  to != NULL ? to : ""),
			     error_r);
	g_free(reply_by);
	g_free(to);
	return ret;
}

/* Business time after start, or TIMER_OFF. */
static int64_t after(const struct timers *t, const struct ticket *ticket,
		     const char *duration, int64_t start)
{
	const struct hours *hours = g_hash_table_lookup(t->hours,
							ticket->queue);
	int64_t due;
	char *error = NULL;

	if (duration == NULL || strcmp(duration, "off") == 0)
		return TIMER_OFF;
	if (hours == NULL ||
	    hours_deadline(hours, start, duration, &due, &error) < 0) {
		log_warning("timer: ticket=%u: %s: %s", ticket->id, duration,
			    error != NULL ? error : "no such queue");
		g_free(error);
		return TIMER_OFF;
	}
	return due;
}

static void fire_schedule(struct fire *f, struct ticket *ticket,
			  const struct config_queue *queue)
{
	char *text;

	ticket->autoclose_at = after(f->timers, ticket,
				     queue != NULL ? queue->autoclose_after :
				     NULL, ticket->resolved_at);
	text = ticket->autoclose_at == TIMER_OFF ? g_strdup("off") :
		ticket_format_time(ticket->autoclose_at);
	g_string_append_printf(f->log, " autoclose=%s", text);
	g_free(text);
}

static int fire_autoclose(struct fire *f, struct store_txn *txn,
			  struct ticket *ticket, char **error_r)
{
	char *resolved = ticket_format_time(ticket->resolved_at);
	int ret;

	ticket_set_status(ticket, TICKET_CLOSED, f->now);
	ticket->updated = f->now;
	ret = append(txn, ticket, f->now, "autoclose",
		     g_variant_new_parsed("{'resolved': <%s>}", resolved),
		     error_r);
	if (ret == 0)
		ret = append(txn, ticket, f->now, "status",
			     g_variant_new_parsed("{'from': <'resolved'>, "
						  "'to': <'closed'>, "
						  "'by': <'autoclose'>}"),
			     error_r);
	g_free(resolved);
	return ret;
}

static int fire_txn(struct store_txn *txn, void *context, char **error_r)
{
	struct fire *f = context;
	const struct config_queue *queue;
	struct ticket *ticket = NULL;
	int ret;

	g_string_truncate(f->log, 0);
	f->fired = false;
	ret = store_ticket_get(txn, f->timer.id, &ticket, error_r);
	if (ret <= 0)
		return ret;
	if (!still_due(ticket, &f->timer)) {
		/* changed since the scan read the index */
		ticket_free(&ticket);
		return 0;
	}
	f->fired = true;
	ret = 0;
	queue = config_queue_by_name(f->timers->config, ticket->queue);
	if (queue == NULL)
		g_string_append_printf(f->log, " (queue %s is not in the "
				       "configuration)", ticket->queue);
	switch (f->timer.kind) {
	case TIMER_SLA_WARN:
	case TIMER_SLA_BREACH:
		ret = fire_sla(f, txn, ticket, queue, error_r);
		break;
	case TIMER_SCHEDULE:
		fire_schedule(f, ticket, queue);
		break;
	case TIMER_AUTOCLOSE:
		ret = fire_autoclose(f, txn, ticket, error_r);
		break;
	}
	if (ret == 0)
		ret = store_ticket_put(txn, ticket, error_r);
	ticket_free(&ticket);
	return ret;
}

static int scan_txn(struct store_txn *txn, void *context, char **error_r)
{
	struct scan *s = context;

	g_clear_pointer(&s->due, g_array_unref);
	return store_timers_due(txn, s->until, s->max, &s->due, error_r);
}

int timers_run(struct timers *t, int64_t now, unsigned int max,
	       unsigned int *fired_r, char **error_r)
{
	struct fire f = { .timers = t, .now = now };
	struct scan scan = { .until = now, .max = max };
	int ret;

	*fired_r = 0;
	ret = store_transaction(t->store, scan_txn, &scan, error_r);
	if (ret < 0) {
		g_clear_pointer(&scan.due, g_array_unref);
		return -1;
	}
	f.log = g_string_new(NULL);
	for (unsigned int i = 0; i < scan.due->len && ret == 0; i++) {
		char *when;

		f.timer = g_array_index(scan.due, struct store_timer, i);
		ret = store_transaction(t->store, fire_txn, &f, error_r);
		if (ret < 0 || !f.fired)
			continue;
		when = ticket_format_time(f.timer.due);
		log_info("timer: ticket=%u %s due=%s%s", f.timer.id,
			 ticket_timer_name(f.timer.kind), when, f.log->str);
		g_free(when);
		(*fired_r)++;
	}
	g_string_free(f.log, TRUE);
	g_array_unref(scan.due);
	return ret;
}
