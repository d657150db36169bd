#ifndef SHOPDESK_LANGUAGE_H
#define SHOPDESK_LANGUAGE_H

#include <stdbool.h>

/* The language to answer a customer in, chosen among the languages that
   have templates: the message's Content-Language, else the language
   libexttextcat recognises in its text, else the queue's default. */

struct language;

/* Reads which languages templates_dir has (subdirectories holding an
   ack.txt) and loads libexttextcat's fingerprints for those of them
   found in fingerprint_dir.  A language without a fingerprint can still
   be chosen by Content-Language or as a default.  Returns 0, or -1 with
   *error_r (g_free it) when templates_dir has no language at all. */
int language_open(const char *templates_dir, const char *fingerprint_dir,
		  struct language **language_r, char **error_r);
void language_close(struct language **_language);

/* Whether templates exist for code ("en", "ru"). */
bool language_has(const struct language *language, const char *code);

/* The answer's language.  content_language is the header's value (may be
   NULL), text the start of the message (may be NULL; quoted lines are
   not counted), fallback the queue's language.  Returns a code owned by
   language: the fallback when it has templates, else the first language
   there is.  Thread-safe; the classifier's time grows with the text. */
const char *language_detect(struct language *language,
			    const char *content_language, const char *text,
			    const char *fallback);

#endif
