/* fuzz_template - libFuzzer target: template text and the values it substitutes */
#include "targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_template(data, size);
}
