/* outbox.c: the format of outbox items.  JSON (json-glib), so that an
   admin can read a stuck item and later kinds (messenger messages) fit
   beside mail.  Writing and claiming files is spool.c's. */

#include "outbox.h"
#include "jsonget.h"

#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <string.h>

char *outbox_mail_encode(const struct outbox_mail *mail)
{
	JsonBuilder *b = json_builder_new();
	JsonNode *root;
	char *text;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "kind");
	json_builder_add_string_value(b, "mail");
	json_builder_set_member_name(b, "ticket");
	json_builder_add_int_value(b, mail->ticket);
	json_builder_set_member_name(b, "created");
	json_builder_add_int_value(b, mail->created);
	json_builder_set_member_name(b, "sender");
	json_builder_add_string_value(b, mail->sender);
	json_builder_set_member_name(b, "recipients");
	json_builder_begin_array(b);
	for (char **r = mail->recipients; *r != NULL; r++)
		json_builder_add_string_value(b, *r);
	json_builder_end_array(b);
	json_builder_set_member_name(b, "message");
	json_builder_add_string_value(b, mail->message);
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	text = json_to_string(root, FALSE);
	json_node_unref(root);
	g_object_unref(b);
	return text;
}

/* The item's JSON object, borrowed from parser, or NULL with *error_r
   (g_free it). */
static JsonObject *parse_object(JsonParser *parser, const char *data,
				size_t size, char **error_r)
{
	GError *error = NULL;
	JsonNode *node;

	if (!json_parser_load_from_data(parser, data, size, &error)) {
		*error_r = g_strdup_printf("not JSON: %s", error->message);
		g_error_free(error);
		return NULL;
	}
	node = json_parser_get_root(parser);
	if (node == NULL || !JSON_NODE_HOLDS_OBJECT(node)) {
		*error_r = g_strdup("not a JSON object");
		return NULL;
	}
	return json_node_get_object(node);
}

int outbox_decode(const char *data, size_t size, struct outbox_mail **mail_r,
		  char **kind_r, char **error_r)
{
	JsonParser *parser = json_parser_new();
	JsonObject *o;
	JsonArray *rcpts;
	JsonNode *node;
	const char *kind, *sender, *message;
	struct outbox_mail *mail;
	int ret = -1;

	o = parse_object(parser, data, size, error_r);
	if (o == NULL)
		goto out;
	kind = jsonget_string(o, "kind");
	if (kind == NULL) {
		*error_r = g_strdup("no \"kind\"");
		goto out;
	}
	if (strcmp(kind, "mail") != 0) {
		*kind_r = g_strdup(kind);
		ret = 0;
		goto out;
	}
	sender = jsonget_string(o, "sender");
	message = jsonget_string(o, "message");
	node = json_object_get_member(o, "recipients");
	rcpts = node != NULL && JSON_NODE_HOLDS_ARRAY(node) ?
		json_node_get_array(node) : NULL;
	if (sender == NULL || message == NULL || rcpts == NULL ||
	    json_array_get_length(rcpts) == 0) {
		*error_r = g_strdup("mail item without sender, recipients "
				    "or message");
		goto out;
	}
	mail = g_new0(struct outbox_mail, 1);
	mail->ticket = jsonget_int(o, "ticket", 0);
	mail->created = jsonget_int(o, "created", 0);
	mail->sender = g_strdup(sender);
	mail->message = g_strdup(message);
	mail->recipients = g_new0(char *, json_array_get_length(rcpts) + 1);
	for (guint i = 0; i < json_array_get_length(rcpts); i++) {
		node = json_array_get_element(rcpts, i);
		if (jsonget_text(node) == NULL ||
		    *json_node_get_string(node) == '\0') {
			*error_r = g_strdup("a recipient is not an address");
			outbox_mail_free(&mail);
			goto out;
		}
		mail->recipients[i] = g_strdup(json_node_get_string(node));
	}
	*mail_r = mail;
	ret = 1;
out:
	g_object_unref(parser);
	return ret;
}

void outbox_mail_free(struct outbox_mail **_mail)
{
	struct outbox_mail *mail = *_mail;

	if (mail == NULL)
		return;
	*_mail = NULL;
	g_free(mail->sender);
	g_strfreev(mail->recipients);
	g_free(mail->message);
	g_free(mail);
}

struct outbox_message *outbox_message_new(void)
{
	struct outbox_message *msg = g_new0(struct outbox_message, 1);

	msg->attachments = g_ptr_array_new();
	msg->sent = g_ptr_array_new_with_free_func(g_free);
	return msg;
}

static void add_string(JsonBuilder *b, const char *name, const char *value)
{
	json_builder_set_member_name(b, name);
	json_builder_add_string_value(b, value != NULL ? value : "");
}

char *outbox_message_encode(const struct outbox_message *msg)
{
	JsonBuilder *b = json_builder_new();
	JsonNode *root;
	char *text;

	json_builder_begin_object(b);
	add_string(b, "kind", "message");
	add_string(b, "channel", msg->channel);
	add_string(b, "chat", msg->chat);
	json_builder_set_member_name(b, "ticket");
	json_builder_add_int_value(b, msg->ticket);
	json_builder_set_member_name(b, "created");
	json_builder_add_int_value(b, msg->created);
	json_builder_set_member_name(b, "order");
	json_builder_add_int_value(b, msg->order);
	add_string(b, "queue", msg->queue);
	add_string(b, "agent", msg->agent);
	add_string(b, "subject", msg->subject);
	add_string(b, "in_reply_to", msg->in_reply_to);
	add_string(b, "text", msg->text);
	json_builder_set_member_name(b, "attachments");
	json_builder_begin_array(b);
	for (unsigned int i = 0; i < msg->attachments->len; i++) {
		const struct outbox_attachment *a = msg->attachments->pdata[i];
		gsize size;
		const guchar *bytes = g_bytes_get_data(a->data, &size);
		char *base64 = g_base64_encode(bytes, size);

		json_builder_begin_object(b);
		add_string(b, "filename", a->filename);
		add_string(b, "content_type", a->content_type);
		add_string(b, "data", base64);
		json_builder_end_object(b);
		g_free(base64);
	}
	json_builder_end_array(b);
	json_builder_set_member_name(b, "sent");
	json_builder_begin_array(b);
	for (unsigned int i = 0; i < msg->sent->len; i++)
		json_builder_add_string_value(b, msg->sent->pdata[i]);
	json_builder_end_array(b);
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	text = json_to_string(root, FALSE);
	json_node_unref(root);
	g_object_unref(b);
	return text;
}

/* base64 with nothing but its alphabet, padding and line breaks:
   g_base64_decode() skips other bytes silently, and a damaged item
   must not go out as a damaged file. */
static bool valid_base64(const char *s)
{
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		      "0123456789+/=\r\n") == strlen(s) && strlen(s) % 4 != 1;
}

static int read_attachment(JsonNode *node, struct outbox_message *msg,
			   char **error_r)
{
	JsonObject *o;
	const char *filename, *type, *data;
	struct outbox_attachment *a;
	guchar *bytes;
	gsize size;

	if (!JSON_NODE_HOLDS_OBJECT(node)) {
		*error_r = g_strdup("an attachment is not an object");
		return -1;
	}
	o = json_node_get_object(node);
	filename = jsonget_string(o, "filename");
	type = jsonget_string(o, "content_type");
	data = jsonget_string(o, "data");
	if (filename == NULL || type == NULL || *type == '\0' ||
	    data == NULL || !valid_base64(data)) {
		*error_r = g_strdup("an attachment without filename, "
				    "content_type or base64 data");
		return -1;
	}
	bytes = g_base64_decode(data, &size);
	a = g_new0(struct outbox_attachment, 1);
	a->filename = g_strdup(filename);
	a->content_type = g_strdup(type);
	a->data = g_bytes_new_take(bytes, size);
	g_ptr_array_add(msg->attachments, a);
	return 0;
}

int outbox_message_decode(const char *data, size_t size,
			  struct outbox_message **msg_r, char **error_r)
{
	JsonParser *parser = json_parser_new();
	JsonObject *o;
	JsonArray *attachments, *sent;
	const char *kind, *channel, *chat, *text;
	struct outbox_message *msg = NULL;
	int ret = -1;

	o = parse_object(parser, data, size, error_r);
	if (o == NULL)
		goto out;
	kind = jsonget_string(o, "kind");
	channel = jsonget_string(o, "channel");
	chat = jsonget_string(o, "chat");
	text = jsonget_string(o, "text");
	attachments = jsonget_array(o, "attachments");
	sent = jsonget_array(o, "sent");
	if (g_strcmp0(kind, "message") != 0) {
		*error_r = g_strdup("not a \"message\" item");
		goto out;
	}
	if (channel == NULL || *channel == '\0' || chat == NULL ||
	    *chat == '\0' || text == NULL) {
		*error_r = g_strdup("message item without channel, chat or "
				    "text");
		goto out;
	}
	msg = outbox_message_new();
	msg->channel = g_strdup(channel);
	msg->chat = g_strdup(chat);
	msg->text = g_strdup(text);
	msg->ticket = jsonget_int(o, "ticket", 0);
	msg->created = jsonget_int(o, "created", 0);
	msg->order = jsonget_int(o, "order", 0);
	msg->queue = g_strdup(jsonget_string(o, "queue") ?: "");
	msg->agent = g_strdup(jsonget_string(o, "agent") ?: "");
	msg->subject = g_strdup(jsonget_string(o, "subject") ?: "");
	msg->in_reply_to = g_strdup(jsonget_string(o, "in_reply_to") ?: "");
	for (guint i = 0; attachments != NULL &&
	     i < json_array_get_length(attachments); i++) {
		if (read_attachment(json_array_get_element(attachments, i), msg,
				    error_r) < 0)
			goto out;
	}
	if (*msg->text == '\0' && msg->attachments->len == 0) {
		*error_r = g_strdup("message item with neither text nor "
				    "attachments");
		goto out;
	}
	for (guint i = 0; sent != NULL && i < json_array_get_length(sent);
	     i++) {
		JsonNode *node = json_array_get_element(sent, i);

		if (jsonget_text(node) == NULL) {
			*error_r = g_strdup("a sent id is not a string");
			goto out;
		}
		g_ptr_array_add(msg->sent, g_strdup(json_node_get_string(node)));
	}
	*msg_r = msg;
	msg = NULL;
	ret = 0;
out:
	outbox_message_free(&msg);
	g_object_unref(parser);
	return ret;
}

void outbox_message_free(struct outbox_message **_msg)
{
	struct outbox_message *msg = *_msg;

	if (msg == NULL)
		return;
	*_msg = NULL;
	for (unsigned int i = 0; i < msg->attachments->len; i++) {
		struct outbox_attachment *a = msg->attachments->pdata[i];

		g_free(a->filename);
		g_free(a->content_type);
		g_bytes_unref(a->data);
		g_free(a);
	}
	g_ptr_array_unref(msg->attachments);
	g_ptr_array_unref(msg->sent);
	g_free(msg->channel);
	g_free(msg->chat);
	g_free(msg->queue);
	g_free(msg->agent);
	g_free(msg->subject);
	g_free(msg->in_reply_to);
	g_free(msg->text);
	g_free(msg);
}

char *outbox_message_prefix(const char *channel, const char *chat)
{
	char *safe = g_strdup(chat);
	char *prefix;

	g_strcanon(safe, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		   "0123456789-", '_');
	prefix = g_strdup_printf("msg.%s.%s.", channel, safe);
	g_free(safe);
	return prefix;
}

char *outbox_message_key(const char *channel, const char *chat,
			 const char *seed)
{
	char *prefix = outbox_message_prefix(channel, chat);
	char *hash = g_compute_checksum_for_string(G_CHECKSUM_SHA256, seed,
						   -1);
	char *key = g_strdup_printf("%s%.24s", prefix, hash);

	g_free(hash);
	g_free(prefix);
	return key;
}
