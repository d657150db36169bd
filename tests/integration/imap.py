#!/usr/bin/env python3
"""imap.py: a real IMAP client (Python's imaplib) for the end-to-end
tests, as an agent's mail client would act on ticket mail.

  imap.py PORT USER PASSWORD list
      every message in every folder: FOLDER UID TICKET FLAGS...
  imap.py PORT USER PASSWORD folders
      the folders LIST shows, one a line
  imap.py PORT USER PASSWORD store FOLDER TICKET +FLAGS|-FLAGS KEYWORD
  imap.py PORT USER PASSWORD move|copy FOLDER TICKET DEST
  imap.py PORT USER PASSWORD expunge FOLDER TICKET

TICKET picks the messages whose X-Shopdesk-Ticket is exactly TICKET
(all of them); DEST is created when missing.  Exit 1 on any IMAP error.
"""
import imaplib
import re
import sys


def check(result):
    typ, data = result
    if typ != "OK":
        sys.exit("imap: %s %r" % (typ, data))
    return data


def folders(imap, selectable=False):
    """The names LIST shows; with selectable, without those that hold
    no messages (\\Noselect: "shared", "shared/USER")."""
    names = []
    for line in check(imap.list()):
        m = re.match(rb'\((.*?)\) "(.*?)" (.*)$', line)
        if selectable and b"\\noselect" in m.group(1).lower():
            continue
        name = m.group(3).decode()
        if name.startswith('"'):
            name = name[1:-1]
        names.append(name)
    return names


def ticket_uids(imap, folder, ticket):
    """UIDs in folder whose X-Shopdesk-Ticket is exactly ticket."""
    check(imap.select('"%s"' % folder))
    found = check(imap.uid("SEARCH", None, "HEADER", "X-Shopdesk-Ticket",
                           ticket))[0].split()
    uids = []
    for uid, header, flags in fetch(imap, b",".join(found)):
        if header == ticket:
            uids.append(uid)
    return uids


def fetch(imap, uid_set):
    """(uid, ticket header, [flags]) for each message of uid_set."""
    if not uid_set:
        return []
    out = []
    data = check(imap.uid("FETCH", uid_set,
                          "(UID FLAGS BODY.PEEK[HEADER.FIELDS "
                          "(X-SHOPDESK-TICKET)])"))
    for item in data:
        if not isinstance(item, tuple):
            continue
        meta = item[0].decode()
        uid = re.search(r"UID (\d+)", meta).group(1)
        flags = re.search(r"FLAGS \((.*?)\)", meta)
        header = item[1].decode().strip()
        header = header.split(":", 1)[1].strip() if ":" in header else ""
        out.append((uid, header, flags.group(1).split() if flags else []))
    return out


def main():
    port, user, password, command = sys.argv[1:5]
    args = sys.argv[5:]
    imap = imaplib.IMAP4("127.0.0.1", int(port))
    check(imap.login(user, password))
    if command == "list":
        for folder in folders(imap, selectable=True):
            check(imap.select('"%s"' % folder, readonly=True))
            for uid, ticket, flags in fetch(imap, b"1:*"):
                print(folder, uid, ticket or "-", *sorted(flags))
    elif command == "folders":
        for folder in folders(imap):
            print(folder)
    elif command == "store":
        folder, ticket, op, keyword = args
        uids = ticket_uids(imap, folder, ticket)
        check(imap.uid("STORE", ",".join(uids), op, "(%s)" % keyword))
    elif command in ("move", "copy"):
        folder, ticket, dest = args
        if dest not in folders(imap):
            check(imap.create('"%s"' % dest))
        uids = ticket_uids(imap, folder, ticket)
        check(imap.uid(command.upper(), ",".join(uids), '"%s"' % dest))
    elif command == "expunge":
        folder, ticket = args
        uids = ticket_uids(imap, folder, ticket)
        check(imap.uid("STORE", ",".join(uids), "+FLAGS", "(\\Deleted)"))
        check(imap.expunge())
    else:
        sys.exit("imap: unknown command %s" % command)
    imap.logout()


if __name__ == "__main__":
    main()
