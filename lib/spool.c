/* spool.c: the two spools' mechanics (see spool.h): durable puts by
   write-sync-rename, claims by rename, deferral by modification time.
   Every rename is followed by an fsync of the directory it went into,
   so that a crash at any instruction leaves each item in exactly one
   place, whole.

   It does not know what items mean: the outbox worker and the events
   reader do. */

#include "spool.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEY_MAX 200
/* How long done/ remembers an item's key: longer than any producer
   retries the step that put it (Postfix gives up after 5 days). */
#define DONE_KEEP (7 * 24 * 60 * 60)

struct spool {
	char *dir;
	char *tmp, *new, *cur, *dead, *done;
};

static char *error_errno(const char *what, const char *path)
{
	return g_strdup_printf("%s %s: %s", what, path, g_strerror(errno));
}

static int sync_dir(const char *dir, char **error_r)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || fsync(fd) < 0) {
		*error_r = error_errno("fsync", dir);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static char *item_path(const char *dir, const char *key)
{
	return g_build_filename(dir, key, NULL);
}

/* rename from/key to to/key, then make it last */
static int move(const char *from, const char *to, const char *key,
		char **error_r)
{
	char *a = item_path(from, key), *b = item_path(to, key);
	int ret = 0;

	if (rename(a, b) < 0) {
		*error_r = error_errno("rename", a);
		ret = -1;
	} else {
		ret = sync_dir(to, error_r);
	}
	g_free(a);
	g_free(b);
	return ret;
}

/* Drops the keys of items done long ago. */
static void forget_done(struct spool *spool)
{
	GDir *d = g_dir_open(spool->done, 0, NULL);
	int64_t limit = g_get_real_time() / G_USEC_PER_SEC - DONE_KEEP;
	const char *name;

	while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
		char *path = item_path(spool->done, name);
		GStatBuf st;

		if (g_stat(path, &st) == 0 && st.st_mtime < limit)
			g_unlink(path);
		g_free(path);
	}
	if (d != NULL)
		g_dir_close(d);
}

int spool_open(const char *dir, bool consumer, struct spool **spool_r,
	       char **error_r)
{
	struct spool *spool = g_new0(struct spool, 1);
	const char *const *subs;
	GDir *d;
	const char *name;

	spool->dir = g_strdup(dir);
	spool->tmp = g_build_filename(dir, "tmp", NULL);
	spool->new = g_build_filename(dir, "new", NULL);
	spool->cur = g_build_filename(dir, "cur", NULL);
	spool->dead = g_build_filename(dir, "dead", NULL);
	spool->done = g_build_filename(dir, "done", NULL);
	subs = (const char *const[]){ spool->tmp, spool->new, spool->cur,
				      spool->dead, spool->done, NULL };
	for (unsigned int i = 0; subs[i] != NULL; i++) {
		if (g_mkdir_with_parents(subs[i], 0770) < 0) {
			*error_r = error_errno("mkdir", subs[i]);
			spool_close(&spool);
			return -1;
		}
	}
	if (consumer) {
		d = g_dir_open(spool->cur, 0, NULL);
		while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
			if (move(spool->cur, spool->new, name, error_r) < 0) {
				g_dir_close(d);
				spool_close(&spool);
				return -1;
			}
		}
		if (d != NULL)
			g_dir_close(d);
		forget_done(spool);
	}
	*spool_r = spool;
	return 0;
}

void spool_close(struct spool **_spool)
{
	struct spool *spool = *_spool;

	if (spool == NULL)
		return;
	*_spool = NULL;
	g_free(spool->dir);
	g_free(spool->tmp);
	g_free(spool->new);
	g_free(spool->cur);
	g_free(spool->dead);
	g_free(spool->done);
	g_free(spool);
}

static bool valid_key(const char *key)
{
	size_t len = strlen(key);

	if (len == 0 || len > KEY_MAX || key[0] == '.')
		return false;
	for (const char *p = key; *p != '\0'; p++) {
		if (!g_ascii_isalnum(*p) && strchr(".-_@+", *p) == NULL)
			return false;
	}
	return true;
}

static bool exists(const char *dir, const char *key)
{
	char *path = item_path(dir, key);
	bool found = g_file_test(path, G_FILE_TEST_EXISTS);

	g_free(path);
	return found;
}

int spool_put(struct spool *spool, const char *key, const void *data,
	      size_t size, char **error_r)
{
	char *path;
	int fd;

	if (!valid_key(key)) {
		*error_r = g_strdup_printf("bad spool key: %s", key);
		return -1;
	}
	if (exists(spool->new, key) || exists(spool->cur, key) ||
	    exists(spool->done, key) || exists(spool->dead, key))
		return 0;
	path = item_path(spool->tmp, key);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0660);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size ||
	    fsync(fd) < 0) {
		*error_r = error_errno("write", path);
		if (fd >= 0)
			close(fd);
		g_unlink(path);
		g_free(path);
		return -1;
	}
	close(fd);
	g_free(path);
	if (move(spool->tmp, spool->new, key, error_r) < 0)
		return -1;
	return 1;
}

int spool_claim(struct spool *spool, int64_t now, struct spool_item **item_r,
		char **error_r)
{
	GDir *d = g_dir_open(spool->new, 0, NULL);
	char *best = NULL;
	int64_t best_time = 0;
	const char *name;
	struct spool_item *item;
	GError *error = NULL;
	char *path;

	if (d == NULL) {
		*error_r = error_errno("opendir", spool->new);
		return -1;
	}
	while ((name = g_dir_read_name(d)) != NULL) {
		GStatBuf st;

		path = item_path(spool->new, name);
		/* equal times: the key decides, so that keys that begin
		   with their time (the events spool's) keep their order */
		if (g_stat(path, &st) == 0 && st.st_mtime <= now &&
		    (best == NULL || st.st_mtime < best_time ||
		     (st.st_mtime == best_time && strcmp(name, best) < 0))) {
			g_free(best);
			best = g_strdup(name);
			best_time = st.st_mtime;
		}
		g_free(path);
	}
	g_dir_close(d);
	if (best == NULL)
		return 0;
	if (move(spool->new, spool->cur, best, error_r) < 0) {
		g_free(best);
		return -1;
	}
	item = g_new0(struct spool_item, 1);
	item->key = best;
	item->not_before = best_time;
	path = item_path(spool->cur, best);
	if (!g_file_get_contents(path, &item->data, &item->size, &error)) {
		char *why = NULL;

		/* unreadable now is unreadable next time: set aside, so
		   that it does not come back at every start */
		if (move(spool->cur, spool->dead, best, &why) < 0) {
			*error_r = g_strdup_printf("%s; %s", error->message,
						   why);
			g_free(why);
		} else {
			*error_r = g_strdup_printf("%s; moved to dead/",
						   error->message);
		}
		g_error_free(error);
		g_free(path);
		spool_item_free(&item);
		return -1;
	}
	g_free(path);
	*item_r = item;
	return 1;
}

/* The claimed item leaves cur/ for dir, when ret says that what had to
   be done to its file first was done; the item is freed either way. */
static int leave(struct spool *spool, struct spool_item **_item, int ret,
		 const char *dir, char **error_r)
{
	if (ret == 0)
		ret = move(spool->cur, dir, (*_item)->key, error_r);
	spool_item_free(_item);
	return ret;
}

int spool_done(struct spool *spool, struct spool_item **_item,
	       char **error_r)
{
	char *path = item_path(spool->cur, (*_item)->key);
	int ret = 0;

	/* emptied, then kept by name in done/: a producer that repeats
	   the put finds the key and puts nothing */
	if (truncate(path, 0) < 0) {
		*error_r = error_errno("truncate", path);
		ret = -1;
	}
	g_free(path);
	return leave(spool, _item, ret, spool->done, error_r);
}

int spool_defer(struct spool *spool, struct spool_item **_item,
		int64_t not_before, char **error_r)
{
	char *path = item_path(spool->cur, (*_item)->key);
	struct timespec times[2] = {
		{ .tv_sec = not_before }, { .tv_sec = not_before },
	};
	int ret = 0;

	if (utimensat(AT_FDCWD, path, times, 0) < 0) {
		*error_r = error_errno("utimensat", path);
		ret = -1;
	}
	g_free(path);
	return leave(spool, _item, ret, spool->new, error_r);
}

int spool_bury(struct spool *spool, struct spool_item **_item,
	       char **error_r)
{
	return leave(spool, _item, 0, spool->dead, error_r);
}

void spool_item_free(struct spool_item **_item)
{
	struct spool_item *item = *_item;

	if (item == NULL)
		return;
	*_item = NULL;
	g_free(item->key);
	g_free(item->data);
	g_free(item);
}

int spool_update(struct spool *spool, struct spool_item *item,
		 const void *data, size_t size, char **error_r)
{
	/* a name no key can have (keys never start with '.') */
	char *name = g_strconcat(".update.", item->key, NULL);
	char *tmp = item_path(spool->tmp, name);
	char *path = item_path(spool->cur, item->key);
	int fd, ret = -1;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0660);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size ||
	    fsync(fd) < 0) {
		*error_r = error_errno("write", tmp);
		if (fd >= 0)
			close(fd);
		g_unlink(tmp);
		goto out;
	}
	close(fd);
	if (rename(tmp, path) < 0) {
		*error_r = error_errno("rename", tmp);
		g_unlink(tmp);
		goto out;
	}
	if (sync_dir(spool->cur, error_r) < 0)
		goto out;
	g_free(item->data);
	item->data = g_malloc(size + 1);
	memcpy(item->data, data, size);
	item->data[size] = '\0';
	item->size = size;
	ret = 0;
out:
	g_free(path);
	g_free(tmp);
	g_free(name);
	return ret;
}

static void entry_free(gpointer data)
{
	struct spool_entry *e = data;

	g_free(e->key);
	g_free(e);
}

static const char *state_dir(struct spool *spool, enum spool_state state)
{
	switch (state) {
	case SPOOL_WAITING:
		return spool->new;
	case SPOOL_ACTIVE:
		return spool->cur;
	case SPOOL_DEAD:
		return spool->dead;
	}
	return spool->new;
}

GPtrArray *spool_list(struct spool *spool, enum spool_state state,
		      const char *prefix)
{
	GPtrArray *list = g_ptr_array_new_with_free_func(entry_free);
	const char *dir = state_dir(spool, state);
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;

	while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
		struct spool_entry *e;
		char *path;
		GStatBuf st;

		if (!g_str_has_prefix(name, prefix) || !valid_key(name))
			continue;
		path = item_path(dir, name);
		if (g_stat(path, &st) == 0) {
			e = g_new0(struct spool_entry, 1);
			e->key = g_strdup(name);
			e->state = state;
			e->not_before = st.st_mtime;
			e->size = st.st_size;
			g_ptr_array_add(list, e);
		}
		g_free(path);
	}
	if (d != NULL)
		g_dir_close(d);
	return list;
}

int spool_peek(struct spool *spool, const char *key, char **data_r,
	       size_t *size_r, char **error_r)
{
	char *path;
	GError *error = NULL;
	int ret = 1;

	if (!valid_key(key))
		return 0;
	path = item_path(spool->new, key);
	if (!g_file_get_contents(path, data_r, size_r, &error)) {
		if (g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
			ret = 0;
		} else {
			*error_r = g_strdup(error->message);
			ret = -1;
		}
		g_error_free(error);
	}
	g_free(path);
	return ret;
}

/* Where the item named key waits: dead/ or new/, or NULL when it is in
   neither (or key names no item). */
static const char *waiting(const struct spool *spool, const char *key)
{
	if (!valid_key(key))
		return NULL;
	if (exists(spool->dead, key))
		return spool->dead;
	if (exists(spool->new, key))
		return spool->new;
	return NULL;
}

int spool_retry(struct spool *spool, const char *key, int64_t now,
		char **error_r)
{
	struct timespec times[2] = { { .tv_sec = now }, { .tv_sec = now } };
	const char *from = waiting(spool, key);
	char *path;
	int ret;

	if (from == NULL)
		return 0;
	path = item_path(from, key);
	ret = utimensat(AT_FDCWD, path, times, 0);
	if (ret < 0) {
		/* claimed or removed meanwhile */
		ret = errno == ENOENT ? 0 : -1;
		if (ret < 0)
			*error_r = error_errno("utimensat", path);
		g_free(path);
		return ret;
	}
	g_free(path);
	if (from == spool->new)
		return 1;
	return move(spool->dead, spool->new, key, error_r) < 0 ? -1 : 1;
}

int spool_drop(struct spool *spool, const char *key, char **error_r)
{
	const char *from = waiting(spool, key);
	char *path;

	if (from == NULL)
		return 0;
	/* out of new/ first, so that the consumer cannot claim it while
	   it is emptied */
	{
		char *a = item_path(from, key), *b = item_path(spool->done,
							       key);
		int ret = rename(a, b), saved = errno;

		g_free(a);
		g_free(b);
		if (ret < 0 && saved == ENOENT)
			return 0;	/* claimed meanwhile */
		if (ret < 0) {
			errno = saved;
			*error_r = error_errno("rename", key);
			return -1;
		}
		if (sync_dir(spool->done, error_r) < 0)
			return -1;
	}
	path = item_path(spool->done, key);
	if (truncate(path, 0) < 0) {
		*error_r = error_errno("truncate", path);
		g_free(path);
		return -1;
	}
	g_free(path);
	return 1;
}

bool spool_waiting(struct spool *spool, const char *key)
{
	char *in_new = item_path(spool->new, key);
	char *in_cur = item_path(spool->cur, key);
	bool ret = g_file_test(in_new, G_FILE_TEST_EXISTS) ||
		g_file_test(in_cur, G_FILE_TEST_EXISTS);

	g_free(in_new);
	g_free(in_cur);
	return ret;
}
