/*
 * teardown.c - replaying the journal's undos, newest first
 */
#include <string.h>

#include "labctl/provider.h"
#include "labctl/teardown.h"

/* Seconds an undo may run when its record does not say. */
#define UNDO_DEFAULT_TIMEOUT 60

static void undo_step_free(gpointer p)
{
	struct undo_step *s = p;

	g_free(s->key);
	g_free(s->node);
	g_free(s->what);
	g_free(s->command);
	if (s->local)
		json_object_unref(s->local);
	g_free(s);
}

struct entry {
	guint first;            /* position of the first record of the key */
	bool active;
	JsonObject *rec;        /* the latest intent record (borrowed) */
};

static gint by_first_desc(gconstpointer a, gconstpointer b)
{
	const struct entry *x = *(struct entry *const *)a;
	const struct entry *y = *(struct entry *const *)b;

	return x->first < y->first ? 1 : x->first > y->first ? -1 : 0;
}

GPtrArray *teardown_steps(GPtrArray *records)
{
	g_autoptr(GHashTable) entries = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
	g_autoptr(GPtrArray) order = g_ptr_array_new();
	GPtrArray *steps = g_ptr_array_new_with_free_func(undo_step_free);

	for (guint i = 0; i < records->len; i++) {
		JsonObject *r = g_ptr_array_index(records, i);
		const char *type = json_object_get_string_member_with_default(r, "type", "");
		const char *key = json_object_get_string_member_with_default(r, "key", NULL);
		struct entry *e;

		if (!key)
			continue;
		e = g_hash_table_lookup(entries, key);
		if (!strcmp(type, "task") || !strcmp(type, "local")) {
			if (!e) {
				e = g_new0(struct entry, 1);
				e->first = i;
				g_hash_table_insert(entries, (gpointer)key, e);
				g_ptr_array_add(order, e);
			}
			e->active = true;
			e->rec = r;
		} else if (!strcmp(type, "undone") && e) {
			e->active = false;
		}
	}
	g_ptr_array_sort(order, by_first_desc);
	for (guint i = 0; i < order->len; i++) {
		struct entry *e = g_ptr_array_index(order, i);
		const char *type = json_object_get_string_member(e->rec, "type");
		struct undo_step *s;

		if (!e->active)
			continue;
		if (!strcmp(type, "task")) {
			JsonNode *u = json_object_get_member(e->rec, "undo");

			if (!u || JSON_NODE_HOLDS_NULL(u))
				continue;
			s = g_new0(struct undo_step, 1);
			s->remote = true;
			s->node = g_strdup(json_object_get_string_member_with_default(e->rec, "node", ""));
			s->what = g_strdup(json_object_get_string_member_with_default(e->rec, "name", ""));
			s->command = g_strdup(json_node_get_string(u));
			s->timeout = (unsigned)json_object_get_int_member_with_default(e->rec, "timeout",
										UNDO_DEFAULT_TIMEOUT);
		} else {
			JsonObject *u = json_object_get_object_member(e->rec, "undo");

			if (!u)
				continue;
			s = g_new0(struct undo_step, 1);
			s->what = g_strdup(json_object_get_string_member_with_default(e->rec, "what", ""));
			s->local = json_object_ref(u);
		}
		s->key = g_strdup(json_object_get_string_member(e->rec, "key"));
		g_ptr_array_add(steps, s);
	}
	return steps;
}

static bool run_remote(const struct undo_step *s, const struct teardown_opts *o,
		       GHashTable *conns, GError **error)
{
	struct lab_ssh *ssh = g_hash_table_lookup(conns, s->node);
	struct lab_ssh_result r = { 0 };
	bool ok;

	if (!ssh && !g_hash_table_contains(conns, s->node)) {
		ssh = o->connect ? o->connect(s->node, o->connect_data, error) : NULL;
		if (!ssh && !o->connect)
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
				    "no way to reach node '%s'", s->node);
		/* remember a failure too: one message per node, not per step */
		g_hash_table_insert(conns, g_strdup(s->node), ssh);
		if (!ssh)
			return false;
	}
	if (!ssh) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
			    "node '%s' could not be reached", s->node);
		return false;
	}
	ok = lab_ssh_exec(ssh, s->command, NULL, 0, s->timeout, &r, error);
	if (ok && (r.status != 0 || r.timed_out)) {
		g_autofree char *err = g_strndup(r.err, r.err_len);

		g_strstrip(err);
		if (r.timed_out)
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
				    "timed out after %u s", s->timeout);
		else
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "exit status %d%s%s",
				    r.status, *err ? ": " : "", err);
		ok = false;
	}
	lab_ssh_result_clear(&r);
	return ok;
}

static void close_conn(gpointer p)
{
	if (p)
		lab_ssh_close(p);
}

static void record_step(const struct teardown_opts *o, const struct undo_step *s,
			const char *outcome, const GError *error, double seconds)
{
	JsonObject *r;

	if (!o->record)
		return;
	r = json_object_new();
	if (s->remote)
		json_object_set_string_member(r, "node", s->node);
	else
		json_object_set_null_member(r, "node");
	json_object_set_string_member(r, "what", s->what);
	json_object_set_string_member(r, "outcome", outcome);
	if (error)
		json_object_set_string_member(r, "error", error->message);
	else
		json_object_set_null_member(r, "error");
	json_object_set_double_member(r, "seconds", seconds);
	json_array_add_object_element(o->record, r);
}

bool teardown_run(GPtrArray *steps, struct journal *journal,
		  const struct teardown_opts *o, guint *failed)
{
	g_autoptr(GHashTable) conns = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, close_conn);

	*failed = 0;
	for (guint i = 0; i < steps->len; i++) {
		const struct undo_step *s = g_ptr_array_index(steps, i);
		g_autoptr(GError) error = NULL;
		gint64 t0 = g_get_monotonic_time();
		double seconds;
		bool ok;

		/*
		 * Local steps take the network and the sshds away: close the
		 * sessions first, or their sshd processes (and so the network
		 * namespaces) outlive the lab, waiting for a FIN that cannot come.
		 */
		if (!s->remote)
			g_hash_table_remove_all(conns);
		ok = s->remote ? run_remote(s, o, conns, &error) : provider_undo(s->local, &error);
		if (ok) {
			g_autoptr(JsonObject) rec = json_object_new();

			json_object_set_string_member(rec, "type", "undone");
			json_object_set_string_member(rec, "key", s->key);
			ok = journal_append(journal, rec, &error);
		}
		seconds = (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC;
		record_step(o, s, ok ? "undone" : "failed", ok ? NULL : error, seconds);
		if (!ok) {
			(*failed)++;
			if (o->out)
				fprintf(o->out, "%s%s%s: undo failed: %s\n", s->remote ? s->node : "local",
					": ", s->what, error->message);
			if (!o->force) {
				for (guint k = i + 1; k < steps->len; k++)
					record_step(o, g_ptr_array_index(steps, k), "not run", NULL, 0);
				return false;
			}
			continue;
		}
		if (o->out && o->verbosity >= 0)
			fprintf(o->out, "%-12s undone  %s (%.2f s)\n", s->remote ? s->node : "local",
				s->what, seconds);
		if (o->out && o->verbosity > 0 && s->remote)
			fprintf(o->out, "             $ %s\n", s->command);
	}
	return *failed == 0;
}
