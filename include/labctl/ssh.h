/*
 * ssh.h - remote commands over libssh, one connection per node
 *
 * A connection verifies the server's host key against a known_hosts file
 * (refusing unknown and changed keys unless told to accept new ones, and
 * then only recording them, never silently), authenticates with a key file
 * or the agent and default keys, and runs commands with stdin, captured
 * stdout and stderr, exit status and a timeout that kills the remote
 * command's whole process group.  It may be used by one thread at a time.
 */
#ifndef LABCTL_SSH_H
#define LABCTL_SSH_H

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>

#define LAB_SSH_ERROR (lab_ssh_error_quark())
GQuark lab_ssh_error_quark(void);

enum lab_ssh_error_code {
	LAB_SSH_ERROR_CONNECT,      /* no TCP connection / handshake */
	LAB_SSH_ERROR_HOSTKEY,      /* unknown or changed host key */
	LAB_SSH_ERROR_AUTH,         /* no accepted authentication */
	LAB_SSH_ERROR_CHANNEL,      /* channel or exec failed, connection lost */
	LAB_SSH_ERROR_BECOME,       /* sudo is missing, or refuses to make us root */
};

struct lab_ssh_target {
	const char *name;           /* node name, for messages */
	const char *host;           /* address or host name */
	unsigned port;              /* 0: 22 or ~/.ssh/config */
	const char *user;           /* NULL: ~/.ssh/config or the local user */
	const char *key;            /* private key file; NULL: agent + defaults */
	const char *passphrase;     /* of @key, or NULL */
	const char *password;       /* the login's password, tried after keys; or NULL */
	/*
	 * Every command runs as root through "sudo -n" (with @sudo_password:
	 * "sudo -S", the password first on its standard input, never on a
	 * command line).  lab_ssh_open() checks once that sudo works.
	 */
	bool sudo;
	const char *sudo_password;
	const char *known_hosts;    /* file checked, and written with accept_new */
	const char *also_known_hosts;   /* checked too, never written; NULL: none */
	bool accept_new;            /* record a first-seen host key */
	bool use_config;            /* read ~/.ssh/config (false for netns nodes) */
	unsigned connect_timeout;   /* seconds; 0: 10 */
	unsigned retries;           /* reconnect attempts after a drop; 0: 3 */
};

struct lab_ssh;

/*
 * Connects and authenticates.  The target's strings are copied.  Returns
 * NULL with @error set; a host key problem says which file to look at and
 * how to accept a new key.  A newly accepted key is reported through
 * @notice (may be NULL), e.g. "recorded host key of 'x' (SHA256:...) in FILE".
 */
struct lab_ssh *lab_ssh_open(const struct lab_ssh_target *target, char **notice,
			     GError **error);
void lab_ssh_close(struct lab_ssh *c);
/* for g_autoptr(lab_ssh) only; code says struct lab_ssh */
typedef struct lab_ssh lab_ssh;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(lab_ssh, lab_ssh_close)

struct lab_ssh_result {
	int status;                 /* exit status; -1 when none (timeout, signal) */
	bool timed_out;
	char *out;                  /* stdout, NUL-terminated (may hold NULs) */
	size_t out_len;
	char *err;                  /* stderr */
	size_t err_len;
	double seconds;             /* wall time of the command */
};

void lab_ssh_result_clear(struct lab_ssh_result *r);

/*
 * Runs @cmd as root on the node, as "sh -c" would (through the node
 * shell: see ssh.c), feeding @input (may be NULL) on its stdin, then EOF.
 * Output beyond 8 MiB per stream is dropped and marked.  After @timeout
 * seconds (0: none) the command and what it started are killed and
 * r->timed_out set.  If the connection dropped before the command started
 * it is re-established (bounded retries) and that is counted in
 * lab_ssh_reconnects().  Returns false with @error set when the command
 * could not be run or its outcome is unknown (connection lost while it
 * ran); a command that ran and failed returns true with its status, one
 * killed by a signal (or that killed the node shell) with status -1.
 */
bool lab_ssh_exec(struct lab_ssh *c, const char *cmd, const char *input,
		  size_t input_len, unsigned timeout, struct lab_ssh_result *r,
		  GError **error);

/* Sends a keepalive; false when the connection is gone. */
bool lab_ssh_keepalive(struct lab_ssh *c);

/* How often the connection was re-established. */
unsigned lab_ssh_reconnects(const struct lab_ssh *c);

/*
 * How often the node shell was started: once, plus once for each time it
 * was gone (a lost connection, a command that killed it).  Commands run
 * through it unless LABCTL_NODE_SHELL=0 (then each on a channel of its own).
 */
unsigned lab_ssh_shell_starts(const struct lab_ssh *c);

/*
 * Makes an ed25519 key pair without a passphrase: the private key in
 * @file (OpenSSH's format, mode 0600) and the public one in @file.pub
 * ("ssh-ed25519 BASE64 @comment"), as ssh-keygen would, in this process.
 */
bool lab_ssh_keygen(const char *file, const char *comment, GError **error);

/*
 * Releases libssh's global state once every connection is closed (at exit),
 * so that leak checkers see nothing left.
 */
void lab_ssh_finalize(void);

#endif
