#!/bin/bash
# End to end: "was it solved?" through a real Postfix and Dovecot.  A
# 24/7 queue asks a minute after a ticket was resolved: by mail in the
# customer's language, in the chat for a Telegram customer (a fake Bot
# API, as in t-telegram), never to a no-reply sender.  The answers, by
# mail and in the chat, are understood: "да" closes, "2" reopens to the
# assignee, "5" in the chat closes; each is a csat event and the
# ticket's rating; nobody is asked twice for one resolution.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/harness.sh"

HARNESS_USERS="noreply@example.com"
SHOPDESK_EXTRA="agents = ann@shop.test; bob@shop.test
outbox_retry_min = 1s
outbox_retry_max = 3s"
SALES_EXTRA="hours = 24/7
followup_after = 1m
autoclose_after = 1h"
# chats are answered within their ticket, never delivered by Postfix
POSTFIX_EXTRA="transport_maps = inline:{ { telegram.shop.test = error:5.1.1 not sent by shopdesk: a chat is answered within its ticket } }"
SUBMIT_EXTRA="  -o smtpd_reject_unlisted_recipient=no"
harness_init
start_fake_telegram
start_stack
start_bridge

json() { ctl show "$1" --json | jq -r "$2"; }
count_event() { ctl show "$1" --json | jq "[.history[] | select(.event == \"$2\")] | length"; }
calls() { curl -s "$TG/control/calls"; }
# chat_texts CHAT: what sendMessage got for the chat, one a line
chat_texts() {
	calls | jq -r --arg c "$1" 'select(.method == "sendMessage" and
		(.params.chat_id | tostring) == $c) | .params.text'
}
update() {	# update CHAT MESSAGE_ID TEXT LANGUAGE_CODE
	curl -s -X POST "$TG/control/update" -H 'Content-Type: application/json' \
		--data-binary "{\"message\": {\"message_id\": $2, \"date\": $(date +%s),
		\"chat\": {\"id\": $1, \"type\": \"private\"},
		\"from\": {\"id\": $1, \"is_bot\": false, \"first_name\": \"Olena\",
			  \"language_code\": \"$4\"},
		\"text\": $(jq -Rn --arg t "$3" '$t')}}" >/dev/null
}
agent_swaks() {
	swaks --silent 2 --server 127.0.0.1 --port "$SUBMIT_PORT" \
		--auth PLAIN --auth-user ann@shop.test --auth-password secret \
		--helo client.example --from ann@shop.test "$@"
}
# followups_to USER TICKET: the user's mails that ask about the ticket
followups_to() {
	local f n=0
	for f in $(mail_files "$1"); do
		sed '/^\r\?$/q' "$f" |
			grep -qi "^Message-Id: <followup\.$2\." && n=$((n + 1))
	done
	echo "$n"
}
wait_until() {	# wait_until COMMAND...: true within 20 s
	for _ in $(seq 1 200); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}
status_is() { [ "$(json "$1" .status)" = "$2" ]; }

# 1. Three customers write by mail (one in Russian, one from a no-reply
#    address) and one on Telegram, the app set to Ukrainian.
send_mail customer@example.com sales@shop.test \
	--header "Subject: Инструкция к лампе" \
	--header "Message-Id: <lamp-1@example.com>" \
	--header "Content-Type: text/plain; charset=utf-8" \
	--body "Здравствуйте! Заказ 1234 пришёл без инструкции к настольной лампе. Пришлите её, пожалуйста, на эту почту, если это возможно." ||
	bail "swaks could not send"
send_mail alice@example.com sales@shop.test \
	--header "Subject: Wrong size" \
	--header "Message-Id: <size-1@example.com>" \
	--body "The shoes you sent are a size too small, can I swap them?" ||
	bail "swaks could not send"
send_mail noreply@example.com sales@shop.test \
	--header "Subject: Your invoice" \
	--header "Message-Id: <inv-1@example.com>" \
	--body "Please find the invoice for order 77 attached." ||
	bail "swaks could not send"
update 777001 1 "Добрий день, де моє замовлення 1234?" uk
wait_until sh -c "[ \"\$('$CTL_BIN' -c '$CONF' tickets --json | jq '.tickets | length')\" = 4 ]" ||
	bail "not four tickets: $(ctl tickets)"
tap_is "$(json 1 .customer.language) $(json 2 .customer.language) $(json 4 .customer.language)" \
	"ru en uk" "the customers' languages: ru, en, uk"

# 2. Ann answers and resolves each; she takes ticket 2 (#assign).
resolve() {	# resolve TO IN-REPLY-TO SUBJECT [COMMAND]
	agent_swaks --to "$1" --header "Subject: Re: $3" \
		--header "In-Reply-To: <$2>" \
		--body "#resolve
${4:-}
Done, see you again." || bail "ann's answer to $1 failed"
}
resolve customer@example.com lamp-1@example.com "[Ticket #1] Инструкция к лампе"
resolve alice@example.com size-1@example.com "[Ticket #2] Wrong size" "#assign ann"
resolve noreply@example.com inv-1@example.com "[Ticket #3] Your invoice"
resolve tg.777001@telegram.shop.test tg.777001.1@telegram.shop.test \
	"[Ticket #4] Telegram"
for t in 1 2 3 4; do
	wait_until status_is "$t" resolved || bail "ticket $t not resolved"
done
tap_is "$(ctl timers --json | jq -r '[.timers[] | select(.timer == "followup") | .ticket] | sort | map(tostring) | join(" ")')" \
	"1 2 3 4" "shopdeskctl timers: a follow-up due for each resolved ticket"

# 3. A minute later: the question, by mail in Russian and English, in
#    the chat in Ukrainian; none to the no-reply sender.
wait_for_mail_with customer@example.com '^Message-Id: <followup\.1\.' 100 >/dev/null ||
	bail "no follow-up for ticket 1: $(grep 'followup' "$H/milter.log" | tail -n 5)"
f1=$(mail_with customer@example.com '^Message-Id: <followup\.1\.')
tap_check "ticket 1's follow-up has the ticket's subject" \
	grep -q '^Subject: .*\[Ticket #1\]' "$f1"
tap_is "$(header_of "$f1" In-Reply-To)" "<lamp-1@example.com>" \
	"in reply to the customer's last message"
tap_is "$(header_of "$f1" Content-Language)" ru "in Russian"
body1=$(text_part "$f1")
tap_check "it asks whether it was solved" \
	grep -q 'Решён ли ваш вопрос?' <<<"$body1"
tap_check "with a rating from 1 to 5" \
	grep -q 'от 1 (плохо) до 5 (отлично)' <<<"$body1"
tap_check "and names the ticket and its subject" \
	grep -q '«Инструкция к лампе»' <<<"$body1"
tap_is "$(header_of "$f1" Auto-Submitted)" auto-generated \
	"marked Auto-Submitted, as RFC 3834 asks"
wait_for_mail_with alice@example.com '^Message-Id: <followup\.2\.' 30 >/dev/null ||
	bail "no follow-up for ticket 2"
f2=$(mail_with alice@example.com '^Message-Id: <followup\.2\.')
tap_check "ticket 2's follow-up is in English" \
	grep -q 'Was your problem solved?' "$f2"
tg_asked() { chat_texts 777001 | grep -q 'Чи вирішено ваше питання?'; }
tap_check "the Telegram customer is asked in the chat, in Ukrainian" \
	wait_until tg_asked
wait_until sh -c "[ \"\$('$CTL_BIN' -c '$CONF' show 3 --json | jq '[.history[] | select(.event == \"followup\")] | length')\" = 1 ]"
tap_is "$(json 3 '[.history[] | select(.event == "followup")][0].skipped')" \
	"RFC 3834 forbade answering the customer" \
	"the no-reply sender is not asked, and the history says why"
tap_is "$(followups_to noreply@example.com 3)" 0 "no follow-up mail to it"
tap_is "$(json 1 .status) $(json 2 .status)" "resolved resolved" \
	"asking changes no status"

# 4. The answers: "Да" by mail closes ticket 1, "2" reopens ticket 2 to
#    Ann, "5" in the chat closes ticket 4.
send_mail customer@example.com sales@shop.test \
	--header "Subject: Re: $(header_of "$f1" Subject)" \
	--header "Message-Id: <lamp-2@example.com>" \
	--header "In-Reply-To: $(header_of "$f1" Message-Id)" \
	--header "Content-Type: text/plain; charset=utf-8" \
	--body "Да, спасибо!" || bail "swaks could not send"
send_mail alice@example.com sales@shop.test \
	--header "Subject: Re: $(header_of "$f2" Subject)" \
	--header "Message-Id: <size-2@example.com>" \
	--header "In-Reply-To: $(header_of "$f2" Message-Id)" \
	--body "2" || bail "swaks could not send"
update 777001 2 "5" uk
tap_check "'Да, спасибо!' closes ticket 1" wait_until status_is 1 closed
tap_is "$(json 1 '[.history[] | select(.event == "csat")][0].solved')" yes \
	"a csat event: solved"
tap_check "'2' reopens ticket 2" wait_until status_is 2 open
tap_is "$(json 2 .assignee)" ann "to its assignee"
tap_is "$(json 2 .rating) $(json 2 '[.history[] | select(.event == "csat")][0].score')" \
	"2 2" "rated 2: the ticket's rating and the csat event's score"
tap_check "'5' in the chat closes ticket 4" wait_until status_is 4 closed
tap_is "$(json 4 .rating)" 5 "rated 5"
tap_check "shopdeskctl show prints the rating" \
	sh -c "'$CTL_BIN' -c '$CONF' show 4 | grep -qi 'rating:* *5'"

# 5. Once per resolution: no second question, whatever the timers do.
sleep 3
tap_is "$(followups_to customer@example.com 1) $(followups_to alice@example.com 2)" \
	"1 1" "one follow-up mail each"
tap_is "$(chat_texts 777001 | grep -c 'Чи вирішено ваше питання?')" 1 \
	"one question in the chat"
tap_is "$(count_event 1 followup) $(count_event 2 followup) $(count_event 3 followup) $(count_event 4 followup)" \
	"1 1 1 1" "one followup event a ticket"
tap_check "each follow-up logged with its ticket" \
	grep -q "timer: ticket=1 followup due=" "$H/milter.log"

tap_done
