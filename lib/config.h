#ifndef SHOPDESK_CONFIG_H
#define SHOPDESK_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

#define CONFIG_DEFAULT_PATH "/etc/shopdesk/shopdesk.conf"
/* The Dovecot plugin's default shopdesk_keywords, too */
#define CONFIG_DEFAULT_KEYWORDS \
	"new=new open=open pending=pending resolved=resolved closed=closed"

/* What the milter does with a message when shopdesk itself fails
   (store error, out of memory for a bound, bug caught at runtime). */
enum config_on_error {
	CONFIG_ON_ERROR_ACCEPT,		/* deliver unchanged, log why */
	CONFIG_ON_ERROR_TEMPFAIL,	/* 4xx: the client or queue retries */
};

/* [queue NAME]: one branded mailbox and the addresses that lead to it. */
struct config_queue {
	char *name;		/* NAME from the group header */
	char *address;		/* sales@shop.test, as written: the first of
				   addresses, the one shopdesk answers from */
	char **addresses;	/* every address of the queue, as written,
				   NULL-terminated; aliases follow address */
	char *local_part;	/* of address: "sales", lowercased */
	char *domain;		/* of address: "shop.test", lowercased */
	char *display_name;	/* "name" key; defaults to NAME */
	char *timezone;		/* IANA name, default "UTC" */
	char *hours;		/* default "mon-fri 09:00-18:00" */
	char *holidays;		/* dates "2026-12-25;..." or an .ics path */
	char *sla_first_reply;	/* default "4h" */
	char *sla_next_reply;	/* when a customer writes again after an
				   answer; default sla_first_reply */
	char *sla_warn;		/* sla.h; default "80%" */
	char *followup_after;	/* business time resolved before "was it
				   solved?", or "off"; default "1d" */
	char *autoclose_after;	/* business time resolved before closed,
				   as sla_first_reply counts it, or "off";
				   default "3d" */
	char *escalate_to;	/* may be NULL */
	char **report_to;	/* who gets the queue's report by mail,
				   NULL-terminated, empty for nobody */
	char *report_every;	/* "off", "daily HH:MM" or "weekly DAY
				   HH:MM" in the queue's zone (checked by
				   report_every_parse()) */
	bool autoack;		/* default true */
	char *language;		/* default: [shopdesk] default_language */
	char *mailbox;		/* Dovecot user of the queue mailbox, default
				   the address; "": keywords not kept */
};

/* A queue's report_every */
struct report_every {
	enum {
		REPORT_EVERY_OFF,
		REPORT_EVERY_DAY,
		REPORT_EVERY_WEEK,
	} kind;
	GDateWeekday weekday;	/* REPORT_EVERY_WEEK's */
	unsigned int minute;	/* of the day, in the queue's zone */
};

/* Reads "off", "daily HH:MM" or "weekly DAY HH:MM" (DAY mon to sun).
   Returns 0, or -1 with *error_r (g_free it). */
int report_every_parse(const char *text, struct report_every *every_r,
		       char **error_r);

/* [channel NAME], NAME one of telegram, whatsapp, viber. */
struct config_channel {
	char *name;
	char *api_url;		/* default: the provider's real base URL */
	char *token_file;
	char *domain;		/* address domain of its customers */
	char *queue;		/* name of a [queue] group */
	size_t attachment_max;	/* bytes of attachments per reply sent to
				   the messenger, default 20M */
	int64_t poll_timeout;	/* long polling's wait, default 25s */
	char *webhook_listen;	/* "127.0.0.1:8443": receive by webhook
				   there instead of polling; "" for none */
	char *webhook_secret_file;	/* the secret token, required with
					   webhook_listen */
	/* whatsapp only (NULL elsewhere): */
	char *phone_number_id;	/* the business number's Graph API id */
	char *app_secret_file;	/* signs webhook posts; required with
				   webhook_listen */
	char *verify_token_file;	/* answers the webhook's GET
					   verification; required with
					   webhook_listen */
	char *template_name;	/* "template": sent when the 24-hour window
				   is closed; "" for none */
	char *template_language;	/* its language code, default en_US */
};

struct config {
	gatomicrefcount refs;	/* config_ref(), config_free() */
	char *path;

	/* [shopdesk] */
	char *domain;
	char *state_dir;	/* default /var/lib/shopdesk */
	char *spool_dir;	/* default /var/spool/shopdesk */
	char *milter_socket;	/* default unix:/run/shopdesk/milter.sock */
	unsigned int milter_socket_mode;	/* of a unix socket, default
						   0660 */
	char *milter_socket_group;	/* its group; "" (the default): the
					   primary group of user */
	char *user;		/* a daemon started as root becomes it,
				   default "shopdesk"; "root" stays root */
	char *control_socket;	/* default /run/shopdesk/control.sock */
	char *templates_dir;	/* default $(datadir)/shopdesk/templates */
	char *sendmail;		/* default "/usr/sbin/sendmail -i"; the
				   bridge adds -f SENDER -- RECIPIENTS */
	char *ticket_tag;	/* default "Ticket" */
	bool subject_tag;	/* default true */
	char **agents;		/* NULL-terminated, lowercased; may be empty */
	char **trusted_networks;	/* NULL-terminated; may be empty */
	char *default_language;	/* default "en" */
	char *recipient_delimiter;	/* default "+" */
	enum config_on_error on_error;	/* default accept */
	int64_t thread_window;	/* seconds; rule 4 window, default 7d */

	/* Acknowledgements (intake.h): per sender and per ticket. */
	unsigned int ack_burst;		/* default 3 */
	int64_t ack_burst_period;	/* default 1h */
	unsigned int ack_daily_max;	/* default 10 */
	int64_t ack_reopen_period;	/* default 1d */

	/* The bridge's outbox: a failed item is retried after its age,
	   within [outbox_retry_min, outbox_retry_max] (as Postfix's queue
	   manager backs off), and given up past outbox_lifetime. */
	int64_t outbox_retry_min;	/* default 30s */
	int64_t outbox_retry_max;	/* default 1h */
	int64_t outbox_lifetime;	/* default 5d */
	int64_t sendmail_timeout;	/* default 60s */

	/* The queue mailboxes' keywords show each ticket's status: the
	   milter sets them through Dovecot's doveadm server, on this unix
	   socket ("" turns that off). */
	char *doveadm_socket;	/* default "/run/dovecot/shopdesk-doveadm" */
	int64_t doveadm_timeout;	/* default 60s */
	char *keywords;		/* "KEYWORD=STATUS ...", as written */
	char **keyword_names;	/* every mapped keyword, NULL-terminated */
	int *keyword_status;	/* the enum ticket_status of each */
	char *status_keyword[5];	/* by enum ticket_status: the keyword
					   shown, NULL when none maps */

	/* Bounds: every input the milter reads has one. */
	size_t header_max;	/* bytes of headers kept, default 1M */
	size_t body_memory_max;	/* body bytes held in memory, default 256k;
				   the rest goes to a temporary file */
	size_t parse_max;	/* larger messages are not MIME-parsed,
				   default 64M */
	unsigned int mime_depth_max;	/* default 32 */
	unsigned int mime_parts_max;	/* default 256 */
	unsigned int strip_max;		/* forged X-Shopdesk-* headers
					   removed; more refuse the mail,
					   default 100 */
	unsigned int participants_max;	/* addresses a ticket keeps as
					   participants, default 20 */
	char **trusted_authserv_ids;	/* Authentication-Results from these
					   vouch for From:, lowercased,
					   NULL-terminated; may be empty */

	GPtrArray *queues;	/* struct config_queue * */
	GPtrArray *channels;	/* struct config_channel * */
	GPtrArray *queue_addresses;	/* every queue's addresses, borrowed
					   from the queues, NULL-terminated */
};

/* The groups of the file, and the kinds of value a key holds. */
enum config_group {
	CONFIG_GROUP_SHOPDESK,	/* [shopdesk]: struct config */
	CONFIG_GROUP_QUEUE,	/* [queue NAME]: struct config_queue */
	CONFIG_GROUP_CHANNEL,	/* [channel NAME]: struct config_channel */
};

enum config_kind {
	CONFIG_KIND_TEXT,	/* char * */
	CONFIG_KIND_LIST,	/* char **, NULL-terminated; ';' between */
	CONFIG_KIND_BOOL,	/* bool */
	CONFIG_KIND_DURATION,	/* int64_t seconds: 30s, 90m, 2h, 7d */
	CONFIG_KIND_SIZE,	/* size_t bytes: 512, 256k, 64M, 1G */
	CONFIG_KIND_NUMBER,	/* unsigned int */
	CONFIG_KIND_MODE,	/* unsigned int, written in octal */
	CONFIG_KIND_CHOICE,	/* an enum: the index of the word in
				   choices */
};

/* One key of shopdesk.conf (config-keys.c holds them all, in the order
   they are printed and documented).  The parser knows no other key, and
   takes each key's default from here; config_print() and the reference
   (doc/config.md, shopdesk.conf(5)) come from the same entries. */
struct config_key {
	enum config_group group;
	const char *name;
	enum config_kind kind;
	/* As the file would say it; NULL: required, there is none.  "$NAME"
	   stands for the group's name, "$address" for the queue's first
	   address, "$provider_api" for the channel's provider's API
	   (config_channel_kinds), "$KEY" for the value of the key KEY:
	   one above this one in the same group (read before it), else that
	   of [shopdesk]; KEY's default when defaults are printed. */
	const char *def;
	const char *only;	/* the one [channel NAME] that has it, or
				   NULL */
	const char *const *choices;	/* CONFIG_KIND_CHOICE's words,
					   NULL-terminated */
	size_t offset;		/* of its field in the group's struct */
	const char *doc;	/* what it means: Markdown's `code` and
				   *emphasis*, nothing else */
};

/* The channels there are, and their providers' APIs; the last has a
   NULL name. */
struct config_channel_kind {
	const char *name;
	const char *api_url;
};

extern const struct config_channel_kind config_channel_kinds[];
extern const struct config_key config_keys[];
extern const unsigned int config_keys_count;

/* The key called name in group, or NULL. */
const struct config_key *
config_key_lookup(enum config_group group, const char *name);

/* The base URL of the API of the channel called name, or NULL when there
   is no such channel. */
const char *config_provider_api(const char *channel);

/* Reads and checks the file at path.  Returns 0 and a new config, or -1
   with *error_r set to "FILE:LINE: [group] key: reason" (the caller
   g_free()s it).  Unknown groups or keys, bad values, a queue without
   address and an address listed twice (in one queue or two) are
   errors. */
int config_load(const char *path, struct config **config_r, char **error_r);

/* A daemon reloading its configuration (SIGHUP) shares it by
   reference: what started with the old one finishes with it.
   config_ref() adds a reference and returns config; config_free()
   drops the caller's and sets *_config to NULL, freeing the config with
   the last one.  Any thread. */
struct config *config_ref(struct config *config);
void config_free(struct config **_config);

/* Settings a running daemon cannot take without a restart (the sockets
   it listens on, its user, the folders it holds open), for reloading:
   each of keys ("spool_dir", ...: state_dir, spool_dir, milter_socket,
   milter_socket_mode, milter_socket_group, user, control_socket) that
   differs in next takes running's value again.  Returns the keys that
   differed, ", "-separated (g_free it), or NULL when none did. */
char *config_keep_running(struct config *next, const struct config *running,
			  const char *const *keys);

/* What config_print() writes of each key, for each group of the file:
   its effective value; its default (shopdeskctl config -d, like
   postconf -d); or its effective value only when that differs from the
   default (-n).  A key without a default (domain, address, ...) always
   shows its effective value.  Each output loads back as a
   configuration: that of ALL and CHANGED means the same as config. */
enum config_print_what {
	CONFIG_PRINT_ALL,
	CONFIG_PRINT_DEFAULTS,
	CONFIG_PRINT_CHANGED,
};

/* Appends the configuration, in the file's own syntax: [shopdesk], then
   the queues and the channels in the file's order. */
void config_print(const struct config *config, enum config_print_what what,
		  GString *out);

/* Appends one group of it with every effective value (as
   CONFIG_PRINT_ALL): [shopdesk], a queue, a channel. */
void config_print_shopdesk(const struct config *config, GString *out);
void config_print_queue(const struct config_queue *queue, GString *out);
void config_print_channel(const struct config_channel *ch, GString *out);

/* Returns the queue one of whose addresses the recipient address names,
   directly or with an extension ("sales+EXT@domain"), or NULL.
   Comparison is case-insensitive.  *extension_r (if not NULL) gets a
   pointer into address at the extension, or NULL; it is not
   NUL-terminated at the '@': use *extension_len_r. */
const struct config_queue *
config_find_queue(const struct config *config, const char *address,
		  const char **extension_r, size_t *extension_len_r);

/* Whether address is the shop's own: in its domain, or one of a
   queue's addresses (with or without an extension).  Case-insensitive;
   false for a string without '@'. */
bool config_shop_address(const struct config *config, const char *address);

/* Returns every address of every queue (aliases included), in file
   order, NULL-terminated: the shop's own addresses, for telling its own
   mail from a customer's.  The array and its strings belong to config. */
const char *const *config_queue_addresses(const struct config *config);

/* Returns the queue named name, or NULL. */
const struct config_queue *
config_queue_by_name(const struct config *config, const char *name);

/* Returns the channel whose customer domain is domain, or NULL. */
const struct config_channel *
config_channel_by_domain(const struct config *config, const char *domain);

/* Parses "90s", "90m", "2h", "7d" (a bare number is seconds) into
   seconds.  Returns 0 or -1 on a malformed value. */
int config_parse_duration(const char *value, int64_t *seconds_r);

/* Parses "512", "256k", "64M", "1G" into bytes.  Returns 0 or -1. */
int config_parse_size(const char *value, size_t *bytes_r);

#endif
