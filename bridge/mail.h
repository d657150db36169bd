#ifndef SHOPDESK_BRIDGE_MAIL_H
#define SHOPDESK_BRIDGE_MAIL_H

#include "outbox.h"

enum mail_result {
	MAIL_SENT,
	MAIL_RETRY,		/* try again later */
	MAIL_FAILED,		/* will never succeed: dead letter */
};

/* Hands mail to the sendmail command line (split as a shell would),
   adding "-f SENDER -- RECIPIENT...", with the message on its standard
   input, and waits at most timeout seconds for it.  Its exit status
   decides (sysexits.h): 0 sent; EX_DATAERR, EX_NOUSER, EX_NOHOST
   failed; anything else, a crash or the timeout, retry.  Sets *why_r
   (g_free it) unless sent.  Blocks. */
enum mail_result mail_send(const char *sendmail, const struct outbox_mail *mail,
			   unsigned int timeout, char **why_r);

#endif
