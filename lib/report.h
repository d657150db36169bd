#ifndef SHOPDESK_REPORT_H
#define SHOPDESK_REPORT_H

#include <json-glib/json-glib.h>

#include "config.h"
#include "spool.h"
#include "store.h"

/* Reports for the shop manager, computed from the tickets' histories
   alone, as doc/reports.md defines every figure, so that a report can
   be checked against `show --json` of every ticket. */

enum report_by {
	REPORT_BY_QUEUE,
	REPORT_BY_AGENT,
	REPORT_BY_CHANNEL,
	REPORT_BY_CATEGORY,
	REPORT_BY_LANGUAGE,
	REPORT_BY_DAY,
	REPORT_BY_WEEK,
};

/* The names of --by, in enum order, NULL-terminated */
extern const char *const report_by_names[];

/* Returns 0 and sets *by_r, or -1 for an unknown name. */
int report_by_parse(const char *name, enum report_by *by_r);

/* Reads a date, YYYY-MM-DD from 1970 to 9998, into *date_r.  Returns
   0, or -1 when it is not one. */
int report_date_parse(const char *text, GDate *date_r);
/* And writes one so (g_free it). */
char *report_date_text(const GDate *date);

/* Answers the control request
     report from=YYYY-MM-DD to=YYYY-MM-DD by=B [queue=Q]
   with the report's JSON (doc/reports.md), or {"error": ...}.  Reads
   the store in short transactions of a few hundred tickets each, so
   that mail arriving meanwhile waits at most for one of them; the
   queues' clocks are config's. */
JsonNode *report_handle(struct store *store, const struct config *config,
			const char *request);

/* report-mail.c: each queue whose report_every is due and report_to
   not empty gets its report by mail, once per due day, through the
   outbox.  Called from the milter's timers thread, every round:
   sent_days (g_str_hash, keys g_free'd) remembers between calls the
   days known sent, so that the store is read only when a day falls
   due.  Returns 0, or -1 with *error_r (the next call tries again). */
int report_mail_run(struct store *store, const struct config *config,
		    struct spool *outbox, GHashTable *sent_days, int64_t now,
		    char **error_r);

#endif
