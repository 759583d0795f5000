/*
 * test_ytree.c - unit tests of the YAML tree, diagnostics and the decoder
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "labctl/ytree.h"

#define MAX_DIAGS 8

/* "LINE:COL: message", or "message" without a position */
static char *diag_text(const struct diag *d)
{
	if (!d->loc.line)
		return g_strdup(d->msg);
	return g_strdup_printf("%u:%u: %s", d->loc.line, d->loc.col, d->msg);
}

static char *diags_dump(GPtrArray *diags)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; i < diags->len; i++) {
		g_autofree char *t = diag_text(g_ptr_array_index(diags, i));

		g_string_append_printf(s, "\n    %s", t);
	}
	if (!diags->len)
		g_string_append(s, " (none)");
	return g_string_free(s, FALSE);
}

/* Whether @diags holds exactly @want (NULL-terminated), in order; says why not. */
static bool check_diags(const char *what, GPtrArray *diags, const char *const *want)
{
	size_t n = 0;
	bool same;

	while (want[n])
		n++;
	same = n == diags->len;
	for (guint i = 0; same && i < diags->len; i++) {
		g_autofree char *t = diag_text(g_ptr_array_index(diags, i));

		same = !strcmp(t, want[i]);
	}
	if (!same) {
		g_autofree char *got = diags_dump(diags);
		g_autofree char *exp = g_strjoinv("\n    ", (char **)want);
		g_autofree char *esc = g_strescape(what, NULL);

		print_error("\"%s\": expected diagnostics:\n    %s\ngot:%s\n", esc,
			    n ? exp : "(none)", got);
	}
	return same;
}

static void expect_diags(const char *what, GPtrArray *diags, const char *const *want)
{
	if (!check_diags(what, diags, want))
		fail();
}

static struct ynode *parse(const char *text, GPtrArray *diags)
{
	return ytree_parse("t.yaml", text, strlen(text), diags);
}

static const struct ynode *item(const struct ynode *n, guint i)
{
	assert_non_null(n);
	assert_non_null(n->items);
	assert_true(i < n->items->len);
	return g_ptr_array_index(n->items, i);
}

static const struct ynode *key(const struct ynode *n, guint i)
{
	assert_int_equal(n->type, YNODE_MAP);
	assert_true(i < n->keys->len);
	return g_ptr_array_index(n->keys, i);
}

static void assert_scalar(const struct ynode *n, const char *text, unsigned line,
			  unsigned col)
{
	assert_non_null(n);
	assert_int_equal(n->type, YNODE_SCALAR);
	assert_string_equal(n->scalar, text);
	assert_int_equal(n->loc.line, line);
	assert_int_equal(n->loc.col, col);
}

static void assert_loc(const struct ynode *n, unsigned line, unsigned col)
{
	assert_non_null(n);
	assert_int_equal(n->loc.line, line);
	assert_int_equal(n->loc.col, col);
}

/* ---- ytree_parse ---- */

static void test_scalars(void **state)
{
	g_autoptr(GPtrArray) diags = diags_new();
	struct ynode *root;

	(void)state;
	root = parse("a: b\n"
		     "cc: 'd e'\n"
		     "e:   \"f\\tg\"\n"
		     "n: 42\n"
		     "é: ü\n", diags);
	expect_diags("scalars", diags, (const char *[]){ NULL });
	assert_int_equal(root->type, YNODE_MAP);
	assert_loc(root, 1, 1);
	assert_int_equal(root->keys->len, 5);

	assert_scalar(key(root, 0), "a", 1, 1);
	assert_scalar(item(root, 0), "b", 1, 4);
	assert_true(item(root, 0)->plain);
	assert_false(item(root, 0)->block);

	assert_scalar(key(root, 1), "cc", 2, 1);
	assert_scalar(item(root, 1), "d e", 2, 5);
	assert_false(item(root, 1)->plain);

	assert_scalar(item(root, 2), "f\tg", 3, 6);
	assert_false(item(root, 2)->plain);
	assert_scalar(item(root, 3), "42", 4, 4);
	/* columns count characters, not bytes */
	assert_scalar(key(root, 4), "é", 5, 1);
	assert_scalar(item(root, 4), "ü", 5, 4);

	assert_ptr_equal(ynode_get(root, "cc"), item(root, 1));
	assert_null(ynode_get(root, "zz"));
	assert_null(ynode_get(item(root, 0), "a"));
	assert_string_equal(ynode_kind(root), "a mapping");
	assert_string_equal(ynode_kind(item(root, 0)), "a scalar");
	ynode_free(root);

	/* a document may be a lone scalar */
	root = parse("\n\n   hello world\n", diags);
	expect_diags("lone scalar", diags, (const char *[]){ NULL });
	assert_scalar(root, "hello world", 3, 4);
	ynode_free(root);
}

static void test_lists(void **state)
{
	g_autoptr(GPtrArray) diags = diags_new();
	struct ynode *root;
	const struct ynode *n;

	(void)state;
	root = parse("- a\n"
		     "- [b, c]\n"
		     "- {d: e}\n"
		     "-\n"
		     "  - f\n"
		     "- []\n", diags);
	expect_diags("lists", diags, (const char *[]){ NULL });
	assert_int_equal(root->type, YNODE_SEQ);
	assert_null(root->keys);
	assert_loc(root, 1, 1);
	assert_int_equal(root->items->len, 5);
	assert_string_equal(ynode_kind(root), "a list");

	assert_scalar(item(root, 0), "a", 1, 3);
	n = item(root, 1);
	assert_int_equal(n->type, YNODE_SEQ);
	assert_loc(n, 2, 3);
	assert_scalar(item(n, 0), "b", 2, 4);
	assert_scalar(item(n, 1), "c", 2, 7);
	n = item(root, 2);
	assert_int_equal(n->type, YNODE_MAP);
	assert_loc(n, 3, 3);
	assert_scalar(key(n, 0), "d", 3, 4);
	assert_scalar(item(n, 0), "e", 3, 7);
	n = item(root, 3);
	assert_int_equal(n->type, YNODE_SEQ);
	assert_loc(n, 5, 3);
	assert_scalar(item(n, 0), "f", 5, 5);
	n = item(root, 4);
	assert_int_equal(n->type, YNODE_SEQ);
	assert_int_equal(n->items->len, 0);
	ynode_free(root);
}

static void test_mappings(void **state)
{
	g_autoptr(GPtrArray) diags = diags_new();
	struct ynode *root;
	const struct ynode *top, *inner, *list;

	(void)state;
	root = parse("# a comment\n"
		     "top:\n"
		     "  inner:\n"
		     "    - x\n"
		     "    - y: 1\n"
		     "      z: 2\n"
		     "  empty: {}\n"
		     "nothing:\n"
		     "last: end\n", diags);
	expect_diags("mappings", diags, (const char *[]){ NULL });
	assert_loc(root, 2, 1);
	assert_scalar(key(root, 0), "top", 2, 1);
	top = ynode_get(root, "top");
	assert_int_equal(top->type, YNODE_MAP);
	assert_loc(top, 3, 3);
	assert_scalar(key(top, 0), "inner", 3, 3);
	inner = ynode_get(top, "inner");
	assert_int_equal(inner->type, YNODE_SEQ);
	assert_loc(inner, 4, 5);
	assert_scalar(item(inner, 0), "x", 4, 7);
	list = item(inner, 1);
	assert_int_equal(list->type, YNODE_MAP);
	assert_loc(list, 5, 7);
	assert_scalar(key(list, 1), "z", 6, 7);
	assert_scalar(item(list, 1), "2", 6, 10);
	assert_int_equal(ynode_get(top, "empty")->type, YNODE_MAP);
	assert_int_equal(ynode_get(top, "empty")->keys->len, 0);
	/* "key:" with nothing is an empty plain scalar */
	assert_int_equal(ynode_get(root, "nothing")->type, YNODE_SCALAR);
	assert_string_equal(ynode_get(root, "nothing")->scalar, "");
	assert_true(ynode_get(root, "nothing")->plain);
	assert_scalar(ynode_get(root, "last"), "end", 9, 7);
	ynode_free(root);
}

static void test_block_scalars(void **state)
{
	g_autoptr(GPtrArray) diags = diags_new();
	struct ynode *root;
	const struct ynode *n;

	(void)state;
	root = parse("lit: |\n"
		     "  one\n"
		     "  two\n"
		     "fold: >\n"
		     "  a\n"
		     "  b\n"
		     "plain: x\n"
		     "quoted: \"y\"\n", diags);
	expect_diags("block scalars", diags, (const char *[]){ NULL });
	n = ynode_get(root, "lit");
	assert_scalar(n, "one\ntwo\n", 1, 6);
	assert_true(n->block);
	assert_false(n->plain);
	n = ynode_get(root, "fold");
	assert_scalar(n, "a b\n", 4, 7);
	assert_true(n->block);
	assert_false(ynode_get(root, "plain")->block);
	assert_false(ynode_get(root, "quoted")->block);
	ynode_free(root);
}

static void test_duplicate_keys(void **state)
{
	g_autoptr(GPtrArray) diags = diags_new();
	struct ynode *root;
	const struct ynode *m;

	(void)state;
	root = parse("a: 1\n"
		     "b:\n"
		     "  x: first\n"
		     "  x: [second]\n"
		     "a: 3\n", diags);
	/* reported at the second key; not fatal; the first value stays */
	expect_diags("duplicate keys", diags, (const char *[]){
		"4:3: duplicate key 'x'",
		"5:1: duplicate key 'a'",
		NULL });
	assert_non_null(root);
	assert_int_equal(root->keys->len, 2);
	assert_scalar(ynode_get(root, "a"), "1", 1, 4);
	m = ynode_get(root, "b");
	assert_int_equal(m->keys->len, 1);
	assert_scalar(ynode_get(m, "x"), "first", 3, 6);
	ynode_free(root);
}

struct fail_case {
	const char *text;
	const char *diag;       /* the one expected diagnostic */
};

/* Runs every case, then fails if any went wrong. */
static void run_fail_cases(const struct fail_case *cases, size_t n)
{
	bool ok = true;

	for (size_t i = 0; i < n; i++) {
		g_autoptr(GPtrArray) diags = diags_new();
		struct ynode *root = parse(cases[i].text, diags);

		ok &= check_diags(cases[i].text, diags,
				  (const char *[]){ cases[i].diag, NULL });
		if (root) {
			print_error("'%s': parse should have failed\n", cases[i].text);
			ok = false;
			ynode_free(root);
		}
	}
	if (!ok)
		fail();
}

static void test_non_scalar_keys(void **state)
{
	static const struct fail_case cases[] = {
		{ "? [a, b]\n: c\n", "1:3: mapping keys must be scalars, not a list" },
		{ "x: 1\n? {a: b}\n: c\n", "2:3: mapping keys must be scalars, not a mapping" },
		{ "{[a]: b}\n", "1:2: mapping keys must be scalars, not a list" },
	};

	(void)state;
	run_fail_cases(cases, G_N_ELEMENTS(cases));
}

static void test_anchors_aliases_tags(void **state)
{
	static const struct fail_case cases[] = {
		{ "a: &x 1\n", "1:4: anchors are not supported: '&x'" },
		{ "a: &list [1]\n", "1:4: anchors are not supported: '&list'" },
		{ "a:\n  b: &m {c: 1}\n", "2:6: anchors are not supported: '&m'" },
		{ "a: 1\nb: *x\n", "2:4: aliases are not supported: '*x'" },
		/* the anchor is refused first: a bomb never expands */
		{ "a: &x [1, 2]\nb: [*x, *x, *x]\n", "1:4: anchors are not supported: '&x'" },
		{ "a: 1\n<<: *base\n", "2:5: aliases are not supported: '*base'" },
		{ "a: !!str 1\n", "1:4: tags are not supported: 'tag:yaml.org,2002:str'" },
		{ "a: !local x\n", "1:4: tags are not supported: '!local'" },
		{ "!!map\na: 1\n", "1:1: tags are not supported: 'tag:yaml.org,2002:map'" },
		{ "a: !!seq [1]\n", "1:4: tags are not supported: 'tag:yaml.org,2002:seq'" },
	};

	(void)state;
	run_fail_cases(cases, G_N_ELEMENTS(cases));
}

static void test_multi_document(void **state)
{
	static const struct fail_case cases[] = {
		{ "a: 1\n---\nb: 2\n", "2:1: only one yaml document is allowed" },
		{ "--- a\n--- b\n", "2:1: only one yaml document is allowed" },
		{ "a: 1\n...\n---\nb: 2\n", "3:1: only one yaml document is allowed" },
	};
	g_autoptr(GPtrArray) diags = diags_new();
	struct ynode *root;

	(void)state;
	run_fail_cases(cases, G_N_ELEMENTS(cases));

	/* one explicit document, with its end marker, is fine */
	root = parse("---\na: 1\n...\n", diags);
	expect_diags("one document", diags, (const char *[]){ NULL });
	assert_non_null(root);
	ynode_free(root);
}

static void test_syntax_errors(void **state)
{
	static const struct fail_case cases[] = {
		{ "a: b\n  c: d\n", "2:4: invalid yaml: mapping values are not allowed in this context" },
		{ "a: [b\n", "2:1: invalid yaml: did not find expected ',' or ']' while parsing a flow sequence" },
		{ "a: 'b\n", "2:1: invalid yaml: found unexpected end of stream while scanning a quoted scalar" },
		{ "a:\tb: c\n", "1:5: invalid yaml: mapping values are not allowed in this context" },
	};

	(void)state;
	run_fail_cases(cases, G_N_ELEMENTS(cases));
}

static void test_bad_bytes(void **state)
{
	static const struct fail_case cases[] = {
		{ "a: b\nc: d\xff" "e\n", "2:5: file is not valid utf-8" },
		{ "\xc3\n", "1:1: file is not valid utf-8" },
		/* columns count characters: é is one */
		{ "x: \xc3\xa9\xc3\n", "1:5: file is not valid utf-8" },
		{ "a: b\n\n  c: \xed\xa0\x80\n", "3:6: file is not valid utf-8" },
	};

	(void)state;
	run_fail_cases(cases, G_N_ELEMENTS(cases));
}

/* libyaml's reader errors carry an offset, not a mark: still a line:col */
static void test_control_character_position(void **state)
{
	static const struct fail_case cases[] = {
		{ "a: b\nc: d\x01\n", "2:5: invalid yaml: control characters are not allowed" },
		{ "a: \"x\x7f\"\n", "1:6: invalid yaml: control characters are not allowed" },
	};

	(void)state;
	run_fail_cases(cases, G_N_ELEMENTS(cases));
}

/* Whether a NUL byte gives one diagnostic naming it; says why not. */
static bool nul_byte_reported(void)
{
	static const char text[] = "a: b\0c\n";     /* the NUL is at 1:5 */
	g_autoptr(GPtrArray) diags = diags_new();
	struct ynode *root;
	const struct diag *d;

	root = ytree_parse("t.yaml", text, sizeof(text) - 1, diags);
	if (root) {
		ynode_free(root);
		print_error("NUL byte: the parse should fail\n");
		return false;
	}
	if (diags->len != 1) {
		g_autofree char *got = diags_dump(diags);

		print_error("NUL byte: expected one diagnostic, got:%s\n", got);
		return false;
	}
	d = g_ptr_array_index(diags, 0);
	/* NUL is valid UTF-8: the message must name the NUL byte, at its value
	 * (1:4) or at the byte itself (1:5) */
	if (!strstr(d->msg, "NUL") || d->loc.line != 1 ||
	    (d->loc.col != 4 && d->loc.col != 5)) {
		g_autofree char *got = diag_text(d);

		print_error("NUL byte: expected '1:4: NUL byte in value' or a NUL message at 1:5, got '%s'\n",
			    got);
		return false;
	}
	return true;
}

static void test_nul_byte(void **state)
{
	(void)state;
	if (!nul_byte_reported())
		fail();
}

static char *nested(unsigned depth, bool map)
{
	GString *s = g_string_new(NULL);

	for (unsigned i = 0; i < depth; i++)
		g_string_append(s, map ? "{a: " : "[");
	g_string_append(s, "x");
	for (unsigned i = 0; i < depth; i++)
		g_string_append(s, map ? "}" : "]");
	g_string_append_c(s, '\n');
	return g_string_free(s, FALSE);
}

static void test_depth(void **state)
{
	static const struct {
		unsigned depth;
		bool map;
		bool ok;
	} cases[] = {
		{ 1, false, true },
		{ 64, false, true },
		{ 64, true, true },
		{ 65, false, false },
		{ 65, true, false },
		{ 100000, false, false },
	};

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GPtrArray) diags = diags_new();
		g_autofree char *text = nested(cases[i].depth, cases[i].map);
		struct ynode *root = ytree_parse("t.yaml", text, strlen(text), diags);

		if (cases[i].ok) {
			expect_diags("nesting", diags, (const char *[]){ NULL });
			assert_non_null(root);
			ynode_free(root);
			continue;
		}
		assert_null(root);
		assert_int_equal(diags->len, 1);
		assert_string_equal(((struct diag *)g_ptr_array_index(diags, 0))->msg,
				    "nesting deeper than 64 levels");
		assert_int_equal(((struct diag *)g_ptr_array_index(diags, 0))->loc.line, 1);
	}
}

static void test_empty(void **state)
{
	static const char *const texts[] = { "", "\n\n", "# only a comment\n", "  \n# c\n" };

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(texts); i++) {
		g_autoptr(GPtrArray) d = diags_new();

		assert_null(ytree_parse("t.yaml", texts[i], strlen(texts[i]), d));
		expect_diags(texts[i], d, (const char *[]){ "file is empty", NULL });
		assert_string_equal(((struct diag *)g_ptr_array_index(d, 0))->file, "t.yaml");
	}
}

/* ytree.h: "never NULL: an empty document is reported as an error" */
static bool empty_document_refused(const char *text)
{
	g_autoptr(GPtrArray) diags = diags_new();
	struct ynode *root = parse(text, diags);
	bool ok = !root && diags->len == 1;

	if (!ok) {
		g_autofree char *got = diags_dump(diags);
		g_autofree char *esc = g_strescape(text, NULL);

		print_error("\"%s\" is an empty document: expected NULL and one diagnostic, got %s and:%s\n",
			    esc, root ? "a tree" : "NULL", got);
	}
	ynode_free(root);
	return ok;
}

static void test_empty_document(void **state)
{
	(void)state;
	if (!empty_document_refused("---\n") | !empty_document_refused("--- # nothing\n...\n"))
		fail();
}

/* ---- diagnostics ---- */

static void test_diags_sort(void **state)
{
	static const struct {
		const char *file;
		unsigned line, col;
	} in[] = {
		{ "b.yaml", 1, 1 }, { "a.yaml", 3, 2 }, { "a.yaml", 0, 0 },
		{ "a.yaml", 3, 1 }, { "a.yaml", 10, 1 }, { "a.yaml", 2, 9 },
	};
	static const char *const want[] = {
		"a.yaml: #2", "a.yaml:2:9: #5", "a.yaml:3:1: #3", "a.yaml:3:2: #1",
		"a.yaml:10:1: #4", "b.yaml:1:1: #0",
	};
	g_autoptr(GPtrArray) diags = diags_new();
	g_autoptr(GPtrArray) same = diags_new();

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(in); i++)
		diags_add(diags, in[i].file, (struct loc){ in[i].line, in[i].col },
			  "#%zu", i);
	diags_sort(diags);
	assert_int_equal(diags->len, G_N_ELEMENTS(want));
	for (guint i = 0; i < diags->len; i++) {
		g_autofree char *t = diag_format(g_ptr_array_index(diags, i));

		assert_string_equal(t, want[i]);
	}

	/* stable: messages at one spot keep the order they were added in,
	 * also among enough others that a sort would shuffle an unstable one */
	for (unsigned i = 0; i < 200; i++) {
		unsigned line = i % 3 ? 5 : 1 + (i * 7919) % 9;

		diags_add(same, "s.yaml", (struct loc){ line, 2 }, "%u", i);
	}
	diags_sort(same);
	for (guint i = 1; i < same->len; i++) {
		const struct diag *a = g_ptr_array_index(same, i - 1);
		const struct diag *b = g_ptr_array_index(same, i);

		assert_true(a->loc.line <= b->loc.line);
		if (a->loc.line == b->loc.line)
			assert_true(atoi(a->msg) < atoi(b->msg));
	}
}

static void test_diag_format(void **state)
{
	g_autoptr(GPtrArray) diags = diags_new();
	g_autofree char *a = NULL, *b = NULL;

	(void)state;
	diags_add(diags, "lab.yaml", (struct loc){ 12, 9 }, "unknown key '%s' in %s",
		  "lunz", "disk 'iscsi-disks'");
	diags_add(diags, "dir/lab.yaml", (struct loc){ 0, 0 }, "file is empty");
	a = diag_format(g_ptr_array_index(diags, 0));
	b = diag_format(g_ptr_array_index(diags, 1));
	assert_string_equal(a, "lab.yaml:12:9: unknown key 'lunz' in disk 'iscsi-disks'");
	assert_string_equal(b, "dir/lab.yaml: file is empty");
}

/* Without a file the message is all: it names its place itself. */
static void test_diag_format_no_file(void **state)
{
	struct diag d = { .file = NULL, .loc = { 3, 4 }, .msg = (char *)"template.j2:2: boom" };
	g_autofree char *t = NULL;

	(void)state;
	t = diag_format(&d);
	assert_string_equal(t, "template.j2:2: boom");
	d.loc = (struct loc){ 0, 0 };
	g_free(t);
	t = diag_format(&d);
	assert_string_equal(t, "template.j2:2: boom");
}

/* ---- the decoder, on a schema of its own ---- */

struct inner {
	struct loc where;
	struct ystr name;
	struct yuint n;
};

struct thing {
	struct loc where;
	struct ystr name;
	struct yuint count;
	struct yuint big;
	struct yuint bytes;
	struct ybool flag;
	struct yenum color;
	GPtrArray *tags;
	struct inner inner;
	GPtrArray *items;
	struct ysecret secret;
	const struct ynode *raw;
};

static const char *const colors[] = { "red", "green", NULL };

static const struct yfield inner_fields[] = {
	{ .key = "name", .type = YF_STR, .offset = offsetof(struct inner, name) },
	{ .key = "n", .type = YF_UINT, .offset = offsetof(struct inner, n), .required = true },
	{ .key = NULL }
};
static const struct yschema inner_schema = {
	"inner", sizeof(struct inner), offsetof(struct inner, where), inner_fields
};

static const struct yfield thing_fields[] = {
	{ .key = "name", .type = YF_STR, .offset = offsetof(struct thing, name), .required = true },
	{ .key = "count", .type = YF_UINT, .offset = offsetof(struct thing, count), .max = 10 },
	{ .key = "big", .type = YF_UINT, .offset = offsetof(struct thing, big) },
	{ .key = "bytes", .type = YF_SIZE, .offset = offsetof(struct thing, bytes) },
	{ .key = "flag", .type = YF_BOOL, .offset = offsetof(struct thing, flag) },
	{ .key = "color", .type = YF_ENUM, .offset = offsetof(struct thing, color), .values = colors },
	{ .key = "tags", .type = YF_STRLIST, .offset = offsetof(struct thing, tags) },
	{ .key = "inner", .type = YF_OBJ, .offset = offsetof(struct thing, inner), .sub = &inner_schema },
	{ .key = "items", .type = YF_LIST, .offset = offsetof(struct thing, items), .sub = &inner_schema },
	{ .key = "secret", .type = YF_SECRET, .offset = offsetof(struct thing, secret) },
	{ .key = "raw", .type = YF_RAW, .offset = offsetof(struct thing, raw) },
	{ .key = NULL }
};
static const struct yschema thing_schema = {
	"thing", sizeof(struct thing), offsetof(struct thing, where), thing_fields
};

static void test_decode(void **state)
{
	g_autoptr(GPtrArray) diags = diags_new();
	struct thing t = { 0 };
	struct ynode *root;
	const struct inner *in;
	const struct ystr *s;

	(void)state;
	root = parse("name: a\n"
		     "count: 10\n"
		     "big: 18446744073709551615\n"
		     "bytes: 2 MiB\n"
		     "flag: yes\n"
		     "color: green\n"
		     "tags: [x, y]\n"
		     "inner: {n: 1}\n"
		     "items:\n"
		     "  - name: i1\n"
		     "    n: 2\n"
		     "  - n: 3\n"
		     "secret: {file: /k}\n"
		     "raw: [any, {thing: 1}]\n", diags);
	assert_non_null(root);
	assert_true(ytree_decode("t.yaml", root, &thing_schema, &t, NULL, diags));
	expect_diags("decode", diags, (const char *[]){ NULL });

	assert_int_equal(t.where.line, 1);
	assert_string_equal(t.name.v, "a");
	assert_int_equal(t.name.loc.line, 1);
	assert_int_equal(t.name.loc.col, 7);
	assert_true(t.count.set);
	assert_int_equal(t.count.v, 10);
	assert_true(t.big.v == UINT64_MAX);
	assert_true(t.bytes.v == 2u << 20);
	assert_true(t.flag.set && t.flag.v);
	assert_true(t.color.set);
	assert_int_equal(t.color.v, 1);
	assert_int_equal(t.color.loc.line, 6);
	assert_int_equal(t.tags->len, 2);
	s = g_ptr_array_index(t.tags, 1);
	assert_string_equal(s->v, "y");
	assert_int_equal(s->loc.line, 7);
	assert_int_equal(s->loc.col, 11);
	assert_int_equal(t.inner.where.line, 8);
	assert_int_equal(t.inner.where.col, 8);
	assert_int_equal(t.inner.n.v, 1);
	assert_int_equal(t.items->len, 2);
	in = g_ptr_array_index(t.items, 0);
	assert_string_equal(in->name.v, "i1");
	assert_int_equal(in->where.line, 10);
	assert_int_equal(in->where.col, 5);
	in = g_ptr_array_index(t.items, 1);
	assert_null(in->name.v);
	assert_int_equal(in->n.v, 3);
	assert_string_equal(t.secret.ref, "file:/k");
	assert_int_equal(t.secret.loc.line, 13);
	assert_int_equal(t.secret.loc.col, 16);
	assert_non_null(t.raw);
	assert_int_equal(t.raw->type, YNODE_SEQ);

	ytree_clear(&thing_schema, &t);
	assert_null(t.name.v);
	assert_null(t.tags);
	assert_null(t.items);
	assert_null(t.secret.ref);
	ynode_free(root);
}

struct decode_case {
	const char *text;
	const char *ctx;
	const char *diags[4];
};

static void test_decode_errors(void **state)
{
	static const struct decode_case cases[] = {
		{ "name: a\nbogus: 1\n", "thing 'a'", {
			"2:1: unknown key 'bogus' in thing 'a'" } },
		{ "name: a\nbogus: 1\n", NULL, {
			"2:1: unknown key 'bogus'" } },
		{ "count: 1\n", "thing 'a'", {
			"1:1: missing required key 'name' in thing 'a'" } },
		/* "key:" with nothing is absent, so a required key is missing */
		{ "count: 1\nname:\n", NULL, {
			"1:1: missing required key 'name'" } },
		{ "name: ~\n", NULL, {
			"1:1: missing required key 'name'" } },
		{ "name: [a]\n", "thing 'a'", {
			"1:7: 'name' must be a scalar, not a list in thing 'a'" } },
		{ "name: {a: 1}\n", NULL, {
			"1:7: 'name' must be a scalar, not a mapping" } },
		{ "name: a\nitems: {n: 1}\n", "thing 'a'", {
			"2:8: 'items' must be a list, not a mapping in thing 'a'" } },
		{ "name: a\ntags: {x: 1}\n", "thing 'a'", {
			"2:7: 'tags' must be a list, not a mapping in thing 'a'" } },
		{ "name: a\ntags: [x, [y]]\n", "thing 'a'", {
			"2:11: 'tags' must be a scalar, not a list in thing 'a'" } },
		{ "name: a\nitems: [x]\n", "thing 'a'", {
			"2:9: expected a mapping in inner #1, not a scalar" } },
		{ "name: a\nitems:\n  - n: 1\n  - name: q\n    zz: 1\n", "thing 'a'", {
			"4:5: missing required key 'n' in inner 'q'",
			"5:5: unknown key 'zz' in inner 'q'" } },
		{ "name: a\ninner: x\n", "thing 'a'", {
			"2:8: expected a mapping in 'inner' of thing 'a', not a scalar" } },
		{ "name: a\ninner: {m: 1}\n", NULL, {
			"2:8: missing required key 'n' in 'inner'",
			"2:9: unknown key 'm' in 'inner'" } },
		{ "- a\n", "thing 'a'", {
			"1:1: expected a mapping in thing 'a', not a list" } },
		{ "name: a\ncount: 11\n", "thing 'a'", {
			"2:8: 'count' must be a number from 0 to 10, not '11' in thing 'a'" } },
		{ "name: a\ncount: -1\n", NULL, {
			"2:8: 'count' must be a number from 0 to 10, not '-1'" } },
		{ "name: a\nbig: 0x10\n", NULL, {
			"2:6: 'big' must be a number, not '0x10'" } },
		{ "name: a\nbig: 18446744073709551616\n", NULL, {
			"2:6: 'big' must be a number, not '18446744073709551616'" } },
		{ "name: a\nbig: ' 1'\n", NULL, {
			"2:6: 'big' must be a number, not ' 1'" } },
		{ "name: a\nbytes: 1 QB\n", NULL, {
			"2:8: bad size '1 QB' for 'bytes': unknown size unit (use B, KiB, MiB, GiB, TiB, or kB, MB, GB, TB)" } },
		{ "name: a\nflag: maybe\n", "thing 'a'", {
			"2:7: 'flag' must be true or false, not 'maybe' in thing 'a'" } },
		{ "name: a\ncolor: pink\n", "thing 'a'", {
			"2:8: unknown color 'pink' in thing 'a' (expected one of: red, green)" } },
		{ "name: a\nsecret: hunter2\n", "thing 'a'", {
			"2:9: inline secrets are not allowed for 'secret' in thing 'a': use 'env: NAME' or 'file: PATH'" } },
		{ "name: a\nsecret: {env: A, file: B}\n", NULL, {
			"2:9: 'secret' must hold exactly one of 'env' or 'file'" } },
		{ "name: a\nsecret: {value: x}\n", NULL, {
			"2:9: 'secret' must hold exactly one of 'env' or 'file'" } },
		{ "name: a\nsecret: {env: [A]}\n", NULL, {
			"2:15: 'env' must be a scalar, not a list" } },
		/* every problem is reported, not only the first */
		{ "a: 1\nname: [x]\nb: 2\n", NULL, {
			"1:1: unknown key 'a'",
			"2:7: 'name' must be a scalar, not a list",
			"3:1: unknown key 'b'" } },
	};

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GPtrArray) diags = diags_new();
		struct thing t = { 0 };
		struct ynode *root = parse(cases[i].text, diags);

		assert_non_null(root);
		if (ytree_decode("t.yaml", root, &thing_schema, &t, cases[i].ctx, diags))
			fail_msg("'%s': decode should have failed", cases[i].text);
		diags_sort(diags);
		expect_diags(cases[i].text, diags, cases[i].diags);
		ytree_clear(&thing_schema, &t);
		ynode_free(root);
	}
}

static void test_decode_lone_scalar_list(void **state)
{
	g_autoptr(GPtrArray) diags = diags_new();
	struct thing t = { 0 };
	struct ynode *root;
	const struct ystr *s;

	(void)state;
	root = parse("name: a\ntags: solo\nflag: no\nsecret: {env: X_1}\n", diags);
	assert_true(ytree_decode("t.yaml", root, &thing_schema, &t, NULL, diags));
	assert_int_equal(diags->len, 0);
	assert_int_equal(t.tags->len, 1);
	s = g_ptr_array_index(t.tags, 0);
	assert_string_equal(s->v, "solo");
	assert_int_equal(s->loc.line, 2);
	assert_int_equal(s->loc.col, 7);
	assert_true(t.flag.set);
	assert_false(t.flag.v);
	assert_string_equal(t.secret.ref, "env:X_1");
	assert_int_equal(t.secret.loc.col, 15);
	/* absent things stay absent */
	assert_false(t.count.set);
	assert_false(t.color.set);
	assert_int_equal(t.inner.where.line, 0);
	assert_null(t.items);
	assert_null(t.raw);
	ytree_clear(&thing_schema, &t);
	ynode_free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_mappings),
		cmocka_unit_test(test_block_scalars),
		cmocka_unit_test(test_duplicate_keys),
		cmocka_unit_test(test_non_scalar_keys),
		cmocka_unit_test(test_anchors_aliases_tags),
		cmocka_unit_test(test_multi_document),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_bad_bytes),
		cmocka_unit_test(test_control_character_position),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_empty_document),
		cmocka_unit_test(test_diags_sort),
		cmocka_unit_test(test_diag_format),
		cmocka_unit_test(test_diag_format_no_file),
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_decode_errors),
		cmocka_unit_test(test_decode_lone_scalar_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
