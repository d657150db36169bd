#!/bin/bash
# End to end: Telegram customers answered from email.  A fake Bot API
# (tests/fake/fake-telegram.py) stands in for api.telegram.org; the
# bridge long-polls it and turns each update into mail through the
# private Postfix, the milter files it into the customer's chat ticket
# and acknowledges it in the chat (once a ticket, in the language of the
# customer's Telegram), an agent answers with s-nail or swaks through
# submission, and the fake must receive exactly what the customer should
# see.  Then the provider misbehaves: 500s and 429s (every reply arrives
# once, in order), a blocked bot (dead letter and a notice to the agent),
# garbage answers, malformed and redelivered updates.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/harness.sh"

SHOPDESK_EXTRA="outbox_retry_min = 1s
outbox_retry_max = 3s"
# open around the clock: the acknowledgement names a reply-by time and
# never says the shop is closed
SALES_EXTRA="hours = 24/7"
# Postfix never delivers to the channel's domain: the milter takes
# those recipients out; whatever is left bounces.  On submission smtpd
# must not refuse them at RCPT time (it does for the error transport),
# or the milter never sees the reply.
POSTFIX_EXTRA="transport_maps = inline:{ { telegram.shop.test = error:5.1.1 not sent by shopdesk: a chat is answered within its ticket } }"
SUBMIT_EXTRA="  -o smtpd_reject_unlisted_recipient=no"
harness_init
start_fake_telegram
start_stack
start_bridge

json() { ctl show "$1" --json | jq -r "$2"; }
control() {	# control WHAT [JSON]
	curl -s -X POST "$TG/control/$1" -H 'Content-Type: application/json' \
		--data-binary "${2:-{\}}"
}
calls() { curl -s "$TG/control/calls"; }
# The acknowledgement is the message that names the ticket's tag; what
# the agents write never does here.
IS_ACK='(.params.text // "" | contains("[Ticket #"))'
# texts CHAT: the texts sendMessage got for a chat, one a line, without
# the acknowledgement
texts() {
	calls | jq -r --arg c "$1" \
		"select(.method == \"sendMessage\" and (.params.chat_id|tostring) == \$c and ($IS_ACK | not)) | .params.text"
}
acks() {	# acks CHAT: the acknowledgements sent to a chat, one JSON a line
	calls | jq -c --arg c "$1" \
		"select(.method == \"sendMessage\" and (.params.chat_id|tostring) == \$c and $IS_ACK)"
}
wait_calls() {	# wait_calls JQ-FILTER N [SECONDS]
	for _ in $(seq 1 $(( ${3:-30} * 10 ))); do
		[ "$(calls | jq -c "select($1)" | wc -l)" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
# update CHAT MESSAGE_ID TEXT [EXTRA-JSON-MEMBERS] [LANGUAGE_CODE]: the
# sender is a User whose app is set to LANGUAGE_CODE, when given
update() {
	control update "{\"message\": {\"message_id\": $2, \"date\": $(date +%s),
		\"chat\": {\"id\": $1, \"type\": \"private\"},
		\"from\": {\"id\": $1, \"is_bot\": false, \"first_name\": \"Ivan\",
			  \"last_name\": \"Petrov\"${5:+, \"language_code\": \"$5\"}},
		\"text\": $(jq -Rn --arg t "$3" '$t') ${4:+, $4}}}" >/dev/null
}
wait_ack() {	# wait_ack CHAT: until the chat has its acknowledgement
	wait_calls "(.params.chat_id|tostring) == \"$1\" and $IS_ACK" 1 ||
		bail "no acknowledgement in chat $1: $(tail -n 5 "$H/bridge.log")"
}
# ru_date ISO-TIME: the time as the Russian templates write it, in the
# shop's zone
ru_date() {
	local days=(понедельник вторник среда четверг пятница суббота воскресенье)
	local months=(января февраля марта апреля мая июня июля августа сентября октября ноября декабря)
	local d
	read -ra d <<<"$(TZ=Europe/Vilnius date -d "$1" '+%u %-d %-m %H:%M')"
	echo "${days[d[0] - 1]}, ${d[1]} ${months[d[2] - 1]}, ${d[3]}"
}
snail() {
	printf '%s\n' "$@" | timeout 60 s-nail -# -n -S v15-compat \
		-S "mta=smtp://ann%40shop.test:secret@127.0.0.1:$SUBMIT_PORT" \
		-S smtp-auth=plain -S from="Ann Lee <ann@shop.test>" \
		-S sendwait -f "maildir://$(maildir_of sales@shop.test)" \
		>>"$H/snail.log" 2>&1
}
agent_swaks() {
	swaks --silent 2 --server 127.0.0.1 --port "$SUBMIT_PORT" \
		--auth PLAIN --auth-user ann@shop.test --auth-password secret \
		--helo client.example --from ann@shop.test "$@"
}

# 1. A customer writes from Telegram, the app set to Russian: a mail in
#    the queue mailbox, a ticket of channel telegram, and the
#    acknowledgement in the chat, in Russian, not by mail.
update 777001 1 "Hello, where is my order 1234?" "" ru
wait_for_mail sales@shop.test 1 || bail "the update did not become mail"
m1=$(mail_with sales@shop.test '^Message-ID: <tg.777001.1@telegram.shop.test>')
tap_check "Message-ID from the chat and message ids" test -n "$m1"
tap_check "From the customer's name and chat address" \
	grep -q '^From: "Ivan Petrov (Telegram)" <tg.777001@telegram.shop.test>' "$m1"
tap_is "$(header_of "$m1" To)" "Sales <sales@shop.test>" "to the channel's queue"
tap_is "$(header_of "$m1" X-Shopdesk-Channel)" telegram "X-Shopdesk-Channel: telegram"
tap_is "$(header_of "$m1" X-Shopdesk-Ticket)" 1 "ticket 1"
tap_check "the words are the body" grep -q "where is my order 1234" "$m1"
tap_is "$(json 1 .channel)" telegram "the ticket's channel is telegram"
tap_is "$(json 1 .customer.address)" tg.777001@telegram.shop.test \
	"the customer is the chat address"
tap_is "$(cat "$H/spool/telegram/offset")" 1001 "offset kept past the update"
tap_is "$(header_of "$m1" Content-Language)" ru "Content-Language from the sender's language_code"
tap_is "$(json 1 .customer.language)" ru "the ticket's language is the app's, not the words'"
wait_ack 777001
a1=$(acks 777001 | head -n 1)
tap_check "the milter queued the acknowledgement for the chat" \
	grep -q "ticket=1 the acknowledgement in the chat: outbox=msg\.telegram\.777001\.[0-9a-f]* queued" "$H/milter.log"
tap_check "no acknowledgement by mail to a chat customer" \
	bash -c "! grep -q 'ticket=1 the acknowledgement: outbox=' '$H/milter.log'"
ack_text=$(jq -r .params.text <<<"$a1")
tap_check "the acknowledgement names the ticket, in Russian" \
	grep -qF "Спасибо, Ivan Petrov! Ваше обращение — заявка [Ticket #1]." <<<"$ack_text"
want=$(ru_date "$(json 1 .reply_by)")
tap_check "and the reply-by time in the shop's zone ($want)" \
	grep -qF "Мы ответим до $want (время Europe/Vilnius)." <<<"$ack_text"
tap_check "open around the clock: it does not say the shop is closed" \
	bash -c '! grep -q "не работаем" <<<"$1"' _ "$ack_text"
tap_check "the hours, in Russian" grep -q "^Часы работы:$" <<<"$ack_text"
tap_check "plain text, no HTML" bash -c '! grep -q "<[a-z/]" <<<"$1"' _ "$ack_text"

# 2. A photo with a caption: fetched with getFile, attached, same ticket.
printf 'JPEGDATA-%.0s' $(seq 1 200) > "$H/photo.jpg"
control file "{\"file_id\": \"ph-1\", \"file_path\": \"photos/file_1.jpg\",
	\"data\": \"$(base64 -w0 "$H/photo.jpg")\"}" >/dev/null
update 777001 2 "" '"photo": [{"file_id": "ph-0", "file_unique_id": "a", "width": 90, "height": 90},
	{"file_id": "ph-1", "file_unique_id": "b", "width": 800, "height": 600}],
	"caption": "Here is the box"'
wait_for_mail sales@shop.test 2 || bail "the photo did not become mail"
m2=$(mail_with sales@shop.test '^Message-ID: <tg.777001.2@telegram.shop.test>')
tap_is "$(header_of "$m2" X-Shopdesk-Ticket)" 1 "the chat's next message joins its open ticket"
tap_check "the caption is the text" grep -q "Here is the box" "$m2"
tap_check "the largest photo size is attached" \
	bash -c "perl -MMIME::Base64 -0777 -ne 'print decode_base64(\$1) if /Content-Type: image\/jpeg.*?\r?\n\r?\n([A-Za-z0-9+\/=\r\n]+)/s' '$m2' | cmp -s - '$H/photo.jpg'"
tap_is "$(json 1 '.messages | length')" 2 "two messages in the ticket"
tap_check "the second message gets no acknowledgement: not a new ticket" \
	grep -q "ticket=1 rule=.*ack=none (not a new ticket)" "$H/milter.log"

# 3. The agent answers with a real client: the reply quotes the customer
#    and carries a signature; the chat gets only the new words.
snail "Reply 1" "We found it: it leaves today." "" \
	"On Mon, 30 Nov 2026, Ivan Petrov wrote:" \
	"> Hello, where is my order 1234?" "" "-- " "Ann, Shop Example" "~." ||
	bail "s-nail failed: $(cat "$H/snail.log")"
wait_calls ".method == \"sendMessage\" and ($IS_ACK | not)" 1 ||
	bail "no sendMessage: $(tail "$H/bridge.log")"
tap_is "$(texts 777001)" "We found it: it leaves today." \
	"sendMessage: the reply without quote and signature"
tap_is "$(calls | jq -r "select(.method == \"sendMessage\" and ($IS_ACK | not)) | .params.chat_id" | head -1)" \
	777001 "sendMessage: the customer's chat"
tap_is "$(acks 777001 | wc -l)" 1 "one acknowledgement in the chat for the two messages"
reply1=$(calls | jq -c 'select(.params.text == "We found it: it leaves today.")')
tap_check "the acknowledgement went before the agent's reply" \
	test "$(jq .n <<<"$a1")" -lt "$(jq .n <<<"$reply1")"
wait_for_mail sales@shop.test 3 || bail "no copy of the reply in the queue mailbox"
copy=$(mail_with sales@shop.test '^X-Shopdesk-Direction: outbound')
tap_check "the reply is in the queue mailbox" test -n "$copy"
tap_is "$(header_of "$copy" X-Shopdesk-Channel)" telegram "the copy says channel telegram"
tap_check "the copy keeps what the agent wrote, quote included" \
	grep -q "^> Hello, where is my order" "$copy"
tap_is "$(json 1 .status)" pending "the reply makes the ticket pending"
tap_check "Postfix never tried to deliver to the chat address" \
	bash -c "! grep -q 'to=<tg.777001@telegram.shop.test>' '$H/maillog'"
tap_check "the bridge logged the provider's message id" \
	grep -qE "msg\.telegram\.777001\.[0-9a-f]+: ticket=1 channel=telegram chat=777001: status=sent parts=1 message_ids=[0-9]+" "$H/bridge.log"
delivered() {	# delivered TICKET RESULT: the first such delivery event, as JSON
	json "$1" "[.history[] | select(.event == \"delivery\" and .result == \"$2\")][0]"
}
sent_ids() {	# sent_ids TICKET: the provider's ids of what was sent, a line each
	json "$1" '.history[] | select(.event == "delivery" and .result == "sent") | .message_ids'
}
for _ in $(seq 1 100); do
	[ "$(sent_ids 1 | wc -l)" -ge 2 ] && break
	sleep 0.1
done
tap_check "the ticket's history has the provider's message id" \
	grep -qx "$(jq -r .message_id <<<"$reply1")" <<<"$(sent_ids 1)"
tap_check "and the acknowledgement's" \
	grep -qx "$(jq -r .message_id <<<"$a1")" <<<"$(sent_ids 1)"

# 4. An HTML-only reply with a PDF: the chat gets the HTML as text (the
#    quoted history in its blockquote left out) and the file.
printf '%%PDF-1.4 fake label %.0s' $(seq 1 50) > "$H/label.pdf"
cat > "$H/html.eml" <<MAIL
From: Ann Lee <ann@shop.test>
To: "Ivan Petrov (Telegram)" <tg.777001@telegram.shop.test>
Subject: Re: Hello, where is my order 1234?
In-Reply-To: <tg.777001.2@telegram.shop.test>
Message-Id: <html-1@shop.test>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="mix"

--mix
Content-Type: text/html; charset=UTF-8

<html><body><p>Your <b>label</b> is attached.</p><p>Print it, please.</p>
<blockquote type="cite"><p>Here is the box</p></blockquote></body></html>
--mix
Content-Type: application/pdf; name="label.pdf"
Content-Disposition: attachment; filename="label.pdf"
Content-Transfer-Encoding: base64

$(base64 "$H/label.pdf")
--mix--
MAIL
agent_swaks --to tg.777001@telegram.shop.test --data "@$H/html.eml" ||
	bail "HTML reply not accepted"
wait_calls '.method == "sendDocument"' 1 || bail "no sendDocument: $(tail "$H/bridge.log")"
tap_is "$(texts 777001 | tail -n +2)" "Your label is attached.

Print it, please." "HTML reply: text from the HTML, without the quote"
doc=$(calls | jq -c 'select(.method == "sendDocument")' | head -1)
tap_is "$(jq -r '.files[0].filename' <<<"$doc")" label.pdf "sendDocument: the file name"
tap_is "$(jq -r '.files[0].sha256' <<<"$doc")" "$(sha256sum < "$H/label.pdf" | cut -d' ' -f1)" \
	"sendDocument: the file's bytes"
tap_is "$(jq -r '.files[0].content_type' <<<"$doc")" application/pdf "sendDocument: its type"
tap_check "text first, then the file" test \
	"$(calls | jq -r 'select(.params.chat_id|tostring == "777001") | .method' | tail -2 | paste -sd,)" = "sendMessage,sendDocument"

# 4a. An HTML reply whose signature has an inline logo (Content-ID, in
#     multipart/related): the chat gets the text, not the logo.
cat > "$H/inline.eml" <<MAIL
From: Ann Lee <ann@shop.test>
To: "Ivan Petrov (Telegram)" <tg.777001@telegram.shop.test>
Subject: Re: Hello, where is my order 1234?
In-Reply-To: <tg.777001.2@telegram.shop.test>
Message-Id: <inline-1@shop.test>
MIME-Version: 1.0
Content-Type: multipart/related; boundary="rel"

--rel
Content-Type: text/html; charset=UTF-8

<html><body><p>It ships on Monday.</p><img src="cid:logo@shop.test"></body></html>
--rel
Content-Type: image/png; name="logo.png"
Content-Disposition: inline; filename="logo.png"
Content-ID: <logo@shop.test>
Content-Transfer-Encoding: base64

$(printf 'not really a png %.0s' $(seq 1 20) | base64)
--rel--
MAIL
before=$(calls | jq -c 'select(.method == "sendPhoto" or .method == "sendDocument")' | wc -l)
agent_swaks --to tg.777001@telegram.shop.test --data "@$H/inline.eml" ||
	bail "reply with an inline logo not accepted"
wait_calls '.method == "sendMessage" and .params.text == "It ships on Monday."' 1 ||
	bail "the reply with an inline logo was not sent"
sleep 1
tap_is "$(calls | jq -c 'select(.method == "sendPhoto" or .method == "sendDocument")' | wc -l)" \
	"$before" "an inline image (Content-ID) is not sent to the chat"

# 4b. The file fails once after the text went: the retry sends the file
#     alone, the text is not sent twice; a long text goes in pieces.
control fail '{"count": 1, "code": 500, "methods": ["sendDocument"]}' >/dev/null
long=$(for i in $(seq 1 300); do printf 'Line %03d of the long answer, with some words.\n' "$i"; done)
sed -e 's/html-1@shop.test/html-2@shop.test/' \
    -e 's|<p>Your <b>label</b> is attached.</p><p>Print it, please.</p>|<pre>'"$(printf '%s' "$long" | tr '\n' '~')"'</pre>|' \
    "$H/html.eml" | tr '~' '\n' > "$H/html2.eml"
agent_swaks --to tg.777001@telegram.shop.test --data "@$H/html2.eml" ||
	bail "long reply not accepted"
wait_calls '.method == "sendDocument"' 2 30 || bail "the file was not sent again: $(tail -n 5 "$H/bridge.log")"
sleep 1
tap_is "$(calls | jq -r 'select(.method == "sendMessage") | .params.text' | grep -c '^Line 001 of the long')" 1 \
	"after the file failed, the text was not sent again"
tap_check "the progress was logged" grep -q "parts 4 of 5 sent" "$H/bridge.log"
calls | jq -r 'select(.method == "sendMessage" and (.params.text | startswith("Line ")))
	| .params.text' > "$H/pieces"
tap_is "$(calls | jq -r 'select(.method == "sendMessage" and (.params.text | startswith("Line ")))
	| .params.text | length <= 4096' | sort -u)" true "a long text goes in pieces of at most 4096 characters"
tap_is "$(calls | jq -c 'select(.method == "sendMessage" and (.params.text | startswith("Line ")))' | wc -l)" 4 \
	"four of them"
tap_is "$(cat "$H/pieces")" "$long" "cut at line ends: every line arrives whole, in order"

# 5. The provider fails for a while (three 500s, then two 429s with
#    retry_after): three replies sent meanwhile arrive afterwards, each
#    once, in the order written.
control fail '{"count": 3, "code": 500}' >/dev/null
control fail '{"count": 2, "code": 429, "retry_after": 2}' >/dev/null
before=$(calls | jq -c 'select(.method == "sendMessage")' | wc -l)
for n in one two three; do
	agent_swaks --to tg.777001@telegram.shop.test \
		--header "Subject: Re: Hello, where is my order 1234?" \
		--header "In-Reply-To: <tg.777001.1@telegram.shop.test>" \
		--body "Reply $n." || bail "reply $n not accepted"
done
wait_calls '.method == "sendMessage"' $((before + 3)) 60 ||
	bail "replies did not arrive: $(tail -n 20 "$H/bridge.log")"
sleep 3	# a duplicate would come now
tap_is "$(texts 777001 | grep '^Reply ' | paste -sd,)" "Reply one.,Reply two.,Reply three." \
	"after 500s and 429s: every reply once, in order"
tap_check "the 500s were deferred with backoff" \
	grep -q "status=deferred (sendMessage: error 500: Internal Server Error); next try in" "$H/bridge.log"
tap_check "the 429 waited the retry_after asked" \
	grep -q "status=deferred (sendMessage: error 429: Too Many Requests: retry after 2); next try in 2 s" "$H/bridge.log"
tap_check "a later reply waited for the earlier one" \
	grep -q "status=waiting (an earlier message to this chat is not sent yet)" "$H/bridge.log"
gaps=$(calls | jq -r 'select(.method == "sendMessage" and (.params.chat_id|tostring) == "777001") | .time' |
	awk 'NR > 1 && $1 - prev < 0.95 { n++ } { prev = $1 } END { print n + 0 }')
tap_is "$gaps" 0 "at most one message a second to the chat"

# 6. A customer who blocked the bot: dead letter, the agent is told,
#    shopdeskctl shows it and can send it again once unblocked.
n=$(mail_count sales@shop.test)
update 777002 1 "Do you ship to Riga?"
wait_for_mail sales@shop.test $((n + 1)) || bail "second chat's mail not delivered"
t2=$(header_in sales@shop.test '^Message-ID: <tg.777002.1@telegram.shop.test>' X-Shopdesk-Ticket)
tap_check "another chat, another ticket ($t2)" test "$t2" -gt 1
# acknowledged before the customer blocks the bot
wait_ack 777002
tap_check "its own acknowledgement, in English without a language_code" \
	grep -qF "Thank you, Ivan Petrov! Your message is ticket [Ticket #$t2]." <<<"$(acks 777002 | jq -r .params.text)"
control block '{"chat_id": 777002}' >/dev/null
before_ann=$(mail_count ann@shop.test)
agent_swaks --to tg.777002@telegram.shop.test \
	--header "Subject: Re: Do you ship to Riga?" \
	--header "In-Reply-To: <tg.777002.1@telegram.shop.test>" \
	--header "Message-Id: <riga-1@shop.test>" \
	--body "Yes, in three days." || bail "reply to the blocked chat not accepted"
for _ in $(seq 1 100); do
	ls "$H/spool/outbox/dead/" 2>/dev/null | grep -q '^msg\.telegram\.777002\.' && break
	sleep 0.1
done
dead=$(ls "$H/spool/outbox/dead/" | grep '^msg\.telegram\.777002\.' | head -1)
tap_check "403 bot blocked: the message is a dead letter" test -n "$dead"
tap_check "logged with the reason" \
	grep -q "chat=777002: status=dead (sendMessage: error 403: Forbidden: bot was blocked by the user)" "$H/bridge.log"
wait_for_mail ann@shop.test $((before_ann + 1)) || bail "no notice to the agent"
notice=$(mail_files ann@shop.test | tail -n 1)
tap_check "the agent's notice names the reason" grep -q "bot was blocked by the user" "$notice"
tap_check "and quotes the reply" grep -q "Yes, in three days." "$notice"
tap_is "$(header_of "$notice" In-Reply-To)" "<riga-1@shop.test>" "the notice answers the agent's mail"
tap_is "$(header_of "$notice" Auto-Submitted)" auto-generated "the notice is auto-generated"
for _ in $(seq 1 100); do
	[ "$(delivered "$t2" dead)" != null ] && break
	sleep 0.1
done
tap_is "$(delivered "$t2" dead | jq -r .why)" \
	"sendMessage: error 403: Forbidden: bot was blocked by the user" \
	"the ticket's history says why it was not delivered"
tap_is "$(ctl outbox list --json | jq -r --arg k "$dead" '.[] | select(.key == $k) | .state')" \
	dead "shopdeskctl outbox list: dead"
tap_is "$(ctl outbox list --json | jq -r --arg k "$dead" '.[] | select(.key == $k) | .to')" \
	telegram:777002 "shopdeskctl outbox list: to the chat"
control unblock '{"chat_id": 777002}' >/dev/null
ctl outbox retry "$dead" >/dev/null
tap_check "retried: no longer dead" test ! -e "$H/spool/outbox/dead/$dead"
wait_calls '.method == "sendMessage" and .params.text == "Yes, in three days."' 1 ||
	bail "the retried message did not arrive"
tap_is "$(texts 777002)" "Yes, in three days." "shopdeskctl outbox retry: sent"
tap_check "retry of an unknown key fails" bash -c "! '$CTL_BIN' -c '$CONF' outbox retry msg.nothing 2>/dev/null"

# 7. Drop: a message deferred by a 500 is given up by the admin.
control fail '{"count": 100, "code": 502, "description": "Bad Gateway"}' >/dev/null
agent_swaks --to tg.777002@telegram.shop.test \
	--header "Subject: Re: Do you ship to Riga?" \
	--header "In-Reply-To: <tg.777002.1@telegram.shop.test>" \
	--body "This one is dropped." || bail "reply not accepted"
for _ in $(seq 1 100); do
	k=$(ctl outbox list --json | jq -r '.[] | select(.state == "deferred" and .to == "telegram:777002") | .key' | head -1)
	[ -n "$k" ] && break
	sleep 0.1
done
tap_check "a failing message is listed as deferred" test -n "$k"
tap_is "$(ctl outbox drop "$k")" "$k: dropped" "shopdeskctl outbox drop"
tap_is "$(ctl outbox list --json | jq -r --arg k "$k" '[.[] | select(.key == $k)] | length')" 0 \
	"dropped: gone from the list"
control fail '{"clear": true}' >/dev/null

# 8. An edited message: a new mail that says so, in the same ticket.
control update "{\"edited_message\": {\"message_id\": 1, \"date\": $(date +%s),
	\"edit_date\": $(( $(date +%s) + 5 )), \"chat\": {\"id\": 777001, \"type\": \"private\"},
	\"from\": {\"id\": 777001, \"is_bot\": false, \"first_name\": \"Ivan\"},
	\"text\": \"Hello, where is my order 1235?\"}}" >/dev/null
e=""
for _ in $(seq 1 100); do
	e=$(mail_with sales@shop.test '^Subject: .*Edited: ') && break
	sleep 0.1
done
tap_check "an edit becomes a new mail" test -n "$e"
tap_check "which says it is an edit" grep -q "edited an earlier message" "$e"
tap_is "$(header_of "$e" In-Reply-To)" "<tg.777001.1@telegram.shop.test>" "and answers the original"
tap_is "$(header_of "$e" X-Shopdesk-Ticket)" 1 "in the same ticket"
tap_check "it reopens the pending ticket without a second acknowledgement (ack_reopen_period)" \
	grep -q "ticket=1 rule=.*status=open .*ack=none (acknowledged recently)" "$H/milter.log"
sleep 1
tap_is "$(acks 777001 | wc -l)" 1 "still one acknowledgement in the chat"

# 9. Redelivery: the same update again is no second mail.
n=$(mail_count sales@shop.test)
polls=$(curl -s "$TG/control/state" | jq .polls)
control replay '{"update_id": 1000}' >/dev/null
for _ in $(seq 1 100); do
	[ "$(curl -s "$TG/control/state" | jq .polls)" -ge $((polls + 2)) ] && break
	sleep 0.1
done
sleep 1
tap_is "$(mail_count sales@shop.test)" "$n" "a redelivered update makes no second mail"

# 10. Bad input from the API: an update without update_id or without a
#     chat is kept as a dead letter with a log line, garbage instead of
#     JSON is retried, and the updates after them still arrive.
control raw-update '{"message": {"text": "no update id"}}' >/dev/null
control update '{"message": {"message_id": 9, "text": "no chat"}}' >/dev/null
control garbage '{"count": 1, "status": 502, "methods": ["getUpdates"]}' >/dev/null
update 777003 1 "After the bad ones"
wait_for_mail sales@shop.test $((n + 1)) 30 || bail "the good update after bad ones did not arrive"
tap_check "the good update still arrives" test -n "$(mail_with sales@shop.test '^Message-ID: <tg.777003.1@')"
tap_check "an update without update_id is kept, logged" \
	bash -c "ls '$H/spool/telegram/dead/' | grep -q '^unknown\.' && grep -q 'update without update_id' '$H/bridge.log'"
tap_check "an update without chat is kept, logged" \
	grep -q "status=dead (message without chat.id or message_id), kept as" "$H/bridge.log"
tap_check "garbage from the API is logged and retried" \
	grep -q "getUpdates: HTTP 502 with an answer that is not the Bot API's" "$H/bridge.log"
# its acknowledgement goes before the garbage, which is for the reply
wait_ack 777003
# a 200 that is not the Bot API's answer says nothing was sent: again
control garbage '{"count": 1, "status": 200, "methods": ["sendMessage"]}' >/dev/null
agent_swaks --to tg.777003@telegram.shop.test \
	--header "Subject: Re: After the bad ones" \
	--header "In-Reply-To: <tg.777003.1@telegram.shop.test>" \
	--body "Answer after garbage." || bail "reply not accepted"
wait_calls '.method == "sendMessage" and .params.text == "Answer after garbage."' 1 30 ||
	bail "the reply after a garbage answer did not arrive"
sleep 2
tap_is "$(texts 777003)" "Answer after garbage." "a garbage 200 is retried: the reply arrives, once"
tap_check "and the garbage is logged" \
	grep -q "sendMessage: HTTP 200 with an answer that is not the Bot API's" "$H/bridge.log"

# 11. Someone on the Internet pretends to be the Telegram customer: over
#     SMTP a chat address is no chat customer.  The mail is filed as
#     email, in a ticket of its own, and an agent's reply to it does not
#     reach the chat: Postfix bounces the recipient.
n=$(mail_count sales@shop.test)
send_mail tg.777001@telegram.shop.test sales@shop.test \
	--header 'From: "Ivan Petrov (Telegram)" <tg.777001@telegram.shop.test>' \
	--header "Subject: Please send the parcel to another address" \
	--header "Message-Id: <forged-1@example.net>" \
	--body "New address: Fake street 1." || bail "forged mail not accepted"
wait_for_mail sales@shop.test $((n + 1)) || bail "forged mail not delivered"
f=$(mail_with sales@shop.test '^Message-Id: <forged-1@example.net>')
tap_is "$(header_of "$f" X-Shopdesk-Channel)" email "a chat address over SMTP is filed as email"
tf=$(header_of "$f" X-Shopdesk-Ticket)
tap_check "in a ticket of its own, not the chat's ($tf)" test "$tf" != 1
tap_check "and the milter says why" \
	grep -q "sender <tg.777001@telegram.shop.test> is in \[channel telegram\]'s domain but was not submitted locally: filed as email" "$H/milter.log"
tap_check "no acknowledgement goes to a chat address by mail" \
	grep -q "ticket=$tf rule=new .*ack=none (sender in a messenger domain)" "$H/milter.log"
before=$(calls | jq -c 'select(.method == "sendMessage")' | wc -l)
agent_swaks --to tg.777001@telegram.shop.test \
	--header "Subject: Re: Please send the parcel to another address" \
	--header "In-Reply-To: <forged-1@example.net>" \
	--body "Done, the address is changed." || bail "reply to the forged mail not accepted"
for _ in $(seq 1 100); do
	grep -q "to=<tg.777001@telegram.shop.test>.*status=bounced" "$H/maillog" && break
	sleep 0.1
done
tap_check "the reply to it is not sent to the chat: Postfix bounces it" \
	grep -q "to=<tg.777001@telegram.shop.test>.*status=bounced (not sent by shopdesk" "$H/maillog"
tap_check "the milter logged why" \
	grep -q "ticket=$tf to=<tg.777001@telegram.shop.test>: the ticket is not of this channel: left to Postfix" "$H/milter.log"
sleep 2
tap_is "$(calls | jq -c 'select(.method == "sendMessage")' | wc -l)" "$before" \
	"and the fake got nothing"

# 11b. The same with only the From: header forged, the envelope the
#     stranger's own: the tag of the chat's ticket does not get it in.
n=$(mail_count sales@shop.test)
send_mail stranger@example.net sales@shop.test \
	--header 'From: "Ivan Petrov (Telegram)" <tg.777001@telegram.shop.test>' \
	--header "Subject: Re: [Ticket #1] change of address" \
	--header "Message-Id: <forged-2@example.net>" \
	--body "Send it to Fake street 2." || bail "forged mail not accepted"
wait_for_mail sales@shop.test $((n + 1)) || bail "forged mail not delivered"
f=$(mail_with sales@shop.test '^Message-Id: <forged-2@example.net>')
tf=$(header_of "$f" X-Shopdesk-Ticket)
tap_check "a forged From: does not enter the chat's ticket ($tf)" test "$tf" != 1
tap_is "$(json "$tf" .customer.address)" stranger@example.net \
	"its customer is the envelope sender"
tap_check "and the milter says so" \
	grep -q "From: <tg.777001@telegram.shop.test> is a messenger address on mail not from the bridge: customer <stranger@example.net> instead" "$H/milter.log"

# 11c. The outbox cannot be written: the agent's reply gets a 4xx and
#     nothing is lost; sent again once it can, it leaves exactly as the
#     first attempt would have (rewritten, copied to the queue mailbox)
#     and the chat gets it.
mv "$H/spool/outbox/tmp" "$H/spool/outbox/tmp.away"
touch "$H/spool/outbox/tmp"	# not a folder: even root cannot write
retry_reply() {
	agent_swaks --to tg.777001@telegram.shop.test \
		--header "Subject: Re: Telegram" \
		--header "In-Reply-To: <tg.777001.1@telegram.shop.test>" \
		--header "Message-Id: <retry-1@shop.test>" \
		--body "#pending
Your parcel is at the post office."
}
if retry_reply >"$H/retry.out" 2>&1; then
	tap_fail "outbox not writable: the reply is refused for now"
else
	tap_check "outbox not writable: the reply is refused for now (4xx)" \
		grep -q '<\*\* *4[0-9][0-9]' "$H/retry.out"
fi
rm "$H/spool/outbox/tmp"
mv "$H/spool/outbox/tmp.away" "$H/spool/outbox/tmp"
retry_reply >/dev/null 2>&1 || bail "the reply sent again was refused"
wait_calls '.method == "sendMessage" and .params.text == "Your parcel is at the post office."' 1 ||
	bail "the reply sent again did not reach the chat"
tap_ok "sent again, the reply reaches the chat, without its command"
f=$(wait_for_mail_with sales@shop.test '^Message-Id: <retry-1@shop.test>') ||
	bail "no copy of the reply sent again"
tap_is "$(header_of "$f" X-Shopdesk-Direction)" outbound \
	"and its copy in the queue mailbox is rewritten"
tap_check "with the command taken out" bash -c "! grep -q '^#pending' '$f'"

# 11d. The provider holds the acknowledgement up (a 429 asking for 4 s):
#     an agent's reply written meanwhile waits for it, and the chat reads
#     them in that order.
control fail '{"count": 1, "code": 429, "retry_after": 4, "methods": ["sendMessage"]}' >/dev/null
update 777005 1 "Is the blue lamp back in stock?"
wait_for_mail_with sales@shop.test '^Message-ID: <tg.777005.1@telegram.shop.test>' >/dev/null ||
	bail "the lamp question did not become mail"
agent_swaks --to tg.777005@telegram.shop.test \
	--header "Subject: Re: Is the blue lamp back in stock?" \
	--header "In-Reply-To: <tg.777005.1@telegram.shop.test>" \
	--body "Yes, since Monday." || bail "the quick reply was not accepted"
wait_calls '.params.text == "Yes, since Monday."' 1 ||
	bail "the quick reply did not arrive: $(tail -n 5 "$H/bridge.log")"
tap_check "the acknowledgement was held up by the 429" \
	grep -q "chat=777005: status=deferred (sendMessage: error 429" "$H/bridge.log"
tap_check "the reply waited for it" \
	grep -q "chat=777005: status=waiting (an earlier message to this chat is not sent yet)" "$H/bridge.log"
tap_is "$(calls | jq -r "select((.params.chat_id|tostring) == \"777005\") |
	if $IS_ACK then \"(the acknowledgement)\" else .params.text end" | paste -sd,)" \
	"(the acknowledgement),Yes, since Monday." "the chat reads the acknowledgement first, then the reply, each once"

# 12. Webhook instead of long polling: only requests with the secret
#     token header are taken.
stop_bridge
free_port > "$H/.port" || bail "no free port"
HOOK_PORT=$(cat "$H/.port")
printf 'sEcReT_42-x\n' > "$H/tg.secret"
chmod 600 "$H/tg.secret"
cat >> "$CONF" <<CONF
webhook_listen = 127.0.0.1:$HOOK_PORT
webhook_secret_file = $H/tg.secret
CONF
start_bridge
wait_port "$HOOK_PORT" || bail "the webhook does not listen: $(tail -n 5 "$H/bridge.log")"
HOOK=http://127.0.0.1:$HOOK_PORT/telegram
body='{"update_id": 5000, "message": {"message_id": 1, "date": 1796000000,
	"chat": {"id": 777004, "type": "private"},
	"from": {"id": 777004, "is_bot": false, "first_name": "Olga"},
	"text": "By webhook"}}'
hook() {	# hook [SECRET]: the HTTP status of posting $body
	curl -s -o /dev/null -w '%{http_code}' -X POST "$HOOK" \
		-H 'Content-Type: application/json' \
		${1:+-H "X-Telegram-Bot-Api-Secret-Token: $1"} --data-binary "$body"
}
n=$(mail_count sales@shop.test)
offset=$(cat "$H/spool/telegram/offset")
tap_is "$(hook)" 401 "webhook without the secret token: 401"
tap_is "$(hook wrong-secret)" 401 "webhook with a wrong secret token: 401"
tap_is "$(hook sEcReT_42-)" 401 "webhook with a prefix of the secret: 401"
sleep 1
tap_is "$(mail_count sales@shop.test)" "$n" "refused webhooks ingest nothing"
tap_is "$(cat "$H/spool/telegram/offset")" "$offset" "nor move the offset"
tap_check "refusals are logged" grep -q "webhook: POST /telegram from 127.0.0.1 without the secret token: refused (401)" "$H/bridge.log"
tap_is "$(hook sEcReT_42-x)" 200 "webhook with the secret token: 200"
wait_for_mail sales@shop.test $((n + 1)) || bail "the webhook's update did not become mail"
tap_check "and its message is mail" test -n "$(mail_with sales@shop.test '^Message-ID: <tg.777004.1@telegram.shop.test>')"
tap_is "$(hook sEcReT_42-x)" 200 "the same update again: 200"
sleep 1
tap_is "$(mail_count sales@shop.test)" "$((n + 1))" "and no second mail"
wait_ack 777004
tap_is "$(acks 777004 | wc -l)" 1 "and one acknowledgement in the chat"

# Slow clients cannot hold the webhook: 8 connections from one address
# trickling their headers, then 4 trickling a body.  At most 4 are kept
# per address, each for at most 10 s; the provider's posts go on.
python3 "$here/slow-client.py" 127.0.0.1 "$HOOK_PORT" 127.0.0.2 8 headers \
	> "$H/slow-headers.out" &
slow=$!
sleep 1
body='{"update_id": 5001, "message": {"message_id": 2, "date": 1796000000,
	"chat": {"id": 777004, "type": "private"},
	"from": {"id": 777004, "is_bot": false, "first_name": "Olga"},
	"text": "While they wait"}}'
tap_is "$(hook sEcReT_42-x)" 200 "a post while slow clients wait: 200"
wait "$slow"
tap_is "$(awk '$1 != "open" && $1 < 3' "$H/slow-headers.out" | wc -l)" 4 \
	"slow headers: 4 of 8 connections from one address refused at once"
tap_is "$(awk '$1 != "open" && $1 >= 9 && $1 < 16' "$H/slow-headers.out" | wc -l)" 4 \
	"slow headers: the other 4 closed after the 10 s deadline"
python3 "$here/slow-client.py" 127.0.0.1 "$HOOK_PORT" 127.0.0.3 4 body \
	> "$H/slow-body.out"
tap_is "$(awk '$1 != "open" && $1 >= 9 && $1 < 16' "$H/slow-body.out" | wc -l)" 4 \
	"slow body: closed after the 10 s deadline"
tap_check "slow posts are logged" \
	grep -q "webhook: a post from 127.0.0.3 took more than 10 s: connection closed" "$H/bridge.log"

tap_done
