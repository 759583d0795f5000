/*
 * lab.h - a lab as a whole: bring it up, check it, take it down
 *
 * The orchestration under the verbs: the provider makes the nodes, the lab
 * connects to them and gathers their facts, builds the plan (once with
 * secrets, for what runs, and once redacted, for what is written down),
 * runs it through the engine, and takes everything apart through the
 * teardown.  Nothing here prints a message of its own or picks an exit
 * code: errors come back as GError (LAB_ERROR), results as structs, and
 * only progress goes to the stream the caller gives (struct lab_opts).
 *
 * Cancellation: lab_opts.cancel, cancelled from any thread (the command
 * line does so on SIGINT and SIGTERM), stops the run at the next task
 * boundary, and a provider's wait for booting nodes at once.
 */
#ifndef LABCTL_LAB_H
#define LABCTL_LAB_H

#include <stdbool.h>
#include <stdio.h>
#include <glib.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "labctl/journal.h"
#include "labctl/plan.h"
#include "labctl/spec.h"
#include "labctl/undo.h"

#define LAB_ERROR (lab_error_quark())
GQuark lab_error_quark(void);

enum lab_error {
	LAB_ERROR_INVALID,      /* the spec, its secrets, provider or playbooks */
	LAB_ERROR_PLAN,         /* the plan could not be built: the message is its
				 * diagnostics, a line each (FILE:LINE:COL: text) */
	LAB_ERROR_UNREACHABLE,  /* a node could not be reached */
	LAB_ERROR_BUSY,         /* another labctl holds the lab's journal */
	LAB_ERROR_NOT_UP,       /* check: the journal records nothing standing */
	LAB_ERROR_TASKS,        /* tasks failed: the run's results say which */
	LAB_ERROR_CANCELLED,    /* lab_opts.cancel was cancelled */
	LAB_ERROR_FAILED,       /* anything else (journal, provider, I/O) */
};

/* What a teardown does with an undo that fails. */
enum teardown_mode {
	TEARDOWN_STOP,          /* stop there (down) */
	TEARDOWN_FORCE,         /* go on, and keep it to undo later (down --force, test) */
	TEARDOWN_FORGET,        /* go on, and give it up (down --forget) */
};

struct lab_opts {
	unsigned jobs;          /* nodes at once; 0: all */
	int verbosity;          /* -1 quiet, 0 normal, 1 verbose */
	const char *playbook_dir;       /* NULL: the built-in playbooks */
	bool accept_new_host_keys;
	/*
	 * up: run the heavy proofs even when the lab was proven whole and
	 * nothing changed since (as the spec's "prove: always" does)
	 */
	bool prove;
	FILE *out;              /* progress (not NULL) */
	bool tty;               /* @out is a terminal: live lines per node */
	GCancellable *cancel;   /* NULL: never cancelled */
};

/* A lab whose journal is open and locked, for one verb. */
struct lab;
typedef struct lab lab_handle;

/* The lab's state directory: @given, or .labctl/LAB beside the spec; absolute. */
char *lab_state_dir(const struct lab_spec *spec, const char *given);

enum lab_open_flags {
	LAB_OPEN_SECRETS = 1 << 0,      /* every secret must be readable now (up, check, test) */
};

/*
 * Opens @spec's lab with its state in @state_dir (lab_state_dir()):
 * checks its provider is built in (and with LAB_OPEN_SECRETS its secrets)
 * before anything is made, then opens and locks its journal.  NULL with
 * LAB_ERROR_INVALID, LAB_ERROR_BUSY or LAB_ERROR_FAILED.  @spec must
 * outlive the lab.
 */
struct lab *lab_open(const struct lab_spec *spec, const char *state_dir, unsigned flags,
		     GError **error);
void lab_close(struct lab *lab);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(lab_handle, lab_close)

/* Whether the journal in @state_dir records anything still to undo. */
bool lab_is_up(const char *state_dir);

/* The secret values of the spec that can be read now (best effort), to mask them. */
struct redact *lab_secrets(const struct lab_spec *spec);

/* What a run of the plan (up, check) gives back. */
struct lab_run {
	GPtrArray *results;     /* struct node_result * (engine.h); NULL if nothing ran */
	struct plan *shown;     /* the redacted plan the results point into */
	guint changed;          /* tasks that changed something */
	guint checks;           /* check: verify tasks */
	guint checks_failed;    /* check: of those, failed or not run */
	guint proofs_skipped;   /* up: heavy proofs left to "check" (nothing changed) */
};

void lab_run_clear(struct lab_run *run);

/*
 * labctl up: journals an "up" record (naming @spec_path), makes the nodes
 * through the provider, connects, gathers facts and runs the whole plan.
 * False with @error when it did not all succeed; @run then holds what
 * ran, if anything did (LAB_ERROR_TASKS, _UNREACHABLE and _CANCELLED
 * after tasks ran).
 */
bool lab_up(struct lab *lab, const char *spec_path, const struct lab_opts *o,
	    struct lab_run *run, GError **error);

/*
 * labctl check: the verify tasks of a lab that is up, reaching the nodes
 * without changing anything.  As lab_up.
 */
bool lab_check(struct lab *lab, const struct lab_opts *o, struct lab_run *run,
	       GError **error);

struct lab_down_result {
	guint steps;            /* undos it tried */
	guint failed;           /* of those, failed */
	guint kept;             /* local undos kept for a node whose undo failed */
	bool refused;           /* the journal is not this lab's: nothing ran */
	bool removed;           /* nothing is left: journal and state files are gone */
	char *state_dir;        /* where the journal is (kept for messages) */
	double seconds;
};

void lab_down_result_clear(struct lab_down_result *r);

/*
 * Undoes everything the journal records, newest first (with @keep_nodes,
 * only what ran on the nodes), through the provider; when nothing is left,
 * removes the journal and the state directory's own files.  Progress and
 * each failed undo go to @o->out.  @record, if not NULL, gets an object per
 * step (teardown.h).  False with @error only when the journal could not be
 * read or removed; failed undos are counted in @res.
 */
bool lab_down(struct lab *lab, enum teardown_mode mode, bool keep_nodes,
	      const struct lab_opts *o, JsonArray *record, struct lab_down_result *res,
	      GError **error);

/*
 * How to reach every node without changing anything (ssh-config,
 * inventory, ssh): struct node_access * (provider.h) in spec order.
 */
GPtrArray *lab_access(const struct lab_spec *spec, const char *state_dir, GError **error);

/*
 * labctl fault: break a path or the target of a lab that is up, and mend
 * it.  A fault is a journaled task with its undo, so that down always
 * mends what is still broken; it touches only what is the lab's (a
 * firewall rule tagged with the lab's name on a portal of the lab's
 * target; the lab's target, found by its IQN).
 *
 *   LAB_FAULT_CUT           on disk node @node, drop the packets to @portal
 *                           (or to every portal of its target), in iptables
 *   LAB_FAULT_RESTORE       undo the faults of @node (with @portal, only the
 *                           cut of that portal)
 *   LAB_FAULT_LIST          the faults in place (@node, @portal ignored)
 *   LAB_FAULT_STOP_TARGET   stop serving @node's target: tgt puts it offline
 *                           and closes its connections, LIO disables its
 *                           portal group; initiators' I/O waits, their
 *                           logins are refused (@portal ignored)
 *   LAB_FAULT_START_TARGET  undo LAB_FAULT_STOP_TARGET
 *
 * The order is that of the command line's actions.
 */
enum lab_fault_action {
	LAB_FAULT_CUT,
	LAB_FAULT_RESTORE,
	LAB_FAULT_LIST,
	LAB_FAULT_STOP_TARGET,
	LAB_FAULT_START_TARGET,
};

struct lab_fault {
	char *node;
	char *kind;             /* "cut" or "stop-target" */
	char *object;           /* cut: the portal, ADDRESS:PORT; stop-target: the IQN */
	char *what;             /* for messages */
	bool changed;           /* this call made or mended it (not so already) */
};

void lab_fault_free(gpointer p);

/*
 * Does @action; on success @faults (struct lab_fault *) holds what it
 * broke, mended or lists.  False with LAB_ERROR_NOT_UP (the journal
 * records nothing standing), LAB_ERROR_INVALID (@node is not a disk node
 * of the spec, @portal not one of its portals), LAB_ERROR_UNREACHABLE or
 * LAB_ERROR_FAILED (a command failed: the error holds its stderr).
 */
bool lab_fault(struct lab *lab, enum lab_fault_action action, const char *node,
	       const char *portal, const struct lab_opts *o, GPtrArray **faults, GError **error);

/* labctl status: what the journal of a lab says, and whether its nodes answer. */
struct lab_node_status {
	const char *name;       /* the spec's */
	const char *address;    /* the spec's, or NULL */
	guint done;             /* "done" records */
	guint failed;           /* "failed" records */
	bool reachable;
	char *why;              /* why not, or NULL */
};

/* An undo that failed at a down and is still to undo. */
struct lab_failed_undo {
	const struct undo_step *step;   /* in the status's steps */
	const char *error;              /* in the status's records */
};

struct lab_status {
	GPtrArray *records;     /* the journal's */
	GPtrArray *steps;       /* struct undo_step *, still to undo */
	guint locals;           /* of those, on this machine */
	struct lab_node_status *nodes;  /* one per spec node */
	guint n_nodes;
	GPtrArray *failed_undos;        /* struct lab_failed_undo * */
};

/*
 * Reads the journal in @state_dir and, when something stands, tries a
 * login to each node (3 s, once).  False with @error when the journal
 * cannot be read.
 */
bool lab_status(const struct lab_spec *spec, const char *state_dir, struct lab_status *st,
		GError **error);
void lab_status_clear(struct lab_status *st);

#endif
