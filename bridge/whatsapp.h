#ifndef SHOPDESK_BRIDGE_WHATSAPP_H
#define SHOPDESK_BRIDGE_WHATSAPP_H

#include "config.h"
#include <json-glib/json-glib.h>
#include "messenger.h"

/* The WhatsApp Cloud API channel (Meta's Graph API,
   https://developers.facebook.com/docs/whatsapp/cloud-api).

   Outbound: POST /{phone_number_id}/messages with a text (pieces of at
   most 4096 characters), or a file uploaded first (POST
   /{phone_number_id}/media) and sent by its id: JPEG and PNG up to 5 MB
   as an image, anything else as a document.  The token travels as
   "Authorization: Bearer".  Errors: HTTP 429 and 5xx, the rate limits
   (130429, 131056, 131048, 4, 80007) and passing trouble (1, 2, 131000,
   131016) are retried, as are 401 and 190 (a token the admin must
   renew); 131047 means the customer's 24-hour customer-service window
   is closed; any other refusal fails for good.

   The window: the time of each customer's last message is kept in
   spool_dir/whatsapp/window/<wa_id>.  A reply to a customer whose window
   is known to be closed is not tried as text: the configured template
   is sent in its place (and the agent told their words did not go), or,
   without a template, it fails at once with a notice that says the
   window is closed.  A 131047 for a window we thought open does the
   same.

   Inbound: a libmicrohttpd webhook (webhook_listen, behind the admin's
   HTTPS proxy).  GET answers Meta's verification (hub.mode=subscribe,
   hub.verify_token from verify_token_file, hub.challenge echoed); a POST
   without the right X-Hub-Signature-256 (HMAC-SHA256 of the raw body
   under app_secret_file's secret) gets 401 and nothing is taken.  Each
   message (text, image, document, audio, video, sticker, captions)
   becomes a mail from "Name (WhatsApp)" <wa.WA_ID@domain> to the
   channel's queue, Message-ID <wa.WAMID@domain>, media fetched (GET
   /{media-id}, then its url with the token) and attached; statuses
   delivered, read and failed go into the ticket's history (failed also
   tells the agent).  A message handled before is skipped
   (spool_dir/whatsapp/seen/); the answer is 500 while sendmail fails,
   and Meta posts again. */

/* Returns a new channel, or NULL with *error_r (g_free it) when a
   secret cannot be read or a state folder made.  Blocks for no network
   I/O. */
struct messenger *whatsapp_new(const struct config *config,
			       const struct config_channel *channel,
			       char **error_r);

/* What a message object of type type ("text", "image", "location"...)
   holds in words, appended to body, and the media id and file name of
   its file, if any (both point into msg, or NULL).  A pure function of
   the JSON (also for tests/fuzz). */
void whatsapp_read_message(JsonObject *msg, const char *type, GString *body,
			   const char **media_r, const char **filename_r);

#endif
