/*
 * engine.h - running a plan: nodes in parallel, tasks of a node in order
 *
 * Every task: its check (exit 0: done already, skipped), else a "task"
 * record with its undo is journaled, the task runs, and a "done" or
 * "failed" record follows.  A task that waits for tasks on other nodes
 * ("after") starts only when those are done, and is not run when one of
 * them failed.  After a failure, or once the caller cancels @opts->cancel, every node finishes the
 * task it is running and starts no other.
 *
 * Two plans of the same lab are given: @live with secrets resolved, used
 * for what runs, and @shown with secrets as ***, used for everything
 * written down (transcripts, messages).
 */
#ifndef LABCTL_ENGINE_H
#define LABCTL_ENGINE_H

#include <stdbool.h>
#include <stdio.h>
#include <glib.h>
#include <gio/gio.h>

#include "labctl/conformance.h"
#include "labctl/fio.h"
#include "labctl/journal.h"
#include "labctl/plan.h"
#include "labctl/redact.h"
#include "labctl/ssh.h"

enum task_outcome {
	TASK_NOT_RUN,           /* stopped before it, or what it waits for failed */
	TASK_OK,                /* done already (its check), or verified */
	TASK_CHANGED,           /* it ran and succeeded */
	TASK_FAILED,
	TASK_SKIPPED,           /* a heavy proof "up" left to "check" (engine_opts.skip_heavy) */
};

struct task_result {
	const struct plan_task *task;   /* of the shown plan */
	enum task_outcome outcome;
	int status;             /* exit status of run (or check), -1 if none */
	bool timed_out;
	bool unreachable;       /* failed as its node could not be reached */
	double seconds;
	char *output;           /* stdout of run, for "ok" tasks that report */
	char *error;            /* why it failed or was not run */
	char *stderr_text;      /* its stderr, when it failed */
	/*
	 * A task with "metrics: fio": the figures of fio's report on its
	 * stdout, or NULL when it printed none that could be read (the task
	 * then failed).  A report that names errors fails the task too.
	 */
	struct fio_report *fio;
	/*
	 * A task with "metrics: libiscsi": the cases of the conformance run
	 * on its stdout, or NULL when it printed none that could be read (the
	 * task then failed).  A failed case, or a run of no case, fails the
	 * task too.
	 */
	struct conformance_report *conformance;
};

struct node_result {
	const char *name;
	guint changed, skipped, failed, not_run;   /* skipped: done already ("ok") */
	guint proofs_skipped;   /* heavy proofs left to "check", counted in not_run */
	guint proofs_covered;   /* heavy proofs a task of this run made as well
				   (plan_task.proven_by), counted in not_run */
	guint reconnects;       /* times its connection dropped and was made again */
	double seconds;
	GPtrArray *tasks;       /* struct task_result *, one per plan task */
};

struct engine_opts {
	unsigned jobs;          /* nodes at once; 0: all */
	int verbosity;          /* -1 quiet, 0 normal, 1 verbose */
	FILE *out;              /* progress and messages */
	bool tty;               /* @out is a terminal: live lines per node */
	const char *transcript_dir;     /* NULL: none */
	/*
	 * The secret values of the run: every output and error of a node
	 * is scrubbed of them before anything of it is written or kept.
	 */
	const struct redact *redact;
	/*
	 * Cancelled (from any thread, e.g. on ^C): every node finishes the
	 * task it runs and starts no other.  NULL: never.
	 */
	GCancellable *cancel;
	/*
	 * The lab was complete and proven when its last run ended, and no
	 * record since says otherwise: a heavy verify task (a remount, fio,
	 * a conformance suite) is skipped as long as no task of this run has
	 * changed anything.  "check" never sets it.
	 */
	bool skip_heavy;
	/*
	 * Every heavy task runs, even one whose proof an earlier task of this
	 * run made as well (plan_task.proven_by): up --prove, "prove: always".
	 */
	bool prove_all;
};

/*
 * Runs @live on @conns (struct lab_ssh *, one per plan node, same order),
 * journaling in @journal.  Fills @results (struct node_result *, one per
 * node; free with node_results_free).  Returns true when no task failed.
 */
bool engine_run(const struct plan *live, const struct plan *shown, GPtrArray *conns,
		struct journal *journal, const struct engine_opts *opts,
		GPtrArray **results);

void node_results_free(GPtrArray *results);

/*
 * Whether @results changed anything and yet skipped a heavy proof: such a
 * run proves less than a complete one and is not recorded as proven.
 */
bool engine_skipped_after_change(GPtrArray *results);

/* Whether a task failed because its node could not be reached. */
bool engine_unreachable(GPtrArray *results);

/* The summary table: per node changed / skipped / failed / not run / time. */
char *engine_summary(GPtrArray *results);

/* The key under which a task's records are journaled. */
char *engine_task_key(const char *node, const char *task_name);

#endif
