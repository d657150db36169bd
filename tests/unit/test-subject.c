/* Table-driven tests of subject normalization, tag finding and tag
   placement (Postfix ptest style: inputs and expected outputs). */

#include "subject.h"

#include <glib.h>
#include <string.h>

static const struct {
	const char *in;
	const char *want;
} normalize_cases[] = {
	{ "Where is my order", "where is my order" },
	{ "Re: Where is my order", "where is my order" },
	{ "RE: re: Re:Where is my order", "where is my order" },
	{ "Fwd: FW: Fw: where is my order", "where is my order" },
	{ "AW: WG: Wtr: Antw: bestellung", "bestellung" },		/* de, nl */
	{ "TR: RE: Réf: commande", "commande" },			/* fr */
	{ "RV: RE: Rif: ENC: pedido", "pedido" },			/* es, it, pt */
	{ "Отв: Ответ: Пересл: Заказ", "заказ" },			/* ru */
	{ "Відп: Відповідь: ПЕРЕСЛ: замовлення", "замовлення" },	/* uk */
	{ "Ats: ATS: Persiųsti: užsakymas", "užsakymas" },		/* lt */
	{ "SV: VS: Odp: PD: x", "x" },
	{ "Re[2]: Re(3): RE^4: order", "order" },
	{ "Re : spaced colon", "spaced colon" },
	{ "Re： full-width colon", "full-width colon" },
	{ "[Ticket #12] Re: tagged first", "tagged first" },
	{ "Re: [Ticket #12] tagged", "tagged" },
	{ "Re: [ticket #12] [TICKET#12] tags anywhere [Ticket #3] end",
	  "tags anywhere end" },
	{ "[Other #12] not our tag", "[other #12] not our tag" },
	{ "Refund for order", "refund for order" },
	{ "Return: damaged item", "return: damaged item" },
	{ "Réfrigérateur cassé", "réfrigérateur cassé" },
	{ "Rex: not a prefix", "rex: not a prefix" },
	{ "  lots \t of\r\n\t   white   space  ", "lots of white space" },
	{ "", "" },
	{ "Re: ", "" },
	{ "Re: Re:", "" },
	{ "ЗАКАЗ №5", "заказ №5" },
	{ "invalid \xff\xfe utf-8", "invalid \xef\xbf\xbd\xef\xbf\xbd utf-8" },
};

static void test_normalize(void)
{
	for (unsigned int i = 0; i < G_N_ELEMENTS(normalize_cases); i++) {
		char *got = subject_normalize(normalize_cases[i].in, "Ticket");

		if (g_strcmp0(got, normalize_cases[i].want) != 0)
			g_error("normalize(\"%s\") = \"%s\", want \"%s\"",
				normalize_cases[i].in, got,
				normalize_cases[i].want);
		g_free(got);
	}
}

static const struct {
	const char *in;
	int found;
	uint32_t id;
} find_cases[] = {
	{ "[Ticket #12] hello", 1, 12 },
	{ "Re: hello [ticket #7]", 1, 7 },
	{ "[Ticket#9] no space", 1, 9 },
	{ "[ Ticket #9] space inside the bracket", 0, 0 },
	{ "[Ticket # 9 ] spaces around", 1, 9 },
	{ "[Ticket #0] zero", 0, 0 },
	{ "[Ticket #012] leading zero", 0, 0 },
	{ "[Ticket #4294967295] max", 1, 4294967295u },
	{ "[Ticket #4294967296] overflow", 0, 0 },
	{ "[Ticket #99999999999999999999] overflow", 0, 0 },
	{ "[Ticket #12 unterminated", 0, 0 },
	{ "[Other #12] other tag", 0, 0 },
	{ "[Tick #12] shorter tag", 0, 0 },
	{ "[x] [Ticket #5] [Ticket #6]", 1, 5 },
	{ "", 0, 0 },
};

static void test_find_tag(void)
{
	for (unsigned int i = 0; i < G_N_ELEMENTS(find_cases); i++) {
		uint32_t id = 0;
		int found = subject_find_tag(find_cases[i].in, "Ticket", &id);

		if (found != find_cases[i].found ||
		    (found && id != find_cases[i].id))
			g_error("find_tag(\"%s\") = %d/%u, want %d/%u",
				find_cases[i].in, found, id,
				find_cases[i].found, find_cases[i].id);
	}
}

static const struct {
	const char *in;
	uint32_t id;
	const char *want;
} add_cases[] = {
	{ "Where is my order", 12, "[Ticket #12] Where is my order" },
	{ "Re: Where is my order", 12, "Re: [Ticket #12] Where is my order" },
	{ "RE: AW:  x", 3, "RE: AW: [Ticket #3] x" },
	{ "Re: [Ticket #12] already", 12, "Re: [Ticket #12] already" },
	{ "already [ticket #12] inside", 12, "already [ticket #12] inside" },
	{ "[Ticket #11] other ticket", 12,
	  "[Ticket #12] [Ticket #11] other ticket" },
	{ "", 1, "[Ticket #1]" },
	{ "Re:", 1, "Re: [Ticket #1]" },
	{ "Refund", 2, "[Ticket #2] Refund" },
};

static void test_add_tag(void)
{
	for (unsigned int i = 0; i < G_N_ELEMENTS(add_cases); i++) {
		char *got = subject_add_tag(add_cases[i].in, "Ticket",
					    add_cases[i].id);

		if (g_strcmp0(got, add_cases[i].want) != 0)
			g_error("add_tag(\"%s\", %u) = \"%s\", want \"%s\"",
				add_cases[i].in, add_cases[i].id, got,
				add_cases[i].want);
		g_free(got);
	}
}

static void test_huge_subject(void)
{
	/* a megabyte of prefixes and brackets stays linear and sane */
	GString *s = g_string_new(NULL);
	char *got;

	for (unsigned int i = 0; i < 100000; i++)
		g_string_append(s, "[x] ");
	got = subject_normalize(s->str, "Ticket");
	g_assert_cmpuint(strlen(got), ==, 100000 * 4 - 1);
	g_free(got);
	g_string_free(s, TRUE);
}

int main(int argc, char *argv[])
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/subject/normalize", test_normalize);
	g_test_add_func("/subject/find-tag", test_find_tag);
	g_test_add_func("/subject/add-tag", test_add_tag);
	g_test_add_func("/subject/huge", test_huge_subject);
	return g_test_run();
}
