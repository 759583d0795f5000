/*
 * cmd_up.c - labctl up: make the nodes, run the plan, prove it with a mount
 */
#include <stdio.h>

#include "labctl/cmd.h"
#include "labctl/engine.h"

int cmd_up(const struct cmd *self, int argc, char **argv)
{
	struct run_cli o;
	g_autoptr(lab_spec) spec = NULL;
	g_autoptr(lab_journal) j = NULL;
	struct lab_run run;
	gint64 t0 = g_get_monotonic_time();
	int status;

	status = cmd_parse_run_opts(self, argc, argv, &o);
	if (status)
		return status < 0 ? EXIT_OK : status;
	status = cmd_open_lab(&o, &spec, &j);
	if (status)
		return status;
	cmd_catch_signals();
	status = cmd_up_lab(spec, j, &o, &run);
	if (engine_stopped()) {
		fprintf(stderr, "labctl: interrupted; the journal is consistent: 'labctl down %s' takes the lab apart\n",
			o.spec_path);
	} else if (status != EXIT_OK && o.on_failure == 1) {
		fprintf(cmd_out, "\ntaking the lab apart (--on-failure destroy)\n");
		cmd_teardown(spec, j, TEARDOWN_FORCE, false, o.run.verbosity, NULL);
	} else if (status != EXIT_OK) {
		fprintf(cmd_out, "\nthe lab is left as it is for a look; 'labctl down %s' takes it apart\n",
		       o.spec_path);
	} else if (o.run.verbosity >= 0) {
		fprintf(cmd_out, "done in %.1f s\n", (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC);
	}
	status = cmd_report(&o, spec->name.v, "up", run.results, status,
			    (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC);
	cmd_lab_run_clear(&run);
	return status;
}
