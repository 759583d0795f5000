/*
 * test_fio.c - reading fio's JSON report
 *
 * The reports in tests/data/fio/ are what a real fio wrote (see the README
 * there); the directory is found through $LABCTL_SRCDIR, which "make unit"
 * sets to the top of the tree.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "labctl/fio.h"

static char *read_data(const char *name)
{
	const char *top = getenv("LABCTL_SRCDIR");
	g_autofree char *file = g_build_filename(top ? top : ".", "tests/data/fio", name, NULL);
	g_autoptr(GError) error = NULL;
	char *text = NULL;

	if (!g_file_get_contents(file, &text, NULL, &error))
		fail_msg("%s", error->message);
	return text;
}

/* Within a thousandth: the figures are printed with three decimals. */
#define assert_near(a, b) assert_true((a) - (b) < 0.001 && (b) - (a) < 0.001)

struct want_dir {
	guint64 ios;
	double iops;
	guint64 bw_kib;
	double p50, p99, p999;
};

struct want_job {
	const char *name;
	int error;
	guint64 errors;
	struct want_dir read, write;
};

static void assert_dir(const struct fio_dir *d, const struct want_dir *w)
{
	assert_int_equal(d->ios, w->ios);
	assert_near(d->iops, w->iops);
	assert_int_equal(d->bw_kib, w->bw_kib);
	assert_near(d->p50_us, w->p50);
	assert_near(d->p99_us, w->p99);
	assert_near(d->p999_us, w->p999);
}

static void test_real_reports(void **state)
{
	static const struct {
		const char *file;
		guint jobs;
		guint64 errors;
		struct want_job job[2];
	} cases[] = {
		{ "randrw.json", 1, 0, {
			{ "labctl", 0, 0,
			  { 40441, 20210.394803, 80841, 68.096, 193.536, 2637.824 },
			  { 40363, 20171.414293, 80685, 79.360, 643.072, 2998.272 } } } },
		/* numjobs=2: two jobs of one name; no write percentiles at all */
		{ "read-2-jobs.json", 2, 0, {
			{ "labctl", 0, 0,
			  { 11726, 11714.285714, 749714, 150.528, 309.248, 1515.520 },
			  { 0, 0, 0, 0, 0, 0 } },
			{ "labctl", 0, 0,
			  { 11726, 11714.285714, 749714, 150.528, 296.960, 1482.752 },
			  { 0, 0, 0, 0, 0, 0 } } } },
		/* a line of fio's own before the document; the job stopped with ENOSPC */
		{ "enospc.json", 1, 1, {
			{ "labctl", 28, 1, { 0, 0, 0, 0, 0, 0 }, { 1, 0, 0, 0, 0, 0 } } } },
		{ "enospc-continue.json", 1, 1, {
			{ "labctl", 28, 1, { 0, 0, 0, 0, 0, 0 }, { 1, 0, 0, 0, 0, 0 } } } },
	};

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *text = read_data(cases[i].file);
		g_autoptr(GError) error = NULL;
		g_autoptr(fio_report) r = fio_parse(text, -1, &error);

		if (!r)
			fail_msg("%s: %s", cases[i].file, error->message);
		assert_string_equal(r->version, "fio-3.33");
		assert_int_equal(r->jobs->len, cases[i].jobs);
		assert_int_equal(fio_report_errors(r), cases[i].errors);
		for (guint j = 0; j < cases[i].jobs; j++) {
			const struct fio_job *job = g_ptr_array_index(r->jobs, j);
			const struct want_job *w = &cases[i].job[j];

			assert_string_equal(job->name, w->name);
			assert_int_equal(job->error, w->error);
			assert_int_equal(job->errors, w->errors);
			assert_dir(&job->read, &w->read);
			assert_dir(&job->write, &w->write);
		}
	}
}

static void test_error_text(void **state)
{
	g_autofree char *ok = read_data("randrw.json");
	g_autofree char *enospc = read_data("enospc.json");
	g_autoptr(fio_report) good = fio_parse(ok, -1, NULL);
	g_autoptr(fio_report) bad = fio_parse(enospc, -1, NULL);
	g_autofree char *none = NULL;
	g_autofree char *text = NULL;

	(void)state;
	assert_non_null(good);
	assert_non_null(bad);
	none = fio_report_error_text(good);
	assert_null(none);
	text = fio_report_error_text(bad);
	assert_non_null(text);
	assert_true(g_str_has_prefix(text, "job 'labctl' #1: error 28 ("));
	assert_true(g_str_has_suffix(text, "), 1 error"));
}

/* What is not fio's report is refused, saying why. */
static void test_malformed(void **state)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{ "", "fio printed no JSON report" },
		{ "fio: pid=1, err=2/file:filesetup.c:1, func=open, error=No such file\n",
		  "fio printed no JSON report" },
		{ "[1, 2]\n", "fio printed no JSON report" },
		{ "{ \"jobs\": 3 }", "fio's report has no list of jobs" },
		{ "{ \"jobs\": [] }", "fio's report has no list of jobs" },
		{ "{ \"jobs\": [ 1 ] }", "job #1 of fio's report is not an object" },
		{ "{ \"jobs\": [ { \"error\": 0 } ] }",
		  "fio's report has no string 'jobname' in job #1" },
		{ "{ \"jobs\": [ { \"jobname\": \"j\", \"error\": \"x\" } ] }",
		  "'error' in job #1 of fio's report is not a number" },
		{ "{ \"jobs\": [ { \"jobname\": \"j\", \"error\": 0 } ] }",
		  "fio's report has no object 'read' in job #1" },
		{ "{ \"jobs\": [ { \"jobname\": \"j\", \"error\": 0, \"read\": "
		  "{ \"total_ios\": 1, \"iops\": -1, \"bw\": 0 } } ] }",
		  "'iops' in 'read' of job #1 of fio's report is negative" },
		{ "{ \"jobs\": [ { \"jobname\": \"j\", \"error\": 0, \"read\": "
		  "{ \"total_ios\": 1, \"iops\": 1, \"bw\": 0 } } ] }",
		  "fio's report has no object 'clat_ns' in 'read' of job #1" },
		{ "{ \"jobs\": [ { \"jobname\": \"j\", \"error\": 0, \"read\": "
		  "{ \"total_ios\": 1, \"iops\": 1, \"bw\": 0, \"clat_ns\": { \"percentile\": "
		  "{ \"50.000000\": \"fast\" } } } } ] }",
		  "'50.000000' in 'read' of job #1 of fio's report is not a number" },
	};

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(fio_report) r = fio_parse(cases[i].text, -1, &error);

		assert_null(r);
		assert_non_null(error);
		assert_true(g_error_matches(error, FIO_ERROR, FIO_ERROR_PARSE));
		assert_string_equal(error->message, cases[i].msg);
	}
}

/* A report cut short (a full pipe, a killed fio) is not JSON. */
static void test_truncated(void **state)
{
	g_autofree char *text = read_data("truncated.json");
	g_autofree char *whole = read_data("randrw.json");
	g_autoptr(GError) error = NULL;
	g_autoptr(fio_report) r = fio_parse(text, -1, &error);
	g_autoptr(fio_report) part = NULL;

	(void)state;
	assert_null(r);
	assert_true(g_str_has_prefix(error->message, "fio's report is not JSON: "));
	/* the length is honoured: the whole report, cut at half, fails too */
	g_clear_error(&error);
	part = fio_parse(whole, (gssize)strlen(whole) / 2, &error);
	assert_null(part);
	assert_non_null(error);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_reports),
		cmocka_unit_test(test_error_text),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_truncated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
