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
#include "labctl/engine.h"

int cmd_test(const struct cmd *self, int argc, char **argv)
{
	struct lab_run up = { 0 }, check = { 0 };
	struct lab_spec *spec;
	struct journal *j;
	struct run_cli o;
	gint64 t0 = g_get_monotonic_time();
	int status, up_status, check_status = EXIT_OK;
	guint down_failed = 0;
	bool keep;

	status = cmd_parse_run_opts(self, argc, argv, &o);
	if (status)
		return status < 0 ? EXIT_OK : status;
	status = cmd_open_lab(&o, &spec, &j);
	if (status)
		return status;
	cmd_catch_signals();

	printf("== up\n");
	up_status = cmd_up_lab(spec, j, &o, &up);
	if (up_status == EXIT_OK && !engine_stopped()) {
		printf("\n== check\n");
		check_status = cmd_check_lab(spec, j, &o.run, &check);
	}
	status = up_status ? up_status : check_status;

	keep = status != EXIT_OK && o.on_failure == 0;
	if (keep) {
		printf("\nthe lab is left as it is for a look (--on-failure keep); 'labctl down %s' takes it apart\n",
		       o.spec_path);
	} else {
		printf("\n== down\n");
		down_failed = cmd_teardown(spec, j, true, o.run.verbosity);
		if (down_failed && status == EXIT_OK)
			status = EXIT_FAILED;
	}
	printf("\nlabctl test: %s in %.1f s (up %s, check %s, down %s)\n",
	       status == EXIT_OK ? "PASSED" : "FAILED",
	       (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC,
	       up_status == EXIT_OK ? "ok" : "failed",
	       up_status != EXIT_OK ? "not run" : check_status == EXIT_OK ? "ok" : "failed",
	       keep ? "not run" : down_failed ? "failed" : "ok");
	cmd_lab_run_clear(&up);
	cmd_lab_run_clear(&check);
	journal_close(j);
	spec_free(spec);
	return status;
}
