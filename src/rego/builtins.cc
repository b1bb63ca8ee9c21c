#include "rego/builtins.h"

namespace oep::rego {

std::string OperandError(const std::string& fn, int index, const std::string& want, const Value& got) {
  (void)fn;
  return "operand " + std::to_string(index) + " must be " + want + " but got " + got.TypeName();
}

const std::map<std::string, Builtin>& Builtins() {
  static const Registry registry = [] {
    Registry r;
    RegisterOperatorBuiltins(r);
    RegisterStringBuiltins(r);
    RegisterCollectionBuiltins(r);
    RegisterEncodingBuiltins(r);
    RegisterRegexBuiltins(r);
    RegisterMiscBuiltins(r);
    RegisterJwtBuiltins(r);
    RegisterNetBuiltins(r);
    return r;
  }();
  return registry;
}

}  // namespace oep::rego
