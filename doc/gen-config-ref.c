/* gen-config-ref.c: writes the key reference of shopdesk.conf into a
   document, from the table the parser itself uses (lib/config-keys.c), so
   that what the documents say cannot drift from what the code does.

   usage: gen-config-ref markdown|man TEMPLATE > DOCUMENT

   Each line "@KEYS shopdesk@", "@KEYS queue@" or "@KEYS channel@" of
   TEMPLATE becomes that group's keys, in the table's order: a Markdown
   table (doc/config.md) or roff tagged paragraphs (shopdesk.conf(5));
   every other line is copied as it is.  make runs it at build time: the
   documents are not in the repository. */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum format {
	FORMAT_MARKDOWN,
	FORMAT_MAN,
};

/* Appends a description written in the table's Markdown subset (`code`,
   *emphasis*) in format.  roff gets bold code, italic emphasis, "\e" for
   a backslash and "\-" for a minus in code (an option, a range). */
static void append_text(GString *out, const char *text, enum format format)
{
	bool code = false, emphasis = false;

	if (format == FORMAT_MARKDOWN) {
		for (const char *p = text; *p != '\0'; p++) {
			/* a '|' would end the table's cell */
			if (*p == '|')
				g_string_append_c(out, '\\');
			g_string_append_c(out, *p);
		}
		return;
	}
	/* a line starting with '.' or '\'' would be a request */
	if (*text == '.' || *text == '\'')
		g_string_append(out, "\\&");
	for (const char *p = text; *p != '\0'; p++) {
		if (*p == '`' && !emphasis) {
			code = !code;
			g_string_append(out, code ? "\\fB" : "\\fR");
		} else if (*p == '*' && !code) {
			emphasis = !emphasis;
			g_string_append(out, emphasis ? "\\fI" : "\\fR");
		} else if (*p == '\\') {
			g_string_append(out, "\\e");
		} else if (*p == '-' && code) {
			g_string_append(out, "\\-");
		} else {
			g_string_append_c(out, *p);
		}
	}
}

/* The default of key, in the table's Markdown subset, as a cell of
   doc/config.md or a sentence of the manual page: "$provider_api" spelt
   out for each channel, the other "$..." left for the document's prose
   to explain. */
static char *default_text(const struct config_key *key, enum format format)
{
	bool man = format == FORMAT_MAN;
	GString *out = g_string_new(NULL);

	if (key->def == NULL) {
		g_string_append(out, man ? "Required." : "*required*");
	} else if (*key->def == '\0') {
		g_string_append(out, man ? "Default: empty." : "*(empty)*");
	} else if (strstr(key->def, "$provider_api") != NULL) {
		for (unsigned int i = 0; config_channel_kinds[i].name != NULL;
		     i++) {
			char **parts = g_strsplit(key->def, "$provider_api", -1);
			char *value = g_strjoinv(
				config_channel_kinds[i].api_url, parts);

			g_string_append_printf(out, "%s%s: `%s`",
					       i > 0 ? ", " : "",
					       config_channel_kinds[i].name,
					       value);
			g_free(value);
			g_strfreev(parts);
		}
	} else {
		g_string_append_printf(out, "`%s`", key->def);
	}
	if (man && key->def != NULL && *key->def != '\0') {
		g_string_prepend(out, "Default: ");
		g_string_append_c(out, '.');
	}
	if (key->only != NULL)
		g_string_append_printf(out, man ? " Only in [channel %s]." :
				       " (%s only)", key->only);
	return g_string_free(out, FALSE);
}

static void append_keys(GString *out, enum config_group group,
			enum format format)
{
	if (format == FORMAT_MARKDOWN) {
		g_string_append(out, "| key | default | meaning |\n"
				"| --- | --- | --- |\n");
	}
	for (unsigned int i = 0; i < config_keys_count; i++) {
		const struct config_key *key = &config_keys[i];
		char *def;

		if (key->group != group)
			continue;
		def = default_text(key, format);
		if (format == FORMAT_MARKDOWN) {
			g_string_append_printf(out, "| `%s` | ", key->name);
			append_text(out, def, format);
			g_string_append(out, " | ");
			append_text(out, key->doc, format);
			g_string_append(out, " |\n");
		} else {
			g_string_append_printf(out, ".TP\n.B %s\n", key->name);
			append_text(out, def, format);
			g_string_append_c(out, '\n');
			append_text(out, key->doc, format);
			g_string_append_c(out, '\n');
		}
		g_free(def);
	}
}

int main(int argc, char *argv[])
{
	static const struct {
		const char *line;
		enum config_group group;
	} markers[] = {
		{ "@KEYS shopdesk@", CONFIG_GROUP_SHOPDESK },
		{ "@KEYS queue@", CONFIG_GROUP_QUEUE },
		{ "@KEYS channel@", CONFIG_GROUP_CHANNEL },
	};
	GError *error = NULL;
	enum format format;
	GString *out;
	char *text, **lines;

	if (argc != 3 || (strcmp(argv[1], "markdown") != 0 &&
			  strcmp(argv[1], "man") != 0)) {
		fprintf(stderr, "usage: gen-config-ref markdown|man "
			"TEMPLATE\n");
		return 2;
	}
	format = strcmp(argv[1], "man") == 0 ? FORMAT_MAN : FORMAT_MARKDOWN;
	if (!g_file_get_contents(argv[2], &text, NULL, &error)) {
		fprintf(stderr, "gen-config-ref: %s\n", error->message);
		return 1;
	}
	out = g_string_new(NULL);
	lines = g_strsplit(text, "\n", -1);
	for (unsigned int i = 0; lines[i] != NULL; i++) {
		bool marker = false;

		for (unsigned int m = 0; m < G_N_ELEMENTS(markers); m++) {
			if (strcmp(lines[i], markers[m].line) == 0) {
				append_keys(out, markers[m].group, format);
				marker = true;
			}
		}
		if (!marker && g_str_has_prefix(lines[i], "@KEYS")) {
			fprintf(stderr, "gen-config-ref: %s:%u: unknown "
				"group: %s\n", argv[2], i + 1, lines[i]);
			return 1;
		}
		if (!marker && lines[i + 1] != NULL)
			g_string_append_printf(out, "%s\n", lines[i]);
		else if (!marker)
			g_string_append(out, lines[i]);
	}
	if (fwrite(out->str, 1, out->len, stdout) != out->len ||
	    fflush(stdout) != 0) {
		perror("gen-config-ref");
		return 1;
	}
	g_strfreev(lines);
	g_string_free(out, TRUE);
	g_free(text);
	return 0;
}
