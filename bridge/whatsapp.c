/* whatsapp.c: the WhatsApp Cloud API channel (whatsapp.h).  Requests
   and answers are JSON through json-glib, uploads are multipart forms
   built by libcurl, webhook signatures are checked by signature.c with
   GHmac; nothing here parses JSON, HTTP or MIME by hand.  What every
   channel does alike is the channel layer's (provider.c, inbound.c);
   this file is the Graph API's own, and the 24-hour window.

   Outbound runs in the worker's thread, one part per call; inbound in
   the webhook's thread with its own libcurl handle for media.  The
   token is in a header, never in a URL or a log line. */

#include "whatsapp.h"
#include "channel.h"
#include "inbound.h"
#include "jsonget.h"
#include "log.h"
#include "msgtext.h"
#include "provider.h"
#include "receipt.h"
#include "signature.h"
#include "state.h"

#include <errno.h>
#include <string.h>

#define TEXT_LIMIT 4096		/* characters of a text message */
#define IMAGE_MAX (5 * 1024 * 1024)	/* an image's limit */
#define ANSWER_MAX (1024 * 1024)	/* any API answer but a file */
#define POST_MAX (1024 * 1024)		/* a webhook post */
#define SEND_TIMEOUT 120L
#define WINDOW (24 * 3600)	/* the customer-service window */
#define WINDOW_CLOSED_CODE 131047

/* The Graph API's error codes that say "later": the number's limits
   (130429: throughput, 80007: the account's rate) hold every chat for
   a while; any other code never succeeds. */
static const struct provider_code codes[] = {
	{ 1, PROVIDER_RETRY }, { 2, PROVIDER_RETRY }, { 4, PROVIDER_RETRY },
	{ 190, PROVIDER_RETRY }, { 80007, PROVIDER_RATE },
	{ 130429, PROVIDER_RATE }, { 131000, PROVIDER_RETRY },
	{ 131016, PROVIDER_RETRY }, { 131048, PROVIDER_RETRY },
	{ 131056, PROVIDER_RETRY },
};

/* 401 (a token to renew) and 404 are the admin's to fix. */
static const long admin_statuses[] = { 401, 404, 0 };

static const struct provider_rules rules = {
	.name = "whatsapp",
	.all_gap = G_USEC_PER_SEC / 50,	/* well within 80 a second */
	.rate_pause = 5 * G_USEC_PER_SEC,
	.admin_statuses = admin_statuses,
	.codes = codes,
	.n_codes = G_N_ELEMENTS(codes),
	.code_default = PROVIDER_DEAD,
};

struct whatsapp {
	const struct config_channel *ch;
	char *messages_url;	/* api_url/{phone_number_id}/messages */
	char *media_url;	/* api_url/{phone_number_id}/media */
	char *base;		/* api_url/ */
	char *app_secret;
	char *verify_token;
	struct provider *provider;
	struct inbound *in;
	struct receipts *receipts;
	char *window_dir;
};

/* --- the API ---------------------------------------------------------- */

/* One Graph API request.  PROVIDER_OK gives the answer's object in
   *answer_r (json_node_unref it); otherwise *why_r (g_free it) and the
   Graph API's error code in *code_r (0 when none). */
static enum provider_result call(struct whatsapp *wa, struct http *http,
				 const char *what, const char *url,
				 const char *json, curl_mime *mime,
				 long timeout, JsonNode **answer_r,
				 int64_t *code_r, char **why_r)
{
	struct http_response r;
	JsonNode *root;
	JsonObject *error;
	enum provider_result ret;

	*answer_r = NULL;
	*code_r = 0;
	if (provider_request(wa->provider, http, what, url, json, mime,
			     timeout, ANSWER_MAX, &r, &root, why_r) < 0)
		return PROVIDER_RETRY;
	error = root != NULL ? jsonget_object(json_node_get_object(root),
					      "error") : NULL;
	if (root == NULL) {
		/* not the Graph API's answer: even a 200 is tried again,
		   for nothing says Meta took the message */
		*why_r = g_strdup_printf("%s: HTTP %ld with an answer that is "
					 "not the Graph API's (%u bytes)", what,
					 r.status, r.body->len);
		ret = provider_http_result(wa->provider, r.status);
	} else if (error != NULL) {
		const char *message = jsonget_string(error, "message");
		const char *details = jsonget_string(
			jsonget_object(error, "error_data"), "details");

		*code_r = jsonget_int(error, "code", r.status);
		*why_r = g_strdup_printf("%s: error %" G_GINT64_FORMAT
					 ": %s%s%s", what, *code_r,
					 message != NULL ? message :
					 "(no message)",
					 details != NULL ? ": " : "",
					 details != NULL ? details : "");
		ret = provider_code_result(wa->provider, r.status, *code_r);
	} else if (r.status >= 300) {
		*why_r = g_strdup_printf("%s: HTTP %ld", what, r.status);
		ret = provider_http_result(wa->provider, r.status);
	} else {
		*answer_r = json_node_ref(root);
		ret = PROVIDER_OK;
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
	json_builder_end_object(b);
	json_builder_end_object(b);
	return jsonget_built(&b);
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

/* Uploads a file; PROVIDER_OK with its media id in *id_r (g_free
   it). */
static enum provider_result upload(struct whatsapp *wa,
				   const struct outbox_attachment *a,
				   char **id_r, int64_t *code_r, char **why_r)
{
	struct http *http = provider_http(wa->provider);
	curl_mime *mime = curl_mime_init(http->curl);
	curl_mimepart *field;
	gsize size;
	const void *bytes = g_bytes_get_data(a->data, &size);
	JsonNode *answer = NULL;
	enum provider_result ret;
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
	ret = call(wa, http, "media upload", wa->media_url, NULL, mime,
		   SEND_TIMEOUT, &answer, code_r, why_r);
	curl_mime_free(mime);
	if (ret != PROVIDER_OK)
		return ret;
	id = jsonget_string(json_node_get_object(answer), "id");
	if (id == NULL) {
		*why_r = g_strdup("media upload: no id in the answer");
		ret = PROVIDER_RETRY;
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

/* Sends json to /messages; PROVIDER_OK with the wamid in *id_r, or
   NULL and *why_r when the answer does not say it. */
static enum provider_result send_message(struct whatsapp *wa,
					 const struct outbox_message *m,
					 const char *what, const char *json,
					 char **id_r, int64_t *code_r,
					 char **why_r)
{
	JsonNode *answer = NULL;
	enum provider_result ret;
	const char *id;

	provider_calling(wa->provider, m->chat);
	ret = call(wa, provider_http(wa->provider), what, wa->messages_url,
		   json, NULL, SEND_TIMEOUT, &answer, code_r, why_r);
	if (ret != PROVIDER_OK)
		return ret;
	id = jsonget_string(jsonget_element(jsonget_array(
		json_node_get_object(answer), "messages"), 0), "id");
	if (id != NULL) {
		*id_r = g_strdup(id);
		receipts_record(wa->receipts, id, m);
	} else {
		*why_r = g_strdup_printf("%s: no messages[0].id in the "
					 "answer", what);
	}
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
	enum provider_result ret;
	int64_t code;

	if (!has_template(wa)) {
		provider_outcome(wa->provider, m, PROVIDER_DEAD, NULL,
				 g_strdup_printf("%s, and no template is "
						 "configured to reopen it",
						 closed), 0, out);
		return;
	}
	json = template_request(wa, m->chat);
	ret = send_message(wa, m, "template", json, &id, &code, &why);
	g_free(json);
	if (ret == PROVIDER_DEAD) {
		char *failed = g_strdup_printf("%s, and the template failed: "
					       "%s", closed, why);

		g_free(why);
		why = failed;
	}
	provider_outcome(wa->provider, m, ret, g_steal_pointer(&id), why, 0,
			 out);
	if (ret != PROVIDER_OK)
		goto out;
	out->finished = true;
	id = g_steal_pointer(&out->message_id);
	out->message_id = g_strconcat("template:", id, NULL);
	log_info("whatsapp: ticket=%u chat=%s: %s: template %s sent in place "
		 "of the text, message_id=%s", m->ticket, m->chat, closed,
		 wa->ch->template_name, id);
	notice = g_strdup_printf("%s; the template \"%s\" was sent in its "
				 "place, asking them to write again: answer "
				 "once they do", closed, wa->ch->template_name);
	key = g_strdup_printf("window.whatsapp.%s", id);
	g_strcanon(key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		   "0123456789.-_", '_');
	receipts_notice(wa->receipts, key, m, notice);
	g_free(key);
	g_free(notice);
out:
	g_free(id);
}

static void wa_send(void *impl, const struct outbox_message *m,
		    unsigned int part, struct send_outcome *out)
{
	struct whatsapp *wa = impl;
	GPtrArray *pieces = msgtext_split(m->text, TEXT_LIMIT);
	char *json = NULL, *why = NULL, *id = NULL, *closed = NULL;
	const char *what;
	enum provider_result ret;
	int64_t code = 0;

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
		ret = PROVIDER_OK;
	} else {
		const struct outbox_attachment *a =
			m->attachments->pdata[part - pieces->len];
		char *media_id = NULL;

		what = is_image(a) ? "image" : "document";
		ret = upload(wa, a, &media_id, &code, &why);
		if (ret == PROVIDER_OK)
			json = media_request(m->chat, a, media_id);
		g_free(media_id);
	}
	g_ptr_array_unref(pieces);
	if (ret == PROVIDER_OK)
		ret = send_message(wa, m, what, json, &id, &code, &why);
	g_free(json);
	if (ret == PROVIDER_DEAD && code == WINDOW_CLOSED_CODE) {
		/* we did not know: Meta does */
		closed = g_strdup_printf("the customer's 24-hour WhatsApp "
					 "window is closed (%s)", why);
		g_free(why);
		if (m->sent->len == 0 && part == 0) {
			send_template(wa, m, closed, out);
			g_free(closed);
			return;
		}
		why = closed;
	}
	provider_outcome(wa->provider, m, ret, id, why, 0, out);
}

/* --- inbound ---------------------------------------------------------- */

/* GET /{media-id} for the URL, then the file, both with the token. */
static enum inbound_fetch fetch(struct whatsapp *wa, const char *media_id,
				GBytes **bytes_r, char **type_r, char **why_r)
{
	char *url = g_strconcat(wa->base, media_id, NULL);
	JsonNode *answer = NULL;
	JsonObject *o;
	enum provider_result ret;
	enum inbound_fetch got;
	const char *file_url;
	char *type = NULL;
	int64_t code;

	ret = call(wa, inbound_http(wa->in), "media", url, NULL, NULL, 60,
		   &answer, &code, why_r);
	g_free(url);
	if (ret == PROVIDER_DEAD)
		return INBOUND_FETCH_SKIP;
	if (ret != PROVIDER_OK)
		return INBOUND_FETCH_RETRY;
	o = json_node_get_object(answer);
	file_url = jsonget_string(o, "url");
	if (file_url == NULL) {
		*why_r = g_strdup("media: no url in the answer");
		got = INBOUND_FETCH_SKIP;
	} else if (inbound_too_big(jsonget_int(o, "file_size", -1),
				   wa->ch->attachment_max, why_r)) {
		got = INBOUND_FETCH_SKIP;
	} else {
		got = inbound_download(wa->in, wa->provider, file_url,
				       provider_headers(wa->provider),
				       wa->ch->attachment_max, bytes_r, &type,
				       why_r);
		/* Meta's type, not its CDN's */
		*type_r = g_strdup(jsonget_string(o, "mime_type"));
		g_free(type);
	}
	json_node_unref(answer);
	return got;
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

void whatsapp_read_message(JsonObject *msg, const char *type, GString *body,
			   const char **media_r, const char **filename_r)
{
	static const char *const media_kinds[] = {
		"image", "document", "audio", "video", "sticker",
	};
	JsonObject *o;

	*media_r = NULL;
	*filename_r = NULL;
	if (strcmp(type, "text") == 0) {
		g_string_append(body, jsonget_string(
			jsonget_object(msg, "text"), "body") ?: "");
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

/* "image.jpg" reads better than "image": a file without a name is
   named by its type, the end of its message's id and its subtype. */
static char *media_filename(const char *type, const char *id,
			    const char *content_type)
{
	char *ext = g_strdup(strchr(content_type, '/') ?: "/bin");
	char *name;

	g_strcanon(ext, "abcdefghijklmnopqrstuvwxyz0123456789", '_');
	name = g_strdup_printf("%s-%.12s.%s", type,
			       id + strlen(id) - MIN(strlen(id), 12), ext + 1);
	g_free(ext);
	return name;
}

static enum inbound_result handle_message(struct whatsapp *wa,
					  JsonObject *msg,
					  const char *profile_name)
{
	const char *from = jsonget_string(msg, "from");
	const char *id = jsonget_string(msg, "id");
	const char *type = jsonget_string(msg, "type") ?: "unknown";
	int64_t when = inbound_date(jsonget_int(msg, "timestamp", 0));
	JsonNode *node = json_node_init_object(json_node_alloc(), msg);
	char *data = json_to_string(node, TRUE);
	char *label = g_strdup_printf("message %s", id ?: "(no id)");
	struct inbound_item item = {
		.label = label,
		.chat = from,
		.seen_id = id,
		.data = data,
		.size = strlen(data),
	};
	GString *body = g_string_new(NULL);
	GPtrArray *files = g_ptr_array_new_with_free_func(inmail_file_free);
	const char *media_id, *filename;
	char *address = NULL, *mid = NULL, *why = NULL;
	struct inbound_message message = {
		.sender = profile_name != NULL && *profile_name != '\0' ?
			profile_name : NULL,
		.kind = type,
		.date = when,
		.files = files,
	};
	enum inbound_result ret = INBOUND_DONE;

	if (from == NULL || id == NULL ||
	    (address = channel_address(wa->ch, from)) == NULL) {
		item.chat = NULL;
		inbound_keep_dead(wa->in, &item, "message without a valid "
				  "from or id");
		goto out;
	}
	if (inbound_seen(wa->in, &item))
		goto out;
	/* the window counts from the message, but never from the future */
	note_inbound(wa, from, when);
	whatsapp_read_message(msg, type, body, &media_id, &filename);
	if (media_id != NULL) {
		GBytes *bytes = NULL;
		char *ctype = NULL;
		enum inbound_fetch got = fetch(wa, media_id, &bytes, &ctype,
					       &why);

		if (got == INBOUND_FETCH_OK) {
			struct inmail_file *f = inmail_file_new(
				filename, ctype, bytes);

			if (filename == NULL)
				f->filename = media_filename(type, id,
							     f->content_type);
			g_ptr_array_add(files, f);
		} else if (!inbound_media_missing(wa->in, &item, got, type,
						  why, body)) {
			ret = INBOUND_RETRY;
		}
		g_free(ctype);
		if (ret == INBOUND_RETRY)
			goto out;
	}
	mid = message_id(wa, id);
	message.address = address;
	message.message_id = mid;
	message.text = body->str;
	ret = inbound_deliver(wa->in, &item, &message);
out:
	g_free(mid);
	g_free(why);
	g_free(address);
	g_ptr_array_unref(files);
	g_string_free(body, TRUE);
	g_free(label);
	g_free(data);
	json_node_unref(node);
	return ret;
}

static enum inbound_result handle_status(struct whatsapp *wa, JsonObject *st)
{
	const char *id = jsonget_string(st, "id");
	const char *status = jsonget_string(st, "status");
	JsonObject *error = jsonget_element(jsonget_array(st, "errors"), 0);
	char *why = NULL;
	int ret;

	if (id == NULL || status == NULL)
		return INBOUND_DONE;
	if (strcmp(status, "sent") == 0) {
		/* the bridge recorded it when Meta took it */
		log_info("whatsapp: status sent for %s", id);
		return INBOUND_DONE;
	}
	if (strcmp(status, "delivered") != 0 && strcmp(status, "read") != 0 &&
	    strcmp(status, "failed") != 0) {
		log_info("whatsapp: status %s for %s: not recorded", status,
			 id);
		return INBOUND_DONE;
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
	return ret < 0 ? INBOUND_RETRY : INBOUND_DONE;
}

static enum inbound_result handle_value(struct whatsapp *wa, JsonObject *value)
{
	JsonArray *contacts = jsonget_array(value, "contacts");
	JsonArray *messages = jsonget_array(value, "messages");
	JsonArray *statuses = jsonget_array(value, "statuses");
	enum inbound_result ret = INBOUND_DONE;

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
		    INBOUND_RETRY)
			ret = INBOUND_RETRY;
	}
	for (guint i = 0; statuses != NULL &&
	     i < json_array_get_length(statuses); i++) {
		JsonObject *st = jsonget_element(statuses, i);

		if (st != NULL && handle_status(wa, st) == INBOUND_RETRY)
			ret = INBOUND_RETRY;
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
	char *error = NULL;
	JsonNode *root;
	JsonArray *entries;
	enum inbound_result ret = INBOUND_DONE;

	if (strcmp(method, "GET") == 0)
		return verify(wa, req, answer_r, type_r);
	if (strcmp(method, "POST") != 0)
		return 405;
	data = webhook_body(req, &size);
	given = webhook_header(req, "X-Hub-Signature-256");
	if (!signature_check_hub(wa->app_secret, data, size, given))
		return inbound_refuse(wa->in, req, given == NULL ?
				      "without X-Hub-Signature-256" :
				      "with a wrong X-Hub-Signature-256");
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
			    handle_value(wa, value) == INBOUND_RETRY)
				ret = INBOUND_RETRY;
		}
	}
	json_node_unref(root);
	/* Meta posts it again: what was handled is skipped then */
	return ret == INBOUND_RETRY ? 500 : 200;
}

static const struct inbound_rules inbound_rules = {
	.name = "whatsapp",
	.title = "WhatsApp",
	.body_max = POST_MAX,
	.handler = hook_handle,
};

/* --- set-up ------------------------------------------------------------ */

static void wa_free(void *impl)
{
	struct whatsapp *wa = impl;

	receipts_close(&wa->receipts);
	g_free(wa->messages_url);
	g_free(wa->media_url);
	g_free(wa->base);
	state_clear_secret(&wa->app_secret);
	state_clear_secret(&wa->verify_token);
	g_free(wa->window_dir);
	g_free(wa);
}

static const struct messenger_ops ops = {
	.provider = &rules,
	.inbound = &inbound_rules,
	.parts = wa_parts,
	.send = wa_send,
	.free = wa_free,
};

struct messenger *whatsapp_new(const struct config *config,
			       const struct config_channel *ch,
			       char **error_r)
{
	static const char token_chars[] = "abcdefghijklmnopqrstuvwxyz"
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~+/=";
	static const char printable[] = "abcdefghijklmnopqrstuvwxyz"
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~+/=!#$%&*?@^:";
	struct whatsapp *wa = g_new0(struct whatsapp, 1);
	const char *slash = g_str_has_suffix(ch->api_url, "/") ? "" : "/";
	char *token, *headers[2] = { NULL, NULL };
	struct messenger *m;

	wa->ch = ch;
	token = state_read_secret("whatsapp", "token_file", ch->token_file,
				  token_chars, error_r);
	if (token == NULL)
		goto fail;
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
	if (g_mkdir_with_parents(wa->window_dir, 0770) < 0) {
		*error_r = g_strdup_printf("mkdir %s: %s", wa->window_dir,
					   g_strerror(errno));
		goto fail;
	}
	wa->receipts = receipts_open(config, "whatsapp", error_r);
	if (wa->receipts == NULL)
		goto fail;
	headers[0] = g_strconcat("Authorization: Bearer ", token, NULL);
	state_clear_secret(&token);
	m = messenger_new(config, ch, wa, &ops, (const char *const *)headers,
			  &wa->provider, &wa->in, error_r);
	state_clear_secret(&headers[0]);
	return m;
fail:
	state_clear_secret(&token);
	wa_free(wa);
	return NULL;
}
