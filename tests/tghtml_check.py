#!/usr/bin/env python3
"""Check sentry-fmt output as strictly as Telegram's Bot API would.

Reads NDJSON records (sentry-fmt's stdout) on stdin, or from the files
named as arguments.  For every record with a "telegram" object it checks:

* the line is valid UTF-8 and one JSON object;
* method sendMessage, parse_mode HTML, link previews off,
  disable_notification a boolean, message_thread_id a positive integer;
* chat_id, when present, a number-like string or an @channel name;
* the text: valid UTF-8 (no lone surrogates), only the tags Telegram's HTML
  mode knows (b strong i em u ins s strike del span class="tg-spoiler"
  tg-spoiler a href code pre blockquote [expandable] tg-emoji emoji-id),
  properly nested and closed, no nested <a> or <blockquote>, nothing inside
  <code>/<pre> but <code> in <pre>, "&" only as &lt; &gt; &amp; &quot; or a
  numeric entity of a valid character, no control characters, and at most
  4096 UTF-16 units once tags are removed and entities decoded (and not
  empty);
* the reply_markup button: text, and a URL that is http(s) with a host
  that has a dot, no spaces or quotes.

With --all-formatted, every record carrying an "alert" or "digest" object
(other than kind "installation") must have a "telegram" object.
Prints one line per problem and exits 1 if there was any.
"""
import json
import re
import sys

MAX_UNITS = 4096
PLAIN_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del",
              "tg-spoiler", "pre"}
NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
TAG_RE = re.compile(r"<(/?)([a-z][a-z0-9-]*)((?:\s+[a-z-]+(?:\s*=\s*\"[^\"<]*\")?)*)\s*>")
ATTR_RE = re.compile(r"\s+([a-z-]+)(?:\s*=\s*\"([^\"<]*)\")?")
ENTITY_RE = re.compile(r"&(?:(lt|gt|amp|quot)|#([0-9]{1,8})|#[xX]([0-9a-fA-F]{1,8}));")
CHAT_RE = re.compile(r"^(-?[0-9]{1,19}|@[A-Za-z0-9_]{4,32})$")


def utf16_units(s):
    return len(s.encode("utf-16-le", "surrogatepass")) // 2


def decode_entities(s, where):
    """Decode entities in s; raise ValueError for any unknown one."""
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c != "&":
            out.append(c)
            i += 1
            continue
        m = ENTITY_RE.match(s, i)
        if not m:
            raise ValueError("%s: '&' not starting a known entity at %d: %r"
                             % (where, i, s[i:i + 12]))
        if m.group(1):
            out.append(NAMED[m.group(1)])
        else:
            cp = int(m.group(2), 10) if m.group(2) else int(m.group(3), 16)
            if cp == 0 or 0xD800 <= cp <= 0xDFFF or cp > 0x10FFFF:
                raise ValueError("%s: entity of an invalid character %r"
                                 % (where, m.group(0)))
            out.append(chr(cp))
        i = m.end()
    return "".join(out)


def url_ok(url):
    """A URL Telegram takes in <a href> and in a URL button."""
    if not isinstance(url, str) or len(url) > 2048:
        return False
    m = re.match(r"^[Hh][Tt][Tt][Pp][Ss]?://([^/?#]*)(.*)$", url)
    if not m or re.search(r"[\x00-\x20\x7f\"<>\\]", url):
        return False
    host = m.group(1)
    if "@" in host:
        return False
    host = re.sub(r":[0-9]+$", "", host)
    labels = host.split(".")
    return len(labels) >= 2 and all(
        l and re.match(r"^[-A-Za-z0-9\u0080-\U0010ffff]+$", l) for l in labels)


def check_html(text):
    """Return (problems, visible_units)."""
    problems = []
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:
        return ["text is not valid UTF-8 (lone surrogate?): %s" % e], 0
    stack, visible, i = [], [], 0
    while i < len(text):
        c = text[i]
        if c == "<":
            m = TAG_RE.match(text, i)
            if not m:
                problems.append("'<' not starting a valid tag at %d: %r"
                                % (i, text[i:i + 20]))
                return problems, 0
            closing, name, attrs = m.group(1), m.group(2), m.group(3)
            if closing:
                if attrs.strip():
                    problems.append("attributes in end tag </%s>" % name)
                if not stack:
                    problems.append("end tag </%s> without start" % name)
                    return problems, 0
                if stack[-1] != name:
                    problems.append("end tag </%s>, expected </%s>"
                                    % (name, stack[-1]))
                    return problems, 0
                stack.pop()
            else:
                a = {}
                for am in ATTR_RE.finditer(attrs):
                    a[am.group(1)] = am.group(2)
                try:
                    for k, v in a.items():
                        if v is not None:
                            a[k] = decode_entities(v, "attribute")
                except ValueError as e:
                    problems.append(str(e))
                    return problems, 0
                ok = False
                if name in PLAIN_TAGS:
                    ok = not a
                elif name == "span":
                    ok = a == {"class": "tg-spoiler"}
                elif name == "a":
                    ok = set(a) == {"href"} and bool(a["href"])
                    if ok and not url_ok(a["href"]):
                        problems.append("link whose URL Telegram refuses: %r"
                                        % a["href"][:80])
                elif name == "code":
                    ok = not a or (set(a) == {"class"} and a["class"] and
                                   a["class"].startswith("language-"))
                elif name == "blockquote":
                    ok = not a or (set(a) == {"expandable"} and
                                   a["expandable"] is None)
                elif name == "tg-emoji":
                    ok = set(a) == {"emoji-id"} and (a["emoji-id"] or "").isdigit()
                if not ok:
                    problems.append("unsupported tag or attributes: %r"
                                    % m.group(0)[:60])
                    return problems, 0
                if name in ("a", "blockquote") and name in stack:
                    problems.append("nested <%s>" % name)
                if "code" in stack or ("pre" in stack and not (
                        name == "code" and stack[-1] == "pre")):
                    problems.append("<%s> inside <code>/<pre>" % name)
                stack.append(name)
            i = m.end()
            continue
        if c == "&":
            m = ENTITY_RE.match(text, i)
            if not m:
                problems.append("'&' not starting a known entity at %d: %r"
                                % (i, text[i:i + 12]))
                return problems, 0
            visible.append(decode_entities(m.group(0), "text"))
            i = m.end()
            continue
        if (ord(c) < 0x20 and c not in "\t\n\r") or c == "\x7f":
            problems.append("control character U+%04X at %d" % (ord(c), i))
        visible.append(c)
        i += 1
    if stack:
        problems.append("tags not closed: %s" % stack)
    plain = "".join(visible)
    units = utf16_units(plain)
    if units > MAX_UNITS:
        problems.append("text is %d UTF-16 units, more than %d"
                        % (units, MAX_UNITS))
    if not plain.strip():
        problems.append("text is empty once parsed")
    return problems, units


def check_record(rec, all_formatted):
    problems = []
    tg = rec.get("telegram")
    alert, digest = rec.get("alert"), rec.get("digest")
    wants = (isinstance(alert, dict) and alert.get("kind") != "installation") \
        or (alert is None and isinstance(digest, dict))
    if tg is None:
        if all_formatted and wants:
            problems.append("record with an alert/digest was not formatted")
        return problems
    if not isinstance(tg, dict):
        return ["telegram is not an object"]
    if tg.get("method") != "sendMessage":
        problems.append("method is %r" % tg.get("method"))
    if tg.get("parse_mode") != "HTML":
        problems.append("parse_mode is %r" % tg.get("parse_mode"))
    if tg.get("link_preview_options") != {"is_disabled": True}:
        problems.append("link previews not disabled")
    if not isinstance(tg.get("disable_notification"), bool):
        problems.append("disable_notification not a boolean")
    if "chat_id" in tg and not (isinstance(tg["chat_id"], str) and
                                CHAT_RE.match(tg["chat_id"])):
        problems.append("bad chat_id %r" % (tg["chat_id"],))
    if "message_thread_id" in tg:
        t = tg["message_thread_id"]
        if not (isinstance(t, int) and not isinstance(t, bool) and t > 0):
            problems.append("bad message_thread_id %r" % (t,))
    known = {"method", "chat_id", "message_thread_id", "text", "parse_mode",
             "link_preview_options", "disable_notification", "reply_markup"}
    if set(tg) - known:
        problems.append("unknown telegram fields %s" % sorted(set(tg) - known))
    text = tg.get("text")
    if not isinstance(text, str):
        problems.append("text is not a string")
    else:
        problems += check_html(text)[0]
    if "reply_markup" in tg:
        rm = tg["reply_markup"]
        try:
            rows = rm["inline_keyboard"]
            assert isinstance(rows, list) and rows
            for row in rows:
                assert isinstance(row, list) and row
                for b in row:
                    assert isinstance(b.get("text"), str) and b["text"]
                    if not url_ok(b.get("url")):
                        problems.append("button URL Telegram refuses: %r"
                                        % (b.get("url") or "")[:80])
        except (AssertionError, KeyError, TypeError, AttributeError):
            problems.append("malformed reply_markup %r" % (rm,))
    return problems


def main(argv):
    all_formatted = "--all-formatted" in argv
    files = [a for a in argv[1:] if a != "--all-formatted"]
    streams = [open(f, "rb") for f in files] if files else [sys.stdin.buffer]
    bad = checked = lines = 0
    for stream in streams:
        for raw in stream:
            lines += 1
            try:
                rec = json.loads(raw.decode("utf-8"))
                assert isinstance(rec, dict)
            except (UnicodeDecodeError, ValueError, AssertionError) as e:
                print("line %d: not a JSON object in UTF-8: %s" % (lines, e))
                bad += 1
                continue
            if "telegram" in rec:
                checked += 1
            for p in check_record(rec, all_formatted):
                print("line %d (%s): %s" % (lines, rec.get("id"), p))
                bad += 1
    print("# %d records, %d messages checked, %d problems"
          % (lines, checked, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
