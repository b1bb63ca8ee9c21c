// Internal to src/policy: the command wrapper's grammar, shared by ParseWrapper (which
// validates the text) and the engine (which resolves and re-checks the programs).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "util/status.h"

namespace oep::policy_internal {

// Validates `words` against the wrapper grammar (see ParseWrapper in opa_cli_engine.h);
// returns the indices of the words that name programs (nice, prlimit, sudo, docker), each
// a bare name or an absolute path ending in that name.
Result<std::vector<size_t>> WrapperProgramPositions(const std::vector<std::string>& words);

}  // namespace oep::policy_internal
