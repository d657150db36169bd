#ifndef SHOPDESK_WORKER_H
#define SHOPDESK_WORKER_H

#include "config.h"
#include "store.h"

/* shopdesk-milter's background threads: what must not run in a milter
   callback.  One applies the events spool (what agents did in their
   mailboxes, mbevent.h), the other keeps the queue mailboxes' keywords
   true (mbsync.h); each looks for work every quarter of a second. */

struct worker;

/* Opens the events spool of config's spool_dir and starts the threads,
   which read the current settings (settings.h) for each ticket.
   Returns 0, or -1 with *error_r (g_free it). */
int worker_start(const struct config *config, struct store *store,
		 struct worker **worker_r, char **error_r);

/* Stops the threads (after their current step) and frees it. */
void worker_stop(struct worker **_worker);

#endif
