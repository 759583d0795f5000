/*
 * cmd_test.c - labctl test: up, check, down in one command, for CI
 *
 * The exit code is 0 only when the lab came up, every check passed and the
 * teardown left nothing behind.  Teardown always runs in destroy mode
 * (going on past failures), also after a failed up, unless --on-failure
 * keep asked to leave a failed lab for a look.
 */
#include <stdio.h>
#include <string.h>

#include "labctl/cmd.h"
#include "labctl/engine.h"
#include "labctl/report.h"

/*
 * One JUnit file for the whole test: the up run's suites, the check run's
 * (named "NODE (check)") and one suite for the teardown.
 */
/* A suite of one failed testcase, for a phase that failed before any task ran. */
struct phase_failure {
	struct plan_task task;
	struct task_result result;
	struct node_result node;
	GPtrArray *tasks;
	char *why;
};

static void phase_failure_init(struct phase_failure *f, const char *verb, int status)
{
	memset(f, 0, sizeof(*f));
	f->why = g_strdup_printf("labctl %s failed before any task ran (exit status %d): see its messages",
				 verb, status);
	f->task.id = (char *)verb;
	f->task.name = (char *)verb;
	f->task.playbook = (char *)"labctl";
	f->result.task = &f->task;
	f->result.outcome = TASK_FAILED;
	f->result.status = -1;
	f->result.error = f->why;
	f->tasks = g_ptr_array_new();
	g_ptr_array_add(f->tasks, &f->result);
	f->node.name = verb;
	f->node.failed = 1;
	f->node.tasks = f->tasks;
}

static void phase_failure_clear(struct phase_failure *f)
{
	g_ptr_array_unref(f->tasks);
	g_free(f->why);
}

static bool write_junit(const char *file, const char *lab, struct lab_run *up, int up_status,
			struct lab_run *check, int check_status, bool down_ran,
			guint down_failed, double seconds)
{
	struct phase_failure up_failure, check_failure;
	g_autoptr(GPtrArray) all = g_ptr_array_new();
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) saved = g_ptr_array_new();
	g_autoptr(GError) error = NULL;
	struct plan_task down_task = { .id = (char *)"down", .name = (char *)"take the lab apart",
				       .playbook = (char *)"labctl" };
	struct task_result down_r = { .task = &down_task, .status = -1 };
	struct node_result down_n = { .name = "labctl down" };
	g_autoptr(GPtrArray) down_tasks = g_ptr_array_new();
	bool ok;

	phase_failure_init(&up_failure, "up", up_status);
	phase_failure_init(&check_failure, "check", check_status);
	if (!up->results && up_status != EXIT_OK)
		g_ptr_array_add(all, &up_failure.node);
	if (!check->results && check_status != EXIT_OK)
		g_ptr_array_add(all, &check_failure.node);
	for (guint i = 0; up->results && i < up->results->len; i++)
		g_ptr_array_add(all, g_ptr_array_index(up->results, i));
	for (guint i = 0; check->results && i < check->results->len; i++) {
		struct node_result *nr = g_ptr_array_index(check->results, i);
		char *name = g_strdup_printf("%s (check)", nr->name);

		g_ptr_array_add(saved, (gpointer)nr->name);
		nr->name = name;
		g_ptr_array_add(names, name);
		g_ptr_array_add(all, nr);
	}
	if (down_ran) {
		down_r.outcome = down_failed ? TASK_FAILED : TASK_OK;
		down_r.error = down_failed ? g_strdup_printf("%u undo%s failed; see the output", down_failed,
							     down_failed == 1 ? "" : "s") : NULL;
		down_n.failed = down_failed ? 1 : 0;
		down_n.skipped = down_failed ? 0 : 1;
		g_ptr_array_add(down_tasks, &down_r);
		down_n.tasks = down_tasks;
		g_ptr_array_add(all, &down_n);
	}
	ok = report_write_junit(file, lab, "test", all, seconds, &error);
	if (!ok)
		fprintf(stderr, "labctl: %s\n", error->message);
	/* the check results are the run's again */
	for (guint i = 0; i < saved->len; i++)
		((struct node_result *)g_ptr_array_index(check->results, i))->name =
			g_ptr_array_index(saved, i);
	g_free(down_r.error);
	phase_failure_clear(&up_failure);
	phase_failure_clear(&check_failure);
	return ok;
}

static void print_json(const char *lab, struct lab_run *up, struct lab_run *check,
		       int up_status, int check_status, double up_seconds, double check_seconds,
		       bool down_ran, guint down_failed, int status, double seconds)
{
	g_autoptr(JsonBuilder) jb = json_builder_new();
	g_autoptr(JsonNode) root = NULL;

	json_builder_begin_object(jb);
	json_builder_set_member_name(jb, "format");
	json_builder_add_string_value(jb, "labctl-test/1");
	json_builder_set_member_name(jb, "lab");
	json_builder_add_string_value(jb, lab);
	json_builder_set_member_name(jb, "ok");
	json_builder_add_boolean_value(jb, status == EXIT_OK);
	json_builder_set_member_name(jb, "seconds");
	json_builder_add_double_value(jb, (double)(gint64)(seconds * 1000 + 0.5) / 1000);
	json_builder_set_member_name(jb, "up");
	if (up->results)
		json_builder_add_value(jb, report_json(lab, "up", up->results, up_status == EXIT_OK,
						       up_seconds));
	else
		json_builder_add_null_value(jb);
	json_builder_set_member_name(jb, "check");
	if (check->results)
		json_builder_add_value(jb, report_json(lab, "check", check->results,
						       check_status == EXIT_OK, check_seconds));
	else
		json_builder_add_null_value(jb);
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

int cmd_test(const struct cmd *self, int argc, char **argv)
{
	struct lab_run up = { 0 }, check = { 0 };
	g_autoptr(lab_spec) spec = NULL;
	g_autoptr(lab_journal) j = NULL;
	struct run_cli o;
	gint64 t0 = g_get_monotonic_time();
	int status, up_status, check_status = EXIT_OK;
	double up_seconds, check_seconds = 0;
	guint down_failed = 0;
	bool keep;

	status = cmd_parse_run_opts(self, argc, argv, &o);
	if (status)
		return status < 0 ? EXIT_OK : status;
	status = cmd_open_lab(&o, &spec, &j);
	if (status)
		return status;
	cmd_catch_signals();

	fprintf(cmd_out, "== up\n");
	up_status = cmd_up_lab(spec, j, &o, &up);
	up_seconds = (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC;
	if (up_status == EXIT_OK && !engine_stopped()) {
		fprintf(cmd_out, "\n== check\n");
		gint64 t1 = g_get_monotonic_time();

		check_status = cmd_check_lab(spec, j, &o.run, &check);
		check_seconds = (double)(g_get_monotonic_time() - t1) / G_USEC_PER_SEC;
	}
	status = up_status ? up_status : check_status;

	keep = status != EXIT_OK && o.on_failure == 0;
	if (keep) {
		fprintf(cmd_out, "\nthe lab is left as it is for a look (--on-failure keep); 'labctl down %s' takes it apart\n",
		       o.spec_path);
	} else {
		fprintf(cmd_out, "\n== down\n");
		down_failed = cmd_teardown(spec, j, TEARDOWN_FORCE, false, o.run.verbosity, NULL);
		if (down_failed && status == EXIT_OK)
			status = EXIT_FAILED;
	}
	if (o.junit && !write_junit(o.junit, spec->name.v, &up, up_status, &check, check_status,
				    !keep, down_failed,
				    (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC) &&
	    status == EXIT_OK)
		status = EXIT_FAILED;
	if (o.json)
		print_json(spec->name.v, &up, &check, up_status, check_status, up_seconds,
			   check_seconds, !keep, down_failed,
			   status, (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC);
	fprintf(cmd_out, "\nlabctl test: %s in %.1f s (up %s, check %s, down %s)\n",
	       status == EXIT_OK ? "PASSED" : "FAILED",
	       (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC,
	       up_status == EXIT_OK ? "ok" : "failed",
	       up_status != EXIT_OK ? "not run" : check_status == EXIT_OK ? "ok" : "failed",
	       keep ? "not run" : down_failed ? "failed" : "ok");
	cmd_lab_run_clear(&up);
	cmd_lab_run_clear(&check);
	return status;
}
