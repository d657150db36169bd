#ifndef SHOPDESK_OUTBOX_H
#define SHOPDESK_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

/* The items of the outbox spool (spool.h), as JSON:

     {"kind": "mail", "ticket": 12, "created": 1795000000, "sender": "",
      "recipients": ["ann@example.com"], "message": "From: ...\n..."}

   A "mail" item is handed to sendmail with that envelope ("" is the null
   sender).  The producer is the milter, the consumer the bridge. */

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

#endif
