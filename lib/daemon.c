/* daemon.c: the start every daemon shares (command line, configuration,
   log) and detaching with a ready handshake, for shopdesk-milter and
   shopdesk-bridge.  It does not drop privileges or write pid files: the
   service manager does. */

#include "daemon.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int ready_fd = -1;

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
	fprintf(stderr, "usage: %s [-c FILE] [-f]\n", ident);
	exit(2);
}

struct config *daemon_start(const char *ident, int argc, char *argv[])
{
	const char *config_path = CONFIG_DEFAULT_PATH;
	struct config *config;
	char *error = NULL;
	bool foreground = false;
	int opt;

	while ((opt = getopt(argc, argv, "c:f")) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case 'f':
			foreground = true;
			break;
		default:
			usage(ident);
		}
	}
	if (optind != argc)
		usage(ident);
	if (config_load(config_path, &config, &error) < 0) {
		fprintf(stderr, "%s: %s\n", ident, error);
		exit(1);
	}
	log_open(ident, foreground);
	if (!foreground)
		daemon_detach(ident);
	return config;
}

void daemon_ready(void)
{
	int fd;

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
