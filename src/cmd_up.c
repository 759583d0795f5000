/*
 * cmd_up.c - labctl up: make the nodes, run the plan, prove it with a mount
 */
#include <stdio.h>

#include "labctl/cmd.h"

int cmd_up(const struct cmd *self, int argc, char **argv)
{
	struct run_cli o;
	g_autoptr(lab_spec) spec = NULL;
	g_autoptr(lab_handle) lab = NULL;
	g_autoptr(GError) error = NULL;
	struct lab_run run = { 0 };
	gint64 t0 = g_get_monotonic_time();
	int status;

	status = cmd_parse_run_opts(self, argc, argv, &o);
	if (status || (status = cmd_open_lab(&o, &spec, &lab))) {
		run_cli_clear(&o);
		return status < 0 ? EXIT_OK : status;
	}
	cmd_catch_signals(o.lab.cancel);
	lab_up(lab, o.spec_path, &o.lab, &run, &error);
	status = cmd_report_run(&o, spec->name.v, "up", &run, error);
	if (g_cancellable_is_cancelled(o.lab.cancel)) {
		fprintf(stderr, "labctl: interrupted; the journal is consistent: 'labctl down %s' takes the lab apart\n",
			o.spec_path);
	} else if (status != EXIT_OK && o.on_failure == 1) {
		fprintf(cmd_out, "\ntaking the lab apart (--on-failure destroy)\n");
		cmd_teardown(spec, lab, TEARDOWN_FORCE, false, &o.lab, NULL);
	} else if (status != EXIT_OK) {
		fprintf(cmd_out, "\nthe lab is left as it is for a look; 'labctl down %s' takes it apart\n",
			o.spec_path);
	} else if (o.lab.verbosity >= 0) {
		fprintf(cmd_out, "done in %.1f s\n", (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC);
	}
	status = cmd_report(&o, spec->name.v, "up", run.results, status,
			    (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC);
	lab_run_clear(&run);
	run_cli_clear(&o);
	return status;
}
