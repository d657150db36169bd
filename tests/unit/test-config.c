/* Tests of config.c: a table of configuration files, each with the
   error it must give (the line number included) or none; the defaults
   config_print shows; print-then-load giving the same configuration;
   config_find_queue on addresses and aliases with and without
   extensions; and the duration and size parsers. */

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

static char *tmp_dir;

struct load_case {
	const char *name;
	const char *text;
	const char *error;	/* substring of the error, NULL: loads */
};

#define BASE \
	"[shopdesk]\n"			/* 1 */ \
	"domain = shop.test\n"		/* 2 */ \
	"\n"				/* 3 */ \
	"[queue sales]\n"		/* 4 */ \
	"address = sales@shop.test\n"	/* 5 */

#define EVERYTHING \
	"# shopdesk\n" \
	"[shopdesk]\n" \
	"domain = Shop.Test\n" \
	"state_dir = /srv/shopdesk\n" \
	"spool_dir = /srv/shopdesk/spool\n" \
	"milter_socket = inet6:8891@::1\n" \
	"milter_socket_mode = 640\n" \
	"milter_socket_group = postfix\n" \
	"user = sd-milter\n" \
	"control_socket = /srv/shopdesk/control.sock\n" \
	"templates_dir = /srv/shopdesk/templates\n" \
	"sendmail = /usr/sbin/sendmail -C '/etc/postfix two' -i\n" \
	"ticket_tag = Заявка\n" \
	"subject_tag = false\n" \
	"agents = Ann@Shop.Test; bob@shop.test;\n" \
	"trusted_networks = 127.0.0.1;192.0.2.0/24;2001:db8::/32\n" \
	"default_language = lt\n" \
	"recipient_delimiter = +-\n" \
	"on_error = tempfail\n" \
	"thread_window = 36h\n" \
	"header_max = 512k\n" \
	"body_memory_max = 100000\n" \
	"parse_max = 1G\n" \
	"mime_depth_max = 10\n" \
	"mime_parts_max = 1000\n" \
	"\n" \
	"[queue sales]\n" \
	"  address = Sales@Shop.Test, orders@shop.test;help@shop.test,  \n" \
	"name = Sales desk\n" \
	"timezone = Europe/Vilnius\n" \
	"hours = mon-fri 09:00-13:00,14:00-19:00; sat 10:00-14:00\n" \
	"holidays = 2026-12-24;2026-12-25\n" \
	"sla_first_reply = 1d\n" \
	"escalate_to = boss@shop.test\n" \
	"autoack = false\n" \
	"language = ru\n" \
	"[queue manager]\n" \
	"address = manager@shop.test\n" \
	"[channel telegram]\n" \
	"token_file = /etc/shopdesk/telegram.token\n" \
	"queue = sales\n" \
	"[channel viber]\n" \
	"api_url = http://127.0.0.1:8080/pa\n" \
	"token_file = /etc/shopdesk/viber.token\n" \
	"domain = viber.customers.test\n" \
	"queue = manager\n" \
	"webhook_listen = [::1]:8444\n" \
	"[channel whatsapp]\n" \
	"token_file = /etc/shopdesk/whatsapp.token\n" \
	"queue = sales\n" \
	"phone_number_id = 106540352242922\n" \
	"webhook_listen = 127.0.0.1:8445\n" \
	"app_secret_file = /etc/shopdesk/whatsapp.secret\n" \
	"verify_token_file = /etc/shopdesk/whatsapp.verify\n" \
	"template = order_reply\n" \
	"template_language = lt\n"

static const struct load_case load_cases[] = {
	{ "minimal", BASE, NULL },
	{ "everything", EVERYTHING, NULL },
	{ "crlf", "[shopdesk]\r\ndomain = shop.test\r\n\r\n"
	  "[queue sales]\r\naddress = sales@shop.test\r\n"
	  "autoack = maybe\r\n", ":6: [queue sales] autoack: not a boolean" },

	/* structure */
	{ "unknown-key", BASE
	  "timezone = UTC\n"				/* 6 */
	  "hour = mon-fri 09:00-18:00\n",		/* 7 */
	  ":7: [queue sales] hour: unknown key" },
	{ "unknown-key-shopdesk",
	  "# comment\n\n[shopdesk]\n  # another\ndomain = shop.test\n"
	  "milter = unix:/x\n[queue sales]\naddress = sales@shop.test\n",
	  ":6: [shopdesk] milter: unknown key" },
	{ "locale-key", BASE "name[ru] = Продажи\n",
	  ":6: [queue sales] name[ru]: unknown key" },
	{ "unknown-group", BASE "\n[queues manager]\naddress = m@shop.test\n",
	  ":7: [queues manager]: unknown group" },
	{ "unnamed-queue", BASE "[queue]\n",
	  ":6: [queue]: unknown group" },
	{ "bad-queue-name", BASE "[queue Big Sales]\n",
	  ":6: [queue Big Sales]: a queue name is" },
	{ "unknown-channel", BASE "[channel icq]\nqueue = sales\n",
	  ":6: [channel icq]: unknown channel" },
	{ "duplicate-group", BASE "[queue manager]\naddress = m@shop.test\n"
	  "[queue sales]\nname = x\n",
	  ":8: [queue sales]: group given twice (first at line 4)" },
	{ "duplicate-key", BASE "timezone = UTC\nname = A\n"
	  "timezone = Europe/Riga\n",
	  ":8: [queue sales] timezone: key given twice (first at line 6)" },
	{ "syntax-error", BASE "name Sales\n",
	  ":6: Key file contains line" },
	{ "key-before-group", "domain = shop.test\n" BASE,
	  ".conf:1: Key file does not start with a group" },
	{ "no-queue", "[shopdesk]\ndomain = shop.test\n",
	  ".conf: no [queue NAME] group" },

	/* [shopdesk] values */
	{ "missing-domain", "[shopdesk]\nstate_dir = /x\n\n"
	  "[queue sales]\naddress = sales@shop.test\n",
	  ":1: [shopdesk] domain: missing" },
	{ "no-shopdesk-group", "[queue sales]\naddress = sales@shop.test\n",
	  ".conf: [shopdesk] domain: missing" },
	{ "bad-domain", "[shopdesk]\ndomain = shop_test\n"
	  "[queue sales]\naddress = sales@shop.test\n",
	  ":2: [shopdesk] domain: not a domain name" },
	{ "duplicate-shopdesk", BASE "[shopdesk]\n",
	  ":6: [shopdesk]: group given twice (first at line 1)" },
	{ "bad-bool-value", "[shopdesk]\ndomain = shop.test\n"
	  "subject_tag = yes\n[queue sales]\naddress = sales@shop.test\n",
	  ":3: [shopdesk] subject_tag: not a boolean (true or false): yes" },
	{ "socket-mode-not-octal", "[shopdesk]\ndomain = shop.test\n"
	  "milter_socket_mode = 0680\n"
	  "[queue sales]\naddress = sales@shop.test\n",
	  ":3: [shopdesk] milter_socket_mode: not an octal mode from 0000 "
	  "to 0777: 0680" },
	{ "socket-mode-setgid", "[shopdesk]\ndomain = shop.test\n"
	  "milter_socket_mode = 2770\n"
	  "[queue sales]\naddress = sales@shop.test\n",
	  ":3: [shopdesk] milter_socket_mode: not an octal mode" },
	{ "socket-mode-sign", "[shopdesk]\ndomain = shop.test\n"
	  "milter_socket_mode = +660\n"
	  "[queue sales]\naddress = sales@shop.test\n",
	  ":3: [shopdesk] milter_socket_mode: not an octal mode" },
	{ "socket-mode-empty", "[shopdesk]\ndomain = shop.test\n"
	  "milter_socket_mode =\n"
	  "[queue sales]\naddress = sales@shop.test\n",
	  ":3: [shopdesk] milter_socket_mode: empty value" },
	{ "socket-group-bad", "[shopdesk]\ndomain = shop.test\n"
	  "milter_socket_group = post fix\n"
	  "[queue sales]\naddress = sales@shop.test\n",
	  ":3: [shopdesk] milter_socket_group: not a group name: post fix" },
	{ "user-empty", "[shopdesk]\ndomain = shop.test\nuser =\n"
	  "[queue sales]\naddress = sales@shop.test\n",
	  ":3: [shopdesk] user: empty value" },
	{ "user-bad", "[shopdesk]\ndomain = shop.test\nuser = -shopdesk\n"
	  "[queue sales]\naddress = sales@shop.test\n",
	  ":3: [shopdesk] user: not a user name: -shopdesk" },
	{ "user-slash", "[shopdesk]\ndomain = shop.test\nuser = ../root\n"
	  "[queue sales]\naddress = sales@shop.test\n",
	  ":3: [shopdesk] user: not a user name" },
	{ "bad-duration", "[shopdesk]\ndomain = shop.test\n"
	  "thread_window = 7 days\n"
	  "[queue sales]\naddress = sales@shop.test\n",
	  ":3: [shopdesk] thread_window: not a duration" },
	{ "keywords", "[shopdesk]\ndomain = shop.test\n"
	  "keywords = $label1=resolved  done=resolved open=open\n"
	  "[queue sales]\naddress = sales@shop.test\nmailbox =\n", NULL },
	{ "keyword-not-pair", "[shopdesk]\ndomain = shop.test\n"
	  "keywords = new=new resolved\n"
	  "[queue sales]\naddress = sales@shop.test\n",
	  ":3: [shopdesk] keywords: 'resolved' is not KEYWORD=STATUS" },
	{ "keyword-bad-status", "[shopdesk]\ndomain = shop.test\n"
	  "keywords = done=finished\n"
	  "[queue sales]\naddress = sales@shop.test\n",
	  ":3: [shopdesk] keywords: 'finished' is not a status" },
	{ "keyword-system-flag", "[shopdesk]\ndomain = shop.test\n"
	  "keywords = \\\\Seen=open\n"
	  "[queue sales]\naddress = sales@shop.test\n",
	  ":3: [shopdesk] keywords: '\\Seen' is not an IMAP keyword" },
	{ "keyword-bad-atom", "[shopdesk]\ndomain = shop.test\n"
	  "keywords = (x)=open\n"
	  "[queue sales]\naddress = sales@shop.test\n",
	  ":3: [shopdesk] keywords: '(x)' is not an IMAP keyword" },
	{ "relative-doveadm-socket", "[shopdesk]\ndomain = shop.test\n"
	  "doveadm_socket = run/shopdesk-doveadm\n"
	  "[queue sales]\naddress = sales@shop.test\n",
	  ":3: [shopdesk] doveadm_socket: not an absolute path" },
	{ "bad-size", "[shopdesk]\ndomain = shop.test\n\n\n"
	  "header_max = 1T\n[queue sales]\naddress = sales@shop.test\n",
	  ":5: [shopdesk] header_max: not a size" },
	{ "zero-size", "[shopdesk]\ndomain = shop.test\nparse_max = 0\n"
	  "[queue sales]\naddress = sales@shop.test\n",
	  ":3: [shopdesk] parse_max: not a size" },
	{ "bad-count", "[shopdesk]\ndomain = shop.test\nmime_depth_max = 0\n"
	  "[queue sales]\naddress = sales@shop.test\n",
	  ":3: [shopdesk] mime_depth_max: not a number from 1 to" },
	{ "bad-milter-socket", "[shopdesk]\ndomain = shop.test\n"
	  "milter_socket = tcp:8891@localhost\n"
	  "[queue sales]\naddress = sales@shop.test\n",
	  ":3: [shopdesk] milter_socket: not unix:/PATH" },
	{ "relative-milter-socket", "[shopdesk]\ndomain = shop.test\n"
	  "milter_socket = unix:shopdesk/milter.sock\n"
	  "[queue sales]\naddress = sales@shop.test\n",
	  ":3: [shopdesk] milter_socket:" },
	{ "milter-port-range", "[shopdesk]\ndomain = shop.test\n"
	  "milter_socket = inet:65536@127.0.0.1\n"
	  "[queue sales]\naddress = sales@shop.test\n",
	  ":3: [shopdesk] milter_socket:" },
	{ "milter-no-host", "[shopdesk]\ndomain = shop.test\n"
	  "milter_socket = inet:8891\n"
	  "[queue sales]\naddress = sales@shop.test\n",
	  ":3: [shopdesk] milter_socket:" },
	{ "relative-control-socket", "[shopdesk]\ndomain = shop.test\n"
	  "control_socket = control.sock\n"
	  "[queue sales]\naddress = sales@shop.test\n",
	  ":3: [shopdesk] control_socket: not an absolute path" },
	{ "bad-sendmail", "[shopdesk]\ndomain = shop.test\n"
	  "sendmail = /usr/sbin/sendmail -f 'x\n"
	  "[queue sales]\naddress = sales@shop.test\n",
	  ":3: [shopdesk] sendmail: " },
	{ "empty-sendmail", "[shopdesk]\ndomain = shop.test\nsendmail =\n"
	  "[queue sales]\naddress = sales@shop.test\n",
	  ":3: [shopdesk] sendmail: empty value" },
	{ "bad-ticket-tag", "[shopdesk]\ndomain = shop.test\n"
	  "ticket_tag = [T]\n[queue sales]\naddress = sales@shop.test\n",
	  ":3: [shopdesk] ticket_tag:" },
	{ "bad-agent", "[shopdesk]\ndomain = shop.test\n"
	  "agents = ann@shop.test;bob\n"
	  "[queue sales]\naddress = sales@shop.test\n",
	  ":3: [shopdesk] agents: not an address: bob" },
	{ "bad-network", "[shopdesk]\ndomain = shop.test\n"
	  "trusted_networks = 10.0.0.0/8;10.1.2.3/33\n"
	  "[queue sales]\naddress = sales@shop.test\n",
	  ":3: [shopdesk] trusted_networks: not a network" },
	{ "bad-language", "[shopdesk]\ndomain = shop.test\n"
	  "default_language = EN\n[queue sales]\naddress = sales@shop.test\n",
	  ":3: [shopdesk] default_language: not a language code" },
	{ "bad-delimiter", "[shopdesk]\ndomain = shop.test\n"
	  "recipient_delimiter = +@\n"
	  "[queue sales]\naddress = sales@shop.test\n",
	  ":3: [shopdesk] recipient_delimiter:" },
	{ "bad-on-error", "[shopdesk]\ndomain = shop.test\n"
	  "on_error = reject\n[queue sales]\naddress = sales@shop.test\n",
	  ":3: [shopdesk] on_error: accept or tempfail expected: reject" },
	{ "control-chars", "[shopdesk]\ndomain = shop.test\n"
	  "[queue sales]\naddress = sales@shop.test\n"
	  "name = Sales\\nBcc: all@example.com\n",
	  ":5: [queue sales] name: control characters are not allowed" },

	/* [queue] values */
	{ "report-every-hour", "[shopdesk]\ndomain = shop.test\n"
	  "[queue sales]\naddress = sales@shop.test\n"
	  "report_every = daily 24:00\n",
	  ":5: [queue sales] report_every: not off, daily HH:MM or weekly "
	  "DAY HH:MM (DAY mon to sun): daily 24:00" },
	{ "report-every-day", "[shopdesk]\ndomain = shop.test\n"
	  "[queue sales]\naddress = sales@shop.test\n"
	  "report_every = weekly monday 08:00\n",
	  ":5: [queue sales] report_every: not off, daily HH:MM or weekly "
	  "DAY HH:MM (DAY mon to sun): weekly monday 08:00" },
	{ "report-to-address", "[shopdesk]\ndomain = shop.test\n"
	  "[queue sales]\naddress = sales@shop.test\n"
	  "report_to = boss@shop.test; nobody\n",
	  ":5: [queue sales] report_to: not an address: nobody" },
	{ "queue-without-address", "[shopdesk]\ndomain = shop.test\n"
	  "[queue sales]\nname = Sales\n",
	  ":3: [queue sales] address: missing" },
	{ "address-two-at", "[shopdesk]\ndomain = shop.test\n"
	  "[queue sales]\naddress = sales@x@shop.test\n",
	  ":4: [queue sales] address: not an address" },
	{ "address-empty-local", "[shopdesk]\ndomain = shop.test\n"
	  "[queue sales]\naddress = @shop.test\n",
	  ":4: [queue sales] address: not an address" },
	{ "address-empty-domain", "[shopdesk]\ndomain = shop.test\n"
	  "[queue sales]\naddress = sales@\n",
	  ":4: [queue sales] address: not an address" },
	{ "duplicate-address", BASE "name = Sales\n\n"	/* 6, 7 */
	  "[queue manager]\n"				/* 8 */
	  "name = Manager\n"				/* 9 */
	  "address = SALES@shop.test\n",		/* 10 */
	  ":10: [queue manager] address: SALES@shop.test is already the "
	  "address of [queue sales]" },
	{ "address-empty", "[shopdesk]\ndomain = shop.test\n"
	  "[queue sales]\naddress =\n",
	  ":4: [queue sales] address: empty value" },
	{ "address-only-separators", "[shopdesk]\ndomain = shop.test\n"
	  "[queue sales]\naddress = , ;\n",
	  ":4: [queue sales] address: empty value" },
	{ "alias-not-address", "[shopdesk]\ndomain = shop.test\n"
	  "[queue sales]\naddress = sales@shop.test, orders\n",
	  ":4: [queue sales] address: not an address (local@domain): orders" },
	{ "alias-listed-twice", "[shopdesk]\ndomain = shop.test\n"
	  "[queue sales]\n"
	  "address = sales@shop.test, orders@shop.test; Sales@Shop.Test\n",
	  ":4: [queue sales] address: Sales@Shop.Test is listed twice" },
	{ "alias-of-other-queue", BASE "\n"		/* 6 */
	  "[queue manager]\n"				/* 7 */
	  "address = manager@shop.test,sales@SHOP.test\n",	/* 8 */
	  ":8: [queue manager] address: sales@SHOP.test is already the "
	  "address of [queue sales]" },
	{ "address-is-other-alias", "[shopdesk]\ndomain = shop.test\n"
	  "[queue sales]\naddress = sales@shop.test, orders@shop.test\n"
	  "[queue manager]\naddress = Orders@shop.test\n",
	  ":6: [queue manager] address: Orders@shop.test is already the "
	  "address of [queue sales]" },
	{ "unknown-timezone", BASE "name = Sales\n"
	  "timezone = Mars/Olympus_Mons\n",
	  ":7: [queue sales] timezone: unknown time zone: Mars/Olympus_Mons" },
	{ "timezone-path", BASE "timezone = /etc/localtime\n",
	  ":6: [queue sales] timezone: unknown time zone" },
	{ "timezone-offset", BASE "timezone = +03:00\n",
	  ":6: [queue sales] timezone: unknown time zone" },
	{ "bad-queue-language", BASE "language = russian\n",
	  ":6: [queue sales] language: not a language code" },
	{ "bad-escalate-to", BASE "escalate_to = boss\n",
	  ":6: [queue sales] escalate_to: not an address" },
	{ "empty-hours", BASE "hours =\n",
	  ":6: [queue sales] hours: empty value" },

	/* [channel] values */
	{ "channel-missing-queue", BASE "\n[channel telegram]\n"
	  "token_file = /etc/shopdesk/tg.token\n"
	  "queue = support\n",
	  ":9: [channel telegram] queue: there is no [queue support]" },
	{ "channel-without-queue", BASE "[channel whatsapp]\n"
	  "token_file = /etc/shopdesk/wa.token\n",
	  ":6: [channel whatsapp] queue: missing" },
	{ "channel-without-token", BASE "[channel viber]\nqueue = sales\n",
	  ":6: [channel viber] token_file: missing" },
	{ "channel-bad-url", BASE "[channel telegram]\n"
	  "api_url = ftp://api.telegram.org\n"
	  "token_file = /etc/shopdesk/tg.token\nqueue = sales\n",
	  ":7: [channel telegram] api_url: not an http(s) URL" },
	{ "channel-queue-domain", BASE "[channel telegram]\n"
	  "token_file = /etc/shopdesk/tg.token\nqueue = sales\n"
	  "domain = shop.test\n",
	  ":9: [channel telegram] domain:" },
	{ "channel-alias-domain", "[shopdesk]\ndomain = shop.test\n"
	  "[queue sales]\naddress = sales@shop.test, sales@brand.test\n"
	  "[channel telegram]\n"
	  "token_file = /etc/shopdesk/tg.token\nqueue = sales\n"
	  "domain = Brand.Test\n",
	  ":8: [channel telegram] domain: brand.test is the domain of "
	  "[queue sales]" },
	{ "channel-same-domain", BASE "[channel telegram]\n"
	  "token_file = /etc/shopdesk/tg.token\nqueue = sales\n"
	  "domain = chat.shop.test\n"
	  "[channel viber]\n"
	  "token_file = /etc/shopdesk/viber.token\nqueue = sales\n"
	  "domain = Chat.Shop.Test\n",
	  ":13: [channel viber] domain: chat.shop.test is already the "
	  "domain of [channel telegram]" },
	{ "channel-attachment-max", BASE "[channel telegram]\n"
	  "token_file = /etc/shopdesk/tg.token\nqueue = sales\n"
	  "attachment_max = 51M\n",
	  ":9: [channel telegram] attachment_max: at most 50M" },
	{ "channel-poll-timeout", BASE "[channel telegram]\n"
	  "token_file = /etc/shopdesk/tg.token\nqueue = sales\n"
	  "poll_timeout = 11m\n",
	  ":9: [channel telegram] poll_timeout: from 1s to 10m" },
	{ "channel-webhook-host", BASE "[channel telegram]\n"
	  "token_file = /etc/shopdesk/tg.token\nqueue = sales\n"
	  "webhook_listen = localhost:8443\n"
	  "webhook_secret_file = /etc/shopdesk/tg.secret\n",
	  ":9: [channel telegram] webhook_listen: not ADDRESS:PORT" },
	{ "channel-webhook-no-port", BASE "[channel telegram]\n"
	  "token_file = /etc/shopdesk/tg.token\nqueue = sales\n"
	  "webhook_listen = 127.0.0.1\n"
	  "webhook_secret_file = /etc/shopdesk/tg.secret\n",
	  ":9: [channel telegram] webhook_listen: not ADDRESS:PORT" },
	{ "channel-webhook-no-secret", BASE "[channel telegram]\n"
	  "token_file = /etc/shopdesk/tg.token\nqueue = sales\n"
	  "webhook_listen = 127.0.0.1:8443\n",
	  ":6: [channel telegram] webhook_secret_file: required with "
	  "webhook_listen" },
	{ "channel-webhook-viber", BASE "[channel viber]\n"
	  "token_file = /etc/shopdesk/vb.token\nqueue = sales\n"
	  "webhook_listen = 127.0.0.1:8443\n", NULL },
	/* [channel whatsapp]'s own keys */
	{ "whatsapp-no-number", BASE "[channel whatsapp]\n"
	  "token_file = /etc/shopdesk/wa.token\nqueue = sales\n",
	  ":6: [channel whatsapp] phone_number_id: missing" },
	{ "whatsapp-bad-number", BASE "[channel whatsapp]\n"
	  "token_file = /etc/shopdesk/wa.token\nqueue = sales\n"
	  "phone_number_id = +37060000000\n",
	  ":9: [channel whatsapp] phone_number_id: not a Graph API id" },
	{ "whatsapp-webhook-no-secret", BASE "[channel whatsapp]\n"
	  "token_file = /etc/shopdesk/wa.token\nqueue = sales\n"
	  "phone_number_id = 106540352242922\n"
	  "webhook_listen = 127.0.0.1:8443\n"
	  "verify_token_file = /etc/shopdesk/wa.verify\n",
	  ":6: [channel whatsapp] app_secret_file: required with "
	  "webhook_listen" },
	{ "whatsapp-webhook-no-verify", BASE "[channel whatsapp]\n"
	  "token_file = /etc/shopdesk/wa.token\nqueue = sales\n"
	  "phone_number_id = 106540352242922\n"
	  "webhook_listen = 127.0.0.1:8443\n"
	  "app_secret_file = /etc/shopdesk/wa.secret\n",
	  ":6: [channel whatsapp] verify_token_file: required with "
	  "webhook_listen" },
	{ "whatsapp-relative-secret", BASE "[channel whatsapp]\n"
	  "token_file = /etc/shopdesk/wa.token\nqueue = sales\n"
	  "phone_number_id = 106540352242922\n"
	  "app_secret_file = wa.secret\n",
	  ":10: [channel whatsapp] app_secret_file: not an absolute path" },
	{ "whatsapp-bad-template", BASE "[channel whatsapp]\n"
	  "token_file = /etc/shopdesk/wa.token\nqueue = sales\n"
	  "phone_number_id = 106540352242922\n"
	  "template = Hello World\n",
	  ":10: [channel whatsapp] template: not a template name" },
	{ "whatsapp-bad-language", BASE "[channel whatsapp]\n"
	  "token_file = /etc/shopdesk/wa.token\nqueue = sales\n"
	  "phone_number_id = 106540352242922\n"
	  "template_language = en-US\n",
	  ":10: [channel whatsapp] template_language: not a language code" },
	{ "whatsapp-key-in-telegram", BASE "[channel telegram]\n"
	  "token_file = /etc/shopdesk/tg.token\nqueue = sales\n"
	  "template = order_update\n",
	  ":9: [channel telegram] template: only [channel whatsapp] has it" },
};

static char *write_file(const char *name, const char *text)
{
	char *file = g_strconcat(name, ".conf", NULL);
	char *path = g_build_filename(tmp_dir, file, NULL);
	GError *error = NULL;

	g_free(file);
	g_file_set_contents(path, text, -1, &error);
	g_assert_no_error(error);
	return path;
}

static void test_load(const void *data)
{
	const struct load_case *c = data;
	char *path = write_file(c->name, c->text);
	struct config *config;
	char *error = NULL;
	int ret;

	ret = config_load(path, &config, &error);
	if (c->error == NULL) {
		g_assert_null(error);
		g_assert_cmpint(ret, ==, 0);
		g_assert_nonnull(config);
		config_free(&config);
		g_assert_null(config);
	} else {
		g_assert_cmpint(ret, ==, -1);
		g_assert_null(config);
		g_assert_nonnull(error);
		if (!g_str_has_prefix(error, path) ||
		    strstr(error, c->error) == NULL)
			g_error("%s: got \"%s\", expected \"%s\"", c->name,
				error, c->error);
		g_free(error);
	}
	g_unlink(path);
	g_free(path);
}

static struct config *load_text(const char *name, const char *text)
{
	char *path = write_file(name, text);
	struct config *config;
	char *error = NULL;

	if (config_load(path, &config, &error) < 0)
		g_error("%s", error);
	g_unlink(path);
	g_free(path);
	return config;
}

static void test_missing_file(void)
{
	char *path = g_build_filename(tmp_dir, "absent.conf", NULL);
	struct config *config;
	char *error;

	g_assert_cmpint(config_load(path, &config, &error), ==, -1);
	g_assert_null(config);
	g_assert_nonnull(strstr(error, path));
	g_free(error);
	g_free(path);
}

static void test_values(void)
{
	struct config *c = load_text("values", EVERYTHING);
	const struct config_queue *q;
	const struct config_channel *ch;

	g_assert_cmpstr(c->domain, ==, "shop.test");
	g_assert_cmpstr(c->milter_socket, ==, "inet6:8891@::1");
	g_assert_cmpuint(c->milter_socket_mode, ==, 0640);
	g_assert_cmpstr(c->milter_socket_group, ==, "postfix");
	g_assert_cmpstr(c->user, ==, "sd-milter");
	g_assert_false(c->subject_tag);
	g_assert_cmpuint(g_strv_length(c->agents), ==, 2);
	g_assert_cmpstr(c->agents[0], ==, "ann@shop.test");
	g_assert_cmpstr(c->agents[1], ==, "bob@shop.test");
	g_assert_cmpuint(g_strv_length(c->trusted_networks), ==, 3);
	g_assert_cmpint(c->on_error, ==, CONFIG_ON_ERROR_TEMPFAIL);
	g_assert_cmpint(c->thread_window, ==, 36 * 3600);
	g_assert_cmpuint(c->header_max, ==, 512 * 1024);
	g_assert_cmpuint(c->body_memory_max, ==, 100000);
	g_assert_cmpuint(c->parse_max, ==, 1024 * 1024 * 1024);
	g_assert_cmpuint(c->mime_depth_max, ==, 10);
	g_assert_cmpuint(c->mime_parts_max, ==, 1000);
	g_assert_cmpuint(c->queues->len, ==, 2);

	q = config_queue_by_name(c, "sales");
	g_assert_nonnull(q);
	g_assert_cmpstr(q->address, ==, "Sales@Shop.Test");
	g_assert_cmpuint(g_strv_length(q->addresses), ==, 3);
	g_assert_cmpstr(q->addresses[0], ==, "Sales@Shop.Test");
	g_assert_cmpstr(q->addresses[1], ==, "orders@shop.test");
	g_assert_cmpstr(q->addresses[2], ==, "help@shop.test");
	g_assert_cmpstr(q->mailbox, ==, "Sales@Shop.Test");
	g_assert_cmpstr(q->local_part, ==, "sales");
	g_assert_cmpstr(q->domain, ==, "shop.test");
	g_assert_cmpstr(q->display_name, ==, "Sales desk");
	g_assert_cmpstr(q->timezone, ==, "Europe/Vilnius");
	g_assert_cmpstr(q->holidays, ==, "2026-12-24;2026-12-25");
	g_assert_cmpstr(q->escalate_to, ==, "boss@shop.test");
	g_assert_false(q->autoack);
	g_assert_cmpstr(q->language, ==, "ru");
	q = config_queue_by_name(c, "manager");
	g_assert_nonnull(q);
	g_assert_cmpuint(g_strv_length(q->addresses), ==, 1);
	g_assert_cmpstr(q->addresses[0], ==, "manager@shop.test");
	g_assert_cmpstr(q->language, ==, "lt");
	g_assert_null(q->escalate_to);
	g_assert_null(config_queue_by_name(c, "Sales"));

	ch = config_channel_by_domain(c, "TELEGRAM.shop.test");
	g_assert_nonnull(ch);
	g_assert_cmpstr(ch->name, ==, "telegram");
	g_assert_cmpstr(ch->api_url, ==, "https://api.telegram.org");
	g_assert_cmpstr(ch->queue, ==, "sales");
	ch = config_channel_by_domain(c, "viber.customers.test");
	g_assert_nonnull(ch);
	g_assert_cmpstr(ch->api_url, ==, "http://127.0.0.1:8080/pa");
	g_assert_cmpstr(ch->webhook_listen, ==, "[::1]:8444");
	g_assert_null(ch->phone_number_id);
	ch = config_channel_by_domain(c, "whatsapp.shop.test");
	g_assert_nonnull(ch);
	g_assert_cmpstr(ch->api_url, ==, "https://graph.facebook.com/v19.0");
	g_assert_cmpstr(ch->phone_number_id, ==, "106540352242922");
	g_assert_cmpstr(ch->app_secret_file, ==,
			"/etc/shopdesk/whatsapp.secret");
	g_assert_cmpstr(ch->verify_token_file, ==,
			"/etc/shopdesk/whatsapp.verify");
	g_assert_cmpstr(ch->template_name, ==, "order_reply");
	g_assert_cmpstr(ch->template_language, ==, "lt");
	g_assert_null(config_channel_by_domain(c, "shop.test"));
	config_free(&c);
}

static void assert_line(const char *text, const char *line)
{
	char *with_nl = g_strconcat("\n", line, "\n", NULL);

	if (strstr(text, with_nl) == NULL)
		g_error("line \"%s\" not in:\n%s", line, text);
	g_free(with_nl);
}

static void test_defaults(void)
{
	static const char *const lines[] = {
		"[shopdesk]",
		"domain = shop.test",
		"state_dir = /var/lib/shopdesk",
		"spool_dir = /var/spool/shopdesk",
		"milter_socket = unix:/run/shopdesk/milter.sock",
		"milter_socket_mode = 0660",
		"milter_socket_group =",
		"user = shopdesk",
		"control_socket = /run/shopdesk/control.sock",
		"sendmail = /usr/sbin/sendmail -i",
		"ticket_tag = Ticket",
		"subject_tag = true",
		"agents =",
		"trusted_networks =",
		"default_language = en",
		"recipient_delimiter = +",
		"on_error = accept",
		"thread_window = 7d",
		"header_max = 1M",
		"body_memory_max = 256k",
		"parse_max = 64M",
		"mime_depth_max = 32",
		"mime_parts_max = 256",
		"[queue sales]",
		"address = sales@shop.test",
		"name = sales",
		"timezone = UTC",
		"hours = mon-fri 09:00-18:00",
		"holidays =",
		"sla_first_reply = 4h",
		"escalate_to =",
		"autoack = true",
		"language = en",
		"[channel telegram]",
		"api_url = https://api.telegram.org",
		"token_file = /etc/shopdesk/tg.token",
		"domain = telegram.shop.test",
		"queue = sales",
		"[channel whatsapp]",
		"api_url = https://graph.facebook.com/v19.0",
		"domain = whatsapp.shop.test",
		"phone_number_id = 106540352242922",
		"app_secret_file =",
		"verify_token_file =",
		"template =",
		"template_language = en_US",
		"[channel viber]",
		"api_url = https://chatapi.viber.com/pa",
		"domain = viber.shop.test",
	};
	struct config *c = load_text("defaults", BASE
		"[channel telegram]\ntoken_file = /etc/shopdesk/tg.token\n"
		"queue = sales\n"
		"[channel whatsapp]\ntoken_file = /etc/shopdesk/wa.token\n"
		"queue = sales\nphone_number_id = 106540352242922\n"
		"[channel viber]\ntoken_file = /etc/shopdesk/vb.token\n"
		"queue = sales\n");
	GString *out = g_string_new("\n");
	const char *templates;

	config_print(c, CONFIG_PRINT_ALL, out);
	for (unsigned int i = 0; i < G_N_ELEMENTS(lines); i++)
		assert_line(out->str, lines[i]);
	templates = strstr(out->str, "\ntemplates_dir = /");
	g_assert_nonnull(templates);
	g_assert_true(g_str_has_prefix(strstr(templates, "/templates\n"),
				       "/templates\n"));

	g_assert_cmpstr(c->state_dir, ==, "/var/lib/shopdesk");
	g_assert_cmpuint(c->milter_socket_mode, ==, 0660);
	g_assert_cmpstr(c->milter_socket_group, ==, "");
	g_assert_cmpstr(c->user, ==, "shopdesk");
	g_assert_true(c->subject_tag);
	g_assert_nonnull(c->agents);
	g_assert_null(c->agents[0]);
	g_assert_nonnull(c->trusted_networks);
	g_assert_null(c->trusted_networks[0]);
	g_assert_cmpint(c->on_error, ==, CONFIG_ON_ERROR_ACCEPT);
	g_assert_cmpint(c->thread_window, ==, 7 * 24 * 3600);
	g_assert_cmpuint(c->header_max, ==, 1024 * 1024);
	g_assert_cmpuint(c->body_memory_max, ==, 256 * 1024);
	g_assert_cmpuint(c->parse_max, ==, 64 * 1024 * 1024);
	g_assert_cmpuint(c->mime_depth_max, ==, 32);
	g_assert_cmpuint(c->mime_parts_max, ==, 256);
	g_assert_null(((struct config_queue *)c->queues->pdata[0])->
		      escalate_to);
	g_assert_cmpstr(((struct config_queue *)c->queues->pdata[0])->
			holidays, ==, "");
	g_string_free(out, TRUE);
	config_free(&c);
}

/* What config_print writes loads back into the same configuration. */
static void test_print_round_trip(void)
{
	struct config *c = load_text("round-trip-1", EVERYTHING);
	GString *first = g_string_new(NULL), *second = g_string_new(NULL);

	config_print(c, CONFIG_PRINT_ALL, first);
	config_free(&c);
	c = load_text("round-trip-2", first->str);
	config_print(c, CONFIG_PRINT_ALL, second);
	g_assert_cmpstr(first->str, ==, second->str);
	assert_line(first->str, "agents = ann@shop.test;bob@shop.test");
	assert_line(first->str, "address = Sales@Shop.Test;orders@shop.test;"
		    "help@shop.test");
	assert_line(first->str, "address = manager@shop.test");
	assert_line(first->str, "thread_window = 36h");
	assert_line(first->str, "milter_socket_mode = 0640");
	assert_line(first->str, "milter_socket_group = postfix");
	assert_line(first->str, "user = sd-milter");
	assert_line(first->str, "body_memory_max = 100000");
	config_free(&c);
	g_string_free(first, TRUE);
	g_string_free(second, TRUE);
}

/* The commented example in doc/ loads (automake's test environment
   exports top_srcdir). */
static void test_example(void)
{
	const char *srcdir = g_getenv("top_srcdir");
	struct config *config;
	char *path, *error = NULL;

	if (srcdir == NULL) {
		g_test_skip("top_srcdir is not set");
		return;
	}
	path = g_build_filename(srcdir, "doc", "shopdesk.conf.example", NULL);
	if (config_load(path, &config, &error) < 0)
		g_error("%s", error);
	g_assert_cmpstr(config->domain, ==, "shop.test");
	g_assert_nonnull(config_queue_by_name(config, "sales"));
	g_assert_nonnull(config_queue_by_name(config, "manager"));
	g_assert_true(config_find_queue(config, "orders@shop.test", NULL,
					NULL) ==
		      config_queue_by_name(config, "sales"));
	config_free(&config);
	g_free(path);
}

struct find_case {
	const char *address;
	const char *queue;	/* NULL: no queue */
	const char *extension;	/* NULL: none */
};

static void run_find_cases(const struct config *c,
			   const struct find_case *cases, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		const struct find_case *fc = &cases[i];
		const struct config_queue *q;
		const char *ext = "junk";
		size_t ext_len = 99;
		char *ext_copy;

		q = config_find_queue(c, fc->address, &ext, &ext_len);
		if (fc->queue == NULL) {
			if (q != NULL)
				g_error("%s: found [queue %s]", fc->address,
					q->name);
			continue;
		}
		if (q == NULL)
			g_error("%s: no queue", fc->address);
		g_assert_cmpstr(q->name, ==, fc->queue);
		if (fc->extension == NULL) {
			g_assert_null(ext);
			g_assert_cmpuint(ext_len, ==, 0);
			continue;
		}
		g_assert_nonnull(ext);
		ext_copy = g_strndup(ext, ext_len);
		g_assert_cmpstr(ext_copy, ==, fc->extension);
		g_free(ext_copy);
		/* Also callable without the out-parameters. */
		g_assert_true(config_find_queue(c, fc->address, NULL,
						NULL) == q);
	}
}

static void test_find_queue(void)
{
	static const struct find_case plus[] = {
		{ "sales@shop.test", "sales", NULL },
		{ "SALES@Shop.TEST", "sales", NULL },
		{ "manager@shop.test", "manager", NULL },
		{ "sales+t0k3n@shop.test", "sales", "t0k3n" },
		{ "Sales+MiXeD@SHOP.test", "sales", "MiXeD" },
		{ "sales+@shop.test", "sales", "" },
		{ "sales+a+b@shop.test", "sales", "a+b" },
		{ "<sales+abc@shop.test>", "sales", "abc" },
		{ "<manager@shop.test>", "manager", NULL },
		{ "sales-abc@shop.test", NULL, NULL },
		{ "salesx@shop.test", NULL, NULL },
		{ "sale@shop.test", NULL, NULL },
		{ "sales@other.test", NULL, NULL },
		{ "sales@shop.test.evil", NULL, NULL },
		{ "sales@shop", NULL, NULL },
		{ "sales", NULL, NULL },
		{ "", NULL, NULL },
		{ "<>", NULL, NULL },
		{ "sales@@shop.test", NULL, NULL },
		{ "<sales@shop.test", NULL, NULL },
		{ "@shop.test", NULL, NULL },
		{ "+x@shop.test", NULL, NULL },
	};
	static const struct find_case plus_minus[] = {
		{ "sales+abc@shop.test", "sales", "abc" },
		{ "sales-abc@shop.test", "sales", "abc" },
		{ "sales-team@shop.test", "team", NULL },
		{ "sales-team+x@shop.test", "team", "x" },
		{ "sales-team-x@shop.test", "team", "x" },
		{ "sales-teamx@shop.test", "sales", "teamx" },
		{ "sales=abc@shop.test", NULL, NULL },
	};
	static const struct find_case aliases[] = {
		{ "sales@shop.test", "sales", NULL },
		{ "orders@shop.test", "sales", NULL },
		{ "ORDERS@Shop.Test", "sales", NULL },
		{ "orders+t0k3n@shop.test", "sales", "t0k3n" },
		{ "<help+x@shop.test>", "sales", "x" },
		{ "boss@other.test", "manager", NULL },
		{ "boss+y@OTHER.test", "manager", "y" },
		{ "manager@shop.test", "manager", NULL },
		{ "boss@shop.test", NULL, NULL },
		{ "orders@other.test", NULL, NULL },
		{ "orders-x@shop.test", NULL, NULL },
		{ "order@shop.test", NULL, NULL },
	};
	struct config *c = load_text("find-plus", BASE
		"[queue manager]\naddress = Manager@Shop.Test\n");

	run_find_cases(c, plus, G_N_ELEMENTS(plus));
	config_free(&c);
	c = load_text("find-plus-minus",
		      "[shopdesk]\ndomain = shop.test\n"
		      "recipient_delimiter = +-\n"
		      "[queue sales]\naddress = sales@shop.test\n"
		      "[queue team]\naddress = sales-team@shop.test\n");
	run_find_cases(c, plus_minus, G_N_ELEMENTS(plus_minus));
	config_free(&c);
	c = load_text("find-aliases", "[shopdesk]\ndomain = shop.test\n"
		      "[queue sales]\n"
		      "address = sales@shop.test, Orders@shop.test;"
		      "help@shop.test\n"
		      "[queue manager]\n"
		      "address = manager@shop.test;boss@other.test\n");
	run_find_cases(c, aliases, G_N_ELEMENTS(aliases));
	config_free(&c);
}

/* Every address of every queue, aliases included, in file order. */
static void test_queue_addresses(void)
{
	static const char *const want[] = {
		"Sales@Shop.Test", "orders@shop.test", "help@shop.test",
		"manager@shop.test", NULL,
	};
	struct config *c = load_text("queue-addresses", EVERYTHING);
	const char *const *all = config_queue_addresses(c);

	for (unsigned int i = 0; i < G_N_ELEMENTS(want); i++)
		g_assert_cmpstr(all[i], ==, want[i]);
	config_free(&c);
}

/* A reference outlives config_free() of the first holder. */
static void test_ref(void)
{
	struct config *c = load_text("ref", "[shopdesk]\ndomain = shop.test\n"
				     "[queue sales]\naddress = s@shop.test\n");
	struct config *other = config_ref(c);

	config_free(&c);
	g_assert_null(c);
	g_assert_cmpstr(other->domain, ==, "shop.test");
	config_free(&other);
}

/* Reloading: only the keys named take the running values back, and
   only those that differed are named. */
static void test_keep_running(void)
{
	static const char *const keys[] = {
		"spool_dir", "milter_socket_mode", "user", "state_dir", NULL
	};
	struct config *running = load_text("running",
		"[shopdesk]\ndomain = shop.test\nspool_dir = /var/a\n"
		"user = shopdesk\nmilter_socket_mode = 0660\n"
		"control_socket = /run/a.sock\n"
		"[queue sales]\naddress = s@shop.test\n");
	struct config *next = load_text("next",
		"[shopdesk]\ndomain = shop.example\nspool_dir = /var/b\n"
		"user = shopdesk\nmilter_socket_mode = 0600\n"
		"control_socket = /run/b.sock\n"
		"[queue sales]\naddress = s@shop.example\n");
	char *changed = config_keep_running(next, running, keys);

	g_assert_cmpstr(changed, ==, "spool_dir, milter_socket_mode");
	g_assert_cmpstr(next->spool_dir, ==, "/var/a");
	g_assert_cmpuint(next->milter_socket_mode, ==, 0660);
	g_assert_cmpstr(next->control_socket, ==, "/run/b.sock");
	g_assert_cmpstr(next->domain, ==, "shop.example");
	g_free(changed);
	g_assert_null(config_keep_running(next, running, keys));
	config_free(&running);
	config_free(&next);
}

struct parse_case {
	const char *text;
	int ok;
	guint64 value;
};

static void test_parse_duration(void)
{
	static const struct parse_case cases[] = {
		{ "30s", 1, 30 },
		{ "90m", 1, 5400 },
		{ "2h", 1, 7200 },
		{ "7d", 1, 604800 },
		{ "45", 1, 45 },
		{ "0", 1, 0 },
		{ "007m", 1, 420 },
		{ "9223372036854775807", 1, G_MAXINT64 },
		{ "106751991167300d", 1, 106751991167300ULL * 86400 },
		{ "106751991167301d", 0, 0 },
		{ "9223372036854775808", 0, 0 },
		{ "99999999999999999999999", 0, 0 },
		{ "", 0, 0 },
		{ "s", 0, 0 },
		{ "-5", 0, 0 },
		{ "+5", 0, 0 },
		{ " 5", 0, 0 },
		{ "5 s", 0, 0 },
		{ "5x", 0, 0 },
		{ "5mm", 0, 0 },
		{ "1.5h", 0, 0 },
		{ "5M", 0, 0 },
		{ "1w", 0, 0 },
	};

	for (unsigned int i = 0; i < G_N_ELEMENTS(cases); i++) {
		int64_t seconds = -1;
		int ret = config_parse_duration(cases[i].text, &seconds);

		if (ret != (cases[i].ok ? 0 : -1))
			g_error("duration \"%s\": returned %d", cases[i].text,
				ret);
		if (cases[i].ok)
			g_assert_cmpint(seconds, ==, (int64_t)cases[i].value);
	}
}

static void test_parse_size(void)
{
	static const struct parse_case cases[] = {
		{ "512", 1, 512 },
		{ "256k", 1, 256 * 1024 },
		{ "256K", 1, 256 * 1024 },
		{ "64M", 1, 64 * 1024 * 1024 },
		{ "64m", 1, 64 * 1024 * 1024 },
		{ "1G", 1, 1024 * 1024 * 1024 },
		{ "0", 1, 0 },
		{ "17179869183G", 1, 17179869183ULL << 30 },
		{ "17179869184G", 0, 0 },
		{ "18446744073709551616", 0, 0 },
		{ "", 0, 0 },
		{ "k", 0, 0 },
		{ "1T", 0, 0 },
		{ "1.5M", 0, 0 },
		{ "-1", 0, 0 },
		{ "1 M", 0, 0 },
		{ "1MB", 0, 0 },
		{ "1s", 0, 0 },
	};

	for (unsigned int i = 0; i < G_N_ELEMENTS(cases); i++) {
		size_t bytes = 1;
		int ret = config_parse_size(cases[i].text, &bytes);

		if (sizeof(size_t) < 8 && cases[i].value > SIZE_MAX)
			continue;
		if (ret != (cases[i].ok ? 0 : -1))
			g_error("size \"%s\": returned %d", cases[i].text,
				ret);
		if (cases[i].ok)
			g_assert_cmpuint(bytes, ==, cases[i].value);
	}
}

int main(int argc, char *argv[])
{
	GError *error = NULL;
	int ret;

	g_test_init(&argc, &argv, NULL);
	tmp_dir = g_dir_make_tmp("test-config-XXXXXX", &error);
	g_assert_no_error(error);

	for (unsigned int i = 0; i < G_N_ELEMENTS(load_cases); i++) {
		char *name = g_strconcat("/config/load/", load_cases[i].name,
					 NULL);

		g_test_add_data_func(name, &load_cases[i], test_load);
		g_free(name);
	}
	g_test_add_func("/config/missing-file", test_missing_file);
	g_test_add_func("/config/values", test_values);
	g_test_add_func("/config/defaults", test_defaults);
	g_test_add_func("/config/print-round-trip", test_print_round_trip);
	g_test_add_func("/config/example", test_example);
	g_test_add_func("/config/find-queue", test_find_queue);
	g_test_add_func("/config/queue-addresses", test_queue_addresses);
	g_test_add_func("/config/ref", test_ref);
	g_test_add_func("/config/keep-running", test_keep_running);
	g_test_add_func("/config/parse-duration", test_parse_duration);
	g_test_add_func("/config/parse-size", test_parse_size);
	ret = g_test_run();

	g_rmdir(tmp_dir);
	g_free(tmp_dir);
	return ret;
}
