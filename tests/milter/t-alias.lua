-- A queue's alias (orders@ beside sales@) leads to the queue: mail to
-- it, with or without an extension, is a ticket of the sales queue.
dofile(srcdir .. "/common.lua")
start_milter()

local conn, ticket = customer_mail("anna@example.com", "Order 12",
	{ { "Message-ID", "<alias@example.com>" } }, { "<Orders@Shop.Test>" })
check(ticket == "1", "first ticket is 1, got " .. tostring(ticket))
check(mt.getheader(conn, "X-Shopdesk-Queue", 0) == "sales", "queue sales")
check(mt.eom_check(conn, MT_HDRCHANGE, "Subject", "[Ticket #1] Order 12"),
      "subject tagged")
mt.disconnect(conn)

conn, ticket = customer_mail("boris@example.org", "Order 13",
	{ { "Message-ID", "<alias-ext@example.org>" } },
	{ "<orders+web@shop.test>" })
check(ticket == "2", "second ticket, got " .. tostring(ticket))
check(mt.getheader(conn, "X-Shopdesk-Queue", 0) == "sales",
      "queue sales with an extension")
mt.disconnect(conn)

-- an address that only looks like the alias is no queue's
local where
conn, where = transaction("<anna@example.com>", { "<order@shop.test>" },
	{ { "From", "anna@example.com" }, { "Subject", "hi" } }, "body\r\n")
check(where == "data", "order@ accepted untouched at DATA")
mt.disconnect(conn)
