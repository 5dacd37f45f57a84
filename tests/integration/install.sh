#!/bin/sh
# make install honours PREFIX and DESTDIR and installs every tool, the
# relay and every man page; the pages are lint-clean and render.
. "$(dirname "$0")/common.inc"
make -s -C "$TOP" B="$BIN" install DESTDIR="$T/root" PREFIX=/opt/stg >"$T/make.out" 2>&1 ||
	fail "make install: $(tail -3 "$T/make.out")"
for t in sentry-recv sentry-verify sentry-filter sentry-fmt tg-send sentry-tg-relay; do
	[ -x "$T/root/opt/stg/bin/$t" ] || fail "$t not installed in DESTDIR/PREFIX/bin"
done
pass "tools installed under DESTDIR/PREFIX/bin"
n=0
for m in "$TOP"/man/*.[157]; do
	page=${m##*/} section=${m##*.}
	[ -f "$T/root/opt/stg/share/man/man$section/$page" ] || fail "$page not installed"
	mandoc -Tlint -W warning "$m" >"$T/lint" 2>&1 || fail "$page: $(head -2 "$T/lint")"
	MANWIDTH=80 man -l "$m" >"$T/page" 2>"$T/man.err" || fail "$page does not render"
	grep -q "EXIT STATUS\|DESCRIPTION" "$T/page" || fail "$page rendered empty"
	n=$((n + 1))
done
[ "$n" -ge 8 ] || fail "only $n man pages"
pass "$n man pages installed, lint-clean, rendered"
# Every tool's usage line is its man page's SYNOPSIS (same options).
for t in sentry-recv sentry-verify sentry-filter sentry-fmt tg-send; do
	"$BIN/$t" --help >"$T/help" 2>&1 || fail "$t --help: status $?"
	[ -s "$T/help" ] || fail "$t --help printed nothing"
	"$BIN/$t" --version >"$T/version" 2>&1 || fail "$t --version failed"
	grep -q '[0-9]\.[0-9]' "$T/version" || fail "$t --version: $(cat "$T/version")"
done
pass "--help and --version in every tool"
