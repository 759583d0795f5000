/*
 * test_report.c - JUnit XML and JSON reports of hand-made results
 *
 * Two nodes with tasks of every outcome, one timed out, one whose stderr
 * holds markup, quotes, a control character and UTF-8.  The JUnit report
 * is read back with GMarkup and validated with xmllint against
 * tests/data/junit/junit.xsd (found through $LABCTL_SRCDIR, which "make
 * unit" sets to the top of the tree); without xmllint these tests fail.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <glib/gstdio.h>

#include "labctl/engine.h"
#include "labctl/report.h"

#define FFFD "\xef\xbf\xbd"

/* Put in every plan field a report must not show: none may leak. */
#define NOT_SHOWN "NOT-SHOWN"

struct node_case {
	const char *name;
	double seconds;
	const char *time;               /* in the JUnit report */
};

struct task_case {
	guint node;
	const char *id, *playbook, *name;
	enum task_outcome outcome;
	int status;
	bool timed_out;
	double seconds;
	const char *error, *stderr_text;
	/* what the reports say */
	const char *time;               /* JUnit */
	double json_seconds;
	const char *outcome_name;       /* JSON */
	const char *failure_type;       /* JUnit, failed tasks */
	const char *failure_message;
	const char *stderr_read;        /* stderr as an XML parser reads it; NULL: as is */
};

static const struct node_case nodes[] = {
	{ "iscsi-disks", 20.5, "20.500" },
	{ "iscsi-host", 31.25, "31.250" },
};

#define LAB "seed"
#define RUN_SECONDS 31.7996

static const struct task_case tasks[] = {
	{ 0, "iscsi-disks:1", "backing", "create /var/lib/iscsi-disks/lun1.img",
	  TASK_CHANGED, 0, false, 1.2344, NULL, NULL,
	  "1.234", 1.234, "changed", NULL, NULL, NULL },
	{ 0, "iscsi-disks:2", "target-tgt", "install tgt",
	  TASK_OK, -1, false, 0.25, NULL, NULL,
	  "0.250", 0.25, "ok", NULL, NULL, NULL },
	{ 0, "iscsi-disks:3", "target-tgt", "configure target iqn.2016-06.com.iscsi-disks:iscsi-disks",
	  TASK_FAILED, 22, false, 3.5,
	  "exit status 22\n  command: tgtadm --lld iscsi --op new --mode target\n"
	  "  stderr:\n    tgtadm: <bad> & \"quoted\"",
	  "tgtadm: <bad> & \"quoted\" 'single'\n\x01 control, UTF-8: caf\xc3\xa9 \xe2\x9c\x93\n",
	  "3.500", 3.5, "failed", "exit status 22", "exit status 22",
	  "tgtadm: <bad> & \"quoted\" 'single'\n" FFFD " control, UTF-8: caf\xc3\xa9 \xe2\x9c\x93\n" },
	{ 0, "iscsi-disks:4", "firewall", "open port 3260",
	  TASK_NOT_RUN, -1, false, 0, "not run: labctl stopped before it", NULL,
	  "0.000", 0, "not-run", NULL, NULL, NULL },
	{ 1, "iscsi-host:1", "initiator-open-iscsi", "install open-iscsi",
	  TASK_CHANGED, 0, false, 2, NULL, NULL,
	  "2.000", 2, "changed", NULL, NULL, NULL },
	{ 1, "iscsi-host:2", "initiator-open-iscsi", "discover targets at 10.0.0.1:3260",
	  TASK_FAILED, -1, true, 60.0127, "timed out after 60 s and was killed",
	  "iscsiadm: connect to 10.0.0.1:3260 failed (No route to host)\n",
	  "60.013", 60.013, "failed", "timeout", "timed out after 60 s and was killed", NULL },
	{ 1, "iscsi-host:3", "mount-test", "mount the LUN and write a file",
	  TASK_NOT_RUN, -1, false, 0, "not run: 'iscsi-host:2' failed", NULL,
	  "0.000", 0, "not-run", NULL, NULL, NULL },
	{ 1, "iscsi-host:4", "mount-test", "verify /mnt reads back a fresh file after a remount",
	  TASK_SKIPPED, -1, false, 0,
	  "skipped: nothing changed since the lab was last proven; 'labctl check' runs it", NULL,
	  "0.000", 0, "skipped", NULL, NULL, NULL },
};

/* The plan tasks the results point to, as the shown plan owns them. */
static void plan_task_free(gpointer p)
{
	struct plan_task *t = p;

	g_free(t->id);
	g_free(t->playbook);
	g_free(t->name);
	g_free(t->check);
	g_free(t->run);
	g_free(t->input);
	g_free(t->undo);
	g_free(t);
}

static void task_result_free(gpointer p)
{
	struct task_result *r = p;

	g_free(r->output);
	g_free(r->error);
	g_free(r->stderr_text);
	g_free(r);
}

static void node_result_free(gpointer p)
{
	struct node_result *nr = p;

	g_ptr_array_unref(nr->tasks);
	g_free(nr);
}

struct fixture {
	GPtrArray *plan_tasks;          /* struct plan_task * */
	GPtrArray *results;             /* struct node_result * */
};

static void fixture_build(struct fixture *f, const struct node_case *nc, guint n_nodes,
			  const struct task_case *tc, guint n_tasks)
{
	f->plan_tasks = g_ptr_array_new_with_free_func(plan_task_free);
	f->results = g_ptr_array_new_with_free_func(node_result_free);
	for (guint i = 0; i < n_nodes; i++) {
		struct node_result *nr = g_new0(struct node_result, 1);

		nr->name = nc[i].name;
		nr->seconds = nc[i].seconds;
		nr->tasks = g_ptr_array_new_with_free_func(task_result_free);
		g_ptr_array_add(f->results, nr);
	}
	for (guint i = 0; i < n_tasks; i++) {
		struct plan_task *t = g_new0(struct plan_task, 1);
		struct task_result *r = g_new0(struct task_result, 1);
		struct node_result *nr = g_ptr_array_index(f->results, tc[i].node);

		t->id = g_strdup(tc[i].id);
		t->playbook = g_strdup(tc[i].playbook);
		t->name = g_strdup(tc[i].name);
		t->check = g_strdup(NOT_SHOWN " check");
		t->run = g_strdup(NOT_SHOWN " run");
		t->input = g_strdup(NOT_SHOWN " stdin");
		t->undo = g_strdup(NOT_SHOWN " undo");
		t->timeout = 60;
		g_ptr_array_add(f->plan_tasks, t);
		r->task = t;
		r->outcome = tc[i].outcome;
		r->status = tc[i].status;
		r->timed_out = tc[i].timed_out;
		r->seconds = tc[i].seconds;
		r->error = g_strdup(tc[i].error);
		r->stderr_text = g_strdup(tc[i].stderr_text);
		if (tc[i].outcome == TASK_OK)
			r->output = g_strdup(NOT_SHOWN " output");
		g_ptr_array_add(nr->tasks, r);
		switch (r->outcome) {
		case TASK_NOT_RUN: nr->not_run++; break;
		case TASK_OK: nr->skipped++; break;
		case TASK_CHANGED: nr->changed++; break;
		case TASK_FAILED: nr->failed++; break;
		case TASK_SKIPPED: nr->not_run++; nr->proofs_skipped++; break;
		}
	}
}

static void fixture_clear(struct fixture *f)
{
	g_ptr_array_unref(f->results);
	g_ptr_array_unref(f->plan_tasks);
}

static int setup(void **state)
{
	struct fixture *f = g_new0(struct fixture, 1);

	fixture_build(f, nodes, G_N_ELEMENTS(nodes), tasks, G_N_ELEMENTS(tasks));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture_clear(*state);
	g_free(*state);
	return 0;
}

/* ---- reading the XML back: a tree from GMarkup ---- */

struct xml_elem {
	char *name;
	GHashTable *attrs;
	GString *text;
	GPtrArray *children;
	struct xml_elem *parent;
};

static void xml_free(gpointer p)
{
	struct xml_elem *e = p;

	if (!e)
		return;
	g_free(e->name);
	g_hash_table_unref(e->attrs);
	g_string_free(e->text, TRUE);
	g_ptr_array_unref(e->children);
	g_free(e);
}

struct xml_reader {
	struct xml_elem *root, *cur;
};

static void on_start(GMarkupParseContext *ctx, const char *name, const char **names,
		     const char **values, gpointer data, GError **error)
{
	struct xml_reader *rd = data;
	struct xml_elem *e = g_new0(struct xml_elem, 1);

	(void)ctx;
	(void)error;
	e->name = g_strdup(name);
	e->attrs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	for (guint i = 0; names[i]; i++)
		g_hash_table_insert(e->attrs, g_strdup(names[i]), g_strdup(values[i]));
	e->text = g_string_new(NULL);
	e->children = g_ptr_array_new_with_free_func(xml_free);
	e->parent = rd->cur;
	if (rd->cur)
		g_ptr_array_add(rd->cur->children, e);
	else
		rd->root = e;
	rd->cur = e;
}

static void on_end(GMarkupParseContext *ctx, const char *name, gpointer data, GError **error)
{
	struct xml_reader *rd = data;

	(void)ctx;
	(void)name;
	(void)error;
	rd->cur = rd->cur->parent;
}

static void on_text(GMarkupParseContext *ctx, const char *text, gsize len, gpointer data,
		    GError **error)
{
	struct xml_reader *rd = data;

	(void)ctx;
	(void)error;
	if (rd->cur)
		g_string_append_len(rd->cur->text, text, (gssize)len);
}

static struct xml_elem *xml_read(const char *xml)
{
	static const GMarkupParser parser = { on_start, on_end, on_text, NULL, NULL };
	struct xml_reader rd = { 0 };
	g_autoptr(GError) error = NULL;
	GMarkupParseContext *ctx = g_markup_parse_context_new(&parser, 0, &rd, NULL);
	bool ok = g_markup_parse_context_parse(ctx, xml, -1, &error) &&
		  g_markup_parse_context_end_parse(ctx, &error);

	g_markup_parse_context_free(ctx);
	if (!ok) {
		xml_free(rd.root);
		fail_msg("the report does not parse: %s\n%s", error->message, xml);
	}
	assert_non_null(rd.root);
	return rd.root;
}

static const char *xml_attr(const struct xml_elem *e, const char *name)
{
	const char *v = g_hash_table_lookup(e->attrs, name);

	if (!v)
		fail_msg("<%s> has no attribute '%s'", e->name, name);
	return v;
}

/* The children named @name (all with NULL). */
static GPtrArray *xml_children(const struct xml_elem *e, const char *name)
{
	GPtrArray *a = g_ptr_array_new();

	for (guint i = 0; i < e->children->len; i++) {
		struct xml_elem *c = g_ptr_array_index(e->children, i);

		if (!name || !strcmp(c->name, name))
			g_ptr_array_add(a, c);
	}
	return a;
}

/* ---- xmllint ---- */

static char *srcdir_file(const char *rel)
{
	const char *top = getenv("LABCTL_SRCDIR");

	return g_build_filename(top ? top : ".", rel, NULL);
}

/* Whether xmllint finds @xml valid against junit.xsd; its complaint in @why. */
static bool xmllint_valid(const char *xml, char **why)
{
	g_autofree char *xsd = srcdir_file("tests/data/junit/junit.xsd");
	g_autofree char *xmllint = g_find_program_in_path("xmllint");
	g_autofree char *file = NULL;
	g_autofree char *out = NULL;
	g_autoptr(GError) error = NULL;
	int fd, status;

	if (!xmllint)
		fail_msg("xmllint is missing: install libxml2-utils (scripts/install-deps does)");
	if (!g_file_test(xsd, G_FILE_TEST_IS_REGULAR))
		fail_msg("no schema '%s' (is LABCTL_SRCDIR the top of the tree?)", xsd);
	fd = g_file_open_tmp("test_report-XXXXXX.xml", &file, &error);
	assert_true(fd >= 0);
	close(fd);
	assert_true(g_file_set_contents(file, xml, -1, &error));

	const char *argv[] = { xmllint, "--noout", "--schema", xsd, file, NULL };

	if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
			  NULL, why, &status, &error))
		fail_msg("cannot run xmllint: %s", error->message);
	g_unlink(file);
	return g_spawn_check_wait_status(status, NULL);
}

static void assert_valid(const char *xml)
{
	g_autofree char *why = NULL;

	if (!xmllint_valid(xml, &why))
		fail_msg("xmllint rejects the report:\n%s\n%s", why, xml);
}

/* ---- the schema: it must accept the format and refuse what CI refuses ---- */

#define HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
#define SUITE(body) HEAD "<testsuites name=\"labctl x\" tests=\"1\" failures=\"0\" time=\"1.5\">" \
	"<testsuite name=\"n\" tests=\"1\" failures=\"0\" errors=\"0\" skipped=\"0\" time=\"1.5\" " \
	"timestamp=\"2024-05-01T12:00:00\" hostname=\"n\">" body "</testsuite></testsuites>\n"

static const struct schema_case {
	const char *what;
	const char *xml;
	bool valid;
} schema_cases[] = {
	{ "a passing test", SUITE("<testcase classname=\"a.b\" name=\"t\" time=\"0.5\"/>"), true },
	{ "failure, output", SUITE("<testcase classname=\"a\" name=\"t\"><failure message=\"m\" "
				   "type=\"exit status 1\">text</failure><system-out>o</system-out>"
				   "<system-err>e</system-err></testcase>"), true },
	{ "error", SUITE("<testcase classname=\"a\" name=\"t\"><error message=\"m\"/></testcase>"), true },
	{ "skipped", SUITE("<testcase classname=\"a\" name=\"t\"><skipped message=\"m\"/></testcase>"), true },
	/* a testcase's properties (pytest, the JUnit plugin), before its result */
	{ "properties", SUITE("<testcase classname=\"a\" name=\"t\"><properties><property "
			      "name=\"fio.job1.read.iops\" value=\"1.5\"/></properties>"
			      "<failure message=\"m\"/></testcase>"), true },
	{ "properties after the result", SUITE("<testcase classname=\"a\" name=\"t\"><failure "
					       "message=\"m\"/><properties/></testcase>"), false },
	{ "no suites", HEAD "<testsuites/>\n", true },
	{ "a decimal comma", SUITE("<testcase classname=\"a\" name=\"t\" time=\"0,5\"/>"), false },
	{ "a negative time", SUITE("<testcase classname=\"a\" name=\"t\" time=\"-1\"/>"), false },
	{ "no classname", SUITE("<testcase name=\"t\"/>"), false },
	{ "no name", SUITE("<testcase classname=\"a\"/>"), false },
	{ "failed and skipped", SUITE("<testcase classname=\"a\" name=\"t\"><failure/><skipped/>"
				      "</testcase>"), false },
	{ "an unknown element", SUITE("<testcase classname=\"a\" name=\"t\"><flaky/></testcase>"), false },
	{ "a negative count", HEAD "<testsuites><testsuite name=\"n\" tests=\"-1\"/></testsuites>\n", false },
	{ "a suite without tests", HEAD "<testsuites><testsuite name=\"n\"/></testsuites>\n", false },
	{ "a timestamp with a space", HEAD "<testsuites><testsuite name=\"n\" tests=\"0\" "
	  "timestamp=\"2024-05-01 12:00:00\"/></testsuites>\n", false },
	{ "a suite as root", HEAD "<testsuite name=\"n\" tests=\"0\"/>\n", false },
};

static void test_schema(void **state)
{
	(void)state;
	for (guint i = 0; i < G_N_ELEMENTS(schema_cases); i++) {
		const struct schema_case *c = &schema_cases[i];
		g_autofree char *why = NULL;

		if (xmllint_valid(c->xml, &why) != c->valid)
			fail_msg("junit.xsd %s %s:\n%s", c->valid ? "rejects" : "accepts", c->what, why);
	}
}

/* ---- JUnit ---- */

static void test_junit_validates(void **state)
{
	struct fixture *f = *state;
	g_autofree char *xml = report_junit(LAB, "up", f->results, RUN_SECONDS);

	assert_true(g_str_has_prefix(xml, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"));
	assert_true(g_utf8_validate(xml, -1, NULL));
	assert_valid(xml);
	/* nothing from the plan but id, name and playbook; not the output */
	assert_null(strstr(xml, NOT_SHOWN));
}

static void assert_stamp(const char *stamp)
{
	g_autofree char *utc = g_strconcat(stamp, "Z", NULL);
	g_autoptr(GDateTime) t = NULL;
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	GTimeSpan ago;

	assert_true(g_regex_match_simple("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}$",
					 stamp, 0, 0));
	t = g_date_time_new_from_iso8601(utc, NULL);
	assert_non_null(t);
	/* when the run started */
	ago = g_date_time_difference(now, t) / G_TIME_SPAN_SECOND;
	assert_true(ago >= (GTimeSpan)RUN_SECONDS - 2 && ago <= (GTimeSpan)RUN_SECONDS + 2);
}

static void test_junit_suites(void **state)
{
	struct fixture *f = *state;
	g_autofree char *xml = report_junit(LAB, "check", f->results, RUN_SECONDS);
	struct xml_elem *root = xml_read(xml);
	g_autoptr(GPtrArray) suites = xml_children(root, NULL);
	guint all = 0, failed = 0, not_run = 0;

	assert_string_equal(root->name, "testsuites");
	assert_string_equal(xml_attr(root, "name"), "labctl " LAB);
	assert_string_equal(xml_attr(root, "time"), "31.800");
	assert_int_equal(suites->len, G_N_ELEMENTS(nodes));
	for (guint n = 0; n < G_N_ELEMENTS(nodes); n++) {
		struct xml_elem *s = g_ptr_array_index(suites, n);
		g_autoptr(GPtrArray) props = xml_children(s, "properties");
		g_autoptr(GPtrArray) cases = xml_children(s, "testcase");
		guint want_tests = 0, want_failed = 0, want_not_run = 0;

		for (guint t = 0; t < G_N_ELEMENTS(tasks); t++) {
			if (tasks[t].node != n)
				continue;
			want_tests++;
			want_failed += tasks[t].outcome == TASK_FAILED;
			want_not_run += tasks[t].outcome == TASK_NOT_RUN ||
					tasks[t].outcome == TASK_SKIPPED;
		}
		assert_string_equal(s->name, "testsuite");
		assert_string_equal(xml_attr(s, "name"), nodes[n].name);
		assert_string_equal(xml_attr(s, "hostname"), nodes[n].name);
		assert_int_equal(atoi(xml_attr(s, "tests")), want_tests);
		assert_int_equal(cases->len, want_tests);
		assert_int_equal(atoi(xml_attr(s, "failures")), want_failed);
		assert_int_equal(atoi(xml_attr(s, "errors")), 0);
		assert_int_equal(atoi(xml_attr(s, "skipped")), want_not_run);
		assert_string_equal(xml_attr(s, "time"), nodes[n].time);
		assert_stamp(xml_attr(s, "timestamp"));

		/* the verb is a property: the suite name stays the node's */
		assert_int_equal(props->len, 1);
		assert_ptr_equal(props->pdata[0], s->children->pdata[0]);
		g_ptr_array_unref(props);
		props = xml_children(s->children->pdata[0], "property");
		assert_int_equal(props->len, 2);
		assert_string_equal(xml_attr(props->pdata[0], "name"), "lab");
		assert_string_equal(xml_attr(props->pdata[0], "value"), LAB);
		assert_string_equal(xml_attr(props->pdata[1], "name"), "verb");
		assert_string_equal(xml_attr(props->pdata[1], "value"), "check");
		all += want_tests;
		failed += want_failed;
		not_run += want_not_run;
	}
	assert_int_equal(atoi(xml_attr(root, "tests")), all);
	assert_int_equal(atoi(xml_attr(root, "failures")), failed);
	assert_int_equal(atoi(xml_attr(root, "errors")), 0);
	assert_int_equal(atoi(xml_attr(root, "skipped")), not_run);
	xml_free(root);
}

static void test_junit_cases(void **state)
{
	struct fixture *f = *state;
	g_autofree char *xml = report_junit(LAB, "up", f->results, RUN_SECONDS);
	struct xml_elem *root = xml_read(xml);
	guint seen[G_N_ELEMENTS(nodes)] = { 0 };

	for (guint t = 0; t < G_N_ELEMENTS(tasks); t++) {
		const struct task_case *c = &tasks[t];
		struct xml_elem *suite = g_ptr_array_index(root->children, c->node);
		g_autoptr(GPtrArray) cases = xml_children(suite, "testcase");
		struct xml_elem *tc = g_ptr_array_index(cases, seen[c->node]++);
		g_autofree char *classname = g_strdup_printf("labctl." LAB ".%s", nodes[c->node].name);
		g_autofree char *name = g_strdup_printf("%s %s", c->id, c->name);
		struct xml_elem *child;

		assert_string_equal(xml_attr(tc, "classname"), classname);
		assert_string_equal(xml_attr(tc, "name"), name);
		assert_string_equal(xml_attr(tc, "time"), c->time);
		switch (c->outcome) {
		case TASK_OK:
		case TASK_CHANGED:
			assert_int_equal(tc->children->len, 0);
			break;
		case TASK_NOT_RUN:
		case TASK_SKIPPED:
			assert_int_equal(tc->children->len, 1);
			child = g_ptr_array_index(tc->children, 0);
			assert_string_equal(child->name, "skipped");
			assert_string_equal(xml_attr(child, "message"), c->error);
			break;
		case TASK_FAILED: {
			g_autofree char *text = g_strdup_printf(
				"%s\n\n--- stderr\n%s", c->error,
				c->stderr_read ? c->stderr_read : c->stderr_text);

			assert_int_equal(tc->children->len, 1);
			child = g_ptr_array_index(tc->children, 0);
			assert_string_equal(child->name, "failure");
			assert_string_equal(xml_attr(child, "type"), c->failure_type);
			assert_string_equal(xml_attr(child, "message"), c->failure_message);
			assert_string_equal(child->text->str, text);
			break;
		}
		}
	}
	/* the stderr as written: escaped, the control character replaced */
	assert_non_null(strstr(xml, "tgtadm: &lt;bad&gt; &amp; &quot;quoted&quot; &apos;single&apos;\n"
				    FFFD " control, UTF-8: caf\xc3\xa9 \xe2\x9c\x93\n"));
	assert_null(strchr(xml, '\x01'));
	assert_null(strstr(xml, "&#x1;"));
	xml_free(root);
}

/* Whatever a node sends, the report parses and says it as near as XML can. */
static const struct hostile_case {
	const char *text;
	const char *read;               /* as a parser reads it back */
	const char *json;               /* as a JSON parser reads it back */
} hostile_cases[] = {
	{ "<a href=\"x\">&amp;</a> 'q'", "<a href=\"x\">&amp;</a> 'q'", "<a href=\"x\">&amp;</a> 'q'" },
	{ "]]> <![CDATA[ x ]]> <!-- c -->", "]]> <![CDATA[ x ]]> <!-- c -->",
	  "]]> <![CDATA[ x ]]> <!-- c -->" },
	{ "\x01\x02\x08\x0b\x0c\x1b[31mred\x1f", FFFD FFFD FFFD FFFD FFFD FFFD "[31mred" FFFD,
	  "\x01\x02\x08\x0b\x0c\x1b[31mred\x1f" },
	{ "del \x7f c1 \xc2\x80 \xc2\x9f", "del \x7f c1 \xc2\x80 \xc2\x9f",
	  "del \x7f c1 \xc2\x80 \xc2\x9f" },
	{ "tab\there\r\nnext line\rcr", "tab\there\r\nnext line\rcr", "tab\there\r\nnext line\rcr" },
	{ "bad \xff\xfe utf-8 \xc3", "bad " FFFD FFFD " utf-8 " FFFD, "bad " FFFD FFFD " utf-8 " FFFD },
	{ "noncharacters \xef\xbf\xbe\xef\xbf\xbf", "noncharacters " FFFD FFFD,
	  "noncharacters \xef\xbf\xbe\xef\xbf\xbf" },
	{ "\xc3\xbcn\xc3\xaf" "c\xc3\xb6" "d\xc3\xa9 \xe2\x9c\x93 \xf0\x9d\x84\x9e",
	  "\xc3\xbcn\xc3\xaf" "c\xc3\xb6" "d\xc3\xa9 \xe2\x9c\x93 \xf0\x9d\x84\x9e",
	  "\xc3\xbcn\xc3\xaf" "c\xc3\xb6" "d\xc3\xa9 \xe2\x9c\x93 \xf0\x9d\x84\x9e" },
	{ "", "", "" },
};

static void test_hostile_text(void **state)
{
	(void)state;
	for (guint i = 0; i < G_N_ELEMENTS(hostile_cases); i++) {
		const struct hostile_case *h = &hostile_cases[i];
		/* the text as a task name, the error, its stderr and a skip reason */
		const struct task_case tc[] = {
			{ 0, "n:1", "p", h->text, TASK_FAILED, 1, false, 1, h->text, h->text,
			  NULL, 0, NULL, NULL, NULL, NULL },
			{ 0, "n:2", "p", "t", TASK_NOT_RUN, -1, false, 0, h->text, NULL,
			  NULL, 0, NULL, NULL, NULL, NULL },
		};
		const struct node_case nc[] = { { "n", 1, NULL } };
		struct fixture f;
		g_autofree char *xml = NULL;
		g_autofree char *name = g_strdup_printf("n:1 %s", h->read);
		g_autofree char *message = g_strndup(h->read, strcspn(h->read, "\n"));
		g_autofree char *text = g_strdup_printf("%s\n\n--- stderr\n%s", h->read, h->read);
		g_autofree char *json = NULL;
		g_autoptr(JsonNode) parsed = NULL;
		g_autoptr(GError) error = NULL;
		struct xml_elem *root, *c1, *c2, *failure, *skipped;
		JsonObject *task;

		fixture_build(&f, nc, 1, tc, G_N_ELEMENTS(tc));
		xml = report_junit("x", "up", f.results, 1);
		assert_valid(xml);
		root = xml_read(xml);
		c1 = g_ptr_array_index(((struct xml_elem *)root->children->pdata[0])->children, 1);
		c2 = g_ptr_array_index(((struct xml_elem *)root->children->pdata[0])->children, 2);
		failure = g_ptr_array_index(c1->children, 0);
		skipped = g_ptr_array_index(c2->children, 0);
		assert_string_equal(xml_attr(c1, "name"), name);
		assert_string_equal(xml_attr(failure, "message"), h->text[0] ? message : "");
		assert_string_equal(failure->text->str, h->text[0] ? text : "");
		assert_string_equal(xml_attr(skipped, "message"), h->read);
		xml_free(root);

		{
			g_autoptr(JsonNode) node = report_json("x", "up", f.results, false, 1);

			json = json_to_string(node, FALSE);
		}
		assert_true(g_utf8_validate(json, -1, NULL));
		parsed = json_from_string(json, &error);
		if (!parsed)
			fail_msg("the JSON does not parse: %s\n%s", error->message, json);
		task = json_array_get_object_element(
			json_object_get_array_member(
				json_array_get_object_element(
					json_object_get_array_member(json_node_get_object(parsed),
								     "nodes"), 0), "tasks"), 0);
		assert_string_equal(json_object_get_string_member(task, "name"), h->json);
		assert_string_equal(json_object_get_string_member(task, "error"), h->json);
		assert_string_equal(json_object_get_string_member(task, "stderr"), h->json);
		fixture_clear(&f);
	}
}

static void test_write_junit(void **state)
{
	struct fixture *f = *state;
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = g_dir_make_tmp("test_report-XXXXXX", &error);
	g_autofree char *file = NULL;
	g_autofree char *missing = NULL;
	g_autofree char *text = NULL;
	mode_t old_umask = umask(077);
	struct stat st;

	assert_non_null(dir);
	file = g_build_filename(dir, "report.xml", NULL);
	/* once new, once over a file that had another mode */
	for (int round = 0; round < 2; round++) {
		g_autoptr(GDir) d = NULL;
		const char *entry;
		guint entries = 0;

		assert_true(report_write_junit(file, LAB, "test", f->results, RUN_SECONDS, &error));
		assert_int_equal(stat(file, &st), 0);
		assert_true(S_ISREG(st.st_mode));
		assert_int_equal(st.st_mode & 07777, 0644);
		d = g_dir_open(dir, 0, &error);
		assert_non_null(d);
		while ((entry = g_dir_read_name(d))) {
			assert_string_equal(entry, "report.xml");
			entries++;
		}
		assert_int_equal(entries, 1);
		assert_int_equal(chmod(file, 0600), 0);
	}
	umask(old_umask);
	assert_true(g_file_get_contents(file, &text, NULL, &error));
	assert_non_null(strstr(text, "<testsuites name=\"labctl " LAB "\""));
	assert_valid(text);

	/* a directory that is not there: an error, and nothing written */
	missing = g_build_filename(dir, "missing", "report.xml", NULL);
	assert_false(report_write_junit(missing, LAB, "test", f->results, 1, &error));
	assert_non_null(error);
	assert_true(g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT));
	{
		g_autofree char *want = g_strdup_printf("cannot write '%s': ", missing);

		assert_true(g_str_has_prefix(error->message, want));
	}
	assert_false(g_file_test(missing, G_FILE_TEST_EXISTS));
	g_clear_error(&error);

	/* the rename fails (a directory is in the way): the temporary file goes */
	assert_int_equal(g_unlink(file), 0);
	assert_int_equal(g_mkdir(file, 0755), 0);
	assert_false(report_write_junit(file, LAB, "test", f->results, 1, &error));
	assert_non_null(error);
	{
		g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
		const char *entry;

		assert_non_null(d);
		while ((entry = g_dir_read_name(d)))
			assert_string_equal(entry, "report.xml");
	}
	assert_int_equal(g_rmdir(file), 0);
	assert_int_equal(g_rmdir(dir), 0);
}

/* ---- JSON ---- */

enum jtype { J_STRING, J_INT, J_BOOL, J_DOUBLE, J_ARRAY, J_STRING_OR_NULL, J_INT_OR_NULL };

struct member {
	const char *name;
	enum jtype type;
};

static const struct member top_members[] = {
	{ "format", J_STRING }, { "lab", J_STRING }, { "verb", J_STRING }, { "ok", J_BOOL },
	{ "seconds", J_DOUBLE }, { "nodes", J_ARRAY },
};
static const struct member node_members[] = {
	{ "name", J_STRING }, { "changed", J_INT }, { "ok", J_INT }, { "failed", J_INT },
	{ "not_run", J_INT }, { "seconds", J_DOUBLE }, { "tasks", J_ARRAY },
};
static const struct member task_members[] = {
	{ "id", J_STRING }, { "name", J_STRING }, { "playbook", J_STRING },
	{ "outcome", J_STRING }, { "status", J_INT_OR_NULL }, { "timed_out", J_BOOL },
	{ "seconds", J_DOUBLE }, { "error", J_STRING_OR_NULL }, { "stderr", J_STRING_OR_NULL },
};

/* @o has exactly the members @m, of their types. */
static void assert_members(JsonObject *o, const struct member *m, guint n, const char *what)
{
	assert_int_equal(json_object_get_size(o), n);
	for (guint i = 0; i < n; i++) {
		JsonNode *v = json_object_get_member(o, m[i].name);
		bool null_ok = m[i].type == J_STRING_OR_NULL || m[i].type == J_INT_OR_NULL;
		GType want = G_TYPE_INVALID;

		if (!v)
			fail_msg("%s has no member '%s'", what, m[i].name);
		if (null_ok && JSON_NODE_HOLDS_NULL(v))
			continue;
		switch (m[i].type) {
		case J_STRING: case J_STRING_OR_NULL: want = G_TYPE_STRING; break;
		case J_INT: case J_INT_OR_NULL: want = G_TYPE_INT64; break;
		case J_BOOL: want = G_TYPE_BOOLEAN; break;
		case J_DOUBLE: want = G_TYPE_DOUBLE; break;
		case J_ARRAY:
			if (!JSON_NODE_HOLDS_ARRAY(v))
				fail_msg("%s member '%s' is not an array", what, m[i].name);
			continue;
		}
		if (!JSON_NODE_HOLDS_VALUE(v) || json_node_get_value_type(v) != want)
			fail_msg("%s member '%s' is not a %s", what, m[i].name, g_type_name(want));
	}
}

/* @o has the members @m, of their types, and maybe others. */
static void assert_members_subset(JsonObject *o, const struct member *m, guint n)
{
	g_autoptr(JsonObject) part = json_object_new();

	for (guint i = 0; i < n; i++)
		if (json_object_has_member(o, m[i].name))
			json_object_set_member(part, m[i].name,
					       json_node_copy(json_object_get_member(o, m[i].name)));
	assert_members(part, m, n, "task");
}

static void assert_str_or_null(JsonObject *o, const char *name, const char *want)
{
	if (want)
		assert_string_equal(json_object_get_string_member(o, name), want);
	else
		assert_true(json_object_get_null_member(o, name));
}

static void test_json(void **state)
{
	struct fixture *f = *state;
	g_autoptr(JsonNode) built = report_json(LAB, "up", f->results, false, RUN_SECONDS);
	g_autofree char *text = json_to_string(built, TRUE);
	g_autoptr(GError) error = NULL;
	/* read back as a program would */
	g_autoptr(JsonNode) doc = json_from_string(text, &error);
	JsonObject *top;
	JsonArray *jnodes;
	guint seen[G_N_ELEMENTS(nodes)] = { 0 };

	assert_non_null(doc);
	assert_null(strstr(text, NOT_SHOWN));
	top = json_node_get_object(doc);
	assert_members(top, top_members, G_N_ELEMENTS(top_members), "the document");
	assert_string_equal(json_object_get_string_member(top, "format"), "labctl-run/1");
	assert_string_equal(json_object_get_string_member(top, "lab"), LAB);
	assert_string_equal(json_object_get_string_member(top, "verb"), "up");
	assert_false(json_object_get_boolean_member(top, "ok"));
	assert_true(json_object_get_double_member(top, "seconds") == 31.8);
	jnodes = json_object_get_array_member(top, "nodes");
	assert_int_equal(json_array_get_length(jnodes), G_N_ELEMENTS(nodes));
	for (guint n = 0; n < G_N_ELEMENTS(nodes); n++) {
		JsonObject *o = json_array_get_object_element(jnodes, n);
		gint64 counts[5] = { 0 };

		assert_members(o, node_members, G_N_ELEMENTS(node_members), nodes[n].name);
		assert_string_equal(json_object_get_string_member(o, "name"), nodes[n].name);
		assert_true(json_object_get_double_member(o, "seconds") == nodes[n].seconds);
		for (guint t = 0; t < G_N_ELEMENTS(tasks); t++)
			if (tasks[t].node == n)
				counts[tasks[t].outcome]++;
		assert_int_equal(json_object_get_int_member(o, "changed"), counts[TASK_CHANGED]);
		assert_int_equal(json_object_get_int_member(o, "ok"), counts[TASK_OK]);
		assert_int_equal(json_object_get_int_member(o, "failed"), counts[TASK_FAILED]);
		assert_int_equal(json_object_get_int_member(o, "not_run"),
				 counts[TASK_NOT_RUN] + counts[TASK_SKIPPED]);
		assert_int_equal(json_array_get_length(json_object_get_array_member(o, "tasks")),
				 counts[0] + counts[1] + counts[2] + counts[3] + counts[4]);
	}
	for (guint t = 0; t < G_N_ELEMENTS(tasks); t++) {
		const struct task_case *c = &tasks[t];
		JsonArray *jt = json_object_get_array_member(
			json_array_get_object_element(jnodes, c->node), "tasks");
		JsonObject *o = json_array_get_object_element(jt, seen[c->node]++);

		assert_members(o, task_members, G_N_ELEMENTS(task_members), c->id);
		assert_string_equal(json_object_get_string_member(o, "id"), c->id);
		assert_string_equal(json_object_get_string_member(o, "name"), c->name);
		assert_string_equal(json_object_get_string_member(o, "playbook"), c->playbook);
		assert_string_equal(json_object_get_string_member(o, "outcome"), c->outcome_name);
		if (c->status >= 0)
			assert_int_equal(json_object_get_int_member(o, "status"), c->status);
		else
			assert_true(json_object_get_null_member(o, "status"));
		assert_int_equal(json_object_get_boolean_member(o, "timed_out"), c->timed_out);
		assert_true(json_object_get_double_member(o, "seconds") == c->json_seconds);
		assert_str_or_null(o, "error", c->error);
		/* JSON can say a control character: only XML loses it */
		assert_str_or_null(o, "stderr", c->stderr_text);
	}

	/* a run that went well says so */
	{
		g_autoptr(JsonNode) good = report_json(LAB, "check", f->results, true, 0);

		assert_true(json_object_get_boolean_member(json_node_get_object(good), "ok"));
		assert_true(json_object_get_double_member(json_node_get_object(good), "seconds") == 0);
	}
}

/* ---- a task's figures: fio's report ---- */

static char *fio_data(const char *name)
{
	const char *top = getenv("LABCTL_SRCDIR");
	g_autofree char *file = g_build_filename(top ? top : ".", "tests/data/fio", name, NULL);
	char *text = NULL;

	if (!g_file_get_contents(file, &text, NULL, NULL))
		fail_msg("cannot read %s", file);
	return text;
}

/*
 * One host with three checks: a fio run with figures (a real report), one
 * whose report names an error (failed), and one that printed none.
 */
struct fio_fixture {
	struct plan_task task[3];
	struct task_result result[3];
	struct node_result node;
	GPtrArray *results;
};

static void fio_fixture_init(struct fio_fixture *f)
{
	static const char *const names[] = {
		"run fio on /mnt/a (randrw, 2 s)", "run fio on /mnt/b (write, 1 s)",
		"run fio on /mnt/c (read, 1 s)",
	};
	g_autofree char *good = fio_data("randrw.json");
	g_autofree char *bad = fio_data("enospc.json");

	memset(f, 0, sizeof(*f));
	f->node.name = "host";
	f->node.tasks = g_ptr_array_new();
	for (guint i = 0; i < 3; i++) {
		f->task[i].id = g_strdup_printf("host:%u", i + 1);
		f->task[i].name = (char *)names[i];
		f->task[i].playbook = (char *)"mount-test";
		f->task[i].metrics = (char *)"fio";
		f->result[i].task = &f->task[i];
		f->result[i].seconds = 2.5;
		g_ptr_array_add(f->node.tasks, &f->result[i]);
	}
	f->result[0].outcome = TASK_OK;
	f->result[0].fio = fio_parse(good, -1, NULL);
	assert_non_null(f->result[0].fio);
	f->result[1].outcome = TASK_FAILED;
	f->result[1].status = 1;
	f->result[1].fio = fio_parse(bad, -1, NULL);
	assert_non_null(f->result[1].fio);
	f->result[1].error = g_strdup("fio on host reported errors: job 'labctl' #1: error 28 (No space left on device), 1 error");
	f->result[2].outcome = TASK_FAILED;
	f->result[2].status = 0;
	f->result[2].error = g_strdup("fio on host printed no report labctl can read: fio printed no JSON report");
	f->node.failed = 2;
	f->node.skipped = 1;
	f->results = g_ptr_array_new();
	g_ptr_array_add(f->results, &f->node);
}

static void fio_fixture_clear(struct fio_fixture *f)
{
	for (guint i = 0; i < 3; i++) {
		g_free(f->task[i].id);
		g_free(f->result[i].error);
		fio_report_free(f->result[i].fio);
	}
	g_ptr_array_unref(f->node.tasks);
	g_ptr_array_unref(f->results);
}

static JsonObject *dir_of(JsonObject *job, const char *dir)
{
	return json_object_get_object_member(job, dir);
}

static void test_fio_json(void **state)
{
	struct fio_fixture f;
	g_autoptr(JsonNode) built = NULL;
	g_autofree char *text = NULL;
	g_autoptr(JsonNode) doc = NULL;
	g_autoptr(GError) error = NULL;
	JsonArray *tlist;
	JsonObject *m, *job, *read, *write;

	(void)state;
	fio_fixture_init(&f);
	built = report_json("lab", "check", f.results, false, 3);
	text = json_to_string(built, FALSE);
	doc = json_from_string(text, &error);
	assert_non_null(doc);
	tlist = json_object_get_array_member(json_array_get_object_element(
		json_object_get_array_member(json_node_get_object(doc), "nodes"), 0), "tasks");
	/* the members of every task, and metrics */
	for (guint i = 0; i < 3; i++) {
		JsonObject *t = json_array_get_object_element(tlist, i);

		assert_int_equal(json_object_get_size(t), G_N_ELEMENTS(task_members) + 1);
		assert_members_subset(t, task_members, G_N_ELEMENTS(task_members));
		assert_true(json_object_has_member(t, "metrics"));
	}
	m = json_object_get_object_member(json_array_get_object_element(tlist, 0), "metrics");
	assert_string_equal(json_object_get_string_member(m, "kind"), "fio");
	assert_string_equal(json_object_get_string_member(m, "version"), "fio-3.33");
	assert_int_equal(json_array_get_length(json_object_get_array_member(m, "jobs")), 1);
	job = json_array_get_object_element(json_object_get_array_member(m, "jobs"), 0);
	assert_string_equal(json_object_get_string_member(job, "name"), "labctl");
	assert_int_equal(json_object_get_int_member(job, "error"), 0);
	assert_int_equal(json_object_get_int_member(job, "errors"), 0);
	read = dir_of(job, "read");
	write = dir_of(job, "write");
	assert_int_equal(json_object_get_int_member(read, "ios"), 40441);
	/* rounded to thousandths */
	assert_true(json_object_get_double_member(read, "iops") == 20210.395);
	assert_int_equal(json_object_get_int_member(read, "bw_kib"), 80841);
	assert_true(json_object_get_double_member(read, "clat_p50_us") == 68.096);
	assert_true(json_object_get_double_member(read, "clat_p99_us") == 193.536);
	assert_true(json_object_get_double_member(read, "clat_p99_9_us") == 2637.824);
	assert_int_equal(json_object_get_int_member(write, "bw_kib"), 80685);
	assert_true(json_object_get_double_member(write, "clat_p99_9_us") == 2998.272);
	/* the failed run keeps its figures, the one without a report has none */
	m = json_object_get_object_member(json_array_get_object_element(tlist, 1), "metrics");
	job = json_array_get_object_element(json_object_get_array_member(m, "jobs"), 0);
	assert_int_equal(json_object_get_int_member(job, "error"), 28);
	assert_int_equal(json_object_get_int_member(job, "errors"), 1);
	assert_true(json_object_get_null_member(json_array_get_object_element(tlist, 2), "metrics"));
	fio_fixture_clear(&f);
}

/* Whether @needle is in the text from @from up to @to. */
static bool between(const char *from, const char *to, const char *needle)
{
	const char *at = strstr(from, needle);

	return at && at < to;
}

static void test_fio_junit(void **state)
{
	struct fio_fixture f;
	g_autofree char *xml = NULL;
	const char *ok_case, *bad_case, *none_case;

	(void)state;
	fio_fixture_init(&f);
	xml = report_junit("lab", "check", f.results, 3);
	assert_valid(xml);
	ok_case = strstr(xml, "name=\"host:1 ");
	bad_case = strstr(xml, "name=\"host:2 ");
	none_case = strstr(xml, "name=\"host:3 ");
	assert_non_null(ok_case);
	assert_non_null(bad_case);
	assert_non_null(none_case);
	assert_non_null(strstr(ok_case, "<property name=\"fio.job1.name\" value=\"labctl\"/>"));
	assert_non_null(strstr(ok_case, "<property name=\"fio.job1.errors\" value=\"0\"/>"));
	assert_non_null(strstr(ok_case, "<property name=\"fio.job1.read.iops\" value=\"20210.395\"/>"));
	assert_non_null(strstr(ok_case, "<property name=\"fio.job1.read.bw_kib\" value=\"80841\"/>"));
	assert_non_null(strstr(ok_case, "<property name=\"fio.job1.read.clat_p50_us\" value=\"68.096\"/>"));
	assert_non_null(strstr(ok_case, "<property name=\"fio.job1.read.clat_p99_us\" value=\"193.536\"/>"));
	assert_non_null(strstr(ok_case, "<property name=\"fio.job1.read.clat_p99.9_us\" value=\"2637.824\"/>"));
	assert_true(between(ok_case, bad_case, "fio.job1.write.clat_p99.9_us\" value=\"2998.272\""));
	/* the failed run: its figures, then its failure; a direction without I/O has none */
	assert_true(between(bad_case, none_case, "<property name=\"fio.job1.errors\" value=\"1\"/>"));
	assert_true(between(bad_case, none_case, "fio.job1.write.iops"));
	assert_false(between(bad_case, none_case, "fio.job1.read."));
	assert_true(between(bad_case, none_case, "</properties>\n      <failure message=\"fio on host reported errors:"));
	/* no report: a failure and no properties */
	assert_null(strstr(none_case, "<properties>"));
	assert_non_null(strstr(none_case, "<failure message=\"fio on host printed no report"));
	fio_fixture_clear(&f);
}

static void test_fio_table(void **state)
{
	struct fio_fixture f;
	g_autofree char *table = NULL;
	g_autofree char *none = NULL;
	struct node_result empty = { .name = "host" };
	g_autoptr(GPtrArray) nothing = g_ptr_array_new();

	(void)state;
	fio_fixture_init(&f);
	table = report_metrics_table(f.results);
	assert_non_null(table);
	assert_string_equal(table,
		"\nhost host:1: run fio on /mnt/a (randrw, 2 s)\n"
		"  fio job        rw          IOPS      KiB/s    p50 us    p99 us  p99.9 us errors\n"
		"  labctl #1      read       20210      80841      68.1     193.5    2637.8      0\n"
		"  labctl #1      write      20171      80685      79.4     643.1    2998.3      0\n"
		"\nhost host:2: run fio on /mnt/b (write, 1 s)\n"
		"  fio job        rw          IOPS      KiB/s    p50 us    p99 us  p99.9 us errors\n"
		"  labctl #1      write          0          0       0.0       0.0       0.0      1\n");
	fio_fixture_clear(&f);
	/* no figures, no table */
	empty.tasks = g_ptr_array_new();
	g_ptr_array_add(nothing, &empty);
	none = report_metrics_table(nothing);
	assert_null(none);
	g_ptr_array_unref(empty.tasks);
}

/* ---- a task's cases: a conformance run ---- */

/*
 * One host with two checks: a conformance run whose output is what a real
 * iscsi-test-cu printed (5 of 23 tests failed), and one that was not run.
 */
struct conf_fixture {
	struct plan_task task[2];
	struct task_result result[2];
	struct node_result node;
	GPtrArray *results;
};

static void conf_fixture_init(struct conf_fixture *f)
{
	const char *top = getenv("LABCTL_SRCDIR");
	g_autofree char *file = g_build_filename(top ? top : ".", "tests/data/conformance",
						 "tgt-three-suites.txt", NULL);
	g_autofree char *out = NULL;

	if (!g_file_get_contents(file, &out, NULL, NULL))
		fail_msg("cannot read %s", file);
	memset(f, 0, sizeof(*f));
	f->node.name = "host";
	f->node.tasks = g_ptr_array_new();
	for (guint i = 0; i < 2; i++) {
		f->task[i].id = g_strdup_printf("host:%u", i + 1);
		f->task[i].name = (char *)"run libiscsi's conformance tests";
		f->task[i].playbook = (char *)"conformance";
		f->task[i].metrics = (char *)"libiscsi";
		f->result[i].task = &f->task[i];
		f->result[i].seconds = 1;
		g_ptr_array_add(f->node.tasks, &f->result[i]);
	}
	f->result[0].outcome = TASK_FAILED;
	f->result[0].status = 1;
	f->result[0].error = g_strdup("4 of 23 conformance tests failed on host: ProutReserve.OwnershipEA, ...");
	f->result[0].conformance = conformance_parse(out, -1, NULL);
	assert_non_null(f->result[0].conformance);
	conformance_apply_known(f->result[0].conformance, "GetLBAStatus.BeyondEol,Inquiry.EVPD");
	f->result[1].outcome = TASK_NOT_RUN;
	f->result[1].error = g_strdup("not run: an earlier task failed");
	f->node.failed = 1;
	f->node.not_run = 1;
	f->results = g_ptr_array_new();
	g_ptr_array_add(f->results, &f->node);
}

static void conf_fixture_clear(struct conf_fixture *f)
{
	for (guint i = 0; i < 2; i++) {
		g_free(f->task[i].id);
		g_free(f->result[i].error);
		conformance_report_free(f->result[i].conformance);
	}
	g_ptr_array_unref(f->node.tasks);
	g_ptr_array_unref(f->results);
}

static void test_conformance_junit(void **state)
{
	struct conf_fixture f;
	g_autofree char *xml = NULL;
	const char *task_case, *first, *failed, *skipped;

	(void)state;
	conf_fixture_init(&f);
	xml = report_junit("lab", "check", f.results, 3);
	assert_valid(xml);
	/* two tasks and 23 cases; the task and 4 cases failed; 2 cases, a known failure and a task skipped */
	assert_non_null(strstr(xml, "<testsuites name=\"labctl lab\" tests=\"25\" failures=\"5\" errors=\"0\" skipped=\"4\""));
	assert_non_null(strstr(xml, "<testsuite name=\"host\" tests=\"25\" failures=\"5\" errors=\"0\" skipped=\"4\""));
	task_case = strstr(xml, "name=\"host:1 run libiscsi");
	assert_non_null(task_case);
	assert_non_null(strstr(task_case, "<property name=\"libiscsi.tests\" value=\"23\"/>\n"
				"        <property name=\"libiscsi.passed\" value=\"16\"/>\n"
				"        <property name=\"libiscsi.failed\" value=\"4\"/>\n"
				"        <property name=\"libiscsi.skipped\" value=\"2\"/>\n"
				"        <property name=\"libiscsi.known_failures\" value=\"1\"/>\n"
				"      </properties>\n      <failure message=\"4 of 23"));
	/* the cases follow their task's testcase, in the order they ran */
	first = strstr(xml, "<testcase classname=\"labctl.lab.host\" name=\"host:1 libiscsi ");
	assert_non_null(first);
	assert_true(first > task_case);
	assert_true(g_str_has_prefix(first, "<testcase classname=\"labctl.lab.host\" name=\"host:1 libiscsi ProutReserve.Simple\"/>\n"));
	failed = strstr(xml, "name=\"host:1 libiscsi ProutReserve.OwnershipEA\">\n"
			"      <failure message=\"PRIN command: failed with sense: SENSE KEY:UNIT_ATTENTION(6) ASCQ:(null)(0x2a04)\" type=\"conformance\">"
			"PRIN command: failed with sense: SENSE KEY:UNIT_ATTENTION(6) ASCQ:(null)(0x2a04)\n"
			"1. test_prout_reserve_ownership.c:84  - CU_ASSERT_EQUAL(0,ret)</failure>\n    </testcase>\n");
	assert_non_null(failed);
	skipped = strstr(xml, "name=\"host:1 libiscsi GetLBAStatus.UnmapSingle\">\n"
			 "      <skipped message=\"Logical unit is fully provisioned. Skipping test\"/>\n");
	assert_non_null(skipped);
	assert_non_null(strstr(xml, "name=\"host:1 libiscsi GetLBAStatus.BeyondEol\">\n"
				"      <skipped message=\"known failure: GET_LBA_STATUS successful but should have failed with ILLEGAL_REQUEST(0x05)/LBA_OUT_OF_RANGE(0x2100)\"/>\n"));
	/* a run that did not run has no cases */
	assert_null(strstr(xml, "host:2 libiscsi"));
	conf_fixture_clear(&f);
}

static void test_conformance_json(void **state)
{
	struct conf_fixture f;
	g_autoptr(JsonNode) built = NULL;
	JsonArray *tlist, *cases;
	JsonObject *m, *c;

	(void)state;
	conf_fixture_init(&f);
	built = report_json("lab", "check", f.results, false, 3);
	tlist = json_object_get_array_member(json_array_get_object_element(
		json_object_get_array_member(json_node_get_object(built), "nodes"), 0), "tasks");
	m = json_object_get_object_member(json_array_get_object_element(tlist, 0), "metrics");
	assert_string_equal(json_object_get_string_member(m, "kind"), "libiscsi");
	assert_int_equal(json_object_get_int_member(m, "tests"), 23);
	assert_int_equal(json_object_get_int_member(m, "passed"), 16);
	assert_int_equal(json_object_get_int_member(m, "failed"), 4);
	assert_int_equal(json_object_get_int_member(m, "skipped"), 2);
	assert_int_equal(json_object_get_int_member(m, "known_failures"), 1);
	assert_int_equal(json_array_get_length(json_object_get_array_member(m, "known_passed")), 1);
	assert_string_equal(json_array_get_string_element(json_object_get_array_member(m, "known_passed"), 0),
			    "Inquiry.EVPD");
	cases = json_object_get_array_member(m, "cases");
	assert_int_equal(json_array_get_length(cases), 23);
	c = json_array_get_object_element(cases, 0);
	assert_string_equal(json_object_get_string_member(c, "name"), "ProutReserve.Simple");
	assert_string_equal(json_object_get_string_member(c, "outcome"), "passed");
	assert_true(json_object_get_null_member(c, "message"));
	c = json_array_get_object_element(cases, 7);
	assert_string_equal(json_object_get_string_member(c, "name"), "ProutReserve.OwnershipEA");
	assert_string_equal(json_object_get_string_member(c, "outcome"), "failed");
	assert_true(g_str_has_prefix(json_object_get_string_member(c, "message"), "PRIN command: failed"));
	/* not run: no cases, metrics null */
	assert_true(json_object_get_null_member(json_array_get_object_element(tlist, 1), "metrics"));
	conf_fixture_clear(&f);
}

static void test_conformance_table(void **state)
{
	struct conf_fixture f;
	g_autofree char *table = NULL;

	(void)state;
	conf_fixture_init(&f);
	table = report_metrics_table(f.results);
	assert_non_null(table);
	assert_string_equal(table,
		"\nhost host:1: run libiscsi's conformance tests\n"
		"  libiscsi: 23 tests, 16 passed, 2 skipped, 1 known failures, 4 failed\n"
		"  FAILED ProutReserve.OwnershipEA: PRIN command: failed with sense: SENSE KEY:UNIT_ATTENTION(6) ASCQ:(null)(0x2a04)\n"
		"  FAILED ProutReserve.OwnershipWE: PRIN command: failed with sense: SENSE KEY:UNIT_ATTENTION(6) ASCQ:(null)(0x2a04)\n"
		"  FAILED ProutReserve.OwnershipEARO: PRIN command: failed with sense: SENSE KEY:UNIT_ATTENTION(6) ASCQ:(null)(0x2a04)\n"
		"  FAILED ProutReserve.OwnershipWERO: PRIN command: failed with sense: SENSE KEY:UNIT_ATTENTION(6) ASCQ:(null)(0x2a04)\n"
		"  passed, though listed as a known failure: Inquiry.EVPD\n");
	conf_fixture_clear(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schema),
		cmocka_unit_test_setup_teardown(test_junit_validates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_junit_suites, setup, teardown),
		cmocka_unit_test_setup_teardown(test_junit_cases, setup, teardown),
		cmocka_unit_test(test_hostile_text),
		cmocka_unit_test_setup_teardown(test_write_junit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json, setup, teardown),
		cmocka_unit_test(test_fio_json),
		cmocka_unit_test(test_fio_junit),
		cmocka_unit_test(test_fio_table),
		cmocka_unit_test(test_conformance_junit),
		cmocka_unit_test(test_conformance_json),
		cmocka_unit_test(test_conformance_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
