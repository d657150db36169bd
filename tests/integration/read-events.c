/* read-events: reads events files with the milter's reader,
   mbevent_parse(), and prints them, so that t-mailbox.sh can check that
   what the real Dovecot plugin wrote is read as meant.  It applies
   nothing: it opens no store.

     read-events FILE...

   prints, for each file, a line "user=U service=S time=T" and then one
   line per event: its type and every member as NAME=VALUE ("" and 0
   for those it lacks), statuses by name.  Exit 1 at the first file
   that cannot be read or is refused, with the reason on stderr. */

#include "evfile.h"
#include "mbevent.h"

#include <stdio.h>

static const char *const type_names[] = {
	[MBEVENT_KEYWORD] = EVFILE_TYPE_KEYWORD,
	[MBEVENT_FOLDER] = EVFILE_TYPE_FOLDER,
	[MBEVENT_EXPUNGE] = EVFILE_TYPE_EXPUNGE,
	[MBEVENT_DELIVERY] = EVFILE_TYPE_DELIVERY,
};

static const char *status(bool has, enum ticket_status value)
{
	return has ? ticket_status_name(value) : "";
}

static void print_event(const struct mbevent *ev)
{
	printf("%s ticket=%u mailbox=%s from=%s move=%s uid=%u old=%s new=%s "
	       "message_id=%s", type_names[ev->type], ev->ticket, ev->mailbox,
	       ev->from, ev->move ? "true" : "false", ev->uid,
	       status(ev->has_old, ev->old),
	       status(ev->has_new, ev->new_status), ev->message_id);
	if (ev->type == MBEVENT_DELIVERY)
		printf(" channel=%s chat=%s result=%s message_ids=%s outbox=%s "
		       "why=%s", ev->channel, ev->chat, ev->result,
		       ev->message_ids, ev->outbox, ev->why);
	printf("\n");
}

int main(int argc, char *argv[])
{
	for (int i = 1; i < argc; i++) {
		struct mbevent_file *file;
		GError *gerror = NULL;
		char *data, *error = NULL;
		gsize size;

		if (!g_file_get_contents(argv[i], &data, &size, &gerror)) {
			fprintf(stderr, "%s\n", gerror->message);
			return 1;
		}
		if (mbevent_parse(data, size, &file, &error) < 0) {
			fprintf(stderr, "%s: %s\n", argv[i], error);
			return 1;
		}
		printf("user=%s service=%s time=%" G_GINT64_FORMAT "\n",
		       file->user, file->service, file->time);
		for (unsigned int j = 0; j < file->events->len; j++)
			print_event(file->events->pdata[j]);
		mbevent_file_free(&file);
		g_free(data);
	}
	return 0;
}
