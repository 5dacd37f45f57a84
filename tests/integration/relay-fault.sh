#!/bin/sh
# Fault test: a few hundred signed webhooks stream through `make run`'s
# wiring while randomly chosen stages of the chain are SIGKILLed at random
# moments (the relay restarts them).  Every webhook answered 202 must
# reach the fake Telegram; duplicates are counted (at most one per kill).
#   FAULT_WEBHOOKS (300)  FAULT_KILLS (10)  FAULT_SEED (random)
. "$(dirname "$0")/common.inc"
N=${FAULT_WEBHOOKS:-300} KILLS=${FAULT_KILLS:-10}
SEED=${FAULT_SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
echo "# $N webhooks, $KILLS kills, seed $SEED (FAULT_SEED=$SEED to repeat)"
SECRET=fault-secret TOKEN=7777:FAULT-TOKEN

start_faketg --token "$TOKEN"
SENTRY_WEBHOOK_SECRET=$SECRET SENTRY_ALERT_TELEGRAM_TOKEN=$TOKEN \
SENTRY_ALERT_CHAT_ID=-1009 TELEGRAM_API_URL=$FAKETG_URL
# Pacing off: the fake server does not rate-limit, and 300 messages at
# Telegram's 1 per second per chat would take five minutes.  So is
# sentry-filter's account of the same limits (storm folding), or most
# markers would arrive in storm digests, listed only as far as they fit.
SEND_ARGS="--pace-chat 0 --pace-group 0 --pace-all 0"
FILTER_ARGS="--storm off"
export SENTRY_WEBHOOK_SECRET SENTRY_ALERT_TELEGRAM_TOKEN SENTRY_ALERT_CHAT_ID TELEGRAM_API_URL SEND_ARGS FILTER_ARGS
start_relay

# N distinct issues (the throttle would rightly hold back repeats), each
# with a marker in its exception value, signed as Sentry signs.
python3 - "$PAYLOADS/event_alert.triggered.json" "$T/bodies" "$N" "$SECRET" <<'PY'
import hashlib, hmac, json, os, sys
src, out, n, secret = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4].encode()
base = json.load(open(src))
os.makedirs(out)
for i in range(n):
    p = json.loads(json.dumps(base))
    ev = p["data"]["event"]
    ev["issue_id"] = str(9000000 + i)
    ev["event_id"] = "%032x" % (0xfa000 + i)
    ev["exception"]["values"][-1]["value"] = "fault-marker-%d" % i
    ev["title"] = "ReferenceError: fault-marker-%d" % i
    body = json.dumps(p, separators=(",", ":"), ensure_ascii=True).encode()
    open("%s/%d" % (out, i), "wb").write(body)
    open("%s/%d.sig" % (out, i), "w").write(hmac.new(secret, body, hashlib.sha256).hexdigest())
PY

# The sender: one webhook after another, noting the 202s.
(
	i=0
	while [ $i -lt "$N" ]; do
		code=$(post "$RELAY_URL" event_alert "$T/bodies/$i" "$(cat "$T/bodies/$i.sig")")
		[ "$code" = 202 ] && echo "$i" >>"$T/accepted"
		i=$((i + 1))
	done
) &
sender=$!
PIDS="$PIDS $sender"

# The killer: random stage, random moment (0.05 - 0.8 s apart).
python3 - "$SEED" "$KILLS" "$T/spool/run" >"$T/kills" <<'PY' &
import os, random, signal, sys, time
rng = random.Random(int(sys.argv[1])); kills = int(sys.argv[2]); run = sys.argv[3]
stages = ["follow", "verify", "filter", "fmt", "send"]
done = 0
while done < kills:
    time.sleep(rng.uniform(0.05, 0.8))
    stage = rng.choice(stages)
    try:
        pid = int(open(os.path.join(run, stage + ".pid")).read())
        os.kill(pid, signal.SIGKILL)
    except (OSError, ValueError):
        continue        # between restarts: try another moment
    print(stage, pid, flush=True)
    done += 1
PY
killer=$!
PIDS="$PIDS $killer"
wait "$sender"
wait "$killer"
accepted=$(wc -l <"$T/accepted")
[ "$accepted" -gt 0 ] || fail "no webhook was accepted"
echo "# accepted $accepted of $N; kills: $(awk '{print $1}' "$T/kills" | sort | uniq -c | tr -s ' \n' ' ')"

all_arrived() {
	python3 - "$FAKETG_LOG" "$T/accepted" >"$T/tally" <<'PY'
import collections, json, re, sys
seen = collections.Counter()
for line in open(sys.argv[1]):
    c = json.loads(line)
    if c.get("method") == "sendMessage" and c.get("delivered"):
        m = re.search(r"fault-marker-(\d+)\b", c["params"].get("text", ""))
        if m:
            seen[int(m.group(1))] += 1
accepted = [int(x) for x in open(sys.argv[2])]
missing = [i for i in accepted if seen[i] == 0]
print(len(missing), sum(n - 1 for n in seen.values() if n > 1), " ".join(map(str, missing[:20])))
sys.exit(1 if missing else 0)
PY
}
wait_for 120 all_arrived
read missing dups first_missing <"$T/tally"
kills=$(wc -l <"$T/kills")
echo "# arrived: $((accepted - missing)) of $accepted accepted; duplicates $dups; kills $kills"
[ "$missing" -eq 0 ] || fail "$missing accepted alerts never arrived (e.g. $first_missing): $(tail -5 "$T/relay.err")"
pass "every accepted alert arrived despite $kills kills"
[ "$dups" -le "$kills" ] || fail "$dups duplicates for $kills kills"
pass "duplicates ($dups) at most one per kill ($kills)"
