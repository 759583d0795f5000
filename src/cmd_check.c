/*
 * cmd_check.c - labctl check: on a lab that is up, run the verification
 * again (targets offered, sessions, devices, a fresh write and read-back
 * through a remount) and report per node and per check
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "labctl/cmd.h"
#include "labctl/engine.h"
#include "labctl/provider.h"
#include "labctl/teardown.h"

/* Whether the journal in @state records anything standing. */
static bool lab_is_up(const char *state)
{
	g_autoptr(GPtrArray) recs = journal_read(state, NULL);
	g_autoptr(GPtrArray) steps = NULL;

	if (!recs)
		return false;
	steps = teardown_steps(recs);
	return steps->len > 0;
}

int cmd_check_lab(const struct lab_spec *spec, struct journal *j,
		  const struct lab_run_opts *ro, struct lab_run *run)
{
	const struct provider *prov = provider_for(spec);
	struct provider_ctx ctx = { .spec = spec, .state_dir = journal_dir(j), .journal = j };
	g_autoptr(GPtrArray) access = NULL;
	g_autoptr(GError) error = NULL;
	struct lab_run_opts o = *ro;
	int status;
	guint checks = 0, failed = 0;

	memset(run, 0, sizeof(*run));
	run->failed = true;
	access = prov ? prov->access(&ctx, &error) : NULL;
	if (!access) {
		fprintf(stderr, "labctl: %s\n", error ? error->message : "no provider");
		return EXIT_FAILED;
	}
	o.verify_only = true;
	status = cmd_run_lab(spec, j, access, &o, run);
	for (guint i = 0; run->results && i < run->results->len; i++) {
		const struct node_result *nr = g_ptr_array_index(run->results, i);

		checks += nr->tasks->len;
		failed += nr->failed + nr->not_run;
	}
	if (run->results && failed)
		fprintf(cmd_out, "lab '%s': %u of %u checks failed\n", spec->name.v, failed, checks);
	else if (run->results)
		fprintf(cmd_out, "lab '%s': all %u checks passed\n", spec->name.v, checks);
	return status;
}

int cmd_check(const struct cmd *self, int argc, char **argv)
{
	g_autofree char *state = NULL;
	g_autoptr(lab_spec) spec = NULL;
	g_autoptr(lab_journal) j = NULL;
	struct lab_run run;
	struct run_cli o;
	gint64 t0 = g_get_monotonic_time();
	int status;

	status = cmd_parse_run_opts(self, argc, argv, &o);
	if (status)
		return status < 0 ? EXIT_OK : status;
	spec = cmd_load_spec(o.spec_path);
	if (!spec)
		return EXIT_USAGE;
	state = cmd_state_dir(spec, o.state_dir);
	if (!lab_is_up(state)) {
		fprintf(stderr, "labctl: the lab of %s is not up (its journal in %s records nothing); 'labctl up %s' first\n",
			o.spec_path, state, o.spec_path);
		return EXIT_FAILED;
	}
	/* the lab is up: load it again, with its secrets checked, and lock it */
	g_clear_pointer(&spec, spec_free);
	status = cmd_open_lab(&o, &spec, &j);
	if (status)
		return status;
	cmd_catch_signals();
	status = cmd_check_lab(spec, j, &o.run, &run);
	status = cmd_report(&o, spec->name.v, "check", run.results, status,
			    (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC);
	cmd_lab_run_clear(&run);
	return status;
}
