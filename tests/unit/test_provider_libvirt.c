/*
 * test_provider_libvirt.c - the libvirt provider against libvirt's own
 * test:///default driver (no daemon): the objects it makes and journals
 * (the XML and seeds it writes: test_provider_libvirt_conf.c), a second up that makes nothing, a teardown from the
 * journal that leaves nothing, undos that find their object gone, and the
 * seed genisoimage really makes.
 *
 * The test driver keeps its objects only while a connection to it is open
 * in the process, so each test holds one for its whole run.  It cannot
 * upload into a volume (no streams), so the seed's upload is replaced by
 * one that keeps the ISO's bytes for the test to read: the ISO itself is
 * genisoimage's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <glib/gstdio.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "labctl/journal.h"
#include "labctl/provider_libvirt.h"
#include "labctl/teardown.h"
#include "labctl/validate.h"

#include "lv_helpers.h"

/* ---- up, up again, down, against the test driver ---- */

struct uploads {
	GHashTable *isos;       /* volume name -> GBytes of the ISO */
	guint calls;
};

static bool keep_upload(void *v, const char *uri, const char *iso, void *data, GError **error)
{
	struct uploads *u = data;
	char *bytes;
	gsize len;

	assert_string_equal(uri, TEST_URI);
	if (!g_file_get_contents(iso, &bytes, &len, error))
		return false;
	g_hash_table_insert(u->isos, g_strdup(virStorageVolGetName(v)), g_bytes_new_take(bytes, len));
	u->calls++;
	return true;
}

struct lv_fixture {
	char *tmp;
	char *state;
	char *base;
	virConnectPtr keep;     /* holds the test driver's objects */
	struct lab_spec *spec;
	struct journal *journal;
	struct provider_ctx ctx;
	struct uploads up;
	struct libvirt_opts opts;
	char *hash;
};

static void fx_init_with(struct lv_fixture *f, const char *base_image, const char *subnet,
			 const char *extra)
{
	g_autoptr(GPtrArray) diags = diags_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *text = NULL;

	need_tool("genisoimage", "genisoimage");
	need_tool("qemu-img", "qemu-utils");
	memset(f, 0, sizeof(*f));
	virSetErrorFunc(NULL, quiet);
	f->keep = virConnectOpen(TEST_URI);
	assert_non_null(f->keep);
	f->tmp = g_dir_make_tmp("labctl-lv-XXXXXX", NULL);
	f->state = g_build_filename(f->tmp, "state", NULL);
	f->base = g_build_filename(f->tmp, "base.qcow2", NULL);
	{
		const char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2", f->base, "64M", NULL };

		if (!provider_run(argv, &error))
			fail_msg("%s", error->message);
	}
	text = g_strdup_printf(
		"lab: lv\n"
		"provider:\n"
		"  type: libvirt\n"
		"  uri: test:///default\n"
		"  subnet: %s\n"
		"  base_image: %s\n"
		"%s"
		"nodes:\n"
		"  - name: d\n"
		"    role: disk\n"
		"    target: {luns: [{name: l, image: /l.img, size: 1MiB}]}\n"
		"  - name: h\n"
		"    role: host\n", subnet, base_image ? base_image : f->base, extra);
	f->spec = spec_load_data("lv.yaml", text, strlen(text), diags);
	if (!f->spec || !validate_spec(f->spec, diags))
		fail_msg("fixture spec invalid");
	f->journal = journal_open(f->state, &error);
	if (!f->journal)
		fail_msg("%s", error->message);
	f->ctx.spec = f->spec;
	f->ctx.state_dir = f->state;
	f->ctx.journal = f->journal;
	f->up.isos = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					   (GDestroyNotify)g_bytes_unref);
	f->opts.upload = keep_upload;
	f->opts.upload_data = &f->up;
	f->hash = hash_of(f->state);
}

static void fx_init(struct lv_fixture *f, const char *base_image)
{
	fx_init_with(f, base_image, "192.168.57.0/24", "");
}

static void fx_clear(struct lv_fixture *f)
{
	const char *argv[] = { "rm", "-rf", f->tmp, NULL };

	journal_close(f->journal);
	spec_free(f->spec);
	provider_run(argv, NULL);
	g_hash_table_unref(f->up.isos);
	virConnectClose(f->keep);
	g_free(f->tmp);
	g_free(f->state);
	g_free(f->base);
	g_free(f->hash);
}

/* How many objects of each kind on the test driver carry the lab's hash. */
struct census {
	guint domains, active_domains, networks, pools, volumes;
};

static struct census count(struct lv_fixture *f)
{
	g_autofree char *prefix = g_strdup_printf("labctl-%s", f->hash);
	struct census c = { 0 };
	virDomainPtr *doms = NULL;
	virNetworkPtr *nets = NULL;
	virStoragePoolPtr *pools = NULL;
	int n;

	n = virConnectListAllDomains(f->keep, &doms, 0);
	for (int i = 0; i < n; i++) {
		if (g_str_has_prefix(virDomainGetName(doms[i]), prefix)) {
			c.domains++;
			c.active_domains += virDomainIsActive(doms[i]) == 1;
		}
		virDomainFree(doms[i]);
	}
	free(doms);
	n = virConnectListAllNetworks(f->keep, &nets, 0);
	for (int i = 0; i < n; i++) {
		c.networks += g_str_has_prefix(virNetworkGetName(nets[i]), prefix);
		virNetworkFree(nets[i]);
	}
	free(nets);
	n = virConnectListAllStoragePools(f->keep, &pools, 0);
	for (int i = 0; i < n; i++) {
		virStorageVolPtr *vols = NULL;
		int m;

		c.pools += g_str_has_prefix(virStoragePoolGetName(pools[i]), prefix);
		m = virStoragePoolIsActive(pools[i]) == 1 ?
			virStoragePoolListAllVolumes(pools[i], &vols, 0) : 0;
		for (int j = 0; j < m; j++) {
			c.volumes += g_str_has_prefix(virStorageVolGetName(vols[j]), prefix);
			virStorageVolFree(vols[j]);
		}
		free(vols);
		virStoragePoolFree(pools[i]);
	}
	free(pools);
	return c;
}

static guint journal_len(struct journal *j)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) recs = journal_records(j, &error);

	assert_non_null(recs);
	return recs->len;
}

/* Undoes the journal as down does; must succeed. */
static void fx_down(struct lv_fixture *f)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) recs = journal_records(f->journal, &error);
	g_autoptr(GPtrArray) steps = NULL;
	struct teardown_opts o = { .verbosity = -1, .out = stderr, .provider = &provider_libvirt };
	struct teardown_result res = { 0 };

	assert_non_null(recs);
	steps = teardown_steps(recs);
	assert_true(teardown_run(steps, f->journal, &o, &res));
	assert_int_equal(res.failed, 0);
}

static void test_up_again_down(void **state)
{
	struct lv_fixture f;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) access = NULL;
	g_autoptr(GPtrArray) again = NULL;
	g_autoptr(GPtrArray) recs = NULL;
	g_autofree char *kh_path = NULL;
	g_autofree char *kh = NULL;
	g_autofree char *dom_name = NULL;
	g_autofree char *files = NULL;
	struct census c;
	const struct node_access *a;
	virDomainPtr dom;
	guint before, libvirt_records = 0;

	(void)state;
	fx_init(&f, NULL);
	access = libvirt_up(&f.ctx, &f.opts, &error);
	if (!access)
		fail_msg("%s", error->message);

	/* one network, one pool, two volumes and a running domain per node */
	c = count(&f);
	assert_int_equal(c.networks, 1);
	assert_int_equal(c.pools, 1);
	assert_int_equal(c.volumes, 4);
	assert_int_equal(c.domains, 2);
	assert_int_equal(c.active_domains, 2);
	dom_name = g_strdup_printf("labctl-%s-h", f.hash);
	dom = virDomainLookupByName(f.keep, dom_name);
	assert_non_null(dom);
	{
		g_autofree char *xml = virDomainGetXMLDesc(dom, 0);
		struct libvirt_lab *l = libvirt_lab_new(f.spec, f.state, &error);

		assert_true(has(xml, ((struct libvirt_node *)g_ptr_array_index(l->nodes, 1))->mac));
		assert_true(has(xml, "<readonly/>"));
		libvirt_lab_free(l);
	}
	virDomainFree(dom);

	/* every object was journaled as a libvirt undo before it was made */
	recs = journal_records(f.journal, &error);
	for (guint i = 0; i < recs->len; i++) {
		JsonObject *r = g_ptr_array_index(recs, i);
		JsonObject *u = json_object_has_member(r, "undo") &&
				JSON_NODE_HOLDS_OBJECT(json_object_get_member(r, "undo")) ?
				json_object_get_object_member(r, "undo") : NULL;

		if (u && !g_strcmp0(json_object_get_string_member(u, "op"), "libvirt")) {
			libvirt_records++;
			assert_string_equal(json_object_get_string_member(u, "uri"), TEST_URI);
		}
	}
	assert_int_equal(libvirt_records, 1 + 1 + 4 + 2);

	/* the seed: genisoimage's ISO labelled cidata, holding root's key */
	assert_int_equal(f.up.calls, 2);
	{
		g_autofree char *seed = g_strdup_printf("labctl-%s-h-seed.iso", f.hash);
		GBytes *iso = g_hash_table_lookup(f.up.isos, seed);
		gsize len;
		const char *bytes;
		g_autofree char *pub_path = g_build_filename(f.state, "libvirt", "client_key.pub", NULL);
		g_autofree char *pub = slurp(pub_path);
		g_auto(GStrv) w = g_strsplit(pub, " ", 3);

		assert_non_null(iso);
		bytes = g_bytes_get_data(iso, &len);
		assert_true(len > 32813);
		/* the primary volume descriptor's volume id */
		assert_memory_equal(bytes + 32808, "cidata", 6);
		assert_non_null(memmem(bytes, len, w[1], strlen(w[1])));
		assert_non_null(memmem(bytes, len, "#cloud-config\n", 14));
	}

	/* known_hosts pins each node's host key at its address */
	kh_path = g_build_filename(f.state, "known_hosts", NULL);
	kh = slurp(kh_path);
	/* labctl's mark first: down removes only a known_hosts that carries it */
	assert_true(g_str_has_prefix(kh, PROVIDER_KNOWN_HOSTS_MARK "192.168.57.10 ssh-ed25519 "));
	assert_true(has(kh, "\n192.168.57.11 ssh-ed25519 "));
	a = g_ptr_array_index(access, 1);
	assert_string_equal(a->ssh.host, "192.168.57.11");
	assert_string_equal(a->ssh.user, "root");
	assert_false(a->ssh.use_config);
	assert_string_equal(a->ssh.known_hosts, kh_path);

	/* a second up finds everything, journals nothing and uploads nothing */
	before = journal_len(f.journal);
	again = libvirt_up(&f.ctx, &f.opts, &error);
	if (!again)
		fail_msg("%s", error->message);
	assert_int_equal(journal_len(f.journal), before);
	assert_int_equal(f.up.calls, 2);
	c = count(&f);
	assert_int_equal(c.domains, 2);
	assert_int_equal(c.volumes, 4);
	assert_int_equal(c.networks, 1);

	/* a stopped domain is started again */
	dom = virDomainLookupByName(f.keep, dom_name);
	assert_int_equal(virDomainDestroy(dom), 0);
	g_clear_pointer(&again, g_ptr_array_unref);
	again = libvirt_up(&f.ctx, &f.opts, &error);
	assert_non_null(again);
	assert_int_equal(virDomainIsActive(dom), 1);
	virDomainFree(dom);

	/* down leaves nothing: no object, no keys, no seeds */
	fx_down(&f);
	c = count(&f);
	assert_int_equal(c.domains + c.networks + c.pools + c.volumes, 0);
	files = g_build_filename(f.state, "libvirt", NULL);
	assert_false(g_file_test(files, G_FILE_TEST_EXISTS));
	fx_clear(&f);
}

/*
 * provider.extra_subnets: a network of the lab's own per entry, journaled
 * like the first, with a DHCP host entry and a NIC for every node, each
 * with a MAC of its own; down takes them away with the rest.
 */
static void test_extra_networks(void **state)
{
	struct lv_fixture f;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) access = NULL;
	g_autofree char *net_name = NULL;
	g_autofree char *dom_name = NULL;
	g_autofree char *xml = NULL;
	g_autofree char *dom_xml = NULL;
	struct libvirt_lab *l;
	const struct libvirt_node *h;
	virNetworkPtr net;
	virDomainPtr dom;
	guint before;

	(void)state;
	fx_init_with(&f, NULL, "192.168.57.0/24", "  extra_subnets: [192.168.58.0/24]\n");
	access = libvirt_up(&f.ctx, &f.opts, &error);
	if (!access)
		fail_msg("%s", error->message);
	assert_int_equal(count(&f).networks, 2);
	net_name = g_strdup_printf("labctl-%s-n1", f.hash);
	net = virNetworkLookupByName(f.keep, net_name);
	assert_non_null(net);
	assert_int_equal(virNetworkIsActive(net), 1);
	xml = virNetworkGetXMLDesc(net, 0);
	virNetworkFree(net);
	l = libvirt_lab_new(f.spec, f.state, &error);
	assert_non_null(l);
	h = g_ptr_array_index(l->nodes, 1);
	/* the host's address there: its own host part (.11) in the extra subnet */
	assert_string_equal(g_ptr_array_index(h->extra_addresses, 0), "192.168.58.11");
	assert_true(has(xml, "192.168.58.1"));
	assert_true(has(xml, g_ptr_array_index(h->extra_macs, 0)));
	assert_true(has(xml, "ip='192.168.58.11'"));
	assert_false(has(xml, "<forward"));
	assert_string_not_equal(g_ptr_array_index(h->extra_macs, 0), h->mac);
	dom_name = g_strdup_printf("labctl-%s-h", f.hash);
	dom = virDomainLookupByName(f.keep, dom_name);
	assert_non_null(dom);
	dom_xml = virDomainGetXMLDesc(dom, 0);
	virDomainFree(dom);
	assert_true(has(dom_xml, h->mac));
	assert_true(has(dom_xml, g_ptr_array_index(h->extra_macs, 0)));
	assert_true(has(dom_xml, net_name));
	libvirt_lab_free(l);

	/* a second up journals nothing more */
	before = journal_len(f.journal);
	g_clear_pointer(&access, g_ptr_array_unref);
	access = libvirt_up(&f.ctx, &f.opts, &error);
	assert_non_null(access);
	assert_int_equal(journal_len(f.journal), before);

	fx_down(&f);
	assert_int_equal(count(&f).networks, 0);
	fx_clear(&f);
}

/* An object made behind labctl's back under the lab's name is adopted, so down removes it. */
static void test_adopt_and_missing_objects(void **state)
{
	struct lv_fixture f;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) access = NULL;
	struct libvirt_lab *l;
	g_autofree char *net_xml = NULL;
	virNetworkPtr net;
	struct census c;

	(void)state;
	fx_init(&f, NULL);
	l = libvirt_lab_new(f.spec, f.state, &error);
	net_xml = libvirt_network_xml(l, TEST_URI);
	net = virNetworkDefineXML(f.keep, net_xml);
	assert_non_null(net);
	virNetworkFree(net);
	access = libvirt_up(&f.ctx, &f.opts, &error);
	if (!access)
		fail_msg("%s", error->message);
	c = count(&f);
	assert_int_equal(c.networks, 1);

	/* someone took a domain and a volume away: down still succeeds */
	{
		struct libvirt_node *n = g_ptr_array_index(l->nodes, 0);
		virDomainPtr d = virDomainLookupByName(f.keep, n->domain);
		virStoragePoolPtr p = virStoragePoolLookupByName(f.keep, l->pool);
		virStorageVolPtr v = virStorageVolLookupByName(p, n->overlay);

		assert_int_equal(virDomainDestroy(d), 0);
		assert_int_equal(virDomainUndefine(d), 0);
		assert_int_equal(virStorageVolDelete(v, 0), 0);
		virDomainFree(d);
		virStorageVolFree(v);
		virStoragePoolFree(p);
	}
	fx_down(&f);
	c = count(&f);
	assert_int_equal(c.domains + c.networks + c.pools + c.volumes, 0);
	libvirt_lab_free(l);
	fx_clear(&f);
}

static void test_missing_base_image(void **state)
{
	struct lv_fixture f;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) access = NULL;
	struct census c;

	(void)state;
	fx_init(&f, "/nonexistent/labctl/base.qcow2");
	access = libvirt_up(&f.ctx, &f.opts, &error);
	assert_null(access);
	assert_non_null(error);
	assert_true(g_str_has_prefix(error->message,
				     "base_image '/nonexistent/labctl/base.qcow2' of the libvirt provider cannot be read: "));
	/* checked before anything was made or journaled */
	c = count(&f);
	assert_int_equal(c.domains + c.networks + c.pools + c.volumes, 0);
	/* the journal's header alone */
	assert_int_equal(journal_len(f.journal), 1);
	fx_clear(&f);
}

/* The base image as a volume of a pool: found through libvirt, as on a remote host. */
static void test_base_image_in_pool(void **state)
{
	struct lv_fixture f;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) access = NULL;
	virStoragePoolPtr p;
	virStorageVolPtr base;
	struct libvirt_lab *l;

	(void)state;
	virSetErrorFunc(NULL, quiet);
	{
		virConnectPtr c = virConnectOpen(TEST_URI);

		/* made before the fixture's connection: it stays while one is open */
		p = virStoragePoolLookupByName(c, "default-pool");
		base = virStorageVolCreateXML(p,
			"<volume><name>lvbase.qcow2</name><capacity>3000000</capacity>"
			"<target><format type='qcow2'/></target></volume>", 0);
		assert_non_null(base);
		fx_init(&f, "/default-pool/lvbase.qcow2");
		virConnectClose(c);
	}
	access = libvirt_up(&f.ctx, &f.opts, &error);
	if (!access)
		fail_msg("%s", error->message);
	l = libvirt_lab_new(f.spec, f.state, &error);
	{
		struct libvirt_node *n = g_ptr_array_index(l->nodes, 0);
		virStoragePoolPtr ours = virStoragePoolLookupByName(f.keep, l->pool);
		virStorageVolPtr v = virStorageVolLookupByName(ours, n->overlay);
		g_autofree char *xml = virStorageVolGetXMLDesc(v, 0);

		/* the overlay has the base's size and sits on it */
		assert_true(has(xml, "<capacity unit='bytes'>3000000</capacity>"));
		assert_true(has(xml, "<path>/default-pool/lvbase.qcow2</path>"));
		virStorageVolFree(v);
		virStoragePoolFree(ours);
	}
	fx_down(&f);
	virStorageVolDelete(base, 0);
	virStorageVolFree(base);
	virStoragePoolFree(p);
	libvirt_lab_free(l);
	fx_clear(&f);
}

/* The test driver's network "default" and pool "default-pool": used, and left as they were. */
static void test_given_network_and_pool(void **state)
{
	struct lv_fixture f;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) access = NULL;
	g_autoptr(GPtrArray) again = NULL;
	g_autofree char *before = NULL;
	g_autofree char *during = NULL;
	g_autofree char *after = NULL;
	struct libvirt_lab *l;
	virNetworkPtr net;
	virStoragePoolPtr pool;
	struct census c;
	guint records;

	(void)state;
	fx_init_with(&f, NULL, "192.168.122.0/24", "  network: default\n  pool: default-pool\n");
	net = virNetworkLookupByName(f.keep, "default");
	pool = virStoragePoolLookupByName(f.keep, "default-pool");
	assert_non_null(net);
	assert_non_null(pool);
	before = virNetworkGetXMLDesc(net, 0);
	access = libvirt_up(&f.ctx, &f.opts, &error);
	if (!access)
		fail_msg("%s", error->message);
	l = libvirt_lab_new(f.spec, f.state, &error);
	during = virNetworkGetXMLDesc(net, 0);
	for (guint i = 0; i < l->nodes->len; i++) {
		g_autofree char *host = libvirt_dhcp_host_xml(g_ptr_array_index(l->nodes, i));

		assert_true(has(during, host));
	}
	/* no network or pool of the lab's own; its volumes in the given pool */
	c = count(&f);
	assert_int_equal(c.networks + c.pools, 0);
	assert_int_equal(c.volumes, 4);
	assert_int_equal(c.domains, 2);
	/* again: the entries are there once */
	records = journal_len(f.journal);
	again = libvirt_up(&f.ctx, &f.opts, &error);
	assert_non_null(again);
	assert_int_equal(journal_len(f.journal), records);
	g_free(during);
	during = virNetworkGetXMLDesc(net, 0);
	{
		struct libvirt_node *n = g_ptr_array_index(l->nodes, 0);
		const char *first = strstr(during, n->mac);

		assert_non_null(first);
		assert_null(strstr(first + 1, n->mac));
	}
	fx_down(&f);
	c = count(&f);
	assert_int_equal(c.domains + c.networks + c.pools + c.volumes, 0);
	after = virNetworkGetXMLDesc(net, 0);
	assert_string_equal(after, before);
	assert_int_equal(virStoragePoolIsActive(pool), 1);
	virNetworkFree(net);
	virStoragePoolFree(pool);
	libvirt_lab_free(l);
	fx_clear(&f);
}

/* A given network must give the nodes their addresses; checked before anything is made. */
static void test_given_network_wrong_subnet(void **state)
{
	struct lv_fixture f;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) access = NULL;

	(void)state;
	fx_init_with(&f, NULL, "192.168.57.0/24", "  network: default\n");
	access = libvirt_up(&f.ctx, &f.opts, &error);
	assert_null(access);
	assert_string_equal(error->message,
			    "network 'default' on 'test:///default' has no DHCP on a subnet that holds 192.168.57.10, the address of node 'd'");
	fx_down(&f);
	fx_clear(&f);
}

/*
 * Waiting for SSH on nodes that never answer: on loopback addresses
 * (nothing else is ever contacted), with the console's tail in the error.
 */
static void test_wait_times_out(void **state)
{
	struct lv_fixture f;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) access = NULL;
	g_autofree char *dir = NULL;
	g_autofree char *console = NULL;
	g_autofree char *want = NULL;
	gint64 t0;

	(void)state;
	fx_init_with(&f, NULL, "127.77.0.0/24", "");
	dir = g_build_filename(f.state, "libvirt", NULL);
	console = g_build_filename(dir, "h-console.log", NULL);
	assert_int_equal(g_mkdir_with_parents(dir, 0700), 0);
	assert_true(g_file_set_contents(console,
		"early line\n\033[0;32m  OK  \033[0m] Started ssh.service\r\nh login: \n", -1, NULL));
	f.opts.boot_seconds = 3;
	t0 = g_get_monotonic_time();
	access = libvirt_up(&f.ctx, &f.opts, &error);
	assert_null(access);
	/* both nodes waited for at once: about 3 s, not 6 */
	assert_true(g_get_monotonic_time() - t0 < 6 * G_USEC_PER_SEC);
	want = g_strdup_printf("node 'd' (domain labctl-%s-d) does not answer SSH at 127.77.0.10:22 after 3 s: ",
			       f.hash);
	assert_true(g_str_has_prefix(error->message, want));
	g_free(want);
	want = g_strdup_printf("its serial console log %s/d-console.log is empty or missing", dir);
	assert_true(has(error->message, want));
	fx_down(&f);

	/* the other node's console, without colour codes and carriage returns */
	g_clear_error(&error);
	g_clear_pointer(&f.spec, spec_free);
	{
		static const char text[] =
			"lab: lv\n"
			"provider: {type: libvirt, uri: 'test:///default', subnet: 127.77.0.0/24, base_image: %s}\n"
			"nodes:\n"
			"  - {name: h, role: host}\n";
		g_autoptr(GPtrArray) diags = diags_new();
		g_autofree char *t = g_strdup_printf(text, f.base);

		f.spec = spec_load_data("lv.yaml", t, strlen(t), diags);
		assert_true(validate_spec(f.spec, diags));
		f.ctx.spec = f.spec;
	}
	assert_int_equal(g_mkdir_with_parents(dir, 0700), 0);
	assert_true(g_file_set_contents(console,
		"early line\n\033[0;32m  OK  \033[0m] Started ssh.service\r\nh login: \n", -1, NULL));
	access = libvirt_up(&f.ctx, &f.opts, &error);
	assert_null(access);
	g_free(want);
	want = g_strdup_printf("last lines of its serial console (%s):\nearly line\n  OK  ] Started ssh.service\nh login: \n",
			       console);
	assert_true(has(error->message, want));
	fx_down(&f);
	fx_clear(&f);
}

/* Undos of the lab of hash 00000000. */
static struct undo_ctx lab0 = { .state_dir = (char *)"/nonexistent/state", .hash = (char *)"00000000" };

/* Each undo of an object that is not there succeeds; a bad record does not. */
static void test_undo_gone(void **state)
{
	static const char *const ok[] = {
		"{\"op\":\"libvirt\",\"uri\":\"test:///default\",\"kind\":\"domain\",\"name\":\"labctl-00000000-x\"}",
		"{\"op\":\"libvirt\",\"uri\":\"test:///default\",\"kind\":\"network\",\"name\":\"labctl-00000000\"}",
		"{\"op\":\"libvirt\",\"uri\":\"test:///default\",\"kind\":\"network\",\"name\":\"labctl-00000000-n1\"}",
		"{\"op\":\"libvirt\",\"uri\":\"test:///default\",\"kind\":\"pool\",\"name\":\"labctl-00000000\"}",
		"{\"op\":\"libvirt\",\"uri\":\"test:///default\",\"kind\":\"volume\",\"name\":\"labctl-00000000-v\",\"pool\":\"labctl-00000000\"}",
		"{\"op\":\"libvirt\",\"uri\":\"test:///default\",\"kind\":\"volume\",\"name\":\"labctl-00000000-nothere\",\"pool\":\"default-pool\"}",
		"{\"op\":\"libvirt\",\"uri\":\"test:///default\",\"kind\":\"dhcp-host\",\"name\":\"default\",\"mac\":\"MAC\",\"host\":\"h\"}",
	};
	static const struct {
		const char *json, *error;
	} bad[] = {
		{ "{\"op\":\"libvirt\",\"uri\":\"test:///default\",\"kind\":\"snapshot\",\"name\":\"x\"}",
		  "unknown libvirt object kind 'snapshot'" },
		{ "{\"op\":\"libvirt\",\"kind\":\"domain\",\"name\":\"x\"}",
		  "libvirt undo without uri, name or pool" },
		{ "{\"op\":\"libvirt\",\"uri\":\"test:///default\",\"kind\":\"volume\",\"name\":\"x\"}",
		  "libvirt undo without uri, name or pool" },
		/* another lab's, or nobody's */
		{ "{\"op\":\"libvirt\",\"uri\":\"test:///default\",\"kind\":\"domain\",\"name\":\"labctl-11111111-x\"}",
		  "undo 'libvirt' names domain 'labctl-11111111-x', which is not this lab's: refused, and nothing was run" },
		{ "{\"op\":\"libvirt\",\"uri\":\"test:///default\",\"kind\":\"network\",\"name\":\"labctl-00000000-x\"}",
		  "undo 'libvirt' names network 'labctl-00000000-x', which is not this lab's: refused, and nothing was run" },
		{ "{\"op\":\"libvirt\",\"uri\":\"test:///default\",\"kind\":\"network\",\"name\":\"labctl-00000000-n0\"}",
		  "undo 'libvirt' names network 'labctl-00000000-n0', which is not this lab's: refused, and nothing was run" },
		{ "{\"op\":\"libvirt\",\"uri\":\"test:///default\",\"kind\":\"network\",\"name\":\"labctl-11111111-n1\"}",
		  "undo 'libvirt' names network 'labctl-11111111-n1', which is not this lab's: refused, and nothing was run" },
		{ "{\"op\":\"libvirt\",\"uri\":\"test:///default\",\"kind\":\"pool\",\"name\":\"default-pool\"}",
		  "undo 'libvirt' names pool 'default-pool', which is not this lab's: refused, and nothing was run" },
		{ "{\"op\":\"libvirt\",\"uri\":\"test:///default\",\"kind\":\"dhcp-host\",\"name\":\"default\",\"mac\":\"52:54:00:00:00:01\",\"host\":\"h\"}",
		  "undo 'libvirt' names dhcp-host '52:54:00:00:00:01', which is not this lab's: refused, and nothing was run" },
	};
	char mac[18];
	virConnectPtr keep;

	(void)state;
	virSetErrorFunc(NULL, quiet);
	keep = virConnectOpen(TEST_URI);
	libvirt_node_mac("00000000", "h", mac);
	for (size_t i = 0; i < G_N_ELEMENTS(ok); i++) {
		g_autoptr(GString) json = g_string_new(ok[i]);
		g_autoptr(JsonNode) node = NULL;
		g_autoptr(GError) error = NULL;

		g_string_replace(json, "MAC", mac, 0);
		node = json_from_string(json->str, NULL);
		if (!provider_undo(&provider_libvirt, &lab0, json_node_get_object(node), &error))
			fail_msg("%s: %s", json->str, error->message);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(JsonNode) node = json_from_string(bad[i].json, NULL);
		g_autoptr(GError) error = NULL;

		assert_false(provider_undo(&provider_libvirt, &lab0, json_node_get_object(node), &error));
		assert_string_equal(error->message, bad[i].error);
	}
	virConnectClose(keep);
}

/* A daemon that does not answer: the message names the URI and how to start it. */
static void test_no_daemon(void **state)
{
	static const char uri[] = "qemu+unix:///system?socket=/nonexistent/labctl/libvirt-sock";
	static const char undo[] =
		"{\"op\":\"libvirt\",\"uri\":\"qemu+unix:///system?socket=/nonexistent/labctl/libvirt-sock\","
		"\"kind\":\"network\",\"name\":\"labctl-00000000\"}";
	g_autoptr(JsonNode) node = json_from_string(undo, NULL);
	g_autoptr(GError) error = NULL;
	g_autofree char *want = g_strdup_printf("cannot connect to libvirt at '%s': ", uri);

	(void)state;
	assert_false(provider_undo(&provider_libvirt, &lab0, json_node_get_object(node), &error));
	assert_true(g_str_has_prefix(error->message, want));
	assert_true(has(error->message, "'virtlogd -d; libvirtd -d'"));
}

/* access() names the nodes without touching libvirt: status and down work without it. */
static void test_access(void **state)
{
	static const char text[] =
		"lab: lv\n"
		"provider: {type: libvirt, uri: 'qemu+unix:///system?socket=/nonexistent/sock', base_image: /b.qcow2}\n"
		"nodes:\n"
		"  - name: h\n"
		"    role: host\n";
	struct lab_spec *spec = load(text);
	struct provider_ctx ctx = { .spec = spec, .state_dir = "/tmp/labctl-lv-access" };
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) access = NULL;
	const struct node_access *a;

	(void)state;
	assert_ptr_equal(provider_for(spec), &provider_libvirt);
	access = provider_libvirt.access(&ctx, &error);
	assert_non_null(access);
	assert_int_equal(access->len, 1);
	a = g_ptr_array_index(access, 0);
	assert_string_equal(a->ssh.host, "192.168.56.10");
	assert_string_equal(a->ssh.user, "root");
	assert_int_equal(a->ssh.port, 22);
	assert_string_equal(a->ssh.key, "/tmp/labctl-lv-access/libvirt/client_key");
	assert_string_equal(a->ssh.known_hosts, "/tmp/labctl-lv-access/known_hosts");
	assert_false(g_file_test("/tmp/labctl-lv-access", G_FILE_TEST_EXISTS));
	spec_free(spec);
}

static gpointer stop_soon(gpointer data)
{
	g_usleep(G_USEC_PER_SEC / 2);
	g_cancellable_cancel(data);
	return NULL;
}

/* ^C while waiting: up returns at once, and down still takes it all away. */
static void test_wait_interrupted(void **state)
{
	struct lv_fixture f;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) access = NULL;
	g_autoptr(GCancellable) cancel = g_cancellable_new();
	GThread *t;
	gint64 t0;

	(void)state;
	fx_init_with(&f, NULL, "127.77.0.0/24", "");
	f.opts.boot_seconds = 60;
	t0 = g_get_monotonic_time();
	f.ctx.cancel = cancel;
	t = g_thread_new("stop", stop_soon, cancel);
	access = libvirt_up(&f.ctx, &f.opts, &error);
	f.ctx.cancel = NULL;
	g_thread_join(t);
	assert_null(access);
	assert_true(g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
	assert_true(g_get_monotonic_time() - t0 < 5 * G_USEC_PER_SEC);
	fx_down(&f);
	assert_int_equal(count(&f).domains, 0);
	fx_clear(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_up_again_down),
		cmocka_unit_test(test_extra_networks),
		cmocka_unit_test(test_adopt_and_missing_objects),
		cmocka_unit_test(test_missing_base_image),
		cmocka_unit_test(test_base_image_in_pool),
		cmocka_unit_test(test_given_network_and_pool),
		cmocka_unit_test(test_given_network_wrong_subnet),
		cmocka_unit_test(test_wait_times_out),
		cmocka_unit_test(test_undo_gone),
		cmocka_unit_test(test_no_daemon),
		cmocka_unit_test(test_access),
		cmocka_unit_test(test_wait_interrupted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
