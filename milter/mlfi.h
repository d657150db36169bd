#ifndef SHOPDESK_MLFI_H
#define SHOPDESK_MLFI_H

#include <libmilter/mfapi.h>

#include "config.h"
#include "store.h"
#include "token.h"

/* The milter callbacks.  mlfi_setup() must run before smfi_register()
   with mlfi_desc; the three objects must outlive smfi_main(). */
extern struct smfiDesc mlfi_desc;

void mlfi_setup(const struct config *config, struct store *store,
		const struct token_key *key);

#endif
