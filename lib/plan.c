/* plan.c: the plan of one message (plan.h): header and envelope edits,
   outbox items and a log line, built by the pipeline and carried out by
   the milter.  It only holds them: it writes no spool and calls no
   libmilter function. */

#include "plan.h"

#include <stdarg.h>

static void edit_free(gpointer data)
{
	struct plan_edit *edit = data;

	g_free(edit->name);
	g_free(edit->value);
	if (edit->body != NULL)
		g_bytes_unref(edit->body);
	g_free(edit);
}

static void item_free(gpointer data)
{
	struct plan_item *item = data;

	g_free(item->key);
	g_free(item->data);
	g_free(item->what);
	g_free(item);
}

struct plan *plan_new(void)
{
	struct plan *plan = g_new0(struct plan, 1);

	plan->strip = g_ptr_array_new_with_free_func(edit_free);
	plan->items = g_ptr_array_new_with_free_func(item_free);
	plan->edits = g_ptr_array_new_with_free_func(edit_free);
	return plan;
}

void plan_free(struct plan **_plan)
{
	struct plan *plan = *_plan;

	if (plan == NULL)
		return;
	*_plan = NULL;
	g_free(plan->error);
	g_ptr_array_unref(plan->strip);
	g_ptr_array_unref(plan->items);
	g_ptr_array_unref(plan->edits);
	g_free(plan->log);
	g_free(plan);
}

void plan_fail(struct plan *plan, enum plan_failure failure,
	       const char *fmt, ...)
{
	va_list args;

	if (plan->failure != PLAN_OK)
		return;
	plan->failure = failure;
	va_start(args, fmt);
	plan->error = g_strdup_vprintf(fmt, args);
	va_end(args);
}

static struct plan_edit *edit_new(GPtrArray *to, enum plan_edit_kind kind,
				  const char *name, unsigned int index,
				  const char *value)
{
	struct plan_edit *edit = g_new0(struct plan_edit, 1);

	edit->kind = kind;
	edit->name = g_strdup(name);
	edit->index = index;
	edit->value = g_strdup(value);
	g_ptr_array_add(to, edit);
	return edit;
}

void plan_header_add(struct plan *plan, const char *name, const char *value)
{
	edit_new(plan->edits, PLAN_HEADER_ADD, name, 0, value);
}

void plan_header_change(struct plan *plan, const char *name,
			unsigned int index, const char *value)
{
	edit_new(plan->edits, PLAN_HEADER_CHANGE, name, index, value);
}

void plan_header_delete(struct plan *plan, const char *name,
			unsigned int index)
{
	edit_new(plan->edits, PLAN_HEADER_DELETE, name, index, NULL);
}

void plan_from_change(struct plan *plan, const char *address)
{
	edit_new(plan->edits, PLAN_FROM_CHANGE, NULL, 0, address);
}

void plan_rcpt_add(struct plan *plan, const char *address)
{
	edit_new(plan->edits, PLAN_RCPT_ADD, NULL, 0, address);
}

void plan_rcpt_delete(struct plan *plan, const char *rcpt)
{
	edit_new(plan->edits, PLAN_RCPT_DELETE, NULL, 0, rcpt);
}

void plan_body_replace(struct plan *plan, GBytes *body)
{
	edit_new(plan->edits, PLAN_BODY_REPLACE, NULL, 0, NULL)->body =
		g_bytes_ref(body);
}

void plan_strip(struct plan *plan, const char *const *names,
		unsigned int count)
{
	/* lowercased name -> occurrences so far */
	GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal,
						 g_free, NULL);
	unsigned int *index = g_new(unsigned int, count);

	for (unsigned int i = 0; i < count; i++) {
		char *lower = g_ascii_strdown(names[i], -1);
		unsigned int n = GPOINTER_TO_UINT(
			g_hash_table_lookup(seen, lower)) + 1;

		index[i] = n;
		g_hash_table_replace(seen, lower, GUINT_TO_POINTER(n));
	}
	for (unsigned int i = count; i > 0; i--)
		edit_new(plan->strip, PLAN_HEADER_DELETE, names[i - 1],
			 index[i - 1], NULL);
	g_free(index);
	g_hash_table_unref(seen);
}

void plan_item_add(struct plan *plan, const char *key, const char *data,
		   enum plan_failure on_failure, const char *what)
{
	struct plan_item *item = g_new0(struct plan_item, 1);

	item->key = g_strdup(key);
	item->data = g_strdup(data);
	item->on_failure = on_failure;
	item->what = g_strdup(what);
	item->ticket = plan->ticket;
	g_ptr_array_add(plan->items, item);
}

void plan_log(struct plan *plan, const char *fmt, ...)
{
	va_list args;

	g_free(plan->log);
	va_start(args, fmt);
	plan->log = g_strdup_vprintf(fmt, args);
	va_end(args);
}

char *plan_edit_describe(const struct plan_edit *edit)
{
	switch (edit->kind) {
	case PLAN_HEADER_ADD:
		return g_strdup_printf("add header %s", edit->name);
	case PLAN_HEADER_CHANGE:
		return g_strdup_printf("change header %s", edit->name);
	case PLAN_HEADER_DELETE:
		return g_strdup_printf("delete header %s", edit->name);
	case PLAN_FROM_CHANGE:
		return g_strdup_printf("change the sender to %s", edit->value);
	case PLAN_RCPT_ADD:
		return g_strdup_printf("add recipient %s", edit->value);
	case PLAN_RCPT_DELETE:
		return g_strdup_printf("drop recipient %s", edit->value);
	case PLAN_BODY_REPLACE:
		break;
	}
	return g_strdup("replace the body");
}
