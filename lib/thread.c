/* thread.c: the threading rules of DESIGN.md, in their order.  Each rule
   either names a ticket, or passes.  A ticket named by a token,
   References or a tag that is closed is not written into: the message
   starts a new ticket linked to it.  References and a subject tag from
   someone who is not a participant never name a ticket (a stranger who
   knows a ticket number or a Message-ID of its mail cannot write into
   it); they link the new ticket instead.  A reply token carries a MAC:
   whoever has it was given it.

   The rules only read the store.  Making or updating the ticket is
   intake.c's work. */

#include "thread.h"
#include "subject.h"

#include <string.h>

static const char *const rule_names[] = {
	[THREAD_RULE_DUPLICATE] = "duplicate",
	[THREAD_RULE_TOKEN] = "token",
	[THREAD_RULE_REFERENCES] = "references",
	[THREAD_RULE_TAG] = "tag",
	[THREAD_RULE_SUBJECT] = "subject",
	[THREAD_RULE_MESSENGER] = "messenger",
	[THREAD_RULE_NEW] = "new",
};

const char *thread_rule_name(enum thread_rule rule)
{
	return rule_names[rule];
}

/* A ticket that a rule named: use it, or if it is closed start a new
   one that links to it.  Returns 1 when decided, 0 when the ticket does
   not exist (the rule passes), -1 on error. */
static int named_ticket(struct store_txn *txn, uint32_t id,
			enum thread_rule rule, struct thread_result *r,
			char **error_r)
{
	struct ticket *ticket;
	int ret;

	ret = store_ticket_get(txn, id, &ticket, error_r);
	if (ret <= 0)
		return ret;
	if (ticket->status == TICKET_CLOSED) {
		r->rule = rule;
		r->ticket_id = 0;
		r->linked_to = id;
		r->note = "closed";
	} else {
		r->rule = rule;
		r->ticket_id = id;
	}
	ticket_free(&ticket);
	return 1;
}

static int rule_token(struct store_txn *txn, const struct token_key *key,
		      const struct thread_input *in, struct thread_result *r,
		      char **error_r)
{
	for (unsigned int i = 0; in->tokens != NULL && in->tokens[i] != NULL;
	     i++) {
		uint32_t id;
		int ret;

		if (token_parse(key, in->tokens[i], strlen(in->tokens[i]),
				&id) != 1)
			continue;
		ret = named_ticket(txn, id, THREAD_RULE_TOKEN, r, error_r);
		if (ret != 0)
			return ret;
	}
	return 0;
}

/* Whether the message's sender may write into ticket id: an agent, a
   participant, or (with bounce_ok) a bounce, which only files.
   Otherwise the message starts a new ticket linked to it: a stranger
   who knows a ticket's number or a Message-ID of its mail cannot write
   into it.  Returns 1 when it may (also when there is no such ticket:
   named_ticket() then passes), 0 when not (r says so), -1 on error. */
static int may_write(struct store_txn *txn, uint32_t id,
		     const struct thread_input *in, bool bounce_ok,
		     struct thread_result *r, char **error_r)
{
	struct ticket *ticket;
	bool ok;
	int ret;

	if (in->agent || (bounce_ok && in->bounce))
		return 1;
	ret = store_ticket_get(txn, id, &ticket, error_r);
	if (ret <= 0)
		return ret == 0 ? 1 : -1;
	ok = ticket_has_participant(ticket, in->sender);
	ticket_free(&ticket);
	if (!ok) {
		r->rule = THREAD_RULE_NEW;
		r->ticket_id = 0;
		r->linked_to = id;
		r->note = "sender is not a participant";
	}
	return ok ? 1 : 0;
}

static int rule_references(struct store_txn *txn,
			   const struct thread_input *in,
			   struct thread_result *r, char **error_r)
{
	for (unsigned int i = 0;
	     in->references != NULL && in->references[i] != NULL; i++) {
		uint32_t id;
		int ret;

		ret = store_msgid_get(txn, in->references[i], &id, error_r);
		if (ret < 0)
			return -1;
		if (ret == 0)
			continue;
		ret = may_write(txn, id, in, true, r, error_r);
		if (ret <= 0)
			return ret < 0 ? -1 : 1;
		ret = named_ticket(txn, id, THREAD_RULE_REFERENCES, r,
				   error_r);
		if (ret != 0)
			return ret;
	}
	return 0;
}

static int rule_tag(struct store_txn *txn, const struct config *config,
		    const struct thread_input *in, struct thread_result *r,
		    char **error_r)
{
	uint32_t id;
	int ret;

	if (subject_find_tag(in->subject, config->ticket_tag, &id) != 1)
		return 0;
	ret = may_write(txn, id, in, false, r, error_r);
	if (ret <= 0)
		return ret < 0 ? -1 : 1;
	return named_ticket(txn, id, THREAD_RULE_TAG, r, error_r);
}

/* Rules 4 and 5 name a ticket by the sender: it is taken when it is
   not closed, is of the message's channel (a chat's ticket takes only
   the chat's messages, so mail from a forged chat address does not join
   it), and, with a window, changed within it.  Returns 1 when taken, 0
   when not, -1 on error. */
static int take_open(struct store_txn *txn, uint32_t id,
		     const struct thread_input *in, int64_t window,
		     enum thread_rule rule, struct thread_result *r,
		     char **error_r)
{
	struct ticket *ticket;
	int ret = store_ticket_get(txn, id, &ticket, error_r);

	if (ret <= 0)
		return ret;
	ret = ticket->status != TICKET_CLOSED &&
		strcmp(ticket->channel, in->channel) == 0 &&
		(window == 0 || in->now - ticket->updated <= window);
	if (ret) {
		r->rule = rule;
		r->ticket_id = id;
	}
	ticket_free(&ticket);
	return ret;
}

static int rule_subject(struct store_txn *txn, const struct config *config,
			const struct thread_input *in,
			struct thread_result *r, char **error_r)
{
	char *normalized;
	uint32_t id;
	int ret;

	if (*in->sender == '\0')
		return 0;
	normalized = subject_normalize(in->subject, config->ticket_tag);
	if (*normalized == '\0') {
		g_free(normalized);
		return 0;
	}
	ret = store_thread_get(txn, in->sender, normalized, &id, error_r);
	g_free(normalized);
	if (ret <= 0)
		return ret;
	return take_open(txn, id, in, config->thread_window,
			 THREAD_RULE_SUBJECT, r, error_r);
}

static int rule_messenger(struct store_txn *txn,
			  const struct thread_input *in,
			  struct thread_result *r, char **error_r)
{
	uint32_t id;
	int ret;

	if (strcmp(in->channel, "email") == 0 || *in->sender == '\0')
		return 0;
	ret = store_customer_get(txn, in->sender, &id, error_r);
	if (ret <= 0)
		return ret;
	return take_open(txn, id, in, 0, THREAD_RULE_MESSENGER, r, error_r);
}

int thread_resolve(struct store_txn *txn, const struct config *config,
		   const struct token_key *key, const struct thread_input *in,
		   struct thread_result *r, char **error_r)
{
	uint32_t id;
	int ret;

	memset(r, 0, sizeof(*r));
	if (in->message_id != NULL && *in->message_id != '\0') {
		ret = store_msgid_get(txn, in->message_id, &id, error_r);
		if (ret < 0)
			return -1;
		if (ret > 0) {
			r->rule = THREAD_RULE_DUPLICATE;
			r->ticket_id = id;
			return 0;
		}
	}
	if ((ret = rule_token(txn, key, in, r, error_r)) != 0 ||
	    (ret = rule_references(txn, in, r, error_r)) != 0 ||
	    (ret = rule_tag(txn, config, in, r, error_r)) != 0 ||
	    (ret = rule_subject(txn, config, in, r, error_r)) != 0 ||
	    (ret = rule_messenger(txn, in, r, error_r)) != 0)
		return ret < 0 ? -1 : 0;
	r->rule = THREAD_RULE_NEW;
	return 0;
}

