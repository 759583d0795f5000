/*
 * playbook.h - playbooks and templates: the data that says what runs where
 *
 * A playbook (playbooks/NAME.yaml) is an ordered list of tasks for one role
 * and backend.  Playbooks and the script templates they name
 * (templates/FILE) are compiled into the binary; a directory given with
 * --playbook-dir holds playbooks/ and templates/ that take their place, for
 * development.  The language is documented in docs/playbooks.md.
 */
#ifndef LABCTL_PLAYBOOK_H
#define LABCTL_PLAYBOOK_H

#include <stdbool.h>
#include <glib.h>

#include "labctl/template.h"
#include "labctl/ytree.h"

/* Seconds a task may run when its playbook does not say. */
#define PLAYBOOK_DEFAULT_TIMEOUT 60
#define PLAYBOOK_MAX_TIMEOUT 3600

/*
 * What the standard output of a verify task can hold, for "metrics: NAME"
 * (NULL-ended): "fio", fio's JSON output (fio.h); "libiscsi", what
 * iscsi-test-cu -v printed (conformance.h).
 */
extern const char *const playbook_metrics_names[];

struct pb_task {
	struct loc where;
	struct ystr name;       /* template, rendered without quoting */
	struct ystr when;       /* condition (template.h); absent: always */
	struct ystr foreach;    /* "VAR in PATH": one task per element */
	struct ystr check;      /* command; exit 0 means done already */
	struct ystr guard;      /* command; run when not done: non-zero refuses the task */
	struct ystr run;        /* command; gets the script on stdin if any */
	struct ystr script;     /* template file whose rendering is run's stdin */
	struct ystr undo;       /* command that reverses run */
	struct yuint timeout;   /* seconds */
	struct yuint retries;
	struct ystr provides;   /* milestone other nodes can wait for */
	struct ystr after;      /* milestone on the disk nodes this host uses */
	struct ybool verify;    /* a check of the lab: runs every time, changes nothing */
	/*
	 * A verify task that proves by doing (a remount, fio, a conformance
	 * suite): "check" always runs it; "up" skips it when nothing changed
	 * since the last complete run (see engine_opts.skip_heavy).
	 */
	struct ybool heavy;
	/*
	 * A heavy task's proof that an earlier task of the playbook (this is
	 * its name template, the same foreach) makes as well when it changes
	 * something: "up" then skips the heavy task (see plan_task.proven_by).
	 */
	struct ystr proven_by;
	struct ybool adopt;     /* false: a passing check counts only for what this lab made */
	struct ystr timeout_from;       /* template rendering to the seconds, instead of timeout */
	struct yenum metrics;   /* index into playbook_metrics_names: what its stdout holds */
	struct ystr known_failures;     /* template rendering to the cases (SUITE.TEST, comma-
					   separated) of a conformance run that may fail */
};

struct playbook {
	char *name;
	char *file;             /* for messages: "playbooks/NAME.yaml" or a path */
	struct loc where;
	struct ystr playbook;   /* the name it declares */
	struct ystr description;
	struct ystr role;       /* "disk" or "host" */
	GPtrArray *tasks;       /* struct pb_task * */
	GHashTable *scripts;    /* script file name -> struct template * */
	GHashTable *fields;     /* const struct ystr * of a task -> struct template * */
	GHashTable *conds;      /* const struct pb_task * -> its parsed 'when' */
};

/*
 * Loads playbook @name (without ".yaml") from @dir/playbooks, or from the
 * embedded copy when @dir is NULL, with the templates its tasks name, and
 * parses every template and condition in it.  Problems go to @diags
 * (FILE:LINE:COL); returns NULL when there was any.
 */
struct playbook *playbook_load(const char *name, const char *dir, GPtrArray *diags);
void playbook_free(struct playbook *pb);

/*
 * The parsed template of task field @s (one of a task's ystr members), or of
 * the script file @s names when @script.  Never NULL for a loaded playbook.
 */
const struct template *playbook_field(const struct playbook *pb, const struct ystr *s);
const struct template *playbook_script(const struct playbook *pb, const char *file);

/*
 * The parsed condition of task @t, or NULL when it has none or it could not
 * be parsed (template_eval then reports why).
 */
const struct template_cond *playbook_when(const struct playbook *pb, const struct pb_task *t);

/*
 * Reads a file of the embedded resources or of @dir ("playbooks/x.yaml",
 * "templates/y.sh").  Returns NULL with @error set when there is none.
 */
char *playbook_read_resource(const char *dir, const char *path, gsize *len,
			     GError **error);

/* The names of the embedded playbooks, sorted; free with g_strfreev. */
char **playbook_list(const char *dir);

#endif
