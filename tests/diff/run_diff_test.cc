// `oep diff RUN_A RUN_B`: runs made from the demo's two steps (events and permission
// packets) with edits, ingested into a real store and compared through the real CLI.
#include <catch2/catch.hpp>

#include <functional>
#include <sstream>

#include <rapidjson/pointer.h>

#include "json/json.h"
#include "diff/run_diff.h"
#include "exposure/exposure.h"
#include "schema/validator.h"
#include "support/support.h"

using namespace oep;
using namespace oep::test;

namespace {

using Doc = rapidjson::Document;

struct RunFiles {
  std::vector<Doc> events, packets;
};

Doc ParseFile(const std::string& path) {
  auto d = json::Parse(ReadText(path));
  REQUIRE(d.ok());
  return std::move(*d);
}

void Set(Doc& d, const char* pointer, const std::string& value) {
  rapidjson::Pointer(pointer).Set(d, rapidjson::Value(value.c_str(), d.GetAllocator()).Move(), d.GetAllocator());
}

// The demo's read and write steps as run `trace` (ids suffixed with `tag`).
RunFiles DemoRun(const std::string& trace, const std::string& tag) {
  RunFiles r;
  std::string root = RepoRoot();
  for (const char* e : {"code_review_demo_read_step", "code_review_demo_write_step"}) {
    r.events.push_back(ParseFile(root + "/events/examples/" + e + ".v0.json"));
  }
  for (const char* p : {"code_review_demo_read_allowed", "code_review_demo_write_denied"}) {
    r.packets.push_back(ParseFile(root + "/permissions/examples/" + p + ".v0.json"));
  }
  for (size_t i = 0; i < 2; ++i) {
    Doc& e = r.events[i];
    Doc& p = r.packets[i];
    std::string event_id = json::GetString(e, "event_id") + "_" + tag, packet_id = json::GetString(p, "packet_id") + "_" + tag;
    Set(e, "/event_id", event_id);
    Set(e, "/trace_id", trace);
    Set(e, "/permission_packet_ref", packet_id);
    Set(p, "/packet_id", packet_id);
    Set(p, "/event_id", event_id);
    Set(p, "/trace_id", trace);
    Set(p, "/opa_input/event_id", event_id);
    Set(p, "/opa_input/trace_id", trace);
  }
  return r;
}

void Ingest(const std::string& store, const RunFiles& r, const std::string& tag) {
  ScratchDir dir;
  WriteText(dir / "manifest.json", ReadText(RepoRoot() + "/manifest/examples/code_review_demo_release.v0.json"));
  for (size_t i = 0; i < r.events.size(); ++i) WriteText(dir / ("event_" + tag + std::to_string(i) + ".json"), json::CanonicalText(r.events[i]));
  for (size_t i = 0; i < r.packets.size(); ++i) WriteText(dir / ("packet_" + tag + std::to_string(i) + ".json"), json::CanonicalText(r.packets[i]));
  RunResult in = RunOep({"ingest", dir.path(), "--state-path", store});
  INFO(in.err);
  REQUIRE(in.exit_code == 0);
}

const std::string kA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const std::string kB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

// A store holding run A (the demo's steps) and run B (the same with `edit` applied).
struct Pair {
  ScratchDir dir;
  std::string store = dir / "s.db";
  explicit Pair(const std::function<void(RunFiles&)>& edit, const std::function<void(RunFiles&)>& edit_a = {}) {
    RunFiles a = DemoRun(kA, "a"), b = DemoRun(kB, "b");
    if (edit_a) edit_a(a);
    edit(b);
    Ingest(store, a, "a");
    Ingest(store, b, "b");
  }
  Doc Diff(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"diff", kA, kB, "--state-path", store, "--output-format", "json"};
    args.insert(args.end(), extra.begin(), extra.end());
    RunResult r = RunOep(args);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    auto d = json::Parse(r.out);
    REQUIRE(d.ok());
    return std::move(*d);
  }
};

// A refused profile: exit 2, the file and what was expected named, the store unchanged.
void Refused(const std::string& store, const std::string& profile, const std::string& expected) {
  std::string before = FileSha256(store);
  RunResult r = RunOep({"diff", kA, kB, "--state-path", store, "--profile", profile});
  CHECK(r.exit_code == 2);
  CHECK(r.out.empty());
  CHECK_THAT(r.err, Catch::Contains(profile) && Catch::Contains(expected));
  CHECK(FileSha256(store) == before);
}

int64_t Summary(const Doc& d, const char* category) { return d["summary"][category].GetInt64(); }

bool HasChange(const rapidjson::Value& list, const std::string& pointer, const std::string& kind) {
  for (const auto& c : list.GetArray()) {
    if (json::GetString(c, "pointer") == pointer && json::GetString(c, "change") == kind) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("runs that differ only in ids and times are identical under the default profile, not under strict", "[diff]") {
  Pair p([](RunFiles& b) {
    Set(b.events[0], "/event_time", "2026-11-02T10:00:00Z");
    Set(b.events[1], "/event_time", "2026-11-02T10:00:09Z");
  });
  Doc d = p.Diff();
  CHECK(d["identical"].GetBool());
  CHECK(Summary(d, "total") == 0);
  CHECK(d["tool_calls"]["same"].GetInt64() == 2);
  CHECK(std::string(d["profile"]["name"].GetString()) == "default");
  Doc strict = p.Diff({"--profile", "strict"});
  CHECK_FALSE(strict["identical"].GetBool());
  CHECK(HasChange(strict["tool_calls"]["steps"][0]["changes"], "/event_time", "changed"));
  // The duration (5 s in A, 9 s in B) is compared under strict only.
  CHECK(HasChange(strict["cost_duration"]["changes"], "/duration_ms", "changed"));
  CHECK(strict["cost_duration"]["b"]["duration_ms"].GetInt64() == 9000);
}

TEST_CASE("a changed tool result and decision are reported by category with both values", "[diff]") {
  Pair p([](RunFiles& b) {
    Set(b.events[1], "/outcome/status", "completed");
    Set(b.events[1], "/event_type", "tool_call.completed");
    rapidjson::Pointer("/decision/allow").Set(b.packets[1], true);
    Set(b.packets[1], "/decision/matched_rule", "allow_write_with_approval");
    Set(b.packets[1], "/resource/id", "src/billing/other.py");
  });
  Doc d = p.Diff();
  CHECK(Summary(d, "tool_calls") == 1);
  const auto& step = d["tool_calls"]["steps"][0];
  CHECK(std::string(step["op"].GetString()) == "changed");
  CHECK(step["a_step"].GetInt64() == 2);
  CHECK(HasChange(step["changes"], "/outcome/status", "changed"));
  CHECK(HasChange(step["changes"], "/permission_packet/resource/id", "changed"));
  REQUIRE(Summary(d, "policy_decisions") == 1);
  const auto& decision = d["policy_decisions"][0];
  CHECK(decision["a"]["allow"].GetBool() == false);
  CHECK(decision["b"]["allow"].GetBool() == true);
  CHECK(json::CanonicalText(decision["changed"]) == R"(["allow","matched_rule"])");
  CHECK(Summary(d, "cost_duration") == 1);  // one denial fewer
  RunResult human = RunOep({"diff", kA, kB, "--state-path", p.store});
  CHECK(human.out.find("  step 2 -> 2  write_file @ review.analyze\n      deny (deny_write_without_approval) -> allow "
                       "(allow_write_with_approval)\n") != std::string::npos);
  // Every line fits 80 columns (values are shortened, long changes split over lines).
  std::istringstream lines(human.out);
  for (std::string line; std::getline(lines, line);) CHECK(line.size() <= 80);
  RunResult md = RunOep({"diff", kA, kB, "--state-path", p.store, "--output-format", "markdown"});
  CHECK(md.out.find("### Policy decisions") != std::string::npos);
  CHECK(md.out.find("| denials | 1 | 0 |") != std::string::npos);
}

TEST_CASE("an inserted step is aligned as an insertion, not as every later step changed", "[diff]") {
  Pair p([](RunFiles& b) {
    Doc extra;
    extra.CopyFrom(b.events[0], extra.GetAllocator());
    Set(extra, "/event_id", "evt_extra_b");
    Set(extra, "/checkpoint/name", "review.lint");
    Set(extra, "/action/action_type", "run_linter");
    extra.RemoveMember("permission_packet_ref");
    rapidjson::Pointer("/checkpoint/sequence").Set(b.events[0], 1);
    rapidjson::Pointer("/checkpoint/sequence").Set(extra, 2);
    rapidjson::Pointer("/checkpoint/sequence").Set(b.events[1], 3);
    b.events.insert(b.events.begin() + 1, std::move(extra));
  });
  Doc d = p.Diff();
  const auto& calls = d["tool_calls"];
  CHECK(calls["inserted"].GetInt64() == 1);
  CHECK(calls["changed"].GetInt64() == 0);
  CHECK(calls["same"].GetInt64() == 2);
  REQUIRE(calls["steps"].Size() == 1);
  CHECK(std::string(calls["steps"][0]["op"].GetString()) == "inserted");
  CHECK(calls["steps"][0]["b_step"].GetInt64() == 2);
  CHECK_FALSE(calls["steps"][0].HasMember("a_step"));
  CHECK(std::string(d["runs"]["b"]["source"].GetString()) == "stored events");
  CHECK(d["runs"]["b"]["steps"].GetInt64() == 3);
}

TEST_CASE("a deleted step and reordered steps are reported as deleted and moved", "[diff]") {
  SECTION("deleted") {
    Pair p([](RunFiles& b) {
      b.events.erase(b.events.begin());
      b.packets.erase(b.packets.begin());
    });
    Doc d = p.Diff();
    CHECK(d["tool_calls"]["deleted"].GetInt64() == 1);
    CHECK(std::string(d["tool_calls"]["steps"][0]["op"].GetString()) == "deleted");
    CHECK(d["tool_calls"]["steps"][0]["a_step"].GetInt64() == 1);
  }
  SECTION("moved") {
    Pair p([](RunFiles& b) {
      rapidjson::Pointer("/checkpoint/sequence").Set(b.events[0], 5);  // the read now comes after the write
    });
    Doc d = p.Diff();
    CHECK(d["tool_calls"]["moved"].GetInt64() == 1);
    CHECK(d["tool_calls"]["same"].GetInt64() == 1);
    CHECK(d["tool_calls"]["inserted"].GetInt64() == 0);
    CHECK(d["tool_calls"]["deleted"].GetInt64() == 0);
  }
}

TEST_CASE("redacted fields are compared by hash and their values never appear", "[diff]") {
  // A's read step has its entity id redacted; B holds the same value (same) or another (changed).
  auto redact = [](RunFiles& r) {
    Doc& e = r.events[0];
    std::string marker = MakeRedactionMarker(e["entity_ref"]["id"], "pointer");
    e["entity_ref"]["id"].SetString(marker.c_str(), e.GetAllocator());
  };
  SECTION("same value") {
    Pair p([](RunFiles&) {}, redact);
    Doc d = p.Diff();
    CHECK(d["identical"].GetBool());
    REQUIRE(d["tool_calls"]["steps"].Size() == 1);
    CHECK(HasChange(d["tool_calls"]["steps"][0]["changes"], "/entity_ref/id", "same (redacted)"));
  }
  SECTION("changed value") {
    Pair p([](RunFiles& b) { Set(b.events[0], "/entity_ref/id", "secret-path-9f3"); }, redact);
    Doc d = p.Diff();
    CHECK_FALSE(d["identical"].GetBool());
    CHECK(HasChange(d["tool_calls"]["steps"][0]["changes"], "/entity_ref/id", "changed (redacted)"));
    for (const char* format : {"json", "human", "markdown"}) {
      RunResult r = RunOep({"diff", kA, kB, "--state-path", p.store, "--output-format", format});
      CHECK(r.out.find("secret-path-9f3") == std::string::npos);
    }
  }
}

TEST_CASE("a diff is byte-identical run after run and validates against its schema", "[diff]") {
  Pair p([](RunFiles& b) {
    Set(b.events[1], "/outcome/status", "completed");
    rapidjson::Pointer("/budget/step_cost_usd").Set(b.events[1], 0.07);
  });
  for (const char* format : {"json", "human", "markdown"}) {
    RunResult one = RunOep({"diff", kA, kB, "--state-path", p.store, "--output-format", format});
    RunResult two = RunOep({"diff", kA, kB, "--state-path", p.store, "--output-format", format});
    CHECK(one.exit_code == 0);
    CHECK(one.out == two.out);
  }
  Validator validator;
  for (const auto& extra : std::vector<std::vector<std::string>>{{}, {"--profile", "strict"}}) {
    Doc d = p.Diff(extra);
    Status valid = validator.ValidateWith(kRunDiffSchemaPath, d);
    INFO(valid.message());
    CHECK(valid.ok());
  }
}

TEST_CASE("a user profile file extends a built-in and ignores members and pointers", "[diff]") {
  Pair p([](RunFiles& b) {
    Set(b.events[1], "/outcome/summary", "another summary");
    rapidjson::Pointer("/budget/step_tokens").Set(b.events[1], 999);
  });
  ScratchDir dir;
  WriteText(dir / "profile.json", R"({"name": "ignore-summaries", "extends": "default", "ignore": ["summary", "/budget/*"]})");
  Doc d = p.Diff({"--profile", dir / "profile.json"});
  CHECK(std::string(d["profile"]["name"].GetString()) == "ignore-summaries");
  CHECK(std::string(d["profile"]["source"].GetString()) == dir / "profile.json");
  CHECK(Summary(d, "tool_calls") == 0);
  // The token total is a cost figure, compared in its own category.
  CHECK(HasChange(d["cost_duration"]["changes"], "/tokens", "changed"));
  Doc plain = p.Diff();
  CHECK(Summary(plain, "tool_calls") == 1);
}

TEST_CASE("diff --exit-code exits 1 when the runs differ and 0 when they do not", "[diff]") {
  Pair p([](RunFiles& b) { Set(b.events[1], "/outcome/status", "completed"); });
  CHECK(RunOep({"diff", kA, kB, "--state-path", p.store, "--exit-code"}).exit_code == 1);
  CHECK(RunOep({"diff", kA, kA, "--state-path", p.store, "--exit-code"}).exit_code == 0);
}

TEST_CASE("diff refuses unknown runs and bad profiles with a clear error and leaves the store as it was", "[diff][bad-input]") {
  Pair p([](RunFiles&) {});
  std::string before = FileSha256(p.store);
  RunResult unknown = RunOep({"diff", kA, "cccccccccccccccccccccccccccccccc", "--state-path", p.store});
  CHECK(unknown.exit_code == 1);
  CHECK(unknown.err.find("no run cccccccccccccccccccccccccccccccc") != std::string::npos);
  RunResult name = RunOep({"diff", kA, kB, "--state-path", p.store, "--profile", "lenient"});
  CHECK(name.exit_code == 2);
  CHECK(name.err.find("not a built-in profile (default, strict)") != std::string::npos);
  ScratchDir dir;
  WriteText(dir / "bad.json", R"({"name": "x", "ignore": ["ok", 3]})");
  Refused(p.store, dir / "bad.json", "/ignore/1: expected a non-empty string");
  WriteText(dir / "bad2.json", R"({"name": "x", "extends": "nope", "ignore": []})");
  Refused(p.store, dir / "bad2.json", "/extends: expected a built-in profile name");
  WriteText(dir / "bad3.json", R"({"name": "x", "ignore": [], "extra": 1})");
  Refused(p.store, dir / "bad3.json", "/extra: expected only name, extends and ignore");
  Refused(p.store, dir / "missing.json", "missing.json");
  CHECK(FileSha256(p.store) == before);
}
