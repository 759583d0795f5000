/*
 * test_hostfw.c - adding and deleting a lab bridge's rule for real with
 * iptables-nft, nft and iptables-legacy, in a network namespace of the
 * test's own, so that the machine's firewall is never touched (reading
 * recorded listings is in tests/unit/test_hostfw.c)
 */
#include <errno.h>
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
#include "system.h"

/* Undos of the lab of hash 0123abcd, whose bridge is lc0123abcd. */
static struct undo_ctx lab = { .state_dir = (char *)"/nonexistent/state", .hash = (char *)"0123abcd" };

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
	const struct CMUnitTest real[] = {
		cmocka_unit_test(test_iptables_nft),
		cmocka_unit_test(test_nft),
		cmocka_unit_test(test_iptables_legacy),
		cmocka_unit_test(test_without_br_netfilter),
	};

	system_need_root("test_hostfw", "a network namespace of its own");
	/* a network namespace of the test's own: the machine's firewall stays as it is */
	if (unshare(CLONE_NEWNET) != 0) {
		printf("not ok - test_hostfw: cannot make a network namespace of its own: %s\n",
		       g_strerror(errno));
		return 1;
	}
	if (access("/proc/sys/net/bridge/bridge-nf-call-iptables", F_OK) != 0) {
		printf("not ok - test_hostfw: br_netfilter is not loaded, no bridge filtering to test "
		       "(modprobe br_netfilter)\n");
		return 1;
	}
	g_free(sh_out("echo 1 > /proc/sys/net/bridge/bridge-nf-call-iptables"));
	return cmocka_run_group_tests_name("in a network namespace", real, NULL, NULL);
}
