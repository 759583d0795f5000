/*
 * test_redact.c - the scrubber every node output passes through
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "labctl/redact.h"

static void test_masks(void **state)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "Parameter password is now 'Sekr3t-Passw0rd'.", "Parameter password is now '***'." },
		/* every occurrence, on every line */
		{ "a Sekr3t-Passw0rd b\nSekr3t-Passw0rdSekr3t-Passw0rd", "a *** b\n******" },
		/* a secret holding another is masked whole, not as '***-extra' */
		{ "mutual Sekr3t-Passw0rd-mutual", "mutual ***" },
		{ "user=host1,password=shorty", "user=host1,password=***" },
		{ "nothing secret here", "nothing secret here" },
		{ "", "" },
	};
	g_autoptr(redact) r = redact_new();

	(void)state;
	redact_add(r, "Sekr3t-Passw0rd");
	redact_add(r, "shorty");
	redact_add(r, "Sekr3t-Passw0rd-mutual");
	redact_add(r, "Sekr3t-Passw0rd");       /* known: once */
	redact_add(r, "");                      /* nothing to mask */
	redact_add(r, NULL);
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *got = redact_text(r, cases[i].text, -1, NULL);

		assert_string_equal(got, cases[i].want);
	}
	/* a length: bytes that are not a C string */
	{
		gsize n = 0, m = 0;
		g_autofree char *got = redact_text(r, "xshortyx-and-more", 8, &m);
		/* a NUL byte does not hide what comes after it */
		static const char bin[] = "out\0Sekr3t-Passw0rd\0";
		g_autofree char *masked = redact_text(r, bin, sizeof(bin) - 1, &n);

		assert_string_equal(got, "x***x");
		assert_int_equal(m, 5);
		assert_int_equal(n, 8);
		assert_memory_equal(masked, "out\0***\0", 8);
	}
	assert_null(redact_text(r, NULL, -1, NULL));
	{
		g_autofree char *plain = redact_text(NULL, "shorty", -1, NULL);

		assert_string_equal(plain, "shorty");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_masks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
