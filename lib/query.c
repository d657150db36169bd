/* query.c: the read side of the control socket.  Parses the request
   line, reads the store in one transaction (or copies it: backup) and
   builds the JSON reply.  It changes nothing; commands that change
   tickets arrive by mail. */

#include "query.h"
#include "control.h"
#include "log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct list_filter {
	bool any_status;
	enum ticket_status status;
	const char *queue;	/* NULL: any */
	JsonArray *out;
};

struct show_context {
	uint32_t id;
	JsonNode *reply;
};

static bool list_one(const struct ticket *ticket, void *context)
{
	struct list_filter *f = context;

	if (!f->any_status && ticket->status != f->status)
		return true;
	if (f->queue != NULL && strcmp(ticket->queue, f->queue) != 0)
		return true;
	json_array_add_element(f->out, ticket_to_json(ticket, NULL));
	return true;
}

static int list_txn(struct store_txn *txn, void *context, char **error_r)
{
	struct list_filter *f = context;

	/* A retried transaction starts over with an empty list. */
	if (f->out != NULL)
		json_array_unref(f->out);
	f->out = json_array_new();
	return store_ticket_foreach(txn, list_one, f, error_r);
}

static JsonNode *handle_tickets(struct store *store, char **args)
{
	struct list_filter f = { .any_status = true };
	JsonObject *obj;
	JsonNode *node;
	char *error = NULL;

	for (unsigned int i = 0; args[i] != NULL; i++) {
		if (g_str_has_prefix(args[i], "status=")) {
			if (ticket_status_parse(args[i] + 7, &f.status) < 0)
				return control_error("unknown status: %s",
						     args[i] + 7);
			f.any_status = false;
		} else if (g_str_has_prefix(args[i], "queue=")) {
			f.queue = args[i] + 6;
		} else if (*args[i] != '\0') {
			return control_error("unknown argument: %s", args[i]);
		}
	}
	if (store_transaction(store, list_txn, &f, &error) < 0) {
		if (f.out != NULL)
			json_array_unref(f.out);
		node = control_error("store: %s", error);
		g_free(error);
		return node;
	}
	obj = json_object_new();
	json_object_set_array_member(obj, "tickets", f.out);
	node = json_node_new(JSON_NODE_OBJECT);
	json_node_take_object(node, obj);
	return node;
}

static int show_txn(struct store_txn *txn, void *context, char **error_r)
{
	struct show_context *c = context;
	struct ticket *ticket;
	GPtrArray *events;
	int ret;

	if (c->reply != NULL)
		json_node_unref(c->reply);
	c->reply = NULL;
	ret = store_ticket_get(txn, c->id, &ticket, error_r);
	if (ret <= 0)
		return ret;
	if (store_event_list(txn, c->id, &events, error_r) < 0) {
		ticket_free(&ticket);
		return -1;
	}
	c->reply = ticket_to_json(ticket, events);
	g_ptr_array_unref(events);
	ticket_free(&ticket);
	return 0;
}

static JsonNode *handle_show(struct store *store, char **args)
{
	struct show_context c = { 0 };
	JsonNode *reply;
	char *error = NULL;
	char *end;
	unsigned long id;

	if (args[0] == NULL || args[1] != NULL)
		return control_error("usage: show ID");
	errno = 0;
	id = strtoul(args[0], &end, 10);
	if (errno != 0 || *end != '\0' || id == 0 || id > UINT32_MAX ||
	    !g_ascii_isdigit(args[0][0]))
		return control_error("not a ticket id: %s", args[0]);
	c.id = id;
	if (store_transaction(store, show_txn, &c, &error) < 0) {
		reply = control_error("store: %s", error);
		g_free(error);
		return reply;
	}
	if (c.reply == NULL)
		return control_error("no ticket %lu", id);
	return c.reply;
}

#define TIMERS_LISTED_MAX 100000

struct timers_context {
	GArray *timers;
	JsonArray *out;
};

static int timers_txn(struct store_txn *txn, void *context, char **error_r)
{
	struct timers_context *c = context;

	g_clear_pointer(&c->timers, g_array_unref);
	if (c->out != NULL)
		json_array_unref(c->out);
	c->out = json_array_new();
	if (store_timers_due(txn, INT64_MAX, TIMERS_LISTED_MAX, &c->timers,
			     error_r) < 0)
		return -1;
	for (unsigned int i = 0; i < c->timers->len; i++) {
		const struct store_timer *t = &g_array_index(
			c->timers, struct store_timer, i);
		JsonObject *obj = json_object_new();
		char *due = ticket_format_time(t->due);
		struct ticket *ticket;
		int ret = store_ticket_get(txn, t->id, &ticket, error_r);

		if (ret < 0) {
			json_object_unref(obj);
			g_free(due);
			return -1;
		}
		json_object_set_int_member(obj, "ticket", t->id);
		json_object_set_string_member(obj, "timer",
					      ticket_timer_name(t->kind));
		json_object_set_string_member(obj, "due", due);
		if (ret > 0) {
			json_object_set_string_member(obj, "queue",
						      ticket->queue);
			json_object_set_string_member(
				obj, "status",
				ticket_status_name(ticket->status));
			ticket_free(&ticket);
		}
		json_array_add_object_element(c->out, obj);
		g_free(due);
	}
	return 0;
}

/* Every timer in the index, the earliest first. */
static JsonNode *handle_timers(struct store *store, char **args)
{
	struct timers_context c = { 0 };
	JsonObject *obj;
	JsonNode *node;
	char *error = NULL;

	if (args[0] != NULL && *args[0] != '\0')
		return control_error("usage: timers");
	if (store_transaction(store, timers_txn, &c, &error) < 0) {
		node = control_error("store: %s", error);
		g_free(error);
	} else {
		obj = json_object_new();
		json_object_set_array_member(obj, "timers",
					     json_array_ref(c.out));
		node = json_node_new(JSON_NODE_OBJECT);
		json_node_take_object(node, obj);
	}
	g_clear_pointer(&c.timers, g_array_unref);
	if (c.out != NULL)
		json_array_unref(c.out);
	return node;
}

/* A hot backup into an absolute folder the milter's user may write */
static JsonNode *handle_backup(struct store *store, char **args)
{
	gint64 start = g_get_monotonic_time();
	JsonObject *obj;
	JsonNode *node;
	char *error = NULL;

	if (args[0] == NULL || args[1] != NULL || !g_path_is_absolute(args[0]))
		return control_error("usage: backup /ABSOLUTE/DIR");
	if (store_backup(store, args[0], &error) < 0) {
		log_warning("control: backup into %s failed: %s", args[0],
			    error);
		node = control_error("store: %s", error);
		g_free(error);
		return node;
	}
	log_info("control: backup into %s done in %" G_GINT64_FORMAT " ms",
		 args[0], (g_get_monotonic_time() - start) / 1000);
	obj = json_object_new();
	json_object_set_string_member(obj, "backup", args[0]);
	node = json_node_new(JSON_NODE_OBJECT);
	json_node_take_object(node, obj);
	return node;
}

JsonNode *query_handle(struct store *store, const char *request)
{
	char **words = g_strsplit_set(request, " \t", -1);
	JsonNode *reply;

	if (g_strcmp0(words[0], "tickets") == 0)
		reply = handle_tickets(store, words + 1);
	else if (g_strcmp0(words[0], "show") == 0)
		reply = handle_show(store, words + 1);
	else if (g_strcmp0(words[0], "timers") == 0)
		reply = handle_timers(store, words + 1);
	else if (g_strcmp0(words[0], "backup") == 0)
		reply = handle_backup(store, words + 1);
	else
		reply = control_error("unknown request: %s", words[0]);
	g_strfreev(words);
	return reply;
}
