#ifndef SHOPDESK_RUN_H
#define SHOPDESK_RUN_H

#include <stdbool.h>

/* Runs another program (sendmail) with a deadline, from any thread: its
   standard input is given whole before it starts, its output collected,
   and a program that does not finish in time is killed. */

enum run_status {
	RUN_EXITED,		/* code is the exit status */
	RUN_SIGNALED,		/* code is the signal */
	RUN_TIMED_OUT,		/* killed at the deadline */
	RUN_FAILED,		/* could not start it or talk to it: error */
};

struct run_result {
	enum run_status status;
	int code;
	char *out;		/* standard output (and error, if merged) */
	char *err;		/* standard error, "" when merged */
	char *error;		/* RUN_FAILED: why */
};

/* Runs argv[0] (searched in PATH) with input (may be NULL) on its
   standard input and waits at most timeout seconds.  With merge_stderr
   its standard error goes into out.  Fills *result_r, which
   run_result_clear() frees.  Blocks. */
void run_program(const char *const *argv, const char *input,
		 unsigned int timeout, bool merge_stderr,
		 struct run_result *result_r);
void run_result_clear(struct run_result *result);

/* A program's output on one line, at most 200 bytes (g_free it). */
char *run_one_line(const char *output);

/* Why a run did not end in exit 0, for a log line: "NAME: exit 75: what
   it said" (said: the output to quote, on one line), "NAME: no answer
   within N s, killed", "NAME: killed by signal 9" or the reason it
   could not run.  NULL after exit 0; g_free it otherwise. */
char *run_failure(const char *name, const struct run_result *result,
		  unsigned int timeout, const char *said);

#endif
