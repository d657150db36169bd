/* shopdesk-plugin.c: the Dovecot 2.3 mail plugin "shopdesk" (needs
   "notify").  It turns what an agent does to a ticket mail in a mail
   client into events for shopdesk-milter, and shows each delivered
   ticket mail's status as a keyword.

   - Setting or removing a mapped keyword (shopdesk_keywords), and
     copying or moving into a mapped folder (shopdesk_folders), on a
     message with an X-Shopdesk-Ticket header become status events (the
     last one per ticket in a transaction); an expunge of such a message
     becomes an "expunge" event, which the milter records and never
     reads as a status.
   - Events are kept per mail transaction.  Just before the transaction
     commits they are written and synced into the spool's tmp/; once it
     has committed they are renamed into new/, and if it fails they are
     removed.  A spool that cannot be written fails the commit with a
     temporary error, so that the client tries again: nothing the
     mailbox shows goes unrecorded.  A MOVE is a copy plus an expunge of
     the source: the copy carries the status change, the expunge is not
     an event.
   - A delivery (LMTP or LDA, which save through the raw mail) gets the
     keyword of the status in the message's X-Shopdesk-Status header.

   The plugin only writes files under shopdesk_spool/events/, in the
   layout of the milter's spool.h and through lib/evfile.c (compiled
   in: it owns the format), and never talks to the milter: an IMAP
   command never waits on shopdesk.  It does not change keywords after
   delivery: the milter does that, through Dovecot's doveadm server, in
   transactions flagged MAILBOX_TRANSACTION_FLAG_NO_NOTIFY, which the
   notify plugin keeps from this one: the milter's own changes make no
   events.  A crash between the mailbox's commit and the rename leaves
   the events in tmp/, unapplied: the milter cannot tell them from
   those of a commit that never happened. */

#include "lib.h"
#include "array.h"
#include "ioloop.h"
#include "str.h"
#include "hostpid.h"
#include "strnum.h"
#include "write-full.h"
#include "mail-user.h"
#include "mail-storage-private.h"
#include "mail-storage-hooks.h"
#include "notify-plugin.h"
#include "evfile.h"

#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <unistd.h>

#define SHOPDESK_USER_CONTEXT(obj) \
	MODULE_CONTEXT(obj, shopdesk_user_module)
#define SHOPDESK_BOX_CONTEXT(obj) \
	MODULE_CONTEXT_REQUIRE(obj, shopdesk_storage_module)
#define SHOPDESK_TXN_CONTEXT(obj) \
	MODULE_CONTEXT(obj, shopdesk_storage_module)

#define TICKET_HEADER "X-Shopdesk-Ticket"
#define STATUS_HEADER "X-Shopdesk-Status"
#define DEFAULT_KEYWORDS \
	"new=new open=open pending=pending resolved=resolved closed=closed"
#define DEFAULT_FOLDERS "Pending=pending Resolved=resolved Closed=closed"
/* Events per spool file, so that the milter applies a big change in
   transactions of bounded size */
#define EVENTS_PER_FILE 500

const char *shopdesk_plugin_version = DOVECOT_ABI_VERSION;
const char *shopdesk_plugin_dependencies[] = { "notify", NULL };

void shopdesk_plugin_init(struct module *module);
void shopdesk_plugin_deinit(void);

static const char *const statuses[] = {
	"new", "open", "pending", "resolved", "closed", NULL
};

struct mapping {
	const char *name;	/* keyword or folder */
	const char *status;	/* one of statuses[] */
};
ARRAY_DEFINE_TYPE(mapping, struct mapping);

struct shopdesk_user {
	union mail_user_module_context module_ctx;
	const char *events_dir;	/* SPOOL/events */
	const char *status_dir;	/* SPOOL/status: each ticket's status, as
				   the milter last showed it */
	ARRAY_TYPE(mapping) keywords;
	ARRAY_TYPE(mapping) folders;

	/* The source of the message being moved: mailbox_move() expunges
	   it right after its copy, in the same command. */
	struct mailbox *moving_box;
	uint32_t moving_uid;
};

struct txn_event {
	struct evfile_event ev;	/* ticket 0: dropped for a later status */
	bool status;		/* a keyword or folder event */
};

struct shopdesk_txn {
	union mailbox_transaction_module_context module_ctx;
	struct shopdesk_user *suser;
	struct mail_user *user;
	pool_t pool;		/* made with the first event */
	ARRAY(struct txn_event) events;
	ARRAY_TYPE(const_string) tmp_paths;	/* written before commit */
};

static MODULE_CONTEXT_DEFINE_INIT(shopdesk_user_module,
				  &mail_user_module_register);
static MODULE_CONTEXT_DEFINE_INIT(shopdesk_storage_module,
				  &mail_storage_module_register);
static struct notify_context *shopdesk_notify;
/* Spool file names are unique per process: pid and this counter */
static unsigned int shopdesk_counter;

static const char *status_name(const char *value)
{
	for (unsigned int i = 0; statuses[i] != NULL; i++) {
		if (strcmp(statuses[i], value) == 0)
			return statuses[i];
	}
	return NULL;
}

/* "NAME=STATUS NAME=STATUS ..." */
static int parse_mappings(pool_t pool, const char *value,
			  ARRAY_TYPE(mapping) *map, const char **error_r)
{
	const char *const *pairs = t_strsplit_spaces(value, " ");
	struct mapping *m;

	p_array_init(map, pool, 8);
	for (; *pairs != NULL; pairs++) {
		const char *eq = strrchr(*pairs, '=');
		const char *status = eq == NULL ? NULL : status_name(eq + 1);

		if (eq == NULL || eq == *pairs || status == NULL) {
			*error_r = t_strdup_printf(
				"'%s' is not NAME=STATUS with STATUS one of "
				"new, open, pending, resolved, closed", *pairs);
			return -1;
		}
		m = array_append_space(map);
		m->name = p_strdup_until(pool, *pairs, eq);
		m->status = status;
	}
	return 0;
}

static const char *setting(struct mail_user *user, const char *name,
			   const char *fallback)
{
	const char *value = mail_user_plugin_getenv(user, name);

	return value == NULL || *value == '\0' ? fallback : value;
}

static void shopdesk_mail_user_created(struct mail_user *user)
{
	struct shopdesk_user *suser;
	const char *spool, *error;

	spool = mail_user_plugin_getenv(user, "shopdesk_spool");
	if (spool == NULL || *spool == '\0') {
		e_debug(user->event, "shopdesk: shopdesk_spool not set, "
			"plugin inactive");
		return;
	}
	suser = p_new(user->pool, struct shopdesk_user, 1);
	suser->events_dir = p_strconcat(user->pool, spool, "/events", NULL);
	suser->status_dir = p_strconcat(user->pool, spool, "/status", NULL);
	if (parse_mappings(user->pool,
			   setting(user, "shopdesk_keywords", DEFAULT_KEYWORDS),
			   &suser->keywords, &error) < 0 ||
	    parse_mappings(user->pool,
			   setting(user, "shopdesk_folders", DEFAULT_FOLDERS),
			   &suser->folders, &error) < 0) {
		/* Refusing the login would stop the agent's mail too:
		   the plugin stays out of this session, loudly. */
		e_error(user->event, "shopdesk: %s; plugin inactive", error);
		return;
	}
	MODULE_CONTEXT_SET(user, shopdesk_user_module, suser);
}

static const char *keyword_status(struct shopdesk_user *suser,
				  const char *keyword)
{
	const struct mapping *m;

	array_foreach(&suser->keywords, m) {
		if (strcasecmp(m->name, keyword) == 0)
			return m->status;
	}
	return NULL;
}

/* A folder matches by its full name or by its last component, so that
   "Resolved" also covers "Sales/Resolved". */
static const char *folder_status(struct shopdesk_user *suser,
				 struct mailbox *box)
{
	const char *vname = mailbox_get_vname(box);
	char sep = mail_namespace_get_sep(mailbox_get_namespace(box));
	const char *last = strrchr(vname, sep);
	const struct mapping *m;

	last = last == NULL ? vname : last + 1;
	array_foreach(&suser->folders, m) {
		if (strcmp(m->name, vname) == 0 || strcmp(m->name, last) == 0)
			return m->status;
	}
	return NULL;
}

/* The status the message's keywords show (the first mapped one), or
   NULL. */
static const char *keywords_status(struct shopdesk_user *suser,
				   const char *const *keywords)
{
	const char *status;

	for (; keywords != NULL && *keywords != NULL; keywords++) {
		if ((status = keyword_status(suser, *keywords)) != NULL)
			return status;
	}
	return NULL;
}

static bool str_in(const char *const *list, const char *s)
{
	for (; list != NULL && *list != NULL; list++) {
		if (strcmp(*list, s) == 0)
			return TRUE;
	}
	return FALSE;
}

/* The ticket the message names, or 0: digits only, as the milter
   stamps it. */
static uint32_t mail_ticket(struct mail *mail)
{
	const char *value;
	uint32_t ticket;

	if (mail_get_first_header(mail, TICKET_HEADER, &value) <= 0 ||
	    str_to_uint32(t_str_trim(value, " \t"), &ticket) < 0)
		return 0;
	return ticket;
}

/* The mailbox's name for an event, or NULL when the milter would
   refuse it (too long, control characters): no event then. */
static const char *event_mailbox(struct mailbox *box)
{
	const char *vname = mailbox_get_vname(box);

	return evfile_value_ok(vname) ? vname : NULL;
}

/* The message's Message-ID for an event, or NULL (not known) when the
   milter would refuse it. */
static const char *event_message_id(struct mail *mail)
{
	const char *msgid;

	if (mail_get_first_header(mail, "Message-ID", &msgid) <= 0 ||
	    !evfile_value_ok(msgid))
		return NULL;
	return t_str_trim(msgid, " \t");
}

/* Keeps the event in the transaction, its strings copied (old and new
   are statuses[]'s): a status event replaces an earlier one for the
   same ticket. */
static void event_add(struct shopdesk_txn *ctx, const struct evfile_event *ev,
		      bool status)
{
	struct txn_event *tev;

	if (ctx->pool == NULL) {
		ctx->pool = pool_alloconly_create("shopdesk events", 1024);
		p_array_init(&ctx->events, ctx->pool, 8);
		p_array_init(&ctx->tmp_paths, ctx->pool, 2);
	}
	if (status) {
		array_foreach_modifiable(&ctx->events, tev) {
			if (tev->status && tev->ev.ticket == ev->ticket)
				tev->ev.ticket = 0;
		}
	}
	tev = array_append_space(&ctx->events);
	tev->ev = *ev;
	tev->ev.mailbox = p_strdup(ctx->pool, ev->mailbox);
	tev->ev.from = p_strdup(ctx->pool, ev->from);
	tev->ev.message_id = p_strdup(ctx->pool, ev->message_id);
	tev->status = status;
}

static void *shopdesk_transaction_begin(struct mailbox_transaction_context *t)
{
	struct mail_user *user = t->box->storage->user;
	struct shopdesk_user *suser = SHOPDESK_USER_CONTEXT(user);
	struct shopdesk_txn *ctx;

	if (suser == NULL)
		return NULL;
	ctx = i_new(struct shopdesk_txn, 1);
	ctx->suser = suser;
	ctx->user = user;
	/* found again by shopdesk_commit(), which writes the events */
	MODULE_CONTEXT_SET(t, shopdesk_storage_module, ctx);
	return ctx;
}

static void shopdesk_mail_copy(void *txn, struct mail *src, struct mail *dst)
{
	struct shopdesk_txn *ctx = txn;
	struct mail_save_context *save = dst->transaction->save_ctx;
	bool moving = save != NULL && save->moving;

	if (ctx == NULL)
		return;
	if (moving) {
		ctx->suser->moving_box = src->box;
		ctx->suser->moving_uid = src->uid;
	}
	T_BEGIN {
		struct evfile_event ev = {
			.type = EVFILE_FOLDER,
			.new_status = folder_status(ctx->suser, dst->box),
			.move = moving,
		};

		if (ev.new_status != NULL)
			ev.ticket = mail_ticket(src);
		if (ev.ticket != 0)
			ev.mailbox = event_mailbox(dst->box);
		if (ev.mailbox != NULL) {
			ev.old = folder_status(ctx->suser, src->box);
			if (ev.old == NULL)
				ev.old = keywords_status(
					ctx->suser, mail_get_keywords(src));
			ev.from = event_mailbox(src->box);
			ev.message_id = event_message_id(src);
			event_add(ctx, &ev, TRUE);
		}
	} T_END;
}

static void shopdesk_mail_expunge(void *txn, struct mail *mail)
{
	struct shopdesk_txn *ctx = txn;

	if (ctx == NULL)
		return;
	if (ctx->suser->moving_box == mail->box &&
	    ctx->suser->moving_uid == mail->uid) {
		/* the second half of a MOVE: its copy was the event */
		ctx->suser->moving_box = NULL;
		return;
	}
	T_BEGIN {
		struct evfile_event ev = {
			.type = EVFILE_EXPUNGE,
			.ticket = mail_ticket(mail),
			.uid = mail->uid,
		};

		if (ev.ticket != 0)
			ev.mailbox = event_mailbox(mail->box);
		if (ev.mailbox != NULL) {
			ev.message_id = event_message_id(mail);
			event_add(ctx, &ev, FALSE);
		}
	} T_END;
}

static void shopdesk_mail_update_keywords(void *txn, struct mail *mail,
					  const char *const *old_keywords)
{
	struct shopdesk_txn *ctx = txn;
	const char *const *new_keywords;
	const char *added = NULL, *removed = NULL, *status;

	if (ctx == NULL)
		return;
	new_keywords = mail_get_keywords(mail);
	for (const char *const *k = new_keywords; *k != NULL; k++) {
		status = keyword_status(ctx->suser, *k);
		if (status != NULL && !str_in(old_keywords, *k))
			added = status;
	}
	for (const char *const *k = old_keywords; *k != NULL; k++) {
		status = keyword_status(ctx->suser, *k);
		if (status != NULL && !str_in(new_keywords, *k) &&
		    removed == NULL)
			removed = status;
	}
	if (added == NULL && removed == NULL)
		return;
	T_BEGIN {
		struct evfile_event ev = {
			.type = EVFILE_KEYWORD,
			.ticket = mail_ticket(mail),
			.uid = mail->uid,
			/* only a removal: "new" stays empty and the milter
			   reopens the ticket if it had that status */
			.old = removed != NULL ? removed :
				keywords_status(ctx->suser, old_keywords),
			.new_status = added,
		};

		if (ev.ticket != 0)
			ev.mailbox = event_mailbox(mail->box);
		if (ev.mailbox != NULL) {
			ev.message_id = event_message_id(mail);
			event_add(ctx, &ev, TRUE);
		}
	} T_END;
}

/* Writes data into tmp/ under a new key, synced; returns its path, or
   NULL with *error_r. */
static const char *spool_write_tmp(struct shopdesk_txn *ctx,
				   const struct timeval *tv, const char *data,
				   size_t size, const char **error_r)
{
	const char *key, *path;
	string_t *host = t_str_new(64);
	int fd;

	for (const char *p = my_hostname; *p != '\0'; p++)
		str_append_c(host, i_isalnum(*p) || *p == '-' ? *p : '_');
	/* the time first, the counter zero-padded: the milter applies
	   keys of one second in the order they sort */
	key = t_strdup_printf("%ld.M%06ldP%sQ%08u.%s", (long)tv->tv_sec,
			      (long)tv->tv_usec, my_pid, ++shopdesk_counter,
			      str_c(host));
	path = t_strdup_printf("%s/tmp/%s", ctx->suser->events_dir, key);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0660);
	if (fd < 0) {
		*error_r = t_strdup_printf("open(%s): %m", path);
		return NULL;
	}
	/* mail processes run with umask 077: the milter reads this as a
	   member of the spool's group */
	if (fchmod(fd, 0660) < 0 || write_full(fd, data, size) < 0 ||
	    fdatasync(fd) < 0) {
		*error_r = t_strdup_printf("write(%s): %m", path);
		i_close_fd(&fd);
		i_unlink(path);
		return NULL;
	}
	i_close_fd(&fd);
	return path;
}

static void unlink_tmp(struct shopdesk_txn *ctx)
{
	const char *const *path;

	array_foreach(&ctx->tmp_paths, path)
		i_unlink_if_exists(*path);
	array_clear(&ctx->tmp_paths);
}

/* Writes the transaction's events into tmp/, EVENTS_PER_FILE a file. */
static int spool_prepare(struct shopdesk_txn *ctx, const char **error_r)
{
	struct evfile_event *in_file = t_new(struct evfile_event,
					     EVENTS_PER_FILE);
	struct evfile file = {
		.user = ctx->user->username,
		.service = ctx->user->service,
		.events = in_file,
	};
	const struct txn_event *events;
	unsigned int count, i = 0;
	struct timeval tv;
	const char *path;
	char *text;
	size_t size;

	if (gettimeofday(&tv, NULL) < 0)
		i_fatal("gettimeofday(): %m");
	file.time = tv.tv_sec;
	events = array_get(&ctx->events, &count);
	while (i < count) {
		for (file.count = 0; i < count && file.count < EVENTS_PER_FILE;
		     i++) {
			if (events[i].ev.ticket != 0)
				in_file[file.count++] = events[i].ev;
		}
		if (file.count == 0)
			break;
		text = evfile_write(&file, &size);
		path = spool_write_tmp(ctx, &tv, text, size, error_r);
		free(text);
		if (path == NULL) {
			unlink_tmp(ctx);
			return -1;
		}
		path = p_strdup(ctx->pool, path);
		array_push_back(&ctx->tmp_paths, &path);
	}
	return 0;
}

/* The transaction committed: its files go from tmp/ to new/. */
static void spool_publish(struct shopdesk_txn *ctx)
{
	const char *const *path, *new_dir;
	int dir_fd;

	new_dir = t_strdup_printf("%s/new", ctx->suser->events_dir);
	array_foreach(&ctx->tmp_paths, path) {
		const char *name = strrchr(*path, '/') + 1;
		const char *new_path = t_strdup_printf("%s/%s", new_dir, name);

		if (rename(*path, new_path) < 0)
			e_error(ctx->user->event, "shopdesk: events left in "
				"tmp/: rename(%s, %s): %m", *path, new_path);
	}
	if ((dir_fd = open(new_dir, O_RDONLY | O_DIRECTORY)) >= 0) {
		if (fsync(dir_fd) < 0)
			e_warning(ctx->user->event, "shopdesk: fsync(%s): %m",
				  new_dir);
		i_close_fd(&dir_fd);
	}
}

static void txn_free(struct shopdesk_txn *ctx)
{
	ctx->suser->moving_box = NULL;
	pool_unref(&ctx->pool);
	i_free(ctx);
}

static void shopdesk_transaction_commit(void *txn,
		struct mail_transaction_commit_changes *changes ATTR_UNUSED)
{
	struct shopdesk_txn *ctx = txn;

	if (ctx == NULL)
		return;
	if (ctx->pool != NULL && array_count(&ctx->tmp_paths) > 0) T_BEGIN {
		spool_publish(ctx);
	} T_END;
	txn_free(ctx);
}

static void shopdesk_transaction_rollback(void *txn)
{
	struct shopdesk_txn *ctx = txn;

	if (ctx == NULL)
		return;
	if (ctx->pool != NULL)
		unlink_tmp(ctx);
	txn_free(ctx);
}

/* Before the mailbox commits: the events must be on disk, or the change
   does not happen. */
static int shopdesk_commit(struct mailbox_transaction_context *t,
			   struct mail_transaction_commit_changes *changes_r)
{
	struct mailbox *box = t->box;
	union mailbox_module_context *sbox = SHOPDESK_BOX_CONTEXT(box);
	struct shopdesk_txn *ctx = SHOPDESK_TXN_CONTEXT(t);
	const char *error = NULL;
	int ret = 0;

	if (ctx != NULL && ctx->pool != NULL) T_BEGIN {
		if (spool_prepare(ctx, &error) < 0) {
			e_error(box->event, "shopdesk: cannot record the "
				"change, refused: %s", error);
			ret = -1;
		}
	} T_END;
	if (ret < 0) {
		mail_storage_set_error(box->storage, MAIL_ERROR_TEMP,
				       "shopdesk cannot record this change now, "
				       "try again later");
		sbox->super.transaction_rollback(t);
		return -1;
	}
	return sbox->super.transaction_commit(t, changes_r);
}

/* The ticket's status now, as the milter last wrote it to
   SPOOL/status/TICKET, or NULL when there is none. */
static const char *current_status(struct shopdesk_user *suser,
				  uint32_t ticket)
{
	const char *path = t_strdup_printf("%s/%u", suser->status_dir, ticket);
	char buf[32];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	i_close_fd(&fd);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	return status_name(t_str_trim(buf, " \t\r\n"));
}

/* Delivery (mail_deliver saves through the raw mail, marked "saving"):
   adds the keyword of the ticket's status to whatever keywords Sieve
   chose.  The status is the milter's latest word on the ticket, else
   the one it stamped: a message that waited in a queue while the status
   changed must not show the old one. */
static int shopdesk_copy(struct mail_save_context *ctx, struct mail *mail)
{
	struct mailbox *box = ctx->transaction->box;
	union mailbox_module_context *sbox = SHOPDESK_BOX_CONTEXT(box);
	struct shopdesk_user *suser =
		SHOPDESK_USER_CONTEXT(box->storage->user);
	struct mail_keywords *kw, *merged;
	const char *value, *names[2] = { NULL, NULL };
	const struct mapping *m;

	if (suser != NULL && ctx->saving &&
	    mail_get_first_header(mail, STATUS_HEADER, &value) > 0) T_BEGIN {
		uint32_t ticket = mail_ticket(mail);
		const char *now = NULL;

		if (ticket != 0)
			now = current_status(suser, ticket);
		value = now != NULL ? now : t_str_trim(value, " \t");
		array_foreach(&suser->keywords, m) {
			if (strcmp(m->status, value) == 0) {
				names[0] = m->name;
				break;
			}
		}
		if (names[0] != NULL) {
			kw = mailbox_keywords_create_valid(box, names);
			if (ctx->data.keywords == NULL) {
				ctx->data.keywords = kw;
			} else {
				merged = mailbox_keywords_merge(
					ctx->data.keywords, kw);
				mailbox_keywords_unref(&kw);
				mailbox_keywords_unref(&ctx->data.keywords);
				ctx->data.keywords = merged;
			}
		}
	} T_END;
	return sbox->super.copy(ctx, mail);
}

static void shopdesk_mailbox_allocated(struct mailbox *box)
{
	struct mailbox_vfuncs *v = box->vlast;
	union mailbox_module_context *sbox;

	if (SHOPDESK_USER_CONTEXT(box->storage->user) == NULL)
		return;
	sbox = p_new(box->pool, union mailbox_module_context, 1);
	sbox->super = *v;
	box->vlast = &sbox->super;
	v->copy = shopdesk_copy;
	v->transaction_commit = shopdesk_commit;
	MODULE_CONTEXT_SET_SELF(box, shopdesk_storage_module, sbox);
}

static const struct notify_vfuncs shopdesk_vfuncs = {
	.mail_transaction_begin = shopdesk_transaction_begin,
	.mail_copy = shopdesk_mail_copy,
	.mail_expunge = shopdesk_mail_expunge,
	.mail_update_keywords = shopdesk_mail_update_keywords,
	.mail_transaction_commit = shopdesk_transaction_commit,
	.mail_transaction_rollback = shopdesk_transaction_rollback,
};

static struct mail_storage_hooks shopdesk_hooks = {
	.mail_user_created = shopdesk_mail_user_created,
	.mailbox_allocated = shopdesk_mailbox_allocated,
};

void shopdesk_plugin_init(struct module *module)
{
	shopdesk_notify = notify_register(&shopdesk_vfuncs);
	mail_storage_hooks_add(module, &shopdesk_hooks);
}

void shopdesk_plugin_deinit(void)
{
	mail_storage_hooks_remove(&shopdesk_hooks);
	notify_unregister(shopdesk_notify);
}
