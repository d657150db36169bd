#!/bin/bash
# End to end: agents run the desk from their mailbox.  A real Dovecot
# with the shopdesk plugin (and Sieve's script for the desk) delivers ticket
# mail; Python's imaplib, a real IMAP client, sets keywords, MOVEs,
# COPYs and expunges; assertions read `shopdeskctl show --json` and the
# keywords back over IMAP.  The milter is stopped for a while to show
# that events wait and are applied once; a status changed by a mail
# command shows up as a keyword.  The milter runs as the mail user, not
# root, and sets keywords through Dovecot's doveadm server socket (the
# harness's Dovecot has README's service doveadm lines): while the
# socket is gone it tries again, and a mailbox user Dovecot does not
# know is given up.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/harness.sh"

SALES_EXTRA="autoack = false"
HARNESS_USERS=c12@example.com
harness_init
mkdir -p "$H/sieve"
cp "$top_srcdir/sieve/shopdesk.sieve" "$H/sieve/"
sievec "$H/sieve/shopdesk.sieve" || bail "sievec failed"
DESK_SIEVE=$H/sieve/shopdesk.sieve
DOVECOT_EXTRA="
protocol lmtp {
  mail_plugins = \$mail_plugins sieve
}"
# a queue whose mailbox Dovecot does not know (12.)
cat >> "$CONF" <<CONF

[queue returns]
address = returns@shop.test
mailbox = nobody@shop.test
CONF
start_stack
DOVEADM_SOCKET=$H/dovecot/run/shopdesk-doveadm
mail_uid=$(id -u "$MAIL_USER")
tap_is "$(awk '/^Uid:/ { print $2, $3, $4 }' "/proc/$MILTER_PID/status")" \
	"$mail_uid $mail_uid $mail_uid" \
	"the milter runs as $MAIL_USER: real, effective and saved uid"
tap_is "$(stat -c '%a %U %F' "$DOVEADM_SOCKET")" "600 $MAIL_USER socket" \
	"Dovecot's doveadm socket is the milter user's alone (mode 0600)"

json() { ctl show "$1" --json | jq -r "$2"; }
imap() { python3 "$here/imap.py" "$IMAP_PORT" sales@shop.test secret "$@"; }
# keywords FOLDER TICKET: the shopdesk keywords of the ticket's messages
# in FOLDER, one line per message
keywords() {
	imap list | awk -v f="$1" -v t="$2" '$1 == f && $3 == t {
		k = ""
		for (i = 4; i <= NF; i++)
			if ($i ~ /^(new|open|pending|resolved|closed)$/)
				k = k (k == "" ? "" : " ") $i
		print k }'
}
# all_mail USER: messages in every folder
all_mail() {
	find "$(maildir_of "$1")" \( -path '*/new/*' -o -path '*/cur/*' \) \
		-type f 2>/dev/null | wc -l
}
wait_all_mail() {
	for _ in $(seq 1 200); do
		[ "$(all_mail "$1")" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
# wait_until COMMAND...: true within 10 s (WAIT_SECONDS)
wait_until() {
	for _ in $(seq 1 $(( ${WAIT_SECONDS:-10} * 10 ))); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}
status_is() { [ "$(json "$1" .status)" = "$2" ]; }
keywords_are() { [ "$(keywords "$1" "$2" | sort -u)" = "$3" ]; }
events_waiting() { find "$H/spool/events/new" "$H/spool/events/cur" -type f | wc -l; }
no_events_waiting() { [ "$(events_waiting)" = 0 ]; }
# read_events: the waiting event files as the milter's reader reads them
read_events() {
	"$top_builddir/tests/integration/read-events" \
		"$H"/spool/events/new/* 2>&1
}
events_match() { read_events | grep -qE "$1"; }
expunges_are() {
	[ "$(json "$1" '[.history[] | select(.event == "expunge")] | length')" = "$2" ]
}
status_events() { json "$1" '[.history[] | select(.event == "status")] | length'; }

# 1. Eleven customers write (ticket 11 holds "1": an IMAP header search
#    for 1 finds it too); one writes twice into ticket 1.
for i in $(seq 1 11); do
	send_mail "c$i@example.com" sales@shop.test \
		--header "Subject: Question $i" \
		--header "Message-Id: <q$i@example.com>" \
		--body "Question number $i about my order." ||
		bail "swaks failed"
done
send_mail c1@example.com sales@shop.test --header "Subject: Re: Question 1" \
	--header "In-Reply-To: <q1@example.com>" \
	--header "Message-Id: <q1b@example.com>" --body "And one more thing." ||
	bail "swaks failed"
wait_all_mail sales@shop.test 12 || bail "mail not delivered"

tap_is "$(imap list | awk '$3 != "-" { print $1 }' | sort -u)" "Sales" \
	"Sieve filed the ticket mail into the queue's folder"
tap_is "$(keywords Sales 1)" "new
new" "delivery: both messages of ticket 1 show 'new'"
tap_is "$(keywords Sales 2)" "new" "delivery: ticket 2 shows 'new'"

# 2. A keyword set in the client changes the ticket, and every message
#    of the ticket follows; other tickets don't move.
imap store Sales 1 +FLAGS resolved || bail "imap store failed"
tap_check "keyword 'resolved' resolves ticket 1" wait_until status_is 1 resolved
tap_is "$(json 1 '.history[-1] | "\(.event) \(.by) \(.via) \(.mailbox)"')" \
	"status sales@shop.test keyword Sales" \
	"history says who, how and where"
tap_check "both messages of ticket 1 now show only 'resolved'" \
	wait_until keywords_are Sales 1 resolved
tap_is "$(json 2 .status)" new "ticket 2 untouched"
tap_is "$(keywords Sales 2)" "new" "ticket 2's keyword untouched"
tap_is "$(keywords Sales 11)" "new" "ticket 11's keyword untouched"
tap_check "the milter's own keyword changes made no events" \
	wait_until no_events_waiting
tap_is "$(find "$H/spool/events/done" -type f | wc -l)" 1 \
	"one event file in all: the agent's"
tap_is "$(status_events 1)" 1 "one status change in ticket 1's history"
tap_is "$(stat -c %a "$(find "$H/spool/events/done" -type f | head -n 1)")" \
	660 "event files are readable by the spool's group (umask 077)"

# 3. Taking the keyword off again reopens it.
imap store Sales 1 -FLAGS resolved || bail "imap store failed"
tap_check "removing 'resolved' reopens ticket 1" wait_until status_is 1 open
tap_check "ticket 1's messages show 'open'" wait_until keywords_are Sales 1 open

# 4. MOVE into a status folder is one change, and no expunge.
imap move Sales 2 Pending || bail "imap move failed"
tap_check "MOVE into Pending: ticket 2 pending" wait_until status_is 2 pending
wait_until no_events_waiting
tap_is "$(status_events 2)" 1 "the MOVE is one status change"
tap_check "the MOVE's expunge is not recorded as one" expunges_are 2 0
tap_is "$(json 2 '.history[-1].via')" move "history: via move"
tap_check "the moved message shows 'pending'" \
	wait_until keywords_are Pending 2 pending

# 5. COPY into a status folder changes the status too.
imap copy Sales 3 Resolved || bail "imap copy failed"
tap_check "COPY into Resolved: ticket 3 resolved" wait_until status_is 3 resolved
tap_check "original and copy both show 'resolved'" \
	wait_until bash -c "[ \"\$(python3 '$here/imap.py' $IMAP_PORT sales@shop.test secret list |
		awk '\$3 == 3 && / resolved/' | wc -l)\" = 2 ]"

# 6. An expunge is recorded, never a status.
imap expunge Resolved 3 || bail "imap expunge failed"
tap_check "expunge recorded in ticket 3's history" \
	wait_until expunges_are 3 1
tap_is "$(json 3 .status)" resolved "expunge changes no status"

# 7. With the milter down, changes wait in the spool and are applied once
#    when it is back.
stop_milter
imap store Sales 1 +FLAGS pending || bail "imap store failed"
imap move Pending 2 Closed || bail "imap move failed"
tap_is "$(events_waiting)" 2 "milter down: two event files wait in the spool"
# what the real plugin wrote, as the milter's reader reads it
tap_is "$(read_events | grep -c '^user=sales@shop.test service=imap time=')" \
	2 "the reader takes both files: who, which service, when"
want='^keyword ticket=1 mailbox=Sales from= move=false uid=[1-9][0-9]* '
want+='old=open new=pending message_id=<q1b?@example\.com>$'
tap_check "the keyword event reads as it was done" events_match "$want"
want='folder ticket=2 mailbox=Closed from=Pending move=true uid=0 '
want+='old=pending new=closed message_id=<q2@example.com>'
tap_is "$(read_events | grep '^folder')" "$want" "the MOVE reads as it was done"
start_milter
tap_check "after the restart ticket 1 is pending" wait_until status_is 1 pending
tap_check "and ticket 2 closed" wait_until status_is 2 closed
tap_check "the spool is empty" wait_until no_events_waiting
tap_is "$(status_events 1)" 3 "ticket 1: resolved, open, pending: each once"
tap_is "$(status_events 2)" 2 "ticket 2: pending, closed: each once"
tap_check "ticket 1's messages show 'pending'" \
	wait_until keywords_are Sales 1 pending

# 7b. A message that waited between the milter and Dovecot (stamped
#     "new" when ticket 1 was still new) arrives now: it shows the
#     ticket's status now, not the stamped one.
cat > "$H/late.eml" <<MAIL
From: c1@example.com
To: sales@shop.test
Subject: [Ticket #1] late
Message-ID: <late-1@example.com>
X-Shopdesk-Ticket: 1
X-Shopdesk-Queue: sales
X-Shopdesk-Status: new
X-Shopdesk-Direction: inbound

Sent long ago.
MAIL
swaks --silent 2 --server 127.0.0.1 --port "$LMTP_PORT" --protocol LMTP \
	--from c1@example.com --to sales@shop.test --data "@$H/late.eml" ||
	bail "LMTP delivery failed"
tap_is "$(imap list | awk '$3 == 1 && / new( |$)/' | wc -l)" 0 \
	"a late message of ticket 1 does not show its stamped 'new'"
tap_check "it shows 'pending', the ticket's status now" \
	keywords_are Sales 1 pending
tap_is "$(cat "$H/spool/status/1")" pending "the milter published the status"

# 8. A status changed by a mail command shows up as a keyword.
send_mail c12@example.com sales@shop.test --header "Subject: Question 12" \
	--header "Message-Id: <q12@example.com>" --body "Where is my parcel?" ||
	bail "swaks failed"
# 12 delivered, the copy of 3 in Resolved expunged, the late one, 1 more
wait_all_mail sales@shop.test 14 || bail "mail 12 not delivered"
swaks --silent 2 --server 127.0.0.1 --port "$SUBMIT_PORT" \
	--auth PLAIN --auth-user ann@shop.test --auth-password secret \
	--from ann@shop.test --to c12@example.com \
	--header "Subject: Re: Question 12" \
	--header "In-Reply-To: <q12@example.com>" \
	--body "#resolve
It left today." || bail "agent's reply failed"
tap_check "the #resolve command resolved ticket 12" \
	wait_until status_is 12 resolved
tap_check "the customer's message shows 'resolved' in IMAP" \
	wait_until keywords_are Sales 12 resolved
tap_check "the agent's copy in Sales/Sent shows 'resolved'" \
	wait_until keywords_are Sales/Sent 12 resolved

# 9. A malformed event file goes to dead/, with a log line; others go on.
printf '{"version": 1, "user": "x", "events": [{"type": "keyword"}]}' \
	> "$H/spool/events/tmp/bad.1"
mv "$H/spool/events/tmp/bad.1" "$H/spool/events/new/bad.1"
tap_check "malformed event file moved to dead/" \
	wait_until test -f "$H/spool/events/dead/bad.1"
tap_check "and logged" grep -q 'bad.1: events: malformed' "$H/milter.log"
imap store Sales 12 +FLAGS open || bail "imap store failed"
tap_check "later events still apply" wait_until status_is 12 open

# 10. A spool that cannot be written refuses the change: the client is
#     told to try again, the mailbox keeps the old keywords, nothing is
#     half-recorded; once it can be written the same command works.
chmod 2750 "$H/spool/events/tmp"
if imap store Sales 12 +FLAGS pending 2>/dev/null; then
	tap_fail "STORE refused while the spool cannot be written"
else
	tap_ok "STORE refused while the spool cannot be written"
fi
tap_is "$(keywords Sales 12)" open "the mailbox kept its keyword (rolled back)"
tap_is "$(find "$H/spool/events/tmp" "$H/spool/events/new" -type f | wc -l)" \
	0 "nothing left in the spool"
tap_check "and logged by Dovecot" \
	grep -q 'shopdesk: cannot record the change' "$H/dovecot/dovecot.log"
chmod 2770 "$H/spool/events/tmp"
imap store Sales 12 +FLAGS pending || bail "imap store failed"
tap_check "the same STORE works once it can" wait_until status_is 12 pending
tap_check "the agent's copy follows: 'pending'" \
	wait_until keywords_are Sales/Sent 12 pending

# 11. Without Dovecot's doveadm socket the milter waits and tries again
#     (after 5 s); once it is back the keywords follow.
mv "$DOVEADM_SOCKET" "$DOVEADM_SOCKET.away"
imap store Sales 12 +FLAGS resolved || bail "imap store failed"
tap_check "no doveadm socket: the ticket still changes" \
	wait_until status_is 12 resolved
tap_check "the milter says it will try again" wait_until grep -q \
	"ticket=12: mailbox: doveadm server $DOVEADM_SOCKET: .*; trying again in 5 s" \
	"$H/milter.log"
tap_is "$(keywords Sales/Sent 12)" pending \
	"meanwhile the agent's copy keeps 'pending'"
mv "$DOVEADM_SOCKET.away" "$DOVEADM_SOCKET"
WAIT_SECONDS=20 tap_check \
	"with the socket back, the agent's copy shows 'resolved'" \
	wait_until keywords_are Sales/Sent 12 resolved

# 12. A queue whose mailbox user Dovecot does not know: given up at once
#     (doveadm's NOUSER), with a log line, and the next tickets go on.
send_mail c13@example.com returns@shop.test --header "Subject: Broken cup" \
	--header "Message-Id: <q13@example.com>" --body "It arrived broken." ||
	bail "swaks failed"
swaks --silent 2 --server 127.0.0.1 --port "$SUBMIT_PORT" \
	--auth PLAIN --auth-user ann@shop.test --auth-password secret \
	--from ann@shop.test --to c13@example.com \
	--header "Subject: Re: Broken cup" \
	--header "In-Reply-To: <q13@example.com>" \
	--body "#resolve
A new one is on its way." || bail "agent's reply failed"
tap_check "a mailbox user Dovecot does not know is given up" \
	wait_until grep -q "mailbox nobody@shop.test: keywords not set, given up: doveadm fetch: NOUSER" \
	"$H/milter.log"
imap store Sales 12 -FLAGS resolved || bail "imap store failed"
tap_check "later tickets' keywords are still kept" \
	wait_until keywords_are Sales/Sent 12 open

tap_done
