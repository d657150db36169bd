/* mbevent.c: reads the events files of the Dovecot plugin and the
   bridge (their format is evfile.h's: every name here comes from it)
   and applies them to tickets.  A status set from the mailbox is the
   agent's word: it applies whatever the ticket's status was, and
   changes nothing (writes no history) when the ticket already has it,
   which is also what makes the keywords the milter sets itself
   harmless.  Two checks come first:
   the message must be one the store knows for the ticket (by its
   Message-ID), and the event must not be older than the ticket's last
   change (events that waited while the milter was down lose to mail
   that came meanwhile).  An expunge is written into the history and
   never read as a status.

   It does not touch the mailbox: keeping the keywords true is
   mbsync.c's. */

#include "mbevent.h"
#include "evfile.h"
#include "log.h"

#include <gmime/gmime.h>
#include <json-glib/json-glib.h>
#include <string.h>

static void mbevent_free(gpointer data)
{
	struct mbevent *ev = data;

	g_free(ev->mailbox);
	g_free(ev->from);
	g_free(ev->message_id);
	g_free(ev->channel);
	g_free(ev->chat);
	g_free(ev->result);
	g_free(ev->message_ids);
	g_free(ev->outbox);
	g_free(ev->why);
	g_free(ev);
}

void mbevent_file_free(struct mbevent_file **_file)
{
	struct mbevent_file *file = *_file;

	if (file == NULL)
		return;
	*_file = NULL;
	g_free(file->user);
	g_free(file->service);
	g_ptr_array_unref(file->events);
	g_free(file);
}

/* A string member, bounded and free of control characters; missing is
   "" unless required. */
static int get_string(JsonObject *obj, const char *name, bool required,
		      char **value_r, char **error_r)
{
	JsonNode *node = json_object_get_member(obj, name);
	const char *value;

	if (node == NULL && !required) {
		*value_r = g_strdup("");
		return 0;
	}
	if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
	    json_node_get_value_type(node) != G_TYPE_STRING) {
		*error_r = g_strdup_printf("\"%s\" is missing or not a string",
					   name);
		return -1;
	}
	value = json_node_get_string(node);
	if (strlen(value) > EVFILE_VALUE_MAX) {
		*error_r = g_strdup_printf("\"%s\" is too long", name);
		return -1;
	}
	if (!evfile_value_ok(value)) {
		*error_r = g_strdup_printf("\"%s\" has control characters",
					   name);
		return -1;
	}
	/* json-glib takes octal escapes ("\344"): bytes that are not
	   UTF-8, which the store's GVariants refuse */
	if (!g_utf8_validate(value, -1, NULL)) {
		*error_r = g_strdup_printf("\"%s\" is not UTF-8", name);
		return -1;
	}
	*value_r = g_strdup(value);
	return 0;
}

static int get_uint(JsonObject *obj, const char *name, int64_t max,
		    int64_t *value_r, char **error_r)
{
	JsonNode *node = json_object_get_member(obj, name);
	int64_t value;

	*value_r = 0;
	if (node == NULL)
		return 0;
	if (!JSON_NODE_HOLDS_VALUE(node) ||
	    json_node_get_value_type(node) != G_TYPE_INT64 ||
	    (value = json_node_get_int(node)) < 0 || value > max) {
		*error_r = g_strdup_printf("\"%s\" is not a number from 0 to "
					   "%" G_GINT64_FORMAT, name, max);
		return -1;
	}
	*value_r = value;
	return 0;
}

/* "old"/"new": a status name or "" (absent) */
static int get_status(JsonObject *obj, const char *name, bool *has_r,
		      enum ticket_status *status_r, char **error_r)
{
	char *value;
	int ret = 0;

	if (get_string(obj, name, false, &value, error_r) < 0)
		return -1;
	*has_r = *value != '\0';
	if (*has_r && ticket_status_parse(value, status_r) < 0) {
		*error_r = g_strdup_printf("\"%s\" is not a status: %s", name,
					   value);
		ret = -1;
	}
	g_free(value);
	return ret;
}

static const char *const delivery_results[] = {
	EVFILE_RESULT_SENT, EVFILE_RESULT_DEAD, EVFILE_RESULT_DELIVERED,
	EVFILE_RESULT_READ, EVFILE_RESULT_FAILED, NULL
};

static int parse_event(JsonNode *node, struct mbevent **ev_r, char **error_r)
{
	struct mbevent *ev;
	JsonObject *obj;
	JsonNode *move;
	char *type = NULL, *ticket = NULL;
	guint64 id;
	int64_t uid;
	int ret = -1;

	if (!JSON_NODE_HOLDS_OBJECT(node)) {
		*error_r = g_strdup("an event is not an object");
		return -1;
	}
	obj = json_node_get_object(node);
	ev = g_new0(struct mbevent, 1);
	if (get_string(obj, EVFILE_FIELD_TYPE, true, &type, error_r) < 0)
		goto out;
	/* a delivery happens in no mailbox */
	if (get_string(obj, EVFILE_FIELD_TICKET, true, &ticket, error_r) < 0 ||
	    get_string(obj, EVFILE_FIELD_MAILBOX,
		       strcmp(type, EVFILE_TYPE_DELIVERY) != 0, &ev->mailbox,
		       error_r) < 0 ||
	    get_string(obj, EVFILE_FIELD_FROM, false, &ev->from,
		       error_r) < 0 ||
	    get_string(obj, EVFILE_FIELD_MESSAGE_ID, false, &ev->message_id,
		       error_r) < 0 ||
	    get_uint(obj, EVFILE_FIELD_UID, G_MAXUINT32, &uid, error_r) < 0 ||
	    get_status(obj, EVFILE_FIELD_OLD, &ev->has_old, &ev->old,
		       error_r) < 0 ||
	    get_status(obj, EVFILE_FIELD_NEW, &ev->has_new, &ev->new_status,
		       error_r) < 0)
		goto out;
	ev->uid = uid;
	if (!g_ascii_string_to_unsigned(ticket, 10, 1, G_MAXUINT32, &id,
					NULL)) {
		*error_r = g_strdup_printf("\"%s\" is not a ticket number: "
					   "%s", EVFILE_FIELD_TICKET, ticket);
		goto out;
	}
	ev->ticket = id;
	move = json_object_get_member(obj, EVFILE_FIELD_MOVE);
	ev->move = move != NULL && JSON_NODE_HOLDS_VALUE(move) &&
		json_node_get_value_type(move) == G_TYPE_BOOLEAN &&
		json_node_get_boolean(move);
	if (strcmp(type, EVFILE_TYPE_KEYWORD) == 0) {
		ev->type = MBEVENT_KEYWORD;
	} else if (strcmp(type, EVFILE_TYPE_FOLDER) == 0) {
		ev->type = MBEVENT_FOLDER;
	} else if (strcmp(type, EVFILE_TYPE_EXPUNGE) == 0) {
		ev->type = MBEVENT_EXPUNGE;
	} else if (strcmp(type, EVFILE_TYPE_DELIVERY) == 0) {
		ev->type = MBEVENT_DELIVERY;
		if (get_string(obj, EVFILE_FIELD_CHANNEL, true, &ev->channel,
			       error_r) < 0 ||
		    get_string(obj, EVFILE_FIELD_CHAT, true, &ev->chat,
			       error_r) < 0 ||
		    get_string(obj, EVFILE_FIELD_RESULT, true, &ev->result,
			       error_r) < 0 ||
		    get_string(obj, EVFILE_FIELD_MESSAGE_IDS, false,
			       &ev->message_ids, error_r) < 0 ||
		    get_string(obj, EVFILE_FIELD_OUTBOX, false, &ev->outbox,
			       error_r) < 0 ||
		    get_string(obj, EVFILE_FIELD_WHY, false, &ev->why,
			       error_r) < 0)
			goto out;
		if (!g_strv_contains(delivery_results, ev->result)) {
			*error_r = g_strdup_printf(
				"\"%s\" is not " EVFILE_RESULT_SENT ", "
				EVFILE_RESULT_DEAD ", " EVFILE_RESULT_DELIVERED
				", " EVFILE_RESULT_READ " or "
				EVFILE_RESULT_FAILED ": %s",
				EVFILE_FIELD_RESULT, ev->result);
			goto out;
		}
	} else {
		*error_r = g_strdup_printf("unknown event type: %s", type);
		goto out;
	}
	if ((ev->type == MBEVENT_FOLDER && !ev->has_new) ||
	    (ev->type == MBEVENT_KEYWORD && !ev->has_new && !ev->has_old)) {
		*error_r = g_strdup_printf("%s event without a status", type);
		goto out;
	}
	*ev_r = ev;
	ev = NULL;
	ret = 0;
out:
	if (ev != NULL)
		mbevent_free(ev);
	g_free(type);
	g_free(ticket);
	return ret;
}

int mbevent_parse(const char *data, size_t size, struct mbevent_file **file_r,
		  char **error_r)
{
	JsonParser *parser = json_parser_new();
	struct mbevent_file *file = NULL;
	struct mbevent *ev;
	JsonObject *root;
	JsonNode *events_node;
	JsonArray *events;
	GError *error = NULL;
	int64_t version, time;
	int ret = -1;

	if (!json_parser_load_from_data(parser, data, size, &error)) {
		*error_r = g_strdup_printf("not JSON: %s", error->message);
		g_error_free(error);
		goto out;
	}
	if (json_parser_get_root(parser) == NULL ||
	    !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
		*error_r = g_strdup("not a JSON object");
		goto out;
	}
	root = json_node_get_object(json_parser_get_root(parser));
	if (get_uint(root, EVFILE_FIELD_VERSION, G_MAXINT32, &version,
		     error_r) < 0)
		goto out;
	if (version != EVFILE_VERSION) {
		*error_r = g_strdup_printf("unknown version %" G_GINT64_FORMAT,
					   version);
		goto out;
	}
	file = g_new0(struct mbevent_file, 1);
	file->events = g_ptr_array_new_with_free_func(mbevent_free);
	if (get_string(root, EVFILE_FIELD_USER, true, &file->user,
		       error_r) < 0 ||
	    get_string(root, EVFILE_FIELD_SERVICE, false, &file->service,
		       error_r) < 0 ||
	    get_uint(root, EVFILE_FIELD_TIME, G_MAXINT64, &time, error_r) < 0)
		goto out;
	file->time = time;
	events_node = json_object_get_member(root, EVFILE_FIELD_EVENTS);
	if (events_node == NULL || !JSON_NODE_HOLDS_ARRAY(events_node)) {
		*error_r = g_strdup_printf("\"%s\" is missing or not an "
					   "array", EVFILE_FIELD_EVENTS);
		goto out;
	}
	events = json_node_get_array(events_node);
	for (unsigned int i = 0; i < json_array_get_length(events); i++) {
		if (parse_event(json_array_get_element(events, i), &ev,
				error_r) < 0)
			goto out;
		g_ptr_array_add(file->events, ev);
	}
	*file_r = file;
	file = NULL;
	ret = 0;
out:
	mbevent_file_free(&file);
	g_object_unref(parser);
	return ret;
}

struct apply_context {
	const struct mbevent_file *file;
	const char *key;
	int64_t now;
	GPtrArray *lines;	/* logged after the commit */
	bool seen;
};

static const char *event_way(const struct mbevent *ev)
{
	if (ev->type == MBEVENT_KEYWORD)
		return "keyword";
	return ev->move ? "move" : "copy";
}

/* When it happened: the file's time, but never in the future */
static int64_t event_time(const struct apply_context *c)
{
	return c->file->time > 0 && c->file->time < c->now ?
		c->file->time : c->now;
}

/* Appends te to the ticket's history (freeing it) and stores the
   ticket.  Returns 0 or -1. */
static int record(struct store_txn *txn, struct ticket *ticket,
		  struct ticket_event *te, char **error_r)
{
	int ret = store_event_append(txn, ticket, te, error_r);

	ticket_event_free(&te);
	return ret < 0 ? -1 : store_ticket_put(txn, ticket, error_r);
}

static int apply_status(struct store_txn *txn, struct apply_context *c,
			const struct mbevent *ev, struct ticket *ticket,
			char **error_r)
{
	enum ticket_status old = ticket->status, to;
	struct ticket_event *te;
	int64_t when = event_time(c);

	if (when < ticket->updated) {
		/* the milter was down: mail or a command changed the
		   ticket after the agent did this, and the later word wins */
		g_ptr_array_add(c->lines, g_strdup_printf(
			"ticket=%u user=%s: %s in %s: older than the ticket's "
			"last change, ignored", ticket->id, c->file->user,
			event_way(ev), ev->mailbox));
		return 0;
	}
	if (ev->has_new)
		to = ev->new_status;
	else if (ev->old == old && old != TICKET_OPEN)
		to = TICKET_OPEN;	/* its keyword was taken off */
	else
		to = old;
	if (to == old) {
		g_ptr_array_add(c->lines, g_strdup_printf(
			"ticket=%u user=%s: %s in %s: already %s", ticket->id,
			c->file->user, event_way(ev), ev->mailbox,
			ticket_status_name(old)));
		return 0;
	}
	ticket_set_status(ticket, to, when);
	ticket->updated = when;
	te = ticket_event_new(when, "status", g_variant_new_parsed(
		"{'from': <%s>, 'to': <%s>, 'by': <%s>, 'via': <%s>, "
		"'mailbox': <%s>}", ticket_status_name(old),
		ticket_status_name(to), c->file->user, event_way(ev),
		ev->mailbox));
	if (record(txn, ticket, te, error_r) < 0)
		return -1;
	g_ptr_array_add(c->lines, g_strdup_printf(
		"ticket=%u user=%s: status %s -> %s (%s in %s)", ticket->id,
		c->file->user, ticket_status_name(old),
		ticket_status_name(to), event_way(ev), ev->mailbox));
	return 0;
}

static int apply_expunge(struct store_txn *txn, struct apply_context *c,
			 const struct mbevent *ev, struct ticket *ticket,
			 char **error_r)
{
	struct ticket_event *te;

	te = ticket_event_new(event_time(c), "expunge", g_variant_new_parsed(
		"{'by': <%s>, 'mailbox': <%s>, 'uid': <%u>, "
		"'message_id': <%s>}", c->file->user, ev->mailbox,
		(guint32)ev->uid, ev->message_id));
	if (record(txn, ticket, te, error_r) < 0)
		return -1;
	g_ptr_array_add(c->lines, g_strdup_printf(
		"ticket=%u user=%s: expunged from %s (recorded only)",
		ticket->id, c->file->user, ev->mailbox));
	return 0;
}

/* A messenger message's fate, as the bridge reports it: the provider's
   message ids (or why it was given up) go into the history. */
static int apply_delivery(struct store_txn *txn, struct apply_context *c,
			  const struct mbevent *ev, struct ticket *ticket,
			  char **error_r)
{
	struct ticket_event *te;

	te = ticket_event_new(c->file->time > 0 ? c->file->time : c->now,
			      "delivery", g_variant_new_parsed(
		"{'channel': <%s>, 'chat': <%s>, 'result': <%s>, "
		"'message_ids': <%s>, 'outbox': <%s>, 'why': <%s>}",
		ev->channel, ev->chat, ev->result, ev->message_ids, ev->outbox,
		ev->why));
	if (record(txn, ticket, te, error_r) < 0)
		return -1;
	g_ptr_array_add(c->lines, g_strdup_printf(
		"ticket=%u channel=%s chat=%s: delivery %s%s%s (recorded)",
		ticket->id, ev->channel, ev->chat, ev->result,
		*ev->message_ids != '\0' ? " message_ids=" : "",
		ev->message_ids));
	return 0;
}

/* Only a message shopdesk filed into the ticket speaks for it: the
   X-Shopdesk-Ticket header alone could be on a message an agent made up
   and appended.  Returns 1, 0 or -1. */
static int is_ticket_message(struct store_txn *txn, const struct mbevent *ev,
			     char **error_r)
{
	char *id = g_mime_utils_decode_message_id(ev->message_id);
	uint32_t ticket = 0;
	int ret = 0;

	if (id != NULL && *id != '\0')
		ret = store_msgid_get(txn, id, &ticket, error_r);
	g_free(id);
	if (ret <= 0)
		return ret;
	return ticket == ev->ticket ? 1 : 0;
}

static int apply_txn(struct store_txn *txn, void *context,
		     char **error_r)
{
	struct apply_context *c = context;
	struct ticket *ticket;
	int ret;

	g_ptr_array_set_size(c->lines, 0);
	ret = store_applied_get(txn, c->key, error_r);
	if (ret != 0) {
		c->seen = ret > 0;
		return ret < 0 ? -1 : 0;
	}
	c->seen = false;
	for (unsigned int i = 0; i < c->file->events->len; i++) {
		const struct mbevent *ev = c->file->events->pdata[i];

		ret = is_ticket_message(txn, ev, error_r);
		if (ret < 0)
			return -1;
		if (ret == 0) {
			g_ptr_array_add(c->lines, g_strdup_printf(
				"ticket=%u user=%s: %s in %s: Message-ID %s "
				"is not one of the ticket's, ignored",
				ev->ticket, c->file->user, event_way(ev),
				ev->mailbox, *ev->message_id != '\0' ?
				ev->message_id : "(none)"));
			continue;
		}
		ret = store_ticket_get(txn, ev->ticket, &ticket, error_r);
		if (ret < 0)
			return -1;
		if (ret == 0) {
			g_ptr_array_add(c->lines, g_strdup_printf(
				"ticket=%u user=%s: no such ticket, ignored",
				ev->ticket, c->file->user));
			continue;
		}
		ret = ev->type == MBEVENT_EXPUNGE ?
			apply_expunge(txn, c, ev, ticket, error_r) :
			ev->type == MBEVENT_DELIVERY ?
			apply_delivery(txn, c, ev, ticket, error_r) :
			apply_status(txn, c, ev, ticket, error_r);
		ticket_free(&ticket);
		if (ret < 0)
			return -1;
	}
	return store_applied_put(txn, c->key, error_r);
}

int mbevent_apply(struct store *store, const struct mbevent_file *file,
		  const char *key, int64_t now, char **error_r)
{
	struct apply_context c = {
		.file = file,
		.key = key,
		.now = now,
		.lines = g_ptr_array_new_with_free_func(g_free),
	};
	int ret;

	ret = store_transaction(store, apply_txn, &c, error_r);
	if (ret == 0 && c.seen)
		log_info("%s: applied before, not again", key);
	for (unsigned int i = 0; ret == 0 && i < c.lines->len; i++)
		log_info("%s: %s", key, (const char *)c.lines->pdata[i]);
	g_ptr_array_unref(c.lines);
	return ret;
}

static int forget_txn(struct store_txn *txn, void *context,
		      char **error_r)
{
	return store_applied_del(txn, context, error_r);
}

int mbevent_forget(struct store *store, const char *key,
		   char **error_r)
{
	return store_transaction(store, forget_txn, (void *)key, error_r);
}
