#ifndef SHOPDESK_EVFILE_H
#define SHOPDESK_EVFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The events file: what the Dovecot plugin and shopdesk-bridge put into
   the events spool and mbevent.c reads, one JSON object per file:

     {"version": 1, "user": "ann@shop.test", "service": "imap",
      "time": 1795000000,
      "events": [
        {"type": "keyword", "ticket": "12", "mailbox": "INBOX",
         "uid": 7, "old": "open", "new": "resolved",
         "message_id": "<...>"},
        {"type": "folder", "ticket": "12", "mailbox": "Pending",
         "from": "INBOX", "move": true, "old": "open", "new": "pending",
         "message_id": "<...>"},
        {"type": "expunge", "ticket": "12", "mailbox": "INBOX", "uid": 7,
         "message_id": "<...>"},
        {"type": "delivery", "ticket": "12",
         "message_id": "<the agent's reply>", "channel": "telegram",
         "chat": "777001", "result": "sent", "message_ids": "5001,5002",
         "outbox": "msg.telegram...", "why": "..."}
      ]}

   "ticket" is a ticket number in decimal, as a string; "uid" and "time"
   are numbers, "move" a boolean; "old" and "new" are status names or
   "" (none); every other value is a string of at most EVFILE_VALUE_MAX
   bytes of UTF-8 without control characters: a reader refuses a file
   with any other.  A missing "uid" is 0 (not known), any other missing
   string is "".

   This header is plain C with libc only: the Dovecot plugin, which
   cannot link GLib, compiles it in too. */

#define EVFILE_VERSION 1
#define EVFILE_VALUE_MAX 1024

/* The file's members */
#define EVFILE_FIELD_VERSION "version"
#define EVFILE_FIELD_USER "user"
#define EVFILE_FIELD_SERVICE "service"
#define EVFILE_FIELD_TIME "time"
#define EVFILE_FIELD_EVENTS "events"
/* An event's members */
#define EVFILE_FIELD_TYPE "type"
#define EVFILE_FIELD_TICKET "ticket"
#define EVFILE_FIELD_MAILBOX "mailbox"
#define EVFILE_FIELD_FROM "from"
#define EVFILE_FIELD_MOVE "move"
#define EVFILE_FIELD_UID "uid"
#define EVFILE_FIELD_OLD "old"
#define EVFILE_FIELD_NEW "new"
#define EVFILE_FIELD_MESSAGE_ID "message_id"
#define EVFILE_FIELD_CHANNEL "channel"
#define EVFILE_FIELD_CHAT "chat"
#define EVFILE_FIELD_RESULT "result"
#define EVFILE_FIELD_MESSAGE_IDS "message_ids"
#define EVFILE_FIELD_OUTBOX "outbox"
#define EVFILE_FIELD_WHY "why"

/* The values of "type" */
#define EVFILE_TYPE_KEYWORD "keyword"
#define EVFILE_TYPE_FOLDER "folder"
#define EVFILE_TYPE_EXPUNGE "expunge"
#define EVFILE_TYPE_DELIVERY "delivery"

/* The values of a delivery's "result": sent and dead, the bridge's
   outcome of a message; delivered, read and failed, what the provider
   reported of it later (WhatsApp's statuses, Viber's callbacks) */
#define EVFILE_RESULT_SENT "sent"
#define EVFILE_RESULT_DEAD "dead"
#define EVFILE_RESULT_DELIVERED "delivered"
#define EVFILE_RESULT_READ "read"
#define EVFILE_RESULT_FAILED "failed"

enum evfile_type {
	EVFILE_KEYWORD,		/* a mapped keyword set or removed */
	EVFILE_FOLDER,		/* copied or moved into a mapped folder */
	EVFILE_EXPUNGE,
	EVFILE_DELIVERY,	/* a messenger message's fate */
};

/* One event to write.  A NULL string is written as "".  Which members
   are written depends on the type, as in the example above: a keyword
   event has no "from" or "move", a delivery no "mailbox" or "uid". */
struct evfile_event {
	enum evfile_type type;
	uint32_t ticket;
	const char *mailbox;
	const char *from;	/* folder: where it was copied from */
	bool move;		/* folder: a MOVE, not a COPY */
	uint32_t uid;		/* keyword, expunge; 0: not known */
	const char *old;	/* keyword, folder: status names */
	const char *new_status;
	const char *message_id;	/* with its <> */
	/* delivery: */
	const char *channel, *chat, *result, *message_ids, *outbox, *why;
};

struct evfile {
	const char *user;	/* who did it: the mail user, or the bridge */
	const char *service;	/* imap, lmtp, ...; the bridge's channel */
	int64_t time;		/* when, in seconds since the epoch */
	const struct evfile_event *events;
	size_t count;
};

/* Returns whether value may stand in a string member as it is: at most
   EVFILE_VALUE_MAX bytes, no control characters.  (It does not check
   UTF-8.) */
bool evfile_value_ok(const char *value);

/* Returns the text of an events file holding file, NUL-terminated and
   ending in a newline, in memory from malloc() (free() it); *size_r is
   its length.  Every string is written so that a reader takes it:
   a control character becomes a space, a byte that is not part of
   valid UTF-8 becomes U+FFFD, and a value longer than EVFILE_VALUE_MAX
   bytes then is cut at a character boundary to fit.  Never fails: out
   of memory, it aborts. */
char *evfile_write(const struct evfile *file, size_t *size_r);

#endif
