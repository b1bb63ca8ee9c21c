// `oep serve` delivering a tenant's webhook events (violation, approval.requested,
// run.finished) to a real receiver on loopback: signed as the README documents, in order,
// retried on 500, given up after N, a full queue recorded, the delivery log in the store.
#include <chrono>
#include <thread>

#include <catch2/catch.hpp>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "json/json.h"
#include "server/server_fixture.h"
#include "server/webhook_receiver.h"
#include "support/support.h"

using namespace oep;
using namespace oep::test;

namespace {

// The receiver's check as the README's "Run a server" writes it: hex HMAC-SHA256 with the
// secret over "<X-Oep-Timestamp>.<raw body>", compared in constant time with X-Oep-Signature
// after "v1=", and the timestamp within 300 s of the receiver's clock.
bool ReadmeCheck(const std::string& secret, const ReceivedHook& h) {
  int64_t now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  if (h.timestamp.empty() || h.timestamp.find_first_not_of("0123456789") != std::string::npos) return false;
  if (std::llabs(now - std::stoll(h.timestamp)) > 300) return false;
  std::string text = h.timestamp + "." + h.body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), reinterpret_cast<const unsigned char*>(text.data()),
       text.size(), mac, &n);
  char hex[2 * EVP_MAX_MD_SIZE + 1];
  for (unsigned int i = 0; i < n; ++i) std::snprintf(hex + 2 * i, 3, "%02x", mac[i]);
  std::string expected = std::string("v1=") + hex;
  return h.signature.size() == expected.size() && CRYPTO_memcmp(h.signature.data(), expected.data(), expected.size()) == 0;
}

struct Subscription {
  std::string id, secret;
};

Subscription AddHook(const std::string& state, const std::string& tenant, const std::string& url, const std::string& events,
                     const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args = {"webhook", "add", "--state-path", state, "--tenant", tenant, "--url", url, "--events", events,
                                   "--output-format", "json"};
  args.insert(args.end(), extra.begin(), extra.end());
  RunResult r = RunOep(args);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto doc = json::Parse(r.out);
  REQUIRE(doc.ok());
  return {json::GetString(*doc, "subscription_id"), json::GetString(*doc, "secret")};
}

// The delivery log of `tenant` as "<delivery id> <attempt> <http status> <outcome>" lines.
std::vector<std::string> DeliveryLog(const std::string& state, const std::string& tenant, const std::string& sub) {
  RunResult r = RunOep({"webhook", "log", "--state-path", state, "--tenant", tenant, "--subscription", sub,
                        "--output-format", "json"});
  REQUIRE(r.exit_code == 0);
  auto doc = json::Parse(r.out);
  REQUIRE(doc.ok());
  std::vector<std::string> out;
  for (const auto& a : doc->GetArray()) {
    out.push_back(json::GetString(a, "delivery_id") + " " + std::to_string(a["attempt"].GetInt()) + " " +
                  std::to_string(a["http_status"].GetInt()) + " " + json::GetString(a, "outcome"));
  }
  return out;
}

// Polls the delivery log until it has `n` lines (the server records each attempt after it).
std::vector<std::string> WaitForLog(const std::string& state, const std::string& tenant, const std::string& sub, size_t n) {
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  std::vector<std::string> log;
  while (std::chrono::steady_clock::now() < until) {
    log = DeliveryLog(state, tenant, sub);
    if (log.size() >= n) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return log;
}

std::string BlockedStep(const std::string& run, int step) {
  auto doc = json::Parse(StepEvent(run, step));
  auto& a = doc->GetAllocator();
  (*doc)["event_type"].SetString("tool_call.executed", a);
  rapidjson::Value payload(rapidjson::kObjectType);
  payload.AddMember("tool", "delete_repository", a);
  doc->AddMember("tool_payload", payload, a);
  return "{\"steps\":[{\"step\":" + std::to_string(step) + ",\"event\":" + json::CanonicalText(*doc) + "}]}";
}

std::string Run(int i) {
  char id[40];
  std::snprintf(id, sizeof id, "%032x", 0xabc000 + i);
  return id;
}

}  // namespace

TEST_CASE("serve delivers violation approval.requested and run.finished signed and in order to the tenant's webhooks", "[server][webhooks]") {
  ScratchDir dir;
  std::string state = dir / "s.sqlite";
  std::string ingest = MakeKey(state, "acme", "ingest"), other = MakeKey(state, "globex", "ingest");
  WebhookReceiver receiver, removed_receiver, globex_receiver;
  Subscription sub = AddHook(state, "acme", receiver.Url(), "violation,approval.requested,run.finished");
  Subscription gone = AddHook(state, "acme", removed_receiver.Url(), "violation,run.finished");
  REQUIRE(RunOep({"webhook", "remove", "--state-path", state, "--tenant", "acme", gone.id}).exit_code == 0);
  AddHook(state, "globex", globex_receiver.Url(), "run.finished");

  TestServer server(state, dir.path(), {"--monitor", RepoRoot() + "/permissions/policy/monitors"});
  const std::string run = Run(1);
  REQUIRE(server.Post("/v1/artifacts", ManifestJson(), ingest).status == 200);
  REQUIRE(server.Post("/v1/runs", "{\"run_id\":\"" + run + "\"}", ingest).status == 201);
  HttpResult steps = server.Post("/v1/runs/" + run + "/steps", BlockedStep(run, 1), ingest);
  INFO(steps.body << server.Log());
  REQUIRE(steps.status == 200);
  HttpResult approval = server.Post("/v1/approvals",
                                    "{\"run_id\":\"" + run + "\",\"step\":2,\"tool\":\"deploy\",\"action_summary\":\"ship\","
                                    "\"risk\":\"high\",\"payload_sha256\":\"sha256:" + std::string(64, 'a') + "\"}",
                                    ingest);
  REQUIRE(approval.status == 201);
  REQUIRE(server.Post("/v1/runs/" + run + ":finish", "{}", ingest).status == 200);
  REQUIRE(server.Post("/v1/runs/" + run + ":finish", "{}", ingest).status == 200);  // already finished: no event

  REQUIRE(receiver.WaitFor(3));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // nothing more arrives
  auto got = receiver.Received();
  REQUIRE(got.size() == 3);
  std::vector<std::string> events;
  for (const auto& h : got) {
    CHECK(ReadmeCheck(sub.secret, h));
    CHECK_FALSE(ReadmeCheck(gone.secret, h));
    auto body = json::Parse(h.body);
    REQUIRE(body.ok());
    CHECK(json::GetString(*body, "event") == h.event);
    CHECK(json::GetString(*body, "delivery_id") == h.delivery);
    CHECK(json::GetString(*body, "tenant") == "acme");
    events.push_back(h.event);
  }
  CHECK(events == std::vector<std::string>{"violation", "approval.requested", "run.finished"});  // in emission order
  auto violation = json::Parse(got[0].body);
  CHECK(json::GetString((*violation)["data"], "monitor") == "monitors.blocked_tool");
  CHECK(json::GetString((*violation)["data"], "run_id") == run);
  auto request = json::Parse(got[1].body);
  CHECK(json::GetString((*request)["data"], "tool") == "deploy");
  auto finished = json::Parse(got[2].body);
  CHECK(json::GetString((*finished)["data"], "run_id") == run);
  CHECK(json::GetString((*finished)["data"], "status") == "finished");

  CHECK(removed_receiver.Received().empty());  // removed before the events
  CHECK(globex_receiver.Received().empty());   // another tenant's events only

  auto log = WaitForLog(state, "acme", sub.id, 3);
  REQUIRE(log.size() == 3);
  for (size_t i = 0; i < 3; ++i) CHECK(log[i] == got[i].delivery + " 1 200 delivered");
}

TEST_CASE("serve retries a webhook answering 500 and gives up after --webhook-attempts, in order per subscription", "[server][webhooks]") {
  ScratchDir dir;
  std::string state = dir / "s.sqlite";
  std::string ingest = MakeKey(state, "acme", "ingest");
  WebhookReceiver failing({500}), flaky({500, 200});
  Subscription down = AddHook(state, "acme", failing.Url(), "run.finished");
  Subscription up = AddHook(state, "acme", flaky.Url(), "run.finished");
  TestServer server(state, dir.path(), {"--webhook-attempts", "3", "--webhook-backoff-ms", "20"});
  for (int i = 1; i <= 2; ++i) {
    REQUIRE(server.Post("/v1/runs", "{\"run_id\":\"" + Run(i) + "\"}", ingest).status == 201);
    REQUIRE(server.Post("/v1/runs/" + Run(i) + ":finish", "{}", ingest).status == 200);
  }
  REQUIRE(failing.WaitFor(6));
  REQUIRE(flaky.WaitFor(3));
  auto down_log = WaitForLog(state, "acme", down.id, 6);
  INFO(server.Log());
  REQUIRE(down_log.size() == 6);
  auto hooks = failing.Received();
  std::string first = hooks[0].delivery, second = hooks[3].delivery;
  CHECK(first != second);
  for (int i = 0; i < 3; ++i) {
    CHECK(hooks[i].delivery == first);  // one delivery id on every retry, each attempt signed anew
    CHECK(ReadmeCheck(down.secret, hooks[i]));
    CHECK(hooks[3 + i].delivery == second);  // the second delivery waits for the first to be given up
  }
  CHECK(json::GetString((*json::Parse(hooks[0].body))["data"], "run_id") == Run(1));
  CHECK(json::GetString((*json::Parse(hooks[3].body))["data"], "run_id") == Run(2));
  CHECK(down_log == std::vector<std::string>{first + " 1 500 retrying", first + " 2 500 retrying", first + " 3 500 gave_up",
                                             second + " 1 500 retrying", second + " 2 500 retrying", second + " 3 500 gave_up"});
  auto up_log = WaitForLog(state, "acme", up.id, 3);
  REQUIRE(up_log.size() == 3);
  auto ok = flaky.Received();
  CHECK(up_log == std::vector<std::string>{ok[0].delivery + " 1 500 retrying", ok[0].delivery + " 2 200 delivered",
                                           ok[2].delivery + " 1 200 delivered"});
}

TEST_CASE("serve records a delivery the full webhook queue refuses and ingestion does not wait", "[server][webhooks]") {
  ScratchDir dir;
  std::string state = dir / "s.sqlite";
  std::string ingest = MakeKey(state, "acme", "ingest");
  WebhookReceiver receiver;
  receiver.hold = true;  // the first delivery stays in flight
  Subscription sub = AddHook(state, "acme", receiver.Url(), "run.finished");
  {
    TestServer server(state, dir.path(), {"--webhook-queue", "1"});
    for (int i = 1; i <= 3; ++i) {
      REQUIRE(server.Post("/v1/runs", "{\"run_id\":\"" + Run(i) + "\"}", ingest).status == 201);
      auto start = std::chrono::steady_clock::now();
      REQUIRE(server.Post("/v1/runs/" + Run(i) + ":finish", "{}", ingest).status == 200);
      CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));  // not the receiver's 10 s timeout
      if (i == 1) {
        while (receiver.entered == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));  // off the queue
      }
    }
    // Run 1 in flight, run 2 queued, run 3 refused.
    auto log = WaitForLog(state, "acme", sub.id, 1);
    REQUIRE(log.size() == 1);
    CHECK_THAT(log[0], Catch::EndsWith(" 0 0 queue_full"));
    CHECK(server.Post("/v1/runs", "{\"run_id\":\"" + Run(4) + "\"}", ingest).status == 201);  // still serving
    std::thread release([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      receiver.hold = false;
    });
    CHECK(server.Stop() == 0);  // waits for the attempt in flight; run 2 is not sent
    release.join();
  }
  auto log = DeliveryLog(state, "acme", sub.id);
  REQUIRE(log.size() == 3);
  std::vector<std::string> outcomes;
  for (const auto& l : log) outcomes.push_back(l.substr(l.find(' ') + 1));
  std::sort(outcomes.begin(), outcomes.end());
  CHECK(outcomes == std::vector<std::string>{"0 0 not_sent", "0 0 queue_full", "1 200 delivered"});
  CHECK(receiver.Received().size() == 1);
}

TEST_CASE("a webhook whose secret was derived from another webhook key is never sent and is logged no_secret", "[server][webhooks]") {
  ScratchDir dir;
  std::string state = dir / "s.sqlite", other_key = dir / "other-webhook-key.pem";
  std::string ingest = MakeKey(state, "acme", "ingest");
  REQUIRE(RunOep({"keys", "generate", "--out", other_key}).exit_code == 0);
  WebhookReceiver receiver, elsewhere;
  Subscription sub = AddHook(state, "acme", receiver.Url(), "run.finished");  // the key beside the store
  Subscription foreign = AddHook(state, "acme", elsewhere.Url(), "run.finished", {"--webhook-key", other_key});
  const std::string run = Run(7);
  {
    TestServer server(state, dir.path());  // derives with STATE.webhook-key.pem
    REQUIRE(server.Post("/v1/artifacts", ManifestJson(), ingest).status == 200);
    REQUIRE(server.Post("/v1/runs", "{\"run_id\":\"" + run + "\"}", ingest).status == 201);
    REQUIRE(server.Post("/v1/runs/" + run + ":finish", "{}", ingest).status == 200);
    REQUIRE(receiver.WaitFor(1));
    CHECK(ReadmeCheck(sub.secret, receiver.Received()[0]));
    auto log = WaitForLog(state, "acme", foreign.id, 1);
    REQUIRE(log.size() == 1);
    CHECK(log[0].substr(log[0].find(' ') + 1) == "0 0 no_secret");
  }
  CHECK(elsewhere.Received().empty());
  RunResult r = RunOep({"webhook", "log", "--state-path", state, "--tenant", "acme", "--subscription", foreign.id});
  CHECK_THAT(r.out, Catch::Contains("derived from webhook key") && Catch::Contains("no_secret"));
  // The same server given that key signs with it.
  const std::string run2 = Run(8);
  {
    TestServer server(state, dir.path(), {"--webhook-key", other_key});
    REQUIRE(server.Post("/v1/runs", "{\"run_id\":\"" + run2 + "\"}", ingest).status == 201);
    REQUIRE(server.Post("/v1/runs/" + run2 + ":finish", "{}", ingest).status == 200);
    REQUIRE(elsewhere.WaitFor(1));
    CHECK(ReadmeCheck(foreign.secret, elsewhere.Received()[0]));
  }
}

TEST_CASE("POST /v1/artifacts refuses webhook and violation records with 400 and stores nothing", "[server][webhooks][bad-input]") {
  ScratchDir dir;
  std::string state = dir / "s.sqlite";
  std::string ingest = MakeKey(state, "acme", "ingest");
  std::string before = StoreDigest(state);
  const std::string forged[] = {
      "{\"schema_version\":\"oep.webhook_subscription.v0\",\"subscription_id\":\"whk_0123456789abcdef\","
      "\"created_at\":\"2026-01-01T00:00:00Z\",\"url\":\"http://127.0.0.1:9/steal\",\"events\":[\"run.finished\"],"
      "\"secret\":\"0123456789abcdef0123\"}",
      "{\"schema_version\":\"oep.webhook_removal.v0\",\"subscription_id\":\"whk_0123456789abcdef\","
      "\"removed_at\":\"2026-01-01T00:00:00Z\"}",
      "{\"schema_version\":\"oep.monitor_violation.v0\",\"violation_id\":\"vio_" + std::string(64, 'a') + "\","
      "\"created_at\":\"2026-01-01T00:00:00Z\",\"monitor\":\"m\",\"policy_version\":\"sha256:" + std::string(64, 'b') +
          "\",\"rule\":\"deny\",\"message\":\"x\",\"severity\":\"low\",\"event_ids\":[],\"decision_ids\":[]}",
  };
  {
    TestServer server(state, dir.path());
    for (const auto& body : forged) {
      HttpResult r = server.Post("/v1/artifacts", body, ingest);
      INFO(r.body);
      CHECK(r.status == 400);
      CHECK_THAT(r.ErrorMessage(), Catch::Contains("records are made by oep itself"));
    }
  }
  CHECK(StoreDigest(state) == before);
}
