/*
 * plan.h - what runs where: spec + facts + playbooks -> tasks per node
 *
 * Each node gets the playbooks of its role and backends, in this order:
 *   disk: backing, target-<backend>, firewall
 *   host: initiator-<backend>, mount-test
 * Every task is rendered for the node (foreach expanded, templates filled
 * in, values shell-quoted), its "when" resolved where the facts are known,
 * and its "after" milestone turned into the ids of tasks on other nodes.
 *
 * Offline (no facts) a condition on facts stays open and the task is shown
 * as conditional; an "os:" hint in the spec supplies the facts os_family
 * and pkg.
 */
#ifndef LABCTL_PLAN_H
#define LABCTL_PLAN_H

#include <stdbool.h>
#include <stdio.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#include "labctl/spec.h"
#include "labctl/template.h"

/* The file a mount's fio run works on, in the mount, made and removed by it. */
#define PLAN_FIO_FILE ".labctl-fio"
/*
 * Where a host with multipath keeps, per lab, a record of each LUN's WWID
 * and whether the lab added it to /etc/multipath/wwids (docs/playbooks.md)
 */
#define PLAN_MULTIPATH_DIR "/var/lib/labctl/multipath"

struct plan_task {
	char *id;               /* "NODE:N", N counting from 1 within the node */
	char *playbook;
	char *name;
	char *when;             /* a condition still open (offline), or NULL */
	char *check;            /* command, or NULL */
	char *guard;            /* command, or NULL: non-zero refuses the task */
	char *run;              /* command */
	char *input;            /* rendered script sent on run's stdin, or NULL */
	char *undo;             /* command, or NULL */
	unsigned timeout;       /* seconds */
	char *metrics;          /* what a verify task's stdout holds ("fio"), or NULL */
	char *known_failures;   /* cases of a conformance run that may fail ("A.B,C.D"), or NULL */
	unsigned retries;
	bool verify;            /* runs every time, changes nothing, not journaled */
	bool heavy;             /* a verify task "up" may skip: see engine_opts.skip_heavy */
	char *proven_by;        /* heavy: the id of an earlier task on the node that
				   proves the same when it changes something, or NULL */
	bool adopt;             /* false: a passing check that this lab's journal
				   does not explain refuses the task */
	char *provides;         /* milestone name, or NULL */
	char *waits;            /* milestone on disk nodes it waits for, or NULL */
	char *waits_disk;       /* only on this disk node (a login's), or NULL: all */
	GPtrArray *after;       /* char *: ids of tasks on other nodes */
};

struct plan_node {
	const struct spec_node *spec;
	char *name;
	char *address;          /* NULL: known only once the provider ran */
	char *user;
	unsigned port;
	GPtrArray *tasks;       /* struct plan_task * */
};

struct plan {
	const struct lab_spec *spec;
	GPtrArray *nodes;       /* struct plan_node *, in spec order */
};

struct plan_options {
	const char *playbook_dir;       /* NULL: the built-in playbooks */
	GHashTable *facts;              /* node name -> JsonObject *, or NULL offline */
	unsigned flags;                 /* TEMPLATE_REDACT or TEMPLATE_SECRETS */
	template_secret_fn secret;      /* with TEMPLATE_SECRETS */
	void *secret_data;
	bool verify_only;               /* only the tasks marked verify (labctl check) */
};

/*
 * Builds the plan of a validated, resolved @spec.  Playbook and template
 * errors go to @diags; returns NULL when there was any.
 */
struct plan *plan_build(const struct lab_spec *spec, const struct plan_options *opts,
			GPtrArray *diags);
void plan_free(struct plan *plan);
/* for g_autoptr(lab_plan) only; code says struct plan */
typedef struct plan lab_plan;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(lab_plan, plan_free)

/*
 * The variables templates see for @node (see docs/playbooks.md); parts of
 * them may be shared with other objects, so treat them as read-only.
 */
JsonObject *plan_node_vars(const struct lab_spec *spec, const struct spec_node *node,
			   JsonObject *facts);

/* Human-readable plan, as "labctl plan" prints it: to @fp, or as a string. */
void plan_print(const struct plan *plan, FILE *fp);
char *plan_format(const struct plan *plan);

/* The plan as JSON (docs/json.md). */
JsonNode *plan_to_json(const struct plan *plan);

/* Total number of tasks. */
guint plan_task_count(const struct plan *plan);

#endif
