/* Agents' command lines, a table of texts and HTML documents with the
   commands each must yield and what the customer must still see. */

#include "command.h"

#include <string.h>

static const struct {
	const char *text;
	const char *commands;	/* "kind:arg ..." as listed below */
	const char *rest;	/* NULL: nothing removed */
	const char *unknown;
} text_cases[] = {
	{ "#close\nThank you for your patience.\n", "status:closed",
	  "Thank you for your patience.\n", NULL },
	{ "#resolve\r\n#assign Ann\r\n\r\nDone.\r\n",
	  "status:resolved assign:ann", "Done.\r\n", NULL },
	{ "\n#pending\n#category returns\nPlease send it back.",
	  "status:pending category:returns", "Please send it back.", NULL },
	{ "#note\nCustomer is a VIP.", "note", "Customer is a VIP.", NULL },
	{ "#OPEN\nok", "status:open", "ok", NULL },
	/* prose first: nothing is a command */
	{ "Hello,\n#close\n", "", NULL, NULL },
	/* "#1 seller" in the text is no command, and ends them */
	{ "#1 seller here\n", "", NULL, "#1 seller here" },
	/* unknown: reported, stays, and ends the commands */
	{ "#close\n#clsoe\nText", "status:closed", "#clsoe\nText", "#clsoe" },
	{ "#assign\nText", "", NULL, "#assign" },
	{ "#assign ann bob\nText", "", NULL, "#assign ann bob" },
	{ "#category shoes\nText", "", NULL, "#category shoes" },
	{ "#close now\nText", "", NULL, "#close now" },
	/* not UTF-8 (found by tests/fuzz: the name went into the store) */
	{ "#close\n#assign \x9b\x91n\nText", "status:closed",
	  "#assign \x9b\x91n\nText", "#assign \xef\xbf\xbd\xef\xbf\xbd" "n" },
	{ "", "", NULL, NULL },
};

static char *describe(const struct command_list *list)
{
	static const char *const kinds[] = {
		[COMMAND_STATUS] = "status", [COMMAND_ASSIGN] = "assign",
		[COMMAND_NOTE] = "note", [COMMAND_CATEGORY] = "category",
	};
	GString *out = g_string_new(NULL);

	for (unsigned int i = 0; i < list->commands->len; i++) {
		const struct command *c = list->commands->pdata[i];

		g_string_append_printf(out, "%s%s%s%s", i > 0 ? " " : "",
				       kinds[c->kind], c->arg != NULL ? ":" : "",
				       c->arg != NULL ? c->arg : "");
	}
	return g_string_free(out, FALSE);
}

static void test_text(void)
{
	for (unsigned int i = 0; i < G_N_ELEMENTS(text_cases); i++) {
		char *rest = NULL;
		struct command_list *list = command_parse_text(
			text_cases[i].text, &rest);
		char *got = describe(list);
		const char *want = text_cases[i].commands;

		if (strcmp(got, want) != 0)
			g_error("case %u: got \"%s\", want \"%s\"", i, got,
				want);
		g_assert_cmpstr(rest, ==, text_cases[i].rest);
		g_assert_cmpstr(list->unknown, ==, text_cases[i].unknown);
		g_free(got);
		g_free(rest);
		command_list_free(&list);
	}
}

static const struct {
	const char *html;
	const char *commands;
	const char *absent;	/* must be gone from the result */
	const char *present;	/* must stay */
} html_cases[] = {
	{ "<html><body><div>#close</div><div>Thanks!</div></body></html>",
	  "status:closed", "#close", "Thanks!" },
	{ "<p>#resolve<br>#assign ann<br></p><p>All done, Anna.</p>",
	  "status:resolved assign:ann", "#assign", "All done, Anna." },
	{ "<html><head><style>p{}</style></head><body>\n<p>#note</p>\n"
	  "<p>VIP &amp; friend</p></body></html>", "note", "#note",
	  "VIP &amp; friend" },
	{ "<p>Hello</p><p>#close</p>", "", NULL, "#close" },
	/* UTF-8 stays UTF-8, and no DOCTYPE is added */
	{ "<p>#pending</p><p>Ждём фото.</p>", "status:pending", "DOCTYPE",
	  "<p>Ждём фото.</p>" },
};

static void test_html(void)
{
	for (unsigned int i = 0; i < G_N_ELEMENTS(html_cases); i++) {
		char *rest = NULL;
		struct command_list *list = command_parse_html(
			html_cases[i].html, &rest);
		char *got = describe(list);

		if (strcmp(got, html_cases[i].commands) != 0)
			g_error("html case %u: got \"%s\", want \"%s\"", i,
				got, html_cases[i].commands);
		if (*html_cases[i].commands == '\0') {
			g_assert_null(rest);
		} else {
			g_assert_nonnull(rest);
			g_assert_null(strstr(rest, html_cases[i].absent));
			if (strstr(rest, html_cases[i].present) == NULL)
				g_error("html case %u: lost \"%s\" in %s", i,
					html_cases[i].present, rest);
		}
		g_free(got);
		g_free(rest);
		command_list_free(&list);
	}
}

int main(int argc, char *argv[])
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/command/text", test_text);
	g_test_add_func("/command/html", test_html);
	return g_test_run();
}
