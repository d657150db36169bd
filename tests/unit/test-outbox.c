/* Tests of outbox items of kind "message" (a round trip with binary
   attachments and progress, and a table of malformed items, each
   refused with a reason), and of messenger customers' addresses. */

#include "channel.h"
#include "config.h"
#include "outbox.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

static struct outbox_message *sample(void)
{
	struct outbox_message *m = outbox_message_new();
	struct outbox_attachment *a = g_new0(struct outbox_attachment, 1);
	static const guchar bytes[] = { 0xff, 0xd8, 0x00, 0x01, 0x7f, 0x80 };

	m->channel = g_strdup("telegram");
	m->chat = g_strdup("-100123");
	m->ticket = 12;
	m->created = 1795000000;
	m->order = G_GINT64_CONSTANT(1795000000123456);
	m->queue = g_strdup("sales");
	m->agent = g_strdup("ann@shop.test");
	m->subject = g_strdup("Re: [Ticket #12] Лампа");
	m->in_reply_to = g_strdup("r1@client");
	m->text = g_strdup("Ждём фото.\n\"quoted\" \\ and\ttab");
	a->filename = g_strdup("photo.jpg");
	a->content_type = g_strdup("image/jpeg");
	a->data = g_bytes_new_static(bytes, sizeof(bytes));
	g_ptr_array_add(m->attachments, a);
	g_ptr_array_add(m->sent, g_strdup("5001"));
	return m;
}

static void test_roundtrip(void)
{
	struct outbox_message *m = sample(), *back = NULL;
	struct outbox_mail *mail = NULL;
	char *json = outbox_message_encode(m), *error = NULL, *kind = NULL;
	const struct outbox_attachment *a;

	g_assert_cmpint(outbox_message_decode(json, strlen(json), &back,
					      &error), ==, 0);
	g_assert_null(error);
	g_assert_cmpstr(back->channel, ==, "telegram");
	g_assert_cmpstr(back->chat, ==, "-100123");
	g_assert_cmpuint(back->ticket, ==, 12);
	g_assert_cmpint(back->created, ==, 1795000000);
	g_assert_cmpint(back->order, ==, G_GINT64_CONSTANT(1795000000123456));
	g_assert_cmpstr(back->queue, ==, "sales");
	g_assert_cmpstr(back->agent, ==, "ann@shop.test");
	g_assert_cmpstr(back->subject, ==, m->subject);
	g_assert_cmpstr(back->in_reply_to, ==, "r1@client");
	g_assert_cmpstr(back->text, ==, m->text);
	g_assert_cmpuint(back->attachments->len, ==, 1);
	a = back->attachments->pdata[0];
	g_assert_cmpstr(a->filename, ==, "photo.jpg");
	g_assert_cmpstr(a->content_type, ==, "image/jpeg");
	g_assert_true(g_bytes_equal(a->data, ((struct outbox_attachment *)
					      m->attachments->pdata[0])->data));
	g_assert_cmpuint(back->sent->len, ==, 1);
	g_assert_cmpstr(back->sent->pdata[0], ==, "5001");
	/* the mail reader sees another kind and says which */
	g_assert_cmpint(outbox_decode(json, strlen(json), &mail, &kind,
				      &error), ==, 0);
	g_assert_cmpstr(kind, ==, "message");
	g_free(kind);
	g_free(json);
	outbox_message_free(&back);
	outbox_message_free(&m);
	g_assert_null(m);
}

/* Keys: a chat's items share a prefix; the same mail and recipient give
   the same key (a retried mail puts nothing twice). */
static void test_key(void)
{
	char *prefix = outbox_message_prefix("telegram", "-100123");
	char *a = outbox_message_key("telegram", "-100123", "m1@x\ntg.-100123");
	char *b = outbox_message_key("telegram", "-100123", "m1@x\ntg.-100123");
	char *c = outbox_message_key("telegram", "-100123", "m2@x\ntg.-100123");
	char *d = outbox_message_prefix("viber", "a=b/c");

	g_assert_cmpstr(prefix, ==, "msg.telegram.-100123.");
	g_assert_true(g_str_has_prefix(a, prefix));
	g_assert_cmpstr(a, ==, b);
	g_assert_cmpstr(a, !=, c);
	g_assert_cmpuint(strlen(a), ==, strlen(prefix) + 24);
	g_assert_cmpstr(d, ==, "msg.viber.a_b_c.");
	g_free(prefix);
	g_free(a);
	g_free(b);
	g_free(c);
	g_free(d);
}

struct bad_case {
	const char *name;
	const char *json;
	const char *error;	/* a part of the reason */
};

static const struct bad_case bad_cases[] = {
	{ "not JSON", "{\"kind\": \"message\",", "not JSON" },
	{ "array", "[1]", "not a JSON object" },
	{ "mail kind", "{\"kind\":\"mail\"}", "not a \"message\" item" },
	{ "no chat", "{\"kind\":\"message\",\"channel\":\"telegram\","
	  "\"text\":\"hi\"}", "without channel, chat or text" },
	{ "chat a number", "{\"kind\":\"message\",\"channel\":\"telegram\","
	  "\"chat\":5,\"text\":\"hi\"}", "without channel, chat or text" },
	{ "nothing to send", "{\"kind\":\"message\",\"channel\":\"telegram\","
	  "\"chat\":\"5\",\"text\":\"\"}", "neither text nor attachments" },
	{ "attachment not base64", "{\"kind\":\"message\",\"channel\":"
	  "\"telegram\",\"chat\":\"5\",\"text\":\"\",\"attachments\":"
	  "[{\"filename\":\"a\",\"content_type\":\"text/plain\","
	  "\"data\":\"!!!\"}]}", "base64" },
	{ "attachment without type", "{\"kind\":\"message\",\"channel\":"
	  "\"telegram\",\"chat\":\"5\",\"text\":\"x\",\"attachments\":"
	  "[{\"filename\":\"a\",\"data\":\"QQ==\"}]}", "content_type" },
	{ "attachment not an object", "{\"kind\":\"message\",\"channel\":"
	  "\"telegram\",\"chat\":\"5\",\"text\":\"x\",\"attachments\":[3]}",
	  "not an object" },
	{ "sent id a number", "{\"kind\":\"message\",\"channel\":"
	  "\"telegram\",\"chat\":\"5\",\"text\":\"x\",\"sent\":[1]}",
	  "sent id" },
	/* json-glib takes octal escapes: "\344" is a byte that is not
	   UTF-8 (tests/fuzz found it going out again as JSON that json-glib
	   refuses) */
	{ "chat not UTF-8", "{\"kind\":\"message\",\"channel\":"
	  "\"telegram\",\"chat\":\"1\\344\",\"text\":\"x\"}",
	  "without channel, chat or text" },
	{ "sent id not UTF-8", "{\"kind\":\"message\",\"channel\":"
	  "\"telegram\",\"chat\":\"5\",\"text\":\"x\",\"sent\":"
	  "[\"\\377\"]}", "sent id" },
};

static void test_bad(gconstpointer data)
{
	const struct bad_case *c = data;
	struct outbox_message *m = NULL;
	char *error = NULL;

	g_assert_cmpint(outbox_message_decode(c->json, strlen(c->json), &m,
					      &error), ==, -1);
	g_assert_null(m);
	g_assert_nonnull(error);
	if (strstr(error, c->error) == NULL)
		g_error("\"%s\" does not say \"%s\"", error, c->error);
	g_free(error);
}

static struct config *load(void)
{
	char *dir = g_dir_make_tmp("test-outbox-XXXXXX", NULL);
	char *path = g_build_filename(dir, "shopdesk.conf", NULL);
	struct config *config;
	char *error = NULL;

	g_assert_true(g_file_set_contents(path,
		"[shopdesk]\ndomain = shop.test\n"
		"[queue sales]\naddress = sales@shop.test\n"
		"[channel telegram]\ntoken_file = /etc/tg.token\n"
		"queue = sales\n"
		"[channel viber]\ntoken_file = /etc/vb.token\n"
		"domain = vb.shop.test\nqueue = sales\n"
		"[channel whatsapp]\ntoken_file = /etc/wa.token\n"
		"domain = wa.shop.test\nqueue = sales\n"
		"phone_number_id = 106540352242922\n", -1, NULL));
	if (config_load(path, &config, &error) < 0)
		g_error("%s", error);
	g_unlink(path);
	g_rmdir(dir);
	g_free(path);
	g_free(dir);
	return config;
}

struct address_case {
	const char *address;
	int ret;
	const char *channel;
	const char *chat;
};

static const struct address_case address_cases[] = {
	{ "tg.12345@telegram.shop.test", 1, "telegram", "12345" },
	{ "TG.12345@Telegram.Shop.Test", 1, "telegram", "12345" },
	{ "tg.-100987@telegram.shop.test", 1, "telegram", "-100987" },
	{ "tg.12a@telegram.shop.test", -1, NULL, NULL },
	{ "tg.@telegram.shop.test", -1, NULL, NULL },
	{ "tg.-@telegram.shop.test", -1, NULL, NULL },
	/* one spelling per chat, within a 64-bit integer */
	{ "tg.00123@telegram.shop.test", -1, NULL, NULL },
	{ "tg.-0123@telegram.shop.test", -1, NULL, NULL },
	{ "tg.-0@telegram.shop.test", -1, NULL, NULL },
	{ "tg.0@telegram.shop.test", 1, "telegram", "0" },
	{ "tg.999999999999999999@telegram.shop.test", 1, "telegram",
	  "999999999999999999" },
	{ "tg.9999999999999999999@telegram.shop.test", -1, NULL, NULL },
	{ "wa.12345@telegram.shop.test", -1, NULL, NULL },
	{ "sales@telegram.shop.test", -1, NULL, NULL },
	/* Viber ids travel in base32: case and '+', '/', '=' survive */
	{ "vb.gaytemzugu3doobzgbat2@vb.shop.test", 1, "viber",
	  "01234567890A=" },
	{ "VB.GAYTEMZUGU3DOOBZGBAT2@VB.Shop.Test", 1, "viber",
	  "01234567890A=" },
	{ "vb.ormxc22ykfwwqskbovtcwrbxiztc63tuozit2pi@vb.shop.test", 1,
	  "viber", "tYqkXQmhIAuf+D7Ff/ntvQ==" },
	{ "vb.me@vb.shop.test", 1, "viber", "a" },
	{ "vb.AbC+d=@vb.shop.test", -1, NULL, NULL },	/* not base32 */
	{ "vb.mf@vb.shop.test", -1, NULL, NULL },	/* stray bits */
	{ "vb.m@vb.shop.test", -1, NULL, NULL },		/* half a byte */
	{ "vb.m1@vb.shop.test", -1, NULL, NULL },	/* 1 is no digit of it */
	{ "vb.eaqa@vb.shop.test", -1, NULL, NULL },	/* "  " is no id */
	{ "vb.@vb.shop.test", -1, NULL, NULL },
	{ "vb.a b@vb.shop.test", -1, NULL, NULL },
	/* 39 bytes: its address would pass 64 */
	{ "vb.mfqwcylbmfqwcylbmfqwcylbmfqwcylbmfqwcylb"
	  "mfqwcylbmfqwcylbmfqwcyi@vb.shop.test", -1, NULL, NULL },
	{ "wa.37060000001@wa.shop.test", 1, "whatsapp", "37060000001" },
	{ "WA.37060000001@WA.SHOP.TEST", 1, "whatsapp", "37060000001" },
	{ "wa.+37060000001@wa.shop.test", -1, NULL, NULL },
	{ "wa.ivan@wa.shop.test", -1, NULL, NULL },
	{ "wa.123456789012345678901@wa.shop.test", -1, NULL, NULL },
	{ "vb.gaytemzugu3doobzgbat2@wa.shop.test", -1, NULL, NULL },
	{ "tg.12345@shop.test", 0, NULL, NULL },
	{ "ivan@example.com", 0, NULL, NULL },
	{ "no-at-sign", 0, NULL, NULL },
};

static void test_address(void)
{
	struct config *config = load();

	for (unsigned int i = 0; i < G_N_ELEMENTS(address_cases); i++) {
		const struct address_case *c = &address_cases[i];
		const struct config_channel *ch = NULL;
		const char *why = NULL;
		char *chat = NULL;
		int ret = channel_address_parse(config, c->address, &ch, &chat,
						&why);

		if (ret != c->ret)
			g_error("%s: %d, want %d", c->address, ret, c->ret);
		if (ret == 1) {
			char *back = channel_address(ch, chat);

			g_assert_cmpstr(ch->name, ==, c->channel);
			g_assert_cmpstr(chat, ==, c->chat);
			g_assert_cmpint(g_ascii_strcasecmp(back, c->address),
					==, 0);
			g_free(back);
		} else if (ret < 0) {
			g_assert_nonnull(why);
		}
		g_free(chat);
	}
	/* and what is no id of the channel makes no address */
	for (unsigned int i = 0; i < config->channels->len; i++) {
		const struct config_channel *ch = config->channels->pdata[i];

		g_assert_null(channel_address(ch, "a b"));
		g_assert_null(channel_address(ch, ""));
	}
	config_free(&config);
}

int main(int argc, char *argv[])
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/outbox/message/roundtrip", test_roundtrip);
	for (unsigned int i = 0; i < G_N_ELEMENTS(bad_cases); i++) {
		char *path = g_strdup_printf("/outbox/message/bad/%s",
					     bad_cases[i].name);
		g_test_add_data_func(path, &bad_cases[i], test_bad);
		g_free(path);
	}
	g_test_add_func("/outbox/message/key", test_key);
	g_test_add_func("/channel/address", test_address);
	return g_test_run();
}
