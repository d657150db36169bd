/* inmail.c: customers' messenger messages become mail (inmail.h).
   Only the mail's form is decided here; what a provider's message holds
   is its channel's business. */

#include "inmail.h"

#include <gmime/gmime.h>
#include <string.h>

#define SUBJECT_CHARS 60

struct inmail_file *inmail_file_new(const char *filename,
				    const char *content_type, GBytes *data)
{
	struct inmail_file *f = g_new0(struct inmail_file, 1);

	f->filename = g_strdup(filename);
	f->content_type = g_strdup(content_type != NULL ? content_type :
				   "application/octet-stream");
	f->data = data;
	return f;
}

void inmail_file_free(gpointer data)
{
	struct inmail_file *f = data;

	g_free(f->filename);
	g_free(f->content_type);
	if (f->data != NULL)
		g_bytes_unref(f->data);
	g_free(f);
}

char *inmail_subject(const char *text, const char *fallback)
{
	const char *end = text + strcspn(text, "\n");
	char *line = g_strstrip(g_strndup(text, end - text));

	if (*line == '\0' || !g_utf8_validate(line, -1, NULL)) {
		g_free(line);
		return g_strdup(fallback);
	}
	if (g_utf8_strlen(line, -1) > SUBJECT_CHARS) {
		char *cut = g_utf8_substring(line, 0, SUBJECT_CHARS);

		g_free(line);
		line = g_strconcat(cut, "…", NULL);
		g_free(cut);
	}
	return line;
}

static GMimeObject *attachment(const struct inmail_file *f)
{
	GMimePart *part = g_mime_part_new();
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(
		g_bytes_get_data(f->data, NULL), g_bytes_get_size(f->data));
	GMimeDataWrapper *content = g_mime_data_wrapper_new_with_stream(
		stream, GMIME_CONTENT_ENCODING_DEFAULT);
	GMimeContentType *type = g_mime_content_type_parse(
		NULL, f->content_type);

	g_mime_object_set_content_type(GMIME_OBJECT(part), type);
	g_object_unref(type);
	g_mime_part_set_content(part, content);
	g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_BASE64);
	g_mime_part_set_filename(part, f->filename);
	g_object_unref(content);
	g_object_unref(stream);
	return GMIME_OBJECT(part);
}

/* Content-Language: the primary tag of what the provider says ("pt" of
   "pt-br"), when it is 2 or 3 letters; the milter picks the templates
   by it (RFC 3282). */
static void set_language(GMimeMessage *m, const char *language)
{
	char tag[4];
	size_t n = 0;

	if (language == NULL)
		return;
	while (n < sizeof(tag) - 1 && g_ascii_isalpha(language[n])) {
		tag[n] = g_ascii_tolower(language[n]);
		n++;
	}
	tag[n] = '\0';
	if (n < 2 || (language[n] != '\0' && language[n] != '-' &&
		      language[n] != '_'))
		return;
	g_mime_object_set_header(GMIME_OBJECT(m), "Content-Language", tag,
				 NULL);
}

enum mail_result inmail_send(const struct config *config,
			     const struct inmail *in, char **why_r)
{
	GMimeMessage *m = g_mime_message_new(TRUE);
	GMimeTextPart *text = g_mime_text_part_new_with_subtype("plain");
	GDateTime *when = in->date > 0 ?
		g_date_time_new_from_unix_utc(in->date) : NULL;
	char *recipients[] = { in->queue->address, NULL };
	struct outbox_mail mail = {
		.created = g_get_real_time() / G_USEC_PER_SEC,
		.sender = (char *)in->address,
		.recipients = recipients,
	};
	enum mail_result ret;

	g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_FROM, in->name,
				   in->address);
	g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_TO,
				   in->queue->display_name,
				   in->queue->address);
	g_mime_message_set_subject(m, in->subject, "utf-8");
	if (when == NULL)
		when = g_date_time_new_now_utc();
	g_mime_message_set_date(m, when);
	g_date_time_unref(when);
	g_mime_message_set_message_id(m, in->message_id);
	set_language(m, in->language);
	if (in->in_reply_to != NULL) {
		char *value = g_strdup_printf("<%s>", in->in_reply_to);

		g_mime_object_set_header(GMIME_OBJECT(m), "In-Reply-To", value,
					 NULL);
		g_free(value);
	}
	g_mime_text_part_set_text(text, in->text);
	if (in->files == NULL || in->files->len == 0) {
		g_mime_message_set_mime_part(m, GMIME_OBJECT(text));
	} else {
		GMimeMultipart *mixed = g_mime_multipart_new_with_subtype(
			"mixed");

		g_mime_multipart_add(mixed, GMIME_OBJECT(text));
		for (unsigned int i = 0; i < in->files->len; i++) {
			GMimeObject *a = attachment(in->files->pdata[i]);

			g_mime_multipart_add(mixed, a);
			g_object_unref(a);
		}
		g_mime_message_set_mime_part(m, GMIME_OBJECT(mixed));
		g_object_unref(mixed);
	}
	g_object_unref(text);
	mail.message = g_mime_object_to_string(GMIME_OBJECT(m), NULL);
	ret = mail_send(config->sendmail, &mail, config->sendmail_timeout,
			why_r);
	g_free(mail.message);
	g_object_unref(m);
	return ret;
}
