/* ack.c: renders and builds acknowledgements.  The words are the
   templates'; this module supplies the data (the customer's name made
   safe, the reply-by time in the customer's own offset with the
   language's day and month names, the shop's hours) and the headers
   that RFC 3834 asks of an automatic reply.  It does not decide whether
   to answer and does not send. */

#include "ack.h"
#include "subject.h"
#include "template.h"

#include <gmime/gmime.h>
#include <string.h>

#define NAME_MAX_CHARS 64

struct ack_language {
	struct template *text;
	struct template *html;		/* NULL: text only */
	struct template *chat;		/* ack-chat.txt, NULL: English's */
	struct template *subject;
	struct template *date;
	char **weekdays;		/* 7 */
	char **days;			/* 7 */
	char **months;			/* 12 */
};

struct ack_templates {
	GHashTable *languages;		/* code -> struct ack_language */
	GHashTable *thanks;		/* words() of every language's
					   [message] thanks */
	GHashTable *solved, *unsolved;	/* and of [rating] solved and
					   unsolved */
	GHashTable *stop;		/* and of [message] stop */
};

static void ack_language_free(gpointer data)
{
	struct ack_language *l = data;

	template_free(&l->text);
	template_free(&l->html);
	template_free(&l->chat);
	template_free(&l->subject);
	template_free(&l->date);
	g_strfreev(l->weekdays);
	g_strfreev(l->days);
	g_strfreev(l->months);
	g_free(l);
}

static int parse_file(const char *path, bool optional,
		      struct template **template_r, char **error_r)
{
	GError *error = NULL;
	char *text, *perror;

	if (!g_file_get_contents(path, &text, NULL, &error)) {
		if (optional && g_error_matches(error, G_FILE_ERROR,
						G_FILE_ERROR_NOENT)) {
			g_error_free(error);
			return 0;
		}
		*error_r = g_strdup(error->message);
		g_error_free(error);
		return -1;
	}
	if (template_parse(text, template_r, &perror) < 0) {
		*error_r = g_strdup_printf("%s: %s", path, perror);
		g_free(perror);
		g_free(text);
		return -1;
	}
	g_free(text);
	return 0;
}

static int get_names(GKeyFile *kf, const char *path, const char *key,
		     gsize count, char ***names_r, char **error_r)
{
	gsize n = 0;
	char **names = g_key_file_get_string_list(kf, "date", key, &n, NULL);

	if (names == NULL || n != count) {
		*error_r = g_strdup_printf("%s: [date] %s: %zu names "
					   "expected", path, key,
					   (size_t)count);
		g_strfreev(names);
		return -1;
	}
	for (gsize i = 0; i < n; i++)
		g_strstrip(names[i]);
	*names_r = names;
	return 0;
}

static int parse_string(GKeyFile *kf, const char *path, const char *group,
			const char *key, struct template **template_r,
			char **error_r)
{
	char *text = g_key_file_get_string(kf, group, key, NULL);
	char *perror;
	int ret = 0;

	if (text == NULL) {
		*error_r = g_strdup_printf("%s: [%s] %s: missing", path,
					   group, key);
		return -1;
	}
	if (template_parse(text, template_r, &perror) < 0) {
		*error_r = g_strdup_printf("%s: [%s] %s: %s", path, group,
					   key, perror);
		g_free(perror);
		ret = -1;
	}
	g_free(text);
	return ret;
}

/* The letters and digits of text, case-folded, one space between
   words: "Thanks!!! :)" and "thanks" are the same. */
static char *words(const char *text)
{
	char *valid = g_utf8_make_valid(text, -1);
	char *folded = g_utf8_casefold(valid, -1);
	GString *out = g_string_new(NULL);
	bool space = false;

	for (const char *p = folded; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (!g_unichar_isalnum(c) && !g_unichar_ismark(c)) {
			space = true;
			continue;
		}
		if (space && out->len > 0)
			g_string_append_c(out, ' ');
		space = false;
		g_string_append_unichar(out, c);
	}
	g_free(folded);
	g_free(valid);
	return g_string_free(out, FALSE);
}

static void load_words(GKeyFile *kf, const char *group, const char *key,
		       GHashTable *set)
{
	char **list = g_key_file_get_string_list(kf, group, key, NULL, NULL);

	for (char **p = list; p != NULL && *p != NULL; p++) {
		char *w = words(*p);

		if (*w != '\0')
			g_hash_table_add(set, w);
		else
			g_free(w);
	}
	g_strfreev(list);
}

static int load_language(const char *dir, struct ack_language *l,
			 struct ack_templates *t, char **error_r)
{
	char *path = g_build_filename(dir, "language.conf", NULL);
	GKeyFile *kf = g_key_file_new();
	GError *error = NULL;
	int ret = -1;

	if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &error)) {
		*error_r = g_strdup_printf("%s: %s", path, error->message);
		g_error_free(error);
	} else if (get_names(kf, path, "weekdays", 7, &l->weekdays,
			     error_r) == 0 &&
		   get_names(kf, path, "days", 7, &l->days, error_r) == 0 &&
		   get_names(kf, path, "months", 12, &l->months,
			     error_r) == 0 &&
		   parse_string(kf, path, "date", "format", &l->date,
				error_r) == 0 &&
		   parse_string(kf, path, "message", "subject", &l->subject,
				error_r) == 0) {
		load_words(kf, "message", "thanks", t->thanks);
		load_words(kf, "message", "stop", t->stop);
		load_words(kf, "rating", "solved", t->solved);
		load_words(kf, "rating", "unsolved", t->unsolved);
		ret = 0;
	}
	g_key_file_free(kf);
	g_free(path);
	if (ret < 0)
		return -1;

	path = g_build_filename(dir, "ack.txt", NULL);
	ret = parse_file(path, false, &l->text, error_r);
	g_free(path);
	if (ret < 0)
		return -1;
	path = g_build_filename(dir, "ack.html", NULL);
	ret = parse_file(path, true, &l->html, error_r);
	g_free(path);
	if (ret < 0)
		return -1;
	path = g_build_filename(dir, "ack-chat.txt", NULL);
	ret = parse_file(path, true, &l->chat, error_r);
	g_free(path);
	return ret;
}

int ack_templates_load(const char *dir, struct ack_templates **templates_r,
		       char **error_r)
{
	struct ack_templates *t = g_new0(struct ack_templates, 1);
	GError *error = NULL;
	GDir *d = g_dir_open(dir, 0, &error);
	const char *name;
	int ret = 0;

	t->languages = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					     ack_language_free);
	t->thanks = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					  NULL);
	t->solved = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					  NULL);
	t->unsolved = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					    NULL);
	t->stop = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					NULL);
	if (d == NULL) {
		*error_r = g_strdup_printf("templates: %s", error->message);
		g_error_free(error);
		ack_templates_free(&t);
		return -1;
	}
	while (ret == 0 && (name = g_dir_read_name(d)) != NULL) {
		char *sub = g_build_filename(dir, name, NULL);
		char *ack = g_build_filename(sub, "ack.txt", NULL);

		if (g_file_test(ack, G_FILE_TEST_EXISTS)) {
			struct ack_language *l = g_new0(struct ack_language,
							1);

			g_hash_table_insert(t->languages, g_strdup(name), l);
			ret = load_language(sub, l, t, error_r);
		}
		g_free(ack);
		g_free(sub);
	}
	g_dir_close(d);
	if (ret < 0) {
		ack_templates_free(&t);
		return -1;
	}
	*templates_r = t;
	return 0;
}

void ack_templates_free(struct ack_templates **_templates)
{
	struct ack_templates *t = *_templates;

	if (t == NULL)
		return;
	*_templates = NULL;
	g_hash_table_unref(t->languages);
	g_hash_table_unref(t->thanks);
	g_hash_table_unref(t->solved);
	g_hash_table_unref(t->unsolved);
	g_hash_table_unref(t->stop);
	g_free(t);
}

/* The display name as plain words: no control characters (CR and LF
   least of all), no runs of spaces, bounded; an address is no name. */
static char *safe_name(const char *name)
{
	GString *out = g_string_new(NULL);
	char *valid = g_utf8_make_valid(name != NULL ? name : "", -1);
	glong chars = 0;

	for (const char *p = valid; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (g_unichar_iscntrl(c) || g_unichar_isspace(c) ||
		    g_unichar_type(c) == G_UNICODE_FORMAT)
			c = ' ';
		if (c == ' ' && (out->len == 0 ||
				 out->str[out->len - 1] == ' '))
			continue;
		if (++chars > NAME_MAX_CHARS)
			break;
		g_string_append_unichar(out, c);
	}
	g_free(valid);
	g_strchomp(out->str);
	if (strchr(out->str, '@') != NULL)
		g_string_truncate(out, 0);
	return g_string_free(out, FALSE);
}

static void set_string(JsonBuilder *b, const char *name, const char *value)
{
	json_builder_set_member_name(b, name);
	json_builder_add_string_value(b, value != NULL ? value : "");
}

/* "вторник, 24 ноября, 11:00": the language's names, the time in the
   customer's offset when known, else in the queue's zone. */
static void add_reply_by(JsonBuilder *b, const struct ack_language *l,
			 const struct ack_input *in)
{
	GDateTime *utc, *local;
	GTimeZone *tz;
	JsonBuilder *d;
	JsonNode *data;
	char *time, *text, *zone, *iso;

	json_builder_set_member_name(b, "reply_by");
	if (in->reply_by == 0) {
		json_builder_add_null_value(b);
		return;
	}
	tz = in->customer_offset_known ?
		g_time_zone_new_offset(in->customer_offset) :
		g_time_zone_ref(hours_timezone(in->hours));
	utc = g_date_time_new_from_unix_utc(in->reply_by);
	local = g_date_time_to_timezone(utc, tz);

	d = json_builder_new();
	json_builder_begin_object(d);
	set_string(d, "weekday",
		   l->weekdays[g_date_time_get_day_of_week(local) - 1]);
	json_builder_set_member_name(d, "day");
	json_builder_add_int_value(d, g_date_time_get_day_of_month(local));
	set_string(d, "month", l->months[g_date_time_get_month(local) - 1]);
	json_builder_set_member_name(d, "year");
	json_builder_add_int_value(d, g_date_time_get_year(local));
	time = g_date_time_format(local, "%H:%M");
	set_string(d, "time", time);
	json_builder_end_object(d);
	data = json_builder_get_root(d);
	text = template_render(l->date, data);

	json_builder_begin_object(b);
	set_string(b, "text", text);
	zone = in->customer_offset_known ?
		g_date_time_format(local, "UTC%:z") :
		g_strdup(g_time_zone_get_identifier(tz));
	set_string(b, "zone", zone);
	json_builder_set_member_name(b, "yours");
	json_builder_add_boolean_value(b, in->customer_offset_known);
	iso = g_date_time_format_iso8601(local);
	set_string(b, "iso", iso);
	json_builder_end_object(b);

	g_free(iso);
	g_free(zone);
	g_free(text);
	g_free(time);
	json_node_unref(data);
	g_object_unref(d);
	g_date_time_unref(local);
	g_date_time_unref(utc);
	g_time_zone_unref(tz);
}

/* When the queue opens, in its zone, when it is closed at in->now:
   "opens": {"text", "iso"}, else null. */
static void add_opens(JsonBuilder *b, const struct ack_language *l,
		      const struct ack_input *in)
{
	GDateTime *utc, *local;
	JsonBuilder *d;
	JsonNode *data;
	char *time, *text, *iso;
	int64_t opens;

	json_builder_set_member_name(b, "opens");
	if (in->hours == NULL ||
	    hours_add_open(in->hours, in->now, 0, &opens) < 0 ||
	    opens <= in->now) {
		json_builder_add_null_value(b);
		return;
	}
	utc = g_date_time_new_from_unix_utc(opens);
	local = g_date_time_to_timezone(utc, hours_timezone(in->hours));
	d = json_builder_new();
	json_builder_begin_object(d);
	set_string(d, "weekday",
		   l->weekdays[g_date_time_get_day_of_week(local) - 1]);
	json_builder_set_member_name(d, "day");
	json_builder_add_int_value(d, g_date_time_get_day_of_month(local));
	set_string(d, "month", l->months[g_date_time_get_month(local) - 1]);
	json_builder_set_member_name(d, "year");
	json_builder_add_int_value(d, g_date_time_get_year(local));
	time = g_date_time_format(local, "%H:%M");
	set_string(d, "time", time);
	json_builder_end_object(d);
	data = json_builder_get_root(d);
	text = template_render(l->date, data);
	iso = g_date_time_format_iso8601(local);
	json_builder_begin_object(b);
	set_string(b, "text", text);
	set_string(b, "iso", iso);
	json_builder_end_object(b);
	g_free(iso);
	g_free(text);
	g_free(time);
	json_node_unref(data);
	g_object_unref(d);
	g_date_time_unref(local);
	g_date_time_unref(utc);
}

JsonNode *ack_data(const struct ack_templates *templates,
		   const struct ack_input *in)
{
	const struct ack_language *l = g_hash_table_lookup(templates->languages,
							   in->language);
	JsonBuilder *b = json_builder_new();
	char *name = safe_name(in->customer_name);
	char *tag = g_strdup_printf("[%s #%u]", in->ticket_tag,
				    in->ticket_id);
	JsonNode *root;

	g_assert(l != NULL);
	json_builder_begin_object(b);
	set_string(b, "language", in->language);
	json_builder_set_member_name(b, "ticket");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "id");
	json_builder_add_int_value(b, in->ticket_id);
	set_string(b, "tag", tag);
	json_builder_end_object(b);
	set_string(b, "subject", in->subject);
	json_builder_set_member_name(b, "customer");
	json_builder_begin_object(b);
	set_string(b, "name", name);
	set_string(b, "address", in->customer_address);
	json_builder_end_object(b);
	json_builder_set_member_name(b, "queue");
	json_builder_begin_object(b);
	set_string(b, "name", in->queue->display_name);
	set_string(b, "address", in->queue->address);
	set_string(b, "timezone", in->queue->timezone);
	json_builder_end_object(b);
	add_reply_by(b, l, in);
	add_opens(b, l, in);
	json_builder_set_member_name(b, "hours");
	json_builder_begin_array(b);
	if (in->hours != NULL) {
		GPtrArray *lines = hours_describe(
			in->hours, (const char *const *)l->days);

		for (unsigned int i = 0; i < lines->len; i++)
			json_builder_add_string_value(b, lines->pdata[i]);
		g_ptr_array_unref(lines);
	}
	json_builder_end_array(b);
	set_string(b, "category", in->category);
	if (in->answer != NULL)
		set_string(b, "answer", in->answer);
	json_builder_end_object(b);

	root = json_builder_get_root(b);
	g_object_unref(b);
	g_free(tag);
	g_free(name);
	return root;
}

static GMimePart *text_part(const char *subtype, const char *text)
{
	GMimePart *part = g_mime_part_new_with_type("text", subtype);
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(text,
								strlen(text));
	GMimeDataWrapper *content = g_mime_data_wrapper_new_with_stream(
		stream, GMIME_CONTENT_ENCODING_DEFAULT);

	g_mime_object_set_content_type_parameter(GMIME_OBJECT(part),
						 "charset", "utf-8");
	g_mime_part_set_content(part, content);
	/* quoted-printable or base64, whichever suits the text */
	g_mime_part_set_content_encoding(
		part, g_mime_part_get_best_content_encoding(
			part, GMIME_ENCODING_CONSTRAINT_7BIT));
	g_object_unref(content);
	g_object_unref(stream);
	return part;
}

/* "<a> <b> <ours>": the customer's References, then their Message-ID
   (RFC 5322, 3.6.4). */
static char *references(const struct ack_input *in)
{
	GString *out = g_string_new(NULL);
	GMimeReferences *refs = in->references != NULL ?
		g_mime_references_parse(NULL, in->references) : NULL;

	for (int i = 0; refs != NULL && i < g_mime_references_length(refs);
	     i++)
		g_string_append_printf(out, "<%s> ",
				       g_mime_references_get_message_id(refs,
									i));
	if (refs != NULL)
		g_mime_references_free(refs);
	if (in->in_reply_to != NULL)
		g_string_append_printf(out, "<%s>", in->in_reply_to);
	g_strchomp(out->str);
	return g_string_free(out, FALSE);
}

char *ack_build_chat(const struct ack_templates *templates,
		     const struct ack_input *in)
{
	const struct ack_language *l = g_hash_table_lookup(templates->languages,
							   in->language);
	const struct ack_language *en = g_hash_table_lookup(
		templates->languages, "en");
	const struct template *chat = l->chat != NULL ? l->chat :
		en != NULL ? en->chat : NULL;
	JsonNode *data;
	char *text;

	if (chat == NULL)
		return NULL;
	data = ack_data(templates, in);
	text = template_render(chat, data);
	json_node_unref(data);
	g_strstrip(text);
	return text;
}

char *ack_build(const struct ack_templates *templates,
		const struct ack_input *in)
{
	const struct ack_language *l = g_hash_table_lookup(templates->languages,
							   in->language);
	JsonNode *data = ack_data(templates, in);
	GMimeMessage *message = g_mime_message_new(FALSE);
	GMimeObject *object = GMIME_OBJECT(message);
	GMimeObject *body;
	GDateTime *now = g_date_time_new_from_unix_utc(in->now);
	char *subject, *tagged, *text, *value, *out;
	JsonObject *root = json_node_get_object(data);

	g_mime_message_add_mailbox(message, GMIME_ADDRESS_TYPE_FROM,
				   in->queue->display_name,
				   in->queue->address);
	g_mime_message_add_mailbox(message, GMIME_ADDRESS_TYPE_TO,
				   json_object_get_string_member(
					   json_object_get_object_member(
						   root, "customer"), "name"),
				   in->customer_address);
	g_mime_message_add_mailbox(message, GMIME_ADDRESS_TYPE_REPLY_TO,
				   in->queue->display_name, in->reply_to);
	subject = template_render(l->subject, data);
	tagged = subject_add_tag(g_strstrip(subject), in->ticket_tag,
				 in->ticket_id);
	g_mime_message_set_subject(message, tagged, "utf-8");
	g_mime_message_set_date(message, now);
	g_mime_message_set_message_id(message, in->message_id);
	if (in->in_reply_to != NULL) {
		value = g_strdup_printf("<%s>", in->in_reply_to);
		g_mime_object_set_header(object, "In-Reply-To", value, NULL);
		g_free(value);
	}
	value = references(in);
	if (*value != '\0')
		g_mime_object_set_header(object, "References", value, NULL);
	g_free(value);
	/* RFC 3834, and what Sieve vacation adds so that other
	   responders (Exchange's among them) stay quiet */
	g_mime_object_set_header(object, "Auto-Submitted", "auto-replied",
				 NULL);
	g_mime_object_set_header(object, "Precedence", "bulk", NULL);
	g_mime_object_set_header(object, "X-Auto-Response-Suppress", "All",
				 NULL);
	g_mime_object_set_header(object, "Content-Language", in->language,
				 NULL);

	text = template_render(l->text, data);
	if (l->html != NULL) {
		GMimeMultipart *alt = g_mime_multipart_new_with_subtype(
			"alternative");
		GMimePart *part = text_part("plain", text);
		char *html = template_render(l->html, data);

		g_mime_multipart_add(alt, GMIME_OBJECT(part));
		g_object_unref(part);
		part = text_part("html", html);
		g_mime_multipart_add(alt, GMIME_OBJECT(part));
		g_object_unref(part);
		g_free(html);
		body = GMIME_OBJECT(alt);
	} else {
		body = GMIME_OBJECT(text_part("plain", text));
	}
	g_mime_message_set_mime_part(message, body);
	g_object_unref(body);
	out = g_mime_object_to_string(object, NULL);

	g_free(text);
	g_free(tagged);
	g_free(subject);
	g_date_time_unref(now);
	g_object_unref(message);
	json_node_unref(data);
	return out;
}

int ack_render_file(const char *dir, const char *language, const char *name,
		    JsonNode *data, char **text_r, char **error_r)
{
	char *path;
	struct template *template = NULL;
	int ret;

	if (strchr(language, '/') != NULL || strchr(name, '/') != NULL ||
	    *language == '.' || *name == '.') {
		*error_r = g_strdup("a template name, not a path, expected");
		return -1;
	}
	path = g_build_filename(dir, language, name, NULL);
	ret = parse_file(path, false, &template, error_r);
	g_free(path);
	if (ret < 0)
		return -1;
	*text_r = template_render(template, data);
	template_free(&template);
	return 0;
}

/* The customer's own words: up to the quote of our mail (and its
   "On ... wrote:" line) or the signature, as words(). */
static char *own_words(const char *text)
{
	GString *own = g_string_new(NULL);
	const char *p = text;
	char *w;

	while (*p != '\0') {
		size_t len = strcspn(p, "\n");

		if (*p == '>' || strncmp(p, "-- ", 3) == 0 ||
		    (len == 2 && strncmp(p, "--", 2) == 0))
			break;
		if (len > 0 && p[len - 1] == ':' && p[len] == '\n' &&
		    p[len + 1] == '>')
			break;
		g_string_append_len(own, p, len);
		g_string_append_c(own, ' ');
		p += len;
		if (*p == '\n')
			p++;
	}
	w = words(own->str);
	g_string_free(own, TRUE);
	return w;
}

bool ack_is_thanks(const struct ack_templates *templates, const char *text)
{
	char *w = own_words(text);
	bool found = g_hash_table_contains(templates->thanks, w);

	g_free(w);
	return found;
}

bool ack_is_stop(const struct ack_templates *templates, const char *text)
{
	char *w = own_words(text);
	bool found = g_hash_table_contains(templates->stop, w);

	g_free(w);
	return found;
}

bool ack_rating(const struct ack_templates *templates, const char *text,
		int *score_r, int *solved_r)
{
	char *w = own_words(text);
	bool found = true;

	*score_r = 0;
	*solved_r = -1;
	if (w[0] >= '1' && w[0] <= '5' &&
	    (w[1] == '\0' || (w[1] == ' ' && strchr(w + 2, ' ') == NULL &&
			      strlen(w + 2) <= 20)))
		/* "5", "5 stars", "4 спасибо": a digit and a word at most */
		*score_r = w[0] - '0';
	else if (g_hash_table_contains(templates->solved, w))
		*solved_r = 1;
	else if (g_hash_table_contains(templates->unsolved, w))
		*solved_r = 0;
	else
		found = false;
	g_free(w);
	return found;
}
