#!/bin/bash
# End to end: nothing internal reaches the customer.  A real Postfix
# relays outside mail (domain outside.test) to an smtp-sink with
# smtp_header_checks = regexp:postfix/smtp_header_checks, as README says;
# the queue mailboxes run Sieve's filing script through their userdb
# field, as README says.  Assertions read what the sink received (the
# customer's copy), the queue mailbox's copy of the same mail, and the
# Maildir of a customer who has a mailbox on the shop's own server.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/harness.sh"

SHOPDESK_EXTRA="agents = ann@shop.test"
HARNESS_USERS=lena@example.com
harness_init
mkdir -p "$H/sieve"
cp "$top_srcdir/sieve/shopdesk.sieve" "$H/sieve/"
sievec "$H/sieve/shopdesk.sieve" || bail "sievec failed"
DESK_SIEVE=$H/sieve/shopdesk.sieve
DOVECOT_EXTRA="
protocol lmtp {
  mail_plugins = \$mail_plugins sieve
}"
start_stack
start_bridge

# sink_with REGEX: the file of the mail the sink received whose header
# lines match REGEX (each file starts with smtp-sink's own X-Client-*,
# X-Helo-Args, X-Mail-Args and X-Rcpt-Args lines)
sink_with() {
	local f
	for f in $(find "$H/sink" -type f 2>/dev/null); do
		if sed '/^\r\?$/q' "$f" | grep -qiE "$1"; then
			echo "$f"
			return 0
		fi
	done
	return 1
}
wait_for_sink() {	# wait_for_sink REGEX: prints its file
	for _ in $(seq 1 200); do
		sink_with "$1" && return 0
		sleep 0.1
	done
	return 1
}
headers() { sed '/^\r\?$/q' "$1" | tr -d '\r'; }
# no_header_matches FILE REGEX: no header line of FILE matches REGEX
no_header_matches() { ! headers "$1" | grep -qiE "$2"; }
header_matches() { headers "$1" | grep -qiE "$2"; }
# folder_files USER FOLDER: the messages in USER's FOLDER (Maildir++)
folder_files() {
	local d
	d=$(maildir_of "$1")/.${2//\//.}
	ls "$d"/new/* "$d"/cur/* 2>/dev/null
}
wait_for_folder_mail() {	# wait_for_folder_mail USER FOLDER REGEX
	local f
	for _ in $(seq 1 200); do
		for f in $(folder_files "$1" "$2"); do
			header_matches "$f" "$3" && { echo "$f"; return 0; }
		done
		sleep 0.1
	done
	return 1
}
# agent_reply TO IN-REPLY-TO MESSAGE-ID: ann answers from her workstation,
# with a client that names her in Sender and asks for a read receipt
agent_reply() {
	swaks --silent 2 --server 127.0.0.1 --port "$SUBMIT_PORT" \
		--auth PLAIN --auth-user ann@shop.test --auth-password secret \
		--helo ann-pc.office.shop.test --from ann@shop.test --to "$1" \
		--header 'From: "Ann Lee" <ann@shop.test>' \
		--header 'Sender: "Ann Lee" <ann@shop.test>' \
		--header 'Disposition-Notification-To: ann@shop.test' \
		--header "Subject: Re: Broken lamp" \
		--header "In-Reply-To: <$2>" --header "Message-Id: <$3>" \
		--body "A new lamp leaves tomorrow."
}

# 1. A customer outside writes: the acknowledgement leaves through the
#    relay without anything internal.
send_mail ivan@outside.test sales@shop.test \
	--header 'From: "Ivan Petrov" <ivan@outside.test>' \
	--header "Subject: Broken lamp" \
	--header "Message-Id: <lamp-1@outside.test>" \
	--body "My lamp arrived broken." || bail "swaks failed"
ack=$(wait_for_sink '^In-Reply-To: <lamp-1@outside.test>') ||
	bail "no acknowledgement reached the sink"
tap_check "the ack went outside, from the queue" \
	header_matches "$ack" '^From: .*<sales@shop.test>'
tap_check "the ack carries no X-Shopdesk-* header" \
	no_header_matches "$ack" '^X-Shopdesk-'
inbound=$(wait_for_folder_mail sales@shop.test Sales \
	'^Message-Id: <lamp-1@outside.test>') ||
	bail "the customer's mail was not filed in Sales"
tap_is "$(header_of "$inbound" X-Shopdesk-Ticket)" 1 \
	"the queue mailbox's copy is stamped and filed by Sieve"

# 2. The agent answers from her workstation: the customer's copy has
#    the ticket's tag and the queue's address, and none of the
#    X-Shopdesk-* headers, the agent's address, her computer's name or
#    the authenticated submission's Received line.
agent_reply ivan@outside.test lamp-1@outside.test reply-1@shop.test ||
	bail "the agent's reply was refused"
out=$(wait_for_sink '^Message-Id: <reply-1@shop.test>') ||
	bail "the agent's reply did not reach the sink"
tap_is "$(header_of "$out" Subject)" "Re: [Ticket #1] Broken lamp" \
	"the customer's copy is the ticket's reply"
tap_check "the customer's copy comes from the queue with Ann's name" \
	header_matches "$out" '^From: Ann Lee <sales@shop.test>'
for h in Ticket Queue Status Channel Direction; do
	tap_check "the customer's copy has no X-Shopdesk-$h" \
		no_header_matches "$out" "^X-Shopdesk-$h:"
done
tap_check "nor any other X-Shopdesk-* header" \
	no_header_matches "$out" '^X-Shopdesk-'
tap_check "nor the agent's own address (Sender, read receipt)" \
	no_header_matches "$out" 'ann@shop\.test'
tap_check "nor her computer's name" no_header_matches "$out" 'ann-pc'
tap_check "nor the Received line of the authenticated submission" \
	no_header_matches "$out" ' with [A-Z0-9]*SMTPS?A '
tap_is "$(headers "$out" | grep -c '^Received:')" 1 \
	"only the sink's own Received line is left"
copy=$(wait_for_folder_mail sales@shop.test Sales/Sent \
	'^Message-Id: <reply-1@shop.test>') ||
	bail "no copy of the reply in Sales/Sent"
tap_is "$(header_of "$copy" X-Shopdesk-Ticket)" 1 \
	"the queue mailbox's copy keeps X-Shopdesk-Ticket"
tap_is "$(headers "$copy" | grep -cE '^X-Shopdesk-(Ticket|Queue|Status|Channel|Direction):')" \
	5 "and -Queue, -Status, -Channel and -Direction"
tap_check "and the submission's Received line, for the record" \
	header_matches "$copy" 'ann-pc\.office\.shop\.test'

# 3. A customer with a mailbox on the shop's server: the ack and the
#    agent's reply land in her INBOX; Sieve files nothing of hers.
send_mail lena@example.com sales@shop.test \
	--header 'From: "Lena Berg" <lena@example.com>' \
	--header "Subject: Broken lamp" \
	--header "Message-Id: <lamp-2@example.com>" \
	--body "Mine is broken too." || bail "swaks failed"
wait_for_mail_with lena@example.com '^In-Reply-To: <lamp-2@example.com>' \
	>/dev/null || bail "no acknowledgement for the local customer"
agent_reply lena@example.com lamp-2@example.com reply-2@shop.test ||
	bail "the agent's reply was refused"
r=$(wait_for_mail_with lena@example.com '^Message-Id: <reply-2@shop.test>') ||
	bail "the reply is not in the local customer's INBOX"
tap_is "$(header_of "$r" Subject)" "Re: [Ticket #2] Broken lamp" \
	"the local customer gets the agent's reply in her INBOX"
tap_is "$(find "$(maildir_of lena@example.com)" -mindepth 1 -maxdepth 1 \
	-name '.*' -type d | wc -l)" 0 "no folder made in her mailbox"
tap_is "$(mail_count lena@example.com)" 2 "the ack and the reply, both in INBOX"
tap_check "the queue's copy of it is in Sales/Sent" \
	wait_for_folder_mail sales@shop.test Sales/Sent \
	'^Message-Id: <reply-2@shop.test>'

tap_done
