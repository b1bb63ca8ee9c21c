// POST /v1/retention:apply over real loopback HTTP: admin only, dry run, bad durations
// (400, store unchanged), the tenant's retention from the serve config, and a run's steps
// and frames after retention.
#include <chrono>
#include <filesystem>
#include <thread>

#include <catch2/catch.hpp>

#include "json/json.h"
#include "server/server_fixture.h"
#include "support/support.h"

using namespace oep;
using namespace oep::test;

namespace {
const std::string kRun = "0123456789abcdef0123456789abcdef";
}  // namespace

TEST_CASE("retention over HTTP: admin only and dry run and bad durations then steps and frames show tombstones", "[server][retention]") {
  ScratchDir dir;
  std::string state = dir / "s.sqlite";
  std::string ingest = MakeKey(state, "acme", "ingest"), viewer = MakeKey(state, "acme", "viewer");
  std::string admin = MakeKey(state, "acme", "admin"), other = MakeKey(state, "globex", "admin");
  TestServer server(state, dir.path());
  REQUIRE(server.Post("/v1/artifacts", ManifestJson(), ingest).status == 200);
  REQUIRE(server.Post("/v1/runs", "{\"run_id\":\"" + kRun + "\"}", ingest).status == 201);
  // The example step events are from 2026-11-01: older than a day.
  REQUIRE(server.Post("/v1/runs/" + kRun + "/steps", StepBatch(kRun, 1, 2), ingest).status == 200);

  CHECK(server.Post("/v1/retention:apply", R"({"older_than":"1d"})", viewer).status == 403);
  CHECK(server.Post("/v1/retention:apply", R"({"older_than":"1d"})").status == 401);
  std::string before = StoreDigest(state);  // after the refusals' audit records
  for (const char* body : {R"({"older_than":"30x"})", R"({"older_than":"-1d"})", R"({"older_than":"0d"})",
                           R"({"older_than":""})", R"({"older_than":"1d","audit_older_than":"30d"})",
                           R"({"older_than":30})", R"({"older_than":"1d","dry_run":"yes"})", R"({"older":"1d"})",
                           R"({})"}) {
    HttpResult r = server.Post("/v1/retention:apply", body, admin);
    INFO(body << " " << r.body);
    CHECK(r.status == 400);
  }
  CHECK(server.Post("/v1/retention:apply", R"({"older_than":"30x"})", admin).ErrorMessage() ==
        "/older_than \"30x\": expected a positive whole number and a unit s, m, h, d or w (e.g. 30d), at most a century");
  HttpResult dry = server.Post("/v1/retention:apply", R"({"older_than":"1d","dry_run":true})", admin);
  INFO(dry.body);
  REQUIRE(dry.status == 200);
  CHECK(dry.json["dry_run"].GetBool());
  CHECK(dry.json["deleted"]["events"].GetInt64() == 2);
  CHECK(StoreDigest(state) == before);  // bad durations and the dry run changed nothing

  HttpResult steps_before = server.Get("/v1/runs/" + kRun + "/steps", viewer);
  REQUIRE(steps_before.status == 200);
  REQUIRE(steps_before.json["steps"].Size() == 2);
  HttpResult done = server.Post("/v1/retention:apply", R"({"older_than":"1d"})", admin);
  INFO(done.body);
  REQUIRE(done.status == 200);
  CHECK(done.json["deleted"]["events"].GetInt64() == 2);
  CHECK(json::GetString(done.json, "tenant") == "acme");
  // Another tenant's retention touches nothing of acme's.
  HttpResult globex = server.Post("/v1/retention:apply", R"({"older_than":"1d"})", other);
  REQUIRE(globex.status == 200);
  CHECK(globex.json["total"].GetInt64() == 0);

  HttpResult steps = server.Get("/v1/runs/" + kRun + "/steps", viewer);
  INFO(steps.body);
  REQUIRE(steps.status == 200);
  REQUIRE(steps.json["steps"].Size() == 2);  // listed still, not vanished
  for (rapidjson::SizeType i = 0; i < 2; ++i) {
    const auto& s = steps.json["steps"][i];
    CHECK(json::GetString(s, "status") == "tombstoned");
    CHECK(s["event"].IsNull());
    CHECK(json::GetString(s, "digest") == json::GetString(steps_before.json["steps"][i], "digest"));
  }
  HttpResult frames = server.Get("/v1/runs/" + kRun + "/frames", viewer);
  INFO(frames.body);
  REQUIRE(frames.status == 200);
  CHECK(frames.json["served"].GetBool());
  int tombstoned = 0;
  for (const auto& f : frames.json["frames"].GetArray()) {
    if (json::GetString(f, "status") == "tombstoned") {
      ++tombstoned;
      CHECK(json::GetString(f, "artifact_table") == "events");
      CHECK(json::GetString(f, "warning_code") == "OEP-F006");
      CHECK(!f["content_checked"].GetBool());
    }
  }
  CHECK(tombstoned == 2);
  HttpResult audit = server.Get("/v1/audit", admin);
  CHECK_THAT(audit.body, Catch::Contains("retention.apply"));
}

TEST_CASE("retention over HTTP applies the tenant's retention from the serve config", "[server][retention][serve-config]") {
  ScratchDir dir;
  std::string state = dir / "s.sqlite";
  std::string ingest = MakeKey(state, "acme", "ingest"), admin = MakeKey(state, "acme", "admin");
  std::string other = MakeKey(state, "globex", "admin");
  WriteText(dir / "c.yaml", "retention:\n  acme: {older_than: 1d}\n");
  TestServer server(state, dir.path(), {"--config", dir / "c.yaml"});
  REQUIRE(server.Post("/v1/artifacts", ManifestJson(), ingest).status == 200);
  REQUIRE(server.Post("/v1/runs", "{\"run_id\":\"" + kRun + "\"}", ingest).status == 201);
  REQUIRE(server.Post("/v1/runs/" + kRun + "/steps", StepBatch(kRun, 1, 3), ingest).status == 200);
  HttpResult r = server.Post("/v1/retention:apply", R"({"dry_run":true})", admin);
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(r.json["deleted"]["events"].GetInt64() == 3);
  HttpResult none = server.Post("/v1/retention:apply", "{}", other);
  CHECK(none.status == 400);
  CHECK_THAT(none.ErrorMessage(), Catch::Contains("no retention for tenant globex"));
}

TEST_CASE("serve applies the config's retention itself at start and every retention_interval", "[server][retention]") {
  ScratchDir dir;
  std::string state = dir / "s.sqlite";
  std::string acme = MakeKey(state, "acme", "ingest"), globex = MakeKey(state, "globex", "ingest");
  std::string acme_viewer = MakeKey(state, "acme", "viewer");
  WriteText(dir / "c.yaml", "retention:\n  acme: {older_than: 1d}\nretention_interval: 1s\n");
  TestServer server(state, dir.path(), {"--config", dir / "c.yaml"});
  for (const std::string& key : {acme, globex}) {
    REQUIRE(server.Post("/v1/artifacts", ManifestJson(), key).status == 200);
    REQUIRE(server.Post("/v1/runs", "{\"run_id\":\"" + kRun + "\"}", key).status == 201);
    // The example step events are from 2026-11-01: older than a day.
    REQUIRE(server.Post("/v1/runs/" + kRun + "/steps", StepBatch(kRun, 1, 2), key).status == 200);
  }
  // Within a few intervals acme's steps are tombstoned; globex has no retention configured.
  bool deleted = false;
  for (int i = 0; i < 100 && !deleted; ++i) {
    HttpResult steps = server.Get("/v1/runs/" + kRun + "/steps", acme_viewer);
    REQUIRE(steps.status == 200);
    deleted = steps.json["steps"].Size() == 2 && json::GetString(steps.json["steps"][1], "status") == "tombstoned";
    if (!deleted) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  INFO(server.Log());
  CHECK(deleted);
  CHECK_THAT(server.Log(), Catch::Contains("oep serve: scheduled retention of tenant acme: payloads before"));
  CHECK(server.Stop() == 0);
  RunResult verify = RunOep({"verify", "--chain", "--store", state});
  INFO(verify.out << verify.err);
  CHECK(verify.exit_code == 0);
  CHECK_THAT(verify.out, Catch::Contains("2 tombstoned"));
  // globex's steps are still stored: retention of it would delete them now.
  RunResult dry = RunOep({"retention", "apply", "--older-than", "1d", "--dry-run", "--tenant", "globex", "--store", state,
                          "--output-format", "json"});
  INFO(dry.out << dry.err);
  REQUIRE(dry.exit_code == 0);
  CHECK(json::Parse(dry.out)->operator[]("deleted")["events"].GetInt64() == 2);
}

TEST_CASE("a bad retention_interval is refused with its line or flag and serve does not start", "[server][retention][bad-input]") {
  ScratchDir dir;
  WriteText(dir / "c.yaml", "retention_interval: 0s\n");
  RunResult config = RunOep({"serve", "--config", dir / "c.yaml", "--check-config", "--state-path", dir / "s.sqlite"});
  CHECK(config.exit_code == 2);
  CHECK_THAT(config.err, Catch::Contains("c.yaml:1: retention_interval \"0s\": must be more than zero"));
  RunResult flag = RunOep({"serve", "--state-path", dir / "s.sqlite", "--listen", "127.0.0.1:0", "--retention-interval", "daily"});
  CHECK(flag.exit_code == 2);
  CHECK_THAT(flag.err, Catch::Contains("--retention-interval \"daily\": expected a positive whole number") &&
                           Catch::Contains("; or off"));
  CHECK(!std::filesystem::exists(dir / "s.sqlite"));
  WriteText(dir / "off.yaml", "retention_interval: \"off\"\n");
  RunResult off = RunOep({"serve", "--config", dir / "off.yaml", "--check-config", "--state-path", dir / "s.sqlite"});
  CHECK(off.exit_code == 0);
  CHECK_THAT(off.out, Catch::Contains("retention_interval: \"off\""));
}
