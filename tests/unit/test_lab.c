/*
 * test_lab.c - the lab module without root: state directories, what
 * lab_open refuses before anything is made, the lock, and an up whose node
 * does not answer, taken down again without a trace
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <glib/gstdio.h>

#include "labctl/engine.h"
#include "labctl/lab.h"
#include "labctl/validate.h"

/*
 * A static lab of one disk at 127.0.0.1 on port 1, where nothing listens:
 * labctl reaches it and is refused at once.
 */
#define SPEC(chap) \
	"lab: t\nprovider: {type: static}\nssh: {port: 1}\nnodes:\n" \
	"  - name: d\n    role: disk\n    address: 127.0.0.1\n" \
	"    target:\n      luns: [{name: l, image: /srv/l.img, size: 1MiB}]\n" chap

struct fx {
	char *dir;              /* a fresh directory for the spec and the state */
	char *state;
	struct lab_spec *spec;
	FILE *out;              /* progress, kept for a look */
};

static void fx_init(struct fx *f, const char *text)
{
	g_autoptr(GPtrArray) diags = diags_new();
	g_autofree char *file = NULL;

	f->dir = g_dir_make_tmp("labctl-lab-XXXXXX", NULL);
	assert_non_null(f->dir);
	file = g_build_filename(f->dir, "t.yaml", NULL);
	assert_true(g_file_set_contents(file, text, -1, NULL));
	f->spec = spec_load(file, diags);
	assert_non_null(f->spec);
	assert_true(validate_spec(f->spec, diags));
	f->state = lab_state_dir(f->spec, NULL);
	f->out = tmpfile();
	assert_non_null(f->out);
}

static void fx_clear(struct fx *f)
{
	g_autofree char *file = g_build_filename(f->dir, "t.yaml", NULL);

	g_unlink(file);
	/* the lab's state went with its down: the directory is empty again */
	assert_int_equal(g_rmdir(f->dir), 0);
	spec_free(f->spec);
	fclose(f->out);
	g_free(f->state);
	g_free(f->dir);
}

static void test_state_dir(void **state)
{
	struct fx f;
	g_autofree char *want = NULL;
	g_autofree char *given = NULL;

	(void)state;
	fx_init(&f, SPEC(""));
	want = g_build_filename(f.dir, ".labctl", "t", NULL);
	assert_string_equal(f.state, want);
	/* given: made absolute, so that ssh_config works from anywhere */
	given = lab_state_dir(f.spec, "rel/dir");
	assert_true(g_path_is_absolute(given));
	assert_true(g_str_has_suffix(given, "/rel/dir"));
	assert_false(lab_is_up(f.state));
	fx_clear(&f);
}

/* A secret that cannot be read is found before anything is made. */
static void test_missing_secret(void **state)
{
	struct fx f;
	g_autoptr(GError) error = NULL;
	struct lab *lab;

	(void)state;
	g_unsetenv("LABCTL_TEST_NO_SUCH_SECRET");
	fx_init(&f, SPEC("      chap: {user: u, password: {env: LABCTL_TEST_NO_SUCH_SECRET}}\n"));
	lab = lab_open(f.spec, f.state, LAB_OPEN_SECRETS, &error);
	assert_null(lab);
	assert_true(g_error_matches(error, LAB_ERROR, LAB_ERROR_INVALID));
	assert_non_null(strstr(error->message, "LABCTL_TEST_NO_SUCH_SECRET"));
	assert_false(g_file_test(f.state, G_FILE_TEST_EXISTS));
	/* down needs no secrets: it opens, and finds nothing to do */
	g_clear_error(&error);
	lab = lab_open(f.spec, f.state, 0, &error);
	if (!lab)
		fail_msg("%s", error->message);
	{
		struct lab_opts o = { .out = f.out };
		struct lab_down_result r;

		assert_true(lab_down(lab, TEARDOWN_STOP, false, &o, NULL, &r, &error));
		assert_int_equal(r.steps, 0);
		assert_true(r.removed);
		lab_down_result_clear(&r);
	}
	lab_close(lab);
	assert_false(g_file_test(f.state, G_FILE_TEST_EXISTS));
	fx_clear(&f);
}

/* One labctl at a time per lab. */
static void test_busy(void **state)
{
	struct fx f;
	g_autoptr(GError) error = NULL;
	g_autoptr(lab_handle) first = NULL;
	struct lab *second;
	struct lab_opts o = { 0 };
	struct lab_down_result r;

	(void)state;
	fx_init(&f, SPEC(""));
	first = lab_open(f.spec, f.state, LAB_OPEN_SECRETS, &error);
	assert_non_null(first);
	second = lab_open(f.spec, f.state, LAB_OPEN_SECRETS, &error);
	assert_null(second);
	assert_true(g_error_matches(error, LAB_ERROR, LAB_ERROR_BUSY));
	o.out = f.out;
	assert_true(lab_down(first, TEARDOWN_STOP, false, &o, NULL, &r, NULL));
	lab_down_result_clear(&r);
	fx_clear(&f);
}

/*
 * up on a node that does not answer: an error that says so, no results,
 * and the journal records nothing to undo, so that down removes it all.
 */
static void test_up_unreachable(void **state)
{
	struct fx f;
	g_autoptr(GError) error = NULL;
	g_autoptr(lab_handle) lab = NULL;
	g_autoptr(GCancellable) cancel = g_cancellable_new();
	struct lab_run run;
	struct lab_status st;
	struct lab_down_result r;
	struct lab_opts o = { .jobs = 0 };

	(void)state;
	fx_init(&f, SPEC(""));
	o.out = f.out;
	o.cancel = cancel;
	lab = lab_open(f.spec, f.state, LAB_OPEN_SECRETS, &error);
	assert_non_null(lab);
	assert_false(lab_up(lab, "t.yaml", &o, &run, &error));
	assert_true(g_error_matches(error, LAB_ERROR, LAB_ERROR_UNREACHABLE));
	assert_non_null(strstr(error->message, "127.0.0.1"));
	assert_null(run.results);
	assert_null(run.shown);
	lab_run_clear(&run);
	assert_false(lab_is_up(f.state));
	/* status reads the journal: an "up" record, nothing standing */
	assert_true(lab_status(f.spec, f.state, &st, NULL));
	assert_int_equal(st.steps->len, 0);
	assert_int_equal(st.n_nodes, 1);
	assert_string_equal(st.nodes[0].name, "d");
	assert_false(st.nodes[0].reachable);
	lab_status_clear(&st);
	g_clear_error(&error);
	assert_true(lab_down(lab, TEARDOWN_FORCE, false, &o, NULL, &r, &error));
	assert_int_equal(r.failed, 0);
	assert_true(r.removed);
	lab_down_result_clear(&r);
	g_clear_pointer(&lab, lab_close);
	assert_false(g_file_test(f.state, G_FILE_TEST_EXISTS));
	fx_clear(&f);
}

/* check on a lab that reaches nothing fails before any task, as up does. */
static void test_access(void **state)
{
	struct fx f;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) access = NULL;

	(void)state;
	fx_init(&f, SPEC(""));
	access = lab_access(f.spec, f.state, &error);
	assert_non_null(access);
	assert_int_equal(access->len, 1);
	/* changing nothing */
	assert_false(g_file_test(f.state, G_FILE_TEST_EXISTS));
	fx_clear(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_dir),
		cmocka_unit_test(test_missing_secret),
		cmocka_unit_test(test_busy),
		cmocka_unit_test(test_up_unreachable),
		cmocka_unit_test(test_access),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
