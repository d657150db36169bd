#!/usr/bin/env python3
"""gen-maildir.py: a desk mailbox as shopdesk-milter and Dovecot leave it,
for the benchmark of `shopdeskctl rebuild --from-mailbox` (bench-rebuild.sh).

    gen-maildir.py [--tickets N] [--messages M] [--queue Q] [--domain D]
                   [--tag TAG] [--timezone TZ] [--span-days DAYS]
                   [--end ISO-TIME] [--seed S] [--manifest FILE] OUT

Writes the Maildir OUT (made; it must not exist or be empty): N tickets
(ids 1..N, in the order they came) and M messages in all, each ticket at
least one.  Every message is a copy the milter stamped (X-Shopdesk-*,
in the order pipeline.c adds them, in the forms of the rebuild's
contract) and Dovecot delivered: a Received chain, DKIM, the client's
headers, a text/plain body or multipart/alternative with HTML, 2 to
4 kB.  A ticket starts with the customer's mail (rule new, or a reply to
a closed ticket of the same customer: Linked-To), goes on with the
customer's replies (references mostly, some token, tag, subject;
messenger on a chat channel), agents' replies (outbound, X-Shopdesk-From
the agent, X-Shopdesk-Subject the subject as the agent sent it) and a
few notes; agents' #assign, #category and #status commands; an answer
to "was it solved?" now and then (X-Shopdesk-Rating).  Times increase
within a ticket (X-Shopdesk-Seq too), ticket ids with the time their
first message came, and nothing is later than --end.  Message-IDs are
unique.

Filed as shopdesk.sieve files: inbound in .Q (e.g. .Sales), outbound in
.Q.Sent, notes in .Q.Notes; mail from before the script was installed
(the first tenth of the time) is in INBOX (OUT/cur).  Each folder has
its own dovecot-keywords, in its own order, and every message carries
the keyword of its ticket's current status (not always the
X-Shopdesk-Status of its last message: an agent resolved it by a move,
or it closed itself after being resolved; only tickets resolved in the
last 2 days are still resolved, so that a milter started on the rebuilt
store finds no autoclose due), plus a few other keywords ($Forwarded,
NonJunk).  dovecot-uidlist, maildirfolder and subscriptions are there
as Dovecot writes them.

Prints on stdout one JSON object: what it made (tickets, messages, the
tickets by current status, linked, assigned, categorised, rated, the
messages by direction and folder, bytes, seconds).  --manifest writes
each ticket as made, for comparing with what the rebuilt store holds.
Python 3 standard library only.
"""

import argparse
import base64
import binascii
import datetime
import functools
import hashlib
import hmac
import json
import os
import random
import sys
import time
import zoneinfo
from email.utils import formataddr

STATUSES = ("new", "open", "pending", "resolved", "closed")

FIRST = ["Alice", "Jonas", "Greta", "Tomas", "Rūta", "Žydrūnė", "Anna",
         "Lukas", "Marie", "Jürgen", "Olga", "Дмитрий", "Emma", "Oliver",
         "Sofia", "Mantas", "Eglė", "Paul", "Ieva", "Mark", "Laura",
         "Kęstutis", "Sarah", "Pat", "Ingrida", "Viktor"]
LAST = ["Smith", "Kazlauskas", "Petrauskaitė", "Müller", "Schneider",
        "Jankauskas", "Brown", "Ivanova", "Šimkus", "O'Brien", "Wilson",
        "Vasiliauskas", "Fischer", "Novak", "Lee", "Baranauskienė",
        "Weber", "Taylor", "Kowalski", "Žukauskas"]
ASCII = str.maketrans("ūžėęąčšįųŪŽĖĘĄČŠĮŲü'", "uzeeacsiuUZEEACSIUu-")
CUSTOMER_DOMAINS = ["example.com", "example.net", "example.org",
                    "mail.example.lt", "post.example.de", "inbox.example.ru",
                    "customers.example"]
RELAYS = {  # domain: (relay host, its address)
    "example.com": ("mail-wr1-f41.example.com", "198.51.100.41"),
    "example.net": ("mail-ej1-f54.example.net", "203.0.113.54"),
    "example.org": ("smtp.example.org", "192.0.2.77"),
    "mail.example.lt": ("mx2.mail.example.lt", "198.51.100.7"),
    "post.example.de": ("mout.post.example.de", "203.0.113.212"),
    "inbox.example.ru": ("forward101.inbox.example.ru", "192.0.2.101"),
    "customers.example": ("out.customers.example", "198.51.100.99"),
}
AGENTS = [("Ann Petrauskaitė", "ann"), ("Bob Miller", "bob"),
          ("Carla Jansen", "carla"), ("Darius Vaitkus", "darius"),
          ("Eve Novak", "eve")]
CATEGORIES = ["delivery", "returns", "payment", "product", "warranty"]
LANGUAGES = ["en"] * 5 + ["lt"] * 3 + ["de"] * 2 + ["ru"]
SUBJECTS = [
    "Where is my order?", "Order 10{n} not delivered yet",
    "Wrong size received", "Refund for order #{n}",
    "Question about the warranty", "Damaged parcel",
    "Can I change the delivery address?", "Invoice for my company",
    "Payment failed but money was taken", "Return label please",
    "Užsakymas nr. {n} – kada pristatysite?", "Grąžinimas: netinkamas dydis",
    "Rückerstattung für Bestellung {n}", "Lieferung beschädigt",
    "Где мой заказ {n}?", "Promo code does not work",
    "Missing item in order {n}", "Do you ship to Latvia?",
    "Product availability", "Cancel my order please",
]
PARAS = [
    "I ordered a pair of running shoes last week and the tracking page has "
    "not changed since Monday. Could you please check with the courier what "
    "is going on? I need them before the weekend.",
    "The parcel arrived today but the box was crushed and one of the cups "
    "inside is broken. I attach no photo for now, but I can send one if you "
    "need it for the claim.",
    "Thank you for the quick answer. I will wait for the courier then, but "
    "please let me know if anything changes on your side.",
    "Sveiki, užsakiau prekę prieš savaitę, bet vis dar negavau jokios "
    "informacijos apie siuntą. Ar galite patikrinti, kur ji dabar yra?",
    "Guten Tag, leider ist die Ware beschädigt angekommen. Bitte teilen Sie "
    "mir mit, wie ich sie zurücksenden kann und wann ich mein Geld erhalte.",
    "Здравствуйте! Заказ оплачен, но статус до сих пор «в обработке». "
    "Подскажите, пожалуйста, когда его отправят?",
    "My card was charged twice for the same order. The bank says the second "
    "payment is still pending; can you cancel it from your side?",
    "I would like to return the jacket, it is too small. Is the return free "
    "of charge, and do I need to print a label myself?",
    "The promo code SPRING24 from your newsletter says it has expired, but "
    "the newsletter says it is valid until the end of the month.",
    "Could you send me an invoice with our company details? The company "
    "name and VAT number are in my account settings.",
]
AGENT_PARAS = [
    "Thank you for writing to us. I have checked your order: it left our "
    "warehouse on Tuesday and the courier expects to deliver it tomorrow "
    "between 10:00 and 14:00.",
    "I am sorry about the damaged parcel. We will send a replacement today "
    "at no cost; you do not need to return the broken item.",
    "The refund has been issued to your card. Depending on your bank it can "
    "take 3 to 5 working days to appear on your statement.",
    "I have attached the return label to this message. Please print it, "
    "stick it on the box and drop the parcel at any pickup point.",
    "Ačiū, kad parašėte. Siunta jau pakeliui, kurjeris ją pristatys rytoj.",
    "Vielen Dank für Ihre Nachricht. Die Rückerstattung wurde veranlasst.",
    "Could you please send us the order number and a photo of the label on "
    "the box? Then I can open a claim with the courier right away.",
]
NOTE_PARAS = [
    "Called the courier: the parcel is stuck at the hub, they promise to "
    "deliver tomorrow. Follow up if the customer writes again.",
    "Customer has written three times this month about the same order; "
    "offer the 10 % voucher if it is late again.",
    "Refund approved by finance, reference RF-{n}.",
]
SIGNATURE = ("\n\n-- \nShop customer care\nhttps://shop.test/help\n"
             "Mon-Fri 9:00-18:00 (Vilnius time)\n")
USER_AGENTS = [
    "Mozilla Thunderbird", "Microsoft Outlook 16.0",
    "Apple Mail (2.3774.500.171.1.1)", "Roundcube Webmail/1.6.5",
    "K-9 Mail for Android",
]


class Rand:
    """Cheap random text: slices of one long base64 and hex string."""

    def __init__(self, rng):
        self.rng = rng
        raw = bytes(rng.getrandbits(8) for _ in range(1 << 16))
        self.b64 = base64.b64encode(raw).decode()
        self.hex = raw.hex()

    def b64s(self, n):
        i = self.rng.randrange(len(self.b64) - n)
        return self.b64[i:i + n]

    def hexs(self, n):
        i = self.rng.randrange(len(self.hex) - n)
        return self.hex[i:i + n]

    def queue_id(self):
        return self.hexs(10).upper()


def encoded_words(text):
    """RFC 2047 "B" words of at most 45 bytes of UTF-8 each (60 of
    base64, 72 with the delimiters), cut between characters."""
    words, chunk, size = [], [], 0
    for ch in text:
        n = len(ch.encode())
        if size + n > 45:
            words.append("".join(chunk))
            chunk, size = [], 0
        chunk.append(ch)
        size += n
    words.append("".join(chunk))
    return ["=?utf-8?b?%s?=" % base64.b64encode(w.encode()).decode()
            for w in words]


@functools.lru_cache(maxsize=4096)
def enc(text):
    """RFC 2047 as the milter writes a header (unfolded), plain ASCII kept."""
    if text.isascii():
        return text
    return " ".join(encoded_words(text))


@functools.lru_cache(maxsize=4096)
def enc_folded(text):
    """As a mail client writes it: folded between the words."""
    if text.isascii():
        return text
    return "\n ".join(encoded_words(text))


@functools.lru_cache(maxsize=65536)
def mailbox(name, address):
    return formataddr((name, address), charset="utf-8") if name else address


def fold(value, width=72, indent="\t"):
    out = []
    while len(value) > width:
        out.append(value[:width])
        value = value[width:]
    out.append(value)
    return ("\n" + indent).join(out)


class Clock:
    """Date formats, cached per (second, zone) where it pays."""

    def __init__(self, shop_tz):
        self.shop_tz = shop_tz

    @staticmethod
    def rfc2822(t, offset_min):
        tm = time.gmtime(t + offset_min * 60)
        sign = "+" if offset_min >= 0 else "-"
        o = abs(offset_min)
        return "%s, %d %s %d %02d:%02d:%02d %s%02d%02d" % (
            ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[tm.tm_wday],
            tm.tm_mday, ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
                         "Aug", "Sep", "Oct", "Nov", "Dec")[tm.tm_mon - 1],
            tm.tm_year, tm.tm_hour, tm.tm_min, tm.tm_sec, sign, o // 60,
            o % 60)

    def shop(self, t):
        """Postfix's form: 'Wed,  4 Dec 2026 17:00:01 +0200 (EET)'."""
        d = datetime.datetime.fromtimestamp(t, self.shop_tz)
        return d.strftime("%a, ") + ("%2d" % d.day) + d.strftime(
            " %b %Y %H:%M:%S %z (%Z)")

    def shop_offset(self, t):
        d = datetime.datetime.fromtimestamp(t, self.shop_tz)
        return int(d.utcoffset().total_seconds() // 60)

    @staticmethod
    def utc(t):
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))

    def reply_by(self, t):
        d = datetime.datetime.fromtimestamp(t, self.shop_tz)
        s = d.strftime("%Y-%m-%dT%H:%M:%S%z")
        return s[:-2] + ":" + s[-2:]


class Customer:
    __slots__ = ("name", "address", "offset", "language", "channel",
                 "relay", "closed", "chat", "ua")


def seal(key, lines, message_id):
    """X-Shopdesk-Mac as lib/stamp.c makes it: HMAC-SHA256 with the key
    over "shopdesk-stamps:", each X-Shopdesk-* header in order (the name
    lowercased, the value's white space runs one space, trimmed) and the
    Message-ID; the first 16 bytes in hex."""
    text = ""
    for line in lines:
        name, sep, value = line.partition(":")
        if not sep or not name.lower().startswith("x-shopdesk-") or \
                name.lower() == "x-shopdesk-mac":
            continue
        text += "%s:%s\n" % (name.lower(), " ".join(value.split()))
    text += "message-id:%s\n" % message_id
    mac = hmac.new(key, b"shopdesk-stamps:" + text.encode(),
                   hashlib.sha256)
    return mac.hexdigest()[:32]


class Gen:
    def __init__(self, args):
        self.a = args
        self.rng = random.Random(args.seed)
        self.r = Rand(self.rng)
        self.tz = zoneinfo.ZoneInfo(args.timezone)
        self.clock = Clock(self.tz)
        self.domain = args.domain
        self.queue = args.queue
        self.queue_address = "%s@%s" % (args.queue, args.domain)
        self.queue_display = args.queue.capitalize()
        self.host = "mail"
        self.pid = 4711
        self.seq = 0
        self.unique_n = 0
        self.files = {}     # folder -> [(time, base name)]
        self.bytes = 0
        self.by_direction = {"inbound": 0, "outbound": 0, "note": 0}
        self.by_status = dict.fromkeys(STATUSES, 0)
        self.linked = 0
        self.assigned = 0
        self.categorized = 0
        self.manifest = open(args.manifest, "w") if args.manifest else None
        self.key = None
        if args.key:
            with open(args.key, "rb") as f:
                self.key = f.read()
        if self.manifest is not None:
            self.manifest.write("# id\tstatus\tmessages\tlinked_to\t"
                                "assignee\tcategory\tchannel\n")
        self.rated = 0
        self.channels = {}
        self.queue_ids = set()
        self.folders = {
            "": None,  # INBOX: OUT itself
            "inbound": "." + self.queue_display,
            "outbound": "." + self.queue_display + ".Sent",
            "note": "." + self.queue_display + ".Notes",
        }
        self.make_folders()

    # --- the mailbox -------------------------------------------------
    def make_folders(self):
        out = self.a.out
        os.makedirs(out, exist_ok=True)
        if os.listdir(out):
            sys.exit("gen-maildir: %s is not empty" % out)
        extra = ["$Forwarded", "NonJunk", "$MDNSent"]
        self.keywords = {}   # folder dir -> {keyword: letter}
        for i, sub in enumerate(sorted(set(self.folders.values()),
                                       key=lambda s: s or "")):
            d = out if sub is None else os.path.join(out, sub)
            for part in ("cur", "new", "tmp"):
                os.makedirs(os.path.join(d, part), exist_ok=True)
            if sub is not None:
                open(os.path.join(d, "maildirfolder"), "w").close()
            # Dovecot numbers keywords in the order of their first use:
            # each folder its own order
            if i == 1:
                names = list(STATUSES[1:]) + ["new"] + extra
            else:
                names = list(STATUSES) + extra
                self.rng.shuffle(names)
            with open(os.path.join(d, "dovecot-keywords"), "w") as f:
                for n, k in enumerate(names):
                    f.write("%d %s\n" % (n, k))
            self.keywords[d] = {k: chr(ord("a") + n)
                                for n, k in enumerate(names)}
            self.files[d] = []
        with open(os.path.join(out, "subscriptions"), "w") as f:
            f.write("V\t2\n\n")
            for sub in sorted(s for s in self.folders.values() if s):
                f.write(sub[1:].replace(".", "\t") + "\n")

    def folder_of(self, direction, t):
        sub = None if t < self.sieve_since else self.folders[direction]
        return self.a.out if sub is None else os.path.join(self.a.out, sub)

    def write(self, msg, t, direction, status, flags, extra_kw):
        d = self.folder_of(direction, t)
        data = msg.encode()
        size = len(data)
        vsize = size + msg.count("\n")
        self.seq += 1
        base = "%d.M%dP%dQ%d.%s,S=%d,W=%d" % (
            t, (self.seq * 7919) % 1000000, self.pid, self.seq, self.host,
            size, vsize)
        kw = self.keywords[d]
        letters = sorted([kw[status]] + [kw[k] for k in extra_kw])
        name = base + ":2," + "".join(sorted(flags)) + "".join(letters)
        path = os.path.join(d, "cur", name)
        with open(path, "wb") as f:
            f.write(data)
        os.utime(path, (t, t))
        self.files[d].append((t, self.seq, base))
        self.bytes += size

    def finish(self):
        uidvalidity = int(self.start)
        for d, lst in self.files.items():
            lst.sort()
            with open(os.path.join(d, "dovecot-uidlist"), "w") as f:
                f.write("3 V%d N%d G%s\n" % (uidvalidity, len(lst) + 1,
                                             self.r.hexs(32)))
                for uid, (_, _, base) in enumerate(lst, 1):
                    f.write("%d :%s\n" % (uid, base))

    # --- people ------------------------------------------------------
    def customers(self, n):
        out = []
        for i in range(n):
            c = Customer()
            first = self.rng.choice(FIRST)
            last = self.rng.choice(LAST)
            x = self.rng.random()
            c.name = ("%s %s" % (first, last) if x < 0.8 else
                      "%s %s. %s" % (first, last[0], last) if x < 0.85 else
                      "%s, %s" % (last, first) if x < 0.9 else "")
            r = self.rng.random()
            c.channel = ("email" if r < 0.94 else "telegram" if r < 0.98
                         else "whatsapp")
            c.chat = None
            if c.channel == "telegram":
                c.chat = str(100000000 + i * 37)
                c.address = "tg.%s@telegram.%s" % (c.chat, self.domain)
            elif c.channel == "whatsapp":
                c.chat = "3706%07d" % i
                c.address = "wa.%s@whatsapp.%s" % (c.chat, self.domain)
            else:
                local = ("%s.%s%d" % (first, last, i % 100)).translate(ASCII)
                local = "".join(ch for ch in local.lower()
                                if ch.isascii() and (ch.isalnum() or
                                                     ch in ".-"))
                c.address = "%s@%s" % (local or "c%d" % i,
                                       self.rng.choice(CUSTOMER_DOMAINS))
            c.offset = self.rng.choice([120, 120, 120, 60, 60, 180, 0,
                                        -300])
            c.language = (self.rng.choice(LANGUAGES)
                          if self.rng.random() < 0.85 else "")
            c.relay = RELAYS.get(c.address.split("@")[1])
            c.closed = None   # (ticket id, closed at, last Message-ID,
            #                   subject) of the customer's last closed one
            c.ua = self.rng.choice(USER_AGENTS)
            out.append(c)
        return out

    # --- headers -----------------------------------------------------
    def dkim(self, d, t, signed):
        return ("DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; "
                "d=%s; s=%s;\n\tt=%d; x=%d; darn=%s;\n"
                "\th=%s;\n\tbh=%s=;\n\tb=%s==\n" % (
                    d, "s2024" if d == self.domain else "20230601", t - 2,
                    t + 604798, self.domain, signed, self.r.b64s(43),
                    fold(self.r.b64s(342), 70)))

    def received_in(self, c, t, qid, rcpt):
        """The chain of a customer's mail, newest first (Dovecot's LMTP on
        top), and the Return-Path/Delivered-To Dovecot writes."""
        lmtp = ("Return-Path: <%s>\nDelivered-To: %s\n"
                "Received: from mx.%s\n\tby %s.%s with LMTP\n"
                "\tid %s\n\t(envelope-from <%s>)\n\tfor <%s>; %s\n" % (
                    c.address, self.queue_address, self.domain, self.host,
                    self.domain, self.r.b64s(22), c.address, rcpt,
                    self.clock.shop(t)))
        if c.channel != "email":
            return lmtp + ("Received: by mx.%s (Postfix, from userid 0)\n"
                           "\tid %s; %s\n" % (self.domain, qid,
                                              self.clock.shop(t)))
        host, ip = c.relay
        return lmtp + (
            "Received: from %s (%s [%s])\n"
            "\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 "
            "bits)\n\t key-exchange X25519 server-signature RSA-PSS (2048 "
            "bits))\n\t(No client certificate requested)\n"
            "\tby mx.%s (Postfix) with ESMTPS id %s\n\tfor <%s>; %s\n"
            "Received: by %s with SMTP id %s.%d\n"
            "        for <%s>; %s\n"
            "Authentication-Results: mx.%s;\n\tdkim=pass (2048-bit key; "
            "unprotected) header.d=%s header.i=@%s header.a=rsa-sha256 "
            "header.s=20230601 header.b=%s;\n\tspf=pass smtp.mailfrom=%s\n"
            % (host, host, ip, self.domain, qid, rcpt, self.clock.shop(t),
               host, self.r.hexs(24), self.rng.randrange(1, 9),
               rcpt, self.clock.rfc2822(t - 1, c.offset), self.domain,
               c.address.split("@")[1], c.address.split("@")[1],
               self.r.b64s(8), c.address)
        ) + self.dkim(c.address.split("@")[1], t,
                      "mime-version:from:date:message-id:subject:to")

    def received_agent(self, login, t, qid):
        ip = "192.0.2.%d" % (20 + sum(map(ord, login)) % 200)
        return (
            "Return-Path: <%s>\nDelivered-To: %s\n"
            "Received: from mx.%s\n\tby %s.%s with LMTP\n\tid %s\n"
            "\t(envelope-from <%s>)\n\tfor <%s>; %s\n"
            "Received: from [10.0.0.%d] (unknown [%s])\n"
            "\t(Authenticated sender: %s@%s)\n"
            "\tby mx.%s (Postfix) with ESMTPSA id %s;\n\t%s\n" % (
                self.queue_address, self.queue_address, self.domain,
                self.host, self.domain, self.r.b64s(22), self.queue_address,
                self.queue_address, self.clock.shop(t),
                sum(map(ord, login)) % 250 + 2, ip, login, self.domain,
                self.domain, qid, self.clock.shop(t))
        ) + self.dkim(self.domain, t, "from:reply-to:to:subject:date:"
                      "message-id:in-reply-to:references:mime-version")

    def new_qid(self):
        while True:
            q = self.r.queue_id()
            if q not in self.queue_ids:
                self.queue_ids.add(q)
                return q

    # --- bodies ------------------------------------------------------
    def body(self, paras, quoted, html, signature="", commands=()):
        n = self.rng.randint(1, 3)
        text = "\n\n".join(self.rng.choice(paras) for _ in range(n))
        text = own = text.replace("{n}",
                                  str(self.rng.randrange(10000, 99999)))
        if quoted:
            quoted = quoted[:280].replace("\n\n", " ")
            text += "\n\n> " + "\n> ".join(
                quoted[i:i + 70].strip() for i in range(0, len(quoted), 70))
        text += signature
        if commands:
            text = "\n".join(commands) + "\n\n" + text
        raw = text.encode()
        if text.isascii():
            cte, payload = "7bit", text
        elif self.rng.random() < 0.5:
            cte, payload = "8bit", text
        else:
            cte = "quoted-printable"
            payload = binascii.b2a_qp(raw).decode()
        plain = ("Content-Type: text/plain; charset=\"UTF-8\"\n"
                 "Content-Transfer-Encoding: %s\n" % cte)
        if not html:
            return plain, payload + "\n", own
        boundary = "000000000000" + self.r.hexs(16)
        htmltext = "<div dir=\"ltr\">" + "".join(
            "<p>%s</p>" % p for p in text.split("\n\n")
            if not p.startswith(">")) + "</div>"
        htmlpart = base64.encodebytes(htmltext.encode()).decode()
        return ("Content-Type: multipart/alternative; boundary=\"%s\"\n"
                % boundary,
                "--%s\n%s\n%s\n--%s\nContent-Type: text/html; "
                "charset=\"UTF-8\"\nContent-Transfer-Encoding: base64\n\n"
                "%s\n--%s--\n" % (boundary, plain, payload, boundary,
                                  htmlpart, boundary), own)

    # --- a ticket ----------------------------------------------------
    def plan(self, k):
        """Directions of a ticket's k messages."""
        dirs = ["inbound"]
        last = "inbound"
        for _ in range(k - 1):
            if self.rng.random() < 0.06:
                dirs.append("note")
                continue
            if last == "inbound":
                last = "outbound" if self.rng.random() < 0.85 else "inbound"
            else:
                last = "inbound" if self.rng.random() < 0.8 else "outbound"
            dirs.append(last)
        return dirs

    def ticket(self, tid, c, t0, k, sla_hours):
        rng = self.rng
        a = self.a
        old = t0 < self.end - 14 * 86400
        dirs = self.plan(k)
        agent = rng.choice(AGENTS)
        # the end: which outbound resolves the ticket, and whether an
        # answer to "was it solved?" follows it
        resolve_at = None
        rating_at = None
        last_non_note = max(i for i, d in enumerate(dirs) if d != "note")
        if old or rng.random() < 0.3:
            outs = [i for i, d in enumerate(dirs) if d == "outbound"]
            if outs and dirs[last_non_note] == "outbound" and \
                    rng.random() < 0.8:
                resolve_at = last_non_note
            elif (len(outs) > 0 and last_non_note == k - 1 and
                  dirs[last_non_note] == "inbound" and last_non_note > 0 and
                  dirs[last_non_note - 1] == "outbound" and
                  rng.random() < 0.35):
                resolve_at = last_non_note - 1
                rating_at = last_non_note
        category = rng.choice(CATEGORIES) if rng.random() < 0.6 else ""
        language = c.language
        assignee = ""
        assign_at = rng.randrange(1, k) if k > 1 and \
            rng.random() < 0.4 else None
        recat_at = rng.randrange(1, k) if k > 2 and \
            rng.random() < 0.1 else None
        linked = None
        if c.closed is not None and c.closed[1] < t0 - 3600 and \
                rng.random() < 0.25:
            linked = c.closed
            self.linked += 1
        subject = rng.choice(SUBJECTS).replace(
            "{n}", str(rng.randrange(10000, 99999)))
        if linked is not None:
            subject = "Re: [%s #%d] %s" % (a.tag, linked[0], linked[3])
        tagged = self.tag(subject, tid)
        token = "%dk%s" % (tid, self.r.hexs(16))
        ack = rng.random() < (0.85 if c.channel == "email" else 0.5)
        html_client = rng.random() < 0.35

        t = t0
        status = "new"
        promise = None      # the current promise
        reply_by = None     # the first: the ticket's reply_by
        seq_next = 1        # the ticket's history: one event a message,
        #                     its ack, each command, a reopening, a rating
        refs = []
        if linked is not None:
            refs.append(linked[2])
        prev_text = ""
        msgs = []
        # when each came: an agent within hours, a customer within days;
        # squeezed into what is past when the ticket would run on
        times = [t0]
        for i, d in enumerate(dirs[1:], 1):
            times.append(times[-1] + (
                rng.randint(600, 8 * 3600) if d == "outbound" else
                rng.randint(60, 3 * 3600) if d == "note" else
                rng.randint(3 * 86400, 4 * 86400) if i == rating_at else
                rng.randint(1800, 2 * 86400)))
        if times[-1] > self.end:
            f = (self.end - t0) / (times[-1] - t0)
            times = [t0 + int((x - t0) * f) for x in times]
            for i in range(1, len(times)):
                times[i] = max(times[i], times[i - 1] + 1)
        for i, d in enumerate(dirs):
            t = times[i]
            qid = self.new_qid()
            rule = None
            commands = []
            stamp_from = c.address
            sent_subject = None
            rating = None
            cc = None
            events = 1
            if d == "inbound":
                if i == 0:
                    rule = ("references" if linked is not None and
                            rng.random() < 0.7 else
                            "tag" if linked is not None else "new")
                    status = "new"
                    promise = reply_by = t + sla_hours * 3600
                    events += ack
                    sent_subject = subject
                    subj = tagged
                    if rng.random() < 0.1 and c.channel == "email":
                        cc = "%s.cc@%s" % (c.address.split("@")[0],
                                           rng.choice(CUSTOMER_DOMAINS))
                elif i == rating_at:
                    rule = "references"
                    score = rng.choice([5, 5, 5, 4, 4, 3, 2, 1])
                    solved = rng.choice(["yes", "yes", "yes", "no", "-"])
                    rating = "%d %s" % (score, solved)
                    self.rated += 1
                    events += 2
                    if solved == "yes" or score >= 4:
                        status = "closed"
                        promise = None
                    else:
                        status = "open"
                        promise = t + sla_hours * 3600
                    subj = "Re: " + tagged
                else:
                    if c.channel != "email":
                        rule = "messenger"
                    else:
                        x = rng.random()
                        rule = ("references" if x < 0.62 else
                                "token" if x < 0.9 else
                                "tag" if x < 0.97 else "subject")
                    if status in ("pending", "resolved"):
                        status = "open"
                        promise = t + sla_hours * 3600
                        events += 1
                    elif status == "new" and promise is None:
                        promise = t + sla_hours * 3600
                    if rule == "subject":
                        # a new mail, the subject again: the tag added
                        subj = tagged
                        sent_subject = subject
                    elif c.channel != "email":
                        subj = tagged   # the bridge's, every time
                    else:
                        subj = rng.choice(["Re: ", "Re: ", "RE: ", "AW: "]) \
                            + tagged
                    if rng.random() < 0.03 and c.channel == "email":
                        cc = "colleague%d@%s" % (rng.randrange(100),
                                                 c.address.split("@")[1])
            else:
                rule = rng.choice(["references"] * 3 + ["tag"])
                stamp_from = "%s@%s" % (agent[1], self.domain)
                if i == assign_at:
                    assignee = rng.choice(AGENTS)[1]
                    commands.append("#assign " + assignee)
                if i == recat_at:
                    category = rng.choice(CATEGORIES)
                    commands.append("#category " + category)
                if d == "outbound":
                    if status in ("new", "open"):
                        status = "pending"
                        promise = None
                else:
                    if status == "new":
                        status = "open"
                if i == resolve_at:
                    commands.append("#status resolved")
                    status = "resolved"
                    promise = None
                # the agent's client kept the tag, or the agent wrote
                # from scratch; the milter sets the tagged subject
                sent_subject = rng.choice(["Re: " + tagged,
                                           "Re: " + subject]) \
                    if d == "outbound" else "Re: " + tagged
                subj = self.tag(sent_subject, tid)
                if d == "note" and rng.random() < 0.5:
                    commands.insert(0, "#note")
            events += len(commands)
            msgs.append((d, t, qid, rule, status, promise, subj,
                         sent_subject, stamp_from, commands, rating, cc,
                         assignee, category, seq_next))
            seq_next += events
        final = status
        # an agent resolved it by a move to a status folder (one
        # message: spam, a thank-you; or the talk just ended), and a
        # resolved ticket closes itself after autoclose_after (3 business
        # days): only those resolved in the last 2 days are still so
        if final != "closed" and old and rng.random() < 0.85:
            final = "resolved"
        if final == "resolved" and msgs[-1][1] < self.end - 2 * 86400:
            final = "closed"
        self.by_status[final] += 1
        self.assigned += assignee != ""
        self.categorized += category != ""
        if self.manifest is not None:
            self.manifest.write("%d\t%s\t%d\t%d\t%s\t%s\t%s\n" % (
                tid, final, k, linked[0] if linked else 0,
                assignee or "-", category or "-", c.channel))
        self.channels[c.channel] = self.channels.get(c.channel, 0) + 1
        if final == "closed":
            close_t = msgs[-1][1] + 7 * 86400
        else:
            close_t = None

        # render
        ids = []
        for i, (d, t, qid, rule, status, promise, subj, sent_subject,
                stamp_from, commands, rating, cc, assignee_now,
                category_now, seq) in enumerate(msgs):
            self.by_direction[d] += 1
            if d == "inbound":
                mid = self.customer_mid(c, tid, i, t)
            else:
                mid = "%s%08x@%s" % (self.r.hexs(16), self.unique(),
                                     self.domain)
            text_paras = (PARAS if d == "inbound" else
                          AGENT_PARAS if d == "outbound" else NOTE_PARAS)
            html = (html_client and c.channel == "email"
                    if d == "inbound" else
                    d == "outbound" and rng.random() < 0.3)
            ctype, body, plain = self.body(
                text_paras, prev_text if d != "note" else "", html,
                SIGNATURE if d == "outbound" else "", commands)
            if d != "note":
                prev_text = plain[:400]
            h = []
            if d == "inbound":
                rcpt = ("%s+%s@%s" % (self.queue, token, self.domain)
                        if rule == "token" else self.queue_address)
                h.append(self.received_in(c, t, qid, rcpt))
                h.append("MIME-Version: 1.0\n")
                h.append("From: %s\n" % enc_folded(
                    mailbox(c.name, c.address)))
                h.append("Date: %s\n" % self.clock.rfc2822(t - 3, c.offset))
                h.append("Message-ID: <%s>\n" % mid)
                if refs:
                    h.append("In-Reply-To: <%s>\n" % refs[-1])
                    h.append("References: %s\n" % "\n ".join(
                        "<%s>" % r for r in refs[-8:]))
                h.append("Subject: %s\n" % enc_folded(subj))
                h.append("To: %s\n" % (
                    "%s <%s>" % (self.queue_display, rcpt)
                    if i == 0 else rcpt))
                if cc:
                    h.append("Cc: %s\n" % cc)
                if c.channel == "email":
                    h.append("User-Agent: %s\n" % c.ua)
            else:
                login = stamp_from.split("@")[0]
                h.append(self.received_agent(login, t, qid))
                h.append("MIME-Version: 1.0\n")
                h.append("User-Agent: Mozilla Thunderbird\n")
                h.append("Content-Language: en-US\n")
                if d == "outbound":
                    h.append("From: %s\n" % enc_folded(
                        mailbox(agent[0], self.queue_address)))
                    h.append("Reply-To: %s\n" % mailbox(
                        self.queue_display, "%s+%s@%s" % (
                            self.queue, token, self.domain)))
                    h.append("To: %s\n" % enc_folded(
                        mailbox(c.name, c.address)))
                else:
                    h.append("From: %s\n" % enc_folded(
                        mailbox(agent[0], stamp_from)))
                    h.append("To: %s <%s>\n" % (self.queue_display,
                                                self.queue_address))
                h.append("Subject: %s\n" % enc_folded(subj))
                h.append("Date: %s\n" % self.clock.rfc2822(
                    t - 2, self.clock.shop_offset(t)))
                h.append("Message-ID: <%s>\n" % mid)
                if refs:
                    h.append("In-Reply-To: <%s>\n" % refs[-1])
                    h.append("References: %s\n" % "\n ".join(
                        "<%s>" % r for r in refs[-8:]))
                topic = subject
                if topic.startswith("Re: [%s #" % a.tag):
                    topic = topic.split("] ", 1)[1]
                h.append("Thread-Topic: %s\n" % enc(topic))
                h.append("Thread-Index: %s\n" % self.r.b64s(44))
            h.append(ctype)
            # the stamps, in the order the milter adds them
            # (pipeline.c: plan_stamps or plan_reply, plan_record,
            # plan_inbound_record)
            h.append("X-Shopdesk-Ticket: %d\n" % tid)
            h.append("X-Shopdesk-Queue: %s\n" % self.queue)
            h.append("X-Shopdesk-Status: %s\n" % status)
            h.append("X-Shopdesk-Channel: %s\n" % c.channel)
            h.append("X-Shopdesk-Direction: %s\n" % d)
            h.append("X-Shopdesk-Time: %s\n" % self.clock.utc(t))
            h.append("X-Shopdesk-Seq: %d\n" % seq)
            h.append("X-Shopdesk-Rule: %s\n" % rule)
            h.append("X-Shopdesk-Queue-Id: %s\n" % qid)
            h.append("X-Shopdesk-From: %s\n" % stamp_from)
            if category_now:
                h.append("X-Shopdesk-Category: %s\n" % category_now)
            if language:
                h.append("X-Shopdesk-Language: %s\n" % language)
            if assignee_now:
                h.append("X-Shopdesk-Assignee: %s\n" % assignee_now)
            if linked is not None:
                h.append("X-Shopdesk-Linked-To: %d\n" % linked[0])
            if d == "inbound":
                h.append("X-Shopdesk-Reply-By: %s\n" %
                         self.clock.reply_by(reply_by))
            if sent_subject is not None:
                h.append("X-Shopdesk-Subject: %s\n" % enc(sent_subject))
            if d == "inbound":
                if i == 0:
                    h.append("X-Shopdesk-Customer: %s\n" %
                             mailbox(c.name, c.address))
                # the sender and the others it was sent or copied to
                h.append("X-Shopdesk-Participants: %s\n" % (
                    c.address + (", " + cc if cc else "")))
                if promise is not None and promise != reply_by:
                    h.append("X-Shopdesk-Promise-By: %s\n" %
                             self.clock.reply_by(promise))
                if i == 0 and ack:
                    h.append("X-Shopdesk-Ack: <ack.%d.%d.%s@%s> %s\n" % (
                        tid, seq + 1, self.r.hexs(16), self.domain,
                        c.address))
                if rating is not None:
                    h.append("X-Shopdesk-Rating: %s\n" % rating)
            if self.key is not None:
                h.append("X-Shopdesk-Mac: %s\n" % seal(self.key, h, mid))
            msg = "".join(h) + "\n" + body
            flags = "S"
            if d == "inbound":
                if i + 1 < len(msgs) and msgs[i + 1][0] == "outbound":
                    flags = "RS"
                elif t > self.end - 86400 and rng.random() < 0.5:
                    flags = ""
            extra_kw = []
            if rng.random() < 0.02:
                extra_kw.append("$Forwarded")
            if d == "inbound" and t < self.sieve_since and \
                    rng.random() < 0.3:
                extra_kw.append("NonJunk")
            self.write(msg, t, d, final, flags, extra_kw)
            ids.append(mid)
            refs.append(mid)
        if final == "closed":
            c.closed = (tid, close_t, ids[-1], subject if linked is None
                        else linked[3])
        return msgs[-1][1]

    def tag(self, subject, tid):
        """subject_add_tag(): after the prefixes, before the rest."""
        if "[%s #%d]" % (self.a.tag, tid) in subject:
            return subject
        rest = subject
        pre = ""
        while True:
            for p in ("Re: ", "RE: ", "AW: ", "Fwd: "):
                if rest.startswith(p):
                    pre += p
                    rest = rest[len(p):]
                    break
            else:
                break
        return "%s[%s #%d] %s" % (pre, self.a.tag, tid, rest)

    def customer_mid(self, c, tid, i, t):
        if c.channel == "telegram":
            return "tg.%s.%d@telegram.%s" % (c.chat, tid * 1000 + i,
                                             self.domain)
        if c.channel == "whatsapp":
            return "wa.wamid%s%08x@whatsapp.%s" % (
                self.r.hexs(12), self.unique(), self.domain)
        dom = c.address.split("@")[1]
        if dom == "example.com":
            return "CA+%s%07d@mail.%s" % (
                self.r.b64s(33).replace("/", "_"), self.unique(), dom)
        return "%s%06x.%d@%s" % (self.r.hexs(10), self.unique(), t, dom)

    def unique(self):
        """A number never given before: Message-IDs are unique."""
        self.unique_n += 1
        return self.unique_n

    # --- all ---------------------------------------------------------
    def run(self):
        a = self.a
        rng = self.rng
        n, m = a.tickets, a.messages
        if n < 1 or m < n:
            sys.exit("gen-maildir: need 1 <= tickets <= messages")
        # messages a ticket: 1 + a share of the rest, skewed (most
        # tickets short, some long)
        weights = [rng.lognormvariate(0, 0.9) for _ in range(n)]
        total = sum(weights)
        extra = [int((m - n) * w / total) for w in weights]
        for i in rng.sample(range(n), (m - n) - sum(extra)):
            extra[i] += 1
        counts = [1 + e for e in extra]
        # the tickets came over span_days, the last a day ago; ids in
        # the order they came, each second at most one
        self.end = a.end
        self.start = self.end - 86400 - a.span_days * 86400
        self.sieve_since = self.start + (self.end - self.start) // 10
        span = self.end - 86400 - self.start
        if span < n:
            sys.exit("gen-maildir: --span-days too short for the tickets")
        starts = sorted(rng.sample(range(self.start + 1,
                                         self.end - 86400 + 1), n))
        people = self.customers(max(1, int(n * 0.7)))
        for tid in range(1, n + 1):
            c = rng.choice(people)
            self.ticket(tid, c, starts[tid - 1], counts[tid - 1],
                        rng.choice([2, 4, 8, 24]))
        self.finish()
        if self.manifest is not None:
            self.manifest.close()


def parse_time(text):
    d = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if d.tzinfo is None:
        d = d.replace(tzinfo=datetime.timezone.utc)
    return int(d.timestamp())


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tickets", type=int, default=10000)
    p.add_argument("--messages", type=int, default=100000)
    p.add_argument("--queue", default="sales")
    p.add_argument("--domain", default="shop.test")
    p.add_argument("--tag", default="Ticket",
                   help="the configuration's ticket_tag")
    p.add_argument("--timezone", default="Europe/Vilnius",
                   help="the queue's timezone (X-Shopdesk-Reply-By)")
    p.add_argument("--span-days", type=int, default=0,
                   help="the days the tickets came over (default: "
                   "tickets / 60, at least 30)")
    p.add_argument("--end", type=parse_time, default=None,
                   help="ISO time nothing comes after (default: 5 "
                   "minutes ago)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--manifest", metavar="FILE",
                   help="write each ticket as made (id, current status, "
                   "messages, linked_to, assignee, category, channel; "
                   "tab-separated) to FILE")
    p.add_argument("--key", metavar="FILE",
                   help="the installation's token.key: seal the stamps "
                   "with it as shopdesk-milter does (lib/stamp.c)")
    p.add_argument("out")
    a = p.parse_args()
    if a.end is None:
        # a few minutes ago: nothing the milter would find due at once
        # on the store rebuilt from it is in the future of it
        a.end = int(time.time()) - 300
    if a.span_days <= 0:
        a.span_days = max(30, a.tickets // 60)
    began = time.monotonic()
    g = Gen(a)
    g.run()
    json.dump({
        "tickets": a.tickets, "messages": a.messages,
        "linked": g.linked, "rated": g.rated, "assigned": g.assigned,
        "categorized": g.categorized,
        "status": g.by_status, "direction": g.by_direction,
        "channel": g.channels,
        "folders": {os.path.relpath(d, a.out): len(v)
                    for d, v in sorted(g.files.items())},
        "bytes": g.bytes, "seconds": round(time.monotonic() - began, 2),
    }, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
