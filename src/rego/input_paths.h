// Which parts of `input` a policy can read, from its syntax trees: every `input.a.b...` ref
// contributes its leading static keys, and the subtree under them is read whole. A policy
// that uses `input` in any other way (bare, with a variable first key, through an import
// alias, or replaced by `with`) reads all of it. Readers of stored decisions build only
// the parts a policy can read; evaluation over that projection equals evaluation over the
// whole input.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rego/ast.h"

namespace oep::rego {

struct InputPaths {
  bool whole = false;                         // everything below is read
  std::map<std::string, InputPaths, std::less<>> members;  // else only these, each as it says

  // Keeps what either reads.
  void Merge(const InputPaths& other);
  // The member `key` of an object read at this level: nullptr when it is not read.
  const InputPaths* Member(std::string_view key) const;
};

// What `modules` can read of input; nullopt when they may read all of it.
std::optional<InputPaths> InputPathsRead(const std::vector<Module>& modules);

// Whether query text may read input (conservatively: it names `input` anywhere).
bool QueryMayReadInput(std::string_view query);

}  // namespace oep::rego
