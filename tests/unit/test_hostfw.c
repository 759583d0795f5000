/*
 * test_hostfw.c - finding the forward chains that would drop a lab bridge's
 * frames (table-driven, from recorded listings), and adding and deleting
 * the bridge's rule for real with iptables-nft, nft and iptables-legacy in
 * a network namespace of the test's own (needs root), so that the
 * machine's firewall is never touched.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "labctl/hostfw.h"
#include "labctl/provider.h"

/* nft -j list ruleset of a machine with Docker (iptables-nft) and a table of its own */
static const char docker_json[] =
	"{\"nftables\": [{\"metainfo\": {\"version\": \"1.0.6\", \"json_schema_version\": 1}},"
	"{\"table\": {\"family\": \"ip\", \"name\": \"filter\", \"handle\": 1}},"
	"{\"chain\": {\"family\": \"ip\", \"table\": \"filter\", \"name\": \"FORWARD\", \"handle\": 1,"
	" \"type\": \"filter\", \"hook\": \"forward\", \"prio\": 0, \"policy\": \"drop\"}},"
	"{\"chain\": {\"family\": \"ip\", \"table\": \"filter\", \"name\": \"DOCKER-USER\", \"handle\": 2}},"
	"{\"rule\": {\"family\": \"ip\", \"table\": \"filter\", \"chain\": \"FORWARD\", \"handle\": 3, \"expr\": []}},"
	"{\"table\": {\"family\": \"inet\", \"name\": \"mine\", \"handle\": 2}},"
	"{\"chain\": {\"family\": \"inet\", \"table\": \"mine\", \"name\": \"fwd\", \"handle\": 1,"
	" \"type\": \"filter\", \"hook\": \"forward\", \"prio\": 0, \"policy\": \"accept\"}},"
	"{\"rule\": {\"family\": \"inet\", \"table\": \"mine\", \"chain\": \"fwd\", \"handle\": 2, \"expr\": []}},"
	"{\"rule\": {\"family\": \"inet\", \"table\": \"mine\", \"chain\": \"fwd\", \"handle\": 3, \"expr\": []}},"
	"{\"chain\": {\"family\": \"inet\", \"table\": \"mine\", \"name\": \"in\", \"handle\": 4,"
	" \"type\": \"filter\", \"hook\": \"input\", \"prio\": 0, \"policy\": \"drop\"}},"
	"{\"chain\": {\"family\": \"inet\", \"table\": \"mine\", \"name\": \"open\", \"handle\": 5,"
	" \"type\": \"filter\", \"hook\": \"forward\", \"prio\": 10, \"policy\": \"accept\"}},"
	"{\"table\": {\"family\": \"bridge\", \"name\": \"br\", \"handle\": 3}},"
	"{\"chain\": {\"family\": \"bridge\", \"table\": \"br\", \"name\": \"f\", \"handle\": 1,"
	" \"type\": \"filter\", \"hook\": \"forward\", \"prio\": 0, \"policy\": \"drop\"}},"
	"{\"table\": {\"family\": \"ip6\", \"name\": \"six\", \"handle\": 4}},"
	"{\"chain\": {\"family\": \"ip6\", \"table\": \"six\", \"name\": \"f\", \"handle\": 1,"
	" \"type\": \"filter\", \"hook\": \"forward\", \"prio\": 0, \"policy\": \"drop\"}}]}";

/* Undos of the lab of hash 0123abcd, whose bridge is lc0123abcd. */
static struct undo_ctx lab = { .state_dir = (char *)"/nonexistent/state", .hash = (char *)"0123abcd" };

static const char docker_ipt[] = "-P FORWARD DROP\n-A FORWARD -j DOCKER-USER\n";

static char *describe_all(GPtrArray *chains)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; i < chains->len; i++) {
		const struct hostfw_chain *c = g_ptr_array_index(chains, i);

		g_string_append_printf(s, "%s %s %s %s %s %u;", c->tool, c->family, c->table, c->chain,
				       c->policy_drop ? "drop" : "accept", c->rules);
	}
	return g_string_free(s, FALSE);
}

static void test_parse(void **state)
{
	static const struct {
		const char *nft, *ipt_nft, *ipt_legacy;
		bool br_netfilter;
		const char *want;
	} cases[] = {
		/* Docker: its FORWARD through iptables-nft, not through nft */
		{ docker_json, docker_ipt, NULL, true,
		  "iptables-nft ip filter FORWARD drop 1;nft inet mine fwd accept 2;nft bridge br f drop 0;" },
		/* without iptables-nft, nft's view of the same chain */
		{ docker_json, NULL, NULL, true,
		  "nft ip filter FORWARD drop 1;nft inet mine fwd accept 2;nft bridge br f drop 0;" },
		/* bridged frames skip the ip hooks: only the bridge family sees them */
		{ docker_json, docker_ipt, "-P FORWARD DROP\n", false, "nft bridge br f drop 0;" },
		/* nothing that drops: an accepting, empty chain needs no rule */
		{ NULL, "-P FORWARD ACCEPT\n", "-P FORWARD ACCEPT\n", true, "" },
		{ NULL, "-P FORWARD ACCEPT\n", "-P FORWARD ACCEPT\n-A FORWARD -s 10.0.0.1/32 -j DROP\n", true,
		  "iptables-legacy ip filter FORWARD accept 1;" },
		{ "{\"nftables\": []}", NULL, NULL, true, "" },
	};
	g_autoptr(GError) error = NULL;

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GPtrArray) chains = hostfw_parse(cases[i].nft, cases[i].ipt_nft,
							   cases[i].ipt_legacy, cases[i].br_netfilter,
							   &error);
		g_autofree char *got = NULL;

		assert_non_null(chains);
		got = describe_all(chains);
		if (strcmp(got, cases[i].want))
			fail_msg("case %zu: got '%s', want '%s'", i, got, cases[i].want);
	}
	assert_null(hostfw_parse("{\"tables\": 1}", NULL, NULL, true, &error));
	assert_non_null(strstr(error->message, "no 'nftables' list"));
	g_clear_error(&error);
	assert_null(hostfw_parse("not json", NULL, NULL, true, &error));
	g_clear_error(&error);
}

static JsonObject *rule_of(const char *json)
{
	g_autoptr(JsonNode) n = json_from_string(json, NULL);

	assert_non_null(n);
	return json_node_dup_object(n);
}

/* Only rules for a bridge labctl names, in chains of a known tool, are touched. */
static void test_refuses_foreign_rules(void **state)
{
	static const char *bad[] = {
		"{\"op\":\"forward\",\"tool\":\"iptables-nft\",\"family\":\"ip\",\"table\":\"filter\",\"chain\":\"FORWARD\",\"bridge\":\"docker0\"}",
		"{\"op\":\"forward\",\"tool\":\"iptables-nft\",\"family\":\"ip\",\"table\":\"filter\",\"chain\":\"FORWARD\",\"bridge\":\"lc0123456g\"}",
		"{\"op\":\"forward\",\"tool\":\"iptables-nft\",\"family\":\"ip\",\"table\":\"filter\",\"chain\":\"INPUT\",\"bridge\":\"lc01234567\"}",
		"{\"op\":\"forward\",\"tool\":\"sh\",\"family\":\"ip\",\"table\":\"filter\",\"chain\":\"FORWARD\",\"bridge\":\"lc01234567\"}",
		"{\"op\":\"forward\",\"tool\":\"nft\",\"family\":\"arp\",\"table\":\"t\",\"chain\":\"c\",\"bridge\":\"lc01234567\"}",
		"{\"op\":\"forward\",\"tool\":\"nft\",\"family\":\"inet\",\"table\":\"\",\"chain\":\"c\",\"bridge\":\"lc01234567\"}",
	};

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(JsonObject) r = rule_of(bad[i]);
		g_autoptr(GError) error = NULL;
		bool present;

		assert_false(hostfw_rule_present(r, &present, &error));
		assert_true(g_error_matches(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT));
		g_clear_error(&error);
		assert_false(hostfw_rule_delete(r, &error));
		assert_non_null(error);
		g_clear_error(&error);
		assert_false(provider_undo(&provider_netns, &lab, r, &error));
		assert_non_null(error);
	}
}

static char *sh_out(const char *cmd)
{
	const char *argv[] = { "sh", "-c", cmd, NULL };
	g_autoptr(GError) error = NULL;
	char *out = NULL;

	if (!provider_exec(argv, NULL, 30, &out, NULL, &error))
		fail_msg("%s: %s", cmd, error->message);
	return out;
}

/* The bridge's rule added, found, and deleted, leaving the rest as it was. */
static void round_trip(const char *setup, const char *save, const char *want_tool,
		       const char *want_line)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) chains = NULL;
	g_autoptr(JsonObject) rule = NULL;
	g_autofree char *before = NULL;
	g_autofree char *with = NULL;
	g_autofree char *after = NULL;
	g_autofree char *again = NULL;
	bool present = true;

	g_free(sh_out(setup));
	before = sh_out(save);
	chains = hostfw_forward_chains(&error);
	assert_non_null(chains);
	assert_int_equal(chains->len, 1);
	assert_string_equal(((struct hostfw_chain *)g_ptr_array_index(chains, 0))->tool, want_tool);
	rule = hostfw_rule(g_ptr_array_index(chains, 0), "lc0123abcd");
	/* the bridge of the lab of hash 0123abcd */
	assert_string_equal(lab.hash, "0123abcd");
	assert_true(hostfw_rule_present(rule, &present, &error));
	assert_false(present);
	assert_true(hostfw_rule_add(rule, &error));
	assert_true(hostfw_rule_present(rule, &present, &error));
	assert_true(present);
	with = sh_out(save);
	if (!strstr(with, want_line))
		fail_msg("'%s' not in:\n%s", want_line, with);
	/* twice, as a second up after one was deleted by hand would leave it */
	assert_true(hostfw_rule_add(rule, &error));
	assert_true(provider_undo(&provider_netns, &lab, rule, &error));
	assert_true(hostfw_rule_present(rule, &present, &error));
	assert_false(present);
	after = sh_out(save);
	assert_string_equal(before, after);
	/* gone is undone */
	assert_true(provider_undo(&provider_netns, &lab, rule, &error));
	again = sh_out(save);
	assert_string_equal(before, again);
}

static void test_iptables_nft(void **state)
{
	(void)state;
	round_trip("iptables-nft -N DOCKER-USER && iptables-nft -A FORWARD -j DOCKER-USER && "
		   "iptables-nft -P FORWARD DROP",
		   "iptables-nft-save | grep -v '^#' | sed 's/\\[[0-9]*:[0-9]*\\]//'", "iptables-nft",
		   "-A FORWARD -i lc0123abcd -o lc0123abcd -m comment --comment \"labctl:lc0123abcd\" -j ACCEPT\n"
		   "-A FORWARD -j DOCKER-USER");
	g_free(sh_out("iptables-nft -F && iptables-nft -X && iptables-nft -P FORWARD ACCEPT && nft flush ruleset"));
}

static void test_nft(void **state)
{
	(void)state;
	round_trip("nft add table inet t && "
		   "nft add chain inet t f '{ type filter hook forward priority 0; policy drop; }' && "
		   "nft add rule inet t f ct state established accept && "
		   "nft add table bridge b && "
		   "nft add chain bridge b f '{ type filter hook forward priority 0; policy accept; }' && "
		   "nft delete table bridge b",
		   "nft -s list ruleset", "nft",
		   "iifname \"lc0123abcd\" oifname \"lc0123abcd\" accept comment \"labctl:lc0123abcd\"\n"
		   "\t\tct state established accept");
	g_free(sh_out("nft flush ruleset && nft add table bridge b && "
		      "nft add chain bridge b f '{ type filter hook forward priority 0; policy drop; }'"));
	/* the bridge family sees the bridge's ports, the lab's veths */
	{
		g_autoptr(GError) error = NULL;
		g_autoptr(GPtrArray) chains = hostfw_forward_chains(&error);
		g_autoptr(JsonObject) rule = NULL;
		g_autofree char *with = NULL;

		assert_non_null(chains);
		assert_int_equal(chains->len, 1);
		rule = hostfw_rule(g_ptr_array_index(chains, 0), "lc0123abcd");
	/* the bridge of the lab of hash 0123abcd */
	assert_string_equal(lab.hash, "0123abcd");
		assert_true(hostfw_rule_add(rule, &error));
		with = sh_out("nft list chain bridge b f");
		assert_non_null(strstr(with, "iifname \"lc0123abcdv*\" oifname \"lc0123abcdv*\" accept"));
		assert_true(hostfw_rule_delete(rule, &error));
	}
	g_free(sh_out("nft flush ruleset"));
}

static void test_iptables_legacy(void **state)
{
	(void)state;
	round_trip("iptables-legacy -P FORWARD DROP && iptables-legacy -A FORWARD -i docker0 -j ACCEPT",
		   "iptables-legacy-save | grep -v '^#' | sed 's/\\[[0-9]*:[0-9]*\\]//'",
		   "iptables-legacy",
		   "-A FORWARD -i lc0123abcd -o lc0123abcd -m comment --comment \"labctl:lc0123abcd\" -j ACCEPT\n"
		   "-A FORWARD -i docker0 -j ACCEPT");
}

/* Where bridged frames skip the ip hooks, a drop policy there needs no rule. */
static void test_without_br_netfilter(void **state)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) chains = NULL;

	(void)state;
	g_free(sh_out("echo 0 > /proc/sys/net/bridge/bridge-nf-call-iptables && "
		      "iptables-nft -P FORWARD DROP"));
	assert_false(hostfw_bridge_filtered());
	chains = hostfw_forward_chains(&error);
	assert_non_null(chains);
	assert_int_equal(chains->len, 0);
	g_free(sh_out("echo 1 > /proc/sys/net/bridge/bridge-nf-call-iptables && "
		      "iptables-nft -P FORWARD ACCEPT && nft flush ruleset"));
}

int main(void)
{
	const struct CMUnitTest parse[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_refuses_foreign_rules),
	};
	const struct CMUnitTest real[] = {
		cmocka_unit_test(test_iptables_nft),
		cmocka_unit_test(test_nft),
		cmocka_unit_test(test_iptables_legacy),
		cmocka_unit_test(test_without_br_netfilter),
	};
	int failed = cmocka_run_group_tests_name("parse", parse, NULL, NULL);

	/* a network namespace of the test's own: the machine's firewall stays as it is */
	if (geteuid() != 0 || unshare(CLONE_NEWNET) != 0) {
		printf("not ok - test_hostfw needs root for a network namespace of its own\n");
		return 1;
	}
	if (access("/proc/sys/net/bridge/bridge-nf-call-iptables", F_OK) != 0) {
		printf("not ok - test_hostfw: br_netfilter is not loaded, no bridge filtering to test "
		       "(modprobe br_netfilter)\n");
		return 1;
	}
	g_free(sh_out("echo 1 > /proc/sys/net/bridge/bridge-nf-call-iptables"));
	return failed + cmocka_run_group_tests_name("in a network namespace", real, NULL, NULL);
}
