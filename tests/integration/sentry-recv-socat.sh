#!/bin/sh
# sentry-recv for real: under socat fork (inetd mode) and in listener mode,
# with curl as the client.  Exact bytes in the spool, seq = journal
# position, concurrent writers never interleave, keep-alive in listener
# mode, systemd socket activation (Accept=no), the health check, and a
# follower killed and restarted without a manual step.
. "$(dirname "$0")/common.inc"

HOOK=/api/sentry-webhook
curl_post() { # URL BODYFILE [curl args]: prints the status
	_u=$1 _f=$2; shift 2
	curl -s -o "$T/resp" -w '%{http_code}' --max-time 10 \
		-H 'Content-Type: application/json' -H 'Sentry-Hook-Resource: issue' \
		"$@" --data-binary "@$_f" "$_u"
}

# --- inetd mode under socat ------------------------------------------------
# socat cannot tell which port 0 became: try free ports in 20000-60000.
# Its default listen backlog is 5: a burst would be refused, hence backlog=.
mkdir "$T/spool"
for try in 1 2 3 4 5 6 7 8 9 10; do
	port=$(shuf -i 20000-60000 -n 1)
	socat TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork,backlog=128 \
		EXEC:"sentry-recv -s $T/spool" 2>"$T/socat.err" &
	spid=$!
	if wait_for 5 curl -s -o /dev/null "http://127.0.0.1:$port/"; then
		PIDS="$PIDS $spid"; break
	fi
	kill $spid 2>/dev/null; wait $spid 2>/dev/null; spid=
done
[ -n "$spid" ] || fail "socat did not start: $(cat "$T/socat.err")"
URL=http://127.0.0.1:$port$HOOK

wire "$PAYLOADS/event_alert.triggered.json" >"$T/body"
printf '\n' >>"$T/body"
st=$(curl_post "$URL?token=t1" "$T/body" -H 'Sentry-Hook-Signature: ab12')
[ "$st" = 202 ] || fail "POST: status $st: $(cat "$T/resp")"
id=$(jq -r .id "$T/resp")
rec=$T/spool/journal.00000000000000000000
[ "$(jq -r .id "$rec")" = "$id" ] || fail "record id is not the one answered"
jq -j .body "$rec" | cmp -s - "$T/body" || fail "body in the spool differs from the bytes sent"
jq -e '.peer == "127.0.0.1" and .method == "POST" and .path == "/api/sentry-webhook"
	and .query == "token=t1" and .headers["sentry-hook-signature"] == "ab12"
	and .headers["content-type"] == "application/json"
	and .seq == ($len | tonumber)' --arg len "$(wc -c <"$rec")" "$rec" >/dev/null ||
	fail "record fields: $(head -c 300 "$rec")"
pass "socat: 202 with the id, exact body bytes and seq in the spool"

st=$(curl_post "$URL" "$T/body" -H 'Transfer-Encoding: chunked')
[ "$st" = 202 ] || fail "chunked POST: status $st"
st=$(curl_post "$URL" "$T/body" -H 'Expect: 100-continue')
[ "$st" = 202 ] || fail "Expect: 100-continue POST: status $st"
pass "socat: chunked body and Expect: 100-continue"

i=0
while [ $i -lt 40 ]; do
	{ curl_post "$URL" "$T/body"; echo; } >"$T/par.$i" &
	i=$((i + 1))
done
wait_for 30 sh -c "[ \$(cat $T/par.* | grep -c 202) -eq 40 ]" ||
	fail "40 concurrent POSTs: $(cat "$T"/par.* | sort | uniq -c | tr '\n' ' ')"
n=$(cat "$T"/spool/journal.* | wc -l)
[ "$n" -eq 43 ] || fail "want 43 records, spool has $n"
# every line is a whole record and every seq is its own end position
python3 - "$T/spool" <<'PY' || fail "spool lines or positions are wrong"
import json, os, sys
d = sys.argv[1]
for name in sorted(f for f in os.listdir(d) if f.startswith("journal.")):
    pos = int(name.split(".")[1])
    for line in open(os.path.join(d, name), "rb"):
        pos += len(line)
        assert json.loads(line)["seq"] == pos
PY
pass "socat: 40 concurrent POSTs, 43 whole records, seq = journal position"

st=$(curl -s -o "$T/h" -w '%{http_code}' "http://127.0.0.1:$port/healthz")
[ "$st" = 200 ] && jq -e '.writable and .records_behind == 43 and
	.bytes_behind == .journal_end' "$T/h" >/dev/null ||
	fail "healthz: $st $(cat "$T/h")"
pass "health check: 200, 43 records behind"

# --- follow: killed at any moment, restarted, nothing missed --------------
sentry-recv -F "$T/spool" >"$T/f1" 2>"$T/f.err" &
fpid=$!
wait_for 10 sh -c "[ \$(wc -l <$T/f1) -ge 43 ]" || fail "follower emitted $(wc -l <"$T/f1") of 43"
curl_post "$URL" "$T/body" >/dev/null
wait_for 10 sh -c "[ \$(wc -l <$T/f1) -ge 44 ]" || fail "follower did not see a new record"
kill -9 $fpid; wait $fpid 2>/dev/null
sed -n 10p "$T/f1" | jq -r .seq >"$T/a" && mv "$T/a" "$T/spool/acked"
sentry-recv -F "$T/spool" --once >"$T/f2" 2>>"$T/f.err" || fail "restart failed: $(cat "$T/f.err")"
[ "$(wc -l <"$T/f2")" -eq 34 ] || fail "after ack of 10, want 34 records, got $(wc -l <"$T/f2")"
[ "$(head -1 "$T/f2" | jq -r .id)" = "$(sed -n 11p "$T/f1" | jq -r .id)" ] ||
	fail "restart did not continue after the acknowledged record"
pass "follow: emits new records, restarts after SIGKILL from the ack file"

# --- listener mode --------------------------------------------------------
mkdir "$T/spool2"
sentry-recv -l 127.0.0.1:0 -s "$T/spool2" 2>"$T/l.err" &
lpid=$!; PIDS="$PIDS $lpid"
wait_for 10 grep -q 'listening on' "$T/l.err" || fail "listener did not start: $(cat "$T/l.err")"
lport=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$T/l.err")
LURL=http://127.0.0.1:$lport$HOOK
i=0
while [ $i -lt 32 ]; do
	# five requests over one kept-alive connection per client
	curl -s -o /dev/null --max-time 20 -w '%{http_code} %{num_connects}\n' \
		-H 'Content-Type: application/json' --data-binary "@$T/body" \
		"$LURL" "$LURL" "$LURL" "$LURL" "$LURL" >"$T/ka.$i" &
	i=$((i + 1))
done
wait_for 30 sh -c "[ \$(cat $T/ka.* | grep -c '^202') -eq 160 ]" ||
	fail "listener: $(cat "$T"/ka.* | sort | uniq -c | tr '\n' ' ')"
[ "$(cat "$T"/ka.* | grep -c '^202 0$')" -eq 128 ] ||
	fail "keep-alive: connections were not reused: $(cat "$T"/ka.* | sort | uniq -c | tr '\n' ' ')"
[ "$(cat "$T"/spool2/journal.* | wc -l)" -eq 160 ] || fail "listener spool: want 160 records"
pass "listener: 32 concurrent clients x 5 kept-alive requests, 160 records"

printf 'POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}' "$HOOK" |
	python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(sys.stdin.buffer.read())
print(s.recv(200).split(b"\r\n")[0].decode())' "$lport" >"$T/smug"
[ "$(cat "$T/smug")" = "HTTP/1.1 400 Bad Request" ] || fail "listener smuggling shape: $(cat "$T/smug")"
st=$(curl -s -o "$T/h2" -w '%{http_code}' "http://127.0.0.1:$lport/healthz")
[ "$st" = 200 ] && jq -e '.records_behind == 160' "$T/h2" >/dev/null || fail "listener healthz: $st"
pass "listener: 400 for two Content-Lengths, health check"

kill -TERM $lpid; wait $lpid; st=$?
[ $st -eq 0 ] || fail "listener exit status on SIGTERM: $st"
pass "listener: SIGTERM stops it with status 0"

# --- systemd socket activation (Accept=no) --------------------------------
if command -v systemd-socket-activate >/dev/null; then
	mkdir "$T/spool3"
	aport=$(free_port)
	systemd-socket-activate -l 127.0.0.1:$aport sentry-recv -s "$T/spool3" 2>"$T/sa.err" &
	PIDS="$PIDS $!"
	wait_for 10 curl -s -o /dev/null "http://127.0.0.1:$aport/" || fail "socket activation did not start"
	st=$(curl_post "http://127.0.0.1:$aport$HOOK" "$T/body")
	[ "$st" = 202 ] && [ "$(cat "$T"/spool3/journal.* | wc -l)" -eq 1 ] ||
		fail "socket activation: status $st"
	pass "systemd socket activation (LISTEN_FDS): listener mode on the passed socket"
fi
