/*
 * conformance.h - the results of a SCSI conformance suite run on a raw LUN
 *
 * A verify task with "metrics: libiscsi" (docs/playbooks.md) runs
 * libiscsi's iscsi-test-cu in verbose mode and prints what it printed on
 * standard output; conformance_parse() reads it in one place, so that the
 * JSON, JUnit and terminal reports show the same cases.  CUnit prints, per
 * suite, "Suite: NAME", and per test "  Test: NAME ..." followed, at once
 * or after lines of its own, by "passed" or "FAILED"; a test that skips
 * itself prints "[SKIPPED] REASON" and passes.  The run ends with a
 * "Run Summary" whose counts the cases read must match.
 */
#ifndef LABCTL_CONFORMANCE_H
#define LABCTL_CONFORMANCE_H

#include <stdbool.h>
#include <glib.h>

#define CONFORMANCE_ERROR conformance_error_quark()
GQuark conformance_error_quark(void);

enum conformance_error {
	CONFORMANCE_ERROR_PARSE,        /* no run summary, a test without result, counts that differ */
};

enum conformance_outcome {
	CONFORMANCE_PASSED, CONFORMANCE_FAILED, CONFORMANCE_SKIPPED,
	CONFORMANCE_KNOWN_FAILURE,      /* failed, and listed as a failure to expect */
};

/* The names of the outcomes: "passed", "failed", "skipped", "known-failure". */
extern const char *const conformance_outcome_names[];

struct conformance_case {
	char *name;             /* "SUITE.TEST", as iscsi-test-cu prints them */
	enum conformance_outcome outcome;
	/*
	 * Why it failed or skipped itself: the first "[FAILED]" or
	 * "[SKIPPED]" reason, then for a failure CUnit's failed assertions,
	 * one per line.  NULL when a failure gave no reason at all.
	 */
	char *message;
};

struct conformance_report {
	GPtrArray *cases;       /* struct conformance_case *, in the order they ran */
	guint passed, failed, skipped;  /* passed does not count the skipped */
	guint known;            /* known failures: not counted in failed */
	GPtrArray *known_passed;        /* char *: cases listed as known failures that passed */
};

/*
 * Reads iscsi-test-cu's verbose standard output @text (@len bytes, or -1:
 * up to a NUL).  Returns NULL with @error (CONFORMANCE_ERROR_PARSE) saying
 * what is wrong when there is no run summary (the run ended early or never
 * started), a test has no result, or the summary's counts of tests run and
 * failed differ from the cases read.  A run of no test at all is a report
 * with no cases.  Free with conformance_report_free().
 */
struct conformance_report *conformance_parse(const char *text, gssize len, GError **error);
void conformance_report_free(struct conformance_report *r);
typedef struct conformance_report conformance_report;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(conformance_report, conformance_report_free)

/*
 * Makes the failed cases named in @known ("SUITE.TEST" names separated by
 * ',', NULL: none) known failures, and notes the named cases that passed.
 * Names of cases that did not run are left alone.
 */
void conformance_apply_known(struct conformance_report *r, const char *known);

/*
 * The names of the failed cases joined by ", at most @most of them and
 * then "and N more".  NULL when none failed.
 */
char *conformance_failed_names(const struct conformance_report *r, guint most);

#endif
