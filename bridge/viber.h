#ifndef SHOPDESK_BRIDGE_VIBER_H
#define SHOPDESK_BRIDGE_VIBER_H

#include "config.h"
#include <json-glib/json-glib.h>
#include "messenger.h"

/* The Viber REST bot API channel
   (https://developers.viber.com/docs/api/rest-bot-api/).

   Outbound: POST /send_message, "X-Viber-Auth-Token" the token, text in
   pieces of at most 7000 characters whose request stays under Viber's
   30 KB, the sender's name the queue's display name (at most 28
   characters).  Viber takes pictures and files only by a URL it fetches
   itself, and the bridge serves no files to the Internet: an agent's
   attachments are not sent; the text says "[attachment not sent: NAME]"
   and a log line says why.  Errors come as HTTP 200 with a non-zero
   "status": 2 (token), 7, 8, 9, 10 (the account: the admin's to fix) and
   12 (rate) and unknown ones are retried; 1, 3, 4, 5, 6 (not
   subscribed), 11, 13, 14 never succeed.  HTTP 429 and 5xx are
   retried.

   Inbound: a libmicrohttpd webhook (webhook_listen, behind the admin's
   HTTPS proxy; registered with set_webhook by the admin).  A post
   without the right X-Viber-Content-Signature (hex HMAC-SHA256 of the
   raw body under the token) gets 401 and nothing is taken.  A "message"
   (text, picture, file, video, sticker, contact, location, url) becomes
   a mail from "Name (Viber)" <vb.BASE32-ID@domain> to the channel's
   queue, Message-ID <vb.MESSAGE_TOKEN@domain>, media downloaded from its
   URL and attached; "delivered", "seen" and "failed" go into the
   ticket's history (failed also tells the agent); "subscribed",
   "unsubscribed", "conversation_started" and "webhook" are logged only.
   A message handled before is skipped (spool_dir/viber/seen/). */

/* Returns a new channel, or NULL with *error_r (g_free it).  Blocks for
   no network I/O. */
struct messenger *viber_new(const struct config *config,
			    const struct config_channel *channel,
			    char **error_r);

/* What a "message" object of type type ("text", "contact", "url"...)
   holds in words, appended to body.  A pure function of the JSON (also
   for tests/fuzz). */
void viber_read_message(JsonObject *msg, const char *type, GString *body);

#endif
