#!/bin/sh
# A batch whose append fails (ENOSPC) is taken back before anyone reads
# it (issue 12): the follower never emits a record that was answered 503,
# and the record written next at the same position, answered 202, is
# never skipped.  The failure is injected by a test build of sentry-recv
# (SPOOL_FAULT_WRITE=N fails the Nth append after a pause in which the
# follower, woken by inotify, would read it).
. "$(dirname "$0")/common.inc"
. "$(dirname "$0")/hostile.inc"
mkdir -m 700 "$T/spool"
port=$(free_port)
for mode in listener inetd; do
	rm -rf "$T/spool" "$T/follow.out"; mkdir -m 700 "$T/spool"
	sentry-recv -F "$T/spool" >"$T/follow.out" 2>"$T/follow.err" &
	follower=$!
	PIDS="$PIDS $follower"
	if [ $mode = listener ]; then
		SPOOL_FAULT_WRITE=3 SPOOL_FAULT_DELAY_MS=500 "$BIN/tests/sentry-recv-faults" \
		    -l 127.0.0.1:$port -s "$T/spool" >/dev/null 2>"$T/recv.err" &
		recv=$!
		PIDS="$PIDS $recv"
		wait_for 10 curl -s -o /dev/null "http://127.0.0.1:$port/healthz" ||
			fail "sentry-recv did not start: $(cat "$T/recv.err")"
	fi
	: >"$T/codes"
	for n in 1 2 3 4 5; do
		# a body longer than the one that failed, then shorter ones:
		# the follower must land on record boundaries either way
		pad=$(printf '%*s' $(( n == 4 ? 300 : 40 )) '' | tr ' ' x)
		body="{\"n\":$n,\"pad\":\"$pad\"}"
		if [ $mode = listener ]; then
			code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
			    -H 'Content-Type: application/json' -d "$body" \
			    "http://127.0.0.1:$port/api/sentry-webhook")
		else
			# one process per request: the third one fails
			code=$(printf 'POST /api/sentry-webhook HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n%s' \
			    ${#body} "$body" | SPOOL_FAULT_WRITE=$(( n == 3 ? 1 : 0 )) \
			    SPOOL_FAULT_DELAY_MS=500 "$BIN/tests/sentry-recv-faults" -s "$T/spool" 2>>"$T/recv.err" |
			    sed -n '1s/^HTTP\/1.1 \([0-9]*\).*/\1/p')
		fi
		echo "$n $code" >>"$T/codes"
	done
	check "$mode: the third append fails, the others are kept" same "$T/codes" \
'1 202
2 202
3 503
4 202
5 202'
	wait_for 10 sh -c "[ \$(wc -l <'$T/follow.out') -ge 4 ]"
	sleep 0.3
	jq -r .body "$T/follow.out" | jq -r .n | tr '\n' ' ' | sed 's/ $//' >"$T/seen"; echo >>"$T/seen"
	check "$mode: the follower saw exactly the records answered 202" same "$T/seen" "1 2 4 5"
	check "$mode: the follower never landed inside a record" test ! -s "$T/follow.err"
	[ $mode = listener ] && { kill $recv; wait $recv 2>/dev/null; }
	kill $follower; wait $follower 2>/dev/null
done
hostile_done
