/*
 * validate.c - semantic checks of a lab spec
 *
 * Every check reports at the position of the value it is about, or of the
 * enclosing mapping when the value is missing.  Checks go on after a
 * failure so that one run reports every problem.
 */
#include <string.h>
#include <gio/gio.h>

#include "labctl/template.h"
#include "labctl/validate.h"

#define IQN_MAX 223
#define NAME_MAX_LEN 32
#define LUN_NAME_MAX 64
#define PATH_MAX_LEN 1024
#define LUN_MAX_BYTES (64ULL << 40)

struct vctx {
	struct lab_spec *spec;
	GPtrArray *diags;
	bool ok;
};

static void verr(struct vctx *v, struct loc loc, const char *fmt, ...)
	G_GNUC_PRINTF(3, 4);

static void verr(struct vctx *v, struct loc loc, const char *fmt, ...)
{
	g_autofree char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	diags_add(v->diags, v->spec->file, loc, "%s", msg);
	v->ok = false;
}

/* ---- single values ---- */

static bool is_lower_alnum(char c)
{
	return g_ascii_islower(c) || g_ascii_isdigit(c);
}

const char *validate_name(const char *s)
{
	size_t n = strlen(s);

	if (!n)
		return "a name cannot be empty";
	if (n > NAME_MAX_LEN)
		return "a name has at most 32 characters";
	for (size_t i = 0; i < n; i++)
		if (!is_lower_alnum(s[i]) && s[i] != '-')
			return "use lowercase letters, digits and '-'";
	if (s[0] == '-' || s[n - 1] == '-')
		return "a name starts and ends with a letter or digit";
	return NULL;
}

static const char *validate_lun_name(const char *s)
{
	size_t n = strlen(s);

	if (!n)
		return "a name cannot be empty";
	if (n > LUN_NAME_MAX)
		return "a lun name has at most 64 characters";
	if (!g_ascii_isalnum(s[0]))
		return "a lun name starts with a letter or digit";
	for (size_t i = 0; i < n; i++)
		if (!g_ascii_isalnum(s[i]) && s[i] != '_' && s[i] != '-')
			return "use letters, digits, '_' and '-'";
	return NULL;
}

static bool all_hex(const char *s, size_t n)
{
	if (strlen(s) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!g_ascii_isxdigit(s[i]))
			return false;
	return true;
}

/* RFC 3720 section 3.2.6.3 (iqn., eui.) and RFC 3980 (naa.) */
const char *validate_iqn(const char *s)
{
	const char *p, *colon;

	if (strlen(s) > IQN_MAX)
		return "longer than 223 bytes";
	if (g_str_has_prefix(s, "eui."))
		return all_hex(s + 4, 16) ? NULL : "'eui.' is followed by 16 hex digits";
	if (g_str_has_prefix(s, "naa."))
		return all_hex(s + 4, 16) || all_hex(s + 4, 32) ? NULL :
		       "'naa.' is followed by 16 or 32 hex digits";
	if (!g_str_has_prefix(s, "iqn."))
		return "must start with 'iqn.', 'eui.' or 'naa.'";
	p = s + 4;
	if (!(g_ascii_isdigit(p[0]) && g_ascii_isdigit(p[1]) && g_ascii_isdigit(p[2]) &&
	      g_ascii_isdigit(p[3]) && p[4] == '-' && g_ascii_isdigit(p[5]) &&
	      g_ascii_isdigit(p[6]) && p[7] == '.'))
		return "'iqn.' is followed by a date 'yyyy-mm.'";
	if ((p[5] - '0') * 10 + (p[6] - '0') < 1 || (p[5] - '0') * 10 + (p[6] - '0') > 12)
		return "the month of the date is 01 to 12";
	p += 8;
	for (const char *c = s; *c; c++)
		if (!is_lower_alnum(*c) && *c != '-' && *c != '.' && *c != ':')
			return "only lowercase letters, digits, '-', '.' and ':' are allowed";
	/* the naming authority is a reversed domain name: labels split by dots */
	colon = strchr(p, ':');
	{
		g_autofree char *auth = g_strndup(p, colon ? (gsize)(colon - p) : strlen(p));
		g_auto(GStrv) labels = g_strsplit(auth, ".", -1);

		if (!*auth)
			return "the date is followed by a reversed domain name";
		for (char **l = labels; *l; l++)
			if (!**l || **l == '-' || (*l)[strlen(*l) - 1] == '-' || strchr(*l, ':'))
				return "the naming authority must be a reversed domain name";
	}
	if (colon && !colon[1])
		return "nothing follows ':'";
	return NULL;
}

static bool is_hostname(const char *s)
{
	g_auto(GStrv) labels = NULL;
	size_t n = strlen(s);

	if (!n || n > 253)
		return false;
	labels = g_strsplit(s, ".", -1);
	for (char **l = labels; *l; l++) {
		size_t ln = strlen(*l);

		if (!ln || ln > 63 || (*l)[0] == '-' || (*l)[ln - 1] == '-')
			return false;
		for (size_t i = 0; i < ln; i++)
			if (!g_ascii_isalnum((*l)[i]) && (*l)[i] != '-')
				return false;
	}
	/* an all-numeric last label is a mistyped IP address (RFC 3696 2) */
	{
		const char *last = strrchr(s, '.') ? strrchr(s, '.') + 1 : s;

		if (strspn(last, "0123456789") == strlen(last))
			return false;
	}
	return true;
}

const char *validate_address(const char *s)
{
	if (g_hostname_is_ip_address(s) || is_hostname(s))
		return NULL;
	return "not an ip address or host name";
}

const char *validate_portal(const char *s, char **addr, unsigned *port)
{
	g_autofree char *a = NULL;
	const char *colon;
	guint64 p = 3260;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close)
			return "missing ']' after an ipv6 address";
		a = g_strndup(s + 1, (gsize)(close - s - 1));
		colon = close[1] == ':' ? close + 1 : NULL;
		if (close[1] && !colon)
			return "expected ':PORT' after ']'";
		if (!g_hostname_is_ip_address(a) || !strchr(a, ':'))
			return "not an ipv6 address";
	} else {
		colon = strchr(s, ':');
		a = colon ? g_strndup(s, (gsize)(colon - s)) : g_strdup(s);
		if (colon && strchr(colon + 1, ':'))
			return "write an ipv6 portal as '[ADDRESS]:PORT'";
		{
			g_autoptr(GInetAddress) ia = g_inet_address_new_from_string(a);

			if (!ia)
				return "a portal address is an ip address";
		}
	}
	if (colon) {
		char *end;

		if (!g_ascii_isdigit(colon[1]))
			return "the port is a number from 1 to 65535";
		p = g_ascii_strtoull(colon + 1, &end, 10);
		if (*end || p < 1 || p > 65535)
			return "the port is a number from 1 to 65535";
	}
	if (addr)
		*addr = g_steal_pointer(&a);
	if (port)
		*port = (unsigned)p;
	return NULL;
}

const char *validate_abs_path(const char *s)
{
	g_auto(GStrv) parts = NULL;

	if (s[0] != '/')
		return "must be an absolute path";
	if (strlen(s) > PATH_MAX_LEN)
		return "path is too long";
	if (!strcmp(s, "/"))
		return "cannot be '/'";
	for (const char *c = s; *c; c++)
		if (!g_ascii_isalnum(*c) && !strchr("/._-+,:@=%", *c))
			return "use only letters, digits and '/._-+,:@=%' in paths";
	if (g_str_has_suffix(s, "/"))
		return "a path does not end with '/'";
	parts = g_strsplit(s + 1, "/", -1);
	for (char **p = parts; *p; p++) {
		if (!**p)
			return "a path has no empty components ('//')";
		if (!strcmp(*p, ".") || !strcmp(*p, ".."))
			return "a path has no '.' or '..' components";
		if (**p == '-')
			return "no path component may start with '-'";
	}
	return NULL;
}

/* ---- helpers over spec values ---- */

/*
 * Values that end up as command arguments must not look like options
 * (git's looks_like_command_line_option).  Returns false after reporting.
 */
static bool check_not_option(struct vctx *v, const struct ystr *s, const char *key)
{
	if (s->v && s->v[0] == '-') {
		verr(v, s->loc, "'%s' must not start with '-': '%s'", key, s->v);
		return false;
	}
	return true;
}

static void check_iqn(struct vctx *v, const struct ystr *s, const char *key)
{
	const char *why;

	if (!s->v || !check_not_option(v, s, key))
		return;
	why = validate_iqn(s->v);
	if (why)
		verr(v, s->loc, "malformed iqn '%s': %s", s->v, why);
}

/* @key names the key in messages; @what the kind of path ("image path"). */
static void check_path(struct vctx *v, const struct ystr *s, const char *key,
		       const char *what)
{
	const char *why;

	if (!s->v || !check_not_option(v, s, key))
		return;
	why = validate_abs_path(s->v);
	if (why)
		verr(v, s->loc, "unsafe %s '%s': %s", what, s->v, why);
}

/*
 * A file on this machine (ssh key, known_hosts, Vagrant directory): any
 * path that ssh_config(5) can hold, since "labctl ssh-config" and "labctl
 * ssh" write the key and known_hosts there.  That file has one keyword per
 * line and takes a value in double quotes without escapes: a newline would
 * start a keyword of the spec's choosing (ProxyCommand runs a command), a
 * '"' would end the value early.
 */
static void check_local_file(struct vctx *v, const struct ystr *s, const char *key)
{
	if (!s->v || !check_not_option(v, s, key))
		return;
	if (!*s->v) {
		verr(v, s->loc, "'%s' cannot be empty", key);
		return;
	}
	for (const char *c = s->v; *c; c++) {
		if (g_ascii_iscntrl(*c) || *c == '"') {
			g_autofree char *shown = g_strescape(s->v, NULL);

			verr(v, s->loc, "'%s' cannot hold a control character or '\"': '%s'",
			     key, shown);
			return;
		}
	}
}

static void check_secret(struct vctx *v, const struct ysecret *s, const char *key)
{
	const char *val;

	if (!s->ref)
		return;
	val = strchr(s->ref, ':') + 1;
	if (g_str_has_prefix(s->ref, "env:")) {
		bool ok = *val && (g_ascii_isalpha(*val) || *val == '_');

		for (const char *c = val; ok && *c; c++)
			ok = g_ascii_isalnum(*c) || *c == '_';
		if (!ok)
			verr(v, s->loc, "bad environment variable name '%s' for '%s'",
			     val, key);
	} else if (!*val) {
		verr(v, s->loc, "'%s' names an empty file", key);
	}
}

/* Words that travel to a remote shell as arguments: user names, CHAP users. */
static void check_word(struct vctx *v, const struct ystr *s, const char *key)
{
	if (!s->v || !check_not_option(v, s, key))
		return;
	if (!template_is_safe(s->v))
		verr(v, s->loc, "'%s' may hold only letters, digits and '_.,:/@%%+=-': '%s'",
		     key, s->v);
}

/*
 * A CHAP user goes into comma-separated option lists (qemu-storage-
 * daemon's --blockdev, tgtd's user=..,password=..), where a ',' starts
 * another option (a later duplicate key wins) and '=' another value.
 */
static void check_chap_user(struct vctx *v, const struct ystr *s)
{
	check_word(v, s, "user");
	if (s->v && (strchr(s->v, ',') || strchr(s->v, '=')))
		verr(v, s->loc, "'user' goes into comma-separated option lists (qemu-storage-daemon, tgtd), so it may not hold ',' or '=': '%s'",
		     s->v);
}

static void check_ssh(struct vctx *v, const struct spec_ssh *ssh)
{
	check_word(v, &ssh->user, "user");
	check_local_file(v, &ssh->key, "key");
	check_local_file(v, &ssh->known_hosts, "known_hosts");
	check_secret(v, &ssh->passphrase, "passphrase");
	check_secret(v, &ssh->password, "password");
	check_secret(v, &ssh->become_password, "become_password");
	if (ssh->become_password.ref && ssh->become.set && ssh->become.v == BECOME_NONE)
		verr(v, ssh->become_password.loc,
		     "'become_password' is for sudo, but 'become' is none here");
}

static void check_ipv4_subnet(struct vctx *v, const struct ystr *s,
			      guint nodes, GInetAddressMask **out)
{
	g_autoptr(GInetAddressMask) mask = NULL;
	guint len;

	if (!s->v || !check_not_option(v, s, "subnet"))
		return;
	mask = g_inet_address_mask_new_from_string(s->v, NULL);
	if (!mask || !strchr(s->v, '/') ||
	    g_inet_address_mask_get_family(mask) != G_SOCKET_FAMILY_IPV4) {
		verr(v, s->loc, "'subnet' must be an ipv4 network such as '10.203.0.0/24', not '%s'",
		     s->v);
		return;
	}
	len = g_inet_address_mask_get_length(mask);
	/* .1 is the gateway, nodes start at .10, the last address is broadcast */
	if (len > 30 || (1ULL << (32 - len)) < 11ULL + nodes) {
		verr(v, s->loc, "subnet '%s' is too small for %u nodes", s->v, nodes);
		return;
	}
	if (out)
		*out = g_steal_pointer(&mask);
}

/* ---- the provider ---- */

struct provider_key {
	const char *key;
	size_t offset;
	unsigned providers;     /* bit per enum provider_type */
};

#define P(t) (1u << (t))
#define PK(key, member, mask) { key, offsetof(struct spec_provider, member), mask }

static const struct provider_key provider_keys[] = {
	PK("subnet", subnet, P(PROVIDER_NETNS) | P(PROVIDER_LIBVIRT)),
	PK("uri", uri, P(PROVIDER_LIBVIRT)),
	PK("network", network, P(PROVIDER_LIBVIRT)),
	PK("base_image", base_image, P(PROVIDER_LIBVIRT)),
	PK("pool", pool, P(PROVIDER_LIBVIRT)),
	PK("kernel", kernel, P(PROVIDER_LIBVIRT)),
	PK("initrd", initrd, P(PROVIDER_LIBVIRT)),
	PK("cmdline", cmdline, P(PROVIDER_LIBVIRT)),
	PK("dir", dir, P(PROVIDER_VAGRANT)),
};

/* Whether IPv4 networks @a and @b share an address. */
static bool subnets_overlap(GInetAddressMask *a, GInetAddressMask *b)
{
	return g_inet_address_mask_matches(a, g_inet_address_mask_get_address(b)) ||
	       g_inet_address_mask_matches(b, g_inet_address_mask_get_address(a));
}

/*
 * libvirt's extra networks: each an IPv4 network of its own, apart from
 * the lab's subnet and from each other (a node's NICs must not share one).
 */
static void check_extra_subnets(struct vctx *v)
{
	struct spec_provider *p = &v->spec->provider;
	const char *subnet = p->subnet.v ? p->subnet.v : spec_default_subnet(p->type.v);
	g_autoptr(GInetAddressMask) first = NULL;
	g_autoptr(GPtrArray) masks = g_ptr_array_new_with_free_func(g_object_unref);

	if (!p->extra_subnets)
		return;
	if (p->type.v != PROVIDER_LIBVIRT) {
		const struct ystr *e = p->extra_subnets->len ? g_ptr_array_index(p->extra_subnets, 0) : NULL;

		verr(v, e ? e->loc : p->where, "'extra_subnets' does not apply to provider '%s'",
		     spec_provider_names[p->type.v]);
		return;
	}
	first = g_inet_address_mask_new_from_string(subnet, NULL);
	for (guint i = 0; i < p->extra_subnets->len; i++) {
		const struct ystr *e = g_ptr_array_index(p->extra_subnets, i);
		GInetAddressMask *m = NULL;
		guint len;

		if (!e->v || !check_not_option(v, e, "extra_subnets"))
			continue;
		m = strchr(e->v, '/') ? g_inet_address_mask_new_from_string(e->v, NULL) : NULL;
		if (!m || g_inet_address_mask_get_family(m) != G_SOCKET_FAMILY_IPV4) {
			verr(v, e->loc, "an entry of 'extra_subnets' must be an ipv4 network such as '192.168.65.0/24', not '%s'",
			     e->v);
			if (m)
				g_object_unref(m);
			continue;
		}
		len = g_inet_address_mask_get_length(m);
		if (len > 30 || (1ULL << (32 - len)) < 11ULL + v->spec->nodes->len)
			verr(v, e->loc, "extra subnet '%s' is too small for %u nodes", e->v,
			     v->spec->nodes->len);
		if (first && g_inet_address_mask_get_family(first) == G_SOCKET_FAMILY_IPV4 &&
		    subnets_overlap(first, m))
			verr(v, e->loc, "extra subnet '%s' overlaps the lab's subnet '%s': each network of the lab needs a subnet of its own",
			     e->v, subnet);
		for (guint j = 0; j < masks->len; j++) {
			GInetAddressMask *o = g_ptr_array_index(masks, j);

			if (o && subnets_overlap(o, m)) {
				g_autofree char *os = g_inet_address_mask_to_string(o);

				verr(v, e->loc, "extra subnet '%s' overlaps extra subnet '%s'", e->v, os);
				break;
			}
		}
		g_ptr_array_add(masks, m);
	}
}

static void check_provider(struct vctx *v, GInetAddressMask **subnet)
{
	struct spec_provider *p = &v->spec->provider;
	const char *type;

	if (!p->type.set)
		return;
	type = spec_provider_names[p->type.v];
	for (size_t i = 0; i < G_N_ELEMENTS(provider_keys); i++) {
		const struct ystr *s = (const struct ystr *)((char *)p + provider_keys[i].offset);

		if (s->v && !(provider_keys[i].providers & P(p->type.v)))
			verr(v, s->loc, "'%s' does not apply to provider '%s'",
			     provider_keys[i].key, type);
	}
	if (p->type.v != PROVIDER_LIBVIRT) {
		if (p->memory.set)
			verr(v, p->memory.loc, "'memory' does not apply to provider '%s'", type);
		if (p->vcpus.set)
			verr(v, p->vcpus.loc, "'vcpus' does not apply to provider '%s'", type);
		if (p->boot_timeout.set)
			verr(v, p->boot_timeout.loc, "'boot_timeout' does not apply to provider '%s'", type);
	}

	check_ipv4_subnet(v, &p->subnet, v->spec->nodes->len, subnet);
	check_extra_subnets(v);
	if (p->type.v == PROVIDER_LIBVIRT) {
		if (!p->base_image.v)
			verr(v, p->where, "provider 'libvirt' needs a 'base_image'");
		check_path(v, &p->base_image, "base_image", "base_image");
		check_path(v, &p->kernel, "kernel", "kernel");
		check_path(v, &p->initrd, "initrd", "initrd");
		if (!!p->kernel.v != !!p->initrd.v)
			verr(v, p->kernel.v ? p->kernel.loc : p->initrd.loc,
			     "direct kernel boot needs both 'kernel' and 'initrd'");
		if (p->uri.v && (!strstr(p->uri.v, ":/") || p->uri.v[0] == '-'))
			verr(v, p->uri.loc, "'uri' is a libvirt uri such as 'qemu:///system', not '%s'",
			     p->uri.v);
		if (p->network.v && validate_name(p->network.v))
			verr(v, p->network.loc, "invalid network name '%s': %s",
			     p->network.v, validate_name(p->network.v));
		if (p->pool.v && validate_name(p->pool.v))
			verr(v, p->pool.loc, "invalid pool name '%s': %s",
			     p->pool.v, validate_name(p->pool.v));
		if (p->memory.set && p->memory.v < (128ULL << 20))
			verr(v, p->memory.loc, "'memory' must be at least 128 MiB");
	}
	if (p->type.v == PROVIDER_VAGRANT)
		check_local_file(v, &p->dir, "dir");
}

/*
 * Trees a lab must not write into (an image) or mount over (a mount
 * path hides what is below it): refused for the tree itself and for
 * everything below, whatever the depth.
 */
static const char *const image_trees[] = {
	"/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/proc",
	"/root/.ssh", "/sbin", "/sys", "/usr", "/var/lib/labctl", NULL,
};

static const char *const mount_trees[] = {
	"/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/proc",
	"/root/.ssh", "/run", "/sbin", "/snap", "/sys", "/usr", "/var/backups", "/var/cache",
	"/var/lib", "/var/log", "/var/mail", "/var/spool", NULL,
};

/* Directories that are mounted over by no lab, though below them is fine. */
static const char *const mount_dirs[] = {
	"/", "/home", "/media", "/opt", "/root", "/srv", "/tmp", "/var", "/var/tmp", NULL,
};

const char *validate_system_tree(const char *path, const char *const *trees)
{
	for (const char *const *t = trees; *t; t++) {
		size_t n = strlen(*t);

		if (!strncmp(path, *t, n) && (path[n] == '\0' || path[n] == '/'))
			return *t;
	}
	/* a home's .ssh, wherever the home is */
	if (strstr(path, "/.ssh/") || g_str_has_suffix(path, "/.ssh"))
		return ".ssh";
	return NULL;
}

/* ---- nodes ---- */

static void check_lun(struct vctx *v, struct spec_node *n, struct spec_lun *l)
{
	const char *why;

	if (l->name.v && check_not_option(v, &l->name, "name")) {
		why = validate_lun_name(l->name.v);
		if (why)
			verr(v, l->name.loc, "invalid lun name '%s': %s", l->name.v, why);
	}
	check_path(v, &l->image, "image", "image path");
	if (l->image.v && !validate_abs_path(l->image.v)) {
		const char *tree = validate_system_tree(l->image.v, image_trees);

		if (tree)
			verr(v, l->image.loc, "unsafe image path '%s': below '%s', not a place for a backing file",
			     l->image.v, tree);
	}
	if (l->size.set) {
		if (l->size.v < (1ULL << 20))
			verr(v, l->size.loc, "lun size must be at least 1 MiB, not %" G_GUINT64_FORMAT " bytes",
			     l->size.v);
		else if (l->size.v % (1ULL << 20))
			verr(v, l->size.loc, "lun size must be a whole number of MiB");
		else if (l->size.v > LUN_MAX_BYTES)
			verr(v, l->size.loc, "lun size must be at most 64 TiB");
	}
	(void)n;
}

static void check_acl(struct vctx *v, struct spec_node *disk, const struct ystr *a)
{
	struct spec_node *h;

	if (!a->v || !check_not_option(v, a, "acl"))
		return;
	if (g_str_has_prefix(a->v, "iqn.") || g_str_has_prefix(a->v, "eui.") ||
	    g_str_has_prefix(a->v, "naa.")) {
		check_iqn(v, a, "acl");
		return;
	}
	h = spec_find_node(v->spec, a->v);
	if (!h)
		verr(v, a->loc, "acl of '%s' names '%s', which is not a node of this lab",
		     disk->name.v, a->v);
	else if (h->role.set && h->role.v != ROLE_HOST)
		verr(v, a->loc, "acl of '%s' names '%s', which is a disk node, not a host",
		     disk->name.v, a->v);
}

/* Reports the second of two equal values in @list (struct ystr *). */
static void check_unique(struct vctx *v, GPtrArray *list, const char *what)
{
	for (guint i = 0; list && i < list->len; i++) {
		const struct ystr *a = g_ptr_array_index(list, i);

		for (guint j = 0; j < i; j++) {
			const struct ystr *b = g_ptr_array_index(list, j);

			if (a->v && b->v && !strcmp(a->v, b->v)) {
				verr(v, a->loc, "duplicate %s '%s' (first at line %u)",
				     what, a->v, b->loc.line);
				break;
			}
		}
	}
}

/* 10.0.0.1 and 10.0.0.1:3260 are the same portal */
static void check_unique_portals(struct vctx *v, GPtrArray *portals)
{
	for (guint i = 0; portals && i < portals->len; i++) {
		const struct ystr *a = g_ptr_array_index(portals, i);
		g_autofree char *aa = NULL;
		unsigned ap;

		if (!a->v || validate_portal(a->v, &aa, &ap))
			continue;
		for (guint j = 0; j < i; j++) {
			const struct ystr *b = g_ptr_array_index(portals, j);
			g_autofree char *ba = NULL;
			unsigned bp;

			if (!b->v || validate_portal(b->v, &ba, &bp))
				continue;
			if (ap == bp && !strcmp(aa, ba)) {
				verr(v, a->loc, "duplicate portal '%s' (first at line %u)",
				     a->v, b->loc.line);
				break;
			}
		}
	}
}

static void check_target(struct vctx *v, struct spec_node *n)
{
	struct spec_target *t = &n->target;

	check_iqn(v, &t->iqn, "iqn");
	for (guint i = 0; t->portals && i < t->portals->len; i++) {
		const struct ystr *p = g_ptr_array_index(t->portals, i);
		const char *why;

		if (!check_not_option(v, p, "portals"))
			continue;
		why = validate_portal(p->v, NULL, NULL);
		if (why)
			verr(v, p->loc, "bad portal '%s': %s", p->v, why);
	}
	check_unique_portals(v, t->portals);
	if ((!t->portals || !t->portals->len) && n->address.v &&
	    !g_hostname_is_ip_address(n->address.v))
		verr(v, t->where, "disk node '%s' has a host name for an address, so its target needs explicit 'portals'",
		     n->name.v);
	if ((!t->portals || !t->portals->len) && !n->address.v &&
	    v->spec->provider.type.v == PROVIDER_VAGRANT)
		verr(v, t->where, "disk node '%s' has no address in the spec, so its target needs explicit 'portals'",
		     n->name.v);

	if (t->luns && !t->luns->len)
		verr(v, t->where, "target of '%s' needs at least one lun", n->name.v);
	for (guint i = 0; t->luns && i < t->luns->len; i++) {
		struct spec_lun *l = g_ptr_array_index(t->luns, i);

		check_lun(v, n, l);
		for (guint j = 0; j < i; j++) {
			struct spec_lun *o = g_ptr_array_index(t->luns, j);

			if (l->name.v && o->name.v && !strcmp(l->name.v, o->name.v))
				verr(v, l->name.loc, "duplicate lun name '%s' (first at line %u)",
				     l->name.v, o->name.loc.line);
			if (l->image.v && o->image.v && !strcmp(l->image.v, o->image.v))
				verr(v, l->image.loc, "luns '%s' and '%s' share the image '%s'",
				     o->name.v, l->name.v, l->image.v);
			if (l->number.set && o->number.set && l->number.v == o->number.v)
				verr(v, l->number.loc, "duplicate lun number %" G_GUINT64_FORMAT,
				     l->number.v);
		}
	}

	for (guint i = 0; t->luns && t->backend.v == TARGET_TGT && i < t->luns->len; i++) {
		struct spec_lun *l = g_ptr_array_index(t->luns, i);

		if (l->number.set && l->number.v == 0)
			verr(v, l->number.loc, "tgt keeps lun 0 for its controller: number luns from 1");
	}
	for (guint i = 0; t->acl && i < t->acl->len; i++)
		check_acl(v, n, g_ptr_array_index(t->acl, i));
	check_unique(v, t->acl, "acl entry");

	if (t->chap.where.line) {
		check_chap_user(v, &t->chap.user);
		check_secret(v, &t->chap.password, "password");
		if (t->chap.mutual.where.line) {
			check_chap_user(v, &t->chap.mutual.user);
			check_secret(v, &t->chap.mutual.password, "password");
		}
	}
}

/*
 * A mount's fio run: the bounds the decoder cannot say (sizes), and a file
 * that fits the LUN's file system beside what is there (half the LUN at
 * most; @lun is NULL when the mount names none that exists).
 */
static void check_fio(struct vctx *v, const struct spec_mount *m, const struct spec_lun *lun)
{
	const struct spec_fio *f = &m->fio;
	const char *path = m->path.v ? m->path.v : "";
	guint64 bs = f->bs.set ? f->bs.v : SPEC_FIO_BS;
	guint64 size = f->size.set ? f->size.v : SPEC_FIO_SIZE;

	if (f->bs.set && (bs < 512 || bs > SPEC_FIO_BS_MAX || bs % 512))
		verr(v, f->bs.loc, "'bs' must be a multiple of 512 bytes from 512 B to 16 MiB, not %" G_GUINT64_FORMAT " bytes, in 'fio' of mount '%s'",
		     bs, path);
	if (f->size.set && (size < SPEC_FIO_SIZE_MIN || size > SPEC_FIO_SIZE_MAX))
		verr(v, f->size.loc, "'size' must be from 1 MiB to 4 GiB, not %" G_GUINT64_FORMAT " bytes, in 'fio' of mount '%s'",
		     size, path);
	else if (size < bs)
		verr(v, f->size.set ? f->size.loc : f->where,
		     "'size' (%" G_GUINT64_FORMAT " bytes) is smaller than 'bs' (%" G_GUINT64_FORMAT " bytes) in 'fio' of mount '%s'",
		     size, bs, path);
	else if (lun && lun->size.set && size > lun->size.v / 2)
		verr(v, f->size.set ? f->size.loc : f->where,
		     "fio's file of %" G_GUINT64_FORMAT " MiB ('size') does not fit lun '%s' of %" G_GUINT64_FORMAT " MiB mounted on '%s': it may take half the lun at most",
		     size >> 20, lun->name.v, lun->size.v >> 20, path);
}

static void check_mount(struct vctx *v, struct spec_node *host, struct spec_mount *m)
{
	struct spec_node *disk;
	struct spec_lun *lun = NULL;

	if (m->disk.v && check_not_option(v, &m->disk, "disk")) {
		disk = spec_find_node(v->spec, m->disk.v);
		if (!disk) {
			verr(v, m->disk.loc, "mount on '%s' names disk '%s', which is not a node of this lab",
			     host->name.v, m->disk.v);
		} else if (disk->role.set && disk->role.v != ROLE_DISK) {
			verr(v, m->disk.loc, "mount on '%s' names '%s', which is a host, not a disk node",
			     host->name.v, m->disk.v);
		} else if (m->lun.v) {
			lun = spec_find_lun(disk, m->lun.v);
			if (!lun)
				verr(v, m->lun.loc, "mount on '%s' names lun '%s', which disk '%s' does not have",
				     host->name.v, m->lun.v, m->disk.v);
			else if (m->fs.v == FS_XFS && lun->size.set &&
				 lun->size.v < VALIDATE_XFS_MIN_BYTES)
				verr(v, m->fs.set ? m->fs.loc : m->where,
				     "xfs needs a lun of at least 300 MiB, and '%s' has %" G_GUINT64_FORMAT " MiB",
				     m->lun.v, lun->size.v >> 20);
		}
	}
	check_path(v, &m->path, "path", "mount path");
	if (m->path.v && !validate_abs_path(m->path.v)) {
		const char *tree = validate_system_tree(m->path.v, mount_trees);

		if (tree)
			verr(v, m->path.loc, "unsafe mount path '%s': below '%s', which a mount would hide",
			     m->path.v, tree);
		for (const char *const *d = mount_dirs; !tree && *d; d++)
			if (!strcmp(m->path.v, *d))
				verr(v, m->path.loc, "unsafe mount path '%s': a system directory",
				     m->path.v);
	}
	if (m->options.v && check_not_option(v, &m->options, "options")) {
		for (const char *c = m->options.v; *c; c++) {
			if (!g_ascii_isalnum(*c) && !strchr("=,_.:/+-", *c)) {
				verr(v, m->options.loc, "bad mount options '%s': use letters, digits and '=,_.:/+-'",
				     m->options.v);
				break;
			}
		}
	}
	if (m->test_file.v && check_not_option(v, &m->test_file, "test_file")) {
		if (!template_is_safe(m->test_file.v) || strchr(m->test_file.v, '/') ||
		    !strcmp(m->test_file.v, ".") || !strcmp(m->test_file.v, ".."))
			verr(v, m->test_file.loc, "'test_file' is a plain file name, not '%s'",
			     m->test_file.v);
	}
	if (m->fio.where.line)
		check_fio(v, m, lun);
}

/*
 * A test name of the conformance suite, FAMILY[.SUITE[.TEST]] (libiscsi's
 * "ALL", "SCSI.Read10", "ALL.Inquiry.Standard"): words of letters, digits
 * and '_' joined by at most two dots.  Whether the suite has the test is
 * for the node's iscsi-test-cu to say.
 */
static bool conformance_test_name(const char *t)
{
	guint dots = 0;
	bool word = false;

	for (const char *c = t; *c; c++) {
		if (*c == '.') {
			if (!word || ++dots > 2)
				return false;
			word = false;
		} else if (g_ascii_isalnum(*c) || *c == '_') {
			word = true;
		} else {
			return false;
		}
	}
	return word && strlen(t) <= 200;
}

static void check_conformance(struct vctx *v, struct spec_node *host, struct spec_conformance *c)
{
	struct spec_node *disk;

	if (c->disk.v && check_not_option(v, &c->disk, "disk")) {
		disk = spec_find_node(v->spec, c->disk.v);
		if (!disk)
			verr(v, c->disk.loc, "conformance run on '%s' names disk '%s', which is not a node of this lab",
			     host->name.v, c->disk.v);
		else if (disk->role.set && disk->role.v != ROLE_DISK)
			verr(v, c->disk.loc, "conformance run on '%s' names '%s', which is a host, not a disk node",
			     host->name.v, c->disk.v);
		else if (c->lun.v && !spec_find_lun(disk, c->lun.v))
			verr(v, c->lun.loc, "conformance run on '%s' names lun '%s', which disk '%s' does not have",
			     host->name.v, c->lun.v, c->disk.v);
	}
	if (c->tests && !c->tests->len)
		verr(v, c->where, "'tests' of a conformance run on '%s' is empty: leave it out to run them all (ALL), or name some",
		     host->name.v);
	for (guint i = 0; c->tests && i < c->tests->len; i++) {
		const struct ystr *t = g_ptr_array_index(c->tests, i);

		if (t->v && !conformance_test_name(t->v))
			verr(v, t->loc, "'%s' is not a test name of the form FAMILY[.SUITE[.TEST]] (letters, digits and '_', as 'ALL.Inquiry' or 'SCSI.Read10.Simple'; iscsi-test-cu -l lists them)",
			     t->v);
	}
	check_unique(v, c->tests, "test");
	for (guint i = 0; c->known_failures && i < c->known_failures->len; i++) {
		const struct ystr *t = g_ptr_array_index(c->known_failures, i);

		/* as the report names a case: a suite and a test, no family */
		if (t->v && (!conformance_test_name(t->v) || !strchr(t->v, '.') ||
			     strchr(strchr(t->v, '.') + 1, '.')))
			verr(v, t->loc, "'%s' is not a case as the report names it, SUITE.TEST (as 'GetLBAStatus.BeyondEol', without the family)",
			     t->v);
	}
	check_unique(v, c->known_failures, "known failure");
}

/* Whether @inner is below directory @outer ("/mnt/x" in "/mnt"). */
static bool path_inside(const char *inner, const char *outer)
{
	size_t n = strlen(outer);

	return !strncmp(inner, outer, n) && inner[n] == '/';
}

static void check_initiator(struct vctx *v, struct spec_node *n)
{
	struct spec_initiator *ini = &n->initiator;

	check_iqn(v, &ini->iqn, "iqn");
	for (guint i = 0; ini->targets && i < ini->targets->len; i++) {
		const struct ystr *t = g_ptr_array_index(ini->targets, i);
		struct spec_node *d;

		if (!check_not_option(v, t, "targets"))
			continue;
		d = spec_find_node(v->spec, t->v);
		if (!d)
			verr(v, t->loc, "'%s' logs in to '%s', which is not a node of this lab",
			     n->name.v, t->v);
		else if (d->role.set && d->role.v != ROLE_DISK)
			verr(v, t->loc, "'%s' logs in to '%s', which is a host, not a disk node",
			     n->name.v, t->v);
	}
	check_unique(v, ini->targets, "target");

	for (guint i = 0; ini->mounts && i < ini->mounts->len; i++) {
		struct spec_mount *m = g_ptr_array_index(ini->mounts, i);

		check_mount(v, n, m);
		for (guint j = 0; j < i; j++) {
			struct spec_mount *o = g_ptr_array_index(ini->mounts, j);

			if (m->path.v && o->path.v && !strcmp(m->path.v, o->path.v))
				verr(v, m->path.loc, "duplicate mount path '%s' (first at line %u)",
				     m->path.v, o->path.loc.line);
			else if (m->path.v && o->path.v && path_inside(m->path.v, o->path.v))
				verr(v, m->path.loc, "mount path '%s' lies inside mount path '%s'; use separate directories",
				     m->path.v, o->path.v);
			else if (m->path.v && o->path.v && path_inside(o->path.v, m->path.v))
				verr(v, m->path.loc, "mount path '%s' holds mount path '%s'; use separate directories",
				     m->path.v, o->path.v);
			if (m->disk.v && o->disk.v && m->lun.v && o->lun.v &&
			    !strcmp(m->disk.v, o->disk.v) && !strcmp(m->lun.v, o->lun.v))
				verr(v, m->lun.loc, "lun '%s' of '%s' is mounted twice on '%s'",
				     m->lun.v, m->disk.v, n->name.v);
		}
	}
	for (guint i = 0; ini->conformance && i < ini->conformance->len; i++)
		check_conformance(v, n, g_ptr_array_index(ini->conformance, i));
	if (ini->multipath.v && ini->backend.v != INITIATOR_OPEN_ISCSI)
		verr(v, ini->multipath.loc, "'multipath' needs the open-iscsi backend: libiscsi gives the kernel no block device that dm-multipath could use");
	for (guint i = 0; ini->multipath.v && ini->mounts && i < ini->mounts->len; i++) {
		struct spec_mount *m = g_ptr_array_index(ini->mounts, i);

		if (m->persist.v)
			verr(v, m->persist.loc, "mount '%s' of host '%s' cannot 'persist' with 'multipath': its device is a link labctl makes under /run, which a boot does not make again",
			     m->path.v ? m->path.v : "", n->name.v);
	}
}

static void check_node(struct vctx *v, struct spec_node *n, guint index)
{
	enum provider_type ptype = v->spec->provider.type.v;
	const char *why;

	/* not a mapping: already reported, and nothing in it to check */
	if (!n->name.v && !n->role.set)
		return;

	if (n->name.v && check_not_option(v, &n->name, "name")) {
		why = validate_name(n->name.v);
		if (why)
			verr(v, n->name.loc, "invalid node name '%s': %s", n->name.v, why);
	}
	/* the name index holds the first node of each name: only a later one scans */
	for (guint j = 0; n->name.v && j < index &&
			  (!v->spec->node_index ||
			   g_hash_table_lookup(v->spec->node_index, n->name.v) != n); j++) {
		struct spec_node *o = g_ptr_array_index(v->spec->nodes, j);

		if (o->name.v && !strcmp(n->name.v, o->name.v))
			verr(v, n->name.loc, "duplicate node name '%s' (first at line %u)",
			     n->name.v, o->name.loc.line);
	}

	if (n->address.v && check_not_option(v, &n->address, "address")) {
		why = validate_address(n->address.v);
		if (why)
			verr(v, n->address.loc, "bad address '%s': %s", n->address.v, why);
	}
	if (!n->address.v && v->spec->provider.type.set && ptype == PROVIDER_STATIC)
		verr(v, n->where, "node '%s' needs an 'address' with provider 'static'",
		     n->name.v);
	if (n->address.v && (ptype == PROVIDER_NETNS || ptype == PROVIDER_LIBVIRT) &&
	    !g_hostname_is_ip_address(n->address.v))
		verr(v, n->address.loc, "with provider '%s' an address is an ip address, not '%s'",
		     spec_provider_names[ptype], n->address.v);
	if (n->extra_addresses) {
		guint want = v->spec->provider.extra_subnets ? v->spec->provider.extra_subnets->len : 0;
		const struct ystr *e0 = n->extra_addresses->len ? g_ptr_array_index(n->extra_addresses, 0) : NULL;
		struct loc at = e0 ? e0->loc : n->where;

		if (ptype != PROVIDER_LIBVIRT || !want)
			verr(v, at, "'extra_addresses' of node '%s' are its addresses on the libvirt provider's 'extra_subnets', and there are none",
			     n->name.v);
		else if (n->extra_addresses->len != want)
			verr(v, at, "node '%s' has %u 'extra_addresses' for %u 'extra_subnets' of the provider: one for each",
			     n->name.v, n->extra_addresses->len, want);
		for (guint i = 0; i < n->extra_addresses->len; i++) {
			const struct ystr *e = g_ptr_array_index(n->extra_addresses, i);

			if (e->v && check_not_option(v, e, "extra_addresses") &&
			    !(g_hostname_is_ip_address(e->v) && !strchr(e->v, ':')))
				verr(v, e->loc, "an entry of 'extra_addresses' is an ipv4 address, not '%s'", e->v);
		}
	}
	if (n->vm.where.line && ptype != PROVIDER_LIBVIRT)
		verr(v, n->vm.where, "'vm' applies only to provider 'libvirt'");
	if (n->vm.uri.v && (!strstr(n->vm.uri.v, ":/") || n->vm.uri.v[0] == '-'))
		verr(v, n->vm.uri.loc, "'uri' is a libvirt uri such as 'qemu:///system', not '%s'",
		     n->vm.uri.v);
	if (n->vm.memory.set && n->vm.memory.v < (128ULL << 20))
		verr(v, n->vm.memory.loc, "'memory' must be at least 128 MiB");
	check_ssh(v, &n->ssh);
	if (n->ssh.where.line && (ptype == PROVIDER_NETNS || ptype == PROVIDER_LIBVIRT))
		verr(v, n->ssh.where, "'ssh' does not apply to provider '%s': labctl makes the nodes' keys and logs in as root",
		     spec_provider_names[ptype]);

	if (!n->role.set)
		return;
	if (n->role.v == ROLE_DISK) {
		if (n->initiator.where.line)
			verr(v, n->initiator.where, "'initiator' applies only to host nodes, and '%s' is a disk node",
			     n->name.v);
		if (!n->target.where.line)
			verr(v, n->where, "disk node '%s' needs a 'target'", n->name.v);
		else
			check_target(v, n);
	} else {
		if (n->target.where.line)
			verr(v, n->target.where, "'target' applies only to disk nodes, and '%s' is a host",
			     n->name.v);
		check_initiator(v, n);
	}
}

/* ---- checks that need the defaults resolved ---- */

/* Whether host @n logs in to the disk named @disk (its resolved 'targets'). */
static bool host_logs_in_to(const struct spec_node *n, const char *disk)
{
	for (guint k = 0; n->initiator.targets && k < n->initiator.targets->len; k++) {
		const struct ystr *t = g_ptr_array_index(n->initiator.targets, k);

		if (!g_strcmp0(t->v, disk))
			return true;
	}
	return false;
}

/*
 * A node's addresses on the extra networks, given or derived: one in
 * each, inside it, and no two nodes with the same (@seen: address ->
 * node).
 */
static void check_extra_addresses(struct vctx *v, struct spec_node *n, GHashTable *seen)
{
	GPtrArray *nets = v->spec->provider.extra_subnets;

	if (!nets || !n->extra_addresses || n->extra_addresses->len != nets->len ||
	    v->spec->provider.type.v != PROVIDER_LIBVIRT)
		return;
	for (guint i = 0; i < nets->len; i++) {
		const struct ystr *net = g_ptr_array_index(nets, i);
		struct ystr *e = g_ptr_array_index(n->extra_addresses, i);
		g_autoptr(GInetAddressMask) m = net->v && strchr(net->v, '/') ?
			g_inet_address_mask_new_from_string(net->v, NULL) : NULL;
		g_autoptr(GInetAddress) a = NULL;
		struct spec_node *other;

		if (!m || g_inet_address_mask_get_family(m) != G_SOCKET_FAMILY_IPV4)
			continue;
		if (!e->v) {
			verr(v, n->address.loc.line ? n->address.loc : n->where,
			     "node '%s' needs 'extra_addresses': its address '%s' has no counterpart in extra subnet '%s'",
			     n->name.v, n->address.v ? n->address.v : "", net->v);
			continue;
		}
		a = g_inet_address_new_from_string(e->v);
		if (!a || g_inet_address_get_family(a) != G_SOCKET_FAMILY_IPV4)
			continue;
		if (!g_inet_address_mask_matches(m, a))
			verr(v, e->loc.line ? e->loc : n->where,
			     "node '%s': address '%s'%s is outside extra subnet '%s'", n->name.v, e->v,
			     e->loc.line ? "" : " (derived from its address)", net->v);
		else if ((other = g_hash_table_lookup(seen, e->v)))
			verr(v, e->loc.line ? e->loc : n->where,
			     "nodes '%s' and '%s' have the same address '%s' on extra subnet '%s'",
			     other->name.v, n->name.v, e->v, net->v);
		else
			g_hash_table_insert(seen, e->v, n);
	}
}

/*
 * Fills @mounted ("DISK/LUN" -> the first host that mounts it) for
 * check_raw_luns.
 */
static void check_resolved(struct vctx *v, GInetAddressMask *subnet, GHashTable *mounted)
{
	GPtrArray *nodes = v->spec->nodes;
	g_autoptr(GHashTable) iqns = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GHashTable) addrs = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GHashTable) extra_addrs = g_hash_table_new(g_str_hash, g_str_equal);

	for (guint i = 0; i < nodes->len; i++) {
		struct spec_node *n = g_ptr_array_index(nodes, i);
		struct ystr *iqn = n->role.v == ROLE_DISK ? &n->target.iqn : &n->initiator.iqn;
		struct spec_node *other;

		if (iqn->v && (other = g_hash_table_lookup(iqns, iqn->v)))
			verr(v, iqn->loc.line ? iqn->loc : n->where,
			     "nodes '%s' and '%s' have the same iqn '%s'",
			     other->name.v, n->name.v, iqn->v);
		else if (iqn->v)
			g_hash_table_insert(iqns, iqn->v, n);

		if (n->address.v && (other = g_hash_table_lookup(addrs, n->address.v)))
			verr(v, n->address.loc.line ? n->address.loc : n->where,
			     "nodes '%s' and '%s' have the same address '%s'",
			     other->name.v, n->name.v, n->address.v);
		else if (n->address.v)
			g_hash_table_insert(addrs, n->address.v, n);

		if (subnet && n->address.loc.line && g_hostname_is_ip_address(n->address.v)) {
			g_autoptr(GInetAddress) a = g_inet_address_new_from_string(n->address.v);

			if (!g_inet_address_mask_matches(subnet, a))
				verr(v, n->address.loc, "address '%s' is outside the subnet '%s'",
				     n->address.v, v->spec->provider.subnet.v);
		}

		check_extra_addresses(v, n, extra_addrs);

		if (n->role.v != ROLE_HOST || !n->initiator.mounts)
			continue;
		for (guint j = 0; j < n->initiator.mounts->len; j++) {
			struct spec_mount *m = g_ptr_array_index(n->initiator.mounts, j);
			g_autofree char *key = NULL;

			if (!m->disk.v || !m->lun.v)
				continue;
			other = spec_find_node(v->spec, m->disk.v);
			if (!host_logs_in_to(n, m->disk.v) && other && other->role.v == ROLE_DISK)
				verr(v, m->disk.loc, "host '%s' mounts a lun of '%s' but does not log in to it (see its 'targets' and the 'acl' of '%s')",
				     n->name.v, m->disk.v, m->disk.v);
			key = g_strdup_printf("%s/%s", m->disk.v, m->lun.v);
			if ((other = g_hash_table_lookup(mounted, key)) && other != n)
				verr(v, m->lun.loc, "lun '%s' of '%s' is mounted by both '%s' and '%s'; xfs and ext4 cannot be shared",
				     m->lun.v, m->disk.v, other->name.v, n->name.v);
			else
				g_hash_table_insert(mounted, g_steal_pointer(&key), n);
		}
	}
}

/*
 * A conformance run writes all over its LUN: the LUN must be raw (no
 * host of the lab mounts it), tested by one run only, and one its host
 * logs in to.  After check_resolved (the hosts' targets).
 */
static void check_raw_luns(struct vctx *v, GHashTable *mounted)
{
	GPtrArray *nodes = v->spec->nodes;
	g_autoptr(GHashTable) tested = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	for (guint i = 0; i < nodes->len; i++) {
		struct spec_node *n = g_ptr_array_index(nodes, i);

		for (guint j = 0; n->role.v == ROLE_HOST && n->initiator.conformance &&
				  j < n->initiator.conformance->len; j++) {
			struct spec_conformance *c = g_ptr_array_index(n->initiator.conformance, j);
			g_autofree char *key = NULL;
			struct spec_node *other;

			if (!c->disk.v || !c->lun.v)
				continue;
			other = spec_find_node(v->spec, c->disk.v);
			if (!host_logs_in_to(n, c->disk.v) && other && other->role.v == ROLE_DISK)
				verr(v, c->disk.loc, "host '%s' runs a conformance suite on a lun of '%s' but does not log in to it (see its 'targets' and the 'acl' of '%s')",
				     n->name.v, c->disk.v, c->disk.v);
			key = g_strdup_printf("%s/%s", c->disk.v, c->lun.v);
			if ((other = g_hash_table_lookup(mounted, key)))
				verr(v, c->lun.loc, "lun '%s' of '%s' is mounted by '%s': a conformance suite writes all over its lun, so it runs only on a raw lun that no host mounts",
				     c->lun.v, c->disk.v, other->name.v);
			else if ((other = g_hash_table_lookup(tested, key)))
				verr(v, c->lun.loc, "lun '%s' of '%s' is already tested by a conformance run on '%s': two runs on one lun would write over each other",
				     c->lun.v, c->disk.v, other->name.v);
			else
				g_hash_table_insert(tested, g_steal_pointer(&key), n);
		}
	}
}

/*
 * Every host logs in to every disk by default, so the plan grows with
 * hosts x disks.  A lab of hundreds of hosts that all reach hundreds of
 * disks is a mistake (and a plan of gigabytes); say so at once.
 */
static void check_logins(struct vctx *v)
{
	const struct lab_spec *spec = v->spec;
	guint64 logins = 0;

	for (guint i = 0; i < spec->nodes->len; i++) {
		const struct spec_node *n = g_ptr_array_index(spec->nodes, i);

		if (n->role.v == ROLE_HOST && n->initiator.targets)
			logins += n->initiator.targets->len;
	}
	if (logins > SPEC_MAX_LOGINS)
		verr(v, spec->where, "the hosts of this lab log in to %" G_GUINT64_FORMAT
		     " targets in all, more than %u: name the hosts each disk admits ('acl') or the disks each host uses ('targets')",
		     logins, SPEC_MAX_LOGINS);
}

bool validate_spec(struct lab_spec *spec, GPtrArray *diags)
{
	struct vctx v = { .spec = spec, .diags = diags, .ok = true };
	g_autoptr(GInetAddressMask) subnet = NULL;
	g_autoptr(GHashTable) mounted = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	const char *why;

	if (spec->version.set && spec->version.v != SPEC_VERSION)
		verr(&v, spec->version.loc, "unsupported spec version %" G_GUINT64_FORMAT " (this labctl reads version %d)",
		     spec->version.v, SPEC_VERSION);
	if (spec->name.v && check_not_option(&v, &spec->name, "lab")) {
		why = validate_name(spec->name.v);
		if (why)
			verr(&v, spec->name.loc, "invalid lab name '%s': %s", spec->name.v, why);
	}
	check_provider(&v, &subnet);
	check_ssh(&v, &spec->ssh);
	if (spec->ssh.where.line && spec->provider.type.set &&
	    (spec->provider.type.v == PROVIDER_NETNS || spec->provider.type.v == PROVIDER_LIBVIRT))
		verr(&v, spec->ssh.where, "'ssh' does not apply to provider '%s': labctl makes the nodes' keys and logs in as root",
		     spec_provider_names[spec->provider.type.v]);
	if (spec->nodes_given && !spec->nodes->len)
		verr(&v, spec->where, "a lab needs at least one node");
	for (guint i = 0; i < spec->nodes->len; i++)
		check_node(&v, g_ptr_array_index(spec->nodes, i), i);

	spec_resolve(spec);
	/* addresses are checked against the default subnet too */
	if (!subnet && spec->provider.subnet.v && !spec->provider.subnet.loc.line)
		subnet = g_inet_address_mask_new_from_string(spec->provider.subnet.v, NULL);
	check_resolved(&v, subnet, mounted);
	check_raw_luns(&v, mounted);
	check_logins(&v);
	return v.ok;
}
