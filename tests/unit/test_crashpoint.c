/*
 * test_crashpoint.c - the fault point kills exactly at the Nth call of its
 * kind, and does nothing otherwise
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <glib.h>

#include "labctl/crashpoint.h"

/* Calls crashpoint(kind) @calls times in a child; returns how many it survived. */
static int survived(const char *env, const char *kind, int calls, bool *killed)
{
	int fds[2], n = 0, status;
	pid_t pid;
	char c;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		if (env)
			g_setenv("LABCTL_TEST_CRASH", env, TRUE);
		else
			g_unsetenv("LABCTL_TEST_CRASH");
		for (int i = 0; i < calls; i++) {
			crashpoint(kind);
			if (write(fds[1], "x", 1) != 1)
				_exit(2);
		}
		_exit(0);
	}
	close(fds[1]);
	while (read(fds[0], &c, 1) == 1)
		n++;
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	*killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
	return n;
}

static void test_crashpoint(void **state)
{
	static const struct {
		const char *env, *kind;
		int calls, survived;
		bool killed;
	} cases[] = {
		{ NULL, "journal", 5, 5, false },
		{ "journal:3", "journal", 5, 2, true },
		{ "journal:1", "journal", 5, 0, true },
		{ "journal:9", "journal", 5, 5, false },
		{ "ran:2", "journal", 5, 5, false },      /* another kind */
		{ "ran:2", "ran", 5, 1, true },
		{ "journalx:1", "journal", 3, 3, false }, /* not a prefix match */
		{ "journal", "journal", 3, 3, false },    /* no count */
	};

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		bool killed;
		int n = survived(cases[i].env, cases[i].kind, cases[i].calls, &killed);

		if (n != cases[i].survived || killed != cases[i].killed)
			fail_msg("case %zu: survived %d killed %d", i, n, killed);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crashpoint),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
