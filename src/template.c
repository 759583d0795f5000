/*
 * template.c - the {{ }} substitution language of playbooks and templates
 *
 * Text is parsed once into a tree of text, variable, if and for nodes, so
 * that syntax errors surface before anything runs and one parsed template
 * can be rendered against many sets of variables.
 */
#include <stdarg.h>
#include <string.h>

#include "labctl/template.h"

G_DEFINE_QUARK(template-error-quark, template_error)

struct path {
	char *text;		/* as written, for messages */
	char **segs;
};

enum cond_kind {
	COND_PATH,
	COND_EQ,
	COND_NE,
	COND_NOT,
	COND_AND,
	COND_OR,
};

struct cond {
	enum cond_kind kind;
	struct path path;	/* COND_PATH, COND_EQ, COND_NE */
	char *literal;		/* COND_EQ, COND_NE: its string form */
	struct cond *lhs;	/* COND_NOT, COND_AND, COND_OR */
	struct cond *rhs;	/* COND_AND, COND_OR */
};

enum node_kind {
	NODE_TEXT,
	NODE_VAR,
	NODE_IF,
	NODE_FOR,
	NODE_INCLUDE,
};

struct node {
	enum node_kind kind;
	unsigned line;
	char *text;		/* NODE_TEXT */
	size_t len;		/* NODE_TEXT: strlen(text) */
	struct path path;	/* NODE_VAR, NODE_FOR */
	bool raw;		/* NODE_VAR */
	struct cond *cond;	/* NODE_IF */
	char *name;		/* NODE_FOR */
	GPtrArray *body;	/* NODE_IF, NODE_FOR */
	GPtrArray *orelse;	/* NODE_IF */
	bool has_else;		/* NODE_IF, while parsing */
	struct template *sub;	/* NODE_INCLUDE */
};

struct template {
	char *name;
	GPtrArray *nodes;
};

G_GNUC_PRINTF(5, 6)
static void fail(const char *name, unsigned line, GError **error, int code,
		 const char *fmt, ...)
{
	g_autofree char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	/* bare conditions (template_eval) have no place; their caller adds it */
	if (name)
		g_set_error(error, TEMPLATE_ERROR, code, "%s:%u: %s", name, line, msg);
	else
		g_set_error_literal(error, TEMPLATE_ERROR, code, msg);
}

/* Values end up in one-line messages: keep them on one line, UTF-8 intact. */
static char *escape(const char *s)
{
	char high[129];
	int i;

	for (i = 0; i < 128; i++)
		high[i] = (char)(0x80 + i);
	high[128] = '\0';
	return g_strescape(s, high);
}

/* ---- paths ---- */

static bool is_name_start(char c)
{
	return g_ascii_isalpha(c) || c == '_';
}

static bool is_name_char(char c)
{
	/* YAML keys such as "chap-user" are common, and '-' is no operator here */
	return g_ascii_isalnum(c) || c == '_' || c == '-';
}

static bool is_name(const char *s)
{
	if (!is_name_start(*s))
		return false;
	while (*++s)
		if (!is_name_char(*s))
			return false;
	return true;
}

static bool is_keyword(const char *s)
{
	static const char *const words[] = { "and", "or", "not", "true", "false" };
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(words); i++)
		if (!strcmp(s, words[i]))
			return true;
	return false;
}

static bool path_init(struct path *p, const char *s, GError **error)
{
	g_auto(GStrv) segs = g_strsplit(s, ".", -1);
	size_t i;

	for (i = 0; segs[i]; i++)
		if (!is_name(segs[i]))
			break;
	if (!segs[0] || segs[i]) {
		g_set_error(error, TEMPLATE_ERROR, TEMPLATE_ERROR_SYNTAX,
			    "invalid path '%s'", s);
		return false;
	}
	p->text = g_strdup(s);
	p->segs = g_steal_pointer(&segs);
	return true;
}

static void path_clear(struct path *p)
{
	g_free(p->text);
	g_strfreev(p->segs);
}

/* ---- conditions ---- */

enum tok_kind {
	TOK_END,
	TOK_PATH,
	TOK_STRING,
	TOK_INT,
	TOK_TRUE,
	TOK_FALSE,
	TOK_AND,
	TOK_OR,
	TOK_NOT,
	TOK_EQ,
	TOK_NE,
};

struct tok {
	enum tok_kind kind;
	char *src;		/* as written, for messages */
	char *val;		/* PATH, STRING, INT: the value it stands for */
};

static void tok_clear(gpointer p)
{
	struct tok *t = p;

	g_free(t->src);
	g_free(t->val);
}

static void tok_add(GArray *toks, enum tok_kind kind, const char *start,
		    const char *end, char *val)
{
	struct tok t = { kind, g_strndup(start, end - start), val };

	g_array_append_val(toks, t);
}

static bool scan_word(GArray *toks, const char **pos, GError **error)
{
	static const struct {
		const char *word;
		enum tok_kind kind;
	} keywords[] = {
		{ "and", TOK_AND }, { "or", TOK_OR }, { "not", TOK_NOT },
		{ "true", TOK_TRUE }, { "false", TOK_FALSE },
	};
	const char *s = *pos, *e = s;
	g_autofree char *word = NULL;
	struct path p;
	size_t i;

	while (is_name_char(*e) || *e == '.')
		e++;
	word = g_strndup(s, e - s);
	*pos = e;
	for (i = 0; i < G_N_ELEMENTS(keywords); i++) {
		if (!strcmp(word, keywords[i].word)) {
			tok_add(toks, keywords[i].kind, s, e, NULL);
			return true;
		}
	}
	if (!path_init(&p, word, error))
		return false;
	g_strfreev(p.segs);
	tok_add(toks, TOK_PATH, s, e, p.text);
	return true;
}

static bool scan_int(GArray *toks, const char **pos, GError **error)
{
	const char *s = *pos, *e = s + (*s == '-');
	g_autofree char *digits = NULL;
	gint64 v;

	while (g_ascii_isdigit(*e))
		e++;
	digits = g_strndup(s, e - s);
	if (!g_ascii_string_to_signed(digits, 10, G_MININT64, G_MAXINT64, &v, NULL)) {
		g_set_error(error, TEMPLATE_ERROR, TEMPLATE_ERROR_SYNTAX,
			    "invalid integer '%s' in condition", digits);
		return false;
	}
	/* compared by string form, so 007 must match 7 */
	tok_add(toks, TOK_INT, s, e, g_strdup_printf("%" G_GINT64_FORMAT, v));
	*pos = e;
	return true;
}

static GArray *tokenize(const char *expr, GError **error)
{
	g_autoptr(GArray) toks = g_array_new(FALSE, FALSE, sizeof(struct tok));
	const char *s = expr;

	g_array_set_clear_func(toks, tok_clear);
	for (;;) {
		while (g_ascii_isspace(*s))
			s++;
		if (!*s)
			break;
		if (is_name_start(*s)) {
			if (!scan_word(toks, &s, error))
				return NULL;
		} else if (g_ascii_isdigit(*s) || (*s == '-' && g_ascii_isdigit(s[1]))) {
			if (!scan_int(toks, &s, error))
				return NULL;
		} else if (*s == '\'' || *s == '"') {
			const char *e = strchr(s + 1, *s);

			if (!e) {
				g_set_error_literal(error, TEMPLATE_ERROR, TEMPLATE_ERROR_SYNTAX,
						    "unterminated string in condition");
				return NULL;
			}
			tok_add(toks, TOK_STRING, s, e + 1, g_strndup(s + 1, e - s - 1));
			s = e + 1;
		} else if ((*s == '=' || *s == '!') && s[1] == '=') {
			tok_add(toks, *s == '=' ? TOK_EQ : TOK_NE, s, s + 2, NULL);
			s += 2;
		} else {
			size_t len = strnlen(s, g_utf8_skip[*(const guchar *)s]);
			g_autofree char *c = g_utf8_make_valid(s, len);

			g_set_error(error, TEMPLATE_ERROR, TEMPLATE_ERROR_SYNTAX,
				    "unexpected character '%s' in condition", c);
			return NULL;
		}
	}
	tok_add(toks, TOK_END, s, s, NULL);
	return g_steal_pointer(&toks);
}

struct cparser {
	GArray *toks;
	guint pos;
};

static const struct tok *peek(const struct cparser *p)
{
	return &g_array_index(p->toks, struct tok, p->pos);
}

static const struct tok *take(struct cparser *p)
{
	const struct tok *t = peek(p);

	if (t->kind != TOK_END)
		p->pos++;
	return t;
}

static void unexpected(const struct tok *t, const char *wanted, GError **error)
{
	if (t->kind == TOK_END)
		g_set_error(error, TEMPLATE_ERROR, TEMPLATE_ERROR_SYNTAX,
			    "expected %s at end of condition", wanted);
	else
		g_set_error(error, TEMPLATE_ERROR, TEMPLATE_ERROR_SYNTAX,
			    "expected %s in condition, got '%s'", wanted, t->src);
}

static void cond_free(struct cond *e)
{
	if (!e)
		return;
	path_clear(&e->path);
	g_free(e->literal);
	cond_free(e->lhs);
	cond_free(e->rhs);
	g_free(e);
}

static struct cond *cond_new(enum cond_kind kind, struct cond *lhs,
			     struct cond *rhs)
{
	struct cond *e = g_new0(struct cond, 1);

	e->kind = kind;
	e->lhs = lhs;
	e->rhs = rhs;
	return e;
}

static struct cond *parse_cmp(struct cparser *p, GError **error)
{
	const struct tok *t = take(p), *op, *lit;
	struct cond *e;

	if (t->kind != TOK_PATH) {
		unexpected(t, "a path", error);
		return NULL;
	}
	e = cond_new(COND_PATH, NULL, NULL);
	e->path.text = g_strdup(t->val);
	e->path.segs = g_strsplit(t->val, ".", -1);
	op = peek(p);
	if (op->kind != TOK_EQ && op->kind != TOK_NE)
		return e;
	take(p);
	lit = take(p);
	switch (lit->kind) {
	case TOK_STRING:
	case TOK_INT:
		e->literal = g_strdup(lit->val);
		break;
	case TOK_TRUE:
	case TOK_FALSE:
		e->literal = g_strdup(lit->src);
		break;
	default:
		unexpected(lit, op->kind == TOK_EQ ? "a literal after '=='"
						   : "a literal after '!='", error);
		cond_free(e);
		return NULL;
	}
	e->kind = op->kind == TOK_EQ ? COND_EQ : COND_NE;
	return e;
}

static struct cond *parse_not(struct cparser *p, GError **error)
{
	struct cond *e;

	if (peek(p)->kind != TOK_NOT)
		return parse_cmp(p, error);
	take(p);
	e = parse_cmp(p, error);
	return e ? cond_new(COND_NOT, e, NULL) : NULL;
}

static struct cond *parse_binary(struct cparser *p, enum tok_kind op,
				 GError **error)
{
	enum cond_kind kind = op == TOK_OR ? COND_OR : COND_AND;
	struct cond *e, *rhs;

	e = op == TOK_OR ? parse_binary(p, TOK_AND, error) : parse_not(p, error);
	while (e && peek(p)->kind == op) {
		take(p);
		rhs = op == TOK_OR ? parse_binary(p, TOK_AND, error) : parse_not(p, error);
		if (!rhs) {
			cond_free(e);
			return NULL;
		}
		e = cond_new(kind, e, rhs);
	}
	return e;
}

static struct cond *cond_parse(const char *expr, GError **error)
{
	g_autoptr(GArray) toks = tokenize(expr, error);
	struct cparser p = { toks, 0 };
	struct cond *e;

	if (!toks)
		return NULL;
	if (peek(&p)->kind == TOK_END) {
		g_set_error_literal(error, TEMPLATE_ERROR, TEMPLATE_ERROR_SYNTAX,
				    "empty condition");
		return NULL;
	}
	e = parse_binary(&p, TOK_OR, error);
	if (e && peek(&p)->kind != TOK_END) {
		g_set_error(error, TEMPLATE_ERROR, TEMPLATE_ERROR_SYNTAX,
			    "unexpected '%s' in condition", peek(&p)->src);
		cond_free(e);
		return NULL;
	}
	return e;
}

/* ---- values ---- */

/* A loop frame; frames chain outwards on the C stack while rendering. */
struct scope {
	const char *name;
	JsonNode *value;
	JsonNode *loop;
	const struct scope *up;
};

struct ctx {
	const char *name;	/* NULL for a bare condition */
	const struct template_env *env;
	JsonObject *vars;
	const struct scope *scope;
	guint64 *steps_left;	/* rendering: shared by the loop frames */
};

/*
 * Nested loops multiply: 26 of them over two items render 2^26 times from
 * a template of one kilobyte.  Real templates render at most a few
 * thousand nodes (255 LUNs, 256 ACL entries) into some hundred kilobytes;
 * these bounds turn a runaway one into an error.
 */
#define TEMPLATE_MAX_STEPS 100000
#define TEMPLATE_MAX_OUTPUT (16u << 20)

/*
 * *out is left NULL for a path under "facts." that does not resolve: offline
 * there are no facts, or only those an "os:" hint gives.
 */
static bool lookup(const struct ctx *c, unsigned line, const struct path *p,
		   JsonNode **out, GError **error)
{
	const char *head = p->segs[0];
	const struct scope *s;
	JsonNode *n = NULL;
	size_t i;

	*out = NULL;
	for (s = c->scope; s && !n; s = s->up) {
		if (!strcmp(head, s->name))
			n = s->value;
		else if (!strcmp(head, "loop"))
			n = s->loop;
	}
	/* json_object_get_member is NULL for a member that is not there */
	if (!n && c->vars)
		n = json_object_get_member(c->vars, head);
	for (i = 1; n && p->segs[i]; i++) {
		JsonObject *o = JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;

		n = o ? json_object_get_member(o, p->segs[i]) : NULL;
	}
	if (!n && !strcmp(head, "facts") && p->segs[1])
		return true;
	if (!n) {
		fail(c->name, line, error, TEMPLATE_ERROR_UNDEFINED,
		     "undefined variable '%s'", p->text);
		return false;
	}
	*out = n;
	return true;
}

static const char *secret_ref(JsonNode *n)
{
	JsonObject *o;
	JsonNode *ref;

	if (!JSON_NODE_HOLDS_OBJECT(n))
		return NULL;
	o = json_node_get_object(n);
	if (json_object_get_size(o) != 1 || !json_object_has_member(o, "secret"))
		return NULL;
	ref = json_object_get_member(o, "secret");
	if (!JSON_NODE_HOLDS_VALUE(ref) || json_node_get_value_type(ref) != G_TYPE_STRING)
		return NULL;
	return json_node_get_string(ref);
}

static const char *type_name(JsonNode *n)
{
	GType t;

	switch (JSON_NODE_TYPE(n)) {
	case JSON_NODE_OBJECT:
		return secret_ref(n) ? "secret" : "object";
	case JSON_NODE_ARRAY:
		return "array";
	case JSON_NODE_NULL:
		return "null";
	case JSON_NODE_VALUE:
		break;
	}
	t = json_node_get_value_type(n);
	if (t == G_TYPE_STRING)
		return "string";
	if (t == G_TYPE_BOOLEAN)
		return "boolean";
	if (t == G_TYPE_INT64)
		return "integer";
	return "number";
}

/*
 * The string form of a scalar, NULL for arrays and objects.  It points into
 * @n or into @buf: no allocation, since this runs for every value a plan
 * renders.
 */
static const char *scalar_view(JsonNode *n, char buf[static G_ASCII_DTOSTR_BUF_SIZE])
{
	GType t;

	if (JSON_NODE_HOLDS_NULL(n))
		return "";
	if (!JSON_NODE_HOLDS_VALUE(n))
		return NULL;
	t = json_node_get_value_type(n);
	if (t == G_TYPE_STRING)
		return json_node_get_string(n) ? json_node_get_string(n) : "";
	if (t == G_TYPE_BOOLEAN)
		return json_node_get_boolean(n) ? "true" : "false";
	if (t == G_TYPE_INT64) {
		g_snprintf(buf, G_ASCII_DTOSTR_BUF_SIZE, "%" G_GINT64_FORMAT, json_node_get_int(n));
		return buf;
	}
	/* 15 digits: 1.1 from YAML prints as 1.1, not 1.1000000000000001 */
	return g_ascii_formatd(buf, G_ASCII_DTOSTR_BUF_SIZE, "%.15g", json_node_get_double(n));
}

static bool truthy(JsonNode *n)
{
	GType t;

	switch (JSON_NODE_TYPE(n)) {
	case JSON_NODE_OBJECT:
		/* a secret is a one-member object, so it is true without resolving */
		return json_object_get_size(json_node_get_object(n)) > 0;
	case JSON_NODE_ARRAY:
		return json_array_get_length(json_node_get_array(n)) > 0;
	case JSON_NODE_NULL:
		return false;
	case JSON_NODE_VALUE:
		break;
	}
	t = json_node_get_value_type(n);
	if (t == G_TYPE_STRING)
		return json_node_get_string(n) && *json_node_get_string(n);
	if (t == G_TYPE_BOOLEAN)
		return json_node_get_boolean(n);
	if (t == G_TYPE_INT64)
		return json_node_get_int(n) != 0;
	return json_node_get_double(n) != 0.0;
}

static bool eval(const struct ctx *c, unsigned line, const struct cond *e,
		 enum template_truth *out, GError **error)
{
	char buf[G_ASCII_DTOSTR_BUF_SIZE];
	enum template_truth a, b;
	const char *s;
	JsonNode *n;

	switch (e->kind) {
	case COND_PATH:
	case COND_EQ:
	case COND_NE:
		if (!lookup(c, line, &e->path, &n, error))
			return false;
		if (!n) {
			*out = TEMPLATE_UNKNOWN;
			return true;
		}
		if (e->kind == COND_PATH) {
			*out = truthy(n) ? TEMPLATE_TRUE : TEMPLATE_FALSE;
			return true;
		}
		if (secret_ref(n)) {
			fail(c->name, line, error, TEMPLATE_ERROR_SECRET,
			     "secret '%s' cannot be compared", e->path.text);
			return false;
		}
		s = scalar_view(n, buf);
		if (!s) {
			fail(c->name, line, error, TEMPLATE_ERROR_TYPE,
			     "cannot compare %s '%s'", type_name(n), e->path.text);
			return false;
		}
		*out = (strcmp(s, e->literal) == 0) == (e->kind == COND_EQ) ?
			TEMPLATE_TRUE : TEMPLATE_FALSE;
		return true;
	case COND_NOT:
		if (!eval(c, line, e->lhs, &a, error))
			return false;
		*out = a == TEMPLATE_UNKNOWN ? a : a == TEMPLATE_TRUE ? TEMPLATE_FALSE : TEMPLATE_TRUE;
		return true;
	case COND_AND:
	case COND_OR:
		/*
		 * Both sides are always evaluated: a misspelt path must fail
		 * whatever the data, not only when the other side lets it through.
		 */
		if (!eval(c, line, e->lhs, &a, error) || !eval(c, line, e->rhs, &b, error))
			return false;
		if (e->kind == COND_AND) {
			if (a == TEMPLATE_FALSE || b == TEMPLATE_FALSE)
				*out = TEMPLATE_FALSE;
			else if (a == TEMPLATE_UNKNOWN || b == TEMPLATE_UNKNOWN)
				*out = TEMPLATE_UNKNOWN;
			else
				*out = TEMPLATE_TRUE;
		} else {
			if (a == TEMPLATE_TRUE || b == TEMPLATE_TRUE)
				*out = TEMPLATE_TRUE;
			else if (a == TEMPLATE_UNKNOWN || b == TEMPLATE_UNKNOWN)
				*out = TEMPLATE_UNKNOWN;
			else
				*out = TEMPLATE_FALSE;
		}
		return true;
	}
	g_assert_not_reached();
}

struct template_cond *template_cond_parse(const char *expr, GError **error)
{
	g_return_val_if_fail(expr, NULL);
	return (struct template_cond *)cond_parse(expr, error);
}

bool template_cond_eval(const struct template_cond *cond, JsonObject *vars,
			const char *bind, JsonNode *bind_value,
			enum template_truth *out, GError **error)
{
	struct scope top = { .name = bind, .value = bind_value };
	struct ctx c = { .vars = vars, .scope = bind ? &top : NULL };

	g_return_val_if_fail(cond && out, false);
	return eval(&c, 0, (const struct cond *)cond, out, error);
}

void template_cond_free(struct template_cond *cond)
{
	if (cond)
		cond_free((struct cond *)cond);
}

bool template_eval(const char *expr, JsonObject *vars,
		   enum template_truth *out, GError **error)
{
	struct template_cond *e;
	bool ok;

	g_return_val_if_fail(expr && out, false);
	e = template_cond_parse(expr, error);
	if (!e)
		return false;
	ok = template_cond_eval(e, vars, NULL, NULL, out, error);
	template_cond_free(e);
	return ok;
}

static bool safe_char(char c)
{
	switch (c) {
	case '_': case '.': case ',': case ':': case '/':
	case '@': case '%': case '+': case '=': case '-':
		return true;
	default:
		return g_ascii_isalnum(c);
	}
}

/*
 * A loop, not strspn(): glibc's strspn builds a table of its set on every
 * call, and this runs for every value a plan renders.
 */
static bool safe_chars(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!safe_char(*s))
			return false;
	return true;
}

bool template_is_safe(const char *s)
{
	return s && *s != '-' && safe_chars(s);
}

void template_quote(GString *out, const char *s)
{
	g_autofree char *quoted = NULL;

	g_return_if_fail(out && s);
	/* a leading '-' stays bare: quotes would not stop option parsing anyway */
	if (safe_chars(s)) {
		g_string_append(out, s);
		return;
	}
	quoted = g_shell_quote(s);
	g_string_append(out, quoted);
}

/* ---- parsing ---- */

static void node_free(gpointer p)
{
	struct node *n = p;

	g_free(n->text);
	path_clear(&n->path);
	cond_free(n->cond);
	g_free(n->name);
	if (n->body)
		g_ptr_array_unref(n->body);
	if (n->orelse)
		g_ptr_array_unref(n->orelse);
	template_free(n->sub);
	g_free(n);
}

static struct node *node_new(enum node_kind kind, unsigned line)
{
	struct node *n = g_new0(struct node, 1);

	n->kind = kind;
	n->line = line;
	if (kind == NODE_IF || kind == NODE_FOR)
		n->body = g_ptr_array_new_with_free_func(node_free);
	if (kind == NODE_IF)
		n->orelse = g_ptr_array_new_with_free_func(node_free);
	return n;
}

/* The templates being parsed, outermost first, for includes. */
struct include_chain {
	const char *name;	/* as written in the include tag; the top: NULL */
	const struct include_chain *up;
	unsigned depth;
};

struct parser {
	const char *name;
	const char *text;
	GPtrArray *root;
	GPtrArray *open;	/* if and for nodes not yet closed, innermost last */
	const struct template_loader *loader;	/* may be NULL */
	const struct include_chain *chain;
};

static struct template *parse_text(const char *name, const char *text,
				   unsigned first_line,
				   const struct template_loader *loader,
				   const struct include_chain *chain,
				   GError **error);

static struct node *innermost(const struct parser *p)
{
	return p->open->len ? g_ptr_array_index(p->open, p->open->len - 1) : NULL;
}

static GPtrArray *current(const struct parser *p)
{
	struct node *top = innermost(p);

	if (!top)
		return p->root;
	return top->has_else ? top->orelse : top->body;
}

static const char *find_tag(const struct parser *p, const char *s)
{
	for (s = strchr(s, '{'); s; s = strchr(s + 1, '{')) {
		if (s[1] == '{' || s[1] == '%')
			return s;
		/* "${#var}" is the shell's length of var, not a comment */
		if (s[1] == '#' && !(s > p->text && s[-1] == '$'))
			return s;
	}
	return NULL;
}

static unsigned count_lines(const char *s, const char *end)
{
	unsigned n = 0;

	for (; s < end; s++)
		n += *s == '\n';
	return n;
}

/*
 * Whether the tag [open, end) is alone on its line(s) with blanks; if so
 * *from and *to delimit what to drop, newline included.
 */
static bool alone_on_line(const struct parser *p, const char *open,
			  const char *end, const char **from, const char **to)
{
	const char *a = open, *b = end;

	while (a > p->text && (a[-1] == ' ' || a[-1] == '\t'))
		a--;
	if (a > p->text && a[-1] != '\n')
		return false;
	while (*b == ' ' || *b == '\t')
		b++;
	if (*b == '\n')
		b++;
	else if (*b)
		return false;
	*from = a;
	*to = b;
	return true;
}

static bool parse_var(struct parser *p, unsigned line, const char *content,
		      GError **error)
{
	g_autofree char *expr = g_strstrip(g_strdup(content));
	g_autoptr(GError) err = NULL;
	char *bar = strchr(expr, '|');
	struct node *n;

	if (bar) {
		char *filter = g_strstrip(bar + 1);

		*bar = '\0';
		g_strstrip(expr);
		if (strcmp(filter, "raw")) {
			fail(p->name, line, error, TEMPLATE_ERROR_SYNTAX,
			     "unknown filter '%s'", filter);
			return false;
		}
	}
	if (!*expr) {
		fail(p->name, line, error, TEMPLATE_ERROR_SYNTAX, "empty '{{ }}'");
		return false;
	}
	n = node_new(NODE_VAR, line);
	n->raw = bar != NULL;
	if (!path_init(&n->path, expr, &err)) {
		fail(p->name, line, error, err->code, "%s", err->message);
		node_free(n);
		return false;
	}
	g_ptr_array_add(current(p), n);
	return true;
}

static bool parse_for(struct parser *p, unsigned line, const char *args,
		      GError **error)
{
	g_auto(GStrv) words = g_strsplit_set(args, " \t\r\n", -1);
	g_autoptr(GError) err = NULL;
	const char *w[3];
	size_t i, n = 0;
	struct node *node;

	for (i = 0; words[i]; i++) {
		if (!*words[i])
			continue;
		if (n == G_N_ELEMENTS(w)) {
			n++;
			break;
		}
		w[n++] = words[i];
	}
	if (n != 3 || strcmp(w[1], "in")) {
		fail(p->name, line, error, TEMPLATE_ERROR_SYNTAX,
		     "malformed '{%% for %%}', expected '{%% for NAME in PATH %%}'");
		return false;
	}
	if (!is_name(w[0]) || is_keyword(w[0]) || !strcmp(w[0], "loop")) {
		fail(p->name, line, error, TEMPLATE_ERROR_SYNTAX,
		     "invalid loop variable '%s'", w[0]);
		return false;
	}
	node = node_new(NODE_FOR, line);
	if (!path_init(&node->path, w[2], &err)) {
		fail(p->name, line, error, err->code, "%s", err->message);
		node_free(node);
		return false;
	}
	node->name = g_strdup(w[0]);
	g_ptr_array_add(current(p), node);
	g_ptr_array_add(p->open, node);
	return true;
}

/* {% include 'NAME' %}: NAME is read through the loader and parsed now. */
static bool parse_include(struct parser *p, unsigned line, const char *args,
			  GError **error)
{
	struct include_chain link = { .up = p->chain };
	g_autofree char *file = NULL;
	g_autofree char *shown = NULL;
	g_autofree char *text = NULL;
	g_autoptr(GError) err = NULL;
	const struct include_chain *c;
	size_t len = strlen(args);
	struct template *sub;
	struct node *n;

	if (len < 3 || (args[0] != '\'' && args[0] != '"') || args[len - 1] != args[0] ||
	    memchr(args + 1, args[0], len - 2)) {
		fail(p->name, line, error, TEMPLATE_ERROR_SYNTAX,
		     "malformed '{%% include %%}', expected '{%% include 'NAME' %%}'");
		return false;
	}
	file = g_strndup(args + 1, len - 2);
	if (!p->loader || !p->loader->load) {
		fail(p->name, line, error, TEMPLATE_ERROR_INCLUDE,
		     "cannot include '%s': no includes here", file);
		return false;
	}
	for (c = p->chain; c && c->name; c = c->up) {
		if (!strcmp(c->name, file)) {
			fail(p->name, line, error, TEMPLATE_ERROR_INCLUDE,
			     "cannot include '%s': it is being included already (recursion)",
			     file);
			return false;
		}
	}
	link.name = file;
	link.depth = p->chain ? p->chain->depth + 1 : 1;
	if (link.depth > TEMPLATE_MAX_INCLUDE_DEPTH) {
		fail(p->name, line, error, TEMPLATE_ERROR_INCLUDE,
		     "cannot include '%s': includes nested deeper than %u",
		     file, TEMPLATE_MAX_INCLUDE_DEPTH);
		return false;
	}
	text = p->loader->load(file, p->loader->data, &shown, &err);
	if (!text) {
		fail(p->name, line, error, TEMPLATE_ERROR_INCLUDE, "cannot include '%s': %s",
		     file, err ? err->message : "not found");
		return false;
	}
	/* errors in it name the included file and its own lines */
	sub = parse_text(shown ? shown : file, text, 1, p->loader, &link, error);
	if (!sub)
		return false;
	n = node_new(NODE_INCLUDE, line);
	n->sub = sub;
	g_ptr_array_add(current(p), n);
	return true;
}

static bool parse_block(struct parser *p, unsigned line, const char *content,
			GError **error)
{
	g_autofree char *tag = g_strstrip(g_strdup(content));
	g_autoptr(GError) err = NULL;
	struct node *top = innermost(p);
	char *args = tag + strcspn(tag, " \t\r\n");
	struct node *n;

	if (*args)
		*args++ = '\0';
	g_strchug(args);
	if (!*tag) {
		fail(p->name, line, error, TEMPLATE_ERROR_SYNTAX, "empty '{%% %%}'");
		return false;
	}
	if (!strcmp(tag, "if")) {
		if (!*args) {
			fail(p->name, line, error, TEMPLATE_ERROR_SYNTAX,
			     "missing condition in '{%% if %%}'");
			return false;
		}
		n = node_new(NODE_IF, line);
		n->cond = cond_parse(args, &err);
		if (!n->cond) {
			fail(p->name, line, error, err->code, "%s", err->message);
			node_free(n);
			return false;
		}
		g_ptr_array_add(current(p), n);
		g_ptr_array_add(p->open, n);
		return true;
	}
	if (!strcmp(tag, "for"))
		return parse_for(p, line, args, error);
	if (!strcmp(tag, "include"))
		return parse_include(p, line, args, error);
	if (strcmp(tag, "else") && strcmp(tag, "endif") && strcmp(tag, "endfor")) {
		fail(p->name, line, error, TEMPLATE_ERROR_SYNTAX,
		     "unknown tag '{%% %s %%}'", tag);
		return false;
	}
	if (*args) {
		fail(p->name, line, error, TEMPLATE_ERROR_SYNTAX,
		     "unexpected '%s' in '{%% %s %%}'", args, tag);
		return false;
	}
	if (!strcmp(tag, "endfor") ? !top || top->kind != NODE_FOR :
	    !top || top->kind != NODE_IF || (!strcmp(tag, "else") && top->has_else)) {
		fail(p->name, line, error, TEMPLATE_ERROR_SYNTAX,
		     "unexpected '{%% %s %%}'", tag);
		return false;
	}
	if (!strcmp(tag, "else"))
		top->has_else = true;
	else
		g_ptr_array_remove_index(p->open, p->open->len - 1);
	return true;
}

static void add_text(const struct parser *p, const char *s, size_t len)
{
	struct node *n;

	if (!len)
		return;
	n = node_new(NODE_TEXT, 0);
	n->text = g_strndup(s, len);
	n->len = len;
	g_ptr_array_add(current(p), n);
}

void template_free(struct template *t)
{
	if (!t)
		return;
	g_free(t->name);
	g_ptr_array_unref(t->nodes);
	g_free(t);
}

struct template *template_parse(const char *name, const char *text,
				unsigned first_line, GError **error)
{
	return template_parse_with(name, text, first_line, NULL, error);
}

struct template *template_parse_with(const char *name, const char *text,
				     unsigned first_line,
				     const struct template_loader *loader,
				     GError **error)
{
	g_return_val_if_fail(name && text, NULL);
	return parse_text(name, text, first_line, loader, NULL, error);
}

static struct template *parse_text(const char *name, const char *text,
				   unsigned first_line,
				   const struct template_loader *loader,
				   const struct include_chain *chain,
				   GError **error)
{
	struct parser p = { name, text, NULL, NULL, loader, chain };
	g_autoptr(GPtrArray) open = g_ptr_array_new();
	struct template *t;
	const char *pos = text;
	unsigned line = first_line;

	t = g_new0(struct template, 1);
	t->name = g_strdup(name);
	t->nodes = g_ptr_array_new_with_free_func(node_free);
	p.root = t->nodes;
	p.open = open;
	for (;;) {
		const char *tag = find_tag(&p, pos), *close, *text_end, *next;
		g_autofree char *content = NULL;
		unsigned tag_line;
		bool ok;

		if (!tag) {
			add_text(&p, pos, strlen(pos));
			break;
		}
		tag_line = line + count_lines(pos, tag);
		close = strstr(tag + 2, tag[1] == '{' ? "}}" : tag[1] == '%' ? "%}" : "#}");
		if (!close) {
			fail(name, tag_line, error, TEMPLATE_ERROR_SYNTAX,
			     "unterminated '{%c'", tag[1]);
			goto fail;
		}
		text_end = tag;
		next = close + 2;
		if (tag[1] != '{')
			alone_on_line(&p, tag, close + 2, &text_end, &next);
		add_text(&p, pos, text_end - pos);
		content = g_strndup(tag + 2, close - tag - 2);
		if (tag[1] == '{')
			ok = parse_var(&p, tag_line, content, error);
		else if (tag[1] == '%')
			ok = parse_block(&p, tag_line, content, error);
		else
			ok = true;
		if (!ok)
			goto fail;
		line = tag_line + count_lines(tag, next);
		pos = next;
	}
	if (open->len) {
		struct node *top = innermost(&p);

		fail(name, top->line, error, TEMPLATE_ERROR_SYNTAX,
		     "unterminated '{%% %s %%}'", top->kind == NODE_IF ? "if" : "for");
		goto fail;
	}
	return t;
fail:
	template_free(t);
	return NULL;
}

/* ---- rendering ---- */

static bool render_list(const struct ctx *c, GPtrArray *nodes, GString *out,
			GError **error);

static bool render_secret(const struct ctx *c, const struct node *n,
			  const char *ref, GString *out, GError **error)
{
	const struct template_env *env = c->env;
	g_autofree char *value = NULL;
	GError *err = NULL;

	if (env->flags & TEMPLATE_REDACT) {
		g_string_append(out, "***");
		return true;
	}
	if (!(env->flags & TEMPLATE_SECRETS)) {
		fail(c->name, n->line, error, TEMPLATE_ERROR_SECRET,
		     "secret '%s' may only be used in a script body", n->path.text);
		return false;
	}
	if (!env->secret) {
		fail(c->name, n->line, error, TEMPLATE_ERROR_SECRET,
		     "no way to resolve secret '%s'", n->path.text);
		return false;
	}
	value = env->secret(ref, env->secret_data, &err);
	if (!value) {
		if (!err) {
			fail(c->name, n->line, error, TEMPLATE_ERROR_SECRET,
			     "cannot resolve secret '%s'", n->path.text);
			return false;
		}
		/* keep the resolver's domain and code, just say where */
		g_propagate_prefixed_error(error, err, "%s:%u: ", c->name, n->line);
		return false;
	}
	if (n->raw) {
		/* never echo a secret's value into a message */
		if (!template_is_safe(value)) {
			fail(c->name, n->line, error, TEMPLATE_ERROR_UNSAFE,
			     "value of secret '%s' is not safe for '| raw'", n->path.text);
			return false;
		}
		g_string_append(out, value);
	} else if (env->flags & TEMPLATE_QUOTE) {
		template_quote(out, value);
	} else {
		g_string_append(out, value);
	}
	return true;
}

static bool render_var(const struct ctx *c, const struct node *n, GString *out,
		       GError **error)
{
	char buf[G_ASCII_DTOSTR_BUF_SIZE];
	const char *ref, *s;
	JsonNode *v;

	if (!lookup(c, n->line, &n->path, &v, error))
		return false;
	if (!v) {
		fail(c->name, n->line, error, TEMPLATE_ERROR_UNKNOWN,
		     "value of '%s' is not known offline", n->path.text);
		return false;
	}
	ref = secret_ref(v);
	if (ref)
		return render_secret(c, n, ref, out, error);
	s = scalar_view(v, buf);
	if (!s) {
		fail(c->name, n->line, error, TEMPLATE_ERROR_TYPE,
		     "cannot render %s '%s'", type_name(v), n->path.text);
		return false;
	}
	if (n->raw) {
		if (!template_is_safe(s)) {
			g_autofree char *shown = escape(s);

			fail(c->name, n->line, error, TEMPLATE_ERROR_UNSAFE,
			     "value of '%s' is not safe for '| raw': '%s'",
			     n->path.text, shown);
			return false;
		}
		g_string_append(out, s);
	} else if (c->env->flags & TEMPLATE_QUOTE) {
		template_quote(out, s);
	} else {
		g_string_append(out, s);
	}
	return true;
}

static bool render_for(const struct ctx *c, const struct node *n, GString *out,
		       GError **error)
{
	struct scope scope = { .name = n->name, .up = c->scope };
	struct ctx inner = *c;
	JsonArray *items;
	JsonNode *v;
	guint i, len;

	if (!lookup(c, n->line, &n->path, &v, error))
		return false;
	if (!v) {
		fail(c->name, n->line, error, TEMPLATE_ERROR_UNKNOWN,
		     "value of '%s' is not known offline", n->path.text);
		return false;
	}
	if (!JSON_NODE_HOLDS_ARRAY(v)) {
		fail(c->name, n->line, error, TEMPLATE_ERROR_TYPE,
		     "cannot loop over %s '%s'", type_name(v), n->path.text);
		return false;
	}
	items = json_node_get_array(v);
	len = json_array_get_length(items);
	inner.scope = &scope;
	for (i = 0; i < len; i++) {
		g_autoptr(JsonObject) loop = json_object_new();
		g_autoptr(JsonNode) loop_node = json_node_alloc();

		json_object_set_int_member(loop, "index", i);
		json_node_init_object(loop_node, loop);
		scope.value = json_array_get_element(items, i);
		scope.loop = loop_node;
		if (!render_list(&inner, n->body, out, error))
			return false;
	}
	return true;
}

static bool render_list(const struct ctx *c, GPtrArray *nodes, GString *out,
			GError **error)
{
	guint i;

	for (i = 0; i < nodes->len; i++) {
		const struct node *n = g_ptr_array_index(nodes, i);
		enum template_truth truth;
		bool ok = true;

		if (!(*c->steps_left)-- || out->len > TEMPLATE_MAX_OUTPUT) {
			fail(c->name, n->line, error, TEMPLATE_ERROR_LIMIT,
			     "rendering takes more than %u steps or %u MiB: loops nested too deep?",
			     TEMPLATE_MAX_STEPS, TEMPLATE_MAX_OUTPUT >> 20);
			return false;
		}

		switch (n->kind) {
		case NODE_TEXT:
			g_string_append_len(out, n->text, (gssize)n->len);
			break;
		case NODE_VAR:
			ok = render_var(c, n, out, error);
			break;
		case NODE_FOR:
			ok = render_for(c, n, out, error);
			break;
		case NODE_IF:
			ok = eval(c, n->line, n->cond, &truth, error);
			if (ok && truth == TEMPLATE_UNKNOWN) {
				fail(c->name, n->line, error, TEMPLATE_ERROR_UNKNOWN,
				     "condition depends on facts not known offline");
				ok = false;
			}
			if (ok)
				ok = render_list(c, truth == TEMPLATE_TRUE ? n->body : n->orelse,
						 out, error);
			break;
		case NODE_INCLUDE: {
			/* its messages name the included file */
			struct ctx inner = *c;

			inner.name = n->sub->name;
			ok = render_list(&inner, n->sub->nodes, out, error);
			break;
		}
		}
		if (!ok)
			return false;
	}
	return true;
}

char *template_render(const struct template *t,
		      const struct template_env *env, GError **error)
{
	guint64 steps_left = TEMPLATE_MAX_STEPS;
	struct ctx c = { .name = t ? t->name : NULL, .env = env, .steps_left = &steps_left };
	struct scope top = { 0 };
	g_autoptr(GString) out = NULL;

	g_return_val_if_fail(t && env, NULL);
	c.vars = env->vars;
	if (env->bind) {
		top.name = env->bind;
		top.value = env->bind_value;
		c.scope = &top;
	}
	out = g_string_new(NULL);
	if (!render_list(&c, t->nodes, out, error))
		return NULL;
	return g_string_free(g_steal_pointer(&out), FALSE);
}

char *template_expand(const char *name, const char *text,
		      const struct template_env *env, GError **error)
{
	struct template *t = template_parse(name, text, 1, error);
	char *s;

	if (!t)
		return NULL;
	s = template_render(t, env, error);
	template_free(t);
	return s;
}
