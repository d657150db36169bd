/* mlfi.c: the libmilter callbacks of shopdesk-milter: glue only.  They
   collect the envelope, the headers (up to header_max) and the body (in
   memory up to body_memory_max, then in an unlinked temporary file); at
   end of message they parse it with GMime, hand it to the pipeline
   (pipeline.h), which files it and returns a plan, and apply the plan
   with smfi_* calls and outbox writes.

   Mail that names no branded address and comes from no agent is
   accepted untouched at DATA: it never reaches a desk mailbox, so its
   headers are not even asked for.  Every failure maps, in
   milter_code(), to an answer by its class: shopdesk never bounces mail
   that Postfix would have delivered, but for the one attack it refuses
   (more forged X-Shopdesk-* headers than strip_max).  No network I/O
   and no child processes here. */

#include "mlfi.h"
#include "log.h"
#include "mailbuf.h"
#include "mailmsg.h"
#include "pipeline.h"
#include "settings.h"
#include "spool.h"

#include <netinet/in.h>
#include <string.h>

/* What this milter never needs from Postfix, and the stages whose
   answer is always "continue" (SMFIP_NR_*: Postfix does not wait for
   one).  Each is asked for only when Postfix offers it. */
#define WANTED_STEPS (SMFIP_NOHELO | SMFIP_NOUNKNOWN | SMFIP_NR_CONN | \
		      SMFIP_NR_MAIL | SMFIP_NR_RCPT | SMFIP_NR_HDR | \
		      SMFIP_NR_EOH | SMFIP_NR_BODY)

static struct spool *outbox;

/* One message: from MAIL FROM to end of message or abort. */
struct msgctx {
	struct settings *settings;	/* those of MAIL FROM, to its end */
	char *envelope_from;
	const struct config_queue *queue;	/* first branded rcpt */
	char *queue_rcpt;			/* that recipient */
	char *agent;		/* SASL login or trusted address, or NULL */
	GPtrArray *customers;	/* recipients that are no queue's */
	GPtrArray *customer_rcpts;	/* the same as Postfix gave them */
	GPtrArray *tokens;		/* extensions of branded rcpts */
	struct mailbuf *buf;		/* headers and body */
};

/* One SMTP connection. */
struct connctx {
	struct msgctx *msg;
	unsigned long steps;	/* the SMFIP_* flags negotiated */
	GInetAddress *client;	/* NULL when not an IP connection */
	/* Postfix's local submission (sendmail(1), pickup): cleanup then
	   presents the client as localhost, 127.0.0.1, port 0, which no
	   SMTP client can be.  Only such mail may come from a messenger
	   customer's address: the bridge submits it so. */
	bool local;
};

int mlfi_setup(const struct config *config, char **error_r)
{
	char *dir = g_build_filename(config->spool_dir, "outbox", NULL);
	int ret = spool_open(dir, false, &outbox, error_r);

	g_free(dir);
	return ret;
}

void mlfi_teardown(void)
{
	spool_close(&outbox);
}

static void msgctx_free(struct msgctx **_msg)
{
	struct msgctx *msg = *_msg;

	if (msg == NULL)
		return;
	*_msg = NULL;
	g_free(msg->envelope_from);
	g_free(msg->queue_rcpt);
	g_free(msg->agent);
	g_ptr_array_unref(msg->customers);
	g_ptr_array_unref(msg->customer_rcpts);
	g_ptr_array_unref(msg->tokens);
	mailbuf_free(&msg->buf);
	settings_put(&msg->settings);
	g_free(msg);
}

static struct connctx *connctx_get(SMFICTX *ctx)
{
	struct connctx *conn = smfi_getpriv(ctx);

	if (conn == NULL) {
		conn = g_new0(struct connctx, 1);
		smfi_setpriv(ctx, conn);
	}
	return conn;
}

static const char *queue_id(SMFICTX *ctx)
{
	const char *id = smfi_getsymval(ctx, "i");

	return id != NULL ? id : "NOQUEUE";
}

/* The answer of a stage whose answer is always "go on": none at all
   when Postfix agreed to wait for none. */
static sfsistat go_on(SMFICTX *ctx, unsigned long step)
{
	return (connctx_get(ctx)->steps & step) != 0 ? SMFIS_NOREPLY :
		SMFIS_CONTINUE;
}

/* The one place where a failure becomes a milter answer, by its class
   (plan.h; OpenDKIM's dkimf_miltercode), under the message's
   configuration.  ticket is the message's, 0 when it has none.  Returns
   SMFIS_CONTINUE when the mail goes on. */
static sfsistat milter_code(SMFICTX *ctx, const struct config *config,
			    enum plan_failure failure, uint32_t ticket,
			    const char *why)
{
	bool tempfail = config->on_error == CONFIG_ON_ERROR_TEMPFAIL;

	switch (failure) {
	case PLAN_OK:
		return SMFIS_CONTINUE;
	case PLAN_FAIL_REFUSE:
		log_warning("%s: refused: %s", queue_id(ctx), why);
		smfi_setreply(ctx, "550", "5.7.1", (char *)why);
		return SMFIS_REJECT;
	case PLAN_FAIL_NOTICE:
		log_error("%s: ticket=%u error: %s; the mail goes on",
			  queue_id(ctx), ticket, why);
		return SMFIS_CONTINUE;
	case PLAN_FAIL_ACK:
		if (!tempfail) {
			log_error("%s: ticket=%u error: %s; delivered "
				  "without it", queue_id(ctx), ticket, why);
			return SMFIS_CONTINUE;
		}
		break;
	case PLAN_FAIL_CHAT:
		log_error("%s: ticket=%u error: %s; temporary failure, the "
			  "agent's client will retry", queue_id(ctx), ticket,
			  why);
		return SMFIS_TEMPFAIL;
	case PLAN_FAIL_INTERNAL:
	case PLAN_FAIL_EDIT:
		break;
	}
	if (tempfail) {
		log_error("%s: error: %s; temporary failure, the sender will "
			  "retry", queue_id(ctx), why);
		return SMFIS_TEMPFAIL;
	}
	if (ticket != 0)
		log_error("%s: ticket=%u error: %s; accepted as it is",
			  queue_id(ctx), ticket, why);
	else
		log_error("%s: error: %s; accepted without ticket",
			  queue_id(ctx), why);
	return SMFIS_ACCEPT;
}

/* A stage without a message: a bug of the MTA's or ours, answered by
   the current configuration. */
static sfsistat no_message(SMFICTX *ctx, const char *why)
{
	struct settings *settings = settings_get();
	sfsistat status = milter_code(ctx, settings->config,
				      PLAN_FAIL_INTERNAL, 0, why);

	settings_put(&settings);
	return status;
}

static sfsistat mlfi_negotiate(SMFICTX *ctx, unsigned long f0,
			       unsigned long f1, unsigned long f2,
			       unsigned long f3, unsigned long *pf0,
			       unsigned long *pf1, unsigned long *pf2,
			       unsigned long *pf3)
{
	struct connctx *conn = connctx_get(ctx);

	(void)f2;
	(void)f3;
	/* an MTA that cannot apply some edit makes them fail at end of
	   message, where on_error decides, with a log line */
	if ((f0 & mlfi_desc.xxfi_flags) != mlfi_desc.xxfi_flags)
		log_error("the MTA does not offer every action shopdesk "
			  "needs (offered 0x%lx, needed 0x%lx)", f0,
			  mlfi_desc.xxfi_flags);
	conn->steps = f1 & WANTED_STEPS;
	*pf0 = f0 & mlfi_desc.xxfi_flags;
	*pf1 = conn->steps;
	*pf2 = 0;
	*pf3 = 0;
	return SMFIS_CONTINUE;
}

static sfsistat mlfi_connect(SMFICTX *ctx, char *hostname,
			     struct sockaddr *addr)
{
	struct connctx *conn = connctx_get(ctx);
	gsize size = 0;
	GSocketAddress *sa;

	if (addr == NULL)
		return go_on(ctx, SMFIP_NR_CONN);
	if (addr->sa_family == AF_INET)
		size = sizeof(struct sockaddr_in);
	else if (addr->sa_family == AF_INET6)
		size = sizeof(struct sockaddr_in6);
	if (size == 0)
		return go_on(ctx, SMFIP_NR_CONN);
	sa = g_socket_address_new_from_native(addr, size);
	if (sa != NULL && G_IS_INET_SOCKET_ADDRESS(sa)) {
		GInetSocketAddress *isa = G_INET_SOCKET_ADDRESS(sa);

		conn->client = g_object_ref(g_inet_socket_address_get_address(
			isa));
		conn->local = g_inet_socket_address_get_port(isa) == 0 &&
			g_inet_address_get_is_loopback(conn->client) &&
			g_strcmp0(hostname, "localhost") == 0;
	}
	if (sa != NULL)
		g_object_unref(sa);
	return go_on(ctx, SMFIP_NR_CONN);
}

static sfsistat mlfi_envfrom(SMFICTX *ctx, char **argv)
{
	struct connctx *conn = connctx_get(ctx);
	struct msgctx *msg;

	msgctx_free(&conn->msg);
	msg = g_new0(struct msgctx, 1);
	msg->settings = settings_get();
	msg->envelope_from = mailmsg_unbracket(argv[0] != NULL ? argv[0] : "");
	msg->agent = pipeline_agent(msg->settings->pipeline,
				    smfi_getsymval(ctx, "{auth_authen}"),
				    conn->client, msg->envelope_from);
	msg->customers = g_ptr_array_new_with_free_func(g_free);
	msg->customer_rcpts = g_ptr_array_new_with_free_func(g_free);
	msg->tokens = g_ptr_array_new_with_free_func(g_free);
	msg->buf = mailbuf_new(msg->settings->config);
	conn->msg = msg;
	return go_on(ctx, SMFIP_NR_MAIL);
}

static sfsistat mlfi_envrcpt(SMFICTX *ctx, char **argv)
{
	struct msgctx *msg = connctx_get(ctx)->msg;
	const struct config_queue *queue;
	const char *extension;
	size_t extension_len;
	char *rcpt;

	if (msg == NULL)
		return no_message(ctx, "recipient without sender");
	rcpt = mailmsg_unbracket(argv[0] != NULL ? argv[0] : "");
	queue = config_find_queue(msg->settings->config, rcpt, &extension,
				  &extension_len);
	if (queue != NULL) {
		if (msg->queue == NULL) {
			msg->queue = queue;
			msg->queue_rcpt = g_strdup(rcpt);
		}
		if (extension != NULL && extension_len > 0)
			g_ptr_array_add(msg->tokens,
					g_ascii_strdown(extension,
							extension_len));
	} else {
		g_ptr_array_add(msg->customers, g_ascii_strdown(rcpt, -1));
		g_ptr_array_add(msg->customer_rcpts, g_strdup(argv[0]));
	}
	g_free(rcpt);
	return go_on(ctx, SMFIP_NR_RCPT);
}

/* After the last recipient: mail for no queue from no agent is not the
   desk's, and goes on untouched without its headers being sent. */
static sfsistat mlfi_data(SMFICTX *ctx)
{
	struct msgctx *msg = connctx_get(ctx)->msg;

	if (msg == NULL)
		return no_message(ctx, "DATA without sender");
	return msg->queue == NULL && msg->agent == NULL ? SMFIS_ACCEPT :
		SMFIS_CONTINUE;
}

static sfsistat mlfi_header(SMFICTX *ctx, char *name, char *value)
{
	struct msgctx *msg = connctx_get(ctx)->msg;

	if (msg == NULL)
		return no_message(ctx, "header without sender");
	mailbuf_header(msg->buf, name, value);
	return go_on(ctx, SMFIP_NR_HDR);
}

static sfsistat mlfi_eoh(SMFICTX *ctx)
{
	struct msgctx *msg = connctx_get(ctx)->msg;

	if (msg != NULL)
		mailbuf_headers_end(msg->buf, msg->envelope_from);
	return go_on(ctx, SMFIP_NR_EOH);
}

static sfsistat mlfi_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	struct msgctx *msg = connctx_get(ctx)->msg;

	if (msg != NULL)
		mailbuf_body(msg->buf, chunk, len, queue_id(ctx));
	return go_on(ctx, SMFIP_NR_BODY);
}

/* Carries out one edit of the plan.  Returns 0, or -1 when Postfix
   refused it. */
static int apply_edit(SMFICTX *ctx, const struct plan_edit *e)
{
	int ret = MI_FAILURE;

	switch (e->kind) {
	case PLAN_HEADER_ADD:
		ret = smfi_addheader(ctx, e->name, e->value);
		break;
	case PLAN_HEADER_CHANGE:
	case PLAN_HEADER_DELETE:
		ret = smfi_chgheader(ctx, e->name, e->index, e->value);
		break;
	case PLAN_FROM_CHANGE:
		ret = smfi_chgfrom(ctx, e->value, NULL);
		break;
	case PLAN_RCPT_ADD:
		ret = smfi_addrcpt(ctx, e->value);
		break;
	case PLAN_RCPT_DELETE:
		ret = smfi_delrcpt(ctx, e->value);
		break;
	case PLAN_BODY_REPLACE: {
		gsize size;
		const guchar *data = g_bytes_get_data(e->body, &size);

		ret = smfi_replacebody(ctx, (guchar *)data, size);
		break;
	}
	}
	return ret == MI_SUCCESS ? 0 : -1;
}

/* Applies edits until one is refused.  Returns SMFIS_CONTINUE, or the
   answer its failure maps to. */
static sfsistat apply_edits(SMFICTX *ctx, const struct config *config,
			    const struct plan *plan, GPtrArray *edits)
{
	for (unsigned int i = 0; i < edits->len; i++) {
		const struct plan_edit *e = edits->pdata[i];
		char *what, *why;
		sfsistat status;

		if (apply_edit(ctx, e) == 0)
			continue;
		what = plan_edit_describe(e);
		why = g_strdup_printf("Postfix refused to %s", what);
		status = milter_code(ctx, config, PLAN_FAIL_EDIT, plan->ticket,
				     why);
		g_free(why);
		g_free(what);
		return status;
	}
	return SMFIS_CONTINUE;
}

/* Carries out the plan (plan.h gives the order). */
static sfsistat apply_plan(SMFICTX *ctx, const struct config *config,
			   const struct plan *plan)
{
	sfsistat status;

	if (plan->failure == PLAN_FAIL_REFUSE)
		return milter_code(ctx, config, plan->failure, 0,
				   plan->error);
	status = apply_edits(ctx, config, plan, plan->strip);

	if (status != SMFIS_CONTINUE)
		return status;
	if (plan->failure != PLAN_OK)
		return milter_code(ctx, config, plan->failure, plan->ticket,
				   plan->error);
	for (unsigned int i = 0; i < plan->items->len; i++) {
		const struct plan_item *item = plan->items->pdata[i];
		char *error = NULL, *why;
		int ret = spool_put(outbox, item->key, item->data,
				    strlen(item->data), &error);

		if (ret >= 0) {
			log_info("%s: ticket=%u %s: outbox=%s %s",
				 queue_id(ctx), item->ticket, item->what,
				 item->key, ret > 0 ? "queued" :
				 "already queued");
			continue;
		}
		why = g_strdup_printf("cannot queue %s: %s", item->what,
				      error);
		status = milter_code(ctx, config, item->on_failure,
				     item->ticket, why);
		g_free(why);
		g_free(error);
		if (status != SMFIS_CONTINUE)
			return status;
	}
	status = apply_edits(ctx, config, plan, plan->edits);
	if (status != SMFIS_CONTINUE)
		return status;
	if (plan->log != NULL)
		log_info("%s", plan->log);
	else if (plan->strip->len > 0)
		log_info("%s: removed %u X-Shopdesk-* header(s)",
			 queue_id(ctx), plan->strip->len);
	return SMFIS_ACCEPT;
}

static sfsistat mlfi_eom(SMFICTX *ctx)
{
	struct connctx *conn = connctx_get(ctx);
	struct msgctx *msg = conn->msg;
	struct plan *plan;
	sfsistat status;

	if (msg == NULL)
		return SMFIS_ACCEPT;
	g_ptr_array_add(msg->customers, NULL);
	g_ptr_array_add(msg->customer_rcpts, NULL);
	g_ptr_array_add(msg->tokens, NULL);

	struct pipeline_mail mail = {
		.queue_id = queue_id(ctx),
		.envelope_from = msg->envelope_from,
		.agent = msg->agent,
		.queue = msg->queue,
		.queue_rcpt = msg->queue_rcpt,
		.customers = (const char *const *)msg->customers->pdata,
		.customer_rcpts =
			(const char *const *)msg->customer_rcpts->pdata,
		.tokens = (const char *const *)msg->tokens->pdata,
		.strip = (const char *const *)msg->buf->strip->pdata,
		.strip_count = msg->buf->strip->len,
		.strip_total = msg->buf->strip_count,
		.local = conn->local,
		.has_message_id = msg->buf->has_message_id,
		.subject_count = msg->buf->subject_count,
		.headers = msg->buf->headers->str,
		.headers_size = msg->buf->headers->len,
		.digest = msg->buf->digest != NULL ?
			g_checksum_get_string(msg->buf->digest) : NULL,
		.message = mailbuf_parse(msg->buf, queue_id(ctx)),
		.now = g_get_real_time() / G_USEC_PER_SEC,
	};
	plan = pipeline_run(msg->settings->pipeline, &mail);
	status = apply_plan(ctx, msg->settings->config, plan);
	plan_free(&plan);
	if (mail.message != NULL)
		g_object_unref(mail.message);
	msgctx_free(&conn->msg);
	return status;
}

static sfsistat mlfi_abort(SMFICTX *ctx)
{
	struct connctx *conn = smfi_getpriv(ctx);

	if (conn != NULL)
		msgctx_free(&conn->msg);
	return SMFIS_CONTINUE;
}

static sfsistat mlfi_close(SMFICTX *ctx)
{
	struct connctx *conn = smfi_getpriv(ctx);

	if (conn != NULL) {
		msgctx_free(&conn->msg);
		if (conn->client != NULL)
			g_object_unref(conn->client);
		g_free(conn);
		smfi_setpriv(ctx, NULL);
	}
	return SMFIS_CONTINUE;
}

struct smfiDesc mlfi_desc = {
	.xxfi_name = "shopdesk",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGFROM |
		SMFIF_ADDRCPT | SMFIF_DELRCPT | SMFIF_CHGBODY,
	.xxfi_connect = mlfi_connect,
	.xxfi_envfrom = mlfi_envfrom,
	.xxfi_envrcpt = mlfi_envrcpt,
	.xxfi_data = mlfi_data,
	.xxfi_header = mlfi_header,
	.xxfi_eoh = mlfi_eoh,
	.xxfi_body = mlfi_body,
	.xxfi_eom = mlfi_eom,
	.xxfi_abort = mlfi_abort,
	.xxfi_close = mlfi_close,
	.xxfi_negotiate = mlfi_negotiate,
};
