#!/bin/bash
# Benchmark of the Telegram channel against the fake Bot API (make
# bench-telegram).  Prints figures; asserts nothing.
#  1. Latency: an agent's reply accepted by Postfix submission (swaks
#     returns after 250 to DATA) until the fake receives its sendMessage;
#     BENCH_TG_REPLIES replies spread round-robin over BENCH_TG_CHATS
#     chats, so that the per-chat pace (1/s) does not count; p50, p99.
#  2. Drain rate: BENCH_TG_ITEMS message items, one chat each, put into
#     the outbox while the bridge is stopped; messages per second from
#     its start until the fake has them all.  The bridge keeps
#     Telegram's 30 messages a second in all: that is the ceiling.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../integration/harness.sh"

chats=${BENCH_TG_CHATS:-20}
replies=${BENCH_TG_REPLIES:-100}
items=${BENCH_TG_ITEMS:-600}

POSTFIX_EXTRA="transport_maps = inline:{ { telegram.shop.test = error:bench } }"
SUBMIT_EXTRA="  -o smtpd_reject_unlisted_recipient=no"
SALES_EXTRA="autoack = false"
harness_init
free_port > "$H/.port" || bail "no free port"
TG_PORT=$(cat "$H/.port")
TOKEN=1:BENCH
echo "$TOKEN" > "$H/tg.token"
chmod 600 "$H/tg.token"
cat >> "$CONF" <<CONF

[channel telegram]
api_url = http://127.0.0.1:$TG_PORT
token_file = $H/tg.token
queue = sales
poll_timeout = 2s
CONF
python3 "$top_srcdir/tests/fake/fake-telegram.py" --port "$TG_PORT" \
	--token "$TOKEN" > "$H/fake.out" 2> /dev/null &
FAKE_PID=$!
trap 'kill $FAKE_PID 2>/dev/null; harness_cleanup' EXIT
wait_port "$TG_PORT" || bail "fake Telegram did not start"
start_stack
start_bridge
TG=http://127.0.0.1:$TG_PORT
sends() { curl -s "$TG/control/calls" | jq -c 'select(.method == "sendMessage")'; }
ncalls() { curl -s "$TG/control/state" | jq .calls; }

# one ticket per chat
for c in $(seq 1 "$chats"); do
	curl -s -X POST "$TG/control/update" -d "{\"message\": {\"message_id\": 1,
		\"date\": $(date +%s), \"chat\": {\"id\": $((900000 + c)), \"type\": \"private\"},
		\"from\": {\"id\": 1, \"is_bot\": false, \"first_name\": \"B\"},
		\"text\": \"question $c\"}}" >/dev/null
done
wait_for_mail sales@shop.test "$chats" 60 || bail "the chats' mail did not arrive"

# 1. latency
: > "$H/accepted"
for i in $(seq 1 "$replies"); do
	c=$(( (i - 1) % chats + 1 ))
	swaks --silent 2 --server 127.0.0.1 --port "$SUBMIT_PORT" \
		--auth PLAIN --auth-user ann@shop.test --auth-password secret \
		--from ann@shop.test --to "tg.$((900000 + c))@telegram.shop.test" \
		--header "In-Reply-To: <tg.$((900000 + c)).1@telegram.shop.test>" \
		--header "Subject: Re: question $c" --body "bench reply $i" ||
		bail "reply $i refused"
	echo "bench reply $i $(date +%s.%N)" >> "$H/accepted"
done
for _ in $(seq 1 600); do
	[ "$(sends | wc -l)" -ge "$replies" ] && break
	sleep 0.1
done
sends | jq -r '"\(.params.text) \(.time)"' > "$H/sent"
echo "# Telegram: $replies agent replies over $chats chats, accepted -> sendMessage:"
awk 'NR == FNR { sent[$1" "$2" "$3] = $4; next }
	{ k = $1" "$2" "$3; if (k in sent) print (sent[k] - $4) * 1000 }' \
	"$H/sent" "$H/accepted" | sort -n |
	awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "#   no replies arrived"; exit }
		i50 = int(NR * 0.50 + 0.5); if (i50 < 1) i50 = 1
		i99 = int(NR * 0.99 + 0.5); if (i99 < 1) i99 = 1; if (i99 > NR) i99 = NR
		printf "#   %d arrived; latency p50 %.0f ms, p99 %.0f ms, max %.0f ms\n",
			NR, v[i50], v[i99], v[NR] }'

# 2. drain rate
stop_bridge
python3 - "$H/spool/outbox" "$items" <<'PY'
import json, os, sys, time
spool, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    key = "msg.telegram.%d.bench%08d" % (800000 + i, i)
    item = {"kind": "message", "channel": "telegram", "chat": str(800000 + i),
            "ticket": 1, "created": int(time.time()), "order": i,
            "queue": "sales", "agent": "ann@shop.test", "subject": "bench",
            "in_reply_to": "", "text": "drain %d" % i, "attachments": [],
            "sent": []}
    tmp = os.path.join(spool, "tmp", key)
    with open(tmp, "w") as f:
        json.dump(item, f)
    os.rename(tmp, os.path.join(spool, "new", key))
PY
before=$(ncalls)
start=$(date +%s.%N)
start_bridge
for _ in $(seq 1 1200); do
	[ "$(ncalls)" -ge $((before + items)) ] && break
	sleep 0.2
done
end=$(date +%s.%N)
got=$(( $(ncalls) - before ))
awk -v n="$got" -v a="$start" -v b="$end" 'BEGIN {
	printf "# Telegram outbox drain: %d messages in %.1f s: %.1f messages/s (the pace allows 30)\n",
		n, b - a, n / (b - a) }'
