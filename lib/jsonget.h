#ifndef SHOPDESK_JSONGET_H
#define SHOPDESK_JSONGET_H

#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <stdint.h>

/* Reading JSON with json-glib (providers' answers and webhook posts,
   spool items, the control socket's answers): a member of the wrong
   type reads as absent, never as an error, so that a reader checks only
   what it needs; and the text of what a JsonBuilder built. */

/* json-glib recurses without a limit: what comes from the network is
   refused beyond this depth before it is parsed. */
#define JSONGET_DEPTH_MAX 64

/* Whether data's arrays and objects nest at most JSONGET_DEPTH_MAX
   deep (a scan of the bytes, strings skipped). */
bool jsonget_shallow(const void *data, size_t size);

/* Parses data as a JSON object, unless it nests too deep.  Returns its
   root (json_node_unref it), or NULL with *error_r (g_free it). */
JsonNode *jsonget_parse(const void *data, size_t size, char **error_r);

/* node's string, or NULL when it is none.  json-glib's scanner takes
   octal escapes ("\344"), which make bytes that are not UTF-8: such a
   string is none either, or it would reach a provider's API, a header
   or the store as it is. */
const char *jsonget_text(JsonNode *node);

/* Members of o (which may be NULL): a string (as jsonget_text()), or
   NULL; an integer (a
   string of digits counts, as WhatsApp sends its timestamps), or def;
   an object or array, or NULL. */
const char *jsonget_string(JsonObject *o, const char *name);
int64_t jsonget_int(JsonObject *o, const char *name, int64_t def);
JsonObject *jsonget_object(JsonObject *o, const char *name);
JsonArray *jsonget_array(JsonObject *o, const char *name);

/* Element i of a, if an object, or NULL. */
JsonObject *jsonget_element(JsonArray *a, guint i);

/* The compact JSON text of what *_b built, every object and array of
   it ended (g_free it); the builder is unreffed and *_b cleared. */
char *jsonget_built(JsonBuilder **_b);

#endif
