#!/bin/bash
# t-package.sh: the Debian package, as an admin meets it.  Builds
# shopdesk and dovecot-shopdesk from a copy of the tree (dpkg-buildpackage
# -b, the suite left out), runs lintian (an error fails, warnings are
# shown), installs both, checks what installing made (user, groups,
# folders, conffile, postfix in the group), starts shopdesk-milter as root
# on a unix socket and checks that it runs as shopdesk with the socket
# 0660 and group shopdesk, verifies the units, then purges both and
# checks that all of it is gone.  Needs root and dpkg; TAP.
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
H=$W	# harness_logs, after a bail
MILTER_PID=
cleanup() {
	[ -n "$MILTER_PID" ] && kill "$MILTER_PID" 2>/dev/null
	dpkg --purge dovecot-shopdesk shopdesk >/dev/null 2>&1
	rm -rf "$W"
}
trap cleanup EXIT

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

# --- the milter, started as root --------------------------------------
mkdir "$W/run"
cat >"$W/shopdesk.conf" <<CONF
[shopdesk]
domain = shop.test
state_dir = /var/lib/shopdesk
spool_dir = /var/spool/shopdesk
milter_socket = unix:/var/spool/postfix/shopdesk/milter.sock
control_socket = /run/shopdesk/control.sock
doveadm =

[queue sales]
address = sales@shop.test
CONF
if /usr/sbin/shopdesk-milter -c "$W/shopdesk.conf" \
	-p /run/shopdesk/milter.pid >"$W/milter.out" 2>&1; then
	tap_ok "shopdesk-milter starts as root"
	MILTER_PID=$(cat /run/shopdesk/milter.pid 2>/dev/null)
else
	tap_fail "shopdesk-milter starts as root" "$(cat "$W/milter.out")"
fi
tap_is "$(ps -o user= -p "${MILTER_PID:-0}" 2>&1)" shopdesk \
	"the milter runs as shopdesk"
tap_is "$(awk '/^Uid:/ { print $2 $3 $4 $5 }' \
	"/proc/${MILTER_PID:-0}/status" 2>&1)" \
	"$(id -u shopdesk)$(id -u shopdesk)$(id -u shopdesk)$(id -u shopdesk)" \
	"real, effective, saved and file uid are all shopdesk's"
tap_is "$(awk '/^CapPrm:/ { print $2 }' "/proc/${MILTER_PID:-0}/status" \
	2>&1)" 0000000000000000 "no capabilities left"
sock=/var/spool/postfix/shopdesk/milter.sock
tap_is "$(stat -c '%a %G %F' $sock 2>&1)" "660 shopdesk socket" \
	"the milter socket has mode 0660 and group shopdesk"
tap_check "postfix may write the socket" \
	su -s /bin/sh postfix -c "test -w $sock"
tap_is "$(stat -c %U /var/lib/shopdesk/$(ls /var/lib/shopdesk | head -1) \
	2>&1)" shopdesk "the store is made as shopdesk"
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
sed -i 's/^doveadm =$/&\nuser = nosuchuser/' "$W/shopdesk.conf"
out=$(/usr/sbin/shopdesk-milter -c "$W/shopdesk.conf" 2>&1)
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
tap_done
