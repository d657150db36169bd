# harness.sh: sourced by the end-to-end tests.  Starts a private Postfix,
# a private Dovecot, shopdesk-milter and an smtp-sink, all on 127.0.0.1
# high ports inside one temporary directory, and stops whatever it
# started when the test exits, however it exits.  Also TAP helpers.
#
# After harness_init these are set:
#   H             the temporary directory
#   SMTP_PORT     Postfix smtpd (the shop's MX)
#   SUBMIT_PORT   Postfix submission (SASL via Dovecot)
#   LMTP_PORT IMAP_PORT AUTH_PORT   Dovecot
#   SINK_PORT     smtp-sink standing in for the outside world
#   MILTER_PORT   shopdesk-milter
#   CONF          shopdesk.conf for the milter
#   PF_DIR        Postfix config directory;  DC_CONF  dovecot.conf
#   MAILDIR_ROOT  Dovecot's mail, one Maildir per user
set -u

here_harness=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${top_srcdir:=$(cd "$here_harness/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
MILTER_BIN=$top_builddir/milter/shopdesk-milter
BRIDGE_BIN=$top_builddir/bridge/shopdesk-bridge
CTL_BIN=$top_builddir/cli/shopdeskctl
MAIL_USER=sdvmail
# "${AS_MAIL_USER[@]}" COMMAND...: COMMAND as the mail user, with its
# groups; setpriv execs it, so that $! is the command's pid.  The milter
# runs so: it sets keywords through Dovecot's doveadm server, whose
# socket Dovecot gives that user alone.
AS_MAIL_USER=(setpriv --reuid="$MAIL_USER" --regid="$MAIL_USER"
	--init-groups --)

# --- TAP --------------------------------------------------------------
tap_n=0
tap_failed=0
tap_ok() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $1"; }
tap_fail() {
	tap_n=$((tap_n + 1)); tap_failed=$((tap_failed + 1))
	echo "not ok $tap_n - $1"
	[ $# -gt 1 ] && printf '%s\n' "$2" | sed 's/^/# /'
	return 0
}
tap_check() {	# tap_check DESC COMMAND...
	local desc=$1; shift
	if "$@"; then tap_ok "$desc"; else tap_fail "$desc"; fi
}
tap_is() {	# tap_is GOT WANT DESC
	if [ "$1" = "$2" ]; then tap_ok "$3"
	else tap_fail "$3" "got '$1', want '$2'"; fi
}
tap_done() {
	echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
}
bail() {	# a set-up step failed: say why, show the logs, stop
	echo "Bail out! $*"
	harness_logs | sed 's/^/# /'
	exit 1
}

# --- set-up ---------------------------------------------------------
# Below Linux's ephemeral range (32768-60999), so that no outgoing
# connection holds a port between our choosing it and a server binding
# it; never one already handed out by this shell.
PORTS_TAKEN=" "
free_port() {
	local port
	for _ in $(seq 1 50); do
		port=$((20000 + RANDOM % 12000))
		case $PORTS_TAKEN in *" $port "*) continue ;; esac
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			PORTS_TAKEN="$PORTS_TAKEN$port "
			echo "$port"
			return 0
		fi
	done
	return 1
}

# harness_init: a new temporary directory and free ports.  The demo
# sets HARNESS_DIR (a fixed directory), the *_PORT variables (fixed
# ports) and HARNESS_PERSIST=1 (leave everything running at exit).
harness_init() {
	if [ -n "${HARNESS_DIR:-}" ]; then
		H=$HARNESS_DIR
		mkdir -p "$H"
	else
		H=$(mktemp -d "${TMPDIR:-/tmp}/shopdesk-e2e.XXXXXX")
	fi
	chmod 755 "$H"
	# not $(free_port): a subshell would not remember what it took
	local v
	for v in SMTP_PORT SUBMIT_PORT LMTP_PORT IMAP_PORT AUTH_PORT \
		 SINK_PORT MILTER_PORT; do
		[ -n "${!v:-}" ] && continue
		free_port > "$H/.port" || bail "no free port"
		printf -v "$v" %s "$(cat "$H/.port")"
		PORTS_TAKEN="$PORTS_TAKEN${!v} "
	done
	rm -f "$H/.port"
	harness_paths
	if [ "${HARNESS_PERSIST:-0}" != 1 ]; then
		trap harness_cleanup EXIT
		trap 'exit 130' INT TERM
	fi
	id "$MAIL_USER" >/dev/null 2>&1 ||
		useradd --system --no-create-home --shell /usr/sbin/nologin \
			"$MAIL_USER" || bail "cannot create user $MAIL_USER"
	# what the milter, running as the mail user, makes
	install -d -o "$MAIL_USER" -g "$MAIL_USER" -m 0750 "$H/state" \
		"$H/spool" "$H/run" || bail "cannot make the milter's folders"
	write_shopdesk_conf
}

harness_paths() {
	PF_DIR=$H/postfix
	DC_CONF=$H/dovecot/dovecot.conf
	MAILDIR_ROOT=$H/mail
	CONF=$H/shopdesk.conf
}

harness_cleanup() {
	[ -z "${MILTER_PID:-}" ] && [ -f "$H/milter.pid" ] &&
		MILTER_PID=$(cat "$H/milter.pid")
	stop_milter
	[ -z "${BRIDGE_PID:-}" ] && [ -f "$H/bridge.pid" ] &&
		BRIDGE_PID=$(cat "$H/bridge.pid")
	stop_bridge
	[ -f "$PF_DIR/main.cf" ] && postfix -c "$PF_DIR" stop >/dev/null 2>&1
	[ -f "$DC_CONF" ] && doveadm -c "$DC_CONF" stop >/dev/null 2>&1
	[ -z "${SINK_PID:-}" ] && [ -f "$H/sink.pid" ] &&
		SINK_PID=$(cat "$H/sink.pid")
	[ -n "${SINK_PID:-}" ] && kill "$SINK_PID" 2>/dev/null
	# anything still running from our directory goes too
	sleep 0.2
	pkill -f -- "$H/" 2>/dev/null
	if [ "${KEEP_TMP:-0}" = 1 ]; then
		echo "# kept $H"
	else
		rm -rf "$H"
	fi
}

harness_logs() {
	for f in "$H/maillog" "$H/dovecot/dovecot.log" "$H/milter.log" \
		 "$H/bridge.log"; do
		[ -f "$f" ] || continue
		echo "== $f"
		tail -n 25 "$f"
	done
}

write_shopdesk_conf() {
	cat > "$CONF" <<CONF
[shopdesk]
domain = shop.test
# Nothing drops root: start_milter starts the milter as the mail user
# (as the Debian unit's User= does); the bridge stays root, because
# Postfix's sendmail takes a configuration directory of its own (-C)
# from root only, unless /etc/postfix/main.cf lists it in
# alternate_config_directories, which a test must not touch.
user = root
state_dir = $H/state
spool_dir = $H/spool
milter_socket = inet:$MILTER_PORT@127.0.0.1
control_socket = $H/run/control.sock
templates_dir = $top_srcdir/templates
sendmail = /usr/sbin/sendmail -C $PF_DIR -i
doveadm_socket = $H/dovecot/run/shopdesk-doveadm
ticket_tag = Ticket
${SHOPDESK_EXTRA:-}

[queue sales]
address = sales@shop.test
name = Sales
timezone = Europe/Vilnius
${SALES_EXTRA:-}

[queue manager]
address = manager@shop.test
name = Manager
CONF
}

wait_port() {	# wait_port PORT: until something listens (at most ~10 s)
	for _ in $(seq 1 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# The events spool is written by the Dovecot plugin, as the mail user,
# and read by the milter: its folders are the mail user's group's.
make_events_spool() {
	local d
	for d in tmp new cur dead done; do
		mkdir -p "$H/spool/events/$d"
	done
	chgrp -R "$MAIL_USER" "$H/spool/events"
	chmod 2770 "$H/spool/events" "$H/spool/events/"*
}

start_dovecot() {
	mkdir -p "$H/dovecot/modules" "$MAILDIR_ROOT"
	chown "$MAIL_USER:" "$MAILDIR_ROOT"
	make_events_spool
	# Dovecot's own plugins and ours from the build tree, in one place
	ln -sf /usr/lib/dovecot/modules/*.so \
		"$top_builddir/plugins/dovecot/.libs/lib90_shopdesk_plugin.so" \
		"$H/dovecot/modules/"
	local user
	: > "$H/dovecot/passwd"
	# the desk's mailboxes run Sieve's filing script (DESK_SIEVE, set by
	# the tests that file) through a userdb field, as README says
	for user in sales@shop.test manager@shop.test; do
		echo "$user:{PLAIN}secret::::::${DESK_SIEVE:+userdb_sieve_before=$DESK_SIEVE}" \
			>> "$H/dovecot/passwd"
	done
	for user in ann@shop.test bob@shop.test customer@example.com \
		    alice@example.com ${HARNESS_USERS:-}; do
		echo "$user:{PLAIN}secret::::::" >> "$H/dovecot/passwd"
	done
	cat > "$DC_CONF" <<CONF
base_dir = $H/dovecot/run
state_dir = $H/dovecot/state
log_path = $H/dovecot/dovecot.log
protocols = imap lmtp
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = dovecot
default_login_user = dovenull
mail_uid = $MAIL_USER
mail_gid = $MAIL_USER
first_valid_uid = 1
mail_location = maildir:$MAILDIR_ROOT/%d/%n/Maildir
mail_plugin_dir = $H/dovecot/modules
mail_plugins = \$mail_plugins notify shopdesk
plugin {
  shopdesk_spool = $H/spool
}
namespace inbox {
  inbox = yes
  separator = /
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $H/dovecot/passwd
}
userdb {
  driver = passwd-file
  args = username_format=%u $H/dovecot/passwd
  default_fields = uid=$MAIL_USER gid=$MAIL_USER home=$MAILDIR_ROOT/%d/%n
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP_PORT
  }
  inet_listener imaps {
    port = 0
  }
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
service auth {
  inet_listener auth {
    address = 127.0.0.1
    port = $AUTH_PORT
  }
}
# README's lines: the milter's way in, without a password (mode 0600)
service doveadm {
  unix_listener shopdesk-doveadm {
    mode = 0600
    user = $MAIL_USER
  }
}
${DOVECOT_EXTRA:-}
CONF
	dovecot -c "$DC_CONF" || bail "dovecot did not start"
	wait_port "$LMTP_PORT" && wait_port "$IMAP_PORT" &&
		wait_port "$AUTH_PORT" || bail "dovecot ports did not open"
}

start_sink() {
	mkdir -p "$H/sink"
	chown postfix: "$H/sink"
	(cd "$H/sink" && exec smtp-sink -u postfix -d "%Y%m%d%H/%M." \
		"127.0.0.1:$SINK_PORT" 64) >>"$H/sink.log" 2>&1 &
	SINK_PID=$!
	echo "$SINK_PID" > "$H/sink.pid"
	wait_port "$SINK_PORT" || bail "smtp-sink did not start"
}

# start_postfix [milter]: with "milter", both smtpd and local submission
# pass shopdesk-milter; milter_default_action comes from MILTER_DEFAULT
# (tempfail unless set).
start_postfix() {
	local milters=""
	mkdir -p "$PF_DIR" "$H/spool-postfix" "$H/data-postfix"
	chown postfix: "$H/data-postfix"
	[ "${1:-}" = milter ] &&
		milters="{ inet:127.0.0.1:$MILTER_PORT, default_action=${MILTER_DEFAULT:-tempfail} }"
	cat > "$PF_DIR/main.cf" <<CONF
compatibility_level = 3.6
queue_directory = $H/spool-postfix
data_directory = $H/data-postfix
meta_directory = /etc/postfix
maillog_file = $H/maillog
maillog_file_prefixes = $H
myhostname = mx.shop.test
mydomain = shop.test
myorigin = shop.test
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mydestination =
mynetworks = 127.0.0.0/8
virtual_mailbox_domains = shop.test example.com
virtual_transport = lmtp:inet:127.0.0.1:$LMTP_PORT
relayhost = [127.0.0.1]:$SINK_PORT
smtp_header_checks = regexp:$top_srcdir/postfix/smtp_header_checks
recipient_delimiter = +
smtpd_milters = $milters
non_smtpd_milters = $milters
milter_protocol = 6
message_size_limit = 52428800
smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination
smtp_dns_support_level = disabled
smtputf8_enable = no
biff = no
alias_maps =
alias_database =
delay_warning_time = 0
maximal_backoff_time = 10s
minimal_backoff_time = 5s
queue_run_delay = 5s
${POSTFIX_EXTRA:-}
CONF
	# One entry a parameter, the extra's last: a parameter set twice
	# (README's lines in t-package) makes every daemon warn of it, and
	# postlogd, whose own warning at start goes to its own socket, hangs
	# once the others' warnings filled that socket: Postfix then neither
	# logs nor answers.
	postconf -c "$PF_DIR" -n >"$PF_DIR/main.cf.once" 2>/dev/null &&
		mv "$PF_DIR/main.cf.once" "$PF_DIR/main.cf"
	cat > "$PF_DIR/master.cf" <<CONF
127.0.0.1:$SMTP_PORT inet n - n - - smtpd
127.0.0.1:$SUBMIT_PORT inet n - n - - smtpd
  -o syslog_name=postfix/submission
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_sasl_type=dovecot
  -o smtpd_sasl_path=inet:127.0.0.1:$AUTH_PORT
  -o smtpd_tls_security_level=none
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
  -o milter_macro_daemon_name=ORIGINATING
${SUBMIT_EXTRA:-}
pickup    unix n - n 60 1 pickup
cleanup   unix n - n - 0 cleanup
qmgr      unix n - n 300 1 qmgr
rewrite   unix - - n - - trivial-rewrite
bounce    unix - - n - 0 bounce
defer     unix - - n - 0 bounce
trace     unix - - n - 0 bounce
verify    unix - - n - 1 verify
flush     unix n - n 1000? 0 flush
proxymap  unix - - n - - proxymap
smtp      unix - - n - - smtp
relay     unix - - n - - smtp
showq     unix n - n - - showq
error     unix - - n - - error
retry     unix - - n - - error
discard   unix - - n - - discard
lmtp      unix - - n - - lmtp
anvil     unix - - n - 1 anvil
scache    unix - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
CONF
	# postfix check fails now and then, silently, while another test's
	# Postfix starts (under make -j): once more before giving up
	postfix -c "$PF_DIR" check >"$H/postfix-check.log" 2>&1 ||
		{ sleep 1; postfix -c "$PF_DIR" check \
			>"$H/postfix-check.log" 2>&1; } ||
		bail "postfix check: $(cat "$H/postfix-check.log")"
	postfix -c "$PF_DIR" start >>"$H/postfix-check.log" 2>&1 ||
		bail "postfix start: $(cat "$H/postfix-check.log")"
	wait_port "$SMTP_PORT" && wait_port "$SUBMIT_PORT" ||
		bail "postfix ports did not open"
}

# start_stack: Dovecot, the sink, shopdesk-milter and Postfix with the
# milter, in the order each needs the one before.
start_stack() {
	start_dovecot
	start_sink
	start_milter
	start_postfix milter
}

start_milter() {
	"${AS_MAIL_USER[@]}" "$MILTER_BIN" -f -c "$CONF" \
		>>"$H/milter.log" 2>&1 &
	MILTER_PID=$!
	echo "$MILTER_PID" > "$H/milter.pid"
	wait_port "$MILTER_PORT" || bail "shopdesk-milter did not start"
}

# start_milter_at FAKETIME: the milter under libfaketime's thread-safe
# library, its clock FAKETIME ("+4d", "@2026-10-23 14:00:00" in UTC):
# preloaded directly rather than through faketime(1), which would stay
# the parent, so that MILTER_PID is the milter's own pid (kill -9).
start_milter_at() {
	local lib
	lib=$(dpkg -L libfaketime 2>/dev/null | grep '/libfaketimeMT\.so\.1$')
	[ -n "$lib" ] || bail "libfaketime (Debian package faketime) is missing"
	# preloaded past setpriv: libfaketime's semaphore is the mail user's
	"${AS_MAIL_USER[@]}" env TZ=UTC LD_PRELOAD="$lib" FAKETIME="$1" \
		FAKETIME_DONT_RESET=1 "$MILTER_BIN" -f -c "$CONF" \
		>>"$H/milter.log" 2>&1 &
	MILTER_PID=$!
	echo "$MILTER_PID" > "$H/milter.pid"
	wait_port "$MILTER_PORT" || bail "shopdesk-milter did not start"
}

# restart_milter_at FAKETIME: kill -9, then start_milter_at
restart_milter_at() {
	kill -9 "$MILTER_PID"
	wait "$MILTER_PID" 2>/dev/null
	start_milter_at "$1"
}

stop_milter() {
	[ -n "${MILTER_PID:-}" ] || return 0
	kill "$MILTER_PID" 2>/dev/null
	# a child of this shell is reaped; the demo's --stop polls instead
	wait "$MILTER_PID" 2>/dev/null ||
		while kill -0 "$MILTER_PID" 2>/dev/null; do sleep 0.1; done
	MILTER_PID=
}

# start_fake_telegram: after harness_init, before start_stack: the fake
# Bot API (tests/fake/fake-telegram.py) on a free port and the [channel
# telegram] of queue sales that polls it; sets TG_PORT, TOKEN, TG (its
# base URL) and FAKE_PID, stopped at exit.
start_fake_telegram() {
	free_port > "$H/.port" || bail "no free port"
	TG_PORT=$(cat "$H/.port")
	PORTS_TAKEN="$PORTS_TAKEN$TG_PORT "
	TOKEN=123456:TEST-token_abc
	printf '%s\n' "$TOKEN" > "$H/tg.token"
	chmod 600 "$H/tg.token"
	cat >> "$CONF" <<CONF

[channel telegram]
api_url = http://127.0.0.1:$TG_PORT
token_file = $H/tg.token
queue = sales
poll_timeout = 2s
CONF
	python3 "$top_srcdir/tests/fake/fake-telegram.py" --port "$TG_PORT" \
		--token "$TOKEN" > "$H/fake.out" 2> "$H/fake.log" &
	FAKE_PID=$!
	trap 'kill $FAKE_PID 2>/dev/null; harness_cleanup' EXIT
	wait_port "$TG_PORT" || bail "fake Telegram did not start"
	TG=http://127.0.0.1:$TG_PORT
}

start_bridge() {
	"$BRIDGE_BIN" -f -c "$CONF" >>"$H/bridge.log" 2>&1 &
	BRIDGE_PID=$!
	echo "$BRIDGE_PID" > "$H/bridge.pid"
	for _ in $(seq 1 50); do
		grep -q "starting: outbox" "$H/bridge.log" 2>/dev/null &&
			return 0
		sleep 0.1
	done
	bail "shopdesk-bridge did not start"
}

stop_bridge() {
	[ -n "${BRIDGE_PID:-}" ] || return 0
	kill "$BRIDGE_PID" 2>/dev/null
	wait "$BRIDGE_PID" 2>/dev/null ||
		while kill -0 "$BRIDGE_PID" 2>/dev/null; do sleep 0.1; done
	BRIDGE_PID=
}

# outbox_idle [SECONDS]: nothing waiting or in progress in the outbox
outbox_idle() {
	local o=$H/spool/outbox
	for _ in $(seq 1 $(( ${1:-20} * 10 ))); do
		[ -z "$(find "$o/new" "$o/cur" -type f 2>/dev/null)" ] &&
			return 0
		sleep 0.1
	done
	return 1
}

# --- using it -----------------------------------------------------------
ctl() { "$CTL_BIN" -c "$CONF" "$@"; }

# send_mail FROM TO [swaks options...]: one SMTP transaction to the MX
send_mail() {
	local from=$1 to=$2; shift 2
	swaks --silent 2 --server 127.0.0.1 --port "$SMTP_PORT" \
		--helo client.example --from "$from" --to "$to" "$@"
}

maildir_of() { echo "$MAILDIR_ROOT/${1#*@}/${1%@*}/Maildir"; }

mail_count() {	# mail_count USER: messages in the user's INBOX
	local d
	d=$(maildir_of "$1")
	find "$d/new" "$d/cur" -type f 2>/dev/null | wc -l
}

wait_for_mail() {	# wait_for_mail USER N [SECONDS]
	local limit=$(( ${3:-40} * 10 ))
	for _ in $(seq 1 "$limit"); do
		[ "$(mail_count "$1")" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

mail_files() {	# newest last
	local d files out
	d=$(maildir_of "$1")
	# listed again when a file was renamed between the listing and ls:
	# Dovecot renames a message whose keywords change (the milter's)
	for _ in $(seq 1 20); do
		files=$(find "$d/new" "$d/cur" -type f 2>/dev/null)
		[ -n "$files" ] || return 0
		# (maildir names have no spaces)
		out=$(ls -tr $files 2>/dev/null) && break
		sleep 0.05
	done
	printf '%s\n' "$out"
}

# mail_with USER HEADER-REGEX: the delivered file whose headers match;
# looked through again when a file was renamed under the scan (a keyword
# change), so a match is never missed for it
mail_with() {
	local f h gone
	for _ in $(seq 1 20); do
		gone=
		for f in $(mail_files "$1"); do
			if ! h=$(sed '/^\r\?$/q' "$f" 2>/dev/null); then
				gone=1
				continue
			fi
			if printf '%s\n' "$h" | grep -qiE "$2"; then
				echo "$f"
				return 0
			fi
		done
		[ -n "$gone" ] || return 1
		sleep 0.05
	done
	return 1
}

# headers_found FINDER ARGS...: the header block of the file FINDER
# prints, found again when the file was renamed in between (a keyword
# change)
headers_found() {
	local f
	for _ in $(seq 1 20); do
		f=$("$@") || return 1
		sed '/^\r\?$/q' "$f" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# header_in USER HEADER-REGEX NAME: header NAME of the mail mail_with
# finds
header_in() {
	local h
	h=$(headers_found mail_with "$1" "$2") || return 1
	printf '%s\n' "$h" | header_of /dev/stdin "$3"
}

# wait_for_mail_with USER REGEX [SECONDS]: until a mail of USER's has
# a header line matching REGEX; prints its file.
wait_for_mail_with() {
	local limit=$(( ${3:-40} * 10 ))
	for _ in $(seq 1 "$limit"); do
		mail_with "$1" "$2" && return 0
		sleep 0.1
	done
	return 1
}

header_of() {	# header_of FILE NAME: the first value, unfolded
	sed '/^\r\?$/q' "$1" | tr -d '\r' |
		awk -v n="$(echo "$2" | tr A-Z a-z)" '
			/^[ \t]/ { if (on) v = v " " substr($0, 2); next }
			{ if (on) { print v; exit } }
			tolower(substr($0, 1, index($0, ":") - 1)) == n {
				on = 1; v = substr($0, index($0, ":") + 2) }
			END { if (on) print v }' | head -n 1
}

queue_empty() { [ -z "$(postqueue -c "$PF_DIR" -j 2>/dev/null)" ]; }

wait_queue_empty() {	# wait_queue_empty [SECONDS]
	for _ in $(seq 1 $(( ${1:-30} * 10 ))); do
		queue_empty && return 0
		sleep 0.1
	done
	return 1
}

# text_part FILE: the first text/plain part of a delivered message,
# transfer-decoded (base64 or quoted-printable), as UTF-8 bytes
text_part() {
	perl -MMIME::Base64 -MMIME::QuotedPrint -0777 -ne '
		sub part {
			my ($m) = @_;
			my ($h, $b) = split /\r?\n\r?\n/, $m, 2;
			$h =~ s/\r?\n[ \t]+/ /g;
			if ($h =~ /^content-type:\s*multipart\/[^;]+;.*?boundary="?([^";\s]+)"?/mi) {
				for my $p (split /\r?\n--\Q$1\E(?:--)?\r?\n?/, $b) {
					my $t = part($p);
					return $t if defined $t;
				}
				return undef;
			}
			return undef if $h =~ /^content-type:/mi &&
				$h !~ /^content-type:\s*text\/plain/mi;
			return decode_base64($b) if
				$h =~ /^content-transfer-encoding:\s*base64/mi;
			return decode_qp($b) if
				$h =~ /^content-transfer-encoding:\s*quoted-printable/mi;
			return $b;
		}
		my $t = part($_);
		print $t if defined $t;' "$1" | tr -d '\r'
}
