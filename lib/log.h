#ifndef SHOPDESK_LOG_H
#define SHOPDESK_LOG_H

#include <stdbool.h>
#include <glib.h>

/* Logging in Postfix's manner: one line per event, to syslog facility
   mail, or to stderr when the program runs in the foreground.  Lines
   about a message start with the Postfix queue id ("4Xh2...: ticket=12"). */

/* Opens the log.  ident names the program ("shopdesk-milter"); with
   foreground set, lines go to stderr with a timestamp instead of syslog.
   Never fails. */
void log_open(const char *ident, bool foreground);

/* Write one line at the given severity.  Never blocks longer than a
   syslog(3) call. */
void log_info(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
void log_warning(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
void log_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

#endif
