// The OPA CLI engine: re-decides an input by running `opa eval` as a subprocess, exactly
// as `opa eval --format json --data <bundle> --stdin-input <query>`.
#pragma once

#include <string>
#include <vector>

#include "util/status.h"

namespace oep {

struct OpaCliConfig {
  std::string binary;            // $OEP_OPA_BIN_PATH, else $OPA_PATH, else `opa` on $PATH
  double timeout_seconds = 30;   // $OEP_OPA_EVAL_TIMEOUT_SECONDS (minimum 0.001)
  std::vector<std::string> wrapper;  // $OEP_OPA_COMMAND_WRAPPER, validated (see ParseWrapper)
};

// Parses $OEP_OPA_COMMAND_WRAPPER: a chain of allowed wrappers run in front of opa:
//   nice [-n N]
//   prlimit [--as|--cpu|--data|--fsize|--nofile|--nproc|--rss|--stack=N]...
//   sudo [-n] [-u USER]
//   docker run --init [--rm] [-i] [--network=none] [--read-only] [--memory=M] [--cpus=C]
//              [--user=U] [-v HOST:CONTAINER:ro]... IMAGE     (last in the chain)
// Anything else, or any other option, is refused with a message naming it.
Result<std::vector<std::string>> ParseWrapper(const std::string& text);

inline constexpr size_t kOpaStdinLimit = 8u << 20;  // 8 MiB per opa process

// The configuration from the environment; NotFound when no binary is found, and
// InvalidArgument for a malformed timeout.
Result<OpaCliConfig> OpaCliFromEnv();

struct OpaDecision {
  bool defined = false;
  std::string value_json;  // the query's value when defined
};

// One `opa eval` of `query` on `input_json` under `bundle`. Errors name what OPA said (its
// output bounded to the first 1,000 bytes), a timeout, an oversized input or output that is
// not OPA's JSON.
Result<OpaDecision> OpaEval(const OpaCliConfig& config, const std::string& bundle, const std::string& query,
                            const std::string& input_json);

// Many inputs in one `opa eval` process: the input document is {"inputs": [...]} and the
// query evaluates `query` once per input with `with input as`. Returns one decision per
// input, in order; the caller keeps each call's stdin within kOpaStdinLimit.
Result<std::vector<OpaDecision>> OpaEvalBatch(const OpaCliConfig& config, const std::string& bundle,
                                              const std::string& query, const std::vector<std::string>& input_jsons);

}  // namespace oep
