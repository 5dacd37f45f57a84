#!/bin/sh
# Hostile input for tg-send: "telegram" of the wrong kinds, method names
# that would change the URL, texts too long or not Telegram HTML, NUL
# bytes, odd seqs.  Bad records are failed for good (reason bad_record,
# dead-lettered) with one exact line each; every good record around them
# is sent; the ack only moves forward and ends on the last seq; the ack
# and dead-letter files are private.
. "$(dirname "$0")/common.inc"
. "$(dirname "$0")/hostile.inc"
. "$(dirname "$0")/tg-send.inc"
unset SENTRY_ALERT_CHAT_ID
start_faketg --token "$TOKEN"
python3 - >"$T/in" <<'PY'
import json
def out(o):
    print(json.dumps(o, separators=(",", ":")))
def tg(i, seq, **kw):
    t = {"method": "sendMessage", "chat_id": "111", "text": "good %s" % i,
         "parse_mode": "HTML"}
    t.update(kw)
    return {"v": 1, "id": i, "seq": seq, "telegram": t}
out(tg("g1", 1))
print('{"v":1,"id":"b-tg-string","seq":2,"telegram":"x"}')
out(tg("g2", 3))
print('{"v":1,"id":"b-tg-array","seq":4,"telegram":[1]}')
out(tg("g3", 5))
out(tg("b-text-num", 6, text=12345))
out(tg("g4", 7))
out(tg("b-no-text", 8, text=None))
out(tg("g5", 9))
out(tg("b-chat-array", 10, chat_id=["111"]))
out(tg("g6", 11))
out(tg("b-method-path", 12, method="../../botX/getMe"))
out(tg("g7", 13))
out(tg("b-method-query", 14, method="sendMessage?chat_id=1#"))
out(tg("g8", 15))
print('{"v":1,"id":"b-seq-string","seq":"17","telegram":{"method":"sendMessage","chat_id":"111","text":"seq string"}}')
out(tg("g9", 18))
print('{"v":1,"id":"b-seq-huge","seq":1e400,"telegram":{"method":"sendMessage","chat_id":"111","text":"seq huge"}}')
out(tg("g10", 19))
out(tg("b-huge-text", 20, text="A" * 20000))
out(tg("g11", 21))
out(tg("b-bad-html", 22, text="<b>unclosed & <script>"))
out(tg("g12", 23))
print('{"v":1,"id":"b-seq-neg","seq":-5,"telegram":{"method":"sendMessage","chat_id":"111","text":"seq neg"}}')
out(tg("g13", 25))
out(tg("g50", 50))
PY
tgsend -c 222 -a "$T/acked" -d "$T/dead" --retry-delay 0.01 <"$T/in" >"$T/out" 2>"$T/err"; rc=$?
check "tg-send: hostile records: status 1" is_status 1 $rc
check "tg-send: hostile records: one exact line per bad record" same "$T/err" \
'tg-send: b-tg-string: "telegram" is not an object
tg-send: b-tg-array: "telegram" is not an object
tg-send: b-text-num: telegram.text is missing or not a string
tg-send: b-no-text: telegram.text is missing or not a string
tg-send: b-method-path: telegram.method is not a Bot API method name
tg-send: b-method-query: telegram.method is not a Bot API method name
tg-send: b-huge-text: message too long for Telegram: sending it in 5 parts
tg-send: b-bad-html: Telegram cannot parse the HTML (Bad Request: can'"'"'t parse entities: Unsupported start tag "script" at byte offset 14): sending it as plain text'
ids "$T/out" >"$T/ids"
check "tg-send: hostile records: every record out, in order" same "$T/ids" \
"g1 b-tg-string g2 b-tg-array g3 b-text-num g4 b-no-text g5 b-chat-array g6 b-method-path g7 b-method-query g8 b-seq-string g9 b-seq-huge g10 b-huge-text g11 b-bad-html g12 b-seq-neg g13 g50"
jq -r 'select(.id | startswith("g")) | select(.sent.chat_id != "111") | .id' "$T/out" >"$T/g"
check "tg-send: every good record sent" same "$T/g" ""
jq -r 'select(.failed) | "\(.id) \(.failed.reason)"' "$T/out" >"$T/failed"
check "tg-send: bad records failed for good as bad_record" same "$T/failed" \
'b-tg-string bad_record
b-tg-array bad_record
b-text-num bad_record
b-no-text bad_record
b-method-path bad_record
b-method-query bad_record'
jq -r .id "$T/dead" >"$T/deadids"
check "tg-send: bad records dead-lettered whole" same "$T/deadids" \
'b-tg-string
b-tg-array
b-text-num
b-no-text
b-method-path
b-method-query'
jq -r 'select(.method != "sendMessage") | .method' "$FAKETG_LOG" >"$T/methods"
check "tg-send: no method name from a record reached the URL" same "$T/methods" ""
check "tg-send: the ack ends on the last seq (odd seqs never move it)" same "$T/acked" "50"
check "tg-send: ack file is 0600" is_status 600 "$(stat -c %a "$T/acked")"
check "tg-send: dead-letter file is 0600" is_status 600 "$(stat -c %a "$T/dead")"
jq -r 'select(.id == "b-huge-text") | .sent.message_ids | length' "$T/out" >"$T/parts"
check "tg-send: a 20000-character text goes out in parts" same "$T/parts" "5"
check "tg-send: the token is in no file written" sh -c '! grep -rqF "$1" "$2"' sh "${TOKEN#*:}" "$T"
hostile_done
