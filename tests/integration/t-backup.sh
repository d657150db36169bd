#!/bin/bash
# End to end: the store's backup, check and restore, as README's
# restore procedure does them.  A hot backup taken by the running milter
# while mail flows through the real Postfix; `db verify` of the live
# store (a hot copy) and of the backup; then the milter stopped and the
# databases lost: restored from the backup plus the store's own logs,
# every ticket's `show --json` equal to before.  The whole state
# directory lost: restored as of a backup.  A damaged backup, a running
# milter and a folder that is no backup are refused with a clear word.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/harness.sh"

harness_init
start_stack
start_bridge

# shopdeskctl as the store's owner, as the package's shopdeskctl run by
# root becomes the user of [shopdesk] (here root stays root)
db() { "${AS_MAIL_USER[@]}" "$CTL_BIN" -c "$CONF" db "$@"; }
count() { ctl tickets --json | jq '.tickets | length'; }
wait_count() {	# wait_count N: within 60 s
	for _ in $(seq 1 600); do
		[ "$(count)" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
snapshot() {	# snapshot FILE: show --json of every ticket
	local id
	for id in $(ctl tickets --json | jq '.tickets[].id' | sort -n); do
		ctl show "$id" --json | jq -S -c .
	done > "$1"
}
customer_mail() {	# customer_mail N
	send_mail customer@example.com sales@shop.test \
		--header "Subject: Order $1" \
		--header "Message-Id: <order-$1@example.com>" \
		--body "Where is order $1?"
}
mkdir -p "$H/backups"
chown "$MAIL_USER:" "$H/backups"

# 1. Five tickets, then a hot backup while ten more arrive.
for n in 1 2 3 4 5; do customer_mail "$n" || bail "swaks could not send"; done
wait_count 5 || bail "not five tickets"
(for n in $(seq 6 15); do customer_mail "$n"; done) &
flow=$!
sleep 0.5
out=$(db backup "$H/backups/hot" 2>&1)
tap_check "db backup while mail flows: a hot backup by the milter" \
	grep -q "^hot backup of $H/state by shopdesk-milter in $H/backups/hot$" <<<"$out"
wait "$flow"
tap_check "the backup holds the databases and their logs" \
	sh -c "ls '$H/backups/hot' | grep -q '^tickets.db$' &&
	       ls '$H/backups/hot' | grep -q '^log\.[0-9]\{10\}$'"
tap_check "the milter logged it" \
	grep -q "control: backup into $H/backups/hot done in" "$H/milter.log"
wait_count 15 || bail "not fifteen tickets: $(count)"
outbox_idle || bail "the outbox does not empty"

# 2. Checks: the live store (through a hot copy, removed after) and the
#    backup, every database.
out=$(db verify 2>&1)
tap_check "db verify of the running store checks a hot backup of it" \
	grep -q "shopdesk-milter is running: checking a hot backup" <<<"$out"
tap_is "$(grep -c ': ok$' <<<"$out")" 10 "ten databases, each ok"
tap_check "and says it is sound" grep -q 'every database is sound' <<<"$out"
tap_is "$(ls -d "$H"/state/verify.* 2>/dev/null | wc -l)" 0 \
	"the temporary copy is gone"
out=$(db verify "$H/backups/hot" 2>&1)
tap_is "$?:$(grep -c ': ok$' <<<"$out")" "0:10" "db verify DIR checks a backup"

# 3. Refused: recovering under the running milter, from a folder that
#    is no backup; a damaged backup fails its check.
out=$(db recover --from "$H/backups/hot" 2>&1)
tap_is "$?" 1 "db recover while the milter runs fails"
tap_check "saying the store is in use and what to do" \
	grep -q 'in use by another process (stop shopdesk-milter first)' <<<"$out"
mkdir -p "$H/backups/empty"
out=$(db recover --from "$H/backups/empty" 2>&1)
tap_check "a folder that is no backup is refused" \
	grep -q 'not a backup of the store' <<<"$out"
out=$(db backup "$H/state" 2>&1)
tap_is "$?" 1 "db backup into the store's own folder is refused"
tap_check "saying the folder is not empty and holds no backup" \
	grep -q 'is not empty and holds no earlier backup' <<<"$out"
tap_check "and the store is whole" test -f "$H/state/tickets.db"
cp -a "$H/backups/hot" "$H/backups/broken"
# every page but the first (the metadata) overwritten with noise
size=$(stat -c %s "$H/backups/broken/history.db")
dd if=/dev/urandom of="$H/backups/broken/history.db" bs=512 seek=8 \
	count=$((size / 512 - 8)) conv=notrunc status=none
out=$(db verify "$H/backups/broken" 2>&1)
tap_is "$?" 1 "a damaged backup fails db verify"
tap_check "naming the damaged database" grep -q '^history.db: ' <<<"$out"
tap_is "$(grep -c ': ok$' <<<"$out")" 9 "and only it"
echo "$out" | sed -n '/^history.db/,/^[a-z]*\.db: ok$/p' | head -n 4 | sed 's/^/# /'
tap_check "and the way out" grep -q 'DAMAGED: restore a backup' <<<"$out"

# 4. The databases lost, the logs kept: the backup and the store's own
#    logs bring back every ticket as it was, mail after the backup too.
snapshot "$H/before.json"
tap_is "$(wc -l < "$H/before.json")" 15 "fifteen tickets before"
stop_milter
rm -f "$H"/state/*.db
out=$(db recover --from "$H/backups/hot" 2>&1)
tap_is "$?" 0 "db recover --from the backup"
echo "$out" | sed "s/^/# /"
tap_check "the store's logs replayed after the backup" \
	grep -q "the store's logs log.* replayed after it" <<<"$out"
tap_check "every database verified after" grep -q '^timers.db: ok$' <<<"$out"
tap_check "what was there is kept aside" \
	sh -c "ls -d '$H'/state/before-recover-* >/dev/null"
start_milter
snapshot "$H/after.json"
tap_check "every ticket's show --json equal to before, field by field" \
	diff "$H/before.json" "$H/after.json"
customer_mail 16 || bail "swaks could not send"
wait_count 16 || bail "no sixteenth ticket"
tap_is "$(ctl show 16 --json | jq -r .subject)" "Order 16" \
	"the ids go on: the next mail is ticket 16"

# 5. The whole state directory lost: a quiet hot backup brings it back
#    as of the backup.
outbox_idle || bail "the outbox does not empty"
db backup "$H/backups/quiet" >/dev/null 2>&1 || bail "second backup failed"
snapshot "$H/quiet.json"
customer_mail 17 || bail "swaks could not send"
wait_count 17 || bail "no seventeenth ticket"
stop_milter
rm -rf "$H/state"
mkdir "$H/state"
chown "$MAIL_USER:" "$H/state"
out=$(db recover --from "$H/backups/quiet" 2>&1)
tap_is "$?" 0 "db recover into an empty state directory"
tap_check "it says the store is as of the backup" \
	grep -q 'the store is as of the backup' <<<"$out"
start_milter
snapshot "$H/restored.json"
tap_check "every ticket as it was at the backup" \
	diff "$H/quiet.json" "$H/restored.json"
tap_is "$(stat -c %U "$H"/state/tickets.db)" "$MAIL_USER" \
	"the store's files stay the milter user's"

tap_done
