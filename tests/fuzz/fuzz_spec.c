/* fuzz_spec - libFuzzer target: YAML bytes through validate and plan */
#include "targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_spec(data, size);
}
