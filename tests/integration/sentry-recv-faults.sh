#!/bin/sh
# Nothing accepted is ever lost: webhooks are posted through socat fork
# while receivers are SIGKILLed at random moments (some in the middle of
# writing a 100 KiB record), and the chain's two ends, sentry-recv -F and
# an acknowledging reader, are SIGKILLed and restarted at random too.
# Every webhook answered 202 must reach the reader; a killed writer's
# torn record never does; duplicates are at most one per kill.
. "$(dirname "$0")/common.inc"

mkdir "$T/spool" "$T/res"
for try in 1 2 3 4 5 6 7 8 9 10; do
	port=$(shuf -i 20000-60000 -n 1)
	socat TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork,backlog=128 \
		EXEC:"sentry-recv -s $T/spool" 2>/dev/null &
	spid=$!
	if wait_for 5 curl -s -o /dev/null "http://127.0.0.1:$port/"; then
		PIDS="$PIDS $spid"; break
	fi
	kill $spid 2>/dev/null; wait $spid 2>/dev/null; spid=
done
[ -n "$spid" ] || fail "socat did not start"
URL=http://127.0.0.1:$port/api/sentry-webhook

# The reader at the end of the chain: notes each record's id, then
# acknowledges its seq the way tg-send --ack does (write, rename).
cat >"$T/acker.py" <<'PY'
import os, sys, json
acked, seen = sys.argv[1], sys.argv[2]
out = open(seen, "a")
for line in sys.stdin:
    if not line.endswith("\n"):
        break   # cut short by a killed follower: it comes again whole
    r = json.loads(line)
    out.write(r["id"] + "\n"); out.flush()
    with open(acked + ".tmp", "w") as f:
        f.write("%d\n" % r["seq"]); f.flush(); os.fsync(f.fileno())
    os.rename(acked + ".tmp", acked)
PY
mkfifo "$T/pipe"
start_chain() {
	sentry-recv -F "$T/spool" 2>>"$T/follow.err" >"$T/pipe" &
	fpid=$!
	python3 "$T/acker.py" "$T/spool/acked" "$T/seen" <"$T/pipe" &
	apid=$!
}
start_chain

# 8 posters x 15 webhooks; every fifth one is 100 KiB, sent slowly.
head -c 76800 /dev/urandom | base64 -w0 >"$T/pad"
poster() {
	k=0
	while [ $k -lt 15 ]; do
		n=$1-$k
		rate=
		if [ $((k % 5)) = 0 ]; then
			# slow, so that receivers are caught in the middle
			printf '{"n":"%s","pad":"%s"}' "$n" "$(cat "$T/pad")" >"$T/b.$1"
			rate="--limit-rate 50k"
		else
			printf '{"n":"%s"}' "$n" >"$T/b.$1"
		fi
		st=$(curl -s -o "$T/r.$1" -w '%{http_code}' --max-time 10 $rate \
			-H 'Content-Type: application/json' --data-binary "@$T/b.$1" "$URL")
		[ "$st" = 202 ] && echo "$(jq -r .id "$T/r.$1") $n" >>"$T/res/$1"
		k=$((k + 1))
	done
}
p=0 posters=
while [ $p -lt 8 ]; do poster $p & posters="$posters $!"; p=$((p + 1)); done

# The killer: receivers (socat's children) and the chain, at random.
kills=0 chain_kills=0 it=0 t0=$(date +%s)
while kill -0 $posters 2>/dev/null || [ $(( $(date +%s) - t0 )) -lt 3 ]; do
	[ $(( $(date +%s) - t0 )) -gt 60 ] && fail "posters did not finish"
	sleep 0.00$(shuf -i 1-9 -n 1)
	# socat forks a child per connection, which runs sentry-recv
	victim=$(for c in $(pgrep -P $spid); do pgrep -P "$c"; done | shuf -n 1)
	[ -n "$victim" ] && kill -KILL "$victim" 2>/dev/null && kills=$((kills + 1))
	it=$((it + 1))
	if [ $((it % 6)) = 0 ]; then
		# one end of the chain; the other one follows it out
		kill -KILL "$(printf '%s\n' $fpid $apid | shuf -n 1)" 2>/dev/null
		wait $fpid $apid 2>/dev/null
		chain_kills=$((chain_kills + 1))
		start_chain
	fi
	kill -0 $posters 2>/dev/null || break
done
wait $posters 2>/dev/null
cat "$T"/res/* >"$T/accepted"
n=$(wc -l <"$T/accepted")
[ "$n" -gt 50 ] && [ "$kills" -gt 0 ] && [ "$chain_kills" -gt 0 ] || fail "$n accepted, $kills receivers and $chain_kills chains killed: the test proves nothing"
echo "# $(( $(date +%s) - t0 ))s: $n of 120 accepted, $kills receivers killed, $chain_kills chain kills"

# Let the chain catch up, then check.
end() { python3 -c '
import os, sys
d = sys.argv[1]
segs = sorted(f for f in os.listdir(d)
              if f.startswith("journal.") and not f.endswith(".auth"))
if not segs:	# all handled and removed: the end is what was committed
    print(int(open(os.path.join(d, "committed")).read()))
else:
    last = segs[-1]
    print(int(last.split(".")[1]) + os.path.getsize(os.path.join(d, last)))' "$T/spool"; }
caught_up() { [ -f "$T/spool/acked" ] && [ "$(cat "$T/spool/acked")" -ge "$(end)" ]; }
# a torn record at the very end would hold the chain back: one more
# webhook lets the next writer cut it
curl -s -o /dev/null -H 'Content-Type: application/json' -d '{"n":"last"}' "$URL"
wait_for 30 caught_up || fail "chain did not catch up: acked $(cat "$T/spool/acked") end $(end)"
missing=$(cut -d' ' -f1 "$T/accepted" | sort | comm -23 - "$(sort -u "$T/seen" >"$T/seen.u"; echo "$T/seen.u")" | wc -l)
[ "$missing" -eq 0 ] || fail "$missing webhooks answered 202 never reached the reader"
echo "# $(( $(date +%s) - t0 ))s: caught up"
pass "every one of $n webhooks answered 202 reached the end of the chain"
dups=$(( $(wc -l <"$T/seen") - $(wc -l <"$T/seen.u") ))
echo "# duplicates: $dups after $chain_kills chain kills"
[ "$dups" -le "$chain_kills" ] || fail "$dups duplicates for $chain_kills chain kills"
pass "duplicates ($dups) at most one per chain kill ($chain_kills)"
cat "$T"/spool/journal.* 2>/dev/null | python3 -c '
import json, sys
for line in sys.stdin.buffer:
    assert line.endswith(b"\n"), "torn record left in the journal"
    json.loads(line)' || fail "the journal holds a broken record"
pass "the journal holds whole records only"
kill $fpid $apid 2>/dev/null
