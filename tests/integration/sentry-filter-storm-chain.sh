#!/bin/sh
# Issue #14, storm folding through the real chain: 50 new issues in a
# burst (2 s) to one group, sentry-filter | sentry-fmt | tg-send against
# the fake Telegram enforcing the group limit (20 messages a minute:
# 429 beyond).  Default rules, throttle, pacing and storm window; live
# received times, so this takes about 35 s.  Every issue is named in
# Telegram (a message of its own or the storm digest), no 429, the group
# limit held.  The times are figures, not assertions.
. "$(dirname "$0")/common.inc"
. "$(dirname "$0")/tg-send.inc"
GROUP=-1001234567890 N=50
SENTRY_ALERT_CHAT_ID=$GROUP; export SENTRY_ALERT_CHAT_ID

start_faketg --token "$TOKEN" --group-limit 20/60
mkfifo "$T/in"
# The burst, received now, 40 ms apart; then the input stays open (as
# the spool reader's does) so the storm digest goes out on the wall clock.
python3 - "$N" >"$T/in" <<'PY' &
import datetime, json, sys, time
n = int(sys.argv[1])
for i in range(n):
    now = datetime.datetime.now(datetime.timezone.utc)
    rec = {"v": 1, "id": "burst-%d" % i, "seq": i + 1,
           "received": now.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
           "alert": {"kind": "event_alert", "action": "triggered",
                     "level": "error", "title": "StormError: storm-issue-%d" % i,
                     "project": "api", "environment": "production",
                     "issue_id": str(7000 + i), "short_id": "API-%d" % (7000 + i),
                     "url": "https://sentry.io/issues/%d/" % (7000 + i),
                     "count": 1}}
    sys.stdout.write(json.dumps(rec, separators=(",", ":")) + "\n")
    sys.stdout.flush()
    time.sleep(0.04)
time.sleep(120)
PY
writer=$!
PIDS="$PIDS $writer"
sentry-filter -s "$T/filter.state" <"$T/in" 2>"$T/filter.err" |
	sentry-fmt 2>"$T/fmt.err" |
	tgsend --state "$T/tg.state" >"$T/sent.ndjson" 2>"$T/send.err" &
chain=$!
PIDS="$PIDS $chain"

storm_sent() { [ "$(delivered 'Storm:')" -ge 1 ]; }
wait_for 100 storm_sent || fail "no storm digest reached Telegram within 100 s: $(tail -3 "$T/filter.err" "$T/send.err")"
kill "$writer"
wait "$chain"

python3 - "$FAKETG_LOG" "$N" >"$T/figures" <<'PY'
import json, re, sys
log = [json.loads(l) for l in open(sys.argv[1])]
n = int(sys.argv[2])
sends = [c for c in log if c.get("method") == "sendMessage"]
ok = [c for c in sends if c.get("delivered")]
named = {}
for c in ok:
    for m in re.findall(r"storm-issue-(\d+)\b", c["params"].get("text", "")):
        named.setdefault(int(m), c["t"])
t0 = min(c["t"] for c in sends)
worst = 0
for c in ok:      # the most messages the group took in any 60 s
    worst = max(worst, sum(1 for d in ok if c["t"] <= d["t"] < c["t"] + 60))
storm = [c for c in ok if "Storm:" in c["params"].get("text", "")]
print("issues", n)
print("named", len(named))
print("messages", len(ok))
print("storm_digests", len(storm))
print("too_many", sum(1 for c in sends if c["status"] == 429))
print("max_per_60s", worst)
print("seconds_to_last_named", round(max(named.values()) - t0, 1) if named else -1)
print("storm_header", re.sub(r"<[^>]*>", "", storm[0]["params"]["text"].split("\n")[0]) if storm else "-")
PY
fig() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print }' "$T/figures"; }
echo "# storm through the chain: $(fig issues) issues in 2 s to group $GROUP"
sed 's/^/#   /' "$T/figures"
[ "$(fig named)" = "$N" ] || fail "only $(fig named) of $N issues named in Telegram"
pass "every issue of the burst is named in Telegram"
[ "$(fig storm_digests)" = 1 ] || fail "$(fig storm_digests) storm digests"
pass "the surplus is one storm digest"
[ "$(fig too_many)" = 0 ] || fail "$(fig too_many) answers 429"
pass "no 429"
[ "$(fig max_per_60s)" -le 20 ] || fail "$(fig max_per_60s) messages to the group in 60 s"
pass "the group limit held ($(fig max_per_60s) messages in the busiest minute)"
folded=$(jq -s '[.[] | select(.drop.reason == "folded into a storm digest")] | length' "$T/sent.ndjson")
case $(fig storm_header) in
"🌪 Storm: $folded more issues in production in the last 30 s") pass "the storm digest counts the $folded folded issues" ;;
*) fail "storm digest header: $(fig storm_header) ($folded folded)" ;;
esac
[ ! -s "$T/filter.err" ] && [ ! -s "$T/fmt.err" ] || fail "diagnostics: $(cat "$T/filter.err" "$T/fmt.err")"
pass "no diagnostics from sentry-filter and sentry-fmt"

# The fake Telegram does enforce the limit: 21 messages to another group
# with tg-send's pacing off, the 21st is refused.
for i in $(seq 1 21); do record "g$i" "$i" -100999 "unpaced $i"; done >"$T/unpaced"
tgsend --pace-chat 0 --pace-group 0 --max-wait 1 <"$T/unpaced" >/dev/null 2>&1
refused=$(jq -s '[.[] | select(.fault == "group_limit" and .params.chat_id == "-100999")] | length' "$FAKETG_LOG")
[ "$refused" -ge 1 ] || fail "the fake Telegram let 21 messages a minute into a group"
pass "the fake Telegram answers 429 past 20 messages a minute to a group"
