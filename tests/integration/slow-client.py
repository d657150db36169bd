#!/usr/bin/env python3
"""slow-client.py HOST PORT SOURCE COUNT MODE: opens COUNT connections to
HOST:PORT from the loopback address SOURCE and sends a webhook post
slowly, as an attacker holding connections would.  MODE "headers" sends
the request line and then a header byte every 2 s; "body" sends the
headers at once and then a body byte every 2 s.  Prints, for each
connection, the seconds after which the server closed it (or "open" if
it still was after 30 s), one a line.  Only loopback addresses."""
import socket
import sys
import time

host, port, source, count, mode = (sys.argv[1], int(sys.argv[2]),
                                   sys.argv[3], int(sys.argv[4]), sys.argv[5])
assert host.startswith("127.") and source.startswith("127.")
socks = []
for _ in range(count):
    s = socket.socket()
    s.bind((source, 0))
    s.connect((host, port))
    s.setblocking(False)
    socks.append(s)
start = time.monotonic()
head = b"POST /telegram HTTP/1.1\r\nHost: x\r\n"
if mode == "body":
    head += (b"Content-Type: application/json\r\n"
             b"Content-Length: 1000\r\n\r\n")
for s in socks:
    try:
        s.send(head)
    except OSError:
        pass
closed = [None] * count
while time.monotonic() - start < 30 and None in closed:
    for i, s in enumerate(socks):
        if closed[i] is not None:
            continue
        try:
            if s.recv(4096) == b"":
                closed[i] = time.monotonic() - start
                continue
        except BlockingIOError:
            pass
        except OSError:
            closed[i] = time.monotonic() - start
            continue
        try:
            s.send(b"X" if mode == "body" else b"X-Slow: 1\r\n"[:1])
        except OSError:
            closed[i] = time.monotonic() - start
    time.sleep(2)
for c in closed:
    print("open" if c is None else "%.1f" % c)
