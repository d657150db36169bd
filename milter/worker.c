/* worker.c: the milter's background thread.  Each round it
   - applies the events spool, oldest first: an event file is applied in
     one transaction and then done; one that cannot be read is moved to
     dead/ with a log line, never retried; a store failure leaves it for
     the next round;
   - makes the queue mailbox show every status change the store marked,
     one doveadm-driven ticket at a time; when Dovecot cannot be reached
     it waits (a growing pause, at most DOVEADM_PAUSE_MAX) and tries
     again, so a change is never lost, only late.
   Nothing here runs inside a milter callback, so a slow doveadm delays
   keywords, never mail. */

#include "worker.h"
#include "log.h"
#include "mbevent.h"
#include "mbsync.h"
#include "spool.h"

#include <errno.h>
#include <string.h>

#define ROUND_MS 250
#define EVENTS_PER_ROUND 100
#define SYNCS_PER_ROUND 20
#define DOVEADM_PAUSE_MIN 5
#define DOVEADM_PAUSE_MAX 300

struct worker {
	const struct config *config;
	struct store *store;
	struct spool *events;
	GThread *thread;
	GMutex lock;
	GCond wake;
	bool stopping;

	int64_t doveadm_not_before;
	int64_t doveadm_pause;
};

static int64_t now(void)
{
	return g_get_real_time() / G_USEC_PER_SEC;
}

static void apply_item(struct worker *w, struct spool_item **item)
{
	struct mbevent_file *file;
	const char *error;
	char *why = NULL;

	if (mbevent_parse((*item)->data, (*item)->size, &file, &why) < 0) {
		log_warning("%s: events: malformed, moved to dead/: %s",
			    (*item)->key, why);
		g_free(why);
		if (spool_bury(w->events, item, &why) < 0) {
			log_error("%s: events: %s", (*item)->key, why);
			g_free(why);
		}
		return;
	}
	if (mbevent_apply(w->store, file, (*item)->key, now(), &error) < 0) {
		log_error("%s: events: store: %s; will retry", (*item)->key,
			  error);
		mbevent_file_free(&file);
		if (spool_defer(w->events, item, now() + 5, &why) < 0) {
			log_error("events: %s", why);
			g_free(why);
		}
		return;
	}
	mbevent_file_free(&file);
	char *key = g_strdup((*item)->key);

	if (spool_done(w->events, item, &why) < 0) {
		log_error("%s: events: %s", key, why);
		g_free(why);
	} else if (mbevent_forget(w->store, key, &error) < 0) {
		log_warning("%s: events: %s", key, error);
	}
	g_free(key);
}

static void apply_events(struct worker *w)
{
	struct spool_item *item;
	char *error = NULL;
	int ret;

	for (unsigned int i = 0; i < EVENTS_PER_ROUND; i++) {
		ret = spool_claim(w->events, now(), &item, &error);
		if (ret < 0) {
			log_error("events: %s", error);
			g_free(error);
		}
		if (ret <= 0)
			return;
		apply_item(w, &item);
		spool_item_free(&item);
	}
}

struct mark_context {
	unsigned int max;
	GArray *marks;
	const struct store_mailbox_mark *mark;
	struct ticket *ticket;
};

static int pending_txn(struct store_txn *txn, void *context,
		       const char **error_r)
{
	struct mark_context *c = context;

	g_clear_pointer(&c->marks, g_array_unref);
	return store_mailbox_pending(txn, c->max, &c->marks, error_r);
}

static int ticket_txn(struct store_txn *txn, void *context,
		      const char **error_r)
{
	struct mark_context *c = context;

	ticket_free(&c->ticket);
	return store_ticket_get(txn, c->mark->id, &c->ticket, error_r) < 0 ?
		-1 : 0;
}

static int done_txn(struct store_txn *txn, void *context,
		    const char **error_r)
{
	struct mark_context *c = context;

	return store_mailbox_done(txn, c->mark, error_r);
}

/* Returns false when doveadm should be left alone for a while. */
static bool sync_one(struct worker *w, struct mark_context *c)
{
	const struct config_queue *queue;
	enum mbsync_result result = MBSYNC_DONE;
	const char *error;
	unsigned int changed = 0;
	char *why = NULL;

	if (store_transaction(w->store, ticket_txn, c, &error) < 0) {
		log_error("ticket=%u: mailbox: store: %s", c->mark->id, error);
		return false;
	}
	queue = c->ticket == NULL ? NULL :
		config_queue_by_name(w->config, c->ticket->queue);
	if (queue != NULL && *w->config->doveadm != '\0' &&
	    *queue->mailbox != '\0') {
		result = mbsync_ticket(w->config, queue->mailbox,
				       c->ticket->id, c->ticket->status,
				       &changed, &why);
		if (result == MBSYNC_DONE && changed > 0)
			log_info("ticket=%u: mailbox %s: %u message(s) now "
				 "show %s", c->ticket->id, queue->mailbox,
				 changed,
				 ticket_status_name(c->ticket->status));
		else if (result == MBSYNC_FAILED)
			log_warning("ticket=%u: mailbox %s: keywords not "
				    "set, given up: %s", c->ticket->id,
				    queue->mailbox, why);
	}
	ticket_free(&c->ticket);
	if (result == MBSYNC_RETRY) {
		w->doveadm_pause = CLAMP(w->doveadm_pause * 2,
					 DOVEADM_PAUSE_MIN, DOVEADM_PAUSE_MAX);
		w->doveadm_not_before = now() + w->doveadm_pause;
		log_warning("ticket=%u: mailbox: %s; trying again in "
			    "%" G_GINT64_FORMAT " s", c->mark->id, why,
			    w->doveadm_pause);
		g_free(why);
		return false;
	}
	g_free(why);
	w->doveadm_pause = 0;
	if (store_transaction(w->store, done_txn, c, &error) < 0) {
		log_error("ticket=%u: mailbox: store: %s", c->mark->id, error);
		return false;
	}
	return true;
}

static void sync_mailboxes(struct worker *w)
{
	struct mark_context c = { .max = SYNCS_PER_ROUND };
	const char *error;

	if (now() < w->doveadm_not_before)
		return;
	if (store_transaction(w->store, pending_txn, &c, &error) < 0) {
		log_error("mailbox: store: %s", error);
		return;
	}
	for (unsigned int i = 0; i < c.marks->len; i++) {
		c.mark = &g_array_index(c.marks, struct store_mailbox_mark, i);
		if (!sync_one(w, &c))
			break;
	}
	g_array_unref(c.marks);
}

static gpointer worker_main(gpointer data)
{
	struct worker *w = data;
	int64_t until;

	g_mutex_lock(&w->lock);
	while (!w->stopping) {
		g_mutex_unlock(&w->lock);
		apply_events(w);
		sync_mailboxes(w);
		g_mutex_lock(&w->lock);
		until = g_get_monotonic_time() + ROUND_MS * 1000;
		while (!w->stopping &&
		       g_cond_wait_until(&w->wake, &w->lock, until))
			;
	}
	g_mutex_unlock(&w->lock);
	return NULL;
}

int worker_start(const struct config *config, struct store *store,
		 struct worker **worker_r, char **error_r)
{
	struct worker *w = g_new0(struct worker, 1);
	char *dir = g_build_filename(config->spool_dir, "events", NULL);
	int ret = spool_open(dir, true, &w->events, error_r);

	g_free(dir);
	if (ret < 0) {
		g_free(w);
		return -1;
	}
	w->config = config;
	w->store = store;
	g_mutex_init(&w->lock);
	g_cond_init(&w->wake);
	w->thread = g_thread_new("worker", worker_main, w);
	*worker_r = w;
	return 0;
}

void worker_stop(struct worker **_worker)
{
	struct worker *w = *_worker;

	if (w == NULL)
		return;
	*_worker = NULL;
	g_mutex_lock(&w->lock);
	w->stopping = true;
	g_cond_signal(&w->wake);
	g_mutex_unlock(&w->lock);
	g_thread_join(w->thread);
	spool_close(&w->events);
	g_mutex_clear(&w->lock);
	g_cond_clear(&w->wake);
	g_free(w);
}
