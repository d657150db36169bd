#!/usr/bin/env python3
"""check-report.py: recomputes `shopdeskctl report` from the tickets'
histories, as doc/reports.md defines every figure, and compares.

    check-report.py --tickets SHOWS.json --report REPORT.json
                    [--from DATE] [--to DATE] [--by GROUP] [--queue Q]
                    [--conf shopdesk.conf] [--hours NAME=ZONE|SCHEDULE|HOLIDAYS]
                    [--csv REPORT.csv]

SHOWS.json holds `shopdeskctl show ID --json` of every ticket: a JSON
array, JSON lines, or the documents one after the other.  REPORT.json is
`shopdeskctl report --format json` run with the same options.  A
queue's hours come from --conf (its [queue NAME] sections: timezone,
hours, holidays, with shopdesk.conf's defaults UTC, mon-fri 09:00-18:00,
none) or --hours (SCHEDULE as in shopdesk.conf, HOLIDAYS ISO dates
separated by ';'); a queue named nowhere counts in UTC, open around the
clock.  Without either, sales (Europe/Vilnius, mon-fri 09:00-18:00,
holiday 2026-11-11) and support (America/New_York, 24/7) are known, as
tests/report/t-report.sh configures them.

A group of --by queue, channel, category, language or agent appears
when a ticket has a figure in it in the period, its backlog included: a
ticket created and closed before the period, or created after it,
makes no group of zeros.

With --csv, the CSV form of the same report (`--format csv`) is checked
too, value by value.

Prints every disagreement as "group X figure Y: report A, recomputed B"
and exits 1 when there is any, 0 when all agree, 2 on bad input.
Written from doc/reports.md alone, not from lib/report.c: it is the
independent check.  Python 3 standard library only.
"""

import argparse
import csv
import datetime as dt
import json
import math
import re
import sys
from zoneinfo import ZoneInfo

UTC = dt.timezone.utc
DAY_NAMES = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
GROUPINGS = ["queue", "agent", "channel", "category", "language", "day",
             "week"]
COUNTS = ["created", "first_replies", "replies", "resolved", "closed",
          "reopened", "backlog", "in_time"]
DURATIONS = ["first_reply_wall", "first_reply_business", "resolution_wall",
             "resolution_business"]
BUILTIN_HOURS = {
    "sales": ("Europe/Vilnius", "mon-fri 09:00-18:00", "2026-11-11"),
    "support": ("America/New_York", "24/7", ""),
}
CONF_DEFAULTS = ("UTC", "mon-fri 09:00-18:00", "")


class InputError(Exception):
    pass


# --- business hours ---------------------------------------------------------

class Hours:
    """A queue's clock: a weekly schedule in a zone, minus holidays."""

    def __init__(self, zone, schedule, holidays):
        try:
            self.zone = ZoneInfo(zone)
        except Exception as e:
            raise InputError("unknown time zone %r: %s" % (zone, e))
        self.zone_name = zone
        self.holidays = set()
        for h in (holidays or "").split(";"):
            h = h.strip()
            if not h:
                continue
            if h.endswith(".ics"):
                raise InputError("holidays from an .ics file (%s) are "
                                 "not supported here" % h)
            try:
                self.holidays.add(dt.date.fromisoformat(h))
            except ValueError:
                raise InputError("holiday %r is not a date" % h)
        # weekday (0 = Monday) -> [(start minute, end minute)], the end
        # past 1440 for an interval that runs into the next day
        self.week = parse_schedule(schedule)

    def local_date(self, t):
        return dt.datetime.fromtimestamp(t, self.zone).date()

    def local_time(self, t):
        return dt.datetime.fromtimestamp(t, self.zone)

    def instant(self, date, minute=0):
        """Unix time of minute (may be >= 1440) of a local date."""
        date = date + dt.timedelta(days=minute // 1440)
        minute %= 1440
        local = dt.datetime(date.year, date.month, date.day, minute // 60,
                            minute % 60, tzinfo=self.zone)
        return int(local.timestamp())

    def open_seconds(self, a, b):
        """Seconds of open time in [a, b)."""
        if b <= a:
            return 0
        total = 0
        day = self.local_date(a) - dt.timedelta(days=1)
        last = self.local_date(b)
        while day <= last:
            if day not in self.holidays:
                for start, end in self.week[day.weekday()]:
                    s = max(a, self.instant(day, start))
                    e = min(b, self.instant(day, end))
                    if e > s:
                        total += e - s
            day += dt.timedelta(days=1)
        return total


def parse_minute(text, what):
    m = re.fullmatch(r"(\d{1,2}):(\d{2})", text.strip())
    if not m or int(m.group(1)) > 24 or int(m.group(2)) > 59 or \
            (int(m.group(1)) == 24 and int(m.group(2)) != 0):
        raise InputError("bad time %r in hours %r" % (text, what))
    return int(m.group(1)) * 60 + int(m.group(2))


def parse_days(text, what):
    days = set()
    for item in text.split(","):
        item = item.strip().lower()
        if "-" in item:
            a, b = item.split("-", 1)
            if a not in DAY_NAMES or b not in DAY_NAMES:
                raise InputError("bad days %r in hours %r" % (item, what))
            i = DAY_NAMES.index(a)
            while True:
                days.add(i)
                if i == DAY_NAMES.index(b):
                    break
                i = (i + 1) % 7
        elif item in DAY_NAMES:
            days.add(DAY_NAMES.index(item))
        else:
            raise InputError("bad day %r in hours %r" % (item, what))
    return days


def parse_schedule(schedule):
    week = {d: [] for d in range(7)}
    if schedule.strip() == "24/7":
        for d in range(7):
            week[d].append((0, 1440))
        return week
    for group in schedule.split(";"):
        group = group.strip()
        if not group:
            continue
        parts = group.split(None, 1)
        if len(parts) != 2:
            raise InputError("bad hours %r" % schedule)
        days = parse_days(parts[0], schedule)
        for rng in parts[1].split(","):
            if "-" not in rng:
                raise InputError("bad range %r in hours %r" % (rng, schedule))
            a, b = rng.split("-", 1)
            start, end = parse_minute(a, schedule), parse_minute(b, schedule)
            if end <= start:	# runs past midnight into the next day
                end += 1440
            for d in days:
                week[d].append((start, end))
    return week


def read_conf(path):
    """{queue: (zone, schedule, holidays)} of a shopdesk.conf."""
    queues = {}
    section = None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            m = re.fullmatch(r"\[\s*queue\s+(\S+)\s*\]", line)
            if m:
                section = m.group(1)
                queues[section] = {}
                continue
            if line.startswith("["):
                section = None
                continue
            if section is not None and "=" in line:
                key, value = line.split("=", 1)
                queues[section][key.strip()] = value.strip()
    return {q: (kv.get("timezone", CONF_DEFAULTS[0]),
                kv.get("hours", CONF_DEFAULTS[1]),
                kv.get("holidays", CONF_DEFAULTS[2]))
            for q, kv in queues.items()}


# --- input -------------------------------------------------------------------

def read_json_docs(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    decoder = json.JSONDecoder()
    docs, i = [], 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            break
        try:
            doc, i = decoder.raw_decode(text, i)
        except json.JSONDecodeError as e:
            raise InputError("%s: %s" % (path, e))
        if isinstance(doc, list):
            docs.extend(doc)
        else:
            docs.append(doc)
    return docs


def parse_time(text):
    try:
        return int(dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")
                   .replace(tzinfo=UTC).timestamp())
    except (TypeError, ValueError):
        raise InputError("not a time: %r" % (text,))


def parse_date(text, what):
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError("%s: not a date: %r" % (what, text))


# --- one ticket ----------------------------------------------------------------

class Ticket:
    """What the report reads of one ticket's show --json."""

    def __init__(self, doc, hours):
        self.id = doc.get("id")
        self.queue = doc["queue"]
        self.hours = hours
        customer = doc.get("customer") or {}
        self.attr = {
            "queue": self.queue,
            "channel": doc.get("channel"),
            "category": doc.get("category") or "(none)",
            "language": customer.get("language") or "(none)",
        }
        self.reply_by = parse_time(doc["reply_by"]) \
            if doc.get("reply_by") else None
        self.created = None
        self.first_reply = None		# (time, from)
        self.replies = []		# (time, from)
        self.inbound = []
        self.resolution = None
        self.resolved = []
        self.closed = []
        self.reopened = []
        self.ratings = []		# (time, score)
        self.statuses = []		# (time, to), history order
        for h in doc.get("history") or []:
            t = parse_time(h.get("time"))
            ev = h.get("event")
            if ev == "created" and self.created is None:
                self.created = t
            elif ev == "message" and h.get("direction") == "outbound":
                self.replies.append((t, h.get("from")))
                if self.first_reply is None:
                    self.first_reply = (t, h.get("from"))
            elif ev == "message" and h.get("direction") == "inbound":
                self.inbound.append(t)
            elif ev == "status":
                to, frm = h.get("to"), h.get("from")
                self.statuses.append((t, to))
                if to in ("resolved", "closed") and self.resolution is None:
                    self.resolution = t
                if to == "resolved":
                    self.resolved.append(t)
                if to == "closed":
                    self.closed.append(t)
                if frm in ("resolved", "closed") and \
                        to not in ("resolved", "closed"):
                    self.reopened.append(t)
            elif ev == "csat":
                score = h.get("score")
                if isinstance(score, int) and not isinstance(score, bool) \
                        and 1 <= score <= 5:
                    self.ratings.append((t, score))
        if self.created is None:	# no created entry: the field
            self.created = parse_time(doc["created"])
        self.attr["agent"] = doc.get("assignee") or \
            (self.first_reply[1] if self.first_reply else None) or "(none)"

    def open_at(self, end):
        """Created before end, and neither resolved nor closed then."""
        if self.created >= end:
            return False
        status = "new"
        for t, to in self.statuses:
            if t < end:
                status = to
        return status not in ("resolved", "closed")


# --- recomputing ------------------------------------------------------------------

class Acc:
    def __init__(self):
        self.n = {k: 0 for k in COUNTS}
        self.d = {k: [] for k in DURATIONS}
        self.ratings = [0, 0, 0]

    def figures(self):
        out = dict(self.n)
        for k in DURATIONS:
            out[k] = duration(self.d[k])
        out["ratings"] = {"count": self.ratings[0], "sum": self.ratings[1],
                          "top": self.ratings[2]}
        return out


def nearest_rank(values, p):
    rank = max(1, math.ceil(p * len(values) / 100))
    return values[rank - 1]


def duration(values):
    values = sorted(values)
    if not values:
        return {"count": 0, "median": None, "p90": None}
    return {"count": len(values), "median": nearest_rank(values, 50),
            "p90": nearest_rank(values, 90)}


def iso_week(date):
    y, w, _ = date.isocalendar()
    return "%d-W%02d" % (y, w)


def recompute(tickets, d_from, d_to, by):
    groups = {}
    total = Acc()
    agents = {}
    load = [[0] * 24 for _ in range(7)]
    days = []
    d = d_from
    while d <= d_to:
        days.append(d)
        d += dt.timedelta(days=1)
    if by == "day":
        for d in days:
            groups[d.isoformat()] = Acc()
    elif by == "week":
        for d in days:
            groups.setdefault(iso_week(d), Acc())

    for tk in tickets:
        h = tk.hours
        start = h.instant(d_from)
        end = h.instant(d_to + dt.timedelta(days=1))

        def inside(t):
            return t is not None and start <= t < end

        def accs(t):
            if by == "day":
                key = h.local_date(t).isoformat()
            elif by == "week":
                key = iso_week(h.local_date(t))
            else:
                key = tk.attr[by]
            return (groups.setdefault(key, Acc()), total)

        def count(figure, t):
            if inside(t):
                for a in accs(t):
                    a.n[figure] += 1

        count("created", tk.created)
        if tk.first_reply is not None:
            t = tk.first_reply[0]
            count("first_replies", t)
            if inside(t):
                for a in accs(t):
                    a.d["first_reply_wall"].append(t - tk.created)
                    a.d["first_reply_business"].append(
                        h.open_seconds(tk.created, t))
                    if tk.reply_by is not None and t <= tk.reply_by:
                        a.n["in_time"] += 1
        for t, frm in tk.replies:
            count("replies", t)
            if inside(t):
                agents[frm] = agents.get(frm, 0) + 1
        for figure, times in (("resolved", tk.resolved),
                              ("closed", tk.closed),
                              ("reopened", tk.reopened)):
            for t in times:
                count(figure, t)
        if inside(tk.resolution):
            t = tk.resolution
            for a in accs(t):
                a.d["resolution_wall"].append(t - tk.created)
                a.d["resolution_business"].append(
                    h.open_seconds(tk.created, t))
        for t, score in tk.ratings:
            if inside(t):
                for a in accs(t):
                    a.ratings[0] += 1
                    a.ratings[1] += score
                    a.ratings[2] += score >= 4
        for t in tk.inbound:
            if inside(t):
                lt = h.local_time(t)
                load[lt.weekday()][lt.hour] += 1

        # the backlog: at the end of the period, or of each bucket
        if tk.open_at(end):
            total.n["backlog"] += 1
            if by not in ("day", "week"):
                groups.setdefault(tk.attr[by], Acc()).n["backlog"] += 1
        if by == "day":
            for d in days:
                if tk.open_at(min(end, h.instant(d + dt.timedelta(days=1)))):
                    groups[d.isoformat()].n["backlog"] += 1
        elif by == "week":
            seen = set()
            for d in days:
                w = iso_week(d)
                if w in seen:
                    continue
                seen.add(w)
                monday = d - dt.timedelta(days=d.weekday())
                b_end = h.instant(monday + dt.timedelta(days=7))
                if tk.open_at(min(end, b_end)):
                    groups[w].n["backlog"] += 1

    return {
        "groups": {k: v.figures() for k, v in groups.items()},
        "total": total.figures(),
        "agents": [{"agent": a, "replies": agents[a]}
                   for a in sorted(agents)],
        "load": load,
    }


# --- comparing -----------------------------------------------------------------

class Compare:
    def __init__(self):
        self.mismatches = []
        self.compared = 0

    def fail(self, text):
        self.mismatches.append(text)

    def value(self, group, figure, got, want):
        self.compared += 1
        if type(got) is bool or got != want or \
                (got is None) != (want is None) or \
                (isinstance(got, float) and not got.is_integer()):
            self.fail("group %s figure %s: report %s, recomputed %s"
                      % (group, figure, json.dumps(got), json.dumps(want)))

    def figures(self, group, got, want):
        if not isinstance(got, dict):
            self.fail("group %s: not an object in the report" % group)
            return
        for k in COUNTS:
            self.value(group, k, got.get(k, "(missing)"), want[k])
        for k in DURATIONS + ["ratings"]:
            g = got.get(k)
            if not isinstance(g, dict):
                self.fail("group %s figure %s: report %s, recomputed %s"
                          % (group, k, json.dumps(g), json.dumps(want[k])))
                continue
            for sub in want[k]:
                self.value(group, "%s.%s" % (k, sub),
                           g.get(sub, "(missing)"), want[k][sub])


def compare_json(cmp, report, want, args, d_from, d_to):
    for key, value in (("from", d_from.isoformat()),
                       ("to", d_to.isoformat()), ("by", args.by),
                       ("queue", args.queue)):
        cmp.value("(report)", key, report.get(key, "(missing)"), value)

    got_groups = report.get("groups")
    if not isinstance(got_groups, list):
        cmp.fail("report: no groups array")
        got_groups = []
    names = [g.get("group") if isinstance(g, dict) else None
             for g in got_groups]
    if names != sorted(names, key=lambda n: (n is None, n or "")):
        cmp.fail("report: groups not sorted by name: %s" % names)
    if len(set(names)) != len(names):
        cmp.fail("report: a group twice: %s" % names)
    got = {g.get("group"): g for g in got_groups if isinstance(g, dict)}
    for name in sorted(set(got) | set(want["groups"]),
                       key=lambda n: (n is None, n or "")):
        if name not in want["groups"]:
            cmp.fail("group %s: in the report, not recomputed" % name)
        elif name not in got:
            cmp.fail("group %s: recomputed, missing in the report" % name)
        else:
            cmp.figures(name, got[name], want["groups"][name])

    t = report.get("total")
    if isinstance(t, dict) and t.get("group") != "total":
        cmp.fail("total: group is %s, not \"total\"" %
                 json.dumps(t.get("group")))
    cmp.figures("total", t, want["total"])

    agents = report.get("agents")
    if not isinstance(agents, list):
        cmp.fail("report: no agents array")
    else:
        got_a = [(a.get("agent"), a.get("replies")) for a in agents
                 if isinstance(a, dict)]
        want_a = [(a["agent"], a["replies"]) for a in want["agents"]]
        if [a for a, _ in got_a] != sorted(a for a, _ in got_a
                                           if a is not None):
            cmp.fail("agents: not sorted by address: %s"
                     % [a for a, _ in got_a])
        gd, wd = dict(got_a), dict(want_a)
        for a in sorted(set(gd) | set(wd), key=str):
            cmp.value("(agents)", "replies of %s" % a,
                      gd.get(a, "(missing)"), wd.get(a, "(missing)"))

    load = report.get("load")
    if not (isinstance(load, list) and len(load) == 7 and
            all(isinstance(r, list) and len(r) == 24 for r in load)):
        cmp.fail("load: not 7 rows of 24 counts: %s" % json.dumps(load))
    else:
        for d in range(7):
            for hr in range(24):
                cmp.value("(load)", "%s %02d:00" % (DAY_NAMES[d], hr),
                          load[d][hr], want["load"][d][hr])


CSV_ORDER = ["created", "first_replies", "replies", "resolved",
             "closed", "reopened", "backlog", "in_time"] + DURATIONS


def csv_columns(order):
    cols = ["group"]
    for k in order:
        if k in DURATIONS:
            cols += [k + "_count", k + "_median", k + "_p90"]
        else:
            cols.append(k)
    return cols + ["ratings_count", "ratings_sum", "ratings_top",
                   "ratings_average"]


def csv_cell(cmp, group, column, cell, want):
    cmp.compared += 1
    empty = cell.strip().lower() in ("", "null", "-", "none", "nan")
    if want is None:
        ok = empty
    elif empty:
        ok = False
    elif isinstance(want, float):
        try:
            ok = abs(float(cell) - want) < 0.006
        except ValueError:
            ok = False
    else:
        ok = cell.strip() == str(want)
    if not ok:
        cmp.fail("csv group %s figure %s: report %r, recomputed %s"
                 % (group, column, cell, json.dumps(want)))


def compare_csv(cmp, path, want):
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    if not rows:
        cmp.fail("csv: empty")
        return
    header = rows[0]
    if header != csv_columns(CSV_ORDER):
        cmp.fail("csv: header %s, expected %s" %
                 (",".join(header), ",".join(csv_columns(CSV_ORDER))))
        return
    names = [r[0] if r else None for r in rows[1:]]
    want_names = sorted(want["groups"]) + ["total"]
    if names != want_names:
        cmp.fail("csv: rows %s, recomputed %s" % (names, want_names))
    for r in rows[1:]:
        if len(r) != len(header):
            cmp.fail("csv: row %s has %d columns, header %d"
                     % (r[:1], len(r), len(header)))
            continue
        name = r[0]
        fig = want["total"] if name == "total" else want["groups"].get(name)
        if fig is None:
            continue
        for col, cell in zip(header[1:], r[1:]):
            if col in COUNTS:
                w = fig[col]
            elif col.startswith("ratings_"):
                rt = fig["ratings"]
                w = (rt["sum"] / rt["count"] if rt["count"] else None) \
                    if col == "ratings_average" else rt[col[8:]]
            else:
                k, sub = col.rsplit("_", 1)
                w = fig[k][sub]
            csv_cell(cmp, name, col, cell, w)


# --- main ---------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(
        description="Recompute shopdeskctl report from show --json of "
        "every ticket (doc/reports.md) and compare.")
    ap.add_argument("--tickets", required=True,
                    help="show --json of every ticket")
    ap.add_argument("--report", required=True,
                    help="report --format json output")
    ap.add_argument("--from", dest="d_from")
    ap.add_argument("--to", dest="d_to")
    ap.add_argument("--by", default="queue", choices=GROUPINGS)
    ap.add_argument("--queue")
    ap.add_argument("--conf", help="shopdesk.conf: the queues' hours")
    ap.add_argument("--hours", action="append", default=[],
                    metavar="NAME=ZONE|SCHEDULE|HOLIDAYS")
    ap.add_argument("--csv", help="report --format csv output, to check too")
    ap.add_argument("--today", help="today (UTC) for the default --to")
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="print the recomputed report too")
    args = ap.parse_args()

    try:
        queue_hours = {}
        if args.conf:
            queue_hours.update(read_conf(args.conf))
        for spec in args.hours:
            name, _, rest = spec.partition("=")
            parts = rest.split("|")
            if not name or len(parts) not in (2, 3):
                raise InputError("--hours %r: NAME=ZONE|SCHEDULE|HOLIDAYS"
                                 % spec)
            queue_hours[name] = (parts[0], parts[1],
                                 parts[2] if len(parts) > 2 else "")
        if not args.conf and not args.hours:
            queue_hours.update(BUILTIN_HOURS)
        clocks = {q: Hours(*v) for q, v in queue_hours.items()}
        utc247 = Hours("UTC", "24/7", "")

        today = parse_date(args.today, "--today") if args.today else \
            dt.datetime.now(UTC).date()
        d_to = parse_date(args.d_to, "--to") if args.d_to else today
        d_from = parse_date(args.d_from, "--from") if args.d_from else \
            d_to - dt.timedelta(days=29)
        if d_to < d_from:
            raise InputError("--to %s is before --from %s" % (d_to, d_from))

        docs = read_json_docs(args.tickets)
        tickets = []
        for doc in docs:
            if not isinstance(doc, dict) or "queue" not in doc:
                raise InputError("%s: not a ticket: %.80s"
                                 % (args.tickets, json.dumps(doc)))
            if args.queue is not None and doc["queue"] != args.queue:
                continue
            tickets.append(Ticket(doc, clocks.get(doc["queue"], utc247)))
        reports = read_json_docs(args.report)
        if len(reports) != 1 or not isinstance(reports[0], dict):
            raise InputError("%s: not one report object" % args.report)
        report = reports[0]
    except (InputError, OSError, KeyError) as e:
        print("check-report: %s" % e, file=sys.stderr)
        return 2

    want = recompute(tickets, d_from, d_to, args.by)
    if args.verbose:
        print(json.dumps(want, indent=1, sort_keys=True))
    cmp = Compare()
    compare_json(cmp, report, want, args, d_from, d_to)
    if args.csv:
        try:
            compare_csv(cmp, args.csv, want)
        except OSError as e:
            print("check-report: %s" % e, file=sys.stderr)
            return 2
    for m in cmp.mismatches:
        print(m)
    print("check-report: --by %s%s %s..%s: %d of %d tickets, %d groups, "
          "%d values compared%s: %s"
          % (args.by, " --queue " + args.queue if args.queue else "",
             d_from, d_to, len(tickets), len(docs), len(want["groups"]),
             cmp.compared, " (and the CSV)" if args.csv else "",
             "%d mismatches" % len(cmp.mismatches) if cmp.mismatches
             else "all agree"))
    return 1 if cmp.mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
