-- Mail that names no branded address passes untouched: the milter
-- accepts it at the end of the headers and changes nothing.  Only
-- headers claiming to be shopdesk's are removed from it (Sieve files
-- mail by them, wherever it goes).
dofile(srcdir .. "/common.lua")
start_milter()

for _, rcpt in ipairs({ "<someone@shop.test>", "<sales@other.test>",
			"<sales.team@shop.test>", "<xsales@shop.test>" }) do
	local conn, where = transaction("<anna@example.com>", { rcpt },
		{ { "From", "anna@example.com" }, { "Subject", "hi" } },
		"body\r\n")
	check(where == "eoh", rcpt .. " accepted untouched at eoh")
	mt.disconnect(conn)
end

local conn, where = transaction("<anna@example.com>",
	{ "<someone@shop.test>" },
	{ { "From", "anna@example.com" }, { "Subject", "hi" },
	  { "X-Shopdesk-Ticket", "5" } }, "body\r\n")
check(where == SMFIR_ACCEPT, "forged header: on to end of message")
check(mt.eom_check(conn, MT_HDRDELETE, "X-Shopdesk-Ticket"),
      "forged X-Shopdesk-Ticket removed")
check(not mt.eom_check(conn, MT_HDRADD), "nothing added")
check(not mt.eom_check(conn, MT_HDRCHANGE, "Subject"), "subject kept")
mt.disconnect(conn)

-- and a branded one after all that is ticket 1: nothing was made
conn, ticket = customer_mail("anna@example.com", "now to sales")
check(ticket == "1", "first ticket is 1, got " .. tostring(ticket))
mt.disconnect(conn)
