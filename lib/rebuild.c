/* rebuild.c: the store made again from the queue mailboxes (rebuild.h).
   Reading keeps of each message only what applying needs (about 2 kB:
   its stamps, subject and snippet), so that a mailbox of a hundred
   thousand messages is read in one pass without holding their MIME
   trees (200 MB), and applied in the order the milter filed them. */

#include "rebuild.h"

#include "intake.h"
#include "log.h"
#include "mailmsg.h"
#include "sla.h"
#include "stamp.h"
#include "subject.h"
#include "ticket.h"

#include <errno.h>
#include <fcntl.h>
#include <gmime/gmime.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Messages applied in one transaction */
#define REBUILD_BATCH 200
#define PROGRESS_EVERY 1000
#define DAY (24 * 60 * 60)
/* Messages fetched through doveadm at a time */
#define DOVEADM_CHUNK 500

enum direction { DIR_INBOUND, DIR_OUTBOUND, DIR_NOTE };

/* One message as read. */
struct rmsg {
	int64_t time;		/* filed (X-Shopdesk-Time), or delivered */
	unsigned int order;	/* in reading order, for ties */
	uint32_t ticket;	/* X-Shopdesk-Ticket, 0: unstamped */
	uint32_t seq;		/* X-Shopdesk-Seq: in the ticket's history */
	char *source;		/* where it was read, for the notes */
	int keyword_status;	/* the status its keywords show, or -1 */

	/* stamped */
	enum direction direction;
	int status;		/* X-Shopdesk-Status, or -1 */
	char *queue, *channel, *rule, *queue_id, *from, *category;
	char *language, *assignee, *subject, *customer_name;
	char *customer_address, *participants, *ack_id, *ack_to;
	char *message_id, *date, *snippet, *to, *solved;
	uint32_t linked_to;
	char *linked_why;	/* why a ticket of its own, or NULL */
	int64_t reply_by, promise_by;
	int rating;		/* -1: no answer to "was it solved?" */

	/* unstamped: the message itself, parsed again when applied */
	GBytes *raw;
	char *delivered_to;	/* the queue address it reached */
};

struct rebuild {
	const struct config *config;
	const struct token_key *key;
	bool trust;		/* stamps without the seal count too */
	int64_t now;
	rebuild_progress_func_t *progress;
	void *progress_context;
	GPtrArray *messages;	/* struct rmsg * */
	GHashTable *hours;	/* queue name -> struct hours */
	GHashTable *touched;	/* ids of the tickets messages changed */
	struct rebuild_summary summary;
	uint32_t max_id;
};

static void rmsg_free(gpointer data)
{
	struct rmsg *m = data;

	g_free(m->source);
	g_free(m->queue);
	g_free(m->channel);
	g_free(m->rule);
	g_free(m->queue_id);
	g_free(m->from);
	g_free(m->category);
	g_free(m->language);
	g_free(m->assignee);
	g_free(m->subject);
	g_free(m->customer_name);
	g_free(m->customer_address);
	g_free(m->participants);
	g_free(m->ack_id);
	g_free(m->ack_to);
	g_free(m->message_id);
	g_free(m->date);
	g_free(m->snippet);
	g_free(m->to);
	g_free(m->solved);
	g_free(m->linked_why);
	g_free(m->delivered_to);
	if (m->raw != NULL)
		g_bytes_unref(m->raw);
	g_free(m);
}

struct rebuild *rebuild_new(const struct config *config,
			    const struct token_key *key, bool trust,
			    int64_t now, rebuild_progress_func_t *progress,
			    void *progress_context)
{
	struct rebuild *rb = g_new0(struct rebuild, 1);

	rb->config = config;
	rb->key = key;
	rb->trust = trust;
	rb->now = now;
	rb->progress = progress;
	rb->progress_context = progress_context;
	rb->messages = g_ptr_array_new_with_free_func(rmsg_free);
	rb->summary.notes = g_ptr_array_new_with_free_func(g_free);
	rb->touched = g_hash_table_new(NULL, NULL);
	return rb;
}

void rebuild_free(struct rebuild **_rb)
{
	struct rebuild *rb = *_rb;

	if (rb == NULL)
		return;
	*_rb = NULL;
	g_ptr_array_unref(rb->messages);
	g_ptr_array_unref(rb->summary.notes);
	if (rb->hours != NULL)
		g_hash_table_unref(rb->hours);
	g_hash_table_unref(rb->touched);
	g_free(rb);
}

static void note(struct rebuild *rb, const char *fmt, ...)
	G_GNUC_PRINTF(2, 3);
static void note(struct rebuild *rb, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	g_ptr_array_add(rb->summary.notes, g_strdup_vprintf(fmt, args));
	va_end(args);
}

/* --- reading ---------------------------------------------------------- */

/* A header's value, unfolded and trimmed, or NULL */
static char *header(GMimeMessage *msg, const char *name)
{
	const char *value = g_mime_object_get_header(GMIME_OBJECT(msg), name);

	return value != NULL ? g_strstrip(g_strdup(value)) : NULL;
}

static char *header_text(GMimeMessage *msg, const char *name)
{
	char *raw = header(msg, name), *text;

	if (raw == NULL)
		return NULL;
	text = g_mime_utils_header_decode_text(NULL, raw);
	g_free(raw);
	return text;
}

static int64_t iso_time(const char *text)
{
	GDateTime *dt;
	int64_t t;

	if (text == NULL)
		return 0;
	dt = g_date_time_new_from_iso8601(text, NULL);
	if (dt == NULL)
		return 0;
	t = g_date_time_to_unix(dt);
	g_date_time_unref(dt);
	return t;
}

/* When the server took the message: the newest Received: header's
   date, else its Date:. */
static int64_t delivered_time(GMimeMessage *msg, int64_t fallback)
{
	const char *received = g_mime_object_get_header(GMIME_OBJECT(msg),
							"Received");
	const char *semicolon = received != NULL ?
		strrchr(received, ';') : NULL;
	GDateTime *dt = semicolon != NULL ?
		g_mime_utils_header_decode_date(semicolon + 1) : NULL;
	int64_t t = fallback;

	if (dt == NULL)
		dt = g_mime_message_get_date(msg) != NULL ?
			g_date_time_ref(g_mime_message_get_date(msg)) : NULL;
	if (dt != NULL) {
		t = g_date_time_to_unix(dt);
		g_date_time_unref(dt);
	}
	return t;
}

static int status_of(const char *name)
{
	enum ticket_status status;

	return name != NULL && ticket_status_parse(name, &status) == 0 ?
		(int)status : -1;
}

/* The ticket status a message's keywords show, or -1 */
static int keyword_status(const struct config *config,
			  const char *const *keywords)
{
	for (unsigned int i = 0; keywords != NULL && keywords[i] != NULL;
	     i++) {
		for (int s = TICKET_NEW; s <= TICKET_CLOSED; s++) {
			const char *k = config->status_keyword[s];

			if (k != NULL && *k != '\0' &&
			    g_ascii_strcasecmp(k, keywords[i]) == 0)
				return s;
		}
	}
	return -1;
}

static void read_customer(GMimeMessage *msg, struct rmsg *m)
{
	char *raw = header(msg, "X-Shopdesk-Customer");
	InternetAddressList *list;
	InternetAddress *a;

	if (raw == NULL)
		return;
	list = internet_address_list_parse(NULL, raw);
	a = list != NULL && internet_address_list_length(list) > 0 ?
		internet_address_list_get_address(list, 0) : NULL;
	if (a != NULL && INTERNET_ADDRESS_IS_MAILBOX(a)) {
		const char *name = internet_address_get_name(a);

		m->customer_name = g_strdup(name != NULL ? name : "");
		m->customer_address = g_ascii_strdown(
			internet_address_mailbox_get_addr(
				INTERNET_ADDRESS_MAILBOX(a)), -1);
	}
	if (list != NULL)
		g_object_unref(list);
	g_free(raw);
}

/* "<id> address" */
static void read_ack(GMimeMessage *msg, struct rmsg *m)
{
	char *raw = header(msg, "X-Shopdesk-Ack");
	char *end = raw != NULL && *raw == '<' ? strchr(raw, '>') : NULL;

	if (end != NULL) {
		m->ack_id = g_strndup(raw + 1, end - raw - 1);
		m->ack_to = g_strstrip(g_strdup(end + 1));
	}
	g_free(raw);
}

/* "SCORE SOLVED" */
static void read_rating(GMimeMessage *msg, struct rmsg *m)
{
	char *raw = header(msg, "X-Shopdesk-Rating");
	char **words = raw != NULL ? g_strsplit(raw, " ", 2) : NULL;

	m->rating = -1;
	if (words != NULL && words[0] != NULL && words[1] != NULL) {
		m->rating = atoi(words[0]);
		m->solved = g_strdup(strcmp(words[1], "-") == 0 ? "" :
				     words[1]);
	}
	g_strfreev(words);
	g_free(raw);
}

/* The addresses of copied that are no shop's (as the milter keeps a
   customer's mail's others: pipeline.c), NULL-terminated, borrowed */
static GPtrArray *customers_in(const struct config *config,
			       const GPtrArray *copied)
{
	GPtrArray *list = g_ptr_array_new();

	for (unsigned int i = 0; copied->pdata[i] != NULL; i++) {
		const char *address = copied->pdata[i];

		if (strchr(address, '@') != NULL &&
		    !config_shop_address(config, address))
			g_ptr_array_add(list, (char *)address);
	}
	g_ptr_array_add(list, NULL);
	return list;
}

/* The Message-ID the milter filed the message under */
static char *filed_id(GMimeMessage *msg)
{
	char *stamped = header(msg, "X-Shopdesk-Message-Id");
	char *id = stamped != NULL ? mailmsg_unbracket(stamped) : NULL;

	g_free(stamped);
	if (id == NULL && g_mime_message_get_message_id(msg) != NULL)
		id = g_strdup(g_mime_message_get_message_id(msg));
	return id;
}

/* Whether the message's stamps carry this installation's seal */
static bool sealed(const struct rebuild *rb, GMimeMessage *msg)
{
	GMimeHeaderList *list =
		g_mime_object_get_header_list(GMIME_OBJECT(msg));
	int count = g_mime_header_list_get_count(list);
	GString *text = g_string_new(NULL);
	char *given = header(msg, STAMP_SEAL_HEADER), *id, *seal;
	bool ok;

	for (int i = 0; i < count; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(list, i);

		stamp_text_add(text, g_mime_header_get_name(h),
			       g_mime_header_get_raw_value(h));
	}
	id = filed_id(msg);
	seal = stamp_seal(rb->key, text, id);
	ok = given != NULL && strcmp(given, seal) == 0;
	g_free(seal);
	g_free(id);
	g_free(given);
	g_string_free(text, TRUE);
	return ok;
}

/* A ticket id (1 to UINT32_MAX - 1, which the store can give) at the
   start of text, or 0 */
static uint32_t id_of(const char *text)
{
	char *end;
	guint64 n = g_ascii_strtoull(text, &end, 10);

	return end != text && n < UINT32_MAX ? (uint32_t)n : 0;
}

/* "3", or "3 (closed)" on the mail that made the ticket */
static void read_linked(const char *text, struct rmsg *m)
{
	const char *open;

	if (text == NULL)
		return;
	m->linked_to = id_of(text);
	open = strchr(text, '(');
	if (open != NULL && g_str_has_suffix(open, ")"))
		m->linked_why = g_strndup(open + 1, strlen(open) - 2);
}

static void read_stamps(struct rebuild *rb, GMimeMessage *msg,
			struct rmsg *m)
{
	struct mailmsg_fields f = { 0 };
	char *text = header(msg, "X-Shopdesk-Direction");

	m->direction = text == NULL || strcmp(text, "inbound") == 0 ?
		DIR_INBOUND : strcmp(text, "note") == 0 ? DIR_NOTE :
		DIR_OUTBOUND;
	g_free(text);
	text = header(msg, "X-Shopdesk-Status");
	m->status = status_of(text);
	g_free(text);
	m->queue = header(msg, "X-Shopdesk-Queue");
	m->channel = header(msg, "X-Shopdesk-Channel");
	m->rule = header(msg, "X-Shopdesk-Rule");
	m->queue_id = header(msg, "X-Shopdesk-Queue-Id");
	m->from = header(msg, "X-Shopdesk-From");
	m->category = header(msg, "X-Shopdesk-Category");
	m->language = header(msg, "X-Shopdesk-Language");
	m->assignee = header(msg, "X-Shopdesk-Assignee");
	text = header(msg, "X-Shopdesk-Linked-To");
	read_linked(text, m);
	g_free(text);
	text = header(msg, "X-Shopdesk-Reply-By");
	m->reply_by = iso_time(text);
	g_free(text);
	text = header(msg, "X-Shopdesk-Promise-By");
	m->promise_by = iso_time(text);
	g_free(text);
	m->participants = header(msg, "X-Shopdesk-Participants");
	read_customer(msg, m);
	read_ack(msg, m);
	read_rating(msg, m);

	mailmsg_read_fields(msg, "", rb->config, &f);
	m->subject = header_text(msg, "X-Shopdesk-Subject");
	if (m->subject == NULL)
		m->subject = g_strdup(f.subject);
	m->message_id = filed_id(msg);
	if (m->message_id == NULL)
		m->message_id = g_strdup("");
	m->date = ticket_format_time(f.date);
	m->snippet = g_strdup(f.snippet);
	if (m->from == NULL)
		m->from = g_strdup(f.from_address);
	if (m->direction != DIR_INBOUND) {
		/* the customers an agent's mail went to, as far as its To:
		   and Cc: tell (the envelope's Bcc is in no header) */
		GPtrArray *customers = customers_in(rb->config, f.copied);

		m->to = g_strjoinv(", ", (char **)customers->pdata);
		g_ptr_array_unref(customers);
	}
	mailmsg_fields_clear(&f);
}

/* The queue address the message was delivered to: the topmost
   Delivered-To (Dovecot's, of this delivery; any below came with the
   message), or NULL. */
static char *queue_address(const struct config *config, GMimeMessage *msg)
{
	GMimeHeaderList *list =
		g_mime_object_get_header_list(GMIME_OBJECT(msg));
	int count = g_mime_header_list_get_count(list);

	for (int i = 0; i < count; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(list, i);
		const char *name = g_mime_header_get_name(h);
		char *value;

		if (g_ascii_strcasecmp(name, "Delivered-To") != 0 &&
		    g_ascii_strcasecmp(name, "X-Original-To") != 0)
			continue;
		value = mailmsg_unbracket(g_mime_header_get_value(h));
		if (value != NULL &&
		    config_find_queue(config, value, NULL, NULL) == NULL)
			g_clear_pointer(&value, g_free);
		return value;
	}
	return NULL;
}

/* Reads one message: what applying needs of a stamped one, the message
   itself when it has no stamps (or stamps without the seal); a note
   when it is no message at all. */
static void add_message(struct rebuild *rb, const char *source,
			GBytes *raw, const char *const *keywords,
			const char *queue, int64_t mtime)
{
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(
		g_bytes_get_data(raw, NULL), g_bytes_get_size(raw));
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	GMimeMessage *msg = g_mime_parser_construct_message(parser, NULL);
	struct rmsg *m;
	char *ticket;

	g_object_unref(parser);
	g_object_unref(stream);
	rb->summary.messages++;
	if (rb->progress != NULL && rb->summary.messages % PROGRESS_EVERY == 0)
		rb->progress("read", rb->summary.messages, 0,
			     rb->progress_context);
	if (msg == NULL) {
		rb->summary.skipped++;
		note(rb, "%s: skipped: not a message", source);
		return;
	}
	m = g_new0(struct rmsg, 1);
	m->source = g_strdup(source);
	m->order = rb->messages->len;
	m->keyword_status = keyword_status(rb->config, keywords);
	ticket = header(msg, "X-Shopdesk-Ticket");
	m->ticket = ticket != NULL ? id_of(ticket) : 0;
	g_free(ticket);
	if (m->ticket != 0 && !rb->trust && !sealed(rb, msg)) {
		note(rb, "%s: stamps without this installation's seal "
		     "(forged, or from before seals): threaded anew",
		     source);
		m->ticket = 0;
	}
	if (m->ticket != 0) {
		char *time = header(msg, "X-Shopdesk-Time");

		m->time = iso_time(time);
		g_free(time);
		time = header(msg, "X-Shopdesk-Seq");
		m->seq = time != NULL ?
			id_of(time) : 0;
		g_free(time);
		if (m->time == 0)
			m->time = delivered_time(msg, mtime);
		read_stamps(rb, msg, m);
		if (m->ticket > rb->max_id)
			rb->max_id = m->ticket;
	} else {
		m->time = delivered_time(msg, mtime);
		m->delivered_to = queue_address(rb->config, msg);
		m->queue = g_strdup(queue);
		m->raw = g_bytes_ref(raw);
	}
	g_ptr_array_add(rb->messages, m);
	g_object_unref(msg);
}

/* dovecot-keywords: "0 open" lines */
static char **maildir_keywords(const char *dir)
{
	char *path = g_build_filename(dir, "dovecot-keywords", NULL);
	char *text = NULL, **lines;
	char **names = g_new0(char *, 27);

	if (g_file_get_contents(path, &text, NULL, NULL)) {
		lines = g_strsplit(text, "\n", -1);
		for (unsigned int i = 0; lines[i] != NULL; i++) {
			char *space = strchr(lines[i], ' ');
			unsigned int n = (unsigned int)atoi(lines[i]);

			if (space != NULL && n < 26 && names[n] == NULL)
				names[n] = g_strdup(space + 1);
		}
		g_strfreev(lines);
	}
	/* every slot set, so that the array stays NULL-terminated at 26 */
	for (unsigned int i = 0; i < 26; i++)
		if (names[i] == NULL)
			names[i] = g_strdup("");
	g_free(text);
	g_free(path);
	return names;
}

/* The keywords a Maildir file name's flags (":2,Sab") name */
static char **file_keywords(const char *name, char *const *names)
{
	const char *info = strstr(name, ":2,");
	GPtrArray *out = g_ptr_array_new();

	for (const char *p = info != NULL ? info + 3 : ""; *p != '\0'; p++)
		if (*p >= 'a' && *p <= 'z' && *names[*p - 'a'] != '\0')
			g_ptr_array_add(out, g_strdup(names[*p - 'a']));
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}

/* A message file: a regular file, not followed through a link; past
   parse_max (which the milter does not parse either) its headers
   alone, the first header_max bytes.  Returns the bytes and sets
   *mtime_r, or NULL with *error_r. */
static GBytes *read_message_file(const struct config *config,
				 const char *path, int64_t *mtime_r,
				 char **error_r)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	size_t size, done = 0;
	guint8 *data;

	if (fd < 0 || fstat(fd, &st) < 0) {
		*error_r = g_strdup(g_strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		*error_r = g_strdup("not a regular file");
		close(fd);
		return NULL;
	}
	size = (size_t)st.st_size;
	if (size > config->parse_max)
		size = MIN(size, config->header_max);
	data = g_malloc(size + 1);
	while (done < size) {
		ssize_t n = read(fd, data + done, size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	close(fd);
	*mtime_r = st.st_mtime;
	return g_bytes_new_take(data, done);
}

static void read_maildir_folder(struct rebuild *rb, const char *queue,
				const char *folder)
{
	static const char *const subdirs[] = { "cur", "new" };
	char **names = maildir_keywords(folder);

	for (unsigned int s = 0; s < G_N_ELEMENTS(subdirs); s++) {
		char *dir = g_build_filename(folder, subdirs[s], NULL);
		GError *gerror = NULL;
		GDir *d = g_dir_open(dir, 0, &gerror);
		const char *name;

		if (d == NULL) {
			rb->summary.skipped++;
			note(rb, "%s: skipped: %s", dir, gerror->message);
			g_error_free(gerror);
		}
		while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
			char *path = g_build_filename(dir, name, NULL);
			char *error = NULL, **keywords;
			int64_t mtime = 0;
			GBytes *raw = read_message_file(rb->config, path,
							&mtime, &error);

			if (raw == NULL) {
				/* renamed by Dovecot meanwhile, or worse */
				rb->summary.skipped++;
				note(rb, "%s: skipped: %s", path, error);
				g_free(error);
				g_free(path);
				continue;
			}
			keywords = file_keywords(name, names);
			add_message(rb, path, raw,
				    (const char *const *)keywords, queue,
				    mtime);
			g_bytes_unref(raw);
			g_strfreev(keywords);
			g_free(path);
		}
		if (d != NULL)
			g_dir_close(d);
		g_free(dir);
	}
	g_strfreev(names);
}

/* Each folder below dir holding a cur/ (Maildir++ ".Sales.Sent" or
   LAYOUT=fs "Sales/Sent"), depth first. */
static void read_maildir_tree(struct rebuild *rb, const char *queue,
			      const char *dir, unsigned int depth)
{
	GDir *d;
	const char *name;
	char *cur = g_build_filename(dir, "cur", NULL);

	if (g_file_test(cur, G_FILE_TEST_IS_DIR))
		read_maildir_folder(rb, queue, dir);
	g_free(cur);
	if (depth > 16 || (d = g_dir_open(dir, 0, NULL)) == NULL)
		return;
	while ((name = g_dir_read_name(d)) != NULL) {
		char *sub;

		if (strcmp(name, "cur") == 0 || strcmp(name, "new") == 0 ||
		    strcmp(name, "tmp") == 0)
			continue;
		sub = g_build_filename(dir, name, NULL);
		if (g_file_test(sub, G_FILE_TEST_IS_DIR) &&
		    !g_file_test(sub, G_FILE_TEST_IS_SYMLINK))
			read_maildir_tree(rb, queue, sub, depth + 1);
		g_free(sub);
	}
	g_dir_close(d);
}

int rebuild_add_maildir(struct rebuild *rb, const char *queue,
			const char *path, char **error_r)
{
	char *cur = g_build_filename(path, "cur", NULL);
	bool maildir = g_file_test(cur, G_FILE_TEST_IS_DIR);

	g_free(cur);
	if (!maildir) {
		*error_r = g_strdup_printf("%s: not a Maildir (no cur/)",
					   path);
		return -1;
	}
	read_maildir_tree(rb, queue, path, 0);
	return 0;
}

/* Runs a doveadm command for user: its values in *values_r, or -1 with
   *error_r. */
/* Runs a doveadm command for user: 0 with its values in *values_r; 1
   when Dovecot refused it (a folder that cannot be selected, say), -1
   when the server is lost; both with *error_r. */
static int doveadm(struct doveadm *conn, const char *user,
		   const char *const *args, char ***values_r, char **error_r)
{
	enum doveadm_reply reply;
	char *error = NULL;

	*values_r = NULL;
	reply = doveadm_run(conn, user, args, values_r, &error);
	if (reply == DOVEADM_DONE) {
		if (*values_r == NULL)
			*values_r = g_new0(char *, 1);
		return 0;
	}
	*error_r = g_strdup_printf("doveadm %s for %s: %s", args[0], user,
				   error != NULL && *error != '\0' ? error :
				   "failed");
	g_free(error);
	return reply == DOVEADM_REFUSED ? 1 : -1;
}

/* One folder: its uids and flags first, then the messages a chunk of
   uids at a time, so that no more than a chunk is in memory. */
static int read_doveadm_folder(struct rebuild *rb, struct doveadm *conn,
			       const char *user, const char *folder,
			       const char *queue, char **error_r)
{
	const char *list_args[] = {
		"fetch", "uid flags", "mailbox", folder, "all", NULL
	};
	char **list, **texts;
	unsigned int n;
	int ret = doveadm(conn, user, list_args, &list, error_r);

	if (ret != 0) {
		if (ret < 0)
			return -1;
		/* a folder only a name in the tree: nothing to read */
		rb->summary.skipped++;
		note(rb, "%s: %s: skipped: %s", user, folder, *error_r);
		g_clear_pointer(error_r, g_free);
		return 0;
	}
	n = g_strv_length(list) / 2;
	for (unsigned int first = 0; first < n; first += DOVEADM_CHUNK) {
		unsigned int last = MIN(first + DOVEADM_CHUNK, n) - 1;
		char *uids = g_strdup_printf("%s:%s", list[2 * first],
					     list[2 * last]);
		const char *args[] = {
			"fetch", "uid text", "mailbox", folder, "uid", uids,
			NULL
		};
		GHashTable *flags = g_hash_table_new(g_str_hash, g_str_equal);

		for (unsigned int i = first; i <= last; i++)
			g_hash_table_insert(flags, list[2 * i],
					    list[2 * i + 1]);
		if (doveadm(conn, user, args, &texts, error_r) != 0) {
			g_hash_table_unref(flags);
			g_free(uids);
			g_strfreev(list);
			return -1;
		}
		for (unsigned int i = 0; texts[i] != NULL &&
		     texts[i + 1] != NULL; i += 2) {
			const char *f = g_hash_table_lookup(flags, texts[i]);
			char **keywords = g_strsplit(f != NULL ? f : "", " ",
						     -1);
			char *source = g_strdup_printf("%s: %s uid %s", user,
						       folder, texts[i]);
			GBytes *raw = g_bytes_new(
				texts[i + 1], strlen(texts[i + 1]));

			add_message(rb, source, raw,
				    (const char *const *)keywords, queue, 0);
			g_bytes_unref(raw);
			g_free(source);
			g_strfreev(keywords);
		}
		g_strfreev(texts);
		g_hash_table_unref(flags);
		g_free(uids);
	}
	g_strfreev(list);
	return 0;
}

int rebuild_add_doveadm(struct rebuild *rb, struct doveadm *conn,
			const char *user, const char *queue, char **error_r)
{
	static const char *const args[] = { "mailbox list", NULL };
	char **folders;
	int ret = 0;

	if (doveadm(conn, user, args, &folders, error_r) != 0)
		return -1;
	for (unsigned int i = 0; ret == 0 && folders[i] != NULL; i++)
		ret = read_doveadm_folder(rb, conn, user, folders[i], queue,
					  error_r);
	g_strfreev(folders);
	return ret;
}

/* --- applying --------------------------------------------------------- */

static gint by_time(gconstpointer a, gconstpointer b)
{
	const struct rmsg *x = *(struct rmsg *const *)a;
	const struct rmsg *y = *(struct rmsg *const *)b;

	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	/* in the same second, a ticket's messages in their history's
	   order */
	if (x->ticket != y->ticket)
		return x->ticket < y->ticket ? -1 : 1;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static void set_string(char **field, const char *value)
{
	if (value == NULL || strcmp(*field, value) == 0)
		return;
	g_free(*field);
	*field = g_strdup(value);
}

/* When the milter warned, or will warn, that the promise a message
   started is about to break: the queue's sla_warn, counted as the
   milter counts it from the time it filed the message (sla.c). */
static int64_t warn_at(const struct rebuild *rb, const char *queue_name,
		       bool first, int64_t start)
{
	const struct config_queue *queue =
		config_queue_by_name(rb->config, queue_name);
	int64_t promise_by, warn = 0;
	char *error = NULL;

	if (queue == NULL ||
	    sla_promise(g_hash_table_lookup(rb->hours, queue->name),
			first ? queue->sla_first_reply : queue->sla_next_reply,
			queue->sla_warn, start, &promise_by, &warn,
			&error) < 0)
		warn = 0;
	g_free(error);
	return warn;
}

/* The ticket the first message read of it makes; its created event,
   and the followed_by line of the ticket it follows. */
static int create_ticket(struct store_txn *txn, const struct rebuild *rb,
		  const struct rmsg *m, struct ticket **ticket_r,
		  char **error_r)
{
	struct ticket *t = ticket_new(), *linked;
	GVariantBuilder b;
	int ret;

	t->id = m->ticket;
	set_string(&t->queue, m->queue);
	set_string(&t->channel, m->channel);
	set_string(&t->customer_name, m->customer_name != NULL ?
		   m->customer_name : "");
	/* its customer: stamped on the mail that opened it; when that is
	   gone, the sender of a customer's mail, or an agent's addressee */
	if (m->customer_address != NULL)
		set_string(&t->customer_address, m->customer_address);
	else if (m->direction == DIR_INBOUND)
		set_string(&t->customer_address, m->from);
	else {
		g_free(t->customer_address);
		t->customer_address = g_strndup(m->to, strcspn(m->to, ","));
	}
	set_string(&t->subject, m->subject);
	set_string(&t->language, m->language);
	set_string(&t->category, m->category);
	t->status = TICKET_NEW;
	t->created = m->time;
	t->reply_by = m->reply_by;
	if (m->reply_by != 0) {
		t->sla = SLA_OK;
		t->awaiting = true;
		t->promise_by = m->reply_by;
		t->warn_at = warn_at(rb, t->queue, true, m->time);
	}
	t->linked_to = m->linked_to;
	*ticket_r = t;
	g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
	if (t->linked_to != 0)
		g_variant_builder_add(&b, "{sv}", "linked_to",
				      g_variant_new_uint32(t->linked_to));
	if (t->linked_to != 0 && m->linked_why != NULL)
		g_variant_builder_add(&b, "{sv}", "why",
				      g_variant_new_string(m->linked_why));
	if (store_event_add(txn, t, m->time, "created",
			    g_variant_builder_end(&b), error_r) < 0)
		return -1;
	if (t->linked_to == 0)
		return 0;
	ret = store_ticket_get(txn, t->linked_to, &linked, error_r);
	if (ret <= 0)
		return ret;
	ret = store_event_add(
		txn, linked, m->time, "followed_by",
		g_variant_new_parsed("{'ticket': <%u>, 'from': <%s>, "
				     "'why': <%s>}",
				     t->id, t->customer_address,
				     m->linked_why != NULL ? m->linked_why :
				     ""),
		error_r);
	if (ret == 0)
		ret = store_ticket_put(txn, linked, error_r);
	ticket_free(&linked);
	return ret;
}

static GVariant *message_fields(const struct rmsg *m)
{
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
	g_variant_builder_add(&b, "{sv}", "message_id",
			      g_variant_new_string(m->message_id));
	if (m->direction != DIR_INBOUND) {
		char *date = ticket_format_time(m->time);

		g_variant_builder_add(&b, "{sv}", "date",
				      g_variant_new_string(date));
		g_free(date);
	}
	g_variant_builder_add(&b, "{sv}", "direction", g_variant_new_string(
		m->direction == DIR_INBOUND ? "inbound" :
		m->direction == DIR_NOTE ? "note" : "outbound"));
	g_variant_builder_add(&b, "{sv}", "from",
			      g_variant_new_string(m->from));
	if (m->direction == DIR_INBOUND)
		g_variant_builder_add(&b, "{sv}", "date",
				      g_variant_new_string(m->date != NULL ?
							   m->date : ""));
	else
		g_variant_builder_add(&b, "{sv}", "to",
				      g_variant_new_string(m->to));
	g_variant_builder_add(&b, "{sv}", "queue_id", g_variant_new_string(
		m->queue_id != NULL ? m->queue_id : ""));
	g_variant_builder_add(&b, "{sv}", "rule", g_variant_new_string(
		m->rule != NULL ? m->rule : ""));
	g_variant_builder_add(&b, "{sv}", "subject",
			      g_variant_new_string(m->subject));
	if (m->direction == DIR_INBOUND)
		g_variant_builder_add(&b, "{sv}", "snippet",
				      g_variant_new_string(m->snippet));
	return g_variant_builder_end(&b);
}

/* What a customer's message did besides being filed: the answer to
   "was it solved?", a new promise, the addresses it brought. */
static int apply_inbound(struct store_txn *txn, const struct rebuild *rb,
		   const struct rmsg *m, struct ticket *t, char **error_r)
{
	if (m->rating >= 0) {
		if (m->rating > 0)
			t->rating = m->rating;
		if (store_event_add(txn, t, m->time, "csat",
				    g_variant_new_parsed(
					    "{'score': <%i>, 'solved': <%s>}",
					    (gint32)m->rating, m->solved),
				    error_r) < 0)
			return -1;
	}
	if (m->promise_by != 0 && m->promise_by != t->promise_by) {
		t->sla = SLA_OK;
		t->awaiting = true;
		t->promise_by = m->promise_by;
		t->warn_at = warn_at(rb, t->queue, false, m->time);
	}
	if (m->participants != NULL) {
		char **list = g_strsplit(m->participants, ",", -1);

		for (unsigned int i = 0; list[i] != NULL &&
		     t->participants->len < rb->config->participants_max;
		     i++)
			ticket_add_participant(t, g_strstrip(list[i]));
		g_strfreev(list);
	}
	t->last_inbound = m->time;
	return 0;
}

/* The acknowledgement the message got */
static int apply_ack(struct store_txn *txn, const struct rmsg *m,
	       struct ticket *t, char **error_r)
{
	GArray *times;
	int ret;

	set_string(&t->ack_id, m->ack_id);
	set_string(&t->ack_for, m->message_id);
	t->last_ack = m->time;
	if (store_event_add(
		    txn, t, m->time, "ack",
		    g_variant_new_parsed("{'message_id': <%s>, 'to': <%s>}",
					 m->ack_id, m->ack_to),
		    error_r) < 0)
		return -1;
	if (store_sender_acks_get(txn, m->ack_to, &times, error_r) < 0) {
		g_array_unref(times);
		return -1;
	}
	/* the day before it, as the milter keeps them (intake.c) */
	for (guint i = times->len; i > 0; i--)
		if (g_array_index(times, int64_t, i - 1) <= m->time - DAY)
			g_array_remove_index(times, i - 1);
	g_array_append_val(times, m->time);
	ret = store_sender_acks_put(txn, m->ack_to, times, error_r);
	g_array_unref(times);
	return ret;
}

/* A field an agent's command changed */
static int changed(struct store_txn *txn, const struct rmsg *m,
		   struct ticket *t, const char *event, char **field,
		   const char *value, char **error_r)
{
	/* no stamp: mail from before it was stamped, nothing said */
	if (value == NULL || strcmp(*field, value) == 0)
		return 0;
	set_string(field, value);
	return store_event_add(txn, t, m->time, event,
			       g_variant_new_parsed("{'to': <%s>, 'by': <%s>}",
						    value, m->from),
			       error_r);
}

static int indexes(struct store_txn *txn, const struct config *config,
		   const struct rmsg *m, char **error_r)
{
	char *normalized;
	int ret = 0;

	if (*m->message_id != '\0' &&
	    store_msgid_put(txn, m->message_id, m->ticket, error_r) < 0)
		return -1;
	if (m->direction != DIR_INBOUND || *m->from == '\0')
		return 0;
	normalized = subject_normalize(m->subject, config->ticket_tag);
	if (*normalized != '\0')
		ret = store_thread_put(txn, m->from, normalized, m->ticket,
				       error_r);
	g_free(normalized);
	if (ret == 0)
		ret = store_customer_put(txn, m->from, m->ticket, error_r);
	return ret;
}

/* Whether the message is recorded already: a duplicate the milter
   filed again, or the same message in two folders. */
static int recorded(struct store_txn *txn, const struct rmsg *m,
		    char **error_r)
{
	uint32_t id;
	int ret;

	/* a copy the milter filed again says so; by its Message-ID, a
	   copy is told only if the first is there too */
	if (*m->message_id == '\0')
		return m->rule != NULL && strcmp(m->rule, "duplicate") == 0;
	ret = store_msgid_get(txn, m->message_id, &id, error_r);
	return ret <= 0 ? ret : id == m->ticket;
}

/* Applies one stamped message.  Returns 1 when applied, 0 when it was
   recorded already, -1 on error. */
static int apply_stamped(struct store_txn *txn, const struct rebuild *rb,
			 const struct rmsg *m, char **error_r)
{
	struct ticket *t = NULL;
	int old, ret;

	ret = recorded(txn, m, error_r);
	if (ret != 0)
		return ret < 0 ? -1 : 0;
	ret = store_ticket_get(txn, m->ticket, &t, error_r);
	if (ret < 0 ||
	    (ret == 0 && create_ticket(txn, rb, m, &t, error_r) < 0))
		goto fail;
	old = t->status;
	if (m->direction == DIR_INBOUND &&
	    apply_inbound(txn, rb, m, t, error_r) < 0)
		goto fail;
	if (m->direction == DIR_INBOUND && m->status >= 0 &&
	    m->status != old) {
		ticket_set_status(t, m->status, m->time);
		if (store_event_add(
			    txn, t, m->time, "status",
			    g_variant_new_parsed("{'from': <%s>, 'to': <%s>, "
						 "'by': <'customer'>}",
						 ticket_status_name(old),
						 ticket_status_name(m->status)),
			    error_r) < 0)
			goto fail;
	}
	t->updated = m->time;
	if (store_event_add(txn, t, m->time, "message", message_fields(m),
			    error_r) < 0)
		goto fail;
	if (m->direction == DIR_INBOUND && m->ack_id != NULL &&
	    apply_ack(txn, m, t, error_r) < 0)
		goto fail;
	if (m->direction == DIR_OUTBOUND) {
		if (t->first_reply == 0)
			t->first_reply = m->time;
		if (t->awaiting) {
			t->awaiting = false;
			if (t->sla == SLA_OK)
				t->sla = m->time <= t->promise_by ? SLA_MET :
					SLA_BREACHED;
		}
	}
	if (m->direction != DIR_INBOUND) {
		if (changed(txn, m, t, "assign", &t->assignee, m->assignee,
			    error_r) < 0 ||
		    changed(txn, m, t, "category", &t->category, m->category,
			    error_r) < 0)
			goto fail;
		if (m->status >= 0 && m->status != old) {
			ticket_set_status(t, m->status, m->time);
			if (store_event_add(
				    txn, t, m->time, "status",
				    g_variant_new_parsed(
					    "{'from': <%s>, 'to': <%s>, "
					    "'by': <%s>}",
					    ticket_status_name(old),
					    ticket_status_name(m->status),
					    m->from),
				    error_r) < 0)
				goto fail;
		}
	} else {
		set_string(&t->category, m->category);
		set_string(&t->assignee, m->assignee);
	}
	set_string(&t->language, m->language);
	if (store_ticket_put(txn, t, error_r) < 0 ||
	    indexes(txn, rb->config, m, error_r) < 0)
		goto fail;
	ticket_free(&t);
	/* (a transaction run again adds the same id again: no harm) */
	g_hash_table_add(rb->touched, GUINT_TO_POINTER(m->ticket));
	return 1;
fail:
	ticket_free(&t);
	return -1;
}

struct batch {
	struct rebuild *rb;
	guint first, last;	/* messages[first..last) */
	unsigned int applied, duplicates;
};

static int batch_txn(struct store_txn *txn, void *context, char **error_r)
{
	struct batch *b = context;

	b->applied = b->duplicates = 0;
	for (guint i = b->first; i < b->last; i++) {
		int ret = apply_stamped(txn, b->rb, b->rb->messages->pdata[i],
					error_r);

		if (ret < 0)
			return -1;
		if (ret > 0)
			b->applied++;
		else
			b->duplicates++;
	}
	return 0;
}

/* A message without stamps: threaded and filed as if it had just
   arrived, without an acknowledgement or a promise. */
static int apply_unstamped(struct rebuild *rb, struct store *store,
			   struct rmsg *m, char **error_r)
{
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(
		g_bytes_get_data(m->raw, NULL), g_bytes_get_size(m->raw));
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	GMimeMessage *msg = g_mime_parser_construct_message(parser, NULL);
	const struct config_queue *queue = NULL;
	const char *extension = NULL;
	size_t extension_len = 0;
	char *token = NULL;
	const char *tokens[2] = { NULL, NULL };
	struct mailmsg_fields f = { 0 };
	GPtrArray *others = NULL;
	struct intake_result r;
	int ret;

	g_object_unref(parser);
	g_object_unref(stream);
	/* the queue named for the mailbox, else the one it reached; the
	   reply token from the address it reached */
	if (m->delivered_to != NULL)
		queue = config_find_queue(rb->config, m->delivered_to,
					  &extension, &extension_len);
	if (m->queue != NULL)
		queue = config_queue_by_name(rb->config, m->queue);
	if (queue == NULL) {
		rb->summary.skipped++;
		note(rb, "%s: skipped: no stamps, and no queue's address "
		     "in Delivered-To", m->source);
		g_object_unref(msg);
		return 0;
	}
	if (extension != NULL) {
		token = g_strndup(extension, extension_len);
		tokens[0] = token;
	}
	mailmsg_read_fields(msg, "", rb->config, &f);
	others = customers_in(rb->config, f.copied);
	if (config_shop_address(rb->config, f.from_address)) {
		rb->summary.skipped++;
		note(rb, "%s: skipped: no stamps, and from the shop (%s): "
		     "no customer's mail", m->source, f.from_address);
		ret = 0;
		goto out;
	}
	struct intake_message in = {
		.queue_id = "",
		.queue = queue->name,
		.channel = "email",
		.message_id = mailmsg_id_usable(f.message_id) ?
			f.message_id : NULL,
		.references = (const char *const *)f.references->pdata,
		.tokens = tokens,
		.subject = f.subject,
		.from_name = f.from_name,
		.from_address = f.from_address,
		.participants = (const char *const *)others->pdata,
		.date = f.date,
		.snippet = f.snippet,
		.language = "",
		.category = "",
		.now = m->time,
		.ack_to = f.from_address,
		.solved = -1,
	};
	ret = intake_message(store, rb->config, rb->key, &in, &r, error_r);
	if (ret == 0) {
		rb->summary.unstamped++;
		if (r.duplicate)
			rb->summary.duplicates++;
		else
			rb->summary.applied++;
		note(rb, "%s: no stamps: %sticket %u (rule %s)", m->source,
		     r.created ? "new " : "", r.ticket_id,
		     thread_rule_name(r.thread.rule));
		if (r.ticket_id > rb->max_id)
			rb->max_id = r.ticket_id;
	}
out:
	if (others != NULL)
		g_ptr_array_unref(others);
	mailmsg_fields_clear(&f);
	g_free(token);
	g_object_unref(msg);
	return ret;
}

/* The last word of each ticket: the status its newest message's
   keywords show (an agent's change over IMAP, or the milter's own
   after a timer), and the promise that broke while nobody watched. */
struct finish {
	struct rebuild *rb;
	GHashTable *keyword;	/* ticket id -> status + 1, 0: none */
	GArray *ids;		/* the tickets, uint32_t */
	guint first, last;	/* ids[first..last) in this transaction */
	unsigned int tickets;
};

static int finish_ticket(struct store_txn *txn, struct finish *f,
			 uint32_t id, char **error_r)
{
	int status = GPOINTER_TO_INT(g_hash_table_lookup(
		f->keyword, GUINT_TO_POINTER(id))) - 1;
	int64_t now = f->rb->now;
	struct ticket *t;
	int ret = store_ticket_get(txn, id, &t, error_r);

	if (ret <= 0)
		return ret;
	if (!g_hash_table_contains(f->rb->touched, GUINT_TO_POINTER(id)) &&
	    (status < 0 || status == (int)t->status)) {
		/* a ticket of the store the mailbox has nothing new of */
		ticket_free(&t);
		return 0;
	}
	if (status >= 0 && status != (int)t->status) {
		enum ticket_status old = t->status;

		ticket_set_status(t, status, now);
		if (store_event_add(
			    txn, t, now, "status",
			    g_variant_new_parsed("{'from': <%s>, 'to': <%s>, "
						 "'by': <'mailbox'>}",
						 ticket_status_name(old),
						 ticket_status_name(status)),
			    error_r) < 0) {
			ticket_free(&t);
			return -1;
		}
	}
	if (t->status == TICKET_RESOLVED || t->status == TICKET_CLOSED)
		t->awaiting = false;
	/* what the timers did meanwhile, as far as the clock tells */
	if (t->awaiting && t->sla == SLA_OK && now >= t->promise_by)
		t->sla = SLA_BREACHED;
	else if (t->awaiting && t->sla == SLA_OK && t->warn_at != 0 &&
		 now >= t->warn_at)
		t->sla = SLA_WARNED;
	/* asked already, for all the rebuild knows: not twice */
	if (t->status == TICKET_RESOLVED)
		t->followup_sent = t->resolved_at;
	ret = store_ticket_put(txn, t, error_r);
	ticket_free(&t);
	return ret;
}

static int finish_txn(struct store_txn *txn, void *context, char **error_r)
{
	struct finish *f = context;

	for (guint i = f->first; i < f->last; i++)
		if (finish_ticket(txn, f, g_array_index(f->ids, uint32_t, i),
				  error_r) < 0)
			return -1;
	return 0;
}

static bool count_one(const struct ticket *ticket, void *context)
{
	struct finish *f = context;

	(void)ticket;
	f->tickets++;
	return true;
}

/* The ids counter past every ticket the store or the mailbox knows */
static int next_id(struct store_txn *txn, const struct rebuild *rb,
		   char **error_r)
{
	uint32_t next = 1;

	if (store_meta_get(txn, "next_id", &next, error_r) < 0)
		return -1;
	return store_meta_put(txn, "next_id", MAX(next, rb->max_id + 1),
			      error_r);
}

static int count_txn(struct store_txn *txn, void *context, char **error_r)
{
	struct finish *f = context;

	f->tickets = 0;
	if (store_ticket_foreach(txn, count_one, f, error_r) < 0)
		return -1;
	return next_id(txn, f->rb, error_r);
}

static int finish_tickets(struct rebuild *rb, struct store *store,
			  struct finish *f, char **error_r)
{
	GHashTableIter iter;
	gpointer key;

	g_hash_table_iter_init(&iter, f->keyword);
	while (g_hash_table_iter_next(&iter, &key, NULL)) {
		uint32_t id = GPOINTER_TO_UINT(key);

		g_array_append_val(f->ids, id);
	}
	for (f->first = 0; f->first < f->ids->len; f->first = f->last) {
		f->last = MIN(f->first + REBUILD_BATCH, f->ids->len);
		if (store_transaction(store, finish_txn, f, error_r) < 0)
			return -1;
	}
	if (store_transaction(store, count_txn, f, error_r) < 0)
		return -1;
	rb->summary.tickets = f->tickets;
	return 0;
}

static int start_txn(struct store_txn *txn, void *context, char **error_r)
{
	return next_id(txn, context, error_r);
}

int rebuild_run(struct rebuild *rb, struct store *store,
		const struct rebuild_summary **summary_r, char **error_r)
{
	struct finish f = {
		.rb = rb,
		.keyword = g_hash_table_new(NULL, NULL),
		.ids = g_array_new(FALSE, FALSE, sizeof(uint32_t)),
	};
	guint i = 0, n = rb->messages->len;
	int ret = -1;

	if (rb->hours == NULL &&
	    sla_queue_hours(rb->config, &rb->hours, error_r) < 0)
		goto out;
	g_ptr_array_sort(rb->messages, by_time);
	/* The newest message's keyword speaks for its ticket: the milter
	   puts the status's keyword on every message of the ticket, so a
	   newest message without one came after the last change the
	   mailbox shows, and its own stamp is the latest word. */
	for (guint k = 0; k < n; k++) {
		const struct rmsg *m = rb->messages->pdata[k];

		if (m->ticket != 0)
			g_hash_table_insert(f.keyword,
					    GUINT_TO_POINTER(m->ticket),
					    GINT_TO_POINTER(
						    m->keyword_status + 1));
	}
	/* new tickets of unstamped mail come after every stamped one */
	if (store_transaction(store, start_txn, rb, error_r) < 0)
		goto out;
	while (i < n) {
		struct rmsg *m = rb->messages->pdata[i];
		struct batch b = { .rb = rb, .first = i };

		if (m->ticket == 0) {
			if (apply_unstamped(rb, store, m, error_r) < 0)
				goto out;
			i++;
		} else {
			while (i < n && i - b.first < REBUILD_BATCH &&
			       ((struct rmsg *)rb->messages->pdata[i])
			       ->ticket != 0)
				i++;
			b.last = i;
			if (store_transaction(store, batch_txn, &b,
					      error_r) < 0)
				goto out;
			rb->summary.applied += b.applied;
			rb->summary.duplicates += b.duplicates;
		}
		if (rb->progress != NULL)
			rb->progress("apply", i, n, rb->progress_context);
	}
	if (finish_tickets(rb, store, &f, error_r) < 0)
		goto out;
	*summary_r = &rb->summary;
	ret = 0;
out:
	g_hash_table_unref(f.keyword);
	g_array_unref(f.ids);
	return ret;
}
