/*
 * cmd_status.c - labctl status: what the journal says exists, and whether
 * the nodes answer
 */
#include <stdio.h>
#include <string.h>

#include "labctl/cmd.h"

int cmd_status(const struct cmd *self, int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *state = NULL;
	g_autoptr(lab_spec) spec = NULL;
	struct lab_status st;
	const struct lab_node_status *ns;
	struct cmd_lab_opts o;
	guint n;
	int c;

	c = cmd_parse_lab_opts(self, argc, argv, &o, NULL, NULL);
	if (c)
		return c == CMD_HELP_SHOWN ? EXIT_OK : c;
	c = cmd_spec_arg(self, argc, argv, &spec);
	if (c)
		return c;
	state = lab_state_dir(spec, o.state_dir);
	if (!lab_status(spec, state, &st, &error))
		return cmd_print_lab_error(error);
	ns = st.nodes;
	n = st.n_nodes;

	if (o.json) {
		g_autoptr(JsonBuilder) jb = json_builder_new();
		g_autoptr(JsonNode) root = NULL;

		json_builder_begin_object(jb);
		json_builder_set_member_name(jb, "format");
		json_builder_add_string_value(jb, "labctl-status/1");
		json_builder_set_member_name(jb, "lab");
		json_builder_add_string_value(jb, spec->name.v);
		json_builder_set_member_name(jb, "state_dir");
		json_builder_add_string_value(jb, state);
		json_builder_set_member_name(jb, "exists");
		json_builder_add_boolean_value(jb, st.steps->len > 0);
		json_builder_set_member_name(jb, "to_undo");
		json_builder_add_int_value(jb, st.steps->len);
		json_builder_set_member_name(jb, "local_to_undo");
		json_builder_add_int_value(jb, st.locals);
		json_builder_set_member_name(jb, "failed_undos");
		json_builder_begin_array(jb);
		for (guint i = 0; i < st.failed_undos->len; i++) {
			const struct lab_failed_undo *f = g_ptr_array_index(st.failed_undos, i);

			json_builder_begin_object(jb);
			json_builder_set_member_name(jb, "node");
			if (f->step->remote)
				json_builder_add_string_value(jb, f->step->node);
			else
				json_builder_add_null_value(jb);
			json_builder_set_member_name(jb, "what");
			json_builder_add_string_value(jb, f->step->what);
			json_builder_set_member_name(jb, "error");
			json_builder_add_string_value(jb, f->error);
			json_builder_end_object(jb);
		}
		json_builder_end_array(jb);
		json_builder_set_member_name(jb, "nodes");
		json_builder_begin_array(jb);
		for (guint i = 0; i < n; i++) {
			json_builder_begin_object(jb);
			json_builder_set_member_name(jb, "name");
			json_builder_add_string_value(jb, ns[i].name);
			json_builder_set_member_name(jb, "address");
			if (ns[i].address)
				json_builder_add_string_value(jb, ns[i].address);
			else
				json_builder_add_null_value(jb);
			json_builder_set_member_name(jb, "tasks_done");
			json_builder_add_int_value(jb, ns[i].done);
			json_builder_set_member_name(jb, "tasks_failed");
			json_builder_add_int_value(jb, ns[i].failed);
			json_builder_set_member_name(jb, "reachable");
			json_builder_add_boolean_value(jb, ns[i].reachable);
			json_builder_set_member_name(jb, "error");
			if (ns[i].why)
				json_builder_add_string_value(jb, ns[i].why);
			else
				json_builder_add_null_value(jb);
			json_builder_end_object(jb);
		}
		json_builder_end_array(jb);
		json_builder_end_object(jb);
		root = json_builder_get_root(jb);
		cmd_print_json(root);
	} else if (!st.steps->len) {
		printf("lab '%s' is down: the journal in %s records nothing to undo\n",
		       spec->name.v, state);
	} else {
		printf("lab '%s': %u changes to undo (%u on this machine), state in %s\n",
		       spec->name.v, st.steps->len, st.locals, state);
		printf("%-12s  %-15s  %-9s  %5s  %6s\n", "node", "address", "reachable", "done", "failed");
		for (guint i = 0; i < n; i++) {
			printf("%-12s  %-15s  %-9s  %5u  %6u\n", ns[i].name,
			       ns[i].address ? ns[i].address : "-", ns[i].reachable ? "yes" : "no",
			       ns[i].done, ns[i].failed);
			if (ns[i].why)
				printf("    %s\n", ns[i].why);
		}
		if (st.failed_undos->len)
			printf("undos that failed at the last down, still to undo (labctl down tries them again):\n");
		for (guint i = 0; i < st.failed_undos->len; i++) {
			const struct lab_failed_undo *f = g_ptr_array_index(st.failed_undos, i);

			printf("  %-12s %s: %s\n", f->step->remote ? f->step->node : "local",
			       f->step->what, f->error);
		}
	}
	lab_status_clear(&st);
	return EXIT_OK;
}
