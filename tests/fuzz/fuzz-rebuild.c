/* fuzz-rebuild: a message file in a queue Maildir, read and applied by
   the rebuild (rebuild.h) onto one store in a temporary folder that
   every input adds to, as `rebuild --keep-store` does.  Input: the
   file, then a byte of flags, last so that any mail file is a seed as
   it is: bit 0, the stamps trusted without their seal (--trust-stamps);
   bits 1-3, the file's keyword letters (a: open, b: pending,
   c: resolved).  Whatever the stamps say, the rebuild ends with its
   summary, or an error of the store, never a crash. */

#include "fuzz.h"
#include "rebuild.h"

#include <glib/gstdio.h>
#include <gmime/gmime.h>
#include <stdlib.h>
#include <string.h>

static const char config_text[] =
	"[shopdesk]\n"
	"domain = shop.test\n"
	"state_dir = %s\n"
	"templates_dir = %s\n"
	"ticket_tag = Ticket\n"
	"participants_max = 4\n"
	"[queue sales]\n"
	"address = sales@shop.test\n"
	"hours = mon-fri 09:00-17:00\n"
	"[queue manager]\n"
	"address = manager@shop.test\n";

static char *dir, *maildir, *cur;
static struct config *config;
static struct store *store;
static struct token_key *key;

static void done(void)
{
	store_close(&store);
	config_free(&config);
	token_key_free(&key);
	fuzz_remove_tree(dir);
	g_free(cur);
	g_free(maildir);
	g_free(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *srcdir = g_getenv("top_srcdir") != NULL ?
		g_getenv("top_srcdir") : FUZZ_SRCDIR;
	char *templates = g_build_filename(srcdir, "templates", NULL);
	char *path, *text, *keywords, *error = NULL;

	g_mime_init();
	dir = g_dir_make_tmp("fuzz-rebuild-XXXXXX", NULL);
	if (dir == NULL)
		g_error("no temporary folder");
	maildir = g_build_filename(dir, "Maildir", NULL);
	cur = g_build_filename(maildir, "cur", NULL);
	path = g_build_filename(dir, "shopdesk.conf", NULL);
	text = g_strdup_printf(config_text, dir, templates);
	keywords = g_build_filename(maildir, "dovecot-keywords", NULL);
	if (g_mkdir_with_parents(cur, 0700) < 0 ||
	    !g_file_set_contents(path, text, -1, NULL) ||
	    !g_file_set_contents(keywords, "0 open\n1 pending\n2 resolved\n",
				 -1, NULL))
		g_error("cannot write in %s", dir);
	key = token_key_new("fuzz-rebuild-secret", 19);
	if (config_load(path, &config, &error) < 0 ||
	    store_open(dir, STORE_NOSYNC, &store, &error) < 0)
		g_error("%s", error);
	atexit(done);
	g_free(keywords);
	g_free(path);
	g_free(text);
	g_free(templates);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct rebuild_summary *summary;
	char letters[4] = "", *name, *path, *error = NULL;
	unsigned int n = 0;
	struct rebuild *rb;
	uint8_t flags;

	if (size < 1)
		return 0;
	flags = data[--size];
	for (unsigned int bit = 0; bit < 3; bit++)
		if ((flags & (2 << bit)) != 0)
			letters[n++] = (char)('a' + bit);
	name = g_strdup_printf("1.M1P1.fuzz:2,S%s", letters);
	path = g_build_filename(cur, name, NULL);
	if (!g_file_set_contents(path, (const char *)data, (gssize)size,
				 NULL))
		g_error("cannot write %s", path);
	rb = rebuild_new(config, key, (flags & 1) != 0, 1795000000, NULL,
			 NULL);
	fuzz_assert(rebuild_add_maildir(rb, NULL, maildir, &error) == 0);
	if (rebuild_run(rb, store, &summary, &error) == 0)
		fuzz_assert(summary->messages == 1);
	g_free(error);
	rebuild_free(&rb);
	g_unlink(path);
	g_free(path);
	g_free(name);
	return 0;
}
