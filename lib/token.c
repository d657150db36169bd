/* token.c: reply tokens, the TOKEN in "sales+TOKEN@domain", and the
   secret that makes them unforgeable.

   A token is the ticket id in decimal (1 to 4294967295, no leading
   zeros), the letter 'k', and the first 16 hex digits, lowercase, of
   HMAC-SHA256 keyed with the installation's secret over the ASCII text
   "shopdesk-ticket:" followed by the id in decimal:

	12kf22711b5395f55aa

   At most 27 characters, letters and digits only, as some MTAs and
   clients fold the case of local parts; parsing ignores case.  64 bits
   of MAC make each guess at a token a 1 in 2^64 chance.  Changing any
   of this breaks every token already sent.

   The secret is DIR/token.key, exactly 32 bytes, made once from
   getrandom(2).  It is written to a temporary file, flushed, and
   linked into place, not renamed: link(2) does not replace a key that
   another process made meanwhile, so two processes starting at once
   end up with the same key.

   It knows nothing of tickets or addresses: callers split the local
   part and look the id up.  Tokens do not expire and cannot be revoked
   one by one; only a new key revokes them, all of them. */

#include "token.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define TOKEN_KEY_FILE "token.key"
#define TOKEN_KEY_SIZE 32
#define TOKEN_CONTEXT "shopdesk-ticket:"
#define TOKEN_SEPARATOR 'k'
#define TOKEN_MAC_BYTES 8	/* 16 hex digits in the token */

struct token_key {
	size_t size;
	guint8 secret[];
};

struct token_key *token_key_new(const void *secret, size_t size)
{
	struct token_key *key = g_malloc(sizeof(*key) + size);

	key->size = size;
	memcpy(key->secret, secret, size);
	return key;
}

void token_key_free(struct token_key **_key)
{
	struct token_key *key = *_key;

	if (key == NULL)
		return;
	*_key = NULL;
	explicit_bzero(key->secret, key->size);
	g_free(key);
}

static int random_bytes(void *buf, size_t size, char **error_r)
{
	size_t done = 0;

	while (done < size) {
		ssize_t n = getrandom((guint8 *)buf + done, size - done, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*error_r = g_strdup_printf("getrandom: %s",
						   g_strerror(errno));
			return -1;
		}
		done += (size_t)n;
	}
	return 0;
}

static int write_all(int fd, const void *buf, size_t size)
{
	size_t done = 0;

	while (done < size) {
		ssize_t n = write(fd, (const guint8 *)buf + done, size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = ENOSPC;
			return -1;
		}
		done += (size_t)n;
	}
	return 0;
}

/* Writes data to a new file named after the mkstemp template tmp (which
   it fills in), mode 0600, and flushes it to disk; removes it again on
   failure. */
static int write_temp(char *tmp, const void *data, size_t size,
		      char **error_r)
{
	int fd = g_mkstemp_full(tmp, O_WRONLY | O_CLOEXEC, 0600);

	if (fd < 0) {
		*error_r = g_strdup_printf("cannot create %s: %s", tmp,
					   g_strerror(errno));
		return -1;
	}
	if (write_all(fd, data, size) < 0 || fsync(fd) < 0) {
		*error_r = g_strdup_printf("cannot write %s: %s", tmp,
					   g_strerror(errno));
		close(fd);
		g_unlink(tmp);
		return -1;
	}
	if (close(fd) < 0) {
		*error_r = g_strdup_printf("cannot write %s: %s", tmp,
					   g_strerror(errno));
		g_unlink(tmp);
		return -1;
	}
	return 0;
}

/* Flushes dir's entries, so that a new key survives a crash: otherwise
   the next start could make another one, and every token sent so far
   would stop working. */
static int sync_dir(const char *dir, char **error_r)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || fsync(fd) < 0) {
		*error_r = g_strdup_printf("cannot sync directory %s: %s", dir,
					   g_strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* Makes path (in dir) hold secret, through a temporary file: replacing
   what is there, or only if there is none yet. */
static int install_key(const char *dir, const char *path,
		       const guint8 *secret, bool replace, char **error_r)
{
	char *tmp = g_build_filename(dir, TOKEN_KEY_FILE ".XXXXXX", NULL);
	int ret = write_temp(tmp, secret, TOKEN_KEY_SIZE, error_r);

	if (ret == 0) {
		if (replace ? rename(tmp, path) < 0 :
		    link(tmp, path) < 0 && errno != EEXIST) {
			*error_r = g_strdup_printf("cannot create %s: %s",
						   path, g_strerror(errno));
			ret = -1;
		}
		g_unlink(tmp);
	}
	g_free(tmp);
	return ret < 0 ? -1 : sync_dir(dir, error_r);
}

/* Makes path hold a new random key, unless it appears meanwhile. */
static int create_key(const char *dir, const char *path, char **error_r)
{
	guint8 secret[TOKEN_KEY_SIZE];
	int ret;

	if (random_bytes(secret, sizeof(secret), error_r) < 0)
		return -1;
	ret = install_key(dir, path, secret, false, error_r);
	explicit_bzero(secret, sizeof(secret));
	return ret;
}

static int read_all(int fd, void *buf, size_t size)
{
	size_t done = 0;

	while (done < size) {
		ssize_t n = read(fd, (guint8 *)buf + done, size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		done += (size_t)n;
	}
	return 0;
}

/* Returns 1 with *key_r set, 0 if path does not exist, -1 on error. */
static int read_key(const char *path, struct token_key **key_r,
		    char **error_r)
{
	guint8 secret[TOKEN_KEY_SIZE];
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0 || fstat(fd, &st) < 0) {
		*error_r = g_strdup_printf("cannot read %s: %s", path,
					   g_strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	/* a damaged key is left for a human: replacing it would break
	   every token sent so far */
	if (!S_ISREG(st.st_mode)) {
		*error_r = g_strdup_printf("%s: not a regular file", path);
		close(fd);
		return -1;
	}
	if (st.st_size != TOKEN_KEY_SIZE) {
		*error_r = g_strdup_printf("%s: %jd bytes, a key is exactly %d",
					   path, (intmax_t)st.st_size,
					   TOKEN_KEY_SIZE);
		close(fd);
		return -1;
	}
	if (read_all(fd, secret, sizeof(secret)) < 0) {
		*error_r = g_strdup_printf("cannot read %s: %s", path,
					   g_strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	*key_r = token_key_new(secret, sizeof(secret));
	explicit_bzero(secret, sizeof(secret));
	return 1;
}

int token_key_load(const char *dir, struct token_key **key_r, char **error_r)
{
	char *path = g_build_filename(dir, TOKEN_KEY_FILE, NULL);
	int ret = read_key(path, key_r, error_r);

	if (ret == 0 && create_key(dir, path, error_r) == 0) {
		ret = read_key(path, key_r, error_r);
		if (ret == 0)
			*error_r = g_strdup_printf("%s vanished as it was "
						   "created", path);
	}
	g_free(path);
	return ret > 0 ? 0 : -1;
}

int token_key_copy(const char *from_dir, const char *to_dir, bool replace,
		   char **error_r)
{
	char *from = g_build_filename(from_dir, TOKEN_KEY_FILE, NULL);
	char *to = g_build_filename(to_dir, TOKEN_KEY_FILE, NULL);
	struct token_key *key = NULL;
	int ret = read_key(from, &key, error_r);

	if (ret > 0 && !replace && g_file_test(to, G_FILE_TEST_EXISTS))
		ret = 0;
	if (ret > 0 && install_key(to_dir, to, key->secret, replace,
				   error_r) < 0)
		ret = -1;
	token_key_free(&key);
	g_free(to);
	g_free(from);
	return ret;
}

char *token_key_seal(const struct token_key *key, const char *context,
		     const char *text)
{
	GHmac *hmac = g_hmac_new(G_CHECKSUM_SHA256, key->secret, key->size);
	guint8 digest[32];
	gsize size = sizeof(digest);
	GString *hex = g_string_sized_new(33);

	g_hmac_update(hmac, (const guchar *)context, strlen(context));
	g_hmac_update(hmac, (const guchar *)text, strlen(text));
	g_hmac_get_digest(hmac, digest, &size);
	g_hmac_unref(hmac);
	for (unsigned int i = 0; i < 16; i++)
		g_string_append_printf(hex, "%02x", digest[i]);
	return g_string_free(hex, FALSE);
}

static void mac(const struct token_key *key, uint32_t ticket_id,
		guint8 out[TOKEN_MAC_BYTES])
{
	GHmac *hmac = g_hmac_new(G_CHECKSUM_SHA256, key->secret, key->size);
	char message[sizeof(TOKEN_CONTEXT) + 10];
	guint8 digest[32];
	gsize digest_size = sizeof(digest);

	g_snprintf(message, sizeof(message), TOKEN_CONTEXT "%u", ticket_id);
	g_hmac_update(hmac, (const guchar *)message, strlen(message));
	g_hmac_get_digest(hmac, digest, &digest_size);
	g_hmac_unref(hmac);
	memcpy(out, digest, TOKEN_MAC_BYTES);
}

char *token_make(const struct token_key *key, uint32_t ticket_id)
{
	guint8 sum[TOKEN_MAC_BYTES];
	GString *token = g_string_sized_new(32);

	mac(key, ticket_id, sum);
	g_string_printf(token, "%u%c", ticket_id, TOKEN_SEPARATOR);
	for (unsigned int i = 0; i < TOKEN_MAC_BYTES; i++)
		g_string_append_printf(token, "%02x", sum[i]);
	return g_string_free(token, FALSE);
}

int token_parse(const struct token_key *key, const char *token, size_t len,
		uint32_t *ticket_id_r)
{
	guint8 given[TOKEN_MAC_BYTES], sum[TOKEN_MAC_BYTES], diff = 0;
	guint64 id = 0;
	size_t i = 0;

	if (len == 0 || token[0] < '1' || token[0] > '9')
		return 0;
	for (; i < len && g_ascii_isdigit(token[i]); i++) {
		id = id * 10 + (guint64)(token[i] - '0');
		if (id > UINT32_MAX)
			return 0;
	}
	if (len - i != 1 + 2 * TOKEN_MAC_BYTES ||
	    g_ascii_tolower(token[i]) != TOKEN_SEPARATOR)
		return 0;
	for (unsigned int j = 0; j < TOKEN_MAC_BYTES; j++) {
		int high = g_ascii_xdigit_value(token[i + 1 + 2 * j]);
		int low = g_ascii_xdigit_value(token[i + 2 + 2 * j]);

		if (high < 0 || low < 0)
			return 0;
		given[j] = (guint8)(high << 4 | low);
	}
	/* every byte compared, whatever the first difference, so the time
	   taken tells a forger nothing about how close the guess was */
	mac(key, (uint32_t)id, sum);
	for (unsigned int j = 0; j < TOKEN_MAC_BYTES; j++)
		diff |= given[j] ^ sum[j];
	if (diff != 0)
		return 0;
	*ticket_id_r = (uint32_t)id;
	return 1;
}
