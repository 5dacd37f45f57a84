#!/bin/sh
# An unauthenticated flood cannot block the relay (issue 12):
#   1. the relay: the receiver has the secret, junk is refused at the door
#      (401) and never kept; a signed alert is delivered;
#   2. a receiver without the secret (inetd set up with least privilege):
#      60 junk bodies of 1 MiB are kept, sentry-verify rejects them as drop
#      markers that tg-send acknowledges, and the spool goes back to a few
#      MiB while a signed alert is delivered;
#   3. with the chain stopped, the spool's cap (--max-spool) drops the
#      oldest unauthenticated data instead of filling the disk.
. "$(dirname "$0")/common.inc"
SECRET=0123456789abcdef-junk-secret TOKEN=123456:JUNK-TOKEN-abcdef
CHAT=-1001234567890
start_faketg --token "$TOKEN"
python3 -c 'import sys; sys.stdout.write("{\"junk\":\"" + "x" * (1 << 20) + "\"}")' >"$T/junk"
wire "$PAYLOADS/event_alert.triggered.json" >"$T/alert"
junk_flood() { # junk_flood URL: 60 junk bodies, the statuses sorted -u
	i=0
	while [ $i -lt 60 ]; do
		curl -s -o /dev/null -w '%{http_code}\n' --max-time 10 \
		    -H 'Content-Type: application/json' \
		    -H "Sentry-Hook-Signature: $(printf '%064d' $i)" \
		    --data-binary "@$T/junk" "$1"
		i=$((i + 1))
	done | sort -u | tr '\n' ' '
}
journal_bytes() { cat "$1"/journal.* 2>/dev/null | wc -c; }

# 1. The relay, secret at the door.
SENTRY_WEBHOOK_SECRET=$SECRET SENTRY_ALERT_TELEGRAM_TOKEN=$TOKEN \
SENTRY_ALERT_CHAT_ID=$CHAT TELEGRAM_API_URL=$FAKETG_URL
export SENTRY_WEBHOOK_SECRET SENTRY_ALERT_TELEGRAM_TOKEN SENTRY_ALERT_CHAT_ID TELEGRAM_API_URL
start_relay
codes=$(junk_flood "$RELAY_URL")
[ "$codes" = "401 " ] || fail "relay: junk answered $codes, expected 401 only"
code=$(post "$RELAY_URL" event_alert "$T/alert" "$(sign "$SECRET" "$T/alert")")
[ "$code" = 202 ] || fail "relay: signed alert answered $code"
wait_for 20 sent_at_least 1 || fail "relay: the signed alert did not arrive: $(tail -3 "$T/relay.err")"
n=$(journal_bytes "$T/spool")
echo "# relay spool after 60 MiB of junk and one alert: $n bytes"
[ "$n" -lt 1048576 ] || fail "relay: the spool holds $n bytes"
pass "relay: 60 junk bodies of 1 MiB refused at the door, the signed alert delivered, the spool small"
kill -TERM "$RELAY_PID"; wait "$RELAY_PID" 2>/dev/null
unset SENTRY_WEBHOOK_SECRET

# A receiver without the secret, and the chain by hand.
start_recv() { # start_recv ARGS...: a listener on SPOOL=$1
	port=$(free_port)
	sentry-recv -l 127.0.0.1:$port -s "$@" >/dev/null 2>>"$T/recv.err" &
	RECV=$!
	PIDS="$PIDS $RECV"
	URL=http://127.0.0.1:$port/api/sentry-webhook
	wait_for 10 curl -s -o /dev/null "http://127.0.0.1:$port/healthz" ||
		fail "sentry-recv did not start: $(cat "$T/recv.err")"
}
start_chain() { # start_chain SPOOL
	( sentry-recv -F "$1" |
	  SENTRY_WEBHOOK_SECRET=$SECRET sentry-verify -q |
	  sentry-filter --state "$1/filter.state" |
	  sentry-fmt |
	  tg-send --ack "$1/acked" --state "$1/tg-send.state" >>"$1/sent.ndjson" ) 2>>"$T/chain.err" &
	CHAIN=$!
	PIDS="$PIDS $CHAIN"
}
acked_all() { # everything committed is acknowledged (and collected)
	[ -f "$1/acked" ] && [ "$(cat "$1/acked")" -ge "$(cat "$1/committed")" ]
}

# 2. Junk kept, rejected, acknowledged, collected.
mkdir -m 700 "$T/s2"
start_recv "$T/s2"
start_chain "$T/s2"
codes=$(junk_flood "$URL")
[ "$codes" = "202 " ] || fail "no door: junk answered $codes, expected 202"
code=$(post "$URL" event_alert "$T/alert" "$(sign "$SECRET" "$T/alert")")
[ "$code" = 202 ] || fail "no door: signed alert answered $code"
wait_for 30 sent_at_least 2 || fail "no door: the signed alert did not arrive: $(tail -3 "$T/chain.err")"
wait_for 30 acked_all "$T/s2" || fail "no door: the junk was never acknowledged (acked $(cat "$T/s2/acked"), committed $(cat "$T/s2/committed"))"
wait_for 10 sh -c "[ \$(cat '$T/s2'/journal.* 2>/dev/null | wc -c) -lt 4194304 ]" ||
	fail "no door: the spool still holds $(journal_bytes "$T/s2") bytes"
echo "# spool after 60 MiB of junk kept, rejected and acknowledged: $(journal_bytes "$T/s2") bytes"
[ "$(grep -c '"reason":"rejected"' "$T/s2/sent.ndjson")" -eq 60 ] ||
	fail "no door: expected 60 rejected drop markers at the end of the chain"
pass "no door: 60 junk bodies rejected and acknowledged, the alert delivered, the spool back to a few MiB"
kill $RECV $CHAIN 2>/dev/null; wait $RECV $CHAIN 2>/dev/null
pkill -f "sentry-recv -F $T/s2" 2>/dev/null

# 3. The cap, chain stopped: the oldest unauthenticated data goes.
mkdir -m 700 "$T/s3"
start_recv "$T/s3" --max-spool 8M
codes=$(junk_flood "$URL")
[ "$codes" = "202 " ] || fail "cap: junk answered $codes"
n=$(journal_bytes "$T/s3")
echo "# spool with --max-spool 8M after 60 MiB of junk, chain stopped: $n bytes"
[ "$n" -le $((12 << 20)) ] || fail "cap: the spool holds $n bytes"
grep -q 'over its cap' "$T/recv.err" || fail "cap: nothing said about the dropped junk"
code=$(post "$URL" event_alert "$T/alert" "$(sign "$SECRET" "$T/alert")")
[ "$code" = 202 ] || fail "cap: signed alert answered $code"
start_chain "$T/s3"
wait_for 60 sent_at_least 3 || fail "cap: the signed alert did not arrive: $(tail -3 "$T/chain.err")"
pass "cap: the spool stays near --max-spool, the alert after the junk is delivered"
kill $RECV $CHAIN 2>/dev/null
pkill -f "sentry-recv -F $T/s3" 2>/dev/null
exit 0
