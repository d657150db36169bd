/* store-bdb.c: the ticket store's Berkeley DB 5.3 backend, the embedded
   default (store.h describes the databases; store-backend.h the
   interface it implements).  All access goes through one transaction
   function, the one place that begins, commits, aborts and retries
   transactions.  The
   environment is private to one process (its regions live in the
   process's memory, DB_PRIVATE): a lock file keeps a second process
   out, so running recovery at every open is safe.

   It does not decide anything about tickets: threading and intake use
   these reads and writes inside their own transactions. */

#include "store-backend.h"
#include "log.h"

#include <db.h>
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#define STORE_DEADLOCK_RETRIES 20
#define STORE_KEY_MAX 4096
#define STORE_CACHE_BYTES (32 * 1024 * 1024)
#define STORE_CHECKPOINT_KBYTES 4096

struct bdb_store {
	struct store base;	/* first: what store.c sees */
	char *dir;
	enum store_flags flags;
	/* Transactions hold it shared; reopening after a panic holds it
	   exclusively. */
	GRWLock lock;
	unsigned int generation;	/* counts reopenings */
	gint panicked;		/* atomic: set by any transaction's thread */
	DB_ENV *env;
	int lock_fd;
	DB *tickets;
	DB *history;
	DB *msgid;
	DB *thread;
	DB *customer;
	DB *senders;
	DB *mailbox;
	DB *applied;
	DB *meta;
	DB *timers;		/* secondary of tickets */
};

struct bdb_txn {
	struct store_txn base;	/* first: what store.c sees */
	struct bdb_store *store;
	DB_TXN *txn;
	bool deadlock;
};

static int db_failed(struct bdb_txn *t, int ret, char **error_r)
{
	if (ret == DB_LOCK_DEADLOCK || ret == DB_LOCK_NOTGRANTED)
		t->deadlock = true;
	if (ret == DB_RUNRECOVERY)
		g_atomic_int_set(&t->store->panicked, 1);
	*error_r = g_strdup(db_strerror(ret));
	return -1;
}

static void store_errcall(const DB_ENV *env, const char *prefix,
			  const char *message)
{
	log_error("store: %s", message);
}

static int open_db(struct bdb_store *store, DB **db_r, const char *file,
		   char **error_r)
{
	DB *db;
	int ret;

	if ((ret = db_create(&db, store->env, 0)) != 0) {
		*error_r = g_strdup_printf("db_create: %s", db_strerror(ret));
		return -1;
	}
	ret = db->open(db, NULL, file, NULL, DB_BTREE,
		       DB_CREATE | DB_AUTO_COMMIT | DB_THREAD, 0600);
	if (ret != 0) {
		*error_r = g_strdup_printf("open %s: %s", file,
					   db_strerror(ret));
		db->close(db, 0);
		return -1;
	}
	*db_r = db;
	return 0;
}

/* timers.db's keys: the due time (big-endian, so that keys sort by
   it) and the kind. */
#define TIMER_KEY_SIZE 9

static void timer_key(guint8 buf[TIMER_KEY_SIZE], int64_t due,
		      enum ticket_timer_kind kind)
{
	guint64 be = GUINT64_TO_BE((guint64)due);

	memcpy(buf, &be, 8);
	buf[8] = (guint8)kind;
}

/* Berkeley DB calls it for every ticket written (DB->associate): the
   keys of the timers the record implies.  Memory it hands back is
   freed by Berkeley DB with free(). */
static int timer_keys(DB *secondary, const DBT *key, const DBT *data,
		      DBT *result)
{
	struct ticket_timer timers[TICKET_TIMERS_MAX];
	struct ticket *ticket;
	char *error = NULL;
	unsigned int n;
	DBT *keys;

	if (ticket_deserialize(data->data, data->size, &ticket, &error) < 0) {
		g_free(error);	/* ticket_get says it to whoever reads it */
		return DB_DONOTINDEX;
	}
	n = ticket_timers(ticket, timers);
	ticket_free(&ticket);
	if (n == 0)
		return DB_DONOTINDEX;
	keys = calloc(n, sizeof(*keys));
	if (keys == NULL)
		return ENOMEM;
	for (unsigned int i = 0; i < n; i++) {
		keys[i].data = malloc(TIMER_KEY_SIZE);
		if (keys[i].data == NULL) {
			while (i-- > 0)
				free(keys[i].data);
			free(keys);
			return ENOMEM;
		}
		timer_key(keys[i].data, timers[i].due, timers[i].kind);
		keys[i].size = TIMER_KEY_SIZE;
		keys[i].flags = DB_DBT_APPMALLOC;
	}
	memset(result, 0, sizeof(*result));
	result->data = keys;
	result->size = n;
	result->flags = DB_DBT_MULTIPLE | DB_DBT_APPMALLOC;
	return 0;
}

/* Opens timers.db and ties it to tickets.db; DB_CREATE fills it from
   the tickets when it is new (a store written before timers were). */
static int open_timers(struct bdb_store *store, char **error_r)
{
	DB_TXN *txn = NULL;
	DB *db;
	int ret;

	if ((ret = db_create(&db, store->env, 0)) != 0) {
		*error_r = g_strdup_printf("db_create: %s", db_strerror(ret));
		return -1;
	}
	if ((ret = db->set_flags(db, DB_DUPSORT)) != 0 ||
	    (ret = db->open(db, NULL, "timers.db", NULL, DB_BTREE,
			    DB_CREATE | DB_AUTO_COMMIT | DB_THREAD,
			    0600)) != 0) {
		*error_r = g_strdup_printf("open timers.db: %s",
					   db_strerror(ret));
		db->close(db, 0);
		return -1;
	}
	store->timers = db;
	if ((ret = store->env->txn_begin(store->env, NULL, &txn, 0)) != 0 ||
	    (ret = store->tickets->associate(store->tickets, txn, db,
					     timer_keys, DB_CREATE)) != 0 ||
	    (ret = txn->commit(txn, 0)) != 0) {
		if (txn != NULL && ret != 0)
			txn->abort(txn);
		*error_r = g_strdup_printf("index timers.db: %s",
					   db_strerror(ret));
		return -1;
	}
	return 0;
}

/* Every database of the store, tickets.db first */
static const struct {
	const char *file;
	glong handle;		/* of its DB * in struct bdb_store */
} databases[] = {
	{ "tickets.db", G_STRUCT_OFFSET(struct bdb_store, tickets) },
	{ "history.db", G_STRUCT_OFFSET(struct bdb_store, history) },
	{ "msgid.db", G_STRUCT_OFFSET(struct bdb_store, msgid) },
	{ "thread.db", G_STRUCT_OFFSET(struct bdb_store, thread) },
	{ "customer.db", G_STRUCT_OFFSET(struct bdb_store, customer) },
	{ "senders.db", G_STRUCT_OFFSET(struct bdb_store, senders) },
	{ "mailbox.db", G_STRUCT_OFFSET(struct bdb_store, mailbox) },
	{ "applied.db", G_STRUCT_OFFSET(struct bdb_store, applied) },
	{ "meta.db", G_STRUCT_OFFSET(struct bdb_store, meta) },
	{ "timers.db", G_STRUCT_OFFSET(struct bdb_store, timers) },
};

static void env_close(struct bdb_store *store)
{
	/* the secondary, timers.db, before its primary */
	for (unsigned int i = G_N_ELEMENTS(databases); i-- > 0;) {
		DB **db = G_STRUCT_MEMBER_P(store, databases[i].handle);

		if (*db != NULL)
			(*db)->close(*db, 0);
		*db = NULL;
	}
	if (store->env != NULL)
		store->env->close(store->env, 0);
	store->env = NULL;
}

static int lock_dir(const char *dir, int *fd_r, char **error_r)
{
	char *path = g_build_filename(dir, "store.lock", NULL);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0) {
		*error_r = g_strdup_printf("open %s: %s", path,
					   g_strerror(errno));
		g_free(path);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		*error_r = g_strdup_printf("%s: the store is in use by another "
					   "process", path);
		close(fd);
		g_free(path);
		return -1;
	}
	g_free(path);
	*fd_r = fd;
	return 0;
}

/* Opens the environment and the databases, running recovery.  Returns
   0, or -1 with *error_r (g_free it) and everything closed again. */
static int env_open(struct bdb_store *store, char **error_r)
{
	int ret;

	if ((ret = db_env_create(&store->env, 0)) != 0) {
		*error_r = g_strdup_printf("db_env_create: %s",
					   db_strerror(ret));
		store->env = NULL;
		return -1;
	}
	store->env->set_errcall(store->env, store_errcall);
	store->env->set_lk_detect(store->env, DB_LOCK_DEFAULT);
	store->env->set_cachesize(store->env, 0, STORE_CACHE_BYTES, 1);
	store->env->set_lk_max_locks(store->env, 20000);
	store->env->set_lk_max_objects(store->env, 20000);
	store->env->log_set_config(store->env, DB_LOG_AUTO_REMOVE, 1);
	if ((store->flags & STORE_NOSYNC) != 0)
		store->env->set_flags(store->env, DB_TXN_NOSYNC, 1);
	ret = store->env->open(store->env, store->dir,
			       DB_CREATE | DB_INIT_LOCK | DB_INIT_LOG |
			       DB_INIT_MPOOL | DB_INIT_TXN | DB_RECOVER |
			       DB_THREAD | DB_PRIVATE, 0600);
	if (ret != 0) {
		*error_r = g_strdup_printf("open environment %s: %s",
					   store->dir, db_strerror(ret));
		env_close(store);
		return -1;
	}
	for (unsigned int i = 0; i < G_N_ELEMENTS(databases); i++) {
		DB **db = G_STRUCT_MEMBER_P(store, databases[i].handle);

		if (databases[i].handle == G_STRUCT_OFFSET(struct bdb_store,
							   timers))
			continue;	/* after tickets.db, tied to it */
		if (open_db(store, db, databases[i].file, error_r) < 0) {
			env_close(store);
			return -1;
		}
	}
	if (open_timers(store, error_r) < 0) {
		env_close(store);
		return -1;
	}
	return 0;
}

static void bdb_free(struct bdb_store *store)
{
	if (store->env != NULL && !g_atomic_int_get(&store->panicked))
		store->env->txn_checkpoint(store->env, 0, 0, 0);
	env_close(store);
	if (store->lock_fd >= 0)
		close(store->lock_fd);
	g_rw_lock_clear(&store->lock);
	g_free(store->dir);
	g_free(store);
}

static int bdb_open(const char *dir, enum store_flags flags,
		    struct store **store_r, char **error_r)
{
	struct bdb_store *store;

	if (g_mkdir_with_parents(dir, 0700) < 0) {
		*error_r = g_strdup_printf("mkdir %s: %s", dir,
					   g_strerror(errno));
		return -1;
	}
	store = g_new0(struct bdb_store, 1);
	store->base.backend = &store_bdb_backend;
	store->dir = g_strdup(dir);
	store->flags = flags;
	g_rw_lock_init(&store->lock);
	store->lock_fd = -1;
	if (lock_dir(dir, &store->lock_fd, error_r) < 0 ||
	    env_open(store, error_r) < 0) {
		bdb_free(store);
		return -1;
	}
	*store_r = &store->base;
	return 0;
}

static void bdb_close(struct store **_store)
{
	bdb_free((struct bdb_store *)*_store);
	*_store = NULL;
}

static int bdb_cache_stat(struct store *_store, uint64_t *requested_r,
			  uint64_t *read_r, char **error_r)
{
	struct bdb_store *store = (struct bdb_store *)_store;
	DB_MPOOL_STAT *stat = NULL;
	int ret = -1;

	g_rw_lock_reader_lock(&store->lock);
	if (store->env == NULL)
		*error_r = g_strdup("the store could not be reopened");
	else if ((ret = store->env->memp_stat(store->env, &stat, NULL,
					      0)) != 0)
		*error_r = g_strdup_printf("memp_stat: %s",
					   db_strerror(ret));
	g_rw_lock_reader_unlock(&store->lock);
	if (ret != 0)
		return -1;
	*requested_r = (uint64_t)stat->st_cache_hit + stat->st_cache_miss;
	*read_r = stat->st_page_in;
	free(stat);
	return 0;
}

/* After Berkeley DB panics (the disk filled up under its log, say),
   every operation fails until the environment is opened again, which
   runs recovery.  The first transaction to find it so does that, with
   every other transaction held off; if it fails too (still no space),
   the next transaction tries again. */
static void reopen_after_panic(struct bdb_store *store, unsigned int generation)
{
	char *error = NULL;

	g_rw_lock_writer_lock(&store->lock);
	if (store->generation == generation) {
		log_warning("store: environment %s failed; running recovery",
			    store->dir);
		env_close(store);
		if (env_open(store, &error) < 0) {
			log_error("store: %s", error);
			g_free(error);
		} else {
			g_atomic_int_set(&store->panicked, 0);
			log_info("store: recovered %s", store->dir);
		}
		store->generation++;
	}
	g_rw_lock_writer_unlock(&store->lock);
}

/* One attempt: 0 committed, -1 failed; *deadlock_r says whether it may
   be tried again. */
static int transaction_once(struct bdb_store *store, store_txn_func_t *func,
			    void *context, bool *deadlock_r,
			    char **error_r)
{
	struct bdb_txn t = {
		.base.backend = &store_bdb_backend,
		.store = store,
	};
	int ret;

	*deadlock_r = false;
	if (store->env == NULL) {
		*error_r = g_strdup("the store could not be reopened");
		return -1;
	}
	ret = store->env->txn_begin(store->env, NULL, &t.txn, 0);
	if (ret != 0)
		return db_failed(&t, ret, error_r);
	if (func(&t.base, context, error_r) < 0) {
		t.txn->abort(t.txn);
		*deadlock_r = t.deadlock;
		return -1;
	}
	ret = t.txn->commit(t.txn, 0);
	if (ret != 0)
		return db_failed(&t, ret, error_r);
	store->env->txn_checkpoint(store->env, STORE_CHECKPOINT_KBYTES, 0, 0);
	return 0;
}

static int bdb_transaction(struct store *_store, store_txn_func_t *func,
			   void *context, char **error_r)
{
	struct bdb_store *store = (struct bdb_store *)_store;
	unsigned int generation;
	bool deadlock, broken = false;
	char *error = NULL;
	int ret = -1;

	for (unsigned int attempt = 0; attempt < STORE_DEADLOCK_RETRIES;
	     attempt++) {
		char *attempt_error = NULL;

		g_rw_lock_reader_lock(&store->lock);
		generation = store->generation;
		ret = transaction_once(store, func, context, &deadlock,
				       &attempt_error);
		/* the latest attempt's error is the one reported */
		if (attempt_error != NULL) {
			g_free(error);
			error = attempt_error;
		}
		/* read under the lock: only a reopening changes env */
		broken = ret < 0 && (g_atomic_int_get(&store->panicked) ||
				     store->env == NULL);
		g_rw_lock_reader_unlock(&store->lock);
		if (ret == 0 || !deadlock)
			break;
		/* Let the winner finish before trying again; the wait
		   grows with each loss. */
		g_usleep(1000 * (attempt + 1));
	}
	if (broken)
		reopen_after_panic(store, generation);
	if (ret < 0)
		*error_r = error != NULL ? error :
			g_strdup("transaction lost too many deadlocks");
	else
		g_free(error);
	return ret;
}

/* Room for a long key's stand-in: a 0 byte (which no text key begins
   with) and the key's SHA-256. */
struct long_key {
	guint8 bytes[1 + 32];
};

/* Points dbt at a key.  A key over STORE_KEY_MAX bytes (a hostile
   Message-ID, say) is stored as its digest, in *buf: cutting it instead
   would make keys that differ only past the cut one key. */
static void dbt_key(DBT *dbt, const void *data, size_t size,
		    struct long_key *buf)
{
	memset(dbt, 0, sizeof(*dbt));
	dbt->data = (void *)data;
	dbt->size = size;
	if (size > STORE_KEY_MAX) {
		GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
		gsize len = sizeof(buf->bytes) - 1;

		g_checksum_update(sum, data, size);
		buf->bytes[0] = 0;
		g_checksum_get_digest(sum, buf->bytes + 1, &len);
		g_checksum_free(sum);
		dbt->data = buf->bytes;
		dbt->size = sizeof(buf->bytes);
	}
}

static void dbt_out(DBT *dbt)
{
	memset(dbt, 0, sizeof(*dbt));
	dbt->flags = DB_DBT_MALLOC;
}

static void id_key(guint8 buf[4], uint32_t id)
{
	uint32_t be = GUINT32_TO_BE(id);

	memcpy(buf, &be, 4);
}

static uint32_t id_value(const DBT *dbt)
{
	uint32_t be;

	if (dbt->size != 4)
		return 0;
	memcpy(&be, dbt->data, 4);
	return GUINT32_FROM_BE(be);
}

/* Reads an id-valued record: the shape of every index.  Takes the write
   lock at once (DB_RMW), because the caller usually writes next and a
   read lock upgraded later is what deadlocks. */
static int get_id(struct bdb_txn *t, DB *db, const void *key, size_t size,
		  uint32_t *id_r, char **error_r)
{
	struct long_key long_key;
	DBT k, v;
	int ret;

	dbt_key(&k, key, size, &long_key);
	dbt_out(&v);
	ret = db->get(db, t->txn, &k, &v, DB_RMW);
	if (ret == DB_NOTFOUND)
		return 0;
	if (ret != 0)
		return db_failed(t, ret, error_r);
	*id_r = id_value(&v);
	free(v.data);
	if (*id_r == 0) {
		*error_r = g_strdup("index record is damaged");
		return -1;
	}
	return 1;
}

static int put_id(struct bdb_txn *t, DB *db, const void *key, size_t size,
		  uint32_t id, char **error_r)
{
	struct long_key long_key;
	guint8 buf[4];
	DBT k, v;
	int ret;

	id_key(buf, id);
	dbt_key(&k, key, size, &long_key);
	dbt_key(&v, buf, sizeof(buf), NULL);
	ret = db->put(db, t->txn, &k, &v, 0);
	if (ret != 0)
		return db_failed(t, ret, error_r);
	return 0;
}

static int bdb_ticket_get(struct store_txn *txn, uint32_t id,
			  struct ticket **ticket_r, char **error_r)
{
	struct bdb_txn *t = (struct bdb_txn *)txn;
	guint8 key[4];
	DBT k, v;
	int ret;

	id_key(key, id);
	dbt_key(&k, key, sizeof(key), NULL);
	dbt_out(&v);
	ret = t->store->tickets->get(t->store->tickets, t->txn, &k, &v,
				     DB_RMW);
	if (ret == DB_NOTFOUND)
		return 0;
	if (ret != 0)
		return db_failed(t, ret, error_r);
	ret = ticket_deserialize(v.data, v.size, ticket_r, error_r);
	free(v.data);
	return ret < 0 ? -1 : 1;
}

/* A ticket that becomes overdue or stops being so is marked for its
   mailbox, as a status change is (bdb_event_append). */
static int bdb_ticket_put(struct store_txn *txn, const struct ticket *ticket,
			  char **error_r)
{
	struct bdb_txn *t = (struct bdb_txn *)txn;
	GBytes *record = ticket_serialize(ticket);
	struct ticket *old = NULL;
	guint8 key[4];
	gsize size;
	bool remark;
	DBT k, v;
	int ret;

	g_assert(ticket->id != 0);
	ret = bdb_ticket_get(txn, ticket->id, &old, error_r);
	if (ret < 0) {
		g_bytes_unref(record);
		return -1;
	}
	remark = ret > 0 && ticket_overdue(old) != ticket_overdue(ticket);
	ticket_free(&old);
	id_key(key, ticket->id);
	dbt_key(&k, key, sizeof(key), NULL);
	memset(&v, 0, sizeof(v));
	v.data = (void *)g_bytes_get_data(record, &size);
	v.size = size;
	ret = t->store->tickets->put(t->store->tickets, t->txn, &k, &v, 0);
	g_bytes_unref(record);
	if (ret != 0)
		return db_failed(t, ret, error_r);
	/* the event that made it overdue or not is ticket->next_seq - 1 */
	if (remark && put_id(t, t->store->mailbox, key, sizeof(key),
			     ticket->next_seq, error_r) < 0)
		return -1;
	return 0;
}

static int bdb_ticket_create(struct store_txn *txn, struct ticket *ticket,
			     char **error_r)
{
	struct bdb_txn *t = (struct bdb_txn *)txn;
	static const char key[] = "next_id";
	uint32_t id = 1;
	int ret;

	ret = get_id(t, t->store->meta, key, sizeof(key) - 1, &id, error_r);
	if (ret < 0)
		return -1;
	if (id == UINT32_MAX) {
		*error_r = g_strdup("ticket ids are exhausted");
		return -1;
	}
	if (put_id(t, t->store->meta, key, sizeof(key) - 1, id + 1,
		   error_r) < 0)
		return -1;
	ticket->id = id;
	return bdb_ticket_put(txn, ticket, error_r);
}

static int bdb_ticket_foreach(struct store_txn *txn, store_ticket_func_t *func,
			      void *context, char **error_r)
{
	struct bdb_txn *t = (struct bdb_txn *)txn;
	DBC *cursor;
	DBT k, v;
	int ret;
	bool more = true;

	/* Read committed: a long listing must not hold a read lock on
	   every page it passed, or it would block the milter. */
	ret = t->store->tickets->cursor(t->store->tickets, t->txn, &cursor,
					DB_READ_COMMITTED);
	if (ret != 0)
		return db_failed(t, ret, error_r);
	while (more) {
		struct ticket *ticket;
		char *error = NULL;

		dbt_out(&k);
		dbt_out(&v);
		ret = cursor->get(cursor, &k, &v, DB_NEXT);
		if (ret != 0)
			break;
		if (ticket_deserialize(v.data, v.size, &ticket, &error) < 0) {
			log_warning("store: ticket %u: %s", id_value(&k),
				    error);
			g_free(error);
		} else {
			more = func(ticket, context);
			ticket_free(&ticket);
		}
		free(k.data);
		free(v.data);
	}
	cursor->close(cursor);
	if (ret != 0 && ret != DB_NOTFOUND && more)
		return db_failed(t, ret, error_r);
	return 0;
}

static void history_key(guint8 buf[8], uint32_t id, uint32_t seq)
{
	id_key(buf, id);
	id_key(buf + 4, seq);
}

static int bdb_event_append(struct store_txn *txn, struct ticket *ticket,
			    struct ticket_event *event, char **error_r)
{
	struct bdb_txn *t = (struct bdb_txn *)txn;
	GBytes *record;
	guint8 key[8];
	gsize size;
	DBT k, v;
	int ret;

	event->seq = ticket->next_seq;
	record = ticket_event_serialize(event);
	history_key(key, ticket->id, event->seq);
	dbt_key(&k, key, sizeof(key), NULL);
	memset(&v, 0, sizeof(v));
	v.data = (void *)g_bytes_get_data(record, &size);
	v.size = size;
	ret = t->store->history->put(t->store->history, t->txn, &k, &v, 0);
	g_bytes_unref(record);
	if (ret != 0)
		return db_failed(t, ret, error_r);
	if (strcmp(event->event, "status") == 0 &&
	    put_id(t, t->store->mailbox, key, 4, event->seq + 1, error_r) < 0)
		return -1;
	ticket->next_seq++;
	return 0;
}

static void event_free(gpointer data)
{
	struct ticket_event *ev = data;

	ticket_event_free(&ev);
}

static int bdb_event_list(struct store_txn *txn, uint32_t id,
			  GPtrArray **events_r, char **error_r)
{
	struct bdb_txn *t = (struct bdb_txn *)txn;
	GPtrArray *events;
	guint8 key[8];
	DBC *cursor;
	DBT k, v;
	int ret;
	uint32_t flag = DB_SET_RANGE;
	guint8 prefix[4];

	ret = t->store->history->cursor(t->store->history, t->txn, &cursor,
					DB_READ_COMMITTED);
	if (ret != 0)
		return db_failed(t, ret, error_r);
	events = g_ptr_array_new_with_free_func(event_free);
	history_key(key, id, 0);
	id_key(prefix, id);
	for (;;) {
		struct ticket_event *ev;
		char *error = NULL;

		memset(&k, 0, sizeof(k));
		k.data = key;
		k.size = sizeof(key);
		k.ulen = sizeof(key);
		k.flags = DB_DBT_USERMEM;
		dbt_out(&v);
		ret = cursor->get(cursor, &k, &v, flag);
		flag = DB_NEXT;
		if (ret != 0)
			break;
		if (k.size != sizeof(key) || memcmp(key, prefix, 4) != 0) {
			free(v.data);
			ret = DB_NOTFOUND;
			break;
		}
		if (ticket_event_deserialize(v.data, v.size, &ev,
					     &error) < 0) {
			log_warning("store: ticket %u event: %s", id, error);
			g_free(error);
		} else {
			g_ptr_array_add(events, ev);
		}
		free(v.data);
	}
	cursor->close(cursor);
	if (ret != DB_NOTFOUND) {
		g_ptr_array_unref(events);
		return db_failed(t, ret, error_r);
	}
	*events_r = events;
	return 0;
}

static int bdb_msgid_get(struct store_txn *txn, const char *message_id,
			 uint32_t *id_r, char **error_r)
{
	struct bdb_txn *t = (struct bdb_txn *)txn;
	return get_id(t, t->store->msgid, message_id, strlen(message_id),
		      id_r, error_r);
}

static int bdb_msgid_put(struct store_txn *txn, const char *message_id,
			 uint32_t id, char **error_r)
{
	struct bdb_txn *t = (struct bdb_txn *)txn;
	return put_id(t, t->store->msgid, message_id, strlen(message_id), id,
		      error_r);
}

static char *thread_key(const char *sender, const char *subject)
{
	return g_strconcat(sender, "\n", subject, NULL);
}

static int bdb_thread_get(struct store_txn *txn, const char *sender,
			  const char *subject, uint32_t *id_r,
			  char **error_r)
{
	struct bdb_txn *t = (struct bdb_txn *)txn;
	char *key = thread_key(sender, subject);
	int ret = get_id(t, t->store->thread, key, strlen(key), id_r,
			 error_r);

	g_free(key);
	return ret;
}

static int bdb_thread_put(struct store_txn *txn, const char *sender,
			  const char *subject, uint32_t id,
			  char **error_r)
{
	struct bdb_txn *t = (struct bdb_txn *)txn;
	char *key = thread_key(sender, subject);
	int ret = put_id(t, t->store->thread, key, strlen(key), id, error_r);

	g_free(key);
	return ret;
}

static int bdb_customer_get(struct store_txn *txn, const char *address,
			    uint32_t *id_r, char **error_r)
{
	struct bdb_txn *t = (struct bdb_txn *)txn;
	return get_id(t, t->store->customer, address, strlen(address), id_r,
		      error_r);
}

static int bdb_customer_put(struct store_txn *txn, const char *address,
			    uint32_t id, char **error_r)
{
	struct bdb_txn *t = (struct bdb_txn *)txn;
	return put_id(t, t->store->customer, address, strlen(address), id,
		      error_r);
}

/* A sender's acknowledgement times: version byte 1, then an array of
   Unix seconds (oldest first). */
#define SENDER_RECORD_TYPE "(yax)"

static int bdb_sender_acks_get(struct store_txn *txn, const char *address,
			       GArray **times_r, char **error_r)
{
	struct bdb_txn *t = (struct bdb_txn *)txn;
	struct long_key long_key;
	GArray *times = g_array_new(FALSE, FALSE, sizeof(int64_t));
	GVariant *record;
	GVariantIter *iter;
	gint64 time;
	DBT k, v;
	int ret;

	*times_r = times;
	dbt_key(&k, address, strlen(address), &long_key);
	dbt_out(&v);
	ret = t->store->senders->get(t->store->senders, t->txn, &k, &v,
				     DB_RMW);
	if (ret == DB_NOTFOUND)
		return 0;
	if (ret != 0)
		return db_failed(t, ret, error_r);
	if (v.size == 0 || ((guint8 *)v.data)[0] != 1) {
		/* damaged or from a later release: start counting anew */
		free(v.data);
		return 0;
	}
	record = g_variant_new_from_data(G_VARIANT_TYPE(SENDER_RECORD_TYPE),
					 v.data, v.size, FALSE, free, v.data);
	g_variant_ref_sink(record);
	g_variant_get_child(record, 1, "ax", &iter);
	while (g_variant_iter_next(iter, "x", &time)) {
		int64_t t64 = time;

		g_array_append_val(times, t64);
	}
	g_variant_iter_free(iter);
	g_variant_unref(record);
	return 0;
}

static int bdb_sender_acks_put(struct store_txn *txn, const char *address,
			       const GArray *times, char **error_r)
{
	struct bdb_txn *t = (struct bdb_txn *)txn;
	struct long_key long_key;
	GVariantBuilder b;
	GVariant *record;
	DBT k, v;
	int ret;

	g_variant_builder_init(&b, G_VARIANT_TYPE("ax"));
	for (unsigned int i = 0; i < times->len; i++)
		g_variant_builder_add(&b, "x",
				      (gint64)g_array_index(times, int64_t, i));
	record = g_variant_ref_sink(g_variant_new("(yax)", 1, &b));
	dbt_key(&k, address, strlen(address), &long_key);
	memset(&v, 0, sizeof(v));
	v.data = (void *)g_variant_get_data(record);
	v.size = g_variant_get_size(record);
	ret = t->store->senders->put(t->store->senders, t->txn, &k, &v, 0);
	g_variant_unref(record);
	if (ret != 0)
		return db_failed(t, ret, error_r);
	return 0;
}

/* mailbox.db: ticket id -> 1 + the sequence number of its latest event
   that changed what its mailbox shows, a status or overdue (never 0,
   which id_value() gives a damaged record). */
static int bdb_mailbox_pending(struct store_txn *txn, unsigned int max,
			       GArray **marks_r, char **error_r)
{
	struct bdb_txn *t = (struct bdb_txn *)txn;
	GArray *marks = g_array_new(FALSE, FALSE,
				    sizeof(struct store_mailbox_mark));
	struct store_mailbox_mark mark;
	DBC *cursor;
	DBT k, v;
	int ret;

	*marks_r = marks;
	ret = t->store->mailbox->cursor(t->store->mailbox, t->txn, &cursor, 0);
	if (ret != 0)
		return db_failed(t, ret, error_r);
	while (marks->len < max) {
		dbt_out(&k);
		dbt_out(&v);
		ret = cursor->get(cursor, &k, &v, DB_NEXT);
		if (ret != 0)
			break;
		mark.id = id_value(&k);
		mark.seq = id_value(&v);
		free(k.data);
		free(v.data);
		if (mark.id != 0 && mark.seq != 0)
			g_array_append_val(marks, mark);
	}
	cursor->close(cursor);
	if (ret != 0 && ret != DB_NOTFOUND)
		return db_failed(t, ret, error_r);
	return 0;
}

static int bdb_mailbox_done(struct store_txn *txn,
			    const struct store_mailbox_mark *mark,
			    char **error_r)
{
	struct bdb_txn *t = (struct bdb_txn *)txn;
	guint8 key[4];
	uint32_t seq;
	DBT k;
	int ret;

	id_key(key, mark->id);
	ret = get_id(t, t->store->mailbox, key, sizeof(key), &seq, error_r);
	if (ret < 0)
		return -1;
	if (ret == 0 || seq != mark->seq)
		return 0;
	dbt_key(&k, key, sizeof(key), NULL);
	ret = t->store->mailbox->del(t->store->mailbox, t->txn, &k, 0);
	if (ret != 0 && ret != DB_NOTFOUND)
		return db_failed(t, ret, error_r);
	return 0;
}

/* meta.db's other numbers, beside "next_id" */
static int bdb_meta_get(struct store_txn *txn, const char *name,
			uint32_t *value_r, char **error_r)
{
	struct bdb_txn *t = (struct bdb_txn *)txn;

	return get_id(t, t->store->meta, name, strlen(name), value_r,
		      error_r);
}

static int bdb_meta_put(struct store_txn *txn, const char *name,
			uint32_t value, char **error_r)
{
	struct bdb_txn *t = (struct bdb_txn *)txn;

	return put_id(t, t->store->meta, name, strlen(name), value, error_r);
}

static int bdb_applied_get(struct store_txn *txn, const char *key,
			   char **error_r)
{
	struct bdb_txn *t = (struct bdb_txn *)txn;
	uint32_t id;

	return get_id(t, t->store->applied, key, strlen(key), &id, error_r);
}

static int bdb_applied_put(struct store_txn *txn, const char *key,
			   char **error_r)
{
	struct bdb_txn *t = (struct bdb_txn *)txn;
	return put_id(t, t->store->applied, key, strlen(key), 1, error_r);
}

static int bdb_applied_del(struct store_txn *txn, const char *key,
			   char **error_r)
{
	struct bdb_txn *t = (struct bdb_txn *)txn;
	struct long_key long_key;
	DBT k;
	int ret;

	dbt_key(&k, key, strlen(key), &long_key);
	ret = t->store->applied->del(t->store->applied, t->txn, &k, 0);
	if (ret != 0 && ret != DB_NOTFOUND)
		return db_failed(t, ret, error_r);
	return 0;
}

static int bdb_applied_list(struct store_txn *txn, GPtrArray **keys_r,
			    char **error_r)
{
	struct bdb_txn *t = (struct bdb_txn *)txn;
	GPtrArray *keys = g_ptr_array_new_with_free_func(g_free);
	DBC *cursor;
	DBT k, v;
	int ret;

	*keys_r = keys;
	ret = t->store->applied->cursor(t->store->applied, t->txn, &cursor,
					0);
	if (ret != 0)
		return db_failed(t, ret, error_r);
	for (;;) {
		dbt_out(&k);
		dbt_out(&v);
		if ((ret = cursor->get(cursor, &k, &v, DB_NEXT)) != 0)
			break;
		g_ptr_array_add(keys, g_strndup(k.data, k.size));
		free(k.data);
		free(v.data);
	}
	cursor->close(cursor);
	if (ret != DB_NOTFOUND)
		return db_failed(t, ret, error_r);
	return 0;
}

static int bdb_timers_due(struct store_txn *txn, int64_t until,
			  unsigned int max, GArray **timers_r,
			  char **error_r)
{
	struct bdb_txn *t = (struct bdb_txn *)txn;
	GArray *timers = g_array_new(FALSE, FALSE, sizeof(struct store_timer));
	guint8 start[TIMER_KEY_SIZE];
	DBC *cursor;
	DBT k, id, record;
	u_int32_t op = DB_SET_RANGE;
	int ret;

	*timers_r = timers;
	/* read committed, as a listing: no read lock held on what the
	   scan passed, so the milter never waits on it */
	ret = t->store->timers->cursor(t->store->timers, t->txn, &cursor,
				       DB_READ_COMMITTED);
	if (ret != 0)
		return db_failed(t, ret, error_r);
	timer_key(start, 0, 0);
	/* the ticket's id, not its record */
	memset(&record, 0, sizeof(record));
	record.flags = DB_DBT_PARTIAL | DB_DBT_USERMEM;
	while (timers->len < max) {
		struct store_timer timer;
		guint64 be;

		dbt_out(&k);
		dbt_out(&id);
		if (op == DB_SET_RANGE) {
			k.data = start;
			k.size = sizeof(start);
		}
		if ((ret = cursor->pget(cursor, &k, &id, &record, op)) != 0)
			break;
		op = DB_NEXT;
		timer.due = 0;
		if (k.size == TIMER_KEY_SIZE) {
			memcpy(&be, k.data, 8);
			timer.due = (int64_t)GUINT64_FROM_BE(be);
			timer.kind = ((const guint8 *)k.data)[8];
			timer.id = id_value(&id);
		}
		free(k.data);
		free(id.data);
		if (timer.due == 0 || timer.due > until)
			break;
		g_array_append_val(timers, timer);
	}
	cursor->close(cursor);
	if (ret != 0 && ret != DB_NOTFOUND)
		return db_failed(t, ret, error_r);
	return 0;
}

/* --- backup, verify, recover ------------------------------------------ */

/* Recovery of the environment in dir, by a private environment opened
   and closed again: normal (the last checkpoint on), or catastrophic
   (every log file there, from the first).  Returns 0 or -1. */
static int recover_dir(const char *dir, bool catastrophic, char **error_r)
{
	DB_ENV *env;
	int ret;

	if ((ret = db_env_create(&env, 0)) != 0) {
		*error_r = g_strdup_printf("db_env_create: %s",
					   db_strerror(ret));
		return -1;
	}
	env->set_errcall(env, store_errcall);
	env->set_cachesize(env, 0, STORE_CACHE_BYTES, 1);
	ret = env->open(env, dir, DB_CREATE | DB_INIT_LOCK | DB_INIT_LOG |
			DB_INIT_MPOOL | DB_INIT_TXN | DB_PRIVATE |
			(catastrophic ? DB_RECOVER_FATAL : DB_RECOVER), 0600);
	if (ret == 0)
		ret = env->txn_checkpoint(env, 0, 0, DB_FORCE);
	env->close(env, 0);
	if (ret != 0) {
		*error_r = g_strdup_printf("%s recovery of %s: %s",
					   catastrophic ? "catastrophic" :
					   "normal", dir, db_strerror(ret));
		return -1;
	}
	return 0;
}

/* Marks a folder as a backup of the store: only such a folder, or an
   empty one, is cleaned for a backup (DB_BACKUP_CLEAN removes every
   file in it) */
#define BACKUP_MARK "SHOPDESK-BACKUP"

/* A folder a backup may go into: empty, or an earlier backup.  So that
   a mistyped folder (the store itself, a spool) loses nothing. */
static int backup_target(const char *dir, char **error_r)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	char *mark = g_build_filename(dir, BACKUP_MARK, NULL);
	bool empty = d != NULL && g_dir_read_name(d) == NULL;
	bool marked = g_file_test(mark, G_FILE_TEST_EXISTS);
	int ret = 0;

	if (d != NULL)
		g_dir_close(d);
	if (d == NULL) {
		*error_r = g_strdup_printf("%s: cannot read the folder", dir);
		ret = -1;
	} else if (!empty && !marked) {
		*error_r = g_strdup_printf("%s is not empty and holds no "
					   "earlier backup (no %s): not "
					   "touched", dir, BACKUP_MARK);
		ret = -1;
	}
	g_free(mark);
	return ret;
}

/* Written after each backup: the folder may be cleaned for the next */
static int backup_mark(const char *dir, char **error_r)
{
	char *mark = g_build_filename(dir, BACKUP_MARK, NULL);
	int ret = 0;

	if (!g_file_set_contents(mark, "a backup of shopdesk's store "
				 "(shopdeskctl db backup)\n", -1, NULL)) {
		*error_r = g_strdup_printf("%s: cannot write", mark);
		ret = -1;
	}
	g_free(mark);
	return ret;
}

static int bdb_backup(struct store *_store, const char *dir, char **error_r)
{
	struct bdb_store *store = (struct bdb_store *)_store;
	bool done = false;
	int ret;

	if (g_mkdir_with_parents(dir, 0700) < 0) {
		*error_r = g_strdup_printf("mkdir %s: %s", dir,
					   g_strerror(errno));
		return -1;
	}
	if (backup_target(dir, error_r) < 0)
		return -1;
	g_rw_lock_reader_lock(&store->lock);
	if (store->env == NULL)
		*error_r = g_strdup("the store could not be reopened");
	else if ((ret = store->env->backup(store->env, dir,
					   DB_CREATE | DB_BACKUP_CLEAN)) != 0)
		*error_r = g_strdup_printf("backup into %s: %s", dir,
					   db_strerror(ret));
	else
		done = true;
	g_rw_lock_reader_unlock(&store->lock);
	if (!done || backup_mark(dir, error_r) < 0)
		return -1;
	/* as db_hotbackup does: the copy made consistent on its own */
	return recover_dir(dir, true, error_r);
}

/* DB->verify of each database file in dir, a line each in report.
   Returns how many failed. */
static int verify_files(const char *dir, GString *report)
{
	int failed = 0;

	for (unsigned int i = 0; i < G_N_ELEMENTS(databases); i++) {
		char *path = g_build_filename(dir, databases[i].file, NULL);
		char *said = NULL;
		size_t len = 0;
		FILE *errors;
		DB *db;
		int ret;

		if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
			g_string_append_printf(report, "%s: missing\n",
					       databases[i].file);
			failed++;
			g_free(path);
			continue;
		}
		errors = open_memstream(&said, &len);
		if ((ret = db_create(&db, NULL, 0)) == 0) {
			if (errors != NULL)
				db->set_errfile(db, errors);
			/* the handle is gone afterwards, whatever it says */
			ret = db->verify(db, path, NULL, NULL, 0);
		}
		if (errors != NULL)
			fclose(errors);
		if (ret == 0) {
			g_string_append_printf(report, "%s: ok\n",
					       databases[i].file);
		} else {
			g_string_append_printf(report, "%s: %s%s%s",
					       databases[i].file,
					       db_strerror(ret),
					       said != NULL && *said != '\0' ?
					       "\n" : "", said != NULL ? said :
					       "");
			if (report->str[report->len - 1] != '\n')
				g_string_append_c(report, '\n');
			failed++;
		}
		free(said);
		g_free(path);
	}
	return failed;
}

static int bdb_verify(const char *dir, GString *report, char **error_r)
{
	int fd, failed;

	if (!g_file_test(dir, G_FILE_TEST_IS_DIR)) {
		*error_r = g_strdup_printf("%s: no such directory", dir);
		return -1;
	}
	if (lock_dir(dir, &fd, error_r) < 0)
		return -1;
	if (recover_dir(dir, false, error_r) < 0) {
		close(fd);
		return -1;
	}
	failed = verify_files(dir, report);
	close(fd);
	return failed;
}

/* log.0000000042 -> 42, anything else -> 0 */
static guint log_number(const char *name)
{
	guint64 n;

	if (!g_str_has_prefix(name, "log.") || strlen(name) != 14 ||
	    !g_ascii_string_to_unsigned(name + 4, 10, 1, G_MAXUINT32, &n,
					NULL))
		return 0;
	return n;
}

static bool store_file(const char *name)
{
	return log_number(name) != 0 || g_str_has_suffix(name, ".db");
}

/* Moves (rename) or copies the store's files (databases, logs) from one
   folder to another; with min_log, only the logs numbered from it.
   Returns 0 or -1. */
static int move_files(const char *from, const char *to, bool copy,
		      guint min_log, char **error_r)
{
	GError *error = NULL;
	GDir *d = g_dir_open(from, 0, &error);
	const char *name;
	int ret = 0;

	if (d == NULL) {
		*error_r = g_strdup(error->message);
		g_error_free(error);
		return -1;
	}
	while (ret == 0 && (name = g_dir_read_name(d)) != NULL) {
		char *src, *dst;

		if (!store_file(name) ||
		    (min_log != 0 && log_number(name) < min_log))
			continue;
		src = g_build_filename(from, name, NULL);
		dst = g_build_filename(to, name, NULL);
		if (copy) {
			GFile *s = g_file_new_for_path(src);
			GFile *t = g_file_new_for_path(dst);

			if (!g_file_copy(s, t, G_FILE_COPY_OVERWRITE, NULL,
					 NULL, NULL, &error)) {
				*error_r = g_strdup(error->message);
				g_clear_error(&error);
				ret = -1;
			}
			g_object_unref(s);
			g_object_unref(t);
		} else if (rename(src, dst) < 0) {
			*error_r = g_strdup_printf("rename %s to %s: %s", src,
						   dst, g_strerror(errno));
			ret = -1;
		}
		g_free(src);
		g_free(dst);
	}
	g_dir_close(d);
	return ret;
}

/* The lowest and highest log numbers in dir (0 when there are none) */
static void log_range(const char *dir, guint *first_r, guint *last_r)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;

	*first_r = *last_r = 0;
	while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
		guint n = log_number(name);

		if (n == 0)
			continue;
		if (*first_r == 0 || n < *first_r)
			*first_r = n;
		if (n > *last_r)
			*last_r = n;
	}
	if (d != NULL)
		g_dir_close(d);
}

/* How much of a log file's start tells one environment's log from
   another's: the registrations of its databases, with their unique
   file ids, come first */
#define LOG_LINEAGE_BYTES 2048

/* Whether the store's own log number n (in aside) is the backup's log
   n grown since, not a log of another store of that number: both begin
   alike.  (The backup's copy cannot be compared whole: log files are
   made at their full size, and recovery wrote into the copy.) */
static bool continues(const char *backup, const char *aside, guint n)
{
	char name[16], *a, *b, *copy = NULL, *own = NULL;
	gsize copy_len = 0, own_len = 0;
	bool same;

	g_snprintf(name, sizeof(name), "log.%010u", n);
	a = g_build_filename(backup, name, NULL);
	b = g_build_filename(aside, name, NULL);
	same = g_file_get_contents(a, &copy, &copy_len, NULL) &&
		g_file_get_contents(b, &own, &own_len, NULL) &&
		copy_len >= LOG_LINEAGE_BYTES && own_len >= LOG_LINEAGE_BYTES &&
		memcmp(copy, own, LOG_LINEAGE_BYTES) == 0;
	g_free(copy);
	g_free(own);
	g_free(a);
	g_free(b);
	return same;
}

/* Removes the store's files (databases, logs) from dir */
static void remove_store_files(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;

	while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
		if (store_file(name)) {
			char *path = g_build_filename(dir, name, NULL);

			g_unlink(path);
			g_free(path);
		}
	}
	if (d != NULL)
		g_dir_close(d);
}

/* The backup copied into dir, the old files moved aside first, and the
   old logs that continue the backup's put back. */
static int restore_backup(const char *dir, const char *from,
			  GString *report, char **error_r)
{
	GDateTime *now = g_date_time_new_now_utc();
	char *stamp = g_date_time_format(now, "%Y%m%dT%H%M%SZ");
	char *aside = g_strdup_printf("%s/before-recover-%s", dir, stamp);
	guint first, last, old_first, old_last;
	char *why = NULL;
	int ret = -1;

	log_range(from, &first, &last);
	if (g_mkdir(aside, 0700) < 0) {
		*error_r = g_strdup_printf("mkdir %s: %s", aside,
					   g_strerror(errno));
		goto out;
	}
	if (move_files(dir, aside, false, 0, error_r) < 0)
		goto put_back;
	g_string_append_printf(report, "the store's files moved to %s\n",
			       aside);
	if (move_files(from, dir, true, 0, error_r) < 0)
		goto put_back;
	g_string_append_printf(report, "the backup %s copied in (log.%010u "
			       "to log.%010u)\n", from, first, last);
	/* The store's own logs from the backup's last on (that one grew
	   since) replay what came after the backup: only when the store
	   still has that log, and it is the same log as the backup's. */
	log_range(aside, &old_first, &old_last);
	if (old_first != 0 && old_first <= last && old_last >= last &&
	    continues(from, aside, last)) {
		if (move_files(aside, dir, true, last, error_r) < 0)
			goto out;
		g_string_append_printf(report, "the store's logs log.%010u to "
				       "log.%010u replayed after it\n",
				       last, old_last);
	} else if (old_last != 0) {
		g_string_append_printf(report, "the store's logs (log.%010u "
				       "to log.%010u) do not continue the "
				       "backup: not replayed, the store is "
				       "as of the backup\n", old_first,
				       old_last);
	} else {
		g_string_append(report, "no logs of the store's to replay: "
				"the store is as of the backup\n");
	}
	ret = 0;
	goto out;
put_back:
	/* what was copied in goes, what was moved aside comes back */
	remove_store_files(dir);
	if (move_files(aside, dir, false, 0, &why) == 0)
		g_string_append_printf(report, "the store's files put back "
				       "from %s\n", aside);
	else
		g_string_append_printf(report, "the store's files are in %s: "
				       "%s\n", aside, why);
	g_free(why);
out:
	g_free(aside);
	g_free(stamp);
	g_date_time_unref(now);
	return ret;
}

/* A backup holds tickets.db and log files */
static bool is_backup(const char *dir)
{
	char *tickets = g_build_filename(dir, "tickets.db", NULL);
	bool found = g_file_test(tickets, G_FILE_TEST_EXISTS);
	guint first, last;

	g_free(tickets);
	log_range(dir, &first, &last);
	return found && last != 0;
}

static bool has_store_files(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;
	bool found = false;

	while (!found && d != NULL && (name = g_dir_read_name(d)) != NULL)
		found = store_file(name);
	if (d != NULL)
		g_dir_close(d);
	return found;
}

static int bdb_set_aside(const char *dir, const char *why, char **aside_r,
			 char **error_r)
{
	GDateTime *now;
	char *stamp;
	int fd, ret = 0;

	*aside_r = NULL;
	if (!g_file_test(dir, G_FILE_TEST_IS_DIR))
		return 0;	/* no store, nothing to move */
	if (lock_dir(dir, &fd, error_r) < 0)
		return -1;
	if (!has_store_files(dir)) {
		close(fd);
		return 0;
	}
	now = g_date_time_new_now_utc();
	stamp = g_date_time_format(now, "%Y%m%dT%H%M%SZ");
	*aside_r = g_strdup_printf("%s/before-%s-%s", dir, why, stamp);
	if (g_mkdir(*aside_r, 0700) < 0) {
		*error_r = g_strdup_printf("mkdir %s: %s", *aside_r,
					   g_strerror(errno));
		ret = -1;
	} else {
		ret = move_files(dir, *aside_r, false, 0, error_r);
	}
	if (ret < 0)
		g_clear_pointer(aside_r, g_free);
	g_free(stamp);
	g_date_time_unref(now);
	close(fd);
	return ret;
}

static int bdb_recover(const char *dir, const char *from, GString *report,
		       char **error_r)
{
	int fd, failed = -1;

	if (!g_file_test(dir, G_FILE_TEST_IS_DIR)) {
		*error_r = g_strdup_printf("%s: no such directory", dir);
		return -1;
	}
	if (from != NULL && !is_backup(from)) {
		*error_r = g_strdup_printf("%s: not a backup of the store "
					   "(no tickets.db or no log files)",
					   from);
		return -1;
	}
	if (lock_dir(dir, &fd, error_r) < 0)
		return -1;
	if ((from == NULL || restore_backup(dir, from, report, error_r) == 0) &&
	    recover_dir(dir, true, error_r) == 0) {
		g_string_append(report, "catastrophic recovery done\n");
		failed = verify_files(dir, report);
		if (failed > 0) {
			*error_r = g_strdup_printf("%d database(s) failed "
						   "verification", failed);
			failed = -1;
		}
	}
	close(fd);
	return failed < 0 ? -1 : 0;
}

const struct store_backend store_bdb_backend = {
	.name = "bdb",
	.open = bdb_open,
	.close = bdb_close,
	.cache_stat = bdb_cache_stat,
	.transaction = bdb_transaction,
	.ticket_get = bdb_ticket_get,
	.ticket_put = bdb_ticket_put,
	.ticket_create = bdb_ticket_create,
	.ticket_foreach = bdb_ticket_foreach,
	.event_append = bdb_event_append,
	.event_list = bdb_event_list,
	.msgid_get = bdb_msgid_get,
	.msgid_put = bdb_msgid_put,
	.thread_get = bdb_thread_get,
	.thread_put = bdb_thread_put,
	.customer_get = bdb_customer_get,
	.customer_put = bdb_customer_put,
	.sender_acks_get = bdb_sender_acks_get,
	.sender_acks_put = bdb_sender_acks_put,
	.mailbox_pending = bdb_mailbox_pending,
	.mailbox_done = bdb_mailbox_done,
	.meta_get = bdb_meta_get,
	.meta_put = bdb_meta_put,
	.applied_get = bdb_applied_get,
	.applied_put = bdb_applied_put,
	.applied_del = bdb_applied_del,
	.applied_list = bdb_applied_list,
	.timers_due = bdb_timers_due,
	.backup = bdb_backup,
	.verify = bdb_verify,
	.set_aside = bdb_set_aside,
	.recover = bdb_recover,
};
