/* fuzz_vagrant - libFuzzer target: the output of "vagrant ssh-config" */
#include "targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_vagrant(data, size);
}
