#!/bin/bash
# Benchmark of `shopdeskctl rebuild --from-mailbox MAILDIR` (run.sh, 6).
# Prints figures; asserts nothing.
#  gen-maildir.py makes a desk mailbox of BENCH_REBUILD_TICKETS tickets
#  (10 000) and BENCH_REBUILD_MESSAGES messages (100 000), stamped as
#  shopdesk-milter stamps them, filed as shopdesk.sieve files them, with
#  Dovecot's keywords; the rebuild reads it into an empty store under
#  /usr/bin/time: seconds, messages a second, peak RSS, the store's size
#  on disk.  Then shopdesk-milter is started on the rebuilt store (its
#  control socket alone serves the ticket list) and the tickets it lists
#  are compared with the ones made (gen-maildir.py --manifest): how
#  many, their status, link, assignee, category and channel, and the
#  messages of 50 of them.  The page cache is warm: the mailbox was just
#  written.  KEEP_TMP=1 keeps the folder (mailbox, store, logs).
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
CTL_BIN=$top_builddir/cli/shopdeskctl
MILTER_BIN=$top_builddir/milter/shopdesk-milter

tickets=${BENCH_REBUILD_TICKETS:-10000}
messages=${BENCH_REBUILD_MESSAGES:-100000}

bail() { echo "Bail out! $*"; exit 1; }

B=$(mktemp -d "${TMPDIR:-/tmp}/shopdesk-rebuild.XXXXXX") ||
	bail "no temporary folder"
MILTER_PID=
cleanup() {
	if [ -n "$MILTER_PID" ]; then
		kill "$MILTER_PID" 2>/dev/null
		wait "$MILTER_PID" 2>/dev/null
	fi
	if [ "${KEEP_TMP:-0}" = 1 ]; then
		echo "# kept $B"
	else
		rm -rf "$B"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ -x "$CTL_BIN" ] || bail "$CTL_BIN is not built"
"$CTL_BIN" --help 2>&1 | grep -q rebuild ||
	bail "$CTL_BIN has no rebuild command"

mkdir -p "$B/state" "$B/spool" "$B/run"
CONF=$B/shopdesk.conf
cat > "$CONF" <<CONF
[shopdesk]
domain = shop.test
user = root
state_dir = $B/state
spool_dir = $B/spool
milter_socket = unix:$B/run/milter.sock
control_socket = $B/run/control.sock
templates_dir = $top_srcdir/templates
# nothing leaves: the timers' mail waits in the outbox
sendmail = /bin/false
doveadm_socket =
ticket_tag = Ticket

[queue sales]
address = sales@shop.test
name = Sales
timezone = Europe/Vilnius
CONF

echo "rebuild from a Maildir: $tickets tickets, $messages messages"
# the installation's key, which seals the stamps as the milter does
head -c 32 /dev/urandom > "$B/state/token.key"
chmod 0600 "$B/state/token.key"
python3 "$here/gen-maildir.py" --tickets "$tickets" --messages "$messages" \
	--key "$B/state/token.key" \
	--manifest "$B/made.tsv" "$B/mail" > "$B/made.json" ||
	bail "gen-maildir.py failed"
jq -r '"  mailbox: \(.messages) messages of \(.bytes / .messages |
	floor) bytes on average (\(.bytes / 1048576 | floor) MiB) in " +
	"\(.folders | length) folders, made in \(.seconds) s"' "$B/made.json"

# rebuild MAILDIR: the command timed; sets ELAPSED (s), RSS (kB), CPU
# (text), RC
rebuild() {
	local cmd=("$CTL_BIN" -c "$CONF" rebuild --from-mailbox "$1")

	if [ -x /usr/bin/time ]; then
		/usr/bin/time -v -o "$B/time.txt" "${cmd[@]}" \
			>"$B/rebuild.out" 2>"$B/rebuild.err"
		RC=$?
		ELAPSED=$(awk -F': ' '/Elapsed \(wall clock\)/ {
			n = split($2, p, ":"); s = 0
			for (i = 1; i <= n; i++) s = s * 60 + p[i]
			print s }' "$B/time.txt")
		RSS=$(awk -F': ' '/Maximum resident set size/ { print $2 }' \
			"$B/time.txt")
		CPU=$(awk -F': ' '/User time/ { u = $2 } /System time/ {
			s = $2 } END { printf "CPU %.2f s user, %.2f s system",
			u, s }' "$B/time.txt")
	else
		# no GNU time: bash's clock, and the peak RSS the kernel
		# keeps (VmHWM) read until the process is gone
		local pid start hwm=0 v
		start=$(date +%s.%N)
		"${cmd[@]}" >"$B/rebuild.out" 2>"$B/rebuild.err" &
		pid=$!
		while kill -0 "$pid" 2>/dev/null; do
			v=$(awk '/^VmHWM:/ { print $2 }' \
				"/proc/$pid/status" 2>/dev/null)
			[ -n "$v" ] && [ "$v" -gt "$hwm" ] && hwm=$v
			sleep 0.05
		done
		wait "$pid"
		RC=$?
		ELAPSED=$(awk -v a="$start" -v b="$(date +%s.%N)" \
			'BEGIN { print b - a }')
		RSS=$hwm
		CPU="no /usr/bin/time: VmHWM read every 50 ms, no CPU times"
	fi
}

load=$(cut -d' ' -f1-3 /proc/loadavg)
rebuild "$B/mail"
[ "$RC" -eq 0 ] || {
	tail -n 20 "$B/rebuild.out" "$B/rebuild.err"
	bail "shopdeskctl rebuild exited with $RC"
}
summary=$(grep '^rebuild: ' "$B/rebuild.out" | tail -n 1)
# the lines before the summary are the notes: one for each message
# threaded anew or skipped
notes=$(grep -vc '^rebuild: \|^the store.s files moved' "$B/rebuild.out")
store_kb=$(du -sk "$B/state" | cut -f1)
store_db_kb=$(du -ck "$B/state"/*.db | tail -n 1 | cut -f1)
store_log_kb=$(du -ck "$B/state"/log.* 2>/dev/null | tail -n 1 | cut -f1)

printf '  %s\n' "$summary"
printf '  rebuild:    %8.2f s  %8.0f msg/s  peak RSS %s kB  (%s)\n' \
	"$ELAPSED" "$(awk -v m="$messages" -v s="$ELAPSED" \
		'BEGIN { print (s > 0 ? m / s : 0) }')" "$RSS" "$CPU"
printf '              load average %s at start, %s at end\n' \
	"$load" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '  store:      %8.1f MiB on disk (databases %.1f MiB, logs %.1f MiB)\n' \
	"$(awk -v k="$store_kb" 'BEGIN { print k / 1024 }')" \
	"$(awk -v k="$store_db_kb" 'BEGIN { print k / 1024 }')" \
	"$(awk -v k="${store_log_kb:-0}" 'BEGIN { print k / 1024 }')"
if [ "$notes" -gt 0 ]; then
	echo "  $notes note(s) (messages threaded anew or skipped), the first:"
	grep -v '^rebuild: \|^the store.s files moved' "$B/rebuild.out" |
		head -n 5 | sed 's/^/    /'
fi
[ -s "$B/rebuild.err" ] &&
	tr '\r' '\n' < "$B/rebuild.err" | grep -v '^rebuild: \|^$' |
	head -n 5 | sed 's/^/  stderr: /'

# what the rebuilt store holds, through the milter's control socket
"$MILTER_BIN" -f -c "$CONF" >"$B/milter.log" 2>&1 &
MILTER_PID=$!
for _ in $(seq 1 100); do
	[ -S "$B/run/control.sock" ] && break
	sleep 0.1
done
[ -S "$B/run/control.sock" ] || {
	tail -n 20 "$B/milter.log"
	bail "shopdesk-milter did not start on the rebuilt store"
}
"$CTL_BIN" -c "$CONF" tickets --json > "$B/tickets.json" ||
	bail "shopdeskctl tickets failed"
# the messages of 50 tickets spread over the ids
step=$(( tickets / 50 > 0 ? tickets / 50 : 1 ))
for id in $(seq 1 "$step" "$tickets"); do
	printf '%s\t%s\n' "$id" "$("$CTL_BIN" -c "$CONF" show "$id" --json |
		jq '.messages | length')"
done > "$B/shown.tsv"
kill "$MILTER_PID"
wait "$MILTER_PID" 2>/dev/null
MILTER_PID=

python3 - "$B/made.tsv" "$B/tickets.json" "$B/shown.tsv" <<'PY'
import collections, json, sys

made = {}
for line in open(sys.argv[1]):
    if line.startswith("#"):
        continue
    tid, status, n, linked, assignee, category, channel = \
        line.rstrip("\n").split("\t")
    made[int(tid)] = dict(status=status, messages=int(n),
                          linked_to=int(linked),
                          assignee="" if assignee == "-" else assignee,
                          category="" if category == "-" else category,
                          channel=channel)
got = {}
for t in json.load(open(sys.argv[2]))["tickets"]:
    got[t["id"]] = dict(status=t["status"], linked_to=t["linked_to"] or 0,
                        assignee=t["assignee"] or "",
                        category=t["category"] or "",
                        channel=t["channel"])
print("  tickets:    %d in the rebuilt store, %d made (%d missing, %d not "
      "made)" % (len(got), len(made), len(made.keys() - got.keys()),
                 len(got.keys() - made.keys())))
statuses = ("new", "open", "pending", "resolved", "closed")
m = collections.Counter(v["status"] for v in made.values())
g = collections.Counter(v["status"] for v in got.values())
print("  by status:  " + ", ".join("%s %d (made %d)" % (s, g[s], m[s])
                                    for s in statuses))
both = made.keys() & got.keys()
for field in ("status", "linked_to", "assignee", "category", "channel"):
    have = sum(1 for i in got.values() if i[field])
    wrong = sorted(i for i in both if made[i][field] != got[i][field])
    print("  %-11s %d set, %d as made, %d differ%s" % (
        field + ":", have, len(both) - len(wrong), len(wrong),
        "" if not wrong else " (e.g. %s)" % ", ".join(
            "#%d %r for %r" % (i, got[i][field], made[i][field])
            for i in wrong[:3])))
shown = {}
for line in open(sys.argv[3]):
    tid, n = line.split("\t")
    shown[int(tid)] = int(n) if n.strip().isdigit() else -1
wrong = sorted(i for i in shown if made.get(i, {}).get("messages") != shown[i])
print("  messages:   of %d tickets shown, %d hold as many as made%s" % (
    len(shown), len(shown) - len(wrong), "" if not wrong else
    " (e.g. %s)" % ", ".join("#%d %d for %d" % (
        i, shown[i], made.get(i, {}).get("messages", 0))
        for i in wrong[:3])))
PY
