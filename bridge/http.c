/* http.c: one libcurl easy handle per thread (libcurl's rule), reused
   so that connections to the provider stay open.  No redirects are
   followed: an API that answers with one is misconfigured, and a token
   must not travel to another host. */

#include "http.h"

#include <string.h>

struct sink {
	GByteArray *body;
	size_t max;
	bool too_big;
};

static size_t write_body(char *data, size_t size, size_t n, void *arg)
{
	struct sink *sink = arg;

	if (sink->body->len + size * n > sink->max) {
		sink->too_big = true;
		return 0;	/* libcurl fails the transfer */
	}
	g_byte_array_append(sink->body, (const guint8 *)data, size * n);
	return size * n;
}

static int progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
		    curl_off_t ultotal, curl_off_t ulnow)
{
	const gint *abort = arg;

	return abort != NULL && g_atomic_int_get(abort) ? 1 : 0;
}

struct http *http_new(const gint *abort)
{
	struct http *http = g_new0(struct http, 1);

	http->curl = curl_easy_init();
	if (http->curl == NULL)
		g_error("curl_easy_init failed");
	http->abort = abort;
	return http;
}

void http_free(struct http **_http)
{
	struct http *http = *_http;

	if (http == NULL)
		return;
	*_http = NULL;
	curl_easy_cleanup(http->curl);
	g_free(http);
}

int http_request(struct http *http, const char *url, const char *json,
		 curl_mime *mime, long timeout, size_t max_bytes,
		 struct http_response *r, char **error_r)
{
	return http_request_with(http, url, NULL, json, mime, timeout,
				 max_bytes, r, error_r);
}

int http_request_with(struct http *http, const char *url,
		      const char *const *extra, const char *json,
		      curl_mime *mime, long timeout, size_t max_bytes,
		      struct http_response *r, char **error_r)
{
	CURL *c = http->curl;
	struct curl_slist *headers = NULL;
	struct sink sink = { .body = g_byte_array_new(), .max = max_bytes };
	char errbuf[CURL_ERROR_SIZE] = "";
	const char *type = NULL;
	CURLcode code;

	memset(r, 0, sizeof(*r));
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, (void *)http->abort);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "shopdesk-bridge/" VERSION);
	for (; extra != NULL && *extra != NULL; extra++)
		headers = curl_slist_append(headers, *extra);
	if (json != NULL) {
		headers = curl_slist_append(headers, "Content-Type: "
					    "application/json");
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(json));
	} else if (mime != NULL) {
		curl_easy_setopt(c, CURLOPT_MIMEPOST, mime);
	}
	if (headers != NULL)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	code = curl_easy_perform(c);
	curl_slist_free_all(headers);
	if (code != CURLE_OK && sink.too_big) {
		*error_r = g_strdup_printf("answer larger than %zu bytes",
					   max_bytes);
		g_byte_array_unref(sink.body);
		return HTTP_TOO_BIG;
	}
	if (code != CURLE_OK) {
		if (code == CURLE_ABORTED_BY_CALLBACK)
			*error_r = g_strdup("aborted");
		else
			/* errbuf may name the host, never the path */
			*error_r = g_strdup_printf("%s%s%s",
						   curl_easy_strerror(code),
						   *errbuf != '\0' ? ": " : "",
						   errbuf);
		g_byte_array_unref(sink.body);
		return -1;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &type);
	r->content_type = g_strdup(type);
	r->body = sink.body;
	return 0;
}

void http_response_clear(struct http_response *r)
{
	if (r->body != NULL)
		g_byte_array_unref(r->body);
	g_free(r->content_type);
	memset(r, 0, sizeof(*r));
}
