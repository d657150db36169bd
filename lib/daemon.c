/* daemon.c: the start every daemon shares (command line, configuration,
   log), detaching with a ready handshake, the pid file a service manager
   reads (Type=forking), and leaving root for good, for shopdesk-milter
   and shopdesk-bridge.  It makes none of the daemons' folders: the
   package (or the admin) does, owned by the daemons' user. */

#include "daemon.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int ready_fd = -1;
static char *pid_file;
static pid_t pid_file_pid;

void daemon_die(const char *fmt, ...)
{
	va_list args;
	char *text;

	va_start(args, fmt);
	text = g_strdup_vprintf(fmt, args);
	va_end(args);
	log_error("fatal: %s", text);
	if (ready_fd >= 0 && write(ready_fd, text, strlen(text)) < 0)
		log_error("cannot report to the starting process: %s",
			  g_strerror(errno));
	exit(1);
}

/* The parent waits for a newline (ready) or an error text on a pipe;
   end of file without either means the daemon died. */
void daemon_detach(const char *ident)
{
	int fds[2];
	char buf[1024];
	ssize_t n;
	pid_t pid;

	if (pipe(fds) < 0 || (pid = fork()) < 0) {
		fprintf(stderr, "%s: cannot detach: %s\n", ident,
			g_strerror(errno));
		exit(1);
	}
	if (pid > 0) {
		close(fds[1]);
		n = read(fds[0], buf, sizeof(buf) - 1);
		if (n == 1 && buf[0] == '\n')
			exit(0);
		if (n > 0) {
			buf[n] = '\0';
			fprintf(stderr, "%s: %s\n", ident, buf);
		} else {
			fprintf(stderr, "%s: the daemon died while starting "
				"(see the mail log)\n", ident);
		}
		exit(1);
	}
	close(fds[0]);
	fcntl(fds[1], F_SETFD, FD_CLOEXEC);
	ready_fd = fds[1];
	setsid();
	if (chdir("/") < 0)
		daemon_die("chdir /: %s", g_strerror(errno));
}

static G_GNUC_NORETURN void usage(const char *ident)
{
	fprintf(stderr, "usage: %s [-c FILE] [-f] [-p PIDFILE]\n", ident);
	exit(2);
}

/* Only the daemon removes it: not a child that exits (a fork that
   failed to exec). */
static void remove_pid_file(void)
{
	if (getpid() == pid_file_pid && unlink(pid_file) < 0 &&
	    errno != ENOENT)
		log_error("unlink %s: %s", pid_file, g_strerror(errno));
}

/* Written whole under a temporary name and renamed, so that a service
   manager never reads half of it. */
static void write_pid_file(void)
{
	char *tmp = g_strconcat(pid_file, ".tmp", NULL);
	char *text = g_strdup_printf("%ld\n", (long)getpid());
	GError *error = NULL;

	if (!g_file_set_contents_full(tmp, text, -1,
				      G_FILE_SET_CONTENTS_NONE, 0644,
				      &error))
		daemon_die("pid file: %s", error->message);
	if (rename(tmp, pid_file) < 0)
		daemon_die("rename %s: %s", tmp, g_strerror(errno));
	pid_file_pid = getpid();
	atexit(remove_pid_file);
	g_free(text);
	g_free(tmp);
}

static bool stays_root(const struct config *config)
{
	return geteuid() != 0 || strcmp(config->user, "root") == 0;
}

static struct passwd *user_entry(const char *user)
{
	struct passwd *pw;

	errno = 0;
	pw = getpwnam(user);
	if (pw == NULL)
		daemon_die("user %s: %s (the user key of [shopdesk])", user,
			   errno != 0 ? g_strerror(errno) : "no such user");
	return pw;
}

void daemon_user(const struct config *config, uid_t *uid_r, gid_t *gid_r)
{
	struct passwd *pw;

	if (stays_root(config)) {
		*uid_r = geteuid();
		*gid_r = getegid();
		return;
	}
	pw = user_entry(config->user);
	*uid_r = pw->pw_uid;
	*gid_r = pw->pw_gid;
}

void daemon_drop_privileges(const struct config *config)
{
	struct passwd *pw;
	uid_t uid;
	gid_t gid;

	if (stays_root(config))
		return;
	pw = user_entry(config->user);
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	if (uid == 0)
		daemon_die("user %s has uid 0: name a user that is not root",
			   config->user);
	/* the groups first, while setting them is still allowed */
	if (initgroups(config->user, gid) < 0)
		daemon_die("initgroups %s: %s", config->user,
			   g_strerror(errno));
	if (setgid(gid) < 0)
		daemon_die("setgid %ld: %s", (long)gid, g_strerror(errno));
	if (setuid(uid) < 0)
		daemon_die("setuid %ld: %s", (long)uid, g_strerror(errno));
	if (setuid(0) == 0 || seteuid(0) == 0 || setgid(0) == 0 ||
	    geteuid() != uid || getegid() != gid)
		daemon_die("still able to become root after setuid %s",
			   config->user);
	log_info("running as %s (uid %ld, gid %ld)", config->user, (long)uid,
		 (long)gid);
}

struct config *daemon_start(const char *ident, int argc, char *argv[])
{
	const char *config_path = CONFIG_DEFAULT_PATH;
	struct config *config;
	char *error = NULL, *path;
	bool foreground = false;
	int opt;

	while ((opt = getopt(argc, argv, "c:fp:")) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case 'f':
			foreground = true;
			break;
		case 'p':
			if (!g_path_is_absolute(optarg)) {
				fprintf(stderr, "%s: -p %s: not an absolute "
					"path\n", ident, optarg);
				exit(2);
			}
			pid_file = optarg;
			break;
		default:
			usage(ident);
		}
	}
	if (optind != argc)
		usage(ident);
	/* absolute: a reload (SIGHUP) reads it again after detaching has
	   left the working directory */
	path = g_canonicalize_filename(config_path, NULL);
	if (config_load(path, &config, &error) < 0) {
		fprintf(stderr, "%s: %s\n", ident, error);
		exit(1);
	}
	g_free(path);
	log_open(ident, foreground);
	if (!foreground)
		daemon_detach(ident);
	return config;
}

void daemon_ready(void)
{
	int fd;

	if (pid_file != NULL)
		write_pid_file();
	if (ready_fd < 0)
		return;
	fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	if (write(ready_fd, "\n", 1) != 1)
		log_error("cannot report readiness: %s", g_strerror(errno));
	close(ready_fd);
	ready_fd = -1;
}
