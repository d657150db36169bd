#ifndef SHOPDESK_STAMP_H
#define SHOPDESK_STAMP_H

#include <stdbool.h>
#include <glib.h>

#include "token.h"

/* The seal on the X-Shopdesk-* headers the milter stamps: X-Shopdesk-Mac
   is the installation's keyed MAC (token_key_seal) over every other
   X-Shopdesk-* header of the message, in order, and the Message-ID the
   message was filed under.  The milter strips such headers from mail
   that comes in through it; the seal tells its own stamps from any that
   reached a mailbox some other way (past a milter that was down, local
   submission without non_smtpd_milters), so that a rebuild trusts only
   the milter's (rebuild.c). */

#define STAMP_SEAL_HEADER "X-Shopdesk-Mac"

/* Whether name is an X-Shopdesk-* header the seal covers */
bool stamp_covered(const char *name);

/* Appends the header to text, in the seal's form (the name lowercased,
   the value with its runs of white space, folding included, made one
   space), when the seal covers it. */
void stamp_text_add(GString *text, const char *name, const char *value);

/* The seal of text (stamp_text_add's) for the message filed under
   message_id (without <>, NULL for none); g_free it. */
char *stamp_seal(const struct token_key *key, const GString *text,
		 const char *message_id);

#endif
