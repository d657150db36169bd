/* mailmsg.c: reading a parsed message with GMime: the fields of the
   ticket, an agent's command lines, and what a messenger gets of an
   agent's reply.  Every walk of the MIME tree is bounded by the config's
   mime_depth_max and mime_parts_max, and every text read is made valid
   UTF-8.  It decides nothing about tickets: that is the pipeline's. */

#include "mailmsg.h"
#include "msgtext.h"

#include <string.h>

#define SNIPPET_BYTES 512

/* Reads at most SNIPPET_BYTES of a text part, decoded to UTF-8, without
   loading the whole part (it may be huge). */
static char *part_snippet(GMimePart *part)
{
	GMimeDataWrapper *content = g_mime_part_get_content(part);
	GMimeStream *filtered;
	GMimeFilter *filter;
	const char *charset;
	char buf[SNIPPET_BYTES + 1];
	char *text;
	ssize_t n;

	if (content == NULL)
		return NULL;
	filtered = g_mime_stream_filter_new(
		g_mime_data_wrapper_get_stream(content));
	g_mime_stream_reset(g_mime_data_wrapper_get_stream(content));
	filter = g_mime_filter_basic_new(
		g_mime_data_wrapper_get_encoding(content), FALSE);
	g_mime_stream_filter_add(GMIME_STREAM_FILTER(filtered), filter);
	g_object_unref(filter);
	charset = g_mime_object_get_content_type_parameter(GMIME_OBJECT(part),
							  "charset");
	if (charset != NULL && g_ascii_strcasecmp(charset, "utf-8") != 0 &&
	    (filter = g_mime_filter_charset_new(charset, "UTF-8")) != NULL) {
		g_mime_stream_filter_add(GMIME_STREAM_FILTER(filtered),
					 filter);
		g_object_unref(filter);
	}
	n = g_mime_stream_read(filtered, buf, SNIPPET_BYTES);
	g_object_unref(filtered);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	text = g_utf8_make_valid(buf, n);
	/* LF line ends and no trailing blank lines, for the history */
	for (char *r = text, *w = text;; r++) {
		if (*r != '\r' && (*w++ = *r) == '\0')
			break;
	}
	return g_strchomp(text);
}

/* The first text part of type text/SUBTYPE, or with subtype NULL the
   first text/plain or text/html, searched depth-first within the
   configured bounds. */
static GMimePart *find_text(const struct config *config,
			    GMimeObject *object, const char *subtype,
			    unsigned int depth, unsigned int *parts)
{
	GMimeContentType *type;

	if (depth > config->mime_depth_max ||
	    ++*parts > config->mime_parts_max)
		return NULL;
	if (GMIME_IS_MULTIPART(object)) {
		GMimeMultipart *mp = GMIME_MULTIPART(object);
		int count = g_mime_multipart_get_count(mp);

		for (int i = 0; i < count; i++) {
			GMimePart *found = find_text(
				config, g_mime_multipart_get_part(mp, i),
				subtype, depth + 1, parts);
			if (found != NULL)
				return found;
		}
		return NULL;
	}
	if (!GMIME_IS_TEXT_PART(object))
		return NULL;
	type = g_mime_object_get_content_type(object);
	if (subtype != NULL ?
	    g_mime_content_type_is_type(type, "text", subtype) :
	    g_mime_content_type_is_type(type, "text", "plain") ||
	    g_mime_content_type_is_type(type, "text", "html"))
		return GMIME_PART(object);
	return NULL;
}

/* Replaces a text part's words, keeping its charset and transfer
   encoding: in a single-part message those are the top-level headers,
   which stay as they are. */
static void set_part_text(GMimePart *part, const char *text)
{
	const char *charset = g_mime_object_get_content_type_parameter(
		GMIME_OBJECT(part), "charset");
	char *bytes = NULL;
	gsize size;
	GMimeStream *stream;
	GMimeDataWrapper *content;

	if (charset != NULL && g_ascii_strcasecmp(charset, "utf-8") != 0 &&
	    g_ascii_strcasecmp(charset, "us-ascii") != 0)
		bytes = g_convert_with_fallback(text, -1, charset, "UTF-8", "?",
						NULL, &size, NULL);
	if (bytes == NULL) {
		bytes = g_strdup(text);
		size = strlen(text);
	}
	stream = g_mime_stream_mem_new_with_buffer(bytes, size);
	content = g_mime_data_wrapper_new_with_stream(
		stream, GMIME_CONTENT_ENCODING_DEFAULT);
	g_mime_part_set_content(part, content);
	g_object_unref(content);
	g_object_unref(stream);
	g_free(bytes);
}

/* Reads the command lines from the first text/plain part (or, lacking
   one, text/html) and removes them from both. */
struct command_list *mailmsg_take_commands(GMimeMessage *message,
					   const struct config *config,
					   bool *changed_r)
{
	GMimeObject *body = g_mime_message_get_mime_part(message);
	unsigned int parts = 0;
	GMimePart *plain = NULL, *html = NULL;
	struct command_list *list = NULL, *from_html;
	char *rest = NULL, *text;

	*changed_r = false;
	if (body != NULL) {
		plain = find_text(config, body, "plain", 0, &parts);
		parts = 0;
		html = find_text(config, body, "html", 0, &parts);
	}
	if (plain == NULL && html == NULL)
		return NULL;
	if (plain != NULL) {
		text = g_mime_text_part_get_text(GMIME_TEXT_PART(plain));
		list = command_parse_text(text != NULL ? text : "", &rest);
		g_free(text);
		if (rest != NULL) {
			set_part_text(plain, rest);
			*changed_r = true;
			g_free(rest);
		}
	}
	if (html != NULL) {
		text = g_mime_text_part_get_text(GMIME_TEXT_PART(html));
		from_html = command_parse_html(text != NULL ? text : "",
					       &rest);
		g_free(text);
		if (rest != NULL) {
			set_part_text(html, rest);
			*changed_r = true;
			g_free(rest);
		}
		if (plain == NULL)
			list = from_html;
		else
			command_list_free(&from_html);
	}
	return list;
}

GBytes *mailmsg_body_crlf(GMimeMessage *message)
{
	GMimeStream *mem = g_mime_stream_mem_new();
	GMimeStream *filtered = g_mime_stream_filter_new(mem);
	GMimeFilter *crlf = g_mime_filter_unix2dos_new(FALSE);
	GByteArray *bytes;
	GBytes *body;

	g_mime_stream_filter_add(GMIME_STREAM_FILTER(filtered), crlf);
	g_object_unref(crlf);
	g_mime_object_write_content_to_stream(
		g_mime_message_get_mime_part(message), NULL, filtered);
	g_mime_stream_flush(filtered);
	bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	body = g_bytes_new(bytes->data, bytes->len);
	g_object_unref(filtered);
	g_object_unref(mem);
	return body;
}

static void add_references(GPtrArray *out, const char *header)
{
	GMimeReferences *refs;
	int count;

	if (header == NULL)
		return;
	refs = g_mime_references_parse(NULL, header);
	if (refs == NULL)
		return;
	count = g_mime_references_length(refs);
	/* References lists the oldest first: the newest tells most. */
	for (int i = count - 1; i >= 0 && out->len < MAILMSG_REFERENCES_MAX;
	     i--) {
		const char *id = g_mime_references_get_message_id(refs, i);

		/* the store keeps text: an id that is not is no one's */
		if (g_utf8_validate(id, -1, NULL))
			g_ptr_array_add(out, g_strdup(id));
	}
	g_mime_references_free(refs);
}

/* Adds the mailboxes of list (groups opened) to out, lowercased, up
   to max in all. */
static void add_mailboxes(GPtrArray *out, InternetAddressList *list,
			  unsigned int max)
{
	for (int i = 0; list != NULL && i < internet_address_list_length(list);
	     i++) {
		InternetAddress *ia = internet_address_list_get_address(list,
									i);

		if (INTERNET_ADDRESS_IS_GROUP(ia)) {
			add_mailboxes(out, internet_address_group_get_members(
					      INTERNET_ADDRESS_GROUP(ia)), max);
		} else if (INTERNET_ADDRESS_IS_MAILBOX(ia) && out->len < max) {
			const char *addr = internet_address_mailbox_get_addr(
				INTERNET_ADDRESS_MAILBOX(ia));

			if (addr != NULL && strchr(addr, '@') != NULL &&
			    g_utf8_validate(addr, -1, NULL))
				g_ptr_array_add(out, g_ascii_strdown(addr,
								     -1));
		}
	}
}

/* The DMARC verdict of an Authentication-Results header (RFC 8601)
   from one of the trusted authserv-ids (*trusted_r says whether it is
   one): the header.from domain of a "dmarc=pass", lowercased, or NULL.
   Only the first word of each result and its header.from property are
   read; anything else in the header is the verifier's business. */
static char *dmarc_pass(const char *value, char **trusted, bool *trusted_r)
{
	char **parts, *id, *domain = NULL;

	*trusted_r = false;
	if (value == NULL || trusted[0] == NULL)
		return NULL;
	parts = g_strsplit(value, ";", 64);
	id = g_ascii_strdown(g_strstrip(parts[0]), -1);
	/* "mx.shop.example 1": the id and an optional version */
	if (strchr(id, ' ') != NULL)
		*strchr(id, ' ') = '\0';
	*trusted_r = g_strv_contains((const char *const *)trusted, id);
	if (!*trusted_r) {
		g_free(id);
		g_strfreev(parts);
		return NULL;
	}
	for (unsigned int i = 1; parts[i] != NULL && domain == NULL; i++) {
		char **words = g_strsplit_set(g_strstrip(parts[i]), " \t\r\n",
					      64);
		bool pass = words[0] != NULL &&
			g_ascii_strcasecmp(words[0], "dmarc=pass") == 0;

		for (unsigned int w = 1; pass && words[w] != NULL; w++) {
			if (g_ascii_strncasecmp(words[w], "header.from=",
						12) == 0 && words[w][12] != '\0')
				domain = g_ascii_strdown(words[w] + 12, -1);
		}
		g_strfreev(words);
	}
	g_free(id);
	g_strfreev(parts);
	return domain;
}

void mailmsg_read_fields(GMimeMessage *message, const char *envelope_from,
			 const struct config *config,
			 struct mailmsg_fields *f)
{
	GMimeObject *object = GMIME_OBJECT(message);
	InternetAddressList *from = g_mime_message_get_from(message);
	GDateTime *date = g_mime_message_get_date(message);
	GMimeObject *body = g_mime_message_get_mime_part(message);
	GMimeHeaderList *headers;
	unsigned int parts = 0;
	int count;
	const char *name;

	f->message_id = g_mime_message_get_message_id(message);
	f->references = g_ptr_array_new_with_free_func(g_free);
	add_references(f->references,
		       g_mime_object_get_header(object, "In-Reply-To"));
	add_references(f->references,
		       g_mime_object_get_header(object, "References"));
	g_ptr_array_add(f->references, NULL);
	/* Decoded header text is whatever bytes the sender chose (raw
	   8-bit, or RFC 2047 words in a charset that lied): it becomes
	   valid UTF-8 here, once, before the store, templates and logs
	   see it. */
	name = g_mime_message_get_subject(message);
	f->subject = g_utf8_make_valid(name != NULL ? name : "", -1);
	name = NULL;
	for (int i = 0; from != NULL && i < internet_address_list_length(from);
	     i++) {
		InternetAddress *ia = internet_address_list_get_address(from,
									i);

		if (INTERNET_ADDRESS_IS_MAILBOX(ia)) {
			name = internet_address_get_name(ia);
			f->from_address = g_ascii_strdown(
				internet_address_mailbox_get_addr(
					INTERNET_ADDRESS_MAILBOX(ia)), -1);
			break;
		}
	}
	f->from_name = g_utf8_make_valid(name != NULL ? name : "", -1);
	if (f->from_address == NULL)
		f->from_address = g_ascii_strdown(envelope_from, -1);
	if (!g_utf8_validate(f->from_address, -1, NULL)) {
		char *valid = g_utf8_make_valid(f->from_address, -1);

		g_free(f->from_address);
		f->from_address = valid;
	}
	f->date = date != NULL ? g_date_time_to_unix(date) : 0;
	if (date != NULL) {
		f->date_known = true;
		f->date_offset = g_date_time_get_utc_offset(date) /
			G_USEC_PER_SEC;
	}
	f->references_header = g_mime_object_get_header(object, "References");
	f->content_language = g_mime_object_get_header(object,
						       "Content-Language");
	if (body != NULL) {
		GMimePart *text = find_text(config, body, NULL, 0,
					   &parts);

		if (text != NULL) {
			f->snippet = part_snippet(text);
			if (f->content_language == NULL)
				f->content_language = g_mime_object_get_header(
					GMIME_OBJECT(text),
					"Content-Language");
		}
	}
	if (f->snippet == NULL)
		f->snippet = g_strdup("");
	f->copied = g_ptr_array_new_with_free_func(g_free);
	add_mailboxes(f->copied, g_mime_message_get_to(message),
		      config->participants_max);
	add_mailboxes(f->copied, g_mime_message_get_cc(message),
		      config->participants_max);
	g_ptr_array_add(f->copied, NULL);
	headers = g_mime_object_get_header_list(object);
	count = g_mime_header_list_get_count(headers);
	/* the topmost result of a trusted verifier only: it added its
	   own above whatever came from outside */
	for (int i = 0, trusted = 0; i < count && !trusted; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(headers, i);
		bool ours = false;

		if (g_ascii_strcasecmp(g_mime_header_get_name(h),
				       "Authentication-Results") != 0)
			continue;
		f->dmarc_pass = dmarc_pass(g_mime_header_get_value(h),
					   config->trusted_authserv_ids,
					   &ours);
		trusted = ours;
	}
}

void mailmsg_fields_clear(struct mailmsg_fields *f)
{
	if (f->references != NULL)
		g_ptr_array_unref(f->references);
	if (f->copied != NULL)
		g_ptr_array_unref(f->copied);
	g_free(f->subject);
	g_free(f->from_name);
	g_free(f->from_address);
	g_free(f->snippet);
	g_free(f->dmarc_pass);
	memset(f, 0, sizeof(*f));
}

/* The parts of an agent's reply a messenger gets besides its text:
   files and images, not the text's alternatives nor signatures.  Past
   max in all, an attachment is left out (and counted). */
static void collect_attachments(const struct config *config,
				GMimeObject *object, GMimePart *text,
				unsigned int depth, unsigned int *parts,
				size_t max, struct outbox_message *m,
				size_t *total, unsigned int *skipped)
{
	GMimeContentType *type;
	GMimeContentDisposition *disposition;
	GMimeDataWrapper *content;
	GMimeStream *mem;
	GByteArray *bytes;
	struct outbox_attachment *a;
	const char *filename;

	if (depth > config->mime_depth_max ||
	    ++*parts > config->mime_parts_max)
		return;
	if (GMIME_IS_MULTIPART(object)) {
		GMimeMultipart *mp = GMIME_MULTIPART(object);
		int count = g_mime_multipart_get_count(mp);

		for (int i = 0; i < count; i++)
			collect_attachments(config,
					    g_mime_multipart_get_part(mp, i),
					    text, depth + 1, parts, max, m,
					    total, skipped);
		return;
	}
	if (!GMIME_IS_PART(object) || GMIME_PART(object) == text)
		return;
	type = g_mime_object_get_content_type(object);
	disposition = g_mime_object_get_content_disposition(object);
	if ((disposition == NULL ||
	     !g_mime_content_disposition_is_attachment(disposition)) &&
	    g_mime_content_type_is_type(type, "text", "*"))
		return;		/* the text's other form */
	if ((disposition == NULL ||
	     !g_mime_content_disposition_is_attachment(disposition)) &&
	    g_mime_object_get_content_id(object) != NULL)
		return;		/* shown inside the HTML: a logo, a signature
				   image; the chat gets the text only */
	if (g_mime_content_type_is_type(type, "application",
					"pgp-signature") ||
	    g_mime_content_type_is_type(type, "application",
					"pkcs7-signature") ||
	    g_mime_content_type_is_type(type, "application",
					"x-pkcs7-signature"))
		return;
	content = g_mime_part_get_content(GMIME_PART(object));
	if (content == NULL)
		return;
	mem = g_mime_stream_mem_new();
	g_mime_data_wrapper_write_to_stream(content, mem);
	bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	if (*total + bytes->len > max) {
		(*skipped)++;
		g_object_unref(mem);
		return;
	}
	*total += bytes->len;
	a = g_new0(struct outbox_attachment, 1);
	filename = g_mime_part_get_filename(GMIME_PART(object));
	a->filename = filename != NULL ? g_strdup(filename) :
		g_strdup_printf("attachment.%s",
				g_mime_content_type_get_media_subtype(type));
	a->content_type = g_mime_content_type_get_mime_type(type);
	a->data = g_bytes_new(bytes->data, bytes->len);
	g_ptr_array_add(m->attachments, a);
	g_object_unref(mem);
}

struct outbox_message *mailmsg_chat_message(GMimeMessage *message,
					    const struct config *config,
					    size_t attachment_max,
					    unsigned int *skipped_r)
{
	struct outbox_message *m = outbox_message_new();
	GMimeObject *body = g_mime_message_get_mime_part(message);
	GMimePart *plain = NULL, *html = NULL;
	unsigned int parts = 0;
	size_t total = 0;
	char *text = NULL;

	*skipped_r = 0;
	if (body != NULL) {
		plain = find_text(config, body, "plain", 0, &parts);
		parts = 0;
		if (plain == NULL)
			html = find_text(config, body, "html", 0, &parts);
	}
	if (plain != NULL) {
		text = g_mime_text_part_get_text(GMIME_TEXT_PART(plain));
	} else if (html != NULL) {
		char *markup = g_mime_text_part_get_text(GMIME_TEXT_PART(html));

		text = msgtext_from_html(markup != NULL ? markup : "");
		g_free(markup);
	}
	m->text = msgtext_strip(text != NULL ? text : "");
	g_free(text);
	parts = 0;
	if (body != NULL)
		collect_attachments(config, body,
				    plain != NULL ? plain : html, 0, &parts,
				    attachment_max, m, &total, skipped_r);
	return m;
}

char *mailmsg_mailbox(const char *name, const char *address)
{
	InternetAddress *ia = internet_address_mailbox_new(name, address);
	char *text = internet_address_to_string(ia, NULL, TRUE);

	g_object_unref(ia);
	return text;
}

char *mailmsg_unbracket(const char *address)
{
	size_t len = strlen(address);

	if (len >= 2 && address[0] == '<' && address[len - 1] == '>')
		return g_strndup(address + 1, len - 2);
	return g_strdup(address);
}

bool mailmsg_id_usable(const char *id)
{
	const char *at;
	size_t len;

	if (id == NULL || (len = strlen(id)) == 0 || len > 250)
		return false;
	at = strrchr(id, '@');
	if (at == NULL || at == id || at[1] == '\0')
		return false;
	for (const char *p = id; *p != '\0'; p++) {
		if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '<' ||
		    *p == '>')
			return false;
	}
	return g_utf8_validate(id, len, NULL);
}
