/* doveadm.c: runs doveadm commands through Dovecot's doveadm server, on
   a unix socket that Dovecot makes for shopdesk's user:

       service doveadm {
         unix_listener shopdesk-doveadm {
           mode = 0600
           user = shopdesk
         }
       }

   Why the server and not the doveadm command: run by a user other than
   root, the command must still read Dovecot's configuration, through
   the config socket (mode 0600, root's) or by running doveconf on
   dovecot.conf, which stops at the first file only root may read (the
   TLS key); and a command run through a doveadm socket (-S) does not
   pass on -o settings nor --trans-flags.  The server needs none of
   that: Dovecot's own doveadm process, already root, opens the
   mailbox as its owner, and it trusts whoever may open a socket of
   mode 0600 without a password (any other mode makes it ask for
   doveadm_password, which would then be a secret in two places).
   Dovecot's HTTP API would need that password too, and a TCP port.

   The protocol (Dovecot's src/doveadm/client-connection-tcp.c,
   server-connection.c, doveadm-print-server.c), version 1.0:

       client  VERSION <tab> doveadm-server <tab> 1 <tab> 0
       server  +                (trusted; "-" asks for a password)
       client  FLAGS <tab> USER <tab> COMMAND <tab> ARG ...
       server  VALUE <tab> VALUE <tab> ... \n +   (or \n -CODE)

   Fields and values are tab-escaped (\001 1, \001 t, \001 r, \001 n),
   so the first newline ends a command's output.  Minor version 0 keeps
   Dovecot's log lines out of the stream (1 multiplexes them in): a
   failure's reasons are in Dovecot's log, its code here.  One
   connection runs commands one after the other. */

#include "doveadm.h"

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <stdbool.h>
#include <string.h>

/* A reply is a few values per message of one ticket: far below this */
#define REPLY_MAX (16 * 1024 * 1024)
#define RECEIVE_SIZE 65536

struct doveadm {
	char *path;
	GSocket *socket;
	GString *in;		/* received, not yet taken */
	unsigned int timeout;
	bool lost;
};

static void append_tabescaped(GString *out, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '\001':
			g_string_append(out, "\0011");
			break;
		case '\t':
			g_string_append(out, "\001t");
			break;
		case '\r':
			g_string_append(out, "\001r");
			break;
		case '\n':
			g_string_append(out, "\001n");
			break;
		default:
			g_string_append_c(out, *s);
		}
	}
}

static char *tabunescape(const char *s)
{
	GString *out = g_string_sized_new(strlen(s));

	for (; *s != '\0'; s++) {
		if (*s != '\001' || s[1] == '\0') {
			g_string_append_c(out, *s);
			continue;
		}
		s++;
		switch (*s) {
		case '1':
			g_string_append_c(out, '\001');
			break;
		case 't':
			g_string_append_c(out, '\t');
			break;
		case 'r':
			g_string_append_c(out, '\r');
			break;
		case 'n':
			g_string_append_c(out, '\n');
			break;
		default:
			g_string_append_c(out, *s);
		}
	}
	return g_string_free(out, FALSE);
}

/* Marks the connection lost and says why. */
static int lose(struct doveadm *conn, char **error_r, const char *fmt, ...)
	G_GNUC_PRINTF(3, 4);

static int lose(struct doveadm *conn, char **error_r, const char *fmt, ...)
{
	va_list args;
	char *why;

	va_start(args, fmt);
	why = g_strdup_vprintf(fmt, args);
	va_end(args);
	*error_r = g_strdup_printf("doveadm server %s: %s", conn->path, why);
	g_free(why);
	conn->lost = true;
	return -1;
}

static int send_all(struct doveadm *conn, const char *data, gsize size,
		    char **error_r)
{
	GError *error = NULL;
	gssize n;

	while (size > 0) {
		n = g_socket_send(conn->socket, data, size, NULL, &error);
		if (n < 0) {
			lose(conn, error_r, "%s", error->message);
			g_error_free(error);
			return -1;
		}
		data += n;
		size -= (gsize)n;
	}
	return 0;
}

/* Takes the next line out of conn->in, reading until one is complete or
   the deadline (g_get_monotonic_time()) has passed. */
static int read_line(struct doveadm *conn, gint64 deadline, char **line_r,
		     char **error_r)
{
	char buf[RECEIVE_SIZE];
	GError *error = NULL;
	gsize searched = 0;
	char *nl;
	gssize n;

	while ((nl = memchr(conn->in->str + searched, '\n',
			    conn->in->len - searched)) == NULL) {
		gint64 left = deadline - g_get_monotonic_time();

		searched = conn->in->len;
		if (conn->in->len > REPLY_MAX)
			return lose(conn, error_r, "a reply longer than %d "
				    "bytes", REPLY_MAX);
		if (left <= 0 ||
		    !g_socket_condition_timed_wait(conn->socket, G_IO_IN,
						   left, NULL, &error)) {
			if (error != NULL)
				g_error_free(error);
			return lose(conn, error_r, "no answer within %u s",
				    conn->timeout);
		}
		n = g_socket_receive(conn->socket, buf, sizeof(buf), NULL,
				     &error);
		if (n < 0) {
			lose(conn, error_r, "%s", error->message);
			g_error_free(error);
			return -1;
		}
		if (n == 0)
			return lose(conn, error_r, "closed the connection "
				    "(see Dovecot's log)");
		g_string_append_len(conn->in, buf, n);
	}
	*line_r = g_strndup(conn->in->str, (gsize)(nl - conn->in->str));
	g_string_erase(conn->in, 0, nl - conn->in->str + 1);
	return 0;
}

int doveadm_connect(const char *path, unsigned int timeout,
		    struct doveadm **conn_r, char **error_r)
{
	struct doveadm *conn = g_new0(struct doveadm, 1);
	static const char version[] = "VERSION\tdoveadm-server\t1\t0\n";
	GSocketAddress *address;
	GError *error = NULL;
	char *line = NULL;
	int ret;

	conn->path = g_strdup(path);
	conn->in = g_string_new(NULL);
	conn->timeout = timeout;
	conn->socket = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM,
				    G_SOCKET_PROTOCOL_DEFAULT, &error);
	if (conn->socket == NULL) {
		lose(conn, error_r, "%s", error->message);
		g_error_free(error);
		doveadm_close(&conn);
		return -1;
	}
	g_socket_set_timeout(conn->socket, timeout);
	address = g_unix_socket_address_new(path);
	if (!g_socket_connect(conn->socket, address, NULL, &error)) {
		lose(conn, error_r, "%s", error->message);
		g_error_free(error);
		ret = -1;
	} else {
		ret = send_all(conn, version, strlen(version), error_r);
	}
	g_object_unref(address);
	if (ret == 0)
		ret = read_line(conn, g_get_monotonic_time() +
				timeout * G_USEC_PER_SEC, &line, error_r);
	if (ret == 0 && strcmp(line, "+") != 0) {
		ret = lose(conn, error_r, strcmp(line, "-") == 0 ?
			   "asks for a password: Dovecot trusts only a "
			   "unix_listener of mode 0600" :
			   "not a doveadm server");
	}
	g_free(line);
	if (ret < 0) {
		doveadm_close(&conn);
		return -1;
	}
	*conn_r = conn;
	return 0;
}

/* The output's values: each one is followed by a tab. */
static int split_values(const char *output, char ***values_r)
{
	char **fields;
	guint n;

	if (*output == '\0') {
		*values_r = g_new0(char *, 1);
		return 0;
	}
	if (output[strlen(output) - 1] != '\t')
		return -1;
	fields = g_strsplit(output, "\t", -1);
	n = g_strv_length(fields);
	g_free(fields[n - 1]);	/* "" after the last tab */
	fields[n - 1] = NULL;
	for (guint i = 0; i + 1 < n; i++) {
		char *value = tabunescape(fields[i]);

		g_free(fields[i]);
		fields[i] = value;
	}
	*values_r = fields;
	return 0;
}

enum doveadm_reply doveadm_run(struct doveadm *conn, const char *user,
			       const char *const *args, char ***values_r,
			       char **error_r)
{
	GString *request = g_string_new("\t");	/* no flags (-D, -v) */
	char *output = NULL, *result = NULL;
	enum doveadm_reply reply = DOVEADM_LOST;
	char **values = NULL;
	gint64 deadline;

	if (conn->lost) {
		*error_r = g_strdup_printf("doveadm server %s: connection "
					   "lost", conn->path);
		g_string_free(request, TRUE);
		return DOVEADM_LOST;
	}
	append_tabescaped(request, user);
	for (; *args != NULL; args++) {
		g_string_append_c(request, '\t');
		append_tabescaped(request, *args);
	}
	g_string_append_c(request, '\n');
	deadline = g_get_monotonic_time() + conn->timeout * G_USEC_PER_SEC;
	if (send_all(conn, request->str, request->len, error_r) < 0 ||
	    read_line(conn, deadline, &output, error_r) < 0 ||
	    read_line(conn, deadline, &result, error_r) < 0) {
		/* lost */
	} else if (result[0] == '+' && split_values(output, &values) == 0) {
		if (values_r != NULL)
			*values_r = g_steal_pointer(&values);
		reply = DOVEADM_DONE;
	} else if (result[0] == '-') {
		*error_r = g_strdup(result + 1);
		reply = DOVEADM_REFUSED;
	} else {
		lose(conn, error_r, "a reply not understood");
	}
	g_strfreev(values);
	g_free(output);
	g_free(result);
	g_string_free(request, TRUE);
	return reply;
}

void doveadm_close(struct doveadm **_conn)
{
	struct doveadm *conn = *_conn;

	if (conn == NULL)
		return;
	*_conn = NULL;
	if (conn->socket != NULL)
		g_object_unref(conn->socket);
	g_string_free(conn->in, TRUE);
	g_free(conn->path);
	g_free(conn);
}
