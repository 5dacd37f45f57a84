#!/bin/sh
# tg-send's transport: TLS peers are verified (a certificate from an
# unknown CA is refused, one from --ca-file accepted), proxies come from
# --proxy or libcurl's environment variables (http_proxy, no_proxy).
. "$(dirname "$0")/common.inc"
. "$(dirname "$0")/tg-send.inc"

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 -keyout "$T/key.pem" \
	-out "$T/cert.pem" 2>/dev/null || fail "openssl could not make a certificate"
start_faketg --token "$TOKEN" --tls-cert "$T/cert.pem" --tls-key "$T/key.pem"
HTTPS_URL=https://127.0.0.1:$(cat "$T/faketg.port")

record r1 1 101 'over tls' >"$T/in"
tgsend -u "$HTTPS_URL" -r 1 --retry-delay 0.1 -a "$T/acked" <"$T/in" >"$T/out" 2>"$T/err"
st=$?
[ $st -eq 111 ] || fail "unknown CA: exit $st, want 111"
grep -qi 'certificate' "$T/err" || fail "unknown CA: no certificate message: $(cat "$T/err")"
# (the ack file is made at start, holding 0: tg-send checks it can write it)
[ ! -s "$T/out" ] && [ "$(cat "$T/acked")" = 0 ] || fail "unknown CA: something written or acknowledged"
[ "$(sent_count)" = 0 ] || fail "unknown CA: the request went through"
pass "TLS: a certificate from an unknown CA is refused (exit 111, nothing acknowledged)"
tgsend -u "$HTTPS_URL" --ca-file "$T/cert.pem" -a "$T/acked" <"$T/in" >"$T/out" 2>"$T/err" ||
	fail "with --ca-file: $(cat "$T/err")"
[ "$(delivered 'over tls')" = 1 ] && [ "$(cat "$T/acked")" = 1 ] || fail "with --ca-file: not sent"
pass "TLS: --ca-file's CA accepted"

# A second fake server stands in for an HTTP proxy: it serves requests
# whose target is an absolute URL and logs them as proxied.
python3 "$TOP/tests/faketg.py" --port-file "$T/proxy.port" --log "$T/proxy.log" \
	--token "$TOKEN" 2>"$T/proxy.err" &
PIDS="$PIDS $!"
wait_for 10 test -s "$T/proxy.port" || fail "proxy did not start"
PROXY=http://127.0.0.1:$(cat "$T/proxy.port")
proxied() { jq -s --arg t "$1" '[.[] | select(.proxied and .delivered and .params.text == $t)] | length' "$T/proxy.log"; }

record r2 2 102 'via --proxy' | tgsend -u http://api.telegram.invalid -x "$PROXY" \
	>"$T/out" 2>"$T/err" || fail "--proxy: $(cat "$T/err")"
[ "$(proxied 'via --proxy')" = 1 ] || fail "--proxy: not through the proxy"
record r3 3 103 'via http_proxy' | http_proxy=$PROXY tgsend -u http://api.telegram.invalid \
	>"$T/out" 2>"$T/err" || fail "http_proxy: $(cat "$T/err")"
[ "$(proxied 'via http_proxy')" = 1 ] || fail "http_proxy: not through the proxy"
record r4 4 104 'no_proxy' | no_proxy=api.telegram.invalid http_proxy=$PROXY \
	tgsend -u http://api.telegram.invalid -r 0 >"$T/out" 2>"$T/err"
st=$?
[ $st -eq 111 ] && [ "$(proxied 'no_proxy')" = 0 ] || fail "no_proxy not honoured (exit $st)"
grep -q 'travels unencrypted' "$T/err" || fail "no warning about plain http"
pass "proxies: --proxy, http_proxy and no_proxy honoured"
no_leak
