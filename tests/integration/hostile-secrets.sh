#!/bin/sh
# Secrets never leak: the whole chain (sentry-recv listener and spool,
# sentry-recv -F | sentry-verify | sentry-filter | sentry-fmt | tg-send
# against the fake Bot API) runs verbose with a known webhook secret and
# bot token, through good, badly signed and unsigned webhooks and
# Telegram faults; neither secret (nor the token's secret half) may
# appear in any output stream, log, spool, state, reject or dead-letter
# file.  Spool and state are private to the service user.
. "$(dirname "$0")/common.inc"
. "$(dirname "$0")/hostile.inc"
SECRET=5ecret-0f3e5a7b9c1d2e3f4a5b6c7d8e9f
TOKEN=4242424242:AAH-SeCrEt-HoStIlE-ToKeN-1a2b3c4d
HOOK=/api/sentry-webhook
umask 022	# the tools must make their files private themselves

cat >"$T/faults" <<'JSON'
[{"call": 2, "kind": "drop"},
 {"call": 4, "kind": "html502"},
 {"text_contains": "bad-html-marker", "status": 400,
  "description": "Bad Request: can't parse entities: x"}]
JSON
start_faketg --token "$TOKEN" --faults "$T/faults"

# The receiver, in listener mode, with a spool.
port=$(free_port)
mkdir -m 700 "$T/spool"
sentry-recv -v -l 127.0.0.1:$port -s "$T/spool" >"$T/recv.out" 2>"$T/recv.err" &
PIDS="$PIDS $!"
wait_for 10 curl -s -o /dev/null "http://127.0.0.1:$port/" ||
	fail "sentry-recv did not start: $(cat "$T/recv.err")"
URL=http://127.0.0.1:$port$HOOK

n=0
for p in issue.created error.created event_alert.triggered metric_alert.resolved; do
	wire "$PAYLOADS/$p.json" >"$T/body.$p"
	post "$URL" "${p%%.*}" "$T/body.$p" "$(sign "$SECRET" "$T/body.$p")" >/dev/null
	n=$((n + 1))
done
# Badly signed (one nibble off, and signed with the secret + 1 byte),
# unsigned, a wrong token in the query string (the legacy plugin's):
post "$URL" issue "$T/body.issue.created" "$(sign "$SECRET" "$T/body.issue.created" | sed 's/.$/0/')" >/dev/null
post "$URL" issue "$T/body.issue.created" "$(sign "${SECRET}x" "$T/body.issue.created")" >/dev/null
post "$URL" issue "$T/body.issue.created" "" >/dev/null
post "$URL?token=not-the-secret" issue "$T/body.issue.created" "" >/dev/null

SENTRY_WEBHOOK_SECRET=$SECRET SENTRY_ALERT_TELEGRAM_TOKEN=$TOKEN \
TELEGRAM_API_URL=$FAKETG_URL SENTRY_ALERT_CHAT_ID=-1001 \
	timeout 120 sh -c '
	sentry-recv -v --once -F "$1/spool" 2>"$1/follow.err" |
	sentry-verify -v --rejects "$1/rejects" 2>"$1/verify.err" |
	sentry-filter -v -s "$1/filter.state" -r "all any" 2>"$1/filter.err" |
	sentry-fmt -v 2>"$1/fmt.err" |
	tg-send -v --retry-delay 0.01 -a "$1/spool/acked" -d "$1/dead" \
	    -s "$1/tg.state" >"$1/chain.out" 2>"$1/send.err"' sh "$T"
rc=$?
check "secrets: the chain ran (tg-send status 0 or 1)" test $rc -le 1
sent=$(jq -s '[.[] | select(.sent)] | length' "$T/chain.out")
check "secrets: the signed webhooks were delivered ($sent)" is_status 4 "$sent"
check "secrets: the bad ones were rejected" is_status 4 "$(jq -s length "$T/rejects")"

# What the chain wrote and logged: every file under $T but the fake
# server's own token (it is told the token on its command line).
leaks() { # STRING
	grep -rlF -e "$1" "$T" | grep -v -e '/faults$' -e '/faketg\.' || true
}
check "secrets: webhook secret in no stream or file" same "$T/leak1" "$(leaks "$SECRET" >"$T/leak1")"
check "secrets: bot token in no stream or file" same "$T/leak2" "$(leaks "$TOKEN" >"$T/leak2")"
check "secrets: token's secret half in no stream or file" same "$T/leak3" "$(leaks "${TOKEN#*:}" >"$T/leak3")"
check "secrets: the fake server's log has no token either" sh -c '! grep -qF "$1" "$2"' sh "${TOKEN#*:}" "$FAKETG_LOG"

# Private files: the spool and its journal, the states, the rejects,
# the dead letters, the ack.
find "$T/spool" "$T/filter.state" "$T/tg.state" "$T/rejects" "$T/spool/acked" \
    ${T}/dead -type f ! -perm 600 2>/dev/null >"$T/public"
check "secrets: spool, state, rejects, dead letters and ack are 0600" same "$T/public" ""
hostile_done
