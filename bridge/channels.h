#ifndef SHOPDESK_BRIDGE_CHANNELS_H
#define SHOPDESK_BRIDGE_CHANNELS_H

#include "config.h"
#include "messenger.h"

/* The messenger channels the bridge runs, made from a configuration,
   and what a reload does to them: a channel whose settings are the same
   goes on untouched (its webhook or poll thread, its pace), one whose
   settings changed is made again and restarted, one no longer
   configured stops.  Its settings: its [channel] group, the [queue] it
   delivers to, [shopdesk] and the contents of the files it reads (token,
   secrets).  Each channel keeps a reference to the configuration it was
   made with.  Main thread only. */

struct channels;

/* A messenger for every [channel] of config this bridge supports (the
   others are logged: their messages wait in the outbox), not started
   yet.  Returns NULL with *error_r (g_free it) "[channel NAME]: why"
   when one cannot be made. */
struct channels *channels_new(struct config *config, char **error_r);

/* Starts receiving on every channel.  Returns 0, or -1 with *error_r
   (g_free it) "[channel NAME]: why" at the first that cannot. */
int channels_start(struct channels *c, char **error_r);

/* The channels of next, reusing from *_old those whose settings did not
   change; the rest of *_old is stopped and freed (*_old set to NULL),
   the new ones started, each with a log line.  Returns NULL with
   *error_r (g_free it) when a channel of next cannot be made: *_old is
   untouched then.  A new channel that cannot listen is logged and
   receives nothing; it still sends. */
struct channels *channels_reload(struct channels **_old, struct config *next,
				 char **error_r);

/* The channel named name ("telegram"), or NULL. */
struct messenger *channels_find(struct channels *c, const char *name);

/* Stops and frees them all. */
void channels_free(struct channels **_c);

#endif
