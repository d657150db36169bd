/* store.c: the store interface (store.h) dispatched to its backend
   (store-backend.h).  store_open() opens the embedded Berkeley DB
   backend; everything else goes where the store or transaction came
   from.  No storage logic lives here. */

#include "store-backend.h"

int store_open(const char *dir, enum store_flags flags, struct store **store_r,
	       char **error_r)
{
	return store_bdb_backend.open(dir, flags, store_r, error_r);
}

int store_meta_get(struct store_txn *txn, const char *name,
		   uint32_t *value_r, char **error_r)
{
	return txn->backend->meta_get(txn, name, value_r, error_r);
}

int store_meta_put(struct store_txn *txn, const char *name, uint32_t value,
		   char **error_r)
{
	return txn->backend->meta_put(txn, name, value, error_r);
}

int store_backup(struct store *store, const char *dir, char **error_r)
{
	return store->backend->backup(store, dir, error_r);
}

int store_verify(const char *dir, GString *report, char **error_r)
{
	return store_bdb_backend.verify(dir, report, error_r);
}

int store_recover(const char *dir, const char *from, GString *report,
		  char **error_r)
{
	return store_bdb_backend.recover(dir, from, report, error_r);
}

int store_set_aside(const char *dir, const char *why, char **aside_r,
		    char **error_r)
{
	return store_bdb_backend.set_aside(dir, why, aside_r, error_r);
}

void store_close(struct store **_store)
{
	if (*_store != NULL)
		(*_store)->backend->close(_store);
}

int store_cache_stat(struct store *store, uint64_t *requested_r,
		     uint64_t *read_r, char **error_r)
{
	return store->backend->cache_stat(store, requested_r, read_r,
					  error_r);
}

int store_transaction(struct store *store, store_txn_func_t *func,
		      void *context, char **error_r)
{
	return store->backend->transaction(store, func, context, error_r);
}

int store_ticket_get(struct store_txn *txn, uint32_t id,
		     struct ticket **ticket_r, char **error_r)
{
	return txn->backend->ticket_get(txn, id, ticket_r, error_r);
}

int store_ticket_put(struct store_txn *txn, const struct ticket *ticket,
		     char **error_r)
{
	return txn->backend->ticket_put(txn, ticket, error_r);
}

int store_ticket_create(struct store_txn *txn, struct ticket *ticket,
			char **error_r)
{
	return txn->backend->ticket_create(txn, ticket, error_r);
}

int store_ticket_foreach(struct store_txn *txn, store_ticket_func_t *func,
			 void *context, char **error_r)
{
	return txn->backend->ticket_foreach(txn, func, context, error_r);
}

int store_event_append(struct store_txn *txn, struct ticket *ticket,
		       struct ticket_event *event, char **error_r)
{
	return txn->backend->event_append(txn, ticket, event, error_r);
}

int store_event_add(struct store_txn *txn, struct ticket *ticket,
		    int64_t time, const char *name, GVariant *fields,
		    char **error_r)
{
	struct ticket_event *event = ticket_event_new(time, name, fields);
	int ret = store_event_append(txn, ticket, event, error_r);

	ticket_event_free(&event);
	return ret;
}

int store_event_list(struct store_txn *txn, uint32_t id, GPtrArray **events_r,
		     char **error_r)
{
	return txn->backend->event_list(txn, id, events_r, error_r);
}

int store_msgid_get(struct store_txn *txn, const char *message_id,
		    uint32_t *id_r, char **error_r)
{
	return txn->backend->msgid_get(txn, message_id, id_r, error_r);
}

int store_msgid_put(struct store_txn *txn, const char *message_id, uint32_t id,
		    char **error_r)
{
	return txn->backend->msgid_put(txn, message_id, id, error_r);
}

int store_thread_get(struct store_txn *txn, const char *sender,
		     const char *subject, uint32_t *id_r, char **error_r)
{
	return txn->backend->thread_get(txn, sender, subject, id_r, error_r);
}

int store_thread_put(struct store_txn *txn, const char *sender,
		     const char *subject, uint32_t id, char **error_r)
{
	return txn->backend->thread_put(txn, sender, subject, id, error_r);
}

int store_customer_get(struct store_txn *txn, const char *address,
		       uint32_t *id_r, char **error_r)
{
	return txn->backend->customer_get(txn, address, id_r, error_r);
}

int store_customer_put(struct store_txn *txn, const char *address, uint32_t id,
		       char **error_r)
{
	return txn->backend->customer_put(txn, address, id, error_r);
}

int store_sender_acks_get(struct store_txn *txn, const char *address,
			  GArray **times_r, char **error_r)
{
	return txn->backend->sender_acks_get(txn, address, times_r, error_r);
}

int store_sender_acks_put(struct store_txn *txn, const char *address,
			  const GArray *times, char **error_r)
{
	return txn->backend->sender_acks_put(txn, address, times, error_r);
}

int store_mailbox_pending(struct store_txn *txn, unsigned int max,
			  GArray **marks_r, char **error_r)
{
	return txn->backend->mailbox_pending(txn, max, marks_r, error_r);
}

int store_mailbox_done(struct store_txn *txn,
		       const struct store_mailbox_mark *mark,
		       char **error_r)
{
	return txn->backend->mailbox_done(txn, mark, error_r);
}

int store_timers_due(struct store_txn *txn, int64_t until, unsigned int max,
		     GArray **timers_r, char **error_r)
{
	return txn->backend->timers_due(txn, until, max, timers_r, error_r);
}

int store_applied_get(struct store_txn *txn, const char *key,
		      char **error_r)
{
	return txn->backend->applied_get(txn, key, error_r);
}

int store_applied_put(struct store_txn *txn, const char *key,
		      char **error_r)
{
	return txn->backend->applied_put(txn, key, error_r);
}

int store_applied_del(struct store_txn *txn, const char *key,
		      char **error_r)
{
	return txn->backend->applied_del(txn, key, error_r);
}

int store_applied_list(struct store_txn *txn, GPtrArray **keys_r,
		       char **error_r)
{
	return txn->backend->applied_list(txn, keys_r, error_r);
}
