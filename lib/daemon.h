#ifndef SHOPDESK_DAEMON_H
#define SHOPDESK_DAEMON_H

#include <glib.h>

/* Starting a daemon the way an admin can trust: when detaching, the
   parent waits until the daemon says it is ready or has failed, so a
   startup error shows on the terminal and the exit code tells a service
   manager the truth. */

/* Forks; the parent exits 0 once daemon_ready() is called in the child,
   or 1 with the text of daemon_die().  The child leaves the session and
   the working directory.  Call after log_open(). */
void daemon_detach(const char *ident);

/* Ready: the waiting parent exits 0, and the standard descriptors leave
   the terminal.  Does nothing in the foreground. */
void daemon_ready(void);

/* A startup failure: to the waiting parent if detached, to the log in
   any case; exits 1. */
void daemon_die(const char *fmt, ...) G_GNUC_NORETURN G_GNUC_PRINTF(1, 2);

#endif
