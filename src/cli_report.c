/*
 * cli_report.c - what the verbs print: diagnostics, errors, the run's
 * summary and failures, the teardown's outcome, --junit and --json
 */
#include <stdio.h>
#include <string.h>

#include "labctl/cmd.h"
#include "labctl/engine.h"
#include "labctl/report.h"
#include "labctl/validate.h"

void cmd_print_diags(GPtrArray *diags)
{
	diags_sort(diags);
	for (guint i = 0; i < diags->len; i++) {
		g_autofree char *line = diag_format(g_ptr_array_index(diags, i));

		fprintf(stderr, "%s\n", line);
	}
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

int cmd_exit_code(const GError *error)
{
	if (!error)
		return EXIT_OK;
	if (error->domain != LAB_ERROR)
		return EXIT_FAILED;
	switch ((enum lab_error)error->code) {
	case LAB_ERROR_INVALID:
	case LAB_ERROR_PLAN:
		return EXIT_USAGE;
	case LAB_ERROR_UNREACHABLE:
		return EXIT_UNREACHABLE;
	case LAB_ERROR_BUSY:
		return EXIT_BUSY;
	case LAB_ERROR_NOT_UP:
	case LAB_ERROR_TASKS:
	case LAB_ERROR_CANCELLED:
	case LAB_ERROR_FAILED:
		break;
	}
	return EXIT_FAILED;
}

int cmd_print_lab_error(const GError *error)
{
	if (g_error_matches(error, LAB_ERROR, LAB_ERROR_PLAN))
		fprintf(stderr, "%s\n", error->message);        /* FILE:LINE:COL: lines */
	else
		fprintf(stderr, "labctl: %s\n", error->message);
	return cmd_exit_code(error);
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

int cmd_report_run(const struct run_cli *o, const char *lab, const char *verb,
		   const struct lab_run *run, const GError *error)
{
	/* failed before any task ran: the error is all there is to say */
	if (!run->results)
		return error ? cmd_print_lab_error(error) : EXIT_OK;
	for (guint i = 0; i < run->results->len; i++) {
		const struct node_result *nr = g_ptr_array_index(run->results, i);

		if (nr->reconnects)
			fprintf(cmd_out, "%-12s the connection dropped and was re-established %u time%s\n",
				nr->name, nr->reconnects, nr->reconnects == 1 ? "" : "s");
	}
	if (o->lab.verbosity >= 0) {
		g_autofree char *table = engine_summary(run->results);
		g_autofree char *figures = report_metrics_table(run->results);

		fprintf(cmd_out, "\n%s", table);
		if (figures)
			fprintf(cmd_out, "%s\n", figures);
	}
	/* the results say what went wrong: each failed task, once more */
	if (g_error_matches(error, LAB_ERROR, LAB_ERROR_TASKS) ||
	    g_error_matches(error, LAB_ERROR, LAB_ERROR_UNREACHABLE))
		cmd_print_failures(run->results);
	if (!strcmp(verb, "check")) {
		if (run->checks_failed)
			fprintf(cmd_out, "lab '%s': %u of %u checks failed\n", lab, run->checks_failed,
				run->checks);
		else
			fprintf(cmd_out, "lab '%s': all %u checks passed\n", lab, run->checks);
	} else if (!error && run->changed) {
		/* the last line of up, also with -q */
		fprintf(cmd_out, "lab '%s' is up: %u task%s changed\n", lab, run->changed,
			run->changed == 1 ? "" : "s");
	} else if (!error && run->proofs_skipped) {
		fprintf(cmd_out, "lab '%s' is up; nothing changed since it was last proven "
			"('labctl check' runs the %u heavy proof%s again)\n", lab, run->proofs_skipped,
			run->proofs_skipped == 1 ? "" : "s");
	} else if (!error) {
		fprintf(cmd_out, "lab '%s' is up; nothing changed\n", lab);
	}
	return cmd_exit_code(error);
}

guint cmd_teardown(const struct lab_spec *spec, struct lab *lab, enum teardown_mode mode,
		   bool keep_nodes, const struct lab_opts *o, JsonArray *record)
{
	const char *name = spec->name.v;
	struct lab_down_result r;
	g_autoptr(GError) error = NULL;
	guint failed;

	if (!lab_down(lab, mode, keep_nodes, o, record, &r, &error)) {
		fprintf(stderr, "labctl: %s\n", error->message);
		lab_down_result_clear(&r);
		return 1;
	}
	failed = r.failed;
	if (!r.steps && o->verbosity >= 0)
		fprintf(cmd_out, "lab '%s': nothing to undo\n", name);
	if (r.refused) {
		/* said why; nothing ran, and the journal stays */
	} else if (keep_nodes && failed) {
		fprintf(cmd_out, "lab '%s': %u undo%s failed; the journal in %s keeps %s for the next down\n",
			name, failed, failed == 1 ? "" : "s", r.state_dir, failed == 1 ? "it" : "them");
	} else if (keep_nodes && o->verbosity >= 0) {
		fprintf(cmd_out, "lab '%s': %u undone on the nodes in %.1f s; the nodes are kept "
			"(labctl up uses them again, labctl down takes them away)\n", name,
			r.steps, r.seconds);
	} else if (keep_nodes) {
		/* -q */
	} else if (failed && mode == TEARDOWN_STOP) {
		fprintf(cmd_out, "lab '%s': %u undo%s failed; the journal in %s keeps what is left "
			"(labctl down --force goes on past failures)\n",
			name, failed, failed == 1 ? "" : "s", r.state_dir);
	} else if (failed && mode == TEARDOWN_FORCE) {
		/*
		 * What failed was reported above, one line each, and stays in
		 * the journal, with what its node needs to be reached, so that
		 * a later down can finish; only --forget gives it up.
		 */
		fprintf(cmd_out, "lab '%s' is partly down: %u undo%s failed (listed above) and %s in the "
			"journal in %s",
			name, failed, failed == 1 ? "" : "s", failed == 1 ? "stays" : "stay", r.state_dir);
		if (r.kept)
			fprintf(cmd_out, ", with %u change%s on this machine kept so that %s can still be reached",
				r.kept, r.kept == 1 ? "" : "s", "its nodes");
		fprintf(cmd_out, "; labctl status lists %s; labctl down again finishes once the cause is "
			"fixed, or labctl down --forget gives %s up\n",
			failed == 1 ? "it" : "them", failed == 1 ? "it" : "them");
	} else if (failed) {
		fprintf(cmd_out, "lab '%s' is down, but %u undo%s failed and %s given up (listed above): "
			"what they would have undone may still be there\n", name, failed,
			failed == 1 ? "" : "s", failed == 1 ? "was" : "were");
	} else if (r.steps && o->verbosity >= 0) {
		fprintf(cmd_out, "lab '%s' is down: %u undone in %.1f s\n", name, r.steps, r.seconds);
	}
	lab_down_result_clear(&r);
	return failed;
}

int cmd_report(const struct run_cli *o, const char *lab, const char *verb,
	       GPtrArray *results, int status, double seconds)
{
	g_autoptr(GError) error = NULL;
	struct report_stand_in stand_in;
	bool stand = !results;

	if (!o->junit && !o->json)
		return status;
	if (stand) {
		report_stand_in_init(&stand_in, "labctl", verb, status);
		results = stand_in.results;
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
	if (stand)
		report_stand_in_clear(&stand_in);
	return status;
}
