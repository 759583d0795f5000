/*
 * test_provider_libvirt_conf.c - what the libvirt provider writes, without
 * a hypervisor: names, the XML of every object, the cloud-init seed's
 * files, and the capabilities read from libvirt's test:///default driver
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
#include <yaml.h>

#include "labctl/provider_libvirt.h"
#include "labctl/validate.h"

#include "lv_helpers.h"

/* ---- the virtualization type ---- */

static void test_virt_type(void **state)
{
	static const struct {
		const char *caps, *type, *arch;
	} cases[] = {
		{ "<capabilities><host><cpu><arch>x86_64</arch></cpu></host>"
		  "<guest><os_type>hvm</os_type><arch name='x86_64'><domain type='qemu'/>"
		  "<domain type='kvm'/></arch></guest></capabilities>", "kvm", "x86_64" },
		{ "<capabilities><host><cpu><arch>x86_64</arch></cpu></host>"
		  "<guest><os_type>hvm</os_type><arch name='x86_64'><domain type='qemu'/></arch></guest>"
		  "</capabilities>", "qemu", "x86_64" },
		/* kvm for another architecture than the host's is no use */
		{ "<capabilities><host><cpu><arch>x86_64</arch></cpu></host>"
		  "<guest><arch name='i686'><domain type='kvm'/></arch></guest>"
		  "<guest><arch name='x86_64'><domain type='qemu'/></arch></guest></capabilities>",
		  "qemu", "x86_64" },
		{ "<capabilities><host><cpu><arch>aarch64</arch></cpu></host>"
		  "<guest><arch name='aarch64'><domain type='kvm'/></arch></guest></capabilities>",
		  "kvm", "aarch64" },
		{ "not xml at all", "qemu", "x86_64" },
		{ "", "qemu", "x86_64" },
	};
	virConnectPtr c;
	g_autofree char *caps = NULL;
	g_autofree char *arch = NULL;

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *a = NULL;

		assert_string_equal(libvirt_virt_type(cases[i].caps, &a), cases[i].type);
		assert_string_equal(a, cases[i].arch);
	}
	/* the test driver's own: an i686 host with no kvm */
	virSetErrorFunc(NULL, quiet);
	c = virConnectOpen(TEST_URI);
	assert_non_null(c);
	caps = virConnectGetCapabilities(c);
	assert_non_null(caps);
	assert_string_equal(libvirt_virt_type(caps, &arch), "qemu");
	assert_string_equal(arch, "i686");
	virConnectClose(c);
}

/* ---- names and XML ---- */

static const char xml_spec[] =
	"lab: lv\n"
	"provider:\n"
	"  type: libvirt\n"
	"  uri: test:///default\n"
	"  subnet: 192.168.57.0/24\n"
	"  base_image: /images/base.qcow2\n"
	"  memory: 512MiB\n"
	"  vcpus: 2\n"
	"  kernel: /images/vmlinuz\n"
	"  initrd: /images/initrd.img\n"
	"nodes:\n"
	"  - name: d\n"
	"    role: disk\n"
	"    target: {luns: [{name: l, image: /l.img, size: 1MiB}]}\n"
	"    vm: {memory: 1GiB, vcpus: 1, uri: 'qemu+ssh://hv2/system'}\n"
	"  - name: h\n"
	"    role: host\n";

static void test_names_and_xml(void **state)
{
	struct lab_spec *spec = load(xml_spec);
	g_autoptr(GError) error = NULL;
	struct libvirt_lab *l = libvirt_lab_new(spec, "/srv/labs/.labctl/lv", &error);
	struct libvirt_lab *again = libvirt_lab_new(spec, "/srv/labs/.labctl/lv", &error);
	struct libvirt_lab *other = libvirt_lab_new(spec, "/srv/other/.labctl/lv", &error);
	g_autofree char *hash = hash_of("/srv/labs/.labctl/lv");
	g_autofree char *name = g_strdup_printf("labctl-%s-d", hash);
	g_autofree char *net = NULL;
	g_autofree char *net2 = NULL;
	g_autofree char *pool = NULL;
	g_autofree char *overlay = NULL;
	g_autofree char *seedvol = NULL;
	g_autofree char *dom = NULL;
	g_autofree char *dom_kvm = NULL;
	g_autofree char *want = NULL;
	struct libvirt_node *d, *h;

	(void)state;
	assert_non_null(l);
	assert_string_equal(l->hash, hash);
	d = g_ptr_array_index(l->nodes, 0);
	h = g_ptr_array_index(l->nodes, 1);
	assert_string_equal(d->domain, name);
	want = g_strdup_printf("labctl-%s", hash);
	assert_string_equal(l->network, want);
	assert_string_equal(l->pool, want);
	assert_true(l->own_network && l->own_pool);
	g_free(want);
	want = g_strdup_printf("%s.qcow2", name);
	assert_string_equal(d->overlay, want);
	g_free(want);
	want = g_strdup_printf("%s-seed.iso", name);
	assert_string_equal(d->seed, want);
	assert_string_equal(l->gateway, "192.168.57.1");
	assert_int_equal(l->prefix, 24);

	/* the node's vm settings before the provider's; one URI each, in order */
	assert_string_equal(d->uri, "qemu+ssh://hv2/system");
	assert_false(d->local);
	assert_true(d->memory == 1ULL << 30);
	assert_int_equal(d->vcpus, 1);
	assert_string_equal(h->uri, TEST_URI);
	assert_true(h->local);
	assert_true(h->memory == 512ULL << 20);
	assert_int_equal(h->vcpus, 2);
	assert_int_equal(l->uris->len, 2);
	/* a remote console log is on the hypervisor; a local one in the state */
	assert_true(g_str_has_prefix(d->console, "/var/log/libvirt/qemu/labctl-"));
	assert_true(g_str_has_prefix(h->console, "/srv/labs/.labctl/lv/libvirt/"));

	/* MACs: QEMU's prefix, stable for the lab, different per node and lab */
	assert_int_equal(strlen(d->mac), 17);
	assert_true(g_str_has_prefix(d->mac, "52:54:00:"));
	assert_string_equal(d->mac, ((struct libvirt_node *)g_ptr_array_index(again->nodes, 0))->mac);
	assert_string_not_equal(d->mac, h->mac);
	assert_string_not_equal(d->mac, ((struct libvirt_node *)g_ptr_array_index(other->nodes, 0))->mac);
	assert_string_not_equal(l->hash, other->hash);

	/* isolated: no <forward>; the host at .1; only the URI's nodes get DHCP */
	net = libvirt_network_xml(l, TEST_URI);
	assert_false(has(net, "<forward"));
	assert_true(has(net, "<ip address='192.168.57.1' prefix='24'>"));
	g_free(want);
	want = g_strdup_printf("<host mac='%s' name='h' ip='192.168.57.11'/>", h->mac);
	assert_true(has(net, want));
	assert_false(has(net, d->mac));
	net2 = libvirt_network_xml(l, "qemu+ssh://hv2/system");
	g_free(want);
	want = g_strdup_printf("<host mac='%s' name='d' ip='192.168.57.10'/>", d->mac);
	assert_true(has(net2, want));
	g_free(want);
	want = g_strdup_printf("<bridge name='lv%s'", hash);
	assert_true(has(net, want));

	pool = libvirt_pool_xml(l, "/var/lib/libvirt/images/x");
	assert_true(has(pool, "<pool type='dir'>"));
	assert_true(has(pool, "<path>/var/lib/libvirt/images/x</path>"));

	overlay = libvirt_overlay_xml(d, "/images/base.qcow2", "qcow2", 1ULL << 31);
	assert_true(has(overlay, "<format type='qcow2'/>"));
	assert_true(has(overlay, "<backingStore>\n    <path>/images/base.qcow2</path>\n    <format type='qcow2'/>"));
	assert_true(has(overlay, "<capacity unit='bytes'>2147483648</capacity>"));
	seedvol = libvirt_seed_volume_xml(d, 374784);
	assert_true(has(seedvol, "<format type='raw'/>"));
	assert_true(has(seedvol, "374784"));

	/* TCG, direct kernel boot with the default command line */
	dom = libvirt_domain_xml(l, h, "qemu", "x86_64", "/p/o.qcow2", "/p/s.iso");
	assert_true(has(dom, "<domain type='qemu'>"));
	assert_false(has(dom, "host-passthrough"));
	assert_true(has(dom, "<memory unit='KiB'>524288</memory>"));
	assert_true(has(dom, "<vcpu>2</vcpu>"));
	assert_true(has(dom, "<type arch='x86_64'>hvm</type>"));
	assert_true(has(dom, "<kernel>/images/vmlinuz</kernel>"));
	assert_true(has(dom, "<initrd>/images/initrd.img</initrd>"));
	assert_true(has(dom, "<cmdline>root=/dev/vda console=ttyS0 no_timer_check</cmdline>"));
	assert_false(has(dom, "<boot dev="));
	assert_true(has(dom, "<source file='/p/o.qcow2'/>\n      <target dev='vda' bus='virtio'/>"));
	assert_true(has(dom, "<source file='/p/s.iso'/>\n      <target dev='vdb' bus='virtio'/>\n      <readonly/>"));
	g_free(want);
	want = g_strdup_printf("<source network='labctl-%s'/>\n      <mac address='%s'/>\n      <model type='virtio'/>",
			       hash, h->mac);
	assert_true(has(dom, want));
	g_free(want);
	want = g_strdup_printf("<serial type='file'>\n      <source path='%s'/>", h->console);
	assert_true(has(dom, want));

	/* KVM passes the host's CPU through */
	dom_kvm = libvirt_domain_xml(l, d, "kvm", "x86_64", "/p/o.qcow2", "/p/s.iso");
	assert_true(has(dom_kvm, "<domain type='kvm'>"));
	assert_true(has(dom_kvm, "<cpu mode='host-passthrough'/>"));
	assert_true(has(dom_kvm, "<memory unit='KiB'>1048576</memory>"));

	libvirt_lab_free(l);
	libvirt_lab_free(again);
	libvirt_lab_free(other);
	spec_free(spec);
}

static void test_disk_boot_and_given_network(void **state)
{
	static const char text[] =
		"lab: lv\n"
		"provider:\n"
		"  type: libvirt\n"
		"  base_image: /images/base.qcow2\n"
		"  network: labnet\n"
		"  pool: default\n"
		"  kernel: /k\n"
		"  initrd: /i\n"
		"  cmdline: 'root=/dev/vda1 quiet & console=ttyS0'\n"
		"nodes:\n"
		"  - name: h\n"
		"    role: host\n";
	static const char text2[] =
		"lab: lv\n"
		"provider: {type: libvirt, base_image: /images/base.qcow2}\n"
		"nodes:\n"
		"  - name: h\n"
		"    role: host\n";
	struct lab_spec *spec = load(text);
	struct lab_spec *spec2 = load(text2);
	g_autoptr(GError) error = NULL;
	struct libvirt_lab *l = libvirt_lab_new(spec, "/tmp/x", &error);
	struct libvirt_lab *l2 = libvirt_lab_new(spec2, "/tmp/x", &error);
	struct libvirt_node *n = g_ptr_array_index(l->nodes, 0);
	struct libvirt_node *n2 = g_ptr_array_index(l2->nodes, 0);
	g_autofree char *dom = libvirt_domain_xml(l, n, "qemu", "x86_64", "/o", "/s");
	g_autofree char *dom2 = libvirt_domain_xml(l2, n2, "qemu", "x86_64", "/o", "/s");

	(void)state;
	assert_string_equal(l->network, "labnet");
	assert_false(l->own_network);
	assert_string_equal(l->pool, "default");
	assert_false(l->own_pool);
	/* the spec's command line, escaped for XML */
	assert_true(has(dom, "<cmdline>root=/dev/vda1 quiet &amp; console=ttyS0</cmdline>"));
	assert_true(has(dom, "<source network='labnet'/>"));
	/* defaults: qemu:///system, 1 GiB, 1 vcpu, the libvirt subnet, boot from disk */
	assert_string_equal(n2->uri, "qemu:///system");
	assert_string_equal(n2->address, "192.168.56.10");
	assert_true(has(dom2, "<memory unit='KiB'>1048576</memory>"));
	assert_true(has(dom2, "<vcpu>1</vcpu>"));
	assert_true(has(dom2, "<boot dev='hd'/>"));
	assert_false(has(dom2, "<kernel>"));
	libvirt_lab_free(l);
	libvirt_lab_free(l2);
	spec_free(spec);
	spec_free(spec2);
}

/* ---- the seed ---- */

/* Whether @text is one well-formed YAML document. */
static bool yaml_ok(const char *text)
{
	yaml_parser_t p;
	yaml_event_t e;
	bool ok = true, done = false;

	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)text, strlen(text));
	while (!done) {
		if (!yaml_parser_parse(&p, &e)) {
			ok = false;
			break;
		}
		done = e.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&e);
	}
	yaml_parser_delete(&p);
	return ok;
}

static char *keygen(const char *dir, const char *name)
{
	g_autofree char *file = g_build_filename(dir, name, NULL);
	const char *argv[] = { "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "t",
			       "-f", file, NULL };
	g_autoptr(GError) error = NULL;

	if (!provider_run(argv, &error))
		fail_msg("%s", error->message);
	return g_steal_pointer(&file);
}

static void test_user_data(void **state)
{
	struct lab_spec *spec = load(xml_spec);
	g_autoptr(GError) error = NULL;
	g_autofree char *tmp = g_dir_make_tmp("labctl-lvseed-XXXXXX", NULL);
	struct libvirt_lab *l = libvirt_lab_new(spec, tmp, &error);
	g_autofree char *client = NULL;
	g_autofree char *host = NULL;
	g_autofree char *client_priv = NULL;
	g_autofree char *client_pub = NULL;
	g_autofree char *host_priv = NULL;
	g_autofree char *host_pub = NULL;
	g_autofree char *ud_h = NULL;
	g_autofree char *ud_d = NULL;
	g_autofree char *md = NULL;
	g_autofree char *want = NULL;
	g_autofree char *pub_line = NULL;
	g_auto(GStrv) key_lines = NULL;
	guint secret_lines = 0;
	const char *argv[] = { "rm", "-rf", tmp, NULL };

	(void)state;
	need_tool("ssh-keygen", "openssh-client");
	client = keygen(tmp, "client");
	host = keygen(tmp, "host");
	client_priv = slurp(client);
	host_priv = slurp(host);
	{
		g_autofree char *p1 = g_strconcat(client, ".pub", NULL);
		g_autofree char *p2 = g_strconcat(host, ".pub", NULL);

		client_pub = slurp(p1);
		host_pub = slurp(p2);
	}
	ud_h = libvirt_user_data(l, g_ptr_array_index(l->nodes, 1), client_pub, host_priv, host_pub);
	ud_d = libvirt_user_data(l, g_ptr_array_index(l->nodes, 0), client_pub, host_priv, host_pub);
	md = libvirt_meta_data(l, g_ptr_array_index(l->nodes, 1));

	assert_true(g_str_has_prefix(ud_h, "#cloud-config\n"));
	assert_true(yaml_ok(ud_h));
	assert_true(yaml_ok(ud_d));
	assert_true(yaml_ok(md));
	assert_true(has(ud_h, "\nhostname: h\n"));
	assert_true(has(ud_h, "\ndisable_root: false\n"));
	/* root logs in with the lab's client key, and only the public half travels */
	pub_line = g_strstrip(g_strdup(client_pub));
	want = g_strdup_printf("ssh_authorized_keys:\n  - %s\n", pub_line);
	assert_true(has(ud_h, want));
	key_lines = g_strsplit(client_priv, "\n", -1);
	/* (the first lines of any two OpenSSH ed25519 keys are the same) */
	for (char **k = key_lines; *k; k++) {
		if (**k && !has(host_priv, *k)) {
			assert_false(has(ud_h, *k));
			secret_lines++;
		}
	}
	assert_true(secret_lines >= 3);
	/* the host key pair labctl made, and no other type generated */
	g_free(want);
	g_strstrip(host_pub);
	want = g_strdup_printf("  ed25519_public: %s\n", host_pub);
	assert_true(has(ud_h, want));
	assert_true(has(ud_h, "  ed25519_private: |\n    -----BEGIN OPENSSH PRIVATE KEY-----\n"));
	assert_true(has(ud_h, "\nssh_genkeytypes: []\n"));
	assert_true(has(ud_h, "\nssh_deletekeys: true\n"));
	/* a host node gets its own initiator name; a disk node none */
	assert_true(has(ud_h, "InitiatorName=iqn.2026-01.local.labctl:lv.h\n"));
	assert_false(has(ud_d, "InitiatorName"));
	g_free(want);
	want = g_strdup_printf("instance-id: labctl-%s-h\nlocal-hostname: h\n", l->hash);
	assert_string_equal(md, want);

	provider_run(argv, NULL);
	libvirt_lab_free(l);
	spec_free(spec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_virt_type),
		cmocka_unit_test(test_names_and_xml),
		cmocka_unit_test(test_disk_boot_and_given_network),
		cmocka_unit_test(test_user_data),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
