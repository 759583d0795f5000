/*
 * test_engine.c - what the engine computes without a lab: the summary
 * table and task keys (the engine on a real lab is in
 * tests/system/test_engine.c)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "labctl/engine.h"

static void test_summary(void **state)
{
	g_autoptr(GPtrArray) results = g_ptr_array_new();
	struct node_result a = { .name = "iscsi-disks", .changed = 5, .skipped = 1, .seconds = 0.4 };
	struct node_result b = { .name = "h", .failed = 1, .not_run = 3, .seconds = 12.25 };
	g_autofree char *s = NULL;
	g_autofree char *key = engine_task_key("n", "do it");

	(void)state;
	g_ptr_array_add(results, &a);
	g_ptr_array_add(results, &b);
	s = engine_summary(results);
	assert_string_equal(s,
		"node         changed       ok  failed  not run      time\n"
		"iscsi-disks        5        1       0        0     0.4 s\n"
		"h                  0        0       1        3    12.2 s\n");
	assert_string_equal(key, "task:n:do it");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_summary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
