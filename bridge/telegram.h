#ifndef SHOPDESK_BRIDGE_TELEGRAM_H
#define SHOPDESK_BRIDGE_TELEGRAM_H

#include "config.h"
#include <json-glib/json-glib.h>
#include "messenger.h"

/* The Telegram Bot API channel (https://core.telegram.org/bots/api).

   Outbound: sendMessage (text in pieces of at most 4096 characters,
   cut at line breaks where possible), sendPhoto for JPEG, PNG and WebP
   images up to 10 MB, sendDocument for other files.  Errors: 429 waits
   parameters.retry_after; 5xx, 401, 404, 409 and network errors are
   retried; other 4xx (chat not found, bot blocked) fail for good.  The
   pace is at most one call a second per chat and 30 a second in all.

   Inbound: a thread long-polls getUpdates; each message, edited
   message, caption, photo, document, voice, audio and video becomes a
   mail from "Name (Telegram)" <tg.CHAT@domain> to the channel's queue,
   Message-ID <tg.CHAT.MESSAGE@domain>, handed to sendmail.  The offset
   is kept in spool_dir/telegram/offset and advanced only after sendmail
   took the mail; an update that can never become mail, or that
   failed ten times in a row, is kept in spool_dir/telegram/dead/ with a
   log line, so that the chat's later messages do not wait on it.

   Or, with webhook_listen, a libmicrohttpd server takes the updates
   Telegram posts (behind the admin's HTTPS proxy): a request without the
   X-Telegram-Bot-Api-Secret-Token of webhook_secret_file gets 401 and
   nothing is taken; an update gets 200 once its mail is with sendmail,
   500 (Telegram retries) when that failed for now; one posted again
   after it was handled is skipped (spool_dir/telegram/seen/, a week).

   The token and the secret are read from their files, which must not be
   readable by others (group-readable draws a warning). */

/* Returns a new channel, or NULL with *error_r (g_free it) when the
   token cannot be read or the state folder made.  Blocks for no
   network I/O. */
struct messenger *telegram_new(const struct config *config,
			       const struct config_channel *channel,
			       char **error_r);

/* Of a Message object of an update, pure functions of its JSON (also
   for tests/fuzz): the sender's name, or NULL when the message gives
   none (g_free it; the channel layer writes it into the From); and what a message without text or
   file holds, in words ("[location: ...]", "[sticker 😀]"), or NULL
   (g_free it). */
char *telegram_display_name(JsonObject *msg);
char *telegram_other_content(JsonObject *msg);

#endif
