#!/bin/bash
# End to end: agents reach the queue mailbox as themselves.  A real
# Dovecot with the acl plugin and a shared namespace, set up with the
# lines of README ("Agents on the queue mailbox"); the queue's owner
# grants an agent rights with `doveadm acl set`; Python's imaplib logs in
# as the agent (never as the queue), tags and moves ticket mail through
# the shared namespace; assertions read `shopdeskctl show --json` and
# what a user without rights can see.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/harness.sh"

SALES_EXTRA="autoack = false"
harness_init
mkdir -p "$H/sieve"
cp "$top_srcdir/sieve/shopdesk.sieve" "$H/sieve/"
sievec "$H/sieve/shopdesk.sieve" || bail "sievec failed"
DESK_SIEVE=$H/sieve/shopdesk.sieve
# the mail user writes the list of who shares what with whom
DOVECOT_EXTRA="
mail_plugins = \$mail_plugins acl
protocol lmtp {
  mail_plugins = \$mail_plugins sieve
}
protocol imap {
  mail_plugins = \$mail_plugins imap_acl
}
namespace shared {
  type = shared
  separator = /
  prefix = shared/%%u/
  location = maildir:%%h/Maildir
  subscriptions = no
  list = children
}
plugin {
  acl = vfile
  acl_shared_dict = file:$MAILDIR_ROOT/shared-mailboxes.db
}"
start_stack

SALES=shared/sales@shop.test/Sales
json() { ctl show "$1" --json | jq -r "$2"; }
imap_as() {	# imap_as USER COMMAND...
	local user=$1; shift
	python3 "$here/imap.py" "$IMAP_PORT" "$user" secret "$@"
}
# keywords_of USER FOLDER TICKET: the status keywords of the ticket's
# messages in FOLDER as USER sees them
keywords_of() {
	imap_as "$1" list | awk -v f="$2" -v t="$3" '$1 == f && $3 == t {
		for (i = 4; i <= NF; i++)
			if ($i ~ /^(new|open|pending|resolved|closed)$/) print $i }'
}
wait_until() {	# wait_until COMMAND...: true within 10 s
	for _ in $(seq 1 100); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}
status_is() { [ "$(json "$1" .status)" = "$2" ]; }
keywords_are() { [ "$(keywords_of "$1" "$2" "$3")" = "$4" ]; }

# 1. Two customers write; Sieve files their mail into the queue's Sales.
for i in 1 2; do
	send_mail "c$i@example.com" sales@shop.test \
		--header "Subject: Question $i" \
		--header "Message-Id: <q$i@example.com>" \
		--body "Where is parcel $i?" || bail "swaks failed"
done
wait_until bash -c "[ \"\$(python3 '$here/imap.py' $IMAP_PORT sales@shop.test secret list |
	awk '\$1 == \"Sales\"' | wc -l)\" = 2 ]" || bail "mail not filed in Sales"

# 2. The queue's owner gives ann rights on Sales (README's line).
doveadm -c "$DC_CONF" acl set -u sales@shop.test Sales user=ann@shop.test \
	lookup read write write-seen write-deleted insert expunge create ||
	bail "doveadm acl set failed"
tap_check "ann sees the queue's Sales through the shared namespace" \
	bash -c "python3 '$here/imap.py' $IMAP_PORT ann@shop.test secret folders |
		grep -qx '$SALES'"
tap_is "$(imap_as bob@shop.test folders)" INBOX \
	"bob, without rights, sees only his own INBOX"
if imap_as bob@shop.test store "$SALES" 1 +FLAGS resolved 2>/dev/null; then
	tap_fail "bob cannot open the queue's Sales"
else
	tap_ok "bob cannot open the queue's Sales"
fi
tap_is "$(json 1 .status)" new "and changes nothing"

# 3. ann, logged in as herself, tags ticket 1 resolved: the ticket
#    follows, its history names her and the shared folder, and the
#    queue's owner sees the keyword too.
imap_as ann@shop.test store "$SALES" 1 +FLAGS resolved ||
	bail "ann's STORE failed"
tap_check "ann's keyword resolves ticket 1" wait_until status_is 1 resolved
tap_is "$(json 1 '.history[-1] | "\(.event) \(.by) \(.via) \(.mailbox)"')" \
	"status ann@shop.test keyword $SALES" \
	"history: ann, by keyword, in the queue's Sales"
tap_check "the queue's owner sees ticket 1 resolved" \
	wait_until keywords_are sales@shop.test Sales 1 resolved
tap_is "$(json 2 .status)" new "ticket 2 untouched"

# 4. A MOVE into a status folder she makes under the queue's Sales.
imap_as ann@shop.test move "$SALES" 2 "$SALES/Pending" ||
	bail "ann's MOVE failed"
tap_check "ann's MOVE into Sales/Pending makes ticket 2 pending" \
	wait_until status_is 2 pending
tap_is "$(json 2 '.history[-1] | "\(.by) \(.via) \(.mailbox)"')" \
	"ann@shop.test move $SALES/Pending" "history: ann, by move"
tap_check "the message is in the queue's own Sales/Pending" \
	wait_until keywords_are sales@shop.test Sales/Pending 2 pending
tap_check "bob sees no Sales/Pending either" \
	bash -c "! python3 '$here/imap.py' $IMAP_PORT bob@shop.test secret folders |
		grep -q Pending"

# 5. Folders made later under Sales take its rights: Sieve makes
#    Sales/Sent for the copy of ann's reply, and ann sees it.
swaks --silent 2 --server 127.0.0.1 --port "$SUBMIT_PORT" \
	--auth PLAIN --auth-user ann@shop.test --auth-password secret \
	--from ann@shop.test --to c1@example.com \
	--header "Subject: Re: Question 1" \
	--header "In-Reply-To: <q1@example.com>" \
	--body "It left today." || bail "ann's reply refused"
tap_check "ann sees Sales/Sent, which Sieve made for her reply's copy" \
	wait_until bash -c "python3 '$here/imap.py' $IMAP_PORT ann@shop.test secret folders |
		grep -qx '$SALES/Sent'"
tap_check "bob does not" \
	bash -c "! python3 '$here/imap.py' $IMAP_PORT bob@shop.test secret folders |
		grep -q Sent"

tap_done
