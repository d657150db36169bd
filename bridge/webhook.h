#ifndef SHOPDESK_BRIDGE_WEBHOOK_H
#define SHOPDESK_BRIDGE_WEBHOOK_H

#include <stddef.h>
#include <stdint.h>

/* A webhook endpoint for a channel (libmicrohttpd, one thread, one
   request at a time, behind the admin's HTTPS proxy): it gathers the
   request's body, refuses one larger than its bound with 413, and hands
   the whole request to the channel's handler, which checks the
   signature on the raw bytes and answers.  It parses no JSON and checks
   no signature itself. */

struct webhook;
struct webhook_request;

/* Answers a request: returns the HTTP status, with *answer_r (g_free
   it; NULL for an empty body) and *type_r (static) the answer's content
   type.  Runs in the webhook's thread; blocks as long as it needs. */
typedef unsigned int webhook_handler(void *context,
				     const struct webhook_request *request,
				     char **answer_r, const char **type_r);

/* Listens on listen ("127.0.0.1:8443", "[::1]:8443"); name is the
   channel's, for log lines.  Returns the endpoint, or NULL with
   *error_r (g_free it). */
struct webhook *webhook_start(const char *listen, const char *name,
			      size_t body_max, webhook_handler *handler,
			      void *context, char **error_r);

/* Stops listening, after the request in progress. */
void webhook_stop(struct webhook **_webhook);

/* The request's method ("POST"), path, and body (not NUL-terminated). */
const char *webhook_method(const struct webhook_request *request);
const char *webhook_path(const struct webhook_request *request);
const uint8_t *webhook_body(const struct webhook_request *request,
			    size_t *size_r);

/* A header's value or a query argument's, or NULL. */
const char *webhook_header(const struct webhook_request *request,
			   const char *name);
const char *webhook_arg(const struct webhook_request *request,
			const char *name);

/* The client's address, for log lines (g_free it). */
char *webhook_client(const struct webhook_request *request);

#endif
