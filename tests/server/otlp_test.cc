// POST /v1/traces: OTLP/HTTP JSON spans with the GenAI conventions become runs and steps.
#include <catch2/catch.hpp>

#include "json/json.h"
#include "server/server_fixture.h"
#include "support/store_backends.h"

using namespace oep;
using namespace oep::test;

namespace {

const std::string kTrace = "4bf92f3577b34da6a3ce929d0e0e4736";

// A server on a fresh store of `backend`: the tests using it run on SQLite and PostgreSQL.
struct Served {
  ScratchDir dir;
  std::string backend, state = NewStoreUrl(backend, dir), server_key;
  std::string ingest = MakeKey(state, "acme", "ingest"), viewer = MakeKey(state, "acme", "viewer");
  TestServer server{state, dir.path(), ServerKeyFlags(state, dir.path(), &server_key)};
  explicit Served(std::string backend_name) : backend(std::move(backend_name)) {}
  HttpResult Export(const std::string& body) { return server.Post("/v1/traces", body, ingest); }
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

TEST_CASE("bad OTLP input is 400 naming the span, protobuf is 415, and nothing is stored", "[server][otlp][bad-input]") {
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
  auto proto = client.Post("/v1/traces", {{"Authorization", "Bearer " + s.ingest}}, std::string("\x0a\x02", 2),
                           "application/x-protobuf");
  REQUIRE(proto);
  CHECK(proto->status == 415);
  CHECK(proto->body.find("JSON encoding") != std::string::npos);
  s.server.Stop();
  CHECK(StoreDigest(s.state) == before);
}
