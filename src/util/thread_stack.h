// Commands run on a thread whose stack size oep chooses, so that how deep a policy's rule
// chains may go (the Rego stack guard, rego/stack_guard.h) is the same on every machine,
// whatever `ulimit -s` says, and the same under the sanitizers as in the shipped build.
#pragma once

#include <cstddef>

#include "util/function_ref.h"

namespace oep {

// Frames are several times larger under AddressSanitizer; stack budgets scale by this so
// that the sanitized build accepts the same rule depths as the shipped one.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr size_t kSanitizerStackScale = 8;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr size_t kSanitizerStackScale = 8;
#else
inline constexpr size_t kSanitizerStackScale = 1;
#endif
#else
inline constexpr size_t kSanitizerStackScale = 1;
#endif

// The stack of a command: 8 MiB (the usual `ulimit -s`), scaled under the sanitizers.
inline constexpr size_t kCommandStackBytes = (size_t{8} << 20) * kSanitizerStackScale;

// Runs `fn` on a new thread with a stack of `bytes` and returns what it returns; runs it on
// the calling thread when such a thread cannot be created. While it waits, the calling thread
// blocks every signal, so signals sent to the process reach `fn`'s thread. Exceptions must
// not escape `fn`.
int RunWithStack(size_t bytes, FunctionRef<int()> fn);

}  // namespace oep
