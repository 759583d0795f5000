/*
 * ytree.h - YAML documents as trees that remember where each value stood,
 * and a table-driven decoder from those trees into C structs
 *
 * libyaml's event API gives every scalar, sequence and mapping a mark
 * (line, column).  ytree keeps the marks so that every later error about a
 * value can name FILE:LINE:COL.  Aliases, anchors, merge keys, explicit tags
 * and multi-document streams are refused: a lab spec is plain data and a
 * billion-laughs alias bomb has no business in it.
 *
 * Errors are not fatal where the caller can go on: they are collected in a
 * struct diag list so that "labctl validate" reports all of them at once.
 */
#ifndef LABCTL_YTREE_H
#define LABCTL_YTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

/* A position in a file, 1-based; line 0 means "no position". */
struct loc {
	unsigned line;
	unsigned col;
};

/* One diagnostic: FILE:LINE:COL: message. */
struct diag {
	char *file;
	struct loc loc;
	char *msg;
};

/* A list of diagnostics; diags_new() makes one, g_ptr_array_unref frees it. */
GPtrArray *diags_new(void);
void diags_add(GPtrArray *diags, const char *file, struct loc loc,
	       const char *fmt, ...) G_GNUC_PRINTF(4, 5);
/* Sorts by file, line, column (stable, so messages at one spot keep order). */
void diags_sort(GPtrArray *diags);
/*
 * "FILE:LINE:COL: message", "FILE: message" without a position, or just the
 * message without a file (when the message names its place itself).
 */
char *diag_format(const struct diag *d);

enum ynode_type {
	YNODE_SCALAR,
	YNODE_SEQ,
	YNODE_MAP,
};

struct ynode {
	enum ynode_type type;
	struct loc loc;
	char *scalar;           /* YNODE_SCALAR: the text */
	bool plain;             /* YNODE_SCALAR: unquoted (so "null" may mean null) */
	bool block;             /* YNODE_SCALAR: '|' or '>': text starts a line below */
	GPtrArray *items;       /* YNODE_SEQ: struct ynode *; YNODE_MAP: values */
	GPtrArray *keys;        /* YNODE_MAP: struct ynode * (scalars), parallel to items */
};

/*
 * Parses @len bytes of @text as one YAML document.  @file names it in
 * diagnostics.  On success returns the root (never NULL: an empty document
 * is reported as an error).  On failure returns NULL and adds at least one
 * diagnostic.  Duplicate keys are reported (and the later one ignored) but
 * do not make the parse fail.
 */
struct ynode *ytree_parse(const char *file, const char *text, size_t len,
			  GPtrArray *diags);
void ynode_free(struct ynode *n);

/* The value under @key in mapping @map, or NULL. */
const struct ynode *ynode_get(const struct ynode *map, const char *key);
/* "a scalar", "a list", "a mapping": for messages. */
const char *ynode_kind(const struct ynode *n);

/*
 * The decoder.  A struct field table describes the keys a mapping may hold
 * and where each value goes in the C struct (offsetof).  Unknown keys, wrong
 * kinds, missing required keys and bad enum values become diagnostics.
 */
enum yfield_type {
	YF_STR,         /* struct ystr */
	YF_BOOL,        /* struct ybool */
	YF_UINT,        /* struct yuint: decimal, 0..max */
	YF_SIZE,        /* struct yuint: bytes, "1GiB" "512M" "1048576" */
	YF_ENUM,        /* struct yenum: index into values[] */
	YF_STRLIST,     /* GPtrArray * of struct ystr *; a lone scalar is a list of one */
	YF_OBJ,         /* embedded struct described by sub; field ->set marks presence */
	YF_LIST,        /* GPtrArray * of structs of sub->size described by sub */
	YF_SECRET,      /* struct ysecret: {env: NAME} or {file: PATH}, never inline */
	YF_RAW,         /* const struct ynode *: kept for the caller to decode */
};

struct ystr {
	char *v;        /* NULL when absent */
	struct loc loc;
	bool block;     /* a '|' or '>' scalar: its text starts at loc.line + 1 */
};

struct ybool {
	bool v;
	bool set;
	struct loc loc;
};

struct yuint {
	uint64_t v;
	bool set;
	struct loc loc;
};

struct yenum {
	int v;          /* index into the field's values[]; 0 when absent */
	bool set;
	struct loc loc;
};

struct ysecret {
	char *ref;      /* "env:NAME" or "file:PATH", NULL when absent */
	struct loc loc;
};

struct yschema;

struct yfield {
	const char *key;
	enum yfield_type type;
	size_t offset;
	bool required;
	uint64_t min;                   /* YF_UINT: inclusive minimum */
	uint64_t max;                   /* YF_UINT: inclusive maximum (0: none);
					   YF_LIST, YF_STRLIST: most items (0: any) */
	const char *const *values;      /* YF_ENUM: NULL-terminated */
	const struct yschema *sub;      /* YF_OBJ, YF_LIST */
	bool shorthand;                 /* YF_OBJ: 'true' is the mapping with every
					   default, 'false' the same as leaving it out */
};

struct yschema {
	const char *what;               /* "node", "lun": for messages */
	size_t size;                    /* sizeof the struct, for YF_LIST */
	size_t set_offset;              /* offset of a struct loc "where" member */
	const struct yfield *fields;    /* terminated by { NULL } */
};

/*
 * Decodes mapping @n into @out (zeroed by the caller) by @schema.  @ctx
 * names the enclosing object in messages ("in node 'iscsi-disks'"); may be
 * NULL.  Returns false if any diagnostic was added.
 */
bool ytree_decode(const char *file, const struct ynode *n,
		  const struct yschema *schema, void *out, const char *ctx,
		  GPtrArray *diags);

/* Frees what ytree_decode allocated inside @obj (not @obj itself). */
void ytree_clear(const struct yschema *schema, void *obj);

/*
 * Parses a size such as "1GiB", "512 MiB", "1G", "2048" (bytes).  K/M/G/T
 * with or without "iB" are binary (1024); kB/MB/GB/TB are decimal.  Returns
 * false with a message in @why (static) on a malformed or overflowing size.
 */
bool ytree_parse_size(const char *s, uint64_t *out, const char **why);

#endif
