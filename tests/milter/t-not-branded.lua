-- Mail that names no branded address passes untouched: the milter
-- accepts it at the end of the headers and changes nothing.
dofile(srcdir .. "/common.lua")
start_milter()

for _, rcpt in ipairs({ "<someone@shop.test>", "<sales@other.test>",
			"<sales.team@shop.test>", "<xsales@shop.test>" }) do
	local conn, where = transaction("<anna@example.com>", { rcpt },
		{ { "From", "anna@example.com" }, { "Subject", "hi" },
		  { "X-Shopdesk-Ticket", "5" } }, "body\r\n")
	check(where == "eoh", rcpt .. " accepted untouched at eoh")
	mt.disconnect(conn)
end

-- and a branded one after all that is ticket 1: nothing was made
local conn, ticket = customer_mail("anna@example.com", "now to sales")
check(ticket == "1", "first ticket is 1, got " .. tostring(ticket))
mt.disconnect(conn)
