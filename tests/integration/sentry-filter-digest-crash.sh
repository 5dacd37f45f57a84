#!/bin/sh
# Issue #14: a digest has a durable identity.  The chain
#   spool replay | sentry-filter -s | sentry-fmt | tg-send --ack --state
# against the fake Telegram, with a stage killed after sentry-filter wrote
# a digest; then the chain runs again from the acknowledged position, as
# sentry-tg-relay restarts it.  Each digest reaches Telegram exactly once.
#   A: the digest a record closed (b1); tg-send killed while sending it.
#   B: the same, tg-send killed after it sent the digest, before b1.
#   C: a digest written while idle (wall clock); sentry-fmt and tg-send
#      killed before it went out; the chain started twice more.
. "$(dirname "$0")/common.inc"
. "$(dirname "$0")/tg-send.inc"
SENTRY_ALERT_CHAT_ID=-1001; export SENTRY_ALERT_CHAT_ID

# The digests' lines "TITLE ×N" hang (not delivered); so does B's b1.
start_with_faults '[{"text_contains":"A-one \u00d7","kind":"hang","seconds":20,"times":1},
 {"text_contains":"B-two","kind":"hang","seconds":20,"times":1},
 {"text_contains":"C-one \u00d7","kind":"hang","seconds":20,"times":1}]'

# rec ID SEQ RECEIVED TITLE: one verified record.
rec() {
	printf '{"v":1,"id":"%s","seq":%s,"received":"%s","alert":{"kind":"event_alert","level":"error","title":"%s","issue_id":"%s"}}\n' \
		"$1" "$2" "$3" "$4" "$4"
}
acked() { if [ -s "$D/acked" ]; then tr -dc 0-9 <"$D/acked"; else echo 0; fi; }
# The spool reader: every record after the acknowledged position.
REPLAY='jq -c --argjson a "$(if [ -s "$D/acked" ]; then tr -dc 0-9 <"$D/acked"; else echo 0; fi)" "select(.seq > \$a)" "$D/spool"'
# chain [FILTER-ARGS]: the chain in the background, its input from the
# command $FEED; pids in FEEDER FILTER FMT SEND.
chain() {
	rm -f "$D"/p1 "$D"/p2 "$D"/p3
	mkfifo "$D/p1" "$D/p2" "$D/p3"
	D=$D sh -c "$FEED" >"$D/p1" &
	FEEDER=$!
	sentry-filter -s "$D/filter.state" -r critical "$@" <"$D/p1" >"$D/p2" 2>>"$D/filter.err" &
	FILTER=$!
	sentry-fmt <"$D/p2" >"$D/p3" 2>>"$D/fmt.err" &
	FMT=$!
	SENTRY_ALERT_TELEGRAM_TOKEN=$TOKEN TELEGRAM_API_URL=$FAKETG_URL \
		tg-send --ack "$D/acked" --state "$D/tg.state" <"$D/p3" >>"$D/sent" 2>>"$D/send.err" &
	SEND=$!
	PIDS="$PIDS $FEEDER $FILTER $FMT $SEND"
}
finish() { wait "$FEEDER" "$FILTER" "$FMT" "$SEND" 2>/dev/null; }
# both TEXT1 TEXT2: messages delivered whose text holds both.
both() {
	jq -s --arg a "$1" --arg b "$2" '[.[] | select(.delivered and
		((.params.text // "") | contains($a) and contains($b)))] | length' "$FAKETG_LOG"
}
hung() { jq -e -s --arg t "$1" 'any(.[]; .fault == "hang" and ((.params.text // "") | contains($t)))' "$FAKETG_LOG" >/dev/null; }
# closing NAME HOUR ONE TWO: in $T/NAME, a1 and a2 (held) of issue ONE at
# HOUR:00 and HOUR:01, b1 of issue TWO at HOUR+1: b1 closes the hour and
# the digest goes before it.  The wall clock half an hour later; the
# chain started from the spool.
closing() {
	D=$T/$1; mkdir "$D"
	{ rec a1 100 "2026-11-29T$2:00:00.000Z" "$3"; rec a2 200 "2026-11-29T$2:01:00.000Z" "$3"
	  rec b1 300 "2026-11-29T$(($2 + 1)):00:00.000Z" "$4"; } >"$D/spool"
	SENTRY_TG_NOW=2026-11-29T$(($2 + 1)):30:00Z; export SENTRY_TG_NOW
	FEED=$REPLAY
	chain
}

# A: the digest hangs in tg-send, which is killed.
closing a 10 A-one A-two
wait_for 20 hung "A-one ×" || fail "A: the digest never reached tg-send"
kill -9 "$SEND"
finish
[ "$(acked)" -lt 300 ] || fail "A: b1 acknowledged before the digest went out"
chain
finish
[ "$(both 'SENTRY DIGEST' 'A-one')" = 1 ] || fail "A: the digest reached Telegram $(both 'SENTRY DIGEST' 'A-one') times"
[ "$(delivered A-two)" = 1 ] || fail "A: b1 reached Telegram $(delivered A-two) times"
[ "$(acked)" = 300 ] || fail "A: acknowledged $(acked), not 300"
pass "A: tg-send killed while sending the digest: the replay of b1 sends it, once"

# B: tg-send sent the digest, then died on b1: b1's replay writes the
# digest again, tg-send knows its id and sends only b1.
closing b 12 B-one B-two
wait_for 20 hung B-two || fail "B: b1 never reached tg-send"
kill -9 "$SEND"
finish
[ "$(both 'SENTRY DIGEST' 'B-one')" = 1 ] || fail "B: the digest did not go out before the kill"
chain
finish
[ "$(both 'SENTRY DIGEST' 'B-one')" = 1 ] || fail "B: the digest reached Telegram $(both 'SENTRY DIGEST' 'B-one') times"
[ "$(delivered B-two)" = 1 ] || fail "B: b1 reached Telegram $(delivered B-two) times"
[ "$(jq -s '[.[] | select(.sent.already)] | length' "$D/sent")" = 1 ] ||
	fail "B: tg-send did not say it skipped the digest"
pass "B: tg-send killed after the digest, before b1: the digest is not sent twice"

# C: live clock, a 2-second digest period; the digest goes out while the
# input stays open, and hangs in tg-send: sentry-fmt and tg-send are
# killed (sentry-filter stopped as the relay stops it).
D=$T/c; mkdir "$D"
unset SENTRY_TG_NOW
now=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
{ rec c1 100 "$now" C-one; rec c2 200 "$now" C-one; } >"$D/spool"
FEED='jq -c . "$D/spool"; exec sleep 30'
chain -d 2s
wait_for 20 hung "C-one ×" || fail "C: the idle digest never reached tg-send"
kill -9 "$FMT" "$SEND"
kill "$FEEDER" "$FILTER"
finish
[ "$(both 'SENTRY DIGEST' 'C-one')" = 0 ] || fail "C: the digest was delivered before the kill"
FEED=$REPLAY
chain -d 2s
finish
[ "$(both 'SENTRY DIGEST' 'C-one')" = 1 ] || fail "C: after a restart the digest reached Telegram $(both 'SENTRY DIGEST' 'C-one') times"
chain -d 2s
finish
[ "$(both 'SENTRY DIGEST' 'C-one')" = 1 ] || fail "C: after two restarts the digest reached Telegram $(both 'SENTRY DIGEST' 'C-one') times"
[ "$(delivered C-one)" = 2 ] || fail "C: C-one in $(delivered C-one) messages, not 2 (c1, the digest)"
pass "C: sentry-fmt and tg-send killed after an idle digest: sent once, after two restarts"
for f in "$T"/?/filter.err "$T"/?/fmt.err; do
	[ ! -s "$f" ] || fail "diagnostics in $f: $(head -3 "$f")"
done
pass "no diagnostics from sentry-filter and sentry-fmt"
