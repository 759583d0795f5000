/*
 * netns_fixture.h - a real two-node lab (disk "d", host "h") of network
 * namespaces for the engine and provider tests, with a playbook directory
 * the test fills.  Needs root (system.h).  Included by one test file each;
 * static.
 */
#ifndef LABCTL_TEST_NETNS_FIXTURE_H
#define LABCTL_TEST_NETNS_FIXTURE_H

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "labctl/journal.h"
#include "labctl/provider.h"
#include "labctl/teardown.h"
#include "labctl/validate.h"

struct lab_fixture {
	char *tmp;              /* everything of the test lives here */
	char *state;            /* the lab's state directory */
	char *playbooks;        /* a --playbook-dir */
	struct lab_spec *spec;
	struct journal *journal;
	GPtrArray *access;      /* struct node_access * */
	GPtrArray *conns;       /* struct lab_ssh *, same order */
};

static void fixture_write(struct lab_fixture *f, const char *rel, const char *text)
{
	g_autofree char *path = g_build_filename(f->playbooks, rel, NULL);

	if (!g_file_set_contents(path, text, -1, NULL))
		fail_msg("cannot write %s", path);
}

/* Playbooks with no tasks for every slot; tests replace the ones they use. */
static void fixture_empty_playbooks(struct lab_fixture *f)
{
	static const struct {
		const char *name, *role;
	} books[] = {
		{ "backing", "disk" }, { "target-tgt", "disk" }, { "firewall", "disk" },
		{ "initiator-libiscsi", "host" }, { "mount-test", "host" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(books); i++) {
		g_autofree char *rel = g_strdup_printf("playbooks/%s.yaml", books[i].name);
		g_autofree char *text = g_strdup_printf("playbook: %s\nrole: %s\ntasks: []\n",
							books[i].name, books[i].role);

		fixture_write(f, rel, text);
	}
}

/* Creates the lab's nodes; @subnet_octet picks 10.232.N.0/24. */
static void fixture_up(struct lab_fixture *f, unsigned subnet_octet)
{
	g_autoptr(GPtrArray) diags = diags_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *text = NULL;
	g_autofree char *tp = NULL;
	g_autofree char *pp = NULL;
	struct provider_ctx ctx = { 0 };

	memset(f, 0, sizeof(*f));
	f->tmp = g_dir_make_tmp("labctl-fx-XXXXXX", NULL);
	f->state = g_build_filename(f->tmp, "state", NULL);
	f->playbooks = g_build_filename(f->tmp, "pb", NULL);
	pp = g_build_filename(f->playbooks, "playbooks", NULL);
	tp = g_build_filename(f->playbooks, "templates", NULL);
	g_mkdir_with_parents(pp, 0700);
	g_mkdir_with_parents(tp, 0700);
	fixture_empty_playbooks(f);
	text = g_strdup_printf(
		"lab: fx\n"
		"provider: {type: netns, subnet: 10.232.%u.0/24}\n"
		"nodes:\n"
		"  - name: d\n"
		"    role: disk\n"
		"    target:\n"
		"      backend: tgt\n"
		"      luns: [{name: l, image: %s/l.img, size: 1MiB}]\n"
		"      chap: {user: u, password: {env: FIXTURE_SECRET}}\n"
		"  - name: h\n"
		"    role: host\n"
		"    initiator: {backend: libiscsi}\n", subnet_octet, f->tmp);
	g_setenv("FIXTURE_SECRET", "fixture-secret-value", TRUE);
	f->spec = spec_load_data("fx.yaml", text, strlen(text), diags);
	if (!f->spec || !validate_spec(f->spec, diags))
		fail_msg("fixture spec invalid (%u diagnostics)", diags->len);
	f->journal = journal_open(f->state, &error);
	if (!f->journal)
		fail_msg("%s", error->message);
	ctx.spec = f->spec;
	ctx.state_dir = f->state;
	ctx.journal = f->journal;
	f->access = provider_netns.up(&ctx, &error);
	if (!f->access)
		fail_msg("%s", error->message);
	f->conns = g_ptr_array_new_with_free_func((GDestroyNotify)lab_ssh_close);
	for (guint i = 0; i < f->access->len; i++) {
		struct node_access *a = g_ptr_array_index(f->access, i);
		struct lab_ssh *ssh = lab_ssh_open(&a->ssh, NULL, &error);

		if (!ssh)
			fail_msg("%s", error->message);
		g_ptr_array_add(f->conns, ssh);
	}
}

static struct lab_ssh *fixture_connect(const char *node, void *data, GError **error)
{
	struct lab_fixture *f = data;

	for (guint i = 0; i < f->access->len; i++) {
		struct node_access *a = g_ptr_array_index(f->access, i);

		if (!strcmp(a->name, node))
			return lab_ssh_open(&a->ssh, NULL, error);
	}
	g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no node '%s'", node);
	return NULL;
}

/* Undoes everything from the journal, as labctl down does; must succeed. */
static void fixture_down(struct lab_fixture *f)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) recs = NULL;
	g_autoptr(GPtrArray) steps = NULL;
	struct teardown_opts o = { .verbosity = -1, .connect = fixture_connect, .connect_data = f,
				   .provider = &provider_netns };
	const char *argv[] = { "rm", "-rf", f->tmp, NULL };
	struct teardown_result res = { 0 };

	g_clear_pointer(&f->conns, g_ptr_array_unref);
	recs = journal_records(f->journal, &error);
	assert_non_null(recs);
	steps = teardown_steps(recs);
	if (!teardown_run(steps, f->journal, &o, &res))
		fail_msg("teardown: %u steps failed", res.failed);
	journal_close(f->journal);
	g_ptr_array_unref(f->access);
	spec_free(f->spec);
	g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
		     NULL, NULL);
	g_free(f->tmp);
	g_free(f->state);
	g_free(f->playbooks);
}

#endif
