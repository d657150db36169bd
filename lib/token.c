/* token.c: reply tokens, the TOKEN of "sales+TOKEN@domain".

   Format: the ticket id in decimal (no leading zeros), the letter 'k',
   and the first 16 hex digits (lowercase) of HMAC-SHA256 over
   "shopdesk-ticket:" and the id, keyed with the installation's 32-byte
   secret: "12k3f9a0c81d2e4b5a6".  Letters and digits only, because
   MTAs and clients may fold the case of a local part; parsing ignores
   case.  64 bits of MAC make a forged token a 1-in-2^64 guess per try.

   It does not store anything about tickets; it only proves that whoever
   writes to a token was sent it. */

#include "token.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#define TOKEN_KEY_SIZE 32
#define TOKEN_MAC_HEX 16
#define TOKEN_KEY_FILE "token.key"

struct token_key {
	guint8 secret[TOKEN_KEY_SIZE];
	size_t size;
};

struct token_key *token_key_new(const void *secret, size_t size)
{
	struct token_key *key = g_new0(struct token_key, 1);

	key->size = MIN(size, sizeof(key->secret));
	memcpy(key->secret, secret, key->size);
	return key;
}

void token_key_free(struct token_key **_key)
{
	struct token_key *key = *_key;

	if (key == NULL)
		return;
	*_key = NULL;
	memset(key->secret, 0, sizeof(key->secret));
	g_free(key);
}

static int write_new_key(const char *dir, const char *path, char **error_r)
{
	guint8 secret[TOKEN_KEY_SIZE];
	char *tmp = g_build_filename(dir, TOKEN_KEY_FILE ".XXXXXX", NULL);
	int fd, dir_fd;

	if (getrandom(secret, sizeof(secret), 0) != sizeof(secret)) {
		*error_r = g_strdup_printf("getrandom: %s", g_strerror(errno));
		g_free(tmp);
		return -1;
	}
	fd = g_mkstemp_full(tmp, O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, secret, sizeof(secret)) != sizeof(secret) ||
	    fsync(fd) < 0 || close(fd) < 0 || rename(tmp, path) < 0) {
		*error_r = g_strdup_printf("cannot create %s: %s", path,
					   g_strerror(errno));
		if (fd >= 0)
			g_unlink(tmp);
		g_free(tmp);
		memset(secret, 0, sizeof(secret));
		return -1;
	}
	g_free(tmp);
	memset(secret, 0, sizeof(secret));
	/* the rename itself must survive a crash, or the next start would
	   make another key and every token sent so far would stop working */
	dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd >= 0) {
		fsync(dir_fd);
		close(dir_fd);
	}
	return 0;
}

int token_key_load(const char *dir, struct token_key **key_r, char **error_r)
{
	char *path = g_build_filename(dir, TOKEN_KEY_FILE, NULL);
	char *data = NULL;
	gsize size;
	GError *error = NULL;

	if (!g_file_test(path, G_FILE_TEST_EXISTS) &&
	    write_new_key(dir, path, error_r) < 0) {
		g_free(path);
		return -1;
	}
	if (!g_file_get_contents(path, &data, &size, &error)) {
		*error_r = g_strdup(error->message);
		g_error_free(error);
		g_free(path);
		return -1;
	}
	if (size != TOKEN_KEY_SIZE) {
		*error_r = g_strdup_printf("%s: a key of %d bytes expected, "
					   "found %zu", path, TOKEN_KEY_SIZE,
					   (size_t)size);
		g_free(data);
		g_free(path);
		return -1;
	}
	*key_r = token_key_new(data, size);
	memset(data, 0, size);
	g_free(data);
	g_free(path);
	return 0;
}

static void mac_hex(const struct token_key *key, uint32_t id,
		    char out[TOKEN_MAC_HEX + 1])
{
	GHmac *hmac = g_hmac_new(G_CHECKSUM_SHA256, key->secret, key->size);
	char message[32];

	g_snprintf(message, sizeof(message), "shopdesk-ticket:%u", id);
	g_hmac_update(hmac, (const guchar *)message, strlen(message));
	g_strlcpy(out, g_hmac_get_string(hmac), TOKEN_MAC_HEX + 1);
	g_hmac_unref(hmac);
}

char *token_make(const struct token_key *key, uint32_t ticket_id)
{
	char mac[TOKEN_MAC_HEX + 1];

	mac_hex(key, ticket_id, mac);
	return g_strdup_printf("%uk%s", ticket_id, mac);
}

int token_parse(const struct token_key *key, const char *token, size_t len,
		uint32_t *ticket_id_r)
{
	char mac[TOKEN_MAC_HEX + 1];
	guint64 id = 0;
	size_t i = 0;
	unsigned char diff = 0;

	if (len == 0 || token[0] == '0')
		return 0;
	while (i < len && g_ascii_isdigit(token[i])) {
		id = id * 10 + (token[i++] - '0');
		if (id > UINT32_MAX)
			return 0;
	}
	if (i == 0 || id == 0 || i >= len ||
	    g_ascii_tolower(token[i]) != 'k' || len - i - 1 != TOKEN_MAC_HEX)
		return 0;
	i++;
	mac_hex(key, id, mac);
	for (size_t j = 0; j < TOKEN_MAC_HEX; j++)
		diff |= g_ascii_tolower(token[i + j]) ^ mac[j];
	if (diff != 0)
		return 0;
	*ticket_id_r = id;
	return 1;
}
