#ifndef SHOPDESK_FUZZ_H
#define SHOPDESK_FUZZ_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <glib.h>
#include <glib/gstdio.h>

/* The libFuzzer entry points every target defines.  libFuzzer calls
   them when the target is built with clang -fsanitize=fuzzer (make
   fuzz); replay.c calls them over a target's regression inputs and
   seeds in every make check, built with any compiler. */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* data as a NUL-terminated string (g_free it): what the code under
   test reads is a C string, so a NUL in the input ends it. */
static inline char *fuzz_string(const uint8_t *data, size_t size)
{
	return g_strndup((const char *)data, size);
}

/* g_error() and a GLib-CRITICAL under G_DEBUG=fatal-criticals stop
   with SIGTRAP, which libFuzzer lets kill the process without keeping
   the input: they become an abort(), which it reports. */
static void fuzz_trap(int sig)
{
	abort();
}

__attribute__((constructor)) static void fuzz_catch_traps(void)
{
	signal(SIGTRAP, fuzz_trap);
}

/* Removes the folder a target made for its store, and all below it */
static inline void fuzz_remove_tree(const char *path)
{
	GDir *d = g_dir_open(path, 0, NULL);
	const char *name;

	while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
		char *sub = g_build_filename(path, name, NULL);

		if (g_file_test(sub, G_FILE_TEST_IS_DIR))
			fuzz_remove_tree(sub);
		else
			g_unlink(sub);
		g_free(sub);
	}
	if (d != NULL)
		g_dir_close(d);
	g_rmdir(path);
}

/* A failed property: abort, so that libFuzzer keeps the input. */
#define fuzz_assert(expr) \
	do { \
		if (!(expr)) \
			g_error("%s:%d: %s", __FILE__, __LINE__, #expr); \
	} while (0)

#endif
