#include "protobuf/wire.h"

#include <cstring>

namespace oep::protobuf {
namespace {

Status At(const std::string& what, size_t offset) {
  return Status::InvalidArgument(what + " at byte " + std::to_string(offset));
}

}  // namespace

const char* WireTypeName(WireType t) {
  switch (t) {
    case WireType::kVarint: return "varint";
    case WireType::kI64: return "64-bit";
    case WireType::kLen: return "length-delimited";
    case WireType::kI32: return "32-bit";
  }
  return "?";
}

Status Reader::Varint(uint64_t* out) {
  uint64_t v = 0;
  size_t start = pos_;
  for (int i = 0; i < 10; ++i) {
    if (pos_ >= data_.size()) {
      pos_ = data_.size();
      return At("truncated varint (the message ends inside it)", base_ + start);
    }
    auto b = static_cast<uint8_t>(data_[pos_++]);
    if (i == 9 && b > 1) break;  // a tenth byte holds only bit 63
    v |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
    if ((b & 0x80) == 0) {
      *out = v;
      return Status::Ok();
    }
  }
  pos_ = data_.size();
  return At("varint longer than 10 bytes or past 64 bits", base_ + start);
}

Result<bool> Reader::Next(Field* f) {
  if (pos_ >= data_.size()) return false;
  size_t start = pos_;
  uint64_t tag = 0;
  OEP_RETURN_IF_ERROR(Varint(&tag));
  uint64_t number = tag >> 3;
  auto type = static_cast<uint8_t>(tag & 7);
  if (number == 0 || number > 536870911) {  // 2^29 - 1
    pos_ = data_.size();
    return At("field number " + std::to_string(number) + " (expected 1 to 536870911)", base_ + start);
  }
  f->number = static_cast<uint32_t>(number);
  f->offset = base_ + start;
  f->bytes = {};
  f->value = 0;
  auto fixed = [&](size_t n) -> Status {
    if (data_.size() - pos_ < n) {
      pos_ = data_.size();
      return At("truncated " + std::to_string(n * 8) + "-bit value of field " + std::to_string(number), base_ + start);
    }
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(data_[pos_ + i])) << (8 * i);
    pos_ += n;
    f->value = v;
    return Status::Ok();
  };
  switch (type) {
    case 0:
      f->type = WireType::kVarint;
      OEP_RETURN_IF_ERROR(Varint(&f->value));
      return true;
    case 1:
      f->type = WireType::kI64;
      OEP_RETURN_IF_ERROR(fixed(8));
      return true;
    case 5:
      f->type = WireType::kI32;
      OEP_RETURN_IF_ERROR(fixed(4));
      return true;
    case 2: {
      f->type = WireType::kLen;
      uint64_t n = 0;
      OEP_RETURN_IF_ERROR(Varint(&n));
      if (n > data_.size() - pos_) {
        size_t left = data_.size() - pos_;
        pos_ = data_.size();
        return At("length " + std::to_string(n) + " of field " + std::to_string(number) + " past the end of its message (" +
                      std::to_string(left) + " bytes left)",
                  base_ + start);
      }
      f->bytes = data_.substr(pos_, n);
      f->value = n;
      pos_ += n;
      return true;
    }
    default:
      pos_ = data_.size();
      return At("wire type " + std::to_string(type) + " of field " + std::to_string(number) +
                    " (expected 0, 1, 2 or 5; groups are not read)",
                base_ + start);
  }
}

Result<Reader> Reader::Embedded(const Field& f) const {
  OEP_RETURN_IF_ERROR(ExpectWireType(f, WireType::kLen));
  if (depth_ + 1 > limits_.max_depth) {
    return At("messages nested deeper than " + std::to_string(limits_.max_depth), f.offset);
  }
  size_t payload = static_cast<size_t>(f.bytes.data() - data_.data());
  return Reader(f.bytes, base_ + payload, depth_ + 1, limits_);
}

Status ExpectWireType(const Field& f, WireType want) {
  if (f.type == want) return Status::Ok();
  return At("field " + std::to_string(f.number) + ": expected wire type " + std::to_string(static_cast<int>(want)) +
                " (" + WireTypeName(want) + "), found " + std::to_string(static_cast<int>(f.type)) + " (" +
                WireTypeName(f.type) + ")",
            f.offset);
}

double AsDouble(const Field& f) {
  if (f.type == WireType::kI32) {
    auto bits = static_cast<uint32_t>(f.value);
    float x;
    std::memcpy(&x, &bits, sizeof x);
    return x;
  }
  double x;
  std::memcpy(&x, &f.value, sizeof x);
  return x;
}

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<uint8_t>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t n;
    uint32_t cp;
    if (c >= 0xc2 && c <= 0xdf) n = 1, cp = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef) n = 2, cp = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4) n = 3, cp = c & 0x07;
    else return false;
    if (s.size() - i <= n) return false;
    for (size_t k = 1; k <= n; ++k) {
      auto cc = static_cast<uint8_t>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

}  // namespace oep::protobuf
