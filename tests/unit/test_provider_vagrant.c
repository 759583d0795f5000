/*
 * test_provider_vagrant.c - reading "vagrant ssh-config", and the vagrant
 * provider without vagrant
 *
 * Vagrant is not installed where these tests run, and is not faked: the
 * parser reads outputs recorded in tests/data/vagrant/ as vagrant prints
 * them (virtualbox.txt: Vagrant 2.3 with VirtualBox, forwarded ports on
 * 127.0.0.1; virtualbox-2.0.txt: the tutorial's Vagrant 2.0; libvirt.txt:
 * vagrant-libvirt, each guest's own address on port 22;
 * quoted-identityfile.txt: Vagrant 2.4 with a project path that holds
 * spaces), and the provider is run only to see it say that vagrant is
 * missing.  The data directory is found through $LABCTL_SRCDIR, which
 * "make unit" sets to the top of the tree.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <glib/gstdio.h>

#include "labctl/provider_vagrant.h"
#include "labctl/validate.h"

static char *data_file(const char *name)
{
	const char *top = getenv("LABCTL_SRCDIR");

	return g_build_filename(top ? top : ".", "tests", "data", "vagrant", name, NULL);
}

static char *read_data(const char *name)
{
	g_autofree char *path = data_file(name);
	g_autoptr(GError) error = NULL;
	char *text = NULL;

	if (!g_file_get_contents(path, &text, NULL, &error))
		fail_msg("%s (is LABCTL_SRCDIR the top of the tree?)", error->message);
	return text;
}

struct host_want {
	const char *name, *host;
	unsigned port;
	const char *user, *key;
};

#define VB "/home/alice/src/labctl/vagrant/.vagrant/machines/"

static const struct parse_case {
	const char *file;
	const char *error;              /* NULL: parses, into hosts */
	struct host_want hosts[3];
} parse_cases[] = {
	{ "virtualbox.txt", NULL, {
		{ "iscsi-disks", "127.0.0.1", 2222, "vagrant", VB "iscsi-disks/virtualbox/private_key" },
		{ "iscsi-host", "127.0.0.1", 2200, "vagrant", VB "iscsi-host/virtualbox/private_key" },
	} },
	{ "virtualbox-2.0.txt", NULL, {
		{ "iscsi-disks", "127.0.0.1", 2222, "vagrant",
		  "/Users/bob/iscsi/.vagrant/machines/iscsi-disks/virtualbox/private_key" },
		{ "iscsi-host", "127.0.0.1", 2200, "vagrant",
		  "/Users/bob/iscsi/.vagrant/machines/iscsi-host/virtualbox/private_key" },
	} },
	{ "libvirt.txt", NULL, {
		{ "iscsi-disks", "192.168.121.43", 22, "vagrant", VB "iscsi-disks/libvirt/private_key" },
		{ "iscsi-host", "192.168.121.198", 22, "vagrant", VB "iscsi-host/libvirt/private_key" },
	} },
	/* the first IdentityFile, without its quotes */
	{ "quoted-identityfile.txt", NULL, {
		{ "iscsi-disks", "127.0.0.1", 2222, "vagrant",
		  "/home/carol/VirtualBox VMs/iscsi lab/.vagrant/machines/iscsi-disks/virtualbox/private_key" },
	} },
	{ .file = "no-hostname.txt", .error = "host 'iscsi-host' (line 7) has no HostName" },
	{ .file = "garbage.txt", .error = "line 5 is not 'Keyword value': '==> iscsi-disks: A newer version of the box" },
	{ .file = "empty.txt", .error = "no 'Host' entry" },
	{ .file = "bad-port.txt", .error = "line 4: bad Port '70000' for host 'iscsi-disks'" },
	{ .file = "before-host.txt", .error = "line 1 comes before the first 'Host': 'HostName 127.0.0.1'" },
};

static void check_parse(const struct parse_case *c)
{
	g_autofree char *text = read_data(c->file);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) hosts = provider_vagrant_parse(text, &error);
	guint want = 0;

	if (c->error) {
		if (hosts)
			fail_msg("%s: parsed, expected '%s'", c->file, c->error);
		assert_non_null(error);
		if (!g_str_has_prefix(error->message, c->error))
			fail_msg("%s: got '%s', expected '%s'", c->file, error->message, c->error);
		return;
	}
	if (!hosts)
		fail_msg("%s: %s", c->file, error->message);
	while (want < G_N_ELEMENTS(c->hosts) && c->hosts[want].name)
		want++;
	assert_int_equal(hosts->len, want);
	for (guint i = 0; i < want; i++) {
		const struct host_want *w = &c->hosts[i];
		const struct node_access *a = g_ptr_array_index(hosts, i);

		assert_string_equal(a->name, w->name);
		assert_string_equal(a->host, w->host);
		assert_string_equal(a->user, w->user);
		assert_string_equal(a->key, w->key);
		assert_null(a->known_hosts);
		/* the ssh target points at the strings of the entry */
		assert_ptr_equal(a->ssh.name, a->name);
		assert_ptr_equal(a->ssh.host, a->host);
		assert_ptr_equal(a->ssh.user, a->user);
		assert_ptr_equal(a->ssh.key, a->key);
		assert_int_equal(a->ssh.port, w->port);
	}
}

static void test_parse_recorded(void **state)
{
	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(parse_cases); i++)
		check_parse(&parse_cases[i]);
}

/* What ssh_config(5) allows beyond what vagrant prints, and what it refuses. */
static const struct text_case {
	const char *text;
	const char *error;              /* NULL: parses, into the one host below */
	struct host_want host;
} text_cases[] = {
	{ "Host a\r\n  HostName 10.0.0.1\r\n  User u\r\n  Port 2201\r\n",
	  NULL, { "a", "10.0.0.1", 2201, "u", NULL } },
	{ "# made by hand\nhost a\n\thostname=10.0.0.1\n\tuser = u\n",
	  NULL, { "a", "10.0.0.1", 22, "u", NULL } },
	{ "Host a\n  HostName 10.0.0.1\n  HostName 10.0.0.2\n  User u\n  User v\n  Port 2\n  Port 3\n",
	  NULL, { "a", "10.0.0.1", 2, "u", NULL } },
	{ "Host a\n  HostName h\n  User u\n  IdentityFile \"/k\"\n",
	  NULL, { "a", "h", 22, "u", "/k" } },
	{ .text = NULL, .error = "no 'Host' entry" },
	{ .text = "\n\n   \n", .error = "no 'Host' entry" },
	{ .text = "Host a\n  HostName h\n", .error = "host 'a' (line 1) has no User" },
	{ .text = "Host a b\n  HostName h\n  User u\n", .error = "line 1: 'Host a b' names more than one machine" },
	{ .text = "Host a\n  HostName h\n  User u\nHost a\n  HostName h\n  User u\n",
	  .error = "line 4: host 'a' is given twice" },
	{ .text = "Host a\n  HostName h\n  User u\n  IdentityFile \"/k\n",
	  .error = "line 4: unbalanced quotes in the value of 'IdentityFile'" },
	{ .text = "Host a\n  HostName h\n  User u\n  IdentityFile \"/k\"x\"\n",
	  .error = "line 4: unbalanced quotes in the value of 'IdentityFile'" },
	{ .text = "Host a\n  HostName\n  User u\n", .error = "line 2 is not 'Keyword value': 'HostName'" },
	{ .text = "Host a\n  HostName h\n  User u\n  Port -1\n", .error = "line 4: bad Port '-1' for host 'a'" },
	{ .text = "Host a\n  HostName h\n  User u\n  Port 0\n", .error = "line 4: bad Port '0' for host 'a'" },
	{ .text = "Host a\n  HostName h\n  User u\n  Port 22x\n", .error = "line 4: bad Port '22x' for host 'a'" },
	{ .text = "The provider for this Vagrant-managed machine is reporting that it is not yet ready for SSH.\n",
	  .error = "line 1 comes before the first 'Host': 'The provider for this" },
	{ .text = "Host a\n  = h\n", .error = "line 2 is not 'Keyword value'" },
	{ .text = "Host \"\"\n", .error = "line 1: empty value for 'Host'" },
	{ .text = "Host a\n  HostName is not ready\n  User u\n",
	  .error = "line 2: bad HostName 'is not ready' for host 'a'" },
	{ .text = "Host a\n  HostName h\n  User \"u v\"\n",
	  .error = "line 3: bad User 'u v' for host 'a'" },
};

static void test_parse_text(void **state)
{
	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(text_cases); i++) {
		const struct text_case *c = &text_cases[i];
		g_autoptr(GError) error = NULL;
		g_autoptr(GPtrArray) hosts = provider_vagrant_parse(c->text, &error);
		const struct node_access *a;

		if (c->error) {
			if (hosts)
				fail_msg("case %zu: parsed, expected '%s'", i, c->error);
			if (!g_str_has_prefix(error->message, c->error))
				fail_msg("case %zu: got '%s', expected '%s'", i, error->message, c->error);
			continue;
		}
		if (!hosts)
			fail_msg("case %zu: %s", i, error->message);
		assert_int_equal(hosts->len, 1);
		a = g_ptr_array_index(hosts, 0);
		assert_string_equal(a->name, c->host.name);
		assert_string_equal(a->host, c->host.host);
		assert_int_equal(a->ssh.port, c->host.port);
		assert_string_equal(a->user, c->host.user);
		if (c->host.key)
			assert_string_equal(a->key, c->host.key);
		else
			assert_null(a->key);
	}
}

static struct lab_spec *load(const char *file, const char *text)
{
	g_autoptr(GPtrArray) diags = diags_new();
	struct lab_spec *spec = spec_load_data(file, text, strlen(text), diags);

	assert_non_null(spec);
	if (!validate_spec(spec, diags))
		fail_msg("%s does not validate", file);
	return spec;
}

static const char vagrant_spec[] =
	"lab: v\n"
	"provider: {type: vagrant, dir: ../vagrant}\n"
	"nodes:\n"
	"  - {name: iscsi-disks, role: disk, target: {portals: [192.168.56.20],\n"
	"     luns: [{name: l, image: /l.img, size: 1MiB}]}}\n"
	"  - {name: iscsi-host, role: host}\n";

/*
 * With no vagrant on PATH, up and access say so and name the directory
 * they would have run it in: provider.dir, taken from the spec's directory.
 */
static void test_no_vagrant(void **state)
{
	g_autofree char *empty = g_dir_make_tmp("labctl-novagrant-XXXXXX", NULL);
	g_autofree char *old_path = g_strdup(g_getenv("PATH"));
	struct lab_spec *spec = load("/srv/labs/examples/lab.yaml", vagrant_spec);
	struct provider_ctx ctx = { .spec = spec, .state_dir = "/state" };
	g_autoptr(GError) e1 = NULL;
	g_autoptr(GError) e2 = NULL;
	GPtrArray *nodes;

	(void)state;
	assert_non_null(empty);
	assert_ptr_equal(provider_for(spec), &provider_vagrant);
	g_setenv("PATH", empty, TRUE);
	nodes = provider_vagrant.access(&ctx, &e1);
	assert_null(nodes);
	nodes = provider_vagrant.up(&ctx, &e2);
	assert_null(nodes);
	/* and with no error to fill, as down and status call it */
	assert_null(provider_vagrant.access(&ctx, NULL));
	if (old_path)
		g_setenv("PATH", old_path, TRUE);
	else
		g_unsetenv("PATH");
	g_rmdir(empty);

	assert_string_equal(e1->message,
			    "the vagrant provider runs 'vagrant ssh-config' in /srv/labs/vagrant, "
			    "and vagrant is not installed");
	assert_true(g_error_matches(e1, G_IO_ERROR, G_IO_ERROR_NOT_FOUND));
	assert_string_equal(e2->message, e1->message);
	spec_free(spec);
}

/* Without 'dir' the Vagrantfile is beside the spec. */
static void test_default_dir(void **state)
{
	static const char text[] =
		"lab: v\n"
		"provider: {type: vagrant}\n"
		"nodes:\n"
		"  - {name: h, role: host}\n";
	g_autofree char *empty = g_dir_make_tmp("labctl-novagrant-XXXXXX", NULL);
	g_autofree char *old_path = g_strdup(g_getenv("PATH"));
	struct lab_spec *spec = load("/srv/labs/lab.yaml", text);
	struct provider_ctx ctx = { .spec = spec, .state_dir = "/state" };
	g_autoptr(GError) error = NULL;

	(void)state;
	g_setenv("PATH", empty, TRUE);
	assert_null(provider_vagrant.access(&ctx, &error));
	if (old_path)
		g_setenv("PATH", old_path, TRUE);
	else
		g_unsetenv("PATH");
	g_rmdir(empty);
	assert_string_equal(error->message,
			    "the vagrant provider runs 'vagrant ssh-config' in /srv/labs, "
			    "and vagrant is not installed");
	spec_free(spec);
}

/* The example validates as the validator is; plan is covered by the CLI. */
static void test_example_validates(void **state)
{
	g_autofree char *path = NULL;
	g_autoptr(GPtrArray) diags = diags_new();
	struct lab_spec *spec;
	const char *top = getenv("LABCTL_SRCDIR");

	(void)state;
	path = g_build_filename(top ? top : ".", "examples", "vagrant-lab.yaml", NULL);
	spec = spec_load(path, diags);
	assert_non_null(spec);
	assert_true(validate_spec(spec, diags));
	assert_int_equal(diags->len, 0);
	assert_ptr_equal(provider_for(spec), &provider_vagrant);
	spec_free(spec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_recorded),
		cmocka_unit_test(test_parse_text),
		cmocka_unit_test(test_no_vagrant),
		cmocka_unit_test(test_default_dir),
		cmocka_unit_test(test_example_validates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
