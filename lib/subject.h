#ifndef SHOPDESK_SUBJECT_H
#define SHOPDESK_SUBJECT_H

#include <stdint.h>

/* Subject lines: the reply/forward prefixes mail clients add in many
   languages, and shopdesk's ticket tag "[TAG #ID]".  Input is decoded
   UTF-8 (RFC 2047 already undone); invalid UTF-8 is tolerated. */

/* Returns the subject reduced for comparison (g_free it): every leading
   reply/forward prefix removed, repeatedly ("Re: Fwd: AW: Отв: ..."),
   including counted forms ("Re[2]:", "Re(3):", "RE^2:"); every ticket tag
   "[TAG #N]" removed (TAG matched case-insensitively); white space
   collapsed to one space and trimmed; the result case-folded.  Never
   returns NULL; an empty subject gives "". */
char *subject_normalize(const char *subject, const char *ticket_tag);

/* The same without NFKC and case folding: the subject as people wrote
   it, for display (Thread-Topic).  g_free the result. */
char *subject_strip(const char *subject, const char *ticket_tag);

/* Looks for "[TAG #N]" anywhere in subject.  Returns 1 and sets *id_r to
   N (the first tag) if found, 0 otherwise.  N must be 1..UINT32_MAX. */
int subject_find_tag(const char *subject, const char *ticket_tag,
		     uint32_t *id_r);

/* Returns subject with "[TAG #ID] " placed after the reply/forward
   prefixes ("Re: [Ticket #12] Where is my order"), or a copy if it
   already carries that ticket's tag.  g_free the result. */
char *subject_add_tag(const char *subject, const char *ticket_tag,
		      uint32_t id);

#endif
