/*
 * test_provider_static.c - the static provider: nodes that exist, reached
 * as the spec says, with the host keys of machines labctl did not make
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "labctl/provider.h"
#include "labctl/validate.h"

static void test_static_access(void **state)
{
	static const char text[] =
		"lab: s\n"
		"provider: {type: static}\n"
		"ssh: {user: admin, port: 2222}\n"
		"nodes:\n"
		"  - {name: d, role: disk, address: 10.9.0.1, ssh: {user: root, key: /k},\n"
		"     target: {luns: [{name: l, image: /l.img, size: 1MiB}]}}\n"
		"  - {name: h, role: host, address: h.example, ssh: {known_hosts: /kh}}\n";
	g_autoptr(GPtrArray) diags = diags_new();
	struct lab_spec *spec = spec_load_data("s.yaml", text, strlen(text), diags);
	struct provider_ctx ctx = { .spec = spec, .state_dir = "/state" };
	g_autoptr(GPtrArray) nodes = NULL;
	const struct node_access *d, *h;

	(void)state;
	assert_non_null(spec);
	assert_true(validate_spec(spec, diags));
	assert_ptr_equal(provider_for(spec), &provider_static);
	nodes = provider_static.access(&ctx, NULL);
	assert_int_equal(nodes->len, 2);
	d = g_ptr_array_index(nodes, 0);
	h = g_ptr_array_index(nodes, 1);
	assert_string_equal(d->ssh.host, "10.9.0.1");
	assert_string_equal(d->ssh.user, "root");
	assert_int_equal(d->ssh.port, 2222);
	assert_string_equal(d->ssh.key, "/k");
	/* a node labctl did not make: its key is kept across labs, ~/.ssh's consulted */
	{
		g_autofree char *kept = g_build_filename(g_get_user_data_dir(), "labctl", "known_hosts", NULL);
		g_autofree char *home = g_build_filename(g_get_home_dir(), ".ssh", "known_hosts", NULL);

		assert_string_equal(d->ssh.known_hosts, kept);
		assert_string_equal(d->ssh.also_known_hosts, home);
	}
	assert_true(d->ssh.use_config);
	assert_string_equal(h->ssh.user, "admin");
	assert_null(h->ssh.key);
	/* the spec's own file, alone */
	assert_string_equal(h->ssh.known_hosts, "/kh");
	assert_null(h->ssh.also_known_hosts);
	spec_free(spec);
}

/* It journals nothing, so it undoes nothing: every record is refused. */
static void test_no_undo(void **state)
{
	struct undo_ctx u = { .state_dir = (char *)"/s", .hash = (char *)"00000000" };
	g_autoptr(JsonNode) n = json_from_string("{\"op\":\"rmtree\",\"path\":\"/var/lib/labctl/netns/00000000\"}", NULL);
	g_autoptr(GError) error = NULL;

	(void)state;
	assert_false(provider_undo_check(&provider_static, &u, json_node_get_object(n), &error));
	assert_string_equal(error->message,
			    "undo operation 'rmtree' is not one the static provider makes: refused, and nothing was run");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_static_access),
		cmocka_unit_test(test_no_undo),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
