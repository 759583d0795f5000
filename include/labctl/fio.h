/*
 * fio.h - the figures of fio's JSON report (fio --output-format=json)
 *
 * A verify task with "metrics: fio" (docs/playbooks.md) prints fio's
 * report on standard output; fio_parse() reads it in one place, so that
 * the JSON, JUnit and terminal reports all show the same figures.  Only
 * what labctl reports is kept: per job and direction (read, write) the
 * IOPS, the bandwidth and three completion-latency percentiles, and per
 * job its errors.  fio counts errors per job, not per direction.
 */
#ifndef LABCTL_FIO_H
#define LABCTL_FIO_H

#include <stdbool.h>
#include <glib.h>

#define FIO_ERROR fio_error_quark()
GQuark fio_error_quark(void);

enum fio_error {
	FIO_ERROR_PARSE,        /* not a report of fio's: malformed, or members missing */
};

/* One direction of one job. */
struct fio_dir {
	guint64 ios;            /* I/Os completed ("total_ios"); 0: none in this direction */
	double iops;
	guint64 bw_kib;         /* KiB/s ("bw") */
	/* completion latency ("clat_ns"), microseconds; 0 when fio has none */
	double p50_us, p99_us, p999_us;
};

struct fio_job {
	char *name;             /* "jobname"; numjobs copies share it */
	int error;              /* the errno the job stopped with ("error"), 0: none */
	guint64 errors;         /* errors counted ("total_err"), at least 1 when error */
	struct fio_dir read, write;
};

struct fio_report {
	char *version;          /* "fio version", or NULL */
	GPtrArray *jobs;        /* struct fio_job *, in the report's order; at least one */
};

/*
 * Reads fio's standard output @text (@len bytes, or -1: up to a NUL).  fio
 * may print lines of its own before the document ("fio: pid=..., err=28"
 * when a job fails): the document starts at the first line that starts
 * with '{'.  Returns NULL with @error (FIO_ERROR_PARSE) saying what is
 * wrong when there is no document, it is not JSON, or a member labctl
 * reads is missing or of the wrong type.  Free with fio_report_free().
 */
struct fio_report *fio_parse(const char *text, gssize len, GError **error);
void fio_report_free(struct fio_report *r);
typedef struct fio_report fio_report;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(fio_report, fio_report_free)

/* The errors of all jobs together. */
guint64 fio_report_errors(const struct fio_report *r);

/*
 * One line per job with errors: "job 'labctl' #1: error 28 (No space left
 * on device), 1 error", joined by "; ".  NULL when no job has any.
 */
char *fio_report_error_text(const struct fio_report *r);

#endif
