/* report-html.c: a report's JSON as one self-contained HTML page: inline
   CSS, inline SVG charts with axes, units and legends, and beside every
   chart the table of its numbers; no script, no font, nothing fetched.
   Narrow screens get one column; print gets no background colours. */

#include "report-format.h"
#include "jsonget.h"

#include <math.h>
#include <string.h>

#define CHART_WIDTH 640
#define BAR_HEIGHT 14
#define LABEL_WIDTH 150
#define AXIS_HEIGHT 36
#define CELL 22

static const char *const weekdays[] = {
	"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"
};

static const char style[] =
	"body{font:15px/1.4 system-ui,-apple-system,'Segoe UI',sans-serif;"
	"margin:0 auto;max-width:60rem;padding:1rem;color:#1d2430}"
	"h1{font-size:1.5rem;margin:0 0 .25rem}"
	"h2{font-size:1.15rem;margin:2rem 0 .5rem;border-bottom:1px solid #ccd}"
	"p.period{margin:0;color:#556}"
	".pair{display:flex;flex-wrap:wrap;gap:1rem;align-items:flex-start}"
	".pair>figure{flex:1 1 24rem;margin:0}"
	".pair>.numbers{flex:1 1 20rem;overflow-x:auto}"
	"svg{width:100%;height:auto}#load-chart{max-width:40rem}"
	"svg text{font:11px system-ui,sans-serif;fill:#1d2430}"
	"figcaption{font-size:.85rem;color:#556}"
	"table{border-collapse:collapse;font-size:.85rem}"
	"th,td{padding:.2rem .45rem;border-bottom:1px solid #e3e5ea;"
	"text-align:right;white-space:nowrap}"
	"th:first-child,td:first-child{text-align:left}"
	"thead th{background:#f2f4f7}"
	".wide{overflow-x:auto}"
	"@media (max-width:40rem){body{padding:.5rem}.pair{display:block}}"
	"@media print{thead th{background:none}h2{break-after:avoid}"
	".pair{break-inside:avoid}}";

/* Colours of the series: median, 90th percentile; created, resolved,
   open at the end */
static const char *const colours[] = {
	"#2f6fb5", "#9cc3ea", "#4a8f3c", "#e0a030", "#c2453d"
};

static void escaped(GString *out, const char *text)
{
	char *e = g_markup_escape_text(text != NULL ? text : "", -1);

	g_string_append(out, e);
	g_free(e);
}

static int64_t member_int(JsonObject *o, const char *name)
{
	JsonNode *node = o != NULL ? json_object_get_member(o, name) : NULL;

	return node != NULL && !JSON_NODE_HOLDS_NULL(node) ?
		json_node_get_int(node) : 0;
}

static void hours_minutes(GString *out, JsonObject *d, const char *name)
{
	JsonNode *node = d != NULL ? json_object_get_member(d, name) : NULL;
	int64_t s;

	if (node == NULL || JSON_NODE_HOLDS_NULL(node)) {
		g_string_append(out, "–");
		return;
	}
	s = json_node_get_int(node);
	g_string_append_printf(out, "%" G_GINT64_FORMAT ":%02d", s / 3600,
			       (int)(s % 3600 / 60));
}

/* A round step for an axis from 0 to max, about five ticks */
static double axis_step(double max)
{
	double raw = max / 5, magnitude, step;

	if (raw <= 0)
		return 1;
	magnitude = pow(10, floor(log10(raw)));
	step = raw / magnitude;
	step = step <= 1 ? 1 : step <= 2 ? 2 : step <= 5 ? 5 : 10;
	return step * magnitude;
}

struct series {
	const char *label;
	double (*value)(JsonObject *group, const void *data);
	const void *data;
	const char *colour;
};

/* Horizontal bars, one band a group, one bar a series in it */
static void bar_chart(GString *out, GPtrArray *groups,
		      const struct series *series, unsigned int n_series,
		      const char *unit, const char *id)
{
	unsigned int band = BAR_HEIGHT * n_series + 8;
	unsigned int height = groups->len * band + AXIS_HEIGHT + 24;
	unsigned int plot = CHART_WIDTH - LABEL_WIDTH - 20;
	double max = 0, step, top;

	for (guint g = 0; g < groups->len; g++)
		for (unsigned int s = 0; s < n_series; s++)
			max = MAX(max, series[s].value(groups->pdata[g],
						       series[s].data));
	step = axis_step(max);
	top = MAX(step, ceil(max / step) * step);
	g_string_append_printf(out, "<svg id=\"%s\" viewBox=\"0 0 %u %u\" "
			       "role=\"img\">",
			       id, CHART_WIDTH, height);
	/* the legend, above */
	for (unsigned int s = 0; s < n_series; s++) {
		unsigned int x = LABEL_WIDTH + s * 150;

		g_string_append_printf(out, "<rect x=\"%u\" y=\"2\" width=\"10\" "
				       "height=\"10\" fill=\"%s\"/>"
				       "<text x=\"%u\" y=\"11\">", x,
				       series[s].colour, x + 14);
		escaped(out, series[s].label);
		g_string_append(out, "</text>");
	}
	for (guint g = 0; g < groups->len; g++) {
		JsonObject *group = groups->pdata[g];
		unsigned int y = 20 + g * band;

		g_string_append_printf(out, "<text x=\"%u\" y=\"%u\" "
				       "text-anchor=\"end\">",
				       LABEL_WIDTH - 6,
				       y + band / 2 + 3);
		escaped(out, jsonget_string(group, "group"));
		g_string_append(out, "</text>");
		for (unsigned int s = 0; s < n_series; s++) {
			double v = series[s].value(group, series[s].data);

			g_string_append_printf(out, "<rect x=\"%u\" y=\"%u\" "
					       "width=\"%.1f\" height=\"%u\" "
					       "fill=\"%s\"><title>",
					       LABEL_WIDTH,
					       y + 4 + s * BAR_HEIGHT,
					       plot * v / top,
					       BAR_HEIGHT - 2,
					       series[s].colour);
			escaped(out, series[s].label);
			g_string_append_printf(out, ": %g %s</title></rect>",
					       v, unit);
		}
	}
	/* the axis, its ticks and its unit */
	{
		unsigned int y = 20 + groups->len * band;

		g_string_append_printf(out, "<line x1=\"%u\" y1=\"%u\" "
				       "x2=\"%u\" y2=\"%u\" stroke=\"#556\"/>",
				       LABEL_WIDTH, y, LABEL_WIDTH + plot, y);
		for (double t = 0; t <= top + step / 2; t += step) {
			double x = LABEL_WIDTH + plot * t / top;

			g_string_append_printf(out, "<line x1=\"%.1f\" "
					       "y1=\"%u\" x2=\"%.1f\" y2=\"%u\" "
					       "stroke=\"#556\"/>"
					       "<text x=\"%.1f\" y=\"%u\" "
					       "text-anchor=\"middle\">%g</text>",
					       x, y, x, y + 4, x, y + 16, t);
		}
		g_string_append_printf(out, "<text x=\"%u\" y=\"%u\" "
				       "text-anchor=\"middle\">",
				       LABEL_WIDTH + plot / 2, y + 32);
		escaped(out, unit);
		g_string_append(out, "</text>");
	}
	g_string_append(out, "</svg>");
}

static double duration_hours(JsonObject *group, const void *data)
{
	const char *const *path = data;	/* figure, "median" or "p90" */

	return member_int(jsonget_object(group, path[0]), path[1]) / 3600.0;
}

static double count_of(JsonObject *group, const void *data)
{
	return member_int(group, data);
}

static const char *const first_median[] = { "first_reply_business",
					    "median" };
static const char *const first_p90[] = { "first_reply_business", "p90" };
static const char *const resolution_median[] = { "resolution_business",
						 "median" };
static const char *const resolution_p90[] = { "resolution_business",
					      "p90" };

static void table_head(GString *out, const char *const *columns)
{
	g_string_append(out, "<table><thead><tr>");
	for (unsigned int i = 0; columns[i] != NULL; i++)
		g_string_append_printf(out, "<th>%s</th>", columns[i]);
	g_string_append(out, "</tr></thead><tbody>");
}

static void times_table(GString *out, GPtrArray *rows, const char *business,
			const char *wall)
{
	static const char *const columns[] = {
		"group", "count", "median", "90%", "median (wall)",
		"90% (wall)", NULL
	};

	table_head(out, columns);
	for (guint i = 0; i < rows->len; i++) {
		JsonObject *g = rows->pdata[i];
		JsonObject *b = jsonget_object(g, business);
		JsonObject *w = jsonget_object(g, wall);

		g_string_append(out, "<tr><td>");
		escaped(out, jsonget_string(g, "group"));
		g_string_append_printf(out, "</td><td>%" G_GINT64_FORMAT
				       "</td><td>", member_int(b, "count"));
		hours_minutes(out, b, "median");
		g_string_append(out, "</td><td>");
		hours_minutes(out, b, "p90");
		g_string_append(out, "</td><td>");
		hours_minutes(out, w, "median");
		g_string_append(out, "</td><td>");
		hours_minutes(out, w, "p90");
		g_string_append(out, "</td></tr>");
	}
	g_string_append(out, "</tbody></table>");
}

static void counts_table(GString *out, GPtrArray *rows)
{
	static const char *const columns[] = {
		"group", "created", "first replies", "in time", "replies",
		"resolved", "closed", "reopened", "open at the end",
		"ratings", "average", "4 or 5", NULL
	};

	table_head(out, columns);
	for (guint i = 0; i < rows->len; i++) {
		JsonObject *g = rows->pdata[i];
		JsonObject *r = jsonget_object(g, "ratings");
		int64_t rated = member_int(r, "count");

		g_string_append(out, "<tr><td>");
		escaped(out, jsonget_string(g, "group"));
		g_string_append_printf(out, "</td><td>%" G_GINT64_FORMAT
				       "</td><td>%" G_GINT64_FORMAT
				       "</td><td>%" G_GINT64_FORMAT
				       "</td><td>%" G_GINT64_FORMAT
				       "</td><td>%" G_GINT64_FORMAT
				       "</td><td>%" G_GINT64_FORMAT
				       "</td><td>%" G_GINT64_FORMAT
				       "</td><td>%" G_GINT64_FORMAT
				       "</td><td>%" G_GINT64_FORMAT "</td>",
				       member_int(g, "created"),
				       member_int(g, "first_replies"),
				       member_int(g, "in_time"),
				       member_int(g, "replies"),
				       member_int(g, "resolved"),
				       member_int(g, "closed"),
				       member_int(g, "reopened"),
				       member_int(g, "backlog"), rated);
		if (rated > 0)
			g_string_append_printf(out, "<td>%.2f</td><td>%d%%"
					       "</td></tr>",
					       (double)member_int(r, "sum") /
					       rated,
					       (int)(100 * member_int(r, "top") /
						     rated));
		else
			g_string_append(out, "<td>–</td><td>–</td></tr>");
	}
	g_string_append(out, "</tbody></table>");
}

/* Weekday x hour cells, darker for more messages, with a scale */
static void heat_map(GString *out, JsonArray *load)
{
	unsigned int width = 40 + 24 * CELL, height = 7 * CELL + 70;
	int64_t max = 1;

	for (guint d = 0; load != NULL && d < 7; d++)
		for (guint h = 0; h < 24; h++)
			max = MAX(max, json_array_get_int_element(
					  json_array_get_array_element(load, d),
					  h));
	g_string_append_printf(out, "<svg id=\"load-chart\" viewBox=\"0 0 "
			       "%u %u\" role=\"img\">",
			       width, height);
	for (guint h = 0; h < 24; h += 3)
		g_string_append_printf(out, "<text x=\"%u\" y=\"12\" "
				       "text-anchor=\"middle\">%u</text>",
				       40 + h * CELL + CELL / 2, h);
	for (guint d = 0; d < 7; d++) {
		JsonArray *row = load != NULL ?
			json_array_get_array_element(load, d) : NULL;

		g_string_append_printf(out, "<text x=\"34\" y=\"%u\" "
				       "text-anchor=\"end\">%s</text>",
				       20 + d * CELL + CELL / 2 + 4,
				       weekdays[d]);
		for (guint h = 0; h < 24; h++) {
			int64_t n = row != NULL ?
				json_array_get_int_element(row, h) : 0;

			g_string_append_printf(out, "<rect x=\"%u\" y=\"%u\" "
					       "width=\"%u\" height=\"%u\" "
					       "fill=\"#2f6fb5\" "
					       "fill-opacity=\"%.2f\" "
					       "stroke=\"#e3e5ea\"><title>%s "
					       "%02u:00: %" G_GINT64_FORMAT
					       "</title></rect>",
					       40 + h * CELL, 20 + d * CELL,
					       CELL, CELL,
					       0.05 + 0.95 * n / max,
					       weekdays[d], h, n);
		}
	}
	/* the scale: light for none, dark for the busiest hour */
	{
		unsigned int y = 20 + 7 * CELL + 16;

		g_string_append_printf(out, "<text x=\"40\" y=\"%u\">hour of "
				       "the day (the queue's time zone); "
				       "customer messages:</text>", y);
		for (unsigned int i = 0; i <= 4; i++)
			g_string_append_printf(out, "<rect x=\"%u\" y=\"%u\" "
					       "width=\"%u\" height=\"12\" "
					       "fill=\"#2f6fb5\" "
					       "fill-opacity=\"%.2f\"/>",
					       40 + i * 30, y + 8, 30,
					       0.05 + 0.95 * i / 4);
		g_string_append_printf(out, "<text x=\"40\" y=\"%u\">0</text>"
				       "<text x=\"190\" y=\"%u\" "
				       "text-anchor=\"end\">%" G_GINT64_FORMAT
				       "</text>", y + 34, y + 34, max);
	}
	g_string_append(out, "</svg>");
}

static void load_table(GString *out, JsonArray *load)
{
	g_string_append(out, "<div class=\"wide\"><table id=\"load-table\">"
			"<thead><tr><th>day</th>");
	for (unsigned int h = 0; h < 24; h++)
		g_string_append_printf(out, "<th>%u</th>", h);
	g_string_append(out, "</tr></thead><tbody>");
	for (guint d = 0; d < 7; d++) {
		JsonArray *row = load != NULL ?
			json_array_get_array_element(load, d) : NULL;

		g_string_append_printf(out, "<tr><td>%s</td>", weekdays[d]);
		for (guint h = 0; h < 24; h++)
			g_string_append_printf(out, "<td>%" G_GINT64_FORMAT
					       "</td>", row != NULL ?
					       json_array_get_int_element(row,
									  h) :
					       0);
		g_string_append(out, "</tr>");
	}
	g_string_append(out, "</tbody></table></div>");
}

char *report_html(JsonObject *report)
{
	GString *out = g_string_new(NULL);
	JsonArray *groups = jsonget_array(report, "groups");
	JsonArray *agents = jsonget_array(report, "agents");
	JsonArray *load = jsonget_array(report, "load");
	const char *queue = jsonget_string(report, "queue");
	GPtrArray *rows = g_ptr_array_new();
	GPtrArray *all = g_ptr_array_new();
	const struct series times[] = {
		{ "median", duration_hours, first_median, colours[0] },
		{ "90% within", duration_hours, first_p90, colours[1] },
	};
	const struct series solving[] = {
		{ "median", duration_hours, resolution_median, colours[0] },
		{ "90% within", duration_hours, resolution_p90, colours[1] },
	};
	const struct series volume[] = {
		{ "created", count_of, "created", colours[2] },
		{ "resolved", count_of, "resolved", colours[3] },
		{ "open at the end", count_of, "backlog", colours[4] },
	};

	for (guint i = 0; groups != NULL && i < json_array_get_length(groups);
	     i++)
		g_ptr_array_add(rows, jsonget_element(groups, i));
	g_ptr_array_extend(all, rows, NULL, NULL);
	g_ptr_array_add(all, jsonget_object(report, "total"));

	g_string_append(out, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
			"<meta charset=\"utf-8\"><meta name=\"viewport\" "
			"content=\"width=device-width,initial-scale=1\">"
			"<title>shopdesk report ");
	escaped(out, jsonget_string(report, "from"));
	g_string_append(out, " – ");
	escaped(out, jsonget_string(report, "to"));
	g_string_append_printf(out, "</title><style>%s</style></head><body>"
			       "<h1>Customer service report</h1>"
			       "<p class=\"period\" id=\"period\">", style);
	escaped(out, jsonget_string(report, "from"));
	g_string_append(out, " to ");
	escaped(out, jsonget_string(report, "to"));
	g_string_append(out, ", by ");
	escaped(out, jsonget_string(report, "by"));
	if (queue != NULL) {
		g_string_append(out, ", queue ");
		escaped(out, queue);
	}
	g_string_append(out, ". Times are hours:minutes; business time "
			"counts the queue's open hours only.</p>");

	g_string_append(out, "<h2>Tickets</h2><div class=\"pair\"><figure>");
	bar_chart(out, rows, volume, G_N_ELEMENTS(volume), "tickets",
		  "tickets-chart");
	g_string_append(out, "<figcaption>Tickets created, resolved and "
			"still open at the end of the period.</figcaption>"
			"</figure><div class=\"numbers\" id=\"tickets-table\">");
	counts_table(out, all);
	g_string_append(out, "</div></div>");

	g_string_append(out, "<h2>First reply</h2><div class=\"pair\">"
			"<figure>");
	bar_chart(out, rows, times, G_N_ELEMENTS(times),
		  "hours (business time)", "first-reply-chart");
	g_string_append(out, "<figcaption>Time from the customer's first "
			"message to the first answer.</figcaption></figure>"
			"<div class=\"numbers\" id=\"first-reply-table\">");
	times_table(out, all, "first_reply_business", "first_reply_wall");
	g_string_append(out, "</div></div>");

	g_string_append(out, "<h2>Resolution</h2><div class=\"pair\">"
			"<figure>");
	bar_chart(out, rows, solving, G_N_ELEMENTS(solving),
		  "hours (business time)", "resolution-chart");
	g_string_append(out, "<figcaption>Time from the customer's first "
			"message to the ticket's first resolution."
			"</figcaption></figure><div class=\"numbers\" "
			"id=\"resolution-table\">");
	times_table(out, all, "resolution_business", "resolution_wall");
	g_string_append(out, "</div></div>");

	g_string_append(out, "<h2>Load</h2><figure>");
	heat_map(out, load);
	g_string_append(out, "<figcaption>Customer messages by weekday and "
			"hour.</figcaption></figure>");
	load_table(out, load);

	g_string_append(out, "<h2>Replies by agent</h2>"
			"<table id=\"agents-table\"><thead><tr><th>agent</th>"
			"<th>replies</th></tr></thead><tbody>");
	for (guint i = 0; agents != NULL && i < json_array_get_length(agents);
	     i++) {
		JsonObject *a = jsonget_element(agents, i);

		g_string_append(out, "<tr><td>");
		escaped(out, jsonget_string(a, "agent"));
		g_string_append_printf(out, "</td><td>%" G_GINT64_FORMAT
				       "</td></tr>", member_int(a, "replies"));
	}
	g_string_append(out, "</tbody></table></body></html>\n");
	g_ptr_array_unref(rows);
	g_ptr_array_unref(all);
	return g_string_free(out, FALSE);
}
