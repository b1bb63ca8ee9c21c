// The bound on what callers without a valid key add to the default tenant's audit log: the
// throttle on its own, and over real HTTP (refusals beyond the budget are summarised, the
// summaries written when the server stops).
#include <catch2/catch.hpp>

#include "json/json.h"
#include "server/anonymous_refusals.h"
#include "server/server_fixture.h"

using namespace oep;
using namespace oep::test;

TEST_CASE("anonymous refusals beyond the window's budget are counted, then summarised per reason", "[server][audit]") {
  server::AnonymousRefusals r(100, 3);
  std::vector<server::RefusalSummary> due;
  for (int i = 0; i < 3; ++i) CHECK(r.Admit("no API key", "10.0.0.1", 10 + i, &due));
  for (int i = 0; i < 5; ++i) CHECK_FALSE(r.Admit("no API key", "10.0.0." + std::to_string(i % 2), 20 + i, &due));
  CHECK_FALSE(r.Admit("unknown or revoked API key", "10.0.0.9", 30, &due));
  CHECK(due.empty());
  CHECK(r.Admit("no API key", "10.0.0.1", 110, &due));  // a new window: the old one's summaries are due
  REQUIRE(due.size() == 2);
  CHECK(due[0].reason == "no API key");
  CHECK(due[0].count == 5);
  CHECK(due[0].addresses == 2);
  CHECK(due[0].first_us == 20);
  CHECK(due[0].last_us == 24);
  CHECK(due[1].reason == "unknown or revoked API key");
  CHECK(due[1].count == 1);
  CHECK(r.Drain().empty());  // the new window has only its recorded refusal
}

TEST_CASE("the addresses of a summary are counted up to a bound", "[server][audit]") {
  server::AnonymousRefusals r(1'000'000, 0);
  std::vector<server::RefusalSummary> due;
  for (size_t i = 0; i < server::AnonymousRefusals::kMaxAddresses + 10; ++i) CHECK_FALSE(r.Admit("no API key", std::to_string(i), 1, &due));
  auto s = r.Drain();
  REQUIRE(s.size() == 1);
  CHECK(s[0].count == static_cast<int64_t>(server::AnonymousRefusals::kMaxAddresses + 10));
  CHECK(s[0].addresses == static_cast<int64_t>(server::AnonymousRefusals::kMaxAddresses));
  CHECK(s[0].more_addresses);
}

TEST_CASE("a flood of requests without a valid key adds a bounded number of audit records", "[server][audit]") {
  ScratchDir dir;
  std::string state = dir / "s.sqlite";
  std::string admin = MakeKey(state, "default", "admin");
  {
    TestServer server(state, dir.path());
    for (int i = 0; i < 45; ++i) CHECK(server.Get("/v1/runs", "oepk_0000000000000000_" + std::to_string(i)).status == 401);
    for (int i = 0; i < 5; ++i) CHECK(server.Get("/v1/runs").status == 401);
    HttpResult audit = server.Get("/v1/audit?limit=500", admin);
    REQUIRE(audit.status == 200);
    int individual = 0;
    for (const auto& rec : audit.json["records"].GetArray()) individual += json::GetString(rec, "action") == "request.denied";
    CHECK(individual == 20);
    CHECK(server.Stop() == 0);
  }
  TestServer again(state, dir.path());
  HttpResult audit = again.Get("/v1/audit?limit=500", admin);
  REQUIRE(audit.status == 200);
  int individual = 0;
  int64_t summarised = 0;
  for (const auto& rec : audit.json["records"].GetArray()) {
    std::string action = json::GetString(rec, "action");
    if (action == "request.denied") ++individual;
    if (action != "request.denied.summary") continue;
    std::string target = json::GetString(rec, "target");
    summarised += std::stoll(target);
    CHECK_THAT(json::GetString(rec, "detail"), Catch::Contains("were not recorded one by one"));
  }
  CHECK(individual == 20);
  CHECK(summarised == 30);  // 50 refusals in all
}
