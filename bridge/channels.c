/* channels.c: the bridge's set of channels (channels.h).  A channel's
   settings are compared as a SHA-256 of their text as config_print()
   writes it, with the files it reads, so that a renewed token counts
   as a change and no secret is kept. */

#include "channels.h"
#include "inbound.h"
#include "log.h"
#include "telegram.h"
#include "viber.h"
#include "whatsapp.h"

#include <string.h>

struct channel {
	struct messenger *messenger;
	struct config *config;		/* the one it was made with */
	char *settings;			/* SHA-256 of them, hex */
};

struct channels {
	GPtrArray *list;		/* struct channel * */
};

static void channel_free(gpointer data)
{
	struct channel *c = data;

	if (c == NULL)	/* moved to another set */
		return;
	/* stops its inbound thread before the config it reads goes */
	messenger_free(&c->messenger);
	config_free(&c->config);
	g_free(c->settings);
	g_free(c);
}

static void add_file(GString *text, const char *key, const char *path)
{
	GError *error = NULL;
	char *data = NULL;
	size_t size = 0;

	if (path == NULL || *path == '\0')
		return;
	g_string_append_printf(text, "%s contents = ", key);
	if (g_file_get_contents(path, &data, &size, &error)) {
		g_string_append_len(text, data, size);
		memset(data, 0, size);
	} else {
		g_string_append(text, error->message);
		g_error_free(error);
	}
	g_string_append_c(text, '\n');
	g_free(data);
}

static char *settings_of(const struct config *config,
			 const struct config_channel *ch)
{
	const struct config_queue *queue = config_queue_by_name(config,
								ch->queue);
	GString *text = g_string_new(NULL);
	char *sum;

	config_print_shopdesk(config, text);
	if (queue != NULL)
		config_print_queue(queue, text);
	config_print_channel(ch, text);
	add_file(text, "token_file", ch->token_file);
	add_file(text, "webhook_secret_file", ch->webhook_secret_file);
	add_file(text, "app_secret_file", ch->app_secret_file);
	add_file(text, "verify_token_file", ch->verify_token_file);
	sum = g_compute_checksum_for_data(G_CHECKSUM_SHA256,
					  (const guchar *)text->str,
					  text->len);
	memset(text->str, 0, text->len);
	g_string_free(text, TRUE);
	return sum;
}

/* Returns 1 and the channel, 0 when this bridge has no such channel
   (logged), or -1 with *error_r. */
static int channel_new(struct config *config, const struct config_channel *ch,
		       struct channel **channel_r, char **error_r)
{
	struct messenger *m;
	char *error = NULL;

	*channel_r = NULL;
	if (strcmp(ch->name, "telegram") == 0)
		m = telegram_new(config, ch, &error);
	else if (strcmp(ch->name, "whatsapp") == 0)
		m = whatsapp_new(config, ch, &error);
	else if (strcmp(ch->name, "viber") == 0)
		m = viber_new(config, ch, &error);
	else {
		log_warning("[channel %s]: not supported by this bridge; its "
			    "messages wait in the outbox", ch->name);
		return 0;
	}
	if (m == NULL) {
		*error_r = g_strdup_printf("[channel %s]: %s", ch->name,
					   error);
		g_free(error);
		return -1;
	}
	*channel_r = g_new0(struct channel, 1);
	(*channel_r)->messenger = m;
	(*channel_r)->config = config_ref(config);
	(*channel_r)->settings = settings_of(config, ch);
	return 1;
}

static struct channel *find(struct channels *c, const char *name)
{
	for (unsigned int i = 0; i < c->list->len; i++) {
		struct channel *ch = c->list->pdata[i];

		if (ch != NULL && strcmp(ch->messenger->name, name) == 0)
			return ch;
	}
	return NULL;
}

static bool configured(const struct config *config, const char *name)
{
	for (unsigned int i = 0; i < config->channels->len; i++) {
		const struct config_channel *ch = config->channels->pdata[i];

		if (strcmp(ch->name, name) == 0)
			return true;
	}
	return false;
}

static struct channels *channels_empty(void)
{
	struct channels *c = g_new0(struct channels, 1);

	c->list = g_ptr_array_new_with_free_func(channel_free);
	return c;
}

struct channels *channels_new(struct config *config, char **error_r)
{
	struct channels *c = channels_empty();

	for (unsigned int i = 0; i < config->channels->len; i++) {
		struct channel *ch;
		int ret = channel_new(config, config->channels->pdata[i], &ch,
				      error_r);

		if (ret < 0) {
			channels_free(&c);
			return NULL;
		}
		if (ret > 0)
			g_ptr_array_add(c->list, ch);
	}
	return c;
}

int channels_start(struct channels *c, char **error_r)
{
	for (unsigned int i = 0; i < c->list->len; i++) {
		struct messenger *m =
			((struct channel *)c->list->pdata[i])->messenger;
		char *error = NULL;

		if (inbound_start(m->inbound, &error) < 0) {
			*error_r = g_strdup_printf("[channel %s]: %s", m->name,
						   error);
			g_free(error);
			return -1;
		}
	}
	return 0;
}

/* Starts the channels made by a reload; how says, for each, what its
   log line says. */
static void start_fresh(GPtrArray *fresh, GPtrArray *how)
{
	for (unsigned int i = 0; i < fresh->len; i++) {
		struct messenger *m =
			((struct channel *)fresh->pdata[i])->messenger;
		char *error = NULL;

		if (inbound_start(m->inbound, &error) < 0) {
			log_error("[channel %s]: %s; it receives nothing until "
				  "it is started again", m->name, error);
			g_free(error);
		} else {
			log_info("[channel %s]: %s", m->name,
				 (const char *)how->pdata[i]);
		}
	}
}

struct channels *channels_reload(struct channels **_old, struct config *next,
				 char **error_r)
{
	struct channels *old = *_old, *c = channels_empty();
	GPtrArray *fresh = g_ptr_array_new();	/* made now, to start */
	GPtrArray *how = g_ptr_array_new();	/* for each, the log's word */

	/* first everything that can fail, old untouched */
	for (unsigned int i = 0; i < next->channels->len; i++) {
		const struct config_channel *cc = next->channels->pdata[i];
		struct channel *same = find(old, cc->name), *ch;
		char *settings = settings_of(next, cc);
		bool unchanged = same != NULL &&
			strcmp(same->settings, settings) == 0;

		g_free(settings);
		if (unchanged) {
			g_ptr_array_add(c->list, same);
			continue;
		}
		if (channel_new(next, cc, &ch, error_r) < 0) {
			/* the reused ones are old's still */
			for (unsigned int j = 0; j < c->list->len; j++)
				if (!g_ptr_array_find(fresh, c->list->pdata[j],
						      NULL))
					c->list->pdata[j] = NULL;
			g_ptr_array_unref(fresh);
			g_ptr_array_unref(how);
			channels_free(&c);
			return NULL;
		}
		if (ch != NULL) {
			g_ptr_array_add(c->list, ch);
			g_ptr_array_add(fresh, ch);
			g_ptr_array_add(how, same != NULL ?
					"settings changed, restarted" :
					"started");
		}
	}
	/* then old's that stay move over; the others stop, before the new
	   ones listen where they did */
	for (unsigned int i = 0; i < old->list->len; i++) {
		struct channel *ch = old->list->pdata[i];

		if (g_ptr_array_find(c->list, ch, NULL))
			old->list->pdata[i] = NULL;
		else if (!configured(next, ch->messenger->name))
			log_info("[channel %s]: no longer configured, stopped",
				 ch->messenger->name);
	}
	channels_free(_old);
	start_fresh(fresh, how);
	g_ptr_array_unref(fresh);
	g_ptr_array_unref(how);
	return c;
}

struct messenger *channels_find(struct channels *c, const char *name)
{
	struct channel *ch = find(c, name);

	return ch != NULL ? ch->messenger : NULL;
}

void channels_free(struct channels **_c)
{
	struct channels *c = *_c;

	if (c == NULL)
		return;
	*_c = NULL;
	g_ptr_array_unref(c->list);
	g_free(c);
}
