/*
 * teardown.h - undoing what the journal says labctl did
 *
 * The journal holds, in order, "task" records (a remote change on a node,
 * with its undo command) and "local" records (a change on this machine,
 * with an undo operation, see provider.h), and "undone" records for what a
 * previous, interrupted "down" already undid.  A key seen again (a second
 * "up") keeps the place it first had, so undo order follows first creation:
 * tasks on a node come undone before the sshd they ran through is stopped.
 */
#ifndef LABCTL_TEARDOWN_H
#define LABCTL_TEARDOWN_H

#include <stdbool.h>
#include <stdio.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#include "labctl/journal.h"
#include "labctl/provider.h"
#include "labctl/redact.h"
#include "labctl/ssh.h"
#include "labctl/undo.h"

/* The steps still to undo, in the order to run them; free with g_ptr_array_unref. */
GPtrArray *teardown_steps(GPtrArray *records);

/*
 * Reaches a node for its undo commands; NULL with @error when it cannot.
 * Called from several threads at once, for different nodes.
 */
typedef struct lab_ssh *(*teardown_connect_fn)(const char *node, void *data, GError **error);

/*
 * The wave in which a node undoes its steps: 0 first (hosts), then 1
 * (disks), ...; -1 when unknown.
 */
typedef int (*teardown_wave_fn)(const char *node, void *data);

struct teardown_opts {
	bool force;             /* go on past a failing step */
	/*
	 * With force: a step that fails is given up (journaled as undone)
	 * instead of kept for a later down.
	 */
	bool forget;
	int verbosity;          /* -1 quiet, 0 normal, 1 verbose */
	FILE *out;
	teardown_connect_fn connect;
	void *connect_data;
	teardown_wave_fn wave;  /* NULL: one step at a time */
	const struct redact *redact;    /* secrets to mask in what nodes print, or NULL */
	const struct provider *provider;        /* whose undo operations local steps are */
	void *wave_data;
	/*
	 * If not NULL, gets an object per step: node (null for local),
	 * what, outcome ("undone", "failed" or "not run"), error, seconds;
	 * in the order the steps finished, then those not run.
	 */
	JsonArray *record;
};

/*
 * Runs @steps, journaling an "undone" record after each that succeeds,
 * and an "undo-failed" record (key, error) after each that fails; a failed
 * step stays to undo (for "status" and the next "down"), unless
 * opts->forget gives it up.  Local steps run one at a time, in order.  Between two local steps, the
 * remote steps of the nodes of one wave (opts->wave) run at once, each
 * node's in order, and the next wave starts when that one is done; when
 * a node of them has no wave, or without opts->wave, they run one at a
 * time, in order.  Stops at the first failure unless opts->force (steps
 * already running on other nodes finish).  With force and without forget,
 * a local step of a node one of whose steps failed, and a local step
 * shared by the nodes (no of_node) while any node has, is kept rather than
 * run: the node stays reachable for the next down.  Every failure is
 * printed and counted in @res.  A local step that names what is not the
 * lab's (provider_undo_check) refuses the whole run before any step runs
 * (res->refused).  Returns true when every step succeeded.
 */
struct teardown_result {
	guint failed;           /* steps that failed */
	guint kept;             /* local steps kept for a node whose undo failed */
	bool refused;           /* the journal is not this lab's: nothing ran */
};

bool teardown_run(GPtrArray *steps, struct journal *journal,
		  const struct teardown_opts *opts, struct teardown_result *res);

#endif
