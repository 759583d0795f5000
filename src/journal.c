/*
 * journal.c - the append-only record of what labctl did to a lab
 *
 * Durability rests on three things: a record is one write() of one line to
 * a file opened with O_APPEND, it is fsync'ed before journal_append returns
 * (the caller acts only after that), and only one labctl appends at a time
 * (flock on "lock").  A crash can therefore leave at most one torn line, the
 * last, and that record was never acted upon: readers ignore it and
 * journal_open cuts it off so that the next record starts on a line of its
 * own.
 *
 * Everything after the checks of the state directory goes through a
 * descriptor of that directory (openat and friends), so that a directory
 * swapped for a symbolic link after the checks is not followed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "labctl/crashpoint.h"
#include "labctl/journal.h"

#define JOURNAL_FILE "journal.jsonl"
#define LOCK_FILE "lock"
/* how often to retry a lock file that its holder unlinked under us */
#define LOCK_ATTEMPTS 5

G_DEFINE_QUARK(journal-error-quark, journal_error)

struct journal {
	GMutex lock;		/* journal_append from several threads */
	char *dir;
	char *lab_id;		/* of the header record */
	char *path;		/* DIR/journal.jsonl, for messages */
	int dir_fd;
	int lock_fd;
	int fd;			/* the journal, O_APPEND */
	gint64 seq;		/* of the last record in the file */
	off_t size;		/* of the file: where the next record starts */
	bool dir_synced;	/* the entries of the journal and of made dirs */
	char *made_below;	/* where open_dir made the first missing directory */
	bool broken;		/* a failed write or fsync: refuse to go on */
	bool removed;
};

/* Sets an error ending in the description of errno, which it preserves. */
G_GNUC_PRINTF(3, 4)
static void fail_errno(GError **error, int code, const char *fmt, ...)
{
	int saved = errno;
	g_autofree char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(error, JOURNAL_ERROR, code, "%s: %s", msg, g_strerror(saved));
	errno = saved;
}

/* Refuses files that someone else could have written. */
static bool check_owner_mode(const struct stat *st, const char *what,
			     const char *name, const char *hint, GError **error)
{
	if (st->st_uid != geteuid()) {
		g_set_error(error, JOURNAL_ERROR, JOURNAL_ERROR_UNSAFE,
			    "%s '%s' belongs to uid %u, not to uid %u; %s", what, name,
			    (unsigned)st->st_uid, (unsigned)geteuid(), hint);
		return false;
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		g_set_error(error, JOURNAL_ERROR, JOURNAL_ERROR_UNSAFE,
			    "%s '%s' is writable by others; chmod go-w it or %s", what,
			    name, hint);
		return false;
	}
	return true;
}

static bool write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

static GString *read_all(int fd, const char *path, GError **error)
{
	g_autoptr(GString) buf = g_string_new(NULL);
	char chunk[65536];

	for (;;) {
		ssize_t n = pread(fd, chunk, sizeof(chunk), (off_t)buf->len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			fail_errno(error, JOURNAL_ERROR_IO, "cannot read '%s'", path);
			return NULL;
		}
		if (n == 0)
			break;
		g_string_append_len(buf, chunk, n);
	}
	return g_steal_pointer(&buf);
}

/*
 * Parses the lines of a journal.  The last line may be torn: without its
 * newline, or not JSON (a crash while the file grew); it is left out and
 * *@good_len says where the valid part ends.  Any other bad line is
 * corruption.
 */
static GPtrArray *parse_records(const char *path, const char *data, gsize len,
				gsize *good_len, GError **error)
{
	g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func(
		(GDestroyNotify)json_object_unref);
	g_autoptr(JsonParser) parser = json_parser_new();
	gsize start = 0;
	guint lineno = 0;

	*good_len = 0;
	while (start < len) {
		const char *nl = memchr(data + start, '\n', len - start);
		gsize end = nl ? (gsize)(nl - data) : len;
		g_autoptr(GError) perr = NULL;
		JsonNode *root = NULL;
		bool last;

		lineno++;
		if (!nl)
			break;	/* never finished: ignored whatever it holds */
		last = end + 1 == len;
		if (json_parser_load_from_data(parser, data + start, (gssize)(end - start), &perr))
			root = json_parser_get_root(parser);
		if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
			if (last)
				break;
			g_set_error(error, JOURNAL_ERROR, JOURNAL_ERROR_CORRUPT,
				    "%s:%u: not a journal record: %s", path, lineno,
				    perr ? perr->message : "not a JSON object");
			return NULL;
		}
		g_ptr_array_add(records, json_object_ref(json_node_get_object(root)));
		start = end + 1;
		*good_len = start;
	}
	return g_steal_pointer(&records);
}

static GPtrArray *read_fd(int fd, const char *path, gsize *good_len, gsize *len,
			  GError **error)
{
	g_autoptr(GString) buf = read_all(fd, path, error);
	gsize ignored;

	if (!buf)
		return NULL;
	if (len)
		*len = buf->len;
	return parse_records(path, buf->str, buf->len, good_len ? good_len : &ignored, error);
}

static void journal_free(struct journal *j)
{
	if (j->fd >= 0)
		close(j->fd);
	/* closing the last descriptor of the lock file releases the lock */
	if (j->lock_fd >= 0)
		close(j->lock_fd);
	if (j->dir_fd >= 0)
		close(j->dir_fd);
	g_mutex_clear(&j->lock);
	g_free(j->dir);
	g_free(j->lab_id);
	g_free(j->path);
	g_free(j->made_below);
	g_free(j);
}

static bool open_dir(struct journal *j, GError **error)
{
	const char *hint = "choose another with --state-dir";
	g_autofree char *top = g_strdup(j->dir);
	struct stat st, fst;
	bool making = false;

	/* the entries of the directories made here need an fsync too */
	while (!g_file_test(top, G_FILE_TEST_EXISTS)) {
		char *up = g_path_get_dirname(top);

		if (!strcmp(up, top)) {
			g_free(up);
			break;
		}
		g_free(top);
		top = up;
		making = true;
	}
	if (making)
		j->made_below = g_steal_pointer(&top);
	if (g_mkdir_with_parents(j->dir, 0700) < 0) {
		fail_errno(error, JOURNAL_ERROR_IO, "cannot create state directory '%s'", j->dir);
		return false;
	}
	if (lstat(j->dir, &st) < 0) {
		fail_errno(error, JOURNAL_ERROR_IO, "cannot examine state directory '%s'", j->dir);
		return false;
	}
	if (S_ISLNK(st.st_mode)) {
		g_set_error(error, JOURNAL_ERROR, JOURNAL_ERROR_UNSAFE,
			    "state directory '%s' is a symbolic link; %s", j->dir, hint);
		return false;
	}
	if (!S_ISDIR(st.st_mode)) {
		g_set_error(error, JOURNAL_ERROR, JOURNAL_ERROR_UNSAFE,
			    "state directory '%s' is not a directory; %s", j->dir, hint);
		return false;
	}
	if (!check_owner_mode(&st, "state directory", j->dir, hint, error))
		return false;
	j->dir_fd = open(j->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (j->dir_fd < 0) {
		fail_errno(error, JOURNAL_ERROR_IO, "cannot open state directory '%s'", j->dir);
		return false;
	}
	/* what we opened is what we checked */
	if (fstat(j->dir_fd, &fst) < 0 || fst.st_dev != st.st_dev || fst.st_ino != st.st_ino) {
		g_set_error(error, JOURNAL_ERROR, JOURNAL_ERROR_UNSAFE,
			    "state directory '%s' changed while it was being opened", j->dir);
		return false;
	}
	return true;
}

/* The pid a holder wrote into the lock file, or 0 when there is none yet. */
static long lock_holder(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	char *end;
	gint64 pid;

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	pid = g_ascii_strtoll(buf, &end, 10);
	if (end == buf || (*end && *end != '\n') || pid <= 0 || pid > G_MAXINT)
		return 0;
	return (long)pid;
}

static bool take_lock(struct journal *j, GError **error)
{
	g_autofree char *lock_path = g_build_filename(j->dir, LOCK_FILE, NULL);
	g_autofree char *pid = NULL;

	for (int attempt = 0;; attempt++) {
		struct stat fst, pst;
		long holder;

		j->lock_fd = openat(j->dir_fd, LOCK_FILE,
				    O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (j->lock_fd < 0) {
			fail_errno(error, JOURNAL_ERROR_IO, "cannot open '%s'", lock_path);
			return false;
		}
		if (flock(j->lock_fd, LOCK_EX | LOCK_NB) < 0) {
			if (errno != EWOULDBLOCK) {
				fail_errno(error, JOURNAL_ERROR_IO, "cannot lock '%s'", lock_path);
				return false;
			}
			holder = lock_holder(j->lock_fd);
			if (holder)
				g_set_error(error, JOURNAL_ERROR, JOURNAL_ERROR_BUSY,
					    "lab state '%s' is in use by labctl pid %ld",
					    j->dir, holder);
			else
				g_set_error(error, JOURNAL_ERROR, JOURNAL_ERROR_BUSY,
					    "lab state '%s' is in use by another labctl", j->dir);
			return false;
		}
		/*
		 * journal_remove unlinks the lock file while holding it: a lock
		 * on a file that is no longer there would exclude nobody.
		 */
		if (fstat(j->lock_fd, &fst) < 0) {
			fail_errno(error, JOURNAL_ERROR_IO, "cannot examine '%s'", lock_path);
			return false;
		}
		if (fstatat(j->dir_fd, LOCK_FILE, &pst, AT_SYMLINK_NOFOLLOW) == 0 &&
		    pst.st_dev == fst.st_dev && pst.st_ino == fst.st_ino)
			break;
		close(j->lock_fd);
		j->lock_fd = -1;
		if (attempt + 1 == LOCK_ATTEMPTS) {
			g_set_error(error, JOURNAL_ERROR, JOURNAL_ERROR_BUSY,
				    "lab state '%s' is in use: its lock file keeps disappearing",
				    j->dir);
			return false;
		}
	}
	pid = g_strdup_printf("%ld\n", (long)getpid());
	if (ftruncate(j->lock_fd, 0) < 0 || pwrite(j->lock_fd, pid, strlen(pid), 0) < 0) {
		fail_errno(error, JOURNAL_ERROR_IO, "cannot write '%s'", lock_path);
		return false;
	}
	return true;
}

static bool open_journal(struct journal *j, GError **error)
{
	const char *hint = "remove it if no lab is up";
	struct stat st;

	j->fd = openat(j->dir_fd, JOURNAL_FILE,
		       O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (j->fd < 0) {
		if (errno == ELOOP)
			g_set_error(error, JOURNAL_ERROR, JOURNAL_ERROR_UNSAFE,
				    "journal '%s' is a symbolic link; %s", j->path, hint);
		else
			fail_errno(error, JOURNAL_ERROR_IO, "cannot open '%s'", j->path);
		return false;
	}
	if (fstat(j->fd, &st) < 0) {
		fail_errno(error, JOURNAL_ERROR_IO, "cannot examine '%s'", j->path);
		return false;
	}
	if (!S_ISREG(st.st_mode)) {
		g_set_error(error, JOURNAL_ERROR, JOURNAL_ERROR_UNSAFE,
			    "journal '%s' is not a regular file; %s", j->path, hint);
		return false;
	}
	return check_owner_mode(&st, "journal", j->path, hint, error);
}

/*
 * Finds where the next record goes and what its seq is.  A torn last line
 * is cut off: it was never acted upon, and appending after it would turn
 * it into corruption in the middle.
 */
static bool recover(struct journal *j, GError **error)
{
	g_autoptr(GPtrArray) records = NULL;
	gsize good_len, len;

	records = read_fd(j->fd, j->path, &good_len, &len, error);
	if (!records)
		return false;
	if (records->len > 0) {
		JsonObject *last = g_ptr_array_index(records, records->len - 1);
		JsonNode *seq = json_object_get_member(last, "seq");

		if (!seq || json_node_get_value_type(seq) != G_TYPE_INT64 ||
		    json_node_get_int(seq) < 1) {
			g_set_error(error, JOURNAL_ERROR, JOURNAL_ERROR_CORRUPT,
				    "%s:%u: record without a valid 'seq'", j->path,
				    records->len);
			return false;
		}
		j->seq = json_node_get_int(seq);
	}
	if (good_len < len) {
		if (ftruncate(j->fd, (off_t)good_len) < 0 || fsync(j->fd) < 0) {
			fail_errno(error, JOURNAL_ERROR_IO,
				   "cannot cut the torn last line of '%s'", j->path);
			return false;
		}
	}
	j->size = (off_t)good_len;
	return true;
}

/*
 * The first record binds a journal to its state directory: a journal found
 * in another place (a copied or unpacked checkout) is not this lab's, and
 * its undos must not run here.  Returns the header's lab id.
 */
static const char *check_header(GPtrArray *records, const char *dir, const char *path,
				GError **error)
{
	g_autofree char *abs = g_canonicalize_filename(dir, NULL);
	JsonObject *h;
	const char *where;

	if (!records->len)
		return "";
	h = g_ptr_array_index(records, 0);
	if (g_strcmp0(json_object_get_string_member_with_default(h, "type", ""), "lab")) {
		g_set_error(error, JOURNAL_ERROR, JOURNAL_ERROR_FOREIGN,
			    "journal '%s' does not start with the record that binds it to its lab "
			    "(written by an older labctl, or not by labctl): labctl runs no undo from it",
			    path);
		return NULL;
	}
	where = json_object_get_string_member_with_default(h, "state_dir", "");
	if (strcmp(where, abs)) {
		g_set_error(error, JOURNAL_ERROR, JOURNAL_ERROR_FOREIGN,
			    "journal '%s' was written for the lab whose state directory is '%s', "
			    "not '%s' (copied or unpacked here?): labctl runs no undo from it; "
			    "take that lab down from its own place",
			    path, where, abs);
		return NULL;
	}
	return json_object_get_string_member_with_default(h, "lab_id", "");
}

char *journal_lab_hash(const char *dir)
{
	g_autofree char *abs = g_canonicalize_filename(dir, NULL);
	g_autofree char *sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256, abs, -1);

	return g_strndup(sum, 8);
}

static bool write_gitignore(struct journal *j, GError **error)
{
	int fd = openat(j->dir_fd, ".gitignore", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			0600);

	if (fd < 0) {
		if (errno == EEXIST)
			return true;
		fail_errno(error, JOURNAL_ERROR_IO, "cannot write '%s/.gitignore'", j->dir);
		return false;
	}
	if (!write_all(fd, JOURNAL_OWN_MARK " nothing of a lab's state belongs in a repository\n*\n",
		       strlen(JOURNAL_OWN_MARK " nothing of a lab's state belongs in a repository\n*\n"))) {
		fail_errno(error, JOURNAL_ERROR_IO, "cannot write '%s/.gitignore'", j->dir);
		close(fd);
		return false;
	}
	close(fd);
	return true;
}

/* Makes a new journal's first record: where it belongs, and a random lab id. */
static bool write_header(struct journal *j, GError **error)
{
	g_autoptr(JsonObject) h = json_object_new();
	g_autofree char *abs = g_canonicalize_filename(j->dir, NULL);
	g_autofree char *hash = journal_lab_hash(j->dir);

	j->lab_id = g_strdup_printf("%08x%08x%08x%08x", g_random_int(), g_random_int(),
				    g_random_int(), g_random_int());
	json_object_set_string_member(h, "type", "lab");
	json_object_set_string_member(h, "state_dir", abs);
	json_object_set_string_member(h, "hash", hash);
	json_object_set_string_member(h, "lab_id", j->lab_id);
	/* nothing of a lab's state belongs in a repository, whatever it holds */
	if (!write_gitignore(j, error))
		return false;
	return journal_append(j, h, error);
}

bool journal_is_own_file(const char *path)
{
	char line[sizeof(JOURNAL_OWN_MARK)];
	struct stat st;
	ssize_t n;
	int fd;

	if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return false;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, line, sizeof(line) - 1);
	close(fd);
	return n == (ssize_t)sizeof(line) - 1 && !memcmp(line, JOURNAL_OWN_MARK, sizeof(line) - 1);
}

/*
 * A new lab's state directory holds nothing that labctl did not write: up
 * would overwrite a known_hosts or ssh_config found there, and down delete
 * it, when --state-dir names a directory of someone's (~/.ssh, say).
 */
static bool only_own_files(struct journal *j, GError **error)
{
	g_autoptr(GDir) d = g_dir_open(j->dir, 0, NULL);
	const char *name;

	while (d && (name = g_dir_read_name(d))) {
		g_autofree char *path = g_build_filename(j->dir, name, NULL);
		bool ours;

		if (!strcmp(name, JOURNAL_FILE) || !strcmp(name, LOCK_FILE))
			continue;
		if (!strcmp(name, "transcripts")) {
			g_autoptr(GDir) t = g_dir_open(path, 0, NULL);
			const char *log;

			ours = t != NULL;
			while (ours && (log = g_dir_read_name(t)))
				ours = g_str_has_suffix(log, ".log");
		} else {
			ours = journal_is_own_file(path);
		}
		if (!ours) {
			g_set_error(error, JOURNAL_ERROR, JOURNAL_ERROR_UNSAFE,
				    "state directory '%s' holds '%s', which labctl did not write: a new lab "
				    "needs an empty state directory of its own (choose another with --state-dir)",
				    j->dir, name);
			return false;
		}
	}
	return true;
}

/* Reads the records and checks the header; or writes it to a new journal. */
static bool bind_to_lab(struct journal *j, GError **error)
{
	g_autoptr(GPtrArray) records = read_fd(j->fd, j->path, NULL, NULL, error);
	const char *id;

	if (!records)
		return false;
	if (!records->len)
		return write_header(j, error);
	id = check_header(records, j->dir, j->path, error);
	if (!id)
		return false;
	j->lab_id = g_strdup(id);
	return true;
}

struct journal *journal_open(const char *dir, GError **error)
{
	struct journal *j;
	size_t n;

	g_return_val_if_fail(dir && *dir, NULL);
	j = g_new0(struct journal, 1);
	g_mutex_init(&j->lock);
	n = strlen(dir);
	/* "dir/" would make lstat and O_NOFOLLOW follow a symbolic link */
	while (n > 1 && dir[n - 1] == '/')
		n--;
	j->dir = g_strndup(dir, n);
	j->path = g_build_filename(j->dir, JOURNAL_FILE, NULL);
	j->dir_fd = j->lock_fd = j->fd = -1;
	/* a new lab: checked before the lock and the journal are made there */
	if (!open_dir(j, error) ||
	    (faccessat(j->dir_fd, JOURNAL_FILE, F_OK, AT_SYMLINK_NOFOLLOW) != 0 &&
	     !only_own_files(j, error)) ||
	    !take_lock(j, error) || !open_journal(j, error) ||
	    !recover(j, error) || !bind_to_lab(j, error)) {
		journal_free(j);
		return NULL;
	}
	return j;
}

void journal_close(struct journal *j)
{
	if (j)
		journal_free(j);
}

static bool sync_dir(const char *dir, GError **error)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || fsync(fd) < 0) {
		fail_errno(error, JOURNAL_ERROR_IO, "cannot sync '%s'", dir);
		if (fd >= 0)
			close(fd);
		return false;
	}
	close(fd);
	return true;
}

/*
 * Once per open rather than once per creation: a journal created by a run
 * that crashed before its first record may not have its entry on disk yet.
 */
static bool sync_dirs(struct journal *j, GError **error)
{
	if (j->made_below) {
		g_autofree char *d = g_path_get_dirname(j->dir);

		for (;;) {
			char *up;

			if (!sync_dir(d, error))
				return false;
			if (!strcmp(d, j->made_below))
				break;
			up = g_path_get_dirname(d);
			/* at the root without meeting it: stop rather than spin */
			if (!strcmp(up, d)) {
				g_free(up);
				break;
			}
			g_free(d);
			d = up;
		}
		g_clear_pointer(&j->made_below, g_free);
	}
	if (fsync(j->dir_fd) < 0) {
		fail_errno(error, JOURNAL_ERROR_IO, "cannot sync '%s'", j->dir);
		return false;
	}
	j->dir_synced = true;
	return true;
}

/* A copy of @record with "seq" and "time" first, so that they are easy to see. */
static JsonObject *stamp(JsonObject *record, gint64 seq)
{
	JsonObject *o = json_object_new();
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_autofree char *when = g_date_time_format_iso8601(now);
	g_autoptr(GList) members = json_object_get_members(record);

	json_object_set_int_member(o, "seq", seq);
	json_object_set_string_member(o, "time", when);
	for (GList *m = members; m; m = m->next)
		if (strcmp(m->data, "seq") && strcmp(m->data, "time"))
			json_object_set_member(o, m->data,
					       json_node_copy(json_object_get_member(record, m->data)));
	return o;
}

/* One line, newline included; json-glib escapes control characters. */
static char *serialize(JsonObject *o, gsize *len)
{
	g_autoptr(JsonGenerator) gen = json_generator_new();
	g_autoptr(JsonNode) root = json_node_init_object(json_node_alloc(), o);
	g_autofree char *text = NULL;
	gsize n;

	json_generator_set_root(gen, root);
	text = json_generator_to_data(gen, &n);
	*len = n + 1;
	return g_strconcat(text, "\n", NULL);
}

static bool append_locked(struct journal *j, JsonObject *record, GError **error);

bool journal_append(struct journal *j, JsonObject *record, GError **error)
{
	bool ok;

	g_return_val_if_fail(j && record, false);
	g_mutex_lock(&j->lock);
	ok = append_locked(j, record, error);
	g_mutex_unlock(&j->lock);
	return ok;
}

static bool append_locked(struct journal *j, JsonObject *record, GError **error)
{
	g_autoptr(JsonObject) o = NULL;
	g_autofree char *line = NULL;
	gsize len;

	if (j->removed || j->broken) {
		g_set_error(error, JOURNAL_ERROR, JOURNAL_ERROR_IO,
			    j->removed ? "journal '%s' has been removed"
				       : "journal '%s' is unusable after an earlier write error",
			    j->path);
		return false;
	}
	o = stamp(record, j->seq + 1);
	line = serialize(o, &len);
	if (!write_all(j->fd, line, len)) {
		fail_errno(error, JOURNAL_ERROR_IO, "cannot write to '%s'", j->path);
		/* take back a partial line, lest the next record follow it */
		if (ftruncate(j->fd, j->size) < 0)
			j->broken = true;
		return false;
	}
	/*
	 * After a failed fsync the kernel may have dropped the dirty pages and
	 * cleared the error: a retry could report success for lost data.
	 */
	if (fsync(j->fd) < 0) {
		fail_errno(error, JOURNAL_ERROR_IO, "cannot sync '%s'", j->path);
		j->broken = true;
		return false;
	}
	if (!j->dir_synced && !sync_dirs(j, error)) {
		j->broken = true;
		return false;
	}
	j->seq++;
	j->size += (off_t)len;
	crashpoint("journal");
	return true;
}

GPtrArray *journal_read(const char *dir, GError **error)
{
	g_autofree char *path = NULL;
	GPtrArray *records;
	int fd;

	g_return_val_if_fail(dir, NULL);
	path = g_build_filename(dir, JOURNAL_FILE, NULL);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return g_ptr_array_new_with_free_func((GDestroyNotify)json_object_unref);
		fail_errno(error, JOURNAL_ERROR_IO, "cannot open '%s'", path);
		return NULL;
	}
	records = read_fd(fd, path, NULL, NULL, error);
	close(fd);
	if (records && !check_header(records, dir, path, error))
		g_clear_pointer(&records, g_ptr_array_unref);
	return records;
}

GPtrArray *journal_records(struct journal *j, GError **error)
{
	g_return_val_if_fail(j, NULL);
	return read_fd(j->fd, j->path, NULL, NULL, error);
}

bool journal_remove(struct journal *j, GError **error)
{
	static const char *const names[] = { JOURNAL_FILE, LOCK_FILE };

	g_return_val_if_fail(j, false);
	for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
		if (unlinkat(j->dir_fd, names[i], 0) < 0 && errno != ENOENT) {
			g_autofree char *path = g_build_filename(j->dir, names[i], NULL);

			fail_errno(error, JOURNAL_ERROR_IO, "cannot remove '%s'", path);
			return false;
		}
		if (i == 0)
			j->removed = true;
	}
	if (fsync(j->dir_fd) < 0) {
		fail_errno(error, JOURNAL_ERROR_IO, "cannot sync '%s'", j->dir);
		return false;
	}
	return true;
}

const char *journal_dir(const struct journal *j)
{
	return j->dir;
}

const char *journal_lab_id(const struct journal *j)
{
	return j->lab_id;
}
