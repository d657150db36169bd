/* settings.c: the milter's current configuration, shared by reference
   (a mutex guards only the pointer and the count: no callback waits for
   a reload, which builds the new settings before it takes the lock). */

#include "settings.h"
#include "log.h"

/* What shopdesk-milter holds open from its start: the store and
   token key (state_dir), the spools (spool_dir), its sockets and its
   user.  The rest of the file takes effect at a reload. */
static const char *const restart_keys[] = {
	"state_dir", "spool_dir", "milter_socket", "milter_socket_mode",
	"milter_socket_group", "user", "control_socket", NULL
};

static GMutex lock;
static struct settings *current;
static struct store *settings_store;
static const struct token_key *settings_key;

static int settings_new(struct config *config, struct settings **settings_r,
			char **error_r)
{
	struct settings *s = g_new0(struct settings, 1);

	g_atomic_ref_count_init(&s->refs);
	s->config = config;
	if (pipeline_open(config, settings_store, settings_key, &s->pipeline,
			  error_r) < 0) {
		settings_put(&s);
		return -1;
	}
	*settings_r = s;
	return 0;
}

/* Makes s current, dropping the old one's reference. */
static void install(struct settings *s)
{
	struct settings *old;

	g_mutex_lock(&lock);
	old = current;
	current = s;
	g_mutex_unlock(&lock);
	settings_put(&old);
}

int settings_start(struct config *config, struct store *store,
		   const struct token_key *key, char **error_r)
{
	struct settings *s;

	settings_store = store;
	settings_key = key;
	if (settings_new(config, &s, error_r) < 0)
		return -1;
	install(s);
	return 0;
}

struct settings *settings_get(void)
{
	struct settings *s;

	g_mutex_lock(&lock);
	s = current;
	g_atomic_ref_count_inc(&s->refs);
	g_mutex_unlock(&lock);
	return s;
}

void settings_put(struct settings **_settings)
{
	struct settings *s = *_settings;

	if (s == NULL)
		return;
	*_settings = NULL;
	if (!g_atomic_ref_count_dec(&s->refs))
		return;
	pipeline_close(&s->pipeline);
	config_free(&s->config);
	g_free(s);
}

void settings_reload(void)
{
	struct settings *running = settings_get(), *next;
	const char *path = running->config->path;
	struct config *config;
	char *error = NULL, *kept;

	if (config_load(path, &config, &error) < 0) {
		log_error("configuration not reloaded, the old one stays: %s",
			  error);
		goto out;
	}
	kept = config_keep_running(config, running->config, restart_keys);
	if (settings_new(config, &next, &error) < 0) {
		log_error("configuration not reloaded, the old one stays: "
			  "%s: %s", path, error);
		g_free(kept);
		goto out;
	}
	if (kept != NULL)
		log_warning("%s: %s: changed in the file, the running "
			    "value stays until a restart", path, kept);
	g_free(kept);
	install(next);
	log_info("reloaded configuration from %s", path);
out:
	g_free(error);
	settings_put(&running);
}

void settings_stop(void)
{
	install(NULL);
}
