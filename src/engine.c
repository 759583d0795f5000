/*
 * engine.c - running a plan on the nodes
 *
 * One worker thread per node (at most opts->jobs at once, disk nodes
 * first so that hosts waiting for them can never hold every worker).  One
 * mutex guards the task states and the output; the journal has its own;
 * commands run without either.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "labctl/crashpoint.h"
#include "labctl/engine.h"
#include "labctl/text.h"

/* A waiting node sends a keepalive this often so that idle sessions live. */
#define KEEPALIVE_SECONDS 15

char *engine_task_key(const char *node, const char *task_name)
{
	return g_strdup_printf("task:%s:%s", node, task_name);
}

/* One node of the run: its two plans, its connection, where it is, its result. */
struct node_run {
	const struct plan_node *live;   /* with secrets: what runs */
	const struct plan_node *shown;  /* redacted: what is written down */
	struct lab_ssh *ssh;
	struct node_result *result;     /* also in the engine's results */
	const char *current;    /* the task it runs, or NULL */
	gint64 since;           /* when that task started */
	guint done;             /* tasks finished */
};

struct engine {
	const struct plan *live;
	const struct plan *shown;
	struct node_run *nodes; /* one per plan node */
	struct journal *journal;
	const struct engine_opts *opts;
	GPtrArray *results;
	GMutex lock;
	GCond changed;
	GHashTable *outcome;    /* task id -> GINT_TO_POINTER(enum task_outcome + 1) */
	bool failed;
	bool changed_any;       /* a task of this run changed something */
	gint64 start;
	guint drawn;            /* lines of the live region on the terminal */
	GPtrArray *queue;       /* node indices (GINT_TO_POINTER) not started yet */
	GHashTable *last;       /* task key -> type of its last record ("task": a crash cut it short) */
	bool finished;          /* the ticker stops */
};

/* Whether the caller asked the run to stop (^C): no further task starts. */
static bool stopping(const struct engine *e)
{
	return e->opts->cancel && g_cancellable_is_cancelled(e->opts->cancel);
}

static void task_result_free(gpointer p)
{
	struct task_result *r = p;

	g_free(r->output);
	g_free(r->error);
	g_free(r->stderr_text);
	fio_report_free(r->fio);
	conformance_report_free(r->conformance);
	g_free(r);
}

static void node_result_free(gpointer p)
{
	struct node_result *r = p;

	g_ptr_array_unref(r->tasks);
	g_free(r);
}

void node_results_free(GPtrArray *results)
{
	if (results)
		g_ptr_array_unref(results);
}

static double since(gint64 t0)
{
	return (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC;
}

/* ---- output (under e->lock) ---- */

static void say(struct engine *e, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/*
 * On a terminal the last lines show one line per node (its current task and
 * for how long); messages are printed above them.  Piped, only messages.
 */
static void erase_region(struct engine *e)
{
	if (e->drawn)
		fprintf(e->opts->out, "\033[%uA\033[J", e->drawn);
	e->drawn = 0;
}

static void draw_region(struct engine *e)
{
	gint64 now = g_get_monotonic_time();

	if (!e->opts->tty || e->finished || e->opts->verbosity < 0)
		return;
	for (guint i = 0; i < e->shown->nodes->len; i++) {
		const struct node_run *n = &e->nodes[i];
		const struct plan_node *pn = n->shown;

		if (n->current)
			fprintf(e->opts->out, "%-12s [%u/%u] %.60s (%.0f s)\n", pn->name,
				n->done + 1, pn->tasks->len, n->current,
				(double)(now - n->since) / G_USEC_PER_SEC);
		else
			fprintf(e->opts->out, "%-12s [%u/%u]%s\n", pn->name, n->done,
				pn->tasks->len, n->done == pn->tasks->len ? " finished" : "");
		e->drawn++;
	}
	fflush(e->opts->out);
}

static void say(struct engine *e, const char *fmt, ...)
{
	va_list ap;

	if (!e->opts->out)
		return;
	erase_region(e);
	va_start(ap, fmt);
	vfprintf(e->opts->out, fmt, ap);
	va_end(ap);
	draw_region(e);
	fflush(e->opts->out);
}

static gpointer ticker(gpointer data)
{
	struct engine *e = data;

	g_mutex_lock(&e->lock);
	while (!e->finished) {
		erase_region(e);
		draw_region(e);
		g_cond_wait_until(&e->changed, &e->lock,
				  g_get_monotonic_time() + G_USEC_PER_SEC / 4);
	}
	erase_region(e);
	g_mutex_unlock(&e->lock);
	return NULL;
}

static const char *outcome_word(enum task_outcome o)
{
	switch (o) {
	case TASK_OK:
		return "ok";
	case TASK_CHANGED:
		return "changed";
	case TASK_FAILED:
		return "FAILED";
	case TASK_NOT_RUN:
		return "not run";
	case TASK_SKIPPED:
		return "skipped";
	}
	return "?";
}

/* The outcome of task @id so far, or -1 when it has none yet.  Under lock. */
static int outcome_of(struct engine *e, const char *id)
{
	return GPOINTER_TO_INT(g_hash_table_lookup(e->outcome, id)) - 1;
}

static void report_task(struct engine *e, const char *node, const struct plan_task *t,
			const struct task_result *r)
{
	int v = e->opts->verbosity;

	if (r->outcome == TASK_FAILED) {
		say(e, "%s: %s: %s\n", node, t->name, r->error ? r->error : "failed");
		return;
	}
	if (v < 0)
		return;
	/* a proof another task made: the summary's "not run" says no more */
	if (r->outcome == TASK_SKIPPED && v == 0 && t->proven_by &&
	    outcome_of(e, t->proven_by) == TASK_CHANGED) {
		say(e, "%-12s %-7s %s: %s\n", node, outcome_word(r->outcome), t->name,
		    g_str_has_prefix(r->error, "skipped: ") ? r->error + strlen("skipped: ") : r->error);
		return;
	}
	if (v == 0 && r->outcome != TASK_CHANGED)
		return;
	say(e, "%-12s %-7s %s (%.2f s)\n", node, outcome_word(r->outcome), t->name, r->seconds);
}

/* The last @n lines of @text, indented, for a failure message. */
static char *tail_lines(const char *text, guint n)
{
	g_auto(GStrv) lines = NULL;
	GString *s = g_string_new(NULL);
	gsize end, from;

	if (!text)
		return g_string_free(s, FALSE);
	from = text_last_lines(text, -1, n, &end);
	if (from == end)
		return g_string_free(s, FALSE);
	{
		g_autofree char *last = g_strndup(text + from, end - from);

		lines = g_strsplit(last, "\n", -1);
	}
	for (guint i = 0; lines[i]; i++)
		g_string_append_printf(s, "    %s\n", lines[i]);
	return g_string_free(s, FALSE);
}

/* "exit status N", the command and the tail of its stderr, for a failed task */
static char *exit_text(const char *what, int status, const char *cmd, bool script,
		       const char *stderr_text)
{
	g_autofree char *tail = tail_lines(stderr_text, 8);
	char *s = g_strdup_printf("%sexit status %d\n  command: %s%s%s%s", what, status, cmd,
				  script ? " (script on stdin)" : "",
				  *tail ? "\n  stderr:\n" : "", tail);

	if (*tail && g_str_has_suffix(s, "\n"))
		s[strlen(s) - 1] = '\0';
	return s;
}

/* ---- transcripts ---- */

/*
 * Neither the directory nor the file is followed when it is a symbolic
 * link (put there to make labctl, as root, append somewhere else), and the
 * file is 0600 whoever made it.
 */
static FILE *open_transcript(struct engine *e, const char *node)
{
	g_autofree char *file = NULL;
	int dir, fd;

	if (!e->opts->transcript_dir)
		return NULL;
	if (g_mkdir(e->opts->transcript_dir, 0700) && errno != EEXIST)
		return NULL;
	dir = open(e->opts->transcript_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dir < 0)
		return NULL;
	file = g_strdup_printf("%s.log", node);
	fd = openat(dir, file, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
	close(dir);
	if (fd < 0)
		return NULL;
	if (fchmod(fd, 0600) < 0) {
		close(fd);
		return NULL;
	}
	return fdopen(fd, "a");
}

static void transcribe(FILE *f, const char *label, const char *cmd, const char *input,
		       const struct lab_ssh_result *r, const GError *error)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_autofree char *ts = g_date_time_format_iso8601(now);

	if (!f)
		return;
	fprintf(f, "--- %s %s\n$ %s\n", ts, label, cmd);
	if (input)
		fprintf(f, "--- stdin\n%s%s", input, g_str_has_suffix(input, "\n") ? "" : "\n");
	if (error) {
		fprintf(f, "--- error: %s\n", error->message);
	} else {
		if (r->out_len)
			fprintf(f, "--- stdout\n%s%s", r->out, g_str_has_suffix(r->out, "\n") ? "" : "\n");
		if (r->err_len)
			fprintf(f, "--- stderr\n%s%s", r->err, g_str_has_suffix(r->err, "\n") ? "" : "\n");
		if (r->timed_out)
			fprintf(f, "--- timed out after %.1f s\n", r->seconds);
		else
			fprintf(f, "--- exit %d, %.2f s\n", r->status, r->seconds);
	}
	fflush(f);
}

static void transcribe_note(FILE *f, const char *note)
{
	if (f) {
		fprintf(f, "--- %s\n", note);
		fflush(f);
	}
}

/* ---- journal (its own lock: journal_append is thread safe) ---- */

static bool journal_task(struct engine *e, const char *type, const char *node,
			 const struct plan_task *t, int status, GError **error)
{
	g_autoptr(JsonObject) rec = json_object_new();
	g_autofree char *key = engine_task_key(node, t->name);

	json_object_set_string_member(rec, "type", type);
	json_object_set_string_member(rec, "key", key);
	json_object_set_string_member(rec, "node", node);
	json_object_set_string_member(rec, "id", t->id);
	json_object_set_string_member(rec, "name", t->name);
	if (!strcmp(type, "task")) {
		if (t->undo)
			json_object_set_string_member(rec, "undo", t->undo);
		else
			json_object_set_null_member(rec, "undo");
		json_object_set_int_member(rec, "timeout", t->timeout);
	} else {
		json_object_set_int_member(rec, "status", status);
	}
	return journal_append(e->journal, rec, error);
}

/* ---- dependencies ---- */

static void set_outcome(struct engine *e, const char *id, enum task_outcome o)
{
	g_hash_table_insert(e->outcome, (gpointer)id, GINT_TO_POINTER(o + 1));
	g_cond_broadcast(&e->changed);
}

/* The name of the task @id on node @pn (an id the plan made on it). */
static const char *task_name(const struct plan_node *pn, const char *id)
{
	for (guint i = 0; i < pn->tasks->len; i++) {
		const struct plan_task *t = g_ptr_array_index(pn->tasks, i);

		if (!strcmp(t->id, id))
			return t->name;
	}
	return id;
}

/*
 * Waits until every task @t waits for is finished.  Returns NULL when all
 * succeeded, or why @t cannot run (newly allocated).  Called under lock.
 */
static char *wait_after(struct engine *e, const struct plan_task *t, struct lab_ssh *ssh)
{
	gint64 next_keepalive = g_get_monotonic_time() + KEEPALIVE_SECONDS * G_USEC_PER_SEC;

	for (;;) {
		bool pending = false;

		for (guint i = 0; i < t->after->len; i++) {
			const char *dep = g_ptr_array_index(t->after, i);
			gpointer v = g_hash_table_lookup(e->outcome, dep);
			enum task_outcome o;

			if (!v) {
				pending = true;
				continue;
			}
			o = (enum task_outcome)(GPOINTER_TO_INT(v) - 1);
			if (o == TASK_FAILED || o == TASK_NOT_RUN)
				return g_strdup_printf("not run: it waits for '%s', which %s", dep,
						       o == TASK_FAILED ? "failed" : "did not run");
		}
		if (!pending)
			return NULL;
		if (stopping(e) || e->failed)
			return g_strdup("not run: labctl was stopping");
		g_cond_wait_until(&e->changed, &e->lock,
				  g_get_monotonic_time() + G_USEC_PER_SEC / 2);
		if (g_get_monotonic_time() > next_keepalive) {
			g_mutex_unlock(&e->lock);
			lab_ssh_keepalive(ssh);
			g_mutex_lock(&e->lock);
			next_keepalive = g_get_monotonic_time() + KEEPALIVE_SECONDS * G_USEC_PER_SEC;
		}
	}
}

/* ---- one task ---- */

/* The type of the last journal record of a task, or NULL when it has none. */
static const char *last_record(struct engine *e, const char *node, const char *name)
{
	g_autofree char *key = engine_task_key(node, name);

	return g_hash_table_lookup(e->last, key);
}

/* Whether a task was journaled as started but has no result: a crash cut it short. */
static bool is_interrupted(struct engine *e, const char *node, const char *name)
{
	return !g_strcmp0(last_record(e, node, name), "task");
}

/*
 * Whether this lab's journal explains what a task's check found: the task
 * was journaled as started (done, failed or cut short) and not undone
 * since.  Otherwise what the check found was there before labctl.
 */
static bool made_by_lab(struct engine *e, const char *node, const char *name)
{
	const char *type = last_record(e, node, name);

	return type && strcmp(type, "undone");
}

/* Every key of the journal with the type of its last record. */
static GHashTable *last_records(struct journal *j)
{
	GHashTable *last = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_autoptr(GPtrArray) recs = journal_records(j, NULL);

	for (guint i = 0; recs && i < recs->len; i++) {
		JsonObject *r = g_ptr_array_index(recs, i);
		const char *key = json_object_get_string_member_with_default(r, "key", NULL);

		if (key)
			g_hash_table_insert(last, g_strdup(key), g_strdup(
				json_object_get_string_member_with_default(r, "type", "")));
	}
	return last;
}

/*
 * lab_ssh_exec, then the one scrub every node output gets: the secrets of
 * the run masked in stdout, stderr and the error, before anything of them
 * is transcribed, printed or kept in a result (JSON, JUnit).
 */
static bool node_exec(struct engine *e, struct lab_ssh *ssh, const char *cmd, const char *input,
		      unsigned timeout, struct lab_ssh_result *res, GError **error)
{
	const struct redact *rd = e->opts->redact;
	bool ran = lab_ssh_exec(ssh, cmd, input, input ? strlen(input) : 0, timeout, res, error);
	char *text;

	if (!rd)
		return ran;
	if (res->out) {
		text = redact_text(rd, res->out, (gssize)res->out_len, &res->out_len);
		g_free(res->out);
		res->out = text;
	}
	if (res->err) {
		text = redact_text(rd, res->err, (gssize)res->err_len, &res->err_len);
		g_free(res->err);
		res->err = text;
	}
	if (!ran && error && *error) {
		text = redact_text(rd, (*error)->message, -1, NULL);
		g_free((*error)->message);
		(*error)->message = text;
	}
	return ran;
}

/*
 * A task with "metrics: fio" has ended with output @out: its figures.
 * Errors in fio's report fail the task; so does a run that passed without
 * a report labctl can read.  A run that failed keeps its own error, with
 * the report's errors in front when there are any.
 */
static void read_fio(const char *node, struct task_result *r, const char *out, size_t len)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(fio_report) report = NULL;
	g_autofree char *errors = NULL;

	report = fio_parse(out ? out : "", out ? (gssize)len : 0, &error);
	if (!report) {
		if (r->outcome == TASK_FAILED)
			return;
		r->outcome = TASK_FAILED;
		r->error = g_strdup_printf("fio on %s printed no report labctl can read: %s",
					   node, error->message);
		return;
	}
	errors = fio_report_error_text(report);
	if (errors) {
		g_autofree char *was = g_steal_pointer(&r->error);

		r->error = was ? g_strdup_printf("fio on %s reported errors: %s\n%s", node, errors, was)
			       : g_strdup_printf("fio on %s reported errors: %s", node, errors);
		r->outcome = TASK_FAILED;
	}
	r->fio = g_steal_pointer(&report);
}

/*
 * A task with "metrics: libiscsi" has ended with output @out: the cases of
 * the conformance run.  A failed case fails the task, and so does a run of
 * no case or one whose output cannot be read; a run that failed otherwise
 * (no login: nothing ran) keeps its own error.  The names of the failed
 * cases go in front of the error.
 */
static void read_conformance(const char *node, const struct plan_task *t, struct task_result *r,
			     const char *out, size_t len)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(conformance_report) report = NULL;
	g_autofree char *why = NULL;
	g_autofree char *was = NULL;
	guint failed;

	report = conformance_parse(out ? out : "", out ? (gssize)len : 0, &error);
	if (!report) {
		if (r->outcome == TASK_FAILED)
			return;
		r->outcome = TASK_FAILED;
		r->error = g_strdup_printf("the conformance run on %s printed no results labctl can read: %s",
					   node, error->message);
		return;
	}
	failed = report->failed;
	conformance_apply_known(report, t->known_failures);
	/*
	 * iscsi-test-cu, having run to its summary, exits 1 to say only that
	 * tests failed: when each was a known failure, the run passed.
	 */
	if (r->outcome == TASK_FAILED && !r->timed_out && r->status == 1 && failed &&
	    !report->failed) {
		r->outcome = TASK_OK;
		g_clear_pointer(&r->error, g_free);
		g_clear_pointer(&r->stderr_text, g_free);
		r->output = g_strndup(out, len);
	}
	if (!report->cases->len) {
		why = g_strdup_printf("the conformance run on %s ran no test", node);
	} else if (report->failed) {
		g_autofree char *names = conformance_failed_names(report, 8);

		why = g_strdup_printf("%u of %u conformance tests failed on %s: %s", report->failed,
				      report->cases->len, node, names);
	}
	if (why) {
		was = g_steal_pointer(&r->error);
		r->error = was ? g_strdup_printf("%s\n%s", why, was) : g_steal_pointer(&why);
		r->outcome = TASK_FAILED;
	}
	r->conformance = g_steal_pointer(&report);
}

/* A task with metrics has ended with output @out: read them. */
static void read_metrics(const char *node, const struct plan_task *t, struct task_result *r,
			 const char *out, size_t len)
{
	if (!t->metrics)
		return;
	if (!strcmp(t->metrics, "fio"))
		read_fio(node, r, out, len);
	else if (!strcmp(t->metrics, "libiscsi"))
		read_conformance(node, t, r, out, len);
}

static void run_task(struct engine *e, guint ni, guint ti, FILE *tr)
{
	struct node_run *n = &e->nodes[ni];
	const struct plan_task *lt = g_ptr_array_index(n->live->tasks, ti);
	const struct plan_task *st = g_ptr_array_index(n->shown->tasks, ti);
	struct node_result *nr = n->result;
	struct task_result *r = g_ptr_array_index(nr->tasks, ti);
	struct lab_ssh *ssh = n->ssh;
	struct lab_ssh_result res = { 0 };
	g_autoptr(GError) error = NULL;
	gint64 t0 = g_get_monotonic_time();
	unsigned attempt = 0;

	/*
	 * Journaled as started but with no result: labctl died while it ran.
	 * Its check cannot be trusted (mkfs leaves a signature long before it
	 * is done), so what it may have half-done is undone first.
	 */
	if (lt->undo && is_interrupted(e, n->live->name, st->name)) {
		bool ran = node_exec(e, ssh, lt->undo, NULL, lt->timeout, &res, &error);

		transcribe(tr, "undo (the last run was interrupted)", st->undo, NULL, &res, error);
		if (!ran || res.status != 0) {
			r->outcome = TASK_FAILED;
			r->error = g_strdup_printf("its last run was interrupted, and undoing it failed: %s",
						   ran ? "non-zero exit status" : error->message);
			goto out;
		}
		lab_ssh_result_clear(&res);
	}
	if (lt->check) {
		bool ran = node_exec(e, ssh, lt->check, NULL, lt->timeout, &res, &error);

		transcribe(tr, "check", st->check, NULL, &res, error);
		if (!ran) {
			r->outcome = TASK_FAILED;
			r->error = g_strdup_printf("check could not run: %s", error->message);
			goto out;
		}
		if (res.status == 0 && !lt->adopt && !made_by_lab(e, n->live->name, st->name)) {
			/*
			 * Found, not made: taking it over would let this lab's
			 * later tasks write to it (a LUN with someone's data).
			 */
			r->outcome = TASK_FAILED;
			r->status = -1;
			r->error = g_strdup_printf(
				"refused: its check finds this done already, but this lab did not do it "
				"(its journal has no record of it): labctl takes over nothing it did not make\n"
				"  check: %s", st->check);
			transcribe_note(tr, "refused: the check passed, and this lab did not make what it found");
			goto out;
		}
		if (res.status == 0) {
			r->outcome = TASK_OK;
			goto out;
		}
		lab_ssh_result_clear(&res);
	}
	/*
	 * A guard that fails refuses the task before anything is journaled:
	 * what it protects (a file labctl did not make) is never undone.
	 */
	if (lt->guard) {
		bool ran = node_exec(e, ssh, lt->guard, NULL, lt->timeout, &res, &error);

		transcribe(tr, "guard", st->guard, NULL, &res, error);
		if (!ran) {
			r->outcome = TASK_FAILED;
			r->status = -1;
			r->error = g_strdup_printf("guard could not run: %s", error->message);
			r->unreachable = error->domain == LAB_SSH_ERROR &&
					 error->code != LAB_SSH_ERROR_CHANNEL;
			goto out;
		}
		if (res.status != 0 || res.timed_out) {
			r->outcome = TASK_FAILED;
			r->status = res.status;
			r->timed_out = res.timed_out;
			r->stderr_text = g_strndup(res.err, res.err_len);
			r->error = res.timed_out ?
				g_strdup_printf("its guard timed out after %u s", lt->timeout) :
				exit_text("refused by its guard: ", res.status, st->guard, false,
					  r->stderr_text);
			goto out;
		}
		lab_ssh_result_clear(&res);
	}

	if (!lt->verify && !journal_task(e, "task", n->live->name, st, 0, &error)) {
		r->outcome = TASK_FAILED;
		r->error = g_strdup_printf("cannot journal the task, so it was not run: %s",
					   error->message);
		goto out;
	}

	for (;;) {
		bool ran = node_exec(e, ssh, lt->run, lt->input, lt->timeout, &res, &error);

		transcribe(tr, attempt ? "run (retry)" : "run", st->run, st->input, &res, error);
		crashpoint("ran");
		if (!ran) {
			r->outcome = TASK_FAILED;
			r->status = -1;
			r->error = g_strdup(error->message);
			r->unreachable = error->domain == LAB_SSH_ERROR &&
					 error->code != LAB_SSH_ERROR_CHANNEL;
			break;
		}
		r->status = res.status;
		r->timed_out = res.timed_out;
		if (res.status == 0 && !res.timed_out) {
			r->outcome = lt->verify ? TASK_OK : TASK_CHANGED;
			r->output = g_strndup(res.out, res.out_len);
			read_metrics(n->live->name, lt, r, res.out, res.out_len);
			break;
		}
		if (attempt++ < lt->retries && !stopping(e)) {
			lab_ssh_result_clear(&res);
			g_usleep(G_USEC_PER_SEC << (attempt - 1));
			continue;
		}
		r->outcome = TASK_FAILED;
		r->stderr_text = g_strndup(res.err, res.err_len);
		if (res.timed_out) {
			r->error = g_strdup_printf("timed out after %u s and was killed", lt->timeout);
		} else {
			r->error = exit_text("", res.status, st->run, st->input, r->stderr_text);
			read_metrics(n->live->name, lt, r, res.out, res.out_len);
		}
		break;
	}
	if (!lt->verify && (r->outcome == TASK_CHANGED || r->outcome == TASK_FAILED)) {
		g_autoptr(GError) jerr = NULL;

		if (!journal_task(e, r->outcome == TASK_CHANGED ? "done" : "failed", n->live->name,
				  st, r->status, &jerr) && r->outcome == TASK_CHANGED) {
			r->outcome = TASK_FAILED;
			r->error = g_strdup_printf("cannot journal the result: %s", jerr->message);
		}
	}
out:
	lab_ssh_result_clear(&res);
	r->seconds = since(t0);
}

/* A heavy proof that does not run, for the reason @why (taken).  Under lock. */
static void skip_proof(struct engine *e, struct node_run *n, const struct plan_task *t,
		       struct task_result *r, char *why)
{
	r->outcome = TASK_SKIPPED;
	r->error = why;
	set_outcome(e, t->id, TASK_SKIPPED);
	n->done++;
	n->result->not_run++;
	report_task(e, n->shown->name, t, r);
}

static void run_node(struct engine *e, guint ni)
{
	struct node_run *n = &e->nodes[ni];
	const struct plan_node *pn = n->shown;
	struct node_result *nr = n->result;
	struct lab_ssh *ssh = n->ssh;
	gint64 t0 = g_get_monotonic_time();
	FILE *tr = open_transcript(e, pn->name);
	bool stop = false;

	for (guint ti = 0; ti < pn->tasks->len; ti++) {
		const struct plan_task *t = g_ptr_array_index(pn->tasks, ti);
		struct task_result *r = g_ptr_array_index(nr->tasks, ti);
		g_autofree char *why = NULL;

		g_mutex_lock(&e->lock);
		/*
		 * What a task waits for comes first: a failure it depends on
		 * says more than "labctl stopped", whichever thread got first.
		 */
		if (!stop && (why = wait_after(e, t, ssh)))
			stop = true;
		if (!stop && (stopping(e) || e->failed))
			stop = true;
		if (stop) {
			r->outcome = TASK_NOT_RUN;
			r->error = why ? g_steal_pointer(&why) : g_strdup("not run: labctl stopped before it");
			set_outcome(e, t->id, TASK_NOT_RUN);
			n->done++;
			nr->not_run++;
			g_mutex_unlock(&e->lock);
			continue;
		}
		/*
		 * The last run proved the lab whole and this one has changed
		 * nothing so far: the heavy proof is "check"'s.  A change on
		 * any node (a target remade, a mount put back) makes it run.
		 */
		if (t->heavy && e->opts->skip_heavy && !e->changed_any) {
			skip_proof(e, n, t, r, g_strdup("skipped: nothing changed since the lab was last "
							"proven; 'labctl check' runs it"));
			nr->proofs_skipped++;
			g_mutex_unlock(&e->lock);
			continue;
		}
		/*
		 * An earlier task of this run changed something and proved, on
		 * the way, what this one would: the mount test's write, remount
		 * and read-back, and the verify task's own.
		 */
		if (t->heavy && t->proven_by && !e->opts->prove_all &&
		    outcome_of(e, t->proven_by) == TASK_CHANGED) {
			skip_proof(e, n, t, r, g_strdup_printf("skipped: '%s' proved the same in this run",
								task_name(pn, t->proven_by)));
			nr->proofs_covered++;
			g_mutex_unlock(&e->lock);
			continue;
		}
		n->current = t->name;
		n->since = g_get_monotonic_time();
		g_mutex_unlock(&e->lock);

		run_task(e, ni, ti, tr);

		g_mutex_lock(&e->lock);
		n->current = NULL;
		n->done++;
		set_outcome(e, t->id, r->outcome);
		switch (r->outcome) {
		case TASK_CHANGED:
			nr->changed++;
			e->changed_any = true;
			break;
		case TASK_OK:
			nr->skipped++;
			break;
		case TASK_SKIPPED:
			nr->not_run++;
			break;
		case TASK_FAILED:
			nr->failed++;
			e->failed = true;
			stop = true;
			break;
		case TASK_NOT_RUN:
			nr->not_run++;
			break;
		}
		report_task(e, pn->name, t, r);
		g_mutex_unlock(&e->lock);
	}
	nr->seconds = since(t0);
	if (tr)
		fclose(tr);
}

/*
 * Workers take the next node from the queue (disk nodes first: they never
 * wait, so hosts waiting for them cannot hold every worker) until it is
 * empty.  They are plain threads, joined: a thread that has ended has also
 * released what libraries kept per thread.
 */
static gpointer worker(gpointer data)
{
	struct engine *e = data;

	for (;;) {
		gint ni;

		g_mutex_lock(&e->lock);
		ni = e->queue->len ? GPOINTER_TO_INT(g_ptr_array_steal_index(e->queue, 0)) : -1;
		g_mutex_unlock(&e->lock);
		if (ni < 0)
			return NULL;
		run_node(e, (guint)ni);
	}
}

/* Whether the two plans of a run are the same plan, task for task. */
static bool plans_match(const struct plan *live, const struct plan *shown, GPtrArray *conns)
{
	if (live->nodes->len != shown->nodes->len || conns->len != shown->nodes->len)
		return false;
	for (guint i = 0; i < shown->nodes->len; i++) {
		const struct plan_node *l = g_ptr_array_index(live->nodes, i);
		const struct plan_node *s = g_ptr_array_index(shown->nodes, i);

		if (strcmp(l->name, s->name) || l->tasks->len != s->tasks->len)
			return false;
		for (guint t = 0; t < s->tasks->len; t++) {
			const struct plan_task *lt = g_ptr_array_index(l->tasks, t);
			const struct plan_task *st = g_ptr_array_index(s->tasks, t);

			if (strcmp(lt->id, st->id) || g_strcmp0(lt->playbook, st->playbook))
				return false;
		}
	}
	return true;
}

bool engine_run(const struct plan *live, const struct plan *shown, GPtrArray *conns,
		struct journal *journal, const struct engine_opts *opts,
		GPtrArray **results)
{
	struct engine e = {
		.live = live, .shown = shown, .journal = journal, .opts = opts,
	};
	guint n = shown->nodes->len, nworkers;
	GThread *tick = NULL;
	GThread **workers;

	*results = NULL;
	/* what runs is what is written down: a mismatch is labctl's own bug */
	g_return_val_if_fail(plans_match(live, shown, conns), false);
	g_mutex_init(&e.lock);
	g_cond_init(&e.changed);
	e.outcome = g_hash_table_new(g_str_hash, g_str_equal);
	e.results = g_ptr_array_new_with_free_func(node_result_free);
	e.start = g_get_monotonic_time();
	e.nodes = g_new0(struct node_run, MAX(n, 1));
	e.last = last_records(journal);
	for (guint i = 0; i < n; i++) {
		const struct plan_node *pn = g_ptr_array_index(shown->nodes, i);
		struct node_result *nr = g_new0(struct node_result, 1);

		nr->name = pn->name;
		nr->tasks = g_ptr_array_new_with_free_func(task_result_free);
		for (guint t = 0; t < pn->tasks->len; t++) {
			struct task_result *r = g_new0(struct task_result, 1);

			r->task = g_ptr_array_index(pn->tasks, t);
			r->status = -1;
			g_ptr_array_add(nr->tasks, r);
		}
		g_ptr_array_add(e.results, nr);
		e.nodes[i].live = g_ptr_array_index(live->nodes, i);
		e.nodes[i].shown = pn;
		e.nodes[i].ssh = g_ptr_array_index(conns, i);
		e.nodes[i].result = nr;
	}

	if (opts->tty && opts->out && opts->verbosity >= 0)
		tick = g_thread_new("progress", ticker, &e);
	e.queue = g_ptr_array_new();
	for (int pass = 0; pass < 2; pass++) {
		for (guint i = 0; i < n; i++) {
			const struct plan_node *pn = g_ptr_array_index(shown->nodes, i);

			if ((pn->spec->role.v == ROLE_DISK) == (pass == 0))
				g_ptr_array_add(e.queue, GINT_TO_POINTER((gint)i));
		}
	}
	nworkers = opts->jobs && opts->jobs < n ? opts->jobs : n;
	workers = g_new0(GThread *, MAX(nworkers, 1));
	for (guint w = 0; w < nworkers; w++)
		workers[w] = g_thread_new("node", worker, &e);
	for (guint w = 0; w < nworkers; w++)
		g_thread_join(workers[w]);
	g_free(workers);
	g_ptr_array_unref(e.queue);
	g_mutex_lock(&e.lock);
	e.finished = true;
	g_cond_broadcast(&e.changed);
	g_mutex_unlock(&e.lock);
	if (tick)
		g_thread_join(tick);
	g_free(e.nodes);

	g_hash_table_unref(e.outcome);
	g_hash_table_unref(e.last);
	g_mutex_clear(&e.lock);
	g_cond_clear(&e.changed);
	*results = e.results;
	return !e.failed;
}

bool engine_unreachable(GPtrArray *results)
{
	for (guint i = 0; results && i < results->len; i++) {
		struct node_result *nr = g_ptr_array_index(results, i);

		for (guint k = 0; k < nr->tasks->len; k++) {
			struct task_result *r = g_ptr_array_index(nr->tasks, k);

			if (r->unreachable)
				return true;
		}
	}
	return false;
}

bool engine_skipped_after_change(GPtrArray *results)
{
	bool changed = false, skipped = false;

	for (guint i = 0; i < results->len; i++) {
		const struct node_result *r = g_ptr_array_index(results, i);

		changed |= r->changed > 0;
		skipped |= r->proofs_skipped > 0;
	}
	return changed && skipped;
}

char *engine_summary(GPtrArray *results)
{
	GString *s = g_string_new(NULL);
	guint width = 4;

	for (guint i = 0; i < results->len; i++) {
		const struct node_result *r = g_ptr_array_index(results, i);

		width = MAX(width, (guint)strlen(r->name));
	}
	g_string_append_printf(s, "%-*s  %7s  %7s  %6s  %7s  %8s\n", (int)width, "node",
			       "changed", "ok", "failed", "not run", "time");
	for (guint i = 0; i < results->len; i++) {
		const struct node_result *r = g_ptr_array_index(results, i);

		g_string_append_printf(s, "%-*s  %7u  %7u  %6u  %7u  %6.1f s\n", (int)width,
				       r->name, r->changed, r->skipped, r->failed, r->not_run,
				       r->seconds);
	}
	return g_string_free(s, FALSE);
}
