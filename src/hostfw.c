/*
 * hostfw.c - letting a lab bridge's frames through this machine's firewall
 */
#include <stdlib.h>
#include <string.h>
#include <glib.h>
#include <gio/gio.h>

#include "labctl/hostfw.h"
#include "labctl/provider.h"

#define BR_NF_SYSCTL "/proc/sys/net/bridge/bridge-nf-call-iptables"
#define IPT_TABLES "/proc/net/ip_tables_names"
/* seconds for one listing or change; iptables waits up to 5 s for its lock */
#define HOSTFW_TIMEOUT 30

void hostfw_chain_free(gpointer p)
{
	struct hostfw_chain *c = p;

	if (!c)
		return;
	g_free(c->tool);
	g_free(c->family);
	g_free(c->table);
	g_free(c->chain);
	g_free(c);
}

static struct hostfw_chain *chain_new(const char *tool, const char *family, const char *table,
				      const char *chain)
{
	struct hostfw_chain *c = g_new0(struct hostfw_chain, 1);

	c->tool = g_strdup(tool);
	c->family = g_strdup(family);
	c->table = g_strdup(table);
	c->chain = g_strdup(chain);
	return c;
}

bool hostfw_bridge_filtered(void)
{
	g_autofree char *v = NULL;

	return g_file_get_contents(BR_NF_SYSCTL, &v, NULL, NULL) && atoi(v) == 1;
}

/* A chain that may drop a frame: one we have to open for the bridge. */
static bool may_drop(const struct hostfw_chain *c)
{
	return c->policy_drop || c->rules > 0;
}

/* "iptables -S FORWARD" to the chain it describes. */
static struct hostfw_chain *parse_iptables(const char *tool, const char *text)
{
	struct hostfw_chain *c = chain_new(tool, "ip", "filter", "FORWARD");
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

	for (char **l = lines; *l; l++) {
		if (!strcmp(g_strchomp(*l), "-P FORWARD DROP"))
			c->policy_drop = true;
		else if (g_str_has_prefix(*l, "-A FORWARD "))
			c->rules++;
	}
	return c;
}

static bool is_iptables_nft_chain(JsonObject *o)
{
	return !g_strcmp0(json_object_get_string_member_with_default(o, "family", ""), "ip") &&
	       !g_strcmp0(json_object_get_string_member_with_default(o, "table", ""), "filter") &&
	       !g_strcmp0(json_object_get_string_member_with_default(o, "name", ""), "FORWARD");
}

static char *chain_key(const char *family, const char *table, const char *chain)
{
	return g_strdup_printf("%s\t%s\t%s", family, table, chain);
}

/* The "nftables" array of nft's JSON output. */
static JsonArray *nft_items(JsonParser *parser, const char *json, GError **error)
{
	JsonNode *root;
	JsonArray *items;

	if (!json_parser_load_from_data(parser, json, -1, error))
		return NULL;
	root = json_parser_get_root(parser);
	items = root && JSON_NODE_HOLDS_OBJECT(root)
			? json_object_get_array_member(json_node_get_object(root), "nftables")
			: NULL;
	if (!items)
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
			    "nft's JSON output has no 'nftables' list");
	return items;
}

/* Member @kind ("chain", "rule") of an element of nft's list, or NULL. */
static JsonObject *nft_item(JsonArray *items, guint i, const char *kind)
{
	JsonNode *n = json_array_get_element(items, i);

	if (!JSON_NODE_HOLDS_OBJECT(n) || !json_object_has_member(json_node_get_object(n), kind))
		return NULL;
	n = json_object_get_member(json_node_get_object(n), kind);
	return JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
}

static bool add_nft_chains(GPtrArray *out, const char *json, bool br_netfilter,
			   bool skip_iptables, GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GHashTable) by_key = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func(hostfw_chain_free);
	JsonArray *items = nft_items(parser, json, error);

	if (!items)
		return false;
	for (guint i = 0; i < json_array_get_length(items); i++) {
		JsonObject *o = nft_item(items, i, "chain");
		const char *family;
		struct hostfw_chain *c;

		if (!o || g_strcmp0(json_object_get_string_member_with_default(o, "hook", ""), "forward"))
			continue;
		family = json_object_get_string_member_with_default(o, "family", "");
		/* a bridge's own frames reach ip and inet chains only through br_netfilter */
		if (strcmp(family, "bridge") &&
		    (!br_netfilter || (strcmp(family, "ip") && strcmp(family, "inet"))))
			continue;
		if (skip_iptables && is_iptables_nft_chain(o))
			continue;
		c = chain_new("nft", family, json_object_get_string_member_with_default(o, "table", ""),
			      json_object_get_string_member_with_default(o, "name", ""));
		c->policy_drop = !g_strcmp0(json_object_get_string_member_with_default(o, "policy", ""),
					    "drop");
		g_hash_table_insert(by_key, chain_key(c->family, c->table, c->chain), c);
		g_ptr_array_add(found, c);
	}
	for (guint i = 0; i < json_array_get_length(items); i++) {
		JsonObject *o = nft_item(items, i, "rule");
		g_autofree char *key = NULL;
		struct hostfw_chain *c;

		if (!o)
			continue;
		key = chain_key(json_object_get_string_member_with_default(o, "family", ""),
				json_object_get_string_member_with_default(o, "table", ""),
				json_object_get_string_member_with_default(o, "chain", ""));
		c = g_hash_table_lookup(by_key, key);
		if (c)
			c->rules++;
	}
	for (guint i = 0; i < found->len; i++)
		if (may_drop(g_ptr_array_index(found, i)))
			g_ptr_array_add(out, g_ptr_array_steal_index(found, i--));
	return true;
}

GPtrArray *hostfw_parse(const char *nft_json, const char *ipt_nft, const char *ipt_legacy,
			bool br_netfilter, GError **error)
{
	g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(hostfw_chain_free);
	const char *texts[] = { ipt_nft, ipt_legacy };
	const char *tools[] = { "iptables-nft", "iptables-legacy" };

	for (guint i = 0; br_netfilter && i < G_N_ELEMENTS(texts); i++) {
		struct hostfw_chain *c;

		if (!texts[i])
			continue;
		c = parse_iptables(tools[i], texts[i]);
		if (may_drop(c))
			g_ptr_array_add(out, c);
		else
			hostfw_chain_free(c);
	}
	if (nft_json && !add_nft_chains(out, nft_json, br_netfilter, ipt_nft != NULL, error))
		return NULL;
	return g_steal_pointer(&out);
}

static bool have(const char *tool)
{
	g_autofree char *path = g_find_program_in_path(tool);

	return path != NULL;
}

/*
 * Whether iptables-legacy's filter table exists in this namespace: asking
 * iptables-legacy itself would load the table, and so make it.
 */
static bool legacy_filter_exists(void)
{
	g_autofree char *names = NULL;
	g_auto(GStrv) lines = NULL;

	if (!g_file_get_contents(IPT_TABLES, &names, NULL, NULL))
		return false;
	lines = g_strsplit(names, "\n", -1);
	return g_strv_contains((const char *const *)lines, "filter");
}

static char *list_iptables(const char *tool, GError **error)
{
	const char *argv[] = { tool, "-w", "5", "-S", "FORWARD", NULL };
	char *out = NULL;

	return provider_exec(argv, NULL, HOSTFW_TIMEOUT, &out, NULL, error) ? out : NULL;
}

static char *list_nft(GError **error)
{
	const char *argv[] = { "nft", "-j", "list", "ruleset", NULL };
	char *out = NULL;

	return provider_exec(argv, NULL, HOSTFW_TIMEOUT, &out, NULL, error) ? out : NULL;
}

GPtrArray *hostfw_forward_chains(GError **error)
{
	bool br = hostfw_bridge_filtered();
	g_autofree char *nft = NULL;
	g_autofree char *ipt_nft = NULL;
	g_autofree char *ipt_legacy = NULL;

	/* listing with iptables-nft makes no table (-S of an empty ruleset) */
	if (br && have("iptables-nft") && !(ipt_nft = list_iptables("iptables-nft", error)))
		return NULL;
	if (br && have("iptables-legacy") && legacy_filter_exists() &&
	    !(ipt_legacy = list_iptables("iptables-legacy", error)))
		return NULL;
	if (have("nft") && !(nft = list_nft(error)))
		return NULL;
	return hostfw_parse(nft, ipt_nft, ipt_legacy, br, error);
}

JsonObject *hostfw_rule(const struct hostfw_chain *c, const char *bridge)
{
	JsonObject *r = json_object_new();

	json_object_set_string_member(r, "op", "forward");
	json_object_set_string_member(r, "tool", c->tool);
	json_object_set_string_member(r, "family", c->family);
	json_object_set_string_member(r, "table", c->table);
	json_object_set_string_member(r, "chain", c->chain);
	json_object_set_string_member(r, "bridge", bridge);
	return r;
}

char *hostfw_rule_describe(JsonObject *rule, const struct hostfw_chain *c)
{
	const char *tool = json_object_get_string_member(rule, "tool");
	const char *bridge = json_object_get_string_member(rule, "bridge");
	g_autofree char *where = NULL;

	if (!strcmp(tool, "nft"))
		where = g_strdup_printf("nftables chain %s %s %s", c->family, c->table, c->chain);
	else
		where = g_strdup_printf("%s chain FORWARD", tool);
	return g_strdup_printf("firewall rule accepting bridge %s's traffic in %s (policy %s, %u rule%s)",
			       bridge, where, c->policy_drop ? "drop" : "accept", c->rules,
			       c->rules == 1 ? "" : "s");
}

/* A rule's members, checked: only a rule for one of labctl's bridges is touched. */
struct rule {
	const char *tool, *family, *table, *chain, *bridge;
	char *comment;
};

static bool is_lab_bridge(const char *b)
{
	if (!b || strlen(b) != 10 || !g_str_has_prefix(b, "lc"))
		return false;
	for (const char *p = b + 2; *p; p++)
		if (!g_ascii_isxdigit(*p) || g_ascii_isupper(*p))
			return false;
	return true;
}

static bool rule_get(JsonObject *o, struct rule *r, GError **error)
{
	r->tool = json_object_get_string_member_with_default(o, "tool", "");
	r->family = json_object_get_string_member_with_default(o, "family", "");
	r->table = json_object_get_string_member_with_default(o, "table", "");
	r->chain = json_object_get_string_member_with_default(o, "chain", "");
	r->bridge = json_object_get_string_member_with_default(o, "bridge", "");
	if (!is_lab_bridge(r->bridge)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "forward rule for '%s', which is not a bridge labctl names", r->bridge);
		return false;
	}
	if (!strcmp(r->tool, "iptables-nft") || !strcmp(r->tool, "iptables-legacy")) {
		if (strcmp(r->family, "ip") || strcmp(r->table, "filter") || strcmp(r->chain, "FORWARD")) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
				    "forward rule of %s outside ip filter FORWARD", r->tool);
			return false;
		}
	} else if (strcmp(r->tool, "nft") ||
		   (strcmp(r->family, "ip") && strcmp(r->family, "inet") && strcmp(r->family, "bridge")) ||
		   !*r->table || !*r->chain) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "forward rule of unknown tool '%s' or family '%s'", r->tool, r->family);
		return false;
	}
	r->comment = g_strdup_printf("labctl:%s", r->bridge);
	return true;
}

static void rule_clear(struct rule *r)
{
	g_free(r->comment);
}

/* Runs iptables @op ("-C", "-I", "-D") on the rule; its exit status in *@status. */
static bool iptables_op(const struct rule *r, const char *op, int *status, GError **error)
{
	const char *argv[18];
	guint n = 0;

	argv[n++] = r->tool;
	argv[n++] = "-w";
	argv[n++] = "5";
	argv[n++] = op;
	argv[n++] = "FORWARD";
	if (!strcmp(op, "-I"))
		argv[n++] = "1";
	argv[n++] = "-i";
	argv[n++] = r->bridge;
	argv[n++] = "-o";
	argv[n++] = r->bridge;
	argv[n++] = "-m";
	argv[n++] = "comment";
	argv[n++] = "--comment";
	argv[n++] = r->comment;
	argv[n++] = "-j";
	argv[n++] = "ACCEPT";
	argv[n] = NULL;
	return provider_exec(argv, NULL, HOSTFW_TIMEOUT, NULL, status, error);
}

/* -C: 0 is there, 1 is not (also without the table), anything else an error. */
static bool iptables_present(const struct rule *r, bool *present, GError **error)
{
	int status;

	*present = false;
	/* -C with iptables-legacy would make the filter table it looks in */
	if (!strcmp(r->tool, "iptables-legacy") && !legacy_filter_exists())
		return true;
	if (!iptables_op(r, "-C", &status, error))
		return false;
	if (status != 0 && status != 1) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
			    "%s -C FORWARD for bridge %s: exit status %d", r->tool, r->bridge, status);
		return false;
	}
	*present = status == 0;
	return true;
}

/* The handles of the rule's copies in nft's ruleset. */
static GArray *nft_handles(const struct rule *r, GError **error)
{
	g_autofree char *json = list_nft(error);
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GArray) handles = g_array_new(FALSE, FALSE, sizeof(gint64));
	JsonArray *items;

	if (!json || !(items = nft_items(parser, json, error)))
		return NULL;
	for (guint i = 0; i < json_array_get_length(items); i++) {
		JsonObject *o = nft_item(items, i, "rule");
		gint64 h;

		if (!o || g_strcmp0(json_object_get_string_member_with_default(o, "family", ""), r->family) ||
		    g_strcmp0(json_object_get_string_member_with_default(o, "table", ""), r->table) ||
		    g_strcmp0(json_object_get_string_member_with_default(o, "chain", ""), r->chain) ||
		    g_strcmp0(json_object_get_string_member_with_default(o, "comment", ""), r->comment))
			continue;
		h = json_object_get_int_member_with_default(o, "handle", 0);
		if (h > 0)
			g_array_append_val(handles, h);
	}
	return g_steal_pointer(&handles);
}

/* "iifname == DEV" and the like. */
static JsonNode *meta_match(const char *key, const char *value)
{
	g_autoptr(JsonBuilder) b = json_builder_new();

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "match");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "op");
	json_builder_add_string_value(b, "==");
	json_builder_set_member_name(b, "left");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "meta");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "key");
	json_builder_add_string_value(b, key);
	json_builder_end_object(b);
	json_builder_end_object(b);
	json_builder_set_member_name(b, "right");
	json_builder_add_string_value(b, value);
	json_builder_end_object(b);
	json_builder_end_object(b);
	return json_builder_get_root(b);
}

static JsonObject *nft_rule_ref(const struct rule *r)
{
	JsonObject *o = json_object_new();

	json_object_set_string_member(o, "family", r->family);
	json_object_set_string_member(o, "table", r->table);
	json_object_set_string_member(o, "chain", r->chain);
	return o;
}

/* Runs one nft command given as JSON: {"nftables": [{VERB: {"rule": RULE}}, ...]}. */
static bool nft_apply(const char *verb, GPtrArray *rules, GError **error)
{
	const char *argv[] = { "nft", "-j", "-f", "-", NULL };
	g_autoptr(JsonObject) top = json_object_new();
	JsonArray *cmds = json_array_new();
	g_autoptr(JsonNode) root = json_node_new(JSON_NODE_OBJECT);
	g_autofree char *text = NULL;

	for (guint i = 0; i < rules->len; i++) {
		JsonObject *cmd = json_object_new();
		JsonObject *what = json_object_new();

		json_object_set_object_member(what, "rule", json_object_ref(g_ptr_array_index(rules, i)));
		json_object_set_object_member(cmd, verb, what);
		json_array_add_object_element(cmds, cmd);
	}
	json_object_set_array_member(top, "nftables", cmds);
	json_node_set_object(root, top);
	text = json_to_string(root, FALSE);
	return provider_exec(argv, text, HOSTFW_TIMEOUT, NULL, NULL, error);
}

bool hostfw_rule_present(JsonObject *rule, bool *present, GError **error)
{
	struct rule r = { 0 };
	g_autoptr(GArray) handles = NULL;
	bool ok;

	*present = false;
	if (!rule_get(rule, &r, error))
		return false;
	if (strcmp(r.tool, "nft")) {
		ok = iptables_present(&r, present, error);
	} else {
		handles = nft_handles(&r, error);
		ok = handles != NULL;
		*present = ok && handles->len > 0;
	}
	rule_clear(&r);
	return ok;
}

bool hostfw_rule_add(JsonObject *rule, GError **error)
{
	struct rule r = { 0 };
	bool ok;

	if (!rule_get(rule, &r, error))
		return false;
	if (strcmp(r.tool, "nft")) {
		ok = iptables_op(&r, "-I", NULL, error);
	} else {
		g_autoptr(GPtrArray) rules = g_ptr_array_new_with_free_func((GDestroyNotify)json_object_unref);
		JsonObject *o = nft_rule_ref(&r);
		JsonArray *expr = json_array_new();
		/*
		 * A bridge family chain sees the bridge's ports, the lab's veths
		 * "lcHASHvN" (meta ibrname, the bridge's own name, needs a kernel
		 * module that is not everywhere); ip and inet chains see the
		 * bridge itself.
		 */
		g_autofree char *dev = !strcmp(r.family, "bridge") ? g_strdup_printf("%sv*", r.bridge)
								    : g_strdup(r.bridge);

		json_array_add_element(expr, meta_match("iifname", dev));
		json_array_add_element(expr, meta_match("oifname", dev));
		json_array_add_object_element(expr, json_object_new());
		json_object_set_null_member(json_array_get_object_element(expr, 2), "accept");
		json_object_set_array_member(o, "expr", expr);
		json_object_set_string_member(o, "comment", r.comment);
		g_ptr_array_add(rules, o);
		ok = nft_apply("insert", rules, error);
	}
	rule_clear(&r);
	return ok;
}

bool hostfw_rule_delete(JsonObject *rule, GError **error)
{
	struct rule r = { 0 };
	bool ok = true;

	if (!rule_get(rule, &r, error))
		return false;
	if (strcmp(r.tool, "nft")) {
		bool present = true;

		for (guint round = 0; ok && present && round < 16; round++) {
			ok = iptables_present(&r, &present, error);
			if (ok && present)
				ok = iptables_op(&r, "-D", NULL, error);
		}
	} else {
		g_autoptr(GArray) handles = nft_handles(&r, error);
		g_autoptr(GPtrArray) rules = g_ptr_array_new_with_free_func((GDestroyNotify)json_object_unref);

		ok = handles != NULL;
		for (guint i = 0; ok && i < handles->len; i++) {
			JsonObject *o = nft_rule_ref(&r);

			json_object_set_int_member(o, "handle", g_array_index(handles, gint64, i));
			g_ptr_array_add(rules, o);
		}
		if (ok && rules->len)
			ok = nft_apply("delete", rules, error);
	}
	rule_clear(&r);
	return ok;
}
