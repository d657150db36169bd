/* control.c: the control socket, both ends.  The server is one thread
   that accepts one connection at a time, reads one bounded request line,
   hands it to the handler and writes the JSON reply; a client that is
   slow or silent is dropped after a timeout, so it cannot hold the
   thread.  The client connects, sends one line and parses the reply.

   It knows no request: what the words mean is the handler's business
   (query.c).  It does no authentication beyond the socket's mode: who
   may connect is decided by the file system. */

#include "control.h"
#include "log.h"

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONTROL_REQUEST_MAX 4096
#define CONTROL_REPLY_MAX (64 * 1024 * 1024)
#define CONTROL_SERVER_TIMEOUT_SECS 10
/* a hot backup or a year's report of a big store takes minutes */
#define CONTROL_CLIENT_TIMEOUT_SECS 900
#define CONTROL_BACKLOG 16
#define CONTROL_DRAIN_MAX (1024 * 1024)

struct control_server {
	char *path;
	control_handler_t *handler;
	void *context;
	GSocketListener *listener;
	GCancellable *cancel;
	GThread *thread;
};

JsonNode *control_error(const char *fmt, ...)
{
	JsonObject *obj = json_object_new();
	JsonNode *node = json_node_new(JSON_NODE_OBJECT);
	va_list args;
	char *reason;

	va_start(args, fmt);
	reason = g_strdup_vprintf(fmt, args);
	va_end(args);
	json_object_set_string_member(obj, "error", reason);
	g_free(reason);
	json_node_take_object(node, obj);
	return node;
}

enum request_result {
	REQUEST_LINE,
	REQUEST_TOO_LONG,
	REQUEST_NONE,		/* the client closed without a word */
	REQUEST_FAILED,
};

/* Reads one line of at most CONTROL_REQUEST_MAX bytes without buffering
   more than that: GDataInputStream would grow its buffer for as long as
   the client sends no LF.  An unterminated line at EOF counts. */
static enum request_result
read_request(GBufferedInputStream *in, GCancellable *cancel, char **line_r,
	     GError **error_r)
{
	const char *buf, *nl;
	gsize avail = 0;
	gssize n;

	*line_r = NULL;
	for (;;) {
		buf = g_buffered_input_stream_peek_buffer(in, &avail);
		nl = memchr(buf, '\n', avail);
		if (nl != NULL) {
			if ((gsize)(nl - buf) > CONTROL_REQUEST_MAX)
				return REQUEST_TOO_LONG;
			*line_r = g_strndup(buf, nl - buf);
			return REQUEST_LINE;
		}
		if (avail > CONTROL_REQUEST_MAX)
			return REQUEST_TOO_LONG;
		n = g_buffered_input_stream_fill(
			in, CONTROL_REQUEST_MAX + 1 - avail, cancel, error_r);
		if (n < 0)
			return REQUEST_FAILED;
		if (n == 0 && avail == 0)
			return REQUEST_NONE;
		if (n == 0) {
			*line_r = g_strndup(buf, avail);
			return REQUEST_LINE;
		}
	}
}

static void write_reply(GSocketConnection *conn, JsonNode *reply,
			GCancellable *cancel)
{
	GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(conn));
	GError *error = NULL;
	char *text = json_to_string(reply, FALSE);

	if (!g_output_stream_write_all(out, text, strlen(text), NULL, cancel,
				       &error) ||
	    !g_output_stream_write_all(out, "\n", 1, NULL, cancel, &error)) {
		log_warning("control: cannot send the reply: %s",
			    error->message);
		g_error_free(error);
	}
	g_free(text);
}

/* Discards what the client sent beyond the request line: closing a unix
   socket with unread input resets the connection, and the client would
   lose the reply (an overlong request's error, say). */
static void drain(GSocket *sock)
{
	char buf[4096];
	size_t total = 0;
	gssize n;

	g_socket_set_blocking(sock, FALSE);
	while (total < CONTROL_DRAIN_MAX &&
	       (n = g_socket_receive(sock, buf, sizeof(buf), NULL,
				     NULL)) > 0)
		total += n;
}

static void serve(struct control_server *server, GSocketConnection *conn)
{
	GInputStream *raw = g_io_stream_get_input_stream(G_IO_STREAM(conn));
	GInputStream *in = g_buffered_input_stream_new_sized(
		raw, CONTROL_REQUEST_MAX + 1);
	GError *error = NULL;
	JsonNode *reply;
	char *line;
	enum request_result result;
	size_t len;

	g_filter_input_stream_set_close_base_stream(
		G_FILTER_INPUT_STREAM(in), FALSE);
	g_socket_set_timeout(g_socket_connection_get_socket(conn),
			     CONTROL_SERVER_TIMEOUT_SECS);
	result = read_request(G_BUFFERED_INPUT_STREAM(in), server->cancel,
			      &line, &error);
	g_object_unref(in);
	switch (result) {
	case REQUEST_FAILED:
		if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
			log_warning("control: cannot read the request: %s",
				    error->message);
		g_error_free(error);
		return;
	case REQUEST_NONE:
		return;
	case REQUEST_TOO_LONG:
		reply = control_error("request longer than "
				      G_STRINGIFY(CONTROL_REQUEST_MAX) " bytes");
		break;
	case REQUEST_LINE:
		len = strlen(line);
		if (len > 0 && line[len - 1] == '\r')
			line[--len] = '\0';
		if (!g_utf8_validate(line, len, NULL))
			reply = control_error("request is not UTF-8 text");
		else
			reply = server->handler(line, server->context);
		g_free(line);
		break;
	}
	write_reply(conn, reply, server->cancel);
	json_node_unref(reply);
	drain(g_socket_connection_get_socket(conn));
}

static void *server_thread(void *data)
{
	struct control_server *server = data;
	GSocketConnection *conn;
	GError *error = NULL;

	while (!g_cancellable_is_cancelled(server->cancel)) {
		conn = g_socket_listener_accept(server->listener, NULL,
						server->cancel, &error);
		if (conn == NULL) {
			if (!g_error_matches(error, G_IO_ERROR,
					     G_IO_ERROR_CANCELLED)) {
				log_warning("control: accept: %s",
					    error->message);
				/* Out of descriptors, say: do not spin. */
				g_usleep(G_USEC_PER_SEC / 10);
			}
			g_clear_error(&error);
			continue;
		}
		serve(server, conn);
		g_io_stream_close(G_IO_STREAM(conn), NULL, NULL);
		g_object_unref(conn);
	}
	return NULL;
}

/* Removes a socket left by a daemon that died, but never steals the
   socket of one that still answers, nor removes anything else. */
static int remove_stale(const char *path, char **error_r)
{
	GSocketClient *client;
	GSocketAddress *address;
	GSocketConnection *conn;
	struct stat st;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		*error_r = g_strdup_printf("%s: %s", path, g_strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		*error_r = g_strdup_printf("%s exists and is not a socket",
					   path);
		return -1;
	}
	client = g_socket_client_new();
	address = g_unix_socket_address_new(path);
	conn = g_socket_client_connect(client, G_SOCKET_CONNECTABLE(address),
				       NULL, NULL);
	g_object_unref(address);
	g_object_unref(client);
	if (conn != NULL) {
		g_object_unref(conn);
		*error_r = g_strdup_printf("%s: another process is "
					   "listening there", path);
		return -1;
	}
	if (unlink(path) < 0 && errno != ENOENT) {
		*error_r = g_strdup_printf("unlink %s: %s", path,
					   g_strerror(errno));
		return -1;
	}
	return 0;
}

/* Bound, chmod'ed, then listening: nobody can connect while the mode is
   still the umask's. */
static GSocket *listen_unix(const char *path, char **error_r)
{
	GSocketAddress *address = g_unix_socket_address_new(path);
	GError *error = NULL;
	GSocket *sock;

	sock = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM,
			    G_SOCKET_PROTOCOL_DEFAULT, &error);
	if (sock == NULL)
		goto failed;
	if (!g_socket_bind(sock, address, FALSE, &error))
		goto failed;
	if (chmod(path, 0660) < 0) {
		*error_r = g_strdup_printf("chmod %s: %s", path,
					   g_strerror(errno));
		unlink(path);
		g_object_unref(sock);
		g_object_unref(address);
		return NULL;
	}
	g_socket_set_listen_backlog(sock, CONTROL_BACKLOG);
	if (!g_socket_listen(sock, &error)) {
		unlink(path);
		goto failed;
	}
	g_object_unref(address);
	return sock;

failed:
	*error_r = g_strdup_printf("%s: %s", path, error->message);
	g_error_free(error);
	if (sock != NULL)
		g_object_unref(sock);
	g_object_unref(address);
	return NULL;
}

int control_server_start(const char *path, control_handler_t *handler,
			 void *context, struct control_server **server_r,
			 char **error_r)
{
	struct control_server *server;
	GError *error = NULL;
	GSocket *sock;

	*server_r = NULL;
	if (remove_stale(path, error_r) < 0)
		return -1;
	sock = listen_unix(path, error_r);
	if (sock == NULL)
		return -1;
	server = g_new0(struct control_server, 1);
	server->path = g_strdup(path);
	server->handler = handler;
	server->context = context;
	server->cancel = g_cancellable_new();
	server->listener = g_socket_listener_new();
	if (!g_socket_listener_add_socket(server->listener, sock, NULL,
					  &error)) {
		*error_r = g_strdup_printf("%s: %s", path, error->message);
		g_error_free(error);
		g_object_unref(sock);
		control_server_stop(&server);
		return -1;
	}
	g_object_unref(sock);
	server->thread = g_thread_new("control", server_thread, server);
	*server_r = server;
	return 0;
}

void control_server_stop(struct control_server **_server)
{
	struct control_server *server = *_server;

	if (server == NULL)
		return;
	*_server = NULL;
	g_cancellable_cancel(server->cancel);
	if (server->thread != NULL)
		g_thread_join(server->thread);
	g_socket_listener_close(server->listener);
	g_object_unref(server->listener);
	g_object_unref(server->cancel);
	unlink(server->path);
	g_free(server->path);
	g_free(server);
}

/* Reads until EOF, at most CONTROL_REPLY_MAX bytes. */
static int read_reply(GInputStream *in, GByteArray *buf, GError **error_r)
{
	guint8 chunk[16384];
	gssize n;

	while ((n = g_input_stream_read(in, chunk, sizeof(chunk), NULL,
					error_r)) > 0) {
		if (buf->len + n > CONTROL_REPLY_MAX) {
			g_set_error(error_r, G_IO_ERROR,
				    G_IO_ERROR_MESSAGE_TOO_LARGE,
				    "reply longer than %d bytes",
				    CONTROL_REPLY_MAX);
			return -1;
		}
		g_byte_array_append(buf, chunk, n);
	}
	return n < 0 ? -1 : 0;
}

int control_request(const char *path, const char *request,
		    JsonNode **reply_r, char **error_r)
{
	GSocketClient *client = g_socket_client_new();
	GSocketAddress *address = g_unix_socket_address_new(path);
	GByteArray *buf = g_byte_array_new();
	JsonParser *parser = NULL;
	GSocketConnection *conn;
	GError *error = NULL;
	JsonNode *root, *reason;
	char *line;
	int ret = -1;

	*reply_r = NULL;
	*error_r = NULL;
	if (strchr(request, '\n') != NULL ||
	    strlen(request) > CONTROL_REQUEST_MAX) {
		*error_r = g_strdup_printf("request longer than %d bytes or "
					   "with a line break",
					   CONTROL_REQUEST_MAX);
		goto out;
	}
	g_socket_client_set_timeout(client, CONTROL_CLIENT_TIMEOUT_SECS);
	conn = g_socket_client_connect(client, G_SOCKET_CONNECTABLE(address),
				       NULL, &error);
	if (conn == NULL) {
		*error_r = g_strdup_printf("cannot connect to %s: %s%s", path,
					   error->message,
					   g_error_matches(error, G_IO_ERROR,
						G_IO_ERROR_NOT_FOUND) ||
					   g_error_matches(error, G_IO_ERROR,
						G_IO_ERROR_CONNECTION_REFUSED) ?
					   " (is shopdesk-milter running?)" :
					   "");
		goto out;
	}
	line = g_strconcat(request, "\n", NULL);
	if (!g_output_stream_write_all(
		    g_io_stream_get_output_stream(G_IO_STREAM(conn)), line,
		    strlen(line), NULL, NULL, &error) ||
	    read_reply(g_io_stream_get_input_stream(G_IO_STREAM(conn)), buf,
		       &error) < 0) {
		*error_r = g_strdup_printf("%s: %s", path, error->message);
		g_free(line);
		g_object_unref(conn);
		goto out;
	}
	g_free(line);
	g_object_unref(conn);

	parser = json_parser_new();
	if (!json_parser_load_from_data(parser, (const char *)buf->data,
					buf->len, &error)) {
		*error_r = g_strdup_printf("%s: the reply is not JSON: %s",
					   path, error->message);
		goto out;
	}
	root = json_parser_get_root(parser);
	if (root == NULL) {
		*error_r = g_strdup_printf("%s: empty reply", path);
		goto out;
	}
	if (JSON_NODE_HOLDS_OBJECT(root) &&
	    (reason = json_object_get_member(json_node_get_object(root),
					     "error")) != NULL) {
		*error_r = g_strdup(JSON_NODE_HOLDS_VALUE(reason) &&
				    json_node_get_string(reason) != NULL ?
				    json_node_get_string(reason) :
				    "the daemon reported an error");
		goto out;
	}
	*reply_r = json_node_ref(root);
	ret = 0;
out:
	if (error != NULL)
		g_error_free(error);
	if (parser != NULL)
		g_object_unref(parser);
	g_byte_array_unref(buf);
	g_object_unref(address);
	g_object_unref(client);
	return ret;
}
