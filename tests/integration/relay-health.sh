#!/bin/sh
# Health that tells the truth, through `make run`'s wiring in socat mode
# (one sentry-recv process per request, so every figure comes from the
# spool's files: SPOOL/stats, tg-send's SPOOL/status, the journal):
# /healthz is 200 "ok" while messages go out, turns 503 "degraded" with
# its reasons while Telegram fails (the fake server answers 502 for as
# long as $T/down exists) and back to 200 "ok" once it recovers; /metrics
# has every name and exact values; `sentry-recv -F SPOOL --once` shows the
# backlog while the chain holds the spool's follow.lock.
. "$(dirname "$0")/common.inc"
SECRET=health-webhook-secret-0123 TOKEN=424242:HEALTH-TOKEN-abcdef

# Telegram: the first message is refused for good (a dead letter), and
# every sendMessage fails with a 502 while $T/down exists.
cat >"$T/faults.json" <<EOF
[{"call":1,"kind":"blocked"},
 {"method":"sendMessage","kind":"html502","while_exists":"$T/down"}]
EOF
start_faketg --token "$TOKEN" --faults "$T/faults.json"
SENTRY_WEBHOOK_SECRET=$SECRET SENTRY_ALERT_TELEGRAM_TOKEN=$TOKEN \
SENTRY_ALERT_CHAT_ID=-1001234567890 TELEGRAM_API_URL=$FAKETG_URL
# Short limits for the test: Telegram failing for more than 1 s degrades;
# the pending-age rule is checked below with a receiver of our own.
RECV_ARGS="--failing-after 1 --stale-after 3600"
SEND_ARGS="--retry-delay 0.2 --retries 1000 --max-wait 3600 --pace-chat 0 --pace-group 0 --pace-all 0"
export SENTRY_WEBHOOK_SECRET SENTRY_ALERT_TELEGRAM_TOKEN SENTRY_ALERT_CHAT_ID \
	TELEGRAM_API_URL RECV_ARGS SEND_ARGS
start_relay
BASE=http://127.0.0.1:$RELAY_PORT

# Two distinct alerts (the throttle would hold back a repeat), signed.
python3 - "$PAYLOADS/event_alert.triggered.json" "$T" "$SECRET" <<'PY'
import hashlib, hmac, json, sys
src, out, secret = sys.argv[1], sys.argv[2], sys.argv[3].encode()
for i in (1, 2):
    p = json.load(open(src))
    ev = p["data"]["event"]
    ev["issue_id"] = str(7100000 + i)
    ev["event_id"] = "%032x" % (0xbe000 + i)
    ev["title"] = "ReferenceError: health-marker-%d" % i
    body = json.dumps(p, separators=(",", ":"), ensure_ascii=True).encode()
    open("%s/alert%d" % (out, i), "wb").write(body)
    open("%s/alert%d.sig" % (out, i), "w").write(hmac.new(secret, body, hashlib.sha256).hexdigest())
PY

health() { curl -s -o "$T/h" -w '%{http_code}' "$BASE/healthz"; }
health_is() { [ "$(health)" = "$1" ]; }
metrics() { curl -s -D "$T/m.head" -o "$T/m" "$BASE/metrics"; }
metric() { awk -v n="$1" '$1 == n { print $2 }' "$T/m"; }
metric_is() { metrics; [ "$(metric "$1")" = "$2" ]; }

# --- a dead letter, and refusals: still ok ------------------------------
code=$(post "$RELAY_URL" event_alert "$T/alert1" "$(cat "$T/alert1.sig")")
[ "$code" = 202 ] || fail "first alert: status $code"
wait_for 20 metric_is sentry_tg_dead_letters_total 1 ||
	fail "no dead letter counted: $(cat "$T/m") $(tail -3 "$T/relay.err")"
code=$(post "$RELAY_URL" event_alert "$T/alert1" "0000$(cut -c5- "$T/alert1.sig")")
[ "$code" = 401 ] || fail "badly signed: status $code"
code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/nowhere")
[ "$code" = 404 ] || fail "another path: status $code"
wait_for 10 health_is 200 || fail "healthz: $(cat "$T/h")"
jq -e '.status == "ok" and .dead_letters == 1 and .records_behind == 0 and
	.telegram_failing_since == null and .last_delivery == null and
	(has("why") | not)' "$T/h" >/dev/null || fail "healthz after a dead letter: $(cat "$T/h")"
pass "a dead letter and two refusals: 200 ok, the dead letter counted"

# --- Telegram down: degraded, with the reasons ---------------------------
touch "$T/down"
t_down=$(date +%s)
code=$(post "$RELAY_URL" event_alert "$T/alert2" "$(cat "$T/alert2.sig")")
[ "$code" = 202 ] || fail "second alert: status $code"
id2=$(jq -r .id "$T/post.out")
wait_for 30 health_is 503 || fail "healthz never degraded: $(cat "$T/h")"
jq -e --argjson t0 "$t_down" '.telegram_failing_since as $since |
	.status == "degraded" and .records_behind == 1 and .dead_letters == 1 and
	($since | type) == "string" and
	($since | sub("\\.[0-9]+Z$"; "Z") | fromdateiso8601) >= $t0 - 1 and
	(.why | length) == 2 and
	(.why[0] | test("^Telegram failing since " + $since + ", [0-9]+ s \\(more than 1 s\\)$")) and
	.why[1] == "1 dead letter"' "$T/h" >/dev/null ||
	fail "degraded, but not saying why: $(cat "$T/h")"
pass "Telegram failing: 503 degraded, since when, and the dead letter"
metrics
[ "$(metric sentry_tg_healthy)" = 0 ] && [ "$(metric sentry_tg_records_pending)" = 1 ] ||
	fail "metrics while degraded: $(cat "$T/m")"
# the pending-age rule, asked of a receiver of our own (inetd mode, the
# same spool) once the record is a second old
wait_for 10 sh -c "[ \$(curl -s $BASE/metrics | awk '\$1 == \"sentry_tg_oldest_pending_seconds\" { print \$2 }') -ge 1 ]" ||
	fail "the oldest pending record does not age"
printf 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n' |
	sentry-recv -s "$T/spool" --stale-after 0.5 --failing-after 3600 | tail -1 >"$T/h2"
jq -e '.status == "degraded" and (.why | length) == 2 and
	(.why[0] | test("^1 record pending, the oldest received [0-9]+ s ago \\(more than 0.5 s\\)$")) and
	.oldest_pending_seconds >= 1' "$T/h2" >/dev/null ||
	fail "the pending-age rule: $(cat "$T/h2")"
pass "records pending too long: degraded, with the oldest record's age"

# --- the backlog, read-only, while the chain holds follow.lock ----------
flock -n "$T/spool/follow.lock" true && fail "test bug: the chain does not hold follow.lock"
t0=$(date +%s)
timeout 10 sentry-recv -F "$T/spool" --once >"$T/backlog" 2>"$T/backlog.err"
rc=$?
[ "$rc" = 0 ] || fail "--once while the chain runs: status $rc $(cat "$T/backlog.err")"
[ $(( $(date +%s) - t0 )) -le 2 ] || fail "--once waited"
[ "$(jq -r .id "$T/backlog")" = "$id2" ] || fail "--once: not the pending record: $(cut -c1-200 "$T/backlog")"
[ -s "$T/backlog.err" ] && fail "--once said: $(cat "$T/backlog.err")"
pass "--once shows the one pending record at once, the chain running"

# --- Telegram back: ok again ---------------------------------------------
rm "$T/down"
wait_for 30 health_is 200 || fail "healthz did not recover: $(cat "$T/h")"
wait_for 10 metric_is sentry_tg_messages_sent_total 1 || fail "sent: $(cat "$T/m")"
health >/dev/null
jq -e '.status == "ok" and .records_behind == 0 and .oldest_pending_seconds == 0 and
	.telegram_failing_since == null and (.last_delivery | type) == "string" and
	.dead_letters == 1' "$T/h" >/dev/null || fail "healthz after recovery: $(cat "$T/h")"
pass "Telegram back: 200 ok, last delivery set, nothing failing"

# --- every metric, exactly -----------------------------------------------
metrics
grep -qi '^content-type: text/plain; version=0.0.4' "$T/m.head" ||
	fail "metrics Content-Type: $(cat "$T/m.head")"
n502=$(jq -s '[.[] | select(.fault == "html502")] | length' "$FAKETG_LOG")
[ "$n502" -ge 1 ] || fail "test bug: no 502 was answered"
cat >"$T/want" <<EOF
sentry_tg_webhooks_accepted_total 2
sentry_tg_webhooks_rejected_total{reason="unauthorized"} 1
sentry_tg_webhooks_rejected_total{reason="bad_request"} 1
sentry_tg_webhooks_rejected_total{reason="unavailable"} 0
sentry_tg_webhooks_rejected_total{reason="evicted"} 0
sentry_tg_messages_sent_total 1
sentry_tg_dead_letters_total 1
sentry_tg_telegram_errors_total{code="403"} 1
sentry_tg_telegram_errors_total{code="502"} $n502
sentry_tg_records_pending 0
sentry_tg_oldest_pending_seconds 0
sentry_tg_last_delivery_timestamp_seconds
sentry_tg_healthy 1
EOF
sed 's/^\(sentry_tg_last_delivery_timestamp_seconds\) [0-9]*$/\1/' "$T/m" | grep -v '^#' >"$T/got"
diff -u "$T/want" "$T/got" || fail "metrics differ"
last=$(metric sentry_tg_last_delivery_timestamp_seconds)
[ "$last" -ge "$t_down" ] && [ "$last" -le "$(date +%s)" ] || fail "last delivery at $last"
for name in sentry_tg_webhooks_accepted_total sentry_tg_webhooks_rejected_total \
    sentry_tg_messages_sent_total sentry_tg_dead_letters_total sentry_tg_records_pending \
    sentry_tg_oldest_pending_seconds sentry_tg_telegram_errors_total; do
	grep -q "^# TYPE $name \(counter\|gauge\)$" "$T/m" || fail "no TYPE line for $name"
done
grep -q "$TOKEN\|$SECRET\|$T" "$T/m" "$T/h" && fail "a secret or a path in /metrics or /healthz"
pass "/metrics: every name, exact values ($n502 answers 502), no secret, no path"
