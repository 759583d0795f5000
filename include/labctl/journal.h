/*
 * journal.h - what labctl did to a lab, kept so that it can be undone
 *
 * Each lab has a state directory (mode 0700; refused when group or others
 * may write it) holding "journal.jsonl": one JSON object per line, appended
 * and fsync'ed before the change it describes is made, so that "down" can
 * undo everything even after a crash.  An exclusive lock on "lock" in the
 * same directory makes a second labctl working on the same lab fail at once
 * with a message naming the process that holds it.
 *
 * The journal knows nothing of what records mean; it adds "seq" (from 1)
 * and "time" (ISO 8601, UTC) to each.  Except the first: a new journal
 * starts with a "lab" record that binds it to its state directory,
 *   {"type": "lab", "state_dir": ABSOLUTE-PATH, "hash": H, "lab_id": ID}
 * (H: journal_lab_hash(); ID: 32 random hex digits), and a journal whose
 * first record is not that, for this very directory, is refused
 * (JOURNAL_ERROR_FOREIGN) by journal_open and journal_read: its undos were
 * written for another place, or not by labctl.
 */
#ifndef LABCTL_JOURNAL_H
#define LABCTL_JOURNAL_H

#include <stdbool.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#define JOURNAL_ERROR (journal_error_quark())
GQuark journal_error_quark(void);

enum journal_error_code {
	JOURNAL_ERROR_BUSY,         /* another labctl holds the lock */
	JOURNAL_ERROR_UNSAFE,       /* state directory writable by others, ... */
	JOURNAL_ERROR_IO,
	JOURNAL_ERROR_CORRUPT,      /* a line in the middle is not JSON */
	JOURNAL_ERROR_FOREIGN,      /* not bound to this state directory */
};

struct journal;

/*
 * Creates @dir if needed (0700, parents as needed), takes the lock, and
 * opens the journal for appending (0600).  Fails with JOURNAL_ERROR_BUSY
 * when locked ("lab state DIR is in use by labctl pid N"), UNSAFE when the
 * directory or the journal is writable by group or others or not owned by
 * the current user, FOREIGN when the journal is not bound to @dir.  Writes
 * the header record into a journal that has no record yet, and then first
 * refuses (UNSAFE) a directory holding a file labctl did not write (see
 * JOURNAL_OWN_MARK); it also writes a ".gitignore" of "*" there.
 */
struct journal *journal_open(const char *dir, GError **error);

/* Releases the lock and closes the file. */
void journal_close(struct journal *j);
/* for g_autoptr(lab_journal) only; code says struct journal */
typedef struct journal lab_journal;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(lab_journal, journal_close)

/*
 * Appends @record (not consumed) with "seq" and "time" added, as one line,
 * and fsyncs it (and the directory, the first time) before returning.
 * Thread safe: records of several threads follow one another whole.
 */
bool journal_append(struct journal *j, JsonObject *record, GError **error);

/*
 * The records of the journal in @dir, oldest first (JsonObject *, owned by
 * the array).  A missing journal is an empty array.  A last line cut short
 * by a crash is ignored (it was never acted upon: the change comes after
 * the fsync); a bad line before the last is JOURNAL_ERROR_CORRUPT, a journal
 * not bound to @dir JOURNAL_ERROR_FOREIGN.  Works
 * without the lock, for "status".
 */
GPtrArray *journal_read(const char *dir, GError **error);

/* The records of @j's own journal (as journal_read). */
GPtrArray *journal_records(struct journal *j, GError **error);

/*
 * Removes the journal and the lock file after a complete teardown; the lock
 * itself is held until journal_close.  Other files of the state directory
 * are the caller's.
 */
bool journal_remove(struct journal *j, GError **error);

/* The directory of @j. */
const char *journal_dir(const struct journal *j);

/*
 * The first line of every file labctl writes into a state directory
 * besides the journal and the lock (known_hosts, ssh_config, .gitignore):
 * only a file that starts with it is labctl's, to overwrite or remove.
 */
#define JOURNAL_OWN_MARK "# labctl:"

/* Whether @path is a regular file (not a link) whose first line is JOURNAL_OWN_MARK... */
bool journal_is_own_file(const char *path);

/* The lab id of @j's header record. */
const char *journal_lab_id(const struct journal *j);

/*
 * The lab's hash: the first 8 hex digits of the SHA-256 of @dir made
 * absolute.  It names what providers make for the lab (lcHASH,
 * labctl-HASH-NODE, ...).  Free with g_free().
 */
char *journal_lab_hash(const char *dir);

#endif
