/* report-format.c: a report's JSON (report.h, doc/reports.md) as text
   for people and as CSV for spreadsheets. */

#include "report-format.h"
#include "jsonget.h"

#include <string.h>

static const char *const durations[] = {
	"first_reply_wall", "first_reply_business",
	"resolution_wall", "resolution_business", NULL
};

static const char *const counts[] = {
	"created", "first_replies", "replies", "resolved", "closed",
	"reopened", "backlog", "in_time", NULL
};

static const char *const weekdays[] = {
	"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"
};

/* Seconds as H:MM, "-" for none */
static char *hours_minutes(JsonObject *duration, const char *name)
{
	JsonNode *node = duration != NULL ?
		json_object_get_member(duration, name) : NULL;
	int64_t s;

	if (node == NULL || JSON_NODE_HOLDS_NULL(node))
		return g_strdup("-");
	s = json_node_get_int(node);
	return g_strdup_printf("%" G_GINT64_FORMAT ":%02d", s / 3600,
			       (int)(s % 3600 / 60));
}

static void text_durations(GString *out, JsonObject *g, const char *what,
			   const char *business, const char *wall)
{
	JsonObject *b = jsonget_object(g, business);
	JsonObject *w = jsonget_object(g, wall);
	char *bm = hours_minutes(b, "median"), *bp = hours_minutes(b, "p90");
	char *wm = hours_minutes(w, "median"), *wp = hours_minutes(w, "p90");

	g_string_append_printf(out, "  %-12s median %s business (%s wall), "
			       "90%% within %s (%s)\n", what, bm, wm, bp, wp);
	g_free(bm);
	g_free(bp);
	g_free(wm);
	g_free(wp);
}

static void text_group(GString *out, JsonObject *g)
{
	int64_t first = jsonget_int(g, "first_replies", 0);
	int64_t in_time = jsonget_int(g, "in_time", 0);
	JsonObject *ratings = jsonget_object(g, "ratings");
	int64_t rated = jsonget_int(ratings, "count", 0);

	g_string_append_printf(out, "%s\n", jsonget_string(g, "group"));
	g_string_append_printf(out, "  created %" G_GINT64_FORMAT
			       ", first replies %" G_GINT64_FORMAT,
			       jsonget_int(g, "created", 0), first);
	if (first > 0)
		g_string_append_printf(out, " (%" G_GINT64_FORMAT
				       " in time, %d%%)", in_time,
				       (int)(100 * in_time / first));
	g_string_append_printf(out, ", replies %" G_GINT64_FORMAT "\n",
			       jsonget_int(g, "replies", 0));
	g_string_append_printf(out, "  resolved %" G_GINT64_FORMAT
			       ", closed %" G_GINT64_FORMAT
			       ", reopened %" G_GINT64_FORMAT
			       ", open at the end %" G_GINT64_FORMAT "\n",
			       jsonget_int(g, "resolved", 0),
			       jsonget_int(g, "closed", 0),
			       jsonget_int(g, "reopened", 0),
			       jsonget_int(g, "backlog", 0));
	text_durations(out, g, "first reply:", "first_reply_business",
		       "first_reply_wall");
	text_durations(out, g, "resolution:", "resolution_business",
		       "resolution_wall");
	if (rated > 0)
		g_string_append_printf(out, "  ratings %" G_GINT64_FORMAT
				       ", average %.2f, 4 or 5: %d%%\n",
				       rated,
				       (double)jsonget_int(ratings, "sum", 0) /
				       rated,
				       (int)(100 * jsonget_int(ratings, "top",
							       0) / rated));
}

char *report_text(JsonObject *report)
{
	GString *out = g_string_new(NULL);
	JsonArray *groups = jsonget_array(report, "groups");
	JsonArray *agents = jsonget_array(report, "agents");
	JsonArray *load = jsonget_array(report, "load");
	const char *queue = jsonget_string(report, "queue");

	g_string_append_printf(out, "shopdesk report %s to %s, by %s%s%s\n"
			       "(times: hours:minutes; business: open hours "
			       "of the queue)\n\n",
			       jsonget_string(report, "from"),
			       jsonget_string(report, "to"),
			       jsonget_string(report, "by"),
			       queue != NULL ? ", queue " : "",
			       queue != NULL ? queue : "");
	for (guint i = 0; groups != NULL &&
	     i < json_array_get_length(groups); i++) {
		text_group(out, jsonget_element(groups, i));
		g_string_append_c(out, '\n');
	}
	text_group(out, jsonget_object(report, "total"));
	g_string_append(out, "\nreplies by agent\n");
	for (guint i = 0; agents != NULL &&
	     i < json_array_get_length(agents); i++) {
		JsonObject *a = jsonget_element(agents, i);

		g_string_append_printf(out, "  %-40s %6" G_GINT64_FORMAT "\n",
				       jsonget_string(a, "agent"),
				       jsonget_int(a, "replies", 0));
	}
	g_string_append(out, "\ncustomer messages by weekday and hour "
			"(the queue's time zone)\n    ");
	for (unsigned int h = 0; h < 24; h++)
		g_string_append_printf(out, "%3u", h);
	g_string_append_c(out, '\n');
	for (guint d = 0; load != NULL && d < json_array_get_length(load) &&
	     d < 7; d++) {
		JsonArray *row = json_array_get_array_element(load, d);

		g_string_append_printf(out, "%s ", weekdays[d]);
		for (guint h = 0; h < json_array_get_length(row); h++)
			g_string_append_printf(out, "%3" G_GINT64_FORMAT,
				json_array_get_int_element(row, h));
		g_string_append_c(out, '\n');
	}
	return g_string_free(out, FALSE);
}

/* Quoted; a name a spreadsheet would take for a formula gets a ' */
static void csv_field(GString *out, const char *text)
{
	g_string_append_c(out, '"');
	if (strchr("=+-@", *text) != NULL && *text != '\0')
		g_string_append_c(out, '\'');
	for (const char *p = text; *p != '\0'; p++) {
		if (*p == '"')
			g_string_append_c(out, '"');
		g_string_append_c(out, *p);
	}
	g_string_append_c(out, '"');
}

static void csv_value(GString *out, JsonObject *o, const char *name)
{
	JsonNode *node = o != NULL ? json_object_get_member(o, name) : NULL;

	g_string_append_c(out, ',');
	if (node != NULL && !JSON_NODE_HOLDS_NULL(node))
		g_string_append_printf(out, "%" G_GINT64_FORMAT,
				       json_node_get_int(node));
}

static void csv_row(GString *out, JsonObject *g)
{
	JsonObject *ratings = jsonget_object(g, "ratings");
	int64_t rated = jsonget_int(ratings, "count", 0);

	csv_field(out, jsonget_string(g, "group"));
	for (unsigned int i = 0; counts[i] != NULL; i++)
		csv_value(out, g, counts[i]);
	for (unsigned int i = 0; durations[i] != NULL; i++) {
		JsonObject *d = jsonget_object(g, durations[i]);

		csv_value(out, d, "count");
		csv_value(out, d, "median");
		csv_value(out, d, "p90");
	}
	csv_value(out, ratings, "count");
	csv_value(out, ratings, "sum");
	csv_value(out, ratings, "top");
	g_string_append_c(out, ',');
	if (rated > 0)
		g_string_append_printf(out, "%.2f",
				       (double)jsonget_int(ratings, "sum", 0) /
				       rated);
	g_string_append(out, "\r\n");
}

char *report_csv(JsonObject *report)
{
	GString *out = g_string_new("group");
	JsonArray *groups = jsonget_array(report, "groups");

	for (unsigned int i = 0; counts[i] != NULL; i++)
		g_string_append_printf(out, ",%s", counts[i]);
	for (unsigned int i = 0; durations[i] != NULL; i++)
		g_string_append_printf(out, ",%s_count,%s_median,%s_p90",
				       durations[i], durations[i],
				       durations[i]);
	g_string_append(out, ",ratings_count,ratings_sum,ratings_top,"
			"ratings_average\r\n");
	for (guint i = 0; groups != NULL &&
	     i < json_array_get_length(groups); i++)
		csv_row(out, jsonget_element(groups, i));
	csv_row(out, jsonget_object(report, "total"));
	return g_string_free(out, FALSE);
}
