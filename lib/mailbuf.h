#ifndef SHOPDESK_MAILBUF_H
#define SHOPDESK_MAILBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>
#include <gmime/gmime.h>

#include "config.h"

/* One message as it arrives, header by header and chunk by chunk:
   headers kept up to header_max (the first of each essential header
   whatever the size), X-Shopdesk-* headers set aside for stripping, the
   body in memory up to body_memory_max and then in an unlinked file in
   state_dir/tmp, nothing past parse_max; a digest of the content for
   mail without a usable Message-ID.  Memory stays bounded whatever the
   sender sends. */

struct mailbuf {
	GString *headers;	/* "Name: value\r\n", bounded */
	GPtrArray *strip;	/* X-Shopdesk-* names as they came, at
				   most strip_max + 1 */
	unsigned int strip_count;	/* how many came */
	unsigned int subject_count;
	bool has_message_id;
	bool message_id_usable;	/* the first Message-ID's */
	GChecksum *digest;	/* when that is not usable, from the end of
				   the headers on */
	/* private */
	const struct config *config;
	unsigned int essential_kept;
	bool headers_full;
	GByteArray *body;	/* NULL once spilled to body_fd */
	int body_fd;
	size_t body_size;
	bool body_dropped;	/* past parse_max or a failed write */
};

struct mailbuf *mailbuf_new(const struct config *config);
void mailbuf_free(struct mailbuf **_buf);

/* Takes one header, as the MTA passed it. */
void mailbuf_header(struct mailbuf *buf, const char *name, const char *value);

/* The headers are complete: a message without a usable Message-ID
   starts its digest with the envelope sender and the headers. */
void mailbuf_headers_end(struct mailbuf *buf, const char *envelope_from);

/* A digest of a message's content, for mail without a usable
   Message-ID: the envelope sender and the headers, then the body fed
   with g_checksum_update().  g_checksum_free it. */
GChecksum *mailbuf_digest_start(const char *envelope_from,
				const char *headers, size_t size);

/* Takes a chunk of the body; queue_id names the message in log lines
   when the body must be left out (too big, or the disk refused it). */
void mailbuf_body(struct mailbuf *buf, const unsigned char *chunk,
		  size_t size, const char *queue_id);

/* The message as GMime sees it, or only its headers when the body was
   left out or does not parse (logged with queue_id); NULL when not even
   the headers parse.  g_object_unref it. */
GMimeMessage *mailbuf_parse(struct mailbuf *buf, const char *queue_id);

#endif
