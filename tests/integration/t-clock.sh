#!/bin/bash
# End to end: the business-hours clock across a weekend, a holiday and
# the end of daylight saving time, in a real stack whose milter runs
# under libfaketime (`faketime`), never a clock hook in the product.
# Vilnius, mon-fri 09:00-18:00, a 4-hour promise, Monday 26 October 2026
# a holiday; clocks go back from +03:00 to +02:00 on Sunday 25 October.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/harness.sh"

SALES_EXTRA="hours = mon-fri 09:00-18:00
holidays = 2026-10-26
sla_first_reply = 4h
sla_warn = 80%
escalate_to = bob@shop.test"
harness_init
# the milter starts on Friday 17:00 in Vilnius
start_milter() { start_milter_at "@2026-10-23 14:00:00"; }
start_stack
start_bridge
json() { ctl show "$1" --json | jq -r "$2"; }
count_event() { ctl show "$1" --json | jq "[.history[] | select(.event == \"$2\")] | length"; }

# 1. Friday 17:00: one open hour left, then the weekend, the holiday
#    and the change of offset: Tuesday 12:00 at +02:00.
send_mail customer@example.com sales@shop.test \
	--header "Subject: Broken lamp" \
	--header "Message-Id: <lamp-1@example.com>" \
	--body "My lamp flickers." || bail "swaks could not send"
wait_for_mail sales@shop.test 1 || bail "nothing in the queue mailbox"
stamped=$(header_in sales@shop.test '^Message-Id: <lamp-1@' X-Shopdesk-Reply-By)
# to the minute: the faked clock runs from the milter's start
tap_is "${stamped:0:16}${stamped:19}" "2026-10-27T12:00+02:00" \
	"reply-by: past the weekend, the holiday and the end of DST"
created=$(json 1 .created)
tap_is "${created:0:16}" "2026-10-23T14:00" "the milter's clock is the faked one"
warn_due=$(ctl timers --json | jq -r '.timers[] | select(.timer == "sla_warn") | .due')
tap_is "${warn_due:0:16}" "2026-10-27T09:12" \
	"the warning at 80% of the open time: Tuesday 11:12"

# 2. Back on Tuesday 11:11 (after a kill -9): nothing yet.
restart_milter_at "@2026-10-27 09:11:00"
sleep 2
tap_is "$(json 1 .sla)" ok "Tuesday 11:11: the promise runs"

# 3. At 11:12:30 the warning fires once; at 12:00:30 the breach.
restart_milter_at "@2026-10-27 09:12:30"
for _ in $(seq 1 50); do [ "$(json 1 .sla)" = warned ] && break; sleep 0.1; done
tap_is "$(json 1 .sla)" warned "Tuesday 11:12: warned"
restart_milter_at "@2026-10-27 10:00:30"
for _ in $(seq 1 50); do [ "$(json 1 .sla)" = breached ] && break; sleep 0.1; done
tap_is "$(json 1 .sla)" breached "Tuesday 12:00: breached"
tap_is "$(count_event 1 sla_warn) $(count_event 1 sla_breach)" "1 1" "each once"
wait_for_mail_with bob@shop.test "^Message-Id: <timer\.sla_breach\.1\." 30 ||
	bail "no breach notice"
breach=$(mail_with bob@shop.test "^Message-Id: <timer\.sla_breach\.1\.")
tap_check "the notice names the reply-by in the shop's time" \
	grep -q "2026-10-27 12:00 Europe/Vilnius" "$breach"

tap_check "every restart listened (no milter left from before)" \
	sh -c "! grep -q 'cannot listen' '$H/milter.log'"
tap_done
