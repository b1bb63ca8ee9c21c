// Running a program as a child process: no shell, captured output, bounded time and
// memory, and no descendant left running afterwards.
#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace oep {

struct ProcessLimits {
  double timeout_seconds = 0;  // the direct child's running time; <= 0: no limit
  size_t max_stdout_bytes = std::numeric_limits<size_t>::max();
  size_t max_stderr_bytes = std::numeric_limits<size_t>::max();
  // Once the direct child has exited, how long its output pipes may stay open (held by a
  // descendant) before what was written is taken as all of it.
  double exit_grace_seconds = 0.2;
};

struct ProcessResult {
  int exit_code = -1;  // 128 + signal number when killed by a signal
  bool timed_out = false;
  bool stdout_overflow = false;  // more than max_stdout_bytes: out holds the first max_stdout_bytes
  bool stderr_overflow = false;
  bool pipes_held_open = false;  // the child exited while a descendant held its output open
  std::string out, err;
};

// Runs argv[0] (a path: it is not searched on PATH) with argv, no shell, the current
// environment with `extra_env` ("K=V", replacing an inherited K), `stdin_text` on its
// standard input, in its own process group. The call returns when the direct child has exited (and its pipes closed,
// or the grace passed), when the timeout passes, or when an output cap is passed; in the
// last two cases the child is killed. Either way every remaining process of the group and
// every descendant that left it (setsid, double fork) is killed before returning: the
// calling process becomes a child subreaper (PR_SET_CHILD_SUBREAPER) on first use, so
// orphaned descendants are re-parented to it and killed here. A program that cannot be
// executed is an error naming it and the reason (errno), not an exit code.
Result<ProcessResult> RunProcess(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env,
                                 const std::string& stdin_text, const ProcessLimits& limits);
Result<ProcessResult> RunProcess(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env = {},
                                 const std::string& stdin_text = "", double timeout_seconds = 0);

// A child's output made safe to quote in a message shown on a terminal: control
// characters (C0, DEL, C1) and bytes that are not UTF-8 written as \n, \t, \r or \xHH, so
// no escape sequence reaches the terminal; cut (then "…") once about `max_bytes` are written.
std::string QuoteChildOutput(std::string_view text, size_t max_bytes = 1000);

}  // namespace oep
