#!/bin/sh
# What a hostile client can no longer do to the listener (issue 12):
#   - fill the spool with junk: with the secret, a request that is not
#     from Sentry is refused at the door (401) and never journalled;
#   - take the memory: bodies are read into buffers that grow as bytes
#     arrive, within one budget (--max-memory) past which it is 503 with
#     Retry-After;
#   - lock Sentry out with idle connections: the oldest idle one is
#     closed to make room, and one address holds at most --max-per-peer.
. "$(dirname "$0")/common.inc"
. "$(dirname "$0")/hostile.inc"
CONNS="python3 $TOP/tests/integration/conns.py"
SECRET=0123456789abcdef0123456789abcdef
HOOK=/api/sentry-webhook
mkdir -m 700 "$T/spool"

start() { # start ARGS...: a listener on a fresh port; sets URL, RECV
	port=$(free_port)
	sentry-recv -l 127.0.0.1:$port "$@" >"$T/recv.out" 2>>"$T/recv.err" &
	RECV=$!
	PIDS="$PIDS $RECV"
	URL=http://127.0.0.1:$port$HOOK
	wait_for 10 curl -s -o /dev/null "http://127.0.0.1:$port/healthz" ||
		fail "sentry-recv did not start: $(cat "$T/recv.err")"
}
stop() { kill $RECV; wait $RECV 2>/dev/null; }
# hold NAME ARGS...: conns.py in the background until release NAME
hold() {
	_n=$1; shift
	$CONNS $port "$@" --until "$T/$_n.release" </dev/null >"$T/$_n.out" &
	PIDS="$PIDS $!"
	wait_for 60 grep -q '^ready' "$T/$_n.out" || fail "$_n: connections not made"
}
release() { touch "$T/$1.release"; }
answers() { wait_for 70 grep -q '^answers' "$T/$1.out"; sed -n 's/^answers: //p' "$T/$1.out"; }
spool_bytes() { du -sb "$T/spool" | cut -f1; }
signed_post() { # signed_post FILE [PATH]: the status
	curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
	    -H 'Content-Type: application/json' \
	    -H "Sentry-Hook-Signature: $(sign "$SECRET" "$1")" \
	    --data-binary "@$1" "http://127.0.0.1:$port${2:-$HOOK}"
}

# 1. The door.  60 junk bodies of 1 MiB with a wrong signature.
SENTRY_WEBHOOK_SECRET=$SECRET start -s "$T/spool"
python3 -c 'import sys; sys.stdout.write("{\"junk\":\"" + "x" * (1 << 20) + "\"}")' >"$T/junk"
wire "$PAYLOADS/event_alert.triggered.json" >"$T/alert"
: >"$T/junk.codes"
i=0
while [ $i -lt 60 ]; do
	curl -s -o /dev/null -w '%{http_code}\n' --max-time 10 \
	    -H 'Content-Type: application/json' \
	    -H "Sentry-Hook-Signature: $(printf '%064d' $i)" \
	    --data-binary "@$T/junk" "$URL" >>"$T/junk.codes"
	i=$((i + 1))
done
sort -u "$T/junk.codes" >"$T/junk.u"
check "door: 60 junk bodies of 1 MiB answered 401" same "$T/junk.u" "401"
echo "# spool after the junk: $(spool_bytes) bytes"
check "door: none of it journalled (spool under 64 KiB)" test "$(spool_bytes)" -lt 65536
check "door: a signed alert is accepted" is_status 202 "$(signed_post "$T/alert")"
unsigned() { curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
    --data-binary "@$T/alert" "$URL$1"; }
check "door: unsigned, no token: 401" is_status 401 "$(unsigned)"
check "door: the legacy token as the last path segment: 202" is_status 202 "$(unsigned "/$SECRET")"
check "door: a wrong token segment: 401" is_status 401 "$(unsigned /not-the-token)"
check "door: more than one segment: 404" is_status 404 "$(unsigned /a/b)"
stop
sentry-recv -F "$T/spool" --once | jq -r '.auth // "-"' >"$T/auth"
check "door: the records say how they were authenticated" same "$T/auth" 'hmac
token'
check "door: no secret in the log" test "$(grep -c "$SECRET" "$T/recv.err")" -eq 0

# 2. Memory.  40 connections each declaring an 8 MB body and sending
# 1 KB took the listener from 1 MB to 330 MB: it reserved every declared
# body.  Nothing is reserved before it arrives now (VmData: what is
# allocated, touched or not).
start -s "$T/spool"
vmdata() { sed -n 's/^VmData:[[:space:]]*\([0-9]*\) kB/\1/p' /proc/$RECV/status; }
before=$(vmdata)
hold decl 40 --send "POST $HOOK HTTP/1.1\\r\\nHost: a\\r\\nContent-Type: application/json\\r\\nContent-Length: 8000000\\r\\n\\r\\n" --pad 1024
sleep 0.5
grew=$(( $(vmdata) - before ))
echo "# listener memory for 40 connections declaring 8 MB: +$grew kB allocated"
check "memory: 40 declared 8 MB bodies take under 8 MiB" test "$grew" -lt 8192
stop
release decl
# Past the budget: 503 with Retry-After; memory is given back as
# connections end.
start -s "$T/spool" --max-memory 1M
hold big 12 --send "POST $HOOK HTTP/1.1\\r\\nHost: a\\r\\nContent-Type: application/json\\r\\nContent-Length: 2000000\\r\\n\\r\\n" --pad 200000
python3 -c 'import sys; sys.stdout.write("{\"pad\":\"" + "x" * 700000 + "\"}")' >"$T/700k"
curl -s -i --max-time 10 -H 'Content-Type: application/json' --data-binary "@$T/700k" "$URL" |
    tr -d '\r' | grep -E '^HTTP/|^Retry-After' >"$T/busy"
check "memory: past the budget a request gets 503 and Retry-After" same "$T/busy" \
'HTTP/1.1 503 Service Unavailable
Retry-After: 1'
release big
ans=$(answers big)
case " $ans " in *" 503 "*) ok=0 ;; *) ok=1 ;; esac
check "memory: some of the 12 big bodies were refused with 503 ($ans)" test $ok -eq 0
sleep 0.3
check "memory: once they are gone, the same request is accepted" is_status 202 \
    "$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data-binary "@$T/700k" "$URL")"
stop

# 3. Idle connections.  With 600 open that send nothing (and an idle
# time-out far longer than the test), a POST is still answered: the oldest
# idle connection is closed to make room.
start -s "$T/spool" --idle-timeout 300 -c 512 --max-per-peer 100000
hold idle 600
t0=$(date +%s%N)
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 -H 'Content-Type: application/json' \
    --data-binary "@$T/alert" "$URL")
echo "# POST with 600 idle connections open: $(( ($(date +%s%N) - t0) / 1000000 )) ms"
check "idle: a POST is answered while 600 idle connections are open" is_status 202 "$code"
release idle
stop
# One address holds at most --max-per-peer: busy connections (a head
# half sent) from 127.0.0.2 cannot take the rest; idle ones of the same
# address make room for its next request.  Both closings are counted.
evicted() {
	printf 'GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n' | sentry-recv -s "$T/spool" |
	    awk '$1 == "sentry_tg_webhooks_rejected_total{reason=\"evicted\"}" { print $2 }'
}
evicted0=$(evicted)
start -s "$T/spool" --idle-timeout 300 --max-per-peer 10
hold busy 10 --source 127.0.0.2 --send "POST $HOOK HTTP/1.1\\r\\nHost: a\\r\\n"
$CONNS $port 1 --source 127.0.0.2 --hold 3 \
    --send "POST $HOOK HTTP/1.1\\r\\nHost: a\\r\\nContent-Type: application/json\\r\\nContent-Length: 2\\r\\n\\r\\n{}" </dev/null >"$T/eleventh"
check "per peer: an 11th connection from a busy address is closed" same "$T/eleventh" \
'ready 1
answers: closed'
check "per peer: another address is served" is_status 202 \
    "$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data-binary "@$T/alert" "$URL")"
hold idle3 10 --source 127.0.0.3
$CONNS $port 1 --source 127.0.0.3 --hold 3 \
    --send "POST $HOOK HTTP/1.1\\r\\nHost: a\\r\\nContent-Type: application/json\\r\\nContent-Length: 2\\r\\n\\r\\n{}" </dev/null >"$T/own"
check "per peer: an address at its cap with idle connections is served" same "$T/own" \
'ready 1
answers: 202'
check "per peer: both closings counted in /metrics ($evicted0, then $(evicted))" \
    is_status $((evicted0 + 2)) "$(evicted)"
release busy
release idle3
stop

# 4. A FIFO as -o in listener mode: a reader that stops would hold every
# connection up.
mkfifo "$T/fifo"
sentry-recv -l 127.0.0.1:$(free_port) -o "$T/fifo" >/dev/null 2>"$T/fifo.err"
check "fifo: refused in listener mode (status 2)" is_status 2 $?
check "fifo: with a reason" grep -q 'a FIFO in listener mode' "$T/fifo.err"
hostile_done
