/* webhook.c: the libmicrohttpd side of the channels' webhooks
   (webhook.h).  The provider sends one post at a time and waits for the
   answer before the next, so one thread serves it, and a channel's
   handler may take the time of a sendmail run.  Anyone else may be
   slow on purpose: a watchdog thread shuts down a connection whose
   request takes longer than the deadline, headers included, and MHD
   keeps few connections per address. */

#include "webhook.h"
#include "log.h"

#include <gio/gio.h>
#include <glib.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <string.h>

struct webhook {
	struct MHD_Daemon *mhd;
	char *name;
	size_t body_max;
	webhook_handler *handler;
	void *context;
	/* the watchdog: every connection's clock, and the thread that
	   shuts down those past the deadline */
	GMutex lock;
	GCond wake;
	GPtrArray *clocks;	/* struct conn_clock * */
	bool stopping;
	GThread *watchdog;
};

/* A connection's clock: when it opened, or when its last request ended
   (keep-alive), so that a request's slow headers count too. */
struct conn_clock {
	gint64 since;
	int fd;
	char *client;
	bool cut;
};

/* A post must arrive whole within WEBHOOK_DEADLINE seconds of its
   first line, with no pause longer than WEBHOOK_IDLE; one address may
   hold WEBHOOK_PER_ADDRESS connections of the WEBHOOK_CONNECTIONS.  A
   provider posts small JSON at once: only a slow client, holding
   connections open, would need more. */
#define WEBHOOK_DEADLINE 10
#define WEBHOOK_IDLE 5
#define WEBHOOK_PER_ADDRESS 4
#define WEBHOOK_CONNECTIONS 64

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

static struct conn_clock *clock_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *info = MHD_get_connection_info(
		c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return info != NULL ? info->socket_context : NULL;
}

/* MHD's connection notice: each connection gets a clock, which the
   watchdog reads. */
static void connection(void *cls, struct MHD_Connection *c,
		       void **socket_context,
		       enum MHD_ConnectionNotificationCode code)
{
	struct webhook *w = cls;
	struct conn_clock *clock = *socket_context;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *fd = MHD_get_connection_info(
			c, MHD_CONNECTION_INFO_CONNECTION_FD);
		struct webhook_request req = { .connection = c };

		clock = g_new0(struct conn_clock, 1);
		clock->since = g_get_monotonic_time();
		clock->fd = fd != NULL ? fd->connect_fd : -1;
		clock->client = webhook_client(&req);
		*socket_context = clock;
		g_mutex_lock(&w->lock);
		g_ptr_array_add(w->clocks, clock);
		g_mutex_unlock(&w->lock);
	} else if (clock != NULL) {
		g_mutex_lock(&w->lock);
		g_ptr_array_remove_fast(w->clocks, clock);
		g_mutex_unlock(&w->lock);
		g_free(clock->client);
		g_free(clock);
		*socket_context = NULL;
	}
}

/* Once a second: a connection whose request has taken longer than the
   deadline is shut down, so that MHD sees it end and closes it. */
static gpointer watchdog(gpointer data)
{
	struct webhook *w = data;

	g_mutex_lock(&w->lock);
	while (!w->stopping) {
		gint64 now = g_get_monotonic_time();

		for (unsigned int i = 0; i < w->clocks->len; i++) {
			struct conn_clock *clock = w->clocks->pdata[i];

			if (clock->cut || clock->fd < 0 ||
			    now - clock->since <=
			    WEBHOOK_DEADLINE * G_USEC_PER_SEC)
				continue;
			clock->cut = true;
			shutdown(clock->fd, SHUT_RDWR);
			log_warning("%s: webhook: a post from %s took more "
				    "than %d s: connection closed", w->name,
				    clock->client, WEBHOOK_DEADLINE);
		}
		g_cond_wait_until(&w->wake, &w->lock,
				  g_get_monotonic_time() + G_USEC_PER_SEC);
	}
	g_mutex_unlock(&w->lock);
	return NULL;
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
	struct webhook *w = cls;
	struct webhook_request *req = *con_cls;
	struct conn_clock *clock = clock_of(c);

	if (clock != NULL) {
		/* the next request's start */
		g_mutex_lock(&w->lock);
		clock->since = g_get_monotonic_time();
		g_mutex_unlock(&w->lock);
	}
	if (req == NULL)
		return;
	g_byte_array_unref(req->body);
	g_free(req);
	*con_cls = NULL;
}

static void webhook_free(struct webhook *w)
{
	g_ptr_array_unref(w->clocks);
	g_cond_clear(&w->wake);
	g_mutex_clear(&w->lock);
	g_free(w->name);
	g_free(w);
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
	g_mutex_init(&w->lock);
	g_cond_init(&w->wake);
	w->clocks = g_ptr_array_new();
	w->name = g_strdup(name);
	w->body_max = body_max;
	w->handler = handler;
	w->context = context;
	w->mhd = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | (v6 ? MHD_USE_IPv6 : 0),
		port, NULL, NULL, answer, w,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_NOTIFY_COMPLETED, done, w,
		MHD_OPTION_NOTIFY_CONNECTION, connection, w,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)WEBHOOK_IDLE,
		MHD_OPTION_CONNECTION_LIMIT,
		(unsigned int)WEBHOOK_CONNECTIONS,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT,
		(unsigned int)WEBHOOK_PER_ADDRESS,
		MHD_OPTION_END);
	if (w->mhd == NULL) {
		*error_r = g_strdup_printf("webhook: cannot listen on %s",
					   listen);
		webhook_free(w);
		return NULL;
	}
	w->watchdog = g_thread_new("webhook-watchdog", watchdog, w);
	return w;
}

void webhook_stop(struct webhook **_w)
{
	struct webhook *w = *_w;

	if (w == NULL)
		return;
	*_w = NULL;
	g_mutex_lock(&w->lock);
	w->stopping = true;
	g_cond_signal(&w->wake);
	g_mutex_unlock(&w->lock);
	g_thread_join(w->watchdog);
	MHD_stop_daemon(w->mhd);
	webhook_free(w);
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
