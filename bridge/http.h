#ifndef SHOPDESK_BRIDGE_HTTP_H
#define SHOPDESK_BRIDGE_HTTP_H

#include <curl/curl.h>
#include <glib.h>
#include <stdbool.h>

/* The bridge's HTTP client: one blocking request on a reused libcurl
   easy handle (keep-alive), the answer bounded in size.  Channels build
   on it; they never see libcurl's error buffers or the URL (which holds
   a token) in a log line. */

struct http_response {
	long status;		/* 0 when no answer came */
	GByteArray *body;	/* the answer's bytes */
	char *content_type;	/* or NULL */
};

struct http {
	CURL *curl;
	/* Set (from any thread) to abandon the request in progress: it then
	   fails at once with "aborted". */
	const gint *abort;
};

/* A handle for one thread.  abort may be NULL. */
struct http *http_new(const gint *abort);
void http_free(struct http **_http);

/* Performs a request: POST with a JSON body (json != NULL), POST with a
   multipart form (mime != NULL), or GET.  Waits at most timeout
   seconds; an answer longer than max_bytes is cut and fails.  Returns 0
   with *response_r filled (whatever the status), HTTP_TOO_BIG when the
   answer was longer than max_bytes (trying again won't help), or -1
   (DNS, connect, timeout...), both with *error_r (g_free it).  Blocks. */
#define HTTP_TOO_BIG (-2)
int http_request(struct http *http, const char *url, const char *json,
		 curl_mime *mime, long timeout, size_t max_bytes,
		 struct http_response *response_r, char **error_r);

/* The same with request headers ("Authorization: Bearer ..."; a
   NULL-terminated list, or NULL), for APIs whose token travels in a
   header rather than in the URL. */
int http_request_with(struct http *http, const char *url,
		      const char *const *headers, const char *json,
		      curl_mime *mime, long timeout, size_t max_bytes,
		      struct http_response *response_r, char **error_r);

void http_response_clear(struct http_response *response);

#endif
