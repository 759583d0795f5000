/*
 * provider_static.c - nodes that exist already: reach them as the spec says
 *
 * Nothing on this machine changes, so nothing is journaled and there are
 * no undo operations.
 */
#include <string.h>

#include "labctl/provider.h"

static GPtrArray *static_access(struct provider_ctx *ctx, GError **error)
{
	const struct lab_spec *spec = ctx->spec;
	g_autoptr(GPtrArray) nodes = g_ptr_array_new_with_free_func(node_access_free);

	for (guint i = 0; i < spec->nodes->len; i++) {
		const struct spec_node *n = g_ptr_array_index(spec->nodes, i);
		struct node_access *a = g_new0(struct node_access, 1);
		const char *kh = n->ssh.known_hosts.v ? n->ssh.known_hosts.v : spec->ssh.known_hosts.v;

		a->name = g_strdup(n->name.v);
		a->host = g_strdup(n->address.v);
		a->user = g_strdup(spec_node_user(spec, n));
		a->key = spec_node_key(spec, n) ? g_strdup(spec_node_key(spec, n)) : NULL;
		a->known_hosts = g_strdup(kh);
		a->ssh.name = a->name;
		a->ssh.host = a->host;
		a->ssh.port = spec_node_port(spec, n);
		a->ssh.user = a->user;
		a->ssh.key = a->key;
		a->ssh.known_hosts = a->known_hosts;
		if (!kh)
			provider_kept_known_hosts(a);
		a->ssh.accept_new = ctx->accept_new_host_keys;
		a->ssh.use_config = true;
		g_ptr_array_add(nodes, a);
		if (!provider_node_login(a, spec, n, error))
			return NULL;
	}
	return g_steal_pointer(&nodes);
}

const struct provider provider_static = {
	.name = "static",
	.up = static_access,
	.access = static_access,
};

