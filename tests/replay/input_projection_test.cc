// Deciding over the projected input (only what the policy can read, rego/input_paths.h)
// gives exactly the outcome of deciding over the whole recorded input.
#include <filesystem>
#include <string>

#include <catch2/catch.hpp>

#include "policy/policy_engine.h"
#include "replay/stored_decision.h"
#include "store/store.h"
#include "support/support.h"

using namespace oep;
using namespace oep::test;
using oep::rego::InputPaths;

namespace {

std::unique_ptr<PolicyEngine> Native(const std::string& bundle) {
  PolicyEngineConfig config;
  config.bundle = bundle;
  auto engine = MakePolicyEngine(config);
  REQUIRE(engine.ok());
  return std::move(*engine);
}

// Decides `d` under `engine` and returns "decision value" for comparison.
std::string DecideText(const PolicyEngine& engine, const StoredDecision& d) {
  REQUIRE(d.input);
  std::vector<Decided> out;
  REQUIRE(engine.Decide({{d.query, &*d.input, d.pinned_time_ns, nullptr}}, out).ok());
  return out[0].outcome.decision + " " + out[0].outcome.ValueJson() + " " + out[0].outcome.error;
}

// The packets of a synthetic store judged under `policy` with and without projection.
void CheckProjectionAgrees(const std::vector<StoredArtifact>& rows, const std::string& policy) {
  INFO(policy);
  auto engine = Native(policy);
  const rego::InputPaths* read = engine->InputRead();
  REQUIRE(read != nullptr);  // these policies read input by static refs only
  size_t smaller = 0;
  for (const auto& row : rows) {
    auto whole = ReadStoredDecision(row.id, row.body, nullptr);
    auto projected = ReadStoredDecision(row.id, row.body, nullptr, read);
    REQUIRE(whole.ok());
    REQUIRE(projected.ok());
    CHECK(DecideText(*engine, *projected) == DecideText(*engine, *whole));
    if (projected->input->ToJson().size() < whole->input->ToJson().size()) ++smaller;
  }
  CHECK(smaller == rows.size());  // and the projection did leave something out
}

std::string Packet(const std::string& input) {
  return R"({"decision":{"allow":true},"opa_input":)" + input + R"(,"policy":{"query":"data.p.d"}})";
}

}  // namespace

TEST_CASE("every repository policy decides the same over its projected input", "[impact][input-paths]") {
  ScratchDir dir;
  std::string store_path = dir / "s.sqlite";
  REQUIRE(RunOep({"demo", "--decisions", "200", "--state-path", store_path}).exit_code == 0);
  auto store = Store::Open(store_path, Store::Mode::kReadOnly);
  REQUIRE(store.ok());
  auto rows = (*store)->DecisionBatch({}, "", 1000);
  REQUIRE(rows.ok());
  REQUIRE(rows->size() == 202);
  int policies = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(RepoRoot() + "/permissions/policy")) {
    std::string path = entry.path().string();
    if (entry.path().extension() != ".rego" || path.find("_test.rego") != std::string::npos) continue;
    CheckProjectionAgrees(*rows, path);
    ++policies;
  }
  CHECK(policies == 9);  // 4 + the 5 built-in monitors
}

TEST_CASE("projection keeps variable-key subtrees and refs in keys", "[impact][input-paths]") {
  ScratchDir dir;
  std::string policy = dir / "p.rego";
  WriteText(policy,
            "package p\n"
            "d := {\"pick\": input.table[input.key], \"n\": count([x | some x in input.items; x > input.min])}\n");
  auto engine = Native(policy);
  REQUIRE(engine->InputRead() != nullptr);
  for (const char* input : {R"({"table":{"a":1,"b":2},"key":"b","items":[1,5,9],"min":4,"noise":{"deep":[1,2,3]}})",
                            R"({"table":{"a":1},"key":"z","items":[],"min":0})", R"("not an object")", R"([1,2])"}) {
    INFO(input);
    auto whole = ReadStoredDecision("t", Packet(input), nullptr);
    auto projected = ReadStoredDecision("t", Packet(input), nullptr, engine->InputRead());
    REQUIRE(whole.ok());
    REQUIRE(projected.ok());
    CHECK(DecideText(*engine, *projected) == DecideText(*engine, *whole));
  }
  auto projected = ReadStoredDecision("t", Packet(R"({"items":[1],"key":"a","min":0,"noise":1,"table":{"a":1}})"), nullptr,
                                      engine->InputRead());
  REQUIRE(projected.ok());
  CHECK(projected->input->ToJson() == R"({"items":[1],"key":"a","min":0,"table":{"a":1}})");
}

TEST_CASE("a policy reading input whole gets it whole", "[impact][input-paths]") {
  ScratchDir dir;
  std::string policy = dir / "p.rego";
  WriteText(policy, "package p\nd := object.get(input, \"a\", 0)\n");
  CHECK(Native(policy)->InputRead() == nullptr);
}

TEST_CASE("a recorded query that names input is decided over the whole input", "[impact][input-paths]") {
  InputPaths read;  // reads nothing of input
  std::string packet = R"({"opa_input":{"a":7},"policy":{"query":"input.a"}})";
  auto d = ReadStoredDecision("t", packet, nullptr, &read);
  REQUIRE(d.ok());
  CHECK(d->input->ToJson() == R"({"a":7})");
  auto skipped = ReadStoredDecision("t", R"({"opa_input":{"a":7},"policy":{"query":"data.p.d"}})", nullptr, &read);
  REQUIRE(skipped.ok());
  CHECK(skipped->input->ToJson() == "{}");
}

TEST_CASE("a stored decision that is not JSON is reported, not read", "[impact][bad-input]") {
  for (const char* text : {"", "[]", R"({"opa_input":{"a":[1,2}})", R"({"opa_input":{"a":1})", R"({"decision":"x)"}) {
    INFO(text);
    auto d = ReadStoredDecision("pder_x", text, nullptr);
    REQUIRE_FALSE(d.ok());
    CHECK_THAT(d.status().message(), Catch::StartsWith("stored decision pder_x is not a JSON object: at byte "));
  }
}
