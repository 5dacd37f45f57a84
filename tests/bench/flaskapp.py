"""flaskapp: the Python alternative sentry-recv is measured against in
`make bench`: a Flask app doing the receiver's job (append the request as
one JSON line to a file under a lock, fdatasync, answer 202), run by
tests/bench/run under gunicorn with 2 workers:

    BENCH_SPOOL=FILE gunicorn -w 2 -b 127.0.0.1:PORT --chdir tests/bench flaskapp:app
"""
import fcntl
import json
import os
import time
import uuid

from flask import Flask, request

app = Flask(__name__)
SPOOL = os.environ.get("BENCH_SPOOL", "flask-spool.ndjson")
fd = None


@app.route("/api/sentry-webhook", methods=["POST"])
def webhook():
    global fd
    if fd is None:
        fd = os.open(SPOOL, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    body = request.get_data()
    rec = {"v": 1, "id": uuid.uuid4().hex,
           "received": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
           "peer": request.remote_addr, "method": request.method,
           "path": request.path, "query": request.query_string.decode("latin-1"),
           "headers": {k.lower(): v for k, v in request.headers.items()},
           "body": body.decode("utf-8", "replace")}
    line = (json.dumps(rec, separators=(",", ":")) + "\n").encode()
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        os.write(fd, line)
        os.fdatasync(fd)
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
    return "accepted\n", 202
