-- X-Shopdesk-* headers from outside are removed (every occurrence,
-- whatever the case of the name); only shopdesk's own remain.
dofile(srcdir .. "/common.lua")
start_milter()

local conn, t = customer_mail("anna@example.com", "forged status",
	{ { "X-Shopdesk-Ticket", "99" },
	  { "X-Shopdesk-Status", "closed" },
	  { "x-shopdesk-ticket", "98" },
	  { "X-SHOPDESK-Direction", "outbound" } })
check(t == "1", "own ticket number, got " .. t)
check(mt.eom_check(conn, MT_HDRDELETE, "X-Shopdesk-Ticket"),
      "X-Shopdesk-Ticket deleted")
check(mt.eom_check(conn, MT_HDRDELETE, "X-Shopdesk-Status"),
      "X-Shopdesk-Status deleted")
check(mt.eom_check(conn, MT_HDRDELETE, "x-shopdesk-ticket"),
      "second x-shopdesk-ticket deleted")
check(mt.eom_check(conn, MT_HDRDELETE, "X-SHOPDESK-Direction"),
      "X-SHOPDESK-Direction deleted")
check(mt.getheader(conn, "X-Shopdesk-Status", 0) == "new",
      "own status header")
mt.disconnect(conn)
