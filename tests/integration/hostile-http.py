#!/usr/bin/env python3
"""hostile-http.py PORT [--slow SECONDS] < REQUEST-BYTES: send raw bytes
to 127.0.0.1:PORT, read until the server closes (at most 10 s), and
print the status code of every response on one line ("202 400"), or
"closed" when nothing came back.  --slow sends one byte per interval."""
import re
import socket
import sys
import time

port = int(sys.argv[1])
slow = float(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[2] == "--slow" else 0
data = sys.stdin.buffer.read()
s = socket.create_connection(("127.0.0.1", port), timeout=10)
try:
    if slow:
        for i in range(len(data)):
            s.sendall(data[i:i + 1])
            time.sleep(slow)
    else:
        s.sendall(data)
    s.shutdown(socket.SHUT_WR)
except OSError:
    pass
got = b""
deadline = time.time() + 10
while time.time() < deadline:
    try:
        chunk = s.recv(65536)
    except OSError:
        break
    if not chunk:
        break
    got += chunk
codes = re.findall(rb"HTTP/1\.[01] (\d{3}) ", got)
print(" ".join(c.decode() for c in codes) or "closed")
