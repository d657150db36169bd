/* Tests of the table of keys (lib/config-keys.c) against the parser and
   config_print(): every key of the table is read by the parser (a value
   set in a file becomes the effective value config_print shows) and the
   parser accepts no key the table lacks; the defaults printed (shopdeskctl
   config -d) are the parser's own and load back as the same
   configuration; -n prints exactly the keys that differ and loads back
   as the configuration it came from. */

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

static char *tmp_dir;

/* Every group, with only the keys that have no default; the WhatsApp
   channel, which has every channel key, last. */
#define REQUIRED \
	"[shopdesk]\n" \
	"domain = shop.test\n" \
	"[queue sales]\n" \
	"address = sales@shop.test\n" \
	"[queue manager]\n" \
	"address = manager@shop.test\n" \
	"[channel telegram]\n" \
	"token_file = /etc/shopdesk/tg.token\n" \
	"queue = sales\n" \
	"[channel viber]\n" \
	"token_file = /etc/shopdesk/vb.token\n" \
	"queue = sales\n" \
	"[channel whatsapp]\n" \
	"token_file = /etc/shopdesk/wa.token\n" \
	"queue = sales\n" \
	"phone_number_id = 106540352242922\n"

/* WhatsApp's secrets set, so that webhook_listen may be set alone */
#define BASE REQUIRED \
	"app_secret_file = /etc/shopdesk/wa.secret\n" \
	"verify_token_file = /etc/shopdesk/wa.verify\n"

/* A value of each key that is not its value in BASE, as config_print
   writes it.  A key added to the table needs one here. */
static const struct sample {
	enum config_group group;
	const char *key;
	const char *value;
} samples[] = {
	{ CONFIG_GROUP_SHOPDESK, "domain", "other.test" },
	{ CONFIG_GROUP_SHOPDESK, "state_dir", "/srv/state" },
	{ CONFIG_GROUP_SHOPDESK, "spool_dir", "/srv/spool" },
	{ CONFIG_GROUP_SHOPDESK, "milter_socket", "inet:8891@127.0.0.1" },
	{ CONFIG_GROUP_SHOPDESK, "milter_socket_mode", "0640" },
	{ CONFIG_GROUP_SHOPDESK, "milter_socket_group", "postfix" },
	{ CONFIG_GROUP_SHOPDESK, "user", "sd-milter" },
	{ CONFIG_GROUP_SHOPDESK, "control_socket", "/srv/control.sock" },
	{ CONFIG_GROUP_SHOPDESK, "templates_dir", "/srv/templates" },
	{ CONFIG_GROUP_SHOPDESK, "sendmail", "/usr/sbin/sendmail -t -i" },
	{ CONFIG_GROUP_SHOPDESK, "ticket_tag", "Case" },
	{ CONFIG_GROUP_SHOPDESK, "subject_tag", "false" },
	{ CONFIG_GROUP_SHOPDESK, "agents", "ann@shop.test;bob@shop.test" },
	{ CONFIG_GROUP_SHOPDESK, "trusted_networks", "192.0.2.0/24" },
	{ CONFIG_GROUP_SHOPDESK, "default_language", "ru" },
	{ CONFIG_GROUP_SHOPDESK, "recipient_delimiter", "-" },
	{ CONFIG_GROUP_SHOPDESK, "on_error", "tempfail" },
	{ CONFIG_GROUP_SHOPDESK, "thread_window", "2h" },
	{ CONFIG_GROUP_SHOPDESK, "ack_burst", "5" },
	{ CONFIG_GROUP_SHOPDESK, "ack_burst_period", "2h" },
	{ CONFIG_GROUP_SHOPDESK, "ack_daily_max", "20" },
	{ CONFIG_GROUP_SHOPDESK, "ack_reopen_period", "2d" },
	{ CONFIG_GROUP_SHOPDESK, "outbox_retry_min", "1m" },
	{ CONFIG_GROUP_SHOPDESK, "outbox_retry_max", "2h" },
	{ CONFIG_GROUP_SHOPDESK, "outbox_lifetime", "3d" },
	{ CONFIG_GROUP_SHOPDESK, "sendmail_timeout", "2m" },
	{ CONFIG_GROUP_SHOPDESK, "doveadm_socket", "/run/dovecot/other" },
	{ CONFIG_GROUP_SHOPDESK, "doveadm_timeout", "2m" },
	{ CONFIG_GROUP_SHOPDESK, "keywords", "done=resolved new=new" },
	{ CONFIG_GROUP_SHOPDESK, "header_max", "512k" },
	{ CONFIG_GROUP_SHOPDESK, "body_memory_max", "1M" },
	{ CONFIG_GROUP_SHOPDESK, "parse_max", "1G" },
	{ CONFIG_GROUP_SHOPDESK, "mime_depth_max", "10" },
	{ CONFIG_GROUP_SHOPDESK, "mime_parts_max", "100" },
	{ CONFIG_GROUP_SHOPDESK, "strip_max", "50" },
	{ CONFIG_GROUP_SHOPDESK, "participants_max", "5" },
	{ CONFIG_GROUP_SHOPDESK, "trusted_authserv_ids", "mx.shop.test" },
	{ CONFIG_GROUP_QUEUE, "address", "sales@shop.test;orders@shop.test" },
	{ CONFIG_GROUP_QUEUE, "name", "Sales desk" },
	{ CONFIG_GROUP_QUEUE, "timezone", "Europe/Vilnius" },
	{ CONFIG_GROUP_QUEUE, "hours", "mon-sat 10:00-16:00" },
	{ CONFIG_GROUP_QUEUE, "holidays", "2026-12-25" },
	{ CONFIG_GROUP_QUEUE, "sla_first_reply", "2h" },
	{ CONFIG_GROUP_QUEUE, "sla_next_reply", "1h" },
	{ CONFIG_GROUP_QUEUE, "sla_warn", "30m" },
	{ CONFIG_GROUP_QUEUE, "autoclose_after", "off" },
	{ CONFIG_GROUP_QUEUE, "followup_after", "2d" },
	{ CONFIG_GROUP_QUEUE, "escalate_to", "boss@shop.test" },
	{ CONFIG_GROUP_QUEUE, "report_to", "boss@shop.test;ann@shop.test" },
	{ CONFIG_GROUP_QUEUE, "report_every", "weekly mon 08:00" },
	{ CONFIG_GROUP_QUEUE, "autoack", "false" },
	{ CONFIG_GROUP_QUEUE, "language", "lt" },
	{ CONFIG_GROUP_QUEUE, "mailbox", "desk@shop.test" },
	{ CONFIG_GROUP_CHANNEL, "api_url", "http://127.0.0.1:8080/v1" },
	{ CONFIG_GROUP_CHANNEL, "token_file", "/etc/shopdesk/other.token" },
	{ CONFIG_GROUP_CHANNEL, "domain", "wa.customers.test" },
	{ CONFIG_GROUP_CHANNEL, "queue", "manager" },
	{ CONFIG_GROUP_CHANNEL, "attachment_max", "10M" },
	{ CONFIG_GROUP_CHANNEL, "poll_timeout", "10s" },
	{ CONFIG_GROUP_CHANNEL, "webhook_listen", "127.0.0.1:8444" },
	{ CONFIG_GROUP_CHANNEL, "webhook_secret_file", "/etc/shopdesk/wa.hook" },
	{ CONFIG_GROUP_CHANNEL, "phone_number_id", "42" },
	{ CONFIG_GROUP_CHANNEL, "app_secret_file", "/etc/shopdesk/o.secret" },
	{ CONFIG_GROUP_CHANNEL, "verify_token_file", "/etc/shopdesk/o.verify" },
	{ CONFIG_GROUP_CHANNEL, "template", "order_reply" },
	{ CONFIG_GROUP_CHANNEL, "template_language", "lt" },
};

/* The group a sample goes into */
static const char *const sample_groups[] = {
	[CONFIG_GROUP_SHOPDESK] = "shopdesk",
	[CONFIG_GROUP_QUEUE] = "queue sales",
	[CONFIG_GROUP_CHANNEL] = "channel whatsapp",
};

static int load_text(const char *text, struct config **config_r,
		     char **error_r)
{
	char *path = g_build_filename(tmp_dir, "shopdesk.conf", NULL);
	int ret;

	if (!g_file_set_contents(path, text, -1, NULL))
		g_error("cannot write %s", path);
	ret = config_load(path, config_r, error_r);
	g_unlink(path);
	g_free(path);
	return ret;
}

static struct config *load_ok(const char *text)
{
	struct config *config;
	char *error = NULL;

	if (load_text(text, &config, &error) < 0)
		g_error("%s in:\n%s", error, text);
	return config;
}

static char *print(const struct config *config, enum config_print_what what)
{
	GString *out = g_string_new(NULL);

	config_print(config, what, out);
	return g_string_free(out, FALSE);
}

/* The value of key in group of what config_print wrote, or NULL */
static char *printed_value(const struct config *config, const char *group,
			   const char *key)
{
	GKeyFile *keyfile = g_key_file_new();
	char *text = print(config, CONFIG_PRINT_ALL), *value;

	if (!g_key_file_load_from_data(keyfile, text, -1, G_KEY_FILE_NONE,
				       NULL))
		g_error("config_print wrote what GKeyFile refuses:\n%s", text);
	value = g_key_file_get_value(keyfile, group, key, NULL);
	g_key_file_free(keyfile);
	g_free(text);
	return value;
}

/* BASE with key of group set to value */
static char *base_with(const char *group, const char *key, const char *value)
{
	GKeyFile *keyfile = g_key_file_new();
	char *text;

	if (!g_key_file_load_from_data(keyfile, BASE, -1, G_KEY_FILE_NONE,
				       NULL))
		g_error("BASE does not load");
	g_key_file_set_value(keyfile, group, key, value);
	text = g_key_file_to_data(keyfile, NULL, NULL);
	g_key_file_free(keyfile);
	return text;
}

static const struct sample *find_sample(const struct config_key *key)
{
	for (unsigned int i = 0; i < G_N_ELEMENTS(samples); i++) {
		if (samples[i].group == key->group &&
		    strcmp(samples[i].key, key->name) == 0)
			return &samples[i];
	}
	return NULL;
}

/* Each key of the table, set in a file, is what config_print shows: the
   parser reads it, into the field the table names. */
static void test_every_key_read(void)
{
	struct config *base = load_ok(BASE);

	for (unsigned int i = 0; i < config_keys_count; i++) {
		const struct config_key *key = &config_keys[i];
		const struct sample *sample = find_sample(key);
		const char *group;
		struct config *config;
		char *text, *before, *after;

		if (sample == NULL)
			g_error("no sample value for %s in this test",
				key->name);
		group = sample_groups[key->group];
		before = printed_value(base, group, key->name);
		g_assert_nonnull(before);
		g_assert_cmpstr(before, !=, sample->value);
		text = base_with(group, key->name, sample->value);
		config = load_ok(text);
		after = printed_value(config, group, key->name);
		if (g_strcmp0(after, sample->value) != 0)
			g_error("[%s] %s = %s: config_print shows %s", group,
				key->name, sample->value, after);
		config_free(&config);
		g_free(text);
		g_free(before);
		g_free(after);
	}
	config_free(&base);
}

/* And the other way: each sample names a key of the table, the table
   names each key once, and a key of no group's table is refused. */
static void test_no_key_outside(void)
{
	static const char *const unknown[] = {
		"no_such_key", "timezone", "hours", "queue", "address",
	};
	struct config *config;
	char *error = NULL, *text;

	for (unsigned int i = 0; i < G_N_ELEMENTS(samples); i++)
		g_assert_nonnull(config_key_lookup(samples[i].group,
						   samples[i].key));
	for (unsigned int i = 0; i < config_keys_count; i++)
		g_assert_true(config_key_lookup(config_keys[i].group,
						config_keys[i].name) ==
			      &config_keys[i]);
	/* timezone and hours are the queues', queue and address are not
	   [shopdesk]'s */
	for (unsigned int i = 0; i < G_N_ELEMENTS(unknown); i++) {
		text = base_with("shopdesk", unknown[i], "x");
		g_assert_cmpint(load_text(text, &config, &error), ==, -1);
		g_assert_nonnull(strstr(error, "unknown key"));
		g_clear_pointer(&error, g_free);
		g_free(text);
	}
	/* [shopdesk]'s and the channels' keys in a queue */
	for (unsigned int i = 0; i < config_keys_count; i++) {
		const struct config_key *key = &config_keys[i];

		if (config_key_lookup(CONFIG_GROUP_QUEUE, key->name) != NULL)
			continue;
		text = base_with("queue sales", key->name, "x");
		g_assert_cmpint(load_text(text, &config, &error), ==, -1);
		g_assert_nonnull(strstr(error, "unknown key"));
		g_clear_pointer(&error, g_free);
		g_free(text);
	}
	/* WhatsApp's own keys in Telegram's channel */
	for (unsigned int i = 0; i < config_keys_count; i++) {
		if (config_keys[i].only == NULL)
			continue;
		text = base_with("channel telegram", config_keys[i].name, "x");
		g_assert_cmpint(load_text(text, &config, &error), ==, -1);
		g_assert_nonnull(strstr(error, "only [channel whatsapp] has "
					"it"));
		g_clear_pointer(&error, g_free);
		g_free(text);
	}
}

/* What the parser gives an absent key is the table's default: with only
   the required keys set, the effective values are the defaults. */
static void test_defaults_are_the_parsers(void)
{
	struct config *config = load_ok(REQUIRED);
	char *all = print(config, CONFIG_PRINT_ALL);
	char *defaults = print(config, CONFIG_PRINT_DEFAULTS);

	g_assert_cmpstr(all, ==, defaults);
	g_free(all);
	g_free(defaults);
	config_free(&config);
}

/* A configuration far from the defaults */
#define CHANGED \
	"[shopdesk]\n" \
	"domain = shop.test\n" \
	"default_language = ru\n" \
	"thread_window = 2h\n" \
	"sendmail_timeout = 120\n" \
	"agents = Ann@Shop.Test; bob@shop.test\n" \
	"[queue sales]\n" \
	"address = sales@shop.test, orders@shop.test\n" \
	"name = Sales desk\n" \
	"sla_first_reply = 2h\n" \
	"autoack = false\n" \
	"[queue manager]\n" \
	"address = manager@shop.test\n" \
	"language = lt\n" \
	"mailbox =\n" \
	"[channel whatsapp]\n" \
	"token_file = /etc/shopdesk/wa.token\n" \
	"queue = manager\n" \
	"phone_number_id = 106540352242922\n" \
	"domain = wa.customers.test\n" \
	"webhook_listen = 127.0.0.1:8444\n" \
	"app_secret_file = /etc/shopdesk/wa.secret\n" \
	"verify_token_file = /etc/shopdesk/wa.verify\n"

static void assert_line(const char *text, const char *line)
{
	char *with_nl = g_strconcat("\n", line, "\n", NULL);
	char *text_nl = g_strconcat("\n", text, NULL);

	if (strstr(text_nl, with_nl) == NULL)
		g_error("line \"%s\" not in:\n%s", line, text);
	g_free(text_nl);
	g_free(with_nl);
}

/* shopdeskctl config -d: every key's default, those without one as set;
   written as a file, it loads back as the same configuration. */
static void test_print_defaults(void)
{
	struct config *config = load_ok(CHANGED), *again;
	char *defaults = print(config, CONFIG_PRINT_DEFAULTS), *all;

	/* a default that names another key takes that key's default */
	assert_line(defaults, "default_language = en");
	assert_line(defaults, "thread_window = 7d");
	assert_line(defaults, "sendmail_timeout = 1m");
	assert_line(defaults, "agents =");
	assert_line(defaults, "address = sales@shop.test;orders@shop.test");
	assert_line(defaults, "name = sales");
	assert_line(defaults, "sla_next_reply = 4h");
	assert_line(defaults, "autoack = true");
	assert_line(defaults, "language = en");
	assert_line(defaults, "mailbox = manager@shop.test");
	assert_line(defaults, "domain = whatsapp.shop.test");
	assert_line(defaults, "api_url = https://graph.facebook.com/v19.0");
	assert_line(defaults, "queue = manager");
	assert_line(defaults, "webhook_listen =");
	assert_line(defaults, "app_secret_file =");
	g_assert_null(strstr(defaults, "= ru\n"));
	g_assert_null(strstr(defaults, "Sales desk"));

	again = load_ok(defaults);
	all = print(again, CONFIG_PRINT_ALL);
	g_assert_cmpstr(all, ==, defaults);
	g_free(all);
	all = print(again, CONFIG_PRINT_DEFAULTS);
	g_assert_cmpstr(all, ==, defaults);
	g_free(all);
	config_free(&again);
	g_free(defaults);
	config_free(&config);
}

/* shopdeskctl config -n on a file that sets two keys besides the
   required ones prints exactly those; a key set to its default, however
   written, is not printed. */
static void test_print_changed_two(void)
{
	struct config *config = load_ok(
		"[shopdesk]\n"
		"domain = shop.test\n"
		"thread_window = 2h\n"
		"outbox_lifetime = 120h\n"
		"milter_socket_mode = 660\n"
		"[queue sales]\n"
		"address = sales@shop.test\n"
		"autoack = false\n"
		"name = sales\n"
		"language = en\n");
	char *changed = print(config, CONFIG_PRINT_CHANGED);

	g_assert_cmpstr(changed, ==,
			"[shopdesk]\n"
			"domain = shop.test\n"
			"thread_window = 2h\n"
			"\n"
			"[queue sales]\n"
			"address = sales@shop.test\n"
			"autoack = false\n");
	g_free(changed);
	config_free(&config);
}

/* What -n prints loads back as the configuration it came from, and a
   default that names another key follows that key's effective value. */
static void test_print_changed_round_trip(void)
{
	struct config *config = load_ok(CHANGED), *again;
	char *changed = print(config, CONFIG_PRINT_CHANGED);
	char *all = print(config, CONFIG_PRINT_ALL), *all_again;

	assert_line(changed, "default_language = ru");
	assert_line(changed, "sendmail_timeout = 2m");
	assert_line(changed, "language = lt");
	assert_line(changed, "mailbox =");
	/* sla_next_reply follows sla_first_reply */
	assert_line(changed, "sla_first_reply = 2h");
	g_assert_null(strstr(changed, "sla_next_reply"));
	/* sales' language is ru, its default with default_language = ru */
	g_assert_null(strstr(changed, "\nlanguage = ru\n"));
	g_assert_null(strstr(changed, "api_url"));
	again = load_ok(changed);
	all_again = print(again, CONFIG_PRINT_ALL);
	g_assert_cmpstr(all_again, ==, all);
	g_free(all_again);
	g_free(all);
	g_free(changed);
	config_free(&again);
	config_free(&config);
}

int main(int argc, char *argv[])
{
	GError *error = NULL;
	int ret;

	g_test_init(&argc, &argv, NULL);
	tmp_dir = g_dir_make_tmp("test-config-keys-XXXXXX", &error);
	g_assert_no_error(error);
	g_test_add_func("/config-keys/every-key-read", test_every_key_read);
	g_test_add_func("/config-keys/no-key-outside", test_no_key_outside);
	g_test_add_func("/config-keys/defaults-are-the-parsers",
			test_defaults_are_the_parsers);
	g_test_add_func("/config-keys/print-defaults", test_print_defaults);
	g_test_add_func("/config-keys/print-changed-two",
			test_print_changed_two);
	g_test_add_func("/config-keys/print-changed-round-trip",
			test_print_changed_round_trip);
	ret = g_test_run();
	g_rmdir(tmp_dir);
	g_free(tmp_dir);
	return ret;
}
