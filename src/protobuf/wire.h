// Protocol Buffers wire format, read (https://protobuf.dev/programming-guides/encoding/):
// a message is a sequence of fields, each a tag varint (field_number << 3 | wire_type)
// followed by its value:
//   0 VARINT  base-128 varint, least significant group first, at most 10 bytes
//   1 I64     8 bytes little-endian (fixed64, sfixed64, double)
//   2 LEN     a varint length, then that many bytes (string, bytes, embedded message,
//             packed repeated)
//   5 I32     4 bytes little-endian (fixed32, sfixed32, float)
// Wire types 3 and 4 (groups, deprecated) and 6, 7 are refused, and so is field number 0.
// Every read is bounds-checked against the enclosing message; nothing is copied.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "util/status.h"

namespace oep::protobuf {

enum class WireType : uint8_t { kVarint = 0, kI64 = 1, kLen = 2, kI32 = 5 };

// "varint", "64-bit", "length-delimited" or "32-bit".
const char* WireTypeName(WireType t);

struct Field {
  uint32_t number = 0;
  WireType type = WireType::kVarint;
  uint64_t value = 0;      // kVarint, kI64 and kI32: the raw bits
  std::string_view bytes;  // kLen: the payload, inside the reader's buffer
  size_t offset = 0;       // where the field's tag starts, from the start of the outermost buffer
};

struct Limits {
  int max_depth = 64;  // messages nested in the outermost one (the outermost is depth 0)
};

// Reads the fields of one message in order. Errors are InvalidArgument "<what> at byte N"
// (N counted from the start of the outermost buffer), for the caller to prefix with where.
class Reader {
 public:
  explicit Reader(std::string_view message, const Limits& limits = {}) : Reader(message, 0, 0, limits) {}

  // The next field into *f: true, or false at the end of the message. A truncated or
  // over-long varint, a length past the end of the message, a refused wire type or field
  // number 0 is an error; after one the reader stays at the end.
  Result<bool> Next(Field* f);

  // A reader of the message embedded in `f` (a kLen field read by this reader); refused
  // when `f` is not length-delimited or the nesting passes Limits::max_depth.
  Result<Reader> Embedded(const Field& f) const;

  int depth() const { return depth_; }

 private:
  Reader(std::string_view message, size_t base, int depth, const Limits& limits)
      : data_(message), base_(base), depth_(depth), limits_(limits) {}
  Status Varint(uint64_t* out);

  std::string_view data_;
  size_t pos_ = 0;
  size_t base_;  // offset of data_[0] in the outermost buffer
  int depth_;
  Limits limits_;
};

// InvalidArgument "expected <want> (wire type N), found <f's wire type> at byte M" unless
// `f` has wire type `want`.
Status ExpectWireType(const Field& f, WireType want);

// A double's or a float's bits as the value.
double AsDouble(const Field& f);

// True when `s` is valid UTF-8 (what proto3 requires of a string field).
bool IsValidUtf8(std::string_view s);

}  // namespace oep::protobuf
