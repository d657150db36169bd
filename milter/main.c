/* main.c: shopdesk-milter's start and stop.  Reads the configuration
   (refusing to start on any error), detaches unless -f, opens the ticket
   store (running recovery), starts the control socket and hands over to
   libmilter.  When detaching, the parent waits until the daemon is ready
   or has failed, so that an admin sees a startup error on the terminal
   and the exit code tells a service manager the truth. */

#include "config.h"
#include "control.h"
#include "log.h"
#include "mlfi.h"
#include "query.h"
#include "store.h"
#include "token.h"

#include <gmime/gmime.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int ready_fd = -1;

static void usage(void)
{
	fprintf(stderr, "usage: shopdesk-milter [-c FILE] [-f]\n");
	exit(2);
}

/* Reports a startup failure: to the waiting parent if detached, to the
   log in any case, and exits. */
static void G_GNUC_NORETURN G_GNUC_PRINTF(1, 2) die(const char *fmt, ...)
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

/* Forks; the parent waits for a newline (ready) or an error text on a
   pipe; end of file without either means the daemon died. */
static void detach(void)
{
	int fds[2];
	char buf[1024];
	ssize_t n;
	pid_t pid;

	if (pipe(fds) < 0) {
		fprintf(stderr, "shopdesk-milter: pipe: %s\n",
			g_strerror(errno));
		exit(1);
	}
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "shopdesk-milter: fork: %s\n",
			g_strerror(errno));
		exit(1);
	}
	if (pid > 0) {
		close(fds[1]);
		n = read(fds[0], buf, sizeof(buf) - 1);
		if (n == 1 && buf[0] == '\n')
			exit(0);	/* the daemon said it is ready */
		if (n > 0) {
			buf[n] = '\0';
			fprintf(stderr, "shopdesk-milter: %s\n", buf);
		} else {
			fprintf(stderr, "shopdesk-milter: the daemon died "
				"while starting (see the mail log)\n");
		}
		exit(1);
	}
	close(fds[0]);
	fcntl(fds[1], F_SETFD, FD_CLOEXEC);
	ready_fd = fds[1];
	setsid();
	if (chdir("/") < 0)
		die("chdir /: %s", g_strerror(errno));
}

/* Ready: the parent exits 0, and the standard descriptors leave the
   terminal. */
static void report_ready(void)
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

/* libmilter handles SIGHUP, SIGINT and SIGTERM in a thread of its own
   (stopping smfi_main cleanly); every other thread, the control thread
   included, must block them or the default action kills the process. */
static void block_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

static JsonNode *control_handler(const char *request, void *context)
{
	return query_handle(context, request);
}

static void make_parent_dir(const char *path)
{
	char *dir = g_path_get_dirname(path);

	if (g_mkdir_with_parents(dir, 0755) < 0)
		die("mkdir %s: %s", dir, g_strerror(errno));
	g_free(dir);
}

int main(int argc, char *argv[])
{
	const char *config_path = CONFIG_DEFAULT_PATH;
	struct control_server *control = NULL;
	struct token_key *key = NULL;
	struct store *store = NULL;
	struct config *config;
	char *error = NULL;
	char *tmp_dir;
	bool foreground = false;
	int opt, ret;

	while ((opt = getopt(argc, argv, "c:f")) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case 'f':
			foreground = true;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (config_load(config_path, &config, &error) < 0) {
		fprintf(stderr, "shopdesk-milter: %s\n", error);
		return 1;
	}
	log_open("shopdesk-milter", foreground);
	if (!foreground)
		detach();
	umask(027);
	g_mime_init();

	if (store_open(config->state_dir, 0, &store, &error) < 0)
		die("store: %s", error);
	if (token_key_load(config->state_dir, &key, &error) < 0)
		die("%s", error);
	tmp_dir = g_build_filename(config->state_dir, "tmp", NULL);
	if (g_mkdir_with_parents(tmp_dir, 0700) < 0)
		die("mkdir %s: %s", tmp_dir, g_strerror(errno));
	g_free(tmp_dir);
	if (mlfi_setup(config, store, key, &error) < 0)
		die("%s", error);

	if (g_str_has_prefix(config->milter_socket, "unix:") ||
	    g_str_has_prefix(config->milter_socket, "local:"))
		make_parent_dir(strchr(config->milter_socket, ':') + 1);
	if (smfi_setconn(config->milter_socket) == MI_FAILURE)
		die("bad milter_socket %s", config->milter_socket);
	if (smfi_register(mlfi_desc) == MI_FAILURE)
		die("smfi_register failed");
	if (smfi_opensocket(true) == MI_FAILURE)
		die("cannot listen on %s", config->milter_socket);
	block_signals();
	make_parent_dir(config->control_socket);
	if (control_server_start(config->control_socket, control_handler,
				 store, &control, &error) < 0)
		die("control socket: %s", error);

	log_info("starting: milter %s, control %s, store %s",
		 config->milter_socket, config->control_socket,
		 config->state_dir);
	report_ready();
	ret = smfi_main();
	log_info("stopping");

	control_server_stop(&control);
	store_close(&store);
	token_key_free(&key);
	config_free(&config);
	g_mime_shutdown();
	return ret == MI_SUCCESS ? 0 : 1;
}
