// time.*: parse_ns (Go reference layouts), parse_rfc3339_ns, parse_duration_ns, date, clock,
// weekday, add_date, diff and format, with IANA time zones read from the system's TZif
// database (/usr/share/zoneinfo). time.now_ns is answered by the evaluator (replay pins it).
// Offsets beyond a zone's last recorded transition (2037 in Debian's data) keep that
// transition's offset: the POSIX rule in the file's footer is not applied.
#include <array>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <strings.h>
#include <variant>
#include <vector>

#include "rego/builtins.h"

namespace oep::rego {
namespace {

using Args = std::vector<Value>;
__extension__ typedef __int128 I128;  // nanosecond arithmetic that must not overflow silently

void Add(Registry& r, const std::string& name, int arity, BuiltinFn fn) { r[name] = Builtin{arity, std::move(fn)}; }

constexpr int64_t kNs = 1000000000;

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// Days since 1970-01-01 of a proleptic Gregorian date (month and day may be out of range:
// they are normalized, as Go's time.Date does).
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y += FloorDiv(m - 1, 12);
  m = (m - 1) - 12 * FloorDiv(m - 1, 12) + 1;
  y -= m <= 2;
  int64_t era = FloorDiv(y, 400);
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468 + (d - 1);
}

void CivilFromDays(int64_t z, int64_t& y, int& m, int& d) {
  z += 719468;
  int64_t era = FloorDiv(z, 146097);
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  y = yoe + era * 400 + (m <= 2);
}

int DaysIn(int64_t y, int m) { return static_cast<int>(DaysFromCivil(y, m + 1, 1) - DaysFromCivil(y, m, 1)); }

const char* const kMonths[] = {"January", "February", "March",     "April",   "May",      "June",
                               "July",    "August",   "September", "October", "November", "December"};
const char* const kDays[] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};

// ---- time zones (TZif, RFC 8536)

struct Zone {
  std::vector<int64_t> transitions;  // seconds
  std::vector<uint8_t> types;        // per transition
  std::vector<int32_t> offsets;      // per type
  std::vector<std::string> abbrs;    // per type
  // UTC offset (seconds) and abbreviation in force at `t` (seconds).
  std::pair<int32_t, std::string> At(int64_t t) const {
    if (offsets.empty()) return {0, "UTC"};
    size_t type = 0;
    if (!transitions.empty() && t >= transitions[0]) {
      size_t lo = 0, hi = transitions.size();
      while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        (transitions[mid] <= t ? lo : hi) = mid;
      }
      type = types[lo];
    }
    return {offsets[type], abbrs[type]};
  }
};

uint64_t BigEndian(const unsigned char* p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

std::optional<Zone> ParseTzif(const std::string& bytes) {
  auto header = [&](size_t at, uint64_t (&counts)[6]) {
    if (at + 44 > bytes.size() || bytes.compare(at, 4, "TZif") != 0) return false;
    for (int i = 0; i < 6; ++i) counts[i] = BigEndian(reinterpret_cast<const unsigned char*>(bytes.data()) + at + 20 + 4 * i, 4);
    return true;
  };
  uint64_t c[6];  // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
  if (!header(0, c)) return std::nullopt;
  int time_size = 4;
  size_t at = 44;
  if (bytes[4] >= '2') {  // skip the 32-bit block; use the 64-bit one
    at += c[3] * 4 + c[3] + c[4] * 6 + c[5] + c[2] * 8 + c[1] + c[0];
    if (!header(at, c)) return std::nullopt;
    at += 44;
    time_size = 8;
  }
  size_t need = c[3] * static_cast<size_t>(time_size) + c[3] + c[4] * 6 + c[5];
  if (c[4] == 0 || at + need > bytes.size()) return std::nullopt;
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data()) + at;
  Zone z;
  for (uint64_t i = 0; i < c[3]; ++i, p += time_size) {
    uint64_t raw = BigEndian(p, time_size);
    z.transitions.push_back(time_size == 8 ? static_cast<int64_t>(raw) : static_cast<int32_t>(static_cast<uint32_t>(raw)));
  }
  for (uint64_t i = 0; i < c[3]; ++i) z.types.push_back(*p++);
  std::vector<uint8_t> abbr_index;
  for (uint64_t i = 0; i < c[4]; ++i, p += 6) {
    z.offsets.push_back(static_cast<int32_t>(static_cast<uint32_t>(BigEndian(p, 4))));
    abbr_index.push_back(p[5]);
  }
  std::string chars(reinterpret_cast<const char*>(p), c[5]);
  for (uint8_t idx : abbr_index) z.abbrs.push_back(idx < chars.size() ? std::string(chars.c_str() + idx) : "");
  for (uint8_t t : z.types) {
    if (t >= z.offsets.size()) return std::nullopt;
  }
  return z;
}

// The zone named `name` ("" and "UTC": UTC); nullopt when unknown. Loaded once, shared.
std::shared_ptr<const Zone> LoadZone(const std::string& name) {
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const Zone>> cache;
  if (name.empty() || name == "UTC") {
    static const auto utc = std::make_shared<const Zone>();
    return utc;
  }
  for (char ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch)) && !std::strchr("/_+-", ch)) return nullptr;
  }
  if (name.find("..") != std::string::npos || name[0] == '/') return nullptr;
  std::lock_guard<std::mutex> lock(mu);
  if (auto it = cache.find(name); it != cache.end()) return it->second;
  std::ifstream in("/usr/share/zoneinfo/" + name, std::ios::binary);
  std::shared_ptr<const Zone> zone;
  if (in) {
    std::stringstream ss;
    ss << in.rdbuf();
    if (auto z = ParseTzif(ss.str())) zone = std::make_shared<const Zone>(std::move(*z));
  }
  cache[name] = zone;
  return zone;
}

// ---- broken-down time

struct Civil {
  int64_t year = 1970;
  int month = 1, day = 1, hour = 0, minute = 0, second = 0;
  int64_t nanos = 0;
  int32_t offset = 0;
  std::string abbr = "UTC";
  int weekday = 4;
  int yday = 1;
};

Civil ToCivil(int64_t ns, const Zone& zone) {
  Civil c;
  int64_t secs = FloorDiv(ns, kNs);
  c.nanos = ns % kNs;  // not ns - secs * kNs: that overflows near INT64_MIN (UBSan)
  if (c.nanos < 0) c.nanos += kNs;
  auto [offset, abbr] = zone.At(secs);
  c.offset = offset;
  c.abbr = abbr;
  int64_t local = secs + offset;
  int64_t days = FloorDiv(local, 86400);
  int64_t rem = local - days * 86400;
  CivilFromDays(days, c.year, c.month, c.day);
  c.hour = static_cast<int>(rem / 3600);
  c.minute = static_cast<int>(rem % 3600 / 60);
  c.second = static_cast<int>(rem % 60);
  c.weekday = static_cast<int>(((days % 7) + 11) % 7);  // 1970-01-01 was a Thursday
  c.yday = static_cast<int>(days - DaysFromCivil(c.year, 1, 1) + 1);
  return c;
}

// Nanoseconds since the epoch of a civil time in a fixed offset, if representable.
std::optional<int64_t> FromCivil(int64_t y, int64_t mo, int64_t d, int64_t h, int64_t mi, int64_t s, int64_t nanos,
                                 int64_t offset) {
  I128 secs = static_cast<I128>(DaysFromCivil(y, mo, d)) * 86400 + h * 3600 + mi * 60 + s - offset;
  I128 ns = secs * kNs + nanos;
  if (ns < INT64_MIN || ns > INT64_MAX) return std::nullopt;
  return static_cast<int64_t>(ns);
}

// ---- Go reference layouts

enum class Std {
  kNone, kLongMonth, kMonth, kNumMonth, kZeroMonth, kLongWeekDay, kWeekDay, kDay, kUnderDay, kZeroDay, kZeroYearDay,
  kHour, kHour12, kZeroHour12, kMinute, kZeroMinute, kSecond, kZeroSecond, kLongYear, kYear, kPM, kpm, kTZ,
  kISO8601TZ, kISO8601SecondsTZ, kISO8601ShortTZ, kISO8601ColonTZ, kISO8601ColonSecondsTZ,
  kNumTZ, kNumSecondsTz, kNumShortTZ, kNumColonTZ, kNumColonSecondsTZ, kFracSecond0, kFracSecond9,
};

struct Chunk {
  std::string literal;
  Std std = Std::kNone;
  int digits = 0;  // fractional seconds
  char separator = '.';
};

std::string NamedLayout(const std::string& name) {
  static const std::map<std::string, std::string> kNamed = {
      {"ANSIC", "Mon Jan _2 15:04:05 2006"},
      {"UnixDate", "Mon Jan _2 15:04:05 MST 2006"},
      {"RubyDate", "Mon Jan 02 15:04:05 -0700 2006"},
      {"RFC822", "02 Jan 06 15:04 MST"},
      {"RFC822Z", "02 Jan 06 15:04 -0700"},
      {"RFC850", "Monday, 02-Jan-06 15:04:05 MST"},
      {"RFC1123", "Mon, 02 Jan 2006 15:04:05 MST"},
      {"RFC1123Z", "Mon, 02 Jan 2006 15:04:05 -0700"},
      {"RFC3339", "2006-01-02T15:04:05Z07:00"},
      {"RFC3339Nano", "2006-01-02T15:04:05.999999999Z07:00"},
      {"Kitchen", "3:04PM"},
      {"Stamp", "Jan _2 15:04:05"},
      {"StampMilli", "Jan _2 15:04:05.000"},
      {"StampMicro", "Jan _2 15:04:05.000000"},
      {"StampNano", "Jan _2 15:04:05.000000000"},
      {"DateTime", "2006-01-02 15:04:05"},
      {"DateOnly", "2006-01-02"},
      {"TimeOnly", "15:04:05"},
  };
  auto it = kNamed.find(name);
  return it == kNamed.end() ? name : it->second;
}

std::vector<Chunk> Tokenize(const std::string& layout) {
  std::vector<Chunk> out;
  auto literal = [&](char ch) {
    if (out.empty() || out.back().std != Std::kNone) out.push_back({});
    out.back().literal += ch;
  };
  auto starts = [&](size_t i, const char* s) { return layout.compare(i, std::strlen(s), s) == 0; };
  static const std::pair<const char*, Std> kTokens[] = {
      {"January", Std::kLongMonth}, {"Jan", Std::kMonth}, {"Monday", Std::kLongWeekDay}, {"Mon", Std::kWeekDay},
      {"MST", Std::kTZ}, {"002", Std::kZeroYearDay}, {"01", Std::kZeroMonth}, {"02", Std::kZeroDay},
      {"03", Std::kZeroHour12}, {"04", Std::kZeroMinute}, {"05", Std::kZeroSecond}, {"06", Std::kYear},
      {"15", Std::kHour}, {"1", Std::kNumMonth}, {"2006", Std::kLongYear}, {"2", Std::kDay}, {"_2", Std::kUnderDay},
      {"3", Std::kHour12}, {"4", Std::kMinute}, {"5", Std::kSecond}, {"PM", Std::kPM}, {"pm", Std::kpm},
      {"-07:00:00", Std::kNumColonSecondsTZ}, {"-070000", Std::kNumSecondsTz}, {"-07:00", Std::kNumColonTZ},
      {"-0700", Std::kNumTZ}, {"-07", Std::kNumShortTZ}, {"Z07:00:00", Std::kISO8601ColonSecondsTZ},
      {"Z070000", Std::kISO8601SecondsTZ}, {"Z07:00", Std::kISO8601ColonTZ}, {"Z0700", Std::kISO8601TZ},
      {"Z07", Std::kISO8601ShortTZ}};
  for (size_t i = 0; i < layout.size();) {
    char ch = layout[i];
    if ((ch == '.' || ch == ',') && i + 1 < layout.size() && (layout[i + 1] == '0' || layout[i + 1] == '9')) {
      size_t j = i + 1;
      while (j < layout.size() && layout[j] == layout[i + 1]) ++j;
      if (j >= layout.size() || !std::isdigit(static_cast<unsigned char>(layout[j]))) {
        out.push_back({"", layout[i + 1] == '0' ? Std::kFracSecond0 : Std::kFracSecond9, static_cast<int>(j - i - 1), ch});
        i = j;
        continue;
      }
    }
    if (starts(i, "_2006")) {  // "_" then the year, as Go reads it
      literal('_');
      ++i;
      continue;
    }
    bool matched = false;
    for (const auto& [text, std] : kTokens) {
      if (!starts(i, text)) continue;
      out.push_back({"", std});
      i += std::strlen(text);
      matched = true;
      break;
    }
    if (!matched) literal(layout[i++]);
  }
  return out;
}

std::string Pad(int64_t v, int width, char fill = '0') {
  std::string s = std::to_string(v < 0 ? -v : v);
  if (static_cast<int>(s.size()) < width) s.insert(0, static_cast<size_t>(width) - s.size(), fill);
  return v < 0 ? "-" + s : s;
}

// How a numeric or ISO 8601 zone offset element is written.
struct OffsetStyle {
  bool iso;         // Z07...: "Z" for UTC
  bool colon;       // -07:00
  bool short_form;  // hours only
  bool seconds;     // -07:00:00
};

OffsetStyle StyleOf(Std std) {
  return {std >= Std::kISO8601TZ && std <= Std::kISO8601ColonSecondsTZ,
          std == Std::kISO8601ColonTZ || std == Std::kISO8601ColonSecondsTZ || std == Std::kNumColonTZ ||
              std == Std::kNumColonSecondsTZ,
          std == Std::kISO8601ShortTZ || std == Std::kNumShortTZ,
          std == Std::kISO8601SecondsTZ || std == Std::kISO8601ColonSecondsTZ || std == Std::kNumSecondsTz ||
              std == Std::kNumColonSecondsTZ};
}

std::string FormatOffset(int32_t offset, Std std) {
  OffsetStyle style = StyleOf(std);
  if (style.iso && offset == 0) return "Z";
  int32_t a = offset < 0 ? -offset : offset;
  std::string out = offset < 0 ? "-" : "+";
  out += Pad(a / 3600, 2);
  if (!style.short_form) out += (style.colon ? ":" : "") + Pad(a % 3600 / 60, 2);
  if (style.seconds) out += (style.colon ? ":" : "") + Pad(a % 60, 2);
  return out;
}

std::string Format(const Civil& c, const std::vector<Chunk>& layout) {
  std::string out;
  int hour12 = c.hour % 12 == 0 ? 12 : c.hour % 12;
  for (const auto& ch : layout) {
    switch (ch.std) {
      case Std::kNone: out += ch.literal; break;
      case Std::kLongMonth: out += kMonths[c.month - 1]; break;
      case Std::kMonth: out += std::string(kMonths[c.month - 1]).substr(0, 3); break;
      case Std::kNumMonth: out += std::to_string(c.month); break;
      case Std::kZeroMonth: out += Pad(c.month, 2); break;
      case Std::kLongWeekDay: out += kDays[c.weekday]; break;
      case Std::kWeekDay: out += std::string(kDays[c.weekday]).substr(0, 3); break;
      case Std::kDay: out += std::to_string(c.day); break;
      case Std::kUnderDay: out += Pad(c.day, 2, ' '); break;
      case Std::kZeroDay: out += Pad(c.day, 2); break;
      case Std::kZeroYearDay: out += Pad(c.yday, 3); break;
      case Std::kHour: out += Pad(c.hour, 2); break;
      case Std::kHour12: out += std::to_string(hour12); break;
      case Std::kZeroHour12: out += Pad(hour12, 2); break;
      case Std::kMinute: out += std::to_string(c.minute); break;
      case Std::kZeroMinute: out += Pad(c.minute, 2); break;
      case Std::kSecond: out += std::to_string(c.second); break;
      case Std::kZeroSecond: out += Pad(c.second, 2); break;
      case Std::kLongYear: out += Pad(c.year, 4); break;
      case Std::kYear: out += Pad(((c.year % 100) + 100) % 100, 2); break;
      case Std::kPM: out += c.hour >= 12 ? "PM" : "AM"; break;
      case Std::kpm: out += c.hour >= 12 ? "pm" : "am"; break;
      case Std::kTZ: out += c.abbr.empty() ? FormatOffset(c.offset, Std::kNumTZ) : c.abbr; break;
      case Std::kFracSecond0:
      case Std::kFracSecond9: {
        std::string digits = Pad(c.nanos, 9).substr(0, static_cast<size_t>(ch.digits));
        if (ch.std == Std::kFracSecond9) {
          while (!digits.empty() && digits.back() == '0') digits.pop_back();
          if (digits.empty()) break;
        }
        out += ch.separator + digits;
        break;
      }
      default: out += FormatOffset(c.offset, ch.std); break;
    }
  }
  return out;
}

// Parses `value` with `layout`: nanoseconds since the epoch, or an error message.
std::variant<int64_t, std::string> Parse(const std::vector<Chunk>& layout, const std::string& value) {
  size_t pos = 0;
  int64_t year = 1, month = 1, day = 1, hour = 0, minute = 0, second = 0, nanos = 0, offset = 0;
  int pm = -1;  // -1: no AM/PM field
  auto bad = [&](const std::string& what) { return "cannot parse \"" + value.substr(std::min(pos, value.size())) + "\" as " + what; };
  auto number = [&](int min_digits, int max_digits, int64_t* out) {
    size_t start = pos;
    int64_t v = 0;
    while (pos < value.size() && pos - start < static_cast<size_t>(max_digits) && std::isdigit(static_cast<unsigned char>(value[pos]))) {
      v = v * 10 + (value[pos++] - '0');
    }
    if (static_cast<int>(pos - start) < min_digits) return false;
    *out = v;
    return true;
  };
  auto name = [&](bool months, bool long_form, int64_t* out) {
    for (int i = 0; i < (months ? 12 : 7); ++i) {
      std::string full = months ? kMonths[i] : kDays[i];
      std::string n = long_form ? full : full.substr(0, 3);
      if (value.size() - pos >= n.size() && strncasecmp(value.c_str() + pos, n.c_str(), n.size()) == 0) {
        pos += n.size();
        *out = i + (months ? 1 : 0);
        return true;
      }
    }
    return false;
  };
  auto fraction = [&](int max_digits) {
    size_t start = pos;
    int64_t scale = 100000000;
    nanos = 0;
    while (pos < value.size() && std::isdigit(static_cast<unsigned char>(value[pos])) &&
           (max_digits < 0 || pos - start < static_cast<size_t>(max_digits))) {
      nanos += (value[pos++] - '0') * scale;
      scale /= 10;
    }
    return pos > start;
  };
  for (size_t k = 0; k < layout.size(); ++k) {
    const Chunk& ch = layout[k];
    int64_t ignored = 0;
    bool ok = true;
    switch (ch.std) {
      case Std::kNone:
        if (value.compare(pos, ch.literal.size(), ch.literal) != 0) return bad("\"" + ch.literal + "\"");
        pos += ch.literal.size();
        break;
      case Std::kLongMonth: ok = name(true, true, &month); break;
      case Std::kMonth: ok = name(true, false, &month); break;
      case Std::kNumMonth: ok = number(1, 2, &month); break;
      case Std::kZeroMonth: ok = number(2, 2, &month); break;
      case Std::kLongWeekDay: ok = name(false, true, &ignored); break;
      case Std::kWeekDay: ok = name(false, false, &ignored); break;
      case Std::kDay: ok = number(1, 2, &day); break;
      case Std::kUnderDay:
        if (pos < value.size() && value[pos] == ' ') ++pos;
        ok = number(1, 2, &day);
        break;
      case Std::kZeroDay: ok = number(2, 2, &day); break;
      case Std::kZeroYearDay: ok = number(3, 3, &ignored); break;
      case Std::kHour: ok = number(2, 2, &hour); break;
      case Std::kHour12: ok = number(1, 2, &hour); break;
      case Std::kZeroHour12: ok = number(2, 2, &hour); break;
      case Std::kMinute: ok = number(1, 2, &minute); break;
      case Std::kZeroMinute: ok = number(2, 2, &minute); break;
      case Std::kSecond:
      case Std::kZeroSecond:
        ok = number(ch.std == Std::kSecond ? 1 : 2, 2, &second);
        // A fraction in the value that the layout does not spell out is read anyway (Go does).
        if (ok && pos + 1 < value.size() && (value[pos] == '.' || value[pos] == ',') &&
            std::isdigit(static_cast<unsigned char>(value[pos + 1])) &&
            !(k + 1 < layout.size() && (layout[k + 1].std == Std::kFracSecond0 || layout[k + 1].std == Std::kFracSecond9))) {
          ++pos;
          fraction(-1);
        }
        break;
      case Std::kLongYear: ok = number(4, 4, &year); break;
      case Std::kYear:
        ok = number(2, 2, &year);
        year += year >= 69 ? 1900 : 2000;
        break;
      case Std::kPM:
      case Std::kpm:
        if (value.size() - pos >= 2 && strncasecmp(value.c_str() + pos, "PM", 2) == 0) pm = 1;
        else if (value.size() - pos >= 2 && strncasecmp(value.c_str() + pos, "AM", 2) == 0) pm = 0;
        else ok = false;
        pos += 2;
        break;
      case Std::kTZ: {
        size_t start = pos;
        while (pos < value.size() && std::isupper(static_cast<unsigned char>(value[pos]))) ++pos;
        ok = pos - start >= 3;
        offset = 0;  // abbreviations other than UTC name no offset here (as Go without a zone)
        break;
      }
      case Std::kFracSecond0:
      case Std::kFracSecond9:
        if (pos < value.size() && (value[pos] == '.' || value[pos] == ',')) {
          ++pos;
          ok = fraction(ch.std == Std::kFracSecond0 ? ch.digits : -1) || ch.std == Std::kFracSecond9;
        } else {
          ok = ch.std == Std::kFracSecond9;
        }
        break;
      default: {  // numeric and ISO 8601 offsets
        OffsetStyle style = StyleOf(ch.std);
        if (style.iso && pos < value.size() && value[pos] == 'Z') {
          ++pos;
          offset = 0;
          break;
        }
        if (pos >= value.size() || (value[pos] != '+' && value[pos] != '-')) {
          ok = false;
          break;
        }
        int sign = value[pos++] == '-' ? -1 : 1;
        int64_t hh = 0, mm = 0, ss = 0;
        ok = number(2, 2, &hh);
        if (ok && !style.short_form) {
          if (style.colon && (pos >= value.size() || value[pos++] != ':')) ok = false;
          ok = ok && number(2, 2, &mm);
        }
        if (ok && style.seconds) {
          if (style.colon && (pos >= value.size() || value[pos++] != ':')) ok = false;
          ok = ok && number(2, 2, &ss);
        }
        offset = sign * (hh * 3600 + mm * 60 + ss);
        break;
      }
    }
    if (!ok) return bad("a value for layout element " + std::to_string(k + 1));
  }
  if (pos != value.size()) return "extra text: \"" + value.substr(pos) + "\"";
  if (pm >= 0) {
    if (hour < 1 || hour > 12) return std::string("hour out of range");
    hour = hour % 12 + (pm ? 12 : 0);
  }
  if (month < 1 || month > 12) return std::string("month out of range");
  if (day < 1 || day > DaysIn(year, static_cast<int>(month))) return std::string("day out of range");
  if (hour > 23 || minute > 59 || second > 59) return std::string("time out of range");
  auto ns = FromCivil(year, month, day, hour, minute, second, nanos, offset);
  if (!ns) return std::string("time outside of valid range");
  return *ns;
}

// Go's time.ParseDuration: [-+]?([0-9]*(\.[0-9]*)?[a-z]+)+, or "0". A unit that is missing
// or unknown sets *why to Go's text for it (else the caller's "invalid duration").
std::optional<int64_t> ParseDuration(const std::string& s, std::string* why) {
  static const std::map<std::string, I128> kUnits = {{"ns", 1},          {"us", 1000},          {"\xc2\xb5s", 1000},
                                                     {"\xce\xbcs", 1000}, {"ms", 1000000},       {"s", kNs},
                                                     {"m", 60 * I128(kNs)}, {"h", 3600 * I128(kNs)}};
  size_t pos = 0;
  bool negative = false;
  if (pos < s.size() && (s[pos] == '-' || s[pos] == '+')) negative = s[pos++] == '-';
  if (s.substr(pos) == "0") return 0;
  if (pos == s.size()) return std::nullopt;
  I128 total = 0;
  while (pos < s.size()) {
    size_t start = pos;
    I128 whole = 0;
    while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
      whole = whole * 10 + (s[pos++] - '0');
      if (whole > INT64_MAX) return std::nullopt;
    }
    I128 frac = 0, scale = 1;
    bool has_frac = false;
    if (pos < s.size() && s[pos] == '.') {
      ++pos;
      while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
        has_frac = true;
        if (scale < I128(1000000000000000000)) {
          frac = frac * 10 + (s[pos] - '0');
          scale *= 10;
        }
        ++pos;
      }
    }
    if (pos == start || (pos == start + 1 && s[start] == '.' && !has_frac)) return std::nullopt;
    size_t unit_start = pos;
    while (pos < s.size() && !std::isdigit(static_cast<unsigned char>(s[pos])) && s[pos] != '.') ++pos;
    std::string name = s.substr(unit_start, pos - unit_start);
    auto unit = kUnits.find(name);
    if (name.empty()) *why = "time: missing unit in duration \"" + s + "\"";
    else if (unit == kUnits.end()) *why = "time: unknown unit \"" + name + "\" in duration \"" + s + "\"";
    if (unit == kUnits.end()) return std::nullopt;
    total += whole * unit->second + frac * unit->second / scale;
    if (total > I128(INT64_MAX) + 1) return std::nullopt;
  }
  if (negative) total = -total;
  if (total > INT64_MAX || total < INT64_MIN) return std::nullopt;
  return static_cast<int64_t>(total);
}

// A time argument: nanoseconds, or [nanoseconds, zone] (and, for format, a layout).
struct TimeArg {
  int64_t ns = 0;
  std::shared_ptr<const Zone> zone;
  std::string layout = "RFC3339Nano";
};

std::variant<TimeArg, BuiltinOut> ReadTime(const Value& v, const std::string& fn, bool allow_layout) {
  TimeArg t;
  const Value* ns = &v;
  std::string zone_name;
  if (v.is_array()) {
    const Array& a = v.array();
    if (a.empty() || a.size() > (allow_layout ? 3u : 2u)) {
      return BuiltinOut::TypeError("operand 1 must be number or array of " + std::string(allow_layout ? "[ns, tz, layout]" : "[ns, tz]"));
    }
    ns = &a[0];
    if (a.size() > 1) {
      if (!a[1].is_string()) return BuiltinOut::TypeError("operand 1 time zone must be a string");
      zone_name = a[1].str();
    }
    if (a.size() > 2) {
      if (!a[2].is_string()) return BuiltinOut::TypeError("operand 1 layout must be a string");
      t.layout = a[2].str();
    }
  }
  if (!ns->is_number()) return BuiltinOut::TypeError(OperandError(fn, 1, "number or array", v));
  if (!ns->is_int()) return BuiltinOut::Error("timestamp too big");
  t.ns = ns->as_int();
  t.zone = LoadZone(zone_name);
  if (!t.zone) return BuiltinOut::Error("unknown time zone " + zone_name);
  return t;
}

template <typename Fn>
BuiltinOut WithTime(const Value& v, const std::string& fn, bool allow_layout, Fn body) {
  auto t = ReadTime(v, fn, allow_layout);
  if (auto* err = std::get_if<BuiltinOut>(&t)) return *err;
  return body(std::get<TimeArg>(t));
}

BuiltinOut ParseWith(const std::string& layout, const std::string& value) {
  auto parsed = Parse(Tokenize(NamedLayout(layout)), value);
  if (auto* err = std::get_if<std::string>(&parsed)) return BuiltinOut::Error(*err);
  return BuiltinOut::Of(Value::Int(std::get<int64_t>(parsed)));
}

}  // namespace

void RegisterTimeBuiltins(Registry& r) {
  Add(r, "time.parse_ns", 2, [](const Args& a) {
    if (!a[0].is_string()) return BuiltinOut::TypeError(OperandError("time.parse_ns", 1, "string", a[0]));
    if (!a[1].is_string()) return BuiltinOut::TypeError(OperandError("time.parse_ns", 2, "string", a[1]));
    return ParseWith(a[0].str(), a[1].str());
  });
  Add(r, "time.parse_rfc3339_ns", 1, [](const Args& a) {
    if (!a[0].is_string()) return BuiltinOut::TypeError(OperandError("time.parse_rfc3339_ns", 1, "string", a[0]));
    return ParseWith("RFC3339", a[0].str());
  });
  Add(r, "time.parse_duration_ns", 1, [](const Args& a) {
    if (!a[0].is_string()) return BuiltinOut::TypeError(OperandError("time.parse_duration_ns", 1, "string", a[0]));
    std::string why;
    auto d = ParseDuration(a[0].str(), &why);
    if (!d) return BuiltinOut::Error(why.empty() ? "time: invalid duration \"" + a[0].str() + "\"" : why);
    return BuiltinOut::Of(Value::Int(*d));
  });
  Add(r, "time.date", 1, [](const Args& a) {
    return WithTime(a[0], "time.date", false, [](const TimeArg& t) {
      Civil c = ToCivil(t.ns, *t.zone);
      return BuiltinOut::Of(Value::MakeArray({Value::Int(c.year), Value::Int(c.month), Value::Int(c.day)}));
    });
  });
  Add(r, "time.clock", 1, [](const Args& a) {
    return WithTime(a[0], "time.clock", false, [](const TimeArg& t) {
      Civil c = ToCivil(t.ns, *t.zone);
      return BuiltinOut::Of(Value::MakeArray({Value::Int(c.hour), Value::Int(c.minute), Value::Int(c.second)}));
    });
  });
  Add(r, "time.weekday", 1, [](const Args& a) {
    return WithTime(a[0], "time.weekday", false, [](const TimeArg& t) {
      return BuiltinOut::Of(Value::String(kDays[ToCivil(t.ns, *t.zone).weekday]));
    });
  });
  Add(r, "time.format", 1, [](const Args& a) {
    return WithTime(a[0], "time.format", true, [](const TimeArg& t) {
      return BuiltinOut::Of(Value::String(Format(ToCivil(t.ns, *t.zone), Tokenize(NamedLayout(t.layout)))));
    });
  });
  Add(r, "time.add_date", 4, [](const Args& a) {
    for (int i = 0; i < 4; ++i) {
      if (!a[static_cast<size_t>(i)].is_int()) {
        return BuiltinOut::TypeError(OperandError("time.add_date", i + 1, "integer number", a[static_cast<size_t>(i)]));
      }
    }
    Civil c = ToCivil(a[0].as_int(), *LoadZone(""));
    auto ns = FromCivil(c.year + a[1].as_int(), c.month + a[2].as_int(), c.day + a[3].as_int(), c.hour, c.minute,
                        c.second, c.nanos, 0);
    if (!ns) return BuiltinOut::Error("time outside of valid range");
    return BuiltinOut::Of(Value::Int(*ns));
  });
  Add(r, "time.diff", 2, [](const Args& a) {
    auto t1 = ReadTime(a[0], "time.diff", false);
    if (auto* err = std::get_if<BuiltinOut>(&t1)) return *err;
    auto t2 = ReadTime(a[1], "time.diff", false);
    if (auto* err = std::get_if<BuiltinOut>(&t2)) return *err;
    // Both in the first argument's zone, earlier first; fields borrow like Go's time.Date.
    const Zone& zone = *std::get<TimeArg>(t1).zone;
    int64_t x = std::get<TimeArg>(t1).ns, y = std::get<TimeArg>(t2).ns;
    if (x > y) std::swap(x, y);
    Civil c1 = ToCivil(x, zone), c2 = ToCivil(y, zone);
    int64_t years = c2.year - c1.year, months = c2.month - c1.month, days = c2.day - c1.day, hours = c2.hour - c1.hour,
            minutes = c2.minute - c1.minute, seconds = c2.second - c1.second;
    if (seconds < 0) seconds += 60, --minutes;
    if (minutes < 0) minutes += 60, --hours;
    if (hours < 0) hours += 24, --days;
    if (days < 0) days += DaysIn(c1.year, c1.month), --months;
    if (months < 0) months += 12, --years;
    return BuiltinOut::Of(Value::MakeArray({Value::Int(years), Value::Int(months), Value::Int(days), Value::Int(hours),
                                            Value::Int(minutes), Value::Int(seconds)}));
  });
}

}  // namespace oep::rego
