/*
 * provider_vagrant.h - what the vagrant provider offers beyond its vtable
 */
#ifndef LABCTL_PROVIDER_VAGRANT_H
#define LABCTL_PROVIDER_VAGRANT_H

#include <glib.h>

#include "labctl/provider.h"

/*
 * Parses the output of "vagrant ssh-config": a struct node_access * for
 * every Host entry, in order, with name, host, port, user and key (the
 * first IdentityFile, without quotes) filled in and the ssh members
 * pointing at them; known_hosts is NULL.  Returns NULL with @error set
 * (naming the line) for output that is not what vagrant prints: no Host
 * entry, a line that is not "Keyword value", a line before the first Host,
 * a Host without HostName or User, a HostName or User of more than one
 * word, an empty value, unbalanced quotes, a bad Port, a Host given twice.
 * Other keywords are ignored.  Free with g_ptr_array_unref().
 */
GPtrArray *provider_vagrant_parse(const char *ssh_config_text, GError **error);

#endif
