/* messenger.c: a channel as the worker holds it (messenger.h): its own
   code behind ops, and its share of the channel layer, whose parts it
   frees in the order the threads need. */

#include "messenger.h"
#include "inbound.h"
#include "provider.h"

#include <glib.h>

struct messenger *messenger_new(const char *name, void *impl,
				const struct messenger_ops *ops,
				struct provider *provider,
				struct inbound *inbound)
{
	struct messenger *m = g_new0(struct messenger, 1);

	m->name = name;
	m->impl = impl;
	m->ops = ops;
	m->provider = provider;
	m->inbound = inbound;
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
