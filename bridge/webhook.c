/* webhook.c: the libmicrohttpd side of the channels' webhooks
   (webhook.h).  The provider sends one post at a time and waits for the
   answer before the next, so one thread serves it, and a channel's
   handler may take the time of a sendmail run. */

#include "webhook.h"
#include "log.h"

#include <gio/gio.h>
#include <glib.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <string.h>

struct webhook {
	struct MHD_Daemon *mhd;
	char *name;
	size_t body_max;
	webhook_handler *handler;
	void *context;
};

struct webhook_request {
	struct MHD_Connection *connection;
	const char *method;
	const char *path;
	GByteArray *body;
	bool too_big;
};

static enum MHD_Result respond(struct MHD_Connection *c, unsigned int status,
			       char *answer, const char *type)
{
	size_t size = answer != NULL ? strlen(answer) : 0;
	struct MHD_Response *r = MHD_create_response_from_buffer(
		size, answer != NULL ? answer : (void *)"",
		MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (type != NULL)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	g_free(answer);
	return ret;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c,
			      const char *url, const char *method,
			      const char *version, const char *data,
			      size_t *size, void **con_cls)
{
	struct webhook *w = cls;
	struct webhook_request *req = *con_cls;
	char *text = NULL;
	const char *type = NULL;
	unsigned int status;

	if (req == NULL) {
		req = g_new0(struct webhook_request, 1);
		req->connection = c;
		req->body = g_byte_array_new();
		*con_cls = req;
		return MHD_YES;
	}
	if (*size > 0) {
		if (req->body->len + *size > w->body_max)
			req->too_big = true;
		else
			g_byte_array_append(req->body, (const guint8 *)data,
					    *size);
		*size = 0;
		return MHD_YES;
	}
	if (req->too_big) {
		log_error("%s: webhook: a post of more than %zu bytes: refused "
			  "(413)", w->name, w->body_max);
		return respond(c, MHD_HTTP_CONTENT_TOO_LARGE, NULL, NULL);
	}
	req->method = method;
	req->path = url;
	status = w->handler(w->context, req, &text, &type);
	return respond(c, status, text, type);
}

static void done(void *cls, struct MHD_Connection *c, void **con_cls,
		 enum MHD_RequestTerminationCode why)
{
	struct webhook_request *req = *con_cls;

	if (req == NULL)
		return;
	g_byte_array_unref(req->body);
	g_free(req);
	*con_cls = NULL;
}

struct webhook *webhook_start(const char *listen, const char *name,
			      size_t body_max, webhook_handler *handler,
			      void *context, char **error_r)
{
	GSocketConnectable *na = g_network_address_parse(listen, 0, NULL);
	GInetAddress *ip;
	GSocketAddress *sa;
	struct sockaddr_storage ss;
	struct webhook *w;
	guint16 port;
	bool v6;

	/* the config checked it */
	if (na == NULL) {
		*error_r = g_strdup_printf("webhook: not ADDRESS:PORT: %s",
					   listen);
		return NULL;
	}
	ip = g_inet_address_new_from_string(
		g_network_address_get_hostname(G_NETWORK_ADDRESS(na)));
	port = g_network_address_get_port(G_NETWORK_ADDRESS(na));
	g_object_unref(na);
	if (ip == NULL) {
		*error_r = g_strdup_printf("webhook: not ADDRESS:PORT: %s",
					   listen);
		return NULL;
	}
	sa = g_inet_socket_address_new(ip, port);
	v6 = g_inet_address_get_family(ip) == G_SOCKET_FAMILY_IPV6;
	g_socket_address_to_native(sa, &ss, sizeof(ss), NULL);
	g_object_unref(sa);
	g_object_unref(ip);
	w = g_new0(struct webhook, 1);
	w->name = g_strdup(name);
	w->body_max = body_max;
	w->handler = handler;
	w->context = context;
	w->mhd = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | (v6 ? MHD_USE_IPv6 : 0),
		port, NULL, NULL, answer, w,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_NOTIFY_COMPLETED, done, w,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)60,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned int)64,
		MHD_OPTION_END);
	if (w->mhd == NULL) {
		*error_r = g_strdup_printf("webhook: cannot listen on %s",
					   listen);
		g_free(w->name);
		g_free(w);
		return NULL;
	}
	return w;
}

void webhook_stop(struct webhook **_w)
{
	struct webhook *w = *_w;

	if (w == NULL)
		return;
	*_w = NULL;
	MHD_stop_daemon(w->mhd);
	g_free(w->name);
	g_free(w);
}

const char *webhook_method(const struct webhook_request *req)
{
	return req->method;
}

const char *webhook_path(const struct webhook_request *req)
{
	return req->path;
}

const uint8_t *webhook_body(const struct webhook_request *req,
			    size_t *size_r)
{
	*size_r = req->body->len;
	return req->body->data;
}

const char *webhook_header(const struct webhook_request *req,
			   const char *name)
{
	return MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND,
					   name);
}

const char *webhook_arg(const struct webhook_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->connection,
					   MHD_GET_ARGUMENT_KIND, name);
}

char *webhook_client(const struct webhook_request *req)
{
	const union MHD_ConnectionInfo *info = MHD_get_connection_info(
		req->connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	GSocketAddress *sa;
	char *text = NULL;

	if (info == NULL || info->client_addr == NULL)
		return g_strdup("?");
	sa = g_socket_address_new_from_native(
		info->client_addr, info->client_addr->sa_family == AF_INET6 ?
		sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
	if (sa != NULL && G_IS_INET_SOCKET_ADDRESS(sa))
		text = g_inet_address_to_string(
			g_inet_socket_address_get_address(
				G_INET_SOCKET_ADDRESS(sa)));
	if (sa != NULL)
		g_object_unref(sa);
	return text != NULL ? text : g_strdup("?");
}
