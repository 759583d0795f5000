/*
 * test_engine.c - the engine on a real two-node lab: order across nodes,
 * the journal, verify tasks, redacted transcripts, failures, timeouts and
 * retries
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "labctl/engine.h"
#include "netns_fixture.h"
#include "system.h"

static struct lab_fixture lab;
static unsigned jobs;           /* 0: every node at once */
static bool skip_heavy;         /* engine_opts.skip_heavy of the next run() */
static bool prove_all;          /* engine_opts.prove_all of the next run() */

static int setup(void **state)
{
	(void)state;
	fixture_up(&lab, 200 + (unsigned)(getpid() % 50));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fixture_down(&lab);
	return 0;
}

static char *read_secret(const char *ref, void *data, GError **error)
{
	return spec_read_secret(data, ref, error);
}

/* Builds both plans from the fixture's playbooks and runs them. */
static bool run(GPtrArray **results, const char *transcripts)
{
	struct plan_options live_o = {
		.playbook_dir = lab.playbooks, .flags = TEMPLATE_SECRETS,
		.secret = read_secret, .secret_data = lab.spec,
	};
	struct plan_options shown_o = { .playbook_dir = lab.playbooks, .flags = TEMPLATE_REDACT };
	g_autoptr(redact) secrets = redact_new();
	struct engine_opts eo = { .jobs = jobs, .verbosity = -1, .transcript_dir = transcripts,
				  .redact = secrets, .skip_heavy = skip_heavy,
				  .prove_all = prove_all };
	g_autoptr(GPtrArray) diags = diags_new();
	struct plan *live = plan_build(lab.spec, &live_o, diags);
	struct plan *shown = plan_build(lab.spec, &shown_o, diags);
	bool ok;

	for (guint i = 0; i < diags->len; i++) {
		g_autofree char *m = diag_format(g_ptr_array_index(diags, i));

		print_error("%s\n", m);
	}
	assert_non_null(live);
	assert_non_null(shown);
	redact_add(secrets, "fixture-secret-value");
	ok = engine_run(live, shown, lab.conns, lab.journal, &eo, results);
	/* results point into the shown plan: copy out what tests need first */
	plan_free(live);
	plan_free(shown);
	return ok;
}

static const struct task_result *result(GPtrArray *results, guint node, guint task)
{
	const struct node_result *nr = g_ptr_array_index(results, node);

	assert_true(task < nr->tasks->len);
	return g_ptr_array_index(nr->tasks, task);
}

static guint count_records(const char *type)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) recs = journal_records(lab.journal, &error);
	guint n = 0;

	assert_non_null(recs);
	for (guint i = 0; i < recs->len; i++)
		n += !strcmp(json_object_get_string_member_with_default(
				     g_ptr_array_index(recs, i), "type", ""), type);
	return n;
}

static void test_order_journal_transcripts(void **state)
{
	g_autofree char *marker = g_build_filename(lab.tmp, "marker", NULL);
	g_autofree char *transcripts = g_build_filename(lab.tmp, "tr", NULL);
	g_autofree char *disk = NULL;
	g_autofree char *host = NULL;
	g_autofree char *log = NULL;
	g_autofree char *hlog = NULL;
	g_autofree char *logpath = g_build_filename(transcripts, "d.log", NULL);
	GPtrArray *results = NULL;
	guint tasks_before = count_records("task");

	(void)state;
	/* the disk makes the marker late; the host can only find it if it waited */
	disk = g_strdup_printf(
		"playbook: target-tgt\nrole: disk\ntasks:\n"
		"  - name: make the marker\n"
		"    check: test -f %s\n"
		"    run: sleep 0.5 && touch %s\n"
		"    undo: rm -f %s\n"
		"    provides: target-ready\n"
		"  - name: use the secret\n"
		"    check: test -f %s.secret\n"
		"    script: secret.sh\n"
		"    undo: rm -f %s.secret\n", marker, marker, marker, marker, marker);
	host = g_strdup_printf(
		"playbook: initiator-libiscsi\nrole: host\ntasks:\n"
		"  - name: find the marker\n"
		"    after: target-ready\n"
		"    run: test -f %s\n"
		"    verify: true\n", marker);
	fixture_write(&lab, "playbooks/target-tgt.yaml", disk);
	fixture_write(&lab, "playbooks/initiator-libiscsi.yaml", host);
	{
		g_autofree char *script = g_strdup_printf(
			"printf '%%s' {{ target.chap.password | raw }} > %s.secret\n", marker);

		fixture_write(&lab, "templates/secret.sh", script);
	}

	assert_true(run(&results, transcripts));
	assert_int_equal(result(results, 0, 0)->outcome, TASK_CHANGED);
	assert_int_equal(result(results, 0, 1)->outcome, TASK_CHANGED);
	assert_int_equal(result(results, 1, 0)->outcome, TASK_OK);
	/* the live plan had the secret: the script wrote it on the node */
	{
		g_autofree char *file = g_strconcat(marker, ".secret", NULL);
		g_autofree char *v = NULL;

		assert_true(g_file_get_contents(file, &v, NULL, NULL));
		assert_string_equal(v, "fixture-secret-value");
	}
	/* transcripts hold the redacted twin */
	assert_true(g_file_get_contents(logpath, &log, NULL, NULL));
	assert_non_null(strstr(log, "printf '%s' ***"));
	assert_null(strstr(log, "fixture-secret-value"));
	/* two tasks journaled with their undo; the verify task is not */
	assert_int_equal(count_records("task") - tasks_before, 2);
	node_results_free(results);

	/* a second run: checks say done, nothing is journaled */
	tasks_before = count_records("task");
	assert_true(run(&results, transcripts));
	assert_int_equal(result(results, 0, 0)->outcome, TASK_OK);
	assert_int_equal(result(results, 0, 1)->outcome, TASK_OK);
	assert_int_equal(count_records("task"), tasks_before);
	{
		g_autofree char *hpath = g_build_filename(transcripts, "h.log", NULL);

		assert_true(g_file_get_contents(hpath, &hlog, NULL, NULL));
		assert_non_null(strstr(hlog, "--- exit 0"));
	}
	node_results_free(results);
}

/*
 * What a node prints is not labctl's to control (targetcli echoes a CHAP
 * password): every output and error is scrubbed of the run's secrets
 * before the transcript, the results (JSON, JUnit) or a message get it.
 */
static void test_node_output_scrubbed(void **state)
{
	g_autofree char *transcripts = g_build_filename(lab.tmp, "tr-scrub", NULL);
	g_autofree char *logpath = g_build_filename(transcripts, "d.log", NULL);
	g_autofree char *log = NULL;
	GPtrArray *results = NULL;
	const struct task_result *r;

	(void)state;
	fixture_write(&lab, "playbooks/target-tgt.yaml",
		      "playbook: target-tgt\nrole: disk\ntasks:\n"
		      "  - name: tell the secret\n"
		      "    script: tell.sh\n"
		      "    verify: true\n");
	fixture_write(&lab, "templates/tell.sh",
		      "s={{ target.chap.password | raw }}\n"
		      "echo \"Parameter password is now '$s'.\"\n"
		      "printf 'bin\\000%s\\n' \"$s\"\n"
		      "echo \"failed with $s\" >&2\n"
		      "exit 3\n");
	fixture_write(&lab, "playbooks/initiator-libiscsi.yaml",
		      "playbook: initiator-libiscsi\nrole: host\ntasks: []\n");
	assert_false(run(&results, transcripts));
	r = result(results, 0, 0);
	assert_int_equal(r->outcome, TASK_FAILED);
	assert_non_null(strstr(r->stderr_text, "failed with ***"));
	assert_null(strstr(r->stderr_text, "fixture-secret-value"));
	assert_null(strstr(r->error, "fixture-secret-value"));
	assert_true(g_file_get_contents(logpath, &log, NULL, NULL));
	assert_non_null(strstr(log, "Parameter password is now '***'."));
	assert_non_null(strstr(log, "failed with ***"));
	assert_null(strstr(log, "fixture-secret-value"));
	/* the raw bytes too: nothing of it past a NUL byte either */
	{
		gsize len;
		g_autofree char *raw = NULL;

		assert_true(g_file_get_contents(logpath, &raw, &len, NULL));
		assert_null(memmem(raw, len, "fixture-secret-value", 20));
	}
	node_results_free(results);
}

static void test_failure_stops(void **state)
{
	GPtrArray *results = NULL;
	const struct task_result *r;

	(void)state;
	fixture_write(&lab, "playbooks/target-tgt.yaml",
		"playbook: target-tgt\nrole: disk\ntasks:\n"
		"  - name: fail\n"
		"    run: echo something broke >&2; exit 3\n"
		"    provides: target-ready\n"
		"  - name: never\n"
		"    run: 'true'\n");
	fixture_write(&lab, "playbooks/initiator-libiscsi.yaml",
		"playbook: initiator-libiscsi\nrole: host\ntasks:\n"
		"  - name: wait\n"
		"    after: target-ready\n"
		"    run: 'true'\n");
	assert_false(run(&results, NULL));
	r = result(results, 0, 0);
	assert_int_equal(r->outcome, TASK_FAILED);
	assert_int_equal(r->status, 3);
	assert_non_null(strstr(r->error, "exit status 3"));
	assert_non_null(strstr(r->error, "something broke"));
	assert_int_equal(result(results, 0, 1)->outcome, TASK_NOT_RUN);
	r = result(results, 1, 0);
	assert_int_equal(r->outcome, TASK_NOT_RUN);
	assert_non_null(strstr(r->error, "waits for 'd:1', which failed"));
	assert_int_equal(((struct node_result *)g_ptr_array_index(results, 0))->failed, 1);
	node_results_free(results);
}

static void test_timeout_and_retries(void **state)
{
	g_autofree char *count = g_build_filename(lab.tmp, "count", NULL);
	g_autofree char *disk = NULL;
	GPtrArray *results = NULL;
	gint64 t0;

	(void)state;
	/* fails the first time, succeeds the second */
	disk = g_strdup_printf(
		"playbook: target-tgt\nrole: disk\ntasks:\n"
		"  - name: flaky\n"
		"    run: echo x >> %s; test $(wc -l < %s) -ge 2\n"
		"    retries: 1\n"
		"  - name: slow\n"
		"    run: sleep 30\n"
		"    timeout: 1\n", count, count);
	fixture_write(&lab, "playbooks/target-tgt.yaml", disk);
	fixture_write(&lab, "playbooks/initiator-libiscsi.yaml",
		      "playbook: initiator-libiscsi\nrole: host\ntasks: []\n");
	t0 = g_get_monotonic_time();
	assert_false(run(&results, NULL));
	assert_true(g_get_monotonic_time() - t0 < 10 * G_USEC_PER_SEC);
	assert_int_equal(result(results, 0, 0)->outcome, TASK_CHANGED);
	assert_int_equal(result(results, 0, 1)->outcome, TASK_FAILED);
	assert_true(result(results, 0, 1)->timed_out);
	assert_non_null(strstr(result(results, 0, 1)->error, "timed out after 1 s"));
	node_results_free(results);
}

/* One worker: the disk goes first, so the host that waits for it cannot block it. */
static void test_one_job(void **state)
{
	g_autofree char *marker = g_build_filename(lab.tmp, "marker1", NULL);
	g_autofree char *disk = NULL;
	g_autofree char *host = NULL;
	GPtrArray *results = NULL;

	(void)state;
	disk = g_strdup_printf(
		"playbook: target-tgt\nrole: disk\ntasks:\n"
		"  - {name: late marker, run: sleep 0.3 && touch %s, provides: target-ready}\n", marker);
	host = g_strdup_printf(
		"playbook: initiator-libiscsi\nrole: host\ntasks:\n"
		"  - {name: find it, after: target-ready, run: test -f %s}\n", marker);
	fixture_write(&lab, "playbooks/target-tgt.yaml", disk);
	fixture_write(&lab, "playbooks/initiator-libiscsi.yaml", host);
	jobs = 1;
	assert_true(run(&results, NULL));
	jobs = 0;
	assert_int_equal(result(results, 0, 0)->outcome, TASK_CHANGED);
	assert_int_equal(result(results, 1, 0)->outcome, TASK_CHANGED);
	node_results_free(results);
}

/*
 * A task journaled as started, with no result (labctl was killed): its
 * undo runs first, then the task, even though its check would pass.
 */
static void test_interrupted_task(void **state)
{
	g_autofree char *half = g_build_filename(lab.tmp, "half-done", NULL);
	g_autofree char *undone = g_build_filename(lab.tmp, "undo-ran", NULL);
	g_autofree char *disk = NULL;
	g_autoptr(JsonObject) rec = json_object_new();
	g_autoptr(GError) error = NULL;
	GPtrArray *results = NULL;

	(void)state;
	disk = g_strdup_printf(
		"playbook: target-tgt\nrole: disk\ntasks:\n"
		"  - name: make it\n"
		"    check: test -f %s\n"
		"    run: touch %s\n"
		"    undo: rm -f %s && touch %s\n", half, half, half, undone);
	fixture_write(&lab, "playbooks/target-tgt.yaml", disk);
	fixture_write(&lab, "playbooks/initiator-libiscsi.yaml",
		      "playbook: initiator-libiscsi\nrole: host\ntasks: []\n");
	/* what a kill -9 leaves: the intent, a half-done state, no result */
	json_object_set_string_member(rec, "type", "task");
	json_object_set_string_member(rec, "key", "task:d:make it");
	json_object_set_string_member(rec, "node", "d");
	json_object_set_string_member(rec, "name", "make it");
	json_object_set_string_member(rec, "undo", "true");
	assert_true(journal_append(lab.journal, rec, &error));
	assert_true(g_file_set_contents(half, "", 0, NULL));

	assert_true(run(&results, NULL));
	assert_true(g_file_test(undone, G_FILE_TEST_EXISTS));
	assert_int_equal(result(results, 0, 0)->outcome, TASK_CHANGED);
	node_results_free(results);

	/* finished now: a second run trusts the check again */
	g_unlink(undone);
	assert_true(run(&results, NULL));
	assert_false(g_file_test(undone, G_FILE_TEST_EXISTS));
	assert_int_equal(result(results, 0, 0)->outcome, TASK_OK);
	node_results_free(results);
}

/*
 * adopt: false: what the check finds counts as done only when this lab's
 * journal says the lab did it; something found is refused, and nothing of
 * it is journaled, so nothing of it is ever undone.
 */
static void test_not_adopted(void **state)
{
	g_autofree char *found = g_build_filename(lab.tmp, "found-object", NULL);
	g_autofree char *disk = NULL;
	GPtrArray *results = NULL;
	guint tasks_before;

	(void)state;
	disk = g_strdup_printf(
		"playbook: target-tgt\nrole: disk\ntasks:\n"
		"  - name: make the object\n"
		"    check: test -f %s\n"
		"    adopt: false\n"
		"    run: echo made > %s\n"
		"    undo: rm -f %s\n", found, found, found);
	fixture_write(&lab, "playbooks/target-tgt.yaml", disk);
	fixture_write(&lab, "playbooks/initiator-libiscsi.yaml",
		      "playbook: initiator-libiscsi\nrole: host\ntasks: []\n");

	/* someone else's: refused, not journaled, left as it was */
	assert_true(g_file_set_contents(found, "theirs\n", -1, NULL));
	tasks_before = count_records("task");
	assert_false(run(&results, NULL));
	assert_int_equal(result(results, 0, 0)->outcome, TASK_FAILED);
	assert_non_null(strstr(result(results, 0, 0)->error, "this lab did not do it"));
	assert_int_equal(count_records("task"), tasks_before);
	node_results_free(results);
	{
		g_autofree char *text = NULL;

		assert_true(g_file_get_contents(found, &text, NULL, NULL));
		assert_string_equal(text, "theirs\n");
	}

	/* made by this lab: a second run finds it done */
	g_unlink(found);
	assert_true(run(&results, NULL));
	assert_int_equal(result(results, 0, 0)->outcome, TASK_CHANGED);
	node_results_free(results);
	assert_true(run(&results, NULL));
	assert_int_equal(result(results, 0, 0)->outcome, TASK_OK);
	node_results_free(results);
	g_unlink(found);
}

/*
 * A heavy proof is skipped only while the run has changed nothing: a
 * change on another node (the disk's) before it makes it run.
 */
static void test_heavy_proof(void **state)
{
	g_autofree char *marker = g_build_filename(lab.tmp, "heavy-marker", NULL);
	g_autofree char *proofs = g_build_filename(lab.tmp, "heavy-proofs", NULL);
	g_autofree char *disk = NULL;
	g_autofree char *host = NULL;
	g_autofree char *text = NULL;
	GPtrArray *results = NULL;

	(void)state;
	disk = g_strdup_printf(
		"playbook: target-tgt\nrole: disk\ntasks:\n"
		"  - name: make the marker\n"
		"    check: test -f %s\n"
		"    run: touch %s\n"
		"    undo: rm -f %s\n"
		"    provides: target-ready\n", marker, marker, marker);
	/* the proof counts its runs in a file of the test's: a real one changes nothing */
	host = g_strdup_printf(
		"playbook: initiator-libiscsi\nrole: host\ntasks:\n"
		"  - name: a light proof\n"
		"    after: target-ready\n"
		"    run: test -f %s\n"
		"    verify: true\n"
		"  - name: the heavy proof\n"
		"    run: echo ran >> %s\n"
		"    verify: true\n"
		"    heavy: true\n", marker, proofs);
	fixture_write(&lab, "playbooks/target-tgt.yaml", disk);
	fixture_write(&lab, "playbooks/initiator-libiscsi.yaml", host);

	/* the disk's task changes something: the proof runs */
	skip_heavy = true;
	assert_true(run(&results, NULL));
	assert_int_equal(result(results, 0, 0)->outcome, TASK_CHANGED);
	assert_int_equal(result(results, 1, 1)->outcome, TASK_OK);
	assert_false(engine_skipped_after_change(results));
	node_results_free(results);

	/* nothing changes: skipped, said, counted, and it did not run */
	assert_true(run(&results, NULL));
	assert_int_equal(result(results, 0, 0)->outcome, TASK_OK);
	assert_int_equal(result(results, 1, 0)->outcome, TASK_OK);
	assert_int_equal(result(results, 1, 1)->outcome, TASK_SKIPPED);
	assert_non_null(strstr(result(results, 1, 1)->error, "'labctl check' runs it"));
	assert_int_equal(((struct node_result *)g_ptr_array_index(results, 1))->proofs_skipped, 1);
	assert_int_equal(((struct node_result *)g_ptr_array_index(results, 1))->not_run, 1);
	assert_false(engine_skipped_after_change(results));
	node_results_free(results);

	/* not asked to skip (check, up --prove): it runs */
	skip_heavy = false;
	assert_true(run(&results, NULL));
	assert_int_equal(result(results, 1, 1)->outcome, TASK_OK);
	node_results_free(results);
	assert_true(g_file_get_contents(proofs, &text, NULL, NULL));
	assert_string_equal(text, "ran\nran\n");
	g_unlink(marker);
	g_unlink(proofs);
}

/*
 * A heavy proof an earlier task of the run made as well (proven_by) is
 * skipped only when that task changed something in this run, and never
 * when every proof is asked for (up --prove); it is not a proof left to
 * "check", so it does not make the run prove less.
 */
static void test_proven_by(void **state)
{
	g_autofree char *file = g_build_filename(lab.tmp, "proven-file", NULL);
	g_autofree char *proofs = g_build_filename(lab.tmp, "proven-proofs", NULL);
	g_autofree char *host = NULL;
	g_autofree char *text = NULL;
	GPtrArray *results = NULL;
	const struct node_result *nr;

	(void)state;
	fixture_write(&lab, "playbooks/target-tgt.yaml",
		      "playbook: target-tgt\nrole: disk\ntasks: []\n");
	host = g_strdup_printf(
		"playbook: initiator-libiscsi\nrole: host\ntasks:\n"
		"  - name: write {{ node.name }}'s file\n"
		"    check: test -f %s\n"
		"    run: echo made >> %s\n"
		"    undo: rm -f %s\n"
		"  - name: the heavy proof\n"
		"    run: echo ran >> %s\n"
		"    verify: true\n"
		"    heavy: true\n"
		"    proven_by: write {{ node.name }}'s file\n", file, file, file, proofs);
	fixture_write(&lab, "playbooks/initiator-libiscsi.yaml", host);

	/* the write changes something: the proof is skipped, and says by what */
	skip_heavy = false;
	prove_all = false;
	assert_true(run(&results, NULL));
	assert_int_equal(result(results, 1, 0)->outcome, TASK_CHANGED);
	assert_int_equal(result(results, 1, 1)->outcome, TASK_SKIPPED);
	assert_non_null(strstr(result(results, 1, 1)->error, "'write h's file' proved the same"));
	nr = g_ptr_array_index(results, 1);
	assert_int_equal(nr->proofs_covered, 1);
	assert_int_equal(nr->proofs_skipped, 0);
	assert_int_equal(nr->not_run, 1);
	assert_false(engine_skipped_after_change(results));
	node_results_free(results);

	/* the write finds its work done: the proof runs */
	assert_true(run(&results, NULL));
	assert_int_equal(result(results, 1, 0)->outcome, TASK_OK);
	assert_int_equal(result(results, 1, 1)->outcome, TASK_OK);
	node_results_free(results);

	/* the write changes something again, and every proof is asked for */
	g_unlink(file);
	prove_all = true;
	assert_true(run(&results, NULL));
	assert_int_equal(result(results, 1, 0)->outcome, TASK_CHANGED);
	assert_int_equal(result(results, 1, 1)->outcome, TASK_OK);
	node_results_free(results);
	prove_all = false;

	assert_true(g_file_get_contents(proofs, &text, NULL, NULL));
	assert_string_equal(text, "ran\nran\n");
	g_unlink(file);
	g_unlink(proofs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_journal_transcripts),
		cmocka_unit_test(test_node_output_scrubbed),
		cmocka_unit_test(test_failure_stops),
		cmocka_unit_test(test_timeout_and_retries),
		cmocka_unit_test(test_one_job),
		cmocka_unit_test(test_interrupted_task),
		cmocka_unit_test(test_not_adopted),
		cmocka_unit_test(test_heavy_proof),
		cmocka_unit_test(test_proven_by),
	};

	system_need_root("test_engine", "a lab of network namespaces");
	return cmocka_run_group_tests(tests, setup, teardown);
}
