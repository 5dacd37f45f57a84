# Unit tests of the modules every tool shares.
UNIT_TESTS += check_ndjson check_jvx check_dotenv check_clock check_diag
check_ndjson_OBJS = lib/ndjson.o lib/bytes.o lib/jvx.o lib/diag.o
check_ndjson_LIBS = -ljq
check_jvx_OBJS = lib/jvx.o
check_jvx_LIBS = -ljq
check_dotenv_OBJS = lib/dotenv.o lib/secret.o
check_clock_OBJS = lib/clock.o
check_diag_OBJS = lib/diag.o
UNIT_TESTS += check_status
check_status_OBJS = lib/status.o lib/stats.o lib/clock.o lib/bytes.o
UNIT_TESTS += check_cursor
check_cursor_OBJS = lib/cursor.o lib/quarantine.o lib/clock.o
