# sentry-fmt: alert/digest records -> Telegram sendMessage requests.
TOOLS += sentry-fmt
sentry-fmt_OBJS = cmd/sentry-fmt.o lib/fmt.o lib/tghtml.o lib/template.o \
	lib/ndjson.o lib/jvx.o lib/diag.o lib/clock.o lib/dotenv.o lib/secret.o
sentry-fmt_LIBS = -ljq -lm
