#!/bin/bash
# kill -9 of shopdesk-milter, again and again, during a stream of mail
# through a real Postfix (milter_default_action = tempfail, as the README
# recommends).  Senders retry what was not accepted, as SMTP clients do.
# Afterwards: every accepted mail was delivered once and has its ticket,
# no ticket is doubled, and Postfix's queue has nothing left over.
# shopdesk-bridge is killed as well, every other time: yet every
# customer gets an acknowledgement, and any ack sent twice (a kill
# between sendmail and marking the item done) is the same message, with
# the same Message-ID.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/harness.sh"

N=40
MILTER_DEFAULT=tempfail
HARNESS_USERS=$(for i in $(seq 1 "$N"); do echo "customer$i@example.com"; done)
harness_init
start_stack
start_bridge

# The stream: each message is retried until Postfix accepts it.
sender() {
	local i try
	for i in $(seq 1 "$N"); do
		for try in $(seq 1 100); do
			if send_mail "customer$i@example.com" sales@shop.test \
				--header "Subject: crash test $i" \
				--header "Message-Id: <crash-$i@example.com>" \
				--body "message $i" >/dev/null 2>&1; then
				echo "$i" >> "$H/accepted"
				break
			fi
			echo "$i" >> "$H/refused"
			sleep 0.2
		done
	done
}
sender &
sender_pid=$!

kills=0
while kill -0 "$sender_pid" 2>/dev/null; do
	sleep "0.$((RANDOM % 5 + 1))"
	kill -0 "$sender_pid" 2>/dev/null || break
	kill -9 "$MILTER_PID" 2>/dev/null && kills=$((kills + 1))
	wait "$MILTER_PID" 2>/dev/null
	MILTER_PID=
	sleep 0.3
	start_milter
	if [ $((kills % 2)) = 0 ]; then
		kill -9 "$BRIDGE_PID" 2>/dev/null
		wait "$BRIDGE_PID" 2>/dev/null
		BRIDGE_PID=
		start_bridge
	fi
done
wait "$sender_pid"
echo "# killed the milter $kills times; $(wc -l < "$H/refused" 2>/dev/null || echo 0) attempts were refused and retried"

tap_check "the milter was killed mid-stream (at least 3 times)" \
	test "$kills" -ge 3
tap_is "$(sort -u "$H/accepted" | wc -l)" "$N" "every message accepted in the end"
tap_check "Postfix queue empty" wait_queue_empty 60
wait_for_mail sales@shop.test "$N" 30
tap_is "$(mail_count sales@shop.test)" "$N" "each delivered exactly once"

missing=0 wrong=0
for f in $(mail_files sales@shop.test); do
	t=$(header_of "$f" X-Shopdesk-Ticket)
	mid=$(header_of "$f" Message-Id | tr -d '<>')
	if [ -z "$t" ]; then
		missing=$((missing + 1))
		continue
	fi
	got=$(ctl show "$t" --json | jq -r '[.messages[].message_id] | join(" ")')
	[ "$got" = "$mid" ] || { wrong=$((wrong + 1)); echo "# ticket $t has '$got', mail is $mid"; }
done
tap_is "$missing" 0 "no delivered mail without its ticket"
tap_is "$wrong" 0 "each ticket holds exactly its own message"
tap_is "$(ctl tickets --json | jq '.tickets | length')" "$N" \
	"no ticket doubled"
tap_is "$(ctl tickets --json | jq '[.tickets[].subject] | unique | length')" \
	"$N" "one ticket per subject"

outbox_idle 60 && wait_queue_empty 60
no_ack=0 differ=0 twice=0
for i in $(seq 1 "$N"); do
	ids=$(for f in $(mail_files "customer$i@example.com"); do
		header_of "$f" Message-Id; done | sort)
	[ -z "$ids" ] && { no_ack=$((no_ack + 1)); continue; }
	[ "$(uniq <<<"$ids" | wc -l)" = 1 ] || {
		differ=$((differ + 1))
		echo "# customer$i got" $ids
	}
	[ "$(wc -l <<<"$ids")" = 1 ] || twice=$((twice + 1))
done
echo "# $twice customer(s) got their ack twice (bridge killed after sendmail)"
tap_is "$no_ack" 0 "every customer got an acknowledgement"
tap_is "$differ" 0 "an ack sent again is the same message (same Message-ID)"

tap_done
