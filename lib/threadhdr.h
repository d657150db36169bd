#ifndef SHOPDESK_THREADHDR_H
#define SHOPDESK_THREADHDR_H

#include <stdint.h>

/* Outlook's threading headers, for mail shopdesk sends or rewrites
   (other clients thread by In-Reply-To and References). */

/* Thread-Index: a 22-byte header block that is the same for every
   message of the ticket (a reserved byte, the ticket's creation time as
   FILETIME, 16 bytes that name the ticket in this domain), then one
   5-byte child block telling the time since creation.  Returns base64
   (g_free it). */
char *threadhdr_index(const char *domain, uint32_t ticket_id, int64_t created,
		      int64_t now);

/* Thread-Topic: the subject without prefixes and tag, as written
   (subject.h).
   g_free the result. */
char *threadhdr_topic(const char *subject, const char *ticket_tag);

#endif
