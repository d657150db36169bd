#!/bin/bash
# End to end: agents answer tickets from a real mail client.  The agent
# logs in to Postfix's submission port (SASL through Dovecot) with s-nail,
# opens the queue's Maildir and replies to the ticket mail, so the client
# builds In-Reply-To and References itself.  Assertions read what the
# customer's and the queue's mailboxes receive and `shopdeskctl show
# --json`.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/harness.sh"

SHOPDESK_EXTRA="trusted_networks = 127.0.0.1/32
agents = ann@shop.test; bob@shop.test"
# acknowledgements are t-ack's: here every mail a customer gets is an
# agent's
SALES_EXTRA="autoack = false"
harness_init
start_stack
start_bridge

json() { ctl show "$1" --json | jq -r "$2"; }

# snail COMMAND-LINES: s-nail in batch mode as agent ann@shop.test on
# the queue mailbox sales@shop.test
snail() {
	printf '%s\n' "$@" | timeout 60 s-nail -# -n -S v15-compat \
		-S "mta=smtp://ann%40shop.test:secret@127.0.0.1:$SUBMIT_PORT" \
		-S smtp-auth=plain -S from="Ann Lee <ann@shop.test>" \
		-S sendwait -f "maildir://$(maildir_of sales@shop.test)" \
		>>"$H/snail.log" 2>&1
}

# 1. A customer writes; the agent answers the sender only ("Reply").
send_mail customer@example.com sales@shop.test \
	--header 'From: "Ivan Petrov" <customer@example.com>' \
	--header "Subject: Broken lamp" \
	--header "Message-Id: <lamp-1@example.com>" \
	--body "My lamp arrived broken. What now?" || bail "swaks failed"
wait_for_mail sales@shop.test 1 || bail "customer mail not delivered"
snail "Reply 1" "We are sorry: a new lamp leaves tomorrow." "~." ||
	bail "s-nail failed: $(cat "$H/snail.log")"
wait_for_mail customer@example.com 1 || bail "the reply did not arrive"
r=$(mail_files customer@example.com | tail -n 1)
tap_check "From the queue address with the agent's name" \
	grep -q '^From: Ann Lee <sales@shop.test>' "$r"
tap_is "$(header_of "$r" Return-Path)" "<sales@shop.test>" \
	"envelope sender is the queue's"
token=$(header_of "$r" Reply-To | sed -n 's/.*<sales+\([^@]*\)@shop.test>.*/\1/p')
tap_is "${token%%k*}" 1 "Reply-To carries ticket 1's token"
tap_is "$(header_of "$r" Subject)" "Re: [Ticket #1] Broken lamp" \
	"subject gains the tag"
tap_is "$(header_of "$r" In-Reply-To)" "<lamp-1@example.com>" \
	"the client's own In-Reply-To is kept"
tap_is "$(header_of "$r" Thread-Topic)" "Broken lamp" "Thread-Topic"
tap_check "Thread-Index: 27 bytes of base64" \
	test "$(header_of "$r" Thread-Index | base64 -d | wc -c)" = 27
tap_check "the agent's address is in no address header" \
	bash -c "! sed '/^\r\?\$/q' '$r' |
		grep -iE '^(From|Sender|Reply-To|Return-Path|To|Cc):' |
		grep -q 'ann@shop.test'"
wait_for_mail sales@shop.test 2 || bail "no copy in the queue mailbox"
copy=$(mail_with sales@shop.test '^X-Shopdesk-Direction: outbound')
tap_check "the queue mailbox got the record, marked outbound" test -n "$copy"
tap_is "$(json 1 .status)" pending "a reply makes the ticket pending"
tap_check "first reply time recorded" test "$(json 1 .first_reply)" != null
tap_is "$(json 1 '.messages[1].direction')" outbound "history: outbound"
tap_check "the outbound message has its date" \
	test "$(json 1 '.messages[1].date')" != null -a \
	     -n "$(json 1 '.messages[1].date')"
tap_is "$(json 1 '[.history[] | select(.event == "status")][0].by')" \
	ann@shop.test "history: the status change names the agent"

# 2. The customer answers from a second address, to the Reply-To: same
#    ticket, reopened.
send_mail alice@example.com "sales+$token@shop.test" \
	--header 'From: "Ivan at work" <alice@example.com>' \
	--header "Subject: Re: [Ticket #1] Broken lamp" \
	--header "Message-Id: <lamp-2@example.com>" \
	--body "Thanks, but can it come on Friday?"
wait_for_mail sales@shop.test 3 || bail "customer's answer not delivered"
tap_is "$(header_in sales@shop.test '^Message-Id: <lamp-2@example.com>' \
	X-Shopdesk-Ticket)" 1 "the answer through the token is ticket 1"
tap_is "$(json 1 .status)" open "the customer's answer reopens it"

# 3. An internal note: to the queue (with the token) alone.
printf 'Customer wants Friday; ask the courier.\n' > "$H/note.txt"
timeout 60 s-nail -# -n -S v15-compat \
	-S "mta=smtp://ann%40shop.test:secret@127.0.0.1:$SUBMIT_PORT" \
	-S smtp-auth=plain -S from="Ann Lee <ann@shop.test>" -S sendwait \
	-s "Re: [Ticket #1] Broken lamp" "sales+$token@shop.test" \
	< "$H/note.txt" >>"$H/snail.log" 2>&1 || bail "s-nail note failed"
wait_for_mail sales@shop.test 4 || bail "note not delivered"
note=$(mail_with sales@shop.test '^X-Shopdesk-Direction: note')
tap_check "the note reaches the queue mailbox, marked note" test -n "$note"
tap_is "$(mail_count customer@example.com)" 1 "the customer gets no note"
tap_is "$(json 1 '.messages[-1].direction')" note "history: note"
tap_is "$(json 1 .status)" open "a note leaves the status alone"

# 4. A listed address from a trusted network is an agent without SASL;
#    the same network's other senders are not.
send_mail bob@shop.test customer@example.com \
	--header 'From: "Bob Stone" <bob@shop.test>' \
	--header "Subject: Re: Broken lamp" \
	--header "In-Reply-To: <lamp-2@example.com>" \
	--body "Friday it is."
wait_for_mail customer@example.com 2 || bail "bob's reply not delivered"
b=$(mail_files customer@example.com | tail -n 1)
tap_check "trusted agent bob: From the queue with his name" \
	grep -q '^From: Bob Stone <sales@shop.test>' "$b"
tap_is "$(header_of "$b" Subject)" "Re: [Ticket #1] Broken lamp" \
	"trusted agent's reply tagged"
send_mail ann2@example.com customer@example.com \
	--header "Subject: Re: Broken lamp" \
	--header "In-Reply-To: <lamp-2@example.com>" --body "Hi"
wait_for_mail customer@example.com 3 || bail "plain mail not delivered"
p=$(mail_files customer@example.com | tail -n 1)
tap_check "an unlisted sender is no agent: mail untouched" \
	bash -c "grep -q '^From: ann2@example.com' '$p' && ! grep -q '^X-Shopdesk' '$p'"

# 5. Headers alone make nobody an agent: a forged From of an agent via
#    the MX is mail from its envelope sender, who is no participant of
#    ticket 1: a ticket of its own, linked.
send_mail mallory@example.com sales@shop.test \
	--header 'From: "Ann Lee" <ann@shop.test>' \
	--header "Subject: Re: [Ticket #1] Broken lamp" \
	--header "In-Reply-To: <lamp-1@example.com>" --body "Close it."
wait_for_mail sales@shop.test 6 || bail "mallory's mail not delivered"
tap_check "forged agent From: is the envelope sender's mail" \
	grep -q "From: <ann@shop.test> is not the envelope sender: customer <mallory@example.com>" \
	"$H/milter.log"
tap_check "a ticket of its own, not an agent reply" \
	grep -q "rule=new note=sender is not a participant queue=sales status=new from=<mallory@example.com> created" \
	"$H/milter.log"
tap_is "$(json 1 '.messages[-1].direction')" outbound "ticket 1 untouched"
tap_is "$(json 1 '.history[-1].event')" followed_by \
	"ticket 1's history says who came"

# agent_swaks ARGS...: an agent's mail through submission, with SASL
agent_swaks() {
	swaks --silent 2 --server 127.0.0.1 --port "$SUBMIT_PORT" \
		--auth PLAIN --auth-user ann@shop.test --auth-password secret \
		--helo client.example --from ann@shop.test "$@"
}
before_customer=$(mail_count customer@example.com)
before_sales=$(mail_count sales@shop.test)

# 6. Commands at the top of a reply from the real client: they act, and
#    the customer never sees them.
snail "Reply 1" "#resolve" "#assign bob" "#category delivery" "" \
	"Friday it is, see you." "~." || bail "s-nail failed"
wait_for_mail customer@example.com $((before_customer + 1)) ||
	bail "reply with commands not delivered"
c=$(mail_files customer@example.com | tail -n 1)
tap_check "the customer's copy has no command lines" \
	bash -c "! grep -q '^#' '$c'"
tap_check "and has the words" grep -q "Friday it is, see you." "$c"
tap_is "$(json 1 .status)" resolved "#resolve"
tap_is "$(json 1 .assignee)" bob "#assign bob"
tap_is "$(json 1 .category)" delivery "#category delivery"
tap_is "$(json 1 '[.history[] | select(.event == "assign")][0].by')" \
	ann@shop.test "history: who assigned"
tap_is "$(json 1 '[.history[] | select(.event == "status")][-1].to')" \
	resolved "history: the status change"

# 7. #note with the customer as recipient: the customer gets nothing.
agent_swaks --to customer@example.com \
	--header "Subject: Re: [Ticket #1] Broken lamp" \
	--header "In-Reply-To: <lamp-1@example.com>" \
	--body $'#note\nCall the courier tomorrow morning.' ||
	bail "note not accepted"
wait_for_mail sales@shop.test $((before_sales + 2)) || bail "note not filed"
n=$(mail_files sales@shop.test | tail -n 1)
tap_is "$(header_of "$n" X-Shopdesk-Direction)" note "#note: marked note"
tap_check "#note: the command is gone, the words stay" \
	bash -c "grep -q 'Call the courier' '$n' && ! grep -q '^#note' '$n'"
sleep 1
tap_is "$(mail_count customer@example.com)" $((before_customer + 1)) \
	"#note: the customer got nothing"

# 8. An unknown command stays in the text, and the agent is told.
agent_swaks --to customer@example.com \
	--header "Subject: Re: [Ticket #1] Broken lamp" \
	--header "In-Reply-To: <lamp-1@example.com>" \
	--header "Message-Id: <typo-1@shop.test>" \
	--body $'#clsoe\nAll sorted.'
wait_for_mail customer@example.com $((before_customer + 2)) ||
	bail "reply with a typo not delivered"
tap_check "the unknown command is left in place" \
	grep -q '^#clsoe' "$(mail_files customer@example.com | tail -n 1)"
wait_for_mail ann@shop.test 1 || bail "no notice to the agent"
notice=$(mail_files ann@shop.test | tail -n 1)
tap_check "the agent gets a notice naming the line" grep -q '#clsoe' "$notice"
tap_is "$(header_of "$notice" In-Reply-To)" "<typo-1@shop.test>" \
	"the notice answers the agent's mail"
tap_is "$(json 1 .status)" resolved "an unknown command changes nothing"

# 9. Commands in HTML-only and in multipart/alternative mail.
agent_swaks --to customer@example.com \
	--header "Subject: Re: [Ticket #1] Broken lamp" \
	--header "In-Reply-To: <lamp-1@example.com>" \
	--header "MIME-Version: 1.0" \
	--header "Content-Type: text/html; charset=UTF-8" \
	--body '<html><body><div>#open</div><div>We need a photo of the lamp.</div></body></html>'
wait_for_mail customer@example.com $((before_customer + 3)) ||
	bail "HTML reply not delivered"
h=$(mail_files customer@example.com | tail -n 1)
tap_check "HTML-only: command removed, words kept" \
	bash -c "! grep -q '#open' '$h' && grep -q 'We need a photo' '$h'"
tap_is "$(json 1 .status)" open "HTML-only: #open acted"
cat > "$H/alt.eml" <<MAIL
From: Ann Lee <ann@shop.test>
To: customer@example.com
Subject: Re: [Ticket #1] Broken lamp
In-Reply-To: <lamp-1@example.com>
Message-Id: <alt-1@shop.test>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="alt"

--alt
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: quoted-printable

#pending
Spasibo! =D0=96d=D1=91m foto.
--alt
Content-Type: text/html; charset=UTF-8

<p>#pending</p><p>Spasibo! Ждём фото.</p>
--alt--
MAIL
agent_swaks --to customer@example.com --data "@$H/alt.eml" ||
	bail "multipart reply not accepted"
wait_for_mail customer@example.com $((before_customer + 4)) ||
	bail "multipart reply not delivered"
m=$(mail_files customer@example.com | tail -n 1)
tap_check "multipart: removed from both parts" \
	bash -c "! grep -q '#pending' '$m'"
tap_check "multipart: text part kept, still quoted-printable" \
	grep -q '^Spasibo! =D0=96d=D1=91m foto.' "$m"
tap_check "multipart: HTML part kept" grep -q 'Ждём фото' "$m"
tap_is "$(json 1 .status)" pending "multipart: #pending acted"

# 10. A stranger's #close, with the ticket's tag: nothing changes.
send_mail eve@example.com sales@shop.test \
	--header "Subject: Re: [Ticket #1] Broken lamp" \
	--body $'#close\nclose it'
wait_for_mail sales@shop.test $((before_sales + 6)) ||
	bail "stranger's mail not delivered"
tap_is "$(json 1 .status)" pending "a stranger's #close changes nothing"
tap_check "and stays in the text" \
	grep -q '^#close' "$(mail_files sales@shop.test | tail -n 1)"

# 10b. A SASL login that agents does not list is no agent: its reply is
#     ordinary mail, its #close only text.
swaks --silent 2 --server 127.0.0.1 --port "$SUBMIT_PORT" \
	--auth PLAIN --auth-user alice@example.com --auth-password secret \
	--helo client.example --from alice@example.com \
	--to customer@example.com \
	--header "Subject: Re: [Ticket #1] Broken lamp" \
	--header "In-Reply-To: <lamp-1@example.com>" \
	--body $'#close\nclose it' || bail "alice's mail refused"
wait_for_mail customer@example.com $((before_customer + 5)) ||
	bail "alice's mail not delivered"
tap_is "$(json 1 .status)" pending "an unlisted login's #close changes nothing"
tap_check "and reaches the customer as she wrote it" \
	grep -q '^#close' "$(mail_files customer@example.com | tail -n 1)"
before_customer=$((before_customer + 1))

# 11. Resolved: a bare thank-you and an out-of-office reply reopen
#     nothing; a real question does.
agent_swaks --to customer@example.com \
	--header "Subject: Re: [Ticket #1] Broken lamp" \
	--header "In-Reply-To: <lamp-1@example.com>" \
	--body $'#resolve\nThe new lamp was delivered today.'
wait_for_mail customer@example.com $((before_customer + 5)) ||
	bail "resolving reply not delivered"
tap_is "$(json 1 .status)" resolved "resolved by the agent"
send_mail customer@example.com sales@shop.test \
	--header "Subject: Re: [Ticket #1] Broken lamp" \
	--header "In-Reply-To: <lamp-1@example.com>" \
	--body $'Thank you!\n\n-- \nIvan'
send_mail customer@example.com sales@shop.test \
	--header "Subject: Out of office: Re: [Ticket #1] Broken lamp" \
	--header "Auto-Submitted: auto-replied" \
	--header "In-Reply-To: <lamp-1@example.com>" \
	--body "I am away until Monday."
wait_for_mail sales@shop.test $((before_sales + 9)) ||
	bail "thanks and out-of-office not delivered"
tap_is "$(json 1 .status)" resolved \
	"a thank-you and an out-of-office reply leave it resolved"
tap_is "$(json 1 '[.messages[] | select(.direction == "inbound")] | length')" \
	4 "both are filed in the ticket"
send_mail customer@example.com sales@shop.test \
	--header "Subject: Re: [Ticket #1] Broken lamp" \
	--header "In-Reply-To: <lamp-1@example.com>" \
	--body "Thank you, but this one flickers too. What now?"
wait_for_mail sales@shop.test $((before_sales + 10)) ||
	bail "question not delivered"
tap_is "$(json 1 .status)" open "a real question reopens it"

# 12. #close: the customer's next mail starts a new ticket linked to it.
agent_swaks --to customer@example.com \
	--header "Subject: Re: [Ticket #1] Broken lamp" \
	--header "In-Reply-To: <lamp-1@example.com>" \
	--body $'#close\n\nIt is a known fault: a technician calls you today.'
wait_for_mail customer@example.com $((before_customer + 6)) ||
	bail "closing reply not delivered"
tap_is "$(json 1 .status)" closed "#close"
send_mail customer@example.com sales@shop.test \
	--header "Subject: Re: [Ticket #1] Broken lamp" \
	--header "In-Reply-To: <lamp-1@example.com>" \
	--body "The technician did not come."
wait_for_mail sales@shop.test $((before_sales + 12)) ||
	bail "mail after close not delivered"
t=$(header_of "$(mail_files sales@shop.test | tail -n 1)" X-Shopdesk-Ticket)
tap_check "after #close a new ticket ($t)" test "$t" -gt 1
tap_is "$(json "$t" .linked_to)" 1 "linked to the closed one"

tap_done
