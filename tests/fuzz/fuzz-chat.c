/* fuzz-chat: what the providers post, read as the bridge reads it.
   Input: a webhook body.  It goes through jsonget_parse() and, as
   each channel would take it, to the pure readers of telegram.c
   (update.message or edited_message), whatsapp.c
   (entry[].changes[].value.messages[]) and viber.c (event.message);
   the words a message gives become a subject (inmail_subject()) and
   the mail's text.  Nothing here reaches the network or sendmail. */

#include "fuzz.h"
#include "inmail.h"
#include "jsonget.h"
#include "telegram.h"
#include "viber.h"
#include "whatsapp.h"

#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

static void words(GString *body)
{
	char *subject = inmail_subject(body->str, "Chat message");

	fuzz_assert(subject != NULL && strchr(subject, '\n') == NULL);
	g_free(subject);
}

static void telegram(JsonObject *update)
{
	JsonObject *msg = jsonget_object(update, "message");
	GString *body = g_string_new(NULL);
	char *name, *other;

	if (msg == NULL)
		msg = jsonget_object(update, "edited_message");
	if (msg == NULL) {
		g_string_free(body, TRUE);
		return;
	}
	(void)jsonget_int(jsonget_object(msg, "chat"), "id", G_MININT64);
	(void)jsonget_int(msg, "message_id", -1);
	(void)jsonget_int(jsonget_object(msg, "reply_to_message"),
			  "message_id", -1);
	g_string_append(body, jsonget_string(msg, "text") ?:
			jsonget_string(msg, "caption") ?: "");
	if ((other = telegram_other_content(msg)) != NULL) {
		g_string_append(body, other);
		g_free(other);
	}
	/* line breaks are inbound_deliver()'s to take out */
	name = telegram_display_name(msg);
	fuzz_assert(name == NULL || g_utf8_validate(name, -1, NULL));
	g_free(name);
	words(body);
	g_string_free(body, TRUE);
}

static void whatsapp(JsonObject *root)
{
	JsonArray *entries = jsonget_array(root, "entry");

	for (guint i = 0; entries != NULL && i < json_array_get_length(entries);
	     i++) {
		JsonArray *changes = jsonget_array(
			jsonget_element(entries, i), "changes");

		for (guint j = 0; changes != NULL &&
		     j < json_array_get_length(changes); j++) {
			JsonObject *value = jsonget_object(
				jsonget_element(changes, j), "value");
			JsonArray *messages = jsonget_array(value,
							    "messages");

			for (guint k = 0; messages != NULL &&
			     k < json_array_get_length(messages); k++) {
				JsonObject *msg = jsonget_element(messages,
								  k);
				GString *body = g_string_new(NULL);
				const char *media, *filename;

				if (msg == NULL) {
					g_string_free(body, TRUE);
					continue;
				}
				whatsapp_read_message(
					msg, jsonget_string(msg, "type") ?:
					"unknown", body, &media, &filename);
				words(body);
				g_string_free(body, TRUE);
			}
		}
	}
}

static void viber(JsonObject *event)
{
	JsonObject *msg = jsonget_object(event, "message");
	GString *body;

	if (msg == NULL)
		return;
	body = g_string_new(NULL);
	viber_read_message(msg, jsonget_string(msg, "type") ?: "unknown",
			   body);
	words(body);
	g_string_free(body, TRUE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *error = NULL;
	JsonNode *root = jsonget_parse(data, size, &error);
	JsonObject *o;

	if (root == NULL) {
		fuzz_assert(error != NULL);
		g_free(error);
		return 0;
	}
	o = JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
	(void)jsonget_int(o, "update_id", -1);
	telegram(o);
	whatsapp(o);
	viber(o);
	json_node_unref(root);
	return 0;
}
