#!/usr/bin/env python3
"""smtp-send.py: sends one message file many times over SMTP, as fast as
the server takes it, and prints the messages per second.

    smtp-send.py HOST:PORT COUNT SESSIONS FROM TO FILE

SESSIONS threads each send their share, one SMTP connection per message
(as mail reaches an MX).  Every @@N@@ in FILE and FROM becomes the
message's number, so that each message has its own Message-ID, Subject
and sender: to shopdesk, each is a new customer's new ticket.  FILE has
LF line ends; smtplib sends CRLF and dot-stuffs.

Not smtp-source -F: it sends the same bytes every time, and a repeated
Message-ID is a duplicate to shopdesk, a cheaper path than new mail.
Exits 1 if any message was refused."""

import smtplib
import sys
import threading
import time


def main():
    if len(sys.argv) != 7:
        sys.exit(__doc__)
    server, count, sessions, sender, rcpt, path = sys.argv[1:]
    host, port = server.rsplit(":", 1)
    count, sessions = int(count), int(sessions)
    with open(path, encoding="utf-8") as f:
        template = f.read()
    errors = []
    lock = threading.Lock()
    numbers = iter(range(100000, 100000 + count))

    def session():
        while True:
            with lock:
                n = next(numbers, None)
            if n is None:
                return
            tag = str(n)
            try:
                with smtplib.SMTP(host, int(port)) as smtp:
                    smtp.ehlo("client.example.net")
                    smtp.sendmail(sender.replace("@@N@@", tag), [rcpt],
                                  template.replace("@@N@@", tag)
                                  .encode("utf-8"))
            except (smtplib.SMTPException, OSError) as e:
                with lock:
                    errors.append("message %s: %s" % (tag, e))

    threads = [threading.Thread(target=session) for _ in range(sessions)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    for e in errors[:5]:
        print(e, file=sys.stderr)
    if errors:
        print("%d of %d messages refused" % (len(errors), count),
              file=sys.stderr)
        sys.exit(1)
    print("%.1f" % (count / elapsed))


main()
