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
	enum mail_result result;

	if (argv == NULL)
		return MAIL_RETRY;	/* the admin can fix the command */
	run_program((const char *const *)argv, mail->message, timeout, true,
		    &run);
	*why_r = run_failure(argv[0], &run, timeout, run.out);
	if (*why_r == NULL)
		result = MAIL_SENT;
	else if (run.status == RUN_EXITED &&
		 (run.code == EX_DATAERR || run.code == EX_NOUSER ||
		  run.code == EX_NOHOST))
		result = MAIL_FAILED;
	else
		result = MAIL_RETRY;
	run_result_clear(&run);
	g_strfreev(argv);
	return result;
}
