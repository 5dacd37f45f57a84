#!/bin/sh
# Property test for sentry-fmt: thousands of random and hostile alert and
# digest records (tags, <, &, quotes, entities, emoji, RTL marks, lone
# surrogates, NULs, 100 KB values, wrong types) go through sentry-fmt,
# with the default layout and with a template, and every message must
# pass tests/tghtml_check.py (as strict as Telegram).  Every record must
# be formatted: none may be rejected.
#   SENTRY_FMT_PROPERTY_N   number of records (default 600, to keep make
#                           check short; 20000 or more for a long run)
#   SENTRY_FMT_PROPERTY_SEED  random seed (default: a fixed one)
here=$(cd "$(dirname "$0")/.." && pwd)
: "${BIN:?BIN must name the build directory}"
n=${SENTRY_FMT_PROPERTY_N:-600}
seed=${SENTRY_FMT_PROPERTY_SEED:-20261129}
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM
fail=0

python3 - "$n" "$seed" >"$tmp/in.ndjson" <<'EOF' || { echo "not ok - generator"; exit 1; }
import json, random, sys
n, seed = int(sys.argv[1]), int(sys.argv[2])
R = random.Random(seed)
ATOMS = ["<", ">", "&", '"', "'", "&amp;", "&apos;", "&lt;", "&#0;", "&#xD800;",
         "&#1114112;", "&", "&nbsp;", "</b>", "<b>", "<i>", "</a>",
         '<a href="http://x">', "<blockquote>", "<code>", "<pre>", "<br/>",
         "<script>alert(1)</script>", "\U0001F600", "\U0001F468\u200D\U0001F469\u200D\U0001F467",
         "\u202e", "\u200f", "\u200e", "\u2066", "\udc00", "\udfff", "\ud800\udc00",
         "\x00", "\x07", "\r", "\n", "\t", "\x7f", "e\u0301", "\ufeff", "\uffff",
         "\u2028", "a", "Zero", "division by zero", "\u0442\u0435\u0441\u0442",
         "\u4e2d\u6587", "\u0627\u0644\u0639\u0631\u0628\u064a\u0629", " ", "\\",
         "%s", "%n", "${x}", "\U0010FFFF", "\u00a0", "\U0001F3F3\uFE0F\u200D\U0001F308"]
URLS = ["https://sentry.io/organizations/acme/issues/1/", "http://sentry:9000/issues/2/",
        "javascript:alert(1)", "https://a.b/<x>", 'https://a.b/"q', "https://sentry.io/?a=1&b=2",
        "http://localhost/x", "https://user@evil.com/", "ftp://x.y/", "https://x..y/",
        "https://\u043f\u0440\u0438\u043c\u0435\u0440.\u0440\u0444/", "https://a.b:99999/", "",
        "https://sentry.io/" + "x" * 3000, "https://a.b/ space", "HTTPS://SENTRY.IO/X"]
LEVELS = ["fatal", "error", "warning", "info", "debug", "bogus", None, 5]
KINDS = ["legacy", "event_alert", "issue", "error", "metric_alert", "comment",
         "seer", "activity_alert", "unknown", "brand_new", None, "<b>", 7,
         "preprod_artifact"]
ACTIONS = ["triggered", "created", "resolved", "assigned", "ignored", "unresolved",
           "critical", "warning", "root_cause_completed", "deleted", None, "x<y>&",
           "open", "iteration_completed", "size_analysis_completed",
           "build_distribution_completed"]

def s(maxlen=40):
    if R.random() < 0.002:
        return "".join(R.choice(ATOMS) for _ in range(R.randint(500, 3000)))
    return "".join(R.choice(ATOMS) for _ in range(R.randint(0, maxlen)))

def huge():
    """About 100 KB: one atom repeated, or a random mix."""
    if R.random() < 0.5:
        a = R.choice(ATOMS)
        return a * (100000 // len(a) + R.randint(0, 50))
    return "".join(R.choice(ATOMS) for _ in range(R.randint(40000, 60000)))

def anyval():
    r = R.random()
    if r < 0.6: return s()
    if r < 0.7: return R.choice([0, -1, 1.5, 1e308, -1e308, 123456789012345678901234567890])
    if r < 0.8: return None
    if r < 0.85: return R.choice([True, False])
    if r < 0.9: return [s(), 1]
    return {"k": s()}

def num():
    r = R.random()
    if r < 0.7: return R.choice([0, 1, 3, 59, 1500, 3241.5, 0.25, -4, 1e20, 1e308])
    return anyval()

def frame():
    return {"file": anyval(), "line": num(), "function": anyval(), "in_app": R.random() < 0.5}

def url():
    return R.choice(URLS) if R.random() < 0.8 else s()

def when():
    return R.choice(["2025-11-15T16:28:23.123000Z", "2026-11-29T08:27:41+03:00",
                     "1700000000", "not a date", s(), 12, None])

def alert():
    a = {"kind": R.choice(KINDS), "action": R.choice(ACTIONS), "level": R.choice(LEVELS),
         "title": anyval(), "message": anyval(), "culprit": anyval(),
         "exception": {"type": anyval(), "value": anyval()} if R.random() < 0.8 else anyval(),
         "location": {"file": anyval(), "line": num(), "function": anyval()} if R.random() < 0.8 else anyval(),
         "stacktrace": [frame() for _ in range(R.choice([0, 1, 2, 5, 50, 50, 200] if R.random() < 0.3 else [0, 2, 5]))] if R.random() < 0.8 else anyval(),
         "project": anyval(), "environment": anyval(), "release": anyval(),
         "short_id": anyval(), "issue_id": anyval(), "url": url(),
         "first_seen": when(), "timestamp": when(), "count": num(), "users": num(),
         "tags": {s(8): anyval() for _ in range(R.randint(0, 30))} if R.random() < 0.8 else anyval(),
         "rule": anyval(), "assignee": anyval(), "resolution": anyval(), "actor": anyval(),
         "comment": anyval(), "status": R.choice(["regressed", "unresolved", None])}
    if R.random() < 0.2: a["duration_ms"] = num()
    if R.random() < 0.3 or a["kind"] == "metric_alert":
        a["metric"] = {"severity": R.choice(["critical", "warning", "resolved", None, s()]),
                       "threshold": num(), "value": num(), "aggregate": anyval(),
                       "query": anyval(), "time_window": num(), "description": anyval()}
    if R.random() < 0.3 or a["kind"] == "preprod_artifact":
        comp = lambda: {"type": R.choice(["MAIN_ARTIFACT", "WATCH_ARTIFACT", s()]),
                        "identifier": anyval(), "state": R.choice(["SUCCESS", "FAILED", anyval()]),
                        "error_code": anyval(), "download_size": num(), "install_size": num(),
                        "base_download_size": num(), "base_install_size": num()}
        a["build"] = {"id": anyval(), "app": anyval(), "app_id": anyval(), "version": anyval(),
                      "build_number": anyval(), "artifact_type": anyval(),
                      "state": R.choice(["COMPLETED", "FAILED", anyval()]),
                      "error_code": anyval(), "error_message": anyval(),
                      "download_size": num(), "install_size": num(), "base_id": anyval(),
                      "base_version": anyval(), "base_build_number": anyval(),
                      "components": [comp() for _ in range(R.choice([0, 1, 3, 12]))] if R.random() < 0.8 else anyval(),
                      "configuration": anyval(), "installable": R.choice([True, False, anyval()]),
                      "install_url": url(),
                      "git": {"repo": anyval(), "branch": anyval(), "base_branch": anyval(),
                              "sha": anyval(), "pr": num()} if R.random() < 0.8 else anyval()}
    if R.random() < 0.3 or a["kind"] == "seer":
        a["seer"] = {"run_id": anyval(), "step": R.choice(["root_cause", "solution", "iteration", anyval()]),
                     "state": anyval(), "iteration": num(), "repo": anyval(),
                     "steps": [anyval() for _ in range(R.choice([0, 2, 10, 30]))] if R.random() < 0.8 else anyval(),
                     "pull_requests": [{"url": url(), "number": num(), "repo": anyval()}
                                       for _ in range(R.choice([0, 1, 12]))] if R.random() < 0.8 else anyval(),
                     "files": num(), "added": num(), "removed": num()}
    if R.random() < 0.05:    # one ~100 KB value somewhere
        where = R.choice(["title", "message", "culprit", "url", "comment", "exc", "tag", "frame", "release",
                          "build", "seer"])
        if where == "exc": a["exception"] = {"type": huge(), "value": huge()}
        elif where == "build": a["build"] = {"app": huge(), "error_code": huge(), "error_message": huge(),
                                             "components": [{"type": huge()[:3000], "identifier": huge()[:5000]}] * 3,
                                             "git": {"repo": huge(), "branch": huge(), "sha": huge()}}
        elif where == "seer": a["seer"] = {"steps": [huge()] * 2, "repo": huge()[:5000],
                                           "pull_requests": [{"url": huge()[:5000], "repo": huge()[:5000], "number": 1}] * 3}
        elif where == "tag": a["tags"] = {"big": huge(), huge()[:5000]: "k"}
        elif where == "frame": a["stacktrace"] = [{"file": huge(), "line": 1, "function": "f"}] * 3
        else: a[where] = huge()
    for k in list(a):
        if R.random() < 0.1: del a[k]
    return a

def route():
    r = {"chat_id": R.choice(["-1001234567890", "123", "@alerts_channel", None]),
         "thread_id": R.choice([None, 1, 42, 0, -3, 1.5, "7"]),
         "silent": R.choice([True, False, None])}
    return r if R.random() < 0.7 else None

for i in range(n):
    rec = {"v": 1, "id": "p-%d" % i}
    if R.random() < 0.1:
        rec["id"] = "digest-%d" % i
        rec["digest"] = {"period_start": R.choice([when(), 1700000000, 1700000000000]),
                         "period_end": when(), "total": num(),
                         "issues": [{"issue_id": anyval(), "short_id": anyval(), "title": anyval(),
                                     "level": R.choice(LEVELS), "project": anyval(),
                                     "count": num(), "last_seen": when(), "url": url()}
                                    for _ in range(R.choice([0, 1, 3, 40, 300]))]}
    else:
        rec["alert"] = alert()
    rt = route()
    if rt is not None: rec["route"] = rt
    if R.random() < 0.05: rec["drop"] = {"rule": "x", "reason": "y"}; rec.pop("alert", None); rec.pop("digest", None)
    line = json.dumps(rec)
    if R.random() < 0.02:   # raw invalid UTF-8 inside a string
        k = line.find('"title": "')
        if k >= 0:
            sys.stdout.flush()
            sys.stdout.buffer.write(line[:k + 10].encode() + R.choice([b"\xff", b"\xed\xa0\x80", b"\xc0\xaf", b"\xf4\x90\x80\x80"]) + line[k + 10:].encode() + b"\n")
            sys.stdout.buffer.flush()
            continue
    sys.stdout.write(line + "\n")
EOF
echo "# $(wc -l <"$tmp/in.ndjson") records, $(wc -c <"$tmp/in.ndjson") bytes (seed $seed)"

cat >"$tmp/hostile.jq" <<'EOF'
(.alert // .digest // {}) as $a
| "<b>" + ($a.title | tg_trim(100) | tg_escape) + "</b>\n"
  + ($a.message | tg_escape) + "\n"
  + ($a.url | tg_link($a.short_id | tostring)) + "\n"
  + (try $a.exception.value catch "?" | tg_code) + ($a.culprit | tg_quote)
  + "\n" + .fmt.text
EOF

run() { # run NAME ARGS...: format, then check every message
	name=$1; shift
	"$BIN/sentry-fmt" "$@" <"$tmp/in.ndjson" >"$tmp/$name.out" 2>"$tmp/$name.err"
	st=$?
	if [ $st -ne 0 ]; then
		echo "not ok - $name: sentry-fmt exited $st"; head -5 "$tmp/$name.err"
		fail=1; return
	fi
	if python3 "$here/tghtml_check.py" --all-formatted "$tmp/$name.out" >"$tmp/$name.check"; then
		echo "ok - $name: $(tail -1 "$tmp/$name.check" | sed 's/^# //')"
	else
		echo "not ok - $name"; head -20 "$tmp/$name.check"; fail=1
	fi
	# Nothing lost: one record out per record in.
	if [ "$(wc -l <"$tmp/$name.out")" != "$(wc -l <"$tmp/in.ndjson")" ]; then
		echo "not ok - $name: record count differs"; fail=1
	fi
}

run default --tags '*' --chat -100777
run template --template "$tmp/hostile.jq" --tz Europe/Moscow

# The preview of the same records: no crash, every record shown.
"$BIN/sentry-fmt" --preview --tags '*' <"$tmp/in.ndjson" >"$tmp/preview" 2>"$tmp/preview.err"
st=$?
shown=$(grep -c '^=== ' "$tmp/preview")
if [ $st -eq 0 ] && [ "$shown" -eq "$(wc -l <"$tmp/in.ndjson")" ]; then
	echo "ok - preview: $shown records shown"
else
	echo "not ok - preview: status $st, $shown records shown"; fail=1
fi

# The checker itself must catch what Telegram refuses.
printf '%s\n' \
  '{"telegram":{"method":"sendMessage","text":"<b>x</i>","parse_mode":"HTML","link_preview_options":{"is_disabled":true},"disable_notification":false}}' \
  '{"telegram":{"method":"sendMessage","text":"a &apos; b","parse_mode":"HTML","link_preview_options":{"is_disabled":true},"disable_notification":false}}' \
  '{"telegram":{"method":"sendMessage","text":"<br>","parse_mode":"HTML","link_preview_options":{"is_disabled":true},"disable_notification":false}}' \
  "{\"telegram\":{\"method\":\"sendMessage\",\"text\":\"$(printf '%04097d' 0)\",\"parse_mode\":\"HTML\",\"link_preview_options\":{\"is_disabled\":true},\"disable_notification\":false}}" \
  '{"telegram":{"method":"sendMessage","text":"\udc00","parse_mode":"HTML","link_preview_options":{"is_disabled":true},"disable_notification":false}}' \
  '{"telegram":{"method":"sendMessage","text":"x","parse_mode":"HTML","link_preview_options":{"is_disabled":true},"disable_notification":false,"reply_markup":{"inline_keyboard":[[{"text":"Open","url":"http://sentry:9000/"}]]}}}' \
  >"$tmp/bad.ndjson"
bad=$(python3 "$here/tghtml_check.py" "$tmp/bad.ndjson" | grep -c '^line ')
if [ "$bad" -eq 6 ]; then echo "ok - checker refuses 6 bad messages"
else echo "not ok - checker found $bad problems in 6 bad messages"; fail=1; fi
exit $fail
