#!/bin/bash
# End to end: email as the system of record.  Tickets are made the way
# the desk makes them, through the real Postfix and Dovecot (Sieve
# filing into the queue's folders): customers of two queues, a colleague
# in Cc, replies into the same ticket, agents' answers over SASL
# submission with commands, notes, a keyword, a MOVE and a COPY over
# IMAP, a Telegram chat through the fake Bot API, a "was it solved?" rated 5
# (the milter's clock moved on with libfaketime), closed tickets written
# to again (linked_to), a hot backup taken while mail flows.  Then the
# state directory is lost and `shopdeskctl rebuild --from-mailbox` makes
# the store again from the mailboxes alone: from the Maildirs read
# directly, then through Dovecot's doveadm server; each ticket's `show
# --json` must equal what it was, history included, but for what the
# mailbox cannot know (README): the timers' lines, the messengers'
# delivery reports, when and by whom a keyword changed the status, and
# "updated" when the last event was not a message.  Then the README's way at
# 3 a.m.: the hot backup restored and `rebuild --keep-store` adding the
# mail since; the tickets whole in the backup keep their whole history.
# Mail that reached the mailbox past the milter (no X-Shopdesk-*
# headers) is threaded anew and reported; the rebuild refuses while the
# milter runs; the ids go on after the highest; reply tokens (their key
# restored with the backup) and follow-ups given before still count.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/harness.sh"

HARNESS_USERS="carol@example.com dave@example.com erin@example.com
	frank@example.com gina@example.com"
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
mkdir -p "$H/sieve"
cp "$top_srcdir/sieve/shopdesk.sieve" "$H/sieve/"
sievec "$H/sieve/shopdesk.sieve" || bail "sievec failed"
DESK_SIEVE=$H/sieve/shopdesk.sieve
DOVECOT_EXTRA="
protocol lmtp {
  mail_plugins = \$mail_plugins sieve
}"
start_fake_telegram
start_stack
start_bridge

SALES_MD=$(maildir_of sales@shop.test)
MANAGER_MD=$(maildir_of manager@shop.test)
# the milter's clock from step 5 on: two minutes ahead, past the
# follow-up of a ticket resolved now
CLOCK=+2m

json() { ctl show "$1" --json | jq -r "$2"; }
ids() { ctl tickets --json | jq -r '.tickets[].id' | sort -n; }
count() { ctl tickets --json | jq '.tickets | length'; }
imap() { python3 "$here/imap.py" "$IMAP_PORT" sales@shop.test secret "$@"; }
# the store's owner runs it, as the package's shopdeskctl run by root
# becomes the user of [shopdesk]; doveadm's socket is that user's alone
db() { "${AS_MAIL_USER[@]}" "$CTL_BIN" -c "$CONF" db "$@"; }
rebuild() {
	"${AS_MAIL_USER[@]}" "$CTL_BIN" -c "$CONF" rebuild --from-mailbox "$@"
}
wait_until() {	# wait_until COMMAND...: true within 20 s (WAIT_SECONDS)
	for _ in $(seq 1 $(( ${WAIT_SECONDS:-20} * 10 ))); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}
status_is() { [ "$(json "$1" .status)" = "$2" ]; }
count_is() { [ "$(count)" = "$1" ]; }
# agent USER ARGS...: an agent's mail through submission, with SASL
agent() {
	local user=$1; shift
	swaks --silent 2 --server 127.0.0.1 --port "$SUBMIT_PORT" \
		--auth PLAIN --auth-user "$user" --auth-password secret \
		--helo client.example --from "$user" "$@"
}
calls() { curl -s "$TG/control/calls"; }
update() {	# update CHAT MESSAGE_ID TEXT
	curl -s -X POST "$TG/control/update" -H 'Content-Type: application/json' \
		--data-binary "{\"message\": {\"message_id\": $2, \"date\": $(date +%s),
		\"chat\": {\"id\": $1, \"type\": \"private\"},
		\"from\": {\"id\": $1, \"is_bot\": false, \"first_name\": \"Olena\",
			  \"last_name\": \"Koval\", \"language_code\": \"en\"},
		\"text\": $(jq -Rn --arg t "$3" '$t')}}" >/dev/null
}
chat_got() {	# chat_got TEXT: sendMessage sent TEXT to chat 777001
	calls | jq -e --arg t "$1" 'select(.method == "sendMessage" and
		(.params.chat_id | tostring) == "777001" and .params.text == $t)' \
		>/dev/null
}
# queue_files: every message file of both queue mailboxes, all folders
queue_files() {
	find "$SALES_MD" "$MANAGER_MD" \( -path '*/new/*' -o -path '*/cur/*' \) \
		-type f 2>/dev/null | sort
}
events_waiting() {
	find "$H/spool/events/new" "$H/spool/events/cur" -type f | wc -l
}
no_events_waiting() { [ "$(events_waiting)" = 0 ]; }
# keywords_agree: every message of every ticket in the sales mailbox
# shows its ticket's status as its one status keyword (the milter sets
# them through doveadm, a moment after the change)
keywords_agree() {
	local want got
	want=$(ctl tickets --json | jq -r '.tickets[] | select(.queue == "sales")
		| "\(.id) \(.status)"' | sort)
	got=$(imap list | awk '$3 != "-" {
		k = ""
		for (i = 4; i <= NF; i++)
			if ($i ~ /^(new|open|pending|resolved|closed)$/)
				k = k (k == "" ? "" : ",") $i
		print $3, k }' | sort -u)
	[ -n "$want" ] && [ "$want" = "$got" ]
}
# settled: nothing in flight anywhere, the mailbox in step with the store
settled() {
	outbox_idle 20 && wait_queue_empty 30 &&
		wait_until no_events_waiting && wait_until keywords_agree
}
# copy_of MESSAGE-ID: the file of that message in the queue mailboxes;
# looked for again when a file was renamed under awk (a keyword change:
# mawk stops at a file it cannot open, with status 2)
copy_of() {
	local out rc
	for _ in $(seq 1 20); do
		# shellcheck disable=SC2046
		out=$(awk -v want="message-id: <$1>" '
			FNR == 1 { head = 1 }
			head && /^\r?$/ { head = 0; nextfile }
			head && index(tolower($0), want) == 1 {
				print FILENAME; found = 1; exit }
			END { exit !found }' $(queue_files) </dev/null 2>/dev/null)
		rc=$?
		[ $rc -eq 0 ] && { echo "$out"; return 0; }
		[ $rc -eq 1 ] && return 1
		sleep 0.05
	done
	return 1
}
# stamp MESSAGE-ID NAME: its X-Shopdesk-NAME, read again when Dovecot
# renamed the file in between (a keyword change)
stamp() {
	local h
	h=$(headers_found copy_of "$1") || return 1
	printf '%s\n' "$h" | header_of /dev/stdin "X-Shopdesk-$2"
}

# 1. Customers write: to sales (a colleague in Cc), in Russian, to the
#    manager queue, and from Telegram.
send_mail customer@example.com sales@shop.test \
	--header 'From: "Ivan Petrov" <customer@example.com>' \
	--header 'Cc: "Dave Stone" <dave@example.com>' \
	--header "Subject: Broken lamp" \
	--header "Message-Id: <lamp-1@example.com>" \
	--body "My lamp arrived broken. What now?" || bail "swaks failed"
send_mail alice@example.com sales@shop.test \
	--header 'From: "Alice Smith" <alice@example.com>' \
	--header "Subject: Wrong size" \
	--header "Message-Id: <size-1@example.com>" \
	--body "The shoes you sent are a size too small, can I swap them?" ||
	bail "swaks failed"
send_mail carol@example.com sales@shop.test \
	--header 'From: "Карина Смирнова" <carol@example.com>' \
	--header "Subject: Адрес в счёте" \
	--header "Message-Id: <inv-1@example.com>" \
	--header "Content-Type: text/plain; charset=utf-8" \
	--body "Здравствуйте! В счёте к заказу 5521 указан неверный адрес доставки. Исправьте его, пожалуйста, и пришлите новый счёт на эту почту." ||
	bail "swaks failed"
send_mail erin@example.com manager@shop.test \
	--header 'From: "Erin Black" <erin@example.com>' \
	--header "Subject: Partnership" \
	--header "Message-Id: <part-1@example.com>" \
	--body "We would like to sell your lamps in our shop in Riga." ||
	bail "swaks failed"
wait_until count_is 4 || bail "not four tickets: $(ctl tickets)"
update 777001 1 "Hello, where is my order 1234?"
wait_until count_is 5 || bail "the chat made no ticket: $(tail -n 5 "$H/bridge.log")"
tap_is "$(ids | paste -sd ' ') $(json 4 .queue) $(json 5 .channel)" \
	"1 2 3 4 5 manager telegram" \
	"five tickets: one in queue manager, one a Telegram chat"

# 2. Into the same tickets: the colleague in Cc, the same sender and
#    subject again, the chat's next message.
send_mail dave@example.com sales@shop.test \
	--header 'From: "Dave Stone" <dave@example.com>' \
	--header "Subject: Re: Broken lamp" \
	--header "In-Reply-To: <lamp-1@example.com>" \
	--header "Message-Id: <lamp-dave@example.com>" \
	--body "I am his colleague: the box was crushed too." ||
	bail "swaks failed"
send_mail alice@example.com sales@shop.test \
	--header 'From: "Alice Smith" <alice@example.com>' \
	--header "Subject: Wrong size" \
	--header "Message-Id: <size-2@example.com>" \
	--body "Order 4711, by the way." || bail "swaks failed"
tap_is "$(json 1 '.messages | length') $(json 2 '.messages | length')" "2 2" \
	"the colleague's mail joins ticket 1, the same subject ticket 2"

# 3. The agents answer over submission: commands, a note to the queue
#    alone, #note, #resolve, #close, and the chat.
agent ann@shop.test --to customer@example.com \
	--header "Subject: Re: [Ticket #1] Broken lamp" \
	--header "In-Reply-To: <lamp-1@example.com>" \
	--header "Message-Id: <ann-1@shop.test>" \
	--body $'#assign bob\n#category returns\n\nA new lamp leaves tomorrow.' ||
	bail "ann's answer to ticket 1 failed"
r=$(wait_for_mail_with customer@example.com '^Message-Id: <ann-1@shop.test>') ||
	bail "ann's answer did not reach the customer"
token=$(header_of "$r" Reply-To | sed -n 's/.*<sales+\([^@]*\)@shop.test>.*/\1/p')
[ -n "$token" ] || bail "no token in the answer's Reply-To"
send_mail customer@example.com "sales+$token@shop.test" \
	--header 'From: "Ivan Petrov" <customer@example.com>' \
	--header "Subject: Re: [Ticket #1] Broken lamp" \
	--header "In-Reply-To: <ann-1@shop.test>" \
	--header "Message-Id: <lamp-2@example.com>" \
	--body "Tomorrow is fine, but before noon, please." || bail "swaks failed"
agent ann@shop.test --to "sales+$token@shop.test" \
	--header "Subject: Re: [Ticket #1] Broken lamp" \
	--body "The courier says the box was dropped." || bail "note failed"
agent ann@shop.test --to alice@example.com \
	--header "Subject: Re: [Ticket #2] Wrong size" \
	--header "In-Reply-To: <size-1@example.com>" \
	--body $'#resolve\n\nSwap them in any of our shops.' ||
	bail "ann's answer to ticket 2 failed"
agent ann@shop.test --to carol@example.com \
	--header "Subject: Re: [Ticket #3] Адрес в счёте" \
	--header "In-Reply-To: <inv-1@example.com>" \
	--header "Content-Type: text/plain; charset=utf-8" \
	--body "Исправим сегодня." || bail "ann's answer to ticket 3 failed"
agent ann@shop.test --to carol@example.com \
	--header "Subject: Re: [Ticket #3] Адрес в счёте" \
	--header "In-Reply-To: <inv-1@example.com>" \
	--body $'#note\nAccounts must send the new invoice.' ||
	bail "ann's #note failed"
agent bob@shop.test --to erin@example.com \
	--header "Subject: Re: [Ticket #4] Partnership" \
	--header "In-Reply-To: <part-1@example.com>" \
	--body $'#close\n\nThank you, we sell through our own shop only.' ||
	bail "bob's answer to ticket 4 failed"
agent ann@shop.test --to tg.777001@telegram.shop.test \
	--header "Subject: Re: [Ticket #5] Telegram" \
	--header "In-Reply-To: <tg.777001.1@telegram.shop.test>" \
	--body "We found it: it leaves today." ||
	bail "ann's answer in the chat failed"
wait_until chat_got "We found it: it leaves today." ||
	bail "the chat did not get the answer: $(tail -n 5 "$H/bridge.log")"
tap_is "$(json 1 .status) $(json 1 .assignee) $(json 1 .category)" \
	"open bob returns" "ticket 1: assigned, categorised, reopened by the customer"
tap_is "$(json 1 '.messages[-1].direction')" note "ticket 1 ends with a note"
tap_is "$(json 2 .status) $(json 3 .status) $(json 4 .status) $(json 5 .status)" \
	"resolved pending closed pending" "tickets 2 to 5 answered"

# 4. Over IMAP: ticket 1's mail moved into Pending, ticket 3 marked
#    resolved with a keyword, the chat's first message copied into a
#    folder of the agent's own (two copies of one message).
imap move Sales 1 Pending || bail "imap move failed"
imap store Sales 3 +FLAGS resolved || bail "imap store failed"
imap copy Sales 5 Archive || bail "imap copy failed"
tap_check "MOVE into Pending: ticket 1 pending" wait_until status_is 1 pending
tap_check "keyword resolved: ticket 3 resolved" wait_until status_is 3 resolved

# 5. The milter's clock two minutes on: "was it solved?" for tickets 2
#    and 3; Alice answers 5, which closes ticket 2; then she and Erin
#    write again into their closed tickets: new tickets, linked; the
#    chat writes again.
settled || bail "did not settle before the clock moved"
stop_milter
start_milter_at "$CLOCK"
f=$(wait_for_mail_with alice@example.com '^Message-Id: <followup\.2\.' 30) ||
	bail "no follow-up for ticket 2: $(grep followup "$H/milter.log" | tail -n 3)"
send_mail alice@example.com sales@shop.test \
	--header 'From: "Alice Smith" <alice@example.com>' \
	--header "Subject: Re: $(header_of "$f" Subject)" \
	--header "In-Reply-To: $(header_of "$f" Message-Id)" \
	--header "Message-Id: <size-3@example.com>" \
	--body "5" || bail "swaks failed"
tap_check "rated 5: ticket 2 closed" wait_until status_is 2 closed
tap_is "$(json 2 .rating)" 5 "ticket 2's rating"
# a hot backup while the next mail flows: what comes after it is in
# the mailboxes alone (pass 10)
mkdir -p "$H/backups"
chown "$MAIL_USER:" "$H/backups"
db backup "$H/backups/hot" >"$H/backup.out" 2>&1 &
backup_pid=$!
send_mail alice@example.com sales@shop.test \
	--header 'From: "Alice Smith" <alice@example.com>' \
	--header "Subject: Re: [Ticket #2] Wrong size" \
	--header "In-Reply-To: <size-1@example.com>" \
	--header "Message-Id: <size-4@example.com>" \
	--body "The new pair is too big now. Can I swap them again?" ||
	bail "swaks failed"
send_mail erin@example.com manager@shop.test \
	--header 'From: "Erin Black" <erin@example.com>' \
	--header "Subject: Re: [Ticket #4] Partnership" \
	--header "In-Reply-To: <part-1@example.com>" \
	--header "Message-Id: <part-2@example.com>" \
	--body "What about a shop in Tallinn then?" || bail "swaks failed"
update 777001 2 "Thank you! And the receipt?"
wait $backup_pid
tap_check "a hot backup by the milter while mail flows" \
	grep -q "^hot backup of $H/state by shopdesk-milter" "$H/backup.out"
wait_until count_is 7 || bail "not seven tickets: $(ctl tickets)"
tap_is "$(json 6 .linked_to) $(json 7 .linked_to) $(json 7 .queue)" \
	"2 4 manager" "written to after closing: tickets 6 and 7, linked"
tap_check "the chat's next message reopens ticket 5" wait_until status_is 5 open
tap_check "everything settled: outbox, Postfix, events, keywords" settled
tap_is "$(json 5 '.messages | length')" 3 \
	"the copy in Archive is no message of its own"

# 6. The contract's stamps, on every copy in the queue mailboxes.
missing=
for f in $(queue_files); do
	h=$(sed '/^\r\?$/q' "$f" 2>/dev/null) || continue
	for name in Ticket Queue Status Channel Direction Time Seq Rule Queue-Id \
		From Mac; do
		grep -qi "^X-Shopdesk-$name: ." <<<"$h" ||
			missing+="${f#"$H"/} X-Shopdesk-$name"$'\n'
	done
	grep -qi '^X-Shopdesk-Direction: inbound' <<<"$h" &&
		! grep -qi '^X-Shopdesk-Reply-By: .' <<<"$h" &&
		missing+="${f#"$H"/} X-Shopdesk-Reply-By"$'\n'
	# the mail that opened a ticket names its customer
	grep -qi '^X-Shopdesk-Rule: new' <<<"$h" &&
		! grep -qi '^X-Shopdesk-Customer: .' <<<"$h" &&
		missing+="${f#"$H"/} X-Shopdesk-Customer"$'\n'
done
if [ -z "$missing" ]; then
	tap_ok "every copy in the queue mailboxes carries the stamps"
else
	tap_fail "every copy in the queue mailboxes carries the stamps" \
		"$(head -n 20 <<<"$missing")"
fi
tap_check "the first mail names its acknowledgement" \
	grep -qE '^<ack\.1\.[^>]+> customer@example.com$' <<<"$(stamp lamp-1@example.com Ack)"
tap_check "the first mail names the colleague in Cc among its participants" \
	grep -q 'dave@example.com' <<<"$(stamp lamp-1@example.com Participants)"
tap_is "$(stamp size-3@example.com Rating)" "5 -" \
	"the answer 5 carries its rating (solved: not said)"
tap_is "$(stamp size-4@example.com Linked-To)" "2 (closed)" \
	"ticket 6's mail names ticket 2, and why it is a ticket of its own"
tap_is "$(stamp lamp-2@example.com Assignee) $(stamp lamp-2@example.com Category)" \
	"bob returns" "mail after #assign and #category names both"
tap_is "$(stamp inv-1@example.com Language)" ru "the language, when known"

# the store as it is: every ticket's show --json, and the files
mkdir -p "$H/before"
before_ids=$(ids)
for id in $before_ids; do
	ctl show "$id" --json > "$H/before/$id.json" || bail "show $id failed"
done
n_tickets=$(wc -w <<<"$before_ids")
n_files=$(queue_files | wc -l)
max_id=$(tail -n 1 <<<"$before_ids")
# what is due for which ticket (when: a resolution's time is history)
timers() {
	ctl timers --json | jq -c '[.timers[] | {ticket, timer}]
		| sort_by(.ticket, .timer) | .[]'
}
timers > "$H/before/timers"
same_timers() {	# same_timers: one TAP line
	local d
	d=$(diff -u --label before --label after "$H/before/timers" \
		<(timers))
	if [ -z "$d" ]; then tap_ok "the same timers are due"
	else tap_fail "the same timers are due" "$d"; fi
}

# same_as_before DIR ID...: DIR/ID.json against before/ID.json, one TAP
# line a ticket, the difference shown when they differ
PROJ='{id, queue, status, channel, customer, subject, category, created,
	reply_by, first_reply, assignee, rating, linked_to, participants,
	sla, promise_by,
	messages,
	history: [.history[]
		| select(.event | IN("followup", "delivery", "sla_warn",
			"sla_breach", "window", "autoclose", "expunge") | not)
		| select(.event != "status" or (.via == null and
			.by != "mailbox"))]}
	+ (if $upd then {updated} else {} end)'
same_as_before() {
	local dir=$1 id upd d subject; shift
	mkdir -p "$dir"
	for id in "$@"; do
		subject=$(jq -r .subject "$H/before/$id.json")
		if ! ctl show "$id" --json > "$dir/$id.json" 2>"$dir/$id.err"; then
			tap_fail "ticket $id ($subject) as before" \
				"show $id: $(cat "$dir/$id.err")"
			continue
		fi
		upd=$(jq '.history[-1].event == "message"' "$H/before/$id.json")
		jq -S --argjson upd "$upd" "$PROJ" "$H/before/$id.json" \
			> "$dir/$id.want" || bail "jq failed on before/$id.json"
		jq -S --argjson upd "$upd" "$PROJ" "$dir/$id.json" \
			> "$dir/$id.got" 2>&1
		d=$(diff -u --label before --label after "$dir/$id.want" \
			"$dir/$id.got")
		if [ -z "$d" ]; then
			tap_ok "ticket $id ($subject) as before"
		else
			tap_fail "ticket $id ($subject) as before" \
				"$(head -n 60 <<<"$d")"
		fi
	done
}
# fresh_state: the state directory lost, an empty one in its place
fresh_state() {
	rm -rf "$H/state"
	install -d -o "$MAIL_USER" -g "$MAIL_USER" -m 0750 "$H/state"
}
# summary OUTPUT: the rebuild's summary line, as "N tickets, M messages,
# K unstamped, S skipped" (its words around the numbers may vary)
summary() {
	sed -nE '/^rebuild: [0-9]+ tickets/{
		s/^rebuild: ([0-9]+) tickets?, ([0-9]+) messages?.*[ (]([0-9]+) (unstamped|without stamps).*, ([0-9]+) skipped.*/\1 tickets, \2 messages, \3 unstamped, \5 skipped/p
		q
	}' <<<"$1"
}
# show_output OUTPUT: a rebuild's last lines as diagnostics
show_output() { [ -n "$1" ] && tail -n 5 <<<"$1" | sed 's/^/# /'; return 0; }

# 7. Refused while the milter runs; nothing touched.
out=$(rebuild "$SALES_MD" "$MANAGER_MD" 2>&1)
rc=$?
tap_check "rebuild while the milter runs fails (exit $rc)" test "$rc" -ne 0
tap_check "saying the milter runs" \
	grep -qiE 'shopdesk-milter.*(running|in use)|(running|in use).*shopdesk-milter|stop shopdesk-milter' <<<"$out"
[ "$rc" -ne 0 ] && [ -n "$out" ] && printf '%s\n' "$out" | head -n 3 | sed 's/^/# /'
tap_check "and leaves the store alone" \
	sh -c "test -f '$H/state/tickets.db' &&
	       ! ls -d '$H'/state/before-rebuild-* >/dev/null 2>&1"
tap_is "$(ids | paste -sd ' ')" "$(paste -sd ' ' <<<"$before_ids")" \
	"the milter still has every ticket"

# 8. The state directory lost; rebuilt from the Maildirs read directly.
stop_milter
stop_bridge
fresh_state
out=$(rebuild "$SALES_MD" "$MANAGER_MD" 2>&1)
tap_check "without the reply-token key, which seals the stamps, refused" \
	grep -q "no reply-token key $H/state/token.key: it seals the stamps" <<<"$out"
tap_is "$(ls "$H/state")" "" "and nothing made"
# the key put back from the backup, as README says
install -m 0600 -o "$MAIL_USER" "$H/backups/hot/token.key" "$H/state/"
# on a terminal (script(1) gives it one), with its progress
out=$(script -qec "$(printf '%q ' "${AS_MAIL_USER[@]}" "$CTL_BIN" -c "$CONF" \
	rebuild --from-mailbox "$SALES_MD" "$MANAGER_MD")" /dev/null |
	tr '\r' '\n')
rc=${PIPESTATUS[0]}
show_output "$out"
tap_is "$rc" 0 "rebuild --from-mailbox SALES MANAGER (Maildirs)"
tap_check "on a terminal it shows its progress" \
	grep -qE "^rebuild: apply $n_files of $n_files messages \(100%\)" <<<"$out"
tap_is "$(summary "$out")" \
	"$n_tickets tickets, $n_files messages, 0 unstamped, 0 skipped" \
	"its summary: every ticket and every message, nothing skipped"
tap_is "$(find "$H/state" -maxdepth 1 -type f ! -user "$MAIL_USER" | wc -l)" 0 \
	"the store's files are the milter user's"
start_milter_at "$CLOCK"
tap_is "$(ids | paste -sd ' ')" "$(paste -sd ' ' <<<"$before_ids")" \
	"the same tickets"
# shellcheck disable=SC2086
same_as_before "$H/after-maildir" $before_ids
same_timers

# 9. Again, through Dovecot's doveadm server, into a fresh state
#    directory.
#    The key lost as well: the stamps trusted without their seal.
stop_milter
fresh_state
out=$(rebuild --trust-stamps 2>&1)
rc=$?
show_output "$out"
tap_is "$rc" 0 "rebuild --from-mailbox --trust-stamps (every queue's mailbox through doveadm)"
tap_check "which says a new reply-token key was made" \
	grep -q "warning: a new reply-token key" <<<"$out"
tap_is "$(summary "$out")" \
	"$n_tickets tickets, $n_files messages, 0 unstamped, 0 skipped" \
	"its summary: the same"
start_milter_at "$CLOCK"
tap_is "$(ids | paste -sd ' ')" "$(paste -sd ' ' <<<"$before_ids")" \
	"the same tickets"
# shellcheck disable=SC2086
same_as_before "$H/after-doveadm" $before_ids
same_timers

# 10. The 3 a.m. way: the state directory lost again, the hot backup
#     restored (the store as of the backup, and the reply-token key),
#     and the mail since brought back from the mailboxes: the restored
#     tickets keep their whole history, the rest is rebuilt.
stop_milter
fresh_state
out=$(db recover --from "$H/backups/hot" 2>&1)
tap_check "db recover --from the hot backup, as of the backup" \
	grep -q "the reply-token key copied from the backup" <<<"$out"
out=$(rebuild --keep-store "$SALES_MD" "$MANAGER_MD" 2>&1)
rc=$?
show_output "$out"
tap_is "$rc" 0 "rebuild --from-mailbox --keep-store SALES MANAGER"
tap_check "its store stays: nothing moved aside" \
	sh -c "! ls -d '$H'/state/before-rebuild-* >/dev/null 2>&1"
start_milter_at "$CLOCK"
tap_is "$(ids | paste -sd ' ')" "$(paste -sd ' ' <<<"$before_ids")" \
	"the same tickets"
# shellcheck disable=SC2086
same_as_before "$H/after-restore" $before_ids
for id in 1 3; do
	tap_is "$(ctl show $id --json | jq -c .history)" \
		"$(jq -c .history "$H/before/$id.json")" \
		"ticket $id, whole in the backup, keeps its whole history"
done
same_timers

# 11. Mail that reached the mailbox past the milter, with no stamps:
#     Ivan's reply into ticket 1 and Frank's first mail, delivered by
#     LMTP while the milter is down; an agent's mail, skipped; and
#     Mallory's with forged stamps (ticket 3 closed, herself its
#     customer), which lack the seal and are threaded anew.  The store
#     in place is moved aside.
stop_milter
lmtp() {	# lmtp FROM FILE: straight into the sales mailbox
	swaks --silent 2 --server 127.0.0.1 --port "$LMTP_PORT" \
		--protocol LMTP --from "$1" --to sales@shop.test --data "@$2"
}
cat > "$H/late-1.eml" <<MAIL
From: "Ivan Petrov" <customer@example.com>
To: sales@shop.test
Subject: Re: [Ticket #1] Broken lamp
Date: $(date -R)
Message-ID: <lamp-3@example.com>
In-Reply-To: <lamp-2@example.com>
References: <lamp-1@example.com> <ann-1@shop.test> <lamp-2@example.com>

Noon passed and nobody came.
MAIL
cat > "$H/late-2.eml" <<MAIL
From: "Frank Green" <frank@example.com>
To: sales@shop.test
Subject: Gift wrapping
Date: $(date -R)
Message-ID: <gift-1@example.com>

Do you wrap gifts?
MAIL
lmtp customer@example.com "$H/late-1.eml" || bail "LMTP delivery failed"
lmtp frank@example.com "$H/late-2.eml" || bail "LMTP delivery failed"
# and an agent's mail that went past the milter: no customer's
cat > "$H/late-3.eml" <<MAIL
From: Ann Lee <ann@shop.test>
To: sales@shop.test
Subject: Lunch
Date: $(date -R)
Message-ID: <lunch-1@shop.test>

Back at two.
MAIL
lmtp ann@shop.test "$H/late-3.eml" || bail "LMTP delivery failed"
cat > "$H/late-4.eml" <<MAIL
From: Mallory <mallory@example.net>
To: sales@shop.test
Subject: Refund now
Date: $(date -R)
Message-ID: <refund-1@example.net>
X-Shopdesk-Ticket: 3
X-Shopdesk-Queue: sales
X-Shopdesk-Status: closed
X-Shopdesk-Direction: inbound
X-Shopdesk-Time: $(date -u +%Y-%m-%dT%H:%M:%SZ)
X-Shopdesk-Participants: mallory@example.net
X-Shopdesk-Mac: 0123456789abcdef0123456789abcdef

Send the money to me.
MAIL
lmtp mallory@example.net "$H/late-4.eml" || bail "LMTP delivery failed"
out=$(rebuild "sales=$SALES_MD" "manager=$MANAGER_MD" 2>&1)
rc=$?
show_output "$out"
tap_is "$rc" 0 "rebuild --from-mailbox sales=SALES manager=MANAGER"
tap_is "$(summary "$out")" \
	"$((n_tickets + 2)) tickets, $((n_files + 4)) messages, 3 unstamped, 1 skipped" \
	"its summary reports the 3 unstamped messages and the one skipped"
tap_check "each unstamped message is listed with its ticket" \
	grep -q "no stamps: ticket 1 (rule references)" <<<"$out"
tap_check "the new one as a new ticket" \
	grep -q "no stamps: new ticket $((max_id + 1)) (rule new)" <<<"$out"
tap_check "and the skipped one with why" \
	grep -q "skipped: no stamps, and from the shop (ann@shop.test)" <<<"$out"
tap_check "forged stamps are told by their seal" \
	grep -q "stamps without this installation's seal" <<<"$out"
tap_check "the store that was there is moved aside" \
	sh -c "ls -d '$H'/state/before-rebuild-* >/dev/null"
start_milter_at "$CLOCK"
tap_is "$(json 1 '.messages | length')" \
	"$(($(jq '.messages | length' "$H/before/1.json") + 1))" \
	"the unstamped reply is filed into ticket 1"
tap_is "$(json 1 '.messages[-1].message_id')" lamp-3@example.com \
	"as its last message"
new=$((max_id + 1))
tap_is "$(json "$new" '"\(.queue) \(.customer.address) \(.subject)"')" \
	"sales frank@example.com Gift wrapping" \
	"the unstamped new mail is a new ticket, $new"
tap_is "$(json $((max_id + 2)) '"\(.customer.address) \(.status)"')" \
	"mallory@example.net new" "and are a new ticket of their sender's"
# every other ticket untouched
others=$(grep -vx 1 <<<"$before_ids")
# shellcheck disable=SC2086
same_as_before "$H/after-unstamped" $others

# 12. The ids go on after the highest.
send_mail gina@example.com sales@shop.test --header "Subject: Gift card" \
	--header "Message-Id: <card-1@example.com>" \
	--body "Do you sell gift cards?" || bail "swaks failed"
wait_until copy_of card-1@example.com || bail "gina's mail not delivered"
tap_is "$(stamp card-1@example.com Ticket)" "$((new + 2))" \
	"a new mail after the rebuild is ticket $((new + 2))"

# 13. The reply token Ivan was given before the state directory was
#     lost still leads to ticket 1, its key restored from the backup: a
#     mail written anew to his Reply-To, without In-Reply-To.
if send_mail customer@example.com "sales+$token@shop.test" \
	--header 'From: "Ivan Petrov" <customer@example.com>' \
	--header "Subject: Still waiting" \
	--header "Message-Id: <lamp-4@example.com>" \
	--body "Anybody there?" 2>"$H/token.err"; then
	wait_until copy_of lamp-4@example.com || bail "Ivan's mail not delivered"
	tap_is "$(stamp lamp-4@example.com Ticket)" 1 \
		"a reply token given before the loss still names ticket 1"
else
	tap_fail "a reply token given before the loss still names ticket 1" \
		"refused: $(tail -n 3 "$H/token.err")"
fi

# the follow-ups went before the rebuilds: nobody was asked again
tap_is "$(grep -c 'timer: ticket=[23] followup due=' "$H/milter.log")" 2 \
	"the customers of tickets 2 and 3 were asked once, rebuilds or not"

tap_done
