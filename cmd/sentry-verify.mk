# sentry-verify: recv records -> verified records with payload and alert.
TOOLS += sentry-verify
sentry-verify_OBJS = cmd/sentry-verify.o lib/auth.o lib/hmac.o lib/alert.o \
	lib/replay.o lib/quarantine.o lib/ndjson.o lib/jvx.o lib/diag.o lib/clock.o \
	lib/dotenv.o lib/secret.o lib/bytes.o
sentry-verify_LIBS = -ljq -lcrypto -lm
sentry-verify_UNIT = check_hmac check_auth check_alert check_replay check_bytes
UNIT_TESTS += check_hmac check_auth check_alert check_replay
check_hmac_OBJS = lib/hmac.o lib/bytes.o
check_hmac_LIBS = -lcrypto
check_auth_OBJS = lib/auth.o lib/hmac.o lib/secret.o lib/bytes.o lib/diag.o
check_auth_LIBS = -lcrypto
check_alert_OBJS = lib/alert.o lib/jvx.o lib/clock.o lib/bytes.o
check_alert_LIBS = -ljq -lm
check_replay_OBJS = lib/replay.o
