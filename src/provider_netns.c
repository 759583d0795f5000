/*
 * provider_netns.c - nodes as network namespaces on this machine
 *
 * Each node is a network namespace joined by a veth pair to a bridge of the
 * lab, with a private mount namespace (its own /run, and an empty home over
 * /root so that root's shell start-up files stay out of every command) in
 * which its own OpenSSH sshd runs.  Host keys and the client key are made
 * here, so the lab's known_hosts is written from them: no key is ever
 * trusted on first use.
 *
 * Runtime files (keys, sshd configs, homes) live in
 * /var/lib/labctl/netns/HASH, outside /run and /root because a node
 * replaces those.  HASH comes from the state directory, so two labs of the
 * same name in different places do not collide; it also names the bridge
 * and veth devices, whose names may have at most 15 characters.
 */
#include <errno.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sched.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#include "labctl/hostfw.h"
#include "labctl/parallel.h"
#include "labctl/provider.h"
#include "labctl/undo.h"

#define NETNS_RUNTIME_ROOT PROVIDER_NETNS_RUNTIME_ROOT
#define SSHD_WAIT_SECONDS 10

struct netns_lab {
	char hash[9];
	char *bridge;           /* "lcHASH" */
	char *runtime;          /* NETNS_RUNTIME_ROOT/HASH */
	char *client_key;
	char *known_hosts;      /* in the state directory */
	char *gateway;          /* the bridge's address */
	guint prefix;
};

static void netns_lab_clear(struct netns_lab *l)
{
	g_free(l->bridge);
	g_free(l->runtime);
	g_free(l->client_key);
	g_free(l->known_hosts);
	g_free(l->gateway);
}

static bool netns_lab_init(struct netns_lab *l, struct provider_ctx *ctx, GError **error)
{
	g_autofree char *abs = g_canonicalize_filename(ctx->state_dir, NULL);
	g_autofree char *sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256, abs, -1);
	g_autoptr(GInetAddressMask) mask = NULL;
	const guint8 *b;
	guint32 net;

	memcpy(l->hash, sum, 8);
	l->hash[8] = '\0';
	l->bridge = g_strdup_printf("lc%s", l->hash);
	l->runtime = g_build_filename(NETNS_RUNTIME_ROOT, l->hash, NULL);
	l->client_key = g_build_filename(l->runtime, "client_key", NULL);
	l->known_hosts = g_build_filename(ctx->state_dir, "known_hosts", NULL);

	mask = g_inet_address_mask_new_from_string(ctx->spec->provider.subnet.v, error);
	if (!mask)
		return false;
	l->prefix = g_inet_address_mask_get_length(mask);
	b = g_inet_address_to_bytes(g_inet_address_mask_get_address(mask));
	net = (guint32)b[0] << 24 | (guint32)b[1] << 16 | (guint32)b[2] << 8 | b[3];
	net += 1;
	l->gateway = g_strdup_printf("%u.%u.%u.%u", net >> 24, (net >> 16) & 255,
				     (net >> 8) & 255, net & 255);
	return true;
}

static char *ns_name(const struct netns_lab *l, const struct spec_node *n)
{
	return g_strdup_printf("labctl-%s-%s", l->hash, n->name.v);
}

static char *node_dir(const struct netns_lab *l, const struct spec_node *n)
{
	return g_build_filename(l->runtime, n->name.v, NULL);
}

static bool netns_exists(const char *ns)
{
	g_autofree char *path = g_strdup_printf("/run/netns/%s", ns);

	return g_file_test(path, G_FILE_TEST_EXISTS);
}

/* "A.B.C.D/N" (host bits allowed, as interfaces have them) to network and length. */
static bool parse_ipv4_cidr(const char *s, guint32 *net, guint *len)
{
	unsigned a, b, c, d, n;
	char tail;

	if (sscanf(s, "%u.%u.%u.%u/%u%c", &a, &b, &c, &d, &n, &tail) != 5 ||
	    a > 255 || b > 255 || c > 255 || d > 255 || n > 32)
		return false;
	*len = n;
	*net = (guint32)(a << 24 | b << 16 | c << 8 | d);
	*net &= n ? ~(guint32)0 << (32 - n) : 0;
	return true;
}

/* Refuses a subnet that an interface of this machine already uses. */
static bool subnet_is_free(struct provider_ctx *ctx, GError **error)
{
	const char *subnet = ctx->spec->provider.subnet.v;
	g_autoptr(GSubprocess) p = NULL;
	g_autofree char *out = NULL;
	g_auto(GStrv) lines = NULL;
	guint32 ours;
	guint ours_len;

	if (!parse_ipv4_cidr(subnet, &ours, &ours_len)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "'%s' is not an ipv4 network", subnet);
		return false;
	}
	p = g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE, error, "ip", "-o", "-4",
			     "addr", "show", NULL);
	if (!p || !g_subprocess_communicate_utf8(p, NULL, NULL, &out, NULL, error))
		return false;
	lines = g_strsplit(out, "\n", -1);
	for (char **line = lines; *line; line++) {
		g_auto(GStrv) w = g_strsplit_set(*line, " \t", -1);
		guint nw = g_strv_length(w);

		for (guint i = 0; i + 1 < nw; i++) {
			guint32 theirs, mask;
			guint theirs_len, shorter;

			if (strcmp(w[i], "inet") || !parse_ipv4_cidr(w[i + 1], &theirs, &theirs_len))
				continue;
			/* two networks overlap when they agree on the shorter prefix */
			shorter = MIN(ours_len, theirs_len);
			mask = shorter ? ~(guint32)0 << (32 - shorter) : 0;
			if ((ours & mask) == (theirs & mask)) {
				g_set_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS,
					    "subnet '%s' overlaps '%s' of interface '%s' on this machine; choose another 'subnet' under 'provider'",
					    subnet, w[i + 1], w[1]);
				return false;
			}
			break;
		}
	}
	return true;
}

static bool make_bridge(struct provider_ctx *ctx, struct netns_lab *l, GError **error)
{
	g_autoptr(JsonObject) undo = json_object_new();
	const char *add[] = { "ip", "link", "add", l->bridge, "type", "bridge", NULL };
	g_autofree char *cidr = g_strdup_printf("%s/%u", l->gateway, l->prefix);
	const char *addr[] = { "ip", "addr", "add", cidr, "dev", l->bridge, NULL };
	const char *up[] = { "ip", "link", "set", l->bridge, "up", NULL };
	g_autofree char *what = g_strdup_printf("bridge %s (%s)", l->bridge, cidr);

	if (provider_link_exists(l->bridge))
		return true;
	if (!subnet_is_free(ctx, error))
		return false;
	json_object_set_string_member(undo, "op", "link");
	json_object_set_string_member(undo, "name", l->bridge);
	return provider_journal_then(ctx, NULL, l->bridge, what, json_object_ref(undo), NULL, error) &&
	       provider_run(add, error) && provider_run(addr, error) &&
	       provider_run(up, error);
}

/*
 * Lets the frames between the lab's nodes through this machine's own
 * firewall: where bridged frames pass the forward hook (br_netfilter) and
 * a chain there may drop them (Docker's FORWARD policy), one rule at the
 * chain's head accepts what enters and leaves the lab's bridge.  It is
 * journaled before it is added; nothing else of the firewall changes.
 */
static bool open_forward(struct provider_ctx *ctx, struct netns_lab *l, GError **error)
{
	g_autoptr(GPtrArray) chains = hostfw_forward_chains(error);

	if (!chains) {
		g_prefix_error(error, "cannot read this machine's firewall: ");
		return false;
	}
	for (guint i = 0; i < chains->len; i++) {
		const struct hostfw_chain *c = g_ptr_array_index(chains, i);
		g_autoptr(JsonObject) rule = hostfw_rule(c, l->bridge);
		g_autofree char *key = g_strdup_printf("forward:%s:%s:%s:%s:%s", c->tool, c->family,
						       c->table, c->chain, l->bridge);
		g_autofree char *what = hostfw_rule_describe(rule, c);
		bool present;

		if (!hostfw_rule_present(rule, &present, error))
			return false;
		if (present)
			continue;
		if (!provider_journal_then(ctx, NULL, key, what, json_object_ref(rule), NULL, error) ||
		    !hostfw_rule_add(rule, error))
			return false;
	}
	return true;
}

/* A word ip's batch mode reads as it is: no quote, space or comment in it. */
static bool batch_word_ok(const char *w)
{
	if (!*w)
		return false;
	for (; *w; w++)
		if (!g_ascii_isalnum(*w) && !strchr("-./:_", *w))
			return false;
	return true;
}

/*
 * Runs the ip commands @cmds (each a NULL-terminated argv without the
 * leading "ip", @n of them) in one "ip -batch -": one process for what
 * took one process each.
 * ip stops at the first command that fails; the error then names that
 * command as running it alone would: "'ip link add ...' failed: MESSAGE".
 * Where ip exits without saying which (a bad argument), it names them all:
 * "'ip netns add ...; ip link add ...' failed: MESSAGE".
 * Every word is a name labctl made (validated node names, addresses,
 * numbers); a word ip would split or quote is refused before anything runs.
 */
static bool ip_batch(const char *const *const *cmds, guint n, GError **error)
{
	const char *argv[] = { "ip", "-batch", "-", NULL };
	g_autoptr(GString) input = g_string_new(NULL);
	g_autoptr(GError) local = NULL;
	const char *mark;
	const char *msg;
	g_auto(GStrv) lines = NULL;
	g_autoptr(GString) rest = NULL;
	g_autofree char *cmd = NULL;
	long line;

	for (guint i = 0; i < n; i++) {
		for (const char *const *w = cmds[i]; *w; w++) {
			if (!batch_word_ok(*w)) {
				g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
					    "'%s' cannot be a word of an ip command", *w);
				return false;
			}
			g_string_append(input, *w);
			g_string_append_c(input, w[1] ? ' ' : '\n');
		}
	}
	if (provider_exec_alone(argv, input->str, PROVIDER_RUN_TIMEOUT, &local))
		return true;
	/* "'ip -batch -' failed: STDERR", STDERR ending "Command failed -:LINE" */
	mark = strstr(local->message, "Command failed -:");
	msg = strstr(local->message, "' failed: ");
	line = mark ? strtol(mark + strlen("Command failed -:"), NULL, 10) : 0;
	if (!msg || line < 0 || line > (long)n) {
		g_propagate_error(error, g_steal_pointer(&local));
		return false;
	}
	lines = g_strsplit(msg + strlen("' failed: "), "\n", -1);
	rest = g_string_new(NULL);
	for (char **q = lines; *q; q++) {
		if (g_str_has_prefix(*q, "Command failed -:") || !**q)
			continue;
		if (rest->len)
			g_string_append_c(rest, '\n');
		g_string_append(rest, *q);
	}
	if (line) {
		cmd = g_strjoinv(" ", (char **)cmds[line - 1]);
	} else {
		g_autoptr(GString) all = g_string_new(NULL);

		for (guint i = 0; i < n; i++) {
			g_autofree char *one = g_strjoinv(" ", (char **)cmds[i]);

			g_string_append_printf(all, "%s%s", i ? "; ip " : "", one);
		}
		cmd = g_string_free(g_steal_pointer(&all), FALSE);
	}
	g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "'ip %s' failed: %s", cmd,
		    rest->len ? rest->str : "no message");
	return false;
}

/* Sets flag IFF_UP on device @dev through socket @sock, as "ip link set DEV up". */
static bool link_up(int sock, const char *dev)
{
	struct ifreq ifr = { 0 };

	g_strlcpy(ifr.ifr_name, dev, sizeof(ifr.ifr_name));
	if (ioctl(sock, SIOCGIFFLAGS, &ifr))
		return false;
	ifr.ifr_flags |= IFF_UP;
	return ioctl(sock, SIOCSIFFLAGS, &ifr) == 0;
}

/*
 * Inside network namespace @ns, as "ip -n NS addr add ADDR/PREFIX dev eth0;
 * ip -n NS link set eth0 up; ip -n NS link set lo up" without a process:
 * this thread enters the namespace only to open a socket there (a socket
 * acts in the namespace it was made in) and returns at once; the address,
 * netmask and flags are then set through that socket.
 */
static bool configure_inside(const char *ns, const char *addr, guint prefix, GError **error)
{
	g_autofree char *path = g_strdup_printf("/run/netns/%s", ns);
	struct ifreq ifr = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
	const char *step = "enter it";
	int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	int target = open(path, O_RDONLY | O_CLOEXEC);
	int sock = -1;
	int err;

	if (self >= 0 && target >= 0 && !setns(target, CLONE_NEWNET)) {
		sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		err = errno;
		/* this thread goes on in labctl's namespace, whatever happened */
		if (setns(self, CLONE_NEWNET))
			g_error("cannot return to labctl's network namespace: %s", g_strerror(errno));
		errno = err;
		step = "open a socket in it";
	}
	err = errno;
	if (self >= 0)
		close(self);
	if (target >= 0)
		close(target);
	if (sock < 0) {
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(err),
			    "network namespace %s: cannot %s: %s", ns, step, g_strerror(err));
		return false;
	}
	sin->sin_family = AF_INET;
	g_strlcpy(ifr.ifr_name, "eth0", sizeof(ifr.ifr_name));
	if (inet_pton(AF_INET, addr, &sin->sin_addr) != 1) {
		step = "read the address";
		errno = EINVAL;
	} else if (ioctl(sock, SIOCSIFADDR, &ifr)) {
		step = "set the address of eth0";
	} else if ((sin->sin_addr.s_addr = htonl(prefix ? ~(guint32)0 << (32 - prefix) : 0)),
		   ioctl(sock, SIOCSIFNETMASK, &ifr)) {
		step = "set the netmask of eth0";
	} else if (!link_up(sock, "eth0")) {
		step = "set eth0 up";
	} else if (!link_up(sock, "lo")) {
		step = "set lo up";
	} else {
		close(sock);
		return true;
	}
	err = errno;
	close(sock);
	g_set_error(error, G_IO_ERROR, g_io_error_from_errno(err),
		    "network namespace %s: cannot %s (%s/%u): %s", ns, step, addr, prefix,
		    g_strerror(err));
	return false;
}

/*
 * Makes node @n's network namespace, joined to the bridge by a veth pair,
 * unless it exists; *@made says whether it did.  One ip process on this
 * machine's side, and the inside set up from this process
 * (configure_inside()), where there were six processes: a large lab
 * starts hundreds of them.
 */
static bool make_netns(struct provider_ctx *ctx, struct netns_lab *l,
		       const struct spec_node *n, guint index, bool *made, GError **error)
{
	g_autofree char *ns = ns_name(l, n);
	g_autofree char *veth = g_strdup_printf("%sv%u", l->bridge, index);
	g_autofree char *cidr = g_strdup_printf("%s/%u", n->address.v, l->prefix);
	g_autofree char *what = g_strdup_printf("network namespace %s (%s)", ns, cidr);
	g_autoptr(JsonObject) undo = json_object_new();
	const char *add[] = { "netns", "add", ns, NULL };
	const char *pair[] = { "link", "add", veth, "type", "veth", "peer", "name",
			       "eth0", "netns", ns, NULL };
	const char *master[] = { "link", "set", veth, "master", l->bridge, "up", NULL };
	const char *const *outside[] = { add, pair, master };

	*made = false;
	if (netns_exists(ns))
		return true;
	/*
	 * deleting the namespace deletes its end of the veth pair, and so
	 * both; the undo also stands when a batch stopped halfway, as after a
	 * crash: a veth or namespace that is not there is undone
	 */
	json_object_set_string_member(undo, "op", "netns");
	json_object_set_string_member(undo, "name", ns);
	json_object_set_string_member(undo, "veth", veth);
	if (!provider_journal_then(ctx, n->name.v, ns, what, json_object_ref(undo), NULL, error) ||
	    !ip_batch(outside, G_N_ELEMENTS(outside), error) ||
	    !configure_inside(ns, n->address.v, l->prefix, error))
		return false;
	*made = true;
	return true;
}

static char *sshd_config(const struct netns_lab *l, const struct spec_node *n,
			 const char *dir)
{
	return g_strdup_printf(
		"# labctl: sshd of node '%s'\n"
		"ListenAddress %s\n"
		"HostKey %s/host_key\n"
		"PidFile %s/sshd.pid\n"
		"AuthorizedKeysFile %s.pub\n"
		"PermitRootLogin prohibit-password\n"
		"PasswordAuthentication no\n"
		"KbdInteractiveAuthentication no\n"
		"UsePAM no\n"
		"StrictModes no\n"
		"PrintMotd no\n"
		"MaxSessions 20\n"
		/* a session whose client is gone must not keep the namespace */
		"ClientAliveInterval 5\n"
		"ClientAliveCountMax 3\n",
		n->name.v, n->address.v, dir, dir, l->client_key);
}

/*
 * The pids of the processes in network namespace @ns (pid_t), as "ip netns
 * pids" lists them: those whose /proc/PID/ns/net is the file the
 * namespace is mounted on.  Read here rather than by a process of ip per
 * node, for up and down alike.
 */
static GArray *netns_pids(const char *ns)
{
	GArray *pids = g_array_new(FALSE, FALSE, sizeof(pid_t));
	g_autofree char *path = g_strdup_printf("/run/netns/%s", ns);
	g_autoptr(GDir) proc = NULL;
	const char *name;
	struct stat want;

	if (stat(path, &want) || !(proc = g_dir_open("/proc", 0, NULL)))
		return pids;
	while ((name = g_dir_read_name(proc))) {
		char link[64];
		struct stat st;
		char *end;
		long pid = strtol(name, &end, 10);

		if (*end || pid <= 0)
			continue;
		g_snprintf(link, sizeof(link), "/proc/%ld/ns/net", pid);
		if (!stat(link, &st) && st.st_dev == want.st_dev && st.st_ino == want.st_ino) {
			pid_t p = (pid_t)pid;

			g_array_append_val(pids, p);
		}
	}
	return pids;
}

/*
 * A process of the lab still running in network namespace @ns in a mount
 * namespace of its own (tgtd, qemu-storage-daemon, a session of a dead
 * sshd): the node's mount namespace, as a pid to enter it by; 0 if none.
 */
static long surviving_mount_ns(const char *ns)
{
	g_autofree char *self = g_file_read_link("/proc/self/ns/mnt", NULL);
	g_autoptr(GArray) pids = netns_pids(ns);

	for (guint i = 0; self && i < pids->len; i++) {
		long pid = g_array_index(pids, pid_t, i);
		g_autofree char *link = g_strdup_printf("/proc/%ld/ns/mnt", pid);
		g_autofree char *mnt = pid > 1 ? g_file_read_link(link, NULL) : NULL;

		if (mnt && strcmp(mnt, self))
			return pid;
	}
	return 0;
}

/* Whether the sshd of config @conf, of pid file @pidfile, runs. */
static bool sshd_alive(const char *pidfile, const char *conf)
{
	g_autofree char *pid = NULL;
	g_autofree char *proc = NULL;
	g_autofree char *cmdline = NULL;
	gsize len;

	if (!g_file_get_contents(pidfile, &pid, NULL, NULL))
		return false;
	proc = g_strdup_printf("/proc/%ld/cmdline", strtol(pid, NULL, 10));
	return g_file_get_contents(proc, &cmdline, &len, NULL) &&
	       memmem(cmdline, len, conf, strlen(conf));
}

/*
 * The file a node's mount namespace is bind-mounted on, so that it outlives
 * the node's processes.  Killed all at once, they would otherwise take the
 * namespace with them, and its teardown, run by the last one to exit,
 * unmounts the host's file system: when that last process is the
 * qemu-storage-daemon under that file system's loop device, it waits on
 * itself in the kernel for good.  Pinned, the namespace stays, with what
 * is mounted in it, for down to undo.
 */
static char *pin_dir(const struct netns_lab *l)
{
	return g_build_filename(l->runtime, "pins", NULL);
}

static char *mnt_pin(const struct netns_lab *l, const struct spec_node *n)
{
	g_autofree char *dir = pin_dir(l);

	return g_build_filename(dir, n->name.v, NULL);
}

/*
 * Whether @path has a mount on it (the pin is in place): the root of a
 * mount, as statx() says, without reading /proc/self/mountinfo, which
 * lists every mount of the machine (one more for each node) for each
 * look.  A kernel that cannot say (before 5.8) is asked through that list.
 */
static bool is_mount_point(const char *path)
{
	g_autofree char *mountinfo = NULL;
	g_autofree char *needle = NULL;
	struct statx stx;

	if (!statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_BASIC_STATS, &stx) &&
	    (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT))
		return (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
	needle = g_strdup_printf(" %s ", path);
	return g_file_get_contents("/proc/self/mountinfo", &mountinfo, NULL, NULL) &&
	       strstr(mountinfo, needle);
}

/*
 * What the child that becomes a new node's sshd does before exec, all
 * prepared before fork: only system calls run in the child.
 */
struct sshd_setup {
	const char *ns;         /* the network namespace's name */
	const char *netns;      /* /run/netns/NS */
	const char *home;       /* mounted over /root */
	const char *prefix;     /* of an error: "node 'NAME': " */
	char **etc;             /* pairs of /etc/netns/NS/F and /etc/F, NULL-terminated */
};

/* In the child: says which step failed and why, and exits. */
static void sshd_setup_fail(const struct sshd_setup *s, const char *what)
{
	const char *why = strerrordesc_np(errno);
	const char *parts[] = { s->prefix, "cannot ", what, ": ", why ? why : "error", "\n" };

	for (size_t i = 0; i < G_N_ELEMENTS(parts); i++)
		if (write(STDERR_FILENO, parts[i], strlen(parts[i])) < 0)
			break;
	_exit(126);
}

/*
 * In the child, before exec of sshd: what "ip netns exec NS unshare -m
 * --propagation slave sh -c 'mount -t tmpfs -o mode=0755 tmpfs /run &&
 * mkdir -p /run/sshd && mount --bind HOME /root && exec sshd ...'" did in
 * six processes, as system calls.  As ip netns exec: join the network
 * namespace, a mount namespace of its own in which no mount propagates
 * back (slave: unmounts of the host, as "ip netns del", reach the node, so
 * its copy of /run/netns does not keep other nodes' namespaces alive), a
 * /sys of that network namespace, and /etc/netns/NS's files over /etc's.
 * Then the node's own /run and an empty home over /root.
 */
static void sshd_setup(gpointer data)
{
	const struct sshd_setup *s = data;
	unsigned long sys_flags = 0;
	struct statvfs fs;
	int fd = open(s->netns, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || setns(fd, CLONE_NEWNET))
		sshd_setup_fail(s, "enter the network namespace");
	close(fd);
	if (unshare(CLONE_NEWNS))
		sshd_setup_fail(s, "make a mount namespace");
	if (mount("none", "/", "none", MS_SLAVE | MS_REC, NULL))
		sshd_setup_fail(s, "make / a slave mount");
	/* a read-only /sys that cannot go is overlaid read-only, as ip does */
	if (umount2("/sys", MNT_DETACH) && !statvfs("/sys", &fs) && (fs.f_flag & ST_RDONLY))
		sys_flags = MS_RDONLY;
	if (mount(s->ns, "/sys", "sysfs", sys_flags, NULL))
		sshd_setup_fail(s, "mount /sys");
	/* as ip: a file that cannot be bound is left as it is */
	for (char **e = s->etc; e[0] && e[1]; e += 2)
		(void)mount(e[0], e[1], "none", MS_BIND, NULL);
	if (mount("tmpfs", "/run", "tmpfs", 0, "mode=0755"))
		sshd_setup_fail(s, "mount a tmpfs on /run");
	if (mkdir("/run/sshd", 0777) && errno != EEXIST)
		sshd_setup_fail(s, "make /run/sshd");
	if (mount(s->home, "/root", "none", MS_BIND, NULL))
		sshd_setup_fail(s, "mount its home on /root");
}

/* /etc/netns/@ns's files and their places in /etc, in pairs, as ip netns exec binds them. */
static char **etc_binds(const char *ns)
{
	g_autofree char *dir = g_build_filename("/etc/netns", ns, NULL);
	g_autoptr(GStrvBuilder) b = g_strv_builder_new();
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	const char *name;

	while (d && (name = g_dir_read_name(d))) {
		g_autofree char *from = g_build_filename(dir, name, NULL);
		g_autofree char *to = g_build_filename("/etc", name, NULL);

		g_strv_builder_add(b, from);
		g_strv_builder_add(b, to);
	}
	return g_strv_builder_end(b);
}

/*
 * Starts the sshd of node @n, whose files are in place, in its namespace;
 * @fresh: this up has just made the network namespace, so nothing of an
 * earlier sshd can run in it.
 */
static bool spawn_sshd(struct netns_lab *l, const struct spec_node *n, bool fresh,
		       GError **error)
{
	g_autofree char *ns = ns_name(l, n);
	g_autofree char *dir = node_dir(l, n);
	g_autofree char *home = g_build_filename(dir, "home", NULL);
	g_autofree char *conf = g_build_filename(dir, "sshd_config", NULL);
	g_autofree char *log = g_build_filename(dir, "sshd.log", NULL);
	g_autofree char *pin = mnt_pin(l, n);
	g_autofree char *netns = g_strdup_printf("/run/netns/%s", ns);
	g_autofree char *prefix = g_strdup_printf("node '%s': ", n->name.v);
	g_auto(GStrv) etc = NULL;
	const char *argv[] = { "/usr/sbin/sshd", "-f", conf, "-E", log, NULL };
	struct sshd_setup setup = { ns, netns, home, prefix, NULL };
	long survivor;

	if (is_mount_point(pin)) {
		/* the node's own namespace, kept by the pin */
		g_autofree char *mnt = g_strdup_printf("--mount=%s", pin);
		g_autofree char *net = g_strdup_printf("--net=%s", netns);
		const char *join[] = { "nsenter", mnt, net, "/usr/sbin/sshd",
				       "-f", conf, "-E", log, NULL };

		return provider_run(join, error);
	}
	survivor = fresh ? 0 : surviving_mount_ns(ns);
	if (survivor) {
		/*
		 * sshd died but the node lives on (its tgtd, say): start the
		 * new sshd in that node's mount namespace, whose /run and home
		 * are set up already, or down could not reach what runs there.
		 */
		g_autofree char *target = g_strdup_printf("%ld", survivor);
		const char *join[] = { "nsenter", "-t", target, "-m", "-n", "/usr/sbin/sshd",
				       "-f", conf, "-E", log, NULL };

		return provider_run(join, error);
	}
	etc = etc_binds(ns);
	setup.etc = etc;
	return provider_exec_setup(argv, sshd_setup, &setup, NULL, PROVIDER_RUN_TIMEOUT,
				   NULL, NULL, error);
}

static bool start_sshd(struct provider_ctx *ctx, struct netns_lab *l,
		       const struct spec_node *n, bool fresh, GError **error)
{
	g_autofree char *ns = ns_name(l, n);
	g_autofree char *dir = node_dir(l, n);
	g_autofree char *home = g_build_filename(dir, "home", NULL);
	g_autofree char *conf = g_build_filename(dir, "sshd_config", NULL);
	g_autofree char *pidfile = g_build_filename(dir, "sshd.pid", NULL);
	g_autofree char *hostkey = g_build_filename(dir, "host_key", NULL);
	g_autofree char *text = sshd_config(l, n, dir);
	g_autofree char *what = g_strdup_printf("sshd of %s on %s:22", n->name.v, n->address.v);
	g_autofree char *key = g_strdup_printf("sshd:%s", ns);
	g_autoptr(JsonObject) undo = json_object_new();

	if (g_mkdir_with_parents(home, 0700) ||
	    !provider_keygen(hostkey, error) ||
	    !g_file_set_contents(conf, text, -1, error))
		return false;
	/* a live sshd of this config is this node's: leave it */
	if (sshd_alive(pidfile, conf))
		return true;
	json_object_set_string_member(undo, "op", "kill");
	json_object_set_string_member(undo, "pidfile", pidfile);
	json_object_set_string_member(undo, "match", conf);
	if (!provider_journal(ctx, n->name.v, key, what, undo, error))
		return false;
	if (ctx->say)
		ctx->say(ctx->say_data, "%s", what);
	return spawn_sshd(l, n, fresh, error);
}

/* The undo of a pin or of the pins' directory. */
static JsonObject *umount_undo(const char *path)
{
	JsonObject *undo = json_object_new();

	json_object_set_string_member(undo, "op", "umount");
	json_object_set_string_member(undo, "path", path);
	return undo;
}

/*
 * The pins' directory, a private mount of its own: a mount namespace can
 * be bind-mounted only where the mount does not propagate (EINVAL under a
 * shared /, as systemd makes it).
 */
static bool make_pin_dir(struct provider_ctx *ctx, struct netns_lab *l, GError **error)
{
	g_autofree char *dir = pin_dir(l);
	g_autofree char *key = g_strdup_printf("pins:%s", dir);
	g_autoptr(JsonObject) undo = umount_undo(dir);

	if (is_mount_point(dir))
		return true;
	if (g_mkdir_with_parents(dir, 0700)) {
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
			    "cannot make '%s': %s", dir, g_strerror(errno));
		return false;
	}
	if (!provider_journal(ctx, NULL, key, "private mount for the namespace pins", undo, error))
		return false;
	/* "none": the kernel ignores the type here, and valgrind wants one */
	if (mount(dir, dir, "none", MS_BIND, NULL) || mount("none", dir, "none", MS_PRIVATE, NULL)) {
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
			    "cannot make %s a private mount: %s", dir, g_strerror(errno));
		return false;
	}
	return true;
}

static bool file_exists(gpointer path)
{
	return g_file_test(path, G_FILE_TEST_EXISTS);
}

/* Pins the mount namespace of @n's running sshd (see mnt_pin()). */
static bool pin_mount_ns(struct provider_ctx *ctx, struct netns_lab *l,
			 const struct spec_node *n, GError **error)
{
	g_autofree char *dir = node_dir(l, n);
	g_autofree char *pidfile = g_build_filename(dir, "sshd.pid", NULL);
	g_autofree char *pin = mnt_pin(l, n);
	g_autofree char *ns = ns_name(l, n);
	g_autofree char *key = g_strdup_printf("mntns:%s", ns);
	g_autofree char *what = g_strdup_printf("pin of %s's mount namespace", n->name.v);
	g_autofree char *pid = NULL;
	g_autofree char *src = NULL;

	if (is_mount_point(pin))
		return true;
	/* sshd writes its pid file once it has forked into the background */
	if (!provider_poll_until(file_exists, pidfile, 5 * G_USEC_PER_SEC) ||
	    !g_file_get_contents(pidfile, &pid, NULL, NULL)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
			    "node '%s': sshd wrote no pid file %s", n->name.v, pidfile);
		return false;
	}
	src = g_strdup_printf("/proc/%ld/ns/mnt", strtol(pid, NULL, 10));
	if (!provider_journal_then(ctx, n->name.v, key, what, umount_undo(pin), NULL, error) ||
	    !g_file_set_contents(pin, "", 0, error))
		return false;
	if (mount(src, pin, "none", MS_BIND, NULL)) {
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
			    "node '%s': cannot keep its mount namespace on %s: %s", n->name.v, pin,
			    g_strerror(errno));
		return false;
	}
	return true;
}

struct sshd_files {
	const char *pidfile;
	const char *conf;
};

static bool sshd_files_alive(gpointer data)
{
	const struct sshd_files *f = data;

	return sshd_alive(f->pidfile, f->conf);
}

/*
 * Waits until the sshd of node @n accepts connections: OpenSSH's sshd
 * writes its pid file only once its listening socket is bound, so a pid
 * file naming a live sshd of the node's config says so.  A connection to
 * find out would cost the node an sshd process of its own (sshd starts
 * one for every connection), a hundred of them for a hundred nodes.
 */
static bool wait_sshd(const struct netns_lab *l, const struct spec_node *n, GError **error)
{
	g_autofree char *dir = node_dir(l, n);
	g_autofree char *pidfile = g_build_filename(dir, "sshd.pid", NULL);
	g_autofree char *conf = g_build_filename(dir, "sshd_config", NULL);
	struct sshd_files f = { pidfile, conf };

	if (provider_poll_until(sshd_files_alive, &f, SSHD_WAIT_SECONDS * G_USEC_PER_SEC))
		return true;
	g_set_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
		    "sshd of node '%s' does not accept connections on %s:22 after %d s",
		    n->name.v, n->address.v, SSHD_WAIT_SECONDS);
	return false;
}

/*
 * The lab's nodes, for the shared helpers of provider.h; @dirs (of
 * g_free) keeps the strings they point to.
 */
static GArray *own_nodes(const struct provider_ctx *ctx, const struct netns_lab *l,
			 GPtrArray *dirs)
{
	GArray *own = g_array_sized_new(FALSE, TRUE, sizeof(struct provider_own_node),
					ctx->spec->nodes->len);

	for (guint i = 0; i < ctx->spec->nodes->len; i++) {
		const struct spec_node *n = g_ptr_array_index(ctx->spec->nodes, i);
		struct provider_own_node o = { n->name.v, n->address.v, node_dir(l, n) };

		g_ptr_array_add(dirs, (char *)o.dir);
		g_array_append_val(own, o);
	}
	return own;
}

/* The lab's known_hosts, written from the host keys labctl made. */
static bool write_known_hosts(const struct provider_ctx *ctx, const struct netns_lab *l,
			      GError **error)
{
	g_autoptr(GPtrArray) dirs = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GArray) own = own_nodes(ctx, l, dirs);

	return provider_write_known_hosts(l->known_hosts, (const struct provider_own_node *)own->data,
					  own->len, error);
}

static GPtrArray *access_list(const struct provider_ctx *ctx, const struct netns_lab *l)
{
	g_autoptr(GPtrArray) dirs = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GArray) own = own_nodes(ctx, l, dirs);

	return provider_access_list((const struct provider_own_node *)own->data, own->len,
				    l->client_key, l->known_hosts);
}

static bool need_tools(GError **error)
{
	/* sshd is run as /usr/sbin/sshd, which is not in every user's PATH */
	static const struct provider_tool tools[] = {
		{ "ip", "iproute2" }, { "unshare", "util-linux" },
		{ "/usr/sbin/sshd", "openssh-server" },
	};

	return provider_need_tools("netns", tools, G_N_ELEMENTS(tools), error);
}

/*
 * Makes @path and any missing parent, journaling each one labctl made so
 * that down removes it again (when empty).
 */
static bool make_dirs(struct provider_ctx *ctx, const char *path, GError **error)
{
	g_autofree char *parent = NULL;
	g_autoptr(JsonObject) undo = json_object_new();

	if (g_file_test(path, G_FILE_TEST_IS_DIR))
		return true;
	parent = g_path_get_dirname(path);
	if (strcmp(parent, path) && !make_dirs(ctx, parent, error))
		return false;
	json_object_set_string_member(undo, "op", "rmdir");
	json_object_set_string_member(undo, "path", path);
	if (!provider_journal(ctx, NULL, path, "directory", undo, error))
		return false;
	if (g_mkdir(path, 0700) && errno != EEXIST) {
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
			    "cannot make '%s': %s", path, g_strerror(errno));
		return false;
	}
	return true;
}

/* Making the nodes: a namespace, an sshd and a pin each, by several workers. */
struct make_all {
	struct provider_ctx *ctx;
	struct netns_lab *l;
	GError **errors;        /* per node */
};

/* Item @i is node @i + 1: the first is made before the others. */
static void make_one(guint i, gpointer data)
{
	struct make_all *m = data;
	const struct spec_node *n = g_ptr_array_index(m->ctx->spec->nodes, i + 1);

	bool made;

	if (make_netns(m->ctx, m->l, n, i + 1, &made, &m->errors[i + 1]) &&
	    start_sshd(m->ctx, m->l, n, made, &m->errors[i + 1]) &&
	    wait_sshd(m->l, n, &m->errors[i + 1]))
		pin_mount_ns(m->ctx, m->l, n, &m->errors[i + 1]);
}

/*
 * Makes every node's namespace, starts its sshd, waits until it listens
 * and pins its mount namespace.  One after another, about 80 ms a node (a
 * dozen processes) made 5 s of the start of a 64-node lab; now up to
 * MAKE_WORKERS at once, each node's wait and pin overlapping the others'
 * work, and with one process a node (of ip) besides its sshd, where
 * there were fourteen (make_netns(), spawn_sshd()); its keys are made in
 * this process.  The first node is made alone: the first "ip netns add"
 * on a machine turns /run/netns into a shared mount, and two at once
 * could both do it.  Each record is still journaled before its change;
 * records of different nodes interleave.
 */
#define MAKE_WORKERS 8

static bool make_nodes(struct provider_ctx *ctx, struct netns_lab *l, GError **error)
{
	GPtrArray *nodes = ctx->spec->nodes;
	g_autofree GError **errors = g_new0(GError *, MAX(nodes->len, 1));
	struct make_all m = { .ctx = ctx, .l = l, .errors = errors };
	bool made;

	if (!nodes->len)
		return true;
	if (!make_netns(ctx, l, g_ptr_array_index(nodes, 0), 0, &made, error) ||
	    !start_sshd(ctx, l, g_ptr_array_index(nodes, 0), made, error) ||
	    !wait_sshd(l, g_ptr_array_index(nodes, 0), error) ||
	    !pin_mount_ns(ctx, l, g_ptr_array_index(nodes, 0), error))
		return false;
	parallel_for(nodes->len - 1, MAKE_WORKERS, make_one, &m);
	/* the first failure in node order, as one after another would report */
	return parallel_first_error(errors, nodes->len, error);
}

static GPtrArray *netns_up(struct provider_ctx *ctx, GError **error)
{
	struct netns_lab l = { 0 };
	GPtrArray *nodes = NULL;
	g_autoptr(JsonObject) rm = json_object_new();

	if (geteuid() != 0) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
			    "the netns provider needs root: it makes network namespaces, a bridge and loop devices (run labctl with sudo)");
		return NULL;
	}
	if (!need_tools(error) || !netns_lab_init(&l, ctx, error))
		goto out;

	if (!make_dirs(ctx, NETNS_RUNTIME_ROOT, error))
		goto out;
	json_object_set_string_member(rm, "op", "rmtree");
	json_object_set_string_member(rm, "path", l.runtime);
	if (!g_file_test(l.runtime, G_FILE_TEST_IS_DIR) &&
	    !provider_journal(ctx, NULL, l.runtime, "runtime files", rm, error))
		goto out;
	if (g_mkdir_with_parents(l.runtime, 0700) || !provider_keygen(l.client_key, error))
		goto out;
	if (!make_bridge(ctx, &l, error) || !open_forward(ctx, &l, error))
		goto out;
	if (!make_pin_dir(ctx, &l, error) || !make_nodes(ctx, &l, error))
		goto out;
	if (!write_known_hosts(ctx, &l, error))
		goto out;
	nodes = access_list(ctx, &l);
out:
	netns_lab_clear(&l);
	return nodes;
}

static GPtrArray *netns_access(struct provider_ctx *ctx, GError **error)
{
	struct netns_lab l = { 0 };
	GPtrArray *nodes = NULL;

	if (netns_lab_init(&l, ctx, error))
		nodes = access_list(ctx, &l);
	netns_lab_clear(&l);
	return nodes;
}

static bool has_step(GPtrArray *steps, const char *key)
{
	for (guint i = 0; i < steps->len; i++)
		if (!strcmp(((const struct undo_step *)g_ptr_array_index(steps, i))->key, key))
			return true;
	return false;
}

/*
 * down: a node whose network namespace is still there but whose sshd died
 * (killed with the other processes of the lab, say) gets one again, so the
 * undos of its tasks can run.  Only an sshd whose undo @steps still hold is
 * started: that undo stops it again.
 */
static void netns_revive(struct provider_ctx *ctx, GPtrArray *steps)
{
	struct netns_lab l = { 0 };

	if (geteuid() != 0 || !netns_lab_init(&l, ctx, NULL))
		goto out;
	for (guint i = 0; i < ctx->spec->nodes->len; i++) {
		const struct spec_node *n = g_ptr_array_index(ctx->spec->nodes, i);
		g_autofree char *ns = ns_name(&l, n);
		g_autofree char *key = g_strdup_printf("sshd:%s", ns);
		g_autofree char *dir = node_dir(&l, n);
		g_autofree char *conf = g_build_filename(dir, "sshd_config", NULL);
		g_autofree char *pidfile = g_build_filename(dir, "sshd.pid", NULL);
		g_autoptr(GError) error = NULL;

		if (!netns_exists(ns) || !has_step(steps, key) || sshd_alive(pidfile, conf))
			continue;
		if (ctx->say)
			ctx->say(ctx->say_data, "sshd of %s is gone; starting it again to undo what runs there",
				 n->name.v);
		if ((!spawn_sshd(&l, n, false, &error) || !wait_sshd(&l, n, &error)) && ctx->say)
			ctx->say(ctx->say_data, "%s", error->message);
	}
out:
	netns_lab_clear(&l);
}


/* ---- the undo operations, and the checks of their arguments ---- */

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

/* Whether none of the pids (a GArray of pid_t) is alive any more. */
static bool pids_gone(gpointer data)
{
	GArray *pids = data;

	for (guint i = 0; i < pids->len; i++) {
		pid_t pid = g_array_index(pids, pid_t, i);

		if (pid > 1 && kill(pid, 0) == 0)
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
		g_autoptr(GArray) pids = netns_pids(ns);
		guint live = 0;

		for (guint i = 0; i < pids->len; i++) {
			pid_t pid = g_array_index(pids, pid_t, i);

			if (pid > 1 && kill(pid, round ? SIGKILL : SIGTERM) == 0)
				live++;
		}
		if (!live)
			break;
		/* up to 3 s for them to go, looking often rather than sleeping it all */
		provider_poll_until(pids_gone, pids, 3 * G_USEC_PER_SEC);
	}
	/* what "ip netns del" does, without a process for it */
	umount2(path, MNT_DETACH);
	if (unlink(path) && errno != ENOENT) {
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
			    "cannot remove namespace file '%s': %s", path, g_strerror(errno));
		return false;
	}
	return true;
}

static bool check_kill(const struct undo_ctx *u, JsonObject *o, GError **error)
{
	g_autofree char *rt = provider_runtime_dir(u);

	if (!provider_path_in(provider_undo_member(o, "pidfile"), rt))
		return provider_refuse(error, "kill", "pid file", provider_undo_member(o, "pidfile"));
	if (!provider_path_in(provider_undo_member(o, "match"), rt))
		return provider_refuse(error, "kill", "process", provider_undo_member(o, "match"));
	return true;
}

static bool run_kill(JsonObject *o, GError **error)
{
	return kill_pidfile(provider_undo_member(o, "pidfile"), provider_undo_member(o, "match"), error);
}

static bool check_rmtree(const struct undo_ctx *u, JsonObject *o, GError **error)
{
	g_autofree char *rt = provider_runtime_dir(u);
	const char *path = provider_undo_member(o, "path");

	/* the lab's runtime directory, whole, and nothing else */
	if (strcmp(path, rt))
		return provider_refuse(error, "rmtree", "directory", path);
	return true;
}

static bool run_rmtree(JsonObject *o, GError **error)
{
	return provider_rmtree(provider_undo_member(o, "path"), error);
}

static bool check_rmdir(const struct undo_ctx *u, JsonObject *o, GError **error)
{
	const char *path = provider_undo_member(o, "path");

	(void)u;
	/* the parents of the runtime root that labctl made, when empty */
	if (!provider_path_in(PROVIDER_NETNS_RUNTIME_ROOT, path) || !provider_path_in(path, "/var/lib/labctl"))
		return provider_refuse(error, "rmdir", "directory", path);
	return true;
}

static bool run_rmdir(JsonObject *o, GError **error)
{
	const char *path = provider_undo_member(o, "path");

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

	if (strcmp(provider_undo_member(o, "name"), bridge))
		return provider_refuse(error, "link", "device", provider_undo_member(o, "name"));
	return true;
}

static bool run_link(JsonObject *o, GError **error)
{
	const char *name = provider_undo_member(o, "name");
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
	const char *name = provider_undo_member(o, "name");

	if (!g_str_has_prefix(name, prefix) || strchr(name, '/') || strlen(name) == strlen(prefix))
		return provider_refuse(error, "netns", "network namespace", name);
	if (json_object_has_member(o, "veth") && !is_lab_veth(u, provider_undo_member(o, "veth")))
		return provider_refuse(error, "netns", "device", provider_undo_member(o, "veth"));
	return true;
}

static bool run_netns(JsonObject *o, GError **error)
{
	return netns_delete(provider_undo_member(o, "name"),
			    json_object_has_member(o, "veth") ? provider_undo_member(o, "veth") : NULL, error);
}

static bool check_umount(const struct undo_ctx *u, JsonObject *o, GError **error)
{
	g_autofree char *rt = provider_runtime_dir(u);
	g_autofree char *pins = g_build_filename(rt, "pins", NULL);

	if (!provider_path_in(provider_undo_member(o, "path"), pins))
		return provider_refuse(error, "umount", "mount", provider_undo_member(o, "path"));
	return true;
}

static bool run_umount(JsonObject *o, GError **error)
{
	const char *path = provider_undo_member(o, "path");

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

	if (strcmp(provider_undo_member(o, "bridge"), bridge))
		return provider_refuse(error, "forward", "bridge", provider_undo_member(o, "bridge"));
	return true;
}

/*
 * The netns provider's undo operations: what it journals, and nothing
 * else; each checks that what it names is this lab's (named from the
 * lab's hash, or inside its runtime directory) before anything runs.
 */
static const struct provider_undo_op netns_undo_ops[] = {
	{ "kill", check_kill, run_kill },
	{ "rmtree", check_rmtree, run_rmtree },
	{ "rmdir", check_rmdir, run_rmdir },
	{ "link", check_link, run_link },
	{ "netns", check_netns, run_netns },
	{ "umount", check_umount, run_umount },
	{ "forward", check_forward, hostfw_rule_delete },
	{ NULL, NULL, NULL },
};

const struct provider provider_netns = {
	.name = "netns",
	.up = netns_up,
	.access = netns_access,
	.revive = netns_revive,
	.undo_ops = netns_undo_ops,
};
