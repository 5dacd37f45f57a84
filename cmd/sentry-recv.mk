TOOLS += sentry-recv
sentry-recv_OBJS = cmd/sentry-recv.o lib/http.o lib/jsonstr.o lib/spool.o lib/cursor.o lib/clock.o lib/diag.o lib/dotenv.o lib/secret.o
sentry-recv_LIBS =
sentry-recv_UNIT = check_http check_jsonstr check_spool
UNIT_TESTS += check_http check_jsonstr check_spool
check_http_OBJS = lib/http.o
check_jsonstr_OBJS = lib/jsonstr.o
check_spool_OBJS = lib/spool.o lib/cursor.o lib/diag.o
