/* shopdeskctl.c: the admin's command line.  `config` checks and prints
   the configuration (-d its defaults, -n what differs from them);
   `tickets` and `show` ask shopdesk-milter over the control socket and
   print its JSON reply as a table, as key: value lines, or (--json) as
   it came, pretty-printed.

   It reads tickets only through the milter, which owns the store; only
   `db` opens the store itself, and only while the milter is stopped
   (the store's lock keeps them apart): a backup or a check of a running
   store is the milter's own hot backup.  Text from mail (subjects, names)
   is printed with control characters replaced, so a crafted subject
   cannot drive the admin's terminal.

   Exit status: 0 success, 1 error (bad configuration, daemon not
   running, no such ticket), 2 usage error. */

#include "ack.h"
#include "category.h"
#include "config.h"
#include "jsonget.h"
#include "control.h"
#include "daemon.h"
#include "hours.h"
#include "log.h"
#include "outbox.h"
#include "rebuild.h"
#include "report.h"
#include "report-format.h"
#include "spool.h"
#include "store.h"
#include "ticket.h"
#include "token.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <gmime/gmime.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TABLE_WIDTH 80
#define FROM_WIDTH_MIN 12
#define SUBJECT_WIDTH_MIN 20
#define TIME_FORMAT "%Y-%m-%d %H:%M"
#define TIME_WIDTH 16

static const char usage_text[] =
	"usage: shopdeskctl [-c FILE] COMMAND [ARGS]\n"
	"\n"
	"  config [-d | -n]             check and print the configuration,\n"
	"                               defaults included; -d: every key's\n"
	"                               default, -n: only the keys that\n"
	"                               differ from their default\n"
	"  tickets [--status S] [--queue Q] [--json]\n"
	"                               list tickets\n"
	"  show ID [--json]             one ticket with its messages and "
	"history\n"
	"  timers [--json]              what is due, when and why\n"
	"  sla QUEUE TIME               the reply-by deadline for a message\n"
	"                               received at TIME (ISO 8601; without\n"
	"                               an offset, in the queue's time zone)\n"
	"  template render NAME --lang L [--data FILE.json]\n"
	"                               preview templates/L/NAME, with sample\n"
	"                               data or the JSON given\n"
	"  outbox [list] [--json]       items waiting, deferred (with their\n"
	"                               next try), in progress and dead\n"
	"  outbox retry KEY             a dead or deferred item, again now\n"
	"  outbox drop KEY              give an item up for good\n"
	"  report [--from DATE] [--to DATE] [--queue Q] [--by queue|agent|\n"
	"         channel|category|language|day|week]\n"
	"         [--format text|csv|json|html]\n"
	"         [--output FILE]\n"
	"                               the manager's figures of a period\n"
	"                               (doc/reports.md)\n"
	"  db backup DIR                a consistent copy of the store, hot\n"
	"                               while shopdesk-milter runs\n"
	"  db verify [DIR]              check every database of the store\n"
	"                               (or of a backup in DIR)\n"
	"  db recover [--from DIR]      catastrophic recovery, the milter\n"
	"                               stopped; from a backup and the\n"
	"                               store's own newer logs\n"
	"  rebuild --from-mailbox [--keep-store] [--trust-stamps]\n"
	"          [[QUEUE=]MAILDIR ...]\n"
	"                               make the store again from the queue\n"
	"                               mailboxes (through doveadm, or the\n"
	"                               Maildirs given), the milter stopped;\n"
	"                               --keep-store: add what the store\n"
	"                               lacks to it (a restored backup);\n"
	"                               --trust-stamps: stamps without the\n"
	"                               seal count too\n"
	"\n"
	"FILE defaults to " CONFIG_DEFAULT_PATH ".\n";

static void G_GNUC_NORETURN G_GNUC_PRINTF(1, 2)
usage_error(const char *fmt, ...)
{
	va_list args;

	fputs("shopdeskctl: ", stderr);
	va_start(args, fmt);
	vfprintf(stderr, fmt, args);
	va_end(args);
	fputs("\n", stderr);
	fputs(usage_text, stderr);
	exit(2);
}

static void G_GNUC_NORETURN G_GNUC_PRINTF(1, 2) die(const char *fmt, ...)
{
	va_list args;

	fputs("shopdeskctl: ", stderr);
	va_start(args, fmt);
	vfprintf(stderr, fmt, args);
	va_end(args);
	fputs("\n", stderr);
	exit(1);
}

static struct config *load_config(const char *path)
{
	struct config *config;
	char *error;

	if (config_load(path, &config, &error) < 0)
		die("%s", error);
	return config;
}

/* --name VALUE or --name=VALUE at argv[*i]: returns VALUE and moves *i
   past it, or NULL when argv[*i] is another argument. */
static const char *option_value(int argc, char **argv, int *i,
				const char *name)
{
	size_t len = strlen(name);
	const char *arg = argv[*i];

	if (strncmp(arg, name, len) != 0)
		return NULL;
	if (arg[len] == '=')
		return arg + len + 1;
	if (arg[len] != '\0')
		return NULL;
	if (*i + 1 >= argc)
		usage_error("%s needs a value", name);
	return argv[++*i];
}

/* A filter value goes into a space-separated request line. */
static void check_word(const char *option, const char *value)
{
	if (*value == '\0' || strpbrk(value, " \t\r\n") != NULL)
		usage_error("%s takes one word: '%s'", option, value);
}

static JsonNode *ask(const struct config *config, const char *request)
{
	JsonNode *reply;
	char *error;

	if (control_request(config->control_socket, request, &reply,
			    &error) < 0)
		die("%s", error);
	return reply;
}

static void print_json(JsonNode *node)
{
	JsonGenerator *gen = json_generator_new();
	char *text;

	json_generator_set_pretty(gen, TRUE);
	json_generator_set_indent(gen, 2);
	json_generator_set_root(gen, node);
	text = json_generator_to_data(gen, NULL);
	puts(text);
	g_free(text);
	g_object_unref(gen);
}

/* Mends invalid UTF-8 and replaces C0, DEL and C1 control characters by
   '?': the text came from strangers' mail. */
static char *terminal_safe(const char *text)
{
	char *valid = g_utf8_make_valid(text, -1);
	GString *out = g_string_sized_new(strlen(valid));

	for (const char *p = valid; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (c < 0x20 || (c >= 0x7f && c < 0xa0))
			g_string_append_c(out, '?');
		else
			g_string_append_unichar(out, c);
	}
	g_free(valid);
	return g_string_free(out, FALSE);
}

static int char_width(gunichar c)
{
	if (g_unichar_iszerowidth(c))
		return 0;
	return g_unichar_iswide(c) ? 2 : 1;
}

static int display_width(const char *text)
{
	int width = 0;

	for (const char *p = text; *p != '\0'; p = g_utf8_next_char(p))
		width += char_width(g_utf8_get_char(p));
	return width;
}

/* Appends text cut to width columns ("…" marks a cut) and, with pad,
   spaces up to width. */
static void append_cell(GString *out, const char *text, int width, bool pad)
{
	char *safe = terminal_safe(text);
	int used = 0;

	if (display_width(safe) <= width) {
		g_string_append(out, safe);
		used = display_width(safe);
	} else {
		for (const char *p = safe; *p != '\0';
		     p = g_utf8_next_char(p)) {
			gunichar c = g_utf8_get_char(p);

			if (used + char_width(c) > width - 1)
				break;
			g_string_append_unichar(out, c);
			used += char_width(c);
		}
		g_string_append(out, "…");
		used++;
	}
	for (; pad && used < width; used++)
		g_string_append_c(out, ' ');
	g_free(safe);
}

/* A member as text: strings as they are, numbers and booleans written
   out, null or absent as "-", arrays and objects as compact JSON. */
static char *member_text(JsonObject *obj, const char *name)
{
	JsonNode *node = json_object_get_member(obj, name);

	if (node == NULL || JSON_NODE_HOLDS_NULL(node))
		return g_strdup("-");
	if (!JSON_NODE_HOLDS_VALUE(node))
		return json_to_string(node, FALSE);
	switch (json_node_get_value_type(node)) {
	case G_TYPE_STRING:
		return g_strdup(json_node_get_string(node));
	case G_TYPE_INT64:
		return g_strdup_printf("%" G_GINT64_FORMAT,
				       json_node_get_int(node));
	case G_TYPE_BOOLEAN:
		return g_strdup(json_node_get_boolean(node) ? "true" : "false");
	default:
		return json_to_string(node, FALSE);
	}
}

/* An ISO 8601 member in local time, "-" when null, or as sent when it
   is not a time. */
static char *member_time(JsonObject *obj, const char *name)
{
	char *text = member_text(obj, name);
	GDateTime *dt, *local;
	char *formatted;

	dt = g_date_time_new_from_iso8601(text, NULL);
	if (dt == NULL)
		return text;
	local = g_date_time_to_local(dt);
	formatted = g_date_time_format(local, TIME_FORMAT);
	g_date_time_unref(local);
	g_date_time_unref(dt);
	g_free(text);
	return formatted;
}

/* The customer's address, or name when there is none. */
static char *customer_from(JsonObject *ticket)
{
	JsonObject *customer = jsonget_object(ticket, "customer");
	char *text;

	if (customer == NULL)
		return g_strdup("-");
	text = member_text(customer, "address");
	if (*text == '\0' || strcmp(text, "-") == 0) {
		g_free(text);
		text = member_text(customer, "name");
	}
	if (*text == '\0') {
		g_free(text);
		text = g_strdup("-");
	}
	return text;
}

enum column { COL_ID, COL_STATUS, COL_QUEUE, COL_CREATED, COL_FROM,
	      COL_SUBJECT, COL_COUNT };

static void print_table(JsonArray *tickets)
{
	static const char *const headers[COL_COUNT] = {
		"ID", "STATUS", "QUEUE", "CREATED", "FROM", "SUBJECT",
	};
	unsigned int n = json_array_get_length(tickets);
	char **cells = g_new0(char *, (n + 1) * COL_COUNT + 1);
	int width[COL_COUNT] = { 0 };
	GString *line = g_string_new(NULL);
	int used;

	for (int col = 0; col < COL_COUNT; col++)
		cells[col] = g_strdup(headers[col]);
	for (unsigned int row = 1; row <= n; row++) {
		JsonNode *node = json_array_get_element(tickets, row - 1);
		JsonObject *t;
		char **cell = cells + row * COL_COUNT;

		if (!JSON_NODE_HOLDS_OBJECT(node))
			die("unexpected reply: a ticket is not an object");
		t = json_node_get_object(node);
		cell[COL_ID] = member_text(t, "id");
		cell[COL_STATUS] = member_text(t, "status");
		cell[COL_QUEUE] = member_text(t, "queue");
		cell[COL_CREATED] = member_time(t, "created");
		cell[COL_FROM] = customer_from(t);
		cell[COL_SUBJECT] = member_text(t, "subject");
	}
	for (unsigned int row = 0; row <= n; row++) {
		for (int col = 0; col < COL_SUBJECT; col++) {
			char *safe = terminal_safe(cells[row * COL_COUNT +
							 col]);

			width[col] = MAX(width[col], display_width(safe));
			g_free(safe);
		}
	}
	/* FROM yields to SUBJECT down to FROM_WIDTH_MIN. */
	used = 0;
	for (int col = 0; col < COL_FROM; col++)
		used += width[col] + 2;
	width[COL_FROM] = MIN(width[COL_FROM],
			      MAX(TABLE_WIDTH - used - 2 - SUBJECT_WIDTH_MIN,
				  FROM_WIDTH_MIN));
	used += width[COL_FROM] + 2;
	width[COL_SUBJECT] = MAX(TABLE_WIDTH - used, SUBJECT_WIDTH_MIN);

	for (unsigned int row = 0; row <= n; row++) {
		char **cell = cells + row * COL_COUNT;
		int id_width = display_width(cell[COL_ID]);

		g_string_truncate(line, 0);
		/* Ids are numbers: right-aligned. */
		for (int i = id_width; i < width[COL_ID]; i++)
			g_string_append_c(line, ' ');
		append_cell(line, cell[COL_ID], width[COL_ID], false);
		for (int col = COL_STATUS; col < COL_COUNT; col++) {
			g_string_append(line, "  ");
			append_cell(line, cell[col], width[col],
				    col != COL_SUBJECT);
		}
		puts(line->str);
	}
	g_string_free(line, TRUE);
	g_strfreev(cells);
}

/* The templates the milter will load, and a language for every queue. */
static void check_templates(const struct config *config)
{
	struct ack_templates *templates;
	struct category_rules *rules;
	char *error = NULL;

	if (ack_templates_load(config->templates_dir, &templates, &error) < 0 ||
	    category_load(config->templates_dir, &rules, &error) < 0)
		die("%s", error);
	for (unsigned int i = 0; i < config->queues->len; i++) {
		const struct config_queue *q = config->queues->pdata[i];
		char *path = g_build_filename(config->templates_dir,
					      q->language, "ack.txt", NULL);

		if (!g_file_test(path, G_FILE_TEST_EXISTS))
			die("[queue %s] language: no template %s", q->name,
			    path);
		g_free(path);
	}
	category_free(&rules);
	ack_templates_free(&templates);
}

/* -d and -n as postconf has them: a key without a default (domain, a
   queue's address) shows its value in both, so that each output is a
   configuration that loads. */
static int cmd_config(const char *config_path, int argc, char **argv)
{
	enum config_print_what what = CONFIG_PRINT_ALL;
	struct config *config;
	GString *out;

	if (argc == 1 && strcmp(argv[0], "-d") == 0)
		what = CONFIG_PRINT_DEFAULTS;
	else if (argc == 1 && strcmp(argv[0], "-n") == 0)
		what = CONFIG_PRINT_CHANGED;
	else if (argc > 0)
		usage_error("config takes -d or -n, not %s", argv[argc - 1]);
	config = load_config(config_path);
	check_templates(config);
	out = g_string_new(NULL);
	config_print(config, what, out);
	fputs(out->str, stdout);
	g_string_free(out, TRUE);
	config_free(&config);
	return 0;
}

static int cmd_tickets(const char *config_path, int argc, char **argv)
{
	const char *status = NULL, *queue = NULL, *value;
	struct config *config;
	GString *request;
	JsonNode *reply;
	JsonArray *tickets;
	bool json = false;

	for (int i = 0; i < argc; i++) {
		if ((value = option_value(argc, argv, &i, "--status")) !=
		    NULL) {
			check_word("--status", value);
			status = value;
		} else if ((value = option_value(argc, argv, &i,
						 "--queue")) != NULL) {
			check_word("--queue", value);
			queue = value;
		} else if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else {
			usage_error("tickets: unknown argument %s", argv[i]);
		}
	}
	config = load_config(config_path);
	request = g_string_new("tickets");
	if (status != NULL)
		g_string_append_printf(request, " status=%s", status);
	if (queue != NULL)
		g_string_append_printf(request, " queue=%s", queue);
	reply = ask(config, request->str);
	g_string_free(request, TRUE);

	if (!JSON_NODE_HOLDS_OBJECT(reply) ||
	    (tickets = jsonget_array(json_node_get_object(reply),
				    "tickets")) == NULL)
		die("%s: unexpected reply: no ticket list",
		    config->control_socket);
	if (json)
		print_json(reply);
	else
		print_table(tickets);
	json_node_unref(reply);
	config_free(&config);
	return 0;
}

/* One "key: value" line, the value made safe for the terminal. */
static void print_pair(const char *key, const char *value)
{
	char *safe = terminal_safe(value);

	printf("%s: %s\n", key, safe);
	g_free(safe);
}

static void print_field(JsonObject *obj, const char *name)
{
	char *text = member_text(obj, name);

	print_pair(name, text);
	g_free(text);
}

static void print_time_field(JsonObject *obj, const char *name)
{
	char *text = member_time(obj, name);

	print_pair(name, text);
	g_free(text);
}

static void print_customer(JsonObject *ticket)
{
	JsonObject *customer = jsonget_object(ticket, "customer");
	char *name, *address, *text;

	if (customer == NULL) {
		print_pair("customer", "-");
		return;
	}
	name = member_text(customer, "name");
	address = member_text(customer, "address");
	if (*name == '\0' || strcmp(name, "-") == 0)
		text = g_strdup(address);
	else
		text = g_strdup_printf("%s <%s>", name, address);
	print_pair("customer", text);
	print_field(customer, "language");
	g_free(text);
	g_free(name);
	g_free(address);
}

static void print_participants(JsonObject *ticket)
{
	JsonArray *list = jsonget_array(ticket, "participants");
	unsigned int n = list != NULL ? json_array_get_length(list) : 0;
	GString *text = g_string_new(n == 0 ? "-" : NULL);

	for (unsigned int i = 0; i < n; i++) {
		JsonNode *node = json_array_get_element(list, i);

		if (i > 0)
			g_string_append(text, ", ");
		if (JSON_NODE_HOLDS_VALUE(node) &&
		    json_node_get_value_type(node) == G_TYPE_STRING)
			g_string_append(text, json_node_get_string(node));
	}
	print_pair("participants", text->str);
	g_string_free(text, TRUE);
}

static void puts_safe(const char *line)
{
	char *safe = terminal_safe(line);

	puts(safe);
	g_free(safe);
}

/* A history value for a key=value list: bare when it is one plain word,
   else as a JSON string (quoted, escaped). */
static void append_history_value(GString *out, JsonNode *node)
{
	const char *text;
	char *json;

	if (JSON_NODE_HOLDS_VALUE(node) &&
	    json_node_get_value_type(node) == G_TYPE_STRING) {
		text = json_node_get_string(node);
		if (*text != '\0' && strpbrk(text, " \t\"\\=") == NULL) {
			g_string_append(out, text);
			return;
		}
	}
	json = json_to_string(node, FALSE);
	g_string_append(out, json);
	g_free(json);
}

static void print_messages(JsonObject *ticket)
{
	JsonArray *messages = jsonget_array(ticket, "messages");
	unsigned int n = messages != NULL ? json_array_get_length(messages) : 0;

	puts("\nmessages:");
	for (unsigned int i = 0; i < n; i++) {
		JsonObject *m = json_array_get_object_element(messages, i);

		if (m == NULL)
			continue;
		g_autofree char *date = member_time(m, "date");
		g_autofree char *direction = member_text(m, "direction");
		g_autofree char *from = member_text(m, "from");
		g_autofree char *id = member_text(m, "message_id");
		g_autofree char *queue_id = member_text(m, "queue_id");
		g_autofree char *rule = member_text(m, "rule");
		g_autofree char *line = g_strdup_printf(
			"  %-*s  %-8s  %s  <%s>  queue_id=%s rule=%s",
			TIME_WIDTH, *date != '\0' ? date : "-", direction,
			from, id, queue_id, rule);

		puts_safe(line);
	}
}

static void print_history(JsonObject *ticket)
{
	JsonArray *history = jsonget_array(ticket, "history");
	unsigned int n = history != NULL ? json_array_get_length(history) : 0;
	GString *line = g_string_new(NULL);

	puts("\nhistory:");
	for (unsigned int i = 0; i < n; i++) {
		JsonObject *h = json_array_get_object_element(history, i);
		char *time, *event;
		GList *members;

		if (h == NULL)
			continue;
		time = member_time(h, "time");
		event = member_text(h, "event");
		g_string_printf(line, "  %-*s  %s", TIME_WIDTH, time, event);
		members = json_object_get_members(h);
		for (GList *m = members; m != NULL; m = m->next) {
			const char *key = m->data;

			if (strcmp(key, "time") == 0 ||
			    strcmp(key, "event") == 0)
				continue;
			g_string_append_printf(line, " %s=", key);
			append_history_value(line,
					     json_object_get_member(h, key));
		}
		g_list_free(members);
		puts_safe(line->str);
		g_free(time);
		g_free(event);
	}
	g_string_free(line, TRUE);
}

static void print_ticket(JsonObject *ticket)
{
	static const char *const plain[] = {
		"id", "queue", "status", "channel",
	};
	static const char *const after_customer[] = {
		"subject", "category",
	};
	static const char *const times[] = {
		"created", "updated", "reply_by", "first_reply", "promise_by",
	};

	for (unsigned int i = 0; i < G_N_ELEMENTS(plain); i++)
		print_field(ticket, plain[i]);
	print_customer(ticket);
	for (unsigned int i = 0; i < G_N_ELEMENTS(after_customer); i++)
		print_field(ticket, after_customer[i]);
	for (unsigned int i = 0; i < G_N_ELEMENTS(times); i++)
		print_time_field(ticket, times[i]);
	print_field(ticket, "sla");
	print_field(ticket, "rating");
	print_field(ticket, "assignee");
	print_field(ticket, "linked_to");
	print_participants(ticket);
	print_messages(ticket);
	print_history(ticket);
}

static int cmd_show(const char *config_path, int argc, char **argv)
{
	const char *id = NULL;
	struct config *config;
	JsonNode *reply;
	guint64 number;
	bool json = false;
	char *request;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (id == NULL && argv[i][0] != '-')
			id = argv[i];
		else
			usage_error("show: unexpected argument %s", argv[i]);
	}
	if (id == NULL)
		usage_error("show needs a ticket ID");
	if (!g_ascii_string_to_unsigned(id, 10, 1, G_MAXUINT32, &number,
					NULL))
		usage_error("not a ticket ID: %s", id);
	config = load_config(config_path);
	request = g_strdup_printf("show %" G_GUINT64_FORMAT, number);
	reply = ask(config, request);
	g_free(request);
	if (!JSON_NODE_HOLDS_OBJECT(reply))
		die("%s: unexpected reply: not a ticket",
		    config->control_socket);
	if (json)
		print_json(reply);
	else
		print_ticket(json_node_get_object(reply));
	json_node_unref(reply);
	config_free(&config);
	return 0;
}

static int cmd_timers(const char *config_path, int argc, char **argv)
{
	struct config *config;
	JsonNode *reply;
	JsonArray *timers;
	bool json = false;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else
			usage_error("timers: unknown argument %s", argv[i]);
	}
	config = load_config(config_path);
	reply = ask(config, "timers");
	if (!JSON_NODE_HOLDS_OBJECT(reply) ||
	    (timers = jsonget_array(json_node_get_object(reply),
				   "timers")) == NULL)
		die("%s: unexpected reply: no timer list",
		    config->control_socket);
	if (json) {
		print_json(reply);
	} else {
		printf("%-*s  %-10s  %-9s  %-8s  %s\n", TIME_WIDTH, "DUE",
		       "TIMER", "TICKET", "STATUS", "QUEUE");
		for (unsigned int i = 0; i < json_array_get_length(timers);
		     i++) {
			JsonObject *t = json_array_get_object_element(timers,
								       i);
			char *due = member_time(t, "due");
			char *kind = member_text(t, "timer");
			char *ticket = member_text(t, "ticket");
			char *status = member_text(t, "status");
			char *queue = member_text(t, "queue");

			printf("%-*s  %-10s  %-9s  %-8s  %s\n", TIME_WIDTH,
			       due, kind, ticket, status, queue);
			g_free(due);
			g_free(kind);
			g_free(ticket);
			g_free(status);
			g_free(queue);
		}
	}
	json_node_unref(reply);
	config_free(&config);
	return 0;
}

static int cmd_sla(const char *config_path, int argc, char **argv)
{
	const struct config_queue *queue;
	struct config *config;
	struct hours *hours;
	GDateTime *received, *utc, *local;
	char *error = NULL, *text;
	int64_t deadline;

	if (argc != 2)
		usage_error("sla needs a QUEUE and a TIME");
	config = load_config(config_path);
	queue = config_queue_by_name(config, argv[0]);
	if (queue == NULL)
		die("no [queue %s] in %s", argv[0], config_path);
	if (hours_parse(queue->hours, queue->timezone, queue->holidays, &hours,
			&error) < 0)
		die("[queue %s]: %s", queue->name, error);
	received = g_date_time_new_from_iso8601(argv[1],
						hours_timezone(hours));
	if (received == NULL && strlen(argv[1]) == 16) {
		/* GLib wants seconds: "2026-11-23T18:59" is as good */
		text = g_strconcat(argv[1], ":00", NULL);
		received = g_date_time_new_from_iso8601(text,
							hours_timezone(hours));
		g_free(text);
	}
	if (received == NULL)
		usage_error("not an ISO 8601 time: %s", argv[1]);
	if (hours_deadline(hours, g_date_time_to_unix(received),
			   queue->sla_first_reply, &deadline, &error) < 0)
		die("[queue %s] sla_first_reply: %s", queue->name, error);
	utc = g_date_time_new_from_unix_utc(deadline);
	local = g_date_time_to_timezone(utc, hours_timezone(hours));
	text = g_date_time_format(local, "%Y-%m-%dT%H:%M:%S%:z");
	puts(text);
	g_free(text);
	g_date_time_unref(local);
	g_date_time_unref(utc);
	g_date_time_unref(received);
	hours_free(&hours);
	config_free(&config);
	return 0;
}

/* Data as the milter would give an acknowledgement now, for the first
   queue and a made-up customer. */
static JsonNode *sample_data(const struct config *config, const char *lang)
{
	const struct config_queue *queue = config->queues->pdata[0];
	struct ack_templates *templates;
	struct hours *hours;
	char *error = NULL;
	int64_t now = g_get_real_time() / G_USEC_PER_SEC, deadline = 0;
	struct ack_input in = {
		.language = lang,
		.ticket_id = 42,
		.ticket_tag = config->ticket_tag,
		.queue = queue,
		.customer_name = "Anna Smith",
		.customer_address = "anna@example.com",
		.subject = "Where is my order?",
		.category = "delivery",
		.now = now,
	};
	JsonNode *data;

	if (ack_templates_load(config->templates_dir, &templates, &error) < 0)
		die("%s", error);
	if (hours_parse(queue->hours, queue->timezone, queue->holidays, &hours,
			&error) < 0)
		die("[queue %s]: %s", queue->name, error);
	if (hours_deadline(hours, now, queue->sla_first_reply, &deadline,
			   &error) < 0)
		die("[queue %s]: %s", queue->name, error);
	in.hours = hours;
	in.reply_by = deadline;
	data = ack_data(templates, &in);
	hours_free(&hours);
	ack_templates_free(&templates);
	return data;
}

static int cmd_template(const char *config_path, int argc, char **argv)
{
	const char *lang = NULL, *data_path = NULL;
	struct config *config;
	JsonParser *parser = NULL;
	JsonNode *data;
	GError *gerror = NULL;
	char *error = NULL, *text, *path;

	if (argc < 2 || strcmp(argv[0], "render") != 0)
		usage_error("template render NAME --lang L [--data FILE]");
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--lang") == 0 && i + 1 < argc)
			lang = argv[++i];
		else if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
			data_path = argv[++i];
		else
			usage_error("unknown argument %s", argv[i]);
	}
	if (lang == NULL)
		usage_error("template render needs --lang");
	config = load_config(config_path);
	path = g_build_filename(config->templates_dir, lang, "ack.txt", NULL);
	if (!g_file_test(path, G_FILE_TEST_EXISTS))
		die("no templates for language %s in %s", lang,
		    config->templates_dir);
	g_free(path);
	if (data_path != NULL) {
		parser = json_parser_new();
		if (!json_parser_load_from_file(parser, data_path, &gerror))
			die("%s: %s", data_path, gerror->message);
		data = json_node_copy(json_parser_get_root(parser));
		g_object_unref(parser);
	} else {
		data = sample_data(config, lang);
	}
	if (ack_render_file(config->templates_dir, lang, argv[1], data, &text,
			    &error) < 0)
		die("%s", error);
	fputs(text, stdout);
	g_free(text);
	json_node_unref(data);
	config_free(&config);
	return 0;
}

/* --- outbox: the spool itself, as its owner (root or the daemons'
   user) may read it; the milter need not run ---------------------------- */

static struct spool *open_outbox(const struct config *config)
{
	char *dir = g_build_filename(config->spool_dir, "outbox", NULL);
	struct spool *spool;
	char *error = NULL;

	if (!g_file_test(dir, G_FILE_TEST_IS_DIR))
		die("%s: no outbox there", dir);
	/* not as consumer: the bridge may be running */
	if (spool_open(dir, false, &spool, &error) < 0)
		die("%s", error);
	g_free(dir);
	return spool;
}

static const char *state_name(const struct spool_entry *e, int64_t now)
{
	switch (e->state) {
	case SPOOL_WAITING:
		return e->not_before > now ? "deferred" : "waiting";
	case SPOOL_ACTIVE:
		return "active";
	case SPOOL_DEAD:
		return "dead";
	}
	return "?";
}

/* What an item is about, read from its file: kind, ticket, to whom. */
static void describe(struct spool *spool, const char *dir,
		     const struct spool_entry *e, JsonBuilder *b)
{
	char *path = g_build_filename(dir, e->key, NULL);
	char *data = NULL, *kind = NULL, *error = NULL, *to = NULL;
	struct outbox_mail *mail = NULL;
	struct outbox_message *m = NULL;
	uint32_t ticket = 0;
	size_t size;

	if (!g_file_get_contents(path, &data, &size, NULL)) {
		kind = g_strdup("?");
	} else if (outbox_decode(data, size, &mail, &kind, &error) == 1) {
		g_free(kind);
		kind = g_strdup("mail");
		ticket = mail->ticket;
		to = g_strjoinv(",", mail->recipients);
	} else if (kind != NULL && strcmp(kind, "message") == 0 &&
		   outbox_message_decode(data, size, &m, &error) == 0) {
		ticket = m->ticket;
		to = g_strdup_printf("%s:%s", m->channel, m->chat);
	} else if (kind == NULL) {
		kind = g_strdup("malformed");
	}
	json_builder_set_member_name(b, "kind");
	json_builder_add_string_value(b, kind);
	json_builder_set_member_name(b, "ticket");
	json_builder_add_int_value(b, ticket);
	json_builder_set_member_name(b, "to");
	json_builder_add_string_value(b, to != NULL ? to : "");
	if (m != NULL) {
		json_builder_set_member_name(b, "parts_sent");
		json_builder_add_int_value(b, m->sent->len);
	}
	outbox_mail_free(&mail);
	outbox_message_free(&m);
	g_free(to);
	g_free(error);
	g_free(kind);
	g_free(data);
	g_free(path);
}

static int outbox_list(const struct config *config, bool as_json)
{
	static const enum spool_state states[] = {
		SPOOL_WAITING, SPOOL_ACTIVE, SPOOL_DEAD,
	};
	static const char *const dirs[] = { "new", "cur", "dead" };
	struct spool *spool = open_outbox(config);
	int64_t now = g_get_real_time() / G_USEC_PER_SEC;
	JsonBuilder *b = json_builder_new();
	JsonNode *root;
	JsonArray *items;

	json_builder_begin_array(b);
	for (unsigned int s = 0; s < G_N_ELEMENTS(states); s++) {
		char *dir = g_build_filename(config->spool_dir, "outbox",
					     dirs[s], NULL);
		GPtrArray *list = spool_list(spool, states[s], "");

		for (unsigned int i = 0; i < list->len; i++) {
			const struct spool_entry *e = list->pdata[i];
			char *next = ticket_format_time(e->not_before);

			json_builder_begin_object(b);
			json_builder_set_member_name(b, "key");
			json_builder_add_string_value(b, e->key);
			json_builder_set_member_name(b, "state");
			json_builder_add_string_value(b, state_name(e, now));
			json_builder_set_member_name(b, "next_try");
			if (e->state == SPOOL_WAITING)
				json_builder_add_string_value(b, next);
			else
				json_builder_add_null_value(b);
			json_builder_set_member_name(b, "size");
			json_builder_add_int_value(b, e->size);
			describe(spool, dir, e, b);
			json_builder_end_object(b);
			g_free(next);
		}
		g_ptr_array_unref(list);
		g_free(dir);
	}
	json_builder_end_array(b);
	root = json_builder_get_root(b);
	if (as_json) {
		print_json(root);
	} else {
		items = json_node_get_array(root);
		printf("%-8s  %-20s  %6s  %-9s  %s\n", "STATE", "NEXT TRY",
		       "TICKET", "KIND", "KEY (TO)");
		for (unsigned int i = 0; i < json_array_get_length(items); i++) {
			JsonObject *o = json_array_get_object_element(items, i);
			const char *next = json_object_get_null_member(
				o, "next_try") ? "-" :
				json_object_get_string_member(o, "next_try");
			char *to = terminal_safe(json_object_get_string_member(
				o, "to"));

			printf("%-8s  %-20.20s  %6" G_GINT64_FORMAT "  %-9s  "
			       "%s%s%s%s\n",
			       json_object_get_string_member(o, "state"), next,
			       json_object_get_int_member(o, "ticket"),
			       json_object_get_string_member(o, "kind"),
			       json_object_get_string_member(o, "key"),
			       *to != '\0' ? " (" : "", to,
			       *to != '\0' ? ")" : "");
			g_free(to);
		}
	}
	json_node_unref(root);
	g_object_unref(b);
	spool_close(&spool);
	return 0;
}

static int cmd_outbox(const char *config_path, int argc, char **argv)
{
	const char *action = argc > 0 ? argv[0] : "list";
	struct config *config = load_config(config_path);
	struct spool *spool;
	char *error = NULL;
	int ret;

	if (strcmp(action, "list") == 0 || strcmp(action, "--json") == 0) {
		bool as_json = false;

		for (int i = strcmp(action, "list") == 0 ? 1 : 0; i < argc;
		     i++) {
			if (strcmp(argv[i], "--json") == 0)
				as_json = true;
			else
				usage_error("outbox list: unknown argument %s",
					    argv[i]);
		}
		ret = outbox_list(config, as_json);
		config_free(&config);
		return ret;
	}
	if ((strcmp(action, "retry") != 0 && strcmp(action, "drop") != 0) ||
	    argc != 2)
		usage_error("outbox list|retry KEY|drop KEY");
	spool = open_outbox(config);
	if (strcmp(action, "retry") == 0)
		ret = spool_retry(spool, argv[1],
				  g_get_real_time() / G_USEC_PER_SEC, &error);
	else
		ret = spool_drop(spool, argv[1], &error);
	spool_close(&spool);
	config_free(&config);
	if (ret < 0)
		die("%s", error);
	if (ret == 0)
		die("%s: no such dead or waiting item (an item being sent "
		    "is left alone)", argv[1]);
	printf("%s: %s\n", argv[1], strcmp(action, "retry") == 0 ?
	       "ready to be sent again" : "dropped");
	return 0;
}

/* --- report ------------------------------------------------------------- */

static void parse_date_option(const char *option, const char *value,
			      GDate *date_r)
{
	if (report_date_parse(value, date_r) < 0)
		usage_error("%s: not a date (YYYY-MM-DD): %s", option, value);
}

static int cmd_report(const char *config_path, int argc, char **argv)
{
	const char *from = NULL, *to = NULL, *queue = NULL, *by = "queue";
	const char *format = "text", *output = NULL, *value;
	enum report_by by_value;
	struct config *config;
	GDate from_date, to_date;
	GError *error = NULL;
	JsonNode *reply;
	char *request, *text, *f, *t;

	for (int i = 0; i < argc; i++) {
		if ((value = option_value(argc, argv, &i, "--from")) != NULL)
			from = value;
		else if ((value = option_value(argc, argv, &i, "--to")) != NULL)
			to = value;
		else if ((value = option_value(argc, argv, &i,
						"--queue")) != NULL)
			queue = value;
		else if ((value = option_value(argc, argv, &i, "--by")) != NULL)
			by = value;
		else if ((value = option_value(argc, argv, &i,
						"--format")) != NULL)
			format = value;
		else if ((value = option_value(argc, argv, &i,
						"--output")) != NULL)
			output = value;
		else
			usage_error("report: unknown argument %s", argv[i]);
	}
	if (report_by_parse(by, &by_value) < 0)
		usage_error("report: --by is one of queue, agent, channel, "
			    "category, language, day, week: %s", by);
	if (strcmp(format, "text") != 0 && strcmp(format, "csv") != 0 &&
	    strcmp(format, "json") != 0 && strcmp(format, "html") != 0)
		usage_error("report: --format is text, csv, json or html: %s",
			    format);
	if (queue != NULL)
		check_word("--queue", queue);
	if (to != NULL) {
		parse_date_option("--to", to, &to_date);
	} else {
		GDateTime *now = g_date_time_new_now_utc();

		g_date_clear(&to_date, 1);
		g_date_set_dmy(&to_date, g_date_time_get_day_of_month(now),
			       g_date_time_get_month(now),
			       g_date_time_get_year(now));
		g_date_time_unref(now);
	}
	if (from != NULL) {
		parse_date_option("--from", from, &from_date);
	} else {
		from_date = to_date;
		g_date_subtract_days(&from_date, 29);
	}
	f = report_date_text(&from_date);
	t = report_date_text(&to_date);
	if (g_date_compare(&to_date, &from_date) < 0)
		usage_error("report: --to %s is before --from %s", t, f);
	config = load_config(config_path);
	request = g_strdup_printf("report from=%s to=%s by=%s%s%s", f, t,
				  by, queue != NULL ? " queue=" : "",
				  queue != NULL ? queue : "");
	reply = ask(config, request);
	if (!JSON_NODE_HOLDS_OBJECT(reply))
		die("%s: unexpected reply: not a report",
		    config->control_socket);
	if (strcmp(format, "json") == 0) {
		JsonGenerator *gen = json_generator_new();

		json_generator_set_pretty(gen, TRUE);
		json_generator_set_indent(gen, 2);
		json_generator_set_root(gen, reply);
		char *json = json_generator_to_data(gen, NULL);

		g_object_unref(gen);
		text = g_strconcat(json, "\n", NULL);
		g_free(json);
	} else if (strcmp(format, "csv") == 0) {
		text = report_csv(json_node_get_object(reply));
	} else if (strcmp(format, "html") == 0) {
		text = report_html(json_node_get_object(reply));
	} else {
		text = report_text(json_node_get_object(reply));
	}
	if (output == NULL)
		fputs(text, stdout);
	else if (!g_file_set_contents(output, text, -1, &error))
		die("%s", error->message);
	g_free(text);
	json_node_unref(reply);
	g_free(request);
	g_free(f);
	g_free(t);
	config_free(&config);
	return 0;
}

/* --- db: backup, verify, recover ---------------------------------------- */

/* The store's files belong to the milter's user: run as root, the
   offline work is done as that user, so that nothing it writes is
   root's. */
static void become_store_owner(const struct config *config)
{
	log_open("shopdeskctl", true);
	daemon_drop_privileges(config);
}

/* A hot backup by the running milter, the store's owner: 0, or -1 with
   *error_r when it does not answer or fails. */
static int backup_by_milter(const struct config *config, const char *dir,
			    char **error_r)
{
	char *request = g_strdup_printf("backup %s", dir);
	JsonNode *reply;
	int ret;

	ret = control_request(config->control_socket, request, &reply,
			      error_r);
	g_free(request);
	if (ret == 0)
		json_node_unref(reply);
	return ret;
}

/* With the milter stopped: the store opened here, copied, closed. */
static void backup_offline(const struct config *config, const char *dir,
			   const char *milter_error)
{
	struct store *store;
	char *error = NULL;

	if (store_open(config->state_dir, 0, &store, &error) < 0)
		die("%s (and shopdesk-milter: %s)", error, milter_error);
	if (store_backup(store, dir, &error) < 0)
		die("%s", error);
	store_close(&store);
}

static char *absolute_dir(const char *dir)
{
	char *abs;

	if (*dir == '\0' || strpbrk(dir, " \t\r\n") != NULL)
		usage_error("a folder without spaces, please: '%s'", dir);
	abs = g_canonicalize_filename(dir, NULL);
	return abs;
}

static int db_backup(const struct config *config, const char *dir)
{
	char *abs = absolute_dir(dir);
	char *error = NULL;

	become_store_owner(config);
	if (backup_by_milter(config, abs, &error) == 0) {
		printf("hot backup of %s by shopdesk-milter in %s\n",
		       config->state_dir, abs);
	} else {
		backup_offline(config, abs, error);
		printf("backup of %s (shopdesk-milter not running) in %s\n",
		       config->state_dir, abs);
	}
	g_clear_pointer(&error, g_free);
	/* the reply tokens' secret is in no message: a rebuild cannot
	   bring it back */
	if (token_key_copy(config->state_dir, abs, true, &error) < 0)
		die("%s", error);
	g_free(abs);
	return 0;
}

static void remove_tree(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;

	while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
		char *path = g_build_filename(dir, name, NULL);

		g_unlink(path);
		g_free(path);
	}
	if (d != NULL)
		g_dir_close(d);
	g_rmdir(dir);
}

/* The store in dir, or with dir NULL the live one: while the milter
   runs, a hot backup of it into a temporary folder beside it, checked
   and removed (DB->verify must not read files being written). */
static int db_verify(const struct config *config, const char *dir)
{
	GString *report = g_string_new(NULL);
	char *what = dir != NULL ? absolute_dir(dir) :
		g_strdup(config->state_dir);
	char *copy = NULL, *error = NULL, *milter_error = NULL;
	int failed;

	become_store_owner(config);
	if (dir == NULL) {
		char *tmpl = g_build_filename(config->state_dir,
					      "verify.XXXXXX", NULL);

		copy = g_mkdtemp(tmpl);
		if (copy == NULL)
			die("mkdtemp %s: %s", tmpl, g_strerror(errno));
		if (backup_by_milter(config, copy, &milter_error) == 0) {
			printf("shopdesk-milter is running: checking a hot "
			       "backup of %s\n", what);
			g_free(what);
			what = g_strdup(copy);
		} else {
			remove_tree(copy);
			g_clear_pointer(&copy, g_free);
		}
	}
	failed = store_verify(what, report, &error);
	if (copy != NULL)
		remove_tree(copy);
	g_free(copy);
	if (failed < 0)
		die("%s%s%s%s", error, milter_error != NULL ?
		    " (and shopdesk-milter: " : "",
		    milter_error != NULL ? milter_error : "",
		    milter_error != NULL ? ")" : "");
	g_free(milter_error);
	fputs(report->str, stdout);
	printf("%s: %s\n", what, failed == 0 ? "every database is sound" :
	       "DAMAGED: restore a backup (shopdeskctl db recover --from DIR)"
	       " or rebuild");
	g_string_free(report, TRUE);
	g_free(what);
	return failed == 0 ? 0 : 1;
}

/* Whether two folders hold the same reply-token key, or dir has none */
static bool same_key(const char *dir, const char *other)
{
	char *a = g_build_filename(dir, "token.key", NULL);
	char *b = g_build_filename(other, "token.key", NULL);
	char *x = NULL, *y = NULL;
	gsize xn = 0, yn = 0;
	bool same = !g_file_get_contents(a, &x, &xn, NULL) ||
		(g_file_get_contents(b, &y, &yn, NULL) && xn == yn &&
		 memcmp(x, y, xn) == 0);

	g_free(x);
	g_free(y);
	g_free(a);
	g_free(b);
	return same;
}

static int db_recover(const struct config *config, const char *from)
{
	GString *report = g_string_new(NULL);
	char *abs = from != NULL ? absolute_dir(from) : NULL;
	char *error = NULL;
	int ret;

	become_store_owner(config);
	ret = store_recover(config->state_dir, abs, report, &error);
	fputs(report->str, stdout);
	if (ret < 0)
		die("%s%s", error, strstr(error, "in use") != NULL ?
		    " (stop shopdesk-milter first)" : "");
	if (abs != NULL) {
		ret = token_key_copy(abs, config->state_dir, false, &error);
		if (ret < 0)
			die("%s", error);
		if (ret > 0)
			printf("the reply-token key copied from the backup\n");
		else if (!same_key(abs, config->state_dir))
			printf("warning: the store's own reply-token key kept; "
			       "the backup's differs: tokens and stamps made "
			       "with it are not recognised (copy %s/token.key "
			       "in to use it)\n", abs);
	}
	printf("%s recovered: start shopdesk-milter\n", config->state_dir);
	g_string_free(report, TRUE);
	g_free(abs);
	return 0;
}

static int cmd_db(const char *config_path, int argc, char **argv)
{
	struct config *config;
	const char *from = NULL;
	int ret;

	if (argc == 0)
		usage_error("db backup DIR | verify [DIR] | recover "
			    "[--from DIR]");
	if (strcmp(argv[0], "backup") == 0) {
		if (argc != 2)
			usage_error("db backup needs one DIR");
	} else if (strcmp(argv[0], "verify") == 0) {
		if (argc > 2)
			usage_error("db verify takes at most one DIR");
	} else if (strcmp(argv[0], "recover") == 0) {
		for (int i = 1; i < argc; i++) {
			if ((from = option_value(argc, argv, &i, "--from")) ==
			    NULL)
				usage_error("db recover: unknown argument %s",
					    argv[i]);
		}
	} else {
		usage_error("db backup DIR | verify [DIR] | recover "
			    "[--from DIR]");
	}
	config = load_config(config_path);
	if (strcmp(argv[0], "backup") == 0)
		ret = db_backup(config, argv[1]);
	else if (strcmp(argv[0], "verify") == 0)
		ret = db_verify(config, argc == 2 ? argv[1] : NULL);
	else
		ret = db_recover(config, from);
	config_free(&config);
	return ret;
}

/* Progress of a long rebuild, on a terminal only: a line rewritten in
   place, at most every quarter of a second. */
static void rebuild_progress(const char *phase, unsigned int done,
			     unsigned int total, void *context)
{
	gint64 *last = context, now = g_get_monotonic_time();

	if (now - *last < G_USEC_PER_SEC / 4 && done != total)
		return;
	*last = now;
	if (total == 0)
		fprintf(stderr, "\rrebuild: %s %u messages", phase, done);
	else
		fprintf(stderr, "\rrebuild: %s %u of %u messages (%u%%)",
			phase, done, total, (unsigned int)(100ull * done /
							   total));
	fflush(stderr);
}

/* Every queue's mailbox through Dovecot's doveadm server */
static void rebuild_read_doveadm(const struct config *config,
				 struct rebuild *rb)
{
	struct doveadm *conn;
	char *error = NULL;

	if (doveadm_connect(config->doveadm_socket,
			    (unsigned int)config->doveadm_timeout, &conn,
			    &error) < 0)
		die("%s (the store is untouched)", error);
	for (unsigned int i = 0; i < config->queues->len; i++) {
		const struct config_queue *q = config->queues->pdata[i];

		if (*q->mailbox == '\0')
			continue;
		if (rebuild_add_doveadm(rb, conn, q->mailbox, q->name,
					&error) < 0)
			die("%s (the store is untouched)", error);
	}
	doveadm_close(&conn);
}

/* Each [QUEUE=]MAILDIR: a wrong queue stops it before the store is
   touched, as any error of reading does */
static void rebuild_read_maildirs(const struct config *config,
				  struct rebuild *rb, char **paths)
{
	for (unsigned int i = 0; paths[i] != NULL; i++) {
		const char *eq = strchr(paths[i], '=');
		char *queue = eq != NULL ? g_strndup(paths[i], eq - paths[i]) :
			NULL;
		char *error = NULL;

		if (queue != NULL && config_queue_by_name(config, queue) ==
		    NULL)
			usage_error("rebuild: no [queue %s]", queue);
		if (rebuild_add_maildir(rb, queue, eq != NULL ? eq + 1 :
					paths[i], &error) < 0)
			die("%s (the store is untouched)", error);
		g_free(queue);
	}
}

/* The reply-token key, which also seals the stamps: it must be the one
   the mail was stamped with.  Lost, it is made anew only when the
   stamps are to be trusted without their seal. */
static struct token_key *rebuild_key(const struct config *config,
				     bool trust)
{
	char *path = g_build_filename(config->state_dir, "token.key", NULL);
	bool had = g_file_test(path, G_FILE_TEST_EXISTS);
	struct token_key *key = NULL;
	char *error = NULL;

	if (!had && !trust)
		die("no reply-token key %s: it seals the stamps a rebuild "
		    "reads; put back the one of a backup (shopdeskctl db "
		    "recover --from DIR does, or copy DIR/token.key), or "
		    "rebuild --trust-stamps", path);
	if (g_mkdir_with_parents(config->state_dir, 0700) < 0)
		die("mkdir %s: %s", config->state_dir, g_strerror(errno));
	if (token_key_load(config->state_dir, &key, &error) < 0)
		die("%s", error);
	if (!had)
		printf("warning: a new reply-token key %s: tokens in replies "
		       "sent before are not recognised\n", path);
	g_free(path);
	return key;
}

static int cmd_rebuild(const char *config_path, int argc, char **argv)
{
	struct config *config;
	struct store *store;
	struct token_key *key;
	struct rebuild *rb;
	const struct rebuild_summary *sum;
	char *aside = NULL, *error = NULL;
	gint64 last = 0;
	bool keep = false, trust = false;
	int i;

	if (argc == 0 || strcmp(argv[0], "--from-mailbox") != 0)
		usage_error("rebuild --from-mailbox [--keep-store] "
			    "[--trust-stamps] [[QUEUE=]MAILDIR ...]");
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--keep-store") == 0)
			keep = true;
		else if (strcmp(argv[i], "--trust-stamps") == 0)
			trust = true;
		else
			usage_error("rebuild: unknown option %s", argv[i]);
	}
	config = load_config(config_path);
	become_store_owner(config);
	key = rebuild_key(config, trust);
	g_mime_init();
	rb = rebuild_new(config, key, trust, (int64_t)time(NULL),
			 isatty(STDERR_FILENO) ? rebuild_progress : NULL,
			 &last);
	/* read first: the store stays as it is until all was read */
	if (i == argc)
		rebuild_read_doveadm(config, rb);
	else
		rebuild_read_maildirs(config, rb, argv + i);
	/* the milter holds the store's lock while it runs */
	if (!keep && store_set_aside(config->state_dir, "rebuild", &aside,
				     &error) < 0)
		die("%s%s", error, strstr(error, "in use") != NULL ?
		    " (stop shopdesk-milter first)" : "");
	if (aside != NULL)
		printf("the store's files moved to %s\n", aside);
	if (store_open(config->state_dir, 0, &store, &error) < 0 ||
	    rebuild_run(rb, store, &sum, &error) < 0)
		die("%s%s%s%s", error, strstr(error, "in use") != NULL ?
		    " (stop shopdesk-milter first)" : "",
		    aside != NULL ? "; the store's files from before are in " :
		    "", aside != NULL ? aside : "");
	store_close(&store);
	if (last != 0)
		fputc('\n', stderr);
	for (unsigned int n = 0; n < sum->notes->len; n++)
		printf("%s\n", (char *)sum->notes->pdata[n]);
	printf("rebuild: %u tickets, %u messages (%u recorded, %u copies "
	       "of messages recorded, %u without stamps threaded anew), "
	       "%u skipped\n", sum->tickets, sum->messages, sum->applied,
	       sum->duplicates, sum->unstamped, sum->skipped);
	rebuild_free(&rb);
	token_key_free(&key);
	g_free(aside);
	config_free(&config);
	return 0;
}

static const struct {
	const char *name;
	int (*run)(const char *config_path, int argc, char **argv);
} commands[] = {
	{ "rebuild", cmd_rebuild },
	{ "outbox", cmd_outbox },
	{ "config", cmd_config },
	{ "tickets", cmd_tickets },
	{ "show", cmd_show },
	{ "timers", cmd_timers },
	{ "sla", cmd_sla },
	{ "template", cmd_template },
	{ "db", cmd_db },
	{ "report", cmd_report },
};

int main(int argc, char *argv[])
{
	const char *config_path = CONFIG_DEFAULT_PATH;
	int i, ret;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-c") == 0) {
			if (++i == argc)
				usage_error("-c needs a FILE");
			config_path = argv[i];
		} else if (g_str_has_prefix(argv[i], "-c")) {
			config_path = argv[i] + 2;
		} else if (strcmp(argv[i], "-h") == 0 ||
			   strcmp(argv[i], "--help") == 0) {
			fputs(usage_text, stdout);
			return 0;
		} else {
			usage_error("unknown option %s", argv[i]);
		}
	}
	if (i == argc)
		usage_error("no command");
	for (unsigned int c = 0; c < G_N_ELEMENTS(commands); c++) {
		if (strcmp(commands[c].name, argv[i]) != 0)
			continue;
		ret = commands[c].run(config_path, argc - i - 1, argv + i + 1);
		if (fflush(stdout) != 0 || ferror(stdout))
			die("cannot write the output: %s", g_strerror(errno));
		return ret;
	}
	usage_error("unknown command %s", argv[i]);
}
