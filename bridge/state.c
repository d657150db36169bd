/* state.c: a channel's small durable files and its secrets
   (state.h). */

#include "state.h"
#include "log.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SECRET_MAX 512

int state_write(const char *dir, const char *name, const void *data,
		size_t size, char **error_r)
{
	char *tmp = g_strdup_printf("%s/.%s.tmp", dir, name);
	char *path = g_build_filename(dir, name, NULL);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0660);
	int ret = -1;

	if (fd < 0 || write(fd, data, size) != (ssize_t)size ||
	    fsync(fd) < 0 || close(fd) < 0) {
		*error_r = g_strdup_printf("%s: %s", tmp, g_strerror(errno));
		if (fd >= 0)
			close(fd);
	} else if (rename(tmp, path) < 0) {
		*error_r = g_strdup_printf("%s: %s", path, g_strerror(errno));
	} else if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
		   fsync(fd) < 0) {
		*error_r = g_strdup_printf("%s: %s", dir, g_strerror(errno));
		if (fd >= 0)
			close(fd);
	} else {
		close(fd);
		ret = 0;
	}
	if (ret < 0)
		g_unlink(tmp);
	g_free(tmp);
	g_free(path);
	return ret;
}

char *state_read_secret(const char *channel, const char *what,
			const char *path, const char *alphabet,
			char **error_r)
{
	GError *error = NULL;
	char *text = NULL;
	GStatBuf st;

	if (g_stat(path, &st) < 0) {
		*error_r = g_strdup_printf("%s %s: %s", what, path,
					   g_strerror(errno));
		return NULL;
	}
	if ((st.st_mode & S_IROTH) != 0) {
		*error_r = g_strdup_printf("%s %s is readable by everyone: "
					   "chmod o-rwx it", what, path);
		return NULL;
	}
	if ((st.st_mode & S_IRGRP) != 0)
		log_warning("%s: %s %s is readable by its group: only "
			    "shopdesk-bridge should read it", channel, what,
			    path);
	if (!g_file_get_contents(path, &text, NULL, &error)) {
		*error_r = g_strdup_printf("%s: %s", what, error->message);
		g_error_free(error);
		return NULL;
	}
	g_strstrip(text);
	/* what goes into a header or a key is checked */
	if (*text == '\0' || strlen(text) > SECRET_MAX ||
	    strspn(text, alphabet) != strlen(text)) {
		*error_r = g_strdup_printf("%s %s does not hold what it should",
					   what, path);
		memset(text, 0, strlen(text));
		g_free(text);
		return NULL;
	}
	return text;
}

char *state_digest(const char *id)
{
	char *hash = g_compute_checksum_for_string(G_CHECKSUM_SHA256, id, -1);
	char *name = g_strdup_printf("%.32s", hash);

	g_free(hash);
	return name;
}

bool state_seen(const char *dir, const char *id)
{
	char *name = state_digest(id);
	char *path = g_build_filename(dir, name, NULL);
	bool seen = g_file_test(path, G_FILE_TEST_EXISTS);

	g_free(path);
	g_free(name);
	return seen;
}

int state_see(const char *dir, const char *id, char **error_r)
{
	char *name = state_digest(id);
	int ret = state_write(dir, name, id, strlen(id), error_r);

	g_free(name);
	return ret;
}

void state_sweep(const char *dir, int64_t max_age)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	int64_t limit = g_get_real_time() / G_USEC_PER_SEC - max_age;
	const char *name;

	if (d == NULL)
		return;
	while ((name = g_dir_read_name(d)) != NULL) {
		char *path = g_build_filename(dir, name, NULL);
		GStatBuf st;

		if (g_stat(path, &st) == 0 && st.st_mtime < limit)
			g_unlink(path);
		g_free(path);
	}
	g_dir_close(d);
}

void state_clear_secret(char **secret)
{
	if (*secret != NULL)
		memset(*secret, 0, strlen(*secret));
	g_clear_pointer(secret, g_free);
}
