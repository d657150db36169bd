#ifndef SHOPDESK_TEMPLATE_H
#define SHOPDESK_TEMPLATE_H

#include <json-glib/json-glib.h>

/* Mustache templates (the subset shopdesk's message templates use, as
   the Mustache specification defines it): variables, HTML-escaped
   ({{name}}) and raw ({{{name}}}, {{&name}}); dotted names; the implicit
   iterator {{.}}; sections and inverted sections; comments; and the
   specification's rules for standalone tag lines.  Partials, changed
   delimiters and lambdas are refused at parse time.  Data is JSON. */

struct template;

/* Parses text.  Returns 0 and a new template, or -1 with *error_r
   ("line N: reason", g_free it) for an unclosed tag or section, a
   section closed by the wrong name, a tag without a name, or an
   unsupported tag. */
int template_parse(const char *text, struct template **template_r,
		   char **error_r);

void template_free(struct template **_template);

/* Renders with data as the root context (NULL renders with none).
   Never fails; a name that resolves to nothing renders as "".  Returns a
   new string (g_free it). */
char *template_render(const struct template *template, JsonNode *data);

#endif
