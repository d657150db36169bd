#ifndef SHOPDESK_BRIDGE_RECEIPT_H
#define SHOPDESK_BRIDGE_RECEIPT_H

#include <stdint.h>

#include "config.h"
#include "outbox.h"
#include "spool.h"

/* Delivery results into the ticket's history (mbevent.h's "delivery"
   events in the events spool), and the providers' later reports on
   what the bridge sent: WhatsApp's statuses and Viber's callbacks name
   only the provider's message id, so each id sent is recorded, in
   spool_dir/NAME/sent/, with the ticket and the agent's reply it
   carried; a report then finds them there.  Records older than a week
   are forgotten. */

/* Puts one delivery event under event_key (a repeat puts nothing).
   message_id is the agent's reply's, without <> ("" when not known).
   Returns 1 when put, 0 when one with this key was put before (or the
   ticket is 0), -1 with *error_r (g_free it).  Blocks for fsyncs. */
int receipt_event_put(struct spool *events, const char *event_key,
		      const char *channel, uint32_t ticket,
		      const char *message_id, const char *chat,
		      const char *result, const char *ids,
		      const char *outbox, const char *why, char **error_r);

struct receipts;

/* Opens channel's records, its own handles on the events spool and on
   the outbox (for notices).  Returns NULL with *error_r (g_free it). */
struct receipts *receipts_open(const struct config *config,
			       const char *channel, char **error_r);
void receipts_close(struct receipts **_r);

/* Remembers that the provider took part of m as provider_id.  Failing,
   it logs: a later report on it is then only logged. */
void receipts_record(struct receipts *r, const char *provider_id,
		     const struct outbox_message *m);

/* A provider's report on provider_id: status "delivered", "read" or
   "failed" (why says what failed).  Puts the delivery event; for
   "failed" the agent gets a notice too (notice.h).  Returns 1 when the
   id was known, 0 when not (logged), -1 when the event could not be
   put (try again: the provider resends). */
int receipts_status(struct receipts *r, const char *provider_id,
		    const char *status, const char *why);

/* Tells m's agent by mail that its text did not reach the customer
   (notice.h), keyed "notice.KEY". */
void receipts_notice(struct receipts *r, const char *key,
		     const struct outbox_message *m, const char *why);

#endif
