#ifndef SHOPDESK_HOURS_H
#define SHOPDESK_HOURS_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

/* The business-hours clock of a queue: a weekly schedule of opening
   intervals in the queue's time zone, minus holidays, and the reply-by
   deadline that an SLA in business time gives.  Wall-clock arithmetic is
   GLib's (GTimeZone, GDateTime), so daylight-saving changes are the
   zone database's. */

struct hours;

/* Parses a schedule, "mon-fri 09:00-13:00,14:00-19:00; sat 10:00-14:00"
   (days: mon tue wed thu fri sat sun, single or as a range, several
   separated by ','; "24:00" ends a day; an interval that ends before it
   starts runs past midnight into the next day; "24/7" is always open),
   in the IANA zone timezone, with holidays as ISO dates separated by ';'
   (may be NULL or "").  Returns 0, or -1 with *error_r (g_free it). */
int hours_parse(const char *schedule, const char *timezone,
		const char *holidays, struct hours **hours_r, char **error_r);

void hours_free(struct hours **_hours);

/* Whether the queue is open at Unix time t. */
bool hours_is_open(const struct hours *hours, int64_t t);

/* The deadline for a message received at Unix time start with the SLA
   sla: "90m", "2h" count open minutes from start; "1d" ("Nd") is the same
   time of day N business days later (a business day has opening hours
   and is no holiday), moved forward to the next opening if that moment
   is closed.  Returns 0 and *deadline_r, or -1 with *error_r (g_free it)
   for a malformed SLA or a schedule that is never open. */
int hours_deadline(const struct hours *hours, int64_t start, const char *sla,
		   int64_t *deadline_r, char **error_r);

/* The moment seconds of open time after start (start itself, or the
   next opening, for 0).  Returns 0, or -1 when the schedule is never
   open. */
int hours_add_open(const struct hours *hours, int64_t start, int64_t seconds,
		   int64_t *t_r);
/* Seconds of open time between from and to. */
int64_t hours_open_seconds(const struct hours *hours, int64_t from,
			   int64_t to);

/* The schedule for people: one line per group as the schedule was
   written, "Mon–Fri 09:00–13:00, 14:00–19:00", with the given day names
   (Monday first).  Returns strings (g_ptr_array_unref it). */
GPtrArray *hours_describe(const struct hours *hours,
			  const char *const day_names[7]);

/* The queue's time zone (owned by hours). */
GTimeZone *hours_timezone(const struct hours *hours);

#endif
