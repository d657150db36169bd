#ifndef SHOPDESK_SIGNATURE_H
#define SHOPDESK_SIGNATURE_H

#include <stdbool.h>
#include <stddef.h>

/* Webhook signatures: the providers sign the raw body of each post with
   HMAC-SHA256 and send the digest in hex in a header.  WhatsApp (Meta's
   X-Hub-Signature-256) writes "sha256=<hex>" keyed with the app secret;
   Viber (X-Viber-Content-Signature) writes the bare hex keyed with the
   bot's auth token.  Both take any case of hex digits.  Comparisons take
   the same time wherever the digests differ. */

/* The lowercase hex HMAC-SHA256 of body under key (g_free it). */
char *signature_hmac_hex(const char *key, const void *body, size_t size);

/* Whether header (may be NULL) is "sha256=" and the digest of body
   under app_secret. */
bool signature_check_hub(const char *app_secret, const void *body,
			 size_t size, const char *header);

/* Whether header (may be NULL) is the hex digest of body under
   auth_token. */
bool signature_check_viber(const char *auth_token, const void *body,
			   size_t size, const char *header);

#endif
