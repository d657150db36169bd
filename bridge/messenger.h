#ifndef SHOPDESK_BRIDGE_MESSENGER_H
#define SHOPDESK_BRIDGE_MESSENGER_H

#include <stdbool.h>
#include <stdint.h>

#include "outbox.h"

/* What the outbox worker (main.c) needs of a messenger channel; each
   provider's file (telegram.c, whatsapp.c, viber.c) fills one.  A message is sent in parts (text pieces within the provider's
   limit, then one part per attachment); the worker records each part's
   provider id in the item before the next, so that a retry sends only
   what is missing. */

enum send_result {
	SEND_OK,
	SEND_RETRY,		/* later: network, 5xx, rate limit */
	SEND_FAILED,		/* never: chat gone, bot blocked */
};

struct send_outcome {
	enum send_result result;
	char *message_id;	/* SEND_OK: the provider's id */
	int64_t retry_after;	/* SEND_RETRY: seconds the provider asked
				   for, 0 to use the worker's backoff */
	char *why;		/* otherwise: for the log and the notice */
	bool finished;		/* SEND_OK: this part ends the message, the
				   rest is not to be sent (WhatsApp's
				   template in place of a text) */
};

struct messenger {
	const char *name;	/* [channel NAME] */
	void *impl;
	/* How many parts the message has. */
	unsigned int (*parts)(void *impl, const struct outbox_message *m);
	/* Sends part number part (0-based); blocks.  Fills *out (clear it
	   with messenger_outcome_clear()). */
	void (*send)(void *impl, const struct outbox_message *m,
		     unsigned int part, struct send_outcome *out);
	/* Microseconds to wait before the next call for chat (the
	   provider's pace), 0 for none. */
	int64_t (*wait)(void *impl, const char *chat);
	/* Inbound: start and stop receiving customers' messages (a thread
	   of the channel's own).  start returns 0, or -1 with *error_r
	   (g_free it) when it cannot listen. */
	int (*start)(void *impl, char **error_r);
	void (*stop)(void *impl);
	void (*free)(void *impl);
};

void messenger_outcome_clear(struct send_outcome *out);
void messenger_free(struct messenger **_m);

#endif
