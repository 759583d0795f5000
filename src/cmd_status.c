/*
 * cmd_status.c - labctl status: what the journal says exists, and whether
 * the nodes answer
 */
#include <stdio.h>
#include <string.h>

#include "labctl/cmd.h"
#include "labctl/provider.h"
#include "labctl/teardown.h"

struct node_status {
	const char *name;
	const char *address;
	guint done;
	guint failed;
	bool reachable;
	char *why;
};

/* An undo that failed at a down and is still to undo. */
struct failed_undo {
	const struct undo_step *step;   /* borrowed from the steps */
	const char *error;              /* borrowed from the records */
};

/* The steps of @steps whose last attempt, in @records, failed. */
static GPtrArray *failed_steps(GPtrArray *records, GPtrArray *steps)
{
	g_autoptr(GHashTable) why = g_hash_table_new(g_str_hash, g_str_equal);
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);

	for (guint i = 0; i < records->len; i++) {
		JsonObject *r = g_ptr_array_index(records, i);
		const char *type = json_object_get_string_member_with_default(r, "type", "");
		const char *key = json_object_get_string_member_with_default(r, "key", NULL);

		if (!key)
			continue;
		/* only the last word counts: a later up or undo makes it news */
		if (!strcmp(type, "undo-failed"))
			g_hash_table_insert(why, (gpointer)key, (gpointer)json_object_get_string_member_with_default(
						    r, "error", ""));
		else
			g_hash_table_remove(why, key);
	}
	for (guint i = 0; i < steps->len; i++) {
		const struct undo_step *s = g_ptr_array_index(steps, i);
		const char *e = g_hash_table_lookup(why, s->key);
		struct failed_undo *f;

		if (!e)
			continue;
		f = g_new0(struct failed_undo, 1);
		f->step = s;
		f->error = e;
		g_ptr_array_add(out, f);
	}
	return out;
}

int cmd_status(const struct cmd *self, int argc, char **argv)
{
	g_autoptr(GPtrArray) records = NULL;
	g_autoptr(GPtrArray) steps = NULL;
	g_autoptr(GPtrArray) access = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *state = NULL;
	g_autofree struct node_status *ns = NULL;
	const char *state_opt = NULL;
	const struct provider *prov;
	g_autoptr(lab_spec) spec = NULL;
	bool json = false;
	g_autoptr(GPtrArray) failed_undos = NULL;
	guint n, locals = 0;
	int c;

	while ((c = cmd_getopt(self, argc, argv)) != -1) {
		switch (c) {
		case OPT_JSON:
			json = true;
			break;
		case OPT_STATE_DIR:
			state_opt = optarg;
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
	state = cmd_state_dir(spec, state_opt);
	records = journal_read(state, &error);
	if (!records) {
		fprintf(stderr, "labctl: %s\n", error->message);
		return EXIT_FAILED;
	}
	steps = teardown_steps(records);
	n = spec->nodes->len;
	ns = g_new0(struct node_status, n);
	for (guint i = 0; i < n; i++) {
		const struct spec_node *sn = g_ptr_array_index(spec->nodes, i);

		ns[i].name = sn->name.v;
		ns[i].address = sn->address.v;
	}
	for (guint r = 0; r < records->len; r++) {
		JsonObject *rec = g_ptr_array_index(records, r);
		const char *type = json_object_get_string_member_with_default(rec, "type", "");
		const char *node = json_object_get_string_member_with_default(rec, "node", "");

		for (guint i = 0; i < n; i++) {
			if (strcmp(ns[i].name, node))
				continue;
			ns[i].done += !strcmp(type, "done");
			ns[i].failed += !strcmp(type, "failed");
		}
	}
	for (guint s = 0; s < steps->len; s++)
		locals += !((struct undo_step *)g_ptr_array_index(steps, s))->remote;
	failed_undos = failed_steps(records, steps);

	/* reachability only when there is something to reach */
	prov = provider_for(spec);
	if (steps->len && prov) {
		struct provider_ctx ctx = { .spec = spec, .state_dir = state };

		access = prov->access(&ctx, NULL);
	}
	for (guint i = 0; access && i < access->len; i++) {
		struct node_access *a = g_ptr_array_index(access, i);
		g_autoptr(GError) e = NULL;
		struct lab_ssh *ssh;

		a->ssh.connect_timeout = 3;
		a->ssh.retries = 1;
		ssh = lab_ssh_open(&a->ssh, NULL, &e);
		ns[i].reachable = ssh != NULL;
		ns[i].why = e ? g_strdup(e->message) : NULL;
		if (ssh)
			lab_ssh_close(ssh);
	}

	if (json) {
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
		json_builder_add_boolean_value(jb, steps->len > 0);
		json_builder_set_member_name(jb, "to_undo");
		json_builder_add_int_value(jb, steps->len);
		json_builder_set_member_name(jb, "local_to_undo");
		json_builder_add_int_value(jb, locals);
		json_builder_set_member_name(jb, "failed_undos");
		json_builder_begin_array(jb);
		for (guint i = 0; i < failed_undos->len; i++) {
			const struct failed_undo *f = g_ptr_array_index(failed_undos, i);

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
	} else if (!steps->len) {
		printf("lab '%s' is down: the journal in %s records nothing to undo\n",
		       spec->name.v, state);
	} else {
		printf("lab '%s': %u changes to undo (%u on this machine), state in %s\n",
		       spec->name.v, steps->len, locals, state);
		printf("%-12s  %-15s  %-9s  %5s  %6s\n", "node", "address", "reachable", "done", "failed");
		for (guint i = 0; i < n; i++) {
			printf("%-12s  %-15s  %-9s  %5u  %6u\n", ns[i].name,
			       ns[i].address ? ns[i].address : "-", ns[i].reachable ? "yes" : "no",
			       ns[i].done, ns[i].failed);
			if (ns[i].why)
				printf("    %s\n", ns[i].why);
		}
		if (failed_undos->len)
			printf("undos that failed at the last down, still to undo (labctl down tries them again):\n");
		for (guint i = 0; i < failed_undos->len; i++) {
			const struct failed_undo *f = g_ptr_array_index(failed_undos, i);

			printf("  %-12s %s: %s\n", f->step->remote ? f->step->node : "local",
			       f->step->what, f->error);
		}
	}
	for (guint i = 0; i < n; i++)
		g_free(ns[i].why);
	return EXIT_OK;
}
