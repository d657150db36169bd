/* Tests of webhook signature checks (signature.h): a table of bodies,
   keys and headers, each accepted or refused; the digests were made
   with Python's hmac module, not with the code under test. */

#include "signature.h"

#include <glib.h>
#include <string.h>

#define WA_BODY "{\"object\":\"whatsapp_business_account\",\"entry\":[]}"
#define WA_KEY "app-secret-1"
#define WA_HEX "0ca28c0f1996234eb6829e59ad3c11a18161f6eb043943d601e420c312432cdf"
#define VB_BODY "{\"event\":\"message\",\"timestamp\":1457764197627}"
#define VB_KEY "445da6az1s345z78-dazcczb2542zv51a-e0vc5fva17480im9"
#define VB_HEX "eb7507f984458710802361f65f08ad4d3510434767601af25806c08bece3f9d7"
#define UTF8_BODY "Привет \xe2\x98\x83"
#define UTF8_HEX "bc3e7191fe88fd9be4d270aefa4f0bfbe7d2b937028e3a7af45b55f98fdb2b33"
#define EMPTY_HEX "8bb990c40a7d61cb97597a942125025be50ac8beb74436e3735b98893a7f6620"

enum kind { HUB, VIBER };

struct sig_case {
	const char *name;
	enum kind kind;
	const char *key;
	const char *body;
	const char *header;	/* NULL: no header */
	bool ok;
};

static const struct sig_case cases[] = {
	{ "hub-good", HUB, WA_KEY, WA_BODY, "sha256=" WA_HEX, true },
	{ "hub-upper-hex", HUB, WA_KEY, WA_BODY,
	  "sha256=0CA28C0F1996234EB6829E59AD3C11A18161F6EB043943D601E420C3"
	  "12432CDF", true },
	{ "hub-utf8-body", HUB, WA_KEY, UTF8_BODY, "sha256=" UTF8_HEX, true },
	{ "hub-missing", HUB, WA_KEY, WA_BODY, NULL, false },
	{ "hub-empty", HUB, WA_KEY, WA_BODY, "", false },
	{ "hub-no-prefix", HUB, WA_KEY, WA_BODY, WA_HEX, false },
	{ "hub-sha1-prefix", HUB, WA_KEY, WA_BODY, "sha1=" WA_HEX, false },
	{ "hub-prefix-only", HUB, WA_KEY, WA_BODY, "sha256=", false },
	{ "hub-truncated", HUB, WA_KEY, WA_BODY,
	  "sha256=0ca28c0f1996234eb6829e59ad3c11a18161f6eb043943d601e420c3",
	  false },
	{ "hub-longer", HUB, WA_KEY, WA_BODY, "sha256=" WA_HEX "00", false },
	{ "hub-last-digit", HUB, WA_KEY, WA_BODY,
	  "sha256=0ca28c0f1996234eb6829e59ad3c11a18161f6eb043943d601e420c3"
	  "12432cde", false },
	{ "hub-other-key", HUB, "app-secret-2", WA_BODY, "sha256=" WA_HEX,
	  false },
	{ "hub-body-changed", HUB, WA_KEY, WA_BODY " ", "sha256=" WA_HEX,
	  false },
	{ "hub-viber-form", HUB, VB_KEY, VB_BODY, VB_HEX, false },
	{ "viber-good", VIBER, VB_KEY, VB_BODY, VB_HEX, true },
	{ "viber-empty-body", VIBER, "k", "", EMPTY_HEX, true },
	{ "viber-missing", VIBER, VB_KEY, VB_BODY, NULL, false },
	{ "viber-hub-form", VIBER, VB_KEY, VB_BODY, "sha256=" VB_HEX, false },
	{ "viber-other-key", VIBER, WA_KEY, VB_BODY, VB_HEX, false },
	{ "viber-body-changed", VIBER, VB_KEY, "{\"event\":\"message\"}",
	  VB_HEX, false },
	{ "viber-empty-key", VIBER, "", VB_BODY, VB_HEX, false },
};

static void test_case(gconstpointer data)
{
	const struct sig_case *c = data;
	size_t size = strlen(c->body);
	bool ok = c->kind == HUB ?
		signature_check_hub(c->key, c->body, size, c->header) :
		signature_check_viber(c->key, c->body, size, c->header);

	if (ok != c->ok)
		g_error("%s: %s, want %s", c->name, ok ? "accepted" :
			"refused", c->ok ? "accepted" : "refused");
}

static void test_hex(void)
{
	char *hex = signature_hmac_hex(WA_KEY, WA_BODY, strlen(WA_BODY));

	g_assert_cmpstr(hex, ==, WA_HEX);
	g_free(hex);
}

int main(int argc, char *argv[])
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/signature/hex", test_hex);
	for (unsigned int i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *path = g_strdup_printf("/signature/%s", cases[i].name);

		g_test_add_data_func(path, &cases[i], test_case);
		g_free(path);
	}
	return g_test_run();
}
