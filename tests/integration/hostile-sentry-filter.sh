#!/bin/sh
# Hostile input for sentry-filter: records from a broken or hostile
# earlier stage (tests/integration/hostile-records.py), filters that meet
# values of the wrong kind, and a state file that is not what it wrote.
# Nothing stops the stage; every good record still gets its rule and
# route; records it does not understand pass through byte for byte.
. "$(dirname "$0")/common.inc"
. "$(dirname "$0")/hostile.inc"
SENTRY_TG_NOW=2026-11-29T08:30:00Z SENTRY_ALERT_CHAT_ID=-1001
export SENTRY_TG_NOW SENTRY_ALERT_CHAT_ID
python3 "$TOP/tests/integration/hostile-records.py" filter >"$T/in"
ALL="g1 b-alert-array g2 b-alert-string g3 b-seq-string g4 b-received-bad g5 b-received-num g6 b-kinds g7 b-dup g8 b-utf8 g9 b-deep g10 b-huge-title g11 b-nul g12 b-drop-odd g13 b-digest-odd g14 b-route-odd g15 b-huge-numbers g16 b-telegram-string g50"

# 1. One catch-all rule: everything handled, status 0, nothing lost.
# (--storm off: 30-odd new issues within a minute to one chat would
# rightly be folded into a storm digest; odd records are the point here.)
sentry-filter --storm off -r 'all any' <"$T/in" >"$T/out" 2>"$T/err"; rc=$?
check "filter: malformed records: status 0" is_status 0 $rc
check "filter: malformed records: nothing on stderr" same "$T/err" ""
ids "$T/out" >"$T/ids"
check "filter: malformed records: every record out, in order" same "$T/ids" "$ALL"
jq -r 'select(.id | startswith("g")) | select(.rule != "all" or .route.chat_id != "-1001") | .id' "$T/out" >"$T/g"
check "filter: every good record gets its rule and route" same "$T/g" ""
grep -E '"id":"b-(alert-array|alert-string|drop-odd|digest-odd)"' "$T/in" >"$T/odd-in"
grep -E '"id":"b-(alert-array|alert-string|drop-odd|digest-odd)"' "$T/out" >"$T/odd-out"
check "filter: records without an alert object pass byte for byte" cmp -s "$T/odd-in" "$T/odd-out"
jq -r 'select(.id == "b-dup") | .drop.rule' "$T/out" >"$T/dup"
check "filter: duplicate \"alert\" keys: the last (installation) wins and is dropped" same "$T/dup" "installation"

# 2. Every built-in filter on values of the wrong kind: a jq error is a
# per-record drop with the reason, never a stop.
sentry-filter --storm off --jq '.alert.tags.customer == "acme"' --title-re '^Good' \
    --tag customer=acme --level warning --project api --env production \
    -r 'all any' <"$T/in" >"$T/out2" 2>"$T/err2"; rc=$?
check "filter: filters on wrong kinds: status 0" is_status 0 $rc
check "filter: filters on wrong kinds: the jq errors, one line each" same "$T/err2" \
'sentry-filter: b-kinds: jq: Cannot index string with string "customer"
sentry-filter: b-deep: jq: Cannot index array with string "customer"'
ids "$T/out2" >"$T/ids2"
check "filter: filters on wrong kinds: every record out, in order" same "$T/ids2" "$ALL"
jq -r 'select(.id | startswith("g")) | select(.rule != "all") | .id' "$T/out2" >"$T/g2"
check "filter: filters on wrong kinds: good records still pass" same "$T/g2" ""
jq -r 'select(.id == "b-kinds" or .id == "b-deep") | .drop.reason' "$T/out2" >"$T/why2"
check "filter: filters on wrong kinds: the drop marker says why" same "$T/why2" \
'jq error: Cannot index string with string "customer"
jq error: Cannot index array with string "customer"'

# 3. State: created private, and a state file of the wrong shape is a
# configuration error before any record is read.
sentry-filter -s "$T/state.json" -t 1m -d 1h -r 'all any' <"$T/in" >"$T/out3" 2>"$T/err3"; rc=$?
check "filter: with state: status 0" is_status 0 $rc
check "filter: state file is 0600" is_status 600 "$(stat -c %a "$T/state.json")"
printf '{"issues":[1,"x",{"a":[]}],"seen":"no","digest_start":"z","v":"1"}' >"$T/bad-state.json"
head -1 "$T/in" | sentry-filter -s "$T/bad-state.json" -r 'all any' >"$T/out4" 2>"$T/err4"; rc=$?
check "filter: state of the wrong shape: status 2" is_status 2 $rc
check "filter: state of the wrong shape: the file named" same "$T/err4" \
"sentry-filter: state: $T/bad-state.json: bad seen list"
check "filter: state of the wrong shape: nothing emitted" same "$T/out4" ""
head -c 3000 "$T/in" >"$T/torn.json"
head -1 "$T/in" | sentry-filter -s "$T/torn.json" -r 'all any' >"$T/out5" 2>"$T/err5"; rc=$?
check "filter: a torn state file: status 2" is_status 2 $rc
check "filter: a torn state file: one line" is_status 1 "$(wc -l <"$T/err5")"
hostile_done
