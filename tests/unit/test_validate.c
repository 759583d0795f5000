/*
 * test_validate.c - unit tests of spec validation and of the defaults
 *
 * The invalid-spec corpus lives in tests/data/invalid/: each file starts
 * with "# expect: LINE:COL: message" lines (or "# expect: message" for a
 * diagnostic without a position) naming every diagnostic labctl must give
 * for it, in the order it sorts them.  The directory is found through
 * $LABCTL_SRCDIR, which "make unit" sets to the top of the tree.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "labctl/validate.h"

#define CORPUS_MIN 35
#define EXPECT_PREFIX "# expect: "

static const char *srcdir(void)
{
	const char *s = getenv("LABCTL_SRCDIR");

	return s && *s ? s : ".";
}

/* "LINE:COL: message", or "message" without a position: no file name */
static char *diag_text(const struct diag *d)
{
	if (!d->loc.line)
		return g_strdup(d->msg);
	return g_strdup_printf("%u:%u: %s", d->loc.line, d->loc.col, d->msg);
}

/* Loads and validates @file as "labctl validate" does; sorted diagnostics. */
static GPtrArray *check_file(const char *file)
{
	GPtrArray *diags = diags_new();
	GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
	struct lab_spec *spec = spec_load(file, diags);

	if (spec)
		validate_spec(spec, diags);
	diags_sort(diags);
	for (guint i = 0; i < diags->len; i++)
		g_ptr_array_add(lines, diag_text(g_ptr_array_index(diags, i)));
	spec_free(spec);
	g_ptr_array_unref(diags);
	return lines;
}

/*
 * The leading "# expect: " lines of @text.  NULL, with @why set, when the
 * file has none or has more of them further down (a corpus file error).
 */
static GPtrArray *expected_lines(const char *text, const char **why)
{
	g_autoptr(GPtrArray) want = g_ptr_array_new_with_free_func(g_free);
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	guint i = 0;

	for (; lines[i] && g_str_has_prefix(lines[i], EXPECT_PREFIX); i++) {
		const char *l = lines[i] + strlen(EXPECT_PREFIX);
		size_t n = strlen(l);

		g_ptr_array_add(want, g_strndup(l, n && l[n - 1] == '\r' ? n - 1 : n));
	}
	if (!want->len) {
		*why = "the file does not begin with '# expect: ' lines";
		return NULL;
	}
	for (; lines[i]; i++) {
		if (strstr(lines[i], "# expect:")) {
			*why = "a '# expect:' line after the first lines of the file";
			return NULL;
		}
	}
	return g_steal_pointer(&want);
}

/* A line diff of two short lists (longest common subsequence). */
static void print_diff(GString *out, GPtrArray *a, GPtrArray *b)
{
	guint n = a->len, m = b->len;
	g_autofree guint *lcs = g_new0(guint, (gsize)(n + 1) * (m + 1));
	guint i = 0, j = 0;

#define LCS(x, y) lcs[(gsize)(x) * (m + 1) + (y)]
	for (guint x = n; x-- > 0;)
		for (guint y = m; y-- > 0;)
			LCS(x, y) = !strcmp(g_ptr_array_index(a, x), g_ptr_array_index(b, y)) ?
				    LCS(x + 1, y + 1) + 1 : MAX(LCS(x + 1, y), LCS(x, y + 1));
	while (i < n || j < m) {
		if (i < n && j < m &&
		    !strcmp(g_ptr_array_index(a, i), g_ptr_array_index(b, j))) {
			g_string_append_printf(out, "      %s\n", (char *)g_ptr_array_index(a, i));
			i++, j++;
		} else if (j < m && (i == n || LCS(i, j + 1) >= LCS(i + 1, j))) {
			g_string_append_printf(out, "    + %s\n", (char *)g_ptr_array_index(b, j));
			j++;
		} else {
			g_string_append_printf(out, "    - %s\n", (char *)g_ptr_array_index(a, i));
			i++;
		}
	}
#undef LCS
}

static gint cmp_str(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Checks every spec of the corpus in @dir, printing a diff for each that
 * does not give what it declares.  Returns how many did not; @total is set
 * to how many there are.  (A function of its own so that nothing is left
 * allocated when the test then fails.)
 */
static guint check_corpus(const char *dir, guint *total)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GDir) d = g_dir_open(dir, 0, &error);
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	const char *name;
	guint bad = 0;

	*total = 0;
	if (!d) {
		print_error("%s: %s (is LABCTL_SRCDIR the top of the tree?)\n", dir,
			    error->message);
		return 1;
	}
	while ((name = g_dir_read_name(d)))
		if (g_str_has_suffix(name, ".yaml"))
			g_ptr_array_add(names, g_strdup(name));
	g_ptr_array_sort(names, cmp_str);
	*total = names->len;

	for (guint i = 0; i < names->len; i++) {
		g_autofree char *file = g_build_filename(dir, g_ptr_array_index(names, i), NULL);
		g_autofree char *text = NULL;
		g_autoptr(GPtrArray) want = NULL;
		g_autoptr(GPtrArray) got = NULL;
		g_autoptr(GString) diff = NULL;
		g_auto(GStrv) lines = NULL;
		const char *why = NULL;
		bool same;

		if (!g_file_get_contents(file, &text, NULL, NULL)) {
			print_error("%s: cannot read\n", file);
			bad++;
			continue;
		}
		want = expected_lines(text, &why);
		if (!want) {
			print_error("%s: %s\n", file, why);
			bad++;
			continue;
		}
		got = check_file(file);
		same = want->len == got->len;
		for (guint j = 0; same && j < want->len; j++)
			same = !strcmp(g_ptr_array_index(want, j), g_ptr_array_index(got, j));
		if (same)
			continue;
		bad++;
		/* line by line: cmocka's messages have a bounded length */
		diff = g_string_new(NULL);
		print_diff(diff, want, got);
		lines = g_strsplit(diff->str, "\n", -1);
		print_error("%s: (- expected, + actual)\n", file);
		for (char **l = lines; *l && **l; l++)
			print_error("%s\n", *l);
	}
	return bad;
}

/* Every file of the corpus gives exactly the diagnostics it declares. */
static void test_invalid_corpus(void **state)
{
	char dir[4096];
	guint total, bad;

	(void)state;
	g_snprintf(dir, sizeof(dir), "%s/tests/data/invalid", srcdir());
	bad = check_corpus(dir, &total);
	if (total < CORPUS_MIN)
		fail_msg("%s holds %u specs, fewer than %d", dir, total, CORPUS_MIN);
	if (bad)
		fail_msg("%u of %u specs in %s do not give the diagnostics they declare",
			 bad, total, dir);
}

/* The examples are valid, and stay valid once resolved. */
static void test_examples(void **state)
{
	static const char *const examples[] = {
		"seed-lab.yaml", "local-lab.yaml", "libvirt-lab.yaml",
	};
	g_autofree char *dir = g_build_filename(srcdir(), "examples", NULL);
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	const char *name;
	guint seen = 0;

	(void)state;
	assert_non_null(d);
	while ((name = g_dir_read_name(d))) {
		g_autofree char *file = g_build_filename(dir, name, NULL);
		g_autoptr(GPtrArray) got = NULL;

		if (!g_str_has_suffix(name, ".yaml"))
			continue;
		seen++;
		got = check_file(file);
		if (got->len) {
			g_autofree char *all = NULL;

			g_ptr_array_add(got, NULL);
			all = g_strjoinv("\n    ", (char **)got->pdata);
			fail_msg("%s is an example, yet:\n    %s", file, all);
		}
	}
	/* the three the documentation names are there */
	for (size_t i = 0; i < G_N_ELEMENTS(examples); i++) {
		g_autofree char *file = g_build_filename(dir, examples[i], NULL);

		assert_true(g_file_test(file, G_FILE_TEST_IS_REGULAR));
	}
	assert_true(seen >= G_N_ELEMENTS(examples));
}

/* ---- single values ---- */

struct value_case {
	const char *s;
	const char *why;        /* NULL when valid */
};

static bool run_value_cases(const char *fn, const char *(*check)(const char *),
			    const struct value_case *cases, size_t n)
{
	bool ok = true;

	for (size_t i = 0; i < n; i++) {
		const char *why = check(cases[i].s);

		if (!g_strcmp0(why, cases[i].why))
			continue;
		print_error("%s(\"%s\"): expected %s%s%s, got %s%s%s\n", fn, cases[i].s,
			    cases[i].why ? "'" : "", cases[i].why ? cases[i].why : "valid",
			    cases[i].why ? "'" : "",
			    why ? "'" : "", why ? why : "valid", why ? "'" : "");
		ok = false;
	}
	return ok;
}

#define RUN_VALUES(fn, cases) \
	do { if (!run_value_cases(#fn, fn, cases, G_N_ELEMENTS(cases))) fail(); } while (0)

static void test_validate_iqn(void **state)
{
	static const char *const DATE = "'iqn.' is followed by a date 'yyyy-mm.'";
	static const char *const LOWER = "only lowercase letters, digits, '-', '.' and ':' are allowed";
	static const char *const PREFIX = "must start with 'iqn.', 'eui.' or 'naa.'";
	static const char *const AUTH = "the naming authority must be a reversed domain name";
	static const char *const EUI = "'eui.' is followed by 16 hex digits";
	static const char *const NAA = "'naa.' is followed by 16 or 32 hex digits";
	g_autofree char *tail = g_strnfill(223 - strlen("iqn.2016-06.com.example:"), 'a');
	g_autofree char *longest = g_strconcat("iqn.2016-06.com.example:", tail, NULL);
	g_autofree char *too_long = g_strconcat(longest, "a", NULL);
	const struct value_case cases[] = {
		{ "iqn.2016-06.com.iscsi-disks:iscsi-disks", NULL },
		{ "iqn.2026-01.local.labctl:seed.iscsi-disks", NULL },
		{ "iqn.1994-05.com.redhat:1a2b3c4d5e6f", NULL },
		{ "iqn.2016-06.com.example", NULL },
		{ "iqn.2016-12.x:a:b.c-d", NULL },
		{ "iqn.2016-01.0com.example:x", NULL },
		{ "eui.02004567A425678D", NULL },
		{ "eui.02004567a425678d", NULL },
		{ "naa.52004567BA64678D", NULL },
		{ "naa.52004567BA64678D52004567BA64678D", NULL },
		{ "", PREFIX },
		{ "IQN.2016-06.com.example:x", PREFIX },
		{ "iqm.2016-06.com.example:x", PREFIX },
		{ "iqn2016-06.com.example:x", PREFIX },
		{ " iqn.2016-06.com.example:x", PREFIX },
		{ "iqn.16-06.com.example:x", DATE },
		{ "iqn.2016-6.com.example:x", DATE },
		{ "iqn.2016-06com.example:x", DATE },
		{ "iqn.2016/06.com.example:x", DATE },
		{ "iqn.2016", DATE },
		{ "iqn.", DATE },
		{ "iqn.2016-13.com.example:x", "the month of the date is 01 to 12" },
		{ "iqn.2016-00.com.example:x", "the month of the date is 01 to 12" },
		{ "iqn.2016-06.com.Example:x", LOWER },
		{ "iqn.2016-06.com.example:X", LOWER },
		{ "iqn.2016-06.com.ex_ample:x", LOWER },
		{ "iqn.2016-06.com.example:a b", LOWER },
		{ "iqn.2016-06.com.example:a\n", LOWER },
		{ "iqn.2016-06.", "the date is followed by a reversed domain name" },
		{ "iqn.2016-06.:x", "the date is followed by a reversed domain name" },
		{ "iqn.2016-06.com..example:x", AUTH },
		{ "iqn.2016-06.-com.example:x", AUTH },
		{ "iqn.2016-06.com.example-:x", AUTH },
		{ "iqn.2016-06.com.example.:x", AUTH },
		{ "iqn.2016-06.com.example:", "nothing follows ':'" },
		{ "eui.0123", EUI },
		{ "eui.02004567a425678", EUI },
		{ "eui.02004567A425678DD", EUI },
		{ "eui.02004567A425678G", EUI },
		{ "naa.123", NAA },
		{ "naa.52004567ba64678z", NAA },
		{ "naa.52004567BA64678D52004567BA6467", NAA },
	};

	(void)state;
	RUN_VALUES(validate_iqn, cases);

	/* 223 bytes is the most an iSCSI name may have */
	assert_int_equal(strlen(longest), 223);
	assert_null(validate_iqn(longest));
	assert_string_equal(validate_iqn(too_long), "longer than 223 bytes");
}

static void test_validate_name(void **state)
{
	static const char *const CHARS = "use lowercase letters, digits and '-'";
	static const char *const ENDS = "a name starts and ends with a letter or digit";
	static const struct value_case cases[] = {
		{ "a", NULL },
		{ "0", NULL },
		{ "seed", NULL },
		{ "iscsi-disks", NULL },
		{ "a--b", NULL },
		{ "n1", NULL },
		{ "abcdefghijklmnopqrstuvwxyz012345", NULL },           /* 32 */
		{ "", "a name cannot be empty" },
		{ "abcdefghijklmnopqrstuvwxyz0123456", "a name has at most 32 characters" },
		{ "Seed", CHARS },
		{ "a_b", CHARS },
		{ "a.b", CHARS },
		{ "a b", CHARS },
		{ "a/b", CHARS },
		{ "é", CHARS },
		{ "-a", ENDS },
		{ "a-", ENDS },
		{ "-", ENDS },
	};

	(void)state;
	RUN_VALUES(validate_name, cases);
}

static void test_validate_abs_path(void **state)
{
	static const char *const ABS = "must be an absolute path";
	static const char *const CHARS = "use only letters, digits and '/._-+,:@=%' in paths";
	static const char *const DOTS = "a path has no '.' or '..' components";
	g_autofree char *long_path = g_strnfill(1025, 'a');
	g_autofree char *max_path = g_strnfill(1024, 'a');
	const struct value_case cases[] = {
		{ "/mnt", NULL },
		{ "/lun1.img", NULL },
		{ "/var/tmp/labctl-local/lun1.img", NULL },
		{ "/a/b+c,d:e@f=g%h_i", NULL },
		{ "/a/.hidden", NULL },
		{ "/a/..b", NULL },
		{ "/a/b-", NULL },
		{ "", ABS },
		{ "mnt", ABS },
		{ "./mnt", ABS },
		{ "~/mnt", ABS },
		{ "-/mnt", ABS },
		{ "/", "cannot be '/'" },
		{ "/a//b", "a path has no empty components ('//')" },
		{ "//a", "a path has no empty components ('//')" },
		{ "/a/", "a path does not end with '/'" },
		{ "/a/./b", DOTS },
		{ "/a/../b", DOTS },
		{ "/..", DOTS },
		{ "/.", DOTS },
		{ "/a/-b", "no path component may start with '-'" },
		{ "/-", "no path component may start with '-'" },
		{ "/a b", CHARS },
		{ "/a;b", CHARS },
		{ "/a$(id)", CHARS },
		{ "/a'b", CHARS },
		{ "/a\nb", CHARS },
		{ "/a*", CHARS },
		{ "/é", CHARS },
	};

	(void)state;
	RUN_VALUES(validate_abs_path, cases);
	long_path[0] = '/';
	max_path[0] = '/';
	assert_null(validate_abs_path(max_path));
	assert_string_equal(validate_abs_path(long_path), "path is too long");
}

static void test_validate_address(void **state)
{
	static const char *const BAD = "not an ip address or host name";
	g_autofree char *label63 = g_strnfill(63, 'a');
	g_autofree char *label64 = g_strnfill(64, 'a');
	const struct value_case cases[] = {
		{ "192.168.56.20", NULL },
		{ "10.0.0.1", NULL },
		{ "::1", NULL },
		{ "fe80::1", NULL },
		{ "localhost", NULL },
		{ "iscsi-disks", NULL },
		{ "disks.lab.example", NULL },
		{ "A1.example", NULL },
		{ label63, NULL },
		{ "", BAD },
		{ "-x", BAD },
		{ "a_b", BAD },
		{ "a..b", BAD },
		{ ".a", BAD },
		{ "a.-b", BAD },
		{ "a.b-", BAD },
		{ "host name", BAD },
		{ "a;b", BAD },
		{ "[::1]", BAD },
		{ "10.0.0.1:22", BAD },
		{ label64, BAD },
	};

	(void)state;
	RUN_VALUES(validate_address, cases);
}

/*
 * A dotted quad that is no address is no host name either: a host name's
 * last label is never all digits (RFC 1123 2.1, RFC 3696 2), so a typo such
 * as 10.0.0.256 must not pass as a name to look up.
 */
static void test_validate_address_numeric(void **state)
{
	static const char *const BAD = "not an ip address or host name";
	static const struct value_case cases[] = {
		{ "10.0.0.256", BAD },
		{ "999.1.1.1", BAD },
		{ "192.168.56", BAD },
		{ "1.2.3.4.5", BAD },
	};

	(void)state;
	RUN_VALUES(validate_address, cases);
}

static void test_validate_portal(void **state)
{
	static const char *const PORT = "the port is a number from 1 to 65535";
	static const char *const IP = "a portal address is an ip address";
	static const char *const V6 = "write an ipv6 portal as '[ADDRESS]:PORT'";
	static const struct {
		const char *s;
		const char *why;        /* NULL when valid */
		const char *addr;
		unsigned port;
	} cases[] = {
		{ "192.168.56.20", NULL, "192.168.56.20", 3260 },
		{ "192.168.56.20:3260", NULL, "192.168.56.20", 3260 },
		{ "10.0.0.1:3261", NULL, "10.0.0.1", 3261 },
		{ "10.0.0.1:1", NULL, "10.0.0.1", 1 },
		{ "10.0.0.1:65535", NULL, "10.0.0.1", 65535 },
		{ "[fe80::1]:3260", NULL, "fe80::1", 3260 },
		{ "[::1]", NULL, "::1", 3260 },
		{ "[2001:db8::5]:860", NULL, "2001:db8::5", 860 },
		{ "10.0.0.1:70000", PORT, NULL, 0 },
		{ "10.0.0.1:65536", PORT, NULL, 0 },
		{ "10.0.0.1:0", PORT, NULL, 0 },
		{ "10.0.0.1:", PORT, NULL, 0 },
		{ "10.0.0.1:x", PORT, NULL, 0 },
		{ "10.0.0.1:-1", PORT, NULL, 0 },
		{ "10.0.0.1: 1", PORT, NULL, 0 },
		{ "10.0.0.1:3260x", PORT, NULL, 0 },
		{ "10.0.0.1:99999999999999999999999", PORT, NULL, 0 },
		{ "[::1]:0", PORT, NULL, 0 },
		{ "disks.lab:3260", IP, NULL, 0 },
		{ "disks", IP, NULL, 0 },
		{ "", IP, NULL, 0 },
		{ "1.2.3:3260", IP, NULL, 0 },
		{ "10.0.0.256", IP, NULL, 0 },
		{ "::1", V6, NULL, 0 },
		{ "fe80::1:3260", V6, NULL, 0 },
		{ "[::1", "missing ']' after an ipv6 address", NULL, 0 },
		{ "[::1]3260", "expected ':PORT' after ']'", NULL, 0 },
		{ "[10.0.0.1]:3260", "not an ipv6 address", NULL, 0 },
		{ "[disks]:3260", "not an ipv6 address", NULL, 0 },
	};
	bool ok = true;

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *addr = NULL;
		unsigned port = 0;
		const char *why = validate_portal(cases[i].s, &addr, &port);

		if (g_strcmp0(why, cases[i].why) || g_strcmp0(addr, cases[i].addr) ||
		    port != cases[i].port) {
			print_error("validate_portal(\"%s\"): expected '%s' %s %u, got '%s' %s %u\n",
				    cases[i].s, cases[i].why ? cases[i].why : "valid",
				    cases[i].addr ? cases[i].addr : "-", cases[i].port,
				    why ? why : "valid", addr ? addr : "-", port);
			ok = false;
		}
	}
	/* the outputs are optional */
	assert_null(validate_portal("10.0.0.1:3260", NULL, NULL));
	assert_string_equal(validate_portal("10.0.0.1:0", NULL, NULL), PORT);
	if (!ok)
		fail();
}

/* ---- defaults ---- */

static struct lab_spec *load_valid(const char *file, const char *text)
{
	g_autoptr(GPtrArray) diags = diags_new();
	struct lab_spec *spec = spec_load_data(file, text, strlen(text), diags);
	bool ok;

	assert_non_null(spec);
	ok = validate_spec(spec, diags);
	if (diags->len) {
		g_autofree char *first = diag_format(g_ptr_array_index(diags, 0));

		fail_msg("%s should be valid: %s (and %u more)", file, first, diags->len - 1);
	}
	if (!ok)
		fail_msg("%s: validate_spec failed without a diagnostic", file);
	return spec;
}

static char *read_example(const char *name)
{
	g_autofree char *file = g_build_filename(srcdir(), "examples", name, NULL);
	char *text = NULL;

	if (!g_file_get_contents(file, &text, NULL, NULL))
		fail_msg("cannot read %s", file);
	return text;
}

static const char *str_at(GPtrArray *list, guint i)
{
	assert_non_null(list);
	assert_true(i < list->len);
	return ((struct ystr *)g_ptr_array_index(list, i))->v;
}

static struct spec_node *find(const struct lab_spec *spec, const char *name)
{
	struct spec_node *n = spec_find_node(spec, name);

	assert_non_null(n);
	return n;
}

static struct spec_lun *lun_at(struct spec_node *n, guint i)
{
	assert_non_null(n->target.luns);
	assert_true(i < n->target.luns->len);
	return g_ptr_array_index(n->target.luns, i);
}

static void test_resolve_seed(void **state)
{
	g_autofree char *text = read_example("seed-lab.yaml");
	struct lab_spec *spec = load_valid("seed-lab.yaml", text);
	struct spec_node *d = find(spec, "iscsi-disks");
	struct spec_node *h = find(spec, "iscsi-host");

	(void)state;
	/* what the spec says stays */
	assert_string_equal(d->target.iqn.v, "iqn.2016-06.com.iscsi-disks:iscsi-disks");
	assert_string_equal(h->initiator.iqn.v, "iqn.2016-06.com.iscsi-host:iscsi-host");
	assert_int_equal(d->target.portals->len, 1);
	assert_string_equal(str_at(d->target.portals, 0), "192.168.56.20:3260");
	assert_null(spec->provider.subnet.v);       /* static: none */
	/* LIO numbers LUNs from 0 */
	assert_true(lun_at(d, 0)->number.set);
	assert_int_equal(lun_at(d, 0)->number.v, 0);
	assert_int_equal(h->initiator.timeout.v, 15);
	assert_string_equal(spec_node_user(spec, h), "root");
	assert_int_equal(spec_node_port(spec, h), 22);
	spec_free(spec);
}

/* The seed lab without the names it gives: every one is derived. */
static void test_resolve_seed_derived(void **state)
{
	static const char *const drop[] = { "iqn:", "portals:", "acl:", "targets:" };
	g_autofree char *text = read_example("seed-lab.yaml");
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	g_autoptr(GString) trimmed = g_string_new(NULL);
	g_autofree char *disk_iqn = spec_default_iqn("seed", "iscsi-disks");
	g_autofree char *host_iqn = spec_default_iqn("seed", "iscsi-host");
	g_autofree char *addr = NULL;
	struct lab_spec *spec;
	struct spec_node *d, *h;
	unsigned port = 0;

	(void)state;
	for (char **l = lines; *l; l++) {
		bool keep = true;

		for (size_t i = 0; i < G_N_ELEMENTS(drop); i++)
			keep = keep && !strstr(*l, drop[i]);
		if (keep)
			g_string_append_printf(trimmed, "%s\n", *l);
	}
	spec = load_valid("seed-derived.yaml", trimmed->str);
	d = find(spec, "iscsi-disks");
	h = find(spec, "iscsi-host");

	assert_string_equal(disk_iqn, "iqn.2026-01.local.labctl:seed.iscsi-disks");
	assert_string_equal(d->target.iqn.v, disk_iqn);
	assert_string_equal(h->initiator.iqn.v, host_iqn);
	assert_null(validate_iqn(d->target.iqn.v));
	assert_null(validate_iqn(h->initiator.iqn.v));
	/* the portal is the address; its port the iSCSI default */
	assert_int_equal(d->target.portals->len, 1);
	assert_string_equal(str_at(d->target.portals, 0), "192.168.56.20");
	assert_null(validate_portal(str_at(d->target.portals, 0), &addr, &port));
	assert_string_equal(addr, "192.168.56.20");
	assert_int_equal(port, 3260);
	/* every host may log in, and every host logs in where it may */
	assert_int_equal(d->target.acl->len, 1);
	assert_string_equal(str_at(d->target.acl, 0), "iscsi-host");
	assert_int_equal(h->initiator.targets->len, 1);
	assert_string_equal(str_at(h->initiator.targets, 0), "iscsi-disks");
	spec_free(spec);
}

static void test_resolve_local(void **state)
{
	g_autofree char *text = read_example("local-lab.yaml");
	struct lab_spec *spec = load_valid("local-lab.yaml", text);
	struct spec_node *d = find(spec, "iscsi-disks");
	struct spec_node *h = find(spec, "iscsi-host");

	(void)state;
	/* netns: addresses from the subnet, .10 and up in spec order */
	assert_string_equal(spec->provider.subnet.v, "10.203.0.0/24");
	assert_string_equal(d->address.v, "10.203.0.10");
	assert_string_equal(h->address.v, "10.203.0.11");
	assert_int_equal(d->target.portals->len, 1);
	assert_string_equal(str_at(d->target.portals, 0), "10.203.0.10");
	/* tgt keeps LUN 0: numbers start at 1 */
	assert_true(lun_at(d, 0)->number.set);
	assert_int_equal(lun_at(d, 0)->number.v, 1);
	assert_int_equal(d->target.acl->len, 1);
	assert_string_equal(str_at(d->target.acl, 0), "iscsi-host");
	assert_int_equal(h->initiator.targets->len, 1);
	assert_string_equal(str_at(h->initiator.targets, 0), "iscsi-disks");
	assert_string_equal(d->target.iqn.v, "iqn.2016-06.com.iscsi-disks:iscsi-disks");
	assert_int_equal(h->initiator.mounts->len, 1);
	spec_free(spec);
}

/* A mount's fio run: its shorthands, its defaults, and what the spec says. */
static void test_resolve_fio(void **state)
{
	static const char text[] =
		"lab: t\n"
		"provider: {type: static}\n"
		"nodes:\n"
		"  - name: d\n"
		"    role: disk\n"
		"    address: 10.0.0.1\n"
		"    target:\n"
		"      backend: tgt\n"
		"      luns:\n"
		"        - {name: a, image: /srv/a.img, size: 1GiB}\n"
		"        - {name: b, image: /srv/b.img, size: 1GiB}\n"
		"        - {name: c, image: /srv/c.img, size: 1GiB}\n"
		"        - {name: e, image: /srv/e.img, size: 1GiB}\n"
		"        - {name: f, image: /srv/f.img, size: 1GiB}\n"
		"  - name: h\n"
		"    role: host\n"
		"    address: 10.0.0.2\n"
		"    initiator:\n"
		"      mounts:\n"
		"        - {disk: d, lun: a, path: /mnt/a, fio: true}\n"
		"        - {disk: d, lun: b, path: /mnt/b, fio: {}}\n"
		"        - {disk: d, lun: c, path: /mnt/c, fio: false}\n"
		"        - {disk: d, lun: e, path: /mnt/e}\n"
		"        - {disk: d, lun: f, path: /mnt/f, fio: {rw: read, bs: 64KiB, size: 512MiB,\n"
		"           runtime: 600, iodepth: 32, numjobs: 16, direct: no}}\n";
	struct lab_spec *spec = load_valid("fio.yaml", text);
	struct spec_node *h = find(spec, "h");
	const struct spec_mount *m[5];

	(void)state;
	assert_int_equal(h->initiator.mounts->len, 5);
	for (guint i = 0; i < 5; i++)
		m[i] = g_ptr_array_index(h->initiator.mounts, i);
	/* true and {} are the run with every default; false is none */
	for (guint i = 0; i < 2; i++) {
		assert_int_equal(m[i]->fio.where.line, 20 + i);
		assert_int_equal(m[i]->fio.rw.v, FIO_RANDRW);
		assert_string_equal(spec_fio_rw_names[m[i]->fio.rw.v], "randrw");
		assert_int_equal(m[i]->fio.bs.v, 4096);
		assert_int_equal(m[i]->fio.size.v, 64 << 20);
		assert_int_equal(m[i]->fio.runtime.v, 10);
		assert_int_equal(m[i]->fio.iodepth.v, 4);
		assert_int_equal(m[i]->fio.numjobs.v, 1);
		assert_true(m[i]->fio.direct.v);
	}
	assert_int_equal(m[2]->fio.where.line, 0);
	assert_int_equal(m[3]->fio.where.line, 0);
	assert_int_equal(m[3]->fio.runtime.v, 0);
	assert_string_equal(spec_fio_rw_names[m[4]->fio.rw.v], "read");
	assert_int_equal(m[4]->fio.bs.v, 64 << 10);
	assert_int_equal(m[4]->fio.size.v, 512 << 20);
	assert_int_equal(m[4]->fio.runtime.v, 600);
	assert_int_equal(m[4]->fio.iodepth.v, 32);
	assert_int_equal(m[4]->fio.numjobs.v, 16);
	assert_false(m[4]->fio.direct.v);
	spec_free(spec);
}

/* A conformance run: all of libiscsi's tests in a quarter of an hour, or what the spec says. */
static void test_resolve_conformance(void **state)
{
	static const char text[] =
		"lab: t\n"
		"provider: {type: static}\n"
		"nodes:\n"
		"  - name: d\n"
		"    role: disk\n"
		"    address: 10.0.0.1\n"
		"    target:\n"
		"      luns:\n"
		"        - {name: a, image: /srv/a.img, size: 1GiB}\n"
		"        - {name: b, image: /srv/b.img, size: 1GiB}\n"
		"  - name: h\n"
		"    role: host\n"
		"    address: 10.0.0.2\n"
		"    initiator:\n"
		"      conformance:\n"
		"        - {disk: d, lun: a}\n"
		"        - {disk: d, lun: b, suite: libiscsi, tests: SCSI.Read10, timeout: 60}\n"
		"  - name: g\n"
		"    role: host\n"
		"    address: 10.0.0.3\n";
	struct lab_spec *spec = load_valid("conformance.yaml", text);
	struct spec_node *h = find(spec, "h");
	const struct spec_conformance *a, *b;

	(void)state;
	assert_int_equal(h->initiator.conformance->len, 2);
	a = g_ptr_array_index(h->initiator.conformance, 0);
	b = g_ptr_array_index(h->initiator.conformance, 1);
	assert_string_equal(spec_conformance_suite_names[a->suite.v], "libiscsi");
	assert_int_equal(a->tests->len, 1);
	assert_string_equal(str_at(a->tests, 0), "ALL");
	assert_int_equal(a->timeout.v, SPEC_CONFORMANCE_TIMEOUT);
	assert_int_equal(SPEC_CONFORMANCE_TIMEOUT, 900);
	/* a lone name is a list of one */
	assert_int_equal(b->tests->len, 1);
	assert_string_equal(str_at(b->tests, 0), "SCSI.Read10");
	assert_int_equal(b->timeout.v, 60);
	/* a host without any has an empty list, never NULL */
	assert_non_null(find(spec, "g")->initiator.conformance);
	assert_int_equal(find(spec, "g")->initiator.conformance->len, 0);
	spec_free(spec);
}

/* ACLs by default and by name or IQN decide where each host logs in. */
static void test_resolve_acl_targets(void **state)
{
	static const char text[] =
		"lab: acl\n"
		"provider: {type: libvirt, base_image: /img/base.qcow2}\n"
		"nodes:\n"
		"  - name: d1\n    role: disk\n"
		"    target: {luns: [{name: a, image: /a, size: 1GiB}, {name: b, image: /b, size: 1GiB}]}\n"
		"  - name: h1\n    role: host\n"
		"  - name: d2\n    role: disk\n"
		"    target: {backend: tgt, acl: [h1], luns: [{name: a, image: /a, size: 1GiB}]}\n"
		"  - name: h2\n    role: host\n"
		"    initiator: {iqn: 'iqn.2020-01.org.example:h2'}\n"
		"  - name: d3\n    role: disk\n"
		"    target: {acl: ['iqn.2020-01.org.example:h2', h3], luns: [{name: a, image: /a, size: 1GiB}]}\n"
		"  - name: h3\n    role: host\n"
		"    initiator: {targets: [d1]}\n";
	struct lab_spec *spec = load_valid("acl.yaml", text);
	struct spec_node *d1 = find(spec, "d1"), *d2 = find(spec, "d2");
	struct spec_node *h1 = find(spec, "h1"), *h2 = find(spec, "h2"), *h3 = find(spec, "h3");

	(void)state;
	/* libvirt's subnet by default */
	assert_string_equal(spec->provider.subnet.v, spec_default_subnet(PROVIDER_LIBVIRT));
	assert_string_equal(d1->address.v, "192.168.56.10");
	assert_string_equal(h1->address.v, "192.168.56.11");
	assert_string_equal(h3->address.v, "192.168.56.15");
	/* no acl: all host nodes, in spec order */
	assert_int_equal(d1->target.acl->len, 3);
	assert_string_equal(str_at(d1->target.acl, 0), "h1");
	assert_string_equal(str_at(d1->target.acl, 1), "h2");
	assert_string_equal(str_at(d1->target.acl, 2), "h3");
	assert_int_equal(d2->target.acl->len, 1);
	/* LUN numbers: LIO from 0, tgt from 1 */
	assert_int_equal(lun_at(d1, 0)->number.v, 0);
	assert_int_equal(lun_at(d1, 1)->number.v, 1);
	assert_int_equal(lun_at(d2, 0)->number.v, 1);
	/* targets: the disks whose acl admits the host, by name or by IQN */
	assert_int_equal(h1->initiator.targets->len, 2);
	assert_string_equal(str_at(h1->initiator.targets, 0), "d1");
	assert_string_equal(str_at(h1->initiator.targets, 1), "d2");
	assert_int_equal(h2->initiator.targets->len, 2);
	assert_string_equal(str_at(h2->initiator.targets, 0), "d1");
	assert_string_equal(str_at(h2->initiator.targets, 1), "d3");
	/* given targets stay as they are (d3 would admit h3 too) */
	assert_int_equal(h3->initiator.targets->len, 1);
	assert_string_equal(str_at(h3->initiator.targets, 0), "d1");
	assert_string_equal(h1->initiator.iqn.v, "iqn.2026-01.local.labctl:acl.h1");
	spec_free(spec);
}

/*
 * validate_spec checks "against what will really run": a LUN numbered by
 * default must not take the number another LUN was given.
 */
static void test_lun_numbers_unique(void **state)
{
	static const char *const texts[] = {
		"lab: t\nprovider: {type: static}\nnodes:\n"
		"  - name: d\n    role: disk\n    address: 10.0.0.1\n"
		"    target:\n      luns:\n"
		"        - {name: a, image: /srv/a.img, size: 1GiB, number: 1}\n"
		"        - {name: b, image: /srv/b.img, size: 1GiB}\n",
		"lab: t\nprovider: {type: static}\nnodes:\n"
		"  - name: d\n    role: disk\n    address: 10.0.0.1\n"
		"    target:\n      backend: tgt\n      luns:\n"
		"        - {name: a, image: /srv/a.img, size: 1GiB}\n"
		"        - {name: b, image: /srv/b.img, size: 1GiB, number: 1}\n",
	};

	(void)state;
	for (size_t t = 0; t < G_N_ELEMENTS(texts); t++) {
		g_autoptr(GPtrArray) diags = diags_new();
		struct lab_spec *spec = spec_load_data("n.yaml", texts[t], strlen(texts[t]), diags);
		struct spec_node *d;
		bool valid;

		assert_int_equal(diags->len, 0);
		valid = validate_spec(spec, diags);
		d = find(spec, "d");
		if (valid && lun_at(d, 0)->number.v == lun_at(d, 1)->number.v)
			fail_msg("case %zu: valid, yet luns 'a' and 'b' both get lun number %"
				 G_GUINT64_FORMAT, t + 1, lun_at(d, 0)->number.v);
		spec_free(spec);
	}
}

/* Unnumbered LUNs take the lowest numbers nobody took; tgt starts at 1. */
static void test_resolve_lun_numbers(void **state)
{
	static const struct {
		const char *backend;
		const char *numbers[4];         /* "" for none */
		guint64 want[4];
	} cases[] = {
		{ "lio", { "", "", "", "" }, { 0, 1, 2, 3 } },
		{ "tgt", { "", "", "", "" }, { 1, 2, 3, 4 } },
		{ "lio", { "1", "", "", "" }, { 1, 0, 2, 3 } },
		{ "lio", { "", "", "0", "2" }, { 1, 3, 0, 2 } },
		{ "tgt", { "", "1", "", "3" }, { 2, 1, 4, 3 } },
		{ "lio", { "7", "", "5", "" }, { 7, 0, 5, 1 } },
	};

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GString) text = g_string_new(NULL);
		struct lab_spec *spec;
		struct spec_node *d;

		g_string_append_printf(text, "lab: t\nprovider: {type: static}\nnodes:\n"
				       "  - name: d\n    role: disk\n    address: 10.0.0.1\n"
				       "    target:\n      backend: %s\n      luns:\n",
				       cases[i].backend);
		for (int j = 0; j < 4; j++) {
			g_string_append_printf(text, "        - {name: l%d, image: /srv/l%d.img, size: 1GiB", j, j);
			if (*cases[i].numbers[j])
				g_string_append_printf(text, ", number: %s", cases[i].numbers[j]);
			g_string_append(text, "}\n");
		}
		spec = load_valid("numbers.yaml", text->str);
		d = find(spec, "d");
		for (guint j = 0; j < 4; j++) {
			if (lun_at(d, j)->number.v != cases[i].want[j])
				fail_msg("case %zu: lun l%u got number %" G_GUINT64_FORMAT ", want %"
					 G_GUINT64_FORMAT, i + 1, j, lun_at(d, j)->number.v,
					 cases[i].want[j]);
			assert_true(lun_at(d, j)->number.set);
		}
		spec_free(spec);
	}
}

/* A default portal writes an IPv6 address in brackets. */
static void test_resolve_ipv6_portal(void **state)
{
	static const char text[] =
		"lab: t\nprovider: {type: static}\nnodes:\n"
		"  - name: d\n    role: disk\n    address: 'fd00::20'\n"
		"    target: {luns: [{name: l, image: /srv/l.img, size: 1GiB}]}\n";
	struct lab_spec *spec = load_valid("v6.yaml", text);
	struct spec_node *d = find(spec, "d");
	g_autofree char *addr = NULL;
	unsigned port = 0;

	(void)state;
	assert_int_equal(d->target.portals->len, 1);
	assert_string_equal(str_at(d->target.portals, 0), "[fd00::20]");
	assert_null(validate_portal(str_at(d->target.portals, 0), &addr, &port));
	assert_string_equal(addr, "fd00::20");
	assert_int_equal(port, 3260);
	spec_free(spec);
}

/* Without a lab name or a node name there is no IQN to derive (and no "(null)" in one). */
static void test_resolve_without_names(void **state)
{
	static const char text[] =
		"provider: {type: static}\nnodes:\n"
		"  - {role: host, address: 10.0.0.2}\n"
		"  - name: d\n    role: disk\n    address: 10.0.0.1\n"
		"    target: {luns: [{name: l, image: /srv/l.img, size: 1GiB}]}\n";
	g_autoptr(GPtrArray) diags = diags_new();
	struct lab_spec *spec = spec_load_data("noname.yaml", text, sizeof(text) - 1, diags);
	const struct spec_node *h, *d;

	(void)state;
	assert_non_null(spec);
	assert_false(validate_spec(spec, diags) && !diags->len);
	h = g_ptr_array_index(spec->nodes, 0);
	d = g_ptr_array_index(spec->nodes, 1);
	assert_null(h->initiator.iqn.v);
	assert_null(d->target.iqn.v);
	spec_free(spec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_invalid_corpus),
		cmocka_unit_test(test_resolve_without_names),
		cmocka_unit_test(test_examples),
		cmocka_unit_test(test_validate_iqn),
		cmocka_unit_test(test_validate_name),
		cmocka_unit_test(test_validate_abs_path),
		cmocka_unit_test(test_validate_address),
		cmocka_unit_test(test_validate_address_numeric),
		cmocka_unit_test(test_validate_portal),
		cmocka_unit_test(test_resolve_seed),
		cmocka_unit_test(test_resolve_seed_derived),
		cmocka_unit_test(test_resolve_local),
		cmocka_unit_test(test_resolve_fio),
		cmocka_unit_test(test_resolve_conformance),
		cmocka_unit_test(test_resolve_acl_targets),
		cmocka_unit_test(test_lun_numbers_unique),
		cmocka_unit_test(test_resolve_lun_numbers),
		cmocka_unit_test(test_resolve_ipv6_portal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
