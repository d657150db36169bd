/* ticket.c: the ticket record, its history events and their versioned
   GVariant encoding, and the JSON form shown to admins.  It knows nothing
   about where records are stored (store.c) or how mail is threaded into
   them (thread.c). */

#include "ticket.h"

#include <string.h>

/* Version 1 lacked the acknowledgement fields, version 2 the timers;
   both are still read. */
#define TICKET_RECORD_VERSION 3
#define TICKET_RECORD_TYPE "(yussssssssxxxxsasuuxsssbxxxxxxibxx)"
#define TICKET_RECORD_V2_TYPE "(yussssssssxxxxsasuuxss)"
#define TICKET_RECORD_V1_TYPE "(yussssssssxxxxsasuu)"
#define EVENT_RECORD_VERSION 1
#define EVENT_RECORD_TYPE "(yuxsa{sv})"
#define EVENT_RECORD_FORMAT "(yuxs@a{sv})"

static const char *const status_names[] = {
	[TICKET_NEW] = "new",
	[TICKET_OPEN] = "open",
	[TICKET_PENDING] = "pending",
	[TICKET_RESOLVED] = "resolved",
	[TICKET_CLOSED] = "closed",
};

struct ticket *ticket_new(void)
{
	struct ticket *ticket = g_new0(struct ticket, 1);

	ticket->queue = g_strdup("");
	ticket->channel = g_strdup("email");
	ticket->customer_name = g_strdup("");
	ticket->customer_address = g_strdup("");
	ticket->language = g_strdup("");
	ticket->subject = g_strdup("");
	ticket->category = g_strdup("");
	ticket->assignee = g_strdup("");
	ticket->ack_id = g_strdup("");
	ticket->ack_for = g_strdup("");
	ticket->participants = g_ptr_array_new_with_free_func(g_free);
	return ticket;
}

void ticket_free(struct ticket **_ticket)
{
	struct ticket *ticket = *_ticket;

	if (ticket == NULL)
		return;
	*_ticket = NULL;
	g_free(ticket->queue);
	g_free(ticket->channel);
	g_free(ticket->customer_name);
	g_free(ticket->customer_address);
	g_free(ticket->language);
	g_free(ticket->subject);
	g_free(ticket->category);
	g_free(ticket->assignee);
	g_free(ticket->ack_id);
	g_free(ticket->ack_for);
	g_ptr_array_unref(ticket->participants);
	g_free(ticket);
}

static const char *const sla_names[] = {
	[SLA_NONE] = "",
	[SLA_OK] = "ok",
	[SLA_WARNED] = "warned",
	[SLA_BREACHED] = "breached",
	[SLA_MET] = "met",
};

static const char *const timer_names[] = {
	[TIMER_SLA_WARN] = "sla_warn",
	[TIMER_SLA_BREACH] = "sla_breach",
	[TIMER_SCHEDULE] = "schedule",
	[TIMER_FOLLOWUP] = "followup",
	[TIMER_AUTOCLOSE] = "autoclose",
	[TIMER_WINDOW] = "window",
};

const char *ticket_status_name(enum ticket_status status)
{
	return status_names[status];
}

const char *ticket_sla_name(enum ticket_sla sla)
{
	return sla_names[sla];
}

const char *ticket_timer_name(enum ticket_timer_kind kind)
{
	return kind < G_N_ELEMENTS(timer_names) && timer_names[kind] != NULL ?
		timer_names[kind] : "unknown";
}

void ticket_set_status(struct ticket *ticket, enum ticket_status status,
		       int64_t now)
{
	if (status == TICKET_RESOLVED && ticket->status != TICKET_RESOLVED) {
		ticket->resolved_at = now;
		ticket->followup_at = 0;
		ticket->autoclose_at = 0;
		ticket->followup_sent = 0;
	} else if (status != TICKET_RESOLVED) {
		ticket->resolved_at = 0;
		ticket->followup_at = 0;
		ticket->autoclose_at = 0;
	}
	ticket->status = status;
}

bool ticket_overdue(const struct ticket *ticket)
{
	return ticket->awaiting && ticket->sla == SLA_BREACHED &&
	       ticket->status != TICKET_RESOLVED &&
	       ticket->status != TICKET_CLOSED;
}

unsigned int ticket_timers(const struct ticket *ticket,
			   struct ticket_timer timers_r[TICKET_TIMERS_MAX])
{
	unsigned int n = 0;

	if (ticket->awaiting && ticket->sla == SLA_OK &&
	    ticket->warn_at != 0)
		timers_r[n++] = (struct ticket_timer){ ticket->warn_at,
						       TIMER_SLA_WARN };
	if (ticket->awaiting && ticket->promise_by != 0 &&
	    (ticket->sla == SLA_OK || ticket->sla == SLA_WARNED))
		timers_r[n++] = (struct ticket_timer){ ticket->promise_by,
						       TIMER_SLA_BREACH };
	if (ticket->awaiting && strcmp(ticket->channel, "whatsapp") == 0 &&
	    ticket->last_inbound != 0 &&
	    ticket->window_warned != ticket->last_inbound)
		timers_r[n++] = (struct ticket_timer){
			ticket->last_inbound + WHATSAPP_WINDOW -
			WHATSAPP_WINDOW_WARNING, TIMER_WINDOW };
	if (ticket->status != TICKET_RESOLVED || ticket->resolved_at == 0)
		return n;
	if (ticket->followup_at == 0 && ticket->autoclose_at == 0) {
		timers_r[n++] = (struct ticket_timer){ ticket->resolved_at,
						       TIMER_SCHEDULE };
		return n;
	}
	if (ticket->followup_at != TIMER_OFF && ticket->followup_sent == 0)
		timers_r[n++] = (struct ticket_timer){ ticket->followup_at,
						       TIMER_FOLLOWUP };
	if (ticket->autoclose_at != TIMER_OFF)
		timers_r[n++] = (struct ticket_timer){ ticket->autoclose_at,
						       TIMER_AUTOCLOSE };
	return n;
}

int ticket_status_parse(const char *name, enum ticket_status *status_r)
{
	for (unsigned int i = 0; i < G_N_ELEMENTS(status_names); i++) {
		if (g_ascii_strcasecmp(name, status_names[i]) == 0) {
			*status_r = i;
			return 0;
		}
	}
	return -1;
}

bool ticket_has_participant(const struct ticket *ticket, const char *address)
{
	for (unsigned int i = 0; i < ticket->participants->len; i++) {
		const char *p = g_ptr_array_index(ticket->participants, i);

		if (g_ascii_strcasecmp(p, address) == 0)
			return true;
	}
	return false;
}

bool ticket_add_participant(struct ticket *ticket, const char *address)
{
	if (*address == '\0' || ticket_has_participant(ticket, address))
		return false;
	g_ptr_array_add(ticket->participants, g_ascii_strdown(address, -1));
	return true;
}

GBytes *ticket_serialize(const struct ticket *ticket)
{
	GVariantBuilder participants;
	GVariant *record;
	GBytes *bytes;

	g_variant_builder_init(&participants, G_VARIANT_TYPE("as"));
	for (unsigned int i = 0; i < ticket->participants->len; i++)
		g_variant_builder_add(&participants, "s",
				      g_ptr_array_index(ticket->participants,
							i));
	record = g_variant_new(TICKET_RECORD_TYPE, TICKET_RECORD_VERSION,
			       ticket->id, ticket->queue,
			       ticket_status_name(ticket->status),
			       ticket->channel, ticket->customer_name,
			       ticket->customer_address, ticket->language,
			       ticket->subject, ticket->category,
			       (gint64)ticket->created, (gint64)ticket->updated,
			       (gint64)ticket->reply_by,
			       (gint64)ticket->first_reply, ticket->assignee,
			       &participants, ticket->linked_to,
			       ticket->next_seq, (gint64)ticket->last_ack,
			       ticket->ack_id, ticket->ack_for,
			       ticket_sla_name(ticket->sla),
			       (gboolean)ticket->awaiting,
			       (gint64)ticket->promise_by,
			       (gint64)ticket->warn_at,
			       (gint64)ticket->resolved_at,
			       (gint64)ticket->followup_at,
			       (gint64)ticket->autoclose_at,
			       (gint64)ticket->followup_sent,
			       (gint32)ticket->rating,
			       (gboolean)ticket->quiet,
			       (gint64)ticket->last_inbound,
			       (gint64)ticket->window_warned);
	g_variant_ref_sink(record);
	bytes = g_variant_get_data_as_bytes(record);
	g_variant_unref(record);
	return bytes;
}

/* Wraps stored bytes as a variant of the given type, after checking the
   version byte that every record starts with.  GVariant tolerates any
   bytes (a malformed record reads as default values), so this never
   crashes on a damaged database. */
static GVariant *record_open(const void *data, size_t size, const char *type,
			     guint8 version, char **error_r)
{
	GVariant *record;
	void *copy;

	if (size == 0 || ((const guint8 *)data)[0] != version) {
		*error_r = g_strdup("unknown record version");
		return NULL;
	}
	copy = g_memdup2(data, size);
	record = g_variant_new_from_data(G_VARIANT_TYPE(type), copy, size,
					 FALSE, g_free, copy);
	return g_variant_ref_sink(record);
}

/* Replaces *field with the string member at index of record. */
static void child_string(GVariant *record, gsize index, char **field)
{
	g_free(*field);
	g_variant_get_child(record, index, "s", field);
}

/* The members version 3 added, from index 21. */
static int read_timers(GVariant *record, struct ticket *ticket,
		       char **error_r)
{
	const char *sla;
	gboolean awaiting;
	gboolean quiet;
	gint64 t[6], last_inbound, window_warned;
	gint32 rating;

	g_variant_get_child(record, 21, "&s", &sla);
	g_variant_get_child(record, 22, "b", &awaiting);
	for (unsigned int i = 0; i < G_N_ELEMENTS(t); i++)
		g_variant_get_child(record, 23 + i, "x", &t[i]);
	g_variant_get_child(record, 29, "i", &rating);
	g_variant_get_child(record, 30, "b", &quiet);
	g_variant_get_child(record, 31, "x", &last_inbound);
	g_variant_get_child(record, 32, "x", &window_warned);
	ticket->sla = SLA_NONE;
	for (unsigned int i = 0; i < G_N_ELEMENTS(sla_names); i++) {
		if (strcmp(sla, sla_names[i]) == 0)
			ticket->sla = i;
	}
	if (*sla != '\0' && ticket->sla == SLA_NONE) {
		*error_r = g_strdup("ticket record has an unknown SLA state");
		return -1;
	}
	ticket->awaiting = awaiting;
	ticket->promise_by = t[0];
	ticket->warn_at = t[1];
	ticket->resolved_at = t[2];
	ticket->followup_at = t[3];
	ticket->autoclose_at = t[4];
	ticket->followup_sent = t[5];
	ticket->rating = rating;
	ticket->quiet = quiet;
	ticket->last_inbound = last_inbound;
	ticket->window_warned = window_warned;
	return 0;
}

int ticket_deserialize(const void *data, size_t size, struct ticket **ticket_r,
		       char **error_r)
{
	struct ticket *ticket;
	GVariant *record;
	GVariantIter *participants;
	const char *status;
	const char *address;
	guint8 version = size > 0 ? ((const guint8 *)data)[0] : 0;
	gint64 created, updated, reply_by, first_reply, last_ack;

	if (version == 1)
		record = record_open(data, size, TICKET_RECORD_V1_TYPE, 1,
				     error_r);
	else if (version == 2)
		record = record_open(data, size, TICKET_RECORD_V2_TYPE, 2,
				     error_r);
	else
		record = record_open(data, size, TICKET_RECORD_TYPE,
				     TICKET_RECORD_VERSION, error_r);
	if (record == NULL)
		return -1;

	/* member by member: each version only appends to the one before */
	ticket = ticket_new();
	g_variant_get_child(record, 1, "u", &ticket->id);
	child_string(record, 2, &ticket->queue);
	g_variant_get_child(record, 3, "&s", &status);
	child_string(record, 4, &ticket->channel);
	child_string(record, 5, &ticket->customer_name);
	child_string(record, 6, &ticket->customer_address);
	child_string(record, 7, &ticket->language);
	child_string(record, 8, &ticket->subject);
	child_string(record, 9, &ticket->category);
	g_variant_get_child(record, 10, "x", &created);
	g_variant_get_child(record, 11, "x", &updated);
	g_variant_get_child(record, 12, "x", &reply_by);
	g_variant_get_child(record, 13, "x", &first_reply);
	child_string(record, 14, &ticket->assignee);
	g_variant_get_child(record, 15, "as", &participants);
	g_variant_get_child(record, 16, "u", &ticket->linked_to);
	g_variant_get_child(record, 17, "u", &ticket->next_seq);
	if (version >= 2) {
		g_variant_get_child(record, 18, "x", &last_ack);
		ticket->last_ack = last_ack;
		child_string(record, 19, &ticket->ack_id);
		child_string(record, 20, &ticket->ack_for);
	}
	if (version >= 3 && read_timers(record, ticket, error_r) < 0) {
		g_variant_unref(record);
		ticket_free(&ticket);
		return -1;
	}
	ticket->created = created;
	ticket->updated = updated;
	ticket->reply_by = reply_by;
	ticket->first_reply = first_reply;
	while (g_variant_iter_next(participants, "&s", &address))
		g_ptr_array_add(ticket->participants, g_strdup(address));
	g_variant_iter_free(participants);

	if (ticket_status_parse(status, &ticket->status) < 0) {
		g_variant_unref(record);
		ticket_free(&ticket);
		*error_r = g_strdup("ticket record has an unknown "
				    "status");
		return -1;
	}
	g_variant_unref(record);
	*ticket_r = ticket;
	return 0;
}

struct ticket_event *ticket_event_new(int64_t time, const char *event,
				      GVariant *fields)
{
	struct ticket_event *ev = g_new0(struct ticket_event, 1);

	ev->time = time;
	ev->event = g_strdup(event);
	if (fields == NULL)
		fields = g_variant_new("a{sv}", NULL);
	ev->fields = g_variant_ref_sink(fields);
	return ev;
}

void ticket_event_free(struct ticket_event **_event)
{
	struct ticket_event *ev = *_event;

	if (ev == NULL)
		return;
	*_event = NULL;
	g_free(ev->event);
	g_variant_unref(ev->fields);
	g_free(ev);
}

GBytes *ticket_event_serialize(const struct ticket_event *ev)
{
	GVariant *record;
	GBytes *bytes;

	record = g_variant_new(EVENT_RECORD_FORMAT, EVENT_RECORD_VERSION,
			       ev->seq, (gint64)ev->time, ev->event,
			       ev->fields);
	g_variant_ref_sink(record);
	bytes = g_variant_get_data_as_bytes(record);
	g_variant_unref(record);
	return bytes;
}

int ticket_event_deserialize(const void *data, size_t size,
			     struct ticket_event **event_r,
			     char **error_r)
{
	struct ticket_event *ev;
	GVariant *record;
	guint8 version;
	gint64 time;

	record = record_open(data, size, EVENT_RECORD_TYPE,
			     EVENT_RECORD_VERSION, error_r);
	if (record == NULL)
		return -1;
	ev = g_new0(struct ticket_event, 1);
	g_variant_get(record, EVENT_RECORD_FORMAT, &version, &ev->seq, &time,
		      &ev->event, &ev->fields);
	ev->time = time;
	g_variant_unref(record);
	*event_r = ev;
	return 0;
}

char *ticket_format_time(int64_t time)
{
	GDateTime *dt;
	char *text;

	if (time == 0)
		return NULL;
	dt = g_date_time_new_from_unix_utc(time);
	if (dt == NULL)
		return NULL;
	text = g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ");
	g_date_time_unref(dt);
	return text;
}

static void add_time(JsonBuilder *b, const char *name, int64_t time)
{
	char *text = ticket_format_time(time);

	json_builder_set_member_name(b, name);
	if (text == NULL)
		json_builder_add_null_value(b);
	else
		json_builder_add_string_value(b, text);
	g_free(text);
}

static void add_optional_string(JsonBuilder *b, const char *name,
				const char *value)
{
	json_builder_set_member_name(b, name);
	if (*value == '\0')
		json_builder_add_null_value(b);
	else
		json_builder_add_string_value(b, value);
}

const char *ticket_event_string(const struct ticket_event *ev,
				const char *key)
{
	const char *value = "";

	g_variant_lookup(ev->fields, key, "&s", &value);
	return value;
}

static void add_messages(JsonBuilder *b, const GPtrArray *events)
{
	json_builder_set_member_name(b, "messages");
	json_builder_begin_array(b);
	for (unsigned int i = 0; i < events->len; i++) {
		const struct ticket_event *ev = g_ptr_array_index(events, i);
		static const char *const keys[] = {
			"message_id", "direction", "from", "date",
			"queue_id", "rule", "subject",
		};

		if (strcmp(ev->event, "message") != 0)
			continue;
		json_builder_begin_object(b);
		for (unsigned int k = 0; k < G_N_ELEMENTS(keys); k++) {
			json_builder_set_member_name(b, keys[k]);
			json_builder_add_string_value(
				b, ticket_event_string(ev, keys[k]));
		}
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
}

static void add_history(JsonBuilder *b, const GPtrArray *events)
{
	json_builder_set_member_name(b, "history");
	json_builder_begin_array(b);
	for (unsigned int i = 0; i < events->len; i++) {
		const struct ticket_event *ev = g_ptr_array_index(events, i);
		GVariantIter iter;
		const char *key;
		GVariant *value;

		json_builder_begin_object(b);
		add_time(b, "time", ev->time);
		json_builder_set_member_name(b, "event");
		json_builder_add_string_value(b, ev->event);
		g_variant_iter_init(&iter, ev->fields);
		while (g_variant_iter_next(&iter, "{&sv}", &key, &value)) {
			json_builder_set_member_name(b, key);
			json_builder_add_value(b,
				json_gvariant_serialize(value));
			g_variant_unref(value);
		}
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
}

JsonNode *ticket_to_json(const struct ticket *ticket, const GPtrArray *events)
{
	JsonBuilder *b = json_builder_new();
	JsonNode *node;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "id");
	json_builder_add_int_value(b, ticket->id);
	json_builder_set_member_name(b, "queue");
	json_builder_add_string_value(b, ticket->queue);
	json_builder_set_member_name(b, "status");
	json_builder_add_string_value(b, ticket_status_name(ticket->status));
	json_builder_set_member_name(b, "channel");
	json_builder_add_string_value(b, ticket->channel);
	json_builder_set_member_name(b, "customer");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "name");
	json_builder_add_string_value(b, ticket->customer_name);
	json_builder_set_member_name(b, "address");
	json_builder_add_string_value(b, ticket->customer_address);
	add_optional_string(b, "language", ticket->language);
	json_builder_end_object(b);
	json_builder_set_member_name(b, "subject");
	json_builder_add_string_value(b, ticket->subject);
	add_optional_string(b, "category", ticket->category);
	add_time(b, "created", ticket->created);
	add_time(b, "updated", ticket->updated);
	add_time(b, "reply_by", ticket->reply_by);
	add_time(b, "first_reply", ticket->first_reply);
	add_optional_string(b, "assignee", ticket->assignee);
	add_optional_string(b, "sla", ticket_sla_name(ticket->sla));
	add_time(b, "promise_by", ticket->promise_by);
	json_builder_set_member_name(b, "rating");
	if (ticket->rating == 0)
		json_builder_add_null_value(b);
	else
		json_builder_add_int_value(b, ticket->rating);
	json_builder_set_member_name(b, "linked_to");
	if (ticket->linked_to == 0)
		json_builder_add_null_value(b);
	else
		json_builder_add_int_value(b, ticket->linked_to);
	json_builder_set_member_name(b, "participants");
	json_builder_begin_array(b);
	for (unsigned int i = 0; i < ticket->participants->len; i++)
		json_builder_add_string_value(b,
			g_ptr_array_index(ticket->participants, i));
	json_builder_end_array(b);
	if (events != NULL) {
		add_messages(b, events);
		add_history(b, events);
	}
	json_builder_end_object(b);
	node = json_builder_get_root(b);
	g_object_unref(b);
	return node;
}
