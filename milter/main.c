/* main.c: shopdesk-milter's start and stop.  Reads the configuration
   (refusing to start on any error), detaches unless -f, opens the milter
   socket (as root, when started so, giving a unix socket its mode and
   group), leaves root, opens the ticket store (running recovery), starts
   the control socket and the worker threads (worker.h) and hands over
   to libmilter.  Detaching waits for readiness (daemon.h). */

#include "config.h"
#include "control.h"
#include "daemon.h"
#include "log.h"
#include "mlfi.h"
#include "query.h"
#include "store.h"
#include "token.h"
#include "worker.h"

#include <gmime/gmime.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>

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
		daemon_die("mkdir %s: %s", dir, g_strerror(errno));
	g_free(dir);
}

/* libmilter makes a unix socket under the umask: Postfix, a member of
   its group, must be able to write it (README, Installing). */
static void set_socket_access(const struct config *config)
{
	const char *path = strchr(config->milter_socket, ':') + 1;
	struct group *gr;
	uid_t uid;
	gid_t gid;

	daemon_user(config, &uid, &gid);
	if (*config->milter_socket_group != '\0') {
		errno = 0;
		gr = getgrnam(config->milter_socket_group);
		if (gr == NULL)
			daemon_die("milter_socket_group %s: %s",
				   config->milter_socket_group,
				   errno != 0 ? g_strerror(errno) :
				   "no such group");
		gid = gr->gr_gid;
	}
	if (chown(path, uid, gid) < 0)
		daemon_die("chown %s: %s", path, g_strerror(errno));
	if (chmod(path, config->milter_socket_mode) < 0)
		daemon_die("chmod %s: %s", path, g_strerror(errno));
}

int main(int argc, char *argv[])
{
	struct control_server *control = NULL;
	struct worker *worker = NULL;
	struct token_key *key = NULL;
	struct store *store = NULL;
	struct config *config;
	char *error = NULL;
	char *tmp_dir;
	bool unix_socket;
	int ret;

	config = daemon_start("shopdesk-milter", argc, argv);
	umask(027);
	g_mime_init();

	unix_socket = g_str_has_prefix(config->milter_socket, "unix:") ||
		g_str_has_prefix(config->milter_socket, "local:");
	if (unix_socket)
		make_parent_dir(strchr(config->milter_socket, ':') + 1);
	if (smfi_setconn(config->milter_socket) == MI_FAILURE)
		daemon_die("bad milter_socket %s", config->milter_socket);
	if (smfi_register(mlfi_desc) == MI_FAILURE)
		daemon_die("smfi_register failed");
	if (smfi_opensocket(true) == MI_FAILURE)
		daemon_die("cannot listen on %s", config->milter_socket);
	if (unix_socket)
		set_socket_access(config);
	daemon_drop_privileges(config);

	if (store_open(config->state_dir, 0, &store, &error) < 0)
		daemon_die("store: %s", error);
	if (token_key_load(config->state_dir, &key, &error) < 0)
		daemon_die("%s", error);
	tmp_dir = g_build_filename(config->state_dir, "tmp", NULL);
	if (g_mkdir_with_parents(tmp_dir, 0700) < 0)
		daemon_die("mkdir %s: %s", tmp_dir, g_strerror(errno));
	g_free(tmp_dir);
	if (mlfi_setup(config, store, key, &error) < 0)
		daemon_die("%s", error);

	block_signals();
	make_parent_dir(config->control_socket);
	if (control_server_start(config->control_socket, control_handler,
				 store, &control, &error) < 0)
		daemon_die("control socket: %s", error);
	if (worker_start(config, store, &worker, &error) < 0)
		daemon_die("events spool: %s", error);

	log_info("starting: milter %s, control %s, store %s",
		 config->milter_socket, config->control_socket,
		 config->state_dir);
	daemon_ready();
	ret = smfi_main();
	log_info("stopping");

	worker_stop(&worker);
	control_server_stop(&control);
	mlfi_teardown();
	store_close(&store);
	token_key_free(&key);
	config_free(&config);
	g_mime_shutdown();
	return ret == MI_SUCCESS ? 0 : 1;
}
