/*
 * provider.c - what providers share: the registry, bounded local commands,
 * journaling, and the checks and runs that their undo operations build on
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/wait.h>
#include <unistd.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#include "labctl/journal.h"
#include "labctl/provider.h"

static void wipe_free(char *secret)
{
	if (secret)
		memset(secret, 0, strlen(secret));
	g_free(secret);
}

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
	wipe_free(a->passphrase);
	wipe_free(a->password);
	wipe_free(a->sudo_password);
	lab_ssh_close(a->conn);
	g_free(a);
}

/* Reads secret @ref (NULL: none) into *@out; false with @error when it cannot. */
static bool read_login_secret(const struct lab_spec *spec, const char *ref, char **out,
			      GError **error)
{
	if (!ref)
		return true;
	*out = spec_read_secret(spec, ref, error);
	return *out != NULL;
}

bool provider_node_login(struct node_access *a, const struct lab_spec *spec,
			 const struct spec_node *n, GError **error)
{
	const char *pass = n->ssh.passphrase.ref ? n->ssh.passphrase.ref : spec->ssh.passphrase.ref;

	if (!read_login_secret(spec, pass, &a->passphrase, error) ||
	    !read_login_secret(spec, spec_node_password_ref(spec, n), &a->password, error))
		return false;
	a->ssh.passphrase = a->passphrase;
	a->ssh.password = a->password;
	a->ssh.sudo = spec_node_sudo(spec, n, a->user);
	if (a->ssh.sudo &&
	    !read_login_secret(spec, spec_node_become_password_ref(spec, n), &a->sudo_password, error))
		return false;
	a->ssh.sudo_password = a->sudo_password;
	return true;
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

/* What to do in the child before exec: provider_exec_setup()'s @setup. */
struct exec_setup {
	void (*setup)(gpointer data);
	gpointer data;
};

/*
 * In the child: a process group of its own, for a timeout to kill whole;
 * then the caller's setup, if any.
 */
static void own_group(gpointer data)
{
	const struct exec_setup *s = data;

	setpgid(0, 0);
	if (s && s->setup)
		s->setup(s->data);
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
	return provider_exec_setup(argv, NULL, NULL, input, timeout, out, status, error);
}

bool provider_exec_setup(const char *const *argv, void (*setup)(gpointer data), gpointer data,
			 const char *input, guint timeout, char **out, int *status, GError **error)
{
	struct exec_setup child = { setup, data };
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
	g_subprocess_launcher_set_child_setup(launcher, own_group, &child, NULL);
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

/* Closes the pipe ends of provider_exec_alone() that are still open. */
static void close_fds(int *fds, guint n)
{
	for (guint i = 0; i < n; i++)
		if (fds[i] >= 0) {
			close(fds[i]);
			fds[i] = -1;
		}
}

bool provider_exec_alone(const char *const *argv, const char *input, guint timeout,
			 GError **error)
{
	/* [0, 1] stdin, [2, 3] stderr: read end, write end */
	int fds[4] = { -1, -1, -1, -1 };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, dflt;
	g_autoptr(GString) err = g_string_new(NULL);
	g_autofree char *cmd = NULL;
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout * G_USEC_PER_SEC;
	size_t in_len = input ? strlen(input) : 0, in_off = 0;
	bool killed = false;
	pid_t pid;
	int rc, st;

	if (pipe2(fds, O_CLOEXEC) || pipe2(fds + 2, O_CLOEXEC)) {
		rc = errno;
		close_fds(fds, 4);
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(rc), "cannot make a pipe: %s",
			    g_strerror(rc));
		return false;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[0], STDIN_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fds[3], STDERR_FILENO);
	/* nothing else of labctl's (its connections) reaches the command */
	posix_spawn_file_actions_addclosefrom_np(&fa, STDERR_FILENO + 1);
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	sigemptyset(&dflt);
	sigaddset(&dflt, SIGPIPE);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &dflt);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	rc = posix_spawnp(&pid, argv[0], &fa, &attr, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(fds[0]);
	close(fds[3]);
	fds[0] = fds[3] = -1;
	cmd = argv_text(argv);
	if (rc) {
		close_fds(fds, 4);
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(rc), "'%s': %s", cmd,
			    g_strerror(rc));
		return false;
	}
	if (!in_len)
		close_fds(fds + 1, 1);
	else
		fcntl(fds[1], F_SETFL, O_NONBLOCK);
	/* feed stdin and read stderr until the command closes it, or time runs out */
	while (fds[2] >= 0) {
		struct pollfd p[2] = { { fds[2], POLLIN, 0 }, { fds[1], POLLOUT, 0 } };
		gint64 left = deadline - g_get_monotonic_time();
		char buf[4096];
		ssize_t n;

		if (left <= 0) {
			killed = true;
			break;
		}
		if (poll(p, fds[1] >= 0 ? 2 : 1, (int)MIN(left / 1000 + 1, 1000)) < 0 &&
		    errno != EINTR)
			break;
		if (fds[1] >= 0 && (p[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
			n = write(fds[1], input + in_off, in_len - in_off);
			if (n > 0)
				in_off += (size_t)n;
			if ((n < 0 && errno != EAGAIN && errno != EINTR) || in_off == in_len)
				close_fds(fds + 1, 1);
		}
		if (p[0].revents & (POLLIN | POLLERR | POLLHUP)) {
			n = read(fds[2], buf, sizeof(buf));
			if (n > 0 && err->len < 65536)
				g_string_append_len(err, buf, n);
			else if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
				close_fds(fds + 2, 1);
		}
	}
	close_fds(fds, 4);
	if (killed)
		kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (killed) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
			    "'%s' did not finish within %u s and was killed", cmd, timeout);
		return false;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		g_strchomp(err->str);
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "'%s' failed: %s", cmd,
			    err->len && *err->str ? err->str : "no message");
		return false;
	}
	return true;
}

bool provider_run(const char *const *argv, GError **error)
{
	return provider_exec(argv, NULL, PROVIDER_RUN_TIMEOUT, NULL, NULL, error);
}

bool provider_keygen(const char *file, GError **error)
{
	if (g_file_test(file, G_FILE_TEST_EXISTS))
		return true;
	return lab_ssh_keygen(file, "labctl", error);
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

bool provider_rmtree(const char *path, GError **error)
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

bool provider_write_known_hosts(const char *file, const struct provider_own_node *nodes,
				guint n, GError **error)
{
	g_autoptr(GString) out = g_string_new(PROVIDER_KNOWN_HOSTS_MARK);

	for (guint i = 0; i < n; i++) {
		g_autofree char *pub = g_build_filename(nodes[i].dir, "host_key.pub", NULL);

		if (!provider_known_host(out, nodes[i].address, pub, error))
			return false;
	}
	/* never there with another mode, even for a moment */
	return g_file_set_contents_full(file, out->str, (gssize)out->len,
					G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}

GPtrArray *provider_access_list(const struct provider_own_node *nodes, guint n,
				const char *client_key, const char *known_hosts)
{
	GPtrArray *access = g_ptr_array_new_with_free_func(node_access_free);

	for (guint i = 0; i < n; i++)
		g_ptr_array_add(access, node_access_new_own(nodes[i].name, nodes[i].address,
							    client_key, known_hosts));
	return access;
}

bool provider_need_tools(const char *provider, const struct provider_tool *tools,
			 gsize n, GError **error)
{
	for (gsize i = 0; i < n; i++) {
		const char *tool = tools[i].tool;
		g_autofree char *path = NULL;

		if (g_path_is_absolute(tool))
			path = g_file_test(tool, G_FILE_TEST_IS_EXECUTABLE) &&
			       !g_file_test(tool, G_FILE_TEST_IS_DIR) ? g_strdup(tool) : NULL;
		else
			path = g_find_program_in_path(tool);
		if (!path) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
				    "the %s provider needs '%s' (Debian package %s)",
				    provider, tool, tools[i].package);
			return false;
		}
	}
	return true;
}

/* ---- the local undo operations, and the checks of their arguments ---- */

bool provider_refuse(GError **error, const char *op, const char *what, const char *value)
{
	g_set_error(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
		    "undo '%s' names %s '%s', which is not this lab's: refused, and nothing was run",
		    op, what, value ? value : "(none)");
	return false;
}

/* A string member, "" when it is missing or not a string. */
const char *provider_undo_member(JsonObject *o, const char *name)
{
	JsonNode *n = json_object_get_member(o, name);

	return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING
		       ? json_node_get_string(n) : "";
}

/* Whether @path is @dir or below it, written plainly (no "..", no "//"). */
bool provider_path_in(const char *path, const char *dir)
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

static const struct provider_undo_op *find_op(const struct provider *prov, JsonObject *undo,
					      GError **error)
{
	const char *op = provider_undo_member(undo, "op");

	for (size_t i = 0; prov && prov->undo_ops && prov->undo_ops[i].op; i++)
		if (!strcmp(op, prov->undo_ops[i].op))
			return &prov->undo_ops[i];
	g_set_error(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
		    "undo operation '%s' is not one the %s provider makes: refused, and nothing was run",
		    op, prov ? prov->name : "(no)");
	return NULL;
}

bool provider_undo_check(const struct provider *prov, const struct undo_ctx *u, JsonObject *undo,
			 GError **error)
{
	const struct provider_undo_op *op = find_op(prov, undo, error);

	return op && op->check(u, undo, error);
}

bool provider_undo(const struct provider *prov, const struct undo_ctx *u, JsonObject *undo,
		   GError **error)
{
	const struct provider_undo_op *op = find_op(prov, undo, error);

	return op && op->check(u, undo, error) && op->run(undo, error);
}
