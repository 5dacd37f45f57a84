#!/bin/sh
# The payload kinds of issue 14 through the whole relay (sentry-recv,
# spool, sentry-verify | sentry-filter | sentry-fmt | tg-send) to the fake
# Telegram, signed as Sentry signs them: metric_alert "open", Seer
# iteration_started/iteration_completed and the first-documented
# root-cause shape, preprod_artifact size analysis and build
# distribution.  With the default rules only the metric alert's opening
# is messaged and everything is acknowledged; with a rules file that opts
# in, each arrives with its own layout, as Telegram accepts it.
. "$(dirname "$0")/common.inc"
SECRET=new-kinds-secret TOKEN=123456:NEW-KINDS-token
KINDS="metric_alert.open seer.iteration_started seer.iteration_completed
seer.root_cause_completed.earlier-docs preprod_artifact.size_analysis_completed
preprod_artifact.build_distribution_completed"

start_faketg --token "$TOKEN"
SENTRY_WEBHOOK_SECRET=$SECRET SENTRY_ALERT_TELEGRAM_TOKEN=$TOKEN
SENTRY_ALERT_CHAT_ID=-1001234567890 TELEGRAM_API_URL=$FAKETG_URL
export SENTRY_WEBHOOK_SECRET SENTRY_ALERT_TELEGRAM_TOKEN SENTRY_ALERT_CHAT_ID TELEGRAM_API_URL

# post_all: every payload above, signed; each must get 202.
post_all() {
	for k in $KINDS; do
		wire "$PAYLOADS/$k.json" >"$T/body"
		code=$(post "$RELAY_URL" "${k%%.*}" "$T/body" "$(sign "$SECRET" "$T/body")")
		[ "$code" = 202 ] || fail "$k: status $code, expected 202"
	done
}

# caught_up: the chain has acknowledged everything the receiver kept.
caught_up() {
	curl -sf "${RELAY_URL%/api/sentry-webhook}/healthz" |
		jq -e '.records_behind == 0 and .journal_end > 0' >/dev/null
}

# texts: the texts Telegram accepted, one JSON string per line.
texts() { jq -c 'select(.method == "sendMessage" and .status == 200) | .params.text' "$FAKETG_LOG"; }

start_relay
post_all
wait_for 30 caught_up || fail "the chain did not acknowledge all 6: $(tail -5 "$T/relay.err")"
sleep 1
[ "$(sent_count)" -eq 1 ] || fail "default rules sent $(sent_count) messages, expected 1: $(texts)"
texts | grep -q 'METRIC ALERT OPENED' || fail "the metric alert's opening is not the message: $(texts)"
pass "default rules: metric_alert.open messaged; Seer iterations and build notices acknowledged, not sent"

kill -TERM "$RELAY_PID"; wait "$RELAY_PID" 2>/dev/null
cat >"$T/rules" <<'RULES'
rule metric
rule builds kind=preprod_artifact
# Seer updates are about an issue: without throttle=off the issue's
# 5-minute window would hold back every update after the first
rule seer   when kind=seer action=iteration_started,iteration_completed,root_cause_completed \
            route throttle=off
RULES
RULES=$T/rules SPOOL=$T/spool2 start_relay
post_all
wait_for 60 sent_at_least 7 || fail "expected 7 messages in all, got $(sent_count): $(tail -5 "$T/relay.err")"
wait_for 30 caught_up || fail "the chain did not acknowledge all 6 the second time"
texts >"$T/texts"
for want in 'SEER: ITERATION STARTED' 'Iteration: 2' \
    'SEER: ITERATION COMPLETED' 'owner/repo#123</a>' 'Changes: 1 file, +4 -0' \
    'SEER: ROOT CAUSE COMPLETED' 'Reasoning:' \
    'BUILD SIZE ANALYSIS' 'Main app: 16.3 MB download (+12.4 MB)' \
    'BUILD READY TO INSTALL' 'download the build</a>' \
    'explore/build/72/size/?project=my-project'; do
	grep -qF -- "$want" "$T/texts" || fail "no message contains '$want': $(cat "$T/texts")"
done
[ "$(sent_count)" -eq 7 ] || fail "expected 7 messages, got $(sent_count)"
pass "opted in: each new kind arrives with its own layout, and Telegram accepts it"
jq -e -s '[.[] | select(.method == "sendMessage" and .status == 200) |
	select(.params.text | contains("BUILD")) | .params.reply_markup.inline_keyboard[0][0].url] |
	length == 2 and all(startswith("https://sentry.io/organizations/my-org/explore/build/"))' \
	"$FAKETG_LOG" >/dev/null || fail "build notices lack their Sentry button"
pass "build notices carry an Open in Sentry button to the build"
