-- Mail that names no branded address and comes from no agent passes
-- untouched: the milter accepts it after the recipients (at DATA), so
-- Postfix sends it neither headers nor body.  Such mail never reaches a
-- desk mailbox, so headers that claim to be shopdesk's do not matter
-- there; for mail that does, t-strip.lua.
dofile(srcdir .. "/common.lua")
start_milter()

for _, rcpt in ipairs({ "<someone@shop.test>", "<sales@other.test>",
			"<sales.team@shop.test>", "<xsales@shop.test>" }) do
	local conn, where = transaction("<anna@example.com>", { rcpt },
		{ { "From", "anna@example.com" }, { "Subject", "hi" } },
		"body\r\n")
	check(where == "data", rcpt .. " accepted untouched at DATA")
	mt.disconnect(conn)
end

-- and a branded one after all that is ticket 1: nothing was made
local conn, ticket = customer_mail("anna@example.com", "now to sales")
check(ticket == "1", "first ticket is 1, got " .. tostring(ticket))
mt.disconnect(conn)
