/* viber.c: the Viber REST bot API channel (viber.h).  Requests and
   answers are JSON through json-glib, signatures are checked by
   signature.c with GHmac; nothing here parses JSON or HTTP by hand.
   What every channel does alike is the channel layer's (provider.c,
   inbound.c); this file is Viber's own.

   Outbound runs in the worker's thread, one text piece per call;
   inbound in the webhook's thread with its own libcurl handle.  The
   token travels in a header, never in a URL or a log line. */

#include "viber.h"
#include "channel.h"
#include "inbound.h"
#include "jsonget.h"
#include "log.h"
#include "msgtext.h"
#include "provider.h"
#include "receipt.h"
#include "signature.h"
#include "state.h"

#include <string.h>

#define TEXT_LIMIT 7000		/* characters of a text message */
#define REQUEST_MAX 30000	/* bytes of a request: "30 KB" */
#define SENDER_NAME_MAX 28
#define ANSWER_MAX (1024 * 1024)
#define POST_MAX (1024 * 1024)
#define SEND_TIMEOUT 60L

/* The documented status codes that never succeed for this receiver or
   message: invalid URL, bad or missing data, receiver not registered,
   not subscribed, no suitable device, API version; and 12, too many
   requests: the bot's limit, which holds every chat.  Every other one
   is tried again: the token (2), the account's state (7 blocked, 8 not
   found, 9 suspended, 10 webhook not set: the admin's to fix), and
   codes added after this was written; outbox_lifetime bounds them. */
static const struct provider_code codes[] = {
	{ 1, PROVIDER_DEAD }, { 3, PROVIDER_DEAD }, { 4, PROVIDER_DEAD },
	{ 5, PROVIDER_DEAD }, { 6, PROVIDER_DEAD }, { 11, PROVIDER_DEAD },
	{ 13, PROVIDER_DEAD }, { 14, PROVIDER_DEAD }, { 12, PROVIDER_RATE },
};

static const long admin_statuses[] = { 401, 404, 0 };

/* Viber publishes no number: a pace well below what a bot is allowed,
   and a pause for every chat when it says there were too many.  Its
   media links expire. */
static const struct provider_rules rules = {
	.name = "viber",
	.all_gap = G_USEC_PER_SEC / 20,
	.rate_pause = 5 * G_USEC_PER_SEC,
	.admin_statuses = admin_statuses,
	.codes = codes,
	.n_codes = G_N_ELEMENTS(codes),
	.code_default = PROVIDER_RETRY,
	.media_expires = true,
};

struct viber {
	const struct config_channel *ch;
	char *send_url;
	char *token;		/* also the webhook's signing key */
	char *sender_name;
	struct provider *provider;
	struct inbound *in;
	struct receipts *receipts;
};

/* --- outbound --------------------------------------------------------- */

static char *request(struct viber *vb, const char *chat, const char *text)
{
	JsonBuilder *b = json_builder_new();

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "receiver");
	json_builder_add_string_value(b, chat);
	json_builder_set_member_name(b, "min_api_version");
	json_builder_add_int_value(b, 1);
	json_builder_set_member_name(b, "sender");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "name");
	json_builder_add_string_value(b, vb->sender_name);
	json_builder_end_object(b);
	json_builder_set_member_name(b, "type");
	json_builder_add_string_value(b, "text");
	json_builder_set_member_name(b, "text");
	json_builder_add_string_value(b, text);
	json_builder_end_object(b);
	return jsonget_built(&b);
}

/* The text the customer gets: the agent's, and a line for each
   attachment Viber cannot take from us. */
static char *full_text(const struct outbox_message *m)
{
	GString *text = g_string_new(m->text);

	for (unsigned int i = 0; i < m->attachments->len; i++) {
		const struct outbox_attachment *a = m->attachments->pdata[i];

		g_string_append_printf(text, "%s[attachment not sent: %s]",
				       text->len > 0 ? (i == 0 ? "\n\n" :
							"\n") : "",
				       *a->filename != '\0' ? a->filename :
				       a->content_type);
	}
	return g_string_free(text, FALSE);
}

/* Pieces of at most TEXT_LIMIT characters, each of whose request stays
   within REQUEST_MAX bytes once escaped: a piece too large is cut
   again, smaller. */
static void add_pieces(struct viber *vb, GPtrArray *out, const char *text,
		       unsigned int limit)
{
	GPtrArray *pieces = msgtext_split(text, limit);

	for (unsigned int i = 0; i < pieces->len; i++) {
		char *json = request(vb, "x", pieces->pdata[i]);

		if (strlen(json) + 64 > REQUEST_MAX && limit > 16)
			add_pieces(vb, out, pieces->pdata[i], limit / 2);
		else
			g_ptr_array_add(out, g_strdup(pieces->pdata[i]));
		g_free(json);
	}
	g_ptr_array_unref(pieces);
}

static GPtrArray *pieces_of(struct viber *vb, const struct outbox_message *m)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	char *text = full_text(m);

	add_pieces(vb, out, text, TEXT_LIMIT);
	g_free(text);
	return out;
}

static unsigned int vb_parts(void *impl, const struct outbox_message *m)
{
	GPtrArray *pieces = pieces_of(impl, m);
	unsigned int n = pieces->len;

	g_ptr_array_unref(pieces);
	return n;
}

static void vb_send(void *impl, const struct outbox_message *m,
		    unsigned int part, struct send_outcome *out)
{
	struct viber *vb = impl;
	GPtrArray *pieces = pieces_of(vb, m);
	char *json, *why = NULL, *id = NULL;
	struct http_response r;
	JsonNode *root;
	JsonObject *o;
	enum provider_result ret;
	int64_t status, token;

	if (part == 0 && m->sent->len == 0) {
		for (unsigned int i = 0; i < m->attachments->len; i++) {
			const struct outbox_attachment *a =
				m->attachments->pdata[i];

			log_warning("viber: ticket=%u chat=%s: attachment "
				    "\"%s\" (%s) not sent: Viber takes files "
				    "only by URL and the bridge serves none; "
				    "the text says so", m->ticket, m->chat,
				    a->filename, a->content_type);
		}
	}
	json = request(vb, m->chat, pieces->pdata[part]);
	g_ptr_array_unref(pieces);
	provider_calling(vb->provider, m->chat);
	if (provider_request(vb->provider, provider_http(vb->provider),
			     "send_message", vb->send_url, json, NULL,
			     SEND_TIMEOUT, ANSWER_MAX, &r, &root, &why) < 0) {
		g_free(json);
		provider_outcome(vb->provider, m, PROVIDER_RETRY, NULL, why, 0,
				 out);
		return;
	}
	g_free(json);
	o = r.status == 200 && root != NULL ? json_node_get_object(root) :
		NULL;
	status = jsonget_int(o, "status", -1);
	if (o == NULL || status < 0) {
		/* not Viber's answer: even a 200 is tried again */
		why = g_strdup_printf("send_message: HTTP %ld%s", r.status,
				      r.status == 200 ? " with an answer that "
				      "is not Viber's" : "");
		ret = provider_http_result(vb->provider, r.status);
	} else if (status != 0) {
		const char *message = jsonget_string(o, "status_message");

		why = g_strdup_printf("send_message: status %" G_GINT64_FORMAT
				      ": %s", status, message != NULL ?
				      message : "(no status_message)");
		ret = provider_code_result(vb->provider, r.status, status);
	} else {
		token = jsonget_int(o, "message_token", -1);
		ret = PROVIDER_OK;
		if (token < 0) {
			why = g_strdup("send_message: no message_token in the "
				       "answer");
		} else {
			id = g_strdup_printf("%" G_GINT64_FORMAT, token);
			receipts_record(vb->receipts, id, m);
		}
	}
	provider_outcome(vb->provider, m, ret, id, why, 0, out);
	if (root != NULL)
		json_node_unref(root);
	http_response_clear(&r);
}

/* --- inbound ---------------------------------------------------------- */

void viber_read_message(JsonObject *msg, const char *type, GString *body)
{
	JsonObject *o;

	g_string_append(body, jsonget_string(msg, "text") ?: "");
	if (strcmp(type, "contact") == 0 &&
	    (o = jsonget_object(msg, "contact")) != NULL) {
		g_string_append_printf(body, "%s[contact: %s %s]",
				       body->len > 0 ? "\n\n" : "",
				       jsonget_string(o, "name") ?: "",
				       jsonget_string(o, "phone_number") ?: "");
	} else if (strcmp(type, "location") == 0 &&
		   (o = jsonget_object(msg, "location")) != NULL) {
		JsonNode *lat = json_object_get_member(o, "lat");
		JsonNode *lon = json_object_get_member(o, "lon");

		if (lat != NULL && lon != NULL && JSON_NODE_HOLDS_VALUE(lat) &&
		    JSON_NODE_HOLDS_VALUE(lon))
			g_string_append_printf(body, "[location: %.6f, %.6f]",
					       json_node_get_double(lat),
					       json_node_get_double(lon));
	} else if (strcmp(type, "url") == 0) {
		g_string_append_printf(body, "%s%s", body->len > 0 ? "\n" : "",
				       jsonget_string(msg, "media") ?: "");
	} else if (strcmp(type, "sticker") == 0) {
		g_string_append(body, "[sticker]");
	} else if (strcmp(type, "text") != 0 && strcmp(type, "picture") != 0 &&
		   strcmp(type, "file") != 0 && strcmp(type, "video") != 0 &&
		   body->len == 0) {
		g_string_append_printf(body, "[a Viber %s message]", type);
	}
}

static enum inbound_result handle_message(struct viber *vb,
					  JsonObject *event,
					  const uint8_t *data, size_t size)
{
	JsonObject *sender = jsonget_object(event, "sender");
	JsonObject *msg = jsonget_object(event, "message");
	const char *id = jsonget_string(sender, "id");
	const char *type = jsonget_string(msg, "type") ?: "unknown";
	const char *media = jsonget_string(msg, "media");
	int64_t token = jsonget_int(event, "message_token", -1);
	char *token_text = g_strdup_printf("%" G_GINT64_FORMAT, token);
	char *label = g_strdup_printf("message %s", token_text);
	struct inbound_item item = {
		.label = label,
		.chat = id,
		.seen_id = token_text,
		.data = data,
		.size = size,
	};
	GString *body = g_string_new(NULL);
	GPtrArray *files = g_ptr_array_new_with_free_func(inmail_file_free);
	char *address = NULL, *mid = NULL, *why = NULL;
	struct inbound_message message = {
		.sender = jsonget_string(sender, "name"),
		.language = jsonget_string(sender, "language"),
		.kind = type,
		.date = inbound_date(jsonget_int(event, "timestamp", 0) / 1000),
		.files = files,
	};
	enum inbound_result ret = INBOUND_DONE;

	if (id == NULL || token < 0 || msg == NULL ||
	    (address = channel_address(vb->ch, id)) == NULL) {
		item.label = "message";
		item.chat = NULL;
		inbound_keep_dead(vb->in, &item, "without a valid sender.id, "
				  "message_token or message");
		goto out;
	}
	if (inbound_seen(vb->in, &item))
		goto out;
	viber_read_message(msg, type, body);
	if (media != NULL && (strcmp(type, "picture") == 0 ||
			      strcmp(type, "file") == 0 ||
			      strcmp(type, "video") == 0)) {
		GBytes *bytes = NULL;
		char *ctype = NULL;
		const char *file_name = jsonget_string(msg, "file_name");
		enum inbound_fetch got = inbound_download(
			vb->in, vb->provider, media, NULL,
			vb->ch->attachment_max, &bytes, &ctype, &why);

		if (got == INBOUND_FETCH_OK)
			g_ptr_array_add(files, inmail_file_new(
				file_name != NULL ? file_name :
				strcmp(type, "picture") == 0 ? "picture.jpg" :
				type, ctype != NULL && strchr(ctype, '/') ?
				ctype : strcmp(type, "picture") == 0 ?
				"image/jpeg" : NULL, bytes));
		else if (!inbound_media_missing(vb->in, &item, got, type, why,
						body))
			ret = INBOUND_RETRY;
		g_free(ctype);
		if (ret == INBOUND_RETRY)
			goto out;
	}
	mid = g_strdup_printf("vb.%s@%s", token_text, vb->ch->domain);
	message.address = address;
	message.message_id = mid;
	message.text = body->str;
	ret = inbound_deliver(vb->in, &item, &message);
out:
	g_free(mid);
	g_free(why);
	g_free(label);
	g_free(token_text);
	g_free(address);
	g_ptr_array_unref(files);
	g_string_free(body, TRUE);
	return ret;
}

static unsigned int hook_handle(void *context,
				const struct webhook_request *req,
				char **answer_r, const char **type_r)
{
	struct viber *vb = context;
	const char *given, *event;
	const uint8_t *data;
	size_t size;
	char *error = NULL, *token_text;
	JsonNode *root;
	JsonObject *o;
	enum inbound_result ret = INBOUND_DONE;

	if (strcmp(webhook_method(req), "POST") != 0)
		return 405;
	data = webhook_body(req, &size);
	given = webhook_header(req, "X-Viber-Content-Signature");
	if (!signature_check_viber(vb->token, data, size, given))
		return inbound_refuse(vb->in, req, given == NULL ?
				      "without X-Viber-Content-Signature" :
				      "with a wrong X-Viber-Content-Signature");
	root = jsonget_parse(data, size, &error);
	if (root == NULL) {
		struct inbound_item garbage = {
			.label = "webhook",
			.data = data,
			.size = size,
		};

		inbound_keep_dead(vb->in, &garbage, error);
		g_free(error);
		return 200;
	}
	o = json_node_get_object(root);
	event = jsonget_string(o, "event") ?: "(none)";
	token_text = g_strdup_printf("%" G_GINT64_FORMAT,
				     jsonget_int(o, "message_token", -1));
	if (strcmp(event, "message") == 0) {
		ret = handle_message(vb, o, data, size);
	} else if (strcmp(event, "delivered") == 0 ||
		   strcmp(event, "seen") == 0 || strcmp(event, "failed") == 0) {
		/* Viber's "seen" is what the history calls "read" */
		if (receipts_status(vb->receipts, token_text,
				    strcmp(event, "seen") == 0 ? "read" :
				    event, jsonget_string(o, "desc")) < 0)
			ret = INBOUND_RETRY;
	} else if (strcmp(event, "subscribed") == 0 ||
		   strcmp(event, "conversation_started") == 0) {
		log_info("viber: %s: chat=%s (%s): no mail until they write",
			 event, jsonget_string(jsonget_object(o, "user"), "id")
			 ?: "?", jsonget_string(jsonget_object(o, "user"),
						"name") ?: "?");
	} else if (strcmp(event, "unsubscribed") == 0) {
		log_info("viber: unsubscribed: chat=%s: replies to them will "
			 "fail", jsonget_string(o, "user_id") ?: "?");
	} else {
		log_info("viber: %s event: nothing to do", event);
	}
	g_free(token_text);
	json_node_unref(root);
	return ret == INBOUND_RETRY ? 500 : 200;
}

static const struct inbound_rules inbound_rules = {
	.name = "viber",
	.title = "Viber",
	.body_max = POST_MAX,
	.handler = hook_handle,
};

/* --- set-up ------------------------------------------------------------ */

static void vb_free(void *impl)
{
	struct viber *vb = impl;

	receipts_close(&vb->receipts);
	g_free(vb->send_url);
	state_clear_secret(&vb->token);
	g_free(vb->sender_name);
	g_free(vb);
}

static const struct messenger_ops ops = {
	.provider = &rules,
	.inbound = &inbound_rules,
	.parts = vb_parts,
	.send = vb_send,
	.free = vb_free,
};

struct messenger *viber_new(const struct config *config,
			    const struct config_channel *ch, char **error_r)
{
	struct viber *vb = g_new0(struct viber, 1);
	const char *slash = g_str_has_suffix(ch->api_url, "/") ? "" : "/";
	char *headers[2] = { NULL, NULL };
	struct messenger *m;

	vb->ch = ch;
	vb->token = state_read_secret("viber", "token_file", ch->token_file,
				      "abcdefghijklmnopqrstuvwxyz"
				      "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_",
				      error_r);
	if (vb->token == NULL ||
	    (vb->receipts = receipts_open(config, "viber", error_r)) == NULL) {
		vb_free(vb);
		return NULL;
	}
	vb->send_url = g_strconcat(ch->api_url, slash, "send_message", NULL);
	vb->sender_name = g_utf8_substring(
		config_queue_by_name(config, ch->queue)->display_name, 0,
		SENDER_NAME_MAX);
	headers[0] = g_strconcat("X-Viber-Auth-Token: ", vb->token, NULL);
	m = messenger_new(config, ch, vb, &ops, (const char *const *)headers,
			  &vb->provider, &vb->in, error_r);
	state_clear_secret(&headers[0]);
	return m;
}
