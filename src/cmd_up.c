/*
 * cmd_up.c - labctl up: make the nodes, run the plan, prove it with a mount
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "labctl/cmd.h"
#include "labctl/engine.h"
#include "labctl/facts.h"
#include "labctl/playbook.h"
#include "labctl/provider.h"

struct up_opts {
	unsigned jobs;
	int verbosity;
	const char *state_dir;
	const char *playbook_dir;
	bool accept_new;
	int on_failure;         /* -1: default, 0 keep, 1 destroy */
};

static void say_line(void *data, const char *fmt, ...)
{
	const struct up_opts *o = data;
	va_list ap;

	if (o->verbosity < 0)
		return;
	printf("%-12s ", "local");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static char *read_secret(const char *ref, void *data, GError **error)
{
	return spec_read_secret(data, ref, error);
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

static void print_failures(GPtrArray *results)
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

/* Connects to every node, gathers facts, builds both plans and runs them. */
static int run_lab(const struct lab_spec *spec, struct journal *j, GPtrArray *access,
		   const struct up_opts *o, bool *failed)
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
	struct engine_opts eo = {
		.jobs = o->jobs, .verbosity = o->verbosity, .out = stdout,
		.tty = isatty(STDOUT_FILENO), .transcript_dir = transcripts,
	};
	struct plan *live = NULL, *shown = NULL;
	GPtrArray *results = NULL;
	int status = EXIT_OK;

	*failed = true;
	if (!script) {
		fprintf(stderr, "labctl: %s\n", error->message);
		return EXIT_USAGE;
	}
	for (guint i = 0; i < access->len; i++) {
		struct node_access *a = g_ptr_array_index(access, i);
		g_autofree char *notice = NULL;
		struct lab_ssh *ssh = lab_ssh_open(&a->ssh, &notice, &error);
		JsonObject *f;

		if (!ssh) {
			fprintf(stderr, "labctl: %s\n", error->message);
			return EXIT_UNREACHABLE;
		}
		if (notice)
			printf("%-12s %s\n", a->name, notice);
		g_ptr_array_add(conns, ssh);
		f = gather_facts(ssh, a->name, script, &error);
		if (!f) {
			fprintf(stderr, "labctl: %s\n", error->message);
			return EXIT_FAILED;
		}
		g_hash_table_insert(facts, a->name, f);
	}
	shown = plan_build(spec, &shown_opts, diags);
	if (shown)
		live = plan_build(spec, &live_opts, diags);
	if (!live) {
		cmd_print_diags(diags);
		plan_free(shown);
		return EXIT_USAGE;
	}
	*failed = !engine_run(live, shown, conns, j, &eo, &results);
	for (guint i = 0; i < conns->len; i++) {
		guint n = lab_ssh_reconnects(g_ptr_array_index(conns, i));
		struct node_access *a = g_ptr_array_index(access, i);

		if (n)
			printf("%-12s the connection dropped and was re-established %u time%s\n",
			       a->name, n, n == 1 ? "" : "s");
	}
	if (o->verbosity >= 0) {
		g_autofree char *table = engine_summary(results);

		printf("\n%s", table);
	}
	if (*failed) {
		print_failures(results);
		status = EXIT_FAILED;
	} else if (engine_stopped()) {
		status = EXIT_FAILED;
	} else {
		guint changed = 0;

		for (guint i = 0; i < results->len; i++)
			changed += ((struct node_result *)g_ptr_array_index(results, i))->changed;
		/* the last line, also with -q */
		printf(changed ? "lab '%s' is up: %u tasks changed\n"
			       : "lab '%s' is up; nothing changed\n", spec->name.v, changed);
	}
	node_results_free(results);
	plan_free(live);
	plan_free(shown);
	return status;
}

int cmd_up(const struct cmd *self, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "jobs", required_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "state-dir", required_argument, NULL, 'S' },
		{ "playbook-dir", required_argument, NULL, 'P' },
		{ "accept-new-host-keys", no_argument, NULL, 'A' },
		{ "on-failure", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct up_opts o = { .on_failure = -1 };
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonObject) rec = json_object_new();
	g_autofree char *state = NULL;
	g_autofree char *abs = NULL;
	const struct provider *prov;
	struct lab_spec *spec;
	struct journal *j;
	GPtrArray *access;
	gint64 t0 = g_get_monotonic_time();
	int status = EXIT_OK, c;
	bool failed = false;

	while ((c = getopt_long(argc, argv, "j:qvh", longopts, NULL)) != -1) {
		char *end;

		switch (c) {
		case 'j':
			o.jobs = (unsigned)strtoul(optarg, &end, 10);
			if (*end || !*optarg || !o.jobs)
				return cmd_usage_error(self, "--jobs takes a number of at least 1, not '%s'", optarg);
			break;
		case 'q':
			o.verbosity = -1;
			break;
		case 'v':
			o.verbosity = 1;
			break;
		case 'S':
			o.state_dir = optarg;
			break;
		case 'P':
			o.playbook_dir = optarg;
			break;
		case 'A':
			o.accept_new = true;
			break;
		case 'F':
			if (!strcmp(optarg, "keep"))
				o.on_failure = 0;
			else if (!strcmp(optarg, "destroy"))
				o.on_failure = 1;
			else
				return cmd_usage_error(self, "--on-failure is keep or destroy, not '%s'", optarg);
			break;
		case 'h':
			cmd_usage(self, stdout);
			return EXIT_OK;
		default:
			return cmd_usage_error(self, "unknown option");
		}
	}
	if (optind != argc - 1)
		return cmd_usage_error(self, optind >= argc ? "no spec given" : "one spec at a time");
	/* keep a failed lab for a look on a terminal; clean up after scripts */
	if (o.on_failure < 0)
		o.on_failure = isatty(STDOUT_FILENO) ? 0 : 1;

	spec = cmd_load_spec(argv[optind]);
	if (!spec)
		return EXIT_USAGE;
	prov = provider_for(spec);
	if (!prov) {
		fprintf(stderr, "labctl: provider '%s' is not available in this version of labctl\n",
			spec_provider_names[spec->provider.type.v]);
		spec_free(spec);
		return EXIT_USAGE;
	}
	/* a missing secret is found before anything is made, not half-way */
	if (!spec_check_secrets(spec, &error)) {
		fprintf(stderr, "labctl: %s\n", error->message);
		spec_free(spec);
		return EXIT_USAGE;
	}
	state = cmd_state_dir(spec, o.state_dir);
	j = cmd_open_journal(state, &status);
	if (!j) {
		spec_free(spec);
		return status;
	}
	cmd_catch_signals();
	abs = g_canonicalize_filename(argv[optind], NULL);
	json_object_set_string_member(rec, "type", "up");
	json_object_set_string_member(rec, "lab", spec->name.v);
	json_object_set_string_member(rec, "spec", abs);
	if (!journal_append(j, rec, &error)) {
		fprintf(stderr, "labctl: %s\n", error->message);
		status = EXIT_FAILED;
		goto out;
	}

	{
		struct provider_ctx ctx = {
			.spec = spec, .state_dir = state, .journal = j,
			.accept_new_host_keys = o.accept_new, .say = say_line, .say_data = &o,
		};

		access = prov->up(&ctx, &error);
	}
	if (!access) {
		fprintf(stderr, "labctl: %s\n", error->message);
		status = EXIT_FAILED;
		failed = true;
	} else {
		status = run_lab(spec, j, access, &o, &failed);
		g_ptr_array_unref(access);
	}
	if (engine_stopped())
		fprintf(stderr, "labctl: interrupted; the journal is consistent: 'labctl down %s' takes the lab apart\n",
			argv[optind]);
	else if (failed && o.on_failure == 1) {
		printf("\ntaking the lab apart (--on-failure destroy)\n");
		cmd_teardown(spec, j, true, o.verbosity);
	} else if (failed) {
		printf("\nthe lab is left as it is for a look; 'labctl down %s' takes it apart\n",
		       argv[optind]);
	}
	if (o.verbosity >= 0 && !failed)
		printf("done in %.1f s\n", (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC);
out:
	journal_close(j);
	spec_free(spec);
	return status;
}
