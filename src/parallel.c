/*
 * parallel.c - the same work on many items at once
 */
#include <stdbool.h>

#include "labctl/parallel.h"

struct pool {
	guint n;
	gint next;              /* atomic: the next index to take */
	parallel_fn fn;
	gpointer data;
};

static gpointer pool_worker(gpointer p)
{
	struct pool *pool = p;

	for (;;) {
		gint i = g_atomic_int_add(&pool->next, 1);

		if (i < 0 || (guint)i >= pool->n)
			return NULL;
		pool->fn((guint)i, pool->data);
	}
}

void parallel_for(guint n, guint jobs, parallel_fn fn, gpointer data)
{
	struct pool pool = { .n = n, .fn = fn, .data = data };
	guint nthreads = jobs && jobs < n ? jobs : n;
	g_autofree GThread **threads = NULL;

	g_return_if_fail(n <= G_MAXINT);
	if (nthreads <= 1) {
		for (guint i = 0; i < n; i++)
			fn(i, data);
		return;
	}
	threads = g_new0(GThread *, nthreads);
	for (guint t = 0; t < nthreads; t++)
		threads[t] = g_thread_new("labctl-worker", pool_worker, &pool);
	for (guint t = 0; t < nthreads; t++)
		g_thread_join(threads[t]);
}

bool parallel_first_error(GError **errors, guint n, GError **error)
{
	bool ok = true;

	for (guint i = 0; i < n; i++) {
		if (errors[i] && ok) {
			g_propagate_error(error, errors[i]);
			errors[i] = NULL;
			ok = false;
		}
		g_clear_error(&errors[i]);
	}
	return ok;
}
