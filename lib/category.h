#ifndef SHOPDESK_CATEGORY_H
#define SHOPDESK_CATEGORY_H

#include <glib.h>

/* Frequent questions: per-language keyword rules that put a category on
   a ticket (delivery, returns, payment, order, product, technical,
   other) and may carry a canned answer for the acknowledgement.  The
   rules are templates/<lang>/categories.conf, one group per category:

     [delivery]
     keywords = deliver;shipping;parcel
     answer = We ship within two working days.

   A keyword matches the start of a word of the subject or text, case
   and accents as written but case-folded; the category with the most
   matches wins, the earlier group on a tie. */

#define CATEGORY_OTHER "other"

struct category_rules;

/* Loads the rules of every language in templates_dir that has a
   categories.conf.  Returns 0, or -1 with *error_r (g_free it) naming
   the file and what is wrong with it. */
int category_load(const char *templates_dir, struct category_rules **rules_r,
		  char **error_r);
void category_free(struct category_rules **_rules);

/* Classifies subject and text (either may be NULL) by the rules of
   language.  Returns the category name (owned by rules, or
   CATEGORY_OTHER), and sets *answer_r to its canned answer or NULL. */
const char *category_classify(const struct category_rules *rules,
			      const char *language, const char *subject,
			      const char *text, const char **answer_r);

#endif
