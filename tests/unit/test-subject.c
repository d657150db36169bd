/* Table-driven tests of subject lines (Postfix ptest style: a table of
   inputs and expected outputs, one GTest case per row): prefixes of
   every supported language, counters, tags anywhere, words that only
   look like prefixes, white space, invalid UTF-8, tag placement, and
   megabyte subjects (a quadratic regression would take hours). */

#include "subject.h"

#include <glib.h>
#include <string.h>

#define TAG "Ticket"

/* U+FFFD, what invalid bytes become */
#define BAD "\xef\xbf\xbd"

struct normalize_case {
	const char *in;
	const char *want;
	const char *tag;	/* NULL: TAG */
};

static const struct normalize_case normalize_cases[] = {
	{ "Where is my order", "where is my order", NULL },
	{ "Re: Where is my order", "where is my order", NULL },
	{ "RE: re: rE:Where is my order", "where is my order", NULL },
	{ "Re:Re:Re:x", "x", NULL },
	/* English and what most clients write */
	{ "Fwd: x", "x", NULL },
	{ "FWD: x", "x", NULL },
	{ "FW: x", "x", NULL },
	{ "Fw: x", "x", NULL },
	/* German, Dutch */
	{ "AW: Bestellung", "bestellung", NULL },
	{ "Aw: Bestellung", "bestellung", NULL },
	{ "WG: Bestellung", "bestellung", NULL },
	{ "Wtr: Bestellung", "bestellung", NULL },
	{ "Antw: bestelling", "bestelling", NULL },
	{ "Doorst: bestelling", "bestelling", NULL },
	/* Nordic, Finnish, Estonian */
	{ "SV: x", "x", NULL },
	{ "VS: x", "x", NULL },
	{ "VB: x", "x", NULL },
	{ "VL: x", "x", NULL },
	{ "Edasi: x", "x", NULL },
	/* French, with its space before the colon */
	{ "TR: commande", "commande", NULL },
	{ "RE : commande", "commande", NULL },
	{ "RE\xc2\xa0: commande", "commande", NULL },		/* U+00A0 */
	{ "RE\xe2\x80\xaf: commande", "commande", NULL },	/* U+202F */
	{ "Réf: commande", "commande", NULL },
	{ "RÉF : commande", "commande", NULL },
	{ "Re\xcc\x81" "f: commande", "commande", NULL },	/* NFD é */
	{ "Ref: commande", "commande", NULL },
	/* Spanish, Portuguese, Italian */
	{ "RV: pedido", "pedido", NULL },
	{ "RES: pedido", "pedido", NULL },
	{ "ENC: pedido", "pedido", NULL },
	{ "Enc: pedido", "pedido", NULL },
	{ "R: ordine", "ordine", NULL },
	{ "I: ordine", "ordine", NULL },
	{ "Rif: ordine", "ordine", NULL },
	/* Polish, Czech, Hungarian */
	{ "Odp: zamówienie", "zamówienie", NULL },
	{ "ODP: zamówienie", "zamówienie", NULL },
	{ "PD: zamówienie", "zamówienie", NULL },
	{ "PŘ: objednávka", "objednávka", NULL },
	{ "VÁ: rendelés", "rendelés", NULL },
	{ "TOV: rendelés", "rendelés", NULL },
	/* Russian */
	{ "Отв: Заказ", "заказ", NULL },
	{ "ОТВ: Заказ", "заказ", NULL },
	{ "Ответ: Заказ", "заказ", NULL },
	{ "ОТВЕТ: Заказ", "заказ", NULL },
	{ "Пересл: Заказ", "заказ", NULL },
	{ "Перес: Заказ", "заказ", NULL },
	/* Ukrainian */
	{ "Відп: замовлення", "замовлення", NULL },
	{ "ВІДП: замовлення", "замовлення", NULL },
	{ "Відповідь: замовлення", "замовлення", NULL },
	{ "ПЕРЕСЛ: замовлення", "замовлення", NULL },
	{ "Переслати: замовлення", "замовлення", NULL },
	/* Lithuanian, Latvian */
	{ "Ats: užsakymas", "užsakymas", NULL },
	{ "ATS: užsakymas", "užsakymas", NULL },
	{ "Atsakyti: užsakymas", "užsakymas", NULL },
	{ "Persiųsti: užsakymas", "užsakymas", NULL },
	{ "PERSIŲSTI: užsakymas", "užsakymas", NULL },
	{ "Pers: užsakymas", "užsakymas", NULL },
	{ "Atb: pasūtījums", "pasūtījums", NULL },
	{ "Pārs: pasūtījums", "pasūtījums", NULL },
	/* Greek, Turkish, Hebrew, Arabic */
	{ "ΑΠ: x", "x", NULL },
	{ "Απ: x", "x", NULL },
	{ "ΣΧΕΤ: x", "x", NULL },
	{ "ΠΡΘ: x", "x", NULL },
	{ "YNT: sipariş", "sipariş", NULL },
	{ "İLT: sipariş", "sipariş", NULL },
	{ "ILT: sipariş", "sipariş", NULL },
	{ "השב: x", "x", NULL },
	{ "הועבר: x", "x", NULL },
	{ "رد: x", "x", NULL },
	/* Chinese, Japanese, Korean; the full-width colon */
	{ "回复：订单", "订单", NULL },
	{ "回复: 订单", "订单", NULL },
	{ "答复：订单", "订单", NULL },
	{ "转发：订单", "订单", NULL },
	{ "轉寄：訂單", "訂單", NULL },
	{ "返信: 注文", "注文", NULL },
	{ "転送: 注文", "注文", NULL },
	{ "회신: 주문", "주문", NULL },
	{ "전달: 주문", "주문", NULL },
	{ "Re： full-width colon", "full-width colon", NULL },
	{ "ＲＥ：ｆｕｌｌ－ｗｉｄｔｈ", "full-width", NULL },
	/* counters */
	{ "Re[2]: x", "x", NULL },
	{ "Re(3): x", "x", NULL },
	{ "RE^2: x", "x", NULL },
	{ "Re[10]: Re(2): AW[3]: x", "x", NULL },
	{ "Re[2] : x", "x", NULL },
	{ "Re 2: x", "re 2: x", NULL },
	{ "Re[]: x", "re[]: x", NULL },
	{ "Re[2: x", "re[2: x", NULL },
	{ "Re(2]: x", "re(2]: x", NULL },
	{ "Re^: x", "re^: x", NULL },
	{ "Re[x]: x", "re[x]: x", NULL },
	/* nested and mixed */
	{ "Re: AW: Fwd: Отв: x", "x", NULL },
	{ "RE: SV: Odp: Відп: Ats: 回复：x", "x", NULL },
	{ "Re:AW:Re:AW:x", "x", NULL },
	{ "Fwd: Re: Fwd: Re:  Fwd:Re: x", "x", NULL },
	/* the tag, wherever it is */
	{ "[Ticket #12] Re: x", "x", NULL },
	{ "Re: [Ticket #12] x", "x", NULL },
	{ "Re: [Ticket #12] AW: x", "x", NULL },
	{ "x [Ticket #12]", "x", NULL },
	{ "x [Ticket #12] y", "x y", NULL },
	{ "a[Ticket #1]b", "a b", NULL },
	{ "[Ticket #12][Ticket #13]x", "x", NULL },
	{ "Re: [ticket #12] [TICKET#12] x [Ticket #3] y", "x y", NULL },
	{ "[ Ticket # 12 ] x", "x", NULL },
	{ "[Заявка #5] x", "x", "Заявка" },
	{ "[ЗАЯВКА #5] x", "x", "заявка" },
	{ "[STRASSE #5] x", "x", "Straße" },
	/* what is not the tag stays */
	{ "[Other #12] x", "[other #12] x", NULL },
	{ "[Tickets #12] x", "[tickets #12] x", NULL },
	{ "[Tick #12] x", "[tick #12] x", NULL },
	{ "[MyTicket #12] x", "[myticket #12] x", NULL },
	{ "[Ticket #0] x", "[ticket #0] x", NULL },
	{ "[Ticket #012] x", "[ticket #012] x", NULL },
	{ "[Ticket #4294967296] x", "[ticket #4294967296] x", NULL },
	{ "[Ticket 12] x", "[ticket 12] x", NULL },
	{ "[Ticket #12 x", "[ticket #12 x", NULL },
	{ "[Ticket #12] x", "[ticket #12] x", "Other" },
	/* list tags are kept, and so is what follows them */
	{ "[users] Re: x", "[users] re: x", NULL },
	/* words that only start like a prefix; prefixes not in front */
	{ "Refund for order", "refund for order", NULL },
	{ "Return: damaged item", "return: damaged item", NULL },
	{ "Réfrigérateur cassé", "réfrigérateur cassé", NULL },
	{ "Rex: not a prefix", "rex: not a prefix", NULL },
	{ "Resume: x", "resume: x", NULL },
	{ "Important: x", "important: x", NULL },
	{ "Encore: x", "encore: x", NULL },
	{ "Atsakymas: x", "atsakymas: x", NULL },
	{ "Ответить: x", "ответить: x", NULL },
	{ "Re x", "re x", NULL },
	{ "Re", "re", NULL },
	{ "Order Re: x", "order re: x", NULL },
	/* white space */
	{ "  lots \t of\r\n\t   white   space  ", "lots of white space",
	  NULL },
	{ "Re:\r\n\tx", "x", NULL },
	{ "a\xc2\xa0" "b", "a b", NULL },			/* U+00A0 */
	{ "a\xe3\x80\x80" "b", "a b", NULL },			/* U+3000 */
	{ "\t", "", NULL },
	{ "", "", NULL },
	{ "   ", "", NULL },
	{ "Re:", "", NULL },
	{ "Re: Re:", "", NULL },
	{ "[Ticket #1]", "", NULL },
	/* case folding and compatibility forms */
	{ "ЗАКАЗ 5", "заказ 5", NULL },
	{ "STRASSE", "strasse", NULL },
	{ "Straße", "strasse", NULL },
	{ "ΣΟΦΟΣ", "σοφοσ", NULL },
	{ "Cafe\xcc\x81", "café", NULL },
	{ "Ｏｒｄｅｒ", "order", NULL },
	/* invalid UTF-8 */
	{ "invalid \xff\xfe utf-8", "invalid " BAD BAD " utf-8", NULL },
	{ "\xff", BAD, NULL },
	{ "Re: \xc3", BAD, NULL },
	{ "Re\xff: x", "re" BAD ": x", NULL },
	{ "[Ticket #1\xff] x", "[ticket #1" BAD "] x", NULL },
	{ "Re: \xe2\x82", BAD BAD, NULL },
};

static void test_normalize(gconstpointer data)
{
	const struct normalize_case *c = data;
	char *got = subject_normalize(c->in, c->tag != NULL ? c->tag : TAG);

	g_assert_cmpstr(got, ==, c->want);
	g_free(got);
}

/* Tagging a subject must not change what it compares as. */
static void test_tag_keeps_normal(gconstpointer data)
{
	const struct normalize_case *c = data;
	const char *tag = c->tag != NULL ? c->tag : TAG;
	char *tagged = subject_add_tag(c->in, tag, 77);
	char *got = subject_normalize(tagged, tag);
	uint32_t id = 0;

	g_assert_cmpstr(got, ==, c->want);
	g_assert_cmpint(subject_find_tag(tagged, tag, &id), ==, 1);
	g_free(got);
	g_free(tagged);
}

struct find_case {
	const char *in;
	int found;
	uint32_t id;
	const char *tag;	/* NULL: TAG */
};

static const struct find_case find_cases[] = {
	{ "[Ticket #12] hello", 1, 12, NULL },
	{ "Re: hello [ticket #7]", 1, 7, NULL },
	{ "[TICKET #7]", 1, 7, NULL },
	{ "[Ticket #1]", 1, 1, NULL },
	/* blanks between the parts are optional */
	{ "[Ticket#9] no space", 1, 9, NULL },
	{ "[Ticket  #9]", 1, 9, NULL },
	{ "[ Ticket # 9 ]", 1, 9, NULL },
	{ "[Ticket\t#9]", 1, 9, NULL },
	{ "[Ticket 9]", 0, 0, NULL },
	/* the number */
	{ "[Ticket #0] zero", 0, 0, NULL },
	{ "[Ticket #012] leading zero", 0, 0, NULL },
	{ "[Ticket #4294967295] max", 1, 4294967295u, NULL },
	{ "[Ticket #4294967296] overflow", 0, 0, NULL },
	{ "[Ticket #99999999999999999999] overflow", 0, 0, NULL },
	{ "[Ticket #12x]", 0, 0, NULL },
	{ "[Ticket #-1]", 0, 0, NULL },
	{ "[Ticket #+1]", 0, 0, NULL },
	{ "[Ticket #\xef\xbc\x91\xef\xbc\x92]", 0, 0, NULL },	/* "１２" */
	{ "[Ticket #]", 0, 0, NULL },
	/* the frame */
	{ "[Ticket #12 unterminated", 0, 0, NULL },
	{ "Ticket #12", 0, 0, NULL },
	{ "[Ticket #", 0, 0, NULL },
	{ "[", 0, 0, NULL },
	{ "", 0, 0, NULL },
	{ "[[Ticket #5]]", 1, 5, NULL },
	/* the name */
	{ "[Other #12] other tag", 0, 0, NULL },
	{ "[Tick #12] shorter", 0, 0, NULL },
	{ "[Tickets #12] longer", 0, 0, NULL },
	{ "[MyTicket #12]", 0, 0, NULL },
	{ "[Заявка #3]", 1, 3, "Заявка" },
	{ "[ЗАЯВКА #3]", 1, 3, "Заявка" },
	{ "[STRASSE #4]", 1, 4, "Straße" },
	{ "[straße #4]", 1, 4, "Straße" },
	{ "[Strasse #4]", 1, 4, "STRASSE" },
	/* the first valid one counts */
	{ "[x] [Ticket #5] [Ticket #6]", 1, 5, NULL },
	{ "[Ticket #0] [Ticket #6]", 1, 6, NULL },
	{ "\xff[Ticket #5]\xfe", 1, 5, NULL },
};

static void test_find_tag(gconstpointer data)
{
	const struct find_case *c = data;
	uint32_t id = 0;

	g_assert_cmpint(subject_find_tag(c->in, c->tag != NULL ? c->tag : TAG,
					 &id), ==, c->found);
	if (c->found)
		g_assert_cmpuint(id, ==, c->id);
}

struct add_case {
	const char *in;
	uint32_t id;
	const char *want;
	const char *tag;	/* NULL: TAG */
};

static const struct add_case add_cases[] = {
	{ "Where is my order", 12, "[Ticket #12] Where is my order", NULL },
	{ "Re: Where is my order", 12, "Re: [Ticket #12] Where is my order",
	  NULL },
	/* prefixes kept as written */
	{ "RE: AW:  x", 3, "RE: AW: [Ticket #3] x", NULL },
	{ "Re:x", 3, "Re: [Ticket #3] x", NULL },
	{ "RE :x", 3, "RE : [Ticket #3] x", NULL },
	{ "Re[2]: Отв: x", 5, "Re[2]: Отв: [Ticket #5] x", NULL },
	{ "回复：你好", 5, "回复： [Ticket #5] 你好", NULL },
	{ " Re: x", 5, " Re: [Ticket #5] x", NULL },
	/* already there: a copy */
	{ "Re: [Ticket #12] already", 12, "Re: [Ticket #12] already", NULL },
	{ "already [ticket #12] inside", 12, "already [ticket #12] inside",
	  NULL },
	{ "[TICKET#12] retyped", 12, "[TICKET#12] retyped", NULL },
	/* another ticket's tag: added anyway */
	{ "[Ticket #11] other ticket", 12,
	  "[Ticket #12] [Ticket #11] other ticket", NULL },
	{ "Re: [Ticket #11] x", 12, "Re: [Ticket #12] [Ticket #11] x", NULL },
	{ "[Ticket #112] x", 12, "[Ticket #12] [Ticket #112] x", NULL },
	{ "[Ticket #0] x", 12, "[Ticket #12] [Ticket #0] x", NULL },
	/* empty and odd */
	{ "", 1, "[Ticket #1]", NULL },
	{ "   ", 1, "[Ticket #1]", NULL },
	{ "Re:", 1, "Re: [Ticket #1]", NULL },
	{ "Re: ", 1, "Re: [Ticket #1]", NULL },
	{ "Refund", 2, "[Ticket #2] Refund", NULL },
	{ "Return: x", 2, "[Ticket #2] Return: x", NULL },
	{ "x Re: y", 2, "[Ticket #2] x Re: y", NULL },
	{ "Re: x", 4294967295u, "Re: [Ticket #4294967295] x", NULL },
	{ "Re: \xff x", 2, "Re: [Ticket #2] " BAD " x", NULL },
	/* another tag name */
	{ "Отв: x", 7, "Отв: [Заявка #7] x", "Заявка" },
	{ "Отв: [ЗАЯВКА #7] x", 7, "Отв: [ЗАЯВКА #7] x", "Заявка" },
};

static void test_add_tag(gconstpointer data)
{
	const struct add_case *c = data;
	const char *tag = c->tag != NULL ? c->tag : TAG;
	char *got = subject_add_tag(c->in, tag, c->id);
	char *again = subject_add_tag(got, tag, c->id);

	g_assert_cmpstr(got, ==, c->want);
	g_assert_cmpstr(again, ==, got);	/* idempotent */
	g_free(again);
	g_free(got);
}

/* Shapes of input that could make a naive scanner quadratic: the unit
   repeated, then the tail.  want is the result for a megabyte of it
   (NULL: the input case-folded, trimmed), which proves all of it was
   read. */
static const struct huge_case {
	const char *unit;
	const char *tail;
	const char *want;
} huge_cases[] = {
	{ "Re: ", "x", "x" },
	{ "Отв: ", "x", "x" },
	{ "[Ticket #1] ", "x", "x" },
	{ "Re[1]: [Ticket #2] ", "x", "x" },
	{ "[x] ", "", NULL },
	{ "[Ticket ", "", NULL },
	{ "[Ticket #", "", NULL },
	{ "[[[[", "", NULL },
	{ "a", "", NULL },
	{ "Re", ":", NULL },
	{ "Re[1", "]:", NULL },
	{ " ", "x", "x" },
	{ "\xff", "", NULL },
};

static char *repeat(const struct huge_case *c, size_t size)
{
	GString *s = g_string_sized_new(size + strlen(c->tail));

	while (s->len < size)
		g_string_append(s, c->unit);
	g_string_append(s, c->tail);
	return g_string_free(s, FALSE);
}

static void test_huge(gconstpointer data)
{
	const struct huge_case *c = data;
	char *s = repeat(c, 1024 * 1024);
	char *valid = g_utf8_make_valid(s, -1);
	char *folded = g_utf8_casefold(valid, -1);
	char *got;

	got = subject_normalize(s, TAG);
	g_assert_cmpstr(got, ==,
			c->want != NULL ? c->want : g_strstrip(folded));
	g_free(got);
	got = subject_add_tag(s, TAG, 9);
	g_assert_nonnull(strstr(got, "[Ticket #9]"));
	g_free(got);
	g_free(folded);
	g_free(valid);
	g_free(s);
}

#define ADD_TABLE(prefix, table, func)					\
	for (unsigned int i = 0; i < G_N_ELEMENTS(table); i++) {	\
		char *path = g_strdup_printf(prefix "/%u", i);		\
									\
		g_test_add_data_func(path, &table[i], func);		\
		g_free(path);						\
	}

int main(int argc, char *argv[])
{
	g_test_init(&argc, &argv, NULL);
	ADD_TABLE("/subject/normalize", normalize_cases, test_normalize);
	ADD_TABLE("/subject/tag-keeps-normal", normalize_cases,
		  test_tag_keeps_normal);
	ADD_TABLE("/subject/find-tag", find_cases, test_find_tag);
	ADD_TABLE("/subject/add-tag", add_cases, test_add_tag);
	ADD_TABLE("/subject/huge", huge_cases, test_huge);
	return g_test_run();
}
