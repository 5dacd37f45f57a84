#!/bin/sh
# tg-send's pacing, measured from the fake server's arrival times: at most
# N messages in any window of S seconds per chat, per group (negative chat
# ids) and overall.  Telegram's limits by default (1/s per chat, 30/s
# overall), smaller windows to check the group limit quickly.
. "$(dirname "$0")/common.inc"
. "$(dirname "$0")/tg-send.inc"

# held LOG SCOPE N SECONDS: no N+1 sends of a scope within SECONDS (less
# 50 ms for thread scheduling).  SCOPE: chat, group or all.
held() {
	python3 - "$@" <<'PY'
import json, sys, collections
log, scope, n, secs = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
times = collections.defaultdict(list)
for line in open(log):
    e = json.loads(line)
    if e["method"] != "sendMessage":
        continue
    chat = str(e["params"].get("chat_id"))
    if scope == "all":
        times["all"].append(e["t"])
    elif scope == "chat" or chat.startswith("-"):
        times[chat].append(e["t"])
worst = None
for chat, ts in times.items():
    ts.sort()
    for i in range(len(ts) - n):
        span = ts[i + n] - ts[i]
        if worst is None or span < worst[0]:
            worst = (span, chat)
if worst and worst[0] < secs - 0.05:
    print("%s: %d+1 sends within %.3f s (chat %s)" % (scope, n, worst[0], worst[1]))
    sys.exit(1)
PY
}

start_faketg --token "$TOKEN"
{
	for s in 1 2 3; do record "c$s" $s 500 "same chat $s"; done
	s=4; while [ $s -le 40 ]; do record "m$s" $s $((1000 + s)) "chat $s"; s=$((s + 1)); done
} >"$T/in"
tgsend -a "$T/acked" <"$T/in" >"$T/out" 2>"$T/err" || fail "run: $(cat "$T/err")"
[ "$(cat "$T/acked")" = 40 ] && [ "$(sent_count)" = 40 ] || fail "not all sent"
held "$FAKETG_LOG" chat 1 1 || fail "1 message per second per chat not held"
held "$FAKETG_LOG" all 30 1 || fail "30 messages per second overall not held"
pass "default limits held: 1/s per chat, 30/s overall (40 messages)"
grep -q '"status":429' "$FAKETG_LOG" && fail "Telegram had to say 429"

first=$(wc -l <"$FAKETG_LOG")
{
	s=1; while [ $s -le 10 ]; do
		record "g$s" $s -777 "group $s"
		record "p$s" $((s + 100)) 888 "private $s"
		s=$((s + 1))
	done
} >"$T/in2"
tgsend --pace-chat 2/1 --pace-group 4/2 --pace-all 0 <"$T/in2" >"$T/out2" 2>"$T/err2" ||
	fail "run: $(cat "$T/err2")"
tail -n +$((first + 1)) "$FAKETG_LOG" >"$T/second.log"
[ "$(grep -c '"status":200' "$T/second.log")" = 20 ] || fail "not all sent"
held "$T/second.log" group 4 2 || fail "--pace-group 4/2 not held"
held "$T/second.log" chat 2 1 || fail "--pace-chat 2/1 not held"
pass "configured limits held: 4 per 2 s in a group, 2/s per chat (20 messages)"
# And the check itself can fail: the same log breaks a stricter limit.
held "$T/second.log" group 4 10 >/dev/null && fail "the pacing check cannot fail"
pass "the pacing check detects a violation"
no_leak
