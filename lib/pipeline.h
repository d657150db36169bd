#ifndef SHOPDESK_PIPELINE_H
#define SHOPDESK_PIPELINE_H

#include <stdbool.h>
#include <stdint.h>
#include <gio/gio.h>
#include <gmime/gmime.h>

#include "config.h"
#include "plan.h"
#include "store.h"
#include "token.h"

/* The mail pipeline: one message, as the milter collected it, becomes a
   plan (plan.h).  An inbound customer mail is threaded and filed by
   intake (one store transaction), acknowledged through an outbox item
   and stamped with X-Shopdesk-* headers and the tag; an agent's reply
   is filed, rewritten to come from the queue and copied to the queue
   mailbox; its recipients in a messenger's domain become outbox
   messages for the bridge.  Everything here may block for the store's
   commit; nothing touches the network or starts a process. */

struct pipeline;

/* Reads what every message needs: each queue's business hours, the
   templates and their languages, the categories, the trusted networks.
   config, store and key must outlive the pipeline.  Returns 0, or -1
   with *error_r (g_free it). */
int pipeline_open(const struct config *config, struct store *store,
		  const struct token_key *key, struct pipeline **pipeline_r,
		  char **error_r);
void pipeline_close(struct pipeline **_pipeline);

/* Who is an agent: a SASL login, when agents is empty or lists it (as
   it is or as login@domain); without a login, the envelope sender when
   agents lists it and client is in trusted_networks.  Never anything in
   the headers.  Returns the login or the lowercased address (g_free
   it), or NULL: such mail is ordinary mail. */
char *pipeline_agent(const struct pipeline *pipeline, const char *login,
		     GInetAddress *client, const char *sender);

/* One message as the milter saw it. */
struct pipeline_mail {
	const char *queue_id;		/* Postfix's, for logs and history */
	const char *envelope_from;	/* without <> */
	const char *agent;		/* pipeline_agent()'s, or NULL */
	const struct config_queue *queue;	/* of the first branded
						   recipient, or NULL */
	const char *queue_rcpt;		/* that recipient */
	const char *const *customers;	/* other recipients, lowercased,
					   NULL-terminated */
	const char *const *customer_rcpts;	/* the same as the MTA gave
						   them */
	const char *const *tokens;	/* extensions of branded recipients,
					   lowercased, NULL-terminated */
	const char *const *strip;	/* X-Shopdesk-* header names as they
					   came, in order */
	unsigned int strip_count;
	unsigned int strip_total;	/* how many came (strip holds at most
					   strip_max + 1 of them) */
	bool local;			/* local submission (the bridge) */
	bool has_message_id;		/* a Message-ID header came */
	unsigned int subject_count;	/* Subject headers that came */
	const char *headers;		/* the headers kept, "Name: value\r\n" */
	size_t headers_size;
	const char *digest;		/* of the whole content, when the
					   milter computed one, or NULL */
	GMimeMessage *message;		/* NULL when not even the headers
					   parse */
	int64_t now;
};

/* Decides what becomes of the message and files it in the store.
   Returns a plan (plan_free it); its failure says when the store or the
   message failed us.  Blocks for the store's commit. */
struct plan *pipeline_run(struct pipeline *pipeline,
			  const struct pipeline_mail *mail);

#endif
