// The OPA CLI engine: re-decides inputs by running `opa eval` as a subprocess, exactly
// as `opa eval --format json --data <bundle> --stdin-input [--v1-compatible|--v0-compatible] <query>`.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "util/status.h"

namespace oep {

// What `opa version` said ("Version: 0.61.0"); major < 0 when not read yet.
struct OpaVersion {
  int major = -1, minor = 0, patch = 0;
  std::string text;  // as printed, e.g. "1.4.2" or "0.70.0-dev"
  bool known() const { return major >= 0; }
};

// Which Rego a bundle is written in. kDeclared: v0 when the bundle is a directory whose
// `.manifest` says "rego_version": 0, else v1.
enum class RegoSyntax { kDeclared, kV0, kV1 };

struct OpaCliConfig {
  std::string binary;            // absolute path in a trusted directory (see OpaCliFromEnv)
  OpaVersion version;            // read once by OpaCliFromEnv; OpaEval reads it when unknown
  double timeout_seconds = 30;   // per `opa eval` process, 0.001 to 86400
  size_t max_stdout_bytes = 64u << 20;  // more is refused and the process group killed
  size_t max_stderr_bytes = 1u << 20;
  std::vector<std::string> wrapper;  // validated by ParseWrapper, programs as absolute paths
  RegoSyntax syntax = RegoSyntax::kDeclared;
};

inline constexpr double kOpaMaxTimeoutSeconds = 86400;

// Parses and validates $OEP_OPA_COMMAND_WRAPPER: a chain of allowed wrappers run in front of opa:
//   nice [-n N]
//   prlimit [--as|--cpu|--data|--fsize|--nofile|--nproc|--rss|--stack=N]...
//   sudo [-n] [-u USER]
//   docker run --init --network none|--network=none [--rm] [-i] [--read-only] [--memory=M]
//              [--cpus=C] [--user=U] [-v HOST:CONTAINER:ro]... IMAGE     (last in the chain)
// Docker: user 0/root, a mount of / or of a system tree (/proc, /sys, /dev, /run, /var/run,
// /var/lib/docker, ...), of a container runtime socket, or a relative / `..` source is
// refused. Anything else, or any other option, is refused with a message naming it.
// The programs stay as written (bare names or absolute paths).
Result<std::vector<std::string>> ParseWrapper(const std::string& text);

// Resolves `name` to an absolute path: a name with a '/' must be absolute; a bare name is
// looked up in the entries of `search_path` (a PATH value), skipping empty, relative and
// world-writable entries. The file must be executable and neither it nor its directory
// world-writable. Errors name what was refused and why.
Result<std::string> ResolveTrustedProgram(const std::string& name, const std::string& search_path);

inline constexpr size_t kOpaStdinLimit = 8u << 20;  // 8 MiB per opa process

// The configuration from the environment (the only function here that reads it):
// binary from $OEP_OPA_BIN_PATH, else $OPA_PATH, else `opa` on $PATH; the wrapper's
// programs resolved on $PATH; $OEP_OPA_EVAL_TIMEOUT_SECONDS; $OEP_OPA_MAX_OUTPUT_BYTES
// (stdout cap); then `opa version` is run once. NotFound when no binary is found,
// InvalidArgument for a malformed or refused setting.
Result<OpaCliConfig> OpaCliFromEnv();

// Runs `[wrapper] binary version` and parses its "Version:" line.
Result<OpaVersion> ReadOpaVersion(const OpaCliConfig& config);

// The compatibility flags `opa eval` needs for a bundle of `syntax` (kV0 or kV1) under
// `version`: 1.x: v0 gets --v0-compatible; 0.60+: v1 gets --v1-compatible; a v1 bundle on
// OPA before 0.60 (which has no --v1-compatible) is refused.
Result<std::vector<std::string>> OpaCompatibilityFlags(const OpaVersion& version, RegoSyntax syntax);

// kV0 or kV1 for `bundle` under config.syntax (reading a directory's .manifest for kDeclared).
Result<RegoSyntax> BundleSyntax(const std::string& bundle, RegoSyntax declared);

struct OpaDecision {
  bool defined = false;
  std::string value_json;  // the query's value when defined (`false` is a value: a deny)
};

// One decision of `query` on `input_json` under `bundle` (a batch of one).
Result<OpaDecision> OpaEval(const OpaCliConfig& config, const std::string& bundle, const std::string& query,
                            const std::string& input_json);

// Many inputs in one `opa eval` process: the input document is {"inputs": [...]} and the
// query, in syntax both Rego v0 and v1 read, is
//   {__i: __d | __x := input.inputs[__i]; __d := <query> with input as __x}
// so each input's value (false included) is kept and an undefined one is absent. Returns
// one decision per input, in order; the caller keeps each call's stdin within
// kOpaStdinLimit. Errors name what OPA said (escaped, the first 1,000 bytes), a timeout,
// an output cap passed, or output that is not OPA's JSON.
Result<std::vector<OpaDecision>> OpaEvalBatch(const OpaCliConfig& config, const std::string& bundle,
                                              const std::string& query, const std::vector<std::string>& input_jsons);

}  // namespace oep
