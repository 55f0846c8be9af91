#!/usr/bin/env python3
"""Writes the seed corpora of tests/fuzz/corpus/ from the sources of truth.

  dispatch       every request example of docs/protocol.md, the operations
                 it has no example of, sequences (a meetup run from
                 scheduling to feedback), and edge cases of the envelope
  meetup_script  the templates of schema/templates/, the script examples of
                 docs/meetups.md, and broken scripts
  conn           messages split into fragments, UTF-8 edge cases
  http           requests to the HTTP API (api.h), static paths, ICS text

Run it from anywhere; it rewrites the corpus folders it owns.  The files
are named by content hash, as libFuzzer names them.
"""
import hashlib
import json
import os
import re
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
RS = b"\x1e"


def write(target, blobs):
    out = os.path.join(HERE, "corpus", target)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    for b in blobs:
        name = hashlib.sha1(b).hexdigest()
        with open(os.path.join(out, name), "wb") as f:
            f.write(b)
    print(f"{target}: {len(set(blobs))} seeds")


def doc_requests():
    """Every one-line request of docs/protocol.md, in order."""
    text = open(os.path.join(ROOT, "docs", "protocol.md")).read()
    reqs = []
    for line in text.splitlines():
        for m in re.finditer(r"\{.*\}", line):
            try:
                v = json.loads(m.group(0))
            except ValueError:
                continue
            if isinstance(v, dict) and "op" in v:
                reqs.append(v)
    return reqs


# Operations docs/protocol.md shows no example of, with the world's ids
# (tests/fuzz/world.h).
EXTRA = [
    {"op": "mod.unmute", "hive_id": 1, "user_id": 3},
    {"op": "mod.mutes", "hive_id": 1},
    {"op": "mod.kick", "hive_id": 1, "user_id": 4, "reason": "rude"},
    {"op": "mod.ban", "hive_id": 1, "user_id": 3, "reason": "spam"},
    {"op": "mod.unban", "hive_id": 1, "user_id": 3},
    {"op": "mod.bans", "hive_id": 1},
    {"op": "mod.lock", "channel_id": 1, "locked": True},
    {"op": "pin.add", "message_id": 1},
    {"op": "pin.remove", "message_id": 2},
    {"op": "pin.list", "channel_id": 1},
    {"op": "report.list", "hive_id": 1, "status": "open"},
    {"op": "report.resolve", "report_id": 1, "outcome": "upheld",
     "note": "removed"},
    {"op": "guard.get", "hive_id": 1},
    {"op": "audit.list", "hive_id": 1, "limit": 10},
    {"op": "meetup.list", "hive_id": 1},
    {"op": "meetup.get", "meetup_id": 1},
    {"op": "meetup.cancel", "meetup_id": 1},
    {"op": "meetup.start", "meetup_id": 2},
    {"op": "meetup.pause", "meetup_id": 2},
    {"op": "meetup.resume", "meetup_id": 2},
    {"op": "meetup.skip", "meetup_id": 2},
    {"op": "meetup.extend", "meetup_id": 2, "seconds": 60},
    {"op": "meetup.end", "meetup_id": 2},
    {"op": "meetup.join", "meetup_id": 2},
    {"op": "meetup.leave", "meetup_id": 2},
    {"op": "meetup.answer", "meetup_id": 2, "step": 1, "choices": [0]},
    {"op": "meetup.feedback", "meetup_id": 2, "nps": 9, "comment": "great"},
    {"op": "ics.revoke"},
    {"op": "schedule.list"},
    {"op": "schedule.update", "schedule_id": 1, "text": "later"},
    {"op": "schedule.cancel", "schedule_id": 1},
    {"op": "remind.create", "message_id": 1, "at": 1800000600000},
    {"op": "remind.list"},
    {"op": "remind.cancel", "reminder_id": 1},
    {"op": "script.list", "hive_id": 1},
    {"op": "script.delete", "hive_id": 1, "script_id": 1},
    {"op": "template.list"},
    {"op": "clock.advance", "ms": 3600000},
]


def req(i, v):
    v = dict(v)
    v.pop("id", None)
    return json.dumps(dict({"id": i}, **v), ensure_ascii=False).encode()


def seq(setup, reqs):
    """An input of fuzz_dispatch: a request, or (sender, request)."""
    msgs = []
    for i, r in enumerate(reqs):
        if isinstance(r, tuple):
            msgs.append(bytes([r[0]]) + req(i + 1, r[1]))
        else:
            msgs.append(req(i + 1, r))
    return bytes([setup]) + RS.join(msgs)


def dispatch_seeds():
    seeds = []
    for r in doc_requests() + EXTRA:
        # Every request as nobody, the learner, the mentor and the admin;
        # with the fake clock on for the admin.
        for setup in (0, 1, 2, 7):
            seeds.append(seq(setup, [r]))
    template = open(os.path.join(ROOT, "schema", "templates",
                                 "icebreaker-round.json")).read()
    run = [
        {"op": "sync"},
        {"op": "meetup.start", "meetup_id": 2},
        {"op": "meetup.join", "meetup_id": 2},
        {"op": "clock.advance", "ms": 120000},
        {"op": "meetup.skip", "meetup_id": 2},
        {"op": "meetup.answer", "meetup_id": 2, "step": 2, "choices": [1]},
        {"op": "meetup.extend", "meetup_id": 2, "seconds": 30},
        {"op": "clock.advance", "ms": 3600000},
        {"op": "meetup.feedback", "meetup_id": 2, "nps": 10},
        {"op": "meetup.get", "meetup_id": 2},
    ]
    seeds.append(seq(6, run))
    seeds.append(seq(6, [
        {"op": "meetup.schedule", "hive_id": 1, "script": template,
         "start_at": 1800000100000},
        {"op": "meetup.start", "meetup_id": 3},
        {"op": "clock.advance", "ms": 600000},
        {"op": "meetup.end", "meetup_id": 3},
    ]))
    seeds.append(seq(6, [
        {"op": "script.save", "hive_id": 1, "script": template},
        {"op": "script.list", "hive_id": 1},
        {"op": "meetup.schedule", "hive_id": 1, "script_id": 1,
         "start_at": 1800000100000, "cap": 3},
    ]))
    seeds.append(seq(2, [
        {"op": "mod.mute", "hive_id": 1, "user_id": 3, "seconds": 60},
        {"op": "mod.slow_mode", "channel_id": 1, "seconds": 30},
        {"op": "guard.set", "hive_id": 1, "blocked_words": ["spam"],
         "flood_messages": 3, "flood_seconds": 10},
        {"op": "msg.send", "channel_id": 1, "text": "spam spam"},
        {"op": "mod.delete", "message_id": 1, "reason": "spam"},
        {"op": "report.resolve", "report_id": 1, "outcome": "dismissed"},
        {"op": "audit.list", "hive_id": 1},
    ]))
    seeds.append(seq(1, [
        {"op": "sync", "since": 0},
        {"op": "msg.send", "channel_id": 1, "text": "hi", "nonce": "n1"},
        {"op": "msg.send", "channel_id": 1, "text": "hi", "nonce": "n1"},
        {"op": "msg.edit", "message_id": 4, "text": "hello"},
        {"op": "msg.react", "message_id": 4, "emoji": "👍"},
        {"op": "msg.history", "channel_id": 1, "around": 2, "limit": 5},
        {"op": "msg.search", "query": "hive"},
        {"op": "dm.open", "user_ids": [2]},
        {"op": "msg.send", "channel_id": 5, "text": "a DM"},
        {"op": "read.mark", "channel_id": 1, "message_id": 4},
        {"op": "typing", "channel_id": 1},
        {"op": "presence.set", "status": "away"},
        {"op": "msg.delete", "message_id": 4},
    ]))
    seeds.append(seq(1, [
        {"op": "schedule.create", "channel_id": 1, "text": "weekly",
         "at": 1800000060000, "repeat": "weekly"},
        {"op": "remind.create", "message_id": 1, "at": 1800000060000},
        {"op": "account.set_password", "old_password": "correct horse "
         "battery", "new_password": "a longer and newer passphrase"},
        {"op": "account.export"},
        {"op": "account.delete", "password": "a longer and newer "
         "passphrase"},
    ]))
    seeds.append(seq(7, [
        {"op": "invite.create", "hive_id": 1, "role": "learner",
         "max_uses": 2},
        {"op": "hive.update", "hive_id": 2, "capacity": 2},
        {"op": "hive.waitlist", "hive_id": 2},
        {"op": "hive.set_retention", "hive_id": 1, "days": 1},
        {"op": "clock.advance", "ms": 172800000},
        {"op": "supervision.report", "from": 0, "to": 1900000000000},
        {"op": "hive.archive", "hive_id": 1},
    ]))
    # Several people: 1 ada, 2 mentor, 3 root, 4 bob (fuzz_dispatch.c).
    seeds.append(seq(6, [
        (2, {"op": "meetup.start", "meetup_id": 2}),
        (1, {"op": "meetup.join", "meetup_id": 2}),
        (4, {"op": "meetup.join", "meetup_id": 2}),
        (3, {"op": "clock.advance", "ms": 60000}),
        (2, {"op": "meetup.skip", "meetup_id": 2}),
        (1, {"op": "msg.send", "channel_id": 3, "text": "my turn"}),
        (3, {"op": "clock.advance", "ms": 900000}),
        (4, {"op": "meetup.leave", "meetup_id": 2}),
        (2, {"op": "meetup.end", "meetup_id": 2}),
        (1, {"op": "meetup.feedback", "meetup_id": 2, "nps": 8}),
        (4, {"op": "meetup.get", "meetup_id": 2}),
    ]))
    seeds.append(seq(2, [
        (1, {"op": "msg.send", "channel_id": 1, "text": "buy now"}),
        (4, {"op": "report.create", "message_id": 4, "reason": "spam"}),
        (2, {"op": "report.list", "hive_id": 1}),
        (2, {"op": "report.resolve", "report_id": 2, "outcome": "upheld"}),
        (2, {"op": "mod.mute", "hive_id": 1, "user_id": 3, "seconds": 60}),
        (1, {"op": "msg.send", "channel_id": 1, "text": "muted?"}),
        (3, {"op": "hive.remove_member", "hive_id": 1, "user_id": 3}),
        (1, {"op": "sync"}),
        (4, {"op": "dm.open", "user_ids": [2]}),
        (4, {"op": "msg.send", "channel_id": 7, "text": "hello mentor"}),
        (2, {"op": "dm.list"}),
    ]))
    seeds.append(seq(3, [
        (3, {"op": "invite.create", "hive_id": 1, "role": "learner"}),
        (3, {"op": "hive.add_member", "hive_id": 1, "handle": "eve",
             "role": "learner"}),
        (2, {"op": "mod.ban", "hive_id": 1, "user_id": 4}),
        (4, {"op": "msg.send", "channel_id": 1, "text": "still here?"}),
        (2, {"op": "mod.unban", "hive_id": 1, "user_id": 4}),
        (1, {"op": "account.delete", "password": "correct horse battery"}),
        (2, {"op": "hive.members", "hive_id": 1}),
    ]))
    # Writes refused by a full or read-only disk (storage.fault, with
    # the fake clock), then accepted again.
    seeds.append(seq(7, [
        (3, {"op": "storage.fault", "fault": "full"}),
        (1, {"op": "msg.send", "channel_id": 1, "text": "lost?"}),
        (4, {"op": "msg.history", "channel_id": 1}),
        (3, {"op": "storage.fault", "fault": "read_only"}),
        (2, {"op": "meetup.start", "meetup_id": 2}),
        (3, {"op": "storage.fault", "fault": "none"}),
        (1, {"op": "msg.send", "channel_id": 1, "text": "stored"}),
    ]))
    # The envelope's edge cases, as nobody and as the learner.
    for b in [b"", b"{}", b"[]", b"null", b"{\"id\":1}", b"{\"op\":\"ping\"}",
              b"{\"id\":null,\"op\":\"ping\"}", b"{\"id\":1.5,\"op\":\"ping\"}",
              b"{\"id\":\"" + b"x" * 65 + b"\",\"op\":\"ping\"}",
              b"{\"id\":1,\"id\":2,\"op\":\"ping\"}",
              b"{\"id\":1,\"op\":\"ping\",\"extra\":1}",
              b"{\"id\":1,\"op\":\"nope\"}", b"{\"id\":1,\"op\":7}",
              b"{\"id\":1,\"op\":\"ping\"", b"[" * 5000,
              b"{\"id\":1,\"op\":\"msg.send\",\"channel_id\":1,"
              b"\"text\":\"a\\u0000b\"}",
              b"{\"id\":1,\"op\":\"msg.send\",\"channel_id\":1,"
              b"\"text\":\"\\ud800\"}",
              b"{\"id\":1,\"op\":\"msg.history\",\"channel_id\":"
              b"99999999999999999999}",
              b"{\"id\":1,\"op\":\"msg.history\",\"channel_id\":-1}",
              b"{\"id\":9007199254740993,\"op\":\"ping\"}",
              b"\xff\xfe", b"{\"id\":1,\"op\":\"ping\"}\x00",
              "{\"id\":\"é\",\"op\":\"hello\",\"client\":\"🐝\"}".encode()]:
        seeds.append(b"\x00" + b)
        seeds.append(b"\x01" + b)
    return seeds


def templates():
    d = os.path.join(ROOT, "schema", "templates")
    return [open(os.path.join(d, f), "rb").read() for f in sorted(os.listdir(d))
            if f.endswith(".json")]


def doc_scripts():
    """The JSON blocks of docs/meetups.md that look like scripts."""
    text = open(os.path.join(ROOT, "docs", "meetups.md")).read()
    out = []
    for block in re.findall(r"```json\n(.*?)```", text, re.S):
        try:
            v = json.loads(block)
        except ValueError:
            continue
        if isinstance(v, dict) and ("steps" in v or "kind" in v):
            out.append(block.encode())
    return out


def script_seeds():
    seeds = templates() + doc_scripts()
    base = json.loads(templates()[0])
    broken = [
        {},
        {"title": "", "steps": []},
        {"title": "x" * 101, "steps": [{"kind": "debate"}]},
        {"title": "T", "steps": [{"kind": "open", "duration_s": 5}]},
        {"title": "T", "steps": [{"kind": "open", "duration_s": 3601}] * 5},
        {"title": "T", "steps": [{"kind": "round", "duration_s": 30,
                                  "turn_s": 20}]},
        {"title": "T", "steps": [{"kind": "breakout", "duration_s": 60,
                                  "group_size": 9}]},
        {"title": "T", "steps": [{"kind": "poll", "duration_s": 60,
                                  "question": "?", "options": ["a", "a"]}]},
        {"title": "T", "steps": [{"kind": "poll", "duration_s": 60,
                                  "question": "?", "options": ["a"],
                                  "show_results": "never"}]},
        {"title": "T", "steps": [{"kind": "feedback", "duration_s": 60,
                                  "question": 7, "extra": True}]},
        {"title": "T", "steps": [{"kind": "open", "duration_s": 60}] * 51},
        {"title": "T", "steps": "no", "unknown": 1},
        {"title": " \u200b ", "description": 5, "steps": [None]},
    ]
    seeds += [json.dumps(b).encode() for b in broken]
    seeds.append(json.dumps(base, indent=2).encode())
    seeds += [b"", b"[", b"{\"title\":\"T\",\"title\":\"U\",\"steps\":[]}",
              b"{\"title\":\"\xc3\x28\"}", b"{\"steps\":[" + b"[" * 3000]
    return seeds


def conn_seeds():
    # Layout (fuzz_conn.c): a byte of fragment lengths, then the message.
    seeds = []
    for r in doc_requests()[:20]:
        b = req(1, r)
        for cut in (0, 3, 7, 255):
            seeds.append(bytes([cut]) + b)
    for b in [b"", b"\xc3\xa9", b"\xe2\x82\xac", b"\xf0\x9f\x90\x9d",
              b"\xc0\xaf", b"\xe0\x80\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
              b"\xf8\x88\x80\x80\x80", b"\xc3", b"\xe2\x82", b"\x80",
              b"a\x00b", "👍🏽".encode()]:
        seeds.append(b"\x02" + b)
    return seeds


def http_seeds():
    # Layout (fuzz_http.c): kind byte, then fields separated by 0x1e.
    def h(kind, *fields):
        return bytes([kind]) + RS.join(
            f.encode() if isinstance(f, str) else f for f in fields)
    login = json.dumps({"handle": "ada", "password": "correct horse battery"})
    signup = json.dumps({"code": "x" * 20, "handle": "new",
                         "display_name": "New", "password": "long enough pw"})
    seeds = [
        h(0, "POST", "/api/login", "", login),
        h(0, "POST", "/api/login", "", "{\"handle\":\"ada\"}"),
        h(0, "POST", "/api/login", "", "not json"),
        h(0, "POST", "/api/logout", "", ""),
        h(1, "POST", "/api/logout", "", ""),
        h(0, "POST", "/api/invite", "", "{\"code\":\"abc\"}"),
        h(0, "POST", "/api/signup", "", signup),
        h(1, "GET", "/api/me/export", "", ""),
        h(3, "GET", "/api/hives/1/audit", "format=csv&limit=10", ""),
        h(3, "GET", "/api/hives/1/audit", "format=json&since=0&action=mute",
          ""),
        h(2, "GET", "/api/hives/1/audit", "format=csv", ""),
        h(3, "GET", "/api/hives/x/audit", "format=xml", ""),
        h(3, "GET", "/api/hives/1/audit", "limit=-1&&=&format", ""),
        h(0, "GET", "/api/nope", "", ""),
        h(0, "DELETE", "/api/login", "", ""),
        h(4, "/"), h(4, "/index.html"), h(4, "/../etc/passwd"),
        h(4, "/js/%2e%2e/x"), h(4, "/.hidden"), h(4, "/js/"), h(4, "//"),
        h(5, "Weekly check-in; ok, \\ done\nnext line\r\n"),
        h(5, "é" * 100), h(5, "🐝" * 40),
    ]
    return seeds


if __name__ == "__main__":
    write("dispatch", dispatch_seeds())
    write("meetup_script", script_seeds())
    write("conn", conn_seeds())
    write("http", http_seeds())


def dict_entry(s):
    out = ""
    for b in s.encode():
        if b == 0x22 or b == 0x5c:
            out += "\\" + chr(b)
        elif 0x20 <= b < 0x7f:
            out += chr(b)
        else:
            out += "\\x%02x" % b
    return '"' + out + '"'


def write_dict(name, header, words):
    path = os.path.join(HERE, "dict", name + ".dict")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write("# " + header + "\n# Written by tests/fuzz/seeds.py.\n")
        for w in sorted(set(words)):
            f.write(dict_entry(w) + "\n")
    print(f"dict/{name}.dict: {len(set(words))} entries")


def protocol_words():
    """Operation and parameter names from the op table, and values."""
    src = open(os.path.join(ROOT, "server", "dispatch.c")).read()
    ops = re.findall(r'\{ "([a-z_]+(?:\.[a-z_]+)?)", op_', src)
    params = re.findall(r'\{ "([a-z_]+)", PARAM_', src)
    words = ops + params + ['"' + w + '"' for w in ops + params]
    words += ['{"id":1,"op":"', '"id":', '"op":', '"}', "\x1e", ":", ",",
              "[", "]", "{", "}", "true", "false", "null", "-1", "0", "1",
              "2", "3", "4", "5", "6", "9007199254740993", "1e308",
              "1800000060000", "1800003600000", "\\u0000", "\\ud800",
              "learner", "mentor", "admin", "going", "maybe", "no", "weekly",
              "fortnightly", "daily", "open", "upheld", "dismissed", "away",
              "online", "announce", "1-2-4-all", "troika-consulting",
              "icebreaker-round", "retrospective", "weekly-check-in",
              "impromptu-networking", "correct horse battery", "👍"]
    return words


def script_words():
    src = open(os.path.join(ROOT, "server", "meetup_script.c")).read()
    words = re.findall(r'"([a-z_]+)"', src)
    words = [w for w in words if len(w) > 1]
    words += ['"' + w + '"' for w in words]
    words += ['{"title":"T","steps":[', '{"kind":"', '"duration_s":',
              "]}", "10", "60", "600", "3600", "14400", "3601", "9", "1",
              "true", "false", "null", "[]", "{}", "\\u0000", "\\u200b"]
    return words


def http_words():
    return ["/api/login", "/api/logout", "/api/invite", "/api/signup",
            "/api/me/export", "/api/hives/1/audit", "/ics/", ".ics",
            "GET", "POST", "format=csv", "format=json", "action=",
            "automatic=true", "actor_id=", "target_id=", "since=", "until=",
            "before_id=", "limit=", "&", "=", "%2e", "%2f", "..", "/.",
            "//", "index.html", "handle", "password", "code",
            "display_name", "waitlist", "\x1e", ",", ";", "\\", "\n", "\r",
            "é", "🐝"]


if __name__ == "__main__":
    write_dict("dispatch", "Ruche's protocol: operations, parameters, "
               "values.", protocol_words())
    write_dict("conn", "Ruche's protocol, for the message layer.",
               protocol_words())
    write_dict("meetup_script", "Meetup scripts: fields, kinds, values.",
               script_words())
    write_dict("http", "The HTTP API, paths and iCalendar text.",
               http_words())
