/* Table-driven tests of the mail pipeline (pipeline.h) without libmilter,
   Postfix or Dovecot: each scenario feeds messages, as the milter would
   hand them over, to a fresh store and checks the plan of each: its
   failure, ticket, edits, outbox items and log line.  A plan is dumped
   one line per element ("add X-Shopdesk-Ticket: 1", "rcpt- <...>",
   "item chat ...") and each step names lines that must and must not be
   there. */

#include "pipeline.h"
#include "mailmsg.h"
#include "outbox.h"

#include <glib/gstdio.h>
#include <string.h>

#define MAX_LINES 8

struct step {
	const char *envelope_from;
	const char *rcpts[4];		/* as the MTA gives them */
	const char *agent;		/* SASL login, or NULL */
	bool local;			/* local submission (the bridge) */
	const char *strip[4];		/* forged X-Shopdesk-* names */
	unsigned int forged;		/* more of them: how many came */
	const char *message;		/* headers, blank line, body; LF */
	/* expected */
	uint32_t ticket;
	enum plan_failure failure;
	const char *want[MAX_LINES];	/* lines (substrings) that must be in
					   the dump */
	const char *not[MAX_LINES];	/* and must not */
};

struct scenario {
	const char *name;
	const char *config;		/* more [shopdesk] keys, or NULL */
	struct step steps[10];
};

#define CUSTOMER(from, subject, id, extra, body) \
	"From: Anna <" from ">\nTo: sales@shop.test\nSubject: " subject \
	"\nMessage-ID: <" id ">\nDate: Sun, 22 Nov 2026 10:00:00 +0200\n" \
	extra "\n" body "\n"

#define AGENT(to, subject, id, refs, body) \
	"From: Ann Lee <ann@shop.test>\nTo: " to "\nSubject: " subject \
	"\nMessage-ID: <" id ">\nIn-Reply-To: <" refs ">\n\n" body "\n"

static const struct scenario scenarios[] = {
	{ "customer-new", NULL, {
		{ "anna@example.com", { "<sales@shop.test>" },
		  .message = CUSTOMER("anna@example.com", "Broken lamp",
				      "lamp-1@example.com", "",
				      "Hello, my lamp is broken."),
		  .ticket = 1,
		  .want = { "add X-Shopdesk-Ticket: 1",
			    "add X-Shopdesk-Queue: sales",
			    "add X-Shopdesk-Status: new",
			    "add X-Shopdesk-Channel: email",
			    "add X-Shopdesk-Direction: inbound",
			    "add X-Shopdesk-Reply-By: ",
			    "change Subject 1: [Ticket #1] Broken lamp",
			    "item ack " },
		  .not = { "from ", "rcpt", "body", "strip" } },
		/* the same mail again (a retry): same ticket, same ack */
		{ "anna@example.com", { "<sales@shop.test>" },
		  .message = CUSTOMER("anna@example.com", "Broken lamp",
				      "lamp-1@example.com", "",
				      "Hello, my lamp is broken."),
		  .ticket = 1,
		  .want = { "log ", "rule=duplicate", "item ack " } },
		/* a reply from the customer: no new ack */
		{ "anna@example.com", { "<sales@shop.test>" },
		  .message = CUSTOMER("anna@example.com",
				      "Re: [Ticket #1] Broken lamp",
				      "lamp-2@example.com",
				      "In-Reply-To: <lamp-1@example.com>\n",
				      "Any news?"),
		  .ticket = 1,
		  .want = { "rule=references", "add X-Shopdesk-Ticket: 1" },
		  .not = { "item", "change Subject" } },
	} },
	{ "forged-and-bulk", NULL, {
		/* forged stamps go, each by its place among its namesakes,
		   the last first; a list mail gets no ack */
		{ "list@example.com", { "<sales@shop.test>" },
		  .strip = { "X-Shopdesk-Ticket", "X-Shopdesk-Status",
			     "x-shopdesk-ticket" },
		  .message = CUSTOMER("list@example.com", "Newsletter",
				      "news-1@example.com",
				      "List-Id: <news.example.com>\n",
				      "Our offers."),
		  .ticket = 1,
		  .want = { "strip 0 x-shopdesk-ticket 2",
			    "strip 1 X-Shopdesk-Status 1",
			    "strip 2 X-Shopdesk-Ticket 1",
			    "ack=none (mailing list" },
		  .not = { "item" } },
		/* no Message-ID: one from the content, added */
		{ "bob@example.com", { "<sales@shop.test>" },
		  .message = "From: bob@example.com\nTo: sales@shop.test\n"
			     "Subject: hi\n\nhello\n",
		  .ticket = 2,
		  .want = { "add Message-ID: <shopdesk.",
			    "item ack " } },
		/* nothing parses: the failure is the store's to report */
		{ "bob@example.com", { "<sales@shop.test>" },
		  .strip = { "X-Shopdesk-Queue" },
		  .ticket = 0, .failure = PLAN_FAIL_INTERNAL,
		  .want = { "strip 0 X-Shopdesk-Queue 1",
			    "fail cannot parse" },
		  .not = { "add ", "item" } },
	} },
	{ "agent", NULL, {
		{ "anna@example.com", { "<sales@shop.test>" },
		  .message = CUSTOMER("anna@example.com", "Broken lamp",
				      "lamp-1@example.com", "",
				      "Hello, my lamp is broken."),
		  .ticket = 1, .want = { "item ack " } },
		/* a reply: as the queue, a copy to the queue mailbox, the
		   commands out of the body */
		{ "ann@shop.test", { "<anna@example.com>" }, "ann",
		  .message = AGENT("anna@example.com", "Re: Broken lamp",
				   "reply-1@shop.test",
				   "lamp-1@example.com",
				   "#pending\nWe send a new one."),
		  .ticket = 1,
		  .want = { "from <sales@shop.test>",
			    "change From 1: Ann Lee <sales@shop.test>",
			    "change Reply-To 1: Sales <sales+",
			    "add X-Shopdesk-Direction: outbound",
			    "add X-Shopdesk-Status: pending",
			    "rcpt+ <sales@shop.test>",
			    "body We send a new one.",
			    "commands=1" },
		  .not = { "#pending", "rcpt- ", "item" } },
		/* a note: the customer leaves the envelope */
		{ "ann@shop.test", { "<anna@example.com>" }, "ann",
		  .message = AGENT("anna@example.com",
				   "Re: [Ticket #1] Broken lamp",
				   "reply-2@shop.test",
				   "lamp-1@example.com",
				   "#note\nShe called."),
		  .ticket = 1,
		  .want = { "add X-Shopdesk-Direction: note",
			    "rcpt- <anna@example.com>",
			    "rcpt+ <sales@shop.test>", " note to=" },
		  .not = { "from <", "change From" } },
		/* an unknown command: a notice to the agent */
		{ "ann@shop.test", { "<anna@example.com>" }, "ann",
		  .message = AGENT("anna@example.com",
				   "Re: [Ticket #1] Broken lamp",
				   "reply-3@shop.test",
				   "lamp-1@example.com",
				   "#frobnicate\nHello."),
		  .ticket = 1,
		  .want = { "item notice notice.1.",
			    "unknown=\"#frobnicate\"" } },
		/* what names the agent's own mailbox goes: each Sender and
		   read-receipt request, the last first */
		{ "ann@shop.test", { "<anna@example.com>" }, "ann",
		  .message = "From: Ann Lee <ann@shop.test>\n"
			     "Sender: Ann Lee <ann@shop.test>\n"
			     "To: anna@example.com\n"
			     "Subject: Re: [Ticket #1] Broken lamp\n"
			     "Disposition-Notification-To: ann@shop.test\n"
			     "sender: ann@shop.test\n"
			     "Return-Receipt-To: ann@shop.test\n"
			     "Message-ID: <reply-4@shop.test>\n"
			     "In-Reply-To: <lamp-1@example.com>\n\nSoon.\n",
		  .ticket = 1,
		  .want = { "change From 1: Ann Lee <sales@shop.test>",
			    "Sender 2\nSender 1\n",
			    "\nDisposition-Notification-To 1\n",
			    "\nReturn-Receipt-To 1\n" },
		  .not = { "Sender 3", "To 2" } },
		/* names no ticket: passed on as it is */
		{ "ann@shop.test", { "<friend@example.org>" }, "ann",
		  .message = "From: ann@shop.test\nTo: friend@example.org\n"
			     "Subject: lunch?\nMessage-ID: <l@x>\n\n#close\n",
		  .ticket = 0,
		  .want = { "log ", "names no open ticket" },
		  .not = { "add ", "change ", "body", "item" } },
	} },
	{ "lifecycle", NULL, {
		{ "anna@example.com", { "<sales@shop.test>",
					"<manager@shop.test>" },
		  .message = CUSTOMER("anna@example.com", "Broken lamp",
				      "lamp-1@example.com", "",
				      "Hello, my lamp is broken."),
		  /* two branded addresses, one ticket, one ack */
		  .ticket = 1, .want = { "item ack ", "queue=sales" } },
		/* the agent resolves it */
		{ "ann@shop.test", { "<anna@example.com>" }, "ann",
		  .message = AGENT("anna@example.com", "Re: Broken lamp",
				   "reply-10@shop.test",
				   "lamp-1@example.com",
				   "#resolve\n#assign ann\nFixed."),
		  .ticket = 1,
		  .want = { "add X-Shopdesk-Status: resolved",
			    "commands=2" } },
		/* an out-of-office answer is filed and reopens nothing */
		{ "anna@example.com", { "<sales@shop.test>" },
		  .message = CUSTOMER("anna@example.com",
				      "Auto: Re: [Ticket #1] Broken lamp",
				      "ooo-1@example.com",
				      "Auto-Submitted: auto-replied\n"
				      "In-Reply-To: <reply-10@shop.test>\n",
				      "I am away."),
		  .ticket = 1,
		  .want = { "add X-Shopdesk-Status: resolved" },
		  .not = { "item" } },
		/* so does a bare thank-you */
		{ "anna@example.com", { "<sales@shop.test>" },
		  .message = CUSTOMER("anna@example.com",
				      "Re: [Ticket #1] Broken lamp",
				      "thanks-1@example.com",
				      "In-Reply-To: <reply-10@shop.test>\n",
				      "Thank you!"),
		  .ticket = 1,
		  .want = { "add X-Shopdesk-Status: resolved" } },
		/* a bounce naming the ticket: filed silently */
		{ "", { "<sales@shop.test>" },
		  .message = "From: MAILER-DAEMON@example.com\n"
			     "To: sales@shop.test\n"
			     "Subject: Undelivered Mail Returned to Sender\n"
			     "Message-ID: <bounce-1@example.com>\n"
			     "References: <reply-10@shop.test>\n\n"
			     "It did not arrive.\n",
		  .ticket = 1,
		  .want = { "rule=references",
			    "add X-Shopdesk-Status: resolved",
			    "ack=none (null sender" },
		  .not = { "item" } },
		/* a real answer reopens it */
		{ "anna@example.com", { "<sales@shop.test>" },
		  .message = CUSTOMER("anna@example.com",
				      "Re: [Ticket #1] Broken lamp",
				      "again-1@example.com",
				      "In-Reply-To: <reply-10@shop.test>\n",
				      "It broke again, the switch is loose."),
		  .ticket = 1,
		  .want = { "add X-Shopdesk-Status: open" } },
		/* after #close, the customer's next mail is a new ticket
		   linked to it */
		{ "ann@shop.test", { "<anna@example.com>" }, "ann",
		  .message = AGENT("anna@example.com",
				   "Re: [Ticket #1] Broken lamp",
				   "reply-11@shop.test",
				   "again-1@example.com",
				   "#close\nA new one is on its way."),
		  .ticket = 1,
		  .want = { "add X-Shopdesk-Status: closed" } },
		{ "anna@example.com", { "<sales@shop.test>" },
		  .message = CUSTOMER("anna@example.com",
				      "Re: [Ticket #1] Broken lamp",
				      "after-1@example.com",
				      "In-Reply-To: <reply-11@shop.test>\n",
				      "It has not come."),
		  .ticket = 2,
		  .want = { "rule=references note=closed", "item ack " } },
	} },
	{ "strangers", NULL, {
		{ "anna@example.com", { "<sales@shop.test>" },
		  .message = CUSTOMER("anna@example.com", "Order 7",
				      "order-7@example.com", "",
				      "Where is order 7?"),
		  .ticket = 1 },
		/* the tag from someone who is no participant: a ticket of
		   their own */
		{ "mallory@evil.test", { "<sales@shop.test>" },
		  .message = CUSTOMER("mallory@evil.test",
				      "Re: [Ticket #1] Order 7",
				      "evil-1@evil.test", "", "#close"),
		  .ticket = 2,
		  .want = { "rule=new note=sender is not a participant",
			    "change Subject 1: Re: [Ticket #2] [Ticket #1]" },
		  .not = { "add X-Shopdesk-Ticket: 1" } },
		/* the customer's "#close" is only text */
		{ "anna@example.com", { "<sales@shop.test>" },
		  .message = CUSTOMER("anna@example.com",
				      "Re: [Ticket #1] Order 7",
				      "order-8@example.com", "",
				      "#close\nplease hurry"),
		  .ticket = 1,
		  .want = { "rule=tag", "add X-Shopdesk-Status: new" },
		  .not = { "body" } },
	} },
	{ "identity", "trusted_authserv_ids = mx.shop.test\n", {
		{ "anna@example.com", { "<sales@shop.test>" },
		  .message = CUSTOMER("anna@example.com", "Order 9",
				      "order-9@example.com",
				      "Cc: Boris <boris@example.com>, "
				      "sales@shop.test, ann@shop.test\n",
				      "Where is order 9?"),
		  .ticket = 1 },
		/* her colleague in Cc answers: he is a participant */
		{ "boris@example.com", { "<sales@shop.test>" },
		  .message = CUSTOMER("boris@example.com", "Re: Order 9",
				      "boris-1@example.com",
				      "In-Reply-To: <order-9@example.com>\n",
				      "It is urgent."),
		  .ticket = 1, .want = { "rule=references" } },
		/* a stranger who knows a Message-ID of the ticket: a ticket
		   of his own, linked */
		{ "eve@evil.test", { "<sales@shop.test>" },
		  .message = CUSTOMER("eve@evil.test", "Re: Order 9",
				      "eve-1@evil.test",
				      "In-Reply-To: <order-9@example.com>\n",
				      "Cancel it."),
		  .ticket = 2,
		  .want = { "rule=new note=sender is not a participant",
			    "from=<eve@evil.test>" } },
		/* a forged From: of the customer with the tag: the sender
		   is the envelope's */
		{ "mallory@evil.test", { "<sales@shop.test>" },
		  .message = CUSTOMER("anna@example.com",
				      "Re: [Ticket #1] Order 9",
				      "mallory-1@evil.test", "",
				      "Send it to my new address."),
		  .ticket = 3,
		  .want = { "note=sender is not a participant",
			    "from=<mallory@evil.test>" } },
		/* the same through a service whose envelope is its own,
		   vouched for by our verifier: the From: counts */
		{ "bounce-77@esp.example", { "<sales@shop.test>" },
		  .message = CUSTOMER("anna@example.com",
				      "Re: [Ticket #1] Order 9",
				      "esp-1@esp.example",
				      "Authentication-Results: mx.shop.test; "
				      "dmarc=pass (p=none) "
				      "header.from=example.com\n",
				      "Any news?"),
		  .ticket = 1, .want = { "rule=tag" } },
		/* not by a verifier we do not trust */
		{ "bounce-78@esp.example", { "<sales@shop.test>" },
		  .message = CUSTOMER("anna@example.com",
				      "Re: [Ticket #1] Order 9",
				      "esp-2@esp.example",
				      "Authentication-Results: mx.evil.test; "
				      "dmarc=pass header.from=example.com\n",
				      "Any news?"),
		  .ticket = 4,
		  .want = { "note=sender is not a participant",
			    "from=<bounce-78@esp.example>" } },
		/* a hundred and one forged stamps: refused, nothing done */
		{ "anna@example.com", { "<sales@shop.test>" },
		  .strip = { "X-Shopdesk-Ticket" }, .forged = 101,
		  .message = CUSTOMER("anna@example.com", "Order 10",
				      "order-10@example.com", "", "Hi"),
		  .ticket = 0, .failure = PLAN_FAIL_REFUSE,
		  .want = { "fail 101 forged X-Shopdesk-* headers" },
		  .not = { "strip 0", "add ", "item" } },
	} },
	{ "messenger", NULL, {
		/* the bridge's mail from a chat: a telegram ticket,
		   acknowledged in the chat, not by mail */
		{ "tg.777@telegram.shop.test", { "<sales@shop.test>" },
		  .local = true,
		  .message = "From: \"Ivan (Telegram)\" "
			     "<tg.777@telegram.shop.test>\n"
			     "To: sales@shop.test\nSubject: Telegram\n"
			     "Message-ID: <tg.777.1@telegram.shop.test>\n\n"
			     "Where is my order?\n",
		  .ticket = 1,
		  .want = { "add X-Shopdesk-Channel: telegram",
			    "item ack msg.telegram.777." },
		  .not = { "item ack ack." } },
		/* the same from outside: email, and never the chat's */
		{ "tg.777@telegram.shop.test", { "<sales@shop.test>" },
		  .message = "From: tg.777@telegram.shop.test\n"
			     "To: sales@shop.test\nSubject: Telegram\n"
			     "Message-ID: <forged@x>\n\nhi\n",
		  .ticket = 2,
		  .want = { "add X-Shopdesk-Channel: email",
			    "ack=none (sender in a messenger domain)" } },
		/* an agent's answer to the chat: an outbox message, the
		   chat address out of the envelope */
		{ "ann@shop.test", { "<tg.777@telegram.shop.test>" }, "ann",
		  .message = AGENT("tg.777@telegram.shop.test",
				   "Re: [Ticket #1] Telegram",
				   "reply-4@shop.test",
				   "tg.777.1@telegram.shop.test",
				   "It left today.\n\n-- \nAnn"),
		  .ticket = 1,
		  .want = { "item chat msg.telegram.777.",
			    "rcpt- <tg.777@telegram.shop.test>",
			    "chats=1" } },
	} },
	/* what a rebuild reads (rebuild.c): every copy says when and how
	   it was filed and by whom; a customer's, who opened the ticket,
	   the addresses it brought, its ack and a later promise; an
	   agent's, the fields the commands set */
	{ "record", NULL, {
		{ "anna@example.com", { "<sales@shop.test>" },
		  .message = CUSTOMER("anna@example.com", "Broken lamp",
				      "rec-1@example.com",
				      "Cc: Bob <bob@example.org>\n",
				      "Hello, my lamp is broken."),
		  .ticket = 1,
		  .want = { "add X-Shopdesk-Time: 20",
			    "add X-Shopdesk-Seq: 1",
			    "add X-Shopdesk-Rule: new",
			    "add X-Shopdesk-Queue-Id: TESTQID",
			    "add X-Shopdesk-From: anna@example.com",
			    "add X-Shopdesk-Customer: Anna <anna@example.com>",
			    "add X-Shopdesk-Participants: anna@example.com, "
			    "bob@example.org",
			    "add X-Shopdesk-Ack: <ack.1.2." },
		  .not = { "X-Shopdesk-Assignee", "X-Shopdesk-Promise-By",
			   "X-Shopdesk-Rating", "X-Shopdesk-Linked-To" } },
		{ "anna@example.com", { "<sales@shop.test>" },
		  .message = CUSTOMER("anna@example.com", "Broken lamp",
				      "rec-1@example.com",
				      "Cc: Bob <bob@example.org>\n",
				      "Hello, my lamp is broken."),
		  .ticket = 1,
		  .want = { "add X-Shopdesk-Rule: duplicate",
			    "add X-Shopdesk-Mac: " },
		  .not = { "X-Shopdesk-Ack" } },
		{ "ann@shop.test", { "<anna@example.com>" }, "ann",
		  .message = AGENT("anna@example.com", "Re: Broken lamp",
				   "rec-2@shop.test", "rec-1@example.com",
				   "#assign bob\n#category delivery\nOn its "
				   "way."),
		  .ticket = 1,
		  .want = { "add X-Shopdesk-From: ann",
			    "add X-Shopdesk-Rule: references",
			    "add X-Shopdesk-Seq: 3",
			    "add X-Shopdesk-Assignee: bob",
			    "add X-Shopdesk-Category: delivery",
			    "add X-Shopdesk-Subject: Re: Broken lamp",
			    "add X-Shopdesk-Mac: " },
		  .not = { "X-Shopdesk-Customer", "X-Shopdesk-Ack" } },
		/* the customer waits again: a new promise */
		{ "anna@example.com", { "<sales@shop.test>" },
		  .message = CUSTOMER("anna@example.com",
				      "Re: [Ticket #1] Broken lamp",
				      "rec-3@example.com",
				      "In-Reply-To: <rec-2@shop.test>\n",
				      "When exactly does it come?"),
		  .ticket = 1,
		  .want = { "add X-Shopdesk-Promise-By: ",
			    "add X-Shopdesk-Assignee: bob",
			    "add X-Shopdesk-Participants: anna@example.com" },
		  .not = { "X-Shopdesk-Customer", "X-Shopdesk-Subject" } },
	} },
};

static const char config_text[] =
	"[shopdesk]\n"
	"domain = shop.test\n"
	"state_dir = %s\n"
	"templates_dir = %s\n"
	"ticket_tag = Ticket\n"
	"%s"
	"[queue sales]\n"
	"address = sales@shop.test\n"
	"name = Sales\n"
	"hours = mon-sun 00:00-24:00\n"
	"[queue manager]\n"
	"address = manager@shop.test\n"
	"[channel telegram]\n"
	"domain = telegram.shop.test\n"
	"token_file = /nonexistent/telegram.token\n"
	"queue = sales\n";

static const char *failure_name(enum plan_failure failure)
{
	static const char *const names[] = {
		"ok", "internal", "edit", "ack", "chat", "notice", "refuse",
	};

	return names[failure];
}

static void dump_edit(GString *out, const char *prefix,
		      const struct plan_edit *e)
{
	switch (e->kind) {
	case PLAN_HEADER_ADD:
		g_string_append_printf(out, "%sadd %s: %s\n", prefix,
				       e->name, e->value);
		break;
	case PLAN_HEADER_CHANGE:
		g_string_append_printf(out, "%schange %s %u: %s\n", prefix,
				       e->name, e->index, e->value);
		if (strcmp(e->name, "Subject") == 0) {
			char *text = g_mime_utils_header_decode_text(
				NULL, e->value);

			g_string_append_printf(out, "subject of %zu bytes\n",
					       strlen(text));
			g_free(text);
		}
		break;
	case PLAN_HEADER_DELETE:
		g_string_append_printf(out, "%s%s %u\n", prefix, e->name,
				       e->index);
		break;
	case PLAN_FROM_CHANGE:
		g_string_append_printf(out, "%sfrom %s\n", prefix, e->value);
		break;
	case PLAN_RCPT_ADD:
		g_string_append_printf(out, "%srcpt+ %s\n", prefix, e->value);
		break;
	case PLAN_RCPT_DELETE:
		g_string_append_printf(out, "%srcpt- %s\n", prefix, e->value);
		break;
	case PLAN_BODY_REPLACE: {
		gsize size;
		const char *data = g_bytes_get_data(e->body, &size);

		g_string_append_printf(out, "%sbody %.*s\n", prefix,
				       (int)size, data);
		break;
	}
	}
}

/* One line per element of the plan. */
static char *dump(const struct plan *plan)
{
	GString *out = g_string_new(NULL);

	if (plan->failure != PLAN_OK)
		g_string_append_printf(out, "fail %s (%s)\n", plan->error,
				       failure_name(plan->failure));
	for (unsigned int i = 0; i < plan->strip->len; i++) {
		char prefix[16];

		g_snprintf(prefix, sizeof(prefix), "strip %u ", i);
		dump_edit(out, prefix, plan->strip->pdata[i]);
	}
	for (unsigned int i = 0; i < plan->edits->len; i++)
		dump_edit(out, "", plan->edits->pdata[i]);
	for (unsigned int i = 0; i < plan->items->len; i++) {
		const struct plan_item *item = plan->items->pdata[i];

		g_string_append_printf(out, "item %s %s (ticket %u)\n",
				       item->on_failure == PLAN_FAIL_ACK ?
				       "ack" : item->on_failure ==
				       PLAN_FAIL_CHAT ? "chat" : "notice",
				       item->key, item->ticket);
	}
	if (plan->log != NULL)
		g_string_append_printf(out, "log %s\n", plan->log);
	return g_string_free(out, FALSE);
}

static GMimeMessage *parse(const char *text)
{
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(text,
								strlen(text));
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	GMimeMessage *message = g_mime_parser_construct_message(parser,
								NULL);

	g_object_unref(parser);
	g_object_unref(stream);
	return message;
}

static void remove_tree(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;

	while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
		char *path = g_build_filename(dir, name, NULL);

		if (g_file_test(path, G_FILE_TEST_IS_DIR))
			remove_tree(path);
		else
			g_unlink(path);
		g_free(path);
	}
	if (d != NULL)
		g_dir_close(d);
	g_rmdir(dir);
}

static void run_step(struct pipeline *pipeline, const struct config *config,
		     const struct step *st, unsigned int n)
{
	GPtrArray *customers = g_ptr_array_new_with_free_func(g_free);
	GPtrArray *rcpts = g_ptr_array_new();
	const char *tokens[] = { NULL };
	const struct config_queue *queue = NULL;
	char *queue_rcpt = NULL;
	unsigned int strip_count = 0;
	char *agent, *text;
	struct plan *plan;

	for (unsigned int i = 0; st->rcpts[i] != NULL; i++) {
		char *bare = mailmsg_unbracket(st->rcpts[i]);
		const struct config_queue *q = config_find_queue(config, bare,
								 NULL, NULL);

		if (q != NULL && queue == NULL) {
			queue = q;
			queue_rcpt = g_strdup(bare);
		} else if (q == NULL) {
			g_ptr_array_add(customers, g_ascii_strdown(bare, -1));
			g_ptr_array_add(rcpts, (char *)st->rcpts[i]);
		}
		g_free(bare);
	}
	g_ptr_array_add(customers, NULL);
	g_ptr_array_add(rcpts, NULL);
	while (strip_count < G_N_ELEMENTS(st->strip) &&
	       st->strip[strip_count] != NULL)
		strip_count++;
	agent = pipeline_agent(pipeline, st->agent, NULL, st->envelope_from);
	struct pipeline_mail mail = {
		.queue_id = "TESTQID",
		.envelope_from = st->envelope_from,
		.agent = agent,
		.queue = queue,
		.queue_rcpt = queue_rcpt,
		.customers = (const char *const *)customers->pdata,
		.customer_rcpts = (const char *const *)rcpts->pdata,
		.tokens = tokens,
		.strip = st->strip,
		.strip_count = strip_count,
		.strip_total = st->forged > strip_count ? st->forged :
			strip_count,
		.local = st->local,
		.has_message_id = st->message != NULL &&
			strstr(st->message, "Message-ID:") != NULL,
		.subject_count = 1,
		.headers = st->message != NULL ? st->message : "",
		.headers_size = st->message != NULL ? strlen(st->message) : 0,
		.message = st->message != NULL ? parse(st->message) : NULL,
		.now = 1795000000 + n * 60,
	};
	plan = pipeline_run(pipeline, &mail);
	text = dump(plan);
	if (plan->ticket != st->ticket || plan->failure != st->failure)
		g_error("step %u: ticket %u failure %s, want %u %s:\n%s", n,
			plan->ticket, failure_name(plan->failure), st->ticket,
			failure_name(st->failure), text);
	for (unsigned int i = 0; i < MAX_LINES && st->want[i] != NULL; i++) {
		if (strstr(text, st->want[i]) == NULL)
			g_error("step %u: no \"%s\" in:\n%s", n, st->want[i],
				text);
	}
	for (unsigned int i = 0; i < MAX_LINES && st->not[i] != NULL; i++) {
		if (strstr(text, st->not[i]) != NULL)
			g_error("step %u: \"%s\" in:\n%s", n, st->not[i],
				text);
	}
	g_free(text);
	plan_free(&plan);
	if (mail.message != NULL)
		g_object_unref(mail.message);
	g_free(agent);
	g_free(queue_rcpt);
	g_ptr_array_unref(rcpts);
	g_ptr_array_unref(customers);
}

static void run_scenario(gconstpointer data)
{
	const struct scenario *sc = data;
	struct token_key *key = token_key_new("unit-test-secret", 16);
	char *dir = g_dir_make_tmp("test-pipeline-XXXXXX", NULL);
	char *path = g_build_filename(dir, "shopdesk.conf", NULL);
	char *templates = g_build_filename(g_getenv("top_srcdir") != NULL ?
					   g_getenv("top_srcdir") : ".",
					   "templates", NULL);
	char *text = g_strdup_printf(config_text, dir, templates,
				     sc->config != NULL ? sc->config : "");
	struct pipeline *pipeline;
	struct config *config;
	struct store *store;
	char *error = NULL;

	g_assert_true(g_file_set_contents(path, text, -1, NULL));
	if (config_load(path, &config, &error) < 0)
		g_error("config: %s", error);
	if (store_open(dir, 0, &store, &error) < 0)
		g_error("store: %s", error);
	if (pipeline_open(config, store, key, &pipeline, &error) < 0)
		g_error("pipeline: %s", error);
	for (unsigned int i = 0; i < G_N_ELEMENTS(sc->steps) &&
	     sc->steps[i].envelope_from != NULL; i++)
		run_step(pipeline, config, &sc->steps[i], i + 1);
	pipeline_close(&pipeline);
	store_close(&store);
	config_free(&config);
	token_key_free(&key);
	remove_tree(dir);
	g_free(dir);
	g_free(path);
	g_free(templates);
	g_free(text);
}

/* Hostile fields: a 64 KiB subject is cut before it is stored and
   tagged; a Message-ID and References that are not UTF-8 name nothing
   (the mail is known by its digest). */
static void test_hostile_fields(void)
{
	char *subject = g_strnfill(65536, 'a');
	char *message = g_strdup_printf(
		"From: anna@example.com\nTo: sales@shop.test\n"
		"Subject: %s\nMessage-ID: <\xf8\x88@example.com>\n"
		"References: <\xff\xfe@x> <order-1@example.com>\n\nhi\n",
		subject);
	struct scenario sc = {
		"hostile-fields", NULL, {
			{ "anna@example.com", { "<sales@shop.test>" },
			  .message = message, .ticket = 1,
			  /* "[Ticket #1] " and 1999 of the 65536 */
			  .want = { "subject of 2011 bytes", "rule=new" },
			  .not = { "\xf8", "\xff" } },
		},
	};
	run_scenario(&sc);
	g_free(message);
	g_free(subject);
}

/* Who is an agent: a SASL login; a listed address only from a trusted
   network; never anyone else. */
static void test_agent(void)
{
	static const struct {
		const char *login, *client, *sender, *want;
	} cases[] = {
		/* agents lists bob: a login must be his */
		{ "bob", NULL, "whoever@example.com", "bob" },
		{ "Bob@Shop.Test", NULL, "x@example.com", "Bob@Shop.Test" },
		{ "ann", NULL, "bob@shop.test", NULL },
		{ "ann@shop.test", NULL, "bob@shop.test", NULL },
		{ "bob@example.com", NULL, "bob@shop.test", NULL },
		{ NULL, "127.0.0.1", "Bob@Shop.Test", "bob@shop.test" },
		{ NULL, "192.0.2.7", "bob@shop.test", NULL },
		{ NULL, "127.0.0.1", "mallory@example.com", NULL },
		{ "", NULL, "bob@shop.test", NULL },
	};
	char *dir = g_dir_make_tmp("test-pipeline-XXXXXX", NULL);
	char *path = g_build_filename(dir, "shopdesk.conf", NULL);
	char *templates = g_build_filename(g_getenv("top_srcdir") != NULL ?
					   g_getenv("top_srcdir") : ".",
					   "templates", NULL);
	char *text = g_strdup_printf(config_text, dir, templates,
				     "agents = bob@shop.test\n"
				     "trusted_networks = 127.0.0.0/8\n");
	struct token_key *key = token_key_new("unit-test-secret", 16);
	struct pipeline *pipeline;
	struct config *config;
	char *error = NULL;

	g_assert_true(g_file_set_contents(path, text, -1, NULL));
	if (config_load(path, &config, &error) < 0)
		g_error("config: %s", error);
	if (pipeline_open(config, NULL, key, &pipeline, &error) < 0)
		g_error("pipeline: %s", error);
	for (unsigned int i = 0; i < G_N_ELEMENTS(cases); i++) {
		GInetAddress *client = cases[i].client != NULL ?
			g_inet_address_new_from_string(cases[i].client) :
			NULL;
		char *agent = pipeline_agent(pipeline, cases[i].login, client,
					     cases[i].sender);

		if (g_strcmp0(agent, cases[i].want) != 0)
			g_error("case %u: agent %s, want %s", i,
				agent != NULL ? agent : "NULL",
				cases[i].want != NULL ? cases[i].want :
				"NULL");
		g_free(agent);
		if (client != NULL)
			g_object_unref(client);
	}
	pipeline_close(&pipeline);
	config_free(&config);
	token_key_free(&key);
	remove_tree(dir);
	g_free(dir);
	g_free(path);
	g_free(templates);
	g_free(text);
}

int main(int argc, char *argv[])
{
	g_test_init(&argc, &argv, NULL);
	g_mime_init();
	for (unsigned int i = 0; i < G_N_ELEMENTS(scenarios); i++) {
		char *name = g_strdup_printf("/pipeline/%s",
					     scenarios[i].name);

		g_test_add_data_func(name, &scenarios[i], run_scenario);
		g_free(name);
	}
	g_test_add_func("/pipeline/who-is-an-agent", test_agent);
	g_test_add_func("/pipeline/hostile-fields", test_hostile_fields);
	return g_test_run();
}
