/* autoreply.c: the decision whether an automatic acknowledgement may be
   sent, rule by rule, each with the reason it gives.  The order follows
   Pigeonhole's vacation action, so that a log line names the same rule
   a Sieve user would expect; the last rules are shopdesk's own.

   It sends nothing and remembers nothing. */

#include "autoreply.h"

#include <stdbool.h>
#include <string.h>

static const char *const list_headers[] = {
	"List-Id", "List-Owner", "List-Subscribe", "List-Post",
	"List-Unsubscribe", "List-Help", "List-Archive",
};

static const char *const addressed_headers[] = {
	"To", "Cc", "Bcc", "Resent-To", "Resent-Cc", "Resent-Bcc",
};

static bool same_address(const char *a, const char *b)
{
	return g_ascii_strcasecmp(a, b) == 0;
}

/* Senders that are programs, not people: Pigeonhole's list, and the
   no-reply addresses that announce they read nothing. */
static const char *system_sender(const char *address)
{
	const char *at = strchr(address, '@');
	char *local = g_ascii_strdown(address, at != NULL ?
				      at - address : (gssize)strlen(address));
	const char *why = NULL;

	if (strcmp(local, "mailer-daemon") == 0 ||
	    strcmp(local, "postmaster") == 0)
		why = "sender is a mail system";
	else if (strcmp(local, "listserv") == 0 ||
		 strcmp(local, "majordomo") == 0 ||
		 g_str_has_suffix(local, "-request") ||
		 g_str_has_prefix(local, "owner-"))
		why = "sender is a list manager";
	else if (strstr(local, "noreply") != NULL ||
		 strstr(local, "no-reply") != NULL ||
		 strstr(local, "no_reply") != NULL ||
		 strstr(local, "donotreply") != NULL ||
		 strstr(local, "do-not-reply") != NULL)
		why = "sender takes no replies";
	g_free(local);
	return why;
}

static bool header_has_word(const char *value, const char *word)
{
	char **words = g_strsplit_set(value, " \t,;", -1);
	bool found = false;

	for (unsigned int i = 0; words[i] != NULL && !found; i++)
		found = g_ascii_strcasecmp(g_strstrip(words[i]), word) == 0;
	g_strfreev(words);
	return found;
}

static bool names_address(GMimeMessage *message, const char *address)
{
	GMimeObject *object = GMIME_OBJECT(message);

	for (unsigned int i = 0; i < G_N_ELEMENTS(addressed_headers); i++) {
		const char *value = g_mime_object_get_header(
			object, addressed_headers[i]);
		InternetAddressList *list;
		bool found = false;

		if (value == NULL)
			continue;
		list = internet_address_list_parse(NULL, value);
		for (int j = 0; list != NULL && !found &&
		     j < internet_address_list_length(list); j++) {
			InternetAddress *ia =
				internet_address_list_get_address(list, j);

			found = INTERNET_ADDRESS_IS_MAILBOX(ia) &&
				same_address(internet_address_mailbox_get_addr(
					INTERNET_ADDRESS_MAILBOX(ia)), address);
		}
		if (list != NULL)
			g_object_unref(list);
		if (found)
			return true;
	}
	return false;
}

/* Why mail is a machine's by its sender or its Auto-Submitted header
   (RFC 3834), or NULL. */
static const char *automatic_sender(GMimeObject *object,
				    const char *envelope_sender)
{
	const char *value, *why;

	if (*envelope_sender == '\0')
		return "null sender";
	if ((why = system_sender(envelope_sender)) != NULL)
		return why;
	value = g_mime_object_get_header(object, "Auto-Submitted");
	if (value != NULL && !header_has_word(value, "no"))
		return "auto-submitted";
	return NULL;
}

const char *autoreply_refusal(GMimeMessage *message,
			      const char *envelope_sender,
			      const char *const *own_addresses)
{
	GMimeObject *object = GMIME_OBJECT(message);
	GMimeObject *body;
	GMimeContentType *type;
	const char *value;
	const char *why;

	if ((why = automatic_sender(object, envelope_sender)) != NULL)
		return why;
	for (unsigned int i = 0; own_addresses[i] != NULL; i++) {
		if (same_address(envelope_sender, own_addresses[i]))
			return "sender is our own address";
	}
	value = g_mime_object_get_header(object, "Precedence");
	if (value != NULL && (header_has_word(value, "bulk") ||
			      header_has_word(value, "list") ||
			      header_has_word(value, "junk")))
		return "precedence bulk, list or junk";
	for (unsigned int i = 0; i < G_N_ELEMENTS(list_headers); i++) {
		if (g_mime_object_get_header(object, list_headers[i]) != NULL)
			return "mailing list";
	}
	value = g_mime_object_get_header(object, "X-Auto-Response-Suppress");
	if (value != NULL && (header_has_word(value, "all") ||
			      header_has_word(value, "oof")))
		return "auto-responses suppressed";
	if (own_addresses[0] != NULL &&
	    !names_address(message, own_addresses[0]))
		return "our address is not in To, Cc or Bcc";
	/* shopdesk's own rules, beyond vacation's */
	value = g_mime_object_get_header(object, "X-Spam-Flag");
	if (value != NULL && header_has_word(value, "yes"))
		return "marked as spam";
	/* GMime keeps Content-Type on the message's top part */
	body = g_mime_message_get_mime_part(message);
	type = body != NULL ? g_mime_object_get_content_type(body) : NULL;
	if (type != NULL &&
	    g_mime_content_type_is_type(type, "multipart", "report"))
		return "delivery or read report";
	return NULL;
}

const char *autoreply_automatic(GMimeMessage *message,
				const char *envelope_sender)
{
	GMimeObject *object = GMIME_OBJECT(message);
	GMimeObject *body = g_mime_message_get_mime_part(message);
	GMimeContentType *type = body != NULL ?
		g_mime_object_get_content_type(body) : NULL;
	const char *why;

	if ((why = automatic_sender(object, envelope_sender)) != NULL)
		return why;
	/* what Exchange and older responders say instead */
	if (g_mime_object_get_header(object, "X-Autoreply") != NULL ||
	    g_mime_object_get_header(object, "X-Autorespond") != NULL)
		return "auto-reply";
	if (type != NULL &&
	    g_mime_content_type_is_type(type, "multipart", "report"))
		return "delivery or read report";
	return NULL;
}
