/*
 * provider_libvirt.c - nodes as VMs made through libvirt
 *
 * Each node is a domain on a qcow2 overlay of the spec's base image, on an
 * isolated network of the lab's own (or an existing one), first booted with
 * a cloud-init NoCloud seed that gives root the lab's client key and the
 * node an ed25519 host key that labctl made: the lab's known_hosts is
 * written from those keys, so no host key is ever trusted blindly.  The
 * names of everything are in provider_libvirt.h.
 *
 * Everything goes through the libvirt API (no virsh), on one connection
 * per URI, so that a remote URI (qemu+ssh://) works as a local one does:
 * the seed is uploaded as a volume, and the base image is found in a pool
 * there.  Every object is journaled before it is made ("libvirt" undo
 * operation, libvirt_undo below), and up finds what exists and uses it,
 * so up converges and down (also after a crash) leaves nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "labctl/parallel.h"
#include "labctl/provider_libvirt.h"
#include "labctl/text.h"

/* ---- connections and errors ---- */

static void quiet(void *data, virErrorPtr err)
{
	/* errors are reported through GError, not on stderr by libvirt */
	(void)data;
	(void)err;
}

static void lv_init(void)
{
	static gsize done;

	if (g_once_init_enter(&done)) {
		virInitialize();
		virSetErrorFunc(NULL, quiet);
		g_once_init_leave(&done, 1);
	}
}

static const char *lv_message(void)
{
	const char *m = virGetLastErrorMessage();

	return m && *m ? m : "unknown libvirt error";
}

/* Sets @error to "WHAT: LIBVIRT'S MESSAGE". */
G_GNUC_PRINTF(2, 3)
static void lv_error(GError **error, const char *fmt, ...)
{
	g_autofree char *what = NULL;
	va_list ap;

	va_start(ap, fmt);
	what = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", what, lv_message());
}

/* Whether @uri names no remote host (qemu:///system, test:///default). */

static virConnectPtr lv_connect(const char *uri, GError **error)
{
	virConnectPtr c;

	lv_init();
	c = virConnectOpen(uri);
	if (c)
		return c;
	if (g_str_has_prefix(uri, "test:"))
		lv_error(error, "cannot connect to libvirt at '%s'", uri);
	else
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
			    "cannot connect to libvirt at '%s': %s (is libvirtd running there? "
			    "start it and virtlogd: 'systemctl start libvirtd virtlogd', or "
			    "on a machine without systemd 'virtlogd -d; libvirtd -d')",
			    uri, lv_message());
	return NULL;
}

static void conn_close(gpointer p)
{
	if (p)
		virConnectClose(p);
}

static bool make_dir(const char *path, GError **error)
{
	if (g_mkdir_with_parents(path, 0700)) {
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
			    "cannot make '%s': %s", path, g_strerror(errno));
		return false;
	}
	return true;
}

/* Writes @n's seed files and the ISO; returns the ISO's path. */
static char *make_seed(struct libvirt_lab *l, struct libvirt_node *n, GError **error)
{
	g_autofree char *client_pub = NULL;
	g_autofree char *host_key = NULL;
	g_autofree char *host_pub = NULL;
	g_autofree char *key_file = g_build_filename(n->dir, "host_key", NULL);
	g_autofree char *pub_file = g_build_filename(n->dir, "host_key.pub", NULL);
	g_autofree char *cpub_file = g_strconcat(l->client_key, ".pub", NULL);
	g_autofree char *ud_file = g_build_filename(n->dir, "user-data", NULL);
	g_autofree char *md_file = g_build_filename(n->dir, "meta-data", NULL);
	g_autofree char *iso = g_build_filename(n->dir, "seed.iso", NULL);
	g_autofree char *ud = NULL;
	g_autofree char *md = NULL;
	g_autofree char *g_ud = g_strconcat("user-data=", ud_file, NULL);
	g_autofree char *g_md = g_strconcat("meta-data=", md_file, NULL);
	const char *argv[] = { "genisoimage", "-quiet", "-output", iso, "-volid", "cidata",
			       "-joliet", "-rock", "-graft-points", g_ud, g_md, NULL };
	bool ok;

	if (!make_dir(n->dir, error) || !provider_keygen(key_file, error) ||
	    !g_file_get_contents(cpub_file, &client_pub, NULL, error) ||
	    !g_file_get_contents(key_file, &host_key, NULL, error) ||
	    !g_file_get_contents(pub_file, &host_pub, NULL, error))
		return NULL;
	ud = libvirt_user_data(l, n, client_pub, host_key, host_pub);
	md = libvirt_meta_data(l, n);
	/* user-data holds the node's private host key: 0600 from the start */
	ok = g_file_set_contents_full(ud_file, ud, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error) &&
	     g_file_set_contents_full(md_file, md, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
	memset(host_key, 0, strlen(host_key));
	memset(ud, 0, strlen(ud));
	g_unlink(iso);
	if (!ok || !provider_run(argv, error))
		return NULL;
	g_chmod(iso, 0600);
	return g_steal_pointer(&iso);
}

/* The lab's nodes, for the shared helpers of provider.h. */
static GArray *own_nodes(const struct libvirt_lab *l)
{
	GArray *own = g_array_sized_new(FALSE, TRUE, sizeof(struct provider_own_node),
					l->nodes->len);

	for (guint i = 0; i < l->nodes->len; i++) {
		const struct libvirt_node *n = g_ptr_array_index(l->nodes, i);
		struct provider_own_node o = { n->name, n->address, n->dir };

		g_array_append_val(own, o);
	}
	return own;
}

/* The lab's known_hosts, from the host keys labctl made. */
static bool write_known_hosts(const struct libvirt_lab *l, GError **error)
{
	g_autoptr(GArray) own = own_nodes(l);

	return provider_write_known_hosts(l->known_hosts, (const struct provider_own_node *)own->data,
					  own->len, error);
}

static bool need_tools(GError **error)
{
	static const struct provider_tool tools[] = {
		{ "genisoimage", "genisoimage" },
	};

	return provider_need_tools("libvirt", tools, G_N_ELEMENTS(tools), error);
}

/*
 * Whether QEMU, started by a local libvirtd as its own user (libvirt-qemu,
 * in group kvm), can open /dev/kvm: libvirtd, as root, offers KVM when it
 * can open it itself.  A device only root may use makes QEMU fail after a
 * long start, so TCG is chosen at once; when this guesses wrong, the
 * failed start is caught and TCG used then (redefine_tcg).
 */
static bool kvm_open_to_qemu(void)
{
	GStatBuf st;

	if (g_stat("/dev/kvm", &st))
		return false;
	if ((st.st_mode & 0006) == 0006)
		return true;
	return st.st_gid != 0 && (st.st_mode & 0060) == 0060;
}

/* ---- objects on a hypervisor ---- */

/* One URI's connection and what up learned about it. */
struct hv {
	const char *uri;
	virConnectPtr conn;
	const char *virt_type;
	char *arch;
	virStoragePoolPtr pool;
	char *base_format;
	guint64 base_capacity;
};

static void hv_free(gpointer p)
{
	struct hv *h = p;

	if (h->pool)
		virStoragePoolFree(h->pool);
	if (h->conn)
		virConnectClose(h->conn);
	g_free(h->arch);
	g_free(h->base_format);
	g_free(h);
}

static struct hv *hv_of(GPtrArray *hvs, const char *uri)
{
	for (guint i = 0; i < hvs->len; i++) {
		struct hv *h = g_ptr_array_index(hvs, i);

		if (!strcmp(h->uri, uri))
			return h;
	}
	return NULL;
}

static JsonObject *undo_op(const char *uri, const char *kind, const char *name,
			   const char *pool)
{
	JsonObject *u = json_object_new();

	json_object_set_string_member(u, "op", "libvirt");
	json_object_set_string_member(u, "uri", uri);
	json_object_set_string_member(u, "kind", kind);
	json_object_set_string_member(u, "name", name);
	if (pool)
		json_object_set_string_member(u, "pool", pool);
	return u;
}

static char *undo_key(const char *uri, const char *kind, const char *name)
{
	return g_strdup_printf("libvirt:%s:%s:%s", uri, kind, name);
}

/*
 * Journals an object that is about to be made, or that exists without a
 * record (a journal lost, or removed with down --force): its name carries
 * the lab's hash, so it is this lab's, and down must take it away too.
 */
static bool journal_object(struct provider_ctx *ctx, const char *node, GHashTable *journaled,
			   JsonObject *undo, const char *what, GError **error)
{
	const char *uri = json_object_get_string_member(undo, "uri");
	const char *kind = json_object_get_string_member(undo, "kind");
	const char *name = json_object_get_string_member(undo, "name");
	g_autofree char *key = NULL;

	if (!strcmp(kind, "dhcp-host"))
		key = g_strdup_printf("libvirt:%s:dhcp-host:%s:%s", uri, name,
				      json_object_get_string_member(undo, "mac"));
	else if (!strcmp(kind, "volume"))
		key = g_strdup_printf("libvirt:%s:volume:%s/%s", uri,
				      json_object_get_string_member(undo, "pool"), name);
	else
		key = undo_key(uri, kind, name);
	if (g_hash_table_contains(journaled, key)) {
		json_object_unref(undo);
		return true;
	}
	return provider_journal_then(ctx, node, key, what, undo, journaled, error);
}

/* The keys of the journal's active local records. */
static GHashTable *journaled_keys(struct provider_ctx *ctx, GError **error)
{
	g_autoptr(GPtrArray) recs = journal_records(ctx->journal, error);
	GHashTable *keys;

	if (!recs)
		return NULL;
	keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	for (guint i = 0; i < recs->len; i++) {
		JsonObject *r = g_ptr_array_index(recs, i);
		const char *type = json_object_get_string_member_with_default(r, "type", "");
		const char *key = json_object_get_string_member_with_default(r, "key", NULL);

		if (!key)
			continue;
		if (!strcmp(type, "local"))
			g_hash_table_add(keys, g_strdup(key));
		else if (!strcmp(type, "undone"))
			g_hash_table_remove(keys, key);
	}
	return keys;
}

/* Whether @addr lies in network @ip/@prefix. */
static bool in_subnet(const char *addr, const char *ip, guint prefix)
{
	g_autoptr(GInetAddress) a = g_inet_address_new_from_string(addr);
	g_autoptr(GInetAddress) b = g_inet_address_new_from_string(ip);
	g_autoptr(GInetAddressMask) m = NULL;

	if (!a || !b || g_inet_address_get_family(b) != G_SOCKET_FAMILY_IPV4 || prefix > 32)
		return false;
	/* the mask wants the network address itself */
	{
		const guint8 *x = g_inet_address_to_bytes(b);
		guint32 v = (guint32)x[0] << 24 | (guint32)x[1] << 16 | (guint32)x[2] << 8 | x[3];
		guint8 y[4];
		g_autoptr(GInetAddress) netaddr = NULL;

		v &= prefix ? ~(guint32)0 << (32 - prefix) : 0;
		y[0] = v >> 24;
		y[1] = (v >> 16) & 255;
		y[2] = (v >> 8) & 255;
		y[3] = v & 255;
		netaddr = g_inet_address_new_from_bytes(y, G_SOCKET_FAMILY_IPV4);
		m = g_inet_address_mask_new(netaddr, prefix, NULL);
	}
	return m && g_inet_address_mask_matches(m, a);
}

struct ip_scan {
	const char *addr;
	bool found;             /* an <ip> with <dhcp> holds addr */
	bool candidate;         /* the current <ip> holds addr */
};

static void ip_start(GMarkupParseContext *ctx, const char *el, const char **names,
		     const char **values, gpointer data, GError **error)
{
	struct ip_scan *s = data;
	const char *addr, *prefix, *mask;

	(void)ctx;
	(void)error;
	if (!strcmp(el, "ip")) {
		addr = libvirt_xml_attr(names, values, "address");
		prefix = libvirt_xml_attr(names, values, "prefix");
		mask = libvirt_xml_attr(names, values, "netmask");
		s->candidate = false;
		if (addr && prefix)
			s->candidate = in_subnet(s->addr, addr, (guint)strtoul(prefix, NULL, 10));
		else if (addr && mask) {
			g_autoptr(GInetAddress) m = g_inet_address_new_from_string(mask);
			guint len = 0;

			if (m && g_inet_address_get_family(m) == G_SOCKET_FAMILY_IPV4) {
				const guint8 *x = g_inet_address_to_bytes(m);

				for (int i = 0; i < 4; i++)
					for (int bit = 7; bit >= 0; bit--)
						len += (x[i] >> bit) & 1;
				s->candidate = in_subnet(s->addr, addr, len);
			}
		}
	} else if (!strcmp(el, "dhcp") && s->candidate) {
		s->found = true;
	}
}

/* An existing network: each node gets its address from a DHCP host entry. */
static bool use_network(struct provider_ctx *ctx, struct libvirt_lab *l, struct hv *h,
			GHashTable *journaled, GError **error)
{
	static const GMarkupParser parser = { ip_start, NULL, NULL, NULL, NULL };
	virNetworkPtr net = virNetworkLookupByName(h->conn, l->network);
	g_autofree char *xml = NULL;
	bool ok = false;

	if (!net) {
		lv_error(error, "network '%s' ('network' of the provider) is not on '%s'",
			 l->network, h->uri);
		return false;
	}
	if (!virNetworkIsActive(net) && virNetworkCreate(net) < 0) {
		lv_error(error, "network '%s' on '%s' does not start", l->network, h->uri);
		goto out;
	}
	xml = virNetworkGetXMLDesc(net, 0);
	if (!xml) {
		lv_error(error, "network '%s' on '%s'", l->network, h->uri);
		goto out;
	}
	for (guint i = 0; i < l->nodes->len; i++) {
		const struct libvirt_node *n = g_ptr_array_index(l->nodes, i);
		struct ip_scan s = { .addr = n->address };
		GMarkupParseContext *pc;
		g_autofree char *host = NULL;
		g_autofree char *what = NULL;
		JsonObject *undo;
		unsigned flags = VIR_NETWORK_UPDATE_AFFECT_LIVE | VIR_NETWORK_UPDATE_AFFECT_CONFIG;

		if (strcmp(n->uri, h->uri))
			continue;
		pc = g_markup_parse_context_new(&parser, 0, &s, NULL);
		g_markup_parse_context_parse(pc, xml, -1, NULL);
		g_markup_parse_context_free(pc);
		if (!s.found) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
				    "network '%s' on '%s' has no DHCP on a subnet that holds %s, the address of node '%s'",
				    l->network, h->uri, n->address, n->name);
			goto out;
		}
		host = libvirt_dhcp_host_xml(n);
		what = g_strdup_printf("libvirt DHCP host %s -> %s in network %s", n->mac,
				       n->address, l->network);
		undo = undo_op(h->uri, "dhcp-host", l->network, NULL);
		json_object_set_string_member(undo, "mac", n->mac);
		json_object_set_string_member(undo, "ip", n->address);
		json_object_set_string_member(undo, "host", n->name);
		if (!journal_object(ctx, n->name, journaled, undo, what, error))
			goto out;
		if (strstr(xml, n->mac) && strstr(xml, host))
			continue;   /* the entry is there, as it should be */
		if (virNetworkUpdate(net, VIR_NETWORK_UPDATE_COMMAND_ADD_LAST,
				     VIR_NETWORK_SECTION_IP_DHCP_HOST, -1, host, flags) < 0) {
			lv_error(error, "cannot add DHCP host %s of node '%s' to network '%s'",
				 n->address, n->name, l->network);
			goto out;
		}
	}
	ok = true;
out:
	virNetworkFree(net);
	return ok;
}

/*
 * Network @name of the lab (described by @xml_of on demand), journaled
 * before it is made, then defined and started unless it is already.
 */
static bool make_own_network(struct provider_ctx *ctx, struct libvirt_lab *l, struct hv *h,
			     guint k, const char *name, const char *what, GHashTable *journaled,
			     GError **error)
{
	virNetworkPtr net;
	bool ok;

	if (!journal_object(ctx, NULL, journaled, undo_op(h->uri, "network", name, NULL), what,
			    error))
		return false;
	net = virNetworkLookupByName(h->conn, name);
	if (!net) {
		g_autofree char *xml = k ? libvirt_extra_network_xml(l, k, h->uri)
					 : libvirt_network_xml(l, h->uri);

		net = virNetworkDefineXML(h->conn, xml);
		if (!net) {
			lv_error(error, "cannot define network '%s' on '%s'", name, h->uri);
			return false;
		}
	}
	ok = virNetworkIsActive(net) == 1 || virNetworkCreate(net) == 0;
	if (!ok)
		lv_error(error, "cannot start network '%s' on '%s'", name, h->uri);
	virNetworkFree(net);
	return ok;
}

static bool make_network(struct provider_ctx *ctx, struct libvirt_lab *l, struct hv *h,
			 GHashTable *journaled, GError **error)
{
	g_autofree char *what = NULL;

	if (!l->own_network) {
		if (!use_network(ctx, l, h, journaled, error))
			return false;
	} else {
		what = g_strdup_printf("libvirt network %s (bridge %s, %s/%u, isolated)", l->network,
				       l->bridge, l->gateway, l->prefix);
		if (!make_own_network(ctx, l, h, 0, l->network, what, journaled, error))
			return false;
	}
	/* the extra networks (provider.extra_subnets) are always the lab's own */
	for (guint k = 1; k <= l->extra_nets->len; k++) {
		const struct libvirt_net *x = g_ptr_array_index(l->extra_nets, k - 1);

		g_free(what);
		what = g_strdup_printf("libvirt network %s (bridge %s, %s/%u, isolated)", x->name,
				       x->bridge, x->gateway, x->prefix);
		if (!make_own_network(ctx, l, h, k, x->name, what, journaled, error))
			return false;
	}
	return true;
}

/* Where the lab's own pool goes: beside libvirt's "default" pool if there is one. */
static char *pool_path(struct libvirt_lab *l, struct hv *h)
{
	virStoragePoolPtr def = virStoragePoolLookupByName(h->conn, "default");
	g_autofree char *xml = def ? virStoragePoolGetXMLDesc(def, 0) : NULL;
	char *path = NULL;
	const char *a, *b;

	if (def)
		virStoragePoolFree(def);
	if (xml && (a = strstr(xml, "<path>")) && (b = strstr(a, "</path>"))) {
		g_autofree char *dir = g_strndup(a + 6, (gsize)(b - a - 6));

		if (g_path_is_absolute(dir) && !strchr(dir, '&'))
			path = g_build_filename(dir, l->pool, NULL);
	}
	return path ? path : g_build_filename("/var/lib/libvirt/images", l->pool, NULL);
}

static bool make_pool(struct provider_ctx *ctx, struct libvirt_lab *l, struct hv *h,
		      GHashTable *journaled, GError **error)
{
	g_autofree char *path = NULL;
	g_autofree char *what = NULL;

	h->pool = virStoragePoolLookupByName(h->conn, l->pool);
	if (!l->own_pool) {
		if (!h->pool) {
			lv_error(error, "storage pool '%s' ('pool' of the provider) is not on '%s'",
				 l->pool, h->uri);
			return false;
		}
		if (virStoragePoolIsActive(h->pool) != 1) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
				    "storage pool '%s' on '%s' is not active (start it: virsh pool-start %s)",
				    l->pool, h->uri, l->pool);
			return false;
		}
		return true;
	}
	path = pool_path(l, h);
	what = g_strdup_printf("libvirt pool %s (%s)", l->pool, path);
	if (!journal_object(ctx, NULL, journaled, undo_op(h->uri, "pool", l->pool, NULL), what, error))
		return false;
	if (!h->pool) {
		g_autofree char *xml = libvirt_pool_xml(l, path);

		h->pool = virStoragePoolDefineXML(h->conn, xml, 0);
		if (!h->pool) {
			lv_error(error, "cannot define storage pool '%s' on '%s'", l->pool, h->uri);
			return false;
		}
	}
	if (virStoragePoolIsActive(h->pool) == 1)
		return true;
	/* builds the directory; one that exists is fine */
	if (virStoragePoolBuild(h->pool, 0) < 0 || virStoragePoolCreate(h->pool, 0) < 0) {
		lv_error(error, "cannot start storage pool '%s' (%s) on '%s'", l->pool, path, h->uri);
		return false;
	}
	return true;
}

/* "qcow2" or "raw", and the virtual size, of a local image file. */
static bool probe_local_image(const char *path, char **format, guint64 *size, GError **error)
{
	g_autoptr(GFile) f = g_file_new_for_path(path);
	g_autoptr(GFileInputStream) in = g_file_read(f, NULL, error);
	g_autoptr(GFileInfo) info = NULL;
	guint8 hdr[32];
	gsize got = 0;

	if (!in)
		return false;
	if (!g_input_stream_read_all(G_INPUT_STREAM(in), hdr, sizeof(hdr), &got, NULL, error))
		return false;
	if (got == sizeof(hdr) && !memcmp(hdr, "QFI\xfb", 4)) {
		*format = g_strdup("qcow2");
		*size = 0;
		for (int i = 24; i < 32; i++)
			*size = *size << 8 | hdr[i];
		return true;
	}
	info = g_file_query_info(f, G_FILE_ATTRIBUTE_STANDARD_SIZE, G_FILE_QUERY_INFO_NONE,
				 NULL, error);
	if (!info)
		return false;
	*format = g_strdup("raw");
	*size = (guint64)g_file_info_get_size(info);
	return true;
}

/*
 * The base image on @h: a volume of a pool there, or, on a local URI, a
 * file; its format and virtual size become the overlays'.
 */
static bool find_base(struct libvirt_lab *l, struct hv *h, GError **error)
{
	const char *base = l->spec->provider.base_image.v;
	virStorageVolPtr vol;

	if (!base) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "provider 'libvirt' needs a 'base_image'");
		return false;
	}
	vol = virStorageVolLookupByPath(h->conn, base);
	if (vol) {
		virStorageVolInfo info;
		g_autofree char *xml = virStorageVolGetXMLDesc(vol, 0);
		const char *fmt = xml ? strstr(xml, "<format type='") : NULL;
		bool ok = virStorageVolGetInfo(vol, &info) == 0;

		virStorageVolFree(vol);
		if (!ok) {
			lv_error(error, "base_image '%s' on '%s'", base, h->uri);
			return false;
		}
		h->base_capacity = info.capacity;
		h->base_format = fmt ? g_strndup(fmt + 14, strcspn(fmt + 14, "'")) : g_strdup("qcow2");
		if (strcmp(h->base_format, "raw") && strcmp(h->base_format, "qcow2")) {
			g_free(h->base_format);
			h->base_format = g_strdup("qcow2");
		}
		return true;
	}
	if (libvirt_uri_is_local(h->uri)) {
		g_autoptr(GError) local = NULL;

		if (probe_local_image(base, &h->base_format, &h->base_capacity, &local))
			return true;
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
			    "base_image '%s' of the libvirt provider cannot be read: %s",
			    base, local->message);
		return false;
	}
	g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
		    "base_image '%s' is not a volume of a storage pool on '%s' (on a remote hypervisor labctl finds the base image through its pools: put it in one and refresh it)",
		    base, h->uri);
	return false;
}

static virDomainPtr lookup_domain(struct hv *h, const struct libvirt_node *n)
{
	return virDomainLookupByName(h->conn, n->domain);
}

static bool make_overlay(struct provider_ctx *ctx, struct libvirt_lab *l, struct hv *h,
			 struct libvirt_node *n, GHashTable *journaled, char **path, GError **error)
{
	g_autofree char *what = g_strdup_printf("libvirt volume %s (overlay on %s)", n->overlay,
						l->spec->provider.base_image.v);
	virStorageVolPtr vol;

	if (!journal_object(ctx, n->name, journaled, undo_op(h->uri, "volume", n->overlay, l->pool), what,
			    error))
		return false;
	vol = virStorageVolLookupByName(h->pool, n->overlay);
	if (!vol) {
		g_autofree char *xml = libvirt_overlay_xml(n, l->spec->provider.base_image.v,
							   h->base_format, h->base_capacity);

		vol = virStorageVolCreateXML(h->pool, xml, 0);
		if (!vol) {
			lv_error(error, "cannot make volume '%s' of node '%s' in pool '%s'",
				 n->overlay, n->name, l->pool);
			return false;
		}
	}
	*path = virStorageVolGetPath(vol);
	virStorageVolFree(vol);
	if (!*path) {
		lv_error(error, "volume '%s'", n->overlay);
		return false;
	}
	return true;
}

static bool stream_upload(void *v, const char *uri, const char *iso, void *data, GError **error)
{
	virStorageVolPtr vol = v;
	g_autofree char *bytes = NULL;
	gsize len, off = 0;
	virStreamPtr st;

	(void)data;
	if (!g_file_get_contents(iso, &bytes, &len, error))
		return false;
	st = virStreamNew(virStorageVolGetConnect(vol), 0);
	if (!st || virStorageVolUpload(vol, st, 0, len, 0) < 0) {
		lv_error(error, "cannot upload '%s' to '%s'", iso, uri);
		if (st)
			virStreamFree(st);
		return false;
	}
	while (off < len) {
		int n = virStreamSend(st, bytes + off, MIN(len - off, 256 * 1024));

		if (n < 0) {
			lv_error(error, "cannot upload '%s' to '%s'", iso, uri);
			virStreamAbort(st);
			virStreamFree(st);
			return false;
		}
		off += (gsize)n;
	}
	if (virStreamFinish(st) < 0) {
		lv_error(error, "cannot upload '%s' to '%s'", iso, uri);
		virStreamFree(st);
		return false;
	}
	virStreamFree(st);
	return true;
}

/*
 * The seed volume.  Its content is written whenever the domain does not
 * exist yet: a crash between making the volume and uploading into it must
 * not leave a guest booting from an empty seed.
 */
static bool make_seed_volume(struct provider_ctx *ctx, struct libvirt_lab *l, struct hv *h,
			     struct libvirt_node *n, const struct libvirt_opts *o, bool domain_exists,
			     GHashTable *journaled, char **path, GError **error)
{
	g_autofree char *what = g_strdup_printf("libvirt volume %s (cloud-init seed)", n->seed);
	g_autofree char *iso = NULL;
	virStorageVolPtr vol;
	GStatBuf st;
	bool ok;

	if (!journal_object(ctx, n->name, journaled, undo_op(h->uri, "volume", n->seed, l->pool), what,
			    error))
		return false;
	vol = virStorageVolLookupByName(h->pool, n->seed);
	if (vol && domain_exists)
		goto done;
	iso = make_seed(l, n, error);
	if (!iso) {
		if (vol)
			virStorageVolFree(vol);
		return false;
	}
	if (g_stat(iso, &st)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "genisoimage made no '%s'", iso);
		if (vol)
			virStorageVolFree(vol);
		return false;
	}
	if (vol) {
		/* a fresh volume of the ISO's size rather than a guess at the old one */
		if (virStorageVolDelete(vol, 0) < 0) {
			lv_error(error, "cannot replace volume '%s'", n->seed);
			virStorageVolFree(vol);
			return false;
		}
		virStorageVolFree(vol);
	}
	{
		g_autofree char *xml = libvirt_seed_volume_xml(n, (guint64)st.st_size);

		vol = virStorageVolCreateXML(h->pool, xml, 0);
	}
	if (!vol) {
		lv_error(error, "cannot make volume '%s' of node '%s' in pool '%s'", n->seed, n->name,
			 l->pool);
		return false;
	}
	ok = (o->upload ? o->upload : stream_upload)(vol, h->uri, iso, o->upload_data, error);
	if (!ok) {
		virStorageVolFree(vol);
		return false;
	}
done:
	*path = virStorageVolGetPath(vol);
	virStorageVolFree(vol);
	if (!*path) {
		lv_error(error, "volume '%s'", n->seed);
		return false;
	}
	return true;
}

/*
 * Defines @dom again with TCG after KVM failed to start (@why), and makes
 * TCG the choice for the rest of @h's nodes.  Consumes @dom.
 */
static virDomainPtr redefine_tcg(struct provider_ctx *ctx, struct libvirt_lab *l, struct hv *h,
				 struct libvirt_node *n, virDomainPtr dom, const char *overlay,
				 const char *seed, const char *why, GError **error)
{
	g_autofree char *xml = NULL;
	g_autofree char *first = g_strdup(why);
	char *nl = strchr(first, '\n');

	if (nl)
		*nl = '\0';
	if (ctx->say)
		ctx->say(ctx->say_data, "KVM does not start on '%s' (%s): using QEMU's TCG", h->uri,
			 first);
	h->virt_type = "qemu";
	if (virDomainUndefine(dom) < 0) {
		lv_error(error, "cannot undefine domain '%s' to define it again with TCG", n->domain);
		virDomainFree(dom);
		return NULL;
	}
	virDomainFree(dom);
	xml = libvirt_domain_xml(l, n, h->virt_type, h->arch, overlay, seed);
	dom = virDomainDefineXML(h->conn, xml);
	if (!dom)
		lv_error(error, "cannot define domain '%s' of node '%s' on '%s'", n->domain, n->name,
			 h->uri);
	return dom;
}

static bool make_domain(struct provider_ctx *ctx, struct libvirt_lab *l, struct hv *h,
			struct libvirt_node *n, const struct libvirt_opts *o,
			GHashTable *journaled, GError **error)
{
	g_autofree char *overlay = NULL;
	g_autofree char *seed = NULL;
	g_autofree char *what = NULL;
	g_autofree char *mem = g_format_size_full(n->memory, G_FORMAT_SIZE_IEC_UNITS);
	virDomainPtr dom = lookup_domain(h, n);
	bool ok = false;

	if (!make_overlay(ctx, l, h, n, journaled, &overlay, error) ||
	    !make_seed_volume(ctx, l, h, n, o, dom != NULL, journaled, &seed, error))
		goto out;
	what = g_strdup_printf("libvirt domain %s (%s, %s, %u vcpu%s, %s)", n->domain,
			       h->virt_type, mem, n->vcpus, n->vcpus == 1 ? "" : "s", n->address);
	if (!journal_object(ctx, n->name, journaled, undo_op(h->uri, "domain", n->domain, NULL), what, error))
		goto out;
	if (!dom) {
		g_autofree char *xml = libvirt_domain_xml(l, n, h->virt_type, h->arch, overlay, seed);

		dom = virDomainDefineXML(h->conn, xml);
		if (!dom) {
			lv_error(error, "cannot define domain '%s' of node '%s' on '%s'", n->domain,
				 n->name, h->uri);
			goto out;
		}
	}
	if (virDomainIsActive(dom) != 1 && virDomainCreate(dom) < 0) {
		g_autofree char *why = g_strdup(lv_message());

		/*
		 * libvirtd may offer KVM that QEMU, running as another user,
		 * cannot open (/dev/kvm of mode 0600): TCG works there, slower.
		 */
		if (strcmp(h->virt_type, "kvm") || !strstr(why, "kvm") ||
		    !(dom = redefine_tcg(ctx, l, h, n, dom, overlay, seed, why, error)))
			goto failed;
		if (virDomainCreate(dom) < 0)
			goto failed;
	}
	ok = true;
	goto out;
failed:
	if (error && !*error)
		lv_error(error, "cannot start domain '%s' of node '%s' on '%s'", n->domain, n->name,
			 h->uri);
out:
	if (dom)
		virDomainFree(dom);
	return ok;
}

/* ---- waiting for SSH ---- */

struct waiter {
	const struct libvirt_node *n;
	struct node_access *a;
	unsigned seconds;
	GCancellable *cancel;   /* ^C; or NULL */
	GError *error;
};

/* The last @lines lines of file @path, or NULL. */
static char *tail(const char *path, guint lines)
{
	g_autofree char *text = NULL;
	gsize len;
	gsize i;

	if (!g_file_get_contents(path, &text, &len, NULL) || !len)
		return NULL;
	/* from the first of those lines to the end, newlines included */
	i = text_last_lines(text, (gssize)len, lines, NULL);
	/* a serial console holds \r and colour sequences; keep it readable */
	{
		GString *out = g_string_sized_new(len - i);

		for (gsize k = i; k < len; k++) {
			if (text[k] == '\033' && k + 1 < len && text[k + 1] == '[') {
				k += 2;
				while (k < len && (g_ascii_isdigit(text[k]) || text[k] == ';'))
					k++;
				continue;   /* and the final letter */
			}
			if (text[k] == '\n' || text[k] == '\t' || (guchar)text[k] >= 32)
				g_string_append_c(out, text[k]);
		}
		return g_string_free(out, FALSE);
	}
}

/* Node @index of @data (an array of struct waiter): until it answers SSH. */
static void wait_ssh(guint index, gpointer data)
{
	struct waiter *w = &((struct waiter *)data)[index];
	gint64 deadline = g_get_monotonic_time() + (gint64)w->seconds * G_USEC_PER_SEC;
	g_autoptr(GError) last = NULL;
	gulong pause = 1;

	for (;;) {
		struct lab_ssh_target t = w->a->ssh;
		struct lab_ssh *c;

		g_clear_error(&last);
		/* a TCG guest on a busy machine took 12 s for a login here */
		t.connect_timeout = 20;
		c = lab_ssh_open(&t, NULL, &last);
		if (c) {
			/*
			 * The key is in: cloud-init has done its part.  The
			 * connection is kept for up: a login to a TCG guest
			 * takes a second.
			 */
			w->a->conn = c;
			return;
		}
		if (g_get_monotonic_time() + (gint64)pause * G_USEC_PER_SEC >= deadline)
			break;
		/* ^C: in steps of 0.1 s, so that up stops at once, journal intact */
		for (gulong i = 0; i < pause * 10 && !g_cancellable_is_cancelled(w->cancel); i++)
			g_usleep(G_USEC_PER_SEC / 10);
		if (g_cancellable_is_cancelled(w->cancel)) {
			g_set_error(&w->error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
				    "interrupted while waiting for node '%s'", w->n->name);
			return;
		}
		pause = MIN(pause * 2, 5);
	}
	{
		g_autofree char *log = w->n->local ? tail(w->n->console, 25) : NULL;
		g_autofree char *where = NULL;

		if (log)
			where = g_strdup_printf("last lines of its serial console (%s):\n%s",
						w->n->console, log);
		else if (w->n->local)
			where = g_strdup_printf("its serial console log %s is empty or missing",
						w->n->console);
		else
			where = g_strdup_printf("its serial console log is %s on the hypervisor",
						w->n->console);
		g_set_error(&w->error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
			    "node '%s' (domain %s) does not answer SSH at %s:22 after %u s: %s\n%s",
			    w->n->name, w->n->domain, w->n->address, w->seconds,
			    last ? last->message : "no answer", where);
	}
}

/* Waits for every node at once: boots under TCG take a minute each. */
static bool wait_all(struct libvirt_lab *l, GPtrArray *access, unsigned seconds,
		     GCancellable *cancel, GError **error)
{
	g_autofree struct waiter *ws = g_new0(struct waiter, MAX(l->nodes->len, 1));
	g_autofree GError **errors = g_new0(GError *, MAX(l->nodes->len, 1));

	for (guint i = 0; i < l->nodes->len; i++) {
		ws[i].n = g_ptr_array_index(l->nodes, i);
		ws[i].a = g_ptr_array_index(access, i);
		ws[i].seconds = seconds;
		ws[i].cancel = cancel;
	}
	parallel_for(l->nodes->len, 0, wait_ssh, ws);
	for (guint i = 0; i < l->nodes->len; i++)
		errors[i] = ws[i].error;
	return parallel_first_error(errors, l->nodes->len, error);
}

/* ---- the provider ---- */

static GPtrArray *access_list(const struct libvirt_lab *l)
{
	g_autoptr(GArray) own = own_nodes(l);

	return provider_access_list((const struct provider_own_node *)own->data, own->len,
				    l->client_key, l->known_hosts);
}

GPtrArray *libvirt_up(struct provider_ctx *ctx, const struct libvirt_opts *opts,
		      GError **error)
{
	g_autoptr(libvirt_lab) l = NULL;
	g_autoptr(GPtrArray) hvs = g_ptr_array_new_with_free_func(hv_free);
	g_autoptr(GHashTable) journaled = NULL;
	g_autoptr(GPtrArray) access = NULL;
	g_autofree char *key = NULL;
	JsonObject *rm;

	if (!need_tools(error))
		return NULL;
	l = libvirt_lab_new(ctx->spec, ctx->state_dir, error);
	if (!l)
		return NULL;
	journaled = journaled_keys(ctx, error);
	if (!journaled)
		return NULL;

	/* every hypervisor is reachable and has the base image before anything is made */
	for (guint i = 0; i < l->uris->len; i++) {
		struct hv *h = g_new0(struct hv, 1);
		g_autofree char *caps = NULL;

		h->uri = g_ptr_array_index(l->uris, i);
		g_ptr_array_add(hvs, h);
		h->conn = lv_connect(h->uri, error);
		if (!h->conn)
			return NULL;
		caps = virConnectGetCapabilities(h->conn);
		if (!caps) {
			lv_error(error, "cannot read the capabilities of '%s'", h->uri);
			return NULL;
		}
		h->virt_type = libvirt_virt_type(caps, &h->arch);
		if (!strcmp(h->virt_type, "kvm") && libvirt_uri_is_local(h->uri) && !kvm_open_to_qemu()) {
			h->virt_type = "qemu";
			if (ctx->say)
				ctx->say(ctx->say_data, "libvirt at '%s' offers KVM, but only root may open /dev/kvm here: using QEMU's TCG",
					 h->uri);
		}
		if (!find_base(l, h, error))
			return NULL;
	}

	/* keys and seeds: removed as a whole by down */
	rm = json_object_new();
	json_object_set_string_member(rm, "op", "rmtree");
	json_object_set_string_member(rm, "path", l->dir);
	key = g_strdup_printf("libvirt-files:%s", l->dir);
	if (g_hash_table_contains(journaled, key))
		json_object_unref(rm);
	else if (!provider_journal_then(ctx, NULL, key, "libvirt keys and seeds", rm, journaled, error))
		return NULL;
	if (!make_dir(l->dir, error) || !provider_keygen(l->client_key, error))
		return NULL;

	for (guint i = 0; i < hvs->len; i++) {
		struct hv *h = g_ptr_array_index(hvs, i);

		if (!make_network(ctx, l, h, journaled, error) ||
		    !make_pool(ctx, l, h, journaled, error))
			return NULL;
	}
	for (guint i = 0; i < l->nodes->len; i++) {
		struct libvirt_node *n = g_ptr_array_index(l->nodes, i);

		if (!make_domain(ctx, l, hv_of(hvs, n->uri), n, opts, journaled, error))
			return NULL;
	}
	if (!write_known_hosts(l, error))
		return NULL;
	access = access_list(l);
	if (opts->boot_seconds) {
		if (ctx->say)
			ctx->say(ctx->say_data, "waiting up to %u s for SSH on %u node%s",
				 opts->boot_seconds, l->nodes->len, l->nodes->len == 1 ? "" : "s");
		if (!wait_all(l, access, opts->boot_seconds, ctx->cancel, error))
			return NULL;
	}
	return g_steal_pointer(&access);
}

static GPtrArray *lv_provider_up(struct provider_ctx *ctx, GError **error)
{
	const struct spec_provider *p = &ctx->spec->provider;
	const struct libvirt_opts opts = {
		.boot_seconds = p->boot_timeout.set ? (unsigned)p->boot_timeout.v : LIBVIRT_BOOT_SECONDS,
	};

	return libvirt_up(ctx, &opts, error);
}

static GPtrArray *lv_provider_access(struct provider_ctx *ctx, GError **error)
{
	g_autoptr(libvirt_lab) l = libvirt_lab_new(ctx->spec, ctx->state_dir, error);

	return l ? access_list(l) : NULL;
}



/* ---- undo ---- */

static bool undo_domain(virConnectPtr c, const char *name, GError **error)
{
	virDomainPtr d = virDomainLookupByName(c, name);
	bool ok = true;

	if (!d)
		return true;
	if (virDomainIsActive(d) == 1 && virDomainDestroy(d) < 0 &&
	    virDomainIsActive(d) == 1) {
		lv_error(error, "cannot stop domain '%s'", name);
		ok = false;
	} else if (virDomainUndefineFlags(d, VIR_DOMAIN_UNDEFINE_MANAGED_SAVE |
					     VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA) < 0 &&
		   virDomainUndefine(d) < 0) {
		/* a transient domain is gone once stopped */
		virDomainPtr again = virDomainLookupByName(c, name);

		if (again) {
			lv_error(error, "cannot undefine domain '%s'", name);
			virDomainFree(again);
			ok = false;
		}
	}
	virDomainFree(d);
	return ok;
}

static bool undo_volume(virConnectPtr c, const char *pool, const char *name, GError **error)
{
	virStoragePoolPtr p = virStoragePoolLookupByName(c, pool);
	virStorageVolPtr v;
	bool ok = true;

	if (!p)
		return true;    /* gone with its pool */
	/* an inactive pool that does not start holds nothing one could reach */
	if (virStoragePoolIsActive(p) != 1 && virStoragePoolCreate(p, 0) < 0) {
		virStoragePoolFree(p);
		return true;
	}
	virStoragePoolRefresh(p, 0);
	v = virStorageVolLookupByName(p, name);
	if (v) {
		if (virStorageVolDelete(v, 0) < 0) {
			lv_error(error, "cannot delete volume '%s' of pool '%s'", name, pool);
			ok = false;
		}
		virStorageVolFree(v);
	}
	virStoragePoolFree(p);
	return ok;
}

/* The lab's own pool: only labctl's volumes are in it. */
static bool undo_pool(virConnectPtr c, const char *name, GError **error)
{
	virStoragePoolPtr p = virStoragePoolLookupByName(c, name);
	virStorageVolPtr *vols = NULL;
	bool ok = true;
	int n;

	if (!p)
		return true;
	if (virStoragePoolIsActive(p) == 1 || virStoragePoolCreate(p, 0) == 0) {
		virStoragePoolRefresh(p, 0);
		n = virStoragePoolListAllVolumes(p, &vols, 0);
		for (int i = 0; i < n; i++) {
			if (ok && virStorageVolDelete(vols[i], 0) < 0) {
				lv_error(error, "cannot delete volume '%s' of pool '%s'",
					 virStorageVolGetName(vols[i]), name);
				ok = false;
			}
			virStorageVolFree(vols[i]);
		}
		free(vols);
		if (ok && virStoragePoolDestroy(p) < 0) {
			lv_error(error, "cannot stop storage pool '%s'", name);
			ok = false;
		}
		/* its directory */
		if (ok && virStoragePoolDelete(p, 0) < 0) {
			lv_error(error, "cannot delete storage pool '%s'", name);
			ok = false;
		}
	}
	if (ok && virStoragePoolUndefine(p) < 0 && virStoragePoolIsPersistent(p) == 1) {
		lv_error(error, "cannot undefine storage pool '%s'", name);
		ok = false;
	}
	virStoragePoolFree(p);
	return ok;
}

static bool undo_network(virConnectPtr c, const char *name, GError **error)
{
	virNetworkPtr n = virNetworkLookupByName(c, name);
	bool ok = true;

	if (!n)
		return true;
	if (virNetworkIsActive(n) == 1 && virNetworkDestroy(n) < 0) {
		lv_error(error, "cannot stop network '%s'", name);
		ok = false;
	} else if (virNetworkIsPersistent(n) == 1 && virNetworkUndefine(n) < 0) {
		lv_error(error, "cannot undefine network '%s'", name);
		ok = false;
	}
	virNetworkFree(n);
	return ok;
}

static bool undo_dhcp_host(virConnectPtr c, JsonObject *u, GError **error)
{
	const char *name = json_object_get_string_member(u, "name");
	const char *mac = json_object_get_string_member_with_default(u, "mac", "");
	virNetworkPtr n = virNetworkLookupByName(c, name);
	g_autofree char *xml = NULL;
	g_autofree char *host = NULL;
	unsigned flags = VIR_NETWORK_UPDATE_AFFECT_CONFIG;
	bool ok = true;

	if (!n)
		return true;
	/* the persistent definition, which keeps the entry past a restart */
	xml = virNetworkGetXMLDesc(n, VIR_NETWORK_XML_INACTIVE);
	if (!xml)
		xml = virNetworkGetXMLDesc(n, 0);
	if (virNetworkIsActive(n) == 1)
		flags |= VIR_NETWORK_UPDATE_AFFECT_LIVE;
	host = g_strdup_printf("<host mac='%s'/>", mac);
	if (xml && strstr(xml, mac) &&
	    virNetworkUpdate(n, VIR_NETWORK_UPDATE_COMMAND_DELETE, VIR_NETWORK_SECTION_IP_DHCP_HOST,
			     -1, host, flags) < 0) {
		lv_error(error, "cannot remove DHCP host %s from network '%s'", mac, name);
		ok = false;
	}
	virNetworkFree(n);
	return ok;
}

/*
 * Whether the object an undo names is the lab's: named from its hash, or
 * (a DHCP host in a network labctl did not make) with the MAC labctl
 * derives for the node.
 */
static bool libvirt_undo_check(const struct undo_ctx *u, JsonObject *undo, GError **error)
{
	const char *kind = json_object_get_string_member_with_default(undo, "kind", "");
	const char *name = json_object_get_string_member_with_default(undo, "name", "");
	g_autofree char *own = g_strdup_printf("labctl-%s", u->hash);
	g_autofree char *own_prefix = g_strdup_printf("labctl-%s-", u->hash);
	bool ours;

	if (!json_object_has_member(undo, "uri") || !json_object_has_member(undo, "name") ||
	    (!strcmp(kind, "volume") && !json_object_has_member(undo, "pool"))) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "libvirt undo without uri, name or pool");
		return false;
	}
	if (!strcmp(kind, "pool")) {
		ours = !strcmp(name, own);
	} else if (!strcmp(kind, "network")) {
		/* the first network, or an extra one: labctl-HASH-nK, K from 1 */
		const char *k = g_str_has_prefix(name, own_prefix) ? name + strlen(own_prefix) : NULL;

		ours = !strcmp(name, own) ||
		       (k && k[0] == 'n' && k[1] >= '1' && k[1] <= '9' &&
			strspn(k + 1, "0123456789") == strlen(k + 1) && strlen(k + 1) <= 2);
	} else if (!strcmp(kind, "domain") || !strcmp(kind, "volume")) {
		ours = g_str_has_prefix(name, own_prefix) && !strchr(name, '/');
	} else if (!strcmp(kind, "dhcp-host")) {
		const char *host = json_object_get_string_member_with_default(undo, "host", "");
		const char *mac = json_object_get_string_member_with_default(undo, "mac", "");
		char want[18];

		libvirt_node_mac(u->hash, host, want);
		ours = *host && !strcmp(mac, want);
		name = mac;
	} else {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "unknown libvirt object kind '%s'", kind);
		return false;
	}
	if (!ours)
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
			    "undo 'libvirt' names %s '%s', which is not this lab's: refused, and nothing was run",
			    kind, name);
	return ours;
}

static bool libvirt_undo(JsonObject *undo, GError **error)
{
	const char *uri = json_object_get_string_member_with_default(undo, "uri", NULL);
	const char *kind = json_object_get_string_member_with_default(undo, "kind", "");
	const char *name = json_object_get_string_member_with_default(undo, "name", NULL);
	const char *pool = json_object_get_string_member_with_default(undo, "pool", NULL);
	virConnectPtr c;
	bool ok;

	if (!uri || !name || (!strcmp(kind, "volume") && !pool)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "libvirt undo without uri, name or pool");
		return false;
	}
	c = lv_connect(uri, error);
	if (!c)
		return false;
	if (!strcmp(kind, "domain"))
		ok = undo_domain(c, name, error);
	else if (!strcmp(kind, "volume"))
		ok = undo_volume(c, pool, name, error);
	else if (!strcmp(kind, "pool"))
		ok = undo_pool(c, name, error);
	else if (!strcmp(kind, "network"))
		ok = undo_network(c, name, error);
	else if (!strcmp(kind, "dhcp-host"))
		ok = undo_dhcp_host(c, undo, error);
	else {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "unknown libvirt object kind '%s'", kind);
		ok = false;
	}
	conn_close(c);
	return ok;
}

/* The state directory's libvirt/ (keys, seeds, console logs), whole. */
static bool check_files(const struct undo_ctx *u, JsonObject *o, GError **error)
{
	g_autofree char *files = g_build_filename(u->state_dir, "libvirt", NULL);

	if (strcmp(provider_undo_member(o, "path"), files))
		return provider_refuse(error, "rmtree", "directory", provider_undo_member(o, "path"));
	return true;
}

static bool run_files(JsonObject *o, GError **error)
{
	return provider_rmtree(provider_undo_member(o, "path"), error);
}

/* What the libvirt provider journals, and nothing else. */
static const struct provider_undo_op libvirt_undo_ops[] = {
	{ "libvirt", libvirt_undo_check, libvirt_undo },
	{ "rmtree", check_files, run_files },
	{ NULL, NULL, NULL },
};

const struct provider provider_libvirt = {
	.name = "libvirt",
	.up = lv_provider_up,
	.access = lv_provider_access,
	.undo_ops = libvirt_undo_ops,
};
