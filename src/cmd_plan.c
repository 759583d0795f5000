/*
 * cmd_plan.c - labctl plan: every task, per node, with the exact shell it runs
 */
#include <getopt.h>
#include <stdio.h>

#include "labctl/cmd.h"
#include "labctl/plan.h"

int cmd_plan(const struct cmd *self, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'J' },
		{ "playbook-dir", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct plan_options opts = { .flags = TEMPLATE_REDACT };
	g_autoptr(GPtrArray) diags = diags_new();
	struct lab_spec *spec;
	struct plan *plan;
	bool json = false;
	int c;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'J':
			json = true;
			break;
		case 'P':
			opts.playbook_dir = optarg;
			break;
		case 'h':
			cmd_usage(self, stdout);
			return EXIT_OK;
		default:
			return cmd_usage_error(self, "unknown option");
		}
	}
	c = cmd_spec_arg(self, argc, argv, &spec);
	if (c)
		return c;
	plan = plan_build(spec, &opts, diags);
	if (!plan) {
		cmd_print_diags(diags);
		spec_free(spec);
		return EXIT_USAGE;
	}
	if (json) {
		g_autoptr(JsonNode) root = plan_to_json(plan);

		cmd_print_json(root);
	} else {
		plan_print(plan, stdout);
	}
	plan_free(plan);
	spec_free(spec);
	return EXIT_OK;
}
