#ifndef SHOPDESK_ACK_H
#define SHOPDESK_ACK_H

#include <stdbool.h>
#include <stdint.h>
#include <json-glib/json-glib.h>

#include "config.h"
#include "hours.h"

/* The acknowledgement: a customer's message answered at once, in their
   language, with their name, their ticket and the time by which a human
   will answer.  Its words are templates/<lang>/: ack.txt and ack.html
   (Mustache, template.h), and language.conf:

     [date]
     weekdays = Monday;...;Sunday      names of days, Monday first
     days = Mon;...;Sun                short names, for the shop's hours
     months = January;...;December     as written after a day number
     format = {{weekday}}, {{day}} {{month}}, {{time}}
     [message]
     subject = Re: {{{subject}}}
     thanks = thank you;thanks         a message only saying this is no
                                       reason to reopen a ticket

   This module renders and builds the message; whether to send one is
   autoreply.c's and intake.c's business, and sending is the bridge's. */

struct ack_templates;

/* Loads and parses the templates of every language in dir that has an
   ack.txt.  Returns 0, or -1 with *error_r (g_free it) naming the file
   and what is wrong in it. */
int ack_templates_load(const char *dir, struct ack_templates **templates_r,
		       char **error_r);
void ack_templates_free(struct ack_templates **_templates);

struct ack_input {
	const char *language;		/* one with templates */
	uint32_t ticket_id;
	const char *ticket_tag;		/* config's ticket_tag */
	const struct config_queue *queue;
	const struct hours *hours;	/* the queue's */
	const char *customer_name;	/* decoded display name, may be "" */
	const char *customer_address;
	const char *subject;		/* the customer's, decoded */
	const char *in_reply_to;	/* the customer's Message-ID, or NULL */
	const char *references;		/* their References header, or NULL */
	const char *message_id;		/* ours, without <> */
	const char *reply_to;		/* the address with the ticket token */
	int64_t reply_by;		/* 0 when there is no promise */
	bool customer_offset_known;	/* their Date: header gave one */
	int customer_offset;		/* seconds east of UTC */
	const char *category;		/* may be NULL */
	const char *answer;		/* canned answer, or NULL */
	int64_t now;
};

/* The data the templates see (documented in doc/templates.md).  The
   customer's name is made inert: control characters, CR and LF become
   spaces, and an address used as a name counts as no name.  Returns a
   new node (json_node_unref it). */
JsonNode *ack_data(const struct ack_templates *templates,
		   const struct ack_input *in);

/* Renders the whole message: headers (From the queue, Reply-To with the
   token, Auto-Submitted: auto-replied, threading headers, the tagged
   subject) and a multipart/alternative body of text and, when the
   language has ack.html, HTML.  Returns it as RFC 5322 text with LF
   line ends (g_free it). */
char *ack_build(const struct ack_templates *templates,
		const struct ack_input *in);

/* The acknowledgement for a messenger chat: templates/<language>/
   ack-chat.txt (or English's) with ack_data(), as plain text; NULL when
   neither exists (g_free it). */
char *ack_build_chat(const struct ack_templates *templates,
		     const struct ack_input *in);

/* Whether the customer's words in text (quoted lines and signature left
   out) are only a thank-you of some language's [message] thanks. */
bool ack_is_thanks(const struct ack_templates *templates, const char *text);

/* Whether the customer's words are only a request for no more
   automatic mail: some language's [message] stop. */
bool ack_is_stop(const struct ack_templates *templates, const char *text);

/* Whether the customer's words in text answer "was it solved?": a
   rating, a digit 1-5 alone or with one word ("5", "4 stars"), in
   *score_r (else 0), or only words of some language's [rating] solved
   or unsolved, *solved_r 1 or 0 (else -1). */
bool ack_rating(const struct ack_templates *templates, const char *text,
		int *score_r, int *solved_r);

/* Renders templates/<language>/<name> with data; for previews.  Returns
   0 and the text, or -1 with *error_r (g_free it). */
int ack_render_file(const char *dir, const char *language, const char *name,
		    JsonNode *data, char **text_r, char **error_r);

#endif
