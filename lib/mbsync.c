/* mbsync.c: sets a ticket's status keywords in a Dovecot mailbox
   through Dovecot's doveadm server (doveadm.c), the interface Dovecot
   offers for changing mail from outside the mail processes; the milter
   needs neither root nor doveadm's configuration for it.  One "fetch"
   lists the messages whose X-Shopdesk-Ticket header holds the ticket
   number (an IMAP header search matches substrings, so "5" also finds
   15: the header's value is compared exactly here), then at most four
   "flags" commands per folder put the status's keyword on, take the
   other statuses' keywords off, and put "overdue" on or off, all on
   one connection.  The flags
   commands carry Dovecot's MAILBOX_TRANSACTION_FLAG_NO_NOTIFY: the
   notify plugin, and so the shopdesk plugin, never sees them, and the
   milter's own changes make no events.

   It does not decide when: the milter's worker calls it for each
   ticket the store marks (store_mailbox_pending). */

#include "mbsync.h"
#include "doveadm.h"

#include <string.h>

#define UIDS_PER_RUN 200
#define FETCH_FIELDS "mailbox-guid uid flags hdr.x-shopdesk-ticket"
#define FETCH_COLUMNS 4
/* MAILBOX_TRANSACTION_FLAG_NO_NOTIFY, Dovecot's lib-storage/mail-storage.h */
#define TRANS_FLAGS_NO_NOTIFY "64"

/* What a message may need, one "flags" command each per folder */
enum change {
	STATUS_ON,		/* the status's keyword added */
	OTHERS_OFF,		/* the other statuses' keywords removed */
	OVERDUE_ON,
	OVERDUE_OFF,
	CHANGES
};

struct folder {
	GString *uids[CHANGES];	/* comma-separated */
	unsigned int count[CHANGES];
	unsigned int messages;	/* that needed any change */
};

static void folder_free(gpointer data)
{
	struct folder *f = data;

	for (unsigned int i = 0; i < CHANGES; i++)
		g_string_free(f->uids[i], TRUE);
	g_free(f);
}

static enum mbsync_result doveadm(struct doveadm *conn, const char *user,
				  const char *const *args, char ***values_r,
				  char **why_r)
{
	enum mbsync_result result = MBSYNC_RETRY;
	char *error = NULL;

	switch (doveadm_run(conn, user, args, values_r, &error)) {
	case DOVEADM_DONE:
		return MBSYNC_DONE;
	case DOVEADM_REFUSED:
		/* no such user, no such folder: waiting won't help */
		if (strcmp(error, "NOUSER") == 0 ||
		    strcmp(error, "NOTFOUND") == 0)
			result = MBSYNC_FAILED;
		*why_r = g_strdup_printf("doveadm %s: %s (see Dovecot's log)",
					 args[0],
					 *error != '\0' ? error : "failed");
		break;
	case DOVEADM_LOST:
		*why_r = g_strdup_printf("doveadm %s: %s", args[0], error);
		break;
	}
	g_free(error);
	return result;
}

static bool has_word(char *const *words, const char *word)
{
	for (; *words != NULL; words++) {
		if (g_ascii_strcasecmp(*words, word) == 0)
			return true;
	}
	return false;
}

static struct folder *folder_of(GHashTable *folders, const char *guid)
{
	struct folder *f = g_hash_table_lookup(folders, guid);

	if (f == NULL) {
		f = g_new0(struct folder, 1);
		for (unsigned int i = 0; i < CHANGES; i++)
			f->uids[i] = g_string_new(NULL);
		g_hash_table_insert(folders, g_strdup(guid), f);
	}
	return f;
}

static void add_uid(struct folder *f, enum change change, const char *uid)
{
	if (f->uids[change]->len > 0)
		g_string_append_c(f->uids[change], ',');
	g_string_append(f->uids[change], uid);
	f->count[change]++;
}

/* Reads fetch's values, FETCH_COLUMNS a message (mailbox-guid, uid,
   flags, header), into per-folder work.  Returns 0, or -1 with *why_r
   for output it does not understand. */
static int plan(const struct config *config, char **values, const char *id,
		enum ticket_status status, bool overdue, GHashTable *folders,
		char **why_r)
{
	const char *keep = config->status_keyword[status];

	if (g_strv_length(values) % FETCH_COLUMNS != 0) {
		*why_r = g_strdup("doveadm fetch: unexpected output");
		return -1;
	}
	for (char **row = values; *row != NULL; row += FETCH_COLUMNS) {
		const char *guid = row[0], *uid = row[1];
		char **flags;
		struct folder *f;
		bool shows, marked, other = false;

		if (strcmp(g_strstrip(row[3]), id) != 0 || *uid == '\0' ||
		    strspn(uid, "0123456789") != strlen(uid))
			continue;	/* 15 when looking for 5 */
		flags = g_strsplit(row[2], " ", -1);
		shows = keep == NULL || has_word(flags, keep);
		for (unsigned int i = 0; config->keyword_names[i] != NULL;
		     i++) {
			if (config->keyword_status[i] != (int)status &&
			    has_word(flags, config->keyword_names[i]))
				other = true;
		}
		marked = has_word(flags, MBSYNC_OVERDUE);
		if (!shows || other || marked != overdue) {
			f = folder_of(folders, guid);
			f->messages++;
			if (!shows)
				add_uid(f, STATUS_ON, uid);
			if (other)
				add_uid(f, OTHERS_OFF, uid);
			if (marked != overdue)
				add_uid(f, overdue ? OVERDUE_ON : OVERDUE_OFF,
					uid);
		}
		g_strfreev(flags);
	}
	return 0;
}

/* "flags add|remove --trans-flags NO_NOTIFY -- KEYWORDS mailbox-guid G
   uid SET" for user, UIDS_PER_RUN uids at a time. */
static enum mbsync_result set_flags(struct doveadm *conn, const char *command,
				    const char *user, const char *keywords,
				    const char *guid, const char *uids,
				    char **why_r)
{
	char **list = g_strsplit(uids, ",", -1);
	enum mbsync_result result = MBSYNC_DONE;
	unsigned int n = g_strv_length(list);

	for (unsigned int i = 0; i < n && result == MBSYNC_DONE;
	     i += UIDS_PER_RUN) {
		char *saved = list[MIN(i + UIDS_PER_RUN, n)];
		char *set;

		list[MIN(i + UIDS_PER_RUN, n)] = NULL;
		set = g_strjoinv(",", list + i);
		list[MIN(i + UIDS_PER_RUN, n)] = saved;
		const char *args[] = {
			command, "--trans-flags", TRANS_FLAGS_NO_NOTIFY, "--",
			keywords, "mailbox-guid", guid, "uid", set, NULL
		};
		result = doveadm(conn, user, args, NULL, why_r);
		g_free(set);
	}
	g_strfreev(list);
	return result;
}

/* Every mapped keyword that shows another status, space-separated */
static char *other_keywords(const struct config *config,
			    enum ticket_status status)
{
	GString *out = g_string_new(NULL);

	for (unsigned int i = 0; config->keyword_names[i] != NULL; i++) {
		if (config->keyword_status[i] == (int)status)
			continue;
		if (out->len > 0)
			g_string_append_c(out, ' ');
		g_string_append(out, config->keyword_names[i]);
	}
	return g_string_free(out, FALSE);
}

enum mbsync_result mbsync_ticket(const struct config *config,
				 const char *user, uint32_t id,
				 enum ticket_status status, bool overdue,
				 unsigned int *changed_r, char **why_r)
{
	char *ticket = g_strdup_printf("%u", id);
	const char *fetch[] = {
		"fetch", FETCH_FIELDS,
		"mailbox", "*", "header", "X-Shopdesk-Ticket", ticket, NULL
	};
	GHashTable *folders = g_hash_table_new_full(g_str_hash, g_str_equal,
						    g_free, folder_free);
	char *others = other_keywords(config, status);
	enum mbsync_result result = MBSYNC_DONE;
	struct doveadm *conn = NULL;
	char **values = NULL;
	GHashTableIter iter;
	gpointer guid, value;

	*changed_r = 0;
	if (doveadm_connect(config->doveadm_socket,
			    (unsigned int)config->doveadm_timeout, &conn,
			    why_r) < 0)
		result = MBSYNC_RETRY;
	if (result == MBSYNC_DONE)
		result = doveadm(conn, user, fetch, &values, why_r);
	if (result == MBSYNC_DONE &&
	    plan(config, values, ticket, status, overdue, folders,
		 why_r) < 0)
		result = MBSYNC_FAILED;
	g_hash_table_iter_init(&iter, folders);
	while (result == MBSYNC_DONE &&
	       g_hash_table_iter_next(&iter, &guid, &value)) {
		struct folder *f = value;
		const struct {
			const char *command, *keywords;
		} how[CHANGES] = {
			[STATUS_ON] = { "flags add",
					config->status_keyword[status] },
			[OTHERS_OFF] = { "flags remove", others },
			[OVERDUE_ON] = { "flags add", MBSYNC_OVERDUE },
			[OVERDUE_OFF] = { "flags remove", MBSYNC_OVERDUE },
		};

		for (unsigned int i = 0; i < CHANGES &&
		     result == MBSYNC_DONE; i++) {
			if (f->count[i] > 0 && how[i].keywords != NULL &&
			    *how[i].keywords != '\0')
				result = set_flags(conn, how[i].command, user,
						   how[i].keywords, guid,
						   f->uids[i]->str, why_r);
		}
		if (result == MBSYNC_DONE)
			*changed_r += f->messages;
	}
	doveadm_close(&conn);
	g_hash_table_unref(folders);
	g_strfreev(values);
	g_free(others);
	g_free(ticket);
	return result;
}
