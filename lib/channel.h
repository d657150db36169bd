#ifndef SHOPDESK_CHANNEL_H
#define SHOPDESK_CHANNEL_H

#include "config.h"

/* Messenger customers' mail addresses: a Telegram chat 12345 is
   tg.12345@<the channel's domain>, WhatsApp uses "wa.", Viber "vb.".
   The milter reads them in agents' replies, the bridge writes them in
   the mail it makes of customers' messages. */

/* "tg", "wa" or "vb" for a channel name, or NULL. */
const char *channel_prefix(const char *channel_name);

/* Reads address ("tg.12345@telegram.shop.example", any case).  Returns
   1 with the channel and *chat_r (g_free it) when the domain is a
   channel's and the local part is its prefix and a chat id of that
   provider (Telegram: an optional '-' and digits; the others: letters,
   digits, '-', '_', '=' and '+'); 0 when the domain is no channel's;
   -1 when it is a channel's domain but no valid chat address (static
   *why_r). */
int channel_address_parse(const struct config *config, const char *address,
			  const struct config_channel **channel_r,
			  char **chat_r, const char **why_r);

/* "tg.12345@telegram.shop.example" (g_free it). */
char *channel_address(const struct config_channel *channel,
		      const char *chat);

#endif
