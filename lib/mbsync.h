#ifndef SHOPDESK_MBSYNC_H
#define SHOPDESK_MBSYNC_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "ticket.h"

/* Keeps a queue mailbox's keywords true to its tickets: every message of
   a ticket carries the keyword of the ticket's status ([shopdesk]
   keywords) and none of the other statuses' keywords, whoever changed
   the status and by whatever route; and MBSYNC_OVERDUE while the
   ticket is past its promise without a human reply (ticket_overdue). */

#define MBSYNC_OVERDUE "overdue"

enum mbsync_result {
	MBSYNC_DONE,
	MBSYNC_RETRY,		/* Dovecot not reachable, or too slow... */
	MBSYNC_FAILED,		/* will never work: no such user, bad output */
};

/* Finds the ticket's messages in every folder of the Dovecot user
   and sets their keywords (the status's; MBSYNC_OVERDUE on or off as
   overdue says), through the doveadm server on
   config->doveadm_socket, in transactions the plugin is not told of so
   that it makes no events of them.  Messages that already show it all
   are not written.  Sets *changed_r to the number of messages
   changed, and *why_r (g_free it) unless done.  Blocks for a few
   doveadm commands, each bounded by doveadm_timeout. */
enum mbsync_result mbsync_ticket(const struct config *config,
				 const char *user, uint32_t id,
				 enum ticket_status status, bool overdue,
				 unsigned int *changed_r, char **why_r);

#endif
