#ifndef SHOPDESK_MSGTEXT_H
#define SHOPDESK_MSGTEXT_H

#include <glib.h>

/* The words of an agent's mail as a messenger shows them: plain text,
   without the quoted history a mail client adds to a reply and without
   the signature.  Messengers keep their own history beside the chat,
   so the quote would only repeat it. */

/* Converts HTML to plain text with libxml2's HTML parser: block
   elements and <br> become line breaks, list items get "- ", links
   keep their address in angle brackets after the words, and quoted
   history (<blockquote>, Gmail's and Outlook's quote containers) is
   left out, as are <head>, <style> and <script>.  Returns UTF-8 (g_free
   it); never NULL. */
char *msgtext_from_html(const char *html);

/* Removes quoted history and the signature from plain text: lines
   starting with '>', an attribution line ("On Mon, 1 Jun 2026, Ivan
   wrote:", also the few other languages of the templates, and one wrapped
   over two lines) followed by quoted lines or nothing, everything from
   Outlook's "-----Original Message-----" or "From:/Sent:" block on, and
   everything from the "-- " signature line on.  Line ends become LF;
   runs of blank lines become one; leading and trailing blank lines go.
   Returns the text (g_free it), "" when nothing is left. */
char *msgtext_strip(const char *text);

/* Splits text into pieces of at most limit UTF-16 code units (how
   Telegram counts its 4096 characters), cutting after a line break in
   the second half of a piece where there is one, else after a space,
   else between characters.  Pieces are never empty nor only
   whitespace.  Returns a new array of strings (g_ptr_array_unref it),
   empty for empty text.  limit is at least 2. */
GPtrArray *msgtext_split(const char *text, unsigned int limit);

#endif
