// oep's built-ins as OPA's capabilities document (`opa capabilities`): each built-in's name
// and declared type, with OPA's infix, deprecated, nondeterministic and relation marks.
#pragma once

#include <string>
#include <vector>

namespace oep::rego {

struct CapabilityEntry {
  std::string name;
  int arity;  // -1: variadic (print)
};

// Every built-in a policy can call: the Builtins() registry (the deprecated ones, offered
// under --v0-compatible, included) and those the evaluator answers itself; sorted by name.
std::vector<CapabilityEntry> OfferedBuiltins();

// The capabilities JSON document of OfferedBuiltins(), indented as OPA prints it.
std::string CapabilitiesJson();

}  // namespace oep::rego
