/* main.c: shopdesk-bridge, the outbox worker.  It claims outbox items
   (spool.h) one at a time, oldest first, hands each to its channel and
   then marks it done, defers it with Postfix's backoff (the wait grows
   with the item's age, within [outbox_retry_min, outbox_retry_max]) or
   buries it past outbox_lifetime.  A crash between sending and marking
   done resends on restart only what the channel cannot tell apart;
   nothing is lost.  It never opens the ticket store.

   Messenger messages keep each chat's order: an item is not sent while
   an earlier one of the same chat waits (deferred), and each part sent
   is recorded in the item before the next.  A message given up (the
   provider refuses it for good, or it outlived outbox_lifetime) goes to
   dead/ and its agent gets a notice mail.  The messengers' inbound side
   runs in their own threads (inbound.c).

   SIGHUP reloads the configuration between two items: the channels
   whose settings changed restart (channels.h), the others go on; the
   outbox is not touched. */

#include "ack.h"
#include "channels.h"
#include "config.h"
#include "daemon.h"
#include "log.h"
#include "mail.h"
#include "messenger.h"
#include "notice.h"
#include "outbox.h"
#include "provider.h"
#include "receipt.h"
#include "spool.h"

#include <curl/curl.h>
#include <gmime/gmime.h>
#include <json-glib/json-glib.h>
#include <glib-unix.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

/* The outbox is looked at this often when idle: an ack leaves within a
   quarter of a second of its ticket, without a wake-up channel to keep. */
#define POLL_MS 250
/* Items handled per look, and the time a look may take, so that a
   signal is noticed in a big backlog (paced sends sleep) */
#define BATCH_MAX 100
#define BATCH_USEC (2 * G_USEC_PER_SEC)
/* A provider's pause longer than this is waited out in the spool */
#define WAIT_MAX (2 * G_USEC_PER_SEC)

/* What the bridge holds open from its start; the rest of the file
   takes effect at a reload. */
static const char *const restart_keys[] = { "spool_dir", "user", NULL };

struct bridge {
	struct config *config;	/* the current one */
	struct spool *outbox;
	struct spool *events;	/* delivery results, for the history */
	GMainLoop *loop;
	struct channels *channels;
	bool draining;		/* drain_more() is scheduled */
};

static int64_t now(void)
{
	return g_get_real_time() / G_USEC_PER_SEC;
}

/* Defers (after delay seconds when the channel asked for it, else by
   the item's age) or, past the item's lifetime, buries it; logs either.
   Returns true when it buried it. */
static bool retry_later(struct bridge *b, struct spool_item **item,
			int64_t created, int64_t asked, const char *what,
			const char *why)
{
	const struct config *c = b->config;
	int64_t age = now() - created;
	int64_t delay = asked > 0 ? asked :
		CLAMP(age, c->outbox_retry_min, c->outbox_retry_max);
	char *error = NULL;

	if (created > 0 && age > c->outbox_lifetime) {
		log_error("%s: status=dead (%s; given up after %" G_GINT64_FORMAT
			  " s)", what, why, age);
		if (spool_bury(b->outbox, item, &error) < 0)
			log_error("outbox: %s", error);
		g_free(error);
		return true;
	} else {
		log_warning("%s: status=deferred (%s); next try in %"
			    G_GINT64_FORMAT " s", what, why, delay);
		if (spool_defer(b->outbox, item, now() + delay, &error) < 0)
			log_error("outbox: %s", error);
	}
	g_free(error);
	return false;
}

static void deliver_mail(struct bridge *b, struct spool_item **item,
			 const struct outbox_mail *mail)
{
	char *what = g_strdup_printf("%s: ticket=%u to=<%s>%s", (*item)->key,
				     mail->ticket, mail->recipients[0],
				     mail->recipients[1] != NULL ? ",..." : "");
	char *why = NULL, *error = NULL;

	switch (mail_send(b->config->sendmail, mail,
			  b->config->sendmail_timeout, &why)) {
	case MAIL_SENT:
		log_info("%s: status=sent via sendmail", what);
		if (spool_done(b->outbox, item, &error) < 0)
			log_error("outbox: %s", error);
		break;
	case MAIL_RETRY:
		retry_later(b, item, mail->created, 0, what, why);
		break;
	case MAIL_FAILED:
		log_error("%s: status=dead (%s)", what, why);
		if (spool_bury(b->outbox, item, &error) < 0)
			log_error("outbox: %s", error);
		break;
	}
	g_free(error);
	g_free(why);
	g_free(what);
}

/* Whether an item of the same chat that came earlier still waits in
   new/ (deferred, or not yet claimed); then *until_r is when this one
   may go: a second after the latest of them. */
static bool earlier_waiting(struct bridge *b, const char *key,
			    const struct outbox_message *m, int64_t *until_r)
{
	char *prefix = outbox_message_prefix(m->channel, m->chat);
	GPtrArray *list = spool_list(b->outbox, SPOOL_WAITING, prefix);
	int64_t until = now();
	bool found = false;

	for (unsigned int i = 0; i < list->len; i++) {
		const struct spool_entry *e = list->pdata[i];
		struct outbox_message *other = NULL;
		char *data = NULL, *error = NULL;
		size_t size;

		if (strcmp(e->key, key) == 0 ||
		    spool_peek(b->outbox, e->key, &data, &size, &error) != 1) {
			g_free(error);
			continue;
		}
		if (outbox_message_decode(data, size, &other, &error) == 0 &&
		    strcmp(other->chat, m->chat) == 0 &&
		    (other->order < m->order ||
		     (other->order == m->order && strcmp(e->key, key) < 0))) {
			found = true;
			until = MAX(until, e->not_before);
		}
		outbox_message_free(&other);
		g_free(error);
		g_free(data);
	}
	g_ptr_array_unref(list);
	g_free(prefix);
	*until_r = until + 1;
	return found;
}

/* Tells the milter, through the events spool (mbevent.h), what became
   of a message, so that the ticket's history has the provider's ids or
   the reason.  Keyed by result and item: a repeat puts nothing twice.
   Failing, it logs: the log line of the result has it all too. */
static void report_delivery(struct bridge *b, const char *key,
			    const struct outbox_message *m, const char *result,
			    const char *ids, const char *why)
{
	char *event_key = g_strdup_printf("delivery.%s.%s", result, key);
	char *error = NULL;

	if (receipt_event_put(b->events, event_key, m->channel, m->ticket,
			      m->in_reply_to, m->chat, result, ids, key, why,
			      &error) < 0)
		log_error("%s: ticket=%u no delivery event: %s", key,
			  m->ticket, error);
	g_free(error);
	g_free(event_key);
}

static char *joined(GPtrArray *strings)
{
	GString *out = g_string_new(NULL);

	for (unsigned int i = 0; i < strings->len; i++)
		g_string_append_printf(out, "%s%s", i > 0 ? "," : "",
				       (char *)strings->pdata[i]);
	return g_string_free(out, FALSE);
}

static void deliver_message(struct bridge *b, struct spool_item **item)
{
	struct outbox_message *m = NULL;
	struct messenger *messenger;
	struct send_outcome out = { .result = SEND_OK };
	char *what, *error = NULL, *ids, *key = g_strdup((*item)->key);
	unsigned int parts, done_before;
	int64_t until;

	if (outbox_message_decode((*item)->data, (*item)->size, &m,
				  &error) < 0) {
		log_error("%s: status=dead (malformed message item: %s)",
			  (*item)->key, error);
		g_free(error);
		error = NULL;
		if (spool_bury(b->outbox, item, &error) < 0)
			log_error("outbox: %s", error);
		g_free(error);
		return;
	}
	what = g_strdup_printf("%s: ticket=%u channel=%s chat=%s",
			       (*item)->key, m->ticket, m->channel, m->chat);
	messenger = channels_find(b->channels, m->channel);
	if (messenger == NULL) {
		/* the admin may yet configure it: nothing is given up
		   before outbox_lifetime */
		char *why = g_strdup_printf("no [channel %s] configured",
					    m->channel);

		if (retry_later(b, item, m->created, 0, what, why)) {
			notice_undelivered(b->config, b->outbox, key, m, 0,
					   0, why);
			report_delivery(b, key, m, "dead", "", why);
		}
		g_free(why);
		goto out;
	}
	if (m->sent->len == 0 &&
	    earlier_waiting(b, (*item)->key, m, &until)) {
		log_info("%s: status=waiting (an earlier message to this chat "
			 "is not sent yet)", what);
		if (spool_defer(b->outbox, item, until, &error) < 0)
			log_error("outbox: %s", error);
		g_free(error);
		goto out;
	}
	parts = messenger->ops->parts(messenger->impl, m);
	done_before = m->sent->len;
	for (unsigned int p = m->sent->len; p < parts; p++) {
		int64_t wait = provider_wait(messenger->provider, m->chat);
		char *json;

		messenger_outcome_clear(&out);
		if (wait > WAIT_MAX) {
			/* the provider asked every chat to wait (a 429):
			   the item waits in the spool, not the worker */
			out.result = SEND_RETRY;
			out.retry_after = (wait + G_USEC_PER_SEC - 1) /
				G_USEC_PER_SEC;
			out.why = g_strdup("the provider asked to wait");
			break;
		}
		if (wait > 0)
			g_usleep(wait);
		messenger->ops->send(messenger->impl, m, p, &out);
		if (out.result != SEND_OK)
			break;
		g_ptr_array_add(m->sent, g_steal_pointer(&out.message_id));
		if (out.finished)
			parts = m->sent->len;
		if (p + 1 == parts || out.finished)
			break;	/* done next, which is as durable */
		/* recorded before the next part: a retry sends only the
		   rest */
		json = outbox_message_encode(m);
		if (spool_update(b->outbox, *item, json, strlen(json),
				 &error) < 0) {
			/* going on would send it all again at the next
			   retry: stop here, and try the rest later */
			log_error("%s: cannot record part %u as sent: %s",
				  what, p + 1, error);
			g_free(error);
			error = NULL;
			g_free(json);
			out.result = SEND_RETRY;
			out.why = g_strdup("progress not recorded");
			break;
		}
		g_free(json);
	}
	ids = joined(m->sent);
	switch (out.result) {
	case SEND_OK:
		log_info("%s: status=sent parts=%u message_ids=%s", what,
			 parts, ids);
		report_delivery(b, key, m, "sent", ids, NULL);
		if (spool_done(b->outbox, item, &error) < 0)
			log_error("outbox: %s", error);
		break;
	case SEND_RETRY:
		if (m->sent->len > done_before)
			log_info("%s: parts %u of %u sent, message_ids=%s",
				 what, m->sent->len, parts, ids);
		if (retry_later(b, item, m->created, out.retry_after, what,
				out.why)) {
			notice_undelivered(b->config, b->outbox, key, m,
					   m->sent->len, parts, out.why);
			report_delivery(b, key, m, "dead", ids, out.why);
		}
		break;
	case SEND_FAILED:
		log_error("%s: status=dead (%s)%s%s", what, out.why,
			  m->sent->len > 0 ? " message_ids=" : "", ids);
		notice_undelivered(b->config, b->outbox, key, m,
				   m->sent->len, parts, out.why);
		report_delivery(b, key, m, "dead", ids, out.why);
		if (spool_bury(b->outbox, item, &error) < 0)
			log_error("outbox: %s", error);
		break;
	}
	g_free(error);
	g_free(ids);
	messenger_outcome_clear(&out);
out:
	g_free(key);
	g_free(what);
	outbox_message_free(&m);
}

static void handle(struct bridge *b, struct spool_item **item)
{
	struct outbox_mail *mail = NULL;
	char *kind = NULL, *error = NULL;

	switch (outbox_decode((*item)->data, (*item)->size, &mail, &kind,
			      &error)) {
	case 1:
		deliver_mail(b, item, mail);
		outbox_mail_free(&mail);
		return;
	case 0:
		if (strcmp(kind, "message") == 0) {
			g_free(kind);
			deliver_message(b, item);
			return;
		}
		/* no channel of this kind here: keep it for an admin */
		log_error("%s: status=dead (no channel for kind \"%s\")",
			  (*item)->key, kind);
		break;
	default:
		log_error("%s: status=dead (malformed item: %s)",
			  (*item)->key, error);
		break;
	}
	g_free(kind);
	g_free(error);
	error = NULL;
	if (spool_bury(b->outbox, item, &error) < 0)
		log_error("outbox: %s", error);
	g_free(error);
}

/* Handles items for at most BATCH_MAX of them or BATCH_USEC; returns
   whether some may be left. */
static bool drain_batch(struct bridge *b)
{
	struct spool_item *item;
	char *error = NULL;
	int64_t until = g_get_monotonic_time() + BATCH_USEC;

	for (unsigned int i = 0; i < BATCH_MAX; i++) {
		int ret;

		if (g_get_monotonic_time() >= until)
			return true;
		ret = spool_claim(b->outbox, now(), &item, &error);
		if (ret < 0) {
			log_error("outbox: %s", error);
			g_free(error);
			return false;
		}
		if (ret == 0)
			return false;
		handle(b, &item);
	}
	return true;
}

/* A backlog goes on right after the main loop has looked at signals */
static gboolean drain_more(gpointer data)
{
	struct bridge *b = data;

	if (drain_batch(b))
		return G_SOURCE_CONTINUE;
	b->draining = false;
	return G_SOURCE_REMOVE;
}

static gboolean drain(gpointer data)
{
	struct bridge *b = data;

	if (!b->draining && drain_batch(b)) {
		b->draining = true;
		g_idle_add(drain_more, b);
	}
	return G_SOURCE_CONTINUE;
}

static gboolean stop(gpointer data)
{
	struct bridge *b = data;

	g_main_loop_quit(b->loop);
	return G_SOURCE_CONTINUE;
}

/* The configuration again, with the templates it names; when either is
   wrong the old one stays.  It runs in the main loop, between two
   items: nothing is being sent. */
static gboolean reload(gpointer data)
{
	struct bridge *b = data;
	const char *path = b->config->path;
	struct ack_templates *templates = NULL;
	struct channels *channels;
	struct config *next;
	char *error = NULL, *kept;

	if (config_load(path, &next, &error) < 0) {
		log_error("configuration not reloaded, the old one stays: %s",
			  error);
		g_free(error);
		return G_SOURCE_CONTINUE;
	}
	kept = config_keep_running(next, b->config, restart_keys);
	if (ack_templates_load(next->templates_dir, &templates, &error) < 0 ||
	    (channels = channels_reload(&b->channels, next, &error)) ==
	    NULL) {
		log_error("configuration not reloaded, the old one stays: "
			  "%s: %s", path, error);
		g_free(error);
		g_free(kept);
		ack_templates_free(&templates);
		config_free(&next);
		return G_SOURCE_CONTINUE;
	}
	ack_templates_free(&templates);
	if (kept != NULL)
		log_warning("%s: %s: changed in the file, the running value "
			    "stays until a restart", next->path, kept);
	g_free(kept);
	b->channels = channels;
	config_free(&b->config);
	b->config = next;
	log_info("reloaded configuration from %s", next->path);
	return G_SOURCE_CONTINUE;
}

int main(int argc, char *argv[])
{
	struct config *config = daemon_start("shopdesk-bridge", argc, argv);
	struct bridge b = { 0 };
	char *error = NULL, *dir;

	umask(007);
	/* nothing it opens needs root: the spools are the user's */
	daemon_drop_privileges(config);

	b.config = config;
	g_mime_init();
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		daemon_die("libcurl cannot start");
	dir = g_build_filename(config->spool_dir, "outbox", NULL);
	if (spool_open(dir, true, &b.outbox, &error) < 0)
		daemon_die("outbox: %s", error);
	g_free(dir);
	dir = g_build_filename(config->spool_dir, "events", NULL);
	if (spool_open(dir, false, &b.events, &error) < 0)
		daemon_die("events: %s", error);
	g_free(dir);
	dir = g_build_filename(config->spool_dir, "outbox", NULL);
	b.channels = channels_new(config, &error);
	if (b.channels == NULL)
		daemon_die("%s", error);
	b.loop = g_main_loop_new(NULL, FALSE);
	g_unix_signal_add(SIGTERM, stop, &b);
	g_unix_signal_add(SIGINT, stop, &b);
	g_unix_signal_add(SIGHUP, reload, &b);
	g_timeout_add(POLL_MS, drain, &b);
	log_info("starting: outbox %s, sendmail \"%s\"", dir,
		 config->sendmail);
	if (channels_start(b.channels, &error) < 0)
		daemon_die("%s", error);
	daemon_ready();
	drain(&b);
	g_main_loop_run(b.loop);
	log_info("stopping");

	channels_free(&b.channels);	/* stops their threads */
	curl_global_cleanup();
	g_main_loop_unref(b.loop);
	spool_close(&b.outbox);
	spool_close(&b.events);
	g_free(dir);
	config_free(&b.config);
	return 0;
}
