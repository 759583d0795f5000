/*
 * plan.c - turning a spec into the tasks each node will run
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "labctl/plan.h"
#include "labctl/playbook.h"
#include "labctl/validate.h"

/* ---- the variables templates see ---- */

static void set_str(JsonObject *o, const char *key, const char *v)
{
	if (v)
		json_object_set_string_member(o, key, v);
	else
		json_object_set_null_member(o, key);
}

static void set_secret(JsonObject *o, const char *key, const char *ref)
{
	JsonObject *s;

	if (!ref) {
		json_object_set_null_member(o, key);
		return;
	}
	s = json_object_new();
	json_object_set_string_member(s, "secret", ref);
	json_object_set_object_member(o, key, s);
}

static char *human_size(guint64 bytes)
{
	static const char *const units[] = { "MiB", "GiB", "TiB" };
	guint64 v = bytes >> 20;
	size_t u = 0;

	while (u + 1 < G_N_ELEMENTS(units) && v >= 1024 && v % 1024 == 0) {
		v /= 1024;
		u++;
	}
	return g_strdup_printf("%" G_GUINT64_FORMAT " %s", v, units[u]);
}

/* "ADDR:PORT", with brackets around an IPv6 address, as iscsiadm and LIO write it */
static char *portal_string(const char *addr, unsigned port)
{
	if (strchr(addr, ':'))
		return g_strdup_printf("[%s]:%u", addr, port);
	return g_strdup_printf("%s:%u", addr, port);
}

static JsonObject *chap_vars(const struct spec_chap *chap)
{
	JsonObject *o = json_object_new();
	bool on = chap->where.line && chap->user.v;
	bool mutual = on && chap->mutual.where.line && chap->mutual.user.v;

	json_object_set_boolean_member(o, "enabled", on);
	set_str(o, "user", on ? chap->user.v : NULL);
	set_secret(o, "password", on ? chap->password.ref : NULL);
	json_object_set_boolean_member(o, "mutual", mutual);
	set_str(o, "mutual_user", mutual ? chap->mutual.user.v : NULL);
	set_secret(o, "mutual_password", mutual ? chap->mutual.password.ref : NULL);
	return o;
}

static JsonArray *portal_vars(const struct spec_node *disk)
{
	JsonArray *a = json_array_new();

	for (guint i = 0; i < disk->target.portals->len; i++) {
		const struct ystr *p = g_ptr_array_index(disk->target.portals, i);
		g_autofree char *addr = NULL;
		g_autofree char *ps = NULL;
		JsonObject *o = json_object_new();
		unsigned port = 0;

		validate_portal(p->v, &addr, &port);
		ps = portal_string(addr, port);
		set_str(o, "address", addr);
		json_object_set_int_member(o, "port", port);
		set_str(o, "portal", ps);
		json_array_add_object_element(a, o);
	}
	return a;
}

static JsonObject *lun_vars(const struct spec_lun *l)
{
	JsonObject *o = json_object_new();
	g_autofree char *dir = g_path_get_dirname(l->image.v);
	g_autofree char *human = human_size(l->size.v);

	set_str(o, "name", l->name.v);
	set_str(o, "image", l->image.v);
	set_str(o, "image_dir", dir);
	json_object_set_int_member(o, "size", (gint64)l->size.v);
	json_object_set_int_member(o, "size_mib", (gint64)(l->size.v >> 20));
	set_str(o, "size_human", human);
	set_str(o, "backstore", spec_backstore_names[l->backstore.v]);
	json_object_set_boolean_member(o, "block", l->backstore.v == BACKSTORE_BLOCK);
	set_str(o, "allocation", spec_allocation_names[l->allocation.v]);
	json_object_set_boolean_member(o, "sparse", l->allocation.v == ALLOC_SPARSE);
	json_object_set_int_member(o, "number", (gint64)l->number.v);
	return o;
}

/* The directories of the backing images, once each, without "/". */
static JsonArray *image_dirs(const struct spec_target *t)
{
	JsonArray *a = json_array_new();

	for (guint i = 0; i < t->luns->len; i++) {
		const struct spec_lun *l = g_ptr_array_index(t->luns, i);
		g_autofree char *dir = g_path_get_dirname(l->image.v);
		bool seen = !strcmp(dir, "/");

		for (guint j = 0; !seen && j < json_array_get_length(a); j++)
			seen = !strcmp(json_array_get_string_element(a, j), dir);
		if (!seen)
			json_array_add_string_element(a, dir);
	}
	return a;
}

static JsonObject *target_vars(const struct lab_spec *spec, const struct spec_node *n)
{
	const struct spec_target *t = &n->target;
	JsonObject *o = json_object_new();
	JsonArray *luns = json_array_new();
	JsonArray *acls = json_array_new();
	JsonArray *ports = json_array_new();
	JsonArray *portals = portal_vars(n);

	set_str(o, "iqn", t->iqn.v);
	set_str(o, "backend", spec_target_backend_names[t->backend.v]);
	set_str(o, "firewall", spec_firewall_names[t->firewall.v]);
	for (guint i = 0; i < t->luns->len; i++)
		json_array_add_object_element(luns, lun_vars(g_ptr_array_index(t->luns, i)));
	for (guint i = 0; i < t->acl->len; i++) {
		const struct ystr *a = g_ptr_array_index(t->acl, i);
		const struct spec_node *h = spec_find_node(spec, a->v);
		JsonObject *acl = json_object_new();

		set_str(acl, "iqn", h ? h->initiator.iqn.v : a->v);
		set_str(acl, "node", h ? h->name.v : NULL);
		json_array_add_object_element(acls, acl);
	}
	/* the firewall opens each port once, however many portals share it */
	for (guint i = 0; i < json_array_get_length(portals); i++) {
		gint64 port = json_object_get_int_member(json_array_get_object_element(portals, i), "port");
		bool seen = false;

		for (guint j = 0; j < i; j++)
			seen |= json_object_get_int_member(json_array_get_object_element(portals, j),
							   "port") == port;
		if (!seen)
			json_array_add_int_element(ports, port);
	}
	/* the first portal is where a single-listener daemon (tgtd) binds */
	set_str(o, "portal", json_object_get_string_member(
			json_array_get_object_element(portals, 0), "portal"));
	json_object_set_array_member(o, "portals", portals);
	json_object_set_array_member(o, "image_dirs", image_dirs(t));
	json_object_set_array_member(o, "ports", ports);
	json_object_set_array_member(o, "luns", luns);
	json_object_set_array_member(o, "acls", acls);
	json_object_set_object_member(o, "chap", chap_vars(&t->chap));
	return o;
}

/* The login to @disk through its portal @index. */
static JsonObject *login_vars(const struct spec_node *disk, guint index)
{
	const struct ystr *p = g_ptr_array_index(disk->target.portals, index);
	g_autofree char *addr = NULL;
	g_autofree char *ps = NULL;
	JsonObject *o = json_object_new();
	unsigned port = 0;

	validate_portal(p->v, &addr, &port);
	ps = portal_string(addr, port);
	set_str(o, "disk", disk->name.v);
	set_str(o, "iqn", disk->target.iqn.v);
	set_str(o, "address", addr);
	json_object_set_int_member(o, "port", port);
	set_str(o, "portal", ps);
	json_object_set_object_member(o, "chap", chap_vars(&disk->target.chap));
	return o;
}

/*
 * Parts of the variables that are the same for every node that sees them,
 * made once and shared: nothing changes a node's variables once they are
 * made, and a lab of a thousand nodes would otherwise build the same
 * objects a thousand times.
 */
struct shared_vars {
	JsonObject *lab;
	GHashTable *logins;     /* "DISK" or "DISK PORTAL" -> JsonObject * of login_vars() */
};

static void shared_vars_clear(struct shared_vars *sv)
{
	if (sv->lab)
		json_object_unref(sv->lab);
	if (sv->logins)
		g_hash_table_unref(sv->logins);
}

/* A reference to the login variables of @disk through its portal @index. */
static JsonObject *shared_login_at(struct shared_vars *sv, const struct spec_node *disk,
				   guint index)
{
	g_autofree char *key = index ? g_strdup_printf("%s %u", disk->name.v, index)
				     : g_strdup(disk->name.v);
	JsonObject *o;

	if (!sv->logins)
		sv->logins = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
						   (GDestroyNotify)json_object_unref);
	o = g_hash_table_lookup(sv->logins, key);
	if (!o) {
		o = login_vars(disk, index);
		g_hash_table_insert(sv->logins, g_steal_pointer(&key), o);
	}
	return json_object_ref(o);
}

/* A reference to the login variables of @disk through its first portal. */
static JsonObject *shared_login(struct shared_vars *sv, const struct spec_node *disk)
{
	return shared_login_at(sv, disk, 0);
}

/* The /dev/disk/by-path link of LUN @number of @disk through the portal of @login. */
static char *by_path(const struct spec_node *disk, JsonObject *login, guint64 number)
{
	return g_strdup_printf("/dev/disk/by-path/ip-%s-iscsi-%s-lun-%" G_GUINT64_FORMAT,
			       json_object_get_string_member(login, "portal"),
			       disk->target.iqn.v, number);
}

/*
 * A mount over dm-multipath (docs/playbooks.md): the LUN's path through
 * each portal, the record that keeps its WWID and whether the lab added
 * it to /etc/multipath/wwids, and the link to its map the mount uses.
 */
static JsonObject *multipath_vars(const struct lab_spec *spec, struct shared_vars *sv,
				  const struct spec_node *disk, const struct spec_lun *lun,
				  const char *run_dir)
{
	g_autofree char *dir = g_strdup_printf("%s/%s", PLAN_MULTIPATH_DIR, spec->name.v);
	g_autofree char *record = g_strdup_printf("%s/%s-%s", dir, disk->name.v, lun->name.v);
	g_autofree char *link = g_strdup_printf("%s/%s-%s.mpath", run_dir, disk->name.v,
						lun->name.v);
	JsonObject *o = json_object_new();
	JsonArray *paths = json_array_new();

	for (guint i = 0; i < disk->target.portals->len; i++) {
		g_autoptr(JsonObject) login = shared_login_at(sv, disk, i);
		g_autofree char *p = by_path(disk, login, lun->number.v);

		json_array_add_string_element(paths, p);
	}
	set_str(o, "path", json_array_get_string_element(paths, 0));
	set_str(o, "base_dir", PLAN_MULTIPATH_DIR);
	set_str(o, "dir", dir);
	set_str(o, "record", record);
	set_str(o, "link", link);
	json_object_set_int_member(o, "count", (gint64)disk->target.portals->len);
	json_object_set_array_member(o, "paths", paths);
	return o;
}

/*
 * A mount's fio run (docs/playbooks.md): the spec's values with their
 * defaults, the file it works on, and the seconds its task may take: the
 * run, fio's laying out of the file at 16 MiB/s or more, and a minute.
 */
static JsonObject *fio_vars(const struct spec_fio *f, const char *path)
{
	g_autofree char *file = g_strdup_printf("%s/%s", path, PLAN_FIO_FILE);
	JsonObject *o = json_object_new();

	set_str(o, "rw", spec_fio_rw_names[f->rw.v]);
	json_object_set_int_member(o, "bs", (gint64)f->bs.v);
	json_object_set_int_member(o, "size", (gint64)f->size.v);
	json_object_set_int_member(o, "runtime", (gint64)f->runtime.v);
	json_object_set_int_member(o, "iodepth", (gint64)f->iodepth.v);
	json_object_set_int_member(o, "numjobs", (gint64)f->numjobs.v);
	json_object_set_boolean_member(o, "direct", f->direct.v);
	set_str(o, "file", file);
	json_object_set_int_member(o, "timeout",
				   (gint64)(f->runtime.v + 60 + (f->size.v >> 24)));
	return o;
}

static JsonObject *mount_vars(const struct lab_spec *spec, struct shared_vars *sv,
			      const struct spec_node *host, const struct spec_mount *m,
			      const char *run_dir)
{
	const struct spec_node *disk = spec_find_node(spec, m->disk.v);
	const struct spec_lun *lun = spec_find_lun(disk, m->lun.v);
	JsonObject *login = shared_login(sv, disk);
	const char *fs = spec_fs_names[m->fs.v];
	bool loop = host->initiator.backend.v == INITIATOR_LIBISCSI;
	g_autofree char *device = NULL;
	g_autofree char *opts = NULL;
	g_autofree char *fstab = NULL;
	JsonObject *o = json_object_new();

	JsonObject *mp = NULL;

	if (loop) {
		device = g_strdup_printf("%s/%s-%s.img", run_dir, disk->name.v, lun->name.v);
	} else if (host->initiator.multipath.v) {
		mp = multipath_vars(spec, sv, disk, lun, run_dir);
		device = g_strdup(json_object_get_string_member(mp, "link"));
	} else {
		device = by_path(disk, login, lun->number.v);
	}
	/* a FUSE export is a file: the kernel mounts it through a loop device */
	if (loop && m->options.v && *m->options.v)
		opts = g_strdup_printf("loop,%s", m->options.v);
	else
		opts = g_strdup(loop ? "loop" : m->options.v ? m->options.v : "");
	fstab = g_strdup_printf("%s %s %s %s%s%s 0 0", device, m->path.v, fs,
				"_netdev", *opts ? "," : "", opts);

	set_str(o, "disk", disk->name.v);
	set_str(o, "lun", lun->name.v);
	json_object_set_int_member(o, "number", (gint64)lun->number.v);
	set_str(o, "fs", fs);
	set_str(o, "path", m->path.v);
	set_str(o, "options", opts);
	json_object_set_boolean_member(o, "persist", m->persist.v);
	set_str(o, "test_file", m->test_file.v ? m->test_file.v : "labctl-mount-test");
	set_str(o, "device", device);
	json_object_set_boolean_member(o, "loop", loop);
	set_str(o, "fstab_line", fstab);
	json_object_set_object_member(o, "login", login);
	if (mp)
		json_object_set_object_member(o, "multipath", mp);
	else
		json_object_set_null_member(o, "multipath");
	if (m->fio.where.line)
		json_object_set_object_member(o, "fio", fio_vars(&m->fio, m->path.v));
	else
		json_object_set_null_member(o, "fio");
	return o;
}

/* The values of a list of struct ystr * (NULL: none) joined by ','. */
static char *comma_list(const GPtrArray *list)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; list && i < list->len; i++)
		g_string_append_printf(s, "%s%s", i ? "," : "",
				       ((const struct ystr *)g_ptr_array_index(list, i))->v);
	return g_string_free(s, FALSE);
}

/*
 * A conformance run on a raw LUN (docs/playbooks.md): the LUN, the login
 * to its disk, the tests as iscsi-test-cu's -t takes them, and the seconds
 * the run may take, with its task half a minute more to report.
 */
static JsonObject *conformance_vars(const struct lab_spec *spec, struct shared_vars *sv,
				    const struct spec_conformance *c)
{
	const struct spec_node *disk = spec_find_node(spec, c->disk.v);
	const struct spec_lun *lun = spec_find_lun(disk, c->lun.v);
	g_autofree char *tests = comma_list(c->tests);
	g_autofree char *known = comma_list(c->known_failures);
	JsonObject *o = json_object_new();

	set_str(o, "disk", disk->name.v);
	set_str(o, "lun", lun->name.v);
	json_object_set_int_member(o, "number", (gint64)lun->number.v);
	set_str(o, "suite", spec_conformance_suite_names[c->suite.v]);
	set_str(o, "tests", tests);
	set_str(o, "known_failures", known);
	json_object_set_int_member(o, "timeout", (gint64)c->timeout.v);
	json_object_set_int_member(o, "task_timeout", (gint64)c->timeout.v + 30);
	json_object_set_object_member(o, "login", shared_login(sv, disk));
	return o;
}

static JsonObject *initiator_vars(const struct lab_spec *spec, struct shared_vars *sv,
				  const struct spec_node *n, const char *run_dir)
{
	const struct spec_initiator *ini = &n->initiator;
	JsonObject *o = json_object_new();
	JsonArray *logins = json_array_new();
	JsonArray *mounts = json_array_new();
	JsonArray *conformance = json_array_new();
	bool fio = false;

	set_str(o, "iqn", ini->iqn.v);
	set_str(o, "backend", spec_initiator_backend_names[ini->backend.v]);
	json_object_set_int_member(o, "timeout", (gint64)ini->timeout.v);
	json_object_set_boolean_member(o, "multipath", ini->multipath.v);
	if (ini->multipath.v) {
		g_autofree char *dir = g_strdup_printf("%s/%s", PLAN_MULTIPATH_DIR, spec->name.v);

		set_str(o, "multipath_dir", dir);
	} else {
		json_object_set_null_member(o, "multipath_dir");
	}
	/* with multipath, a login through every portal of each disk */
	for (guint i = 0; i < ini->targets->len; i++) {
		const struct ystr *t = g_ptr_array_index(ini->targets, i);
		const struct spec_node *d = spec_find_node(spec, t->v);
		guint portals = ini->multipath.v ? d->target.portals->len : 1;

		for (guint j = 0; j < portals; j++)
			json_array_add_object_element(logins, shared_login_at(sv, d, j));
	}
	for (guint i = 0; i < ini->mounts->len; i++) {
		const struct spec_mount *m = g_ptr_array_index(ini->mounts, i);

		json_array_add_object_element(mounts, mount_vars(spec, sv, n, m, run_dir));
		fio = fio || m->fio.where.line;
	}
	for (guint i = 0; i < ini->conformance->len; i++)
		json_array_add_object_element(conformance,
					      conformance_vars(spec, sv, g_ptr_array_index(ini->conformance, i)));
	json_object_set_boolean_member(o, "fio", fio);
	json_object_set_array_member(o, "logins", logins);
	json_object_set_array_member(o, "mounts", mounts);
	json_object_set_array_member(o, "conformance", conformance);
	return o;
}

/* What an "os:" hint says about a node before any fact is gathered. */
static JsonObject *hinted_facts(const struct spec_node *n)
{
	JsonObject *f;

	if (n->os.v == OS_AUTO)
		return NULL;
	f = json_object_new();
	set_str(f, "os_family", spec_os_names[n->os.v]);
	set_str(f, "pkg", n->os.v == OS_RHEL ? "yum" : "apt");
	return f;
}

static JsonObject *lab_vars(const struct lab_spec *spec, const char *run_dir)
{
	g_autofree char *tag = g_strdup_printf("labctl:%s", spec->name.v);
	JsonObject *lab = json_object_new();

	set_str(lab, "name", spec->name.v);
	set_str(lab, "provider", spec_provider_names[spec->provider.type.v]);
	set_str(lab, "run_dir", run_dir);
	set_str(lab, "tag", tag);
	return lab;
}

/* The variables templates see for @n (see docs/playbooks.md). */
static JsonObject *node_vars(const struct lab_spec *spec, struct shared_vars *sv,
			     const struct spec_node *n, JsonObject *facts)
{
	g_autofree char *run_dir = g_strdup_printf("/run/labctl/%s", spec->name.v);
	JsonObject *vars = json_object_new();
	JsonObject *node = json_object_new();

	if (!sv->lab)
		sv->lab = lab_vars(spec, run_dir);
	json_object_set_object_member(vars, "lab", json_object_ref(sv->lab));

	set_str(node, "name", n->name.v);
	set_str(node, "role", spec_role_names[n->role.v]);
	set_str(node, "address", n->address.v);
	set_str(node, "os", spec_os_names[n->os.v]);
	json_object_set_object_member(vars, "node", node);

	if (n->role.v == ROLE_DISK)
		json_object_set_object_member(vars, "target", target_vars(spec, n));
	else
		json_object_set_object_member(vars, "initiator",
					      initiator_vars(spec, sv, n, run_dir));

	if (facts)
		json_object_set_object_member(vars, "facts", json_object_ref(facts));
	else if ((facts = hinted_facts(n)))
		json_object_set_object_member(vars, "facts", facts);
	return vars;
}

JsonObject *plan_node_vars(const struct lab_spec *spec, const struct spec_node *n,
			   JsonObject *facts)
{
	struct shared_vars sv = { 0 };
	JsonObject *vars = node_vars(spec, &sv, n, facts);

	shared_vars_clear(&sv);
	return vars;
}

/* ---- building ---- */

static void plan_task_free(gpointer p)
{
	struct plan_task *t = p;

	g_free(t->id);
	g_free(t->playbook);
	g_free(t->name);
	g_free(t->when);
	g_free(t->check);
	g_free(t->guard);
	g_free(t->run);
	g_free(t->input);
	g_free(t->undo);
	g_free(t->metrics);
	g_free(t->known_failures);
	g_free(t->proven_by);
	g_free(t->provides);
	g_free(t->waits);
	g_free(t->waits_disk);
	g_ptr_array_unref(t->after);
	g_free(t);
}

static void plan_node_free(gpointer p)
{
	struct plan_node *n = p;

	g_free(n->name);
	g_free(n->address);
	g_free(n->user);
	g_ptr_array_unref(n->tasks);
	g_free(n);
}

void plan_free(struct plan *plan)
{
	if (!plan)
		return;
	g_ptr_array_unref(plan->nodes);
	g_free(plan);
}

struct builder {
	const struct lab_spec *spec;
	const struct plan_options *opts;
	GHashTable *playbooks;  /* name -> struct playbook * */
	GPtrArray *diags;
	struct shared_vars shared;
	bool ok;
};

static void berr(struct builder *b, const char *node, const struct playbook *pb,
		 const struct pb_task *t, const GError *error)
{
	diags_add(b->diags, b->spec->file, (struct loc){ 0, 0 },
		  "node '%s', playbook '%s', task '%s': %s", node, pb->name,
		  t->name.v, error->message);
	b->ok = false;
}

/* A task's variables: the node's, and the foreach element under its name. */
struct task_scope {
	JsonObject *vars;
	const char *var;        /* NULL outside a foreach */
	JsonNode *elem;
};

static char *render(struct builder *b, const struct playbook *pb, const struct pb_task *t,
		    const struct ystr *field, const struct task_scope *scope, unsigned flags,
		    const char *node)
{
	struct template_env env = {
		.vars = scope->vars,
		.bind = scope->var,
		.bind_value = scope->elem,
		.flags = flags,
		.secret = b->opts->secret,
		.secret_data = b->opts->secret_data,
	};
	g_autoptr(GError) error = NULL;
	const struct template *tpl;
	char *out;

	if (!field->v)
		return NULL;
	tpl = playbook_field(pb, field);
	out = template_render(tpl, &env, &error);
	if (!out)
		berr(b, node, pb, t, error);
	return out;
}

static char *render_script(struct builder *b, const struct playbook *pb,
			   const struct pb_task *t, const struct task_scope *scope, const char *node)
{
	struct template_env env = {
		.vars = scope->vars,
		.bind = scope->var,
		.bind_value = scope->elem,
		.flags = TEMPLATE_QUOTE | (b->opts->flags & (TEMPLATE_REDACT | TEMPLATE_SECRETS)),
		.secret = b->opts->secret,
		.secret_data = b->opts->secret_data,
	};
	g_autoptr(GError) error = NULL;
	char *out;

	if (!t->script.v)
		return NULL;
	out = template_render(playbook_script(pb, t->script.v), &env, &error);
	if (!out)
		berr(b, node, pb, t, error);
	return out;
}

/*
 * A task's timeout_from: a template that renders to whole seconds, for a
 * task whose time the spec sets (a fio run's).  Returns the default
 * timeout after reporting a rendering that is not a number in range.
 */
static unsigned render_timeout(struct builder *b, const struct playbook *pb,
			       const struct pb_task *t, const struct task_scope *scope,
			       const char *node)
{
	g_autofree char *text = render(b, pb, t, &t->timeout_from, scope, TEMPLATE_REDACT, node);
	guint64 v = 0;

	if (!text)
		return PLAYBOOK_DEFAULT_TIMEOUT;
	if (!g_ascii_string_to_unsigned(text, 10, 1, PLAYBOOK_MAX_TIMEOUT, &v, NULL)) {
		g_autoptr(GError) e = g_error_new(TEMPLATE_ERROR, TEMPLATE_ERROR_TYPE,
						  "'timeout_from' must render to seconds from 1 to %d, not '%s'",
						  PLAYBOOK_MAX_TIMEOUT, text);

		berr(b, node, pb, t, e);
		return PLAYBOOK_DEFAULT_TIMEOUT;
	}
	return (unsigned)v;
}

/*
 * @elem is the foreach element, or NULL.  When it names a disk (a login or a
 * mount), the task's "after" waits for that disk only.
 */
static void add_task(struct builder *b, struct plan_node *pn, JsonObject *vars,
		     const struct playbook *pb, const struct pb_task *t, const char *var,
		     JsonNode *elem)
{
	const struct task_scope sc = { vars, var, elem };
	const struct task_scope *scope = &sc;
	g_autoptr(GError) error = NULL;
	enum template_truth truth = TEMPLATE_TRUE;
	struct plan_task *pt;

	if (b->opts->verify_only && !t->verify.v)
		return;
	if (t->when.v) {
		const struct template_cond *cond = playbook_when(pb, t);
		struct template_cond *parsed = cond ? NULL : template_cond_parse(t->when.v, &error);
		bool ok = (cond || parsed) &&
			  template_cond_eval(cond ? cond : parsed, scope->vars, var, elem,
					     &truth, &error);

		template_cond_free(parsed);
		if (!ok) {
			berr(b, pn->name, pb, t, error);
			return;
		}
	}
	if (truth == TEMPLATE_FALSE)
		return;
	/* with facts gathered, a condition still open names a fact nobody reported */
	if (truth == TEMPLATE_UNKNOWN && b->opts->facts) {
		g_autoptr(GError) e = g_error_new(TEMPLATE_ERROR, TEMPLATE_ERROR_UNKNOWN,
						  "condition '%s' depends on a fact the node did not report",
						  t->when.v);

		berr(b, pn->name, pb, t, e);
		return;
	}

	pt = g_new0(struct plan_task, 1);
	pt->id = g_strdup_printf("%s:%u", pn->name, pn->tasks->len + 1);
	pt->playbook = g_strdup(pb->name);
	pt->when = truth == TEMPLATE_UNKNOWN ? g_strdup(t->when.v) : NULL;
	/* task names are display text; commands never get secrets (argv is public) */
	pt->name = render(b, pb, t, &t->name, scope, TEMPLATE_REDACT, pn->name);
	pt->check = render(b, pb, t, &t->check, scope, TEMPLATE_QUOTE, pn->name);
	pt->guard = render(b, pb, t, &t->guard, scope, TEMPLATE_QUOTE, pn->name);
	pt->run = t->run.v ? render(b, pb, t, &t->run, scope, TEMPLATE_QUOTE, pn->name)
			   : g_strdup("sh -s");
	pt->input = render_script(b, pb, t, scope, pn->name);
	pt->undo = render(b, pb, t, &t->undo, scope, TEMPLATE_QUOTE, pn->name);
	pt->timeout = t->timeout.set ? (unsigned)t->timeout.v : PLAYBOOK_DEFAULT_TIMEOUT;
	if (t->timeout_from.v)
		pt->timeout = render_timeout(b, pb, t, scope, pn->name);
	pt->metrics = t->metrics.set ? g_strdup(playbook_metrics_names[t->metrics.v]) : NULL;
	pt->known_failures = render(b, pb, t, &t->known_failures, scope, TEMPLATE_REDACT, pn->name);
	if (pt->known_failures && !*pt->known_failures)
		g_clear_pointer(&pt->known_failures, g_free);
	pt->retries = (unsigned)t->retries.v;
	pt->verify = t->verify.v;
	pt->heavy = t->heavy.v;
	if (t->proven_by.v) {
		g_autofree char *by = render(b, pb, t, &t->proven_by, scope, TEMPLATE_REDACT, pn->name);

		/* none in the plan (its "when", or "check"'s plan): nothing to pair */
		for (guint i = pn->tasks->len; by && i-- > 0;) {
			const struct plan_task *o = g_ptr_array_index(pn->tasks, i);

			if (!o->verify && !strcmp(o->playbook, pb->name) && !g_strcmp0(o->name, by)) {
				pt->proven_by = g_strdup(o->id);
				break;
			}
		}
	}
	pt->adopt = !t->adopt.set || t->adopt.v;
	pt->provides = g_strdup(t->provides.v);
	pt->waits = g_strdup(t->after.v);
	if (pt->waits && elem && JSON_NODE_HOLDS_OBJECT(elem) &&
	    json_object_has_member(json_node_get_object(elem), "disk"))
		pt->waits_disk = g_strdup(json_object_get_string_member(
				json_node_get_object(elem), "disk"));
	pt->after = g_ptr_array_new_with_free_func(g_free);
	/* a task's name is its journal key on the node: it must be unique */
	for (guint i = 0; pt->name && i < pn->tasks->len; i++) {
		const struct plan_task *o = g_ptr_array_index(pn->tasks, i);

		/* offline, alternatives for different facts may share one */
		if (!o->when && !pt->when && !g_strcmp0(o->name, pt->name)) {
			g_autoptr(GError) e = g_error_new(TEMPLATE_ERROR, TEMPLATE_ERROR_TYPE,
							  "another task on the node has the same name '%s' (%s)",
							  pt->name, o->id);

			berr(b, pn->name, pb, t, e);
			break;
		}
	}
	g_ptr_array_add(pn->tasks, pt);
}

/* The node at dotted @path in @vars; no allocation: it runs per node and task. */
static JsonNode *lookup_path(JsonObject *vars, const char *path)
{
	JsonNode *n = NULL;
	JsonObject *o = vars;
	char seg[128];

	for (;;) {
		const char *dot = strchr(path, '.');
		size_t len = dot ? (size_t)(dot - path) : strlen(path);

		if (!o || len >= sizeof(seg))
			return NULL;
		memcpy(seg, path, len);
		seg[len] = '\0';
		/* NULL for a member that is not there */
		n = json_object_get_member(o, seg);
		if (!n || !dot)
			return n;
		o = JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
		path = dot + 1;
	}
}

static void add_playbook(struct builder *b, struct plan_node *pn, JsonObject *vars,
			 const struct playbook *pb)
{
	for (guint i = 0; i < pb->tasks->len; i++) {
		const struct pb_task *t = g_ptr_array_index(pb->tasks, i);
		g_autofree char *var = NULL;
		const char *path;
		JsonNode *list;
		JsonArray *a;

		if (!t->foreach.v) {
			add_task(b, pn, vars, pb, t, NULL, NULL);
			continue;
		}
		/* "VAR in PATH", single spaces: playbook_load checked it */
		path = strchr(t->foreach.v, ' ');
		var = g_strndup(t->foreach.v, (gsize)(path - t->foreach.v));
		path += strlen(" in ");
		list = lookup_path(vars, path);
		if (!list || !JSON_NODE_HOLDS_ARRAY(list)) {
			g_autoptr(GError) error = g_error_new(TEMPLATE_ERROR, TEMPLATE_ERROR_TYPE,
							      "'foreach' needs a list, and '%s' is not one", path);

			berr(b, pn->name, pb, t, error);
			continue;
		}
		a = json_node_get_array(list);
		for (guint j = 0; j < json_array_get_length(a); j++) {
			add_task(b, pn, vars, pb, t, var, json_array_get_element(a, j));
		}
	}
}

static const struct playbook *get_playbook(struct builder *b, const char *name)
{
	struct playbook *pb = g_hash_table_lookup(b->playbooks, name);

	if (pb || g_hash_table_contains(b->playbooks, name))
		return pb;
	pb = playbook_load(name, b->opts->playbook_dir, b->diags);
	if (!pb)
		b->ok = false;
	g_hash_table_insert(b->playbooks, g_strdup(name), pb);
	return pb;
}

/* Hosts wait for a milestone on each disk node they log in to. */
static const char *last_provider(const struct plan_node *pn, const char *milestone)
{
	const char *last = NULL;

	for (guint j = 0; pn && j < pn->tasks->len; j++) {
		const struct plan_task *t = g_ptr_array_index(pn->tasks, j);

		if (!g_strcmp0(t->provides, milestone))
			last = t->id;
	}
	return last;
}

static void link_after(struct plan *plan)
{
	/* by name: a scan per waiting task made large labs quadratic */
	g_autoptr(GHashTable) by_name = g_hash_table_new(g_str_hash, g_str_equal);

	for (guint i = 0; i < plan->nodes->len; i++) {
		struct plan_node *pn = g_ptr_array_index(plan->nodes, i);

		if (!g_hash_table_contains(by_name, pn->name))
			g_hash_table_insert(by_name, pn->name, pn);
	}
	for (guint i = 0; i < plan->nodes->len; i++) {
		struct plan_node *pn = g_ptr_array_index(plan->nodes, i);
		GPtrArray *targets = pn->spec->initiator.targets;

		if (pn->spec->role.v != ROLE_HOST)
			continue;
		for (guint j = 0; j < pn->tasks->len; j++) {
			struct plan_task *t = g_ptr_array_index(pn->tasks, j);

			for (guint k = 0; t->waits && k < targets->len; k++) {
				const struct ystr *d = g_ptr_array_index(targets, k);
				const char *id;

				if (t->waits_disk && strcmp(t->waits_disk, d->v))
					continue;
				id = last_provider(g_hash_table_lookup(by_name, d->v), t->waits);
				if (id)
					g_ptr_array_add(t->after, g_strdup(id));
			}
		}
	}
}

static void playbook_destroy(gpointer p)
{
	playbook_free(p);
}

struct plan *plan_build(const struct lab_spec *spec, const struct plan_options *opts,
			GPtrArray *diags)
{
	struct builder b = { .spec = spec, .opts = opts, .diags = diags, .ok = true };
	struct plan *plan = g_new0(struct plan, 1);

	b.playbooks = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, playbook_destroy);
	plan->spec = spec;
	plan->nodes = g_ptr_array_new_with_free_func(plan_node_free);

	for (guint i = 0; i < spec->nodes->len; i++) {
		const struct spec_node *n = g_ptr_array_index(spec->nodes, i);
		struct plan_node *pn = g_new0(struct plan_node, 1);
		JsonObject *facts = opts->facts ? g_hash_table_lookup(opts->facts, n->name.v) : NULL;
		const char *books[4] = { NULL };
		g_autofree char *b1 = NULL;
		g_autoptr(JsonObject) vars = NULL;

		pn->spec = n;
		pn->name = g_strdup(n->name.v);
		pn->address = g_strdup(n->address.v);
		if (spec->provider.type.v == PROVIDER_VAGRANT) {
			/* vagrant says at up; the spec may name the user, never the port */
			pn->user = g_strdup(spec_ssh_value(&n->ssh.user, &spec->ssh.user));
			pn->port = 0;
		} else {
			pn->user = g_strdup(spec_node_user(spec, n));
			pn->port = spec_node_port(spec, n);
		}
		/* made, used and dropped per node, so that the next one reuses the memory */
		vars = node_vars(spec, &b.shared, n, facts);
		pn->tasks = g_ptr_array_new_with_free_func(plan_task_free);
		g_ptr_array_add(plan->nodes, pn);

		if (n->role.v == ROLE_DISK) {
			b1 = g_strconcat("target-", spec_target_backend_names[n->target.backend.v], NULL);
			books[0] = "backing";
			books[1] = b1;
			books[2] = "firewall";
		} else {
			b1 = g_strconcat("initiator-", spec_initiator_backend_names[n->initiator.backend.v], NULL);
			books[0] = b1;
			books[1] = "mount-test";
			/* only where asked for: a playbook directory of an older labctl has none */
			if (n->initiator.conformance->len)
				books[2] = "conformance";
		}
		for (size_t k = 0; k < G_N_ELEMENTS(books) && books[k]; k++) {
			const struct playbook *pb = get_playbook(&b, books[k]);
			const char *role = spec_role_names[n->role.v];

			if (pb && strcmp(pb->role.v, role)) {
				diags_add(diags, pb->file, pb->role.loc,
					  "playbook '%s' is for %s nodes, and '%s' is a %s node",
					  pb->name, pb->role.v, n->name.v, role);
				b.ok = false;
			} else if (pb) {
				add_playbook(&b, pn, vars, pb);
			}
		}
	}
	if (b.ok)
		link_after(plan);
	g_hash_table_unref(b.playbooks);
	shared_vars_clear(&b.shared);
	if (!b.ok) {
		plan_free(plan);
		return NULL;
	}
	return plan;
}

guint plan_task_count(const struct plan *plan)
{
	guint n = 0;

	for (guint i = 0; i < plan->nodes->len; i++)
		n += ((struct plan_node *)g_ptr_array_index(plan->nodes, i))->tasks->len;
	return n;
}

/* ---- output ---- */

/*
 * Writes "LABEL  text", continuation lines indented under the text, each
 * line after PREFIX.  Plans of large labs are megabytes of this: it copies
 * spans straight to the stream instead of splitting and formatting lines.
 */
static void put_lines(FILE *fp, const char *label, const char *prefix, const char *text)
{
	static const char pad[] = "       ";
	size_t prefix_len = strlen(prefix);
	const char *p = text;

	do {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		size_t w = strlen(label);

		fwrite_unlocked(pad, 1, 6, fp);
		fwrite_unlocked(label, 1, w, fp);
		/* the label column is 6 wide, then a space */
		fwrite_unlocked(pad, 1, w < 6 ? 6 - w + 1 : 1, fp);
		/* an empty text is the label alone */
		if (*text)
			fwrite_unlocked(prefix, 1, prefix_len, fp);
		fwrite_unlocked(p, 1, len, fp);
		putc_unlocked('\n', fp);
		label = "";
		p = nl ? nl + 1 : NULL;
	} while (p && *p);
}

static void put_field(FILE *fp, const char *label, const char *text)
{
	if (text)
		put_lines(fp, label, "", text);
}

/*
 * How a node's tasks become root, for the plan: through sudo, not at all
 * (the login is root's), or, when only the provider knows the user, as
 * ssh.become says once it does.
 */
static const char *plan_node_become(const struct lab_spec *spec, const struct plan_node *pn)
{
	if (!pn->user && spec_node_become(spec, pn->spec) == BECOME_AUTO)
		return "auto";
	return spec_node_sudo(spec, pn->spec, pn->user) ? "sudo" : NULL;
}

static const char *plan_node_become_note(const struct lab_spec *spec, const struct plan_node *pn)
{
	const char *b = plan_node_become(spec, pn);

	if (!b)
		return "";
	return !strcmp(b, "auto") ? ", root through sudo unless that user is root"
				  : ", root through sudo";
}

void plan_print(const struct plan *plan, FILE *fp)
{
	const struct lab_spec *spec = plan->spec;

	flockfile(fp);
	fprintf(fp, "lab '%s': provider %s, %u nodes, %u tasks\n",
		spec->name.v, spec_provider_names[spec->provider.type.v],
		plan->nodes->len, plan_task_count(plan));
	for (guint i = 0; i < plan->nodes->len; i++) {
		const struct plan_node *pn = g_ptr_array_index(plan->nodes, i);

		g_autofree char *port = pn->port ? g_strdup_printf("%u", pn->port)
						 : g_strdup("(from the provider)");

		fprintf(fp, "\n%s (%s) %s@%s port %s%s\n", pn->name,
			spec_role_names[pn->spec->role.v],
			pn->user ? pn->user : "(user from the provider)",
			pn->address ? pn->address : "(address from the provider)", port,
			plan_node_become_note(spec, pn));
		for (guint j = 0; j < pn->tasks->len; j++) {
			const struct plan_task *t = g_ptr_array_index(pn->tasks, j);

			fprintf(fp, "  %2u. %s  [%s%s%s%s%s]\n", j + 1, t->name, t->playbook,
				t->verify ? ", verify" : "", t->heavy ? ", heavy" : "",
				t->metrics ? ", metrics " : "",
				t->metrics ? t->metrics : "");
			put_field(fp, "when", t->when);
			if (t->proven_by) {
				g_autofree char *s = g_strdup_printf(
					"up skips it when %s changed something (it proves the same)",
					t->proven_by);

				put_field(fp, "proof", s);
			}
			if (t->after->len) {
				g_autoptr(GString) s = g_string_new(NULL);

				for (guint k = 0; k < t->after->len; k++) {
					if (k)
						g_string_append(s, ", ");
					g_string_append(s, g_ptr_array_index(t->after, k));
				}
				put_field(fp, "after", s->str);
			}
			put_field(fp, "xfail", t->known_failures);
			put_field(fp, "check", t->check);
			put_field(fp, "adopt", t->adopt ? NULL : "no: when the check passes, this lab must have made it");
			put_field(fp, "guard", t->guard);
			put_field(fp, "run", t->run);
			if (t->input)
				put_lines(fp, "stdin", "| ", t->input);
			put_field(fp, "undo", t->undo);
		}
	}
	funlockfile(fp);
}

char *plan_format(const struct plan *plan)
{
	char *text = NULL;
	size_t size = 0;
	FILE *fp = open_memstream(&text, &size);

	if (!fp)
		g_error("open_memstream: %s", g_strerror(errno));
	plan_print(plan, fp);
	if (fclose(fp))
		g_error("writing a plan to memory: %s", g_strerror(errno));
	return text;
}

static void add_opt_str(JsonBuilder *jb, const char *key, const char *v)
{
	json_builder_set_member_name(jb, key);
	if (v)
		json_builder_add_string_value(jb, v);
	else
		json_builder_add_null_value(jb);
}

JsonNode *plan_to_json(const struct plan *plan)
{
	g_autoptr(JsonBuilder) jb = json_builder_new();

	json_builder_begin_object(jb);
	add_opt_str(jb, "format", "labctl-plan/1");
	add_opt_str(jb, "lab", plan->spec->name.v);
	add_opt_str(jb, "provider", spec_provider_names[plan->spec->provider.type.v]);
	json_builder_set_member_name(jb, "nodes");
	json_builder_begin_array(jb);
	for (guint i = 0; i < plan->nodes->len; i++) {
		const struct plan_node *pn = g_ptr_array_index(plan->nodes, i);
		const char *become = plan_node_become(plan->spec, pn);

		json_builder_begin_object(jb);
		add_opt_str(jb, "name", pn->name);
		add_opt_str(jb, "role", spec_role_names[pn->spec->role.v]);
		add_opt_str(jb, "address", pn->address);
		add_opt_str(jb, "user", pn->user);
		json_builder_set_member_name(jb, "port");
		if (pn->port)
			json_builder_add_int_value(jb, pn->port);
		else
			json_builder_add_null_value(jb);
		if (become)
			add_opt_str(jb, "become", become);
		json_builder_set_member_name(jb, "tasks");
		json_builder_begin_array(jb);
		for (guint j = 0; j < pn->tasks->len; j++) {
			const struct plan_task *t = g_ptr_array_index(pn->tasks, j);

			json_builder_begin_object(jb);
			add_opt_str(jb, "id", t->id);
			add_opt_str(jb, "playbook", t->playbook);
			add_opt_str(jb, "name", t->name);
			add_opt_str(jb, "when", t->when);
			add_opt_str(jb, "check", t->check);
			add_opt_str(jb, "guard", t->guard);
			add_opt_str(jb, "run", t->run);
			add_opt_str(jb, "stdin", t->input);
			add_opt_str(jb, "undo", t->undo);
			json_builder_set_member_name(jb, "timeout");
			json_builder_add_int_value(jb, t->timeout);
			json_builder_set_member_name(jb, "retries");
			json_builder_add_int_value(jb, t->retries);
			json_builder_set_member_name(jb, "verify");
			json_builder_add_boolean_value(jb, t->verify);
			json_builder_set_member_name(jb, "adopt");
			json_builder_add_boolean_value(jb, t->adopt);
			/* only where a task has them: plans without stay as they were */
			if (t->heavy) {
				json_builder_set_member_name(jb, "heavy");
				json_builder_add_boolean_value(jb, true);
			}
			if (t->proven_by)
				add_opt_str(jb, "proven_by", t->proven_by);
			if (t->metrics)
				add_opt_str(jb, "metrics", t->metrics);
			if (t->known_failures)
				add_opt_str(jb, "known_failures", t->known_failures);
			add_opt_str(jb, "provides", t->provides);
			json_builder_set_member_name(jb, "after");
			json_builder_begin_array(jb);
			for (guint k = 0; k < t->after->len; k++)
				json_builder_add_string_value(jb, g_ptr_array_index(t->after, k));
			json_builder_end_array(jb);
			json_builder_end_object(jb);
		}
		json_builder_end_array(jb);
		json_builder_end_object(jb);
	}
	json_builder_end_array(jb);
	json_builder_end_object(jb);
	return json_builder_get_root(jb);
}
