#ifndef SHOPDESK_MAILMSG_H
#define SHOPDESK_MAILMSG_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include <gmime/gmime.h>

#include "command.h"
#include "config.h"
#include "outbox.h"

/* Reading a parsed message: the fields threading and the ticket need,
   an agent's command lines, the text and files a messenger gets.  Every
   walk of the MIME tree stops at the configured mime_depth_max and
   mime_parts_max.  Nothing here knows the milter or the store. */

/* Fields read from a message; strings are borrowed from the message
   unless said otherwise. */
struct mailmsg_fields {
	const char *message_id;		/* without <>, or NULL */
	/* In-Reply-To then References newest first, at most
	   MAILMSG_REFERENCES_MAX, NULL-terminated (owned) */
	GPtrArray *references;
	const char *references_header;	/* as it came, or NULL */
	char *subject;			/* decoded, valid UTF-8, "" when
					   none (owned) */
	const char *content_language;	/* of the message or its text */
	char *from_name;		/* decoded, valid UTF-8, "" when
					   none (owned) */
	char *from_address;		/* lowercased (owned): From:'s, else
					   the envelope sender's */
	int64_t date;			/* Unix seconds, 0 when none */
	bool date_known;
	int date_offset;		/* the Date: header's, seconds east */
	char *snippet;			/* the text's start, UTF-8 (owned) */
	/* the addresses in To: and Cc:, lowercased, at most
	   participants_max, NULL-terminated (owned) */
	GPtrArray *copied;
	/* the domain a trusted Authentication-Results header says passed
	   DMARC (header.from), lowercased (owned), or NULL */
	char *dmarc_pass;
};

#define MAILMSG_REFERENCES_MAX 64

/* Fills *fields_r from message.  envelope_from stands in for a missing
   From:.  Clear with mailmsg_fields_clear(). */
void mailmsg_read_fields(GMimeMessage *message, const char *envelope_from,
			 const struct config *config,
			 struct mailmsg_fields *fields_r);
void mailmsg_fields_clear(struct mailmsg_fields *fields);

/* Reads an agent's command lines from the first text/plain part (or,
   lacking one, text/html) and removes them from the message.  Returns
   the commands (command_list_free them), or NULL when the message has
   no text; *changed_r tells whether the body was changed. */
struct command_list *mailmsg_take_commands(GMimeMessage *message,
					   const struct config *config,
					   bool *changed_r);

/* The message's body (everything below its headers) with CRLF line
   ends, as a milter hands it to the MTA. */
GBytes *mailmsg_body_crlf(GMimeMessage *message);

/* What a messenger customer gets of an agent's reply: the text part,
   or the HTML part as text, without quoted history and signature, and
   the files, up to attachment_max bytes in all (*skipped_r counts what
   was left out).  Only text, attachments are filled in. */
struct outbox_message *mailmsg_chat_message(GMimeMessage *message,
					    const struct config *config,
					    size_t attachment_max,
					    unsigned int *skipped_r);

/* Whether a Message-ID (without <>) can name a message: not empty, at
   most 250 bytes, local@domain with neither part empty, no blanks,
   control characters or angle brackets, valid UTF-8.  A message with none that is
   usable is known by a digest of its content instead. */
bool mailmsg_id_usable(const char *message_id);

/* An address as the MTA gives it, without its angle brackets (g_free). */
char *mailmsg_unbracket(const char *address);

/* "Ann Lee" <sales@shop.test>, RFC 2047-encoded as needed (g_free). */
char *mailmsg_mailbox(const char *name, const char *address);

#endif
