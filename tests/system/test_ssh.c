/*
 * test_ssh.c - unit tests of the ssh module against a real OpenSSH sshd
 *
 * The group setup starts a private sshd on 127.0.0.1 with its own host key,
 * client keys and authorized_keys in a temporary directory.  It runs in its
 * own mount and PID namespace: /root is covered by an empty directory, so
 * root's login shell reads no slow ~/.bashrc, and everything the tests start
 * on the "node" dies with that sshd when the test kills it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <cmocka.h>
#include <glib/gstdio.h>

#include "labctl/ssh.h"
#include "labctl/template.h"
#include "system.h"

#define MARK "\n[labctl: output truncated]\n"
#define CAP ((size_t)8 << 20)
#define PASSPHRASE "correct horse battery"

static struct {
	char *dir;
	char *home;		/* bind-mounted over /root for sshd */
	char *config;
	char *log;
	char *host_pub;		/* "ssh-ed25519 AAAA... comment" */
	char *host_fp;		/* SHA256:... */
	char *other_host_pub;
	char *client_key;
	char *other_key;	/* not authorized */
	char *pass_key;		/* authorized, encrypted with PASSPHRASE */
	char *known_hosts;
	char *pwned;		/* must never be created */
	unsigned port;
	GPid pid;
} fx;

/* ---- helpers for the fixture (no cmocka asserts: also used in setup) ---- */

static bool run_quiet(const char *const *argv, char **out)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *err = NULL;
	int status;

	if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, out,
			  &err, &status, &error)) {
		print_error("cannot run %s: %s\n", argv[0], error->message);
		return false;
	}
	if (!g_spawn_check_wait_status(status, &error)) {
		print_error("%s: %s: %s\n", argv[0], error->message, err ? err : "");
		return false;
	}
	return true;
}

static bool keygen(const char *path, const char *passphrase)
{
	const char *argv[] = { "ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase,
			       "-C", "labctl-test", "-f", path, NULL };

	return run_quiet(argv, NULL);
}

static char *read_pub(const char *key)
{
	g_autofree char *file = g_strconcat(key, ".pub", NULL);
	char *text = NULL;

	if (!g_file_get_contents(file, &text, NULL, NULL))
		return NULL;
	return g_strstrip(text);
}

static unsigned free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	unsigned port = 0;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static bool port_accepts(unsigned port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	bool ok;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

/* Waits (at most 5 s) until the port accepts connections, or refuses them. */
static bool wait_port(bool accepting)
{
	for (int i = 0; i < 250; i++) {
		if (port_accepts(fx.port) == accepting)
			return true;
		if (accepting && fx.pid && waitpid(fx.pid, NULL, WNOHANG) == fx.pid) {
			fx.pid = 0;
			return false;
		}
		g_usleep(20 * 1000);
	}
	return false;
}

/* If the test dies without its teardown, sshd goes with it. */
static void die_with_parent(gpointer data)
{
	(void)data;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
}

static bool sshd_start(void)
{
	g_autofree char *qhome = g_shell_quote(fx.home);
	g_autofree char *qconfig = g_shell_quote(fx.config);
	g_autofree char *qlog = g_shell_quote(fx.log);
	g_autofree char *script = g_strdup_printf(
		"mount --bind %s /root && exec /usr/sbin/sshd -D -f %s -E %s",
		qhome, qconfig, qlog);
	/* --kill-child: when we kill unshare, the namespace and all in it die */
	const char *argv[] = { "/usr/bin/unshare", "--mount", "--propagation", "private",
			       "--pid", "--fork", "--kill-child", "--mount-proc",
			       "/bin/sh", "-c", script, NULL };
	g_autoptr(GError) error = NULL;

	if (!g_spawn_async(NULL, (char **)argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
			   die_with_parent, NULL, &fx.pid, &error)) {
		print_error("cannot start sshd: %s\n", error->message);
		return false;
	}
	if (!wait_port(true)) {
		g_autofree char *log = NULL;

		g_file_get_contents(fx.log, &log, NULL, NULL);
		print_error("sshd did not come up on port %u:\n%s\n", fx.port, log ? log : "");
		return false;
	}
	return true;
}

static bool sshd_stop(void)
{
	if (!fx.pid)
		return true;
	kill(fx.pid, SIGKILL);
	waitpid(fx.pid, NULL, 0);
	g_spawn_close_pid(fx.pid);
	fx.pid = 0;
	return wait_port(false);
}

static bool sshd_restart(void)
{
	return sshd_stop() && sshd_start();
}

static char *fingerprint(const char *pubfile)
{
	const char *argv[] = { "ssh-keygen", "-l", "-E", "sha256", "-f", pubfile, NULL };
	g_autofree char *out = NULL;
	g_auto(GStrv) words = NULL;

	if (!run_quiet(argv, &out))
		return NULL;
	words = g_strsplit(out, " ", 3);
	return g_strv_length(words) >= 2 ? g_strdup(words[1]) : NULL;
}

static int group_setup(void **state)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *host_key = NULL, *other_host = NULL, *host_pubfile = NULL;
	g_autofree char *client_pub = NULL, *pass_pub = NULL, *auth = NULL;
	g_autofree char *config = NULL, *kh = NULL, *auth_file = NULL;

	(void)state;
	fx.dir = g_dir_make_tmp("labctl-ssh-XXXXXX", &error);
	if (!fx.dir) {
		print_error("%s\n", error->message);
		return -1;
	}
	fx.home = g_build_filename(fx.dir, "home", NULL);
	fx.config = g_build_filename(fx.dir, "sshd_config", NULL);
	fx.log = g_build_filename(fx.dir, "sshd.log", NULL);
	fx.client_key = g_build_filename(fx.dir, "client", NULL);
	fx.other_key = g_build_filename(fx.dir, "other", NULL);
	fx.pass_key = g_build_filename(fx.dir, "withpass", NULL);
	fx.known_hosts = g_build_filename(fx.dir, "known_hosts", NULL);
	fx.pwned = g_build_filename(fx.dir, "pwned", NULL);
	host_key = g_build_filename(fx.dir, "host_ed25519", NULL);
	other_host = g_build_filename(fx.dir, "other_host_ed25519", NULL);
	host_pubfile = g_strconcat(host_key, ".pub", NULL);
	auth_file = g_build_filename(fx.dir, "authorized_keys", NULL);

	if (g_mkdir(fx.home, 0700) || g_mkdir_with_parents("/run/sshd", 0755) ||
	    !keygen(host_key, "") || !keygen(other_host, "") ||
	    !keygen(fx.client_key, "") || !keygen(fx.other_key, "") ||
	    !keygen(fx.pass_key, PASSPHRASE))
		return -1;
	fx.host_pub = read_pub(host_key);
	fx.other_host_pub = read_pub(other_host);
	fx.host_fp = fingerprint(host_pubfile);
	client_pub = read_pub(fx.client_key);
	pass_pub = read_pub(fx.pass_key);
	fx.port = free_port();
	if (!fx.host_pub || !fx.other_host_pub || !fx.host_fp || !client_pub ||
	    !pass_pub || !fx.port)
		return -1;

	auth = g_strdup_printf("%s\n%s\n", client_pub, pass_pub);
	config = g_strdup_printf("ListenAddress 127.0.0.1:%u\n"
				 "HostKey %s\n"
				 "PidFile %s/sshd.pid\n"
				 "AuthorizedKeysFile %s\n"
				 "PermitRootLogin prohibit-password\n"
				 "PubkeyAuthentication yes\n"
				 "PasswordAuthentication no\n"
				 "KbdInteractiveAuthentication no\n"
				 "UsePAM no\n"
				 "StrictModes no\n"
				 "MaxStartups 64\n"
				 "LogLevel INFO\n",
				 fx.port, host_key, fx.dir, auth_file);
	kh = g_strdup_printf("[127.0.0.1]:%u %s\n", fx.port, fx.host_pub);
	if (!g_file_set_contents(auth_file, auth, -1, &error) ||
	    !g_file_set_contents(fx.config, config, -1, &error) ||
	    !g_file_set_contents(fx.known_hosts, kh, -1, &error)) {
		print_error("%s\n", error->message);
		return -1;
	}
	return sshd_start() ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	sshd_stop();
	if (fx.dir) {
		const char *argv[] = { "rm", "-rf", fx.dir, NULL };

		run_quiet(argv, NULL);
	}
	g_free(fx.dir);
	g_free(fx.home);
	g_free(fx.config);
	g_free(fx.log);
	g_free(fx.host_pub);
	g_free(fx.host_fp);
	g_free(fx.other_host_pub);
	g_free(fx.client_key);
	g_free(fx.other_key);
	g_free(fx.pass_key);
	g_free(fx.known_hosts);
	g_free(fx.pwned);
	memset(&fx, 0, sizeof(fx));
	return 0;
}

/* ---- helpers for tests ---- */

static struct lab_ssh_target target(void)
{
	return (struct lab_ssh_target){
		.name = "test-node",
		.host = "127.0.0.1",
		.port = fx.port,
		.key = fx.client_key,
		.known_hosts = fx.known_hosts,
		.connect_timeout = 5,
	};
}

static struct lab_ssh *open_target(const struct lab_ssh_target *t)
{
	g_autoptr(GError) error = NULL;
	struct lab_ssh *c = lab_ssh_open(t, NULL, &error);

	if (!c)
		fail_msg("lab_ssh_open: %s", error->message);
	return c;
}

static struct lab_ssh *open_ok(void)
{
	struct lab_ssh_target t = target();

	return open_target(&t);
}

static void exec_ok(struct lab_ssh *c, const char *cmd, const char *input,
		    size_t input_len, unsigned timeout, struct lab_ssh_result *r)
{
	g_autoptr(GError) error = NULL;

	if (!lab_ssh_exec(c, cmd, input, input_len, timeout, r, &error))
		fail_msg("exec '%s': %s", cmd, error->message);
}

static void assert_error(const GError *error, int code, const char *part)
{
	if (!error)
		fail_msg("expected an error containing '%s', got success", part);
	if (!g_error_matches(error, LAB_SSH_ERROR, code) || !strstr(error->message, part))
		fail_msg("expected error %d containing '%s', got %s %d '%s'", code, part,
			 g_quark_to_string(error->domain), error->code, error->message);
}

static void assert_no_pgid(const struct lab_ssh_result *r)
{
	if (r->err && strstr(r->err, "labctl-pgid"))
		fail_msg("pgid line not stripped from stderr: '%s'", r->err);
}

/* ---- tests ---- */

static void test_echo(void **state)
{
	struct lab_ssh *c = open_ok();
	struct lab_ssh_result r = { 0 };
	gint64 t0;
	const int rounds = 20;

	(void)state;
	exec_ok(c, "echo hello", NULL, 0, 10, &r);
	assert_int_equal(r.status, 0);
	assert_false(r.timed_out);
	assert_int_equal(r.out_len, 6);
	assert_string_equal(r.out, "hello\n");
	assert_int_equal(r.err_len, 0);
	assert_string_equal(r.err, "");
	assert_true(r.seconds > 0 && r.seconds < 5);
	lab_ssh_result_clear(&r);
	assert_null(r.out);

	t0 = g_get_monotonic_time();
	for (int i = 0; i < rounds; i++) {
		exec_ok(c, "true", NULL, 0, 10, &r);
		assert_int_equal(r.status, 0);
		lab_ssh_result_clear(&r);
	}
	print_message("one round trip: %.1f ms\n",
		      (double)(g_get_monotonic_time() - t0) / rounds / 1000.0);
	assert_true(lab_ssh_keepalive(c));
	assert_int_equal(lab_ssh_reconnects(c), 0);
	lab_ssh_close(c);
}

static void test_exit_status(void **state)
{
	static const struct {
		const char *cmd;
		int status;
	} cases[] = {
		{ "exit 3", 3 },
		{ "true", 0 },
		{ "false", 1 },
		{ "exit 255", 255 },
		{ "no-such-command-xyz 2>/dev/null", 127 },
		{ "(exit 7); echo $?", 0 },
	};
	struct lab_ssh *c = open_ok();

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct lab_ssh_result r = { 0 };

		exec_ok(c, cases[i].cmd, NULL, 0, 10, &r);
		if (r.status != cases[i].status || r.timed_out)
			fail_msg("'%s': status %d, want %d", cases[i].cmd, r.status,
				 cases[i].status);
		lab_ssh_result_clear(&r);
	}
	lab_ssh_close(c);
}

static void test_stderr(void **state)
{
	struct lab_ssh *c = open_ok();
	struct lab_ssh_result r = { 0 };

	(void)state;
	exec_ok(c, "echo out; echo err >&2; printf 'no newline' >&2", NULL, 0, 10, &r);
	assert_string_equal(r.out, "out\n");
	assert_string_equal(r.err, "err\nno newline");
	assert_int_equal(r.err_len, strlen("err\nno newline"));
	lab_ssh_result_clear(&r);

	/* only labctl's own line goes; the command's look-alike stays */
	exec_ok(c, "echo 'labctl-pgid 77' >&2; exit 2", NULL, 0, 10, &r);
	assert_string_equal(r.err, "labctl-pgid 77\n");
	assert_string_equal(r.out, "");
	assert_int_equal(r.status, 2);
	lab_ssh_result_clear(&r);
	lab_ssh_close(c);
}

static char *random_bytes(size_t n, guint32 seed)
{
	GRand *rand = g_rand_new_with_seed(seed);
	char *buf = g_malloc(n);

	for (size_t i = 0; i < n; i += 4) {
		guint32 v = g_rand_int(rand);

		memcpy(buf + i, &v, MIN((size_t)4, n - i));
	}
	g_rand_free(rand);
	return buf;
}

static void test_stdin(void **state)
{
	const size_t n = 1 << 20;
	g_autofree char *data = random_bytes(n, 42);
	g_autofree char *want = NULL;
	g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
	struct lab_ssh *c = open_ok();
	struct lab_ssh_result r = { 0 };

	(void)state;
	g_checksum_update(sum, (const guchar *)data, (gssize)n);
	want = g_strdup_printf("%s  -\n", g_checksum_get_string(sum));
	exec_ok(c, "sha256sum", data, n, 30, &r);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, want);
	lab_ssh_result_clear(&r);
	lab_ssh_close(c);
}

static void test_stdin_echoed(void **state)
{
	/* more than any window: input and output must flow at the same time */
	const size_t n = 6 << 20;
	g_autofree char *data = random_bytes(n, 7);
	struct lab_ssh *c = open_ok();
	struct lab_ssh_result r = { 0 };

	(void)state;
	exec_ok(c, "cat", data, n, 30, &r);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.out_len, n);
	assert_memory_equal(r.out, data, n);
	lab_ssh_result_clear(&r);

	/* a command that ignores its input still ends */
	exec_ok(c, "exit 5", data, n, 30, &r);
	assert_int_equal(r.status, 5);
	assert_false(r.timed_out);
	lab_ssh_result_clear(&r);

	/* empty input is EOF at once */
	exec_ok(c, "wc -c", "", 0, 10, &r);
	assert_string_equal(g_strstrip(r.out), "0");
	lab_ssh_result_clear(&r);
	lab_ssh_close(c);
}

static void test_hostile_strings(void **state)
{
	const char *fixed[] = {
		"it's", "'", "''", "\"", "\\", "a\\nb", "`id`", "$(id)", "${HOME}", "$HOME",
		"*", "?", "[a]", "~", "~root", "a b", " lead", "trail ", "\t", "\n",
		"line1\nline2\n", ";", "; echo x", "&&", "|", "&", ">x", "<x", "#comment",
		"-", "-n", "-e", "--help", "--", "!", "!!", "%s", "%%", "%n",
		"na\xc3\xafve \xe2\x80\x94 \xe6\x97\xa5\xe6\x9c\xac", "\xf0\x9f\x92\xbe",
		"", "x=y", "{a,b}", "$((1+1))", "\x01\x7f",
	};
	g_autofree char *p = g_shell_quote(fx.pwned);
	g_autofree char *s1 = g_strdup_printf("$(touch %s)", fx.pwned);
	g_autofree char *s2 = g_strdup_printf("`touch %s`", fx.pwned);
	g_autofree char *s3 = g_strdup_printf("; touch %s", fx.pwned);
	g_autofree char *s4 = g_strdup_printf("'; touch %s; '", fx.pwned);
	g_autofree char *s5 = g_strdup_printf("\"; touch %s; \"", fx.pwned);
	g_autofree char *s6 = g_strdup_printf("\ntouch %s\n", fx.pwned);
	g_autofree char *s7 = g_strdup_printf("$(touch %s)'\"`touch %s`", p, p);
	g_autofree char *s8 = g_strdup_printf("' && touch '%s", fx.pwned);
	const char *built[] = { s1, s2, s3, s4, s5, s6, s7, s8 };
	struct lab_ssh *c = open_ok();

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(fixed) + G_N_ELEMENTS(built); i++) {
		const char *s = i < G_N_ELEMENTS(fixed) ? fixed[i]
							: built[i - G_N_ELEMENTS(fixed)];
		g_autoptr(GString) cmd = g_string_new("printf '%s' ");
		struct lab_ssh_result r = { 0 };

		template_quote(cmd, s);
		exec_ok(c, cmd->str, NULL, 0, 10, &r);
		if (r.status != 0 || r.out_len != strlen(s) || memcmp(r.out, s, r.out_len))
			fail_msg("'%s' (as %s) arrived as '%s' status %d, stderr '%s'", s,
				 cmd->str, r.out, r.status, r.err);
		lab_ssh_result_clear(&r);
	}
	/* the command itself goes through one more round of quoting */
	{
		struct lab_ssh_result r = { 0 };

		exec_ok(c, "printf '%s|' \"it's\" '$HOME' \"a  b\"", NULL, 0, 10, &r);
		assert_string_equal(r.out, "it's|$HOME|a  b|");
		lab_ssh_result_clear(&r);
	}
	assert_false(g_file_test(fx.pwned, G_FILE_TEST_EXISTS));
	lab_ssh_close(c);
}

/*
 * The killed processes are gone within 5 s: the signal is sent at once,
 * but on a loaded machine they may take a moment to exit.
 */
static void assert_gone(struct lab_ssh *c, const char *pattern)
{
	g_autofree char *cmd = g_strdup_printf(
		"i=0; while pgrep -f '%s' >/dev/null && test $i -lt 50; do sleep 0.1; i=$((i + 1)); done; "
		"pgrep -f '%s' || echo none", pattern, pattern);
	struct lab_ssh_result r = { 0 };

	exec_ok(c, cmd, NULL, 0, 10, &r);
	if (strcmp(r.out, "none\n"))
		fail_msg("processes matching '%s' left after 5 s: %s", pattern, r.out);
	lab_ssh_result_clear(&r);
}

static void test_timeout(void **state)
{
	struct lab_ssh *c = open_ok();
	struct lab_ssh_result r = { 0 };
	gint64 t0 = g_get_monotonic_time();

	(void)state;
	exec_ok(c, "echo started; sleep 29.5 & sleep 31.5; wait", NULL, 0, 1, &r);
	assert_true(r.timed_out);
	assert_int_equal(r.status, -1);
	assert_string_equal(r.out, "started\n");
	assert_no_pgid(&r);
	assert_true(r.seconds >= 1 && r.seconds < 5);
	assert_true(g_get_monotonic_time() - t0 < 5 * G_USEC_PER_SEC);
	lab_ssh_result_clear(&r);
	assert_gone(c, "sleep (29|31)[.]5");

	/* output closed early: the exit status is what we wait for */
	t0 = g_get_monotonic_time();
	exec_ok(c, "exec >/dev/null 2>&1; sleep 29.6", NULL, 0, 1, &r);
	assert_true(r.timed_out);
	assert_true(g_get_monotonic_time() - t0 < 5 * G_USEC_PER_SEC);
	lab_ssh_result_clear(&r);
	assert_gone(c, "sleep 29[.]6");
	lab_ssh_close(c);
}

static void test_endings(void **state)
{
	struct lab_ssh *c = open_ok();
	struct lab_ssh_result r = { 0 };

	(void)state;
	/* EOF long before the exit status */
	exec_ok(c, "exec >&- 2>&-; sleep 1; exit 4", NULL, 0, 10, &r);
	assert_int_equal(r.status, 4);
	assert_false(r.timed_out);
	assert_true(r.seconds >= 1 && r.seconds < 4);
	lab_ssh_result_clear(&r);

	/*
	 * killed by a signal: no exit status, not a timeout.  Through the node
	 * shell, $$ is that shell: the next command starts another.
	 */
	exec_ok(c, "echo before; kill -TERM $$", NULL, 0, 10, &r);
	assert_int_equal(r.status, -1);
	assert_false(r.timed_out);
	assert_string_equal(r.out, "before\n");
	lab_ssh_result_clear(&r);
	exec_ok(c, "echo after", NULL, 0, 10, &r);
	assert_string_equal(r.out, "after\n");
	lab_ssh_result_clear(&r);
	assert_int_equal(lab_ssh_shell_starts(c), g_strcmp0(g_getenv("LABCTL_NODE_SHELL"), "0") ? 2 : 0);
	assert_int_equal(lab_ssh_reconnects(c), 0);

	/* a background process keeps stdout open: the command still ends */
	exec_ok(c, "sleep 29.8 & echo started", NULL, 0, 0, &r);
	assert_int_equal(r.status, 0);
	assert_false(r.timed_out);
	assert_string_equal(r.out, "started\n");
	assert_true(r.seconds < 5);
	lab_ssh_result_clear(&r);
	exec_ok(c, "pkill -f 'sleep 29[.]8'; true", NULL, 0, 10, &r);
	lab_ssh_result_clear(&r);
	lab_ssh_close(c);
}

static void test_output_cap(void **state)
{
	struct lab_ssh *c = open_ok();
	struct lab_ssh_result r = { 0 };

	(void)state;
	exec_ok(c, "head -c 9437184 /dev/zero; echo done >&2", NULL, 0, 30, &r);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.out_len, CAP + strlen(MARK));
	assert_memory_equal(r.out + CAP, MARK, strlen(MARK));
	assert_int_equal(r.out[CAP - 1], 0);
	assert_string_equal(r.err, "done\n");
	lab_ssh_result_clear(&r);

	exec_ok(c, "head -c 9437184 /dev/zero >&2; echo done", NULL, 0, 30, &r);
	assert_int_equal(r.err_len, CAP + strlen(MARK));
	assert_memory_equal(r.err + CAP, MARK, strlen(MARK));
	assert_string_equal(r.out, "done\n");
	lab_ssh_result_clear(&r);

	/* exactly the cap is not truncated */
	exec_ok(c, "head -c 8388608 /dev/zero", NULL, 0, 30, &r);
	assert_int_equal(r.out_len, CAP);
	lab_ssh_result_clear(&r);
	lab_ssh_close(c);
}

static void test_hostkey_unknown(void **state)
{
	g_autofree char *file = g_build_filename(fx.dir, "kh-unknown", NULL);
	g_autofree char *text = NULL;
	g_auto(GStrv) words = g_strsplit(fx.host_pub, " ", 3);
	struct lab_ssh_target t = target();
	g_autoptr(GError) error = NULL;
	char *notice = NULL;
	struct lab_ssh *c;

	(void)state;
	t.known_hosts = file;
	/* no file at all */
	c = lab_ssh_open(&t, &notice, &error);
	assert_null(c);
	assert_null(notice);
	assert_error(error, LAB_SSH_ERROR_HOSTKEY, "host key is not known");
	assert_non_null(strstr(error->message, fx.host_fp));
	assert_non_null(strstr(error->message, file));
	assert_non_null(strstr(error->message, "--accept-new-host-keys"));
	assert_true(g_str_has_prefix(error->message, "node 'test-node' (127.0.0.1:"));
	g_clear_error(&error);

	/* an empty file */
	assert_true(g_file_set_contents(file, "", 0, NULL));
	c = lab_ssh_open(&t, &notice, &error);
	assert_null(c);
	assert_error(error, LAB_SSH_ERROR_HOSTKEY, "host key is not known");
	g_clear_error(&error);

	/* accepted, reported and recorded */
	t.accept_new = true;
	c = lab_ssh_open(&t, &notice, &error);
	if (!c)
		fail_msg("accept_new: %s", error->message);
	assert_non_null(notice);
	assert_non_null(strstr(notice, "recorded host key of 'test-node'"));
	assert_non_null(strstr(notice, fx.host_fp));
	assert_non_null(strstr(notice, file));
	g_free(notice);
	notice = NULL;
	lab_ssh_close(c);
	assert_true(g_file_get_contents(file, &text, NULL, NULL));
	assert_non_null(strstr(text, words[1]));

	/* and known from now on */
	t.accept_new = false;
	c = lab_ssh_open(&t, &notice, &error);
	if (!c)
		fail_msg("second open: %s", error->message);
	assert_null(notice);
	lab_ssh_close(c);
}

static void test_hostkey_changed(void **state)
{
	g_autofree char *file = g_build_filename(fx.dir, "kh-changed", NULL);
	g_autofree char *line = g_strdup_printf("[127.0.0.1]:%u %s\n", fx.port,
						fx.other_host_pub);
	g_autofree char *after = NULL;
	struct lab_ssh_target t = target();
	g_autoptr(GError) error = NULL;
	char *notice = NULL;
	struct lab_ssh *c;

	(void)state;
	assert_true(g_file_set_contents(file, line, -1, NULL));
	t.known_hosts = file;
	for (int accept = 0; accept < 2; accept++) {
		t.accept_new = accept;
		c = lab_ssh_open(&t, &notice, &error);
		assert_null(c);
		assert_null(notice);
		assert_error(error, LAB_SSH_ERROR_HOSTKEY, "HOST KEY CHANGED");
		assert_non_null(strstr(error->message, fx.host_fp));
		assert_non_null(strstr(error->message, file));
		g_clear_error(&error);
	}
	assert_true(g_file_get_contents(file, &after, NULL, NULL));
	assert_string_equal(after, line);
}

static void test_auth(void **state)
{
	g_autofree char *missing = g_build_filename(fx.dir, "no-such-key", NULL);
	static const char wrong[] = "not the passphrase";
	struct lab_ssh_target t = target();
	g_autoptr(GError) error = NULL;
	struct lab_ssh *c;

	(void)state;
	t.key = fx.other_key;
	c = lab_ssh_open(&t, NULL, &error);
	assert_null(c);
	assert_error(error, LAB_SSH_ERROR_AUTH, "was refused");
	assert_non_null(strstr(error->message, fx.other_key));
	g_clear_error(&error);

	t.key = missing;
	c = lab_ssh_open(&t, NULL, &error);
	assert_null(c);
	assert_error(error, LAB_SSH_ERROR_AUTH, "cannot read private key");
	g_clear_error(&error);

	t.key = fx.pass_key;
	t.passphrase = wrong;
	c = lab_ssh_open(&t, NULL, &error);
	assert_null(c);
	assert_error(error, LAB_SSH_ERROR_AUTH, fx.pass_key);
	assert_null(strstr(error->message, wrong));
	g_clear_error(&error);

	t.passphrase = PASSPHRASE;
	c = lab_ssh_open(&t, NULL, &error);
	if (!c)
		fail_msg("key with passphrase: %s", error->message);
	lab_ssh_close(c);
}

static void test_connect_refused(void **state)
{
	struct lab_ssh_target t = target();
	g_autoptr(GError) error = NULL;
	g_autofree char *prefix = NULL;
	gint64 t0;
	struct lab_ssh *c;

	(void)state;
	t.port = free_port();
	t.connect_timeout = 3;
	prefix = g_strdup_printf("node 'test-node' (127.0.0.1:%u): ", t.port);
	t0 = g_get_monotonic_time();
	c = lab_ssh_open(&t, NULL, &error);
	assert_null(c);
	assert_true(g_get_monotonic_time() - t0 < 3 * G_USEC_PER_SEC);
	assert_error(error, LAB_SSH_ERROR_CONNECT, prefix);
	print_message("refused: %s\n", error->message);
}

struct worker {
	int id;
	GThread *thread;
	char *failure;
};

static gpointer worker_run(gpointer data)
{
	struct worker *w = data;
	struct lab_ssh_target t = target();
	g_autoptr(GError) error = NULL;
	struct lab_ssh *c = lab_ssh_open(&t, NULL, &error);

	if (!c) {
		w->failure = g_strdup_printf("open: %s", error->message);
		return NULL;
	}
	for (int i = 0; i < 20 && !w->failure; i++) {
		g_autofree char *cmd = g_strdup_printf("printf 'T%d-%d'; printf 'E%d' >&2; exit %d",
						       w->id, i, i, (w->id + i) % 7);
		g_autofree char *out = g_strdup_printf("T%d-%d", w->id, i);
		g_autofree char *err = g_strdup_printf("E%d", i);
		struct lab_ssh_result r = { 0 };

		if (!lab_ssh_exec(c, cmd, NULL, 0, 10, &r, &error))
			w->failure = g_strdup_printf("exec %d: %s", i, error->message);
		else if (strcmp(r.out, out) || strcmp(r.err, err) ||
			 r.status != (w->id + i) % 7)
			w->failure = g_strdup_printf("exec %d: out '%s' err '%s' status %d",
						     i, r.out, r.err, r.status);
		lab_ssh_result_clear(&r);
	}
	lab_ssh_close(c);
	return NULL;
}

static void test_threads(void **state)
{
	struct worker w[4] = { { 0 } };

	(void)state;
	for (int i = 0; i < 4; i++) {
		w[i].id = i;
		w[i].thread = g_thread_new("ssh-worker", worker_run, &w[i]);
	}
	for (int i = 0; i < 4; i++)
		g_thread_join(w[i].thread);
	for (int i = 0; i < 4; i++) {
		if (w[i].failure) {
			g_autofree char *f = w[i].failure;

			fail_msg("thread %d: %s", i, f);
		}
	}
}

static void test_reconnect(void **state)
{
	struct lab_ssh *c = open_ok();
	struct lab_ssh_result r = { 0 };
	g_autoptr(GError) error = NULL;

	(void)state;
	exec_ok(c, "echo one", NULL, 0, 10, &r);
	lab_ssh_result_clear(&r);

	/* the drop is found when the next command opens its channel */
	assert_true(sshd_restart());
	exec_ok(c, "echo two", NULL, 0, 10, &r);
	assert_string_equal(r.out, "two\n");
	lab_ssh_result_clear(&r);
	assert_int_equal(lab_ssh_reconnects(c), 1);

	/* ... or by a keepalive */
	assert_true(sshd_restart());
	assert_false(lab_ssh_keepalive(c));
	exec_ok(c, "echo three", NULL, 0, 10, &r);
	assert_string_equal(r.out, "three\n");
	lab_ssh_result_clear(&r);
	assert_int_equal(lab_ssh_reconnects(c), 2);
	assert_true(lab_ssh_keepalive(c));

	/* the node stays down: bounded attempts, then a connect error */
	assert_true(sshd_stop());
	assert_false(lab_ssh_exec(c, "echo four", NULL, 0, 10, &r, &error));
	assert_error(error, LAB_SSH_ERROR_CONNECT, "3 reconnect attempts failed");
	assert_null(r.out);
	g_clear_error(&error);

	assert_true(sshd_start());
	exec_ok(c, "echo five", NULL, 0, 10, &r);
	assert_string_equal(r.out, "five\n");
	lab_ssh_result_clear(&r);
	assert_int_equal(lab_ssh_reconnects(c), 3);
	lab_ssh_close(c);
}

struct lost {
	struct lab_ssh *c;
	bool ran;
	GError *error;
	struct lab_ssh_result r;
};

static gpointer lost_run(gpointer data)
{
	struct lost *l = data;

	l->ran = lab_ssh_exec(l->c, "echo running; sleep 29.7", NULL, 0, 0, &l->r, &l->error);
	return NULL;
}

static void test_lost_while_running(void **state)
{
	struct lost l = { .c = open_ok() };
	struct lab_ssh_result r = { 0 };
	GThread *th;

	(void)state;
	th = g_thread_new("ssh-lost", lost_run, &l);
	g_usleep(G_USEC_PER_SEC / 2);
	assert_true(sshd_restart());
	g_thread_join(th);
	assert_false(l.ran);
	assert_error(l.error, LAB_SSH_ERROR_CHANNEL,
		     "connection lost while running the command; its outcome is unknown");
	g_clear_error(&l.error);
	lab_ssh_result_clear(&l.r);

	exec_ok(l.c, "echo again", NULL, 0, 10, &r);
	assert_string_equal(r.out, "again\n");
	lab_ssh_result_clear(&r);
	assert_int_equal(lab_ssh_reconnects(l.c), 1);
	lab_ssh_close(l.c);
}

/*
 * The node shell: one per connection, and what a command does to its own
 * shell (cd, variables, positional parameters, kill $$) stays with it.
 */
static void test_node_shell(void **state)
{
	struct lab_ssh *c = open_ok();
	struct lab_ssh_result r = { 0 };
	bool shell = g_strcmp0(g_getenv("LABCTL_NODE_SHELL"), "0") != 0;

	(void)state;
	exec_ok(c, "cd /; x=set; set -- a b; exit 3", NULL, 0, 10, &r);
	assert_int_equal(r.status, 3);
	lab_ssh_result_clear(&r);
	exec_ok(c, "pwd; echo \"${x-unset} [$#] [$1]\"", NULL, 0, 10, &r);
	assert_string_equal(r.out, "/root\nunset [0] []\n");
	lab_ssh_result_clear(&r);

	/* input exactly as given: no newline added, none taken */
	{
		static const char *const inputs[] = { "a\n\\$(id)\n 'no newline'", "two\n\n", "\n",
						      "x" };

		for (size_t i = 0; i < G_N_ELEMENTS(inputs); i++) {
			exec_ok(c, "cat", inputs[i], strlen(inputs[i]), 10, &r);
			assert_int_equal(r.out_len, strlen(inputs[i]));
			assert_string_equal(r.out, inputs[i]);
			lab_ssh_result_clear(&r);
		}
	}
	/* one shell for all of them (test_endings: one that a command kills) */
	assert_int_equal(lab_ssh_shell_starts(c), shell ? 1 : 0);
	lab_ssh_close(c);
}

/*
 * A key pair made in this process, as ssh-keygen makes one: OpenSSH reads
 * the private key (mode 0600) and derives from it the public key written
 * beside it; sshd takes such keys as host key and client key in every
 * netns test.
 */
static void test_keygen(void **state)
{
	g_autofree char *file = g_build_filename(fx.dir, "made_key", NULL);
	g_autofree char *pubfile = g_strconcat(file, ".pub", NULL);
	g_autofree char *pub = NULL;
	g_autofree char *derived = NULL;
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) words = NULL;
	g_auto(GStrv) want = NULL;
	const char *argv[] = { "ssh-keygen", "-y", "-f", file, NULL };
	GStatBuf st;

	(void)state;
	g_unlink(file);
	g_unlink(pubfile);
	if (!lab_ssh_keygen(file, "labctl-made", &error))
		fail_msg("%s", error->message);
	assert_int_equal(g_stat(file, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_true(g_file_get_contents(pubfile, &pub, NULL, NULL));
	assert_true(g_str_has_suffix(pub, " labctl-made\n"));
	words = g_strsplit(pub, " ", 3);
	assert_string_equal(words[0], "ssh-ed25519");
	assert_true(run_quiet(argv, &derived));
	want = g_strsplit(derived, " ", 3);
	g_strstrip(want[1]);
	assert_string_equal(want[0], words[0]);
	assert_string_equal(want[1], words[1]);
	/* a second key is another key */
	g_unlink(file);
	assert_true(lab_ssh_keygen(file, "labctl-made", &error));
	g_free(derived);
	derived = NULL;
	assert_true(run_quiet(argv, &derived));
	assert_null(strstr(derived, words[1]));
	g_unlink(file);
	g_unlink(pubfile);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_node_shell),
		cmocka_unit_test(test_echo),
		cmocka_unit_test(test_exit_status),
		cmocka_unit_test(test_stderr),
		cmocka_unit_test(test_stdin),
		cmocka_unit_test(test_stdin_echoed),
		cmocka_unit_test(test_hostile_strings),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_endings),
		cmocka_unit_test(test_output_cap),
		cmocka_unit_test(test_hostkey_unknown),
		cmocka_unit_test(test_hostkey_changed),
		cmocka_unit_test(test_auth),
		cmocka_unit_test(test_connect_refused),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_keygen),
		/* these restart sshd */
		cmocka_unit_test(test_reconnect),
		cmocka_unit_test(test_lost_while_running),
	};

	int failed;

	system_need_root("test_ssh", "an sshd in a mount namespace of its own that logs in as root");
	/* every test through the node shell, then each command on a channel of its own */
	g_unsetenv("LABCTL_NODE_SHELL");
	failed = cmocka_run_group_tests_name("node shell", tests, group_setup, group_teardown);
	g_setenv("LABCTL_NODE_SHELL", "0", TRUE);
	failed += cmocka_run_group_tests_name("a channel per command", tests, group_setup,
					      group_teardown);
	return failed;
}
