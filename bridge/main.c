/* main.c: shopdesk-bridge, the outbox worker.  It claims outbox items
   (spool.h) one at a time, oldest first, hands each to its channel and
   then marks it done, defers it with Postfix's backoff (the wait grows
   with the item's age, within [outbox_retry_min, outbox_retry_max]) or
   buries it past outbox_lifetime.  A crash between sending and marking
   done resends on restart only what the channel cannot tell apart;
   nothing is lost.  It never opens the ticket store. */

#include "config.h"
#include "daemon.h"
#include "log.h"
#include "mail.h"
#include "outbox.h"
#include "spool.h"

#include <glib-unix.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* The outbox is looked at this often when idle: an ack leaves within a
   quarter of a second of its ticket, without a wake-up channel to keep. */
#define POLL_MS 250
/* Items handled per look, so that a signal is noticed in a big backlog */
#define BATCH_MAX 100

struct bridge {
	const struct config *config;
	struct spool *outbox;
	GMainLoop *loop;
};

static void usage(void)
{
	fprintf(stderr, "usage: shopdesk-bridge [-c FILE] [-f]\n");
	exit(2);
}

static int64_t now(void)
{
	return g_get_real_time() / G_USEC_PER_SEC;
}

/* Defers or, past the item's lifetime, buries it; logs either. */
static void retry_later(struct bridge *b, struct spool_item **item,
			int64_t created, const char *what, const char *why)
{
	const struct config *c = b->config;
	int64_t age = now() - created;
	int64_t delay = CLAMP(age, c->outbox_retry_min, c->outbox_retry_max);
	char *error = NULL;

	if (created > 0 && age > c->outbox_lifetime) {
		log_error("%s: status=dead (%s; given up after %" G_GINT64_FORMAT
			  " s)", what, why, age);
		if (spool_bury(b->outbox, item, &error) < 0)
			log_error("outbox: %s", error);
	} else {
		log_warning("%s: status=deferred (%s); next try in %"
			    G_GINT64_FORMAT " s", what, why, delay);
		if (spool_defer(b->outbox, item, now() + delay, &error) < 0)
			log_error("outbox: %s", error);
	}
	g_free(error);
}

static void deliver_mail(struct bridge *b, struct spool_item **item,
			 const struct outbox_mail *mail)
{
	char *what = g_strdup_printf("%s: ticket=%u to=<%s>%s", (*item)->key,
				     mail->ticket, mail->recipients[0],
				     mail->recipients[1] != NULL ? ",..." : "");
	char *why = NULL, *error = NULL;

	switch (mail_send(b->config->sendmail, mail,
			  b->config->sendmail_timeout, &why)) {
	case MAIL_SENT:
		log_info("%s: status=sent via sendmail", what);
		if (spool_done(b->outbox, item, &error) < 0)
			log_error("outbox: %s", error);
		break;
	case MAIL_RETRY:
		retry_later(b, item, mail->created, what, why);
		break;
	case MAIL_FAILED:
		log_error("%s: status=dead (%s)", what, why);
		if (spool_bury(b->outbox, item, &error) < 0)
			log_error("outbox: %s", error);
		break;
	}
	g_free(error);
	g_free(why);
	g_free(what);
}

static void handle(struct bridge *b, struct spool_item **item)
{
	struct outbox_mail *mail = NULL;
	char *kind = NULL, *error = NULL;

	switch (outbox_decode((*item)->data, (*item)->size, &mail, &kind,
			      &error)) {
	case 1:
		deliver_mail(b, item, mail);
		outbox_mail_free(&mail);
		return;
	case 0:
		/* no channel of this kind here: keep it for an admin */
		log_error("%s: status=dead (no channel for kind \"%s\")",
			  (*item)->key, kind);
		break;
	default:
		log_error("%s: status=dead (malformed item: %s)",
			  (*item)->key, error);
		break;
	}
	g_free(kind);
	g_free(error);
	error = NULL;
	if (spool_bury(b->outbox, item, &error) < 0)
		log_error("outbox: %s", error);
	g_free(error);
}

static gboolean drain(gpointer data)
{
	struct bridge *b = data;
	struct spool_item *item;
	char *error = NULL;

	for (unsigned int i = 0; i < BATCH_MAX; i++) {
		int ret = spool_claim(b->outbox, now(), &item, &error);

		if (ret < 0) {
			log_error("outbox: %s", error);
			g_free(error);
			break;
		}
		if (ret == 0)
			break;
		handle(b, &item);
	}
	return G_SOURCE_CONTINUE;
}

static gboolean stop(gpointer data)
{
	struct bridge *b = data;

	g_main_loop_quit(b->loop);
	return G_SOURCE_CONTINUE;
}

int main(int argc, char *argv[])
{
	const char *config_path = CONFIG_DEFAULT_PATH;
	struct bridge b = { 0 };
	struct config *config;
	char *error = NULL, *dir;
	bool foreground = false;
	int opt;

	while ((opt = getopt(argc, argv, "c:f")) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case 'f':
			foreground = true;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (config_load(config_path, &config, &error) < 0) {
		fprintf(stderr, "shopdesk-bridge: %s\n", error);
		return 1;
	}
	log_open("shopdesk-bridge", foreground);
	if (!foreground)
		daemon_detach("shopdesk-bridge");
	umask(007);

	b.config = config;
	dir = g_build_filename(config->spool_dir, "outbox", NULL);
	if (spool_open(dir, true, &b.outbox, &error) < 0)
		daemon_die("outbox: %s", error);
	b.loop = g_main_loop_new(NULL, FALSE);
	g_unix_signal_add(SIGTERM, stop, &b);
	g_unix_signal_add(SIGINT, stop, &b);
	g_timeout_add(POLL_MS, drain, &b);
	log_info("starting: outbox %s, sendmail \"%s\"", dir,
		 config->sendmail);
	daemon_ready();
	drain(&b);
	g_main_loop_run(b.loop);
	log_info("stopping");

	g_main_loop_unref(b.loop);
	spool_close(&b.outbox);
	g_free(dir);
	config_free(&config);
	return 0;
}
