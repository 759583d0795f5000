/*
 * cmd_fault.c - labctl fault: break a path of a lab that is up, mend it,
 * list what is broken
 */
#include <stdio.h>
#include <string.h>

#include "labctl/cmd.h"

/* In the order of enum lab_fault_action. */
static const char *const actions[] = {
	"cut", "restore", "list", "stop-target", "start-target", NULL,
};

/* The labctl-fault/1 document of docs/json.md. */
static void print_json(const char *lab, const char *action, GPtrArray *faults)
{
	g_autoptr(JsonBuilder) jb = json_builder_new();
	g_autoptr(JsonNode) root = NULL;

	json_builder_begin_object(jb);
	json_builder_set_member_name(jb, "format");
	json_builder_add_string_value(jb, "labctl-fault/1");
	json_builder_set_member_name(jb, "lab");
	json_builder_add_string_value(jb, lab);
	json_builder_set_member_name(jb, "action");
	json_builder_add_string_value(jb, action);
	json_builder_set_member_name(jb, "faults");
	json_builder_begin_array(jb);
	for (guint i = 0; i < faults->len; i++) {
		const struct lab_fault *f = g_ptr_array_index(faults, i);

		json_builder_begin_object(jb);
		json_builder_set_member_name(jb, "node");
		json_builder_add_string_value(jb, f->node);
		json_builder_set_member_name(jb, "kind");
		json_builder_add_string_value(jb, f->kind);
		json_builder_set_member_name(jb, strcmp(f->kind, "cut") ? "target" : "portal");
		json_builder_add_string_value(jb, f->object);
		json_builder_set_member_name(jb, "changed");
		json_builder_add_boolean_value(jb, f->changed);
		json_builder_end_object(jb);
	}
	json_builder_end_array(jb);
	json_builder_end_object(jb);
	root = json_builder_get_root(jb);
	cmd_print_json(root);
}

static void print_text(const char *lab, int action, const char *node, GPtrArray *faults)
{
	if (action == LAB_FAULT_LIST && !faults->len)
		fprintf(cmd_out, "lab '%s': no fault in place\n", lab);
	if (action == LAB_FAULT_RESTORE && !faults->len)
		fprintf(cmd_out, "%-12s no fault to restore\n", node);
	if (action == LAB_FAULT_START_TARGET && !faults->len)
		fprintf(cmd_out, "%-12s no target this lab stopped\n", node);
	for (guint i = 0; i < faults->len; i++) {
		const struct lab_fault *f = g_ptr_array_index(faults, i);
		const char *noun = strcmp(f->kind, "cut") ? "target" : "portal";

		if (action == LAB_FAULT_LIST)
			fprintf(cmd_out, "%-12s %-12s %s\n", f->node, f->kind, f->object);
		else if (action == LAB_FAULT_CUT || action == LAB_FAULT_STOP_TARGET)
			fprintf(cmd_out, "%-12s %s %s %s%s\n", f->node, noun, f->object,
				action == LAB_FAULT_CUT ? "cut" : "stopped",
				f->changed ? "" : " already");
		else
			fprintf(cmd_out, "%-12s %s %s %s\n", f->node, noun, f->object,
				strcmp(f->kind, "cut") ? "started" : "restored");
	}
}

int cmd_fault(const struct cmd *self, int argc, char **argv)
{
	g_autoptr(lab_spec) spec = NULL;
	g_autoptr(lab_handle) lab = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) faults = NULL;
	g_autofree char *state = NULL;
	g_autofree char *node = NULL;
	const char *portal = NULL;
	struct lab_opts lo = { 0 };
	struct cmd_lab_opts o;
	int r, action = -1;

	r = cmd_parse_lab_opts(self, argc, argv, &o, NULL, NULL);
	if (r)
		return r == CMD_HELP_SHOWN ? EXIT_OK : r;
	/* standard output is the document's; the rest goes to stderr */
	if (o.json)
		cmd_out = stderr;
	if (argc - optind < 2)
		return cmd_usage_error(self, "missing arguments");
	for (int i = 0; actions[i]; i++)
		if (!strcmp(argv[optind + 1], actions[i]))
			action = i;
	if (action < 0)
		return cmd_usage_error(self, "no action '%s' (cut, restore, stop-target, start-target, list)",
				       argv[optind + 1]);
	if (action == LAB_FAULT_LIST ? argc - optind != 2 : argc - optind != 3)
		return cmd_usage_error(self, action == LAB_FAULT_LIST ? "list takes no node"
				       : action >= LAB_FAULT_STOP_TARGET ? "%s takes one DISK"
									 : "%s takes one DISK[:PORTAL]",
				       argv[optind + 1]);
	if ((action == LAB_FAULT_STOP_TARGET || action == LAB_FAULT_START_TARGET) &&
	    strchr(argv[optind + 2], ':'))
		return cmd_usage_error(self, "%s takes a disk node, not a portal", argv[optind + 1]);
	if (action != LAB_FAULT_LIST) {
		const char *colon = strchr(argv[optind + 2], ':');

		node = colon ? g_strndup(argv[optind + 2], (gsize)(colon - argv[optind + 2]))
			     : g_strdup(argv[optind + 2]);
		portal = colon ? colon + 1 : NULL;
	}
	spec = cmd_load_spec(argv[optind]);
	if (!spec)
		return EXIT_USAGE;
	lo.out = cmd_out;
	state = lab_state_dir(spec, o.state_dir);
	lab = lab_open(spec, state, 0, &error);
	if (!lab || !lab_fault(lab, action, node, portal, &lo, &faults, &error))
		return cmd_print_lab_error(error);
	print_text(spec->name.v, action, node, faults);
	if (o.json)
		print_json(spec->name.v, actions[action], faults);
	return EXIT_OK;
}
