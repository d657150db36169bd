/* mailbuf.c: a message collected as the milter protocol hands it over
   (mailbuf.h), within the configured bounds, then parsed by GMime.  It
   decides nothing about the message. */

#include "mailbuf.h"
#include "log.h"
#include "mailmsg.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#define HEADER_PREFIX "X-Shopdesk-"

struct mailbuf *mailbuf_new(const struct config *config)
{
	struct mailbuf *buf = g_new0(struct mailbuf, 1);

	buf->config = config;
	buf->headers = g_string_new(NULL);
	buf->strip = g_ptr_array_new_with_free_func(g_free);
	buf->body = g_byte_array_new();
	buf->body_fd = -1;
	return buf;
}

void mailbuf_free(struct mailbuf **_buf)
{
	struct mailbuf *buf = *_buf;

	if (buf == NULL)
		return;
	*_buf = NULL;
	g_string_free(buf->headers, TRUE);
	g_ptr_array_unref(buf->strip);
	if (buf->digest != NULL)
		g_checksum_free(buf->digest);
	if (buf->body != NULL)
		g_byte_array_unref(buf->body);
	if (buf->body_fd >= 0)
		close(buf->body_fd);
	g_free(buf);
}

/* Headers that threading and the ticket need.  The first of each is
   kept even past header_max (the milter protocol bounds each value), so
   that a flood of other headers cannot hide the Subject, say, and have
   it replaced by a bare tag. */
static const char *const essential_headers[] = {
	"Subject", "From", "Message-ID", "In-Reply-To", "References", "Date",
	"MIME-Version", "Content-Type", "Content-Transfer-Encoding",
};

static bool first_essential(struct mailbuf *msg, const char *name)
{
	for (unsigned int i = 0; i < G_N_ELEMENTS(essential_headers); i++) {
		if (g_ascii_strcasecmp(name, essential_headers[i]) != 0)
			continue;
		if ((msg->essential_kept & (1u << i)) != 0)
			return false;
		msg->essential_kept |= 1u << i;
		return true;
	}
	return false;
}

void mailbuf_header(struct mailbuf *msg, const char *name, const char *value)
{
	size_t size;

	if (g_ascii_strncasecmp(name, HEADER_PREFIX,
				strlen(HEADER_PREFIX)) == 0) {
		/* Only shopdesk writes these: whatever came from outside is
		   removed at end of message, and not believed meanwhile. */
		if (msg->strip_count++ <= msg->config->strip_max)
			g_ptr_array_add(msg->strip, g_strdup(name));
		return;
	}
	if (g_ascii_strcasecmp(name, "Subject") == 0)
		msg->subject_count++;
	else if (g_ascii_strcasecmp(name, "Message-ID") == 0 &&
		 !msg->has_message_id) {
		char *id = g_mime_utils_decode_message_id(value);

		msg->has_message_id = true;
		msg->message_id_usable = mailmsg_id_usable(id);
		g_free(id);
	}
	size = strlen(name) + strlen(value) + 4;
	if (msg->headers->len + size > msg->config->header_max)
		msg->headers_full = true;	/* keep no more, in order */
	if (!msg->headers_full || first_essential(msg, name)) {
		g_string_append(msg->headers, name);
		g_string_append(msg->headers, ": ");
		g_string_append(msg->headers, value);
		g_string_append(msg->headers, "\r\n");
	}
}

void mailbuf_headers_end(struct mailbuf *buf, const char *envelope_from)
{
	/* A retried message without a usable Message-ID must still find
	   its ticket: it gets an id derived from its content, hashed as the
	   body passes (only then: most mail has a good Message-ID). */
	if (!buf->message_id_usable && buf->digest == NULL)
		buf->digest = mailbuf_digest_start(envelope_from,
						   buf->headers->str,
						   buf->headers->len);
}

GChecksum *mailbuf_digest_start(const char *envelope_from,
				const char *headers, size_t size)
{
	GChecksum *digest = g_checksum_new(G_CHECKSUM_SHA256);

	g_checksum_update(digest, (const guchar *)envelope_from, -1);
	g_checksum_update(digest, (const guchar *)headers, size);
	return digest;
}

/* Moves the body from memory to an unlinked temporary file, so that
   memory does not grow with the size of the message. */
static int spill_body(struct mailbuf *msg, char **error_r)
{
	char *path = g_build_filename(msg->config->state_dir, "tmp",
				      "body.XXXXXX", NULL);
	int fd = g_mkstemp_full(path, O_RDWR | O_CLOEXEC, 0600);

	if (fd < 0) {
		*error_r = g_strdup(g_strerror(errno));
		g_free(path);
		return -1;
	}
	unlink(path);
	g_free(path);
	if (write(fd, msg->body->data, msg->body->len) !=
	    (ssize_t)msg->body->len) {
		*error_r = g_strdup(errno != 0 ? g_strerror(errno) :
				    "short write");
		close(fd);
		return -1;
	}
	g_byte_array_unref(msg->body);
	msg->body = NULL;
	msg->body_fd = fd;
	return 0;
}

static void drop_body(struct mailbuf *msg)
{
	if (msg->body != NULL)
		g_byte_array_set_size(msg->body, 0);
	if (msg->body_fd >= 0) {
		close(msg->body_fd);
		msg->body_fd = -1;
	}
	msg->body_dropped = true;
}
void mailbuf_body(struct mailbuf *msg, const unsigned char *chunk,
		  size_t len, const char *queue_id)
{
	const struct config *config = msg->config;
	char *error = NULL;

	if (msg->digest != NULL)
		g_checksum_update(msg->digest, chunk, len);
	msg->body_size += len;
	if (msg->body_dropped)
		return;
	if (msg->body_size > config->parse_max) {
		log_info("%s: body over parse_max (%zu bytes): ticket from "
			 "headers only", queue_id, config->parse_max);
		drop_body(msg);
		return;
	}
	if (msg->body != NULL) {
		g_byte_array_append(msg->body, chunk, len);
		if (msg->body->len > config->body_memory_max &&
		    spill_body(msg, &error) < 0) {
			log_warning("%s: cannot keep body in %s/tmp: %s; "
				    "ticket from headers only", queue_id,
				    config->state_dir, error);
			g_free(error);
			drop_body(msg);
		}
	} else if (write(msg->body_fd, chunk, len) != (ssize_t)len) {
		log_warning("%s: cannot keep body in %s/tmp: %s; ticket from "
			    "headers only", queue_id, config->state_dir,
			    errno != 0 ? g_strerror(errno) : "short write");
		drop_body(msg);
	}
}

/* The message as GMime sees it: our copy of the headers, a blank line,
   and the body from memory or from the temporary file.  With
   headers_only the body is left out (it was dropped, or a first parse
   failed). */
static GMimeMessage *parse(struct mailbuf *msg, bool headers_only)
{
	GMimeStream *cat = g_mime_stream_cat_new();
	GMimeStream *part;
	GMimeParser *parser;
	GMimeMessage *message;

	part = g_mime_stream_mem_new_with_buffer(
		(const char *)msg->headers->str, msg->headers->len);
	g_mime_stream_cat_add_source(GMIME_STREAM_CAT(cat), part);
	g_object_unref(part);
	part = g_mime_stream_mem_new_with_buffer("\r\n", 2);
	g_mime_stream_cat_add_source(GMIME_STREAM_CAT(cat), part);
	g_object_unref(part);
	if (!headers_only && msg->body != NULL) {
		part = g_mime_stream_mem_new_with_buffer(
			(const char *)msg->body->data, msg->body->len);
		g_mime_stream_cat_add_source(GMIME_STREAM_CAT(cat), part);
		g_object_unref(part);
	} else if (!headers_only && msg->body_fd >= 0) {
		/* the stream starts at the descriptor's offset, which
		   writing left at the end */
		lseek(msg->body_fd, 0, SEEK_SET);
		part = g_mime_stream_fs_new(dup(msg->body_fd));
		g_mime_stream_cat_add_source(GMIME_STREAM_CAT(cat), part);
		g_object_unref(part);
	}
	parser = g_mime_parser_new_with_stream(cat);
	g_object_unref(cat);
	message = g_mime_parser_construct_message(parser, NULL);
	g_object_unref(parser);
	return message;
}

GMimeMessage *mailbuf_parse(struct mailbuf *buf, const char *queue_id)
{
	GMimeMessage *message = parse(buf, buf->body_dropped);

	if (message == NULL) {
		log_info("%s: malformed MIME: ticket from headers only",
			 queue_id);
		message = parse(buf, true);
	}
	return message;
}
