/*
 * test_fuzz_regress.c - the fuzzers' inputs, replayed on every "make unit"
 *
 * Every input a fuzz target once crashed on is kept in
 * tests/data/fuzz/TARGET/ and goes through the target's own entry point
 * (tests/fuzz/targets.c, compiled in here with the ordinary compiler), as
 * do the seed files the fuzzers start from: the invariants the targets
 * check (diagnostics name file and line, a valid spec has a plan, quoting
 * reads back verbatim) then hold for them on every build, sanitizers or
 * not.  A broken invariant aborts, which fails this test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "../fuzz/targets.c"

static const char *srcdir(void)
{
	const char *s = getenv("LABCTL_SRCDIR");

	return s && *s ? s : ".";
}

/* g_ptr_array_sort hands the comparison pointers to the elements */
static gint str_ptr_cmp(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Feeds every file of directory @dir (relative to the source tree) ending
 * in @suffix to @fn; returns how many.
 */
static guint replay_dir(const char *dir, const char *suffix,
			int (*fn)(const uint8_t *, size_t))
{
	g_autofree char *path = g_build_filename(srcdir(), dir, NULL);
	g_autoptr(GDir) d = g_dir_open(path, 0, NULL);
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	const char *name;
	guint n = 0;

	while (d && (name = g_dir_read_name(d)))
		if (!suffix || g_str_has_suffix(name, suffix))
			g_ptr_array_add(names, g_strdup(name));
	g_ptr_array_sort(names, str_ptr_cmp);
	for (guint i = 0; i < names->len; i++) {
		g_autofree char *file = g_build_filename(path, g_ptr_array_index(names, i), NULL);
		g_autofree char *data = NULL;
		gsize len;

		if (!g_file_get_contents(file, &data, &len, NULL))
			fail_msg("cannot read %s", file);
		print_message("%s\n", file + strlen(srcdir()) + 1);
		fn((const uint8_t *)data, len);
		n++;
	}
	return n;
}

/* tests/data/fuzz/TARGET/: absent until the target finds something */
static guint replay_crashers(const char *target, int (*fn)(const uint8_t *, size_t))
{
	g_autofree char *dir = g_build_filename("tests/data/fuzz", target, NULL);

	return replay_dir(dir, NULL, fn);
}

static void test_spec(void **state)
{
	(void)state;
	replay_crashers("spec", fuzz_spec);
	assert_true(replay_dir("examples", ".yaml", fuzz_spec) >= 3);
	assert_true(replay_dir("tests/data/invalid", ".yaml", fuzz_spec) >= 35);
}

static void test_template(void **state)
{
	(void)state;
	replay_crashers("template", fuzz_template);
	assert_true(replay_dir("templates", NULL, fuzz_template) >= 5);
}

static void test_vagrant(void **state)
{
	(void)state;
	replay_crashers("vagrant", fuzz_vagrant);
	assert_true(replay_dir("tests/data/vagrant", NULL, fuzz_vagrant) >= 5);
}

static void test_conformance(void **state)
{
	(void)state;
	replay_crashers("conformance", fuzz_conformance);
	assert_true(replay_dir("tests/data/conformance", ".txt", fuzz_conformance) >= 2);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec),
		cmocka_unit_test(test_template),
		cmocka_unit_test(test_vagrant),
		cmocka_unit_test(test_conformance),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
