#include "policy/opa_cli_engine.h"

#include <unistd.h>

#include <cstdlib>
#include <algorithm>
#include <cstring>
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

bool IsInteger(const std::string& s) {
  size_t i = s.size() > 1 && s[0] == '-' ? 1 : 0;
  return i < s.size() && s.find_first_not_of("0123456789", i) == std::string::npos;
}

bool StartsWith(const std::string& s, const char* p) { return s.rfind(p, 0) == 0; }

}  // namespace

Result<std::vector<std::string>> ParseWrapper(const std::string& text) {
  std::vector<std::string> words;
  std::stringstream ss(text);
  for (std::string w; ss >> w;) words.push_back(w);
  auto refuse = [&](const std::string& what) {
    return Status::InvalidArgument("OEP_OPA_COMMAND_WRAPPER: " + what +
                                   " is not allowed (allowed: nice [-n N], prlimit --<resource>=N, sudo [-n] [-u USER], "
                                   "docker run --init with --rm, -i, --network=none, --read-only, --memory, --cpus, "
                                   "--user and read-only -v mounts)");
  };
  size_t i = 0;
  while (i < words.size()) {
    const std::string& w = words[i++];
    if (w == "nice") {
      if (i < words.size() && words[i] == "-n") {
        if (i + 1 >= words.size() || !IsInteger(words[i + 1])) return refuse("nice -n without a number");
        i += 2;
      }
    } else if (w == "prlimit") {
      static const char* kResources[] = {"--as=", "--cpu=", "--data=", "--fsize=", "--nofile=", "--nproc=", "--rss=", "--stack="};
      while (i < words.size() && StartsWith(words[i], "--")) {
        bool ok = false;
        for (const char* r : kResources) {
          ok = ok || (StartsWith(words[i], r) && IsInteger(words[i].substr(std::strlen(r))));
        }
        if (!ok) return refuse("prlimit option " + words[i]);
        ++i;
      }
    } else if (w == "sudo") {
      while (i < words.size() && StartsWith(words[i], "-")) {
        if (words[i] == "-n") {
          ++i;
        } else if (words[i] == "-u" && i + 1 < words.size()) {
          i += 2;
        } else {
          return refuse("sudo option " + words[i]);
        }
      }
    } else if (w == "docker") {
      if (i >= words.size() || words[i] != "run") return refuse("docker without run");
      ++i;
      bool init = false;
      while (i < words.size() && StartsWith(words[i], "-")) {
        const std::string& o = words[i];
        if (o == "--init") init = true;
        else if (o == "--rm" || o == "-i" || o == "--network=none" || o == "--read-only") {
        } else if ((StartsWith(o, "--memory=") || StartsWith(o, "--cpus=") || StartsWith(o, "--user=")) && o.find('=') + 1 < o.size()) {
        } else if (o == "-v" && i + 1 < words.size()) {
          const std::string& mount = words[++i];
          if (mount.size() < 3 || mount.substr(mount.size() - 3) != ":ro" || std::count(mount.begin(), mount.end(), ':') != 2) {
            return refuse("docker mount " + mount + " (mounts must be HOST:CONTAINER:ro)");
          }
        } else {
          return refuse("docker option " + o);
        }
        ++i;
      }
      if (!init) return refuse("docker run without --init");
      if (i >= words.size()) return refuse("docker run without an image");
      ++i;  // the image; the opa command follows it
      if (i != words.size()) return refuse("anything after the docker image");
    } else {
      return refuse("\"" + w + "\"");
    }
  }
  return words;
}

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
  if (std::string w = Env("OEP_OPA_COMMAND_WRAPPER"); !w.empty()) {
    auto wrapper = ParseWrapper(w);
    if (!wrapper.ok()) return wrapper.status();
    c.wrapper = *wrapper;
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

Result<std::vector<OpaDecision>> OpaEvalBatch(const OpaCliConfig& config, const std::string& bundle,
                                              const std::string& query, const std::vector<std::string>& input_jsons) {
  std::string input = "{\"inputs\":[";
  for (size_t i = 0; i < input_jsons.size(); ++i) input += (i ? "," : "") + input_jsons[i];
  input += "]}";
  std::string batch_query = "{__i: __d | some __i, __x in input.inputs; __d := " + query + " with input as __x}";
  auto one = OpaEval(config, bundle, batch_query, input);
  if (!one.ok()) return one.status();
  std::vector<OpaDecision> out(input_jsons.size());
  if (!one->defined) return out;
  auto doc = json::Parse(one->value_json);
  if (!doc.ok() || !doc->IsObject()) return Status::IOError("OPA batch result is not an object");
  for (const auto& m : doc->GetObject()) {
    size_t i = static_cast<size_t>(std::strtoull(m.name.GetString(), nullptr, 10));
    if (i < out.size()) {
      out[i].defined = true;
      out[i].value_json = json::CanonicalOrDie(m.value);
    }
  }
  return out;
}

Result<OpaDecision> OpaEval(const OpaCliConfig& config, const std::string& bundle, const std::string& query,
                            const std::string& input_json) {
  if (input_json.size() > kOpaStdinLimit) {
    return Status::InvalidArgument("OPA input is " + std::to_string(input_json.size()) +
                                   " bytes; the OPA engine sends at most 8 MiB per process");
  }
  std::vector<std::string> argv;
  if (!config.wrapper.empty()) {
    // The wrapper's own program is found on PATH, like the shell would.
    argv = config.wrapper;
    std::stringstream path(Env("PATH"));
    for (std::string dir; std::getline(path, dir, ':');) {
      std::string candidate = dir + "/" + argv[0];
      if (::access(candidate.c_str(), X_OK) == 0) {
        argv[0] = candidate;
        break;
      }
    }
  }
  argv.insert(argv.end(), {config.binary, "eval", "--format", "json", "--data", bundle, "--stdin-input", query});
  auto r = RunProcess(argv, {}, input_json, config.timeout_seconds);
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
