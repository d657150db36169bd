#ifndef SHOPDESK_DAEMON_H
#define SHOPDESK_DAEMON_H

#include <glib.h>

#include "config.h"

/* Starting a daemon the way an admin can trust: one command line and
   one way to its configuration and log for every daemon, and, when
   detaching, the parent waits until the daemon says it is ready or has
   failed, so a startup error shows on the terminal and the exit code
   tells a service manager the truth. */

/* The common start of daemon ident ("shopdesk-milter"): reads its
   command line (-c FILE, -f for the foreground; anything else prints
   the usage and exits 2), loads the configuration (refusing to start,
   exit 1, on any error), opens the log and detaches unless -f.  Returns
   the configuration (config_free() it).  Call daemon_ready() or
   daemon_die() next. */
struct config *daemon_start(const char *ident, int argc, char *argv[]);

/* Forks; the parent exits 0 once daemon_ready() is called in the child,
   or 1 with the text of daemon_die().  The child leaves the session and
   the working directory.  Call after log_open(); daemon_start() does. */
void daemon_detach(const char *ident);

/* Ready: the waiting parent exits 0, and the standard descriptors leave
   the terminal.  Does nothing in the foreground. */
void daemon_ready(void);

/* A startup failure: to the waiting parent if detached, to the log in
   any case; exits 1. */
void daemon_die(const char *fmt, ...) G_GNUC_NORETURN G_GNUC_PRINTF(1, 2);

#endif
