/* run.c: another program, run to completion within a deadline.  Its
   input is written whole to an anonymous file before it starts, so that
   a caller killed meanwhile never hands it half a message (sendmail
   takes end of input for end of message and would queue what it got).
   A private main context lets the output come out, in whatever thread
   calls, and a timer kills a program that hangs, with its process
   group, so that nothing it started keeps the pipes open.  It neither
   retries nor reads meaning into exit codes: its callers know their
   programs. */

#define _GNU_SOURCE		/* memfd_create */

#include "run.h"

#include <errno.h>
#include <gio/gio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct wait {
	bool done;
	GAsyncResult *result;
};

static void finished(GObject *source, GAsyncResult *result, gpointer data)
{
	struct wait *wait = data;

	wait->result = g_object_ref(result);
	wait->done = true;
}

/* In the child: a process group of its own, so that what it starts
   (sendmail's postdrop) is killed with it. */
static void new_group(gpointer data)
{
	setpgid(0, 0);
}

static void kill_group(GSubprocess *proc)
{
	const char *pid = g_subprocess_get_identifier(proc);

	if (pid != NULL)
		kill(-(pid_t)atol(pid), SIGKILL);
}

static gboolean too_slow(gpointer data)
{
	kill_group(data);
	return G_SOURCE_REMOVE;
}

/* The input in an anonymous file, read from its start: its descriptor,
   or -1 with errno. */
static int input_file(const char *input)
{
	size_t left = strlen(input);
	int fd = memfd_create("shopdesk-run-input", MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	while (left > 0) {
		ssize_t n = write(fd, input, left);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int saved = errno;

			close(fd);
			errno = saved;
			return -1;
		}
		input += n;
		left -= (size_t)n;
	}
	if (lseek(fd, 0, SEEK_SET) < 0) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

void run_program(const char *const *argv, const char *input,
		 unsigned int timeout, bool merge_stderr,
		 struct run_result *r)
{
	GSubprocessFlags flags = G_SUBPROCESS_FLAGS_STDOUT_PIPE |
		(merge_stderr ? G_SUBPROCESS_FLAGS_STDERR_MERGE :
		 G_SUBPROCESS_FLAGS_STDERR_PIPE);
	GSubprocessLauncher *launcher;
	GMainContext *context;
	GSubprocess *proc;
	GSource *timer;
	GError *error = NULL;
	struct wait wait = { 0 };
	bool timed_out;

	memset(r, 0, sizeof(*r));
	launcher = g_subprocess_launcher_new(flags);
	if (input != NULL) {
		int fd = input_file(input);

		if (fd < 0) {
			r->status = RUN_FAILED;
			r->error = g_strdup_printf("cannot run %s: its input: "
						   "%s", argv[0],
						   g_strerror(errno));
			g_object_unref(launcher);
			return;
		}
		g_subprocess_launcher_take_stdin_fd(launcher, fd);
	}
	g_subprocess_launcher_set_child_setup(launcher, new_group, NULL, NULL);
	proc = g_subprocess_launcher_spawnv(launcher, argv, &error);
	g_object_unref(launcher);
	if (proc == NULL) {
		r->status = RUN_FAILED;
		r->error = g_strdup_printf("cannot run %s: %s", argv[0],
					   error->message);
		g_error_free(error);
		return;
	}
	context = g_main_context_new();
	g_main_context_push_thread_default(context);
	g_subprocess_communicate_utf8_async(proc, NULL, NULL, finished,
					    &wait);
	timer = g_timeout_source_new_seconds(timeout);
	g_source_set_callback(timer, too_slow, proc, NULL);
	g_source_attach(timer, context);
	while (!wait.done)
		g_main_context_iteration(context, TRUE);
	timed_out = g_source_is_destroyed(timer);
	g_source_destroy(timer);
	g_source_unref(timer);
	g_subprocess_communicate_utf8_finish(proc, wait.result, &r->out,
					     merge_stderr ? NULL : &r->err,
					     &error);
	g_main_context_pop_thread_default(context);
	g_main_context_unref(context);
	g_object_unref(wait.result);
	if (r->out == NULL)
		r->out = g_strdup("");
	if (r->err == NULL)
		r->err = g_strdup("");
	if (error != NULL) {
		r->status = RUN_FAILED;
		r->error = g_strdup_printf("%s: %s", argv[0], error->message);
		g_error_free(error);
		/* it may still be running: it must not outlive the call */
		kill_group(proc);
		g_subprocess_wait(proc, NULL, NULL);
	} else if (timed_out) {
		r->status = RUN_TIMED_OUT;
	} else if (!g_subprocess_get_if_exited(proc)) {
		r->status = RUN_SIGNALED;
		r->code = g_subprocess_get_term_sig(proc);
	} else {
		r->status = RUN_EXITED;
		r->code = g_subprocess_get_exit_status(proc);
	}
	g_object_unref(proc);
}

void run_result_clear(struct run_result *r)
{
	g_free(r->out);
	g_free(r->err);
	g_free(r->error);
	memset(r, 0, sizeof(*r));
}

char *run_one_line(const char *output)
{
	char *text = g_strdup(output != NULL ? output : "");

	g_strdelimit(text, "\r\n\t", ' ');
	g_strstrip(text);
	if (strlen(text) > 200)
		text[200] = '\0';
	return text;
}

char *run_failure(const char *name, const struct run_result *r,
		  unsigned int timeout, const char *said)
{
	char *line, *why = NULL;

	switch (r->status) {
	case RUN_FAILED:
		why = g_strdup(r->error);
		break;
	case RUN_TIMED_OUT:
		why = g_strdup_printf("%s: no answer within %u s, killed", name,
				      timeout);
		break;
	case RUN_SIGNALED:
		why = g_strdup_printf("%s: killed by signal %d", name, r->code);
		break;
	case RUN_EXITED:
		if (r->code == 0)
			break;
		line = run_one_line(said);
		why = g_strdup_printf("%s: exit %d%s%s", name, r->code,
				      *line != '\0' ? ": " : "", line);
		g_free(line);
		break;
	}
	return why;
}
