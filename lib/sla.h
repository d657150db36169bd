#ifndef SHOPDESK_SLA_H
#define SHOPDESK_SLA_H

#include <stdint.h>
#include <glib.h>

#include "config.h"
#include "hours.h"

/* The queue's promise in business time: the reply-by time of a message
   and when to warn that it is about to break.

   warn is "N%" (the warning comes after N% of the open time to the
   reply-by has passed, 1-99), a duration of open time before the
   reply-by ("30m", "2h", as sla_first_reply counts them), or "off". */

/* Checks warn.  Returns 0, or -1 with *error_r (g_free it). */
int sla_warn_check(const char *warn, char **error_r);

/* The promise for a message received at start: *promise_by_r (the
   reply-by time) and *warn_at_r (0 for no warning: warn is "off", or
   the promise is shorter than the warning).  Returns 0, or -1 with
   *error_r for an SLA hours_deadline() refuses. */
int sla_promise(const struct hours *hours, const char *sla, const char *warn,
		int64_t start, int64_t *promise_by_r, int64_t *warn_at_r,
		char **error_r);

/* The business hours of every [queue]: *table_r maps the queue's name
   (borrowed from config) to its struct hours, freed with the table.
   Returns 0, or -1 with *error_r naming the queue. */
int sla_queue_hours(const struct config *config, GHashTable **table_r,
		    char **error_r);

#endif
