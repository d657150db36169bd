#ifndef SHOPDESK_OUTBOX_H
#define SHOPDESK_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include <glib.h>

/* The items of the outbox spool (spool.h), as JSON:

     {"kind": "mail", "ticket": 12, "created": 1795000000, "sender": "",
      "recipients": ["ann@example.com"], "message": "From: ...\n..."}

     {"kind": "message", "channel": "telegram", "chat": "12345",
      "ticket": 12, "created": 1795000000, "order": 1795000000123456,
      "queue": "sales", "agent": "ann@shop.example",
      "subject": "Re: ...", "in_reply_to": "abc@client",
      "text": "We are sorry...",
      "attachments": [{"filename": "label.pdf",
                       "content_type": "application/pdf",
                       "data": "JVBERi0..."}],
      "sent": ["5001"]}

   A "mail" item is handed to sendmail with that envelope ("" is the null
   sender).  A "message" item goes to a customer's chat through the
   channel's API; attachments travel base64-encoded inside the item, so
   that one file is the whole of what must be delivered (the milter
   bounds their size).  "sent" lists the provider's message ids of the
   parts already delivered (text chunks, then attachments), so that a
   retry sends only the rest; the bridge rewrites the item as parts go.
   The producer is the milter (and the bridge, for notices), the
   consumer the bridge. */

struct outbox_mail {
	uint32_t ticket;
	int64_t created;	/* Unix seconds: retries are timed from it */
	char *sender;		/* envelope sender, "" for <> */
	char **recipients;	/* NULL-terminated, at least one */
	char *message;		/* RFC 5322, LF line ends */
};

/* Returns the item's JSON text (g_free it). */
char *outbox_mail_encode(const struct outbox_mail *mail);

/* Reads an item.  Returns 1 and a new mail for a "mail" item, 0 with
   *kind_r (g_free it) for an item of another kind, -1 with *error_r
   (g_free it) for one that is malformed. */
int outbox_decode(const char *data, size_t size, struct outbox_mail **mail_r,
		  char **kind_r, char **error_r);

void outbox_mail_free(struct outbox_mail **_mail);

struct outbox_attachment {
	char *filename;		/* never NULL, may be "" */
	char *content_type;	/* "image/jpeg" */
	GBytes *data;
};

/* A messenger message: an agent's reply to a customer's chat. */
struct outbox_message {
	char *channel;		/* [channel NAME] */
	char *chat;		/* the provider's chat id, as text */
	uint32_t ticket;
	int64_t created;	/* Unix seconds: retries are timed from it */
	int64_t order;		/* microseconds: items of one chat go out in
				   this order */
	char *queue;		/* the ticket's queue, for the notice */
	char *agent;		/* who is told if it cannot be delivered */
	char *subject;		/* the agent's mail's, for the notice */
	char *in_reply_to;	/* the agent's mail's Message-ID, or "" */
	char *text;		/* UTF-8, may be "" when there are
				   attachments */
	GPtrArray *attachments;	/* struct outbox_attachment * */
	GPtrArray *sent;	/* char *: provider ids of parts done */
};

struct outbox_message *outbox_message_new(void);

/* Returns the item's JSON text (g_free it).  Attachments are encoded in
   base64. */
char *outbox_message_encode(const struct outbox_message *msg);

/* Reads a "message" item.  Returns 0 and a new message, or -1 with
   *error_r (g_free it) when it is malformed or of another kind. */
int outbox_message_decode(const char *data, size_t size,
			  struct outbox_message **msg_r, char **error_r);

void outbox_message_free(struct outbox_message **_msg);

/* The spool key of a message item, "msg.telegram.12345.<hash>": all
   items of one chat share the prefix outbox_message_prefix() returns,
   so that the bridge finds them; seed (the agent's mail's id and the
   recipient) makes the key the same when the same mail is retried.
   Chat characters a key cannot hold become '_'.  g_free the results. */
char *outbox_message_key(const char *channel, const char *chat,
			 const char *seed);
char *outbox_message_prefix(const char *channel, const char *chat);

#endif
