// semver.is_valid and semver.compare (Semantic Versioning 2.0.0; build metadata ignored).
#include <array>
#include <cstdint>
#include <regex>

#include "rego/builtins.h"

namespace oep::rego {
namespace {

using Args = std::vector<Value>;

void Add(Registry& r, const std::string& name, int arity, BuiltinFn fn) { r[name] = Builtin{arity, std::move(fn)}; }

std::optional<std::array<int64_t, 3>> SemverCore(const std::string& s, std::string* pre) {
  static const std::regex kSemver(R"(^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$)");
  std::smatch m;
  if (!std::regex_match(s, m, kSemver)) return std::nullopt;
  *pre = m[4].str();
  return std::array<int64_t, 3>{std::stoll(m[1]), std::stoll(m[2]), std::stoll(m[3])};
}

int ComparePre(const std::string& a, const std::string& b) {
  if (a == b) return 0;
  if (a.empty()) return 1;
  if (b.empty()) return -1;
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    size_t ie = a.find('.', i), je = b.find('.', j);
    std::string x = a.substr(i, ie - i), y = b.substr(j, je - j);
    bool xn = !x.empty() && x.find_first_not_of("0123456789") == std::string::npos;
    bool yn = !y.empty() && y.find_first_not_of("0123456789") == std::string::npos;
    int c = xn && yn ? (std::stoll(x) < std::stoll(y) ? -1 : std::stoll(x) > std::stoll(y) ? 1 : 0)
            : xn ? -1 : yn ? 1 : x.compare(y) < 0 ? -1 : x.compare(y) > 0 ? 1 : 0;
    if (c) return c;
    i = ie == std::string::npos ? a.size() : ie + 1;
    j = je == std::string::npos ? b.size() : je + 1;
  }
  return i < a.size() ? 1 : j < b.size() ? -1 : 0;
}

}  // namespace

void RegisterSemverBuiltins(Registry& r) {
  Add(r, "semver.is_valid", 1, [](const Args& a) {
    std::string pre;
    return BuiltinOut::Of(Value::Bool(a[0].is_string() && SemverCore(a[0].str(), &pre).has_value()));
  });
  Add(r, "semver.compare", 2, [](const Args& a) {
    if (!a[0].is_string()) return BuiltinOut::TypeError(OperandError("semver.compare", 1, "string", a[0]));
    if (!a[1].is_string()) return BuiltinOut::TypeError(OperandError("semver.compare", 2, "string", a[1]));
    std::string pa, pb;
    auto x = SemverCore(a[0].str(), &pa), y = SemverCore(a[1].str(), &pb);
    if (!x) return BuiltinOut::Error("operand 1: string \"" + a[0].str() + "\" is not a valid SemVer");
    if (!y) return BuiltinOut::Error("operand 2: string \"" + a[1].str() + "\" is not a valid SemVer");
    int c = *x < *y ? -1 : *x > *y ? 1 : ComparePre(pa, pb);
    return BuiltinOut::Of(Value::Int(c));
  });
}

}  // namespace oep::rego
