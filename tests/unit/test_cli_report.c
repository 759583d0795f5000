/*
 * test_cli_report.c - what the verbs print and the exit codes they pick:
 * every error of the lab module has its exit code, and the usage line
 * wraps its options at 80 columns
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include <gio/gio.h>

#include "labctl/cmd.h"

static void test_exit_codes(void **state)
{
	static const struct {
		enum lab_error code;
		int exit;
	} cases[] = {
		{ LAB_ERROR_INVALID, EXIT_USAGE },
		{ LAB_ERROR_PLAN, EXIT_USAGE },
		{ LAB_ERROR_UNREACHABLE, EXIT_UNREACHABLE },
		{ LAB_ERROR_BUSY, EXIT_BUSY },
		{ LAB_ERROR_NOT_UP, EXIT_FAILED },
		{ LAB_ERROR_TASKS, EXIT_FAILED },
		{ LAB_ERROR_CANCELLED, EXIT_FAILED },
		{ LAB_ERROR_FAILED, EXIT_FAILED },
	};

	(void)state;
	assert_int_equal(cmd_exit_code(NULL), EXIT_OK);
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) e = g_error_new_literal(LAB_ERROR, (gint)cases[i].code, "x");

		assert_int_equal(cmd_exit_code(e), cases[i].exit);
	}
	/* an error of another module is a failure, not a usage error */
	{
		g_autoptr(GError) e = g_error_new_literal(G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "x");

		assert_int_equal(cmd_exit_code(e), EXIT_FAILED);
	}
}

static const struct cmd_opt opts[] = {
	{ "jobs", OPT_JOBS, "N", "nodes at once" },
	{ "state-dir", OPT_STATE_DIR, "DIR", "the lab's state directory" },
	{ "playbook-dir", OPT_PLAYBOOK_DIR, "DIR", "playbooks from here" },
	{ "accept-new-host-keys", OPT_ACCEPT_NEW, NULL, "record new host keys" },
	{ "on-failure", OPT_ON_FAILURE, "keep|destroy", "after a failure" },
	{ NULL, 0, NULL, NULL },
};
static const struct cmd verb = {
	.name = "up", .args = "SPEC", .summary = "stand the lab up", .opts = opts,
};

/* Short options as -x ARG, long ones as --name ARG; wrapped under the first column. */
static void test_usage_line(void **state)
{
	g_autofree char *line = cmd_usage_line(&verb, 16);
	g_auto(GStrv) lines = g_strsplit(line, "\n", -1);

	(void)state;
	assert_string_equal(line,
			    "[-j N] [--state-dir DIR] [--playbook-dir DIR]\n"
			    "                [--accept-new-host-keys] [--on-failure keep|destroy] SPEC");
	/* the first line comes after an indent of 16 columns, the others hold it */
	assert_true(16 + strlen(lines[0]) <= 80);
	for (guint i = 1; lines[i]; i++)
		assert_true(strlen(lines[i]) <= 80);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_codes),
		cmocka_unit_test(test_usage_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
