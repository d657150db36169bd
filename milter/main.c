/* main.c: shopdesk-milter's start, reload and stop.  Reads the
   configuration (refusing to start on any error), detaches unless -f,
   opens the milter socket (as root, when started so, giving a unix
   socket its mode and group), leaves root, opens the ticket store
   (running recovery), starts the control socket and the worker threads
   (worker.h) and hands over to libmilter in a thread of its own, while
   the main thread waits for SIGHUP to reload (settings.h).  Detaching
   waits for readiness (daemon.h). */

#include "config.h"
#include "control.h"
#include "daemon.h"
#include "log.h"
#include "mlfi.h"
#include "query.h"
#include "report.h"
#include "settings.h"
#include "store.h"
#include "token.h"
#include "worker.h"

#include <gmime/gmime.h>
#include <glib-unix.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>

/* Signals.  libmilter's smfi_main() starts a thread that blocks
   SIGHUP, SIGINT and SIGTERM in the thread calling it and sigwait()s
   for them in its own (libmilter/signal.c): any of the three stops the
   milter, SIGHUP included (MILTER_STOP, as SIGTERM).  So that SIGHUP
   reloads instead, smfi_main() runs in a thread of its own and the
   main thread alone leaves SIGHUP unblocked, with GLib's handler
   (g_unix_signal_add): a signal sent to the process goes first to its
   main thread when that thread does not block it (Linux's
   complete_signal(); POSIX leaves the choice open), so libmilter's
   thread only ever sees SIGINT and SIGTERM.  Every other thread, the
   control and worker threads included, blocks all three, or a signal
   could reach one where its default action kills the process. */
static void block_signals(int how, bool hup_only)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	if (!hup_only) {
		sigaddset(&set, SIGINT);
		sigaddset(&set, SIGTERM);
	}
	pthread_sigmask(how, &set, NULL);
}

static gboolean reload(gpointer data)
{
	(void)data;
	settings_reload();
	return G_SOURCE_CONTINUE;
}

static gboolean quit(gpointer data)
{
	g_main_loop_quit(data);
	return G_SOURCE_REMOVE;
}

struct milter_thread {
	GMainLoop *loop;
	int ret;
};

/* libmilter's listener, until SIGTERM or SIGINT; then the main loop
   ends, once it runs. */
static gpointer milter_main(gpointer data)
{
	struct milter_thread *t = data;

	t->ret = smfi_main();
	g_idle_add(quit, t->loop);
	return NULL;
}

/* Reports need the queues' clocks: the configuration of now */
static JsonNode *control_handler(const char *request, void *context)
{
	struct settings *settings;
	JsonNode *reply;

	if (!g_str_has_prefix(request, "report"))
		return query_handle(context, request);
	settings = settings_get();
	reply = report_handle(context, settings->config, request);
	settings_put(&settings);
	return reply;
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
	struct milter_thread milter = { 0 };
	GThread *thread;
	struct config *config;
	char *error = NULL;
	char *tmp_dir;
	bool unix_socket;

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
	/* the settings own the configuration; main keeps the values it
	   started with, which a reload never changes (settings.c) */
	if (settings_start(config_ref(config), store, key, &error) < 0 ||
	    mlfi_setup(config, &error) < 0)
		daemon_die("%s", error);

	block_signals(SIG_BLOCK, false);
	make_parent_dir(config->control_socket);
	if (control_server_start(config->control_socket, control_handler,
				 store, &control, &error) < 0)
		daemon_die("control socket: %s", error);
	if (worker_start(config, store, &worker, &error) < 0)
		daemon_die("events spool: %s", error);

	milter.loop = g_main_loop_new(NULL, FALSE);
	g_unix_signal_add(SIGHUP, reload, NULL);
	block_signals(SIG_UNBLOCK, true);
	thread = g_thread_new("milter", milter_main, &milter);

	log_info("starting: milter %s, control %s, store %s",
		 config->milter_socket, config->control_socket,
		 config->state_dir);
	daemon_ready();
	g_main_loop_run(milter.loop);
	g_thread_join(thread);
	log_info("stopping");

	worker_stop(&worker);
	control_server_stop(&control);
	mlfi_teardown();
	settings_stop();
	store_close(&store);
	token_key_free(&key);
	config_free(&config);
	g_main_loop_unref(milter.loop);
	g_mime_shutdown();
	return milter.ret == MI_SUCCESS ? 0 : 1;
}
