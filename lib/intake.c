/* intake.c: files an inbound message into its ticket.  Threading
   decides which ticket (thread.c); this module makes or updates the
   ticket, appends the message to its history, reopens a ticket that was
   waiting on the customer, and keeps the indexes that threading reads:
   the message's own Message-ID (so a retry is recognised), the
   sender+subject key (rule 4) and the customer's latest ticket (rule 5).
   In the same transaction it decides whether the message gets an
   acknowledgement, counting what the sender and the ticket already got,
   so that the decision and the counts are durable together.

   It does not look at MIME or SMTP: the milter hands it decoded fields. */

#include "intake.h"
#include "subject.h"

#include <string.h>
#include <sys/random.h>

#define DAY (24 * 60 * 60)

/* One message on its way into the store: a customer's (msg) or an
   agent's (reply), and how threading sees it. */
struct intake_context {
	const struct config *config;
	const struct token_key *key;
	const struct intake_message *msg;
	const struct intake_reply *reply;
	struct thread_input in;
	struct intake_result *result;
};

/* The customer, and whom their mail was sent and copied to, up to max
   participants in all: any of them may write into the ticket. */
static void add_participants(struct ticket *ticket,
			     const struct intake_message *msg,
			     unsigned int max)
{
	if (ticket->participants->len < max)
		ticket_add_participant(ticket, msg->from_address);
	for (unsigned int i = 0; msg->participants != NULL &&
	     msg->participants[i] != NULL &&
	     ticket->participants->len < max; i++)
		ticket_add_participant(ticket, msg->participants[i]);
}

static struct ticket *new_ticket(const struct intake_message *msg,
				 uint32_t linked_to)
{
	struct ticket *ticket = ticket_new();

	g_free(ticket->queue);
	ticket->queue = g_strdup(msg->queue);
	g_free(ticket->channel);
	ticket->channel = g_strdup(msg->channel);
	g_free(ticket->customer_name);
	ticket->customer_name = g_strdup(msg->from_name);
	g_free(ticket->customer_address);
	ticket->customer_address = g_strdup(msg->from_address);
	g_free(ticket->subject);
	ticket->subject = g_strdup(msg->subject);
	ticket->status = TICKET_NEW;
	ticket->created = msg->now;
	ticket->reply_by = msg->reply_by;
	ticket->quiet = msg->quiet || msg->stop;
	if (msg->reply_by != 0) {
		ticket->sla = SLA_OK;
		ticket->awaiting = true;
		ticket->promise_by = msg->reply_by;
		ticket->warn_at = msg->warn_at;
	}
	ticket->linked_to = linked_to;
	if (msg->language != NULL) {
		g_free(ticket->language);
		ticket->language = g_strdup(msg->language);
	}
	if (msg->category != NULL) {
		g_free(ticket->category);
		ticket->category = g_strdup(msg->category);
	}
	return ticket;
}

static GVariant *message_fields(const struct intake_message *msg,
				const struct thread_result *thread)
{
	GVariantBuilder b;
	char *date = ticket_format_time(msg->date);

	g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
	g_variant_builder_add(&b, "{sv}", "message_id",
			      g_variant_new_string(msg->message_id != NULL ?
						   msg->message_id : ""));
	g_variant_builder_add(&b, "{sv}", "direction",
			      g_variant_new_string("inbound"));
	g_variant_builder_add(&b, "{sv}", "from",
			      g_variant_new_string(msg->from_address));
	g_variant_builder_add(&b, "{sv}", "date",
			      g_variant_new_string(date != NULL ? date : ""));
	g_variant_builder_add(&b, "{sv}", "queue_id",
			      g_variant_new_string(msg->queue_id));
	g_variant_builder_add(&b, "{sv}", "rule",
			      g_variant_new_string(
				      thread_rule_name(thread->rule)));
	g_variant_builder_add(&b, "{sv}", "subject",
			      g_variant_new_string(msg->subject));
	g_variant_builder_add(&b, "{sv}", "snippet",
			      g_variant_new_string(msg->snippet));
	g_free(date);
	return g_variant_builder_end(&b);
}

/* A customer writing again reopens a ticket that waited on them or was
   resolved (a closed one never gets here: threading links a new one). */
static int reopen(struct store_txn *txn, struct ticket *ticket, int64_t now,
		  bool *reopened_r, char **error_r)
{
	enum ticket_status old = ticket->status;

	if (old != TICKET_PENDING && old != TICKET_RESOLVED)
		return 0;
	ticket_set_status(ticket, TICKET_OPEN, now);
	*reopened_r = true;
	return store_event_add(
		txn, ticket, now, "status",
		g_variant_new_parsed("{'from': <%s>, 'to': <%s>, "
				     "'by': <'customer'>}",
				     ticket_status_name(old),
				     ticket_status_name(TICKET_OPEN)),
		error_r);
}

/* The answer to "was it solved?" (asked once the ticket was resolved,
   timers.c): a csat event with the rating; solved, 4 or 5 closes the
   ticket (*closed_r), anything else is a reply like any other. */
static int rate(struct store_txn *txn, struct ticket *ticket,
		const struct intake_message *msg, struct intake_result *r,
		bool *closed_r, char **error_r)
{
	const char *solved = msg->solved == 1 ? "yes" :
		msg->solved == 0 ? "no" : "";

	*closed_r = false;
	if (ticket->status != TICKET_RESOLVED || ticket->followup_sent == 0 ||
	    (msg->rating == 0 && msg->solved < 0))
		return 0;
	if (msg->rating != 0)
		ticket->rating = msg->rating;
	r->rated = true;
	r->rating = msg->rating;
	r->solved = solved;
	if (store_event_add(txn, ticket, msg->now, "csat",
			    g_variant_new_parsed("{'score': <%i>, "
						 "'solved': <%s>}",
						 (gint32)msg->rating, solved),
			    error_r) < 0)
		return -1;
	if (msg->solved != 1 && msg->rating < 4)
		return 0;
	ticket_set_status(ticket, TICKET_CLOSED, msg->now);
	*closed_r = true;
	return store_event_add(txn, ticket, msg->now, "status",
			       g_variant_new_parsed("{'from': <'resolved'>, "
						    "'to': <'closed'>, "
						    "'by': <'customer'>}"),
			       error_r);
}

/* A customer who writes after a human answer waits again: a new
   promise (sla_next_reply), watched as the first one. */
static void promise_again(struct ticket *ticket,
			  const struct intake_message *msg)
{
	if (ticket->awaiting || ticket->status == TICKET_CLOSED ||
	    msg->next_reply_by == 0)
		return;
	ticket->sla = SLA_OK;
	ticket->awaiting = true;
	ticket->promise_by = msg->next_reply_by;
	ticket->warn_at = msg->next_warn_at;
}

static int created_event(struct store_txn *txn, struct ticket *ticket,
			 const struct thread_result *thread, int64_t now,
			 char **error_r)
{
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
	if (ticket->linked_to != 0) {
		g_variant_builder_add(&b, "{sv}", "linked_to",
				      g_variant_new_uint32(ticket->linked_to));
		if (thread->note != NULL)
			g_variant_builder_add(&b, "{sv}", "why",
					      g_variant_new_string(
						      thread->note));
	}
	return store_event_add(txn, ticket, now, "created",
			       g_variant_builder_end(&b), error_r);
}

/* The line in the history of the ticket a new one links to: who came
   and why they got a ticket of their own. */
static int followed_event(struct store_txn *txn, const struct ticket *ticket,
			  const struct thread_result *thread, int64_t now,
			  char **error_r)
{
	struct ticket *linked;
	int ret = store_ticket_get(txn, ticket->linked_to, &linked, error_r);

	if (ret <= 0)
		return ret;	/* gone: nothing to tell */
	ret = store_event_add(txn, linked, now, "followed_by",
			      g_variant_new_parsed(
				      "{'ticket': <%u>, 'from': <%s>, "
				      "'why': <%s>}", ticket->id,
				      ticket->customer_address,
				      thread->note != NULL ? thread->note : ""),
			      error_r);
	if (ret == 0)
		ret = store_ticket_put(txn, linked, error_r);
	ticket_free(&linked);
	return ret;
}

static int update_indexes(struct store_txn *txn, const struct config *config,
			  const struct intake_message *msg, uint32_t id,
			  char **error_r)
{
	char *normalized;
	int ret = 0;

	if (msg->message_id != NULL && *msg->message_id != '\0' &&
	    store_msgid_put(txn, msg->message_id, id, error_r) < 0)
		return -1;
	if (*msg->from_address == '\0')
		return 0;
	normalized = subject_normalize(msg->subject, config->ticket_tag);
	if (*normalized != '\0')
		ret = store_thread_put(txn, msg->from_address, normalized, id,
				       error_r);
	g_free(normalized);
	if (ret < 0)
		return -1;
	return store_customer_put(txn, msg->from_address, id, error_r);
}

/* Counts the sender's acknowledgements of the last day against the
   limits; when one more is allowed, records it and returns 1.  Returns 0
   with a static *why_r when a limit is reached, -1 on error. */
static int sender_allows(struct store_txn *txn, const struct config *config,
			 const char *sender, int64_t now, const char **why_r,
			 char **error_r)
{
	GArray *times, *recent;
	unsigned int in_burst = 0;
	int ret = 0;

	if (store_sender_acks_get(txn, sender, &times, error_r) < 0) {
		g_array_unref(times);
		return -1;
	}
	recent = g_array_new(FALSE, FALSE, sizeof(int64_t));
	for (unsigned int i = 0; i < times->len; i++) {
		int64_t t = g_array_index(times, int64_t, i);

		if (t > now - DAY && t <= now)
			g_array_append_val(recent, t);
		if (t > now - config->ack_burst_period && t <= now)
			in_burst++;
	}
	if (recent->len >= config->ack_daily_max) {
		*why_r = "daily cap for this sender";
	} else if (in_burst >= config->ack_burst) {
		*why_r = "burst limit for this sender";
	} else {
		g_array_append_val(recent, now);
		ret = store_sender_acks_put(txn, sender, recent, error_r) < 0 ?
			-1 : 1;
	}
	g_array_unref(recent);
	g_array_unref(times);
	return ret;
}

/* Decides the acknowledgement of a filed message, and records it on the
   ticket and in its history. */
static int decide_ack(struct store_txn *txn, const struct config *config,
		      const struct intake_message *msg, struct ticket *ticket,
		      bool created, bool reopened, struct intake_result *r,
		      char **error_r)
{
	guint8 random[8];
	char *id;
	int ret;

	if (!msg->ack_wanted)
		return 0;
	if (!created && !reopened) {
		r->ack_skipped = "not a new ticket";
		return 0;
	}
	if (!created && ticket->last_ack != 0 &&
	    msg->now - ticket->last_ack < config->ack_reopen_period) {
		r->ack_skipped = "acknowledged recently";
		return 0;
	}
	if (msg->ack_to == NULL || *msg->ack_to == '\0') {
		r->ack_skipped = "no sender address";
		return 0;
	}
	ret = sender_allows(txn, config, msg->ack_to, msg->now,
			    &r->ack_skipped, error_r);
	if (ret <= 0)
		return ret;

	/* The unguessable part makes the Message-ID ours alone; it is
	   stored, so a repeated ack keeps it. */
	if (getrandom(random, sizeof(random), 0) != sizeof(random)) {
		*error_r = g_strdup("getrandom failed");
		return -1;
	}
	id = g_strdup_printf("ack.%u.%u.%02x%02x%02x%02x%02x%02x%02x%02x@%s",
			     ticket->id, ticket->next_seq, random[0],
			     random[1], random[2], random[3], random[4],
			     random[5], random[6], random[7], config->domain);
	g_strlcpy(r->ack_id, id, sizeof(r->ack_id));
	g_free(ticket->ack_id);
	ticket->ack_id = id;
	g_free(ticket->ack_for);
	ticket->ack_for = g_strdup(msg->message_id != NULL ?
				   msg->message_id : "");
	ticket->last_ack = msg->now;
	return store_event_add(txn, ticket, msg->now, "ack",
			       g_variant_new_parsed("{'message_id': <%s>, "
						    "'to': <%s>}",
						    ticket->ack_id,
						    msg->ack_to),
			       error_r);
}

/* A message seen before: if it is the one the ticket's last ack
   answered, the ack is handed out again (putting it is idempotent). */
static void repeat_ack(const struct intake_message *msg,
		       const struct ticket *ticket, struct intake_result *r)
{
	if (msg->message_id != NULL && *ticket->ack_id != '\0' &&
	    strcmp(ticket->ack_for, msg->message_id) == 0)
		g_strlcpy(r->ack_id, ticket->ack_id, sizeof(r->ack_id));
}

/* The ticket threading named.  Returns 0, or -1 with *error_r. */
static int threaded_ticket(struct store_txn *txn,
			   const struct intake_result *r,
			   struct ticket **ticket_r, char **error_r)
{
	int ret = store_ticket_get(txn, r->thread.ticket_id, ticket_r,
				   error_r);

	if (ret == 0)
		*error_r = g_strdup("threaded ticket vanished");
	return ret > 0 ? 0 : -1;
}

/* What the caller learns of the ticket the message went to. */
static void result_set(struct intake_result *r, const struct ticket *ticket)
{
	r->ticket_id = ticket->id;
	r->status = ticket->status;
	r->reply_by = ticket->reply_by;
	g_strlcpy(r->queue, ticket->queue, sizeof(r->queue));
	r->ticket_created = ticket->created;
	g_strlcpy(r->language, ticket->language, sizeof(r->language));
	g_strlcpy(r->category, ticket->category, sizeof(r->category));
	g_strlcpy(r->channel, ticket->channel, sizeof(r->channel));
	r->promise_by = ticket->promise_by;
	g_strlcpy(r->assignee, ticket->assignee, sizeof(r->assignee));
	r->linked_to = ticket->linked_to;
}

/* What threading reads of every message. */
static void thread_input_set(struct thread_input *in, const char *message_id,
			     const char *const *references,
			     const char *const *tokens, const char *subject,
			     int64_t now)
{
	memset(in, 0, sizeof(*in));
	in->message_id = message_id;
	in->references = references;
	in->tokens = tokens;
	in->subject = subject;
	in->now = now;
}

/* Threads c's message: its result is cleared and its thread set.  The
   transaction may run again after a deadlock: nothing else is kept. */
static int resolve(struct store_txn *txn, struct intake_context *c,
		   char **error_r)
{
	memset(c->result, 0, sizeof(*c->result));
	return thread_resolve(txn, c->config, c->key, &c->in,
			      &c->result->thread, error_r);
}

static int intake_txn(struct store_txn *txn, void *context,
		      char **error_r)
{
	struct intake_context *c = context;
	const struct intake_message *msg = c->msg;
	struct intake_result *r = c->result;
	struct ticket *ticket = NULL;
	bool reopened = false, closed = false;

	if (resolve(txn, c, error_r) < 0)
		return -1;

	if (r->thread.ticket_id == 0) {
		ticket = new_ticket(msg, r->thread.linked_to);
		add_participants(ticket, msg, c->config->participants_max);
		if (store_ticket_create(txn, ticket, error_r) < 0 ||
		    created_event(txn, ticket, &r->thread, msg->now,
				  error_r) < 0 ||
		    (ticket->linked_to != 0 &&
		     followed_event(txn, ticket, &r->thread, msg->now,
				    error_r) < 0))
			goto fail;
		r->created = true;
	} else {
		if (threaded_ticket(txn, r, &ticket, error_r) < 0)
			return -1;
		if (r->thread.rule == THREAD_RULE_DUPLICATE) {
			r->duplicate = true;
			repeat_ack(msg, ticket, r);
			goto done;
		}
		add_participants(ticket, msg, c->config->participants_max);
		if (msg->stop)
			ticket->quiet = true;
		if (rate(txn, ticket, msg, r, &closed, error_r) < 0)
			goto fail;
		if (!msg->no_reopen && !closed &&
		    reopen(txn, ticket, msg->now, &reopened, error_r) < 0)
			goto fail;
		if (!msg->no_reopen && !closed)
			promise_again(ticket, msg);
	}
	ticket->updated = msg->now;
	ticket->last_inbound = msg->now;
	r->seq = ticket->next_seq;
	if (store_event_add(txn, ticket, msg->now, "message",
			    message_fields(msg, &r->thread), error_r) < 0 ||
	    decide_ack(txn, c->config, msg, ticket, r->created, reopened, r,
		       error_r) < 0 ||
	    store_ticket_put(txn, ticket, error_r) < 0 ||
	    update_indexes(txn, c->config, msg, ticket->id, error_r) < 0)
		goto fail;
done:
	result_set(r, ticket);
	ticket_free(&ticket);
	return 0;
fail:
	ticket_free(&ticket);
	return -1;
}

int intake_message(struct store *store, const struct config *config,
		   const struct token_key *key,
		   const struct intake_message *msg,
		   struct intake_result *result_r, char **error_r)
{
	struct intake_context c = {
		.config = config,
		.key = key,
		.msg = msg,
		.result = result_r,
	};

	thread_input_set(&c.in, msg->message_id, msg->references,
			 msg->tokens, msg->subject, msg->now);
	c.in.sender = msg->from_address;
	c.in.channel = msg->channel;
	c.in.bounce = msg->ack_to != NULL && *msg->ack_to == '\0';
	return store_transaction(store, intake_txn, &c, error_r);
}


static GVariant *reply_fields(const struct intake_reply *reply, bool note,
			      const struct thread_result *thread)
{
	GVariantBuilder b;
	char *date = ticket_format_time(reply->now);

	g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
	g_variant_builder_add(&b, "{sv}", "message_id",
			      g_variant_new_string(reply->message_id != NULL ?
						   reply->message_id : ""));
	g_variant_builder_add(&b, "{sv}", "date",
			      g_variant_new_string(date));
	g_variant_builder_add(&b, "{sv}", "direction",
			      g_variant_new_string(note ? "note" :
						   "outbound"));
	g_variant_builder_add(&b, "{sv}", "from",
			      g_variant_new_string(reply->agent));
	g_variant_builder_add(&b, "{sv}", "to",
			      g_variant_new_string(reply->to));
	g_variant_builder_add(&b, "{sv}", "queue_id",
			      g_variant_new_string(reply->queue_id));
	g_variant_builder_add(&b, "{sv}", "rule",
			      g_variant_new_string(
				      thread_rule_name(thread->rule)));
	g_variant_builder_add(&b, "{sv}", "subject",
			      g_variant_new_string(reply->subject));
	g_free(date);
	return g_variant_builder_end(&b);
}

/* A field changed by a command: the change goes into the history. */
static int change_field(struct store_txn *txn, struct ticket *ticket,
			const struct intake_reply *reply, const char *event,
			char **field, const char *value, char **error_r)
{
	char *old = *field;

	if (strcmp(old, value) == 0)
		return 0;
	*field = g_strdup(value);
	g_free(old);
	return store_event_add(txn, ticket, reply->now, event,
			       g_variant_new_parsed("{'to': <%s>, 'by': <%s>}",
						    value, reply->agent),
			       error_r);
}

/* The agent's commands, in order; the last status command wins over
   the status a reply would give. */
static int apply_commands(struct store_txn *txn, struct ticket *ticket,
			  const struct intake_reply *reply,
			  enum ticket_status *status, char **error_r)
{
	for (unsigned int i = 0; reply->commands != NULL &&
	     i < reply->commands->commands->len; i++) {
		const struct command *c = reply->commands->commands->pdata[i];
		int ret = 0;

		switch (c->kind) {
		case COMMAND_STATUS:
			ret = ticket_status_parse(c->arg, status);
			if (ret < 0)
				*error_r = g_strdup("command with an unknown "
						    "status");
			break;
		case COMMAND_ASSIGN:
			ret = change_field(txn, ticket, reply, "assign",
					   &ticket->assignee, c->arg, error_r);
			break;
		case COMMAND_CATEGORY:
			ret = change_field(txn, ticket, reply, "category",
					   &ticket->category, c->arg, error_r);
			break;
		case COMMAND_NOTE:
			break;
		}
		if (ret < 0)
			return -1;
	}
	return 0;
}

/* A human answered: the promise is met, unless it broke before. */
static void promise_kept(struct ticket *ticket)
{
	if (!ticket->awaiting)
		return;
	ticket->awaiting = false;
	if (ticket->sla == SLA_OK || ticket->sla == SLA_WARNED)
		ticket->sla = SLA_MET;
}

static int reply_txn(struct store_txn *txn, void *context,
		     char **error_r)
{
	struct intake_context *c = context;
	const struct intake_reply *reply = c->reply;
	struct intake_result *r = c->result;
	bool note = reply->note;
	struct ticket *ticket = NULL;
	enum ticket_status old, status;

	if (resolve(txn, c, error_r) < 0)
		return -1;
	if (r->thread.ticket_id == 0)
		return 0;	/* names no ticket: not a reply */
	if (threaded_ticket(txn, r, &ticket, error_r) < 0)
		return -1;
	r->duplicate = r->thread.rule == THREAD_RULE_DUPLICATE;
	old = ticket->status;
	if (!r->duplicate) {
		ticket->updated = reply->now;
		r->seq = ticket->next_seq;
		if (store_event_add(txn, ticket, reply->now, "message",
				    reply_fields(reply, note, &r->thread),
				    error_r) < 0)
			goto fail;
		if (!note && ticket->first_reply == 0)
			ticket->first_reply = reply->now;
		if (!note)
			promise_kept(ticket);
		status = old;
		if (!note && (old == TICKET_NEW || old == TICKET_OPEN))
			status = TICKET_PENDING;
		else if (note && old == TICKET_NEW)
			status = TICKET_OPEN;
		if (apply_commands(txn, ticket, reply, &status, error_r) < 0)
			goto fail;
		ticket_set_status(ticket, status, reply->now);
		if (ticket->status != old &&
		    store_event_add(txn, ticket, reply->now, "status",
				    g_variant_new_parsed(
					    "{'from': <%s>, 'to': <%s>, "
					    "'by': <%s>}",
					    ticket_status_name(old),
					    ticket_status_name(ticket->status),
					    reply->agent), error_r) < 0)
			goto fail;
		if (store_ticket_put(txn, ticket, error_r) < 0 ||
		    (reply->message_id != NULL && *reply->message_id != '\0' &&
		     store_msgid_put(txn, reply->message_id, ticket->id,
				     error_r) < 0))
			goto fail;
	}
	result_set(r, ticket);
	ticket_free(&ticket);
	return 0;
fail:
	ticket_free(&ticket);
	return -1;
}

int intake_reply(struct store *store, const struct config *config,
		 const struct token_key *key, const struct intake_reply *reply,
		 struct intake_result *result_r, char **error_r)
{
	struct intake_context c = {
		.config = config,
		.key = key,
		.reply = reply,
		.result = result_r,
	};

	thread_input_set(&c.in, reply->message_id, reply->references,
			 reply->tokens, reply->subject, reply->now);
	c.in.sender = "";
	c.in.channel = "email";
	c.in.agent = true;
	return store_transaction(store, reply_txn, &c, error_r);
}
