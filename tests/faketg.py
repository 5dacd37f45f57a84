#!/usr/bin/env python3
"""faketg: a fake Telegram Bot API server for the sentry-tg tests.

Usage:
    python3 tests/faketg.py --port-file FILE --log FILE [--token TOKEN]
                            [--faults FILE] [--updates FILE]
                            [--group-limit N/SECONDS]
                            [--tls-cert PEM --tls-key PEM]

Listens on 127.0.0.1, port 0 (the kernel picks one), HTTP/1.1 with
keep-alive.  Once it listens it writes the port number and a newline to
--port-file (atomically: temporary file + rename), so a test may poll for
that file and then connect.  SIGTERM or SIGINT stops it with status 0
(handler threads are daemons: a "hang" fault never delays the exit).

Requests: POST or GET /bot<TOKEN>/<method>, parameters from the query
string and from the body as application/json, x-www-form-urlencoded or
multipart/form-data, as the real Bot API accepts them.

  --token TOKEN   the one valid token; any other gets
                  401 {"ok":false,"error_code":401,"description":"Unauthorized"}.
                  Without --token every non-empty token is accepted.
  --log FILE      one JSON line appended per API call (see below).
  --faults FILE   injected faults (see below).
  --updates FILE  a JSON array of Update objects for getUpdates (default:
                  a private chat, a group, a supergroup and a channel).
  --group-limit N/SECONDS
                  Telegram's limit for groups: a sendMessage to a group
                  chat (a negative chat_id) that already took N messages
                  in the last SECONDS (a fraction allowed) is answered 429
                  "Too Many Requests: retry after R" with
                  parameters.retry_after R (whole seconds until the oldest
                  of them leaves the window); logged with "fault":
                  "group_limit".  Default: no limit.
  --tls-cert PEM, --tls-key PEM
                  serve HTTPS with this certificate and key.

A request whose target is an absolute URL ("POST http://host/bot.../m", as
clients send to an HTTP proxy) is served the same and logged with
"proxied": true, so a test can point a client's proxy setting here.

Methods:
  sendMessage  checks like Telegram: chat_id and text present, with
               parse_mode HTML the markup must parse (tags b strong i em u
               ins s strike del span tg-spoiler a code pre blockquote
               tg-emoji; entities &lt; &gt; &amp; &quot; &#N; &#xN;, any
               other &name; is literal text), the text after parsing at
               most 4096 UTF-16 code units, every URL button's host with
               a dot (else 400 "Bad Request: BUTTON_URL_INVALID", as
               Telegram answers for http://localhost/...).  Answers
               {"ok":true,"result":{"message_id":N,"from":{..bot..},
               "chat":{"id":..,"type":..},"date":..,"text":..}} with N
               counting up from 1 across the whole run.
  getMe        the bot: {"id":<token's number>,"is_bot":true,
               "first_name":"Sentry Alerts","username":"sentry_tg_test_bot",...}
  getUpdates   the updates (honours "offset": only update_id >= offset).
  other        404 {"ok":false,"error_code":404,"description":"Not Found"}.

Log lines (never the token itself):
  {"t":<unix time, float, when the request was read>,"call":N,"conn":C,
   "method":"sendMessage","token_ok":true,"params":{...},"status":200,
   "fault":"<kind>"|null,"delivered":true|false,"message_id":N|null,
   "proxied":false}
  call counts API calls from 1; conn numbers TCP connections from 1 (equal
  conn on two lines = the client reused the connection); delivered is true
  when the message counts as accepted by Telegram (a 200 sendMessage, or a
  drop_after_accept / hang with "accept").  status is 0 when no answer was
  sent (drop, drop_after_accept, hang).

Faults: a JSON array of rules.  For every API call the rules are tried in
order; the first rule whose matchers all hold and which has firings left
applies.  Matchers (all optional; a rule without any matches every call):
  "call": N            the N-th API call of the run (1-based, all methods)
  "method": "sendMessage"
  "chat_id": "-100999" compared as a string with the request's chat_id
  "text_contains": "x" substring of the request's "text"
  "max_text": N        the request's "text" is at most N UTF-16 code units
                       (so a fault can hit the parts of a split message and
                       not the whole)
  "times": N           the rule fires at most N times (default: no limit)
  "while_exists": PATH the rule holds only while the file PATH exists, so
                       that a test can start and end an outage when it
                       wants (touch PATH, rm PATH)
Kinds ("kind"; a rule with "status" and no "kind" is kind "status"):
  status            answer {"ok":false,"error_code":status,"description":..}
                    with HTTP status "status"; "description" optional
                    (defaults as Telegram words them); "retry_after": N adds
                    parameters.retry_after (default description for 429:
                    "Too Many Requests: retry after N").
  too_many          the same as {"status":429}; "retry_after" default 1.
  html502           502 with nginx's HTML error page (text/html), as
                    Telegram's front ends answer when the backend is down.
  html              like html502 but with "status" (default 502).
  drop              close the connection without answering; not accepted.
  drop_after_accept accept the message (it is delivered, gets a message_id)
                    then close the connection without answering.
  hang              sleep "seconds" (default 30) without answering, then
                    close; with "accept": true the message is accepted
                    after the sleep (delivered) and answered normally.
  slow              sleep "seconds" (default 1), then handle normally.
  blocked           403 "Forbidden: bot was blocked by the user"
  kicked            403 "Forbidden: bot was kicked from the group chat"
  chat_not_found    400 "Bad Request: chat not found"
  thread_not_found  400 "Bad Request: message thread not found" when the
                    request has a message_thread_id
  migrate           400 "Bad Request: group chat was upgraded to a supergroup
                    chat" with parameters.migrate_to_chat_id = "to" (number)
  parse_entities    400 "Bad Request: can't parse entities: ..." but only
                    when the request has a parse_mode (Telegram parses no
                    markup in plain text); "description" optional.
  too_long          400 "Bad Request: message is too long" when the text is
                    longer than "max" UTF-16 code units (default 0: always).
  unauthorized      401 "Unauthorized"
Example:
  [{"call":1,"status":429,"retry_after":2},
   {"call":2,"kind":"html502"},
   {"call":3,"kind":"drop_after_accept"},
   {"call":4,"kind":"hang","seconds":30},
   {"chat_id":"-100999","kind":"blocked"},
   {"chat_id":"-42","kind":"migrate","to":"-1001234"},
   {"text_contains":"<x>","kind":"parse_entities"},
   {"text_contains":"LONG","kind":"too_long","max":1000,"times":1}]
"""

import argparse
import collections
import email.parser
import math
import email.policy
import html
import json
import os
import re
import signal
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_TEXT = 4096
BOT_USERNAME = "sentry_tg_test_bot"

NGINX_502 = (b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n"
             b"<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n"
             b"<hr><center>nginx/1.18.0</center>\r\n</body>\r\n</html>\r\n")

DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request",
    500: "Internal Server Error",
    502: "Bad Gateway",
    504: "Gateway Timeout",
}

ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del",
                "span", "tg-spoiler", "a", "code", "pre", "blockquote",
                "tg-emoji"}


class FaultRule:
    def __init__(self, spec, index):
        if not isinstance(spec, dict):
            raise ValueError("fault %d: not an object" % index)
        self.spec = spec
        self.kind = spec.get("kind", "status" if "status" in spec else None)
        if self.kind is None:
            raise ValueError("fault %d: no kind and no status" % index)
        self.left = spec.get("times")

    def matches(self, call, method, params):
        s = self.spec
        if self.left is not None and self.left <= 0:
            return False
        if "call" in s and s["call"] != call:
            return False
        if "while_exists" in s and not os.path.exists(s["while_exists"]):
            return False
        if "method" in s and s["method"] != method:
            return False
        if "chat_id" in s and str(s["chat_id"]) != str(params.get("chat_id")):
            return False
        if "text_contains" in s:
            text = params.get("text")
            if not isinstance(text, str) or s["text_contains"] not in text:
                return False
        if "max_text" in s:
            text = params.get("text")
            if not isinstance(text, str) or utf16_len(text) > int(s["max_text"]):
                return False
        if self.kind == "thread_not_found" and "message_thread_id" not in params:
            return False
        if self.kind == "parse_entities" and not params.get("parse_mode"):
            return False
        if self.kind == "too_long":
            text = params.get("text")
            if not isinstance(text, str):
                return False
            if utf16_len(visible_text(params)) <= int(s.get("max", 0)):
                return False
        return True


class State:
    def __init__(self, args):
        self.token = args.token
        self.lock = threading.Lock()
        self.calls = 0
        self.conns = 0
        self.next_message_id = 1
        self.faults = []
        if args.faults:
            with open(args.faults, encoding="utf-8") as f:
                specs = json.load(f)
            if not isinstance(specs, list):
                raise ValueError("faults: not a JSON array")
            self.faults = [FaultRule(s, i) for i, s in enumerate(specs)]
        if args.updates:
            with open(args.updates, encoding="utf-8") as f:
                self.updates = json.load(f)
        else:
            self.updates = default_updates()
        self.log = open(args.log, "a", encoding="utf-8")
        self.group_limit = None
        if args.group_limit:
            n, secs = args.group_limit.split("/", 1)
            self.group_limit = (int(n), float(secs))
        self.group_sends = collections.defaultdict(collections.deque)

    def group_wait(self, chat_id, now):
        """Seconds until a group chat may take another message (0: now),
        noting the message when it may."""
        if self.group_limit is None:
            return 0
        try:
            if int(chat_id) >= 0:
                return 0
        except (TypeError, ValueError):
            return 0
        n, secs = self.group_limit
        with self.lock:
            q = self.group_sends[str(chat_id)]
            while q and q[0] <= now - secs:
                q.popleft()
            if len(q) >= n:
                return q[0] + secs - now
            q.append(now)
            return 0

    def new_call(self):
        with self.lock:
            self.calls += 1
            return self.calls

    def new_conn(self):
        with self.lock:
            self.conns += 1
            return self.conns

    def message_id(self):
        with self.lock:
            n = self.next_message_id
            self.next_message_id += 1
            return n

    def fault_for(self, call, method, params):
        with self.lock:
            for rule in self.faults:
                if rule.matches(call, method, params):
                    if rule.left is not None:
                        rule.left -= 1
                    return rule
        return None

    def write_log(self, entry):
        line = json.dumps(entry, ensure_ascii=False, separators=(",", ":"))
        with self.lock:
            self.log.write(line + "\n")
            self.log.flush()


def default_updates():
    now = int(time.time())
    user = {"id": 111111111, "is_bot": False, "first_name": "Anna",
            "username": "anna_dev", "language_code": "ru"}
    return [
        {"update_id": 500000001,
         "message": {"message_id": 1, "from": user,
                     "chat": {"id": 111111111, "first_name": "Anna",
                              "username": "anna_dev", "type": "private"},
                     "date": now - 300, "text": "/start",
                     "entities": [{"offset": 0, "length": 6,
                                   "type": "bot_command"}]}},
        {"update_id": 500000002,
         "my_chat_member": {"chat": {"id": -4012345678, "title": "Dev team",
                                     "type": "group",
                                     "all_members_are_administrators": True},
                            "from": user, "date": now - 200,
                            "old_chat_member": {"user": {"id": 123456, "is_bot": True, "first_name": "Sentry Alerts", "username": BOT_USERNAME}, "status": "left"},
                            "new_chat_member": {"user": {"id": 123456, "is_bot": True, "first_name": "Sentry Alerts", "username": BOT_USERNAME}, "status": "member"}}},
        {"update_id": 500000003,
         "message": {"message_id": 7, "from": user,
                     "chat": {"id": -1001987654321, "title": "Alerts (prod)",
                              "type": "supergroup", "is_forum": True},
                     "message_thread_id": 3, "is_topic_message": True,
                     "date": now - 100, "text": "hello bot"}},
        {"update_id": 500000004,
         "channel_post": {"message_id": 12,
                          "sender_chat": {"id": -1001555000111, "title": "Ops feed", "type": "channel"},
                          "chat": {"id": -1001555000111, "title": "Ops feed",
                                   "username": "ops_feed", "type": "channel"},
                          "date": now - 50, "text": "test"}},
    ]


def utf16_len(s):
    return len(s.encode("utf-16-le")) // 2


class MarkupError(Exception):
    pass


TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s[^>]*)?)>")
ENTITY_RE = re.compile(r"&(#[0-9]+|#[xX][0-9a-fA-F]+|[a-zA-Z]+);")


def parse_html(text):
    """Telegram-like HTML parse: the visible text, or MarkupError."""
    out = []
    stack = []
    i = 0
    raw = text.encode("utf-8")
    while i < len(text):
        c = text[i]
        if c == "<":
            m = TAG_RE.match(text, i)
            offset = len(text[:i].encode("utf-8"))
            if not m:
                raise MarkupError("Unsupported start tag \"\" at byte offset %d" % offset)
            closing, name = m.group(1), m.group(2).lower()
            if name not in ALLOWED_TAGS:
                raise MarkupError("Unsupported start tag \"%s\" at byte offset %d" % (name, offset))
            if closing:
                if not stack or stack[-1] != name:
                    raise MarkupError("Unexpected end tag at byte offset %d" % offset)
                stack.pop()
            else:
                if name == "a" and "href" not in m.group(3):
                    pass
                stack.append(name)
            i = m.end()
        elif c == "&":
            m = ENTITY_RE.match(text, i)
            if m and m.group(1) in ("lt", "gt", "amp", "quot"):
                out.append(html.unescape(m.group(0)))
                i = m.end()
            elif m and m.group(1).startswith("#"):
                try:
                    v = m.group(1)[1:]
                    out.append(chr(int(v[1:], 16) if v[:1] in "xX" else int(v)))
                except (ValueError, OverflowError):
                    raise MarkupError("Invalid character entity at byte offset %d" % len(text[:i].encode("utf-8")))
                i = m.end()
            else:
                out.append(c)
                i += 1
        else:
            out.append(c)
            i += 1
    if stack:
        raise MarkupError("Can't find end tag corresponding to start tag \"%s\"" % stack[-1])
    del raw
    return "".join(out)


def visible_text(params):
    text = params.get("text")
    if not isinstance(text, str):
        return ""
    if str(params.get("parse_mode", "")).lower() == "html":
        try:
            return parse_html(text)
        except MarkupError:
            return text
    return text


def buttons_ok(markup):
    """False when a URL button's host has no dot (Telegram refuses it)."""
    if not isinstance(markup, dict):
        return True
    for row in markup.get("inline_keyboard") or []:
        for b in row if isinstance(row, list) else []:
            if isinstance(b, dict) and "url" in b:
                host = urllib.parse.urlsplit(str(b["url"])).hostname or ""
                if "." not in host:
                    return False
    return True


def chat_object(chat_id):
    try:
        cid = int(chat_id)
    except (TypeError, ValueError):
        return {"id": -1001000000000, "title": str(chat_id), "type": "channel",
                "username": str(chat_id).lstrip("@")}
    if cid > 0:
        return {"id": cid, "first_name": "Anna", "type": "private"}
    if cid <= -1000000000000:
        return {"id": cid, "title": "Alerts", "type": "supergroup"}
    return {"id": cid, "title": "Alerts", "type": "group"}


def bot_id(token):
    head = (token or "").split(":", 1)[0]
    return int(head) if head.isdigit() else 123456


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without TCP_NODELAY, Nagle
    # holds the body until the client's delayed ACK (40 ms a message).
    disable_nagle_algorithm = True
    server_version = "nginx/1.18.0"
    sys_version = ""
    state = None

    def setup(self):
        if hasattr(self.request, "do_handshake"):
            self.request.settimeout(10)
            self.request.do_handshake()
            self.request.settimeout(None)
        super().setup()
        self.conn_id = self.state.new_conn()

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        self.handle_api()

    def do_POST(self):
        self.handle_api()

    def send_body(self, status, body, ctype="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "keep-alive")
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def send_json(self, status, obj):
        self.send_body(status, json.dumps(obj, ensure_ascii=False,
                                         separators=(",", ":")).encode("utf-8"))

    def read_params(self):
        params = {}
        url = urllib.parse.urlsplit(self.path)
        for k, v in urllib.parse.parse_qsl(url.query, keep_blank_values=True):
            params[k] = v
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        ctype = self.headers.get("Content-Type", "")
        if body:
            if ctype.startswith("application/json"):
                obj = json.loads(body.decode("utf-8"))
                if not isinstance(obj, dict):
                    raise ValueError("JSON body is not an object")
                params.update(obj)
            elif ctype.startswith("application/x-www-form-urlencoded"):
                for k, v in urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True):
                    params[k] = v
            elif ctype.startswith("multipart/form-data"):
                msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                    b"Content-Type: " + ctype.encode("latin-1") + b"\r\n\r\n" + body)
                for part in msg.iter_parts():
                    name = part.get_param("name", header="content-disposition")
                    if name:
                        params[name] = part.get_content()
                        if isinstance(params[name], bytes):
                            params[name] = params[name].decode("utf-8", "replace")
        # Form fields that Telegram reads as JSON.
        for k in ("reply_markup", "link_preview_options", "entities"):
            if isinstance(params.get(k), str):
                try:
                    params[k] = json.loads(params[k])
                except ValueError:
                    pass
        return url.path, params

    def handle_api(self):
        t = time.time()
        st = self.state
        try:
            path, params = self.read_params()
            bad_body = None
        except (ValueError, UnicodeDecodeError) as e:
            path, params, bad_body = urllib.parse.urlsplit(self.path).path, {}, str(e)
        m = re.match(r"^/bot([^/]*)/([A-Za-z]+)$", path)
        call = st.new_call()
        entry = {"t": round(t, 6), "call": call, "conn": self.conn_id,
                 "method": m.group(2) if m else None, "token_ok": False,
                 "params": params, "status": 0, "fault": None,
                 "delivered": False, "message_id": None,
                 "proxied": "://" in self.path.split("?", 1)[0]}
        try:
            self.dispatch(m, params, bad_body, entry)
        finally:
            if not entry.pop("_logged", False):
                st.write_log(entry)

    def answer_error(self, entry, status, description, parameters=None):
        body = {"ok": False, "error_code": status, "description": description}
        if parameters:
            body["parameters"] = parameters
        entry["status"] = status
        self.send_json(status, body)

    def dispatch(self, m, params, bad_body, entry):
        st = self.state
        if not m:
            self.answer_error(entry, 404, "Not Found")
            return
        token, method = m.group(1), m.group(2)
        token_ok = bool(token) and (st.token is None or token == st.token)
        entry["token_ok"] = token_ok
        if not token_ok:
            self.answer_error(entry, 401, "Unauthorized")
            return
        if bad_body is not None:
            self.answer_error(entry, 400, "Bad Request: can't parse JSON object")
            return
        rule = st.fault_for(entry["call"], method, params)
        if rule is not None:
            entry["fault"] = rule.kind
            if self.apply_fault(rule, method, params, entry, token):
                return
        self.normal(method, params, entry, token)

    def apply_fault(self, rule, method, params, entry, token):
        """Answer per the rule; False = go on with the normal answer."""
        s, kind = rule.spec, rule.kind
        if kind in ("status", "too_many"):
            status = int(s.get("status", 429))
            parameters = None
            desc = s.get("description")
            if "retry_after" in s or status == 429:
                ra = int(s.get("retry_after", 1))
                parameters = {"retry_after": ra}
                if desc is None and status == 429:
                    desc = "Too Many Requests: retry after %d" % ra
            if desc is None:
                desc = DEFAULT_DESCRIPTIONS.get(status, "Error")
            self.answer_error(entry, status, desc, parameters)
        elif kind in ("html502", "html"):
            status = int(s.get("status", 502)) if kind == "html" else 502
            entry["status"] = status
            page = NGINX_502 if status == 502 else (
                "<html><head><title>%d</title></head><body><h1>%d</h1></body></html>\r\n"
                % (status, status)).encode()
            self.send_body(status, page, "text/html")
        elif kind == "drop":
            self.close_connection = True
        elif kind == "drop_after_accept":
            self.accept(method, params, entry, token)
            self.close_connection = True
        elif kind == "hang":
            if not s.get("accept"):
                # Logged now: a test may stop the server before the sleep ends.
                self.state.write_log(entry)
                entry["_logged"] = True
            time.sleep(float(s.get("seconds", 30)))
            if s.get("accept"):
                return False
            self.close_connection = True
        elif kind == "slow":
            time.sleep(float(s.get("seconds", 1)))
            return False
        elif kind == "blocked":
            self.answer_error(entry, 403, "Forbidden: bot was blocked by the user")
        elif kind == "kicked":
            self.answer_error(entry, 403, "Forbidden: bot was kicked from the group chat")
        elif kind == "chat_not_found":
            self.answer_error(entry, 400, "Bad Request: chat not found")
        elif kind == "thread_not_found":
            self.answer_error(entry, 400, "Bad Request: message thread not found")
        elif kind == "migrate":
            to = int(s.get("to", -1001000000001))
            self.answer_error(entry, 400,
                              "Bad Request: group chat was upgraded to a supergroup chat",
                              {"migrate_to_chat_id": to})
        elif kind == "parse_entities":
            self.answer_error(entry, 400, s.get(
                "description",
                "Bad Request: can't parse entities: Unsupported start tag \"x\" at byte offset 0"))
        elif kind == "too_long":
            self.answer_error(entry, 400, "Bad Request: message is too long")
        elif kind == "unauthorized":
            self.answer_error(entry, 401, "Unauthorized")
        else:
            self.answer_error(entry, 500, "Internal Server Error: unknown fault kind %s" % kind)
        return True

    def accept(self, method, params, entry, token):
        """Validate a sendMessage like Telegram; the result object or None
        after answering an error."""
        if method != "sendMessage":
            return None
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            self.answer_error(entry, 400, "Bad Request: chat_id is empty")
            return None
        text = params.get("text")
        if not isinstance(text, str) or text.strip() == "":
            self.answer_error(entry, 400, "Bad Request: message text is empty")
            return None
        mode = str(params.get("parse_mode", "") or "")
        if mode and mode.lower() not in ("html", "markdown", "markdownv2"):
            self.answer_error(entry, 400, "Bad Request: unsupported parse_mode")
            return None
        shown = text
        if mode.lower() == "html":
            try:
                shown = parse_html(text)
            except MarkupError as e:
                self.answer_error(entry, 400, "Bad Request: can't parse entities: %s" % e)
                return None
        if utf16_len(shown) > MAX_TEXT:
            self.answer_error(entry, 400, "Bad Request: message is too long")
            return None
        if not buttons_ok(params.get("reply_markup")):
            self.answer_error(entry, 400, "Bad Request: BUTTON_URL_INVALID")
            return None
        mid = self.state.message_id()
        entry["delivered"] = True
        entry["message_id"] = mid
        return {"message_id": mid,
                "from": {"id": bot_id(token), "is_bot": True,
                         "first_name": "Sentry Alerts", "username": BOT_USERNAME},
                "chat": chat_object(chat_id), "date": int(time.time()),
                "text": shown}

    def normal(self, method, params, entry, token):
        if method == "sendMessage":
            wait = self.state.group_wait(params.get("chat_id"), entry["t"])
            if wait > 0:
                ra = max(1, math.ceil(wait))
                entry["fault"] = "group_limit"
                self.answer_error(entry, 429, "Too Many Requests: retry "
                                  "after %d" % ra, {"retry_after": ra})
                return
            result = self.accept(method, params, entry, token)
            if result is not None:
                entry["status"] = 200
                self.send_json(200, {"ok": True, "result": result})
        elif method == "getMe":
            entry["status"] = 200
            self.send_json(200, {"ok": True, "result": {
                "id": bot_id(token), "is_bot": True, "first_name": "Sentry Alerts",
                "username": BOT_USERNAME, "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
                "can_connect_to_business": False, "has_main_web_app": False}})
        elif method == "getUpdates":
            try:
                offset = int(params.get("offset", 0) or 0)
            except (TypeError, ValueError):
                offset = 0
            ups = [u for u in self.state.updates
                   if not offset or u.get("update_id", 0) >= offset]
            entry["status"] = 200
            self.send_json(200, {"ok": True, "result": ups})
        else:
            self.answer_error(entry, 404, "Not Found")


def write_port(path, port):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description="fake Telegram Bot API server")
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--token")
    ap.add_argument("--faults")
    ap.add_argument("--updates")
    ap.add_argument("--group-limit")
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    args = ap.parse_args()
    try:
        state = State(args)
    except (OSError, ValueError) as e:
        print("faketg: %s" % e, file=sys.stderr)
        return 2
    Handler.state = state

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        allow_reuse_address = True

        def handle_error(self, request, client_address):
            # One line, not a traceback: failed TLS handshakes and clients
            # that hang up are part of the tests.
            print("faketg: %s: %s" % (client_address[0], sys.exc_info()[1]),
                  file=sys.stderr)

    server = Server(("127.0.0.1", 0), Handler)
    if args.tls_cert:
        import ssl
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        # The handshake happens in the handler's thread (Handler.setup), so
        # a client that never completes one cannot block the others.
        server.socket = ctx.wrap_socket(server.socket, server_side=True,
                                        do_handshake_on_connect=False)

    def stop(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    write_port(args.port_file, server.server_address[1])
    try:
        server.serve_forever(poll_interval=0.1)
    except SystemExit:
        pass
    finally:
        server.server_close()
        state.log.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
