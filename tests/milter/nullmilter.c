/* nullmilter: a milter that does nothing but take part in the protocol,
   the baseline for tests/bench.  It has a callback for every stage of a
   message (connect, helo, envfrom, envrcpt, header, eoh, body, eom) and
   negotiates none of them away, asks for no "no reply" step and never
   skips: Postfix sends it all and waits for each answer, as it does for
   any milter that reads whole messages.  With -h it also adds one header
   at end of message, the least any milter that edits mail costs Postfix.
   Usage: nullmilter [-h] inet:PORT@127.0.0.1 */

#include <libmilter/mfapi.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool add_header;

static sfsistat null_connect(SMFICTX *ctx, char *hostname,
			     struct sockaddr *addr)
{
	return SMFIS_CONTINUE;
}

static sfsistat null_helo(SMFICTX *ctx, char *name)
{
	return SMFIS_CONTINUE;
}

static sfsistat null_envfrom(SMFICTX *ctx, char **argv)
{
	return SMFIS_CONTINUE;
}

static sfsistat null_envrcpt(SMFICTX *ctx, char **argv)
{
	return SMFIS_CONTINUE;
}

static sfsistat null_header(SMFICTX *ctx, char *name, char *value)
{
	return SMFIS_CONTINUE;
}

static sfsistat null_eoh(SMFICTX *ctx)
{
	return SMFIS_CONTINUE;
}

static sfsistat null_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	return SMFIS_CONTINUE;
}

static sfsistat null_eom(SMFICTX *ctx)
{
	if (add_header)
		smfi_addheader(ctx, "X-Null", "1");
	return SMFIS_ACCEPT;
}

/* With a NULL callback libmilter itself would ask Postfix to leave the
   stage out (SMFIP_NOCONNECT and the like): every stage has one. */
static struct smfiDesc desc = {
	.xxfi_name = "nullmilter",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS,
	.xxfi_connect = null_connect,
	.xxfi_helo = null_helo,
	.xxfi_envfrom = null_envfrom,
	.xxfi_envrcpt = null_envrcpt,
	.xxfi_header = null_header,
	.xxfi_eoh = null_eoh,
	.xxfi_body = null_body,
	.xxfi_eom = null_eom,
};

int main(int argc, char *argv[])
{
	if (argc == 3 && strcmp(argv[1], "-h") == 0) {
		add_header = true;
		argv++;
		argc--;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: nullmilter [-h] SOCKET\n");
		return 2;
	}
	if (smfi_setconn(argv[1]) == MI_FAILURE ||
	    smfi_register(desc) == MI_FAILURE ||
	    smfi_opensocket(1) == MI_FAILURE) {
		fprintf(stderr, "nullmilter: cannot listen on %s\n", argv[1]);
		return 1;
	}
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}
