/* channel.c: messenger customers' addresses (channel.h).  The chat id
   is checked here once, so that what the milter writes into the outbox
   is always something the provider's API can take. */

#include "channel.h"

#include <string.h>

#define CHAT_MAX 64

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

static bool valid_chat(const char *channel_name, const char *chat)
{
	size_t len = strlen(chat);
	const char *p = chat;

	if (len == 0 || len > CHAT_MAX)
		return false;
	if (strcmp(channel_name, "telegram") == 0) {
		if (*p == '-')
			p++;
		if (*p == '\0')
			return false;
		return strspn(p, "0123456789") == strlen(p);
	}
	return strspn(chat, "abcdefghijklmnopqrstuvwxyz"
		      "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=+") == len;
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
	chat = g_strdup(local + plen + 1);
	g_free(local);
	/* Telegram ids are numbers; the others keep their case */
	if (!valid_chat(channel->name, chat)) {
		*why_r = "not a chat id of the channel";
		g_free(chat);
		return -1;
	}
	*channel_r = channel;
	*chat_r = chat;
	return 1;
}

char *channel_address(const struct config_channel *channel,
		      const char *chat)
{
	return g_strdup_printf("%s.%s@%s", channel_prefix(channel->name), chat,
			       channel->domain);
}
