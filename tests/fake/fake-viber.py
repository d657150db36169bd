#!/usr/bin/env python3
"""A fake Viber REST bot API for shopdesk's tests.

It answers as https://developers.viber.com/docs/api/rest-bot-api/
documents:
  POST /pa/send_message   {"receiver", "type": "text", "text", "sender":
                          {"name"}, ...}: HTTP 200 with {"status": 0,
                          "status_message": "ok", "message_token": N,
                          "chat_hostname": "..."}, or a non-zero status
                          (errors come as HTTP 200 too): 2
                          invalidAuthToken without the right
                          X-Viber-Auth-Token, 3 badData, 4 missingData,
                          6 receiverNotSubscribed for a receiver that
                          never subscribed or wrote
  GET  /media/<name>      files customers sent (the "media" URL)
A request body over 30 KB, or a text over 7000 characters, is badData.

It is also Viber posting callbacks to the bridge's webhook (--webhook),
signed with X-Viber-Content-Signature = hex HMAC-SHA256(token, body).

Control interface (JSON in, JSON out):
  POST /control/event     a callback body (its "timestamp" and
                          "message_token" filled in when missing) and
                          "sign": "good"|"none"|"bad": posts it; answers
                          {"status": the bridge's HTTP status}; a
                          "message" from a sender subscribes them
  POST /control/media     {"name", "content_type", "data" (base64)}
  POST /control/fail      {"count": N, "http": 500|429 or "status": N,
                          "status_message": "..."}: the next N calls
                          fail so; {"clear": true} forgets every rule
  POST /control/unsubscribe {"id"}
  GET  /control/refused   every send_message failed on purpose, one JSON a
                          line: {"time", "http", "status"}
  GET  /control/calls     every send_message taken, one JSON a line:
                          {"n", "time", "body", "message_token", "token"
                          (the same, as text)}
Prints "ready PORT" once it listens.
"""

import argparse
import base64
import hashlib
import hmac
import json
import socket
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STATUS = {0: "ok", 1: "invalidUrl", 2: "invalidAuthToken", 3: "badData",
          4: "missingData", 5: "receiverNotRegistered",
          6: "receiverNotSubscribed", 7: "publicAccountBlocked",
          8: "publicAccountNotFound", 9: "publicAccountSuspended",
          10: "webhookNotSet", 11: "receiverNoSuitableDevice",
          12: "tooManyRequests", 13: "apiVersionNotSupported",
          14: "incompatibleWithVersion"}


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.calls = []
        self.refused = []
        self.fail = []
        self.media = {}
        self.subscribed = set()
        self.next_token = 5741311803571721087


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeViber/1.0"

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY,
                                   1)

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (time.strftime("%H:%M:%S"),
                                       fmt % args))

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def answer(self, status, obj=None, raw=None, ctype="application/json"):
        data = raw if raw is not None else json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def status(self, code, message=None):
        self.answer(200, {"status": code,
                          "status_message": message or STATUS.get(
                              code, "generalError"),
                          "chat_hostname": "SN-CHAT-05_"})

    def post_event(self, event, sign):
        st = self.server.state
        raw = json.dumps(event).encode()
        headers = {"Content-Type": "application/json"}
        key = {"good": st.args.token, "bad": "not-the-token"}.get(sign)
        if key is not None:
            headers["X-Viber-Content-Signature"] = hmac.new(
                key.encode(), raw, hashlib.sha256).hexdigest()
        req = urllib.request.Request(st.args.webhook, data=raw,
                                     headers=headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code

    def control(self, what, raw):
        st = self.server.state
        req = json.loads(raw.decode("utf-8")) if raw else {}
        if what == "event":
            sign = req.pop("sign", "good")
            req.setdefault("timestamp", int(time.time() * 1000))
            if "message_token" not in req:
                with st.lock:
                    st.next_token += 1
                    req["message_token"] = st.next_token
            if req.get("event") == "message":
                with st.lock:
                    st.subscribed.add(req["sender"]["id"])
            return self.answer(200, {"status": self.post_event(req, sign),
                                     "message_token": req["message_token"]})
        with st.lock:
            if what == "media":
                st.media[req["name"]] = (req["content_type"],
                                         base64.b64decode(req["data"]))
                return self.answer(200, {
                    "url": "http://127.0.0.1:%d/media/%s" % (
                        st.args.port, req["name"])})
            if what == "fail":
                if req.get("clear"):
                    st.fail = []
                else:
                    st.fail.append(req)
                return self.answer(200, {})
            if what == "unsubscribe":
                st.subscribed.discard(req["id"])
                return self.answer(200, {})
            if what == "refused":
                text = "".join(json.dumps(c) + "\n" for c in st.refused)
                return self.answer(200, raw=text.encode(),
                                   ctype="application/x-ndjson")
            if what == "calls":
                text = "".join(json.dumps(c) + "\n" for c in st.calls)
                return self.answer(200, raw=text.encode(),
                                   ctype="application/x-ndjson")
        return self.answer(404, {"error": "no such control"})

    def send_message(self, raw):
        st = self.server.state
        if self.headers.get("X-Viber-Auth-Token") != st.args.token:
            return self.status(2)
        with st.lock:
            rule = None
            for r in st.fail:
                if r["count"] > 0:
                    r["count"] -= 1
                    rule = r
                    break
        if rule is not None:
            with st.lock:
                st.refused.append({"time": time.time(),
                                   "http": rule.get("http", 200),
                                   "status": rule.get("status", 0)})
            if "http" in rule:
                return self.answer(rule["http"], raw=b"<html>error",
                                   ctype="text/html")
            return self.status(rule["status"], rule.get("status_message"))
        if len(raw) > 30 * 1024:
            return self.status(3, "badData: request over 30 KB")
        try:
            req = json.loads(raw.decode("utf-8"))
        except ValueError:
            return self.status(3)
        if not req.get("receiver") or req.get("type") != "text" or \
                not (req.get("sender") or {}).get("name") or \
                not str(req.get("text", "")).strip():
            return self.status(4)
        if len(req["text"]) > 7000 or len(req["sender"]["name"]) > 28:
            return self.status(3, "badData: text or sender name too long")
        with st.lock:
            if req["receiver"] not in st.subscribed:
                return self.status(6)
            st.next_token += 1
            token = st.next_token
            st.calls.append({"n": len(st.calls) + 1, "time": time.time(),
                             "body": req, "message_token": token,
                             # as text too: jq reads numbers as doubles
                             "token": str(token)})
        return self.answer(200, {"status": 0, "status_message": "ok",
                                 "message_token": token,
                                 "chat_hostname": "SN-CHAT-05_"})

    def do_GET(self):
        st = self.server.state
        self.body()
        if self.path.startswith("/control/"):
            return self.control(self.path[len("/control/"):], b"")
        if self.path.startswith("/media/"):
            with st.lock:
                found = st.media.get(self.path[len("/media/"):])
            if found is None:
                return self.answer(404, raw=b"not found", ctype="text/plain")
            return self.answer(200, raw=found[1], ctype=found[0])
        return self.answer(404, raw=b"not found", ctype="text/plain")

    def do_POST(self):
        raw = self.body()
        if self.path.startswith("/control/"):
            return self.control(self.path[len("/control/"):], raw)
        if self.path == "/pa/send_message":
            return self.send_message(raw)
        return self.answer(404, raw=b"not found", ctype="text/plain")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--webhook", required=True)
    args = ap.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.state = State(args)
    print("ready %d" % args.port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
