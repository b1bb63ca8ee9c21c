#include "util/time_syntax.h"

#include <cctype>
#include <chrono>
#include <cstdio>
#include <optional>

#include "util/display_text.h"
#include "util/rfc3339.h"

namespace oep {
namespace {

constexpr int64_t kMaxDurationSeconds = int64_t{100} * 366 * 86400;  // a century back is far enough

}  // namespace

std::optional<int64_t> ParseDurationSeconds(std::string_view text) {
  if (text.size() < 2) return std::nullopt;
  int64_t unit = 0;
  switch (text.back()) {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    case 'w': unit = 7 * 86400; break;
    default: return std::nullopt;
  }
  int64_t n = 0;
  for (char c : text.substr(0, text.size() - 1)) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    n = n * 10 + (c - '0');
    if (n * unit > kMaxDurationSeconds) return std::nullopt;
  }
  return n * unit;
}

namespace {

bool IsFullDate(std::string_view t) {
  if (t.size() != 10 || t[4] != '-' || t[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!std::isdigit(static_cast<unsigned char>(t[i]))) return false;
  }
  return true;
}

// ParseRfc3339Ns reads a prefix; the bound must be exactly one time, nothing after it.
bool EndsLikeRfc3339(std::string_view t) {
  char last = t.empty() ? '\0' : t.back();
  if (last == 'Z' || last == 'z') return t.find_first_of("Zz") == t.size() - 1;
  return t.size() >= 25 && (t[t.size() - 6] == '+' || t[t.size() - 6] == '-') && t[t.size() - 3] == ':';
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

}  // namespace

std::string FormatUtcSeconds(int64_t unix_seconds) {
  int64_t days = FloorDiv(unix_seconds, 86400), secs = unix_seconds - days * 86400;
  // Civil date from days (proleptic Gregorian).
  int64_t z = days + 719468, era = FloorDiv(z, 146097), doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
  int64_t d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9, y = yoe + era * 400 + (m <= 2);
  char buf[128];
  std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lldZ", static_cast<long long>(y),
                static_cast<long long>(m), static_cast<long long>(d), static_cast<long long>(secs / 3600),
                static_cast<long long>(secs / 60 % 60), static_cast<long long>(secs % 60));
  return buf;
}

int64_t UnixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

Result<std::string> ParseTimeBound(std::string_view flag, std::string_view text, int64_t now_unix_seconds) {
  if (auto back = ParseDurationSeconds(text)) return FormatUtcSeconds(now_unix_seconds - *back);
  std::string ts(text);
  if (IsFullDate(text)) ts += "T00:00:00Z";
  if (auto ns = ParseRfc3339Ns(ts); ns && EndsLikeRfc3339(ts)) {
    int64_t secs = FloorDiv(*ns, 1000000000), frac = *ns - secs * 1000000000;
    std::string out = FormatUtcSeconds(secs);
    if (frac != 0) {
      char buf[16];
      std::snprintf(buf, sizeof buf, ".%09lld", static_cast<long long>(frac));
      std::string f = buf;
      while (f.back() == '0') f.pop_back();
      out.insert(out.size() - 1, f);
    }
    return out;
  }
  return Status::InvalidArgument(std::string(flag) + " " + EscapeForTerminal(text) +
                                 ": expected an RFC 3339 time (2026-11-01T09:15:00Z, 2026-11-01T11:15:00+02:00), a "
                                 "date (2026-11-01) or a duration back from now (90s, 30m, 24h, 7d, 2w)");
}

}  // namespace oep
