/*
 * cmd_check.c - labctl check: on a lab that is up, run the verification
 * again (targets offered, sessions, devices, a fresh write and read-back
 * through a remount) and report per node and per check
 */
#include <stdio.h>

#include "labctl/cmd.h"

int cmd_check(const struct cmd *self, int argc, char **argv)
{
	g_autofree char *state = NULL;
	g_autoptr(lab_spec) spec = NULL;
	g_autoptr(lab_handle) lab = NULL;
	g_autoptr(GError) error = NULL;
	struct lab_run run = { 0 };
	struct run_cli o;
	gint64 t0 = g_get_monotonic_time();
	int status;

	status = cmd_parse_run_opts(self, argc, argv, &o);
	if (status == EXIT_OK && !(spec = cmd_load_spec(o.spec_path)))
		status = EXIT_USAGE;
	if (status == EXIT_OK) {
		state = lab_state_dir(spec, o.state_dir);
		if (!lab_is_up(state)) {
			fprintf(stderr, "labctl: the lab of %s is not up (its journal in %s records nothing); 'labctl up %s' first\n",
				o.spec_path, state, o.spec_path);
			status = EXIT_FAILED;
		}
	}
	/* the lab is up: load it again, with its secrets checked, and lock it */
	g_clear_pointer(&spec, spec_free);
	if (status || (status = cmd_open_lab(&o, &spec, &lab))) {
		run_cli_clear(&o);
		return status < 0 ? EXIT_OK : status;
	}
	cmd_catch_signals(o.lab.cancel);
	lab_check(lab, &o.lab, &run, &error);
	status = cmd_report_run(&o, spec->name.v, "check", &run, error);
	status = cmd_report(&o, spec->name.v, "check", run.results, status,
			    (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC);
	lab_run_clear(&run);
	run_cli_clear(&o);
	return status;
}
