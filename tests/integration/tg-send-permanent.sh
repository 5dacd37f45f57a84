#!/bin/sh
# tg-send and Telegram's refusals: blocked / kicked / chat not found go to
# the dead-letter file and are acknowledged; a migrated group is followed
# and remembered; HTML Telegram cannot parse is resent as plain text; a
# message too long is split; a rejected token stops everything (exit 2)
# with nothing acknowledged.
. "$(dirname "$0")/common.inc"
. "$(dirname "$0")/tg-send.inc"

start_with_faults '[
 {"chat_id":"-100999","kind":"blocked"},
 {"chat_id":"-100777","kind":"kicked"},
 {"chat_id":"-100555","kind":"chat_not_found"},
 {"chat_id":"-42","kind":"migrate","to":"-1001234"},
 {"text_contains":"BADHTML","kind":"parse_entities"},
 {"chat_id":"304","kind":"thread_not_found"}
]'
long=$(i=0; printf '<b>Long trace</b>\n<pre>'; while [ $i -lt 300 ]; do
	printf 'File "app.py", line %04d, in handler &amp; co\n' $i; i=$((i + 1)); done
	printf '</pre>')
kb='{"reply_markup":{"inline_keyboard":[[{"text":"Open in Sentry","url":"https://sentry.io/i/1"}]]}}'
{
	record r1 1 -100999 'to a user who blocked the bot'
	record r2 2 -42 'to the old group'
	record r3 3 -100777 'kicked'
	record r4 4 -100555 'no such chat'
	record r5 5 -42 'old group again'
	record r6 6 300 'ZeroDivisionError in <module> &amp; BADHTML <b>x</b>'
	record r7 7 301 'a <b>mangled</b> <module> title'
	record r8 8 302 "$long" "$kb"
	record r9 9 303 'last one' '{"reply_markup":{"inline_keyboard":[[{"text":"Open in Sentry","url":"http://sentry/organizations/x/issues/1/"}]]}}'
	record r10 10 304 'topic gone' '{"message_thread_id":77}'
} >"$T/in"
tgsend -a "$T/acked" -s "$T/state" -d "$T/dead" <"$T/in" >"$T/out" 2>"$T/err"
st=$?
[ $st -eq 0 ] || fail "exit status $st: $(cat "$T/err")"
[ "$(cat "$T/acked")" = 10 ] || fail "acked '$(cat "$T/acked")', want 10"
pass "every record handled and acknowledged"

jq -e -s 'map(.id) == ["r1","r3","r4"] and
	map(.dead_letter.reason) == ["blocked","kicked","chat_not_found"] and
	.[0].failed == {chat_id:"-100999",error_code:403,
	  description:"Forbidden: bot was blocked by the user",reason:"blocked"} and
	.[2].failed.description == "Bad Request: chat not found" and
	.[0].telegram.text == "to a user who blocked the bot" and
	all(.dead_letter.at | test("^2[0-9-]+T[0-9:.]+Z$"))' "$T/dead" >/dev/null ||
	fail "dead letters: $(cat "$T/dead")"
grep -q 'r1: Telegram refuses it for good (403 Forbidden: bot was blocked by the user): kept in the dead-letter file' "$T/err" ||
	fail "no dead-letter message: $(cat "$T/err")"
pass "blocked, kicked, chat not found: dead-lettered whole with the reason"

jq -e -s '(.[1].sent == {chat_id:"-1001234",message_id:1,migrated_from:"-42"}) and
	(.[4].sent == {chat_id:"-1001234",message_id:2})' "$T/out" >/dev/null ||
	fail "migration: $(sed -n '2p;5p' "$T/out")"
jq -e '.migrated == {"-42":"-1001234"}' "$T/state" >/dev/null ||
	fail "state: $(cat "$T/state")"
[ "$(jq -s '[.[] | select(.params.chat_id == "-42")] | length' "$FAKETG_LOG")" = 1 ] ||
	fail "the old chat was asked again after the migration"
pass "migrated group: resent to the new chat, remembered in the state file"
# A new run remembers it from the state file.
record r11 11 -42 'after a restart' | tgsend -a "$T/acked" -s "$T/state" >"$T/out2" 2>"$T/err2" ||
	fail "rerun: $(cat "$T/err2")"
jq -e '.sent.chat_id == "-1001234" and (.sent | has("migrated_from") | not)' "$T/out2" >/dev/null ||
	fail "state not used: $(cat "$T/out2")"
pass "the mapping survives a restart"

jq -e -s '[.[] | select(.params.chat_id == "300")] |
	length == 2 and .[0].status == 400 and .[1].status == 200 and
	(.[1].params | has("parse_mode") | not) and
	.[1].params.text == "ZeroDivisionError in <module> & BADHTML x"' "$FAKETG_LOG" >/dev/null ||
	fail "plain-text fallback: $(grep '"300"' "$FAKETG_LOG")"
jq -e -s '[.[] | select(.params.chat_id == "301")] |
	(.[0].status == 400) and .[1].params.text == "a mangled <module> title"' \
	"$FAKETG_LOG" >/dev/null || fail "unparsable HTML not resent as plain"
jq -e -s '.[5].sent.plain_text and .[6].sent.plain_text' "$T/out" >/dev/null ||
	fail "plain_text not recorded"
grep -q "r7: Telegram cannot parse the HTML (Bad Request: can't parse entities: Unsupported start tag \"module\" at byte offset 17): sending it as plain text" "$T/err" ||
	fail "no plain-text message: $(cat "$T/err")"
pass "can't parse entities: resent as plain text, said so"

jq -e -s '[.[] | select(.params.chat_id == "302" and .status == 200)] as $p |
	($p | length) == 4 and
	($p | all(.params.text | startswith("<pre>") or startswith("<b>Long"))) and
	($p | all(.params.text | endswith("</pre>"))) and
	($p | map(.params | has("reply_markup"))) == [false,false,false,true] and
	([$p[].params.text | gsub("<[^>]*>"; "") | split("\n")[] |
	  select(startswith("File"))] | length) == 300' "$FAKETG_LOG" >/dev/null ||
	fail "split wrong: $(jq -c 'select(.params.chat_id == "302") | [.status, (.params.text | length)]' "$FAKETG_LOG")"
jq -e -s '.[7].sent.message_ids | length == 4' "$T/out" >/dev/null ||
	fail "split ids: $(sed -n 8p "$T/out")"
pass "message too long: sent in 4 well-formed parts, every line once, button on the last"
[ "$(delivered 'last one')" = 1 ] || fail "record after the split not sent"
jq -e -s '.[8].sent.without_buttons and .[9].sent.without_topic' "$T/out" >/dev/null &&
	jq -e -s '[.[] | select(.params.chat_id == "303" or .params.chat_id == "304") |
	[.status, (.params | has("reply_markup") or has("message_thread_id"))]] ==
	[[400,true],[200,false],[400,true],[200,false]]' "$FAKETG_LOG" >/dev/null ||
	fail "button / topic fallbacks: $(sed -n '9,10p' "$T/out")"
grep -q 'r9: Bad Request: BUTTON_URL_INVALID: sending without the buttons' "$T/err" &&
	grep -q 'r10: Bad Request: message thread not found: sending without the topic' "$T/err" ||
	fail "fallback messages: $(cat "$T/err")"
pass "a refused button or a deleted topic: sent without it, said so"

# A rejected token: exit 2, said plainly, nothing acknowledged or written.
echo 11 >"$T/acked"
record r12 12 400 'never' | SENTRY_ALERT_TELEGRAM_TOKEN=4242424242:AAH-wrong-token-abcdef \
	TELEGRAM_API_URL=$FAKETG_URL timeout 30 tg-send -a "$T/acked" >"$T/out3" 2>"$T/err3"
st=$?
[ $st -eq 2 ] || fail "bad token: exit $st"
[ "$(cat "$T/acked")" = 11 ] && [ ! -s "$T/out3" ] || fail "bad token: acknowledged or written"
grep -q 'Telegram rejects the bot token (401 Unauthorized)' "$T/err3" ||
	fail "bad token message: $(cat "$T/err3")"
grep -q 'wrong-token' "$T/err3" && fail "the bad token was printed"
pass "rejected token: exit 2, nothing acknowledged, token not printed"

no_leak
