// `opa inspect [-a] --format json` answered by the native engine.
#pragma once

#include <string>
#include <vector>

#include "rego/opa_cli.h"

namespace oep::rego {

struct OpaInspectOptions {
  std::vector<std::string> paths;
  bool annotations = false;  // `-a`
  bool v0_compatible = false;
};

// {"annotations": [...] (with -a), "capabilities": {}, "manifest": {"revision", "roots"},
// "namespaces": {"data.pkg": [files]}, "signatures_config": {}}; exit 1 when the policy
// does not load.
CliOutput OpaInspect(const OpaInspectOptions& options);

}  // namespace oep::rego
