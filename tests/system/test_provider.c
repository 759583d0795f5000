/*
 * test_provider.c - the local undo operations run for real on the lab's
 * own objects: its processes, its runtime directory under /var/lib/labctl,
 * a network namespace with a veth and a process inside (what they refuse
 * is in tests/unit/test_provider.c)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <glib/gstdio.h>

#include "labctl/provider.h"
#include "labctl/validate.h"
#include "system.h"
#include "../unit/provider_fixture.h"

/* A sleep with an argument nobody else uses, so only ours can match. */
static GPid start_sleep(const char *seconds)
{
	const char *argv[] = { "sleep", seconds, NULL };
	GPid pid;

	assert_true(g_spawn_async(NULL, (char **)argv, NULL,
				  G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
				  &pid, NULL));
	return pid;
}

static bool exited(GPid pid)
{
	int status;

	for (int i = 0; i < 50; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return true;
		g_usleep(20 * 1000);
	}
	return false;
}

static void test_kill_op(void **state)
{
	g_autofree char *dir = g_build_filename(runtime, "d", NULL);
	g_autofree char *pidfile = g_build_filename(dir, "sshd.pid", NULL);
	g_autofree char *match = g_build_filename(dir, "987.125", NULL);
	g_autofree char *text = NULL;
	g_autofree char *json = NULL;
	g_autoptr(GError) error = NULL;
	GPid pid;

	(void)state;
	assert_int_equal(g_mkdir_with_parents(dir, 0700), 0);
	/* a pid file whose process does not match: that process is not ours */
	pid = start_sleep(match);
	text = g_strdup_printf("%d\n", pid);
	assert_true(g_file_set_contents(pidfile, text, -1, NULL));
	json = g_strdup_printf("{\"op\":\"kill\",\"pidfile\":\"%s\",\"match\":\"%s/other\"}",
			       pidfile, dir);
	assert_true(undo(json, &error));
	assert_int_equal(kill(pid, 0), 0);

	/* matching: stopped */
	g_free(json);
	json = g_strdup_printf("{\"op\":\"kill\",\"pidfile\":\"%s\",\"match\":\"%s\"}", pidfile, match);
	assert_true(undo(json, &error));
	assert_true(exited(pid));

	/* the process is gone, the pid file stays: nothing to do */
	assert_true(undo(json, &error));
	g_unlink(pidfile);
	assert_true(undo(json, &error));
}

static void test_dir_ops(void **state)
{
	g_autofree char *sub = g_build_filename(runtime, "sub", NULL);
	g_autofree char *file = g_build_filename(sub, "f", NULL);
	g_autofree char *files = g_build_filename(lab.state_dir, "libvirt", NULL);
	g_autofree char *json = NULL;
	g_autoptr(GError) error = NULL;

	(void)state;
	assert_int_equal(g_mkdir_with_parents(sub, 0700), 0);
	assert_true(g_file_set_contents(file, "x", -1, NULL));
	/* rmdir leaves a directory that is not empty, and one not its to remove */
	assert_true(undo("{\"op\":\"rmdir\",\"path\":\"/var/lib/labctl/netns\"}", &error));
	assert_true(g_file_test(file, G_FILE_TEST_EXISTS));
	/* rmtree removes the lab's runtime directory, whole */
	json = g_strdup_printf("{\"op\":\"rmtree\",\"path\":\"%s\"}", runtime);
	assert_true(undo(json, &error));
	assert_false(g_file_test(runtime, G_FILE_TEST_EXISTS));
	/* the libvirt files of its state directory: the libvirt provider's alone */
	assert_int_equal(g_mkdir_with_parents(files, 0700), 0);
	g_free(json);
	json = g_strdup_printf("{\"op\":\"rmtree\",\"path\":\"%s\"}", files);
	assert_false(undo(json, &error));
	assert_true(g_error_matches(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED));
	g_clear_error(&error);
	assert_true(g_file_test(files, G_FILE_TEST_IS_DIR));
	{
		g_autoptr(JsonObject) o = op(json);

		assert_true(provider_undo(&provider_libvirt, &lab, o, &error));
	}
	assert_false(g_file_test(files, G_FILE_TEST_EXISTS));
}

static bool sh(const char *cmd)
{
	const char *argv[] = { "sh", "-c", cmd, NULL };
	gint status;

	return g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL,
			    NULL, &status, NULL) && g_spawn_check_wait_status(status, NULL);
}

static void test_netns_op(void **state)
{
	g_autofree char *ns = g_strdup_printf("labctl-%s-unit", lab.hash);
	g_autofree char *veth = g_strdup_printf("lc%sv7", lab.hash);
	g_autofree char *setup = NULL;
	g_autofree char *json = NULL;
	g_autofree char *dev = g_strdup_printf("/sys/class/net/%s", veth);
	g_autofree char *nspath = g_strdup_printf("/run/netns/%s", ns);
	g_autoptr(GError) error = NULL;

	(void)state;
	/* a namespace with a veth and a process inside, as a node has */
	setup = g_strdup_printf("ip netns add %s && ip link add %s type veth peer name eth0 netns %s && "
				"(ip netns exec %s sleep 986.25 >/dev/null 2>&1 &)", ns, veth, ns, ns);
	assert_true(sh(setup));
	for (int i = 0; i < 50 && !sh("pgrep -f '^sleep 986.25$' >/dev/null"); i++)
		g_usleep(20 * 1000);
	assert_true(sh("pgrep -f '^sleep 986.25$' >/dev/null"));

	json = g_strdup_printf("{\"op\":\"netns\",\"name\":\"%s\",\"veth\":\"%s\"}", ns, veth);
	if (!undo(json, &error))
		fail_msg("%s", error->message);
	assert_false(g_file_test(dev, G_FILE_TEST_EXISTS));
	assert_false(g_file_test(nspath, G_FILE_TEST_EXISTS));
	assert_false(sh("pgrep -f '^sleep 986.25$' >/dev/null"));
	/* a second time there is nothing to do */
	assert_true(undo(json, &error));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_kill_op, lab_setup, lab_teardown),
		cmocka_unit_test_setup_teardown(test_dir_ops, lab_setup, lab_teardown),
		cmocka_unit_test_setup_teardown(test_netns_op, lab_setup, lab_teardown),
	};

	system_need_root("test_provider", "/var/lib/labctl, network namespaces");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
