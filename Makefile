# sentry-tg: Sentry webhooks to Telegram, as a chain of small tools.
#
#   make            build the five tools into $(B)/
#   make check      unit tests (Check), golden tool tests, integration tests
#   make install    tools, relay, man pages, systemd units, sysusers.d and
#                   tmpfiles.d files, docs and examples; PREFIX, DESTDIR,
#                   BINDIR, MANDIR, DOCDIR, SYSTEMDUNITDIR ... respected
#   make run        the relay in the foreground on 127.0.0.1:$(PORT)
#   make deb        the Debian package, built from a copy in $(B)/deb
#   make check-package   build it (without its make check) and test it
#
# Each tool is described by cmd/TOOL.mk: its objects and the libraries it
# links (sentry-recv stays libc-only: it is exec'd once per connection).
# Out-of-tree builds: make B=/tmp/build.

VERSION   = 0.1.0
PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
MANDIR   ?= $(PREFIX)/share/man
DOCDIR   ?= $(PREFIX)/share/doc/sentry-tg
EXAMPLESDIR ?= $(DOCDIR)/examples
# systemd, systemd-sysusers and systemd-tmpfiles look in /usr/lib and
# /usr/local/lib alike; for another PREFIX, point these at one of those.
# (Debian 12 packages put units in /lib/systemd/system: debian/rules.)
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR    ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR    ?= $(PREFIX)/lib/tmpfiles.d
B        ?= build

CC       ?= cc
CFLAGS   ?= -O2 -g
WARN      = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wno-unused-parameter -Wformat=2
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -DSENTRY_TG_VERSION='"$(VERSION)"' \
            -Ilib $(WARN) $(CFLAGS) $(CPPFLAGS)
ALL_LDFLAGS = $(LDFLAGS)

# The fragments below define rules of their own: plain `make` is `all`.
.DEFAULT_GOAL := all

TOOLS      =
UNIT_TESTS =
TEST_PROGS =
include $(wildcard cmd/*.mk tests/*/*.mk)

BINS = $(addprefix $(B)/,$(TOOLS))
UNIT_BINS = $(addprefix $(B)/tests/,$(UNIT_TESTS))

all: $(BINS)

$(B)/%.o: %.c lib/*.h Makefile
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# $(1) = tool name; its objects and libraries come from cmd/$(1).mk
define tool_rule
$(B)/$(1): $(addprefix $(B)/,$($(1)_OBJS))
	$$(CC) $$(ALL_CFLAGS) $$(ALL_LDFLAGS) -o $$@ $$^ $($(1)_LIBS) $$(LDLIBS)
endef
$(foreach t,$(TOOLS),$(eval $(call tool_rule,$(t))))

define unit_rule
$(B)/tests/$(1): $(addprefix $(B)/,tests/unit/$(1).o $($(1)_OBJS))
	@mkdir -p $$(@D)
	$$(CC) $$(ALL_CFLAGS) $$(ALL_LDFLAGS) -o $$@ $$^ $($(1)_LIBS) $$(CHECK_LIBS) $$(LDLIBS)
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call unit_rule,$(t))))
CHECK_LIBS = $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lm -lrt -lpthread)

# Tests see the binaries through BIN and the shared payloads through PAYLOADS.
export BIN := $(abspath $(B))
export PAYLOADS ?= $(abspath tests/payloads)

check: all $(UNIT_BINS) $(addprefix $(B)/,$(TEST_PROGS))
	@tests/run-all $(UNIT_BINS)

# make check-TOOL: one tool's unit tests (TOOL_UNIT in cmd/TOOL.mk), its
# golden cases and the integration scripts named TOOL*.sh.  Builds only
# that tool, so the tools can be worked on one at a time.
.SECONDEXPANSION:
check-%: $(B)/% $$(addprefix $(B)/tests/,$$($$*_UNIT)) $(addprefix $(B)/,$(TEST_PROGS))
	@tests/run-all --only $* $(addprefix $(B)/tests/,$($*_UNIT))

# What `make install` puts where.  Units and examples name the installed
# programs as @BINDIR@, replaced here for the chosen PREFIX or BINDIR.
UNITS    = $(wildcard examples/systemd/*.service examples/systemd/*.socket)
EXAMPLES = examples/sentry-tg.env examples/sentry-filter.rules \
           examples/socat.sh examples/inetd.conf
DOCS     = README.md NOTES.md LICENSE
SUBST    = sed -e 's|@BINDIR@|$(BINDIR)|g'

install: install-bin install-man install-systemd install-doc

install-bin: all
	install -d $(DESTDIR)$(BINDIR)
	install -m 755 $(BINS) $(DESTDIR)$(BINDIR)/
	install -m 755 examples/sentry-tg-relay $(DESTDIR)$(BINDIR)/

install-man:
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7
	for m in man/*.[157]; do \
		install -m 644 $$m $(DESTDIR)$(MANDIR)/man$${m##*.}/ || exit; done

# The units, the sentry-tg user (sysusers.d) and the spool (tmpfiles.d).
# Installing them enables nothing: see README.md, "Install on Debian".
install-systemd:
	@mkdir -p $(B)/subst
	install -d $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR)
	for u in $(UNITS); do $(SUBST) $$u >$(B)/subst/$${u##*/} && \
		install -m 644 $(B)/subst/$${u##*/} $(DESTDIR)$(SYSTEMDUNITDIR)/ || exit; done
	install -m 644 examples/systemd/sentry-tg.sysusers $(DESTDIR)$(SYSUSERSDIR)/sentry-tg.conf
	install -m 644 examples/systemd/sentry-tg.tmpfiles $(DESTDIR)$(TMPFILESDIR)/sentry-tg.conf

install-doc:
	@mkdir -p $(B)/subst
	install -d $(DESTDIR)$(DOCDIR) $(DESTDIR)$(EXAMPLESDIR)
	install -m 644 $(DOCS) $(DESTDIR)$(DOCDIR)/
	for e in $(EXAMPLES); do $(SUBST) $$e >$(B)/subst/$${e##*/} && \
		if [ -x $$e ]; then mode=755; else mode=644; fi && \
		install -m $$mode $(B)/subst/$${e##*/} $(DESTDIR)$(EXAMPLESDIR)/ || exit; done

uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(TOOLS) sentry-tg-relay)
	for m in man/*.[157]; do rm -f $(DESTDIR)$(MANDIR)/man$${m##*.}/$${m##*/}; done
	rm -f $(addprefix $(DESTDIR)$(SYSTEMDUNITDIR)/,$(notdir $(UNITS)))
	rm -f $(DESTDIR)$(SYSUSERSDIR)/sentry-tg.conf $(DESTDIR)$(TMPFILESDIR)/sentry-tg.conf
	rm -f $(addprefix $(DESTDIR)$(EXAMPLESDIR)/,$(notdir $(EXAMPLES)))
	rm -f $(addprefix $(DESTDIR)$(DOCDIR)/,$(DOCS))
	-rmdir $(DESTDIR)$(EXAMPLESDIR) $(DESTDIR)$(DOCDIR) 2>/dev/null

PORT  ?= 8001
SPOOL ?= $(abspath $(B))/spool
run: all
	PATH="$(BIN):$$PATH" PORT=$(PORT) SPOOL="$(SPOOL)" examples/sentry-tg-relay

# The Debian package, built by dpkg-buildpackage from a copy of the
# source (the files git knows, committed or not, or the whole tree when
# this is no git checkout), so that its build/ and the ../*.deb it writes
# land in $(DEB_B) and the tree stays clean.  It runs make check unless
# DEB_BUILD_OPTIONS=nocheck.
DEB_B = $(B)/deb
deb:
	rm -rf $(DEB_B) && mkdir -p $(DEB_B)/sentry-tg-$(VERSION)
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
		git ls-files -z --cached --others --exclude-standard; \
	else find . -path ./.git -prune -o -path './$(patsubst $(CURDIR)/%,%,$(abspath $(B)))' \
		-prune -o -type f -print0; \
	fi | xargs -0 sh -c 'for f; do [ -e "$$f" ] && printf "%s\0" "$$f"; done' sh | \
		tar -c --null -T - | tar -x -C $(DEB_B)/sentry-tg-$(VERSION)
	# Nothing of this make may reach the copy's: B=... from the command
	# line would point its make clean at this tree.
	cd $(DEB_B)/sentry-tg-$(VERSION) && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
		-u MAKEOVERRIDES -u B -u BIN -u PAYLOADS dpkg-buildpackage -us -uc -b
	@ls $(DEB_B)/*.deb

# Build the package as `make deb` does, without the make check inside it
# (make check runs on its own), and check the result: tests/package/run.
check-package:
	@tests/package/run

# make -s print-VAR: a variable's value (the tests ask for TOOLS, EXAMPLES).
print-%:
	@echo $($*)

lint-man:
	mandoc -Tlint -W warning man/*.[157]

clean:
	rm -rf $(B)

.PHONY: all check install install-bin install-man install-systemd install-doc \
	uninstall deb check-package run lint-man clean
.SUFFIXES:
