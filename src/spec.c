/*
 * spec.c - decoding a lab spec, its defaults and lookups
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gio/gio.h>

#include "labctl/spec.h"

const char *const spec_provider_names[] = { "static", "netns", "libvirt", "vagrant", NULL };
const char *const spec_role_names[] = { "disk", "host", NULL };
const char *const spec_os_names[] = { "auto", "rhel", "debian", NULL };
const char *const spec_target_backend_names[] = { "lio", "tgt", NULL };
const char *const spec_initiator_backend_names[] = { "open-iscsi", "libiscsi", NULL };
const char *const spec_firewall_names[] = { "auto", "firewalld", "iptables", "nftables", "none", NULL };
const char *const spec_backstore_names[] = { "block", "fileio", NULL };
const char *const spec_allocation_names[] = { "sparse", "allocated", "zeroed", NULL };
const char *const spec_fs_names[] = { "xfs", "ext4", NULL };
const char *const spec_prove_names[] = { "changed", "always", NULL };
const char *const spec_become_names[] = { "auto", "sudo", "none", NULL };
const char *const spec_fio_rw_names[] = { "randrw", "read", "write", "randread", "randwrite",
					  "rw", NULL };
const char *const spec_conformance_suite_names[] = { "libiscsi", NULL };

#define F(st, k, t, member, ...) \
	{ .key = k, .type = t, .offset = offsetof(struct st, member), __VA_ARGS__ }

static const struct yfield ssh_fields[] = {
	F(spec_ssh, "user", YF_STR, user),
	F(spec_ssh, "port", YF_UINT, port, .min = 1, .max = 65535),
	F(spec_ssh, "key", YF_STR, key),
	F(spec_ssh, "passphrase", YF_SECRET, passphrase),
	F(spec_ssh, "password", YF_SECRET, password),
	F(spec_ssh, "become", YF_ENUM, become, .values = spec_become_names),
	F(spec_ssh, "become_password", YF_SECRET, become_password),
	F(spec_ssh, "known_hosts", YF_STR, known_hosts),
	{ .key = NULL }
};
static const struct yschema ssh_schema = {
	"ssh settings", sizeof(struct spec_ssh), offsetof(struct spec_ssh, where), ssh_fields
};

static const struct yfield provider_fields[] = {
	F(spec_provider, "type", YF_ENUM, type, .required = true, .values = spec_provider_names),
	F(spec_provider, "subnet", YF_STR, subnet),
	F(spec_provider, "uri", YF_STR, uri),
	F(spec_provider, "network", YF_STR, network),
	F(spec_provider, "base_image", YF_STR, base_image),
	F(spec_provider, "pool", YF_STR, pool),
	F(spec_provider, "memory", YF_SIZE, memory),
	F(spec_provider, "vcpus", YF_UINT, vcpus, .min = 1, .max = 64),
	F(spec_provider, "kernel", YF_STR, kernel),
	F(spec_provider, "initrd", YF_STR, initrd),
	F(spec_provider, "cmdline", YF_STR, cmdline),
	F(spec_provider, "boot_timeout", YF_UINT, boot_timeout, .min = 1, .max = 3600),
	F(spec_provider, "dir", YF_STR, dir),
	F(spec_provider, "extra_subnets", YF_STRLIST, extra_subnets, .max = SPEC_MAX_EXTRA_NETS),
	{ .key = NULL }
};
static const struct yschema provider_schema = {
	"provider", sizeof(struct spec_provider), offsetof(struct spec_provider, where),
	provider_fields
};

static const struct yfield mutual_fields[] = {
	F(spec_chap_mutual, "user", YF_STR, user, .required = true),
	F(spec_chap_mutual, "password", YF_SECRET, password, .required = true),
	{ .key = NULL }
};
static const struct yschema mutual_schema = {
	"mutual chap", sizeof(struct spec_chap_mutual),
	offsetof(struct spec_chap_mutual, where), mutual_fields
};

static const struct yfield chap_fields[] = {
	F(spec_chap, "user", YF_STR, user, .required = true),
	F(spec_chap, "password", YF_SECRET, password, .required = true),
	F(spec_chap, "mutual", YF_OBJ, mutual, .sub = &mutual_schema),
	{ .key = NULL }
};
static const struct yschema chap_schema = {
	"chap", sizeof(struct spec_chap), offsetof(struct spec_chap, where), chap_fields
};

static const struct yfield lun_fields[] = {
	F(spec_lun, "name", YF_STR, name, .required = true),
	F(spec_lun, "image", YF_STR, image, .required = true),
	F(spec_lun, "size", YF_SIZE, size, .required = true),
	F(spec_lun, "backstore", YF_ENUM, backstore, .values = spec_backstore_names),
	F(spec_lun, "allocation", YF_ENUM, allocation, .values = spec_allocation_names),
	F(spec_lun, "number", YF_UINT, number, .max = 255),
	{ .key = NULL }
};
static const struct yschema lun_schema = {
	"lun", sizeof(struct spec_lun), offsetof(struct spec_lun, where), lun_fields
};

static const struct yfield target_fields[] = {
	F(spec_target, "iqn", YF_STR, iqn),
	F(spec_target, "backend", YF_ENUM, backend, .values = spec_target_backend_names),
	F(spec_target, "portals", YF_STRLIST, portals, .max = SPEC_MAX_PORTALS),
	F(spec_target, "firewall", YF_ENUM, firewall, .values = spec_firewall_names),
	F(spec_target, "luns", YF_LIST, luns, .required = true, .max = SPEC_MAX_LUNS,
	  .sub = &lun_schema),
	F(spec_target, "acl", YF_STRLIST, acl, .max = SPEC_MAX_REFS),
	F(spec_target, "chap", YF_OBJ, chap, .sub = &chap_schema),
	{ .key = NULL }
};
static const struct yschema target_schema = {
	"target", sizeof(struct spec_target), offsetof(struct spec_target, where),
	target_fields
};

static const struct yfield fio_fields[] = {
	F(spec_fio, "rw", YF_ENUM, rw, .values = spec_fio_rw_names),
	F(spec_fio, "bs", YF_SIZE, bs),
	F(spec_fio, "size", YF_SIZE, size),
	F(spec_fio, "runtime", YF_UINT, runtime, .min = 1, .max = SPEC_FIO_RUNTIME_MAX),
	F(spec_fio, "iodepth", YF_UINT, iodepth, .min = 1, .max = SPEC_FIO_IODEPTH_MAX),
	F(spec_fio, "numjobs", YF_UINT, numjobs, .min = 1, .max = SPEC_FIO_NUMJOBS_MAX),
	F(spec_fio, "direct", YF_BOOL, direct),
	{ .key = NULL }
};
static const struct yschema fio_schema = {
	"fio", sizeof(struct spec_fio), offsetof(struct spec_fio, where), fio_fields
};

static const struct yfield mount_fields[] = {
	F(spec_mount, "disk", YF_STR, disk, .required = true),
	F(spec_mount, "lun", YF_STR, lun, .required = true),
	F(spec_mount, "fs", YF_ENUM, fs, .values = spec_fs_names),
	F(spec_mount, "path", YF_STR, path, .required = true),
	F(spec_mount, "options", YF_STR, options),
	F(spec_mount, "persist", YF_BOOL, persist),
	F(spec_mount, "test_file", YF_STR, test_file),
	F(spec_mount, "fio", YF_OBJ, fio, .sub = &fio_schema, .shorthand = true),
	{ .key = NULL }
};
static const struct yschema mount_schema = {
	"mount", sizeof(struct spec_mount), offsetof(struct spec_mount, where), mount_fields
};

static const struct yfield conformance_fields[] = {
	F(spec_conformance, "disk", YF_STR, disk, .required = true),
	F(spec_conformance, "lun", YF_STR, lun, .required = true),
	F(spec_conformance, "suite", YF_ENUM, suite, .values = spec_conformance_suite_names),
	F(spec_conformance, "tests", YF_STRLIST, tests, .max = SPEC_CONFORMANCE_TESTS_MAX),
	F(spec_conformance, "known_failures", YF_STRLIST, known_failures,
	  .max = SPEC_CONFORMANCE_TESTS_MAX),
	F(spec_conformance, "timeout", YF_UINT, timeout, .min = 1,
	  .max = SPEC_CONFORMANCE_TIMEOUT_MAX),
	{ .key = NULL }
};
static const struct yschema conformance_schema = {
	"conformance", sizeof(struct spec_conformance), offsetof(struct spec_conformance, where),
	conformance_fields
};

static const struct yfield initiator_fields[] = {
	F(spec_initiator, "iqn", YF_STR, iqn),
	F(spec_initiator, "backend", YF_ENUM, backend, .values = spec_initiator_backend_names),
	F(spec_initiator, "targets", YF_STRLIST, targets, .max = SPEC_MAX_REFS),
	F(spec_initiator, "timeout", YF_UINT, timeout, .min = 1, .max = 3600),
	F(spec_initiator, "mounts", YF_LIST, mounts, .max = SPEC_MAX_LUNS, .sub = &mount_schema),
	F(spec_initiator, "conformance", YF_LIST, conformance, .max = SPEC_MAX_LUNS,
	  .sub = &conformance_schema),
	F(spec_initiator, "multipath", YF_BOOL, multipath),
	{ .key = NULL }
};
static const struct yschema initiator_schema = {
	"initiator", sizeof(struct spec_initiator), offsetof(struct spec_initiator, where),
	initiator_fields
};

static const struct yfield vm_fields[] = {
	F(spec_vm, "uri", YF_STR, uri),
	F(spec_vm, "memory", YF_SIZE, memory),
	F(spec_vm, "vcpus", YF_UINT, vcpus, .min = 1, .max = 64),
	{ .key = NULL }
};
static const struct yschema vm_schema = {
	"vm", sizeof(struct spec_vm), offsetof(struct spec_vm, where), vm_fields
};

static const struct yfield node_fields[] = {
	F(spec_node, "name", YF_STR, name, .required = true),
	F(spec_node, "role", YF_ENUM, role, .required = true, .values = spec_role_names),
	F(spec_node, "address", YF_STR, address),
	F(spec_node, "extra_addresses", YF_STRLIST, extra_addresses, .max = SPEC_MAX_EXTRA_NETS),
	F(spec_node, "os", YF_ENUM, os, .values = spec_os_names),
	F(spec_node, "ssh", YF_OBJ, ssh, .sub = &ssh_schema),
	F(spec_node, "target", YF_OBJ, target, .sub = &target_schema),
	F(spec_node, "initiator", YF_OBJ, initiator, .sub = &initiator_schema),
	F(spec_node, "vm", YF_OBJ, vm, .sub = &vm_schema),
	{ .key = NULL }
};
static const struct yschema node_schema = {
	"node", sizeof(struct spec_node), offsetof(struct spec_node, where), node_fields
};

static const struct yfield lab_fields[] = {
	F(lab_spec, "version", YF_UINT, version),
	F(lab_spec, "lab", YF_STR, name, .required = true),
	F(lab_spec, "description", YF_STR, description),
	F(lab_spec, "provider", YF_OBJ, provider, .required = true, .sub = &provider_schema),
	F(lab_spec, "ssh", YF_OBJ, ssh, .sub = &ssh_schema),
	F(lab_spec, "prove", YF_ENUM, prove, .values = spec_prove_names),
	F(lab_spec, "nodes", YF_LIST, nodes, .required = true, .max = SPEC_MAX_NODES,
	  .sub = &node_schema),
	{ .key = NULL }
};
static const struct yschema lab_schema = {
	"lab", sizeof(struct lab_spec), offsetof(struct lab_spec, where), lab_fields
};

#undef F

struct lab_spec *spec_load_data(const char *file, const char *data, size_t len,
				GPtrArray *diags)
{
	struct lab_spec *spec;
	struct ynode *root;

	root = ytree_parse(file, data, len, diags);
	if (!root)
		return NULL;
	spec = g_new0(struct lab_spec, 1);
	spec->file = g_strdup(file);
	spec->dir = g_path_get_dirname(file);
	if (root->type != YNODE_MAP)
		diags_add(diags, file, root->loc,
			  "a spec is a mapping with keys 'lab', 'provider' and 'nodes', not %s",
			  ynode_kind(root));
	else
		ytree_decode(file, root, &lab_schema, spec, NULL, diags);
	ynode_free(root);
	spec->nodes_given = spec->nodes != NULL;
	if (!spec->nodes)
		spec->nodes = g_ptr_array_new();
	/* nodes are looked up by name for every reference: a scan made that quadratic */
	spec->node_index = g_hash_table_new(g_str_hash, g_str_equal);
	for (guint i = 0; i < spec->nodes->len; i++) {
		struct spec_node *n = g_ptr_array_index(spec->nodes, i);

		if (n->name.v && !g_hash_table_contains(spec->node_index, n->name.v))
			g_hash_table_insert(spec->node_index, n->name.v, n);
	}
	return spec;
}

/* Specs are small; a bound keeps a mistaken "labctl plan /dev/zero" sane. */
#define SPEC_MAX_BYTES (4u << 20)

struct lab_spec *spec_load(const char *file, GPtrArray *diags)
{
	g_autoptr(GString) buf = g_string_new(NULL);
	struct lab_spec *spec;
	char chunk[65536];
	size_t n;
	FILE *f;

	f = fopen(file, "rb");
	if (!f) {
		diags_add(diags, file, (struct loc){ 0, 0 }, "cannot read: %s",
			  g_strerror(errno));
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		g_string_append_len(buf, chunk, (gssize)n);
		if (buf->len > SPEC_MAX_BYTES)
			break;
	}
	if (ferror(f)) {
		diags_add(diags, file, (struct loc){ 0, 0 }, "cannot read: %s",
			  g_strerror(errno));
		fclose(f);
		return NULL;
	}
	fclose(f);
	if (buf->len > SPEC_MAX_BYTES) {
		diags_add(diags, file, (struct loc){ 0, 0 },
			  "file is larger than %u MiB", SPEC_MAX_BYTES >> 20);
		return NULL;
	}
	spec = spec_load_data(file, buf->str, buf->len, diags);
	return spec;
}

void spec_free(struct lab_spec *spec)
{
	if (!spec)
		return;
	if (spec->node_index)
		g_hash_table_unref(spec->node_index);
	ytree_clear(&lab_schema, spec);
	g_free(spec->file);
	g_free(spec->dir);
	g_free(spec);
}

struct spec_node *spec_find_node(const struct lab_spec *spec, const char *name)
{
	if (!name)
		return NULL;
	if (spec->node_index)
		return g_hash_table_lookup(spec->node_index, name);
	for (guint i = 0; i < spec->nodes->len; i++) {
		struct spec_node *n = g_ptr_array_index(spec->nodes, i);

		if (!g_strcmp0(n->name.v, name))
			return n;
	}
	return NULL;
}

struct spec_lun *spec_find_lun(const struct spec_node *disk, const char *name)
{
	if (!name || !disk->target.luns)
		return NULL;
	for (guint i = 0; i < disk->target.luns->len; i++) {
		struct spec_lun *l = g_ptr_array_index(disk->target.luns, i);

		if (!g_strcmp0(l->name.v, name))
			return l;
	}
	return NULL;
}

char *spec_default_iqn(const char *lab, const char *node)
{
	/* names are validated to [a-z0-9-], which IQNs allow as they are */
	return g_strdup_printf("iqn.2026-01.local.labctl:%s.%s", lab, node);
}

const char *spec_node_user(const struct lab_spec *spec, const struct spec_node *node)
{
	if (node->ssh.user.v)
		return node->ssh.user.v;
	if (spec->ssh.user.v)
		return spec->ssh.user.v;
	return "root";
}

unsigned spec_node_port(const struct lab_spec *spec, const struct spec_node *node)
{
	if (node->ssh.port.set)
		return (unsigned)node->ssh.port.v;
	if (spec->ssh.port.set)
		return (unsigned)spec->ssh.port.v;
	return 22;
}

const char *spec_node_key(const struct lab_spec *spec, const struct spec_node *node)
{
	return node->ssh.key.v ? node->ssh.key.v : spec->ssh.key.v;
}

const char *spec_ssh_value(const struct ystr *node, const struct ystr *lab)
{
	return node->v ? node->v : lab->v;
}

enum become_mode spec_node_become(const struct lab_spec *spec, const struct spec_node *node)
{
	const struct yenum *b = node->ssh.become.set ? &node->ssh.become : &spec->ssh.become;

	return b->set ? (enum become_mode)b->v : BECOME_AUTO;
}

bool spec_node_sudo(const struct lab_spec *spec, const struct spec_node *node,
		    const char *user)
{
	enum become_mode b = spec_node_become(spec, node);

	if (b == BECOME_SUDO)
		return true;
	if (b == BECOME_NONE)
		return false;
	return strcmp(user ? user : spec_node_user(spec, node), "root") != 0;
}

const char *spec_node_password_ref(const struct lab_spec *spec, const struct spec_node *node)
{
	return node->ssh.password.ref ? node->ssh.password.ref : spec->ssh.password.ref;
}

const char *spec_node_become_password_ref(const struct lab_spec *spec,
					  const struct spec_node *node)
{
	return node->ssh.become_password.ref ? node->ssh.become_password.ref
					     : spec->ssh.become_password.ref;
}

static struct ystr *ystr_new(const char *v)
{
	struct ystr *s = g_new0(struct ystr, 1);

	s->v = g_strdup(v);
	return s;
}

/*
 * Who admits whom: each ACL entry (a host's name or IQN) -> the positions
 * of the disk nodes whose ACL has it, ascending.  Asking every disk about
 * every host made resolving a large lab quadratic.
 */
static GHashTable *acl_index(const struct lab_spec *spec)
{
	GHashTable *admits = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
						   (GDestroyNotify)g_array_unref);

	for (guint i = 0; i < spec->nodes->len; i++) {
		const struct spec_node *d = g_ptr_array_index(spec->nodes, i);

		for (guint j = 0; d->role.v == ROLE_DISK && d->target.acl &&
				  j < d->target.acl->len; j++) {
			const struct ystr *a = g_ptr_array_index(d->target.acl, j);
			GArray *disks;

			if (!a->v)
				continue;
			disks = g_hash_table_lookup(admits, a->v);
			if (!disks) {
				disks = g_array_new(FALSE, FALSE, sizeof(guint));
				g_hash_table_insert(admits, a->v, disks);
			}
			if (!disks->len || g_array_index(disks, guint, disks->len - 1) != i)
				g_array_append_val(disks, i);
		}
	}
	return admits;
}

/* The disks that admit @host by name or by IQN, in spec order. */
static void add_targets(struct lab_spec *spec, GHashTable *admits, struct spec_node *host)
{
	GArray *by_name = host->name.v ? g_hash_table_lookup(admits, host->name.v) : NULL;
	GArray *by_iqn = host->initiator.iqn.v ? g_hash_table_lookup(admits, host->initiator.iqn.v) : NULL;
	guint a = 0, b = 0;

	if (by_iqn == by_name)
		by_iqn = NULL;
	/* merge two ascending lists, once each */
	while ((by_name && a < by_name->len) || (by_iqn && b < by_iqn->len)) {
		guint x = by_name && a < by_name->len ? g_array_index(by_name, guint, a) : G_MAXUINT;
		guint y = by_iqn && b < by_iqn->len ? g_array_index(by_iqn, guint, b) : G_MAXUINT;
		guint next = MIN(x, y);
		struct spec_node *d = g_ptr_array_index(spec->nodes, next);

		a += x == next;
		b += y == next;
		g_ptr_array_add(host->initiator.targets, ystr_new(d->name.v));
	}
}

/*
 * Host addresses from an IPv4 subnet: .1 is the bridge or the libvirt
 * network's gateway, nodes get .10, .11, ... in spec order.
 */
static char *subnet_address(const char *cidr, guint index)
{
	g_autoptr(GInetAddressMask) mask = NULL;
	const guint8 *b;
	guint32 base, host;

	mask = g_inet_address_mask_new_from_string(cidr, NULL);
	if (!mask)
		return NULL;
	b = g_inet_address_to_bytes(g_inet_address_mask_get_address(mask));
	base = (guint32)b[0] << 24 | (guint32)b[1] << 16 | (guint32)b[2] << 8 | b[3];
	host = base + 10 + index;
	return g_strdup_printf("%u.%u.%u.%u", host >> 24, (host >> 16) & 255,
			       (host >> 8) & 255, host & 255);
}

/* An IPv4 address as a number; false for anything else. */
static bool ipv4_value(const char *s, guint32 *out)
{
	g_autoptr(GInetAddress) a = s ? g_inet_address_new_from_string(s) : NULL;
	const guint8 *b;

	if (!a || g_inet_address_get_family(a) != G_SOCKET_FAMILY_IPV4)
		return false;
	b = g_inet_address_to_bytes(a);
	*out = (guint32)b[0] << 24 | (guint32)b[1] << 16 | (guint32)b[2] << 8 | b[3];
	return true;
}

/* The network address and prefix length of an IPv4 CIDR; false for anything else. */
static bool ipv4_cidr(const char *cidr, guint32 *net, guint *len)
{
	g_autoptr(GInetAddressMask) mask = cidr && strchr(cidr, '/') ?
		g_inet_address_mask_new_from_string(cidr, NULL) : NULL;
	g_autofree char *a = NULL;

	if (!mask || g_inet_address_mask_get_family(mask) != G_SOCKET_FAMILY_IPV4)
		return false;
	a = g_inet_address_to_string(g_inet_address_mask_get_address(mask));
	*len = g_inet_address_mask_get_length(mask);
	return ipv4_value(a, net);
}

char *spec_extra_address(const char *subnet, const char *address, const char *extra)
{
	guint32 net, addr, enet, host;
	guint len, elen;

	if (!ipv4_cidr(subnet, &net, &len) || !ipv4_cidr(extra, &enet, &elen) ||
	    !ipv4_value(address, &addr))
		return NULL;
	host = addr - (net & (len ? ~(guint32)0 << (32 - len) : 0));
	if (elen && host >> (32 - elen))
		return NULL;    /* more hosts than the extra subnet holds */
	host += enet & (elen ? ~(guint32)0 << (32 - elen) : 0);
	return g_strdup_printf("%u.%u.%u.%u", host >> 24, (host >> 16) & 255,
			       (host >> 8) & 255, host & 255);
}

const char *spec_default_subnet(enum provider_type type)
{
	return type == PROVIDER_LIBVIRT ? "192.168.56.0/24" : "10.203.0.0/24";
}

static bool lun_number_taken(const struct spec_node *disk, guint64 number)
{
	for (guint i = 0; i < disk->target.luns->len; i++) {
		const struct spec_lun *l = g_ptr_array_index(disk->target.luns, i);

		if (l->number.set && l->number.v == number)
			return true;
	}
	return false;
}

/* A conformance run: all of the suite's tests, within a quarter of an hour. */
static void conformance_defaults(struct spec_conformance *c)
{
	if (!c->tests) {
		c->tests = g_ptr_array_new();
		g_ptr_array_add(c->tests, ystr_new("ALL"));
	}
	if (!c->timeout.set)
		c->timeout.v = SPEC_CONFORMANCE_TIMEOUT;
}

/* A mount's fio run: the defaults of what it does not say (rw's is 0). */
static void fio_defaults(struct spec_fio *f)
{
	if (!f->where.line)
		return;
	if (!f->bs.set)
		f->bs.v = SPEC_FIO_BS;
	if (!f->size.set)
		f->size.v = SPEC_FIO_SIZE;
	if (!f->runtime.set)
		f->runtime.v = SPEC_FIO_RUNTIME;
	if (!f->iodepth.set)
		f->iodepth.v = SPEC_FIO_IODEPTH;
	if (!f->numjobs.set)
		f->numjobs.v = SPEC_FIO_NUMJOBS;
	if (!f->direct.set)
		f->direct.v = true;
}

void spec_resolve(struct lab_spec *spec)
{
	const char *lab = spec->name.v;
	enum provider_type ptype = spec->provider.type.v;
	g_autoptr(GHashTable) admits = NULL;

	if (!spec->provider.subnet.v &&
	    (ptype == PROVIDER_NETNS || ptype == PROVIDER_LIBVIRT))
		spec->provider.subnet.v = g_strdup(spec_default_subnet(ptype));

	/* first pass: names that others refer to (addresses, IQNs, ACLs) */
	for (guint i = 0; i < spec->nodes->len; i++) {
		struct spec_node *n = g_ptr_array_index(spec->nodes, i);

		if (!n->address.v && spec->provider.subnet.v)
			n->address.v = subnet_address(spec->provider.subnet.v, i);
		/* its addresses on the extra networks: the same host part as its address */
		if (!n->extra_addresses && spec->provider.extra_subnets &&
		    spec->provider.extra_subnets->len && ptype == PROVIDER_LIBVIRT) {
			n->extra_addresses = g_ptr_array_new();
			for (guint j = 0; j < spec->provider.extra_subnets->len; j++) {
				const struct ystr *e = g_ptr_array_index(spec->provider.extra_subnets, j);
				char *a = spec_extra_address(spec->provider.subnet.v, n->address.v, e->v);
				struct ystr *y = ystr_new(a);

				g_free(a);
				g_ptr_array_add(n->extra_addresses, y);
			}
		}
		/* a spec without a lab or node name has errors already: no "(null)" IQN */
		if (n->role.v == ROLE_HOST && !n->initiator.iqn.v && lab && n->name.v)
			n->initiator.iqn.v = spec_default_iqn(lab, n->name.v);
		if (n->role.v != ROLE_DISK)
			continue;
		if (!n->target.iqn.v && lab && n->name.v)
			n->target.iqn.v = spec_default_iqn(lab, n->name.v);
		if (!n->target.portals)
			n->target.portals = g_ptr_array_new();
		if (!n->target.portals->len && n->address.v) {
			/* a portal writes an IPv6 address in brackets */
			g_autofree char *p = strchr(n->address.v, ':') ?
				g_strdup_printf("[%s]", n->address.v) : g_strdup(n->address.v);

			g_ptr_array_add(n->target.portals, ystr_new(p));
		}
		if (!n->target.luns)
			n->target.luns = g_ptr_array_new();
		/* unnumbered LUNs take the lowest free numbers; tgt keeps 0 for itself */
		{
			guint64 next = n->target.backend.v == TARGET_TGT;

			for (guint j = 0; j < n->target.luns->len; j++) {
				struct spec_lun *l = g_ptr_array_index(n->target.luns, j);

				if (l->number.set)
					continue;
				while (lun_number_taken(n, next))
					next++;
				l->number.v = next++;
				l->number.set = true;
			}
		}
		/* no ACL: every host node of the lab may log in */
		if (!n->target.acl) {
			n->target.acl = g_ptr_array_new();
			for (guint j = 0; j < spec->nodes->len; j++) {
				struct spec_node *h = g_ptr_array_index(spec->nodes, j);

				if (h->role.v == ROLE_HOST)
					g_ptr_array_add(n->target.acl, ystr_new(h->name.v));
			}
		}
	}

	/* second pass: hosts log in to every disk that admits them */
	for (guint i = 0; i < spec->nodes->len; i++) {
		struct spec_node *n = g_ptr_array_index(spec->nodes, i);

		if (n->role.v != ROLE_HOST)
			continue;
		if (!n->initiator.timeout.set)
			n->initiator.timeout.v = 15;
		if (!n->initiator.mounts)
			n->initiator.mounts = g_ptr_array_new();
		for (guint j = 0; j < n->initiator.mounts->len; j++)
			fio_defaults(&((struct spec_mount *)g_ptr_array_index(n->initiator.mounts, j))->fio);
		if (!n->initiator.conformance)
			n->initiator.conformance = g_ptr_array_new();
		for (guint j = 0; j < n->initiator.conformance->len; j++)
			conformance_defaults(g_ptr_array_index(n->initiator.conformance, j));
		if (n->initiator.targets)
			continue;
		n->initiator.targets = g_ptr_array_new();
		if (!admits)
			admits = acl_index(spec);
		add_targets(spec, admits, n);
	}
}

/*
 * A secret file is a small regular file: a FIFO would block labctl for
 * good, /dev/zero or a huge file would eat its memory.  Opened without
 * blocking, checked, then read up to the limit.
 */
static char *read_secret_file(const char *ref, const char *path, gsize *len, GError **error)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	char *buf;
	ssize_t n;

	if (fd < 0) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
			    "secret '%s': cannot read '%s': %s", ref, path, g_strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > SPEC_SECRET_MAX) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
			    "secret '%s': '%s' is not a regular file of at most %d bytes", ref, path,
			    SPEC_SECRET_MAX);
		close(fd);
		return NULL;
	}
	buf = g_malloc(SPEC_SECRET_MAX + 1);
	n = read(fd, buf, SPEC_SECRET_MAX + 1);
	close(fd);
	if (n < 0 || n > SPEC_SECRET_MAX) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
			    "secret '%s': cannot read '%s'%s", ref, path,
			    n < 0 ? "" : ": it grew past the limit");
		memset(buf, 0, SPEC_SECRET_MAX + 1);
		g_free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = (gsize)n;
	return buf;
}

char *spec_read_secret(const struct lab_spec *spec, const char *ref, GError **error)
{
	g_autofree char *path = NULL;
	char *value = NULL;
	gsize len;

	if (g_str_has_prefix(ref, "env:")) {
		const char *v = g_getenv(ref + 4);

		if (!v || !*v) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
				    "secret '%s': the environment variable '%s' is not set", ref, ref + 4);
			return NULL;
		}
		return g_strdup(v);
	}
	if (!g_str_has_prefix(ref, "file:")) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "secret reference '%s' is neither env: nor file:", ref);
		return NULL;
	}
	/* a relative file is relative to the spec, like everything in it */
	path = g_path_is_absolute(ref + 5) ? g_strdup(ref + 5)
					   : g_build_filename(spec->dir, ref + 5, NULL);
	value = read_secret_file(ref, path, &len, error);
	if (!value)
		return NULL;
	/* one final newline is the file's, not the secret's */
	if (len && value[len - 1] == '\n')
		value[--len] = '\0';
	if (!len || strlen(value) != len) {
		g_free(value);
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
			    "secret '%s': '%s' is empty or holds a NUL byte", ref, path);
		return NULL;
	}
	return value;
}

/*
 * Reads @s and, for a CHAP password (@chap), checks what its value may
 * hold, without ever naming the value: the built-in templates put it as
 * it is ('| raw') into here-documents, node records and option lists, so
 * a newline, a quote or a space in it would change what they say; tgtd
 * takes a CHAP account as "user=U,password=P" (@in_list), where a ','
 * would add a parameter.  A key's passphrase only goes to libssh.
 */
static bool check_one(const struct lab_spec *spec, const struct ysecret *s, bool chap,
		      bool in_list, GError **error)
{
	g_autofree char *v = NULL;
	const char *why = NULL;

	if (!s->ref)
		return true;
	v = spec_read_secret(spec, s->ref, error);
	if (!v)
		return false;
	for (const char *c = v; chap && *c && !why; c++)
		if (!g_ascii_isalnum(*c) && !strchr("_.,:/@%+=-", *c))
			why = "may hold only letters, digits and '_.,:/@%+=-'";
	if (!why && chap && *v == '-')
		why = "must not start with '-'";
	if (!why && in_list && strchr(v, ','))
		why = "goes to tgtd in a comma-separated list (user=..,password=..), so it may not hold ','";
	memset(v, 0, strlen(v));
	if (why)
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
			    "%s:%u:%u: the value of secret '%s' %s", spec->file, s->loc.line, s->loc.col,
			    s->ref, why);
	return why == NULL;
}

/*
 * sudo -S reads the password as one line: a newline in it would end it
 * early and hand the rest to the command as a line of script.
 */
static bool check_become_password(const struct lab_spec *spec, const struct ysecret *s,
				  GError **error)
{
	g_autofree char *v = NULL;
	bool ok;

	if (!s->ref)
		return true;
	v = spec_read_secret(spec, s->ref, error);
	if (!v)
		return false;
	ok = !strpbrk(v, "\r\n");
	memset(v, 0, strlen(v));
	if (!ok)
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
			    "%s:%u:%u: the value of secret '%s' goes to sudo as one line, so it may not hold a line break",
			    spec->file, s->loc.line, s->loc.col, s->ref);
	return ok;
}

GPtrArray *spec_secret_refs(const struct lab_spec *spec)
{
	GPtrArray *refs = g_ptr_array_new();
	const struct ysecret *top[] = {
		&spec->ssh.passphrase, &spec->ssh.password, &spec->ssh.become_password,
	};

	for (size_t k = 0; k < G_N_ELEMENTS(top); k++)
		if (top[k]->ref)
			g_ptr_array_add(refs, top[k]->ref);
	for (guint i = 0; i < spec->nodes->len; i++) {
		const struct spec_node *n = g_ptr_array_index(spec->nodes, i);
		const struct ysecret *all[] = {
			&n->ssh.passphrase, &n->ssh.password, &n->ssh.become_password,
			&n->target.chap.password, &n->target.chap.mutual.password,
		};

		for (size_t k = 0; k < G_N_ELEMENTS(all); k++)
			if (all[k]->ref)
				g_ptr_array_add(refs, all[k]->ref);
	}
	return refs;
}

bool spec_check_secrets(const struct lab_spec *spec, GError **error)
{
	if (!check_one(spec, &spec->ssh.passphrase, false, false, error) ||
	    !check_one(spec, &spec->ssh.password, false, false, error) ||
	    !check_become_password(spec, &spec->ssh.become_password, error))
		return false;
	for (guint i = 0; i < spec->nodes->len; i++) {
		const struct spec_node *n = g_ptr_array_index(spec->nodes, i);
		bool tgt = n->role.v == ROLE_DISK && n->target.backend.v == TARGET_TGT;

		if (!check_one(spec, &n->ssh.passphrase, false, false, error) ||
		    !check_one(spec, &n->ssh.password, false, false, error) ||
		    !check_become_password(spec, &n->ssh.become_password, error) ||
		    !check_one(spec, &n->target.chap.password, true, tgt, error) ||
		    !check_one(spec, &n->target.chap.mutual.password, true, tgt, error))
			return false;
	}
	return true;
}
