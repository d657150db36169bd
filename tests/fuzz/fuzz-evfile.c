/* fuzz-evfile: the events file format.  Input, first: an events file
   as the spool holds it, for mbevent_parse(), whose strings must be
   what the format allows.  Second: the same bytes
   as an event to write (a type byte, a ticket, a uid, statuses, then
   strings split at NUL bytes), whose file evfile_write() makes must be
   read back by mbevent_parse() with the same ticket, type and uid, and
   every string that was fit to write as it was. */

#include "fuzz.h"
#include "evfile.h"
#include "mbevent.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

/* The string after *pos (up to a NUL or the end), or NULL past it. */
static char *next_string(const uint8_t *data, size_t size, size_t *pos)
{
	const uint8_t *nul;
	char *s;

	if (*pos > size)
		return NULL;
	nul = memchr(data + *pos, '\0', size - *pos);
	s = g_strndup((const char *)data + *pos,
		      (nul != NULL ? (size_t)(nul - data) : size) - *pos);
	*pos = nul != NULL ? (size_t)(nul - data) + 1 : size + 1;
	return s;
}

/* what the writer must keep as it is */
static void same_if_fit(const char *given, const char *read)
{
	fuzz_assert(g_utf8_validate(read, -1, NULL));
	fuzz_assert(strlen(read) <= EVFILE_VALUE_MAX);
	if (given != NULL && evfile_value_ok(given) &&
	    g_utf8_validate(given, -1, NULL))
		fuzz_assert(strcmp(given, read) == 0);
}

static void round_trip(const uint8_t *data, size_t size)
{
	static const char *const statuses[] = {
		"", "new", "open", "pending", "resolved", "closed",
	};
	static const char *const results[] = {
		EVFILE_RESULT_SENT, EVFILE_RESULT_DEAD,
		EVFILE_RESULT_DELIVERED, EVFILE_RESULT_READ,
		EVFILE_RESULT_FAILED,
	};
	static const enum mbevent_type types[] = {
		[EVFILE_KEYWORD] = MBEVENT_KEYWORD,
		[EVFILE_FOLDER] = MBEVENT_FOLDER,
		[EVFILE_EXPUNGE] = MBEVENT_EXPUNGE,
		[EVFILE_DELIVERY] = MBEVENT_DELIVERY,
	};
	struct evfile_event ev = { 0 };
	struct evfile file = { .events = &ev, .count = 1 };
	struct mbevent_file *parsed = NULL;
	const struct mbevent *got;
	char *s[10], *text, *error = NULL;
	size_t pos = 11, text_size;

	if (size < 11)
		return;
	ev.type = data[0] % 4;
	memcpy(&ev.ticket, data + 1, 4);
	ev.ticket = MAX(ev.ticket, 1);
	memcpy(&ev.uid, data + 5, 4);
	ev.old = statuses[data[9] % G_N_ELEMENTS(statuses)];
	ev.new_status = statuses[data[10] % G_N_ELEMENTS(statuses)];
	/* the reader's rules of the statuses, which the writer takes on
	   trust */
	if (ev.type == EVFILE_FOLDER && *ev.new_status == '\0')
		ev.new_status = "open";
	if (ev.type == EVFILE_KEYWORD && *ev.new_status == '\0' &&
	    *ev.old == '\0')
		ev.old = "pending";
	ev.move = (data[9] & 0x80) != 0;
	file.time = data[10];
	for (unsigned int i = 0; i < G_N_ELEMENTS(s); i++)
		s[i] = next_string(data, size, &pos);
	file.user = s[0];
	file.service = s[1];
	ev.mailbox = s[2];
	ev.from = s[3];
	ev.message_id = s[4];
	ev.channel = s[5];
	ev.chat = s[6];
	ev.result = results[data[10] % G_N_ELEMENTS(results)];
	ev.message_ids = s[7];
	ev.outbox = s[8];
	ev.why = s[9];
	text = evfile_write(&file, &text_size);
	fuzz_assert(strlen(text) == text_size);
	if (mbevent_parse(text, text_size, &parsed, &error) < 0)
		g_error("evfile_write() wrote what mbevent_parse() refuses "
			"(%s):\n%s", error, text);
	fuzz_assert(parsed->events->len == 1);
	got = parsed->events->pdata[0];
	fuzz_assert(got->type == types[ev.type]);
	fuzz_assert(got->ticket == ev.ticket);
	fuzz_assert(parsed->time == file.time);
	same_if_fit(file.user, parsed->user);
	same_if_fit(file.service, parsed->service);
	same_if_fit(ev.message_id, got->message_id);
	if (ev.type != EVFILE_DELIVERY) {
		fuzz_assert(got->uid == ev.uid || ev.type == EVFILE_FOLDER);
		same_if_fit(ev.mailbox, got->mailbox);
	} else {
		same_if_fit(ev.channel, got->channel);
		same_if_fit(ev.chat, got->chat);
		same_if_fit(ev.message_ids, got->message_ids);
		same_if_fit(ev.outbox, got->outbox);
		same_if_fit(ev.why, got->why);
	}
	mbevent_file_free(&parsed);
	free(text);
	for (unsigned int i = 0; i < G_N_ELEMENTS(s); i++)
		g_free(s[i]);
}

/* what the format promises of every string a reader takes */
static void value_ok(const char *value)
{
	fuzz_assert(value == NULL || (g_utf8_validate(value, -1, NULL) &&
				      evfile_value_ok(value)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mbevent_file *file = NULL;
	char *error = NULL;

	if (mbevent_parse((const char *)data, size, &file, &error) == 0) {
		value_ok(file->user);
		value_ok(file->service);
		for (unsigned int i = 0; i < file->events->len; i++) {
			const struct mbevent *ev = file->events->pdata[i];

			value_ok(ev->mailbox);
			value_ok(ev->from);
			value_ok(ev->message_id);
			value_ok(ev->channel);
			value_ok(ev->chat);
			value_ok(ev->result);
			value_ok(ev->message_ids);
			value_ok(ev->outbox);
			value_ok(ev->why);
		}
		mbevent_file_free(&file);
	} else {
		g_free(error);
	}
	round_trip(data, size);
	return 0;
}
