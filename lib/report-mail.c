/* report-mail.c: each queue's report, mailed to its report_to when
   report_every says: the day before (daily) or the seven days before
   (weekly), by agent, as HTML with a text alternative and the CSV
   attached, from the queue's address, through the outbox.  The store
   remembers the day of the last report sent ("report.NAME" in meta.db),
   so that a report due while the milter was down goes once it is back,
   and a restart never sends one twice; its outbox key names the queue
   and the day, so that a crash between the outbox and the store only
   writes the same item again. */

#include "report.h"
#include "report-format.h"
#include "jsonget.h"
#include "log.h"
#include "outbox.h"
#include "spool.h"

#include <gmime/gmime.h>
#include <string.h>

/* The local day the latest report fell due on, by now */
static void due_day(const struct report_every *every, GTimeZone *tz,
		    int64_t now, GDate *day_r)
{
	GDateTime *utc = g_date_time_new_from_unix_utc(now);
	GDateTime *local = g_date_time_to_timezone(utc, tz);
	unsigned int minute = g_date_time_get_hour(local) * 60 +
		g_date_time_get_minute(local);

	g_date_clear(day_r, 1);
	g_date_set_dmy(day_r, g_date_time_get_day_of_month(local),
		       g_date_time_get_month(local),
		       g_date_time_get_year(local));
	if (every->kind == REPORT_EVERY_DAY) {
		if (minute < every->minute)
			g_date_subtract_days(day_r, 1);
	} else {
		unsigned int back = (g_date_get_weekday(day_r) + 7 -
				     every->weekday) % 7;

		if (back == 0 && minute < every->minute)
			back = 7;
		g_date_subtract_days(day_r, back);
	}
	g_date_time_unref(local);
	g_date_time_unref(utc);
}

/* Encoded for any relay: the HTML is long lines and not ASCII */
static GMimePart *text_part(const char *subtype, const char *text)
{
	GMimeTextPart *part = g_mime_text_part_new_with_subtype(subtype);

	g_mime_text_part_set_text(part, text);
	g_mime_part_set_content_encoding(GMIME_PART(part),
		g_mime_part_get_best_content_encoding(
			GMIME_PART(part), GMIME_ENCODING_CONSTRAINT_7BIT));
	return GMIME_PART(part);
}

/* HTML with the text as its alternative, and the CSV attached */
static char *report_message(const struct config_queue *q,
			    const char *message_id, const char *subject,
			    const char *csv_name, JsonObject *report)
{
	GMimeMessage *msg = g_mime_message_new(TRUE);
	GMimeMultipart *mixed = g_mime_multipart_new_with_subtype("mixed");
	GMimeMultipart *alt = g_mime_multipart_new_with_subtype("alternative");
	char *text = report_text(report), *html = report_html(report);
	char *csv = report_csv(report), *out;
	GDateTime *now = g_date_time_new_now_utc();
	GMimePart *part;

	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_FROM,
				   q->display_name, q->address);
	for (unsigned int i = 0; q->report_to[i] != NULL; i++)
		g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_TO, NULL,
					   q->report_to[i]);
	g_mime_message_set_subject(msg, subject, "utf-8");
	g_mime_message_set_date(msg, now);
	g_mime_message_set_message_id(msg, message_id);
	g_mime_object_set_header(GMIME_OBJECT(msg), "Auto-Submitted",
				 "auto-generated", NULL);
	part = text_part("plain", text);
	g_mime_multipart_add(alt, GMIME_OBJECT(part));
	g_object_unref(part);
	part = text_part("html", html);
	g_mime_multipart_add(alt, GMIME_OBJECT(part));
	g_object_unref(part);
	g_mime_multipart_add(mixed, GMIME_OBJECT(alt));
	part = text_part("csv", csv);
	g_mime_part_set_filename(part, csv_name);
	g_mime_object_set_disposition(GMIME_OBJECT(part), "attachment");
	g_mime_multipart_add(mixed, GMIME_OBJECT(part));
	g_object_unref(part);
	g_mime_message_set_mime_part(msg, GMIME_OBJECT(mixed));
	out = g_mime_object_to_string(GMIME_OBJECT(msg), NULL);
	g_object_unref(alt);
	g_object_unref(mixed);
	g_object_unref(msg);
	g_date_time_unref(now);
	g_free(text);
	g_free(html);
	g_free(csv);
	return out;
}

struct sent {
	const char *name;	/* "report.QUEUE" */
	uint32_t day;		/* Julian day of the report due */
	bool done;		/* read: already sent */
};

static int sent_get_txn(struct store_txn *txn, void *context,
			char **error_r)
{
	struct sent *s = context;
	uint32_t last = 0;
	int ret = store_meta_get(txn, s->name, &last, error_r);

	s->done = ret > 0 && last >= s->day;
	return ret < 0 ? -1 : 0;
}

static int sent_put_txn(struct store_txn *txn, void *context,
			char **error_r)
{
	struct sent *s = context;

	return store_meta_put(txn, s->name, s->day, error_r);
}

/* One queue's report, when one is due and not sent yet */
static int queue_report(struct store *store, const struct config *config,
			struct spool *outbox, GHashTable *sent_days,
			const struct config_queue *q, int64_t now,
			char **error_r)
{
	struct report_every every;
	GTimeZone *tz;
	GDate day, from, to;
	char *name = g_strconcat("report.", q->name, NULL);
	struct sent sent = { .name = name };
	char *f = NULL, *t = NULL, *d = NULL, *request = NULL, *key = NULL;
	char *message_id = NULL, *subject = NULL, *csv_name = NULL;
	char *message = NULL, *item = NULL, *recipients = NULL;
	JsonNode *reply = NULL;
	const char *error;
	int ret = -1;

	if (report_every_parse(q->report_every, &every, error_r) < 0)
		goto out;
	tz = g_time_zone_new_identifier(q->timezone);
	if (tz == NULL)
		tz = g_time_zone_new_utc();
	due_day(&every, tz, now, &day);
	g_time_zone_unref(tz);
	sent.day = g_date_get_julian(&day);
	/* most rounds: known sent, without asking the store */
	if (GPOINTER_TO_UINT(g_hash_table_lookup(sent_days, name)) >=
	    sent.day) {
		ret = 0;
		goto out;
	}
	if (store_transaction(store, sent_get_txn, &sent, error_r) < 0)
		goto out;
	if (sent.done) {
		g_hash_table_insert(sent_days, g_strdup(name),
				    GUINT_TO_POINTER(sent.day));
		ret = 0;
		goto out;
	}
	to = day;
	g_date_subtract_days(&to, 1);
	from = day;
	g_date_subtract_days(&from, every.kind == REPORT_EVERY_DAY ? 1 : 7);
	f = report_date_text(&from);
	t = report_date_text(&to);
	d = report_date_text(&day);
	request = g_strdup_printf("report from=%s to=%s by=agent queue=%s",
				  f, t, q->name);
	reply = report_handle(store, config, request);
	error = jsonget_string(json_node_get_object(reply), "error");
	if (error != NULL) {
		*error_r = g_strdup(error);
		goto out;
	}
	key = g_strdup_printf("report.%s.%s", q->name, d);
	message_id = g_strdup_printf("%s@%s", key, config->domain);
	subject = every.kind == REPORT_EVERY_DAY ?
		g_strdup_printf("%s: customer service on %s",
				q->display_name, f) :
		g_strdup_printf("%s: customer service %s to %s",
				q->display_name, f, t);
	csv_name = g_strdup_printf("report-%s-%s-%s.csv", q->name, f, t);
	message = report_message(q, message_id, subject, csv_name,
				 json_node_get_object(reply));
	{
		struct outbox_mail mail = {
			.created = now,
			.sender = q->address,
			.recipients = q->report_to,
			.message = message,
		};

		item = outbox_mail_encode(&mail);
	}
	if (spool_put(outbox, key, item, strlen(item), error_r) < 0 ||
	    store_transaction(store, sent_put_txn, &sent, error_r) < 0)
		goto out;
	g_hash_table_insert(sent_days, g_strdup(name),
			    GUINT_TO_POINTER(sent.day));
	recipients = g_strjoinv(">, <", q->report_to);
	log_info("report: queue=%s %s to %s outbox=%s to=<%s>", q->name, f,
		 t, key, recipients);
	ret = 0;
out:
	if (reply != NULL)
		json_node_unref(reply);
	g_free(recipients);
	g_free(item);
	g_free(message);
	g_free(csv_name);
	g_free(subject);
	g_free(message_id);
	g_free(key);
	g_free(request);
	g_free(d);
	g_free(t);
	g_free(f);
	g_free(name);
	return ret;
}

int report_mail_run(struct store *store, const struct config *config,
		    struct spool *outbox, GHashTable *sent_days, int64_t now,
		    char **error_r)
{
	GString *failed = NULL;

	/* a queue that fails keeps no other queue's report back */
	for (unsigned int i = 0; i < config->queues->len; i++) {
		const struct config_queue *q = config->queues->pdata[i];
		char *error = NULL;

		if (q->report_to == NULL || q->report_to[0] == NULL ||
		    strcmp(q->report_every, "off") == 0)
			continue;
		if (queue_report(store, config, outbox, sent_days, q, now,
				 &error) < 0) {
			if (failed == NULL)
				failed = g_string_new(NULL);
			else
				g_string_append(failed, "; ");
			g_string_append_printf(failed, "queue %s: %s",
					       q->name, error);
			g_free(error);
		}
	}
	if (failed == NULL)
		return 0;
	*error_r = g_string_free(failed, FALSE);
	return -1;
}
