#include "rego/builtins.h"

namespace oep::rego {

std::string OperandError(const std::string& fn, int index, const std::string& want, const Value& got) {
  (void)fn;
  return "operand " + std::to_string(index) + " must be " + want + " but got " + got.TypeName();
}

std::string QuotedNameSet(const std::vector<std::string>& names) {
  std::string out = "{";
  for (size_t i = 0; i < names.size(); ++i) out += (i ? ", \"" : "\"") + names[i] + "\"";
  return out + "}";
}

std::string HexEncode(std::string_view bytes) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
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
    RegisterJsonBuiltins(r);
    RegisterAwsBuiltins(r);
    RegisterTimeBuiltins(r);
    RegisterHttpBuiltins(r);
    RegisterRandomBuiltins(r);
    RegisterX509Builtins(r);
    RegisterYamlBuiltins(r);
    RegisterGraphqlBuiltins(r);
    RegisterTemplateBuiltins(r);
    return r;
  }();
  return registry;
}

}  // namespace oep::rego
