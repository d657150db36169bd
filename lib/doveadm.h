#ifndef SHOPDESK_DOVEADM_H
#define SHOPDESK_DOVEADM_H

/* A client of Dovecot's doveadm server, on the unix socket of a
   unix_listener of Dovecot's service doveadm: runs doveadm commands
   (fetch, flags ...) for a mail user without being root and without
   reading Dovecot's configuration. */

struct doveadm;

enum doveadm_reply {
	DOVEADM_DONE,		/* the command succeeded */
	DOVEADM_REFUSED,	/* it ran and failed: *error_r is Dovecot's
				   code, "NOUSER", "NOTFOUND", "TEMPFAIL",
				   ... or "" */
	DOVEADM_LOST,		/* no answer: timed out, connection closed,
				   a reply not understood; the connection
				   is no longer usable */
};

/* Connects to the socket at path and greets the server, each step
   bounded by timeout seconds.  Dovecot takes a client without a
   password only on a socket of mode 0600; any other is refused here
   with a message saying so.  Returns 0 with *conn_r, or -1 with
   *error_r.  Blocks. */
int doveadm_connect(const char *path, unsigned int timeout,
		    struct doveadm **conn_r, char **error_r);

/* Runs args (the command's words, as `doveadm` takes them after its own
   options: "fetch", FIELDS, QUERY...; a command of two words such as
   "flags add" is one) for user, waiting at most the connect's timeout
   seconds for the whole reply.  DOVEADM_DONE sets *values_r (may be
   NULL), the values the command printed in order, row after row
   (g_strfreev it); the others set *error_r (g_free it).  Blocks. */
enum doveadm_reply doveadm_run(struct doveadm *conn, const char *user,
			       const char *const *args, char ***values_r,
			       char **error_r);

void doveadm_close(struct doveadm **_conn);

#endif
