/* config.c: reads shopdesk.conf (GKeyFile syntax), checks every value and
   fills struct config with the effective settings, defaults included.
   GKeyFile keeps no line numbers, so the raw text is scanned once more to
   know where each group header and key stands: every error names file,
   line, group and key.  It also refuses what GKeyFile silently accepts:
   a group or a key given twice, keys with a locale suffix.

   hours, holidays and sla_first_reply are checked by the business-hours
   clock (hours.c) itself, so that both agree on what is valid.  It opens
   none of the files and sockets it names: the programs that use them do.

   Which keys exist and their defaults come from the table of
   config-keys.c; the checks of each value are here. */

#include "config.h"
#include "hours.h"
#include "sla.h"
#include "ticket.h"

#include <gio/gio.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

#define QUEUE_NAME_MAX 63
#define TICKET_TAG_MAX 32
#define SUN_PATH_MAX (sizeof(((struct sockaddr_un *)NULL)->sun_path) - 1)

/* A group header or key line of the raw text. */
struct location {
	unsigned int line;
	char *group;
	char *key;		/* NULL for the group header */
};

struct loader {
	const char *path;
	GKeyFile *keyfile;
	GArray *locations;	/* struct location, in file order */
	unsigned int bad_line;	/* first line GKeyFile will refuse, or 0 */
	struct config *config;
	char *error;
};

static bool is_comment_or_blank(const char *line)
{
	return *line == '\0' || *line == '#';
}

static void add_location(struct loader *l, unsigned int line,
			 const char *group, const char *key)
{
	struct location loc = {
		.line = line,
		.group = g_strdup(group),
		.key = g_strdup(key),
	};

	g_array_append_val(l->locations, loc);
}

/* Classifies each line as GKeyFile does (comment, [group], key=value),
   remembering where groups and keys are and the first line that is none
   of these. */
static void scan_lines(struct loader *l, const char *text, size_t size)
{
	const char *p = text, *end = text + size;
	char *group = NULL;
	unsigned int n = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		size_t len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		char *line = g_strstrip(g_strndup(p, len));
		size_t line_len = strlen(line);
		char *eq;

		n++;
		p += len + 1;
		if (is_comment_or_blank(line)) {
			g_free(line);
			continue;
		}
		eq = strchr(line, '=');
		if (line[0] == '[' && line_len > 2 &&
		    strchr(line + 1, '[') == NULL &&
		    strchr(line, ']') == line + line_len - 1) {
			g_free(group);
			group = g_strndup(line + 1, line_len - 2);
			add_location(l, n, group, NULL);
		} else if (line[0] != '[' && eq != NULL && eq != line &&
			   group != NULL) {
			*eq = '\0';
			add_location(l, n, group, g_strchomp(line));
		} else if (l->bad_line == 0) {
			l->bad_line = n;
		}
		g_free(line);
	}
	g_free(group);
}

/* The line of key in group, of the group header when key is NULL or not
   in the file, or 0 when the group is not in the file either.  A key
   given twice is refused, so the first match is the one. */
static unsigned int find_line(const struct loader *l, const char *group,
			      const char *key)
{
	unsigned int header = 0;

	for (unsigned int i = 0; i < l->locations->len; i++) {
		const struct location *loc =
			&g_array_index(l->locations, struct location, i);

		if (strcmp(loc->group, group) != 0)
			continue;
		if (loc->key == NULL && header == 0)
			header = loc->line;
		if (key != NULL && loc->key != NULL &&
		    strcmp(loc->key, key) == 0)
			return loc->line;
	}
	return header;
}

/* Sets l->error to "FILE:LINE: [group] key: reason" and returns -1.  A
   zero line is looked up from group and key; group NULL makes a
   file-level error. */
static int fail(struct loader *l, unsigned int line, const char *group,
		const char *key, const char *fmt, ...) G_GNUC_PRINTF(5, 6);

static int fail(struct loader *l, unsigned int line, const char *group,
		const char *key, const char *fmt, ...)
{
	GString *error = g_string_new(l->path);
	va_list args;

	if (line == 0 && group != NULL)
		line = find_line(l, group, key);
	if (line != 0)
		g_string_append_printf(error, ":%u", line);
	g_string_append(error, ": ");
	if (group != NULL) {
		g_string_append_printf(error, "[%s]", group);
		if (key != NULL)
			g_string_append_printf(error, " %s", key);
		g_string_append(error, ": ");
	}
	va_start(args, fmt);
	g_string_append_vprintf(error, fmt, args);
	va_end(args);
	g_free(l->error);
	l->error = g_string_free(error, FALSE);
	return -1;
}

static void lower_in_place(char *s)
{
	for (; *s != '\0'; s++)
		*s = g_ascii_tolower(*s);
}

static bool has_control_chars(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	}
	return false;
}

/* Labels of letters, digits and '-', dot-separated, as in DNS. */
static bool valid_domain(const char *s)
{
	size_t label = 0, total = 0;

	for (const char *p = s; *p != '\0'; p++, total++) {
		if (*p == '.') {
			if (label == 0 || p[-1] == '-')
				return false;
			label = 0;
		} else if (g_ascii_isalnum(*p) || (*p == '-' && label > 0)) {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return label > 0 && s[total - 1] != '-' && total <= 253;
}

/* local@domain with a dot-atom local part (RFC 5322 3.2.3). */
int report_every_parse(const char *text, struct report_every *every_r,
		       char **error_r)
{
	static const char *const days[] = {
		"mon", "tue", "wed", "thu", "fri", "sat", "sun"
	};
	char **words = g_strsplit(text, " ", -1);
	unsigned int n = g_strv_length(words), h, m;
	const char *time = NULL;
	char end;
	int ret = -1;

	memset(every_r, 0, sizeof(*every_r));
	if (n == 1 && strcmp(words[0], "off") == 0) {
		every_r->kind = REPORT_EVERY_OFF;
		ret = 0;
		goto out;
	}
	if (n == 2 && strcmp(words[0], "daily") == 0) {
		every_r->kind = REPORT_EVERY_DAY;
		time = words[1];
	} else if (n == 3 && strcmp(words[0], "weekly") == 0) {
		every_r->kind = REPORT_EVERY_WEEK;
		for (unsigned int i = 0; i < G_N_ELEMENTS(days); i++)
			if (strcmp(words[1], days[i]) == 0)
				every_r->weekday = G_DATE_MONDAY + i;
		time = words[2];
	}
	if (time == NULL || (every_r->kind == REPORT_EVERY_WEEK &&
			     every_r->weekday == G_DATE_BAD_WEEKDAY) ||
	    strlen(time) != 5 ||
	    sscanf(time, "%2u:%2u%c", &h, &m, &end) != 2 || h > 23 ||
	    m > 59) {
		*error_r = g_strdup_printf("not off, daily HH:MM or weekly "
					   "DAY HH:MM (DAY mon to sun): %s",
					   text);
		goto out;
	}
	every_r->minute = h * 60 + m;
	ret = 0;
out:
	g_strfreev(words);
	return ret;
}

static bool valid_address(const char *s)
{
	const char *at = strchr(s, '@');

	if (at == NULL || at == s || strchr(at + 1, '@') != NULL ||
	    !valid_domain(at + 1))
		return false;
	for (const char *p = s; p < at; p++) {
		if (!g_ascii_isalnum(*p) &&
		    strchr("!#$%&'*+-/=?^_`{|}~.", *p) == NULL)
			return false;
	}
	return true;
}

static bool valid_language(const char *s)
{
	size_t len = strlen(s);

	if (len < 2 || len > 3)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!g_ascii_islower(s[i]))
			return false;
	}
	return true;
}

static bool valid_socket_path(const char *path)
{
	return g_path_is_absolute(path) && strlen(path) <= SUN_PATH_MAX;
}

/* unix:/path, local:/path, inet:PORT@HOST, inet6:PORT@HOST. */
static bool valid_milter_socket(const char *s)
{
	const char *rest, *at;
	guint64 port;

	if (g_str_has_prefix(s, "unix:"))
		return valid_socket_path(s + 5);
	if (g_str_has_prefix(s, "local:"))
		return valid_socket_path(s + 6);
	if (g_str_has_prefix(s, "inet:"))
		rest = s + 5;
	else if (g_str_has_prefix(s, "inet6:"))
		rest = s + 6;
	else
		return false;
	at = strchr(rest, '@');
	if (at == NULL || at[1] == '\0' || strpbrk(at + 1, " \t@") != NULL)
		return false;
	for (const char *p = rest; p < at; p++) {
		if (!g_ascii_isdigit(*p))
			return false;
	}
	port = g_ascii_strtoull(rest, NULL, 10);
	return at > rest && at - rest <= 5 && port >= 1 && port <= 65535;
}

/* A user or group name as useradd(8) takes it, or a number. */
static bool valid_account_name(const char *s)
{
	if (*s == '\0' || *s == '-' || strlen(s) > 32)
		return false;
	for (const char *p = s; *p != '\0'; p++) {
		if (!g_ascii_isalnum(*p) && strchr("._-", *p) == NULL &&
		    !(*p == '$' && p[1] == '\0'))
			return false;
	}
	return true;
}

/* "0660", "660": permission bits only (no setuid, setgid, sticky). */
static bool valid_mode(const char *s, unsigned int *mode_r)
{
	guint64 n;

	if (strlen(s) > 4 ||
	    !g_ascii_string_to_unsigned(s, 8, 0, 0777, &n, NULL))
		return false;
	*mode_r = n;
	return true;
}

/* An IANA name such as Europe/Vilnius that GLib can load.  GLib would
   also take a file path or an offset, which are refused here. */
static bool valid_timezone(const char *s)
{
	GTimeZone *tz;

	if (*s == '\0' || *s == '/' || strstr(s, "..") != NULL)
		return false;
	for (const char *p = s; *p != '\0'; p++) {
		if (!g_ascii_isalnum(*p) && strchr("/_+-", *p) == NULL)
			return false;
	}
	tz = g_time_zone_new_identifier(s);
	if (tz == NULL)
		return false;
	g_time_zone_unref(tz);
	return true;
}

static bool valid_http_url(const char *s)
{
	GUri *uri = g_uri_parse(s, G_URI_FLAGS_NONE, NULL);
	bool ok;

	if (uri == NULL)
		return false;
	ok = (g_strcmp0(g_uri_get_scheme(uri), "https") == 0 ||
	      g_strcmp0(g_uri_get_scheme(uri), "http") == 0) &&
	     g_uri_get_host(uri) != NULL && *g_uri_get_host(uri) != '\0';
	g_uri_unref(uri);
	return ok;
}

static bool valid_delimiter(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (!g_ascii_ispunct(*s) || strchr("@<>\"\\", *s) != NULL)
			return false;
	}
	return true;
}

/* [shopdesk], [queue NAME] or [channel NAME]; *name_r gets NAME (NULL
   for [shopdesk]).  False for any other group. */
static bool classify_group(const char *group, enum config_group *group_r,
			   const char **name_r)
{
	*name_r = NULL;
	if (strcmp(group, "shopdesk") == 0) {
		*group_r = CONFIG_GROUP_SHOPDESK;
		return true;
	}
	if (g_str_has_prefix(group, "queue ")) {
		*group_r = CONFIG_GROUP_QUEUE;
		*name_r = group + 6;
		return true;
	}
	if (g_str_has_prefix(group, "channel ")) {
		*group_r = CONFIG_GROUP_CHANNEL;
		*name_r = group + 8;
		return true;
	}
	return false;
}

/* The struct of the group called name: c itself, a queue or a channel */
static const void *group_struct(const struct config *c,
				enum config_group group, const char *name)
{
	if (group == CONFIG_GROUP_QUEUE)
		return config_queue_by_name(c, name);
	if (group == CONFIG_GROUP_CHANNEL) {
		for (unsigned int i = 0; i < c->channels->len; i++) {
			const struct config_channel *ch = c->channels->pdata[i];

			if (strcmp(ch->name, name) == 0)
				return ch;
		}
		return NULL;
	}
	return c;
}

/* The default of key for the group called name, newly allocated, its
   "$..." replaced by what they stand for in c (see struct config_key);
   with defaults, a key named there stands for its own default, if it
   has one, instead of its value.  NULL for a key without a default.  The
   loader reads [shopdesk] first, and a group's keys in the table's
   order, so what a default names is there. */
static char *key_default(const struct config *c, const struct config_key *key,
			 const char *name, bool defaults)
{
	GString *out;
	const char *p;

	if (key->def == NULL)
		return NULL;
	out = g_string_new(NULL);
	for (p = key->def; *p != '\0';) {
		const struct config_key *var;
		const void *base;
		char *word, *owned = NULL;
		const char *value = NULL;
		size_t len = 0;

		if (*p != '$') {
			g_string_append_c(out, *p++);
			continue;
		}
		p++;
		while (g_ascii_isalnum(p[len]) || p[len] == '_')
			len++;
		word = g_strndup(p, len);
		p += len;
		/* a key of the group before this one (read already), else
		   [shopdesk]'s: a channel's "$NAME.$domain" is the shop's */
		base = group_struct(c, key->group, name);
		var = config_key_lookup(key->group, word);
		if (var == NULL || var >= key) {
			base = c;
			var = config_key_lookup(CONFIG_GROUP_SHOPDESK, word);
		}
		if (strcmp(word, "NAME") == 0)
			value = name;
		else if (strcmp(word, "address") == 0)
			value = config_queue_by_name(c, name)->address;
		else if (strcmp(word, "provider_api") == 0)
			value = config_provider_api(name);
		else if (var != NULL && var->kind == CONFIG_KIND_TEXT &&
			 defaults && var->def != NULL)
			value = owned = key_default(c, var, name, true);
		else if (var != NULL && var->kind == CONFIG_KIND_TEXT)
			value = *(char *const *)((const char *)base +
						 var->offset);
		if (value == NULL)
			g_error("config_keys: %s: $%s stands for nothing",
				key->name, word);
		g_string_append(out, value);
		g_free(owned);
		g_free(word);
	}
	return g_string_free(out, FALSE);
}

/* The entry of key in group (the group's header): every key the loader
   reads is in config_keys. */
static const struct config_key *table_key(const char *group, const char *key)
{
	const struct config_key *entry = NULL;
	enum config_group kind;
	const char *name;

	if (classify_group(group, &kind, &name))
		entry = config_key_lookup(kind, key);
	if (entry == NULL)
		g_error("config: [%s] %s is not in config_keys", group, key);
	return entry;
}

/* The default of key in group, from config_keys. */
static char *table_default(struct loader *l, const char *group,
			   const char *key)
{
	enum config_group kind;
	const char *name;

	(void)classify_group(group, &kind, &name);
	return key_default(l->config, table_key(group, key), name, false);
}

/* Sets *value_r to the value, trimmed, or to the key's default when it
   is absent (NULL for a key without one). */
static int get_string(struct loader *l, const char *group, const char *key,
		      char **value_r)
{
	GError *error = NULL;
	char *value;

	*value_r = NULL;
	if (!g_key_file_has_key(l->keyfile, group, key, NULL)) {
		*value_r = table_default(l, group, key);
		return 0;
	}
	value = g_key_file_get_string(l->keyfile, group, key, &error);
	if (value == NULL) {
		fail(l, 0, group, key, "%s", error->message);
		g_error_free(error);
		return -1;
	}
	g_strstrip(value);
	if (has_control_chars(value)) {
		g_free(value);
		return fail(l, 0, group, key,
			    "control characters are not allowed");
	}
	*value_r = value;
	return 0;
}

/* Like get_string, but the value must not be empty. */
static int get_nonempty(struct loader *l, const char *group, const char *key,
			char **value_r)
{
	if (get_string(l, group, key, value_r) < 0)
		return -1;
	if (*value_r != NULL && **value_r == '\0')
		return fail(l, 0, group, key, "empty value");
	return 0;
}

/* A value that must be given (its key has no default); what describes
   it in the error message. */
static int get_required(struct loader *l, const char *group, const char *key,
			const char *what, char **value_r)
{
	if (get_nonempty(l, group, key, value_r) < 0)
		return -1;
	if (*value_r == NULL)
		return fail(l, 0, group, key, "missing (%s)", what);
	return 0;
}

static int get_bool(struct loader *l, const char *group, const char *key,
		    bool *value_r)
{
	GError *error = NULL;
	char *raw;

	*value_r = strcmp(table_key(group, key)->def, "true") == 0;
	if (!g_key_file_has_key(l->keyfile, group, key, NULL))
		return 0;
	*value_r = g_key_file_get_boolean(l->keyfile, group, key, &error);
	if (error == NULL)
		return 0;
	g_error_free(error);
	raw = g_key_file_get_value(l->keyfile, group, key, NULL);
	fail(l, 0, group, key, "not a boolean (true or false): %s", raw);
	g_free(raw);
	return -1;
}

static int get_duration(struct loader *l, const char *group, const char *key,
			int64_t *value_r)
{
	char *value;
	int ret = 0;

	if (get_string(l, group, key, &value) < 0)
		return -1;
	if (config_parse_duration(value, value_r) < 0)
		ret = fail(l, 0, group, key,
			   "not a duration (like 30s, 90m, 2h, 7d): %s",
			   value);
	g_free(value);
	return ret;
}

static int get_size(struct loader *l, const char *group, const char *key,
		    size_t *value_r)
{
	char *value;
	int ret = 0;

	if (get_string(l, group, key, &value) < 0)
		return -1;
	if (config_parse_size(value, value_r) < 0 || *value_r == 0)
		ret = fail(l, 0, group, key,
			   "not a size (like 512, 256k, 64M, 1G): %s", value);
	g_free(value);
	return ret;
}

static int get_uint(struct loader *l, const char *group, const char *key,
		    unsigned int max, unsigned int *value_r)
{
	char *value;
	guint64 n;
	int ret = 0;

	*value_r = g_ascii_strtoull(table_key(group, key)->def, NULL, 10);
	if (!g_key_file_has_key(l->keyfile, group, key, NULL))
		return 0;
	if (get_string(l, group, key, &value) < 0)
		return -1;
	if (!g_ascii_string_to_unsigned(value, 10, 1, max, &n, NULL))
		ret = fail(l, 0, group, key,
			   "not a number from 1 to %u: %s", max, value);
	else
		*value_r = n;
	g_free(value);
	return ret;
}

/* One of the key's choices: *value_r gets its index. */
static int get_choice(struct loader *l, const char *group, const char *key,
		      int *value_r)
{
	const char *const *choices = table_key(group, key)->choices;
	GString *expected;
	char *value;

	if (get_nonempty(l, group, key, &value) < 0)
		return -1;
	for (int i = 0; choices[i] != NULL; i++) {
		if (strcmp(choices[i], value) == 0) {
			*value_r = i;
			g_free(value);
			return 0;
		}
	}
	expected = g_string_new(NULL);
	for (unsigned int i = 0; choices[i] != NULL; i++) {
		if (i > 0)
			g_string_append(expected, choices[i + 1] != NULL ?
					", " : " or ");
		g_string_append(expected, choices[i]);
	}
	fail(l, 0, group, key, "%s expected: %s", expected->str, value);
	g_string_free(expected, TRUE);
	g_free(value);
	return -1;
}

/* A ';'-separated list; items are trimmed and empty ones dropped. */
static int get_list(struct loader *l, const char *group, const char *key,
		    char ***list_r)
{
	GPtrArray *items = g_ptr_array_new();
	GError *error = NULL;
	char **raw;

	*list_r = NULL;
	(void)table_key(group, key);	/* a key not there is a bug */
	if (g_key_file_has_key(l->keyfile, group, key, NULL)) {
		raw = g_key_file_get_string_list(l->keyfile, group, key,
						 NULL, &error);
		if (raw == NULL) {
			fail(l, 0, group, key, "%s", error->message);
			g_error_free(error);
			g_ptr_array_free(items, TRUE);
			return -1;
		}
		for (unsigned int i = 0; raw[i] != NULL; i++) {
			char *item = g_strstrip(raw[i]);

			if (has_control_chars(item)) {
				g_strfreev(raw);
				g_ptr_array_free(items, TRUE);
				return fail(l, 0, group, key,
					    "control characters are not "
					    "allowed");
			}
			if (*item != '\0')
				g_ptr_array_add(items, g_strdup(item));
		}
		g_strfreev(raw);
	}
	g_ptr_array_add(items, NULL);
	*list_r = (char **)g_ptr_array_free(items, FALSE);
	return 0;
}

/* A list of addresses: ',' separates them too, as in a To: header (a
   dot-atom address has neither ',' nor ';').  Absent or empty is an
   error, what says what is missing. */
static int get_address_list(struct loader *l, const char *group,
			    const char *key, const char *what,
			    char ***list_r)
{
	GPtrArray *items = g_ptr_array_new();
	char **raw;

	*list_r = NULL;
	if (!g_key_file_has_key(l->keyfile, group, key, NULL)) {
		g_ptr_array_free(items, TRUE);
		return fail(l, 0, group, key, "missing (%s)", what);
	}
	if (get_list(l, group, key, &raw) < 0) {
		g_ptr_array_free(items, TRUE);
		return -1;
	}
	for (unsigned int i = 0; raw[i] != NULL; i++) {
		char **parts = g_strsplit(raw[i], ",", -1);

		for (unsigned int j = 0; parts[j] != NULL; j++) {
			char *item = g_strstrip(parts[j]);

			if (*item != '\0')
				g_ptr_array_add(items, g_strdup(item));
		}
		g_strfreev(parts);
	}
	g_strfreev(raw);
	g_ptr_array_add(items, NULL);
	*list_r = (char **)g_ptr_array_free(items, FALSE);
	if (**list_r == NULL)
		return fail(l, 0, group, key, "empty value");
	return 0;
}

static bool valid_queue_name(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > QUEUE_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!g_ascii_islower(name[i]) && !g_ascii_isdigit(name[i]) &&
		    name[i] != '-' && name[i] != '_')
			return false;
	}
	return true;
}

/* Checks every group header and key line, in file order: known groups
   and keys (those of config_keys) only, each given once. */
static int check_structure(struct loader *l)
{
	for (unsigned int i = 0; i < l->locations->len; i++) {
		const struct location *loc =
			&g_array_index(l->locations, struct location, i);
		const struct config_key *key;
		enum config_group group;
		const char *name;

		for (unsigned int j = 0; j < i; j++) {
			const struct location *prev = &g_array_index(
				l->locations, struct location, j);

			if (strcmp(prev->group, loc->group) != 0 ||
			    g_strcmp0(prev->key, loc->key) != 0)
				continue;
			if (loc->key == NULL)
				return fail(l, loc->line, loc->group, NULL,
					    "group given twice (first at "
					    "line %u)", prev->line);
			return fail(l, loc->line, loc->group, loc->key,
				    "key given twice (first at line %u)",
				    prev->line);
		}
		if (!classify_group(loc->group, &group, &name))
			return fail(l, loc->line, loc->group, NULL,
				    "unknown group ([shopdesk], [queue NAME] "
				    "or [channel NAME])");
		if (group == CONFIG_GROUP_QUEUE && !valid_queue_name(name))
			return fail(l, loc->line, loc->group, NULL,
				    "a queue name is 1 to %d lowercase "
				    "letters, digits, '-' or '_'",
				    QUEUE_NAME_MAX);
		if (group == CONFIG_GROUP_CHANNEL &&
		    config_provider_api(name) == NULL)
			return fail(l, loc->line, loc->group, NULL,
				    "unknown channel (telegram, whatsapp or "
				    "viber)");
		if (loc->key == NULL)
			continue;
		key = config_key_lookup(group, loc->key);
		if (key == NULL)
			return fail(l, loc->line, loc->group, loc->key,
				    "unknown key");
		if (key->only != NULL && strcmp(name, key->only) != 0)
			return fail(l, loc->line, loc->group, loc->key,
				    "only [channel %s] has it", key->only);
	}
	return 0;
}

/* An IMAP keyword (RFC 3501 atom, not a system flag). */
static bool valid_keyword(const char *keyword)
{
	if (*keyword == '\0' || *keyword == '\\' || strlen(keyword) > 64)
		return false;
	for (const char *p = keyword; *p != '\0'; p++) {
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f ||
		    strchr("(){%*\"\\]", *p) != NULL)
			return false;
	}
	return true;
}

/* "KEYWORD=STATUS ...": the first keyword of each status is the one
   the mailbox shows. */
static int load_keywords(struct loader *l, const char *g)
{
	struct config *c = l->config;
	GPtrArray *all = g_ptr_array_new();
	GArray *all_status = g_array_new(FALSE, FALSE, sizeof(int));
	char **pairs = g_strsplit_set(c->keywords, " \t", -1);
	enum ticket_status status;
	int ret = 0;

	for (char **p = pairs; *p != NULL && ret == 0; p++) {
		char *eq = strrchr(*p, '=');

		if (**p == '\0')
			continue;
		if (eq == NULL || eq == *p) {
			ret = fail(l, 0, g, "keywords", "'%s' is not "
				   "KEYWORD=STATUS", *p);
			break;
		}
		*eq = '\0';
		if (!valid_keyword(*p))
			ret = fail(l, 0, g, "keywords", "'%s' is not an "
				   "IMAP keyword", *p);
		else if (ticket_status_parse(eq + 1, &status) < 0)
			ret = fail(l, 0, g, "keywords", "'%s' is not a "
				   "status (new, open, pending, resolved, "
				   "closed)", eq + 1);
		else {
			g_ptr_array_add(all, g_strdup(*p));
			g_array_append_val(all_status, status);
			if (c->status_keyword[status] == NULL)
				c->status_keyword[status] = g_strdup(*p);
		}
	}
	g_strfreev(pairs);
	g_ptr_array_add(all, NULL);
	c->keyword_names = (char **)g_ptr_array_free(all, FALSE);
	c->keyword_status = (int *)g_array_free(all_status, FALSE);
	return ret;
}

static int load_shopdesk(struct loader *l)
{
	static const char g[] = "shopdesk";
	struct config *c = l->config;
	char *value = NULL;
	char **argv;
	GError *error = NULL;
	int on_error;

	if (get_required(l, g, "domain", "the shop's mail domain",
			 &c->domain) < 0)
		return -1;
	if (!valid_domain(c->domain))
		return fail(l, 0, g, "domain", "not a domain name: %s",
			    c->domain);
	lower_in_place(c->domain);
	if (get_nonempty(l, g, "state_dir", &c->state_dir) < 0)
		return -1;
	if (!g_path_is_absolute(c->state_dir))
		return fail(l, 0, g, "state_dir", "not an absolute path");
	if (get_nonempty(l, g, "spool_dir", &c->spool_dir) < 0)
		return -1;
	if (!g_path_is_absolute(c->spool_dir))
		return fail(l, 0, g, "spool_dir", "not an absolute path");
	if (get_nonempty(l, g, "milter_socket", &c->milter_socket) < 0)
		return -1;
	if (!valid_milter_socket(c->milter_socket))
		return fail(l, 0, g, "milter_socket",
			    "not unix:/PATH, local:/PATH, inet:PORT@HOST or "
			    "inet6:PORT@HOST (paths absolute, at most %zu "
			    "bytes): %s", SUN_PATH_MAX, c->milter_socket);
	if (get_nonempty(l, g, "milter_socket_mode", &value) < 0)
		return -1;
	if (!valid_mode(value, &c->milter_socket_mode)) {
		fail(l, 0, g, "milter_socket_mode",
		     "not an octal mode from 0000 to 0777: %s", value);
		g_free(value);
		return -1;
	}
	g_free(value);
	if (get_string(l, g, "milter_socket_group",
		       &c->milter_socket_group) < 0)
		return -1;
	if (*c->milter_socket_group != '\0' &&
	    !valid_account_name(c->milter_socket_group))
		return fail(l, 0, g, "milter_socket_group",
			    "not a group name: %s", c->milter_socket_group);
	if (get_nonempty(l, g, "user", &c->user) < 0)
		return -1;
	if (!valid_account_name(c->user))
		return fail(l, 0, g, "user", "not a user name: %s", c->user);
	if (get_nonempty(l, g, "control_socket", &c->control_socket) < 0)
		return -1;
	if (!valid_socket_path(c->control_socket))
		return fail(l, 0, g, "control_socket",
			    "not an absolute path of at most %zu bytes",
			    SUN_PATH_MAX);
	if (get_nonempty(l, g, "templates_dir", &c->templates_dir) < 0)
		return -1;
	if (!g_path_is_absolute(c->templates_dir))
		return fail(l, 0, g, "templates_dir", "not an absolute path");
	if (get_nonempty(l, g, "sendmail", &c->sendmail) < 0)
		return -1;
	if (!g_shell_parse_argv(c->sendmail, NULL, &argv, &error)) {
		fail(l, 0, g, "sendmail", "%s", error->message);
		g_error_free(error);
		return -1;
	}
	g_strfreev(argv);
	if (get_string(l, g, "doveadm_socket", &c->doveadm_socket) < 0)
		return -1;
	if (*c->doveadm_socket != '\0' &&
	    !valid_socket_path(c->doveadm_socket))
		return fail(l, 0, g, "doveadm_socket",
			    "not an absolute path of at most %zu bytes",
			    SUN_PATH_MAX);
	if (get_nonempty(l, g, "keywords", &c->keywords) < 0 ||
	    load_keywords(l, g) < 0)
		return -1;
	if (get_nonempty(l, g, "ticket_tag", &c->ticket_tag) < 0)
		return -1;
	if (strlen(c->ticket_tag) > TICKET_TAG_MAX ||
	    strpbrk(c->ticket_tag, " []#") != NULL)
		return fail(l, 0, g, "ticket_tag",
			    "at most %d bytes, without spaces, '[', ']' or "
			    "'#'", TICKET_TAG_MAX);
	if (get_bool(l, g, "subject_tag", &c->subject_tag) < 0)
		return -1;
	if (get_list(l, g, "agents", &c->agents) < 0)
		return -1;
	for (unsigned int i = 0; c->agents[i] != NULL; i++) {
		lower_in_place(c->agents[i]);
		if (!valid_address(c->agents[i]))
			return fail(l, 0, g, "agents", "not an address: %s",
				    c->agents[i]);
	}
	if (get_list(l, g, "trusted_networks", &c->trusted_networks) < 0)
		return -1;
	for (unsigned int i = 0; c->trusted_networks[i] != NULL; i++) {
		GInetAddressMask *mask = g_inet_address_mask_new_from_string(
			c->trusted_networks[i], NULL);

		if (mask == NULL)
			return fail(l, 0, g, "trusted_networks",
				    "not a network (like 192.0.2.0/24 or "
				    "2001:db8::/32): %s",
				    c->trusted_networks[i]);
		g_object_unref(mask);
	}
	if (get_nonempty(l, g, "default_language", &c->default_language) < 0)
		return -1;
	if (!valid_language(c->default_language))
		return fail(l, 0, g, "default_language",
			    "not a language code (2 or 3 lowercase "
			    "letters): %s", c->default_language);
	if (get_nonempty(l, g, "recipient_delimiter",
			 &c->recipient_delimiter) < 0)
		return -1;
	if (!valid_delimiter(c->recipient_delimiter))
		return fail(l, 0, g, "recipient_delimiter",
			    "punctuation characters other than @ < > \" \\ "
			    "expected: %s", c->recipient_delimiter);
	if (get_choice(l, g, "on_error", &on_error) < 0)
		return -1;
	c->on_error = on_error;
	if (get_duration(l, g, "thread_window", &c->thread_window) < 0 ||
	    get_uint(l, g, "ack_burst", 1000, &c->ack_burst) < 0 ||
	    get_duration(l, g, "ack_burst_period",
			 &c->ack_burst_period) < 0 ||
	    get_uint(l, g, "ack_daily_max", 1000, &c->ack_daily_max) < 0 ||
	    get_duration(l, g, "ack_reopen_period",
			 &c->ack_reopen_period) < 0 ||
	    get_duration(l, g, "outbox_retry_min",
			 &c->outbox_retry_min) < 0 ||
	    get_duration(l, g, "outbox_retry_max",
			 &c->outbox_retry_max) < 0 ||
	    get_duration(l, g, "outbox_lifetime", &c->outbox_lifetime) < 0 ||
	    get_duration(l, g, "sendmail_timeout",
			 &c->sendmail_timeout) < 0 ||
	    get_duration(l, g, "doveadm_timeout", &c->doveadm_timeout) < 0 ||
	    get_size(l, g, "header_max", &c->header_max) < 0 ||
	    get_size(l, g, "body_memory_max", &c->body_memory_max) < 0 ||
	    get_size(l, g, "parse_max", &c->parse_max) < 0 ||
	    get_uint(l, g, "mime_depth_max", 1000, &c->mime_depth_max) < 0 ||
	    get_uint(l, g, "mime_parts_max", 100000,
		     &c->mime_parts_max) < 0 ||
	    get_uint(l, g, "strip_max", 10000, &c->strip_max) < 0 ||
	    get_uint(l, g, "participants_max", 1000,
		     &c->participants_max) < 0 ||
	    get_list(l, g, "trusted_authserv_ids",
		     &c->trusted_authserv_ids) < 0)
		return -1;
	for (unsigned int i = 0; c->trusted_authserv_ids[i] != NULL; i++)
		lower_in_place(c->trusted_authserv_ids[i]);
	return 0;
}

static void config_queue_free(struct config_queue *q)
{
	g_free(q->name);
	g_free(q->address);
	g_strfreev(q->addresses);
	g_free(q->local_part);
	g_free(q->domain);
	g_free(q->display_name);
	g_free(q->timezone);
	g_free(q->hours);
	g_free(q->holidays);
	g_free(q->sla_first_reply);
	g_free(q->sla_next_reply);
	g_free(q->sla_warn);
	g_free(q->followup_after);
	g_free(q->autoclose_after);
	g_free(q->escalate_to);
	g_strfreev(q->report_to);
	g_free(q->report_every);
	g_free(q->language);
	g_free(q->mailbox);
	g_free(q);
}

static void config_channel_free(struct config_channel *ch)
{
	g_free(ch->name);
	g_free(ch->api_url);
	g_free(ch->token_file);
	g_free(ch->domain);
	g_free(ch->queue);
	g_free(ch->webhook_listen);
	g_free(ch->webhook_secret_file);
	g_free(ch->phone_number_id);
	g_free(ch->app_secret_file);
	g_free(ch->verify_token_file);
	g_free(ch->template_name);
	g_free(ch->template_language);
	g_free(ch);
}

/* hours, holidays and sla_first_reply, as the business-hours clock
   reads them: a queue whose promise cannot be computed never starts. */
static int check_hours(struct loader *l, const char *g,
		       const struct config_queue *q)
{
	struct hours *hours = NULL;
	char *error = NULL;
	int64_t deadline;
	int ret = 0;

	if (hours_parse(q->hours, q->timezone, NULL, &hours, &error) < 0)
		ret = fail(l, 0, g, "hours", "%s", error);
	else if (hours_deadline(hours, 0, q->sla_first_reply, &deadline,
				&error) < 0)
		ret = fail(l, 0, g, "sla_first_reply", "%s", error);
	else if (hours_deadline(hours, 0, q->sla_next_reply, &deadline,
				&error) < 0)
		ret = fail(l, 0, g, "sla_next_reply", "%s", error);
	else if (strcmp(q->followup_after, "off") != 0 &&
		 hours_deadline(hours, 0, q->followup_after, &deadline,
				&error) < 0)
		ret = fail(l, 0, g, "followup_after", "%s (or off)", error);
	else if (strcmp(q->autoclose_after, "off") != 0 &&
		 hours_deadline(hours, 0, q->autoclose_after, &deadline,
				&error) < 0)
		ret = fail(l, 0, g, "autoclose_after", "%s (or off)", error);
	else if (sla_warn_check(q->sla_warn, &error) < 0)
		ret = fail(l, 0, g, "sla_warn", "%s", error);
	hours_free(&hours);
	g_free(error);
	error = NULL;
	if (ret == 0 && hours_parse(q->hours, q->timezone, q->holidays,
				    &hours, &error) < 0)
		ret = fail(l, 0, g, "holidays", "%s", error);
	hours_free(&hours);
	g_free(error);
	return ret;
}

/* The queue that already has address (case-insensitively), among those
   loaded before q and q's own addresses before it, or NULL. */
static const struct config_queue *
address_owner(const struct config *c, const struct config_queue *q,
	      unsigned int index)
{
	const char *address = q->addresses[index];

	for (unsigned int i = 0; i < c->queues->len; i++) {
		const struct config_queue *other = c->queues->pdata[i];

		for (unsigned int j = 0; other->addresses[j] != NULL; j++) {
			if (other == q && j == index)
				return NULL;
			if (g_ascii_strcasecmp(other->addresses[j],
					       address) == 0)
				return other;
		}
	}
	return NULL;
}

/* address: the queue's address, then its aliases. */
static int load_addresses(struct loader *l, const char *g,
			  struct config_queue *q)
{
	struct config *c = l->config;
	const struct config_queue *owner;
	const char *at;

	if (get_address_list(l, g, "address", "the branded address, like "
			     "sales@shop.example", &q->addresses) < 0)
		return -1;
	for (unsigned int i = 0; q->addresses[i] != NULL; i++) {
		if (!valid_address(q->addresses[i]))
			return fail(l, 0, g, "address",
				    "not an address (local@domain): %s",
				    q->addresses[i]);
		owner = address_owner(c, q, i);
		if (owner == q)
			return fail(l, 0, g, "address", "%s is listed twice",
				    q->addresses[i]);
		if (owner != NULL)
			return fail(l, 0, g, "address",
				    "%s is already the address of "
				    "[queue %s]", q->addresses[i],
				    owner->name);
	}
	for (unsigned int i = 0; q->addresses[i] != NULL; i++)
		g_ptr_array_add(c->queue_addresses, q->addresses[i]);
	q->address = g_strdup(q->addresses[0]);
	at = strchr(q->address, '@');
	q->local_part = g_ascii_strdown(q->address, at - q->address);
	q->domain = g_ascii_strdown(at + 1, -1);
	return 0;
}

static int load_queue(struct loader *l, const char *g, const char *name)
{
	struct config *c = l->config;
	struct config_queue *q = g_new0(struct config_queue, 1);

	q->name = g_strdup(name);
	g_ptr_array_add(c->queues, q);
	if (load_addresses(l, g, q) < 0)
		return -1;
	if (get_nonempty(l, g, "name", &q->display_name) < 0 ||
	    get_nonempty(l, g, "timezone", &q->timezone) < 0)
		return -1;
	if (!valid_timezone(q->timezone))
		return fail(l, 0, g, "timezone", "unknown time zone: %s",
			    q->timezone);
	if (get_nonempty(l, g, "hours", &q->hours) < 0 ||
	    get_string(l, g, "holidays", &q->holidays) < 0 ||
	    get_nonempty(l, g, "sla_first_reply", &q->sla_first_reply) < 0 ||
	    get_nonempty(l, g, "sla_next_reply", &q->sla_next_reply) < 0 ||
	    get_nonempty(l, g, "sla_warn", &q->sla_warn) < 0 ||
	    get_nonempty(l, g, "followup_after", &q->followup_after) < 0 ||
	    get_nonempty(l, g, "autoclose_after", &q->autoclose_after) < 0 ||
	    get_string(l, g, "escalate_to", &q->escalate_to) < 0)
		return -1;
	if (check_hours(l, g, q) < 0)
		return -1;
	if (q->escalate_to != NULL && *q->escalate_to == '\0')
		g_clear_pointer(&q->escalate_to, g_free);
	if (q->escalate_to != NULL && !valid_address(q->escalate_to))
		return fail(l, 0, g, "escalate_to", "not an address: %s",
			    q->escalate_to);
	if (get_list(l, g, "report_to", &q->report_to) < 0 ||
	    get_nonempty(l, g, "report_every", &q->report_every) < 0)
		return -1;
	for (unsigned int i = 0; q->report_to[i] != NULL; i++) {
		if (!valid_address(q->report_to[i]))
			return fail(l, 0, g, "report_to", "not an address: "
				    "%s", q->report_to[i]);
	}
	{
		struct report_every every;
		char *why = NULL;

		if (report_every_parse(q->report_every, &every, &why) < 0) {
			fail(l, 0, g, "report_every", "%s", why);
			g_free(why);
			return -1;
		}
	}
	if (get_bool(l, g, "autoack", &q->autoack) < 0 ||
	    get_nonempty(l, g, "language", &q->language) < 0 ||
	    get_string(l, g, "mailbox", &q->mailbox) < 0)
		return -1;
	if (!valid_language(q->language))
		return fail(l, 0, g, "language",
			    "not a language code (2 or 3 lowercase "
			    "letters): %s", q->language);
	return 0;
}

/* The WhatsApp Cloud API's own keys: the number to send from, the
   webhook's two secrets, the template for a closed window. */
static int load_whatsapp(struct loader *l, const char *g,
			 struct config_channel *ch)
{
	if (get_required(l, g, "phone_number_id", "the Graph API id of the "
			 "business phone number", &ch->phone_number_id) < 0)
		return -1;
	if (strlen(ch->phone_number_id) > 32 ||
	    strspn(ch->phone_number_id, "0123456789") !=
	    strlen(ch->phone_number_id))
		return fail(l, 0, g, "phone_number_id", "not a Graph API id "
			    "(digits): %s", ch->phone_number_id);
	if (get_string(l, g, "app_secret_file", &ch->app_secret_file) < 0 ||
	    get_string(l, g, "verify_token_file", &ch->verify_token_file) < 0 ||
	    get_string(l, g, "template", &ch->template_name) < 0 ||
	    get_nonempty(l, g, "template_language",
			 &ch->template_language) < 0)
		return -1;
	if (*ch->webhook_listen != '\0' && *ch->app_secret_file == '\0')
		return fail(l, 0, g, "app_secret_file", "required with "
			    "webhook_listen: without it no post can be "
			    "told from a forgery");
	if (*ch->webhook_listen != '\0' && *ch->verify_token_file == '\0')
		return fail(l, 0, g, "verify_token_file", "required with "
			    "webhook_listen: Meta verifies the webhook with it");
	if (*ch->app_secret_file != '\0' &&
	    !g_path_is_absolute(ch->app_secret_file))
		return fail(l, 0, g, "app_secret_file", "not an absolute path");
	if (*ch->verify_token_file != '\0' &&
	    !g_path_is_absolute(ch->verify_token_file))
		return fail(l, 0, g, "verify_token_file",
			    "not an absolute path");
	/* Meta's template names: lowercase letters, digits, '_' */
	if (strlen(ch->template_name) > 512 ||
	    strspn(ch->template_name, "abcdefghijklmnopqrstuvwxyz0123456789_")
	    != strlen(ch->template_name))
		return fail(l, 0, g, "template", "not a template name "
			    "(lowercase letters, digits, '_'): %s",
			    ch->template_name);
	if (strlen(ch->template_language) > 16 ||
	    strspn(ch->template_language, "abcdefghijklmnopqrstuvwxyz"
		   "ABCDEFGHIJKLMNOPQRSTUVWXYZ_") !=
	    strlen(ch->template_language))
		return fail(l, 0, g, "template_language", "not a language "
			    "code (en, en_US): %s", ch->template_language);
	return 0;
}

static int load_channel(struct loader *l, const char *g, const char *name)
{
	struct config *c = l->config;
	struct config_channel *ch = g_new0(struct config_channel, 1);

	ch->name = g_strdup(name);
	g_ptr_array_add(c->channels, ch);
	if (get_nonempty(l, g, "api_url", &ch->api_url) < 0)
		return -1;
	if (!valid_http_url(ch->api_url))
		return fail(l, 0, g, "api_url", "not an http(s) URL: %s",
			    ch->api_url);
	if (get_required(l, g, "token_file", "the file holding the API "
			 "token", &ch->token_file) < 0)
		return -1;
	if (!g_path_is_absolute(ch->token_file))
		return fail(l, 0, g, "token_file", "not an absolute path");
	if (get_nonempty(l, g, "domain", &ch->domain) < 0)
		return -1;
	if (!valid_domain(ch->domain))
		return fail(l, 0, g, "domain", "not a domain name: %s",
			    ch->domain);
	lower_in_place(ch->domain);
	if (strcmp(ch->domain, c->domain) == 0)
		return fail(l, 0, g, "domain",
			    "%s is the shop's own domain: customers need a "
			    "domain of their own", ch->domain);
	for (unsigned int i = 0; i < c->queues->len; i++) {
		const struct config_queue *q = c->queues->pdata[i];

		for (unsigned int j = 0; q->addresses[j] != NULL; j++) {
			if (g_ascii_strcasecmp(strchr(q->addresses[j], '@') +
					       1, ch->domain) == 0)
				return fail(l, 0, g, "domain",
					    "%s is the domain of [queue %s]: "
					    "customers need a domain of their "
					    "own", ch->domain, q->name);
		}
	}
	for (unsigned int i = 0; i + 1 < c->channels->len; i++) {
		const struct config_channel *other = c->channels->pdata[i];

		if (strcmp(other->domain, ch->domain) == 0)
			return fail(l, 0, g, "domain",
				    "%s is already the domain of "
				    "[channel %s]", ch->domain, other->name);
	}
	if (get_required(l, g, "queue", "the [queue NAME] that receives its "
			 "messages", &ch->queue) < 0)
		return -1;
	if (config_queue_by_name(c, ch->queue) == NULL)
		return fail(l, 0, g, "queue", "there is no [queue %s]",
			    ch->queue);
	/* Telegram bots may send files up to 50 MB; items carry them in
	   base64, a third more */
	if (get_size(l, g, "attachment_max", &ch->attachment_max) < 0 ||
	    get_duration(l, g, "poll_timeout", &ch->poll_timeout) < 0)
		return -1;
	if (ch->attachment_max > 50 * 1024 * 1024)
		return fail(l, 0, g, "attachment_max", "at most 50M");
	if (ch->poll_timeout < 1 || ch->poll_timeout > 600)
		return fail(l, 0, g, "poll_timeout", "from 1s to 10m");
	if (get_string(l, g, "webhook_listen", &ch->webhook_listen) < 0 ||
	    get_string(l, g, "webhook_secret_file",
		       &ch->webhook_secret_file) < 0)
		return -1;
	if (*ch->webhook_listen != '\0') {
		GSocketConnectable *na = g_network_address_parse(
			ch->webhook_listen, 0, NULL);
		GInetAddress *ip = na != NULL ? g_inet_address_new_from_string(
			g_network_address_get_hostname(
				G_NETWORK_ADDRESS(na))) : NULL;
		bool ok = ip != NULL &&
			g_network_address_get_port(G_NETWORK_ADDRESS(na)) != 0;

		if (ip != NULL)
			g_object_unref(ip);
		if (na != NULL)
			g_object_unref(na);
		if (!ok)
			return fail(l, 0, g, "webhook_listen", "not ADDRESS:PORT "
				    "(127.0.0.1:8443, [::1]:8443): %s",
				    ch->webhook_listen);
		if (strcmp(name, "telegram") == 0 &&
		    *ch->webhook_secret_file == '\0')
			return fail(l, 0, g, "webhook_secret_file",
				    "required with webhook_listen: a webhook "
				    "without a secret would take anyone's "
				    "updates");
	}
	if (*ch->webhook_secret_file != '\0' &&
	    !g_path_is_absolute(ch->webhook_secret_file))
		return fail(l, 0, g, "webhook_secret_file",
			    "not an absolute path");
	if (strcmp(name, "whatsapp") == 0)
		return load_whatsapp(l, g, ch);
	return 0;
}

static int load_groups(struct loader *l)
{
	gsize n_groups;
	char **groups = g_key_file_get_groups(l->keyfile, &n_groups);
	enum config_group group;
	const char *name;
	int ret = 0;

	/* The bounds and default_language feed the queues' defaults, and
	   channels name queues: [shopdesk] first, channels last. */
	if (load_shopdesk(l) < 0) {
		g_strfreev(groups);
		return -1;
	}
	for (gsize i = 0; i < n_groups && ret == 0; i++) {
		if (classify_group(groups[i], &group, &name) &&
		    group == CONFIG_GROUP_QUEUE)
			ret = load_queue(l, groups[i], name);
	}
	for (gsize i = 0; i < n_groups && ret == 0; i++) {
		if (classify_group(groups[i], &group, &name) &&
		    group == CONFIG_GROUP_CHANNEL)
			ret = load_channel(l, groups[i], name);
	}
	g_strfreev(groups);
	g_ptr_array_add(l->config->queue_addresses, NULL);
	if (ret == 0 && l->config->queues->len == 0)
		ret = fail(l, 0, NULL, NULL,
			   "no [queue NAME] group: at least one branded "
			   "address is needed");
	return ret;
}

static void clear_location(void *data)
{
	struct location *loc = data;

	g_free(loc->group);
	g_free(loc->key);
}

int config_load(const char *path, struct config **config_r, char **error_r)
{
	struct loader l = { .path = path };
	GError *error = NULL;
	char *text;
	size_t size;
	int ret = -1;

	*config_r = NULL;
	*error_r = NULL;
	if (!g_file_get_contents(path, &text, &size, &error)) {
		*error_r = g_strdup(error->message);
		g_error_free(error);
		return -1;
	}
	l.locations = g_array_new(FALSE, FALSE, sizeof(struct location));
	g_array_set_clear_func(l.locations, clear_location);
	scan_lines(&l, text, size);
	l.keyfile = g_key_file_new();
	l.config = g_new0(struct config, 1);
	g_atomic_ref_count_init(&l.config->refs);
	l.config->path = g_strdup(path);
	l.config->queues =
		g_ptr_array_new_with_free_func((GDestroyNotify)
					       config_queue_free);
	l.config->channels =
		g_ptr_array_new_with_free_func((GDestroyNotify)
					       config_channel_free);
	l.config->queue_addresses = g_ptr_array_new();
	if (!g_key_file_load_from_data(l.keyfile, text, size,
				       G_KEY_FILE_NONE, &error)) {
		fail(&l, l.bad_line, NULL, NULL, "%s", error->message);
		g_error_free(error);
	} else if (check_structure(&l) == 0 && load_groups(&l) == 0) {
		ret = 0;
	}
	g_key_file_free(l.keyfile);
	g_array_free(l.locations, TRUE);
	g_free(text);
	if (ret < 0) {
		config_free(&l.config);
		*error_r = l.error;
		return -1;
	}
	*config_r = l.config;
	return 0;
}

struct config *config_ref(struct config *config)
{
	g_atomic_ref_count_inc(&config->refs);
	return config;
}

void config_free(struct config **_config)
{
	struct config *c = *_config;

	if (c == NULL)
		return;
	*_config = NULL;
	if (!g_atomic_ref_count_dec(&c->refs))
		return;
	g_free(c->path);
	g_free(c->domain);
	g_free(c->state_dir);
	g_free(c->spool_dir);
	g_free(c->milter_socket);
	g_free(c->milter_socket_group);
	g_free(c->user);
	g_free(c->control_socket);
	g_free(c->templates_dir);
	g_free(c->sendmail);
	g_free(c->doveadm_socket);
	g_free(c->keywords);
	g_strfreev(c->keyword_names);
	g_free(c->keyword_status);
	for (unsigned int i = 0; i < G_N_ELEMENTS(c->status_keyword); i++)
		g_free(c->status_keyword[i]);
	g_free(c->ticket_tag);
	g_strfreev(c->agents);
	g_strfreev(c->trusted_networks);
	g_strfreev(c->trusted_authserv_ids);
	g_free(c->default_language);
	g_free(c->recipient_delimiter);
	g_ptr_array_unref(c->queues);
	g_ptr_array_unref(c->channels);
	g_ptr_array_unref(c->queue_addresses);
	g_free(c);
}

/* Writes value so that GKeyFile reads it back unchanged; in a list, ';'
   inside an item is escaped too. */
static void append_escaped(GString *out, const char *value, bool list_item)
{
	for (const char *p = value; *p != '\0'; p++) {
		if (*p == '\\' || (list_item && *p == ';'))
			g_string_append_c(out, '\\');
		g_string_append_c(out, *p);
	}
}

static void append_duration(GString *out, int64_t seconds)
{
	static const struct {
		int64_t seconds;
		char unit;
	} units[] = { { 86400, 'd' }, { 3600, 'h' }, { 60, 'm' } };
	char unit = 's';
	int64_t n = seconds;

	for (unsigned int i = 0; i < G_N_ELEMENTS(units) && seconds > 0;
	     i++) {
		if (seconds % units[i].seconds == 0) {
			n = seconds / units[i].seconds;
			unit = units[i].unit;
			break;
		}
	}
	g_string_append_printf(out, "%" G_GINT64_FORMAT "%c", n, unit);
}

static void append_size(GString *out, size_t bytes)
{
	static const struct {
		size_t bytes;
		const char *unit;
	} units[] = {
		{ 1024 * 1024 * 1024, "G" }, { 1024 * 1024, "M" },
		{ 1024, "k" },
	};

	for (unsigned int i = 0; i < G_N_ELEMENTS(units); i++) {
		if (bytes % units[i].bytes == 0) {
			g_string_append_printf(out, "%zu%s",
					       bytes / units[i].bytes,
					       units[i].unit);
			return;
		}
	}
	g_string_append_printf(out, "%zu", bytes);
}

/* The value of key in its group's struct at base, as the file says it
   (escaped), newly allocated. */
static char *format_field(const struct config_key *key, const void *base)
{
	const char *field = (const char *)base + key->offset;
	GString *out = g_string_new(NULL);
	const char *text;
	char *const *list;

	switch (key->kind) {
	case CONFIG_KIND_TEXT:
		text = *(char *const *)field;
		if (text != NULL)
			append_escaped(out, text, false);
		break;
	case CONFIG_KIND_LIST:
		list = *(char **const *)field;
		for (unsigned int i = 0; list[i] != NULL; i++) {
			if (i > 0)
				g_string_append_c(out, ';');
			append_escaped(out, list[i], true);
		}
		break;
	case CONFIG_KIND_BOOL:
		g_string_append(out, *(const bool *)field ? "true" : "false");
		break;
	case CONFIG_KIND_DURATION:
		append_duration(out, *(const int64_t *)field);
		break;
	case CONFIG_KIND_SIZE:
		append_size(out, *(const size_t *)field);
		break;
	case CONFIG_KIND_NUMBER:
		g_string_append_printf(out, "%u", *(const unsigned int *)field);
		break;
	case CONFIG_KIND_MODE:
		g_string_append_printf(out, "%04o",
				       *(const unsigned int *)field);
		break;
	case CONFIG_KIND_CHOICE:
		g_string_append(out, key->choices[*(const int *)field]);
		break;
	}
	return g_string_free(out, FALSE);
}

/* The default of key, written as format_field() writes values, so that
   the two compare; NULL for a key without one. */
static char *format_default(const struct config *c,
			    const struct config_key *key, const char *name,
			    bool defaults)
{
	char *def = key_default(c, key, name, defaults);
	GString *out;
	int64_t seconds;
	size_t bytes;

	if (def == NULL)
		return NULL;
	out = g_string_new(NULL);
	switch (key->kind) {
	case CONFIG_KIND_DURATION:
		if (config_parse_duration(def, &seconds) < 0)
			g_error("config_keys: %s: bad default", key->name);
		append_duration(out, seconds);
		break;
	case CONFIG_KIND_SIZE:
		if (config_parse_size(def, &bytes) < 0)
			g_error("config_keys: %s: bad default", key->name);
		append_size(out, bytes);
		break;
	case CONFIG_KIND_LIST:
		/* already in the file's syntax */
		g_string_append(out, def);
		break;
	default:
		append_escaped(out, def, false);
		break;
	}
	g_free(def);
	return g_string_free(out, FALSE);
}

/* The keys of one group, whose struct is at base, name its NAME. */
static void print_group(const struct config *c, enum config_print_what what,
			enum config_group group, const char *name,
			const void *base, GString *out)
{
	for (unsigned int i = 0; i < config_keys_count; i++) {
		const struct config_key *key = &config_keys[i];
		char *value, *def = NULL;
		const char *shown;

		if (key->group != group ||
		    (key->only != NULL && strcmp(key->only, name) != 0))
			continue;
		value = format_field(key, base);
		if (what != CONFIG_PRINT_ALL)
			def = format_default(c, key, name,
					     what == CONFIG_PRINT_DEFAULTS);
		shown = what == CONFIG_PRINT_DEFAULTS && def != NULL ?
			def : value;
		if (what != CONFIG_PRINT_CHANGED || def == NULL ||
		    strcmp(value, def) != 0)
			g_string_append_printf(out, "%s =%s%s\n", key->name,
					       *shown != '\0' ? " " : "",
					       shown);
		g_free(value);
		g_free(def);
	}
}

void config_print_shopdesk(const struct config *c, GString *out)
{
	g_string_append(out, "[shopdesk]\n");
	print_group(c, CONFIG_PRINT_ALL, CONFIG_GROUP_SHOPDESK, NULL, c, out);
}

void config_print_queue(const struct config_queue *q, GString *out)
{
	g_string_append_printf(out, "[queue %s]\n", q->name);
	print_group(NULL, CONFIG_PRINT_ALL, CONFIG_GROUP_QUEUE, q->name, q,
		    out);
}

void config_print_channel(const struct config_channel *ch, GString *out)
{
	g_string_append_printf(out, "[channel %s]\n", ch->name);
	print_group(NULL, CONFIG_PRINT_ALL, CONFIG_GROUP_CHANNEL, ch->name,
		    ch, out);
}

void config_print(const struct config *c, enum config_print_what what,
		  GString *out)
{
	g_string_append(out, "[shopdesk]\n");
	print_group(c, what, CONFIG_GROUP_SHOPDESK, NULL, c, out);
	for (unsigned int i = 0; i < c->queues->len; i++) {
		const struct config_queue *q = c->queues->pdata[i];

		g_string_append_printf(out, "\n[queue %s]\n", q->name);
		print_group(c, what, CONFIG_GROUP_QUEUE, q->name, q, out);
	}
	for (unsigned int i = 0; i < c->channels->len; i++) {
		const struct config_channel *ch = c->channels->pdata[i];

		g_string_append_printf(out, "\n[channel %s]\n", ch->name);
		print_group(c, what, CONFIG_GROUP_CHANNEL, ch->name, ch, out);
	}
}

/* The settings config_keep_running() may keep, by key: a string, or
   milter_socket_mode. */
static const struct {
	const char *key;
	size_t offset;
	bool is_string;
} running_keys[] = {
	{ "state_dir", G_STRUCT_OFFSET(struct config, state_dir), true },
	{ "spool_dir", G_STRUCT_OFFSET(struct config, spool_dir), true },
	{ "milter_socket", G_STRUCT_OFFSET(struct config, milter_socket),
	  true },
	{ "milter_socket_mode",
	  G_STRUCT_OFFSET(struct config, milter_socket_mode), false },
	{ "milter_socket_group",
	  G_STRUCT_OFFSET(struct config, milter_socket_group), true },
	{ "user", G_STRUCT_OFFSET(struct config, user), true },
	{ "control_socket", G_STRUCT_OFFSET(struct config, control_socket),
	  true },
};

/* Makes next's value of running_keys[i] running's again; returns
   whether they differed. */
static bool keep_running_key(struct config *next,
			     const struct config *running, unsigned int i)
{
	size_t offset = running_keys[i].offset;

	if (running_keys[i].is_string) {
		char **to = G_STRUCT_MEMBER_P(next, offset);
		const char *from = G_STRUCT_MEMBER(const char *, running,
						   offset);

		if (strcmp(*to, from) == 0)
			return false;
		g_free(*to);
		*to = g_strdup(from);
	} else {
		unsigned int *to = G_STRUCT_MEMBER_P(next, offset);
		unsigned int from = G_STRUCT_MEMBER(unsigned int, running,
						    offset);

		if (*to == from)
			return false;
		*to = from;
	}
	return true;
}

char *config_keep_running(struct config *next, const struct config *running,
			  const char *const *keys)
{
	GString *changed = g_string_new(NULL);

	for (unsigned int k = 0; keys[k] != NULL; k++) {
		unsigned int i = 0;

		while (strcmp(running_keys[i].key, keys[k]) != 0) {
			i++;
			g_assert(i < G_N_ELEMENTS(running_keys));
		}
		if (keep_running_key(next, running, i))
			g_string_append_printf(changed, "%s%s",
					       changed->len > 0 ? ", " : "",
					       keys[k]);
	}
	if (changed->len == 0) {
		g_string_free(changed, TRUE);
		return NULL;
	}
	return g_string_free(changed, FALSE);
}

/* The length of address's local part when the recipient (local part
   start, local_len bytes, at domain) is address, or address followed by
   a delimiter and an extension; 0 when it is neither. */
static size_t match_address(const struct config *config, const char *address,
			    const char *start, size_t local_len,
			    const char *domain, size_t domain_len)
{
	const char *at = strchr(address, '@');
	size_t len = at - address;

	if (strlen(at + 1) != domain_len ||
	    g_ascii_strncasecmp(at + 1, domain, domain_len) != 0 ||
	    len > local_len ||
	    g_ascii_strncasecmp(address, start, len) != 0)
		return 0;
	if (len == local_len ||
	    strchr(config->recipient_delimiter, start[len]) != NULL)
		return len;
	return 0;
}

bool config_shop_address(const struct config *config, const char *address)
{
	const char *at = strrchr(address, '@');

	return at != NULL &&
		(g_ascii_strcasecmp(at + 1, config->domain) == 0 ||
		 config_find_queue(config, address, NULL, NULL) != NULL);
}

const struct config_queue *
config_find_queue(const struct config *config, const char *address,
		  const char **extension_r, size_t *extension_len_r)
{
	const struct config_queue *best = NULL;
	const char *start = address, *at, *end;
	size_t len = strlen(address), local_len, best_len = 0;

	if (extension_r != NULL)
		*extension_r = NULL;
	if (extension_len_r != NULL)
		*extension_len_r = 0;
	if (len >= 2 && address[0] == '<' && address[len - 1] == '>') {
		start++;
		len -= 2;
	}
	end = start + len;
	at = NULL;
	for (const char *p = start; p < end; p++) {
		if (*p == '@')
			at = p;
	}
	if (at == NULL)
		return NULL;
	local_len = at - start;
	for (unsigned int i = 0; i < config->queues->len; i++) {
		const struct config_queue *q = config->queues->pdata[i];

		for (unsigned int j = 0; q->addresses[j] != NULL; j++) {
			size_t qlen = match_address(config, q->addresses[j],
						    start, local_len, at + 1,
						    end - at - 1);

			if (qlen == 0)
				continue;
			if (qlen == local_len)
				return q;
			/* sales+ext: the longest local part that is
			   followed by a delimiter wins ("sales-team" over
			   "sales"). */
			if (qlen > best_len) {
				best = q;
				best_len = qlen;
			}
		}
	}
	if (best != NULL) {
		if (extension_r != NULL)
			*extension_r = start + best_len + 1;
		if (extension_len_r != NULL)
			*extension_len_r = local_len - best_len - 1;
	}
	return best;
}

const char *const *config_queue_addresses(const struct config *config)
{
	return (const char *const *)config->queue_addresses->pdata;
}

const struct config_queue *
config_queue_by_name(const struct config *config, const char *name)
{
	for (unsigned int i = 0; i < config->queues->len; i++) {
		const struct config_queue *q = config->queues->pdata[i];

		if (strcmp(q->name, name) == 0)
			return q;
	}
	return NULL;
}

const struct config_channel *
config_channel_by_domain(const struct config *config, const char *domain)
{
	for (unsigned int i = 0; i < config->channels->len; i++) {
		const struct config_channel *ch = config->channels->pdata[i];

		if (g_ascii_strcasecmp(ch->domain, domain) == 0)
			return ch;
	}
	return NULL;
}

/* Digits, then at most one unit letter from units (multipliers in
   factors).  Refuses signs, spaces and overflow. */
static int parse_number_unit(const char *value, const char *units,
			     const guint64 *factors, guint64 max,
			     guint64 *result_r)
{
	guint64 n = 0, factor = 1;
	const char *p = value, *unit;

	if (!g_ascii_isdigit(*p))
		return -1;
	for (; g_ascii_isdigit(*p); p++) {
		if (n > (G_MAXUINT64 - 9) / 10)
			return -1;
		n = n * 10 + (*p - '0');
	}
	if (*p != '\0') {
		unit = strchr(units, *p);
		if (unit == NULL || p[1] != '\0')
			return -1;
		factor = factors[unit - units];
	}
	if (n > max / factor)
		return -1;
	*result_r = n * factor;
	return 0;
}

int config_parse_duration(const char *value, int64_t *seconds_r)
{
	static const guint64 factors[] = { 1, 60, 3600, 86400 };
	guint64 n;

	if (parse_number_unit(value, "smhd", factors, G_MAXINT64, &n) < 0)
		return -1;
	*seconds_r = n;
	return 0;
}

int config_parse_size(const char *value, size_t *bytes_r)
{
	static const guint64 factors[] = {
		1024, 1024, 1024 * 1024, 1024 * 1024, 1024 * 1024 * 1024,
		1024 * 1024 * 1024,
	};
	guint64 n;

	if (parse_number_unit(value, "kKmMgG", factors, SIZE_MAX, &n) < 0)
		return -1;
	*bytes_r = n;
	return 0;
}
