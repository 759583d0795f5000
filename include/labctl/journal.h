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
 * and "time" (ISO 8601, UTC) to each.
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
};

struct journal;

/*
 * Creates @dir if needed (0700, parents as needed), takes the lock, and
 * opens the journal for appending (0600).  Fails with JOURNAL_ERROR_BUSY
 * when locked ("lab state DIR is in use by labctl pid N"), UNSAFE when the
 * directory or the journal is writable by group or others or not owned by
 * the current user.
 */
struct journal *journal_open(const char *dir, GError **error);

/* Releases the lock and closes the file. */
void journal_close(struct journal *j);

/*
 * Appends @record (not consumed) with "seq" and "time" added, as one line,
 * and fsyncs it (and the directory, the first time) before returning.
 */
bool journal_append(struct journal *j, JsonObject *record, GError **error);

/*
 * The records of the journal in @dir, oldest first (JsonObject *, owned by
 * the array).  A missing journal is an empty array.  A last line cut short
 * by a crash is ignored (it was never acted upon: the change comes after
 * the fsync); a bad line before the last is JOURNAL_ERROR_CORRUPT.  Works
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

#endif
