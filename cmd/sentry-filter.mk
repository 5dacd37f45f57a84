TOOLS += sentry-filter
sentry-filter_OBJS = cmd/sentry-filter.o lib/rules.o lib/jqexpr.o lib/throttle.o lib/seen.o lib/fstate.o lib/ndjson.o lib/jvx.o lib/diag.o lib/clock.o lib/dotenv.o lib/secret.o
sentry-filter_LIBS = -ljq
