#include "policy/opa_cli_engine.h"

#include <unistd.h>

#include <cstdlib>
#include <sstream>

#include "json/json.h"
#include "util/subprocess.h"

namespace oep {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

std::string Bounded(const std::string& s) { return s.size() > 1000 ? s.substr(0, 1000) + "…" : s; }

}  // namespace

Result<OpaCliConfig> OpaCliFromEnv() {
  OpaCliConfig c;
  std::string t = Env("OEP_OPA_EVAL_TIMEOUT_SECONDS");
  if (!t.empty()) {
    char* end = nullptr;
    double v = std::strtod(t.c_str(), &end);
    if (*end != '\0' || !(v >= 0.001)) {
      return Status::InvalidArgument("OEP_OPA_EVAL_TIMEOUT_SECONDS=" + t + ": expected a number of seconds >= 0.001");
    }
    c.timeout_seconds = v;
  }
  for (const char* var : {"OEP_OPA_BIN_PATH", "OPA_PATH"}) {
    std::string p = Env(var);
    if (p.empty()) continue;
    if (::access(p.c_str(), X_OK) != 0) return Status::NotFound(std::string(var) + "=" + p + ": not an executable file");
    c.binary = p;
    return c;
  }
  std::stringstream path(Env("PATH"));
  for (std::string dir; std::getline(path, dir, ':');) {
    std::string candidate = (dir.empty() ? "." : dir) + "/opa";
    if (::access(candidate.c_str(), X_OK) == 0) {
      c.binary = candidate;
      return c;
    }
  }
  return Status::NotFound("no OPA binary: set OEP_OPA_BIN_PATH or OPA_PATH, or put opa on PATH");
}

Result<OpaDecision> OpaEval(const OpaCliConfig& config, const std::string& bundle, const std::string& query,
                            const std::string& input_json) {
  if (input_json.size() > kOpaStdinLimit) {
    return Status::InvalidArgument("OPA input is " + std::to_string(input_json.size()) +
                                   " bytes; the OPA engine sends at most 8 MiB per process");
  }
  auto r = RunProcess({config.binary, "eval", "--format", "json", "--data", bundle, "--stdin-input", query}, {},
                      input_json, config.timeout_seconds);
  if (!r.ok()) return r.status();
  if (r->timed_out) {
    return Status::IOError(config.binary + " eval timed out after " + std::to_string(config.timeout_seconds) +
                           " s (OEP_OPA_EVAL_TIMEOUT_SECONDS); its process group was killed");
  }
  auto doc = json::Parse(r->out);
  if (r->exit_code != 0) {
    std::string said = doc.ok() && doc->IsObject() && doc->HasMember("errors") ? json::CanonicalOrDie((*doc)["errors"]) : r->out + r->err;
    return Status::InvalidArgument(config.binary + " eval exited " + std::to_string(r->exit_code) + ": " + Bounded(said));
  }
  if (!doc.ok() || !doc->IsObject()) {
    return Status::IOError(config.binary + " eval printed output that is not OPA's JSON: " + Bounded(r->out));
  }
  OpaDecision d;
  const rapidjson::Value* value = json::FindDotted(*doc, "result.0.expressions.0.value");
  if (value == nullptr) return d;  // {} : undefined
  d.defined = true;
  d.value_json = json::CanonicalOrDie(*value);
  return d;
}

}  // namespace oep
