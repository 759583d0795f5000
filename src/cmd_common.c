/*
 * cmd_common.c - what the verbs share: usage, diagnostics, spec loading
 */
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#include "labctl/cmd.h"
#include "labctl/engine.h"
#include "labctl/facts.h"
#include "labctl/playbook.h"
#include "labctl/journal.h"
#include "labctl/provider.h"
#include "labctl/report.h"
#include "labctl/teardown.h"
#include "labctl/validate.h"

FILE *cmd_out;

#define HELP_COLUMN 27
#define USAGE_WIDTH 80

static bool has_short(const struct cmd_opt *o)
{
	return o->code < 256;
}

char *cmd_usage_line(const struct cmd *self, guint indent)
{
	GString *s = g_string_new(NULL);
	guint col = indent;

	for (const struct cmd_opt *o = self->opts; o && o->name; o++) {
		g_autofree char *word = NULL;

		if (has_short(o))
			word = g_strdup_printf("[-%c%s%s]", o->code, o->arg ? " " : "", o->arg ? o->arg : "");
		else
			word = g_strdup_printf("[--%s%s%s]", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
		if (col > indent && col + 1 + strlen(word) > USAGE_WIDTH) {
			g_string_append_printf(s, "\n%*s", (int)indent, "");
			col = indent;
		} else if (col > indent) {
			g_string_append_c(s, ' ');
			col++;
		}
		g_string_append(s, word);
		col += (guint)strlen(word);
	}
	if (col > indent)
		g_string_append_c(s, ' ');
	g_string_append(s, self->args);
	return g_string_free(s, FALSE);
}

void cmd_usage(const struct cmd *self, FILE *f)
{
	g_autofree char *head = g_strdup_printf("usage: labctl %s ", self->name);
	g_autofree char *line = cmd_usage_line(self, (guint)strlen(head));

	fprintf(f, "%s%s\n\n%s.\n", head, line, self->summary);
	if (!self->opts || !self->opts->name)
		return;
	fprintf(f, "\n");
	for (const struct cmd_opt *o = self->opts; o->name; o++) {
		g_autofree char *left = has_short(o)
			? g_strdup_printf("  -%c, --%s%s%s", o->code, o->name, o->arg ? " " : "", o->arg ? o->arg : "")
			: g_strdup_printf("  --%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
		g_auto(GStrv) lines = g_strsplit(o->help, "\n", -1);

		if (strlen(left) + 1 < HELP_COLUMN)
			fprintf(f, "%-*s%s\n", HELP_COLUMN, left, lines[0]);
		else
			fprintf(f, "%s\n%*s%s\n", left, HELP_COLUMN, "", lines[0]);
		for (guint i = 1; lines[i]; i++)
			fprintf(f, "%*s%s\n", HELP_COLUMN, "", lines[i]);
	}
}

int cmd_getopt(const struct cmd *self, int argc, char **argv)
{
	/* one verb runs per process: its tables are built once */
	static const struct cmd *built;
	static struct option longopts[32];
	static char shortopts[64];
	int c;

	if (built != self) {
		guint n = 0, k = 0;

		shortopts[k++] = self->in_order ? '+' : ':';
		if (self->in_order)
			shortopts[k++] = ':';
		for (const struct cmd_opt *o = self->opts; o && o->name; o++) {
			g_assert(n + 2 < G_N_ELEMENTS(longopts) && k + 3 < sizeof(shortopts));
			longopts[n++] = (struct option){ o->name, o->arg ? required_argument : no_argument,
							 NULL, o->code };
			if (has_short(o)) {
				shortopts[k++] = (char)o->code;
				if (o->arg)
					shortopts[k++] = ':';
			}
		}
		longopts[n++] = (struct option){ "help", no_argument, NULL, OPT_HELP };
		longopts[n] = (struct option){ NULL, 0, NULL, 0 };
		shortopts[k++] = 'h';
		shortopts[k] = '\0';
		built = self;
	}
	/* ':' first: getopt says nothing, cmd_usage_error below says it all */
	c = getopt_long(argc, argv, shortopts, longopts, NULL);
	if (c == OPT_HELP)
		cmd_usage(self, stdout);
	if (c == '?' || c == ':') {
		cmd_usage_error(self, c == ':' ? "option '%s' needs an argument" : "unknown option '%s'",
				argv[optind - 1]);
		return '?';
	}
	return c;
}

int cmd_usage_error(const struct cmd *self, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "labctl %s: ", self->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	{
		g_autofree char *head = g_strdup_printf("usage: labctl %s ", self->name);
		g_autofree char *line = cmd_usage_line(self, (guint)strlen(head));

		fprintf(stderr, "\n%s%s\n", head, line);
	}
	return EXIT_USAGE;
}

void cmd_print_diags(GPtrArray *diags)
{
	diags_sort(diags);
	for (guint i = 0; i < diags->len; i++) {
		g_autofree char *line = diag_format(g_ptr_array_index(diags, i));

		fprintf(stderr, "%s\n", line);
	}
}

int cmd_spec_arg(const struct cmd *self, int argc, char **argv, struct lab_spec **spec)
{
	*spec = NULL;
	if (optind != argc - 1)
		return cmd_usage_error(self, optind >= argc ? "no spec given" : "one spec at a time");
	*spec = cmd_load_spec(argv[optind]);
	return *spec ? EXIT_OK : EXIT_USAGE;
}

struct lab_spec *cmd_load_spec(const char *file)
{
	g_autoptr(GPtrArray) diags = diags_new();
	struct lab_spec *spec;

	spec = spec_load(file, diags);
	if (spec)
		validate_spec(spec, diags);
	if (diags->len) {
		cmd_print_diags(diags);
		spec_free(spec);
		return NULL;
	}
	return spec;
}

void cmd_print_json(JsonNode *node)
{
	g_autoptr(JsonGenerator) gen = json_generator_new();
	g_autofree char *text = NULL;

	json_generator_set_root(gen, node);
	json_generator_set_pretty(gen, TRUE);
	json_generator_set_indent(gen, 2);
	text = json_generator_to_data(gen, NULL);
	printf("%s\n", text);
}

char *cmd_state_dir(const struct lab_spec *spec, const char *given)
{
	g_autofree char *dir = given ? g_strdup(given)
				     : g_build_filename(spec->dir, ".labctl", spec->name.v, NULL);

	/* absolute, so that what is written from it (ssh_config) works anywhere */
	return g_canonicalize_filename(dir, NULL);
}

struct journal *cmd_open_journal(const char *dir, int *status)
{
	g_autoptr(GError) error = NULL;
	struct journal *j = journal_open(dir, &error);

	if (!j) {
		fprintf(stderr, "labctl: %s\n", error->message);
		*status = g_error_matches(error, JOURNAL_ERROR, JOURNAL_ERROR_BUSY) ? EXIT_BUSY
										    : EXIT_FAILED;
	}
	return j;
}

static void on_signal(int sig)
{
	(void)sig;
	engine_stop();
}

void cmd_catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

struct reach {
	GPtrArray *access;      /* struct node_access * */
};

static struct lab_ssh *reach_node(const char *node, void *data, GError **error)
{
	struct reach *r = data;

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

/* A provider's line, as "local": @data is the int verbosity of the verb. */
G_GNUC_PRINTF(2, 3)
static void say_local(void *data, const char *fmt, ...)
{
	const int *verbosity = data;
	va_list ap;

	if (*verbosity < 0)
		return;
	/* providers make nodes from several threads: one line at a time */
	flockfile(cmd_out);
	fprintf(cmd_out, "%-12s ", "local");
	va_start(ap, fmt);
	vfprintf(cmd_out, fmt, ap);
	va_end(ap);
	fprintf(cmd_out, "\n");
	fflush(cmd_out);
	funlockfile(cmd_out);
}

guint cmd_teardown(const struct lab_spec *spec, struct journal *j, enum teardown_mode mode,
		   bool keep_nodes, int verbosity, JsonArray *record)
{
	bool force = mode != TEARDOWN_STOP;
	const struct provider *prov = provider_for(spec);
	struct provider_ctx ctx = { .spec = spec, .state_dir = journal_dir(j), .journal = j };
	struct reach reach = { 0 };
	/* down reads what secrets it can, to mask them in what the nodes print */
	g_autoptr(redact) secrets = cmd_secrets(spec);
	struct teardown_opts o = {
		.force = force, .forget = mode == TEARDOWN_FORGET,
		.verbosity = verbosity, .out = cmd_out,
		.connect = reach_node, .connect_data = &reach, .record = record,
		.wave = node_wave, .wave_data = (void *)spec, .redact = secrets,
		.provider = prov,
	};
	g_autoptr(GPtrArray) records = NULL;
	g_autoptr(GPtrArray) steps = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = g_strdup(journal_dir(j));
	gint64 t0 = g_get_monotonic_time();
	struct teardown_result res = { 0 };
	guint failed = 0;

	records = journal_records(j, &error);
	if (!records) {
		fprintf(stderr, "labctl: %s\n", error->message);
		return 1;
	}
	steps = teardown_steps(records);
	if (keep_nodes) {
		/* the provider's steps are local ones: they stay journaled */
		for (guint i = steps->len; i-- > 0;)
			if (!((const struct undo_step *)g_ptr_array_index(steps, i))->remote)
				g_ptr_array_remove_index(steps, i);
	}
	if (!steps->len) {
		if (verbosity >= 0)
			fprintf(cmd_out, "lab '%s': nothing to undo\n", spec->name.v);
	} else {
		if (prov && prov->revive) {
			ctx.say = say_local;
			ctx.say_data = &verbosity;
			prov->revive(&ctx, steps);
		}
		if (prov)
			reach.access = prov->access(&ctx, NULL);
		teardown_run(steps, j, &o, &res);
		failed = res.failed;
		if (reach.access)
			g_ptr_array_unref(reach.access);
	}
	if (res.refused)
		return failed;  /* said why; nothing ran, and the journal stays */
	if (keep_nodes) {
		if (failed)
			fprintf(cmd_out, "lab '%s': %u undo%s failed; the journal in %s keeps %s for the next down\n",
				spec->name.v, failed, failed == 1 ? "" : "s", dir, failed == 1 ? "it" : "them");
		else if (verbosity >= 0)
			fprintf(cmd_out, "lab '%s': %u undone on the nodes in %.1f s; the nodes are kept "
				"(labctl up uses them again, labctl down takes them away)\n", spec->name.v,
				steps->len, (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC);
		return failed;
	}
	if (failed && !force) {
		fprintf(cmd_out, "lab '%s': %u undo%s failed; the journal in %s keeps what is left "
		       "(labctl down --force goes on past failures)\n",
		       spec->name.v, failed, failed == 1 ? "" : "s", dir);
		return failed;
	}
	/*
	 * --force: what failed was reported above, one line each, and stays in
	 * the journal, with what its node needs to be reached, so that a later
	 * down can finish; only --forget gives it up.
	 */
	if (failed && mode == TEARDOWN_FORCE) {
		fprintf(cmd_out, "lab '%s' is partly down: %u undo%s failed (listed above) and %s in the "
			"journal in %s",
			spec->name.v, failed, failed == 1 ? "" : "s", failed == 1 ? "stays" : "stay", dir);
		if (res.kept)
			fprintf(cmd_out, ", with %u change%s on this machine kept so that %s can still be reached",
				res.kept, res.kept == 1 ? "" : "s", "its nodes");
		fprintf(cmd_out, "; labctl status lists %s; labctl down again finishes once the cause is "
			"fixed, or labctl down --forget gives %s up\n",
			failed == 1 ? "it" : "them", failed == 1 ? "it" : "them");
		return failed;
	}
	if (!journal_remove(j, &error)) {
		fprintf(stderr, "labctl: %s\n", error->message);
		return 1;
	}
	remove_state(dir);
	if (failed)
		fprintf(cmd_out, "lab '%s' is down, but %u undo%s failed and %s given up (listed above): "
		       "what they would have undone may still be there\n", spec->name.v, failed,
		       failed == 1 ? "" : "s", failed == 1 ? "was" : "were");
	else if (steps->len && verbosity >= 0)
		fprintf(cmd_out, "lab '%s' is down: %u undone in %.1f s\n", spec->name.v, steps->len,
		       (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC);
	return failed;
}

/* ---- running a lab (up, check, test) ---- */

static char *read_secret(const char *ref, void *data, GError **error)
{
	return spec_read_secret(data, ref, error);
}

struct redact *cmd_secrets(const struct lab_spec *spec)
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

static char *facts_script(const char *dir, GError **error)
{
	g_autoptr(JsonObject) none = json_object_new();
	struct template_env env = { .vars = none, .flags = TEMPLATE_QUOTE };
	g_autofree char *text = NULL;
	gsize len;

	text = playbook_read_resource(dir, "templates/facts.sh", &len, error);
	return text ? template_expand("templates/facts.sh", text, &env, error) : NULL;
}

/* Connecting to one node and gathering its facts, done by a worker. */
struct reach_job {
	struct node_access *access;
	struct lab_ssh *ssh;
	char *notice;
	JsonObject *facts;
	GError *error;
};

struct reach_all {
	struct reach_job *jobs;
	guint n;
	gint next;              /* atomic: the next job to take */
	const char *script;
};

static gpointer reach_worker(gpointer data)
{
	struct reach_all *r = data;

	for (;;) {
		gint i = g_atomic_int_add(&r->next, 1);
		struct reach_job *job;

		if (i >= (gint)r->n)
			return NULL;
		job = &r->jobs[i];
		/* the provider's own login, made while the node booted */
		job->ssh = g_steal_pointer(&job->access->conn);
		if (!job->ssh)
			job->ssh = lab_ssh_open(&job->access->ssh, &job->notice, &job->error);
		if (job->ssh)
			job->facts = gather_facts(job->ssh, job->access->name, r->script,
						  &job->error);
	}
}

/*
 * Connects to every node and gathers its facts, @jobs nodes at once (0:
 * all): one after another, each node's key exchange and round trip made
 * up most of the start of a large lab.
 */
static void reach_nodes(GPtrArray *access, const char *script, guint jobs,
			struct reach_job *out)
{
	struct reach_all r = { .jobs = out, .n = access->len, .script = script };
	guint nworkers = jobs && jobs < access->len ? jobs : access->len;
	g_autofree GThread **workers = g_new0(GThread *, MAX(nworkers, 1));

	for (guint i = 0; i < access->len; i++)
		out[i].access = g_ptr_array_index(access, i);
	for (guint w = 0; w < nworkers; w++)
		workers[w] = g_thread_new("connect", reach_worker, &r);
	for (guint w = 0; w < nworkers; w++)
		g_thread_join(workers[w]);
}

void cmd_print_failures(GPtrArray *results)
{
	for (guint i = 0; i < results->len; i++) {
		const struct node_result *nr = g_ptr_array_index(results, i);

		for (guint t = 0; t < nr->tasks->len; t++) {
			const struct task_result *r = g_ptr_array_index(nr->tasks, t);

			/* the details were printed when it failed */
			if (r->outcome == TASK_FAILED)
				fprintf(stderr, "labctl: node '%s', task %s '%s' failed\n",
					nr->name, r->task->id, r->task->name);
		}
	}
}

void cmd_lab_run_clear(struct lab_run *r)
{
	node_results_free(r->results);
	plan_free(r->shown);
	r->results = NULL;
	r->shown = NULL;
}

int cmd_run_lab(const struct lab_spec *spec, struct journal *j, GPtrArray *access,
		const struct lab_run_opts *o, struct lab_run *out)
{
	g_autoptr(GPtrArray) conns = g_ptr_array_new_with_free_func((GDestroyNotify)lab_ssh_close);
	g_autoptr(GHashTable) facts = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
							    (GDestroyNotify)json_object_unref);
	g_autoptr(GPtrArray) diags = diags_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *script = facts_script(o->playbook_dir, &error);
	g_autofree char *transcripts = g_build_filename(journal_dir(j), "transcripts", NULL);
	struct plan_options live_opts = {
		.playbook_dir = o->playbook_dir, .facts = facts, .flags = TEMPLATE_SECRETS,
		.secret = read_secret, .secret_data = (void *)spec,
	};
	struct plan_options shown_opts = {
		.playbook_dir = o->playbook_dir, .facts = facts, .flags = TEMPLATE_REDACT,
	};
	g_autoptr(redact) secrets = cmd_secrets(spec);
	struct engine_opts eo = {
		.jobs = o->jobs, .verbosity = o->verbosity, .out = cmd_out,
		.tty = isatty(STDOUT_FILENO), .transcript_dir = transcripts,
		.redact = secrets,
	};
	struct plan *live = NULL, *shown = NULL;
	g_autofree struct reach_job *reached = NULL;
	GPtrArray *results = NULL;
	int status = EXIT_OK;

	memset(out, 0, sizeof(*out));
	out->failed = true;
	live_opts.verify_only = shown_opts.verify_only = o->verify_only;
	if (!script) {
		fprintf(stderr, "labctl: %s\n", error->message);
		return EXIT_USAGE;
	}
	reached = g_new0(struct reach_job, MAX(access->len, 1));
	reach_nodes(access, script, o->jobs, reached);
	/* reported in node order, the first problem only, as one by one would */
	for (guint i = 0; i < access->len; i++) {
		struct reach_job *job = &reached[i];

		if (status == EXIT_OK && job->notice)
			fprintf(cmd_out, "%-12s %s\n", job->access->name, job->notice);
		if (status == EXIT_OK && job->error) {
			fprintf(stderr, "labctl: %s\n", job->error->message);
			status = job->ssh ? EXIT_FAILED : EXIT_UNREACHABLE;
		}
		if (job->ssh)
			g_ptr_array_add(conns, job->ssh);
		if (job->facts)
			g_hash_table_insert(facts, job->access->name, job->facts);
		g_free(job->notice);
		g_clear_error(&job->error);
	}
	if (status != EXIT_OK)
		return status;
	shown = plan_build(spec, &shown_opts, diags);
	if (shown)
		live = plan_build(spec, &live_opts, diags);
	if (!live) {
		cmd_print_diags(diags);
		plan_free(shown);
		return EXIT_USAGE;
	}
	out->failed = !engine_run(live, shown, conns, j, &eo, &results);
	plan_free(live);
	for (guint i = 0; i < conns->len; i++) {
		guint n = lab_ssh_reconnects(g_ptr_array_index(conns, i));
		struct node_access *a = g_ptr_array_index(access, i);

		if (n)
			fprintf(cmd_out, "%-12s the connection dropped and was re-established %u time%s\n",
			       a->name, n, n == 1 ? "" : "s");
	}
	if (o->verbosity >= 0) {
		g_autofree char *table = engine_summary(results);

		fprintf(cmd_out, "\n%s", table);
	}
	if (out->failed)
		cmd_print_failures(results);
	out->results = results;
	out->shown = shown;
	if (out->failed && engine_unreachable(results))
		return EXIT_UNREACHABLE;
	return out->failed || engine_stopped() ? EXIT_FAILED : EXIT_OK;
}

/* ---- the options up, check and test share ---- */

int cmd_parse_run_opts(const struct cmd *self, int argc, char **argv, struct run_cli *o)
{
	int c;

	memset(o, 0, sizeof(*o));
	o->on_failure = -1;
	/* each verb takes only the options of its own table */
	while ((c = cmd_getopt(self, argc, argv)) != -1) {
		char *end;

		switch (c) {
		case OPT_JOBS:
			o->run.jobs = (unsigned)strtoul(optarg, &end, 10);
			if (*end || !*optarg || !o->run.jobs)
				return cmd_usage_error(self, "--jobs takes a number of at least 1, not '%s'", optarg);
			break;
		case OPT_QUIET:
			o->run.verbosity = -1;
			break;
		case OPT_VERBOSE:
			o->run.verbosity = 1;
			break;
		case OPT_STATE_DIR:
			o->state_dir = optarg;
			break;
		case OPT_PLAYBOOK_DIR:
			o->run.playbook_dir = optarg;
			break;
		case OPT_ACCEPT_NEW:
			o->accept_new = true;
			break;
		case OPT_ON_FAILURE:
			if (!strcmp(optarg, "keep"))
				o->on_failure = 0;
			else if (!strcmp(optarg, "destroy"))
				o->on_failure = 1;
			else
				return cmd_usage_error(self, "--on-failure is keep or destroy, not '%s'", optarg);
			break;
		case OPT_JUNIT:
			o->junit = optarg;
			break;
		case OPT_JSON:
			/* stdout is for the JSON document alone */
			o->json = true;
			cmd_out = stderr;
			break;
		case OPT_HELP:
			return -1;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1)
		return cmd_usage_error(self, optind >= argc ? "no spec given" : "one spec at a time");
	o->spec_path = argv[optind];
	/* keep a failed lab for a look on a terminal; clean up after scripts and CI */
	if (o->on_failure < 0)
		o->on_failure = isatty(STDOUT_FILENO) && !g_getenv("CI") ? 0 : 1;
	return EXIT_OK;
}

int cmd_open_lab(const struct run_cli *o, struct lab_spec **spec, struct journal **j)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *state = NULL;
	int status = EXIT_OK;

	*j = NULL;
	*spec = cmd_load_spec(o->spec_path);
	if (!*spec)
		return EXIT_USAGE;
	if (!provider_for(*spec)) {
		fprintf(stderr, "labctl: provider '%s' is not available in this version of labctl\n",
			spec_provider_names[(*spec)->provider.type.v]);
		status = EXIT_USAGE;
	} else if (!spec_check_secrets(*spec, &error)) {
		/* a missing secret is found before anything is made, not half-way */
		fprintf(stderr, "labctl: %s\n", error->message);
		status = EXIT_USAGE;
	} else {
		state = cmd_state_dir(*spec, o->state_dir);
		*j = cmd_open_journal(state, &status);
	}
	if (!*j)
		g_clear_pointer(spec, spec_free);
	return status;
}

int cmd_up_lab(const struct lab_spec *spec, struct journal *j, const struct run_cli *o,
	       struct lab_run *run)
{
	const struct provider *prov = provider_for(spec);
	struct provider_ctx ctx = {
		.spec = spec, .state_dir = journal_dir(j), .journal = j,
		.accept_new_host_keys = o->accept_new, .say = say_local,
		.say_data = (void *)&o->run.verbosity,
	};
	g_autoptr(JsonObject) rec = json_object_new();
	g_autoptr(GPtrArray) access = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *abs = g_canonicalize_filename(o->spec_path, NULL);
	int status;

	memset(run, 0, sizeof(*run));
	run->failed = true;
	json_object_set_string_member(rec, "type", "up");
	json_object_set_string_member(rec, "lab", spec->name.v);
	json_object_set_string_member(rec, "spec", abs);
	if (!journal_append(j, rec, &error)) {
		fprintf(stderr, "labctl: %s\n", error->message);
		return EXIT_FAILED;
	}
	access = prov->up(&ctx, &error);
	if (!access) {
		fprintf(stderr, "labctl: %s\n", error->message);
		return EXIT_FAILED;
	}
	status = cmd_run_lab(spec, j, access, &o->run, run);
	if (status == EXIT_OK) {
		guint changed = 0;

		for (guint i = 0; i < run->results->len; i++)
			changed += ((struct node_result *)g_ptr_array_index(run->results, i))->changed;
		/* the last line, also with -q */
		if (changed)
			fprintf(cmd_out, "lab '%s' is up: %u task%s changed\n", spec->name.v, changed,
				changed == 1 ? "" : "s");
		else
			fprintf(cmd_out, "lab '%s' is up; nothing changed\n", spec->name.v);
	}
	return status;
}

int cmd_lab_access(const struct cmd *self, int argc, char **argv, struct lab_spec **spec,
		   GPtrArray **access, int *rest, char **state_dir)
{
	const struct provider *prov;
	g_autoptr(GError) error = NULL;
	g_autofree char *state = NULL;
	const char *state_opt = NULL;
	struct provider_ctx ctx = { 0 };
	int c, want = rest ? 2 : 1;

	/* for ssh (in_order), what follows the node is the remote command's */
	while ((c = cmd_getopt(self, argc, argv)) != -1) {
		switch (c) {
		case OPT_STATE_DIR:
			state_opt = optarg;
			break;
		case OPT_HELP:
			return -1;
		default:
			return EXIT_USAGE;
		}
	}
	if (argc - optind < want || (!rest && argc - optind > want))
		return cmd_usage_error(self, argc - optind < want ? "missing arguments"
								   : "too many arguments");
	*spec = cmd_load_spec(argv[optind]);
	if (!*spec)
		return EXIT_USAGE;
	prov = provider_for(*spec);
	if (!prov) {
		fprintf(stderr, "labctl: provider '%s' is not available in this version of labctl\n",
			spec_provider_names[(*spec)->provider.type.v]);
		g_clear_pointer(spec, spec_free);
		return EXIT_USAGE;
	}
	state = cmd_state_dir(*spec, state_opt);
	ctx.spec = *spec;
	ctx.state_dir = state;
	*access = prov->access(&ctx, &error);
	if (!*access) {
		fprintf(stderr, "labctl: %s\n", error->message);
		g_clear_pointer(spec, spec_free);
		return EXIT_FAILED;
	}
	if (rest)
		*rest = optind + 1;
	if (state_dir)
		*state_dir = g_steal_pointer(&state);
	return EXIT_OK;
}

/* ---- --junit and --json ---- */

/* What a report shows when a verb failed before any task ran. */
struct synthetic {
	struct plan_task task;
	struct node_result node;
	GPtrArray *results;
};

static void synthetic_init(struct synthetic *sy, const char *verb, const char *why)
{
	struct task_result *r = g_new0(struct task_result, 1);

	memset(sy, 0, sizeof(*sy));
	sy->task.id = (char *)verb;
	sy->task.name = (char *)verb;
	sy->task.playbook = (char *)"labctl";
	r->task = &sy->task;
	r->outcome = TASK_FAILED;
	r->status = -1;
	r->error = g_strdup(why);
	sy->node.name = "labctl";
	sy->node.failed = 1;
	sy->node.tasks = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(sy->node.tasks, r);
	sy->results = g_ptr_array_new();
	g_ptr_array_add(sy->results, &sy->node);
}

static void synthetic_clear(struct synthetic *sy)
{
	for (guint i = 0; i < sy->node.tasks->len; i++)
		g_free(((struct task_result *)g_ptr_array_index(sy->node.tasks, i))->error);
	g_ptr_array_unref(sy->node.tasks);
	g_ptr_array_unref(sy->results);
}

int cmd_report(const struct run_cli *o, const char *lab, const char *verb,
	       GPtrArray *results, int status, double seconds)
{
	g_autoptr(GError) error = NULL;
	struct synthetic sy;
	bool synth = !results;

	if (!o->junit && !o->json)
		return status;
	if (synth) {
		g_autofree char *why = g_strdup_printf(
			"labctl %s failed before any task ran (exit status %d): see its messages",
			verb, status);

		synthetic_init(&sy, verb, why);
		results = sy.results;
	}
	if (o->junit && !report_write_junit(o->junit, lab, verb, results, seconds, &error)) {
		fprintf(stderr, "labctl: %s\n", error->message);
		if (status == EXIT_OK)
			status = EXIT_FAILED;
	}
	if (o->json) {
		g_autoptr(JsonNode) root = report_json(lab, verb, results, status == EXIT_OK, seconds);

		cmd_print_json(root);
	}
	if (synth)
		synthetic_clear(&sy);
	return status;
}
