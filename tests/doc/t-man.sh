#!/bin/bash
# The manual pages: each renders with groff without a warning (-ww, as
# man(1) would show it), and says what the code has: shopdesk.conf(5) and
# doc/config.md name every key that shopdeskctl config -d prints,
# shopdeskctl(1) every command of shopdeskctl --help, and the daemons'
# pages every option of their usage line.  Reports TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
ctl=$top_builddir/cli/shopdeskctl
n=0 failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1)) failed=$((failed + 1))
	echo "not ok $n - $1"
	[ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/# /'
}

# a page from the sources, or made by make in the build tree
page() {
	if [ -f "$top_builddir/doc/$1" ]; then
		echo "$top_builddir/doc/$1"
	else
		echo "$top_srcdir/doc/$1"
	fi
}

echo "1..9"
for p in shopdesk-milter.8 shopdesk-bridge.8 shopdeskctl.1 shopdesk.conf.5; do
	f=$(page $p)
	if ! command -v groff >/dev/null; then
		not_ok "$p renders without warnings" "no groff (tools/deps.sh)"
		continue
	fi
	out=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$f" 2>&1)
	if [ -f "$f" ] && [ -z "$out" ]; then
		ok "$p renders without warnings"
	else
		not_ok "$p renders without warnings" "$out"
	fi
done

# Every key of every group: all groups and channels in one file
cat >"$tmp/shopdesk.conf" <<CONF
[shopdesk]
domain = shop.test
templates_dir = $top_srcdir/templates
[queue sales]
address = sales@shop.test
[channel telegram]
token_file = /etc/shopdesk/tg.token
queue = sales
[channel whatsapp]
token_file = /etc/shopdesk/wa.token
queue = sales
phone_number_id = 1
CONF
if ! "$ctl" -c "$tmp/shopdesk.conf" config -d >"$tmp/defaults" 2>&1; then
	not_ok "shopdeskctl config -d" "$(cat "$tmp/defaults")"
	exit 1
fi
keys=$(sed -n 's/^\([a-z_]*\) =.*/\1/p' "$tmp/defaults" | sort -u)
if [ "$(echo "$keys" | wc -l)" -ge 50 ]; then
	ok "shopdeskctl config -d prints the keys of every group"
else
	not_ok "shopdeskctl config -d prints the keys of every group" \
		"$(cat "$tmp/defaults")"
fi
missing=
for k in $keys; do
	grep -qx "\.B $k" "$(page shopdesk.conf.5)" || missing+=" $k"
done
if [ -z "$missing" ]; then
	ok "shopdesk.conf(5) describes every key config -d prints"
else
	not_ok "shopdesk.conf(5) describes every key config -d prints" \
		"missing:$missing"
fi
missing=
for k in $keys; do
	grep -q "^| \`$k\` |" "$top_builddir/doc/config.md" || missing+=" $k"
done
if [ -z "$missing" ]; then
	ok "doc/config.md describes every key config -d prints"
else
	not_ok "doc/config.md describes every key config -d prints" \
		"missing:$missing"
fi

# shopdeskctl --help: "  config ...", "  outbox retry KEY", ...
commands=$("$ctl" --help | sed -n 's/^  \([a-z][a-z]*\( [a-z][a-z]*\)\?\).*/\1/p' |
	sed 's/ \[.*//' | sort -u)
missing=
while read -r c; do
	[ -n "$c" ] || continue
	grep -q "^\.B $c\b" "$(page shopdeskctl.1)" || missing+=" '$c'"
done <<<"$commands"
if [ -n "$commands" ] && [ -z "$missing" ]; then
	ok "shopdeskctl(1) has every command of shopdeskctl --help"
else
	not_ok "shopdeskctl(1) has every command of shopdeskctl --help" \
		"missing:$missing"
fi

# "usage: shopdesk-milter [-c FILE] [-f] [-p PIDFILE]"
missing=
for d in milter/shopdesk-milter bridge/shopdesk-bridge; do
	name=${d#*/}
	opts=$("$top_builddir/$d" -Z 2>&1 | grep -o '\[-[a-zA-Z]' | cut -c3)
	[ -n "$opts" ] || missing+=" $name: no usage line"
	for o in $opts; do
		grep -q "^\.BI\? \\\\-$o\b" "$(page "$name.8")" ||
			missing+=" $name -$o"
	done
done
if [ -z "$missing" ]; then
	ok "the daemons' pages have every option of their usage"
else
	not_ok "the daemons' pages have every option of their usage" \
		"missing:$missing"
fi
[ "$failed" -eq 0 ]
