-- Broken input still becomes a ticket: MIME that never ends, no
-- Message-ID (one is added, derived from the content, so that a retry
-- of the same message finds the same ticket), 8-bit and broken
-- RFC 2047 in headers, no From at all.
dofile(srcdir .. "/common.lua")
start_milter()

local broken = "--b1\r\nContent-Type: text/plain\r\n\r\nunterminated\r\n" ..
	"--b1\r\nContent-Type: multipart/mixed; boundary=\r\n\r\n--\r\n"
local headers = {
	{ "From", "=?utf-8?B?broken <anna@example.com>" },
	{ "Subject", "=?koi8-r?Q?=F0=D2=C9=D7=C5=D4?= \xff\xfe raw 8bit" },
	{ "MIME-Version", "1.0" },
	{ "Content-Type", "multipart/mixed; boundary=\"b1\"" },
}
local conn, where = transaction("<anna@example.com>", { "<sales@shop.test>" },
	headers, broken)
check(where == SMFIR_ACCEPT, "malformed MIME accepted")
local t = mt.getheader(conn, "X-Shopdesk-Ticket", 0)
check(t == "1", "malformed MIME becomes ticket 1, got " .. tostring(t))
check(mt.eom_check(conn, MT_HDRADD, "Message-ID"),
      "a Message-ID is added when there is none")
local mid = mt.getheader(conn, "Message-ID", 0)
mt.disconnect(conn)

-- the same message again (a retry after a lost reply): same ticket
conn, where = transaction("<anna@example.com>", { "<sales@shop.test>" },
	headers, broken)
t = mt.getheader(conn, "X-Shopdesk-Ticket", 0)
check(t == "1", "retry finds ticket 1, got " .. tostring(t))
check(mt.getheader(conn, "Message-ID", 0) == mid, "same derived Message-ID")
mt.disconnect(conn)

-- no From, no Subject, empty body, bare LF in a header value
conn, where = transaction("<>", { "<sales@shop.test>" },
	{ { "X-Odd", "line one\nline two" } }, nil)
check(where == SMFIR_ACCEPT, "headerless mail accepted")
t = mt.getheader(conn, "X-Shopdesk-Ticket", 0)
check(t == "2", "headerless mail becomes ticket 2, got " .. tostring(t))
check(mt.eom_check(conn, MT_HDRADD, "Subject"),
      "a tagged Subject is added when there is none")
mt.disconnect(conn)

-- 36 kB of other headers (900 bytes each: miltertest overflows its stack
-- on a larger one), over header_max (16k in t-malformed.conf):
-- the excess is not kept, but the Subject after it is, and the mail
-- becomes a ticket with its own subject tagged
local pad = string.rep("x", 900)
local headers = { { "From", "big@example.com" } }
for i = 1, 40 do
	table.insert(headers, { "X-Pad", pad })
end
table.insert(headers, { "Subject", "after the padding" })
table.insert(headers, { "Message-ID", "<pad@example.com>" })
conn, where = transaction("<big@example.com>", { "<sales@shop.test>" },
	headers, "body\r\n")
check(where == SMFIR_ACCEPT, "padded mail accepted")
t = mt.getheader(conn, "X-Shopdesk-Ticket", 0)
check(t == "3", "padded mail becomes ticket 3, got " .. tostring(t))
check(mt.eom_check(conn, MT_HDRCHANGE, "Subject",
		   "[Ticket #3] after the padding"),
      "the Subject after the padding was kept and tagged")
mt.disconnect(conn)

-- a Message-ID that names nothing ("<>", no @): the content's digest
-- files it, so a retry finds the same ticket; the sender's header stays
-- and no second Message-ID is added
for _, bad in ipairs({ "<>", "<no-at-sign>" }) do
	local h = { { "From", "odd@example.com" },
		    { "Subject", "odd id " .. bad },
		    { "Message-ID", bad } }
	local first
	for attempt = 1, 2 do
		conn, where = transaction("<odd@example.com>",
			{ "<sales@shop.test>" }, h, "same body\r\n")
		t = mt.getheader(conn, "X-Shopdesk-Ticket", 0)
		check(not mt.eom_check(conn, MT_HDRADD, "Message-ID"),
		      "no Message-ID added beside " .. bad)
		if attempt == 1 then
			first = t
		else
			check(t == first, "retry of " .. bad ..
			      " finds ticket " .. tostring(first) .. ", got " ..
			      tostring(t))
		end
		mt.disconnect(conn)
	end
end
