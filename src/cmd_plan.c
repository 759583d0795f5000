/*
 * cmd_plan.c - labctl plan: every task, per node, with the exact shell it runs
 */
#include <stdio.h>

#include "labctl/cmd.h"
#include "labctl/plan.h"

int cmd_plan(const struct cmd *self, int argc, char **argv)
{
	struct plan_options opts = { .flags = TEMPLATE_REDACT };
	g_autoptr(GPtrArray) diags = diags_new();
	g_autoptr(lab_spec) spec = NULL;
	g_autoptr(lab_plan) plan = NULL;
	bool json = false;
	int c;

	while ((c = cmd_getopt(self, argc, argv)) != -1) {
		switch (c) {
		case OPT_JSON:
			json = true;
			break;
		case OPT_PLAYBOOK_DIR:
			opts.playbook_dir = optarg;
			break;
		case OPT_HELP:
			return EXIT_OK;
		default:
			return EXIT_USAGE;
		}
	}
	c = cmd_spec_arg(self, argc, argv, &spec);
	if (c)
		return c;
	plan = plan_build(spec, &opts, diags);
	if (!plan) {
		cmd_print_diags(diags);
		return EXIT_USAGE;
	}
	if (json) {
		g_autoptr(JsonNode) root = plan_to_json(plan);

		cmd_print_json(root);
	} else {
		plan_print(plan, stdout);
	}
	return EXIT_OK;
}
