#ifndef SHOPDESK_MLFI_H
#define SHOPDESK_MLFI_H

#include <libmilter/mfapi.h>

#include "config.h"

/* The milter callbacks.  Each message uses the settings (settings.h)
   current at its MAIL FROM.  mlfi_setup() must run before smfi_main()
   with mlfi_desc: it opens the outbox of config's spool_dir; returns 0,
   or -1 with *error_r (g_free it). */
extern struct smfiDesc mlfi_desc;

int mlfi_setup(const struct config *config, char **error_r);

/* Frees what mlfi_setup() made, once smfi_main() has returned. */
void mlfi_teardown(void);

#endif
