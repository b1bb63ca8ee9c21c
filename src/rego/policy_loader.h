// Loading policies and data from files the way `opa eval --data/--bundle` and `opa test` do.
#pragma once

#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "rego/engine.h"
#include "rego/error.h"
#include "rego/parser.h"

namespace oep::rego {

// A test_* (or todo_test_*, skipped) rule, in the order `opa test` runs them: by file name,
// then by position in its module.
struct TestRule {
  std::string package;  // "data.pkg"
  std::string name;     // "test_x", or "test_x#01" for the second rule of that name, ...
  std::string file;
  Location loc;
  bool skip = false;    // todo_test_*
};

struct LoadedPolicy {
  std::unique_ptr<Engine> engine;
  std::vector<TestRule> tests;
};

struct LoadOptions {
  RegoVersion version = RegoVersion::kV1;
  // opa test: every rule named test_* is a test of its own, so the second rule of one name
  // in a package is renamed test_x#01, the third test_x#02, ... (as OPA's test runner does).
  bool number_duplicate_tests = false;
  // Bundles (`--bundle`): directories whose .rego files are modules and whose data.json /
  // data.yaml files are data at their directory's path; a .manifest's rego_version (0 or 1)
  // chooses the syntax and its roots bound where the bundle may put data and packages.
  std::vector<std::string> bundles;
};

// `paths`: .rego files (modules), .json/.yaml/.yml files (merged into data at the root), and
// directories: recursively, .rego modules and .json/.yaml/.yml data files merged at their
// directory's path (`a/b/x.json` is data.a.b), as OPA's loader does.
std::variant<LoadedPolicy, RegoError> LoadPolicy(const std::vector<std::string>& paths,
                                                 RegoVersion version = RegoVersion::kV1);
std::variant<LoadedPolicy, RegoError> LoadPolicy(const std::vector<std::string>& paths, const LoadOptions& options);

}  // namespace oep::rego
