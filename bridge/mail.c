/* mail.c: the bridge's mail channel.  Acknowledgements and notices leave
   through the admin's sendmail, so that they are queued, signed and
   logged like any mail the server sends; the bridge only reads the
   answer of sendmail's exit status. */

#include "mail.h"
#include "run.h"

#include <glib.h>
#include <string.h>
#include <sysexits.h>

static char **command_line(const char *sendmail,
			   const struct outbox_mail *mail, char **why_r)
{
	GPtrArray *argv = g_ptr_array_new();
	GError *error = NULL;
	char **words;

	if (!g_shell_parse_argv(sendmail, NULL, &words, &error)) {
		*why_r = g_strdup_printf("sendmail: %s", error->message);
		g_error_free(error);
		g_ptr_array_unref(argv);
		return NULL;
	}
	for (char **w = words; *w != NULL; w++)
		g_ptr_array_add(argv, *w);
	g_free(words);
	g_ptr_array_add(argv, g_strdup("-f"));
	g_ptr_array_add(argv, g_strdup(mail->sender));
	g_ptr_array_add(argv, g_strdup("--"));
	for (char **r = mail->recipients; *r != NULL; r++)
		g_ptr_array_add(argv, g_strdup(*r));
	g_ptr_array_add(argv, NULL);
	return (char **)g_ptr_array_free(argv, FALSE);
}

enum mail_result mail_send(const char *sendmail, const struct outbox_mail *mail,
			   unsigned int timeout, char **why_r)
{
	char **argv = command_line(sendmail, mail, why_r);
	struct run_result run;
	enum mail_result result = MAIL_RETRY;
	char *said;

	if (argv == NULL)
		return MAIL_RETRY;	/* the admin can fix the command */
	run_program((const char *const *)argv, mail->message, timeout, true,
		    &run);
	said = run_one_line(run.out);
	switch (run.status) {
	case RUN_FAILED:
		*why_r = g_strdup(run.error);
		break;
	case RUN_TIMED_OUT:
		*why_r = g_strdup_printf("%s: no answer within %u s, killed",
					 argv[0], timeout);
		break;
	case RUN_SIGNALED:
		*why_r = g_strdup_printf("%s: killed by signal %d", argv[0],
					 run.code);
		break;
	case RUN_EXITED:
		if (run.code == 0) {
			result = MAIL_SENT;
			break;
		}
		*why_r = g_strdup_printf("%s: exit %d%s%s", argv[0], run.code,
					 *said != '\0' ? ": " : "", said);
		if (run.code == EX_DATAERR || run.code == EX_NOUSER ||
		    run.code == EX_NOHOST)
			result = MAIL_FAILED;
		break;
	}
	g_free(said);
	run_result_clear(&run);
	g_strfreev(argv);
	return result;
}
