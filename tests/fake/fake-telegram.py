#!/usr/bin/env python3
"""A fake Telegram Bot API server for shopdesk's tests.

It answers as https://core.telegram.org/bots/api documents:
  /bot<TOKEN>/<method>          getMe, getUpdates (long polling with
                                offset, timeout, limit), sendMessage,
                                sendPhoto, sendDocument, getFile
  /file/bot<TOKEN>/<file_path>  file downloads
with {"ok": true, "result": ...} or {"ok": false, "error_code": N,
"description": "...", "parameters": {"retry_after": N}}; requests may be
JSON, form-urlencoded, multipart/form-data or a query string.  A wrong
token gets 401 Unauthorized, an unknown method 404 Not Found.

Control interface for the test (JSON in, JSON out), on the same port:
  POST /control/update     an Update object (update_id given or assigned)
  POST /control/replay     {"update_id": N}: serve that update once more,
                           whatever the offset (a redelivery)
  POST /control/fail       {"count": N, "code": 500|429|..., "retry_after":
                           S, "description": "...", "methods": [...]}:
                           the next N matching calls fail so;
                           {"clear": true} forgets every such rule
  POST /control/block      {"chat_id": N}: sends to it get 403 "Forbidden:
                           bot was blocked by the user"
  POST /control/unblock    {"chat_id": N}
  POST /control/raw-update an update as given, even without update_id
  POST /control/file       {"file_id", "file_path", "data" (base64)}
  POST /control/garbage    {"count": N, "status": S, "methods": [...]}:
                           the next N matching calls answer S with a body
                           that is not JSON
  GET  /control/calls      every call but getUpdates, one JSON object a
                           line: {"n", "time", "method", "params", "files"}
  GET  /control/state      {"offset": last getUpdates offset, "polls": N,
                           "calls": number of calls /control/calls lists}
The program prints "ready PORT" on stdout once it listens.
"""

import argparse
import base64
import email.parser
import email.policy
import hashlib
import json
import socket
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SEND_METHODS = ("sendMessage", "sendPhoto", "sendDocument")


class State:
    def __init__(self, token):
        self.token = token
        self.lock = threading.Condition()
        self.updates = []          # every update ever queued
        self.replay = []
        self.next_update_id = 1000
        self.next_message_id = 5000
        self.calls = []
        self.fail = []             # rules
        self.garbage = []
        self.blocked = set()
        self.files = {}            # file_id -> (path, bytes)
        self.paths = {}            # file_path -> bytes
        self.offset = 0
        self.polls = 0


def take_rule(rules, method):
    for rule in rules:
        methods = rule.get("methods") or list(SEND_METHODS)
        if method in methods and rule["count"] > 0:
            rule["count"] -= 1
            return rule
    return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeTelegram/1.0"

    def setup(self):
        super().setup()
        # headers and body leave in two writes: without this, Nagle's
        # algorithm and the client's delayed ACK add 40 ms to each answer
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY,
                                   1)

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (time.strftime("%H:%M:%S"),
                                       fmt % args))

    # --- plumbing ---
    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def answer(self, status, obj=None, raw=None,
               ctype="application/json"):
        data = raw if raw is not None else json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def error(self, code, description, retry_after=None):
        obj = {"ok": False, "error_code": code, "description": description}
        if retry_after is not None:
            obj["parameters"] = {"retry_after": retry_after}
        self.answer(code, obj)

    def params(self, raw):
        """The request's parameters and uploaded files, by the documented
        ways of passing them."""
        url = urllib.parse.urlsplit(self.path)
        params = {k: v[-1] for k, v in
                  urllib.parse.parse_qs(url.query).items()}
        files = []
        ctype = self.headers.get("Content-Type") or ""
        if ctype.startswith("application/json") and raw:
            params.update(json.loads(raw.decode("utf-8")))
        elif ctype.startswith("application/x-www-form-urlencoded"):
            params.update({k: v[-1] for k, v in urllib.parse.parse_qs(
                raw.decode("utf-8")).items()})
        elif ctype.startswith("multipart/form-data"):
            msg = email.parser.BytesParser(
                policy=email.policy.HTTP).parsebytes(
                b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + raw)
            if not msg.is_multipart():
                raise ValueError("multipart body without parts")
            for part in msg.iter_parts():
                name = part.get_param("name", header="content-disposition")
                data = part.get_payload(decode=True) or b""
                filename = part.get_filename()
                if filename is not None:
                    files.append({
                        "field": name, "filename": filename,
                        "content_type": part.get_content_type(),
                        "size": len(data),
                        "sha256": hashlib.sha256(data).hexdigest()})
                else:
                    params[name] = data.decode("utf-8")
        return params, files

    # --- control ---
    def control(self, what, raw):
        st = self.server.state
        req = json.loads(raw.decode("utf-8")) if raw else {}
        with st.lock:
            if what == "update":
                if "update_id" not in req:
                    req["update_id"] = st.next_update_id
                st.next_update_id = max(st.next_update_id,
                                        req["update_id"] + 1)
                st.updates.append(req)
                st.lock.notify_all()
                return self.answer(200, {"update_id": req["update_id"]})
            if what == "replay":
                for u in st.updates:
                    if u.get("update_id") == req["update_id"]:
                        st.replay.append(u)
                st.lock.notify_all()
                return self.answer(200, {"queued": len(st.replay)})
            if what == "raw-update":
                # an update as given, even malformed (no update_id)
                st.updates.append(req)
                st.lock.notify_all()
                return self.answer(200, {})
            if what == "fail":
                if req.get("clear"):
                    st.fail = []
                else:
                    st.fail.append(req)
                return self.answer(200, {})
            if what == "garbage":
                st.garbage.append(req)
                return self.answer(200, {})
            if what == "block":
                st.blocked.add(str(req["chat_id"]))
                return self.answer(200, {})
            if what == "unblock":
                st.blocked.discard(str(req["chat_id"]))
                return self.answer(200, {})
            if what == "file":
                data = base64.b64decode(req["data"])
                st.files[req["file_id"]] = (req["file_path"], data)
                st.paths[req["file_path"]] = data
                return self.answer(200, {})
            if what == "calls":
                text = "".join(json.dumps(c) + "\n" for c in st.calls)
                return self.answer(200, raw=text.encode(),
                                   ctype="application/x-ndjson")
            if what == "state":
                return self.answer(200, {"offset": st.offset,
                                         "polls": st.polls,
                                         "calls": len(st.calls)})
        return self.answer(404, {"error": "no such control"})

    # --- the Bot API ---
    def get_updates(self, params):
        st = self.server.state
        offset = int(params.get("offset", 0))
        timeout = min(int(params.get("timeout", 0)), 50)
        limit = int(params.get("limit", 100))
        deadline = time.time() + timeout
        with st.lock:
            st.offset = offset
            st.polls += 1
            while True:
                ready = st.replay + [u for u in st.updates
                                     if "update_id" not in u
                                     or u["update_id"] >= offset]
                if ready or time.time() >= deadline:
                    break
                st.lock.wait(max(0.0, deadline - time.time()))
            st.replay = []
            # confirmed updates are forgotten, as Telegram does
            st.updates = [u for u in st.updates
                          if "update_id" in u and u["update_id"] >= offset]
        return self.answer(200, {"ok": True, "result": ready[:limit]})

    def send(self, method, params, files):
        st = self.server.state
        chat = params.get("chat_id")
        if chat is None:
            return self.error(400, "Bad Request: chat_id is empty")
        field = {"sendPhoto": "photo", "sendDocument": "document"}.get(
            method)
        if method == "sendMessage" and not str(params.get("text", "")
                                                ).strip():
            return self.error(400, "Bad Request: message text is empty")
        if method == "sendMessage" and len(
                params["text"].encode("utf-16-le")) // 2 > 4096:
            return self.error(400, "Bad Request: message is too long")
        if field and not any(f["field"] == field for f in files):
            return self.error(400, "Bad Request: there is no %s in the "
                              "request" % field)
        with st.lock:
            if str(chat) in st.blocked:
                return self.error(403, "Forbidden: bot was blocked by the "
                                  "user")
            st.next_message_id += 1
            message_id = st.next_message_id
            st.calls.append({"n": len(st.calls) + 1, "time": time.time(),
                             "method": method, "params": params,
                             "files": files, "message_id": message_id})
        result = {"message_id": message_id, "date": int(time.time()),
                  "chat": {"id": int(chat), "type": "private"}}
        if method == "sendMessage":
            result["text"] = params["text"]
        return self.answer(200, {"ok": True, "result": result})

    def get_file(self, params):
        st = self.server.state
        with st.lock:
            found = st.files.get(params.get("file_id"))
        if found is None:
            return self.error(400, "Bad Request: invalid file_id")
        return self.answer(200, {"ok": True, "result": {
            "file_id": params["file_id"], "file_unique_id": "u",
            "file_size": len(found[1]), "file_path": found[0]}})

    def dispatch(self):
        st = self.server.state
        raw = self.body()
        path = urllib.parse.urlsplit(self.path).path
        if path.startswith("/control/"):
            return self.control(path[len("/control/"):], raw)
        if path.startswith("/file/bot"):
            token, _, file_path = path[len("/file/bot"):].partition("/")
            if token != st.token:
                return self.error(401, "Unauthorized")
            with st.lock:
                data = st.paths.get(file_path)
            if data is None:
                return self.error(404, "Not Found")
            return self.answer(200, raw=data,
                               ctype="application/octet-stream")
        if not path.startswith("/bot"):
            return self.error(404, "Not Found")
        token, _, method = path[len("/bot"):].partition("/")
        if token != st.token:
            return self.error(401, "Unauthorized")
        with st.lock:
            rule = take_rule(st.fail, method)
            garbage = take_rule(st.garbage, method)
        if garbage is not None:
            return self.answer(garbage.get("status", 200),
                               raw=b"<html>not json{", ctype="text/html")
        if rule is not None:
            code = rule.get("code", 500)
            if code == 429:
                ra = rule.get("retry_after", 1)
                return self.error(429, "Too Many Requests: retry after %d"
                                  % ra, ra)
            return self.error(code, rule.get("description",
                                             "Internal Server Error"))
        try:
            params, files = self.params(raw)
        except (ValueError, UnicodeDecodeError) as e:
            return self.error(400, "Bad Request: %s" % e)
        if method == "getMe":
            return self.answer(200, {"ok": True, "result": {
                "id": 1, "is_bot": True, "first_name": "Shop"}})
        if method == "getUpdates":
            return self.get_updates(params)
        if method in SEND_METHODS:
            return self.send(method, params, files)
        if method == "getFile":
            return self.get_file(params)
        return self.error(404, "Not Found")

    def do_GET(self):
        self.dispatch()

    def do_POST(self):
        self.dispatch()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--token", required=True)
    args = ap.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.state = State(args.token)
    print("ready %d" % args.port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
