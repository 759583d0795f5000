/*
 * test_hostfw.c - finding the forward chains that would drop a lab bridge's
 * frames (table-driven, from recorded listings), and the rules it refuses
 * to touch (adding and deleting the rule for real is in
 * tests/system/test_hostfw.c)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int main(void)
{
	const struct CMUnitTest parse[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_refuses_foreign_rules),
	};

	return cmocka_run_group_tests_name("parse", parse, NULL, NULL);
}
