// OTLP's protobuf encoding read into OTLP/JSON, and `oep import otlp` of binary files: the
// same spans give the same stored records as their JSON encoding.
#include <limits>

#include <catch2/catch.hpp>

#include "importers/otlp_protobuf.h"
#include "json/json.h"
#include "server/server_fixture.h"
#include "store/store.h"
#include "support/gzip_maker.h"
#include "support/protobuf_maker.h"
#include "support/store_backends.h"

using namespace oep;
using namespace oep::test;

namespace {

const std::string kTrace = "5b8efff798038103d269b633813fc60c";

// The spans of tests/data/otlp/genai_traces.jsonl as one protobuf request, with fields the
// importer skips (scope, events, flags, an unknown field) in between.
std::string GenAiProtobuf() {
  Pb status;
  status.Varint(3, 1);
  Pb chat;
  chat.Len(1, HexBytes(kTrace)).Len(2, HexBytes("eee19b7ec3c1b174")).Len(5, "chat gpt-4o").Varint(6, 3);
  chat.Fixed64(7, 1764662400000000000ull).Fixed64(8, 1764662401000000000ull);
  chat.Msg(9, KeyValue("gen_ai.operation.name", StringValue("chat")));
  chat.Msg(9, KeyValue("gen_ai.request.model", StringValue("gpt-4o")));
  chat.Msg(9, KeyValue("gen_ai.usage.input_tokens", IntValue(10)));
  chat.Msg(11, Pb().Fixed64(1, 1).Len(2, "an event"));  // events: skipped
  chat.Msg(9, KeyValue("gen_ai.usage.output_tokens", IntValue(5)));
  chat.Msg(15, status).Tag(16, 5).Raw(std::string("\x01\0\0\0", 4)).Varint(999, 7);
  Pb tool;
  tool.Len(1, HexBytes(kTrace)).Len(2, HexBytes("eee19b7ec3c1b175")).Len(4, HexBytes("eee19b7ec3c1b174"));
  tool.Len(5, "execute_tool lookup_order").Varint(6, 3).Fixed64(7, 1764662400000000000ull);
  tool.Fixed64(8, 1764662401000000000ull).Msg(9, KeyValue("gen_ai.operation.name", StringValue("execute_tool")));
  tool.Msg(9, KeyValue("gen_ai.tool.name", StringValue("lookup_order"))).Msg(15, status);
  return OtlpRequest("support-bot", Pb().Msg(2, chat).Msg(2, tool).bytes).bytes;
}


}  // namespace

TEST_CASE("an OTLP protobuf request reads into its OTLP JSON form", "[import][otlp][protobuf]") {
  auto doc = OtlpProtobufToJson(GenAiProtobuf());
  REQUIRE(doc.ok());
  const auto& span = (*doc)["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
  CHECK(json::CanonicalText(span) ==
        "{\"attributes\":[{\"key\":\"gen_ai.operation.name\",\"value\":{\"stringValue\":\"chat\"}},{\"key\":"
        "\"gen_ai.request.model\",\"value\":{\"stringValue\":\"gpt-4o\"}},{\"key\":\"gen_ai.usage.input_tokens\","
        "\"value\":{\"intValue\":\"10\"}},{\"key\":\"gen_ai.usage.output_tokens\",\"value\":{\"intValue\":\"5\"}}],"
        "\"endTimeUnixNano\":\"1764662401000000000\",\"kind\":3,\"name\":\"chat gpt-4o\",\"spanId\":\"eee19b7ec3c1b174\","
        "\"startTimeUnixNano\":\"1764662400000000000\",\"status\":{\"code\":1},\"traceId\":\"" + kTrace + "\"}");
  CHECK(json::CanonicalText((*doc)["resourceSpans"][0]["resource"]) ==
        "{\"attributes\":[{\"key\":\"service.name\",\"value\":{\"stringValue\":\"support-bot\"}}]}");
}

TEST_CASE("every AnyValue kind reads as OTLP JSON writes it", "[import][otlp][protobuf]") {
  Pb array;
  array.Msg(1, IntValue(-3)).Msg(1, Pb().Varint(2, 1));
  Pb kvlist;
  kvlist.Msg(1, KeyValue("inner", Pb().Double(4, 0.5)));
  Pb span;
  span.Len(1, HexBytes(kTrace)).Len(2, HexBytes("eee19b7ec3c1b174")).Fixed64(7, 1);
  span.Msg(9, KeyValue("a", Pb().Msg(5, array))).Msg(9, KeyValue("k", Pb().Msg(6, kvlist)));
  span.Msg(9, KeyValue("b", Pb().Len(7, "\x01\x02"))).Msg(9, KeyValue("n", Pb().Double(4, std::numeric_limits<double>::quiet_NaN())));
  span.Msg(9, KeyValue("last", StringValue("first").Varint(2, 0)));  // a oneof: the last field counts
  auto doc = OtlpProtobufToJson(OtlpRequest("s", Pb().Msg(2, span).bytes).bytes);
  REQUIRE(doc.ok());
  CHECK(json::CanonicalText((*doc)["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["attributes"]) ==
        "[{\"key\":\"a\",\"value\":{\"arrayValue\":{\"values\":[{\"intValue\":\"-3\"},{\"boolValue\":true}]}}},"
        "{\"key\":\"k\",\"value\":{\"kvlistValue\":{\"values\":[{\"key\":\"inner\",\"value\":{\"doubleValue\":0.5}}]}}},"
        "{\"key\":\"b\",\"value\":{\"bytesValue\":\"AQI=\"}},{\"key\":\"n\",\"value\":{\"doubleValue\":\"NaN\"}},"
        "{\"key\":\"last\",\"value\":{\"boolValue\":false}}]");
}

TEST_CASE("bad OTLP protobuf is refused naming the field's pointer and byte", "[import][otlp][protobuf][bad-input]") {
  std::string good = GenAiProtobuf();
  auto error = [](const std::string& bytes) {
    auto doc = OtlpProtobufToJson(bytes);
    REQUIRE_FALSE(doc.ok());
    return doc.status().message();
  };
  CHECK(error(good.substr(0, good.size() - 3)).rfind("/: length ", 0) == 0);  // the outer length passes the end
  CHECK(error(std::string("\x0a\x02\x12\x85", 4)) ==
        "/resourceSpans/0: truncated varint (the message ends inside it) at byte 3");
  Pb short_id;
  short_id.Len(1, "\x01\x02\x03");
  CHECK(error(OtlpRequest("s", Pb().Msg(2, short_id).bytes).bytes).find(
            "/resourceSpans/0/scopeSpans/0/spans/0/traceId: expected 16 bytes, not all zero, found 3 at byte ") == 0);
  Pb wrong;
  wrong.Varint(5, 1);  // name as a varint
  CHECK(error(OtlpRequest("s", Pb().Msg(2, wrong).bytes).bytes).find(
            "/resourceSpans/0/scopeSpans/0/spans/0/name: field 5: expected wire type 2 (length-delimited), found 0 "
            "(varint) at byte ") == 0);
  Pb bad_text;
  bad_text.Len(5, "\xff");
  CHECK(error(OtlpRequest("s", Pb().Msg(2, bad_text).bytes).bytes).find("/spans/0/name: expected UTF-8 text") !=
        std::string::npos);
  Pb deep = IntValue(1);
  for (int i = 0; i < 40; ++i) deep = Pb().Msg(5, Pb().Msg(1, deep));
  Pb nested;
  nested.Msg(9, KeyValue("deep", deep));
  CHECK(error(OtlpRequest("s", Pb().Msg(2, nested).bytes).bytes).find("messages nested deeper than 64 at byte ") !=
        std::string::npos);
}

TEST_CASE("a binary OTLP file imports as the same records as its JSON Lines gzip or not", "[import][otlp][protobuf]") {
  ScratchDir dir;
  std::string backend = GENERATE(from_range(StoreBackends()));
  std::string from_json = NewStoreUrl(backend, dir), from_pb = NewStoreUrl(backend, dir);
  REQUIRE(RunOep({"import", "otlp", RepoRoot() + "/tests/data/otlp/genai_traces.jsonl", "--store", from_json}).exit_code == 0);
  WriteText(dir / "traces.binpb", GenAiProtobuf());
  RunResult r = RunOep({"import", "otlp", dir / "traces.binpb", "--store", from_pb});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("1 requests, 2 spans: 2 stored, 0 already stored; 1 new runs"));
  std::string steps = StoredRunSteps(from_pb, kTrace);
  CHECK(steps == StoredRunSteps(from_json, kTrace));
  CHECK(steps.find("\"event_type\":\"tool_call.completed\"") != std::string::npos);
  std::string before = StoreDigest(from_pb);
  WriteText(dir / "traces.binpb.gz", GzipMember(GenAiProtobuf()));
  RunResult again = RunOep({"import", "otlp", dir / "traces.binpb.gz", "--store", from_pb});
  CHECK_THAT(again.out, Catch::Contains("0 stored, 2 already stored; 0 new runs"));
  CHECK(StoreDigest(from_pb) == before);
  CHECK(RunOep({"verify", "--chain", "--store", from_pb}).exit_code == 0);
  CHECK(RunOep({"verify", "--store", from_pb}).exit_code == 0);  // the steps join their run
}

TEST_CASE("a bad binary OTLP file stores nothing and names the file and pointer and byte", "[import][otlp][protobuf][bad-input]") {
  ScratchDir dir;
  std::string state = NewStoreUrl(GENERATE(from_range(StoreBackends())), dir);
  REQUIRE(RunOep({"import", "otlp", RepoRoot() + "/tests/data/otlp/genai_traces.jsonl", "--store", state}).exit_code == 0);
  std::string before = StoreDigest(state);
  std::string good = GenAiProtobuf();
  WriteText(dir / "cut.binpb", good.substr(0, good.size() - 1));
  RunResult r = RunOep({"import", "otlp", dir / "cut.binpb", "--store", state});
  CHECK(r.exit_code != 0);
  CHECK_THAT(r.err, Catch::Contains(dir / "cut.binpb" + " (OTLP protobuf): /: length "));
  CHECK_THAT(r.err, Catch::Contains("past the end of its message"));
  CHECK(StoreDigest(state) == before);
}

TEST_CASE("every truncation and byte flip of a protobuf request is read or refused and never crashes", "[import][otlp][protobuf][bad-input]") {
  std::string good = GenAiProtobuf();
  int refused = 0, read = 0;
  auto check = [&](const std::string& bytes) {
    auto doc = OtlpProtobufToJson(bytes);
    if (doc.ok()) {
      ++read;
      CHECK(doc->IsObject());
    } else {
      ++refused;
      CHECK(doc.status().code() == StatusCode::kInvalidArgument);
      CHECK(doc.status().message().find(" at byte ") != std::string::npos);
    }
  };
  for (size_t n = 0; n < good.size(); ++n) check(good.substr(0, n));
  for (size_t i = 0; i < good.size(); ++i) {
    for (char mask : {'\x01', '\x80', '\xff'}) {
      std::string flipped = good;
      flipped[i] = static_cast<char>(flipped[i] ^ mask);
      check(flipped);
    }
  }
  CHECK(refused > 0);
  CHECK(read > 0);  // a flipped byte inside a string or a fixed64 still reads
}
