#!/bin/bash
# Benchmarks (make bench).  Prints figures; asserts nothing.
#  1. Throughput: smtp-source -> Postfix -> smtp-sink on 127.0.0.1, three
#     ways: no milter, the do-nothing nullmilter, shopdesk-milter; messages
#     per second and the ratios (target: shopdesk >= 0.9 x nullmilter).
#  2. The cost of creating a ticket in a store of 10 thousand and of
#     1 million tickets (target: at most 1.2 x).
# BENCH_MESSAGES, BENCH_SESSIONS, BENCH_LARGE change the sizes.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../integration/harness.sh"

messages=${BENCH_MESSAGES:-2000}
sessions=${BENCH_SESSIONS:-10}

harness_init
start_sink
# everything goes out to the sink: nothing is delivered locally
POSTFIX_EXTRA="virtual_mailbox_domains ="

# run_one LABEL: messages per second through the running Postfix.  No
# Subject: every message is a new ticket for shopdesk (its costliest path).
run_one() {
	local start end
	start=$(date +%s.%N)
	smtp-source -s "$sessions" -m "$messages" -l 2000 \
		-f customer@example.com -t sales@shop.test \
		"127.0.0.1:$SMTP_PORT" || bail "smtp-source failed"
	end=$(date +%s.%N)
	awk -v m="$messages" -v a="$start" -v b="$end" \
		'BEGIN { printf "%.1f", m / (b - a) }'
}

restart_postfix() {
	[ -f "$PF_DIR/main.cf" ] && postfix -c "$PF_DIR" stop >/dev/null 2>&1
	sleep 1
	start_postfix "$@"
}

restart_postfix
none=$(run_one)
wait_queue_empty 120

# run_null [-h]: through the do-nothing milter (-h: adding one header)
run_null() {
	local pid rate
	"$top_builddir/tests/milter/nullmilter" "$@" \
		"inet:$MILTER_PORT@127.0.0.1" &
	pid=$!
	wait_port "$MILTER_PORT" || bail "nullmilter did not start"
	restart_postfix milter >&2
	rate=$(run_one)
	kill "$pid"; wait "$pid" 2>/dev/null
	wait_queue_empty 120
	echo "$rate"
}
null=$(run_null)
null_header=$(run_null -h)

start_milter
restart_postfix milter
shopdesk=$(run_one)
tickets=$(ctl tickets --json | jq '.tickets | length')
wait_queue_empty 120

printf 'throughput, %d messages of 2 kB in %d sessions (%d tickets made):\n' \
	"$messages" "$sessions" "$tickets"
printf '  no milter        %8.1f msg/s\n' "$none"
printf '  nullmilter       %8.1f msg/s  (%.2f x no milter)\n' "$null" \
	"$(awk -v a="$null" -v b="$none" 'BEGIN { print a / b }')"
printf '  nullmilter -h    %8.1f msg/s  (adds one header: %.2f x nullmilter)\n' \
	"$null_header" "$(awk -v a="$null_header" -v b="$null" 'BEGIN { print a / b }')"
printf '  shopdesk-milter  %8.1f msg/s  (%.2f x nullmilter; target >= 0.90)\n' \
	"$shopdesk" "$(awk -v a="$shopdesk" -v b="$null" 'BEGIN { print a / b }')"
printf '                                 (%.2f x nullmilter -h)\n' \
	"$(awk -v a="$shopdesk" -v b="$null_header" 'BEGIN { print a / b }')"

echo "ticket creation against the store size:"
"$top_builddir/tests/bench/bench-store" 10000 "${BENCH_LARGE:-1000000}" 2000
