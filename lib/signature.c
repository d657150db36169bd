/* signature.c: checks of webhook signatures (signature.h) with GLib's
   GHmac.  It knows nothing of HTTP: the bridge hands it the header's
   value and the bytes as they came, before any parsing. */

#include "signature.h"

#include <glib.h>
#include <string.h>

char *signature_hmac_hex(const char *key, const void *body, size_t size)
{
	GHmac *hmac = g_hmac_new(G_CHECKSUM_SHA256, (const guchar *)key,
				 strlen(key));
	char *hex;

	g_hmac_update(hmac, body, size);
	hex = g_strdup(g_hmac_get_string(hmac));
	g_hmac_unref(hmac);
	return hex;
}

static bool same_hex(const char *want, const char *given)
{
	size_t len = strlen(want), given_len = strlen(given);
	unsigned char diff = given_len != len;

	for (size_t i = 0; i < len; i++)
		diff |= (unsigned char)want[i] ^ (unsigned char)
			g_ascii_tolower(i < given_len ? given[i] : '\0');
	return diff == 0;
}

static bool check(const char *key, const void *body, size_t size,
		  const char *given)
{
	char *want;
	bool ok;

	if (key == NULL || *key == '\0' || given == NULL)
		return false;
	want = signature_hmac_hex(key, body, size);
	ok = same_hex(want, given);
	memset(want, 0, strlen(want));
	g_free(want);
	return ok;
}

bool signature_check_hub(const char *app_secret, const void *body,
			 size_t size, const char *header)
{
	if (header == NULL || g_ascii_strncasecmp(header, "sha256=", 7) != 0)
		return false;
	return check(app_secret, body, size, header + 7);
}

bool signature_check_viber(const char *auth_token, const void *body,
			   size_t size, const char *header)
{
	return check(auth_token, body, size, header);
}
