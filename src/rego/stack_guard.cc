#include "rego/stack_guard.h"

#include <pthread.h>

#include <cstdint>

namespace oep::rego {
namespace {

// The lowest address of the calling thread's stack (stacks grow down on every platform
// oep builds for), 0 when unknown.
uintptr_t StackLow() {
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) != 0) return 0;
  void* addr = nullptr;
  size_t size = 0;
  int rc = pthread_attr_getstack(&attr, &addr, &size);
  pthread_attr_destroy(&attr);
  return rc == 0 ? reinterpret_cast<uintptr_t>(addr) : 0;
}

}  // namespace

size_t StackLeft() {
  thread_local const uintptr_t low = StackLow();
  auto here = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
  if (low == 0 || here <= low) return SIZE_MAX;
  return here - low;
}

}  // namespace oep::rego
