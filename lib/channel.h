#ifndef SHOPDESK_CHANNEL_H
#define SHOPDESK_CHANNEL_H

#include "config.h"

/* Messenger customers' mail addresses: a Telegram chat 12345 is
   tg.12345@<the channel's domain>, a WhatsApp user (wa_id, the phone
   number in digits) wa.37060000001@..., a Viber user vb.<base32>@...:
   Viber ids are base64 ("01234567890A="), with '+', '/' and '=' and
   letters whose case matters, none of which survives in a local part
   that mail clients and Postfix may lowercase; RFC 4648 base32 in lower
   case does.  The milter reads them in agents' replies, the bridge
   writes them in the mail it makes of customers' messages. */

/* Longest Viber id an address holds: "vb." and its base32 stay within
   the 64 bytes of a local part (RFC 5321). */
#define CHANNEL_VIBER_ID_MAX 38

/* "tg", "wa" or "vb" for a channel name, or NULL. */
const char *channel_prefix(const char *channel_name);

/* Reads address ("tg.12345@telegram.shop.example", any case).  Returns
   1 with the channel and *chat_r (g_free it; the provider's own id,
   decoded for Viber) when the domain is a channel's and the local part
   is its prefix and a chat id of that provider (Telegram: an optional
   '-' and digits; WhatsApp: 1 to 20 digits; Viber: base32 of 1 to
   CHANNEL_VIBER_ID_MAX bytes of letters, digits, '+', '/', '=', '-' and
   '_'); 0 when the domain is no channel's; -1 when it is a channel's
   domain but no valid chat address (static *why_r). */
int channel_address_parse(const struct config *config, const char *address,
			  const struct config_channel **channel_r,
			  char **chat_r, const char **why_r);

/* "tg.12345@telegram.shop.example" (g_free it); chat is the provider's
   id, encoded here for Viber.  NULL when chat is no valid id of the
   channel. */
char *channel_address(const struct config_channel *channel,
		      const char *chat);

/* The local part's chat for a provider id and back, as the address
   functions use them: NULL when not valid (g_free the results). */
char *channel_chat_encode(const char *channel_name, const char *chat);
char *channel_chat_decode(const char *channel_name, const char *local);

#endif
