/*
 * test_teardown.c - which journaled changes are undone, and in which order
 * (what a failure does, with real local undos, is in
 * tests/system/test_teardown.c)
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
#include "records.h"

static char *keys_of(GPtrArray *steps)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; i < steps->len; i++) {
		const struct undo_step *st = g_ptr_array_index(steps, i);

		g_string_append_printf(s, "%s%s", i ? " " : "", st->key);
	}
	return g_string_free(s, FALSE);
}

static void test_order(void **state)
{
	static const struct {
		const char *journal;
		const char *want;       /* keys in the order they are undone */
	} cases[] = {
		/* newest first */
		{ "{\"type\":\"local\",\"key\":\"br\",\"undo\":{\"op\":\"rmdir\",\"path\":\"/x\"}}\n"
		  "{\"type\":\"local\",\"key\":\"ns\",\"undo\":{\"op\":\"rmdir\",\"path\":\"/y\"}}\n"
		  "{\"type\":\"task\",\"key\":\"t1\",\"node\":\"n\",\"name\":\"a\",\"undo\":\"rm -f /a\"}\n"
		  "{\"type\":\"done\",\"key\":\"t1\"}\n",
		  "t1 ns br" },
		/* a task without undo leaves nothing to do */
		{ "{\"type\":\"task\",\"key\":\"t1\",\"node\":\"n\",\"name\":\"a\",\"undo\":null}\n"
		  "{\"type\":\"task\",\"key\":\"t2\",\"node\":\"n\",\"name\":\"b\",\"undo\":\"x\"}\n",
		  "t2" },
		/* a key seen again (second up) keeps its first place */
		{ "{\"type\":\"local\",\"key\":\"sshd\",\"undo\":{\"op\":\"rmdir\",\"path\":\"/s\"}}\n"
		  "{\"type\":\"task\",\"key\":\"t1\",\"node\":\"n\",\"name\":\"a\",\"undo\":\"u1\"}\n"
		  "{\"type\":\"up\"}\n"
		  "{\"type\":\"local\",\"key\":\"sshd\",\"undo\":{\"op\":\"rmdir\",\"path\":\"/s\"}}\n",
		  "t1 sshd" },
		/* undone is not undone again, unless made again later */
		{ "{\"type\":\"task\",\"key\":\"t1\",\"node\":\"n\",\"name\":\"a\",\"undo\":\"u1\"}\n"
		  "{\"type\":\"task\",\"key\":\"t2\",\"node\":\"n\",\"name\":\"b\",\"undo\":\"u2\"}\n"
		  "{\"type\":\"undone\",\"key\":\"t2\"}\n"
		  "{\"type\":\"undone\",\"key\":\"t1\"}\n"
		  "{\"type\":\"task\",\"key\":\"t1\",\"node\":\"n\",\"name\":\"a\",\"undo\":\"u1\"}\n",
		  "t1" },
		/* records without a key, or unknown types, change nothing */
		{ "{\"type\":\"up\",\"lab\":\"x\"}\n{\"type\":\"bogus\",\"key\":\"k\"}\n", "" },
		/* a failed task was journaled before it ran: undo it too */
		{ "{\"type\":\"task\",\"key\":\"t1\",\"node\":\"n\",\"name\":\"a\",\"undo\":\"u1\"}\n"
		  "{\"type\":\"failed\",\"key\":\"t1\",\"status\":1}\n",
		  "t1" },
	};

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GPtrArray) recs = records_from(cases[i].journal);
		g_autoptr(GPtrArray) steps = teardown_steps(recs);
		g_autofree char *got = keys_of(steps);

		if (strcmp(got, cases[i].want))
			fail_msg("case %zu: got '%s', want '%s'", i, got, cases[i].want);
	}
}

static void test_step_contents(void **state)
{
	g_autoptr(GPtrArray) recs = records_from(
		"{\"type\":\"task\",\"key\":\"t1\",\"node\":\"disks\",\"name\":\"make it\","
		"\"undo\":\"rm -f /x\",\"timeout\":7}\n"
		"{\"type\":\"local\",\"key\":\"d\",\"what\":\"directory\","
		"\"undo\":{\"op\":\"rmdir\",\"path\":\"/nonexistent-labctl-test\"}}\n");
	g_autoptr(GPtrArray) steps = teardown_steps(recs);
	const struct undo_step *local, *remote;

	(void)state;
	assert_int_equal(steps->len, 2);
	local = g_ptr_array_index(steps, 0);
	remote = g_ptr_array_index(steps, 1);
	assert_false(local->remote);
	assert_string_equal(local->what, "directory");
	assert_string_equal(json_object_get_string_member(local->local, "op"), "rmdir");
	assert_true(remote->remote);
	assert_string_equal(remote->node, "disks");
	assert_string_equal(remote->command, "rm -f /x");
	assert_int_equal(remote->timeout, 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_step_contents),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
