#ifndef SHOPDESK_DAEMON_H
#define SHOPDESK_DAEMON_H

#include <glib.h>
#include <sys/types.h>

#include "config.h"

/* Starting a daemon the way an admin can trust: one command line and
   one way to its configuration and log for every daemon, and, when
   detaching, the parent waits until the daemon says it is ready or has
   failed, so a startup error shows on the terminal and the exit code
   tells a service manager the truth. */

/* The common start of daemon ident ("shopdesk-milter"): reads its
   command line (-c FILE, -f for the foreground, -p FILE for a pid file
   written once ready and removed at exit; anything else prints the
   usage and exits 2), loads the configuration (refusing to start,
   exit 1, on any error), opens the log and detaches unless -f.  Returns
   the configuration (config_free() it).  Call daemon_ready() or
   daemon_die() next. */
struct config *daemon_start(const char *ident, int argc, char *argv[]);

/* Forks; the parent exits 0 once daemon_ready() is called in the child,
   or 1 with the text of daemon_die().  The child leaves the session and
   the working directory.  Call after log_open(); daemon_start() does. */
void daemon_detach(const char *ident);

/* The account the daemon is to run as: config->user's uid and primary
   gid when it runs as root ("root" keeps root), else its own.  A user
   that does not exist is a startup failure (daemon_die()). */
void daemon_user(const struct config *config, uid_t *uid_r, gid_t *gid_r);

/* Started as root: becomes config->user, with that user's groups and
   no way back to root, or dies (daemon_die()).  Call it once what
   needs root (a socket in a root-owned folder, a low port) is open,
   before any thread starts and before any file is made.  Does nothing
   when the daemon does not run as root (systemd's User=), or when user
   is "root". */
void daemon_drop_privileges(const struct config *config);

/* Ready: writes the pid file (-p), the waiting parent exits 0, and the
   standard descriptors leave the terminal.  Only the pid file in the
   foreground. */
void daemon_ready(void);

/* A startup failure: to the waiting parent if detached, to the log in
   any case; exits 1. */
void daemon_die(const char *fmt, ...) G_GNUC_NORETURN G_GNUC_PRINTF(1, 2);

#endif
