/* viber.c: the Viber REST bot API channel (viber.h).  Requests and
   answers are JSON through json-glib, signatures are checked by
   signature.c with GHmac; nothing here parses JSON or HTTP by hand.

   Outbound runs in the worker's thread, one text piece per call;
   inbound in the webhook's thread with its own libcurl handle.  The
   token travels in a header, never in a URL or a log line. */

#include "viber.h"
#include "channel.h"
#include "http.h"
#include "inmail.h"
#include "jsonget.h"
#include "log.h"
#include "msgtext.h"
#include "receipt.h"
#include "signature.h"
#include "state.h"
#include "webhook.h"

#include <errno.h>
#include <string.h>

#define TEXT_LIMIT 7000		/* characters of a text message */
#define REQUEST_MAX 30000	/* bytes of a request: "30 KB" */
#define SENDER_NAME_MAX 28
#define ANSWER_MAX (1024 * 1024)
#define POST_MAX (1024 * 1024)
#define SEND_TIMEOUT 60L
#define SEEN_DAYS 7
/* Viber publishes no number: a pace well below what a bot is allowed,
   and a pause for every chat when it says there were too many */
#define ALL_GAP (G_USEC_PER_SEC / 20)
#define RATE_PAUSE (5 * G_USEC_PER_SEC)

/* The documented status codes that never succeed for this receiver or
   message: invalid URL, bad or missing data, receiver not registered,
   not subscribed, no suitable device, API version.  Every other one is
   tried again: the token (2), the account's state (7 blocked, 8 not
   found, 9 suspended, 10 webhook not set: the admin's to fix), the rate
   (12), and codes added after this was written; outbox_lifetime bounds
   them. */
static const int64_t fail_codes[] = { 1, 3, 4, 5, 6, 11, 13, 14 };

struct viber {
	const struct config *config;
	const struct config_channel *ch;
	const struct config_queue *queue;
	char *send_url;
	char *token;		/* also the webhook's signing key */
	char *headers[2];	/* "X-Viber-Auth-Token: ...", NULL */
	char *sender_name;
	struct http *out;
	struct http *hook_http;
	struct webhook *hook;
	struct receipts *receipts;
	char *seen_dir;
	char *dead_dir;
	gint stop;
	int64_t last_any;	/* monotonic time of the last call, or of
				   the end of a pause Viber asked for */
};

enum call_result { CALL_OK, CALL_RETRY, CALL_FAILED };

static bool in(const int64_t *codes, size_t n, int64_t code)
{
	for (size_t i = 0; i < n; i++) {
		if (codes[i] == code)
			return true;
	}
	return false;
}

static enum call_result classify_status(long status)
{
	if (status == 429 || status >= 500 || status == 401 || status == 404 ||
	    status < 400)
		return CALL_RETRY;
	return CALL_FAILED;
}

/* --- outbound --------------------------------------------------------- */

static char *request(struct viber *vb, const char *chat, const char *text)
{
	JsonBuilder *b = json_builder_new();
	JsonNode *root;
	char *json;

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
	root = json_builder_get_root(b);
	json = json_to_string(root, FALSE);
	json_node_unref(root);
	g_object_unref(b);
	return json;
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
	char *json, *failure = NULL, *error = NULL;
	struct http_response r;
	JsonNode *root;
	JsonObject *o;
	int64_t status, token;

	memset(out, 0, sizeof(*out));
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
	vb->last_any = g_get_monotonic_time();
	if (http_request_with(vb->out, vb->send_url,
			      (const char *const *)vb->headers, json, NULL,
			      SEND_TIMEOUT, ANSWER_MAX, &r, &failure) < 0) {
		out->result = SEND_RETRY;
		out->why = g_strdup_printf("send_message: %s", failure);
		g_free(failure);
		g_free(json);
		return;
	}
	g_free(json);
	root = r.status == 200 ? jsonget_parse(r.body->data, r.body->len,
					       &error) : NULL;
	g_free(error);
	o = root != NULL ? json_node_get_object(root) : NULL;
	status = jsonget_int(o, "status", -1);
	if (r.status != 200 || o == NULL || status < 0) {
		/* not Viber's answer: even a 200 is tried again */
		out->why = g_strdup_printf("send_message: HTTP %ld%s", r.status,
					   r.status == 200 ? " with an answer "
					   "that is not Viber's" : "");
		out->result = classify_status(r.status) == CALL_RETRY ||
			r.status == 200 ? SEND_RETRY : SEND_FAILED;
		if (r.status == 429)
			vb->last_any = g_get_monotonic_time() + RATE_PAUSE;
	} else if (status != 0) {
		const char *message = jsonget_string(o, "status_message");

		out->why = g_strdup_printf("send_message: status %"
					   G_GINT64_FORMAT ": %s", status,
					   message != NULL ? message :
					   "(no status_message)");
		out->result = in(fail_codes, G_N_ELEMENTS(fail_codes),
				 status) ? SEND_FAILED : SEND_RETRY;
		if (status == 12)	/* tooManyRequests: the bot's limit */
			vb->last_any = g_get_monotonic_time() + RATE_PAUSE;
	} else {
		token = jsonget_int(o, "message_token", -1);
		out->result = SEND_OK;
		if (token < 0) {
			log_warning("viber: ticket=%u chat=%s: no message_token "
				    "in the answer; counted as sent",
				    m->ticket, m->chat);
			out->message_id = g_strdup("?");
		} else {
			out->message_id = g_strdup_printf("%" G_GINT64_FORMAT,
							  token);
			receipts_record(vb->receipts, out->message_id, m);
		}
	}
	if (root != NULL)
		json_node_unref(root);
	http_response_clear(&r);
}

static int64_t vb_wait(void *impl, const char *chat)
{
	struct viber *vb = impl;

	return MAX(vb->last_any + ALL_GAP - g_get_monotonic_time(), 0);
}

/* --- inbound ---------------------------------------------------------- */

static void keep_dead(struct viber *vb, const uint8_t *data, size_t size,
		      const char *what, const char *why)
{
	char *name = g_strdup_printf("%" G_GINT64_FORMAT ".json",
				     g_get_real_time());
	char *error = NULL;

	if (state_write(vb->dead_dir, name, data, size, &error) < 0) {
		log_error("viber: %s: %s, and cannot keep it: %s", what, why,
			  error);
		g_free(error);
	} else {
		log_error("viber: %s: status=dead (%s), kept as %s/%s", what,
			  why, vb->dead_dir, name);
	}
	g_free(name);
}

enum fetch_result { FETCH_OK, FETCH_RETRY, FETCH_SKIP };

static enum fetch_result fetch(struct viber *vb, const char *url,
			       GBytes **bytes_r, char **type_r, char **why_r)
{
	struct http_response r;
	char *error = NULL;
	enum call_result ret;
	int got;

	if (!g_str_has_prefix(url, "https://") &&
	    !g_str_has_prefix(url, "http://")) {
		*why_r = g_strdup("the media is no http(s) URL");
		return FETCH_SKIP;
	}
	if ((got = http_request(vb->hook_http, url, NULL, NULL, 300,
				vb->ch->attachment_max, &r, &error)) < 0) {
		*why_r = g_strdup_printf("download: %s", error);
		g_free(error);
		return got == HTTP_TOO_BIG ? FETCH_SKIP : FETCH_RETRY;
	}
	if (r.status != 200) {
		*why_r = g_strdup_printf("download: HTTP %ld", r.status);
		/* a media link expires: only a server error is worth a
		   second post */
		ret = r.status >= 500 || r.status == 429 ? CALL_RETRY :
			CALL_FAILED;
		http_response_clear(&r);
		return ret == CALL_FAILED ? FETCH_SKIP : FETCH_RETRY;
	}
	*type_r = g_strdup(r.content_type);
	*bytes_r = g_byte_array_free_to_bytes(g_steal_pointer(&r.body));
	http_response_clear(&r);
	return FETCH_OK;
}

enum handled { HANDLED, HANDLE_RETRY };

static void read_message(JsonObject *msg, const char *type, GString *body)
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

static enum handled handle_message(struct viber *vb, JsonObject *event,
				   const uint8_t *data, size_t size)
{
	JsonObject *sender = jsonget_object(event, "sender");
	JsonObject *msg = jsonget_object(event, "message");
	const char *id = jsonget_string(sender, "id");
	const char *type = jsonget_string(msg, "type") ?: "unknown";
	const char *media = jsonget_string(msg, "media");
	int64_t token = jsonget_int(event, "message_token", -1);
	int64_t when = jsonget_int(event, "timestamp", 0) / 1000;
	int64_t now = g_get_real_time() / G_USEC_PER_SEC;
	GString *body = g_string_new(NULL);
	GPtrArray *files = g_ptr_array_new_with_free_func(inmail_file_free);
	char *address = NULL, *name = NULL, *subject = NULL, *mid = NULL;
	char *token_text = NULL, *why = NULL, *fallback = NULL, *error = NULL;
	struct inmail in = { 0 };
	enum handled ret = HANDLED;

	if (id == NULL || token < 0 || msg == NULL ||
	    (address = channel_address(vb->ch, id)) == NULL) {
		keep_dead(vb, data, size, "message", "without a valid "
			  "sender.id, message_token or message");
		goto out;
	}
	token_text = g_strdup_printf("%" G_GINT64_FORMAT, token);
	if (state_seen(vb->seen_dir, token_text)) {
		log_info("viber: message %s: chat=%s handled before, skipped",
			 token_text, id);
		goto out;
	}
	read_message(msg, type, body);
	if (media != NULL && (strcmp(type, "picture") == 0 ||
			      strcmp(type, "file") == 0 ||
			      strcmp(type, "video") == 0)) {
		GBytes *bytes = NULL;
		char *ctype = NULL;
		const char *file_name = jsonget_string(msg, "file_name");

		switch (fetch(vb, media, &bytes, &ctype, &why)) {
		case FETCH_OK:
			g_ptr_array_add(files, inmail_file_new(
				file_name != NULL ? file_name :
				strcmp(type, "picture") == 0 ? "picture.jpg" :
				type, ctype != NULL && strchr(ctype, '/') ?
				ctype : strcmp(type, "picture") == 0 ?
				"image/jpeg" : NULL, bytes));
			break;
		case FETCH_RETRY:
			log_warning("viber: message %s: chat=%s %s not fetched "
				    "(%s); will try again", token_text, id,
				    type, why);
			g_free(ctype);
			ret = HANDLE_RETRY;
			goto out;
		case FETCH_SKIP:
			g_string_append_printf(body, "%s[a %s the bridge could "
					       "not fetch: %s]",
					       body->len > 0 ? "\n\n" : "",
					       type, why);
			log_warning("viber: message %s: chat=%s %s not fetched: "
				    "%s", token_text, id, type, why);
			break;
		}
		g_free(ctype);
	}
	name = g_strdup_printf("%s (Viber)", jsonget_string(sender, "name") ?:
			       "Viber user");
	g_strdelimit(name, "\r\n\t", ' ');
	fallback = g_strdup_printf("Viber %s", strcmp(type, "text") == 0 ?
				   "message" : type);
	subject = inmail_subject(body->str, fallback);
	mid = g_strdup_printf("vb.%s@%s", token_text, vb->ch->domain);
	in.name = name;
	in.address = address;
	in.queue = vb->queue;
	in.subject = subject;
	in.date = when > 0 && when <= now ? when : now;
	in.message_id = mid;
	in.text = body->str;
	in.files = files;
	switch (inmail_send(vb->config, &in, &error)) {
	case MAIL_SENT:
		log_info("viber: message %s: chat=%s message_id=<%s> from=<%s> "
			 "to=<%s>%s status=sent via sendmail", token_text, id,
			 mid, address, vb->queue->address,
			 files->len > 0 ? " attachment=yes" : "");
		g_free(why);
		why = NULL;
		if (state_see(vb->seen_dir, token_text, &why) < 0)
			log_error("viber: message %s: cannot remember it as "
				  "handled: %s", token_text, why);
		break;
	case MAIL_RETRY:
		log_warning("viber: message %s: chat=%s status=deferred (%s)",
			    token_text, id, error);
		ret = HANDLE_RETRY;
		break;
	case MAIL_FAILED:
		keep_dead(vb, data, size, token_text, error);
		break;
	}
out:
	g_free(error);
	g_free(fallback);
	g_free(mid);
	g_free(subject);
	g_free(name);
	g_free(why);
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
	char *client, *error = NULL, *token_text;
	JsonNode *root;
	JsonObject *o;
	enum handled ret = HANDLED;

	if (strcmp(webhook_method(req), "POST") != 0)
		return 405;
	data = webhook_body(req, &size);
	given = webhook_header(req, "X-Viber-Content-Signature");
	if (!signature_check_viber(vb->token, data, size, given)) {
		client = webhook_client(req);
		log_warning("viber: webhook: POST %s from %s %s: refused (401), "
			    "nothing taken", webhook_path(req), client,
			    given == NULL ? "without X-Viber-Content-Signature"
			    : "with a wrong X-Viber-Content-Signature");
		g_free(client);
		return 401;
	}
	root = jsonget_parse(data, size, &error);
	if (root == NULL) {
		keep_dead(vb, data, size, "webhook", error);
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
			ret = HANDLE_RETRY;
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
	return ret == HANDLE_RETRY ? 500 : 200;
}

static int vb_start(void *impl, char **error_r)
{
	struct viber *vb = impl;

	g_atomic_int_set(&vb->stop, 0);
	state_sweep(vb->seen_dir, SEEN_DAYS * 24 * 3600);
	if (*vb->ch->webhook_listen == '\0') {
		log_warning("viber: no webhook_listen: customers' messages are "
			    "not received, replies are only sent");
		return 0;
	}
	vb->hook_http = http_new(&vb->stop);
	vb->hook = webhook_start(vb->ch->webhook_listen, "viber", POST_MAX,
				 hook_handle, vb, error_r);
	if (vb->hook == NULL) {
		http_free(&vb->hook_http);
		return -1;
	}
	log_info("viber: receiving by webhook on %s", vb->ch->webhook_listen);
	return 0;
}

static void vb_stop(void *impl)
{
	struct viber *vb = impl;

	g_atomic_int_set(&vb->stop, 1);
	webhook_stop(&vb->hook);
	http_free(&vb->hook_http);
}

static void vb_free(void *impl)
{
	struct viber *vb = impl;

	vb_stop(vb);
	http_free(&vb->out);
	receipts_close(&vb->receipts);
	g_free(vb->send_url);
	state_clear_secret(&vb->token);
	state_clear_secret(&vb->headers[0]);
	g_free(vb->sender_name);
	g_free(vb->seen_dir);
	g_free(vb->dead_dir);
	g_free(vb);
}

struct messenger *viber_new(const struct config *config,
			    const struct config_channel *ch, char **error_r)
{
	struct viber *vb = g_new0(struct viber, 1);
	const char *slash = g_str_has_suffix(ch->api_url, "/") ? "" : "/";
	struct messenger *m;

	vb->config = config;
	vb->ch = ch;
	vb->queue = config_queue_by_name(config, ch->queue);
	vb->token = state_read_secret("viber", "token_file", ch->token_file,
				      "abcdefghijklmnopqrstuvwxyz"
				      "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_",
				      error_r);
	if (vb->token == NULL)
		goto fail;
	vb->headers[0] = g_strconcat("X-Viber-Auth-Token: ", vb->token, NULL);
	vb->send_url = g_strconcat(ch->api_url, slash, "send_message", NULL);
	vb->sender_name = g_utf8_substring(vb->queue->display_name, 0,
					   SENDER_NAME_MAX);
	vb->seen_dir = g_build_filename(config->spool_dir, "viber", "seen",
					NULL);
	vb->dead_dir = g_build_filename(config->spool_dir, "viber", "dead",
					NULL);
	if (g_mkdir_with_parents(vb->seen_dir, 0770) < 0 ||
	    g_mkdir_with_parents(vb->dead_dir, 0770) < 0) {
		*error_r = g_strdup_printf("mkdir %s: %s", vb->dead_dir,
					   g_strerror(errno));
		goto fail;
	}
	vb->receipts = receipts_open(config, "viber", error_r);
	if (vb->receipts == NULL)
		goto fail;
	vb->out = http_new(NULL);
	m = g_new0(struct messenger, 1);
	m->name = ch->name;
	m->impl = vb;
	m->parts = vb_parts;
	m->send = vb_send;
	m->wait = vb_wait;
	m->start = vb_start;
	m->stop = vb_stop;
	m->free = vb_free;
	return m;
fail:
	vb_free(vb);
	return NULL;
}
