// Monitors (src/monitors): the built-in Rego monitors over crafted batches, violation
// records stored once and listed, history tests, and bad monitors refused.
#include <algorithm>
#include <set>

#include <catch2/catch.hpp>

#include "json/json.h"
#include "monitors/monitors.h"
#include "support/store_backends.h"
#include "support/support.h"

using namespace oep;
using namespace oep::test;

namespace {

std::string BuiltIns() { return RepoRoot() + "/permissions/policy/monitors"; }

rapidjson::Document Input(const std::string& text) {
  auto d = json::Parse(text);
  REQUIRE(d.ok());
  return std::move(*d);
}

std::vector<ViolationFinding> Run(const std::string& input) {
  auto set = MonitorSet::Load({BuiltIns()});
  REQUIRE(set.ok());
  auto found = EvaluateMonitors(**set, Input(input));
  INFO(found.status().message());
  REQUIRE(found.ok());
  return *found;
}

std::vector<ViolationFinding> Of(const std::vector<ViolationFinding>& all, const std::string& monitor) {
  std::vector<ViolationFinding> out;
  for (const auto& f : all) {
    if (f.monitor == monitor) out.push_back(f);
  }
  return out;
}

std::string Event(const std::string& id, const std::string& type, const std::string& tool, const std::string& extra = "") {
  return "{\"event_id\":\"" + id + "\",\"trace_id\":\"r1\",\"event_type\":\"" + type + "\",\"tool_payload\":{\"tool\":\"" +
         tool + "\"" + extra + "},\"outcome\":{\"status\":\"ok\",\"summary\":\"done\"}}";
}

std::string Events(const std::vector<std::string>& events) {
  std::string out = "{\"events\":[";
  for (size_t i = 0; i < events.size(); ++i) out += (i ? "," : "") + events[i];
  return out + "],\"decisions\":[],\"drops\":[]}";
}

}  // namespace

TEST_CASE("the built-in monitors load, each under its package name", "[monitors]") {
  auto set = MonitorSet::Load({BuiltIns()});
  REQUIRE(set.ok());
  auto names = (*set)->Names();
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{"monitors.approval_missing", "monitors.blocked_tool", "monitors.log_drop",
                                          "monitors.over_budget", "monitors.pii_outbound"});
  CHECK(Run(Events({})).empty());
}

TEST_CASE("monitor blocked_tool flags an executed block tool, not a requested one", "[monitors]") {
  auto found = Of(Run(Events({Event("e1", "tool_call.executed", "delete_repository"),
                              Event("e2", "tool_call.requested", "delete_repository"),
                              Event("e3", "tool_call.executed", "read_file")})),
                  "monitors.blocked_tool");
  REQUIRE(found.size() == 1);
  CHECK(found[0].event_ids == std::vector<std::string>{"e1"});
  CHECK(found[0].severity == "critical");
  CHECK(found[0].run_id == "r1");
  CHECK(found[0].rule == "violation");
  CHECK(found[0].policy_version.rfind("sha256:", 0) == 0);
}

TEST_CASE("monitor approval_missing flags a require_approval tool run without a token", "[monitors]") {
  auto found = Of(Run(Events({Event("e1", "tool_call.completed", "transfer_funds"),
                              "{\"event_id\":\"e2\",\"trace_id\":\"r1\",\"event_type\":\"tool_call.completed\","
                              "\"tool_payload\":{\"tool\":\"transfer_funds\"},\"approval\":{\"token_id\":\"dtk_1\"},"
                              "\"outcome\":{\"status\":\"ok\"}}"})),
                  "monitors.approval_missing");
  REQUIRE(found.size() == 1);
  CHECK(found[0].event_ids == std::vector<std::string>{"e1"});
  CHECK(found[0].severity == "high");
}

TEST_CASE("monitor pii_outbound flags personal data sent by an e-mail tool only", "[monitors]") {
  auto found = Of(Run(Events({Event("e1", "tool_call.executed", "send_email", ",\"to\":\"alice@example.com\""),
                              Event("e2", "tool_call.executed", "send_email", ",\"to\":\"the team\""),
                              Event("e3", "tool_call.executed", "read_file", ",\"path\":\"alice@example.com\""),
                              Event("e4", "tool_call.executed", "post_message", ",\"text\":\"SSN 123-45-6789\"")})),
                  "monitors.pii_outbound");
  REQUIRE(found.size() == 2);
  std::set<std::string> ids{found[0].event_ids[0], found[1].event_ids[0]};
  CHECK(ids == std::set<std::string>{"e1", "e4"});
  for (const auto& f : found) CHECK(f.details_json.find("\"kinds\"") != std::string::npos);
}

TEST_CASE("monitor over_budget flags steps past the run budget", "[monitors]") {
  auto found = Of(Run(Events({"{\"event_id\":\"e1\",\"trace_id\":\"r1\",\"event_type\":\"agent_step.completed\",\"budget\":{\"run_cost_usd\":4.5}}",
                              "{\"event_id\":\"e2\",\"trace_id\":\"r1\",\"event_type\":\"agent_step.completed\",\"budget\":{\"run_cost_usd\":5.25}}"})),
                  "monitors.over_budget");
  REQUIRE(found.size() == 1);
  CHECK(found[0].event_ids == std::vector<std::string>{"e2"});
  CHECK(found[0].message == "run r1 cost 5.25 USD, over its budget of 5 USD");
}

TEST_CASE("monitor log_drop turns every recorded drop into a violation of its run", "[monitors]") {
  auto found = Of(Run("{\"events\":[],\"decisions\":[],\"drops\":[{\"run_id\":\"r9\",\"count\":2,\"first_seq\":3,"
                      "\"last_seq\":4,\"reason\":\"queue full\"}]}"),
                  "monitors.log_drop");
  REQUIRE(found.size() == 1);
  CHECK(found[0].rule == "violation");
  CHECK(found[0].severity == "medium");
  CHECK(found[0].run_id == "r9");
  CHECK(found[0].message == "run r9 dropped 2 events (seq 3..4): queue full");
}

TEST_CASE("a deny set of messages is a monitor too, each message a medium violation", "[monitors]") {
  ScratchDir dir;
  WriteText(dir / "m.rego", "package conftest_style\n\ndeny contains msg if {\n\tsome e in input.events\n"
                            "\tmsg := sprintf(\"%s ran\", [e.event_id])\n}\n");
  auto set = MonitorSet::Load({dir / "m.rego"});
  REQUIRE(set.ok());
  auto found = EvaluateMonitors(**set, Input(Events({Event("e1", "tool_call.executed", "x")})));
  REQUIRE(found.ok());
  REQUIRE(found->size() == 1);
  CHECK((*found)[0].monitor == "conftest_style");
  CHECK((*found)[0].rule == "deny");
  CHECK((*found)[0].severity == "medium");
  CHECK((*found)[0].message == "e1 ran");
}

TEST_CASE("violations are stored once, listed with filters and covered by the ledger", "[monitors]") {
  ScratchDir dir;
  std::string path = NewStoreUrl(GENERATE(from_range(StoreBackends())), dir);
  auto found = Run(Events({Event("e1", "tool_call.executed", "delete_repository"),
                           Event("e2", "tool_call.executed", "send_email", ",\"to\":\"a@b.example\"")}));
  REQUIRE(found.size() == 3);  // blocked_tool e1, approval_missing e2, pii_outbound e2
  {
    auto store = Store::Open(path, Store::Mode::kReadWrite);
    REQUIRE(store.ok());
    (*store)->ScopeToTenant("acme");
    auto added = StoreViolations(**store, found, "test");
    REQUIRE(added.ok());
    CHECK(added->size() == 3);
    auto again = StoreViolations(**store, found, "test");
    REQUIRE(again.ok());
    CHECK(again->empty());
    auto all = ListViolations(**store, {}, "", 50);
    REQUIRE(all.ok());
    CHECK(all->size() == 3);
    auto critical = ListViolations(**store, {"", "critical", "", ""}, "", 50);
    REQUIRE(critical.ok());
    REQUIRE(critical->size() == 1);
    CHECK(critical->at(0).body.find("\"monitor\":\"monitors.blocked_tool\"") != std::string::npos);
    auto page = ListViolations(**store, {}, all->at(0).id, 1);
    REQUIRE(page.ok());
    REQUIRE(page->size() == 1);
    CHECK(page->at(0).id == all->at(1).id);
    CHECK(ListViolations(**store, {"", "urgent", "", ""}, "", 50).status().message() ==
          "severity: expected low, medium, high or critical, found \"urgent\"");
    CHECK(!ListViolations(**store, {"", "", "", "yesterday"}, "", 50).ok());
    (*store)->ScopeToTenant("globex");
    CHECK(ListViolations(**store, {}, "", 50)->empty());
  }
  RunResult listed = RunOep({"violations", "--store", path, "--tenant", "acme", "--monitor", "monitors.pii_outbound",
                             "--output-format", "json"});
  INFO(listed.err);
  REQUIRE(listed.exit_code == 0);
  auto doc = json::Parse(listed.out);
  REQUIRE(doc.ok());
  REQUIRE(doc->Size() == 1);
  CHECK(json::GetString((*doc)[0], "schema_version") == "oep.monitor_violation.v0");
  CHECK(RunOep({"violations", "--store", path, "--severity", "urgent"}).exit_code == 2);
  CHECK(RunOep({"verify", "--chain", "--store", path}).exit_code == 0);
  TamperStoreSql(path, "UPDATE violations SET body = replace(body, 'blocked', 'allowed')");
  CHECK(RunOep({"verify", "--chain", "--store", path}).exit_code != 0);
}

TEST_CASE("monitor test runs a monitor over stored history and stores nothing", "[monitors]") {
  DemoFixture demo(GENERATE(from_range(StoreBackends())));
  ScratchDir dir;
  WriteText(dir / "denied.rego",
            "package monitors.denied\n\nviolation contains v if {\n\tsome e in input.events\n\te.event_type == \"tool_call.denied\"\n"
            "\tv := {\"msg\": \"denied call\", \"severity\": \"low\", \"run_id\": e.trace_id, \"event_ids\": [e.event_id]}\n}\n");
  std::string before = StoreFingerprint(demo.store);
  RunResult r = RunOep({"monitor", "test", "--store", demo.store, "--policy-bundle", dir / "denied.rego", "--output-format", "json"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto doc = json::Parse(r.out);
  REQUIRE(doc.ok());
  REQUIRE(doc->Size() >= 1);
  for (const auto& v : doc->GetArray()) CHECK(json::GetString(v, "monitor") == "monitors.denied");
  CHECK(r.out.find("evt_oep_demo_write_file_0002") != std::string::npos);
  CHECK(StoreFingerprint(demo.store) == before);
  RunResult human = RunOep({"monitor", "test", "--store", demo.store, "--policy-bundle", dir / "denied.rego"});
  CHECK(human.out.find("(nothing stored)") != std::string::npos);
}

TEST_CASE("bad monitors are refused with their file, line and what was expected", "[monitors][bad-input]") {
  ScratchDir dir;
  auto refused = [&](const std::string& name, const std::string& text, const std::string& expected) {
    WriteText(dir / name, text);
    auto set = MonitorSet::Load({dir / name});
    REQUIRE(!set.ok());
    INFO(set.status().message());
    CHECK(set.status().message().find(expected) != std::string::npos);
  };
  CHECK(MonitorSet::Load({dir / "absent"}).status().message().find("no such monitor file or folder") != std::string::npos);
  refused("syntax.rego", "package m\n\nviolation contains v if {\n", "syntax.rego:");
  refused("none.rego", "package m\n\nallow := true\n", "no package defines a violation or deny set");
  refused("complete.rego", "package m\n\ndeny := \"no\"\n", "complete.rego:3: deny must be a set");

  WriteText(dir / "badsev.rego", "package m\n\nviolation contains {\"msg\": \"x\", \"severity\": \"urgent\"} if true\n");
  auto set = MonitorSet::Load({dir / "badsev.rego"});
  REQUIRE(set.ok());
  auto found = EvaluateMonitors(**set, Input("{\"events\":[]}"));
  REQUIRE(!found.ok());
  CHECK(found.status().message() == "monitor m: violation/severity: expected low, medium, high or critical, found \"urgent\"");
  WriteText(dir / "badkey.rego", "package m2\n\nviolation contains {\"msg\": \"x\", \"who\": 1} if true\n");
  set = MonitorSet::Load({dir / "badkey.rego"});
  REQUIRE(set.ok());
  found = EvaluateMonitors(**set, Input("{\"events\":[]}"));
  REQUIRE(!found.ok());
  CHECK(found.status().message().find("monitor m2: violation/who: unknown member") != std::string::npos);
  WriteText(dir / "badtype.rego", "package m3\n\ndeny contains 7 if true\n");
  set = MonitorSet::Load({dir / "badtype.rego"});
  REQUIRE(set.ok());
  CHECK(EvaluateMonitors(**set, Input("{}")).status().message() ==
        "monitor m3: deny: expected a message string or an object, found number");
  CHECK(RunOep({"monitor", "test", "--policy-bundle", dir / "absent"}).exit_code == 2);
}

TEST_CASE("tenant monitors give each tenant the monitors for every tenant and its own", "[monitors]") {
  ScratchDir dir;
  std::string builtin = RepoRoot() + "/permissions/policy/monitors";
  WriteText(dir / "own.rego", "package own.watch\n\ndeny contains \"x\" if { count(input.events) > 100 }\n");
  auto set = TenantMonitors::Load({"acme=" + (dir / "own.rego"), builtin});
  REQUIRE(set.ok());
  REQUIRE(set->For("acme") != nullptr);
  REQUIRE(set->For("globex") != nullptr);
  std::vector<std::string> acme = set->For("acme")->Names(), globex = set->For("globex")->Names();
  CHECK(acme.size() == globex.size() + 1);
  CHECK(acme.back() == "own.watch");  // every-tenant paths first, then the tenant's own
  CHECK(std::find(globex.begin(), globex.end(), "own.watch") == globex.end());

  auto only_own = TenantMonitors::Load({"acme=" + (dir / "own.rego")});
  REQUIRE(only_own.ok());
  CHECK(only_own->For("globex") == nullptr);  // no monitors apply: nothing is evaluated
  CHECK(only_own->For("acme")->Names() == std::vector<std::string>{"own.watch"});
  auto none = TenantMonitors::Load({});
  REQUIRE(none.ok());
  CHECK(none->empty());
  CHECK(none->For("acme") == nullptr);
}
