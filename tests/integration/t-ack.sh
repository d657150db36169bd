#!/bin/bash
# End to end: acknowledgements.  Customers' mail goes through a real
# Postfix with shopdesk-milter into a real Dovecot; shopdesk-bridge sends
# the acks through Postfix's sendmail; assertions read what the
# customers' mailboxes receive, the tickets (`shopdeskctl show --json`)
# and the logs.  One customer runs a Sieve vacation script in Dovecot,
# the auto-responder that an ack loop would need.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/harness.sh"

HARNESS_USERS="olena@example.com jonas@example.com flood@example.com
	news@example.com bulk@example.com away@example.com vac@example.com
	late1@example.com late2@example.com"
harness_init
DOVECOT_EXTRA="
protocol lmtp {
  mail_plugins = \$mail_plugins sieve
}
plugin {
  sieve = file:~/sieve;active=~/.dovecot.sieve
}
submission_host = 127.0.0.1:$SMTP_PORT
postmaster_address = postmaster@shop.test
"
start_stack
start_bridge
mkdir -p "$MAILDIR_ROOT/example.com/vac"
cat > "$MAILDIR_ROOT/example.com/vac/.dovecot.sieve" <<'SIEVE'
require ["vacation"];
vacation :days 1 :subject "Away" "I am away this week.";
SIEVE
chown -R "$MAIL_USER:" "$MAILDIR_ROOT/example.com"

json() { ctl show "$1" --json | jq -r "$2"; }
ticket_of() {	# ticket_of MESSAGE-ID: the ticket of the delivered copy
	header_in sales@shop.test "^Message-Id: <$1>" \
		X-Shopdesk-Ticket
}
acks_to() {	# acks_to USER: acknowledgements in the user's INBOX
	local f n=0
	for f in $(mail_files "$1"); do
		sed '/^\r\?$/q' "$f" | grep -qi '^Auto-Submitted: auto-replied' &&
			sed '/^\r\?$/q' "$f" | grep -qi '^From: .*sales@shop.test' &&
			n=$((n + 1))
	done
	echo "$n"
}
sent_count() { grep -c 'status=sent' "$H/bridge.log"; }

# 1. A Russian customer with a name and a +03:00 Date: one ack, in
#    Russian, by name, with the ticket and the reply-by in their offset.
send_mail customer@example.com sales@shop.test \
	--header "Subject: =?UTF-8?B?0JPQtNC1INC80L7RjyDQv9C+0YHRi9C70LrQsD8=?=" \
	--header "From: =?UTF-8?B?0JjQstCw0L0g0J/QtdGC0YDQvtCy?= <customer@example.com>" \
	--header "Message-Id: <ru-ack-1@example.com>" \
	--header "Date: $(TZ=Etc/GMT-3 date -R)" \
	--header "Content-Type: text/plain; charset=UTF-8" \
	--body "Здравствуйте! Посылка так и не пришла, подскажите, где она сейчас и когда её доставят?" ||
	bail "swaks could not send"
wait_for_mail customer@example.com 1 || bail "no ack for the Russian mail"
wait_for_mail sales@shop.test 1 || bail "the Russian mail not delivered"
t=$(ticket_of ru-ack-1@example.com)
ack=$(mail_files customer@example.com | tail -n 1)
tap_is "$(header_of "$ack" Auto-Submitted)" auto-replied "Auto-Submitted"
tap_is "$(header_of "$ack" Return-Path)" "<>" "null envelope sender"
tap_is "$(header_of "$ack" In-Reply-To)" "<ru-ack-1@example.com>" \
	"In-Reply-To the customer's message"
tap_is "$(header_of "$ack" References)" "<ru-ack-1@example.com>" \
	"References the customer's message"
tap_check "From the queue address" \
	grep -qE '^From: .*<sales@shop.test>' "$ack"
token=$(header_of "$ack" Reply-To | sed -n 's/.*<sales+\([^@]*\)@shop.test>.*/\1/p')
tap_check "Reply-To carries the ticket token ($token)" \
	test "${token%%k*}" = "$t"
tap_check "subject carries the ticket tag" \
	perl -MEncode -e 'exit(decode("MIME-Header", $ARGV[0]) =~ /\[Ticket #\Q$ARGV[1]\E\]/ ? 0 : 1)' \
	"$(header_of "$ack" Subject)" "$t"
tap_is "$(header_of "$ack" Content-Language)" ru "Content-Language ru"
mid=$(header_of "$ack" Message-Id)
tap_is "$mid" "<$(json "$t" '.history[] | select(.event == "ack") | .message_id')>" \
	"the ack's Message-ID is the one the ticket's history records"
body=$(text_part "$ack")
tap_check "greets the customer by name in Russian" \
	grep -q "Здравствуйте, Иван Петров!" <<<"$body"
tap_check "names the ticket" grep -qF "[Ticket #$t]" <<<"$body"
reply_by=$(json "$t" .reply_by)
want_time=$(TZ=Etc/GMT-3 date -d "$reply_by" +%H:%M)
want_day=$(TZ=Etc/GMT-3 date -d "$reply_by" +%-d)
months=(января февраля марта апреля мая июня июля августа сентября октября ноября декабря)
want_month=${months[$(( $(TZ=Etc/GMT-3 date -d "$reply_by" +%-m) - 1 ))]}
tap_check "reply-by $reply_by in the customer's +03:00, in Russian ($want_day $want_month, $want_time)" \
	grep -q "$want_day $want_month, $want_time" <<<"$body"
tap_check "says it is the customer's time" \
	grep -q "по вашему времени, UTC+03:00" <<<"$body"
tap_check "shop hours with Russian day names" \
	grep -q "Пн–Пт 09:00–18:00" <<<"$body"
tap_check "delivery question: canned delivery answer" \
	grep -q "Номер для отслеживания" <<<"$body"
tap_is "$(json "$t" .customer.language)" ru "ticket language ru"
tap_is "$(json "$t" .category)" delivery "ticket category delivery"
f=$(mail_with sales@shop.test '^Message-Id: <ru-ack-1@example.com>')
tap_is "$(header_of "$f" X-Shopdesk-Language)" ru "X-Shopdesk-Language"
tap_is "$(header_of "$f" X-Shopdesk-Category)" delivery "X-Shopdesk-Category"
tap_check "HTML alternative" grep -qi '^Content-Type: text/html' "$ack"

# 2. Ukrainian by text, Lithuanian by Content-Language, English without a
#    display name: each in its language, each greeted right.
send_mail olena@example.com sales@shop.test \
	--header "Subject: Повернення" \
	--header "From: Олена <olena@example.com>" \
	--header "Content-Type: text/plain; charset=UTF-8" \
	--body "Добрий день! Хочу повернути куртку, вона не підійшла за розміром. Що мені робити?"
send_mail jonas@example.com manager@shop.test \
	--header "Subject: Klausimas" \
	--header "From: Jonas <jonas@example.com>" \
	--header "Content-Language: lt" \
	--body "Hello"
send_mail alice@example.com sales@shop.test \
	--header "Subject: Payment" \
	--header "From: alice@example.com" \
	--body "Hello, can I pay for my order by bank card or only by invoice?"
wait_for_mail olena@example.com 1 && wait_for_mail jonas@example.com 1 &&
	wait_for_mail alice@example.com 1 || bail "acks 2 missing"
tap_check "Ukrainian detected from the text" \
	grep -q "Вітаємо, Олена!" <<<"$(text_part "$(mail_files olena@example.com)")"
tap_check "Lithuanian by Content-Language" \
	grep -q "Sveiki, Jonas!" <<<"$(text_part "$(mail_files jonas@example.com)")"
alice=$(text_part "$(mail_files alice@example.com)")
tap_check "no display name: a safe greeting" grep -q "^Hello,$" <<<"$alice"
tap_check "payment question: canned payment answer" \
	grep -q "We accept Visa and Mastercard" <<<"$alice"
tap_check "the manager queue's ack comes from manager@" \
	grep -q '^From: .*manager@shop.test' "$(mail_files jonas@example.com)"

# 3. List, bulk, auto-replied and bounce mail: filed, never answered.
send_mail news@example.com sales@shop.test --header "Subject: Weekly news" \
	--header "List-Id: <news.example.com>" --body "News."
send_mail bulk@example.com sales@shop.test --header "Subject: Offer" \
	--header "Precedence: bulk" --body "Offer."
send_mail away@example.com sales@shop.test --header "Subject: Out of office" \
	--header "Auto-Submitted: auto-replied" --body "I am away."
send_mail "<>" sales@shop.test --header "From: MAILER-DAEMON@example.com" \
	--header "Subject: Undelivered Mail Returned to Sender" \
	--header "Content-Type: multipart/report; report-type=delivery-status; boundary=b" \
	--header "MIME-Version: 1.0" \
	--body $'This is a delivery report.\n--b\n\nfailed\n--b\nContent-Type: message/delivery-status\n\nStatus: 5.1.1\n--b--'
wait_for_mail sales@shop.test 7 || bail "list/bulk/auto/bounce not filed"
outbox_idle && wait_queue_empty || bail "outbox or queue never empties"
for u in news bulk away; do
	tap_is "$(mail_count $u@example.com)" 0 "no ack to $u@ mail"
done
tap_check "the log says why: mailing list" grep -q "ack=none (mailing list" "$H/milter.log"
tap_check "the log says why: precedence" grep -q "ack=none (precedence" "$H/milter.log"
tap_check "the log says why: auto-submitted" grep -q "ack=none (auto-submitted" "$H/milter.log"
tap_check "the log says why: null sender" grep -q "ack=none (null sender" "$H/milter.log"
tap_is "$(sent_count)" 4 "the bridge sent exactly the four acks so far"

# 4. A flood from one sender: new tickets each, acks capped (ack_burst 3).
for i in 1 2 3 4 5 6; do
	send_mail flood@example.com sales@shop.test \
		--header "Subject: Question number $i" --body "Question $i?"
done
wait_for_mail sales@shop.test 13 || bail "flood not filed"
outbox_idle && wait_queue_empty
tap_is "$(acks_to flood@example.com)" 3 "flood of 6: 3 acks (burst limit)"
tap_is "$(grep -c 'ack=none (burst limit' "$H/milter.log")" 3 \
	"the other 3 logged as over the burst limit"

# 5. An ack loop needs an auto-responder: vac@ has Sieve vacation.
#    First, it answers ordinary mail (the responder works)...
send_mail bob@shop.test vac@example.com --header "Subject: Lunch?" \
	--body "Lunch on Friday?"
wait_for_mail bob@shop.test 1 || bail "vacation did not answer"
tap_check "vacation answers an ordinary mail" \
	grep -qi '^Subject: Away' "$(mail_files bob@shop.test)"
#    ...then vac@ writes to sales@: one ack, and vacation stays quiet.
send_mail vac@example.com sales@shop.test --header "Subject: Broken lamp" \
	--header "Message-Id: <vac-1@example.com>" \
	--body "My lamp arrived broken, what can I do about it?"
wait_for_mail vac@example.com 2 || bail "no ack for vac@"
#    ...and an agent-style mail from sales@ to vac@ draws vacation's
#    reply into sales@, which shopdesk files without answering.
send_mail sales@shop.test vac@example.com --header "Subject: Re: Broken lamp" \
	--header "In-Reply-To: <vac-1@example.com>" --body "We are sorry."
wait_for_mail sales@shop.test 15 || bail "vacation reply to sales@ missing"
outbox_idle && wait_queue_empty && sleep 2
tap_is "$(acks_to vac@example.com)" 1 "vac@ got exactly one ack"
tap_is "$(mail_count vac@example.com)" 3 \
	"vac@ holds bob's mail, the ack and sales' mail: nothing more"
tap_is "$(mail_count sales@shop.test)" 15 \
	"sales@ holds vac's mail and one vacation reply: the loop stopped"
tap_check "vacation's reply to sales@ got no ack" \
	grep -qE "from=<vac@example.com>.* ack=none \((auto-submitted|null sender)" \
	"$H/milter.log"

# 6. Bridge down: acks wait in the outbox; a retried message (same
#    Message-ID) puts its ack again, yet each customer gets one.
stop_bridge
for u in late1 late2; do
	send_mail $u@example.com sales@shop.test --header "Subject: Late $u" \
		--header "Message-Id: <$u@example.com>" --body "Where is it?"
done
wait_for_mail sales@shop.test 17 || bail "late mail not filed"
tap_is "$(ls "$H/spool/outbox/new" | wc -l)" 2 "two acks wait in the outbox"
send_mail late1@example.com sales@shop.test --header "Subject: Late late1" \
	--header "Message-Id: <late1@example.com>" --body "Where is it?"
wait_for_mail sales@shop.test 18 || bail "retried mail not delivered"
tap_is "$(ls "$H/spool/outbox/new" | wc -l)" 2 \
	"the retried message's ack is the same item"
start_bridge
wait_for_mail late1@example.com 1 && wait_for_mail late2@example.com 1 ||
	bail "acks not sent after the bridge came back"
send_mail late2@example.com sales@shop.test --header "Subject: Late late2" \
	--header "Message-Id: <late2@example.com>" --body "Where is it?"
wait_for_mail sales@shop.test 19 || bail "second retry not delivered"
outbox_idle && wait_queue_empty
tap_is "$(acks_to late1@example.com)" 1 "late1: one ack"
tap_is "$(acks_to late2@example.com)" 1 \
	"late2: one ack, though its message came again after the ack left"
tap_check "the done key stopped the second send" \
	test -e "$H/spool/outbox/done/$(json "$(ticket_of late2@example.com)" \
		'.history[] | select(.event == "ack") | .message_id')"

# 7. The admin's preview and check.
preview=$(ctl template render ack.txt --lang uk)
tap_check "template render: Ukrainian preview with sample data" \
	grep -q "Вітаємо, Anna Smith!" <<<"$preview"
echo '{"customer": {"name": "Тарас"}, "ticket": {"tag": "[Ticket #9]"}}' \
	> "$H/data.json"
tap_check "template render --data: the data given" \
	grep -q "Вітаємо, Тарас!" <<<"$(ctl template render ack.txt --lang uk --data "$H/data.json")"
cp -r "$top_srcdir/templates" "$H/templates"
printf '{{#open}} never closed\n' > "$H/templates/lt/ack.html"
sed "s|^templates_dir = .*|templates_dir = $H/templates|" "$CONF" > "$H/broken.conf"
out=$("$CTL_BIN" -c "$H/broken.conf" config 2>&1)
tap_check "config refuses a broken template, naming the file ($out)" \
	grep -q "templates/lt/ack.html: .*not closed" <<<"$out"

tap_done
