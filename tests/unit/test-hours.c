/* Table-driven tests of the business-hours clock: deadlines across
   evenings, weekends, holidays, year ends, intervals past midnight, a
   24/7 queue, and daylight-saving changes in both directions (Kyiv,
   Vilnius, New York; Moscow has none). */

#include "hours.h"
#include "sla.h"

#include <glib/gstdio.h>
#include <string.h>

static const struct {
	const char *tz, *schedule, *holidays;
	const char *start, *sla, *want;
} cases[] = {
	/* plain office hours, Vilnius */
	{ "Europe/Vilnius", "mon-fri 09:00-18:00", NULL,
	  "2026-11-23T10:00:00+02:00", "2h", "2026-11-23T12:00:00+02:00" },
	{ "Europe/Vilnius", "mon-fri 09:00-18:00", NULL,
	  "2026-11-23T17:30:00+02:00", "90m", "2026-11-24T10:00:00+02:00" },
	{ "Europe/Vilnius", "mon-fri 09:00-18:00", NULL,
	  "2026-11-27T17:00:00+02:00", "2h", "2026-11-30T10:00:00+02:00" },
	{ "Europe/Vilnius", "mon-fri 09:00-18:00", NULL,
	  "2026-11-28T08:00:00+02:00", "2h", "2026-11-30T11:00:00+02:00" },
	/* open until 19:00: a message at 18:59 is inside the hours */
	{ "Europe/Vilnius", "mon-fri 09:00-19:00", NULL,
	  "2026-11-23T18:59:00+02:00", "4h", "2026-11-24T12:59:00+02:00" },
	/* lunch break */
	{ "Europe/Vilnius", "mon-fri 09:00-13:00,14:00-19:00", NULL,
	  "2026-11-23T12:30:00+02:00", "1h", "2026-11-23T14:30:00+02:00" },
	/* Saturday hours */
	{ "Europe/Vilnius", "mon-fri 09:00-18:00; sat 10:00-14:00", NULL,
	  "2026-11-27T17:00:00+02:00", "2h", "2026-11-28T11:00:00+02:00" },
	/* a holiday on a Friday */
	{ "Europe/Vilnius", "mon-fri 09:00-18:00", "2026-12-25",
	  "2026-12-24T17:00:00+02:00", "2h", "2026-12-28T10:00:00+02:00" },
	/* the year's end, New Year's Day a holiday */
	{ "Europe/Vilnius", "mon-fri 09:00-18:00", "2026-12-25;2027-01-01",
	  "2026-12-31T17:00:00+02:00", "2h", "2027-01-04T10:00:00+02:00" },
	/* one business day */
	{ "Europe/Vilnius", "mon-fri 09:00-18:00", NULL,
	  "2026-11-23T10:00:00+02:00", "1d", "2026-11-24T10:00:00+02:00" },
	{ "Europe/Vilnius", "mon-fri 09:00-18:00", NULL,
	  "2026-11-27T15:00:00+02:00", "1d", "2026-11-30T15:00:00+02:00" },
	{ "Europe/Vilnius", "mon-fri 09:00-18:00", NULL,
	  "2026-11-27T20:00:00+02:00", "1d", "2026-12-01T09:00:00+02:00" },
	{ "Europe/Vilnius", "mon-fri 09:00-18:00", "2026-11-30",
	  "2026-11-27T15:00:00+02:00", "1d", "2026-12-01T15:00:00+02:00" },
	/* hours across midnight, Moscow */
	{ "Europe/Moscow", "mon-sun 22:00-06:00", NULL,
	  "2026-11-23T23:00:00+03:00", "2h", "2026-11-24T01:00:00+03:00" },
	{ "Europe/Moscow", "mon-sun 22:00-06:00", NULL,
	  "2026-11-24T05:00:00+03:00", "2h", "2026-11-24T23:00:00+03:00" },
	/* Moscow keeps +03:00 all year: no change in late March */
	{ "Europe/Moscow", "mon-fri 09:00-19:00", NULL,
	  "2026-03-27T18:00:00+03:00", "2h", "2026-03-30T10:00:00+03:00" },
	/* 24/7 */
	{ "Europe/Vilnius", "24/7", NULL,
	  "2026-11-28T23:30:00+02:00", "90m", "2026-11-29T01:00:00+02:00" },
	/* New York, spring forward 2026-03-08 02:00 -> 03:00 */
	{ "America/New_York", "24/7", NULL,
	  "2026-03-08T01:30:00-05:00", "1h", "2026-03-08T03:30:00-04:00" },
	{ "America/New_York", "mon-fri 09:00-17:00", NULL,
	  "2026-03-06T16:00:00-05:00", "2h", "2026-03-09T10:00:00-04:00" },
	/* New York, fall back 2026-11-01 02:00 -> 01:00: a 25-hour day */
	{ "America/New_York", "24/7", NULL,
	  "2026-11-01T00:30:00-04:00", "2h", "2026-11-01T01:30:00-05:00" },
	/* Kyiv, spring forward 2026-03-29 03:00 -> 04:00 */
	{ "Europe/Kyiv", "mon-sun 02:00-06:00", NULL,
	  "2026-03-29T02:30:00+02:00", "2h", "2026-03-29T05:30:00+03:00" },
	/* Kyiv, fall back 2026-10-25 04:00 -> 03:00 */
	{ "Europe/Kyiv", "mon-sun 02:00-06:00", NULL,
	  "2026-10-25T02:00:00+03:00", "4h", "2026-10-25T05:00:00+02:00" },
	/* Vilnius, both changes */
	{ "Europe/Vilnius", "mon-sun 01:00-05:00", NULL,
	  "2026-03-29T01:00:00+02:00", "3h", "2026-03-29T05:00:00+03:00" },
	{ "Europe/Vilnius", "mon-sun 01:00-05:00", NULL,
	  "2026-10-25T01:00:00+03:00", "4h", "2026-10-25T04:00:00+02:00" },
	{ "Europe/Vilnius", "mon-fri 09:00-18:00", NULL,
	  "2026-10-23T17:00:00+03:00", "2h", "2026-10-26T10:00:00+02:00" },
};

static int64_t iso(const char *text)
{
	GDateTime *dt = g_date_time_new_from_iso8601(text, NULL);
	int64_t t;

	g_assert_nonnull(dt);
	t = g_date_time_to_unix(dt);
	g_date_time_unref(dt);
	return t;
}

static void test_deadlines(void)
{
	for (unsigned int i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct hours *hours = NULL;
		char *error = NULL;
		int64_t deadline;

		if (hours_parse(cases[i].schedule, cases[i].tz,
				cases[i].holidays, &hours, &error) < 0)
			g_error("case %u: %s", i + 1, error);
		if (hours_deadline(hours, iso(cases[i].start), cases[i].sla,
				   &deadline, &error) < 0)
			g_error("case %u: %s", i + 1, error);
		if (deadline != iso(cases[i].want)) {
			GDateTime *utc = g_date_time_new_from_unix_utc(deadline);
			GDateTime *dt = g_date_time_to_timezone(
				utc, hours_timezone(hours));
			char *got = g_date_time_format_iso8601(dt);

			g_error("case %u: %s + %s in %s = %s, want %s", i + 1,
				cases[i].start, cases[i].sla, cases[i].tz, got,
				cases[i].want);
		}
		hours_free(&hours);
	}
}

/* The warning before a promise, counted in open time: a message at
   17:00 on a Friday with a 4h SLA in a 09:00-18:00 week is due Monday
   12:00; 80% of its four open hours is Monday 11:12, 30m before it
   Monday 11:30; the open time between two moments skips the weekend
   and the night. */
static const struct {
	const char *start, *sla, *warn, *promise, *warn_at;
} warn_cases[] = {
	{ "2026-11-20T17:00:00+02:00", "4h", "80%",
	  "2026-11-23T12:00:00+02:00", "2026-11-23T11:12:00+02:00" },
	{ "2026-11-20T17:00:00+02:00", "4h", "30m",
	  "2026-11-23T12:00:00+02:00", "2026-11-23T11:30:00+02:00" },
	{ "2026-11-20T17:00:00+02:00", "4h", "off",
	  "2026-11-23T12:00:00+02:00", NULL },
	/* a lead longer than the promise: no warning */
	{ "2026-11-23T10:00:00+02:00", "30m", "1h",
	  "2026-11-23T10:30:00+02:00", NULL },
	/* 1d: the same time next business day, 80% of 9 open hours */
	{ "2026-11-20T10:00:00+02:00", "1d", "80%",
	  "2026-11-23T10:00:00+02:00", "2026-11-20T17:12:00+02:00" },
};

static void test_warning(void)
{
	struct hours *hours = NULL;
	char *error = NULL;

	g_assert_cmpint(hours_parse("mon-fri 09:00-18:00", "Europe/Vilnius",
				    NULL, &hours, &error), ==, 0);
	g_assert_cmpint(hours_open_seconds(hours,
					   iso("2026-11-20T17:00:00+02:00"),
					   iso("2026-11-23T12:00:00+02:00")),
			==, 4 * 3600);
	for (unsigned int i = 0; i < G_N_ELEMENTS(warn_cases); i++) {
		int64_t promise, warn;

		if (sla_promise(hours, warn_cases[i].sla, warn_cases[i].warn,
				iso(warn_cases[i].start), &promise, &warn,
				&error) < 0)
			g_error("case %u: %s", i + 1, error);
		g_assert_cmpint(promise, ==, iso(warn_cases[i].promise));
		g_assert_cmpint(warn, ==, warn_cases[i].warn_at != NULL ?
				iso(warn_cases[i].warn_at) : 0);
	}
	for (unsigned int i = 0; i < 6; i++) {
		static const char *const bad[] = {
			"0%", "100%", "80", "%", "5d", "1x",
		};

		g_assert_cmpint(sla_warn_check(bad[i], &error), ==, -1);
		g_assert_nonnull(strstr(error, bad[i]));
		g_clear_pointer(&error, g_free);
	}
	hours_free(&hours);
}

static void test_is_open(void)
{
	struct hours *hours = NULL;
	char *error = NULL;

	g_assert_cmpint(hours_parse("mon-fri 09:00-19:00", "Europe/Vilnius",
				    "2026-12-25", &hours, &error), ==, 0);
	g_assert_true(hours_is_open(hours, iso("2026-11-23T18:59:59+02:00")));
	g_assert_false(hours_is_open(hours, iso("2026-11-23T19:00:00+02:00")));
	g_assert_false(hours_is_open(hours, iso("2026-11-23T08:59:59+02:00")));
	g_assert_true(hours_is_open(hours, iso("2026-11-23T09:00:00+02:00")));
	g_assert_false(hours_is_open(hours, iso("2026-11-28T12:00:00+02:00")));
	g_assert_false(hours_is_open(hours, iso("2026-12-25T12:00:00+02:00")));
	hours_free(&hours);
	g_assert_null(hours);
}

static const struct {
	const char *schedule, *tz, *holidays, *error;
} bad[] = {
	{ "", "UTC", NULL, "empty schedule" },
	{ "mon-fri", "UTC", NULL, "days and times expected" },
	{ "mon-fry 09:00-18:00", "UTC", NULL, "days like mon-fri" },
	{ "mon-fri 9-18", "UTC", NULL, "times like 09:00-18:00" },
	{ "mon-fri 09:00-25:00", "UTC", NULL, "times like" },
	{ "mon-fri 09:00-09:00", "UTC", NULL, "times like" },
	{ "mon-fri 09:60-10:00", "UTC", NULL, "times like" },
	{ "mon-fri 09:00-18:00", "Mars/Base", NULL, "unknown time zone" },
	{ "mon-fri 09:00-18:00", "UTC", "2026-02-30", "a date like" },
	{ "mon-fri 09:00-18:00", "UTC", "25.12.2026", "a date like" },
};

static void test_errors(void)
{
	struct hours *hours = NULL;
	char *error = NULL;
	int64_t deadline;

	for (unsigned int i = 0; i < G_N_ELEMENTS(bad); i++) {
		if (hours_parse(bad[i].schedule, bad[i].tz, bad[i].holidays,
				&hours, &error) != -1)
			g_error("\"%s\" parsed", bad[i].schedule);
		if (strstr(error, bad[i].error) == NULL)
			g_error("\"%s\": %s", bad[i].schedule, error);
		g_free(error);
	}
	g_assert_cmpint(hours_parse("mon 09:00-10:00", "UTC", NULL, &hours,
				    &error), ==, 0);
	for (const char *const *sla = (const char *const[]){
		"", "0h", "2", "2w", "h", "1.5h", "-1h", NULL }; *sla; sla++) {
		g_assert_cmpint(hours_deadline(hours, 0, *sla, &deadline,
					       &error), ==, -1);
		g_free(error);
	}
	hours_free(&hours);
}

static const char ics_text[] =
	"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
	"BEGIN:VEVENT\r\nUID:1@test\r\nDTSTART;VALUE=DATE:20201224\r\n"
	"DTEND;VALUE=DATE:20201227\r\nRRULE:FREQ=YEARLY\r\n"
	"SUMMARY:Christmas\r\nEND:VEVENT\r\n"
	"BEGIN:VEVENT\r\nUID:2@test\r\nDTSTART;VALUE=DATE:20270101\r\n"
	"SUMMARY:New Year\r\nEND:VEVENT\r\n"
	"END:VCALENDAR\r\n";

/* Holidays from an iCalendar file: a three-day yearly event and a
   single day. */
static void test_ics(void)
{
	char *dir = g_dir_make_tmp("test-hours-XXXXXX", NULL);
	char *path = g_build_filename(dir, "holidays.ics", NULL);
	struct hours *hours = NULL;
	char *error = NULL;
	int64_t deadline;

	g_assert_true(g_file_set_contents(path, ics_text, -1, NULL));
	if (hours_parse("mon-fri 09:00-18:00", "Europe/Vilnius", path, &hours,
			&error) < 0)
		g_error("%s", error);
	/* Thursday 24th, Friday 25th (and Saturday 26th) are holidays */
	g_assert_false(hours_is_open(hours, iso("2026-12-24T12:00:00+02:00")));
	g_assert_false(hours_is_open(hours, iso("2026-12-25T12:00:00+02:00")));
	g_assert_true(hours_is_open(hours, iso("2026-12-28T12:00:00+02:00")));
	g_assert_false(hours_is_open(hours, iso("2027-01-01T12:00:00+02:00")));
	g_assert_cmpint(hours_deadline(hours, iso("2026-12-23T17:00:00+02:00"),
				       "2h", &deadline, &error), ==, 0);
	g_assert_cmpint(deadline, ==, iso("2026-12-28T10:00:00+02:00"));
	hours_free(&hours);

	g_assert_true(g_file_set_contents(path, "not a calendar", -1, NULL));
	g_assert_cmpint(hours_parse("24/7", "UTC", path, &hours, &error), ==,
			-1);
	g_free(error);
	g_assert_cmpint(hours_parse("24/7", "UTC", "/nonexistent.ics", &hours,
				    &error), ==, -1);
	g_assert_nonnull(strstr(error, "nonexistent.ics"));
	g_free(error);
	g_unlink(path);
	g_rmdir(dir);
	g_free(path);
	g_free(dir);
}

int main(int argc, char *argv[])
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/hours/deadlines", test_deadlines);
	g_test_add_func("/hours/is-open", test_is_open);
	g_test_add_func("/hours/warning", test_warning);
	g_test_add_func("/hours/errors", test_errors);
	g_test_add_func("/hours/ics", test_ics);
	return g_test_run();
}
