/*
 * template.h - the {{ }} substitution language of playbooks and templates
 *
 * A template is text with three kinds of tags:
 *
 *   {{ path }}            the value at PATH, shell-quoted (see below)
 *   {{ path | raw }}      the value verbatim; it must consist only of
 *                         [A-Za-z0-9_.,:/@%+=-], not be empty and not start
 *                         with '-', otherwise rendering fails
 *   {% if COND %} ... {% else %} ... {% endif %}
 *   {% for NAME in path %} ... {% endfor %}    (path names a JSON array;
 *                         inside, NAME is the element and loop.index its
 *                         0-based position)
 *   {% include 'NAME' %}  the template NAME, read through the loader given
 *                         to template_parse_with() when the including one is
 *                         parsed, rendered in place with the same variables
 *   {# comment #}
 *
 * A line holding nothing but one {% %} or {# #} tag and blanks is dropped
 * whole, newline included, so line-oriented shell scripts stay readable.
 *
 * PATH is a dotted name looked up in the variables (a JsonObject); a loop
 * variable shadows outer names.  A path that does not resolve is an error:
 * templates never silently expand to nothing.  Strings render as they are,
 * integers in decimal, booleans as "true"/"false", null as "".  Arrays and
 * objects cannot be rendered.
 *
 * An include is resolved when parsing: a missing file, a file that includes
 * itself (directly or not), includes nested deeper than
 * TEMPLATE_MAX_INCLUDE_DEPTH and an include without a loader are
 * TEMPLATE_ERROR_INCLUDE.  Errors inside an included template, when parsing
 * and when rendering, name that template and its own lines.
 *
 * Rendering fails (TEMPLATE_ERROR_LIMIT) after 100000 steps (text,
 * tags and loop bodies rendered) or 16 MiB of output: nested loops multiply.
 *
 * Quoting (TEMPLATE_QUOTE): a value made only of the safe characters above,
 * not empty, is inserted bare; anything else is single-quoted for POSIX sh
 * (g_shell_quote), so that "sh -c" sees it verbatim as one word.
 *
 * Secrets: an object with one member "secret" (a reference such as
 * "env:NAME" or "file:/path") is a secret.  With TEMPLATE_REDACT it renders
 * as "***"; without it, only when TEMPLATE_SECRETS is set, through
 * env->secret(); otherwise using a secret is an error (secrets may only
 * appear in script bodies, which travel over stdin).
 *
 * COND is the small condition language shared with playbook "when":
 *   COND := AND ( "or" AND )*
 *   AND  := NOT ( "and" NOT )*
 *   NOT  := [ "not" ] CMP
 *   CMP  := path [ ( "==" | "!=" ) literal ]
 *   literal := 'text' | "text" | integer | true | false
 * A bare path is true when it is true, a non-empty string, a non-zero
 * number or a non-empty array/object.  A path below "facts." that does not
 * resolve is unknown (planning offline there are no facts, or only those an
 * "os:" hint gives): the result is then TEMPLATE_UNKNOWN unless the other
 * operand decides it ("false and unknown" is false, "true or unknown" is
 * true).  Rendering an unknown value is TEMPLATE_ERROR_UNKNOWN.
 */
#ifndef LABCTL_TEMPLATE_H
#define LABCTL_TEMPLATE_H

#include <stdbool.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#define TEMPLATE_ERROR (template_error_quark())
GQuark template_error_quark(void);

enum template_error_code {
	TEMPLATE_ERROR_SYNTAX,     /* unbalanced tag, bad expression, ... */
	TEMPLATE_ERROR_UNDEFINED,  /* a path does not resolve */
	TEMPLATE_ERROR_TYPE,       /* array rendered as text, for over a string */
	TEMPLATE_ERROR_UNSAFE,     /* | raw on a value that is not safe */
	TEMPLATE_ERROR_SECRET,     /* secret used where it is not allowed */
	TEMPLATE_ERROR_UNKNOWN,    /* {% if %} on facts not known offline */
	TEMPLATE_ERROR_LIMIT,      /* renders too long or too much (nested loops) */
	TEMPLATE_ERROR_INCLUDE,    /* {% include %} missing, recursive, too deep */
};

/* How deep {% include %} may nest. */
#define TEMPLATE_MAX_INCLUDE_DEPTH 8

enum template_flags {
	TEMPLATE_QUOTE   = 1 << 0, /* shell-quote values (default for commands) */
	TEMPLATE_REDACT  = 1 << 1, /* secrets render as "***" */
	TEMPLATE_SECRETS = 1 << 2, /* secrets may be resolved (stdin bodies) */
};

enum template_truth {
	TEMPLATE_FALSE = 0,
	TEMPLATE_TRUE = 1,
	TEMPLATE_UNKNOWN = 2,
};

/*
 * Resolves a secret reference ("env:NAME", "file:PATH") to its value.
 * Returns a newly allocated string or NULL with @error set.
 */
typedef char *(*template_secret_fn)(const char *ref, void *data, GError **error);

struct template_env {
	JsonObject *vars;          /* borrowed */
	unsigned flags;            /* enum template_flags */
	template_secret_fn secret; /* may be NULL unless TEMPLATE_SECRETS */
	void *secret_data;
	const char *bind;          /* one more variable, seen before @vars; may be NULL */
	JsonNode *bind_value;      /* its value (borrowed) */
};

struct template;

/*
 * Parses @text.  @name is used in error messages ("NAME:LINE: message",
 * LINE counted from @first_line, so a template taken from a YAML scalar can
 * report the line of the playbook file).  Returns NULL with @error set on a
 * syntax error.
 */
struct template *template_parse(const char *name, const char *text,
				unsigned first_line, GError **error);
void template_free(struct template *t);

/*
 * Reads the template @name of an "{% include 'NAME' %}".  Returns its text,
 * newly allocated, and may set *@shown to a newly allocated name for
 * messages (a path); NULL with @error set when there is no such template.
 */
typedef char *(*template_load_fn)(const char *name, void *data, char **shown,
				  GError **error);

struct template_loader {
	template_load_fn load;
	void *data;
};

/*
 * template_parse() for a template that may include others, read through
 * @loader (may be NULL: then an include is an error).  @loader is used only
 * while parsing.
 */
struct template *template_parse_with(const char *name, const char *text,
				     unsigned first_line,
				     const struct template_loader *loader,
				     GError **error);

/* Renders @t.  Returns a newly allocated string, or NULL with @error set. */
char *template_render(const struct template *t,
		      const struct template_env *env, GError **error);

/* Parses and renders in one step. */
char *template_expand(const char *name, const char *text,
		      const struct template_env *env, GError **error);

/*
 * Evaluates the condition @expr against @vars into @out.  Returns false with
 * @error set on a syntax error or an undefined path.
 */
bool template_eval(const char *expr, JsonObject *vars,
		   enum template_truth *out, GError **error);

/*
 * The same in two steps, for a condition evaluated many times: parse once
 * (NULL with @error set on a syntax error), evaluate against each @vars,
 * with @bind (may be NULL) as one more variable, as in struct template_env.
 */
struct template_cond;
struct template_cond *template_cond_parse(const char *expr, GError **error);
bool template_cond_eval(const struct template_cond *cond, JsonObject *vars,
			const char *bind, JsonNode *bind_value,
			enum template_truth *out, GError **error);
void template_cond_free(struct template_cond *cond);

/* Whether @s may be inserted bare (see "raw" above). */
bool template_is_safe(const char *s);

/* Appends @s to @out, quoted for POSIX sh only when it needs to be. */
void template_quote(GString *out, const char *s);

#endif
