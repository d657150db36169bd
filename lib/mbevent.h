#ifndef SHOPDESK_MBEVENT_H
#define SHOPDESK_MBEVENT_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "store.h"
#include "ticket.h"

/* Mailbox events: what agents did to ticket mail in their mail client,
   as the Dovecot plugin writes them into the events spool, one events
   file (evfile.h, which defines the format) per committed mail
   transaction: a keyword set or removed, a copy or move into a status
   folder, an expunge.

   A keyword event's "new" is empty when a keyword was only removed:
   the ticket goes back to open if it had the removed status ("old").
   An expunge is history only, never a status.

   shopdesk-bridge writes files of the same form ("user":
   "shopdesk-bridge", "service": the channel) with delivery events of
   messenger messages, history only as well: "result" "sent" or "dead"
   with the provider's "message_ids" and the "outbox" item; or, when a
   provider reports later on a message it took (WhatsApp's statuses,
   Viber's callbacks), "delivered", "read" or "failed", "message_ids"
   the provider's id it reports on, "outbox" empty.  Their "message_id"
   is the agent's reply's. */

enum mbevent_type {
	MBEVENT_KEYWORD,
	MBEVENT_FOLDER,
	MBEVENT_EXPUNGE,
	MBEVENT_DELIVERY,
};

struct mbevent {
	enum mbevent_type type;
	uint32_t ticket;
	char *mailbox;
	char *from;		/* folder: where it came from, else "" */
	bool move;
	uint32_t uid;		/* 0 when not known */
	char *message_id;	/* "" when not known */
	bool has_old, has_new;
	enum ticket_status old, new_status;
	/* delivery: */
	char *channel, *chat, *result, *message_ids, *outbox, *why;
};

struct mbevent_file {
	char *user;		/* the IMAP user who did it */
	char *service;
	int64_t time;
	GPtrArray *events;	/* struct mbevent * */
};

/* Reads an events file.  Returns 0 and a new file, or -1 with *error_r
   (g_free it) when it is not JSON, not version 1, or an event lacks a
   field or has a bad one: such a file is never partly applied. */
int mbevent_parse(const char *data, size_t size, struct mbevent_file **file_r,
		  char **error_r);
void mbevent_file_free(struct mbevent_file **_file);

/* Applies the file's events to their tickets in one transaction, unless
   the spool item key was applied already (store_applied_*): a status
   event sets the status and records who did it where; an expunge is
   recorded.  Logs one line per event.  Returns 0, or -1 with *error_r
   (g_free it; nothing applied). */
int mbevent_apply(struct store *store, const struct mbevent_file *file,
		  const char *key, int64_t now, char **error_r);

/* After the spool item is done: forgets its key.  Returns 0, or -1 with
   *error_r (g_free it). */
int mbevent_forget(struct store *store, const char *key,
		   char **error_r);

#endif
