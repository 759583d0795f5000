/*
 * cmd_ssh_config.c - labctl ssh-config and labctl ssh: hand a lab to OpenSSH
 *
 * ssh-config prints an ssh_config(5) snippet, one Host per node, so that
 * "ssh -F FILE NODE" reaches it with the lab's key and known_hosts; ssh
 * writes that snippet into the state directory and runs ssh(1) with it, so
 * an interactive session gets a real terminal.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "labctl/cmd.h"
#include "labctl/provider.h"

/*
 * ssh_config splits a value into words with quotes and backslashes, as a
 * shell would: a value with a blank, a quote or a backslash goes in double
 * quotes, '"' and '\' escaped inside them.  A newline cannot be written at
 * all; validation refuses one in the paths that come from the spec.
 */
static void put_word(GString *out, const char *value)
{
	if (!strpbrk(value, " \t'\"\\")) {
		g_string_append(out, value);
		return;
	}
	g_string_append_c(out, '"');
	for (const char *c = value; *c; c++) {
		if (*c == '"' || *c == '\\')
			g_string_append_c(out, '\\');
		g_string_append_c(out, *c);
	}
	g_string_append_c(out, '"');
}

/* "  KEY VALUE [VALUE2]": a keyword that takes several words */
static void put_values(GString *out, const char *key, const char *value, const char *value2)
{
	g_string_append_printf(out, "  %s ", key);
	put_word(out, value);
	if (value2) {
		g_string_append_c(out, ' ');
		put_word(out, value2);
	}
	g_string_append_c(out, '\n');
}

static void put_value(GString *out, const char *key, const char *value)
{
	put_values(out, key, value, NULL);
}

static char *ssh_config_text(const struct lab_spec *spec, GPtrArray *access)
{
	GString *out = g_string_new(NULL);

	g_string_append_printf(out, JOURNAL_OWN_MARK " lab '%s' (%s)\n", spec->name.v, spec->file);
	for (guint i = 0; i < access->len; i++) {
		const struct node_access *a = g_ptr_array_index(access, i);
		g_autofree char *port = g_strdup_printf("%u", a->ssh.port ? a->ssh.port : 22);

		g_string_append_printf(out, "\nHost %s\n", a->name);
		put_value(out, "HostName", a->host);
		put_value(out, "Port", port);
		if (a->user)
			put_value(out, "User", a->user);
		if (a->key) {
			put_value(out, "IdentityFile", a->key);
			put_value(out, "IdentitiesOnly", "yes");
		}
		put_values(out, "UserKnownHostsFile", a->known_hosts, a->also_known_hosts);
		put_value(out, "StrictHostKeyChecking", a->ssh.accept_new ? "accept-new" : "yes");
	}
	return g_string_free(out, FALSE);
}

int cmd_ssh_config(const struct cmd *self, int argc, char **argv)
{
	g_autoptr(GPtrArray) access = NULL;
	g_autofree char *text = NULL;
	g_autoptr(lab_spec) spec = NULL;
	int status;

	status = cmd_lab_access(self, argc, argv, &spec, &access, NULL, NULL);
	if (status)
		return status < 0 ? EXIT_OK : status;
	text = ssh_config_text(spec, access);
	fputs(text, stdout);
	return EXIT_OK;
}

int cmd_ssh(const struct cmd *self, int argc, char **argv)
{
	g_autoptr(GPtrArray) access = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *text = NULL;
	g_autofree char *state = NULL;
	g_autofree char *file = NULL;
	g_autoptr(GPtrArray) args = g_ptr_array_new();
	const char *node;
	g_autoptr(lab_spec) spec = NULL;
	bool known = false;
	int status, rest;

	status = cmd_lab_access(self, argc, argv, &spec, &access, &rest, &state);
	if (status)
		return status < 0 ? EXIT_OK : status;
	node = argv[rest];
	for (guint i = 0; i < access->len; i++)
		known |= !strcmp(((struct node_access *)g_ptr_array_index(access, i))->name, node);
	if (!known) {
		fprintf(stderr, "labctl ssh: lab '%s' has no node '%s'\n", spec->name.v, node);
		return EXIT_USAGE;
	}
	text = ssh_config_text(spec, access);
	file = g_build_filename(state, "ssh_config", NULL);
	if (g_file_test(file, G_FILE_TEST_EXISTS) && !journal_is_own_file(file)) {
		fprintf(stderr, "labctl ssh: '%s' is not labctl's: it is left as it is; "
			"choose another --state-dir\n", file);
		return EXIT_FAILED;
	}
	if (g_mkdir_with_parents(state, 0700) ||
	    !g_file_set_contents(file, text, -1, &error) || g_chmod(file, 0600)) {
		fprintf(stderr, "labctl ssh: cannot write '%s': %s\n", file,
			error ? error->message : g_strerror(errno));
		return EXIT_FAILED;
	}
	g_ptr_array_add(args, (gpointer)"ssh");
	g_ptr_array_add(args, (gpointer)"-F");
	g_ptr_array_add(args, file);
	g_ptr_array_add(args, (gpointer)node);
	for (int i = rest + 1; i < argc; i++)
		g_ptr_array_add(args, argv[i]);
	g_ptr_array_add(args, NULL);
	fflush(NULL);
	execvp("ssh", (char **)args->pdata);
	fprintf(stderr, "labctl ssh: cannot run ssh: %s (Debian package openssh-client)\n",
		g_strerror(errno));
	return EXIT_FAILED;
}
