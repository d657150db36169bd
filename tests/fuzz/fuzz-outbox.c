/* fuzz-outbox: outbox items as the bridge reads them (outbox.h).  What
   decodes is encoded again and must decode to the same. */

#include "fuzz.h"
#include "outbox.h"

#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

static void mail_again(const struct outbox_mail *mail)
{
	char *text = outbox_mail_encode(mail), *kind = NULL, *error = NULL;
	struct outbox_mail *again = NULL;

	if (outbox_decode(text, strlen(text), &again, &kind, &error) != 1)
		g_error("an encoded mail does not decode (%s):\n%s",
			error != NULL ? error : kind, text);
	fuzz_assert(again->ticket == mail->ticket);
	fuzz_assert(strcmp(again->message, mail->message) == 0);
	fuzz_assert(g_strv_equal((const char *const *)again->recipients,
				 (const char *const *)mail->recipients));
	outbox_mail_free(&again);
	g_free(text);
}

static void message_again(const struct outbox_message *msg)
{
	char *text = outbox_message_encode(msg), *error = NULL;
	struct outbox_message *again = NULL;

	if (outbox_message_decode(text, strlen(text), &again, &error) < 0)
		g_error("an encoded message does not decode (%s):\n%s", error,
			text);
	fuzz_assert(again->ticket == msg->ticket);
	fuzz_assert(again->order == msg->order);
	fuzz_assert(strcmp(again->text, msg->text) == 0);
	fuzz_assert(strcmp(again->chat, msg->chat) == 0);
	fuzz_assert(again->attachments->len == msg->attachments->len);
	fuzz_assert(again->sent->len == msg->sent->len);
	outbox_message_free(&again);
	g_free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct outbox_mail *mail = NULL;
	struct outbox_message *msg = NULL;
	char *kind = NULL, *error = NULL;
	int ret;

	ret = outbox_decode((const char *)data, size, &mail, &kind, &error);
	if (ret == 1) {
		mail_again(mail);
		outbox_mail_free(&mail);
	}
	g_free(kind);
	g_free(error);
	error = NULL;
	if (outbox_message_decode((const char *)data, size, &msg,
				  &error) == 0) {
		message_again(msg);
		outbox_message_free(&msg);
	} else {
		g_free(error);
	}
	return 0;
}
