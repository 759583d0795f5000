/*
 * teardown.c - replaying the journal's undos, newest first
 */
#include <string.h>

#include "labctl/parallel.h"
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
	g_free(s->of_node);
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
			s->of_node = g_strdup(json_object_get_string_member_with_default(e->rec, "of_node",
											  NULL));
		}
		s->key = g_strdup(json_object_get_string_member(e->rec, "key"));
		g_ptr_array_add(steps, s);
	}
	return steps;
}

/* One teardown: what every worker shares, under @lock. */
struct td {
	const struct teardown_opts *o;
	struct journal *journal;
	struct undo_ctx lab;    /* what local undos may touch */
	GMutex lock;
	GHashTable *conns;      /* node -> struct lab_ssh *, NULL: unreachable */
	GHashTable *conn_errors;        /* node -> GError *: why a connection made
					   ahead of its first step failed, for that step */
	GHashTable *ran;        /* the steps that ran, failed or not */
	guint failed;
	guint kept;             /* local steps kept for a node that still needs them */
	GHashTable *failed_nodes;       /* nodes with a remote step that failed */
	bool stop;              /* a step failed without --force */
};

/* The node's connection, made on first use; NULL with @error when it cannot be. */
static struct lab_ssh *node_conn(struct td *td, const char *node, GError **error)
{
	const struct teardown_opts *o = td->o;
	struct lab_ssh *ssh;
	bool known;

	g_mutex_lock(&td->lock);
	known = g_hash_table_lookup_extended(td->conns, node, NULL, (gpointer *)&ssh);
	g_mutex_unlock(&td->lock);
	if (known) {
		g_autofree char *key = NULL;
		GError *why = NULL;

		g_mutex_lock(&td->lock);
		if (!ssh)
			g_hash_table_steal_extended(td->conn_errors, node, (gpointer *)&key,
						    (gpointer *)&why);
		g_mutex_unlock(&td->lock);
		/* the reason goes with the node's first step, as without connecting ahead */
		if (why)
			g_propagate_error(error, why);
		else if (!ssh)
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
				    "node '%s' could not be reached", node);
		return ssh;
	}
	/* each node is one worker's: nobody else connects to it meanwhile */
	ssh = o->connect ? o->connect(node, o->connect_data, error) : NULL;
	if (!ssh && !o->connect)
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
			    "no way to reach node '%s'", node);
	/* remember a failure too: one message per node, not per step */
	g_mutex_lock(&td->lock);
	g_hash_table_insert(td->conns, g_strdup(node), ssh);
	g_mutex_unlock(&td->lock);
	return ssh;
}

static bool run_remote(struct td *td, const struct undo_step *s, GError **error)
{
	struct lab_ssh *ssh = node_conn(td, s->node, error);
	struct lab_ssh_result r = { 0 };
	bool ok;

	if (!ssh)
		return false;
	ok = lab_ssh_exec(ssh, s->command, NULL, 0, s->timeout, &r, error);
	if (ok && (r.status != 0 || r.timed_out)) {
		g_autofree char *err = redact_text(td->o->redact, r.err, (gssize)r.err_len, NULL);

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

/* Runs one step and journals it; false when it failed. */
static bool run_step(struct td *td, const struct undo_step *s)
{
	const struct teardown_opts *o = td->o;
	g_autoptr(GError) error = NULL;
	gint64 t0 = g_get_monotonic_time();
	double seconds;
	bool ok;

	ok = s->remote ? run_remote(td, s, &error) : provider_undo(td->o->provider, &td->lab, s->local, &error);
	g_mutex_lock(&td->lock);
	g_hash_table_add(td->ran, (gpointer)s);
	if (ok) {
		g_autoptr(JsonObject) rec = json_object_new();

		json_object_set_string_member(rec, "type", "undone");
		json_object_set_string_member(rec, "key", s->key);
		ok = journal_append(td->journal, rec, &error);
	} else {
		/* what failed, for status; given up only when asked to forget */
		g_autoptr(JsonObject) rec = json_object_new();
		g_autoptr(JsonObject) gone = json_object_new();

		json_object_set_string_member(rec, "type", "undo-failed");
		json_object_set_string_member(rec, "key", s->key);
		json_object_set_string_member(rec, "error", error->message);
		journal_append(td->journal, rec, NULL);
		if (o->force && o->forget) {
			json_object_set_string_member(gone, "type", "undone");
			json_object_set_string_member(gone, "key", s->key);
			json_object_set_boolean_member(gone, "given_up", true);
			journal_append(td->journal, gone, NULL);
		}
		if (s->remote)
			g_hash_table_add(td->failed_nodes, g_strdup(s->node));
	}
	seconds = (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC;
	record_step(o, s, ok ? "undone" : "failed", ok ? NULL : error, seconds);
	if (!ok) {
		td->failed++;
		if (!o->force)
			td->stop = true;
		if (o->out)
			fprintf(o->out, "%s%s%s: undo failed: %s\n", s->remote ? s->node : "local",
				": ", s->what, error->message);
	} else {
		if (o->out && o->verbosity >= 0)
			fprintf(o->out, "%-12s undone  %s (%.2f s)\n", s->remote ? s->node : "local",
				s->what, seconds);
		if (o->out && o->verbosity > 0 && s->remote)
			fprintf(o->out, "             $ %s\n", s->command);
	}
	if (o->out)
		fflush(o->out);
	g_mutex_unlock(&td->lock);
	return ok;
}

static bool stopping(struct td *td)
{
	bool stop;

	g_mutex_lock(&td->lock);
	stop = td->stop;
	g_mutex_unlock(&td->lock);
	return stop;
}

/* The steps of one node within a run of remote steps, newest first. */
struct node_steps {
	struct td *td;
	const char *node;
	int wave;
	bool connect_only;      /* connect, for a later wave: no step yet */
	GPtrArray *steps;       /* const struct undo_step * (borrowed) */
};

/*
 * Connects to @node ahead of its first step, so that connections are made
 * side by side, not one after the other; a failure is kept for that step.
 */
static void connect_ahead(struct td *td, const char *node)
{
	GError *error = NULL;

	if (!node_conn(td, node, &error) && error) {
		g_mutex_lock(&td->lock);
		g_hash_table_insert(td->conn_errors, g_strdup(node), error);
		g_mutex_unlock(&td->lock);
	}
}

static void connect_worker(guint index, gpointer data)
{
	struct node_steps *n = g_ptr_array_index((GPtrArray *)data, index);

	connect_ahead(n->td, n->node);
}

static void node_steps_free(gpointer p)
{
	struct node_steps *n = p;

	g_ptr_array_unref(n->steps);
	g_free(n);
}

/* One node of a wave: @data is the wave's struct node_steps * array. */
static void node_worker(guint index, gpointer data)
{
	struct node_steps *n = g_ptr_array_index((GPtrArray *)data, index);

	if (n->connect_only) {
		connect_ahead(n->td, n->node);
		return;
	}
	for (guint i = 0; i < n->steps->len && !stopping(n->td); i++)
		run_step(n->td, g_ptr_array_index(n->steps, i));
}

/*
 * Runs the remote steps @from to @to (exclusive).  With a wave for every
 * node (opts->wave), the nodes of a wave undo their steps at once, each in
 * its own order, and a wave starts when the one before it is done: hosts
 * log out and unmount while their targets still answer; the nodes of later
 * waves connect meanwhile.  Without, one step at a time, newest first,
 * after connecting to every node at once.
 */
static void run_remote_steps(struct td *td, GPtrArray *steps, guint from, guint to)
{
	const struct teardown_opts *o = td->o;
	g_autoptr(GPtrArray) nodes = g_ptr_array_new_with_free_func(node_steps_free);
	g_autoptr(GHashTable) by_name = g_hash_table_new(g_str_hash, g_str_equal);
	int last_wave = 0;
	bool waves = o->wave != NULL;

	for (guint i = from; i < to; i++) {
		const struct undo_step *s = g_ptr_array_index(steps, i);
		struct node_steps *n = g_hash_table_lookup(by_name, s->node);

		if (!n) {
			n = g_new0(struct node_steps, 1);
			n->td = td;
			n->node = s->node;
			n->wave = o->wave ? o->wave(s->node, o->wave_data) : -1;
			n->steps = g_ptr_array_new();
			g_hash_table_insert(by_name, s->node, n);
			g_ptr_array_add(nodes, n);
			/* a node of no known wave: one step at a time */
			waves &= n->wave >= 0;
			last_wave = MAX(last_wave, n->wave);
		}
		g_ptr_array_add(n->steps, (gpointer)s);
	}
	if (!waves) {
		parallel_for(nodes->len, 0, connect_worker, nodes);
		for (guint i = from; i < to && !stopping(td); i++)
			run_step(td, g_ptr_array_index(steps, i));
		return;
	}
	for (int w = 0; w <= last_wave && !stopping(td); w++) {
		g_autoptr(GPtrArray) wave = g_ptr_array_new();

		for (guint i = 0; i < nodes->len; i++) {
			struct node_steps *n = g_ptr_array_index(nodes, i);

			/* the first wave's nodes start; the others connect */
			n->connect_only = n->wave > w && w == 0;
			if (n->wave == w || n->connect_only)
				g_ptr_array_add(wave, n);
		}
		/* every node of the wave at once */
		parallel_for(wave->len, 0, node_worker, wave);
	}
}

/*
 * With --force, a node whose undo failed stays reachable for the next
 * down, which can then finish: its own objects (namespace, sshd, domain)
 * and what every node needs (bridge, network, runtime files) are kept.
 */
static bool keeps(struct td *td, const struct undo_step *s)
{
	const struct teardown_opts *o = td->o;
	bool keep;

	if (!o->force || o->forget || !g_hash_table_size(td->failed_nodes))
		return false;
	keep = !s->of_node || g_hash_table_contains(td->failed_nodes, s->of_node);
	if (keep) {
		td->kept++;
		record_step(o, s, "kept", NULL, 0);
		if (o->out && o->verbosity >= 0)
			fprintf(o->out, "%-12s kept    %s (%s still has undos to run)\n", "local", s->what,
				s->of_node ? s->of_node : "a node");
	}
	return keep;
}

/*
 * Every local step must name only the lab's own objects, or none runs: a
 * journal with one record that reaches outside the lab was not written
 * by labctl for this lab, and what else it says cannot be trusted either.
 */
static bool steps_are_the_labs(GPtrArray *steps, const struct undo_ctx *lab,
			       const struct teardown_opts *o)
{
	for (guint i = 0; i < steps->len; i++) {
		const struct undo_step *s = g_ptr_array_index(steps, i);
		g_autoptr(GError) error = NULL;

		if (s->remote || provider_undo_check(o->provider, lab, s->local, &error))
			continue;
		if (o->out)
			fprintf(o->out, "local: %s: %s\n"
				"the journal in %s holds an undo that is not this lab's (record '%s'): "
				"nothing of it was run\n", s->what, error->message, lab->state_dir, s->key);
		record_step(o, s, "failed", error, 0);
		return false;
	}
	return true;
}

bool teardown_run(GPtrArray *steps, struct journal *journal,
		  const struct teardown_opts *o, struct teardown_result *res)
{
	struct td td = { .o = o, .journal = journal };
	guint i = 0;

	g_mutex_init(&td.lock);
	undo_ctx_init(&td.lab, journal_dir(journal));
	if (!steps_are_the_labs(steps, &td.lab, o)) {
		undo_ctx_clear(&td.lab);
		g_mutex_clear(&td.lock);
		*res = (struct teardown_result){ .failed = 1, .refused = true };
		return false;
	}
	td.conns = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, close_conn);
	td.conn_errors = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					       (GDestroyNotify)g_error_free);
	td.ran = g_hash_table_new(g_direct_hash, g_direct_equal);
	td.failed_nodes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	while (i < steps->len && !td.stop) {
		const struct undo_step *s = g_ptr_array_index(steps, i);
		guint to = i;

		if (!s->remote) {
			if (keeps(&td, s)) {
				i++;
				continue;
			}
			/*
			 * Local steps take the network and the sshds away: close the
			 * sessions first, or their sshd processes (and so the network
			 * namespaces) outlive the lab, waiting for a FIN that cannot come.
			 */
			g_hash_table_remove_all(td.conns);
			g_hash_table_remove_all(td.conn_errors);
			run_step(&td, s);
			i++;
			continue;
		}
		while (to < steps->len && ((const struct undo_step *)g_ptr_array_index(steps, to))->remote)
			to++;
		run_remote_steps(&td, steps, i, to);
		i = to;
	}
	g_hash_table_unref(td.conns);
	g_hash_table_unref(td.conn_errors);
	/* after a failure without --force: what was left, in order */
	for (guint k = 0; td.stop && k < steps->len; k++)
		if (!g_hash_table_contains(td.ran, g_ptr_array_index(steps, k)))
			record_step(o, g_ptr_array_index(steps, k), "not run", NULL, 0);
	g_hash_table_unref(td.ran);
	g_hash_table_unref(td.failed_nodes);
	undo_ctx_clear(&td.lab);
	g_mutex_clear(&td.lock);
	*res = (struct teardown_result){ .failed = td.failed, .kept = td.kept };
	return td.failed == 0;
}
