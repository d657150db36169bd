/* shopdesk-plugin.c: the Dovecot 2.3 mail plugin "shopdesk" (needs
   "notify").  It turns what an agent does to a ticket mail in a mail
   client into events for shopdesk-milter, and shows each delivered
   ticket mail's status as a keyword.

   - Setting or removing a mapped keyword (shopdesk_keywords), and
     copying or moving into a mapped folder (shopdesk_folders), on a
     message with an X-Shopdesk-Ticket header become status events; an
     expunge of such a message becomes an "expunge" event, which the
     milter records and never reads as a status.
   - Events are kept per mail transaction and written, one spool file
     per transaction, only after it committed; a rolled-back
     transaction writes nothing.  A MOVE is a copy plus an expunge of
     the source in the same command: the copy carries the status change,
     the expunge is not an event.
   - A delivery (LMTP or LDA, which save through the raw mail) gets the
     keyword of the status in the message's X-Shopdesk-Status header.

   The plugin only writes files under shopdesk_spool/events/ (tmp/, then
   new/, as the milter's spool.h expects) and never talks to the milter:
   an IMAP command never waits on shopdesk.  Failing to write an event is
   logged; the mail operation itself has already succeeded.  It does not
   change keywords itself after delivery: the milter does that, through
   doveadm with shopdesk_events=no, so that its own changes make no
   events. */

#include "lib.h"
#include "array.h"
#include "ioloop.h"
#include "str.h"
#include "hostpid.h"
#include "json-parser.h"
#include "write-full.h"
#include "mail-user.h"
#include "mail-storage-private.h"
#include "mail-storage-hooks.h"
#include "notify-plugin.h"

#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/time.h>
#include <unistd.h>

#define SHOPDESK_USER_CONTEXT(obj) \
	MODULE_CONTEXT(obj, shopdesk_user_module)
#define SHOPDESK_BOX_CONTEXT(obj) \
	MODULE_CONTEXT_REQUIRE(obj, shopdesk_storage_module)

#define TICKET_HEADER "X-Shopdesk-Ticket"
#define STATUS_HEADER "X-Shopdesk-Status"
#define DEFAULT_KEYWORDS \
	"new=new open=open pending=pending resolved=resolved closed=closed"
#define DEFAULT_FOLDERS "Pending=pending Resolved=resolved Closed=closed"
/* Header values copied into events are bounded */
#define VALUE_MAX 256

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
	ARRAY_TYPE(mapping) keywords;
	ARRAY_TYPE(mapping) folders;
	bool events;		/* false: shopdesk_events=no */
	unsigned int counter;	/* for unique file names */

	/* The source of the move being copied, whose expunge follows */
	struct mailbox *moving_box;
	uint32_t moving_uid;
};

struct shopdesk_txn {
	pool_t pool;
	struct shopdesk_user *suser;
	struct mail_user *user;
	string_t *events;	/* JSON objects separated by "," */
};

static MODULE_CONTEXT_DEFINE_INIT(shopdesk_user_module,
				  &mail_user_module_register);
static MODULE_CONTEXT_DEFINE_INIT(shopdesk_storage_module,
				  &mail_storage_module_register);
static struct notify_context *shopdesk_notify;

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
	const char *spool, *events, *error;

	spool = mail_user_plugin_getenv(user, "shopdesk_spool");
	if (spool == NULL || *spool == '\0') {
		e_debug(user->event, "shopdesk: shopdesk_spool not set, "
			"plugin inactive");
		return;
	}
	suser = p_new(user->pool, struct shopdesk_user, 1);
	suser->events_dir = p_strconcat(user->pool, spool, "/events", NULL);
	events = mail_user_plugin_getenv(user, "shopdesk_events");
	suser->events = events == NULL || strcmp(events, "no") != 0;
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

/* The ticket named by the message, or NULL: digits only, so that what
   goes into an event is exactly what the milter stamped. */
static const char *mail_ticket(struct mail *mail)
{
	const char *value;

	if (mail_get_first_header(mail, TICKET_HEADER, &value) <= 0)
		return NULL;
	value = t_str_trim(value, " \t");
	if (*value == '\0' || strlen(value) > 10 ||
	    strspn(value, "0123456789") != strlen(value))
		return NULL;
	return value;
}

static void json_field(string_t *out, const char *name, const char *value)
{
	str_printfa(out, ",\"%s\":\"", name);
	json_append_escaped(out, value == NULL ? "" : value);
	str_append_c(out, '"');
}

/* Starts an event object for mail in txn (closed by the caller with
   "}"). */
static string_t *event_begin(struct shopdesk_txn *ctx, const char *type,
			     const char *ticket, struct mailbox *box)
{
	string_t *out = ctx->events;

	if (str_len(out) > 0)
		str_append_c(out, ',');
	str_printfa(out, "{\"type\":\"%s\"", type);
	json_field(out, "ticket", ticket);
	json_field(out, "mailbox", mailbox_get_vname(box));
	return out;
}

static void message_id_field(string_t *out, struct mail *mail)
{
	const char *msgid;

	if (mail_get_first_header(mail, "Message-ID", &msgid) > 0 &&
	    strlen(msgid) <= VALUE_MAX)
		json_field(out, "message_id", t_str_trim(msgid, " \t"));
}

static void *shopdesk_transaction_begin(struct mailbox_transaction_context *t)
{
	struct mail_user *user = t->box->storage->user;
	struct shopdesk_user *suser = SHOPDESK_USER_CONTEXT(user);
	struct shopdesk_txn *ctx;
	pool_t pool;

	if (suser == NULL || !suser->events)
		return NULL;
	pool = pool_alloconly_create("shopdesk txn", 1024);
	ctx = p_new(pool, struct shopdesk_txn, 1);
	ctx->pool = pool;
	ctx->suser = suser;
	ctx->user = user;
	ctx->events = str_new(pool, 256);
	return ctx;
}

static void shopdesk_mail_copy(void *txn, struct mail *src, struct mail *dst)
{
	struct shopdesk_txn *ctx = txn;
	struct mail_save_context *save = dst->transaction->save_ctx;
	bool moving = save != NULL && save->moving;
	const char *ticket, *status, *old;
	string_t *out;

	if (ctx == NULL)
		return;
	if (moving) {
		ctx->suser->moving_box = src->box;
		ctx->suser->moving_uid = src->uid;
	}
	T_BEGIN {
		status = folder_status(ctx->suser, dst->box);
		ticket = status == NULL ? NULL : mail_ticket(src);
		if (ticket != NULL) {
			old = folder_status(ctx->suser, src->box);
			if (old == NULL)
				old = keywords_status(ctx->suser,
						      mail_get_keywords(src));
			out = event_begin(ctx, "folder", ticket, dst->box);
			json_field(out, "from", mailbox_get_vname(src->box));
			str_printfa(out, ",\"move\":%s",
				    moving ? "true" : "false");
			json_field(out, "old", old);
			json_field(out, "new", status);
			message_id_field(out, src);
			str_append_c(out, '}');
		}
	} T_END;
}

static void shopdesk_mail_expunge(void *txn, struct mail *mail)
{
	struct shopdesk_txn *ctx = txn;
	const char *ticket;
	string_t *out;

	if (ctx == NULL)
		return;
	if (ctx->suser->moving_box == mail->box &&
	    ctx->suser->moving_uid == mail->uid) {
		/* the second half of a MOVE: its copy was the event */
		ctx->suser->moving_box = NULL;
		return;
	}
	T_BEGIN {
		ticket = mail_ticket(mail);
		if (ticket != NULL) {
			out = event_begin(ctx, "expunge", ticket, mail->box);
			str_printfa(out, ",\"uid\":%u", mail->uid);
			message_id_field(out, mail);
			str_append_c(out, '}');
		}
	} T_END;
}

static void shopdesk_mail_update_keywords(void *txn, struct mail *mail,
					  const char *const *old_keywords)
{
	struct shopdesk_txn *ctx = txn;
	const char *const *new_keywords;
	const char *added = NULL, *removed = NULL, *ticket, *status;
	string_t *out;

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
		ticket = mail_ticket(mail);
		if (ticket != NULL) {
			out = event_begin(ctx, "keyword", ticket, mail->box);
			str_printfa(out, ",\"uid\":%u", mail->uid);
			/* only a removal: "new" stays empty and the milter
			   reopens the ticket if it had that status */
			json_field(out, "old",
				   removed != NULL ? removed :
				   keywords_status(ctx->suser, old_keywords));
			json_field(out, "new", added);
			message_id_field(out, mail);
			str_append_c(out, '}');
		}
	} T_END;
}

/* Writes data as a new item of the events spool: tmp/KEY, synced, then
   renamed into new/, whose entry is synced too. */
static int spool_write(struct shopdesk_txn *ctx, const char *data,
		       const char **error_r)
{
	struct shopdesk_user *suser = ctx->suser;
	struct timeval tv;
	const char *key, *tmp_path, *new_path, *new_dir;
	string_t *host = t_str_new(64);
	int fd, dir_fd;

	for (const char *p = my_hostname; *p != '\0'; p++)
		str_append_c(host, i_isalnum(*p) || *p == '-' ? *p : '_');
	if (gettimeofday(&tv, NULL) < 0)
		i_fatal("gettimeofday(): %m");
	key = t_strdup_printf("%ld.M%06ldP%sQ%u.%s", (long)tv.tv_sec,
			      (long)tv.tv_usec, my_pid, ++suser->counter,
			      str_c(host));
	tmp_path = t_strdup_printf("%s/tmp/%s", suser->events_dir, key);
	new_dir = t_strdup_printf("%s/new", suser->events_dir);
	new_path = t_strdup_printf("%s/%s", new_dir, key);

	fd = open(tmp_path, O_WRONLY | O_CREAT | O_EXCL, 0660);
	if (fd < 0) {
		*error_r = t_strdup_printf("open(%s): %m", tmp_path);
		return -1;
	}
	if (write_full(fd, data, strlen(data)) < 0 || fdatasync(fd) < 0) {
		*error_r = t_strdup_printf("write(%s): %m", tmp_path);
		i_close_fd(&fd);
		i_unlink(tmp_path);
		return -1;
	}
	i_close_fd(&fd);
	if (rename(tmp_path, new_path) < 0) {
		*error_r = t_strdup_printf("rename(%s, %s): %m", tmp_path,
					   new_path);
		i_unlink(tmp_path);
		return -1;
	}
	if ((dir_fd = open(new_dir, O_RDONLY | O_DIRECTORY)) >= 0) {
		if (fsync(dir_fd) < 0)
			e_warning(ctx->user->event, "shopdesk: fsync(%s): %m",
				  new_dir);
		i_close_fd(&dir_fd);
	}
	return 0;
}

static void shopdesk_transaction_commit(void *txn,
		struct mail_transaction_commit_changes *changes ATTR_UNUSED)
{
	struct shopdesk_txn *ctx = txn;
	const char *error;
	string_t *doc;

	if (ctx == NULL)
		return;
	if (str_len(ctx->events) > 0) T_BEGIN {
		doc = t_str_new(str_len(ctx->events) + 128);
		str_append(doc, "{\"version\":1");
		json_field(doc, "user", ctx->user->username);
		json_field(doc, "service", ctx->user->service);
		str_printfa(doc, ",\"time\":%ld,\"events\":[%s]}\n",
			    (long)ioloop_time, str_c(ctx->events));
		if (spool_write(ctx, str_c(doc), &error) < 0)
			e_error(ctx->user->event, "shopdesk: events lost, "
				"cannot write the spool: %s", error);
	} T_END;
	pool_unref(&ctx->pool);
}

static void shopdesk_transaction_rollback(void *txn)
{
	struct shopdesk_txn *ctx = txn;

	if (ctx != NULL)
		pool_unref(&ctx->pool);
}

/* Delivery (mail_deliver saves through the raw mail, marked "saving"):
   adds the keyword of the status the milter stamped to whatever
   keywords Sieve chose. */
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
		value = t_str_trim(value, " \t");
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
