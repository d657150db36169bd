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
tap_check "Postfix queue empty" wait_queue_empty 30

tap_done
