# make bench: speed and memory of the relay, next to the alternatives
# (issue 9).  Prints one table; see NOTES.md "## Benchmarks".
#
#   make bench                  everything (about 10 minutes on 2 cores)
#   make bench BENCH_ONLY="socat chain"   some sections only:
#                               socat listener chain e2e rss storm
#
# Builds the tools that build (a tool that is missing or broken prints
# "n/a (tool missing)" rows instead of failing the run), the load
# generator and the floor program into $(B)/bench.  Never part of
# `make check`: nothing here asserts a timing.

BENCH_B = $(B)/bench
BENCH_ONLY ?=

$(BENCH_B)/loadgen: tests/bench/loadgen.c tests/bench/bench.mk
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< -lcrypto $(LDLIBS)

# The floor is linked the way sentry-recv is (static unless a sanitizer
# build), so the ratio compares the programs, not the linking.
$(BENCH_B)/floor202: tests/bench/floor202.c tests/bench/bench.mk
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(RECV_STATIC) $(LDLIBS)

bench-tools: $(BENCH_B)/loadgen $(BENCH_B)/floor202
	-@$(MAKE) --no-print-directory -k $(BINS) >$(BENCH_B)/build.log 2>&1 || \
	    echo "bench: some tools did not build (see $(BENCH_B)/build.log)"

bench: bench-tools
	@BENCH_B=$(abspath $(BENCH_B)) BENCH_ONLY="$(BENCH_ONLY)" tests/bench/run

.PHONY: bench bench-tools
