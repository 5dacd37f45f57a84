#!/bin/sh
# tg-send through transient faults: 429 with retry_after, a 502 HTML page,
# a connection dropped after Telegram took the message, a hang past the
# time-out.  Nothing is lost; a record is acknowledged only once sent; when
# the retries run out tg-send exits 111 without acknowledging, and a rerun
# from the acknowledged position delivers the rest.
. "$(dirname "$0")/common.inc"
. "$(dirname "$0")/tg-send.inc"

start_with_faults '[
 {"text_contains":"m429","status":429,"retry_after":2,"times":1},
 {"text_contains":"m502","kind":"html502","times":2},
 {"text_contains":"mdrop","kind":"drop_after_accept","times":1},
 {"text_contains":"mhang","kind":"hang","seconds":30,"times":1},
 {"text_contains":"down","kind":"html502","times":3},
 {"text_contains":"flood","status":429,"retry_after":100},
 {"text_contains":"PART-TWO-MARK","max_text":4096,"kind":"html502","times":3}
]'
{
	record r1 1 101 'm429 first'
	record r2 2 102 'm502 second'
	drop d3 3
	record r4 4 104 'mdrop fourth'
	record r5 5 105 'mhang fifth'
	record r6 6 106 'plain sixth'
} >"$T/in"
tgsend -a "$T/acked" --timeout 1 --retry-delay 0.2 <"$T/in" >"$T/out" 2>"$T/err"
st=$?
[ $st -eq 0 ] || fail "exit status $st: $(cat "$T/err")"
[ "$(cat "$T/acked")" = 6 ] || fail "acked '$(cat "$T/acked")', want 6"
for m in m429 m502 mhang plain; do
	[ "$(delivered $m)" = 1 ] || fail "$m delivered $(delivered $m) times"
done
# The answer to mdrop was lost after Telegram took it: the resend is a
# duplicate (at least once, never lost).
[ "$(delivered mdrop)" = 2 ] || fail "mdrop delivered $(delivered mdrop) times, want 2"
pass "every message delivered (the dropped answer's message twice)"
jq -e -s 'length == 6 and all(has("sent") or has("drop")) and
	(map(.sent.message_id // empty) | length) == 5' "$T/out" >/dev/null ||
	fail "records out: $(cat "$T/out")"
pass "every record written out once"
# The figures (--status: by default "status" beside an ack file named
# acked, where sentry-recv's /healthz and /metrics read them).
figures() { grep -v '^last_success_ms ' "$T/status" | tr '\n' ' '; }
[ "$(figures)" = "v 1 messages_sent 5 dead_letters 0 failing_since_ms 0 telegram_error 429 1 telegram_error 502 2 telegram_error network 1 " ] &&
	grep -q '^last_success_ms [1-9][0-9]*$' "$T/status" || fail "figures: $(cat "$T/status")"
pass "the figures: messages accepted, Telegram's errors by code"
jq -e -s '[.[] | select(.params.text == "m429 first")] |
	length == 2 and .[0].status == 429 and .[1].status == 200 and
	(.[1].t - .[0].t) >= 1.9' "$FAKETG_LOG" >/dev/null ||
	fail "429 not honoured: $(grep m429 "$FAKETG_LOG")"
pass "429: resent only after retry_after"
jq -e -s '[.[] | select(.params.text == "m502 second") | .status] ==
	[502,502,200]' "$FAKETG_LOG" >/dev/null || fail "502 retries wrong"
grep -q 'r2: HTTP 502, not JSON: "502 Bad Gateway": retrying' "$T/err" ||
	fail "no 502 message: $(cat "$T/err")"
grep -qi 'r5: .*timed out.*retrying' "$T/err" || fail "no time-out message: $(cat "$T/err")"
pass "502 HTML and a hang past the time-out retried with a clear message"

# Telegram down past the retries: exit 111, the record not acknowledged
# and not written, what came before it acknowledged.
{
	record r7 7 107 'before the outage'
	drop d8 8
	record r9 9 109 'down ninth'
	record r10 10 110 'after the outage'
} >"$T/in2"
tgsend -a "$T/acked" --retries 2 --retry-delay 0.1 <"$T/in2" >"$T/out2" 2>"$T/err2"
st=$?
[ $st -eq 111 ] || fail "exit status $st, want 111: $(cat "$T/err2")"
[ "$(cat "$T/acked")" = 8 ] || fail "acked '$(cat "$T/acked")', want 8"
jq -e -s 'map(.id) == ["r7","d8"]' "$T/out2" >/dev/null ||
	fail "written: $(cat "$T/out2")"
grep -q 'r9: .*giving up after 3 tries; not acknowledged' "$T/err2" ||
	fail "no give-up message: $(cat "$T/err2")"
[ "$(delivered 'after the outage')" = 0 ] || fail "sent past an undelivered record"
pass "retries exhausted: exit 111, not acknowledged, nothing skipped"
grep -q '^failing_since_ms [1-9][0-9]*$' "$T/status" &&
	grep -q '^telegram_error 502 5$' "$T/status" &&
	grep -q '^messages_sent 6$' "$T/status" || fail "figures after the outage: $(cat "$T/status")"
pass "the figures go on from the file's, and say since when delivery fails"
# The chain restarts from the acknowledged position.
acked=$(cat "$T/acked")
jq -c --argjson a "$acked" 'select(.seq > $a)' "$T/in2" |
	tgsend -a "$T/acked" --retry-delay 0.1 >"$T/out3" 2>"$T/err3" ||
	fail "rerun: $(cat "$T/err3")"
[ "$(cat "$T/acked")" = 10 ] && [ "$(delivered 'down ninth')" = 1 ] &&
	[ "$(delivered 'after the outage')" = 1 ] || fail "rerun did not deliver the rest"
pass "rerun from the acknowledged position delivers the rest"
grep -q '^failing_since_ms 0$' "$T/status" && grep -q '^messages_sent 8$' "$T/status" ||
	fail "figures after the rerun: $(cat "$T/status")"
pass "delivery resumed: failing no more in the figures"

# A flood wait longer than --max-wait: exit 111 at once, not acknowledged.
record r11 11 111 'flood' | tgsend -a "$T/acked" --max-wait 5 >"$T/out4" 2>"$T/err4"
st=$?
[ $st -eq 111 ] && [ "$(cat "$T/acked")" = 10 ] && [ ! -s "$T/out4" ] ||
	fail "flood: status $st, acked $(cat "$T/acked"): $(cat "$T/err4")"
pass "retry_after beyond --max-wait: exit 111, not acknowledged"

# A split message whose second part meets an outage: exit 111; the rerun
# goes on from the second part (the first is not sent twice).
long=$(i=0; while [ $i -lt 300 ]; do
	[ $i = 100 ] && printf 'PART-TWO-MARK\n'
	printf 'line %04d of a long stack trace, padded to be long enough\n' $i
	i=$((i + 1)); done)
record r12 12 112 "$long" >"$T/in5"
tgsend -a "$T/acked" -s "$T/state" --retries 2 --retry-delay 0.1 <"$T/in5" >"$T/out5" 2>"$T/err5"
st=$?
[ $st -eq 111 ] || fail "split outage: exit $st: $(cat "$T/err5")"
jq -e '.partial.id == "r12" and .partial.parts_sent == 1' "$T/state" >/dev/null ||
	fail "progress not kept: $(cat "$T/state")"
tgsend -a "$T/acked" -s "$T/state" <"$T/in5" >"$T/out6" 2>"$T/err6" ||
	fail "split rerun: $(cat "$T/err6")"
grep -q 'r12: parts 1-1 went out before: going on with part 2 of 5' "$T/err6" ||
	fail "no resume message: $(cat "$T/err6")"
jq -e -s '[.[] | select(.delivered and .params.chat_id == "112") | .params.text] |
	length == 5 and (map(split("\n") | length) | add) == 301' "$FAKETG_LOG" >/dev/null ||
	fail "parts delivered: $(jq -c 'select(.params.chat_id == "112") | [.status, .delivered, (.params.text | length)]' "$FAKETG_LOG")"
jq -e '.sent.message_ids | length == 5 and . == (sort | unique)' "$T/out6" >/dev/null || fail "ids: $(cat "$T/out6")"
jq -e 'has("partial") | not' "$T/state" >/dev/null || fail "progress not cleared"
[ "$(cat "$T/acked")" = 12 ] || fail "not acknowledged"
pass "a half-sent split message goes on from where it stopped"

no_leak
