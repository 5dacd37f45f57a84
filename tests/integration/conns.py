#!/usr/bin/env python3
"""conns.py PORT COUNT [--send TEXT] [--pad N] [--source ADDR]
                [--hold SECONDS] [--until FILE]

Open COUNT connections to 127.0.0.1:PORT (from ADDR, any 127.x address,
when given), send TEXT on each (with backslash escapes: "POST / HTTP/1.1\\r\\n...")
followed by N bytes "x" (nothing by default: idle connections), print
"ready N"
with the number that connected, then hold them for SECONDS (default 60)
or until FILE exists, and print what each one was answered with:
"answers: 202 closed 503 ..." (a status per connection, "none" when it
is still open without an answer, "closed" when closed without one)."""
import codecs
import os
import re
import select
import socket
import sys
import time

port, count = int(sys.argv[1]), int(sys.argv[2])
args = sys.argv[3:]
send = b""
pad = 0
source = None
hold = 60.0
until = None
while args:
    opt, val = args[0], args[1]
    args = args[2:]
    if opt == "--send":
        send = codecs.decode(val, "unicode_escape").encode("latin-1")
    elif opt == "--pad":
        pad = int(val)
    elif opt == "--source":
        source = val
    elif opt == "--hold":
        hold = float(val)
    elif opt == "--until":
        until = val

socks = []
for _ in range(count):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=5,
                                     source_address=(source, 0) if source else None)
        if send or pad:
            s.sendall(send + b"x" * pad)
        s.setblocking(False)
        socks.append(s)
    except OSError:
        break
print("ready", len(socks), flush=True)

got = {s: b"" for s in socks}
closed = set()
deadline = time.time() + hold
while time.time() < deadline and not (until and os.path.exists(until)):
    r, _, _ = select.select([s for s in socks if s not in closed], [], [], 0.2)
    for s in r:
        try:
            chunk = s.recv(65536)
        except OSError:
            chunk = b""
        if chunk:
            got[s] += chunk
        else:
            closed.add(s)

out = []
for s in socks:
    m = re.search(rb"HTTP/1\.[01] (\d{3}) ", got[s])
    out.append(m.group(1).decode() if m else "closed" if s in closed else "none")
print("answers:", " ".join(out), flush=True)
