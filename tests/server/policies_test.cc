// Policies API and the re-decisions that use stored policy versions, over HTTP.
#include <catch2/catch.hpp>

#include <filesystem>

#include "crypto/encoding.h"
#include "json/json.h"
#include "util/subprocess.h"
#include "server/server_fixture.h"
#include "support/store_backends.h"

using namespace oep;
using namespace oep::test;

namespace {

const std::string kDecision = "pder_opa_0b6e1c2d-5f7a-4e3b-9c1d-2a3b4c5d6e01";

std::string Policy() { return ReadText(RepoRoot() + "/permissions/policy/tool_permissions.rego"); }

// A server on a fresh store of `backend`: the tests using it run on SQLite and PostgreSQL.
struct Served {
  ScratchDir dir;
  std::string backend, state = NewStoreUrl(backend, dir), server_key;
  std::string admin = MakeKey(state, "acme", "admin"), viewer = MakeKey(state, "acme", "viewer");
  std::string other = MakeKey(state, "beta", "admin");
  TestServer server{state, dir.path(), ServerKeyFlags(state, dir.path(), &server_key)};
  explicit Served(std::string backend_name) : backend(std::move(backend_name)) {
    REQUIRE(server.Post("/logs", ReadText(RepoRoot() + "/tests/data/opa_decision_log/service_body.json"), admin).status ==
            200);
  }
};

}  // namespace

TEST_CASE("policies are versioned per project, the same bundle again makes no new version", "[server][policies]") {
  Served s(GENERATE(from_range(StoreBackends())));
  INFO(s.backend);
  HttpResult v1 = s.server.Post("/v1/policies?project=perms", Policy(), s.admin);
  REQUIRE(v1.status == 201);
  CHECK(v1.json["version"].GetInt() == 1);
  CHECK(s.server.Post("/v1/policies?project=perms", Policy(), s.admin).json["created"].IsFalse());
  HttpResult v2 = s.server.Post("/v1/policies?project=perms", Policy() + "\n# v2\n", s.admin);
  CHECK(v2.json["version"].GetInt() == 2);
  HttpResult list = s.server.Get("/v1/policies", s.viewer);
  REQUIRE(list.json["policies"].Size() == 2);
  CHECK(json::GetString(list.json["policies"][0], "uploaded_by").rfind("key:", 0) == 0);
  CHECK(s.server.Post("/v1/policies?project=perms", Policy(), s.viewer).status == 403);
  CHECK(s.server.Get("/v1/policies", s.other).json["policies"].Size() == 0);
  // Uploads are audited and covered by the ledger.
  HttpResult audit = s.server.Get("/v1/audit", s.admin);
  CHECK(audit.body.find("\"action\":\"policy.upload\",\"actor\":\"key:") != std::string::npos);
  s.server.Stop();
  CHECK(RunOep({"verify", "--chain", "--state-path", s.state}).exit_code == 0);
}

TEST_CASE("a policy that does not compile is 400 and stores nothing", "[server][policies][bad-input]") {
  Served s(GENERATE(from_range(StoreBackends())));
  INFO(s.backend);
  std::string before = StoreDigest(s.state);
  HttpResult bad = s.server.Post("/v1/policies?project=perms", "package x\nallow if {", s.admin);
  CHECK(bad.status == 400);
  CHECK(bad.ErrorMessage().find("expected a policy that compiles") != std::string::npos);
  CHECK(bad.body.find("oep-serve-") == std::string::npos);  // no temporary path in the answer
  CHECK(s.server.Post("/v1/policies?project=a/b", Policy(), s.admin).status == 400);
  CHECK(s.server.Post("/v1/policies", Policy(), s.admin).status == 400);
  CHECK(StoreDigest(s.state) == before);
}

TEST_CASE("counterfactual and impact re-decide under a stored version or an inline module", "[server][policies]") {
  Served s(GENERATE(from_range(StoreBackends())));
  INFO(s.backend);
  HttpResult v1 = s.server.Post("/v1/policies?project=perms", Policy(), s.admin);
  REQUIRE(v1.status == 201);
  HttpResult cf = s.server.Post("/v1/decisions/" + kDecision + ":counterfactual",
                                "{\"policy\":{\"project\":\"perms\",\"version\":1}}", s.viewer);
  INFO(cf.body);
  REQUIRE(cf.status == 200);
  // The re-decision names the stored version's digest.
  CHECK(json::GetString(cf.json["counterfactual"], "policy_bundle_version") == json::GetString(v1.json, "digest"));
  CHECK(cf.body.find("oep-serve-") == std::string::npos);
  std::string quoted;
  json::AppendCanonicalString(Policy(), &quoted);
  HttpResult inline_cf = s.server.Post("/v1/decisions/" + kDecision + ":counterfactual",
                                       "{\"policy\":{\"rego\":" + quoted + "}}", s.viewer);
  CHECK(inline_cf.status == 200);
  HttpResult impact = s.server.Post("/v1/impact", "{\"policy\":{\"project\":\"perms\"}}", s.viewer);
  REQUIRE(impact.status == 200);
  CHECK(impact.body.find("\"policy_bundle\":\"policy:perms/v1\"") != std::string::npos);
  CHECK(impact.body.find("\"total\":6") != std::string::npos);
  CHECK(s.server.Post("/v1/impact", "{\"policy\":{\"project\":\"perms\"},\"save\":true}", s.viewer).status == 400);
  HttpResult saved = s.server.Post("/v1/impact", "{\"policy\":{\"project\":\"perms\"},\"save\":true,\"label\":\"pr 7\"}", s.admin);
  REQUIRE(saved.status == 200);
  CHECK(s.server.Get("/v1/impact/runs", s.viewer).json["runs"].Size() == 1);
  CHECK(s.server.Get("/v1/impact/runs", s.other).json["runs"].Size() == 0);
  // Another tenant can neither use acme's policy nor re-decide acme's decisions.
  CHECK(s.server.Post("/v1/impact", "{\"policy\":{\"project\":\"perms\"}}", s.other).status == 404);
  CHECK(s.server.Post("/v1/decisions/" + kDecision + ":counterfactual", "{\"policy\":{\"rego\":\"package p\\nallow := true\"}}",
                      s.other).status == 404);
  CHECK(s.server.Post("/v1/impact", "{\"policy\":7}", s.viewer).ErrorPointer() == "/policy");
  CHECK(s.server.Post("/v1/impact", "{\"policy\":{\"project\":\"perms\",\"version\":0}}", s.viewer).ErrorPointer() ==
        "/policy/version");
}

namespace {

// A .tar.gz made by the tar command from the files `setup` (a shell script) writes in dir/b.
std::string TarGz(const std::string& dir, const std::string& setup) {
  auto r = RunProcess({"/bin/sh", "-c", "mkdir -p '" + dir + "/b' && cd '" + dir + "/b' && " + setup +
                                            " && tar czf ../b.tar.gz --format=ustar *"});
  REQUIRE(r.ok());
  INFO(r->err);
  REQUIRE(r->exit_code == 0);
  return ReadText(dir + "/b.tar.gz");
}

}  // namespace

TEST_CASE("a policy bundle may be a .tar.gz: stored as it is, unpacked for each re-decision", "[server][policies]") {
  Served s(GENERATE(from_range(StoreBackends())));
  INFO(s.backend);
  WriteText(s.dir / "policy.rego", Policy());
  std::string bundle = TarGz(s.dir.path(), "mkdir -p oep/permissions && cp ../policy.rego oep/permissions/ && "
                                           "echo '{}' > oep/data.json && echo notes > README.md");
  HttpResult up = s.server.Post("/v1/policies?project=tar", bundle, s.admin);
  INFO(up.body);
  REQUIRE(up.status == 201);
  HttpResult impact = s.server.Post("/v1/impact", "{\"policy\":{\"project\":\"tar\"}}", s.viewer);
  REQUIRE(impact.status == 200);
  CHECK(impact.body.find("\"total\":6") != std::string::npos);
  HttpResult inline_bundle = s.server.Post("/v1/decisions/" + kDecision + ":counterfactual",
                                           "{\"policy\":{\"bundle_base64\":\"" + crypto::Base64Encode(bundle) + "\"}}", s.viewer);
  CHECK(inline_bundle.status == 200);
}

TEST_CASE("bad .tar.gz bundles are 400 and nothing escapes the bundle's folder", "[server][policies][bad-input]") {
  Served s(GENERATE(from_range(StoreBackends())));
  INFO(s.backend);
  std::string before = StoreDigest(s.state);
  // Only a README: no module.
  HttpResult empty = s.server.Post("/v1/policies?project=tar", TarGz(s.dir / "e", "echo notes > README.md"), s.admin);
  CHECK(empty.status == 400);
  CHECK(empty.ErrorMessage().find("expected a bundle with at least one .rego module") != std::string::npos);
  // A link to a module outside the bundle is skipped, not followed: no module either.
  WriteText(s.dir / "outside.rego", Policy());
  HttpResult link = s.server.Post("/v1/policies?project=tar", TarGz(s.dir / "l", "ln -s '" + s.dir / "outside.rego" + "' p.rego"), s.admin);
  CHECK(link.status == 400);
  // Truncated gzip, and a bomb: 64 MiB of zeros in one member.
  std::string good = TarGz(s.dir / "g", "cp ../../outside.rego p.rego");
  CHECK(s.server.Post("/v1/policies?project=tar", good.substr(0, good.size() / 2), s.admin).status == 400);
  HttpResult bomb = s.server.Post("/v1/policies?project=tar", TarGz(s.dir / "z", "head -c 67108864 /dev/zero > big.rego"), s.admin);
  CHECK(bomb.status == 400);
  CHECK(bomb.ErrorMessage().find("expected at most") != std::string::npos);
  CHECK(StoreDigest(s.state) == before);
}

namespace {

// One ustar member written by hand (tar itself will not write a ".." name). The bundle is
// unpacked in /tmp/oep-serve-XXXXXX/bundle, so "../../x" and "/tmp/x" both aim at /tmp/x.
std::string TarMember(const std::string& name, const std::string& data) {
  std::string h(512, '\0');
  h.replace(0, name.size(), name);
  char size[12];
  std::snprintf(size, sizeof size, "%011o", static_cast<unsigned>(data.size()));
  h.replace(124, 11, size);
  h[156] = '0';
  h.replace(257, 5, "ustar");
  return h + data + std::string((512 - data.size() % 512) % 512, '\0');
}

}  // namespace

TEST_CASE("a bundle member named with .. or an absolute path is not written", "[server][policies][bad-input]") {
  Served s(GENERATE(from_range(StoreBackends())));
  INFO(s.backend);
  std::filesystem::remove("/tmp/oep-evil-member.rego");
  std::string tar = TarMember("../../oep-evil-member.rego", "package evil\nallow := true\n") +
                    TarMember("/tmp/oep-evil-member.rego", "package evil\nallow := true\n") +
                    TarMember("p.rego", Policy()) + std::string(1024, '\0');
  WriteText(s.dir / "t.tar", tar);
  auto r = RunProcess({"/bin/sh", "-c", "gzip -c '" + s.dir / "t.tar" + "' > '" + s.dir / "t.tar.gz" + "'"});
  REQUIRE(r.ok());
  HttpResult up = s.server.Post("/v1/policies?project=tar", ReadText(s.dir / "t.tar.gz"), s.admin);
  CHECK(up.status == 201);  // p.rego alone
  CHECK(!std::filesystem::exists("/tmp/oep-evil-member.rego"));
}
