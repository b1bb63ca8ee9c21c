#include "util/display_text.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include <sys/ioctl.h>
#include <unistd.h>

namespace oep {
namespace {

// Decodes one UTF-8 code point at `s[i]`; returns its length, 0 when the bytes there are
// not valid UTF-8 (overlong forms, surrogates and values past U+10FFFF included).
size_t DecodeUtf8(std::string_view s, size_t i, char32_t* cp) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char b0 = byte(i);
  if (b0 < 0x80) {
    *cp = b0;
    return 1;
  }
  size_t len = b0 >= 0xF0 && b0 <= 0xF4 ? 4 : b0 >= 0xE0 ? 3 : b0 >= 0xC2 && b0 <= 0xDF ? 2 : 0;
  if (len == 0 || i + len > s.size() || (len == 3 && b0 > 0xEF)) return 0;
  char32_t v = b0 & (0xFF >> (len + 1));
  for (size_t k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    v = (v << 6) | (byte(i + k) & 0x3F);
  }
  if ((len == 3 && v < 0x800) || (len == 4 && (v < 0x10000 || v > 0x10FFFF)) || (v >= 0xD800 && v <= 0xDFFF)) return 0;
  *cp = v;
  return len;
}

bool In(char32_t c, char32_t lo, char32_t hi) { return c >= lo && c <= hi; }

int CodePointWidth(char32_t c) {
  if (In(c, 0x0300, 0x036F) || In(c, 0x200B, 0x200F) || In(c, 0x20D0, 0x20FF) || In(c, 0xFE00, 0xFE0F) ||
      In(c, 0xFE20, 0xFE2F) || c == 0x2060 || c == 0xFEFF) {
    return 0;
  }
  if (In(c, 0x1100, 0x115F) || (In(c, 0x2E80, 0xA4CF) && c != 0x303F) || In(c, 0xAC00, 0xD7A3) ||
      In(c, 0xF900, 0xFAFF) || In(c, 0xFE30, 0xFE4F) || In(c, 0xFF00, 0xFF60) || In(c, 0xFFE0, 0xFFE6) ||
      In(c, 0x1F300, 0x1F64F) || In(c, 0x1F900, 0x1F9FF) || In(c, 0x20000, 0x3FFFD)) {
    return 2;
  }
  return 1;
}

bool NeedsEscape(char32_t c) {
  return c < 0x20 || c == 0x7F || In(c, 0x80, 0x9F) || In(c, 0x202A, 0x202E) || In(c, 0x2066, 0x2069) ||
         c == 0x2028 || c == 0x2029;
}

}  // namespace

size_t DisplayWidth(std::string_view text) {
  size_t width = 0;
  for (size_t i = 0; i < text.size();) {
    char32_t cp = 0;
    size_t len = DecodeUtf8(text, i, &cp);
    if (len == 0) {
      ++width;
      ++i;
      continue;
    }
    width += CodePointWidth(cp);
    i += len;
  }
  return width;
}

std::string EscapeForTerminal(std::string_view text, bool keep_newlines) {
  std::string out;
  out.reserve(text.size());
  char buf[16];
  for (size_t i = 0; i < text.size();) {
    char32_t cp = 0;
    size_t len = DecodeUtf8(text, i, &cp);
    if (len == 0) {
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(text[i]));
      out += buf;
      ++i;
      continue;
    }
    if (keep_newlines && (cp == '\n' || cp == '\\')) {
      out += static_cast<char>(cp);
    } else if (cp == '\\') {
      out += "\\\\";
    } else if (cp < 0x80 && NeedsEscape(cp)) {
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(cp));
      out += buf;
    } else if (In(cp, 0x80, 0x9F)) {
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(cp));  // C1 control as its code
      out += buf;
    } else if (NeedsEscape(cp)) {
      std::snprintf(buf, sizeof buf, "\\u{%04X}", static_cast<unsigned>(cp));
      out += buf;
    } else {
      out.append(text.substr(i, len));
    }
    i += len;
  }
  return out;
}

std::string Truncate(std::string_view text, size_t width) {
  if (DisplayWidth(text) <= width) return std::string(text);
  if (width == 0) return "";
  std::string out;
  size_t used = 0;
  for (size_t i = 0; i < text.size();) {
    char32_t cp = 0;
    size_t len = DecodeUtf8(text, i, &cp);
    size_t w = len == 0 ? 1 : CodePointWidth(cp);
    if (len == 0) len = 1;
    if (used + w > width - 1) break;
    out.append(text.substr(i, len));
    used += w;
    i += len;
  }
  return out + "…";
}

std::vector<std::string> WrapText(std::string_view text, size_t width) {
  std::vector<std::string> lines;
  if (width == 0) width = 1;
  std::string line;
  size_t line_width = 0;
  auto flush = [&] {
    lines.push_back(line);
    line.clear();
    line_width = 0;
  };
  size_t i = 0;
  while (i < text.size()) {
    size_t end = text.find(' ', i);
    if (end == std::string_view::npos) end = text.size();
    std::string_view word = text.substr(i, end - i);
    i = end + 1;
    if (word.empty()) continue;
    size_t w = DisplayWidth(word);
    if (line_width > 0 && line_width + 1 + w <= width) {
      line += ' ';
      line.append(word);
      line_width += 1 + w;
      continue;
    }
    if (line_width > 0) flush();
    line.assign(word);
    line_width = w;
  }
  if (!line.empty() || lines.empty()) flush();
  return lines;
}

size_t OutputColumns(int fd) {
  if (const char* env = std::getenv("COLUMNS"); env != nullptr && *env != '\0') {
    char* end = nullptr;
    long n = std::strtol(env, &end, 10);
    if (*end == '\0' && n >= 20 && n <= 10000) return static_cast<size_t>(n);
  }
  struct winsize ws {};
  if (::isatty(fd) == 1 && ::ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20) return ws.ws_col;
  return SIZE_MAX;
}

}  // namespace oep
