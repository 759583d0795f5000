/*
 * lab.c - a lab as a whole: bring it up, check it, take it down
 */
#include <stdarg.h>
#include <string.h>
#include <glib/gstdio.h>

#include "labctl/engine.h"
#include "labctl/facts.h"
#include "labctl/lab.h"
#include "labctl/parallel.h"
#include "labctl/playbook.h"
#include "labctl/provider.h"
#include "labctl/redact.h"
#include "labctl/teardown.h"
#include "labctl/validate.h"

G_DEFINE_QUARK(labctl-lab-error-quark, lab_error)

struct lab {
	const struct lab_spec *spec;
	const struct provider *prov;
	struct journal *journal;
};

char *lab_state_dir(const struct lab_spec *spec, const char *given)
{
	g_autofree char *dir = given ? g_strdup(given)
				     : g_build_filename(spec->dir, ".labctl", spec->name.v, NULL);

	/* absolute, so that what is written from it (ssh_config) works anywhere */
	return g_canonicalize_filename(dir, NULL);
}

struct lab *lab_open(const struct lab_spec *spec, const char *state_dir, unsigned flags,
		     GError **error)
{
	const struct provider *prov = provider_for(spec);
	g_autoptr(GError) e = NULL;
	struct journal *j;
	struct lab *lab;

	if (!prov) {
		g_set_error(error, LAB_ERROR, LAB_ERROR_INVALID,
			    "provider '%s' is not available in this version of labctl",
			    spec_provider_names[spec->provider.type.v]);
		return NULL;
	}
	/* a missing secret is found before anything is made, not half-way */
	if ((flags & LAB_OPEN_SECRETS) && !spec_check_secrets(spec, &e)) {
		g_set_error_literal(error, LAB_ERROR, LAB_ERROR_INVALID, e->message);
		return NULL;
	}
	j = journal_open(state_dir, &e);
	if (!j) {
		g_set_error_literal(error, LAB_ERROR,
				    g_error_matches(e, JOURNAL_ERROR, JOURNAL_ERROR_BUSY)
					    ? LAB_ERROR_BUSY : LAB_ERROR_FAILED,
				    e->message);
		return NULL;
	}
	lab = g_new0(struct lab, 1);
	lab->spec = spec;
	lab->prov = prov;
	lab->journal = j;
	return lab;
}

void lab_close(struct lab *lab)
{
	if (!lab)
		return;
	journal_close(lab->journal);
	g_free(lab);
}

bool lab_is_up(const char *state_dir)
{
	g_autoptr(GPtrArray) recs = journal_read(state_dir, NULL);
	g_autoptr(GPtrArray) steps = NULL;

	if (!recs)
		return false;
	steps = teardown_steps(recs);
	return steps->len > 0;
}

static char *read_secret(const char *ref, void *data, GError **error)
{
	return spec_read_secret(data, ref, error);
}

struct redact *lab_secrets(const struct lab_spec *spec)
{
	g_autoptr(GPtrArray) refs = spec_secret_refs(spec);
	struct redact *r = redact_new();

	for (guint i = 0; i < refs->len; i++) {
		g_autofree char *v = spec_read_secret(spec, g_ptr_array_index(refs, i), NULL);

		redact_add(r, v);
		if (v)
			memset(v, 0, strlen(v));
	}
	return r;
}

/* The provider's say(): a line of progress as "local  text"; @data is the struct lab_opts. */
G_GNUC_PRINTF(2, 3)
static void say_local(void *data, const char *fmt, ...)
{
	const struct lab_opts *o = data;
	va_list ap;

	if (o->verbosity < 0)
		return;
	/* providers make nodes from several threads: one line at a time */
	flockfile(o->out);
	fprintf(o->out, "%-12s ", "local");
	va_start(ap, fmt);
	vfprintf(o->out, fmt, ap);
	va_end(ap);
	fprintf(o->out, "\n");
	fflush(o->out);
	funlockfile(o->out);
}

static void provider_ctx_init(struct provider_ctx *ctx, const struct lab *lab,
			      const struct lab_opts *o)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->spec = lab->spec;
	ctx->state_dir = journal_dir(lab->journal);
	ctx->journal = lab->journal;
	if (o) {
		ctx->accept_new_host_keys = o->accept_new_host_keys;
		ctx->cancel = o->cancel;
		ctx->say = say_local;
		ctx->say_data = (void *)o;
	}
}

/* ---- running the plan (up, check) ---- */

/* One node of a run: how to reach it, the connection, what it said, its facts. */
struct lab_node {
	struct node_access *access;     /* the provider's */
	struct lab_ssh *ssh;
	char *notice;           /* e.g. a host key accepted; or NULL */
	JsonObject *facts;
	GError *error;
};

struct reach {
	struct lab_node *nodes;
	const char *script;     /* gathers the facts */
};

/* Facts of one node in one round trip. */
static JsonObject *gather_facts(struct lab_ssh *ssh, const char *node, const char *script,
				GError **error)
{
	struct lab_ssh_result r = { 0 };
	JsonObject *facts = NULL;

	if (!lab_ssh_exec(ssh, "sh -s", script, strlen(script), 30, &r, error))
		return NULL;
	if (r.status != 0) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
			    "node '%s': gathering facts failed with exit status %d", node, r.status);
	} else if (!(facts = facts_parse(r.out, error))) {
		g_prefix_error(error, "node '%s': ", node);
	}
	lab_ssh_result_clear(&r);
	return facts;
}

static void reach_one(guint i, gpointer data)
{
	struct reach *r = data;
	struct lab_node *n = &r->nodes[i];

	/* the provider's own login, made while the node booted */
	n->ssh = g_steal_pointer(&n->access->conn);
	if (!n->ssh)
		n->ssh = lab_ssh_open(&n->access->ssh, &n->notice, &n->error);
	if (n->ssh)
		n->facts = gather_facts(n->ssh, n->access->name, r->script, &n->error);
}

static char *facts_script(const char *dir, GError **error)
{
	g_autoptr(JsonObject) none = json_object_new();
	struct template_env env = { .vars = none, .flags = TEMPLATE_QUOTE };
	g_autofree char *text = NULL;
	gsize len;

	text = playbook_read_resource(dir, "templates/facts.sh", &len, error);
	return text ? template_expand("templates/facts.sh", text, &env, error) : NULL;
}

static void lab_nodes_free(struct lab_node *nodes, guint n)
{
	for (guint i = 0; i < n; i++) {
		if (nodes[i].ssh)
			lab_ssh_close(nodes[i].ssh);
		g_free(nodes[i].notice);
		if (nodes[i].facts)
			json_object_unref(nodes[i].facts);
		g_clear_error(&nodes[i].error);
	}
	g_free(nodes);
}

/* Diagnostics as one message: a line each, FILE:LINE:COL: text. */
static char *diags_text(GPtrArray *diags)
{
	GString *s = g_string_new(NULL);

	diags_sort(diags);
	for (guint i = 0; i < diags->len; i++) {
		g_autofree char *line = diag_format(g_ptr_array_index(diags, i));

		g_string_append_printf(s, "%s%s", i ? "\n" : "", line);
	}
	return g_string_free(s, FALSE);
}

void lab_run_clear(struct lab_run *run)
{
	node_results_free(run->results);
	plan_free(run->shown);
	memset(run, 0, sizeof(*run));
}

/*
 * Connects to the nodes of @access (each node's key exchange and round
 * trip at once, @o->jobs at a time), gathers their facts, builds the plan
 * and runs it.
 */
/*
 * The lab error for a node lab_ssh_open() failed on: a sudo that will not
 * make us root is no network problem.
 */
static enum lab_error open_error_code(const GError *e)
{
	return g_error_matches(e, LAB_SSH_ERROR, LAB_SSH_ERROR_BECOME) ? LAB_ERROR_FAILED
								      : LAB_ERROR_UNREACHABLE;
}

/*
 * Whether the lab was proven whole when its last run (up or check) ended,
 * and nothing has been journaled since but the start of this up: a task,
 * an undo, a fault or an object a provider made all come after that
 * "proved" record, and then the heavy proofs run again.
 */
static bool lab_was_proven(struct lab *lab)
{
	g_autoptr(GPtrArray) recs = journal_records(lab->journal, NULL);

	for (guint i = recs ? recs->len : 0; i-- > 0;) {
		JsonObject *r = g_ptr_array_index(recs, i);
		const char *type = json_object_get_string_member_with_default(r, "type", "");

		if (!strcmp(type, "up"))
			continue;
		return !strcmp(type, "proved") &&
		       json_object_get_boolean_member_with_default(r, "whole", FALSE);
	}
	return false;
}

/*
 * The "proved" record of a run that ended: "whole" when every task passed
 * and every heavy proof ran, or nothing changed (then the proofs of the
 * last whole run still hold).  It has no key: teardown passes over it.
 */
static void record_proof(struct lab *lab, FILE *out, const char *verb, bool whole)
{
	g_autoptr(JsonObject) rec = json_object_new();
	g_autoptr(GError) e = NULL;

	json_object_set_string_member(rec, "type", "proved");
	json_object_set_string_member(rec, "verb", verb);
	json_object_set_boolean_member(rec, "whole", whole);
	/* at worst the next up runs the heavy proofs again */
	if (!journal_append(lab->journal, rec, &e))
		fprintf(out, "warning: cannot journal the outcome of this run: %s\n", e->message);
}

static bool run_plan(struct lab *lab, GPtrArray *access, const struct lab_opts *o,
		     bool verify_only, struct lab_run *run, GError **error)
{
	g_autoptr(GPtrArray) conns = g_ptr_array_new();
	g_autoptr(GHashTable) facts = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GPtrArray) diags = diags_new();
	g_autoptr(GError) e = NULL;
	g_autofree char *script = facts_script(o->playbook_dir, &e);
	g_autofree char *transcripts = g_build_filename(journal_dir(lab->journal), "transcripts",
							NULL);
	struct plan_options live_opts = {
		.playbook_dir = o->playbook_dir, .facts = facts, .flags = TEMPLATE_SECRETS,
		.secret = read_secret, .secret_data = (void *)lab->spec, .verify_only = verify_only,
	};
	struct plan_options shown_opts = {
		.playbook_dir = o->playbook_dir, .facts = facts, .flags = TEMPLATE_REDACT,
		.verify_only = verify_only,
	};
	g_autoptr(redact) secrets = lab_secrets(lab->spec);
	struct engine_opts eo = {
		.jobs = o->jobs, .verbosity = o->verbosity, .out = o->out, .tty = o->tty,
		.transcript_dir = transcripts, .redact = secrets, .cancel = o->cancel,
		.skip_heavy = !verify_only && !o->prove && lab->spec->prove.v == 0 &&
			      lab_was_proven(lab),
		.prove_all = o->prove || lab->spec->prove.v != 0,
	};
	g_autoptr(lab_plan) live = NULL;
	struct reach r = { 0 };
	bool ok;

	memset(run, 0, sizeof(*run));
	if (!script) {
		g_set_error_literal(error, LAB_ERROR, LAB_ERROR_INVALID, e->message);
		return false;
	}
	r.script = script;
	r.nodes = g_new0(struct lab_node, MAX(access->len, 1));
	for (guint i = 0; i < access->len; i++)
		r.nodes[i].access = g_ptr_array_index(access, i);
	parallel_for(access->len, o->jobs, reach_one, &r);
	/* reported in node order, the first problem only, as one by one would */
	for (guint i = 0; i < access->len; i++) {
		struct lab_node *n = &r.nodes[i];

		/* with -q too: it is about trust */
		if (n->notice)
			fprintf(o->out, "%-12s %s\n", n->access->name, n->notice);
		if (n->error) {
			/* reached, but its facts could not be gathered: FAILED */
			g_set_error_literal(error, LAB_ERROR,
					    n->ssh ? LAB_ERROR_FAILED : open_error_code(n->error),
					    n->error->message);
			lab_nodes_free(r.nodes, access->len);
			return false;
		}
		g_ptr_array_add(conns, n->ssh);
		g_hash_table_insert(facts, n->access->name, n->facts);
	}
	run->shown = plan_build(lab->spec, &shown_opts, diags);
	if (run->shown)
		live = plan_build(lab->spec, &live_opts, diags);
	if (!live) {
		g_autofree char *text = diags_text(diags);

		g_set_error_literal(error, LAB_ERROR, LAB_ERROR_PLAN, text);
		g_clear_pointer(&run->shown, plan_free);
		lab_nodes_free(r.nodes, access->len);
		return false;
	}
	ok = engine_run(live, run->shown, conns, lab->journal, &eo, &run->results);
	for (guint i = 0; i < run->results->len; i++) {
		struct node_result *nr = g_ptr_array_index(run->results, i);

		nr->reconnects = lab_ssh_reconnects(r.nodes[i].ssh);
		run->changed += nr->changed;
		run->checks += nr->tasks->len;
		run->checks_failed += nr->failed + nr->not_run - nr->proofs_skipped -
				      nr->proofs_covered;
		run->proofs_skipped += nr->proofs_skipped;
	}
	record_proof(lab, o->out, verify_only ? "check" : "up",
		     ok && !engine_skipped_after_change(run->results) &&
		     !(o->cancel && g_cancellable_is_cancelled(o->cancel)));
	lab_nodes_free(r.nodes, access->len);
	if (!ok) {
		bool unreachable = engine_unreachable(run->results);

		g_set_error(error, LAB_ERROR, unreachable ? LAB_ERROR_UNREACHABLE : LAB_ERROR_TASKS,
			    "%s", unreachable ? "a node could not be reached" : "tasks failed");
		return false;
	}
	if (o->cancel && g_cancellable_is_cancelled(o->cancel)) {
		g_set_error_literal(error, LAB_ERROR, LAB_ERROR_CANCELLED, "interrupted");
		return false;
	}
	return true;
}

bool lab_up(struct lab *lab, const char *spec_path, const struct lab_opts *o,
	    struct lab_run *run, GError **error)
{
	struct provider_ctx ctx;
	g_autoptr(JsonObject) rec = json_object_new();
	g_autoptr(GPtrArray) access = NULL;
	g_autoptr(GError) e = NULL;
	g_autofree char *abs = g_canonicalize_filename(spec_path, NULL);

	memset(run, 0, sizeof(*run));
	provider_ctx_init(&ctx, lab, o);
	json_object_set_string_member(rec, "type", "up");
	json_object_set_string_member(rec, "lab", lab->spec->name.v);
	json_object_set_string_member(rec, "spec", abs);
	if (!journal_append(lab->journal, rec, &e) || !(access = lab->prov->up(&ctx, &e))) {
		g_set_error_literal(error, LAB_ERROR,
				    g_error_matches(e, G_IO_ERROR, G_IO_ERROR_CANCELLED)
					    ? LAB_ERROR_CANCELLED : LAB_ERROR_FAILED,
				    e->message);
		return false;
	}
	return run_plan(lab, access, o, false, run, error);
}

bool lab_check(struct lab *lab, const struct lab_opts *o, struct lab_run *run, GError **error)
{
	struct provider_ctx ctx;
	g_autoptr(GPtrArray) access = NULL;
	g_autoptr(GError) e = NULL;

	memset(run, 0, sizeof(*run));
	provider_ctx_init(&ctx, lab, NULL);
	access = lab->prov->access(&ctx, &e);
	if (!access) {
		g_set_error_literal(error, LAB_ERROR, LAB_ERROR_FAILED, e->message);
		return false;
	}
	return run_plan(lab, access, o, true, run, error);
}

/* ---- taking it apart ---- */

struct reach_access {
	GPtrArray *access;      /* struct node_access * */
};

static struct lab_ssh *reach_node(const char *node, void *data, GError **error)
{
	struct reach_access *r = data;

	for (guint i = 0; r->access && i < r->access->len; i++) {
		struct node_access *a = g_ptr_array_index(r->access, i);

		if (!strcmp(a->name, node))
			return lab_ssh_open(&a->ssh, NULL, error);
	}
	g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
		    "node '%s' is not in the spec any more", node);
	return NULL;
}

/*
 * Hosts undo first, all at once, then disks: a host unmounts and logs out
 * while its targets still answer.  A node no longer in the spec has no wave.
 */
static int node_wave(const char *node, void *data)
{
	const struct spec_node *n = spec_find_node(data, node);

	return !n ? -1 : n->role.v == ROLE_HOST ? 0 : 1;
}

/*
 * Removes the files of a state directory that labctl put there, then it:
 * known_hosts, ssh_config and .gitignore only when they carry labctl's
 * mark (a --state-dir may name a directory that has such files of its
 * own), and the transcripts' NODE.log files.
 */
static void remove_state(const char *dir)
{
	static const char *const files[] = { "known_hosts", "ssh_config", ".gitignore", NULL };
	g_autofree char *transcripts = g_build_filename(dir, "transcripts", NULL);
	g_autoptr(GDir) d = g_dir_open(transcripts, 0, NULL);
	g_autofree char *parent = g_path_get_dirname(dir);
	const char *f;

	for (const char *const *p = files; *p; p++) {
		g_autofree char *path = g_build_filename(dir, *p, NULL);

		if (journal_is_own_file(path))
			g_unlink(path);
	}
	while (d && (f = g_dir_read_name(d))) {
		g_autofree char *path = g_build_filename(transcripts, f, NULL);

		if (g_str_has_suffix(f, ".log"))
			g_unlink(path);
	}
	g_rmdir(transcripts);
	g_rmdir(dir);
	/* .labctl itself, when this was its last lab */
	if (g_str_has_suffix(parent, ".labctl"))
		g_rmdir(parent);
}

/*
 * The teardown of @steps, faults first (labctl fault): a cut portal would
 * keep the hosts' undos (unmount, logout), which come first otherwise,
 * from reaching their disks.  After a fault that could not be mended,
 * only a forced teardown goes on.
 */
static void run_steps(struct lab *lab, GPtrArray *steps, enum teardown_mode mode,
		      const struct teardown_opts *to, struct teardown_result *tr)
{
	g_autoptr(GPtrArray) faults = g_ptr_array_new();
	g_autoptr(GPtrArray) rest = g_ptr_array_new();
	struct teardown_result first = { 0 };

	for (guint i = 0; i < steps->len; i++) {
		const struct undo_step *s = g_ptr_array_index(steps, i);

		g_ptr_array_add(s->remote && g_str_has_prefix(s->key, "fault:") ? faults : rest,
				(gpointer)s);
	}
	if (faults->len) {
		teardown_run(faults, lab->journal, to, &first);
		if (first.refused || (first.failed && mode == TEARDOWN_STOP)) {
			*tr = first;
			return;
		}
	}
	teardown_run(rest, lab->journal, to, tr);
	tr->failed += first.failed;
	tr->refused = tr->refused || first.refused;
}

void lab_down_result_clear(struct lab_down_result *r)
{
	g_free(r->state_dir);
	memset(r, 0, sizeof(*r));
}

bool lab_down(struct lab *lab, enum teardown_mode mode, bool keep_nodes,
	      const struct lab_opts *o, JsonArray *record, struct lab_down_result *res,
	      GError **error)
{
	struct provider_ctx ctx;
	struct reach_access reach = { 0 };
	/* down reads what secrets it can, to mask them in what the nodes print */
	g_autoptr(redact) secrets = lab_secrets(lab->spec);
	struct teardown_opts to = {
		.force = mode != TEARDOWN_STOP, .forget = mode == TEARDOWN_FORGET,
		.verbosity = o->verbosity, .out = o->out,
		.connect = reach_node, .connect_data = &reach, .record = record,
		.wave = node_wave, .wave_data = (void *)lab->spec, .redact = secrets,
		.provider = lab->prov,
	};
	g_autoptr(GPtrArray) records = NULL;
	g_autoptr(GPtrArray) steps = NULL;
	g_autoptr(GError) e = NULL;
	gint64 t0 = g_get_monotonic_time();
	struct teardown_result tr = { 0 };

	memset(res, 0, sizeof(*res));
	res->state_dir = g_strdup(journal_dir(lab->journal));
	provider_ctx_init(&ctx, lab, o);
	records = journal_records(lab->journal, &e);
	if (!records) {
		g_set_error_literal(error, LAB_ERROR, LAB_ERROR_FAILED, e->message);
		return false;
	}
	steps = teardown_steps(records);
	if (keep_nodes) {
		/* the provider's steps are local ones: they stay journaled */
		for (guint i = steps->len; i-- > 0;)
			if (!((const struct undo_step *)g_ptr_array_index(steps, i))->remote)
				g_ptr_array_remove_index(steps, i);
	}
	res->steps = steps->len;
	if (steps->len) {
		if (lab->prov->revive)
			lab->prov->revive(&ctx, steps);
		reach.access = lab->prov->access(&ctx, NULL);
		run_steps(lab, steps, mode, &to, &tr);
		if (reach.access)
			g_ptr_array_unref(reach.access);
	}
	res->failed = tr.failed;
	res->kept = tr.kept;
	res->refused = tr.refused;
	res->seconds = (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC;
	/* what failed stays journaled for a later down, unless given up (forget) */
	if (tr.refused || keep_nodes || (tr.failed && mode != TEARDOWN_FORGET))
		return true;
	if (!journal_remove(lab->journal, &e)) {
		g_set_error_literal(error, LAB_ERROR, LAB_ERROR_FAILED, e->message);
		return false;
	}
	remove_state(res->state_dir);
	res->removed = true;
	return true;
}

/* ---- access and status ---- */

GPtrArray *lab_access(const struct lab_spec *spec, const char *state_dir, GError **error)
{
	const struct provider *prov = provider_for(spec);
	struct provider_ctx ctx = { .spec = spec, .state_dir = state_dir };
	g_autoptr(GError) e = NULL;
	GPtrArray *access;

	if (!prov) {
		g_set_error(error, LAB_ERROR, LAB_ERROR_INVALID,
			    "provider '%s' is not available in this version of labctl",
			    spec_provider_names[spec->provider.type.v]);
		return NULL;
	}
	access = prov->access(&ctx, &e);
	if (!access)
		g_set_error_literal(error, LAB_ERROR, LAB_ERROR_FAILED, e->message);
	return access;
}

/* The steps of @st whose last attempt, in its records, failed. */
static GPtrArray *failed_steps(GPtrArray *records, GPtrArray *steps)
{
	g_autoptr(GHashTable) why = g_hash_table_new(g_str_hash, g_str_equal);
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);

	for (guint i = 0; i < records->len; i++) {
		JsonObject *r = g_ptr_array_index(records, i);
		const char *type = json_object_get_string_member_with_default(r, "type", "");
		const char *key = json_object_get_string_member_with_default(r, "key", NULL);

		if (!key)
			continue;
		/* only the last word counts: a later up or undo makes it news */
		if (!strcmp(type, "undo-failed"))
			g_hash_table_insert(why, (gpointer)key,
					    (gpointer)json_object_get_string_member_with_default(
						    r, "error", ""));
		else
			g_hash_table_remove(why, key);
	}
	for (guint i = 0; i < steps->len; i++) {
		const struct undo_step *s = g_ptr_array_index(steps, i);
		const char *e = g_hash_table_lookup(why, s->key);
		struct lab_failed_undo *f;

		if (!e)
			continue;
		f = g_new0(struct lab_failed_undo, 1);
		f->step = s;
		f->error = e;
		g_ptr_array_add(out, f);
	}
	return out;
}

/* A login to node @i of @data (struct lab_status), to see whether it answers. */
struct probe {
	struct lab_status *st;
	GPtrArray *access;
};

static void probe_one(guint i, gpointer data)
{
	struct probe *p = data;
	struct node_access *a = g_ptr_array_index(p->access, i);
	g_autoptr(GError) e = NULL;
	struct lab_ssh *ssh;

	if (i >= p->st->n_nodes)
		return;
	a->ssh.connect_timeout = 3;
	a->ssh.retries = 1;
	ssh = lab_ssh_open(&a->ssh, NULL, &e);
	p->st->nodes[i].reachable = ssh != NULL;
	p->st->nodes[i].why = e ? g_strdup(e->message) : NULL;
	if (ssh)
		lab_ssh_close(ssh);
}

bool lab_status(const struct lab_spec *spec, const char *state_dir, struct lab_status *st,
		GError **error)
{
	const struct provider *prov = provider_for(spec);
	g_autoptr(GPtrArray) access = NULL;
	g_autoptr(GError) e = NULL;

	memset(st, 0, sizeof(*st));
	st->records = journal_read(state_dir, &e);
	if (!st->records) {
		g_set_error_literal(error, LAB_ERROR, LAB_ERROR_FAILED, e->message);
		return false;
	}
	st->steps = teardown_steps(st->records);
	st->n_nodes = spec->nodes->len;
	st->nodes = g_new0(struct lab_node_status, MAX(st->n_nodes, 1));
	for (guint i = 0; i < st->n_nodes; i++) {
		const struct spec_node *sn = g_ptr_array_index(spec->nodes, i);

		st->nodes[i].name = sn->name.v;
		st->nodes[i].address = sn->address.v;
	}
	for (guint r = 0; r < st->records->len; r++) {
		JsonObject *rec = g_ptr_array_index(st->records, r);
		const char *type = json_object_get_string_member_with_default(rec, "type", "");
		const char *node = json_object_get_string_member_with_default(rec, "node", "");
		const struct spec_node *sn = spec_find_node(spec, node);

		for (guint i = 0; sn && i < st->n_nodes; i++) {
			if (g_ptr_array_index(spec->nodes, i) != sn)
				continue;
			st->nodes[i].done += !strcmp(type, "done");
			st->nodes[i].failed += !strcmp(type, "failed");
		}
	}
	for (guint s = 0; s < st->steps->len; s++)
		st->locals += !((struct undo_step *)g_ptr_array_index(st->steps, s))->remote;
	st->failed_undos = failed_steps(st->records, st->steps);

	/* reachability only when there is something to reach */
	if (st->steps->len && prov) {
		struct provider_ctx ctx = { .spec = spec, .state_dir = state_dir };

		access = prov->access(&ctx, NULL);
	}
	if (access) {
		struct probe p = { .st = st, .access = access };

		parallel_for(access->len, 0, probe_one, &p);
	}
	return true;
}

void lab_status_clear(struct lab_status *st)
{
	for (guint i = 0; i < st->n_nodes; i++)
		g_free(st->nodes[i].why);
	g_free(st->nodes);
	if (st->failed_undos)
		g_ptr_array_unref(st->failed_undos);
	if (st->steps)
		g_ptr_array_unref(st->steps);
	if (st->records)
		g_ptr_array_unref(st->records);
	memset(st, 0, sizeof(*st));
}

/* ---- faults ---- */

#define FAULT_TIMEOUT 60        /* seconds a fault's command may take */

void lab_fault_free(gpointer p)
{
	struct lab_fault *f = p;

	if (!f)
		return;
	g_free(f->node);
	g_free(f->kind);
	g_free(f->object);
	g_free(f->what);
	g_free(f);
}

static struct lab_fault *fault_new(const char *node, const char *kind, const char *object,
				   const char *what)
{
	struct lab_fault *f = g_new0(struct lab_fault, 1);

	f->node = g_strdup(node);
	f->kind = g_strdup(kind);
	f->object = g_strdup(object);
	f->what = g_strdup(what);
	return f;
}

/*
 * "fault:NODE:KIND:OBJECT", the journal key of a fault: OBJECT is the
 * portal of a cut, the target's IQN of a stop-target (an IQN holds ':', so
 * the key is split at its first three only).
 */
static char *fault_key(const char *node, const char *kind, const char *object)
{
	return g_strdup_printf("fault:%s:%s:%s", node, kind, object);
}

/* The fault an undo step mends, or NULL when the step is not a fault's. */
static struct lab_fault *fault_of_step(const struct undo_step *s)
{
	g_auto(GStrv) parts = NULL;

	if (!s->remote || !g_str_has_prefix(s->key, "fault:"))
		return NULL;
	parts = g_strsplit(s->key, ":", 4);
	if (g_strv_length(parts) != 4)
		return NULL;
	return fault_new(parts[1], parts[2], parts[3], s->what);
}

/* The faults the journal holds and has not undone, newest first (as teardown would undo them). */
static GPtrArray *active_faults(struct lab *lab, GError **error)
{
	g_autoptr(GPtrArray) records = journal_records(lab->journal, error);
	g_autoptr(GPtrArray) steps = NULL;
	GPtrArray *out;

	if (!records)
		return NULL;
	steps = teardown_steps(records);
	out = g_ptr_array_new_with_free_func(lab_fault_free);
	for (guint i = 0; i < steps->len; i++) {
		struct lab_fault *f = fault_of_step(g_ptr_array_index(steps, i));

		if (f)
			g_ptr_array_add(out, f);
	}
	return out;
}

/* A command on @ssh that must succeed; its stderr in the error when not. */
static bool fault_exec(struct lab_ssh *ssh, const char *node, const char *cmd, int *status,
		       GError **error)
{
	struct lab_ssh_result r = { 0 };
	bool ok;

	if (!lab_ssh_exec(ssh, cmd, NULL, 0, FAULT_TIMEOUT, &r, error)) {
		g_prefix_error(error, "node '%s': ", node);
		return false;
	}
	ok = r.status == 0 || status;
	if (status)
		*status = r.status;
	if (!ok) {
		g_autofree char *err = g_strndup(r.err ? r.err : "", r.err_len);

		g_set_error(error, LAB_ERROR, LAB_ERROR_FAILED,
			    "node '%s': '%s' failed with exit status %d: %s", node, cmd, r.status,
			    g_strstrip(err));
	}
	lab_ssh_result_clear(&r);
	return ok;
}

/* The journal record of a fault, as the engine writes one for a task. */
static bool fault_record(struct lab *lab, const char *type, const char *key, const char *node,
			 const char *what, const char *undo, GError **error)
{
	g_autoptr(JsonObject) rec = json_object_new();

	json_object_set_string_member(rec, "type", type);
	json_object_set_string_member(rec, "key", key);
	json_object_set_string_member(rec, "node", node);
	if (!strcmp(type, "task")) {
		json_object_set_string_member(rec, "id", "fault");
		json_object_set_string_member(rec, "name", what);
		json_object_set_string_member(rec, "undo", undo);
		json_object_set_int_member(rec, "timeout", FAULT_TIMEOUT);
	} else if (!strcmp(type, "done")) {
		json_object_set_string_member(rec, "id", "fault");
		json_object_set_string_member(rec, "name", what);
		json_object_set_int_member(rec, "status", 0);
	}
	return journal_append(lab->journal, rec, error);
}

/* Connects to disk node @name, as up would. */
static struct lab_ssh *fault_connect(struct lab *lab, const char *name, GError **error)
{
	struct provider_ctx ctx;
	g_autoptr(GPtrArray) access = NULL;
	g_autoptr(GError) e = NULL;
	struct lab_ssh *ssh;

	provider_ctx_init(&ctx, lab, NULL);
	access = lab->prov->access(&ctx, &e);
	if (!access) {
		g_set_error_literal(error, LAB_ERROR, LAB_ERROR_FAILED, e->message);
		return NULL;
	}
	for (guint i = 0; i < access->len; i++) {
		struct node_access *a = g_ptr_array_index(access, i);

		if (strcmp(a->name, name))
			continue;
		ssh = lab_ssh_open(&a->ssh, NULL, &e);
		if (!ssh)
			g_set_error_literal(error, LAB_ERROR, open_error_code(e), e->message);
		return ssh;
	}
	g_set_error(error, LAB_ERROR, LAB_ERROR_FAILED, "node '%s': its provider has no access to it",
		    name);
	return NULL;
}

/* A fault's commands: in place already when @check exits 0. */
struct fault_cmds {
	const char *kind, *object, *what;
	char *check, *run, *undo;
};

static void fault_cmds_clear(struct fault_cmds *c)
{
	g_free(c->check);
	g_free(c->run);
	g_free(c->undo);
}

/*
 * Puts fault @c in place on @node through @ssh, journaled as a task (its
 * intent first, so that down mends it even after a crash), and adds it to
 * @out.  A fault in place already is not journaled again: the journal has
 * it, or it is not the lab's to mend.
 */
static bool fault_apply(struct lab *lab, struct lab_ssh *ssh, const char *node,
			const struct fault_cmds *c, GPtrArray *out, GError **error)
{
	g_autofree char *key = fault_key(node, c->kind, c->object);
	struct lab_fault *f = fault_new(node, c->kind, c->object, c->what);
	int status;

	g_ptr_array_add(out, f);
	if (!fault_exec(ssh, node, c->check, &status, error))
		return false;
	if (status == 0)
		return true;
	if (!fault_record(lab, "task", key, node, c->what, c->undo, error) ||
	    !fault_exec(ssh, node, c->run, NULL, error) ||
	    !fault_record(lab, "done", key, node, c->what, NULL, error))
		return false;
	f->changed = true;
	return true;
}

/* The iptables rule of a cut of @portal: tagged with the lab's name. */
static char *cut_rule(const struct lab *lab, const char *address, gint64 port)
{
	return g_strdup_printf("INPUT -p tcp -d %s --dport %" G_GINT64_FORMAT
			       " -m comment --comment labctl-fault:%s -j DROP",
			       address, port, lab->spec->name.v);
}

static bool fault_cut(struct lab *lab, const struct spec_node *n, const char *portal,
		      GPtrArray *out, GError **error)
{
	g_autoptr(JsonObject) vars = plan_node_vars(lab->spec, n, NULL);
	JsonObject *target = json_object_get_object_member(vars, "target");
	JsonArray *portals = json_object_get_array_member(target, "portals");
	g_autoptr(lab_ssh) ssh = NULL;
	guint matched = 0;

	for (guint i = 0; i < json_array_get_length(portals); i++) {
		JsonObject *p = json_array_get_object_element(portals, i);
		const char *ps = json_object_get_string_member(p, "portal");
		const char *address = json_object_get_string_member(p, "address");
		g_autofree char *rule = NULL, *what = NULL;
		struct fault_cmds c = { .kind = "cut", .object = ps };
		bool ok;

		if (portal && strcmp(portal, ps))
			continue;
		matched++;
		if (strchr(address, ':')) {
			g_set_error(error, LAB_ERROR, LAB_ERROR_INVALID,
				    "node '%s': cutting IPv6 portal %s is not supported", n->name.v, ps);
			return false;
		}
		if (!ssh && !(ssh = fault_connect(lab, n->name.v, error)))
			return false;
		rule = cut_rule(lab, address, json_object_get_int_member(p, "port"));
		what = g_strdup_printf("fault: portal %s cut (packets to it dropped)", ps);
		c.what = what;
		c.check = g_strdup_printf("iptables -C %s 2>/dev/null", rule);
		c.run = g_strdup_printf("iptables -I %s", rule);
		c.undo = g_strdup_printf("while iptables -C %s 2>/dev/null; do iptables -D %s || exit; done",
					 rule, rule);
		ok = fault_apply(lab, ssh, n->name.v, &c, out, error);
		fault_cmds_clear(&c);
		if (!ok)
			return false;
	}
	if (!matched) {
		g_set_error(error, LAB_ERROR, LAB_ERROR_INVALID,
			    "node '%s' has no portal %s", n->name.v, portal);
		return false;
	}
	return true;
}

/*
 * Shell that sets $tid to the tgtd target of IQN $iqn (and $s to tgtadm's
 * show), or leaves it empty; $st is that target's state (ready, offline).
 */
#define TGT_FIND \
	"s=$(tgtadm --lld iscsi --mode target --op show) || exit\n" \
	"tid=$(printf '%s\\n' \"$s\" | awk -v iqn=\"$iqn\" '/^Target [0-9]+: / && $3 == iqn { print $2 + 0 }')\n" \
	"st=$(printf '%s\\n' \"$s\" | awk -v t=\"Target $tid:\" '/^Target / { hit = index($0, t) == 1 } hit && $1 == \"State:\" { print $2; exit }')\n"

/*
 * The commands of a stopped target.  tgt: the target offline (tgtd refuses
 * logins to it with a target error) and its connections closed, so that
 * the initiators' I/O waits and their logins are retried until it is
 * ready again; tgtd runs on, and the lab's target keeps its LUNs, ACL and
 * sessions' state.  LIO: the target's portal group disabled, which ends its
 * sessions and refuses logins, and enabled again.  Both touch only the
 * lab's target, found by its IQN.
 */
static void stop_target_cmds(const struct spec_node *n, struct fault_cmds *c)
{
	g_autofree char *iqn = g_shell_quote(n->target.iqn.v);

	if (n->target.backend.v == TARGET_TGT) {
		g_autofree char *find = g_strdup_printf("iqn=%s\n%s", iqn, TGT_FIND);

		c->check = g_strconcat(find, "test -n \"$tid\" && test \"$st\" = offline\n", NULL);
		c->run = g_strconcat(
			find,
			"test -n \"$tid\" || { echo \"tgtd has no target $iqn\" >&2; exit 1; }\n"
			"tgtadm --lld iscsi --mode target --op update --tid \"$tid\" --name state --value offline || exit\n"
			"printf '%s\\n' \"$s\" | awk -v t=\"Target $tid:\" '/^Target / { hit = index($0, t) == 1 }\n"
			"  hit && $1 == \"I_T\" && $2 == \"nexus:\" { sid = $3 }\n"
			"  hit && $1 == \"Connection:\" { print sid, $2 }' |\n"
			"while read -r sid cid; do\n"
			"  tgtadm --lld iscsi --mode connection --op delete --tid \"$tid\" --sid \"$sid\" --cid \"$cid\" || exit\n"
			"done\n",
			NULL);
		c->undo = g_strconcat(
			find,
			"if test -n \"$tid\" && test \"$st\" = offline; then\n"
			"  tgtadm --lld iscsi --mode target --op update --tid \"$tid\" --name state --value ready\n"
			"fi\n",
			NULL);
	} else {
		g_autofree char *path = g_strdup_printf(
			"/sys/kernel/config/target/iscsi/%s/tpgt_1/enable", n->target.iqn.v);
		g_autofree char *qpath = g_shell_quote(path);

		c->check = g_strdup_printf("test \"$(cat %s 2>/dev/null)\" = 0", qpath);
		c->run = g_strdup_printf(
			"test -e %s || { echo \"LIO has no target %s\" >&2; exit 1; }\necho 0 >%s",
			qpath, iqn, qpath);
		c->undo = g_strdup_printf(
			"if test \"$(cat %s 2>/dev/null)\" = 0; then echo 1 >%s; fi", qpath, qpath);
	}
}

static bool fault_stop_target(struct lab *lab, const struct spec_node *n, GPtrArray *out,
			      GError **error)
{
	g_autoptr(lab_ssh) ssh = fault_connect(lab, n->name.v, error);
	g_autofree char *what = NULL;
	struct fault_cmds c = { .kind = "stop-target", .object = n->target.iqn.v };
	bool ok;

	if (!ssh)
		return false;
	what = g_strdup_printf("fault: target %s stopped (%s)", n->target.iqn.v,
			       n->target.backend.v == TARGET_TGT ? "tgtd: offline, connections closed"
								 : "LIO: portal group disabled");
	c.what = what;
	stop_target_cmds(n, &c);
	ok = fault_apply(lab, ssh, n->name.v, &c, out, error);
	fault_cmds_clear(&c);
	return ok;
}

/* Mends the faults of @node in place, of kind @kind and on @object (NULL: any). */
static bool fault_restore(struct lab *lab, const char *node, const char *kind,
			  const char *object, GPtrArray *out, GError **error)
{
	g_autoptr(GPtrArray) records = journal_records(lab->journal, error);
	g_autoptr(GPtrArray) steps = NULL;
	g_autoptr(lab_ssh) ssh = NULL;

	if (!records)
		return false;
	steps = teardown_steps(records);
	for (guint i = 0; i < steps->len; i++) {
		const struct undo_step *s = g_ptr_array_index(steps, i);
		struct lab_fault *f = fault_of_step(s);
		g_autoptr(JsonObject) rec = NULL;

		if (!f || strcmp(f->node, node) || (kind && strcmp(f->kind, kind)) ||
		    (object && strcmp(f->object, object))) {
			lab_fault_free(f);
			continue;
		}
		g_ptr_array_add(out, f);
		if (!ssh && !(ssh = fault_connect(lab, node, error)))
			return false;
		if (!fault_exec(ssh, node, s->command, NULL, error))
			return false;
		rec = json_object_new();
		json_object_set_string_member(rec, "type", "undone");
		json_object_set_string_member(rec, "key", s->key);
		json_object_set_string_member(rec, "node", node);
		if (!journal_append(lab->journal, rec, error))
			return false;
		f->changed = true;
	}
	return true;
}

bool lab_fault(struct lab *lab, enum lab_fault_action action, const char *node,
	       const char *portal, const struct lab_opts *o, GPtrArray **faults, GError **error)
{
	g_autoptr(GPtrArray) out = NULL;
	const struct spec_node *n = NULL;
	g_autoptr(GError) e = NULL;
	bool ok = false;

	(void)o;
	*faults = NULL;
	if (!lab_is_up(journal_dir(lab->journal))) {
		g_set_error(error, LAB_ERROR, LAB_ERROR_NOT_UP,
			    "lab '%s' is not up (its journal in %s records nothing)",
			    lab->spec->name.v, journal_dir(lab->journal));
		return false;
	}
	if (action == LAB_FAULT_LIST) {
		*faults = active_faults(lab, &e);
		if (!*faults)
			g_set_error_literal(error, LAB_ERROR, LAB_ERROR_FAILED, e->message);
		return *faults != NULL;
	}
	n = node ? spec_find_node(lab->spec, node) : NULL;
	if (!n || n->role.v != ROLE_DISK) {
		g_set_error(error, LAB_ERROR, LAB_ERROR_INVALID,
			    "'%s' is not a disk node of lab '%s'", node ? node : "", lab->spec->name.v);
		return false;
	}
	out = g_ptr_array_new_with_free_func(lab_fault_free);
	switch (action) {
	case LAB_FAULT_CUT:
		ok = fault_cut(lab, n, portal, out, &e);
		break;
	case LAB_FAULT_RESTORE:
		ok = fault_restore(lab, n->name.v, portal ? "cut" : NULL, portal, out, &e);
		break;
	case LAB_FAULT_STOP_TARGET:
		ok = fault_stop_target(lab, n, out, &e);
		break;
	case LAB_FAULT_START_TARGET:
		ok = fault_restore(lab, n->name.v, "stop-target", NULL, out, &e);
		break;
	case LAB_FAULT_LIST:
		break;
	}
	if (!ok) {
		if (e->domain == LAB_ERROR)
			g_propagate_error(error, g_steal_pointer(&e));
		else
			g_set_error_literal(error, LAB_ERROR, LAB_ERROR_FAILED, e->message);
		return false;
	}
	*faults = g_steal_pointer(&out);
	return true;
}
