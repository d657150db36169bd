/* pipeline.c: the way of one message through shopdesk, from the
   milter's collected envelope and headers to a plan (pipeline.h).  The
   order of the rules is DESIGN.md's: an agent's mail is a reply or a
   note when it names a ticket; anything else to a branded address is a
   customer's, threaded and filed by intake in one transaction; then the
   acknowledgement, the stamps and the tag are planned.  It calls no
   libmilter function and writes no spool: the milter applies the plan. */

#include "pipeline.h"
#include "sla.h"
#include "stamp.h"
#include "ack.h"
#include "autoreply.h"
#include "category.h"
#include "channel.h"
#include "hours.h"
#include "intake.h"
#include "language.h"
#include "mailbuf.h"
#include "log.h"
#include "mailmsg.h"
#include "notice.h"
#include "outbox.h"
#include "subject.h"
#include "thread.h"
#include "threadhdr.h"

#include <string.h>

/* Bytes of a subject kept: a longer one is cut (cut_subject()). */
#define SUBJECT_MAX 2000

struct pipeline {
	const struct config *config;
	struct store *store;
	const struct token_key *key;
	GHashTable *hours;	/* queue name -> struct hours */
	struct ack_templates *templates;
	struct language *languages;
	struct category_rules *categories;
	GPtrArray *trusted;	/* GInetAddressMask * */
};

/* What the customer's mail tells beyond its fields. */
struct customer {
	const char *language;	/* by language.h */
	const char *category;	/* by category.h */
	const char *answer;	/* its canned answer, or NULL */
	const char *channel;	/* "email", or the messenger's name */
	const char *ack_refusal;	/* why no ack, or NULL */
	const char *quiet;	/* why RFC 3834 forbids answering, or NULL */
	const char *no_reopen;	/* why this mail reopens nothing, or NULL */
	int rating, solved;	/* as ack_rating() reads the words */
	bool stop;		/* the words ask for no more automatic mail */
};

int pipeline_open(const struct config *config, struct store *store,
		  const struct token_key *key, struct pipeline **pipeline_r,
		  char **error_r)
{
	struct pipeline *p = g_new0(struct pipeline, 1);

	p->config = config;
	p->store = store;
	p->key = key;
	p->trusted = g_ptr_array_new_with_free_func(g_object_unref);
	*pipeline_r = p;
	if (sla_queue_hours(config, &p->hours, error_r) < 0 ||
	    ack_templates_load(config->templates_dir, &p->templates,
			       error_r) < 0 ||
	    language_open(config->templates_dir, TEXTCAT_DATADIR,
			  &p->languages, error_r) < 0 ||
	    category_load(config->templates_dir, &p->categories, error_r) < 0)
		goto fail;
	for (unsigned int i = 0; config->trusted_networks[i] != NULL; i++)
		g_ptr_array_add(p->trusted,
				g_inet_address_mask_new_from_string(
					config->trusted_networks[i], NULL));
	return 0;
fail:
	pipeline_close(pipeline_r);
	return -1;
}

void pipeline_close(struct pipeline **_pipeline)
{
	struct pipeline *p = *_pipeline;

	if (p == NULL)
		return;
	*_pipeline = NULL;
	if (p->hours != NULL)
		g_hash_table_unref(p->hours);
	if (p->templates != NULL)
		ack_templates_free(&p->templates);
	if (p->languages != NULL)
		language_close(&p->languages);
	if (p->categories != NULL)
		category_free(&p->categories);
	g_ptr_array_unref(p->trusted);
	g_free(p);
}

/* Whether a SASL login is one of agents, by itself or as login@domain:
   any login when agents is empty. */
static bool listed_login(const struct config *config, const char *login)
{
	const char *const *agents = (const char *const *)config->agents;
	char *lower, *address;
	bool listed;

	if (agents[0] == NULL)
		return true;
	lower = g_ascii_strdown(login, -1);
	address = g_strdup_printf("%s@%s", lower, config->domain);
	listed = g_strv_contains(agents, lower) ||
		(strchr(lower, '@') == NULL &&
		 g_strv_contains(agents, address));
	g_free(address);
	g_free(lower);
	return listed;
}

char *pipeline_agent(const struct pipeline *p, const char *login,
		     GInetAddress *client, const char *sender)
{
	char *lower;

	if (login != NULL && *login != '\0')
		return listed_login(p->config, login) ? g_strdup(login) :
			NULL;
	if (client == NULL)
		return NULL;
	lower = g_ascii_strdown(sender, -1);
	if (g_strv_contains((const char *const *)p->config->agents, lower)) {
		for (unsigned int i = 0; i < p->trusted->len; i++) {
			if (g_inet_address_mask_matches(p->trusted->pdata[i],
							client))
				return lower;
		}
	}
	g_free(lower);
	return NULL;
}

/* The content digest the milter made, or one of the headers alone when
   the Message-ID looked usable at the end of the headers but not to the
   MIME parser.  Returns a string to g_free. */
static char *digest_of(const struct pipeline_mail *mail)
{
	GChecksum *digest;
	char *text;

	if (mail->digest != NULL)
		return g_strdup(mail->digest);
	digest = mailbuf_digest_start(mail->envelope_from, mail->headers,
				      mail->headers_size);
	text = g_strdup(g_checksum_get_string(digest));
	g_checksum_free(digest);
	return text;
}

/* The queue's promise (sla) for a message received at now and its
   warning, or 0 (with a log line) if it cannot be computed. */
static void promise(const struct pipeline *p, const struct pipeline_mail *mail,
		    const struct config_queue *queue, const char *sla,
		    int64_t *reply_by_r, int64_t *warn_at_r)
{
	const struct hours *hours = g_hash_table_lookup(p->hours,
							queue->name);
	char *error;

	if (sla_promise(hours, sla, queue->sla_warn, mail->now, reply_by_r,
			warn_at_r, &error) < 0) {
		log_warning("%s: [queue %s] no reply-by time: %s",
			    mail->queue_id, queue->name, error);
		g_free(error);
		*reply_by_r = 0;
		*warn_at_r = 0;
	}
}

/* "2026-11-24T13:00:00+02:00": in the queue's zone, as the promise is
   made in the queue's hours. */
static char *format_reply_by(const struct pipeline *p, const char *queue,
			     int64_t t)
{
	const struct hours *hours = g_hash_table_lookup(p->hours, queue);
	GDateTime *utc = g_date_time_new_from_unix_utc(t);
	GDateTime *local = g_date_time_to_timezone(
		utc, hours != NULL ? hours_timezone(hours) :
		g_date_time_get_timezone(utc));
	char *text = g_date_time_format(local, "%Y-%m-%dT%H:%M:%S%:z");

	g_date_time_unref(local);
	g_date_time_unref(utc);
	return text;
}

/* sales+TOKEN@shop.test for the ticket (g_free it). */
static char *reply_address(const struct pipeline *p,
			   const struct config_queue *queue, uint32_t ticket)
{
	char *token = token_make(p->key, ticket);
	char *address = g_strdup_printf("%s%s%s@%s", queue->local_part,
					p->config->recipient_delimiter, token,
					queue->domain);

	g_free(token);
	return address;
}

/* What the customer's words tell: their language, the question's
   category, and whether an automatic answer is allowed at all. */
static void read_customer(const struct pipeline *p,
			  const struct pipeline_mail *mail,
			  const struct mailmsg_fields *f, struct customer *c)
{
	const char *const *all = config_queue_addresses(p->config);
	const char **own = g_new0(const char *,
				  g_strv_length((char **)all) + 2);
	char *text = g_strconcat(f->subject, "\n", f->snippet, NULL);
	unsigned int n = 0;

	c->language = language_detect(p->languages, f->content_language, text,
				      mail->queue->language);
	c->category = category_classify(p->categories, c->language,
					f->subject, f->snippet, &c->answer);
	/* the address the message was sent to first, so that a reply to
	   sales+TOKEN@ counts as addressed to us */
	own[n++] = mail->queue_rcpt;
	for (unsigned int i = 0; all[i] != NULL; i++)
		own[n++] = all[i];
	c->quiet = autoreply_refusal(mail->message, mail->envelope_from, own);
	c->ack_refusal = mail->queue->autoack ? c->quiet :
		"autoack is off for the queue";
	c->no_reopen = autoreply_automatic(mail->message, mail->envelope_from);
	if (c->no_reopen == NULL && ack_is_stop(p->templates, f->snippet)) {
		/* no more automatic mail to them, this one's ack included */
		c->stop = true;
		c->no_reopen = "asks for no more automatic mail";
		if (c->ack_refusal == NULL)
			c->ack_refusal = c->no_reopen;
	}
	if (c->no_reopen == NULL &&
	    !ack_rating(p->templates, f->snippet, &c->rating, &c->solved) &&
	    ack_is_thanks(p->templates, f->snippet))
		c->no_reopen = "a bare thank-you";
	g_free(text);
	g_free(own);
}

/* Mail from a messenger customer's address (tg.12345@<channel domain>)
   is that channel's only when it came through local submission, as the
   bridge sends it: from outside, anyone could write into a customer's
   chat ticket.  Such mail is filed as email; an agent's reply to it is
   not sent to the messenger, as its ticket's channel is email. */
static void read_channel(const struct pipeline *p,
			 const struct pipeline_mail *mail,
			 struct mailmsg_fields *f, struct customer *c)
{
	const struct config_channel *ch;
	const char *why = NULL;
	char *chat = NULL;
	int ret = channel_address_parse(p->config, mail->envelope_from, &ch,
					&chat, &why);

	c->channel = "email";
	if (ret > 0 && mail->local) {
		/* acknowledged in the chat (plan_chat_ack) */
		c->channel = ch->name;
		g_free(f->from_address);
		f->from_address = g_ascii_strdown(mail->envelope_from, -1);
	} else if (ret != 0) {
		log_warning("%s: sender <%s> is in [channel %s]'s domain but "
			    "%s: filed as email", mail->queue_id,
			    mail->envelope_from, ret > 0 ? ch->name : "?",
			    ret > 0 ? "was not submitted locally" : why);
		/* an ack would go to the chat domain as mail */
		if (c->ack_refusal == NULL)
			c->ack_refusal = "sender in a messenger domain";
	}
	g_free(chat);
	chat = NULL;
	if ((ret <= 0 || !mail->local) && f->from_address != NULL &&
	    channel_address_parse(p->config, f->from_address, &ch, &chat,
				  &why) != 0) {
		/* a From: naming a chat customer on mail that did not come
		   from the bridge: the customer is who really sent it, or
		   rules 3 and 4 would file it into the chat's ticket */
		log_warning("%s: From: <%s> is a messenger address on mail "
			    "not from the bridge: customer <%s> instead",
			    mail->queue_id, f->from_address,
			    mail->envelope_from);
		g_free(f->from_address);
		f->from_address = g_ascii_strdown(mail->envelope_from, -1);
		if (c->ack_refusal == NULL)
			c->ack_refusal = "From: in a messenger domain";
	}
	g_free(chat);
}

/* Who the customer is: the envelope sender.  A From: naming someone
   else counts only when a trusted verifier says DMARC passed for its
   domain (mail through a newsletter service, say, whose envelope is its
   bounce address); a bounce (null sender) keeps its From:. */
static void read_sender(const struct pipeline_mail *mail,
			struct mailmsg_fields *f)
{
	const char *domain = strrchr(f->from_address, '@');
	char *envelope;

	if (*mail->envelope_from == '\0')
		return;
	envelope = g_ascii_strdown(mail->envelope_from, -1);
	if (strcmp(envelope, f->from_address) == 0 ||
	    (f->dmarc_pass != NULL && domain != NULL &&
	     strcmp(domain + 1, f->dmarc_pass) == 0)) {
		g_free(envelope);
		return;
	}
	log_info("%s: From: <%s> is not the envelope sender: customer <%s>",
		 mail->queue_id, f->from_address, envelope);
	g_free(f->from_address);
	f->from_address = envelope;
}

/* The others the customer's mail was sent and copied to, without the
   shop's own addresses and the sender: the ticket's participants with
   them (a colleague in Cc may answer).  A borrowing array of f's
   strings, NULL-terminated. */
static GPtrArray *others(const struct pipeline *p,
			 const struct mailmsg_fields *f)
{
	GPtrArray *list = g_ptr_array_new();

	for (unsigned int i = 0; f->copied->pdata[i] != NULL; i++) {
		const char *address = f->copied->pdata[i];

		/* the shop's people are agents, not participants */
		if (strcmp(address, f->from_address) != 0 &&
		    strchr(address, '@') != NULL &&
		    !config_shop_address(p->config, address))
			g_ptr_array_add(list, (char *)address);
	}
	g_ptr_array_add(list, NULL);
	return list;
}

/* What every copy in the queue mailbox carries beside its ticket,
   queue, status, channel and direction, so that the store can be
   rebuilt from the mailbox alone (shopdeskctl rebuild): when and how it
   was filed, by whom, and the ticket's fields commands can change. */
static void plan_record(const struct pipeline_mail *mail,
			const struct intake_result *r, const char *from,
			struct plan *plan)
{
	char *time = ticket_format_time(mail->now);
	char number[16];

	plan_header_add(plan, "X-Shopdesk-Time", time);
	g_snprintf(number, sizeof(number), "%u", r->seq);
	plan_header_add(plan, "X-Shopdesk-Seq", number);
	plan_header_add(plan, "X-Shopdesk-Rule",
			thread_rule_name(r->thread.rule));
	plan_header_add(plan, "X-Shopdesk-Queue-Id", mail->queue_id);
	if (*from != '\0')
		plan_header_add(plan, "X-Shopdesk-From", from);
	if (*r->category != '\0')
		plan_header_add(plan, "X-Shopdesk-Category", r->category);
	if (*r->language != '\0')
		plan_header_add(plan, "X-Shopdesk-Language", r->language);
	if (*r->assignee != '\0')
		plan_header_add(plan, "X-Shopdesk-Assignee", r->assignee);
	if (r->linked_to != 0) {
		/* and, on the mail that made it, why it is a ticket of its
		   own: "3 (closed)" */
		bool why = r->created && r->thread.note != NULL;
		char *value = g_strdup_printf("%u%s%s%s", r->linked_to,
					      why ? " (" : "",
					      why ? r->thread.note : "",
					      why ? ")" : "");

		plan_header_add(plan, "X-Shopdesk-Linked-To", value);
		g_free(value);
	}
	g_free(time);
}

/* The seal on the stamps planned (stamp.h), made last: over every
   X-Shopdesk-* header the plan adds and the Message-ID the message is
   filed under. */
static void plan_seal(const struct pipeline *p, const char *message_id,
		      struct plan *plan)
{
	GString *text = g_string_new(NULL);
	char *seal;

	for (unsigned int i = 0; i < plan->edits->len; i++) {
		const struct plan_edit *e = plan->edits->pdata[i];

		if (e->kind == PLAN_HEADER_ADD)
			stamp_text_add(text, e->name, e->value);
	}
	seal = stamp_seal(p->key, text, message_id);
	plan_header_add(plan, STAMP_SEAL_HEADER, seal);
	g_free(seal);
	g_string_free(text, TRUE);
}

/* The subject the message came with, when the milter changes it. */
static void plan_original_subject(const char *subject, struct plan *plan)
{
	char *encoded = g_mime_utils_header_encode_text(NULL, subject,
							"utf-8");

	plan_header_add(plan, "X-Shopdesk-Subject", encoded);
	g_free(encoded);
}

/* What a customer's mail did to its ticket beyond threading: who it
   was from when it opened the ticket, the addresses it brought, the
   promise it started, its acknowledgement and its rating. */
static void plan_inbound_record(const struct pipeline *p,
				const struct mailmsg_fields *f,
				const GPtrArray *participants,
				const char *ack_to,
				const struct intake_result *r,
				struct plan *plan)
{
	GString *value = g_string_new(f->from_address);
	char *text;

	if (r->created) {
		text = mailmsg_mailbox(f->from_name, f->from_address);
		plan_header_add(plan, "X-Shopdesk-Customer", text);
		g_free(text);
	}
	for (unsigned int i = 0; participants->pdata[i] != NULL; i++)
		g_string_append_printf(value, "%s%s", value->len > 0 ?
				       ", " : "",
				       (char *)participants->pdata[i]);
	if (value->len > 0)
		plan_header_add(plan, "X-Shopdesk-Participants", value->str);
	g_string_free(value, TRUE);
	if (r->promise_by != 0 && r->promise_by != r->reply_by) {
		text = format_reply_by(p, r->queue, r->promise_by);
		plan_header_add(plan, "X-Shopdesk-Promise-By", text);
		g_free(text);
	}
	if (r->ack_id[0] != '\0' && !r->duplicate) {
		text = g_strdup_printf("<%s> %s", r->ack_id, ack_to);
		plan_header_add(plan, "X-Shopdesk-Ack", text);
		g_free(text);
	}
	if (r->rated) {
		text = g_strdup_printf("%d %s", r->rating,
				       *r->solved != '\0' ? r->solved : "-");
		plan_header_add(plan, "X-Shopdesk-Rating", text);
		g_free(text);
	}
}

/* The stamps of a customer's mail and its tagged subject. */
static void plan_stamps(const struct pipeline *p,
			const struct pipeline_mail *mail,
			const struct mailmsg_fields *f,
			const struct customer *c,
			const char *added_message_id,
			const struct intake_result *r, struct plan *plan)
{
	char id[16];

	g_snprintf(id, sizeof(id), "%u", r->ticket_id);
	plan_header_add(plan, "X-Shopdesk-Ticket", id);
	plan_header_add(plan, "X-Shopdesk-Queue", r->queue);
	plan_header_add(plan, "X-Shopdesk-Status",
			ticket_status_name(r->status));
	plan_header_add(plan, "X-Shopdesk-Channel", c->channel);
	plan_header_add(plan, "X-Shopdesk-Direction", "inbound");
	plan_record(mail, r, f->from_address, plan);
	if (r->reply_by != 0) {
		char *value = format_reply_by(p, r->queue, r->reply_by);

		plan_header_add(plan, "X-Shopdesk-Reply-By", value);
		g_free(value);
	}
	if (added_message_id != NULL) {
		char *value = g_strdup_printf("<%s>", added_message_id);

		plan_header_add(plan, "Message-ID", value);
		g_free(value);
	}
	if (p->config->subject_tag) {
		char *tagged = subject_add_tag(f->subject,
					       p->config->ticket_tag,
					       r->ticket_id);

		if (strcmp(tagged, f->subject) != 0 ||
		    mail->subject_count == 0) {
			char *encoded = g_mime_utils_header_encode_text(
				NULL, tagged, "utf-8");

			if (mail->subject_count == 0)
				plan_header_add(plan, "Subject", encoded);
			else
				plan_header_change(plan, "Subject", 1,
						   encoded);
			plan_original_subject(f->subject, plan);
			g_free(encoded);
		}
		g_free(tagged);
	}
}

/* The acknowledgement intake decided on, as an outbox item.  The put is
   idempotent by its Message-ID, so a message retried after a crash puts
   it again harmlessly, and one sent already is not resent (spool.h,
   done/). */
static void plan_ack(const struct pipeline *p,
		     const struct pipeline_mail *mail,
		     const struct mailmsg_fields *f, const struct customer *c,
		     const struct intake_result *r, struct plan *plan)
{
	const struct config_queue *named = config_queue_by_name(p->config,
								 r->queue);
	/* a ticket of a queue since removed from the config answers from
	   the address the mail came to */
	const struct config_queue *queue = named != NULL ? named : mail->queue;
	char *reply_to = reply_address(p, queue, r->ticket_id);
	char *recipients[] = { g_ascii_strdown(mail->envelope_from, -1), NULL };
	struct ack_input in = {
		.language = *r->language != '\0' &&
			language_has(p->languages, r->language) ?
			r->language : c->language,
		.ticket_id = r->ticket_id,
		.ticket_tag = p->config->ticket_tag,
		.queue = queue,
		.hours = g_hash_table_lookup(p->hours, queue->name),
		.customer_name = f->from_name,
		.customer_address = recipients[0],
		.subject = f->subject,
		.in_reply_to = f->message_id,
		.references = f->references_header,
		.message_id = r->ack_id,
		.reply_to = reply_to,
		.reply_by = r->reply_by,
		.customer_offset_known = f->date_known,
		.customer_offset = f->date_offset,
		.category = r->category,
		.answer = c->answer,
		.now = mail->now,
	};
	struct outbox_mail ack = {
		.ticket = r->ticket_id,
		.created = mail->now,
		.sender = "",
		.recipients = recipients,
	};
	char *item, *chat = NULL, *name, *key;
	const struct config_channel *ch;
	struct outbox_message *m;
	const char *why;

	if (strcmp(c->channel, "email") == 0) {
		ack.message = ack_build(p->templates, &in);
		item = outbox_mail_encode(&ack);
		plan_item_add(plan, r->ack_id, item, PLAN_FAIL_ACK,
			      "the acknowledgement");
		g_free(item);
		g_free(ack.message);
		goto out;
	}
	/* in the chat: plain text, times in the shop's zone, the name
	   without the "(Telegram)" the bridge added */
	if (channel_address_parse(p->config, mail->envelope_from, &ch, &chat,
				  &why) <= 0)
		goto out;
	name = g_strdup(f->from_name);
	if (g_str_has_suffix(name, ")") && strrchr(name, '(') != NULL &&
	    strrchr(name, '(') > name)
		*(strrchr(name, '(') - 1) = '\0';
	in.customer_name = name;
	in.customer_offset_known = false;
	m = outbox_message_new();
	m->text = ack_build_chat(p->templates, &in);
	g_free(name);
	if (m->text == NULL) {
		log_warning("%s: ticket=%u no ack-chat.txt template: no "
			    "acknowledgement in the chat", mail->queue_id,
			    r->ticket_id);
		outbox_message_free(&m);
		g_free(chat);
		goto out;
	}
	g_free(m->channel);
	m->channel = g_strdup(ch->name);
	g_free(m->chat);
	m->chat = chat;
	m->ticket = r->ticket_id;
	m->created = mail->now;
	m->order = g_get_real_time();
	g_free(m->queue);
	m->queue = g_strdup(queue->name);
	g_free(m->subject);
	m->subject = g_strdup(f->subject);
	/* the bridge's delivery events name the message it answers: the
	   milter records them only for a message of the ticket */
	g_free(m->in_reply_to);
	m->in_reply_to = g_strdup(f->message_id != NULL ? f->message_id : "");
	key = outbox_message_key(ch->name, m->chat, r->ack_id);
	item = outbox_message_encode(m);
	plan_item_add(plan, key, item, PLAN_FAIL_ACK,
		      "the acknowledgement in the chat");
	g_free(item);
	g_free(key);
	outbox_message_free(&m);
out:
	g_free(recipients[0]);
	g_free(reply_to);
}

/* A customer's mail to a branded address. */
static void plan_inbound(struct pipeline *p, const struct pipeline_mail *mail,
			 struct mailmsg_fields *f, struct plan *plan)
{
	struct customer c = { .solved = -1 };
	struct intake_result r;
	GPtrArray *participants;
	char *fingerprint_id = NULL, *envelope_to;
	const char *added_message_id = NULL;
	char *error = NULL;

	read_customer(p, mail, f, &c);
	read_channel(p, mail, f, &c);
	read_sender(mail, f);
	participants = others(p, f);
	if (!mailmsg_id_usable(f->message_id)) {
		char *digest = digest_of(mail);

		fingerprint_id = g_strdup_printf("shopdesk.%.32s@%s", digest,
						 p->config->domain);
		g_free(digest);
		if (f->message_id != NULL)
			log_info("%s: Message-ID unusable, filed as <%s>",
				 mail->queue_id, fingerprint_id);
		f->message_id = fingerprint_id;
		/* the sender's own header stays: one Message-ID only */
		if (!mail->has_message_id)
			added_message_id = fingerprint_id;
	}
	envelope_to = g_ascii_strdown(mail->envelope_from, -1);
	struct intake_message in = {
		.queue_id = mail->queue_id,
		.queue = mail->queue->name,
		.channel = c.channel,
		.message_id = f->message_id,
		.references = (const char *const *)f->references->pdata,
		.tokens = mail->tokens,
		.subject = f->subject,
		.from_name = f->from_name,
		.from_address = f->from_address,
		.participants = (const char *const *)participants->pdata,
		.date = f->date,
		.snippet = f->snippet,
		.language = c.language,
		.category = c.category,
		.now = mail->now,
		.ack_wanted = c.ack_refusal == NULL,
		.ack_to = envelope_to,
		.no_reopen = c.no_reopen != NULL,
		.quiet = c.quiet != NULL,
		.stop = c.stop,
		.rating = c.rating,
		.solved = c.solved,
	};
	promise(p, mail, mail->queue, mail->queue->sla_first_reply,
		&in.reply_by, &in.warn_at);
	promise(p, mail, mail->queue, mail->queue->sla_next_reply,
		&in.next_reply_by, &in.next_warn_at);
	if (intake_message(p->store, p->config, p->key, &in, &r,
			   &error) < 0) {
		plan_fail(plan, PLAN_FAIL_INTERNAL, "%s", error);
		g_free(error);
		goto out;
	}
	plan->ticket = r.ticket_id;
	if (r.ack_id[0] != '\0')
		plan_ack(p, mail, f, &c, &r, plan);
	plan_stamps(p, mail, f, &c, added_message_id, &r, plan);
	plan_inbound_record(p, f, participants, envelope_to, &r, plan);
	/* the Message-ID it is filed under, where the sender's own stays */
	if (fingerprint_id != NULL && mail->has_message_id) {
		char *value = g_strdup_printf("<%s>", fingerprint_id);

		plan_header_add(plan, "X-Shopdesk-Message-Id", value);
		g_free(value);
	}
	plan_seal(p, f->message_id, plan);
	plan_log(plan, "%s: ticket=%u rule=%s%s%s queue=%s status=%s "
		 "from=<%s>%s lang=%s category=%s ack=%s%s%s%s",
		 mail->queue_id, r.ticket_id, thread_rule_name(r.thread.rule),
		 r.thread.note != NULL ? " note=" : "",
		 r.thread.note != NULL ? r.thread.note : "", r.queue,
		 ticket_status_name(r.status), f->from_address,
		 r.created ? " created" : "", c.language,
		 *r.category != '\0' ? r.category : c.category,
		 r.ack_id[0] != '\0' ? r.ack_id : "none",
		 r.ack_id[0] == '\0' ? " (" : "",
		 r.ack_id[0] != '\0' ? "" :
		 c.ack_refusal != NULL ? c.ack_refusal :
		 r.ack_skipped != NULL ? r.ack_skipped : "duplicate",
		 r.ack_id[0] == '\0' ? ")" : "");
out:
	g_ptr_array_unref(participants);
	g_free(envelope_to);
	g_free(fingerprint_id);
}

static bool names_queue(const struct pipeline *p,
			const struct pipeline_mail *mail,
			const struct config_queue *queue)
{
	return mail->queue_rcpt != NULL &&
		config_find_queue(p->config, mail->queue_rcpt, NULL, NULL) ==
		queue;
}

/* Headers of an agent's reply that name the agent's own mailbox, which
   the reply no longer comes from: Sender ("ann@ on behalf of Sales") and
   the requests for a read receipt to it.  The customer never learns an
   agent's address, and a receipt could not reach the ticket anyway. */
static const char *const agent_headers[] = {
	"Sender", "Disposition-Notification-To", "Return-Receipt-To", NULL
};

/* Deletes every agent_headers[] header the message has (those the
   mailbuf kept: the first ones, in order, up to header_max), the last of
   each name first, so that no deletion renumbers one still to come. */
static void plan_agent_headers(const struct pipeline_mail *mail,
			       struct plan *plan)
{
	GMimeHeaderList *list;
	int count;

	if (mail->message == NULL)
		return;
	list = g_mime_object_get_header_list(GMIME_OBJECT(mail->message));
	count = g_mime_header_list_get_count(list);
	for (unsigned int i = 0; agent_headers[i] != NULL; i++) {
		unsigned int n = 0;

		for (int j = 0; j < count; j++) {
			GMimeHeader *h = g_mime_header_list_get_header_at(
				list, j);

			if (g_ascii_strcasecmp(g_mime_header_get_name(h),
					       agent_headers[i]) == 0)
				n++;
		}
		for (; n > 0; n--)
			plan_header_delete(plan, agent_headers[i], n);
	}
}

/* An agent's reply goes out as the queue: From the queue address with
   the agent's name, the envelope sender the queue's, Reply-To with the
   ticket token, no header naming the agent's own mailbox, the tag in
   the subject, Outlook's threading headers, and a copy for the queue
   mailbox (the record).  A note keeps its sender and goes to the queue
   mailbox alone. */
static void plan_rewrite(const struct pipeline *p,
			 const struct pipeline_mail *mail,
			 const struct mailmsg_fields *f,
			 const struct intake_result *r, bool note,
			 const struct config_queue *queue, struct plan *plan)
{
	const struct config *config = p->config;
	char *address = reply_address(p, queue, r->ticket_id);
	char *from = mailmsg_mailbox(*f->from_name != '\0' ? f->from_name :
				     queue->display_name, queue->address);
	char *reply_to = mailmsg_mailbox(queue->display_name, address);
	char *envelope = g_strdup_printf("<%s>", queue->address);
	char *tagged = subject_add_tag(f->subject, config->ticket_tag,
				       r->ticket_id);
	char *subject = g_mime_utils_header_encode_text(NULL, tagged, "utf-8");
	char *topic = threadhdr_topic(f->subject, config->ticket_tag);
	char *topic_encoded = g_mime_utils_header_encode_text(NULL, topic,
							      "utf-8");
	char *index = threadhdr_index(config->domain, r->ticket_id,
				      r->ticket_created, mail->now);
	char id[16];

	g_snprintf(id, sizeof(id), "%u", r->ticket_id);
	if (!note) {
		plan_from_change(plan, envelope);
		plan_header_change(plan, "From", 1, from);
		plan_header_change(plan, "Reply-To", 1, reply_to);
		plan_agent_headers(mail, plan);
	}
	plan_header_change(plan, "Subject", 1, subject);
	plan_header_change(plan, "Thread-Topic", 1, topic_encoded);
	plan_header_change(plan, "Thread-Index", 1, index);
	plan_header_add(plan, "X-Shopdesk-Ticket", id);
	plan_header_add(plan, "X-Shopdesk-Queue", queue->name);
	plan_header_add(plan, "X-Shopdesk-Status",
			ticket_status_name(r->status));
	plan_header_add(plan, "X-Shopdesk-Channel",
			*r->channel != '\0' ? r->channel : "email");
	plan_header_add(plan, "X-Shopdesk-Direction",
			note ? "note" : "outbound");
	plan_record(mail, r, mail->agent, plan);
	plan_original_subject(f->subject, plan);
	plan_seal(p, f->message_id, plan);
	if (!names_queue(p, mail, queue))
		plan_rcpt_add(plan, envelope);
	if (note) {
		/* only the queue mailbox gets a note */
		for (unsigned int i = 0; mail->customer_rcpts[i] != NULL; i++)
			plan_rcpt_delete(plan, mail->customer_rcpts[i]);
	}
	g_free(index);
	g_free(topic_encoded);
	g_free(topic);
	g_free(subject);
	g_free(tagged);
	g_free(envelope);
	g_free(reply_to);
	g_free(from);
	g_free(address);
}

/* Tells the agent, by a short mail through the outbox, that a line at
   the top of their reply was no command. */
static void plan_notice(const struct pipeline *p,
			const struct pipeline_mail *mail,
			const struct mailmsg_fields *f,
			const struct intake_result *r,
			const struct config_queue *queue, const char *line,
			bool sent, struct plan *plan)
{
	char *key_hash = g_compute_checksum_for_string(
		G_CHECKSUM_SHA256, f->message_id != NULL ? f->message_id :
		mail->queue_id, -1);
	char *message_id = g_strdup_printf("notice.%u.%.24s@%s",
					   r->ticket_id, key_hash,
					   p->config->domain);
	char *to = g_ascii_strdown(mail->envelope_from, -1);
	JsonObject *o = json_object_new();
	JsonNode *data = json_node_init_object(json_node_alloc(), o);
	char *item, *error = NULL;

	json_object_set_string_member(o, "line", line);
	json_object_set_boolean_member(o, "sent", sent);
	struct notice n = {
		.queue = queue,
		.to = to,
		.ticket = r->ticket_id,
		.subject = f->subject,
		.in_reply_to = f->message_id,
		.message_id = message_id,
		.template_name = "notice-unknown.txt",
		.data = data,
	};
	item = notice_build(p->config, &n, &error);
	if (item != NULL) {
		char *what = g_strdup_printf("the notice to <%s>", to);

		plan_item_add(plan, message_id, item, PLAN_FAIL_NOTICE, what);
		g_free(what);
	} else {
		log_error("%s: ticket=%u no notice to <%s>: %s",
			  mail->queue_id, r->ticket_id, to, error);
	}
	g_free(item);
	g_free(error);
	json_object_unref(o);
	json_node_unref(data);
	g_free(to);
	g_free(message_id);
	g_free(key_hash);
}

static bool has_note(const struct command_list *commands)
{
	for (unsigned int i = 0; commands != NULL &&
	     i < commands->commands->len; i++) {
		if (((struct command *)commands->commands->pdata[i])->kind ==
		    COMMAND_NOTE)
			return true;
	}
	return false;
}

/* An agent's reply to messenger customers: each such recipient leaves
   the envelope and an outbox "message" item goes to the bridge instead;
   the mail itself still reaches the queue mailbox (plan_rewrite added
   it).  A recipient that is no valid chat, or whose ticket is of
   another channel, or a reply with nothing to send, is left to Postfix,
   whose transport for the channel domains bounces it to the agent.
   Also for a retried (duplicate) mail: the items are keyed, so nothing
   is put twice.  Returns the number of chat recipients planned. */
static unsigned int plan_chats(const struct pipeline *p,
			       const struct pipeline_mail *mail,
			       const struct mailmsg_fields *f,
			       const struct intake_result *r,
			       struct plan *plan)
{
	struct outbox_message *m = NULL;
	char *mail_id = f->message_id != NULL ? g_strdup(f->message_id) :
		digest_of(mail);
	unsigned int skipped = 0, count = 0;

	for (unsigned int i = 0; mail->customer_rcpts[i] != NULL; i++) {
		const char *original = mail->customer_rcpts[i];
		char *rcpt = mailmsg_unbracket(original);
		const struct config_channel *ch;
		const char *why = NULL;
		char *chat = NULL, *key, *item, *seed, *what;
		int ret = channel_address_parse(p->config, rcpt, &ch, &chat,
						&why);

		if (ret > 0 && strcmp(ch->name, r->channel) != 0) {
			why = "the ticket is not of this channel";
			ret = -1;
		}
		if (ret > 0 && m == NULL) {
			m = mailmsg_chat_message(mail->message, p->config,
						 ch->attachment_max, &skipped);
			if (*m->text == '\0' && m->attachments->len == 0) {
				why = "nothing to send";
				ret = -1;
				outbox_message_free(&m);
			}
		}
		if (ret <= 0) {
			if (ret < 0)
				log_warning("%s: ticket=%u to=<%s>: %s: left "
					    "to Postfix", mail->queue_id,
					    r->ticket_id, rcpt, why);
			g_free(chat);
			g_free(rcpt);
			continue;
		}
		g_free(m->channel);
		m->channel = g_strdup(ch->name);
		g_free(m->chat);
		m->chat = chat;
		m->ticket = r->ticket_id;
		m->created = mail->now;
		m->order = g_get_real_time();
		g_free(m->queue);
		m->queue = g_strdup(r->queue);
		g_free(m->agent);
		m->agent = g_ascii_strdown(mail->envelope_from, -1);
		g_free(m->subject);
		m->subject = g_strdup(f->subject);
		g_free(m->in_reply_to);
		m->in_reply_to = g_strdup(f->message_id != NULL ?
					  f->message_id : "");
		seed = g_strconcat(mail_id, "\n", rcpt, NULL);
		key = outbox_message_key(ch->name, m->chat, seed);
		item = outbox_message_encode(m);
		what = g_strdup_printf("the reply to <%s> (channel=%s "
				       "text=%zu attachments=%u%s)", rcpt,
				       ch->name, strlen(m->text),
				       m->attachments->len,
				       skipped > 0 ? ", some over "
				       "attachment_max left out" : "");
		plan_item_add(plan, key, item, PLAN_FAIL_CHAT, what);
		plan_rcpt_delete(plan, original);
		count++;
		g_free(what);
		g_free(item);
		g_free(key);
		g_free(seed);
		g_free(rcpt);
	}
	outbox_message_free(&m);
	g_free(mail_id);
	return count;
}

/* Mail from an agent: a reply into a ticket, or an internal note (to
   the queue alone).  Returns true when planned, false when the mail
   names no open ticket (to a queue address it is then filed as any
   customer's mail, else passed on as it is). */
static bool plan_reply(struct pipeline *p, const struct pipeline_mail *mail,
		       const struct mailmsg_fields *f, struct plan *plan)
{
	GString *to = g_string_new(NULL);
	const struct config_queue *queue;
	struct intake_result r;
	char *error = NULL;
	bool changed;
	struct command_list *commands = mailmsg_take_commands(
		mail->message, p->config, &changed);
	bool note = mail->customers[0] == NULL || has_note(commands);
	const char *unknown = commands != NULL ? commands->unknown : NULL;
	unsigned int chats = 0;

	for (unsigned int i = 0; mail->customers[i] != NULL; i++)
		g_string_append_printf(to, "%s%s", i > 0 ? ", " : "",
				       mail->customers[i]);
	struct intake_reply in = {
		.queue_id = mail->queue_id,
		.message_id = f->message_id,
		.references = (const char *const *)f->references->pdata,
		.tokens = mail->tokens,
		.subject = f->subject,
		.agent = mail->agent,
		.to = to->str,
		.note = note,
		.commands = commands,
		.now = mail->now,
	};
	if (intake_reply(p->store, p->config, p->key, &in, &r, &error) < 0) {
		plan_fail(plan, PLAN_FAIL_INTERNAL, "%s", error);
		g_free(error);
		goto out;
	}
	if (r.ticket_id == 0) {
		/* not about a ticket: its "#" lines are only text */
		command_list_free(&commands);
		g_string_free(to, TRUE);
		return false;
	}
	plan->ticket = r.ticket_id;
	queue = config_queue_by_name(p->config, r.queue);
	if (queue == NULL) {
		plan_log(plan, "%s: ticket=%u agent=%s: [queue %s] is gone "
			 "from the config: passed on", mail->queue_id,
			 r.ticket_id, mail->agent, r.queue);
		goto out;
	}
	/* also for a message seen before: a retry after a 4xx, or the
	   client sending it again, is delivered again and must leave as
	   the first attempt would have */
	plan_rewrite(p, mail, f, &r, note, queue, plan);
	if (changed) {
		GBytes *body = mailmsg_body_crlf(mail->message);

		plan_body_replace(plan, body);
		g_bytes_unref(body);
	}
	if (!note)
		chats = plan_chats(p, mail, f, &r, plan);
	if (!r.duplicate && unknown != NULL)
		plan_notice(p, mail, f, &r, queue, unknown, !note, plan);
	plan_log(plan, "%s: ticket=%u agent=%s %s to=<%s> queue=%s "
		 "status=%s commands=%u chats=%u%s%s%s", mail->queue_id,
		 r.ticket_id, mail->agent, note ? "note" : "reply", to->str,
		 r.queue, ticket_status_name(r.status),
		 commands != NULL ? commands->commands->len : 0, chats,
		 unknown != NULL ? " unknown=\"" : "",
		 unknown != NULL ? unknown : "",
		 unknown != NULL ? "\"" : "");
out:
	command_list_free(&commands);
	g_string_free(to, TRUE);
	return true;
}

/* A subject past SUBJECT_MAX bytes is cut at a character before it is
   stored or tagged, so that the tagged header stays within what
   libmilter (64 KiB a packet) and Postfix take: otherwise the ticket
   would be stored and the header change refused. */
static void cut_subject(const struct pipeline_mail *mail,
			struct mailmsg_fields *f)
{
	const char *end;
	char *cut;

	if (strlen(f->subject) <= SUBJECT_MAX)
		return;
	end = g_utf8_find_prev_char(f->subject, f->subject + SUBJECT_MAX);
	cut = g_strndup(f->subject, end != NULL ? end - f->subject : 0);
	log_info("%s: Subject of %zu bytes cut to %zu", mail->queue_id,
		 strlen(f->subject), strlen(cut));
	g_free(f->subject);
	f->subject = cut;
}

struct plan *pipeline_run(struct pipeline *p,
			  const struct pipeline_mail *mail)
{
	struct plan *plan = plan_new();
	struct mailmsg_fields f = { 0 };

	if (mail->strip_total > p->config->strip_max) {
		/* deleting thousands of headers is no plan Postfix can
		   apply, and no honest sender writes them */
		plan_fail(plan, PLAN_FAIL_REFUSE, "%u forged X-Shopdesk-* "
			  "headers (strip_max %u)", mail->strip_total,
			  p->config->strip_max);
		return plan;
	}
	/* forged X-Shopdesk-* headers go whatever fails later */
	plan_strip(plan, mail->strip, mail->strip_count);
	if (mail->message == NULL) {
		plan_fail(plan, PLAN_FAIL_INTERNAL,
			  "cannot parse even the headers");
		return plan;
	}
	mailmsg_read_fields(mail->message, mail->envelope_from, p->config, &f);
	cut_subject(mail, &f);
	if (mail->agent != NULL && plan_reply(p, mail, &f, plan)) {
		/* a reply or a note */
	} else if (mail->queue == NULL) {
		plan_log(plan, "%s: agent=%s mail names no open ticket: "
			 "passed on", mail->queue_id, mail->agent);
	} else {
		plan_inbound(p, mail, &f, plan);
	}
	mailmsg_fields_clear(&f);
	return plan;
}
