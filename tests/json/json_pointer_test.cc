// RFC 6901 pointer segments.
#include <catch2/catch.hpp>

#include "json/json_pointer.h"

using oep::json::SplitPointer;
using V = std::vector<std::string>;

TEST_CASE("JSON pointers split into unescaped segments per RFC 6901", "[json]") {
  CHECK(SplitPointer("") == V{});
  CHECK(SplitPointer("/") == V{""});
  CHECK(SplitPointer("/a/b~1c") == V{"a", "b/c"});
  CHECK(SplitPointer("/m~0n") == V{"m~n"});
  CHECK(SplitPointer("/~01") == V{"~1"});  // ~0 first, then a literal 1: not "/"
  CHECK(SplitPointer("/a//b") == V{"a", "", "b"});
  CHECK(SplitPointer("a/b") == V{"a", "b"});
  CHECK(SplitPointer("/~2") == V{"~2"});  // not an escape: kept as it is
}
