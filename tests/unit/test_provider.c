/*
 * test_provider.c - the local undo operations: what a journal may not ask
 * for is refused before anything runs, and local commands are bounded
 * (the undos run for real on the lab's own objects are in
 * tests/system/test_provider.c)
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <glib/gstdio.h>

#include "labctl/provider.h"
#include "labctl/validate.h"
#include "provider_fixture.h"

/* Formats @fmt with the lab's hash and runtime directory (%1$s, %2$s). */
static char *lab_json(const char *fmt)
{
	g_autoptr(GString) s = g_string_new(fmt);

	g_string_replace(s, "HASH", lab.hash, 0);
	g_string_replace(s, "RUNTIME", runtime, 0);
	g_string_replace(s, "STATE", lab.state_dir, 0);
	return g_string_free(g_steal_pointer(&s), FALSE);
}

/*
 * A journal can ask only for the operations of the table, and each only
 * for objects of its own lab: anything else is refused, and nothing runs.
 */
static void test_foreign_objects(void **state)
{
	static const char *const refused[] = {
		"{\"op\":\"run\",\"argv\":[\"true\"]}",
		"{\"op\":\"explode\"}",
		"{\"op\":\"rmtree\",\"path\":\"/\"}",
		"{\"op\":\"rmtree\",\"path\":\"/srv/data\"}",
		"{\"op\":\"rmtree\",\"path\":\"RUNTIME/..\"}",
		"{\"op\":\"rmtree\",\"path\":\"/var/lib/labctl/netns/00000000\"}",
		"{\"op\":\"rmtree\",\"path\":\"STATE\"}",
		"{\"op\":\"rmtree\",\"path\":\"relative\"}",
		"{\"op\":\"rmdir\",\"path\":\"/var/lib\"}",
		"{\"op\":\"rmdir\",\"path\":\"/home/someone\"}",
		"{\"op\":\"kill\",\"pidfile\":\"/run/sshd.pid\",\"match\":\"sshd\"}",
		"{\"op\":\"kill\",\"pidfile\":\"RUNTIME/../../x/sshd.pid\",\"match\":\"RUNTIME/x\"}",
		"{\"op\":\"kill\",\"pidfile\":\"RUNTIME/d/sshd.pid\",\"match\":\"sshd\"}",
		"{\"op\":\"link\",\"name\":\"eth0\"}",
		"{\"op\":\"link\",\"name\":\"lc00000000\"}",
		"{\"op\":\"netns\",\"name\":\"docker-ns\"}",
		"{\"op\":\"netns\",\"name\":\"labctl-HASH-\"}",
		"{\"op\":\"netns\",\"name\":\"labctl-HASH-d\",\"veth\":\"eth0\"}",
		"{\"op\":\"umount\",\"path\":\"/mnt\"}",
		"{\"op\":\"umount\",\"path\":\"RUNTIME\"}",
		"{\"op\":\"forward\",\"tool\":\"iptables-nft\",\"family\":\"ip\",\"table\":\"filter\",\"chain\":\"FORWARD\",\"bridge\":\"lc00000000\"}",
		"{\"op\":\"libvirt\",\"uri\":\"test:///default\",\"kind\":\"domain\",\"name\":\"production-db\"}",
		"{\"op\":\"libvirt\",\"uri\":\"test:///default\",\"kind\":\"pool\",\"name\":\"default\"}",
		"{\"op\":\"libvirt\",\"uri\":\"test:///default\",\"kind\":\"network\",\"name\":\"labctl-HASH-x\"}",
		"{\"op\":\"libvirt\",\"uri\":\"test:///default\",\"kind\":\"volume\",\"name\":\"disk.qcow2\",\"pool\":\"default\"}",
		"{\"op\":\"libvirt\",\"uri\":\"test:///default\",\"kind\":\"dhcp-host\",\"name\":\"default\",\"mac\":\"52:54:00:12:34:56\",\"host\":\"d\"}",
	};

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(refused); i++) {
		g_autofree char *json = lab_json(refused[i]);
		g_autoptr(GError) error = NULL;

		if (undo(json, &error))
			fail_msg("accepted: %s", json);
		if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED) &&
		    !g_error_matches(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT))
			fail_msg("%s: %s", json, error->message);
		if (i >= 2 && !strstr(error->message, "which is not this lab's: refused, and nothing was run"))
			fail_msg("%s: %s", json, error->message);
	}
}

/* Local commands: input, output, exit status, and a bound on their time. */
static void test_exec(void **state)
{
	const char *cat[] = { "cat", NULL };
	const char *fail[] = { "sh", "-c", "echo why >&2; exit 7", NULL };
	const char *slow[] = { "sleep", "30", NULL };
	/* a child that keeps the pipes open after its parent was killed */
	const char *holder[] = { "sh", "-c", "sleep 30 & sleep 30", NULL };
	g_autoptr(GError) error = NULL;
	g_autofree char *out = NULL;
	gint64 t0;
	int status = -5;

	(void)state;
	assert_true(provider_exec(cat, "it's $(verbatim)\n", 5, &out, NULL, &error));
	assert_string_equal(out, "it's $(verbatim)\n");
	assert_false(provider_exec(fail, NULL, 5, NULL, NULL, &error));
	assert_string_equal(error->message, "'sh -c echo why >&2; exit 7' failed: why");
	g_clear_error(&error);
	assert_true(provider_exec(fail, NULL, 5, NULL, &status, &error));
	assert_int_equal(status, 7);
	for (int i = 0; i < 2; i++) {
		t0 = g_get_monotonic_time();
		assert_false(provider_exec(i ? holder : slow, NULL, 1, NULL, NULL, &error));
		assert_true(g_error_matches(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT));
		assert_non_null(strstr(error->message, "did not finish within 1 s and was killed"));
		g_clear_error(&error);
		assert_true(g_get_monotonic_time() - t0 < 10 * G_USEC_PER_SEC);
	}
}

/*
 * A command started without a copy of labctl: its input whole (more than
 * a pipe holds), its standard error in the message, a bound on its time,
 * and no descriptor of labctl's but the standard ones.
 */
static void test_exec_alone(void **state)
{
	const char *fail[] = { "sh", "-c", "echo why >&2; exit 7", NULL };
	const char *slow[] = { "sleep", "30", NULL };
	const char *none[] = { "labctl-no-such-command", NULL };
	g_autofree char *big = g_strnfill(200000, 'x');
	g_autofree char *count = g_strdup_printf("test \"$(wc -c)\" -eq %d", 200000);
	const char *counts[] = { "sh", "-c", count, NULL };
	g_autofree char *fd_test = NULL;
	g_autoptr(GError) error = NULL;
	int fd = open("/dev/null", O_RDONLY);

	(void)state;
	assert_true(fd > 2);
	assert_true(provider_exec_alone(counts, big, 5, &error));
	fd_test = g_strdup_printf("test ! -e /proc/$$/fd/%d && test -e /proc/$$/fd/2", fd);
	{
		const char *no_leak[] = { "sh", "-c", fd_test, NULL };

		assert_true(provider_exec_alone(no_leak, NULL, 5, &error));
	}
	close(fd);
	assert_false(provider_exec_alone(fail, NULL, 5, &error));
	assert_string_equal(error->message, "'sh -c echo why >&2; exit 7' failed: why");
	g_clear_error(&error);
	assert_false(provider_exec_alone(none, NULL, 5, &error));
	/* ENOENT from posix_spawnp, or (under valgrind, which forks for it) exit 127 */
	assert_true(g_str_has_prefix(error->message, "'labctl-no-such-command'"));
	g_clear_error(&error);
	assert_false(provider_exec_alone(slow, NULL, 1, &error));
	assert_true(g_error_matches(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT));
	assert_non_null(strstr(error->message, "'sleep 30' did not finish within 1 s and was killed"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_foreign_objects, lab_setup, lab_teardown),
		cmocka_unit_test(test_exec),
		cmocka_unit_test(test_exec_alone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
