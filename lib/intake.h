#ifndef SHOPDESK_INTAKE_H
#define SHOPDESK_INTAKE_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "store.h"
#include "thread.h"
#include "token.h"

/* Intake: one inbound message becomes part of a ticket, in one durable
   transaction (threading, the ticket, its history and every index), so
   that when the milter answers end-of-message the ticket exists, and a
   message retried after a crash finds it instead of making another. */

struct intake_message {
	const char *queue_id;	/* Postfix queue id, for the history */
	const char *queue;	/* [queue NAME] of the first branded rcpt */
	const char *channel;	/* "email" or a messenger's name */
	const char *message_id;	/* without <>, or NULL */
	const char *const *references;	/* see struct thread_input */
	const char *const *tokens;	/* see struct thread_input */
	const char *subject;	/* decoded */
	const char *from_name;	/* decoded display name, may be "" */
	const char *from_address;	/* lowercased, may be "" */
	int64_t date;		/* Date: header, 0 if none or unreadable */
	const char *snippet;	/* start of the text, may be "" */
	int64_t now;
	int64_t reply_by;	/* the queue's promise, for a new ticket */
};

struct intake_result {
	struct thread_result thread;
	uint32_t ticket_id;
	bool created;		/* a new ticket was made */
	bool duplicate;		/* nothing written: seen before */
	enum ticket_status status;
	int64_t reply_by;	/* the ticket's reply-by time, 0 if none */
	char queue[64];		/* the ticket's queue name */
};

/* Files msg into its ticket.  Returns 0 with *result_r, or -1 with
   *error_r (nothing was written).  Blocks for the commit's fsync. */
int intake_message(struct store *store, const struct config *config,
		   const struct token_key *key,
		   const struct intake_message *msg,
		   struct intake_result *result_r, const char **error_r);

#endif
