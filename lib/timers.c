/* timers.c: fires what the store's timer index says is due (timers.h).
   What each timer does:
   - sla_warn: the promise is about to break: the assignee, else the
     queue's escalate_to, gets a short mail; the ticket is "warned".
   - sla_breach: the reply-by passed without a human reply: escalate_to
     gets a mail; the ticket is "breached" (and stays so).
   - schedule: the ticket was resolved: its follow-up and auto-close
     times are computed in the queue's business time (followup_after,
     autoclose_after).
   - window: a WhatsApp customer's 24-hour window for free-form replies
     closes within the hour and nobody answered: the assignee, else
     escalate_to, is told.
   - followup: the customer is asked, on their own channel (mail, or
     the chat they wrote from) and in their language, whether it was
     solved, with a rating 1-5; intake reads the answer.  Not when RFC
     3834 forbade answering the mail that opened the ticket.
   - autoclose: resolved that long with no word from the customer: the
     ticket closes; a customer who writes later gets a new, linked one.
   The mails are notices (notice.c): from the queue, with the ticket's
   tag and X-Shopdesk-Ticket, Reply-To the customer, quoting the
   customer's last message, so that an agent's answer is a reply to the
   customer like any other. */

#include "timers.h"
#include "ack.h"
#include "channel.h"
#include "hours.h"
#include "log.h"
#include "notice.h"
#include "outbox.h"
#include "sla.h"
#include "subject.h"

#include <gmime/gmime.h>

#include <stdio.h>
#include <string.h>

#define FAILURE_LOG_PERIOD 60

struct timers {
	const struct config *config;
	struct store *store;
	struct spool *outbox;
	GHashTable *hours;	/* queue name -> struct hours */
	GHashTable *failing;	/* "ID.KIND.DUE" of a timer that failed ->
				   when that was last logged */
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

int timers_open(const struct config *config, struct store *store,
		struct spool *outbox, struct timers **timers_r,
		char **error_r)
{
	struct timers *t = g_new0(struct timers, 1);

	t->config = config;
	t->store = store;
	t->outbox = outbox;
	t->failing = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					   NULL);
	if (sla_queue_hours(config, &t->hours, error_r) < 0) {
		timers_close(&t);
		return -1;
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
	if (t->hours != NULL)
		g_hash_table_unref(t->hours);
	g_hash_table_unref(t->failing);
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
	if (ticket->last_inbound != 0) {
		char *closes = queue_time(t, ticket->queue,
					  ticket->last_inbound +
					  WHATSAPP_WINDOW);

		json_object_set_string_member(obj, "window_closes", closes);
		g_free(closes);
	}
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

static int fire_window(struct fire *f, struct store_txn *txn,
		       struct ticket *ticket, const struct config_queue *queue,
		       char **error_r)
{
	char *to = assignee_address(f->timers->config, ticket);
	char *closes = ticket_format_time(ticket->last_inbound +
					  WHATSAPP_WINDOW);
	int ret = 0;

	if (to == NULL && queue != NULL && queue->escalate_to != NULL)
		to = g_strdup(queue->escalate_to);
	if (to != NULL && queue != NULL)
		ret = escalation_mail(f, txn, ticket, queue, to,
				      "notice-window.txt", error_r);
	else
		g_string_append(f->log, " (nobody to tell: no assignee, "
				"no escalate_to)");
	ticket->window_warned = ticket->last_inbound;
	if (ret == 0)
		ret = store_event_add(
			txn, ticket, f->now, "window",
			g_variant_new_parsed("{'closes': <%s>, "
					     "'to': <%s>}",
					     closes, to != NULL ? to : ""),
			error_r);
	g_free(closes);
	g_free(to);
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
	if (to != NULL && queue != NULL)
		ret = escalation_mail(f, txn, ticket, queue, to,
				      warn ? "notice-sla-warning.txt" :
				      "notice-sla-breach.txt", error_r);
	else
		g_string_append(f->log, " (nobody to tell: no assignee, "
				"no escalate_to)");
	ticket->sla = warn ? SLA_WARNED : SLA_BREACHED;
	if (ret == 0)
		ret = store_event_add(
			txn, ticket, f->now, warn ? "sla_warn" : "sla_breach",
			g_variant_new_parsed("{'reply_by': <%s>, "
					     "'to': <%s>}",
					     reply_by, to != NULL ? to : ""),
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

	ticket->followup_at = after(f->timers, ticket,
				    queue != NULL ? queue->followup_after :
				    NULL, ticket->resolved_at);
	text = ticket->followup_at == TIMER_OFF ? g_strdup("off") :
		ticket_format_time(ticket->followup_at);
	g_string_append_printf(f->log, " followup=%s", text);
	g_free(text);
	ticket->autoclose_at = after(f->timers, ticket,
				     queue != NULL ? queue->autoclose_after :
				     NULL, ticket->resolved_at);
	text = ticket->autoclose_at == TIMER_OFF ? g_strdup("off") :
		ticket_format_time(ticket->autoclose_at);
	g_string_append_printf(f->log, " autoclose=%s", text);
	g_free(text);
}

/* --- "was it solved?" ------------------------------------------------ */

static JsonNode *followup_data(const struct timers *t,
			       const struct ticket *ticket,
			       const struct config_queue *queue)
{
	JsonObject *obj = json_object_new();
	JsonObject *o = json_object_new();
	JsonNode *node = json_node_new(JSON_NODE_OBJECT);
	char *tag = g_strdup_printf("[%s #%u]", t->config->ticket_tag,
				    ticket->id);

	json_object_set_string_member(o, "name", ticket->customer_name);
	json_object_set_string_member(o, "address",
				      ticket->customer_address);
	json_object_set_object_member(obj, "customer", o);
	o = json_object_new();
	json_object_set_string_member(o, "name", queue->display_name);
	json_object_set_string_member(o, "address", queue->address);
	json_object_set_object_member(obj, "queue", o);
	o = json_object_new();
	json_object_set_int_member(o, "id", ticket->id);
	json_object_set_string_member(o, "tag", tag);
	json_object_set_object_member(obj, "ticket", o);
	json_object_set_string_member(obj, "subject", ticket->subject);
	json_node_take_object(node, obj);
	g_free(tag);
	return node;
}

/* templates/<the customer's language>/name, else the queue's, else
   English.  Returns the text, or NULL with *error_r. */
static char *render(const struct timers *t, const struct ticket *ticket,
		    const struct config_queue *queue, const char *name,
		    JsonNode *data, const char **language_r, char **error_r)
{
	const char *languages[] = { ticket->language, queue->language, "en" };
	char *text = NULL;

	for (unsigned int i = 0; i < G_N_ELEMENTS(languages); i++) {
		if (*languages[i] == '\0')
			continue;
		g_clear_pointer(error_r, g_free);
		if (ack_render_file(t->config->templates_dir, languages[i],
				    name, data, &text, error_r) == 0) {
			*language_r = languages[i];
			return text;
		}
	}
	return NULL;
}

static char *followup_message(const struct timers *t,
			      const struct ticket *ticket,
			      const struct config_queue *queue,
			      const char *message_id,
			      const struct last_message *last,
			      const char *language, const char *body)
{
	GMimeMessage *msg = g_mime_message_new(TRUE);
	GMimeTextPart *part = g_mime_text_part_new_with_subtype("plain");
	GDateTime *now = g_date_time_new_now_utc();
	char *re = g_strconcat("Re: ", ticket->subject, NULL);
	char *subject = subject_add_tag(re, t->config->ticket_tag,
					ticket->id);
	char *text;

	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_FROM,
				   queue->display_name, queue->address);
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_TO,
				   ticket->customer_name,
				   ticket->customer_address);
	g_mime_message_set_subject(msg, subject, "utf-8");
	g_mime_message_set_date(msg, now);
	g_mime_message_set_message_id(msg, message_id);
	g_mime_object_set_header(GMIME_OBJECT(msg), "Auto-Submitted",
				 "auto-generated", NULL);
	g_mime_object_set_header(GMIME_OBJECT(msg), "Content-Language",
				 language, NULL);
	if (*last->message_id != '\0') {
		char *value = g_strdup_printf("<%s>", last->message_id);

		g_mime_object_set_header(GMIME_OBJECT(msg), "In-Reply-To",
					 value, NULL);
		g_mime_object_set_header(GMIME_OBJECT(msg), "References",
					 value, NULL);
		g_free(value);
	}
	g_mime_text_part_set_text(part, body);
	g_mime_message_set_mime_part(msg, GMIME_OBJECT(part));
	text = g_mime_object_to_string(GMIME_OBJECT(msg), NULL);
	g_object_unref(part);
	g_object_unref(msg);
	g_date_time_unref(now);
	g_free(subject);
	g_free(re);
	return text;
}

/* By mail: from the queue, in reply to the customer's last message;
   its Message-ID names the ticket, so that the answer threads. */
static int followup_by_mail(struct fire *f, struct store_txn *txn,
			    const struct ticket *ticket,
			    const struct config_queue *queue,
			    const char *key, const char **skipped_r,
			    char **error_r)
{
	struct timers *t = f->timers;
	char *message_id = g_strdup_printf("%s@%s", key, t->config->domain);
	char *recipients[] = { ticket->customer_address, NULL };
	JsonNode *data = followup_data(t, ticket, queue);
	struct outbox_mail mail = {
		.ticket = ticket->id,
		.created = f->now,
		.sender = "",
		.recipients = recipients,
	};
	struct last_message last;
	const char *language = NULL;
	char *body, *item = NULL, *why = NULL;
	int ret = -1;

	body = render(t, ticket, queue, "followup.txt", data, &language,
		      &why);
	json_node_unref(data);
	if (body == NULL) {
		/* waiting would not mend the template: said, and given up */
		log_error("timer: ticket=%u followup: %s", ticket->id, why);
		g_free(why);
		*skipped_r = "no template renders";
		ret = 0;
		goto out;
	}
	if (last_message(txn, ticket->id, &last, error_r) < 0)
		goto out;
	mail.message = followup_message(t, ticket, queue, message_id, &last,
					language, body);
	last_message_clear(&last);
	item = outbox_mail_encode(&mail);
	g_free(mail.message);
	if (spool_put(t->outbox, key, item, strlen(item), error_r) < 0 ||
	    store_msgid_put(txn, message_id, ticket->id, error_r) < 0)
		goto out;
	g_string_append_printf(f->log, " outbox=%s to=<%s> lang=%s", key,
			       ticket->customer_address, language);
	ret = 0;
out:
	g_free(item);
	g_free(body);
	g_free(message_id);
	return ret;
}

/* In the chat the customer wrote from, through the bridge. */
static int followup_by_chat(struct fire *f, const struct ticket *ticket,
			    const struct config_queue *queue,
			    const struct config_channel *ch, char *chat,
			    const char *key, const char **skipped_r,
			    char **error_r)
{
	struct timers *t = f->timers;
	JsonNode *data = followup_data(t, ticket, queue);
	struct outbox_message *m = outbox_message_new();
	char *escalate = queue->escalate_to;
	const char *language = NULL;
	char *item_key, *item = NULL, *why = NULL;
	int ret = -1;

	m->text = render(t, ticket, queue, "followup-chat.txt", data,
			 &language, &why);
	json_node_unref(data);
	if (m->text == NULL) {
		log_error("timer: ticket=%u followup: %s", ticket->id, why);
		g_free(why);
		*skipped_r = "no template renders";
		m->text = g_strdup("");
		g_free(chat);
		ret = 0;
		goto out;
	}
	g_strchomp(m->text);
	g_free(m->channel);
	m->channel = g_strdup(ch->name);
	g_free(m->chat);
	m->chat = chat;
	m->ticket = ticket->id;
	m->created = f->now;
	m->order = g_get_real_time();
	g_free(m->queue);
	m->queue = g_strdup(ticket->queue);
	/* who hears of it if it cannot be delivered */
	g_free(m->agent);
	m->agent = *ticket->assignee != '\0' ?
		assignee_address(t->config, ticket) :
		g_strdup(escalate != NULL ? escalate : "");
	g_free(m->subject);
	m->subject = g_strdup(ticket->subject);
	item_key = outbox_message_key(ch->name, m->chat, key);
	item = outbox_message_encode(m);
	if (spool_put(t->outbox, item_key, item, strlen(item), error_r) >= 0) {
		g_string_append_printf(f->log, " outbox=%s channel=%s "
				       "lang=%s", item_key, ch->name,
				       language);
		ret = 0;
	}
	g_free(item_key);
out:
	g_free(item);
	outbox_message_free(&m);
	return ret;
}

static int fire_followup(struct fire *f, struct store_txn *txn,
			 struct ticket *ticket,
			 const struct config_queue *queue, char **error_r)
{
	char *key = g_strdup_printf("followup.%u.%" G_GINT64_FORMAT,
				    ticket->id, ticket->resolved_at);
	const struct config_channel *ch = NULL;
	const char *skipped = NULL, *why = NULL;
	char *chat = NULL;
	int ret = 0;

	if (ticket->quiet)
		skipped = "RFC 3834 forbade answering the customer";
	else if (queue == NULL)
		skipped = "no such queue";
	else if (strcmp(ticket->channel, "email") != 0 &&
		 channel_address_parse(f->timers->config,
				       ticket->customer_address, &ch, &chat,
				       &why) <= 0)
		skipped = why != NULL ? why : "the channel is not configured";
	if (skipped != NULL)
		g_string_append_printf(f->log, " not sent: %s", skipped);
	else if (ch != NULL)
		ret = followup_by_chat(f, ticket, queue, ch, chat, key,
				       &skipped, error_r);
	else
		ret = followup_by_mail(f, txn, ticket, queue, key, &skipped,
				       error_r);
	ticket->followup_sent = f->now;
	if (ret == 0)
		ret = store_event_add(
			txn, ticket, f->now, "followup",
			g_variant_new_parsed("{'channel': <%s>, "
					     "'skipped': <%s>}",
					     ticket->channel,
					     skipped != NULL ? skipped : ""),
			error_r);
	g_free(key);
	return ret;
}

static int fire_autoclose(struct fire *f, struct store_txn *txn,
			  struct ticket *ticket, char **error_r)
{
	char *resolved = ticket_format_time(ticket->resolved_at);
	int ret;

	ticket_set_status(ticket, TICKET_CLOSED, f->now);
	ticket->updated = f->now;
	ret = store_event_add(
		txn, ticket, f->now, "autoclose",
		g_variant_new_parsed("{'resolved': <%s>}", resolved), error_r);
	if (ret == 0)
		ret = store_event_add(
			txn, ticket, f->now, "status",
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
	case TIMER_FOLLOWUP:
		ret = fire_followup(f, txn, ticket, queue, error_r);
		break;
	case TIMER_AUTOCLOSE:
		ret = fire_autoclose(f, txn, ticket, error_r);
		break;
	case TIMER_WINDOW:
		ret = fire_window(f, txn, ticket, queue, error_r);
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

/* A timer that could not fire stays due and is tried again at every
   run, without holding up the others; said once a minute (takes key). */
static void failed(struct timers *t, char *key, const char *when,
		   const char *error)
{
	int64_t now = g_get_monotonic_time() / G_USEC_PER_SEC;
	gpointer last;
	unsigned int id;
	int kind;

	if (g_hash_table_lookup_extended(t->failing, key, NULL, &last) &&
	    now - GPOINTER_TO_SIZE(last) < FAILURE_LOG_PERIOD) {
		g_free(key);
		return;
	}
	if (sscanf(key, "%u.%d", &id, &kind) == 2)
		log_error("timer: ticket=%u %s due=%s: %s; will try again",
			  id, ticket_timer_name(kind), when, error);
	g_hash_table_insert(t->failing, key, GSIZE_TO_POINTER(now));
}

/* One scan of the index and the firing of what it found.  Returns the
   number fired in *fired_r; 0 or -1. */
static int run_once(struct timers *t, int64_t now, unsigned int max,
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
	for (unsigned int i = 0; i < scan.due->len; i++) {
		char *when, *error = NULL, *key;

		f.timer = g_array_index(scan.due, struct store_timer, i);
		when = ticket_format_time(f.timer.due);
		key = g_strdup_printf("%u.%d.%" G_GINT64_FORMAT, f.timer.id,
				      f.timer.kind, f.timer.due);
		if (store_transaction(t->store, fire_txn, &f, &error) < 0) {
			failed(t, key, when, error);
			g_free(error);
		} else {
			g_hash_table_remove(t->failing, key);
			g_free(key);
			if (f.fired) {
				log_info("timer: ticket=%u %s due=%s%s",
					 f.timer.id,
					 ticket_timer_name(f.timer.kind),
					 when, f.log->str);
				(*fired_r)++;
			}
		}
		g_free(when);
	}
	g_string_free(f.log, TRUE);
	g_array_unref(scan.due);
	return 0;
}

int timers_run(struct timers *t, int64_t now, unsigned int max,
	       unsigned int *fired_r, char **error_r)
{
	unsigned int fired;

	/* again while firing made more due: a schedule computes a
	   follow-up that is already late after a long stop */
	*fired_r = 0;
	do {
		if (run_once(t, now, max - *fired_r, &fired, error_r) < 0)
			return -1;
		*fired_r += fired;
	} while (fired > 0 && *fired_r < max);
	return 0;
}
