// POST /v1/traces: OTLP/HTTP JSON spans with the GenAI conventions become runs and steps.
#include <algorithm>

#include <catch2/catch.hpp>

#include "json/json.h"
#include "store/store.h"
#include "support/gzip_maker.h"
#include "support/protobuf_maker.h"
#include "server/server_fixture.h"
#include "support/store_backends.h"

using namespace oep;
using namespace oep::test;

namespace {

const std::string kTrace = "4bf92f3577b34da6a3ce929d0e0e4736";

// An answer to a protobuf request: status, body and Content-Type.
struct ProtobufResult {
  int status = 0;
  std::string body, content_type;
};

ProtobufResult PostProtobuf(int port, const std::string& key, const std::string& body, const std::string& encoding) {
  httplib::Client client("127.0.0.1", port);
  httplib::Headers headers{{"Authorization", "Bearer " + key}};
  if (!encoding.empty()) headers.emplace("Content-Encoding", encoding);
  auto res = client.Post("/v1/traces", headers, body, "application/x-protobuf");
  ProtobufResult out;
  if (!res) return out;
  out.status = res->status;
  out.body = res->body;
  out.content_type = res->get_header_value("Content-Type");
  return out;
}

// A server on a fresh store of `backend`: the tests using it run on SQLite and PostgreSQL.
struct Served {
  ScratchDir dir;
  std::string backend, state = NewStoreUrl(backend, dir), server_key;
  std::string ingest = MakeKey(state, "acme", "ingest"), viewer = MakeKey(state, "acme", "viewer");
  TestServer server{state, dir.path(), ServerKeyFlags(state, dir.path(), &server_key)};
  explicit Served(std::string backend_name) : backend(std::move(backend_name)) {}
  HttpResult Export(const std::string& body) { return server.Post("/v1/traces", body, ingest); }
  // POST /v1/traces with Content-Type application/x-protobuf.
  ProtobufResult ExportProtobuf(const std::string& body, const std::string& encoding = "") {
    return PostProtobuf(server.port(), ingest, body, encoding);
  }
};


std::string Attr(const std::string& key, const std::string& any_value) {
  return "{\"key\":\"" + key + "\",\"value\":" + any_value + "}";
}

std::string Span(const std::string& span_id, const std::string& name, const std::string& attrs,
                 const std::string& status = "{\"code\":1}", const std::string& parent = "") {
  return "{\"traceId\":\"" + kTrace + "\",\"spanId\":\"" + span_id + "\",\"parentSpanId\":\"" + parent +
         "\",\"name\":\"" + name + "\",\"kind\":3,\"startTimeUnixNano\":\"1764662400000000000\","
         "\"endTimeUnixNano\":\"1764662400250000000\",\"attributes\":[" + attrs + "],\"status\":" + status + "}";
}

std::string Export(const std::string& spans) {
  return "{\"resourceSpans\":[{\"resource\":{\"attributes\":[" + Attr("service.name", "{\"stringValue\":\"support-bot\"}") +
         "]},\"scopeSpans\":[{\"scope\":{\"name\":\"t\"},\"spans\":[" + spans + "]}]}]}";
}

std::string GenAiExport() {
  std::string chat = Span("00f067aa0ba902b7", "chat gpt-4o",
                          Attr("gen_ai.operation.name", "{\"stringValue\":\"chat\"}") + "," +
                              Attr("gen_ai.system", "{\"stringValue\":\"openai\"}") + "," +
                              Attr("gen_ai.request.model", "{\"stringValue\":\"gpt-4o\"}") + "," +
                              Attr("gen_ai.usage.input_tokens", "{\"intValue\":\"120\"}") + "," +
                              Attr("gen_ai.usage.output_tokens", "{\"intValue\":30}"));
  std::string tool = Span("00f067aa0ba902b8", "execute_tool lookup_order",
                          Attr("gen_ai.operation.name", "{\"stringValue\":\"execute_tool\"}") + "," +
                              Attr("gen_ai.tool.name", "{\"stringValue\":\"lookup_order\"}") + "," +
                              Attr("gen_ai.tool.call.id", "{\"stringValue\":\"call_1\"}"),
                          "{\"code\":2,\"message\":\"timeout\"}", "00f067aa0ba902b7");
  return Export(chat + "," + tool);
}

// GenAiExport() in OTLP's protobuf encoding.
std::string GenAiProtobuf() {
  auto span = [](const char* id, const char* name) {
    Pb p;
    p.Len(1, HexBytes(kTrace)).Len(2, HexBytes(id)).Len(5, name).Varint(6, 3);
    p.Fixed64(7, 1764662400000000000ull).Fixed64(8, 1764662400250000000ull);
    return p;
  };
  Pb chat = span("00f067aa0ba902b7", "chat gpt-4o");
  chat.Msg(9, KeyValue("gen_ai.operation.name", StringValue("chat")))
      .Msg(9, KeyValue("gen_ai.system", StringValue("openai")))
      .Msg(9, KeyValue("gen_ai.request.model", StringValue("gpt-4o")))
      .Msg(9, KeyValue("gen_ai.usage.input_tokens", IntValue(120)))
      .Msg(9, KeyValue("gen_ai.usage.output_tokens", IntValue(30)))
      .Msg(15, Pb().Varint(3, 1));
  Pb tool = span("00f067aa0ba902b8", "execute_tool lookup_order");
  tool.Len(4, HexBytes("00f067aa0ba902b7"))
      .Msg(9, KeyValue("gen_ai.operation.name", StringValue("execute_tool")))
      .Msg(9, KeyValue("gen_ai.tool.name", StringValue("lookup_order")))
      .Msg(9, KeyValue("gen_ai.tool.call.id", StringValue("call_1")))
      .Msg(15, Pb().Len(2, "timeout").Varint(3, 2));
  return OtlpRequest("support-bot", Pb().Msg(2, chat).Msg(2, tool).bytes).bytes;
}


}  // namespace

TEST_CASE("OTLP GenAI spans become a run with one step per span", "[server][otlp]") {
  Served s(GENERATE(from_range(StoreBackends())));
  HttpResult r = s.Export(GenAiExport());
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(r.body == "{\"partialSuccess\":{}}");
  HttpResult run = s.server.Get("/v1/runs/" + kTrace, s.viewer);
  REQUIRE(run.status == 200);
  CHECK(json::GetString(run.json, "agent") == "support-bot");
  CHECK(json::GetString(run.json["metadata"], "source") == "otlp");
  HttpResult steps = s.server.Get("/v1/runs/" + kTrace + "/steps", s.viewer);
  REQUIRE(steps.json["steps"].Size() == 2);
  const auto& chat = steps.json["steps"][0]["event"];
  CHECK(json::GetString(chat, "event_type") == "llm.call");
  CHECK(json::GetString(chat, "event_time") == "2025-12-02T08:00:00.000000Z");
  CHECK(chat["budget"]["step_tokens"].GetInt() == 150);
  CHECK(json::GetString(chat["payload"]["gen_ai"], "request.model") == "gpt-4o");
  CHECK(chat["payload"]["span"]["duration_ms"].GetDouble() == 250.0);
  CHECK(json::GetString(chat["outcome"], "status") == "succeeded");
  const auto& tool = steps.json["steps"][1]["event"];
  CHECK(json::GetString(tool, "event_type") == "tool_call.failed");
  CHECK(json::GetString(tool["action"], "name") == "lookup_order");
  CHECK(json::GetString(tool, "tool_call_id") == "call_1");
  CHECK(json::GetString(tool, "parent_span_id") == "00f067aa0ba902b7");
  CHECK(json::GetString(tool["outcome"], "summary") == "timeout");
}

TEST_CASE("an exporter's retry of the same spans stores nothing twice, new spans append", "[server][otlp]") {
  Served s(GENERATE(from_range(StoreBackends())));
  REQUIRE(s.Export(GenAiExport()).status == 200);
  std::string before = StoreDigest(s.state);
  REQUIRE(s.Export(GenAiExport()).status == 200);
  CHECK(StoreDigest(s.state) == before);
  REQUIRE(s.Export(Export(Span("00f067aa0ba902b9", "plain", ""))).status == 200);
  HttpResult steps = s.server.Get("/v1/runs/" + kTrace + "/steps", s.viewer);
  REQUIRE(steps.json["steps"].Size() == 3);
  CHECK(json::GetString(steps.json["steps"][2]["event"], "event_type") == "otel.span");
  CHECK(json::GetString(steps.json["steps"][2]["event"]["outcome"], "status") == "succeeded");
}

TEST_CASE("bad OTLP input is 400 naming the span and another media type 415 and nothing is stored", "[server][otlp][bad-input]") {
  Served s(GENERATE(from_range(StoreBackends())));
  CHECK(s.server.Post("/v1/traces", GenAiExport(), s.viewer).status == 403);  // audited: before the digest
  std::string before = StoreDigest(s.state);
  std::string good = Span("00f067aa0ba902b7", "ok", "");
  struct Case {
    std::string body, pointer;
  };
  for (const Case& c :
       {Case{"[]", "/"}, Case{"{\"resourceSpans\":{}}", "/resourceSpans"},
        Case{Export(good + "," + Span("xyz", "bad id", "")), "/resourceSpans/0/scopeSpans/0/spans/1/spanId"},
        Case{Export("{\"traceId\":\"00000000000000000000000000000000\",\"spanId\":\"00f067aa0ba902b7\"}"),
             "/resourceSpans/0/scopeSpans/0/spans/0/traceId"},
        Case{Export("{\"traceId\":\"" + kTrace + "\",\"spanId\":\"00f067aa0ba902b7\",\"startTimeUnixNano\":\"soon\"}"),
             "/resourceSpans/0/scopeSpans/0/spans/0/startTimeUnixNano"},
        Case{Export(Span("00f067aa0ba902b7", "x", "7")), "/resourceSpans/0/scopeSpans/0/spans/0/attributes/0"}}) {
    INFO(c.body);
    HttpResult r = s.Export(c.body);
    CHECK(r.status == 400);
    CHECK(r.ErrorPointer() == c.pointer);
  }
  httplib::Client client("127.0.0.1", s.server.port());
  auto text = client.Post("/v1/traces", {{"Authorization", "Bearer " + s.ingest}}, GenAiExport(), "text/plain");
  REQUIRE(text);
  CHECK(text->status == 415);
  CHECK(text->body.find("expected application/json or application/x-protobuf") != std::string::npos);
  s.server.Stop();
  CHECK(StoreDigest(s.state) == before);
}

TEST_CASE("the same spans as OTLP JSON and as protobuf store byte-identical steps", "[server][otlp][protobuf]") {
  std::string backend = GENERATE(from_range(StoreBackends()));
  Served json_server(backend), pb_server(backend);
  REQUIRE(json_server.Export(GenAiExport()).status == 200);
  ProtobufResult r = pb_server.ExportProtobuf(GenAiProtobuf());
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(r.body.empty());  // ExportTraceServiceResponse with no field set
  CHECK(r.content_type == "application/x-protobuf");
  std::string before = StoreDigest(pb_server.state);
  CHECK(pb_server.ExportProtobuf(GzipMember(GenAiProtobuf()), "gzip").status == 200);  // a retry, compressed
  CHECK(StoreDigest(pb_server.state) == before);
  json_server.server.Stop();
  pb_server.server.Stop();
  std::string steps = StoredRunSteps(pb_server.state, kTrace, "acme");
  CHECK(steps == StoredRunSteps(json_server.state, kTrace, "acme"));
  CHECK(std::count(steps.begin(), steps.end(), '\n') == 2);
  CHECK(steps.find("\"event_type\":\"tool_call.failed\"") != std::string::npos);
}

TEST_CASE("bad OTLP protobuf is 400 naming the field and byte and nothing is stored", "[server][otlp][protobuf][bad-input]") {
  Served s(GENERATE(from_range(StoreBackends())));
  std::string before = StoreDigest(s.state);
  Pb wrong_type;
  wrong_type.Len(1, HexBytes(kTrace)).Len(2, HexBytes("00f067aa0ba902b7")).Fixed64(5, 1);  // name as fixed64
  Pb deep = IntValue(1);
  for (int i = 0; i < 40; ++i) deep = Pb().Msg(5, Pb().Msg(1, deep));
  Pb nested;
  nested.Len(1, HexBytes(kTrace)).Len(2, HexBytes("00f067aa0ba902b7")).Msg(9, KeyValue("deep", deep));
  std::string good = GenAiProtobuf();
  struct Case {
    std::string name, body, pointer, message;
  };
  for (const Case& c : {
           Case{"truncated varint", std::string("\x0a\x03\x12\x01\x85", 5), "/resourceSpans/0/scopeSpans/0",
                "truncated varint (the message ends inside it) at byte 4"},
           Case{"length beyond the buffer", good.substr(0, good.size() - 2), "/", "past the end of its message"},
           Case{"wrong wire type", OtlpRequest("s", Pb().Msg(2, wrong_type).bytes).bytes,
                "/resourceSpans/0/scopeSpans/0/spans/0/name", "expected wire type 2 (length-delimited), found 1 (64-bit)"},
           Case{"nesting too deep", OtlpRequest("s", Pb().Msg(2, nested).bytes).bytes,
                "/resourceSpans/0/scopeSpans/0/spans/0/attributes/0/value", "messages nested deeper than 64 at byte "},
           Case{"a span id of 3 bytes",
                OtlpRequest("s", Pb().Msg(2, Pb().Len(1, HexBytes(kTrace)).Len(2, "abc")).bytes).bytes,
                "/resourceSpans/0/scopeSpans/0/spans/0/spanId", "expected 8 bytes, not all zero, found 3"},
       }) {
    INFO(c.name);
    ProtobufResult r = s.ExportProtobuf(c.body);
    INFO(r.body);
    CHECK(r.status == 400);
    auto error = json::Parse(r.body);
    REQUIRE(error.ok());
    CHECK(json::GetString((*error)["error"], "pointer").rfind(c.pointer, 0) == 0);
    CHECK(json::GetString((*error)["error"], "message").find(c.message) != std::string::npos);
  }
  s.server.Stop();
  CHECK(StoreDigest(s.state) == before);
}

TEST_CASE("a gzip bomb posted as OTLP protobuf is refused once past the body limit", "[server][otlp][protobuf][bad-input]") {
  ScratchDir dir;
  std::string state = dir / "s.sqlite";
  std::string key = MakeKey(state, "acme", "ingest");
  TestServer server(state, dir.path(), {"--max-body-bytes", "1048576"});
  std::string before = StoreDigest(state);
  // 64 MiB of zero bytes (protobuf field 0: invalid, but the limit refuses it first) in 64 KiB.
  std::string bomb = GzipMember(std::string(64u << 20, '\0'));
  CHECK(bomb.size() < (128u << 10));
  ProtobufResult r = PostProtobuf(server.port(), key, bomb, "gzip");
  CHECK(r.status == 413);
  CHECK(r.body.find("expected at most 1048576 bytes (after decompression)") != std::string::npos);
  server.Stop();
  CHECK(StoreDigest(state) == before);
}
