/* worker.c: the milter's background threads, for what must not run in a
   milter callback.
   - The events thread applies the events spool, oldest first: an event
     file is applied in one transaction and then done.  One that cannot
     be read, or is too big, is moved to dead/ with a log line.  When
     the store fails, the same file is tried again (EVENT_ATTEMPTS times,
     then dead/) and nothing newer overtakes it.
   - The mailbox thread makes the queue mailboxes show every status
     change the store marked, one ticket at a time, through Dovecot's
     doveadm server (mbsync.c), and writes the status to
     spool_dir/status/ID, where the Dovecot plugin reads it for a
     message delivered after the change.
     When Dovecot cannot be reached it waits (a growing pause, at most
     DOVEADM_PAUSE_MAX) and tries again, so a change is never lost, only
     late; a slow doveadm delays neither mail nor events.
   - The timers thread fires what the store's timer index says is due
     (timers.c): escalations, auto-close; mail never waits on it.
   At start, keys of applied events whose files are gone (a crash
   between done and forgetting) are forgotten. */

#include "worker.h"
#include "log.h"
#include "mbevent.h"
#include "mbsync.h"
#include "report.h"
#include "settings.h"
#include "spool.h"
#include "timers.h"

#include <glib/gstdio.h>
#include <errno.h>
#include <string.h>

#define ROUND_MS 250
#define EVENTS_PER_ROUND 100
#define EVENT_FILE_MAX (1024 * 1024)
#define EVENT_ATTEMPTS 20
#define SYNCS_PER_ROUND 20
#define DOVEADM_PAUSE_MIN 5
#define DOVEADM_PAUSE_MAX 300
#define TIMERS_PER_ROUND 100

struct worker {
	struct store *store;
	struct spool *events;
	char *status_dir;	/* spool_dir/status */
	struct spool *outbox;	/* where timers put their mail */
	struct timers *timers;	/* made of timers_settings, which it
				   holds a reference to */
	struct settings *timers_settings;
	GHashTable *reports_sent;	/* report_mail_run()'s sent_days */
	char *report_error;	/* the last report failure said */
	GThread *events_thread, *mailbox_thread, *timers_thread;
	GMutex lock;
	GCond wake;
	bool stopping;

	/* events thread: an item the store refused, to try again first */
	struct spool_item *held;
	unsigned int held_attempts;

	/* mailbox thread */
	int64_t doveadm_not_before;
	int64_t doveadm_pause;
};

static int64_t now(void)
{
	return g_get_real_time() / G_USEC_PER_SEC;
}

static bool stopping(struct worker *w)
{
	bool ret;

	g_mutex_lock(&w->lock);
	ret = w->stopping;
	g_mutex_unlock(&w->lock);
	return ret;
}

static void bury(struct worker *w, struct spool_item **item, const char *why)
{
	char *error = NULL;

	log_warning("%s: events: %s, moved to dead/", (*item)->key, why);
	if (spool_bury(w->events, item, &error) < 0) {
		log_error("events: %s", error);
		g_free(error);
	}
}

static void finish(struct worker *w, struct spool_item **item)
{
	char *error = NULL;
	char *key = g_strdup((*item)->key);
	char *why = NULL;

	if (spool_done(w->events, item, &why) < 0) {
		log_error("%s: events: %s", key, why);
		g_free(why);
	} else if (mbevent_forget(w->store, key, &error) < 0) {
		log_warning("%s: events: %s", key, error);
		g_free(error);
	}
	g_free(key);
}

/* Returns false when the store refused: the item is held. */
static bool apply_item(struct worker *w, struct spool_item **item)
{
	struct mbevent_file *file;
	char *error = NULL;
	char *why = NULL;

	if ((*item)->size == 0) {
		/* emptied by spool_done() just before a crash */
		finish(w, item);
		return true;
	}
	if ((*item)->size > EVENT_FILE_MAX) {
		bury(w, item, "too big");
		return true;
	}
	if (mbevent_parse((*item)->data, (*item)->size, &file, &why) < 0) {
		char *what = g_strdup_printf("malformed: %s", why);

		bury(w, item, what);
		g_free(what);
		g_free(why);
		return true;
	}
	if (mbevent_apply(w->store, file, (*item)->key, now(), &error) < 0) {
		mbevent_file_free(&file);
		if (++w->held_attempts >= EVENT_ATTEMPTS) {
			char *what = g_strdup_printf("store: %s, %u times",
						     error, w->held_attempts);

			bury(w, item, what);
			g_free(what);
			g_free(error);
			w->held_attempts = 0;
			return true;
		}
		log_error("%s: events: store: %s; will try again",
			  (*item)->key, error);
		g_free(error);
		w->held = g_steal_pointer(item);
		return false;
	}
	mbevent_file_free(&file);
	w->held_attempts = 0;
	finish(w, item);
	return true;
}

static void apply_events(struct worker *w)
{
	struct spool_item *item;
	char *error = NULL;
	int ret;

	if (w->held != NULL) {
		item = g_steal_pointer(&w->held);
		if (!apply_item(w, &item))
			return;
	}
	for (unsigned int i = 0; i < EVENTS_PER_ROUND; i++) {
		ret = spool_claim(w->events, now(), &item, &error);
		if (ret < 0) {
			log_error("events: %s", error);
			g_clear_pointer(&error, g_free);
			continue;
		}
		if (ret == 0 || !apply_item(w, &item))
			return;
	}
}

struct mark_context {
	unsigned int max;
	GArray *marks;
	const struct store_mailbox_mark *mark;
	struct ticket *ticket;
};

static int pending_txn(struct store_txn *txn, void *context,
		       char **error_r)
{
	struct mark_context *c = context;

	g_clear_pointer(&c->marks, g_array_unref);
	return store_mailbox_pending(txn, c->max, &c->marks, error_r);
}

static int ticket_txn(struct store_txn *txn, void *context,
		      char **error_r)
{
	struct mark_context *c = context;

	ticket_free(&c->ticket);
	return store_ticket_get(txn, c->mark->id, &c->ticket, error_r) < 0 ?
		-1 : 0;
}

static int done_txn(struct store_txn *txn, void *context,
		    char **error_r)
{
	struct mark_context *c = context;

	return store_mailbox_done(txn, c->mark, error_r);
}

/* spool_dir/status/ID: the status, for the Dovecot plugin to show on a
   message delivered after the change with the old one stamped on it.
   Best effort: without it the stamped status is used. */
static void publish_status(struct worker *w, const struct ticket *ticket)
{
	char *path = g_strdup_printf("%s/%u", w->status_dir, ticket->id);
	char *text = g_strdup_printf("%s\n",
				     ticket_status_name(ticket->status));
	GError *error = NULL;

	/* the mail user reads it: not the milter's umask */
	if (!g_file_set_contents_full(path, text, -1,
				      G_FILE_SET_CONTENTS_CONSISTENT, 0644,
				      &error) || g_chmod(path, 0644) < 0) {
		log_warning("ticket=%u: %s: %s", ticket->id, path,
			    error != NULL ? error->message :
			    g_strerror(errno));
		g_clear_error(&error);
	}
	g_free(path);
	g_free(text);
}

/* Under the current configuration (settings.h): the queue's mailbox
   and doveadm may have changed since the mark was made. */
static enum mbsync_result sync_ticket(struct worker *w, struct mark_context *c,
				      char **why_r)
{
	struct settings *settings;
	const struct config_queue *queue;
	enum mbsync_result result;
	unsigned int changed = 0;
	bool overdue;

	publish_status(w, c->ticket);
	settings = settings_get();
	queue = config_queue_by_name(settings->config, c->ticket->queue);
	if (queue == NULL || *settings->config->doveadm_socket == '\0' ||
	    *queue->mailbox == '\0') {
		settings_put(&settings);
		return MBSYNC_DONE;
	}
	overdue = ticket_overdue(c->ticket);
	result = mbsync_ticket(settings->config, queue->mailbox,
			       c->ticket->id, c->ticket->status, overdue,
			       &changed, why_r);
	if (result == MBSYNC_DONE && changed > 0)
		log_info("ticket=%u: mailbox %s: %u message(s) now show %s%s",
			 c->ticket->id, queue->mailbox, changed,
			 ticket_status_name(c->ticket->status),
			 overdue ? ", " MBSYNC_OVERDUE : "");
	else if (result == MBSYNC_FAILED)
		log_warning("ticket=%u: mailbox %s: keywords not set, given "
			    "up: %s", c->ticket->id, queue->mailbox, *why_r);
	settings_put(&settings);
	return result;
}

/* Returns false when doveadm should be left alone for a while. */
static bool sync_one(struct worker *w, struct mark_context *c)
{
	enum mbsync_result result = MBSYNC_DONE;
	char *error = NULL;
	char *why = NULL;

	if (store_transaction(w->store, ticket_txn, c, &error) < 0) {
		log_error("ticket=%u: mailbox: store: %s", c->mark->id, error);
		g_free(error);
		return false;
	}
	if (c->ticket != NULL)
		result = sync_ticket(w, c, &why);
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
		g_free(error);
		return false;
	}
	return true;
}

static void sync_mailboxes(struct worker *w)
{
	struct mark_context c = { .max = SYNCS_PER_ROUND };
	char *error = NULL;

	if (now() < w->doveadm_not_before)
		return;
	if (store_transaction(w->store, pending_txn, &c, &error) < 0) {
		log_error("mailbox: store: %s", error);
		g_free(error);
		g_clear_pointer(&c.marks, g_array_unref);
		return;
	}
	for (unsigned int i = 0; i < c.marks->len && !stopping(w); i++) {
		c.mark = &g_array_index(c.marks, struct store_mailbox_mark, i);
		if (!sync_one(w, &c))
			break;
	}
	g_array_unref(c.marks);
}

/* Runs round() every ROUND_MS until worker_stop(). */
static void run_rounds(struct worker *w, void (*round)(struct worker *))
{
	int64_t until;

	g_mutex_lock(&w->lock);
	while (!w->stopping) {
		g_mutex_unlock(&w->lock);
		round(w);
		g_mutex_lock(&w->lock);
		until = g_get_monotonic_time() + ROUND_MS * 1000;
		while (!w->stopping &&
		       g_cond_wait_until(&w->wake, &w->lock, until))
			;
	}
	g_mutex_unlock(&w->lock);
}

static gpointer events_main(gpointer data)
{
	run_rounds(data, apply_events);
	return NULL;
}

static gpointer mailbox_main(gpointer data)
{
	run_rounds(data, sync_mailboxes);
	return NULL;
}

/* Fires what is due under the current settings (after a reload, the
   timers are made again of the new ones); a store failure is said and
   tried again next round, when the timers are still due. */
static void fire_timers(struct worker *w)
{
	struct settings *settings = settings_get();
	unsigned int fired;
	char *error = NULL;

	if (settings == w->timers_settings) {
		settings_put(&settings);
	} else {
		timers_close(&w->timers);
		settings_put(&w->timers_settings);
		if (timers_open(settings->config, w->store, w->outbox,
				&w->timers, &error) < 0) {
			log_error("timer: %s", error);
			g_free(error);
			settings_put(&settings);
			return;
		}
		w->timers_settings = settings;
	}
	do {
		if (timers_run(w->timers, now(), TIMERS_PER_ROUND, &fired,
			       &error) < 0) {
			log_error("timer: store: %s; will try again", error);
			g_free(error);
			return;
		}
	} while (fired == TIMERS_PER_ROUND && !stopping(w));
	/* a failure is said once, not every round, until it mends */
	if (report_mail_run(w->store, w->timers_settings->config, w->outbox,
			    w->reports_sent, now(), &error) < 0) {
		if (g_strcmp0(error, w->report_error) != 0)
			log_error("report: %s; will try again", error);
		g_free(w->report_error);
		w->report_error = error;
	} else {
		g_clear_pointer(&w->report_error, g_free);
	}
}

static gpointer timers_main(gpointer data)
{
	run_rounds(data, fire_timers);
	return NULL;
}

struct prune_context {
	struct spool *events;
	unsigned int forgotten;
};

static int prune_txn(struct store_txn *txn, void *context,
		     char **error_r)
{
	struct prune_context *c = context;
	GPtrArray *keys;
	int ret = store_applied_list(txn, &keys, error_r);

	c->forgotten = 0;
	for (unsigned int i = 0; ret == 0 && i < keys->len; i++) {
		if (spool_waiting(c->events, keys->pdata[i]))
			continue;
		ret = store_applied_del(txn, keys->pdata[i], error_r);
		c->forgotten++;
	}
	g_ptr_array_unref(keys);
	return ret;
}

int worker_start(const struct config *config, struct store *store,
		 struct worker **worker_r, char **error_r)
{
	struct worker *w = g_new0(struct worker, 1);
	char *dir = g_build_filename(config->spool_dir, "events", NULL);
	struct prune_context prune;
	char *error = NULL;
	int ret = spool_open(dir, true, &w->events, error_r);

	g_free(dir);
	if (ret == 0) {
		dir = g_build_filename(config->spool_dir, "outbox", NULL);
		ret = spool_open(dir, false, &w->outbox, error_r);
		g_free(dir);
	}
	if (ret < 0) {
		spool_close(&w->outbox);
		spool_close(&w->events);
		g_free(w);
		return -1;
	}
	prune.events = w->events;
	if (store_transaction(store, prune_txn, &prune, &error) < 0)
		log_warning("events: applied keys not pruned: %s", error);
	else if (prune.forgotten > 0)
		log_info("events: forgot %u applied key(s) of finished items",
			 prune.forgotten);
	g_free(error);
	w->store = store;
	w->status_dir = g_build_filename(config->spool_dir, "status", NULL);
	if (g_mkdir_with_parents(w->status_dir, 0755) < 0 ||
	    g_chmod(w->status_dir, 0755) < 0)
		log_warning("mkdir %s: %s", w->status_dir, g_strerror(errno));
	g_mutex_init(&w->lock);
	g_cond_init(&w->wake);
	w->reports_sent = g_hash_table_new_full(g_str_hash, g_str_equal,
						 g_free, NULL);
	w->events_thread = g_thread_new("events", events_main, w);
	w->mailbox_thread = g_thread_new("mailbox", mailbox_main, w);
	w->timers_thread = g_thread_new("timers", timers_main, w);
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
	g_cond_broadcast(&w->wake);
	g_mutex_unlock(&w->lock);
	g_thread_join(w->events_thread);
	g_thread_join(w->mailbox_thread);
	g_thread_join(w->timers_thread);
	timers_close(&w->timers);
	settings_put(&w->timers_settings);
	spool_close(&w->outbox);
	spool_item_free(&w->held);
	spool_close(&w->events);
	g_free(w->status_dir);
	g_free(w->report_error);
	g_hash_table_unref(w->reports_sent);
	g_mutex_clear(&w->lock);
	g_cond_clear(&w->wake);
	g_free(w);
}
