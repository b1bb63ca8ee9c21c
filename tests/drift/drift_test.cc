#include <catch2/catch.hpp>

#include "drift/drift.h"
#include "json/json.h"
#include "schema/validator.h"
#include "store/store.h"
#include "support/support.h"

using namespace oep::test;

namespace {

constexpr const char* kDemoRelease = "rmf_oep_code_review_demo_v0";

// The demo release manifest with `changes` applied: layer -> new digest ("" removes the layer).
std::string Variant(const ScratchDir& dir, const std::string& name, const std::vector<std::pair<std::string, std::string>>& changes) {
  auto doc = oep::json::Parse(ReadText(RepoRoot() + "/manifest/examples/code_review_demo_release.v0.json"));
  REQUIRE(doc.ok());
  auto& a = doc->GetAllocator();
  (*doc)["manifest_id"].SetString(name.c_str(), a);
  for (const auto& [layer, digest] : changes) {
    if (digest.empty()) {
      (*doc)["layer_bindings"].RemoveMember(layer.c_str());
      continue;
    }
    (*doc)["layer_bindings"][layer.c_str()]["digest"].SetString(digest.c_str(), a);
    (*doc)["layer_bindings"][layer.c_str()]["version"].SetString("0.2.0", a);
  }
  std::string path = dir / (name + ".json");
  WriteText(path, oep::json::CanonicalText(*doc));
  return path;
}

std::string At(const rapidjson::Value& doc, const char* path) {
  const rapidjson::Value* v = oep::json::FindDotted(doc, path);
  return v == nullptr ? "<absent>" : oep::json::CanonicalText(*v);
}

const std::string kOther = "sha256:" + std::string(64, 'a');

}  // namespace

TEST_CASE("drift names the changed surfaces by digest and the recorded decisions each could touch", "[drift]") {
  DemoFixture demo;
  std::string b = Variant(demo.dir, "rmf_b", {{"policy", kOther}, {"workflow", kOther}});
  RunResult r = demo.Run({"drift", kDemoRelease, b, "--output-format", "jsonl"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto doc = oep::json::Parse(r.out);
  REQUIRE(doc.ok());
  CHECK(oep::Validator().ValidateWith(oep::kReleaseDriftSchemaPath, *doc).message() == "");
  CHECK(At(*doc, "changed_surfaces") == "[\"policy\",\"workflow\"]");
  CHECK(At(*doc, "surfaces.model.status") == "\"unchanged\"");
  CHECK(At(*doc, "surfaces.policy.after_digest") == "\"" + kOther + "\"");
  CHECK(At(*doc, "surfaces.policy.change_class") == "\"policy_update\"");
  CHECK(At(*doc, "decisions_of_release_a") == "2");
  // Both demo decisions were decided under the demo release's policy bundle.
  CHECK(At(*doc, "surfaces.policy.touched_decisions.count") == "2");
  CHECK(At(*doc, "surfaces.policy.touched_decisions.first_decision_ids") ==
        "[\"pder_oep_demo_read_diff_0001\",\"pder_oep_demo_write_file_0002\"]");
  CHECK(At(*doc, "surfaces.workflow.touched_decisions.count") == "2");
  CHECK(At(*doc, "surfaces.prompt.touched_decisions") == "<absent>");

  // A release A whose policy digest no decision was recorded under touches none by policy.
  std::string a = Variant(demo.dir, kDemoRelease, {{"policy", "sha256:" + std::string(64, 'b')}});
  RunResult r2 = demo.Run({"drift", a, b, "--output-format", "jsonl"});
  REQUIRE(r2.exit_code == 0);
  auto doc2 = oep::json::Parse(r2.out);
  REQUIRE(doc2.ok());
  CHECK(At(*doc2, "surfaces.policy.touched_decisions.count") == "0");
  CHECK(At(*doc2, "release_a.source") == "\"" + a + "\"");

  std::string c = Variant(demo.dir, "rmf_c", {{"prompt", ""}});
  RunResult removed = demo.Run({"drift", kDemoRelease, c, "--output-format", "jsonl"});
  REQUIRE(removed.exit_code == 0);
  CHECK_THAT(removed.out, Catch::Contains("\"changed_surfaces\":[\"prompt\"]") && Catch::Contains("\"status\":\"removed\""));

  RunResult same = demo.Run({"drift", kDemoRelease, kDemoRelease});
  REQUIRE(same.exit_code == 0);
  CHECK_THAT(same.out, Catch::Contains("policy        unchanged"));
  RunResult again = demo.Run({"drift", kDemoRelease, b});
  CHECK(again.out == demo.Run({"drift", kDemoRelease, b}).out);  // deterministic
}

TEST_CASE("drift bad inputs are clear errors", "[drift][bad-input]") {
  DemoFixture demo;
  RunResult unknown = demo.Run({"drift", kDemoRelease, "rmf_nope"});
  CHECK(unknown.exit_code == 1);
  CHECK_THAT(unknown.err, Catch::Contains("rmf_nope"));
  WriteText(demo.dir / "not.json", R"({"schema_version":"oep.agent_step_event.v0"})");
  RunResult wrong = demo.Run({"drift", kDemoRelease, demo.dir / "not.json"});
  CHECK(wrong.exit_code == 2);
  CHECK_THAT(wrong.err, Catch::Contains("not.json: /schema_version: expected \"oep.release_manifest.v0\""));
  WriteText(demo.dir / "nob.json", R"({"schema_version":"oep.release_manifest.v0","manifest_id":"rmf_x"})");
  RunResult nob = demo.Run({"drift", kDemoRelease, demo.dir / "nob.json"});
  CHECK(nob.exit_code == 2);
  CHECK_THAT(nob.err, Catch::Contains("/layer_bindings: expected an object"));
  WriteText(demo.dir / "bad.json", "{\"schema_version\":");
  RunResult bad = demo.Run({"drift", kDemoRelease, demo.dir / "bad.json"});
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.err, Catch::Contains("bad.json"));
}

TEST_CASE("drift streams every decision once when release A has more than the index limit", "[drift]") {
  DemoFixture demo;
  std::string b = Variant(demo.dir, "rmf_b", {{"policy", kOther}, {"model", kOther}});
  auto store = oep::Store::Open(demo.store, oep::Store::Mode::kReadOnly);
  REQUIRE(store.ok());
  oep::DriftOptions indexed, streamed;
  streamed.index_limit = 1;  // the demo release has 2 decisions
  auto x = oep::DriftReleases(**store, kDemoRelease, b, indexed);
  auto y = oep::DriftReleases(**store, kDemoRelease, b, streamed);
  REQUIRE(x.ok());
  REQUIRE(y.ok());
  CHECK(oep::json::CanonicalText(*x) == oep::json::CanonicalText(*y));
  CHECK(At(*y, "surfaces.policy.touched_decisions.count") == "2");
  CHECK(At(*y, "surfaces.model.touched_decisions.count") == "2");
}
