# Hostile input: the test suite under sanitizers and valgrind, and the
# libFuzzer targets (tests/fuzz/fuzz_NAME.c).  Owner: issue 8.
#
#   make check-asan       build everything with ASan+UBSan into $(SAN_B)
#                         and run the unit tests, every golden case, the
#                         hostile-*.sh scripts and the fuzz replays there
#                         (a few minutes; SAN_FULL=1: every integration
#                         script too, as make check: 15-20 minutes);
#                         any sanitizer report fails the run
#   make check-valgrind   the unit tests and the tools of the golden tests
#                         (and the fuzz replayers) under valgrind
#   make fuzz             every libFuzzer target for FUZZ_SECONDS each;
#                         a crash fails and leaves its input in $(FUZZ_B)
#   make fuzz-NAME        one target;  make fuzz-replay: the corpora and
#                         the crash regressions, no fuzzing (any compiler)
#
# Every run is bounded: SAN_TIMEOUT (600, or 1800 with SAN_FULL=1) and
# VG_TIMEOUT (900) seconds for the suite, FUZZ_SECONDS per target.

SAN_CC      ?= $(shell command -v clang >/dev/null 2>&1 && echo clang || echo gcc)
SAN_B       ?= build-asan
SAN_FLAGS    = -fsanitize=address,undefined -fno-omit-frame-pointer \
               -fno-sanitize-recover=all
SAN_TIMEOUT ?=
VG_TIMEOUT  ?= 900

FUZZ_CC      ?= clang
FUZZ_B       ?= $(B)/fuzz
FUZZ_SECONDS ?= 60
FUZZ_SAN      = -fsanitize=address,undefined -fno-sanitize-recover=all \
                -fno-omit-frame-pointer
FUZZ_CFLAGS   = -std=c11 -D_GNU_SOURCE -DSENTRY_TG_VERSION='"$(VERSION)"' \
                -Ilib $(WARN) -g -O1 $(FUZZ_SAN) -fsanitize=fuzzer-no-link

# A target: its name in FUZZ_TARGETS, the objects it links (besides
# tests/fuzz/fuzz_NAME.o) and its libraries.  Seeds: tests/fuzz/corpus/NAME.
# Inputs that once crashed: tests/fuzz/regress/NAME (replayed, never lost).
FUZZ_TARGETS += ndjson
fuzz_ndjson_OBJS = lib/ndjson.o lib/bytes.o lib/jvx.o lib/diag.o
fuzz_ndjson_LIBS = -ljq
FUZZ_TARGETS += jvx
fuzz_jvx_OBJS = lib/jvx.o lib/bytes.o
fuzz_jvx_LIBS = -ljq
FUZZ_TARGETS += dotenv
fuzz_dotenv_OBJS = lib/dotenv.o lib/secret.o
FUZZ_TARGETS += clock
fuzz_clock_OBJS = lib/clock.o
FUZZ_TARGETS += tghtml
fuzz_tghtml_OBJS = lib/tghtml.o lib/bytes.o
FUZZ_TARGETS += fmt
fuzz_fmt_OBJS = lib/fmt.o lib/tghtml.o lib/bytes.o lib/jvx.o lib/clock.o lib/diag.o
fuzz_fmt_LIBS = -ljq -lm
FUZZ_TARGETS += template
fuzz_template_OBJS = lib/template.o lib/fmt.o lib/tghtml.o lib/bytes.o lib/jvx.o \
	lib/clock.o lib/diag.o
fuzz_template_LIBS = -ljq -lm
# Modules of tools still being written join when their file exists.
ifneq ($(wildcard lib/http.c),)
FUZZ_TARGETS += http
fuzz_http_OBJS = lib/http.o lib/bytes.o
endif
ifneq ($(wildcard lib/jsonstr.c),)
FUZZ_TARGETS += jsonstr
fuzz_jsonstr_OBJS = lib/jsonstr.o lib/bytes.o lib/jvx.o
fuzz_jsonstr_LIBS = -ljq
endif
ifneq ($(wildcard lib/alert.c),)
FUZZ_TARGETS += alert
fuzz_alert_OBJS = lib/alert.o lib/jvx.o lib/clock.o lib/bytes.o
fuzz_alert_LIBS = -ljq -lm
endif
ifneq ($(wildcard lib/tgapi.c),)
FUZZ_TARGETS += tgapi
fuzz_tgapi_OBJS = lib/tgapi.o lib/jvx.o
fuzz_tgapi_LIBS = -ljq -lcurl
endif

FUZZ_TARGETS += auth
fuzz_auth_OBJS = lib/auth.o lib/hmac.o lib/secret.o lib/bytes.o lib/diag.o
fuzz_auth_LIBS = -lcrypto
FUZZ_TARGETS += hmac
fuzz_hmac_OBJS = lib/hmac.o lib/bytes.o
fuzz_hmac_LIBS = -lcrypto
FUZZ_TARGETS += replaycache
fuzz_replaycache_OBJS = lib/replay.o
FUZZ_TARGETS += spool
fuzz_spool_OBJS = lib/spool.o lib/cursor.o lib/diag.o lib/quarantine.o lib/clock.o \
	lib/bytes.o
FUZZ_TARGETS += rules
fuzz_rules_OBJS = lib/rules.o lib/jqexpr.o lib/throttle.o lib/jvx.o lib/diag.o \
	lib/clock.o lib/bytes.o
fuzz_rules_LIBS = -ljq -lm
FUZZ_TARGETS += jqexpr
fuzz_jqexpr_OBJS = lib/jqexpr.o
fuzz_jqexpr_LIBS = -ljq

FUZZ_BINS   = $(addprefix $(FUZZ_B)/fuzz_,$(FUZZ_TARGETS))
REPLAY_BINS = $(addprefix $(B)/tests/fuzz/replay_,$(FUZZ_TARGETS))

# The fuzz objects: same sources, clang with coverage and sanitizers.
$(FUZZ_B)/%.o: %.c lib/*.h Makefile tests/fuzz/fuzz.mk
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

define fuzz_rule
$(FUZZ_B)/fuzz_$(1): $(addprefix $(FUZZ_B)/,tests/fuzz/fuzz_$(1).o $(fuzz_$(1)_OBJS))
	$$(FUZZ_CC) $$(FUZZ_SAN) -fsanitize=fuzzer -o $$@ $$^ $(fuzz_$(1)_LIBS)

$(B)/tests/fuzz/replay_$(1): $(addprefix $(B)/,tests/fuzz/replay.o tests/fuzz/fuzz_$(1).o $(fuzz_$(1)_OBJS))
	@mkdir -p $$(@D)
	$$(CC) $$(ALL_CFLAGS) $$(ALL_LDFLAGS) -o $$@ $$^ $(fuzz_$(1)_LIBS) $$(LDLIBS)

fuzz-$(1): $(FUZZ_B)/fuzz_$(1)
	@FUZZ_SECONDS=$$(FUZZ_SECONDS) tests/fuzz/run-fuzz $(1) $$< $(FUZZ_B)

.PHONY: fuzz-$(1)
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call fuzz_rule,$(t))))

fuzz-build: $(FUZZ_BINS)

fuzz: $(FUZZ_BINS)
	@rc=0; for t in $(FUZZ_TARGETS); do \
		FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run-fuzz $$t \
		    $(FUZZ_B)/fuzz_$$t $(FUZZ_B) || rc=1; done; exit $$rc

fuzz-replay: $(REPLAY_BINS)
	@tests/fuzz/replay-all $(B)/tests/fuzz $(FUZZ_TARGETS)

# The whole suite again, built with sanitizers in its own build directory.
check-asan:
	@rm -rf $(SAN_B)/san-logs
	@$(MAKE) --no-print-directory B=$(SAN_B) CC=$(SAN_CC) \
	    CFLAGS="-O1 -g $(SAN_FLAGS)" LDFLAGS="$(SAN_FLAGS)" \
	    all $(addprefix $(SAN_B)/tests/,$(UNIT_TESTS)) \
	    $(addprefix $(SAN_B)/tests/fuzz/replay_,$(FUZZ_TARGETS))
	@SAN_TIMEOUT=$(SAN_TIMEOUT) tests/fuzz/san-check $(SAN_B) \
	    "$(FUZZ_TARGETS)" $(addprefix $(SAN_B)/tests/,$(UNIT_TESTS))

# The normal build, run under valgrind (Check in no-fork mode).  The
# prerequisites are built by a sub-make: UNIT_TESTS is not complete yet
# when this fragment is read.
check-valgrind:
	@$(MAKE) --no-print-directory all $(UNIT_BINS) $(REPLAY_BINS)
	@VG_TIMEOUT=$(VG_TIMEOUT) tests/fuzz/vg-check $(B) "$(TOOLS)" \
	    "$(FUZZ_TARGETS)" $(UNIT_BINS)

.PHONY: fuzz fuzz-build fuzz-replay check-asan check-valgrind

# Regressions for what the fuzzers found, as a Check suite in make check.
UNIT_TESTS += check_hostile
check_hostile_OBJS = lib/fmt.o lib/tghtml.o lib/bytes.o lib/jvx.o lib/clock.o lib/diag.o
check_hostile_LIBS = -ljq -lm
