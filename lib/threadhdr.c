/* threadhdr.c: Thread-Index and Thread-Topic.  Outlook and Exchange
   group a conversation by the first 22 bytes of Thread-Index and order
   it by the child blocks; deriving the header block from the ticket
   makes every message of a ticket, whoever wrote it, one conversation. */

#include "threadhdr.h"
#include "subject.h"

#include <glib.h>
#include <string.h>

/* 100 ns intervals between 1601-01-01 and 1970-01-01 */
#define FILETIME_EPOCH G_GUINT64_CONSTANT(116444736000000000)

static guint64 filetime(int64_t t)
{
	return (guint64)t * 10000000 + FILETIME_EPOCH;
}

char *threadhdr_index(const char *domain, uint32_t ticket_id, int64_t created,
		      int64_t now)
{
	guint8 buf[27];
	guint64 ft = filetime(created), delta;
	GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
	char *name = g_strdup_printf("shopdesk:%s:%u", domain, ticket_id);
	guint8 digest[32];
	gsize len = sizeof(digest);
	guint32 child;

	/* the header block: reserved byte, FILETIME's 5 high bytes */
	buf[0] = 1;
	for (int i = 0; i < 5; i++)
		buf[1 + i] = (ft >> (56 - 8 * i)) & 0xff;
	g_checksum_update(sum, (const guchar *)name, -1);
	g_checksum_get_digest(sum, digest, &len);
	memcpy(buf + 6, digest, 16);
	/* the child block: bit 0 clear, the time difference in units of
	   2^18 x 100 ns (about 26 ms) in 31 bits, then a zero byte */
	delta = now > created ? (filetime(now) - ft) >> 18 : 0;
	child = (guint32)MIN(delta, G_GUINT64_CONSTANT(0x7fffffff));
	buf[22] = (child >> 24) & 0xff;
	buf[23] = (child >> 16) & 0xff;
	buf[24] = (child >> 8) & 0xff;
	buf[25] = child & 0xff;
	buf[26] = 0;
	g_checksum_free(sum);
	g_free(name);
	return g_base64_encode(buf, sizeof(buf));
}

char *threadhdr_topic(const char *subject, const char *ticket_tag)
{
	return subject_strip(subject, ticket_tag);
}
