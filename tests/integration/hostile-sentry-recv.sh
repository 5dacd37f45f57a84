#!/bin/sh
# Hostile HTTP for sentry-recv in listener mode (one process, many
# connections): smuggling shapes, header injection, NUL bytes, oversized
# heads and bodies, a request smuggled behind a refused one, slow
# clients, and a spool that cannot grow.  Every refusal has its exact
# status, and every request accepted before, between and after them is
# in the spool, byte for byte, exactly once.
. "$(dirname "$0")/common.inc"
. "$(dirname "$0")/hostile.inc"
H="python3 $TOP/tests/integration/hostile-http.py"
HOOK=/api/sentry-webhook
mkdir -m 700 "$T/spool"
port=$(free_port)
sentry-recv -l 127.0.0.1:$port -s "$T/spool" -b 4096 -t 2 \
    >"$T/recv.out" 2>"$T/recv.err" &
RECV=$!
PIDS="$PIDS $RECV"
wait_for 10 curl -s -o /dev/null "http://127.0.0.1:$port/" ||
	fail "sentry-recv did not start: $(cat "$T/recv.err")"

# req BODY [EXTRA-HEADER-LINES]: a well-formed POST with Content-Length.
req() {
	printf 'POST %s HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n%sContent-Length: %d\r\n\r\n%s' \
	    "$HOOK" "$2" "${#1}" "$1"
}
# send NAME EXPECTED: the bytes in $T/r on a new connection; EXPECTED
# is the list of statuses answered.  (Never "... | send": a check in a
# pipeline runs in a subshell and its count would be lost.)
send() {
	check "recv: $1: $2" is_status "$2" "$($H $port <"$T/r")"
}

req '{"n":1}' >"$T/r"; send "good request" 202
printf 'POST %s HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 9\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n' "$HOOK" >"$T/r"
send "Content-Length with chunked (smuggling)" 400
printf 'POST %s HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 7\r\nContent-Length: 8\r\n\r\n{"n":2}x' "$HOOK" >"$T/r"
send "two different Content-Lengths" 400
printf 'POST %s HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n' "$HOOK" >"$T/r"
send "chunked twice (chunked not final)" 400
printf 'POST %s HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n' "$HOOK" >"$T/r"
send "an unknown coding that looks like chunked" 400
printf 'POST %s HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 7\r\nX-Injected: a\rSentry-Hook-Resource: issue\r\n\r\n{"n":3}' "$HOOK" >"$T/r"
send "a bare CR inside a header value (injection)" 400
printf 'POST %s HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 7\r\nX-Nul: a\0b\r\n\r\n{"n":4}' "$HOOK" >"$T/r"
send "a NUL byte in a header" 400
printf 'POST %s HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 18446744073709551617\r\n\r\n{}' "$HOOK" >"$T/r"
send "a Content-Length above 2^64" 413
printf 'POST %s HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: -1\r\n\r\n{}' "$HOOK" >"$T/r"
send "a negative Content-Length" 400
python3 -c 'import sys; sys.stdout.write("{\"pad\":\"" + "x" * 5000 + "\"}")' >"$T/big"
req "$(cat "$T/big")" >"$T/r"; send "a body over -b 4096" 413
python3 -c 'import sys; sys.stdout.write("POST /api/sentry-webhook HTTP/1.1\r\nHost: a\r\n" + "X-H: v\r\n" * 5000 + "\r\n")' >"$T/r"
send "5000 header fields" 431
python3 -c 'import sys; sys.stdout.write("POST /" + "a" * 100000 + " HTTP/1.1\r\nHost: a\r\n\r\n")' >"$T/r"
send "a 100 kB request line" 414
# Framing the RFCs refuse (issue 12): an empty or "," Transfer-Encoding
# beside Content-Length, a length list with an empty element, an empty
# chunked body, an HTTP version that is not 1.0 or 1.1, an absolute-form
# target without a host.
printf 'POST %s HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nTransfer-Encoding:\r\nContent-Length: 7\r\n\r\n{"n":9}' "$HOOK" >"$T/r"
send "an empty Transfer-Encoding beside Content-Length" 400
printf 'POST %s HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nTransfer-Encoding: ,\r\nContent-Length: 7\r\n\r\n{"n":9}' "$HOOK" >"$T/r"
send "Transfer-Encoding: , beside Content-Length" 400
printf 'POST %s HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 7,\r\n\r\n{"n":9}' "$HOOK" >"$T/r"
send "Content-Length: 7," 400
printf 'POST %s HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n' "$HOOK" >"$T/r"
send "an empty chunked body" 400
printf 'POST %s HTTP/1.9\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{"n":9}' "$HOOK" >"$T/r"
send "HTTP/1.9" 505
printf 'POST https://%s HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{"n":9}' "$HOOK" >"$T/r"
send "https:///path (no host)" 400
# A request smuggled behind one that is refused is never read as one.
{ printf 'POST %s HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n' "$HOOK"
  req '{"smuggled":true}'; } >"$T/r"; send "a request behind a refused one is not served" 400
# Keep-alive: a good request, then garbage on the same connection.
{ req '{"n":5}'; printf 'GARBAGE\r\n\r\n'; } >"$T/r"; send "good then garbage on one connection" "202 400"
# A slow client is cut off (408) while others are served meanwhile.
{ printf 'POST %s HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n' "$HOOK"; } >"$T/slow"
$H $port --slow 0.5 <"$T/slow" >"$T/slow.out" &
slow=$!
sleep 0.3
req '{"n":6}' >"$T/r"; send "served while a slow client holds a connection" 202
wait $slow
check "recv: a slow client gets 408" same "$T/slow.out" "408"
req '{"n":7}' >"$T/r"; send "good request after all that" 202

# The spool: exactly the accepted bodies, in order, byte for byte.
sentry-recv --once -F "$T/spool" >"$T/records" 2>"$T/follow.err"
jq -r .body "$T/records" >"$T/bodies"
check "recv: exactly the accepted bodies are spooled, once each, in order" same "$T/bodies" \
'{"n":1}
{"n":5}
{"n":6}
{"n":7}'
check "recv: the spool journal is 0600" same "$T/modes" \
    "$(find "$T/spool" -type f ! -perm 600 >"$T/modes")"
kill $RECV; wait $RECV 2>/dev/null

# inetd mode on a spool that cannot grow (RLIMIT_FSIZE stands in for a
# full disk): 503, and the journal holds no torn record.
mkdir -m 700 "$T/full"
req '{"n":8}' | sentry-recv -s "$T/full" >/dev/null 2>&1
req "$(cat "$T/big" | head -c 3000)" >"$T/bigreq"
( ulimit -f 1; sentry-recv -s "$T/full" <"$T/bigreq" >"$T/full.out" 2>"$T/full.err" ); rc=$?
check "recv: full disk: answered, status 0" is_status 0 $rc
head -1 "$T/full.out" | tr -d '\r' >"$T/full.status"
check "recv: full disk: answered 503" same "$T/full.status" "HTTP/1.1 503 Service Unavailable"
sentry-recv --once -F "$T/full" 2>"$T/full.follow" | jq -r .body >"$T/full.bodies"
check "recv: full disk: the record before is intact, no torn one follows" same "$T/full.bodies" '{"n":8}'
# An empty spool followed once: nothing, status 0 (was undefined
# behaviour: qsort on a null array).
mkdir -m 700 "$T/empty"
sentry-recv --once -F "$T/empty" >"$T/empty.out" 2>"$T/empty.err"; rc=$?
check "recv: following an empty spool: status 0, no output" is_status "0" "$rc$(cat "$T/empty.out" "$T/empty.err")"
hostile_done
