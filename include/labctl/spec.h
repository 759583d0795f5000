/*
 * spec.h - the lab spec: one YAML file describing one lab
 *
 * spec_load() reads and decodes a spec into struct lab_spec; every value
 * keeps its position (struct ystr .loc etc.) so that validation and later
 * errors can say FILE:LINE:COL.  The schema is documented in docs/spec.md.
 *
 * Life cycle: spec_load -> validate_spec (validate.h) -> spec_resolve ->
 * use -> spec_free.  spec_resolve fills in every default (derived IQNs,
 * portals, LUN numbers, addresses, ACLs, initiator targets) so that later
 * stages never guess; "firewall: auto" stays auto until facts decide it.
 */
#ifndef LABCTL_SPEC_H
#define LABCTL_SPEC_H

#include <stdbool.h>
#include <glib.h>

#include "labctl/ytree.h"

#define SPEC_VERSION 1

/*
 * Bounds on lists (an ACL and a host's targets name nodes, a host mounts
 * LUNs): far above any lab, low enough that the checks across them stay
 * instant.  LUN numbers go from 0 to 255, and tgt keeps 0 for itself:
 * 255 LUNs always get numbers in range.
 */
#define SPEC_MAX_NODES 1024
#define SPEC_MAX_LOGINS 16384     /* host-to-target logins in one lab */
#define SPEC_MAX_LUNS 255
#define SPEC_MAX_PORTALS 32
#define SPEC_MAX_REFS 256         /* names in one 'acl' or 'targets' */
#define SPEC_MAX_EXTRA_NETS 4     /* libvirt: networks besides the first */

enum provider_type { PROVIDER_STATIC, PROVIDER_NETNS, PROVIDER_LIBVIRT, PROVIDER_VAGRANT };
enum node_role { ROLE_DISK, ROLE_HOST };
enum os_family { OS_AUTO, OS_RHEL, OS_DEBIAN };
enum target_backend { TARGET_LIO, TARGET_TGT };
enum initiator_backend { INITIATOR_OPEN_ISCSI, INITIATOR_LIBISCSI };
enum firewall_mode { FIREWALL_AUTO, FIREWALL_FIREWALLD, FIREWALL_IPTABLES,
		     FIREWALL_NFTABLES, FIREWALL_NONE };
enum backstore { BACKSTORE_BLOCK, BACKSTORE_FILEIO };
enum allocation { ALLOC_SPARSE, ALLOC_ALLOCATED, ALLOC_ZEROED };
enum fs_type { FS_XFS, FS_EXT4 };
enum become_mode { BECOME_AUTO, BECOME_SUDO, BECOME_NONE };
enum fio_rw { FIO_RANDRW, FIO_READ, FIO_WRITE, FIO_RANDREAD, FIO_RANDWRITE, FIO_RW };
enum conformance_suite { SUITE_LIBISCSI };

/* The names of the enum values above, as written in a spec (NULL-ended). */
extern const char *const spec_provider_names[];
extern const char *const spec_role_names[];
extern const char *const spec_os_names[];
extern const char *const spec_target_backend_names[];
extern const char *const spec_initiator_backend_names[];
extern const char *const spec_firewall_names[];
extern const char *const spec_backstore_names[];
extern const char *const spec_allocation_names[];
extern const char *const spec_fs_names[];
extern const char *const spec_prove_names[];
extern const char *const spec_become_names[];
extern const char *const spec_fio_rw_names[];
extern const char *const spec_conformance_suite_names[];

/*
 * The defaults and bounds of a mount's fio run (docs/spec.md#fio): small
 * enough that a check stays a check, and never more than the lun holds.
 */
#define SPEC_FIO_BS 4096
#define SPEC_FIO_BS_MAX (16ULL << 20)
#define SPEC_FIO_SIZE (64ULL << 20)
#define SPEC_FIO_SIZE_MIN (1ULL << 20)
#define SPEC_FIO_SIZE_MAX (4ULL << 30)
#define SPEC_FIO_RUNTIME 10
#define SPEC_FIO_RUNTIME_MAX 600
#define SPEC_FIO_IODEPTH 4
#define SPEC_FIO_IODEPTH_MAX 256
#define SPEC_FIO_NUMJOBS 1
#define SPEC_FIO_NUMJOBS_MAX 16

/*
 * A conformance run's bounds (docs/spec.md#conformance): libiscsi's whole
 * suite takes seconds against tgt on this machine and minutes against
 * LIO in an emulated guest.
 */
#define SPEC_CONFORMANCE_TIMEOUT 900
#define SPEC_CONFORMANCE_TIMEOUT_MAX 14400
#define SPEC_CONFORMANCE_TESTS_MAX 256

struct spec_ssh {
	struct loc where;
	struct ystr user;
	struct yuint port;
	struct ystr key;            /* private key file */
	struct ysecret passphrase;  /* of the key */
	struct ysecret password;    /* of the login, when the server takes passwords */
	struct yenum become;        /* enum become_mode: how tasks run as root */
	struct ysecret become_password;     /* for a sudo that asks for one */
	struct ystr known_hosts;    /* file; default: the lab's own */
};

struct spec_provider {
	struct loc where;
	struct yenum type;
	struct ystr subnet;         /* netns, libvirt: IPv4 CIDR for addresses */
	struct ystr uri;            /* libvirt */
	struct ystr network;        /* libvirt: network name */
	struct ystr base_image;     /* libvirt: qcow2 the overlays sit on */
	struct ystr pool;           /* libvirt: storage pool */
	struct yuint memory;        /* libvirt: bytes per VM */
	struct yuint vcpus;         /* libvirt */
	struct ystr kernel;         /* libvirt: direct kernel boot */
	struct ystr initrd;
	struct ystr cmdline;
	struct yuint boot_timeout;  /* libvirt: seconds a VM may take to answer SSH */
	/*
	 * libvirt: IPv4 CIDRs of more isolated networks of the lab, a NIC on
	 * each for every node (struct ystr *); NULL: none
	 */
	GPtrArray *extra_subnets;
	struct ystr dir;            /* vagrant: where the Vagrantfile is */
};

struct spec_chap_mutual {
	struct loc where;
	struct ystr user;
	struct ysecret password;
};

struct spec_chap {
	struct loc where;
	struct ystr user;
	struct ysecret password;
	struct spec_chap_mutual mutual;
};

struct spec_lun {
	struct loc where;
	struct ystr name;           /* also the backstore name (LIO) */
	struct ystr image;          /* absolute path of the backing file */
	struct yuint size;          /* bytes */
	struct yenum backstore;     /* enum backstore */
	struct yenum allocation;    /* enum allocation */
	struct yuint number;        /* LUN number; default: position */
};

struct spec_target {
	struct loc where;
	struct ystr iqn;
	struct yenum backend;       /* enum target_backend */
	GPtrArray *portals;         /* struct ystr *: "ADDR[:PORT]" */
	struct yenum firewall;      /* enum firewall_mode */
	GPtrArray *luns;            /* struct spec_lun * */
	GPtrArray *acl;             /* struct ystr *: host node names or IQNs */
	struct spec_chap chap;
};

/* A mount's fio run; present when where.line is not 0 ("fio: {}", "fio: true"). */
struct spec_fio {
	struct loc where;
	struct yenum rw;            /* enum fio_rw */
	struct yuint bs;            /* bytes per I/O */
	struct yuint size;          /* bytes of the file fio works on */
	struct yuint runtime;       /* seconds */
	struct yuint iodepth;
	struct yuint numjobs;
	struct ybool direct;        /* O_DIRECT; default true */
};

struct spec_mount {
	struct loc where;
	struct ystr disk;           /* disk node name */
	struct ystr lun;            /* LUN name on that node */
	struct yenum fs;            /* enum fs_type */
	struct ystr path;           /* mount point */
	struct ystr options;        /* mount -o */
	struct ybool persist;       /* fstab entry with _netdev */
	struct ystr test_file;      /* file written and read back */
	struct spec_fio fio;        /* a workload check with fio, when asked for */
};

/*
 * A conformance suite run against a raw LUN: one the host logs in to and
 * no host of the lab mounts, since its tests write all over it.
 */
struct spec_conformance {
	struct loc where;
	struct ystr disk;           /* disk node name */
	struct ystr lun;            /* LUN name on that node */
	struct yenum suite;         /* enum conformance_suite */
	GPtrArray *tests;           /* struct ystr *: FAMILY[.SUITE[.TEST]]; default ALL */
	GPtrArray *known_failures;  /* struct ystr *: SUITE.TEST that may fail; NULL: none */
	struct yuint timeout;       /* seconds the whole run may take */
};

struct spec_initiator {
	struct loc where;
	struct ystr iqn;
	struct yenum backend;       /* enum initiator_backend */
	GPtrArray *targets;         /* struct ystr *: disk node names */
	struct yuint timeout;       /* seconds, bounds discovery and login */
	GPtrArray *mounts;          /* struct spec_mount * */
	GPtrArray *conformance;     /* struct spec_conformance * */
	struct ybool multipath;     /* open-iscsi: every portal, dm-multipath over the paths */
};

struct spec_vm {
	struct loc where;
	struct ystr uri;
	struct yuint memory;
	struct yuint vcpus;
};

struct spec_node {
	struct loc where;
	struct ystr name;
	struct yenum role;          /* enum node_role */
	struct ystr address;
	/*
	 * Its address on each of provider.extra_subnets, in order (struct
	 * ystr *); spec_resolve derives them from 'address' when not given
	 */
	GPtrArray *extra_addresses;
	struct yenum os;            /* enum os_family */
	struct spec_ssh ssh;
	struct spec_target target;  /* role disk */
	struct spec_initiator initiator; /* role host */
	struct spec_vm vm;          /* provider libvirt */
};

struct lab_spec {
	char *file;                 /* as given on the command line */
	char *dir;                  /* directory of the file */
	struct loc where;
	struct yuint version;
	struct ystr name;           /* key "lab" */
	struct ystr description;
	struct spec_provider provider;
	struct spec_ssh ssh;
	/*
	 * When "up" runs the heavy proofs (spec_prove_names): 0 "changed",
	 * only when something changed since the lab was last proven whole;
	 * 1 "always"
	 */
	struct yenum prove;
	GPtrArray *nodes;           /* struct spec_node *; never NULL */
	bool nodes_given;           /* "nodes" was there as a list */
	GHashTable *node_index;     /* name -> first struct spec_node * of that name */
};

/*
 * Reads and decodes @file.  Structural problems (YAML syntax, unknown and
 * duplicate keys, wrong kinds, bad enum values and sizes, missing keys) are
 * added to @diags.  Returns the spec, possibly incomplete, when the file
 * could be parsed as YAML at all (so validation can report more problems);
 * NULL when it could not be read or parsed.  Free with spec_free().
 */
struct lab_spec *spec_load(const char *file, GPtrArray *diags);

/* Same, from a buffer; @file only names it.  Used by tests and fuzzers. */
struct lab_spec *spec_load_data(const char *file, const char *data, size_t len,
				GPtrArray *diags);

void spec_free(struct lab_spec *spec);
/* for g_autoptr(lab_spec) only; code says struct lab_spec */
typedef struct lab_spec lab_spec;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(lab_spec, spec_free)

/*
 * Fills in every default: target and initiator IQNs, portals, LUN numbers,
 * node addresses from the provider's subnet, ACLs, initiator targets.
 * validate_spec calls it; it copes with a spec that has errors.
 */
void spec_resolve(struct lab_spec *spec);

/* Lookups; NULL when there is none.  spec_find_node takes constant time. */
struct spec_node *spec_find_node(const struct lab_spec *spec, const char *name);
struct spec_lun *spec_find_lun(const struct spec_node *disk, const char *name);

/*
 * The IQN labctl gives a node that names none: derived only from the lab
 * and node names, so the same spec always gets the same IQN.
 */
char *spec_default_iqn(const char *lab, const char *node);

/*
 * The address with @address's host part in @subnet, in IPv4 network
 * @extra: a node's default address on an extra network of the lab
 * ("192.168.64.0/24", "192.168.64.20", "192.168.65.0/24" ->
 * "192.168.65.20").  NULL when one is not IPv4 or the host part does not
 * fit @extra.
 */
char *spec_extra_address(const char *subnet, const char *address, const char *extra);

/* The subnet nodes get addresses from when the spec names none. */
const char *spec_default_subnet(enum provider_type type);

/* The user, port and key for @node: node settings, then lab's, then defaults. */
const char *spec_node_user(const struct lab_spec *spec, const struct spec_node *node);
unsigned spec_node_port(const struct lab_spec *spec, const struct spec_node *node);
const char *spec_node_key(const struct lab_spec *spec, const struct spec_node *node);
/*
 * A string ssh setting the spec gives explicitly: @node's (the node's
 * field), else @lab's (the lab's same field); NULL when neither does,
 * never a default.  Borrowed from the spec.
 */
const char *spec_ssh_value(const struct ystr *node, const struct ystr *lab);
/* @node's ssh.become: its own, else the lab's, else BECOME_AUTO. */
enum become_mode spec_node_become(const struct lab_spec *spec, const struct spec_node *node);
/*
 * Whether @node's tasks run through sudo: become sudo, or auto and a login
 * user (@user; NULL: the spec's) other than root.
 */
bool spec_node_sudo(const struct lab_spec *spec, const struct spec_node *node,
		    const char *user);
/* The secret references of @node's ssh settings (its own, else the lab's); NULL: none. */
const char *spec_node_password_ref(const struct lab_spec *spec, const struct spec_node *node);
const char *spec_node_become_password_ref(const struct lab_spec *spec,
					  const struct spec_node *node);

/* The most bytes a secret file may hold. */
#define SPEC_SECRET_MAX 65536

/*
 * The value of secret reference @ref ("env:NAME" or "file:PATH", PATH
 * relative to the spec's directory; a regular file of at most
 * SPEC_SECRET_MAX bytes, opened without blocking, so that a FIFO or a
 * device is refused at once), without one final newline.  Returns NULL
 * with @error set (the message never holds the value).
 */
char *spec_read_secret(const struct lab_spec *spec, const char *ref, GError **error);

/* Every secret reference of @spec ("env:..", "file:.."), borrowed; free the array. */
GPtrArray *spec_secret_refs(const struct lab_spec *spec);

/* Whether every secret the spec refers to can be read; before changing anything. */
bool spec_check_secrets(const struct lab_spec *spec, GError **error);

#endif
