#!/bin/sh
# sentry-verify behind the real sentry-recv: the bytes sentry-recv keeps
# are the bytes Sentry signed.  Every payload file goes through an HTTP
# request as Sentry sends it (compact, ASCII only; the legacy plugin with
# its own separators and a URL token), plus bodies with raw UTF-8, with
# control characters, and one that is not UTF-8 (kept as body_b64).
. "$(dirname "$0")/common.inc"
if ! command -v sentry-recv >/dev/null 2>&1; then
	echo "ok - # SKIP sentry-recv is not built in $BIN"
	exit 0
fi
MK=$TOP/tests/tools/mkrecord
SECRET=4c1f0e2d9b8a7f6e5d4c3b2a19087f6e5d4c3b2a19087f6e5d4c3b2a19087f6e

# request BODYFILE RESOURCE [SIGNATURE] [QUERY]: one HTTP request on stdout.
request() {
	python3 - "$@" <<'PY'
import sys, hmac, hashlib
body = open(sys.argv[1], "rb").read()
resource = sys.argv[2]
sig = sys.argv[3] if len(sys.argv) > 3 else ""
query = sys.argv[4] if len(sys.argv) > 4 else ""
path = "/api/sentry-webhook" + ("?" + query if query else "")
head = ["POST %s HTTP/1.1" % path, "Host: relay.example", "Content-Type: application/json",
        "Content-Length: %d" % len(body), "Connection: close"]
if resource:
    head += ["Sentry-Hook-Resource: " + resource, "Request-ID: r-" + hashlib.sha1(body).hexdigest()]
if sig:
    head.append("Sentry-Hook-Signature: " + sig)
sys.stdout.buffer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
PY
}

n=0
for f in "$PAYLOADS"/*.json; do
	b=${f##*/}; b=${b%.json}
	case $b in
	legacy*)
		python3 "$MK" --legacy --body-only "$f" >"$T/body"
		request "$T/body" "" "" "token=$SECRET" ;;
	*)
		python3 "$MK" --body-only "$f" >"$T/body"
		request "$T/body" "${b%%.*}" "$(sign "$SECRET" "$T/body")" ;;
	esac >"$T/req"
	sentry-recv -o "$T/records" <"$T/req" >"$T/resp" 2>>"$T/recv.err" ||
		fail "sentry-recv refused $b: $(head -1 "$T/resp")"
	n=$((n + 1))
done
pass "sentry-recv kept $n payloads"

# Raw UTF-8 (a hand-made client), raw CR, LF and tab between tokens
# (bytes the record must escape and give back exactly), and a body that
# is not UTF-8: all signed correctly.
printf '{"action":"created","data":{"comment":"Привет 👀\\n\\ttab","issue_id":"7"}}' >"$T/utf8"
printf '{"action":"created",\r\n\t"data":{"comment":"\\u0001\\u001f ctl","issue_id":"8"}}\n' >"$T/ctl"
printf '{"action":"created","data":{"comment":"\377 latin-1","issue_id":"9"}}' >"$T/latin1"
for b in utf8 ctl latin1; do
	request "$T/$b" comment "$(sign "$SECRET" "$T/$b")" >"$T/req"
	sentry-recv -o "$T/records" <"$T/req" >"$T/resp" 2>>"$T/recv.err" ||
		fail "sentry-recv refused $b"
done
grep -c body_b64 "$T/records" | grep -qx 1 || fail "expected exactly one body_b64 record"
pass "sentry-recv kept the raw UTF-8, control and latin-1 bodies"

SENTRY_WEBHOOK_SECRET=$SECRET sentry-verify -r "$T/rejects" <"$T/records" >"$T/out" 2>"$T/err"
st=$?
[ $st -eq 1 ] || fail "sentry-verify exit $st, expected 1 (one non-UTF-8 body)"
grep -v '"drop":' "$T/out" >"$T/passed"
[ "$(wc -l <"$T/passed")" -eq $((n + 2)) ] || fail "passed $(wc -l <"$T/passed"), expected $((n + 2)): $(cat "$T/err")"
[ "$(grep -c '"drop":{"stage":"sentry-verify","reason":"rejected","why":"body is not valid UTF-8"}' "$T/out")" -eq 1 ] ||
	fail "the latin-1 record did not go on as a drop marker"
grep -q 'body is not valid UTF-8' "$T/err" || fail "latin-1 body: $(cat "$T/err")"
[ "$(wc -l <"$T/err")" -eq 1 ] || fail "unexpected messages: $(cat "$T/err")"
pass "every payload verified through sentry-recv ($n + 2), the latin-1 body rejected"

jq -e -s 'map(select(.alert.kind == "legacy")) | .[0].verified == "token"' "$T/out" >/dev/null ||
	fail "legacy record not verified by token"
jq -e -s 'map(select(.alert.issue_id == "7")) | .[0].alert.comment == "Привет 👀\n\ttab"' "$T/out" >/dev/null ||
	fail "raw UTF-8 comment changed: $(grep '"7"' "$T/out")"
jq -e -s 'map(select(.alert.issue_id == "8")) | .[0].alert.comment == "\u0001\u001f ctl"' "$T/out" >/dev/null ||
	fail "control characters changed"
jq -e -s '[.[] | select(.alert.kind == "activity_alert")][0].alert.rule | endswith("👀")' "$T/out" >/dev/null ||
	fail "surrogate pair not decoded"
jq -e -s 'all(.[]; has("body") | not) and all(.[]; .payload | type == "object")' "$T/passed" >/dev/null ||
	fail "body left in a record or payload missing"
pass "alert views: token, UTF-8, control characters, emoji"

# The same spool read again (the chain restarting) passes again with the
# replay cache; a second copy of a request under a new record id does not.
SENTRY_WEBHOOK_SECRET=$SECRET sentry-verify -q -c "$T/cache" <"$T/records" >/dev/null
SENTRY_WEBHOOK_SECRET=$SECRET sentry-verify -q -c "$T/cache" <"$T/records" >"$T/out2"
[ "$(grep -vc '"drop":' "$T/out2")" -eq $((n + 2)) ] || fail "redelivery after a restart was rejected"
head -1 "$T/records" | jq -c '.id = "another-id"' |
	SENTRY_WEBHOOK_SECRET=$SECRET sentry-verify -c "$T/cache" >"$T/out3" 2>"$T/err3"
[ $? -eq 1 ] && jq -e '.id == "another-id" and .drop.reason == "rejected"' "$T/out3" >/dev/null &&
	grep -q 'replayed Request-ID' "$T/err3" ||
	fail "replay under a new record id passed: $(cat "$T/err3")"
pass "redelivery passes after a restart, a replay does not"
