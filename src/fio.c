/*
 * fio.c - reading fio's JSON report
 */
#include <string.h>
#include <json-glib/json-glib.h>

#include "labctl/fio.h"

G_DEFINE_QUARK(labctl-fio-error-quark, fio_error)

static bool bad(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static bool bad(GError **error, const char *fmt, ...)
{
	g_autofree char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error_literal(error, FIO_ERROR, FIO_ERROR_PARSE, msg);
	return false;
}

/* A number member of @o (fio writes 0 as an integer, other rates with a fraction). */
static bool number(JsonObject *o, const char *key, double *out, const char *where,
		   GError **error)
{
	JsonNode *n = json_object_get_member(o, key);
	GType t;

	if (!n || !JSON_NODE_HOLDS_VALUE(n))
		return bad(error, "fio's report has no number '%s' in %s", key, where);
	t = json_node_get_value_type(n);
	if (t != G_TYPE_INT64 && t != G_TYPE_DOUBLE)
		return bad(error, "'%s' in %s of fio's report is not a number", key, where);
	*out = json_node_get_double(n);
	if (*out < 0)
		return bad(error, "'%s' in %s of fio's report is negative", key, where);
	return true;
}

static JsonObject *object(JsonObject *o, const char *key, const char *where, GError **error)
{
	JsonNode *n = json_object_get_member(o, key);

	if (!n || !JSON_NODE_HOLDS_OBJECT(n)) {
		bad(error, "fio's report has no object '%s' in %s", key, where);
		return NULL;
	}
	return json_node_get_object(n);
}

/*
 * A completion-latency percentile in microseconds.  fio leaves out the
 * percentiles of a direction without I/O, and writes 0 for them when
 * there were too few: both read as 0.
 */
static bool percentile(JsonObject *clat, const char *key, double *us, const char *where,
		       GError **error)
{
	JsonNode *p = json_object_get_member(clat, "percentile");
	double ns = 0;

	*us = 0;
	if (!p)
		return true;
	if (!JSON_NODE_HOLDS_OBJECT(p))
		return bad(error, "'percentile' in %s of fio's report is not an object", where);
	if (json_object_has_member(json_node_get_object(p), key) &&
	    !number(json_node_get_object(p), key, &ns, where, error))
		return false;
	*us = ns / 1000;
	return true;
}

static bool parse_dir(JsonObject *job, const char *dir, struct fio_dir *d, const char *jwhere,
		      GError **error)
{
	g_autofree char *where = g_strdup_printf("'%s' of %s", dir, jwhere);
	JsonObject *o = object(job, dir, jwhere, error);
	JsonObject *clat;
	double ios, bw;

	if (!o || !number(o, "total_ios", &ios, where, error) ||
	    !number(o, "iops", &d->iops, where, error) || !number(o, "bw", &bw, where, error))
		return false;
	d->ios = (guint64)ios;
	d->bw_kib = (guint64)bw;
	clat = object(o, "clat_ns", where, error);
	return clat && percentile(clat, "50.000000", &d->p50_us, where, error) &&
	       percentile(clat, "99.000000", &d->p99_us, where, error) &&
	       percentile(clat, "99.900000", &d->p999_us, where, error);
}

static void job_free(gpointer p)
{
	struct fio_job *j = p;

	g_free(j->name);
	g_free(j);
}

static bool parse_job(JsonNode *n, guint i, struct fio_job *j, GError **error)
{
	g_autofree char *where = g_strdup_printf("job #%u", i + 1);
	JsonObject *o;
	JsonNode *name;
	double err, total = 0;

	if (!JSON_NODE_HOLDS_OBJECT(n))
		return bad(error, "%s of fio's report is not an object", where);
	o = json_node_get_object(n);
	name = json_object_get_member(o, "jobname");
	if (!name || !JSON_NODE_HOLDS_VALUE(name) || json_node_get_value_type(name) != G_TYPE_STRING)
		return bad(error, "fio's report has no string 'jobname' in %s", where);
	j->name = g_strdup(json_node_get_string(name));
	if (!number(o, "error", &err, where, error))
		return false;
	/* only with continue_on_error */
	if (json_object_has_member(o, "total_err") && !number(o, "total_err", &total, where, error))
		return false;
	j->error = (int)MIN(err, G_MAXINT);
	j->errors = (guint64)total;
	if (j->error && !j->errors)
		j->errors = 1;
	return parse_dir(o, "read", &j->read, where, error) &&
	       parse_dir(o, "write", &j->write, where, error);
}

struct fio_report *fio_parse(const char *text, gssize len, GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(fio_report) r = NULL;
	g_autoptr(GError) jerr = NULL;
	const char *start = text;
	const char *end;
	JsonNode *root, *jobs_node;
	JsonObject *o;
	JsonArray *jobs;

	end = text + (len < 0 ? strlen(text) : (size_t)len);
	while (start < end && *start != '{') {
		const char *nl = memchr(start, '\n', (size_t)(end - start));

		start = nl ? nl + 1 : end;
	}
	if (start == end) {
		bad(error, "fio printed no JSON report");
		return NULL;
	}
	if (!json_parser_load_from_data(parser, start, end - start, &jerr)) {
		bad(error, "fio's report is not JSON: %s", jerr->message);
		return NULL;
	}
	root = json_parser_get_root(parser);
	if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
		bad(error, "fio's report is not a JSON object");
		return NULL;
	}
	o = json_node_get_object(root);
	jobs_node = json_object_get_member(o, "jobs");
	jobs = jobs_node && JSON_NODE_HOLDS_ARRAY(jobs_node) ? json_node_get_array(jobs_node) : NULL;
	if (!jobs || !json_array_get_length(jobs)) {
		bad(error, "fio's report has no list of jobs");
		return NULL;
	}
	r = g_new0(struct fio_report, 1);
	if (json_object_has_member(o, "fio version") &&
	    JSON_NODE_HOLDS_VALUE(json_object_get_member(o, "fio version")) &&
	    json_node_get_value_type(json_object_get_member(o, "fio version")) == G_TYPE_STRING)
		r->version = g_strdup(json_object_get_string_member(o, "fio version"));
	r->jobs = g_ptr_array_new_with_free_func(job_free);
	for (guint i = 0; i < json_array_get_length(jobs); i++) {
		struct fio_job *j = g_new0(struct fio_job, 1);

		g_ptr_array_add(r->jobs, j);
		if (!parse_job(json_array_get_element(jobs, i), i, j, error))
			return NULL;
	}
	return g_steal_pointer(&r);
}

void fio_report_free(struct fio_report *r)
{
	if (!r)
		return;
	g_free(r->version);
	if (r->jobs)
		g_ptr_array_unref(r->jobs);
	g_free(r);
}

guint64 fio_report_errors(const struct fio_report *r)
{
	guint64 n = 0;

	for (guint i = 0; i < r->jobs->len; i++)
		n += ((const struct fio_job *)g_ptr_array_index(r->jobs, i))->errors;
	return n;
}

char *fio_report_error_text(const struct fio_report *r)
{
	g_autoptr(GString) s = g_string_new(NULL);

	for (guint i = 0; i < r->jobs->len; i++) {
		const struct fio_job *j = g_ptr_array_index(r->jobs, i);

		if (!j->errors)
			continue;
		if (s->len)
			g_string_append(s, "; ");
		g_string_append_printf(s, "job '%s' #%u: ", j->name, i + 1);
		if (j->error)
			g_string_append_printf(s, "error %d (%s), ", j->error, g_strerror(j->error));
		g_string_append_printf(s, "%" G_GUINT64_FORMAT " error%s", j->errors,
				       j->errors == 1 ? "" : "s");
	}
	return s->len ? g_string_free(g_steal_pointer(&s), FALSE) : NULL;
}
