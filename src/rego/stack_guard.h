// How much of the current thread's stack is left: evaluation and compile passes that
// recurse over rule dependencies stop with an error before the stack runs out.
#pragma once

#include <cstddef>

#include "util/thread_stack.h"

namespace oep::rego {

// What is kept free below a recursion that stops: room for built-ins, libraries and the
// error path (frames are several times larger under the sanitizers).
inline constexpr size_t kStackReserve = (size_t{1} << 20) * kSanitizerStackScale;

// Bytes between the caller's frame and the end of its thread's stack (SIZE_MAX when the
// thread's stack cannot be read). The bound is read once per thread.
size_t StackLeft();

// Whether a recursion may go one level deeper here.
inline bool StackHasRoom() { return StackLeft() > kStackReserve; }

}  // namespace oep::rego
