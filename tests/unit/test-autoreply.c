/* Who gets an automatic acknowledgement: a table of messages with
   shopdesk's expected verdict, checked against autoreply_refusal(), and,
   wherever Sieve vacation's rules apply, against Pigeonhole's own
   vacation action run by sieve-test on the same message (the oracle). */

#include "autoreply.h"

#include <glib/gstdio.h>
#include <stdbool.h>
#include <string.h>

#define QUEUE "sales@shop.test"

static const struct {
	const char *sender;	/* envelope sender, "" for null */
	const char *headers;	/* added to a plain customer message */
	const char *to;		/* To: header; NULL: the queue */
	const char *refusal;	/* NULL: answer; else a piece of the reason */
	bool oracle;		/* vacation decides this case the same way */
} cases[] = {
	{ "anna@example.com", "", NULL, NULL, true },
	{ "anna@example.com", "Auto-Submitted: no\n", NULL, NULL, true },
	{ "anna@example.com", "Precedence: first-class\n", NULL, NULL, true },
	/* sieve-test cannot give a null envelope sender (-f refuses it) */
	{ "", "", NULL, "null sender", false },
	{ "MAILER-DAEMON@example.com", "", NULL, "mail system", true },
	{ "listserv@example.com", "", NULL, "list manager", true },
	{ "majordomo@example.com", "", NULL, "list manager", true },
	{ "news-request@example.com", "", NULL, "list manager", true },
	{ "owner-news@example.com", "", NULL, "list manager", true },
	{ QUEUE, "", NULL, "our own address", true },
	{ "anna@example.com", "Auto-Submitted: auto-replied\n", NULL,
	  "auto-submitted", true },
	{ "anna@example.com", "Auto-Submitted: auto-generated\n", NULL,
	  "auto-submitted", true },
	{ "anna@example.com", "Precedence: bulk\n", NULL, "precedence", true },
	{ "anna@example.com", "Precedence: list\n", NULL, "precedence", true },
	{ "anna@example.com", "Precedence: junk\n", NULL, "precedence", true },
	{ "anna@example.com", "List-Id: <news.example.com>\n", NULL,
	  "mailing list", true },
	{ "anna@example.com", "List-Unsubscribe: <mailto:u@example.com>\n",
	  NULL, "mailing list", true },
	{ "anna@example.com", "List-Post: <mailto:l@example.com>\n", NULL,
	  "mailing list", true },
	{ "anna@example.com", "X-Auto-Response-Suppress: All\n", NULL,
	  "suppressed", true },
	{ "anna@example.com", "X-Auto-Response-Suppress: DR, OOF\n", NULL,
	  "suppressed", true },
	{ "anna@example.com", "", "other@example.com", "not in To", true },
	{ "anna@example.com", "Cc: Sales <Sales@Shop.Test>\n",
	  "other@example.com", NULL, true },
	{ "anna@example.com", "", "\"Sales\" <SALES@shop.test>, x@y.z", NULL,
	  true },
	/* shopdesk's own rules: vacation would answer these */
	{ "postmaster@example.com", "", NULL, "mail system", false },
	{ "no-reply@shop.example", "", NULL, "takes no replies", false },
	{ "noreply@bank.example", "", NULL, "takes no replies", false },
	{ "anna@example.com", "X-Spam-Flag: YES\n", NULL, "spam", false },
	{ "anna@example.com",
	  "MIME-Version: 1.0\n"
	  "Content-Type: multipart/report; report-type=delivery-status; "
	  "boundary=b\n", NULL, "report", false },
};

static char *message_text(unsigned int i)
{
	return g_strdup_printf("From: Anna <anna@example.com>\n"
			       "To: %s\n"
			       "Subject: Where is my order\n"
			       "Message-ID: <case%u@example.com>\n"
			       "%s"
			       "\n"
			       "Hello\n",
			       cases[i].to != NULL ? cases[i].to : QUEUE, i,
			       cases[i].headers);
}

static GMimeMessage *parse(const char *text)
{
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(text,
								strlen(text));
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	GMimeMessage *message = g_mime_parser_construct_message(parser, NULL);

	g_object_unref(parser);
	g_object_unref(stream);
	g_assert_nonnull(message);
	return message;
}

static void test_table(void)
{
	static const char *const own[] = { QUEUE, "manager@shop.test", NULL };

	for (unsigned int i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *text = message_text(i);
		GMimeMessage *message = parse(text);
		const char *why = autoreply_refusal(message, cases[i].sender,
						    own);

		if (cases[i].refusal == NULL ? why != NULL :
		    (why == NULL || strstr(why, cases[i].refusal) == NULL))
			g_error("case %u (%s): refusal \"%s\", want \"%s\"",
				i + 1, cases[i].sender, why,
				cases[i].refusal);
		g_object_unref(message);
		g_free(text);
	}
}

/* Pigeonhole's verdict: does vacation answer this message?  sieve-test
   runs with -e, which prints the response instead of sending it and
   logs the final decision; each case gets a home of its own, so that
   vacation's memory of whom it answered never carries over. */
static bool vacation_answers(const char *top, unsigned int i,
			     const char *sender, const char *text)
{
	char *dir = g_strdup_printf("%s/case%u", top, i);
	char *conf = g_build_filename(dir, "dovecot.conf", NULL);
	char *script = g_build_filename(dir, "vacation.sieve", NULL);
	char *mail = g_build_filename(dir, "mail.eml", NULL);
	char *settings = g_strdup_printf(
		"mail_uid = nobody\nmail_gid = nogroup\n"
		"mail_home = %s\nmail_location = maildir:%s/mail\n"
		"base_dir = %s/run\nstate_dir = %s/state\n", dir, dir, dir,
		dir);
	char *out = NULL, *err = NULL;
	GError *error = NULL;
	int status;
	bool answers;
	const char *argv[] = {
		"sieve-test", "-e", "-c", conf, "-f", sender, "-r", QUEUE,
		script, mail, NULL,
	};

	g_assert_cmpint(g_mkdir(dir, 0777), ==, 0);
	g_chmod(dir, 0777);	/* sieve-test writes as the mail user */
	g_assert_true(g_file_set_contents(conf, settings, -1, NULL));
	g_assert_true(g_file_set_contents(script,
		"require \"vacation\";\n"
		"vacation :days 1 :addresses [\"" QUEUE "\"] \"Got it\";\n",
		-1, NULL));
	g_assert_true(g_file_set_contents(mail, text, -1, NULL));
	if (!g_spawn_sync(dir, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL,
			  NULL, &out, &err, &status, &error))
		g_error("sieve-test: %s", error->message);
	if (!g_spawn_check_wait_status(status, NULL))
		g_error("sieve-test failed: %s%s", out, err);
	answers = strstr(err, "sent vacation response") != NULL ||
		strstr(out, "sent vacation response") != NULL;
	g_free(out);
	g_free(err);
	g_free(settings);
	g_free(conf);
	g_free(script);
	g_free(mail);
	g_free(dir);
	return answers;
}

static void test_oracle(void)
{
	static const char *const own[] = { QUEUE, NULL };
	char *dir = g_dir_make_tmp("test-autoreply-XXXXXX", NULL);
	unsigned int compared = 0;
	char *command;

	g_chmod(dir, 0755);
	for (unsigned int i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *text;
		GMimeMessage *message;
		bool ours, theirs;

		if (!cases[i].oracle)
			continue;
		text = message_text(i);
		message = parse(text);
		ours = autoreply_refusal(message, cases[i].sender, own) == NULL;
		theirs = vacation_answers(dir, i, cases[i].sender, text);
		if (ours != theirs)
			g_error("case %u (%s, %s): shopdesk %s, vacation %s",
				i + 1, cases[i].sender, cases[i].headers,
				ours ? "answers" : "does not",
				theirs ? "answers" : "does not");
		compared++;
		g_object_unref(message);
		g_free(text);
	}
	g_assert_cmpuint(compared, >, 20);
	command = g_strdup_printf("rm -rf '%s'", dir);
	g_spawn_command_line_sync(command, NULL, NULL, NULL, NULL);
	g_free(command);
	g_free(dir);
}

int main(int argc, char *argv[])
{
	int ret;

	g_test_init(&argc, &argv, NULL);
	g_mime_init();
	g_test_add_func("/autoreply/table", test_table);
	g_test_add_func("/autoreply/vacation-oracle", test_oracle);
	ret = g_test_run();
	g_mime_shutdown();
	return ret;
}
