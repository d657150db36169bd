#!/bin/bash
# Runs sieve/shopdesk.sieve through Pigeonhole's own sieve-test on every
# sample message in tests/sieve/ and checks the exact folders it stores the
# message in; reports TAP, one test point per case.  The script is compiled
# with sievec into a temporary directory (never beside the source), under a
# minimal Dovecot configuration of our own that leaves sieve_extensions
# unset, so it also proves that every extension the script needs is
# enabled by default.  Cases marked "personal" run the script the way
# sieve_before does, followed by tests/sieve/personal.sieve as the user's
# own script.  Each case runs twice: once to read the actions sieve-test
# reports, once with -e to store the message for real in a fresh Maildir
# under the same namespace settings as the end-to-end Dovecot ("/" as the
# separator), so that Dovecot itself must accept every folder name.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
: "${SIEVEC:=sievec}"
: "${SIEVE_TEST:=sieve-test}"
srcdir=$top_srcdir/tests/sieve

# A queue name of 64 characters, the longest used as a folder name
q64=Q$(printf 'q%.0s' {1..63})

# file | scripts run | folders stored in, space-separated | description
# ("global": shopdesk.sieve alone; "personal": it, then personal.sieve)
cases=(
	"inbound-sales.eml|global|Sales|inbound to sales: Sales"
	"inbound-manager.eml|global|Manager|inbound to manager: Manager"
	"note.eml|global|Sales/Notes|an internal note: Sales/Notes"
	"outbound.eml|global|Manager/Sent|a copy of an agent's reply: Manager/Sent"
	"plain.eml|global|INBOX|no shopdesk headers: INBOX"
	"no-ticket.eml|global|INBOX|queue and direction, no ticket: INBOX"
	"direction-unknown.eml|global|Sales|an unknown direction files as inbound"
	"direction-missing.eml|global|Manager|no direction files as inbound"
	"queue-missing.eml|global|Tickets|no queue: Tickets"
	"queue-empty.eml|global|Tickets|an empty queue: Tickets"
	"queue-dotdot.eml|global|Tickets|queue ../x: Tickets"
	"queue-inbox-dotdot.eml|global|Tickets/Notes|queue INBOX/.. on a note"
	"queue-slash.eml|global|Tickets/Sent|queue sales/notes on a reply"
	"queue-space.eml|global|Tickets|a queue with a space: Tickets"
	"queue-folded.eml|global|Tickets|a queue folded in two: Tickets"
	"queue-utf8.eml|global|Tickets|a queue in raw UTF-8: Tickets"
	"queue-encoded.eml|global|Tickets|an encoded word for ../x: Tickets"
	"queue-upper.eml|global|Tickets|a queue in upper case: Tickets"
	"queue-wildcard.eml|global|Tickets|IMAP wildcards: Tickets"
	"queue-control.eml|global|Tickets|a control character: Tickets"
	"queue-inbox.eml|global|Tickets|queue inbox never means INBOX"
	"queue-long.eml|global|Tickets|a queue of 65 characters: Tickets"
	"queue-max.eml|global|$q64|a queue of 64 characters is used"
	"queue-punct.eml|global|After-sales_2/Sent|digits, - and _ are kept"
	"queue-spaces-around.eml|global|Sales/Notes|blanks around the queue"
	"inbound-sales.eml|personal|Sales|stored once, personal script skipped"
	"note.eml|personal|Sales/Notes|a note: once, personal script skipped"
	"plain.eml|personal|Personal|other mail reaches the personal script"
)

for tool in "$SIEVEC" "$SIEVE_TEST"; do
	if ! command -v "$tool" >/dev/null; then
		echo "Bail out! $tool not found (package dovecot-sieve)"
		exit 1
	fi
done

# Dovecot refuses to run as root: as root, sieve-test runs as nobody, so
# the work directory must be readable by it.
if [ "$(id -u)" -eq 0 ]; then
	uid=$(id -u nobody) gid=$(id -g nobody) tmpbase=/tmp
else
	uid=$(id -u) gid=$(id -g) tmpbase=${TMPDIR:-/tmp}
fi
work=$(mktemp -d "$tmpbase/shopdesk-sieve.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"

cat > "$work/dovecot.conf" <<CONF
mail_uid = $uid
mail_gid = $gid
first_valid_uid = 0
first_valid_gid = 0
mail_home = $work/home
mail_location = maildir:$work/home/Maildir
namespace inbox {
  inbox = yes
  separator = /
}
CONF

# Copies compiled in $work: sieve-test would otherwise save a .svbin
# beside the script it is given.
cp "$top_srcdir/sieve/shopdesk.sieve" "$srcdir/personal.sieve" "$work/"
for s in shopdesk personal; do
	if ! "$SIEVEC" -c "$work/dovecot.conf" "$work/$s.sieve" \
		"$work/$s.svbin" > "$work/$s.compile" 2>&1; then
		sed 's/^/# /' "$work/$s.compile"
		echo "Bail out! $s.sieve does not compile"
		exit 1
	fi
done
chmod -R a+rX "$work"

# stored_folders: the folders of $work/home/Maildir holding a message,
# sorted, space-separated, in IMAP names (Maildir++ ".Sales.Notes" is
# "Sales/Notes"; none of the names here contains a dot).
stored_folders() {
	local d name
	for d in "$work/home/Maildir" "$work/home/Maildir"/.*/; do
		d=${d%/}
		case ${d##*/} in
		Maildir) name=INBOX ;;
		.|..) continue ;;
		*) name=${d##*/.}; name=${name//./\/} ;;
		esac
		find "$d/new" "$d/cur" -type f 2>/dev/null | grep -q . &&
			echo "$name"
	done | sort | tr '\n' ' '
}

n=0 failed=0
for c in "${cases[@]}"; do
	IFS='|' read -r file scripts want desc <<< "$c"
	n=$((n + 1))
	cp "$srcdir/$file" "$work/msg.eml"
	chmod 644 "$work/msg.eml"
	if [ "$scripts" = personal ]; then
		set -- -s "$work/shopdesk.sieve" "$work/personal.sieve"
	else
		set -- "$work/shopdesk.sieve"
	fi
	"$SIEVE_TEST" -c "$work/dovecot.conf" "$@" "$work/msg.eml" \
		> "$work/out" 2> "$work/err"
	rc=$?
	# Every store action, performed or implicit keep, one folder a line.
	got=$(sed -n 's/^ \* store message in folder: //p' "$work/out" |
		tr '\n' ' ')
	got=${got% }
	# fileinto :create for every folder this script chooses
	created=$(grep -c 'create mailbox if it does not exist' "$work/out")
	case $want in
	INBOX) want_created=0 ;;
	*) want_created=1 ;;
	esac
	# The same run, executed into an empty mailbox
	rm -rf "${work:?}/home"
	mkdir "$work/home"
	chown "$uid:$gid" "$work/home"
	"$SIEVE_TEST" -c "$work/dovecot.conf" -e "$@" "$work/msg.eml" \
		> "$work/out-e" 2> "$work/err-e"
	rc_e=$?
	stored=$(stored_folders)
	stored=${stored% }
	want_stored=$(tr ' ' '\n' <<< "$want" | sort | tr '\n' ' ')
	want_stored=${want_stored% }
	why=
	if [ $rc -ne 0 ]; then
		why="sieve-test exited $rc"
	elif grep -Eiq '(error|warning|panic|fatal):' "$work/err"; then
		why="sieve-test complained"
	elif [ "$got" != "$want" ]; then
		why="stored in '$got', expected '$want'"
	elif [ "$created" -ne "$want_created" ]; then
		why="$created folders created with :create, expected $want_created"
	elif [ $rc_e -ne 0 ] || grep -Eiq '(error|panic|fatal):' "$work/err-e"
	then
		why="sieve-test -e failed ($rc_e)"
	elif [ "$stored" != "$want_stored" ]; then
		why="delivered into '$stored', expected '$want_stored'"
	fi
	if [ -z "$why" ]; then
		echo "ok $n - $file: $desc"
	else
		failed=$((failed + 1))
		echo "not ok $n - $file: $desc"
		echo "# $why"
		sed 's/^/#   /' "$work/out" "$work/err" "$work/err-e"
	fi
done
echo "1..$n"
# sieve-test must not have left a binary in the source tree
if ls "$top_srcdir"/sieve/*.svbin "$srcdir"/*.svbin >/dev/null 2>&1; then
	echo "# a .svbin appeared in the source tree"
	failed=$((failed + 1))
fi
exit $((failed > 0))
