/* notice.c: the notices agents get by mail (notice.h): one builder for
   every kind, so that each reads and threads the same way.  It decides
   nothing about when to tell an agent; the milter and the bridge do. */

#include "notice.h"
#include "ack.h"
#include "channel.h"
#include "log.h"
#include "subject.h"

#include <gmime/gmime.h>
#include <string.h>

#define TEXT_SHOWN 2000		/* characters of the reply quoted back */

static void set_ticket(const struct config *config, const struct notice *n)
{
	JsonObject *ticket = json_object_new();
	char *tag = g_strdup_printf("[%s #%u]", config->ticket_tag, n->ticket);

	json_object_set_int_member(ticket, "id", n->ticket);
	json_object_set_string_member(ticket, "tag", tag);
	json_object_set_object_member(json_node_get_object(n->data), "ticket",
				      ticket);
	g_free(tag);
}

static char *message_text(const struct config *config,
			  const struct notice *n, const char *body)
{
	GMimeMessage *msg = g_mime_message_new(TRUE);
	GMimeTextPart *part = g_mime_text_part_new_with_subtype("plain");
	GDateTime *now = g_date_time_new_now_utc();
	char *subject = subject_add_tag(n->subject, config->ticket_tag,
					n->ticket);
	char *ticket, *text;

	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_FROM,
				   n->queue->display_name, n->queue->address);
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_TO, NULL, n->to);
	g_mime_message_set_subject(msg, subject, "utf-8");
	g_mime_message_set_date(msg, now);
	g_mime_message_set_message_id(msg, n->message_id);
	g_mime_object_set_header(GMIME_OBJECT(msg), "Auto-Submitted",
				 "auto-generated", NULL);
	ticket = g_strdup_printf("%u", n->ticket);
	g_mime_object_set_header(GMIME_OBJECT(msg), "X-Shopdesk-Ticket",
				 ticket, NULL);
	g_free(ticket);
	if (n->reply_to != NULL && *n->reply_to != '\0')
		g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_REPLY_TO,
					   NULL, n->reply_to);
	if (n->urgent) {
		/* what mail clients show as high priority */
		g_mime_object_set_header(GMIME_OBJECT(msg), "Importance",
					 "high", NULL);
		g_mime_object_set_header(GMIME_OBJECT(msg), "X-Priority",
					 "1 (Highest)", NULL);
	}
	if (n->in_reply_to != NULL && *n->in_reply_to != '\0') {
		char *value = g_strdup_printf("<%s>", n->in_reply_to);

		g_mime_object_set_header(GMIME_OBJECT(msg), "In-Reply-To",
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
	return text;
}

char *notice_build(const struct config *config, const struct notice *n,
		   char **error_r)
{
	char *recipients[] = { (char *)n->to, NULL };
	struct outbox_mail mail = {
		.ticket = n->ticket,
		.created = g_get_real_time() / G_USEC_PER_SEC,
		.sender = "",
		.recipients = recipients,
	};
	char *body = NULL, *item;

	set_ticket(config, n);
	if (ack_render_file(config->templates_dir,
			    n->language != NULL ? n->language :
			    config->default_language, n->template_name,
			    n->data, &body, error_r) < 0) {
		/* when English fails too, the first error is the one said */
		char *en_error = NULL;

		if (ack_render_file(config->templates_dir, "en",
				    n->template_name, n->data, &body,
				    &en_error) < 0) {
			g_free(en_error);
			return NULL;
		}
		g_clear_pointer(error_r, g_free);
	}
	mail.message = message_text(config, n, body);
	item = outbox_mail_encode(&mail);
	g_free(mail.message);
	g_free(body);
	return item;
}

/* --- a messenger reply given up ---------------------------------------- */

static JsonNode *undelivered_data(const struct config *config,
				  const char *key,
				  const struct outbox_message *m,
				  unsigned int parts_sent, unsigned int parts,
				  const char *why)
{
	const struct config_channel *ch = NULL;
	JsonObject *o = json_object_new();
	JsonNode *data = json_node_init_object(json_node_alloc(), o);
	char *text = g_utf8_substring(m->text, 0, TEXT_SHOWN);
	char *customer;

	for (unsigned int i = 0; i < config->channels->len; i++) {
		if (strcmp(((struct config_channel *)
			    config->channels->pdata[i])->name,
			   m->channel) == 0)
			ch = config->channels->pdata[i];
	}
	customer = ch != NULL ? channel_address(ch, m->chat) : NULL;
	if (customer == NULL)
		customer = g_strdup_printf("chat %s", m->chat);
	json_object_set_string_member(o, "channel", m->channel);
	json_object_set_string_member(o, "chat", m->chat);
	json_object_set_string_member(o, "customer", customer);
	json_object_set_string_member(o, "why", why);
	json_object_set_string_member(o, "text", text);
	json_object_set_int_member(o, "attachments", m->attachments->len);
	json_object_set_int_member(o, "sent", parts_sent);
	json_object_set_int_member(o, "parts", parts);
	json_object_set_string_member(o, "key", key);
	json_object_unref(o);
	g_free(customer);
	g_free(text);
	return data;
}

void notice_undelivered(const struct config *config, struct spool *outbox,
			const char *key, const struct outbox_message *m,
			unsigned int parts_sent, unsigned int parts,
			const char *why)
{
	const struct config_queue *queue = config_queue_by_name(config,
								 m->queue);
	char *notice_key = g_strconcat("notice.", key, NULL);
	char *subject = g_strconcat("Undelivered: ", m->subject, NULL);
	char *id = g_strdup_printf("%s@%s", notice_key, config->domain);
	struct notice n = {
		.queue = queue,
		.to = m->agent,
		.ticket = m->ticket,
		.subject = subject,
		.in_reply_to = m->in_reply_to,
		.message_id = id,
		.template_name = "notice-undelivered.txt",
	};
	char *item = NULL, *error = NULL;

	if (*m->agent == '\0') {
		log_error("%s: ticket=%u no agent to tell", key, m->ticket);
		goto out;
	}
	if (n.queue == NULL && config->queues->len > 0)
		n.queue = config->queues->pdata[0];
	n.data = undelivered_data(config, key, m, parts_sent, parts, why);
	item = notice_build(config, &n, &error);
	if (item == NULL ||
	    spool_put(outbox, notice_key, item, strlen(item), &error) < 0)
		log_error("%s: ticket=%u no notice to <%s>: %s", key,
			  m->ticket, m->agent, error);
	else
		log_info("%s: ticket=%u notice=%s to=<%s> queued", key,
			 m->ticket, notice_key, m->agent);
	json_node_unref(n.data);
out:
	g_free(item);
	g_free(error);
	g_free(id);
	g_free(subject);
	g_free(notice_key);
}
