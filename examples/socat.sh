#!/bin/sh
# sentry-recv under socat: one sentry-recv per connection (inetd mode),
# answering 202 only once the webhook is fdatasync'd into the spool.
#
#   PORT (8001)  BIND (127.0.0.1; put a TLS proxy in front for the internet)
#   SPOOL (/var/lib/sentry-tg, must exist and be writable)
#
# backlog=128: socat's default listen backlog is 5, and a burst of Sentry
# webhooks beyond it is refused.  max-children bounds the processes when a
# storm or a slow client hits.  socat splits EXEC's command on spaces and
# treats ',' and ':' as its own syntax: keep SPOOL free of them.
set -eu
SPOOL=${SPOOL:-/var/lib/sentry-tg}
exec socat "TCP-LISTEN:${PORT:-8001},bind=${BIND:-127.0.0.1},reuseaddr,fork,backlog=128,max-children=256" \
	EXEC:"sentry-recv -s $SPOOL"
