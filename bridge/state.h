#ifndef SHOPDESK_BRIDGE_STATE_H
#define SHOPDESK_BRIDGE_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a channel keeps in spool_dir/NAME/ (WhatsApp's customer-service
   windows, the records of sent messages) and the secrets it reads at
   start. */

/* Writes dir/name durably: a temporary file, fsync, rename, fsync of
   the folder.  Returns 0, or -1 with *error_r (g_free it).  Blocks. */
int state_write(const char *dir, const char *name, const void *data,
		size_t size, char **error_r);

/* A set of ids (provider message ids handled, records of sent ones) as
   files named by the id's digest in dir: state_seen() says whether id
   is in it, state_see() puts it in durably (0, or -1 with *error_r),
   state_sweep() forgets what is older than max_age seconds. */
char *state_digest(const char *id);
bool state_seen(const char *dir, const char *id);
int state_see(const char *dir, const char *id, char **error_r);
void state_sweep(const char *dir, int64_t max_age);

/* Reads a secret (token_file, app_secret_file...) from path, which
   nobody but its owner and group may read (group-readable draws a
   warning naming channel); surrounding white space is dropped, and it
   must be 1 to 512 characters of alphabet.  what names the key in
   errors.  Returns the secret (g_free it; clear it first), or NULL with
   *error_r (g_free it). */
char *state_read_secret(const char *channel, const char *what,
			const char *path, const char *alphabet,
			char **error_r);

/* Overwrites a secret before freeing it, and clears the pointer. */
void state_clear_secret(char **secret);

#endif
