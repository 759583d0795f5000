/*
 * report.h - the results of a run, for CI systems and programs
 *
 * Two forms of the same struct node_result array that engine_run() fills:
 * JUnit XML, the common subset that Jenkins, GitLab and GitHub read (the
 * schema is tests/data/junit/junit.xsd), and the JSON document
 * "labctl-run/1" (docs/json.md).  The results point into the shown plan,
 * so secrets appear as ***; nothing else is taken from the plan than each
 * task's id, name and playbook.
 *
 * Text that came from the nodes (errors, stderr) may hold anything: bytes
 * that are not UTF-8 become U+FFFD in both forms, and so do the control
 * characters XML 1.0 forbids (all below U+0020 but tab, newline and
 * carriage return, and U+FFFE, U+FFFF) in the JUnit form.
 */
#ifndef LABCTL_REPORT_H
#define LABCTL_REPORT_H

#include <stdbool.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#include "labctl/engine.h"

/*
 * The JUnit XML report of running @verb ("up", "check", "test") on the lab
 * @lab; @results holds struct node_result *, @seconds is the whole run.
 *
 *   <testsuites name="labctl LAB" tests= failures= errors="0" skipped= time=>
 *     one <testsuite> per node: name and hostname the node's name, tests,
 *     failures, errors="0", skipped (tasks not run), time, timestamp (when
 *     the run started, UTC, "YYYY-MM-DDTHH:MM:SS"), and <properties> lab
 *     and verb;
 *       one <testcase> per task: classname "labctl.LAB.NODE", name
 *       "ID NAME" ("iscsi-disks:3 configure target ..."), time.
 *       A task with figures (struct task_result.fio) holds <properties>
 *       first: fio.jobN.name, fio.jobN.errors, and for each direction
 *       with I/O fio.jobN.DIR.iops, .bw_kib, .clat_p50_us, .clat_p99_us
 *       and .clat_p99.9_us (DIR read or write, N from 1, three decimals).
 *       A conformance run (struct task_result.conformance) holds the
 *       <properties> libiscsi.tests, .passed, .failed, .skipped and
 *       .known_failures, and is followed by one <testcase> per case,
 *       named "ID libiscsi SUITE.TEST": a failed case holds <failure
 *       type="conformance">, one that skipped itself <skipped>, a known
 *       failure <skipped message="known failure: ..">; the suites' counts
 *       add them.
 *       A failed task holds <failure message="FIRST LINE OF ITS ERROR"
 *       type="exit status N" | "timeout" | "error"> whose text is the
 *       error, then its stderr; one not run holds <skipped message="WHY"/>;
 *       changed and ok tasks pass.
 *
 * Times are seconds with three decimals, whatever the locale.  Never
 * fails; the caller frees the string with g_free().
 */
char *report_junit(const char *lab, const char *verb, GPtrArray *results, double seconds);

/*
 * Writes report_junit() to @file atomically: a temporary file in the same
 * directory, mode 0644 whatever the umask, fsync'ed, then renamed over
 * @file.  On failure @file is untouched, no temporary file is left, and
 * @error (G_FILE_ERROR) says "cannot write 'FILE': REASON".
 */
bool report_write_junit(const char *file, const char *lab, const char *verb,
			GPtrArray *results, double seconds, GError **error);

/*
 * The results as the JSON document "labctl-run/1"; @ok is what
 * engine_run() returned, @seconds the whole run:
 *
 *   { "format", "lab", "verb", "ok": bool, "seconds",
 *     "nodes": [ { "name", "changed", "ok", "failed", "not_run", "seconds",
 *       "tasks": [ { "id", "name", "playbook",
 *         "outcome": "changed" | "ok" | "failed" | "not-run",
 *         "status": integer or null (no exit status), "timed_out": bool,
 *         "seconds", "error": string or null, "stderr": string or null,
 *         "metrics" (only on a task with metrics): null, or { "kind": "fio",
 *           "version", "jobs": [ { "name", "error", "errors",
 *           "read" and "write": { "ios", "iops", "bw_kib", "clat_p50_us",
 *           "clat_p99_us", "clat_p99_9_us" } } ] }, or { "kind": "libiscsi",
 *           "tests", "passed", "failed", "skipped", "known_failures",
 *           "known_passed": [ NAME ], "cases": [ { "name", "outcome":
 *           "passed" | "failed" | "skipped" | "known-failure", "message" } ] } } ] } ] }
 *
 * A node's counts are those of its tasks' outcomes.  Never fails; the
 * caller frees the node with json_node_unref().
 */
JsonNode *report_json(const char *lab, const char *verb, GPtrArray *results, bool ok,
		      double seconds);

/*
 * The figures of the tasks with metrics (a mount's fio run), for people:
 * per task a line "NODE ID: NAME", then a row per job and direction that
 * had I/O (a job without any shows its read row): IOPS, KiB/s, the
 * completion latency at p50, p99 and p99.9 in microseconds, and the job's
 * errors; for a conformance run its counts, a line per failed case with
 * the first line of its reason, and one per known failure that passed.
 * NULL when no task has figures or
 * cases; free with g_free().
 */
char *report_metrics_table(GPtrArray *results);

/*
 * A result of one failed task standing in for a phase (@verb) that failed
 * with exit status @status before any task ran, in a suite named @node:
 * report it as its results (@results, which points into the struct).
 */
struct report_stand_in {
	struct plan_task task;
	struct task_result result;
	struct node_result node;
	GPtrArray *results;     /* the one node result */
	char *why;
};

void report_stand_in_init(struct report_stand_in *s, const char *node, const char *verb,
			  int status);
void report_stand_in_clear(struct report_stand_in *s);

/*
 * The JUnit file of labctl test: the suites of the up run, those of the
 * check run (named "NODE (check)"), a stand-in for a phase that failed
 * before any task ran, and, when the teardown ran, a suite "labctl down"
 * whose one testcase failed when @down_failed undos did.
 */
bool report_write_test_junit(const char *file, const char *lab, GPtrArray *up, int up_status,
			     GPtrArray *check, int check_status, bool down_ran,
			     guint down_failed, double seconds, GError **error);

#endif
