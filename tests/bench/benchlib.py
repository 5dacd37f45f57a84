#!/usr/bin/env python3
"""benchlib: inputs and arithmetic for tests/bench/run (make bench).

  body SIZE MARK OUT [event]   a signed-able Sentry event_alert body of exactly
                               SIZE bytes (wire form: compact, ASCII), built
                               from tests/payloads/event_alert.triggered.json
                               with in-app frames added for the size; MARK
                               (10 characters) stands in the title, the issue
                               id and the event id, for loadgen -m / records
                               (with "event": not in the issue id, so every
                               request is a new event of one issue)
  records BODY MARK N SECRET OUT
                               N sentry-recv records (the record format of
                               CONTRACT.md) of that body, MARK replaced by
                               the record number, each signed afresh
  request BODY SECRET OUT      one whole HTTP request for sentry-recv's stdin
  e2e LOADGEN_LOG FAKETG_LOG   join the load generator's per-request log with
                               the fake Telegram's log by the number in the
                               message text: "delivered=N p50=MS p99=MS max=MS"
  limits FAKETG_LOG            Telegram's flood limits over the sendMessage
                               calls: "msgs=N global1s=N chat1s=N group60s=N ok=yes|no"
  pct FILE COL                 p50/p99 of a numeric column
"""
import bisect
import collections
import hashlib
import hmac
import json
import os
import re
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PAYLOAD = os.path.join(TOP, "tests", "payloads", "event_alert.triggered.json")


def wire(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=True)


def make_body(size, mark, scope="issue"):
    d = json.load(open(PAYLOAD))
    ev = d["data"]["event"]
    ev["title"] = "ReferenceError: heck is not defined [bench %s]" % mark
    # scope "issue": every request a distinct issue; "event": distinct
    # events of one issue (an alert storm from one bug)
    issue = "9" + mark if scope == "issue" else "91117540176"
    ev["issue_id"] = issue
    ev["event_id"] = "e4874d664c3540c1a32eab" + mark
    ev["web_url"] = ("https://sentry.io/organizations/test-org/issues/%s/"
                     "events/%s/" % (issue, ev["event_id"]))
    ev.setdefault("extra", {})
    frames = ev["exception"]["values"][0]["stacktrace"]["frames"]
    if len(wire(d)) > size:
        del frames[:-1]
    i = 0
    while i < 60 and len(wire(d)) < size - 900:
        i += 1
        frames.append({
            "abs_path": "/srv/app/service/handlers/module%d.py" % i,
            "filename": "service/handlers/module%d.py" % i,
            "function": "handle_step_%d" % i, "module": "service.handlers",
            "lineno": 100 + i, "colno": None, "in_app": True,
            "context_line": "    result = process(payload, step=%d)" % i,
            "pre_context": ["def handle_step_%d(payload):" % i,
                            "    # validate input before processing",
                            "    check(payload)"],
            "post_context": ["    return result", ""],
            "vars": {"payload": "{'id': %d, 'items': [...]}" % i,
                     "step": str(i)},
        })
    ev["extra"]["bench_padding"] = ""
    short = size - len(wire(d))
    if short < 0:
        sys.exit("benchlib: cannot build a body of %d bytes" % size)
    ev["extra"]["bench_padding"] = "x" * short
    out = wire(d)
    assert len(out) == size and out.count(mark) == (5 if scope == "issue" else 3)
    return out


def cmd_body(size, mark, out, scope="issue"):
    open(out, "w").write(make_body(int(size), mark, scope))


def sign(secret, data):
    return hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()


def cmd_records(body_path, mark, n, secret, out):
    body = open(body_path).read()
    now = time.time()
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + ".000Z"
    with open(out, "w") as f:
        for i in range(1, int(n) + 1):
            b = body.replace(mark, "%0*d" % (len(mark), i))
            rec = {"v": 1, "id": "bench-%d-%d" % (os.getpid(), i), "seq": i,
                   "received": stamp, "peer": "127.0.0.1", "method": "POST",
                   "path": "/api/sentry-webhook", "query": "",
                   "headers": {"content-type": "application/json",
                               "sentry-hook-resource": "event_alert",
                               "sentry-hook-signature": sign(secret, b.encode()),
                               "sentry-hook-timestamp": str(int(now)),
                               "request-id": "bench-%d" % i},
                   "body": b}
            f.write(wire(rec) + "\n")


def cmd_request(body_path, secret, out):
    body = open(body_path, "rb").read()
    head = ("POST /api/sentry-webhook HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Content-Type: application/json\r\nContent-Length: %d\r\n"
            "Sentry-Hook-Resource: event_alert\r\n"
            "Sentry-Hook-Timestamp: %d\r\nRequest-ID: bench-rss\r\n"
            "Sentry-Hook-Signature: %s\r\nConnection: close\r\n\r\n"
            % (len(body), int(time.time()), sign(secret, body)))
    open(out, "wb").write(head.encode() + body)


def pct(values, p):
    if not values:
        return 0.0
    values = sorted(values)
    return values[int(p * (len(values) - 1) + 0.5)]


def cmd_e2e(loadgen_log, faketg_log):
    sent = {}
    for line in open(loadgen_log):
        num, first_us, status, _ = line.split()
        if status == "202":
            sent[int(num)] = int(first_us) / 1e6
    got = {}
    for line in open(faketg_log):
        try:
            r = json.loads(line)
        except ValueError:
            continue
        if r.get("method") != "sendMessage" or not r.get("delivered"):
            continue
        for m in re.finditer(r"(?:\[bench |issues/9)(\d{10})\b", str(r.get("params", {}).get("text", ""))):
            n = int(m.group(1))
            if n in sent and n not in got:
                got[n] = r["t"]
    lat = [(got[n] - sent[n]) * 1e3 for n in got]
    print("accepted=%d delivered=%d p50=%.1f p99=%.1f max=%.1f"
          % (len(sent), len(got), pct(lat, .5), pct(lat, .99), max(lat or [0])))


def max_in_window(times, width):
    best = 0
    for i, t in enumerate(times):
        j = bisect.bisect_right(times, t + width - 1e-9)
        best = max(best, j - i)
    return best


def cmd_limits(faketg_log):
    all_t, per_chat = [], collections.defaultdict(list)
    try:
        lines = open(faketg_log).readlines()
    except OSError:
        lines = []
    for line in lines:
        try:
            r = json.loads(line)
        except ValueError:
            continue
        if r.get("method") != "sendMessage" or r.get("status") == 0 and not r.get("delivered"):
            continue
        t = r["t"]
        all_t.append(t)
        per_chat[str(r.get("params", {}).get("chat_id"))].append(t)
    all_t.sort()
    chat1 = max([max_in_window(sorted(v), 1.0) for v in per_chat.values()] or [0])
    group60 = max([max_in_window(sorted(v), 60.0) for k, v in per_chat.items()
                   if k.startswith("-")] or [0])
    g1 = max_in_window(all_t, 1.0)
    # Telegram: about 30 messages/s overall, 1/s in one chat (short bursts
    # tolerated), 20/minute in one group.
    ok = g1 <= 30 and chat1 <= 1 and group60 <= 20
    print("msgs=%d global1s=%d chat1s=%d group60s=%d ok=%s"
          % (len(all_t), g1, chat1, group60, "yes" if ok else "no"))


def cmd_pct(path, col):
    vals = [float(l.split()[int(col)]) for l in open(path) if l.strip()]
    print("p50=%.1f p99=%.1f" % (pct(vals, .5), pct(vals, .99)))


if __name__ == "__main__":
    cmds = {"body": cmd_body, "records": cmd_records, "request": cmd_request,
            "e2e": cmd_e2e, "limits": cmd_limits, "pct": cmd_pct}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.exit(__doc__)
    cmds[sys.argv[1]](*sys.argv[2:])
