#ifndef SHOPDESK_TIMERS_H
#define SHOPDESK_TIMERS_H

#include <stdint.h>

#include "config.h"
#include "spool.h"
#include "store.h"

/* The desk's sense of time: fires the timers the store's index holds
   (ticket.h, enum ticket_timer_kind) once each.

   A timer fires in one store transaction that checks its reason still
   holds (the ticket's record still implies it), records the firing in
   the history and changes the ticket so that it no longer implies the
   timer; a mail it sends is put in the outbox first, inside that
   transaction, under a key made of the ticket, the kind and the due
   time.  A crash before the commit fires it again after the restart,
   and the outbox, which keeps every key it has seen for a week, takes
   the same mail once: each timer fires exactly once, however late. */

struct timers;

/* config, store and outbox must outlive it.  Returns 0, or -1 with
   *error_r (g_free it) when a queue's hours do not parse. */
int timers_open(const struct config *config, struct store *store,
		struct spool *outbox, struct timers **timers_r,
		char **error_r);
void timers_close(struct timers **_timers);

/* Fires at most max timers due at now or earlier, earliest first, and
   says how many fired in *fired_r.  A timer that fails (the store, the
   outbox, a template) is logged and stays due, to be tried again at
   the next run; the others go on.  Returns 0, or -1 with *error_r when
   the index cannot be read. */
int timers_run(struct timers *timers, int64_t now, unsigned int max,
	       unsigned int *fired_r, char **error_r);

#endif
