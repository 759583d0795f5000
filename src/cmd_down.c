/*
 * cmd_down.c - labctl down: undo everything labctl did, newest first
 */
#include <getopt.h>
#include <stdio.h>

#include "labctl/cmd.h"

int cmd_down(const struct cmd *self, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "state-dir", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	g_autofree char *state = NULL;
	g_autofree char *journal_file = NULL;
	const char *state_opt = NULL;
	struct lab_spec *spec;
	struct journal *j;
	bool force = false;
	int verbosity = 0, status = EXIT_OK, c;

	while ((c = getopt_long(argc, argv, "fqvh", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			force = true;
			break;
		case 'q':
			verbosity = -1;
			break;
		case 'v':
			verbosity = 1;
			break;
		case 'S':
			state_opt = optarg;
			break;
		case 'h':
			cmd_usage(self, stdout);
			return EXIT_OK;
		default:
			return cmd_usage_error(self, "unknown option");
		}
	}
	status = cmd_spec_arg(self, argc, argv, &spec);
	if (status)
		return status;
	state = cmd_state_dir(spec, state_opt);
	journal_file = g_build_filename(state, "journal.jsonl", NULL);
	if (!g_file_test(journal_file, G_FILE_TEST_EXISTS)) {
		if (verbosity >= 0)
			printf("lab '%s': nothing to undo (no journal in %s)\n", spec->name.v, state);
		spec_free(spec);
		return EXIT_OK;
	}
	j = cmd_open_journal(state, &status);
	if (j) {
		if (cmd_teardown(spec, j, force, verbosity))
			status = EXIT_FAILED;
		journal_close(j);
	}
	spec_free(spec);
	return status;
}
