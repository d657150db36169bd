#ifndef SHOPDESK_INTAKE_H
#define SHOPDESK_INTAKE_H

#include <stdbool.h>
#include <stdint.h>

#include "command.h"
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
	const char *from_address;	/* the sender, lowercased, may be "" */
	const char *const *participants;	/* others the customer's mail
						   went to (To, Cc), not the
						   shop's, lowercased,
						   NULL-terminated, or NULL */
	int64_t date;		/* Date: header, 0 if none or unreadable */
	const char *snippet;	/* start of the text, may be "" */
	const char *language;	/* for a new ticket: the customer's */
	const char *category;	/* for a new ticket, "" when none */
	int64_t now;
	int64_t reply_by;	/* the queue's promise, for a new ticket */
	int64_t warn_at;	/* its warning (sla.h), 0 for none */
	int64_t next_reply_by;	/* the promise when the customer writes
				   again after an answer */
	int64_t next_warn_at;
	bool ack_wanted;	/* the queue acknowledges and RFC 3834 lets
				   this message be answered */
	const char *ack_to;	/* where an ack goes: the envelope sender
				   (RFC 3834, 4), lowercased */
	bool no_reopen;		/* a bounce, an out-of-office reply or a
				   bare thank-you: filed, reopens nothing */
	bool quiet;		/* RFC 3834 forbids answering it: a ticket
				   it opens gets no follow-up */
	bool stop;		/* the customer asks for no more automatic
				   mail: their ticket gets none from now */
	int rating;		/* its words are a rating 1-5, else 0 */
	int solved;		/* or say solved (1), not solved (0), else
				   -1 (ack_rating()) */
};

struct intake_result {
	struct thread_result thread;
	uint32_t ticket_id;
	bool created;		/* a new ticket was made */
	bool duplicate;		/* nothing written: seen before */
	enum ticket_status status;
	int64_t reply_by;	/* the ticket's reply-by time, 0 if none */
	char queue[64];		/* the ticket's queue name */
	int64_t ticket_created;	/* the ticket's creation time */
	char language[8];	/* the ticket's, "" when unknown */
	char category[32];	/* the ticket's, "" when none */
	char channel[16];	/* the ticket's: "email", "telegram"... */
	uint32_t seq;		/* the message's event in the history */
	int64_t promise_by;	/* the promise being watched, 0 if none */
	char assignee[128];	/* the ticket's, "" when nobody */
	uint32_t linked_to;	/* the closed ticket it follows, or 0 */
	/* the answer to "was it solved?" this message gave: its csat
	   event's score (0: none) and solved ("yes", "no", ""); rated
	   tells whether there was one */
	bool rated;
	int rating;
	const char *solved;
	/* The acknowledgement to send: its Message-ID (without <>), or ""
	   for none, and then why not (static, NULL when none was wanted).
	   A duplicate of the message that was acknowledged gets the same
	   Message-ID again, so that an ack lost in a crash is sent. */
	char ack_id[128];
	const char *ack_skipped;
};

/* Files msg into its ticket and decides its acknowledgement: one when
   the ticket is created, and when the customer reopens it at most one
   per ack_reopen_period; per sender at most ack_burst within
   ack_burst_period and ack_daily_max a day (config.h).  Returns 0 with
   *result_r, or -1 with *error_r (nothing was written).  Blocks for the commit's fsync. */
int intake_message(struct store *store, const struct config *config,
		   const struct token_key *key,
		   const struct intake_message *msg,
		   struct intake_result *result_r, char **error_r);

/* An agent's mail (authenticated, or a listed address from a trusted
   network; intake does not check). */
struct intake_reply {
	const char *queue_id;
	const char *message_id;		/* without <>, or NULL */
	const char *const *references;	/* see struct thread_input */
	const char *const *tokens;	/* see struct thread_input */
	const char *subject;		/* decoded */
	const char *agent;		/* SASL login or address */
	const char *to;			/* the customers it goes to, ", "
					   separated */
	bool note;			/* internal: to the queue alone, or
					   #note */
	const struct command_list *commands;	/* may be NULL */
	int64_t now;
};

/* Files an agent's mail into the ticket it answers (token, References,
   or the tag, which counts from agents whoever the participants are):
   a reply to the customer is recorded as outbound, sets the first
   reply time once, keeps or misses the promise and makes a new or open
   ticket pending (waiting on the customer); a note is recorded as
   such.  Then the commands act:
   status, assignee, category, each change in the history with the
   agent's name.  Mail
   that names no ticket, or a closed one, is no reply: result_r's
   ticket_id is 0 and nothing is written.  Returns 0, or -1 with
   *error_r.  Blocks for the commit's fsync. */
int intake_reply(struct store *store, const struct config *config,
		 const struct token_key *key, const struct intake_reply *reply,
		 struct intake_result *result_r, char **error_r);

#endif
