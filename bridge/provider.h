#ifndef SHOPDESK_BRIDGE_PROVIDER_H
#define SHOPDESK_BRIDGE_PROVIDER_H

#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "http.h"
#include "messenger.h"

/* The channels' common way with their providers' APIs: a request and
   its answer read as JSON, what an answer means (one set of classes for
   every provider, each channel mapping its own error codes to them),
   and the pace of calls, per chat and in all, with the pause every
   chat keeps after a rate limit.  A channel's file says only what its
   provider does differently: URLs, the JSON, its codes and limits. */

enum provider_result {
	PROVIDER_OK,
	PROVIDER_RETRY,		/* later: network, 5xx, what the admin must
				   fix (a token, a URL) */
	PROVIDER_RATE,		/* later, and every chat waits: a rate
				   limit */
	PROVIDER_DEAD,		/* never: chat gone, bot blocked */
};

/* One of a provider's error codes and what it means. */
struct provider_code {
	int64_t code;
	enum provider_result result;
};

/* What a channel tells the layer of its provider. */
struct provider_rules {
	const char *name;	/* the channel's, for log lines */
	/* microseconds from the start of a call to the next one to the
	   same chat (0: no pace per chat), and to any call */
	int64_t chat_gap;
	int64_t all_gap;
	/* microseconds every chat waits after a rate limit that names no
	   time of its own (0: none) */
	int64_t rate_pause;
	/* the HTTP statuses of 400 and up, besides 429 and 5xx, that the
	   admin can fix (a wrong token or URL), so that nothing is given
	   up meanwhile; 0 ends the list */
	const long *admin_statuses;
	/* the provider's own error codes; any other means code_default */
	const struct provider_code *codes;
	unsigned int n_codes;
	enum provider_result code_default;
	/* media links expire: a download answered with a 4xx other than
	   429 is not tried again */
	bool media_expires;
};

struct provider;

/* A provider's layer for one channel: rules is kept (static), headers
   (NULL-terminated, or NULL) go with every request the layer makes and
   are copied.  Free it with provider_free(), which clears the headers
   (they hold tokens) first. */
struct provider *provider_new(const struct provider_rules *rules,
			      const char *const *headers);
void provider_free(struct provider **_p);

/* The channel's rules and request headers. */
const struct provider_rules *provider_rules(const struct provider *p);
const char *const *provider_headers(const struct provider *p);

/* The HTTP handle of the worker's thread, for the sends. */
struct http *provider_http(struct provider *p);

/* What an HTTP status means when the answer is not the provider's own
   (a proxy's error page, garbage): under 400 it is tried again too, for
   nothing says the provider took the request. */
enum provider_result provider_http_result(const struct provider *p,
					  long status);

/* What the provider's error code means, in an answer of HTTP status:
   an HTTP 429 is a rate limit and a 5xx is never given up, whatever the
   code. */
enum provider_result provider_code_result(const struct provider *p,
					  long status, int64_t code);

/* Performs a request to url with the provider's headers (POST of json
   or of a form, or GET), the answer bounded to max bytes.  Returns 0
   with *r filled (http_response_clear() it) and *root_r the answer's
   JSON object, or NULL when it is none (json_node_unref it); or -1
   with *why_r (g_free it) "WHAT: the failure".  Blocks. */
int provider_request(struct provider *p, struct http *http,
		     const char *what, const char *url, const char *json,
		     curl_mime *mime, long timeout, size_t max,
		     struct http_response *r, JsonNode **root_r,
		     char **why_r);

/* A call to chat starts now: the pace counts from here.  Any thread. */
void provider_calling(struct provider *p, const char *chat);

/* Microseconds to wait before the next call to chat, 0 for none. */
int64_t provider_wait(struct provider *p, const char *chat);

/* Fills *out (cleared first) with the end of a call that sent part of
   m; message_id and why are taken.  PROVIDER_OK without a message_id
   (the answer does not say as what it was sent) counts as sent, as
   "?", with why logged: a retry would send it twice.  A rate limit
   holds every chat for retry_after seconds, or the rules' rate_pause
   when the provider named no time; the worker is asked to wait
   retry_after (0: its own backoff). */
void provider_outcome(struct provider *p, const struct outbox_message *m,
		      enum provider_result result, char *message_id,
		      char *why, int64_t retry_after,
		      struct send_outcome *out);

#endif
