#!/usr/bin/env python3
"""hostile-records.py STAGE: an NDJSON stream for the hostile-input
scripts, on stdout.  Good records g1, g2, ... alternate with malformed
ones (named b-...), as a broken or hostile earlier stage could write
them: "alert" an array or a string, "seq" a string, "received" not a
time, fields of the wrong kinds, duplicate keys, invalid UTF-8, deep
nesting, a 4 MiB title, \\u0000 in strings, "drop"/"digest"/"route"/
"telegram" of the wrong kinds.  The stream ends with g50."""
import json
import sys

stage = sys.argv[1] if len(sys.argv) > 1 else "filter"


def line(o):
    return json.dumps(o, separators=(",", ":")).encode()


def good(i):
    r = {"v": 1, "id": "g%d" % i, "seq": i,
         "received": "2026-11-29T08:00:%02d.000Z" % i,
         "alert": {"kind": "event_alert", "action": "triggered",
                   "level": "error", "title": "Good %d <b>&" % i,
                   "issue_id": str(100 + i), "project": "api",
                   "environment": "production",
                   "tags": {"customer": "acme"},
                   "url": "https://sentry.io/issues/%d/" % i}}
    if stage in ("fmt", "send"):
        r["rule"] = "all"
        r["route"] = {"chat_id": "-1001", "thread_id": None, "silent": False}
    return r


ALERT = b'"alert":{"kind":"issue","title":"t","level":"error","issue_id":"9%02d"}'
bad = [
    b'{"v":1,"id":"b-alert-array","seq":101,"alert":[1,2,3]}',
    b'{"v":1,"id":"b-alert-string","seq":102,"alert":"boom"}',
    b'{"v":1,"id":"b-seq-string","seq":"7","received":"2026-11-29T08:00:30.000Z",' + ALERT % 1 + b'}',
    b'{"v":1,"id":"b-received-bad","seq":104,"received":"yesterday",' + ALERT % 2 + b'}',
    b'{"v":1,"id":"b-received-num","seq":105,"received":1e400,' + ALERT % 3 + b'}',
    b'{"v":1,"id":"b-kinds","seq":106,"received":"2026-11-29T08:00:31.000Z","alert":{"kind":["issue"],"title":{"a":1},"level":7,"issue_id":1e300,"project":null,"environment":[],"tags":"customer=acme","stacktrace":{"a":1},"location":[1],"count":"many","first_seen":12345678901234567890,"url":["https://x.io/"]}}',
    b'{"v":1,"id":"b-dup","seq":107,"received":"2026-11-29T08:00:32.000Z","alert":{"kind":"issue","title":"first","level":"error","issue_id":"903"},"alert":{"kind":"installation"}}',
    b'{"v":1,"id":"b-utf8","seq":108,"received":"2026-11-29T08:00:33.000Z","alert":{"kind":"issue","title":"\xff\xfe\xc0\xaf","level":"error","issue_id":"904","tags":{"customer":"\xff"}}}',
    b'{"v":1,"id":"b-deep","seq":109,"received":"2026-11-29T08:00:34.000Z","alert":{"kind":"issue","title":"d","level":"error","issue_id":"905","tags":' + b'[' * 250 + b']' * 250 + b'}}',
    b'{"v":1,"id":"b-huge-title","seq":110,"received":"2026-11-29T08:00:35.000Z","alert":{"kind":"issue","level":"error","issue_id":"906","title":"' + b'T' * (4 << 20) + b'"}}',
    b'{"v":1,"id":"b-nul","seq":111,"received":"2026-11-29T08:00:36.000Z","alert":{"kind":"issue","title":"a\\u0000b\\u001b[31m","level":"error\\u0000","issue_id":"9\\u000007","project":"api\\u0000x"}}',
    b'{"v":1,"id":"b-drop-odd","seq":112,"drop":"not an object"}',
    b'{"v":1,"id":"b-digest-odd","digest":[1],"route":"x"}',
    b'{"v":1,"id":"b-route-odd","seq":113,"received":"2026-11-29T08:00:37.000Z","route":{"chat_id":12,"thread_id":"x","silent":"yes"},"rule":["r"],' + ALERT % 8 + b'}',
    b'{"v":1,"id":"b-huge-numbers","seq":1e400,"received":"2026-11-29T08:00:38.000Z","alert":{"kind":"issue","title":"n","level":"error","issue_id":"909","count":-1e400,"users":1e300,"duration_ms":-5,"stacktrace":[{"line":1e300,"file":null,"function":7}],"location":{"line":-1e19}}}',
    b'{"v":1,"id":"b-telegram-string","seq":114,"telegram":"x",' + ALERT % 10 + b'}',
]
out = sys.stdout.buffer
for i, b in enumerate(bad):
    out.write(line(good(i + 1)) + b"\n" + b + b"\n")
out.write(line(good(50)) + b"\n")
