#!/bin/bash
# End to end: the queue's report by mail (report_to, report_every)
# through the real Postfix and Dovecot, the milter's clock moved with
# libfaketime.  Sales (Vilnius) reports daily at 08:00 to bob.  Started
# on 3 December at 10:00, the milter sends the report of the 2nd at
# once (it was due at 08:00); two customers write and Ann answers; the
# milter is killed and started again on the 4th a few seconds before
# 08:00: nothing is due until 08:00, then the report of the 3rd goes:
# HTML with a text alternative, the CSV attached, equal to shopdeskctl's
# own.  Killed and started again later that morning: nothing twice.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/harness.sh"

SHOPDESK_EXTRA="agents = ann@shop.test; bob@shop.test"
SALES_EXTRA="hours = 24/7
report_to = bob@shop.test
report_every = daily 08:00
followup_after = off"
harness_init
# 10:00 in Vilnius
start_milter() { start_milter_at "@2026-12-03 08:00:00"; }
start_stack
start_bridge

reports() {	# reports: bob's report mails, oldest first
	local f
	for f in $(mail_files bob@shop.test); do
		sed '/^\r\?$/q' "$f" | grep -qi '^Message-Id: <report\.sales\.' &&
			echo "$f"
	done
}
wait_reports() {	# wait_reports N [SECONDS]
	for _ in $(seq 1 $(( ${2:-30} * 10 ))); do
		[ "$(reports | wc -l)" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
# part FILE CONTENT-TYPE: the decoded part of that type
part() {
	python3 - "$1" "$2" <<'PY'
import email, sys
from email import policy
msg = email.message_from_binary_file(open(sys.argv[1], "rb"),
                                     policy=policy.default)
for p in msg.walk():
    if p.get_content_type() == sys.argv[2]:
        sys.stdout.write(p.get_content())
        break
PY
}
# structure FILE: the MIME tree, one content type a line
structure() {
	python3 - "$1" <<'PY'
import email, sys
from email import policy
msg = email.message_from_binary_file(open(sys.argv[1], "rb"),
                                     policy=policy.default)
for p in msg.walk():
    name = p.get_filename()
    print(p.get_content_type() + (" " + name if name else ""))
PY
}

# 1. Started after 08:00: the report due this morning (the 2nd) goes.
wait_reports 1 || bail "no report at start: $(grep report "$H/milter.log")"
first=$(reports | head -n 1)
tap_is "$(header_of "$first" Subject)" "Sales: customer service on 2026-12-02" \
	"at start, the report that was due: the day before"
tap_check "the milter logged it" \
	grep -q 'report: queue=sales 2026-12-02 to 2026-12-02 outbox=report.sales.2026-12-03 to=<bob@shop.test>' \
	"$H/milter.log"

# 2. The 3rd: two customers, one answer.
send_mail customer@example.com sales@shop.test \
	--header "Subject: Broken lamp" \
	--header "Message-Id: <lamp-1@example.com>" \
	--body "My lamp flickers." || bail "swaks could not send"
send_mail alice@example.com sales@shop.test \
	--header "Subject: Wrong size" \
	--header "Message-Id: <size-1@example.com>" \
	--body "The shoes are too small." || bail "swaks could not send"
wait_for_mail customer@example.com 1 || bail "no ack"
swaks --silent 2 --server 127.0.0.1 --port "$SUBMIT_PORT" \
	--auth PLAIN --auth-user ann@shop.test --auth-password secret \
	--helo client.example --from ann@shop.test --to customer@example.com \
	--header "Subject: Re: [Ticket #1] Broken lamp" \
	--header "In-Reply-To: <lamp-1@example.com>" \
	--body "#resolve
A new lamp is on its way." || bail "ann's answer failed"
wait_for_mail customer@example.com 2 || bail "ann's answer did not arrive"

# 3. Killed; back on the 4th at 07:59:57 in Vilnius: nothing due until
#    08:00, then the report of the 3rd.
restart_milter_at "@2026-12-04 05:59:57"
sleep 1
tap_is "$(reports | wc -l)" 1 "before 08:00 nothing more"
wait_reports 2 || bail "no report at 08:00: $(grep report "$H/milter.log")"
second=$(reports | tail -n 1)
tap_is "$(header_of "$second" Subject)" "Sales: customer service on 2026-12-03" \
	"at 08:00, the report of the day before"
tap_is "$(header_of "$second" From)" "Sales <sales@shop.test>" \
	"from the queue"
tap_is "$(header_of "$second" Auto-Submitted)" auto-generated \
	"marked Auto-Submitted"
tap_is "$(structure "$second" | tr '\n' ' ')" \
	"multipart/mixed multipart/alternative text/plain text/html text/csv report-sales-2026-12-03-2026-12-03.csv " \
	"HTML with a text alternative, the CSV attached"
ctl report --from 2026-12-03 --to 2026-12-03 --queue sales --by agent \
	--format csv >"$H/want.csv"
part "$second" text/csv | tr -d '\r' >"$H/got.csv"
tap_check "the CSV is shopdeskctl report's own" \
	diff <(tr -d '\r' <"$H/want.csv") "$H/got.csv"
tap_check "it counts the day's two tickets" \
	grep -q '^"total",2,1,1,1,' "$H/got.csv"
tap_check "the text part reads as the report" \
	grep -q 'created 2, first replies 1' <<<"$(part "$second" text/plain)"
tap_check "the HTML part is the page" \
	grep -q 'id="first-reply-chart"' <<<"$(part "$second" text/html)"

# 4. Killed again, back later that morning: nothing goes twice.
restart_milter_at "@2026-12-04 07:00:00"
sleep 3
outbox_idle || bail "the outbox does not empty"
tap_is "$(reports | wc -l)" 2 "after another restart, no report twice"
tap_is "$(grep -c 'report: queue=sales' "$H/milter.log")" 2 \
	"two reports logged in all"

tap_done
