/*
 * targets.c - the fuzz targets' work on one input (see targets.h)
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "labctl/conformance.h"
#include "labctl/plan.h"
#include "labctl/provider_vagrant.h"
#include "labctl/spec.h"
#include "labctl/template.h"
#include "labctl/validate.h"

#include "targets.h"

#define SPEC_NAME "fuzz.yaml"

G_GNUC_PRINTF(1, 2) G_GNUC_NORETURN
static void broken(const char *fmt, ...)
{
	va_list ap;

	fputs("fuzz: invariant broken: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/* ---- spec ---- */

/* "Bad input gets a clear error naming file, line, column" */
static void check_diags(GPtrArray *diags)
{
	for (guint i = 0; i < diags->len; i++) {
		const struct diag *d = g_ptr_array_index(diags, i);
		g_autofree char *line = diag_format(d);

		if (!d->msg || !*d->msg)
			broken("empty diagnostic: '%s'", line);
		if (g_strcmp0(d->file, SPEC_NAME))
			broken("diagnostic does not name the spec: '%s'", line);
		/* only an empty file has no place to point at */
		if (!d->loc.line && strcmp(d->msg, "file is empty"))
			broken("diagnostic without a line: '%s'", line);
		if (!g_utf8_validate(line, -1, NULL))
			broken("diagnostic is not valid utf-8: '%s'", line);
	}
}

static void plan_spec(const struct lab_spec *spec, bool verify_only)
{
	struct plan_options opts = { .flags = TEMPLATE_REDACT, .verify_only = verify_only };
	g_autoptr(GPtrArray) diags = diags_new();
	g_autoptr(JsonNode) json = NULL;
	g_autofree char *text = NULL;
	g_autofree char *json_text = NULL;
	struct plan *plan;

	plan = plan_build(spec, &opts, diags);
	if (!plan) {
		g_autofree char *first = diags->len ?
			diag_format(g_ptr_array_index(diags, 0)) : g_strdup("(no diagnostic)");

		/* validation let through what the playbooks cannot handle */
		broken("valid spec without a plan: %s", first);
	}
	text = plan_format(plan);
	json = plan_to_json(plan);
	json_text = json_to_string(json, FALSE);
	if (!text || !json_text)
		broken("plan without text or json");
	plan_free(plan);
}

int fuzz_spec(const uint8_t *data, size_t size)
{
	g_autoptr(GPtrArray) diags = diags_new();
	struct lab_spec *spec;
	bool valid;

	spec = spec_load_data(SPEC_NAME, (const char *)data, size, diags);
	if (!spec && !diags->len)
		broken("no spec and no diagnostic");
	valid = spec && validate_spec(spec, diags) && !diags->len;
	check_diags(diags);
	if (valid) {
		plan_spec(spec, false);
		plan_spec(spec, true);
	}
	spec_free(spec);
	return 0;
}

/* ---- template ---- */

/*
 * A lab that uses every kind of value the templates see: CHAP both ways,
 * two LUNs of either backstore, ACLs, two portals, mount options.
 */
static const char LAB[] =
	"lab: fz\n"
	"provider: { type: netns, subnet: 10.9.0.0/24 }\n"
	"nodes:\n"
	"  - name: d\n"
	"    role: disk\n"
	"    target:\n"
	"      portals: [10.9.0.10, '10.9.0.10:3261']\n"
	"      chap: { user: u, password: { env: P },\n"
	"              mutual: { user: m, password: { file: /p } } }\n"
	"      luns:\n"
	"        - { name: a, image: /i/a.img, size: 1GiB }\n"
	"        - { name: b, image: /j/b.img, size: 300MiB, backstore: fileio, allocation: allocated }\n"
	"  - name: h\n"
	"    role: host\n"
	"    os: debian\n"
	"    initiator:\n"
	"      backend: libiscsi\n"
	"      mounts:\n"
	"        - { disk: d, lun: a, path: /mnt/a, options: 'noatime,nodev', persist: true }\n"
	"        - { disk: d, lun: b, path: /mnt/b, fs: ext4, test_file: t }\n";

/* The variables of both nodes, with the foreach variables the playbooks bind. */
static JsonObject *lab_vars(void)
{
	g_autoptr(GPtrArray) diags = diags_new();
	struct lab_spec *spec = spec_load_data("lab.yaml", LAB, sizeof(LAB) - 1, diags);
	JsonObject *vars, *host, *target, *initiator;

	if (!spec || !validate_spec(spec, diags) || diags->len)
		broken("the template fuzzer's lab does not validate");
	vars = plan_node_vars(spec, g_ptr_array_index(spec->nodes, 0), NULL);
	host = plan_node_vars(spec, g_ptr_array_index(spec->nodes, 1), NULL);
	target = json_object_get_object_member(vars, "target");
	initiator = json_object_get_object_member(host, "initiator");
	json_object_set_member(vars, "initiator",
			       json_node_copy(json_object_get_member(host, "initiator")));
	json_object_set_member(vars, "facts", json_node_copy(json_object_get_member(host, "facts")));
#define BIND(name, obj, list) \
	json_object_set_member(vars, name, json_node_copy(json_array_get_element( \
		json_object_get_array_member(obj, list), 0)))
	BIND("lun", target, "luns");
	BIND("acl", target, "acls");
	BIND("p", target, "portals");
	BIND("dir", target, "image_dirs");
	BIND("port", target, "ports");
	BIND("mount", initiator, "mounts");
	BIND("login", initiator, "logins");
#undef BIND
	json_object_unref(host);
	spec_free(spec);
	return vars;
}

struct values {
	GPtrArray *v;           /* char *: the inputs's VALUEs */
	guint next;
	const char *secret;     /* what the resolver returns */
	unsigned flags;
};

/* json_node_copy shares objects and arrays; substitute() must not touch the original. */
static JsonNode *deep_copy(JsonNode *node)
{
	JsonNode *copy;

	if (JSON_NODE_HOLDS_OBJECT(node)) {
		g_autoptr(JsonObject) o = json_object_new();
		JsonObjectIter it;
		const char *name;
		JsonNode *m;

		json_object_iter_init(&it, json_node_get_object(node));
		while (json_object_iter_next(&it, &name, &m))
			json_object_set_member(o, name, deep_copy(m));
		copy = json_node_init_object(json_node_alloc(), o);
	} else if (JSON_NODE_HOLDS_ARRAY(node)) {
		g_autoptr(JsonArray) a = json_array_new();
		JsonArray *src = json_node_get_array(node);

		for (guint i = 0; i < json_array_get_length(src); i++)
			json_array_add_element(a, deep_copy(json_array_get_element(src, i)));
		copy = json_node_init_array(json_node_alloc(), a);
	} else {
		copy = json_node_copy(node);
	}
	return copy;
}

/* Replaces every string in @node, depth first, by the next value. */
static void substitute(JsonNode *node, struct values *vals)
{
	if (JSON_NODE_HOLDS_OBJECT(node)) {
		JsonObjectIter it;
		const char *name;
		JsonNode *m;

		json_object_iter_init(&it, json_node_get_object(node));
		while (json_object_iter_next(&it, &name, &m))
			/* secret references stay references: the resolver gets the value */
			if (strcmp(name, "secret"))
				substitute(m, vals);
	} else if (JSON_NODE_HOLDS_ARRAY(node)) {
		JsonArray *a = json_node_get_array(node);

		for (guint i = 0; i < json_array_get_length(a); i++)
			substitute(json_array_get_element(a, i), vals);
	} else if (JSON_NODE_HOLDS_VALUE(node) &&
		   json_node_get_value_type(node) == G_TYPE_STRING) {
		json_node_set_string(node, g_ptr_array_index(vals->v, vals->next++ % vals->v->len));
	}
}

static char *resolve(const char *ref, void *data, GError **error)
{
	const struct values *vals = data;

	(void)error;
	if (!(vals->flags & TEMPLATE_SECRETS) || (vals->flags & TEMPLATE_REDACT))
		broken("secret '%s' resolved with flags %u", ref, vals->flags);
	return g_strdup(vals->secret);
}

/* A quoted value is one shell word that reads back as the value itself. */
static void check_quote(const char *v)
{
	g_autoptr(GString) q = g_string_new(NULL);
	g_auto(GStrv) argv = NULL;
	g_autoptr(GError) error = NULL;
	int argc;

	template_quote(q, v);
	if (!g_shell_parse_argv(q->str, &argc, &argv, &error))
		broken("quoted '%s' as '%s', which does not parse: %s", v, q->str, error->message);
	if (argc != 1 || strcmp(argv[0], v))
		broken("quoted '%s' as '%s', which reads back as %d words, first '%s'",
		       v, q->str, argc, argv[0]);
	/* bare words must not hold anything a shell would act on */
	if (!strcmp(q->str, v) && strpbrk(v, " \t\n|&;<>()$`\\\"'*?[]#~{}!^"))
		broken("'%s' left bare", v);
	if (template_is_safe(v) && strcmp(q->str, v))
		broken("safe '%s' quoted as '%s'", v, q->str);
}

static void render_one(const char *text, JsonObject *vars, struct values *vals)
{
	struct template_env env = {
		.vars = vars,
		.flags = vals->flags,
		.secret = resolve,
		.secret_data = vals,
	};
	g_autoptr(GError) error = NULL;
	struct template *t;
	char *out;

	t = template_parse("fuzz", text, 1, &error);
	if (!t) {
		if (!error || !g_str_has_prefix(error->message, "fuzz:"))
			broken("parse error without a place: %s", error ? error->message : "(none)");
		return;
	}
	out = template_render(t, &env, &error);
	if (!out && (!error || !*error->message))
		broken("render failed without an error");
	g_free(out);
	template_free(t);
}

/*
 * Every "{{ x | raw }}" of a value renders it verbatim or refuses, and
 * "{{ x }}" with TEMPLATE_QUOTE renders exactly what template_quote gives.
 */
static void check_var(JsonObject *vars, const char *v)
{
	struct template_env env = { .vars = vars, .flags = TEMPLATE_QUOTE };
	g_autoptr(GString) q = g_string_new(NULL);
	g_autoptr(GError) error = NULL;
	g_autofree char *raw = NULL;
	g_autofree char *quoted = NULL;

	json_object_set_string_member(vars, "fuzz_value", v);
	raw = template_expand("fuzz", "{{ fuzz_value | raw }}", &env, &error);
	if (raw && (strcmp(raw, v) || !template_is_safe(v)))
		broken("'| raw' let '%s' through as '%s'", v, raw);
	if (!raw && template_is_safe(v))
		broken("'| raw' refused safe '%s': %s", v, error->message);
	g_clear_error(&error);
	quoted = template_expand("fuzz", "{{ fuzz_value }}", &env, &error);
	template_quote(q, v);
	if (!quoted || strcmp(quoted, q->str))
		broken("'{{ x }}' of '%s' rendered as '%s', not '%s'", v,
		       quoted ? quoted : "(error)", q->str);
	json_object_remove_member(vars, "fuzz_value");
}

int fuzz_template(const uint8_t *data, size_t size)
{
	static JsonNode *base;
	struct values vals = { .v = g_ptr_array_new_with_free_func(g_free) };
	g_autofree char *text = g_strndup((const char *)data, size);
	size_t tlen = strlen(text);
	g_autoptr(JsonNode) root = NULL;
	g_autoptr(GError) error = NULL;
	enum template_truth truth;
	JsonObject *vars;

	if (!base) {
		g_autoptr(JsonObject) o = lab_vars();

		base = json_node_init_object(json_node_alloc(), o);
	}
	root = deep_copy(base);
	vars = json_node_get_object(root);

	if (tlen + 1 < size) {
		const char *p = (const char *)data + tlen + 1;
		const char *end = (const char *)data + size;

		vals.flags = (unsigned)(*p++ & 7);
		/* a few values say all there is to say, and keep each run short */
		while (vals.v->len < 16) {
			const char *nul = memchr(p, '\0', (size_t)(end - p));

			g_ptr_array_add(vals.v, g_strndup(p, (size_t)((nul ? nul : end) - p)));
			if (!nul)
				break;
			p = nul + 1;
		}
	}
	if (vals.v->len) {
		vals.secret = g_ptr_array_index(vals.v, 0);
		for (guint i = 0; i < vals.v->len; i++) {
			check_quote(g_ptr_array_index(vals.v, i));
			check_var(vars, g_ptr_array_index(vals.v, i));
		}
		substitute(root, &vals);
	} else {
		vals.secret = "s3cret";
	}
	render_one(text, vars, &vals);
	if (!template_eval(text, vars, &truth, &error) && (!error || !*error->message))
		broken("condition failed without an error");
	g_ptr_array_unref(vals.v);
	return 0;
}

/* ---- vagrant ssh-config ---- */

int fuzz_vagrant(const uint8_t *data, size_t size)
{
	g_autofree char *text = g_strndup((const char *)data, size);
	g_autoptr(GError) error = NULL;
	GPtrArray *hosts;

	hosts = provider_vagrant_parse(text, &error);
	if (!hosts) {
		if (!error || !*error->message)
			broken("no hosts and no error");
		return 0;
	}
	for (guint i = 0; i < hosts->len; i++) {
		const struct node_access *a = g_ptr_array_index(hosts, i);

		if (!a->name || !*a->name || !a->host || !*a->host || !a->user || !*a->user ||
		    a->ssh.port < 1 || a->ssh.port > 65535 || a->ssh.host != a->host)
			broken("incomplete host %u", i);
	}
	g_ptr_array_unref(hosts);
	return 0;
}

static void check_counts(const struct conformance_report *r)
{
	guint n[4] = { 0 };

	for (guint i = 0; i < r->cases->len; i++) {
		const struct conformance_case *c = g_ptr_array_index(r->cases, i);

		if (!c->name || !strchr(c->name, '.') || c->outcome > CONFORMANCE_KNOWN_FAILURE)
			broken("case %u has no name SUITE.TEST, or no outcome", i);
		n[c->outcome]++;
	}
	if (n[CONFORMANCE_PASSED] != r->passed || n[CONFORMANCE_FAILED] != r->failed ||
	    n[CONFORMANCE_SKIPPED] != r->skipped || n[CONFORMANCE_KNOWN_FAILURE] != r->known)
		broken("the counts are not those of the cases");
}

int fuzz_conformance(const uint8_t *data, size_t size)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(conformance_report) r = conformance_parse((const char *)data, (gssize)size, &error);
	g_autofree char *names = NULL;
	g_autoptr(GString) known = NULL;
	guint failed;

	if (!r) {
		if (!error || !*error->message)
			broken("no report and no error");
		return 0;
	}
	check_counts(r);
	names = conformance_failed_names(r, G_MAXUINT);
	if (!names != !r->failed)
		broken("failed names without failures, or failures without names");
	/* every other failed case becomes a known failure */
	known = g_string_new(NULL);
	for (guint i = 0, k = 0; i < r->cases->len; i++) {
		const struct conformance_case *c = g_ptr_array_index(r->cases, i);

		if (c->outcome != CONFORMANCE_FAILED)
			continue;
		if (!strstr(names, c->name))
			broken("failed case %s is not among the failed names", c->name);
		if (k++ % 2 == 0 && !strchr(c->name, ','))
			g_string_append_printf(known, "%s,", c->name);
	}
	failed = r->failed;
	conformance_apply_known(r, known->str);
	check_counts(r);
	if (r->failed + r->known != failed)
		broken("known failures were not taken out of the failed one for one");
	return 0;
}
