/*
 * report.c - JUnit XML and JSON reports of a run
 *
 * The XML is written with GString and g_markup_escape_text: the format is
 * three levels of elements, and what matters is that any text the nodes
 * sent ends up well-formed.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "labctl/engine.h"
#include "labctl/report.h"

static const char *const outcome_names[] = {
	[TASK_NOT_RUN] = "not-run",
	[TASK_OK] = "ok",
	[TASK_CHANGED] = "changed",
	[TASK_FAILED] = "failed",
	[TASK_SKIPPED] = "skipped",
};

struct counts {
	guint tests, changed, ok, failed, not_run;
};

/* Counted from the tasks so that the totals always match the testcases. */
static void count_node(const struct node_result *nr, struct counts *c)
{
	for (guint i = 0; i < nr->tasks->len; i++) {
		const struct task_result *r = g_ptr_array_index(nr->tasks, i);

		c->tests++;
		switch (r->outcome) {
		case TASK_NOT_RUN:
		case TASK_SKIPPED:
			c->not_run++;
			break;
		case TASK_OK:
			c->ok++;
			break;
		case TASK_CHANGED:
			c->changed++;
			break;
		case TASK_FAILED:
			c->failed++;
			break;
		}
	}
}

/*
 * The JUnit counts add the cases of each conformance run that ran: a
 * failed case is a failure, one that skipped itself is skipped.
 */
static void count_junit(const struct node_result *nr, struct counts *c)
{
	count_node(nr, c);
	for (guint i = 0; i < nr->tasks->len; i++) {
		const struct task_result *r = g_ptr_array_index(nr->tasks, i);

		if (!r->conformance || r->outcome == TASK_NOT_RUN)
			continue;
		c->tests += r->conformance->cases->len;
		c->failed += r->conformance->failed;
		c->not_run += r->conformance->skipped + r->conformance->known;
	}
}

/* Whole milliseconds: what the clocks measure, without the binary noise. */
static double round_ms(double seconds)
{
	return seconds > 0 ? (double)(gint64)(seconds * 1000 + 0.5) / 1000 : 0;
}

/*
 * @s as text an XML 1.0 parser accepts: invalid UTF-8 and the characters
 * XML 1.0 has no place for (not even as references) become U+FFFD, then
 * markup is escaped.  In attributes, tab, newline and carriage return are
 * written as references, which a parser would otherwise turn into spaces;
 * in text only carriage return is, which it would drop before a newline.
 */
static void append_escaped(GString *x, const char *s, bool attr)
{
	g_autofree char *valid = g_utf8_make_valid(s, -1);
	g_autoptr(GString) clean = g_string_sized_new(strlen(valid));
	g_autofree char *escaped = NULL;

	for (const char *p = valid; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0xfffe || c == 0xffff)
			c = 0xfffd;
		g_string_append_unichar(clean, c);
	}
	escaped = g_markup_escape_text(clean->str, (gssize)clean->len);
	for (const char *p = escaped; *p; p++) {
		if (*p == '\r' || (attr && (*p == '\n' || *p == '\t')))
			g_string_append_printf(x, "&#%d;", *p);
		else
			g_string_append_c(x, *p);
	}
}

static void attr_str(GString *x, const char *name, const char *value)
{
	g_string_append_printf(x, " %s=\"", name);
	append_escaped(x, value, true);
	g_string_append_c(x, '"');
}

static void attr_uint(GString *x, const char *name, guint value)
{
	g_string_append_printf(x, " %s=\"%u\"", name, value);
}

/* "%.3f" in the C locale: main() sets the user's, which may say "1,5". */
static void attr_time(GString *x, const char *name, double seconds)
{
	char buf[G_ASCII_DTOSTR_BUF_SIZE];

	g_string_append_printf(x, " %s=\"%s\"", name,
			       g_ascii_formatd(buf, sizeof(buf), "%.3f", round_ms(seconds)));
}

/* When the run started, in the form the JUnit schema has: UTC, no zone. */
static char *start_stamp(double seconds)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_autoptr(GDateTime) start = g_date_time_add_seconds(now, -MAX(seconds, 0));

	return g_date_time_format(start, "%Y-%m-%dT%H:%M:%S");
}

static char *failure_type(const struct task_result *r)
{
	if (r->timed_out)
		return g_strdup("timeout");
	if (r->status > 0)
		return g_strdup_printf("exit status %d", r->status);
	/* it could not run, or ran but could not be journaled */
	return g_strdup("error");
}

static void append_failure(GString *x, const struct task_result *r)
{
	const char *error = r->error ? r->error : "failed";
	g_autofree char *message = g_strndup(error, strcspn(error, "\n"));
	g_autofree char *type = failure_type(r);

	g_string_append(x, "      <failure");
	attr_str(x, "message", message);
	attr_str(x, "type", type);
	g_string_append_c(x, '>');
	append_escaped(x, error, false);
	if (r->stderr_text && *r->stderr_text) {
		g_string_append(x, "\n\n--- stderr\n");
		append_escaped(x, r->stderr_text, false);
	}
	g_string_append(x, "</failure>\n");
}

static void property(GString *x, const char *name, const char *value)
{
	g_string_append(x, "        <property");
	attr_str(x, "name", name);
	attr_str(x, "value", value);
	g_string_append(x, "/>\n");
}

/* "%.3f" in the C locale, as the times */
static char *decimal(double v)
{
	char buf[G_ASCII_DTOSTR_BUF_SIZE];

	return g_strdup(g_ascii_formatd(buf, sizeof(buf), "%.3f", round_ms(v)));
}

static void fio_dir_properties(GString *x, guint job, const char *dir, const struct fio_dir *d)
{
	const struct { const char *what; double v; bool whole; } figures[] = {
		{ "iops", d->iops, false },
		{ "bw_kib", (double)d->bw_kib, true },
		{ "clat_p50_us", d->p50_us, false },
		{ "clat_p99_us", d->p99_us, false },
		{ "clat_p99.9_us", d->p999_us, false },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(figures); i++) {
		g_autofree char *name = g_strdup_printf("fio.job%u.%s.%s", job, dir, figures[i].what);
		g_autofree char *value = figures[i].whole ?
			g_strdup_printf("%" G_GUINT64_FORMAT, d->bw_kib) : decimal(figures[i].v);

		property(x, name, value);
	}
}

/*
 * A task's figures as the testcase's properties: per job its name and
 * errors, and per direction that had I/O its figures.
 */
static void append_metrics(GString *x, const struct fio_report *f)
{
	g_string_append(x, "      <properties>\n");
	for (guint i = 0; i < f->jobs->len; i++) {
		const struct fio_job *j = g_ptr_array_index(f->jobs, i);
		g_autofree char *name = g_strdup_printf("fio.job%u.name", i + 1);
		g_autofree char *errors = g_strdup_printf("fio.job%u.errors", i + 1);
		g_autofree char *count = g_strdup_printf("%" G_GUINT64_FORMAT, j->errors);

		property(x, name, j->name);
		property(x, errors, count);
		if (j->read.ios)
			fio_dir_properties(x, i + 1, "read", &j->read);
		if (j->write.ios)
			fio_dir_properties(x, i + 1, "write", &j->write);
	}
	g_string_append(x, "      </properties>\n");
}

/* A conformance run's counts, as the properties of its task's testcase. */
static void append_conformance_counts(GString *x, const struct task_result *r)
{
	const struct conformance_report *c = r->conformance;
	const struct { const char *name; guint v; } counts[] = {
		{ "tests", c->cases->len }, { "passed", c->passed },
		{ "failed", c->failed }, { "skipped", c->skipped },
		{ "known_failures", c->known },
	};

	g_string_append(x, "      <properties>\n");
	for (size_t i = 0; i < G_N_ELEMENTS(counts); i++) {
		g_autofree char *name = g_strdup_printf("%s.%s", r->task->metrics, counts[i].name);
		g_autofree char *value = g_strdup_printf("%u", counts[i].v);

		property(x, name, value);
	}
	g_string_append(x, "      </properties>\n");
}

/*
 * One testcase per case of a conformance run, after its task's: named
 * "ID SUITE SUITE.TEST" ("host:13 libiscsi Inquiry.Standard"), so that the
 * cases of two runs on one node never share a name.
 */
static void append_cases(GString *x, const char *classname, const struct task_result *r)
{
	for (guint i = 0; i < r->conformance->cases->len; i++) {
		const struct conformance_case *c = g_ptr_array_index(r->conformance->cases, i);
		g_autofree char *name = g_strdup_printf("%s %s %s", r->task->id, r->task->metrics,
							c->name);
		const char *text = c->message ? c->message : conformance_outcome_names[c->outcome];
		g_autofree char *first = g_strndup(text, strcspn(text, "\n"));

		g_string_append(x, "    <testcase");
		attr_str(x, "classname", classname);
		attr_str(x, "name", name);
		switch (c->outcome) {
		case CONFORMANCE_PASSED:
			g_string_append(x, "/>\n");
			break;
		case CONFORMANCE_SKIPPED:
			g_string_append(x, ">\n      <skipped");
			attr_str(x, "message", first);
			g_string_append(x, "/>\n    </testcase>\n");
			break;
		case CONFORMANCE_KNOWN_FAILURE: {
			g_autofree char *why = g_strdup_printf("known failure: %s", first);

			g_string_append(x, ">\n      <skipped");
			attr_str(x, "message", why);
			g_string_append(x, "/>\n    </testcase>\n");
			break;
		}
		case CONFORMANCE_FAILED:
			g_string_append(x, ">\n      <failure");
			attr_str(x, "message", first);
			attr_str(x, "type", "conformance");
			g_string_append_c(x, '>');
			append_escaped(x, text, false);
			g_string_append(x, "</failure>\n    </testcase>\n");
			break;
		}
	}
}

static void append_testcase(GString *x, const char *classname, const struct task_result *r)
{
	g_autofree char *name = g_strdup_printf("%s %s", r->task->id, r->task->name);

	g_string_append(x, "    <testcase");
	attr_str(x, "classname", classname);
	attr_str(x, "name", name);
	attr_time(x, "time", r->seconds);
	if ((r->fio || r->conformance) && r->outcome != TASK_NOT_RUN) {
		g_string_append(x, ">\n");
		if (r->fio)
			append_metrics(x, r->fio);
		else
			append_conformance_counts(x, r);
		if (r->outcome == TASK_FAILED)
			append_failure(x, r);
		g_string_append(x, "    </testcase>\n");
		if (r->conformance)
			append_cases(x, classname, r);
		return;
	}
	switch (r->outcome) {
	case TASK_FAILED:
		g_string_append(x, ">\n");
		append_failure(x, r);
		g_string_append(x, "    </testcase>\n");
		break;
	case TASK_NOT_RUN:
	case TASK_SKIPPED:
		g_string_append(x, ">\n      <skipped");
		attr_str(x, "message", r->error ? r->error : "not run");
		g_string_append(x, "/>\n    </testcase>\n");
		break;
	case TASK_OK:
	case TASK_CHANGED:
		g_string_append(x, "/>\n");
		break;
	}
}

static void append_testsuite(GString *x, const char *lab, const char *verb,
			     const struct node_result *nr, const char *stamp)
{
	g_autofree char *classname = g_strdup_printf("labctl.%s.%s", lab, nr->name);
	struct counts c = { 0 };

	count_junit(nr, &c);
	g_string_append(x, "  <testsuite");
	attr_str(x, "name", nr->name);
	attr_uint(x, "tests", c.tests);
	attr_uint(x, "failures", c.failed);
	attr_uint(x, "errors", 0);
	attr_uint(x, "skipped", c.not_run);
	attr_time(x, "time", nr->seconds);
	attr_str(x, "timestamp", stamp);
	attr_str(x, "hostname", nr->name);
	g_string_append(x, ">\n    <properties>\n      <property name=\"lab\"");
	attr_str(x, "value", lab);
	g_string_append(x, "/>\n      <property name=\"verb\"");
	attr_str(x, "value", verb);
	g_string_append(x, "/>\n    </properties>\n");
	for (guint i = 0; i < nr->tasks->len; i++)
		append_testcase(x, classname, g_ptr_array_index(nr->tasks, i));
	g_string_append(x, "  </testsuite>\n");
}

char *report_junit(const char *lab, const char *verb, GPtrArray *results, double seconds)
{
	GString *x = g_string_new("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	g_autofree char *stamp = start_stamp(seconds);
	g_autofree char *title = g_strdup_printf("labctl %s", lab);
	struct counts total = { 0 };

	for (guint i = 0; i < results->len; i++)
		count_junit(g_ptr_array_index(results, i), &total);
	g_string_append(x, "<testsuites");
	attr_str(x, "name", title);
	attr_uint(x, "tests", total.tests);
	attr_uint(x, "failures", total.failed);
	attr_uint(x, "errors", 0);
	attr_uint(x, "skipped", total.not_run);
	attr_time(x, "time", seconds);
	g_string_append(x, ">\n");
	for (guint i = 0; i < results->len; i++)
		append_testsuite(x, lab, verb, g_ptr_array_index(results, i), stamp);
	g_string_append(x, "</testsuites>\n");
	return g_string_free(x, FALSE);
}

static bool fail_write(GError **error, const char *file, int saved)
{
	g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved), "cannot write '%s': %s",
		    file, g_strerror(saved));
	return false;
}

bool report_write_junit(const char *file, const char *lab, const char *verb,
			GPtrArray *results, double seconds, GError **error)
{
	g_autofree char *xml = report_junit(lab, verb, results, seconds);
	g_autofree char *tmp = g_strdup_printf("%s.XXXXXX", file);
	size_t len = strlen(xml);
	size_t done = 0;
	int saved;
	int fd;

	/* the same directory, so that rename() replaces the file in one step */
	fd = g_mkstemp_full(tmp, O_WRONLY | O_CLOEXEC, 0644);
	if (fd < 0)
		return fail_write(error, file, errno);
	/* mkstemp's mode went through the umask; CI readers need 0644 */
	if (fchmod(fd, 0644) < 0)
		goto fail;
	while (done < len) {
		ssize_t n = write(fd, xml + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		done += (size_t)n;
	}
	if (fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, file) < 0)
		goto fail;
	return true;

fail:
	saved = errno;
	if (fd >= 0)
		close(fd);
	g_unlink(tmp);
	return fail_write(error, file, saved);
}

/* Strings from the nodes may be any bytes; JSON text must be UTF-8. */
static void add_str(JsonBuilder *jb, const char *key, const char *v)
{
	json_builder_set_member_name(jb, key);
	if (v) {
		g_autofree char *valid = g_utf8_make_valid(v, -1);

		json_builder_add_string_value(jb, valid);
	} else {
		json_builder_add_null_value(jb);
	}
}

static void add_int(JsonBuilder *jb, const char *key, gint64 v)
{
	json_builder_set_member_name(jb, key);
	json_builder_add_int_value(jb, v);
}

static void add_seconds(JsonBuilder *jb, const char *key, double seconds)
{
	json_builder_set_member_name(jb, key);
	json_builder_add_double_value(jb, round_ms(seconds));
}

static void add_double(JsonBuilder *jb, const char *key, double v)
{
	json_builder_set_member_name(jb, key);
	json_builder_add_double_value(jb, round_ms(v));
}

static void add_fio_dir(JsonBuilder *jb, const char *key, const struct fio_dir *d)
{
	json_builder_set_member_name(jb, key);
	json_builder_begin_object(jb);
	add_int(jb, "ios", (gint64)d->ios);
	add_double(jb, "iops", d->iops);
	add_int(jb, "bw_kib", (gint64)d->bw_kib);
	add_double(jb, "clat_p50_us", d->p50_us);
	add_double(jb, "clat_p99_us", d->p99_us);
	add_double(jb, "clat_p99_9_us", d->p999_us);
	json_builder_end_object(jb);
}

static void add_conformance(JsonBuilder *jb, const struct task_result *r)
{
	const struct conformance_report *c = r->conformance;

	json_builder_begin_object(jb);
	add_str(jb, "kind", r->task->metrics);
	add_int(jb, "tests", c->cases->len);
	add_int(jb, "passed", c->passed);
	add_int(jb, "failed", c->failed);
	add_int(jb, "skipped", c->skipped);
	add_int(jb, "known_failures", c->known);
	json_builder_set_member_name(jb, "known_passed");
	json_builder_begin_array(jb);
	for (guint i = 0; i < c->known_passed->len; i++)
		json_builder_add_string_value(jb, g_ptr_array_index(c->known_passed, i));
	json_builder_end_array(jb);
	json_builder_set_member_name(jb, "cases");
	json_builder_begin_array(jb);
	for (guint i = 0; i < c->cases->len; i++) {
		const struct conformance_case *k = g_ptr_array_index(c->cases, i);

		json_builder_begin_object(jb);
		add_str(jb, "name", k->name);
		add_str(jb, "outcome", conformance_outcome_names[k->outcome]);
		add_str(jb, "message", k->message);
		json_builder_end_object(jb);
	}
	json_builder_end_array(jb);
	json_builder_end_object(jb);
}

/* "metrics": only on a task that has them; null when it printed none that could be read */
static void add_metrics(JsonBuilder *jb, const struct task_result *r)
{
	const struct fio_report *f = r->fio;

	if (!r->task->metrics)
		return;
	json_builder_set_member_name(jb, "metrics");
	if (r->conformance) {
		add_conformance(jb, r);
		return;
	}
	if (!f) {
		json_builder_add_null_value(jb);
		return;
	}
	json_builder_begin_object(jb);
	add_str(jb, "kind", r->task->metrics);
	add_str(jb, "version", f->version);
	json_builder_set_member_name(jb, "jobs");
	json_builder_begin_array(jb);
	for (guint i = 0; i < f->jobs->len; i++) {
		const struct fio_job *j = g_ptr_array_index(f->jobs, i);

		json_builder_begin_object(jb);
		add_str(jb, "name", j->name);
		add_int(jb, "error", j->error);
		add_int(jb, "errors", (gint64)j->errors);
		add_fio_dir(jb, "read", &j->read);
		add_fio_dir(jb, "write", &j->write);
		json_builder_end_object(jb);
	}
	json_builder_end_array(jb);
	json_builder_end_object(jb);
}

static void add_task(JsonBuilder *jb, const struct task_result *r)
{
	json_builder_begin_object(jb);
	add_str(jb, "id", r->task->id);
	add_str(jb, "name", r->task->name);
	add_str(jb, "playbook", r->task->playbook);
	add_str(jb, "outcome", outcome_names[r->outcome]);
	json_builder_set_member_name(jb, "status");
	if (r->status >= 0)
		json_builder_add_int_value(jb, r->status);
	else
		json_builder_add_null_value(jb);
	json_builder_set_member_name(jb, "timed_out");
	json_builder_add_boolean_value(jb, r->timed_out);
	add_seconds(jb, "seconds", r->seconds);
	add_str(jb, "error", r->error);
	add_str(jb, "stderr", r->stderr_text);
	add_metrics(jb, r);
	json_builder_end_object(jb);
}

JsonNode *report_json(const char *lab, const char *verb, GPtrArray *results, bool ok,
		      double seconds)
{
	g_autoptr(JsonBuilder) jb = json_builder_new();

	json_builder_begin_object(jb);
	add_str(jb, "format", "labctl-run/1");
	add_str(jb, "lab", lab);
	add_str(jb, "verb", verb);
	json_builder_set_member_name(jb, "ok");
	json_builder_add_boolean_value(jb, ok);
	add_seconds(jb, "seconds", seconds);
	json_builder_set_member_name(jb, "nodes");
	json_builder_begin_array(jb);
	for (guint i = 0; i < results->len; i++) {
		const struct node_result *nr = g_ptr_array_index(results, i);
		struct counts c = { 0 };

		count_node(nr, &c);
		json_builder_begin_object(jb);
		add_str(jb, "name", nr->name);
		add_int(jb, "changed", c.changed);
		add_int(jb, "ok", c.ok);
		add_int(jb, "failed", c.failed);
		add_int(jb, "not_run", c.not_run);
		add_seconds(jb, "seconds", nr->seconds);
		json_builder_set_member_name(jb, "tasks");
		json_builder_begin_array(jb);
		for (guint j = 0; j < nr->tasks->len; j++)
			add_task(jb, g_ptr_array_index(nr->tasks, j));
		json_builder_end_array(jb);
		json_builder_end_object(jb);
	}
	json_builder_end_array(jb);
	json_builder_end_object(jb);
	return json_builder_get_root(jb);
}

/* ---- the figures, for people ---- */

static void table_dir(GString *s, const struct fio_job *j, guint i, const char *dir,
		      const struct fio_dir *d)
{
	g_autofree char *job = g_strdup_printf("%s #%u", j->name, i + 1);

	g_string_append_printf(s, "  %-14s %-5s %10.0f %10" G_GUINT64_FORMAT " %9.1f %9.1f %9.1f %6" G_GUINT64_FORMAT "\n",
			       job, dir, d->iops, d->bw_kib, d->p50_us, d->p99_us, d->p999_us,
			       j->errors);
}

/*
 * A conformance run: its counts, then a line per failed case with the
 * first line of its reason.
 */
static void table_conformance(GString *s, const struct node_result *nr,
			      const struct task_result *r)
{
	const struct conformance_report *c = r->conformance;

	g_string_append_printf(s, "\n%s %s: %s\n", nr->name, r->task->id, r->task->name);
	g_string_append_printf(s, "  %s: %u tests, %u passed, %u skipped, %u known failures, %u failed\n",
			       r->task->metrics, c->cases->len, c->passed, c->skipped, c->known,
			       c->failed);
	for (guint i = 0; i < c->cases->len; i++) {
		const struct conformance_case *k = g_ptr_array_index(c->cases, i);
		const char *why = k->message ? k->message : "";

		if (k->outcome == CONFORMANCE_FAILED)
			g_string_append_printf(s, "  FAILED %s: %.*s\n", k->name,
					       (int)strcspn(why, "\n"), why);
	}
	for (guint i = 0; i < c->known_passed->len; i++)
		g_string_append_printf(s, "  passed, though listed as a known failure: %s\n",
				       (const char *)g_ptr_array_index(c->known_passed, i));
}

char *report_metrics_table(GPtrArray *results)
{
	g_autoptr(GString) s = g_string_new(NULL);

	for (guint i = 0; i < results->len; i++) {
		const struct node_result *nr = g_ptr_array_index(results, i);

		for (guint t = 0; t < nr->tasks->len; t++) {
			const struct task_result *r = g_ptr_array_index(nr->tasks, t);
			const struct fio_report *f = r->fio;

			if (r->conformance) {
				table_conformance(s, nr, r);
				continue;
			}
			if (!f)
				continue;
			g_string_append_printf(s, "\n%s %s: %s\n", nr->name, r->task->id, r->task->name);
			g_string_append_printf(s, "  %-14s %-5s %10s %10s %9s %9s %9s %6s\n", "fio job", "rw",
					       "IOPS", "KiB/s", "p50 us", "p99 us", "p99.9 us", "errors");
			for (guint k = 0; k < f->jobs->len; k++) {
				const struct fio_job *j = g_ptr_array_index(f->jobs, k);

				if (j->read.ios || !j->write.ios)
					table_dir(s, j, k, "read", &j->read);
				if (j->write.ios)
					table_dir(s, j, k, "write", &j->write);
			}
		}
	}
	return s->len ? g_string_free(g_steal_pointer(&s), FALSE) : NULL;
}

/* ---- stand-ins and the test's report ---- */

void report_stand_in_init(struct report_stand_in *s, const char *node, const char *verb,
			  int status)
{
	memset(s, 0, sizeof(*s));
	s->why = g_strdup_printf("labctl %s failed before any task ran (exit status %d): see its messages",
				 verb, status);
	s->task.id = (char *)verb;
	s->task.name = (char *)verb;
	s->task.playbook = (char *)"labctl";
	s->result.task = &s->task;
	s->result.outcome = TASK_FAILED;
	s->result.status = -1;
	s->result.error = s->why;
	s->node.name = node;
	s->node.failed = 1;
	s->node.tasks = g_ptr_array_new();
	g_ptr_array_add(s->node.tasks, &s->result);
	s->results = g_ptr_array_new();
	g_ptr_array_add(s->results, &s->node);
}

void report_stand_in_clear(struct report_stand_in *s)
{
	g_ptr_array_unref(s->node.tasks);
	g_ptr_array_unref(s->results);
	g_free(s->why);
}

bool report_write_test_junit(const char *file, const char *lab, GPtrArray *up, int up_status,
			     GPtrArray *check, int check_status, bool down_ran,
			     guint down_failed, double seconds, GError **error)
{
	struct report_stand_in up_failure, check_failure;
	g_autoptr(GPtrArray) all = g_ptr_array_new();
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) saved = g_ptr_array_new();
	struct plan_task down_task = { .id = (char *)"down", .name = (char *)"take the lab apart",
				       .playbook = (char *)"labctl" };
	struct task_result down_r = { .task = &down_task, .status = -1 };
	struct node_result down_n = { .name = "labctl down" };
	g_autoptr(GPtrArray) down_tasks = g_ptr_array_new();
	bool ok;

	report_stand_in_init(&up_failure, "up", "up", up_status);
	report_stand_in_init(&check_failure, "check", "check", check_status);
	if (!up && up_status != 0)
		g_ptr_array_add(all, &up_failure.node);
	if (!check && check_status != 0)
		g_ptr_array_add(all, &check_failure.node);
	for (guint i = 0; up && i < up->len; i++)
		g_ptr_array_add(all, g_ptr_array_index(up, i));
	for (guint i = 0; check && i < check->len; i++) {
		struct node_result *nr = g_ptr_array_index(check, i);
		char *name = g_strdup_printf("%s (check)", nr->name);

		g_ptr_array_add(saved, (gpointer)nr->name);
		nr->name = name;
		g_ptr_array_add(names, name);
		g_ptr_array_add(all, nr);
	}
	if (down_ran) {
		down_r.outcome = down_failed ? TASK_FAILED : TASK_OK;
		down_r.error = down_failed ? g_strdup_printf("%u undo%s failed; see the output", down_failed,
							     down_failed == 1 ? "" : "s") : NULL;
		down_n.failed = down_failed ? 1 : 0;
		down_n.skipped = down_failed ? 0 : 1;
		g_ptr_array_add(down_tasks, &down_r);
		down_n.tasks = down_tasks;
		g_ptr_array_add(all, &down_n);
	}
	ok = report_write_junit(file, lab, "test", all, seconds, error);
	/* the check results are the run's again */
	for (guint i = 0; i < saved->len; i++)
		((struct node_result *)g_ptr_array_index(check, i))->name = g_ptr_array_index(saved, i);
	g_free(down_r.error);
	report_stand_in_clear(&up_failure);
	report_stand_in_clear(&check_failure);
	return ok;
}
