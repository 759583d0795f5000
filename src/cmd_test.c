/*
 * cmd_test.c - labctl test: up, check, down in one command, for CI
 *
 * The exit code is 0 only when the lab came up, every check passed and the
 * teardown left nothing behind.  Teardown always runs in destroy mode
 * (going on past failures), also after a failed up, unless --on-failure
 * keep asked to leave a failed lab for a look.
 */
#include <stdio.h>

#include "labctl/cmd.h"
#include "labctl/report.h"

/* One phase of the test: its run, exit code and time. */
struct phase {
	struct lab_run run;
	int status;
	double seconds;
};

/* The labctl-test/1 document of docs/json.md. */
static void print_json(const char *lab, const struct phase *up, const struct phase *check,
		       bool down_ran, guint down_failed, int status, double seconds)
{
	g_autoptr(JsonBuilder) jb = json_builder_new();
	g_autoptr(JsonNode) root = NULL;
	const struct phase *phases[] = { up, check };
	const char *names[] = { "up", "check" };

	json_builder_begin_object(jb);
	json_builder_set_member_name(jb, "format");
	json_builder_add_string_value(jb, "labctl-test/1");
	json_builder_set_member_name(jb, "lab");
	json_builder_add_string_value(jb, lab);
	json_builder_set_member_name(jb, "ok");
	json_builder_add_boolean_value(jb, status == EXIT_OK);
	json_builder_set_member_name(jb, "seconds");
	json_builder_add_double_value(jb, (double)(gint64)(seconds * 1000 + 0.5) / 1000);
	for (guint i = 0; i < G_N_ELEMENTS(phases); i++) {
		json_builder_set_member_name(jb, names[i]);
		if (phases[i]->run.results)
			json_builder_add_value(jb, report_json(lab, names[i], phases[i]->run.results,
							       phases[i]->status == EXIT_OK,
							       phases[i]->seconds));
		else
			json_builder_add_null_value(jb);
	}
	json_builder_set_member_name(jb, "down");
	json_builder_begin_object(jb);
	json_builder_set_member_name(jb, "ran");
	json_builder_add_boolean_value(jb, down_ran);
	json_builder_set_member_name(jb, "failed");
	json_builder_add_int_value(jb, down_failed);
	json_builder_end_object(jb);
	json_builder_end_object(jb);
	root = json_builder_get_root(jb);
	cmd_print_json(root);
}

static double since(gint64 t0)
{
	return (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC;
}

int cmd_test(const struct cmd *self, int argc, char **argv)
{
	struct phase up = { 0 }, check = { 0 };
	g_autoptr(lab_spec) spec = NULL;
	g_autoptr(lab_handle) lab = NULL;
	g_autoptr(GError) up_error = NULL;
	g_autoptr(GError) check_error = NULL;
	g_autoptr(GError) junit_error = NULL;
	struct run_cli o;
	gint64 t0 = g_get_monotonic_time(), t1;
	int status;
	guint down_failed = 0;
	bool keep;

	status = cmd_parse_run_opts(self, argc, argv, &o);
	if (status || (status = cmd_open_lab(&o, &spec, &lab))) {
		run_cli_clear(&o);
		return status < 0 ? EXIT_OK : status;
	}
	cmd_catch_signals(o.lab.cancel);

	fprintf(cmd_out, "== up\n");
	lab_up(lab, o.spec_path, &o.lab, &up.run, &up_error);
	up.status = cmd_report_run(&o, spec->name.v, "up", &up.run, up_error);
	up.seconds = since(t0);
	if (up.status == EXIT_OK && !g_cancellable_is_cancelled(o.lab.cancel)) {
		fprintf(cmd_out, "\n== check\n");
		t1 = g_get_monotonic_time();
		lab_check(lab, &o.lab, &check.run, &check_error);
		check.status = cmd_report_run(&o, spec->name.v, "check", &check.run, check_error);
		check.seconds = since(t1);
	}
	status = up.status ? up.status : check.status;

	keep = status != EXIT_OK && o.on_failure == 0;
	if (keep) {
		fprintf(cmd_out, "\nthe lab is left as it is for a look (--on-failure keep); 'labctl down %s' takes it apart\n",
			o.spec_path);
	} else {
		fprintf(cmd_out, "\n== down\n");
		down_failed = cmd_teardown(spec, lab, TEARDOWN_FORCE, false, &o.lab, NULL);
		if (down_failed && status == EXIT_OK)
			status = EXIT_FAILED;
	}
	if (o.junit && !report_write_test_junit(o.junit, spec->name.v, up.run.results, up.status,
						check.run.results, check.status, !keep,
						down_failed, since(t0), &junit_error)) {
		fprintf(stderr, "labctl: %s\n", junit_error->message);
		if (status == EXIT_OK)
			status = EXIT_FAILED;
	}
	if (o.json)
		print_json(spec->name.v, &up, &check, !keep, down_failed, status, since(t0));
	fprintf(cmd_out, "\nlabctl test: %s in %.1f s (up %s, check %s, down %s)\n",
		status == EXIT_OK ? "PASSED" : "FAILED", since(t0),
		up.status == EXIT_OK ? "ok" : "failed",
		up.status != EXIT_OK ? "not run" : check.status == EXIT_OK ? "ok" : "failed",
		keep ? "not run" : down_failed ? "failed" : "ok");
	lab_run_clear(&up.run);
	lab_run_clear(&check.run);
	run_cli_clear(&o);
	return status;
}
