/*
 * test_journal.c - a state directory or journal that belongs to someone
 * else is refused; the test gives them to nobody, which takes root (the
 * other refusals are in tests/unit/test_journal.c)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <glib/gstdio.h>

#include "labctl/journal.h"
#include "system.h"

/* nobody, for files that must belong to someone else */
#define OTHER_UID 65534

static char *tmpdir;

static int make_dir(void **state)
{
	(void)state;
	tmpdir = g_dir_make_tmp("labctl-journal-XXXXXX", NULL);
	return tmpdir ? 0 : -1;
}

static void rm_rf(const char *path)
{
	const char *argv[] = { "rm", "-rf", path, NULL };

	g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
}

static int remove_dir(void **state)
{
	(void)state;
	rm_rf(tmpdir);
	g_clear_pointer(&tmpdir, g_free);
	return 0;
}

static void make_journal(const char *dir)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonObject) rec = json_object_new();
	struct journal *j = journal_open(dir, &error);

	if (!j)
		fail_msg("journal_open '%s': %s", dir, error->message);
	json_object_set_string_member(rec, "action", "create-volume");
	if (!journal_append(j, rec, &error))
		fail_msg("journal_append: %s", error->message);
	journal_close(j);
}

static void prep_dir_other_owner(const char *dir)
{
	assert_int_equal(g_mkdir(dir, 0700), 0);
	assert_int_equal(chown(dir, OTHER_UID, OTHER_UID), 0);
}

static void prep_journal_other_owner(const char *dir)
{
	g_autofree char *file = g_build_filename(dir, "journal.jsonl", NULL);

	make_journal(dir);
	assert_int_equal(chown(file, OTHER_UID, OTHER_UID), 0);
}

static void test_other_owner(void **state)
{
	static const struct {
		const char *name;
		void (*prepare)(const char *dir);
		const char *expect;	/* the message after tmpdir/ */
	} cases[] = {
		{ "dir owner", prep_dir_other_owner,
		  "state directory 'case' belongs to uid 65534, not to uid 0; choose another with --state-dir" },
		{ "journal owner", prep_journal_other_owner,
		  "journal 'case/journal.jsonl' belongs to uid 65534, not to uid 0; remove it if no lab is up" },
	};

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *dir = g_build_filename(tmpdir, "case", NULL);
		g_autofree char *prefix = g_strconcat(tmpdir, "/", NULL);
		g_autoptr(GError) error = NULL;
		g_autoptr(GString) got = NULL;
		struct journal *j;

		cases[i].prepare(dir);
		j = journal_open(dir, &error);
		if (j)
			fail_msg("case '%s': opened", cases[i].name);
		assert_true(g_error_matches(error, JOURNAL_ERROR, JOURNAL_ERROR_UNSAFE));
		/* the directory is random: compare without it */
		got = g_string_new(error->message);
		g_string_replace(got, prefix, "", 0);
		if (strcmp(got->str, cases[i].expect))
			fail_msg("case '%s':\n got: %s\nwant: %s", cases[i].name, got->str,
				 cases[i].expect);
		rm_rf(dir);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_other_owner, make_dir, remove_dir),
	};

	system_need_root("test_journal", "files that belong to someone else");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
