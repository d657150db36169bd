/* whatsapp.c: the WhatsApp Cloud API channel (whatsapp.h).  Requests
   and answers are JSON through json-glib, uploads are multipart forms
   built by libcurl, webhook signatures are checked by signature.c with
   GHmac; nothing here parses JSON, HTTP or MIME by hand.

   Outbound runs in the worker's thread, one part per call; inbound in
   the webhook's thread with its own libcurl handle for media.  The
   token is in a header, never in a URL or a log line. */

#include "whatsapp.h"
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

#include <glib/gstdio.h>
#include <errno.h>
#include <string.h>

#define TEXT_LIMIT 4096		/* characters of a text message */
#define IMAGE_MAX (5 * 1024 * 1024)	/* an image's limit */
#define ANSWER_MAX (1024 * 1024)	/* any API answer but a file */
#define POST_MAX (1024 * 1024)		/* a webhook post */
#define SEND_TIMEOUT 120L
#define WINDOW (24 * 3600)	/* the customer-service window */
#define SEEN_DAYS 7
#define ALL_GAP (G_USEC_PER_SEC / 50)	/* well within 80 a second */
#define RATE_PAUSE (5 * G_USEC_PER_SEC)	/* after a rate limit error */

/* the Graph API's error codes that say "later" */
static const int64_t retry_codes[] = {
	1, 2, 4, 190, 80007, 130429, 131000, 131016, 131048, 131056,
};
#define WINDOW_CLOSED_CODE 131047

struct whatsapp {
	const struct config *config;
	const struct config_channel *ch;
	const struct config_queue *queue;
	char *messages_url;	/* api_url/{phone_number_id}/messages */
	char *media_url;	/* api_url/{phone_number_id}/media */
	char *base;		/* api_url/ */
	char *headers[2];	/* "Authorization: Bearer ...", NULL */
	char *app_secret;
	char *verify_token;
	struct http *out;	/* the worker's */
	struct http *hook_http;	/* the webhook thread's */
	struct webhook *hook;
	struct receipts *receipts;
	char *window_dir;
	char *seen_dir;
	char *dead_dir;
	int64_t last_any;
	gint stop;
};

enum call_result { CALL_OK, CALL_RETRY, CALL_FAILED, CALL_WINDOW };

/* --- the API ---------------------------------------------------------- */

static enum call_result classify_code(int64_t code)
{
	if (code == WINDOW_CLOSED_CODE)
		return CALL_WINDOW;
	for (unsigned int i = 0; i < G_N_ELEMENTS(retry_codes); i++) {
		if (retry_codes[i] == code)
			return CALL_RETRY;
	}
	return CALL_FAILED;
}

static enum call_result classify_status(long status)
{
	if (status == 429 || status >= 500 || status == 401 || status == 404 ||
	    status < 400)
		return CALL_RETRY;
	return CALL_FAILED;
}

/* One Graph API request.  CALL_OK gives the answer's object in
   *answer_r (json_node_unref it); otherwise *why_r (g_free it). */
static enum call_result call(struct whatsapp *wa, struct http *http,
			     const char *what, const char *url,
			     const char *json, curl_mime *mime, long timeout,
			     JsonNode **answer_r, char **why_r)
{
	struct http_response r;
	char *failure = NULL;
	JsonNode *root;
	JsonObject *error;
	enum call_result ret;

	*answer_r = NULL;
	if (http_request_with(http, url, (const char *const *)wa->headers,
			      json, mime, timeout, ANSWER_MAX, &r,
			      &failure) < 0) {
		*why_r = g_strdup_printf("%s: %s", what, failure);
		g_free(failure);
		return CALL_RETRY;
	}
	root = jsonget_parse(r.body->data, r.body->len, &failure);
	g_free(failure);
	error = root != NULL ? jsonget_object(json_node_get_object(root),
					      "error") : NULL;
	if (root == NULL) {
		/* not the Graph API's answer: even a 200 is tried again,
		   for nothing says Meta took the message */
		*why_r = g_strdup_printf("%s: HTTP %ld with an answer that is "
					 "not the Graph API's (%u bytes)", what,
					 r.status, r.body->len);
		ret = classify_status(r.status);
	} else if (error != NULL) {
		int64_t code = jsonget_int(error, "code", r.status);
		const char *message = jsonget_string(error, "message");
		const char *details = jsonget_string(
			jsonget_object(error, "error_data"), "details");

		*why_r = g_strdup_printf("%s: error %" G_GINT64_FORMAT ": %s%s%s",
					 what, code, message != NULL ? message :
					 "(no message)", details != NULL ?
					 ": " : "", details != NULL ? details :
					 "");
		ret = classify_code(code);
		if (ret == CALL_FAILED && (r.status == 429 || r.status >= 500))
			ret = CALL_RETRY;
		/* the number's limits (130429: throughput, 80007: the
		   account's rate) hold every chat for a while */
		if (r.status == 429 || code == 130429 || code == 80007)
			wa->last_any = MAX(wa->last_any,
					   g_get_monotonic_time() + RATE_PAUSE);
	} else if (r.status >= 300) {
		*why_r = g_strdup_printf("%s: HTTP %ld", what, r.status);
		ret = classify_status(r.status);
		if (r.status == 429)
			wa->last_any = MAX(wa->last_any,
					   g_get_monotonic_time() + RATE_PAUSE);
	} else {
		*answer_r = json_node_ref(root);
		ret = CALL_OK;
	}
	if (root != NULL)
		json_node_unref(root);
	http_response_clear(&r);
	return ret;
}

/* --- the customer-service window -------------------------------------- */

/* When the customer last wrote (Unix seconds), 0 when not known. */
static int64_t last_inbound(struct whatsapp *wa, const char *chat)
{
	char *path = g_build_filename(wa->window_dir, chat, NULL);
	char *text = NULL;
	int64_t when = 0;

	if (g_file_get_contents(path, &text, NULL, NULL))
		when = g_ascii_strtoll(text, NULL, 10);
	g_free(text);
	g_free(path);
	return when;
}

static void note_inbound(struct whatsapp *wa, const char *chat, int64_t when)
{
	char *text, *error = NULL;

	if (when <= last_inbound(wa, chat))
		return;
	text = g_strdup_printf("%" G_GINT64_FORMAT "\n", when);
	if (state_write(wa->window_dir, chat, text, strlen(text), &error) < 0) {
		log_error("whatsapp: chat=%s: cannot keep the time of the "
			  "customer's last message: %s", chat, error);
		g_free(error);
	}
	g_free(text);
}

static char *iso_time(int64_t when)
{
	GDateTime *t = g_date_time_new_from_unix_utc(when);
	char *text = g_date_time_format_iso8601(t);

	g_date_time_unref(t);
	return text;
}

/* Whether the window is known to be closed; then *why_r says so. */
static bool window_closed(struct whatsapp *wa, const char *chat,
			  char **why_r)
{
	int64_t last = last_inbound(wa, chat);
	int64_t now = g_get_real_time() / G_USEC_PER_SEC;
	char *when;

	if (last == 0 || now - last < WINDOW)
		return false;
	when = iso_time(last);
	*why_r = g_strdup_printf("the customer's 24-hour WhatsApp window is "
				 "closed: they last wrote at %s", when);
	g_free(when);
	return true;
}

/* --- outbound --------------------------------------------------------- */

static bool has_template(struct whatsapp *wa)
{
	return *wa->ch->template_name != '\0';
}

static bool template_sent(const struct outbox_message *m)
{
	return m->sent->len > 0 &&
		g_str_has_prefix(m->sent->pdata[0], "template:");
}

static unsigned int wa_parts(void *impl, const struct outbox_message *m)
{
	struct whatsapp *wa = impl;
	GPtrArray *pieces;
	unsigned int n;
	char *why = NULL;

	if (template_sent(m))
		return 1;
	if (m->sent->len == 0 && has_template(wa) &&
	    window_closed(wa, m->chat, &why)) {
		g_free(why);
		return 1;	/* the template alone */
	}
	pieces = msgtext_split(m->text, TEXT_LIMIT);
	n = pieces->len + m->attachments->len;
	g_ptr_array_unref(pieces);
	return n;
}

static JsonBuilder *message_start(const char *chat, const char *type)
{
	JsonBuilder *b = json_builder_new();

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "messaging_product");
	json_builder_add_string_value(b, "whatsapp");
	json_builder_set_member_name(b, "recipient_type");
	json_builder_add_string_value(b, "individual");
	json_builder_set_member_name(b, "to");
	json_builder_add_string_value(b, chat);
	json_builder_set_member_name(b, "type");
	json_builder_add_string_value(b, type);
	json_builder_set_member_name(b, type);
	json_builder_begin_object(b);
	return b;
}

static char *message_end(JsonBuilder *b)
{
	JsonNode *root;
	char *json;

	json_builder_end_object(b);
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	json = json_to_string(root, FALSE);
	json_node_unref(root);
	g_object_unref(b);
	return json;
}

static char *text_request(const char *chat, const char *text)
{
	JsonBuilder *b = message_start(chat, "text");

	json_builder_set_member_name(b, "preview_url");
	json_builder_add_boolean_value(b, FALSE);
	json_builder_set_member_name(b, "body");
	json_builder_add_string_value(b, text);
	return message_end(b);
}

static char *template_request(struct whatsapp *wa, const char *chat)
{
	JsonBuilder *b = message_start(chat, "template");

	json_builder_set_member_name(b, "name");
	json_builder_add_string_value(b, wa->ch->template_name);
	json_builder_set_member_name(b, "language");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "code");
	json_builder_add_string_value(b, wa->ch->template_language);
	json_builder_end_object(b);
	return message_end(b);
}

static bool is_image(const struct outbox_attachment *a)
{
	return g_bytes_get_size(a->data) <= IMAGE_MAX &&
		(g_ascii_strcasecmp(a->content_type, "image/jpeg") == 0 ||
		 g_ascii_strcasecmp(a->content_type, "image/png") == 0);
}

/* Uploads a file; CALL_OK with its media id in *id_r (g_free it). */
static enum call_result upload(struct whatsapp *wa,
			       const struct outbox_attachment *a, char **id_r,
			       char **why_r)
{
	curl_mime *mime = curl_mime_init(wa->out->curl);
	curl_mimepart *field;
	gsize size;
	const void *bytes = g_bytes_get_data(a->data, &size);
	JsonNode *answer = NULL;
	enum call_result ret;
	const char *id;

	field = curl_mime_addpart(mime);
	curl_mime_name(field, "messaging_product");
	curl_mime_data(field, "whatsapp", CURL_ZERO_TERMINATED);
	field = curl_mime_addpart(mime);
	curl_mime_name(field, "type");
	curl_mime_data(field, a->content_type, CURL_ZERO_TERMINATED);
	field = curl_mime_addpart(mime);
	curl_mime_name(field, "file");
	curl_mime_data(field, bytes, size);
	curl_mime_filename(field, *a->filename != '\0' ? a->filename : "file");
	curl_mime_type(field, a->content_type);
	ret = call(wa, wa->out, "media upload", wa->media_url, NULL, mime,
		   SEND_TIMEOUT, &answer, why_r);
	curl_mime_free(mime);
	if (ret != CALL_OK)
		return ret;
	id = jsonget_string(json_node_get_object(answer), "id");
	if (id == NULL) {
		*why_r = g_strdup("media upload: no id in the answer");
		ret = CALL_RETRY;
	} else {
		*id_r = g_strdup(id);
	}
	json_node_unref(answer);
	return ret;
}

static char *media_request(const char *chat, const struct outbox_attachment *a,
			   const char *media_id)
{
	bool image = is_image(a);
	JsonBuilder *b = message_start(chat, image ? "image" : "document");

	json_builder_set_member_name(b, "id");
	json_builder_add_string_value(b, media_id);
	if (!image && *a->filename != '\0') {
		json_builder_set_member_name(b, "filename");
		json_builder_add_string_value(b, a->filename);
	}
	return message_end(b);
}

/* Sends json to /messages; CALL_OK with the wamid in *id_r. */
static enum call_result send_message(struct whatsapp *wa, const char *what,
				     const char *json, char **id_r,
				     char **why_r)
{
	JsonNode *answer = NULL;
	enum call_result ret;
	const char *id;

	wa->last_any = g_get_monotonic_time();
	ret = call(wa, wa->out, what, wa->messages_url, json, NULL,
		   SEND_TIMEOUT, &answer, why_r);
	if (ret != CALL_OK)
		return ret;
	id = jsonget_string(jsonget_element(jsonget_array(
		json_node_get_object(answer), "messages"), 0), "id");
	/* sent, but the answer does not say as what: a retry would send
	   it twice */
	if (id == NULL)
		log_warning("whatsapp: %s: no messages[0].id in the answer; "
			    "counted as sent", what);
	*id_r = g_strdup(id != NULL ? id : "?");
	json_node_unref(answer);
	return ret;
}

/* The window is closed: the template goes in the text's place and the
   agent learns their words did not; without a template, nothing
   goes. */
static void send_template(struct whatsapp *wa, const struct outbox_message *m,
			  const char *closed, struct send_outcome *out)
{
	char *json, *id = NULL, *why = NULL, *notice, *key;

	if (!has_template(wa)) {
		out->result = SEND_FAILED;
		out->why = g_strdup_printf("%s, and no template is configured "
					   "to reopen it", closed);
		return;
	}
	json = template_request(wa, m->chat);
	switch (send_message(wa, "template", json, &id, &why)) {
	case CALL_OK:
		out->result = SEND_OK;
		out->finished = true;
		out->message_id = g_strconcat("template:", id, NULL);
		receipts_record(wa->receipts, id, m);
		log_info("whatsapp: ticket=%u chat=%s: %s: template %s sent in "
			 "place of the text, message_id=%s", m->ticket,
			 m->chat, closed, wa->ch->template_name, id);
		notice = g_strdup_printf("%s; the template \"%s\" was sent "
					 "in its place, asking them to write "
					 "again: answer once they do", closed,
					 wa->ch->template_name);
		key = g_strdup_printf("window.whatsapp.%s", id);
		g_strcanon(key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRST"
			   "UVWXYZ0123456789.-_", '_');
		receipts_notice(wa->receipts, key, m, notice);
		g_free(key);
		g_free(notice);
		break;
	case CALL_RETRY:
		out->result = SEND_RETRY;
		out->why = g_steal_pointer(&why);
		break;
	case CALL_FAILED:
	case CALL_WINDOW:
		out->result = SEND_FAILED;
		out->why = g_strdup_printf("%s, and the template failed: %s",
					   closed, why);
		break;
	}
	g_free(why);
	g_free(id);
	g_free(json);
}

static void wa_send(void *impl, const struct outbox_message *m,
		    unsigned int part, struct send_outcome *out)
{
	struct whatsapp *wa = impl;
	GPtrArray *pieces = msgtext_split(m->text, TEXT_LIMIT);
	char *json = NULL, *why = NULL, *id = NULL, *closed = NULL;
	const char *what;
	enum call_result ret;

	memset(out, 0, sizeof(*out));
	if (m->sent->len == 0 && part == 0 &&
	    window_closed(wa, m->chat, &closed)) {
		send_template(wa, m, closed, out);
		g_free(closed);
		g_ptr_array_unref(pieces);
		return;
	}
	if (part < pieces->len) {
		json = text_request(m->chat, pieces->pdata[part]);
		what = "text";
		ret = CALL_OK;
	} else {
		const struct outbox_attachment *a =
			m->attachments->pdata[part - pieces->len];
		char *media_id = NULL;

		what = is_image(a) ? "image" : "document";
		ret = upload(wa, a, &media_id, &why);
		if (ret == CALL_OK)
			json = media_request(m->chat, a, media_id);
		g_free(media_id);
	}
	g_ptr_array_unref(pieces);
	if (ret == CALL_OK)
		ret = send_message(wa, what, json, &id, &why);
	g_free(json);
	switch (ret) {
	case CALL_OK:
		out->result = SEND_OK;
		out->message_id = g_steal_pointer(&id);
		receipts_record(wa->receipts, out->message_id, m);
		break;
	case CALL_RETRY:
		out->result = SEND_RETRY;
		out->why = g_steal_pointer(&why);
		break;
	case CALL_FAILED:
		out->result = SEND_FAILED;
		out->why = g_steal_pointer(&why);
		break;
	case CALL_WINDOW:
		/* we did not know: Meta does */
		closed = g_strdup_printf("the customer's 24-hour WhatsApp "
					 "window is closed (%s)", why);
		if (m->sent->len == 0 && part == 0) {
			send_template(wa, m, closed, out);
		} else {
			out->result = SEND_FAILED;
			out->why = g_steal_pointer(&closed);
		}
		g_free(closed);
		break;
	}
	g_free(id);
	g_free(why);
}

static int64_t wa_wait(void *impl, const char *chat)
{
	struct whatsapp *wa = impl;

	return MAX(wa->last_any + ALL_GAP - g_get_monotonic_time(), 0);
}

/* --- inbound ---------------------------------------------------------- */

enum fetch_result { FETCH_OK, FETCH_RETRY, FETCH_SKIP };

/* GET /{media-id} for the URL, then the file, both with the token. */
static enum fetch_result fetch(struct whatsapp *wa, const char *media_id,
			       GBytes **bytes_r, char **type_r, char **why_r)
{
	char *url = g_strconcat(wa->base, media_id, NULL), *error = NULL;
	JsonNode *answer = NULL;
	JsonObject *o;
	struct http_response r;
	enum call_result ret;
	const char *file_url, *type;
	int64_t size;
	int got;

	ret = call(wa, wa->hook_http, "media", url, NULL, NULL, 60, &answer,
		   why_r);
	g_free(url);
	if (ret == CALL_RETRY)
		return FETCH_RETRY;
	if (ret != CALL_OK)
		return FETCH_SKIP;
	o = json_node_get_object(answer);
	file_url = jsonget_string(o, "url");
	type = jsonget_string(o, "mime_type");
	size = jsonget_int(o, "file_size", -1);
	if (file_url == NULL || (!g_str_has_prefix(file_url, "https://") &&
				 !g_str_has_prefix(file_url, "http://"))) {
		*why_r = g_strdup("media: no url in the answer");
		json_node_unref(answer);
		return FETCH_SKIP;
	}
	if (size > (int64_t)wa->ch->attachment_max) {
		*why_r = g_strdup_printf("%" G_GINT64_FORMAT " bytes, over the "
					 "%zu allowed", size,
					 wa->ch->attachment_max);
		json_node_unref(answer);
		return FETCH_SKIP;
	}
	*type_r = g_strdup(type);
	if ((got = http_request_with(wa->hook_http, file_url,
				     (const char *const *)wa->headers, NULL,
				     NULL, 300, wa->ch->attachment_max, &r,
				     &error)) < 0) {
		*why_r = g_strdup_printf("download: %s", error);
		g_free(error);
		json_node_unref(answer);
		return got == HTTP_TOO_BIG ? FETCH_SKIP : FETCH_RETRY;
	}
	json_node_unref(answer);
	if (r.status != 200) {
		*why_r = g_strdup_printf("download: HTTP %ld", r.status);
		ret = classify_status(r.status);
		http_response_clear(&r);
		return ret == CALL_FAILED ? FETCH_SKIP : FETCH_RETRY;
	}
	*bytes_r = g_byte_array_free_to_bytes(g_steal_pointer(&r.body));
	http_response_clear(&r);
	return FETCH_OK;
}

/* A message that will never become mail is kept for the admin. */
static void keep_dead(struct whatsapp *wa, JsonObject *msg, const char *id,
		      const char *why)
{
	JsonNode *node = json_node_init_object(json_node_alloc(), msg);
	char *text = json_to_string(node, TRUE);
	char *name = g_strdup_printf("%" G_GINT64_FORMAT ".json",
				     g_get_real_time());
	char *error = NULL;

	if (state_write(wa->dead_dir, name, text, strlen(text), &error) < 0) {
		log_error("whatsapp: message %s: %s, and cannot keep it: %s",
			  id, why, error);
		g_free(error);
	} else {
		log_error("whatsapp: message %s: status=dead (%s), kept as "
			  "%s/%s", id, why, wa->dead_dir, name);
	}
	json_node_unref(node);
	g_free(name);
	g_free(text);
}

/* The Message-ID of a customer's message: the wamid when it is a valid
   dot-atom, else its digest. */
static char *message_id(struct whatsapp *wa, const char *wamid)
{
	char *id, *digest;

	if (strlen(wamid) < 200 && *wamid != '.' &&
	    !g_str_has_suffix(wamid, ".") && strstr(wamid, "..") == NULL &&
	    strspn(wamid, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		   "0123456789.-_=+/") == strlen(wamid))
		return g_strdup_printf("wa.%s@%s", wamid, wa->ch->domain);
	digest = g_compute_checksum_for_string(G_CHECKSUM_SHA256, wamid, -1);
	id = g_strdup_printf("wa.%s@%s", digest, wa->ch->domain);
	g_free(digest);
	return id;
}

/* What a message holds in words, and the media id of its file, if any
   (both point into msg). */
static void read_message(JsonObject *msg, const char *type, GString *body,
			 const char **media_r, const char **filename_r)
{
	static const char *const media_kinds[] = {
		"image", "document", "audio", "video", "sticker",
	};
	JsonObject *o;

	*media_r = NULL;
	*filename_r = NULL;
	if (strcmp(type, "text") == 0) {
		g_string_append(body, jsonget_string(jsonget_object(msg, "text"),
						     "body") ?: "");
		return;
	}
	for (unsigned int i = 0; i < G_N_ELEMENTS(media_kinds); i++) {
		if (strcmp(type, media_kinds[i]) != 0)
			continue;
		o = jsonget_object(msg, type);
		g_string_append(body, jsonget_string(o, "caption") ?: "");
		*media_r = jsonget_string(o, "id");
		*filename_r = jsonget_string(o, "filename");
		return;
	}
	if ((o = jsonget_object(msg, "location")) != NULL) {
		JsonNode *lat = json_object_get_member(o, "latitude");
		JsonNode *lon = json_object_get_member(o, "longitude");

		if (lat != NULL && lon != NULL && JSON_NODE_HOLDS_VALUE(lat) &&
		    JSON_NODE_HOLDS_VALUE(lon)) {
			g_string_append_printf(body, "[location: %.6f, %.6f]",
					       json_node_get_double(lat),
					       json_node_get_double(lon));
			return;
		}
	}
	if ((o = jsonget_object(msg, "button")) != NULL) {
		g_string_append(body, jsonget_string(o, "text") ?: "");
		return;
	}
	if ((o = jsonget_object(msg, "interactive")) != NULL) {
		JsonObject *reply = jsonget_object(o, "button_reply");

		if (reply == NULL)
			reply = jsonget_object(o, "list_reply");
		g_string_append(body, jsonget_string(reply, "title") ?: "");
		return;
	}
	if ((o = jsonget_object(msg, "reaction")) != NULL) {
		g_string_append_printf(body, "[reaction %s]",
				       jsonget_string(o, "emoji") ?: "");
		return;
	}
	g_string_append_printf(body, "[a WhatsApp %s message]", type);
}

enum handled { HANDLED, HANDLE_RETRY };

static enum handled handle_message(struct whatsapp *wa, JsonObject *msg,
				   const char *profile_name)
{
	const char *from = jsonget_string(msg, "from");
	const char *id = jsonget_string(msg, "id");
	const char *type = jsonget_string(msg, "type") ?: "unknown";
	int64_t when = jsonget_int(msg, "timestamp", 0);
	int64_t now = g_get_real_time() / G_USEC_PER_SEC;
	GString *body = g_string_new(NULL);
	GPtrArray *files = g_ptr_array_new_with_free_func(inmail_file_free);
	const char *media_id, *filename;
	char *local, *address = NULL, *name, *subject, *mid, *why = NULL;
	char *fallback, *error = NULL;
	struct inmail in = { 0 };
	enum handled ret = HANDLED;

	if (from == NULL || id == NULL ||
	    (local = channel_chat_encode("whatsapp", from)) == NULL) {
		keep_dead(wa, msg, id != NULL ? id : "(no id)",
			  "message without a valid from or id");
		goto out;
	}
	g_free(local);
	if (state_seen(wa->seen_dir, id)) {
		log_info("whatsapp: message %s: chat=%s handled before, "
			 "skipped", id, from);
		goto out;
	}
	/* the window counts from the message, but never from the future */
	note_inbound(wa, from, when > 0 && when <= now ? when : now);
	read_message(msg, type, body, &media_id, &filename);
	if (media_id != NULL) {
		GBytes *bytes = NULL;
		char *ctype = NULL;

		switch (fetch(wa, media_id, &bytes, &ctype, &why)) {
		case FETCH_OK:
			g_ptr_array_add(files, inmail_file_new(
				filename != NULL ? filename : type, ctype,
				bytes));
			if (filename == NULL) {
				/* "image.jpg" reads better than "image" */
				struct inmail_file *f = files->pdata[0];
				char *ext = g_strdup(strchr(f->content_type,
							    '/') ?: "/bin");

				g_strcanon(ext, "abcdefghijklmnopqrstuvwxyz"
					   "0123456789", '_');
				g_free(f->filename);
				f->filename = g_strdup_printf("%s-%.12s.%s",
					type, id + strlen(id) -
					MIN(strlen(id), 12), ext + 1);
				g_free(ext);
			}
			break;
		case FETCH_RETRY:
			log_warning("whatsapp: message %s: chat=%s %s not "
				    "fetched (%s); will try again", id, from,
				    type, why);
			g_free(ctype);
			ret = HANDLE_RETRY;
			goto out;
		case FETCH_SKIP:
			g_string_append_printf(body, "%s[a %s the bridge could "
					       "not fetch: %s]",
					       body->len > 0 ? "\n\n" : "",
					       type, why);
			log_warning("whatsapp: message %s: chat=%s %s not "
				    "fetched: %s", id, from, type, why);
			break;
		}
		g_free(ctype);
	}
	address = g_strdup_printf("wa.%s@%s", from, wa->ch->domain);
	name = g_strdup_printf("%s (WhatsApp)", profile_name != NULL &&
			       *profile_name != '\0' ? profile_name :
			       "WhatsApp user");
	/* a name goes into a header: no line breaks in it */
	g_strdelimit(name, "\r\n\t", ' ');
	fallback = g_strdup_printf("WhatsApp %s", strcmp(type, "text") == 0 ?
				   "message" : type);
	subject = inmail_subject(body->str, fallback);
	mid = message_id(wa, id);
	in.name = name;
	in.address = address;
	in.queue = wa->queue;
	in.subject = subject;
	in.date = when > 0 && when <= now ? when : now;
	in.message_id = mid;
	in.text = body->str;
	in.files = files;
	switch (inmail_send(wa->config, &in, &error)) {
	case MAIL_SENT:
		log_info("whatsapp: message %s: chat=%s message_id=<%s> "
			 "from=<%s> to=<%s>%s status=sent via sendmail", id,
			 from, mid, address, wa->queue->address,
			 files->len > 0 ? " attachment=yes" : "");
		if (state_see(wa->seen_dir, id, &why) < 0) {
			log_error("whatsapp: message %s: cannot remember it "
				  "as handled: %s", id, why);
		}
		break;
	case MAIL_RETRY:
		log_warning("whatsapp: message %s: chat=%s status=deferred "
			    "(%s)", id, from, error);
		ret = HANDLE_RETRY;
		break;
	case MAIL_FAILED:
		keep_dead(wa, msg, id, error);
		break;
	}
	g_free(error);
	g_free(mid);
	g_free(subject);
	g_free(fallback);
	g_free(name);
out:
	g_free(why);
	g_free(address);
	g_ptr_array_unref(files);
	g_string_free(body, TRUE);
	return ret;
}

static enum handled handle_status(struct whatsapp *wa, JsonObject *st)
{
	const char *id = jsonget_string(st, "id");
	const char *status = jsonget_string(st, "status");
	JsonObject *error = jsonget_element(jsonget_array(st, "errors"), 0);
	char *why = NULL;
	int ret;

	if (id == NULL || status == NULL)
		return HANDLED;
	if (strcmp(status, "sent") == 0) {
		/* the bridge recorded it when Meta took it */
		log_info("whatsapp: status sent for %s", id);
		return HANDLED;
	}
	if (strcmp(status, "delivered") != 0 && strcmp(status, "read") != 0 &&
	    strcmp(status, "failed") != 0) {
		log_info("whatsapp: status %s for %s: not recorded", status,
			 id);
		return HANDLED;
	}
	if (error != NULL) {
		const char *details = jsonget_string(
			jsonget_object(error, "error_data"), "details");

		why = g_strdup_printf("error %" G_GINT64_FORMAT ": %s%s%s",
				      jsonget_int(error, "code", 0),
				      jsonget_string(error, "title") ?:
				      jsonget_string(error, "message") ?:
				      "(no title)", details != NULL ? ": " : "",
				      details != NULL ? details : "");
	}
	ret = receipts_status(wa->receipts, id, status, why);
	g_free(why);
	return ret < 0 ? HANDLE_RETRY : HANDLED;
}

static enum handled handle_value(struct whatsapp *wa, JsonObject *value)
{
	JsonArray *contacts = jsonget_array(value, "contacts");
	JsonArray *messages = jsonget_array(value, "messages");
	JsonArray *statuses = jsonget_array(value, "statuses");
	enum handled ret = HANDLED;

	for (guint i = 0; messages != NULL &&
	     i < json_array_get_length(messages); i++) {
		JsonObject *msg = jsonget_element(messages, i);
		const char *from = jsonget_string(msg, "from");
		const char *profile = NULL;

		for (guint j = 0; contacts != NULL &&
		     j < json_array_get_length(contacts); j++) {
			JsonObject *c = jsonget_element(contacts, j);

			if (g_strcmp0(jsonget_string(c, "wa_id"), from) == 0)
				profile = jsonget_string(jsonget_object(
					c, "profile"), "name");
		}
		if (msg != NULL && handle_message(wa, msg, profile) ==
		    HANDLE_RETRY)
			ret = HANDLE_RETRY;
	}
	for (guint i = 0; statuses != NULL &&
	     i < json_array_get_length(statuses); i++) {
		JsonObject *st = jsonget_element(statuses, i);

		if (st != NULL && handle_status(wa, st) == HANDLE_RETRY)
			ret = HANDLE_RETRY;
	}
	return ret;
}

static unsigned int verify(struct whatsapp *wa,
			   const struct webhook_request *req, char **answer_r,
			   const char **type_r)
{
	const char *mode = webhook_arg(req, "hub.mode");
	const char *token = webhook_arg(req, "hub.verify_token");
	const char *challenge = webhook_arg(req, "hub.challenge");
	char *client = webhook_client(req);
	/* compared as digests, in time independent of where they differ */
	char *want = signature_hmac_hex(wa->verify_token, wa->verify_token,
					strlen(wa->verify_token));
	unsigned int status;

	if (g_strcmp0(mode, "subscribe") == 0 && token != NULL &&
	    challenge != NULL &&
	    signature_check_viber(wa->verify_token, token, strlen(token),
				  want)) {
		log_info("whatsapp: webhook: verified by %s", client);
		*answer_r = g_strdup(challenge);
		*type_r = "text/plain";
		status = 200;
	} else {
		log_warning("whatsapp: webhook: GET %s from %s: verification "
			    "refused (403)", webhook_path(req), client);
		status = 403;
	}
	g_free(want);
	g_free(client);
	return status;
}

static unsigned int hook_handle(void *context,
				const struct webhook_request *req,
				char **answer_r, const char **type_r)
{
	struct whatsapp *wa = context;
	const char *method = webhook_method(req);
	const char *given;
	const uint8_t *data;
	size_t size;
	char *client, *error = NULL;
	JsonNode *root;
	JsonArray *entries;
	enum handled ret = HANDLED;

	if (strcmp(method, "GET") == 0)
		return verify(wa, req, answer_r, type_r);
	if (strcmp(method, "POST") != 0)
		return 405;
	data = webhook_body(req, &size);
	given = webhook_header(req, "X-Hub-Signature-256");
	if (!signature_check_hub(wa->app_secret, data, size, given)) {
		client = webhook_client(req);
		log_warning("whatsapp: webhook: POST %s from %s %s: refused "
			    "(401), nothing taken", webhook_path(req), client,
			    given == NULL ? "without X-Hub-Signature-256" :
			    "with a wrong X-Hub-Signature-256");
		g_free(client);
		return 401;
	}
	root = jsonget_parse(data, size, &error);
	if (root == NULL) {
		/* Meta is told 200, or it would post the same again */
		log_error("whatsapp: webhook: a signed post that is %s: "
			  "ignored", error);
		g_free(error);
		return 200;
	}
	entries = jsonget_array(json_node_get_object(root), "entry");
	for (guint i = 0; entries != NULL && i < json_array_get_length(entries);
	     i++) {
		JsonArray *changes = jsonget_array(
			jsonget_element(entries, i), "changes");

		for (guint j = 0; changes != NULL &&
		     j < json_array_get_length(changes); j++) {
			JsonObject *change = jsonget_element(changes, j);
			JsonObject *value = jsonget_object(change, "value");

			if (value != NULL && g_strcmp0(jsonget_string(
				    change, "field"), "messages") == 0 &&
			    handle_value(wa, value) == HANDLE_RETRY)
				ret = HANDLE_RETRY;
		}
	}
	json_node_unref(root);
	/* Meta posts it again: what was handled is skipped then */
	return ret == HANDLE_RETRY ? 500 : 200;
}

static int wa_start(void *impl, char **error_r)
{
	struct whatsapp *wa = impl;

	g_atomic_int_set(&wa->stop, 0);
	state_sweep(wa->seen_dir, SEEN_DAYS * 24 * 3600);
	if (*wa->ch->webhook_listen == '\0') {
		log_warning("whatsapp: no webhook_listen: customers' messages "
			    "are not received, replies are only sent");
		return 0;
	}
	wa->hook_http = http_new(&wa->stop);
	wa->hook = webhook_start(wa->ch->webhook_listen, "whatsapp", POST_MAX,
				 hook_handle, wa, error_r);
	if (wa->hook == NULL) {
		http_free(&wa->hook_http);
		return -1;
	}
	log_info("whatsapp: receiving by webhook on %s",
		 wa->ch->webhook_listen);
	return 0;
}

static void wa_stop(void *impl)
{
	struct whatsapp *wa = impl;

	g_atomic_int_set(&wa->stop, 1);
	webhook_stop(&wa->hook);
	http_free(&wa->hook_http);
}

static void wa_free(void *impl)
{
	struct whatsapp *wa = impl;

	wa_stop(wa);
	http_free(&wa->out);
	receipts_close(&wa->receipts);
	g_free(wa->messages_url);
	g_free(wa->media_url);
	g_free(wa->base);
	state_clear_secret(&wa->headers[0]);
	state_clear_secret(&wa->app_secret);
	state_clear_secret(&wa->verify_token);
	g_free(wa->window_dir);
	g_free(wa->seen_dir);
	g_free(wa->dead_dir);
	g_free(wa);
}

/* --- set-up ------------------------------------------------------------ */

struct messenger *whatsapp_new(const struct config *config,
			       const struct config_channel *ch,
			       char **error_r)
{
	static const char token_chars[] = "abcdefghijklmnopqrstuvwxyz"
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~+/=";
	static const char printable[] = "abcdefghijklmnopqrstuvwxyz"
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~+/=!#$%&*?@^:";
	struct whatsapp *wa = g_new0(struct whatsapp, 1);
	struct messenger *m;
	const char *slash = g_str_has_suffix(ch->api_url, "/") ? "" : "/";
	char *token;
	const char *dirs[3];

	wa->config = config;
	wa->ch = ch;
	wa->queue = config_queue_by_name(config, ch->queue);
	token = state_read_secret("whatsapp", "token_file", ch->token_file,
				  token_chars, error_r);
	if (token == NULL)
		goto fail;
	wa->headers[0] = g_strconcat("Authorization: Bearer ", token, NULL);
	state_clear_secret(&token);
	if (*ch->webhook_listen != '\0' &&
	    ((wa->app_secret = state_read_secret(
		      "whatsapp", "app_secret_file", ch->app_secret_file,
		      printable, error_r)) == NULL ||
	     (wa->verify_token = state_read_secret(
		      "whatsapp", "verify_token_file", ch->verify_token_file,
		      printable, error_r)) == NULL))
		goto fail;
	wa->base = g_strconcat(ch->api_url, slash, NULL);
	wa->messages_url = g_strconcat(wa->base, ch->phone_number_id,
				       "/messages", NULL);
	wa->media_url = g_strconcat(wa->base, ch->phone_number_id, "/media",
				    NULL);
	wa->window_dir = g_build_filename(config->spool_dir, "whatsapp",
					  "window", NULL);
	wa->seen_dir = g_build_filename(config->spool_dir, "whatsapp", "seen",
					NULL);
	wa->dead_dir = g_build_filename(config->spool_dir, "whatsapp", "dead",
					NULL);
	dirs[0] = wa->window_dir;
	dirs[1] = wa->seen_dir;
	dirs[2] = wa->dead_dir;
	for (unsigned int i = 0; i < G_N_ELEMENTS(dirs); i++) {
		if (g_mkdir_with_parents(dirs[i], 0770) < 0) {
			*error_r = g_strdup_printf("mkdir %s: %s", dirs[i],
						   g_strerror(errno));
			goto fail;
		}
	}
	wa->receipts = receipts_open(config, "whatsapp", error_r);
	if (wa->receipts == NULL)
		goto fail;
	wa->out = http_new(NULL);
	m = g_new0(struct messenger, 1);
	m->name = ch->name;
	m->impl = wa;
	m->parts = wa_parts;
	m->send = wa_send;
	m->wait = wa_wait;
	m->start = wa_start;
	m->stop = wa_stop;
	m->free = wa_free;
	return m;
fail:
	wa_free(wa);
	return NULL;
}
