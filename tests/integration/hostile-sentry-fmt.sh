#!/bin/sh
# Hostile input for sentry-fmt: records from a broken or hostile earlier
# stage (tests/integration/hostile-records.py) and a hostile template.
# Bad records are refused with their exact message or formatted safely;
# every good record around them is still formatted; every text sent is
# Telegram HTML within 4096 UTF-16 units with no control characters.
. "$(dirname "$0")/common.inc"
. "$(dirname "$0")/hostile.inc"
SENTRY_TG_NOW=2026-11-29T08:30:00Z; export SENTRY_TG_NOW
unset SENTRY_ALERT_CHAT_ID
umask 022	# files that must be private are made so by the tool
python3 "$TOP/tests/integration/hostile-records.py" fmt >"$T/in"

sentry-fmt --rejects "$T/rejects" <"$T/in" >"$T/out" 2>"$T/err"; rc=$?
check "fmt: malformed records: status 1" is_status 1 $rc
check "fmt: malformed records: one exact line per refused record" same "$T/err" \
'sentry-fmt: b-alert-array: "alert" is not an object
sentry-fmt: b-alert-string: "alert" is not an object
sentry-fmt: b-digest-odd: "digest" is not an object'
jq -c . "$T/rejects" | jq -r .id >"$T/rejected" 2>&1
check "fmt: refused records go whole to the reject file" same "$T/rejected" \
'b-alert-array
b-alert-string
b-digest-odd'
check "fmt: the reject file is created 0600 (it holds whole records)" \
    is_status 600 "$(stat -c %a "$T/rejects")"
ids "$T/out" >"$T/ids"
check "fmt: every good record and every formattable bad one emitted in order" same "$T/ids" \
"g1 g2 g3 b-seq-string g4 b-received-bad g5 b-received-num g6 b-kinds g7 b-dup g8 b-utf8 g9 b-deep g10 b-huge-title g11 b-nul g12 b-drop-odd g13 g14 b-route-odd g15 b-huge-numbers g16 b-telegram-string g50"
jq -r 'select(.id | startswith("g")) | select(.telegram.chat_id != "-1001" or (.telegram.text | contains("&lt;b&gt;&amp;") | not)) | .id' "$T/out" >"$T/goodbad"
check "fmt: good records keep their route and escaped title" same "$T/goodbad" ""
controls "$T/out" >"$T/ctl"
check "fmt: no control character reaches a text (\\u0000, ESC)" same "$T/ctl" ""
python3 - "$T/out" >"$T/long" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    t = r.get("telegram")
    if isinstance(t, dict) and len(t["text"].encode("utf-16-le")) // 2 > 4096:
        print(r["id"])
PY
check "fmt: a 4 MiB title still gives a text within 4096 units" same "$T/long" ""
jq -c 'select(.id == "b-dup" or .id == "b-drop-odd") | has("telegram")' "$T/out" >"$T/pass"
check "fmt: an installation (last duplicate key) and an odd drop marker pass untouched" same "$T/pass" \
'false
false'
jq -r 'select(.id == "b-telegram-string" or .id == "b-route-odd") | .telegram | [.method, .chat_id // "-", (.message_thread_id // "-" | tostring)] | join(" ")' "$T/out" >"$T/tg"
check "fmt: a \"telegram\" string is replaced; a numeric chat id is used as text, a bad topic dropped" same "$T/tg" \
'sendMessage 12 -
sendMessage - -'

# A template that does everything wrong with hostile values: its output
# is checked, never sent unchecked.
cat >"$T/bad.jq" <<'JQ'
"<b>" + (.alert.title | tostring) + "</b>"
JQ
python3 - >"$T/in2" <<'PY'
import json
def rec(i, title):
    return json.dumps({"v": 1, "id": i, "alert": {"kind": "issue", "title": title, "level": "error"}}, separators=(",", ":"))
print(rec("t-good", "fine"))
print(rec("t-tag", "<script>x</script>"))
print(rec("t-amp", "a & b"))
print(rec("t-nul", "a\u0000b"))
print(rec("t-good2", "fine again"))
PY
sentry-fmt -T "$T/bad.jq" <"$T/in2" >"$T/out2" 2>"$T/err2"; rc=$?
check "fmt: hostile values through a careless template: status 1" is_status 1 $rc
ids "$T/out2" >"$T/ids2"
check "fmt: careless template: the good records still go out" same "$T/ids2" "t-good t-good2"
check "fmt: careless template: each bad text refused with the exact reason" same "$T/err2" \
'sentry-fmt: t-tag: template output is not Telegram HTML: byte 3: unsupported tag or attribute <script>
sentry-fmt: t-amp: template output is not Telegram HTML: byte 5: "&" not starting a known entity (write &amp;)
sentry-fmt: t-nul: template output is not Telegram HTML: byte 4: control character U+0000'
hostile_done
