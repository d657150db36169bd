#!/bin/bash
# End to end: customers' mail to branded addresses goes through a real
# Postfix with shopdesk-milter into a real Dovecot, threaded into tickets;
# assertions read the delivered Maildir files and `shopdeskctl show --json`.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/harness.sh"

harness_init
start_stack

json() {	# json ID EXPR: a value from shopdeskctl show ID --json
	ctl show "$1" --json | jq -r "$2"
}

# 1. A first mail in English becomes ticket 1.
send_mail anna@example.com sales@shop.test \
	--header "Subject: Where is my order" \
	--header "Message-Id: <order-1@example.com>" \
	--header 'From: "Anna Smith" <anna@example.com>' \
	--body "Hello, I ordered a lamp a week ago." ||
	bail "swaks could not send"
wait_for_mail sales@shop.test 1 || bail "first mail not delivered"
f=$(mail_with sales@shop.test '^Message-Id: <order-1@example.com>')
tap_is "$(header_of "$f" X-Shopdesk-Ticket)" 1 "first mail is ticket 1"
tap_is "$(header_of "$f" X-Shopdesk-Queue)" sales "queue header"
tap_is "$(header_of "$f" X-Shopdesk-Status)" new "status header"
tap_is "$(header_of "$f" Subject)" "[Ticket #1] Where is my order" \
	"subject tagged"
created=$(json 1 .created)
tap_is "$(header_of "$f" X-Shopdesk-Reply-By)" "$(ctl sla sales "$created")" \
	"X-Shopdesk-Reply-By is the queue's promise for the time it came"
tap_check "reply_by stored" test "$(json 1 .reply_by)" != null
tap_is "$(json 1 .customer.name)" "Anna Smith" "customer name stored"
tap_is "$(json 1 .customer.address)" anna@example.com "customer address"
qid=$(json 1 '.messages[0].queue_id')
tap_check "queue id recorded ($qid) is Postfix's" \
	grep -q "$qid: message-id=<order-1@example.com>" "$H/maillog"
tap_check "one log line with queue id and ticket" \
	grep -q "$qid: ticket=1 rule=new queue=sales status=new" "$H/milter.log"

# 2. Russian, RFC 2047 in name and subject: ticket 2, decoded.
send_mail petrov@example.ru sales@shop.test \
	--header "Subject: =?UTF-8?B?0JPQtNC1INC80L7QuSDQt9Cw0LrQsNC3Pw==?=" \
	--header "From: =?UTF-8?B?0JjQstCw0L0g0J/QtdGC0YDQvtCy?= <petrov@example.ru>" \
	--header "Message-Id: <ru-1@example.ru>" \
	--header "Content-Type: text/plain; charset=UTF-8" \
	--body "Здравствуйте! Когда придёт мой заказ?"
wait_for_mail sales@shop.test 2 || bail "second mail not delivered"
tap_is "$(json 2 .customer.name)" "Иван Петров" "Russian name decoded"
tap_is "$(json 2 .subject)" "Где мой заказ?" "Russian subject decoded"
f=$(mail_with sales@shop.test '^Message-Id: <ru-1@example.ru>')
tap_is "$(header_of "$f" Subject | perl -MEncode -ne \
	'print encode("UTF-8", decode("MIME-Header", $_))')" \
	"[Ticket #2] Где мой заказ?" "tagged Russian subject, RFC 2047 encoded"
tap_check "encoded as UTF-8" grep -qi '^Subject: .*=?utf-8?' "$f"

# 3. A reply with In-Reply-To, from a client that drops the tag.
send_mail anna@example.com sales@shop.test \
	--header "Subject: Re: Where is my order" \
	--header "Message-Id: <order-2@example.com>" \
	--header "In-Reply-To: <order-1@example.com>" \
	--body "Any news?"
wait_for_mail sales@shop.test 3 || bail "reply not delivered"
f=$(mail_with sales@shop.test '^Message-Id: <order-2@example.com>')
tap_is "$(header_of "$f" X-Shopdesk-Ticket)" 1 "reply threads into 1"
tap_is "$(json 1 '.messages | length')" 2 "ticket 1 has two messages"
tap_is "$(json 1 '.messages[1].rule')" references "by References"

# 4. sales@ and manager@ in one transaction: one ticket, both get it.
send_mail boris@example.org sales@shop.test,manager@shop.test \
	--header "Subject: Wholesale prices" \
	--header "Message-Id: <both@example.org>"
wait_for_mail manager@shop.test 1 || bail "manager copy not delivered"
wait_for_mail sales@shop.test 4 || bail "sales copy not delivered"
fs=$(mail_with sales@shop.test '^Message-Id: <both@example.org>')
fm=$(mail_with manager@shop.test '^Message-Id: <both@example.org>')
tap_is "$(header_of "$fs" X-Shopdesk-Ticket)" 3 "one ticket (3) for both"
tap_is "$(header_of "$fm" X-Shopdesk-Ticket)" 3 "manager's copy: same"
tap_is "$(ctl tickets --json | jq '.tickets | length')" 3 \
	"three tickets in all"

# 5. A stranger using ticket 1's tag gets a ticket of their own.
send_mail mallory@evil.test sales@shop.test \
	--header "Subject: Re: [Ticket #1] Where is my order" \
	--header "Message-Id: <evil@evil.test>" --body "#close"
wait_for_mail sales@shop.test 5 || bail "stranger's mail not delivered"
f=$(mail_with sales@shop.test '^Message-Id: <evil@evil.test>')
tap_is "$(header_of "$f" X-Shopdesk-Ticket)" 4 "stranger gets ticket 4"
tap_is "$(json 4 .linked_to)" 1 "linked to the ticket named"
tap_is "$(json 1 '.participants | join(",")')" anna@example.com \
	"ticket 1 still only Anna's"

# 6. Mail to nobody branded is delivered untouched: the milter accepts
#    it at DATA, before the headers.  It reaches no desk mailbox, so an
#    X-Shopdesk-* header on it is only text (7. for branded mail).
send_mail anna@example.com customer@example.com \
	--header "Subject: private" --header "X-Shopdesk-Ticket: 1" \
	--header "Message-Id: <private@example.com>"
wait_for_mail customer@example.com 1 || bail "plain mail not delivered"
f=$(mail_files customer@example.com | head -n 1)
tap_is "$(header_of "$f" Subject)" private "plain mail: subject kept"
tap_is "$(header_of "$f" X-Shopdesk-Ticket)" 1 "plain mail: headers untouched"
tap_check "accepted at DATA: nothing logged for it" \
	bash -c "! grep -q 'private@example.com\|X-Shopdesk-\* header' '$H/milter.log'"
tap_is "$(ctl tickets --json | jq '.tickets | length')" 4 \
	"plain mail made no ticket"

# 7. Forged X-Shopdesk-* on branded mail: removed, ours added.
send_mail carol@example.net sales@shop.test \
	--header "Subject: help" --header "X-Shopdesk-Status: closed" \
	--header "X-Shopdesk-Ticket: 1" --header "Message-Id: <c1@example.net>"
wait_for_mail sales@shop.test 6 || bail "carol's mail not delivered"
f=$(mail_with sales@shop.test '^Message-Id: <c1@example.net>')
tap_is "$(sed '/^\r\?$/q' "$f" | grep -ci '^X-Shopdesk-Ticket:')" 1 \
	"exactly one X-Shopdesk-Ticket"
tap_is "$(header_of "$f" X-Shopdesk-Ticket)" 5 "and it is ours"
tap_is "$(header_of "$f" X-Shopdesk-Status)" new "our status"

# 7b. Who writes into a ticket: a colleague the customer copied (Cc)
#     answers into it; a stranger with its Message-ID gets a ticket of
#     their own.
send_mail carol@example.net sales@shop.test \
	--header "Cc: Alice <alice@example.com>" \
	--header "Subject: Invoice for order 12" \
	--header "Message-Id: <c2@example.net>"
wait_for_mail sales@shop.test 7 || bail "carol's second mail not delivered"
t=$(header_in sales@shop.test '^Message-Id: <c2@example.net>' \
	X-Shopdesk-Ticket)
send_mail alice@example.com sales@shop.test \
	--header "Subject: Re: Invoice for order 12" \
	--header "In-Reply-To: <c2@example.net>" \
	--header "Message-Id: <a1@example.com>"
send_mail eve@example.org sales@shop.test \
	--header "Subject: Re: Invoice for order 12" \
	--header "In-Reply-To: <c2@example.net>" \
	--header "Message-Id: <e1@example.org>"
wait_for_mail sales@shop.test 9 || bail "the answers were not delivered"
tap_is "$(header_in sales@shop.test '^Message-Id: <a1@example.com>' \
	X-Shopdesk-Ticket)" "$t" "the colleague in Cc answers into the ticket"
tap_is "$(json "$t" '.participants | join(",")')" \
	"carol@example.net,alice@example.com" "both are participants"
e=$(header_in sales@shop.test '^Message-Id: <e1@example.org>' \
	X-Shopdesk-Ticket)
tap_check "a stranger with the Message-ID: a ticket of her own ($e)" \
	test "$e" -gt "$t"
tap_is "$(json "$e" .linked_to)" "$t" "linked to the one she named"
tap_is "$(json "$t" '[.history[] | select(.event == "followed_by")][0].ticket')" \
	"$e" "and the named ticket's history says so"

# 8. shopdeskctl sla: the queue's promise (Europe/Vilnius, default hours
#    mon-fri 09:00-18:00, default SLA 4h).
tap_is "$(ctl sla sales 2026-11-23T18:59)" "2026-11-24T13:00:00+02:00" \
	"sla: after hours, four open hours from next morning"
tap_is "$(ctl sla sales 2026-11-27T16:00:00+02:00)" \
	"2026-11-30T11:00:00+02:00" "sla: across the weekend"
tap_check "sla: an unknown queue is an error" \
	sh -c "! '$CTL_BIN' -c '$CONF' sla nosuch 2026-11-23T10:00 2>/dev/null"

# 9. Nothing left in Postfix's queue, nothing went outside.
tap_check "Postfix queue empty" wait_queue_empty 20
tap_is "$(find "$H/sink" -type f | wc -l)" 0 "nothing relayed outside"

# 10. SIGTERM stops the daemon cleanly: exit 0, a last log line, its
#     control socket removed.
kill -TERM "$MILTER_PID"
wait "$MILTER_PID"
tap_is "$?" 0 "SIGTERM: shopdesk-milter exits 0"
MILTER_PID=
tap_check "SIGTERM: it says it stops" grep -q 'shopdesk-milter.*stopping' \
	"$H/milter.log"
tap_check "SIGTERM: control socket removed" test ! -e "$H/run/control.sock"

tap_done
