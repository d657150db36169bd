/* channel.c: messenger customers' addresses (channel.h).  The chat id
   is checked here once, so that what the milter writes into the outbox
   is always something the provider's API can take.  Base32 is written
   out here: GLib has base64 only, and base64 needs case. */

#include "channel.h"

#include <string.h>

#define CHAT_MAX 64
#define WA_ID_MAX 20

static const char base32[] = "abcdefghijklmnopqrstuvwxyz234567";

const char *channel_prefix(const char *channel_name)
{
	if (strcmp(channel_name, "telegram") == 0)
		return "tg";
	if (strcmp(channel_name, "whatsapp") == 0)
		return "wa";
	if (strcmp(channel_name, "viber") == 0)
		return "vb";
	return NULL;
}

static bool all_of(const char *s, const char *set)
{
	return strspn(s, set) == strlen(s);
}

static bool valid_chat(const char *channel_name, const char *chat)
{
	size_t len = strlen(chat);
	const char *p = chat;

	if (len == 0 || len > CHAT_MAX)
		return false;
	if (strcmp(channel_name, "telegram") == 0) {
		/* a 64-bit integer, spelt one way only: no leading zeros,
		   so that one chat is one address and one queue of its own
		   in the outbox */
		if (*p == '-')
			p++;
		if (*p == '\0' || strlen(p) > 18 || (*p == '0' && p[1] != '\0'))
			return false;
		return all_of(p, "0123456789") && strcmp(chat, "-0") != 0;
	}
	if (strcmp(channel_name, "whatsapp") == 0)
		return len <= WA_ID_MAX && all_of(chat, "0123456789");
	if (strcmp(channel_name, "viber") == 0)
		return len <= CHANNEL_VIBER_ID_MAX &&
			all_of(chat, "abcdefghijklmnopqrstuvwxyz"
			       "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/=-_");
	return false;
}

static char *base32_encode(const char *data)
{
	size_t len = strlen(data);
	GString *out = g_string_sized_new((len * 8 + 4) / 5);
	unsigned int buffer = 0, bits = 0;

	for (size_t i = 0; i < len; i++) {
		buffer = (buffer << 8) | (unsigned char)data[i];
		bits += 8;
		while (bits >= 5) {
			g_string_append_c(out, base32[(buffer >> (bits - 5)) &
						      31]);
			bits -= 5;
		}
	}
	if (bits > 0)
		g_string_append_c(out, base32[(buffer << (5 - bits)) & 31]);
	return g_string_free(out, FALSE);
}

/* Only the one spelling base32_encode() makes (any case): no padding,
   no stray bits, so that one id has one address. */
static char *base32_decode(const char *text)
{
	GString *out = g_string_new(NULL);
	unsigned int buffer = 0, bits = 0;

	for (const char *p = text; *p != '\0'; p++) {
		const char *at = strchr(base32, g_ascii_tolower(*p));

		if (at == NULL)
			goto bad;
		buffer = (buffer << 5) | (unsigned int)(at - base32);
		bits += 5;
		if (bits >= 8) {
			unsigned char c = (buffer >> (bits - 8)) & 0xff;

			if (c == '\0')
				goto bad;
			g_string_append_c(out, c);
			bits -= 8;
		}
	}
	if (bits >= 5 || (buffer & ((1u << bits) - 1)) != 0)
		goto bad;
	return g_string_free(out, FALSE);
bad:
	g_string_free(out, TRUE);
	return NULL;
}

char *channel_chat_encode(const char *channel_name, const char *chat)
{
	if (!valid_chat(channel_name, chat))
		return NULL;
	if (strcmp(channel_name, "viber") == 0)
		return base32_encode(chat);
	return g_strdup(chat);
}

char *channel_chat_decode(const char *channel_name, const char *local)
{
	char *chat;

	if (strcmp(channel_name, "viber") == 0) {
		chat = base32_decode(local);
	} else {
		chat = g_strdup(local);
	}
	if (chat != NULL && !valid_chat(channel_name, chat))
		g_clear_pointer(&chat, g_free);
	return chat;
}

int channel_address_parse(const struct config *config, const char *address,
			  const struct config_channel **channel_r,
			  char **chat_r, const char **why_r)
{
	const char *at = strrchr(address, '@');
	const struct config_channel *channel;
	const char *prefix;
	char *domain, *local, *chat;
	size_t plen;

	if (at == NULL)
		return 0;
	domain = g_ascii_strdown(at + 1, -1);
	channel = config_channel_by_domain(config, domain);
	g_free(domain);
	if (channel == NULL)
		return 0;
	prefix = channel_prefix(channel->name);
	plen = strlen(prefix);
	local = g_strndup(address, at - address);
	if (g_ascii_strncasecmp(local, prefix, plen) != 0 ||
	    local[plen] != '.') {
		*why_r = "not a chat address of the channel";
		g_free(local);
		return -1;
	}
	chat = channel_chat_decode(channel->name, local + plen + 1);
	g_free(local);
	if (chat == NULL) {
		*why_r = "not a chat id of the channel";
		return -1;
	}
	*channel_r = channel;
	*chat_r = chat;
	return 1;
}

char *channel_address(const struct config_channel *channel,
		      const char *chat)
{
	char *local = channel_chat_encode(channel->name, chat);
	char *address;

	if (local == NULL)
		return NULL;
	address = g_strdup_printf("%s.%s@%s", channel_prefix(channel->name),
				  local, channel->domain);
	g_free(local);
	return address;
}
