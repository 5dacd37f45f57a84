#!/bin/sh
# sentry-fmt on what sentry-verify writes today: every payload is signed
# (tests/tools/mkrecord), verified by the built sentry-verify and
# formatted; each message must pass tests/tghtml_check.py, and the texts
# must be those of the golden snapshot tests/tools/sentry-fmt/
# real-verify-output (if sentry-verify's alert view changed, this fails:
# rerun that case's regen script and review the golden diff).
here=$(cd "$(dirname "$0")/.." && pwd)
: "${BIN:?BIN must name the build directory}"
case_dir=$here/tools/sentry-fmt/real-verify-output
if [ ! -x "$BIN/sentry-verify" ]; then
	echo "ok - skipped: no sentry-verify in $BIN (make B=$BIN sentry-verify)"
	exit 0
fi
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM
fail=0
if ! BIN=$BIN sh "$case_dir/regen" "$tmp/live.ndjson" 2>"$tmp/regen.err"; then
	echo "not ok - regen failed"; head -5 "$tmp/regen.err"; exit 1
fi
n=$(wc -l <"$tmp/live.ndjson")
"$BIN/sentry-fmt" <"$tmp/live.ndjson" >"$tmp/live.out"; st=$?
if [ $st -eq 0 ] && python3 "$here/tghtml_check.py" --all-formatted "$tmp/live.out" >"$tmp/check"; then
	echo "ok - $n verified payloads formatted: $(tail -1 "$tmp/check" | sed 's/^# //')"
else
	echo "not ok - live chain (sentry-fmt status $st)"; head -10 "$tmp/check"; fail=1
fi
"$BIN/sentry-fmt" <"$case_dir/input.ndjson" >"$tmp/snap.out"
jq -c '{id, telegram}' "$tmp/live.out" >"$tmp/a"
jq -c '{id, telegram}' "$tmp/snap.out" >"$tmp/b"
if cmp -s "$tmp/a" "$tmp/b"; then
	echo "ok - messages from live sentry-verify output equal the golden snapshot"
else
	echo "not ok - messages differ from the snapshot (alert view changed?):"
	diff "$tmp/b" "$tmp/a" | head -10 | sed 's/^/#   /'
	fail=1
fi
exit $fail
