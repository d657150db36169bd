#ifndef SHOPDESK_COMMAND_H
#define SHOPDESK_COMMAND_H

#include <glib.h>
#include <stdbool.h>

/* Agents' command lines: at the top of a reply's text, before the first
   line of prose, lines like

     #close  #resolve  #pending  #open  #assign NAME  #note
     #category NAME

   act on the ticket and are removed before the customer sees the mail.
   Blank lines among them are allowed; the first other line ends them.
   An unknown command ("#clsoe") ends them too and stays in the text, so
   the agent can be told; so does a command line that is not valid
   UTF-8.  Every arg and unknown is valid UTF-8. */

enum command_kind {
	COMMAND_STATUS,		/* arg: the status name */
	COMMAND_ASSIGN,		/* arg: the agent named */
	COMMAND_NOTE,		/* the mail is internal */
	COMMAND_CATEGORY,	/* arg: the category */
};

struct command {
	enum command_kind kind;
	char *arg;		/* NULL for COMMAND_NOTE */
};

struct command_list {
	GPtrArray *commands;	/* struct command *, in order */
	char *unknown;		/* the first unknown command line, or NULL */
};

/* Reads the commands at the top of text (plain text, any line ends).
   Returns a new list (command_list_free it) and sets *rest_r (g_free it)
   to the text without them, or to NULL when there were none. */
struct command_list *command_parse_text(const char *text, char **rest_r);

/* The same for HTML: the commands are read from the document's text
   (libxml2's HTML parser) and removed from it; *rest_r is the document
   serialized again, or NULL when there were none. */
struct command_list *command_parse_html(const char *html, char **rest_r);

void command_list_free(struct command_list **_list);

#endif
