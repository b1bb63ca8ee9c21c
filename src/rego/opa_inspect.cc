#include "rego/opa_inspect.h"

#include "rego/policy_loader.h"

namespace oep::rego {

CliOutput OpaInspect(const OpaInspectOptions& o) {
  CliOutput out;
  auto policy = LoadPolicy(o.paths, o.v0_compatible ? RegoVersion::kV0 : RegoVersion::kV1);
  if (auto* err = std::get_if<RegoError>(&policy)) {
    out.err = err->Text() + "\n";
    out.exit_code = 1;
    return out;
  }
  const Engine& engine = *std::get<LoadedPolicy>(policy).engine;
  Object namespaces;
  for (const auto& [package, files] : engine.Namespaces()) {
    Array names;
    for (const auto& f : files) names.push_back(Value::String(f));
    namespaces[Value::String(package)] = Value::MakeArray(std::move(names));
  }
  Object report;
  if (o.annotations) report[Value::String("annotations")] = engine.InspectAnnotations();
  report[Value::String("capabilities")] = Value::MakeObject({});
  report[Value::String("manifest")] = Value::MakeObject(
      {{Value::String("revision"), Value::String("")}, {Value::String("roots"), Value::MakeArray({Value::String("")})}});
  report[Value::String("namespaces")] = Value::MakeObject(std::move(namespaces));
  report[Value::String("signatures_config")] = Value::MakeObject({});
  out.out = Value::MakeObject(std::move(report)).ToJson() + "\n";
  return out;
}

}  // namespace oep::rego
