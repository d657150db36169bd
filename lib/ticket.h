#ifndef SHOPDESK_TICKET_H
#define SHOPDESK_TICKET_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include <json-glib/json-glib.h>

/* The ticket record and its history events, and their storage format.
   Records are GVariant tuples whose first member is a format version, so
   a later release can read what an earlier one wrote. */

enum ticket_status {
	TICKET_NEW,		/* no human reply yet */
	TICKET_OPEN,
	TICKET_PENDING,		/* waiting on the customer */
	TICKET_RESOLVED,
	TICKET_CLOSED,
};

/* Where the ticket stands against the queue's promise (sla.c):
   SLA_NONE before any promise, OK while it runs, WARNED after sla_warn,
   BREACHED once the reply-by passed without a human reply (it stays so
   after a late reply), MET when a human answered in time. */
enum ticket_sla {
	SLA_NONE,
	SLA_OK,
	SLA_WARNED,
	SLA_BREACHED,
	SLA_MET,
};

/* The timers a ticket's record implies (ticket_timers): the store keeps
   an index of them by due time, so that they outlive any process. */
enum ticket_timer_kind {
	TIMER_SLA_WARN = 1,	/* warn_at: the promise is about to break */
	TIMER_SLA_BREACH,	/* promise_by: it broke */
	TIMER_SCHEDULE,		/* resolved_at: compute followup_at and
				   autoclose_at in business time */
	TIMER_FOLLOWUP,		/* followup_at: ask "was it solved?" */
	TIMER_AUTOCLOSE,	/* autoclose_at: close it */
	TIMER_WINDOW,		/* an hour before WhatsApp's 24-hour window
				   for free-form replies closes unanswered */
};
#define TICKET_TIMERS_MAX 5

/* WhatsApp lets a business answer freely for 24 hours after the
   customer's last message. */
#define WHATSAPP_WINDOW (24 * 3600)
#define WHATSAPP_WINDOW_WARNING 3600

struct ticket_timer {
	int64_t due;
	enum ticket_timer_kind kind;
};

/* followup_at or autoclose_at when the queue turned it off */
#define TIMER_OFF INT64_MAX

struct ticket {
	uint32_t id;
	char *queue;		/* [queue NAME] */
	enum ticket_status status;
	char *channel;		/* "email", "telegram", ... */
	char *customer_name;	/* decoded display name, may be "" */
	char *customer_address;	/* lowercased address */
	char *language;		/* "" when unknown */
	char *subject;		/* decoded subject of the first message */
	char *category;		/* "" when none */
	int64_t created;	/* Unix seconds */
	int64_t updated;	/* last message or change */
	int64_t reply_by;	/* 0: not computed */
	int64_t first_reply;	/* 0: no human reply yet */
	char *assignee;		/* "" when nobody */
	GPtrArray *participants;	/* lowercased addresses (char *) */
	uint32_t linked_to;	/* 0, or the closed ticket this one follows */
	uint32_t next_seq;	/* sequence number of the next history event */
	int64_t last_ack;	/* when the last acknowledgement was sent */
	char *ack_id;		/* its Message-ID, "" when none */
	char *ack_for;		/* the Message-ID of the mail it answered */

	/* the promise being watched */
	enum ticket_sla sla;
	bool awaiting;		/* a customer waits for a human reply */
	int64_t promise_by;	/* the current reply-by (the first one is
				   reply_by), 0: none */
	int64_t warn_at;	/* sla_warn of the current promise, 0: none */
	/* after it was resolved */
	int64_t resolved_at;	/* 0 unless status is resolved */
	int64_t followup_at;	/* 0: not computed yet; TIMER_OFF */
	int64_t autoclose_at;	/* 0: not computed yet; TIMER_OFF */
	int64_t followup_sent;	/* 0 unless asked since resolved_at */
	int rating;		/* the customer's latest, 1-5; 0: none */
	bool quiet;		/* RFC 3834 forbade answering the mail that
				   opened it: no follow-up either */
	int64_t last_inbound;	/* the customer's latest message */
	int64_t window_warned;	/* last_inbound when the window's end was
				   told, 0: not */
};

/* One history event: a message in or out, a status change, a note.
   fields is an a{sv} dictionary whose keys depend on the event. */
struct ticket_event {
	uint32_t seq;
	int64_t time;
	char *event;		/* "message", "status", "created", ... */
	GVariant *fields;	/* a{sv}, owned (sunk) */
};

struct ticket *ticket_new(void);
void ticket_free(struct ticket **_ticket);

const char *ticket_status_name(enum ticket_status status);
/* "" for SLA_NONE, then "ok", "warned", "breached", "met". */
const char *ticket_sla_name(enum ticket_sla sla);
const char *ticket_timer_name(enum ticket_timer_kind kind);
/* Sets the status; entering resolved starts the clocks of the
   follow-up and the auto-close (resolved_at = now, their times to be
   computed), leaving it stops them. */
void ticket_set_status(struct ticket *ticket, enum ticket_status status,
		       int64_t now);
/* The ticket's pending timers, at most TICKET_TIMERS_MAX, in *timers_r;
   returns how many.  A timer whose reason is gone (the promise met,
   the ticket no longer resolved) is simply not among them. */
unsigned int ticket_timers(const struct ticket *ticket,
			   struct ticket_timer timers_r[TICKET_TIMERS_MAX]);
/* Past its promise with no human reply yet, and neither resolved nor
   closed: the queue mailbox shows it (mbsync.h). */
bool ticket_overdue(const struct ticket *ticket);
/* Returns 0 and sets *status_r, or -1 for an unknown name. */
int ticket_status_parse(const char *name, enum ticket_status *status_r);

/* Adds address (lowercased) unless already there.  Returns true if it
   was added. */
bool ticket_add_participant(struct ticket *ticket, const char *address);
bool ticket_has_participant(const struct ticket *ticket,
			    const char *address);

/* Serializes to the versioned record format (g_bytes_unref it). */
GBytes *ticket_serialize(const struct ticket *ticket);
/* Parses a record.  Returns 0 and a new ticket, or -1 with *error_r
   (g_free it) for an unknown version or a malformed record. */
int ticket_deserialize(const void *data, size_t size, struct ticket **ticket_r,
		       char **error_r);

/* Makes an event; fields must be an a{sv} (a floating reference is
   sunk), or NULL for none. */
struct ticket_event *ticket_event_new(int64_t time, const char *event,
				      GVariant *fields);
void ticket_event_free(struct ticket_event **_event);
/* A string field of the event, "" when it has none (owned by it) */
const char *ticket_event_string(const struct ticket_event *ev,
				const char *key);
GBytes *ticket_event_serialize(const struct ticket_event *event);
int ticket_event_deserialize(const void *data, size_t size,
			     struct ticket_event **event_r,
			     char **error_r);

/* Formats Unix seconds as ISO 8601 in UTC ("2026-11-22T11:02:53Z"), or
   returns NULL for 0.  g_free the result. */
char *ticket_format_time(int64_t time);

/* The JSON form shopdeskctl shows (DESIGN.md, Interfaces).  With events
   (struct ticket_event *, in order) it adds "messages" and "history";
   with NULL it is the short form used by listings. */
JsonNode *ticket_to_json(const struct ticket *ticket, const GPtrArray *events);

#endif
