/*
 * test_provider_netns.c - nodes as network namespaces: what exists after
 * up, that a second up changes nothing, and that the journal's undos take
 * it all away
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "netns_fixture.h"
#include "system.h"

static char *hash_of(const char *state)
{
	g_autofree char *abs = g_canonicalize_filename(state, NULL);
	g_autofree char *sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256, abs, -1);

	return g_strndup(sum, 8);
}

static guint journal_len(struct journal *j)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) recs = journal_records(j, &error);

	assert_non_null(recs);
	return recs->len;
}

static void test_up_twice_and_down(void **state)
{
	struct lab_fixture f;
	g_autofree char *hash = NULL;
	g_autofree char *ns_d = NULL;
	g_autofree char *bridge = NULL;
	g_autofree char *runtime = NULL;
	g_autofree char *kh_path = NULL;
	g_autofree char *kh = NULL;
	g_autoptr(GError) error = NULL;
	struct lab_ssh_result r = { 0 };
	const struct node_access *d;
	GPtrArray *again;
	guint before;

	(void)state;
	fixture_up(&f, 150 + (unsigned)(getpid() % 50));
	hash = hash_of(f.state);
	ns_d = g_strdup_printf("/run/netns/labctl-%s-d", hash);
	bridge = g_strdup_printf("/sys/class/net/lc%s", hash);
	runtime = g_strdup_printf("/var/lib/labctl/netns/%s", hash);
	assert_true(g_file_test(ns_d, G_FILE_TEST_EXISTS));
	assert_true(g_file_test(bridge, G_FILE_TEST_EXISTS));
	assert_true(g_file_test(runtime, G_FILE_TEST_IS_DIR));

	/* addresses from the subnet, keys of labctl's own, no ~/.ssh/config */
	d = g_ptr_array_index(f.access, 0);
	assert_true(g_str_has_suffix(d->ssh.host, ".10"));
	assert_string_equal(d->ssh.user, "root");
	assert_false(d->ssh.use_config);
	assert_false(d->ssh.accept_new);
	kh_path = g_build_filename(f.state, "known_hosts", NULL);
	assert_true(g_file_get_contents(kh_path, &kh, NULL, NULL));
	/* labctl's mark first: down removes only a known_hosts that carries it */
	assert_true(g_str_has_prefix(kh, PROVIDER_KNOWN_HOSTS_MARK));
	assert_true(g_str_has_prefix(kh + strlen(PROVIDER_KNOWN_HOSTS_MARK), d->ssh.host));
	assert_non_null(strstr(kh, "ssh-ed25519 "));

	/* each node is its own network and has its own /run */
	assert_true(lab_ssh_exec(g_ptr_array_index(f.conns, 0),
				 "ip -o -4 addr show eth0; ls /run; echo $HOME", NULL, 0, 10, &r, &error));
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, d->ssh.host));
	assert_non_null(strstr(r.out, "sshd"));
	lab_ssh_result_clear(&r);

	/* a second up finds everything there and journals nothing */
	before = journal_len(f.journal);
	{
		struct provider_ctx ctx = { .spec = f.spec, .state_dir = f.state, .journal = f.journal };

		again = provider_netns.up(&ctx, &error);
		assert_non_null(again);
		g_ptr_array_unref(again);
	}
	assert_int_equal(journal_len(f.journal), before);

	fixture_down(&f);
	assert_false(g_file_test(ns_d, G_FILE_TEST_EXISTS));
	assert_false(g_file_test(bridge, G_FILE_TEST_EXISTS));
	assert_false(g_file_test(runtime, G_FILE_TEST_EXISTS));
}

static void test_subnet_in_use(void **state)
{
	static const char text[] =
		"lab: clash\nprovider: {type: netns, subnet: 127.0.0.0/24}\n"
		"nodes: [{name: h, role: host}]\n";
	g_autoptr(GPtrArray) diags = diags_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *tmp = g_dir_make_tmp("labctl-clash-XXXXXX", NULL);
	g_autofree char *st = g_build_filename(tmp, "state", NULL);
	struct lab_spec *spec = spec_load_data("c.yaml", text, strlen(text), diags);
	struct journal *j;
	struct provider_ctx ctx = { 0 };
	const char *argv[] = { "rm", "-rf", tmp, NULL };

	(void)state;
	assert_true(validate_spec(spec, diags));
	j = journal_open(st, &error);
	assert_non_null(j);
	ctx.spec = spec;
	ctx.state_dir = st;
	ctx.journal = j;
	/* 127.0.0.0/24 is the loopback's: refused before any bridge is made */
	assert_null(provider_netns.up(&ctx, &error));
	assert_non_null(strstr(error->message, "subnet '127.0.0.0/24' overlaps '127.0.0.1/8' of interface 'lo'"));
	{
		g_autoptr(GPtrArray) recs = journal_records(j, NULL);
		g_autoptr(GPtrArray) steps = teardown_steps(recs);
		struct teardown_opts o = { .verbosity = -1, .provider = &provider_netns };
		struct teardown_result res;

		/* only directories were made: undo them */
		for (guint i = 0; i < steps->len; i++)
			assert_false(((struct undo_step *)g_ptr_array_index(steps, i))->remote);
		assert_true(teardown_run(steps, j, &o, &res));
	}
	journal_close(j);
	spec_free(spec);
	g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_up_twice_and_down),
		cmocka_unit_test(test_subnet_in_use),
	};

	system_need_root("test_provider_netns", "network namespaces, bridges, /var/lib/labctl");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
