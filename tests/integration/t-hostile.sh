#!/bin/bash
# The hostile corpus (tests/corpus/make-hostile.sh) through a real
# Postfix with shopdesk-milter into Dovecot: every message is accepted
# and delivered, each becomes its own ticket, the milter survives, and
# its memory stays below the size of the largest message.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/harness.sh"

harness_init
start_stack

corpus=$H/corpus
bash "$top_srcdir/tests/corpus/make-hostile.sh" "$corpus" ||
	bail "cannot make the corpus"
count=0
for msg in "$corpus"/*; do
	name=$(basename "$msg")
	sender=$(sed -n 's/^From: //p' "$msg" | head -n 1)
	fixup=()
	if [ "$name" = bare-lf ]; then
		# sent byte for byte: swaks must not mend the line ends, so
		# the end-of-data dot is ours to add
		cp "$msg" "$H/bare-lf.data"
		printf '\r\n.\r\n' >> "$H/bare-lf.data"
		msg=$H/bare-lf.data
		fixup=(--no-data-fixup)
	fi
	if swaks --silent 2 --server 127.0.0.1 --port "$SMTP_PORT" \
		--helo client.example --from "$sender" --to sales@shop.test \
		"${fixup[@]}" --data "@$msg" 2>"$H/swaks.err"; then
		tap_ok "$name: accepted by Postfix"
	else
		tap_fail "$name: accepted by Postfix" "$(harness_logs)"
	fi
	count=$((count + 1))
done

wait_for_mail sales@shop.test "$count" 60 ||
	tap_fail "all delivered" "$(harness_logs)"
tap_is "$(mail_count sales@shop.test)" "$count" "every message delivered"

tickets=0
for f in $(mail_files sales@shop.test); do
	t=$(header_of "$f" X-Shopdesk-Ticket)
	[ -n "$t" ] && tickets=$((tickets + 1))
done
tap_is "$tickets" "$count" "every delivered message carries its ticket"
tap_is "$(ctl tickets --json | jq '.tickets | length')" "$count" \
	"one ticket per message"
tap_check "the 20 MB message is in its ticket" \
	sh -c "'$CTL_BIN' -c '$CONF' tickets --json |
		jq -e '.tickets[] | select(.subject == \"big attachment\")' >/dev/null"

big=$(ctl tickets --json |
	jq -r '.tickets[] | select(.subject == "big attachment") | .id')
tap_is "$(ctl show "$big" --json |
	jq -r '.history[] | select(.event == "message") | .snippet')" \
	"see attached" "the 20 MB message was parsed from its file: its text read"
deep=$(ctl tickets --json |
	jq -r '.tickets[] | select(.subject == "nested 100 deep") | .id')
tap_check "MIME 100 deep: a ticket" test -n "$deep"
tap_check "shopdesk-milter still running" kill -0 "$MILTER_PID"
hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$MILTER_PID/status")
largest=$(( $(stat -c %s "$corpus/attachment-20mb") / 1024 ))
echo "# milter peak RSS ${hwm} kB, largest message ${largest} kB"
tap_check "peak RSS ${hwm} kB below the largest message's ${largest} kB" \
	test "$hwm" -lt "$largest"
tap_check "no temporary body files left" \
	test -z "$(ls -A "$H/state/tmp")"

# Hostile senders (each after the corpus, each on its own):
# send_raw NAME FILE: the file as the message, as Postfix takes it.
send_raw() {
	swaks --silent 2 --server 127.0.0.1 --port "$SMTP_PORT" \
		--helo client.example --from attacker@example.net \
		--to sales@shop.test --data "@$2" >"$H/swaks-$1.err" 2>&1
}
before=$(mail_count sales@shop.test)
#  - a Subject that is not UTF-8: the ticket's subject is valid text
printf 'From: attacker@example.net\r\nTo: sales@shop.test\r\nSubject: bad \xf8\x88\x80\x80\x80 bytes\r\nMessage-ID: <bad-utf8@example.net>\r\n\r\nhi\r\n' \
	> "$H/bad-utf8.eml"
send_raw bad-utf8 "$H/bad-utf8.eml" || tap_fail "bad UTF-8: accepted" "$(cat "$H/swaks-bad-utf8.err")"
#  - a 64 KB Subject: cut, tagged, stored
{ printf 'From: attacker@example.net\r\nTo: sales@shop.test\r\nMessage-ID: <long-subject@example.net>\r\nSubject: '
  head -c 65536 /dev/zero | tr '\0' 'x'
  printf '\r\n\r\nhi\r\n'; } > "$H/long-subject.eml"
send_raw long-subject "$H/long-subject.eml" || tap_fail "64 KB Subject: accepted" "$(cat "$H/swaks-long-subject.err")"
wait_for_mail sales@shop.test $((before + 2)) ||
	tap_fail "both delivered" "$(harness_logs)"
bad=$(header_in sales@shop.test '^Message-ID: <bad-utf8@example.net>' X-Shopdesk-Ticket)
tap_check "not UTF-8: a ticket" test -n "$bad"
tap_check "not UTF-8: its subject kept as valid text" \
	bash -c "'$CTL_BIN' -c '$CONF' show '$bad' --json | jq -e '.subject | startswith(\"bad \") and endswith(\" bytes\")' >/dev/null"
tap_check "not UTF-8: its show --json is valid UTF-8" \
	bash -c "'$CTL_BIN' -c '$CONF' show '$bad' --json | iconv -f UTF-8 -t UTF-8 >/dev/null"
long=$(ctl tickets --json | jq -r '.tickets[] | select(.subject | startswith("xxxx")) | .id')
tap_check "64 KB Subject: a ticket" test -n "$long"
tap_is "$(ctl show "$long" --json | jq -r '.subject | length')" 1999 \
	"64 KB Subject: stored cut to 1999 bytes"
f=$(mail_with sales@shop.test '^Message-ID: <long-subject@example.net>')
tap_check "64 KB Subject: delivered with the tag" \
	grep -q "^Subject: \[Ticket #$long\]" "$f"
tap_check "64 KB Subject: the log says it was cut" \
	grep -q "Subject of [0-9]* bytes cut to 1999" "$H/milter.log"
#  - 40 000 forged X-Shopdesk-* headers: refused whole, with a 5xx
{ printf 'From: attacker@example.net\r\nTo: sales@shop.test\r\nSubject: forged\r\n'
  for i in $(seq 1 40000); do printf 'X-Shopdesk-Ticket: %d\r\n' "$i"; done
  printf '\r\nhi\r\n'; } > "$H/forged.eml"
if send_raw forged "$H/forged.eml"; then
	tap_fail "40 000 forged headers: refused" "accepted"
else
	tap_check "40 000 forged headers: refused with 550 5.7.1" \
		grep -q '550 5.7.1 40000 forged X-Shopdesk-\* headers' "$H/swaks-forged.err"
fi
tap_check "and the log says why" \
	grep -q "refused: 40000 forged X-Shopdesk-\* headers (strip_max 100)" "$H/milter.log"
tap_check "and no ticket was made" \
	bash -c "! '$CTL_BIN' -c '$CONF' tickets --json | jq -e '.tickets[] | select(.subject == \"forged\")' >/dev/null"
tap_check "shopdesk-milter still running after them" kill -0 "$MILTER_PID"
tap_check "Postfix queue empty" wait_queue_empty 30

tap_done
