/* mbsync.c: sets a ticket's status keywords in a Dovecot mailbox with
   doveadm, the interface Dovecot offers for changing mail from outside
   the mail processes.  One "fetch" lists the messages whose
   X-Shopdesk-Ticket header holds the ticket number (an IMAP header
   search matches substrings, so "5" also finds 15: the header's value
   is compared exactly here), then at most two "flags" runs per folder
   take the other statuses' keywords off and put the status's keyword
   on.

   It does not decide when: the milter's worker calls it for each
   ticket the store marks (store_mailbox_pending). */

#include "mbsync.h"
#include "run.h"

#include <string.h>
#include <sysexits.h>

#define UIDS_PER_RUN 200

struct folder {
	GString *add;		/* uids, comma-separated */
	GString *remove;
	unsigned int add_count, remove_count;
};

static void folder_free(gpointer data)
{
	struct folder *f = data;

	g_string_free(f->add, TRUE);
	g_string_free(f->remove, TRUE);
	g_free(f);
}

/* doveadm's words, the quiet option, then the rest */
static char **doveadm_argv(const char *doveadm, const char *const *rest)
{
	GPtrArray *argv = g_ptr_array_new();
	char **words;

	if (!g_shell_parse_argv(doveadm, NULL, &words, NULL))
		g_error("doveadm %s: config_load() accepted it", doveadm);
	for (char **w = words; *w != NULL; w++)
		g_ptr_array_add(argv, *w);
	g_free(words);
	g_ptr_array_add(argv, g_strdup("-o"));
	g_ptr_array_add(argv, g_strdup("plugin/shopdesk_events=no"));
	for (; *rest != NULL; rest++)
		g_ptr_array_add(argv, g_strdup(*rest));
	g_ptr_array_add(argv, NULL);
	return (char **)g_ptr_array_free(argv, FALSE);
}

static enum mbsync_result doveadm(const struct config *config,
				  const char *const *rest, char **out_r,
				  char **why_r)
{
	char **argv = doveadm_argv(config->doveadm, rest);
	char *name = g_strdup_printf("doveadm %s", rest[0]);
	enum mbsync_result result = MBSYNC_DONE;
	struct run_result run;

	run_program((const char *const *)argv, NULL,
		    (unsigned int)config->doveadm_timeout, false, &run);
	*why_r = run_failure(name, &run, (unsigned int)config->doveadm_timeout,
			     run.err);
	if (*why_r == NULL) {
		if (out_r != NULL)
			*out_r = g_steal_pointer(&run.out);
	} else if (run.status == RUN_EXITED &&
		   (run.code == EX_NOUSER || run.code == EX_NOHOST)) {
		/* no such user, or no such folder: waiting won't help */
		result = MBSYNC_FAILED;
	} else {
		result = MBSYNC_RETRY;
	}
	run_result_clear(&run);
	g_free(name);
	g_strfreev(argv);
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

static void add_uid(GString *uids, unsigned int *count, const char *uid)
{
	if (uids->len > 0)
		g_string_append_c(uids, ',');
	g_string_append(uids, uid);
	(*count)++;
}

/* Reads fetch's tab-separated "mailbox-guid uid flags hdr" rows into
   per-folder work.  Returns 0, or -1 with *why_r for output it does not
   understand. */
static int plan(const struct config *config, const char *output,
		const char *id, enum ticket_status status, GHashTable *folders,
		char **why_r)
{
	const char *keep = config->status_keyword[status];
	char **lines = g_strsplit(output, "\n", -1);
	int ret = 0;

	if (lines[0] == NULL || !g_str_has_prefix(lines[0], "mailbox-guid\t")) {
		*why_r = g_strdup("doveadm fetch: unexpected output");
		g_strfreev(lines);
		return -1;
	}
	for (char **line = lines + 1; *line != NULL; line++) {
		char **cols = g_strsplit(*line, "\t", 4);
		char **flags;
		struct folder *f;
		bool shows, other = false;

		if (g_strv_length(cols) != 4) {
			if (**line != '\0') {
				*why_r = g_strdup_printf("doveadm fetch: "
							 "unexpected line");
				ret = -1;
			}
			g_strfreev(cols);
			if (ret < 0)
				break;
			continue;
		}
		if (strcmp(g_strstrip(cols[3]), id) != 0 ||
		    strspn(cols[1], "0123456789") != strlen(cols[1])) {
			g_strfreev(cols);
			continue;	/* 15 when looking for 5 */
		}
		flags = g_strsplit(cols[2], " ", -1);
		shows = keep == NULL || has_word(flags, keep);
		for (unsigned int i = 0; config->keyword_names[i] != NULL;
		     i++) {
			if (config->keyword_status[i] != (int)status &&
			    has_word(flags, config->keyword_names[i]))
				other = true;
		}
		if (!shows || other) {
			f = g_hash_table_lookup(folders, cols[0]);
			if (f == NULL) {
				f = g_new0(struct folder, 1);
				f->add = g_string_new(NULL);
				f->remove = g_string_new(NULL);
				g_hash_table_insert(folders,
						    g_strdup(cols[0]), f);
			}
			if (!shows)
				add_uid(f->add, &f->add_count, cols[1]);
			if (other)
				add_uid(f->remove, &f->remove_count, cols[1]);
		}
		g_strfreev(flags);
		g_strfreev(cols);
	}
	g_strfreev(lines);
	return ret;
}

/* "doveadm flags add|remove -u USER KEYWORDS mailbox-guid G uid SET",
   UIDS_PER_RUN uids at a time. */
static enum mbsync_result set_flags(const struct config *config,
				    const char *verb, const char *user,
				    const char *keywords, const char *guid,
				    const char *uids, char **why_r)
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
		const char *rest[] = {
			"flags", verb, "-u", user, keywords,
			"mailbox-guid", guid, "uid", set, NULL
		};
		result = doveadm(config, rest, NULL, why_r);
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
				 enum ticket_status status,
				 unsigned int *changed_r, char **why_r)
{
	char *ticket = g_strdup_printf("%u", id);
	const char *fetch[] = {
		"-f", "tab", "fetch", "-u", user,
		"mailbox-guid uid flags hdr.x-shopdesk-ticket",
		"mailbox", "*", "header", "X-Shopdesk-Ticket", ticket, NULL
	};
	GHashTable *folders = g_hash_table_new_full(g_str_hash, g_str_equal,
						    g_free, folder_free);
	char *output = NULL, *others = other_keywords(config, status);
	enum mbsync_result result;
	GHashTableIter iter;
	gpointer guid, value;

	*changed_r = 0;
	result = doveadm(config, fetch, &output, why_r);
	if (result == MBSYNC_DONE &&
	    plan(config, output, ticket, status, folders, why_r) < 0)
		result = MBSYNC_FAILED;
	g_hash_table_iter_init(&iter, folders);
	while (result == MBSYNC_DONE &&
	       g_hash_table_iter_next(&iter, &guid, &value)) {
		struct folder *f = value;

		if (f->remove_count > 0 && *others != '\0')
			result = set_flags(config, "remove", user, others,
					   guid, f->remove->str, why_r);
		if (result == MBSYNC_DONE && f->add_count > 0)
			result = set_flags(config, "add", user,
					   config->status_keyword[status],
					   guid, f->add->str, why_r);
		if (result == MBSYNC_DONE)
			*changed_r += MAX(f->add_count, f->remove_count);
	}
	g_hash_table_unref(folders);
	g_free(output);
	g_free(others);
	g_free(ticket);
	return result;
}
