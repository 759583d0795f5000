/*
 * facts.h - what a node is: gathered in one round trip before planning
 *
 * templates/facts.sh prints KEY=VALUE lines; the facts are an object of
 * strings, with "true"/"false" values as booleans.  Tools are reported as
 * has_NAME with '.' and '-' of the tool's name turned into '_'
 * (has_mkfs_xfs, has_iscsi_ls).  Playbooks read them as facts.os_family,
 * facts.pkg, facts.firewall, facts.selinux, facts.init, facts.has_targetcli.
 */
#ifndef LABCTL_FACTS_H
#define LABCTL_FACTS_H

#include <glib.h>
#include <json-glib/json-glib.h>

/* The facts every node reports; facts_parse refuses output missing one. */
extern const char *const facts_required[];

/*
 * Parses the output of the facts script.  Returns a new object, or NULL
 * with @error set when a line is malformed or a required fact is missing.
 */
JsonObject *facts_parse(const char *output, GError **error);

#endif
