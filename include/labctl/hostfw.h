/*
 * hostfw.h - this machine's firewall, seen from a bridge labctl made
 *
 * With br_netfilter loaded and net.bridge.bridge-nf-call-iptables set (as
 * Docker leaves a machine), every frame that crosses a Linux bridge goes
 * through the IPv4 forward hook, where a FORWARD policy of DROP (Docker's)
 * drops the traffic between the netns provider's nodes.  This module finds
 * the filter chains at that hook that may drop, and adds to each one rule,
 * at its head, that accepts what enters and leaves the lab's own bridge,
 * and nothing else.  The machine's policies, chains and sysctls are left
 * as they are.
 *
 * A rule is described by a JSON object, which is also the "forward" undo
 * operation journaled before the rule is added (see provider.h):
 *   {"op": "forward", "tool": T, "family": F, "table": TB, "chain": C,
 *    "bridge": B}
 * T is "iptables-nft" or "iptables-legacy" (then F is "ip", TB "filter"
 * and C "FORWARD") or "nft" (a chain of nftables' own, F "ip" or "inet").
 * The rule carries the comment "labctl:B", by which it is found again.
 */
#ifndef LABCTL_HOSTFW_H
#define LABCTL_HOSTFW_H

#include <stdbool.h>
#include <glib.h>
#include <json-glib/json-glib.h>

/* A filter chain at the IPv4 forward hook of this network namespace. */
struct hostfw_chain {
	char *tool;             /* "iptables-nft", "iptables-legacy" or "nft" */
	char *family;
	char *table;
	char *chain;
	bool policy_drop;
	guint rules;            /* how many rules it holds */
};

void hostfw_chain_free(gpointer p);

/*
 * Whether frames crossing a bridge pass the IPv4 forward hook of this
 * network namespace: /proc/sys/net/bridge/bridge-nf-call-iptables exists
 * and is 1.
 */
bool hostfw_bridge_filtered(void);

/*
 * The chains of this namespace's firewall at the IPv4 forward hook that
 * may drop a frame (policy drop, or any rule at all), as struct
 * hostfw_chain *: iptables' FORWARD chain when its filter table exists
 * (through iptables-nft and through iptables-legacy), and the base chains
 * of nftables' own ip and inet tables with hook forward (all of these only
 * when hostfw_bridge_filtered()), and of its bridge tables.  Lists without
 * changing anything (no table is made, no module loaded).  A tool that is
 * not installed has no chains.  NULL with @error when a listing fails.
 */
GPtrArray *hostfw_forward_chains(GError **error);

/*
 * The same from the output of "nft -j list ruleset" (@nft_json, or NULL)
 * and of "iptables-nft -S FORWARD" and "iptables-legacy -S FORWARD" (each
 * NULL when not listed), for a namespace where bridged frames pass the
 * IPv4 hooks (@br_netfilter) or not: then only chains of nftables' bridge
 * family see them.  With @ipt_nft, iptables-nft's own chain (ip filter
 * FORWARD) is taken from its iptables output, not from the ruleset.  NULL
 * with @error for JSON that is not nft's.
 */
GPtrArray *hostfw_parse(const char *nft_json, const char *ipt_nft, const char *ipt_legacy,
			bool br_netfilter, GError **error);

/* The rule (and undo operation) for @bridge in @c; a new reference. */
JsonObject *hostfw_rule(const struct hostfw_chain *c, const char *bridge);

/* A line for people: "accept lcX to lcX in iptables-nft FORWARD (policy drop)". */
char *hostfw_rule_describe(JsonObject *rule, const struct hostfw_chain *c);

/*
 * Whether @rule is in place; sets *@present.  The chain or table being
 * gone counts as not present.  False with @error for a @rule that is not
 * one of labctl's (a bridge not named "lc" and 8 hex digits, an unknown
 * tool) or when the listing fails.
 */
bool hostfw_rule_present(JsonObject *rule, bool *present, GError **error);

/* Inserts @rule at the head of its chain. */
bool hostfw_rule_add(JsonObject *rule, GError **error);

/*
 * Deletes every copy of @rule (a second up after one was deleted by hand
 * adds another); a rule, chain or table that is gone is deleted already.
 * This is the "forward" undo operation.
 */
bool hostfw_rule_delete(JsonObject *rule, GError **error);

#endif
