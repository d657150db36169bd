-- SIGHUP between MAIL FROM and end of message: that message finishes
-- with the configuration it began with, the next one has the new one;
-- a broken file keeps the one before.  (Postfix hands MAIL FROM to a
-- milter only once DATA begins, so only a milter client that waits
-- between the stages, as this one does, can hold a message open across
-- a SIGHUP for long.)  Run under ASan by check-sanitized: the old
-- settings are freed by the message that used them last.
dofile(srcdir .. "/common.lua")

local pidfile = string.gsub(conf, "shopdesk%.conf$", "milter.pid")
mt.startfilter(milter, "-f", "-c", conf, "-p", pidfile)

local f = io.open(conf)
local original = f:read("a")
f:close()

-- Writes the configuration with ticket_tag = tag (and extra lines), and
-- has the milter read it again.
local function reload(tag, extra)
	local text = string.gsub(original, "ticket_tag = Ticket",
				 "ticket_tag = " .. tag .. "\n" .. (extra or ""))
	local out = io.open(conf, "w")
	out:write(text)
	out:close()
	check(os.execute("kill -HUP $(cat " .. pidfile .. ")"), "kill -HUP")
	-- the reload is done well within this
	os.execute("sleep 1")
end

-- a message begins under ticket_tag = Ticket
local conn = mt.connect(sock, 40, 0.25)
check(conn ~= nil, "connect to " .. sock)
check(mt.negotiate(conn, nil, nil, nil) == nil, "negotiate")
mt.macro(conn, SMFIC_MAIL, "i", "INFLIGHT")
check(mt.mailfrom(conn, "<anna@example.com>") == nil, "mail from")
check(mt.rcptto(conn, "<sales@shop.test>") == nil, "rcpt to")
check(mt.data(conn) == nil, "data")
check(mt.header(conn, "From", "Anna <anna@example.com>") == nil, "From")
check(mt.header(conn, "Subject", "Lamp") == nil, "Subject")

reload("Case")

-- it ends under the tag it began with
check(mt.eoh(conn) == nil, "eoh")
check(mt.bodystring(conn, "Hello\r\n") == nil, "body")
check(mt.eom(conn) == nil, "eom")
check(mt.getreply(conn) == SMFIR_ACCEPT, "in flight: accepted")
check(mt.eom_check(conn, MT_HDRCHANGE, "Subject", "[Ticket #1] Lamp"),
      "the message in flight keeps the tag of its MAIL FROM")
mt.disconnect(conn)

-- the next message has the new one
conn = customer_mail("boris@example.org", "Chair")
check(mt.eom_check(conn, MT_HDRCHANGE, "Subject", "[Case #2] Chair"),
      "the next message has the reloaded tag")
mt.disconnect(conn)

-- a broken file: the milter goes on with the configuration before it
reload("Order", "no_such_key = 1\n")
conn = customer_mail("carl@example.org", "Table")
check(mt.eom_check(conn, MT_HDRCHANGE, "Subject", "[Case #3] Table"),
      "after a broken file the configuration before it stays")
mt.disconnect(conn)
