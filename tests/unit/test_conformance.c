/*
 * test_conformance.c - reading what libiscsi's iscsi-test-cu prints
 *
 * The outputs in tests/data/conformance/ are what a real iscsi-test-cu
 * printed against a real tgtd (see the README there); the directory is
 * found through $LABCTL_SRCDIR, which "make unit" sets to the top of the
 * tree.  The short outputs below were printed by the same program.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "labctl/conformance.h"

static char *read_data(const char *name)
{
	const char *top = getenv("LABCTL_SRCDIR");
	g_autofree char *file = g_build_filename(top ? top : ".", "tests/data/conformance", name,
						 NULL);
	g_autoptr(GError) error = NULL;
	char *text = NULL;

	if (!g_file_get_contents(file, &text, NULL, &error))
		fail_msg("%s", error->message);
	return text;
}

static const struct conformance_case *find_case(const struct conformance_report *r,
						const char *name)
{
	for (guint i = 0; i < r->cases->len; i++) {
		const struct conformance_case *c = g_ptr_array_index(r->cases, i);

		if (!strcmp(c->name, name))
			return c;
	}
	fail_msg("no case %s", name);
	return NULL;
}

static void test_all(void **state)
{
	g_autofree char *text = read_data("tgt-all.txt");
	g_autoptr(GError) error = NULL;
	g_autoptr(conformance_report) r = conformance_parse(text, -1, &error);
	const struct conformance_case *c;
	g_autofree char *names = NULL;

	(void)state;
	assert_non_null(r);
	assert_int_equal(r->cases->len, 230);
	assert_int_equal(r->failed, 8);
	assert_int_equal(r->skipped, 62);
	assert_int_equal(r->passed, 160);

	c = find_case(r, "GetLBAStatus.BeyondEol");
	assert_int_equal(c->outcome, CONFORMANCE_FAILED);
	assert_true(g_str_has_prefix(c->message, "GET_LBA_STATUS successful but should have failed"));
	assert_non_null(strstr(c->message, "\n1. test_get_lba_status_beyond_eol.c:38  - CU_ASSERT_EQUAL(_r,0)"));

	/* failed at once ("...FAILED"), four assertions and no reason */
	c = find_case(r, "iSCSIdatasn.iSCSIDataSnInvalid");
	assert_int_equal(c->outcome, CONFORMANCE_FAILED);
	assert_true(g_str_has_prefix(c->message, "1. test_iscsi_datasn_invalid.c:98"));
	assert_non_null(strstr(c->message, "\n4. test_iscsi_datasn_invalid.c:150"));
	assert_null(strstr(c->message, "Suite"));

	/* "...passed    [FAILED] ...": CUnit's verdict is the word after the dots */
	c = find_case(r, "Reserve6.LUNReset");
	assert_int_equal(c->outcome, CONFORMANCE_PASSED);
	assert_null(c->message);

	c = find_case(r, "Sanitize.BlockErase");
	assert_int_equal(c->outcome, CONFORMANCE_SKIPPED);
	assert_string_equal(c->message, "--allow-sanitize flag is not set. Skipping test.");

	/* the reason printed twice is kept once */
	c = find_case(r, "CompareAndWrite.Simple");
	assert_int_equal(c->outcome, CONFORMANCE_SKIPPED);
	assert_string_equal(c->message, "COMPAREANDWRITE is not implemented.");

	c = find_case(r, "Inquiry.Standard");
	assert_int_equal(c->outcome, CONFORMANCE_PASSED);

	names = conformance_failed_names(r, 2);
	assert_string_equal(names, "GetLBAStatus.BeyondEol, PrinServiceactionRange.Range and 6 more");
}

static void test_three_suites(void **state)
{
	g_autofree char *text = read_data("tgt-three-suites.txt");
	g_autoptr(GError) error = NULL;
	g_autoptr(conformance_report) r = conformance_parse(text, -1, &error);
	g_autofree char *names = NULL;
	const struct conformance_case *first;

	(void)state;
	assert_non_null(r);
	assert_int_equal(r->cases->len, 23);
	assert_int_equal(r->failed, 5);
	assert_int_equal(r->skipped, 2);
	assert_int_equal(r->passed, 16);
	first = g_ptr_array_index(r->cases, 0);
	assert_string_equal(first->name, "ProutReserve.Simple");
	names = conformance_failed_names(r, 10);
	assert_string_equal(names, "ProutReserve.OwnershipEA, ProutReserve.OwnershipWE, ProutReserve.OwnershipEARO, ProutReserve.OwnershipWERO, GetLBAStatus.BeyondEol");
}

/*
 * Known failures: a failed case named there is one, not a failure; a case
 * named there that passed is noted; names of cases that did not run, and
 * blanks, change nothing.
 */
static void test_known(void **state)
{
	g_autofree char *text = read_data("tgt-three-suites.txt");
	g_autoptr(conformance_report) r = conformance_parse(text, -1, NULL);
	g_autoptr(conformance_report) none = conformance_parse(text, -1, NULL);
	g_autofree char *names = NULL;

	(void)state;
	assert_non_null(r);
	conformance_apply_known(r, "GetLBAStatus.BeyondEol, ProutReserve.OwnershipEA,Inquiry.Standard,"
				   "Read10.Simple,,GetLBAStatus.UnmapSingle");
	assert_int_equal(r->failed, 3);
	assert_int_equal(r->known, 2);
	assert_int_equal(r->passed, 16);
	assert_int_equal(r->skipped, 2);
	assert_int_equal(find_case(r, "GetLBAStatus.BeyondEol")->outcome, CONFORMANCE_KNOWN_FAILURE);
	assert_string_equal(conformance_outcome_names[CONFORMANCE_KNOWN_FAILURE], "known-failure");
	/* its reason stays */
	assert_true(g_str_has_prefix(find_case(r, "ProutReserve.OwnershipEA")->message, "PRIN command"));
	/* a skipped case named there stays skipped, and is not said to pass */
	assert_int_equal(find_case(r, "GetLBAStatus.UnmapSingle")->outcome, CONFORMANCE_SKIPPED);
	assert_int_equal(r->known_passed->len, 1);
	assert_string_equal(g_ptr_array_index(r->known_passed, 0), "Inquiry.Standard");
	names = conformance_failed_names(r, 8);
	assert_string_equal(names, "ProutReserve.OwnershipWE, ProutReserve.OwnershipEARO, ProutReserve.OwnershipWERO");

	conformance_apply_known(none, NULL);
	conformance_apply_known(none, "");
	assert_int_equal(none->failed, 5);
	assert_int_equal(none->known, 0);
	assert_int_equal(none->known_passed->len, 0);
}

/* A test list that names no test: CUnit runs none and says so. */
static void test_no_test(void **state)
{
	static const char out[] =
		"\n\n\n     CUnit - A unit testing framework for C - Version 2.1-3\n"
		"     http://cunit.sourceforge.net/\n\n\n\n"
		"Run Summary:    Type  Total    Ran Passed Failed Inactive\n"
		"              suites      0      0    n/a      0        0\n"
		"               tests      0      0      0      0        0\n"
		"             asserts      0      0      0      0      n/a\n\n"
		"Elapsed time =    0.000 seconds\n"
		"Tests completed with return value: 0\n";
	g_autoptr(GError) error = NULL;
	g_autoptr(conformance_report) r = conformance_parse(out, -1, &error);

	(void)state;
	assert_non_null(r);
	assert_int_equal(r->cases->len, 0);
	assert_null(conformance_failed_names(r, 5));
}

static void assert_parse_error(const char *text, gssize len, const char *want)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(conformance_report) r = conformance_parse(text, len, &error);

	assert_null(r);
	assert_non_null(error);
	assert_true(g_error_matches(error, CONFORMANCE_ERROR, CONFORMANCE_ERROR_PARSE));
	if (!strstr(error->message, want))
		fail_msg("'%s' does not say '%s'", error->message, want);
}

static void test_broken(void **state)
{
	g_autofree char *text = read_data("tgt-all.txt");
	char *cut;
	g_autoptr(GString) less = NULL;

	(void)state;
	/* a login that failed: no test ran, no summary */
	assert_parse_error("Login Failed. Failed to log in to target. Status: Target not found(515)\n"
			   "Failed to connect to SCSI device 0\n", -1, "no run summary");
	assert_parse_error("", 0, "no run summary");
	assert_parse_error("\0\0\0", 3, "no run summary");

	/* cut while a test ran */
	cut = strstr(text, "  Test: BeyondEol ...");
	assert_non_null(cut);
	assert_parse_error(text, cut - text + 40, "test GetLBAStatus.BeyondEol printed no result");

	/* cut after a test ended: no summary */
	cut = strstr(text, "Suite: Inquiry");
	assert_parse_error(text, cut - text, "no run summary");

	/* a test's lines gone: the summary's counts tell */
	less = g_string_new(text);
	cut = strstr(less->str, "  Test: Standard ...passed\n");
	assert_non_null(cut);
	g_string_erase(less, cut - less->str, strlen("  Test: Standard ...passed\n"));
	assert_parse_error(less->str, -1, "counts 230 tests run, and 229 printed a result");

	/* a FAILED turned into passed: the failures do not match */
	g_string_assign(less, text);
	cut = strstr(less->str, "\nFAILED\n");
	memcpy(cut + 1, "passed", 6);
	assert_parse_error(less->str, -1, "counts 8 failed tests, and 7 printed 'FAILED'");

	/* a test that never says how it ended before the next one starts */
	assert_parse_error("Suite: A\n  Test: One ...    [SKIPPED] why\n  Test: Two ...passed\n", -1,
			   "test A.One printed no result");
	assert_parse_error("Suite: A\n  Test: One\n", -1, "without ' ...'");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all),
		cmocka_unit_test(test_three_suites),
		cmocka_unit_test(test_known),
		cmocka_unit_test(test_no_test),
		cmocka_unit_test(test_broken),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
