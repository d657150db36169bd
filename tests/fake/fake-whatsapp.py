#!/usr/bin/env python3
"""A fake WhatsApp Cloud API (Meta Graph API) for shopdesk's tests.

It answers as https://developers.facebook.com/docs/whatsapp/cloud-api
documents, under /<version-less base>:
  POST /<PHONE_NUMBER_ID>/messages  text, template, image, document...:
        {"messaging_product": "whatsapp", "contacts": [...],
         "messages": [{"id": "wamid...."}]}
  POST /<PHONE_NUMBER_ID>/media     multipart (messaging_product, type,
                                    file): {"id": "<media id>"}
  GET  /<MEDIA_ID>                  {"url", "mime_type", "sha256",
                                    "file_size", "id", ...}
  GET  /download/<MEDIA_ID>         the file (the "url" above)
Every request needs "Authorization: Bearer <TOKEN>" (else 401, error
190).  Errors are {"error": {"message", "type", "code", "error_data":
{"details"}, "fbtrace_id"}}.  Like the real service it keeps each
customer's 24-hour window from the messages it posts to the webhook: a
free-form message to a customer who has not written within 24 hours
gets 400 with error 131047; a template always goes.

It is also the provider posting to the bridge's webhook (--webhook),
signed with X-Hub-Signature-256 = sha256=HMAC-SHA256(app secret, body).

Control interface (JSON in, JSON out):
  POST /control/inbound   {"messages": [...], "contacts": [...],
                           "statuses": [...], "sign": "good"|"none"|"bad"}:
                           posts one webhook; answers {"status": the
                           bridge's HTTP status}
  POST /control/media     {"id", "mime_type", "data" (base64)}
  POST /control/window    {"wa_id", "last": Unix time}
  POST /control/fail      {"count": N, "http": 500|429|400, "code": N,
                           "message": "...", "paths": ["messages",
                           "media"]}: the next N matching calls fail so;
                           {"clear": true} forgets every rule
  GET  /control/calls     every messages/media call, one JSON a line:
                           {"n", "time", "path", "body" | "file", "id"}
Prints "ready PORT" once it listens.
"""

import argparse
import base64
import email.parser
import email.policy
import hashlib
import hmac
import json
import socket
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

WINDOW = 24 * 3600


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.calls = []
        self.fail = []
        self.media = {}       # id -> (mime, bytes)
        self.window = {}      # wa_id -> last inbound
        self.next_id = 1


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeGraph/1.0"

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

    def error(self, http, code, message, details=None):
        err = {"message": message, "type": "OAuthException", "code": code,
               "fbtrace_id": "Afake"}
        if details:
            err["error_data"] = {"messaging_product": "whatsapp",
                                 "details": details}
        self.answer(http, {"error": err})

    # --- the provider posting to the bridge ---
    def post_webhook(self, value, sign):
        st = self.server.state
        payload = {"object": "whatsapp_business_account", "entry": [{
            "id": "WABA1", "changes": [{"field": "messages", "value": dict(
                {"messaging_product": "whatsapp",
                 "metadata": {"display_phone_number": "15550001111",
                              "phone_number_id": st.args.phone_number_id}},
                **value)}]}]}
        raw = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"}
        if sign == "good":
            headers["X-Hub-Signature-256"] = "sha256=" + hmac.new(
                st.args.app_secret.encode(), raw, hashlib.sha256).hexdigest()
        elif sign == "bad":
            headers["X-Hub-Signature-256"] = "sha256=" + hmac.new(
                b"not-the-secret", raw, hashlib.sha256).hexdigest()
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
        if what == "inbound":
            sign = req.pop("sign", "good")
            with st.lock:
                for m in req.get("messages", []):
                    # the customer wrote: their window opens, whatever
                    # the bridge makes of it
                    st.window[m["from"]] = max(st.window.get(m["from"], 0),
                                               int(m["timestamp"]))
            return self.answer(200, {"status": self.post_webhook(req, sign)})
        with st.lock:
            if what == "media":
                st.media[req["id"]] = (req["mime_type"],
                                       base64.b64decode(req["data"]))
                return self.answer(200, {})
            if what == "window":
                st.window[req["wa_id"]] = req["last"]
                return self.answer(200, {})
            if what == "fail":
                if req.get("clear"):
                    st.fail = []
                else:
                    st.fail.append(req)
                return self.answer(200, {})
            if what == "calls":
                text = "".join(json.dumps(c) + "\n" for c in st.calls)
                return self.answer(200, raw=text.encode(),
                                   ctype="application/x-ndjson")
        return self.answer(404, {"error": "no such control"})

    def take_rule(self, kind):
        for rule in self.server.state.fail:
            if kind in (rule.get("paths") or ["messages", "media"]) and \
                    rule["count"] > 0:
                rule["count"] -= 1
                return rule
        return None

    # --- the Graph API ---
    def messages(self, raw):
        st = self.server.state
        try:
            req = json.loads(raw.decode("utf-8"))
        except ValueError:
            return self.error(400, 100, "Invalid parameter")
        if req.get("messaging_product") != "whatsapp" or not req.get("to"):
            return self.error(400, 100, "Invalid parameter",
                              "messaging_product and to are required")
        kind = req.get("type")
        if kind == "text":
            body = (req.get("text") or {}).get("body", "")
            if not body.strip():
                return self.error(400, 100, "Invalid parameter",
                                  "text.body is required")
            if len(body) > 4096:
                return self.error(400, 100, "Invalid parameter",
                                  "text.body is longer than 4096")
        elif kind in ("image", "document"):
            mid = (req.get(kind) or {}).get("id")
            with st.lock:
                known = mid in st.media
            if not known:
                return self.error(400, 131053, "Media upload error",
                                  "unknown media id")
        elif kind == "template":
            t = req.get("template") or {}
            if not t.get("name") or not (t.get("language") or {}).get("code"):
                return self.error(400, 132000, "Template error",
                                  "name and language.code are required")
        else:
            return self.error(400, 100, "Invalid parameter",
                              "unknown type %s" % kind)
        with st.lock:
            last = st.window.get(req["to"], 0)
            if kind != "template" and time.time() - last > WINDOW:
                return self.error(
                    400, 131047, "Re-engagement message",
                    "More than 24 hours have passed since the recipient "
                    "last replied to the sender number.")
            wamid = "wamid.HBgL%s%06dFQIAERgS" % (req["to"], st.next_id)
            st.next_id += 1
            st.calls.append({"n": len(st.calls) + 1, "time": time.time(),
                             "path": "messages", "body": req, "id": wamid})
        return self.answer(200, {
            "messaging_product": "whatsapp",
            "contacts": [{"input": req["to"], "wa_id": req["to"]}],
            "messages": [{"id": wamid}]})

    def upload(self, raw):
        st = self.server.state
        ctype = self.headers.get("Content-Type") or ""
        if not ctype.startswith("multipart/form-data"):
            return self.error(400, 100, "Invalid parameter",
                              "multipart/form-data expected")
        msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + raw)
        fields, file = {}, None
        for part in msg.iter_parts():
            name = part.get_param("name", header="content-disposition")
            data = part.get_payload(decode=True) or b""
            if part.get_filename() is not None:
                file = {"filename": part.get_filename(),
                        "content_type": part.get_content_type(),
                        "data": data}
            else:
                fields[name] = data.decode("utf-8")
        if fields.get("messaging_product") != "whatsapp" or file is None \
                or not fields.get("type"):
            return self.error(400, 100, "Invalid parameter",
                              "messaging_product, type and file required")
        with st.lock:
            mid = "media-%d" % st.next_id
            st.next_id += 1
            st.media[mid] = (file["content_type"], file["data"])
            st.calls.append({"n": len(st.calls) + 1, "time": time.time(),
                             "path": "media", "id": mid, "file": {
                                 "filename": file["filename"],
                                 "content_type": file["content_type"],
                                 "type": fields["type"],
                                 "size": len(file["data"]),
                                 "sha256": hashlib.sha256(
                                     file["data"]).hexdigest()}})
        return self.answer(200, {"id": mid})

    def dispatch(self, method):
        st = self.server.state
        raw = self.body()
        path = self.path.split("?", 1)[0]
        if path.startswith("/control/"):
            return self.control(path[len("/control/"):], raw)
        if self.headers.get("Authorization") != "Bearer " + st.args.token:
            return self.error(401, 190, "Error validating access token")
        parts = path.strip("/").split("/")
        if parts and parts[0].startswith("v") and \
                parts[0][1:].replace(".", "").isdigit():
            parts = parts[1:]      # the API version: any is served
        if method == "GET" and len(parts) == 2 and parts[0] == "download":
            with st.lock:
                found = st.media.get(parts[1])
            if found is None:
                return self.error(404, 100, "Not found")
            return self.answer(200, raw=found[1], ctype=found[0])
        if method == "GET" and len(parts) == 1:
            with st.lock:
                found = st.media.get(parts[0])
            if found is None:
                return self.error(400, 100, "Unsupported get request")
            return self.answer(200, {
                "messaging_product": "whatsapp",
                "url": "http://127.0.0.1:%d/download/%s" % (
                    st.args.port, parts[0]),
                "mime_type": found[0],
                "sha256": hashlib.sha256(found[1]).hexdigest(),
                "file_size": len(found[1]), "id": parts[0]})
        if method == "POST" and len(parts) == 2 and \
                parts[0] == st.args.phone_number_id and \
                parts[1] in ("messages", "media"):
            with st.lock:
                rule = self.take_rule(parts[1])
            if rule is not None:
                http = rule.get("http", 500)
                if http >= 500 and "code" not in rule:
                    return self.answer(http, raw=b"<html>Server Error",
                                       ctype="text/html")
                return self.error(http, rule.get("code", 1),
                                  rule.get("message", "An unknown error "
                                           "occurred"),
                                  rule.get("details"))
            if parts[1] == "messages":
                return self.messages(raw)
            return self.upload(raw)
        return self.error(400, 100, "Unsupported request")

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--phone-number-id", required=True)
    ap.add_argument("--app-secret", required=True)
    ap.add_argument("--webhook", required=True)
    args = ap.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.state = State(args)
    print("ready %d" % args.port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
