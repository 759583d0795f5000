/*
 * targets.h - what each libFuzzer target does with one input
 *
 * The entry points live apart from LLVMFuzzerTestOneInput so that the
 * cmocka test tests/unit/test_fuzz_regress.c feeds the crashers kept in
 * tests/data/fuzz/TARGET/ through exactly the same code, built with the
 * ordinary compiler on every "make unit".
 *
 * Each entry point returns 0.  A broken invariant (beyond what the
 * sanitizers see) is reported on stderr and abort()s, which libFuzzer
 * records as a crash and cmocka as a failed test.
 */
#ifndef LABCTL_FUZZ_TARGETS_H
#define LABCTL_FUZZ_TARGETS_H

#include <stddef.h>
#include <stdint.h>

/*
 * YAML bytes through everything "labctl validate" and "labctl plan" do
 * offline: spec_load_data, validate_spec (with spec_resolve), and for a
 * valid spec plan_build, plan_format and plan_to_json.  Invariants: every
 * diagnostic names the file and a line; a spec that validates has a plan.
 */
int fuzz_spec(const uint8_t *data, size_t size);

/*
 * TEMPLATE [NUL SELECTOR VALUE (NUL VALUE)*]: parses TEMPLATE and renders
 * it against the variables of a real two-node lab whose string values are
 * replaced, in turn, by the VALUEs (the first 16); SELECTOR's low bits are
 * the template flags.  TEMPLATE is also evaluated as a condition.
 * Invariants: a quoted VALUE reads back as exactly one shell word equal to
 * it; "| raw" lets only safe values through; a secret is never resolved
 * unless allowed.
 */
int fuzz_template(const uint8_t *data, size_t size);

/* The output of "vagrant ssh-config" through provider_vagrant_parse. */
int fuzz_vagrant(const uint8_t *data, size_t size);

/*
 * What a node printed for a conformance run (iscsi-test-cu -v) through
 * conformance_parse, then conformance_apply_known.  Invariants: the
 * counts add up to the cases, each case has a name SUITE.TEST, a failed
 * case's name is among the failed names, and known failures are taken
 * out of the failed count one for one.
 */
int fuzz_conformance(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
