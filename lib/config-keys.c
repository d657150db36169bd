/* config-keys.c: every key of shopdesk.conf, once: its group, its kind,
   its default and what it means.  The parser (config.c) knows no key
   that is not here and takes each default from here; config_print()
   prints from these entries, and the reference of doc/config.md and
   shopdesk.conf(5) is made from them at build time (doc/gen-config-ref),
   so that the three cannot drift apart.

   Adding a key: one entry here, in the place it should be printed and
   documented, its field in config.h, and its reading and checks in
   config.c. */

#include "config.h"

#include <stddef.h>
#include <string.h>

#ifndef PKGDATADIR
/* Builds outside automake; the Makefile passes $(pkgdatadir). */
#define PKGDATADIR "/usr/local/share/shopdesk"
#endif

#define SD(field) .group = CONFIG_GROUP_SHOPDESK, \
	.offset = offsetof(struct config, field)
#define QU(field) .group = CONFIG_GROUP_QUEUE, \
	.offset = offsetof(struct config_queue, field)
#define CH(field) .group = CONFIG_GROUP_CHANNEL, \
	.offset = offsetof(struct config_channel, field)

/* In the order of enum config_on_error */
static const char *const on_error_words[] = { "accept", "tempfail", NULL };

const struct config_channel_kind config_channel_kinds[] = {
	{ "telegram", "https://api.telegram.org" },
	{ "whatsapp", "https://graph.facebook.com/v19.0" },
	{ "viber", "https://chatapi.viber.com/pa" },
	{ NULL, NULL }
};

const struct config_key config_keys[] = {
	/* [shopdesk] */
	{ .name = "domain", SD(domain),
	  .kind = CONFIG_KIND_TEXT,
	  .doc =
		"The shop's mail domain. It is used in Message-IDs and as the "
		"base of the channels' customer domains." },
	{ .name = "state_dir", SD(state_dir),
	  .kind = CONFIG_KIND_TEXT,
	  .def = "/var/lib/shopdesk",
	  .doc =
		"The milter's private state: the ticket store (Berkeley DB "
		"environment), the reply-token key, temporary files for large "
		"bodies. Absolute path."
		" *Restart:* a running daemon keeps its value until it is "
		"restarted (SIGHUP does not change it)." },
	{ .name = "spool_dir", SD(spool_dir),
	  .kind = CONFIG_KIND_TEXT,
	  .def = "/var/spool/shopdesk",
	  .doc =
		"Holds the `outbox/` and `events/` spools shared by "
		"shopdesk-milter, shopdesk-bridge and the Dovecot plugin "
		"(`shopdesk_spool` there must name the same folder). Absolute "
		"path."
		" *Restart:* a running daemon keeps its value until it is "
		"restarted (SIGHUP does not change it)." },
	{ .name = "milter_socket", SD(milter_socket),
	  .kind = CONFIG_KIND_TEXT,
	  .def = "unix:/run/shopdesk/milter.sock",
	  .doc =
		"Where shopdesk-milter listens, in libmilter syntax: "
		"`unix:/path`, `local:/path`, `inet:PORT@HOST` or "
		"`inet6:PORT@HOST`. Paths are absolute and at most 107 bytes. "
		"Postfix's `smtpd_milters` must point at the same socket "
		"(relative to its chroot for `unix:`)."
		" *Restart:* a running daemon keeps its value until it is "
		"restarted (SIGHUP does not change it)." },
	{ .name = "milter_socket_mode", SD(milter_socket_mode),
	  .kind = CONFIG_KIND_MODE,
	  .def = "0660",
	  .doc =
		"The permissions (octal, `0000` to `0777`) given to a `unix:` "
		"milter socket once it is made: Postfix, a member of its "
		"group, must be able to write it."
		" *Restart:* a running daemon keeps its value until it is "
		"restarted (SIGHUP does not change it)." },
	{ .name = "milter_socket_group", SD(milter_socket_group),
	  .kind = CONFIG_KIND_TEXT,
	  .def = "",
	  .doc =
		"The group of a `unix:` milter socket; empty: the primary "
		"group of `user` (Debian's package: `shopdesk`, with "
		"`postfix` in it)."
		" *Restart:* a running daemon keeps its value until it is "
		"restarted (SIGHUP does not change it)." },
	{ .name = "user", SD(user),
	  .kind = CONFIG_KIND_TEXT,
	  .def = "shopdesk",
	  .doc =
		"The user a daemon started as root becomes (with its groups, "
		"for good) once it has opened what needs root, the milter "
		"socket; the ticket store, the spools and the control socket "
		"are then made as that user. A user that does not exist stops "
		"the daemon with an error. `root` keeps root; nothing needs "
		"it. A daemon started as another user (systemd's `User=`) "
		"stays that user."
		" *Restart:* a running daemon keeps its value until it is "
		"restarted (SIGHUP does not change it)." },
	{ .name = "control_socket", SD(control_socket),
	  .kind = CONFIG_KIND_TEXT,
	  .def = "/run/shopdesk/control.sock",
	  .doc =
		"The unix socket on which shopdesk-milter answers "
		"`shopdeskctl`. Created with mode 0660: who may read tickets "
		"is decided by the group of its directory."
		" *Restart:* a running daemon keeps its value until it is "
		"restarted (SIGHUP does not change it)." },
	{ .name = "templates_dir", SD(templates_dir),
	  .kind = CONFIG_KIND_TEXT,
	  .def = PKGDATADIR "/templates",
	  .doc =
		"Message templates, one folder per language "
		"(doc/templates.md). The default follows the build's "
		"`--prefix` (`/usr/share/shopdesk/templates` with "
		"`--prefix=/usr`)." },
	{ .name = "sendmail", SD(sendmail),
	  .kind = CONFIG_KIND_TEXT,
	  .def = "/usr/sbin/sendmail -i",
	  .doc =
		"The command shopdesk-bridge sends shopdesk's own mail with "
		"(acknowledgements, notices, and messenger customers' "
		"messages, which must come through local submission: see "
		"README, Messengers). Split into words as a shell would, so "
		"options and quoted words work; no shell runs it. The bridge "
		"adds `-f SENDER -- RECIPIENT...` (the sender of an "
		"acknowledgement is empty, RFC 3834) and reads the exit "
		"status: 0 sent; 65, 67, 68 (sysexits: data error, no user, "
		"no host) never sendable; anything else retried." },
	{ .name = "ticket_tag", SD(ticket_tag),
	  .kind = CONFIG_KIND_TEXT,
	  .def = "Ticket",
	  .doc =
		"The word in the subject tag `[Ticket #12]`. At most 32 "
		"bytes, no spaces, `[`, `]` or `#`." },
	{ .name = "subject_tag", SD(subject_tag),
	  .kind = CONFIG_KIND_BOOL,
	  .def = "true",
	  .doc =
		"Whether ticket mail gets the subject tag. A tag is still "
		"recognised in subjects when this is off." },
	{ .name = "agents", SD(agents),
	  .kind = CONFIG_KIND_LIST,
	  .def = "",
	  .doc =
		"The agents, `;`-separated, compared case-insensitively. A "
		"SASL login is an agent only when listed (as it is, or as "
		"`login@domain`); with the list empty, every SASL login is. A "
		"listed address submitting from `trusted_networks` is an "
		"agent without SASL." },
	{ .name = "trusted_networks", SD(trusted_networks),
	  .kind = CONFIG_KIND_LIST,
	  .def = "",
	  .doc =
		"Networks from which `agents` may submit without SASL, "
		"`;`-separated: `192.0.2.0/24`, `2001:db8::/32`, or single "
		"addresses." },
	{ .name = "default_language", SD(default_language),
	  .kind = CONFIG_KIND_TEXT,
	  .def = "en",
	  .doc =
		"Language (2 or 3 lowercase letters, ISO 639) of customers "
		"whose language is not known, and the default of each queue's "
		"`language`." },
	{ .name = "recipient_delimiter", SD(recipient_delimiter),
	  .kind = CONFIG_KIND_TEXT,
	  .def = "+",
	  .doc =
		"The characters that separate an address from its extension, "
		"as Postfix's `recipient_delimiter` (which must agree): reply "
		"tokens arrive as `sales+TOKEN@domain`. Several characters "
		"(`+-`) mean any of them. Punctuation only; not `@ < > \" "
		"\\`." },
	{ .name = "on_error", SD(on_error),
	  .kind = CONFIG_KIND_CHOICE,
	  .def = "accept",
	  .choices = on_error_words,
	  .doc =
		"What the milter does with a message when shopdesk itself "
		"fails (store error, a bug caught at run time): `accept` "
		"delivers it unchanged, `tempfail` answers 4xx so the sender "
		"retries. Either way a log line says why. shopdesk never "
		"rejects mail." },
	{ .name = "thread_window", SD(thread_window),
	  .kind = CONFIG_KIND_DURATION,
	  .def = "7d",
	  .doc =
		"Threading rule 4: a message from the same sender with the "
		"same normalized subject joins that sender's ticket if the "
		"ticket saw mail within this time." },
	{ .name = "ack_burst", SD(ack_burst),
	  .kind = CONFIG_KIND_NUMBER,
	  .def = "3",
	  .doc =
		"At most this many acknowledgements to one sender (the "
		"envelope sender)..." },
	{ .name = "ack_burst_period", SD(ack_burst_period),
	  .kind = CONFIG_KIND_DURATION,
	  .def = "1h",
	  .doc =
		"...within this time." },
	{ .name = "ack_daily_max", SD(ack_daily_max),
	  .kind = CONFIG_KIND_NUMBER,
	  .def = "10",
	  .doc =
		"At most this many acknowledgements to one sender within 24 "
		"hours." },
	{ .name = "ack_reopen_period", SD(ack_reopen_period),
	  .kind = CONFIG_KIND_DURATION,
	  .def = "1d",
	  .doc =
		"A customer reopening a pending or resolved ticket gets an "
		"acknowledgement again only if the ticket's last one is older "
		"than this. A new ticket always gets one (within the sender "
		"limits above)." },
	{ .name = "outbox_retry_min", SD(outbox_retry_min),
	  .kind = CONFIG_KIND_DURATION,
	  .def = "30s",
	  .doc =
		"shopdesk-bridge retries a failed outbox item after its age, "
		"but at least this long after the failure..." },
	{ .name = "outbox_retry_max", SD(outbox_retry_max),
	  .kind = CONFIG_KIND_DURATION,
	  .def = "1h",
	  .doc =
		"...and at most this long (the way Postfix's queue manager "
		"backs off)." },
	{ .name = "outbox_lifetime", SD(outbox_lifetime),
	  .kind = CONFIG_KIND_DURATION,
	  .def = "5d",
	  .doc =
		"An item still failing at this age goes to "
		"`spool_dir/outbox/dead/` with a log line; for a messenger "
		"message its agent also gets a notice mail. A provider's "
		"`retry_after` (Telegram's 429) is waited instead of the "
		"backoff." },
	{ .name = "sendmail_timeout", SD(sendmail_timeout),
	  .kind = CONFIG_KIND_DURATION,
	  .def = "60s",
	  .doc =
		"A `sendmail` run taking longer is killed and the item "
		"retried." },
	{ .name = "doveadm_socket", SD(doveadm_socket),
	  .kind = CONFIG_KIND_TEXT,
	  .def = "/run/dovecot/shopdesk-doveadm",
	  .doc =
		"The unix socket of Dovecot's doveadm server through which "
		"shopdesk-milter keeps the queue mailboxes' status keywords: "
		"a `unix_listener` of Dovecot's `service doveadm` with "
		"`mode = 0600` and `user = shopdesk` (README, \"The Dovecot "
		"plugin\"; Dovecot asks for a password on any other mode). "
		"Every time a ticket's status changes, by whatever route, the "
		"ticket's messages in the queue's `mailbox` get the status's "
		"keyword and lose the other statuses' ones; while the ticket "
		"is past its promise with no human reply they also carry "
		"`overdue`. These changes are made in transactions Dovecot "
		"tells no plugin of, so that the Dovecot plugin makes no "
		"event of them. Empty: keywords are not kept. "
		"When Dovecot cannot be reached (no socket, no answer, a "
		"temporary failure) the change waits and is retried (5 s, "
		"doubling up to 5 min); a user or folder that does not exist "
		"(Dovecot's `NOUSER`, `NOTFOUND`) is given up with a log "
		"line." },
	{ .name = "doveadm_timeout", SD(doveadm_timeout),
	  .kind = CONFIG_KIND_DURATION,
	  .def = "60s",
	  .doc =
		"A doveadm command whose whole reply takes longer is given up "
		"and the change retried." },
	{ .name = "keywords", SD(keywords),
	  .kind = CONFIG_KIND_TEXT,
	  .def = CONFIG_DEFAULT_KEYWORDS,
	  .doc =
		"`KEYWORD=STATUS` pairs, space-separated: the IMAP keywords "
		"that show a ticket's status. Several keywords may name one "
		"status (`done=resolved $label4=resolved`); the first is the "
		"one set. Keywords are IMAP atoms, not system flags "
		"(`\\Seen`). Keep it the same as the Dovecot plugin's "
		"`shopdesk_keywords`." },
	{ .name = "header_max", SD(header_max),
	  .kind = CONFIG_KIND_SIZE,
	  .def = "1M",
	  .doc =
		"Bytes of a message's header kept for threading; the rest is "
		"ignored." },
	{ .name = "body_memory_max", SD(body_memory_max),
	  .kind = CONFIG_KIND_SIZE,
	  .def = "256k",
	  .doc =
		"Body bytes held in memory; a larger body goes to a temporary "
		"file under `state_dir`." },
	{ .name = "parse_max", SD(parse_max),
	  .kind = CONFIG_KIND_SIZE,
	  .def = "64M",
	  .doc =
		"Messages larger than this are not MIME-parsed: their ticket "
		"is made from the headers only." },
	{ .name = "mime_depth_max", SD(mime_depth_max),
	  .kind = CONFIG_KIND_NUMBER,
	  .def = "32",
	  .doc =
		"Deepest MIME nesting that is parsed (1 to 1000)." },
	{ .name = "mime_parts_max", SD(mime_parts_max),
	  .kind = CONFIG_KIND_NUMBER,
	  .def = "256",
	  .doc =
		"Most MIME parts that are parsed per message (1 to 100000)." },
	{ .name = "strip_max", SD(strip_max),
	  .kind = CONFIG_KIND_NUMBER,
	  .def = "100",
	  .doc =
		"Forged `X-Shopdesk-*` headers removed from mail to the desk; "
		"mail with more is refused with `550 5.7.1` before anything "
		"is changed (Postfix cannot apply thousands of deletions, and "
		"no honest sender writes them)." },
	{ .name = "participants_max", SD(participants_max),
	  .kind = CONFIG_KIND_NUMBER,
	  .def = "20",
	  .doc =
		"Addresses a ticket keeps as participants: the customer and "
		"the others their mail was sent and copied to (To, Cc), "
		"without the shop's own." },
	{ .name = "trusted_authserv_ids", SD(trusted_authserv_ids),
	  .kind = CONFIG_KIND_LIST,
	  .def = "",
	  .doc =
		"The `authserv-id`s of `Authentication-Results` headers to "
		"believe (your own MX's, added by OpenDMARC or rspamd), "
		"`;`-separated. A `From:` that is not the envelope sender "
		"counts as the sender only when such a header says "
		"`dmarc=pass` for its domain." },

	/* [queue NAME] */
	{ .name = "address", QU(addresses),
	  .kind = CONFIG_KIND_LIST,
	  .doc =
		"The branded address, `sales@shop.example`, optionally "
		"followed by aliases that lead to the same mailbox: "
		"`sales@shop.example, orders@shop.example` (`,` or `;` "
		"between them). Mail to any of them, or to one with an "
		"extension (`orders+anything@shop.example`), belongs to this "
		"queue; matching ignores case. The first is the queue's own: "
		"shopdesk answers from it, and it is the default `mailbox`. "
		"No address is listed twice, in one queue or two. Postfix "
		"delivers the aliases into the queue's mailbox "
		"(`virtual_alias_maps`); shopdesk only recognises them." },
	{ .name = "name", QU(display_name),
	  .kind = CONFIG_KIND_TEXT,
	  .def = "$NAME",
	  .doc =
		"Display name used in the `From:` of mail sent for this queue "
		"(\"Sales\")." },
	{ .name = "timezone", QU(timezone),
	  .kind = CONFIG_KIND_TEXT,
	  .def = "UTC",
	  .doc =
		"IANA time zone (`Europe/Vilnius`) of the business hours; "
		"also the offset shown in reply-by times. Must be known to "
		"the system's tz database." },
	{ .name = "hours", QU(hours),
	  .kind = CONFIG_KIND_TEXT,
	  .def = "mon-fri 09:00-18:00",
	  .doc =
		"Business hours: day ranges and time ranges, `;` between day "
		"groups, `,` between ranges of one day: `mon-fri "
		"09:00-13:00,14:00-19:00; sat 10:00-14:00`." },
	{ .name = "holidays", QU(holidays),
	  .kind = CONFIG_KIND_TEXT,
	  .def = "",
	  .doc =
		"Days without business hours: ISO dates separated by `;` "
		"(`2026-12-24;2026-12-25`), or the path of an iCalendar "
		"(`.ics`) file." },
	{ .name = "sla_first_reply", QU(sla_first_reply),
	  .kind = CONFIG_KIND_TEXT,
	  .def = "4h",
	  .doc =
		"Time to the first human reply, counted in business time: "
		"`90m` and `2h` count open minutes; `1d` means the same time "
		"of day one business day later, moved into open hours if it "
		"falls outside them. Shown to customers in the "
		"acknowledgement." },
	{ .name = "sla_next_reply", QU(sla_next_reply),
	  .kind = CONFIG_KIND_TEXT,
	  .def = "$sla_first_reply",
	  .doc =
		"The promise when a customer writes again after an answer: "
		"the time to the next human reply, counted from their "
		"message in business time as `sla_first_reply` counts it." },
	{ .name = "sla_warn", QU(sla_warn),
	  .kind = CONFIG_KIND_TEXT,
	  .def = "80%",
	  .doc =
		"When to warn that a ticket's reply-by time is near: `N%` "
		"(once N% of the open time to it has passed, 1 to 99), a "
		"duration of open time before it (`30m`, `2h`), or `off`. "
		"The ticket's assignee, else `escalate_to`, gets a short "
		"mail, once." },
	{ .name = "report_to", QU(report_to),
	  .kind = CONFIG_KIND_LIST,
	  .def = "",
	  .doc =
		"Who gets the queue's report by mail (`shopdeskctl report "
		"--queue NAME --by agent`, doc/reports.md), `;`-separated: "
		"HTML with a text alternative and the CSV attached, sent "
		"from the queue's address through the outbox. Empty: "
		"nobody." },
	{ .name = "report_every", QU(report_every),
	  .kind = CONFIG_KIND_TEXT,
	  .def = "off",
	  .doc =
		"When `report_to` gets the report, in the queue's time zone: "
		"`daily HH:MM` (the day before), `weekly DAY HH:MM` (DAY "
		"`mon` to `sun`; the seven days before), or `off`. A report "
		"due while the milter was down is sent when it starts, once; "
		"the store remembers the last one sent." },
	{ .name = "followup_after", QU(followup_after),
	  .kind = CONFIG_KIND_TEXT,
	  .def = "1d",
	  .doc =
		"How long after a ticket became resolved, in business time "
		"as `sla_first_reply` counts it, its customer is asked "
		"whether the problem was solved (by mail, or in their chat, "
		"in their language, with a 1-5 rating); `off`: never. Yes, "
		"4 or 5 closes the ticket, no, 1 or 2 reopens it." },
	{ .name = "autoclose_after", QU(autoclose_after),
	  .kind = CONFIG_KIND_TEXT,
	  .def = "3d",
	  .doc =
		"How long a resolved ticket waits, in business time as "
		"`sla_first_reply` counts it, for a word from the customer "
		"before it is closed; `off`: never. A customer who writes "
		"after that gets a new ticket, linked to the old one." },
	{ .name = "escalate_to", QU(escalate_to),
	  .kind = CONFIG_KIND_TEXT,
	  .def = "",
	  .doc =
		"Address that is told when a ticket passes its reply-by time "
		"without a human reply, and warned before (`sla_warn`) when "
		"the ticket has no assignee (also an hour before a WhatsApp "
		"customer's 24-hour window closes unanswered)." },
	{ .name = "autoack", QU(autoack),
	  .kind = CONFIG_KIND_BOOL,
	  .def = "true",
	  .doc =
		"Whether a new ticket gets an acknowledgement." },
	{ .name = "language", QU(language),
	  .kind = CONFIG_KIND_TEXT,
	  .def = "$default_language",
	  .doc =
		"Language of acknowledgements when the customer's is not "
		"known." },
	{ .name = "mailbox", QU(mailbox),
	  .kind = CONFIG_KIND_TEXT,
	  .def = "$address",
	  .doc =
		"The Dovecot user whose mailbox receives this queue's mail, "
		"in whose folders the milter keeps the status keywords (see "
		"`doveadm_socket`). Empty: none." },

	/* [channel NAME] */
	{ .name = "api_url", CH(api_url),
	  .kind = CONFIG_KIND_TEXT,
	  .def = "$provider_api",
	  .doc =
		"Base URL of the provider's API. Change it only for a test "
		"double or a proxy; `http://` is accepted for that." },
	{ .name = "token_file", CH(token_file),
	  .kind = CONFIG_KIND_TEXT,
	  .doc =
		"Absolute path of the file holding the API token (readable by "
		"shopdesk-bridge only)." },
	{ .name = "domain", CH(domain),
	  .kind = CONFIG_KIND_TEXT,
	  .def = "$NAME.$domain",
	  .doc =
		"The address domain of this channel's customers: a Telegram "
		"user is `tg.<chat id>@telegram.shop.example`. Must differ "
		"from the shop's `domain`, every queue's domain and every "
		"other channel's domain. Agents reply to these addresses as "
		"to any customer." },
	{ .name = "queue", CH(queue),
	  .kind = CONFIG_KIND_TEXT,
	  .doc =
		"The `[queue NAME]` that receives this channel's messages." },
	{ .name = "attachment_max", CH(attachment_max),
	  .kind = CONFIG_KIND_SIZE,
	  .def = "20M",
	  .doc =
		"Bytes of attachments of one agent's reply that go to the "
		"chat (at most `50M`, Telegram's limit for bots); an "
		"attachment past it is left out, and the milter's log line "
		"says so. Inbound, the largest file fetched from a chat "
		"(Telegram lets bots download at most 20 MB); a larger one is "
		"named in the mail instead. Attachments travel inside the "
		"outbox item in base64, a third larger." },
	{ .name = "poll_timeout", CH(poll_timeout),
	  .kind = CONFIG_KIND_DURATION,
	  .def = "25s",
	  .doc =
		"How long one long poll (`getUpdates`) waits for news, 1s to "
		"10m. Shorter costs more requests; nothing is slower." },
	{ .name = "webhook_listen", CH(webhook_listen),
	  .kind = CONFIG_KIND_TEXT,
	  .def = "",
	  .doc =
		"`ADDRESS:PORT` (`127.0.0.1:8443`, `[::1]:8443`) where "
		"shopdesk-bridge takes the provider's webhook posts, behind "
		"the admin's HTTPS proxy. Telegram: instead of long polling "
		"(empty: long polling). WhatsApp and Viber receive only this "
		"way: empty, replies are sent but customers' messages are not "
		"received (logged at start)." },
	{ .name = "webhook_secret_file", CH(webhook_secret_file),
	  .kind = CONFIG_KIND_TEXT,
	  .def = "",
	  .doc =
		"Telegram: required with `webhook_listen`. Absolute path of "
		"the file holding the secret token given to `setWebhook` (1 "
		"to 256 of `A-Z a-z 0-9 _ -`); requests without it in "
		"`X-Telegram-Bot-Api-Secret-Token` get 401. Readable by "
		"shopdesk-bridge only." },
	{ .name = "phone_number_id", CH(phone_number_id),
	  .kind = CONFIG_KIND_TEXT,
	  .only = "whatsapp",
	  .doc =
		"The Graph API id of the business phone number replies are "
		"sent from (digits): requests go to "
		"`api_url/PHONE_NUMBER_ID/messages` and `/media`." },
	{ .name = "app_secret_file", CH(app_secret_file),
	  .kind = CONFIG_KIND_TEXT,
	  .def = "",
	  .only = "whatsapp",
	  .doc =
		"Required with `webhook_listen`. Absolute path of the file "
		"holding the Meta app's secret: each webhook post must carry "
		"`X-Hub-Signature-256: sha256=` its HMAC-SHA256 of the raw "
		"body, else 401 and nothing is taken. Readable by "
		"shopdesk-bridge only." },
	{ .name = "verify_token_file", CH(verify_token_file),
	  .kind = CONFIG_KIND_TEXT,
	  .def = "",
	  .only = "whatsapp",
	  .doc =
		"Required with `webhook_listen`. Absolute path of the file "
		"holding the verify token given to Meta with the callback "
		"URL: its GET (`hub.mode=subscribe`, `hub.verify_token`) is "
		"answered with `hub.challenge` only for it, else 403." },
	{ .name = "template", CH(template_name),
	  .kind = CONFIG_KIND_TEXT,
	  .def = "",
	  .only = "whatsapp",
	  .doc =
		"An approved message template without parameters (lowercase "
		"letters, digits, `_`) sent in place of a reply when the "
		"customer's 24-hour window is closed; the agent is told their "
		"text did not go. Empty: such a reply fails at once with a "
		"notice saying the window is closed." },
	{ .name = "template_language", CH(template_language),
	  .kind = CONFIG_KIND_TEXT,
	  .def = "en_US",
	  .only = "whatsapp",
	  .doc =
		"The template's language code (`en`, `en_US`, `lt`)." },
};

const unsigned int config_keys_count = G_N_ELEMENTS(config_keys);

const struct config_key *
config_key_lookup(enum config_group group, const char *name)
{
	for (unsigned int i = 0; i < config_keys_count; i++) {
		if (config_keys[i].group == group &&
		    strcmp(config_keys[i].name, name) == 0)
			return &config_keys[i];
	}
	return NULL;
}

const char *config_provider_api(const char *channel)
{
	for (unsigned int i = 0; config_channel_kinds[i].name != NULL; i++) {
		if (strcmp(config_channel_kinds[i].name, channel) == 0)
			return config_channel_kinds[i].api_url;
	}
	return NULL;
}
