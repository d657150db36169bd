#!/bin/bash
# t-package.sh: the Debian package, as an admin meets it.  Builds
# shopdesk and dovecot-shopdesk from a copy of the tree (dpkg-buildpackage
# -b, the suite left out), runs lintian (an error fails, warnings are
# shown), installs both, checks what installing made (user, groups,
# folders, conffile, postfix in the group); applies README's Postfix and
# Dovecot lines to a private Postfix and Dovecot (the installed plugin),
# starts shopdesk-milter and shopdesk-bridge as root and checks that they
# run as shopdesk (no uid of root, real, effective or saved; the milter's
# socket 0660, group shopdesk), sends mail through Postfix and the
# milter's unix socket, and has an agent's #resolve show as the keyword
# the milter sets through Dovecot's doveadm socket; verifies the units,
# then purges both and checks that all of it is gone.  Needs root and
# dpkg; TAP.
#
# Units are verified, never started: the CI machine need not run systemd
# as PID 1, so nothing here calls systemctl.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
. "$top_srcdir/tests/integration/harness.sh"

if [ "$(id -u)" -ne 0 ] || ! command -v dpkg-buildpackage >/dev/null; then
	echo "1..0 # SKIP needs root and dpkg-buildpackage"
	exit 0
fi
if dpkg-query -W -f='${Status}' shopdesk 2>/dev/null |
	grep -q 'ok installed'; then
	echo "1..0 # SKIP a shopdesk package is installed here already"
	exit 0
fi

W=$(mktemp -d /tmp/shopdesk-package.XXXXXX)
MILTER_PID= BRIDGE_PID= SYSLOG_PID=
stop_servers() {	# unset before harness_init, after the build
	[ -n "${PF_DIR:-}" ] || return 0
	[ -f "$PF_DIR/main.cf" ] && postfix -c "$PF_DIR" stop >/dev/null 2>&1
	[ -f "$DC_CONF" ] && doveadm -c "$DC_CONF" stop >/dev/null 2>&1
	rm -f "$PF_DIR/main.cf" "$DC_CONF"
}
cleanup() {
	[ -n "$MILTER_PID" ] && kill "$MILTER_PID" 2>/dev/null
	[ -n "$BRIDGE_PID" ] && kill "$BRIDGE_PID" 2>/dev/null
	stop_servers
	dpkg --purge dovecot-shopdesk shopdesk >/dev/null 2>&1
	if [ -n "$SYSLOG_PID" ]; then
		kill "$SYSLOG_PID" 2>/dev/null
		rm -f /dev/log
	fi
	rm -rf "$W" /var/backups/shopdesk
}
trap cleanup EXIT
H=$W	# harness_logs, after a bail

# --- build ----------------------------------------------------------
# What git tracks and what is new but not ignored: the tree as it is
# being worked on, without this checkout's build output (outside git,
# all of it: debian/rules clean removes what is built)
mkdir "$W/src"
if git -C "$top_srcdir" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$top_srcdir" &&
	 git ls-files -z --cached --others --exclude-standard |
	 tar -c --null -T - 2>/dev/null) | tar -x -C "$W/src"
else
	tar -C "$top_srcdir" -c . | tar -x -C "$W/src"
fi || bail "cannot copy the tree"
start=$(date +%s)
if (cd "$W/src" && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" \
	dpkg-buildpackage -b -us -uc) >"$W/build.log" 2>&1; then
	tap_ok "dpkg-buildpackage -b builds ($(($(date +%s) - start)) s)"
else
	tap_fail "dpkg-buildpackage -b builds" "$(tail -n 30 "$W/build.log")"
	tap_done
	exit 1
fi
DEB=$W/shopdesk_*_*.deb
PLUGIN_DEB=$W/dovecot-shopdesk_*_*.deb
tap_check "both packages are made" test -f $DEB -a -f $PLUGIN_DEB
# "2.3.ABIv19(2.3.19.1)" -> dovecot-abi-2.3.abiv19, as dovecot-core has it
abi=$(sed -n 's/^.define DOVECOT_ABI_VERSION "\([0-9A-Za-z.]*\).*/\1/p' \
	/usr/include/dovecot/config.h | tr A-Z a-z)
tap_check "the plugin depends on the Dovecot ABI it was built with" \
	sh -c "dpkg-query -W -f='\${Provides}' dovecot-core |
	       grep -q 'dovecot-abi-$abi' &&
	       dpkg-deb -f $PLUGIN_DEB Depends | grep -q 'dovecot-abi-$abi'"
contents=$(dpkg-deb -c $DEB)
for f in ./usr/sbin/shopdesk-milter ./usr/sbin/shopdesk-bridge \
	 ./usr/bin/shopdeskctl ./usr/share/shopdesk/templates/en/ack.txt \
	 ./usr/share/shopdesk/sieve/shopdesk.sieve \
	 ./lib/systemd/system/shopdesk-milter.service \
	 ./lib/systemd/system/shopdesk-bridge.service \
	 ./usr/lib/tmpfiles.d/shopdesk.conf ./etc/shopdesk/shopdesk.conf \
	 ./usr/share/doc/shopdesk/README.Debian; do
	tap_check "shopdesk ships $f" grep -q " $f\$" <<<"$contents"
done
tap_check "dovecot-shopdesk ships the plugin" \
	grep -q '/modules/lib90_shopdesk_plugin.so$' <<<"$(dpkg-deb -c \
	$PLUGIN_DEB)"

# --- lintian ----------------------------------------------------------
if command -v lintian >/dev/null; then
	lintian $W/shopdesk_*.changes >"$W/lintian.log" 2>&1
	sed 's/^/# lintian: /' "$W/lintian.log" | grep -v 'root privileges'
	if grep -q '^E:' "$W/lintian.log"; then
		tap_fail "lintian: no errors" "$(grep '^E:' "$W/lintian.log")"
	else
		tap_ok "lintian: no errors ($(grep -c '^W:' "$W/lintian.log") \
warnings)"
	fi
else
	tap_fail "lintian: no errors" "lintian is not installed"
fi

# --- install ----------------------------------------------------------
# what the packages need that is not here yet comes from apt
if ! dpkg -i $DEB $PLUGIN_DEB >"$W/install.log" 2>&1; then
	DEBIAN_FRONTEND=noninteractive apt-get install -f -y -q \
		--no-install-recommends >>"$W/install.log" 2>&1
fi
if dpkg-query -W -f='${Status}\n' shopdesk dovecot-shopdesk 2>/dev/null |
	grep -c 'install ok installed' | grep -q 2; then
	tap_ok "dpkg -i installs both"
else
	tap_fail "dpkg -i installs both" "$(tail -n 20 "$W/install.log")"
	tap_done
	exit 1
fi

owner_mode() { stat -c '%U:%G %a' "$1" 2>&1; }
tap_check "user shopdesk is a system user" \
	sh -c '[ "$(id -u shopdesk)" -lt 1000 ]'
tap_is "$(id -gn shopdesk 2>&1)" shopdesk "its primary group is shopdesk"
tap_check "postfix is in the group shopdesk" \
	sh -c 'id -nG postfix | tr " " "\n" | grep -qx shopdesk'
tap_check "shopdesk is in the group postdrop (sendmail under the unit)" \
	sh -c 'id -nG shopdesk | tr " " "\n" | grep -qx postdrop'
tap_check "shopdesk is in the group shopdesk-mail (the plugin's events)" \
	sh -c 'id -nG shopdesk | tr " " "\n" | grep -qx shopdesk-mail'
tap_is "$(owner_mode /var/lib/shopdesk)" "shopdesk:shopdesk 700" \
	"state folder"
tap_is "$(owner_mode /var/spool/shopdesk)" "shopdesk:shopdesk-mail 750" \
	"spool folder"
for d in events events/tmp events/new; do
	tap_is "$(owner_mode /var/spool/shopdesk/$d)" \
		"shopdesk:shopdesk-mail 2770" "spool folder $d"
done
tap_is "$(owner_mode /var/spool/postfix/shopdesk)" "shopdesk:shopdesk 750" \
	"the milter socket's folder in Postfix's chroot"
tap_is "$(owner_mode /run/shopdesk)" "shopdesk:shopdesk 750" \
	"run folder (tmpfiles.d)"
tap_check "shopdesk.conf is a conffile" \
	sh -c "dpkg-query -W -f='\${Conffiles}' shopdesk |
		grep -q ' /etc/shopdesk/shopdesk.conf '"
tap_check "shopdesk.conf is commented: it sets nothing" \
	sh -c "! grep -v '^#' /etc/shopdesk/shopdesk.conf | grep -q '='"

# --- README's lines, on a private Postfix and Dovecot -------------------
# the harness's folders in $W, its own cleanup left to ours; its ports
# taken now, not before the build, when another test may have bound one
HARNESS_DIR=$W HARNESS_PERSIST=1 harness_init
# readme_block FILE LINE: the first code block after the line that
# contains LINE, as an admin copies it (a list item's indent taken off)
readme_block() {
	awk -v line="$2" 'index($0, line) { after = 1; next }
		after && /^ *```/ { if (inside) exit; inside = 1; next }
		inside { sub(/^   /, ""); print }' "$1"
}
postfix_lines=$(readme_block "$top_srcdir/README.md" \
	'4. Add to `/etc/postfix/main.cf`')
dovecot_lines=$(readme_block "$top_srcdir/README.md" \
	'In `dovecot.conf` (on Debian: `conf.d/10-mail.conf`')
tap_check "README has the Dovecot lines of the milter's doveadm socket" \
	grep -q 'unix_listener shopdesk-doveadm' <<<"$dovecot_lines"
tap_check "README has the Postfix lines of the milter socket" \
	grep -q '^smtpd_milters = unix:shopdesk/milter.sock' <<<"$postfix_lines"

mkdir -p "$W/dovecot" "$MAILDIR_ROOT"
chown "$MAIL_USER:" "$MAILDIR_ROOT"
printf '%s\n' sales@shop.test manager@shop.test ann@shop.test customer@example.com |
	sed 's/$/:{PLAIN}secret::::::/' > "$W/dovecot/passwd"
# the base of a private instance, then README's lines as they are, and
# README.Debian's group for the events folder
cat > "$DC_CONF" <<CONF
base_dir = $W/dovecot/run
state_dir = $W/dovecot/state
log_path = $W/dovecot/dovecot.log
protocols = lmtp
listen = 127.0.0.1
ssl = no
default_internal_user = dovecot
default_login_user = dovenull
mail_uid = $MAIL_USER
mail_gid = $MAIL_USER
first_valid_uid = 1
mail_location = maildir:$MAILDIR_ROOT/%d/%n/Maildir
namespace inbox {
  inbox = yes
  separator = /
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $W/dovecot/passwd
}
userdb {
  driver = static
  args = uid=$MAIL_USER gid=$MAIL_USER home=$MAILDIR_ROOT/%d/%n
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = $LMTP_PORT
  }
  unix_listener lmtp {
    mode = 0
  }
}
$dovecot_lines
$(grep -o 'mail_access_groups = [a-z-]*' \
	"$top_srcdir/debian/shopdesk.README.Debian")
CONF
if dovecot -c "$DC_CONF" 2>"$W/dovecot.err" && wait_port "$LMTP_PORT"; then
	tap_ok "Dovecot starts with README's lines and the installed plugin"
else
	tap_fail "Dovecot starts with README's lines and the installed plugin" \
		"$(cat "$W/dovecot.err" "$W/dovecot/dovecot.log" 2>/dev/null)"
fi
DOVEADM_SOCKET=$W/dovecot/run/shopdesk-doveadm
tap_is "$(stat -c '%a %U %F' "$DOVEADM_SOCKET" 2>&1)" \
	"600 shopdesk socket" "Dovecot's doveadm socket is shopdesk's alone"
# The private Postfix has a queue directory of its own: README's socket,
# relative to Postfix's, is written as the path it names.
POSTFIX_EXTRA=$(sed 's|unix:shopdesk/|unix:/var/spool/postfix/shopdesk/|' \
	<<<"$postfix_lines")
start_postfix

# --- the daemons, started as root ---------------------------------------
# Detached, they log to syslog: where this machine has no /dev/log (a
# container), a listener of the test's own keeps their lines.
if [ ! -e /dev/log ]; then
	python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
os.chmod("/dev/log", 0o666)
out = open(sys.argv[1], "ab", buffering=0)
while True:
    out.write(s.recv(65536) + b"\n")
' "$W/syslog" &
	SYSLOG_PID=$!
	for _ in $(seq 1 50); do [ -S /dev/log ] && break; sleep 0.1; done
fi
syslog_lines() {	# syslog_lines IDENT: what IDENT logged since the start
	{ cat "$W/syslog" /var/log/mail.log 2>/dev/null
	  journalctl -q --no-pager -t "$1" 2>/dev/null; } |
		grep -a "$1\[" || true
}
# The admin's file, as README.Debian says: the package's own, written
CONF_FILE=/etc/shopdesk/shopdesk.conf
cat >"$CONF_FILE" <<CONF
[shopdesk]
domain = shop.test
state_dir = /var/lib/shopdesk
spool_dir = /var/spool/shopdesk
milter_socket = unix:/var/spool/postfix/shopdesk/milter.sock
control_socket = /run/shopdesk/control.sock
doveadm_socket = $DOVEADM_SOCKET
sendmail = /usr/sbin/sendmail -C $PF_DIR -i
agents = ann@shop.test
trusted_networks = 127.0.0.1

[queue sales]
address = sales@shop.test
CONF
if /usr/sbin/shopdesk-milter -c "$CONF_FILE" \
	-p /run/shopdesk/milter.pid >"$W/milter.out" 2>&1; then
	tap_ok "shopdesk-milter starts as root"
	MILTER_PID=$(cat /run/shopdesk/milter.pid 2>/dev/null)
else
	tap_fail "shopdesk-milter starts as root" "$(cat "$W/milter.out")"
fi
if /usr/sbin/shopdesk-bridge -c "$CONF_FILE" \
	-p /run/shopdesk/bridge.pid >"$W/bridge.out" 2>&1; then
	tap_ok "shopdesk-bridge starts as root"
	BRIDGE_PID=$(cat /run/shopdesk/bridge.pid 2>/dev/null)
else
	tap_fail "shopdesk-bridge starts as root" "$(cat "$W/bridge.out")"
fi
uid=$(id -u shopdesk)
for daemon in milter:$MILTER_PID bridge:$BRIDGE_PID; do
	name=${daemon%%:*} pid=${daemon#*:}
	tap_is "$(ps -o user= -p "${pid:-0}" 2>&1)" shopdesk \
		"the $name runs as shopdesk"
	tap_is "$(awk '/^Uid:/ { print $2, $3, $4, $5 }' \
		"/proc/${pid:-0}/status" 2>&1)" "$uid $uid $uid $uid" \
		"the $name: real, effective, saved and file uid are shopdesk's"
	tap_check "the $name: no gid is root's" awk '/^Gid:/ {
		for (i = 2; i <= NF; i++) if ($i == 0) exit 1; ok = 1 }
		END { exit !ok }' "/proc/${pid:-0}/status"
	tap_is "$(awk '/^CapPrm:/ { print $2 }' "/proc/${pid:-0}/status" \
		2>&1)" 0000000000000000 "the $name: no capabilities left"
done
sock=/var/spool/postfix/shopdesk/milter.sock
tap_is "$(stat -c '%a %G %F' $sock 2>&1)" "660 shopdesk socket" \
	"the milter socket has mode 0660 and group shopdesk"
tap_check "postfix may write the socket" \
	su -s /bin/sh postfix -c "test -w $sock"
tap_is "$(stat -c %U /var/lib/shopdesk/$(ls /var/lib/shopdesk | head -1) \
	2>&1)" shopdesk "the store is made as shopdesk"

# --- mail through the milter's unix socket, keywords through Dovecot's ---
# keywords: the shopdesk keywords the queue mailbox's messages show, each
# once, as root's doveadm reads them
keywords() {
	doveadm -c "$DC_CONF" fetch -u sales@shop.test flags mailbox INBOX \
		all 2>/dev/null | tr ' ' '\n' |
		grep -xE 'new|open|pending|resolved|closed' | sort -u |
		tr '\n' ' '
}
wait_for() {	# wait_for COMMAND...: true within 20 s
	for _ in $(seq 1 200); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}
send_mail customer@example.com sales@shop.test \
	--header "Subject: Where is my order?" \
	--header "Message-Id: <pkg-1@example.com>" --body "Order 1001." ||
	tap_fail "swaks: the customer's mail"
if wait_for_mail sales@shop.test 1 20; then
	tap_ok "the customer's mail is delivered"
else
	tap_fail "the customer's mail is delivered" "$(tail -n 40 "$H/maillog"
		ps -eo user,pid,args | grep -E 'postfix|smtpd|shopdesk' |
			grep -v grep)"
fi
f=$(mail_files sales@shop.test | head -n 1)
tap_is "$(header_of "${f:-/dev/null}" X-Shopdesk-Ticket)" 1 \
	"the milter made it ticket 1 (through its unix socket)"
tap_is "$(keywords)" "new " "the installed plugin tagged it 'new'"
swaks --silent 2 --server 127.0.0.1 --port "$SMTP_PORT" \
	--helo client.example --from ann@shop.test --to customer@example.com \
	--header "Subject: Re: Where is my order?" \
	--header "In-Reply-To: <pkg-1@example.com>" --body "#resolve
It left today." || tap_fail "swaks: the agent's reply"
shows_resolved() { [ "$(keywords)" = "resolved " ]; }
if wait_for shows_resolved; then
	tap_ok "the agent's #resolve: the milter, as shopdesk, set 'resolved' \
through the doveadm socket, and took 'new' off"
else
	tap_fail "the agent's #resolve: the milter, as shopdesk, set 'resolved' \
through the doveadm socket, and took 'new' off" "keywords: $(keywords)
$(/usr/bin/shopdeskctl -c "$CONF_FILE" show 1 2>&1)
$(tail -n 20 "$W/dovecot/dovecot.log")"
fi
tap_check "Dovecot's log has no doveadm error" \
	sh -c "! grep -i 'doveadm.*error' '$W/dovecot/dovecot.log'"

# --- backup, as root --------------------------------------------------
# root's shopdeskctl works as shopdesk: the running milter takes the hot
# backup into the package's folder for them, and the check's copy in
# the state directory is shopdesk's too (and gone after).
tap_is "$(stat -c '%U:%G %a' /var/backups/shopdesk 2>&1)" "shopdesk:shopdesk 750" \
	"/var/backups/shopdesk is shopdesk's (mode 0750)"
out=$(/usr/bin/shopdeskctl -c "$CONF_FILE" db backup /var/backups/shopdesk/today 2>&1)
tap_check "shopdeskctl db backup, as root: a hot backup by the milter" \
	grep -q "^hot backup of /var/lib/shopdesk by shopdesk-milter" <<<"$out"
tap_is "$(stat -c %U /var/backups/shopdesk/today/tickets.db 2>&1)" shopdesk \
	"the backup is shopdesk's"
out=$(/usr/bin/shopdeskctl -c "$CONF_FILE" db verify 2>&1)
tap_check "shopdeskctl db verify, as root: the store is sound" \
	grep -q 'every database is sound' <<<"$out"
tap_is "$(find /var/lib/shopdesk ! -user shopdesk | wc -l)" 0 \
	"nothing in the state directory is root's"

# --- reload (SIGHUP) ------------------------------------------------------
# As systemctl reload does (ExecReload's kill -HUP): a queue added to
# shopdesk.conf, both daemons read it again, as shopdesk, in the same
# process; mail to the new queue is a ticket of it.
tap_check "shopdesk may read shopdesk.conf (a reload reads it as shopdesk)" \
	su -s /bin/sh shopdesk -c "test -r $CONF_FILE"
cat >>"$CONF_FILE" <<CONF

[queue manager]
address = manager@shop.test
CONF
kill -HUP "${MILTER_PID:-0}" "${BRIDGE_PID:-0}"
for daemon in milter bridge; do
	reloaded() {
		syslog_lines "shopdesk-$daemon" |
			grep -q "reloaded configuration from $CONF_FILE"
	}
	if wait_for reloaded; then
		tap_ok "the $daemon logs: reloaded configuration from FILE"
	else
		tap_fail "the $daemon logs: reloaded configuration from FILE" \
			"$(syslog_lines "shopdesk-$daemon" | tail -n 10)"
	fi
done
tap_is "$(ps -o user= -p "${MILTER_PID:-0}" -p "${BRIDGE_PID:-0}" 2>&1 |
	tr -d ' ' | tr '\n' ' ')" "shopdesk shopdesk " \
	"after SIGHUP: the same milter and bridge, still shopdesk"
send_mail customer@example.com manager@shop.test \
	--header "Subject: A word for the manager" \
	--header "Message-Id: <pkg-2@example.com>" --body "Thank you." ||
	tap_fail "swaks: the mail to the new queue"
wait_for_mail manager@shop.test 1 20
f=$(mail_files manager@shop.test | head -n 1)
tap_is "$(header_of "${f:-/dev/null}" X-Shopdesk-Ticket)" 2 \
	"after SIGHUP: mail to the added queue is ticket 2"
tap_is "$(/usr/bin/shopdeskctl -c "$CONF_FILE" show 2 --json 2>&1 |
	jq -r .queue 2>&1)" manager "of the queue manager"

# --- stop ---------------------------------------------------------------
if [ -n "$MILTER_PID" ]; then
	# libmilter notices the signal within its 5 s listening timeout
	kill "$MILTER_PID"
	for _ in $(seq 1 150); do
		kill -0 "$MILTER_PID" 2>/dev/null || break
		sleep 0.1
	done
	tap_check "the milter stops on SIGTERM, its pid file removed" \
		sh -c "! kill -0 $MILTER_PID 2>/dev/null &&
		       ! test -e /run/shopdesk/milter.pid"
	MILTER_PID=
fi
if [ -n "$BRIDGE_PID" ]; then
	kill "$BRIDGE_PID"
	for _ in $(seq 1 100); do
		kill -0 "$BRIDGE_PID" 2>/dev/null || break
		sleep 0.1
	done
	tap_check "the bridge stops on SIGTERM" \
		sh -c "! kill -0 $BRIDGE_PID 2>/dev/null"
	BRIDGE_PID=
fi
stop_servers
sed -i 's/^\[shopdesk\]$/&\nuser = nosuchuser/' "$CONF_FILE"
out=$(/usr/sbin/shopdesk-milter -c "$CONF_FILE" 2>&1)
tap_check "a user that does not exist is a clear error" \
	grep -q 'user nosuchuser: no such user' <<<"$out"

# --- units --------------------------------------------------------------
if command -v systemd-analyze >/dev/null; then
	for unit in shopdesk-milter shopdesk-bridge; do
		out=$(systemd-analyze verify \
			/lib/systemd/system/$unit.service 2>&1)
		if [ -z "$out" ]; then
			tap_ok "systemd-analyze verify $unit.service"
		else
			tap_fail "systemd-analyze verify $unit.service" "$out"
		fi
		out=$(systemd-analyze security --offline=yes \
			/lib/systemd/system/$unit.service 2>&1 | tail -n 1)
		echo "# $unit.service: $out"
	done
else
	echo "# systemd-analyze not installed: units not verified"
fi

# --- purge --------------------------------------------------------------
if dpkg --purge dovecot-shopdesk shopdesk >"$W/purge.log" 2>&1; then
	tap_ok "dpkg --purge removes both"
else
	tap_fail "dpkg --purge removes both" "$(tail -n 20 "$W/purge.log")"
fi
tap_check "user shopdesk is gone" sh -c '! getent passwd shopdesk'
for g in shopdesk shopdesk-mail; do
	tap_check "group $g is gone" sh -c "! getent group $g"
done
tap_check "postfix is in no group shopdesk" \
	sh -c '! id -nG postfix | tr " " "\n" | grep -qx shopdesk'
for d in /var/lib/shopdesk /var/spool/shopdesk /var/spool/postfix/shopdesk \
	 /run/shopdesk /etc/shopdesk /usr/share/shopdesk; do
	tap_check "$d is gone" test ! -e "$d"
done
tap_check "the admin's backups stay" test -f /var/backups/shopdesk/today/tickets.db
rm -rf /var/backups/shopdesk
tap_done
