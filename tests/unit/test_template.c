/*
 * test_template.c - unit tests of the template language
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "labctl/template.h"

#define OK (-1)		/* expected error code of a case that succeeds */

static const char VARS[] =
	"{"
	" \"target\": {"
	"  \"name\": \"iqn.2024-01.lab:t1\","
	"  \"portal\": \"10.0.0.1:3260\","
	"  \"luns\": ["
	"   { \"name\": \"a\", \"image\": \"/img/a.img\", \"paths\": [\"p\", \"q\"] },"
	"   { \"name\": \"b\", \"image\": \"a b\", \"paths\": [\"r\"] }"
	"  ],"
	"  \"none\": []"
	" },"
	" \"chap\": { \"user\": \"admin\", \"password\": { \"secret\": \"env:CHAP_PW\" } },"
	" \"notsecret\": { \"secret\": 1 },"
	" \"flag\": true, \"off\": false, \"zero\": 0, \"num\": 42, \"neg\": -3,"
	" \"ratio\": 1.5, \"nothing\": null, \"text\": \"it's\", \"blank\": \"\","
	" \"dash-key\": \"dk\", \"list\": [1, 2], \"obj\": { \"k\": \"v\" }, \"empty\": {}"
	"}";

static const char FACTS[] =
	"{ \"flag\": true, \"facts\": { \"os\": \"debian\", \"cpus\": 4, \"virt\": false } }";

static JsonObject *vars_from(const char *json)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) root = json_from_string(json, &error);

	assert_non_null(root);
	assert_true(JSON_NODE_HOLDS_OBJECT(root));
	return json_object_ref(json_node_get_object(root));
}

static void expect_error(const char *what, const GError *error, GQuark domain,
			 int code, const char *msg)
{
	if (!error)
		fail_msg("%s: expected error '%s', got success", what, msg);
	if (!g_error_matches(error, domain, code) || strcmp(error->message, msg))
		fail_msg("%s: expected error %s %d '%s', got %s %d '%s'", what,
			 g_quark_to_string(domain), code, msg,
			 g_quark_to_string(error->domain), error->code, error->message);
}

static void assert_error(const GError *error, int code, const char *msg)
{
	expect_error("", error, TEMPLATE_ERROR, code, msg);
}

static void expect_output(const char *what, const char *out, const GError *error,
			  const char *want)
{
	if (!out)
		fail_msg("%s: unexpected error '%s'", what, error ? error->message : "?");
	if (strcmp(out, want))
		fail_msg("%s: got '%s', want '%s'", what, out, want);
}

struct render_case {
	const char *tmpl;
	unsigned flags;
	const char *vars;	/* JSON, NULL for VARS */
	const char *expect;	/* the output, or the error message */
	int code;		/* OK or the expected enum template_error_code */
};

static void run_render_cases(const struct render_case *cases, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct render_case *c = &cases[i];
		g_autoptr(JsonObject) vars = vars_from(c->vars ? c->vars : VARS);
		struct template_env env = { .vars = vars, .flags = c->flags };
		g_autoptr(GError) error = NULL;
		g_autofree char *out = template_expand("t", c->tmpl, &env, &error);

		if (c->code == OK) {
			expect_output(c->tmpl, out, error, c->expect);
		} else {
			if (out)
				fail_msg("%s: got '%s', want an error", c->tmpl, out);
			expect_error(c->tmpl, error, TEMPLATE_ERROR, c->code, c->expect);
		}
	}
}

static void test_values(void **state)
{
	static const struct render_case cases[] = {
		{ "plain text", 0, NULL, "plain text", OK },
		{ "", 0, NULL, "", OK },
		{ "{{ target.name }}", 0, NULL, "iqn.2024-01.lab:t1", OK },
		{ "{{target.portal}}", TEMPLATE_QUOTE, NULL, "10.0.0.1:3260", OK },
		{ "n={{ num }} m={{ neg }}", 0, NULL, "n=42 m=-3", OK },
		{ "{{ flag }}/{{ off }}", 0, NULL, "true/false", OK },
		{ "[{{ nothing }}]", 0, NULL, "[]", OK },
		{ "{{ nothing }}", TEMPLATE_QUOTE, NULL, "''", OK },
		{ "{{ ratio }}", 0, NULL, "1.5", OK },
		{ "{{ dash-key }}", 0, NULL, "dk", OK },
		/* display text is verbatim, commands are quoted */
		{ "say {{ text }}", 0, NULL, "say it's", OK },
		{ "say {{ text }}", TEMPLATE_QUOTE, NULL, "say 'it'\\''s'", OK },
		{ "{{ blank }}", TEMPLATE_QUOTE, NULL, "''", OK },
		{ "{{ blank }}", 0, NULL, "", OK },
		{ "{{ target.luns }}", 0, NULL, "t:1: cannot render array 'target.luns'",
		  TEMPLATE_ERROR_TYPE },
		{ "{{ obj }}", 0, NULL, "t:1: cannot render object 'obj'", TEMPLATE_ERROR_TYPE },
		{ "{{ notsecret }}", 0, NULL, "t:1: cannot render object 'notsecret'",
		  TEMPLATE_ERROR_TYPE },
		{ "a\nb\n{{ target.nmae }}", 0, NULL,
		  "t:3: undefined variable 'target.nmae'", TEMPLATE_ERROR_UNDEFINED },
		{ "{{ nope }}", 0, NULL, "t:1: undefined variable 'nope'",
		  TEMPLATE_ERROR_UNDEFINED },
		{ "{{ num.x }}", 0, NULL, "t:1: undefined variable 'num.x'",
		  TEMPLATE_ERROR_UNDEFINED },
		{ "{{ nothing.x }}", 0, NULL, "t:1: undefined variable 'nothing.x'",
		  TEMPLATE_ERROR_UNDEFINED },
		/* loop exists only inside a loop */
		{ "{{ loop.index }}", 0, NULL, "t:1: undefined variable 'loop.index'",
		  TEMPLATE_ERROR_UNDEFINED },
		/* facts are unknown offline, not undefined */
		{ "{{ facts.os }}", 0, NULL, "t:1: value of 'facts.os' is not known offline",
		  TEMPLATE_ERROR_UNKNOWN },
		{ "{{ facts }}", 0, NULL, "t:1: undefined variable 'facts'",
		  TEMPLATE_ERROR_UNDEFINED },
		{ "{{ facts.os }}", 0, FACTS, "debian", OK },
		/* facts an "os:" hint did not give are unknown, not undefined */
		{ "{{ facts.kernel }}", 0, FACTS, "t:1: value of 'facts.kernel' is not known offline",
		  TEMPLATE_ERROR_UNKNOWN },
		/* the shell's ${#var} is not a comment */
		{ "n=${#x} {{ num }}", 0, NULL, "n=${#x} 42", OK },
		{ "a } b }} c %} d #}", 0, NULL, "a } b }} c %} d #}", OK },
	};

	(void)state;
	run_render_cases(cases, G_N_ELEMENTS(cases));
}

static void test_raw(void **state)
{
	static const struct render_case cases[] = {
		{ "{{ target.name | raw }}", TEMPLATE_QUOTE, NULL, "iqn.2024-01.lab:t1", OK },
		{ "{{ num|raw }}", 0, NULL, "42", OK },
		{ "{{ target.luns.x | raw }}", 0, NULL,
		  "t:1: undefined variable 'target.luns.x'", TEMPLATE_ERROR_UNDEFINED },
		{ "{% for lun in target.luns %}{{ lun.image | raw }}\n{% endfor %}", 0, NULL,
		  "t:1: value of 'lun.image' is not safe for '| raw': 'a b'",
		  TEMPLATE_ERROR_UNSAFE },
		{ "{{ text | raw }}", 0, NULL,
		  "t:1: value of 'text' is not safe for '| raw': 'it's'", TEMPLATE_ERROR_UNSAFE },
		{ "{{ blank | raw }}", 0, NULL,
		  "t:1: value of 'blank' is not safe for '| raw': ''", TEMPLATE_ERROR_UNSAFE },
		{ "{{ nothing | raw }}", 0, NULL,
		  "t:1: value of 'nothing' is not safe for '| raw': ''", TEMPLATE_ERROR_UNSAFE },
		{ "{{ neg | raw }}", 0, NULL,
		  "t:1: value of 'neg' is not safe for '| raw': '-3'", TEMPLATE_ERROR_UNSAFE },
		{ "{{ x | raw }}", 0, "{ \"x\": \"a\\nb\\u00fc\" }",
		  "t:1: value of 'x' is not safe for '| raw': 'a\\nb\xc3\xbc'",
		  TEMPLATE_ERROR_UNSAFE },
		{ "{{ num | upper }}", 0, NULL, "t:1: unknown filter 'upper'",
		  TEMPLATE_ERROR_SYNTAX },
		{ "{{ num | raw | raw }}", 0, NULL, "t:1: unknown filter 'raw | raw'",
		  TEMPLATE_ERROR_SYNTAX },
		{ "{{ num | }}", 0, NULL, "t:1: unknown filter ''", TEMPLATE_ERROR_SYNTAX },
	};

	(void)state;
	run_render_cases(cases, G_N_ELEMENTS(cases));
}

static void test_if(void **state)
{
	static const struct render_case cases[] = {
		{ "{% if flag %}y{% endif %}", 0, NULL, "y", OK },
		{ "{% if off %}y{% endif %}", 0, NULL, "", OK },
		{ "{% if off %}y{% else %}n{% endif %}", 0, NULL, "n", OK },
		{ "{% if not off %}y{% else %}n{% endif %}", 0, NULL, "y", OK },
		{ "{% if num == 42 %}y{% endif %}", 0, NULL, "y", OK },
		{ "{% if num == '42' %}y{% endif %}", 0, NULL, "y", OK },
		{ "{% if num == 042 %}y{% endif %}", 0, NULL, "y", OK },
		{ "{% if flag == true and off == false %}y{% endif %}", 0, NULL, "y", OK },
		{ "{% if flag == 'true' %}y{% endif %}", 0, NULL, "y", OK },
		{ "{% if nothing == '' %}y{% endif %}", 0, NULL, "y", OK },
		{ "{% if text == \"it's\" %}y{% endif %}", 0, NULL, "y", OK },
		{ "{% if text != 'x' %}y{% endif %}", 0, NULL, "y", OK },
		{ "{% if flag %}{% if off %}a{% else %}b{% endif %}{% else %}c{% endif %}",
		  0, NULL, "b", OK },
		{ "{% if facts.virt %}v{% else %}{{ facts.cpus }}{% endif %}", 0, FACTS, "4", OK },
		{ "{% if off and facts.virt %}v{% else %}n{% endif %}", 0, NULL, "n", OK },
		{ "a\n{% if facts.virt %}v{% endif %}", 0, NULL,
		  "t:2: condition depends on facts not known offline", TEMPLATE_ERROR_UNKNOWN },
		{ "{% if flag and nope %}{% endif %}", 0, NULL, "t:1: undefined variable 'nope'",
		  TEMPLATE_ERROR_UNDEFINED },
		/* both sides are checked, whatever the first decides */
		{ "{% if off and nope %}{% endif %}", 0, NULL, "t:1: undefined variable 'nope'",
		  TEMPLATE_ERROR_UNDEFINED },
		{ "{% if list == 1 %}{% endif %}", 0, NULL, "t:1: cannot compare array 'list'",
		  TEMPLATE_ERROR_TYPE },
		{ "{% if chap.password == 'x' %}{% endif %}", 0, NULL,
		  "t:1: secret 'chap.password' cannot be compared", TEMPLATE_ERROR_SECRET },
		{ "{% if chap.password %}set{% endif %}", 0, NULL, "set", OK },
		{ "{% if %}{% endif %}", 0, NULL, "t:1: missing condition in '{% if %}'",
		  TEMPLATE_ERROR_SYNTAX },
		{ "{% if a == %}{% endif %}", 0, NULL,
		  "t:1: expected a literal after '==' at end of condition", TEMPLATE_ERROR_SYNTAX },
		{ "{% if a b %}{% endif %}", 0, NULL, "t:1: unexpected 'b' in condition",
		  TEMPLATE_ERROR_SYNTAX },
		{ "{% if a && b %}{% endif %}", 0, NULL,
		  "t:1: unexpected character '&' in condition", TEMPLATE_ERROR_SYNTAX },
		{ "\n{% if else %}{% endif %}", 0, NULL,
		  "t:2: undefined variable 'else'", TEMPLATE_ERROR_UNDEFINED },
		{ "{% else %}", 0, NULL, "t:1: unexpected '{% else %}'", TEMPLATE_ERROR_SYNTAX },
		{ "{% endif %}", 0, NULL, "t:1: unexpected '{% endif %}'", TEMPLATE_ERROR_SYNTAX },
		{ "{% if flag %}{% else %}{% else %}{% endif %}", 0, NULL,
		  "t:1: unexpected '{% else %}'", TEMPLATE_ERROR_SYNTAX },
		{ "{% if flag %}{% endif x %}", 0, NULL,
		  "t:1: unexpected 'x' in '{% endif %}'", TEMPLATE_ERROR_SYNTAX },
		{ "{% if flag %}\n{% endfor %}", 0, NULL, "t:2: unexpected '{% endfor %}'",
		  TEMPLATE_ERROR_SYNTAX },
		{ "x\n\n{% if flag %}", 0, NULL, "t:3: unterminated '{% if %}'",
		  TEMPLATE_ERROR_SYNTAX },
		{ "{% elif flag %}", 0, NULL, "t:1: unknown tag '{% elif %}'",
		  TEMPLATE_ERROR_SYNTAX },
		{ "{%  %}", 0, NULL, "t:1: empty '{% %}'", TEMPLATE_ERROR_SYNTAX },
	};

	(void)state;
	run_render_cases(cases, G_N_ELEMENTS(cases));
}

static void test_for(void **state)
{
	static const struct render_case cases[] = {
		{ "{% for lun in target.luns %}{{ loop.index }}={{ lun.name }} {% endfor %}",
		  0, NULL, "0=a 1=b ", OK },
		{ "{% for lun in target.none %}x{% endfor %}", 0, NULL, "", OK },
		/* each loop has its own loop.index; outer names stay visible */
		{ "{% for lun in target.luns %}\n"
		  "{% for p in lun.paths %}\n"
		  "{{ lun.name }}{{ loop.index }}:{{ p }}\n"
		  "{% endfor %}\n"
		  "end {{ loop.index }}\n"
		  "{% endfor %}\n",
		  0, NULL, "a0:p\na1:q\nend 0\nb0:r\nend 1\n", OK },
		/* a loop variable shadows a global of the same name */
		{ "{% for flag in list %}{{ flag }}{% endfor %} {{ flag }}", 0, NULL,
		  "12 true", OK },
		{ "{% for x in list %}{% for x in target.luns %}{{ x.name }}{% endfor %}{% endfor %}",
		  0, NULL, "abab", OK },
		{ "{% for x in list %}{% if x == 2 %}two{% endif %}{% endfor %}", 0, NULL,
		  "two", OK },
		{ "{% for x in text %}{% endfor %}", 0, NULL,
		  "t:1: cannot loop over string 'text'", TEMPLATE_ERROR_TYPE },
		{ "{% for x in obj %}{% endfor %}", 0, NULL,
		  "t:1: cannot loop over object 'obj'", TEMPLATE_ERROR_TYPE },
		{ "{% for x in chap.password %}{% endfor %}", 0, NULL,
		  "t:1: cannot loop over secret 'chap.password'", TEMPLATE_ERROR_TYPE },
		{ "{% for x in nope %}{% endfor %}", 0, NULL, "t:1: undefined variable 'nope'",
		  TEMPLATE_ERROR_UNDEFINED },
		{ "{% for d in facts.disks %}{% endfor %}", 0, NULL,
		  "t:1: value of 'facts.disks' is not known offline", TEMPLATE_ERROR_UNKNOWN },
		{ "a\nb\n{% for lun in target.luns %}\n", 0, NULL,
		  "t:3: unterminated '{% for %}'", TEMPLATE_ERROR_SYNTAX },
		{ "{% for lun target.luns %}{% endfor %}", 0, NULL,
		  "t:1: malformed '{% for %}', expected '{% for NAME in PATH %}'",
		  TEMPLATE_ERROR_SYNTAX },
		{ "{% for a in b c %}{% endfor %}", 0, NULL,
		  "t:1: malformed '{% for %}', expected '{% for NAME in PATH %}'",
		  TEMPLATE_ERROR_SYNTAX },
		{ "{% for loop in list %}{% endfor %}", 0, NULL,
		  "t:1: invalid loop variable 'loop'", TEMPLATE_ERROR_SYNTAX },
		{ "{% for a.b in list %}{% endfor %}", 0, NULL,
		  "t:1: invalid loop variable 'a.b'", TEMPLATE_ERROR_SYNTAX },
		{ "{% for not in list %}{% endfor %}", 0, NULL,
		  "t:1: invalid loop variable 'not'", TEMPLATE_ERROR_SYNTAX },
		{ "{% for x in list. %}{% endfor %}", 0, NULL, "t:1: invalid path 'list.'",
		  TEMPLATE_ERROR_SYNTAX },
		{ "{% for x in list %}{% endif %}", 0, NULL, "t:1: unexpected '{% endif %}'",
		  TEMPLATE_ERROR_SYNTAX },
		{ "{% endfor %}", 0, NULL, "t:1: unexpected '{% endfor %}'",
		  TEMPLATE_ERROR_SYNTAX },
	};

	(void)state;
	run_render_cases(cases, G_N_ELEMENTS(cases));
}

static void test_syntax(void **state)
{
	static const struct render_case cases[] = {
		{ "a\n{{ num", 0, NULL, "t:2: unterminated '{{'", TEMPLATE_ERROR_SYNTAX },
		{ "{% if flag", 0, NULL, "t:1: unterminated '{%'", TEMPLATE_ERROR_SYNTAX },
		{ "{# note", 0, NULL, "t:1: unterminated '{#'", TEMPLATE_ERROR_SYNTAX },
		{ "{{ }}", 0, NULL, "t:1: empty '{{ }}'", TEMPLATE_ERROR_SYNTAX },
		{ "{{ a b }}", 0, NULL, "t:1: invalid path 'a b'", TEMPLATE_ERROR_SYNTAX },
		{ "{{ a..b }}", 0, NULL, "t:1: invalid path 'a..b'", TEMPLATE_ERROR_SYNTAX },
		{ "{{ 1a }}", 0, NULL, "t:1: invalid path '1a'", TEMPLATE_ERROR_SYNTAX },
		{ "{{ $x }}", 0, NULL, "t:1: invalid path '$x'", TEMPLATE_ERROR_SYNTAX },
		{ "x {# a comment #}y", 0, NULL, "x y", OK },
		{ "x {# {{ nope }} {% if %} #}y", 0, NULL, "x y", OK },
	};

	(void)state;
	run_render_cases(cases, G_N_ELEMENTS(cases));
}

static void test_lines(void **state)
{
	static const struct render_case cases[] = {
		{ "a\n  {% if flag %}  \nb\n{% endif %}\nc\n", 0, NULL, "a\nb\nc\n", OK },
		{ "\t{% if off %}\nno\n\t{% else %}\nyes\n\t{% endif %}\n", 0, NULL, "yes\n", OK },
		{ "{# comment #}\nx\n", 0, NULL, "x\n", OK },
		{ "a\n  {# two\nlines #}  \nb", 0, NULL, "a\nb", OK },
		/* at the end of text, without a newline */
		{ "a\n{% if flag %}b\n{% endif %}", 0, NULL, "a\nb\n", OK },
		/* other text on the line: nothing is dropped */
		{ "x {% if flag %}y{% endif %}\n", 0, NULL, "x y\n", OK },
		{ "{% if flag %}y\n{% endif %} z\n", 0, NULL, "y\n z\n", OK },
		/* two tags on one line: not alone */
		{ "{% if flag %}{% endif %}\nx", 0, NULL, "\nx", OK },
		/* {{ }} never drops its line */
		{ "  {{ num }}  \n", 0, NULL, "  42  \n", OK },
		{ "{{ blank }}\n", 0, NULL, "\n", OK },
		{ "{% for x in list %}\n- {{ x }}\n{% endfor %}\ndone\n", 0, NULL,
		  "- 1\n- 2\ndone\n", OK },
		{ "\n\n{% if flag %}\n\n{% endif %}\n\n", 0, NULL, "\n\n\n\n", OK },
		/* line numbers still count dropped lines */
		{ "{% if flag %}\n{# c\nc #}\n{% endif %}\n{{ nope }}", 0, NULL,
		  "t:5: undefined variable 'nope'", TEMPLATE_ERROR_UNDEFINED },
	};

	(void)state;
	run_render_cases(cases, G_N_ELEMENTS(cases));
}

/* ---- includes ---- */

/* The files an include may name: pairs of name and text. */
static const char *const INCLUDED[] = {
	"x", "X {{ num }}\n",
	"inline", "I",
	"item", "- {{ lun.name }}\n",
	"outer", "O\n{% include 'x' %}",
	"self", "{% include 'self' %}",
	"ping", "{% include 'pong' %}",
	"pong", "{% include 'ping' %}",
	"bad", "ok\n{{ oops",
	"undef", "ok\n{{ nmae }}\n",
	"d1", "{% include 'd2' %}", "d2", "{% include 'd3' %}",
	"d3", "{% include 'd4' %}", "d4", "{% include 'd5' %}",
	"d5", "{% include 'd6' %}", "d6", "{% include 'd7' %}",
	"d7", "{% include 'd8' %}", "d8", "{% include 'd9' %}",
	"d9", "deep\n",
};

static char *load_included(const char *name, void *data, char **shown, GError **error)
{
	size_t i;

	(void)data;
	for (i = 0; i < G_N_ELEMENTS(INCLUDED); i += 2) {
		if (!strcmp(INCLUDED[i], name)) {
			*shown = g_strconcat("inc/", name, NULL);
			return g_strdup(INCLUDED[i + 1]);
		}
	}
	g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "no file '%s'", name);
	return NULL;
}

static void test_include(void **state)
{
	static const struct render_case cases[] = {
		/* a line of just the tag is replaced by the file */
		{ "a\n{% include 'x' %}\nb\n", 0, NULL, "a\nX 42\nb\n", OK },
		{ "[{% include \"inline\" %}]", 0, NULL, "[I]", OK },
		/* the same variables, loop variables included */
		{ "{% for lun in target.luns %}\n{% include 'item' %}\n{% endfor %}\n", 0, NULL,
		  "- a\n- b\n", OK },
		{ "{% include 'outer' %}!", 0, NULL, "O\nX 42\n!", OK },
		{ "a\n{% include 'nope' %}", 0, NULL,
		  "t:2: cannot include 'nope': no file 'nope'", TEMPLATE_ERROR_INCLUDE },
		{ "{% include 'self' %}", 0, NULL,
		  "inc/self:1: cannot include 'self': it is being included already (recursion)",
		  TEMPLATE_ERROR_INCLUDE },
		{ "{% include 'ping' %}", 0, NULL,
		  "inc/pong:1: cannot include 'ping': it is being included already (recursion)",
		  TEMPLATE_ERROR_INCLUDE },
		/* d2 .. d9: TEMPLATE_MAX_INCLUDE_DEPTH (8) levels; d1 .. d9 one more */
		{ "{% include 'd2' %}", 0, NULL, "deep\n", OK },
		{ "{% include 'd1' %}", 0, NULL,
		  "inc/d8:1: cannot include 'd9': includes nested deeper than 8",
		  TEMPLATE_ERROR_INCLUDE },
		/* errors in an included file name it and its own lines */
		{ "{% include 'bad' %}", 0, NULL, "inc/bad:2: unterminated '{{'",
		  TEMPLATE_ERROR_SYNTAX },
		{ "x\ny\n{% include 'undef' %}", 0, NULL,
		  "inc/undef:2: undefined variable 'nmae'", TEMPLATE_ERROR_UNDEFINED },
		{ "{% include x %}", 0, NULL,
		  "t:1: malformed '{% include %}', expected '{% include 'NAME' %}'",
		  TEMPLATE_ERROR_SYNTAX },
		{ "{% include '' %}", 0, NULL,
		  "t:1: malformed '{% include %}', expected '{% include 'NAME' %}'",
		  TEMPLATE_ERROR_SYNTAX },
		{ "{% include 'x' 'y' %}", 0, NULL,
		  "t:1: malformed '{% include %}', expected '{% include 'NAME' %}'",
		  TEMPLATE_ERROR_SYNTAX },
		{ "{% include 'x\" %}", 0, NULL,
		  "t:1: malformed '{% include %}', expected '{% include 'NAME' %}'",
		  TEMPLATE_ERROR_SYNTAX },
	};
	const struct template_loader loader = { load_included, NULL };
	size_t i;

	(void)state;
	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		const struct render_case *c = &cases[i];
		g_autoptr(JsonObject) vars = vars_from(VARS);
		struct template_env env = { .vars = vars };
		g_autoptr(GError) error = NULL;
		g_autofree char *out = NULL;
		struct template *t = template_parse_with("t", c->tmpl, 1, &loader, &error);

		if (t)
			out = template_render(t, &env, &error);
		template_free(t);
		if (c->code == OK) {
			expect_output(c->tmpl, out, error, c->expect);
		} else {
			if (out)
				fail_msg("%s: got '%s', want an error", c->tmpl, out);
			expect_error(c->tmpl, error, TEMPLATE_ERROR, c->code, c->expect);
		}
	}
}

static void test_include_no_loader(void **state)
{
	g_autoptr(JsonObject) vars = vars_from(VARS);
	struct template_env env = { .vars = vars };
	g_autoptr(GError) error = NULL;
	g_autofree char *out = NULL;

	(void)state;
	G_STATIC_ASSERT(TEMPLATE_MAX_INCLUDE_DEPTH == 8);
	/* without a loader an include is an error, not nothing */
	out = template_expand("t", "{% include 'x' %}", &env, &error);
	assert_null(out);
	assert_error(error, TEMPLATE_ERROR_INCLUDE, "t:1: cannot include 'x': no includes here");
}

static void test_first_line(void **state)
{
	g_autoptr(JsonObject) vars = vars_from(VARS);
	struct template_env env = { .vars = vars };
	g_autoptr(GError) error = NULL;
	struct template *t;
	char *out;

	(void)state;
	t = template_parse("play.yml", "x\n{{ target.nmae }}", 10, &error);
	assert_non_null(t);
	out = template_render(t, &env, &error);
	assert_null(out);
	assert_error(error, TEMPLATE_ERROR_UNDEFINED,
		     "play.yml:11: undefined variable 'target.nmae'");
	template_free(t);
	g_clear_error(&error);

	/* syntax errors come from parsing, before any rendering */
	t = template_parse("play.yml", "a\n\n{% for x in list %}", 7, &error);
	assert_null(t);
	assert_error(error, TEMPLATE_ERROR_SYNTAX, "play.yml:9: unterminated '{% for %}'");
}

static void test_reuse(void **state)
{
	g_autoptr(JsonObject) a = vars_from("{ \"v\": \"one\" }");
	g_autoptr(JsonObject) b = vars_from("{ \"v\": \"two words\" }");
	struct template_env env = { .vars = a, .flags = TEMPLATE_QUOTE };
	struct template *t;
	char *out;

	(void)state;
	template_free(NULL);
	t = template_parse("t", "echo {{ v }}", 1, NULL);
	assert_non_null(t);
	out = template_render(t, &env, NULL);
	assert_string_equal(out, "echo one");
	g_free(out);
	env.vars = b;
	out = template_render(t, &env, NULL);
	assert_string_equal(out, "echo 'two words'");
	g_free(out);
	template_free(t);
}

/* ---- secrets ---- */

struct resolver {
	unsigned calls;
	const char *value;	/* NULL: fail */
	char *last_ref;
};

static char *resolve(const char *ref, void *data, GError **error)
{
	struct resolver *r = data;

	r->calls++;
	g_free(r->last_ref);
	r->last_ref = g_strdup(ref);
	if (!r->value) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
			    "cannot resolve '%s': not set", ref);
		return NULL;
	}
	return g_strdup(r->value);
}

struct secret_case {
	const char *tmpl;
	unsigned flags;
	const char *value;	/* what the resolver returns, NULL to fail */
	unsigned calls;		/* how often the resolver must be called */
	const char *expect;
	GQuark domain;		/* 0 for success */
	int code;
};

static void test_secrets(void **state)
{
	const GQuark T = TEMPLATE_ERROR, F = G_FILE_ERROR;
	const struct secret_case cases[] = {
		/* redaction wins and never resolves */
		{ "pw={{ chap.password }}", TEMPLATE_REDACT, "x", 0, "pw=***", 0, 0 },
		{ "pw={{ chap.password }}", TEMPLATE_REDACT | TEMPLATE_QUOTE, "x", 0,
		  "pw=***", 0, 0 },
		{ "pw={{ chap.password }}", TEMPLATE_REDACT | TEMPLATE_SECRETS, "x", 0,
		  "pw=***", 0, 0 },
		{ "pw={{ chap.password | raw }}", TEMPLATE_REDACT, "x", 0, "pw=***", 0, 0 },
		/* resolved values are quoted like any other */
		{ "pw={{ chap.password }}", TEMPLATE_SECRETS | TEMPLATE_QUOTE, "s3cr3t", 1,
		  "pw=s3cr3t", 0, 0 },
		{ "pw={{ chap.password }}", TEMPLATE_SECRETS | TEMPLATE_QUOTE, "it's x", 1,
		  "pw='it'\\''s x'", 0, 0 },
		{ "pw={{ chap.password }}", TEMPLATE_SECRETS, "it's x", 1, "pw=it's x", 0, 0 },
		{ "pw={{ chap.password | raw }}", TEMPLATE_SECRETS, "abc", 1, "pw=abc", 0, 0 },
		/* the message must not carry the value */
		{ "pw={{ chap.password | raw }}", TEMPLATE_SECRETS, "hunter 2", 1,
		  "t:1: value of secret 'chap.password' is not safe for '| raw'",
		  T, TEMPLATE_ERROR_UNSAFE },
		{ "\n{{ chap.password }}", TEMPLATE_SECRETS, NULL, 1,
		  "t:2: cannot resolve 'env:CHAP_PW': not set", F, G_FILE_ERROR_NOENT },
		{ "{{ chap.password }}", 0, "x", 0,
		  "t:1: secret 'chap.password' may only be used in a script body",
		  T, TEMPLATE_ERROR_SECRET },
		{ "{{ chap.password }}", TEMPLATE_QUOTE, "x", 0,
		  "t:1: secret 'chap.password' may only be used in a script body",
		  T, TEMPLATE_ERROR_SECRET },
		{ "{{ chap.password | raw }}", 0, "x", 0,
		  "t:1: secret 'chap.password' may only be used in a script body",
		  T, TEMPLATE_ERROR_SECRET },
		/* a secret is true in a condition without being resolved */
		{ "{% if chap.password and not off %}auth{% endif %}", TEMPLATE_SECRETS, "x", 0,
		  "auth", 0, 0 },
		{ "{% if chap.password %}auth {{ chap.user }}{% endif %}", 0, "x", 0,
		  "auth admin", 0, 0 },
		{ "{% for u in users %}{{ u.pw }}{% endfor %}", TEMPLATE_SECRETS, "v", 2,
		  "vv", 0, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		const struct secret_case *c = &cases[i];
		g_autoptr(JsonObject) vars = vars_from(
			"{ \"off\": false, \"chap\": { \"user\": \"admin\","
			" \"password\": { \"secret\": \"env:CHAP_PW\" } },"
			" \"users\": [ { \"pw\": { \"secret\": \"file:/a\" } },"
			"              { \"pw\": { \"secret\": \"file:/b\" } } ] }");
		struct resolver r = { 0, c->value, NULL };
		struct template_env env = { .vars = vars, .flags = c->flags, .secret = resolve, .secret_data = &r };
		g_autoptr(GError) error = NULL;
		g_autofree char *out = template_expand("t", c->tmpl, &env, &error);

		if (r.calls != c->calls)
			fail_msg("%s: %u calls, want %u", c->tmpl, r.calls, c->calls);
		if (!c->domain) {
			expect_output(c->tmpl, out, error, c->expect);
		} else {
			assert_null(out);
			expect_error(c->tmpl, error, c->domain, c->code, c->expect);
		}
		if (r.calls)
			assert_true(!strcmp(r.last_ref, "env:CHAP_PW") ||
				    !strcmp(r.last_ref, "file:/b"));
		g_free(r.last_ref);
	}
}

static void test_secret_no_resolver(void **state)
{
	g_autoptr(JsonObject) vars = vars_from(VARS);
	struct template_env env = { .vars = vars, .flags = TEMPLATE_SECRETS };
	g_autoptr(GError) error = NULL;
	char *out;

	(void)state;
	out = template_expand("t", "{{ chap.password }}", &env, &error);
	assert_null(out);
	assert_error(error, TEMPLATE_ERROR_SECRET,
		     "t:1: no way to resolve secret 'chap.password'");
}

/* ---- conditions ---- */

struct eval_case {
	const char *expr;
	const char *vars;	/* NULL for VARS */
	enum template_truth expect;
	int code;		/* OK or the error */
	const char *msg;
};

#define T_ TEMPLATE_TRUE
#define F_ TEMPLATE_FALSE
#define U_ TEMPLATE_UNKNOWN

static void test_eval(void **state)
{
	static const struct eval_case cases[] = {
		/* truthiness */
		{ "flag", NULL, T_, OK, NULL },
		{ "off", NULL, F_, OK, NULL },
		{ "zero", NULL, F_, OK, NULL },
		{ "num", NULL, T_, OK, NULL },
		{ "neg", NULL, T_, OK, NULL },
		{ "ratio", NULL, T_, OK, NULL },
		{ "nothing", NULL, F_, OK, NULL },
		{ "blank", NULL, F_, OK, NULL },
		{ "text", NULL, T_, OK, NULL },
		{ "list", NULL, T_, OK, NULL },
		{ "target.none", NULL, F_, OK, NULL },
		{ "obj", NULL, T_, OK, NULL },
		{ "empty", NULL, F_, OK, NULL },
		{ "chap.password", NULL, T_, OK, NULL },
		/* comparisons by string form */
		{ "num == 42", NULL, T_, OK, NULL },
		{ "num == '42'", NULL, T_, OK, NULL },
		{ "num == \"42\"", NULL, T_, OK, NULL },
		{ "num != 42", NULL, F_, OK, NULL },
		{ "num == 43", NULL, F_, OK, NULL },
		{ "neg == -3", NULL, T_, OK, NULL },
		{ "neg==-3", NULL, T_, OK, NULL },
		{ "flag == true", NULL, T_, OK, NULL },
		{ "flag == 'true'", NULL, T_, OK, NULL },
		{ "off == false", NULL, T_, OK, NULL },
		{ "off != true", NULL, T_, OK, NULL },
		{ "nothing == ''", NULL, T_, OK, NULL },
		{ "ratio == '1.5'", NULL, T_, OK, NULL },
		{ "target.name == 'iqn.2024-01.lab:t1'", NULL, T_, OK, NULL },
		{ "text == \"it's\"", NULL, T_, OK, NULL },
		{ "text == 'it'", NULL, F_, OK, NULL },
		{ "dash-key == 'dk'", NULL, T_, OK, NULL },
		/* precedence: not > and > or */
		{ "not off and flag", NULL, T_, OK, NULL },
		{ "flag or off and off", NULL, T_, OK, NULL },
		{ "off and off or flag", NULL, T_, OK, NULL },
		{ "off or flag and off", NULL, F_, OK, NULL },
		{ "not flag or flag", NULL, T_, OK, NULL },
		{ "flag and flag and off", NULL, F_, OK, NULL },
		{ "off or off or flag", NULL, T_, OK, NULL },
		{ "  flag\tand\nflag  ", NULL, T_, OK, NULL },
		/* three-valued logic: facts are unknown offline */
		{ "facts.x", NULL, U_, OK, NULL },
		{ "not facts.x", NULL, U_, OK, NULL },
		{ "facts.x == 'a'", NULL, U_, OK, NULL },
		{ "facts.x != 'a'", NULL, U_, OK, NULL },
		{ "flag and facts.x", NULL, U_, OK, NULL },
		{ "facts.x and flag", NULL, U_, OK, NULL },
		{ "off and facts.x", NULL, F_, OK, NULL },
		{ "facts.x and off", NULL, F_, OK, NULL },
		{ "flag or facts.x", NULL, T_, OK, NULL },
		{ "facts.x or flag", NULL, T_, OK, NULL },
		{ "off or facts.x", NULL, U_, OK, NULL },
		{ "facts.x or off", NULL, U_, OK, NULL },
		{ "facts.x and facts.y", NULL, U_, OK, NULL },
		{ "facts.x or facts.y", NULL, U_, OK, NULL },
		{ "not facts.x and off", NULL, F_, OK, NULL },
		{ "not facts.x or flag", NULL, T_, OK, NULL },
		{ "flag or off and facts.x", NULL, T_, OK, NULL },
		{ "off or flag and facts.x", NULL, U_, OK, NULL },
		{ "facts.a.b.c", NULL, U_, OK, NULL },
		/* with facts, they are plain values */
		{ "facts.os == 'debian'", FACTS, T_, OK, NULL },
		{ "facts.cpus == 4 and not facts.virt", FACTS, T_, OK, NULL },
		{ "facts.virt or flag", FACTS, T_, OK, NULL },
		/* a fact the facts do not hold is unknown, as offline */
		{ "facts.nope", FACTS, U_, OK, NULL },
		{ "facts.nope or facts.virt", FACTS, U_, OK, NULL },
		{ "facts.nope or facts.cpus == 4", FACTS, T_, OK, NULL },
		{ "facts", NULL, 0, TEMPLATE_ERROR_UNDEFINED, "undefined variable 'facts'" },
		/* errors carry no place: the caller knows it */
		{ "flag and nope", NULL, 0, TEMPLATE_ERROR_UNDEFINED, "undefined variable 'nope'" },
		{ "flag or nope", NULL, 0, TEMPLATE_ERROR_UNDEFINED, "undefined variable 'nope'" },
		{ "facts.x and nope", NULL, 0, TEMPLATE_ERROR_UNDEFINED,
		  "undefined variable 'nope'" },
		{ "obj == 'x'", NULL, 0, TEMPLATE_ERROR_TYPE, "cannot compare object 'obj'" },
		{ "chap.password != ''", NULL, 0, TEMPLATE_ERROR_SECRET,
		  "secret 'chap.password' cannot be compared" },
		{ "", NULL, 0, TEMPLATE_ERROR_SYNTAX, "empty condition" },
		{ "   ", NULL, 0, TEMPLATE_ERROR_SYNTAX, "empty condition" },
		{ "flag and", NULL, 0, TEMPLATE_ERROR_SYNTAX, "expected a path at end of condition" },
		{ "and flag", NULL, 0, TEMPLATE_ERROR_SYNTAX,
		  "expected a path in condition, got 'and'" },
		{ "not not flag", NULL, 0, TEMPLATE_ERROR_SYNTAX,
		  "expected a path in condition, got 'not'" },
		{ "'a' == flag", NULL, 0, TEMPLATE_ERROR_SYNTAX,
		  "expected a path in condition, got ''a''" },
		{ "true", NULL, 0, TEMPLATE_ERROR_SYNTAX, "expected a path in condition, got 'true'" },
		{ "num == other", NULL, 0, TEMPLATE_ERROR_SYNTAX,
		  "expected a literal after '==' in condition, got 'other'" },
		{ "num != ", NULL, 0, TEMPLATE_ERROR_SYNTAX,
		  "expected a literal after '!=' at end of condition" },
		{ "num == 1 == 1", NULL, 0, TEMPLATE_ERROR_SYNTAX, "unexpected '==' in condition" },
		{ "flag flag", NULL, 0, TEMPLATE_ERROR_SYNTAX, "unexpected 'flag' in condition" },
		{ "(flag)", NULL, 0, TEMPLATE_ERROR_SYNTAX, "unexpected character '(' in condition" },
		{ "num = 1", NULL, 0, TEMPLATE_ERROR_SYNTAX, "unexpected character '=' in condition" },
		{ "flag \xc3\xbc", NULL, 0, TEMPLATE_ERROR_SYNTAX,
		  "unexpected character '\xc3\xbc' in condition" },
		{ "text == 'it", NULL, 0, TEMPLATE_ERROR_SYNTAX, "unterminated string in condition" },
		{ "num == 99999999999999999999", NULL, 0, TEMPLATE_ERROR_SYNTAX,
		  "invalid integer '99999999999999999999' in condition" },
		{ "a..b", NULL, 0, TEMPLATE_ERROR_SYNTAX, "invalid path 'a..b'" },
		{ "a.", NULL, 0, TEMPLATE_ERROR_SYNTAX, "invalid path 'a.'" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		const struct eval_case *c = &cases[i];
		g_autoptr(JsonObject) vars = vars_from(c->vars ? c->vars : VARS);
		g_autoptr(GError) error = NULL;
		enum template_truth truth = 99;
		bool ok = template_eval(c->expr, vars, &truth, &error);

		if (c->code == OK) {
			if (!ok)
				fail_msg("%s: unexpected error '%s'", c->expr, error->message);
			if (truth != c->expect)
				fail_msg("%s: got %d, want %d", c->expr, truth, c->expect);
		} else {
			assert_false(ok);
			expect_error(c->expr, error, TEMPLATE_ERROR, c->code, c->msg);
		}
	}
}

static void test_eval_no_vars(void **state)
{
	enum template_truth truth = TEMPLATE_FALSE;
	g_autoptr(GError) error = NULL;

	(void)state;
	assert_true(template_eval("facts.os == 'x'", NULL, &truth, NULL));
	assert_int_equal(truth, TEMPLATE_UNKNOWN);
	assert_false(template_eval("flag", NULL, &truth, &error));
	assert_error(error, TEMPLATE_ERROR_UNDEFINED, "undefined variable 'flag'");
}

/* A bound variable (a plan's foreach element) is seen before the others. */
static void test_bind(void **state)
{
	g_autoptr(JsonObject) vars = vars_from("{\"m\": {\"p\": \"vars\"}, \"n\": \"x y\"}");
	g_autoptr(JsonNode) elem = json_from_string("{\"p\": \"/mnt/a b\", \"on\": true}", NULL);
	struct template_env env = { .vars = vars, .flags = TEMPLATE_QUOTE, .bind = "m",
				    .bind_value = elem };
	g_autoptr(GError) error = NULL;
	struct template *t = template_parse("t", "{{ m.p }} {{ n }}", 1, &error);
	struct template_cond *c = template_cond_parse("m.on and m.p == '/mnt/a b'", &error);
	enum template_truth truth = TEMPLATE_FALSE;
	g_autofree char *out = NULL;

	(void)state;
	assert_non_null(elem);
	assert_non_null(t);
	out = template_render(t, &env, &error);
	assert_non_null(out);
	assert_string_equal(out, "'/mnt/a b' 'x y'");
	assert_non_null(c);
	assert_true(template_cond_eval(c, vars, "m", elem, &truth, &error));
	assert_int_equal(truth, TEMPLATE_TRUE);
	/* without the binding, m is the one of vars, which has no 'on' */
	assert_false(template_cond_eval(c, vars, NULL, NULL, &truth, &error));
	template_cond_free(c);
	template_free(t);
}

/* ---- quoting ---- */

static void test_quote(void **state)
{
	static const struct {
		const char *in;
		const char *quoted;
		bool safe;
	} cases[] = {
		{ "abc", "abc", true },
		{ "ABC_123", "ABC_123", true },
		{ "/dev/sdb1", "/dev/sdb1", true },
		{ "iqn.2024-01.lab:t1", "iqn.2024-01.lab:t1", true },
		{ "u@h,a=b+c%d", "u@h,a=b+c%d", true },
		{ "a-b", "a-b", true },
		{ "-rf", "-rf", false },
		{ "--help", "--help", false },
		{ "-", "-", false },
		{ "", "''", false },
		{ "a b", "'a b'", false },
		{ "it's", "'it'\\''s'", false },
		{ "$HOME", "'$HOME'", false },
		{ "`id`", "'`id`'", false },
		{ "*", "'*'", false },
		{ "~root", "'~root'", false },
		{ "a\nb", "'a\nb'", false },
		{ "a\tb", "'a\tb'", false },
		{ "\"dq\"", "'\"dq\"'", false },
		{ "back\\slash", "'back\\slash'", false },
		{ "x;y", "'x;y'", false },
		{ "a|b", "'a|b'", false },
		{ "a&b", "'a&b'", false },
		{ "<x>", "'<x>'", false },
		{ "(x)", "'(x)'", false },
		{ "{x}", "'{x}'", false },
		{ "[x]", "'[x]'", false },
		{ "?", "'?'", false },
		{ "!x", "'!x'", false },
		{ "#x", "'#x'", false },
		{ "-a b", "'-a b'", false },
		{ "\xc3\xbc", "'\xc3\xbc'", false },
	};
	size_t i;

	(void)state;
	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GString) out = g_string_new("<");

		template_quote(out, cases[i].in);
		if (strcmp(out->str + 1, cases[i].quoted))
			fail_msg("quote '%s': got '%s', want '%s'", cases[i].in, out->str + 1,
				 cases[i].quoted);
		if (template_is_safe(cases[i].in) != cases[i].safe)
			fail_msg("is_safe '%s': want %d", cases[i].in, cases[i].safe);
	}
	assert_false(template_is_safe(NULL));
}

/*
 * The point of quoting: whatever a value holds, "sh -c" must see it as one
 * word, byte for byte, and run nothing of it.
 */
static void test_hostile_values(void **state)
{
	static const char *const values[] = {
		"it's", "$(touch /tmp/pwned)", "`id`", "a\nb", "; rm -rf /", "-rf",
		"--help", "a b  c", "*", "~root", "\"dq\"", "back\\slash",
		"\xc3\xbcn\xc3\xaf" "c\xc3\xb8" "d\xc3\xa9 \xe2\x9c\x93", "$HOME", "!x",
		"#x", "a'b\"c", "",
	};
	size_t i;

	(void)state;
	for (i = 0; i < G_N_ELEMENTS(values); i++) {
		g_autoptr(JsonObject) vars = json_object_new();
		struct template_env env = { .vars = vars, .flags = TEMPLATE_QUOTE };
		g_autoptr(GError) error = NULL;
		g_autofree char *cmd = NULL, *out = NULL, *err = NULL, *raw = NULL;
		char *argv[] = { (char *)"sh", (char *)"-c", NULL, NULL };
		int status = -1;

		json_object_set_string_member(vars, "v", values[i]);
		cmd = template_expand("t", "printf '%s' {{ v }}", &env, &error);
		assert_non_null(cmd);
		argv[2] = cmd;
		assert_true(g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
					 &out, &err, &status, &error));
		assert_true(g_spawn_check_wait_status(status, NULL));
		if (strcmp(out, values[i]) || *err)
			fail_msg("'%s' ran as '%s': printed '%s', stderr '%s'", values[i], cmd,
				 out, err);

		assert_false(template_is_safe(values[i]));
		raw = template_expand("t", "printf '%s' {{ v | raw }}", &env, &error);
		assert_null(raw);
		assert_true(g_error_matches(error, TEMPLATE_ERROR, TEMPLATE_ERROR_UNSAFE));
	}
	assert_false(g_file_test("/tmp/pwned", G_FILE_TEST_EXISTS));
}

/* Nested loops that would render 2^26 times stop with an error, quickly. */
static void test_runaway(void **state)
{
	g_autoptr(JsonObject) vars = vars_from("{ \"two\": [1, 2] }");
	struct template_env env = { .vars = vars, .flags = TEMPLATE_QUOTE };
	g_autoptr(GString) text = g_string_new(NULL);
	g_autoptr(GError) error = NULL;
	g_autofree char *out = NULL;

	(void)state;
	for (int i = 0; i < 26; i++)
		g_string_append_printf(text, "{%% for a%d in two %%}", i);
	g_string_append(text, "x");
	for (int i = 0; i < 26; i++)
		g_string_append(text, "{% endfor %}");
	out = template_expand("t", text->str, &env, &error);
	assert_null(out);
	assert_true(g_error_matches(error, TEMPLATE_ERROR, TEMPLATE_ERROR_LIMIT));
	assert_non_null(strstr(error->message, "loops nested too deep"));
	g_clear_error(&error);
	/* 2^15 renders of "x" (2^16 steps) are within bounds */
	g_string_assign(text, "");
	for (int i = 0; i < 15; i++)
		g_string_append_printf(text, "{%% for a%d in two %%}", i);
	g_string_append(text, "x");
	for (int i = 0; i < 15; i++)
		g_string_append(text, "{% endfor %}");
	out = template_expand("t", text->str, &env, &error);
	assert_non_null(out);
	assert_int_equal(strlen(out), 1u << 15);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_runaway),
		cmocka_unit_test(test_raw),
		cmocka_unit_test(test_if),
		cmocka_unit_test(test_for),
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_include),
		cmocka_unit_test(test_include_no_loader),
		cmocka_unit_test(test_first_line),
		cmocka_unit_test(test_reuse),
		cmocka_unit_test(test_secrets),
		cmocka_unit_test(test_secret_no_resolver),
		cmocka_unit_test(test_eval),
		cmocka_unit_test(test_eval_no_vars),
		cmocka_unit_test(test_bind),
		cmocka_unit_test(test_quote),
		cmocka_unit_test(test_hostile_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
