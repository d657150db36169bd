/* Tests of msgtext: quoted history and signatures removed from replies
   as real clients write them, HTML turned into text, long text split
   for a messenger's limit.  Tables: one row per case. */

#include "msgtext.h"

#include <glib.h>
#include <string.h>

struct strip_case {
	const char *name;
	const char *in;
	const char *out;
};

static const struct strip_case strip_cases[] = {
	{ "plain", "Hello,\nyour parcel left today.\n",
	  "Hello,\nyour parcel left today." },
	{ "crlf", "Hello,\r\n\r\nthanks\r\n", "Hello,\n\nthanks" },
	{ "top-posted with s-nail attribution",
	  "We send a new lamp.\n\nOn Mon, 01 Jun 2026 10:00:00 +0300, "
	  "Ivan wrote:\n> My lamp is broken.\n> Help!\n",
	  "We send a new lamp." },
	{ "attribution wrapped over two lines",
	  "Yes.\n\nOn Mon, 1 Jun 2026 at 10:00, Ivan Petrov <\n"
	  "ivan@example.com> wrote:\n\n> Can it come Friday?\n",
	  "Yes." },
	{ "interleaved answers are kept",
	  "On Mon, Ivan wrote:\n> Can it come Friday?\nYes, Friday.\n"
	  "> And the colour?\nBlue.\n",
	  "Yes, Friday.\nBlue." },
	{ "Russian attribution",
	  "Отправили.\n\n1 июня 2026 г., Иван пишет:\n> Где заказ?\n",
	  "Отправили." },
	{ "German attribution",
	  "Ja.\n\nAm 01.06.2026 um 10:00 schrieb Ivan:\n> Wann?\n", "Ja." },
	{ "Gmail in another language",
	  "Да.\n\nпн, 1 июн. 2026 г. в 10:00, Иван <ivan@example.com>:\n\n"
	  "> Где?\n", "Да." },
	{ "a sentence ending in wrote: without quote stays",
	  "The manual wrote:\nturn it off first.\n",
	  "The manual wrote:\nturn it off first." },
	{ "a last line ending in wrote: stays",
	  "Our supplier wrote:\n", "Our supplier wrote:" },
	{ "signature",
	  "See you.\n\n-- \nAnn Lee\nShop Example\n", "See you." },
	{ "signature without trailing space",
	  "See you.\n--\nAnn\n", "See you." },
	{ "two dashes inside a line are text",
	  "Sizes -- S and M -- are left.\n",
	  "Sizes -- S and M -- are left." },
	{ "Outlook original message",
	  "Done.\n\n-----Original Message-----\nFrom: Ivan\nSent: Monday\n"
	  "Hi\n", "Done." },
	{ "Outlook header block",
	  "Done.\n\n________________________________\nFrom: Ivan Petrov\n"
	  "Sent: Monday, June 1, 2026 10:00\nTo: Sales\nHi\n", "Done." },
	{ "From:/Sent: block without rule", "Ok.\nFrom: Ivan\nSent: today\n"
	  "old text\n", "Ok." },
	{ "blank lines collapse, edges trimmed",
	  "\n\n\nA\n\n\n\nB\n\n\n", "A\n\nB" },
	{ "only a quote", "> just the quote\n", "" },
	{ "empty", "", "" },
};

static void test_strip(gconstpointer data)
{
	const struct strip_case *c = data;
	char *out = msgtext_strip(c->in);

	g_assert_cmpstr(out, ==, c->out);
	g_free(out);
}

struct html_case {
	const char *name;
	const char *in;
	const char *out;
};

static const struct html_case html_cases[] = {
	{ "paragraphs", "<p>Hello,</p><p>your parcel left.</p>",
	  "Hello,\n\nyour parcel left." },
	{ "br and whitespace", "<div>One<br>two   three\n four</div>",
	  "One\ntwo three four" },
	{ "entities and UTF-8", "<p>Ждём&nbsp;фото &amp; чек</p>",
	  "Ждём\xc2\xa0фото & чек" },
	{ "list", "<ul><li>a</li><li>b</li></ul>", "- a\n- b" },
	{ "link keeps its address",
	  "<p>See <a href=\"https://shop.example/t/1\">tracking</a>.</p>",
	  "See tracking <https://shop.example/t/1>." },
	{ "bare link once", "<a href=\"https://x.example/\">"
	  "https://x.example/</a>", "https://x.example/" },
	{ "style and script gone",
	  "<html><head><title>t</title><style>p{}</style></head>"
	  "<body><script>x()</script><p>Text</p></body></html>", "Text" },
	{ "blockquote gone", "<p>Yes.</p><blockquote type=\"cite\">"
	  "<p>Friday?</p></blockquote>", "Yes." },
	{ "Gmail quote gone",
	  "<div dir=\"ltr\">Sure.</div><br><div class=\"gmail_quote\">"
	  "<div class=\"gmail_attr\">On Mon, Ivan wrote:<br></div>"
	  "<blockquote class=\"gmail_quote\">old</blockquote></div>",
	  "Sure." },
	{ "Outlook history gone",
	  "<div>Done.</div><div id=\"divRplyFwdMsg\"><b>From:</b> Ivan"
	  "</div><div>old text</div>", "Done." },
	{ "pre keeps spaces", "<pre>a  b\n  c</pre>", "a  b\n  c" },
	{ "not even HTML", "just words", "just words" },
	{ "empty", "", "" },
};

static void test_html(gconstpointer data)
{
	const struct html_case *c = data;
	char *out = msgtext_from_html(c->in);

	g_assert_cmpstr(out, ==, c->out);
	g_free(out);
}

struct split_case {
	const char *name;
	const char *in;
	unsigned int limit;
	const char *pieces[6];	/* NULL-terminated */
};

static const struct split_case split_cases[] = {
	{ "fits", "short text", 20, { "short text", NULL } },
	{ "at a line break", "first line\nsecond line\nthird", 24,
	  { "first line\nsecond line", "third", NULL } },
	{ "at a space", "aaaa bbbb cccc dddd", 10,
	  { "aaaa bbbb", "cccc dddd", NULL } },
	{ "hard cut", "abcdefghij", 4, { "abcd", "efgh", "ij", NULL } },
	{ "line break too early is not used", "a\nbbbbbbbbbbbb", 8,
	  { "a\nbbbbbb", "bbbbbb", NULL } },
	/* U+1F600 is two UTF-16 units, Cyrillic one */
	{ "UTF-16 units", "\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80",
	  4, { "\xf0\x9f\x98\x80\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80",
	       NULL } },
	{ "Cyrillic whole characters", "ЖЖЖЖЖ", 2,
	  { "ЖЖ", "ЖЖ", "Ж", NULL } },
	{ "whitespace-only pieces dropped", "abc\n\n\n\n\n\n\ndef", 4,
	  { "abc", "def", NULL } },
	{ "empty", "", 10, { NULL } },
};

static void test_split(gconstpointer data)
{
	const struct split_case *c = data;
	GPtrArray *pieces = msgtext_split(c->in, c->limit);
	unsigned int n = 0;

	while (c->pieces[n] != NULL)
		n++;
	for (unsigned int i = 0; i < pieces->len && i < n; i++)
		g_assert_cmpstr(pieces->pdata[i], ==, c->pieces[i]);
	g_assert_cmpuint(pieces->len, ==, n);
	g_ptr_array_unref(pieces);
}

/* A long reply: every piece within 4096 units, nothing lost but the
   whitespace at the cuts. */
static void test_split_long(void)
{
	GString *text = g_string_new(NULL);
	GString *joined = g_string_new(NULL);
	GPtrArray *pieces;
	char *a, *b;

	for (unsigned int i = 0; i < 900; i++)
		g_string_append_printf(text, "line %u of the reply\n", i);
	pieces = msgtext_split(text->str, 4096);
	g_assert_cmpuint(pieces->len, >, 3);
	for (unsigned int i = 0; i < pieces->len; i++) {
		g_assert_cmpuint(g_utf8_strlen(pieces->pdata[i], -1), <=,
				 4096);
		g_string_append(joined, pieces->pdata[i]);
		g_string_append_c(joined, '\n');
	}
	a = g_strdelimit(g_strdup(text->str), "\n", ' ');
	b = g_strdelimit(g_strdup(joined->str), "\n", ' ');
	g_assert_cmpstr(a, ==, b);
	g_free(a);
	g_free(b);
	g_ptr_array_unref(pieces);
	g_string_free(text, TRUE);
	g_string_free(joined, TRUE);
}

int main(int argc, char *argv[])
{
	g_test_init(&argc, &argv, NULL);
	for (unsigned int i = 0; i < G_N_ELEMENTS(strip_cases); i++) {
		char *path = g_strdup_printf("/msgtext/strip/%s",
					     strip_cases[i].name);
		g_test_add_data_func(path, &strip_cases[i], test_strip);
		g_free(path);
	}
	for (unsigned int i = 0; i < G_N_ELEMENTS(html_cases); i++) {
		char *path = g_strdup_printf("/msgtext/html/%s",
					     html_cases[i].name);
		g_test_add_data_func(path, &html_cases[i], test_html);
		g_free(path);
	}
	for (unsigned int i = 0; i < G_N_ELEMENTS(split_cases); i++) {
		char *path = g_strdup_printf("/msgtext/split/%s",
					     split_cases[i].name);
		g_test_add_data_func(path, &split_cases[i], test_split);
		g_free(path);
	}
	g_test_add_func("/msgtext/split/long", test_split_long);
	return g_test_run();
}
