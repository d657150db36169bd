/* hours.c: business hours.  A schedule is, for each weekday, a sorted
   list of opening intervals in minutes of the local day [start, end);
   intervals past midnight are split at it.  Deadlines walk the local
   calendar day by day, turning each interval into Unix times through
   the zone (so a 23- or 25-hour day counts the minutes it really has),
   and stop after two years, beyond which no SLA reaches.

   It knows nothing of tickets or mail; the milter and shopdeskctl ask. */

#include "hours.h"

#include <libical/ical.h>
#include <stdio.h>
#include <string.h>

#define DAY_MINUTES (24 * 60)
#define SEARCH_DAYS (2 * 366)
#define ICS_YEARS_AHEAD 5

struct interval {
	int start, end;		/* minutes of the day, 0..1440 */
};

/* A group of the schedule as written ("mon-fri 09:00-19:00"), kept to
   describe the hours to customers. */
struct group {
	bool days[7];
	char *times;		/* "09:00–13:00, 14:00–19:00" */
};

struct hours {
	GTimeZone *tz;
	GArray *days[7];	/* struct interval; index 0 = Monday */
	GHashTable *holidays;	/* "YYYY-MM-DD" */
	GPtrArray *groups;	/* struct group */
};

static const char *const day_names[7] = {
	"mon", "tue", "wed", "thu", "fri", "sat", "sun",
};

static int parse_day(const char *name, size_t len)
{
	for (int i = 0; i < 7; i++) {
		if (len == 3 && g_ascii_strncasecmp(name, day_names[i], 3) == 0)
			return i;
	}
	return -1;
}

static int parse_clock(const char *text, int *minutes_r)
{
	unsigned int h, m;
	char end;

	if (sscanf(text, "%2u:%2u%c", &h, &m, &end) != 2 || strlen(text) != 5 ||
	    m > 59 || h > 24 || (h == 24 && m != 0))
		return -1;
	*minutes_r = h * 60 + m;
	return 0;
}

static void add_interval(struct hours *hours, int day, int start, int end)
{
	struct interval iv = { start, end };

	if (start < end)
		g_array_append_val(hours->days[day], iv);
}

static gint cmp_interval(gconstpointer a, gconstpointer b)
{
	return ((const struct interval *)a)->start -
		((const struct interval *)b)->start;
}

/* "mon-fri" or "sat" or "mon,wed,fri-sun": sets the flags of days[]. */
static int parse_days(const char *text, bool days[7])
{
	char **items = g_strsplit(text, ",", -1);
	int ret = 0;

	memset(days, 0, 7 * sizeof(bool));
	for (unsigned int i = 0; items[i] != NULL && ret == 0; i++) {
		const char *dash = strchr(items[i], '-');
		int a, b;

		if (dash == NULL) {
			a = b = parse_day(items[i], strlen(items[i]));
		} else {
			a = parse_day(items[i], dash - items[i]);
			b = parse_day(dash + 1, strlen(dash + 1));
		}
		if (a < 0 || b < 0) {
			ret = -1;
			break;
		}
		for (int d = a;; d = (d + 1) % 7) {
			days[d] = true;
			if (d == b)
				break;
		}
	}
	g_strfreev(items);
	return ret;
}

static void add_group(struct hours *hours, const bool days[7],
		      const char *times)
{
	struct group *group = g_new0(struct group, 1);

	memcpy(group->days, days, sizeof(group->days));
	group->times = g_strdup(times);
	g_ptr_array_add(hours->groups, group);
}

static void group_free(gpointer data)
{
	struct group *group = data;

	g_free(group->times);
	g_free(group);
}

static int parse_schedule(struct hours *hours, const char *schedule,
			  char **error_r)
{
	char **groups = g_strsplit(schedule, ";", -1);
	bool any = false;
	int ret = 0;

	for (unsigned int g = 0; groups[g] != NULL && ret == 0; g++) {
		char *group = g_strstrip(groups[g]);
		char *space = strpbrk(group, " \t");
		char **ranges;
		GString *times;
		bool days[7];

		if (*group == '\0')
			continue;
		any = true;
		if (strcmp(group, "24/7") == 0) {
			for (int d = 0; d < 7; d++)
				add_interval(hours, d, 0, DAY_MINUTES);
			add_group(hours, (bool[7]){ 1, 1, 1, 1, 1, 1, 1 },
				  "00:00–24:00");
			continue;
		}
		if (space == NULL) {
			*error_r = g_strdup_printf("\"%s\": days and times "
						   "expected", group);
			ret = -1;
			break;
		}
		*space = '\0';
		if (parse_days(group, days) < 0) {
			*error_r = g_strdup_printf("\"%s\": days like mon-fri "
						   "or sat expected", group);
			ret = -1;
			break;
		}
		ranges = g_strsplit(g_strstrip(space + 1), ",", -1);
		times = g_string_new(NULL);
		for (unsigned int r = 0; ranges[r] != NULL; r++) {
			char *range = g_strstrip(ranges[r]);
			char *dash = strchr(range, '-');
			int start, end;

			if (dash == NULL)
				goto bad_range;
			*dash = '\0';
			if (parse_clock(g_strstrip(range), &start) < 0 ||
			    parse_clock(g_strstrip(dash + 1), &end) < 0 ||
			    start == end || start == DAY_MINUTES)
				goto bad_range;
			g_string_append_printf(times, "%s%s–%s",
					       r > 0 ? ", " : "", range,
					       dash + 1);
			for (int d = 0; d < 7; d++) {
				if (!days[d])
					continue;
				if (start < end) {
					add_interval(hours, d, start, end);
				} else {
					/* past midnight: the rest runs on
					   the next day */
					add_interval(hours, d, start,
						     DAY_MINUTES);
					add_interval(hours, (d + 1) % 7, 0,
						     end);
				}
			}
			continue;
bad_range:
			*error_r = g_strdup_printf("\"%s\": times like "
						   "09:00-18:00 expected",
						   ranges[r]);
			ret = -1;
			break;
		}
		if (ret == 0)
			add_group(hours, days, times->str);
		g_string_free(times, TRUE);
		g_strfreev(ranges);
	}
	g_strfreev(groups);
	if (ret == 0 && !any) {
		*error_r = g_strdup("empty schedule");
		ret = -1;
	}
	return ret;
}

static void add_holiday(struct hours *hours, struct icaltimetype t)
{
	g_hash_table_add(hours->holidays,
			 g_strdup_printf("%04d-%02d-%02d", t.year, t.month,
					 t.day));
}

/* Each day of each event of an iCalendar file (the public holiday
   calendars that are published as .ics), recurrences expanded up to
   ICS_YEARS_AHEAD years from now. */
static int load_ics(struct hours *hours, const char *path, char **error_r)
{
	GDateTime *now = g_date_time_new_now_utc();
	int last_year = g_date_time_get_year(now) + ICS_YEARS_AHEAD;
	icalcomponent *root, *event;
	GError *error = NULL;
	char *text;

	g_date_time_unref(now);
	if (!g_file_get_contents(path, &text, NULL, &error)) {
		*error_r = g_strdup(error->message);
		g_error_free(error);
		return -1;
	}
	root = icalparser_parse_string(text);
	g_free(text);
	if (root == NULL) {
		*error_r = g_strdup_printf("%s: not an iCalendar file", path);
		return -1;
	}
	event = icalcomponent_isa(root) == ICAL_VEVENT_COMPONENT ? root :
		icalcomponent_get_first_component(root, ICAL_VEVENT_COMPONENT);
	for (; event != NULL; event = icalcomponent_get_next_component(
		     root, ICAL_VEVENT_COMPONENT)) {
		struct icaltimetype start = icalcomponent_get_dtstart(event);
		struct icaltimetype end = icalcomponent_get_dtend(event);
		icalproperty *rrule = icalcomponent_get_first_property(
			event, ICAL_RRULE_PROPERTY);
		icalrecur_iterator *it;
		int days = 1;

		if (icaltime_is_null_time(start))
			continue;
		if (!icaltime_is_null_time(end))
			days = MAX(1, icaltime_as_timet(end) / 86400 -
				   icaltime_as_timet(start) / 86400);
		days = MIN(days, 366);
		if (rrule == NULL) {
			for (int d = 0; d < days; d++) {
				struct icaltimetype t = start;

				icaltime_adjust(&t, d, 0, 0, 0);
				add_holiday(hours, t);
			}
			continue;
		}
		it = icalrecur_iterator_new(icalproperty_get_rrule(rrule),
					    start);
		if (it == NULL)
			continue;
		for (struct icaltimetype t = icalrecur_iterator_next(it);
		     !icaltime_is_null_time(t) && t.year <= last_year;
		     t = icalrecur_iterator_next(it)) {
			for (int d = 0; d < days; d++) {
				struct icaltimetype u = t;

				icaltime_adjust(&u, d, 0, 0, 0);
				add_holiday(hours, u);
			}
		}
		icalrecur_iterator_free(it);
	}
	icalcomponent_free(root);
	return 0;
}

static int parse_holidays(struct hours *hours, const char *holidays,
			  char **error_r)
{
	char **dates;
	int ret = 0;

	if (holidays == NULL)
		return 0;
	while (g_ascii_isspace(*holidays))
		holidays++;
	if (*holidays == '/')
		return load_ics(hours, holidays, error_r);
	dates = g_strsplit(holidays, ";", -1);
	for (unsigned int i = 0; dates[i] != NULL; i++) {
		char *date = g_strstrip(dates[i]);
		unsigned int y, m, d;
		char end;

		if (*date == '\0')
			continue;
		if (sscanf(date, "%4u-%2u-%2u%c", &y, &m, &d, &end) != 3 ||
		    strlen(date) != 10 || !g_date_valid_dmy(d, m, y)) {
			*error_r = g_strdup_printf("\"%s\": a date like "
						   "2026-12-25 expected", date);
			ret = -1;
			break;
		}
		g_hash_table_add(hours->holidays, g_strdup(date));
	}
	g_strfreev(dates);
	return ret;
}

int hours_parse(const char *schedule, const char *timezone,
		const char *holidays, struct hours **hours_r, char **error_r)
{
	struct hours *hours = g_new0(struct hours, 1);

	hours->tz = g_time_zone_new_identifier(timezone);
	if (hours->tz == NULL) {
		*error_r = g_strdup_printf("unknown time zone: %s", timezone);
		hours_free(&hours);
		return -1;
	}
	for (int d = 0; d < 7; d++)
		hours->days[d] = g_array_new(FALSE, FALSE,
					     sizeof(struct interval));
	hours->holidays = g_hash_table_new_full(g_str_hash, g_str_equal,
						g_free, NULL);
	hours->groups = g_ptr_array_new_with_free_func(group_free);
	if (parse_schedule(hours, schedule, error_r) < 0 ||
	    parse_holidays(hours, holidays, error_r) < 0) {
		hours_free(&hours);
		return -1;
	}
	for (int d = 0; d < 7; d++)
		g_array_sort(hours->days[d], cmp_interval);
	*hours_r = hours;
	return 0;
}

void hours_free(struct hours **_hours)
{
	struct hours *hours = *_hours;

	if (hours == NULL)
		return;
	*_hours = NULL;
	if (hours->tz != NULL)
		g_time_zone_unref(hours->tz);
	for (int d = 0; d < 7; d++) {
		if (hours->days[d] != NULL)
			g_array_unref(hours->days[d]);
	}
	if (hours->holidays != NULL)
		g_hash_table_unref(hours->holidays);
	if (hours->groups != NULL)
		g_ptr_array_unref(hours->groups);
	g_free(hours);
}

GTimeZone *hours_timezone(const struct hours *hours)
{
	return hours->tz;
}

/* A local calendar day, walked one at a time. */
struct day {
	int year, month, dayofmonth;
};

static void day_of(const struct hours *hours, int64_t t, struct day *day_r)
{
	GDateTime *dt = g_date_time_new_from_unix_utc(t);
	GDateTime *local;

	local = g_date_time_to_timezone(dt, hours->tz);
	g_date_time_get_ymd(local, &day_r->year, &day_r->month,
			    &day_r->dayofmonth);
	g_date_time_unref(local);
	g_date_time_unref(dt);
}

static void day_next(struct day *day)
{
	GDate date;

	g_date_clear(&date, 1);
	g_date_set_dmy(&date, day->dayofmonth, day->month, day->year);
	g_date_add_days(&date, 1);
	day->year = g_date_get_year(&date);
	day->month = g_date_get_month(&date);
	day->dayofmonth = g_date_get_day(&date);
}

/* Unix time of a wall-clock minute of the day (1440 = next midnight).
   A minute that does not exist (skipped by a daylight-saving change) is
   taken as the zone gives it. */
static int64_t wall_time(const struct hours *hours, const struct day *day,
			 int minute)
{
	GDateTime *dt;
	int64_t t;

	if (minute == DAY_MINUTES) {
		struct day next = *day;

		day_next(&next);
		dt = g_date_time_new(hours->tz, next.year, next.month,
				     next.dayofmonth, 0, 0, 0);
	} else {
		dt = g_date_time_new(hours->tz, day->year, day->month,
				     day->dayofmonth, minute / 60,
				     minute % 60, 0);
	}
	t = g_date_time_to_unix(dt);
	g_date_time_unref(dt);
	return t;
}

static GArray *day_intervals(const struct hours *hours,
			     const struct day *day)
{
	char key[16];
	GDate date;

	g_snprintf(key, sizeof(key), "%04d-%02d-%02d", day->year, day->month,
		   day->dayofmonth);
	if (g_hash_table_contains(hours->holidays, key))
		return NULL;
	g_date_clear(&date, 1);
	g_date_set_dmy(&date, day->dayofmonth, day->month, day->year);
	return hours->days[g_date_get_weekday(&date) - 1];
}

bool hours_is_open(const struct hours *hours, int64_t t)
{
	struct day day;
	GArray *ivs;

	day_of(hours, t, &day);
	ivs = day_intervals(hours, &day);
	for (unsigned int i = 0; ivs != NULL && i < ivs->len; i++) {
		struct interval *iv = &g_array_index(ivs, struct interval, i);

		if (t >= wall_time(hours, &day, iv->start) &&
		    t < wall_time(hours, &day, iv->end))
			return true;
	}
	return false;
}

/* Adds seconds of open time to start. */
static int add_open_time(const struct hours *hours, int64_t start,
			 int64_t seconds, int64_t *deadline_r)
{
	struct day day;

	day_of(hours, start, &day);
	for (int n = 0; n < SEARCH_DAYS; n++, day_next(&day)) {
		GArray *ivs = day_intervals(hours, &day);

		for (unsigned int i = 0; ivs != NULL && i < ivs->len; i++) {
			struct interval *iv = &g_array_index(ivs,
							     struct interval,
							     i);
			int64_t a = wall_time(hours, &day, iv->start);
			int64_t b = wall_time(hours, &day, iv->end);

			if (b <= start)
				continue;
			a = MAX(a, start);
			if (b - a >= seconds && seconds > 0) {
				*deadline_r = a + seconds;
				return 0;
			}
			if (seconds == 0 && a < b) {
				*deadline_r = a;
				return 0;
			}
			seconds -= b - a;
		}
	}
	return -1;
}

int hours_add_open(const struct hours *hours, int64_t start, int64_t seconds,
		   int64_t *t_r)
{
	return add_open_time(hours, start, seconds, t_r);
}

int64_t hours_open_seconds(const struct hours *hours, int64_t from,
			   int64_t to)
{
	int64_t open = 0;
	struct day day;

	day_of(hours, from, &day);
	for (int n = 0; n < SEARCH_DAYS; n++, day_next(&day)) {
		GArray *ivs = day_intervals(hours, &day);

		if (wall_time(hours, &day, 0) >= to)
			break;
		for (unsigned int i = 0; ivs != NULL && i < ivs->len; i++) {
			struct interval *iv = &g_array_index(ivs,
							     struct interval,
							     i);
			int64_t a = MAX(wall_time(hours, &day, iv->start),
					from);
			int64_t b = MIN(wall_time(hours, &day, iv->end), to);

			if (b > a)
				open += b - a;
		}
	}
	return open;
}

/* Same wall time of day, days business days later, then forward to the
   next opening if closed. */
static int add_business_days(const struct hours *hours, int64_t start,
			     int days, int64_t *deadline_r)
{
	GDateTime *utc = g_date_time_new_from_unix_utc(start);
	GDateTime *local = g_date_time_to_timezone(utc, hours->tz);
	int minute = g_date_time_get_hour(local) * 60 +
		g_date_time_get_minute(local);
	int second = g_date_time_get_second(local);
	struct day day;
	int n = 0;

	g_date_time_unref(local);
	g_date_time_unref(utc);
	day_of(hours, start, &day);
	while (days > 0 && n++ < SEARCH_DAYS) {
		GArray *ivs;

		day_next(&day);
		ivs = day_intervals(hours, &day);
		if (ivs != NULL && ivs->len > 0)
			days--;
	}
	if (days > 0)
		return -1;
	return add_open_time(hours, wall_time(hours, &day, minute) + second,
			     0, deadline_r);
}

int hours_deadline(const struct hours *hours, int64_t start, const char *sla,
		   int64_t *deadline_r, char **error_r)
{
	char *end;
	guint64 n;
	int ret;

	n = g_ascii_strtoull(sla, &end, 10);
	if (end == sla || n == 0 || n > 100000 || end[0] == '\0' ||
	    end[1] != '\0' || strchr("mhd", end[0]) == NULL) {
		*error_r = g_strdup_printf("\"%s\": an SLA like 90m, 4h or 1d "
					   "expected", sla);
		return -1;
	}
	if (end[0] == 'd')
		ret = add_business_days(hours, start, n, deadline_r);
	else
		ret = add_open_time(hours, start,
				    n * (end[0] == 'h' ? 3600 : 60),
				    deadline_r);
	if (ret < 0) {
		*error_r = g_strdup("the schedule is never open");
		return -1;
	}
	return 0;
}

/* "Mon–Fri", "Mon, Wed–Fri", "Sat": runs of consecutive days. */
static void describe_days(const bool days[7], const char *const names[7],
			  GString *out)
{
	for (int d = 0; d < 7; d++) {
		int end = d;

		if (!days[d])
			continue;
		while (end + 1 < 7 && days[end + 1])
			end++;
		if (out->len > 0)
			g_string_append(out, ", ");
		g_string_append(out, names[d]);
		if (end > d)
			g_string_append_printf(out, "%s%s",
					       end > d + 1 ? "–" : ", ",
					       names[end]);
		d = end;
	}
}

GPtrArray *hours_describe(const struct hours *hours,
			  const char *const names[7])
{
	GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);

	for (unsigned int i = 0; i < hours->groups->len; i++) {
		const struct group *group = hours->groups->pdata[i];
		GString *line = g_string_new(NULL);

		describe_days(group->days, names, line);
		g_string_append_printf(line, " %s", group->times);
		g_ptr_array_add(lines, g_string_free(line, FALSE));
	}
	return lines;
}
