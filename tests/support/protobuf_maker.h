// Test data: protobuf wire-format messages built field by field (the encoder the tests
// need to make valid and deliberately broken OTLP requests).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace oep::test {

inline void AppendVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

// A message: fields appended in call order.
struct Pb {
  std::string bytes;

  Pb& Tag(uint32_t field, int wire_type) {
    AppendVarint(&bytes, (uint64_t{field} << 3) | static_cast<uint64_t>(wire_type));
    return *this;
  }
  Pb& Varint(uint32_t field, uint64_t v) {
    Tag(field, 0);
    AppendVarint(&bytes, v);
    return *this;
  }
  Pb& Fixed64(uint32_t field, uint64_t v) {
    Tag(field, 1);
    for (int i = 0; i < 8; ++i) bytes.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    return *this;
  }
  Pb& Double(uint32_t field, double d) {
    uint64_t bits;
    std::memcpy(&bits, &d, sizeof bits);
    return Fixed64(field, bits);
  }
  Pb& Len(uint32_t field, std::string_view payload) {
    Tag(field, 2);
    AppendVarint(&bytes, payload.size());
    bytes.append(payload);
    return *this;
  }
  Pb& Msg(uint32_t field, const Pb& m) { return Len(field, m.bytes); }
  Pb& Raw(std::string_view b) {
    bytes.append(b);
    return *this;
  }
};

// OTLP messages (field numbers: src/importers/otlp_protobuf.h).
inline Pb StringValue(std::string_view s) { return Pb().Len(1, s); }
inline Pb IntValue(int64_t v) { return Pb().Varint(3, static_cast<uint64_t>(v)); }
inline Pb KeyValue(std::string_view key, const Pb& value) { return Pb().Len(1, key).Msg(2, value); }

// The bytes of lowercase hex `hex` (trace and span ids).
inline std::string HexBytes(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}

// ExportTraceServiceRequest {resource_spans: [{resource: {service.name}, scope_spans:
// [{scope: {name}, spans}]}]} with the spans' encodings appended as given.
inline Pb OtlpRequest(std::string_view service, const std::string& spans) {
  Pb scope;
  scope.Msg(1, Pb().Len(1, "genai")).Raw(spans);
  Pb resource_spans;
  resource_spans.Msg(1, Pb().Msg(1, KeyValue("service.name", StringValue(service)))).Msg(2, scope);
  return Pb().Msg(1, resource_spans);
}

}  // namespace oep::test
