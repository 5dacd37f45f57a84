#!/bin/sh
# Hostile input for sentry-verify: malformed records between stages
# (body not a string, headers not an object, bad base64, NUL bytes,
# invalid UTF-8, arrays, over-long lines, duplicate keys) and signed
# bodies that are valid JSON but hostile (huge numbers, duplicate keys,
# \u0000, 1 MiB strings).  Each bad record is refused with its exact
# message or normalised safely, and every good record around it is
# still emitted, in order.  The good records share one body: retry
# detection (--retry-window) is off here, or they would be duplicates.
. "$(dirname "$0")/common.inc"
. "$(dirname "$0")/hostile.inc"
MK=$TOP/tests/tools/mkrecord
S=0f3e5a7b9c
SENTRY_WEBHOOK_SECRET=$S; export SENTRY_WEBHOOK_SECRET
SENTRY_TG_NOW=2025-11-29T08:30:00Z; export SENTRY_TG_NOW
good() {
	"$MK" --secret $S --resource issue --id "$1" --request-id "rq-$1" \
	    "$PAYLOADS/issue.created.json"
}
signed() { # signed ID FILE (raw body bytes)
	"$MK" --raw --secret $S --resource issue --id "$1" --request-id "rq-$1" "$2"
}

# 1. Records between stages that are not what sentry-recv writes.
{
	good g1
	echo '{"v":1,"id":"b-body-num","body":12345,"headers":{"sentry-hook-resource":"issue"}}'
	good g2
	echo '{"v":1,"id":"b-headers-arr","body":"{}","headers":["sentry-hook-signature"]}'
	good g3
	echo '{"v":1,"id":"b-b64","body_b64":"!!!not base64","headers":{}}'
	good g4
	printf '{"v":1,"id":"b-nul\0x"}\n'
	good g5
	echo '{"v":1,"id":"b-sig-kinds","body":"{}","headers":{"sentry-hook-signature":123,"sentry-hook-resource":["issue"],"sentry-hook-timestamp":1e400}}'
	good g6
	echo '[1,2]'
	good g7
	echo '{"v":1,"id":["not","a","string"],"body":"{}"}'
	good g8
	python3 -c 'print("{\"v\":1,\"id\":\"b-huge\",\"body\":\"" + "A" * (17 << 20) + "\"}")'
	good g9
	echo '{"v":1,"id":"b-adjacent","body":"x" "y"}'
	good g10
} >"$T/in1"
sentry-verify --retry-window 0 <"$T/in1" >"$T/out1" 2>"$T/err1"; rc=$?
check "verify: malformed records: status 1" is_status 1 $rc
jq -c 'select(has("drop") | not)' "$T/out1" >"$T/good1"
ids "$T/good1" >"$T/ids1"
check "verify: malformed records: every good record emitted in order" \
    same "$T/ids1" "g1 g2 g3 g4 g5 g6 g7 g8 g9 g10"
# the ones with an id go on as drop markers, to be acknowledged
jq -c 'select(.drop.stage == "sentry-verify")' "$T/out1" >"$T/drops1"
ids "$T/drops1" >"$T/dropids1"
check "verify: malformed records: a drop marker for each rejected record" \
    same "$T/dropids1" "b-body-num b-headers-arr b-b64 b-sig-kinds -"
check "verify: malformed records: one exact line per bad record" same "$T/err1" \
'sentry-verify: b-body-num: record has no body (peer -)
sentry-verify: b-headers-arr: unsigned request: no Sentry-Hook-Signature and no valid URL token (peer -)
sentry-verify: b-b64: body_b64 is not base64 (peer -)
sentry-verify: line 8: NUL byte in record: {"v":1,"id":"b-nul\x00x"}
sentry-verify: b-sig-kinds: unsigned request: no Sentry-Hook-Signature and no valid URL token (peer -)
sentry-verify: line 12: record is not a JSON object: [1,2]
sentry-verify: -: unsigned request: no Sentry-Hook-Signature and no valid URL token (peer -)
sentry-verify: line 16: line too long: {"v":1,"id":"b-huge","body":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
sentry-verify: line 18: not JSON (Expected separator between values at byte 37): {"v":1,"id":"b-adjacent","body":"x" "y"}'

# 2. Signed bodies: valid JSON, hostile content.
python3 - "$T" <<'PY'
import json, sys
t = sys.argv[1]
def w(name, text):
    open(t + "/" + name, "wb").write(text.encode() if isinstance(text, str) else text)
issue = '{"action":"created","data":{"issue":{"id":%s,"title":%s,"culprit":"c","level":%s,"count":%s,"userCount":%s,"firstSeen":%s,"project":{"slug":%s},"metadata":{"type":"E","value":"v"}}}}'
w("huge-numbers", issue % ('123456789012345678901234567890', '"big"', '"error"', '1e400', '-1e400', '1e308', '"p"'))
w("dup-keys", '{"action":"created","data":{"issue":{"id":"1","title":"first","title":"second","level":"error","project":{"slug":"a"},"project":{"slug":"b"}}},"data":{"issue":{"id":"2","title":"third"}}}')
w("nul-escapes", issue % ('"7"', r'"a\u0000b\u001bc\u202e<b>"', r'"error\u0000"', '"3"', '"4"', '"2019-08-19T21:06:17.677000Z"', r'"p\u0000q"'))
w("wrong-kinds", issue % ('[1]', '{"x":1}', '7', '"many"', 'null', '[]', '["p"]'))
w("long-title", issue % ('"9"', json.dumps("T" * (1 << 20)), '"error"', '1', '1', '"x"', '"p"'))
w("deep-tags", '{"action":"created","data":{"event":{"title":"t","tags":' + '[' * 200 + ']' * 200 + ',"exception":{"values":[{"stacktrace":{"frames":' + '[' * 100 + ']' * 100 + '}}]}}}}')
PY
{
	good h1
	for c in huge-numbers dup-keys nul-escapes wrong-kinds long-title deep-tags; do
		signed "$c" "$T/$c"
		good "after-$c"
	done
} >"$T/in2"
sentry-verify --retry-window 0 <"$T/in2" >"$T/out2" 2>"$T/err2"; rc=$?
check "verify: hostile signed bodies: status 0" is_status 0 $rc
check "verify: hostile signed bodies: nothing on stderr" same "$T/err2" ""
ids "$T/out2" >"$T/ids2"
check "verify: hostile signed bodies: all emitted in order" same "$T/ids2" \
    "h1 huge-numbers after-huge-numbers dup-keys after-dup-keys nul-escapes after-nul-escapes wrong-kinds after-wrong-kinds long-title after-long-title deep-tags after-deep-tags"
jq -r '[.id, (.alert | type)] | @tsv' "$T/out2" | grep -v '	object$' >"$T/noalert"
check "verify: hostile signed bodies: every record has an alert object" same "$T/noalert" ""
# \u0000 inside a JSON string: the view never carries a NUL (C stages
# downstream would cut there); ESC and friends are the formatter's job.
jq -r 'select(.id == "nul-escapes") | [.alert | .. | strings | explode[] | select(. == 0)] | length' "$T/out2" >"$T/nul"
check "verify: \\u0000 in the body: no NUL in the alert view" same "$T/nul" "0"
jq -r 'select(.id == "dup-keys") | .alert.title' "$T/out2" >"$T/dup"
check "verify: duplicate keys: the last one wins, as in every other stage" same "$T/dup" "third"
jq -r 'select(.id == "long-title") | .alert.title | utf8bytelength <= 1032' "$T/out2" >"$T/long"
check "verify: a 1 MiB title is cut to the view's bound" same "$T/long" "true"
jq -r 'select(.id == "huge-numbers" or .id == "wrong-kinds") | [.alert.count, .alert.users, .alert.issue_id] | map(type) | join(",")' "$T/out2" >"$T/kinds"
check "verify: huge numbers and wrong kinds: numbers or absent, never strings or arrays" same "$T/kinds" \
"number,number,null
null,null,null"
hostile_done
