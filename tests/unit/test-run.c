/* Tests of run.c: output and exit status come back, standard input goes
   in (whole, even when the caller is killed before the program reads
   it), a missing program is RUN_FAILED, a killing signal is reported,
   and a program that hangs (with a child of its own holding the pipes
   open) is killed at the deadline, its whole process group with it. */

#include "run.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void run(const char *script, const char *input, unsigned int timeout,
		bool merge, struct run_result *r)
{
	const char *argv[] = { "/bin/sh", "-c", script, NULL };

	run_program(argv, input, timeout, merge, r);
}

static void test_exit(void)
{
	struct run_result r;

	run("echo out; echo err >&2; exit 3", NULL, 10, false, &r);
	g_assert_cmpint(r.status, ==, RUN_EXITED);
	g_assert_cmpint(r.code, ==, 3);
	g_assert_cmpstr(r.out, ==, "out\n");
	g_assert_cmpstr(r.err, ==, "err\n");
	run_result_clear(&r);

	run("echo out; echo err >&2", NULL, 10, true, &r);
	g_assert_cmpint(r.code, ==, 0);
	g_assert_cmpstr(r.out, ==, "out\nerr\n");
	g_assert_cmpstr(r.err, ==, "");
	run_result_clear(&r);
}

static void test_input(void)
{
	struct run_result r;

	run("tr a-z A-Z", "hello\n", 10, false, &r);
	g_assert_cmpint(r.status, ==, RUN_EXITED);
	g_assert_cmpstr(r.out, ==, "HELLO\n");
	run_result_clear(&r);
}

/* sendmail takes end of input for end of message: a caller killed
   while the program has not read its input yet (kill -9 of the bridge)
   must not leave it half a message.  A megabyte is more than any pipe
   holds. */
static void test_input_caller_killed(void)
{
	char *dir = g_dir_make_tmp("test-run-XXXXXX", NULL);
	char *out = g_build_filename(dir, "out", NULL);
	char *done = g_build_filename(dir, "done", NULL);
	char *script = g_strdup_printf("sleep 0.5; cat > '%s'; touch '%s'",
				       out, done);
	char *input = g_strnfill(1024 * 1024, 'x');
	char *got = NULL;
	gsize length = 0;
	int status;
	pid_t caller = fork();

	g_assert_cmpint(caller, >=, 0);
	if (caller == 0) {
		struct run_result r;

		run(script, input, 10, false, &r);
		_exit(0);
	}
	g_usleep(G_USEC_PER_SEC / 5);
	kill(caller, SIGKILL);
	g_assert_cmpint(waitpid(caller, &status, 0), ==, caller);
	g_assert_true(WIFSIGNALED(status));
	for (int i = 0; i < 100 && !g_file_test(done, G_FILE_TEST_EXISTS); i++)
		g_usleep(G_USEC_PER_SEC / 10);
	g_assert_true(g_file_get_contents(out, &got, &length, NULL));
	g_assert_cmpuint(length, ==, strlen(input));
	g_free(got);
	g_unlink(out);
	g_unlink(done);
	g_rmdir(dir);
	g_free(input);
	g_free(script);
	g_free(done);
	g_free(out);
	g_free(dir);
}

static void test_missing(void)
{
	const char *argv[] = { "/nonexistent/program", NULL };
	struct run_result r;

	run_program(argv, NULL, 10, false, &r);
	g_assert_cmpint(r.status, ==, RUN_FAILED);
	g_assert_nonnull(g_strstr_len(r.error, -1, "/nonexistent/program"));
	run_result_clear(&r);
}

static void test_signal(void)
{
	struct run_result r;

	run("kill -TERM $$", NULL, 10, false, &r);
	g_assert_cmpint(r.status, ==, RUN_SIGNALED);
	g_assert_cmpint(r.code, ==, SIGTERM);
	run_result_clear(&r);
}

static void test_timeout(void)
{
	struct run_result r;
	gint64 start = g_get_monotonic_time();

	/* the background sleep keeps stdout open: only killing the
	   group ends the wait */
	run("sleep 30 & sleep 30", NULL, 1, false, &r);
	g_assert_cmpint(r.status, ==, RUN_TIMED_OUT);
	g_assert_cmpint(g_get_monotonic_time() - start, <,
			10 * G_USEC_PER_SEC);
	run_result_clear(&r);
}

static void test_one_line(void)
{
	char *long_text = g_strnfill(300, 'x');
	char *line = run_one_line("  a\r\nb\tc \n");

	g_assert_cmpstr(line, ==, "a  b c");
	g_free(line);
	line = run_one_line(long_text);
	g_assert_cmpuint(strlen(line), ==, 200);
	g_free(line);
	g_free(long_text);
}

int main(int argc, char *argv[])
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/run/exit", test_exit);
	g_test_add_func("/run/input", test_input);
	g_test_add_func("/run/input-caller-killed", test_input_caller_killed);
	g_test_add_func("/run/missing", test_missing);
	g_test_add_func("/run/signal", test_signal);
	g_test_add_func("/run/timeout", test_timeout);
	g_test_add_func("/run/one-line", test_one_line);
	return g_test_run();
}
