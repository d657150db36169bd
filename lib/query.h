#ifndef SHOPDESK_QUERY_H
#define SHOPDESK_QUERY_H

#include <json-glib/json-glib.h>

#include "store.h"

/* Answers control requests (control.h) from the store:
     tickets [status=S] [queue=Q]   -> {"tickets": [short ticket, ...]}
     show ID                        -> the full ticket (ticket_to_json)
     timers                         -> {"timers": [due timer, ...]}
     backup DIR                     -> {"backup": DIR}, a hot backup
                                       (store_backup) into the absolute
                                       DIR
   Anything else, or a failure, is {"error": "reason"}.  Reads only;
   blocks on the store's locks at most as long as a message's intake. */
JsonNode *query_handle(struct store *store, const char *request);

#endif
