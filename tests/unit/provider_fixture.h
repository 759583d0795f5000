/*
 * provider_fixture.h - for the tests of the local undo operations (unit
 * and system tiers): a lab of a state directory in a temporary directory,
 * and an undo of a record given as JSON text.  Included by one test file.
 */
#ifndef LABCTL_TEST_PROVIDER_FIXTURE_H
#define LABCTL_TEST_PROVIDER_FIXTURE_H

#include <string.h>
#include <json-glib/json-glib.h>

#include "labctl/provider.h"

static JsonObject *op(const char *json)
{
	g_autoptr(JsonNode) n = json_from_string(json, NULL);

	assert_non_null(n);
	return json_node_dup_object(n);
}

/* The lab whose objects the undos may touch: one of a state directory here. */
static struct undo_ctx lab;
static char *lab_tmp;           /* holds its state directory */
static char *runtime;           /* PROVIDER_NETNS_RUNTIME_ROOT/HASH (made by system tests only) */

static int lab_setup(void **state)
{
	g_autofree char *dir = NULL;

	(void)state;
	lab_tmp = g_dir_make_tmp("labctl-prov-XXXXXX", NULL);
	dir = g_build_filename(lab_tmp, "state", NULL);
	undo_ctx_init(&lab, dir);
	runtime = provider_runtime_dir(&lab);
	return 0;
}

static int lab_teardown(void **state)
{
	/* the runtime directory too: a system test may have made it */
	const char *argv[] = { "rm", "-rf", lab_tmp, runtime, NULL };

	(void)state;
	g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
	undo_ctx_clear(&lab);
	g_clear_pointer(&lab_tmp, g_free);
	g_clear_pointer(&runtime, g_free);
	return 0;
}

static bool undo(const char *json, GError **error)
{
	g_autoptr(JsonObject) o = op(json);

	/* a libvirt record is the libvirt provider's to undo, the rest the netns one's */
	return provider_undo(strcmp(provider_undo_member(o, "op"), "libvirt") ? &provider_netns
									     : &provider_libvirt,
			     &lab, o, error);
}

#endif
