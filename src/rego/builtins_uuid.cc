// uuid.parse (RFC 4122 fields as google/uuid reports them) and uuid.rfc4122 (a version 4
// UUID, the same for the same key within a process; replay answers it from nd_builtin_cache).
#include <cstdint>

#include "rego/builtins.h"

namespace oep::rego {
namespace {

using Args = std::vector<Value>;

void Add(Registry& r, const std::string& name, int arity, BuiltinFn fn) { r[name] = Builtin{arity, std::move(fn)}; }

// Versions 1 and 2 (time-based) carry a timestamp, a clock sequence and a node id; version
// 2 also a local domain and id in place of the timestamp's low bits (google/uuid's reading,
// which OPA reports). `hex` is the UUID's 32 hex digits.
void AddTimeBasedUuidFields(const std::string& hex, int version, Object& o) {
  auto field = [&](size_t digit, size_t digits) { return std::stoull(hex.substr(digit, digits), nullptr, 16); };
  uint64_t ticks = field(0, 8) | (field(8, 4) << 32) | ((field(12, 4) & 0xFFF) << 48);  // 100 ns since 1582-10-15
  constexpr int64_t kGregorianToUnixTicks = 122192928000000000;
  o[Value::String("time")] = Value::Int((static_cast<int64_t>(ticks) - kGregorianToUnixTicks) * 100);
  o[Value::String("clocksequence")] = Value::Int(static_cast<int64_t>(field(16, 4) & 0x3FFF));
  std::string node;
  for (size_t i = 20; i < 32; i += 2) node += (node.empty() ? "" : "-") + hex.substr(i, 2);
  for (auto& c : node) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  o[Value::String("nodeid")] = Value::String(node);
  uint64_t first = field(20, 2);
  o[Value::String("macvariables")] = Value::String(std::string(first & 0x02 ? "local" : "global") + ":" +
                                                   (first & 0x01 ? "multicast" : "unicast"));
  if (version == 2) {
    uint64_t domain = field(18, 2);
    o[Value::String("domain")] = Value::String(domain == 0 ? "Person" : domain == 1 ? "Group" : domain == 2 ? "Org"
                                                                                     : "Domain" + std::to_string(domain));
    o[Value::String("id")] = Value::Int(static_cast<int64_t>(field(0, 8)));
  }
}

}  // namespace

void RegisterUuidBuiltins(Registry& r) {
  Add(r, "uuid.parse", 1, [](const Args& a) {
    if (!a[0].is_string()) return BuiltinOut::TypeError(OperandError("uuid.parse", 1, "string", a[0]));
    std::string s = a[0].str();
    if (s.rfind("urn:uuid:", 0) == 0) s = s.substr(9);
    if (s.size() == 38 && s.front() == '{' && s.back() == '}') s = s.substr(1, 36);
    std::string hex;
    if (s.size() == 36) {
      if (s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-') return BuiltinOut::Undefined();
      for (size_t i = 0; i < s.size(); ++i) if (i != 8 && i != 13 && i != 18 && i != 23) hex += s[i];
    } else if (s.size() == 32) {
      hex = s;
    } else {
      return BuiltinOut::Undefined();
    }
    if (hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) return BuiltinOut::Undefined();
    int version = std::stoi(hex.substr(12, 1), nullptr, 16);
    int var = std::stoi(hex.substr(16, 1), nullptr, 16);
    std::string variant = (var & 0x8) == 0 ? "Reserved, NCS backward compatibility" : (var & 0xC) == 0x8 ? "RFC4122"
                          : (var & 0xE) == 0xC ? "Reserved, Microsoft Corporation backward compatibility" : "Reserved, future definition";
    Object o{{Value::String("version"), Value::Int(version)}, {Value::String("variant"), Value::String(variant)}};
    if (version == 1 || version == 2) AddTimeBasedUuidFields(hex, version, o);
    return BuiltinOut::Of(Value::MakeObject(o));
  });
  r["uuid.rfc4122"] = Builtin{1, [](const std::vector<Value>& a) {
    if (!a[0].is_string()) return BuiltinOut::TypeError(OperandError("uuid.rfc4122", 1, "string", a[0]));
    std::string b = ProcessRandom("uuid.rfc4122\n" + a[0].str()).substr(0, 16);
    b[6] = static_cast<char>((b[6] & 0x0f) | 0x40);  // version 4
    b[8] = static_cast<char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
    std::string hex = HexEncode(b);
    return BuiltinOut::Of(Value::String(hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
                                        hex.substr(16, 4) + "-" + hex.substr(20)));
  }};
}

}  // namespace oep::rego
