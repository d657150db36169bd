#ifndef SHOPDESK_BRIDGE_MESSENGER_H
#define SHOPDESK_BRIDGE_MESSENGER_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "outbox.h"

/* What the outbox worker (main.c) needs of a messenger channel; each
   provider's file (telegram.c, whatsapp.c, viber.c) fills one.  A
   message is sent in parts (text pieces within the provider's limit,
   then one part per attachment); the worker records each part's
   provider id in the item before the next, so that a retry sends only
   what is missing.  The pace of calls is the channel's provider.h
   layer's, its inbound side (webhook or poll thread) inbound.h's. */

struct provider;
struct provider_rules;
struct inbound;
struct inbound_rules;

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

struct messenger_ops {
	/* The channel's rules for its share of the channel layer. */
	const struct provider_rules *provider;
	const struct inbound_rules *inbound;
	/* How many parts the message has. */
	unsigned int (*parts)(void *impl, const struct outbox_message *m);
	/* Sends part number part (0-based); blocks.  Fills *out (clear it
	   with messenger_outcome_clear()). */
	void (*send)(void *impl, const struct outbox_message *m,
		     unsigned int part, struct send_outcome *out);
	void (*free)(void *impl);
};

struct messenger {
	const char *name;	/* [channel NAME] */
	void *impl;
	const struct messenger_ops *ops;
	struct provider *provider;	/* the pace of its calls */
	struct inbound *inbound;	/* customers' messages in */
};

/* Channel ch, whose own code is impl (ops->free frees it, at once when
   this fails): makes its provider layer (ops->provider; headers,
   NULL-terminated or NULL, are copied) and its inbound side
   (ops->inbound, impl its context), and stores them in *provider_r and
   *inbound_r, impl's, for the channel to use.  The messenger owns them,
   and stops inbound before it frees impl.  Returns NULL with *error_r
   (g_free it) when the inbound side cannot be made. */
struct messenger *messenger_new(const struct config *config,
				const struct config_channel *ch, void *impl,
				const struct messenger_ops *ops,
				const char *const *headers,
				struct provider **provider_r,
				struct inbound **inbound_r, char **error_r);
void messenger_free(struct messenger **_m);

void messenger_outcome_clear(struct send_outcome *out);

#endif
