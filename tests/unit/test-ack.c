/* The acknowledgement's parts, on the shipped templates: language
   detection (Content-Language, libexttextcat, fallback), categories and
   canned answers, the shop's hours in each language, and the rendered
   message (headers, localized reply-by in the customer's offset, an
   inert hostile name). */

#include "ack.h"
#include "category.h"
#include "language.h"

#include <gmime/gmime.h>
#include <glib/gstdio.h>
#include <string.h>

static char *templates_dir;

static const struct {
	const char *content_language;
	const char *text;
	const char *fallback;
	const char *want;
} language_cases[] = {
	{ "ru-RU", "Hello, where is my parcel?", "en", "ru" },
	{ "de, uk;q=0.8", "Hello", "en", "uk" },
	{ "fr", "Hello, I ordered a blue jacket last week and it has not "
	  "arrived yet. Could you tell me where it is?", "ru", "en" },
	{ NULL, "Здравствуйте! Я заказала синюю куртку на прошлой неделе, "
	  "но она до сих пор не пришла. Подскажите, где она сейчас?", "en",
	  "ru" },
	{ NULL, "Добрий день! Я замовила синю куртку минулого тижня, але "
	  "вона досі не прийшла. Підкажіть, будь ласка, де вона зараз?",
	  "en", "uk" },
	{ NULL, "Laba diena, praėjusią savaitę užsisakiau mėlyną striukę, "
	  "bet ji vis dar neatkeliavo. Gal galite pasakyti, kur ji dabar "
	  "yra?", "en", "lt" },
	/* a quoted English mail under a Russian reply is Russian */
	{ NULL, "Спасибо, но посылка так и не пришла, подскажите, что "
	  "делать дальше?\n> Hello, your parcel has been shipped today and "
	  "will arrive\n> within five working days, tracking attached.\n",
	  "en", "ru" },
	{ NULL, "ok", "lt", "lt" },
	{ NULL, NULL, "xx", "en" },
};

static void test_language(void)
{
	struct language *language;
	char *error = NULL;

	g_assert_cmpint(language_open(templates_dir, TEXTCAT_DATADIR,
				      &language, &error), ==, 0);
	for (unsigned int i = 0; i < G_N_ELEMENTS(language_cases); i++) {
		const char *got = language_detect(
			language, language_cases[i].content_language,
			language_cases[i].text, language_cases[i].fallback);

		if (g_strcmp0(got, language_cases[i].want) != 0)
			g_error("case %u: got %s, want %s", i, got,
				language_cases[i].want);
	}
	g_assert_true(language_has(language, "lt"));
	g_assert_false(language_has(language, "de"));
	language_close(&language);
	g_assert_cmpint(language_open("/nonexistent", TEXTCAT_DATADIR,
				      &language, &error), ==, -1);
	g_assert_nonnull(strstr(error, "/nonexistent"));
	g_free(error);
}

static const struct {
	const char *language;
	const char *subject;
	const char *text;
	const char *want;
	const char *answer;	/* a piece of the canned answer, or NULL */
} category_cases[] = {
	{ "en", "Where is my parcel?", "It has not arrived.", "delivery",
	  "tracking number" },
	{ "en", "Refund", "I want to return the shoes.", "returns", NULL },
	{ "en", "Invoice", "Can I pay by card?", "payment", "Visa" },
	{ "en", "Hello", "Just saying hi.", "other", NULL },
	{ "ru", "Где моя посылка?", "Доставка задерживается.", "delivery",
	  "отслеживания" },
	{ "ru", "Оплата", "Можно оплатить картой?", "payment", "Visa" },
	/* "платье" is a dress, not a payment */
	{ "ru", "Платье", "Есть ли это платье в наличии другого размера?",
	  "product", NULL },
	{ "uk", "Повернення", "Хочу повернути товар.", "returns", NULL },
	{ "lt", "Pristatymas", "Kada bus pristatyta siunta?", "delivery",
	  "sekimo" },
	{ "lt", "Klaida", "Negaliu prisijungti prie paskyros.", "technical",
	  NULL },
	{ "xx", "parcel", NULL, "other", NULL },
};

static void test_category(void)
{
	struct category_rules *rules;
	char *error = NULL;

	g_assert_cmpint(category_load(templates_dir, &rules, &error), ==, 0);
	for (unsigned int i = 0; i < G_N_ELEMENTS(category_cases); i++) {
		const char *answer;
		const char *got = category_classify(
			rules, category_cases[i].language,
			category_cases[i].subject, category_cases[i].text,
			&answer);

		if (strcmp(got, category_cases[i].want) != 0)
			g_error("case %u: got %s, want %s", i, got,
				category_cases[i].want);
		if (category_cases[i].answer == NULL)
			g_assert_null(answer);
		else
			g_assert_nonnull(strstr(answer,
						category_cases[i].answer));
	}
	category_free(&rules);
}

static void test_hours_describe(void)
{
	static const char *const en[7] = {
		"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun",
	};
	static const struct {
		const char *schedule;
		const char *want;	/* lines joined by " | " */
	} cases[] = {
		{ "mon-fri 09:00-19:00", "Mon–Fri 09:00–19:00" },
		{ "mon-fri 09:00-13:00,14:00-19:00; sat 10:00-14:00",
		  "Mon–Fri 09:00–13:00, 14:00–19:00 | Sat 10:00–14:00" },
		{ "mon,wed,thu,sun 10:00-11:00",
		  "Mon, Wed, Thu, Sun 10:00–11:00" },
		{ "fri-mon 22:00-06:00", "Mon, Fri–Sun 22:00–06:00" },
		{ "24/7", "Mon–Sun 00:00–24:00" },
	};

	for (unsigned int i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct hours *hours;
		GPtrArray *lines;
		char *joined, *error = NULL;

		g_assert_cmpint(hours_parse(cases[i].schedule, "UTC", NULL,
					    &hours, &error), ==, 0);
		lines = hours_describe(hours, en);
		g_ptr_array_add(lines, NULL);
		joined = g_strjoinv(" | ", (char **)lines->pdata);
		g_assert_cmpstr(joined, ==, cases[i].want);
		g_free(joined);
		g_ptr_array_unref(lines);
		hours_free(&hours);
	}
}

static struct config_queue queue = {
	.name = "sales",
	.address = "sales@shop.test",
	.local_part = "sales",
	.domain = "shop.test",
	.display_name = "Shop Sales",
	.timezone = "Europe/Vilnius",
	.hours = "mon-fri 09:00-19:00; sat 10:00-14:00",
};

static const struct {
	const char *language;
	const char *name;
	bool offset_known;
	int offset;
	const char *want[4];	/* pieces of the decoded text part */
} message_cases[] = {
	/* 2026-11-24 09:00 UTC is Tuesday 11:00 in Vilnius */
	{ "en", "Anna Smith", false, 0,
	  { "Dear Anna Smith,", "Tuesday 24 November, 11:00",
	    "(Europe/Vilnius)", "Mon–Fri 09:00–19:00" } },
	{ "en", "", true, -5 * 3600,
	  { "Hello,", "Tuesday 24 November, 04:00", "your time, UTC-05:00",
	    "Sat 10:00–14:00" } },
	{ "ru", "Анна", true, 3 * 3600,
	  { "Здравствуйте, Анна!", "вторник, 24 ноября, 12:00",
	    "по вашему времени, UTC+03:00", "Пн–Пт 09:00–19:00" } },
	{ "uk", "Олена", false, 0,
	  { "Вітаємо, Олена!", "вівторок, 24 листопада, 11:00",
	    "Сб 10:00–14:00", "[Ticket #42]" } },
	{ "lt", "Jonas", false, 0,
	  { "Sveiki, Jonas!", "lapkričio 24 d. (antradienis), 11:00",
	    "Pr–Pn 09:00–19:00", "Št 10:00–14:00" } },
	/* an address as a name is no name */
	{ "en", "anna@example.com", false, 0,
	  { "Hello,", NULL } },
	/* a hostile name stays words: no header break, no template, and
	   in HTML no markup (checked below) */
	{ "en", "{{queue.address}}\r\nBcc: evil <b>", false, 0,
	  { "Dear {{queue.address}} Bcc: evil <b>,", NULL } },
};

static char *part_text(GMimeObject *part)
{
	GMimeDataWrapper *content = g_mime_part_get_content(GMIME_PART(part));
	GMimeStream *mem = g_mime_stream_mem_new();
	GByteArray *bytes;
	char *text;

	g_mime_data_wrapper_write_to_stream(content, mem);
	bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	text = g_strndup((const char *)bytes->data, bytes->len);
	g_object_unref(mem);
	return text;
}

static void test_message(void)
{
	struct ack_templates *templates;
	struct hours *hours;
	char *error = NULL;

	g_assert_cmpint(ack_templates_load(templates_dir, &templates, &error),
			==, 0);
	g_assert_cmpint(hours_parse(queue.hours, queue.timezone, NULL, &hours,
				    &error), ==, 0);
	for (unsigned int i = 0; i < G_N_ELEMENTS(message_cases); i++) {
		struct ack_input in = {
			.language = message_cases[i].language,
			.ticket_id = 42,
			.ticket_tag = "Ticket",
			.queue = &queue,
			.hours = hours,
			.customer_name = message_cases[i].name,
			.customer_address = "anna@example.com",
			.subject = "Where is my order?",
			.in_reply_to = "m1@example.com",
			.references = "<m0@example.com>",
			.message_id = "ack.42.1.0011223344556677@shop.test",
			.reply_to = "sales+42kabc@shop.test",
			.reply_by = 1795510800, /* 2026-11-24T09:00:00Z */
			.customer_offset_known = message_cases[i].offset_known,
			.customer_offset = message_cases[i].offset,
			.now = 1795420800,
		};
		char *raw = ack_build(templates, &in);
		GMimeStream *stream = g_mime_stream_mem_new_with_buffer(
			raw, strlen(raw));
		GMimeParser *parser = g_mime_parser_new_with_stream(stream);
		GMimeMessage *m = g_mime_parser_construct_message(parser,
								  NULL);
		GMimeObject *body = g_mime_message_get_mime_part(m);
		GMimeObject *object = GMIME_OBJECT(m);
		char *text, *html, *reply_to;

		g_assert_nonnull(m);
		g_assert_cmpstr(g_mime_object_get_header(object,
							 "Auto-Submitted"),
				==, "auto-replied");
		g_assert_cmpstr(g_mime_message_get_message_id(m), ==,
				in.message_id);
		g_assert_cmpstr(g_mime_object_get_header(object,
							 "In-Reply-To"),
				==, "<m1@example.com>");
		g_assert_cmpstr(g_mime_object_get_header(object, "References"),
				==, "<m0@example.com> <m1@example.com>");
		g_assert_cmpstr(g_mime_message_get_subject(m), ==,
				"Re: [Ticket #42] Where is my order?");
		reply_to = internet_address_list_to_string(
			g_mime_message_get_reply_to(m), NULL, FALSE);
		g_assert_cmpstr(reply_to, ==,
				"Shop Sales <sales+42kabc@shop.test>");
		g_free(reply_to);
		g_assert_null(strstr(raw, "\nBcc:"));
		g_assert_cmpint(g_mime_multipart_get_count(
					GMIME_MULTIPART(body)), ==, 2);
		text = part_text(g_mime_multipart_get_part(
					 GMIME_MULTIPART(body), 0));
		html = part_text(g_mime_multipart_get_part(
					 GMIME_MULTIPART(body), 1));
		for (unsigned int w = 0; w < 4 &&
		     message_cases[i].want[w] != NULL; w++) {
			if (strstr(text, message_cases[i].want[w]) == NULL)
				g_error("case %u: no \"%s\" in:\n%s", i,
					message_cases[i].want[w], text);
		}
		g_assert_null(strstr(html, "<b>,"));
		g_free(text);
		g_free(html);
		g_object_unref(m);
		g_object_unref(parser);
		g_object_unref(stream);
		g_free(raw);
	}
	hours_free(&hours);
	ack_templates_free(&templates);
}

static void test_thanks(void)
{
	static const struct {
		const char *text;
		bool thanks;
	} cases[] = {
		{ "Thanks!", true },
		{ "Thank you very much :)\n\n-- \nAnna\n", true },
		{ "ok, thanks\n\nOn Mon, Sales wrote:\n> Your lamp ships\n",
		  true },
		{ "Спасибо большое!", true },
		{ "Дякую.", true },
		{ "Ačiū!", true },
		{ "Thanks, but the lamp is still broken.", false },
		{ "Спасибо, а когда доставка?", false },
		{ "", false },
	};
	struct ack_templates *templates;
	char *error = NULL;

	g_assert_cmpint(ack_templates_load(templates_dir, &templates, &error),
			==, 0);
	for (unsigned int i = 0; i < G_N_ELEMENTS(cases); i++) {
		if (ack_is_thanks(templates, cases[i].text) != cases[i].thanks)
			g_error("case %u: \"%s\" is%s a bare thank-you", i,
				cases[i].text, cases[i].thanks ? "" : " not");
	}
	ack_templates_free(&templates);
}

static void test_bad_templates(void)
{
	char *dir = g_dir_make_tmp("test-ack.XXXXXX", NULL);
	char *lang = g_build_filename(dir, "en", NULL);
	char *path;
	struct ack_templates *templates;
	char *error = NULL;

	g_mkdir(lang, 0700);
	path = g_build_filename(lang, "ack.txt", NULL);
	g_file_set_contents(path, "{{#open}} never closed", -1, NULL);
	g_free(path);
	path = g_build_filename(lang, "language.conf", NULL);
	g_file_set_contents(path, "[date]\nweekdays = Mon\n", -1, NULL);
	g_assert_cmpint(ack_templates_load(dir, &templates, &error), ==, -1);
	g_assert_nonnull(strstr(error, "weekdays: 7 names expected"));
	g_free(error);
	g_unlink(path);
	g_free(path);
	path = g_build_filename(lang, "ack.txt", NULL);
	g_unlink(path);
	g_free(path);
	g_rmdir(lang);
	g_rmdir(dir);
	g_free(lang);
	g_free(dir);
}

int main(int argc, char *argv[])
{
	const char *top = g_getenv("top_srcdir");

	g_test_init(&argc, &argv, NULL);
	g_mime_init();
	templates_dir = g_build_filename(top != NULL ? top : ".", "templates",
					 NULL);
	g_test_add_func("/ack/language", test_language);
	g_test_add_func("/ack/category", test_category);
	g_test_add_func("/ack/hours-describe", test_hours_describe);
	g_test_add_func("/ack/message", test_message);
	g_test_add_func("/ack/thanks", test_thanks);
	g_test_add_func("/ack/bad-templates", test_bad_templates);
	return g_test_run();
}
