/*
 * cmd_down.c - labctl down: undo everything labctl did, newest first
 */
#include <stdio.h>

#include "labctl/cmd.h"

/* The labctl-down/1 document of docs/json.md. */
static void print_json(const struct lab_spec *spec, const char *state, JsonArray *steps,
		       guint failed, double seconds)
{
	g_autoptr(JsonNode) root = json_node_new(JSON_NODE_OBJECT);
	JsonObject *o = json_object_new();
	g_autofree char *abs = g_canonicalize_filename(state, NULL);
	guint undone = 0, not_run = 0;

	for (guint i = 0; i < json_array_get_length(steps); i++) {
		const char *outcome = json_object_get_string_member(
			json_array_get_object_element(steps, i), "outcome");

		undone += !g_strcmp0(outcome, "undone");
		not_run += !g_strcmp0(outcome, "not run");
	}
	json_object_set_string_member(o, "format", "labctl-down/1");
	json_object_set_string_member(o, "lab", spec->name.v);
	json_object_set_string_member(o, "state_dir", abs);
	json_object_set_boolean_member(o, "ok", failed == 0);
	json_object_set_int_member(o, "undone", undone);
	json_object_set_int_member(o, "failed", failed);
	json_object_set_int_member(o, "not_run", not_run);
	json_object_set_double_member(o, "seconds", seconds);
	json_object_set_array_member(o, "steps", json_array_ref(steps));
	json_node_take_object(root, o);
	cmd_print_json(root);
}

/* What down's own options say. */
struct down_opts {
	enum teardown_mode mode;
	bool keep_nodes;
};

static int down_opt(int opt, void *data)
{
	struct down_opts *d = data;

	switch (opt) {
	case OPT_FORCE:
		/* --forget wins over --force, in any order */
		if (d->mode == TEARDOWN_STOP)
			d->mode = TEARDOWN_FORCE;
		return EXIT_OK;
	case OPT_FORGET:
		d->mode = TEARDOWN_FORGET;
		return EXIT_OK;
	case OPT_KEEP_NODES:
		d->keep_nodes = true;
		return EXIT_OK;
	default:
		return EXIT_USAGE;
	}
}

int cmd_down(const struct cmd *self, int argc, char **argv)
{
	g_autofree char *state = NULL;
	g_autofree char *journal_file = NULL;
	g_autoptr(JsonArray) steps = NULL;
	g_autoptr(lab_spec) spec = NULL;
	g_autoptr(GError) error = NULL;
	struct lab *lab;
	struct down_opts d = { .mode = TEARDOWN_STOP };
	struct lab_opts lo = { 0 };
	struct cmd_lab_opts o;
	int status = EXIT_OK;
	gint64 t0 = g_get_monotonic_time();
	guint failed = 0;

	status = cmd_parse_lab_opts(self, argc, argv, &o, down_opt, &d);
	if (status)
		return status == CMD_HELP_SHOWN ? EXIT_OK : status;
	lo.verbosity = o.verbosity;
	status = cmd_spec_arg(self, argc, argv, &spec);
	if (status)
		return status;
	if (o.json) {
		/* standard output is the document's; the rest goes to stderr */
		cmd_out = stderr;
		steps = json_array_new();
	}
	lo.out = cmd_out;
	state = lab_state_dir(spec, o.state_dir);
	journal_file = g_build_filename(state, "journal.jsonl", NULL);
	if (!g_file_test(journal_file, G_FILE_TEST_EXISTS)) {
		if (lo.verbosity >= 0)
			fprintf(cmd_out, "lab '%s': nothing to undo (no journal in %s)\n",
				spec->name.v, state);
	} else if (!(lab = lab_open(spec, state, 0, &error))) {
		status = cmd_print_lab_error(error);
	} else {
		failed = cmd_teardown(spec, lab, d.mode, d.keep_nodes, &lo, steps);
		if (failed)
			status = EXIT_FAILED;
		lab_close(lab);
	}
	if (o.json && (status == EXIT_OK || failed))
		print_json(spec, state, steps, failed,
			   (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC);
	return status;
}
