#ifndef SHOPDESK_NOTICE_H
#define SHOPDESK_NOTICE_H

#include <stdbool.h>
#include <stdint.h>
#include <json-glib/json-glib.h>

#include "config.h"
#include "outbox.h"
#include "spool.h"

/* Bounce-style notices to agents: a plain-text mail from the queue,
   rendered from templates/<lang>/<name>, that leaves through the outbox
   like every mail shopdesk writes (null envelope sender,
   Auto-Submitted), so that nothing answers it automatically; it names
   its ticket (the tag, X-Shopdesk-Ticket). */

struct notice {
	const struct config_queue *queue;	/* From: its name, address */
	const char *to;			/* the agent's address */
	uint32_t ticket;
	const char *subject;		/* the ticket's tag is added unless
					   it is there */
	const char *in_reply_to;	/* the agent's mail, without <>; NULL
					   or "" for none */
	const char *reply_to;		/* where the agent's answer goes:
					   the customer, or NULL */
	bool urgent;			/* marked high priority */
	const char *message_id;		/* the notice's own, without <>: the
					   same on a repeat */
	const char *language;		/* NULL: config's default_language */
	const char *template_name;	/* "notice-unknown.txt" */
	JsonNode *data;			/* an object; notice_build() sets its
					   member "ticket" ({id, tag}) */
};

/* Renders n's template in its language, or in "en" when that fails,
   and builds the mail.  Returns the outbox "mail" item (outbox.h) to
   put in the outbox (g_free it), or NULL with *error_r (g_free it) when
   neither template renders.  Blocks for no I/O but the template's
   read. */
char *notice_build(const struct config *config, const struct notice *n,
		   char **error_r);

/* Tells the agent by mail that their reply will not reach a messenger
   chat (notice-undelivered.txt), in reply to the agent's mail, put in
   the outbox keyed "notice.<key>" (so a crash and a repeat make one
   notice).  parts_sent of parts arrived.  Failing, it logs; it never
   blocks beyond the put's fsyncs. */
void notice_undelivered(const struct config *config, struct spool *outbox,
			const char *key, const struct outbox_message *m,
			unsigned int parts_sent, unsigned int parts,
			const char *why);

#endif
