#!/bin/bash
# Runs every tests/milter/t-*.lua with miltertest against the real
# shopdesk-milter, each on a fresh store, and reports TAP (one test point
# per script).  miltertest starts and stops the daemon itself.  A
# t-NAME.conf beside a script adds [shopdesk] keys for it.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${MILTERTEST:=miltertest}"

work=$(mktemp -d "${TMPDIR:-/tmp}/shopdesk-mt.XXXXXX")
trap 'rm -rf "$work"' EXIT

scripts=("$here"/t-*.lua)
echo "1..${#scripts[@]}"
n=0 failed=0
for script in "${scripts[@]}"; do
	n=$((n + 1))
	name=$(basename "$script" .lua)
	dir="$work/$name"
	mkdir -p "$dir"
	cat > "$dir/shopdesk.conf" <<CONF
[shopdesk]
domain = shop.test
# the store is in this test's folder: keep the user running the test
user = root
state_dir = $dir/state
spool_dir = $dir/spool
milter_socket = unix:$dir/milter.sock
control_socket = $dir/control.sock
templates_dir = $top_srcdir/templates
ticket_tag = Ticket
# no Dovecot here: no mailbox keywords to keep
doveadm_socket =
$(cat "${script%.lua}.conf" 2>/dev/null)

[queue sales]
address = sales@shop.test, orders@shop.test

[queue manager]
address = manager@shop.test
CONF
	if (cd "$dir" && timeout 120 "$MILTERTEST" \
		-D srcdir="$here" \
		-D milter="$top_builddir/milter/shopdesk-milter" \
		-D conf="$dir/shopdesk.conf" \
		-D sock="unix:$dir/milter.sock" \
		-s "$script") > "$dir/out" 2>&1; then
		echo "ok $n - $name"
	else
		failed=$((failed + 1))
		echo "not ok $n - $name"
		sed 's/^/# /' "$dir/out"
	fi
	# miltertest stops the filter itself, unless it crashed first
	pkill -f -- "-c $dir/shopdesk.conf" 2>/dev/null
done
exit $((failed > 0))
