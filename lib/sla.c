/* sla.c: when a promise is due and when to warn before it, on the
   queue's business-hours clock (hours.c), so that a warning never
   falls in the night before a morning deadline only because the
   night is long. */

#include "sla.h"

#include <glib.h>
#include <string.h>

#define WARN_LEAD_MAX (100000LL * 3600)

/* Parses warn: *percent_r (1-99) or *lead_r (seconds of open time);
   both 0 for "off". */
static int parse_warn(const char *warn, int *percent_r, int64_t *lead_r,
		      char **error_r)
{
	size_t len = strlen(warn);
	guint64 n;
	char *end;

	*percent_r = 0;
	*lead_r = 0;
	if (strcmp(warn, "off") == 0)
		return 0;
	n = g_ascii_strtoull(warn, &end, 10);
	if (end != warn && len > 1 && warn[len - 1] == '%' &&
	    end == warn + len - 1 && n >= 1 && n <= 99) {
		*percent_r = (int)n;
		return 0;
	}
	if (end != warn && len > 1 && end == warn + len - 1 && n >= 1 &&
	    (warn[len - 1] == 'm' || warn[len - 1] == 'h') &&
	    n * (warn[len - 1] == 'h' ? 3600 : 60) <= WARN_LEAD_MAX) {
		*lead_r = (int64_t)n * (warn[len - 1] == 'h' ? 3600 : 60);
		return 0;
	}
	*error_r = g_strdup_printf("\"%s\": a share of the SLA like 80%%, "
				   "a time before the reply-by like 30m or "
				   "1h, or off expected", warn);
	return -1;
}

int sla_warn_check(const char *warn, char **error_r)
{
	int percent;
	int64_t lead;

	return parse_warn(warn, &percent, &lead, error_r);
}

int sla_promise(const struct hours *hours, const char *sla, const char *warn,
		int64_t start, int64_t *promise_by_r, int64_t *warn_at_r,
		char **error_r)
{
	int64_t deadline, open, after = 0, warn_at = 0;
	int percent;
	int64_t lead;

	if (parse_warn(warn, &percent, &lead, error_r) < 0 ||
	    hours_deadline(hours, start, sla, &deadline, error_r) < 0)
		return -1;
	/* the warning: this much open time after start */
	open = hours_open_seconds(hours, start, deadline);
	if (percent > 0)
		after = open * percent / 100;
	else if (lead > 0 && open > lead)
		after = open - lead;
	if (after > 0 && hours_add_open(hours, start, after, &warn_at) < 0)
		warn_at = 0;
	*promise_by_r = deadline;
	*warn_at_r = warn_at >= deadline ? 0 : warn_at;
	return 0;
}

static void hours_destroy(gpointer data)
{
	struct hours *hours = data;

	hours_free(&hours);
}

int sla_queue_hours(const struct config *config, GHashTable **table_r,
		    char **error_r)
{
	GHashTable *table = g_hash_table_new_full(g_str_hash, g_str_equal,
						  NULL, hours_destroy);

	for (unsigned int i = 0; i < config->queues->len; i++) {
		const struct config_queue *q = config->queues->pdata[i];
		struct hours *hours;
		char *error;

		if (hours_parse(q->hours, q->timezone, q->holidays, &hours,
				&error) < 0) {
			*error_r = g_strdup_printf("[queue %s]: %s", q->name,
						   error);
			g_free(error);
			g_hash_table_unref(table);
			return -1;
		}
		g_hash_table_insert(table, q->name, hours);
	}
	*table_r = table;
	return 0;
}
