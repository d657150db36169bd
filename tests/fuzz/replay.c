/* replay.c: runs a fuzz target's LLVMFuzzerTestOneInput once over each
   file of tests/fuzz/regressions/TARGET/ (inputs that once crashed it)
   and tests/fuzz/corpus/TARGET/ (its seeds), without libFuzzer, so
   that every make check replays them with whatever compiler built the
   tree.  TARGET is the program's name without "replay-".  Speaks TAP,
   one test point per file; a crash ends the program and so fails the
   test (the last "# FILE" line says which input).  Files named on the
   command line are run instead of the directories. */

#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int compare(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_dir(GPtrArray *files, const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	const char *name;

	while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
		if (name[0] != '.')
			g_ptr_array_add(names, g_build_filename(dir, name,
								NULL));
	}
	if (d != NULL)
		g_dir_close(d);
	/* the same order on every system */
	g_ptr_array_sort(names, compare);
	for (unsigned int i = 0; i < names->len; i++)
		g_ptr_array_add(files, g_strdup(names->pdata[i]));
	g_ptr_array_unref(names);
}

int main(int argc, char *argv[])
{
	char *base = g_path_get_basename(argv[0]);
	const char *target = g_str_has_prefix(base, "replay-") ?
		base + strlen("replay-") : base;
	const char *srcdir = g_getenv("top_srcdir") != NULL ?
		g_getenv("top_srcdir") : ".";
	GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
	unsigned int failed = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--tap") != 0)
			g_ptr_array_add(files, g_strdup(argv[i]));
	}
	if (files->len == 0) {
		static const char *const kinds[] = { "regressions", "corpus" };

		for (unsigned int k = 0; k < G_N_ELEMENTS(kinds); k++) {
			char *dir = g_build_filename(srcdir, "tests", "fuzz",
						     kinds[k], target, NULL);

			add_dir(files, dir);
			g_free(dir);
		}
	}
	LLVMFuzzerInitialize(&argc, &argv);
	printf("1..%u\n", files->len);
	for (unsigned int i = 0; i < files->len; i++) {
		const char *path = files->pdata[i];
		char *data;
		gsize size;
		GError *error = NULL;

		printf("# %s\n", path);
		fflush(stdout);
		if (!g_file_get_contents(path, &data, &size, &error)) {
			printf("not ok %u - %s: %s\n", i + 1, path,
			       error->message);
			g_error_free(error);
			failed++;
			continue;
		}
		LLVMFuzzerTestOneInput((const uint8_t *)data, size);
		g_free(data);
		printf("ok %u - %s %s\n", i + 1, target,
		       strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 :
		       path);
		fflush(stdout);
	}
	g_ptr_array_unref(files);
	g_free(base);
	return failed > 0 ? 1 : 0;
}
