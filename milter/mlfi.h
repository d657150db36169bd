#ifndef SHOPDESK_MLFI_H
#define SHOPDESK_MLFI_H

#include <libmilter/mfapi.h>

#include "config.h"
#include "store.h"
#include "token.h"

/* The milter callbacks.  mlfi_setup() must run before smfi_register()
   with mlfi_desc; the three objects must outlive smfi_main().  It reads
   each queue's business hours, the templates and their languages, and
   opens the outbox; returns 0, or -1 with *error_r (g_free it). */
extern struct smfiDesc mlfi_desc;

int mlfi_setup(const struct config *config, struct store *store,
	       const struct token_key *key, char **error_r);

/* Frees what mlfi_setup() made, once smfi_main() has returned. */
void mlfi_teardown(void);

#endif
