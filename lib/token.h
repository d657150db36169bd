#ifndef SHOPDESK_TOKEN_H
#define SHOPDESK_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Reply tokens: the part after the delimiter in "sales+TOKEN@domain".
   A token names a ticket and carries a keyed MAC (HMAC-SHA256 over the
   ticket id with the installation's secret), so nobody can make one for
   a ticket they were not sent.  Tokens are lowercase letters and digits
   only, because some MTAs and clients fold the case of local parts. */

struct token_key;

/* Loads the secret from DIR/token.key, creating it with 32 random bytes
   (mode 0600) on first start.  Returns 0, or -1 with *error_r set to a
   string the caller g_free()s. */
int token_key_load(const char *dir, struct token_key **key_r, char **error_r);

/* Copies the key in from_dir to to_dir (a backup, or a store restored
   from one): replacing a key there, or only when there is none.
   Returns 1 when copied, 0 when from_dir has no key or to_dir's was
   kept, -1 with *error_r. */
int token_key_copy(const char *from_dir, const char *to_dir, bool replace,
		   char **error_r);

/* The installation's seal on text: HMAC-SHA256 with the key over
   context and text, the first 16 bytes in lowercase hex (g_free it).
   Each use has its context, so that no seal stands for another. */
char *token_key_seal(const struct token_key *key, const char *context,
		     const char *text);

/* Makes a key from raw bytes (tests). */
struct token_key *token_key_new(const void *secret, size_t size);

void token_key_free(struct token_key **_key);

/* Returns a new token for ticket_id (g_free it). */
char *token_make(const struct token_key *key, uint32_t ticket_id);

/* Checks token (len bytes, need not be NUL-terminated).  Returns 1 and
   sets *ticket_id_r when the MAC is right, 0 when it is malformed or
   forged.  Case-insensitive; constant time in the MAC comparison. */
int token_parse(const struct token_key *key, const char *token, size_t len,
		uint32_t *ticket_id_r);

#endif
