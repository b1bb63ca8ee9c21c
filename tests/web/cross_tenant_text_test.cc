// A URL naming another tenant's evidence is refused with a generic text: the same words as
// for an id stored nowhere, never the store's path or anything about the other tenant.
#include <catch2/catch.hpp>

#include "json/json.h"
#include "server/server_fixture.h"
#include "support/support.h"

using namespace oep;
using namespace oep::test;

namespace {

// `text` with every `id` replaced by "ID".
std::string Generic(std::string text, const std::string& id) {
  for (size_t at = text.find(id); at != std::string::npos; at = text.find(id, at + 2)) text.replace(at, id.size(), "ID");
  return text;
}

}  // namespace

TEST_CASE("a cross-tenant URL gets the 404 text of an id stored nowhere and no store path", "[web][tenancy][bad-input]") {
  ScratchDir dir;
  std::string state = dir / "s.sqlite";
  REQUIRE(RunOep({"demo", "--state-path", state}).exit_code == 0);
  std::string other = MakeKey(state, "other", "viewer");
  TestServer server(state, dir.path());
  const std::string decision = "pder_oep_demo_write_file_0002", nowhere = "pder_stored_nowhere_0001";
  const std::string run = "5e0c1d2a9b8f47d6a1c3e5f7091b2d4f", no_run = "00000000000000000000000000000000";
  struct Case {
    std::string path, id, absent_path;
  };
  for (const Case& c : std::vector<Case>{
           {"/v1/decisions/" + decision, decision, "/v1/decisions/" + nowhere},
           {"/v1/decisions/" + decision + "/markdown", decision, "/v1/decisions/" + nowhere + "/markdown"},
           {"/v1/runs/" + run + "/export?format=json", run, "/v1/runs/" + no_run + "/export?format=json"},
           {"/v1/runs/" + run + "/frames", run, "/v1/runs/" + no_run + "/frames"},
       }) {
    HttpResult foreign = server.Get(c.path, other);
    HttpResult absent = server.Get(c.absent_path, other);
    INFO(c.path << "\n" << foreign.body << "\n" << absent.body);
    CHECK(foreign.status == 404);
    CHECK(absent.status == 404);
    CHECK(foreign.body.find(dir.path()) == std::string::npos);
    CHECK(foreign.body.find("s.sqlite") == std::string::npos);
    CHECK(foreign.body.find("default") == std::string::npos);  // the other tenant's name
    CHECK(Generic(foreign.body, c.id) == Generic(absent.body, c.id == decision ? nowhere : no_run));
  }
}

TEST_CASE("no error reply names the store's path", "[web][tenancy][bad-input]") {
  ScratchDir dir;
  std::string state = dir / "s.sqlite";
  REQUIRE(RunOep({"demo", "--state-path", state}).exit_code == 0);
  RunResult k = RunOep({"key", "create", "--tenant", "default", "--role", "viewer", "--state-path", state});
  REQUIRE(k.exit_code == 0);
  std::string viewer = k.out.substr(k.out.rfind('\n', k.out.size() - 2) + 1);
  viewer.pop_back();  // the newline
  TestServer server(state, dir.path());
  // An unknown id in the caller's own tenant: the reply names the id and the nearest
  // stored ids, and says "your tenant's store" where the message named the file.
  HttpResult r = server.Get("/v1/decisions/pder_oep_demo_write_file_0003", viewer);
  INFO(r.body);
  CHECK(r.status == 404);
  CHECK(r.body.find(dir.path()) == std::string::npos);
  CHECK_THAT(r.ErrorMessage(), Catch::Contains("no decision \"pder_oep_demo_write_file_0003\" in your tenant's store") &&
                                   Catch::Contains("pder_oep_demo_write_file_0002"));
}
