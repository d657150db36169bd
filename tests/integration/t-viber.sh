#!/bin/bash
# End to end: Viber customers answered from email.  A fake Viber REST
# API (tests/fake/fake-viber.py) stands in for chatapi.viber.com and
# posts signed callbacks to the bridge, which turns each message into
# mail through the private Postfix; the milter acknowledges a new ticket
# in the chat, once, in the customer's Viber language; an agent answers
# through submission and the fake must receive exactly what the customer
# should see.  Then:
# 500s, 429s and "status" errors in 200 answers (each treated by its
# code), forged callbacks (401, nothing taken), delivery callbacks into
# the history, attachments Viber cannot take, long texts.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/harness.sh"

SHOPDESK_EXTRA="outbox_retry_min = 1s
outbox_retry_max = 3s"
# closed today and tomorrow (holidays of the shop's zone): the
# acknowledgement says so and when it opens, the day after at 09:00
TODAY=$(TZ=Europe/Vilnius date +%F)
OPENS=$(TZ=Europe/Vilnius date -d "$TODAY + 2 days" +%F)
SALES_EXTRA="hours = mon-sun 09:00-18:00
holidays = $TODAY;$(TZ=Europe/Vilnius date -d "$TODAY + 1 day" +%F)"
POSTFIX_EXTRA="transport_maps = inline:{ { viber.shop.test = error:5.1.1 not sent by shopdesk: a chat is answered within its ticket } }"
SUBMIT_EXTRA="  -o smtpd_reject_unlisted_recipient=no"
harness_init
free_port > "$H/.port" || bail "no free port"
VB_PORT=$(cat "$H/.port")
PORTS_TAKEN="$PORTS_TAKEN$VB_PORT "
free_port > "$H/.port" || bail "no free port"
HOOK_PORT=$(cat "$H/.port")
PORTS_TAKEN="$PORTS_TAKEN$HOOK_PORT "
TOKEN=445da6az1s345z78-dazcczb2542zv51a-e0vc5fva17480im9
printf '%s\n' "$TOKEN" > "$H/vb.token"
chmod 600 "$H/vb.token"
cat >> "$CONF" <<CONF

[channel viber]
api_url = http://127.0.0.1:$VB_PORT/pa
token_file = $H/vb.token
queue = sales
webhook_listen = 127.0.0.1:$HOOK_PORT
CONF

python3 "$top_srcdir/tests/fake/fake-viber.py" --port "$VB_PORT" \
	--token "$TOKEN" --webhook "http://127.0.0.1:$HOOK_PORT/viber" \
	> "$H/fake.out" 2> "$H/fake.log" &
FAKE_PID=$!
trap 'kill $FAKE_PID 2>/dev/null; harness_cleanup' EXIT
wait_port "$VB_PORT" || bail "fake Viber did not start"
start_stack
start_bridge
wait_port "$HOOK_PORT" || bail "the webhook does not listen: $(tail -n 5 "$H/bridge.log")"

VB=http://127.0.0.1:$VB_PORT
HOOK=http://127.0.0.1:$HOOK_PORT/viber
# Viber ids hold '+', '/' and '='; the address carries them in base32
ID1='tYqkXQmhIAuf+D7Ff/ntvQ=='
A1=vb.ormxc22ykfwwqskbovtcwrbxiztc63tuozit2pi@viber.shop.test
ID2='01234567890A='
A2=vb.gaytemzugu3doobzgbat2@viber.shop.test
json() { ctl show "$1" --json | jq -r "$2"; }
control() {
	curl -s -X POST "$VB/control/$1" -H 'Content-Type: application/json' \
		--data-binary "${2:-{\}}"
}
calls() { curl -s "$VB/control/calls"; }
# The acknowledgement is the text that names the ticket's tag; what the
# agents write never does here.
IS_ACK='(.body.text // "" | contains("[Ticket #"))'
texts() {	# texts ID: what send_message took for a receiver, one a line,
		# without the acknowledgement
	calls | jq -r --arg c "$1" "select(.body.receiver == \$c and ($IS_ACK | not)) | .body.text"
}
acks() {	# acks ID: the acknowledgements sent to a receiver, one JSON a line
	calls | jq -c --arg c "$1" "select(.body.receiver == \$c and $IS_ACK)"
}
wait_calls() {	# wait_calls JQ-FILTER N [SECONDS]
	for _ in $(seq 1 $(( ${3:-30} * 10 ))); do
		[ "$(calls | jq -c "select($1)" | wc -l)" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
# message ID TEXT [TOKEN] [SIGN] [LANGUAGE]: posts a text message from a
# sender whose Viber is set to LANGUAGE (en); the answer
message() {
	control event "{\"event\": \"message\", \"sign\": \"${4:-good}\"
		${3:+, \"message_token\": $3},
		\"sender\": {\"id\": \"$1\", \"name\": \"Ivan Petrov\",
			\"language\": \"${5:-en}\", \"country\": \"LT\", \"api_version\": 10},
		\"message\": {\"type\": \"text\", \"text\": $(jq -Rn --arg t "$2" '$t')}}"
}
callback() {	# callback EVENT TOKEN ID [DESC]: the bridge's status
	control event "{\"event\": \"$1\", \"message_token\": $2, \"user_id\": \"$3\"
		${4:+, \"desc\": \"$4\"}}" | jq -r .status
}
agent_swaks() {
	swaks --silent 2 --server 127.0.0.1 --port "$SUBMIT_PORT" \
		--auth PLAIN --auth-user ann@shop.test --auth-password secret \
		--helo client.example --from ann@shop.test "$@"
}
reply() {	# reply ADDRESS BODY [swaks options]: in reply to their first
	local to=$1 body=$2 first=4912661846655238145; shift 2
	[ "$to" = "$A2" ] && first=4912661846655238200
	agent_swaks --to "$to" --header "Subject: Re: Hello" \
		--header "In-Reply-To: <vb.$first@viber.shop.test>" \
		--body "$body" "$@"
}
delivered() {
	json "$1" "[.history[] | select(.event == \"delivery\" and .result == \"$2\")][0]"
}
wait_delivered() {
	for _ in $(seq 1 100); do
		[ "$(delivered "$1" "$2")" != null ] && return 0
		sleep 0.1
	done
	return 1
}
# wait_ids TICKET RESULT TOKEN: until the history has a delivery RESULT
# of that message_token
wait_ids() {
	for _ in $(seq 1 100); do
		json "$1" ".history[] | select(.event == \"delivery\" and .result == \"$2\") | .message_ids" |
			grep -qxF "$3" && return 0
		sleep 0.1
	done
	return 1
}
wait_ack() {	# wait_ack ID: until the receiver has its acknowledgement
	wait_calls ".body.receiver == \"$1\" and $IS_ACK" 1 ||
		bail "no acknowledgement to $1: $(tail -n 5 "$H/bridge.log")"
}
# vb_date LANGUAGE DATE-AND-TIME: as the templates write it, in the
# shop's zone
vb_date() {
	local days months d
	case $1 in
	uk)	days=(понеділок вівторок середа четвер пʼятниця субота неділя)
		months=(січня лютого березня квітня травня червня липня серпня вересня жовтня листопада грудня) ;;
	*)	days=(Monday Tuesday Wednesday Thursday Friday Saturday Sunday)
		months=(January February March April May June July August September October November December) ;;
	esac
	read -ra d <<<"$(TZ=Europe/Vilnius date -d "$2" '+%u %-d %-m %H:%M')"
	case $1 in
	uk)	echo "${days[d[0] - 1]}, ${d[1]} ${months[d[2] - 1]}, ${d[3]}" ;;
	*)	echo "${days[d[0] - 1]} ${d[1]} ${months[d[2] - 1]}, ${d[3]}" ;;
	esac
}

# 1. A customer writes: a mail in the queue mailbox, a viber ticket.
r=$(message "$ID1" "Hello, where is my order 1234?" 4912661846655238145)
tap_is "$(jq -r .status <<<"$r")" 200 "a signed callback: 200"
wait_for_mail sales@shop.test 1 || bail "the message did not become mail"
m1=$(mail_with sales@shop.test '^Message-ID: <vb.4912661846655238145@viber.shop.test>')
tap_check "Message-ID from the message_token" test -n "$m1"
tap_is "$(header_of "$m1" From)" "\"Ivan Petrov (Viber)\" <$A1>" \
	"From the sender's name and the base32 address"
tap_is "$(header_of "$m1" X-Shopdesk-Channel)" viber "X-Shopdesk-Channel: viber"
tap_is "$(header_of "$m1" X-Shopdesk-Ticket)" 1 "ticket 1"
tap_is "$(json 1 .channel)" viber "the ticket's channel is viber"
tap_is "$(json 1 .customer.address)" "$A1" "the customer is the chat address"

# 1a. The acknowledgement, in the chat, in the sender's language: the
#     shop is closed, so it says when it opens and the reply-by after.
wait_ack "$ID1"
a1=$(acks "$ID1" | head -n 1)
ack_text=$(jq -r .body.text <<<"$a1")
tap_check "the milter queued the acknowledgement for the chat" \
	grep -q "ticket=1 the acknowledgement in the chat: outbox=msg\.viber\.[A-Za-z0-9_-]*\.[0-9a-f]* queued" "$H/milter.log"
tap_check "no acknowledgement by mail to a chat customer" \
	bash -c "! grep -q 'ticket=1 the acknowledgement: outbox=' '$H/milter.log'"
tap_check "the acknowledgement names the ticket, in English" \
	grep -qF "Thank you, Ivan Petrov! Your message is ticket [Ticket #1]." <<<"$ack_text"
want=$(vb_date en "$OPENS 09:00")
tap_check "closed today: it says when the shop opens ($want)" \
	grep -qxF "We are closed now and open again $want." <<<"$ack_text"
want=$(vb_date en "$(json 1 .reply_by)")
tap_check "and the reply-by time in the shop's zone ($want)" \
	grep -qF "One of us will answer by $want (Europe/Vilnius time)." <<<"$ack_text"
tap_is "$(jq -r .body.sender.name <<<"$a1")" Sales "from the queue's name"

# 2. A picture: downloaded from its media URL and attached.
printf 'JPEGDATA-%.0s' $(seq 1 300) > "$H/photo.jpg"
url=$(control media "{\"name\": \"p1.jpg\", \"content_type\": \"image/jpeg\",
	\"data\": \"$(base64 -w0 "$H/photo.jpg")\"}" | jq -r .url)
control event "{\"event\": \"message\", \"message_token\": 4912661846655238146,
	\"sender\": {\"id\": \"$ID1\", \"name\": \"Ivan Petrov\"},
	\"message\": {\"type\": \"picture\", \"text\": \"Here is the box\",
		\"media\": \"$url\", \"thumbnail\": \"$url\"}}" >/dev/null
wait_for_mail sales@shop.test 2 || bail "the picture did not become mail"
m2=$(mail_with sales@shop.test '^Message-ID: <vb.4912661846655238146@')
tap_is "$(header_of "$m2" X-Shopdesk-Ticket)" 1 "the customer's next message joins their ticket"
tap_check "the picture's text is the body" grep -q "Here is the box" "$m2"
tap_check "the picture is attached, byte for byte" \
	bash -c "perl -MMIME::Base64 -0777 -ne 'print decode_base64(\$1) if /Content-Type: image\/jpeg.*?\r?\n\r?\n([A-Za-z0-9+\/=\r\n]+)/s' '$m2' | cmp -s - '$H/photo.jpg'"
tap_check "the second message gets no acknowledgement: not a new ticket" \
	grep -q "ticket=1 rule=.*ack=none (not a new ticket)" "$H/milter.log"

# 3. The agent answers: the fake gets the raw Viber id and the new
#    words only, from the queue's name.
reply "$A1" "We found it: it leaves today.

On Mon, 30 Nov 2026, Ivan Petrov wrote:
> Hello, where is my order 1234?" ||
	bail "reply not accepted"
wait_calls "$IS_ACK | not" 1 || bail "no send_message: $(tail -n 5 "$H/bridge.log")"
c1=$(calls | jq -c "select($IS_ACK | not)" | head -1)
tap_is "$(jq -r .body.receiver <<<"$c1")" "$ID1" "send_message: the customer's own id, decoded"
tap_is "$(jq -r .body.text <<<"$c1")" "We found it: it leaves today." "send_message: the reply without the quote"
tap_is "$(jq -r .body.sender.name <<<"$c1")" Sales "send_message: from the queue's name"
wait_for_mail sales@shop.test 3 || bail "no copy of the reply"
copy=$(mail_with sales@shop.test '^X-Shopdesk-Direction: outbound')
tap_is "$(header_of "$copy" X-Shopdesk-Channel)" viber "the copy in the queue mailbox says viber"
tap_is "$(acks "$ID1" | wc -l)" 1 "one acknowledgement in the chat for the two messages"
tap_check "the acknowledgement went before the agent's reply" \
	test "$(jq .n <<<"$a1")" -lt "$(jq .n <<<"$c1")"
tap_check "the ticket's history has the message_token" \
	wait_ids 1 sent "$(jq -r .token <<<"$c1")"
tap_check "and the acknowledgement's" wait_ids 1 sent "$(jq -r .token <<<"$a1")"

# 4. Viber reports it delivered and seen.
tap_is "$(callback delivered "$(jq -r .token <<<"$c1")" "$ID1")" 200 "a delivered callback: 200"
callback seen "$(jq -r .token <<<"$c1")" "$ID1" >/dev/null
wait_delivered 1 read || bail "no read event: $(tail -n 5 "$H/bridge.log")"
tap_check "delivered is in the history" test "$(delivered 1 delivered)" != null
tap_is "$(delivered 1 read | jq -r .message_ids)" "$(jq -r .token <<<"$c1")" \
	"seen is in the history as read"
callback seen "$(jq -r .token <<<"$a1")" "$ID1" >/dev/null
tap_check "the acknowledgement seen is in the history too" \
	wait_ids 1 read "$(jq -r .token <<<"$a1")"

# 5. A reply with a file: Viber takes files only by URL, which the
#    bridge does not serve: the text says so, the log says why.
printf '%%PDF-1.4 fake label %.0s' $(seq 1 50) > "$H/label.pdf"
reply "$A1" "Your label." --attach-type application/pdf --attach-name label.pdf \
	--attach "@$H/label.pdf" || bail "reply with a file not accepted"
wait_calls '.body.text | startswith("Your label.")' 1 || bail "the reply with a file was not sent"
tap_is "$(texts "$ID1" | tail -n 3)" "Your label.

[attachment not sent: label.pdf]" "the text names the attachment not sent"
tap_check "and the log says why" \
	grep -q "chat=$ID1: attachment \"label.pdf\" (application/pdf) not sent: Viber takes files only by URL" "$H/bridge.log"

# 6. The API fails for a while: HTTP 500s, a 429, status 12
#    (tooManyRequests) and 2 (invalidAuthToken) in 200 answers: three
#    replies arrive afterwards, once, in order.
control fail '{"count": 2, "http": 500}' >/dev/null
control fail '{"count": 1, "http": 429}' >/dev/null
control fail '{"count": 1, "status": 12}' >/dev/null
control fail '{"count": 1, "status": 2}' >/dev/null
for n in one two three; do
	reply "$A1" "Reply $n." || bail "reply $n not accepted"
done
wait_calls '.body.text | startswith("Reply ")' 3 60 ||
	bail "replies did not arrive: $(tail -n 20 "$H/bridge.log")"
sleep 3
tap_is "$(texts "$ID1" | grep '^Reply ' | paste -sd,)" "Reply one.,Reply two.,Reply three." \
	"after 500s, 429 and status errors: every reply once, in order"
tap_check "an HTTP 500 was deferred" grep -q "status=deferred (send_message: HTTP 500); next try" "$H/bridge.log"
# after the 429 and after status 12 nothing is sent for 5 s, to any chat
pause_kept() {	# pause_kept HTTP STATUS: seconds to the next call
	local t next
	t=$(curl -s "$VB/control/refused" |
		jq -r "select(.http == $1 and .status == $2) | .time" | head -n 1)
	next=$( { curl -s "$VB/control/refused"; calls; } |
		jq -r --argjson t "$t" 'select(.time > $t) | .time' | sort -n |
		head -n 1)
	awk -v a="$t" -v b="$next" 'BEGIN { exit !(b - a >= 4.9) }'
}
tap_check "after a 429 Viber is left alone for 5 s" pause_kept 429 0
tap_check "after status 12 (tooManyRequests) too" pause_kept 200 12
tap_check "status 12 in a 200 was deferred" \
	grep -q "status=deferred (send_message: status 12: tooManyRequests)" "$H/bridge.log"
tap_check "status 2 in a 200 was deferred" \
	grep -q "status=deferred (send_message: status 2: invalidAuthToken)" "$H/bridge.log"

# 7. A 200 whose status says the customer is gone (6, not subscribed):
#    a dead letter at once and a notice to the agent.
n=$(mail_count sales@shop.test)
message "$ID2" "Do you ship to Riga?" 4912661846655238200 good uk >/dev/null
wait_for_mail sales@shop.test $((n + 1)) || bail "the second customer's message did not become mail"
# acknowledged before the customer unsubscribes, in their Viber's
# Ukrainian (the words are English)
wait_ack "$ID2"
tap_is "$(json 2 .customer.address)" "$A2" "the second customer's ticket is 2"
ack_text=$(acks "$ID2" | jq -r .body.text)
tap_check "the acknowledgement is in the sender's language, Ukrainian" \
	grep -qF "Дякуємо, Ivan Petrov! Ваше звернення — заявка [Ticket #2]." <<<"$ack_text"
want=$(vb_date uk "$OPENS 09:00")
tap_check "and says, in Ukrainian, when the shop opens ($want)" \
	grep -qxF "Зараз ми не працюємо і відкриємося $want." <<<"$ack_text"
control unsubscribe "{\"id\": \"$ID2\"}" >/dev/null
before_ann=$(mail_count ann@shop.test)
reply "$A2" "Yes, in three days." --header "Message-Id: <riga-1@shop.test>" ||
	bail "reply not accepted"
wait_for_mail ann@shop.test $((before_ann + 1)) || bail "no notice: $(tail -n 5 "$H/bridge.log")"
tap_check "status 6 in a 200 is a dead letter at once" \
	grep -q "chat=$ID2: status=dead (send_message: status 6: receiverNotSubscribed)" "$H/bridge.log"
notice=$(mail_files ann@shop.test | tail -n 1)
tap_check "the agent's notice names the reason" grep -q "receiverNotSubscribed" "$notice"
tap_is "$(header_of "$notice" In-Reply-To)" "<riga-1@shop.test>" "the notice answers the agent's mail"
tap_is "$(texts "$ID2")" "" "and nothing reached the fake"

# 8. Forged callbacks: 401 and nothing taken.
n=$(mail_count sales@shop.test)
tap_is "$(message "$ID1" "Send the parcel elsewhere" 1 none | jq -r .status)" 401 \
	"a callback without X-Viber-Content-Signature: 401"
tap_is "$(message "$ID1" "Send the parcel elsewhere" 2 bad | jq -r .status)" 401 \
	"a callback with a wrong signature: 401"
sleep 1
tap_is "$(mail_count sales@shop.test)" "$n" "refused callbacks ingest nothing"
tap_check "refusals are logged" \
	grep -q "viber: webhook: POST /viber from 127.0.0.1 without X-Viber-Content-Signature: refused (401), nothing taken" "$H/bridge.log"

# 9. The same message posted again, subscriptions, a conversation
#    started: no mail.
message "$ID1" "Hello, where is my order 1234?" 4912661846655238145 >/dev/null
control event "{\"event\": \"subscribed\", \"user\": {\"id\": \"$ID1\", \"name\": \"Ivan\"}}" >/dev/null
control event "{\"event\": \"conversation_started\", \"type\": \"open\",
	\"user\": {\"id\": \"new+user/1=\", \"name\": \"Nina\"}, \"subscribed\": false}" >/dev/null
sleep 1
tap_is "$(mail_count sales@shop.test)" "$n" "a repeated message, subscribed, conversation_started: no mail"
tap_check "the repeat is logged" grep -q "message 4912661846655238145: chat=$ID1 handled before, skipped" "$H/bridge.log"
tap_is "$(acks "$ID1" | wc -l)" 1 "and no second acknowledgement"

# 10. A text longer than Viber's 7000 characters goes in pieces, every
#     line whole and in order.
long=$(for i in $(seq 1 400); do printf 'Line %03d of the long answer, with some words.\n' "$i"; done)
before=$(calls | wc -l)
reply "$A1" "$long" || bail "long reply not accepted"
wait_calls '.body.text | startswith("Line ")' 3 30 || bail "the long reply did not arrive"
sleep 2
calls | jq -r 'select(.body.text | startswith("Line ")) | .body.text' > "$H/pieces"
tap_is "$(calls | jq -r 'select(.body.text | startswith("Line ")) | .body.text | length <= 7000' | sort -u)" true \
	"pieces of at most 7000 characters"
tap_is "$(calls | jq -c 'select(.body.text | startswith("Line "))' | wc -l)" 3 "three of them"
tap_is "$(cat "$H/pieces")" "$long" "every line arrives whole, in order"

# 11. Viber reports a message failed: the history and the agent learn it.
tok=$(calls | jq -r 'select(.body.text == "Reply three.") | .token')
before_ann=$(mail_count ann@shop.test)
tap_is "$(callback failed "$tok" "$ID1" "the receiver blocked the account")" 200 "a failed callback: 200"
wait_delivered 1 failed || bail "no failed event"
tap_is "$(delivered 1 failed | jq -r .why)" "the receiver blocked the account" "the history says why"
wait_for_mail ann@shop.test $((before_ann + 1)) || bail "no notice after a failed callback"
tap_check "the agent is told" grep -q "the receiver blocked the account" "$(mail_files ann@shop.test | tail -n 1)"

tap_done
