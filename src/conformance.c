/*
 * conformance.c - reading what libiscsi's iscsi-test-cu prints
 */
#include <stdlib.h>
#include <string.h>

#include "labctl/conformance.h"

G_DEFINE_QUARK(labctl-conformance-error-quark, conformance_error)

const char *const conformance_outcome_names[] = { "passed", "failed", "skipped", "known-failure",
						  NULL };

static void case_free(gpointer p)
{
	struct conformance_case *c = p;

	g_free(c->name);
	g_free(c->message);
	g_free(c);
}

void conformance_report_free(struct conformance_report *r)
{
	if (!r)
		return;
	g_ptr_array_unref(r->cases);
	g_ptr_array_unref(r->known_passed);
	g_free(r);
}

/* The state of the parse: the test that has printed no result yet, if any. */
struct parse {
	struct conformance_report *r;
	char *suite;
	char *pending;          /* "SUITE.TEST" of the test still running */
	char *skip_reason, *fail_reason;
	struct conformance_case *last_failed;   /* takes the assertion lines that follow */
	bool summary;
	guint64 ran, failed;
	bool counts;
};

static void parse_clear(struct parse *p)
{
	g_free(p->suite);
	g_free(p->pending);
	g_free(p->skip_reason);
	g_free(p->fail_reason);
}

static void end_test(struct parse *p, enum conformance_outcome o)
{
	struct conformance_case *c = g_new0(struct conformance_case, 1);

	if (o == CONFORMANCE_PASSED && p->skip_reason)
		o = CONFORMANCE_SKIPPED;
	c->name = g_steal_pointer(&p->pending);
	c->outcome = o;
	if (o == CONFORMANCE_SKIPPED)
		c->message = g_steal_pointer(&p->skip_reason);
	else if (o == CONFORMANCE_FAILED)
		c->message = g_steal_pointer(&p->fail_reason);
	g_clear_pointer(&p->skip_reason, g_free);
	g_clear_pointer(&p->fail_reason, g_free);
	g_ptr_array_add(p->r->cases, c);
	p->last_failed = o == CONFORMANCE_FAILED ? c : NULL;
	if (o == CONFORMANCE_PASSED)
		p->r->passed++;
	else if (o == CONFORMANCE_FAILED)
		p->r->failed++;
	else
		p->r->skipped++;
}

/* A reason CUnit's test printed, "    [SKIPPED] WHY" or "[FAILED] WHY": the first of each kind counts. */
static void reason(struct parse *p, const char *line)
{
	const char *s;

	if ((s = strstr(line, "[SKIPPED]")) && !p->skip_reason)
		p->skip_reason = g_strstrip(g_strdup(s + strlen("[SKIPPED]")));
	if ((s = strstr(line, "[FAILED]")) && !p->fail_reason)
		p->fail_reason = g_strstrip(g_strdup(s + strlen("[FAILED]")));
}

/* "    1. test_x.c:38  - CU_ASSERT_EQUAL(..)": a failed assertion of the last test. */
static bool assertion(struct parse *p, const char *line)
{
	const char *s = line;
	struct conformance_case *c = p->last_failed;

	while (*s == ' ')
		s++;
	if (s == line || !g_ascii_isdigit(*s))
		return false;
	while (g_ascii_isdigit(*s))
		s++;
	if (strncmp(s, ". ", 2))
		return false;
	if (c->message) {
		g_autofree char *was = c->message;
		g_autofree char *add = g_strstrip(g_strdup(line));

		c->message = g_strdup_printf("%s\n%s", was, add);
	} else {
		c->message = g_strstrip(g_strdup(line));
	}
	return true;
}

static bool parse_error(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static bool parse_error(GError **error, const char *fmt, ...)
{
	g_autofree char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error_literal(error, CONFORMANCE_ERROR, CONFORMANCE_ERROR_PARSE, msg);
	return false;
}

/* "tests  TOTAL  RAN  PASSED  FAILED  INACTIVE" of the run summary */
static void summary_counts(struct parse *p, const char *line)
{
	g_auto(GStrv) w = g_strsplit_set(line, " \t", -1);
	guint64 v[5];
	guint k = 0;

	for (guint i = 0; w[i] && k < G_N_ELEMENTS(v) + 1; i++) {
		if (!*w[i])
			continue;
		if (k == 0) {
			if (strcmp(w[i], "tests"))
				return;
			k++;
			continue;
		}
		if (!g_ascii_string_to_unsigned(w[i], 10, 0, G_MAXUINT32, &v[k - 1], NULL))
			return;
		k++;
	}
	if (k != G_N_ELEMENTS(v) + 1)
		return;
	p->ran = v[1];
	p->failed = v[3];
	p->counts = true;
}

static bool line(struct parse *p, const char *l, GError **error)
{
	const char *s;

	if (p->summary) {
		if (!p->counts)
			summary_counts(p, l);
		return true;
	}
	if (g_str_has_prefix(l, "Suite: ") || g_str_has_prefix(l, "  Test: ") ||
	    g_str_has_prefix(l, "Run Summary:")) {
		if (p->pending)
			return parse_error(error, "test %s printed no result (neither 'passed' nor 'FAILED')",
					   p->pending);
		p->last_failed = NULL;
	}
	if (g_str_has_prefix(l, "Run Summary:")) {
		p->summary = true;
		return true;
	}
	if (g_str_has_prefix(l, "Suite: ")) {
		g_free(p->suite);
		p->suite = g_strstrip(g_strdup(l + strlen("Suite: ")));
		return true;
	}
	if (g_str_has_prefix(l, "  Test: ")) {
		const char *name = l + strlen("  Test: ");
		const char *dots = strstr(name, " ...");
		g_autofree char *test = NULL;

		if (!dots)
			return parse_error(error, "a test line without ' ...': '%s'", l);
		test = g_strndup(name, (gsize)(dots - name));
		p->pending = g_strdup_printf("%s.%s", p->suite ? p->suite : "?", test);
		s = dots + strlen(" ...");
		/* "passed    [FAILED] ..." : CUnit's verdict is the word right after the dots */
		if (g_str_has_prefix(s, "passed")) {
			end_test(p, CONFORMANCE_PASSED);
		} else if (g_str_has_prefix(s, "FAILED")) {
			end_test(p, CONFORMANCE_FAILED);
		} else {
			reason(p, s);
		}
		return true;
	}
	if (p->pending) {
		if (!strcmp(l, "passed"))
			end_test(p, CONFORMANCE_PASSED);
		else if (!strcmp(l, "FAILED"))
			end_test(p, CONFORMANCE_FAILED);
		else
			reason(p, l);
		return true;
	}
	if (p->last_failed && !assertion(p, l))
		p->last_failed = NULL;
	return true;
}

struct conformance_report *conformance_parse(const char *text, gssize len, GError **error)
{
	struct parse p = { 0 };
	g_autoptr(conformance_report) r = g_new0(struct conformance_report, 1);
	gsize n = len < 0 ? strlen(text) : (gsize)len;
	const char *at = text, *end = text + n;
	bool ok = true;

	r->cases = g_ptr_array_new_with_free_func(case_free);
	r->known_passed = g_ptr_array_new_with_free_func(g_free);
	p.r = r;
	while (ok && at < end) {
		const char *nl = memchr(at, '\n', (gsize)(end - at));
		gsize ll = nl ? (gsize)(nl - at) : (gsize)(end - at);
		g_autofree char *l = g_strndup(at, ll);

		/* a NUL in the output ends the line there: the rest is not text */
		ok = line(&p, l, error);
		at += ll + 1;
	}
	if (ok && p.pending)
		ok = parse_error(error, "test %s printed no result: iscsi-test-cu ended before it did",
				 p.pending);
	else if (ok && !p.summary)
		ok = parse_error(error, "no run summary: iscsi-test-cu ended before its tests did, or never ran them");
	else if (ok && !p.counts)
		ok = parse_error(error, "the run summary has no line of test counts");
	else if (ok && p.ran != r->cases->len)
		ok = parse_error(error, "the run summary counts %" G_GUINT64_FORMAT " tests run, and %u printed a result",
				 p.ran, r->cases->len);
	else if (ok && p.failed != r->failed)
		ok = parse_error(error, "the run summary counts %" G_GUINT64_FORMAT " failed tests, and %u printed 'FAILED'",
				 p.failed, r->failed);
	parse_clear(&p);
	return ok ? g_steal_pointer(&r) : NULL;
}

void conformance_apply_known(struct conformance_report *r, const char *known)
{
	g_auto(GStrv) names = known ? g_strsplit(known, ",", -1) : NULL;
	g_autoptr(GHashTable) set = g_hash_table_new(g_str_hash, g_str_equal);

	for (guint i = 0; names && names[i]; i++)
		if (*g_strstrip(names[i]))
			g_hash_table_add(set, names[i]);
	if (!g_hash_table_size(set))
		return;
	for (guint i = 0; i < r->cases->len; i++) {
		struct conformance_case *c = g_ptr_array_index(r->cases, i);

		if (!g_hash_table_contains(set, c->name))
			continue;
		if (c->outcome == CONFORMANCE_FAILED) {
			c->outcome = CONFORMANCE_KNOWN_FAILURE;
			r->failed--;
			r->known++;
		} else if (c->outcome == CONFORMANCE_PASSED) {
			g_ptr_array_add(r->known_passed, g_strdup(c->name));
		}
	}
}

char *conformance_failed_names(const struct conformance_report *r, guint most)
{
	GString *s = NULL;
	guint shown = 0;

	if (!r->failed)
		return NULL;
	s = g_string_new(NULL);
	for (guint i = 0; i < r->cases->len; i++) {
		const struct conformance_case *c = g_ptr_array_index(r->cases, i);

		if (c->outcome != CONFORMANCE_FAILED)
			continue;
		if (shown == most) {
			g_string_append_printf(s, " and %u more", r->failed - shown);
			break;
		}
		g_string_append_printf(s, "%s%s", shown ? ", " : "", c->name);
		shown++;
	}
	return g_string_free(s, FALSE);
}
