// `oep import otlp FILE`: OTLP JSON trace requests (JSON Lines) into runs and steps.
#include <catch2/catch.hpp>

#include "json/json.h"
#include "store/store.h"
#include "server/server_fixture.h"
#include "support/store_backends.h"

using namespace oep;
using namespace oep::test;

namespace {

const std::string kTrace = "5b8efff798038103d269b633813fc60c";

std::string Data(const char* name) { return RepoRoot() + "/tests/data/otlp/" + name; }

}  // namespace

TEST_CASE("otlp JSON Lines import as one run with a step per span, again, nothing changes", "[import][otlp]") {
  ScratchDir dir;
  std::string state = NewStoreUrl(GENERATE(from_range(StoreBackends())), dir);
  RunResult r = RunOep({"import", "otlp", Data("genai_traces.jsonl"), "--store", state});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("2 requests, 2 spans: 2 stored, 0 already stored; 1 new runs"));
  {
    auto store = Store::Open(state, Store::Mode::kReadOnly);
    REQUIRE(store.ok());
    auto steps = (*store)->RunSteps(kTrace, 0, 10);
    REQUIRE(steps.ok());
    REQUIRE(steps->size() == 2);
    auto tool = json::Parse((*steps)[1].body);
    CHECK(json::GetString(*tool, "event_type") == "tool_call.completed");
    CHECK(json::GetString((*tool)["action"], "name") == "lookup_order");
    CHECK(json::GetString(*tool, "release_manifest_id") == "rmf_unspecified");
  }
  std::string before = StoreDigest(state);
  RunResult again = RunOep({"import", "otlp", Data("genai_traces.jsonl"), "--store", state});
  CHECK_THAT(again.out, Catch::Contains("0 stored, 2 already stored; 0 new runs"));
  CHECK(StoreDigest(state) == before);
  CHECK(RunOep({"verify", "--chain", "--store", state}).exit_code == 0);
}

TEST_CASE("a bad span in any line of the file stores nothing and names the line and pointer", "[import][otlp][bad-input]") {
  ScratchDir dir;
  std::string state = NewStoreUrl(GENERATE(from_range(StoreBackends())), dir);
  RunOep({"import", "otlp", Data("genai_traces.jsonl"), "--store", state});
  std::string before = StoreDigest(state);
  RunResult r = RunOep({"import", "otlp", Data("bad_span_id.jsonl"), "--store", state});
  CHECK(r.exit_code != 0);
  CHECK_THAT(r.err, Catch::Contains("bad_span_id.jsonl:2: /resourceSpans/0/scopeSpans/0/spans/1/spanId: expected 16 hex"));
  CHECK(StoreDigest(state) == before);
  RunResult missing = RunOep({"import", "otlp", dir / "none.jsonl", "--store", state});
  CHECK(missing.exit_code != 0);
  CHECK(StoreDigest(state) == before);
}
