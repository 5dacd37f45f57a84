# sentry-fmt: alert/digest records -> Telegram sendMessage requests.
TOOLS += sentry-fmt
sentry-fmt_OBJS = cmd/sentry-fmt.o lib/fmt.o lib/tghtml.o lib/template.o \
	lib/bytes.o lib/ndjson.o lib/jvx.o lib/diag.o lib/clock.o lib/dotenv.o lib/secret.o
sentry-fmt_LIBS = -ljq -lm
sentry-fmt_UNIT = check_tghtml check_fmt
UNIT_TESTS += check_tghtml check_fmt
check_tghtml_OBJS = lib/tghtml.o lib/bytes.o
check_fmt_OBJS = lib/fmt.o lib/tghtml.o lib/bytes.o lib/template.o lib/jvx.o lib/clock.o
check_fmt_LIBS = -ljq -lm
