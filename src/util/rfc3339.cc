#include "util/rfc3339.h"

#include <cctype>

namespace oep {

std::optional<int64_t> ParseRfc3339Ns(std::string_view ts) {
  // Fixed-width decimal fields: ts[at, at + n) -> value, or -1 when not all digits.
  auto digits = [&](size_t at, size_t n) -> int {
    int v = 0;
    for (size_t i = at; i < at + n; ++i) {
      if (i >= ts.size() || !std::isdigit(static_cast<unsigned char>(ts[i]))) return -1;
      v = v * 10 + (ts[i] - '0');
    }
    return v;
  };
  if (ts.size() < 20 || ts[4] != '-' || ts[7] != '-' || (ts[10] != 'T' && ts[10] != 't') || ts[13] != ':' ||
      ts[16] != ':') {
    return std::nullopt;
  }
  int y = digits(0, 4), mo = digits(5, 2), d = digits(8, 2), h = digits(11, 2), mi = digits(14, 2), s = digits(17, 2);
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60) {
    return std::nullopt;
  }
  // Days from civil date (proleptic Gregorian).
  y -= mo <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  int64_t days = era * 146097 + doe - 719468;
  int64_t secs = days * 86400 + h * 3600 + mi * 60 + s;
  int64_t frac_ns = 0;
  size_t pos = 19;
  if (pos < ts.size() && ts[pos] == '.') {
    int64_t scale = 100000000;
    for (++pos; pos < ts.size() && std::isdigit(static_cast<unsigned char>(ts[pos])); ++pos, scale /= 10) {
      frac_ns += (ts[pos] - '0') * scale;
    }
  }
  if (pos < ts.size() && (ts[pos] == '+' || ts[pos] == '-')) {
    int oh = digits(pos + 1, 2), om = digits(pos + 4, 2);
    if (oh < 0 || om < 0 || pos + 3 >= ts.size() || ts[pos + 3] != ':') return std::nullopt;
    int64_t offset = (oh * 3600 + om * 60) * (ts[pos] == '+' ? 1 : -1);
    secs -= offset;
  } else if (pos >= ts.size() || (ts[pos] != 'Z' && ts[pos] != 'z')) {
    return std::nullopt;
  }
  return secs * 1000000000 + frac_ns;
}

}  // namespace oep
