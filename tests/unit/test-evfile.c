/* Tests of evfile.c against the milter's reader: for each string in a
   table of hostile ones (quotes, backslashes, what looks like JSON,
   control characters, invalid UTF-8, values over the bound), a file
   holding every event type, with that string in every free-text member,
   is written with evfile_write() and read with mbevent_parse(); every
   member must read back, the strings as the table says.  Then the
   bound that the plugin checks before it writes. */

#include "evfile.h"
#include "mbevent.h"

#include <stdlib.h>
#include <string.h>

#define REP "\xef\xbf\xbd"	/* U+FFFD */

struct string_case {
	const char *name;
	const char *in;		/* repeated in_times (0: once) */
	unsigned int in_times;
	const char *out;	/* as read back, repeated out_times;
				   NULL: as written */
	unsigned int out_times;
};

static const struct string_case string_cases[] = {
	{ "plain", "INBOX", 0, NULL, 0 },
	{ "empty", "", 0, NULL, 0 },
	{ "quotes", "say \"hi\" \"", 0, NULL, 0 },
	{ "backslashes", "a\\b\\\\c\\", 0, NULL, 0 },
	{ "escapes-as-text", "\\u0000\\n\\\"", 0, NULL, 0 },
	{ "json-in-a-value", "\",\"type\":\"expunge\"}]}", 0, NULL, 0 },
	{ "utf8", "\xd0\x9e\xd1\x82\xd0\xb2: Ats \xe2\x80\x94 \xf0\x9f\x93\xa6",
	  0, NULL, 0 },
	{ "del", "a\x7f" "b", 0, NULL, 0 },
	{ "control", "line\r\nnext\ttab\x01\x1f" "end", 0,
	  "line  next tab  end", 0 },
	{ "latin1", "caf\xe9", 0, "caf" REP, 0 },
	{ "cut-sequence", "ab\xe2\x82", 0, "ab" REP REP, 0 },
	{ "lone-continuation", "\x80" "x", 0, REP "x", 0 },
	{ "overlong", "\xc0\xaf", 0, REP REP, 0 },
	{ "overlong-3", "\xe0\x80\xaf", 0, REP REP REP, 0 },
	{ "surrogate", "\xed\xa0\x80", 0, REP REP REP, 0 },
	{ "above-u10ffff", "\xf4\x90\x80\x80", 0, REP REP REP REP, 0 },
	{ "not-a-lead", "\xf5\xff", 0, REP REP, 0 },
	{ "at-the-bound", "a", EVFILE_VALUE_MAX, NULL, 0 },
	{ "long", "a", 5000, "a", EVFILE_VALUE_MAX },
	/* cut where a character would not fit whole: 341 * 3 = 1023 */
	{ "long-utf8", "\xd0\xb6" "a", 400, "\xd0\xb6" "a", 341 },
	/* the bound is on the value read, not on its escaped form */
	{ "long-quotes", "\"\\", 1000, "\"\\", EVFILE_VALUE_MAX / 2 },
	{ "long-replaced", "\xff", 500, REP, 341 },
	{ "long-control", "\n", 2000, " ", EVFILE_VALUE_MAX },
};

/* What goes with the strings: every type, and each number, status and
   result at its edges */
static const struct evfile_event event_cases[] = {
	{ .type = EVFILE_KEYWORD, .ticket = 12, .uid = 7, .old = "open",
	  .new_status = "resolved" },
	{ .type = EVFILE_KEYWORD, .ticket = 1, .old = "pending" },
	{ .type = EVFILE_FOLDER, .ticket = UINT32_MAX, .move = true,
	  .new_status = "pending" },
	{ .type = EVFILE_FOLDER, .ticket = 3, .old = "new",
	  .new_status = "closed" },
	{ .type = EVFILE_EXPUNGE, .ticket = 3, .uid = UINT32_MAX },
	{ .type = EVFILE_DELIVERY, .ticket = 5, .result = EVFILE_RESULT_SENT },
	{ .type = EVFILE_DELIVERY, .ticket = 5, .result = EVFILE_RESULT_DEAD },
	{ .type = EVFILE_DELIVERY, .ticket = 5,
	  .result = EVFILE_RESULT_DELIVERED },
	{ .type = EVFILE_DELIVERY, .ticket = 5, .result = EVFILE_RESULT_READ },
	{ .type = EVFILE_DELIVERY, .ticket = 5,
	  .result = EVFILE_RESULT_FAILED },
};

static const enum mbevent_type mbevent_types[] = {
	[EVFILE_KEYWORD] = MBEVENT_KEYWORD,
	[EVFILE_FOLDER] = MBEVENT_FOLDER,
	[EVFILE_EXPUNGE] = MBEVENT_EXPUNGE,
	[EVFILE_DELIVERY] = MBEVENT_DELIVERY,
};

static char *repeated(const char *s, unsigned int times)
{
	GString *out = g_string_new(NULL);

	for (unsigned int i = 0; i < (times == 0 ? 1 : times); i++)
		g_string_append(out, s);
	return g_string_free(out, FALSE);
}

static void assert_status(const char *name, bool has, enum ticket_status got)
{
	enum ticket_status want;

	g_assert_cmpint(has, ==, name != NULL);
	if (name != NULL) {
		g_assert_cmpint(ticket_status_parse(name, &want), ==, 0);
		g_assert_cmpint(got, ==, want);
	}
}

/* ev read back as mbevent_parse() has it, its free text being s */
static void assert_event(const struct evfile_event *want,
			 const struct mbevent *ev, const char *s)
{
	bool delivery = want->type == EVFILE_DELIVERY;

	g_assert_cmpint(ev->type, ==, mbevent_types[want->type]);
	g_assert_cmpuint(ev->ticket, ==, want->ticket);
	g_assert_cmpstr(ev->mailbox, ==, delivery ? "" : s);
	g_assert_cmpstr(ev->from, ==, want->type == EVFILE_FOLDER ? s : "");
	g_assert_cmpint(ev->move, ==, want->move);
	g_assert_cmpuint(ev->uid, ==, want->uid);
	g_assert_cmpstr(ev->message_id, ==, s);
	assert_status(want->old, ev->has_old, ev->old);
	assert_status(want->new_status, ev->has_new, ev->new_status);
	g_assert_cmpstr(ev->channel, ==, delivery ? s : NULL);
	g_assert_cmpstr(ev->chat, ==, delivery ? s : NULL);
	g_assert_cmpstr(ev->result, ==, want->result);
	g_assert_cmpstr(ev->message_ids, ==, delivery ? s : NULL);
	g_assert_cmpstr(ev->outbox, ==, delivery ? s : NULL);
	g_assert_cmpstr(ev->why, ==, delivery ? s : NULL);
}

static void test_round_trip(gconstpointer data)
{
	const struct string_case *c = data;
	struct evfile_event events[G_N_ELEMENTS(event_cases)];
	char *in = repeated(c->in, c->in_times);
	char *out = c->out == NULL ? g_strdup(in) :
		repeated(c->out, c->out_times);
	struct evfile file = {
		.user = in,
		.service = in,
		.time = 1795000000,
		.events = events,
		.count = G_N_ELEMENTS(events),
	};
	struct mbevent_file *read;
	char *text, *error = NULL;
	size_t size;

	for (unsigned int i = 0; i < G_N_ELEMENTS(events); i++) {
		events[i] = event_cases[i];
		events[i].mailbox = in;
		events[i].from = in;
		events[i].message_id = in;
		events[i].channel = in;
		events[i].chat = in;
		events[i].message_ids = in;
		events[i].outbox = in;
		events[i].why = in;
	}
	text = evfile_write(&file, &size);
	g_assert_cmpuint(size, ==, strlen(text));
	g_assert_cmpint(text[size - 1], ==, '\n');
	if (mbevent_parse(text, size, &read, &error) < 0)
		g_error("%s: %s\n%s", c->name, error, text);
	g_assert_cmpstr(read->user, ==, out);
	g_assert_cmpstr(read->service, ==, out);
	g_assert_cmpint(read->time, ==, 1795000000);
	g_assert_cmpuint(read->events->len, ==, G_N_ELEMENTS(events));
	for (unsigned int i = 0; i < G_N_ELEMENTS(events); i++)
		assert_event(&events[i], read->events->pdata[i], out);
	mbevent_file_free(&read);
	free(text);
	g_free(out);
	g_free(in);
}

/* NULL strings, no events: a file all the same */
static void test_empty(void)
{
	struct evfile file = { .time = 0 };
	struct mbevent_file *read;
	char *text, *error = NULL;
	size_t size;

	text = evfile_write(&file, &size);
	g_assert_cmpstr(text, ==, "{\"version\":1,\"user\":\"\",\"service\":"
			"\"\",\"time\":0,\"events\":[]}\n");
	g_assert_cmpint(mbevent_parse(text, size, &read, &error), ==, 0);
	g_assert_cmpuint(read->events->len, ==, 0);
	mbevent_file_free(&read);
	free(text);
}

struct value_case {
	const char *value;	/* repeated times (0: once) */
	unsigned int times;
	bool ok;
};

static const struct value_case value_cases[] = {
	{ "", 0, true },
	{ "Sales/Pending", 0, true },
	{ "a", EVFILE_VALUE_MAX, true },
	{ "a", EVFILE_VALUE_MAX + 1, false },
	{ "tab\there", 0, false },
	{ "\x1f", 0, false },
	{ "\x7f\xff", 0, true },	/* UTF-8 is the writer's business */
};

static void test_value_ok(void)
{
	for (unsigned int i = 0; i < G_N_ELEMENTS(value_cases); i++) {
		char *value = repeated(value_cases[i].value,
				       value_cases[i].times);

		g_assert_cmpint(evfile_value_ok(value), ==,
				value_cases[i].ok);
		g_free(value);
	}
}

int main(int argc, char *argv[])
{
	g_test_init(&argc, &argv, NULL);
	for (unsigned int i = 0; i < G_N_ELEMENTS(string_cases); i++) {
		char *path = g_strdup_printf("/evfile/round-trip/%s",
					     string_cases[i].name);

		g_test_add_data_func(path, &string_cases[i], test_round_trip);
		g_free(path);
	}
	g_test_add_func("/evfile/empty", test_empty);
	g_test_add_func("/evfile/value-ok", test_value_ok);
	return g_test_run();
}
