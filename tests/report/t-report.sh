#!/bin/bash
# End to end: `shopdeskctl report` over a generated month of tickets,
# every figure recomputed independently from `shopdeskctl show --json`
# of every ticket by check-report.py, as doc/reports.md defines them.
# gen-report-store fills the store (about 300 tickets in November 2026
# and at its edges, in three queues: sales in Vilnius with office hours
# and a holiday, support in New York around the clock, and old, a queue
# no longer configured); the milter alone serves it (no Postfix, no
# Dovecot: the report and show go through its control socket).  Then:
# each --by, --queue, an empty period, the CSV, --output, and the
# refusals of a date that is none and of --to before --from.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../integration/harness.sh"

# The milter, once started, runs the generated tickets' timers that are
# due: with the follow-up and the auto-close off, they add nothing but
# SLA marks, dated today, after the period.  REPORT_SEED=N generates
# another month (gen-report-store --seed N; 42 by default).
SALES_EXTRA="hours = mon-fri 09:00-18:00
holidays = 2026-11-11
followup_after = off
autoclose_after = off"
harness_init
cat >> "$CONF" <<CONF

[queue support]
address = support@shop.test
name = Support
timezone = America/New_York
hours = 24/7
followup_after = off
autoclose_after = off
CONF

CHECK=$here/check-report.py
GEN=$top_builddir/tests/report/gen-report-store	# make check builds it
[ -x "$GEN" ] || bail "$GEN is not built (make check builds it)"
"${AS_MAIL_USER[@]}" "$GEN" ${REPORT_SEED:+--seed "$REPORT_SEED"} \
	"$H/state" >"$H/gen.log" 2>&1 ||
	bail "gen-report-store failed: $(cat "$H/gen.log")"
tap_check "gen-report-store fills the store ($(tr -d '\n' <"$H/gen.log"))" \
	grep -q '^gen-report-store: [0-9]* tickets' "$H/gen.log"
start_milter

# show --json of every ticket, one document after the other
for id in $(ctl tickets --json | jq '.tickets[].id'); do
	ctl show "$id" --json || bail "show $id failed"
done > "$H/shows.json"
n=$(jq -s length "$H/shows.json")
tap_check "the milter serves the generated store: $n tickets" \
	test "$n" -ge 250
tap_is "$(jq -s '[.[].queue] | unique | join(" ")' -r "$H/shows.json")" \
	"old sales support" "tickets in the three queues"

# report_ok DESC OPTIONS...: report --format json with OPTIONS, every
# figure recomputed; the checker's word in the TAP diagnostics
n_report=0
report_ok() {
	local desc=$1 out rc by=queue queue='' a; shift
	n_report=$((n_report + 1))
	local r=$H/report-$n_report.json
	local prev=
	for a in "$@"; do
		case $prev in --by) by=$a ;; --queue) queue=$a ;; esac
		prev=$a
	done
	LAST_REPORT=$r
	ctl report "$@" --format json >"$r" 2>"$r.err"
	rc=$?
	if [ "$rc" -ne 0 ]; then
		tap_fail "$desc" "report exited $rc: $(cat "$r.err")"
		return 1
	fi
	out=$(python3 "$CHECK" --tickets "$H/shows.json" --report "$r" \
		--conf "$CONF" --by "$by" ${queue:+--queue "$queue"} \
		$(report_dates "$@") 2>&1)
	rc=$?
	if [ "$rc" -eq 0 ]; then
		tap_ok "$desc: $(tail -n 1 <<<"$out")"
	else
		tap_fail "$desc" "$(head -n 40 <<<"$out")"
	fi
	return "$rc"
}
report_dates() {	# the --from/--to among the arguments, for the checker
	local prev= a
	for a in "$@"; do
		case $prev in --from|--to) printf '%s %s\n' "$prev" "$a" ;; esac
		prev=$a
	done
}
NOV=(--from 2026-11-01 --to 2026-11-30)

# 1. Every grouping over November, recomputed figure by figure.
for by in queue agent channel category language day week; do
	report_ok "--by $by: every figure as recomputed" "${NOV[@]}" --by "$by"
done
report_ok "--queue sales --by agent" "${NOV[@]}" --queue sales --by agent
report_ok "--queue support --by day (New York days)" "${NOV[@]}" \
	--queue support --by day
report_ok "--queue old --by week (a queue not configured: UTC)" \
	"${NOV[@]}" --queue old --by week
report_ok "--by left out is --by queue" "${NOV[@]}"
tap_is "$(jq -r .by "$LAST_REPORT")" queue "and says so"

# The month is no empty test: each kind of figure has something in it.
report_ok "--by queue again" "${NOV[@]}" --by queue
t=$LAST_REPORT
tap_is "$(jq '.total | [.created > 250, .first_replies > 100,
	.resolved > 50, .closed > 10, .reopened > 5, .backlog > 5,
	.in_time > 20, .ratings.count > 5, .resolution_business.count > 50]
	| all' "$t")" true "the generated month has some of every figure"
tap_is "$(jq -r '[.groups[].group] | join(" ")' "$t")" "old sales support" \
	"the three queues are the groups, by name"
tap_is "$(jq -r '[.agents[].agent] | join(" ")' "$t")" \
	"ann@shop.test bob@shop.test" "the agents, by address"
tap_is "$(jq '[.load | length, (.[] | length)] | unique | join(",")' -r "$t")" \
	"7,24" "load: 7 rows of 24"

# 2. An empty period: a report of zeros, not an error.
report_ok "an empty period (January 2025) is a report of zeros" \
	--from 2025-01-01 --to 2025-01-31 --by queue
tap_is "$(jq '[.total | .created, .replies, .backlog, .ratings.count,
	.first_reply_wall.count] + [.load[][]] | add' "$LAST_REPORT")" 0 \
	"every count of the empty period is 0"
tap_is "$(jq -c '.total.first_reply_wall' "$LAST_REPORT")" \
	'{"count":0,"median":null,"p90":null}' "durations are null, not 0"

# 3. Refusals: a date that is none, --to before --from; a message on
#    standard error, no report.
refused() {	# refused DESC WORD REPORT-OPTIONS...: exit 1 or 2, WORD said
	local desc=$1 word=$2 rc; shift 2
	ctl report "$@" --format json >"$H/refused.out" 2>"$H/refused.err"
	rc=$?
	if { [ "$rc" -eq 1 ] || [ "$rc" -eq 2 ]; } &&
	   grep -q -- "$word" "$H/refused.err" && ! [ -s "$H/refused.out" ]; then
		tap_ok "$desc: $(head -n 1 "$H/refused.err")"
	else
		tap_fail "$desc" "exit $rc, stderr: $(head -n 3 "$H/refused.err"), stdout: $(head -c 200 "$H/refused.out")"
	fi
}
refused "--from 2026-13-01 is refused, naming the date" 2026-13-01 \
	--from 2026-13-01 --to 2026-11-30
refused "--to 2026-02-30 is refused, naming the date" 2026-02-30 \
	--from 2026-02-01 --to 2026-02-30
refused "--from 26-11-01 is refused, naming it" 26-11-01 \
	--from 26-11-01 --to 2026-11-30
refused "--to before --from is refused" 2026-11-01 \
	--from 2026-11-30 --to 2026-11-01

# 4. CSV: a header, one line per group and the total, each value the
#    recomputed one.
ctl report "${NOV[@]}" --by language --format csv >"$H/report.csv" 2>&1
tap_is "$?" 0 "--format csv"
ctl report "${NOV[@]}" --by language --format json >"$H/report-csv.json"
groups=$(jq '.groups | length' "$H/report-csv.json")
tap_is "$(wc -l <"$H/report.csv")" "$((groups + 2))" \
	"a header line, $groups groups and the total"
tap_check "the header names the columns" \
	grep -q '^group,created,first_replies,.*ratings_average' "$H/report.csv"
tap_is "$(tail -n 1 "$H/report.csv" | cut -d, -f1 | tr -d '"')" total \
	"the total last"
out=$(python3 "$CHECK" --tickets "$H/shows.json" \
	--report "$H/report-csv.json" --csv "$H/report.csv" --conf "$CONF" \
	--by language "${NOV[@]}" 2>&1)
rc=$?
if [ "$rc" -eq 0 ]; then tap_ok "every CSV value as recomputed"
else tap_fail "every CSV value as recomputed" "$(head -n 40 <<<"$out")"; fi

# 5. --output FILE: the report there, the same as on standard output.
out=$(ctl report "${NOV[@]}" --by channel --format json \
	--output "$H/out.json" 2>&1)
tap_is "$?" 0 "--output FILE"
tap_check "writes FILE" test -s "$H/out.json"
ctl report "${NOV[@]}" --by channel --format json >"$H/stdout.json"
tap_check "the same report as on standard output" \
	cmp -s <(jq -S . "$H/out.json") <(jq -S . "$H/stdout.json")
tap_is "$out" "" "and nothing on standard output"

# 6. The HTML page, in a real browser: Debian's chromium, headless.  It
#    must load without a console error, hold every chart and table, and
#    fetch nothing; a phone-sized and a desktop screenshot are saved
#    (REPORT_SCREENSHOT=FILE keeps the desktop one, as the README's).
ctl report "${NOV[@]}" --format html --output "$H/report.html"
tap_is "$?" 0 "--format html"
tap_check "one file: no script, no stylesheet or image fetched, no URL" \
	sh -c "! grep -qiE '<script|<link|<img|src=|url\(|@import|https?:' '$H/report.html'"
browser() {	# browser ARGS...: headless chromium on the page
	timeout 120 chromium --headless=new --no-sandbox --disable-gpu \
		--no-first-run --user-data-dir="$H/chromium" \
		--enable-logging=stderr --v=0 "$@" "file://$H/report.html"
}
browser --dump-dom >"$H/dom.html" 2>"$H/console.log"
tap_is "$?" 0 "chromium loads the page"
tap_is "$(grep -c 'CONSOLE' "$H/console.log")" 0 "no console message"
for id in tickets-chart first-reply-chart resolution-chart load-chart \
	  tickets-table first-reply-table resolution-table load-table \
	  agents-table period; do
	tap_check "the page has #$id" grep -q "id=\"$id\"" "$H/dom.html"
done
tap_check "the charts have axes with units and legends" \
	sh -c "grep -q 'hours (business time)' '$H/dom.html' &&
	       grep -q '>tickets<' '$H/dom.html' &&
	       grep -q '>open at the end<' '$H/dom.html'"
tap_check "the tables hold the numbers: the total's tickets created" \
	grep -q "<td>total</td><td>$(jq .total.created "$H/stdout.json")</td>" \
	"$H/dom.html"
browser --screenshot="$H/phone.png" --window-size=412,3000 \
	>/dev/null 2>&1
tap_check "a phone-sized screenshot" \
	sh -c "file '$H/phone.png' | grep -q 'PNG image data, 412 x 3000'"
browser --screenshot="$H/desktop.png" --window-size=1100,2200 \
	>/dev/null 2>&1
tap_check "a desktop screenshot" \
	sh -c "file '$H/desktop.png' | grep -q 'PNG image data, 1100 x 2200'"
[ -n "${REPORT_SCREENSHOT:-}" ] && cp "$H/desktop.png" "$REPORT_SCREENSHOT"

tap_done
