/* evfile.c: writes events files (evfile.h), for the Dovecot plugin and
   for shopdesk-bridge.  It makes whatever it is given into a file that
   mbevent.c's reader takes: the strings are made valid, bounded UTF-8
   here rather than trusted to every caller, because one bad value would
   have the whole file, and every event in it, refused.

   It does not read the files (mbevent.c does, with json-glib) nor put
   them into the spool (the callers do).  Plain C99 and libc only: the
   plugin runs inside Dovecot, which has no GLib. */

#include "evfile.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPLACEMENT "\xef\xbf\xbd"	/* U+FFFD in UTF-8 */

static const char *const type_names[] = {
	[EVFILE_KEYWORD] = EVFILE_TYPE_KEYWORD,
	[EVFILE_FOLDER] = EVFILE_TYPE_FOLDER,
	[EVFILE_EXPUNGE] = EVFILE_TYPE_EXPUNGE,
	[EVFILE_DELIVERY] = EVFILE_TYPE_DELIVERY,
};

struct buf {
	char *data;
	size_t len, size;	/* size > len: room for the NUL */
};

static void append(struct buf *b, const void *data, size_t n)
{
	size_t size = b->size == 0 ? 1024 : b->size;

	if (n >= SIZE_MAX / 2 - b->len)
		abort();
	while (size <= b->len + n)
		size *= 2;
	if (size != b->size) {
		b->data = realloc(b->data, size);
		if (b->data == NULL)
			abort();
		b->size = size;
	}
	memcpy(b->data + b->len, data, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static void append_str(struct buf *b, const char *s)
{
	append(b, s, strlen(s));
}

/* The length of the well-formed UTF-8 character at p (RFC 3629: no
   overlong forms, no surrogates, nothing above U+10FFFF), or 0.  The
   NUL that ends the string is never a continuation byte. */
static size_t utf8_char(const unsigned char *p)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return 0;
	/* the second byte's range is what rules out the bad forms */
	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++) {
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	}
	return n;
}

/* A JSON string whose value, once read, is at most EVFILE_VALUE_MAX
   bytes of UTF-8 without control characters. */
static void append_string(struct buf *b, const char *value)
{
	const unsigned char *p = (const unsigned char *)
		(value != NULL ? value : "");
	size_t used = 0;	/* bytes of the value as it will be read */

	append(b, "\"", 1);
	while (*p != '\0') {
		size_t n = utf8_char(p), out_len, value_len;
		const char *out;

		if (n == 0) {
			out = REPLACEMENT;
			out_len = value_len = 3;
			n = 1;
		} else if (*p < 0x20) {
			/* a line break in a provider's error text reads
			   best as a space */
			out = " ";
			out_len = value_len = 1;
		} else if (*p == '"' || *p == '\\') {
			out = *p == '"' ? "\\\"" : "\\\\";
			out_len = 2;
			value_len = 1;
		} else {
			out = (const char *)p;
			out_len = value_len = n;
		}
		if (used + value_len > EVFILE_VALUE_MAX)
			break;
		used += value_len;
		append(b, out, out_len);
		p += n;
	}
	append(b, "\"", 1);
}

static void append_name(struct buf *b, const char *name)
{
	append(b, ",\"", 2);
	append_str(b, name);
	append(b, "\":", 2);
}

static void string_field(struct buf *b, const char *name, const char *value)
{
	append_name(b, name);
	append_string(b, value);
}

static void append_number(struct buf *b, int64_t value)
{
	char text[32];

	snprintf(text, sizeof(text), "%" PRId64, value);
	append_str(b, text);
}

static void number_field(struct buf *b, const char *name, int64_t value)
{
	append_name(b, name);
	append_number(b, value);
}

static void append_event(struct buf *b, const struct evfile_event *ev)
{
	char ticket[16];

	append_str(b, "{\"" EVFILE_FIELD_TYPE "\":");
	append_string(b, type_names[ev->type]);
	snprintf(ticket, sizeof(ticket), "%" PRIu32, ev->ticket);
	string_field(b, EVFILE_FIELD_TICKET, ticket);
	if (ev->type != EVFILE_DELIVERY)
		string_field(b, EVFILE_FIELD_MAILBOX, ev->mailbox);
	if (ev->type == EVFILE_FOLDER) {
		string_field(b, EVFILE_FIELD_FROM, ev->from);
		append_name(b, EVFILE_FIELD_MOVE);
		append_str(b, ev->move ? "true" : "false");
	}
	if (ev->type == EVFILE_KEYWORD || ev->type == EVFILE_EXPUNGE)
		number_field(b, EVFILE_FIELD_UID, ev->uid);
	if (ev->type == EVFILE_KEYWORD || ev->type == EVFILE_FOLDER) {
		string_field(b, EVFILE_FIELD_OLD, ev->old);
		string_field(b, EVFILE_FIELD_NEW, ev->new_status);
	}
	string_field(b, EVFILE_FIELD_MESSAGE_ID, ev->message_id);
	if (ev->type == EVFILE_DELIVERY) {
		string_field(b, EVFILE_FIELD_CHANNEL, ev->channel);
		string_field(b, EVFILE_FIELD_CHAT, ev->chat);
		string_field(b, EVFILE_FIELD_RESULT, ev->result);
		string_field(b, EVFILE_FIELD_MESSAGE_IDS, ev->message_ids);
		string_field(b, EVFILE_FIELD_OUTBOX, ev->outbox);
		string_field(b, EVFILE_FIELD_WHY, ev->why);
	}
	append(b, "}", 1);
}

bool evfile_value_ok(const char *value)
{
	size_t len = 0;

	for (; value[len] != '\0'; len++) {
		if ((unsigned char)value[len] < 0x20 || len == EVFILE_VALUE_MAX)
			return false;
	}
	return true;
}

char *evfile_write(const struct evfile *file, size_t *size_r)
{
	struct buf b = { NULL, 0, 0 };

	append_str(&b, "{\"" EVFILE_FIELD_VERSION "\":");
	append_number(&b, EVFILE_VERSION);
	string_field(&b, EVFILE_FIELD_USER, file->user);
	string_field(&b, EVFILE_FIELD_SERVICE, file->service);
	number_field(&b, EVFILE_FIELD_TIME, file->time);
	append_name(&b, EVFILE_FIELD_EVENTS);
	append(&b, "[", 1);
	for (size_t i = 0; i < file->count; i++) {
		if (i > 0)
			append(&b, ",", 1);
		append_event(&b, &file->events[i]);
	}
	append_str(&b, "]}\n");
	*size_r = b.len;
	return b.data;
}
