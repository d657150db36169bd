#ifndef SHOPDESK_CONTROL_H
#define SHOPDESK_CONTROL_H

#include <json-glib/json-glib.h>

/* The control protocol between shopdeskctl and shopdesk-milter, over a
   unix stream socket.  The client sends one request line terminated by
   LF ("tickets status=open queue=sales", "show 12"); the server answers
   with one JSON document and closes the connection.  A failed request is
   answered {"error": "reason"}.  Requests are at most 4096 bytes. */

/* Called by the server for each request line (without the LF).  Returns
   a new JSON node (the server frees it).  Runs in the control thread;
   it may block on the store but must not take long. */
typedef JsonNode *control_handler_t(const char *request, void *context);

/* A failed request's answer, {"error": "reason"}, the reason formatted
   as printf does. */
JsonNode *control_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

struct control_server;

/* Binds path (removing a stale socket first; mode 0660) and serves
   requests in a thread of its own, one connection at a time.  Returns 0,
   or -1 with *error_r set (g_free it). */
int control_server_start(const char *path, control_handler_t *handler,
			 void *context, struct control_server **server_r,
			 char **error_r);

/* Stops the thread, removes the socket and frees the server. */
void control_server_stop(struct control_server **_server);

/* Client side: connects to path, sends request, and returns the parsed
   reply in *reply_r (json_node_unref it).  Returns 0, or -1 with
   *error_r set (g_free it) when the daemon cannot be reached, the reply
   is not JSON, or the reply is an {"error": ...} object. */
int control_request(const char *path, const char *request,
		    JsonNode **reply_r, char **error_r);

#endif
