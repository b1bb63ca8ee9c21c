// opa.runtime and trace.
#include "rego/builtins.h"

extern char** environ;

namespace oep::rego {
namespace {

using Args = std::vector<Value>;

void Add(Registry& r, const std::string& name, int arity, BuiltinFn fn) { r[name] = Builtin{arity, std::move(fn)}; }

}  // namespace

void RegisterOpaBuiltins(Registry& r) {
  // trace(note): true; the note would go to an explanation, which oep does not produce.
  Add(r, "trace", 1, [](const Args& a) {
    if (!a[0].is_string()) return BuiltinOut::TypeError(OperandError("trace", 1, "string", a[0]));
    return BuiltinOut::Of(Value::Bool(true));
  });
  // opa.runtime(): the evaluating process's environment, as OPA reports its own (replay
  // answers it from nd_builtin_cache instead); no OPA configuration exists here.
  Add(r, "opa.runtime", 0, [](const Args&) {
    Object env;
    for (char** e = environ; e && *e; ++e) {
      std::string kv = *e;
      size_t eq = kv.find('=');
      if (eq != std::string::npos) env[Value::String(kv.substr(0, eq))] = Value::String(kv.substr(eq + 1));
    }
    Object out{{Value::String("env"), Value::MakeObject(std::move(env))}, {Value::String("config"), Value::MakeObject({})}};
    return BuiltinOut::Of(Value::MakeObject(std::move(out)));
  });
}

}  // namespace oep::rego
