/*
 * cmd_inventory.c - labctl inventory: the lab as an Ansible inventory
 *
 * YAML with the groups "disk" and "host" and the connection variables of
 * each node.  Values are written as JSON strings, which YAML reads as
 * double-quoted scalars, so nothing in them needs YAML quoting rules, and
 * each is tagged !unsafe: Ansible templates a plain string when it uses
 * it, and "{{ lookup('pipe', CMD) }}" in a spec's ssh key path would run
 * CMD on the machine that uses the inventory.
 */
#include <stdio.h>
#include <string.h>

#include "labctl/cmd.h"
#include "labctl/provider.h"

static void put_str(GString *out, const char *indent, const char *key, const char *value)
{
	g_autoptr(JsonNode) n = json_node_init_string(json_node_alloc(), value);
	g_autofree char *q = json_to_string(n, FALSE);

	g_string_append_printf(out, "%s%s: !unsafe %s\n", indent, key, q);
}

static void put_group(GString *out, const struct lab_spec *spec, GPtrArray *access,
		      enum node_role role)
{
	g_string_append_printf(out, "    %s:\n      hosts:\n", spec_role_names[role]);
	for (guint i = 0; i < access->len; i++) {
		const struct node_access *a = g_ptr_array_index(access, i);
		const struct spec_node *n = spec_find_node(spec, a->name);
		g_autofree char *args = NULL;
		g_autofree char *files = a->also_known_hosts
			? g_strdup_printf("UserKnownHostsFile=%s %s", a->known_hosts, a->also_known_hosts)
			: g_strdup_printf("UserKnownHostsFile=%s", a->known_hosts);
		g_autofree char *kh = g_shell_quote(files);

		if (!n || n->role.v != (int)role)
			continue;
		args = g_strdup_printf("-o %s -o StrictHostKeyChecking=yes%s", kh,
				       a->key ? " -o IdentitiesOnly=yes" : "");
		g_string_append_printf(out, "        %s:\n", a->name);
		put_str(out, "          ", "ansible_host", a->host);
		g_string_append_printf(out, "          ansible_port: %u\n", a->ssh.port ? a->ssh.port : 22);
		if (a->user)
			put_str(out, "          ", "ansible_user", a->user);
		if (a->key)
			put_str(out, "          ", "ansible_ssh_private_key_file", a->key);
		put_str(out, "          ", "ansible_ssh_common_args", args);
		if (role == ROLE_DISK)
			put_str(out, "          ", "iscsi_target_iqn", n->target.iqn.v);
		else
			put_str(out, "          ", "iscsi_initiator_iqn", n->initiator.iqn.v);
	}
}

int cmd_inventory(const struct cmd *self, int argc, char **argv)
{
	g_autoptr(GPtrArray) access = NULL;
	g_autoptr(GString) out = g_string_new(NULL);
	g_autoptr(lab_spec) spec = NULL;
	int status;

	status = cmd_lab_access(self, argc, argv, &spec, &access, NULL, NULL);
	if (status)
		return status < 0 ? EXIT_OK : status;
	g_string_append_printf(out, "# labctl: Ansible inventory of lab '%s'\nall:\n", spec->name.v);
	g_string_append_printf(out, "  vars:\n");
	put_str(out, "    ", "labctl_lab", spec->name.v);
	g_string_append(out, "  children:\n");
	put_group(out, spec, access, ROLE_DISK);
	put_group(out, spec, access, ROLE_HOST);
	fputs(out->str, stdout);
	return EXIT_OK;
}
