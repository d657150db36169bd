/* bench-headers: what a flood of headers costs the milter's side of a
   message: collecting them (mailbuf.h), planning the removal of forged
   X-Shopdesk-* ones (plan_strip) and parsing what was kept, for N and
   4 x N headers.  Linear costs print a ratio near 4 (in instructions;
   `valgrind --tool=callgrind` counts them, the wall clock adds the
   caches').  Prints figures, asserts nothing.
   Usage: bench-headers [N] (default 10000) */

#include "config.h"
#include "mailbuf.h"
#include "plan.h"

#include <glib.h>
#include <gmime/gmime.h>
#include <stdio.h>
#include <stdlib.h>

/* Microseconds to take n headers, half of them forged stamps, then to
   plan their removal and parse the message. */
static double run(const struct config *config, unsigned int n)
{
	struct mailbuf *buf = mailbuf_new(config);
	gint64 start = g_get_monotonic_time();
	GMimeMessage *message;
	struct plan *plan = plan_new();
	char name[32], value[32];

	mailbuf_header(buf, "From", "a@example.com");
	mailbuf_header(buf, "Subject", "many headers");
	for (unsigned int i = 0; i < n; i++) {
		g_snprintf(name, sizeof(name), i % 2 == 0 ?
			   "X-Shopdesk-Ticket" : "X-Filler-%u", i);
		g_snprintf(value, sizeof(value), "%u", i);
		mailbuf_header(buf, name, value);
	}
	mailbuf_headers_end(buf, "a@example.com");
	mailbuf_body(buf, (const unsigned char *)"hi\r\n", 4, "BENCH");
	plan_strip(plan, (const char *const *)buf->strip->pdata,
		   buf->strip->len);
	message = mailbuf_parse(buf, "BENCH");
	start = g_get_monotonic_time() - start;
	if (message != NULL)
		g_object_unref(message);
	plan_free(&plan);
	mailbuf_free(&buf);
	return (double)start;
}

int main(int argc, char *argv[])
{
	unsigned int n = argc > 1 ? (unsigned int)atoi(argv[1]) : 10000;
	struct config config = {
		.header_max = 1024 * 1024,
		.body_memory_max = 256 * 1024,
		.parse_max = 64 * 1024 * 1024,
		.strip_max = 4 * n,	/* keep every name: the worst case */
		.state_dir = (char *)"/tmp",
	};
	double small, large;

	g_mime_init();
	/* the best of three of each, after a warm-up: the machine is
	   shared, and malloc's first growth is not the milter's */
	run(&config, 4 * n);
	small = MIN(MIN(run(&config, n), run(&config, n)), run(&config, n));
	large = MIN(MIN(run(&config, 4 * n), run(&config, 4 * n)),
		    run(&config, 4 * n));
	printf("headers: %u in %.1f ms, %u in %.1f ms: ratio %.2f "
	       "(linear: about 4)\n", n, small / 1000, 4 * n, large / 1000,
	       large / small);
	g_mime_shutdown();
	return 0;
}
