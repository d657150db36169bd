-- Shared by the t-*.lua scripts; run-miltertest.sh defines the globals
-- milter (the binary), conf (its config file) and sock (its socket).

function check(cond, what)
	if not cond then
		-- miltertest exits 1 on a Lua error without printing it
		mt.echo("FAILED: " .. what)
		error("FAILED: " .. what, 2)
	end
end

-- Starts shopdesk-milter in the foreground with the test config.
function start_milter()
	mt.startfilter(milter, "-f", "-c", conf)
end

-- Plays one SMTP transaction on a new connection, the way Postfix does.
-- headers is a list of {name, value}; body may be nil.  Returns the
-- connection (for eom checks) and where it ended: "data" when the filter
-- accepted after the recipients (mail that is not the desk's), else the
-- reply code at eom.
function transaction(from, rcpts, headers, body, qid)
	local conn = mt.connect(sock, 40, 0.25)
	check(conn ~= nil, "connect to " .. sock)
	check(mt.negotiate(conn, nil, nil, nil) == nil, "negotiate")
	-- connect and HELO are left to miltertest's defaults: shopdesk
	-- registers no callback for them
	mt.macro(conn, SMFIC_MAIL, "i", qid or "TESTQID")
	check(mt.mailfrom(conn, from) == nil, "mail from")
	for _, rcpt in ipairs(rcpts) do
		check(mt.rcptto(conn, rcpt) == nil, "rcpt to " .. rcpt)
	end
	check(mt.data(conn) == nil, "data")
	if mt.getreply(conn) == SMFIR_ACCEPT then
		return conn, "data"
	end
	for _, h in ipairs(headers) do
		check(mt.header(conn, h[1], h[2]) == nil, "header " .. h[1])
	end
	check(mt.eoh(conn) == nil, "eoh")
	if body ~= nil then
		check(mt.bodystring(conn, body) == nil, "body")
	end
	check(mt.eom(conn) == nil, "eom")
	return conn, mt.getreply(conn)
end

-- A customer's message to sales@; returns the connection and the
-- ticket number the milter stamped on it.
function customer_mail(from, subject, extra_headers, rcpts)
	local headers = {
		{ "From", "Customer <" .. from .. ">" },
		{ "To", "sales@shop.test" },
		{ "Subject", subject },
		{ "Date", "Sun, 22 Nov 2026 10:00:00 +0200" },
	}
	for _, h in ipairs(extra_headers or {}) do
		table.insert(headers, h)
	end
	local conn, reply = transaction("<" .. from .. ">",
					rcpts or { "<sales@shop.test>" },
					headers, "Hello,\r\nwhere is it?\r\n")
	check(reply == SMFIR_ACCEPT, "message accepted at eom")
	local ticket = mt.getheader(conn, "X-Shopdesk-Ticket", 0)
	check(ticket ~= nil, "X-Shopdesk-Ticket added")
	return conn, ticket
end
