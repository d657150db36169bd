/* telegram.c: the Telegram Bot API channel (telegram.h).  Requests and
   answers are JSON through json-glib, files go up as multipart forms
   built by libcurl; nothing here parses JSON, HTTP or MIME by hand.

   Outbound runs in the worker's thread, one part per call, and returns
   what happened; deciding to defer, bury or record is main.c's.
   Inbound runs in a thread of its own with its own libcurl handle: a
   long poll may take poll_timeout, and the outbox must not wait for it.

   The token is in every URL, so URLs never reach a log line. */

#include "telegram.h"
#include "jsonget.h"
#include "state.h"
#include "webhook.h"
#include "http.h"
#include "inmail.h"
#include "log.h"
#include "mail.h"
#include "msgtext.h"

#include <gio/gio.h>
#include <gmime/gmime.h>
#include <json-glib/json-glib.h>
#include <microhttpd.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TEXT_LIMIT 4096		/* characters per sendMessage */
#define PHOTO_MAX (10 * 1024 * 1024)	/* sendPhoto's limit */
#define DOWNLOAD_MAX (20 * 1024 * 1024)	/* getFile's limit */
#define ANSWER_MAX (1024 * 1024)	/* any API answer but a file */
#define SEND_TIMEOUT 120L	/* seconds: an upload of 50 MB */
#define HOOK_SEEN_MAX 10000
/* An update that failed this many times in a row is set aside */
#define UPDATE_TRIES 10
#define CHAT_GAP G_USEC_PER_SEC	/* one message a second per chat */
#define ALL_GAP (G_USEC_PER_SEC / 30)	/* 30 a second in all */
#define BACKOFF_MAX 60		/* seconds between failed polls */
#define SUBJECT_CHARS 60

struct telegram {
	const struct config *config;
	const struct config_channel *ch;
	const struct config_queue *queue;
	char *base;		/* api_url/bot<token>/ */
	char *file_base;	/* api_url/file/bot<token>/ */
	struct http *out;	/* the worker's */
	GHashTable *last_sent;	/* chat -> int64_t *, microseconds */
	int64_t last_any;

	char *state_dir;	/* spool_dir/telegram */
	char *offset_path;
	char *dead_dir;
	GThread *thread;
	gint stop;

	/* webhook */
	char *secret;		/* NULL: long polling */
	struct webhook *hook;
	struct http *hook_http;	/* MHD's one thread's */
	/* the update_ids handled lately, HOOK_SEEN_MAX of them, so that an
	   update Telegram posts again is no second mail (its retries come
	   in any order: a high-water mark would skip a late one) */
	GHashTable *hook_seen;
	GQueue hook_seen_order;
};

enum call_result { CALL_OK, CALL_RETRY, CALL_FAILED };

/* --- the API ---------------------------------------------------------- */

static int64_t int_member(JsonObject *o, const char *name, int64_t def)
{
	JsonNode *node = o != NULL ? json_object_get_member(o, name) : NULL;

	if (node == NULL || json_node_get_value_type(node) != G_TYPE_INT64)
		return def;
	return json_node_get_int(node);
}

static const char *string_member(JsonObject *o, const char *name)
{
	JsonNode *node = o != NULL ? json_object_get_member(o, name) : NULL;

	if (node == NULL || json_node_get_value_type(node) != G_TYPE_STRING)
		return NULL;
	return json_node_get_string(node);
}

static JsonObject *object_member(JsonObject *o, const char *name)
{
	JsonNode *node = o != NULL ? json_object_get_member(o, name) : NULL;

	return node != NULL && JSON_NODE_HOLDS_OBJECT(node) ?
		json_node_get_object(node) : NULL;
}

static JsonArray *array_member(JsonObject *o, const char *name)
{
	JsonNode *node = o != NULL ? json_object_get_member(o, name) : NULL;

	return node != NULL && JSON_NODE_HOLDS_ARRAY(node) ?
		json_node_get_array(node) : NULL;
}

/* What an error code means for the request: 429 and 5xx pass; 401 and
   404 (a wrong token, a wrong api_url) and 409 (a webhook is set) are
   the admin's to fix, so nothing is given up meanwhile; any other 4xx
   (chat not found, bot blocked by the user, message too long) never
   succeeds. */
static enum call_result classify(long code)
{
	if (code == 429 || code >= 500 || code == 401 || code == 404 ||
	    code == 409 || code < 400)
		return CALL_RETRY;
	return CALL_FAILED;
}

/* Calls method with a JSON body or a form.  CALL_OK gives the answer's
   "result" in *result_r (json_node_unref it), or NULL when the Bot API
   said "ok" without one (the request did happen: the caller decides).
   Otherwise *why_r (g_free it) and, for 429, *retry_after_r. */
static enum call_result call(struct telegram *tg, struct http *http,
			     const char *method, const char *json,
			     curl_mime *mime, long timeout,
			     JsonNode **result_r, int64_t *retry_after_r,
			     char **why_r)
{
	char *url = g_strconcat(tg->base, method, NULL);
	struct http_response r;
	JsonParser *parser = NULL;
	JsonObject *o = NULL;
	JsonNode *root, *ok;
	GError *error = NULL;
	char *failure = NULL;
	enum call_result ret;
	int64_t code;

	*result_r = NULL;
	*retry_after_r = 0;
	if (http_request(http, url, json, mime, timeout, ANSWER_MAX, &r,
			 &failure) < 0) {
		g_free(url);
		*why_r = g_strdup_printf("%s: %s", method, failure);
		g_free(failure);
		return CALL_RETRY;
	}
	g_free(url);
	parser = json_parser_new();
	if (jsonget_shallow(r.body->data, r.body->len) &&
	    json_parser_load_from_data(parser, (const char *)r.body->data,
				       r.body->len, &error) &&
	    (root = json_parser_get_root(parser)) != NULL &&
	    JSON_NODE_HOLDS_OBJECT(root))
		o = json_node_get_object(root);
	g_clear_error(&error);
	ok = o != NULL ? json_object_get_member(o, "ok") : NULL;
	if (ok == NULL || json_node_get_value_type(ok) != G_TYPE_BOOLEAN) {
		/* not the Bot API's answer: a proxy's error page, or
		   garbage.  Even a 200 is tried again: whoever answered,
		   nothing says Telegram took the message, and a message
		   sent twice is better than one lost. */
		*why_r = g_strdup_printf("%s: HTTP %ld with an answer that is "
					 "not the Bot API's (%u bytes)", method,
					 r.status, r.body->len);
		ret = classify(r.status);
	} else if (json_node_get_boolean(ok)) {
		JsonNode *result = json_object_get_member(o, "result");

		if (result != NULL)
			*result_r = json_node_copy(result);
		else
			*why_r = g_strdup_printf("%s: \"ok\" without \"result\"",
						 method);
		ret = CALL_OK;
	} else {
		const char *desc = string_member(o, "description");

		code = int_member(o, "error_code", r.status);
		*why_r = g_strdup_printf("%s: error %" G_GINT64_FORMAT ": %s",
					 method, code,
					 desc != NULL ? desc : "(no description)");
		ret = classify(code);
		if (code == 429)
			*retry_after_r = MAX(1, int_member(
				object_member(o, "parameters"), "retry_after",
				1));
	}
	g_object_unref(parser);
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
	char *json = NULL, *why = NULL;
	curl_mime *mime = NULL;
	const char *method;
	enum call_result ret;
	int64_t *last;

	memset(out, 0, sizeof(*out));
	if (part < pieces->len) {
		JsonBuilder *b = json_builder_new();
		JsonNode *root;

		json_builder_begin_object(b);
		add_chat(b, m->chat);
		json_builder_set_member_name(b, "text");
		json_builder_add_string_value(b, pieces->pdata[part]);
		json_builder_end_object(b);
		root = json_builder_get_root(b);
		json = json_to_string(root, FALSE);
		json_node_unref(root);
		g_object_unref(b);
		method = "sendMessage";
	} else {
		const struct outbox_attachment *a =
			m->attachments->pdata[part - pieces->len];
		curl_mimepart *field;
		gsize size;
		const void *bytes = g_bytes_get_data(a->data, &size);
		bool photo = is_photo(a);

		mime = curl_mime_init(tg->out->curl);
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
	last = g_hash_table_lookup(tg->last_sent, m->chat);
	if (last == NULL) {
		last = g_new(int64_t, 1);
		g_hash_table_insert(tg->last_sent, g_strdup(m->chat), last);
	}
	*last = tg->last_any = g_get_monotonic_time();
	ret = call(tg, tg->out, method, json, mime, SEND_TIMEOUT, &result,
		   &out->retry_after, &why);
	if (mime != NULL)
		curl_mime_free(mime);
	g_free(json);

	switch (ret) {
	case CALL_OK: {
		JsonObject *o = result != NULL &&
			JSON_NODE_HOLDS_OBJECT(result) ?
			json_node_get_object(result) : NULL;
		int64_t id = int_member(o, "message_id", -1);

		out->result = SEND_OK;
		if (id >= 0) {
			out->message_id = g_strdup_printf("%" G_GINT64_FORMAT,
							  id);
		} else {
			/* sent, but the answer does not say as what: a
			   retry would send it twice */
			log_warning("telegram: %s to chat %s: %s; counted as "
				    "sent", method, m->chat,
				    why != NULL ? why : "no message_id in the "
				    "answer");
			out->message_id = g_strdup("?");
		}
		break;
	}
	case CALL_RETRY:
		out->result = SEND_RETRY;
		out->why = g_steal_pointer(&why);
		/* Telegram's limits are the bot's: a 429 holds every chat */
		if (out->retry_after > 0)
			tg->last_any = MAX(tg->last_any,
					   g_get_monotonic_time() - ALL_GAP +
					   out->retry_after * G_USEC_PER_SEC);
		break;
	case CALL_FAILED:
		out->result = SEND_FAILED;
		out->why = g_steal_pointer(&why);
		break;
	}
	if (result != NULL)
		json_node_unref(result);
	g_free(why);
}

static int64_t tg_wait(void *impl, const char *chat)
{
	struct telegram *tg = impl;
	int64_t now = g_get_monotonic_time();
	int64_t *last = g_hash_table_lookup(tg->last_sent, chat);
	int64_t wait = tg->last_any + ALL_GAP - now;

	if (last != NULL)
		wait = MAX(wait, *last + CHAT_GAP - now);
	return MAX(wait, 0);
}

/* --- inbound ---------------------------------------------------------- */

static bool stopping(struct telegram *tg)
{
	return g_atomic_int_get(&tg->stop) != 0;
}

/* Sleeps seconds, or less when told to stop. */
static void pause_for(struct telegram *tg, unsigned int seconds)
{
	for (unsigned int i = 0; i < seconds * 10 && !stopping(tg); i++)
		g_usleep(G_USEC_PER_SEC / 10);
}

static int64_t read_offset(struct telegram *tg)
{
	char *text = NULL;
	int64_t offset = 0;

	if (g_file_get_contents(tg->offset_path, &text, NULL, NULL))
		offset = g_ascii_strtoll(text, NULL, 10);
	g_free(text);
	return offset;
}

static int save_offset(struct telegram *tg, int64_t offset)
{
	char *text = g_strdup_printf("%" G_GINT64_FORMAT "\n", offset);
	char *error = NULL;
	int ret = state_write(tg->state_dir, "offset", text, strlen(text),
			     &error);

	if (ret < 0) {
		log_error("telegram: cannot keep the offset: %s", error);
		g_free(error);
	}
	g_free(text);
	return ret;
}

/* An update that will never become mail is kept for the admin. */
static void keep_dead(struct telegram *tg, JsonNode *update,
		      int64_t update_id, const char *why)
{
	char *text = json_to_string(update, TRUE);
	char *name = update_id >= 0 ?
		g_strdup_printf("%" G_GINT64_FORMAT ".json", update_id) :
		g_strdup_printf("unknown.%" G_GINT64_FORMAT ".json",
				g_get_real_time());
	char *error = NULL;

	if (state_write(tg->dead_dir, name, text, strlen(text), &error) < 0) {
		log_error("telegram: update %" G_GINT64_FORMAT ": %s, and "
			  "cannot keep it: %s", update_id, why, error);
		g_free(error);
	} else {
		log_error("telegram: update %" G_GINT64_FORMAT ": status=dead "
			  "(%s), kept as %s/%s", update_id, why, tg->dead_dir,
			  name);
	}
	g_free(name);
	g_free(text);
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
	JsonArray *photo = array_member(msg, "photo");

	memset(m, 0, sizeof(*m));
	m->file_size = -1;
	if (photo != NULL && json_array_get_length(photo) > 0) {
		JsonNode *last = json_array_get_element(
			photo, json_array_get_length(photo) - 1);
		JsonObject *size = JSON_NODE_HOLDS_OBJECT(last) ?
			json_node_get_object(last) : NULL;

		m->file_id = string_member(size, "file_id");
		m->file_size = int_member(size, "file_size", -1);
		m->mime_type = "image/jpeg";
		m->what = "photo";
		return m->file_id != NULL;
	}
	for (unsigned int i = 0; i < G_N_ELEMENTS(kinds); i++) {
		JsonObject *o = object_member(msg, kinds[i]);

		if (o == NULL)
			continue;
		m->file_id = string_member(o, "file_id");
		m->filename = string_member(o, "file_name");
		m->mime_type = string_member(o, "mime_type");
		m->file_size = int_member(o, "file_size", -1);
		m->what = kinds[i];
		return m->file_id != NULL;
	}
	return false;
}

/* What a message without text or file holds, in words. */
static char *other_content(JsonObject *msg)
{
	static const char *const kinds[] = {
		"sticker", "location", "contact", "poll", "venue", "dice",
		"game",
	};
	JsonObject *o;

	if ((o = object_member(msg, "location")) != NULL) {
		JsonNode *lat = json_object_get_member(o, "latitude");
		JsonNode *lon = json_object_get_member(o, "longitude");

		if (lat != NULL && lon != NULL &&
		    JSON_NODE_HOLDS_VALUE(lat) && JSON_NODE_HOLDS_VALUE(lon))
			return g_strdup_printf("[location: %.6f, %.6f]",
					       json_node_get_double(lat),
					       json_node_get_double(lon));
	}
	if ((o = object_member(msg, "contact")) != NULL)
		return g_strdup_printf("[contact: %s %s]",
				       string_member(o, "first_name") ?: "",
				       string_member(o, "phone_number") ?: "");
	if ((o = object_member(msg, "sticker")) != NULL)
		return g_strdup_printf("[sticker %s]",
				       string_member(o, "emoji") ?: "");
	for (unsigned int i = 0; i < G_N_ELEMENTS(kinds); i++) {
		if (json_object_has_member(msg, kinds[i]))
			return g_strdup_printf("[%s]", kinds[i]);
	}
	return NULL;
}

enum fetch_result { FETCH_OK, FETCH_RETRY, FETCH_SKIP };

/* getFile and the download.  FETCH_SKIP (with *why_r) when the file can
   never be had (too large, gone): the mail says so instead. */
static enum fetch_result fetch(struct telegram *tg, struct http *http,
			       const struct media *media, GBytes **bytes_r,
			       char **why_r)
{
	size_t max = MIN(tg->ch->attachment_max, DOWNLOAD_MAX);
	JsonBuilder *b;
	JsonNode *root, *result = NULL;
	char *json, *url, *error = NULL;
	const char *path;
	int64_t retry_after;
	enum call_result ret;
	struct http_response r;
	int got;

	if (media->file_size > (int64_t)max) {
		*why_r = g_strdup_printf("%" G_GINT64_FORMAT " bytes, over "
					 "the %zu allowed", media->file_size,
					 max);
		return FETCH_SKIP;
	}
	b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "file_id");
	json_builder_add_string_value(b, media->file_id);
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	json = json_to_string(root, FALSE);
	json_node_unref(root);
	g_object_unref(b);
	ret = call(tg, http, "getFile", json, NULL, 60, &result, &retry_after,
		   why_r);
	g_free(json);
	if (ret == CALL_RETRY)
		return FETCH_RETRY;
	if (ret == CALL_FAILED)
		return FETCH_SKIP;
	path = result != NULL && JSON_NODE_HOLDS_OBJECT(result) ?
		string_member(json_node_get_object(result), "file_path") :
		NULL;
	if (path == NULL) {
		g_free(*why_r);
		*why_r = g_strdup("getFile: no file_path in the answer");
		if (result != NULL)
			json_node_unref(result);
		return FETCH_SKIP;
	}
	g_free(*why_r);
	*why_r = NULL;
	url = g_strconcat(tg->file_base, path, NULL);
	json_node_unref(result);
	if ((got = http_request(http, url, NULL, NULL, 300, max, &r,
				&error)) < 0) {
		g_free(url);
		*why_r = g_strdup_printf("download: %s", error);
		g_free(error);
		return got == HTTP_TOO_BIG ? FETCH_SKIP : FETCH_RETRY;
	}
	g_free(url);
	if (r.status != 200) {
		*why_r = g_strdup_printf("download: HTTP %ld", r.status);
		ret = classify(r.status);
		http_response_clear(&r);
		return ret == CALL_FAILED ? FETCH_SKIP : FETCH_RETRY;
	}
	*bytes_r = g_byte_array_free_to_bytes(g_steal_pointer(&r.body));
	http_response_clear(&r);
	return FETCH_OK;
}

static char *display_name(JsonObject *msg)
{
	JsonObject *from = object_member(msg, "from");
	JsonObject *chat = object_member(msg, "chat");
	const char *first = string_member(from, "first_name");
	const char *last = string_member(from, "last_name");
	const char *user = string_member(from, "username");
	const char *title = string_member(chat, "title");
	char *name;

	if (first != NULL && last != NULL)
		name = g_strdup_printf("%s %s", first, last);
	else if (first != NULL)
		name = g_strdup(first);
	else if (title != NULL)
		name = g_strdup(title);
	else if (user != NULL)
		name = g_strdup(user);
	else
		name = g_strdup("Telegram user");
	/* a name goes into a header: no line breaks in it */
	g_strdelimit(name, "\r\n\t", ' ');
	return name;
}

static char *subject_of(const char *text, const char *what, bool edited)
{
	const char *end = text + strcspn(text, "\n");
	char *line = g_strstrip(g_strndup(text, end - text));
	char *subject;

	if (*line == '\0') {
		g_free(line);
		line = g_strdup_printf("Telegram %s", what != NULL ? what :
				       "message");
	} else if (g_utf8_strlen(line, -1) > SUBJECT_CHARS) {
		char *cut = g_utf8_substring(line, 0, SUBJECT_CHARS);

		g_free(line);
		line = g_strconcat(cut, "…", NULL);
		g_free(cut);
	}
	subject = edited ? g_strconcat("Edited: ", line, NULL) :
		g_strdup(line);
	g_free(line);
	return subject;
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

enum update_result { UPDATE_DONE, UPDATE_RETRY };

/* One update: a mail to the queue, or nothing (not a message), or a
   dead letter.  UPDATE_RETRY when the network or sendmail failed for
   now: the offset must stay. */
static enum update_result handle_update(struct telegram *tg,
					struct http *http, JsonNode *node,
					int64_t update_id)
{
	JsonObject *update = json_node_get_object(node);
	JsonObject *msg = object_member(update, "message");
	bool edited = msg == NULL;
	JsonObject *chat;
	int64_t chat_id, id, date, edit_date;
	struct media media;
	GBytes *file = NULL;
	GString *body = g_string_new(NULL);
	char *name, *from, *subject, *mid, *text, *why = NULL, *other;
	const char *words;
	struct inmail in = { 0 };
	char *reply = NULL;
	int64_t reply_id;
	enum mail_result sent;
	enum update_result ret = UPDATE_DONE;

	if (msg == NULL)
		msg = object_member(update, "edited_message");
	if (msg == NULL) {
		log_info("telegram: update %" G_GINT64_FORMAT ": no message "
			 "in it, skipped", update_id);
		g_string_free(body, TRUE);
		return UPDATE_DONE;
	}
	chat = object_member(msg, "chat");
	chat_id = int_member(chat, "id", G_MININT64);
	id = int_member(msg, "message_id", -1);
	date = int_member(msg, "date", 0);
	edit_date = edited ? int_member(msg, "edit_date", date) : 0;
	if (chat_id == G_MININT64 || id < 0) {
		keep_dead(tg, node, update_id, "message without chat.id or "
			  "message_id");
		g_string_free(body, TRUE);
		return UPDATE_DONE;
	}

	words = string_member(msg, "text");
	if (words == NULL || *words == '\0')
		words = string_member(msg, "caption");
	if (edited)
		g_string_append(body, "(The customer edited an earlier "
				"message; its text is now:)\n\n");
	if (words != NULL)
		g_string_append(body, words);
	if (find_media(msg, &media)) {
		switch (fetch(tg, http, &media, &file, &why)) {
		case FETCH_OK:
			break;
		case FETCH_RETRY:
			log_warning("telegram: update %" G_GINT64_FORMAT
				    ": chat=%" G_GINT64_FORMAT " %s not "
				    "fetched (%s); will try again", update_id,
				    chat_id, media.what, why);
			g_free(why);
			g_string_free(body, TRUE);
			return UPDATE_RETRY;
		case FETCH_SKIP:
			g_string_append_printf(body, "%s[a %s the bridge could "
					       "not fetch: %s]",
					       body->len > 0 ? "\n\n" : "",
					       media.what, why);
			log_warning("telegram: update %" G_GINT64_FORMAT
				    ": chat=%" G_GINT64_FORMAT " %s not "
				    "fetched: %s", update_id, chat_id,
				    media.what, why);
			g_free(why);
			break;
		}
	} else if ((other = other_content(msg)) != NULL) {
		g_string_append_printf(body, "%s%s", body->len > 0 ? "\n\n" :
				       "", other);
		g_free(other);
	}

	name = display_name(msg);
	from = g_strdup_printf("tg.%" G_GINT64_FORMAT "@%s", chat_id,
			       tg->ch->domain);
	text = g_strdup_printf("%s (Telegram)", name);
	subject = subject_of(words != NULL ? words : "", media.what, edited);
	mid = message_id(tg, chat_id, id, edit_date);

	in.name = text;
	in.address = from;
	in.queue = tg->queue;
	in.subject = subject;
	/* a message without a date is dated when it arrives (0) */
	in.date = edited ? edit_date : date;
	in.message_id = mid;
	reply_id = edited ? id : int_member(object_member(msg,
							  "reply_to_message"),
					    "message_id", -1);
	if (reply_id >= 0)
		in.in_reply_to = reply = message_id(tg, chat_id, reply_id, 0);
	in.text = body->str;
	if (file != NULL) {
		char *filename = media.filename != NULL ?
			g_strdup(media.filename) :
			g_strdup_printf("%s-%" G_GINT64_FORMAT "%s", media.what,
					id,
					strcmp(media.what, "photo") == 0 ?
					".jpg" : strcmp(media.what, "voice") ==
					0 ? ".ogg" : "");

		in.files = g_ptr_array_new_with_free_func(inmail_file_free);
		g_ptr_array_add(in.files, inmail_file_new(
			filename, media.mime_type, g_steal_pointer(&file)));
		g_free(filename);
	}
	sent = inmail_send(tg->config, &in, &why);
	switch (sent) {
	case MAIL_SENT:
		log_info("telegram: update %" G_GINT64_FORMAT ": chat=%"
			 G_GINT64_FORMAT " message_id=<%s> from=<%s> to=<%s>%s%s "
			 "status=sent via sendmail", update_id, chat_id, mid,
			 from, tg->queue->address, edited ? " edited" : "",
			 in.files != NULL ? " attachment=yes" : "");
		break;
	case MAIL_RETRY:
		log_warning("telegram: update %" G_GINT64_FORMAT ": chat=%"
			    G_GINT64_FORMAT " status=deferred (%s)", update_id,
			    chat_id, why);
		ret = UPDATE_RETRY;
		break;
	case MAIL_FAILED:
		keep_dead(tg, node, update_id, why);
		break;
	}
	g_free(why);
	if (in.files != NULL)
		g_ptr_array_unref(in.files);
	g_free(reply);
	g_free(mid);
	g_free(subject);
	g_free(text);
	g_free(from);
	g_free(name);
	g_string_free(body, TRUE);
	return ret;
}

static char *updates_request(struct telegram *tg, int64_t offset)
{
	JsonBuilder *b = json_builder_new();
	JsonNode *root;
	char *json;

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
	root = json_builder_get_root(b);
	json = json_to_string(root, FALSE);
	json_node_unref(root);
	g_object_unref(b);
	return json;
}

static gpointer poll_thread(gpointer data)
{
	struct telegram *tg = data;
	struct http *http = http_new(&tg->stop);
	int64_t offset = read_offset(tg);
	unsigned int backoff = 1;
	/* the update that keeps failing, and how often it did */
	int64_t stuck_id = -1;
	unsigned int stuck_tries = 0;

	log_info("telegram: receiving by long polling from offset %"
		 G_GINT64_FORMAT, offset);
	while (!stopping(tg)) {
		char *json = updates_request(tg, offset), *why = NULL;
		JsonNode *result = NULL;
		int64_t retry_after;
		enum call_result ret;
		bool failed = false;

		ret = call(tg, http, "getUpdates", json, NULL,
			   tg->ch->poll_timeout + 15, &result, &retry_after,
			   &why);
		g_free(json);
		if (stopping(tg)) {
			g_free(why);
			if (result != NULL)
				json_node_unref(result);
			break;
		}
		if (ret != CALL_OK || result == NULL ||
		    !JSON_NODE_HOLDS_ARRAY(result)) {
			log_warning("telegram: %s; next poll in %u s",
				    why != NULL ? why :
				    "getUpdates: \"result\" is not a list",
				    MAX(backoff, (unsigned int)retry_after));
			pause_for(tg, MAX(backoff, (unsigned int)retry_after));
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
				int_member(json_node_get_object(u),
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
			if (handle_update(tg, http, u, update_id) ==
			    UPDATE_RETRY) {
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
			pause_for(tg, backoff);
			backoff = MIN(backoff * 2, BACKOFF_MAX);
		} else {
			backoff = 1;
		}
	}
	http_free(&http);
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

static void keep_garbage(struct telegram *tg, const uint8_t *body,
			 size_t size, const char *why)
{
	char *name = g_strdup_printf("webhook.%" G_GINT64_FORMAT,
				     g_get_real_time());
	char *error = NULL;

	if (state_write(tg->dead_dir, name, (const char *)body, size,
			&error) < 0) {
		log_error("telegram: %s, and cannot keep it: %s", why, error);
		g_free(error);
	} else {
		log_error("telegram: %s: status=dead, kept as %s/%s", why,
			  tg->dead_dir, name);
	}
	g_free(name);
}

static void remember(struct telegram *tg, int64_t update_id)
{
	int64_t *seen = g_memdup2(&update_id, sizeof(update_id));

	g_hash_table_add(tg->hook_seen, seen);
	g_queue_push_tail(&tg->hook_seen_order, seen);
	if (g_queue_get_length(&tg->hook_seen_order) > HOOK_SEEN_MAX)
		g_hash_table_remove(tg->hook_seen,
				    g_queue_pop_head(&tg->hook_seen_order));
}

/* An update Telegram posted: 200 once its mail is with sendmail (or it
   can never become mail), 500 for Telegram to post it again. */
static unsigned int hook_update(struct telegram *tg, const uint8_t *body,
				size_t size)
{
	JsonParser *parser = json_parser_new();
	JsonNode *root = NULL;
	GError *error = NULL;
	int64_t update_id;
	unsigned int status = MHD_HTTP_OK;

	if (!jsonget_shallow(body, size) ||
	    !json_parser_load_from_data(parser, (const char *)body, size,
					&error) ||
	    (root = json_parser_get_root(parser)) == NULL ||
	    !JSON_NODE_HOLDS_OBJECT(root)) {
		char *why = g_strdup_printf("webhook body is no JSON object%s%s",
					    error != NULL ? ": " : "",
					    error != NULL ? error->message : "");

		/* kept as it came; Telegram is told 200, or it would send
		   the same garbage again and again */
		keep_garbage(tg, body, size, why);
		g_free(why);
		g_clear_error(&error);
		g_object_unref(parser);
		return MHD_HTTP_OK;
	}
	update_id = int_member(json_node_get_object(root), "update_id", -1);
	if (update_id < 0) {
		keep_dead(tg, root, -1, "update without update_id");
	} else if (g_hash_table_contains(tg->hook_seen, &update_id)) {
		log_info("telegram: update %" G_GINT64_FORMAT ": handled "
			 "before, skipped", update_id);
	} else if (handle_update(tg, tg->hook_http, root, update_id) ==
		   UPDATE_RETRY) {
		/* Telegram posts it again later, maybe after later updates
		   went through: no high-water mark here, an update is never
		   skipped; one handled twice is a known Message-ID to the
		   milter */
		status = MHD_HTTP_INTERNAL_SERVER_ERROR;
	} else {
		remember(tg, update_id);
	}
	g_object_unref(parser);
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
	char *client;

	*type_r = "application/json";
	if (given == NULL || !same_secret(given, tg->secret)) {
		client = webhook_client(request);
		log_warning("telegram: webhook: %s %s from %s %s: refused "
			    "(401), nothing taken", webhook_method(request),
			    webhook_path(request), client,
			    given == NULL ? "without the secret token" :
			    "with a wrong secret token");
		g_free(client);
		*answer_r = g_strdup("{\"ok\":false,"
				     "\"description\":\"Unauthorized\"}");
		return MHD_HTTP_UNAUTHORIZED;
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

static int hook_start(struct telegram *tg, char **error_r)
{
	tg->hook_http = http_new(&tg->stop);
	tg->hook_seen = g_hash_table_new_full(g_int64_hash, g_int64_equal,
					      g_free, NULL);
	g_queue_init(&tg->hook_seen_order);
	tg->hook = webhook_start(tg->ch->webhook_listen, "telegram",
				 ANSWER_MAX, hook_handle, tg, error_r);
	if (tg->hook == NULL) {
		http_free(&tg->hook_http);
		g_queue_clear(&tg->hook_seen_order);
		g_clear_pointer(&tg->hook_seen, g_hash_table_unref);
		return -1;
	}
	log_info("telegram: receiving by webhook on %s",
		 tg->ch->webhook_listen);
	return 0;
}

static int tg_start(void *impl, char **error_r)
{
	struct telegram *tg = impl;

	g_atomic_int_set(&tg->stop, 0);
	if (tg->secret != NULL)
		return hook_start(tg, error_r);
	tg->thread = g_thread_new("telegram", poll_thread, tg);
	return 0;
}

static void tg_stop(void *impl)
{
	struct telegram *tg = impl;

	g_atomic_int_set(&tg->stop, 1);
	if (tg->hook != NULL) {
		webhook_stop(&tg->hook);
		http_free(&tg->hook_http);
	}
	if (tg->hook_seen != NULL) {
		g_queue_clear(&tg->hook_seen_order);
		g_clear_pointer(&tg->hook_seen, g_hash_table_unref);
	}
	if (tg->thread == NULL)
		return;
	g_thread_join(tg->thread);
	tg->thread = NULL;
}

static void tg_free(void *impl)
{
	struct telegram *tg = impl;

	tg_stop(tg);
	http_free(&tg->out);
	g_hash_table_unref(tg->last_sent);
	/* the URLs hold the token */
	memset(tg->base, 0, strlen(tg->base));
	memset(tg->file_base, 0, strlen(tg->file_base));
	g_free(tg->base);
	g_free(tg->file_base);
	g_free(tg->state_dir);
	g_free(tg->offset_path);
	g_free(tg->dead_dir);
	if (tg->secret != NULL) {
		memset(tg->secret, 0, strlen(tg->secret));
		g_free(tg->secret);
	}
	g_free(tg);
}

/* --- set-up ------------------------------------------------------------ */

struct messenger *telegram_new(const struct config *config,
			       const struct config_channel *ch,
			       char **error_r)
{
	struct telegram *tg;
	struct messenger *m;
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
		g_free(token);
		return NULL;
	}
	tg = g_new0(struct telegram, 1);
	tg->config = config;
	tg->ch = ch;
	tg->queue = config_queue_by_name(config, ch->queue);
	tg->secret = secret;
	slash = g_str_has_suffix(ch->api_url, "/") ? "" : "/";
	tg->base = g_strdup_printf("%s%sbot%s/", ch->api_url, slash, token);
	tg->file_base = g_strdup_printf("%s%sfile/bot%s/", ch->api_url, slash,
					token);
	memset(token, 0, strlen(token));
	g_free(token);
	tg->out = http_new(NULL);
	tg->last_sent = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					      g_free);
	tg->state_dir = g_build_filename(config->spool_dir, "telegram", NULL);
	tg->offset_path = g_build_filename(tg->state_dir, "offset", NULL);
	tg->dead_dir = g_build_filename(tg->state_dir, "dead", NULL);
	if (g_mkdir_with_parents(tg->dead_dir, 0770) < 0) {
		*error_r = g_strdup_printf("mkdir %s: %s", tg->dead_dir,
					   g_strerror(errno));
		tg_free(tg);
		return NULL;
	}
	m = g_new0(struct messenger, 1);
	m->name = ch->name;
	m->impl = tg;
	m->parts = tg_parts;
	m->send = tg_send;
	m->wait = tg_wait;
	m->start = tg_start;
	m->stop = tg_stop;
	m->free = tg_free;
	return m;
}
