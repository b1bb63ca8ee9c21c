#include "util/paths.h"

#include <cstdlib>

namespace oep {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::string(v) : std::string();
}

}  // namespace

std::string RepoRoot() {
  std::string home = Env("OEP_HOME");
  return home.empty() ? std::string(OEP_SOURCE_DIR) : home;
}

std::string DemoStatePath() {
  std::string p = Env("OEP_DEMO_STATE_PATH");
  return p.empty() ? DefaultDemoStatePath(RepoRoot()) : p;
}

std::string DefaultDemoStatePath(const std::string& root) { return root + "/demo/state/code_review_agent.sqlite"; }

std::string DefaultStatePath() {
  std::string url = Env("OEP_STORE_URL");
  if (!url.empty()) return url;
  std::string p = Env("OEP_STATE_PATH");
  return p.empty() ? DemoStatePath() : p;
}

}  // namespace oep
