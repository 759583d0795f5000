/*
 * test_facts.c - parsing facts, and the facts script run for real by sh
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "labctl/facts.h"
#include "labctl/playbook.h"
#include "labctl/template.h"

static const char good[] =
	"os_id=centos\nos_family=rhel\npkg=yum\nfirewall=iptables\n"
	"selinux=enforcing\ninit=systemd\nhas_targetcli=false\nhas_iscsi_ls=true\n";

static void test_parse(void **state)
{
	g_autoptr(GError) error = NULL;
	JsonObject *f;

	(void)state;
	f = facts_parse(good, &error);
	assert_non_null(f);
	assert_string_equal(json_object_get_string_member(f, "os_family"), "rhel");
	assert_string_equal(json_object_get_string_member(f, "pkg"), "yum");
	assert_false(json_object_get_boolean_member(f, "has_targetcli"));
	assert_true(json_object_get_boolean_member(f, "has_iscsi_ls"));
	json_object_unref(f);
}

static void test_parse_errors(void **state)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{ "os_id=x\nnonsense\n", "malformed fact line 'nonsense'" },
		{ "os id=x\n", "malformed fact name 'os id'" },
		{ "=x\n", "malformed fact name ''" },
		{ "os_id=x\nos_family=rhel\npkg=yum\nfirewall=none\nselinux=none\n",
		  "the node did not report the fact 'init'" },
		{ "", "the node did not report the fact 'os_id'" },
	};

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;

		assert_null(facts_parse(cases[i].text, &error));
		assert_non_null(error);
		assert_string_equal(error->message, cases[i].msg);
	}
}

/* The embedded script runs under sh here and its output parses. */
static void test_script_runs(void **state)
{
	g_autoptr(JsonObject) vars = json_object_new();
	struct template_env env = { .vars = vars, .flags = TEMPLATE_QUOTE };
	g_autoptr(GError) error = NULL;
	g_autofree char *text = NULL;
	g_autofree char *script = NULL;
	g_autofree char *out = NULL;
	const char *argv[] = { "sh", "-c", NULL, NULL };
	JsonObject *f;
	gint status;
	gsize len;

	(void)state;
	text = playbook_read_resource(NULL, "templates/facts.sh", &len, &error);
	assert_non_null(text);
	script = template_expand("facts.sh", text, &env, &error);
	assert_non_null(script);
	argv[2] = script;
	assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH |
				 G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL, &status, NULL));
	assert_int_equal(status, 0);
	f = facts_parse(out, &error);
	if (!f)
		fail_msg("%s\n%s", error->message, out);
	/* this machine is Debian with apt-get */
	if (g_file_test("/etc/debian_version", G_FILE_TEST_EXISTS)) {
		assert_string_equal(json_object_get_string_member(f, "os_family"), "debian");
		assert_string_equal(json_object_get_string_member(f, "pkg"), "apt");
	}
	assert_true(json_object_has_member(f, "has_tgtadm"));
	assert_true(json_object_has_member(f, "has_mkfs_xfs"));
	assert_true(json_object_has_member(f, "has_qemu_storage_daemon"));
	json_object_unref(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_script_runs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
