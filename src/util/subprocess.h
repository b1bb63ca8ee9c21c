// Running a program as a child process: no shell, captured output, bounded time.
#pragma once

#include <string>
#include <vector>

#include "util/status.h"

namespace oep {

struct ProcessResult {
  int exit_code = -1;  // 128 + signal number when killed by a signal
  bool timed_out = false;
  std::string out, err;
};

// Runs argv[0] with argv (no shell), the current environment plus `extra_env` ("K=V"),
// `stdin_text` on its standard input, in its own process group. After `timeout_seconds`
// (<= 0: no limit) the whole group is killed and timed_out is set.
Result<ProcessResult> RunProcess(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env = {},
                                 const std::string& stdin_text = "", double timeout_seconds = 0);

}  // namespace oep
