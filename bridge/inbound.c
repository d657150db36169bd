/* inbound.c: the channels' common inbound side (inbound.h).  It parses
   no provider's JSON and checks no signature: a channel's handler does,
   then hands each message here in the layer's terms.  One receiving
   thread per channel (libmicrohttpd's, or the poll thread), so the
   HTTP handle is that thread's alone. */

#include "inbound.h"
#include "log.h"
#include "state.h"

#include <errno.h>
#include <string.h>

#define SEEN_DAYS 7
#define DOWNLOAD_TIMEOUT 300L	/* seconds: a large file on a slow CDN */

struct inbound {
	const struct config *config;
	const struct config_channel *ch;
	const struct inbound_rules *rules;
	const struct config_queue *queue;	/* the channel's */
	void *context;
	char *dir;		/* spool_dir/NAME */
	char *seen_dir;
	char *dead_dir;
	gint stop;
	struct http *http;	/* the receiving thread's */
	struct webhook *hook;
	GThread *thread;
};

struct inbound *inbound_new(const struct config *config,
			    const struct config_channel *ch,
			    const struct inbound_rules *rules, void *context,
			    char **error_r)
{
	struct inbound *in = g_new0(struct inbound, 1);

	in->config = config;
	in->ch = ch;
	in->rules = rules;
	in->queue = config_queue_by_name(config, ch->queue);
	in->context = context;
	in->dir = g_build_filename(config->spool_dir, rules->name, NULL);
	in->seen_dir = g_build_filename(in->dir, "seen", NULL);
	in->dead_dir = g_build_filename(in->dir, "dead", NULL);
	if (g_mkdir_with_parents(in->seen_dir, 0770) < 0 ||
	    g_mkdir_with_parents(in->dead_dir, 0770) < 0) {
		*error_r = g_strdup_printf("mkdir %s: %s", in->dead_dir,
					   g_strerror(errno));
		inbound_free(&in);
	}
	return in;
}

int inbound_start(struct inbound *in, char **error_r)
{
	const char *name = in->rules->name;

	g_atomic_int_set(&in->stop, 0);
	state_sweep(in->seen_dir, SEEN_DAYS * 24 * 3600);
	in->http = http_new(&in->stop);
	if (*in->ch->webhook_listen != '\0') {
		in->hook = webhook_start(in->ch->webhook_listen, name,
					 in->rules->body_max,
					 in->rules->handler, in->context,
					 error_r);
		if (in->hook == NULL) {
			http_free(&in->http);
			return -1;
		}
		log_info("%s: receiving by webhook on %s", name,
			 in->ch->webhook_listen);
	} else if (in->rules->poll != NULL) {
		in->thread = g_thread_new(name, in->rules->poll, in->context);
	} else {
		log_warning("%s: no webhook_listen: customers' messages are "
			    "not received, replies are only sent", name);
	}
	return 0;
}

void inbound_stop(struct inbound *in)
{
	if (in == NULL)
		return;
	g_atomic_int_set(&in->stop, 1);
	webhook_stop(&in->hook);
	if (in->thread != NULL) {
		g_thread_join(in->thread);
		in->thread = NULL;
	}
	http_free(&in->http);
}

void inbound_free(struct inbound **_in)
{
	struct inbound *in = *_in;

	if (in == NULL)
		return;
	*_in = NULL;
	inbound_stop(in);
	g_free(in->dir);
	g_free(in->seen_dir);
	g_free(in->dead_dir);
	g_free(in);
}

unsigned int inbound_refuse(struct inbound *in,
			    const struct webhook_request *request,
			    const char *how)
{
	char *client = webhook_client(request);

	log_warning("%s: webhook: %s %s from %s %s: refused (401), nothing "
		    "taken", in->rules->name, webhook_method(request),
		    webhook_path(request), client, how);
	g_free(client);
	return 401;
}

bool inbound_stopping(struct inbound *in)
{
	return g_atomic_int_get(&in->stop) != 0;
}

void inbound_pause(struct inbound *in, unsigned int seconds)
{
	for (unsigned int i = 0; i < seconds * 10 && !inbound_stopping(in);
	     i++)
		g_usleep(G_USEC_PER_SEC / 10);
}

struct http *inbound_http(struct inbound *in)
{
	return in->http;
}

const char *inbound_dir(struct inbound *in)
{
	return in->dir;
}

/* "NAME: LABEL: chat=C" or "NAME: LABEL", for log lines (g_free it). */
static char *what(struct inbound *in, const struct inbound_item *item)
{
	if (item->chat == NULL)
		return g_strdup_printf("%s: %s", in->rules->name, item->label);
	return g_strdup_printf("%s: %s: chat=%s", in->rules->name,
			       item->label, item->chat);
}

bool inbound_seen(struct inbound *in, const struct inbound_item *item)
{
	char *w;

	if (!state_seen(in->seen_dir, item->seen_id != NULL ? item->seen_id :
			item->label))
		return false;
	w = what(in, item);
	log_info("%s handled before, skipped", w);
	g_free(w);
	return true;
}

void inbound_see(struct inbound *in, const struct inbound_item *item)
{
	char *error = NULL;

	if (state_see(in->seen_dir, item->seen_id != NULL ? item->seen_id :
		      item->label, &error) < 0) {
		log_error("%s: %s: cannot remember it as handled: %s",
			  in->rules->name, item->label, error);
		g_free(error);
	}
}

void inbound_keep_dead(struct inbound *in, const struct inbound_item *item,
		       const char *why)
{
	char *name = item->dead_name != NULL ? g_strdup(item->dead_name) :
		g_strdup_printf("%" G_GINT64_FORMAT ".json",
				g_get_real_time());
	char *error = NULL;

	if (state_write(in->dead_dir, name, item->data, item->size,
			&error) < 0) {
		log_error("%s: %s: %s, and cannot keep it: %s",
			  in->rules->name, item->label, why, error);
		g_free(error);
	} else {
		log_error("%s: %s: status=dead (%s), kept as %s/%s",
			  in->rules->name, item->label, why, in->dead_dir,
			  name);
	}
	g_free(name);
}

bool inbound_too_big(int64_t size, size_t max, char **why_r)
{
	if (size <= (int64_t)max)
		return false;
	*why_r = g_strdup_printf("%" G_GINT64_FORMAT " bytes, over the %zu "
				 "allowed", size, max);
	return true;
}

enum inbound_fetch inbound_download(struct inbound *in,
				    const struct provider *p,
				    const char *url,
				    const char *const *headers, size_t max,
				    GBytes **bytes_r, char **type_r,
				    char **why_r)
{
	struct http_response r;
	char *error = NULL;
	bool later;
	int got;

	if (!g_str_has_prefix(url, "https://") &&
	    !g_str_has_prefix(url, "http://")) {
		*why_r = g_strdup("the media is no http(s) URL");
		return INBOUND_FETCH_SKIP;
	}
	got = http_request_with(in->http, url, headers, NULL, NULL,
				DOWNLOAD_TIMEOUT, max, &r, &error);
	if (got < 0) {
		*why_r = g_strdup_printf("download: %s", error);
		g_free(error);
		return got == HTTP_TOO_BIG ? INBOUND_FETCH_SKIP :
			INBOUND_FETCH_RETRY;
	}
	if (r.status != 200) {
		*why_r = g_strdup_printf("download: HTTP %ld", r.status);
		if (provider_rules(p)->media_expires)
			/* a link that expired: only a server's trouble is
			   worth a second try */
			later = r.status >= 500 || r.status == 429;
		else
			later = provider_http_result(p, r.status) !=
				PROVIDER_DEAD;
		http_response_clear(&r);
		return later ? INBOUND_FETCH_RETRY : INBOUND_FETCH_SKIP;
	}
	*type_r = g_strdup(r.content_type);
	*bytes_r = g_byte_array_free_to_bytes(g_steal_pointer(&r.body));
	http_response_clear(&r);
	return INBOUND_FETCH_OK;
}

bool inbound_media_missing(struct inbound *in,
			   const struct inbound_item *item,
			   enum inbound_fetch result, const char *kind,
			   const char *why, GString *body)
{
	char *w = what(in, item);

	if (result == INBOUND_FETCH_RETRY) {
		log_warning("%s %s not fetched (%s); will try again", w, kind,
			    why);
		g_free(w);
		return false;
	}
	g_string_append_printf(body, "%s[a %s the bridge could not fetch: "
			       "%s]", body->len > 0 ? "\n\n" : "", kind, why);
	log_warning("%s %s not fetched: %s", w, kind, why);
	g_free(w);
	return true;
}

int64_t inbound_date(int64_t when)
{
	int64_t now = g_get_real_time() / G_USEC_PER_SEC;

	return when > 0 && when <= now ? when : now;
}

/* "Ivan (Viber)", on one line: it goes into a header (g_free it). */
static char *from_name(struct inbound *in, const char *sender)
{
	const char *title = in->rules->title;
	char *name = sender != NULL ?
		g_strdup_printf("%s (%s)", sender, title) :
		g_strdup_printf("%s user (%s)", title, title);

	g_strdelimit(name, "\r\n\t", ' ');
	return name;
}

static char *subject(struct inbound *in, const struct inbound_message *m)
{
	const char *kind = m->kind != NULL && strcmp(m->kind, "text") != 0 ?
		m->kind : "message";
	char *fallback = g_strdup_printf("%s %s", in->rules->title, kind);
	char *line = inmail_subject(m->subject_text != NULL ?
				    m->subject_text : m->text, fallback);
	char *edited;

	g_free(fallback);
	if (!m->edited)
		return line;
	edited = g_strconcat("Edited: ", line, NULL);
	g_free(line);
	return edited;
}

enum inbound_result inbound_deliver(struct inbound *in,
				    const struct inbound_item *item,
				    const struct inbound_message *message)
{
	enum inbound_result ret = INBOUND_DONE;
	char *w = what(in, item), *why = NULL;
	char *name = from_name(in, message->sender);
	char *subject_line = subject(in, message);
	const struct inmail mail = {
		.name = name,
		.address = message->address,
		.language = message->language,
		.queue = in->queue,
		.subject = subject_line,
		.date = message->date,
		.message_id = message->message_id,
		.in_reply_to = message->in_reply_to,
		.text = message->text,
		.files = message->files,
	};

	switch (inmail_send(in->config, &mail, &why)) {
	case MAIL_SENT:
		log_info("%s message_id=<%s> from=<%s> to=<%s>%s%s status=sent "
			 "via sendmail", w, mail.message_id, mail.address,
			 mail.queue->address, message->edited ? " edited" : "",
			 mail.files != NULL && mail.files->len > 0 ?
			 " attachment=yes" : "");
		if (item->seen_id != NULL)
			inbound_see(in, item);
		break;
	case MAIL_RETRY:
		log_warning("%s status=deferred (%s)", w, why);
		ret = INBOUND_RETRY;
		break;
	case MAIL_FAILED:
		inbound_keep_dead(in, item, why);
		break;
	}
	g_free(subject_line);
	g_free(name);
	g_free(why);
	g_free(w);
	return ret;
}
