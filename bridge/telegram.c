/* telegram.c: the Telegram Bot API channel (telegram.h).  Requests and
   answers are JSON through json-glib, files go up as multipart forms
   built by libcurl; nothing here parses JSON, HTTP or MIME by hand.
   What every channel does alike (the meaning of an answer, the pace,
   the webhook, media downloads, dead letters) is the channel layer's,
   provider.c and inbound.c; this file is the Bot API's own.

   Outbound runs in the worker's thread, one part per call, and returns
   what happened; deciding to defer, bury or record is main.c's.
   Inbound runs in the layer's thread with its own libcurl handle: a
   long poll may take poll_timeout, and the outbox must not wait for it.

   The token is in every URL, so URLs never reach a log line. */

#include "telegram.h"
#include "inbound.h"
#include "jsonget.h"
#include "log.h"
#include "msgtext.h"
#include "provider.h"
#include "state.h"

#include <json-glib/json-glib.h>
#include <microhttpd.h>
#include <string.h>

#define TEXT_LIMIT 4096		/* characters per sendMessage */
#define PHOTO_MAX (10 * 1024 * 1024)	/* sendPhoto's limit */
#define DOWNLOAD_MAX (20 * 1024 * 1024)	/* getFile's limit */
#define ANSWER_MAX (1024 * 1024)	/* any API answer but a file */
#define SEND_TIMEOUT 120L	/* seconds: an upload of 50 MB */
/* An update that failed this many times in a row is set aside */
#define UPDATE_TRIES 10
#define BACKOFF_MAX 60		/* seconds between failed polls */

/* 401 and 404 (a wrong token, a wrong api_url) and 409 (a webhook is
   set) are the admin's to fix; any other 4xx (chat not found, bot
   blocked by the user, message too long) never succeeds.  Error codes
   are HTTP statuses.  At most one message a second per chat and 30 a
   second in all; a 429 names its own pause. */
static const long admin_statuses[] = { 401, 404, 409, 0 };

static const struct provider_rules rules = {
	.name = "telegram",
	.chat_gap = G_USEC_PER_SEC,
	.all_gap = G_USEC_PER_SEC / 30,
	.admin_statuses = admin_statuses,
	.code_default = PROVIDER_DEAD,
};

struct telegram {
	const struct config_channel *ch;
	char *base;		/* api_url/bot<token>/ */
	char *file_base;	/* api_url/file/bot<token>/ */
	struct provider *provider;
	struct inbound *in;
	char *secret;		/* NULL: long polling */
};

/* --- the API ---------------------------------------------------------- */

/* Calls method with a JSON body or a form.  PROVIDER_OK gives the
   answer's "result" in *result_r (json_node_unref it), or NULL when the
   Bot API said "ok" without one (the request did happen: the caller
   decides).  Otherwise *why_r (g_free it) and, for 429,
   *retry_after_r. */
static enum provider_result call(struct telegram *tg, struct http *http,
				 const char *method, const char *json,
				 curl_mime *mime, long timeout,
				 JsonNode **result_r, int64_t *retry_after_r,
				 char **why_r)
{
	char *url = g_strconcat(tg->base, method, NULL);
	struct http_response r;
	JsonNode *root, *ok;
	JsonObject *o;
	enum provider_result ret;
	int64_t code;
	int got;

	*result_r = NULL;
	*retry_after_r = 0;
	got = provider_request(tg->provider, http, method, url, json, mime,
			       timeout, ANSWER_MAX, &r, &root, why_r);
	g_free(url);
	if (got < 0)
		return PROVIDER_RETRY;
	o = root != NULL ? json_node_get_object(root) : NULL;
	ok = o != NULL ? json_object_get_member(o, "ok") : NULL;
	if (ok == NULL || json_node_get_value_type(ok) != G_TYPE_BOOLEAN) {
		/* not the Bot API's answer: a proxy's error page, or
		   garbage.  Even a 200 is tried again: whoever answered,
		   nothing says Telegram took the message, and a message
		   sent twice is better than one lost. */
		*why_r = g_strdup_printf("%s: HTTP %ld with an answer that is "
					 "not the Bot API's (%u bytes)", method,
					 r.status, r.body->len);
		ret = provider_http_result(tg->provider, r.status);
	} else if (json_node_get_boolean(ok)) {
		JsonNode *result = json_object_get_member(o, "result");

		if (result != NULL)
			*result_r = json_node_copy(result);
		else
			*why_r = g_strdup_printf("%s: \"ok\" without "
						 "\"result\"", method);
		ret = PROVIDER_OK;
	} else {
		const char *desc = jsonget_string(o, "description");

		code = jsonget_int(o, "error_code", r.status);
		*why_r = g_strdup_printf("%s: error %" G_GINT64_FORMAT ": %s",
					 method, code, desc != NULL ? desc :
					 "(no description)");
		ret = provider_http_result(tg->provider, code);
		if (code == 429)
			*retry_after_r = MAX(1, jsonget_int(
				jsonget_object(o, "parameters"), "retry_after",
				1));
	}
	if (root != NULL)
		json_node_unref(root);
	http_response_clear(&r);
	return ret;
}

/* --- outbound --------------------------------------------------------- */

static unsigned int tg_parts(void *impl, const struct outbox_message *m)
{
	GPtrArray *pieces = msgtext_split(m->text, TEXT_LIMIT);
	unsigned int n = pieces->len + m->attachments->len;

	g_ptr_array_unref(pieces);
	return n;
}

/* Telegram's chat ids are numbers; the JSON carries them so. */
static void add_chat(JsonBuilder *b, const char *chat)
{
	json_builder_set_member_name(b, "chat_id");
	json_builder_add_int_value(b, g_ascii_strtoll(chat, NULL, 10));
}

static bool is_photo(const struct outbox_attachment *a)
{
	return g_bytes_get_size(a->data) <= PHOTO_MAX &&
		(g_ascii_strcasecmp(a->content_type, "image/jpeg") == 0 ||
		 g_ascii_strcasecmp(a->content_type, "image/png") == 0 ||
		 g_ascii_strcasecmp(a->content_type, "image/webp") == 0);
}

static void tg_send(void *impl, const struct outbox_message *m,
		    unsigned int part, struct send_outcome *out)
{
	struct telegram *tg = impl;
	GPtrArray *pieces = msgtext_split(m->text, TEXT_LIMIT);
	JsonNode *result = NULL;
	char *json = NULL, *why = NULL, *id = NULL;
	curl_mime *mime = NULL;
	const char *method;
	enum provider_result ret;
	int64_t retry_after, message_id;

	if (part < pieces->len) {
		JsonBuilder *b = json_builder_new();

		json_builder_begin_object(b);
		add_chat(b, m->chat);
		json_builder_set_member_name(b, "text");
		json_builder_add_string_value(b, pieces->pdata[part]);
		json_builder_end_object(b);
		json = jsonget_built(&b);
		method = "sendMessage";
	} else {
		const struct outbox_attachment *a =
			m->attachments->pdata[part - pieces->len];
		curl_mimepart *field;
		gsize size;
		const void *bytes = g_bytes_get_data(a->data, &size);
		bool photo = is_photo(a);

		mime = curl_mime_init(provider_http(tg->provider)->curl);
		field = curl_mime_addpart(mime);
		curl_mime_name(field, "chat_id");
		curl_mime_data(field, m->chat, CURL_ZERO_TERMINATED);
		field = curl_mime_addpart(mime);
		curl_mime_name(field, photo ? "photo" : "document");
		curl_mime_data(field, bytes, size);
		curl_mime_filename(field, *a->filename != '\0' ? a->filename :
				   "file");
		curl_mime_type(field, a->content_type);
		method = photo ? "sendPhoto" : "sendDocument";
	}
	g_ptr_array_unref(pieces);
	/* whatever the answer, a call is made: the pace counts it from its
	   start */
	provider_calling(tg->provider, m->chat);
	ret = call(tg, provider_http(tg->provider), method, json, mime,
		   SEND_TIMEOUT, &result, &retry_after, &why);
	if (mime != NULL)
		curl_mime_free(mime);
	g_free(json);
	if (ret == PROVIDER_OK) {
		message_id = jsonget_int(result != NULL &&
					 JSON_NODE_HOLDS_OBJECT(result) ?
					 json_node_get_object(result) : NULL,
					 "message_id", -1);
		/* sent, but without an id the layer counts it as "?" */
		if (message_id >= 0)
			id = g_strdup_printf("%" G_GINT64_FORMAT, message_id);
	}
	/* Telegram's limits are the bot's: a 429 holds every chat */
	provider_outcome(tg->provider, m, ret, id, why, retry_after, out);
	if (result != NULL)
		json_node_unref(result);
}

/* --- inbound ---------------------------------------------------------- */

static int64_t read_offset(struct telegram *tg)
{
	char *path = g_build_filename(inbound_dir(tg->in), "offset", NULL);
	char *text = NULL;
	int64_t offset = 0;

	if (g_file_get_contents(path, &text, NULL, NULL))
		offset = g_ascii_strtoll(text, NULL, 10);
	g_free(text);
	g_free(path);
	return offset;
}

static int save_offset(struct telegram *tg, int64_t offset)
{
	char *text = g_strdup_printf("%" G_GINT64_FORMAT "\n", offset);
	char *error = NULL;
	int ret = state_write(inbound_dir(tg->in), "offset", text,
			     strlen(text), &error);

	if (ret < 0) {
		log_error("telegram: cannot keep the offset: %s", error);
		g_free(error);
	}
	g_free(text);
	return ret;
}

/* An update as the channel layer names and keeps it. */
struct update {
	struct inbound_item item;
	char *label;		/* "update 1000" */
	char *chat;
	char *dead_name;	/* "1000.json" */
	char *data;		/* the update's JSON */
};

static void update_init(struct update *u, JsonNode *node, int64_t update_id)
{
	memset(u, 0, sizeof(*u));
	u->label = g_strdup_printf("update %" G_GINT64_FORMAT, update_id);
	u->dead_name = update_id >= 0 ?
		g_strdup_printf("%" G_GINT64_FORMAT ".json", update_id) :
		g_strdup_printf("unknown.%" G_GINT64_FORMAT ".json",
				g_get_real_time());
	u->data = json_to_string(node, TRUE);
	u->item.label = u->label;
	u->item.dead_name = u->dead_name;
	u->item.data = u->data;
	u->item.size = strlen(u->data);
}

static void update_clear(struct update *u)
{
	g_free(u->label);
	g_free(u->chat);
	g_free(u->dead_name);
	g_free(u->data);
}

/* An update that will never become mail is kept for the admin. */
static void keep_dead(struct telegram *tg, JsonNode *node,
		      int64_t update_id, const char *why)
{
	struct update u;

	update_init(&u, node, update_id);
	inbound_keep_dead(tg->in, &u.item, why);
	update_clear(&u);
}
struct media {
	const char *file_id;
	const char *filename;	/* may be NULL */
	const char *mime_type;	/* may be NULL */
	int64_t file_size;	/* -1 when not given */
	const char *what;	/* "photo", "voice"... */
};

/* The one file a message carries, if any: the largest photo size, or
   the document, voice, audio, video or video note. */
static bool find_media(JsonObject *msg, struct media *m)
{
	static const char *const kinds[] = {
		"document", "voice", "audio", "video", "video_note",
		"animation",
	};
	JsonArray *photo = jsonget_array(msg, "photo");

	memset(m, 0, sizeof(*m));
	m->file_size = -1;
	if (photo != NULL && json_array_get_length(photo) > 0) {
		JsonNode *last = json_array_get_element(
			photo, json_array_get_length(photo) - 1);
		JsonObject *size = JSON_NODE_HOLDS_OBJECT(last) ?
			json_node_get_object(last) : NULL;

		m->file_id = jsonget_string(size, "file_id");
		m->file_size = jsonget_int(size, "file_size", -1);
		m->mime_type = "image/jpeg";
		m->what = "photo";
		return m->file_id != NULL;
	}
	for (unsigned int i = 0; i < G_N_ELEMENTS(kinds); i++) {
		JsonObject *o = jsonget_object(msg, kinds[i]);

		if (o == NULL)
			continue;
		m->file_id = jsonget_string(o, "file_id");
		m->filename = jsonget_string(o, "file_name");
		m->mime_type = jsonget_string(o, "mime_type");
		m->file_size = jsonget_int(o, "file_size", -1);
		m->what = kinds[i];
		return m->file_id != NULL;
	}
	return false;
}

char *telegram_other_content(JsonObject *msg)
{
	static const char *const kinds[] = {
		"sticker", "location", "contact", "poll", "venue", "dice",
		"game",
	};
	JsonObject *o;

	if ((o = jsonget_object(msg, "location")) != NULL) {
		JsonNode *lat = json_object_get_member(o, "latitude");
		JsonNode *lon = json_object_get_member(o, "longitude");

		if (lat != NULL && lon != NULL &&
		    JSON_NODE_HOLDS_VALUE(lat) && JSON_NODE_HOLDS_VALUE(lon))
			return g_strdup_printf("[location: %.6f, %.6f]",
					       json_node_get_double(lat),
					       json_node_get_double(lon));
	}
	if ((o = jsonget_object(msg, "contact")) != NULL)
		return g_strdup_printf("[contact: %s %s]",
				       jsonget_string(o, "first_name") ?: "",
				       jsonget_string(o, "phone_number") ?: "");
	if ((o = jsonget_object(msg, "sticker")) != NULL)
		return g_strdup_printf("[sticker %s]",
				       jsonget_string(o, "emoji") ?: "");
	for (unsigned int i = 0; i < G_N_ELEMENTS(kinds); i++) {
		if (json_object_has_member(msg, kinds[i]))
			return g_strdup_printf("[%s]", kinds[i]);
	}
	return NULL;
}

/* getFile and the download.  INBOUND_FETCH_SKIP (with *why_r) when the
   file can never be had (too large, gone): the mail says so instead. */
static enum inbound_fetch fetch(struct telegram *tg, const struct media *media,
				GBytes **bytes_r, char **why_r)
{
	size_t max = MIN(tg->ch->attachment_max, DOWNLOAD_MAX);
	JsonBuilder *b;
	JsonNode *result = NULL;
	char *json, *url, *type = NULL;
	const char *path;
	int64_t retry_after;
	enum provider_result ret;
	enum inbound_fetch got;

	if (inbound_too_big(media->file_size, max, why_r))
		return INBOUND_FETCH_SKIP;
	b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "file_id");
	json_builder_add_string_value(b, media->file_id);
	json_builder_end_object(b);
	json = jsonget_built(&b);
	ret = call(tg, inbound_http(tg->in), "getFile", json, NULL, 60,
		   &result, &retry_after, why_r);
	g_free(json);
	if (ret == PROVIDER_DEAD)
		return INBOUND_FETCH_SKIP;
	if (ret != PROVIDER_OK)
		return INBOUND_FETCH_RETRY;
	path = result != NULL && JSON_NODE_HOLDS_OBJECT(result) ?
		jsonget_string(json_node_get_object(result), "file_path") :
		NULL;
	g_free(*why_r);
	*why_r = NULL;
	if (path == NULL) {
		*why_r = g_strdup("getFile: no file_path in the answer");
		if (result != NULL)
			json_node_unref(result);
		return INBOUND_FETCH_SKIP;
	}
	url = g_strconcat(tg->file_base, path, NULL);
	json_node_unref(result);
	got = inbound_download(tg->in, tg->provider, url, NULL, max, bytes_r,
			       &type, why_r);
	memset(url, 0, strlen(url));	/* it holds the token */
	g_free(url);
	g_free(type);
	return got;
}

char *telegram_display_name(JsonObject *msg)
{
	JsonObject *from = jsonget_object(msg, "from");
	const char *first = jsonget_string(from, "first_name");
	const char *last = jsonget_string(from, "last_name");

	if (first != NULL && last != NULL)
		return g_strdup_printf("%s %s", first, last);
	return g_strdup(first ?: jsonget_string(jsonget_object(msg, "chat"),
						"title") ?:
			jsonget_string(from, "username"));
}

static char *message_id(struct telegram *tg, int64_t chat, int64_t id,
			int64_t edit_date)
{
	if (edit_date > 0)
		return g_strdup_printf("tg.%" G_GINT64_FORMAT ".%"
				       G_GINT64_FORMAT ".edit%" G_GINT64_FORMAT
				       "@%s", chat, id, edit_date,
				       tg->ch->domain);
	return g_strdup_printf("tg.%" G_GINT64_FORMAT ".%" G_GINT64_FORMAT
			       "@%s", chat, id, tg->ch->domain);
}

/* The name of the file a message carries. */
static char *media_filename(const struct media *media, int64_t id)
{
	if (media->filename != NULL)
		return g_strdup(media->filename);
	return g_strdup_printf("%s-%" G_GINT64_FORMAT "%s", media->what, id,
			       strcmp(media->what, "photo") == 0 ? ".jpg" :
			       strcmp(media->what, "voice") == 0 ? ".ogg" :
			       "");
}

/* One update: a mail to the queue, or nothing (not a message), or a
   dead letter.  INBOUND_RETRY when the network or sendmail failed for
   now: the offset must stay. */
static enum inbound_result handle_update(struct telegram *tg, JsonNode *node,
					 int64_t update_id)
{
	JsonObject *update = json_node_get_object(node);
	JsonObject *msg = jsonget_object(update, "message");
	bool edited = msg == NULL;
	int64_t chat_id, id, date, edit_date, reply_id;
	struct media media;
	struct update u;
	GBytes *file = NULL;
	GString *body;
	char *name, *from, *mid, *why = NULL, *other, *reply = NULL;
	const char *words;
	struct inbound_message message = { .edited = edited };
	enum inbound_result ret = INBOUND_DONE;

	if (msg == NULL)
		msg = jsonget_object(update, "edited_message");
	if (msg == NULL) {
		log_info("telegram: update %" G_GINT64_FORMAT ": no message "
			 "in it, skipped", update_id);
		return INBOUND_DONE;
	}
	chat_id = jsonget_int(jsonget_object(msg, "chat"), "id", G_MININT64);
	id = jsonget_int(msg, "message_id", -1);
	date = jsonget_int(msg, "date", 0);
	edit_date = edited ? jsonget_int(msg, "edit_date", date) : 0;
	if (chat_id == G_MININT64 || id < 0) {
		keep_dead(tg, node, update_id, "message without chat.id or "
			  "message_id");
		return INBOUND_DONE;
	}
	update_init(&u, node, update_id);
	u.chat = g_strdup_printf("%" G_GINT64_FORMAT, chat_id);
	u.item.chat = u.chat;

	body = g_string_new(NULL);
	words = jsonget_string(msg, "text");
	if (words == NULL || *words == '\0')
		words = jsonget_string(msg, "caption");
	if (edited)
		g_string_append(body, "(The customer edited an earlier "
				"message; its text is now:)\n\n");
	if (words != NULL)
		g_string_append(body, words);
	if (find_media(msg, &media)) {
		enum inbound_fetch got = fetch(tg, &media, &file, &why);

		if (got != INBOUND_FETCH_OK &&
		    !inbound_media_missing(tg->in, &u.item, got, media.what,
					   why, body)) {
			g_free(why);
			g_string_free(body, TRUE);
			update_clear(&u);
			return INBOUND_RETRY;
		}
		g_free(why);
	} else if ((other = telegram_other_content(msg)) != NULL) {
		g_string_append_printf(body, "%s%s", body->len > 0 ? "\n\n" :
				       "", other);
		g_free(other);
	}

	name = telegram_display_name(msg);
	from = g_strdup_printf("tg.%" G_GINT64_FORMAT "@%s", chat_id,
			       tg->ch->domain);
	mid = message_id(tg, chat_id, id, edit_date);

	message.sender = name;
	message.address = from;
	message.language = jsonget_string(jsonget_object(msg, "from"),
					  "language_code");
	message.kind = media.what;
	message.subject_text = words != NULL ? words : "";
	/* a message without a date is dated when it arrives (0) */
	message.date = edited ? edit_date : date;
	message.message_id = mid;
	reply_id = edited ? id : jsonget_int(jsonget_object(
		msg, "reply_to_message"), "message_id", -1);
	if (reply_id >= 0)
		message.in_reply_to = reply = message_id(tg, chat_id,
							 reply_id, 0);
	message.text = body->str;
	if (file != NULL) {
		char *filename = media_filename(&media, id);

		message.files = g_ptr_array_new_with_free_func(
			inmail_file_free);
		g_ptr_array_add(message.files, inmail_file_new(
			filename, media.mime_type, g_steal_pointer(&file)));
		g_free(filename);
	}
	ret = inbound_deliver(tg->in, &u.item, &message);
	if (message.files != NULL)
		g_ptr_array_unref(message.files);
	g_free(reply);
	g_free(mid);
	g_free(from);
	g_free(name);
	g_string_free(body, TRUE);
	update_clear(&u);
	return ret;
}

static char *updates_request(struct telegram *tg, int64_t offset)
{
	JsonBuilder *b = json_builder_new();

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "offset");
	json_builder_add_int_value(b, offset);
	json_builder_set_member_name(b, "timeout");
	json_builder_add_int_value(b, tg->ch->poll_timeout);
	/* few enough that an answer stays within ANSWER_MAX (Telegram's
	   default of 100 long messages may not) */
	json_builder_set_member_name(b, "limit");
	json_builder_add_int_value(b, 10);
	json_builder_set_member_name(b, "allowed_updates");
	json_builder_begin_array(b);
	json_builder_add_string_value(b, "message");
	json_builder_add_string_value(b, "edited_message");
	json_builder_end_array(b);
	json_builder_end_object(b);
	return jsonget_built(&b);
}

static gpointer poll_thread(gpointer data)
{
	struct telegram *tg = data;
	int64_t offset = read_offset(tg);
	unsigned int backoff = 1;
	/* the update that keeps failing, and how often it did */
	int64_t stuck_id = -1;
	unsigned int stuck_tries = 0;

	log_info("telegram: receiving by long polling from offset %"
		 G_GINT64_FORMAT, offset);
	while (!inbound_stopping(tg->in)) {
		char *json = updates_request(tg, offset), *why = NULL;
		JsonNode *result = NULL;
		int64_t retry_after;
		enum provider_result ret;
		bool failed = false;

		ret = call(tg, inbound_http(tg->in), "getUpdates", json, NULL,
			   tg->ch->poll_timeout + 15, &result, &retry_after,
			   &why);
		g_free(json);
		if (inbound_stopping(tg->in)) {
			g_free(why);
			if (result != NULL)
				json_node_unref(result);
			break;
		}
		if (ret != PROVIDER_OK || result == NULL ||
		    !JSON_NODE_HOLDS_ARRAY(result)) {
			log_warning("telegram: %s; next poll in %u s",
				    why != NULL ? why :
				    "getUpdates: \"result\" is not a list",
				    MAX(backoff, (unsigned int)retry_after));
			inbound_pause(tg->in, MAX(backoff,
						  (unsigned int)retry_after));
			backoff = MIN(backoff * 2, BACKOFF_MAX);
			g_free(why);
			if (result != NULL)
				json_node_unref(result);
			continue;
		}
		g_free(why);
		for (guint i = 0; i < json_array_get_length(
			     json_node_get_array(result)) && !failed; i++) {
			JsonNode *u = json_array_get_element(
				json_node_get_array(result), i);
			int64_t update_id = JSON_NODE_HOLDS_OBJECT(u) ?
				jsonget_int(json_node_get_object(u),
					    "update_id", -1) : -1;

			if (update_id < 0) {
				/* nothing to advance past: keep it, and let
				   the ones with ids move the offset */
				keep_dead(tg, u, -1, "update without "
					  "update_id");
				continue;
			}
			if (update_id < offset)
				continue;	/* handled before */
			if (handle_update(tg, u, update_id) == INBOUND_RETRY) {
				if (update_id != stuck_id) {
					stuck_id = update_id;
					stuck_tries = 0;
				}
				if (++stuck_tries < UPDATE_TRIES) {
					failed = true;
					break;
				}
				/* the chat's later messages must not wait on
				   it for ever (a file sendmail refuses...) */
				keep_dead(tg, u, update_id, "failed every "
					  "time it was tried");
			}
			offset = update_id + 1;
			if (save_offset(tg, offset) < 0)
				failed = true;
		}
		json_node_unref(result);
		if (failed) {
			inbound_pause(tg->in, backoff);
			backoff = MIN(backoff * 2, BACKOFF_MAX);
		} else {
			backoff = 1;
		}
	}
	return NULL;
}

/* --- webhook ----------------------------------------------------------- */

/* Compares in time independent of where they differ. */
static bool same_secret(const char *given, const char *secret)
{
	size_t a = strlen(given), b = strlen(secret);
	unsigned char diff = a != b;

	for (size_t i = 0; i < b; i++)
		diff |= (unsigned char)given[a > 0 ? i % a : 0] ^
			(unsigned char)secret[i];
	return diff == 0;
}

/* An update Telegram posted: 200 once its mail is with sendmail (or it
   can never become mail), 500 for Telegram to post it again. */
static unsigned int hook_update(struct telegram *tg, const uint8_t *body,
				size_t size)
{
	char *error = NULL, *name;
	JsonNode *root = jsonget_parse(body, size, &error);
	struct update u;
	int64_t update_id;
	unsigned int status = MHD_HTTP_OK;

	if (root == NULL) {
		/* kept as it came; Telegram is told 200, or it would send
		   the same garbage again and again */
		struct inbound_item garbage = {
			.label = "webhook",
			.data = body,
			.size = size,
		};

		name = g_strdup_printf("webhook.%" G_GINT64_FORMAT,
				       g_get_real_time());
		garbage.dead_name = name;
		inbound_keep_dead(tg->in, &garbage, error);
		g_free(name);
		g_free(error);
		return MHD_HTTP_OK;
	}
	update_id = jsonget_int(json_node_get_object(root), "update_id", -1);
	update_init(&u, root, update_id);
	if (update_id < 0) {
		inbound_keep_dead(tg->in, &u.item, "update without update_id");
	} else if (inbound_seen(tg->in, &u.item)) {
		/* handled before */
	} else if (handle_update(tg, root, update_id) == INBOUND_RETRY) {
		/* Telegram posts it again later, maybe after later updates
		   went through: no high-water mark here, an update is never
		   skipped; one handled twice is a known Message-ID to the
		   milter */
		status = MHD_HTTP_INTERNAL_SERVER_ERROR;
	} else {
		inbound_see(tg->in, &u.item);
	}
	update_clear(&u);
	json_node_unref(root);
	return status;
}

static unsigned int hook_handle(void *context,
				const struct webhook_request *request,
				char **answer_r, const char **type_r)
{
	struct telegram *tg = context;
	const char *given = webhook_header(request,
					   "X-Telegram-Bot-Api-Secret-Token");
	const uint8_t *body;
	unsigned int status;
	size_t size;

	*type_r = "application/json";
	if (given == NULL || !same_secret(given, tg->secret)) {
		*answer_r = g_strdup("{\"ok\":false,"
				     "\"description\":\"Unauthorized\"}");
		return inbound_refuse(tg->in, request, given == NULL ?
				      "without the secret token" :
				      "with a wrong secret token");
	}
	if (strcmp(webhook_method(request), "POST") != 0) {
		*answer_r = g_strdup("{\"ok\":false}");
		return MHD_HTTP_METHOD_NOT_ALLOWED;
	}
	body = webhook_body(request, &size);
	status = hook_update(tg, body, size);
	*answer_r = g_strdup(status == MHD_HTTP_OK ? "{\"ok\":true}" :
			     "{\"ok\":false}");
	return status;
}

static const struct inbound_rules inbound_rules = {
	.name = "telegram",
	.title = "Telegram",
	.body_max = ANSWER_MAX,
	.handler = hook_handle,
	.poll = poll_thread,
};

/* --- set-up ------------------------------------------------------------ */

static void tg_free(void *impl)
{
	struct telegram *tg = impl;

	/* the URLs hold the token */
	state_clear_secret(&tg->base);
	state_clear_secret(&tg->file_base);
	state_clear_secret(&tg->secret);
	g_free(tg);
}

static const struct messenger_ops ops = {
	.provider = &rules,
	.inbound = &inbound_rules,
	.parts = tg_parts,
	.send = tg_send,
	.free = tg_free,
};

struct messenger *telegram_new(const struct config *config,
			       const struct config_channel *ch,
			       char **error_r)
{
	struct telegram *tg;
	/* "123456:ABC-def"; the secret: A-Z a-z 0-9 _ - */
	static const char alnum[] = "abcdefghijklmnopqrstuvwxyz"
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_";
	char *token = state_read_secret("telegram", "token_file",
					ch->token_file, ":0123456789"
					"abcdefghijklmnopqrstuvwxyz"
					"ABCDEFGHIJKLMNOPQRSTUVWXYZ-_",
					error_r);
	char *secret = NULL;
	const char *slash;

	if (token == NULL)
		return NULL;
	if (*ch->webhook_listen != '\0' &&
	    (secret = state_read_secret("telegram", "webhook_secret_file",
					ch->webhook_secret_file, alnum,
					error_r)) == NULL) {
		state_clear_secret(&token);
		return NULL;
	}
	tg = g_new0(struct telegram, 1);
	tg->ch = ch;
	tg->secret = secret;
	slash = g_str_has_suffix(ch->api_url, "/") ? "" : "/";
	tg->base = g_strdup_printf("%s%sbot%s/", ch->api_url, slash, token);
	tg->file_base = g_strdup_printf("%s%sfile/bot%s/", ch->api_url, slash,
					token);
	state_clear_secret(&token);
	return messenger_new(config, ch, tg, &ops, NULL, &tg->provider,
			     &tg->in, error_r);
}
