TOOLS += sentry-recv
sentry-recv_OBJS = cmd/sentry-recv.o lib/serve.o lib/conn.o lib/health.o lib/stats.o lib/status.o lib/http.o lib/jsonstr.o lib/bytes.o lib/spool.o lib/cursor.o lib/clock.o lib/diag.o lib/dotenv.o lib/secret.o lib/auth.o lib/hmac.o lib/quarantine.o
# Linked statically: it is exec'd once per connection, and without the
# dynamic loader it starts in about half the time (socat fork: ~+20%
# connections/s).  Sanitizer builds link dynamically (ASan requires it),
# and so does `make check-valgrind` (memcheck can only watch the heap of a
# dynamic binary); RECV_STATIC= does it by hand.
RECV_STATIC ?= $(if $(findstring -fsanitize,$(CFLAGS) $(LDFLAGS)),,-static)
ifneq ($(filter check-valgrind,$(MAKECMDGOALS)),)
export RECV_STATIC :=
endif
# Of libcrypto it takes only the SHA-256 functions (lib/hmac.c): no
# OpenSSL initialisation, about 26 KB, nothing measurable per exec.
sentry-recv_LIBS = $(RECV_STATIC) -lcrypto
sentry-recv_UNIT = check_http check_jsonstr check_bytes check_spool check_conn \
	check_status
UNIT_TESTS += check_http check_jsonstr check_bytes check_spool check_conn
check_http_OBJS = lib/http.o lib/bytes.o
check_jsonstr_OBJS = lib/jsonstr.o lib/bytes.o
check_bytes_OBJS = lib/bytes.o
check_spool_OBJS = lib/spool.o lib/cursor.o lib/diag.o lib/quarantine.o lib/clock.o lib/bytes.o
check_conn_OBJS = lib/conn.o lib/http.o lib/jsonstr.o lib/bytes.o lib/clock.o \
	lib/diag.o lib/auth.o lib/hmac.o lib/secret.o
check_conn_LIBS = -lcrypto

# A test build whose spool can be made to fail an append on demand
# (SPOOL_FAULT_WRITE, see lib/spool.c): tests/integration/sentry-recv-enospc.sh.
TEST_PROGS += tests/sentry-recv-faults
$(B)/tests/spool-faults.o: lib/spool.c lib/*.h Makefile
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -DSPOOL_FAULTS -c -o $@ $<
$(B)/tests/sentry-recv-faults: $(addprefix $(B)/,$(filter-out lib/spool.o,$(sentry-recv_OBJS))) $(B)/tests/spool-faults.o
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(sentry-recv_LIBS) $(LDLIBS)
