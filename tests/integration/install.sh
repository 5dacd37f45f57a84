#!/bin/sh
# make install honours PREFIX and DESTDIR and installs every tool, the
# relay, every man page (lint-clean, rendering), the systemd units with
# the programs' paths for that PREFIX, the sysusers.d and tmpfiles.d
# files, the docs and the examples; make uninstall takes it all away.
. "$(dirname "$0")/common.inc"
. "$(dirname "$0")/install.inc"
# The make that runs this test (make check, dh_auto_test) must not pass its
# flags and command-line variables (PREFIX=, -w ...) to the makes below.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES
R=$T/root P=/opt/stg
make -s --no-print-directory -C "$TOP" B="$BIN" install DESTDIR="$R" PREFIX=$P >"$T/make.out" 2>&1 ||
	fail "make install: $(tail -3 "$T/make.out")"
tools=$(make -s --no-print-directory -C "$TOP" print-TOOLS)
[ -n "$tools" ] || fail "make print-TOOLS: nothing"
for t in $tools sentry-tg-relay; do
	[ -x "$R$P/bin/$t" ] || fail "$t not installed in DESTDIR/PREFIX/bin"
done
pass "tools installed under DESTDIR/PREFIX/bin"
n=0
for m in "$TOP"/man/*.[157]; do
	page=${m##*/} section=${m##*.}
	[ -f "$R$P/share/man/man$section/$page" ] || fail "$page not installed"
	mandoc -Tlint -W warning "$m" >"$T/lint" 2>&1 || fail "$page: $(head -2 "$T/lint")"
	MANWIDTH=80 man -l "$m" >"$T/page" 2>"$T/man.err" || fail "$page does not render"
	grep -q "EXIT STATUS\|DESCRIPTION" "$T/page" || fail "$page rendered empty"
	n=$((n + 1))
done
[ "$n" -ge 9 ] || fail "only $n man pages"
for t in $tools sentry-tg-relay; do
	[ -f "$TOP/man/$t.1" ] || fail "$t has no man page"
done
pass "$n man pages installed, lint-clean, rendered; one for every program"

# The user and the spool: one name everywhere.
user=$(sysusers_user "$R" $P/lib/sysusers.d)
[ -n "$user" ] || fail "sysusers.d/sentry-tg.conf: no user ('u NAME ...') in $P/lib/sysusers.d"
grep -q "^d /var/lib/sentry-tg 0700 $user $user" "$R$P/lib/tmpfiles.d/sentry-tg.conf" ||
	fail "tmpfiles.d/sentry-tg.conf: no 0700 /var/lib/sentry-tg for $user"
pass "sysusers.d names user $user, tmpfiles.d its spool"
# What systemd-sysusers and systemd-tmpfiles make of them, in a root of
# their own (chown needs root).
if [ "$(id -u)" -ne 0 ]; then
	echo "ok - # SKIP systemd-sysusers and systemd-tmpfiles: not root"
elif have_or_skip systemd-sysusers "systemd-sysusers and systemd-tmpfiles"; then
	mkdir -p "$T/sys/etc"
	systemd-sysusers --root="$T/sys" "$R$P/lib/sysusers.d/sentry-tg.conf" >"$T/sys.out" 2>&1 ||
		fail "systemd-sysusers: $(tail -2 "$T/sys.out")"
	pw=$(grep "^$user:" "$T/sys/etc/passwd") || fail "systemd-sysusers created no $user: $(cat "$T/sys.out")"
	case $pw in *:/var/lib/sentry-tg:/usr/sbin/nologin) ;; *) fail "passwd: $pw" ;; esac
	systemd-tmpfiles --root="$T/sys" --create "$R$P/lib/tmpfiles.d/sentry-tg.conf" >"$T/sys.out" 2>&1 ||
		fail "systemd-tmpfiles: $(tail -2 "$T/sys.out")"
	uid=$(echo "$pw" | cut -d: -f3)
	[ "$(stat -c '%a %u' "$T/sys/var/lib/sentry-tg")" = "700 $uid" ] ||
		fail "spool: $(stat -c '%a %u' "$T/sys/var/lib/sentry-tg" 2>&1), want 700 $uid"
	pass "systemd-sysusers creates $user (no shell, home the spool); systemd-tmpfiles its spool, 0700"
fi

check_units "$R" $P/lib/systemd/system $P/bin "$user" >"$T/units" ||
	fail "units: $(head -3 "$T/units")"
# The check must catch a unit that keeps /usr/local/bin.
cp -a "$R" "$T/broken"
sed -i "s|^ExecStart=$P/bin/|ExecStart=/usr/local/bin/|" "$T/broken$P/lib/systemd/system/sentry-tg-chain.service"
check_units "$T/broken" $P/lib/systemd/system $P/bin "$user" >/dev/null &&
	fail "check_units passes a unit that runs /usr/local/bin/sentry-tg-relay"
rm -rf "$T/broken"
pass "units in PREFIX/lib/systemd/system run PREFIX/bin programs as $user"

if have_or_skip systemd-analyze "systemd-analyze verify"; then
	verify_units "$R" $P/lib/systemd/system $P/share/man >"$T/verify" ||
		fail "$(head -3 "$T/verify")"
	pass "systemd-analyze verify: clean"
fi

ex=$R$P/share/doc/sentry-tg/examples
for f in $(make -s --no-print-directory -C "$TOP" print-EXAMPLES); do
	[ -f "$ex/${f##*/}" ] || fail "$f not installed in share/doc/sentry-tg/examples"
	cmp -s "$TOP/$f" "$ex/${f##*/}" || grep -q '@BINDIR@' "$TOP/$f" ||
		fail "$f changed on its way to the examples"
done
[ -x "$ex/socat.sh" ] || fail "examples/socat.sh lost its x bit"
grep -q "^sentry-tg .* $user  *$P/bin/sentry-recv " "$ex/inetd.conf" ||
	fail "inetd.conf: not '$user $P/bin/sentry-recv': $(grep '^sentry-tg' "$ex/inetd.conf")"
check_env "$ex/sentry-tg.env" >"$T/env" || fail "$(head -2 "$T/env")"
for d in README.md NOTES.md LICENSE; do
	[ -f "$R$P/share/doc/sentry-tg/$d" ] || fail "$d not in share/doc/sentry-tg"
done
pass "docs and examples in share/doc/sentry-tg (inetd.conf runs $P/bin/sentry-recv)"

# install-systemd alone, to a unit directory of one's choosing.
make -s --no-print-directory -C "$TOP" B="$BIN" install-systemd DESTDIR="$T/sd" PREFIX=/usr \
	SYSTEMDUNITDIR=/etc/systemd/system >"$T/make.out" 2>&1 ||
	fail "make install-systemd: $(tail -3 "$T/make.out")"
grep -q '^ExecStart=/usr/bin/sentry-tg-relay$' "$T/sd/etc/systemd/system/sentry-tg-chain.service" ||
	fail "install-systemd PREFIX=/usr: $(grep ExecStart "$T/sd/etc/systemd/system/sentry-tg-chain.service")"
[ -f "$T/sd/usr/lib/sysusers.d/sentry-tg.conf" ] || fail "install-systemd: no sysusers.d file"
pass "make install-systemd honours SYSTEMDUNITDIR and DESTDIR"

make -s --no-print-directory -C "$TOP" B="$BIN" uninstall DESTDIR="$R" PREFIX=$P >"$T/make.out" 2>&1 ||
	fail "make uninstall: $(tail -3 "$T/make.out")"
left=$(find "$R" -type f)
[ -z "$left" ] || fail "make uninstall left $(echo "$left" | head -3)"
pass "make uninstall removes every file make install put there"

# Every tool's usage line is its man page's SYNOPSIS (same options).
for t in $tools; do
	"$BIN/$t" --help >"$T/help" 2>&1 || fail "$t --help: status $?"
	[ -s "$T/help" ] || fail "$t --help printed nothing"
	"$BIN/$t" --version >"$T/version" 2>&1 || fail "$t --version failed"
	grep -q '[0-9]\.[0-9]' "$T/version" || fail "$t --version: $(cat "$T/version")"
done
pass "--help and --version in every tool"
