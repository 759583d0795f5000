/*
 * ssh.c - remote commands over libssh, one connection per node
 *
 * Commands run as root through one long-lived shell per connection (the
 * node shell, below).  One that cannot go through it (input with a NUL,
 * or large; the sudo check, which runs as the login user; the kill of a
 * command that timed out), or every one with LABCTL_NODE_SHELL=0, runs on
 * a channel of its own as
 *
 *   printf 'labctl-pgid %s\n' $$ >&2; exec sh -c 'CMD'
 *
 * sshd makes the shell it starts for a session a session and process-group
 * leader, so $$ is the process group of everything CMD starts (daemons that
 * detach into their own sessions are not in it).  The first stderr line
 * tells us that group, and a timeout kills it from a second channel: closing
 * the channel alone would leave the command running on the node.
 *
 * Output is collected through channel callbacks, so nothing waits in libssh's
 * buffers while we sleep in poll(2) on the socket, and stdin is written only
 * as far as the peer's window allows, so a command that writes much before it
 * has read all its input cannot deadlock against us.
 */
#include <poll.h>
#include <stdarg.h>
#include <string.h>
#include <libssh/libssh.h>
#include <libssh/callbacks.h>
#include <libssh/server.h>	/* ssh_send_keepalive, which clients may use too */

#include "labctl/ssh.h"

G_DEFINE_QUARK(lab-ssh-error-quark, lab_ssh_error)

#define DEFAULT_CONNECT_TIMEOUT 10	/* seconds */
#define DEFAULT_RETRIES 3
#define OUTPUT_MAX ((size_t)8 << 20)	/* per stream */
#define TRUNCATED_MARK "\n[labctl: output truncated]\n"
#define PGID_PREFIX "labctl-pgid "
#define PGID_SCAN_MAX 65536	/* stderr searched for the pgid line */
#define WAIT_SLICE_US (100 * 1000)	/* longest sleep without looking */
#define KILL_TIMEOUT_US (5 * G_USEC_PER_SEC)
/*
 * After the exit status, how long output may stay quiet before we stop
 * waiting for EOF: a background process that keeps stdout open (cmd &)
 * would otherwise hold the command until its timeout, or forever.
 */
#define EXIT_GRACE_US (2 * G_USEC_PER_SEC)
#define BACKOFF_FIRST_US (G_USEC_PER_SEC / 2)
#define BACKOFF_MAX_US (8 * G_USEC_PER_SEC)

struct lab_ssh {
	ssh_session session;	/* NULL after a failed reconnect */
	char *name;
	char *host;
	unsigned port;
	char *user;
	char *key;
	char *passphrase;
	char *password;
	bool sudo;
	char *sudo_password;
	bool sudo_asks;		/* sudo wants the password (lab_ssh_open found out) */
	char *known_hosts;
	char *also_known_hosts;
	bool accept_new;
	bool use_config;
	unsigned connect_timeout;
	unsigned retries;
	unsigned reconnects;
	char *addr;		/* "HOST:PORT" as connected, for messages */
	bool use_shell;		/* commands through the node shell (LABCTL_NODE_SHELL) */
	struct shell *shell;	/* NULL until the first command, or once it is gone */
	unsigned shell_starts;
};

static void shell_free(struct lab_ssh *c);

struct stream {
	GString *buf;
	bool truncated;
};

/* One command on one channel. */
struct run {
	struct stream out;
	struct stream err;
	GString *head;		/* stderr not yet searched for the pgid line */
	size_t scanned;
	bool scan;		/* still looking for the pgid line */
	long pgid;		/* 0 until known */
	bool eof;
	bool closed;
	bool got_status;
	int status;
	bool progress;		/* something arrived since the last look */
	gint64 last_data;	/* monotonic time of the last output */
	struct ssh_channel_callbacks_struct cb;
};

/* Serializes reading and appending known_hosts files across connections. */
static GMutex known_hosts_lock;

static bool libssh_initialized;

static gpointer init_libssh(gpointer data)
{
	(void)data;
	ssh_init();
	libssh_initialized = true;
	return NULL;
}

void lab_ssh_finalize(void)
{
	/* releases libssh's and its crypto library's global state */
	if (libssh_initialized)
		ssh_finalize();
	libssh_initialized = false;
}

static const char *known_hosts_file(const struct lab_ssh *c)
{
	return c->known_hosts ? c->known_hosts : "~/.ssh/known_hosts";
}

static void set_error(const struct lab_ssh *c, GError **error, int code,
		      const char *fmt, ...) G_GNUC_PRINTF(4, 5);

/* Sets @error to "node 'NAME' (ADDR): MESSAGE". */
static void set_error(const struct lab_ssh *c, GError **error, int code,
		      const char *fmt, ...)
{
	g_autofree char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(error, LAB_SSH_ERROR, code, "node '%s' (%s): %s", c->name,
		    c->addr ? c->addr : c->host, msg);
}

/* libssh's last error in house style: lowercase, no final period. */
static char *ssh_cause(ssh_session s)
{
	const char *m = s ? ssh_get_error(s) : NULL;
	char *t;
	size_t n;

	if (!m || !*m)
		return g_strdup("unknown error");
	t = g_strstrip(g_strdup(m));
	n = strlen(t);
	while (n && (t[n - 1] == '.' || g_ascii_isspace(t[n - 1])))
		t[--n] = '\0';
	/* "Connection refused" but not "SSH..." or "EOF" */
	if (g_ascii_isupper(t[0]) && !g_ascii_isupper(t[1]))
		t[0] = g_ascii_tolower(t[0]);
	return t;
}

static bool session_alive(ssh_session s)
{
	return s && ssh_is_connected(s) &&
	       !(ssh_get_status(s) & (SSH_CLOSED | SSH_CLOSED_ERROR));
}

static void session_drop(struct lab_ssh *c)
{
	shell_free(c);
	if (!c->session)
		return;
	ssh_disconnect(c->session);
	ssh_free(c->session);
	c->session = NULL;
}

static char *format_addr(const char *host, unsigned port)
{
	if (strchr(host, ':'))
		return g_strdup_printf("[%s]:%u", host, port);
	return g_strdup_printf("%s:%u", host, port);
}

/* Remembers the address libssh will really use (~/.ssh/config may change it). */
static void note_addr(struct lab_ssh *c, ssh_session s)
{
	char *host = NULL;
	unsigned port = c->port ? c->port : 22;

	if (ssh_options_get(s, SSH_OPTIONS_HOST, &host) != SSH_OK)
		host = NULL;
	(void)ssh_options_get_port(s, &port);
	g_free(c->addr);
	c->addr = format_addr(host ? host : c->host, port);
	ssh_string_free_char(host);
}

static bool set_option(struct lab_ssh *c, ssh_session s, enum ssh_options_e opt,
		       const void *value, const char *what, GError **error)
{
	if (ssh_options_set(s, opt, value) == SSH_OK)
		return true;
	{
		g_autofree char *cause = ssh_cause(s);

		set_error(c, error, LAB_SSH_ERROR_CONNECT, "cannot set %s: %s", what, cause);
	}
	return false;
}

static bool configure(struct lab_ssh *c, ssh_session s, GError **error)
{
	long timeout = c->connect_timeout;
	bool no = false;
	int nodelay = 1;

	if (!set_option(c, s, SSH_OPTIONS_HOST, c->host, "the host", error))
		return false;
	if (c->use_config) {
		if (ssh_options_parse_config(s, NULL) != SSH_OK) {
			g_autofree char *cause = ssh_cause(s);

			set_error(c, error, LAB_SSH_ERROR_CONNECT,
				  "cannot read the ssh configuration: %s", cause);
			return false;
		}
	} else if (!set_option(c, s, SSH_OPTIONS_PROCESS_CONFIG, &no,
			       "the configuration option", error)) {
		return false;
	}
	if (c->port && !set_option(c, s, SSH_OPTIONS_PORT, &c->port, "the port", error))
		return false;
	if (c->user && !set_option(c, s, SSH_OPTIONS_USER, c->user, "the user", error))
		return false;
	/*
	 * libssh checks two files and writes the first: the second is where a
	 * node labctl did not make may be known already (~/.ssh/known_hosts),
	 * and nothing else (not /etc/ssh/ssh_known_hosts) is consulted.
	 */
	if (c->known_hosts &&
	    (!set_option(c, s, SSH_OPTIONS_KNOWNHOSTS, c->known_hosts,
			 "the known_hosts file", error) ||
	     !set_option(c, s, SSH_OPTIONS_GLOBAL_KNOWNHOSTS,
			 c->also_known_hosts ? c->also_known_hosts : "/dev/null",
			 "the global known_hosts file", error)))
		return false;
	/* each command is a few small request/reply packets: Nagle's algorithm
	 * with delayed ACKs would add 40 ms to every one */
	return set_option(c, s, SSH_OPTIONS_NODELAY, &nodelay, "TCP_NODELAY", error) &&
	       set_option(c, s, SSH_OPTIONS_TIMEOUT, &timeout, "the timeout", error);
}

static bool check_host_key(struct lab_ssh *c, ssh_session s, char **notice,
			   GError **error)
{
	ssh_key key = NULL;
	unsigned char *hash = NULL;
	size_t hash_len = 0;
	char *fp = NULL;
	g_autofree char *cause = NULL;
	enum ssh_known_hosts_e state;
	bool ok = false;

	if (ssh_get_server_publickey(s, &key) != SSH_OK ||
	    ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &hash_len) != 0 ||
	    !(fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hash_len))) {
		cause = ssh_cause(s);
		set_error(c, error, LAB_SSH_ERROR_HOSTKEY, "cannot read the host key: %s",
			  cause);
		goto out;
	}

	g_mutex_lock(&known_hosts_lock);
	state = ssh_session_is_known_server(s);
	switch (state) {
	case SSH_KNOWN_HOSTS_OK:
		ok = true;
		break;
	case SSH_KNOWN_HOSTS_CHANGED:
	case SSH_KNOWN_HOSTS_OTHER:
		set_error(c, error, LAB_SSH_ERROR_HOSTKEY,
			  "HOST KEY CHANGED (now %s); if the node was rebuilt, "
			  "remove its line from '%s'", fp, known_hosts_file(c));
		break;
	case SSH_KNOWN_HOSTS_NOT_FOUND:
	case SSH_KNOWN_HOSTS_UNKNOWN:
		if (!c->accept_new) {
			set_error(c, error, LAB_SSH_ERROR_HOSTKEY,
				  "host key is not known; it is %s \xe2\x80\x94 verify it and "
				  "run with --accept-new-host-keys to record it in '%s'",
				  fp, known_hosts_file(c));
			break;
		}
		/* labctl's own file for kept keys may not exist yet */
		if (c->known_hosts) {
			g_autofree char *dir = g_path_get_dirname(c->known_hosts);

			g_mkdir_with_parents(dir, 0700);
		}
		if (ssh_session_update_known_hosts(s) != SSH_OK) {
			cause = ssh_cause(s);
			set_error(c, error, LAB_SSH_ERROR_HOSTKEY,
				  "cannot record host key %s in '%s': %s", fp,
				  known_hosts_file(c), cause);
			break;
		}
		if (notice)
			*notice = g_strdup_printf("recorded host key of '%s' (%s) in '%s'",
						  c->name, fp, known_hosts_file(c));
		ok = true;
		break;
	case SSH_KNOWN_HOSTS_ERROR:
	default:
		cause = ssh_cause(s);
		set_error(c, error, LAB_SSH_ERROR_HOSTKEY,
			  "cannot check the host key against '%s': %s",
			  known_hosts_file(c), cause);
		break;
	}
	g_mutex_unlock(&known_hosts_lock);
out:
	ssh_string_free_char(fp);
	ssh_clean_pubkey_hash(&hash);
	ssh_key_free(key);
	return ok;
}

static bool authenticate(struct lab_ssh *c, ssh_session s, GError **error)
{
	char *user = NULL;
	g_autofree char *who = NULL;
	int rc;

	if (ssh_options_get(s, SSH_OPTIONS_USER, &user) == SSH_OK) {
		who = g_strdup(user);
		ssh_string_free_char(user);
	} else {
		who = g_strdup("?");
	}
	if (c->key) {
		ssh_key key = NULL;

		rc = ssh_pki_import_privkey_file(c->key, c->passphrase, NULL, NULL, &key);
		if (rc != SSH_OK) {
			set_error(c, error, LAB_SSH_ERROR_AUTH,
				  rc == SSH_EOF ? "cannot read private key '%s'"
						: "cannot load private key '%s' (wrong passphrase?)",
				  c->key);
			return false;
		}
		rc = ssh_userauth_publickey(s, NULL, key);
		ssh_key_free(key);
	} else {
		rc = ssh_userauth_publickey_auto(s, NULL, c->passphrase);
	}
	if (rc != SSH_AUTH_SUCCESS && rc != SSH_AUTH_ERROR && c->password)
		rc = ssh_userauth_password(s, NULL, c->password);
	if (rc == SSH_AUTH_SUCCESS)
		return true;
	if (rc == SSH_AUTH_ERROR) {
		g_autofree char *cause = ssh_cause(s);

		set_error(c, error, LAB_SSH_ERROR_AUTH, "authentication as '%s' failed: %s",
			  who, cause);
	} else if (c->password) {
		set_error(c, error, LAB_SSH_ERROR_AUTH,
			  "authentication as '%s' with %s and the password was refused", who,
			  c->key ? "its key" : "the agent, default keys");
	} else if (c->key) {
		set_error(c, error, LAB_SSH_ERROR_AUTH,
			  "authentication as '%s' with key '%s' was refused", who, c->key);
	} else {
		set_error(c, error, LAB_SSH_ERROR_AUTH,
			  "authentication as '%s' with the agent and default keys was refused",
			  who);
	}
	return false;
}

/* Makes c->session a new, verified and authenticated connection. */
static bool session_connect(struct lab_ssh *c, char **notice, GError **error)
{
	ssh_session s = ssh_new();

	session_drop(c);
	if (!s) {
		set_error(c, error, LAB_SSH_ERROR_CONNECT, "cannot create an ssh session");
		return false;
	}
	if (!configure(c, s, error))
		goto fail;
	note_addr(c, s);
	if (ssh_connect(s) != SSH_OK) {
		g_autofree char *cause = ssh_cause(s);

		set_error(c, error, LAB_SSH_ERROR_CONNECT, "%s", cause);
		goto fail;
	}
	if (!check_host_key(c, s, notice, error) || !authenticate(c, s, error))
		goto fail;
	c->session = s;
	return true;
fail:
	ssh_disconnect(s);
	ssh_free(s);
	return false;
}

/* Re-establishes a dropped connection: bounded attempts with backoff. */
static bool reconnect(struct lab_ssh *c, GError **error)
{
	g_autoptr(GError) last = NULL;
	gulong delay = BACKOFF_FIRST_US;
	unsigned i;

	for (i = 0; i < c->retries; i++) {
		if (i) {
			g_usleep(delay);
			delay = MIN(delay * 2, BACKOFF_MAX_US);
		}
		g_clear_error(&last);
		if (session_connect(c, NULL, &last)) {
			c->reconnects++;
			return true;
		}
		/* a host key or key problem does not go away by trying again */
		if (!g_error_matches(last, LAB_SSH_ERROR, LAB_SSH_ERROR_CONNECT)) {
			i++;
			break;
		}
	}
	g_set_error(error, last->domain, last->code,
		    "%s (the connection was lost; %u reconnect attempt%s failed)",
		    last->message, i, i == 1 ? "" : "s");
	return false;
}

static bool check_sudo(struct lab_ssh *c, GError **error);

static GOnce libssh_once = G_ONCE_INIT;

/*
 * In this process, as "ssh-keygen -q -t ed25519 -N '' -C COMMENT -f FILE"
 * made it with one process per key: FILE.pub first, then FILE (mode 0600,
 * written whole under a temporary name and renamed), so that a key whose
 * private file exists is complete.  The private key's text is wiped before
 * it is freed.
 */
bool lab_ssh_keygen(const char *file, const char *comment, GError **error)
{
	g_autofree char *pubfile = g_strdup_printf("%s.pub", file);
	g_autofree char *pub = NULL;
	ssh_key key = NULL;
	char *b64 = NULL;
	bool ok = false;

	g_once(&libssh_once, init_libssh, NULL);
	if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key) != SSH_OK) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
			    "cannot make an ed25519 key for '%s'", file);
		return false;
	}
	if (ssh_pki_export_pubkey_base64(key, &b64) != SSH_OK) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
			    "cannot write the public key of '%s'", file);
		goto out;
	}
	pub = g_strdup_printf("%s %s %s\n", ssh_key_type_to_char(SSH_KEYTYPE_ED25519), b64,
			      comment);
	ssh_string_free_char(b64);
	b64 = NULL;
	if (!g_file_set_contents_full(pubfile, pub, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0644, error))
		goto out;
	if (ssh_pki_export_privkey_base64(key, NULL, NULL, NULL, &b64) != SSH_OK) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
			    "cannot write the private key '%s'", file);
		goto out;
	}
	ok = g_file_set_contents_full(file, b64, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
out:
	if (b64) {
		explicit_bzero(b64, strlen(b64));
		ssh_string_free_char(b64);
	}
	ssh_key_free(key);
	return ok;
}

struct lab_ssh *lab_ssh_open(const struct lab_ssh_target *target, char **notice,
			     GError **error)
{
	struct lab_ssh *c;

	g_return_val_if_fail(target && target->host, NULL);
	g_once(&libssh_once, init_libssh, NULL);
	if (notice)
		*notice = NULL;

	c = g_new0(struct lab_ssh, 1);
	c->name = g_strdup(target->name ? target->name : target->host);
	c->host = g_strdup(target->host);
	c->port = target->port;
	c->user = g_strdup(target->user);
	c->key = g_strdup(target->key);
	c->passphrase = g_strdup(target->passphrase);
	c->password = g_strdup(target->password);
	c->sudo = target->sudo;
	c->sudo_password = g_strdup(target->sudo_password);
	c->known_hosts = g_strdup(target->known_hosts);
	c->also_known_hosts = g_strdup(target->also_known_hosts);
	c->accept_new = target->accept_new;
	c->use_config = target->use_config;
	c->connect_timeout = target->connect_timeout ? target->connect_timeout
						     : DEFAULT_CONNECT_TIMEOUT;
	c->retries = target->retries ? target->retries : DEFAULT_RETRIES;
	c->addr = format_addr(c->host, c->port ? c->port : 22);
	c->use_shell = g_strcmp0(g_getenv("LABCTL_NODE_SHELL"), "0") != 0;

	if (!session_connect(c, notice, error) || (c->sudo && !check_sudo(c, error))) {
		lab_ssh_close(c);
		return NULL;
	}
	return c;
}

static void wipe(char *secret)
{
	if (secret)
		explicit_bzero(secret, strlen(secret));
}

void lab_ssh_close(struct lab_ssh *c)
{
	if (!c)
		return;
	session_drop(c);
	wipe(c->passphrase);
	wipe(c->password);
	wipe(c->sudo_password);
	g_free(c->password);
	g_free(c->sudo_password);
	g_free(c->name);
	g_free(c->host);
	g_free(c->user);
	g_free(c->key);
	g_free(c->passphrase);
	g_free(c->known_hosts);
	g_free(c->also_known_hosts);
	g_free(c->addr);
	g_free(c);
}

void lab_ssh_result_clear(struct lab_ssh_result *r)
{
	if (!r)
		return;
	g_free(r->out);
	g_free(r->err);
	memset(r, 0, sizeof(*r));
	r->status = -1;
}

bool lab_ssh_keepalive(struct lab_ssh *c)
{
	if (!session_alive(c->session))
		return false;
	/* libssh waits for the reply, so a dead peer shows here */
	if (ssh_send_keepalive(c->session) != SSH_OK)
		return false;
	return session_alive(c->session);
}

unsigned lab_ssh_reconnects(const struct lab_ssh *c)
{
	return c->reconnects;
}

/* ---- running a command ---- */

static void stream_add(struct stream *s, const char *p, size_t n)
{
	size_t room;

	if (s->truncated)
		return;
	room = OUTPUT_MAX - s->buf->len;
	if (n <= room) {
		g_string_append_len(s->buf, p, (gssize)n);
		return;
	}
	g_string_append_len(s->buf, p, (gssize)room);
	g_string_append(s->buf, TRUNCATED_MARK);
	s->truncated = true;
}

/* Whether [p, p+n) is "labctl-pgid N" with a usable N. */
static bool parse_pgid_line(const char *p, size_t n, long *pgid)
{
	size_t plen = strlen(PGID_PREFIX);
	char digits[16];
	guint64 v;

	if (n <= plen || n - plen >= sizeof(digits) || memcmp(p, PGID_PREFIX, plen))
		return false;
	memcpy(digits, p + plen, n - plen);
	digits[n - plen] = '\0';
	/* never 0 or 1: "kill -- -1" would hit every process we may signal */
	if (!g_ascii_string_to_unsigned(digits, 10, 2, G_MAXINT32, &v, NULL))
		return false;
	*pgid = (long)v;
	return true;
}

static void scan_stop(struct run *run)
{
	run->scan = false;
	stream_add(&run->err, run->head->str, run->head->len);
	g_string_truncate(run->head, 0);
}

/*
 * Passes stderr on, minus the first "labctl-pgid N" line.  Anything a login
 * script printed before it is kept.
 */
static void add_stderr(struct run *run, const char *p, size_t n)
{
	if (!run->scan) {
		stream_add(&run->err, p, n);
		return;
	}
	g_string_append_len(run->head, p, (gssize)n);
	for (;;) {
		const char *nl = memchr(run->head->str, '\n', run->head->len);
		size_t len;

		if (!nl) {
			if (run->scanned + run->head->len > PGID_SCAN_MAX)
				scan_stop(run);
			return;
		}
		len = (size_t)(nl - run->head->str);
		if (parse_pgid_line(run->head->str, len, &run->pgid)) {
			g_string_erase(run->head, 0, (gssize)(len + 1));
			scan_stop(run);
			return;
		}
		stream_add(&run->err, run->head->str, len + 1);
		g_string_erase(run->head, 0, (gssize)(len + 1));
		run->scanned += len + 1;
		if (run->scanned > PGID_SCAN_MAX) {
			scan_stop(run);
			return;
		}
	}
}

static int on_data(ssh_session session, ssh_channel channel, void *data,
		   uint32_t len, int is_stderr, void *userdata)
{
	struct run *run = userdata;

	(void)session;
	(void)channel;
	if (is_stderr)
		add_stderr(run, data, len);
	else
		stream_add(&run->out, data, len);
	run->progress = true;
	run->last_data = g_get_monotonic_time();
	return (int)len;
}

static void on_eof(ssh_session session, ssh_channel channel, void *userdata)
{
	struct run *run = userdata;

	(void)session;
	(void)channel;
	run->eof = true;
	run->progress = true;
}

static void on_close(ssh_session session, ssh_channel channel, void *userdata)
{
	struct run *run = userdata;

	(void)session;
	(void)channel;
	run->closed = true;
	run->progress = true;
}

static void on_exit_status(ssh_session session, ssh_channel channel,
			   int exit_status, void *userdata)
{
	struct run *run = userdata;

	(void)session;
	(void)channel;
	run->got_status = true;
	run->status = exit_status;
	run->progress = true;
}

static void run_init(struct run *run, bool scan)
{
	memset(run, 0, sizeof(*run));
	run->out.buf = g_string_new(NULL);
	run->err.buf = g_string_new(NULL);
	run->head = g_string_new(NULL);
	run->scan = scan;
	run->status = -1;
	run->cb.userdata = run;
	run->cb.channel_data_function = on_data;
	run->cb.channel_eof_function = on_eof;
	run->cb.channel_close_function = on_close;
	run->cb.channel_exit_status_function = on_exit_status;
	ssh_callbacks_init(&run->cb);
}

static void run_free(struct run *run)
{
	if (run->out.buf)
		g_string_free(run->out.buf, TRUE);
	if (run->err.buf)
		g_string_free(run->err.buf, TRUE);
	if (run->head)
		g_string_free(run->head, TRUE);
	memset(run, 0, sizeof(*run));
}

/* Hands the collected output over to @r. */
static void run_finish(struct run *run, struct lab_ssh_result *r)
{
	if (run->scan)
		scan_stop(run);
	r->out_len = run->out.buf->len;
	r->out = g_string_free(run->out.buf, FALSE);
	r->err_len = run->err.buf->len;
	r->err = g_string_free(run->err.buf, FALSE);
	run->out.buf = NULL;
	run->err.buf = NULL;
}

/*
 * Processes what has arrived without waiting.  Output is consumed by the
 * callbacks, so the stdout buffer is empty and ssh_channel_poll reads the
 * socket; after EOF it no longer does, but asking for the exit status does.
 */
static void pump(ssh_session s, ssh_channel ch, struct run *run)
{
	if (!run->eof && !run->closed) {
		(void)ssh_channel_poll(ch, 0);
	} else if (!run->got_status && !run->closed) {
		ssh_set_blocking(s, 0);
		(void)ssh_channel_get_exit_status(ch);
		ssh_set_blocking(s, 1);
	}
}

/* Sleeps until the socket is readable, at most @us. */
static void wait_socket(ssh_session s, gint64 us)
{
	struct pollfd p = { .fd = ssh_get_fd(s), .events = POLLIN };
	int ms;

	us = CLAMP(us, 1000, WAIT_SLICE_US);
	ms = (int)(us / 1000);
	if (p.fd < 0)
		g_usleep((gulong)us);
	else
		(void)poll(&p, 1, ms);
}

/* Writes as much of the input as the peer's window takes, then EOF. */
static void feed(ssh_channel ch, const char *input, size_t len, size_t *off,
		 bool *eof_sent, struct run *run)
{
	while (*off < len) {
		uint32_t win = ssh_channel_window_size(ch);
		size_t n = MIN(len - *off, (size_t)win);
		int w;

		if (n == 0)
			return;
		n = MIN(n, (size_t)1 << 20);
		w = ssh_channel_write(ch, input + *off, (uint32_t)n);
		if (w == SSH_ERROR) {
			/* the command is gone or closed stdin: it does not want the rest */
			*eof_sent = true;
			return;
		}
		if (w == 0)
			return;
		*off += (size_t)w;
		run->progress = true;
	}
	(void)ssh_channel_send_eof(ch);
	*eof_sent = true;
}

enum run_outcome {
	RUN_DONE,
	RUN_TIMED_OUT,
	RUN_LOST,
};

/*
 * Feeds @input and collects output on @ch until the command is over, the
 * connection is gone, or @deadline (monotonic, 0: none) has passed.
 */
static enum run_outcome run_loop(struct lab_ssh *c, ssh_channel ch, const char *input,
				 size_t input_len, gint64 deadline, struct run *run)
{
	ssh_session s = c->session;
	size_t off = 0;
	bool eof_sent = false;
	gint64 status_at = 0;

	if (input_len == 0) {
		(void)ssh_channel_send_eof(ch);
		eof_sent = true;
	}
	for (;;) {
		gint64 now, wait = WAIT_SLICE_US;

		run->progress = false;
		if (!eof_sent)
			feed(ch, input, input_len, &off, &eof_sent, run);
		pump(s, ch, run);
		/* a known outcome stands even if the connection drops right after */
		if (run->closed || (run->eof && run->got_status))
			return RUN_DONE;
		if (!session_alive(s))
			return RUN_LOST;
		now = g_get_monotonic_time();
		if (run->got_status) {
			if (!status_at)
				status_at = now;
			if (now - MAX(status_at, run->last_data) >= EXIT_GRACE_US)
				return RUN_DONE;
		}
		if (deadline && now >= deadline)
			return RUN_TIMED_OUT;
		if (run->progress)
			continue;
		if (deadline)
			wait = MIN(wait, deadline - now);
		wait_socket(s, wait);
	}
}

/* Opens a channel and starts @line; reconnects once if the session is dead. */
static ssh_channel start(struct lab_ssh *c, const char *line,
			 struct ssh_channel_callbacks_struct *cb, GError **error)
{
	for (int attempt = 0;; attempt++) {
		ssh_channel ch;

		if (!session_alive(c->session) && !reconnect(c, error))
			return NULL;
		ch = ssh_channel_new(c->session);
		if (!ch) {
			g_autofree char *cause = ssh_cause(c->session);

			set_error(c, error, LAB_SSH_ERROR_CHANNEL,
				  "cannot create a channel: %s", cause);
			return NULL;
		}
		ssh_set_channel_callbacks(ch, cb);
		if (ssh_channel_open_session(ch) != SSH_OK) {
			g_autofree char *cause = ssh_cause(c->session);

			ssh_remove_channel_callbacks(ch, cb);
			ssh_channel_free(ch);
			/* nothing was started: a dead connection can be replaced */
			if (attempt == 0 && !session_alive(c->session))
				continue;
			set_error(c, error, LAB_SSH_ERROR_CHANNEL,
				  "cannot open a channel: %s", cause);
			return NULL;
		}
		if (ssh_channel_request_exec(ch, line) != SSH_OK) {
			g_autofree char *cause = ssh_cause(c->session);
			bool lost = !session_alive(c->session);

			ssh_remove_channel_callbacks(ch, cb);
			ssh_channel_free(ch);
			if (lost)
				set_error(c, error, LAB_SSH_ERROR_CHANNEL,
					  "connection lost while starting the command; "
					  "its outcome is unknown");
			else
				set_error(c, error, LAB_SSH_ERROR_CHANNEL,
					  "cannot run the command: %s", cause);
			return NULL;
		}
		return ch;
	}
}

static void finish_channel(struct lab_ssh *c, ssh_channel ch,
			   struct ssh_channel_callbacks_struct *cb)
{
	/* the channel may outlive us in libssh until the peer closes it too */
	ssh_remove_channel_callbacks(ch, cb);
	if (session_alive(c->session))
		(void)ssh_channel_close(ch);
	ssh_channel_free(ch);
}

/*
 * How @cmd becomes root: "" (we are), "sudo -n -H -- " or, when sudo asks
 * for the password, "sudo -k -S -p '' -H -- " (-k: it asks every time, so
 * the password line that comes first on stdin is always read by sudo and
 * never by the command).
 */
static const char *become_prefix(const struct lab_ssh *c, bool as_root)
{
	if (!as_root || !c->sudo)
		return "";
	return c->sudo_asks ? "sudo -k -S -p '' -H -- " : "sudo -n -H -- ";
}

/* @input with the sudo password as its first line when sudo asks for it. */
static char *become_input(const struct lab_ssh *c, bool as_root, const char *input,
			  size_t len, size_t *out_len)
{
	size_t plen;
	char *buf;

	if (!as_root || !c->sudo || !c->sudo_asks) {
		*out_len = len;
		return NULL;
	}
	plen = strlen(c->sudo_password);
	buf = g_malloc(plen + 1 + len + 1);
	memcpy(buf, c->sudo_password, plen);
	buf[plen] = '\n';
	if (len)
		memcpy(buf + plen + 1, input, len);
	buf[plen + 1 + len] = '\0';
	*out_len = plen + 1 + len;
	return buf;
}

/* Kills process group @pgid on the node from a second channel, bounded. */
static void kill_group(struct lab_ssh *c, long pgid)
{
	/* "kill -KILL -- -N" is not understood by dash; this is POSIX */
	g_autofree char *line = g_strdup_printf("%skill -s KILL -- -%ld",
						become_prefix(c, true), pgid);
	size_t len;
	char *input = become_input(c, true, NULL, 0, &len);
	struct run run;
	ssh_channel ch;

	run_init(&run, false);
	ch = start(c, line, &run.cb, NULL);
	if (ch) {
		(void)run_loop(c, ch, input, len, g_get_monotonic_time() + KILL_TIMEOUT_US, &run);
		finish_channel(c, ch, &run.cb);
	}
	run_free(&run);
	if (input) {
		explicit_bzero(input, len);
		g_free(input);
	}
}

/* lab_ssh_exec(), as root through sudo or (!@as_root) as the login user. */
static bool exec_as(struct lab_ssh *c, bool as_root, const char *cmd, const char *input,
		    size_t input_len, unsigned timeout, struct lab_ssh_result *r,
		    GError **error)
{
	g_autofree char *quoted = g_shell_quote(cmd);
	g_autofree char *line = g_strconcat("printf '" PGID_PREFIX "%s\\n' $$ >&2; exec ",
					    become_prefix(c, as_root), "sh -c ", quoted, NULL);
	gint64 t0 = g_get_monotonic_time();
	enum run_outcome outcome;
	struct run run;
	ssh_channel ch;
	size_t len;
	char *with_password;

	memset(r, 0, sizeof(*r));
	r->status = -1;
	if (!input)
		input_len = 0;
	with_password = become_input(c, as_root, input, input_len, &len);
	run_init(&run, true);
	ch = start(c, line, &run.cb, error);
	if (!ch) {
		run_free(&run);
		goto fail;
	}
	outcome = run_loop(c, ch, with_password ? with_password : input, len,
			   timeout ? t0 + (gint64)timeout * G_USEC_PER_SEC : 0, &run);
	if (outcome == RUN_TIMED_OUT && run.pgid)
		kill_group(c, run.pgid);
	finish_channel(c, ch, &run.cb);
	if (outcome == RUN_LOST) {
		run_free(&run);
		set_error(c, error, LAB_SSH_ERROR_CHANNEL,
			  "connection lost while running the command; its outcome is unknown");
		goto fail;
	}
	run_finish(&run, r);
	r->timed_out = outcome == RUN_TIMED_OUT;
	r->status = r->timed_out ? -1 : run.status;
	r->seconds = (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC;
	run_free(&run);
	if (with_password) {
		explicit_bzero(with_password, len);
		g_free(with_password);
	}
	return true;
fail:
	if (with_password) {
		explicit_bzero(with_password, len);
		g_free(with_password);
	}
	return false;
}

/* ---- the node shell ---- */

/*
 * One long-lived shell per connection runs the commands as root, one after
 * another, so that a command costs neither a channel nor a process start
 * of its own: on an emulated guest each costs tens of milliseconds, and a
 * task's check, guard and run are three commands.  It is started as
 *
 *   exec [sudo -n -H --] sh -c 'SHELL_SCRIPT'
 *
 * and reads requests on stdin, framed by a random mark M that no command
 * or input of ours contains:
 *
 *   M c, the command's lines, M .       the command
 *   M i, the input's lines, M .         its standard input (or none)
 *   M r0 | M r1 | M r2                  run it: stdin /dev/null, the input,
 *                                       the input without its last newline
 *
 * It first says "M d PID" on stderr (its own PID; also: sudo let it run).
 * Each command runs in a subshell in the background, its stdin /dev/null
 * or the input through a pipe (never a file: the input may hold secrets);
 * the shell waits for it and prints "M STATUS" on stdout and "M" on stderr:
 * what comes before them is the command's.  A timeout stops and kills the
 * shell's descendants by PID from a second channel, bottom up; the shell
 * lives on.  A shell that is gone (the connection dropped, a command
 * killed it) is started again for the next command and counted.
 *
 * The subshell sees the shell's variables, all named lc_*; a command gets
 * the same environment, directory and umask as one run through "sh -c".
 */
#define SHELL_SCRIPT \
	"lc_m=$1; set --\n" \
	"printf '%s d %s\\n' \"$lc_m\" $$ >&2\n" \
	"while IFS= read -r lc_l; do\n" \
	"	case $lc_l in\n" \
	"	\"$lc_m c\") lc_c=\n" \
	"		while IFS= read -r lc_l && test \"$lc_l\" != \"$lc_m .\"; do lc_c=\"$lc_c$lc_l\n\"; done ;;\n" \
	"	\"$lc_m i\") lc_i=\n" \
	"		while IFS= read -r lc_l && test \"$lc_l\" != \"$lc_m .\"; do lc_i=\"$lc_i$lc_l\n\"; done ;;\n" \
	"	\"$lc_m r0\") (eval \"$lc_c\") </dev/null & ;;\n" \
	"	\"$lc_m r1\") printf %s \"$lc_i\" | (eval \"$lc_c\") & ;;\n" \
	"	\"$lc_m r2\") printf %s \"${lc_i%?}\" | (eval \"$lc_c\") & ;;\n" \
	"	*) exit 2 ;;\n" \
	"	esac\n" \
	"	case $lc_l in \"$lc_m r\"?)\n" \
	"		wait $!; lc_s=$?; lc_c= lc_i=\n" \
	"		printf '%s %s\\n' \"$lc_m\" $lc_s; printf '%s\\n' \"$lc_m\" >&2 ;;\n" \
	"	esac\n" \
	"done\n"

/*
 * lc_t PID stops and kills the descendants of PID (not PID itself), bottom up,
 * walking /proc: no tool of a particular distribution needed.  Only a
 * function's $1 is its own in sh, so lc_k carries each PID through the
 * recursion.
 */
#define KILL_TREE_FUNC \
	"lc_k() { kill -s STOP \"$1\" 2>/dev/null; lc_t \"$1\"; kill -s KILL \"$1\" 2>/dev/null; }\n" \
	"lc_t() {\n" \
	"	for lc_d in /proc/[0-9]*; do\n" \
	"		read -r lc_x 2>/dev/null <\"$lc_d/stat\" || continue\n" \
	"		lc_x=${lc_x##*) }; lc_x=${lc_x#* }\n" \
	"		if test \"${lc_x%% *}\" = \"$1\"; then lc_k \"${lc_d#/proc/}\"; fi\n" \
	"	done\n" \
	"}\n"

#define SHELL_TAIL_MAX 512	/* bytes kept of a stream past OUTPUT_MAX */
#define SHELL_START_TIMEOUT_US (60 * G_USEC_PER_SEC)
#define SHELL_INPUT_MAX ((size_t)256 << 10)

/*
 * A stream of the shell: up to OUTPUT_MAX and room for the marks kept,
 * then only its tail.
 */
struct sstream {
	GString *buf;
	bool over;		/* buf is full: see tail */
	GString *tail;		/* its last bytes, once over */
	size_t searched;	/* of buf, searched for the mark already */
};

struct shell {
	ssh_channel ch;
	struct ssh_channel_callbacks_struct cb;
	struct sstream out, err;
	bool eof, closed, progress;
	char mark[40];		/* "labctl-" and 32 hex digits */
	long pid;		/* the shell's, from its first line */
};

static void sstream_init(struct sstream *s)
{
	s->buf = g_string_new(NULL);
	s->tail = g_string_new(NULL);
	s->over = false;
	s->searched = 0;
}

static void sstream_reset(struct sstream *s)
{
	g_string_truncate(s->buf, 0);
	g_string_truncate(s->tail, 0);
	s->over = false;
	s->searched = 0;
}

static void sstream_add(struct sstream *s, const char *p, size_t n)
{
	if (!s->over) {
		size_t k = MIN(n, OUTPUT_MAX + SHELL_TAIL_MAX - s->buf->len);

		g_string_append_len(s->buf, p, (gssize)k);
		p += k;
		n -= k;
		if (n == 0)
			return;
		/* the tail starts with the end of buf: a mark may straddle them */
		s->over = true;
		k = MIN(s->buf->len, SHELL_TAIL_MAX);
		g_string_append_len(s->tail, s->buf->str + s->buf->len - k, (gssize)k);
	}
	g_string_append_len(s->tail, p, (gssize)n);
	if (s->tail->len > SHELL_TAIL_MAX)
		g_string_erase(s->tail, 0, (gssize)(s->tail->len - SHELL_TAIL_MAX));
}

/*
 * Where in @s the mark @m followed by @suffix_len more bytes up to a
 * newline starts: the offset in the stream's window (buf, or tail once
 * over), or -1.  *@line_end is the offset just past that newline.
 */
static gssize sstream_find(struct sstream *s, const char *m, size_t *line_end)
{
	GString *w = s->over ? s->tail : s->buf;
	size_t mlen = strlen(m);
	size_t from = s->over ? 0 : (s->searched > mlen + 32 ? s->searched - mlen - 32 : 0);
	const char *hit, *nl;

	hit = memmem(w->str + from, w->len - from, m, mlen);
	if (!s->over)
		s->searched = w->len;
	if (!hit)
		return -1;
	nl = memchr(hit + mlen, '\n', (size_t)(w->str + w->len - (hit + mlen)));
	if (!nl) {
		/* the rest of the line is still on its way: look here again */
		if (!s->over)
			s->searched = (size_t)(hit - w->str);
		return -1;
	}
	*line_end = (size_t)(nl + 1 - w->str);
	return hit - w->str;
}

/*
 * The command's part of @s, before the mark at @at (-1: all of it), as a
 * result stream: cut at OUTPUT_MAX and marked so, as lab_ssh_exec() does.
 */
static char *sstream_take(struct sstream *s, gssize at, size_t *len)
{
	size_t n = s->over || at < 0 ? s->buf->len : (size_t)at;
	GString *out = g_string_new_len(s->buf->str, (gssize)MIN(n, OUTPUT_MAX));

	if (s->over || n > OUTPUT_MAX)
		g_string_append(out, TRUNCATED_MARK);
	*len = out->len;
	return g_string_free(out, FALSE);
}

static int shell_on_data(ssh_session session, ssh_channel channel, void *data,
			 uint32_t len, int is_stderr, void *userdata)
{
	struct shell *sh = userdata;

	(void)session;
	(void)channel;
	sstream_add(is_stderr ? &sh->err : &sh->out, data, len);
	sh->progress = true;
	return (int)len;
}

static void shell_on_eof(ssh_session session, ssh_channel channel, void *userdata)
{
	struct shell *sh = userdata;

	(void)session;
	(void)channel;
	sh->eof = true;
	sh->progress = true;
}

static void shell_on_close(ssh_session session, ssh_channel channel, void *userdata)
{
	struct shell *sh = userdata;

	(void)session;
	(void)channel;
	sh->closed = true;
	sh->progress = true;
}

static void shell_free(struct lab_ssh *c)
{
	struct shell *sh = c->shell;

	if (!sh)
		return;
	if (sh->ch)
		finish_channel(c, sh->ch, &sh->cb);
	g_string_free(sh->out.buf, TRUE);
	g_string_free(sh->out.tail, TRUE);
	g_string_free(sh->err.buf, TRUE);
	g_string_free(sh->err.tail, TRUE);
	g_free(sh);
	c->shell = NULL;
}

/* Writes all of @data to the shell, as far as the peer's window lets us. */
static bool shell_write(struct lab_ssh *c, const char *data, size_t len)
{
	struct shell *sh = c->shell;
	size_t off = 0;

	while (off < len) {
		uint32_t win = ssh_channel_window_size(sh->ch);
		size_t n = MIN(MIN(len - off, (size_t)win), (size_t)1 << 20);
		int w;

		if (sh->eof || sh->closed || !session_alive(c->session))
			return false;
		if (n == 0) {
			/* the window opens as the shell reads: let libssh see that */
			(void)ssh_channel_poll(sh->ch, 0);
			wait_socket(c->session, WAIT_SLICE_US);
			continue;
		}
		w = ssh_channel_write(sh->ch, data + off, (uint32_t)n);
		if (w == SSH_ERROR)
			return false;
		off += (size_t)w;
	}
	return true;
}

/*
 * Waits until both streams hold their mark (the command ended), the shell
 * or the connection is gone, or @deadline (0: none) has passed.
 */
static enum run_outcome shell_wait(struct lab_ssh *c, gint64 deadline, gssize *out_at,
				   int *status, gssize *err_at)
{
	struct shell *sh = c->shell;
	size_t end;

	for (;;) {
		gint64 now, wait = WAIT_SLICE_US;

		sh->progress = false;
		if (!sh->eof && !sh->closed)
			(void)ssh_channel_poll(sh->ch, 0);
		if (*out_at < 0 && (*out_at = sstream_find(&sh->out, sh->mark, &end)) >= 0) {
			GString *w = sh->out.over ? sh->out.tail : sh->out.buf;
			const char *p = w->str + *out_at + strlen(sh->mark);
			guint64 v;
			g_autofree char *digits = g_strndup(p + 1, w->str + end - 1 - (p + 1));

			*status = *p == ' ' && g_ascii_string_to_unsigned(digits, 10, 0, 255, &v, NULL)
					  ? (int)v : -1;
		}
		if (*err_at < 0)
			*err_at = sstream_find(&sh->err, sh->mark, &end);
		if (*out_at >= 0 && *err_at >= 0)
			return RUN_DONE;
		if (sh->eof || sh->closed || !session_alive(c->session))
			return RUN_LOST;
		now = g_get_monotonic_time();
		if (deadline && now >= deadline)
			return RUN_TIMED_OUT;
		if (sh->progress)
			continue;
		if (deadline)
			wait = MIN(wait, deadline - now);
		wait_socket(c->session, wait);
	}
}

/*
 * Starts the node shell.  False when it cannot run (then commands run one
 * channel each, as before); @error says why only when the connection is
 * the problem.
 */
static bool shell_start(struct lab_ssh *c, GError **error)
{
	g_autofree char *script = g_shell_quote(SHELL_SCRIPT);
	g_autofree char *line = NULL;
	g_autofree char *pw = NULL;
	struct shell *sh = g_new0(struct shell, 1);
	gint64 deadline = g_get_monotonic_time() + SHELL_START_TIMEOUT_US;
	size_t pw_len = 0;

	g_snprintf(sh->mark, sizeof(sh->mark), "labctl-%08x%08x%08x%08x", g_random_int(),
		   g_random_int(), g_random_int(), g_random_int());
	sstream_init(&sh->out);
	sstream_init(&sh->err);
	sh->cb.userdata = sh;
	sh->cb.channel_data_function = shell_on_data;
	sh->cb.channel_eof_function = shell_on_eof;
	sh->cb.channel_close_function = shell_on_close;
	ssh_callbacks_init(&sh->cb);
	c->shell = sh;
	line = g_strdup_printf("exec %ssh -c %s sh %s", become_prefix(c, true), script, sh->mark);
	sh->ch = start(c, line, &sh->cb, error);
	if (!sh->ch) {
		shell_free(c);
		return false;
	}
	/* sudo reads the password that asks for it first */
	pw = become_input(c, true, NULL, 0, &pw_len);
	if (pw && !shell_write(c, pw, pw_len))
		goto gone;
	for (;;) {
		size_t end;
		gssize at = sstream_find(&sh->err, sh->mark, &end);

		if (at >= 0) {
			const char *p = sh->err.buf->str + at + strlen(sh->mark);
			g_autofree char *digits = g_strndup(p + 3, sh->err.buf->str + end - 1 - (p + 3));
			guint64 v;

			if (strncmp(p, " d ", 3) ||
			    !g_ascii_string_to_unsigned(digits, 10, 2, G_MAXINT32, &v, NULL))
				goto gone;
			sh->pid = (long)v;
			sstream_reset(&sh->err);
			break;
		}
		if (sh->eof || sh->closed || !session_alive(c->session) ||
		    g_get_monotonic_time() >= deadline)
			goto gone;
		sh->progress = false;
		(void)ssh_channel_poll(sh->ch, 0);
		if (!sh->progress)
			wait_socket(c->session, WAIT_SLICE_US);
	}
	if (pw) {
		explicit_bzero(pw, pw_len);
		g_free(g_steal_pointer(&pw));
	}
	c->shell_starts++;
	return true;
gone:
	if (pw)
		explicit_bzero(pw, pw_len);
	shell_free(c);
	return false;
}

/*
 * lab_ssh_exec() through the node shell.  Returns -1 when the shell could
 * not take the command (it was not started: run it on a channel of its
 * own), else as lab_ssh_exec().
 */
static int shell_exec(struct lab_ssh *c, const char *cmd, const char *input, size_t input_len,
		      unsigned timeout, struct lab_ssh_result *r, GError **error)
{
	g_autoptr(GString) req = g_string_new(NULL);
	gint64 t0 = g_get_monotonic_time();
	gint64 deadline = timeout ? t0 + (gint64)timeout * G_USEC_PER_SEC : 0;
	gssize out_at = -1, err_at = -1;
	enum run_outcome outcome;
	struct shell *sh;
	int status = -1;
	bool has_input = input && input_len;

	/*
	 * Lines carry the input, and the shell reads them a byte at a time: a
	 * NUL cannot pass, and a large input goes faster on a channel.
	 */
	if (has_input && (input_len > SHELL_INPUT_MAX || memchr(input, '\0', input_len)))
		return -1;
	/*
	 * A drop found now happened before this command was sent: reconnecting
	 * is safe, as when a channel does not open.  The keepalive is one round
	 * trip, no process on the node.
	 */
	if (c->shell && (c->shell->eof || c->shell->closed || !lab_ssh_keepalive(c)))
		shell_free(c);
	if (!c->shell) {
		if (!session_alive(c->session) && !reconnect(c, error))
			return 0;
		if (!shell_start(c, NULL))
			return -1;
	}
	sh = c->shell;
	sstream_reset(&sh->out);
	sstream_reset(&sh->err);
	g_string_append_printf(req, "%s c\n%s", sh->mark, cmd);
	if (!req->len || req->str[req->len - 1] != '\n')
		g_string_append_c(req, '\n');
	g_string_append_printf(req, "%s .\n", sh->mark);
	if (has_input) {
		g_string_append_printf(req, "%s i\n", sh->mark);
		g_string_append_len(req, input, (gssize)input_len);
		if (input[input_len - 1] != '\n')
			g_string_append_c(req, '\n');
		g_string_append_printf(req, "%s .\n%s r%c\n", sh->mark, sh->mark,
				       input[input_len - 1] == '\n' ? '1' : '2');
	} else {
		g_string_append_printf(req, "%s r0\n", sh->mark);
	}
	memset(r, 0, sizeof(*r));
	r->status = -1;
	if (!shell_write(c, req->str, req->len)) {
		explicit_bzero(req->str, req->len);
		/* nothing of it ran, or we cannot know: the shell is gone either way */
		shell_free(c);
		set_error(c, error, LAB_SSH_ERROR_CHANNEL,
			  "the connection or the node's shell was lost while sending the command; "
			  "its outcome is unknown");
		return 0;
	}
	explicit_bzero(req->str, req->len);
	outcome = shell_wait(c, deadline, &out_at, &status, &err_at);
	if (outcome == RUN_TIMED_OUT) {
		/* not a format: the script holds %% */
		g_autofree char *pid = g_strdup_printf("%ld", sh->pid);
		g_autofree char *kill_cmd = g_strconcat(KILL_TREE_FUNC "lc_t ", pid, "\n", NULL);
		struct lab_ssh_result kr;

		if (exec_as(c, true, kill_cmd, NULL, 0, KILL_TIMEOUT_US / G_USEC_PER_SEC, &kr, NULL))
			lab_ssh_result_clear(&kr);
		/* the shell says when it has reaped the command; if it does not, it goes */
		if (shell_wait(c, g_get_monotonic_time() + KILL_TIMEOUT_US, &out_at, &status,
			       &err_at) != RUN_DONE)
			shell_free(c);
	} else if (outcome == RUN_LOST && !lab_ssh_keepalive(c)) {
		shell_free(c);
		set_error(c, error, LAB_SSH_ERROR_CHANNEL,
			  "connection lost while running the command; its outcome is unknown");
		return 0;
	}
	if (c->shell) {
		/*
		 * The shell ended under a live connection: the command killed it
		 * (kill $$), as a command run by "sh -c" can kill itself.  No exit
		 * status, as for any command killed by a signal.
		 */
		r->out = sstream_take(&sh->out, out_at, &r->out_len);
		r->err = sstream_take(&sh->err, err_at, &r->err_len);
		if (outcome == RUN_LOST) {
			status = -1;
			shell_free(c);
		}
	} else {
		r->out = g_strdup("");
		r->err = g_strdup("");
	}
	r->timed_out = outcome == RUN_TIMED_OUT;
	r->status = r->timed_out ? -1 : status;
	r->seconds = (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC;
	return 1;
}

bool lab_ssh_exec(struct lab_ssh *c, const char *cmd, const char *input,
		  size_t input_len, unsigned timeout, struct lab_ssh_result *r,
		  GError **error)
{
	if (c->use_shell) {
		int done = shell_exec(c, cmd, input, input ? input_len : 0, timeout, r, error);

		if (done >= 0)
			return done;
	}
	return exec_as(c, true, cmd, input, input_len, timeout, r, error);
}

unsigned lab_ssh_shell_starts(const struct lab_ssh *c)
{
	return c->shell_starts;
}

/* The last line of @text, without its newline, or "" (for messages). */
static char *last_line(const char *text)
{
	g_auto(GStrv) lines = g_strsplit(text ? text : "", "\n", -1);
	guint n = g_strv_length(lines);

	while (n > 0 && !*g_strstrip(lines[n - 1]))
		n--;
	return g_strdup(n ? lines[n - 1] : "");
}

/*
 * Once per connection, before anything runs: does sudo make us root
 * without a password, or with the one we were given?
 */
static bool check_sudo(struct lab_ssh *c, GError **error)
{
	const char *user = c->user ? c->user : "the login user";
	struct lab_ssh_result r;
	g_autofree char *why = NULL;
	bool ok = false;

	if (!exec_as(c, false, "sudo -n -H -- true", NULL, 0, 30, &r, error))
		return false;
	why = last_line(r.err);
	if (r.status == 0) {
		ok = true;
	} else if (r.status == 127) {
		set_error(c, error, LAB_SSH_ERROR_BECOME,
			  "sudo is not installed, and '%s' is not root: install sudo on the node, or "
			  "log in as root (ssh.user: root, ssh.become: none)", user);
	} else if (!c->sudo_password) {
		set_error(c, error, LAB_SSH_ERROR_BECOME,
			  "'%s' may not become root with sudo without a password (sudo said: %s); "
			  "allow it with the line '%s ALL=(ALL) NOPASSWD: ALL' in a file of "
			  "/etc/sudoers.d/ on the node, or give the password as ssh.become_password",
			  user, *why ? why : "nothing", user);
	} else {
		c->sudo_asks = true;
		lab_ssh_result_clear(&r);
		if (!exec_as(c, true, "true", NULL, 0, 30, &r, error))
			return false;
		g_free(why);
		why = last_line(r.err);
		ok = r.status == 0;
		if (!ok)
			set_error(c, error, LAB_SSH_ERROR_BECOME,
				  "sudo did not make '%s' root with ssh.become_password (sudo said: %s)",
				  user, *why ? why : "nothing");
	}
	lab_ssh_result_clear(&r);
	return ok;
}
