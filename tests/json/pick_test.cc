#include <catch2/catch.hpp>

#include "json/pick.h"

using oep::json::Picked;
using oep::json::PickFields;

TEST_CASE("PickFields reads member values by dotted path without a document", "[json][pick]") {
  std::vector<Picked> out;
  REQUIRE(PickFields(R"({"a":"x","b":{"c":1.5,"d":[{"c":9}],"e":{"f":"deep"}},"g":[1,2],"h":null,"i":{"j":2}})",
                     {"a", "b.c", "b.e.f", "b.d", "b.d.c", "g", "h", "i.j", "missing", "b.e"}, &out));
  CHECK((out[0].is_string && out[0].text == "x"));
  CHECK((out[1].is_number && out[1].number == 1.5));
  CHECK(out[2].text == "deep");
  CHECK((out[3].found && !out[3].is_string && !out[3].is_number));  // an array
  CHECK_FALSE(out[4].found);  // inside an array: never matched
  CHECK(out[5].found);
  CHECK((out[6].found && !out[6].is_number));
  CHECK(out[7].number == 2);  // after a nested container the path is restored
  CHECK_FALSE(out[8].found);
  CHECK(out[9].found);
  CHECK_FALSE(PickFields("{\"a\":", {"a"}, &out));
  CHECK_FALSE(PickFields("", {"a"}, &out));
  // Keys after arrays of objects in arrays keep their place.
  REQUIRE(PickFields(R"({"x":[[{"y":1}],[2]],"z":"after"})", {"z", "x.y"}, &out));
  CHECK(out[0].text == "after");
  CHECK_FALSE(out[1].found);
}

TEST_CASE("PickFields reads a deeply nested text without exhausting the stack", "[json][pick]") {
  std::string deep = "{\"a\":" + std::string(200000, '[') + std::string(200000, ']') + ",\"b\":\"end\"}";
  std::vector<Picked> out;
  REQUIRE(PickFields(deep, {"b"}, &out));
  CHECK(out[0].text == "end");
  std::string objects;
  for (int i = 0; i < 100000; ++i) objects += "{\"k\":";
  objects += "1" + std::string(100000, '}');
  REQUIRE(PickFields(objects, {"k.k"}, &out));
  CHECK_FALSE(out[0].is_number);  // k.k is an object here
}
