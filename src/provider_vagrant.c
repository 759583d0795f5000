/*
 * provider_vagrant.c - the machines of a Vagrant project
 *
 * labctl neither makes nor destroys these machines: "vagrant up" and
 * "vagrant destroy" are the user's.  The provider asks vagrant how to reach
 * each one ("vagrant ssh-config" in the project's directory) and hands that
 * to the engine; a machine's name is the node's name.  Since nothing on
 * this machine changes, nothing is journaled.
 *
 * Host keys: vagrant turns checking off (StrictHostKeyChecking no,
 * UserKnownHostsFile /dev/null) because a box makes new host keys on every
 * "vagrant up".  labctl does not follow it there: the machines outlive the
 * lab, so their keys are checked against labctl's own known_hosts, which
 * down keeps, and ~/.ssh/known_hosts (provider_kept_known_hosts); a key
 * seen for the first time is recorded only with --accept-new-host-keys,
 * and a machine made anew by "vagrant destroy" and "vagrant up" has a
 * changed key, refused until its old line is removed.
 */
#include <stdlib.h>
#include <string.h>
#include <gio/gio.h>

#include "labctl/provider_vagrant.h"

/* "vagrant ssh-config" starts Ruby and asks the hypervisor: seconds, not minutes */
#define VAGRANT_TIMEOUT_SECONDS 60

/* ---- the output of "vagrant ssh-config" ---- */

static void link_ssh(struct node_access *a)
{
	a->ssh.name = a->name;
	a->ssh.host = a->host;
	a->ssh.user = a->user;
	a->ssh.key = a->key;
	a->ssh.known_hosts = a->known_hosts;
	a->ssh.also_known_hosts = a->also_known_hosts;
	a->ssh.passphrase = a->passphrase;
}

/* A Host entry is complete: vagrant always prints HostName, User and Port. */
static bool entry_done(struct node_access *a, guint line, GError **error)
{
	if (!a)
		return true;
	if (!a->host) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
			    "host '%s' (line %u) has no HostName", a->name, line);
		return false;
	}
	if (!a->user) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
			    "host '%s' (line %u) has no User", a->name, line);
		return false;
	}
	if (!a->ssh.port)
		a->ssh.port = 22;
	link_ssh(a);
	return true;
}

static bool is_keyword(const char *s, size_t len)
{
	if (!len)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!g_ascii_isalnum(s[i]))
			return false;
	return true;
}

static bool parse_port(const char *s, unsigned *port)
{
	char *end;
	unsigned long v;

	if (!g_ascii_isdigit(*s))
		return false;
	v = strtoul(s, &end, 10);
	if (*end || v < 1 || v > 65535)
		return false;
	*port = (unsigned)v;
	return true;
}

static void set_once(char **field, const char *value)
{
	/* as ssh reads its config: the first value given wins */
	if (!*field)
		*field = g_strdup(value);
}

GPtrArray *provider_vagrant_parse(const char *ssh_config_text, GError **error)
{
	g_autoptr(GPtrArray) hosts = g_ptr_array_new_with_free_func(node_access_free);
	g_auto(GStrv) lines = g_strsplit(ssh_config_text ? ssh_config_text : "", "\n", -1);
	struct node_access *cur = NULL;
	guint cur_line = 0;

	for (guint i = 0; lines[i]; i++) {
		guint no = i + 1;
		char *line = g_strstrip(lines[i]);
		size_t klen = strcspn(line, " \t=");
		char *value = line + klen;
		size_t vlen;

		if (!*line || *line == '#')
			continue;
		/* "Keyword value" or "Keyword=value", as ssh_config(5) has it */
		value += strspn(value, " \t");
		if (*value == '=')
			value += 1 + strspn(value + 1, " \t");
		if (!is_keyword(line, klen) || !*value) {
			g_autofree char *shown = g_strescape(line, NULL);

			g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
				    "line %u is not 'Keyword value': '%.80s'", no, shown);
			return NULL;
		}
		if (!cur && g_ascii_strncasecmp(line, "Host", MAX(klen, 4))) {
			g_autofree char *shown = g_strescape(line, NULL);

			g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
				    "line %u comes before the first 'Host': '%.80s'", no, shown);
			return NULL;
		}
		line[klen] = '\0';
		vlen = strlen(value);
		if (*value == '"') {
			/* vagrant quotes an IdentityFile path that holds a space */
			if (vlen < 2 || value[vlen - 1] != '"' || memchr(value + 1, '"', vlen - 2)) {
				g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
					    "line %u: unbalanced quotes in the value of '%s'", no, line);
				return NULL;
			}
			value[vlen - 1] = '\0';
			value++;
		}
		if (!*value) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
				    "line %u: empty value for '%s'", no, line);
			return NULL;
		}

		if (!g_ascii_strcasecmp(line, "Host")) {
			if (!entry_done(cur, cur_line, error))
				return NULL;
			if (strpbrk(value, " \t")) {
				g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
					    "line %u: 'Host %s' names more than one machine", no, value);
				return NULL;
			}
			for (guint h = 0; h < hosts->len; h++) {
				const struct node_access *o = g_ptr_array_index(hosts, h);

				if (!strcmp(o->name, value)) {
					g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
						    "line %u: host '%s' is given twice", no, value);
					return NULL;
				}
			}
			cur = g_new0(struct node_access, 1);
			cur->name = g_strdup(value);
			cur_line = no;
			g_ptr_array_add(hosts, cur);
			continue;
		}
		if (!g_ascii_strcasecmp(line, "HostName") || !g_ascii_strcasecmp(line, "User")) {
			bool is_host = !g_ascii_strcasecmp(line, "HostName");

			/* one word: anything else is a message that got into the output */
			if (strpbrk(value, " \t")) {
				g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
					    "line %u: bad %s '%s' for host '%s'", no,
					    is_host ? "HostName" : "User", value, cur->name);
				return NULL;
			}
			set_once(is_host ? &cur->host : &cur->user, value);
		} else if (!g_ascii_strcasecmp(line, "IdentityFile")) {
			set_once(&cur->key, value);
		} else if (!g_ascii_strcasecmp(line, "Port")) {
			unsigned port;

			if (!parse_port(value, &port)) {
				g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
					    "line %u: bad Port '%s' for host '%s'", no, value, cur->name);
				return NULL;
			}
			if (!cur->ssh.port)
				cur->ssh.port = port;
		}
		/*
		 * The rest is for ssh(1) and deliberately not followed:
		 * StrictHostKeyChecking and UserKnownHostsFile (see the top),
		 * IdentitiesOnly (labctl offers only the key it is given),
		 * PasswordAuthentication, LogLevel, ForwardAgent, ...
		 */
	}
	if (!entry_done(cur, cur_line, error))
		return NULL;
	if (!hosts->len) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "no 'Host' entry");
		return NULL;
	}
	return g_steal_pointer(&hosts);
}

/* ---- running "vagrant ssh-config" ---- */

/* The directory of the Vagrantfile: provider.dir, relative to the spec's. */
static char *project_dir(const struct lab_spec *spec)
{
	g_autofree char *base = g_canonicalize_filename(spec->dir ? spec->dir : ".", NULL);
	const char *dir = spec->provider.dir.v;

	if (!dir || !*dir)
		return g_steal_pointer(&base);
	return g_canonicalize_filename(dir, base);
}

struct pending {
	GCancellable *cancel;
	bool done;
	bool timed_out;
	char *out;
	char *err;
	GError *error;
};

static void communicated(GObject *source, GAsyncResult *res, gpointer data)
{
	struct pending *p = data;

	g_subprocess_communicate_utf8_finish(G_SUBPROCESS(source), res, &p->out, &p->err,
					     &p->error);
	p->done = true;
}

static gboolean expired(gpointer data)
{
	struct pending *p = data;

	p->timed_out = true;
	g_cancellable_cancel(p->cancel);
	return G_SOURCE_REMOVE;
}

/*
 * Runs "vagrant ssh-config" in @dir, without a shell, for at most
 * VAGRANT_TIMEOUT_SECONDS, and returns what it printed on stdout.  Its
 * output is read while it runs (so it can never block on a full pipe), in
 * a main context of our own, where the timer that cancels it also runs.
 */
static char *run_ssh_config(const char *dir, GError **error)
{
	g_autofree char *vagrant = g_find_program_in_path("vagrant");
	const char *name = g_getenv("VAGRANT_VAGRANTFILE");
	g_autofree char *vagrantfile = NULL;
	g_autoptr(GSubprocessLauncher) launcher = NULL;
	g_autoptr(GSubprocess) proc = NULL;
	g_autoptr(GMainContext) mc = NULL;
	g_autoptr(GSource) timer = NULL;
	struct pending p = { 0 };
	char *out = NULL;

	if (!vagrant) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
			    "the vagrant provider runs 'vagrant ssh-config' in %s, and vagrant is not installed",
			    dir);
		return NULL;
	}
	/* vagrant looks for a Vagrantfile upwards too: that would be another project */
	vagrantfile = g_build_filename(dir, name && *name ? name : "Vagrantfile", NULL);
	if (!g_file_test(vagrantfile, G_FILE_TEST_IS_REGULAR)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
			    "no Vagrantfile in %s ('dir' of the vagrant provider names the directory of the Vagrantfile)",
			    dir);
		return NULL;
	}

	launcher = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDIN_PIPE |
					     G_SUBPROCESS_FLAGS_STDOUT_PIPE |
					     G_SUBPROCESS_FLAGS_STDERR_PIPE);
	g_subprocess_launcher_set_cwd(launcher, dir);
	/* no version check on the network and no colours in what is parsed */
	g_subprocess_launcher_setenv(launcher, "VAGRANT_CHECKPOINT_DISABLE", "1", TRUE);
	g_subprocess_launcher_setenv(launcher, "VAGRANT_NO_COLOR", "1", TRUE);
	{
		const char *argv[] = { vagrant, "ssh-config", NULL };

		proc = g_subprocess_launcher_spawnv(launcher, argv, error);
	}
	if (!proc) {
		g_prefix_error(error, "cannot run 'vagrant ssh-config' in %s: ", dir);
		return NULL;
	}

	mc = g_main_context_new();
	g_main_context_push_thread_default(mc);
	p.cancel = g_cancellable_new();
	g_subprocess_communicate_utf8_async(proc, NULL, p.cancel, communicated, &p);
	timer = g_timeout_source_new_seconds(VAGRANT_TIMEOUT_SECONDS);
	g_source_set_callback(timer, expired, &p, NULL);
	g_source_attach(timer, mc);
	while (!p.done)
		g_main_context_iteration(mc, TRUE);
	g_source_destroy(timer);
	if (p.timed_out)
		g_subprocess_force_exit(proc);
	g_subprocess_wait(proc, NULL, NULL);
	g_main_context_pop_thread_default(mc);
	g_object_unref(p.cancel);

	if (p.timed_out) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
			    "'vagrant ssh-config' in %s did not finish in %d s", dir,
			    VAGRANT_TIMEOUT_SECONDS);
	} else if (p.error) {
		g_propagate_prefixed_error(error, g_steal_pointer(&p.error),
					   "'vagrant ssh-config' in %s: ", dir);
	} else if (!g_subprocess_get_if_exited(proc) || g_subprocess_get_exit_status(proc)) {
		/* vagrant's messages are paragraphs: one line in ours */
		if (p.err)
			g_strdelimit(g_strstrip(p.err), "\r\n", ' ');
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
			    "'vagrant ssh-config' in %s failed: %s (are the machines up? 'vagrant up' in that directory starts them)",
			    dir, p.err && *p.err ? p.err : "no message");
	} else {
		out = g_steal_pointer(&p.out);
	}
	g_clear_error(&p.error);
	g_free(p.out);
	g_free(p.err);
	return out;
}

/* ---- the provider ---- */

static char *reported_names(const GPtrArray *hosts)
{
	g_autoptr(GString) s = g_string_new(NULL);

	for (guint i = 0; i < hosts->len; i++) {
		const struct node_access *h = g_ptr_array_index(hosts, i);

		g_string_append_printf(s, "%s'%s'", i ? ", " : "", h->name);
	}
	return g_string_free(g_steal_pointer(&s), FALSE);
}

static int find_host(const GPtrArray *hosts, const char *name)
{
	for (guint i = 0; i < hosts->len; i++)
		if (!strcmp(((const struct node_access *)g_ptr_array_index(hosts, i))->name, name))
			return (int)i;
	return -1;
}

static GPtrArray *vagrant_access(struct provider_ctx *ctx, GError **error)
{
	const struct lab_spec *spec = ctx->spec;
	g_autofree char *dir = project_dir(spec);
	g_autofree char *text = NULL;
	g_autoptr(GPtrArray) hosts = NULL;
	g_autoptr(GPtrArray) nodes = g_ptr_array_new_with_free_func(node_access_free);

	text = run_ssh_config(dir, error);
	if (!text)
		return NULL;
	hosts = provider_vagrant_parse(text, error);
	if (!hosts) {
		g_prefix_error(error, "cannot read what 'vagrant ssh-config' printed in %s: ", dir);
		return NULL;
	}
	for (guint i = 0; i < spec->nodes->len; i++) {
		const struct spec_node *n = g_ptr_array_index(spec->nodes, i);
		int at = find_host(hosts, n->name.v);
		const char *user = spec_ssh_value(&n->ssh.user, &spec->ssh.user);
		const char *key = spec_ssh_value(&n->ssh.key, &spec->ssh.key);
		const char *kh = spec_ssh_value(&n->ssh.known_hosts, &spec->ssh.known_hosts);
		struct node_access *a;

		if (at < 0) {
			g_autofree char *names = reported_names(hosts);

			g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
				    "node '%s' is not a machine of the vagrant project in %s "
				    "('vagrant ssh-config' reports %s)", n->name.v, dir, names);
			return NULL;
		}
		a = g_ptr_array_steal_index(hosts, (guint)at);
		g_ptr_array_add(nodes, a);
		if (n->address.v && strcmp(n->address.v, a->host)) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
				    "node '%s' has the address '%s' in the spec, but vagrant reaches it at '%s' "
				    "(HostName in 'vagrant ssh-config' in %s); leave 'address' out with the "
				    "vagrant provider, or make it '%s'",
				    n->name.v, n->address.v, a->host, dir, a->host);
			return NULL;
		}
		/* the spec may name the user and key (e.g. root instead of vagrant's user) */
		if (user) {
			g_free(a->user);
			a->user = g_strdup(user);
		}
		if (key) {
			g_free(a->key);
			a->key = g_strdup(key);
		}
		if (kh)
			a->known_hosts = g_strdup(kh);
		else
			provider_kept_known_hosts(a);
		a->ssh.accept_new = ctx->accept_new_host_keys;
		a->ssh.use_config = false;      /* vagrant said how to get there */
		link_ssh(a);
		if (!provider_node_login(a, spec, n, error))
			return NULL;
	}
	return g_steal_pointer(&nodes);
}

/* "vagrant up" is the user's: up only finds the machines, and makes nothing. */
static GPtrArray *vagrant_up(struct provider_ctx *ctx, GError **error)
{
	GPtrArray *nodes = vagrant_access(ctx, error);

	for (guint i = 0; nodes && ctx->say && i < nodes->len; i++) {
		const struct node_access *a = g_ptr_array_index(nodes, i);

		ctx->say(ctx->say_data, "vagrant machine %s: %s@%s port %u", a->name,
			 a->user, a->host, a->ssh.port);
	}
	return nodes;
}

const struct provider provider_vagrant = {
	.name = "vagrant",
	.up = vagrant_up,
	.access = vagrant_access,
};
