#ifndef SHOPDESK_STORE_BACKEND_H
#define SHOPDESK_STORE_BACKEND_H

#include "store.h"

/* What a store backend implements: the functions of store.h, which
   store.c dispatches through the handles below.  Berkeley DB
   (store-bdb.c) is the embedded default; another backend (PostgreSQL,
   for several mail hosts sharing one desk) fills in the same table.
   Each function behaves as its store.h namesake says.  A backend's
   store and transaction begin with these structs and are cast back
   inside the backend. */

struct store {
	const struct store_backend *backend;
};

struct store_txn {
	const struct store_backend *backend;
};

struct store_backend {
	const char *name;
	int (*open)(const char *where, enum store_flags flags,
		    struct store **store_r, char **error_r);
	void (*close)(struct store **_store);
	int (*cache_stat)(struct store *store, uint64_t *requested_r,
			  uint64_t *read_r, char **error_r);
	int (*transaction)(struct store *store, store_txn_func_t *func,
			   void *context, char **error_r);
	int (*ticket_get)(struct store_txn *txn, uint32_t id,
			  struct ticket **ticket_r, char **error_r);
	int (*ticket_put)(struct store_txn *txn, const struct ticket *ticket,
			  char **error_r);
	int (*ticket_create)(struct store_txn *txn, struct ticket *ticket,
			     char **error_r);
	int (*ticket_foreach)(struct store_txn *txn, store_ticket_func_t *func,
			      void *context, char **error_r);
	int (*event_append)(struct store_txn *txn, struct ticket *ticket,
			    struct ticket_event *event, char **error_r);
	int (*event_list)(struct store_txn *txn, uint32_t id,
			  GPtrArray **events_r, char **error_r);
	int (*msgid_get)(struct store_txn *txn, const char *message_id,
			 uint32_t *id_r, char **error_r);
	int (*msgid_put)(struct store_txn *txn, const char *message_id,
			 uint32_t id, char **error_r);
	int (*thread_get)(struct store_txn *txn, const char *sender,
			  const char *subject, uint32_t *id_r,
			  char **error_r);
	int (*thread_put)(struct store_txn *txn, const char *sender,
			  const char *subject, uint32_t id,
			  char **error_r);
	int (*customer_get)(struct store_txn *txn, const char *address,
			    uint32_t *id_r, char **error_r);
	int (*customer_put)(struct store_txn *txn, const char *address,
			    uint32_t id, char **error_r);
	int (*sender_acks_get)(struct store_txn *txn, const char *address,
			       GArray **times_r, char **error_r);
	int (*sender_acks_put)(struct store_txn *txn, const char *address,
			       const GArray *times, char **error_r);
	int (*mailbox_pending)(struct store_txn *txn, unsigned int max,
			       GArray **marks_r, char **error_r);
	int (*mailbox_done)(struct store_txn *txn,
			    const struct store_mailbox_mark *mark,
			    char **error_r);
	int (*meta_get)(struct store_txn *txn, const char *name,
			uint32_t *value_r, char **error_r);
	int (*meta_put)(struct store_txn *txn, const char *name,
			uint32_t value, char **error_r);
	int (*applied_get)(struct store_txn *txn, const char *key,
			   char **error_r);
	int (*applied_put)(struct store_txn *txn, const char *key,
			   char **error_r);
	int (*applied_del)(struct store_txn *txn, const char *key,
			   char **error_r);
	int (*timers_due)(struct store_txn *txn, int64_t until,
			  unsigned int max, GArray **timers_r,
			  char **error_r);
	int (*applied_list)(struct store_txn *txn, GPtrArray **keys_r,
			    char **error_r);
	int (*backup)(struct store *store, const char *dir, char **error_r);
	/* of a store no process has open: no handle */
	int (*verify)(const char *where, GString *report, char **error_r);
	int (*set_aside)(const char *where, const char *why, char **aside_r,
			 char **error_r);
	int (*recover)(const char *where, const char *from, GString *report,
		       char **error_r);
};

/* The Berkeley DB backend. */
extern const struct store_backend store_bdb_backend;

#endif
