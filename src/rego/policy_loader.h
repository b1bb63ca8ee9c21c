// Loading policies and data from files the way `opa eval --data` and `opa test` do.
#pragma once

#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "rego/engine.h"
#include "rego/error.h"
#include "rego/parser.h"

namespace oep::rego {

struct LoadedPolicy {
  std::unique_ptr<Engine> engine;
  std::vector<std::string> test_rules;  // "data.pkg.test_x" for every test_* rule, sorted
};

// `paths`: .rego files (modules), .json files (merged into data at the root), and
// directories (recursively: .rego modules; data.json files merged at their directory's
// path, as in a bundle).
std::variant<LoadedPolicy, RegoError> LoadPolicy(const std::vector<std::string>& paths,
                                                 RegoVersion version = RegoVersion::kV1);

}  // namespace oep::rego
