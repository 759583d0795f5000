/*
 * ytree.c - YAML documents as trees with marks, and the table-driven decoder
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <yaml.h>

#include "labctl/ytree.h"

/* Deeper nesting than any spec needs; it bounds the recursion of the decoder. */
#define YTREE_MAX_DEPTH 64

static void diag_free(gpointer p)
{
	struct diag *d = p;

	g_free(d->file);
	g_free(d->msg);
	g_free(d);
}

GPtrArray *diags_new(void)
{
	return g_ptr_array_new_with_free_func(diag_free);
}

void diags_add(GPtrArray *diags, const char *file, struct loc loc,
	       const char *fmt, ...)
{
	struct diag *d = g_new0(struct diag, 1);
	va_list ap;

	d->file = g_strdup(file);
	d->loc = loc;
	va_start(ap, fmt);
	d->msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_ptr_array_add(diags, d);
}

static gint diag_cmp(gconstpointer a, gconstpointer b)
{
	const struct diag *x = *(struct diag *const *)a;
	const struct diag *y = *(struct diag *const *)b;
	int c = g_strcmp0(x->file, y->file);

	if (c)
		return c;
	if (x->loc.line != y->loc.line)
		return x->loc.line < y->loc.line ? -1 : 1;
	if (x->loc.col != y->loc.col)
		return x->loc.col < y->loc.col ? -1 : 1;
	return 0;
}

void diags_sort(GPtrArray *diags)
{
	/* g_ptr_array_sort is a stable merge sort in GLib >= 2.32 */
	g_ptr_array_sort(diags, diag_cmp);
}

char *diag_format(const struct diag *d)
{
	if (!d->file)
		return g_strdup(d->msg);
	if (!d->loc.line)
		return g_strdup_printf("%s: %s", d->file, d->msg);
	return g_strdup_printf("%s:%u:%u: %s", d->file, d->loc.line,
			       d->loc.col, d->msg);
}

void ynode_free(struct ynode *n)
{
	if (!n)
		return;
	g_free(n->scalar);
	if (n->items)
		g_ptr_array_unref(n->items);
	if (n->keys)
		g_ptr_array_unref(n->keys);
	g_free(n);
}

static struct loc mark_loc(yaml_mark_t m)
{
	return (struct loc){ (unsigned)m.line + 1, (unsigned)m.column + 1 };
}

static struct ynode *ynode_new(enum ynode_type type, yaml_mark_t m)
{
	struct ynode *n = g_new0(struct ynode, 1);

	n->type = type;
	n->loc = mark_loc(m);
	if (type != YNODE_SCALAR)
		n->items = g_ptr_array_new_with_free_func((GDestroyNotify)ynode_free);
	if (type == YNODE_MAP)
		n->keys = g_ptr_array_new_with_free_func((GDestroyNotify)ynode_free);
	return n;
}

struct parser {
	yaml_parser_t yp;
	const char *text;
	size_t len;
	const char *file;
	GPtrArray *diags;
	bool failed;
};

/* Line and column of byte @offset of the input (libyaml's reader errors). */
static struct loc offset_loc(const struct parser *p, size_t offset)
{
	struct loc l = { 1, 1 };

	for (size_t i = 0; i < offset && i < p->len; i++) {
		if (p->text[i] == '\n') {
			l.line++;
			l.col = 1;
		} else if (((unsigned char)p->text[i] & 0xc0) != 0x80) {
			l.col++;
		}
	}
	return l;
}

static bool next_event(struct parser *p, yaml_event_t *ev)
{
	struct loc where;

	if (yaml_parser_parse(&p->yp, ev))
		return true;
	/* reader errors have an offset, the others a mark */
	where = p->yp.error == YAML_READER_ERROR ? offset_loc(p, p->yp.problem_offset)
						 : mark_loc(p->yp.problem_mark);
	/* libyaml's problem texts are lowercase already */
	diags_add(p->diags, p->file, where,
		  "invalid yaml: %s%s%s", p->yp.problem ? p->yp.problem : "syntax error",
		  p->yp.context ? " " : "", p->yp.context ? p->yp.context : "");
	p->failed = true;
	return false;
}

static struct ynode *parse_node(struct parser *p, yaml_event_t *ev, unsigned depth);

/* Takes ownership of nothing; @ev is the start event, already fetched. */
static struct ynode *parse_collection(struct parser *p, yaml_event_t *start,
				      unsigned depth)
{
	bool map = start->type == YAML_MAPPING_START_EVENT;
	struct ynode *n = ynode_new(map ? YNODE_MAP : YNODE_SEQ, start->start_mark);
	yaml_event_type_t end = map ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT;
	/*
	 * The keys seen so far, borrowed from n->keys: looking each new key up
	 * in the list made a mapping of many keys quadratic, minutes for a
	 * spec of one megabyte.
	 */
	g_autoptr(GHashTable) seen = map ? g_hash_table_new(g_str_hash, g_str_equal) : NULL;

	for (;;) {
		yaml_event_t ev;
		struct ynode *key = NULL, *val;

		if (!next_event(p, &ev))
			goto fail;
		if (ev.type == end) {
			yaml_event_delete(&ev);
			return n;
		}
		if (map) {
			key = parse_node(p, &ev, depth + 1);
			yaml_event_delete(&ev);
			if (!key)
				goto fail;
			if (!next_event(p, &ev)) {
				ynode_free(key);
				goto fail;
			}
		}
		val = parse_node(p, &ev, depth + 1);
		yaml_event_delete(&ev);
		if (!val) {
			ynode_free(key);
			goto fail;
		}
		if (!map) {
			g_ptr_array_add(n->items, val);
			continue;
		}
		if (key->type != YNODE_SCALAR) {
			diags_add(p->diags, p->file, key->loc,
				  "mapping keys must be scalars, not %s", ynode_kind(key));
			p->failed = true;
			ynode_free(key);
			ynode_free(val);
			continue;
		}
		if (g_hash_table_contains(seen, key->scalar)) {
			diags_add(p->diags, p->file, key->loc, "duplicate key '%s'",
				  key->scalar);
			ynode_free(key);
			ynode_free(val);
			continue;
		}
		g_hash_table_add(seen, key->scalar);
		g_ptr_array_add(n->keys, key);
		g_ptr_array_add(n->items, val);
	}
fail:
	ynode_free(n);
	return NULL;
}

static bool refuse_extras(struct parser *p, yaml_event_t *ev)
{
	yaml_char_t *anchor = NULL, *tag = NULL;

	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		anchor = ev->data.scalar.anchor;
		tag = ev->data.scalar.tag;
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = ev->data.sequence_start.anchor;
		tag = ev->data.sequence_start.tag;
		break;
	case YAML_MAPPING_START_EVENT:
		anchor = ev->data.mapping_start.anchor;
		tag = ev->data.mapping_start.tag;
		break;
	default:
		break;
	}
	if (anchor) {
		diags_add(p->diags, p->file, mark_loc(ev->start_mark),
			  "anchors are not supported: '&%s'", (char *)anchor);
		return false;
	}
	if (tag) {
		diags_add(p->diags, p->file, mark_loc(ev->start_mark),
			  "tags are not supported: '%s'", (char *)tag);
		return false;
	}
	return true;
}

static struct ynode *parse_node(struct parser *p, yaml_event_t *ev, unsigned depth)
{
	struct ynode *n;

	if (depth > YTREE_MAX_DEPTH) {
		diags_add(p->diags, p->file, mark_loc(ev->start_mark),
			  "nesting deeper than %d levels", YTREE_MAX_DEPTH);
		p->failed = true;
		return NULL;
	}
	if (!refuse_extras(p, ev)) {
		p->failed = true;
		return NULL;
	}
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		n = ynode_new(YNODE_SCALAR, ev->start_mark);
		n->scalar = g_strndup((char *)ev->data.scalar.value,
				      ev->data.scalar.length);
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		n->block = ev->data.scalar.style == YAML_LITERAL_SCALAR_STYLE ||
			   ev->data.scalar.style == YAML_FOLDED_SCALAR_STYLE;
		if (strlen(n->scalar) != ev->data.scalar.length) {
			diags_add(p->diags, p->file, n->loc, "NUL byte in value");
			p->failed = true;
			ynode_free(n);
			return NULL;
		}
		return n;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		return parse_collection(p, ev, depth);
	case YAML_ALIAS_EVENT:
		diags_add(p->diags, p->file, mark_loc(ev->start_mark),
			  "aliases are not supported: '*%s'",
			  (char *)ev->data.alias.anchor);
		p->failed = true;
		return NULL;
	default:
		diags_add(p->diags, p->file, mark_loc(ev->start_mark),
			  "unexpected yaml event");
		p->failed = true;
		return NULL;
	}
}

struct ynode *ytree_parse(const char *file, const char *text, size_t len,
			  GPtrArray *diags)
{
	struct parser p = { .text = text, .len = len, .file = file, .diags = diags };
	const char *nul = memchr(text, '\0', len);
	struct ynode *root = NULL;
	yaml_event_t ev;
	bool more_docs = false;

	/* NUL is valid UTF-8 but no YAML text holds one */
	if (nul) {
		diags_add(diags, file, offset_loc(&p, (size_t)(nul - text)), "NUL byte in file");
		return NULL;
	}
	if (!g_utf8_validate(text, (gssize)len, NULL)) {
		const char *end;
		unsigned line = 1, col = 1;

		g_utf8_validate(text, (gssize)len, &end);
		for (const char *c = text; c < end; c++) {
			if (*c == '\n') {
				line++;
				col = 1;
			} else if (((unsigned char)*c & 0xc0) != 0x80) {
				col++;
			}
		}
		diags_add(diags, file, (struct loc){ line, col }, "file is not valid utf-8");
		return NULL;
	}

	yaml_parser_initialize(&p.yp);
	yaml_parser_set_input_string(&p.yp, (const unsigned char *)text, len);

	/* STREAM-START, then DOCUMENT-START or STREAM-END for an empty file */
	if (!next_event(&p, &ev))
		goto out;
	yaml_event_delete(&ev);
	if (!next_event(&p, &ev))
		goto out;
	if (ev.type == YAML_STREAM_END_EVENT) {
		yaml_event_delete(&ev);
		diags_add(diags, file, (struct loc){ 0, 0 }, "file is empty");
		goto out;
	}
	yaml_event_delete(&ev);

	if (!next_event(&p, &ev))
		goto out;
	root = parse_node(&p, &ev, 0);
	yaml_event_delete(&ev);
	if (!root)
		goto out;
	/* "---" alone: a document with nothing in it */
	if (root->type == YNODE_SCALAR && root->plain && !*root->scalar) {
		diags_add(diags, file, root->loc, "document is empty");
		p.failed = true;
		goto out;
	}

	/* DOCUMENT-END, then STREAM-END unless another document follows */
	if (!next_event(&p, &ev))
		goto out;
	yaml_event_delete(&ev);
	if (!next_event(&p, &ev))
		goto out;
	if (ev.type == YAML_DOCUMENT_START_EVENT) {
		diags_add(diags, file, mark_loc(ev.start_mark),
			  "only one yaml document is allowed");
		more_docs = true;
	}
	yaml_event_delete(&ev);
out:
	yaml_parser_delete(&p.yp);
	if (p.failed || more_docs) {
		ynode_free(root);
		return NULL;
	}
	return root;
}

const struct ynode *ynode_get(const struct ynode *map, const char *key)
{
	if (!map || map->type != YNODE_MAP)
		return NULL;
	for (guint i = 0; i < map->keys->len; i++) {
		const struct ynode *k = g_ptr_array_index(map->keys, i);

		if (!strcmp(k->scalar, key))
			return g_ptr_array_index(map->items, i);
	}
	return NULL;
}

const char *ynode_kind(const struct ynode *n)
{
	switch (n->type) {
	case YNODE_SCALAR:
		return "a scalar";
	case YNODE_SEQ:
		return "a list";
	case YNODE_MAP:
		return "a mapping";
	}
	return "a node";
}

bool ytree_parse_size(const char *s, uint64_t *out, const char **why)
{
	static const struct {
		const char *suffix;
		uint64_t mult;
	} units[] = {
		{ "", 1 }, { "B", 1 },
		{ "K", 1ULL << 10 }, { "KiB", 1ULL << 10 }, { "kB", 1000ULL }, { "KB", 1000ULL },
		{ "M", 1ULL << 20 }, { "MiB", 1ULL << 20 }, { "MB", 1000000ULL },
		{ "G", 1ULL << 30 }, { "GiB", 1ULL << 30 }, { "GB", 1000000000ULL },
		{ "T", 1ULL << 40 }, { "TiB", 1ULL << 40 }, { "TB", 1000000000000ULL },
	};
	const char *p = s;
	uint64_t n = 0;

	if (!g_ascii_isdigit(*p)) {
		*why = "a size starts with a number";
		return false;
	}
	while (g_ascii_isdigit(*p)) {
		uint64_t digit = (uint64_t)(*p++ - '0');

		if (n > (UINT64_MAX - digit) / 10) {
			*why = "size is too large";
			return false;
		}
		n = n * 10 + digit;
	}
	if (*p == ' ')
		p++;
	for (size_t i = 0; i < G_N_ELEMENTS(units); i++) {
		if (strcmp(p, units[i].suffix))
			continue;
		if (n > UINT64_MAX / units[i].mult) {
			*why = "size is too large";
			return false;
		}
		*out = n * units[i].mult;
		return true;
	}
	*why = "unknown size unit (use B, KiB, MiB, GiB, TiB, or kB, MB, GB, TB)";
	return false;
}

/* ---- decoder ---- */

struct decoder {
	const char *file;
	GPtrArray *diags;
	bool ok;
};

#define FIELD_PTR(obj, f) ((char *)(obj) + (f)->offset)

static void derr(struct decoder *d, struct loc loc, const char *fmt, ...)
	G_GNUC_PRINTF(3, 4);

static void derr(struct decoder *d, struct loc loc, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	diags_add(d->diags, d->file, loc, "%s", msg);
	g_free(msg);
	d->ok = false;
}

/* " in node 'x'" or "" */
static char *where(const char *ctx)
{
	return ctx ? g_strdup_printf(" in %s", ctx) : g_strdup("");
}

static bool want_scalar(struct decoder *d, const struct ynode *n,
			const char *key, const char *ctx)
{
	g_autofree char *w = NULL;

	if (n->type == YNODE_SCALAR)
		return true;
	w = where(ctx);
	derr(d, n->loc, "'%s' must be a scalar, not %s%s", key, ynode_kind(n), w);
	return false;
}

static bool is_null(const struct ynode *n)
{
	return n->type == YNODE_SCALAR && n->plain &&
	       (!*n->scalar || !strcmp(n->scalar, "~") || !strcmp(n->scalar, "null"));
}

static bool decode_map(struct decoder *d, const struct ynode *n,
		       const struct yschema *s, void *out, const char *ctx,
		       unsigned depth);

static char *item_ctx(const struct yschema *s, const struct ynode *item,
		      guint index)
{
	const struct ynode *name = ynode_get(item, "name");

	if (name && name->type == YNODE_SCALAR)
		return g_strdup_printf("%s '%s'", s->what, name->scalar);
	return g_strdup_printf("%s #%u", s->what, index + 1);
}

/*
 * How many items of list @v to decode: all, or f->max after reporting the
 * first one too many.  Checks across a list's items (duplicates, every host
 * on every disk's ACL) cost its length squared or cubed; a bound keeps a
 * spec of a few megabytes from taking hours.
 */
static guint list_len(struct decoder *d, const struct yfield *f,
		      const struct ynode *v, const char *w)
{
	guint len = v->items->len;

	if (!f->max || len <= f->max)
		return len;
	derr(d, ((const struct ynode *)g_ptr_array_index(v->items, f->max))->loc,
	     "'%s' holds at most %" G_GUINT64_FORMAT " items%s", f->key, f->max, w);
	return (guint)f->max;
}

static void decode_field(struct decoder *d, const struct yfield *f,
			 const struct ynode *v, void *obj, const char *ctx,
			 unsigned depth)
{
	g_autofree char *w = where(ctx);
	void *p = FIELD_PTR(obj, f);
	guint len;

	switch (f->type) {
	case YF_STR: {
		struct ystr *x = p;

		if (!want_scalar(d, v, f->key, ctx))
			return;
		x->v = g_strdup(v->scalar);
		x->loc = v->loc;
		x->block = v->block;
		return;
	}
	case YF_BOOL: {
		struct ybool *x = p;

		if (!want_scalar(d, v, f->key, ctx))
			return;
		x->loc = v->loc;
		if (!strcmp(v->scalar, "true") || !strcmp(v->scalar, "yes")) {
			x->v = true;
		} else if (!strcmp(v->scalar, "false") || !strcmp(v->scalar, "no")) {
			x->v = false;
		} else {
			derr(d, v->loc, "'%s' must be true or false, not '%s'%s",
			     f->key, v->scalar, w);
			return;
		}
		x->set = true;
		return;
	}
	case YF_UINT:
	case YF_SIZE: {
		struct yuint *x = p;
		const char *why = NULL;
		char *end;

		if (!want_scalar(d, v, f->key, ctx))
			return;
		x->loc = v->loc;
		if (f->type == YF_SIZE) {
			if (!ytree_parse_size(v->scalar, &x->v, &why)) {
				derr(d, v->loc, "bad size '%s' for '%s'%s: %s",
				     v->scalar, f->key, w, why);
				return;
			}
		} else {
			errno = 0;
			x->v = g_ascii_strtoull(v->scalar, &end, 10);
			if (!g_ascii_isdigit(*v->scalar) || *end || errno ||
			    (f->max && x->v > f->max) || x->v < f->min) {
				if (f->max)
					derr(d, v->loc, "'%s' must be a number from %" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT ", not '%s'%s",
					     f->key, f->min, f->max, v->scalar, w);
				else
					derr(d, v->loc, "'%s' must be a number, not '%s'%s",
					     f->key, v->scalar, w);
				return;
			}
		}
		x->set = true;
		return;
	}
	case YF_ENUM: {
		struct yenum *x = p;
		g_autofree char *choices = NULL;

		if (!want_scalar(d, v, f->key, ctx))
			return;
		x->loc = v->loc;
		for (int i = 0; f->values[i]; i++) {
			if (!strcmp(f->values[i], v->scalar)) {
				x->v = i;
				x->set = true;
				return;
			}
		}
		choices = g_strjoinv(", ", (char **)f->values);
		derr(d, v->loc, "unknown %s '%s'%s (expected one of: %s)", f->key,
		     v->scalar, w, choices);
		return;
	}
	case YF_STRLIST: {
		GPtrArray **x = p;

		if (v->type == YNODE_MAP) {
			derr(d, v->loc, "'%s' must be a list, not %s%s", f->key,
			     ynode_kind(v), w);
			return;
		}
		*x = g_ptr_array_new();
		if (v->type == YNODE_SCALAR) {
			struct ystr *s = g_new0(struct ystr, 1);

			s->v = g_strdup(v->scalar);
			s->loc = v->loc;
			g_ptr_array_add(*x, s);
			return;
		}
		len = list_len(d, f, v, w);
		for (guint i = 0; i < len; i++) {
			const struct ynode *it = g_ptr_array_index(v->items, i);
			struct ystr *s;

			if (!want_scalar(d, it, f->key, ctx))
				continue;
			s = g_new0(struct ystr, 1);
			s->v = g_strdup(it->scalar);
			s->loc = it->loc;
			g_ptr_array_add(*x, s);
		}
		return;
	}
	case YF_OBJ: {
		g_autofree char *sub = ctx ? g_strdup_printf("'%s' of %s", f->key, ctx)
					   : g_strdup_printf("'%s'", f->key);

		if (f->shorthand && v->type == YNODE_SCALAR) {
			if (!strcmp(v->scalar, "true") || !strcmp(v->scalar, "yes"))
				*(struct loc *)((char *)p + f->sub->set_offset) = v->loc;
			else if (strcmp(v->scalar, "false") && strcmp(v->scalar, "no"))
				derr(d, v->loc, "'%s' must be a mapping, true or false, not '%s'%s",
				     f->key, v->scalar, w);
			return;
		}
		decode_map(d, v, f->sub, p, sub, depth + 1);
		return;
	}
	case YF_LIST: {
		GPtrArray **x = p;

		if (v->type != YNODE_SEQ) {
			derr(d, v->loc, "'%s' must be a list, not %s%s", f->key,
			     ynode_kind(v), w);
			return;
		}
		*x = g_ptr_array_new();
		len = list_len(d, f, v, w);
		for (guint i = 0; i < len; i++) {
			const struct ynode *it = g_ptr_array_index(v->items, i);
			g_autofree char *ictx = item_ctx(f->sub, it, i);
			void *elem = g_malloc0(f->sub->size);

			g_ptr_array_add(*x, elem);
			decode_map(d, it, f->sub, elem, ictx, depth + 1);
		}
		return;
	}
	case YF_SECRET: {
		struct ysecret *x = p;
		const struct ynode *env, *file;

		x->loc = v->loc;
		if (v->type != YNODE_MAP) {
			derr(d, v->loc, "inline secrets are not allowed for '%s'%s: use 'env: NAME' or 'file: PATH'",
			     f->key, w);
			return;
		}
		env = ynode_get(v, "env");
		file = ynode_get(v, "file");
		if (v->keys->len != 1 || (!env && !file)) {
			derr(d, v->loc, "'%s'%s must hold exactly one of 'env' or 'file'",
			     f->key, w);
			return;
		}
		if (!want_scalar(d, env ? env : file, env ? "env" : "file", ctx))
			return;
		x->ref = g_strdup_printf("%s:%s", env ? "env" : "file",
					 (env ? env : file)->scalar);
		x->loc = (env ? env : file)->loc;
		return;
	}
	case YF_RAW:
		*(const struct ynode **)p = v;
		return;
	}
}

static bool decode_map(struct decoder *d, const struct ynode *n,
		       const struct yschema *s, void *out, const char *ctx,
		       unsigned depth)
{
	g_autofree char *w = where(ctx);
	bool was_ok = d->ok;

	if (depth > YTREE_MAX_DEPTH)
		return false;
	/* present even when malformed, so that nobody reports it missing */
	*(struct loc *)((char *)out + s->set_offset) = n->loc;
	if (n->type != YNODE_MAP) {
		derr(d, n->loc, "expected a mapping%s, not %s", w, ynode_kind(n));
		return false;
	}

	for (guint i = 0; i < n->keys->len; i++) {
		const struct ynode *k = g_ptr_array_index(n->keys, i);
		const struct ynode *v = g_ptr_array_index(n->items, i);
		const struct yfield *f;

		for (f = s->fields; f->key; f++)
			if (!strcmp(f->key, k->scalar))
				break;
		if (!f->key) {
			derr(d, k->loc, "unknown key '%s'%s", k->scalar, w);
			continue;
		}
		/* "key:" with nothing after it is the same as leaving it out */
		if (is_null(v))
			continue;
		decode_field(d, f, v, out, ctx, depth);
	}
	for (const struct yfield *f = s->fields; f->key; f++) {
		const struct ynode *v;

		if (!f->required)
			continue;
		v = ynode_get(n, f->key);
		if (!v || is_null(v))
			derr(d, n->loc, "missing required key '%s'%s", f->key, w);
	}
	return was_ok && d->ok;
}

bool ytree_decode(const char *file, const struct ynode *n,
		  const struct yschema *schema, void *out, const char *ctx,
		  GPtrArray *diags)
{
	struct decoder d = { .file = file, .diags = diags, .ok = true };

	return decode_map(&d, n, schema, out, ctx, 0);
}

static void ystr_list_free(GPtrArray *a)
{
	if (!a)
		return;
	for (guint i = 0; i < a->len; i++) {
		struct ystr *s = g_ptr_array_index(a, i);

		g_free(s->v);
		g_free(s);
	}
	g_ptr_array_unref(a);
}

void ytree_clear(const struct yschema *schema, void *obj)
{
	for (const struct yfield *f = schema->fields; f->key; f++) {
		void *p = FIELD_PTR(obj, f);

		switch (f->type) {
		case YF_STR:
			g_clear_pointer(&((struct ystr *)p)->v, g_free);
			break;
		case YF_SECRET:
			g_clear_pointer(&((struct ysecret *)p)->ref, g_free);
			break;
		case YF_STRLIST:
			ystr_list_free(*(GPtrArray **)p);
			*(GPtrArray **)p = NULL;
			break;
		case YF_OBJ:
			ytree_clear(f->sub, p);
			break;
		case YF_LIST: {
			GPtrArray *a = *(GPtrArray **)p;

			if (!a)
				break;
			for (guint i = 0; i < a->len; i++) {
				ytree_clear(f->sub, g_ptr_array_index(a, i));
				g_free(g_ptr_array_index(a, i));
			}
			g_ptr_array_unref(a);
			*(GPtrArray **)p = NULL;
			break;
		}
		default:
			break;
		}
	}
}
