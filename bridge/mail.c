/* mail.c: the bridge's mail channel.  Acknowledgements and notices leave
   through the admin's sendmail, so that they are queued, signed and
   logged like any mail the server sends; the bridge only reads the
   answer of sendmail's exit status. */

#include "mail.h"

#include <gio/gio.h>
#include <stdbool.h>
#include <string.h>
#include <sysexits.h>

struct run {
	bool done;
	bool timed_out;
	GAsyncResult *result;
};

static void finished(GObject *source, GAsyncResult *result, gpointer data)
{
	struct run *run = data;

	run->result = g_object_ref(result);
	run->done = true;
}

static gboolean too_slow(gpointer data)
{
	GSubprocess *proc = data;

	g_subprocess_force_exit(proc);
	return G_SOURCE_REMOVE;
}

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

/* sendmail's own words, on one line, bounded */
static char *one_line(const char *output)
{
	char *text = g_strdup(output != NULL ? output : "");

	g_strdelimit(text, "\r\n\t", ' ');
	g_strstrip(text);
	if (strlen(text) > 200)
		text[200] = '\0';
	return text;
}

enum mail_result mail_send(const char *sendmail, const struct outbox_mail *mail,
			   unsigned int timeout, char **why_r)
{
	GMainContext *context;
	GSubprocess *proc;
	GSource *timer;
	GError *error = NULL;
	char *output = NULL, *said;
	char **argv = command_line(sendmail, mail, why_r);
	struct run run = { 0 };
	enum mail_result result;
	int status;

	if (argv == NULL)
		return MAIL_RETRY;	/* the admin can fix the command */
	proc = g_subprocess_newv((const char *const *)argv,
				 G_SUBPROCESS_FLAGS_STDIN_PIPE |
				 G_SUBPROCESS_FLAGS_STDOUT_PIPE |
				 G_SUBPROCESS_FLAGS_STDERR_MERGE, &error);
	if (proc == NULL) {
		*why_r = g_strdup_printf("cannot run %s: %s", argv[0],
					 error->message);
		g_error_free(error);
		g_strfreev(argv);
		return MAIL_RETRY;
	}

	/* a private loop: the message goes in and the output comes out
	   without either side blocking the other, and a hung sendmail is
	   killed */
	context = g_main_context_new();
	g_main_context_push_thread_default(context);
	g_subprocess_communicate_utf8_async(proc, mail->message, NULL,
					    finished, &run);
	timer = g_timeout_source_new_seconds(timeout);
	g_source_set_callback(timer, too_slow, proc, NULL);
	g_source_attach(timer, context);
	while (!run.done)
		g_main_context_iteration(context, TRUE);
	run.timed_out = g_source_is_destroyed(timer);
	g_source_destroy(timer);
	g_source_unref(timer);
	g_subprocess_communicate_utf8_finish(proc, run.result, &output, NULL,
					     &error);
	g_main_context_pop_thread_default(context);
	g_main_context_unref(context);
	g_object_unref(run.result);

	said = one_line(output);
	if (error != NULL) {
		*why_r = g_strdup_printf("%s: %s", argv[0], error->message);
		g_error_free(error);
		result = MAIL_RETRY;
	} else if (run.timed_out) {
		*why_r = g_strdup_printf("%s: no answer within %u s, killed",
					 argv[0], timeout);
		result = MAIL_RETRY;
	} else if (!g_subprocess_get_if_exited(proc)) {
		*why_r = g_strdup_printf("%s: killed by signal %d", argv[0],
					 g_subprocess_get_term_sig(proc));
		result = MAIL_RETRY;
	} else if ((status = g_subprocess_get_exit_status(proc)) == 0) {
		result = MAIL_SENT;
	} else {
		*why_r = g_strdup_printf("%s: exit %d%s%s", argv[0], status,
					 *said != '\0' ? ": " : "", said);
		result = status == EX_DATAERR || status == EX_NOUSER ||
			status == EX_NOHOST ? MAIL_FAILED : MAIL_RETRY;
	}
	g_free(said);
	g_free(output);
	g_object_unref(proc);
	g_strfreev(argv);
	return result;
}
