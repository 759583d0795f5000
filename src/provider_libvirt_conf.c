/*
 * provider_libvirt_conf.c - what the libvirt provider writes, without
 * libvirt: the lab's names, the XML of its network, pool, volumes and
 * domains, the cloud-init seed's files, and the reading of a hypervisor's
 * capabilities.  Pure functions of the spec, tested without a daemon (as
 * libvirt keeps src/conf apart from its drivers).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gio/gio.h>

#include "labctl/provider_libvirt.h"

bool libvirt_uri_is_local(const char *uri)
{
	g_autoptr(GUri) u = g_uri_parse(uri, G_URI_FLAGS_NONE, NULL);
	const char *host = u ? g_uri_get_host(u) : NULL;

	return !host || !*host;
}

/* ---- names ---- */

static void node_free(gpointer p)
{
	struct libvirt_node *n = p;

	g_free(n->uri);
	g_free(n->domain);
	g_free(n->overlay);
	g_free(n->seed);
	g_free(n->dir);
	g_free(n->console);
	if (n->extra_macs)
		g_ptr_array_unref(n->extra_macs);
	if (n->extra_addresses)
		g_ptr_array_unref(n->extra_addresses);
	g_free(n);
}

static void net_free(gpointer p)
{
	struct libvirt_net *n = p;

	g_free(n->name);
	g_free(n->bridge);
	g_free(n->gateway);
	g_free(n);
}

void libvirt_lab_free(struct libvirt_lab *l)
{
	if (!l)
		return;
	g_free(l->network);
	g_free(l->bridge);
	g_free(l->pool);
	g_free(l->gateway);
	g_free(l->dir);
	g_free(l->client_key);
	g_free(l->known_hosts);
	if (l->nodes)
		g_ptr_array_unref(l->nodes);
	if (l->extra_nets)
		g_ptr_array_unref(l->extra_nets);
	if (l->uris)
		g_ptr_array_unref(l->uris);
	g_free(l);
}


/* QEMU's own prefix; the rest from the lab and the node, so stable */
void libvirt_node_mac(const char *hash, const char *node, char mac[18])
{
	g_autofree char *seed = g_strdup_printf("%s/%s", hash, node);
	g_autofree char *sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256, seed, -1);

	g_snprintf(mac, 18, "52:54:00:%.2s:%.2s:%.2s", sum, sum + 2, sum + 4);
}

void libvirt_node_extra_mac(const char *hash, const char *node, guint k, char mac[18])
{
	/* '#' is in no node name: no node's first MAC is another's extra one */
	g_autofree char *name = g_strdup_printf("%s#%u", node, k);

	libvirt_node_mac(hash, name, mac);
}

/* The gateway (.1) and prefix of IPv4 network @cidr. */
static bool subnet_gateway(const char *cidr, char **gateway, guint *prefix, GError **error)
{
	g_autoptr(GInetAddressMask) mask = g_inet_address_mask_new_from_string(cidr ? cidr : "",
									       error);
	const guint8 *b;
	guint32 net;

	if (!mask || g_inet_address_mask_get_family(mask) != G_SOCKET_FAMILY_IPV4) {
		if (mask)
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
				    "'%s' is not an ipv4 network", cidr);
		return false;
	}
	*prefix = g_inet_address_mask_get_length(mask);
	b = g_inet_address_to_bytes(g_inet_address_mask_get_address(mask));
	net = ((guint32)b[0] << 24 | (guint32)b[1] << 16 | (guint32)b[2] << 8 | b[3]) + 1;
	*gateway = g_strdup_printf("%u.%u.%u.%u", net >> 24, (net >> 16) & 255,
				   (net >> 8) & 255, net & 255);
	return true;
}

struct libvirt_lab *libvirt_lab_new(const struct lab_spec *spec, const char *state_dir,
				    GError **error)
{
	g_autoptr(libvirt_lab) l = g_new0(struct libvirt_lab, 1);
	const struct spec_provider *p = &spec->provider;
	g_autofree char *abs = g_canonicalize_filename(state_dir, NULL);
	g_autofree char *sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256, abs, -1);
	guint extra = p->extra_subnets ? p->extra_subnets->len : 0;

	l->spec = spec;
	memcpy(l->hash, sum, 8);
	l->hash[8] = '\0';
	l->own_network = !p->network.v;
	l->network = p->network.v ? g_strdup(p->network.v) : g_strdup_printf("labctl-%s", l->hash);
	l->bridge = g_strdup_printf("lv%s", l->hash);
	l->own_pool = !p->pool.v;
	l->pool = p->pool.v ? g_strdup(p->pool.v) : g_strdup_printf("labctl-%s", l->hash);
	l->dir = g_build_filename(abs, "libvirt", NULL);
	l->client_key = g_build_filename(l->dir, "client_key", NULL);
	l->known_hosts = g_build_filename(abs, "known_hosts", NULL);

	if (!subnet_gateway(p->subnet.v, &l->gateway, &l->prefix, error))
		return NULL;
	l->extra_nets = g_ptr_array_new_with_free_func(net_free);
	for (guint k = 1; k <= extra; k++) {
		const struct ystr *e = g_ptr_array_index(p->extra_subnets, k - 1);
		struct libvirt_net *x = g_new0(struct libvirt_net, 1);

		g_ptr_array_add(l->extra_nets, x);
		x->name = g_strdup_printf("labctl-%s-n%u", l->hash, k);
		x->bridge = g_strdup_printf("lv%sn%u", l->hash, k);
		if (!subnet_gateway(e->v, &x->gateway, &x->prefix, error))
			return NULL;
	}

	l->nodes = g_ptr_array_new_with_free_func(node_free);
	l->uris = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < spec->nodes->len; i++) {
		const struct spec_node *s = g_ptr_array_index(spec->nodes, i);
		struct libvirt_node *n = g_new0(struct libvirt_node, 1);
		n->spec = s;
		n->name = s->name.v;
		n->address = s->address.v;
		n->uri = g_strdup(s->vm.uri.v ? s->vm.uri.v : p->uri.v ? p->uri.v : LIBVIRT_DEFAULT_URI);
		n->local = libvirt_uri_is_local(n->uri);
		n->domain = g_strdup_printf("labctl-%s-%s", l->hash, s->name.v);
		n->overlay = g_strdup_printf("%s.qcow2", n->domain);
		n->seed = g_strdup_printf("%s-seed.iso", n->domain);
		libvirt_node_mac(l->hash, s->name.v, n->mac);
		n->memory = s->vm.memory.set ? s->vm.memory.v
			  : p->memory.set ? p->memory.v : LIBVIRT_DEFAULT_MEMORY;
		n->vcpus = (guint)(s->vm.vcpus.set ? s->vm.vcpus.v : p->vcpus.set ? p->vcpus.v : 1);
		n->dir = g_build_filename(l->dir, s->name.v, NULL);
		/*
		 * A local log is read when the node does not answer; a remote
		 * hypervisor keeps it in libvirt's own log directory there.
		 */
		n->console = n->local ? g_strdup_printf("%s/%s-console.log", l->dir, s->name.v)
				      : g_strdup_printf("/var/log/libvirt/qemu/%s-console.log", n->domain);
		n->extra_macs = g_ptr_array_new_with_free_func(g_free);
		n->extra_addresses = g_ptr_array_new();
		for (guint k = 1; k <= extra; k++) {
			const struct ystr *a = s->extra_addresses && k <= s->extra_addresses->len ?
				g_ptr_array_index(s->extra_addresses, k - 1) : NULL;
			char *mac = g_malloc(18);

			libvirt_node_extra_mac(l->hash, s->name.v, k, mac);
			g_ptr_array_add(n->extra_macs, mac);
			g_ptr_array_add(n->extra_addresses, (gpointer)(a ? a->v : NULL));
		}
		g_ptr_array_add(l->nodes, n);
		if (!g_ptr_array_find_with_equal_func(l->uris, n->uri, g_str_equal, NULL))
			g_ptr_array_add(l->uris, g_strdup(n->uri));
	}
	return g_steal_pointer(&l);
}

/* ---- XML ---- */

/* A value for an XML attribute or element. */
static char *esc(const char *s)
{
	return g_markup_escape_text(s ? s : "", -1);
}

struct caps_state {
	GString *text;
	bool in_host_arch;
	char *host_arch;
	char *guest_arch;       /* the <arch name=...> being read */
	GHashTable *kvm;        /* arch -> 1: guests with <domain type='kvm'/> */
};

const char *libvirt_xml_attr(const char **names, const char **values, const char *name)
{
	for (guint i = 0; names[i]; i++)
		if (!strcmp(names[i], name))
			return values[i];
	return NULL;
}

static void caps_start(GMarkupParseContext *ctx, const char *el, const char **names,
		       const char **values, gpointer data, GError **error)
{
	struct caps_state *s = data;
	const GSList *stack = g_markup_parse_context_get_element_stack(ctx);
	const char *parent = stack->next ? stack->next->data : "";
	const char *v;

	(void)error;
	if (!strcmp(el, "arch") && !strcmp(parent, "cpu") && stack->next->next &&
	    !strcmp(stack->next->next->data, "host")) {
		s->in_host_arch = true;
		g_string_truncate(s->text, 0);
	} else if (!strcmp(el, "arch") && !strcmp(parent, "guest") &&
		   (v = libvirt_xml_attr(names, values, "name"))) {
		g_free(s->guest_arch);
		s->guest_arch = g_strdup(v);
	} else if (!strcmp(el, "domain") && !strcmp(parent, "arch") && s->guest_arch &&
		   (v = libvirt_xml_attr(names, values, "type")) && !strcmp(v, "kvm")) {
		g_hash_table_add(s->kvm, g_strdup(s->guest_arch));
	}
}

static void caps_end(GMarkupParseContext *ctx, const char *el, gpointer data, GError **error)
{
	struct caps_state *s = data;

	(void)ctx;
	(void)error;
	if (!strcmp(el, "arch") && s->in_host_arch) {
		s->in_host_arch = false;
		g_free(s->host_arch);
		s->host_arch = g_strstrip(g_strdup(s->text->str));
	}
}

static void caps_text(GMarkupParseContext *ctx, const char *text, gsize len, gpointer data,
		      GError **error)
{
	struct caps_state *s = data;

	(void)ctx;
	(void)error;
	if (s->in_host_arch)
		g_string_append_len(s->text, text, (gssize)len);
}

const char *libvirt_virt_type(const char *caps_xml, char **arch)
{
	static const GMarkupParser parser = { caps_start, caps_end, caps_text, NULL, NULL };
	struct caps_state s = { 0 };
	GMarkupParseContext *ctx;
	const char *type;

	s.text = g_string_new(NULL);
	s.kvm = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	ctx = g_markup_parse_context_new(&parser, 0, &s, NULL);
	/* a document that does not parse offers no kvm */
	g_markup_parse_context_parse(ctx, caps_xml ? caps_xml : "", -1, NULL);
	g_markup_parse_context_free(ctx);
	if (!s.host_arch || !*s.host_arch) {
		g_free(s.host_arch);
		s.host_arch = g_strdup("x86_64");
	}
	type = g_hash_table_contains(s.kvm, s.host_arch) ? "kvm" : "qemu";
	if (arch)
		*arch = g_steal_pointer(&s.host_arch);
	g_free(s.host_arch);
	g_free(s.guest_arch);
	g_string_free(s.text, TRUE);
	g_hash_table_unref(s.kvm);
	return type;
}

char *libvirt_dhcp_host_xml(const struct libvirt_node *n)
{
	g_autofree char *name = esc(n->name);
	g_autofree char *ip = esc(n->address);

	return g_strdup_printf("<host mac='%s' name='%s' ip='%s'/>", n->mac, name, ip);
}

/* An isolated network's XML: @k 0 is the lab's first network, else extra network @k. */
static char *network_xml(const struct libvirt_lab *l, guint k, const char *uri)
{
	const struct libvirt_net *x = k ? g_ptr_array_index(l->extra_nets, k - 1) : NULL;
	GString *out = g_string_new(NULL);

	/*
	 * No <forward>: an isolated network.  The guests reach each other and
	 * this machine at .1, and nothing beyond.  Only the nodes' own MACs
	 * get an address: dnsmasq serves the host entries and nothing else.
	 */
	g_string_append_printf(out,
		"<network>\n"
		"  <name>%s</name>\n"
		"  <bridge name='%s' stp='on' delay='0'/>\n"
		"  <ip address='%s' prefix='%u'>\n"
		"    <dhcp>\n",
		x ? x->name : l->network, x ? x->bridge : l->bridge,
		x ? x->gateway : l->gateway, x ? x->prefix : l->prefix);
	for (guint i = 0; i < l->nodes->len; i++) {
		const struct libvirt_node *n = g_ptr_array_index(l->nodes, i);
		g_autofree char *host = NULL;

		if (strcmp(n->uri, uri))
			continue;
		if (k) {
			g_autofree char *name = esc(n->name);
			g_autofree char *ip = esc(g_ptr_array_index(n->extra_addresses, k - 1));

			host = g_strdup_printf("<host mac='%s' name='%s' ip='%s'/>",
					       (const char *)g_ptr_array_index(n->extra_macs, k - 1),
					       name, ip);
		} else {
			host = libvirt_dhcp_host_xml(n);
		}
		g_string_append_printf(out, "      %s\n", host);
	}
	g_string_append(out,
		"    </dhcp>\n"
		"  </ip>\n"
		"</network>\n");
	return g_string_free(out, FALSE);
}

char *libvirt_network_xml(const struct libvirt_lab *l, const char *uri)
{
	return network_xml(l, 0, uri);
}

char *libvirt_extra_network_xml(const struct libvirt_lab *l, guint k, const char *uri)
{
	return network_xml(l, k, uri);
}

char *libvirt_pool_xml(const struct libvirt_lab *l, const char *path)
{
	g_autofree char *p = esc(path);

	return g_strdup_printf(
		"<pool type='dir'>\n"
		"  <name>%s</name>\n"
		"  <target>\n"
		"    <path>%s</path>\n"
		"    <permissions><mode>0711</mode></permissions>\n"
		"  </target>\n"
		"</pool>\n",
		l->pool, p);
}

char *libvirt_overlay_xml(const struct libvirt_node *n, const char *base,
			  const char *base_format, guint64 capacity)
{
	g_autofree char *b = esc(base);
	g_autofree char *f = esc(base_format);

	return g_strdup_printf(
		"<volume>\n"
		"  <name>%s</name>\n"
		"  <capacity unit='bytes'>%" G_GUINT64_FORMAT "</capacity>\n"
		"  <target>\n"
		"    <format type='qcow2'/>\n"
		"  </target>\n"
		"  <backingStore>\n"
		"    <path>%s</path>\n"
		"    <format type='%s'/>\n"
		"  </backingStore>\n"
		"</volume>\n",
		n->overlay, capacity, b, f);
}

char *libvirt_seed_volume_xml(const struct libvirt_node *n, guint64 size)
{
	return g_strdup_printf(
		"<volume>\n"
		"  <name>%s</name>\n"
		"  <capacity unit='bytes'>%" G_GUINT64_FORMAT "</capacity>\n"
		"  <target>\n"
		"    <format type='raw'/>\n"
		"  </target>\n"
		"</volume>\n",
		n->seed, size);
}

char *libvirt_domain_xml(const struct libvirt_lab *l, const struct libvirt_node *n,
			 const char *virt_type, const char *arch,
			 const char *overlay_path, const char *seed_path)
{
	const struct spec_provider *p = &l->spec->provider;
	g_autofree char *lab = esc(l->spec->name.v);
	g_autofree char *a = esc(arch);
	g_autofree char *overlay = esc(overlay_path);
	g_autofree char *seed = esc(seed_path);
	g_autofree char *console = esc(n->console);
	GString *x = g_string_new(NULL);

	g_string_append_printf(x,
		"<domain type='%s'>\n"
		"  <name>%s</name>\n"
		"  <title>labctl lab %s, node %s</title>\n"
		"  <memory unit='KiB'>%" G_GUINT64_FORMAT "</memory>\n"
		"  <vcpu>%u</vcpu>\n"
		"  <os>\n"
		"    <type arch='%s'>hvm</type>\n",
		!strcmp(virt_type, "kvm") ? "kvm" : "qemu", n->domain, lab, n->name,
		n->memory / 1024, n->vcpus, a);
	if (p->kernel.v && p->initrd.v) {
		g_autofree char *kernel = esc(p->kernel.v);
		g_autofree char *initrd = esc(p->initrd.v);
		g_autofree char *cmdline = esc(p->cmdline.v ? p->cmdline.v : LIBVIRT_DEFAULT_CMDLINE);

		g_string_append_printf(x,
			"    <kernel>%s</kernel>\n"
			"    <initrd>%s</initrd>\n"
			"    <cmdline>%s</cmdline>\n",
			kernel, initrd, cmdline);
	} else {
		g_string_append(x, "    <boot dev='hd'/>\n");
	}
	g_string_append(x,
		"  </os>\n"
		"  <features><acpi/><apic/></features>\n");
	/* TCG emulates its default CPU; KVM gives the guest the host's */
	if (!strcmp(virt_type, "kvm"))
		g_string_append(x, "  <cpu mode='host-passthrough'/>\n");
	g_string_append_printf(x,
		"  <clock offset='utc'/>\n"
		"  <on_poweroff>destroy</on_poweroff>\n"
		"  <on_reboot>restart</on_reboot>\n"
		"  <on_crash>destroy</on_crash>\n"
		"  <devices>\n"
		"    <disk type='file' device='disk'>\n"
		"      <driver name='qemu' type='qcow2'/>\n"
		"      <source file='%s'/>\n"
		"      <target dev='vda' bus='virtio'/>\n"
		"    </disk>\n"
		"    <disk type='file' device='disk'>\n"
		"      <driver name='qemu' type='raw'/>\n"
		"      <source file='%s'/>\n"
		"      <target dev='vdb' bus='virtio'/>\n"
		"      <readonly/>\n"
		"    </disk>\n"
		"    <interface type='network'>\n"
		"      <source network='%s'/>\n"
		"      <mac address='%s'/>\n"
		"      <model type='virtio'/>\n"
		"    </interface>\n",
		overlay, seed, l->network, n->mac);
	for (guint k = 1; k <= l->extra_nets->len; k++) {
		const struct libvirt_net *net = g_ptr_array_index(l->extra_nets, k - 1);

		g_string_append_printf(x,
			"    <interface type='network'>\n"
			"      <source network='%s'/>\n"
			"      <mac address='%s'/>\n"
			"      <model type='virtio'/>\n"
			"    </interface>\n",
			net->name, (const char *)g_ptr_array_index(n->extra_macs, k - 1));
	}
	g_string_append_printf(x,
		"    <serial type='file'>\n"
		"      <source path='%s'/>\n"
		"      <target port='0'/>\n"
		"    </serial>\n"
		"    <console type='file'>\n"
		"      <source path='%s'/>\n"
		"      <target type='serial' port='0'/>\n"
		"    </console>\n"
		"    <rng model='virtio'>\n"
		"      <backend model='random'>/dev/urandom</backend>\n"
		"    </rng>\n"
		"  </devices>\n"
		"</domain>\n",
		console, console);
	return g_string_free(x, FALSE);
}

/* ---- the cloud-init seed ---- */

char *libvirt_meta_data(const struct libvirt_lab *l, const struct libvirt_node *n)
{
	(void)l;
	/* unique per lab and node: cloud-init runs once per instance */
	return g_strdup_printf("instance-id: %s\nlocal-hostname: %s\n", n->domain,
			       n->name);
}

/* @text as a YAML block scalar at @indent spaces. */
static void block(GString *out, const char *text, guint indent)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	guint n = g_strv_length(lines);

	/* no empty last line: that is the text's final newline */
	while (n && !*lines[n - 1])
		n--;
	for (guint i = 0; i < n; i++)
		g_string_append_printf(out, "%*s%s\n", (int)indent, "", lines[i]);
}

char *libvirt_user_data(const struct libvirt_lab *l, const struct libvirt_node *n,
			const char *client_pub, const char *host_key, const char *host_pub)
{
	GString *x = g_string_new("#cloud-config\n");
	g_autofree char *cpub = g_strstrip(g_strdup(client_pub));
	g_autofree char *hpub = g_strstrip(g_strdup(host_pub));

	/* names are [a-z0-9-] and keys base64: nothing here needs quoting */
	g_string_append_printf(x,
		"# labctl lab '%s', node '%s'\n"
		"hostname: %s\n"
		"manage_etc_hosts: true\n"
		"disable_root: false\n"
		"ssh_pwauth: false\n"
		"ssh_authorized_keys:\n"
		"  - %s\n"
		/* only the host key labctl made, which known_hosts pins */
		"ssh_deletekeys: true\n"
		"ssh_genkeytypes: []\n"
		"ssh_keys:\n"
		"  ed25519_private: |\n",
		l->spec->name.v, n->name, n->name, cpub);
	block(x, host_key, 4);
	g_string_append_printf(x, "  ed25519_public: %s\n", hpub);
	if (n->spec->role.v == ROLE_HOST && n->spec->initiator.iqn.v)
		/* a base image's initiator name would be every clone's */
		g_string_append_printf(x,
			"write_files:\n"
			"  - path: /etc/iscsi/initiatorname.iscsi\n"
			"    permissions: '0644'\n"
			"    content: |\n"
			"      InitiatorName=%s\n",
			n->spec->initiator.iqn.v);
	return g_string_free(x, FALSE);
}

/* ---- local files: keys and seeds ---- */

