/*
 * provider.h - where nodes come from: existing hosts, local namespaces, VMs
 *
 * A provider makes the lab's nodes exist and says how to reach each over
 * SSH.  Everything it changes on this machine is journaled first as a
 * "local" record with an undo operation (below), so that "down" can take
 * the lab apart from the journal alone, whatever the provider, even after
 * a crash.  Providers are a vtable, as curl's TLS backends are.
 *
 * Local undo operations (member "op" of a record's "undo" object), a
 * closed table per provider (struct provider's undo_ops: the netns
 * provider's all but "libvirt"; the libvirt provider's "libvirt" and
 * "rmtree" of its state files; static and vagrant none): each checks that
 * what it names is this lab's (HASH is the
 * lab's hash, journal_lab_hash(); RUNTIME is /var/lib/labctl/netns/HASH)
 * and refuses, running nothing, what is not.
 *   {"op": "kill", "pidfile": P, "match": S}      SIGTERM the pid in P if its
 *                                                 command line contains S,
 *                                                 wait, then SIGKILL; P and S
 *                                                 inside RUNTIME
 *   {"op": "rmtree", "path": P}                   remove RUNTIME, or the state
 *                                                 directory's libvirt/, whole
 *   {"op": "rmdir", "path": P}                    remove /var/lib/labctl or
 *                                                 /var/lib/labctl/netns (made
 *                                                 by labctl) if it is empty
 *   {"op": "link", "name": D}                     delete the bridge lcHASH if
 *                                                 it exists
 *   {"op": "forward", "tool": T, "family": F,     delete the rule that lets
 *    "table": TB, "chain": C, "bridge": B}        bridge lcHASH's frames
 *                                                 through this machine's
 *                                                 firewall (hostfw.h)
 *   {"op": "netns", "name": N, "veth": V}         delete veth lcHASHvK, stop
 *                                                 what runs in network
 *                                                 namespace labctl-HASH-NODE,
 *                                                 delete it
 *   {"op": "umount", "path": P}                   unmount P in RUNTIME/pins
 *   {"op": "libvirt", "uri": U, "kind": K,        on the hypervisor at libvirt
 *    "name": N, "pool": P}                        URI U, remove object N of
 *                                                 kind K if it exists:
 *       "domain"     stop (destroy) and undefine domain labctl-HASH-NODE
 *       "volume"     delete volume labctl-HASH-... of storage pool P (P
 *                    inactive: started first; P gone or not starting:
 *                    nothing to do)
 *       "pool"       delete every volume in pool labctl-HASH (a pool labctl
 *                    made holds only its own), stop it, delete its
 *                    directory, undefine it
 *       "network"    stop and undefine network labctl-HASH
 *       "dhcp-host"  remove the DHCP host entry of MAC "mac" (members "mac",
 *                    "ip", "host"; the MAC labctl derives for node "host")
 *                    from network N, which labctl did not make
 *   An object that is already gone is undone; libvirtd not answering is a
 *   failure that names U.
 */
#ifndef LABCTL_PROVIDER_H
#define LABCTL_PROVIDER_H

#include <stdbool.h>
#include <glib.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "labctl/journal.h"
#include "labctl/spec.h"
#include "labctl/ssh.h"

/* How to reach one node; the strings are owned by the struct. */
struct node_access {
	char *name;
	struct lab_ssh_target ssh;  /* its strings point into the members below */
	char *host;
	char *user;
	char *key;
	char *known_hosts;
	char *also_known_hosts; /* consulted too, never written (~/.ssh/known_hosts), or NULL */
	char *passphrase;       /* of @key, resolved from the spec's reference */
	char *password;         /* of the login (ssh.password), resolved */
	char *sudo_password;    /* ssh.become_password, resolved */
	/*
	 * A connection the provider opened (waiting for a guest to boot), for
	 * the first user to take over instead of logging in again; or NULL.
	 */
	struct lab_ssh *conn;
};

struct provider_ctx {
	const struct lab_spec *spec;
	const char *state_dir;      /* the lab's state directory */
	struct journal *journal;
	bool accept_new_host_keys;
	GCancellable *cancel;       /* ^C: give up waiting (for a boot); or NULL */
	void (*say)(void *data, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
	void *say_data;
};

/* What a local undo may act on: the lab of one state directory. */
struct undo_ctx {
	char *state_dir;        /* absolute */
	char *hash;             /* journal_lab_hash() of it */
};

bool undo_ctx_init(struct undo_ctx *u, const char *state_dir);
void undo_ctx_clear(struct undo_ctx *u);

/*
 * One local undo operation of a provider: @check says whether what the
 * record names is @u's lab's (without acting), @run undoes it.
 */
struct provider_undo_op {
	const char *op;
	bool (*check)(const struct undo_ctx *u, JsonObject *o, GError **error);
	bool (*run)(JsonObject *o, GError **error);
};

struct provider {
	const char *name;
	/*
	 * Makes the nodes exist (doing nothing for what exists already) and
	 * returns a struct node_access * per node, in spec order.
	 */
	GPtrArray *(*up)(struct provider_ctx *ctx, GError **error);
	/* How to reach the nodes without changing anything (status, down). */
	GPtrArray *(*access)(struct provider_ctx *ctx, GError **error);
	/*
	 * Optional, for down: brings back the way into a node that still
	 * exists but whose daemon labctl started for it died, when @steps
	 * (struct undo_step *) still hold that daemon's undo.  Reports what it
	 * did through ctx->say and changes nothing else.
	 */
	void (*revive)(struct provider_ctx *ctx, GPtrArray *steps);
	/*
	 * The local undo operations the provider journals, ending with a NULL
	 * op; NULL when it journals none.  down runs these and no others.
	 */
	const struct provider_undo_op *undo_ops;
};

extern const struct provider provider_static;
extern const struct provider provider_netns;
extern const struct provider provider_vagrant;
extern const struct provider provider_libvirt;

/* The provider of @spec, or NULL when this labctl cannot make its nodes yet. */
const struct provider *provider_for(const struct lab_spec *spec);

void node_access_free(gpointer p);

/*
 * The secrets and the way to root of a node labctl did not make (static,
 * vagrant), once @a's user is known: reads the key's passphrase, the
 * login's password and sudo's password the spec names for @n, and sets
 * @a's ssh target to use them and to run through sudo when the spec says
 * so (become: auto and a user other than root, or sudo).
 */
bool provider_node_login(struct node_access *a, const struct lab_spec *spec,
			 const struct spec_node *n, GError **error);

/*
 * Host keys of a node labctl did not make (static, vagrant) when the spec
 * names no known_hosts: checked against labctl's own file, which outlives
 * the lab (so that every up after the first needs no
 * --accept-new-host-keys, and --accept-new-host-keys writes there), and
 * against ~/.ssh/known_hosts, as ssh does, which labctl never writes.
 * Sets @a's files and its ssh target's.
 */
void provider_kept_known_hosts(struct node_access *a);

/* labctl's own known_hosts for nodes it did not make: DATA_DIR/labctl/known_hosts. */
char *provider_kept_known_hosts_file(void);

/*
 * Access to a node labctl made itself: root on port 22 with the lab's own
 * client key and known_hosts, and nothing of the user's ssh_config.
 */
struct node_access *node_access_new_own(const char *name, const char *host,
					const char *key, const char *known_hosts);

/*
 * Journals @undo as a "local" record keyed @key, before the change it
 * undoes is made.  @node names the node the object is part of (its
 * namespace, its sshd, its domain and volumes: member "of_node"), or is
 * NULL for what the lab's nodes share (a bridge, a network, a runtime
 * directory): down --force keeps these for as long as some node still
 * has undos that failed, so that a later down can still reach it.
 */
bool provider_journal(struct provider_ctx *ctx, const char *node, const char *key,
		      const char *what, JsonObject *undo, GError **error);

/*
 * provider_journal(), taking @undo's reference; once journaled, adds @key
 * to @journaled (when not NULL) and says @what.
 */
bool provider_journal_then(struct provider_ctx *ctx, const char *node, const char *key,
			   const char *what, JsonObject *undo, GHashTable *journaled,
			   GError **error);

/* The first line of the known_hosts labctl writes for the nodes it made. */
#define PROVIDER_KNOWN_HOSTS_MARK \
	JOURNAL_OWN_MARK " the host keys of the nodes labctl made for this lab; labctl down removes this file\n"

/*
 * Appends the known_hosts line "ADDRESS TYPE KEY" of a node at @address
 * whose public host key labctl made is in the file @pub.
 */
bool provider_known_host(GString *out, const char *address, const char *pub,
			 GError **error);

/* A node labctl made, as the helpers below need it; the strings are borrowed. */
struct provider_own_node {
	const char *name;
	const char *address;
	const char *dir;        /* holds the node's host key, host_key.pub */
};

/*
 * Writes @file, the known_hosts of the @n @nodes: PROVIDER_KNOWN_HOSTS_MARK,
 * then provider_known_host() of each, in order.  The file is replaced
 * whole (a new file renamed over the old one), mode 0600.  False with
 * @error when a host key cannot be read or the file written.
 */
bool provider_write_known_hosts(const char *file, const struct provider_own_node *nodes,
				guint n, GError **error);

/*
 * A struct node_access * per node of @nodes, in order (node_access_new_own()
 * with @client_key and @known_hosts); the caller owns the array.
 */
GPtrArray *provider_access_list(const struct provider_own_node *nodes, guint n,
				const char *client_key, const char *known_hosts);

/* A program a provider runs on this machine. */
struct provider_tool {
	const char *tool;       /* a name looked up in PATH, or an absolute path */
	const char *package;    /* the Debian package that has it */
};

/*
 * Whether every one of the @n @tools is there: a name in PATH, an absolute
 * path an executable file.  False with @error (G_IO_ERROR_NOT_FOUND) for
 * the first that is not: "the PROVIDER provider needs 'TOOL' (Debian
 * package PACKAGE)", @provider its name.
 */
bool provider_need_tools(const char *provider, const struct provider_tool *tools,
			 gsize n, GError **error);

/* Where the netns provider keeps a lab's runtime files: ROOT/HASH. */
#define PROVIDER_NETNS_RUNTIME_ROOT "/var/lib/labctl/netns"

/* PROVIDER_NETNS_RUNTIME_ROOT/HASH of @u's lab; free with g_free(). */
char *provider_runtime_dir(const struct undo_ctx *u);

/*
 * Whether @undo is one of @prov's undo operations and names only what is
 * @u's lab's; false with @error (G_IO_ERROR_PERMISSION_DENIED, or
 * INVALID_ARGUMENT for a malformed one) when not.  Runs nothing.
 */
bool provider_undo_check(const struct provider *prov, const struct undo_ctx *u,
			 JsonObject *undo, GError **error);

/*
 * Runs a local undo operation of @u's lab, after provider_undo_check();
 * false with @error when the check refused it (nothing ran) or it failed.
 */
bool provider_undo(const struct provider *prov, const struct undo_ctx *u, JsonObject *undo,
		   GError **error);

/* For the providers' checks: the refusal every check gives, as an error; false. */
bool provider_refuse(GError **error, const char *op, const char *what, const char *value);

/* String member @name of @o, "" when missing or not a string. */
const char *provider_undo_member(JsonObject *o, const char *name);

/* Whether @path is @dir or below it, written plainly (absolute, no "..", "//", "."). */
bool provider_path_in(const char *path, const char *dir);

/* rm -rf --one-file-system of @path, never "/" or a relative path. */
bool provider_rmtree(const char *path, GError **error);

/* Seconds a local command of provider_run() may take. */
#define PROVIDER_RUN_TIMEOUT 60

/*
 * Runs @argv (NULL-terminated) on this machine, without a shell, with
 * @input (or nothing) on its standard input, and stores its standard
 * output in *@out (when @out is not NULL; the caller frees it).  False
 * with @error, which holds the command and its standard error, when it
 * could not start, was still running after @timeout seconds (it is then
 * killed: G_IO_ERROR_TIMED_OUT), or exited non-zero.  With @status, an
 * exit status other than 0 is no failure: it is stored there (-1 for a
 * signal).
 */
bool provider_exec(const char *const *argv, const char *input, guint timeout,
		   char **out, int *status, GError **error);

/*
 * provider_exec() without standard output, for a command that starts no
 * process of its own (ip): it gets no process group of its own (a timeout
 * kills the command alone) and is started with posix_spawn(), without a
 * copy of labctl's memory: about a millisecond of CPU less a command.
 * Only standard streams reach it.
 */
bool provider_exec_alone(const char *const *argv, const char *input, guint timeout,
			 GError **error);

/*
 * provider_exec() that calls @setup(@data) in the child after fork, once
 * its process group and standard streams are set, just before exec: for
 * what the command needs done to its own process (namespaces, mounts)
 * without a process of a tool for each step.  @setup may make only
 * async-signal-safe calls; when a step fails it writes why to standard
 * error and calls _exit() with a status other than 0, and the call then
 * fails as for a command that exited so.  @setup may be NULL.
 */
bool provider_exec_setup(const char *const *argv, void (*setup)(gpointer data), gpointer data,
			 const char *input, guint timeout, char **out, int *status, GError **error);

/* provider_exec() without input or output, within PROVIDER_RUN_TIMEOUT. */
bool provider_run(const char *const *argv, GError **error);

/* Whether network device @dev exists in labctl's network namespace. */
bool provider_link_exists(const char *dev);

/* Polls until @done(@data), at most @max_us; true when done. */
bool provider_poll_until(bool (*done)(gpointer), gpointer data, gint64 max_us);

/* Makes an ed25519 key pair without a passphrase at @file, unless it exists. */
bool provider_keygen(const char *file, GError **error);


#endif
