#!/bin/bash
# A full disk under the ticket store (a small tmpfs).  With on_error =
# accept (the default) mail is delivered unchanged and without ticket;
# with on_error = tempfail Postfix answers 4xx and the sender keeps the
# mail; either way the log says why.  When space returns, tickets resume
# without a restart.  Nothing is lost.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/harness.sh"

harness_init
mkdir -p "$H/state"
mount -t tmpfs -o size=16m tmpfs "$H/state" || bail "cannot mount a tmpfs"
trap 'stop_milter; umount -l "$H/state" 2>/dev/null; harness_cleanup' EXIT
# Berkeley DB's own tuning file: small log files, so that a full disk
# shows within a few dozen commits instead of after 10 MB of log
printf 'set_lg_bsize 16384\nset_lg_max 65536\n' > "$H/state/DB_CONFIG"
start_stack

n=0
mail() {	# mail N: customer N's message; swaks' transcript on stdout
	send_mail "c$1@example.com" sales@shop.test \
		--header "Subject: question $1" \
		--header "Message-Id: <full-$1@example.com>" \
		--header "X-Shopdesk-Status: closed" 2>&1
}
delivered() { mail_with sales@shop.test "^Message-Id: <full-$1@"; }
ticket_of() {
	local f
	f=$(delivered "$1") && header_of "$f" X-Shopdesk-Ticket
}
fill() { dd if=/dev/zero of="$H/state/filler" bs=4k 2>/dev/null; }

n=$((n + 1)); mail $n >/dev/null || bail "first mail refused"
wait_for_mail sales@shop.test 1 || bail "first mail not delivered"
tap_is "$(ticket_of 1)" 1 "ticket 1 while there is space"

# --- on_error = accept ---
fill
tap_is "$(df --output=avail "$H/state" | tail -n 1 | tr -d ' ')" 0 \
	"the store's file system is full"
# what the store had already claimed takes some commits yet
plain= lost=0
for _ in $(seq 1 100); do
	n=$((n + 1))
	mail $n >/dev/null || lost=$((lost + 1))
	wait_for_mail sales@shop.test $((n - lost)) 10
	if [ -z "$(ticket_of $n)" ]; then plain=$n; break; fi
done
tap_is "$lost" 0 "on_error=accept: Postfix accepts every mail"
tap_check "on_error=accept: delivered without ticket" test -n "$plain"
tap_is "$(header_of "$(delivered "$plain")" Subject)" "question $plain" \
	"and unchanged"
tap_is "$(header_of "$(delivered "$plain")" X-Shopdesk-Status)" "" \
	"and without the forged X-Shopdesk-Status it came with"
tap_check "the log says why" \
	grep -q 'error: .*accepted without ticket' "$H/milter.log"
rm -f "$H/state/filler"
n=$((n + 1)); mail $n >/dev/null
wait_for_mail sales@shop.test "$n" 10
tap_check "space again: tickets resume" test -n "$(ticket_of $n)"

# --- on_error = tempfail ---
stop_milter
SHOPDESK_EXTRA="on_error = tempfail"
write_shopdesk_conf
start_milter
fill
refused=
for _ in $(seq 1 100); do
	n=$((n + 1))
	if ! out=$(mail $n); then refused=$n; break; fi
done
tap_check "on_error=tempfail: Postfix refuses for now" test -n "$refused"
tap_check "with 4xx, not a bounce" grep -q '<\*\* 4[0-9][0-9]' <<<"$out"
tap_check "the log says why" \
	grep -q 'error: .*temporary failure, the sender will retry' \
	"$H/milter.log"
rm -f "$H/state/filler"
if mail "$refused" >/dev/null; then tap_ok "space again: the retry is accepted"
else tap_fail "space again: the retry is accepted" "$(harness_logs)"; fi
wait_for_mail sales@shop.test "$n" 10
tap_check "and has its ticket" test -n "$(ticket_of "$refused")"
tap_is "$(mail_count sales@shop.test)" "$n" "every accepted mail delivered once"
tap_check "Postfix queue empty" wait_queue_empty 20

tap_done
