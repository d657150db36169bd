#ifndef SHOPDESK_SPOOL_H
#define SHOPDESK_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

/* A spool directory (outbox/, events/) in the manner of Maildir and the
   Postfix queue: a producer writes tmp/KEY, syncs it and renames it into
   new/; the one consumer claims an item by renaming it into cur/, and
   removes it only once its effect is durable.  An item is named by its
   idempotency key, so the same item put twice is one item.  A deferred
   item goes back to new/ with its next-try time as its modification
   time; an item that will never succeed goes to dead/.  A finished item
   leaves its key, emptied, in done/ for a week, so that a producer
   repeating a put after a crash does not make it happen twice.  Items a
   crashed consumer left in cur/ return to new/ when the spool is
   opened. */

struct spool;

struct spool_item {
	char *key;
	char *data;		/* NUL-terminated as well */
	size_t size;
	int64_t not_before;	/* when it became ready: put or deferred to */
};

/* Opens dir, creating tmp/ new/ cur/ dead/ done/ (mode 0770) as
   needed; with consumer set, first moves what cur/ holds back to new/
   and forgets done/ keys older than a week.  Returns 0 or
   -1 with *error_r (g_free it). */
int spool_open(const char *dir, bool consumer, struct spool **spool_r,
	       char **error_r);
void spool_close(struct spool **_spool);

/* Writes an item durably.  key: letters, digits, '.', '-', '_', '@',
   '+', at most 200 bytes.  Returns 1 when written, 0 when an item with
   this key is waiting, in progress, done or dead (nothing written), -1 with
   *error_r (nothing left behind).  Blocks for two fsyncs. */
int spool_put(struct spool *spool, const char *key, const void *data,
	      size_t size, char **error_r);

/* Claims the ready item (not_before passed) that waited longest; of
   items ready in the same second, the one whose key sorts first.  An
   item that cannot be read goes to dead/ (and -1 says why).
   Returns 1 and a new item, 0 when none is ready, -1 with *error_r. */
int spool_claim(struct spool *spool, int64_t now, struct spool_item **item_r,
		char **error_r);

/* The claimed item's effect is durable: empties it into done/.  Frees
   the item. */
int spool_done(struct spool *spool, struct spool_item **_item,
	       char **error_r);

/* Tries the item again not before not_before.  Frees the item. */
int spool_defer(struct spool *spool, struct spool_item **_item,
		int64_t not_before, char **error_r);

/* Gives the item up: it moves to dead/ for an admin to see.  Frees it. */
int spool_bury(struct spool *spool, struct spool_item **_item,
	       char **error_r);

void spool_item_free(struct spool_item **_item);

/* Replaces the claimed item's data durably (write, sync, rename over
   it): a consumer records progress in the item itself, so that a crash
   or a deferral resumes from there.  On success item->data is the new
   data.  Returns 0 or -1 with *error_r; the old data stays on error. */
int spool_update(struct spool *spool, struct spool_item *item,
		 const void *data, size_t size, char **error_r);

enum spool_state {
	SPOOL_WAITING,		/* new/: ready, or deferred to not_before */
	SPOOL_ACTIVE,		/* cur/: claimed by the consumer */
	SPOOL_DEAD,		/* dead/ */
};

struct spool_entry {
	char *key;
	enum spool_state state;
	int64_t not_before;	/* modification time */
	size_t size;
};

/* Lists the items in state whose key starts with prefix ("" for all),
   in no particular order.  Returns a new array of struct spool_entry *
   (g_ptr_array_unref frees it all).  Never fails: an unreadable
   directory lists nothing.  At most one readdir of the folder. */
GPtrArray *spool_list(struct spool *spool, enum spool_state state,
		      const char *prefix);

/* Reads the data of a waiting item without claiming it.  Returns 1 with
   *data_r and *size_r (g_free it), 0 when there is no such waiting item
   (it may have just been claimed), -1 with *error_r. */
int spool_peek(struct spool *spool, const char *key, char **data_r,
	       size_t *size_r, char **error_r);

/* For an admin: a dead or deferred item goes (back) to new/, ready at
   now.  Returns 1 done, 0 when no such dead or waiting item exists (an
   item in progress is left alone), -1 with *error_r. */
int spool_retry(struct spool *spool, const char *key, int64_t now,
		char **error_r);

/* For an admin: a dead or waiting item is given up for good: emptied
   into done/, so that a producer repeating its put does not revive it.
   Returns 1, 0 (no such item, or in progress), -1 with *error_r. */
int spool_drop(struct spool *spool, const char *key, char **error_r);

/* Whether an item with this key waits in new/ or is claimed in cur/. */
bool spool_waiting(struct spool *spool, const char *key);

#endif
