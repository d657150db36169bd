#!/bin/bash
# End to end: SIGHUP reloads the configuration of both daemons.  The
# milter: a queue's name and an ack template changed show in the next
# acknowledgement, from the same process; a broken file or template is
# refused with a log line naming it, and the settings before it still
# apply; a setting that needs a restart is kept and said so; a mail
# whose transaction spans the SIGHUP finishes with the settings it
# began with and is not lost.  The bridge: a Telegram channel's api_url
# changed to another fake Bot API gets the replies from then on (its
# poll loop restarted there); a broken file keeps the old settings; a
# reply queued while the channel restarts still goes; a change the
# channel does not read leaves it alone.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/harness.sh"

SHOPDESK_EXTRA="outbox_retry_min = 1s
outbox_retry_max = 2s"
POSTFIX_EXTRA="transport_maps = inline:{ { telegram.shop.test = error:5.1.1 not sent by shopdesk: a chat is answered within its ticket } }"
SUBMIT_EXTRA="  -o smtpd_reject_unlisted_recipient=no"
# a customer a step, each acknowledged once (ack_burst)
HARNESS_USERS="c3@example.com c4@example.com c5@example.com c6@example.com
	c7@example.com"
harness_init
# templates of our own, to change
cp -r "$top_srcdir/templates" "$H/templates"
sed -i "s|^templates_dir = .*|templates_dir = $H/templates|" "$CONF"
for v in TG1_PORT TG2_PORT; do
	free_port > "$H/.port" || bail "no free port"
	printf -v "$v" %s "$(cat "$H/.port")"
	PORTS_TAKEN="$PORTS_TAKEN${!v} "
done
TOKEN=123456:TEST-token_abc
printf '%s\n' "$TOKEN" > "$H/tg.token"
chmod 600 "$H/tg.token"
cat >> "$CONF" <<CONF

[channel telegram]
api_url = http://127.0.0.1:$TG1_PORT
token_file = $H/tg.token
queue = sales
poll_timeout = 2s
CONF
cp "$CONF" "$H/good.conf"

FAKE_PIDS=
for port in $TG1_PORT $TG2_PORT; do
	python3 "$top_srcdir/tests/fake/fake-telegram.py" --port "$port" \
		--token "$TOKEN" > "$H/fake-$port.out" 2> "$H/fake-$port.log" &
	FAKE_PIDS="$FAKE_PIDS $!"
done
trap 'kill $FAKE_PIDS 2>/dev/null; harness_cleanup' EXIT
wait_port "$TG1_PORT" && wait_port "$TG2_PORT" ||
	bail "fake Telegram did not start"
start_stack
start_bridge

# hup DAEMON-PID LOG: SIGHUP, and wait for its answer in the log (a
# line saying reloaded or not reloaded, after those already there)
hup() {
	local before
	before=$(grep -c "reloaded configuration from\|configuration not reloaded" "$2")
	kill -HUP "$1"
	for _ in $(seq 1 100); do
		[ "$(grep -c "reloaded configuration from\|configuration not reloaded" "$2")" -gt "$before" ] &&
			return 0
		sleep 0.1
	done
	bail "no reload line in $2"
}
set_conf() {	# set_conf SED-SCRIPT: the good file, changed
	sed "$1" "$H/good.conf" > "$CONF.new" && mv "$CONF.new" "$CONF"
}
# ack_text CUSTOMER SUBJECT: the text of the acknowledgement the
# customer got for the mail of that subject
ack_text() {
	local f
	wait_for_mail_with "$1" "^Subject: .*$2" 30 >/dev/null ||
		{ echo "no ack"; return; }
	f=$(mail_with "$1" "^Subject: .*$2")
	text_part "$f"
}
TG1=http://127.0.0.1:$TG1_PORT
TG2=http://127.0.0.1:$TG2_PORT
calls() { curl -s "$1/control/calls"; }
sends() {	# sends FAKE: the sendMessage texts it got, one a line
	calls "$1" | jq -r 'select(.method == "sendMessage") | .params.text'
}
wait_send() {	# wait_send FAKE TEXT
	for _ in $(seq 1 300); do
		sends "$1" | grep -qxF "$2" && return 0
		sleep 0.1
	done
	return 1
}
reply() {	# reply TEXT: an agent answers the Telegram customer
	swaks --silent 2 --server 127.0.0.1 --port "$SUBMIT_PORT" \
		--auth PLAIN --auth-user ann@shop.test --auth-password secret \
		--helo client.example --from ann@shop.test \
		--to tg.777001@telegram.shop.test \
		--header "Subject: Re: Hello" \
		--header "In-Reply-To: <tg.777001.1@telegram.shop.test>" \
		--body "$1" || bail "reply \"$1\" not accepted"
}

# 1. The milter before any reload.
send_mail customer@example.com sales@shop.test \
	--header "Subject: First question" --body "Hello." ||
	bail "swaks could not send"
tap_check "before: the ack names the queue Sales" \
	grep -q "thank you for writing to Sales\." <(ack_text customer@example.com "First question")

# 2. A new queue name and ack template: the next ack has both, from the
#    same process.
set_conf 's/^name = Sales$/name = Sales Desk/'
cp "$CONF" "$H/good.conf"
sed -i '1a Reloaded template.' "$H/templates/en/ack.txt"
hup "$MILTER_PID" "$H/milter.log"
tap_check "milter: reloaded configuration from FILE logged" \
	grep -q "reloaded configuration from $CONF" "$H/milter.log"
send_mail alice@example.com sales@shop.test \
	--header "Subject: Second question" --body "Hello." ||
	bail "swaks could not send"
ack2=$(ack_text alice@example.com "Second question")
tap_check "after SIGHUP: the ack names the queue Sales Desk" \
	grep -q "thank you for writing to Sales Desk\." <<<"$ack2"
tap_check "after SIGHUP: the ack has the changed template" \
	grep -q "^Reloaded template\.$" <<<"$ack2"
tap_check "the milter is the same process" kill -0 "$MILTER_PID"

# 3. A broken file: refused with its file and line, the daemon goes on,
#    the settings of step 2 apply to the next mail.
set_conf 's/^name = Sales Desk$/name = Broken\nno_such_key = 1/'
line=$(grep -n '^no_such_key' "$CONF" | cut -d: -f1)
hup "$MILTER_PID" "$H/milter.log"
tap_check "a broken file: one line naming FILE:LINE and the key" \
	grep -q "configuration not reloaded, the old one stays: $CONF:$line: .*no_such_key" "$H/milter.log"
tap_check "the milter still runs" kill -0 "$MILTER_PID"
send_mail c3@example.com sales@shop.test \
	--header "Subject: Third question" --body "Hello." ||
	bail "swaks could not send"
tap_check "after a broken file: the old settings (Sales Desk) still apply" \
	grep -q "thank you for writing to Sales Desk\." <(ack_text c3@example.com "Third question")

# 4. A broken template, in a good file: refused the same way, naming
#    the template; the template before it stays.
cp "$H/good.conf" "$CONF"
cp "$H/templates/en/ack.txt" "$H/ack.good"
echo "{{#unclosed}}" >> "$H/templates/en/ack.txt"
hup "$MILTER_PID" "$H/milter.log"
tap_check "a broken template: one line naming it" \
	grep -q "configuration not reloaded, the old one stays: $CONF: .*ack.txt" "$H/milter.log"
send_mail c4@example.com sales@shop.test \
	--header "Subject: Fourth question" --body "Hello." ||
	bail "swaks could not send"
tap_check "after a broken template: the ack is the one loaded before" \
	grep -q "^Reloaded template\.$" <(ack_text c4@example.com "Fourth question")
cp "$H/ack.good" "$H/templates/en/ack.txt"

# 5. A setting that needs a restart: said so, and the running one kept
#    (the store stays where it is: the next ticket follows the others).
set_conf "s|^state_dir = .*|state_dir = $H/other-state|"
hup "$MILTER_PID" "$H/milter.log"
tap_check "state_dir changed: a line says it needs a restart" \
	grep -q "$CONF: state_dir: changed in the file, the running value stays until a restart" "$H/milter.log"
send_mail c5@example.com sales@shop.test \
	--header "Subject: Fifth question" --header "Message-Id: <fifth@example.com>" \
	--body "Hello." || bail "swaks could not send"
wait_for_mail_with sales@shop.test '^Message-Id: <fifth@example.com>' >/dev/null ||
	bail "fifth mail not delivered"
tap_is "$(header_in sales@shop.test '^Message-Id: <fifth@example.com>' X-Shopdesk-Ticket)" 5 \
	"the store in use is still the first state_dir (ticket 5)"
tap_check "no store was made in the new state_dir" test ! -e "$H/other-state"
cp "$H/good.conf" "$CONF"

# 6. A mail whose SMTP transaction spans the SIGHUP is delivered, with
#    its ticket, and the next one sees the new name.  (Postfix hands the
#    envelope to the milter only once DATA begins, so this message takes
#    the new settings too; that a message the milter has begun keeps its
#    own is tests/milter/t-reload.lua's.)
set_conf 's/^name = Sales Desk$/name = Sales Team/'
python3 - "$SMTP_PORT" "$MILTER_PID" "$H/milter.log" <<'PY' || bail "in-flight mail failed"
import os, signal, smtplib, sys, time
port, pid, log = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
s = smtplib.SMTP("127.0.0.1", port)
s.ehlo("client.example")
s.mail("c6@example.com")
s.rcpt("sales@shop.test")
before = open(log).read().count("reloaded configuration from")
os.kill(pid, signal.SIGHUP)
for _ in range(100):
    if open(log).read().count("reloaded configuration from") > before:
        break
    time.sleep(0.1)
else:
    sys.exit("no reload")
code, _ = s.data(b"Subject: In flight\r\nMessage-Id: <inflight@example.com>\r\n"
                 b"From: c6@example.com\r\nTo: sales@shop.test\r\n\r\nHello.\r\n")
sys.exit(0 if code == 250 else "DATA answered %d" % code)
PY
wait_for_mail_with sales@shop.test '^Message-Id: <inflight@example.com>' >/dev/null
f=$(mail_with sales@shop.test '^Message-Id: <inflight@example.com>')
tap_check "the mail in flight during SIGHUP is delivered" test -n "$f"
tap_is "$(header_of "$f" X-Shopdesk-Ticket)" 6 "with its ticket"
tap_check "and acknowledged" \
	grep -q "thank you for writing to Sales Team\." <(ack_text c6@example.com "In flight")
send_mail c7@example.com sales@shop.test \
	--header "Subject: After flight" --body "Hello." ||
	bail "swaks could not send"
tap_check "the next mail's ack has the new name (Sales Team)" \
	grep -q "thank you for writing to Sales Team\." <(ack_text c7@example.com "After flight")
tap_check "the milter is still the same process" kill -0 "$MILTER_PID"
cp "$CONF" "$H/good.conf"

# 7. The bridge: a customer writes on Telegram (fake 1), the agent's
#    reply goes there.
curl -s -X POST "$TG1/control/update" -H 'Content-Type: application/json' \
	--data-binary "{\"message\": {\"message_id\": 1, \"date\": $(date +%s),
		\"chat\": {\"id\": 777001, \"type\": \"private\"},
		\"from\": {\"id\": 777001, \"is_bot\": false, \"first_name\": \"Ivan\"},
		\"text\": \"Hello\"}}" >/dev/null
wait_for_mail_with sales@shop.test '^Message-ID: <tg.777001.1@telegram.shop.test>' >/dev/null ||
	bail "the update did not become mail: $(tail "$H/bridge.log")"
reply "Answer one."
tap_check "before: the reply goes to fake 1" wait_send "$TG1" "Answer one."

# 8. api_url changed to fake 2: the channel restarts there, the bridge
#    is the same process; replies and the customer's messages go
#    through fake 2 now.
set_conf "s|^api_url = .*|api_url = $TG2|"
hup "$BRIDGE_PID" "$H/bridge.log"
tap_check "bridge: reloaded configuration from FILE logged" \
	grep -q "reloaded configuration from $CONF" "$H/bridge.log"
tap_check "the changed channel restarted, with a log line" \
	grep -q "\[channel telegram\]: settings changed, restarted" "$H/bridge.log"
tap_check "the bridge is the same process" kill -0 "$BRIDGE_PID"
reply "Answer two."
tap_check "after SIGHUP: the reply goes to fake 2" wait_send "$TG2" "Answer two."
tap_is "$(sends "$TG1" | grep -c "Answer two")" 0 "and not to fake 1"
curl -s -X POST "$TG2/control/update" -H 'Content-Type: application/json' \
	--data-binary "{\"update_id\": 5000,
		\"message\": {\"message_id\": 2, \"date\": $(date +%s),
		\"chat\": {\"id\": 777001, \"type\": \"private\"},
		\"from\": {\"id\": 777001, \"is_bot\": false, \"first_name\": \"Ivan\"},
		\"text\": \"Thanks\"}}" >/dev/null
# (an update_id past fake 1's: the offset kept in the spool_dir is the
# channel's, not the server's)
tap_check "the poll loop runs against fake 2" \
	wait_for_mail_with sales@shop.test '^Message-ID: <tg.777001.2@telegram.shop.test>'
cp "$CONF" "$H/good.conf"

# 9. A broken file: the bridge says why and goes on with fake 2.
set_conf 's/^poll_timeout = 2s$/poll_timeout = soon/'
line=$(grep -n '^poll_timeout' "$CONF" | cut -d: -f1)
hup "$BRIDGE_PID" "$H/bridge.log"
tap_check "bridge, broken file: one line naming FILE:LINE" \
	grep -q "configuration not reloaded, the old one stays: $CONF:$line: .*poll_timeout" "$H/bridge.log"
tap_check "the bridge still runs" kill -0 "$BRIDGE_PID"
reply "Answer three."
tap_check "after a broken file: replies still go to fake 2" \
	wait_send "$TG2" "Answer three."

# 10. A reply waiting in the outbox (fake 2 fails) while the channel
#     moves back to fake 1: it is not lost, it goes there.
curl -s -X POST "$TG2/control/fail" -H 'Content-Type: application/json' \
	--data-binary '{"count": 1000, "code": 500}' >/dev/null
reply "Answer four."
for _ in $(seq 1 100); do
	grep -q "status=deferred" "$H/bridge.log" && break
	sleep 0.1
done
tap_check "the reply waits in the outbox" grep -q "status=deferred" "$H/bridge.log"
cp "$H/good.conf" "$CONF"
set_conf "s|^api_url = .*|api_url = $TG1|"
hup "$BRIDGE_PID" "$H/bridge.log"
tap_check "the waiting reply is sent after the reload, to fake 1" \
	wait_send "$TG1" "Answer four."
tap_check "the outbox is empty" outbox_idle 10

# 11. A change no channel reads (another queue's name): the Telegram
#     channel goes on untouched, its poll loop not started again.
polls=$(grep -c "receiving by long polling" "$H/bridge.log")
sed -i 's/^name = Manager$/name = Managers/' "$CONF"
hup "$BRIDGE_PID" "$H/bridge.log"
tap_is "$(grep -c "reloaded configuration from" "$H/bridge.log")" 3 \
	"the bridge reloaded"
tap_is "$(grep -c "receiving by long polling" "$H/bridge.log")" "$polls" \
	"a channel whose settings did not change goes on untouched"
tap_is "$(grep -c "settings changed, restarted" "$H/bridge.log")" 2 \
	"only the two changes of api_url restarted it"

tap_done
