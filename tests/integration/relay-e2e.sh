#!/bin/sh
# End to end through `make run`'s wiring (examples/sentry-tg-relay): a
# signed event_alert posted with curl reaches the fake Telegram server as
# exactly the expected message; a badly signed one is refused at the door
# (401: the receiver has the secret too) and never reaches Telegram; with
# no token the relay is a dry run that prints the message.
. "$(dirname "$0")/common.inc"
here=$(cd "$(dirname "$0")" && pwd)
SECRET=e2e-webhook-secret TOKEN=123456:E2E-TOKEN-abcdef

start_faketg --token "$TOKEN"
SENTRY_WEBHOOK_SECRET=$SECRET SENTRY_ALERT_TELEGRAM_TOKEN=$TOKEN \
SENTRY_ALERT_CHAT_ID=-1001234567890 TELEGRAM_API_URL=$FAKETG_URL
export SENTRY_WEBHOOK_SECRET SENTRY_ALERT_TELEGRAM_TOKEN SENTRY_ALERT_CHAT_ID TELEGRAM_API_URL
start_relay

wire "$PAYLOADS/event_alert.triggered.json" >"$T/good"
code=$(post "$RELAY_URL" event_alert "$T/good" "$(sign "$SECRET" "$T/good")")
[ "$code" = 202 ] || fail "signed webhook: status $code, expected 202"
pass "signed webhook accepted (202)"
wait_for 15 sent_at_least 1 || fail "no message arrived: $(tail -5 "$T/relay.err")"
python3 - "$FAKETG_LOG" >"$T/got" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    call = json.loads(line)
    if call["method"] == "sendMessage" and call["status"] == 200:
        p = call["params"]
        print("chat_id:", p["chat_id"])
        print("parse_mode:", p["parse_mode"], "silent:", p["disable_notification"],
              "preview_disabled:", p["link_preview_options"]["is_disabled"])
        print("button:", json.dumps(p["reply_markup"], ensure_ascii=False))
        print(p["text"])
PY
diff -u "$here/relay-e2e.expected" "$T/got" || fail "the message differs from relay-e2e.expected"
pass "the exact message arrived at the fake Telegram"

# Wrong signatures: one nibble off, and another body's signature.  The
# receiver refuses both at the door; nothing of them is kept.
good_sig=$(sign "$SECRET" "$T/good")
nibble_off=$(printf '%s' "$good_sig" | sed 's/.$//')$(printf '%s' "$good_sig" | tail -c 1 | tr '0-9a-f' '123456789abcdef0')
[ ${#nibble_off} -eq 64 ] && [ "$nibble_off" != "$good_sig" ] || fail "test bug: signature unchanged"
code=$(post "$RELAY_URL" event_alert "$T/good" "$nibble_off")
[ "$code" = 401 ] || fail "badly signed webhook: status $code, expected 401"
grep -q 'does not match' "$T/post.out" || fail "the 401 does not say why: $(cat "$T/post.out")"
wire "$PAYLOADS/issue.created.json" >"$T/bad"
code=$(post "$RELAY_URL" issue "$T/bad" "$good_sig")
[ "$code" = 401 ] || fail "badly signed webhook: status $code, expected 401"
grep -q 'sentry-verify:.*does not match' "$T/relay.err" &&
	fail "a refused webhook was journalled: sentry-verify saw it"
sleep 1
[ "$(sent_count)" -eq 1 ] || fail "a badly signed webhook reached Telegram"
grep -q "$TOKEN" "$T/relay.err" "$T/relay.out" "$T"/spool/*.ndjson "$T"/spool/*state* 2>/dev/null &&
	fail "the bot token appears in a log or a file"
grep -q "$SECRET" "$T/relay.err" "$T/relay.out" 2>/dev/null && fail "the webhook secret appears in a log"
pass "badly signed webhook rejected, nothing sent, no secret printed"

# Dry run: no token, the message is printed by tg-send instead.
kill -TERM "$RELAY_PID"; wait "$RELAY_PID" 2>/dev/null
unset SENTRY_ALERT_TELEGRAM_TOKEN
SPOOL=$T/spool-dry start_relay
code=$(post "$RELAY_URL" event_alert "$T/good" "$(sign "$SECRET" "$T/good")")
[ "$code" = 202 ] || fail "dry run: status $code"
wait_for 15 grep -q 'heck is not defined' "$T/relay.err" || fail "dry run printed no message"
grep -q 'dry run' "$T/relay.err" || fail "dry run not announced"
[ "$(sent_count)" -eq 1 ] || fail "the dry run sent something"
pass "dry run prints the message and sends nothing"
