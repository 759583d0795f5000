/*
 * parallel.h - the same work on many items at once
 *
 * One helper for the loops that run something per node on worker threads
 * and then report the first failure in node order, as doing them one after
 * another would.  Plain threads, joined before parallel_for() returns: every
 * item has run by then and no thread is left behind (a GThreadPool keeps
 * threads that outlive the work, which valgrind reports in every test).
 */
#ifndef LABCTL_PARALLEL_H
#define LABCTL_PARALLEL_H

#include <stdbool.h>
#include <glib.h>

/* The work on item @index (0 ... n-1) of @data; it may run on any thread. */
typedef void (*parallel_fn)(guint index, gpointer data);

/*
 * Calls @fn for every index below @n, at most @jobs at once (0: all @n),
 * and returns when every call has returned.  With one job, or one item,
 * everything runs on the calling thread, in index order.
 */
void parallel_for(guint n, guint jobs, parallel_fn fn, gpointer data);

/*
 * Of @errors (@n of them, NULL where an item succeeded), moves the first
 * in index order to @error and frees the others, clearing them all.
 * Returns false when there was one.
 */
bool parallel_first_error(GError **errors, guint n, GError **error);

#endif
