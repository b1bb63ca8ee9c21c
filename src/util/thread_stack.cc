#include "util/thread_stack.h"

#include <pthread.h>
#include <signal.h>

namespace oep {
namespace {

struct Call {
  FunctionRef<int()> fn;
  int result = 0;
};

void* Trampoline(void* arg) {
  auto* call = static_cast<Call*>(arg);
  call->result = call->fn();
  return nullptr;
}

}  // namespace

int RunWithStack(size_t bytes, FunctionRef<int()> fn) {
  Call call{fn};
  pthread_attr_t attr;
  if (pthread_attr_init(&attr) != 0) return fn();
  pthread_t thread;
  bool started = pthread_attr_setstacksize(&attr, bytes) == 0 && pthread_create(&thread, &attr, Trampoline, &call) == 0;
  pthread_attr_destroy(&attr);
  if (!started) return fn();
  // Asynchronous signals (SIGTERM, SIGINT, ...) go to the thread that runs the command, which
  // may take them with sigwait: the waiting thread blocks them all.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  pthread_join(thread, nullptr);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return call.result;
}

}  // namespace oep
