/*
 * facts.c - parsing what templates/facts.sh reports about a node
 */
#include <stdbool.h>
#include <string.h>
#include <gio/gio.h>

#include "labctl/facts.h"

const char *const facts_required[] = {
	"os_id", "os_family", "pkg", "firewall", "selinux", "init", NULL,
};

static bool valid_key(const char *k)
{
	if (!g_ascii_isalpha(*k) && *k != '_')
		return false;
	for (; *k; k++)
		if (!g_ascii_isalnum(*k) && *k != '_' && *k != '-')
			return false;
	return true;
}

JsonObject *facts_parse(const char *output, GError **error)
{
	g_autoptr(JsonObject) facts = json_object_new();
	g_auto(GStrv) lines = g_strsplit(output, "\n", -1);

	for (char **l = lines; *l; l++) {
		char *eq;

		if (!**l)
			continue;
		eq = strchr(*l, '=');
		if (!eq) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
				    "malformed fact line '%s'", *l);
			return NULL;
		}
		*eq = '\0';
		if (!valid_key(*l)) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
				    "malformed fact name '%s'", *l);
			return NULL;
		}
		if (!strcmp(eq + 1, "true") || !strcmp(eq + 1, "false"))
			json_object_set_boolean_member(facts, *l, !strcmp(eq + 1, "true"));
		else
			json_object_set_string_member(facts, *l, eq + 1);
	}
	for (const char *const *r = facts_required; *r; r++) {
		if (!json_object_has_member(facts, *r)) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
				    "the node did not report the fact '%s'", *r);
			return NULL;
		}
	}
	return g_steal_pointer(&facts);
}
