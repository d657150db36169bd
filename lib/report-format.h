#ifndef SHOPDESK_REPORT_FORMAT_H
#define SHOPDESK_REPORT_FORMAT_H

#include <json-glib/json-glib.h>

/* A report (the JSON object report_handle() answers, doc/reports.md)
   for people and for spreadsheets.  Each returns a new string (g_free
   it). */

/* Plain text: a block a group and the total, replies by agent, the
   load by weekday and hour.  Durations as hours:minutes. */
char *report_text(JsonObject *report);

/* RFC 4180 CSV: a header, a row a group, the total last; the columns
   as doc/reports.md lists them. */
char *report_csv(JsonObject *report);

/* One self-contained HTML page (report-html.c): inline CSS, SVG
   charts with axes, units and legends, each beside the table of its
   numbers; no script and nothing fetched.  Readable on a phone and
   printable. */
char *report_html(JsonObject *report);

#endif
