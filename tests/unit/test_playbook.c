/*
 * test_playbook.c - the embedded playbooks load, and broken ones are
 * reported at the right place
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <glib/gstdio.h>

#include "labctl/playbook.h"

static void test_embedded(void **state)
{
	static const char *const expect[] = {
		"backing", "conformance", "firewall", "initiator-libiscsi", "initiator-open-iscsi",
		"mount-test", "target-lio", "target-tgt", NULL,
	};
	g_auto(GStrv) names = playbook_list(NULL);

	(void)state;
	assert_int_equal(g_strv_length(names), g_strv_length((char **)expect));
	for (size_t i = 0; expect[i]; i++) {
		g_autoptr(GPtrArray) diags = diags_new();
		struct playbook *pb;

		assert_string_equal(names[i], expect[i]);
		pb = playbook_load(names[i], NULL, diags);
		for (guint k = 0; k < diags->len; k++) {
			g_autofree char *m = diag_format(g_ptr_array_index(diags, k));

			print_error("%s\n", m);
		}
		assert_non_null(pb);
		assert_true(pb->tasks->len > 0);
		/* every field that holds text got parsed */
		for (guint t = 0; t < pb->tasks->len; t++) {
			const struct pb_task *task = g_ptr_array_index(pb->tasks, t);

			assert_non_null(playbook_field(pb, &task->name));
			if (task->run.v)
				assert_non_null(playbook_field(pb, &task->run));
			if (task->script.v)
				assert_non_null(playbook_script(pb, task->script.v));
		}
		playbook_free(pb);
	}
}

static void test_embedded_matches_source(void **state)
{
	const char *src = getenv("LABCTL_SRCDIR");
	g_auto(GStrv) names = playbook_list(NULL);

	(void)state;
	/* the binary carries the playbooks of the tree it was built from */
	for (char **n = names; *n; n++) {
		g_autofree char *rel = g_strdup_printf("playbooks/%s.yaml", *n);
		g_autofree char *file = g_build_filename(src ? src : ".", rel, NULL);
		g_autofree char *disk = NULL;
		g_autofree char *embedded = NULL;
		gsize len;

		assert_true(g_file_get_contents(file, &disk, NULL, NULL));
		embedded = playbook_read_resource(NULL, rel, &len, NULL);
		assert_non_null(embedded);
		assert_string_equal(disk, embedded);
	}
}

static char *tmpdir;

static int make_dir(void **state)
{
	g_autofree char *pb = NULL;
	g_autofree char *tp = NULL;

	(void)state;
	tmpdir = g_dir_make_tmp("labctl-pb-XXXXXX", NULL);
	pb = g_build_filename(tmpdir, "playbooks", NULL);
	tp = g_build_filename(tmpdir, "templates", NULL);
	g_mkdir(pb, 0700);
	g_mkdir(tp, 0700);
	return 0;
}

static int remove_dir(void **state)
{
	g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", tmpdir);

	(void)state;
	g_clear_pointer(&tmpdir, g_free);
	return system(cmd);
}

static void put(const char *rel, const char *text)
{
	g_autofree char *file = g_build_filename(tmpdir, rel, NULL);

	assert_true(g_file_set_contents(file, text, -1, NULL));
}

struct bad_case {
	const char *yaml;
	const char *template;   /* templates/t.sh, or NULL */
	const char *expect;     /* the one diagnostic, without the directory */
};

static void test_errors(void **state)
{
	static const struct bad_case cases[] = {
		{ "playbook: x\nrole: disk\ntasks:\n  - name: a\n    run: 'true'\n    bogus: 1\n",
		  NULL, "playbooks/x.yaml:6:5: unknown key 'bogus' in task 'a'" },
		{ "playbook: x\nrole: disk\ntasks:\n  - name: a\n    check: 'true'\n",
		  NULL, "playbooks/x.yaml:4:5: task 'a' needs 'run' or 'script'" },
		{ "playbook: y\nrole: disk\ntasks:\n  - name: a\n    run: 'true'\n",
		  NULL, "playbooks/x.yaml:1:11: playbook declares the name 'y' but its file is 'x.yaml'" },
		{ "playbook: x\nrole: both\ntasks:\n  - name: a\n    run: 'true'\n",
		  NULL, "playbooks/x.yaml:2:7: unknown role 'both' (expected disk or host)" },
		{ "playbook: x\nrole: disk\ntasks:\n  - name: a\n    foreach: lun of luns\n    run: 'true'\n",
		  NULL, "playbooks/x.yaml:5:14: 'foreach' reads 'VAR in PATH', not 'lun of luns'" },
		{ "playbook: x\nrole: disk\ntasks:\n  - name: a\n    when: a ==\n    run: 'true'\n",
		  NULL, "playbooks/x.yaml:5:11: bad condition 'a ==': expected a literal after '==' at end of condition" },
		/* a template error in a block scalar is reported at its own line */
		{ "playbook: x\nrole: disk\ntasks:\n  - name: a\n    run: |\n      true\n      {% if x %}\n",
		  NULL, "playbooks/x.yaml:7: unterminated '{% if %}'" },
		{ "playbook: x\nrole: disk\ntasks:\n  - name: a\n    script: missing.sh\n",
		  NULL, "playbooks/x.yaml:5:13: 'templates/missing.sh' not found in playbook directory" },
		{ "playbook: x\nrole: disk\ntasks:\n  - name: a\n    script: ../x.sh\n",
		  NULL, "playbooks/x.yaml:5:13: script '../x.sh' must be a file name in templates/" },
		{ "playbook: x\nrole: disk\ntasks:\n  - name: a\n    script: t.sh\n",
		  "ok\n{{ x \n", "templates/t.sh:2: unterminated '{{'" },
		/* a script's includes are files of templates/ too */
		{ "playbook: x\nrole: disk\ntasks:\n  - name: a\n    script: t.sh\n",
		  "ok\n{% include 'missing.sh' %}\n",
		  "templates/t.sh:2: cannot include 'missing.sh': 'templates/missing.sh' not found in playbook directory" },
		{ "playbook: x\nrole: disk\ntasks:\n  - name: a\n    script: t.sh\n",
		  "{% include '../t.sh' %}\n",
		  "templates/t.sh:1: cannot include '../t.sh': '../t.sh' must be a file name in templates/" },
		{ "playbook: x\nrole: disk\ntasks:\n  - name: a\n    script: t.sh\n",
		  "{% include 't.sh' %}\n",
		  "templates/t.sh:1: cannot include 't.sh': it is being included already (recursion)" },
		{ "playbook: x\nrole: disk\ntasks:\n  - name: a\n    run: 'true'\n    timeout: 99999\n",
		  NULL, "playbooks/x.yaml:6:14: 'timeout' must be a number from 1 to 3600, not '99999' in task 'a'" },
		/* no limit at all is not offered: every remote command is bounded */
		{ "playbook: x\nrole: disk\ntasks:\n  - name: a\n    run: 'true'\n    timeout: 0\n",
		  NULL, "playbooks/x.yaml:6:14: 'timeout' must be a number from 1 to 3600, not '0' in task 'a'" },
		{ "playbook: x\nrole: disk\ntasks:\n  - name: a\n    run: 'true'\n    adopt: false\n",
		  NULL, "playbooks/x.yaml:6:12: 'adopt: false' says what to do when the check finds the work done, so it needs a 'check'" },
		/* only a proof of the lab can be left to check */
		{ "playbook: x\nrole: disk\ntasks:\n  - name: a\n    run: 'true'\n    heavy: true\n",
		  NULL, "playbooks/x.yaml:6:12: 'heavy' marks a proof that 'up' may skip, so it needs 'verify: true'" },
		/* a proof another task makes as well: only a heavy one, and of a task before it */
		{ "playbook: x\nrole: disk\ntasks:\n  - name: a\n    run: 'true'\n  - name: b\n    run: 'true'\n    verify: true\n    proven_by: a\n",
		  NULL, "playbooks/x.yaml:9:16: 'proven_by' names a task that proves what a heavy proof does, so it needs 'heavy: true'" },
		{ "playbook: x\nrole: disk\ntasks:\n  - name: b\n    run: 'true'\n    verify: true\n    heavy: true\n    proven_by: a\n  - name: a\n    run: 'true'\n",
		  NULL, "playbooks/x.yaml:8:16: 'proven_by' must be the name of an earlier task that is not a verify task, with the same 'foreach', and 'a' is none" },
		{ "playbook: x\nrole: disk\ntasks:\n  - name: a {{ m }}\n    foreach: m in x.y\n    run: 'true'\n  - name: b\n    run: 'true'\n    verify: true\n    heavy: true\n    proven_by: a {{ m }}\n",
		  NULL, "playbooks/x.yaml:11:16: 'proven_by' must be the name of an earlier task that is not a verify task, with the same 'foreach', and 'a {{ m }}' is none" },
		{ "playbook: x\nrole: disk\ntasks:\n  - name: a\n    run: 'true'\n    verify: true\n  - name: b\n    run: 'true'\n    verify: true\n    heavy: true\n    proven_by: a\n",
		  NULL, "playbooks/x.yaml:11:16: 'proven_by' must be the name of an earlier task that is not a verify task, with the same 'foreach', and 'a' is none" },
		/* only a verify task's output is kept, so only it has metrics */
		{ "playbook: x\nrole: disk\ntasks:\n  - name: a\n    run: 'true'\n    metrics: fio\n",
		  NULL, "playbooks/x.yaml:6:14: 'metrics' reads what a check prints, so it needs 'verify: true'" },
		{ "playbook: x\nrole: disk\ntasks:\n  - name: a\n    run: 'true'\n    verify: true\n    metrics: iostat\n",
		  NULL, "playbooks/x.yaml:7:14: unknown metrics 'iostat' in task 'a' (expected one of: fio, libiscsi)" },
		/* known failures are cases of a conformance run */
		{ "playbook: x\nrole: disk\ntasks:\n  - name: a\n    run: 'true'\n    verify: true\n    metrics: fio\n    known_failures: A.B\n",
		  NULL, "playbooks/x.yaml:8:21: 'known_failures' names cases of a conformance run, so it needs 'metrics: libiscsi'" },
		{ "playbook: x\nrole: disk\ntasks:\n  - name: a\n    run: 'true'\n    timeout: 5\n    timeout_from: '{{ x }}'\n",
		  NULL, "playbooks/x.yaml:7:19: a task has 'timeout' or 'timeout_from', not both" },
		{ "playbook: x\nrole: disk\ntasks:\n  - name: a\n    run: 'true'\n    timeout_from: '{{ x'\n",
		  NULL, "playbooks/x.yaml:6: unterminated '{{'" },
	};

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GPtrArray) diags = diags_new();
		g_autofree char *got = NULL;
		g_autofree char *prefix = g_strconcat(tmpdir, "/", NULL);
		struct playbook *pb;

		put("playbooks/x.yaml", cases[i].yaml);
		if (cases[i].template)
			put("templates/t.sh", cases[i].template);
		pb = playbook_load("x", tmpdir, diags);
		assert_null(pb);
		if (diags->len != 1) {
			for (guint k = 0; k < diags->len; k++) {
				g_autofree char *m = diag_format(g_ptr_array_index(diags, k));

				print_error("case %zu: %s\n", i, m);
			}
			fail_msg("case %zu: %u diagnostics, want 1", i, diags->len);
		}
		got = diag_format(g_ptr_array_index(diags, 0));
		/* the directory is random: compare what follows it */
		if (g_str_has_prefix(got, prefix))
			memmove(got, got + strlen(prefix), strlen(got) - strlen(prefix) + 1);
		{
			g_autofree char *dir_free = g_strdup(got);
			char *p = strstr(dir_free, " in playbook directory");

			if (p) {
				p[strlen(" in playbook directory")] = '\0';
				g_free(got);
				got = g_steal_pointer(&dir_free);
			}
		}
		if (strcmp(got, cases[i].expect))
			fail_msg("case %zu:\n got: %s\nwant: %s", i, got, cases[i].expect);
	}
}

static void test_missing(void **state)
{
	g_autoptr(GPtrArray) diags = diags_new();
	g_autofree char *m = NULL;

	(void)state;
	assert_null(playbook_load("no-such-playbook", NULL, diags));
	assert_int_equal(diags->len, 1);
	m = diag_format(g_ptr_array_index(diags, 0));
	assert_string_equal(m, "playbooks/no-such-playbook.yaml: 'playbooks/no-such-playbook.yaml' is not built into labctl");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_embedded),
		cmocka_unit_test(test_embedded_matches_source),
		cmocka_unit_test_setup_teardown(test_errors, make_dir, remove_dir),
		cmocka_unit_test(test_missing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
