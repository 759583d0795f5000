/*
 * provider.c - what providers share: local undo operations, and the static
 * provider (nodes that exist already)
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <net/if.h>
#include <unistd.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#include "labctl/hostfw.h"
#include "labctl/journal.h"
#include "labctl/provider.h"

void node_access_free(gpointer p)
{
	struct node_access *a = p;

	if (!a)
		return;
	g_free(a->name);
	g_free(a->host);
	g_free(a->user);
	g_free(a->key);
	g_free(a->known_hosts);
	g_free(a->also_known_hosts);
	if (a->passphrase)
		memset(a->passphrase, 0, strlen(a->passphrase));
	g_free(a->passphrase);
	lab_ssh_close(a->conn);
	g_free(a);
}

char *provider_kept_known_hosts_file(void)
{
	return g_build_filename(g_get_user_data_dir(), "labctl", "known_hosts", NULL);
}

void provider_kept_known_hosts(struct node_access *a)
{
	g_free(a->known_hosts);
	g_free(a->also_known_hosts);
	a->known_hosts = provider_kept_known_hosts_file();
	a->also_known_hosts = g_build_filename(g_get_home_dir(), ".ssh", "known_hosts", NULL);
	a->ssh.known_hosts = a->known_hosts;
	a->ssh.also_known_hosts = a->also_known_hosts;
}

struct node_access *node_access_new_own(const char *name, const char *host,
					const char *key, const char *known_hosts)
{
	struct node_access *a = g_new0(struct node_access, 1);

	a->name = g_strdup(name);
	a->host = g_strdup(host);
	a->user = g_strdup("root");
	a->key = g_strdup(key);
	a->known_hosts = g_strdup(known_hosts);
	a->ssh.name = a->name;
	a->ssh.host = a->host;
	a->ssh.port = 22;
	a->ssh.user = a->user;
	a->ssh.key = a->key;
	a->ssh.known_hosts = a->known_hosts;
	a->ssh.use_config = false;      /* nothing of the user's may interfere */
	return a;
}

/* One local command under way: its outcome, once communicate finished. */
struct exec_wait {
	GAsyncResult *result;
	bool timed_out;
};

static void exec_done(GObject *source, GAsyncResult *result, gpointer data)
{
	struct exec_wait *w = data;

	(void)source;
	w->result = g_object_ref(result);
}

static gboolean exec_timeout(gpointer data)
{
	struct exec_wait *w = data;

	w->timed_out = true;
	return G_SOURCE_REMOVE;
}

/* In the child: a process group of its own, for a timeout to kill whole. */
static void own_group(gpointer data)
{
	(void)data;
	setpgid(0, 0);
}

static char *argv_text(const char *const *argv)
{
	return g_strjoinv(" ", (char **)argv);
}

/*
 * Runs @argv to its end within @timeout seconds.  A command that is still
 * running then is killed with its process group; one whose pipes a child
 * of it in another group still holds open is given up one second later.  Waits in a main context of
 * its own, so it works from any thread.
 */
bool provider_exec(const char *const *argv, const char *input, guint timeout,
		   char **out, int *status, GError **error)
{
	g_autoptr(GMainContext) mc = g_main_context_new();
	g_autoptr(GCancellable) cancel = g_cancellable_new();
	g_autoptr(GSubprocessLauncher) launcher = NULL;
	g_autoptr(GSubprocess) p = NULL;
	g_autoptr(GError) local = NULL;
	g_autofree char *o = NULL;
	g_autofree char *err = NULL;
	struct exec_wait w = { 0 };
	GSubprocessFlags flags = G_SUBPROCESS_FLAGS_STDERR_PIPE |
				 (out ? G_SUBPROCESS_FLAGS_STDOUT_PIPE : G_SUBPROCESS_FLAGS_STDOUT_SILENCE) |
				 (input ? G_SUBPROCESS_FLAGS_STDIN_PIPE : G_SUBPROCESS_FLAGS_NONE);
	bool killed = false;
	bool ok;

	g_main_context_push_thread_default(mc);
	launcher = g_subprocess_launcher_new(flags);
	g_subprocess_launcher_set_child_setup(launcher, own_group, NULL, NULL);
	p = g_subprocess_launcher_spawnv(launcher, argv, &local);
	if (p) {
		GSource *t = g_timeout_source_new_seconds(timeout);

		g_source_set_callback(t, exec_timeout, &w, NULL);
		g_source_attach(t, mc);
		g_subprocess_communicate_utf8_async(p, input, cancel, exec_done, &w);
		while (!w.result) {
			g_main_context_iteration(mc, TRUE);
			if (w.timed_out && !killed) {
				const char *id = g_subprocess_get_identifier(p);

				if (id)
					kill(-(pid_t)atol(id), SIGKILL);
				g_subprocess_force_exit(p);
				killed = true;
				w.timed_out = false;
				g_source_destroy(t);
				g_source_unref(t);
				t = g_timeout_source_new_seconds(1);
				g_source_set_callback(t, exec_timeout, &w, NULL);
				g_source_attach(t, mc);
			} else if (w.timed_out) {
				g_cancellable_cancel(cancel);
			}
		}
		g_source_destroy(t);
		g_source_unref(t);
		g_subprocess_communicate_utf8_finish(p, w.result, &o, &err, killed ? NULL : &local);
		g_object_unref(w.result);
	}
	g_main_context_pop_thread_default(mc);
	if (killed) {
		g_autofree char *cmd = argv_text(argv);

		g_set_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
			    "'%s' did not finish within %u s and was killed", cmd, timeout);
		return false;
	}
	if (!p || local) {
		g_autofree char *cmd = argv_text(argv);

		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "'%s': %s", cmd,
			    local ? local->message : "failed");
		return false;
	}
	ok = g_subprocess_get_successful(p);
	if (status)
		*status = g_subprocess_get_if_exited(p) ? g_subprocess_get_exit_status(p) : -1;
	if (!ok && !status) {
		g_autofree char *cmd = argv_text(argv);

		g_strchomp(err);
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "'%s' failed: %s", cmd,
			    err && *err ? err : "no message");
		return false;
	}
	if (out)
		*out = g_steal_pointer(&o);
	return true;
}

bool provider_run(const char *const *argv, GError **error)
{
	return provider_exec(argv, NULL, PROVIDER_RUN_TIMEOUT, NULL, NULL, error);
}

bool provider_keygen(const char *file, GError **error)
{
	const char *argv[] = { "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "labctl",
			       "-f", file, NULL };

	if (g_file_test(file, G_FILE_TEST_EXISTS))
		return true;
	return provider_run(argv, error);
}

bool provider_journal(struct provider_ctx *ctx, const char *node, const char *key,
		      const char *what, JsonObject *undo, GError **error)
{
	g_autoptr(JsonObject) rec = json_object_new();
	bool ok;

	json_object_set_string_member(rec, "type", "local");
	json_object_set_string_member(rec, "key", key);
	if (node)
		json_object_set_string_member(rec, "of_node", node);
	json_object_set_string_member(rec, "what", what);
	json_object_set_object_member(rec, "undo", json_object_ref(undo));
	/* providers make nodes from several threads: the journal serializes them */
	ok = journal_append(ctx->journal, rec, error);
	return ok;
}

bool provider_journal_then(struct provider_ctx *ctx, const char *node, const char *key,
			   const char *what, JsonObject *undo, GHashTable *journaled,
			   GError **error)
{
	bool ok = provider_journal(ctx, node, key, what, undo, error);

	json_object_unref(undo);
	if (ok && journaled)
		g_hash_table_add(journaled, g_strdup(key));
	if (ok && ctx->say)
		ctx->say(ctx->say_data, "%s", what);
	return ok;
}

/*
 * Asks the kernel, not /sys: sysfs shows the devices of the namespace it
 * was mounted in, which is not labctl's own when labctl was moved into
 * another network namespace (nsenter --net).
 */
bool provider_link_exists(const char *dev)
{
	return dev && if_nametoindex(dev) != 0;
}

/* Whether /proc/PID/cmdline contains @match: a pid file may be stale. */
static bool pid_matches(pid_t pid, const char *match)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/cmdline", (int)pid);
	g_autofree char *cmdline = NULL;
	gsize len;

	if (!g_file_get_contents(path, &cmdline, &len, NULL))
		return false;
	for (gsize i = 0; i + 1 < len; i++)
		if (!cmdline[i])
			cmdline[i] = ' ';
	return strstr(cmdline, match) != NULL;
}

static bool ours_alive(pid_t pid, const char *match)
{
	return kill(pid, 0) == 0 && pid_matches(pid, match);
}

/*
 * The first look comes after 1 ms and the pause doubles up to 100 ms: a
 * process usually exits within milliseconds of SIGTERM, and a fixed 100 ms
 * pause per sshd added up to seconds when taking a large lab down.
 */
bool provider_poll_until(bool (*done)(gpointer), gpointer data, gint64 max_us)
{
	gint64 deadline = g_get_monotonic_time() + max_us;
	gulong pause = 1000;

	for (;;) {
		if (done(data))
			return true;
		if (g_get_monotonic_time() >= deadline)
			return false;
		g_usleep(pause);
		pause = MIN(pause * 2, 100 * 1000);
	}
}

struct victim {
	pid_t pid;
	const char *match;
};

static bool victim_gone(gpointer data)
{
	const struct victim *v = data;

	return !ours_alive(v->pid, v->match);
}

static bool kill_pidfile(const char *pidfile, const char *match, GError **error)
{
	g_autofree char *text = NULL;
	char *end;
	long pid;

	if (!g_file_get_contents(pidfile, &text, NULL, NULL))
		return true;    /* never started, or gone with its pid file */
	pid = strtol(text, &end, 10);
	if (pid <= 1 || (*end && *end != '\n'))
		return true;
	if (!pid_matches((pid_t)pid, match))
		return true;    /* not ours any more */
	kill((pid_t)pid, SIGTERM);
	if (!provider_poll_until(victim_gone, &(struct victim){ (pid_t)pid, match }, 5 * G_USEC_PER_SEC)) {
		kill((pid_t)pid, SIGKILL);
		provider_poll_until(victim_gone, &(struct victim){ (pid_t)pid, match }, G_USEC_PER_SEC / 10);
	}
	if (ours_alive((pid_t)pid, match)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
			    "process %ld (%s) does not stop", pid, match);
		return false;
	}
	return true;
}

static bool rmtree(const char *path, GError **error)
{
	const char *argv[] = { "rm", "-rf", "--one-file-system", "--", path, NULL };

	/* only directories labctl made itself are ever journaled for this */
	if (!path || path[0] != '/' || !strcmp(path, "/")) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "refusing to remove '%s'", path ? path : "(null)");
		return false;
	}
	return provider_run(argv, error);
}

/* Whether none of the pids (strings, NULL-terminated) is alive any more. */
static bool pids_gone(gpointer data)
{
	for (char **q = data; *q; q++) {
		long pid = strtol(*q, NULL, 10);

		if (pid > 1 && kill((pid_t)pid, 0) == 0)
			return false;
	}
	return true;
}

/*
 * Stops every process left in network namespace @ns (all started by the
 * lab: its sshd, their sessions, daemons the playbooks started) and then
 * deletes it.  A process left inside would keep the namespace, and its end
 * of the veth pair, alive after "ip netns del".
 */
static bool netns_delete(const char *ns, const char *veth, GError **error)
{
	const char *del[] = { "ip", "netns", "del", ns, NULL };
	const char *del_veth[] = { "ip", "link", "del", veth, NULL };
	g_autofree char *path = g_strdup_printf("/run/netns/%s", ns);

	/*
	 * The host's end first: deleting it removes the pair even when some
	 * other program's mount namespace still holds the network namespace.
	 */
	if (provider_link_exists(veth) && !provider_run(del_veth, error))
		return false;
	if (!g_file_test(path, G_FILE_TEST_EXISTS))
		return true;
	for (int round = 0; round < 2; round++) {
		g_autoptr(GSubprocess) p = NULL;
		g_autofree char *out = NULL;
		g_auto(GStrv) pids = NULL;
		guint live = 0;

		p = g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
				     error, "ip", "netns", "pids", ns, NULL);
		if (!p || !g_subprocess_communicate_utf8(p, NULL, NULL, &out, NULL, error))
			return false;
		pids = g_strsplit(out ? out : "", "\n", -1);
		for (char **q = pids; *q; q++) {
			long pid = strtol(*q, NULL, 10);

			if (pid > 1 && kill((pid_t)pid, round ? SIGKILL : SIGTERM) == 0)
				live++;
		}
		if (!live)
			break;
		/* up to 3 s for them to go, looking often rather than sleeping it all */
		provider_poll_until(pids_gone, pids, 3 * G_USEC_PER_SEC);
	}
	return provider_run(del, error);
}

bool provider_known_host(GString *out, const char *address, const char *pub,
			 GError **error)
{
	g_autofree char *key = NULL;
	g_auto(GStrv) w = NULL;

	if (!g_file_get_contents(pub, &key, NULL, error))
		return false;
	w = g_strsplit(key, " ", 3);
	if (g_strv_length(w) < 2) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
			    "'%s' is not a public key", pub);
		return false;
	}
	g_strstrip(w[1]);
	g_string_append_printf(out, "%s %s %s\n", address, w[0], w[1]);
	return true;
}

/* ---- the local undo operations, and the checks of their arguments ---- */

static bool refuse(GError **error, const char *op, const char *what, const char *value)
{
	g_set_error(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
		    "undo '%s' names %s '%s', which is not this lab's: refused, and nothing was run",
		    op, what, value ? value : "(none)");
	return false;
}

/* A string member, "" when it is missing or not a string. */
static const char *member(JsonObject *o, const char *name)
{
	JsonNode *n = json_object_get_member(o, name);

	return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING
		       ? json_node_get_string(n) : "";
}

/* Whether @path is @dir or below it, written plainly (no "..", no "//"). */
static bool path_in(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (!g_path_is_absolute(path) || strstr(path, "/..") || strstr(path, "//") ||
	    strstr(path, "/./") || g_str_has_suffix(path, "/."))
		return false;
	return !strncmp(path, dir, n) && (path[n] == '\0' || path[n] == '/');
}

char *provider_runtime_dir(const struct undo_ctx *u)
{
	return g_build_filename(PROVIDER_NETNS_RUNTIME_ROOT, u->hash, NULL);
}

bool undo_ctx_init(struct undo_ctx *u, const char *state_dir)
{
	u->state_dir = g_canonicalize_filename(state_dir, NULL);
	u->hash = journal_lab_hash(state_dir);
	return true;
}

void undo_ctx_clear(struct undo_ctx *u)
{
	g_free(u->state_dir);
	g_free(u->hash);
}

/* Each operation's check says whether what it names is the lab's. */

static bool check_kill(const struct undo_ctx *u, JsonObject *o, GError **error)
{
	g_autofree char *rt = provider_runtime_dir(u);

	if (!path_in(member(o, "pidfile"), rt))
		return refuse(error, "kill", "pid file", member(o, "pidfile"));
	if (!path_in(member(o, "match"), rt))
		return refuse(error, "kill", "process", member(o, "match"));
	return true;
}

static bool run_kill(JsonObject *o, GError **error)
{
	return kill_pidfile(member(o, "pidfile"), member(o, "match"), error);
}

static bool check_rmtree(const struct undo_ctx *u, JsonObject *o, GError **error)
{
	g_autofree char *rt = provider_runtime_dir(u);
	g_autofree char *files = g_build_filename(u->state_dir, "libvirt", NULL);
	const char *path = member(o, "path");

	/* only the two trees labctl makes for a lab, whole */
	if (strcmp(path, rt) && strcmp(path, files))
		return refuse(error, "rmtree", "directory", path);
	return true;
}

static bool run_rmtree(JsonObject *o, GError **error)
{
	return rmtree(member(o, "path"), error);
}

static bool check_rmdir(const struct undo_ctx *u, JsonObject *o, GError **error)
{
	const char *path = member(o, "path");

	(void)u;
	/* the parents of the runtime root that labctl made, when empty */
	if (!path_in(PROVIDER_NETNS_RUNTIME_ROOT, path) || !path_in(path, "/var/lib/labctl"))
		return refuse(error, "rmdir", "directory", path);
	return true;
}

static bool run_rmdir(JsonObject *o, GError **error)
{
	const char *path = member(o, "path");

	if (g_rmdir(path) && errno != ENOENT && errno != ENOTEMPTY) {
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
			    "cannot remove '%s': %s", path, g_strerror(errno));
		return false;
	}
	return true;
}

static bool check_link(const struct undo_ctx *u, JsonObject *o, GError **error)
{
	g_autofree char *bridge = g_strdup_printf("lc%s", u->hash);

	if (strcmp(member(o, "name"), bridge))
		return refuse(error, "link", "device", member(o, "name"));
	return true;
}

static bool run_link(JsonObject *o, GError **error)
{
	const char *name = member(o, "name");
	const char *del[] = { "ip", "link", "del", name, NULL };

	/* a device that is not there (never made, or gone) is undone */
	return !provider_link_exists(name) || provider_run(del, error);
}

/* "lcHASHvN": a veth of the lab */
static bool is_lab_veth(const struct undo_ctx *u, const char *name)
{
	g_autofree char *prefix = g_strdup_printf("lc%sv", u->hash);
	const char *n = name + strlen(prefix);

	if (!g_str_has_prefix(name, prefix) || !*n)
		return false;
	for (; *n; n++)
		if (!g_ascii_isdigit(*n))
			return false;
	return true;
}

static bool check_netns(const struct undo_ctx *u, JsonObject *o, GError **error)
{
	g_autofree char *prefix = g_strdup_printf("labctl-%s-", u->hash);
	const char *name = member(o, "name");

	if (!g_str_has_prefix(name, prefix) || strchr(name, '/') || strlen(name) == strlen(prefix))
		return refuse(error, "netns", "network namespace", name);
	if (json_object_has_member(o, "veth") && !is_lab_veth(u, member(o, "veth")))
		return refuse(error, "netns", "device", member(o, "veth"));
	return true;
}

static bool run_netns(JsonObject *o, GError **error)
{
	return netns_delete(member(o, "name"),
			    json_object_has_member(o, "veth") ? member(o, "veth") : NULL, error);
}

static bool check_umount(const struct undo_ctx *u, JsonObject *o, GError **error)
{
	g_autofree char *rt = provider_runtime_dir(u);
	g_autofree char *pins = g_build_filename(rt, "pins", NULL);

	if (!path_in(member(o, "path"), pins))
		return refuse(error, "umount", "mount", member(o, "path"));
	return true;
}

static bool run_umount(JsonObject *o, GError **error)
{
	const char *path = member(o, "path");

	/* not mounted (never pinned, or undone already) is undone */
	if (umount2(path, MNT_DETACH) && errno != EINVAL && errno != ENOENT) {
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
			    "cannot unmount '%s': %s", path, g_strerror(errno));
		return false;
	}
	return true;
}

static bool check_forward(const struct undo_ctx *u, JsonObject *o, GError **error)
{
	g_autofree char *bridge = g_strdup_printf("lc%s", u->hash);

	if (strcmp(member(o, "bridge"), bridge))
		return refuse(error, "forward", "bridge", member(o, "bridge"));
	return true;
}

/*
 * The closed table: a journal can ask for nothing else, and each operation
 * checks that what it names is this lab's (named from the lab's hash, or
 * inside its runtime directory) before anything runs.
 */
static const struct undo_op {
	const char *op;
	bool (*check)(const struct undo_ctx *u, JsonObject *o, GError **error);
	bool (*run)(JsonObject *o, GError **error);
} undo_ops[] = {
	{ "kill", check_kill, run_kill },
	{ "rmtree", check_rmtree, run_rmtree },
	{ "rmdir", check_rmdir, run_rmdir },
	{ "link", check_link, run_link },
	{ "netns", check_netns, run_netns },
	{ "umount", check_umount, run_umount },
	{ "forward", check_forward, hostfw_rule_delete },
	{ "libvirt", libvirt_undo_check, libvirt_undo },
};

static const struct undo_op *find_op(JsonObject *undo, GError **error)
{
	const char *op = member(undo, "op");

	for (size_t i = 0; i < G_N_ELEMENTS(undo_ops); i++)
		if (!strcmp(op, undo_ops[i].op))
			return &undo_ops[i];
	g_set_error(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
		    "unknown undo operation '%s': refused, and nothing was run", op);
	return NULL;
}

bool provider_undo_check(const struct undo_ctx *u, JsonObject *undo, GError **error)
{
	const struct undo_op *op = find_op(undo, error);

	return op && op->check(u, undo, error);
}

bool provider_undo(const struct undo_ctx *u, JsonObject *undo, GError **error)
{
	const struct undo_op *op = find_op(undo, error);

	return op && op->check(u, undo, error) && op->run(undo, error);
}

/* ---- static: the nodes exist; reach them as the spec says ---- */

static GPtrArray *static_access(struct provider_ctx *ctx, GError **error)
{
	const struct lab_spec *spec = ctx->spec;
	g_autoptr(GPtrArray) nodes = g_ptr_array_new_with_free_func(node_access_free);

	for (guint i = 0; i < spec->nodes->len; i++) {
		const struct spec_node *n = g_ptr_array_index(spec->nodes, i);
		struct node_access *a = g_new0(struct node_access, 1);
		const char *kh = n->ssh.known_hosts.v ? n->ssh.known_hosts.v : spec->ssh.known_hosts.v;
		const char *pass = n->ssh.passphrase.ref ? n->ssh.passphrase.ref : spec->ssh.passphrase.ref;

		a->name = g_strdup(n->name.v);
		a->host = g_strdup(n->address.v);
		a->user = g_strdup(spec_node_user(spec, n));
		a->key = spec_node_key(spec, n) ? g_strdup(spec_node_key(spec, n)) : NULL;
		a->known_hosts = g_strdup(kh);
		a->ssh.name = a->name;
		a->ssh.host = a->host;
		a->ssh.port = spec_node_port(spec, n);
		a->ssh.user = a->user;
		a->ssh.key = a->key;
		a->ssh.known_hosts = a->known_hosts;
		if (!kh)
			provider_kept_known_hosts(a);
		a->ssh.accept_new = ctx->accept_new_host_keys;
		a->ssh.use_config = true;
		g_ptr_array_add(nodes, a);
		if (pass) {
			a->passphrase = spec_read_secret(spec, pass, error);
			if (!a->passphrase)
				return NULL;
			a->ssh.passphrase = a->passphrase;
		}
	}
	return g_steal_pointer(&nodes);
}

const struct provider provider_static = {
	.name = "static",
	.up = static_access,
	.access = static_access,
};

const struct provider *provider_for(const struct lab_spec *spec)
{
	switch ((enum provider_type)spec->provider.type.v) {
	case PROVIDER_STATIC:
		return &provider_static;
	case PROVIDER_NETNS:
		return &provider_netns;
	case PROVIDER_VAGRANT:
		return &provider_vagrant;
	case PROVIDER_LIBVIRT:
		return &provider_libvirt;
	}
	return NULL;
}
