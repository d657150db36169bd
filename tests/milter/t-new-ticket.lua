-- A customer's first mail to a branded address becomes ticket 1 and is
-- stamped with shopdesk's headers and the subject tag.
dofile(srcdir .. "/common.lua")
start_milter()

local conn, ticket = customer_mail("anna@example.com", "Where is my order",
	{ { "Message-ID", "<first@example.com>" } })
check(ticket == "1", "first ticket is 1, got " .. tostring(ticket))
check(mt.getheader(conn, "X-Shopdesk-Queue", 0) == "sales", "queue sales")
check(mt.getheader(conn, "X-Shopdesk-Status", 0) == "new", "status new")
check(mt.getheader(conn, "X-Shopdesk-Channel", 0) == "email", "channel")
check(mt.getheader(conn, "X-Shopdesk-Direction", 0) == "inbound",
      "direction inbound")
local by = mt.getheader(conn, "X-Shopdesk-Reply-By", 0)
check(by ~= nil and string.match(by,
	"^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%d[+-]%d%d:%d%d$") ~= nil,
      "X-Shopdesk-Reply-By in ISO 8601 with offset, got " .. tostring(by))
check(mt.eom_check(conn, MT_HDRCHANGE, "Subject",
		   "[Ticket #1] Where is my order"), "subject tagged")
check(not mt.eom_check(conn, MT_HDRADD, "Message-ID"),
      "an existing Message-ID is kept")
mt.disconnect(conn)

-- the manager@ queue gets its own queue name
conn, ticket = customer_mail("boris@example.org", "Wholesale",
	{ { "Message-ID", "<w@example.org>" } }, { "<Manager@Shop.Test>" })
check(ticket == "2", "second ticket")
check(mt.getheader(conn, "X-Shopdesk-Queue", 0) == "manager",
      "queue manager")
mt.disconnect(conn)
