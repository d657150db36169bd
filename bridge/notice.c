/* notice.c: the bounce-style notice to an agent whose messenger reply
   was given up.  The mail is built with GMime and leaves like every
   other mail shopdesk writes: through the outbox and sendmail, with a
   null envelope sender and Auto-Submitted, so that nothing answers
   it. */

#include "notice.h"
#include "ack.h"
#include "channel.h"
#include "log.h"

#include <gmime/gmime.h>
#include <string.h>

#define TEXT_SHOWN 2000		/* characters of the reply quoted back */

static JsonNode *notice_data(const struct config *config, const char *key,
			     const struct outbox_message *m,
			     unsigned int parts_sent, unsigned int parts,
			     const char *why)
{
	const struct config_channel *ch = NULL;
	JsonBuilder *b = json_builder_new();
	JsonNode *data;
	char *tag = g_strdup_printf("[%s #%u]", config->ticket_tag, m->ticket);
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
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "ticket");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "id");
	json_builder_add_int_value(b, m->ticket);
	json_builder_set_member_name(b, "tag");
	json_builder_add_string_value(b, tag);
	json_builder_end_object(b);
	json_builder_set_member_name(b, "channel");
	json_builder_add_string_value(b, m->channel);
	json_builder_set_member_name(b, "chat");
	json_builder_add_string_value(b, m->chat);
	json_builder_set_member_name(b, "customer");
	json_builder_add_string_value(b, customer);
	json_builder_set_member_name(b, "why");
	json_builder_add_string_value(b, why);
	json_builder_set_member_name(b, "text");
	json_builder_add_string_value(b, text);
	json_builder_set_member_name(b, "attachments");
	json_builder_add_int_value(b, m->attachments->len);
	json_builder_set_member_name(b, "sent");
	json_builder_add_int_value(b, parts_sent);
	json_builder_set_member_name(b, "parts");
	json_builder_add_int_value(b, parts);
	json_builder_set_member_name(b, "key");
	json_builder_add_string_value(b, key);
	json_builder_end_object(b);
	data = json_builder_get_root(b);
	g_object_unref(b);
	g_free(customer);
	g_free(text);
	g_free(tag);
	return data;
}

void notice_undelivered(const struct config *config, struct spool *outbox,
			const char *key, const struct outbox_message *m,
			unsigned int parts_sent, unsigned int parts,
			const char *why)
{
	const struct config_queue *queue = config_queue_by_name(config,
								 m->queue);
	JsonNode *data;
	char *text = NULL, *error = NULL, *subject, *item, *id;
	char *notice_key = g_strconcat("notice.", key, NULL);
	char *recipients[] = { m->agent, NULL };
	struct outbox_mail mail = {
		.ticket = m->ticket,
		.created = g_get_real_time() / G_USEC_PER_SEC,
		.sender = "",
		.recipients = recipients,
	};
	GMimeMessage *msg;
	GMimeTextPart *part;
	GDateTime *now;

	if (*m->agent == '\0') {
		log_error("%s: ticket=%u no agent to tell", key, m->ticket);
		g_free(notice_key);
		return;
	}
	if (queue == NULL && config->queues->len > 0)
		queue = config->queues->pdata[0];
	data = notice_data(config, key, m, parts_sent, parts, why);
	if (ack_render_file(config->templates_dir, config->default_language,
			    "notice-undelivered.txt", data, &text,
			    &error) < 0 &&
	    ack_render_file(config->templates_dir, "en",
			    "notice-undelivered.txt", data, &text, NULL) < 0) {
		log_error("%s: ticket=%u no notice to <%s>: %s", key,
			  m->ticket, m->agent, error);
		goto out;
	}
	msg = g_mime_message_new(TRUE);
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_FROM,
				   queue->display_name, queue->address);
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_TO, NULL, m->agent);
	subject = g_strconcat("Undelivered: ", m->subject, NULL);
	g_mime_message_set_subject(msg, subject, "utf-8");
	g_free(subject);
	now = g_date_time_new_now_utc();
	g_mime_message_set_date(msg, now);
	g_date_time_unref(now);
	id = g_strdup_printf("%s@%s", notice_key, config->domain);
	g_mime_message_set_message_id(msg, id);
	g_free(id);
	g_mime_object_set_header(GMIME_OBJECT(msg), "Auto-Submitted",
				 "auto-generated", NULL);
	if (*m->in_reply_to != '\0') {
		char *value = g_strdup_printf("<%s>", m->in_reply_to);

		g_mime_object_set_header(GMIME_OBJECT(msg), "In-Reply-To",
					 value, NULL);
		g_free(value);
	}
	part = g_mime_text_part_new_with_subtype("plain");
	g_mime_text_part_set_text(part, text);
	g_mime_message_set_mime_part(msg, GMIME_OBJECT(part));
	g_object_unref(part);
	mail.message = g_mime_object_to_string(GMIME_OBJECT(msg), NULL);
	g_object_unref(msg);
	item = outbox_mail_encode(&mail);
	if (spool_put(outbox, notice_key, item, strlen(item), &error) < 0)
		log_error("%s: ticket=%u no notice to <%s>: %s", key,
			  m->ticket, m->agent, error);
	else
		log_info("%s: ticket=%u notice=%s to=<%s> queued", key,
			 m->ticket, notice_key, m->agent);
	g_free(item);
	g_free(mail.message);
out:
	json_node_unref(data);
	g_free(text);
	g_free(error);
	g_free(notice_key);
}
