// oep serve --config: YAML options, flags winning over them, --check-config printing the
// effective config, and unknown keys or bad values refused with their line.
#include <filesystem>

#include <catch2/catch.hpp>

#include "serve_config/serve_config.h"
#include "server/server_fixture.h"
#include "support/support.h"

using namespace oep;
using namespace oep::test;

namespace {

std::string Refusal(const std::string& yaml) {
  ScratchDir dir;
  WriteText(dir / "c.yaml", yaml);
  ServeSettings s;
  Status st = ReadServeConfig(dir / "c.yaml", {}, &s);
  REQUIRE(!st.ok());
  std::string m = st.message();
  REQUIRE(m.rfind(dir / "c.yaml:", 0) == 0);
  return m.substr((dir / "c.yaml").size());
}

}  // namespace

TEST_CASE("a serve config sets every option and flags given win", "[serve-config]") {
  ScratchDir dir;
  WriteText(dir / "c.yaml",
            "# oep serve\nlisten: 0.0.0.0:9090\nstate_path: /var/lib/oep/e.sqlite\ntls:\n  cert: c.pem\n  key: k.pem\n"
            "server_key: s.pem\ntrusted_keys: [server=a.pem, local=b.pem]\ntrusted_keys_file: t.txt\n"
            "redaction_profile: r.json\nmonitors:\n  - m1\n  - m2\nlimits:\n  threads: 4\n  max_body_bytes: 2048\n"
            "  read_timeout_seconds: 5\n  write_timeout_seconds: 6\nwebhooks: {key: w.pem, max_attempts: 3, initial_backoff_ms: 50, "
            "queue_capacity: 7}\nport_file: p.txt\n");
  ServeSettings s;
  REQUIRE(ReadServeConfig(dir / "c.yaml", {}, &s).ok());
  CHECK(s.listen == "0.0.0.0:9090");
  CHECK(s.state_path == "/var/lib/oep/e.sqlite");
  CHECK(s.server.tls_cert == "c.pem");
  CHECK(s.server.tls_key == "k.pem");
  CHECK(s.server.server_key == "s.pem");
  CHECK(s.server.trusted_keys == std::vector<std::string>{"server=a.pem", "local=b.pem"});
  CHECK(s.server.trusted_keys_file == "t.txt");
  CHECK(s.server.redaction_profile == "r.json");
  CHECK(s.server.monitors == std::vector<std::string>{"m1", "m2"});
  CHECK(s.server.threads == 4);
  CHECK(s.server.max_body_bytes == 2048);
  CHECK(s.server.read_timeout_seconds == 5);
  CHECK(s.server.write_timeout_seconds == 6);
  CHECK(s.server.webhook_key == "w.pem");
  CHECK(s.server.webhook_max_attempts == 3);
  CHECK(s.server.webhook_initial_backoff_ms == 50);
  CHECK(s.server.webhook_queue_capacity == 7);
  CHECK(s.server.port_file == "p.txt");

  ServeSettings kept;
  kept.server.threads = 12;
  kept.listen = "127.0.0.1:1";
  REQUIRE(ReadServeConfig(dir / "c.yaml", {"limits.threads", "listen"}, &kept).ok());
  CHECK(kept.server.threads == 12);
  CHECK(kept.listen == "127.0.0.1:1");
  CHECK(kept.server.port_file == "p.txt");

  // The effective config reads back as the same settings.
  WriteText(dir / "round.yaml", EffectiveConfigYaml(s));
  ServeSettings again;
  REQUIRE(ReadServeConfig(dir / "round.yaml", {}, &again).ok());
  CHECK(EffectiveConfigYaml(again) == EffectiveConfigYaml(s));
}

TEST_CASE("a bad serve config is refused with its line and what was expected", "[serve-config][bad-input]") {
  CHECK(Refusal("listen: a:1\ncolour: red\n") ==
        ":2: unknown key \"colour\"; expected limits, listen, monitors, port_file, redaction_profile, retention, "
        "retention_interval, server_key, state_path, tls, trusted_keys, trusted_keys_file, webhooks");
  CHECK(Refusal("limits:\n  threads: 4\n  thread: 5\n").rfind(":3: unknown key \"limits.thread\"; expected max_body_bytes", 0) == 0);
  CHECK(Refusal("limits:\n  threads: 999\n") == ":2: limits.threads: expected an integer from 1 to 256, found 999");
  CHECK(Refusal("limits:\n  threads: many\n") == ":2: limits.threads: expected an integer from 1 to 256");
  CHECK(Refusal("webhooks:\n  max_attempts: 0\n") == ":2: webhooks.max_attempts: expected an integer from 1 to 100, found 0");
  CHECK(Refusal("webhooks:\n  retries: 3\n") ==
        ":2: unknown key \"webhooks.retries\"; expected initial_backoff_ms, key, max_attempts, queue_capacity");
  CHECK(Refusal("monitors: m1\n") == ":1: monitors: expected a list of strings");
  CHECK(Refusal("tls: yes\n") == ":1: tls: expected a mapping");
  CHECK(Refusal("listen: [a]\n") == ":1: listen: expected a string");
  CHECK(Refusal("listen: a\nlisten: b\n") == ":2: key \"listen\" given twice");
  CHECK(Refusal("- a\n- b\n") == ":1: the config: expected a mapping");
  CHECK(Refusal("x: &a 1\ny: *a\n").find("aliases are not allowed") != std::string::npos);
  CHECK(Refusal("listen: \"open\n").rfind(":", 0) == 0);  // a YAML syntax error, with its line
}

TEST_CASE("a serve config sets retention per tenant and refuses bad retention with its line", "[serve-config][retention]") {
  ScratchDir dir;
  WriteText(dir / "c.yaml", "retention:\n  acme: {older_than: 30d}\n  globex:\n    older_than: 90d\n    audit_older_than: 800d\n");
  ServeSettings s;
  REQUIRE(ReadServeConfig(dir / "c.yaml", {}, &s).ok());
  REQUIRE(s.server.retention.size() == 2);
  CHECK(s.server.retention["acme"].older_than == "30d");
  CHECK(s.server.retention["acme"].audit_older_than.empty());
  CHECK(s.server.retention["globex"].audit_older_than == "800d");
  std::string yaml = EffectiveConfigYaml(s);
  CHECK_THAT(yaml, Catch::Contains("retention:\n  \"acme\":\n    older_than: \"30d\"\n    audit_older_than: \"365d\"\n"));
  WriteText(dir / "round.yaml", yaml);
  ServeSettings again;
  REQUIRE(ReadServeConfig(dir / "round.yaml", {}, &again).ok());
  CHECK(EffectiveConfigYaml(again) == yaml);

  CHECK(Refusal("retention:\n  acme:\n    older_than: 30d\n    keep: 1\n") ==
        ":4: unknown key \"retention.acme.keep\"; expected audit_older_than, older_than");
  CHECK(Refusal("retention:\n  acme:\n    older_than: 30x\n") ==
        ":3: retention.acme.older_than \"30x\": expected a positive whole number and a unit s, m, h, d or w (e.g. 30d), at most a century");
  CHECK(Refusal("retention:\n  acme: {older_than: 0d}\n").rfind(":2: retention.acme.older_than \"0d\": must be more than zero", 0) == 0);
  CHECK(Refusal("retention:\n  acme: {older_than: 30d, audit_older_than: 30d}\n") ==
        ":2: retention.acme.audit_older_than \"30d\": the audit log is kept at least 365d");
  CHECK(Refusal("retention:\n  acme: {audit_older_than: 400d}\n") == ":2: retention.acme: older_than is required");
  CHECK(Refusal("retention: 30d\n") == ":1: retention: expected a mapping of tenant names");
}

TEST_CASE("oep serve --check-config prints the effective config and serve --config runs with it", "[serve-config][server]") {
  ScratchDir dir;
  WriteText(dir / "c.yaml", "listen: 127.0.0.1:0\nstate_path: " + (dir / "s.sqlite") + "\nmonitors: [" + RepoRoot() +
                                "/permissions/policy/monitors]\nlimits:\n  threads: 3\n");
  RunResult check = RunOep({"serve", "--config", dir / "c.yaml", "--check-config", "--threads", "5"});
  INFO(check.err);
  REQUIRE(check.exit_code == 0);
  CHECK_THAT(check.out, Catch::Contains("listen: \"127.0.0.1:0\"\n"));
  CHECK_THAT(check.out, Catch::Contains("  threads: 5\n"));  // the flag wins
  CHECK_THAT(check.out, Catch::Contains("webhooks:\n  key: \"\"\n  max_attempts: 6\n  initial_backoff_ms: 500\n  queue_capacity: 1024\n"));
  CHECK_THAT(check.out, Catch::Contains("state_path: \"" + (dir / "s.sqlite") + "\"\n"));
  CHECK(!std::filesystem::exists(dir / "s.sqlite"));  // checking opens no store

  WriteText(dir / "bad.yaml", "listen: 127.0.0.1:0\nmonitor: x\n");
  RunResult bad = RunOep({"serve", "--config", dir / "bad.yaml", "--check-config"});
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.err, Catch::Contains("bad.yaml:2: unknown key \"monitor\""));
  WriteText(dir / "nomon.yaml", "monitors: [" + (dir / "absent") + "]\n");
  RunResult nomon = RunOep({"serve", "--config", dir / "nomon.yaml", "--check-config"});
  CHECK(nomon.exit_code == 2);
  CHECK_THAT(nomon.err, Catch::Contains("no such monitor file or folder"));
  CHECK(RunOep({"serve", "--config", dir / "missing.yaml", "--check-config"}).exit_code != 0);

  // The server started with the config (the fixture's --state-path and --listen win) runs
  // the config's monitors: a recorded drop is flagged.
  std::string state = dir / "s2.sqlite";
  std::string viewer = MakeKey(state, "acme", "viewer"), ingest = MakeKey(state, "acme", "ingest");
  TestServer server(state, dir.path(), {"--config", dir / "c.yaml"});
  const std::string run = "e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5";
  REQUIRE(server.Post("/v1/runs", "{\"run_id\":\"" + run + "\",\"model\":\"m1\"}", ingest).status == 201);
  REQUIRE(server.Post("/v1/runs/" + run + ":drop", "{\"count\":1,\"first_seq\":1,\"last_seq\":1,\"reason\":\"x\"}", ingest).status == 201);
  HttpResult list = server.Get("/v1/violations?monitor=monitors.log_drop", viewer);
  REQUIRE(list.status == 200);
  CHECK(list.json["violations"].Size() == 1);
  CHECK(std::filesystem::exists(state));
  CHECK(!std::filesystem::exists(dir / "s.sqlite"));  // the flag's store, not the config's
}
