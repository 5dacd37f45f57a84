#!/bin/sh
# The digest goes out on time while no input arrives: sentry-filter's
# stdin stays open (a writer that sleeps), and the digest line must
# appear before that writer ends.  Once with a fixed clock already past
# the period's end, once with the real clock and a 2-second period.
: "${BIN:?BIN must name the build directory}"
PATH="$BIN:$PATH"
tmp=$(mktemp -d) || exit 2
writer= filter=
cleanup() {
	[ -n "$writer" ] && kill "$writer" 2>/dev/null
	[ -n "$filter" ] && kill "$filter" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
fail=0

records() { # records RECEIVED-TIME...: two of issue 1, one sent + one held
	for t in "$@"; do
		printf '{"v":1,"id":"r-%s","received":"%s","alert":{"kind":"event_alert","level":"error","title":"Boom","issue_id":"1","url":"https://sentry.io/issues/1/"}}\n' "$t" "$t"
	done
}

# run NAME ARGS...: feed the records, keep stdin open, wait for a digest
run() {
	name=$1; shift
	mkfifo "$tmp/in.$name"
	( cat "$tmp/records.$name"; exec sleep 20 ) >"$tmp/in.$name" &
	writer=$!
	sentry-filter "$@" <"$tmp/in.$name" >"$tmp/out.$name" 2>"$tmp/err.$name" &
	filter=$!
	i=0
	while [ $i -lt 100 ] && ! grep -qs '"digest"' "$tmp/out.$name"; do
		sleep 0.1; i=$((i + 1))
	done
	if grep -qs '"digest"' "$tmp/out.$name" && kill -0 "$writer" 2>/dev/null; then
		echo "ok - digest-idle: $name: digest out while input stays open"
	else
		echo "not ok - digest-idle: $name: no digest within 10 s"
		sed 's/^/#   /' "$tmp/out.$name" "$tmp/err.$name"
		fail=1
	fi
	total=$(jq -r 'select(.digest) | .digest.total' "$tmp/out.$name")
	if [ "$total" = 1 ]; then echo "ok - digest-idle: $name: total 1"
	else echo "not ok - digest-idle: $name: total '$total'"; fail=1; fi
	# SIGTERM while waiting: state and output kept, status 0
	kill "$filter" 2>/dev/null
	wait "$filter"; rc=$?
	if [ $rc -eq 0 ]; then echo "ok - digest-idle: $name: SIGTERM ends it with status 0"
	else echo "not ok - digest-idle: $name: status $rc after SIGTERM"; fail=1; fi
	kill "$writer" 2>/dev/null
	writer= filter=
}

records 2026-11-29T08:00:00.000Z 2026-11-29T08:00:01.000Z >"$tmp/records.fixed"
SENTRY_TG_NOW=2026-11-29T09:00:00Z run fixed -r critical

now=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
records "$now" "$now" | sed '2s/"r-/"r2-/' >"$tmp/records.real"
(unset SENTRY_TG_NOW; run real -r critical -d 2s; exit $fail) || fail=1
exit $fail
