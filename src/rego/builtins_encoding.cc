// base64.*, base64url.*, hex.*.
#include <cstdio>

#include "json/json.h"
#include "rego/builtins.h"

namespace oep::rego {
namespace {

using Args = std::vector<Value>;

void Add(Registry& r, const std::string& name, int arity, BuiltinFn fn) { r[name] = Builtin{arity, std::move(fn)}; }

const char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

}  // namespace

std::optional<std::string> Base64Decode(std::string_view in, bool url, size_t* bad_byte) {
  // Go's decoder: line breaks are skipped; the standard alphabet needs '=' padding to a
  // multiple of 4, the URL one pads implicitly. Errors name the offset of the bad quantum.
  auto fail = [&](size_t at) -> std::optional<std::string> {
    if (bad_byte) *bad_byte = at;
    return std::nullopt;
  };
  std::string out;
  uint32_t n = 0;
  int count = 0, pads = 0;
  size_t quantum_start = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '\r' || c == '\n') continue;
    if (count == 0) quantum_start = i;
    if (url) c = c == '-' ? '+' : (c == '_' ? '/' : c);
    const char* p = c ? std::strchr(kB64, c) : nullptr;
    if (c == '=') {
      if (count < 2) return fail(i);
      ++pads;
      n <<= 6;
    } else if (p && !pads) {
      n = (n << 6) | static_cast<uint32_t>(p - kB64);
    } else {
      return fail(i);
    }
    if (++count == 4) {
      out += static_cast<char>((n >> 16) & 255);
      if (pads < 2) out += static_cast<char>((n >> 8) & 255);
      if (pads < 1) out += static_cast<char>(n & 255);
      if (pads) {
        for (size_t j = i + 1; j < in.size(); ++j) {
          if (in[j] != '\r' && in[j] != '\n') return fail(j);
        }
        return out;
      }
      n = 0;
      count = 0;
    }
  }
  if (count == 0) return out;
  if (!url || count == 1 || pads) return fail(quantum_start);
  n <<= 6 * (4 - count);  // URL alphabet without padding: the last quantum is short
  out += static_cast<char>((n >> 16) & 255);
  if (count == 3) out += static_cast<char>((n >> 8) & 255);
  return out;
}


std::string Base64Encode(const std::string& in, bool url, bool pad) {
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t n = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) | static_cast<unsigned char>(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += kB64[(n >> s) & 63];
  }
  if (i < in.size()) {
    uint32_t n = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) n |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += kB64[(n >> 18) & 63];
    out += kB64[(n >> 12) & 63];
    if (i + 1 < in.size()) out += kB64[(n >> 6) & 63];
    else if (pad) out += '=';
    if (pad) out += '=';
  }
  if (url) for (auto& c : out) c = c == '+' ? '-' : (c == '/' ? '_' : c);
  return out;
}

void RegisterEncodingBuiltins(Registry& r) {
  struct B64 {
    const char* name;
    bool url, pad, encode;
  };
  for (B64 b : {B64{"base64.encode", false, true, true}, B64{"base64.decode", false, true, false},
                B64{"base64url.encode", true, true, true}, B64{"base64url.decode", true, true, false},
                B64{"base64url.encode_no_pad", true, false, true}}) {
    std::string n = b.name;
    Add(r, n, 1, [n, b](const Args& a) {
      if (!a[0].is_string()) return BuiltinOut::TypeError(OperandError(n, 1, "string", a[0]));
      if (b.encode) return BuiltinOut::Of(Value::String(Base64Encode(a[0].str(), b.url, b.pad)));
      auto d = Base64Decode(a[0].str(), b.url);
      if (!d) return BuiltinOut::Error("illegal base64 data");
      return BuiltinOut::Of(Value::String(*d));
    });
  }
  Add(r, "base64.is_valid", 1, [](const Args& a) {
    if (!a[0].is_string()) return BuiltinOut::TypeError(OperandError("base64.is_valid", 1, "string", a[0]));
    return BuiltinOut::Of(Value::Bool(Base64Decode(a[0].str(), false).has_value()));
  });
  Add(r, "hex.encode", 1, [](const Args& a) {
    if (!a[0].is_string()) return BuiltinOut::TypeError(OperandError("hex.encode", 1, "string", a[0]));
    std::string out;
    char buf[4];
    for (unsigned char c : a[0].str()) {
      std::snprintf(buf, sizeof buf, "%02x", c);
      out += buf;
    }
    return BuiltinOut::Of(Value::String(out));
  });
  Add(r, "hex.decode", 1, [](const Args& a) {
    if (!a[0].is_string()) return BuiltinOut::TypeError(OperandError("hex.decode", 1, "string", a[0]));
    const std::string& s = a[0].str();
    auto nib = [](char c) { return std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1; };
    for (char c : s) {
      if (nib(c) >= 0) continue;
      char code[16];
      std::snprintf(code, sizeof code, "U+%04X", static_cast<unsigned char>(c));
      return BuiltinOut::Error(std::string("encoding/hex: invalid byte: ") + code + " '" + c + "'");
    }
    if (s.size() % 2) return BuiltinOut::Error("encoding/hex: odd length hex string");
    std::string out;
    for (size_t i = 0; i < s.size(); i += 2) out += static_cast<char>(nib(s[i]) * 16 + nib(s[i + 1]));
    return BuiltinOut::Of(Value::String(out));
  });
}

}  // namespace oep::rego
