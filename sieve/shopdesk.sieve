# shopdesk.sieve: files ticket mail into one folder per queue.
#
# Installed as Dovecot Pigeonhole's "sieve_before" script of the desk
# mailboxes alone, a per-user setting their userdb entries return
# (README.md, "Filing with Sieve"): a customer with a mailbox on the same
# server gets an agent's reply, X-Shopdesk-* headers and all, in INBOX,
# never filed into a "Sales/Sent" of their own.  It reads only the
# X-Shopdesk-* headers that shopdesk-milter stamps; the milter strips any
# X-Shopdesk-* header that arrives from outside, so these are the only
# headers in a message that a sender cannot forge.
#
#   X-Shopdesk-Direction   folder
#   inbound                <Queue>          e.g. Sales, Manager
#   note                   <Queue>/Notes    internal notes
#   outbound               <Queue>/Sent     copies of agents' replies
#   missing or unknown     <Queue>          where agents look first
#
# <Queue> is X-Shopdesk-Queue with its first letter upper-cased.  Folders
# are created on first use (fileinto :create); "/" must be the hierarchy
# separator of the namespace (namespace inbox { separator = / }).
#
# The queue name becomes a folder name only when it is a plain name: 1 to
# 64 characters from [a-z0-9_-], and not "inbox" (which would name INBOX
# itself).  Anything else (a path such as "../x" or "INBOX/..", spaces,
# upper case, non-ASCII, an over-long or empty value, no header at all)
# files the message under "Tickets" instead, so a header value never
# chooses where in the mailbox tree mail goes.  The character class is
# spelled out rather than written as a range so that no locale can widen
# it, and "i;octet" keeps the match case-sensitive.
#
# Mail without X-Shopdesk-Ticket is left alone: the implicit keep stores it
# in INBOX and the user's own script, if any, runs as usual.
#
# What it deliberately does not do:
# - No "stop" and no "keep".  fileinto cancels the implicit keep, which is
#   all that is needed: Pigeonhole runs the next script of the sequence
#   (the user's personal script) only while a keep is in effect, so ticket
#   mail is stored exactly once, in the folder chosen here, and a personal
#   script can neither file a second copy nor send a vacation reply to a
#   customer that shopdesk already acknowledged.  Other mail reaches the
#   personal script untouched.
# - No filing by X-Shopdesk-Status.  Status folders belong to the agents:
#   moving a message into one is how they change a ticket's status (the
#   Dovecot plugin turns the move into an event), so delivery must not put
#   mail there.
# - No use of X-Shopdesk-Channel, -Category, -Language or -Reply-By, no
#   flags, no redirect, no reply.
#
# Extensions: fileinto, mailbox, variables and regex, all shipped with
# Pigeonhole and enabled by default (sieve_extensions unset).
require ["fileinto", "mailbox", "variables", "regex"];

if exists "X-Shopdesk-Ticket" {
	set "queue" "Tickets";
	if header :regex :comparator "i;octet" "X-Shopdesk-Queue"
	    "^[abcdefghijklmnopqrstuvwxyz0123456789_-]{1,64}$" {
		if not string :is "${0}" "inbox" {
			set :upperfirst "queue" "${0}";
		}
	}

	if header :is "X-Shopdesk-Direction" "note" {
		fileinto :create "${queue}/Notes";
	} elsif header :is "X-Shopdesk-Direction" "outbound" {
		fileinto :create "${queue}/Sent";
	} else {
		fileinto :create "${queue}";
	}
}
