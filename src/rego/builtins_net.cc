// net.*: CIDR containment, intersection, matching, validation, merging and expansion
// (IPv4 and IPv6), with Go's net package semantics as OPA uses them.
#include <arpa/inet.h>

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "rego/builtins.h"

namespace oep::rego {
namespace {

using Args = std::vector<Value>;

void Add(Registry& r, const std::string& name, int arity, BuiltinFn fn) { r[name] = Builtin{arity, std::move(fn)}; }

// A literal IPv4 or IPv6 address as Go prints it (IPv4-mapped IPv6 as dotted IPv4);
// nullopt for anything else.
std::optional<std::string> CanonicalAddress(const std::string& s) {
  unsigned char bytes[16];
  char text[INET6_ADDRSTRLEN];
  if (inet_pton(AF_INET, s.c_str(), bytes) == 1) return std::string(inet_ntop(AF_INET, bytes, text, sizeof text));
  if (inet_pton(AF_INET6, s.c_str(), bytes) != 1) return std::nullopt;
  static const unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::equal(kMapped, kMapped + 12, bytes)) return std::string(inet_ntop(AF_INET, bytes + 12, text, sizeof text));
  return std::string(inet_ntop(AF_INET6, bytes, text, sizeof text));
}

struct Cidr {
  int family = 0;
  unsigned char addr[16] = {};
  int bits = 0;
};

std::optional<Cidr> ParseCidr(const std::string& s, bool allow_ip) {
  Cidr c;
  std::string ip = s;
  size_t slash = s.find('/');
  if (slash != std::string::npos) ip = s.substr(0, slash);
  else if (!allow_ip) return std::nullopt;
  if (inet_pton(AF_INET, ip.c_str(), c.addr) == 1) c.family = 4;
  else if (inet_pton(AF_INET6, ip.c_str(), c.addr) == 1) c.family = 6;
  else return std::nullopt;
  int max = c.family == 4 ? 32 : 128;
  if (slash == std::string::npos) {
    c.bits = max;
  } else {
    char* end = nullptr;
    long bits = std::strtol(s.c_str() + slash + 1, &end, 10);
    if (*end || bits < 0 || bits > max || slash + 1 == s.size()) return std::nullopt;
    c.bits = static_cast<int>(bits);
  }
  return c;
}

bool Contains(const Cidr& net, const Cidr& other) {
  if (net.family != other.family || other.bits < net.bits) return false;
  for (int i = 0; i < net.bits; ++i) {
    int byte = i / 8, bit = 7 - i % 8;
    if (((net.addr[byte] >> bit) & 1) != ((other.addr[byte] >> bit) & 1)) return false;
  }
  return true;
}

__extension__ typedef unsigned __int128 U128;  // GCC/Clang 128-bit integer: one IPv6 address

U128 AddressBits(const Cidr& c) {
  U128 v = 0;
  for (int i = 0; i < (c.family == 4 ? 4 : 16); ++i) v = (v << 8) | c.addr[i];
  return v;
}

std::string FormatCidr(int family, U128 bits, int prefix) {
  unsigned char bytes[16] = {};
  int n = family == 4 ? 4 : 16;
  for (int i = n - 1; i >= 0; --i, bits >>= 8) bytes[i] = static_cast<unsigned char>(bits & 0xff);
  char text[INET6_ADDRSTRLEN];
  inet_ntop(family == 4 ? AF_INET : AF_INET6, bytes, text, sizeof text);
  return std::string(text) + (prefix >= 0 ? "/" + std::to_string(prefix) : "");
}

// A network: address with host bits cleared, prefix length, address width.
struct Net {
  U128 base;
  int prefix;
  int width;
  U128 HostMask() const {
    int host_bits = width - prefix;
    return host_bits >= 128 ? ~U128(0) : (U128(1) << host_bits) - 1;
  }
  bool Contains(const Net& o) const { return o.prefix >= prefix && (o.base & ~HostMask()) == base; }
};

// Go's classful default mask for an IPv4 address given without a prefix.
int DefaultIpv4Prefix(const Cidr& c) {
  if (c.addr[0] < 0x80) return 8;
  if (c.addr[0] < 0xC0) return 16;
  return 24;
}

// The smallest set of networks covering exactly `nets` (one address family).
std::vector<Net> Merge(std::vector<Net> nets) {
  std::sort(nets.begin(), nets.end(), [](const Net& a, const Net& b) {
    return a.base != b.base ? a.base < b.base : a.prefix < b.prefix;
  });
  std::vector<Net> out;
  for (const Net& n : nets) {
    if (!out.empty() && out.back().Contains(n)) continue;
    out.push_back(n);
    // Two sibling halves make their parent, which may complete another pair.
    while (out.size() >= 2) {
      const Net& a = out[out.size() - 2];
      const Net& b = out.back();
      if (a.prefix != b.prefix || a.prefix == 0) break;
      U128 half = U128(1) << (a.width - a.prefix);
      if ((a.base & half) != 0 || b.base != (a.base | half)) break;
      Net parent{a.base, a.prefix - 1, a.width};
      out.pop_back();
      out.back() = parent;
    }
  }
  return out;
}

}  // namespace

void RegisterNetBuiltins(Registry& r) {
  Add(r, "net.cidr_contains", 2, [](const Args& a) {
    if (!a[0].is_string()) return BuiltinOut::TypeError(OperandError("net.cidr_contains", 1, "string", a[0]));
    if (!a[1].is_string()) return BuiltinOut::TypeError(OperandError("net.cidr_contains", 2, "string", a[1]));
    auto net = ParseCidr(a[0].str(), false);
    if (!net) return BuiltinOut::Error("invalid CIDR address: " + a[0].str());
    auto other = ParseCidr(a[1].str(), true);
    if (!other) return BuiltinOut::Error("invalid IP or CIDR address: " + a[1].str());
    return BuiltinOut::Of(Value::Bool(Contains(*net, *other)));
  });
  Add(r, "net.cidr_intersects", 2, [](const Args& a) {
    if (!a[0].is_string()) return BuiltinOut::TypeError(OperandError("net.cidr_intersects", 1, "string", a[0]));
    if (!a[1].is_string()) return BuiltinOut::TypeError(OperandError("net.cidr_intersects", 2, "string", a[1]));
    auto x = ParseCidr(a[0].str(), false), y = ParseCidr(a[1].str(), false);
    if (!x || !y) return BuiltinOut::Error("invalid CIDR address");
    return BuiltinOut::Of(Value::Bool(Contains(*x, *y) || Contains(*y, *x)));
  });
  Add(r, "net.cidr_contains_matches", 2, [](const Args& a) {
    // Each operand: a string, or an array / set / object of strings or [string, ...] tuples.
    auto entries = [](const Value& v, int operand, std::vector<std::pair<Value, std::string>>* out) -> std::string {
      auto add = [&](const Value& key, const Value& e) {
        if (e.is_string()) out->emplace_back(key, e.str());
        else if (e.is_array() && !e.array().empty() && e.array()[0].is_string()) out->emplace_back(key, e.array()[0].str());
        else return false;
        return true;
      };
      bool ok = true;
      if (v.is_string()) ok = add(v, v);
      else if (v.is_array()) for (size_t i = 0; i < v.array().size(); ++i) ok = ok && add(Value::Int(static_cast<int64_t>(i)), v.array()[i]);
      else if (v.is_set()) for (const auto& e : v.set()) ok = ok && add(e, e);
      else if (v.is_object()) for (const auto& [k, e] : v.object()) ok = ok && add(k, e);
      else return "operand " + std::to_string(operand) + ": must be string, array, set or object";
      return ok ? "" : "operand " + std::to_string(operand) + ": element must be string or non-empty array";
    };
    std::vector<std::pair<Value, std::string>> nets, addrs;
    if (auto err = entries(a[0], 1, &nets); !err.empty()) return BuiltinOut::Error(err);
    if (auto err = entries(a[1], 2, &addrs); !err.empty()) return BuiltinOut::Error(err);
    Set out;
    for (const auto& [nk, n] : nets) {
      auto net = ParseCidr(n, true);
      if (!net) return BuiltinOut::Error("invalid CIDR address: " + n);
      for (const auto& [ak, addr] : addrs) {
        auto other = ParseCidr(addr, true);
        if (!other) return BuiltinOut::Error("invalid IP or CIDR address: " + addr);
        if (Contains(*net, *other)) out.insert(Value::MakeArray({nk, ak}));
      }
    }
    return BuiltinOut::Of(Value::MakeSet(out));
  });
  Add(r, "net.cidr_is_valid", 1, [](const Args& a) {
    return BuiltinOut::Of(Value::Bool(a[0].is_string() && ParseCidr(a[0].str(), false).has_value()));
  });
  // Without DNS (evaluation is deterministic; a replay answers from nd_builtin_cache): a
  // literal address is its own answer, in Go's canonical form, and "localhost" is the
  // loopback pair; any other name is an error.
  Add(r, "net.lookup_ip_addr", 1, [](const Args& a) {
    if (!a[0].is_string()) return BuiltinOut::TypeError(OperandError("net.lookup_ip_addr", 1, "string", a[0]));
    if (auto literal = CanonicalAddress(a[0].str())) return BuiltinOut::Of(Value::MakeSet({Value::String(*literal)}));
    std::string name;
    for (char c : a[0].str()) name += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name == "localhost" || name == "localhost.") {
      return BuiltinOut::Of(Value::MakeSet({Value::String("127.0.0.1"), Value::String("::1")}));
    }
    return BuiltinOut::Error("network access is disabled: oep evaluates policies without DNS, so only literal "
                             "addresses and localhost are answered; a replay answers net.lookup_ip_addr from the "
                             "decision's recorded nd_builtin_cache");
  });
  Add(r, "net.cidr_merge", 1, [](const Args& a) {
    Array items;
    if (a[0].is_array()) items = a[0].array();
    else if (a[0].is_set()) items.assign(a[0].set().begin(), a[0].set().end());
    else return BuiltinOut::TypeError(OperandError("net.cidr_merge", 1, "any<array[any<string>], set[any<string>]>", a[0]));
    std::vector<Net> v4, v6;
    for (const auto& item : items) {
      if (!item.is_string()) {
        return BuiltinOut::TypeError(OperandError("net.cidr_merge", 1, "any<array[any<string>], set[any<string>]>", a[0]));
      }
      const std::string& s = item.str();
      auto c = ParseCidr(s, true);
      if (!c) return BuiltinOut::Error("invalid CIDR address: " + s);
      int width = c->family == 4 ? 32 : 128;
      int prefix = c->bits;
      if (s.find('/') == std::string::npos) {
        if (c->family == 6) return BuiltinOut::Error("IPv6 invalid: needs prefix length");
        prefix = DefaultIpv4Prefix(*c);
      }
      Net n{AddressBits(*c), prefix, width};
      n.base &= ~n.HostMask();
      (c->family == 4 ? v4 : v6).push_back(n);
    }
    Set out;
    for (const auto& n : Merge(std::move(v4))) out.insert(Value::String(FormatCidr(4, n.base, n.prefix)));
    for (const auto& n : Merge(std::move(v6))) out.insert(Value::String(FormatCidr(6, n.base, n.prefix)));
    return BuiltinOut::Of(Value::MakeSet(std::move(out)));
  });
  Add(r, "net.cidr_expand", 1, [](const Args& a) {
    if (!a[0].is_string()) return BuiltinOut::TypeError(OperandError("net.cidr_expand", 1, "string", a[0]));
    auto c = ParseCidr(a[0].str(), false);
    if (!c) return BuiltinOut::Error("invalid CIDR address: " + a[0].str());
    int width = c->family == 4 ? 32 : 128;
    constexpr int kMaxHostBits = 20;  // at most 1,048,576 addresses in one call
    if (width - c->bits > kMaxHostBits) {
      return BuiltinOut::Error(a[0].str() + " holds more than 2^20 addresses");
    }
    Net n{AddressBits(*c), c->bits, width};
    n.base &= ~n.HostMask();
    Set out;
    for (U128 host = 0; host <= n.HostMask(); ++host) out.insert(Value::String(FormatCidr(c->family == 4 ? 4 : 6, n.base | host, -1)));
    return BuiltinOut::Of(Value::MakeSet(std::move(out)));
  });
}

}  // namespace oep::rego
