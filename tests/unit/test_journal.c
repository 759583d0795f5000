/*
 * test_journal.c - the journal on real files: order, seq, modes, refusals,
 * locking across processes, torn and corrupt lines, and a writer killed
 * at a random point (a state directory or journal of another owner is
 * refused: tests/system/test_journal.c)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <glib/gstdio.h>

#include "labctl/journal.h"

static char *tmpdir;

static int make_dir(void **state)
{
	(void)state;
	tmpdir = g_dir_make_tmp("labctl-journal-XXXXXX", NULL);
	return tmpdir ? 0 : -1;
}

static void rm_rf(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return;
	if (S_ISDIR(st.st_mode)) {
		g_autoptr(GDir) d = NULL;
		const char *name;

		chmod(path, 0700);
		d = g_dir_open(path, 0, NULL);
		while (d && (name = g_dir_read_name(d))) {
			g_autofree char *sub = g_build_filename(path, name, NULL);

			rm_rf(sub);
		}
		g_rmdir(path);
	} else {
		g_remove(path);
	}
}

static int remove_dir(void **state)
{
	(void)state;
	rm_rf(tmpdir);
	g_clear_pointer(&tmpdir, g_free);
	return 0;
}

static char *tmp_path(const char *rel)
{
	return g_build_filename(tmpdir, rel, NULL);
}

/*
 * For the paths a forked child uses: it leaves with _exit, and a heap copy
 * that only the parent's frame points to would look leaked to valgrind.
 */
static void tmp_path_buf(char *buf, size_t size, const char *rel)
{
	assert_true((size_t)g_snprintf(buf, size, "%s/%s", tmpdir, rel) < size);
}

static struct journal *open_ok(const char *dir)
{
	g_autoptr(GError) error = NULL;
	struct journal *j = journal_open(dir, &error);

	if (!j)
		fail_msg("journal_open '%s': %s", dir, error->message);
	return j;
}

static void append_ok(struct journal *j, int n)
{
	g_autoptr(JsonObject) rec = json_object_new();
	g_autoptr(GError) error = NULL;

	json_object_set_string_member(rec, "action", "create-volume");
	json_object_set_int_member(rec, "n", n);
	if (!journal_append(j, rec, &error))
		fail_msg("journal_append %d: %s", n, error->message);
}

static GPtrArray *read_ok(const char *dir)
{
	g_autoptr(GError) error = NULL;
	GPtrArray *records = journal_read(dir, &error);

	if (!records)
		fail_msg("journal_read '%s': %s", dir, error->message);
	return records;
}

/*
 * @records hold the header that binds the journal to @dir, then @n records:
 * seq 1..@n+1 in order, each with a time that parses.
 */
static void check_seq_of(GPtrArray *records, guint n, const char *dir)
{
	JsonObject *h;
	g_autofree char *hash = journal_lab_hash(dir);

	assert_int_equal(records->len, n + 1);
	h = g_ptr_array_index(records, 0);
	assert_string_equal(json_object_get_string_member(h, "type"), "lab");
	assert_string_equal(json_object_get_string_member(h, "state_dir"), dir);
	assert_string_equal(json_object_get_string_member(h, "hash"), hash);
	assert_int_equal(strlen(json_object_get_string_member(h, "lab_id")), 32);
	for (guint i = 0; i < n + 1; i++) {
		JsonObject *r = g_ptr_array_index(records, i);
		g_autoptr(GDateTime) t = NULL;

		assert_int_equal(json_object_get_int_member(r, "seq"), i + 1);
		assert_true(json_object_has_member(r, "time"));
		t = g_date_time_new_from_iso8601(json_object_get_string_member(r, "time"), NULL);
		assert_non_null(t);
		assert_int_equal(g_date_time_get_utc_offset(t), 0);
	}
}

#define check_seq(records, n) check_seq_of(records, n, dir)

static void append_raw(const char *file, const char *data, size_t len)
{
	int fd = open(file, O_WRONLY | O_APPEND | O_CREAT, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void test_append_read(void **state)
{
	g_autofree char *dir = tmp_path("state");
	g_autofree char *file = tmp_path("state/journal.jsonl");
	g_autofree char *text = NULL;
	g_autoptr(GPtrArray) records = NULL;
	g_autoptr(GPtrArray) own = NULL;
	g_autoptr(JsonObject) rec = json_object_new();
	g_autoptr(JsonObject) nested = json_object_new();
	g_auto(GStrv) lines = NULL;
	struct journal *j;

	(void)state;
	j = open_ok(dir);
	assert_string_equal(journal_dir(j), dir);
	for (int i = 1; i <= 4; i++)
		append_ok(j, i);
	/* the caller's "seq" and "time" give way; the record is not consumed */
	json_object_set_int_member(rec, "seq", 99);
	json_object_set_string_member(rec, "time", "yesterday");
	json_object_set_string_member(nested, "iqn", "iqn.2024-01.lab:disk\n'1'");
	json_object_set_object_member(rec, "target", json_object_ref(nested));
	assert_true(journal_append(j, rec, NULL));
	assert_int_equal(json_object_get_int_member(rec, "seq"), 99);
	assert_string_equal(json_object_get_string_member(rec, "time"), "yesterday");

	records = read_ok(dir);
	check_seq(records, 5);
	for (guint i = 0; i < 4; i++) {
		JsonObject *r = g_ptr_array_index(records, i + 1);

		assert_string_equal(json_object_get_string_member(r, "action"), "create-volume");
		assert_int_equal(json_object_get_int_member(r, "n"), i + 1);
	}
	assert_string_equal(json_object_get_string_member(
		json_object_get_object_member(g_ptr_array_index(records, 5), "target"), "iqn"),
		"iqn.2024-01.lab:disk\n'1'");

	own = journal_records(j, NULL);
	assert_non_null(own);
	check_seq(own, 5);
	journal_close(j);

	/* one record a line, seq and time first */
	assert_true(g_file_get_contents(file, &text, NULL, NULL));
	lines = g_strsplit(text, "\n", -1);
	assert_int_equal(g_strv_length(lines), 7);
	assert_string_equal(lines[6], "");
	assert_true(g_str_has_prefix(lines[0], "{\"seq\":1,\"time\":\""));
	assert_true(g_str_has_prefix(lines[1], "{\"seq\":2,\"time\":\""));
	assert_string_equal(journal_lab_id(j = open_ok(dir)),
			    json_object_get_string_member(g_ptr_array_index(records, 0), "lab_id"));
	journal_close(j);
}

static void test_reopen_continues(void **state)
{
	g_autofree char *dir = tmp_path("state");
	g_autoptr(GPtrArray) records = NULL;
	struct journal *j;

	(void)state;
	j = open_ok(dir);
	for (int i = 1; i <= 3; i++)
		append_ok(j, i);
	journal_close(j);
	j = open_ok(dir);
	for (int i = 4; i <= 5; i++)
		append_ok(j, i);
	journal_close(j);
	records = read_ok(dir);
	check_seq(records, 5);
}

static void test_modes(void **state)
{
	g_autofree char *dir = tmp_path("a/b/state");
	g_autofree char *parent = tmp_path("a/b");
	g_autofree char *file = tmp_path("a/b/state/journal.jsonl");
	g_autofree char *lock = tmp_path("a/b/state/lock");
	g_autofree char *pid = NULL;
	g_autofree char *want = g_strdup_printf("%d\n", (int)getpid());
	struct journal *j;
	struct stat st;
	mode_t old;

	(void)state;
	/* the modes are the journal's doing, not the umask's */
	old = umask(0);
	j = open_ok(dir);
	umask(old);
	append_ok(j, 1);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(stat(parent, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(stat(lock, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	/* the holder's pid, for the message of whoever is refused */
	assert_true(g_file_get_contents(lock, &pid, NULL, NULL));
	assert_string_equal(pid, want);
	journal_close(j);
}

/* One refusal: what to set up under tmpdir, and the message it earns. */
struct unsafe_case {
	const char *name;
	const char *open;	/* what to open, under tmpdir */
	void (*prepare)(const char *dir);
	const char *expect;	/* the message after tmpdir/ */
};

static void make_journal(const char *dir)
{
	struct journal *j = open_ok(dir);

	append_ok(j, 1);
	journal_close(j);
}

static void prep_dir_0777(const char *dir)
{
	assert_int_equal(g_mkdir(dir, 0700), 0);
	assert_int_equal(chmod(dir, 0777), 0);
}

static void prep_dir_0770(const char *dir)
{
	assert_int_equal(g_mkdir(dir, 0700), 0);
	assert_int_equal(chmod(dir, 0770), 0);
}

static void prep_dir_symlink(const char *dir)
{
	g_autofree char *real = tmp_path("real");

	assert_int_equal(g_mkdir(real, 0700), 0);
	assert_int_equal(symlink(real, dir), 0);
}

static void prep_journal_0666(const char *dir)
{
	g_autofree char *file = g_build_filename(dir, "journal.jsonl", NULL);

	make_journal(dir);
	assert_int_equal(chmod(file, 0666), 0);
}

static void prep_journal_symlink(const char *dir)
{
	g_autofree char *file = g_build_filename(dir, "journal.jsonl", NULL);
	g_autofree char *elsewhere = tmp_path("elsewhere.jsonl");

	assert_int_equal(g_mkdir(dir, 0700), 0);
	append_raw(elsewhere, "", 0);
	assert_int_equal(symlink(elsewhere, file), 0);
}

static void test_unsafe(void **state)
{
	static const struct unsafe_case cases[] = {
		{ "dir 0777", "case", prep_dir_0777,
		  "state directory 'case' is writable by others; chmod go-w it or choose another with --state-dir" },
		{ "dir 0770", "case", prep_dir_0770,
		  "state directory 'case' is writable by others; chmod go-w it or choose another with --state-dir" },
		{ "dir symlink", "case", prep_dir_symlink,
		  "state directory 'case' is a symbolic link; choose another with --state-dir" },
		/* a trailing slash must not make lstat follow the link */
		{ "dir symlink/", "case/", prep_dir_symlink,
		  "state directory 'case' is a symbolic link; choose another with --state-dir" },
		{ "journal 0666", "case", prep_journal_0666,
		  "journal 'case/journal.jsonl' is writable by others; chmod go-w it or remove it if no lab is up" },
		{ "journal symlink", "case", prep_journal_symlink,
		  "journal 'case/journal.jsonl' is a symbolic link; remove it if no lab is up" },
	};

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *dir = tmp_path("case");
		g_autofree char *real = tmp_path("real");
		g_autofree char *elsewhere = tmp_path("elsewhere.jsonl");
		g_autofree char *target = tmp_path(cases[i].open);
		g_autofree char *prefix = g_strconcat(tmpdir, "/", NULL);
		g_autoptr(GError) error = NULL;
		g_autoptr(GString) got = NULL;
		struct journal *j;

		cases[i].prepare(dir);
		j = journal_open(target, &error);
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
		rm_rf(real);
		rm_rf(elsewhere);
	}
}

static void test_busy_same_process(void **state)
{
	g_autofree char *dir = tmp_path("state");
	g_autofree char *want = NULL;
	g_autoptr(GError) error = NULL;
	struct journal *j, *again;

	(void)state;
	j = open_ok(dir);
	/* flock belongs to the open file description: a second open conflicts */
	again = journal_open(dir, &error);
	assert_null(again);
	assert_true(g_error_matches(error, JOURNAL_ERROR, JOURNAL_ERROR_BUSY));
	want = g_strdup_printf("lab state '%s' is in use by labctl pid %d", dir, (int)getpid());
	assert_string_equal(error->message, want);
	/* the refused open left the holder's journal alone */
	append_ok(j, 1);
	journal_close(j);

	j = open_ok(dir);
	append_ok(j, 2);
	journal_close(j);
	{
		g_autoptr(GPtrArray) records = read_ok(dir);

		check_seq(records, 2);
	}
}

static void test_busy_child(void **state)
{
	char dir[PATH_MAX];
	g_autofree char *want = NULL;
	g_autoptr(GError) error = NULL;
	int ready[2], go[2];
	struct journal *j;
	char c = 0;
	int status;
	pid_t pid;

	(void)state;
	tmp_path_buf(dir, sizeof(dir), "state");
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(go), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct journal *cj;

		close(ready[0]);
		close(go[1]);
		cj = journal_open(dir, NULL);
		if (!cj)
			_exit(2);
		if (write(ready[1], "x", 1) != 1)
			_exit(3);
		/* hold the lock until the parent has been refused */
		if (read(go[0], &c, 1) != 1)
			_exit(4);
		journal_close(cj);
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	assert_int_equal(read(ready[0], &c, 1), 1);

	assert_null(journal_open(dir, &error));
	assert_true(g_error_matches(error, JOURNAL_ERROR, JOURNAL_ERROR_BUSY));
	want = g_strdup_printf("lab state '%s' is in use by labctl pid %d", dir, (int)pid);
	assert_string_equal(error->message, want);

	assert_int_equal(write(go[1], "x", 1), 1);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	close(ready[0]);
	close(go[1]);

	/* the child is gone, and so is its lock */
	j = open_ok(dir);
	journal_close(j);
}

struct torn_case {
	const char *name;
	const char *tail;
	size_t len;
};

static void test_torn_tail(void **state)
{
	/* what a crash can leave after the last complete record */
	static const struct torn_case cases[] = {
#define S(text) text, sizeof(text) - 1
		{ "cut short", S("{\"seq\":4,\"time\":\"2024-") },
		{ "zero-filled", S("\0\0\0\0\0\0\0\0") },
		{ "bad last line", S("{\"seq\":4,\"ti\n") },
		{ "empty last line", S("\n") },
#undef S
	};

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *dir = tmp_path("state");
		g_autofree char *file = tmp_path("state/journal.jsonl");
		g_autofree char *text = NULL;
		g_autoptr(GPtrArray) before = NULL;
		g_autoptr(GPtrArray) after = NULL;
		struct journal *j;
		gsize len;

		j = open_ok(dir);
		for (int n = 1; n <= 3; n++)
			append_ok(j, n);
		journal_close(j);
		append_raw(file, cases[i].tail, cases[i].len);

		before = read_ok(dir);
		check_seq(before, 3);

		/* journal_open cuts the tail off; the next record is whole */
		j = open_ok(dir);
		append_ok(j, 4);
		journal_close(j);
		after = read_ok(dir);
		check_seq(after, 4);
		assert_true(g_file_get_contents(file, &text, &len, NULL));
		assert_int_equal(strlen(text), len);
		assert_int_equal(text[len - 1], '\n');
		assert_null(strstr(text, "2024-\n"));
		assert_null(strstr(text, "\"ti\n"));
		assert_null(strstr(text, "\n\n"));
		rm_rf(dir);
	}
}

struct corrupt_case {
	const char *text;
	unsigned line;
};

static void test_corrupt(void **state)
{
	static const struct corrupt_case cases[] = {
		{ "{\"seq\":1}\noops\n{\"seq\":3}\n", 2 },
		{ "{\"seq\":1}\n[1,2]\n{\"seq\":3}\n", 2 },
		{ "\n{\"seq\":2}\n", 1 },
		/* only the last line may be torn, not the one before it */
		{ "{\"seq\":1}\n{\"seq\":2,\n{\"seq\":3,\"ti", 2 },
		{ "{\"seq\":1}\n{\"seq\":2}\n{\"s\n{\"seq\":4}\n", 3 },
	};

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *dir = tmp_path("state");
		g_autofree char *file = tmp_path("state/journal.jsonl");
		g_autofree char *want = g_strdup_printf("%s:%u: ", file, cases[i].line);
		g_autoptr(GError) error = NULL;
		g_autoptr(GError) open_error = NULL;

		assert_int_equal(g_mkdir(dir, 0700), 0);
		append_raw(file, cases[i].text, strlen(cases[i].text));
		assert_null(journal_read(dir, &error));
		assert_true(g_error_matches(error, JOURNAL_ERROR, JOURNAL_ERROR_CORRUPT));
		if (!g_str_has_prefix(error->message, want))
			fail_msg("case %zu: '%s' does not start with '%s'", i, error->message, want);
		/* nothing is appended to a journal that cannot be undone */
		assert_null(journal_open(dir, &open_error));
		assert_true(g_error_matches(open_error, JOURNAL_ERROR, JOURNAL_ERROR_CORRUPT));
		assert_string_equal(open_error->message, error->message);
		rm_rf(dir);
	}
}

static void test_remove(void **state)
{
	g_autofree char *dir = tmp_path("state");
	g_autofree char *file = tmp_path("state/journal.jsonl");
	g_autofree char *lock = tmp_path("state/lock");
	g_autofree char *other = tmp_path("state/other");
	g_autoptr(GPtrArray) records = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonObject) rec = json_object_new();
	struct journal *j;

	(void)state;
	j = open_ok(dir);
	append_ok(j, 1);
	assert_true(g_file_set_contents(other, "mine\n", -1, NULL));
	assert_true(journal_remove(j, NULL));
	assert_false(g_file_test(file, G_FILE_TEST_EXISTS));
	assert_false(g_file_test(lock, G_FILE_TEST_EXISTS));
	assert_true(g_file_test(other, G_FILE_TEST_EXISTS));
	assert_true(g_file_test(dir, G_FILE_TEST_IS_DIR));
	records = read_ok(dir);
	assert_int_equal(records->len, 0);
	/* a record written now would be lost with the unlinked file */
	assert_false(journal_append(j, rec, &error));
	assert_true(g_error_matches(error, JOURNAL_ERROR, JOURNAL_ERROR_IO));
	journal_close(j);

	/* a new lab needs a state directory of only labctl's files */
	g_clear_error(&error);
	assert_null(journal_open(dir, &error));
	assert_true(g_error_matches(error, JOURNAL_ERROR, JOURNAL_ERROR_UNSAFE));
	assert_non_null(strstr(error->message, "holds 'other', which labctl did not write"));
	g_unlink(other);

	/* a new lab starts from seq 1 */
	j = open_ok(dir);
	append_ok(j, 1);
	journal_close(j);
	g_clear_pointer(&records, g_ptr_array_unref);
	records = read_ok(dir);
	check_seq(records, 1);
}

/* A journal is its state directory's: found anywhere else, nothing of it runs. */
static void test_foreign(void **state)
{
	g_autofree char *dir = tmp_path("state");
	g_autofree char *copy = tmp_path("copy");
	g_autofree char *old = tmp_path("old");
	g_autofree char *cmd = g_strdup_printf("cp -a '%s' '%s'", dir, copy);
	g_autofree char *want = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GError) open_error = NULL;
	struct journal *j;

	(void)state;
	make_journal(dir);
	assert_int_equal(system(cmd), 0);
	assert_null(journal_read(copy, &error));
	assert_true(g_error_matches(error, JOURNAL_ERROR, JOURNAL_ERROR_FOREIGN));
	want = g_strdup_printf("journal '%s/journal.jsonl' was written for the lab whose state "
			       "directory is '%s', not '%s' (copied or unpacked here?): labctl "
			       "runs no undo from it; take that lab down from its own place",
			       copy, dir, copy);
	assert_string_equal(error->message, want);
	assert_null(journal_open(copy, &open_error));
	assert_true(g_error_matches(open_error, JOURNAL_ERROR, JOURNAL_ERROR_FOREIGN));
	g_clear_error(&error);

	/* a journal without the header: an older labctl's, or not labctl's */
	assert_int_equal(g_mkdir(old, 0700), 0);
	{
		g_autofree char *file = g_build_filename(old, "journal.jsonl", NULL);
		const char *text = "{\"seq\":1,\"type\":\"local\",\"key\":\"x\","
				   "\"undo\":{\"op\":\"rmtree\",\"path\":\"/srv\"}}\n";

		append_raw(file, text, strlen(text));
	}
	assert_null(journal_read(old, &error));
	assert_true(g_error_matches(error, JOURNAL_ERROR, JOURNAL_ERROR_FOREIGN));
	assert_non_null(strstr(error->message, "does not start with the record that binds it"));
	j = journal_open(old, NULL);
	assert_null(j);
}

static void test_read_missing(void **state)
{
	g_autofree char *nothing = tmp_path("nothing");
	g_autoptr(GPtrArray) a = NULL;
	g_autoptr(GPtrArray) b = NULL;

	(void)state;
	a = read_ok(tmpdir);
	assert_int_equal(a->len, 0);
	b = read_ok(nothing);
	assert_int_equal(b->len, 0);
	/* reading creates nothing */
	assert_false(g_file_test(nothing, G_FILE_TEST_EXISTS));
}

#define CRASH_RECORDS 50
#define CRASH_ROUNDS 8

/* How long CRASH_RECORDS appends take here, so that kills land among them. */
static gint64 time_appends(void)
{
	g_autofree char *dir = tmp_path("timing");
	struct journal *j = open_ok(dir);
	gint64 start = g_get_monotonic_time();

	for (int i = 1; i <= CRASH_RECORDS; i++)
		append_ok(j, i);
	journal_close(j);
	rm_rf(dir);
	return MAX(g_get_monotonic_time() - start, 1000);
}

static void test_crash(void **state)
{
	gint64 span = time_appends();

	(void)state;
	for (int round = 0; round < CRASH_ROUNDS; round++) {
		char dir[PATH_MAX];
		g_autoptr(GPtrArray) records = NULL;
		g_autoptr(GPtrArray) after = NULL;
		struct journal *j;
		int ready[2];
		char c;
		int status;
		pid_t pid;

		tmp_path_buf(dir, sizeof(dir), "state");
		assert_int_equal(pipe(ready), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			struct journal *cj;

			close(ready[0]);
			cj = journal_open(dir, NULL);
			if (!cj || write(ready[1], "x", 1) != 1)
				_exit(2);
			for (int i = 1; i <= CRASH_RECORDS; i++) {
				g_autoptr(JsonObject) rec = json_object_new();

				json_object_set_string_member(rec, "action", "create-volume");
				json_object_set_int_member(rec, "n", i);
				if (!journal_append(cj, rec, NULL))
					_exit(3);
			}
			journal_close(cj);
			_exit(0);
		}
		close(ready[1]);
		assert_int_equal(read(ready[0], &c, 1), 1);
		close(ready[0]);
		g_usleep((gulong)g_random_int_range(0, (gint32)MIN(span * 5 / 4, G_MAXINT32)));
		kill(pid, SIGKILL);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		/* killed, or finished first: never failed on its own */
		assert_true(WIFSIGNALED(status) ||
			    (WIFEXITED(status) && WEXITSTATUS(status) == 0));

		records = read_ok(dir);
		/* the header comes before the child says it is ready */
		assert_true(records->len >= 1 && records->len <= CRASH_RECORDS + 1);
		check_seq(records, records->len - 1);
		for (guint i = 1; i < records->len; i++)
			assert_int_equal(json_object_get_int_member(
				g_ptr_array_index(records, i), "n"), i);

		/* the lock died with the child; the journal goes on after it */
		j = open_ok(dir);
		append_ok(j, (int)records->len);
		journal_close(j);
		after = read_ok(dir);
		check_seq(after, records->len);
		rm_rf(dir);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_append_read, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(test_reopen_continues, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(test_modes, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(test_unsafe, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(test_busy_same_process, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(test_busy_child, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(test_torn_tail, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(test_corrupt, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(test_remove, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(test_foreign, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(test_read_missing, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(test_crash, make_dir, remove_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
