// libFuzzer target: see oep::fuzz::DecisionLogParse in fuzz_targets.h. `make fuzz` only.
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  oep::fuzz::DecisionLogParse({reinterpret_cast<const char*>(data), size});
  return 0;
}
