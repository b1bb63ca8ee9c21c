// libFuzzer target: compiling and evaluating parsed Rego modules (see fuzz_targets.h).
// Built by `make fuzz` only.
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  oep::fuzz::RegoEval({reinterpret_cast<const char*>(data), size});
  return 0;
}
