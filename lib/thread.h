#ifndef SHOPDESK_THREAD_H
#define SHOPDESK_THREAD_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "store.h"
#include "token.h"

/* Threading: which ticket a message belongs to (DESIGN.md, "Threading,
   in order").  Pure decision over the store's indexes; it writes
   nothing. */

enum thread_rule {
	THREAD_RULE_DUPLICATE,	/* this very Message-ID was seen before */
	THREAD_RULE_TOKEN,	/* 1: sales+TOKEN@ with a valid MAC */
	THREAD_RULE_REFERENCES,	/* 2: In-Reply-To / References */
	THREAD_RULE_TAG,	/* 3: [TAG #N] from a participant */
	THREAD_RULE_SUBJECT,	/* 4: same sender, same subject, window */
	THREAD_RULE_MESSENGER,	/* 5: the customer's open messenger ticket */
	THREAD_RULE_NEW,	/* 6: none of the above */
};

struct thread_input {
	const char *message_id;	/* without <>, or NULL */
	/* Message-IDs without <>, NULL-terminated, most telling first:
	   In-Reply-To, then References from last to first. */
	const char *const *references;
	/* Extensions of branded recipients ("12k9f3..."), NULL-terminated. */
	const char *const *tokens;
	const char *subject;	/* decoded, may be "" */
	const char *sender;	/* lowercased address, may be "" */
	const char *channel;	/* "email", or the messenger's name */
	int64_t now;		/* Unix seconds */
	bool agent;		/* an agent: the tag names a ticket whoever
				   the participants are */
	bool bounce;		/* a null envelope sender: it is filed
				   where its References point, never
				   reopens anything */
};

struct thread_result {
	enum thread_rule rule;
	uint32_t ticket_id;	/* 0: make a new ticket */
	uint32_t linked_to;	/* for a new ticket: the one it follows */
	/* Why a ticket that was named was not used (static text), or
	   NULL: "closed", "sender is not a participant". */
	const char *note;
};

/* Decides the ticket for a message inside the caller's transaction.
   Returns 0 with *result_r filled, or -1 on a store error. */
int thread_resolve(struct store_txn *txn, const struct config *config,
		   const struct token_key *key, const struct thread_input *in,
		   struct thread_result *result_r, char **error_r);

/* "duplicate", "token", "references", "tag", "subject", "messenger",
   "new". */
const char *thread_rule_name(enum thread_rule rule);

#endif
