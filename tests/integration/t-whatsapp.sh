#!/bin/bash
# End to end: WhatsApp customers answered from email.  A fake Graph API
# (tests/fake/fake-whatsapp.py) stands in for graph.facebook.com and
# posts signed webhooks to the bridge, which turns each message into
# mail through the private Postfix; the milter acknowledges a new
# ticket in the chat, once; an agent answers with s-nail or
# swaks through submission, and the fake must receive exactly what the
# customer should see.  Then: 500s, 429s and rate-limit errors (every
# reply once, in order), forged webhooks (401, nothing taken), delivery
# statuses into the history, and the 24-hour window closed (a notice to
# the agent without a template, the template with one).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/harness.sh"

SHOPDESK_EXTRA="outbox_retry_min = 1s
outbox_retry_max = 3s"
POSTFIX_EXTRA="transport_maps = inline:{ { whatsapp.shop.test = error:5.1.1 not sent by shopdesk: a chat is answered within its ticket } }"
SUBMIT_EXTRA="  -o smtpd_reject_unlisted_recipient=no"
harness_init
free_port > "$H/.port" || bail "no free port"
WA_PORT=$(cat "$H/.port")
PORTS_TAKEN="$PORTS_TAKEN$WA_PORT "
free_port > "$H/.port" || bail "no free port"
HOOK_PORT=$(cat "$H/.port")
PORTS_TAKEN="$PORTS_TAKEN$HOOK_PORT "
TOKEN=EAAGtestTOKEN123abc
SECRET=app-secret-7f3a
VERIFY=verify-me-42
PNID=106540352242922
printf '%s\n' "$TOKEN" > "$H/wa.token"
printf '%s\n' "$SECRET" > "$H/wa.secret"
printf '%s\n' "$VERIFY" > "$H/wa.verify"
chmod 600 "$H/wa.token" "$H/wa.secret" "$H/wa.verify"
cat >> "$CONF" <<CONF

[channel whatsapp]
api_url = http://127.0.0.1:$WA_PORT/v19.0
token_file = $H/wa.token
queue = sales
phone_number_id = $PNID
webhook_listen = 127.0.0.1:$HOOK_PORT
app_secret_file = $H/wa.secret
verify_token_file = $H/wa.verify
CONF

# the fake serves /v19.0/... as / (its paths ignore the version)
python3 "$top_srcdir/tests/fake/fake-whatsapp.py" --port "$WA_PORT" \
	--token "$TOKEN" --phone-number-id "$PNID" --app-secret "$SECRET" \
	--webhook "http://127.0.0.1:$HOOK_PORT/whatsapp" \
	> "$H/fake.out" 2> "$H/fake.log" &
FAKE_PID=$!
trap 'kill $FAKE_PID 2>/dev/null; harness_cleanup' EXIT
wait_port "$WA_PORT" || bail "fake WhatsApp did not start"
start_stack
start_bridge
wait_port "$HOOK_PORT" || bail "the webhook does not listen: $(tail -n 5 "$H/bridge.log")"

WA=http://127.0.0.1:$WA_PORT
HOOK=http://127.0.0.1:$HOOK_PORT/whatsapp
json() { ctl show "$1" --json | jq -r "$2"; }
control() {	# control WHAT [JSON]: the fake's answer
	curl -s -X POST "$WA/control/$1" -H 'Content-Type: application/json' \
		--data-binary "${2:-{\}}"
}
calls() { curl -s "$WA/control/calls"; }
# The acknowledgement is the text that names the ticket's tag; what the
# agents write never does here.
IS_ACK='(.body.type == "text" and (.body.text.body | contains("[Ticket #")))'
# texts WA_ID: the text bodies sent to a customer, one a line, without
# the acknowledgement
texts() {
	calls | jq -r --arg c "$1" \
		"select(.path == \"messages\" and .body.to == \$c and .body.type == \"text\" and ($IS_ACK | not)) | .body.text.body"
}
acks() {	# acks WA_ID: the acknowledgements sent to a customer, one JSON a line
	calls | jq -c --arg c "$1" \
		"select(.path == \"messages\" and .body.to == \$c and $IS_ACK)"
}
wait_calls() {	# wait_calls JQ-FILTER N [SECONDS]
	for _ in $(seq 1 $(( ${3:-30} * 10 ))); do
		[ "$(calls | jq -c "select($1)" | wc -l)" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
# inbound WA_ID WAMID TEXT [NAME] [TIMESTAMP] [SIGN]: the bridge's status
inbound() {
	control inbound "{\"sign\": \"${6:-good}\",
		\"contacts\": [{\"profile\": {\"name\": \"${4:-Ivan Petrov}\"}, \"wa_id\": \"$1\"}],
		\"messages\": [{\"from\": \"$1\", \"id\": \"$2\",
			\"timestamp\": \"${5:-$(date +%s)}\", \"type\": \"text\",
			\"text\": {\"body\": $(jq -Rn --arg t "$3" '$t')}}]}" | jq -r .status
}
status_hook() {	# status_hook WAMID STATUS WA_ID [ERRORS-JSON]
	control inbound "{\"statuses\": [{\"id\": \"$1\", \"status\": \"$2\",
		\"timestamp\": \"$(date +%s)\", \"recipient_id\": \"$3\"
		${4:+, \"errors\": $4}}]}" | jq -r .status
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
delivered() {	# delivered TICKET RESULT: the first such delivery event
	json "$1" "[.history[] | select(.event == \"delivery\" and .result == \"$2\")][0]"
}
wait_delivered() {
	for _ in $(seq 1 100); do
		[ "$(delivered "$1" "$2")" != null ] && return 0
		sleep 0.1
	done
	return 1
}
# ids TICKET RESULT: the wamids of the delivery events RESULT, a line each
ids() {
	json "$1" ".history[] | select(.event == \"delivery\" and .result == \"$2\") | .message_ids"
}
wait_ids() {	# wait_ids TICKET RESULT WAMID: until the history has it
	for _ in $(seq 1 100); do
		ids "$1" "$2" | grep -qxF "$3" && return 0
		sleep 0.1
	done
	return 1
}
# en_date ISO-TIME: the time as the English templates write it, in the
# shop's zone
en_date() { LC_ALL=C TZ=Europe/Vilnius date -d "$1" '+%A %-d %B, %H:%M'; }
# open_now: whether the queue's hours (the default, Mon-Fri 09:00-18:00
# in Europe/Vilnius) are open now
open_now() {
	local d
	read -ra d <<<"$(TZ=Europe/Vilnius date '+%u %H%M')"
	(( d[0] <= 5 && 10#${d[1]} >= 900 && 10#${d[1]} < 1800 ))
}

# 0. Meta verifies the webhook: the challenge comes back only for the
#    verify token.
tap_is "$(curl -s "$HOOK?hub.mode=subscribe&hub.verify_token=$VERIFY&hub.challenge=1158201444")" \
	1158201444 "webhook verification: the challenge is echoed"
tap_is "$(curl -s -o /dev/null -w '%{http_code}' "$HOOK?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1")" \
	403 "webhook verification with a wrong token: 403"

# 1. A customer writes: a mail in the queue mailbox, a whatsapp ticket.
W1=wamid.HBgLMzcwNjAwMDAwMDEVAgASGBQzQUFBQUFBQUFBQUFBQUFBQUFBAA==
tap_is "$(inbound 37060000001 "$W1" "Hello, where is my order 1234?")" 200 \
	"a signed webhook: 200"
wait_for_mail sales@shop.test 1 || bail "the message did not become mail"
m1=$(mail_with sales@shop.test "^Message-ID: <wa.$W1@whatsapp.shop.test>")
tap_check "Message-ID from the wamid" test -n "$m1"
tap_check "From the customer's profile name and wa_id" \
	grep -q '^From: "Ivan Petrov (WhatsApp)" <wa.37060000001@whatsapp.shop.test>' "$m1"
tap_is "$(header_of "$m1" X-Shopdesk-Channel)" whatsapp "X-Shopdesk-Channel: whatsapp"
tap_is "$(header_of "$m1" X-Shopdesk-Ticket)" 1 "ticket 1"
tap_check "the words are the body" grep -q "where is my order 1234" "$m1"
tap_is "$(json 1 .channel)" whatsapp "the ticket's channel is whatsapp"
tap_is "$(json 1 .customer.address)" wa.37060000001@whatsapp.shop.test \
	"the customer is the chat address"
tap_check "the window is kept" test -s "$H/spool/whatsapp/window/37060000001"

# 1a. The acknowledgement comes in the chat, in the words' language (no
#     language from WhatsApp), never by mail.
if open_now; then open=1; else open=0; fi
wait_calls "$IS_ACK" 1 || bail "no acknowledgement in the chat: $(tail -n 5 "$H/bridge.log")"
a1=$(acks 37060000001 | head -n 1)
ack_text=$(jq -r .body.text.body <<<"$a1")
tap_check "the milter queued the acknowledgement for the chat" \
	grep -q "ticket=1 the acknowledgement in the chat: outbox=msg\.whatsapp\.37060000001\.[0-9a-f]* queued" "$H/milter.log"
tap_check "no acknowledgement by mail to a chat customer" \
	bash -c "! grep -q 'ticket=1 the acknowledgement: outbox=' '$H/milter.log'"
tap_check "the acknowledgement names the ticket, in English" \
	grep -qF "Thank you, Ivan Petrov! Your message is ticket [Ticket #1]." <<<"$ack_text"
want=$(en_date "$(json 1 .reply_by)")
tap_check "and the reply-by time in the shop's zone ($want)" \
	grep -qF "One of us will answer by $want (Europe/Vilnius time)." <<<"$ack_text"
if [ "$open" = 1 ]; then
	tap_check "open now: it does not say the shop is closed" \
		bash -c '! grep -q "closed" <<<"$1"' _ "$ack_text"
else
	tap_check "closed now: it says when the shop opens" \
		grep -qE "^We are closed now and open again [A-Z][a-z]+day [0-9]+ [A-Z][a-z]+, 09:00\.$" <<<"$ack_text"
fi
tap_check "with the hours" grep -qxF "Mon–Fri 09:00–18:00" <<<"$ack_text"

# 2. An image with a caption: fetched with the token, attached.
printf 'JPEGDATA-%.0s' $(seq 1 300) > "$H/photo.jpg"
control media "{\"id\": \"1013859600285441\", \"mime_type\": \"image/jpeg\",
	\"data\": \"$(base64 -w0 "$H/photo.jpg")\"}" >/dev/null
control inbound "{\"contacts\": [{\"profile\": {\"name\": \"Ivan Petrov\"}, \"wa_id\": \"37060000001\"}],
	\"messages\": [{\"from\": \"37060000001\", \"id\": \"wamid.IMG1\",
	\"timestamp\": \"$(date +%s)\", \"type\": \"image\",
	\"image\": {\"caption\": \"Here is the box\", \"mime_type\": \"image/jpeg\",
		\"sha256\": \"x\", \"id\": \"1013859600285441\"}}]}" >/dev/null
wait_for_mail sales@shop.test 2 || bail "the image did not become mail"
m2=$(mail_with sales@shop.test '^Message-ID: <wa.wamid.IMG1@whatsapp.shop.test>')
tap_is "$(header_of "$m2" X-Shopdesk-Ticket)" 1 "the customer's next message joins their ticket"
tap_check "the caption is the text" grep -q "Here is the box" "$m2"
tap_check "the image is attached, byte for byte" \
	bash -c "perl -MMIME::Base64 -0777 -ne 'print decode_base64(\$1) if /Content-Type: image\/jpeg.*?\r?\n\r?\n([A-Za-z0-9+\/=\r\n]+)/s' '$m2' | cmp -s - '$H/photo.jpg'"
tap_check "the second message gets no acknowledgement: not a new ticket" \
	grep -q "ticket=1 rule=.*ack=none (not a new ticket)" "$H/milter.log"

# 3. The agent answers with a real client: the customer gets only the
#    new words.
snail "Reply 1" "We found it: it leaves today." "" \
	"On Mon, 30 Nov 2026, Ivan Petrov wrote:" \
	"> Hello, where is my order 1234?" "" "-- " "Ann, Shop Example" "~." ||
	bail "s-nail failed: $(cat "$H/snail.log")"
wait_calls ".path == \"messages\" and ($IS_ACK | not)" 1 ||
	bail "no message sent: $(tail "$H/bridge.log")"
tap_is "$(texts 37060000001)" "We found it: it leaves today." \
	"messages: the reply without quote and signature"
reply1=$(calls | jq -c 'select(.path == "messages" and .body.text.body == "We found it: it leaves today.")')
tap_is "$(jq -r .body.messaging_product <<<"$reply1")" \
	whatsapp "messages: messaging_product whatsapp"
tap_is "$(acks 37060000001 | wc -l)" 1 "one acknowledgement in the chat for the two messages"
tap_check "the acknowledgement went before the agent's reply" \
	test "$(jq .n <<<"$a1")" -lt "$(jq .n <<<"$reply1")"
wait_for_mail sales@shop.test 3 || bail "no copy of the reply in the queue mailbox"
copy=$(mail_with sales@shop.test '^X-Shopdesk-Direction: outbound')
tap_check "the reply is in the queue mailbox" test -n "$copy"
tap_is "$(header_of "$copy" X-Shopdesk-Channel)" whatsapp "the copy says channel whatsapp"
tap_check "Postfix never tried to deliver to the chat address" \
	bash -c "! grep -q 'to=<wa.37060000001@whatsapp.shop.test>' '$H/maillog'"
w_reply=$(jq -r .id <<<"$reply1")
w_ack=$(jq -r .id <<<"$a1")
wait_ids 1 sent "$w_reply" || bail "no delivery event"
tap_check "the ticket's history has the wamid" wait_ids 1 sent "$w_reply"
tap_check "and the acknowledgement's" wait_ids 1 sent "$w_ack"

# 4. Meta reports it delivered and read: both in the history.
tap_is "$(status_hook "$w_reply" delivered 37060000001)" 200 "a status webhook: 200"
status_hook "$w_reply" read 37060000001 >/dev/null
status_hook "$w_reply" read 37060000001 >/dev/null
wait_delivered 1 read || bail "no read event: $(tail -n 5 "$H/bridge.log")"
tap_is "$(delivered 1 delivered | jq -r .message_ids)" "$w_reply" "delivered is in the history"
tap_is "$(delivered 1 read | jq -r .message_ids)" "$w_reply" "read is in the history"
tap_is "$(json 1 '[.history[] | select(.event == "delivery" and .result == "read")] | length')" 1 \
	"a status reported twice is recorded once"
status_hook "$w_ack" read 37060000001 >/dev/null
tap_check "the acknowledgement read is in the history too" wait_ids 1 read "$w_ack"

# 5. A PDF reply: uploaded, then sent as a document by its media id.
printf '%%PDF-1.4 fake label %.0s' $(seq 1 50) > "$H/label.pdf"
agent_swaks --to wa.37060000001@whatsapp.shop.test \
	--header "Subject: Re: Hello, where is my order 1234?" \
	--header "In-Reply-To: <wa.$W1@whatsapp.shop.test>" \
	--body "Your label is attached." --attach-type application/pdf \
	--attach-name label.pdf --attach "@$H/label.pdf" || bail "reply with a file not accepted"
wait_calls '.path == "messages" and .body.type == "document"' 1 ||
	bail "no document sent: $(tail -n 5 "$H/bridge.log")"
up=$(calls | jq -c 'select(.path == "media")' | head -1)
tap_is "$(jq -r .file.sha256 <<<"$up")" "$(sha256sum < "$H/label.pdf" | cut -d' ' -f1)" \
	"media upload: the file's bytes"
tap_is "$(jq -r .file.type <<<"$up")" application/pdf "media upload: its type"
doc=$(calls | jq -c 'select(.path == "messages" and .body.type == "document")' | head -1)
tap_is "$(jq -r .body.document.id <<<"$doc")" "$(jq -r .id <<<"$up")" "the document is sent by the uploaded id"
tap_is "$(jq -r .body.document.filename <<<"$doc")" label.pdf "with its file name"
tap_is "$(texts 37060000001 | tail -1)" "Your label is attached." "text first, then the file"

# 6. The API fails for a while (500s, a 429, rate-limit error 130429):
#    three replies written meanwhile arrive afterwards, once, in order.
control fail '{"count": 2, "http": 500, "paths": ["messages"]}' >/dev/null
control fail '{"count": 1, "http": 429, "code": 80007, "message": "Rate limit hit", "paths": ["messages"]}' >/dev/null
control fail '{"count": 1, "http": 400, "code": 130429, "message": "Rate limit hit", "paths": ["messages"]}' >/dev/null
for n in one two three; do
	agent_swaks --to wa.37060000001@whatsapp.shop.test \
		--header "Subject: Re: Hello, where is my order 1234?" \
		--header "In-Reply-To: <wa.$W1@whatsapp.shop.test>" \
		--body "Reply $n." || bail "reply $n not accepted"
done
wait_calls '.path == "messages" and .body.type == "text" and (.body.text.body | startswith("Reply "))' 3 60 ||
	bail "replies did not arrive: $(tail -n 20 "$H/bridge.log")"
sleep 3	# a duplicate would come now
tap_is "$(texts 37060000001 | grep '^Reply ' | paste -sd,)" "Reply one.,Reply two.,Reply three." \
	"after 500s and rate limits: every reply once, in order"
tap_check "a 500 was deferred" \
	grep -q "status=deferred (text: HTTP 500 with an answer that is not the Graph API's" "$H/bridge.log"
tap_check "rate-limit error 130429 was deferred" \
	grep -q "status=deferred (text: error 130429: Rate limit hit)" "$H/bridge.log"
tap_check "a later reply waited for the earlier one" \
	grep -q "status=waiting (an earlier message to this chat is not sent yet)" "$H/bridge.log"

# 7. Forged webhooks: no signature, a wrong one: 401, nothing taken.
n=$(mail_count sales@shop.test)
tap_is "$(inbound 37060000009 wamid.FORGED1 "Send the parcel elsewhere" Mallory "" none)" 401 \
	"a webhook without X-Hub-Signature-256: 401"
tap_is "$(inbound 37060000009 wamid.FORGED2 "Send the parcel elsewhere" Mallory "" bad)" 401 \
	"a webhook with a wrong signature: 401"
tap_is "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$HOOK" -H 'Content-Type: application/json' \
	-H 'X-Hub-Signature-256: sha256=' --data-binary '{"object":"whatsapp_business_account"}')" 401 \
	"an empty signature: 401"
sleep 1
tap_is "$(mail_count sales@shop.test)" "$n" "refused webhooks ingest nothing"
tap_check "no window for the forger" test ! -e "$H/spool/whatsapp/window/37060000009"
tap_check "refusals are logged" \
	grep -q "whatsapp: webhook: POST /whatsapp from 127.0.0.1 without X-Hub-Signature-256: refused (401), nothing taken" "$H/bridge.log"

# 8. The same message posted again: no second mail.
tap_is "$(inbound 37060000001 "$W1" "Hello, where is my order 1234?")" 200 "a repeated post: 200"
sleep 1
tap_is "$(mail_count sales@shop.test)" "$n" "and no second mail"

# 9. The 24-hour window is closed: a customer whose last message is 25
#    hours old.  Without a template the reply is not tried: the agent is
#    told why.
old=$(( $(date +%s) - 25 * 3600 ))
inbound 37060000002 wamid.OLD1 "Is the lamp in stock?" "Olga Ivanova" "$old" >/dev/null
wait_for_mail sales@shop.test $((n + 1)) || bail "the old message did not become mail"
t2=$(header_in sales@shop.test '^Message-ID: <wa.wamid.OLD1@' X-Shopdesk-Ticket)
tap_check "another customer, another ticket ($t2)" test "$t2" -gt 1
for _ in $(seq 1 100); do
	grep -q "ticket=$t2 channel=whatsapp chat=37060000002: status=dead" "$H/bridge.log" && break
	sleep 0.1
done
tap_check "its acknowledgement cannot go either: the window is closed" \
	grep -q "ticket=$t2 channel=whatsapp chat=37060000002: status=dead (the customer's 24-hour WhatsApp window is closed" "$H/bridge.log"
before_ann=$(mail_count ann@shop.test)
agent_swaks --to wa.37060000002@whatsapp.shop.test \
	--header "Subject: Re: Is the lamp in stock?" \
	--header "In-Reply-To: <wa.wamid.OLD1@whatsapp.shop.test>" \
	--header "Message-Id: <lamp-1@shop.test>" \
	--body "Yes, two are left." || bail "reply not accepted"
wait_for_mail ann@shop.test $((before_ann + 1)) || bail "no notice to the agent: $(tail -n 5 "$H/bridge.log")"
notice=$(mail_files ann@shop.test | tail -n 1)
tap_check "the notice says the window is closed" grep -q "24-hour WhatsApp window is" "$notice"
tap_check "and that no template is configured" grep -q "no template is configured" "$notice"
tap_is "$(header_of "$notice" In-Reply-To)" "<lamp-1@shop.test>" "the notice answers the agent's mail"
tap_is "$(calls | jq -c 'select(.path == "messages" and .body.to == "37060000002")' | wc -l)" 0 \
	"nothing was sent to the customer"
wait_delivered "$t2" dead || bail "no dead event"
tap_check "the history says why" bash -c "'$CTL_BIN' -c '$CONF' show $t2 --json | jq -r '.history[] | select(.result == \"dead\") | .why' | grep -q 'window is closed'"

# 9b. Meta knows better: our record says the window is open, Meta says
#     131047.  Also a notice.
control window '{"wa_id": "37060000001", "last": 1}' >/dev/null
before_ann=$(mail_count ann@shop.test)
agent_swaks --to wa.37060000001@whatsapp.shop.test \
	--header "Subject: Re: Hello, where is my order 1234?" \
	--header "In-Reply-To: <wa.$W1@whatsapp.shop.test>" \
	--body "Are you still there?" || bail "reply not accepted"
wait_for_mail ann@shop.test $((before_ann + 1)) || bail "no notice after 131047: $(tail -n 5 "$H/bridge.log")"
notice=$(mail_files ann@shop.test | tail -n 1)
tap_check "131047 from the API: the notice says so" grep -q "error 131047: Re-engagement message" "$notice"

# 10. With a template configured, a closed window gets the template in
#     the text's place, and the agent learns their words did not go.
stop_bridge
printf 'template = order_followup\ntemplate_language = en\n' >> "$CONF"
start_bridge
wait_port "$HOOK_PORT" || bail "the webhook does not listen again"
before_ann=$(mail_count ann@shop.test)
agent_swaks --to wa.37060000002@whatsapp.shop.test \
	--header "Subject: Re: Is the lamp in stock?" \
	--header "In-Reply-To: <wa.wamid.OLD1@whatsapp.shop.test>" \
	--body "We have reserved one for you." || bail "reply not accepted"
wait_calls '.path == "messages" and .body.to == "37060000002"' 1 ||
	bail "no template sent: $(tail -n 5 "$H/bridge.log")"
t=$(calls | jq -c 'select(.path == "messages" and .body.to == "37060000002")' | head -1)
tap_is "$(jq -r .body.type <<<"$t")" template "a closed window: a template is sent"
tap_is "$(jq -r .body.template.name <<<"$t")" order_followup "the configured template"
tap_is "$(jq -r .body.template.language.code <<<"$t")" en "in the configured language"
tap_is "$(texts 37060000002)" "" "and not the text"
wait_for_mail ann@shop.test $((before_ann + 1)) || bail "no notice about the template"
notice=$(mail_files ann@shop.test | tail -n 1)
tap_check "the agent is told the template went in place of the text" \
	grep -q 'the template "order_followup" was sent' "$notice"
for _ in $(seq 1 100); do
	json "$t2" '.history[] | select(.event == "delivery" and .result == "sent") | .message_ids' |
		grep -q '^template:' && break
	sleep 0.1
done
tap_check "the history names the template's wamid" \
	bash -c "'$CTL_BIN' -c '$CONF' show $t2 --json | jq -r '.history[] | select(.result == \"sent\") | .message_ids' | grep -qx 'template:$(jq -r .id <<<"$t")'"
# once the customer writes again, text goes
inbound 37060000002 wamid.NEW1 "Thanks, I will take it" "Olga Ivanova" >/dev/null
agent_swaks --to wa.37060000002@whatsapp.shop.test \
	--header "Subject: Re: Is the lamp in stock?" \
	--header "In-Reply-To: <wa.wamid.NEW1@whatsapp.shop.test>" \
	--body "It is yours." || bail "reply not accepted"
wait_calls '.path == "messages" and .body.to == "37060000002" and .body.type == "text"' 1 ||
	bail "no text after the customer wrote again"
tap_is "$(texts 37060000002)" "It is yours." "an open window again: the text goes"
tap_is "$(acks 37060000002 | wc -l)" 0 \
	"writing again brings no acknowledgement: the ticket had its one"

# 11. Meta reports a sent message failed: the history and the agent
#     learn it.
w_last=$(calls | jq -r 'select(.path == "messages" and .body.to == "37060000002" and .body.type == "text") | .id' | tail -1)
before_ann=$(mail_count ann@shop.test)
tap_is "$(status_hook "$w_last" failed 37060000002 '[{"code": 131026, "title": "Message undeliverable"}]')" 200 \
	"a failed status: 200"
wait_delivered "$t2" failed || bail "no failed event"
tap_is "$(delivered "$t2" failed | jq -r .why)" "error 131026: Message undeliverable" \
	"the history says why it failed"
wait_for_mail ann@shop.test $((before_ann + 1)) || bail "no notice after a failed status"
tap_check "the agent is told" grep -q "Message undeliverable" "$(mail_files ann@shop.test | tail -n 1)"

# 12. Other refusals are given up at once: a dead letter and a notice.
control fail '{"count": 1, "http": 400, "code": 131026, "message": "Message undeliverable", "paths": ["messages"]}' >/dev/null
before_ann=$(mail_count ann@shop.test)
agent_swaks --to wa.37060000002@whatsapp.shop.test \
	--header "Subject: Re: Is the lamp in stock?" \
	--header "In-Reply-To: <wa.wamid.NEW1@whatsapp.shop.test>" \
	--body "Doomed." || bail "reply not accepted"
wait_for_mail ann@shop.test $((before_ann + 1)) || bail "no notice after a 400"
tap_check "a 400 is a dead letter at once" \
	grep -q "chat=37060000002: status=dead (text: error 131026: Message undeliverable)" "$H/bridge.log"

tap_done
