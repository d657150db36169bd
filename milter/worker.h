#ifndef SHOPDESK_WORKER_H
#define SHOPDESK_WORKER_H

#include "config.h"
#include "store.h"

/* shopdesk-milter's background thread: what must not run in a milter
   callback.  It applies the events spool (what agents did in their
   mailboxes, mbevent.h) and keeps the queue mailboxes' keywords true
   (mbsync.h), a quarter of a second apart when idle. */

struct worker;

/* Opens the events spool and starts the thread.  Returns 0, or -1 with
   *error_r (g_free it). */
int worker_start(const struct config *config, struct store *store,
		 struct worker **worker_r, char **error_r);

/* Stops the thread (after its current step) and frees it. */
void worker_stop(struct worker **_worker);

#endif
