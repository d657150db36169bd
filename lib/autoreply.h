#ifndef SHOPDESK_AUTOREPLY_H
#define SHOPDESK_AUTOREPLY_H

#include <gmime/gmime.h>

/* Whether a message may be answered automatically: RFC 3834, and the
   rules of Sieve's vacation extension (RFC 5230) as Pigeonhole applies
   them, plus shopdesk's own (spam, delivery and read reports, no-reply
   senders).  Pure: no state, no counting; burst limits and daily caps
   are the caller's. */

/* Returns NULL when an acknowledgement may be sent, or a static text
   saying why not ("mailing list", "auto-submitted", ...).
   envelope_sender is the SMTP MAIL FROM without <> ("" for null);
   own_addresses (NULL-terminated) are the shop's addresses, the first of
   which the message must name in To, Cc, Bcc or Resent-* to be
   answered. */
const char *autoreply_refusal(GMimeMessage *message,
			      const char *envelope_sender,
			      const char *const *own_addresses);

/* Whether a message was written by a machine rather than a person: a
   bounce, a read report, an out-of-office reply.  Such mail is filed
   but reopens no ticket.  Returns NULL or a static reason. */
const char *autoreply_automatic(GMimeMessage *message,
				const char *envelope_sender);

#endif
