/* stamp.c: the seal on the milter's X-Shopdesk-* stamps (stamp.h).
   Mail servers may fold a long header on its way (a tab or spaces after
   a line break) and a reader may unfold it either way: the seal is made
   over the value with every run of white space one space, trimmed, so
   that folding does not break it and nothing else can change without
   breaking it. */

#include "stamp.h"

#include <string.h>

#define STAMP_CONTEXT "shopdesk-stamps:"

bool stamp_covered(const char *name)
{
	return g_ascii_strncasecmp(name, "X-Shopdesk-", 11) == 0 &&
		g_ascii_strcasecmp(name, STAMP_SEAL_HEADER) != 0;
}

void stamp_text_add(GString *text, const char *name, const char *value)
{
	bool space = false;
	const char *p = value;

	if (!stamp_covered(name))
		return;
	for (const char *n = name; *n != '\0'; n++)
		g_string_append_c(text, g_ascii_tolower(*n));
	g_string_append_c(text, ':');
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	for (; *p != '\0'; p++) {
		if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
			space = true;
			continue;
		}
		if (space)
			g_string_append_c(text, ' ');
		space = false;
		g_string_append_c(text, *p);
	}
	g_string_append_c(text, '\n');
}

char *stamp_seal(const struct token_key *key, const GString *text,
		 const char *message_id)
{
	char *all = g_strdup_printf("%smessage-id:%s\n", text->str,
				    message_id != NULL ? message_id : "");
	char *seal = token_key_seal(key, STAMP_CONTEXT, all);

	g_free(all);
	return seal;
}
