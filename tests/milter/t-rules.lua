-- Threading through the milter: References, In-Reply-To, the subject
-- tag from a participant, the normalized subject, and a forged token.
dofile(srcdir .. "/common.lua")
start_milter()

local conn, t = customer_mail("anna@example.com", "Parcel lost",
	{ { "Message-ID", "<p1@example.com>" } })
check(t == "1", "new ticket 1")
mt.disconnect(conn)

conn, t = customer_mail("anna@example.com", "Re: [Ticket #1] Parcel lost",
	{ { "Message-ID", "<p2@example.com>" },
	  { "In-Reply-To", "<p1@example.com>" } })
check(t == "1", "In-Reply-To threads into 1, got " .. t)
check(not mt.eom_check(conn, MT_HDRCHANGE, "Subject"),
      "an already tagged subject is left alone")
mt.disconnect(conn)

conn, t = customer_mail("anna@example.com", "something else",
	{ { "Message-ID", "<p3@example.com>" },
	  { "References", "<zzz@nowhere> <p2@example.com>\r\n\t<unknown@x>" } })
check(t == "1", "References (folded) thread into 1, got " .. t)
mt.disconnect(conn)

conn, t = customer_mail("anna@example.com", "AW: Fwd: Отв: parcel LOST",
	{ { "Message-ID", "<p4@example.com>" } })
check(t == "1", "normalized subject from the same sender, got " .. t)
mt.disconnect(conn)

-- a stranger using the tag gets a ticket of their own
conn, t = customer_mail("mallory@evil.test", "[Ticket #1] Parcel lost",
	{ { "Message-ID", "<m1@evil.test>" } })
check(t == "2", "stranger's tag makes ticket 2, got " .. t)
mt.disconnect(conn)

-- a forged reply token is no way in either
conn, t = customer_mail("mallory@evil.test", "hello",
	{ { "Message-ID", "<m2@evil.test>" } },
	{ "<sales+1k0123456789abcdef@shop.test>" })
check(t == "3", "forged token makes ticket 3, got " .. t)
mt.disconnect(conn)

-- the participant's tag works without any other clue
conn, t = customer_mail("anna@example.com", "[Ticket #1] one more thing",
	{ { "Message-ID", "<p5@example.com>" } })
check(t == "1", "participant's tag threads into 1, got " .. t)
mt.disconnect(conn)
