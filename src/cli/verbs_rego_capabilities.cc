// rego capabilities: oep's built-ins in OPA's capabilities format.
#include <iostream>

#include "cli/cli.h"
#include "rego/capabilities.h"

namespace oep::cli {

void AddRegoCapabilitiesVerb(CLI::App& app, int& exit_code) {
  auto* rego_cmd = app.get_subcommand("rego");
  auto* caps = rego_cmd->add_subcommand("capabilities", "print the built-ins oep offers as OPA's capabilities JSON");
  caps->callback([&exit_code] {
    std::cout << rego::CapabilitiesJson();
    exit_code = 0;
  });
}

}  // namespace oep::cli
