/*
 * test_teardown.c - what a failure does to a teardown: real local undos
 * in the lab's runtime directory under /var/lib/labctl, a node that cannot
 * be reached, --force and --forget (which changes are undone, and in which
 * order, is in tests/unit/test_teardown.c)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <glib/gstdio.h>

#include "labctl/journal.h"
#include "labctl/teardown.h"
#include "system.h"
#include "../unit/records.h"

static struct lab_ssh *no_connect(const char *node, void *data, GError **error)
{
	int *calls = data;

	(*calls)++;
	g_set_error(error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED,
		    "node '%s': connection refused", node);
	return NULL;
}

/* Real local undos; a node that cannot be reached fails its steps. */
static void test_run(void **state)
{
	g_autofree char *tmp = g_dir_make_tmp("labctl-td-XXXXXX", NULL);
	g_autofree char *jdir = g_build_filename(tmp, "state", NULL);
	g_autofree char *hash = journal_lab_hash(jdir);
	/* the lab's own runtime directory: the only kind a local undo removes */
	g_autofree char *made = g_build_filename("/var/lib/labctl/netns", hash, NULL);
	g_autofree char *text = NULL;
	g_autoptr(GPtrArray) recs = NULL;
	g_autoptr(GPtrArray) steps = NULL;
	g_autoptr(GPtrArray) after = NULL;
	g_autoptr(GError) error = NULL;
	struct journal *j;
	int calls = 0;
	struct teardown_opts o = { .verbosity = -1, .connect = no_connect, .connect_data = &calls,
				   .provider = &provider_netns };
	struct teardown_result res = { .failed = 99 };
	const char *argv[] = { "rm", "-rf", tmp, NULL };

	(void)state;
	assert_int_equal(g_mkdir_with_parents(made, 0700), 0);
	text = g_strdup_printf(
		"{\"type\":\"local\",\"key\":\"dir\",\"what\":\"dir\",\"undo\":{\"op\":\"rmtree\",\"path\":\"%s\"}}\n"
		"{\"type\":\"task\",\"key\":\"t1\",\"node\":\"n1\",\"name\":\"a\",\"undo\":\"true\"}\n"
		"{\"type\":\"task\",\"key\":\"t2\",\"node\":\"n1\",\"name\":\"b\",\"undo\":\"true\"}\n",
		made);
	recs = records_from(text);
	steps = teardown_steps(recs);
	j = journal_open(jdir, &error);
	assert_non_null(j);

	/* without --force: the first failure stops everything */
	assert_false(teardown_run(steps, j, &o, &res));
	assert_int_equal(res.failed, 1);
	assert_int_equal(calls, 1);
	assert_true(g_file_test(made, G_FILE_TEST_IS_DIR));

	/*
	 * with --force: both remote steps fail (one connection try per node)
	 * and stay to undo; the local one, which the node shares, is kept so
	 * that the node can still be reached by the next down
	 */
	o.force = true;
	calls = 0;
	assert_false(teardown_run(steps, j, &o, &res));
	assert_int_equal(res.failed, 2);
	assert_int_equal(res.kept, 1);
	assert_int_equal(calls, 1);
	assert_true(g_file_test(made, G_FILE_TEST_IS_DIR));
	after = journal_records(j, &error);
	assert_non_null(after);
	/* the journal's header, then what failed (once without, twice with --force), for status */
	assert_int_equal(after->len, 4);
	for (guint i = 1; i < 4; i++)
		assert_string_equal(json_object_get_string_member(g_ptr_array_index(after, i), "type"),
				    "undo-failed");
	g_clear_pointer(&after, g_ptr_array_unref);

	/* --forget: what fails is given up, and the local step runs */
	o.forget = true;
	calls = 0;
	assert_false(teardown_run(steps, j, &o, &res));
	assert_int_equal(res.failed, 2);
	assert_int_equal(res.kept, 0);
	assert_false(g_file_test(made, G_FILE_TEST_EXISTS));
	after = journal_records(j, &error);
	/* the remote steps are given up: undone, for good */
	assert_string_equal(json_object_get_string_member(g_ptr_array_index(after, after->len - 1), "type"),
			    "undone");
	journal_close(j);
	assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
				 NULL, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_run),
	};

	system_need_root("test_teardown", "the lab's runtime directory under /var/lib/labctl");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
