#include "policy/opa_cli_engine.h"

#include <sys/stat.h>

#include <cstdlib>
#include <cstring>
#include <sstream>

#include "json/json.h"
#include "policy/opa_wrapper.h"
#include "util/files.h"
#include "util/subprocess.h"

namespace oep {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

// "30", "2.5", "0.001": digits, optionally a point and digits; nothing else (no sign,
// exponent, hex, inf or nan).
bool IsPlainDecimal(const std::string& s) {
  size_t dot = s.find('.');
  std::string whole = s.substr(0, dot), frac = dot == std::string::npos ? "" : s.substr(dot + 1);
  auto digits = [](const std::string& d) { return !d.empty() && d.find_first_not_of("0123456789") == std::string::npos; };
  return digits(whole) && whole.size() <= 6 && (dot == std::string::npos || (digits(frac) && frac.size() <= 9));
}

Result<double> TimeoutFromText(const std::string& t) {
  double v = IsPlainDecimal(t) ? std::strtod(t.c_str(), nullptr) : -1;
  if (!(v >= 0.001 && v <= kOpaMaxTimeoutSeconds)) {
    return Status::InvalidArgument("OEP_OPA_EVAL_TIMEOUT_SECONDS=" + QuoteChildOutput(t, 100) +
                                   ": expected plain decimal seconds from 0.001 to 86400 (e.g. 30 or 2.5)");
  }
  return v;
}

Result<size_t> OutputCapFromText(const std::string& t) {
  bool digits = !t.empty() && t.size() <= 10 && t.find_first_not_of("0123456789") == std::string::npos;
  unsigned long long v = digits ? std::strtoull(t.c_str(), nullptr, 10) : 0;
  if (v < 1024 || v > (1ull << 30)) {
    return Status::InvalidArgument("OEP_OPA_MAX_OUTPUT_BYTES=" + QuoteChildOutput(t, 100) +
                                   ": expected a whole number of bytes from 1024 to 1073741824");
  }
  return static_cast<size_t>(v);
}

// Every program in front of and including opa must be an absolute path: a bare name would
// reach execve (or the wrapper's own PATH search) and could run ./sudo.
Status CheckResolved(const OpaCliConfig& config) {
  if (config.binary.empty() || config.binary[0] != '/') {
    return Status::InvalidArgument("OPA binary \"" + config.binary + "\" is not an absolute path (see OpaCliFromEnv)");
  }
  auto programs = policy_internal::WrapperProgramPositions(config.wrapper);
  if (!programs.ok()) return programs.status();
  for (size_t i : *programs) {
    if (config.wrapper[i][0] != '/') {
      return Status::InvalidArgument("OEP_OPA_COMMAND_WRAPPER: " + config.wrapper[i] +
                                     " is not resolved to an absolute path (see OpaCliFromEnv)");
    }
  }
  return Status::Ok();
}

std::vector<std::string> Command(const OpaCliConfig& config, std::initializer_list<std::string> args) {
  std::vector<std::string> argv = config.wrapper;
  argv.push_back(config.binary);
  argv.insert(argv.end(), args);
  return argv;
}

// The shared failure reporting of a finished `opa` process; `what` is e.g. "opa eval".
Status ProcessFailure(const OpaCliConfig& config, const std::string& what, const ProcessResult& r) {
  const std::string who = config.binary + " " + what;
  if (r.timed_out) {
    std::ostringstream seconds;
    seconds << config.timeout_seconds;
    return Status::IOError(who + " timed out after " + seconds.str() +
                           " s (OEP_OPA_EVAL_TIMEOUT_SECONDS); its process group was killed");
  }
  if (r.stdout_overflow || r.stderr_overflow) {
    bool out = r.stdout_overflow;
    return Status::IOError(who + " wrote more than " + std::to_string(out ? config.max_stdout_bytes : config.max_stderr_bytes) +
                           " bytes on " + (out ? "stdout (OEP_OPA_MAX_OUTPUT_BYTES)" : "stderr") +
                           "; its process group was killed");
  }
  if (r.exit_code == 0) return Status::Ok();
  auto doc = json::Parse(r.out);
  std::string said = doc.ok() && doc->IsObject() && doc->HasMember("errors") ? json::CanonicalText((*doc)["errors"])
                                                                              : r.out + r.err;
  if (said.empty()) {
    said = r.exit_code == 127 ? "nothing printed; exit 127 means a program in the command (the wrapper or OPA) could not be run"
                              : "nothing printed";
  }
  return Status::InvalidArgument(who + " exited " + std::to_string(r.exit_code) + ": " + QuoteChildOutput(said));
}

ProcessLimits Limits(const OpaCliConfig& config) {
  ProcessLimits l;
  l.timeout_seconds = config.timeout_seconds;
  l.max_stdout_bytes = config.max_stdout_bytes;
  l.max_stderr_bytes = config.max_stderr_bytes;
  return l;
}

Result<OpaVersion> ParseVersionOutput(const std::string& out) {
  std::stringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("Version:", 0) != 0) continue;
    std::string v = line.substr(8);
    v.erase(0, v.find_first_not_of(" \t"));
    v.erase(v.find_last_not_of(" \t\r") + 1);
    OpaVersion parsed;
    parsed.text = v;
    const char* s = v.c_str() + (v.rfind('v', 0) == 0 ? 1 : 0);
    char* end = nullptr;
    long part[3] = {0, 0, 0};
    for (int k = 0; k < 3; ++k) {
      if (!std::isdigit(static_cast<unsigned char>(*s))) break;
      part[k] = std::strtol(s, &end, 10);
      s = end;
      if (k == 0) parsed.major = static_cast<int>(part[0]);
      if (*s != '.') break;
      ++s;
    }
    if (parsed.major < 0) break;
    parsed.minor = static_cast<int>(part[1]);
    parsed.patch = static_cast<int>(part[2]);
    return parsed;
  }
  return Status::InvalidArgument("`opa version` printed no \"Version: X.Y.Z\" line: " + QuoteChildOutput(out));
}

}  // namespace

Result<OpaVersion> ReadOpaVersion(const OpaCliConfig& config) {
  OEP_RETURN_IF_ERROR(CheckResolved(config));
  ProcessLimits limits = Limits(config);
  limits.max_stdout_bytes = 64u << 10;
  auto r = RunProcess(Command(config, {"version"}), {}, "", limits);
  if (!r.ok()) return r.status();
  OEP_RETURN_IF_ERROR(ProcessFailure(config, "version", *r));
  return ParseVersionOutput(r->out);
}

Result<std::vector<std::string>> OpaCompatibilityFlags(const OpaVersion& version, RegoSyntax syntax) {
  if (!version.known()) return Status::InvalidArgument("the OPA version is not known (run ReadOpaVersion)");
  bool v0 = syntax == RegoSyntax::kV0;
  if (version.major >= 1) return v0 ? std::vector<std::string>{"--v0-compatible"} : std::vector<std::string>{};
  if (v0) return std::vector<std::string>{};
  if (version.minor >= 60) return std::vector<std::string>{"--v1-compatible"};
  return Status::InvalidArgument("OPA " + version.text +
                                 " cannot evaluate a Rego v1 bundle: `opa eval --v1-compatible` arrived in OPA 0.60.0; "
                                 "use OPA 0.60 or later, or declare the bundle v0 (\"rego_version\": 0 in its .manifest)");
}

Result<RegoSyntax> BundleSyntax(const std::string& bundle, RegoSyntax declared) {
  if (declared != RegoSyntax::kDeclared) return declared;
  struct stat st;
  std::string manifest = bundle + "/.manifest";
  if (::stat(bundle.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || ::stat(manifest.c_str(), &st) != 0) return RegoSyntax::kV1;
  if (st.st_size > (1 << 20)) return Status::InvalidArgument(manifest + ": larger than 1 MiB");
  auto text = ReadFile(manifest);
  if (!text.ok()) return text.status();
  auto doc = json::Parse(*text);
  if (!doc.ok()) return doc.status().WithContext(manifest);
  if (!doc->IsObject()) return Status::InvalidArgument(manifest + ": expected a JSON object");
  auto it = doc->FindMember("rego_version");
  if (it == doc->MemberEnd()) return RegoSyntax::kV1;
  if (it->value.IsInt() && (it->value.GetInt() == 0 || it->value.GetInt() == 1)) {
    return it->value.GetInt() == 0 ? RegoSyntax::kV0 : RegoSyntax::kV1;
  }
  return Status::InvalidArgument(manifest + ": /rego_version: expected 0 or 1");
}

Result<OpaCliConfig> OpaCliFromEnv() {
  OpaCliConfig c;
  if (std::string t = Env("OEP_OPA_EVAL_TIMEOUT_SECONDS"); !t.empty()) {
    auto v = TimeoutFromText(t);
    if (!v.ok()) return v.status();
    c.timeout_seconds = *v;
  }
  if (std::string t = Env("OEP_OPA_MAX_OUTPUT_BYTES"); !t.empty()) {
    auto v = OutputCapFromText(t);
    if (!v.ok()) return v.status();
    c.max_stdout_bytes = *v;
  }
  const std::string path = Env("PATH");
  if (std::string w = Env("OEP_OPA_COMMAND_WRAPPER"); !w.empty()) {
    auto wrapper = ParseWrapper(w);
    if (!wrapper.ok()) return wrapper.status();
    auto programs = policy_internal::WrapperProgramPositions(*wrapper);
    if (!programs.ok()) return programs.status();
    for (size_t i : *programs) {
      auto resolved = ResolveTrustedProgram((*wrapper)[i], path);
      if (!resolved.ok()) return resolved.status().WithContext("OEP_OPA_COMMAND_WRAPPER");
      (*wrapper)[i] = *resolved;
    }
    c.wrapper = *wrapper;
  }
  bool found = false;
  for (const char* var : {"OEP_OPA_BIN_PATH", "OPA_PATH"}) {
    std::string p = Env(var);
    if (p.empty()) continue;
    auto resolved = ResolveTrustedProgram(p, path);
    if (!resolved.ok()) return resolved.status().WithContext(std::string(var) + "=" + p);
    c.binary = *resolved;
    found = true;
    break;
  }
  if (!found) {
    auto resolved = ResolveTrustedProgram("opa", path);
    if (!resolved.ok()) {
      return Status::NotFound("no OPA binary: set OEP_OPA_BIN_PATH or OPA_PATH, or put opa on PATH (" +
                              resolved.status().message() + ")");
    }
    c.binary = *resolved;
  }
  auto version = ReadOpaVersion(c);
  if (!version.ok()) return version.status();
  c.version = *version;
  return c;
}

Result<std::vector<OpaDecision>> OpaEvalBatch(const OpaCliConfig& config, const std::string& bundle,
                                              const std::string& query, const std::vector<std::string>& input_jsons) {
  std::string input = "{\"inputs\":[";
  for (size_t i = 0; i < input_jsons.size(); ++i) input += (i ? "," : "") + input_jsons[i];
  input += "]}";
  if (input.size() > kOpaStdinLimit) {
    return Status::InvalidArgument("OPA input is " + std::to_string(input.size()) +
                                   " bytes; the OPA engine sends at most 8 MiB per process");
  }
  OEP_RETURN_IF_ERROR(CheckResolved(config));
  OpaVersion version = config.version;
  if (!version.known()) {
    auto read = ReadOpaVersion(config);
    if (!read.ok()) return read.status();
    version = *read;
  }
  auto syntax = BundleSyntax(bundle, config.syntax);
  if (!syntax.ok()) return syntax.status();
  auto flags = OpaCompatibilityFlags(version, *syntax);
  if (!flags.ok()) return flags.status();

  // Both Rego v0 and v1 parse this (no `in`, `if` or `contains`); `:=` keeps a false value.
  std::string batch_query = "{__i: __d | __x := input.inputs[__i]; __d := " + query + " with input as __x}";
  std::vector<std::string> argv = Command(config, {"eval", "--format", "json", "--data", bundle, "--stdin-input"});
  argv.insert(argv.end(), flags->begin(), flags->end());
  argv.push_back(batch_query);
  auto r = RunProcess(argv, {}, input, Limits(config));
  if (!r.ok()) return r.status().WithContext(config.binary + " eval");
  OEP_RETURN_IF_ERROR(ProcessFailure(config, "eval", *r));
  auto doc = json::Parse(r->out);
  if (!doc.ok() || !doc->IsObject()) {
    return Status::IOError(config.binary + " eval printed output that is not OPA's JSON: " + QuoteChildOutput(r->out));
  }
  std::vector<OpaDecision> out(input_jsons.size());
  const rapidjson::Value* value = json::FindDotted(*doc, "result.0.expressions.0.value");
  if (value == nullptr) return out;  // {}: the whole query undefined
  if (!value->IsObject()) {
    return Status::IOError(config.binary + " eval: the batch result is not an object: " +
                           QuoteChildOutput(json::CanonicalText(*value)));
  }
  for (const auto& m : value->GetObject()) {
    std::string key(m.name.GetString(), m.name.GetStringLength());
    bool index = !key.empty() && key.size() <= 9 && key.find_first_not_of("0123456789") == std::string::npos;
    size_t i = index ? static_cast<size_t>(std::strtoull(key.c_str(), nullptr, 10)) : out.size();
    if (i >= out.size()) {
      return Status::IOError(config.binary + " eval: the batch result has key " + QuoteChildOutput(key, 40) +
                             ", not an index below " + std::to_string(out.size()));
    }
    out[i].defined = true;
    out[i].value_json = json::CanonicalText(m.value);
  }
  return out;
}

Result<OpaDecision> OpaEval(const OpaCliConfig& config, const std::string& bundle, const std::string& query,
                            const std::string& input_json) {
  auto batch = OpaEvalBatch(config, bundle, query, {input_json});
  if (!batch.ok()) return batch.status();
  return (*batch)[0];
}

}  // namespace oep
