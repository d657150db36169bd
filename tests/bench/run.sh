#!/bin/bash
# Benchmarks (make bench).  Prints figures; asserts nothing.
#  1. Throughput: realistic mail (other.eml, customer.eml: 30 headers with
#     a Received chain, DKIM and ARC, about 6 kB) sent by smtp-send.py to
#     Postfix -> smtp-sink on 127.0.0.1; messages per second.
#     Mail not for the desk (a newsletter to ann@): Postfix alone, the
#     do-nothing nullmilter that receives every stage, shopdesk-milter
#     (target: at least 1.3 x nullmilter).  Mail to a branded address (a
#     customer to sales@, each message a new ticket): nullmilter -h, which
#     adds one header (any edit costs Postfix about 40 %), and
#     shopdesk-milter (target: at least 0.95 x nullmilter -h).
#     The five runs are made BENCH_ROUNDS times, interleaved, and each
#     figure is the median: the machine is shared, and a neighbour's load
#     must not land on one configuration only.
#  2. The cost of creating a ticket in a store of 10 thousand and of
#     1 million tickets (target: at most 1.2 x).
#  3. A flood of headers (bench-headers.c).
#  4. The SLA timers with 1 000 and 100 000 open tickets (bench-timers.c):
#     a tick with nothing due, a tick firing timers, and the delay from
#     a due time to the mail in the outbox under the milter's worker.
#  5. Reports of a month and of a year on 100 000 tickets with a million
#     history events (bench-report.c).
#  6. shopdeskctl rebuild --from-mailbox on a Maildir of 10 000 tickets
#     and 100 000 stamped messages (bench-rebuild.sh, gen-maildir.py):
#     seconds, messages per second, peak RSS, the store's size, and the
#     tickets the rebuilt store holds against those made;
#     BENCH_REBUILD_TICKETS and BENCH_REBUILD_MESSAGES change its size.
# BENCH_MESSAGES (per run), BENCH_SESSIONS, BENCH_ROUNDS, BENCH_LARGE,
# BENCH_TIMERS (the open tickets of 4), BENCH_REPORT (the tickets of 5)
# change the sizes.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../integration/harness.sh"

messages=${BENCH_MESSAGES:-1000}
sessions=${BENCH_SESSIONS:-10}
rounds=${BENCH_ROUNDS:-3}
other=(ann@shop.test "weekly+@@N@@@lists.example.org" "$here/other.eml")
branded=(sales@shop.test "customer@@N@@@mail.example.net" "$here/customer.eml")

harness_init
start_sink
# everything goes out to the sink: nothing is delivered locally
POSTFIX_EXTRA="virtual_mailbox_domains ="

# run_one TO FROM FILE: messages per second through the running Postfix,
# once the queue it filled has drained
run_one() {
	local rate
	rate=$(python3 "$here/smtp-send.py" "127.0.0.1:$SMTP_PORT" \
		"$messages" "$sessions" "$2" "$1" "$3") ||
		bail "smtp-send.py failed"
	wait_queue_empty 300 || bail "the queue did not drain"
	echo "$rate"
}

restart_postfix() {
	[ -f "$PF_DIR/main.cf" ] && postfix -c "$PF_DIR" stop >/dev/null 2>&1
	sleep 1
	start_postfix "$@"
}

# run_null [-h] TO FROM FILE: through the do-nothing milter (-h: adding
# one header)
run_null() {
	local pid rate opt=()

	[ "$1" = -h ] && { opt=(-h); shift; }
	"$top_builddir/tests/milter/nullmilter" "${opt[@]}" \
		"inet:$MILTER_PORT@127.0.0.1" &
	pid=$!
	wait_port "$MILTER_PORT" || bail "nullmilter did not start"
	restart_postfix milter >&2
	rate=$(run_one "$@")
	kill "$pid"; wait "$pid" 2>/dev/null
	echo "$rate"
}

median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
		print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# verdict RATIO TARGET
verdict() {
	awk -v r="$1" -v t="$2" 'BEGIN { print (r >= t ? "met" : "NOT met") }'
}

load=$(cut -d' ' -f1-3 /proc/loadavg)
all_none=() all_null=() all_null_header=() all_other=() all_branded=()
tickets_other=0 tickets_branded=0
for round in $(seq 1 "$rounds"); do
	restart_postfix
	all_none+=("$(run_one "${other[@]}")")
	all_null+=("$(run_null "${other[@]}")")
	all_null_header+=("$(run_null -h "${branded[@]}")")

	start_milter
	restart_postfix milter
	before=$(ctl tickets --json | jq '.tickets | length')
	all_other+=("$(run_one "${other[@]}")")
	after=$(ctl tickets --json | jq '.tickets | length')
	tickets_other=$((tickets_other + after - before))
	all_branded+=("$(run_one "${branded[@]}")")
	before=$after
	after=$(ctl tickets --json | jq '.tickets | length')
	tickets_branded=$((tickets_branded + after - before))
	stop_milter
	echo "round $round/$rounds (msg/s): alone ${all_none[-1]}," \
	     "nullmilter ${all_null[-1]}, shopdesk other ${all_other[-1]};" \
	     "nullmilter -h ${all_null_header[-1]}," \
	     "shopdesk branded ${all_branded[-1]}"
done
none=$(median "${all_none[@]}")
null=$(median "${all_null[@]}")
null_header=$(median "${all_null_header[@]}")
shopdesk_other=$(median "${all_other[@]}")
shopdesk_branded=$(median "${all_branded[@]}")

r_other=$(ratio "$shopdesk_other" "$null")
r_branded=$(ratio "$shopdesk_branded" "$null_header")
printf 'throughput: %d messages of %d and %d bytes (30 headers) per run, ' \
	"$messages" "$(wc -c < "${other[2]}")" "$(wc -c < "${branded[2]}")"
printf '%d sessions,\none message per connection; medians of %d rounds; ' \
	"$sessions" "$rounds"
printf 'load average %s at start, %s at end\n' "$load" \
	"$(cut -d' ' -f1-3 /proc/loadavg)"
echo "  mail not for the desk (a newsletter to ${other[0]}):"
printf '    Postfix alone              %8.1f msg/s\n' "$none"
printf '    nullmilter, every stage    %8.1f msg/s  (%s x Postfix alone)\n' \
	"$null" "$(ratio "$null" "$none")"
printf '    shopdesk-milter            %8.1f msg/s  (%d tickets made)\n' \
	"$shopdesk_other" "$tickets_other"
printf '    shopdesk / nullmilter      %8s       target >= 1.30: %s\n' \
	"$r_other" "$(verdict "$r_other" 1.30)"
echo "  mail to a branded address (a new customer to ${branded[0]}):"
printf '    nullmilter -h, one header  %8.1f msg/s  (%s x Postfix alone)\n' \
	"$null_header" "$(ratio "$null_header" "$none")"
printf '    shopdesk-milter            %8.1f msg/s  (%d tickets made)\n' \
	"$shopdesk_branded" "$tickets_branded"
printf '    shopdesk / nullmilter -h   %8s       target >= 0.95: %s\n' \
	"$r_branded" "$(verdict "$r_branded" 0.95)"

echo "ticket creation against the store size:"
"$top_builddir/tests/bench/bench-store" 10000 "${BENCH_LARGE:-1000000}" 2000

echo "a flood of headers (collect, plan the removal of forged ones, parse):"
"$top_builddir/tests/bench/bench-headers" 10000

# the log lines of the 2500 timers fired go to a file, kept with KEEP_TMP=1
echo "SLA timers: a tick, a firing and the delay to the outbox:"
"$top_builddir/tests/bench/bench-timers" 1000 "${BENCH_TIMERS:-100000}" \
	2>"$H/timers.log" ||
	{ tail -n 5 "$H/timers.log"; bail "bench-timers failed"; }

echo "reports: a month and a year, on a store of a million history events:"
"$top_builddir/tests/bench/bench-report" "${BENCH_REPORT:-100000}" 2>/dev/null ||
	bail "bench-report failed"

echo "rebuild of the store from a queue's Maildir (shopdeskctl rebuild --from-mailbox):"
bash "$here/bench-rebuild.sh" || bail "bench-rebuild.sh failed"
