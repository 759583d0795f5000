/*
 * test_provider_common.c - the helpers every provider shares, without root
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>
#include <glib/gstdio.h>

#include "labctl/provider.h"

static char *tmp;

static int make_tmp(void **state)
{
	(void)state;
	tmp = g_dir_make_tmp("labctl-provc-XXXXXX", NULL);
	assert_non_null(tmp);
	return 0;
}

static int remove_tmp(void **state)
{
	const char *argv[] = { "rm", "-rf", tmp, NULL };

	(void)state;
	g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
		     NULL, NULL);
	g_clear_pointer(&tmp, g_free);
	return 0;
}

static void put(const char *rel, const char *text, int mode)
{
	g_autofree char *file = g_build_filename(tmp, rel, NULL);
	g_autofree char *dir = g_path_get_dirname(file);

	assert_int_equal(g_mkdir_with_parents(dir, 0700), 0);
	assert_true(g_file_set_contents(file, text, -1, NULL));
	assert_int_equal(g_chmod(file, mode), 0);
}

static void test_need_tools(void **state)
{
	static const struct {
		struct provider_tool tools[3];
		const char *error;      /* NULL: all there */
	} cases[] = {
		{ { { "tool-a", "pkg-a" }, { "/bin/sh", "dash" } }, NULL },
		{ { { "tool-a", "pkg-a" }, { "tool-b", "pkg-b" } },
		  "the netns provider needs 'tool-b' (Debian package pkg-b)" },
		/* the first that is missing */
		{ { { "tool-c", "pkg-c" }, { "tool-b", "pkg-b" } },
		  "the netns provider needs 'tool-c' (Debian package pkg-c)" },
		/* an absolute path that is there stands for itself only */
		{ { { "/bin/sh", "dash" }, { "ip", "iproute2" }, { "tool-a", "pkg-a" } },
		  "the netns provider needs 'ip' (Debian package iproute2)" },
		{ { { "tool-a", "pkg-a" }, { "/nonexistent/sbin/sshd", "openssh-server" } },
		  "the netns provider needs '/nonexistent/sbin/sshd' (Debian package openssh-server)" },
		/* a file that is not executable is no tool */
		{ { { "tool-x", "pkg-x" } },
		  "the netns provider needs 'tool-x' (Debian package pkg-x)" },
	};
	g_autofree char *path = g_strdup(g_getenv("PATH"));
	g_autofree char *bin = g_build_filename(tmp, "bin", NULL);

	(void)state;
	put("bin/tool-a", "#!/bin/sh\n", 0755);
	put("bin/tool-x", "#!/bin/sh\n", 0644);
	/* a PATH that lacks ip, unshare and every other tool but tool-a */
	g_setenv("PATH", bin, TRUE);
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		gsize n = 0;
		bool ok;

		while (n < G_N_ELEMENTS(cases[i].tools) && cases[i].tools[n].tool)
			n++;
		ok = provider_need_tools("netns", cases[i].tools, n, &error);
		if (!cases[i].error) {
			if (!ok)
				fail_msg("case %zu: %s", i, error->message);
			continue;
		}
		if (ok)
			fail_msg("case %zu: no error, want '%s'", i, cases[i].error);
		assert_true(g_error_matches(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND));
		assert_string_equal(error->message, cases[i].error);
	}
	g_setenv("PATH", path, TRUE);
}

static void test_known_hosts(void **state)
{
	g_autofree char *d1 = g_build_filename(tmp, "n1", NULL);
	g_autofree char *d2 = g_build_filename(tmp, "n2", NULL);
	g_autofree char *d3 = g_build_filename(tmp, "n3", NULL);
	g_autofree char *file = g_build_filename(tmp, "known_hosts", NULL);
	const struct provider_own_node nodes[] = {
		{ "disks", "10.0.0.10", d1 },
		{ "host", "10.0.0.11", d2 },
		{ "gone", "10.0.0.12", d3 },
	};
	g_autoptr(GError) error = NULL;
	g_autofree char *text = NULL;
	GStatBuf st;

	(void)state;
	put("n1/host_key.pub", "ssh-ed25519 AAAAkey1 root@disks\n", 0644);
	put("n2/host_key.pub", "ssh-ed25519 AAAAkey2\n", 0644);
	/* a file there already, of another mode, is replaced */
	put("known_hosts", "old\n", 0644);
	assert_true(provider_write_known_hosts(file, nodes, 2, &error));
	assert_true(g_file_get_contents(file, &text, NULL, NULL));
	assert_string_equal(text, PROVIDER_KNOWN_HOSTS_MARK
			    "10.0.0.10 ssh-ed25519 AAAAkey1\n"
			    "10.0.0.11 ssh-ed25519 AAAAkey2\n");
	assert_int_equal(g_stat(file, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);

	/* a node without its key: an error, and the file is left as it was */
	assert_false(provider_write_known_hosts(file, nodes, 3, &error));
	assert_non_null(error);
	g_clear_pointer(&text, g_free);
	assert_true(g_file_get_contents(file, &text, NULL, NULL));
	assert_true(g_str_has_suffix(text, "10.0.0.11 ssh-ed25519 AAAAkey2\n"));

	/* no node: the mark alone */
	g_clear_error(&error);
	assert_true(provider_write_known_hosts(file, nodes, 0, &error));
	g_clear_pointer(&text, g_free);
	assert_true(g_file_get_contents(file, &text, NULL, NULL));
	assert_string_equal(text, PROVIDER_KNOWN_HOSTS_MARK);
}

static void test_access_list(void **state)
{
	const struct provider_own_node nodes[] = {
		{ "disks", "10.0.0.10", "/unused" },
		{ "host", "10.0.0.11", "/unused" },
	};
	g_autoptr(GPtrArray) access = provider_access_list(nodes, G_N_ELEMENTS(nodes),
							   "/s/client_key", "/s/known_hosts");

	(void)state;
	assert_int_equal(access->len, 2);
	for (guint i = 0; i < access->len; i++) {
		const struct node_access *a = g_ptr_array_index(access, i);

		assert_string_equal(a->name, nodes[i].name);
		assert_string_equal(a->ssh.name, nodes[i].name);
		assert_string_equal(a->ssh.host, nodes[i].address);
		assert_int_equal(a->ssh.port, 22);
		assert_string_equal(a->ssh.user, "root");
		assert_string_equal(a->ssh.key, "/s/client_key");
		assert_string_equal(a->ssh.known_hosts, "/s/known_hosts");
		assert_false(a->ssh.use_config);
		assert_null(a->also_known_hosts);
		assert_null(a->conn);
	}
	g_ptr_array_unref(g_steal_pointer(&access));
	access = provider_access_list(nodes, 0, "k", "kh");
	assert_int_equal(access->len, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_need_tools, make_tmp, remove_tmp),
		cmocka_unit_test_setup_teardown(test_known_hosts, make_tmp, remove_tmp),
		cmocka_unit_test(test_access_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
