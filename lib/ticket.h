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
