// The protobuf wire reader: each wire type, and each malformation refused with its offset.
#include <catch2/catch.hpp>

#include "protobuf/wire.h"
#include "support/protobuf_maker.h"

using namespace oep;
using namespace oep::protobuf;
using oep::test::Pb;

namespace {

// Every field of `bytes` as "number:type:value|len" lines, or the error message.
std::string Dump(std::string_view bytes, const Limits& limits = {}) {
  Reader r(bytes, limits);
  std::string out;
  Field f;
  while (true) {
    auto more = r.Next(&f);
    if (!more.ok()) return out + "error: " + more.status().message();
    if (!*more) return out;
    out += std::to_string(f.number) + ":" + WireTypeName(f.type) + ":" +
           (f.type == WireType::kLen ? "'" + std::string(f.bytes) + "'" : std::to_string(f.value)) + "@" +
           std::to_string(f.offset) + "\n";
  }
}

}  // namespace

TEST_CASE("the wire reader reads varint and 64-bit and length-delimited and 32-bit fields in order", "[protobuf]") {
  Pb m;
  m.Varint(1, 150).Fixed64(2, 0x0102030405060708ull).Len(3, "abc").Tag(4, 5).Raw(std::string("\x01\0\0\0", 4));
  m.Varint(536870911, UINT64_MAX);
  CHECK(Dump(m.bytes) ==
        "1:varint:150@0\n2:64-bit:72623859790382856@3\n3:length-delimited:'abc'@12\n4:32-bit:1@17\n"
        "536870911:varint:18446744073709551615@22\n");
  CHECK(Dump("") == "");
}

TEST_CASE("malformed wire data is refused with what and where", "[protobuf][bad-input]") {
  CHECK(Dump(std::string("\x08\x96", 2)) == "error: truncated varint (the message ends inside it) at byte 1");
  CHECK(Dump(std::string("\x08\x96\x01\x88", 4)) ==
        "1:varint:150@0\nerror: truncated varint (the message ends inside it) at byte 3");
  CHECK(Dump(std::string("\x08") + std::string(10, '\xff') + "\x01") ==
        "error: varint longer than 10 bytes or past 64 bits at byte 1");
  CHECK(Dump(std::string("\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", 11)) ==
        "error: varint longer than 10 bytes or past 64 bits at byte 1");
  CHECK(Dump(std::string("\x1a\x05" "ab", 4)) ==
        "error: length 5 of field 3 past the end of its message (2 bytes left) at byte 0");
  CHECK(Dump(std::string("\x1a\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 10)) ==
        "error: length 9223372036854775807 of field 3 past the end of its message (0 bytes left) at byte 0");
  CHECK(Dump(std::string("\x11\x01\x02", 3)) == "error: truncated 64-bit value of field 2 at byte 0");
  CHECK(Dump(std::string("\x15\x01", 2)) == "error: truncated 32-bit value of field 2 at byte 0");
  CHECK(Dump(std::string("\x0b", 1)) == "error: wire type 3 of field 1 (expected 0, 1, 2 or 5; groups are not read) at byte 0");
  CHECK(Dump(std::string("\x0e", 1)) == "error: wire type 6 of field 1 (expected 0, 1, 2 or 5; groups are not read) at byte 0");
  CHECK(Dump(std::string("\x00\x01", 2)) == "error: field number 0 (expected 1 to 536870911) at byte 0");
}

TEST_CASE("an embedded message is read with offsets from the outermost buffer and a depth limit", "[protobuf][bad-input]") {
  Pb inner;
  inner.Varint(7, 1).Len(8, "x");
  Pb outer;
  outer.Varint(1, 5).Msg(2, inner);
  Reader r(outer.bytes);
  Field f;
  REQUIRE(*r.Next(&f));
  CHECK_FALSE(r.Embedded(f).ok());  // a varint is no message
  CHECK(r.Embedded(f).status().message() ==
        "field 1: expected wire type 2 (length-delimited), found 0 (varint) at byte 0");
  REQUIRE(*r.Next(&f));
  auto in = r.Embedded(f);
  REQUIRE(in.ok());
  CHECK(in->depth() == 1);
  REQUIRE(*in->Next(&f));
  CHECK(f.offset == 4);
  REQUIRE(*in->Next(&f));
  CHECK(f.offset == 6);
  CHECK(f.bytes == "x");

  // 5 nested messages pass a limit of 5; a sixth is refused where its field starts.
  Pb deep;
  for (int i = 0; i < 6; ++i) {
    Pb wrap;
    wrap.Msg(1, deep);
    deep = wrap;
  }
  Limits limits;
  limits.max_depth = 5;
  Reader top(deep.bytes, limits);
  Reader at = top;
  Status refused;
  for (int level = 0; level < 6; ++level) {
    REQUIRE(*at.Next(&f));
    auto next = at.Embedded(f);
    if (!next.ok()) {
      refused = next.status();
      CHECK(level == 5);
      break;
    }
    at = *next;
  }
  CHECK(refused.message() == "messages nested deeper than 5 at byte 10");
}

TEST_CASE("UTF-8 validity as proto3 strings need it", "[protobuf]") {
  CHECK(IsValidUtf8(""));
  CHECK(IsValidUtf8("plain \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  CHECK(IsValidUtf8(std::string("nul \0 inside", 12)));
  CHECK_FALSE(IsValidUtf8("\xc3"));              // truncated
  CHECK_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong
  CHECK_FALSE(IsValidUtf8("\xe0\x80\xaf"));      // overlong
  CHECK_FALSE(IsValidUtf8("\xed\xa0\x80"));      // a surrogate
  CHECK_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // past U+10FFFF
  CHECK_FALSE(IsValidUtf8("\x80"));
}
