#ifndef SHOPDESK_BRIDGE_INMAIL_H
#define SHOPDESK_BRIDGE_INMAIL_H

#include <glib.h>
#include <stdint.h>

#include "config.h"
#include "mail.h"

/* A customer's messenger message as the mail DESIGN.md describes (From
   "Name (WhatsApp)" <wa.ID@domain>, to the channel's queue, Message-ID
   from the provider's id, files attached), built with GMime and handed
   to sendmail, so that it passes the milter like any mail.  Used by every
   channel. */

struct inmail_file {
	char *filename;		/* never NULL */
	char *content_type;	/* "image/jpeg" */
	GBytes *data;
};

struct inmail {
	const char *name;	/* display name: "Ivan (WhatsApp)" */
	const char *address;	/* the customer's: wa.37060000001@... */
	const char *language;	/* as the provider gave it, or NULL: the
				   primary tag becomes Content-Language */
	const struct config_queue *queue;
	const char *subject;
	int64_t date;		/* Unix seconds; 0 or less: now */
	const char *message_id;	/* without <> */
	const char *in_reply_to;	/* without <>, or NULL */
	const char *text;	/* the body, UTF-8 */
	GPtrArray *files;	/* struct inmail_file *, or NULL */
};

/* Sends it to the queue through config's sendmail.  Returns what
   mail_send() does, with *why_r (g_free it) unless sent.  Blocks for
   sendmail. */
enum mail_result inmail_send(const struct config *config,
			     const struct inmail *in, char **why_r);

/* A subject from a message's text: its first line, cut to 60
   characters, or fallback when it has none (g_free it). */
char *inmail_subject(const char *text, const char *fallback);

/* A new file (takes data) and the free function for arrays of them. */
struct inmail_file *inmail_file_new(const char *filename,
				    const char *content_type, GBytes *data);
void inmail_file_free(gpointer file);

#endif
