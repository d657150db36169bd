#ifndef SHOPDESK_BRIDGE_INBOUND_H
#define SHOPDESK_BRIDGE_INBOUND_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "http.h"
#include "inmail.h"
#include "provider.h"
#include "webhook.h"

/* The channels' common inbound side: customers' messages taken from a
   webhook (webhook.h) or a poll thread of the channel's, started and
   stopped one way for every channel; the ids handled lately, so that a
   message the provider sends again is no second mail; what can never
   become mail, kept in spool_dir/NAME/dead/; media downloads; and the
   mail made of a message (one form of From name and subject for every
   channel) and handed to sendmail (inmail.h) with one form of log line.
   What a provider's post or update holds is its channel's business. */

struct inbound_rules {
	const char *name;	/* the channel's: "viber" */
	const char *title;	/* the provider's, as customers know it, for
				   the mail's From and subject: "Viber" */
	size_t body_max;	/* bytes of a webhook post */
	/* answers a webhook's request; context is inbound_new()'s */
	webhook_handler *handler;
	/* without webhook_listen: runs in a thread of its own (Telegram's
	   long poll) until inbound_stopping(); NULL: nothing is received
	   then, which is logged */
	GThreadFunc poll;
};

struct inbound;

/* The inbound side of channel ch; rules is kept (static), context goes
   to its functions.  Makes spool_dir/NAME/seen/ and dead/.  Returns
   NULL with *error_r (g_free it) when it cannot. */
struct inbound *inbound_new(const struct config *config,
			    const struct config_channel *ch,
			    const struct inbound_rules *rules, void *context,
			    char **error_r);

/* Starts receiving: the webhook on the channel's webhook_listen, else
   the poll thread.  Forgets ids handled more than a week ago.  Returns
   0, or -1 with *error_r (g_free it) when it cannot listen. */
int inbound_start(struct inbound *in, char **error_r);

/* Stops receiving, after the request in progress; the HTTP request a
   thread is making is abandoned.  in may be NULL. */
void inbound_stop(struct inbound *in);
void inbound_free(struct inbound **_in);

/* Logs a webhook request refused for its signature or secret, how
   ("without X-Hub-Signature-256"), and returns 401 for its answer. */
unsigned int inbound_refuse(struct inbound *in,
			    const struct webhook_request *request,
			    const char *how);

/* Whether inbound_stop() was called: a poll thread ends then. */
bool inbound_stopping(struct inbound *in);

/* Sleeps seconds, or less when told to stop. */
void inbound_pause(struct inbound *in, unsigned int seconds);

/* The HTTP handle of the receiving thread (media, polls); it fails at
   once after inbound_stop(). */
struct http *inbound_http(struct inbound *in);

/* The channel's state folder, spool_dir/NAME (g_free nothing). */
const char *inbound_dir(struct inbound *in);

/* One message or update of a provider, as the layer names and keeps
   it. */
struct inbound_item {
	const char *label;	/* for log lines: "update 1000" */
	const char *chat;	/* the customer's chat id, or NULL */
	const char *seen_id;	/* remembered once its mail is sent, or
				   NULL: the channel remembers */
	const char *dead_name;	/* its name in dead/; NULL: by the time */
	const void *data;	/* what is kept there */
	size_t size;
};

/* Whether item's seen_id (or label) was handled lately; logs so. */
bool inbound_seen(struct inbound *in, const struct inbound_item *item);

/* Remembers item's seen_id (or label) as handled; failing, it logs. */
void inbound_see(struct inbound *in, const struct inbound_item *item);

/* Keeps item's data in dead/ for the admin, with a log line saying
   why it will never become mail. */
void inbound_keep_dead(struct inbound *in, const struct inbound_item *item,
		       const char *why);

enum inbound_fetch {
	INBOUND_FETCH_OK,
	INBOUND_FETCH_RETRY,	/* for now: the item is tried again */
	INBOUND_FETCH_SKIP,	/* never: the mail says so instead */
};

/* Whether a file of size bytes (-1: not known) is over max; then
   *why_r (g_free it) says so. */
bool inbound_too_big(int64_t size, size_t max, char **why_r);

/* Downloads url (http or https) in the receiving thread, with headers
   (NULL-terminated, or NULL: a provider's token never goes to a host
   that is not its API's), at most max bytes; what an HTTP error means
   is p's rules'.  INBOUND_FETCH_OK gives the bytes and the content
   type (or NULL; g_free it); otherwise *why_r (g_free it).  Blocks. */
enum inbound_fetch inbound_download(struct inbound *in,
				    const struct provider *p,
				    const char *url,
				    const char *const *headers, size_t max,
				    GBytes **bytes_r, char **type_r,
				    char **why_r);

/* The file what ("photo") of item that was not fetched: for
   INBOUND_FETCH_RETRY logs and returns false (the item is tried
   again); for INBOUND_FETCH_SKIP says so in body and the log, and
   returns true. */
bool inbound_media_missing(struct inbound *in,
			   const struct inbound_item *item,
			   enum inbound_fetch result, const char *what,
			   const char *why, GString *body);

/* A customer's message as its channel read it, which becomes a mail to
   the channel's queue: From "SENDER (TITLE)", the subject the first
   line of its words, else "TITLE KIND" ("Viber photo"). */
struct inbound_message {
	const char *sender;	/* the customer's name, as the provider gives
				   it, or NULL: "TITLE user" */
	const char *address;	/* the customer's: tg.12345@... */
	const char *language;	/* the language the customer's app is set
				   to, as the provider says it ("en",
				   "pt-br"), or NULL */
	const char *kind;	/* what it is, when more than words:
				   "photo"; NULL or "text": a message */
	const char *subject_text;	/* the words of the subject, or
					   NULL: text's */
	bool edited;		/* it replaces an earlier message: "Edited: "
				   before the subject */
	int64_t date;		/* Unix seconds; 0 or less: now */
	const char *message_id;	/* without <> */
	const char *in_reply_to;	/* without <>, or NULL */
	const char *text;	/* the body, UTF-8 */
	GPtrArray *files;	/* struct inmail_file *, or NULL */
};

/* When a message was written, by the provider's clock (Unix seconds):
   now when it is not known (0 or less) or in the future. */
int64_t inbound_date(int64_t when);

enum inbound_result {
	INBOUND_DONE,		/* mail sent, or kept as a dead letter */
	INBOUND_RETRY,		/* for now: the provider posts it again */
};

/* Makes the mail of message and hands it to sendmail: logged, and
   item's seen_id remembered, once sent; a mail sendmail refuses for
   good keeps item as a dead letter.  Blocks for sendmail. */
enum inbound_result inbound_deliver(struct inbound *in,
				    const struct inbound_item *item,
				    const struct inbound_message *message);

#endif
