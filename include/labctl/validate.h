/*
 * validate.h - everything about a spec that the schema alone cannot say
 *
 * Names and their character sets, IQN syntax (RFC 3720: iqn., eui., naa.),
 * addresses and portals, safe absolute paths, sizes, references between
 * nodes, LUNs and mounts, duplicates, provider-specific keys, and values
 * that would start with '-' where they become a command argument.
 */
#ifndef LABCTL_VALIDATE_H
#define LABCTL_VALIDATE_H

#include <stdbool.h>
#include <glib.h>

#include "labctl/spec.h"

/* Smallest LUN mkfs.xfs accepts on current xfsprogs. */
#define VALIDATE_XFS_MIN_BYTES (300ULL << 20)

/*
 * Checks @spec, adding one diagnostic per problem to @diags, and resolves
 * its defaults (spec_resolve) so that cross-references are checked against
 * what will really run.  Returns true when no problem was found.
 */
bool validate_spec(struct lab_spec *spec, GPtrArray *diags);

/*
 * The single-value checks, exported for the tests and for values that come
 * from elsewhere than a spec.  Each returns NULL when @s is fine, or a
 * static string saying what is wrong.
 */
const char *validate_iqn(const char *s);
const char *validate_name(const char *s);       /* lab and node names */
const char *validate_abs_path(const char *s);   /* image and mount paths */
const char *validate_address(const char *s);    /* IP literal or host name */
const char *validate_portal(const char *s, char **addr, unsigned *port);

/*
 * The tree of NULL-terminated @trees that holds @path (the tree itself, or
 * anything below it), or ".ssh" for a path in or below any .ssh
 * directory; NULL when none does.
 */
const char *validate_system_tree(const char *path, const char *const *trees);

#endif
