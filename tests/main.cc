// The test runner runs on the same stack as an oep command (util/thread_stack.h), so
// in-process evaluation meets the depth limits the CLI has, in every build.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "util/thread_stack.h"

int main(int argc, char** argv) {
  return oep::RunWithStack(oep::kCommandStackBytes, [&] { return Catch::Session().run(argc, argv); });
}
