/*
 * test_text.c - small text helpers
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "labctl/text.h"

static void test_last_lines(void **state)
{
	static const struct {
		const char *text;
		guint n;
		const char *want;	/* the lines found, from start to end */
		const char *rest;	/* what follows them */
	} cases[] = {
		{ "a\nb\nc\n", 2, "b\nc", "\n" },
		{ "a\nb\nc", 2, "b\nc", "" },
		{ "a\nb\nc\n", 1, "c", "\n" },
		/* fewer lines than asked for: all of them */
		{ "a\nb\n", 8, "a\nb", "\n" },
		{ "one", 3, "one", "" },
		/* empty lines at the end do not count, those inside do */
		{ "a\nb\n\n\n", 1, "b", "\n\n\n" },
		{ "a\n\nb\n", 2, "\nb", "\n" },
		{ "a\n\nb\n", 3, "a\n\nb", "\n" },
		{ "\na", 5, "\na", "" },
		/* a line of "\r" is not empty: a serial console's */
		{ "a\r\n\r\n", 1, "\r", "\n" },
		{ "", 3, "", "" },
		{ "\n\n", 3, "", "\n\n" },
		{ "a\nb\n", 0, "", "\n" },
	};

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		const char *t = cases[i].text;
		gsize end = 12345, from = text_last_lines(t, -1, cases[i].n, &end);
		g_autofree char *got = NULL;

		assert_true(from <= end && end <= strlen(t));
		got = g_strndup(t + from, end - from);
		if (strcmp(got, cases[i].want) || strcmp(t + end, cases[i].rest))
			fail_msg("case %zu: got '%s' then '%s', want '%s' then '%s'", i,
				 got, t + end, cases[i].want, cases[i].rest);
		/* the same with a length, and without asking for the end */
		assert_int_equal(text_last_lines(t, (gssize)strlen(t), cases[i].n, NULL), from);
	}
}

/* A length counts NUL bytes (a console log can hold them) and stops early. */
static void test_length(void **state)
{
	static const char text[] = "a\0b\nc\nd\ne";
	gsize end;

	(void)state;
	/* four lines, the first "a\0b" */
	assert_int_equal(text_last_lines(text, sizeof(text) - 1, 4, &end), 0);
	assert_int_equal(end, sizeof(text) - 1);
	assert_int_equal(text_last_lines(text, sizeof(text) - 1, 3, &end), 4);
	assert_int_equal(text_last_lines(text, sizeof(text) - 1, 2, &end), 6);
	/* only "a\0b\nc\n" */
	assert_int_equal(text_last_lines(text, 6, 1, &end), 4);
	assert_int_equal(end, 5);
	assert_int_equal(text_last_lines(NULL, -1, 3, &end), 0);
	assert_int_equal(end, 0);
	assert_int_equal(text_last_lines(NULL, 0, 3, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_last_lines),
		cmocka_unit_test(test_length),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
