/* report.c: the manager's report, figure by figure as doc/reports.md
   says, from each ticket and its history.  The store is read in
   batches of REPORT_BATCH ticket ids, each its own transaction, and
   every ticket is folded into the groups outside it; ids run from 1
   without gaps (meta.db hands them out), so the first empty batch ends
   the walk. */

#include "report.h"
#include "control.h"
#include "hours.h"
#include "log.h"

#include <stdio.h>
#include <string.h>

#define REPORT_BATCH 256
/* Dates a report takes, and its longest period: a day's bucket each
   must stay a few thousand */
#define REPORT_YEAR_MIN 1970
#define REPORT_YEAR_MAX 9998
#define REPORT_DAYS_MAX 3700
#define NONE "(none)"

const char *const report_by_names[] = {
	"queue", "agent", "channel", "category", "language", "day", "week",
	NULL
};

int report_by_parse(const char *name, enum report_by *by_r)
{
	for (unsigned int i = 0; report_by_names[i] != NULL; i++) {
		if (strcmp(name, report_by_names[i]) == 0) {
			*by_r = i;
			return 0;
		}
	}
	return -1;
}

int report_date_parse(const char *text, GDate *date_r)
{
	unsigned int y, m, d;
	char end;

	if (strlen(text) != 10 ||
	    sscanf(text, "%4u-%2u-%2u%c", &y, &m, &d, &end) != 3 ||
	    text[4] != '-' || text[7] != '-' ||
	    y < REPORT_YEAR_MIN || y > REPORT_YEAR_MAX ||
	    !g_date_valid_dmy(d, m, y))
		return -1;
	g_date_clear(date_r, 1);
	g_date_set_dmy(date_r, d, m, y);
	return 0;
}

char *report_date_text(const GDate *date)
{
	return g_strdup_printf("%04u-%02u-%02u", g_date_get_year(date),
			       g_date_get_month(date), g_date_get_day(date));
}

struct report_options {
	GDate from, to;
	enum report_by by;
	const char *queue;	/* NULL: every queue */
};

/* One duration figure: the seconds, sorted when reported */
struct durations {
	GArray *values;		/* int64_t */
};

struct figures {
	char *group;
	unsigned int created, first_replies, replies, resolved, closed,
		reopened, backlog, in_time;
	struct durations first_reply_wall, first_reply_business,
		resolution_wall, resolution_business;
	unsigned int rating_count, rating_sum, rating_top;
};

/* A queue's clock for the period: its zone's bounds of the period and,
   for --by day and week, of each bucket, worked out once */
struct clock {
	struct hours *hours;
	GTimeZone *tz;
	int64_t start, end;
	GArray *ends;		/* int64_t: each bucket's end, the last the
				   period's; empty unless day or week */
	GPtrArray *names;	/* of the buckets */
};

struct report {
	const struct report_options *options;
	GHashTable *clocks;	/* queue name -> struct clock */
	struct clock *utc;	/* for a queue no longer configured */
	GHashTable *groups;	/* name -> struct figures */
	struct figures total;
	GHashTable *agents;	/* address -> replies (GUINT_TO_POINTER) */
	unsigned int load[7][24];
};

static void figures_init(struct figures *f, const char *group)
{
	memset(f, 0, sizeof(*f));
	f->group = g_strdup(group);
	f->first_reply_wall.values = g_array_new(FALSE, FALSE,
						 sizeof(int64_t));
	f->first_reply_business.values = g_array_new(FALSE, FALSE,
						     sizeof(int64_t));
	f->resolution_wall.values = g_array_new(FALSE, FALSE,
						sizeof(int64_t));
	f->resolution_business.values = g_array_new(FALSE, FALSE,
						    sizeof(int64_t));
}

static void figures_clear(struct figures *f)
{
	g_free(f->group);
	g_array_unref(f->first_reply_wall.values);
	g_array_unref(f->first_reply_business.values);
	g_array_unref(f->resolution_wall.values);
	g_array_unref(f->resolution_business.values);
}

static void figures_free(gpointer data)
{
	figures_clear(data);
	g_free(data);
}

static struct figures *group_of(struct report *r, const char *name)
{
	struct figures *f = g_hash_table_lookup(r->groups, name);

	if (f == NULL) {
		f = g_new(struct figures, 1);
		figures_init(f, name);
		g_hash_table_insert(r->groups, f->group, f);
	}
	return f;
}

/* The Unix time of local midnight starting date in tz */
static int64_t local_midnight(GTimeZone *tz, const GDate *date)
{
	GDateTime *dt = g_date_time_new(tz, g_date_get_year(date),
					g_date_get_month(date),
					g_date_get_day(date), 0, 0, 0);
	int64_t t = g_date_time_to_unix(dt);

	g_date_time_unref(dt);
	return t;
}

/* What one ticket is read as: its clock, its period, its group */
struct view {
	struct report *report;
	const struct ticket *ticket;
	const struct clock *clock;
	const struct hours *hours;
	int64_t start, end;	/* the period, in its queue's zone */
	const char *fixed_group;	/* NULL for day and week */
};

static bool in_period(const struct view *v, int64_t t)
{
	return t >= v->start && t < v->end;
}

/* The bucket of t, in the period: the first that ends after it */
static guint bucket_of(const struct clock *c, int64_t t)
{
	guint lo = 0, hi = c->ends->len - 1;

	while (lo < hi) {
		guint mid = (lo + hi) / 2;

		if (g_array_index(c->ends, int64_t, mid) > t)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* The group a figure of the ticket's event at t goes to */
static struct figures *group_at(const struct view *v, int64_t t)
{
	if (v->fixed_group != NULL)
		return group_of(v->report, v->fixed_group);
	return group_of(v->report,
			v->clock->names->pdata[bucket_of(v->clock, t)]);
}

static void add_duration(struct durations *d, int64_t seconds)
{
	g_array_append_val(d->values, seconds);
}

/* Each counted figure goes to the ticket's group and to the total */
#define COUNT(v, t, field) \
	do { \
		group_at((v), (t))->field++; \
		(v)->report->total.field++; \
	} while (0)

static void first_reply(const struct view *v, int64_t created, int64_t t)
{
	struct figures *g = group_at(v, t), *all = &v->report->total;
	int64_t wall = t - created;
	int64_t business = hours_open_seconds(v->hours, created, t);

	g->first_replies++;
	all->first_replies++;
	add_duration(&g->first_reply_wall, wall);
	add_duration(&all->first_reply_wall, wall);
	add_duration(&g->first_reply_business, business);
	add_duration(&all->first_reply_business, business);
	if (v->ticket->reply_by != 0 && t <= v->ticket->reply_by) {
		g->in_time++;
		all->in_time++;
	}
}

static void resolution(const struct view *v, int64_t created, int64_t t)
{
	struct figures *g = group_at(v, t), *all = &v->report->total;
	int64_t wall = t - created;
	int64_t business = hours_open_seconds(v->hours, created, t);

	add_duration(&g->resolution_wall, wall);
	add_duration(&all->resolution_wall, wall);
	add_duration(&g->resolution_business, business);
	add_duration(&all->resolution_business, business);
}

static void rating(const struct view *v, int64_t t, int score)
{
	struct figures *g = group_at(v, t), *all = &v->report->total;

	g->rating_count++;
	all->rating_count++;
	g->rating_sum += score;
	all->rating_sum += score;
	if (score >= 4) {
		g->rating_top++;
		all->rating_top++;
	}
}

static void inbound(const struct view *v, int64_t t)
{
	GDateTime *utc = g_date_time_new_from_unix_utc(t);
	GDateTime *local = g_date_time_to_timezone(utc, v->clock->tz);

	v->report->load[g_date_time_get_day_of_week(local) - 1]
		[g_date_time_get_hour(local)]++;
	g_date_time_unref(local);
	g_date_time_unref(utc);
}

static bool done_status(const char *status)
{
	return strcmp(status, "resolved") == 0 ||
	       strcmp(status, "closed") == 0;
}

/* Backlog at the end of the period, or of each day or week in it:
   the ticket's status walked along with the bucket ends. */
static void backlog(const struct view *v, const GPtrArray *events,
		    int64_t created)
{
	const struct clock *c = v->clock;
	const char *status = "new";
	guint e = 0;

	for (guint i = 0; i < MAX(c->ends->len, 1); i++) {
		int64_t end = c->ends->len > 0 ?
			g_array_index(c->ends, int64_t, i) : v->end;

		for (; e < events->len; e++) {
			const struct ticket_event *ev = events->pdata[e];

			if (ev->time >= end)
				break;
			if (strcmp(ev->event, "status") == 0)
				status = ticket_event_string(ev, "to");
		}
		if (created < end && !done_status(status)) {
			if (c->ends->len == 0) {
				COUNT(v, end - 1, backlog);
			} else {
				group_at(v, end - 1)->backlog++;
				if (i + 1 == c->ends->len)
					v->report->total.backlog++;
			}
		} else if (e == events->len && done_status(status)) {
			break;	/* done for good: no later bucket counts */
		}
	}
}

static const char *agent_of(const struct ticket *ticket,
			    const GPtrArray *events)
{
	if (*ticket->assignee != '\0')
		return ticket->assignee;
	for (unsigned int i = 0; i < events->len; i++) {
		const struct ticket_event *ev = g_ptr_array_index(events, i);

		if (strcmp(ev->event, "message") == 0 &&
		    strcmp(ticket_event_string(ev, "direction"),
			   "outbound") == 0)
			return ticket_event_string(ev, "from");
	}
	return NONE;
}

static const char *fixed_group(const struct report *r,
			       const struct ticket *ticket,
			       const GPtrArray *events)
{
	switch (r->options->by) {
	case REPORT_BY_QUEUE:
		return ticket->queue;
	case REPORT_BY_CHANNEL:
		return ticket->channel;
	case REPORT_BY_CATEGORY:
		return *ticket->category != '\0' ? ticket->category : NONE;
	case REPORT_BY_LANGUAGE:
		return *ticket->language != '\0' ? ticket->language : NONE;
	case REPORT_BY_AGENT:
		return agent_of(ticket, events);
	case REPORT_BY_DAY:
	case REPORT_BY_WEEK:
		break;
	}
	return NULL;
}

static void add_ticket(struct report *r, const struct ticket *ticket,
		       const GPtrArray *events)
{
	const struct report_options *o = r->options;
	struct view v = { .report = r, .ticket = ticket };
	int64_t created = ticket->created;
	bool replied = false, resolved = false;

	if (o->queue != NULL && strcmp(ticket->queue, o->queue) != 0)
		return;
	v.clock = g_hash_table_lookup(r->clocks, ticket->queue);
	if (v.clock == NULL)
		v.clock = r->utc;
	v.hours = v.clock->hours;
	v.start = v.clock->start;
	v.end = v.clock->end;
	if (ticket->created >= v.end)
		return;		/* after the period: nothing to count */
	v.fixed_group = fixed_group(r, ticket, events);
	for (unsigned int i = 0; i < events->len; i++) {
		const struct ticket_event *ev = g_ptr_array_index(events, i);

		if (strcmp(ev->event, "created") == 0) {
			created = ev->time;
			break;
		}
	}
	for (unsigned int i = 0; i < events->len; i++) {
		const struct ticket_event *ev = g_ptr_array_index(events, i);
		bool in = in_period(&v, ev->time);

		if (strcmp(ev->event, "created") == 0) {
			if (in)
				COUNT(&v, ev->time, created);
		} else if (strcmp(ev->event, "message") == 0) {
			const char *dir = ticket_event_string(ev,
							      "direction");

			if (strcmp(dir, "inbound") == 0) {
				if (in)
					inbound(&v, ev->time);
				continue;
			}
			if (strcmp(dir, "outbound") != 0)
				continue;
			if (in) {
				const char *from = ticket_event_string(ev,
								       "from");
				guint n = GPOINTER_TO_UINT(
					g_hash_table_lookup(r->agents, from));

				COUNT(&v, ev->time, replies);
				g_hash_table_insert(r->agents, g_strdup(from),
						    GUINT_TO_POINTER(n + 1));
			}
			if (!replied && in)
				first_reply(&v, created, ev->time);
			replied = true;
		} else if (strcmp(ev->event, "status") == 0) {
			const char *from = ticket_event_string(ev, "from");
			const char *to = ticket_event_string(ev, "to");

			if (in && strcmp(to, "resolved") == 0)
				COUNT(&v, ev->time, resolved);
			if (in && strcmp(to, "closed") == 0)
				COUNT(&v, ev->time, closed);
			if (in && done_status(from) && !done_status(to))
				COUNT(&v, ev->time, reopened);
			if (!resolved && done_status(to) && in)
				resolution(&v, created, ev->time);
			if (done_status(to))
				resolved = true;
		} else if (strcmp(ev->event, "csat") == 0) {
			gint32 score = 0;

			g_variant_lookup(ev->fields, "score", "i", &score);
			if (in && score >= 1 && score <= 5)
				rating(&v, ev->time, score);
		}
	}
	backlog(&v, events, created);
}

/* --- reading the store ------------------------------------------------ */

struct batch {
	uint32_t first;
	GPtrArray *tickets;	/* struct ticket * */
	GPtrArray *histories;	/* GPtrArray * of events */
};

static void batch_clear(struct batch *b)
{
	g_ptr_array_set_size(b->tickets, 0);
	g_ptr_array_set_size(b->histories, 0);
}

static int batch_txn(struct store_txn *txn, void *context, char **error_r)
{
	struct batch *b = context;

	batch_clear(b);	/* a retried transaction starts over */
	for (uint32_t id = b->first; id < b->first + REPORT_BATCH; id++) {
		struct ticket *ticket;
		GPtrArray *events;
		int ret = store_ticket_get(txn, id, &ticket, error_r);

		if (ret < 0)
			return -1;
		if (ret == 0)
			break;
		if (store_event_list(txn, id, &events, error_r) < 0) {
			ticket_free(&ticket);
			return -1;
		}
		g_ptr_array_add(b->tickets, ticket);
		g_ptr_array_add(b->histories, events);
	}
	return 0;
}

static void ticket_destroy(gpointer data)
{
	struct ticket *ticket = data;

	ticket_free(&ticket);
}

static int read_store(struct report *r, struct store *store, char **error_r)
{
	struct batch b = {
		.first = 1,
		.tickets = g_ptr_array_new_with_free_func(ticket_destroy),
		.histories = g_ptr_array_new_with_free_func(
			(GDestroyNotify)g_ptr_array_unref),
	};
	int ret = 0;

	for (;;) {
		if (store_transaction(store, batch_txn, &b, error_r) < 0) {
			ret = -1;
			break;
		}
		for (unsigned int i = 0; i < b.tickets->len; i++)
			add_ticket(r, b.tickets->pdata[i],
				   b.histories->pdata[i]);
		if (b.tickets->len < REPORT_BATCH)
			break;
		b.first += REPORT_BATCH;
	}
	g_ptr_array_unref(b.tickets);
	g_ptr_array_unref(b.histories);
	return ret;
}

/* --- the JSON --------------------------------------------------------- */

static int compare_int64(gconstpointer a, gconstpointer b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* The nearest-rank percentile p of the sorted values */
static int64_t percentile(const GArray *sorted, unsigned int p)
{
	guint rank = (p * sorted->len + 99) / 100;

	return g_array_index(sorted, int64_t, MAX(rank, 1) - 1);
}

static void add_durations(JsonBuilder *b, const char *name,
			  struct durations *d)
{
	g_array_sort(d->values, compare_int64);
	json_builder_set_member_name(b, name);
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "count");
	json_builder_add_int_value(b, d->values->len);
	json_builder_set_member_name(b, "median");
	if (d->values->len == 0)
		json_builder_add_null_value(b);
	else
		json_builder_add_int_value(b, percentile(d->values, 50));
	json_builder_set_member_name(b, "p90");
	if (d->values->len == 0)
		json_builder_add_null_value(b);
	else
		json_builder_add_int_value(b, percentile(d->values, 90));
	json_builder_end_object(b);
}

static void add_count(JsonBuilder *b, const char *name, unsigned int n)
{
	json_builder_set_member_name(b, name);
	json_builder_add_int_value(b, n);
}

static void add_figures(JsonBuilder *b, struct figures *f)
{
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "group");
	json_builder_add_string_value(b, f->group);
	add_count(b, "created", f->created);
	add_count(b, "first_replies", f->first_replies);
	add_count(b, "replies", f->replies);
	add_count(b, "resolved", f->resolved);
	add_count(b, "closed", f->closed);
	add_count(b, "reopened", f->reopened);
	add_count(b, "backlog", f->backlog);
	add_count(b, "in_time", f->in_time);
	add_durations(b, "first_reply_wall", &f->first_reply_wall);
	add_durations(b, "first_reply_business", &f->first_reply_business);
	add_durations(b, "resolution_wall", &f->resolution_wall);
	add_durations(b, "resolution_business", &f->resolution_business);
	json_builder_set_member_name(b, "ratings");
	json_builder_begin_object(b);
	add_count(b, "count", f->rating_count);
	add_count(b, "sum", f->rating_sum);
	add_count(b, "top", f->rating_top);
	json_builder_end_object(b);
	json_builder_end_object(b);
}

/* Every day or ISO week of the period is a group, events or not */
static void add_buckets(struct report *r)
{
	for (guint i = 0; i < r->utc->names->len; i++)
		group_of(r, r->utc->names->pdata[i]);
}

static JsonNode *report_json(struct report *r)
{
	const struct report_options *o = r->options;
	JsonBuilder *b = json_builder_new();
	GList *names, *l;
	JsonNode *node;
	char *text;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "from");
	text = report_date_text(&o->from);
	json_builder_add_string_value(b, text);
	g_free(text);
	json_builder_set_member_name(b, "to");
	text = report_date_text(&o->to);
	json_builder_add_string_value(b, text);
	g_free(text);
	json_builder_set_member_name(b, "by");
	json_builder_add_string_value(b, report_by_names[o->by]);
	json_builder_set_member_name(b, "queue");
	if (o->queue != NULL)
		json_builder_add_string_value(b, o->queue);
	else
		json_builder_add_null_value(b);

	json_builder_set_member_name(b, "groups");
	json_builder_begin_array(b);
	names = g_list_sort(g_hash_table_get_keys(r->groups),
			    (GCompareFunc)strcmp);
	for (l = names; l != NULL; l = l->next)
		add_figures(b, g_hash_table_lookup(r->groups, l->data));
	g_list_free(names);
	json_builder_end_array(b);
	json_builder_set_member_name(b, "total");
	add_figures(b, &r->total);

	json_builder_set_member_name(b, "agents");
	json_builder_begin_array(b);
	names = g_list_sort(g_hash_table_get_keys(r->agents),
			    (GCompareFunc)strcmp);
	for (l = names; l != NULL; l = l->next) {
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "agent");
		json_builder_add_string_value(b, l->data);
		add_count(b, "replies", GPOINTER_TO_UINT(
				  g_hash_table_lookup(r->agents, l->data)));
		json_builder_end_object(b);
	}
	g_list_free(names);
	json_builder_end_array(b);

	json_builder_set_member_name(b, "load");
	json_builder_begin_array(b);
	for (unsigned int d = 0; d < 7; d++) {
		json_builder_begin_array(b);
		for (unsigned int h = 0; h < 24; h++)
			json_builder_add_int_value(b, r->load[d][h]);
		json_builder_end_array(b);
	}
	json_builder_end_array(b);
	json_builder_end_object(b);
	node = json_builder_get_root(b);
	g_object_unref(b);
	return node;
}

/* --- the request ------------------------------------------------------ */

static int parse_request(char **words, struct report_options *o,
			 char **error_r)
{
	bool from = false, to = false;

	for (unsigned int i = 0; words[i] != NULL; i++) {
		const char *w = words[i];

		if (g_str_has_prefix(w, "from=") && !from) {
			from = report_date_parse(w + 5, &o->from) == 0;
			if (!from)
				goto bad;
		} else if (g_str_has_prefix(w, "to=") && !to) {
			to = report_date_parse(w + 3, &o->to) == 0;
			if (!to)
				goto bad;
		} else if (g_str_has_prefix(w, "by=")) {
			if (report_by_parse(w + 3, &o->by) < 0)
				goto bad;
		} else if (g_str_has_prefix(w, "queue=") && w[6] != '\0') {
			o->queue = w + 6;
		} else if (*w != '\0') {
			goto bad;
		}
		continue;
bad:
		*error_r = g_strdup_printf("report: bad argument %s", w);
		return -1;
	}
	if (!from || !to) {
		*error_r = g_strdup("usage: report from=YYYY-MM-DD "
				    "to=YYYY-MM-DD [by=B] [queue=Q]");
		return -1;
	}
	if (g_date_compare(&o->to, &o->from) < 0) {
		*error_r = g_strdup("report: to is before from");
		return -1;
	}
	if (g_date_days_between(&o->from, &o->to) >= REPORT_DAYS_MAX) {
		*error_r = g_strdup_printf("report: a period of at most %d "
					   "days", REPORT_DAYS_MAX);
		return -1;
	}
	return 0;
}

/* The bucket of a day: its date, or its ISO week */
static char *bucket_of_day(const GDate *day, enum report_by by)
{
	GDateTime *noon = g_date_time_new_utc(g_date_get_year(day),
					      g_date_get_month(day),
					      g_date_get_day(day), 12, 0, 0);
	char *name = g_date_time_format(noon, by == REPORT_BY_DAY ?
					"%Y-%m-%d" : "%G-W%V");

	g_date_time_unref(noon);
	return name;
}

/* Takes hours */
static struct clock *clock_new(struct hours *hours,
			       const struct report_options *o)
{
	struct clock *c = g_new0(struct clock, 1);
	GDate day, next;

	c->hours = hours;
	c->tz = hours_timezone(hours);
	next = o->to;
	g_date_add_days(&next, 1);
	c->start = local_midnight(c->tz, &o->from);
	c->end = local_midnight(c->tz, &next);
	c->ends = g_array_new(FALSE, FALSE, sizeof(int64_t));
	c->names = g_ptr_array_new_with_free_func(g_free);
	if (o->by != REPORT_BY_DAY && o->by != REPORT_BY_WEEK)
		return c;
	/* a bucket ends before the next day that starts another */
	for (day = o->from; g_date_compare(&day, &o->to) <= 0; day = next) {
		char *name = bucket_of_day(&day, o->by), *after;
		int64_t end;

		next = day;
		g_date_add_days(&next, 1);
		after = g_date_compare(&next, &o->to) <= 0 ?
			bucket_of_day(&next, o->by) : NULL;
		if (after != NULL && strcmp(after, name) == 0) {
			g_free(after);
			g_free(name);
			continue;
		}
		end = local_midnight(c->tz, &next);
		g_array_append_val(c->ends, end);
		g_ptr_array_add(c->names, name);
		g_free(after);
	}
	return c;
}

static void clock_free(gpointer data)
{
	struct clock *c = data;

	hours_free(&c->hours);
	g_array_unref(c->ends);
	g_ptr_array_unref(c->names);
	g_free(c);
}

JsonNode *report_handle(struct store *store, const struct config *config,
			const char *request)
{
	char **words = g_strsplit_set(request, " \t", -1);
	struct report_options o = { .by = REPORT_BY_QUEUE };
	struct report r = { .options = &o };
	gint64 start = g_get_monotonic_time();
	struct hours *utc;
	JsonNode *reply = NULL;
	char *error = NULL;

	if (g_strcmp0(words[0], "report") != 0 ||
	    parse_request(words + 1, &o, &error) < 0) {
		reply = control_error("%s", error != NULL ? error :
				      "not a report request");
		g_free(error);
		g_strfreev(words);
		return reply;
	}
	r.clocks = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
					 clock_free);
	for (unsigned int i = 0; i < config->queues->len; i++) {
		const struct config_queue *q = config->queues->pdata[i];
		struct hours *hours;

		if (hours_parse(q->hours, q->timezone, q->holidays, &hours,
				&error) < 0) {
			reply = control_error("queue %s: %s", q->name,
					      error);
			g_free(error);
			goto out;
		}
		g_hash_table_insert(r.clocks, q->name, clock_new(hours, &o));
	}
	if (hours_parse("24/7", "UTC", NULL, &utc, &error) < 0)
		g_error("24/7 in UTC: %s", error);
	r.utc = clock_new(utc, &o);
	r.groups = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
					 figures_free);
	r.agents = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					 NULL);
	figures_init(&r.total, "total");
	add_buckets(&r);
	if (read_store(&r, store, &error) < 0) {
		reply = control_error("store: %s", error);
		g_free(error);
	} else {
		reply = report_json(&r);
		log_info("control: report %s in %" G_GINT64_FORMAT " ms",
			 request + strlen("report "),
			 (g_get_monotonic_time() - start) / 1000);
	}
	figures_clear(&r.total);
	g_hash_table_unref(r.groups);
	g_hash_table_unref(r.agents);
	clock_free(r.utc);
out:
	g_hash_table_unref(r.clocks);
	g_strfreev(words);
	return reply;
}
