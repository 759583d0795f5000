/*
 * test_plan.c - plans of the examples against golden files, and how plans
 * treat facts, foreach, after and secrets
 *
 * LABCTL_UPDATE_GOLDEN=1 rewrites the golden files instead of comparing;
 * review the diff before committing it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <glib/gstdio.h>

#include "labctl/plan.h"
#include "labctl/validate.h"

static const char *srcdir(void)
{
	const char *d = getenv("LABCTL_SRCDIR");

	return d ? d : ".";
}

static struct lab_spec *load_valid(const char *file, const char *text)
{
	g_autoptr(GPtrArray) diags = diags_new();
	struct lab_spec *spec;

	spec = text ? spec_load_data(file, text, strlen(text), diags)
		    : spec_load(file, diags);
	assert_non_null(spec);
	validate_spec(spec, diags);
	for (guint i = 0; i < diags->len; i++) {
		g_autofree char *m = diag_format(g_ptr_array_index(diags, i));

		print_error("%s\n", m);
	}
	assert_int_equal(diags->len, 0);
	return spec;
}

static struct plan *build(struct lab_spec *spec, struct plan_options *opts)
{
	g_autoptr(GPtrArray) diags = diags_new();
	struct plan *plan = plan_build(spec, opts, diags);

	for (guint i = 0; i < diags->len; i++) {
		g_autofree char *m = diag_format(g_ptr_array_index(diags, i));

		print_error("%s\n", m);
	}
	assert_non_null(plan);
	return plan;
}

static void compare_golden(const char *name, const char *got)
{
	g_autofree char *path = g_build_filename(srcdir(), "tests/data/plan", name, NULL);
	g_autofree char *want = NULL;

	if (getenv("LABCTL_UPDATE_GOLDEN")) {
		assert_true(g_file_set_contents(path, got, -1, NULL));
		return;
	}
	if (!g_file_get_contents(path, &want, NULL, NULL))
		fail_msg("missing golden file %s (LABCTL_UPDATE_GOLDEN=1 makes it)", path);
	if (strcmp(want, got)) {
		g_autofree char *tmp = g_strconcat(path, ".actual", NULL);

		g_file_set_contents(tmp, got, -1, NULL);
		fail_msg("plan differs from %s; see %s", path, tmp);
	}
}

static void test_golden(void **state)
{
	static const char *const examples[] = { "seed-lab", "local-lab", "libvirt-lab" };

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(examples); i++) {
		g_autofree char *file = g_strdup_printf("examples/%s.yaml", examples[i]);
		g_autofree char *path = g_build_filename(srcdir(), file, NULL);
		g_autofree char *txt_name = g_strconcat(examples[i], ".txt", NULL);
		g_autofree char *json_name = g_strconcat(examples[i], ".json", NULL);
		struct plan_options opts = { .flags = TEMPLATE_REDACT };
		struct lab_spec *spec = load_valid(path, NULL);
		struct plan *plan = build(spec, &opts);
		g_autofree char *text = plan_format(plan);
		g_autoptr(JsonNode) root = plan_to_json(plan);
		g_autoptr(JsonGenerator) gen = json_generator_new();
		g_autofree char *json = NULL;

		/* the spec's file name shows nowhere in the plan, so paths do not matter */
		json_generator_set_root(gen, root);
		json_generator_set_pretty(gen, TRUE);
		json = json_generator_to_data(gen, NULL);
		compare_golden(txt_name, text);
		compare_golden(json_name, json);
		plan_free(plan);
		spec_free(spec);
	}
}

/* The tutorial's steps appear in the seed plan, in the tutorial's order. */
static void test_seed_reads_like_tutorial(void **state)
{
	g_autofree char *path = g_build_filename(srcdir(), "examples/seed-lab.yaml", NULL);
	static const char *const disk_steps[] = {
		"dd if=/dev/zero of=/lun1.img bs=1M count=1024",
		"losetup -f --show /lun1.img",
		"yum -y install targetcli",
		"systemctl enable target",
		"systemctl start target",
		"/backstores/block create ib_vol1 $dev0",
		"/iscsi create iqn.2016-06.com.iscsi-disks:iscsi-disks",
		"tpg1/acls create iqn.2016-06.com.iscsi-host:iscsi-host",
		"tpg1/luns create /backstores/block/ib_vol1",
		"tpg1/portals create 192.168.56.20 3260",
		"saveconfig",
		"iptables -I INPUT 1 -p tcp --dport 3260",
	};
	static const char *const host_steps[] = {
		"yum -y install iscsi-initiator-utils",
		"InitiatorName=iqn.2016-06.com.iscsi-host:iscsi-host",
		"iscsiadm -m discovery -t sendtargets -p 192.168.56.20:3260",
		"--login",
		"mkfs.xfs",
		"mount -t xfs",
		"/mnt/abcd",
	};
	struct plan_options opts = { .flags = TEMPLATE_REDACT };
	struct lab_spec *spec;
	struct plan *plan;
	g_autofree char *text = NULL;
	const char *p, *host;
	int targetcli_runs = 0;

	(void)state;
	spec = load_valid(path, NULL);
	plan = build(spec, &opts);
	text = plan_format(plan);
	host = strstr(text, "\niscsi-host (host)");
	assert_non_null(host);

	p = text;
	for (size_t i = 0; i < G_N_ELEMENTS(disk_steps); i++) {
		const char *q = strstr(p, disk_steps[i]);

		if (!q || q > host)
			fail_msg("disk step '%s' missing or out of order", disk_steps[i]);
		p = q;
	}
	for (size_t i = 0; i < G_N_ELEMENTS(host_steps); i++) {
		const char *q = strstr(p, host_steps[i]);

		if (!q)
			fail_msg("host step '%s' missing or out of order", host_steps[i]);
		p = q;
	}
	/* ONE targetcli invocation, in the script on stdin, configures the target */
	for (p = strstr(text, "| } | targetcli\n"); p && p < host; p = strstr(p + 1, "| } | targetcli\n"))
		targetcli_runs++;
	assert_int_equal(targetcli_runs, 1);
	plan_free(plan);
	spec_free(spec);
}

static const char chap_spec[] =
	"lab: chap\n"
	"provider: {type: static}\n"
	"nodes:\n"
	"  - name: d\n"
	"    role: disk\n"
	"    address: 10.0.0.1\n"
	"    target:\n"
	"      luns: [{name: l, image: /l.img, size: 300MiB}]\n"
	"      chap:\n"
	"        user: hostuser\n"
	"        password: {env: TEST_PLAN_CHAP}\n"
	"        mutual: {user: diskuser, password: {file: /nonexistent/secret}}\n"
	"  - name: h\n"
	"    role: host\n"
	"    address: 10.0.0.2\n"
	"    initiator:\n"
	"      mounts: [{disk: d, lun: l, path: /mnt/x}]\n";

static char *fake_secret(const char *ref, void *data, GError **error)
{
	(void)data;
	(void)error;
	if (!strcmp(ref, "env:TEST_PLAN_CHAP"))
		return g_strdup("s3cret-one");
	return g_strdup("s3cret-two");
}

static bool plan_mentions(const struct plan *plan, const char *needle, bool commands_only)
{
	for (guint i = 0; i < plan->nodes->len; i++) {
		const struct plan_node *pn = g_ptr_array_index(plan->nodes, i);

		for (guint j = 0; j < pn->tasks->len; j++) {
			const struct plan_task *t = g_ptr_array_index(pn->tasks, j);
			const char *fields[] = { t->name, t->check, t->run, t->undo,
						 commands_only ? NULL : t->input };

			for (size_t k = 0; k < G_N_ELEMENTS(fields); k++)
				if (fields[k] && strstr(fields[k], needle))
					return true;
		}
	}
	return false;
}

static void test_secrets(void **state)
{
	struct lab_spec *spec = load_valid("chap.yaml", chap_spec);
	struct plan_options redacted = { .flags = TEMPLATE_REDACT };
	struct plan_options live = { .flags = TEMPLATE_SECRETS, .secret = fake_secret };
	struct plan *plan;
	g_autofree char *text = NULL;

	(void)state;
	/* plan shows *** and never resolves anything */
	plan = build(spec, &redacted);
	text = plan_format(plan);
	assert_non_null(strstr(text, "printf '%s' *** >\"$a/password\""));
	assert_non_null(strstr(text, "printf '%s' *** >\"$a/password_mutual\""));
	assert_null(strstr(text, "s3cret"));
	plan_free(plan);

	/* the engine's plan has the secrets, only in script bodies (stdin),
	 * which write them into configfs: targetcli never sees them */
	plan = build(spec, &live);
	assert_true(plan_mentions(plan, "printf '%s' s3cret-one >\"$a/password\"", false));
	assert_true(plan_mentions(plan, "printf '%s' s3cret-two >\"$a/password_mutual\"", false));
	assert_false(plan_mentions(plan, "s3cret", true));
	assert_false(plan_mentions(plan, "set auth", false));
	plan_free(plan);
	spec_free(spec);
}

/* Writes a playbook directory whose target-lio puts a secret in argv. */
static char *leaky_playbook_dir(void)
{
	g_autofree char *tmp = g_dir_make_tmp("labctl-plan-XXXXXX", NULL);
	g_autofree char *pb = g_build_filename(tmp, "playbooks", NULL);
	g_autofree char *tp = g_build_filename(tmp, "templates", NULL);
	static const char *const names[] = {
		"backing", "firewall", "initiator-open-iscsi", "mount-test",
	};

	g_mkdir(pb, 0700);
	g_mkdir(tp, 0700);
	for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
		g_autofree char *f = g_strdup_printf("%s/%s.yaml", pb, names[i]);
		g_autofree char *body = g_strdup_printf(
			"playbook: %s\nrole: %s\ntasks:\n  - name: nothing of %s\n    run: 'true'\n",
			names[i], strstr(names[i], "initiator") || strstr(names[i], "mount") ? "host" : "disk", names[i]);

		g_file_set_contents(f, body, -1, NULL);
	}
	{
		g_autofree char *f = g_build_filename(pb, "target-lio.yaml", NULL);

		g_file_set_contents(f,
			"playbook: target-lio\nrole: disk\ntasks:\n"
			"  - name: leak\n    run: echo {{ target.chap.password }}\n", -1, NULL);
	}
	return g_steal_pointer(&tmp);
}

static void rm_rf(const char *dir)
{
	g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", dir);

	assert_int_equal(system(cmd), 0);
}

static void test_secret_in_argv_refused(void **state)
{
	struct lab_spec *spec = load_valid("chap.yaml", chap_spec);
	g_autofree char *dir = leaky_playbook_dir();
	struct plan_options opts = { .playbook_dir = dir, .flags = TEMPLATE_REDACT };
	g_autoptr(GPtrArray) diags = diags_new();
	struct plan *plan;
	g_autofree char *msg = NULL;

	(void)state;
	plan = plan_build(spec, &opts, diags);
	assert_null(plan);
	assert_int_equal(diags->len, 1);
	msg = diag_format(g_ptr_array_index(diags, 0));
	assert_non_null(strstr(msg, "node 'd', playbook 'target-lio', task 'leak'"));
	assert_non_null(strstr(msg, "secret 'target.chap.password' may only be used in a script body"));
	rm_rf(dir);
	spec_free(spec);
}

static const char two_disks_spec[] =
	"lab: two\n"
	"provider: {type: netns}\n"
	"nodes:\n"
	"  - name: d1\n"
	"    role: disk\n"
	"    target:\n"
	"      backend: tgt\n"
	"      firewall: iptables\n"
	"      luns:\n"
	"        - {name: a, image: /i/a.img, size: 300MiB}\n"
	"        - {name: b, image: /i/b.img, size: 1GiB, backstore: fileio}\n"
	"  - name: d2\n"
	"    role: disk\n"
	"    target:\n"
	"      backend: tgt\n"
	"      luns: [{name: c, image: /i/c.img, size: 300MiB}]\n"
	"  - name: h\n"
	"    role: host\n"
	"    initiator:\n"
	"      backend: libiscsi\n"
	"      mounts:\n"
	"        - {disk: d1, lun: a, path: /mnt/a}\n"
	"        - {disk: d2, lun: c, path: /mnt/c, fs: ext4}\n";

static const struct plan_node *node_of(const struct plan *plan, const char *name)
{
	for (guint i = 0; i < plan->nodes->len; i++) {
		const struct plan_node *pn = g_ptr_array_index(plan->nodes, i);

		if (!strcmp(pn->name, name))
			return pn;
	}
	fail_msg("no node '%s' in the plan", name);
	return NULL;
}

static const struct plan_task *task_named(const struct plan_node *pn, const char *prefix)
{
	for (guint i = 0; i < pn->tasks->len; i++) {
		const struct plan_task *t = g_ptr_array_index(pn->tasks, i);

		if (g_str_has_prefix(t->name, prefix))
			return t;
	}
	return NULL;
}

static guint count_named(const struct plan_node *pn, const char *prefix)
{
	guint n = 0;

	for (guint i = 0; i < pn->tasks->len; i++)
		n += g_str_has_prefix(((struct plan_task *)g_ptr_array_index(pn->tasks, i))->name, prefix);
	return n;
}

static JsonObject *json_obj(const char *text)
{
	g_autoptr(JsonNode) n = json_from_string(text, NULL);

	assert_non_null(n);
	return json_node_dup_object(n);
}

static void test_facts_foreach_after(void **state)
{
	struct lab_spec *spec = load_valid("two.yaml", two_disks_spec);
	struct plan_options offline = { .flags = TEMPLATE_REDACT };
	g_autoptr(GHashTable) facts = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
							    (GDestroyNotify)json_object_unref);
	struct plan_options online = { .flags = TEMPLATE_REDACT, .facts = facts };
	const struct plan_node *d1, *d2, *h;
	const struct plan_task *t;
	struct plan *plan;

	(void)state;
	/* offline, with no os hint: both install variants stay, conditional */
	plan = build(spec, &offline);
	d1 = node_of(plan, "d1");
	assert_int_equal(count_named(d1, "install"), 3);
	t = task_named(d1, "install tgt (apt)");
	assert_non_null(t);
	assert_string_equal(t->when, "facts.pkg == 'apt'");
	/* foreach: one backing image per lun, a loop device only for block */
	assert_int_equal(count_named(d1, "create backing image"), 2);
	assert_int_equal(count_named(d1, "attach loop device"), 1);
	/* firewall iptables is forced by the spec: no condition left */
	t = task_named(d1, "open tcp/3260 in iptables");
	assert_non_null(t);
	assert_null(t->when);
	assert_null(task_named(d1, "open tcp/3260 in nftables"));
	/* d2 has firewall auto: every kind stays open offline */
	d2 = node_of(plan, "d2");
	assert_int_equal(count_named(d2, "open tcp/3260 in"), 3);
	/* the host waits for the last target-ready task of each disk */
	h = node_of(plan, "h");
	t = task_named(h, "log in to iqn.2026-01.local.labctl:two.d1");
	assert_non_null(t);
	assert_int_equal(t->after->len, 1);
	/* on d1 that is the firewall task, which comes after the target's */
	assert_string_equal(g_ptr_array_index(t->after, 0),
			    task_named(d1, "open tcp/3260 in iptables")->id);
	assert_string_equal(task_named(d1, "open tcp/3260 in iptables")->id, "d1:11");
	t = task_named(h, "log in to iqn.2026-01.local.labctl:two.d2");
	assert_non_null(t);
	assert_int_equal(t->after->len, 1);
	assert_string_equal(g_ptr_array_index(t->after, 0),
			    ((struct plan_task *)g_ptr_array_index(d2->tasks, d2->tasks->len - 1))->id);
	/* tgt numbers data luns from 1; ext4 and xfs each get their mkfs */
	assert_non_null(task_named(h, "export lun 1 of iqn.2026-01.local.labctl:two.d1"));
	assert_non_null(task_named(h, "make ext4 on /run/labctl/two/d2-c.img"));
	assert_non_null(task_named(h, "make xfs on /run/labctl/two/d1-a.img"));
	plan_free(plan);

	/* with facts, conditions resolve and only what applies is left */
	g_hash_table_insert(facts, (gpointer)"d1", json_obj("{\"pkg\": \"yum\"}"));
	g_hash_table_insert(facts, (gpointer)"d2", json_obj("{\"pkg\": \"apt\", \"firewall\": \"nftables\"}"));
	g_hash_table_insert(facts, (gpointer)"h", json_obj("{\"pkg\": \"apt\"}"));
	plan = build(spec, &online);
	d1 = node_of(plan, "d1");
	assert_int_equal(count_named(d1, "install"), 1);
	assert_non_null(task_named(d1, "install scsi-target-utils (yum)"));
	d2 = node_of(plan, "d2");
	assert_int_equal(count_named(d2, "open tcp/3260 in"), 1);
	assert_non_null(task_named(d2, "open tcp/3260 in nftables"));
	for (guint i = 0; i < d2->tasks->len; i++)
		assert_null(((struct plan_task *)g_ptr_array_index(d2->tasks, i))->when);
	plan_free(plan);
	spec_free(spec);
}

/*
 * A mount with fio gets its install tasks and its check, one that reads
 * its output and whose timeout follows the run; a mount without gets none.
 */
static void test_fio_tasks(void **state)
{
	g_autofree char *head = NULL;
	g_autofree char *text = NULL;
	struct plan_options offline = { .flags = TEMPLATE_REDACT };
	struct plan_options check = { .flags = TEMPLATE_REDACT, .verify_only = true };
	struct lab_spec *plain = load_valid("two.yaml", two_disks_spec);
	struct lab_spec *spec;
	const struct plan_node *h;
	const struct plan_task *t;
	g_autoptr(JsonNode) json = NULL;
	g_autofree char *json_text = NULL;
	struct plan *plan;
	const char *at;

	(void)state;
	plan = build(plain, &offline);
	h = node_of(plan, "h");
	assert_int_equal(count_named(h, "install fio"), 0);
	assert_int_equal(count_named(h, "run fio"), 0);
	for (guint i = 0; i < h->tasks->len; i++)
		assert_null(((struct plan_task *)g_ptr_array_index(h->tasks, i))->metrics);
	plan_free(plan);
	spec_free(plain);

	at = strstr(two_disks_spec, "path: /mnt/a}");
	assert_non_null(at);
	head = g_strndup(two_disks_spec, (gsize)(at - two_disks_spec));
	text = g_strconcat(head, "path: /mnt/a, fio: {runtime: 3, size: 16MiB, rw: randread}}",
			   at + strlen("path: /mnt/a}"), NULL);
	spec = load_valid("fio.yaml", text);
	plan = build(spec, &offline);
	h = node_of(plan, "h");
	/* offline the package manager is open: one install task for each */
	assert_int_equal(count_named(h, "install fio"), 3);
	t = task_named(h, "install fio (apt)");
	assert_non_null(t);
	assert_string_equal(t->when, "initiator.fio and facts.pkg == 'apt'");
	assert_string_equal(t->check, "command -v fio >/dev/null");
	assert_int_equal(count_named(h, "run fio"), 1);
	t = task_named(h, "run fio on /mnt/a (randread, 3 s)");
	assert_non_null(t);
	assert_true(t->verify);
	assert_string_equal(t->metrics, "fio");
	/* 3 s, a minute, a second per 16 MiB */
	assert_int_equal(t->timeout, 64);
	assert_string_equal(t->run, "sh -s");
	assert_non_null(strstr(t->input, "\nf=/mnt/a/.labctl-fio\n"));
	assert_non_null(strstr(t->input, "fio --name=labctl --filename=\"$f\""));
	assert_non_null(strstr(t->input, "--rw=randread --bs=4096 --size=16777216"));
	assert_non_null(strstr(t->input, "--runtime=3 --time_based"));
	assert_non_null(strstr(t->input, "--direct=1 --ioengine=libaio"));
	assert_non_null(strstr(t->input, "--output-format=json"));
	assert_non_null(strstr(t->input, "trap 'rm -f \"$f\"' EXIT"));
	json = plan_to_json(plan);
	json_text = json_to_string(json, FALSE);
	/* the one task with metrics says so; no other gets the member */
	at = strstr(json_text, "\"metrics\":\"fio\"");
	assert_non_null(at);
	assert_null(strstr(at + 1, "\"metrics\""));
	plan_free(plan);

	/* labctl check: the fio run is one of the checks, the installs are not */
	plan = build(spec, &check);
	h = node_of(plan, "h");
	assert_int_equal(count_named(h, "install fio"), 0);
	t = task_named(h, "run fio on /mnt/a");
	assert_non_null(t);
	assert_string_equal(t->metrics, "fio");
	plan_free(plan);
	spec_free(spec);
}

/*
 * initiator.multipath: a login through every portal of the disk, the
 * multipath tasks for each mounted LUN, and the mount on the link to the
 * LUN's map; without it, one login through the first portal and none of
 * those tasks.
 */
static const char multipath_spec[] =
	"lab: mp\n"
	"provider: {type: static}\n"
	"nodes:\n"
	"  - name: d\n"
	"    role: disk\n"
	"    address: 10.0.0.1\n"
	"    target:\n"
	"      portals: [10.0.0.1, '10.0.1.1:3261']\n"
	"      luns: [{name: l, image: /i/l.img, size: 1GiB}]\n"
	"  - name: h\n"
	"    role: host\n"
	"    address: 10.0.0.2\n"
	"    initiator:\n"
	"      multipath: MP\n"
	"      mounts: [{disk: d, lun: l, path: /mnt/l}]\n";

static void test_multipath_tasks(void **state)
{
	struct plan_options offline = { .flags = TEMPLATE_REDACT };
	struct plan_options check = { .flags = TEMPLATE_REDACT, .verify_only = true };
	g_autoptr(GString) text = g_string_new(multipath_spec);
	struct lab_spec *spec;
	const struct plan_node *h;
	const struct plan_task *t;
	struct plan *plan;
	const char *link = "/run/labctl/mp/d-l.mpath";
	const char *p0 = "/dev/disk/by-path/ip-10.0.0.1:3260-iscsi-iqn.2026-01.local.labctl:mp.d-lun-0";
	const char *p1 = "/dev/disk/by-path/ip-10.0.1.1:3261-iscsi-iqn.2026-01.local.labctl:mp.d-lun-0";

	(void)state;
	g_string_replace(text, "MP", "false", 0);
	spec = load_valid("mp.yaml", text->str);
	plan = build(spec, &offline);
	h = node_of(plan, "h");
	assert_int_equal(count_named(h, "log in to "), 1);
	assert_non_null(task_named(h, "log in to iqn.2026-01.local.labctl:mp.d at 10.0.0.1:3260"));
	assert_int_equal(count_named(h, "make the multipath map"), 0);
	assert_int_equal(count_named(h, "start multipathd"), 0);
	assert_int_equal(count_named(h, "install multipath-tools"), 0);
	assert_non_null(task_named(h, "wait for /dev/disk/by-path/ip-10.0.0.1:3260-"));
	assert_non_null(task_named(h, "mount /dev/disk/by-path/ip-10.0.0.1:3260-"));
	plan_free(plan);
	spec_free(spec);

	g_string_assign(text, multipath_spec);
	g_string_replace(text, "MP", "true", 0);
	spec = load_valid("mp.yaml", text->str);
	plan = build(spec, &offline);
	h = node_of(plan, "h");
	/* every portal: reached, discovered, logged in to, its session verified */
	assert_int_equal(count_named(h, "reach "), 2);
	assert_int_equal(count_named(h, "discover "), 2);
	assert_int_equal(count_named(h, "log in to "), 2);
	assert_non_null(task_named(h, "log in to iqn.2026-01.local.labctl:mp.d at 10.0.1.1:3261"));
	assert_int_equal(count_named(h, "verify the session to "), 2);
	/* no wait for the link: the map task makes it */
	assert_null(task_named(h, "wait for /"));
	t = task_named(h, "wait for the 2 paths of lun 0 of d");
	assert_non_null(t);
	assert_non_null(strstr(t->run, p0));
	assert_non_null(strstr(t->run, p1));
	t = task_named(h, "start multipathd");
	assert_non_null(t);
	assert_non_null(t->undo);
	assert_non_null(strstr(t->undo, "systemctl stop multipathd.service"));
	/* the lab's own maps do not keep multipathd running */
	assert_non_null(strstr(t->undo, "mine=$(cat /var/lib/labctl/multipath/mp/* "));
	t = task_named(h, "make the multipath map of lun 0 of d (2 paths)");
	assert_non_null(t);
	assert_false(t->adopt);
	assert_non_null(strstr(t->guard, p0));
	assert_non_null(strstr(t->run, "echo \"$w $s $f\" > \"$r\" || exit 1\n"
				       "if test $s = added; then multipath -a \"$w\""));
	assert_non_null(strstr(t->run, "r=/var/lib/labctl/multipath/mp/d-l"));
	assert_non_null(strstr(t->undo, "p=/etc/multipath/wwids"));
	assert_non_null(strstr(t->undo, "if test \"$s\" = added && grep -qxF -e \"$x\" \"$p\""));
	assert_non_null(strstr(t->undo, "mv -f \"$t\" \"$p\""));
	/* multipath -w would leave '#WWID/' behind */
	assert_null(strstr(t->undo, "multipath -w"));
	assert_non_null(strstr(t->undo, "multipath -f \"$w\""));
	assert_non_null(strstr(t->undo, "test \"$f\" = new"));
	assert_null(strstr(t->run, "multipath.conf"));
	/* the mount test works on the link to the map */
	t = task_named(h, "make xfs on ");
	assert_non_null(t);
	assert_string_equal(t->name, "make xfs on /run/labctl/mp/d-l.mpath");
	t = task_named(h, "mount ");
	assert_non_null(t);
	assert_non_null(strstr(t->run, link));
	plan_free(plan);

	/* check: the paths, the active paths of the map, and the sessions */
	plan = build(spec, &check);
	h = node_of(plan, "h");
	assert_non_null(task_named(h, "wait for the 2 paths of lun 0 of d"));
	t = task_named(h, "verify 2 active paths to lun 0 of d");
	assert_non_null(t);
	assert_non_null(strstr(t->run, "multipath -ll \"$w\""));
	assert_non_null(strstr(t->run, "test \"$n\" != 2"));
	assert_non_null(strstr(t->run, "grep -cE 'active +ready +running'"));
	assert_null(task_named(h, "make the multipath map"));
	plan_free(plan);
	spec_free(spec);
}

/*
 * A conformance run gets its install tasks and its check, which waits for
 * its own disk's target, runs the tests the spec lists against the LUN's
 * number, and reads its output; a host without one gets no task of the
 * conformance playbook at all.
 */
static void test_conformance_tasks(void **state)
{
	g_autofree char *text = NULL;
	struct plan_options offline = { .flags = TEMPLATE_REDACT };
	struct plan_options check = { .flags = TEMPLATE_REDACT, .verify_only = true };
	struct lab_spec *plain = load_valid("two.yaml", two_disks_spec);
	struct lab_spec *spec;
	const struct plan_node *h, *d1;
	const struct plan_task *t;
	const char *name = "run libiscsi's conformance tests ALL.Inquiry,SCSI.Read10 on lun 2 of d1";
	struct plan *plan;

	(void)state;
	plan = build(plain, &offline);
	h = node_of(plan, "h");
	for (guint i = 0; i < h->tasks->len; i++)
		assert_string_not_equal(((struct plan_task *)g_ptr_array_index(h->tasks, i))->playbook,
					"conformance");
	plan_free(plan);
	spec_free(plain);

	text = g_strconcat(two_disks_spec, "      conformance:\n"
			   "        - {disk: d1, lun: b, tests: [ALL.Inquiry, SCSI.Read10], timeout: 100}\n",
			   NULL);
	spec = load_valid("conformance.yaml", text);
	plan = build(spec, &offline);
	h = node_of(plan, "h");
	d1 = node_of(plan, "d1");
	assert_int_equal(count_named(h, "install libiscsi-utils"), 2);
	t = task_named(h, "install libiscsi-bin (apt)");
	assert_non_null(t);
	assert_string_equal(t->when, "initiator.conformance and facts.pkg == 'apt'");
	assert_string_equal(t->check, "command -v iscsi-test-cu >/dev/null");
	t = task_named(h, name);
	assert_non_null(t);
	assert_string_equal(t->playbook, "conformance");
	assert_true(t->verify);
	assert_string_equal(t->metrics, "libiscsi");
	/* the run's 100 s and half a minute to report */
	assert_int_equal(t->timeout, 130);
	/* only d1's target: the lun is d1's */
	assert_int_equal(t->after->len, 1);
	assert_string_equal(g_ptr_array_index(t->after, 0),
			    task_named(d1, "open tcp/3260 in iptables")->id);
	assert_non_null(strstr(t->input, "\ntests=ALL.Inquiry,SCSI.Read10\n"));
	assert_non_null(strstr(t->input, "\nportal=10.203.0.10:3260\n"));
	assert_non_null(strstr(t->input, "timeout -k 5 100 iscsi-test-cu -d -v"));
	assert_non_null(strstr(t->input, "-i iqn.2026-01.local.labctl:two.h -I iqn.2026-01.local.labctl:two.h -t \"$tests\""));
	assert_non_null(strstr(t->input, "\"iscsi://$portal/iqn.2026-01.local.labctl:two.d1/2\""));
	plan_free(plan);

	/* labctl check: the run is one of the checks, the installs are not */
	plan = build(spec, &check);
	h = node_of(plan, "h");
	assert_int_equal(count_named(h, "install libiscsi-utils"), 0);
	assert_null(task_named(h, "install libiscsi-bin (apt)"));
	assert_non_null(task_named(h, name));
	plan_free(plan);
	spec_free(spec);
}

/* A playbook directory with one target-lio playbook of the given tasks. */
static char *one_playbook_dir(const char *tasks)
{
	g_autofree char *dir = leaky_playbook_dir();
	g_autofree char *f = g_build_filename(dir, "playbooks", "target-lio.yaml", NULL);
	g_autofree char *text = g_strdup_printf("playbook: target-lio\nrole: disk\ntasks:\n%s", tasks);

	g_file_set_contents(f, text, -1, NULL);
	return g_steal_pointer(&dir);
}

static void expect_one_error(struct plan_options *opts, const char *needle)
{
	struct lab_spec *spec = load_valid("chap.yaml", chap_spec);
	g_autoptr(GPtrArray) diags = diags_new();
	g_autofree char *msg = NULL;

	assert_null(plan_build(spec, opts, diags));
	assert_int_equal(diags->len, 1);
	msg = diag_format(g_ptr_array_index(diags, 0));
	if (!strstr(msg, needle))
		fail_msg("'%s' not in '%s'", needle, msg);
	spec_free(spec);
}

static void test_timeout_from(void **state)
{
	g_autofree char *bad = one_playbook_dir(
		"  - {name: a, run: 'true', timeout_from: 'x{{ node.name }}'}\n");
	g_autofree char *big = one_playbook_dir(
		"  - {name: a, run: 'true', timeout_from: '3601'}\n");
	struct plan_options o = { .flags = TEMPLATE_REDACT };

	(void)state;
	o.playbook_dir = bad;
	expect_one_error(&o, "'timeout_from' must render to seconds from 1 to 3600, not 'xd'");
	o.playbook_dir = big;
	expect_one_error(&o, "'timeout_from' must render to seconds from 1 to 3600, not '3601'");
	rm_rf(bad);
	rm_rf(big);
}

static void test_duplicate_names_and_unknown_facts(void **state)
{
	g_autofree char *dup = one_playbook_dir(
		"  - {name: same, run: 'true'}\n  - {name: same, run: 'false'}\n");
	g_autofree char *fact = one_playbook_dir(
		"  - {name: a, when: facts.no_such_fact, run: 'true'}\n");
	g_autoptr(GHashTable) facts = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
							    (GDestroyNotify)json_object_unref);
	struct plan_options o = { .flags = TEMPLATE_REDACT };

	(void)state;
	o.playbook_dir = dup;
	expect_one_error(&o, "another task on the node has the same name 'same' (d:2)");
	/* offline an unknown fact leaves the task conditional; online it is an error */
	g_hash_table_insert(facts, (gpointer)"d", json_obj("{\"pkg\": \"apt\"}"));
	g_hash_table_insert(facts, (gpointer)"h", json_obj("{\"pkg\": \"apt\"}"));
	o.playbook_dir = fact;
	o.facts = facts;
	expect_one_error(&o, "condition 'facts.no_such_fact' depends on a fact the node did not report");
	rm_rf(dup);
	rm_rf(fact);
}

/* ---- hostile values in every field of a spec ---- */

/*
 * Each @NAME@ is one field of a spec; a case puts a hostile value there
 * and the defaults everywhere else.
 */
static const char *const hostile_bases[] = {
	"lab: @LAB@\n"
	"description: @DESC@\n"
	"provider: { type: static }\n"
	"ssh:\n"
	"  user: @USER@\n"
	"  port: 22\n"
	"  key: @KEY@\n"
	"  known_hosts: @KH@\n"
	"  passphrase: { file: @PHRASE@ }\n"
	"nodes:\n"
	"  - name: @DISK@\n"
	"    role: disk\n"
	"    address: @ADDR@\n"
	"    target:\n"
	"      iqn: @TIQN@\n"
	"      portals: [@PORTAL@]\n"
	"      acl: [@ACL@]\n"
	"      chap:\n"
	"        user: @CUSER@\n"
	"        password: { file: @CPASS@ }\n"
	"        mutual: { user: @MUSER@, password: { env: @MENV@ } }\n"
	"      luns:\n"
	"        - name: @LUN@\n"
	"          image: @IMAGE@\n"
	"          size: 1GiB\n"
	"  - name: @HOST@\n"
	"    role: host\n"
	"    address: 10.0.0.2\n"
	"    ssh: { user: @NUSER@ }\n"
	"    initiator:\n"
	"      iqn: @IIQN@\n"
	"      targets: [@TARGETS@]\n"
	"      mounts:\n"
	"        - disk: @MDISK@\n"
	"          lun: @MLUN@\n"
	"          path: @MPATH@\n"
	"          options: @MOPTS@\n"
	"          test_file: @TFILE@\n",

	"lab: l\n"
	"provider:\n"
	"  type: libvirt\n"
	"  subnet: @SUBNET@\n"
	"  uri: @PURI@\n"
	"  network: @NET@\n"
	"  base_image: @BASE@\n"
	"  pool: @POOL@\n"
	"  kernel: @KERNEL@\n"
	"  initrd: @INITRD@\n"
	"  cmdline: @CMDLINE@\n"
	"nodes:\n"
	"  - name: d\n"
	"    role: disk\n"
	"    vm: { uri: @VMURI@ }\n"
	"    target:\n"
	"      luns: [ { name: a, image: /i/a.img, size: 1GiB } ]\n",

	"lab: v\n"
	"provider: { type: vagrant, dir: @VDIR@ }\n"
	"nodes:\n"
	"  - name: d\n"
	"    role: disk\n"
	"    target:\n"
	"      portals: [10.0.0.1]\n"
	"      luns: [ { name: a, image: /i/a.img, size: 1GiB } ]\n",
};

static const struct { const char *field, *good; } hostile_fields[] = {
	{ "LAB", "t" }, { "DESC", "a lab" }, { "USER", "admin" }, { "KEY", "/k/id" },
	{ "KH", "/k/known_hosts" }, { "PHRASE", "/k/phrase" }, { "DISK", "d" },
	{ "ADDR", "10.0.0.1" }, { "TIQN", "iqn.2024-01.lab.t:d" }, { "PORTAL", "10.0.0.1:3260" },
	{ "ACL", "h" }, { "CUSER", "cu" }, { "CPASS", "/k/chap" }, { "MUSER", "mu" },
	{ "MENV", "MPW" }, { "LUN", "a" }, { "IMAGE", "/i/a.img" }, { "HOST", "h" },
	{ "NUSER", "nu" }, { "IIQN", "iqn.2024-01.lab.t:h" }, { "TARGETS", "d" },
	{ "MDISK", "d" }, { "MLUN", "a" }, { "MPATH", "/mnt/a" }, { "MOPTS", "noatime" },
	{ "TFILE", "f" }, { "SUBNET", "10.9.0.0/24" }, { "PURI", "qemu:///system" },
	{ "NET", "n" }, { "BASE", "/b/base.qcow2" }, { "POOL", "p" }, { "KERNEL", "/b/vmlinuz" },
	{ "INITRD", "/b/initrd" }, { "CMDLINE", "console=ttyS0" }, { "VMURI", "qemu:///system" },
	{ "VDIR", "vagrant" },
};

/* Appended to a field's good value, or put in front of it. */
static const char *const hostile_suffixes[] = {
	"'PWN", "$(PWN)", "`PWN`", ";PWN", "|PWN", "&PWN", " PWN", "\nPWN", "\tPWN",
	"\"PWN", "\\PWN", "*PWN", "?PWN", "[PWN]", "~PWN", "{PWN,x}", "#PWN", "<PWN", ">PWN",
	"!PWN", "${PWN}",
};

/* As a YAML double-quoted scalar. */
static char *yaml_quoted(const char *v)
{
	GString *q = g_string_new("\"");

	for (const char *c = v; *c; c++) {
		if (*c == '"' || *c == '\\')
			g_string_append_printf(q, "\\%c", *c);
		else if (*c == '\n')
			g_string_append(q, "\\n");
		else if (*c == '\t')
			g_string_append(q, "\\t");
		else
			g_string_append_c(q, *c);
	}
	g_string_append_c(q, '"');
	return g_string_free(q, FALSE);
}

/*
 * Whether every "PWN" in @cmd is inert for sh: inside single quotes or
 * escaped by a backslash, never bare or inside double quotes (where $ and
 * ` still work).
 */
static bool marker_quoted(const char *cmd)
{
	size_t n = strlen(cmd);
	g_autofree char *inert = g_malloc0(n + 1);
	enum { BARE, SQ, DQ } st = BARE;

	for (size_t i = 0; i < n; i++) {
		char c = cmd[i];

		if (st == SQ) {
			if (c == '\'')
				st = BARE;
			else
				inert[i] = 1;
		} else if (c == '\\' && i + 1 < n) {
			inert[++i] = st == BARE;
		} else if (st == DQ) {
			if (c == '"')
				st = BARE;
		} else if (c == '\'') {
			st = SQ;
		} else if (c == '"') {
			st = DQ;
		}
	}
	for (const char *m = strstr(cmd, "PWN"); m; m = strstr(m + 1, "PWN"))
		for (size_t k = 0; k < 3; k++)
			if (!inert[m - cmd + k])
				return false;
	return true;
}

/* "rejected with a FILE:LINE:COL on its line" or "quoted wherever it goes" */
static guint hostile_case(const char *base, const char *field, const char *value,
			  guint *accepted)
{
	g_autofree char *token = g_strdup_printf("@%s@", field);
	const char *at = strstr(base, token);
	g_autoptr(GString) text = g_string_new(base);
	g_autoptr(GPtrArray) diags = diags_new();
	struct plan_options opts = { .flags = TEMPLATE_REDACT };
	struct lab_spec *spec;
	struct plan *plan;
	unsigned line = 1;
	bool on_line = false;

	if (!at)
		return 0;
	for (const char *c = base; c < at; c++)
		line += *c == '\n';
	for (size_t i = 0; i < G_N_ELEMENTS(hostile_fields); i++) {
		g_autofree char *t = g_strdup_printf("@%s@", hostile_fields[i].field);
		g_autofree char *q = yaml_quoted(strcmp(hostile_fields[i].field, field) ?
						 hostile_fields[i].good : value);

		g_string_replace(text, t, q, 0);
	}
	spec = spec_load_data("hostile.yaml", text->str, text->len, diags);
	assert_non_null(spec);
	if (!validate_spec(spec, diags) || diags->len) {
		for (guint i = 0; i < diags->len; i++) {
			const struct diag *d = g_ptr_array_index(diags, i);

			assert_true(d->loc.line > 0);
			on_line |= d->loc.line == line;
		}
		if (!on_line) {
			g_autofree char *first = diag_format(g_ptr_array_index(diags, 0));

			fail_msg("%s = '%s': rejected, but not at line %u: %s", field, value, line, first);
		}
		spec_free(spec);
		return 1;
	}
	(*accepted)++;
	plan = build(spec, &opts);
	for (guint i = 0; i < plan->nodes->len; i++) {
		const struct plan_node *pn = g_ptr_array_index(plan->nodes, i);

		for (guint j = 0; j < pn->tasks->len; j++) {
			const struct plan_task *t = g_ptr_array_index(pn->tasks, j);
			const char *cmds[] = { t->check, t->run, t->undo, t->input };

			for (size_t k = 0; k < G_N_ELEMENTS(cmds); k++)
				if (cmds[k] && !marker_quoted(cmds[k]))
					fail_msg("%s = '%s' reaches the shell unquoted in task %s: %s",
						 field, value, t->id, cmds[k]);
		}
	}
	plan_free(plan);
	spec_free(spec);
	return 1;
}

static void test_hostile_values(void **state)
{
	guint cases = 0, accepted = 0;

	(void)state;
	/* the checker itself */
	assert_true(marker_quoted("echo 'a PWN b' \\P\\W\\N"));
	assert_false(marker_quoted("echo \"'PWN'\""));
	assert_false(marker_quoted("echo a'b'PWN"));
	for (size_t b = 0; b < G_N_ELEMENTS(hostile_bases); b++) {
		for (size_t f = 0; f < G_N_ELEMENTS(hostile_fields); f++) {
			const char *good = hostile_fields[f].good;
			const char *field = hostile_fields[f].field;
			g_autofree char *dash = g_strconcat("-PWN", good, NULL);

			cases += hostile_case(hostile_bases[b], field, dash, &accepted);
			for (size_t s = 0; s < G_N_ELEMENTS(hostile_suffixes); s++) {
				g_autofree char *v = g_strconcat(good, hostile_suffixes[s], NULL);

				cases += hostile_case(hostile_bases[b], field, v, &accepted);
			}
		}
	}
	print_message("%u hostile values, %u accepted and quoted\n", cases, accepted);
	assert_int_equal(cases, G_N_ELEMENTS(hostile_fields) * (G_N_ELEMENTS(hostile_suffixes) + 1));
}

/*
 * With the vagrant provider, vagrant names the user and port at up: the
 * plan says so, and that the tasks go through sudo unless that user is
 * root, rather than root on port 22.  A user in the spec is shown.
 */
static void test_vagrant_login_from_provider(void **state)
{
	static const char *const specs[] = {
		"lab: v\nprovider: { type: vagrant, dir: vagrant }\n",
		"lab: v\nprovider: { type: vagrant, dir: vagrant }\nssh: { user: root }\n",
		"lab: v\nprovider: { type: vagrant, dir: vagrant }\nssh: { become: none }\n",
	};
	static const char *const nodes =
		"nodes:\n"
		"  - name: d\n"
		"    role: disk\n"
		"    target:\n"
		"      portals: [10.0.0.1]\n"
		"      luns: [ { name: a, image: /i/a.img, size: 1GiB } ]\n";
	static const char *const want_line[] = {
		"d (disk) (user from the provider)@(address from the provider) port (from the provider), root through sudo unless that user is root\n",
		"d (disk) root@(address from the provider) port (from the provider)\n",
		"d (disk) (user from the provider)@(address from the provider) port (from the provider)\n",
	};
	static const char *const want_become[] = { "auto", NULL, NULL };

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(specs); i++) {
		g_autofree char *text = g_strconcat(specs[i], nodes, NULL);
		struct plan_options opts = { .flags = TEMPLATE_REDACT };
		struct lab_spec *spec = load_valid("v.yaml", text);
		struct plan *plan = build(spec, &opts);
		g_autofree char *out = plan_format(plan);
		g_autoptr(JsonNode) root = plan_to_json(plan);
		JsonObject *node = json_array_get_object_element(
			json_object_get_array_member(json_node_get_object(root), "nodes"), 0);

		assert_non_null(strstr(out, want_line[i]));
		assert_null(strstr(out, "port 22"));
		assert_true(json_object_get_null_member(node, "port"));
		if (i == 1)
			assert_string_equal(json_object_get_string_member(node, "user"), "root");
		else
			assert_true(json_object_get_null_member(node, "user"));
		if (want_become[i])
			assert_string_equal(json_object_get_string_member(node, "become"), want_become[i]);
		else
			assert_false(json_object_has_member(node, "become"));
		plan_free(plan);
		spec_free(spec);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_multipath_tasks),
		cmocka_unit_test(test_seed_reads_like_tutorial),
		cmocka_unit_test(test_secrets),
		cmocka_unit_test(test_secret_in_argv_refused),
		cmocka_unit_test(test_facts_foreach_after),
		cmocka_unit_test(test_duplicate_names_and_unknown_facts),
		cmocka_unit_test(test_fio_tasks),
		cmocka_unit_test(test_conformance_tasks),
		cmocka_unit_test(test_timeout_from),
		cmocka_unit_test(test_hostile_values),
		cmocka_unit_test(test_vagrant_login_from_provider),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
