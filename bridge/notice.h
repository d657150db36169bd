#ifndef SHOPDESK_BRIDGE_NOTICE_H
#define SHOPDESK_BRIDGE_NOTICE_H

#include "config.h"
#include "outbox.h"
#include "spool.h"

/* Tells the agent by mail that their reply will not reach a messenger
   chat: templates/<lang>/notice-undelivered.txt, from the queue, in
   reply to the agent's mail, put in the outbox as a "mail" item keyed
   "notice.<item key>" (so a crash and a repeat make one notice).
   parts_sent of parts arrived.  Failing, it logs; it never blocks
   beyond the put's fsyncs. */
void notice_undelivered(const struct config *config, struct spool *outbox,
			const char *key, const struct outbox_message *m,
			unsigned int parts_sent, unsigned int parts,
			const char *why);

#endif
