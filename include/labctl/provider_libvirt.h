/*
 * provider_libvirt.h - nodes as VMs made through libvirt: the pieces the
 * provider is made of, so that tests can look at each one
 *
 * Per lab (HASH: the first 8 hex digits of the SHA-256 of the state
 * directory's absolute path, as the netns provider uses) and per libvirt
 * URI the lab's nodes use, the provider makes:
 *   network  labctl-HASH, bridge lvHASH: isolated (no forward), the host at
 *            the subnet's .1, a DHCP host entry per node (MAC -> address);
 *            or, with provider.network, a DHCP host entry per node in that
 *            existing network
 *   networks labctl-HASH-nK, bridge lvHASHnK (K from 1), one per entry of
 *            provider.extra_subnets, made like the first: isolated, the
 *            host at .1, a DHCP host entry per node; every node has a
 *            second (third...) NIC on each, with its own MAC
 *   pool     labctl-HASH, a dir pool; or provider.pool, which must exist
 *   volumes  labctl-HASH-NODE.qcow2 (overlay on provider.base_image) and
 *            labctl-HASH-NODE-seed.iso (cloud-init NoCloud seed)
 *   domain   labctl-HASH-NODE
 * Each is journaled before it is made, with the undo operation "libvirt"
 * of provider.h.  Keys, the seeds' files and (for a local URI) the serial
 * console logs live in STATE/libvirt.
 */
#ifndef LABCTL_PROVIDER_LIBVIRT_H
#define LABCTL_PROVIDER_LIBVIRT_H

#include <stdbool.h>
#include <glib.h>

#include "labctl/provider.h"

/* A VM boots in this long (TCG: 40 to 90 s) before SSH answers; provider.boot_timeout. */
#define LIBVIRT_BOOT_SECONDS 300
#define LIBVIRT_DEFAULT_URI "qemu:///system"
#define LIBVIRT_DEFAULT_MEMORY (1ULL << 30)
/*
 * no_timer_check: under TCG on a busy host the kernel's check of the
 * IO-APIC timer fails and it panics at boot ("IO-APIC + timer doesn't
 * work!"); seen on the machine these tests run on.
 */
#define LIBVIRT_DEFAULT_CMDLINE "root=/dev/vda console=ttyS0 no_timer_check"

struct libvirt_node {
	const struct spec_node *spec;
	const char *name;           /* the node's, borrowed from the spec */
	const char *address;
	char *uri;                  /* its hypervisor: vm.uri, provider.uri or the default */
	bool local;                 /* the URI names no remote host */
	char *domain;               /* labctl-HASH-NODE */
	char *overlay;              /* volume labctl-HASH-NODE.qcow2 */
	char *seed;                 /* volume labctl-HASH-NODE-seed.iso */
	char mac[18];               /* 52:54:00:xx:xx:xx, from HASH and the name */
	guint64 memory;             /* bytes */
	guint vcpus;
	char *dir;                  /* STATE/libvirt/NODE: host key, seed files */
	char *console;              /* serial console log (on the hypervisor) */
	GPtrArray *extra_macs;      /* char *: its MAC on each extra network */
	GPtrArray *extra_addresses; /* const char *: its address there, from the spec */
};

/* An extra network of the lab (provider.extra_subnets): always the lab's own. */
struct libvirt_net {
	char *name;                 /* labctl-HASH-nK */
	char *bridge;               /* lvHASHnK */
	char *gateway;              /* the subnet's .1 */
	guint prefix;
};

struct libvirt_lab {
	const struct lab_spec *spec;
	char hash[9];
	char *network;              /* the network the nodes are on */
	bool own_network;           /* labctl makes it (no provider.network) */
	char *bridge;               /* lvHASH, of labctl's own network */
	char *pool;
	bool own_pool;              /* labctl makes it (no provider.pool) */
	char *gateway;              /* the subnet's .1 */
	guint prefix;
	char *dir;                  /* STATE/libvirt */
	char *client_key;           /* STATE/libvirt/client_key */
	char *known_hosts;          /* STATE/known_hosts */
	GPtrArray *extra_nets;      /* struct libvirt_net *, in the spec's order */
	GPtrArray *nodes;           /* struct libvirt_node *, in spec order */
	GPtrArray *uris;            /* char *: the distinct URIs, in order of use */
};

/* Whether @uri is a hypervisor on this machine (its files are local). */
bool libvirt_uri_is_local(const char *uri);

/* The MAC labctl gives node @node of the lab of hash @hash: 52:54:00:xx:xx:xx. */
void libvirt_node_mac(const char *hash, const char *node, char mac[18]);
/* Its MAC on extra network @k (from 1). */
void libvirt_node_extra_mac(const char *hash, const char *node, guint k, char mac[18]);

/*
 * Names and paths of the lab of @spec whose state directory is @state_dir;
 * touches nothing.  NULL with @error for a subnet that is not IPv4.  Free
 * with libvirt_lab_free().
 */
struct libvirt_lab *libvirt_lab_new(const struct lab_spec *spec, const char *state_dir,
				    GError **error);
void libvirt_lab_free(struct libvirt_lab *l);
/* for g_autoptr(libvirt_lab) only; code says struct libvirt_lab */
typedef struct libvirt_lab libvirt_lab;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(libvirt_lab, libvirt_lab_free)

/* The value of attribute @name of a GMarkup element, or NULL. */
const char *libvirt_xml_attr(const char **names, const char **values, const char *name);

/*
 * The virtualization type and architecture a hypervisor offers, from its
 * capabilities XML: "kvm" when it has KVM for its host architecture, else
 * "qemu" (TCG).  *@arch (may be NULL) receives the host architecture, or
 * "x86_64" when the XML names none; free it.
 */
const char *libvirt_virt_type(const char *caps_xml, char **arch);

/* The XML of the lab's own network on @uri: DHCP host entries for its nodes there. */
char *libvirt_network_xml(const struct libvirt_lab *l, const char *uri);
/* The XML of the lab's extra network @k (from 1) on @uri. */
char *libvirt_extra_network_xml(const struct libvirt_lab *l, guint k, const char *uri);
/* The DHCP host entry of @n, for an existing network. */
char *libvirt_dhcp_host_xml(const struct libvirt_node *n);
/* The lab's dir pool at @path. */
char *libvirt_pool_xml(const struct libvirt_lab *l, const char *path);
/* @n's qcow2 overlay of @capacity bytes on @base (format @base_format). */
char *libvirt_overlay_xml(const struct libvirt_node *n, const char *base,
			  const char *base_format, guint64 capacity);
/* @n's raw seed volume of @size bytes. */
char *libvirt_seed_volume_xml(const struct libvirt_node *n, guint64 size);
/*
 * @n's domain: @virt_type ("kvm" or "qemu") on @arch, the overlay at
 * @overlay_path as vda, the seed at @seed_path read-only as vdb, a virtio
 * NIC with @n's MAC on the lab's network and one on each extra network, the serial console logged to
 * @n->console, and direct kernel boot when the spec gives a kernel.
 */
char *libvirt_domain_xml(const struct libvirt_lab *l, const struct libvirt_node *n,
			 const char *virt_type, const char *arch,
			 const char *overlay_path, const char *seed_path);

/* The seed's meta-data of @n. */
char *libvirt_meta_data(const struct libvirt_lab *l, const struct libvirt_node *n);
/*
 * The seed's user-data of @n: #cloud-config with the host name, root's
 * authorized key @client_pub (a public key line), and the node's ed25519
 * host key pair @host_key / @host_pub, so that known_hosts is exact; for a
 * host node its initiator name too.
 */
char *libvirt_user_data(const struct libvirt_lab *l, const struct libvirt_node *n,
			const char *client_pub, const char *host_key, const char *host_pub);

/* How libvirt_up works; the provider waits provider.boot_timeout, else LIBVIRT_BOOT_SECONDS. */
struct libvirt_opts {
	/*
	 * Writes the file @iso into volume @vol of @uri; NULL: a libvirt
	 * stream upload (virStorageVolUpload), which works with remote URIs
	 * but not with the test driver.  @vol is a virStorageVolPtr.
	 */
	bool (*upload)(void *vol, const char *uri, const char *iso, void *data, GError **error);
	void *upload_data;
	unsigned boot_seconds;      /* wait this long for SSH; 0: do not wait */
};

/*
 * The provider's up: makes (or finds) everything, journaling first, and
 * returns the nodes' access as provider.h's up does.
 */
GPtrArray *libvirt_up(struct provider_ctx *ctx, const struct libvirt_opts *opts,
		      GError **error);

#endif
