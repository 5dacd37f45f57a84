#!/bin/sh
# tg-send against the fake Bot API: records sent over one kept-alive
# connection, drop markers passed and acknowledged, the chat fallbacks,
# the helper modes, and the token nowhere in what it writes.
. "$(dirname "$0")/common.inc"
. "$(dirname "$0")/tg-send.inc"

start_faketg --token "$TOKEN"
{
	record r1 1 111 '<b>first</b> &lt;module&gt;'
	drop d2 2
	record r3 3 '' 'to the default chat' '{"chat_id":null}'
	jq -nc '{v:1,id:"r4",seq:4,telegram:{text:"no method, numeric chat",chat_id:-4012345678}}'
	echo '{"v":1,"id":"other","seq":5,"kind":"something new"}'
	drop d6 6
	record r7 7 111 'no seq here' | jq -c 'del(.seq)'
} >"$T/in"
tgsend -a "$T/acked" -c 222 <"$T/in" >"$T/out" 2>"$T/err"
st=$?
[ $st -eq 0 ] || fail "exit status $st: $(cat "$T/err")"
[ "$(cat "$T/acked")" = 6 ] || fail "ack file holds '$(cat "$T/acked")', want 6"
pass "all handled, acknowledged up to the last seq"
[ "$(wc -l <"$T/out")" -eq 7 ] || fail "want 7 records out, got $(wc -l <"$T/out")"
jq -e -s '
	(.[0].sent == {chat_id:"111",message_id:1}) and
	(.[1] | has("sent") | not) and .[1].drop.rule == "noise" and
	(.[2].sent == {chat_id:"222",message_id:2}) and
	(.[3].sent == {chat_id:"-4012345678",message_id:3}) and
	(.[4] == {v:1,id:"other",seq:5,kind:"something new"}) and
	(.[6].sent.message_id == 4)' "$T/out" >/dev/null ||
	fail "records out: $(cat "$T/out")"
pass "sent records carry chat and message id; others pass through untouched"
jq -e -s 'length == 4 and all(.status == 200 and .token_ok) and
	(map(.conn) | unique | length) == 1 and
	.[0].params == {chat_id:"111",text:"<b>first</b> &lt;module&gt;",
	  parse_mode:"HTML",link_preview_options:{is_disabled:true},
	  disable_notification:false}' "$FAKETG_LOG" >/dev/null ||
	fail "fake server saw: $(cat "$FAKETG_LOG")"
pass "four sendMessage calls over one connection, body without method"

# A drop marker is acknowledged as soon as the input would block, not
# only at the end of the input.
mkfifo "$T/fifo"
tgsend -a "$T/acked" <"$T/fifo" >"$T/out5" 2>"$T/err5" &
sender=$!
exec 7>"$T/fifo"
drop d20 20 >&7
wait_for 10 grep -qx 20 "$T/acked" || fail "drop marker not acknowledged while waiting for input"
record r21 21 111 'after the wait' >&7
exec 7>&-
wait $sender || fail "run with a FIFO: $(cat "$T/err5")"
[ "$(cat "$T/acked")" = 21 ] || fail "acked $(cat "$T/acked"), want 21"
pass "drop markers acknowledged when the input would block"

tgsend --get-me >"$T/me" 2>"$T/me.err" || fail "--get-me: $(cat "$T/me.err")"
grep -q '^@sentry_tg_test_bot ' "$T/me" || fail "--get-me printed: $(cat "$T/me")"
tgsend --get-updates >"$T/updates" 2>"$T/updates.err" ||
	fail "--get-updates: $(cat "$T/updates.err")"
grep -q '^-1001987654321 *supergroup *Alerts (prod)' "$T/updates" &&
	grep -q '^111111111 *private *Anna (@anna_dev)' "$T/updates" ||
	fail "--get-updates printed: $(cat "$T/updates")"
SENTRY_ALERT_CHAT_ID=-1001987654321 tgsend --test-message 'hello from the test' \
	>"$T/test" 2>"$T/test.err" || fail "--test-message: $(cat "$T/test.err")"
[ "$(delivered 'hello from the test')" = 1 ] || fail "test message not delivered"
pass "--get-me, --get-updates and --test-message work"

# The token from a file works the same (the file lives outside $T).
tokfile=$(mktemp); printf '%s\n' "$TOKEN" >"$tokfile"
TELEGRAM_API_URL=$FAKETG_URL tg-send --token-file "$tokfile" --get-me \
	>"$T/me2" 2>&1; st=$?
rm -f "$tokfile"
[ $st -eq 0 ] && grep -q '@sentry_tg_test_bot' "$T/me2" || fail "--token-file: $(cat "$T/me2")"
pass "--token-file"

no_leak
