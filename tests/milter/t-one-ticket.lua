-- One SMTP transaction naming several branded addresses is one ticket.
dofile(srcdir .. "/common.lua")
start_milter()

local conn, t = customer_mail("anna@example.com", "to everyone",
	{ { "Message-ID", "<all@example.com>" } },
	{ "<sales@shop.test>", "<manager@shop.test>", "<SALES@shop.test>" })
check(t == "1", "ticket 1, got " .. t)
check(mt.getheader(conn, "X-Shopdesk-Ticket", 1) == nil,
      "stamped once")
check(mt.getheader(conn, "X-Shopdesk-Queue", 0) == "sales",
      "the first branded recipient's queue")
mt.disconnect(conn)

conn, t = customer_mail("boris@example.org", "other",
	{ { "Message-ID", "<o@example.org>" } })
check(t == "2", "the next mail is ticket 2, got " .. t)
mt.disconnect(conn)
