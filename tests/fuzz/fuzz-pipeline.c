/* fuzz-pipeline: the whole inbound way of a message (pipeline.h), raw
   message in, plan out, against one store in a temporary folder that
   every input adds to, as a milter's would.  Input: the message as the
   MTA hands it over, then a byte of flags (who sends it and to whom,
   below), last so that any mail file is a seed as it is.  A plan
   always comes back. */

#include "fuzz.h"
#include "mailmsg.h"
#include "pipeline.h"

#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

static const char config_text[] =
	"[shopdesk]\n"
	"domain = shop.test\n"
	"state_dir = %s\n"
	"templates_dir = %s\n"
	"ticket_tag = Ticket\n"
	"[queue sales]\n"
	"address = sales@shop.test, orders@shop.test\n"
	"name = Sales\n"
	"hours = mon-fri 09:00-17:00\n"
	"[queue manager]\n"
	"address = manager@shop.test\n"
	"[channel telegram]\n"
	"domain = telegram.shop.test\n"
	"token_file = /nonexistent/telegram.token\n"
	"queue = sales\n";

static char *dir;
static struct config *config;
static struct store *store;
static struct token_key *key;
static struct pipeline *pipeline;
static int64_t now = 1795000000;

static void done(void)
{
	pipeline_close(&pipeline);
	store_close(&store);
	config_free(&config);
	token_key_free(&key);
	fuzz_remove_tree(dir);
	g_free(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *srcdir = g_getenv("top_srcdir") != NULL ?
		g_getenv("top_srcdir") : FUZZ_SRCDIR;
	char *templates = g_build_filename(srcdir, "templates", NULL);
	char *path, *text, *error = NULL;

	g_mime_init();
	dir = g_dir_make_tmp("fuzz-pipeline-XXXXXX", NULL);
	if (dir == NULL)
		g_error("no temporary folder");
	path = g_build_filename(dir, "shopdesk.conf", NULL);
	text = g_strdup_printf(config_text, dir, templates);
	if (!g_file_set_contents(path, text, -1, NULL))
		g_error("cannot write %s", path);
	key = token_key_new("fuzz-pipeline-secret", 20);
	if (config_load(path, &config, &error) < 0 ||
	    store_open(dir, STORE_NOSYNC, &store, &error) < 0 ||
	    pipeline_open(config, store, key, &pipeline, &error) < 0)
		g_error("%s", error);
	atexit(done);
	g_free(path);
	g_free(text);
	g_free(templates);
	return 0;
}

static GMimeMessage *parse(const uint8_t *data, size_t size)
{
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(
		(const char *)data, size);
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	GMimeMessage *message = g_mime_parser_construct_message(parser, NULL);

	g_object_unref(parser);
	g_object_unref(stream);
	return message;
}

/* The flags: bit 0, from the agent ann (SASL) to the customers, else
   from the customer anna to the queue; bit 1, local submission (the
   bridge); bit 2, the agent also writes to a chat; bit 3, a forged
   X-Shopdesk-Ticket to strip; bit 4, a reply token. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const customers[] = {
		"tg.777@telegram.shop.test", "anna@example.com", NULL,
	};
	static const char *const customer_rcpts[] = {
		"<tg.777@telegram.shop.test>", "<anna@example.com>", NULL,
	};
	static const char *const no_customers[] = { NULL };
	static const char *const strip[] = { "X-Shopdesk-Ticket" };
	const char *tokens[] = { NULL, NULL };
	char *token = NULL, *agent;
	bool from_agent, chat;
	struct plan *plan;
	const uint8_t *text = data;
	uint8_t flags;

	if (size < 1)
		return 0;
	flags = data[--size];
	from_agent = (flags & 1) != 0;
	chat = (flags & 4) != 0;
	if ((flags & 16) != 0)
		tokens[0] = token = token_make(key, 1 + flags / 32);
	agent = pipeline_agent(pipeline, from_agent ? "ann" : NULL, NULL,
			       from_agent ? "ann@shop.test" :
			       "anna@example.com");
	struct pipeline_mail mail = {
		.queue_id = "FUZZQID",
		.envelope_from = from_agent ? "ann@shop.test" :
			"anna@example.com",
		.agent = agent,
		.queue = from_agent ? NULL :
			config_find_queue(config, "sales@shop.test", NULL,
					  NULL),
		.queue_rcpt = from_agent ? NULL : "sales@shop.test",
		.customers = !from_agent ? no_customers :
			chat ? customers : customers + 1,
		.customer_rcpts = !from_agent ? no_customers :
			chat ? customer_rcpts : customer_rcpts + 1,
		.tokens = tokens,
		.strip = strip,
		.strip_count = (flags & 8) != 0 ? 1 : 0,
		.local = (flags & 2) != 0,
		.has_message_id = g_strstr_len((const char *)text, size,
					       "Message-ID:") != NULL,
		.subject_count = 1,
		.headers = (const char *)text,
		.headers_size = size,
		.message = parse(text, size),
		.now = now,
	};
	now += 61;
	plan = pipeline_run(pipeline, &mail);
	fuzz_assert(plan != NULL);
	plan_free(&plan);
	if (mail.message != NULL)
		g_object_unref(mail.message);
	g_free(agent);
	g_free(token);
	return 0;
}
