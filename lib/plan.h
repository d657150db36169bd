#ifndef SHOPDESK_PLAN_H
#define SHOPDESK_PLAN_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

/* A plan: what the mail pipeline decided for one message, for the
   milter to carry out with smfi_* calls and spool writes.  Building it
   touches no mail server; carrying it out touches nothing else.

   The milter applies, in this order: nothing at all when the mail is
   refused (PLAN_FAIL_REFUSE); the strip edits (forged X-Shopdesk-*
   headers, always, even when the pipeline failed), then,
   unless the pipeline failed, the outbox items, then the other edits,
   then it logs the log line. */

/* What went wrong, keyed for the one function that turns a failure into
   a milter answer (OpenDKIM's dkimf_miltercode). */
enum plan_failure {
	PLAN_OK,
	/* ours: the store, the parser; on_error decides */
	PLAN_FAIL_INTERNAL,
	/* Postfix refused an edit; on_error decides */
	PLAN_FAIL_EDIT,
	/* the acknowledgement could not be queued: on_error = tempfail
	   makes the sender retry (the retry queues the same ack); accept
	   delivers the mail without its ack, said in the log */
	PLAN_FAIL_ACK,
	/* an agent's reply to a chat could not be queued or its recipient
	   not dropped: always a temporary failure, whatever on_error says,
	   so that the reply reaches the chat or the agent knows */
	PLAN_FAIL_CHAT,
	/* a notice to an agent could not be queued: logged, the mail goes
	   on */
	PLAN_FAIL_NOTICE,
	/* the mail is an attack (thousands of forged X-Shopdesk-* headers,
	   say): refused with a 5xx before anything is changed */
	PLAN_FAIL_REFUSE,
};

enum plan_edit_kind {
	PLAN_HEADER_ADD,	/* name, value */
	PLAN_HEADER_CHANGE,	/* name, index (1-based), value */
	PLAN_HEADER_DELETE,	/* name, index (1-based) */
	PLAN_FROM_CHANGE,	/* value: "<address>" */
	PLAN_RCPT_ADD,		/* value: "<address>" */
	PLAN_RCPT_DELETE,	/* value: as the MTA gave it */
	PLAN_BODY_REPLACE,	/* body */
};

struct plan_edit {
	enum plan_edit_kind kind;
	char *name;
	unsigned int index;
	char *value;
	GBytes *body;
};

/* One spool item for the outbox: written before the edits; a failure
   is of class on_failure. */
struct plan_item {
	char *key;		/* the spool key (idempotent) */
	char *data;		/* the encoded item */
	enum plan_failure on_failure;
	char *what;		/* for the log: "acknowledgement", ... */
	uint32_t ticket;
};

struct plan {
	uint32_t ticket;	/* the message's ticket, 0 when none */
	enum plan_failure failure;	/* PLAN_OK, or why nothing but the
					   strip edits may be applied */
	char *error;		/* with failure: why */
	GPtrArray *strip;	/* struct plan_edit *: header deletions */
	GPtrArray *items;	/* struct plan_item * */
	GPtrArray *edits;	/* struct plan_edit * */
	char *log;		/* the line to log once applied, or NULL */
};

struct plan *plan_new(void);
void plan_free(struct plan **_plan);

/* Sets the failure (the first one set stays) with a formatted reason. */
void plan_fail(struct plan *plan, enum plan_failure failure,
	       const char *fmt, ...) G_GNUC_PRINTF(3, 4);

/* Adds an edit; strings are copied, body is referenced. */
void plan_header_add(struct plan *plan, const char *name, const char *value);
void plan_header_change(struct plan *plan, const char *name,
			unsigned int index, const char *value);
/* Deletes the index-th (1-based) header called name. */
void plan_header_delete(struct plan *plan, const char *name,
			unsigned int index);
void plan_from_change(struct plan *plan, const char *address);
void plan_rcpt_add(struct plan *plan, const char *address);
void plan_rcpt_delete(struct plan *plan, const char *rcpt);
void plan_body_replace(struct plan *plan, GBytes *body);

/* Deletes every header whose name is in names (in the order they
   came): each deletion names the occurrence among same-named headers
   (ASCII case-insensitive), last first, so that no deletion renumbers
   one still to come.  Linear in the number of names. */
void plan_strip(struct plan *plan, const char *const *names,
		unsigned int count);

/* Adds an outbox item; key and data are copied. */
void plan_item_add(struct plan *plan, const char *key, const char *data,
		   enum plan_failure on_failure, const char *what);

/* Sets the log line. */
void plan_log(struct plan *plan, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* "add header X-Shopdesk-Ticket", for log lines about an edit. */
char *plan_edit_describe(const struct plan_edit *edit);

#endif
