#ifndef SHOPDESK_STORE_H
#define SHOPDESK_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "ticket.h"

/* The ticket store: a Berkeley DB 5.3 transactional environment in
   state_dir, opened by one process only (shopdesk-milter), recovered at
   every open.  Databases:
     tickets.db    ticket id (big-endian u32) -> ticket record
     history.db    ticket id + sequence (2 x big-endian u32) -> event
     msgid.db      Message-ID (without <>) -> ticket id
     thread.db     sender LF normalized subject -> ticket id (rule 4)
     customer.db   customer address -> latest ticket id
     senders.db    sender address -> times of the acks sent to it
     mailbox.db    ticket id -> its latest status change, until the
                   queue mailbox's keywords show it (store_mailbox_*)
     applied.db    keys of spool items applied but not yet done
     meta.db       "next_id" -> next ticket id; other numbers of the
                   store's own (store_meta_get)
     timers.db     due time + kind -> ticket id: the timers each ticket
                   record implies (ticket_timers), an index Berkeley DB
                   keeps itself whenever a ticket is written
   Every access happens inside store_transaction(), which commits
   durably (fsync of the log) and retries deadlocks.

   Errors come back in *error_r as a new string (g_free it), set only
   when a function returns -1. */

struct store;
struct store_txn;

enum store_flags {
	/* Commit without syncing the log: a crash may lose the last
	   transactions.  Only for filling a database in benchmarks. */
	STORE_NOSYNC = 1 << 0,
};

/* Opens (creating if needed, running recovery) the environment in dir.
   Returns 0, or -1 with *error_r set (g_free it). */
int store_open(const char *dir, enum store_flags flags, struct store **store_r,
	       char **error_r);

/* Checkpoints, closes every database and the environment. */
void store_close(struct store **_store);

/* The pages the store's cache handed out since the store was opened:
   asked for (found in the cache or read into it) in *requested_r, of
   them read from disk in *read_r.  What an operation costs, counted so
   that a benchmark's figure does not depend on the machine.  Returns 0
   or -1. */
int store_cache_stat(struct store *store, uint64_t *requested_r,
		     uint64_t *read_r, char **error_r);

/* A number of the store's own under a name ("report.sales": the day
   of the last report mailed, report-mail.c); "next_id" is taken.
   get returns 1 and sets *value_r, 0 when there is none, or -1; put
   returns 0 or -1. */
int store_meta_get(struct store_txn *txn, const char *name,
		   uint32_t *value_r, char **error_r);
int store_meta_put(struct store_txn *txn, const char *name, uint32_t value,
		   char **error_r);

/* A hot backup: every database and the log files that make them
   consistent, copied into dir (made if missing; an earlier backup there
   replaced) while transactions go on (Berkeley DB's DB_ENV->backup),
   then catastrophic recovery run on the copy, as db_hotbackup does, so
   that dir holds a store of its own.  Returns 0 or -1. */
int store_backup(struct store *store, const char *dir, char **error_r);

/* Checks every database of the store in dir, which no process may have
   open: recovery first, then Berkeley DB's DB->verify of each file, a
   line each appended to report ("tickets.db: ok", or what is wrong).
   Returns how many databases failed (a missing one included), or -1
   with *error_r. */
int store_verify(const char *dir, GString *report, char **error_r);

/* Catastrophic recovery of the store in dir, which no process may have
   open, from every log file there.  With from (a store_backup() copy),
   first: dir's files moved aside into dir/before-recover-TIME, the
   backup copied in, and dir's own logs that continue the backup's put
   back, so that what was committed after the backup comes back too.
   Then every database is verified.  Appends what it did to report.
   Returns 0, or -1 with *error_r. */
int store_recover(const char *dir, const char *from, GString *report,
		  char **error_r);

/* Moves the store's files (databases, logs) in dir, which no process
   may have open, into a new folder dir/before-WHY-TIME, whose path is
   set in *aside_r (g_free it); with no files there, *aside_r is NULL
   and nothing is made.  Returns 0, or -1 with *error_r ("in use" when
   a process has the store open). */
int store_set_aside(const char *dir, const char *why, char **aside_r,
		    char **error_r);

/* A unit of work.  Returns 0 to commit, -1 (with *error_r) to abort.
   It may be called more than once (after a deadlock), so it must keep
   no effects outside the transaction from an earlier call. */
typedef int store_txn_func_t(struct store_txn *txn, void *context,
			     char **error_r);

/* Runs func in a transaction and commits it durably; retries it when
   Berkeley DB picks it as a deadlock victim.  Returns 0, or -1 with
   *error_r set.  Blocks for the fsync of the commit. */
int store_transaction(struct store *store, store_txn_func_t *func,
		      void *context, char **error_r);

/* Reads ticket id.  Returns 1 and a new ticket, 0 if there is none, -1 on
   error. */
int store_ticket_get(struct store_txn *txn, uint32_t id,
		     struct ticket **ticket_r, char **error_r);

/* Writes the ticket (its id must be set).  Returns 0 or -1. */
int store_ticket_put(struct store_txn *txn, const struct ticket *ticket,
		     char **error_r);

/* Gives ticket the next free id and writes it.  Returns 0 or -1. */
int store_ticket_create(struct store_txn *txn, struct ticket *ticket,
			char **error_r);

/* Calls func for every ticket in id order until it returns false.  The
   ticket is freed after the call.  Returns 0 or -1. */
typedef bool store_ticket_func_t(const struct ticket *ticket, void *context);
int store_ticket_foreach(struct store_txn *txn, store_ticket_func_t *func,
			 void *context, char **error_r);

/* Appends event to the ticket's history with the sequence number
   ticket->next_seq, which it advances: the caller must store the ticket
   in the same transaction.  A "status" event also marks the ticket for
   the mailbox (store_mailbox_pending), in the same transaction, so that
   no change of status, by whatever route, escapes the keywords.  Returns
   0 or -1. */
int store_event_append(struct store_txn *txn, struct ticket *ticket,
		       struct ticket_event *event, char **error_r);

/* store_event_append() of a new event (fields as ticket_event_new()
   takes them).  Returns 0 or -1. */
int store_event_add(struct store_txn *txn, struct ticket *ticket,
		    int64_t time, const char *name, GVariant *fields,
		    char **error_r);

/* Returns the ticket's events in order in *events_r (a new array that
   frees its members).  Returns 0 or -1. */
int store_event_list(struct store_txn *txn, uint32_t id, GPtrArray **events_r,
		     char **error_r);

/* Index lookups: return 1 and the ticket id, 0 when absent, -1 on error.
   Puts overwrite.  Keys longer than 4 KiB are stored as their SHA-256. */
int store_msgid_get(struct store_txn *txn, const char *message_id,
		    uint32_t *id_r, char **error_r);
int store_msgid_put(struct store_txn *txn, const char *message_id,
		    uint32_t id, char **error_r);
int store_thread_get(struct store_txn *txn, const char *sender,
		     const char *subject, uint32_t *id_r,
		     char **error_r);
int store_thread_put(struct store_txn *txn, const char *sender,
		     const char *subject, uint32_t id, char **error_r);
int store_customer_get(struct store_txn *txn, const char *address,
		       uint32_t *id_r, char **error_r);
int store_customer_put(struct store_txn *txn, const char *address,
		       uint32_t id, char **error_r);

/* The times (int64_t Unix seconds, oldest first) at which the sender
   was sent an acknowledgement, as last put.  *times_r is always set
   (g_array_unref it), empty when nothing was put.  Returns 0 or -1. */
int store_sender_acks_get(struct store_txn *txn, const char *address,
			  GArray **times_r, char **error_r);
int store_sender_acks_put(struct store_txn *txn, const char *address,
			  const GArray *times, char **error_r);

/* A ticket whose status, or whether it is overdue, the queue mailbox
   does not show yet: seq tells one change from a later one. */
struct store_mailbox_mark {
	uint32_t id;
	uint32_t seq;
};

/* Returns in *marks_r (always set; g_array_unref it) at most max marked
   tickets, in id order.  Returns 0 or -1. */
int store_mailbox_pending(struct store_txn *txn, unsigned int max,
			  GArray **marks_r, char **error_r);

/* The mailbox shows the change mark names: unmarks the ticket, unless
   a later change marked it again meanwhile.  Returns 0 or -1. */
int store_mailbox_done(struct store_txn *txn,
		       const struct store_mailbox_mark *mark,
		       char **error_r);

/* Spool items whose effect is in the store: a consumer puts the item's
   key in the transaction that applies it, and deletes it once the item
   is done, so that an item a crash left in the spool is not applied a
   second time.  get returns 1 when key is there, 0 when not; all
   return -1 on error. */
int store_applied_get(struct store_txn *txn, const char *key,
		      char **error_r);
int store_applied_put(struct store_txn *txn, const char *key,
		      char **error_r);
int store_applied_del(struct store_txn *txn, const char *key,
		      char **error_r);
/* Every key there, in *keys_r (always set; g_ptr_array_unref it): what
   a crash between an item's done and the deletion of its key left.
   Returns 0 or -1. */
int store_applied_list(struct store_txn *txn, GPtrArray **keys_r,
		       char **error_r);

/* A timer in the index. */
struct store_timer {
	int64_t due;
	uint32_t id;
	enum ticket_timer_kind kind;
};

/* Returns in *timers_r (always set; g_array_unref it) at most max timers
   due at or before until, earliest first.  Returns 0 or -1. */
int store_timers_due(struct store_txn *txn, int64_t until, unsigned int max,
		     GArray **timers_r, char **error_r);

#endif
