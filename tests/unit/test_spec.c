/*
 * test_spec.c - unit tests of decoding a lab spec, its lookups and defaults
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <glib/gstdio.h>
#include <cmocka.h>

#include "labctl/spec.h"
#include "labctl/validate.h"

/* "LINE:COL: message", or "message" without a position */
static char *diag_text(const struct diag *d)
{
	if (!d->loc.line)
		return g_strdup(d->msg);
	return g_strdup_printf("%u:%u: %s", d->loc.line, d->loc.col, d->msg);
}

/* Fails unless @diags, sorted, holds exactly @want (NULL-terminated). */
static void expect_diags(const char *what, GPtrArray *diags, const char *const *want)
{
	g_autoptr(GString) got = g_string_new(NULL);
	size_t n = 0;
	bool same;

	diags_sort(diags);
	while (want[n])
		n++;
	same = n == diags->len;
	for (guint i = 0; i < diags->len; i++) {
		g_autofree char *t = diag_text(g_ptr_array_index(diags, i));

		same = same && !strcmp(t, want[i]);
		g_string_append_printf(got, "\n    %s", t);
	}
	if (!same) {
		g_autofree char *exp = g_strjoinv("\n    ", (char **)want);

		fail_msg("%s: expected diagnostics:\n    %s\ngot:%s", what,
			 n ? exp : "(none)", got->len ? got->str : " (none)");
	}
}

static struct lab_spec *load(const char *text, GPtrArray *diags)
{
	return spec_load_data("lab.yaml", text, strlen(text), diags);
}

static void assert_str_at(const struct ystr *s, const char *v, unsigned line,
			  unsigned col)
{
	assert_non_null(s->v);
	assert_string_equal(s->v, v);
	assert_int_equal(s->loc.line, line);
	assert_int_equal(s->loc.col, col);
}

static const struct ystr *str_item(GPtrArray *list, guint i)
{
	assert_non_null(list);
	assert_true(i < list->len);
	return g_ptr_array_index(list, i);
}

static struct spec_node *node(const struct lab_spec *spec, guint i)
{
	assert_true(i < spec->nodes->len);
	return g_ptr_array_index(spec->nodes, i);
}

/* Every key of the schema, once; the comments are line numbers. */
static const char FULL[] =
	"version: 1\n"                                          /*  1 */
	"lab: full\n"                                           /*  2 */
	"description: |\n"                                      /*  3 */
	"  every key\n"                                         /*  4 */
	"provider:\n"                                           /*  5 */
	"  type: libvirt\n"                                     /*  6 */
	"  subnet: 192.168.56.0/24\n"                           /*  7 */
	"  uri: qemu:///system\n"                               /*  8 */
	"  network: labnet\n"                                   /*  9 */
	"  base_image: /var/lib/libvirt/images/base.qcow2\n"    /* 10 */
	"  pool: default\n"                                     /* 11 */
	"  memory: 1GiB\n"                                      /* 12 */
	"  vcpus: 2\n"                                          /* 13 */
	"  kernel: /boot/vmlinuz\n"                             /* 14 */
	"  initrd: /boot/initrd.img\n"                          /* 15 */
	"  cmdline: console=ttyS0\n"                            /* 16 */
	"  dir: /srv/vagrant\n"                                 /* 17 */
	"ssh:\n"                                                /* 18 */
	"  user: admin\n"                                       /* 19 */
	"  port: 2222\n"                                        /* 20 */
	"  key: ~/.ssh/id_lab\n"                                /* 21 */
	"  passphrase: {env: LAB_KEY_PASS}\n"                   /* 22 */
	"  known_hosts: /etc/lab/known_hosts\n"                 /* 23 */
	"nodes:\n"                                              /* 24 */
	"  - name: disks\n"                                     /* 25 */
	"    role: disk\n"                                      /* 26 */
	"    address: 192.168.56.20\n"                          /* 27 */
	"    os: rhel\n"                                        /* 28 */
	"    ssh:\n"                                            /* 29 */
	"      user: root\n"                                    /* 30 */
	"      port: 22\n"                                      /* 31 */
	"      key: keys/disks\n"                               /* 32 */
	"    target:\n"                                         /* 33 */
	"      iqn: iqn.2016-06.com.example:disks\n"            /* 34 */
	"      backend: tgt\n"                                  /* 35 */
	"      portals: [192.168.56.20:3260, '[fe80::1]:3260']\n" /* 36 */
	"      firewall: nftables\n"                            /* 37 */
	"      luns:\n"                                         /* 38 */
	"        - name: vol1\n"                                /* 39 */
	"          image: /srv/vol1.img\n"                      /* 40 */
	"          size: 2 GiB\n"                               /* 41 */
	"          backstore: fileio\n"                         /* 42 */
	"          allocation: allocated\n"                     /* 43 */
	"          number: 3\n"                                 /* 44 */
	"        - name: vol2\n"                                /* 45 */
	"          image: /srv/vol2.img\n"                      /* 46 */
	"          size: 512M\n"                                /* 47 */
	"      acl: [host, iqn.2016-06.com.example:other]\n"    /* 48 */
	"      chap:\n"                                         /* 49 */
	"        user: chapuser\n"                              /* 50 */
	"        password: {file: /etc/lab/chap}\n"             /* 51 */
	"        mutual:\n"                                     /* 52 */
	"          user: target\n"                              /* 53 */
	"          password:\n"                                 /* 54 */
	"            env: MUTUAL_PW\n"                          /* 55 */
	"  - name: host\n"                                      /* 56 */
	"    role: host\n"                                      /* 57 */
	"    os: debian\n"                                      /* 58 */
	"    initiator:\n"                                      /* 59 */
	"      iqn: iqn.2016-06.com.example:host\n"             /* 60 */
	"      backend: libiscsi\n"                             /* 61 */
	"      targets: disks\n"                                /* 62 */
	"      timeout: 30\n"                                   /* 63 */
	"      mounts:\n"                                       /* 64 */
	"        - disk: disks\n"                               /* 65 */
	"          lun: vol1\n"                                 /* 66 */
	"          fs: ext4\n"                                  /* 67 */
	"          path: /mnt/vol1\n"                           /* 68 */
	"          options: noatime,nodev\n"                    /* 69 */
	"          persist: yes\n"                              /* 70 */
	"          test_file: probe\n"                          /* 71 */
	"    vm:\n"                                             /* 72 */
	"      uri: qemu+ssh://h/system\n"                      /* 73 */
	"      memory: 2GiB\n"                                  /* 74 */
	"      vcpus: 4\n";                                     /* 75 */

static void test_every_field(void **state)
{
	g_autoptr(GPtrArray) diags = diags_new();
	struct lab_spec *spec = load(FULL, diags);
	const struct spec_provider *p;
	struct spec_node *d, *h;
	const struct spec_lun *l;
	const struct spec_mount *m;

	(void)state;
	expect_diags("full spec", diags, (const char *[]){ NULL });
	assert_non_null(spec);
	assert_string_equal(spec->file, "lab.yaml");
	assert_string_equal(spec->dir, ".");
	assert_int_equal(spec->where.line, 1);
	assert_int_equal(spec->where.col, 1);
	assert_true(spec->version.set);
	assert_int_equal(spec->version.v, 1);
	assert_str_at(&spec->name, "full", 2, 6);
	assert_string_equal(spec->description.v, "every key\n");
	assert_true(spec->description.block);
	assert_int_equal(spec->description.loc.line, 3);

	p = &spec->provider;
	assert_int_equal(p->where.line, 6);
	assert_int_equal(p->where.col, 3);
	assert_true(p->type.set);
	assert_int_equal(p->type.v, PROVIDER_LIBVIRT);
	assert_int_equal(p->type.loc.line, 6);
	assert_int_equal(p->type.loc.col, 9);
	assert_str_at(&p->subnet, "192.168.56.0/24", 7, 11);
	assert_string_equal(p->uri.v, "qemu:///system");
	assert_string_equal(p->network.v, "labnet");
	assert_str_at(&p->base_image, "/var/lib/libvirt/images/base.qcow2", 10, 15);
	assert_string_equal(p->pool.v, "default");
	assert_true(p->memory.set);
	assert_true(p->memory.v == 1ULL << 30);
	assert_int_equal(p->memory.loc.line, 12);
	assert_int_equal(p->vcpus.v, 2);
	assert_string_equal(p->kernel.v, "/boot/vmlinuz");
	assert_string_equal(p->initrd.v, "/boot/initrd.img");
	assert_string_equal(p->cmdline.v, "console=ttyS0");
	assert_string_equal(p->dir.v, "/srv/vagrant");

	assert_int_equal(spec->ssh.where.line, 19);
	assert_str_at(&spec->ssh.user, "admin", 19, 9);
	assert_int_equal(spec->ssh.port.v, 2222);
	assert_string_equal(spec->ssh.key.v, "~/.ssh/id_lab");
	assert_string_equal(spec->ssh.passphrase.ref, "env:LAB_KEY_PASS");
	assert_int_equal(spec->ssh.passphrase.loc.line, 22);
	assert_int_equal(spec->ssh.passphrase.loc.col, 21);
	assert_string_equal(spec->ssh.known_hosts.v, "/etc/lab/known_hosts");

	assert_int_equal(spec->nodes->len, 2);
	d = node(spec, 0);
	assert_int_equal(d->where.line, 25);
	assert_int_equal(d->where.col, 5);
	assert_str_at(&d->name, "disks", 25, 11);
	assert_int_equal(d->role.v, ROLE_DISK);
	assert_true(d->role.set);
	assert_str_at(&d->address, "192.168.56.20", 27, 14);
	assert_int_equal(d->os.v, OS_RHEL);
	assert_string_equal(d->ssh.user.v, "root");
	assert_true(d->ssh.port.set);
	assert_int_equal(d->ssh.port.v, 22);
	assert_string_equal(d->ssh.key.v, "keys/disks");
	assert_null(d->ssh.known_hosts.v);
	assert_int_equal(d->initiator.where.line, 0);
	assert_int_equal(d->vm.where.line, 0);

	assert_int_equal(d->target.where.line, 34);
	assert_str_at(&d->target.iqn, "iqn.2016-06.com.example:disks", 34, 12);
	assert_int_equal(d->target.backend.v, TARGET_TGT);
	assert_int_equal(d->target.portals->len, 2);
	assert_str_at(str_item(d->target.portals, 0), "192.168.56.20:3260", 36, 17);
	assert_str_at(str_item(d->target.portals, 1), "[fe80::1]:3260", 36, 37);
	assert_int_equal(d->target.firewall.v, FIREWALL_NFTABLES);
	assert_int_equal(d->target.luns->len, 2);
	l = g_ptr_array_index(d->target.luns, 0);
	assert_int_equal(l->where.line, 39);
	assert_int_equal(l->where.col, 11);
	assert_str_at(&l->name, "vol1", 39, 17);
	assert_str_at(&l->image, "/srv/vol1.img", 40, 18);
	assert_true(l->size.v == 2ULL << 30);
	assert_int_equal(l->size.loc.line, 41);
	assert_int_equal(l->size.loc.col, 17);
	assert_int_equal(l->backstore.v, BACKSTORE_FILEIO);
	assert_int_equal(l->allocation.v, ALLOC_ALLOCATED);
	assert_true(l->number.set);
	assert_int_equal(l->number.v, 3);
	l = g_ptr_array_index(d->target.luns, 1);
	assert_string_equal(l->name.v, "vol2");
	assert_true(l->size.v == 512ULL << 20);
	assert_false(l->backstore.set);
	assert_int_equal(l->backstore.v, BACKSTORE_BLOCK);
	assert_false(l->allocation.set);
	assert_false(l->number.set);
	assert_int_equal(d->target.acl->len, 2);
	assert_str_at(str_item(d->target.acl, 0), "host", 48, 13);
	assert_str_at(str_item(d->target.acl, 1), "iqn.2016-06.com.example:other", 48, 19);
	assert_int_equal(d->target.chap.where.line, 50);
	assert_str_at(&d->target.chap.user, "chapuser", 50, 15);
	assert_string_equal(d->target.chap.password.ref, "file:/etc/lab/chap");
	assert_int_equal(d->target.chap.mutual.where.line, 53);
	assert_string_equal(d->target.chap.mutual.user.v, "target");
	assert_string_equal(d->target.chap.mutual.password.ref, "env:MUTUAL_PW");
	assert_int_equal(d->target.chap.mutual.password.loc.line, 55);
	assert_int_equal(d->target.chap.mutual.password.loc.col, 18);

	h = node(spec, 1);
	assert_string_equal(h->name.v, "host");
	assert_int_equal(h->role.v, ROLE_HOST);
	assert_null(h->address.v);
	assert_int_equal(h->os.v, OS_DEBIAN);
	assert_int_equal(h->ssh.where.line, 0);
	assert_int_equal(h->target.where.line, 0);
	assert_null(h->target.luns);
	assert_str_at(&h->initiator.iqn, "iqn.2016-06.com.example:host", 60, 12);
	assert_int_equal(h->initiator.backend.v, INITIATOR_LIBISCSI);
	assert_int_equal(h->initiator.targets->len, 1);
	assert_str_at(str_item(h->initiator.targets, 0), "disks", 62, 16);
	assert_int_equal(h->initiator.timeout.v, 30);
	assert_int_equal(h->initiator.mounts->len, 1);
	m = g_ptr_array_index(h->initiator.mounts, 0);
	assert_int_equal(m->where.line, 65);
	assert_int_equal(m->where.col, 11);
	assert_str_at(&m->disk, "disks", 65, 17);
	assert_str_at(&m->lun, "vol1", 66, 16);
	assert_int_equal(m->fs.v, FS_EXT4);
	assert_int_equal(m->fs.loc.line, 67);
	assert_str_at(&m->path, "/mnt/vol1", 68, 17);
	assert_string_equal(m->options.v, "noatime,nodev");
	assert_true(m->persist.set && m->persist.v);
	assert_int_equal(m->persist.loc.line, 70);
	assert_string_equal(m->test_file.v, "probe");
	assert_int_equal(h->vm.where.line, 73);
	assert_string_equal(h->vm.uri.v, "qemu+ssh://h/system");
	assert_true(h->vm.memory.v == 2ULL << 30);
	assert_int_equal(h->vm.vcpus.v, 4);
	spec_free(spec);
}

static void test_sizes(void **state)
{
	static const struct {
		const char *s;
		uint64_t v;
		const char *why;        /* NULL when it parses */
	} cases[] = {
		{ "1GiB", 1ULL << 30, NULL },
		{ "512M", 512ULL << 20, NULL },
		{ "1048576", 1048576, NULL },
		{ "2 GiB", 2ULL << 30, NULL },
		{ "1kB", 1000, NULL },
		{ "1KB", 1000, NULL },
		{ "1K", 1024, NULL },
		{ "1KiB", 1024, NULL },
		{ "3MB", 3000000, NULL },
		{ "5GB", 5000000000ULL, NULL },
		{ "10TB", 10000000000000ULL, NULL },
		{ "2T", 2ULL << 40, NULL },
		{ "7 B", 7, NULL },
		{ "0", 0, NULL },
		{ "16777215TiB", 16777215ULL << 40, NULL },
		{ "", 0, "a size starts with a number" },
		{ "G", 0, "a size starts with a number" },
		{ " 1G", 0, "a size starts with a number" },
		{ "-1", 0, "a size starts with a number" },
		{ "1XB", 0, "unknown size unit (use B, KiB, MiB, GiB, TiB, or kB, MB, GB, TB)" },
		{ "1g", 0, "unknown size unit (use B, KiB, MiB, GiB, TiB, or kB, MB, GB, TB)" },
		{ "1  G", 0, "unknown size unit (use B, KiB, MiB, GiB, TiB, or kB, MB, GB, TB)" },
		{ "1 PiB", 0, "unknown size unit (use B, KiB, MiB, GiB, TiB, or kB, MB, GB, TB)" },
		{ "99999999999999999999", 0, "size is too large" },
		{ "18446744073709551616", 0, "size is too large" },
		{ "18446744073709551615GiB", 0, "size is too large" },
		{ "16777216TiB", 0, "size is too large" },
		{ "18446744073709552TB", 0, "size is too large" },
	};
	bool ok = true;

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		const char *why = NULL;
		uint64_t v = 12345;
		bool parsed = ytree_parse_size(cases[i].s, &v, &why);

		if (!cases[i].why && (!parsed || v != cases[i].v)) {
			print_error("size '%s': expected %" G_GUINT64_FORMAT ", got %s\n",
				    cases[i].s, cases[i].v, parsed ? "another value" : why);
			ok = false;
		} else if (cases[i].why && (parsed || g_strcmp0(why, cases[i].why))) {
			print_error("size '%s': expected '%s', got %s\n", cases[i].s,
				    cases[i].why, parsed ? "success" : why);
			ok = false;
		}
	}
	if (!ok)
		fail();
}

/* The largest uint64_t is a size; one more is not. */
static void test_size_max(void **state)
{
	static const char *const fits[] = {
		"18446744073709551615", "18446744073709551610", "18446744073709551609",
	};
	const char *why = NULL;
	uint64_t v = 0;

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(fits); i++) {
		if (!ytree_parse_size(fits[i], &v, &why))
			fail_msg("size '%s' fits in 64 bits, got '%s'", fits[i], why);
		assert_true(v == g_ascii_strtoull(fits[i], NULL, 10));
	}
	assert_false(ytree_parse_size("18446744073709551616", &v, &why));
	assert_string_equal(why, "size is too large");
}

static void test_size_in_spec(void **state)
{
	g_autoptr(GPtrArray) diags = diags_new();
	struct lab_spec *spec;

	(void)state;
	spec = load("lab: t\nprovider: {type: static}\nnodes:\n"
		    "  - name: d\n    role: disk\n    target:\n      luns:\n"
		    "        - {name: l, image: /l, size: 1 XiB}\n", diags);
	assert_non_null(spec);
	expect_diags("size", diags, (const char *[]){
		"8:38: bad size '1 XiB' for 'size' in lun 'l': unknown size unit (use B, KiB, MiB, GiB, TiB, or kB, MB, GB, TB)",
		NULL });
	spec_free(spec);
}

#define MOUNT_SPEC(persist) \
	"lab: t\nprovider: {type: static}\nnodes:\n" \
	"  - name: h\n    role: host\n    initiator:\n      mounts:\n" \
	"        - {disk: d, lun: l, path: /mnt, persist: " persist "}\n"

static void test_booleans(void **state)
{
	static const struct {
		const char *text;
		bool set, v;
		const char *diag;
	} cases[] = {
		{ MOUNT_SPEC("true"), true, true, NULL },
		{ MOUNT_SPEC("yes"), true, true, NULL },
		{ MOUNT_SPEC("false"), true, false, NULL },
		{ MOUNT_SPEC("no"), true, false, NULL },
		{ MOUNT_SPEC("~"), false, false, NULL },
		{ MOUNT_SPEC("maybe"), false, false,
		  "8:50: 'persist' must be true or false, not 'maybe' in mount #1" },
		{ MOUNT_SPEC("[true]"), false, false,
		  "8:50: 'persist' must be a scalar, not a list in mount #1" },
	};

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GPtrArray) diags = diags_new();
		struct lab_spec *spec = load(cases[i].text, diags);
		const struct spec_mount *m;

		assert_non_null(spec);
		expect_diags(cases[i].text, diags, (const char *[]){ cases[i].diag, NULL });
		m = g_ptr_array_index(node(spec, 0)->initiator.mounts, 0);
		assert_int_equal(m->persist.set, cases[i].set);
		assert_int_equal(m->persist.v, cases[i].v);
		spec_free(spec);
	}
}

static void test_enums(void **state)
{
	static const struct {
		const char *text;               /* '@' is the value */
		const char *const *names;
		size_t offset;                  /* of the struct yenum in node 0 */
		bool provider;                  /* the enum is the provider's type */
	} enums[] = {
		{ "lab: t\nprovider: {type: @}\nnodes: []\n", spec_provider_names, 0, true },
		{ "lab: t\nprovider: {type: static}\nnodes: [{name: n, role: @}]\n",
		  spec_role_names, offsetof(struct spec_node, role), false },
		{ "lab: t\nprovider: {type: static}\nnodes: [{name: n, role: host, os: @}]\n",
		  spec_os_names, offsetof(struct spec_node, os), false },
		{ "lab: t\nprovider: {type: static}\nnodes: [{name: n, role: disk, target: {luns: [], backend: @}}]\n",
		  spec_target_backend_names, offsetof(struct spec_node, target.backend), false },
		{ "lab: t\nprovider: {type: static}\nnodes: [{name: n, role: disk, target: {luns: [], firewall: @}}]\n",
		  spec_firewall_names, offsetof(struct spec_node, target.firewall), false },
		{ "lab: t\nprovider: {type: static}\nnodes: [{name: n, role: host, initiator: {backend: @}}]\n",
		  spec_initiator_backend_names, offsetof(struct spec_node, initiator.backend), false },
	};

	(void)state;
	/* the name tables match the C enums */
	assert_string_equal(spec_provider_names[PROVIDER_VAGRANT], "vagrant");
	assert_string_equal(spec_role_names[ROLE_HOST], "host");
	assert_string_equal(spec_os_names[OS_DEBIAN], "debian");
	assert_string_equal(spec_target_backend_names[TARGET_TGT], "tgt");
	assert_string_equal(spec_initiator_backend_names[INITIATOR_LIBISCSI], "libiscsi");
	assert_string_equal(spec_firewall_names[FIREWALL_NONE], "none");
	assert_null(spec_firewall_names[FIREWALL_NONE + 1]);
	assert_string_equal(spec_backstore_names[BACKSTORE_FILEIO], "fileio");
	assert_string_equal(spec_allocation_names[ALLOC_ALLOCATED], "allocated");
	assert_string_equal(spec_allocation_names[ALLOC_ZEROED], "zeroed");
	assert_string_equal(spec_fs_names[FS_EXT4], "ext4");

	for (size_t e = 0; e < G_N_ELEMENTS(enums); e++) {
		for (int i = 0; enums[e].names[i]; i++) {
			g_autoptr(GPtrArray) diags = diags_new();
			g_autoptr(GString) text = g_string_new(enums[e].text);
			struct lab_spec *spec;
			const struct yenum *y;

			g_string_replace(text, "@", enums[e].names[i], 1);
			spec = load(text->str, diags);
			assert_non_null(spec);
			expect_diags(text->str, diags, (const char *[]){ NULL });
			y = enums[e].provider ? &spec->provider.type :
			    (const struct yenum *)((char *)node(spec, 0) + enums[e].offset);
			assert_true(y->set);
			assert_int_equal(y->v, i);
			spec_free(spec);
		}
	}
}

static void test_bad_enums(void **state)
{
	static const struct {
		const char *text;
		const char *diag;
	} cases[] = {
		{ "lab: t\nprovider: {type: Static}\nnodes: []\n",
		  "2:18: unknown type 'Static' in 'provider' (expected one of: static, netns, libvirt, vagrant)" },
		{ "lab: t\nprovider: {type: static}\nnodes: [{name: n, role: disk, target: {luns: [{name: l, image: /l, size: 1G, allocation: thin}]}}]\n",
		  "3:90: unknown allocation 'thin' in lun 'l' (expected one of: sparse, allocated, zeroed)" },
		{ "lab: t\nprovider: {type: static}\nnodes: [{name: n, role: host, os: windows}]\n",
		  "3:35: unknown os 'windows' in node 'n' (expected one of: auto, rhel, debian)" },
		{ "lab: t\nprovider: {type: static}\nnodes: [{name: n, role: host, initiator: {backend: iscsid}}]\n",
		  "3:52: unknown backend 'iscsid' in 'initiator' of node 'n' (expected one of: open-iscsi, libiscsi)" },
	};

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GPtrArray) diags = diags_new();
		struct lab_spec *spec = load(cases[i].text, diags);

		assert_non_null(spec);
		expect_diags(cases[i].text, diags, (const char *[]){ cases[i].diag, NULL });
		spec_free(spec);
	}
}

#define CHAP_SPEC(password) \
	"lab: t\nprovider: {type: static}\nnodes:\n" \
	"  - name: d\n    role: disk\n    target:\n      luns: []\n" \
	"      chap:\n        user: u\n        password: " password "\n"

static void test_secrets(void **state)
{
	static const struct {
		const char *text;
		const char *ref;
		unsigned col;
		const char *diag;
	} cases[] = {
		{ CHAP_SPEC("{env: CHAP_PW}"), "env:CHAP_PW", 25, NULL },
		{ CHAP_SPEC("{file: /etc/chap}"), "file:/etc/chap", 26, NULL },
		{ CHAP_SPEC("\n          env: X"), "env:X", 16, NULL },
		{ CHAP_SPEC("hunter2"), NULL, 0,
		  "10:19: inline secrets are not allowed for 'password' in 'chap' of 'target' of node 'd': use 'env: NAME' or 'file: PATH'" },
		{ CHAP_SPEC("\"hunter2\""), NULL, 0,
		  "10:19: inline secrets are not allowed for 'password' in 'chap' of 'target' of node 'd': use 'env: NAME' or 'file: PATH'" },
		{ CHAP_SPEC("[a]"), NULL, 0,
		  "10:19: inline secrets are not allowed for 'password' in 'chap' of 'target' of node 'd': use 'env: NAME' or 'file: PATH'" },
		{ CHAP_SPEC("{env: A, file: /b}"), NULL, 0,
		  "10:19: 'password' in 'chap' of 'target' of node 'd' must hold exactly one of 'env' or 'file'" },
		{ CHAP_SPEC("{}"), NULL, 0,
		  "10:19: 'password' in 'chap' of 'target' of node 'd' must hold exactly one of 'env' or 'file'" },
	};

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GPtrArray) diags = diags_new();
		struct lab_spec *spec = load(cases[i].text, diags);
		const struct ysecret *s;

		assert_non_null(spec);
		expect_diags(cases[i].text, diags, (const char *[]){ cases[i].diag, NULL });
		s = &node(spec, 0)->target.chap.password;
		if (cases[i].ref) {
			assert_non_null(s->ref);
			assert_string_equal(s->ref, cases[i].ref);
			assert_int_equal(s->loc.col, cases[i].col);
		} else {
			assert_null(s->ref);
		}
		spec_free(spec);
	}
}

static void test_string_lists(void **state)
{
	g_autoptr(GPtrArray) diags = diags_new();
	struct lab_spec *spec;
	struct spec_node *d;

	(void)state;
	spec = load("lab: t\nprovider: {type: static}\nnodes:\n"
		    "  - name: d\n    role: disk\n    target:\n      luns: []\n"
		    "      acl: h\n"
		    "      portals: 10.0.0.1:3260\n"
		    "  - name: h\n    role: host\n    initiator:\n"
		    "      targets:\n        - d\n        - 'e'\n", diags);
	expect_diags("lists", diags, (const char *[]){ NULL });
	d = node(spec, 0);
	/* a lone scalar is a list of one */
	assert_int_equal(d->target.acl->len, 1);
	assert_str_at(str_item(d->target.acl, 0), "h", 8, 12);
	assert_int_equal(d->target.portals->len, 1);
	assert_str_at(str_item(d->target.portals, 0), "10.0.0.1:3260", 9, 16);
	assert_int_equal(node(spec, 1)->initiator.targets->len, 2);
	assert_str_at(str_item(node(spec, 1)->initiator.targets, 1), "e", 15, 11);
	spec_free(spec);
}

static void test_null_values(void **state)
{
	g_autoptr(GPtrArray) diags = diags_new();
	struct lab_spec *spec;
	struct spec_node *d;

	(void)state;
	spec = load("version:\n"
		    "lab: t\n"
		    "description:\n"
		    "provider:\n  type: static\n  subnet: ~\n"
		    "ssh:\n"
		    "nodes:\n"
		    "  - name: d\n    role: disk\n    address: null\n    os:\n"
		    "    target:\n      iqn:\n      acl:\n      portals: ~\n      chap:\n"
		    "      luns:\n        - {name: l, image: /l, size: 1G, number: }\n"
		    "    initiator:\n", diags);
	expect_diags("nulls", diags, (const char *[]){ NULL });
	assert_false(spec->version.set);
	assert_null(spec->description.v);
	assert_null(spec->provider.subnet.v);
	assert_int_equal(spec->ssh.where.line, 0);
	d = node(spec, 0);
	assert_null(d->address.v);
	assert_false(d->os.set);
	assert_null(d->target.iqn.v);
	assert_null(d->target.acl);
	assert_null(d->target.portals);
	assert_int_equal(d->target.chap.where.line, 0);
	assert_false(((struct spec_lun *)g_ptr_array_index(d->target.luns, 0))->number.set);
	assert_int_equal(d->initiator.where.line, 0);
	spec_free(spec);

	/* a null required value is a missing one; a quoted empty one is not null */
	g_ptr_array_set_size(diags, 0);
	spec = load("lab:\nprovider: {type: static}\nnodes: ~\ndescription: ''\n", diags);
	expect_diags("null required", diags, (const char *[]){
		"1:1: missing required key 'lab'",
		"1:1: missing required key 'nodes'",
		NULL });
	assert_non_null(spec->description.v);
	assert_string_equal(spec->description.v, "");
	assert_non_null(spec->nodes);
	assert_int_equal(spec->nodes->len, 0);
	spec_free(spec);
}

static void test_not_a_mapping(void **state)
{
	static const struct {
		const char *text;
		const char *diag;
	} cases[] = {
		{ "- lab: t\n", "1:1: a spec is a mapping with keys 'lab', 'provider' and 'nodes', not a list" },
		{ "lab\n", "1:1: a spec is a mapping with keys 'lab', 'provider' and 'nodes', not a scalar" },
	};

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GPtrArray) diags = diags_new();
		struct lab_spec *spec = load(cases[i].text, diags);

		/* returned, so that validation can go on */
		assert_non_null(spec);
		assert_non_null(spec->nodes);
		assert_int_equal(spec->nodes->len, 0);
		expect_diags(cases[i].text, diags, (const char *[]){ cases[i].diag, NULL });
		spec_free(spec);
	}
}

static void test_load_files(void **state)
{
	g_autoptr(GPtrArray) diags = diags_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = g_dir_make_tmp("labctl-test-spec-XXXXXX", &error);
	g_autofree char *good = NULL, *big = NULL, *missing = NULL, *text = NULL;
	struct lab_spec *spec;
	struct diag *d;

	(void)state;
	assert_non_null(dir);
	missing = g_build_filename(dir, "missing.yaml", NULL);

	spec = spec_load(missing, diags);
	assert_null(spec);
	assert_int_equal(diags->len, 1);
	d = g_ptr_array_index(diags, 0);
	assert_string_equal(d->file, missing);
	assert_int_equal(d->loc.line, 0);
	assert_int_equal(d->loc.col, 0);
	assert_string_equal(d->msg, "cannot read: No such file or directory");

	g_ptr_array_set_size(diags, 0);
	spec = spec_load(dir, diags);
	assert_null(spec);
	expect_diags("directory", diags, (const char *[]){
		"cannot read: Is a directory", NULL });

	good = g_build_filename(dir, "lab.yaml", NULL);
	assert_true(g_file_set_contents(good, "lab: t\nprovider: {type: static}\nnodes: []\n", -1, NULL));
	g_ptr_array_set_size(diags, 0);
	spec = spec_load(good, diags);
	assert_non_null(spec);
	expect_diags("file", diags, (const char *[]){ NULL });
	assert_string_equal(spec->file, good);
	assert_string_equal(spec->dir, dir);
	assert_string_equal(spec->name.v, "t");
	spec_free(spec);

	/* bigger than any spec: refused before it is parsed */
	big = g_build_filename(dir, "big.yaml", NULL);
	text = g_strnfill((4u << 20) + 1, '#');
	assert_true(g_file_set_contents(big, text, -1, NULL));
	g_ptr_array_set_size(diags, 0);
	spec = spec_load(big, diags);
	assert_null(spec);
	expect_diags("big", diags, (const char *[]){ "file is larger than 4 MiB", NULL });

	g_unlink(good);
	g_unlink(big);
	g_rmdir(dir);

	/* spec_load_data names the directory from the name it is given */
	g_ptr_array_set_size(diags, 0);
	spec = spec_load_data("specs/sub/lab.yaml", "lab: t\n", 7, diags);
	assert_string_equal(spec->dir, "specs/sub");
	spec_free(spec);
}

static const char LOOKUP[] =
	"lab: t\n"
	"provider: {type: static}\n"
	"ssh: {user: labuser, port: 2200, key: /keys/lab}\n"
	"nodes:\n"
	"  - name: d\n    role: disk\n    address: 10.0.0.1\n"
	"    ssh: {user: diskuser, port: 22, key: /keys/disk}\n"
	"    target:\n      luns:\n"
	"        - {name: a, image: /a, size: 1G}\n"
	"        - {name: b, image: /b, size: 1G}\n"
	"  - name: h\n    role: host\n    address: 10.0.0.2\n"
	"  - name: g\n    role: host\n    address: 10.0.0.3\n    ssh: {port: 2022}\n";

static void test_lookups(void **state)
{
	g_autoptr(GPtrArray) diags = diags_new();
	struct lab_spec *spec = load(LOOKUP, diags);
	struct spec_node *d, *h;

	(void)state;
	expect_diags("lookups", diags, (const char *[]){ NULL });
	d = spec_find_node(spec, "d");
	h = spec_find_node(spec, "h");
	assert_ptr_equal(d, node(spec, 0));
	assert_ptr_equal(h, node(spec, 1));
	assert_ptr_equal(spec_find_node(spec, "g"), node(spec, 2));
	assert_null(spec_find_node(spec, "x"));
	assert_null(spec_find_node(spec, "D"));
	assert_null(spec_find_node(spec, NULL));

	assert_ptr_equal(spec_find_lun(d, "a"), g_ptr_array_index(d->target.luns, 0));
	assert_ptr_equal(spec_find_lun(d, "b"), g_ptr_array_index(d->target.luns, 1));
	assert_null(spec_find_lun(d, "c"));
	assert_null(spec_find_lun(d, NULL));
	assert_null(spec_find_lun(h, "a"));             /* a host has no luns */
	spec_free(spec);
}

static void test_ssh_precedence(void **state)
{
	static const struct {
		const char *lab_ssh;
		const char *node_ssh;
		const char *user;
		unsigned port;
		const char *key;        /* NULL: none */
	} cases[] = {
		{ "", "", "root", 22, NULL },
		{ "ssh: {user: lab, port: 2200, key: /k/lab}\n", "", "lab", 2200, "/k/lab" },
		{ "", "    ssh: {user: nd, port: 2022, key: /k/nd}\n", "nd", 2022, "/k/nd" },
		{ "ssh: {user: lab, port: 2200, key: /k/lab}\n",
		  "    ssh: {user: nd, port: 2022, key: /k/nd}\n", "nd", 2022, "/k/nd" },
		{ "ssh: {user: lab, port: 2200, key: /k/lab}\n", "    ssh: {port: 22}\n",
		  "lab", 22, "/k/lab" },
		{ "ssh: {port: 2200}\n", "    ssh: {key: /k/nd}\n", "root", 2200, "/k/nd" },
		{ "ssh: {user: lab}\n", "    ssh: {user: ~}\n", "lab", 22, NULL },
	};

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GPtrArray) diags = diags_new();
		g_autofree char *text = g_strdup_printf(
			"lab: t\nprovider: {type: static}\n%snodes:\n"
			"  - name: h\n    role: host\n    address: 10.0.0.2\n%s",
			cases[i].lab_ssh, cases[i].node_ssh);
		struct lab_spec *spec = load(text, diags);
		struct spec_node *h;

		expect_diags(text, diags, (const char *[]){ NULL });
		h = node(spec, 0);
		assert_string_equal(spec_node_user(spec, h), cases[i].user);
		/* no case names root: it is the default, which spec_ssh_value does not give */
		if (strcmp(cases[i].user, "root"))
			assert_string_equal(spec_ssh_value(&h->ssh.user, &spec->ssh.user), cases[i].user);
		else
			assert_null(spec_ssh_value(&h->ssh.user, &spec->ssh.user));
		assert_int_equal(spec_node_port(spec, h), cases[i].port);
		if (cases[i].key)
			assert_string_equal(spec_node_key(spec, h), cases[i].key);
		else
			assert_null(spec_node_key(spec, h));
		spec_free(spec);
	}
}

/* become: auto means sudo for a user other than root; the node's setting wins. */
static void test_become(void **state)
{
	static const struct {
		const char *lab_ssh;
		const char *node_ssh;
		const char *vagrant_user;       /* what another source says; NULL: the spec's */
		bool sudo;
		const char *become_pw;          /* NULL: none */
		enum become_mode become;        /* what spec_node_become says */
	} cases[] = {
		{ "", "", NULL, false, NULL, BECOME_AUTO },
		{ "ssh: {user: admin}\n", "", NULL, true, NULL, BECOME_AUTO },
		{ "ssh: {user: admin, become: none}\n", "", NULL, false, NULL, BECOME_NONE },
		{ "ssh: {become: sudo}\n", "", NULL, true, NULL, BECOME_SUDO },
		{ "ssh: {user: admin, become: none}\n", "    ssh: {become: auto}\n", NULL, true, NULL,
		  BECOME_AUTO },
		{ "ssh: {become: sudo}\n", "    ssh: {become: none}\n", NULL, false, NULL, BECOME_NONE },
		{ "", "", "vagrant", true, NULL, BECOME_AUTO },
		{ "ssh: {become: none}\n", "", "vagrant", false, NULL, BECOME_NONE },
		{ "ssh: {user: admin, become_password: {env: PW}}\n", "", NULL, true, "env:PW",
		  BECOME_AUTO },
		{ "ssh: {user: admin, become_password: {env: PW}}\n",
		  "    ssh: {become_password: {file: /pw}}\n", NULL, true, "file:/pw", BECOME_AUTO },
	};

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GPtrArray) diags = diags_new();
		g_autofree char *text = g_strdup_printf(
			"lab: t\nprovider: {type: static}\n%snodes:\n"
			"  - name: h\n    role: host\n    address: 10.0.0.2\n%s",
			cases[i].lab_ssh, cases[i].node_ssh);
		struct lab_spec *spec = load(text, diags);
		struct spec_node *h;
		const char *pw;

		expect_diags(text, diags, (const char *[]){ NULL });
		h = node(spec, 0);
		assert_int_equal(spec_node_sudo(spec, h, cases[i].vagrant_user), cases[i].sudo);
		assert_int_equal(spec_node_become(spec, h), cases[i].become);
		pw = spec_node_become_password_ref(spec, h);
		if (cases[i].become_pw)
			assert_string_equal(pw, cases[i].become_pw);
		else
			assert_null(pw);
		spec_free(spec);
	}
}

/* The login's and sudo's passwords are secrets, masked and checked like the others. */
static void test_login_secrets(void **state)
{
	g_autoptr(GPtrArray) diags = diags_new();
	g_autoptr(GPtrArray) refs = NULL;
	g_autoptr(GError) error = NULL;
	struct lab_spec *spec;

	(void)state;
	spec = load("lab: t\nprovider: {type: static}\n"
		    "ssh: {user: a, password: {env: LCT_LOGIN}, become_password: {env: LCT_SUDO}}\n"
		    "nodes:\n  - name: h\n    role: host\n    address: 10.0.0.2\n", diags);
	expect_diags("login secrets", diags, (const char *[]){ NULL });
	refs = spec_secret_refs(spec);
	assert_int_equal(refs->len, 2);
	assert_string_equal(g_ptr_array_index(refs, 0), "env:LCT_LOGIN");
	assert_string_equal(g_ptr_array_index(refs, 1), "env:LCT_SUDO");
	g_setenv("LCT_LOGIN", "secret1", TRUE);
	g_setenv("LCT_SUDO", "two\nlines", TRUE);
	assert_false(spec_check_secrets(spec, &error));
	assert_non_null(strstr(error->message, "goes to sudo as one line"));
	assert_null(strstr(error->message, "two"));
	g_clear_error(&error);
	g_setenv("LCT_SUDO", "one line", TRUE);
	assert_true(spec_check_secrets(spec, &error));
	g_unsetenv("LCT_SUDO");
	assert_false(spec_check_secrets(spec, &error));
	g_unsetenv("LCT_LOGIN");
	spec_free(spec);
}

/*
 * provider.extra_subnets and a node's extra_addresses: given ones keep
 * their place in the file, the others take the node's host part in each
 * extra subnet; initiator.multipath is read.
 */
static void test_extra_networks(void **state)
{
	static const char text[] =
		"lab: x\n"
		"provider:\n"
		"  type: libvirt\n"
		"  subnet: 192.168.64.0/24\n"
		"  extra_subnets: [192.168.65.0/24, 10.9.0.0/16]\n"
		"  base_image: /b.qcow2\n"
		"nodes:\n"
		"  - name: d\n"
		"    role: disk\n"
		"    address: 192.168.64.20\n"
		"    target: {luns: [{name: l, image: /l.img, size: 1GiB}]}\n"
		"  - name: h\n"
		"    role: host\n"
		"    extra_addresses: [192.168.65.99, 10.9.3.4]\n"
		"    initiator: {multipath: true}\n";
	g_autoptr(GPtrArray) diags = diags_new();
	struct lab_spec *spec = load(text, diags);
	const struct spec_node *d, *h;

	(void)state;
	expect_diags("extra networks", diags, (const char *[]){ NULL });
	assert_int_equal(spec->provider.extra_subnets->len, 2);
	assert_str_at(g_ptr_array_index(spec->provider.extra_subnets, 1), "10.9.0.0/16", 5, 36);
	spec_resolve(spec);
	d = spec_find_node(spec, "d");
	h = spec_find_node(spec, "h");
	assert_int_equal(d->extra_addresses->len, 2);
	assert_string_equal(((struct ystr *)g_ptr_array_index(d->extra_addresses, 0))->v,
			    "192.168.65.20");
	assert_string_equal(((struct ystr *)g_ptr_array_index(d->extra_addresses, 1))->v,
			    "10.9.0.20");
	assert_int_equal(((struct ystr *)g_ptr_array_index(d->extra_addresses, 0))->loc.line, 0);
	/* h's address is the subnet's .11 (second node); its extra ones are given */
	assert_string_equal(h->address.v, "192.168.64.11");
	assert_str_at(g_ptr_array_index(h->extra_addresses, 0), "192.168.65.99", 14, 23);
	assert_true(h->initiator.multipath.set);
	assert_true(h->initiator.multipath.v);
	assert_false(d->initiator.multipath.v);
	spec_free(spec);

	{
		static const struct {
			const char *subnet, *address, *extra, *want;
		} cases[] = {
			{ "192.168.64.0/24", "192.168.64.20", "192.168.65.0/24", "192.168.65.20" },
			{ "10.0.0.0/16", "10.0.3.7", "10.1.0.0/16", "10.1.3.7" },
			/* a host part the extra subnet does not hold */
			{ "10.0.0.0/16", "10.0.3.7", "10.1.0.0/24", NULL },
			{ "192.168.64.0/24", "fd00::1", "192.168.65.0/24", NULL },
			{ "192.168.64.0/24", "192.168.64.20", "192.168.65.1", NULL },
			{ "192.168.64.0/24", NULL, "192.168.65.0/24", NULL },
		};

		for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
			g_autofree char *got = spec_extra_address(cases[i].subnet, cases[i].address,
								  cases[i].extra);

			if (g_strcmp0(got, cases[i].want))
				fail_msg("%s %s %s: '%s', not '%s'", cases[i].subnet, cases[i].address,
					 cases[i].extra, got, cases[i].want);
		}
	}
}

static void test_defaults_helpers(void **state)
{
	g_autofree char *iqn = spec_default_iqn("seed", "iscsi-disks");

	(void)state;
	assert_string_equal(iqn, "iqn.2026-01.local.labctl:seed.iscsi-disks");
	assert_null(validate_iqn(iqn));
	assert_string_equal(spec_default_subnet(PROVIDER_LIBVIRT), "192.168.56.0/24");
	assert_string_equal(spec_default_subnet(PROVIDER_NETNS), "10.203.0.0/24");
}

/*
 * Long lists are cut at their bound with one error at the first item too
 * many, and big mappings parse in linear time: the duplicate-key check was
 * quadratic and the checks across nodes cubic, so a spec of a megabyte
 * took minutes.
 */
static void test_big_inputs(void **state)
{
	g_autoptr(GString) text = g_string_new("lab: t\nprovider: {type: static}\nnodes:\n");
	g_autoptr(GPtrArray) diags = diags_new();
	g_autofree char *nodes_at = NULL;
	g_autofree char *luns_at = NULL;
	struct lab_spec *spec;
	gint64 start;
	guint line = 4;

	(void)state;
	g_string_append(text, "  - name: d\n    role: disk\n    address: 10.0.0.1\n"
			"    target:\n      luns:\n");
	line += 5;
	for (guint i = 0; i <= SPEC_MAX_LUNS; i++, line++) {
		if (i == SPEC_MAX_LUNS)
			luns_at = g_strdup_printf("%u:11: 'luns' holds at most %u items in 'target' of node 'd'",
						  line, SPEC_MAX_LUNS);
		g_string_append_printf(text, "        - { name: l%u, image: /i/%u.img, size: 1GiB }\n", i, i);
	}
	for (guint i = 1; i < 2 * SPEC_MAX_NODES; i++, line++) {
		if (i == SPEC_MAX_NODES)
			nodes_at = g_strdup_printf("%u:5: 'nodes' holds at most %u items", line, SPEC_MAX_NODES);
		g_string_append_printf(text, "  - { name: h%u, role: host, address: 10.1.%u.%u }\n",
				       i, i >> 8, i & 255);
	}
	spec = spec_load_data("big.yaml", text->str, text->len, diags);
	assert_non_null(spec);
	assert_int_equal(spec->nodes->len, SPEC_MAX_NODES);
	{
		const char *want[] = { luns_at, nodes_at, NULL };

		expect_diags("big.yaml", diags, want);
	}
	validate_spec(spec, diags);
	spec_free(spec);

	/* 200000 keys: a second or less, not the hours of a quadratic check */
	g_string_assign(text, "lab: t\nx:\n");
	for (guint i = 0; i < 200000; i++)
		g_string_append_printf(text, "  k%u: 0\n", i);
	g_string_append(text, "  k7: 1\n");
	g_ptr_array_set_size(diags, 0);
	start = g_get_monotonic_time();
	spec = spec_load_data("keys.yaml", text->str, text->len, diags);
	assert_true(g_get_monotonic_time() - start < 20 * G_USEC_PER_SEC);
	assert_non_null(spec);
	{
		const char *want[] = {
			"1:1: missing required key 'provider'",
			"1:1: missing required key 'nodes'",
			"2:1: unknown key 'x'",
			"200003:3: duplicate key 'k7'",
			NULL
		};

		expect_diags("keys.yaml", diags, want);
	}
	spec_free(spec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_field),
		cmocka_unit_test(test_extra_networks),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_size_max),
		cmocka_unit_test(test_size_in_spec),
		cmocka_unit_test(test_booleans),
		cmocka_unit_test(test_enums),
		cmocka_unit_test(test_bad_enums),
		cmocka_unit_test(test_secrets),
		cmocka_unit_test(test_string_lists),
		cmocka_unit_test(test_null_values),
		cmocka_unit_test(test_not_a_mapping),
		cmocka_unit_test(test_load_files),
		cmocka_unit_test(test_lookups),
		cmocka_unit_test(test_ssh_precedence),
		cmocka_unit_test(test_become),
		cmocka_unit_test(test_login_secrets),
		cmocka_unit_test(test_defaults_helpers),
		cmocka_unit_test(test_big_inputs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
