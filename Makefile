# sentry-tg: Sentry webhooks to Telegram, as a chain of small tools.
#
#   make            build the five tools into $(B)/
#   make check      unit tests (Check), golden tool tests, integration tests
#   make install    PREFIX, DESTDIR, BINDIR, MANDIR respected
#   make run        the relay in the foreground on 127.0.0.1:$(PORT)
#
# Each tool is described by cmd/TOOL.mk: its objects and the libraries it
# links (sentry-recv stays libc-only: it is exec'd once per connection).
# Out-of-tree builds: make B=/tmp/build.

VERSION   = 0.1.0
PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
MANDIR   ?= $(PREFIX)/share/man
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

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7
	install -m 755 $(BINS) $(DESTDIR)$(BINDIR)/
	install -m 755 examples/sentry-tg-relay $(DESTDIR)$(BINDIR)/
	for m in man/*.[157]; do \
		install -m 644 $$m $(DESTDIR)$(MANDIR)/man$${m##*.}/; done

uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(TOOLS) sentry-tg-relay)
	for m in man/*.[157]; do rm -f $(DESTDIR)$(MANDIR)/man$${m##*.}/$${m##*/}; done

PORT  ?= 8001
SPOOL ?= $(abspath $(B))/spool
run: all
	PATH="$(BIN):$$PATH" PORT=$(PORT) SPOOL="$(SPOOL)" examples/sentry-tg-relay

lint-man:
	mandoc -Tlint -W warning man/*.[157]

clean:
	rm -rf $(B)

.PHONY: all check install uninstall run lint-man clean
.SUFFIXES:
