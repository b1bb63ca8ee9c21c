// Shared by the retention tests: a demo store that also holds an OPA input recorded beside
// its packet (an OPA decision whose input is not an object), so retention has rows of every
// retention table of a run chain to delete.
#pragma once

#include <catch2/catch.hpp>

#include <string>

#include "json/json.h"
#include "support/store_backends.h"
#include "support/support.h"

namespace oep::test {

// A value that only the imported OPA input holds.
inline constexpr const char* kInputOnlyValue = "array-input-secret-value-0001";

// The demo store of `backend` plus one decision-log event of the demo run whose input is a
// JSON array (kept in decision_inputs).
struct RetentionDemo {
  DemoFixture demo;
  explicit RetentionDemo(const std::string& backend = "sqlite") : demo(backend) {
    auto log = json::Parse(ReadText(RepoRoot() + "/tests/data/opa_decision_log/service_body.json"));
    REQUIRE(log.ok());
    rapidjson::Document event;
    event.CopyFrom((*log)[0], event.GetAllocator());
    auto& a = event.GetAllocator();
    event["decision_id"].SetString("0b6e1c2d-5f7a-4e3b-9c1d-2a3b4c5d6eff", a);
    event["input"].SetArray();
    event["input"].PushBack(rapidjson::StringRef(kInputOnlyValue), a).PushBack(7, a);
    WriteText(demo.dir / "input_log.json", "[" + json::CanonicalText(event) + "]");
    RunResult r = RunOep({"import", "opa-decision-log", demo.dir / "input_log.json", "--manifest",
                          "rmf_oep_code_review_demo_v0", "--store", demo.store});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
  }
  const std::string& store() const { return demo.store; }
};

}  // namespace oep::test
