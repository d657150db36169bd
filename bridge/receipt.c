/* receipt.c: delivery events and the records that let a provider's
   later report find its ticket (receipt.h).  A record is the outbox
   message itself without its attachments, so that a failure reported
   later makes the same notice as one found at once. */

#include "receipt.h"
#include "evfile.h"
#include "log.h"
#include "notice.h"
#include "state.h"

#include <glib/gstdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define RECORD_DAYS 7
#define SWEEP_EVERY 500		/* records written between sweeps */

struct receipts {
	const struct config *config;
	char *channel;
	char *dir;
	struct spool *events;
	struct spool *outbox;
	GMutex lock;		/* the worker records, the webhook reads */
	unsigned int written;
};

int receipt_event_put(struct spool *events, const char *event_key,
		      const char *channel, uint32_t ticket,
		      const char *message_id, const char *chat,
		      const char *result, const char *ids,
		      const char *outbox, const char *why, char **error_r)
{
	struct evfile_event ev = {
		.type = EVFILE_DELIVERY,
		.ticket = ticket,
		.channel = channel,
		.chat = chat,
		.result = result,
		.message_ids = ids,
		.outbox = outbox,
		.why = why,
	};
	struct evfile file = {
		.user = "shopdesk-bridge",
		.service = channel,
		.time = g_get_real_time() / G_USEC_PER_SEC,
		.events = &ev,
		.count = 1,
	};
	char *text, *mid;
	size_t size;
	int ret;

	if (ticket == 0)
		return 1;
	/* the milter believes an event only for a message of the ticket:
	   the agent's reply is one */
	mid = *message_id != '\0' ? g_strdup_printf("<%s>", message_id) :
		g_strdup("");
	ev.message_id = mid;
	text = evfile_write(&file, &size);
	ret = spool_put(events, event_key, text, size, error_r);
	free(text);
	g_free(mid);
	return ret;
}

/* A handle of our own on spool_dir/name, which the worker made. */
static int open_spool(const struct config *config, const char *name,
		      struct spool **spool_r, char **error_r)
{
	char *dir = g_build_filename(config->spool_dir, name, NULL);
	int ret = spool_open(dir, false, spool_r, error_r);

	g_free(dir);
	return ret;
}

struct receipts *receipts_open(const struct config *config,
			       const char *channel, char **error_r)
{
	struct receipts *r = g_new0(struct receipts, 1);

	r->config = config;
	r->channel = g_strdup(channel);
	r->dir = g_build_filename(config->spool_dir, channel, "sent", NULL);
	g_mutex_init(&r->lock);
	if (g_mkdir_with_parents(r->dir, 0770) < 0) {
		*error_r = g_strdup_printf("mkdir %s: %s", r->dir,
					   g_strerror(errno));
		receipts_close(&r);
	} else if (open_spool(config, "events", &r->events, error_r) < 0 ||
		   open_spool(config, "outbox", &r->outbox, error_r) < 0) {
		receipts_close(&r);
	}
	return r;
}

void receipts_close(struct receipts **_r)
{
	struct receipts *r = *_r;

	if (r == NULL)
		return;
	*_r = NULL;
	spool_close(&r->events);
	spool_close(&r->outbox);
	g_mutex_clear(&r->lock);
	g_free(r->channel);
	g_free(r->dir);
	g_free(r);
}

void receipts_record(struct receipts *r, const char *provider_id,
		     const struct outbox_message *m)
{
	struct outbox_message *copy = outbox_message_new();
	char *json, *name = state_digest(provider_id), *error = NULL;

	copy->channel = g_strdup(m->channel);
	copy->chat = g_strdup(m->chat);
	copy->ticket = m->ticket;
	copy->created = m->created;
	copy->order = m->order;
	copy->queue = g_strdup(m->queue);
	copy->agent = g_strdup(m->agent);
	copy->subject = g_strdup(m->subject);
	copy->in_reply_to = g_strdup(m->in_reply_to);
	/* a record must read back: a message of files only says so */
	copy->text = *m->text != '\0' ? g_strdup(m->text) :
		g_strdup_printf("(%u attachment(s))", m->attachments->len);
	g_ptr_array_add(copy->sent, g_strdup(provider_id));
	json = outbox_message_encode(copy);
	g_mutex_lock(&r->lock);
	if (state_write(r->dir, name, json, strlen(json), &error) < 0) {
		log_error("%s: ticket=%u chat=%s: no record of %s, a report "
			  "on it will find no ticket: %s", r->channel,
			  m->ticket, m->chat, provider_id, error);
		g_free(error);
	}
	if (++r->written % SWEEP_EVERY == 1)
		state_sweep(r->dir, RECORD_DAYS * 24 * 3600);
	g_mutex_unlock(&r->lock);
	g_free(json);
	g_free(name);
	outbox_message_free(&copy);
}

int receipts_status(struct receipts *r, const char *provider_id,
		    const char *status, const char *why)
{
	char *name = state_digest(provider_id);
	char *path = g_build_filename(r->dir, name, NULL);
	char *data = NULL, *error = NULL, *key;
	struct outbox_message *m = NULL;
	size_t size;
	int ret = 1;

	g_mutex_lock(&r->lock);
	if (!g_file_get_contents(path, &data, &size, NULL) ||
	    outbox_message_decode(data, size, &m, &error) < 0) {
		g_mutex_unlock(&r->lock);
		log_info("%s: status %s for %s: no record of it (not ours, or "
			 "older than %d days), not recorded", r->channel,
			 status, provider_id, RECORD_DAYS);
		g_free(error);
		g_free(data);
		g_free(path);
		g_free(name);
		return 0;
	}
	g_mutex_unlock(&r->lock);
	/* one event per status of each id, however often it is reported */
	key = g_strdup_printf("delivery.%s.%s.%s", status, r->channel, name);
	switch (receipt_event_put(r->events, key, r->channel, m->ticket,
				  m->in_reply_to, m->chat, status, provider_id,
				  "", why, &error)) {
	case -1:
		log_error("%s: status %s for %s: ticket=%u chat=%s no delivery "
			  "event: %s", r->channel, status, provider_id,
			  m->ticket, m->chat, error);
		g_free(error);
		ret = -1;
		break;
	case 0:
		log_info("%s: status %s for %s: ticket=%u chat=%s: reported "
			 "before, skipped", r->channel, status, provider_id,
			 m->ticket, m->chat);
		ret = 2;
		break;
	default:
		log_info("%s: status %s for %s: ticket=%u chat=%s%s%s "
			 "(recorded)", r->channel, status, provider_id,
			 m->ticket, m->chat, why != NULL ? " why=" : "",
			 why != NULL ? why : "");
		break;
	}
	if (ret == 1 && strcmp(status, "failed") == 0) {
		char *notice_key = g_strdup_printf("status.%s.%s", r->channel,
						   name);

		notice_undelivered(r->config, r->outbox, notice_key, m, 0, 0,
				   why != NULL ? why : "the provider reported "
				   "it failed");
		g_free(notice_key);
	}
	g_free(key);
	outbox_message_free(&m);
	g_free(data);
	g_free(path);
	g_free(name);
	return ret < 0 ? -1 : 1;
}

void receipts_notice(struct receipts *r, const char *key,
		     const struct outbox_message *m, const char *why)
{
	notice_undelivered(r->config, r->outbox, key, m, 0, 0, why);
}
