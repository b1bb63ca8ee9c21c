// units.parse and units.parse_bytes: amounts with SI (k, M, G, ...), binary (Ki, Mi, ...)
// and, for units.parse, milli ("m") suffixes, computed exactly.

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "rego/builtins.h"

namespace oep::rego {
namespace {

using Args = std::vector<Value>;

constexpr uint64_t kKilo = 1000, kKibi = 1024;

uint64_t Power(uint64_t base, int n) {
  uint64_t out = 1;
  for (int i = 0; i < n; ++i) out *= base;
  return out;
}

// Splits "1.5Ki" at the first character that is neither a digit nor '.', as OPA does: the
// amount is "" when the text starts with a unit. With `exponent`, an "e" or "E" followed by
// digits (optionally signed) belongs to the amount, its value in *exp ("1e3KB").
void SplitAmount(const std::string& s, std::string* num, std::string* unit, bool exponent = false, int* exp = nullptr) {
  size_t i = 0;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
  *num = s.substr(0, i);
  if (exponent && i > 0 && i + 1 < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    size_t j = i + 1;
    if (s[j] == '-' || s[j] == '+') ++j;
    size_t digits = j;
    while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j;
    if (j > digits) {
      long e = std::strtol(s.substr(i + 1, j - i - 1).c_str(), nullptr, 10);
      *exp = static_cast<int>(std::clamp(e, -100000L, 100000L));
      i = j;
    }
  }
  *unit = s.substr(i);
}

// `digits` (a decimal amount: digits with at most one '.') times `mult`, divided by
// 10^`extra_scale`, as exact decimal text; non-integers are rounded to 10 fractional
// digits (half away from zero) with trailing zeros dropped. nullopt when `digits` is not
// a number.
std::optional<std::string> ScaledDecimal(const std::string& digits, uint64_t mult, int extra_scale) {
  if (std::count(digits.begin(), digits.end(), '.') > 1 || digits == ".") return std::nullopt;
  std::string mantissa;
  int scale = extra_scale;
  size_t dot = digits.find('.');
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i == dot) continue;
    mantissa += digits[i];
    if (dot != std::string::npos && i > dot) ++scale;
  }
  // mantissa * mult, least significant digit first.
  std::string product;
  uint64_t carry = 0;  // digit * mult + carry stays below 2^64 for mult <= 1024^6
  for (size_t i = mantissa.size(); i-- > 0;) {
    uint64_t d = static_cast<uint64_t>(mantissa[i] - '0') * mult + carry;
    product += static_cast<char>('0' + static_cast<int>(d % 10));
    carry = d / 10;
  }
  while (carry) {
    product += static_cast<char>('0' + static_cast<int>(carry % 10));
    carry /= 10;
  }
  while (static_cast<int>(product.size()) <= scale) product += '0';
  std::reverse(product.begin(), product.end());
  if (scale < 0) {
    product.append(static_cast<size_t>(-scale), '0');
    scale = 0;
  }
  std::string whole = product.substr(0, product.size() - scale), frac = product.substr(product.size() - scale);
  if (frac.size() > 10) {
    bool up = frac[10] >= '5';
    frac.resize(10);
    if (up) {
      std::string all = whole + frac;
      int i = static_cast<int>(all.size()) - 1;
      while (i >= 0 && all[i] == '9') all[i--] = '0';
      if (i < 0) all.insert(all.begin(), '1');
      else ++all[i];
      whole = all.substr(0, all.size() - 10);
      frac = all.substr(all.size() - 10);
    }
  }
  while (!frac.empty() && frac.back() == '0') frac.pop_back();
  size_t nz = whole.find_first_not_of('0');
  whole = nz == std::string::npos ? "0" : whole.substr(nz);
  return frac.empty() ? whole : whole + "." + frac;
}

// units.parse: the first letter of the unit keeps its case ("m" milli, "M" mega), the rest
// is lower-cased.
BuiltinOut ParseUnits(const Args& a) {
  if (!a[0].is_string()) return BuiltinOut::TypeError(OperandError("units.parse", 1, "string", a[0]));
  std::string s = a[0].str();
  s.erase(std::remove(s.begin(), s.end(), '"'), s.end());
  if (s.find(' ') != std::string::npos) return BuiltinOut::Error("spaces not allowed in resource strings");
  std::string num, unit;
  SplitAmount(s, &num, &unit);
  if (num.empty()) return BuiltinOut::Error("no amount provided");
  for (size_t i = 1; i < unit.size(); ++i) unit[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(unit[i])));
  static const char kSi[] = "kmgtpe";
  uint64_t mult = 1;
  int milli = 0;
  if (unit == "m") {
    milli = 3;
  } else if (!unit.empty()) {
    std::string lead(1, static_cast<char>(std::tolower(static_cast<unsigned char>(unit[0]))));
    const char* at = std::strchr(kSi, lead[0]);
    bool binary = unit.size() == 2 && unit[1] == 'i';
    // "M" alone is mega; lower-case "m" alone was milli above.
    if (!at || lead[0] == '\0' || (unit.size() > 2) || (unit.size() == 2 && !binary)) {
      return BuiltinOut::Error("unit " + unit + " not recognized");
    }
    int power = static_cast<int>(at - kSi) + 1;
    mult = binary ? Power(kKibi, power) : Power(kKilo, power);
  }
  auto text = ScaledDecimal(num, mult, milli);
  if (!text) return BuiltinOut::Error("could not parse amount to a number");
  return BuiltinOut::Of(Value::NumberText(*text));
}

// units.parse_bytes: the whole text lower-cased; "kb" and "k" are 1000, "kib" and "ki" 1024;
// a fractional result is floored.
BuiltinOut ParseBytes(const Args& a) {
  if (!a[0].is_string()) return BuiltinOut::TypeError(OperandError("units.parse_bytes", 1, "string", a[0]));
  std::string s;
  for (char c : a[0].str()) {
    if (c != '"') s += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (s.find(' ') != std::string::npos) return BuiltinOut::Error("spaces not allowed in resource strings");
  std::string num, unit;
  int exp = 0;
  SplitAmount(s, &num, &unit, true, &exp);
  if (num.empty()) return BuiltinOut::Error("no byte amount provided");
  // A result of more than about 40 digits is past any byte count; refuse it before building.
  if (exp > 40) return BuiltinOut::Error("could not parse byte amount to a number");
  static const char kSi[] = "kmgtpe";
  uint64_t mult = 1;
  if (!unit.empty() && unit != "b") {
    const char* at = std::strchr(kSi, unit[0]);
    std::string rest = unit.substr(1);
    if (!at || unit[0] == '\0' || (rest != "" && rest != "b" && rest != "i" && rest != "ib")) {
      return BuiltinOut::Error("byte unit " + unit + " not recognized");
    }
    int power = static_cast<int>(at - kSi) + 1;
    mult = rest[0] == 'i' ? Power(kKibi, power) : Power(kKilo, power);
  }
  auto text = ScaledDecimal(num, mult, -exp);
  if (!text) return BuiltinOut::Error("could not parse byte amount to a number");
  return BuiltinOut::Of(Value::NumberText(text->substr(0, text->find('.'))));
}

}  // namespace

void RegisterUnitsBuiltins(Registry& r) {
  r["units.parse"] = Builtin{1, ParseUnits};
  r["units.parse_bytes"] = Builtin{1, ParseBytes};
}

}  // namespace oep::rego
