/* fuzz_conformance - libFuzzer target: what iscsi-test-cu -v printed on a node */
#include "targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_conformance(data, size);
}
