#ifndef SHOPDESK_REBUILD_H
#define SHOPDESK_REBUILD_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "config.h"
#include "doveadm.h"
#include "store.h"
#include "token.h"

/* Rebuilding the store from the queue mailboxes (shopdeskctl rebuild):
   the mailbox is the system of record.  Every message the milter filed
   carries its ticket's facts in X-Shopdesk-* headers (pipeline.c) and
   its ticket's status in a keyword (mbsync.c).  The messages are read
   first (rebuild_add_*), then applied in the order the milter filed
   them (rebuild_run): each stamped message recreates what it did to
   its ticket, its history event and the indexes threading reads; a
   message without stamps (it reached the mailbox while shopdesk was
   down) is threaded and filed by intake as if it had just arrived.
   Last, each ticket takes the status its messages' keywords show. */

struct rebuild;

/* What a rebuild read and did. */
struct rebuild_summary {
	unsigned int tickets;		/* in the store afterwards */
	unsigned int messages;		/* read */
	unsigned int applied;		/* recorded in a ticket */
	unsigned int duplicates;	/* copies of a message recorded */
	unsigned int unstamped;		/* threaded anew */
	unsigned int skipped;
	GPtrArray *notes;		/* a line for each message unstamped
					   or skipped, and why (char *) */
};

/* Called now and then while reading (total 0) and applying. */
typedef void rebuild_progress_func_t(const char *phase, unsigned int done,
				     unsigned int total, void *context);

/* config and key are borrowed.  key checks the seal on the stamps
   (stamp.h) and threads mail without them; with trust, stamps count
   without the seal (mail from before seals, a key lost).  now: the
   time the rebuild happens, for the promises that broke meanwhile. */
struct rebuild *rebuild_new(const struct config *config,
			    const struct token_key *key, bool trust,
			    int64_t now, rebuild_progress_func_t *progress,
			    void *progress_context);
void rebuild_free(struct rebuild **_rb);

/* Reads every message of every folder of the Maildir at path (cur/ and
   new/ of the root and of each folder below it, keywords from each
   folder's dovecot-keywords).  Mail without stamps goes to the queue
   its Delivered-To names, else to queue (may be NULL).  Returns 0, or
   -1 with *error_r when path cannot be read at all. */
int rebuild_add_maildir(struct rebuild *rb, const char *queue,
			const char *path, char **error_r);

/* Reads every message of every mailbox of the Dovecot user through the
   doveadm server.  Returns 0, or -1 with *error_r. */
int rebuild_add_doveadm(struct rebuild *rb, struct doveadm *conn,
			const char *user, const char *queue, char **error_r);

/* Applies what was read to store: an empty one, or one restored from
   a backup, which then gets what the mailboxes hold and it lacks (a
   message whose Message-ID the store files in its ticket already is
   not applied again; a ticket the mailboxes show nothing new of is
   left as it is).  Returns 0
   with *summary_r filled (its notes freed by rebuild_free), or -1 with
   *error_r. */
int rebuild_run(struct rebuild *rb, struct store *store,
		const struct rebuild_summary **summary_r, char **error_r);

#endif
