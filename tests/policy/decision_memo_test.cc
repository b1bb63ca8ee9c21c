// DecisionMemo: answers remembered by (query, input) equal the engine's own, and nothing
// is remembered where the answer depends on more than the input.
#include <catch2/catch.hpp>

#include "policy/decision_memo.h"
#include "support/support.h"

using namespace oep;
using namespace oep::test;

namespace {

std::unique_ptr<PolicyEngine> Engine(ScratchDir& dir, const std::string& rego) {
  std::string path = dir / "p.rego";
  WriteText(path, rego);
  PolicyEngineConfig config;
  config.bundle = path;
  auto e = MakePolicyEngine(config);
  REQUIRE(e.ok());
  return std::move(*e);
}

rego::Value Json(const std::string& text) {
  auto v = rego::Value::FromJsonText(text);
  REQUIRE(v.ok());
  return std::move(*v);
}

std::vector<std::string> Answers(const std::vector<Decided>& out) {
  std::vector<std::string> s;
  for (const auto& d : out) s.push_back(d.outcome.kind == Outcome::Kind::kError ? "error " + d.outcome.error : d.outcome.ValueJson());
  return s;
}

constexpr const char* kPolicy = R"(package p
import rego.v1
default allow := false
allow if input.n > 1
grade := "high" if input.n > 5
grade := "low" if input.n <= 5
boom := 1 if input.d == 0
boom := 2 if input.d == 0
)";

}  // namespace

TEST_CASE("memo answers equal the engine's and repeated inputs are not evaluated again", "[decision-memo]") {
  ScratchDir dir;
  auto engine = Engine(dir, kPolicy);
  REQUIRE(engine->AnswersFromInputOnly());
  std::vector<rego::Value> inputs = {Json(R"({"n":0})"), Json(R"({"n":3})"), Json(R"({"n":9})"), Json(R"({"d":0})")};
  std::vector<DecisionRequest> requests;
  for (int round = 0; round < 3; ++round) {
    for (const auto& in : inputs) {
      for (const char* q : {"data.p.allow", "data.p.grade", "data.p.boom"}) requests.push_back({q, &in, std::nullopt, nullptr});
    }
  }
  requests.push_back({"data.p.allow", nullptr, std::nullopt, nullptr});  // no input document
  std::vector<Decided> direct, remembered;
  REQUIRE(engine->Decide(requests, direct).ok());
  DecisionMemo memo;
  REQUIRE(memo.Decide(*engine, requests, remembered).ok());
  CHECK(Answers(remembered) == Answers(direct));
  CHECK(Answers(direct)[0] == "false");
  CHECK(Answers(direct)[7] == "\"high\"");
  CHECK_THAT(Answers(direct)[11], Catch::Contains("error eval_conflict_error"));  // an evaluation error is remembered as one
  CHECK(memo.misses() == 13);  // 4 inputs x 3 queries once, and the request without input
  CHECK(memo.hits() == 24);
  // A second call answers everything from memory, equally.
  std::vector<Decided> again;
  REQUIRE(memo.Decide(*engine, requests, again).ok());
  CHECK(Answers(again) == Answers(direct));
  CHECK(memo.misses() == 13);
}

TEST_CASE("memo forgets at its capacity and keeps answering correctly", "[decision-memo]") {
  ScratchDir dir;
  auto engine = Engine(dir, kPolicy);
  std::vector<rego::Value> inputs;
  for (int n = 0; n < 10; ++n) inputs.push_back(Json("{\"n\":" + std::to_string(n) + "}"));
  DecisionMemo memo(3);
  for (int round = 0; round < 4; ++round) {
    std::vector<DecisionRequest> requests;
    for (size_t i = 0; i < inputs.size(); i += 1 + round % 2) requests.push_back({"data.p.grade", &inputs[i], std::nullopt, nullptr});
    std::vector<Decided> direct, remembered;
    REQUIRE(engine->Decide(requests, direct).ok());
    REQUIRE(memo.Decide(*engine, requests, remembered).ok());
    CHECK(Answers(remembered) == Answers(direct));
  }
}

TEST_CASE("memo remembers nothing for a policy that reads the time or a query that calls a function", "[decision-memo]") {
  ScratchDir dir;
  auto timed = Engine(dir, "package p\nimport rego.v1\nlate if time.now_ns() > input.t\n");
  CHECK_FALSE(timed->AnswersFromInputOnly());
  rego::Value in = Json(R"({"t":100})");
  // The same input at two pinned times: two answers, which a memo keyed by input would merge.
  std::vector<DecisionRequest> requests = {{"data.p.late", &in, 50, nullptr}, {"data.p.late", &in, 500, nullptr}};
  DecisionMemo memo;
  std::vector<Decided> out;
  REQUIRE(memo.Decide(*timed, requests, out).ok());
  CHECK(out[0].outcome.kind == Outcome::Kind::kUndefined);
  CHECK(out[1].outcome.ValueJson() == "true");
  CHECK(memo.hits() + memo.misses() == 0);

  auto plain = Engine(dir, kPolicy);
  rego::Value n = Json(R"({"n":2})");
  std::vector<DecisionRequest> calls = {{"time.now_ns() > 0", &n, 50, nullptr}, {"time.now_ns() > 0", &n, 500, nullptr},
                                        {"data.p.allow", &n, std::nullopt, nullptr}, {"data.p.allow", &n, std::nullopt, nullptr}};
  std::vector<Decided> direct;
  REQUIRE(plain->Decide(calls, direct).ok());
  REQUIRE(memo.Decide(*plain, calls, out).ok());
  CHECK(Answers(out) == Answers(direct));
  CHECK(memo.misses() == 3);  // both function-calling queries decided, the data reference once
  CHECK(memo.hits() == 1);
}
