#!/bin/bash
# End to end: the desk's timers through a real Postfix and Dovecot.  A
# 24/7 queue promises an answer within 2 minutes and warns 1 minute
# before: a real clock is enough for the warning, the escalation and a
# direct answer to the warning.  Then the milter is killed (-9) while
# timers are due and started again under libfaketime days later: each
# overdue timer fires once, and never again after another kill.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/harness.sh"

HARNESS_USERS="carol@example.com"
SHOPDESK_EXTRA="agents = ann@shop.test; bob@shop.test"
SALES_EXTRA="hours = 24/7
sla_first_reply = 2m
sla_warn = 1m
escalate_to = bob@shop.test"
harness_init
start_stack
start_bridge

json() { ctl show "$1" --json | jq -r "$2"; }
events() { ctl show "$1" --json | jq -r "[.history[].event] | join(\" \")"; }
count_event() { ctl show "$1" --json | jq "[.history[] | select(.event == \"$2\")] | length"; }
# notices_to USER TICKET KIND: the user's mails that are that timer's
notices_to() {
	local f n=0
	for f in $(mail_files "$1"); do
		sed '/^\r\?$/q' "$f" |
			grep -qi "^Message-Id: <timer\.$3\.$2\." && n=$((n + 1))
	done
	echo "$n"
}
# overdue TICKET: "MARKED/ALL" of the ticket's messages in the queue
# mailbox, as an agent's IMAP client sees their keywords
overdue() {
	python3 "$here/imap.py" "$IMAP_PORT" sales@shop.test secret list |
		awk -v t="$1" '$3 == t { n++
			for (i = 4; i <= NF; i++) if ($i == "overdue") o++ }
			END { print o + 0 "/" n + 0 }'
}
# overdue_is TICKET WANT: within 10 s
overdue_is() {
	for _ in $(seq 1 100); do
		[ "$(overdue "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

# 1. Two customers write.  Each ticket's promise is watched: a warning
#    and a breach timer each, listed by shopdeskctl timers.
send_mail customer@example.com sales@shop.test \
	--header "Subject: Broken lamp" \
	--header "Message-Id: <lamp-1@example.com>" \
	--body "My lamp flickers since Monday." || bail "swaks could not send"
send_mail alice@example.com sales@shop.test \
	--header "Subject: Wrong size" \
	--header "Message-Id: <size-1@example.com>" \
	--body "The shoes are a size too small." || bail "swaks could not send"
wait_for_mail customer@example.com 1 || bail "no ack"
wait_for_mail alice@example.com 1 || bail "no ack"
tap_is "$(json 1 .sla)" ok "ticket 1: its promise runs"
tap_is "$(ctl timers --json | jq -r '[.timers[] | select(.ticket == 1) | .timer] | join(" ")')" \
	"sla_warn sla_breach" "shopdeskctl timers lists the warning and the breach"
tap_check "the timers table names them" \
	sh -c "'$CTL_BIN' -c '$CONF' timers | grep -q 'sla_breach *1 *new *sales'"

# 2. A minute later the warning reaches escalate_to (nobody is
#    assigned), once per ticket, answerable to the customer.
wait_for_mail bob@shop.test 2 100 || bail "no warnings after 100 s"
warn=$(mail_with bob@shop.test "^Message-Id: <timer\.sla_warn\.1\.")
tap_check "the warning names the ticket in its subject" \
	grep -q '^Subject: .*\[Ticket #1\]' "$warn"
tap_is "$(header_of "$warn" X-Shopdesk-Ticket)" 1 "it carries X-Shopdesk-Ticket"
tap_is "$(header_of "$warn" Reply-To)" customer@example.com \
	"an answer goes to the customer"
tap_check "it quotes the customer's message" \
	grep -q '^> My lamp flickers since Monday.' "$warn"
tap_is "$(json 1 .sla)" warned "ticket 1 is warned"

# 3. Bob answers the warning directly: an agent reply like any other.
swaks --silent 2 --server 127.0.0.1 --port "$SUBMIT_PORT" \
	--auth PLAIN --auth-user bob@shop.test --auth-password secret \
	--helo client.example --from bob@shop.test --to customer@example.com \
	--header "Subject: Re: $(header_of "$warn" Subject)" \
	--header "In-Reply-To: $(header_of "$warn" Message-Id)" \
	--header "References: <lamp-1@example.com> $(header_of "$warn" Message-Id)" \
	--body "We are sending a new lamp today." || bail "bob's answer failed"
wait_for_mail customer@example.com 2 || bail "bob's answer did not arrive"
tap_is "$(json 1 '.messages[-1].direction')" outbound \
	"the answer is filed in ticket 1 as a reply"
tap_is "$(json 1 .sla)" met "the promise is met"

# 4. Two minutes after the mail: ticket 2 breaches (escalate_to gets
#    it), ticket 1 does not.
wait_for_mail_with bob@shop.test "^Message-Id: <timer\.sla_breach\.2\." 100 ||
	bail "no breach notice for ticket 2"
tap_is "$(json 2 .sla)" breached "ticket 2 breached its promise"
sleep 2
tap_is "$(notices_to bob@shop.test 1 sla_breach)" 0 "no breach for the answered ticket"
tap_is "$(count_event 2 sla_warn) $(count_event 2 sla_breach)" "1 1" \
	"ticket 2: one warning, one breach"
overdue_is 2 1/1
tap_is "$(overdue 2)" 1/1 "the queue mailbox shows ticket 2 'overdue'"
tap_is "$(overdue 1 | cut -d/ -f1)" 0 "no message of the answered ticket 1 is"

# 4b. Bob answers ticket 2 late: 'overdue' comes off, the promise stays
#     broken.
swaks --silent 2 --server 127.0.0.1 --port "$SUBMIT_PORT" \
	--auth PLAIN --auth-user bob@shop.test --auth-password secret \
	--helo client.example --from bob@shop.test --to alice@example.com \
	--header "Subject: Re: [Ticket #2] Wrong size" \
	--header "In-Reply-To: <size-1@example.com>" \
	--body "Sorry for the wait: a larger pair is on its way." ||
	bail "bob's late answer failed"
wait_for_mail alice@example.com 2 || bail "bob's late answer did not arrive"
overdue_is 2 0/2
tap_is "$(overdue 2)" 0/2 "after the late answer, neither the customer's \
message nor the answer's copy is 'overdue'"
tap_is "$(json 2 .sla)" breached "its promise stays broken"

# 5. Bob resolves ticket 1; the milter dies (kill -9) with its
#    auto-close 3 business days away and a third ticket's promise
#    running, and comes back four days later: the overdue timers fire
#    once each.
swaks --silent 2 --server 127.0.0.1 --port "$SUBMIT_PORT" \
	--auth PLAIN --auth-user bob@shop.test --auth-password secret \
	--helo client.example --from bob@shop.test --to customer@example.com \
	--header "Subject: Re: [Ticket #1] Broken lamp" \
	--header "In-Reply-To: <lamp-1@example.com>" \
	--body "#resolve
It is on its way." || bail "bob's second answer failed"
wait_for_mail customer@example.com 3 || bail "bob's second answer did not arrive"
send_mail carol@example.com sales@shop.test \
	--header "Subject: Invoice" --header "Message-Id: <inv-1@example.com>" \
	--body "Please send an invoice." || bail "swaks could not send"
for _ in $(seq 1 50); do
	[ "$(ctl timers --json | jq '[.timers[] | select(.timer == "autoclose")] | length')" = 1 ] &&
		[ "$(json 3 .sla)" = ok ] && break
	sleep 0.1
done
tap_is "$(json 1 .status)" resolved "ticket 1 resolved"
bob_mails=$(mail_count bob@shop.test)
restart_milter_at +4d
for _ in $(seq 1 100); do
	[ "$(json 1 .status)" = closed ] && [ "$(json 3 .sla)" = breached ] && break
	sleep 0.1
done
tap_is "$(json 1 .status)" closed "four days on, ticket 1 closed itself"
tap_is "$(json 1 '.history[-1].by')" autoclose "its history says why"
tap_is "$(json 3 .sla)" breached "ticket 3's promise fired while the milter was down"
overdue_is 3 1/1
tap_is "$(overdue 3)" 1/1 "and the queue mailbox shows it 'overdue'"
wait_for_mail bob@shop.test $((bob_mails + 2)) || bail "no notices for ticket 3"

# 6. Killed again, started later still: nothing fires a second time.
restart_milter_at +5d
sleep 2
tap_is "$(count_event 1 autoclose)" 1 "one auto-close"
tap_is "$(count_event 3 sla_warn) $(count_event 3 sla_breach)" "1 1" \
	"ticket 3: one warning, one breach, after two restarts"
outbox_idle || bail "the outbox does not empty"
tap_is "$(notices_to bob@shop.test 3 sla_warn) $(notices_to bob@shop.test 3 sla_breach)" \
	"1 1" "and one mail each"
tap_check "every restart listened (no milter left from before)" \
	sh -c "! grep -q 'cannot listen' '$H/milter.log'"
tap_check "each firing logged with its ticket" \
	grep -q "timer: ticket=1 autoclose due=" "$H/milter.log"

# 7. The customer of the closed ticket writes again: a new, linked one.
send_mail customer@example.com sales@shop.test \
	--header "Subject: Re: [Ticket #1] Broken lamp" \
	--header "Message-Id: <lamp-9@example.com>" \
	--header "In-Reply-To: <lamp-1@example.com>" \
	--body "The new lamp flickers too." || bail "swaks could not send"
for _ in $(seq 1 50); do
	[ "$(ctl tickets --json | jq '.tickets | length')" = 4 ] && break
	sleep 0.1
done
tap_is "$(json 4 .linked_to)" 1 "a new ticket, linked to the closed one"

tap_done
