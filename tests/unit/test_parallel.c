/*
 * test_parallel.c - parallel_for runs every item once, at most jobs at
 * once; parallel_first_error keeps the first error in item order
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include <gio/gio.h>

#include "labctl/parallel.h"

#define ITEMS 100

struct count {
	gint calls[ITEMS];
	gint running;
	gint most;              /* the most items running at once */
	GThread *caller;
	gint other_threads;     /* calls not on the caller's thread */
};

static void count_one(guint i, gpointer data)
{
	struct count *c = data;
	gint now = g_atomic_int_add(&c->running, 1) + 1;
	gint most;

	while ((most = g_atomic_int_get(&c->most)) < now &&
	       !g_atomic_int_compare_and_exchange(&c->most, most, now))
		;
	if (g_thread_self() != c->caller)
		g_atomic_int_inc(&c->other_threads);
	g_usleep(1000);
	g_atomic_int_inc(&c->calls[i]);
	g_atomic_int_add(&c->running, -1);
}

static void run(guint n, guint jobs, struct count *c)
{
	memset(c, 0, sizeof(*c));
	c->caller = g_thread_self();
	parallel_for(n, jobs, count_one, c);
	for (guint i = 0; i < ITEMS; i++)
		assert_int_equal(c->calls[i], i < n ? 1 : 0);
	assert_int_equal(c->running, 0);
}

static void test_every_item_once(void **state)
{
	struct count c;

	(void)state;
	run(ITEMS, 0, &c);
	assert_true(c.most > 1);
	assert_int_equal(c.other_threads, ITEMS);
	run(ITEMS, 3, &c);
	assert_true(c.most <= 3);
	assert_true(c.most >= 2);
	run(0, 0, &c);
	assert_int_equal(c.most, 0);
}

/* One job or one item: in order, on the caller's thread. */
static void test_one_job_inline(void **state)
{
	struct count c;

	(void)state;
	run(ITEMS, 1, &c);
	assert_int_equal(c.most, 1);
	assert_int_equal(c.other_threads, 0);
	run(1, 0, &c);
	assert_int_equal(c.other_threads, 0);
}

static void test_first_error(void **state)
{
	GError *errors[4] = { NULL };
	g_autoptr(GError) error = NULL;

	(void)state;
	assert_true(parallel_first_error(errors, 4, &error));
	assert_null(error);
	errors[1] = g_error_new_literal(G_IO_ERROR, G_IO_ERROR_FAILED, "second");
	errors[3] = g_error_new_literal(G_IO_ERROR, G_IO_ERROR_FAILED, "fourth");
	assert_false(parallel_first_error(errors, 4, &error));
	assert_string_equal(error->message, "second");
	for (guint i = 0; i < 4; i++)
		assert_null(errors[i]);
	/* without a place to put it, it is freed (valgrind checks) */
	errors[0] = g_error_new_literal(G_IO_ERROR, G_IO_ERROR_FAILED, "first");
	assert_false(parallel_first_error(errors, 4, NULL));
	assert_null(errors[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_item_once),
		cmocka_unit_test(test_one_job_inline),
		cmocka_unit_test(test_first_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
