#ifndef SHOPDESK_SETTINGS_H
#define SHOPDESK_SETTINGS_H

#include "config.h"
#include "pipeline.h"
#include "store.h"
#include "token.h"

/* shopdesk-milter's configuration and what is made of it (the
   pipeline: business hours, templates, languages, categories), shared
   by reference.  SIGHUP puts a new one in place at once; a message
   keeps the one it started with from MAIL FROM to its end, and a
   worker thread the one of its round, so that nothing ever sees half
   of each and the old one is freed by whoever used it last. */

struct settings {
	struct config *config;
	struct pipeline *pipeline;
	gatomicrefcount refs;
};

/* Makes the first settings of config (taken: freed with them) for the
   store and key, which must outlive every settings.  Returns 0, or -1
   with *error_r (g_free it) when the pipeline cannot be made. */
int settings_start(struct config *config, struct store *store,
		   const struct token_key *key, char **error_r);

/* A reference to the current settings: settings_put() it.  Any
   thread. */
struct settings *settings_get(void);
void settings_put(struct settings **_settings);

/* Reads the configuration file again and, when it and its templates
   load, makes it current ("reloaded configuration from FILE");
   otherwise the old one stays, with a log line saying why.  The
   settings that need a restart (RESTART_KEYS in settings.c) keep their
   running values, with a log line naming those that changed. */
void settings_reload(void);

/* Drops the current settings, once smfi_main() has returned. */
void settings_stop(void);

#endif
