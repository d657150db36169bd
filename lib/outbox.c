/* outbox.c: the format of outbox items.  JSON (json-glib), so that an
   admin can read a stuck item and later kinds (messenger messages) fit
   beside mail.  Writing and claiming files is spool.c's. */

#include "outbox.h"

#include <json-glib/json-glib.h>
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

static const char *string_member(JsonObject *o, const char *name)
{
	JsonNode *node = json_object_get_member(o, name);

	if (node == NULL || json_node_get_value_type(node) != G_TYPE_STRING)
		return NULL;
	return json_node_get_string(node);
}

int outbox_decode(const char *data, size_t size, struct outbox_mail **mail_r,
		  char **kind_r, char **error_r)
{
	JsonParser *parser = json_parser_new();
	GError *error = NULL;
	JsonObject *o;
	JsonArray *rcpts;
	JsonNode *node;
	const char *kind, *sender, *message;
	struct outbox_mail *mail;
	int ret = -1;

	if (!json_parser_load_from_data(parser, data, size, &error)) {
		*error_r = g_strdup_printf("not JSON: %s", error->message);
		g_error_free(error);
		goto out;
	}
	node = json_parser_get_root(parser);
	if (node == NULL || !JSON_NODE_HOLDS_OBJECT(node)) {
		*error_r = g_strdup("not a JSON object");
		goto out;
	}
	o = json_node_get_object(node);
	kind = string_member(o, "kind");
	if (kind == NULL) {
		*error_r = g_strdup("no \"kind\"");
		goto out;
	}
	if (strcmp(kind, "mail") != 0) {
		*kind_r = g_strdup(kind);
		ret = 0;
		goto out;
	}
	sender = string_member(o, "sender");
	message = string_member(o, "message");
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
	mail->ticket = json_object_get_int_member_with_default(o, "ticket", 0);
	mail->created = json_object_get_int_member_with_default(o, "created",
								0);
	mail->sender = g_strdup(sender);
	mail->message = g_strdup(message);
	mail->recipients = g_new0(char *, json_array_get_length(rcpts) + 1);
	for (guint i = 0; i < json_array_get_length(rcpts); i++) {
		node = json_array_get_element(rcpts, i);
		if (json_node_get_value_type(node) != G_TYPE_STRING ||
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
