/* messenger.c: a channel as the worker holds it (messenger.h): its own
   code behind ops, and its share of the channel layer, whose parts it
   makes for every channel alike and frees in the order the threads
   need. */

#include "messenger.h"
#include "inbound.h"
#include "provider.h"

#include <glib.h>

struct messenger *messenger_new(const struct config *config,
				const struct config_channel *ch, void *impl,
				const struct messenger_ops *ops,
				const char *const *headers,
				struct provider **provider_r,
				struct inbound **inbound_r, char **error_r)
{
	struct messenger *m;

	*provider_r = provider_new(ops->provider, headers);
	*inbound_r = inbound_new(config, ch, ops->inbound, impl, error_r);
	if (*inbound_r == NULL) {
		/* *provider_r is impl's: freed first */
		provider_free(provider_r);
		ops->free(impl);
		return NULL;
	}
	m = g_new0(struct messenger, 1);
	m->name = ch->name;
	m->impl = impl;
	m->ops = ops;
	m->provider = *provider_r;
	m->inbound = *inbound_r;
	return m;
}

void messenger_free(struct messenger **_m)
{
	struct messenger *m = *_m;

	if (m == NULL)
		return;
	*_m = NULL;
	/* the inbound thread uses impl: it goes first */
	inbound_stop(m->inbound);
	m->ops->free(m->impl);
	inbound_free(&m->inbound);
	provider_free(&m->provider);
	g_free(m);
}

void messenger_outcome_clear(struct send_outcome *out)
{
	g_free(out->message_id);
	g_free(out->why);
	out->message_id = NULL;
	out->why = NULL;
	out->retry_after = 0;
	out->result = SEND_OK;
	out->finished = false;
}
