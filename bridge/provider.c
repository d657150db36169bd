/* provider.c: what every channel does the same way with its provider's
   API (provider.h).  It knows no provider: URLs, the JSON of requests
   and answers and the meaning of each error code are the channels'.
   The pace is kept here for the worker, which asks it before each call
   (main.c); the calls are made by the channels. */

#include "provider.h"
#include "jsonget.h"
#include "log.h"

#include <string.h>

struct provider {
	const struct provider_rules *rules;
	char **headers;
	struct http *http;	/* the worker's */
	GMutex lock;		/* the pace: the worker's, and a webhook's
				   media calls */
	GHashTable *last_chat;	/* chat -> int64_t *, monotonic time */
	int64_t last_any;	/* of the last call, or so that the next
				   waits out a pause */
};

struct provider *provider_new(const struct provider_rules *rules,
			      const char *const *headers)
{
	struct provider *p = g_new0(struct provider, 1);

	p->rules = rules;
	p->headers = g_strdupv((char **)headers);
	p->http = http_new(NULL);
	g_mutex_init(&p->lock);
	p->last_chat = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					     g_free);
	return p;
}

void provider_free(struct provider **_p)
{
	struct provider *p = *_p;

	if (p == NULL)
		return;
	*_p = NULL;
	for (char **h = p->headers; h != NULL && *h != NULL; h++)
		memset(*h, 0, strlen(*h));
	g_strfreev(p->headers);
	http_free(&p->http);
	g_hash_table_unref(p->last_chat);
	g_mutex_clear(&p->lock);
	g_free(p);
}

const struct provider_rules *provider_rules(const struct provider *p)
{
	return p->rules;
}

const char *const *provider_headers(const struct provider *p)
{
	return (const char *const *)p->headers;
}

struct http *provider_http(struct provider *p)
{
	return p->http;
}

enum provider_result provider_http_result(const struct provider *p,
					  long status)
{
	if (status == 429)
		return PROVIDER_RATE;
	if (status < 400 || status >= 500)
		return PROVIDER_RETRY;
	for (const long *s = p->rules->admin_statuses; s != NULL && *s != 0;
	     s++) {
		if (*s == status)
			return PROVIDER_RETRY;
	}
	return PROVIDER_DEAD;
}

enum provider_result provider_code_result(const struct provider *p,
					  long status, int64_t code)
{
	enum provider_result result = p->rules->code_default;

	for (unsigned int i = 0; i < p->rules->n_codes; i++) {
		if (p->rules->codes[i].code == code)
			result = p->rules->codes[i].result;
	}
	if (status == 429)
		return PROVIDER_RATE;
	if (result == PROVIDER_DEAD && status >= 500)
		return PROVIDER_RETRY;
	return result;
}

int provider_request(struct provider *p, struct http *http,
		     const char *what, const char *url, const char *json,
		     curl_mime *mime, long timeout, size_t max,
		     struct http_response *r, JsonNode **root_r, char **why_r)
{
	char *failure = NULL;

	*root_r = NULL;
	if (http_request_with(http, url, provider_headers(p), json, mime,
			      timeout, max, r, &failure) < 0) {
		*why_r = g_strdup_printf("%s: %s", what, failure);
		g_free(failure);
		return -1;
	}
	*root_r = jsonget_parse(r->body->data, r->body->len, &failure);
	g_free(failure);
	return 0;
}

void provider_calling(struct provider *p, const char *chat)
{
	int64_t now = g_get_monotonic_time();
	int64_t *last;

	g_mutex_lock(&p->lock);
	p->last_any = MAX(p->last_any, now);
	if (p->rules->chat_gap > 0) {
		last = g_hash_table_lookup(p->last_chat, chat);
		if (last == NULL) {
			last = g_new(int64_t, 1);
			g_hash_table_insert(p->last_chat, g_strdup(chat),
					    last);
		}
		*last = now;
	}
	g_mutex_unlock(&p->lock);
}

int64_t provider_wait(struct provider *p, const char *chat)
{
	int64_t now = g_get_monotonic_time();
	int64_t wait, *last;

	g_mutex_lock(&p->lock);
	wait = p->last_any + p->rules->all_gap - now;
	last = g_hash_table_lookup(p->last_chat, chat);
	if (last != NULL)
		wait = MAX(wait, *last + p->rules->chat_gap - now);
	g_mutex_unlock(&p->lock);
	return MAX(wait, 0);
}

/* Nothing goes to any chat for usec from now. */
static void hold(struct provider *p, int64_t usec)
{
	g_mutex_lock(&p->lock);
	p->last_any = MAX(p->last_any, g_get_monotonic_time() + usec -
			  p->rules->all_gap);
	g_mutex_unlock(&p->lock);
}

void provider_outcome(struct provider *p, const struct outbox_message *m,
		      enum provider_result result, char *message_id,
		      char *why, int64_t retry_after,
		      struct send_outcome *out)
{
	messenger_outcome_clear(out);
	switch (result) {
	case PROVIDER_OK:
		out->result = SEND_OK;
		if (message_id == NULL) {
			log_warning("%s: ticket=%u chat=%s: %s; counted as "
				    "sent", p->rules->name, m->ticket, m->chat,
				    why != NULL ? why : "no message id in the "
				    "answer");
			message_id = g_strdup("?");
		}
		out->message_id = message_id;
		g_free(why);
		return;
	case PROVIDER_RATE:
		if (retry_after > 0)
			hold(p, retry_after * G_USEC_PER_SEC);
		else if (p->rules->rate_pause > 0)
			hold(p, p->rules->rate_pause);
		/* fall through */
	case PROVIDER_RETRY:
		out->result = SEND_RETRY;
		out->retry_after = retry_after;
		break;
	case PROVIDER_DEAD:
		out->result = SEND_FAILED;
		break;
	}
	out->why = why;
	g_free(message_id);
}
