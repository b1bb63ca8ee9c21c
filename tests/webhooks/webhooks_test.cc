// Webhook subscriptions and the delivery log in the store (format 6), on both backends, and
// `oep webhook add | list | remove | log`: bad input refused with exit 2 and the store as it was.
// Signing secrets are derived from a webhook key outside the store and never stored.
#include <filesystem>
#include <fstream>
#include <iterator>

#include <catch2/catch.hpp>

#include "ingest/ingest.h"
#include "json/json.h"
#include "keys/keys.h"
#include "store/store.h"
#include "support/store_backends.h"
#include "support/support.h"
#include "webhooks/webhooks.h"

using namespace oep;
using namespace oep::test;

namespace {

std::unique_ptr<Store> Open(const std::string& url, const std::string& tenant = "default") {
  auto store = Store::Open(url, Store::Mode::kReadWrite);
  REQUIRE(store.ok());
  (*store)->ScopeToTenant(tenant);
  return std::move(*store);
}

std::string Digest(const std::string& url) { return RunOep({"dump", "--digest", "--store", url}).out; }

// The secrets of a fresh webhook key written in `dir` as `name`.
WebhookSecrets Secrets(const ScratchDir& dir, const std::string& name = "webhook-key.pem") {
  std::string path = dir / name;
  REQUIRE(GenerateKeyFile(path).ok());
  auto secrets = WebhookSecrets::FromKeyFile(path);
  REQUIRE(secrets.ok());
  return *secrets;
}

std::string FileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST_CASE("webhook subscriptions are added listed and removed per tenant on both backends", "[webhooks][store]") {
  for (const auto& backend : StoreBackends()) {
    DYNAMIC_SECTION(backend) {
      ScratchDir dir;
      std::string url = NewStoreUrl(backend, dir);
      auto store = Open(url);
      REQUIRE(store->PutTenant("acme", "2026-01-01T00:00:00Z").ok());
      store->ScopeToTenant("acme");
      WebhookSecrets secrets = Secrets(dir);
      auto a = AddWebhookSubscription(*store, {"http://127.0.0.1:9/hook", "violation,run.finished", "test"}, secrets);
      REQUIRE(a.ok());
      CHECK(a->subscription_id.rfind("whk_", 0) == 0);
      CHECK(a->secret.rfind("whsec_", 0) == 0);
      CHECK(a->secret.size() == 6 + 64);
      auto b = AddWebhookSubscription(*store, {"https://hooks.example/oep?x=1", "approval.requested", "test"}, secrets);
      REQUIRE(b.ok());
      CHECK(a->secret != b->secret);

      auto finished = WebhookSubscriptionsFor(*store, "run.finished", &secrets);
      REQUIRE(finished.ok());
      REQUIRE(finished->size() == 1);
      CHECK((*finished)[0].subscription_id == a->subscription_id);
      CHECK((*finished)[0].secret == a->secret);  // derived again from the same key: every server of the store signs alike

      auto removed = RemoveWebhookSubscription(*store, a->subscription_id, "test");
      REQUIRE(removed.ok());
      CHECK(*removed);
      auto again = RemoveWebhookSubscription(*store, a->subscription_id, "test");
      REQUIRE(again.ok());
      CHECK_FALSE(*again);
      finished = WebhookSubscriptionsFor(*store, "run.finished", &secrets);
      REQUIRE(finished.ok());
      CHECK(finished->empty());
      auto all = ListWebhookSubscriptions(*store);
      REQUIRE(all.ok());
      REQUIRE(all->size() == 2);
      CHECK((*all)[0].subscription_id == a->subscription_id);
      CHECK_FALSE((*all)[0].removed_at.empty());
      CHECK((*all)[1].removed_at.empty());

      store->ScopeToTenant("default");  // another tenant sees none of them
      auto other = ListWebhookSubscriptions(*store);
      REQUIRE(other.ok());
      CHECK(other->empty());
      CHECK(RemoveWebhookSubscription(*store, b->subscription_id, "test").status().code() == StatusCode::kNotFound);
    }
  }
}

TEST_CASE("the delivery log stores each attempt once and lists it oldest first on both backends", "[webhooks][store]") {
  for (const auto& backend : StoreBackends()) {
    DYNAMIC_SECTION(backend) {
      ScratchDir dir;
      std::string url = NewStoreUrl(backend, dir);
      auto store = Open(url);
      auto sub = AddWebhookSubscription(*store, {"http://127.0.0.1:9/hook", "violation", ""}, Secrets(dir));
      REQUIRE(sub.ok());
      auto id = NewWebhookDeliveryId();
      REQUIRE(id.ok());
      WebhookAttempt first{"default", sub->subscription_id, *id, "violation", 1, 500, "", "retrying", std::chrono::milliseconds(20)};
      WebhookAttempt second{"default", sub->subscription_id, *id, "violation", 2, 0, "Connection", "gave_up", std::chrono::milliseconds(0)};
      REQUIRE(RecordWebhookAttempts(*store, {first}).ok());
      REQUIRE(RecordWebhookAttempts(*store, {second}).ok());
      REQUIRE(RecordWebhookAttempts(*store, {second}).ok());  // recorded twice: stored once
      auto log = ListWebhookAttempts(*store, sub->subscription_id);
      REQUIRE(log.ok());
      REQUIRE(log->size() == 2);
      auto one = json::Parse((*log)[0].body), two = json::Parse((*log)[1].body);
      CHECK((*log)[0].id == *id + ".1");
      CHECK((*one)["http_status"].GetInt() == 500);
      CHECK((*one)["next_delay_ms"].GetInt() == 20);
      CHECK(json::GetString(*one, "outcome") == "retrying");
      CHECK(json::GetString(*two, "outcome") == "gave_up");
      CHECK(json::GetString(*two, "error") == "Connection");
      auto none = ListWebhookAttempts(*store, "whk_0000000000000000");
      REQUIRE(none.ok());
      CHECK(none->empty());
    }
  }
}

TEST_CASE("webhook tables are append-only and covered by the ledger", "[webhooks][store]") {
  ScratchDir dir;
  std::string path = dir / "s.sqlite";
  {
    auto store = Open(path);
    auto sub = AddWebhookSubscription(*store, {"http://127.0.0.1:9/hook", "violation", ""}, Secrets(dir));
    REQUIRE(sub.ok());
    REQUIRE(RemoveWebhookSubscription(*store, sub->subscription_id, "").ok());
    REQUIRE(RecordWebhookAttempts(*store, {{"default", sub->subscription_id, "dlv_" + std::string(32, '0'), "violation", 1,
                                            200, "", "delivered", std::chrono::milliseconds(0)}}).ok());
  }
  for (const char* table : {"webhook_subscriptions", "webhook_removals", "webhook_attempts"}) {
    CHECK_THROWS(ExecSql(path, std::string("DELETE FROM ") + table));
  }
  CHECK_THROWS(ExecSql(path, "UPDATE webhook_subscriptions SET url = 'http://evil.example/'"));
  RunResult verify = RunOep({"verify", "--state-path", path});
  INFO(verify.out << verify.err);
  CHECK(verify.exit_code == 0);
}

TEST_CASE("a format-5 SQLite store reads as having no webhooks and is migrated to format 6", "[webhooks][store]") {
  ScratchDir dir;
  std::string path = dir / "s.sqlite";
  { Open(path); }
  ExecSql(path, "DROP TABLE webhook_subscriptions; DROP TABLE webhook_removals; DROP TABLE webhook_attempts; "
                "PRAGMA user_version = 5");
  {
    auto ro = Store::Open(path, Store::Mode::kReadOnly);
    REQUIRE(ro.ok());
    auto list = ListWebhookSubscriptions(**ro);
    REQUIRE(list.ok());
    CHECK(list->empty());
  }
  auto store = Open(path);
  REQUIRE(AddWebhookSubscription(*store, {"http://127.0.0.1:9/hook", "violation", ""}, Secrets(dir)).ok());
  RunResult dump = RunOep({"dump", "--state-path", path});
  CHECK(dump.out.rfind("{\"store_format\":" + std::to_string(kStoreSchemaVersion) + "}", 0) == 0);
  CHECK_THROWS(ExecSql(path, "DELETE FROM webhook_subscriptions"));
}

TEST_CASE("PostgreSQL: a format-5 store is migrated to format 6 with row-level security on the webhook tables", "[webhooks][store][postgres]") {
  PostgresCluster* c = PostgresOrSkip(Catch::getResultCapture().getCurrentTestName());
  if (c == nullptr) return;
  std::string url = c->NewDatabase(), db = DatabaseOf(url);
  { Open(url); }
  c->Sql(db, "DROP TABLE webhook_subscriptions; DROP TABLE webhook_removals; DROP TABLE webhook_attempts; "
             "UPDATE oep_meta SET value = '5' WHERE key = 'store_format'");
  {
    auto ro = Store::Open(url, Store::Mode::kReadOnly);
    REQUIRE(ro.ok());
  }
  {
    ScratchDir keys;
    auto store = Open(url);
    REQUIRE(AddWebhookSubscription(*store, {"http://127.0.0.1:9/hook", "run.finished", ""}, Secrets(keys)).ok());
  }
  CHECK(c->Sql(db, "SELECT value FROM oep_meta WHERE key = 'store_format'") == std::to_string(kStoreSchemaVersion) + "\n");
  CHECK(c->Sql(db, "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname LIKE 'webhook_%' "
                   "AND relkind = 'r' ORDER BY relname") ==
        "webhook_attempts|t|t\nwebhook_removals|t|t\nwebhook_subscriptions|t|t\n");
  CHECK_THAT(c->SqlError(db, "", "DELETE FROM webhook_subscriptions"), Catch::Contains("append-only"));
  // A PostgreSQL store has no file to keep a webhook key beside: the key must be given.
  std::string before = Digest(url);
  RunResult add = RunOep({"webhook", "add", "--store", url, "--url", "http://127.0.0.1:9/hook", "--events", "violation"});
  CHECK(add.exit_code == 2);
  CHECK_THAT(add.err, Catch::Contains("--webhook-key: required with a PostgreSQL store"));
  CHECK(Digest(url) == before);
}

TEST_CASE("webhook secrets are derived from the webhook key and never stored on both backends", "[webhooks][store]") {
  for (const auto& backend : StoreBackends()) {
    DYNAMIC_SECTION(backend) {
      ScratchDir dir;
      std::string url = NewStoreUrl(backend, dir);
      WebhookSecrets secrets = Secrets(dir), other = Secrets(dir, "other-key.pem");
      std::string secret;
      {
        auto store = Open(url);
        auto sub = AddWebhookSubscription(*store, {"http://127.0.0.1:9/hook", "run.finished", ""}, secrets);
        REQUIRE(sub.ok());
        secret = sub->secret;
        CHECK(sub->secret_key_id == secrets.key_id());
        CHECK(secret == secrets.SecretFor("default", sub->subscription_id));
        CHECK(secret != secrets.SecretFor("acme", sub->subscription_id));  // per tenant and subscription
        CHECK(secret != other.SecretFor("default", sub->subscription_id));

        auto derived = WebhookSubscriptionsFor(*store, "run.finished", &secrets);
        REQUIRE(derived.ok());
        REQUIRE(derived->size() == 1);
        CHECK((*derived)[0].secret == secret);
        CHECK_FALSE((*derived)[0].secret_in_store);
        auto wrong = WebhookSubscriptionsFor(*store, "run.finished", &other);
        REQUIRE(wrong.ok());
        REQUIRE(wrong->size() == 1);
        CHECK((*wrong)[0].secret.empty());
        CHECK_THAT((*wrong)[0].secret_error, Catch::Contains("derived from webhook key " + secrets.key_id()) &&
                                                 Catch::Contains("this server holds key " + other.key_id()));
        auto none = WebhookSubscriptionsFor(*store, "run.finished", nullptr);
        REQUIRE(none.ok());
        REQUIRE(none->size() == 1);
        CHECK((*none)[0].secret.empty());
        CHECK_THAT((*none)[0].secret_error, Catch::Contains("no --webhook-key"));
      }
      // The secret is nowhere in the store: not in its rows, not in the file or its WAL.
      RunResult dump = RunOep({"dump", "--store", url});
      REQUIRE(dump.exit_code == 0);
      CHECK_THAT(dump.out, Catch::Contains(secrets.key_id()));
      CHECK_THAT(dump.out, !Catch::Contains(secret));
      CHECK_THAT(dump.out, !Catch::Contains(secret.substr(6)));
      if (backend == "sqlite") {
        for (const std::string& file : {url, url + "-wal"}) {
          CHECK(FileBytes(file).find(secret.substr(6)) == std::string::npos);
        }
      }
    }
  }
}

TEST_CASE("a subscription stored with its secret before secrets were derived keeps that secret", "[webhooks][store]") {
  ScratchDir dir;
  std::string path = dir / "s.sqlite";
  auto store = Open(path);
  auto doc = json::Parse(
      "{\"schema_version\":\"oep.webhook_subscription.v0\",\"subscription_id\":\"whk_0123456789abcdef\","
      "\"created_at\":\"2026-01-01T00:00:00Z\",\"url\":\"http://127.0.0.1:9/hook\",\"events\":[\"run.finished\"],"
      "\"secret\":\"whsec_0123456789abcdef0123\"}");
  REQUIRE(doc.ok());
  {
    auto ingester = Ingester::Begin(*store);
    REQUIRE(ingester.ok());
    (*ingester)->SetRedaction(nullptr);
    REQUIRE((*ingester)->AddRecord(*doc, {"test", 0, ""}).ok());
    REQUIRE((*ingester)->Commit().ok());
  }
  WebhookSecrets secrets = Secrets(dir);
  auto subs = WebhookSubscriptionsFor(*store, "run.finished", &secrets);
  REQUIRE(subs.ok());
  REQUIRE(subs->size() == 1);
  CHECK((*subs)[0].secret == "whsec_0123456789abcdef0123");
  CHECK((*subs)[0].secret_in_store);
  RunResult list = RunOep({"webhook", "list", "--state-path", path});
  CHECK_THAT(list.out, Catch::Contains("whk_0123456789abcdef") && Catch::Contains("its secret is stored in the store"));
  CHECK_THAT(list.out, !Catch::Contains("whsec_"));
}

TEST_CASE("oep webhook add list remove and log", "[webhooks][cli]") {
  ScratchDir dir;
  std::string path = dir / "s.sqlite";
  RunResult add = RunOep({"webhook", "add", "--state-path", path, "--url", "http://127.0.0.1:9/hook", "--events",
                          "violation,approval.requested,run.finished", "--output-format", "json"});
  INFO(add.out << add.err);
  REQUIRE(add.exit_code == 0);
  auto doc = json::Parse(add.out);
  REQUIRE(doc.ok());
  std::string id = json::GetString(*doc, "subscription_id");
  CHECK(json::GetString(*doc, "secret").rfind("whsec_", 0) == 0);
  CHECK((*doc)["events"].Size() == 3);
  // The secret is derived from the webhook key made beside the store, which `oep serve` uses too.
  auto key_id = KeyIdOfFile(path + ".webhook-key.pem");
  REQUIRE(key_id.ok());
  CHECK(json::GetString(*doc, "secret_key_id") == *key_id);
  RunResult second = RunOep({"webhook", "add", "--state-path", path, "--url", "http://127.0.0.1:9/other", "--events",
                             "violation", "--output-format", "json"});
  REQUIRE(second.exit_code == 0);
  CHECK_THAT(second.err, !Catch::Contains("made webhook key"));  // made once
  RunResult given = RunOep({"webhook", "add", "--state-path", path, "--url", "http://127.0.0.1:9/x", "--events",
                            "violation", "--webhook-key", dir / "missing.pem"});
  CHECK(given.exit_code == 2);
  CHECK_THAT(given.err, Catch::Contains("missing.pem: cannot open the private key"));

  RunResult list = RunOep({"webhook", "list", "--state-path", path});
  CHECK(list.exit_code == 0);
  CHECK_THAT(list.out, Catch::Contains(id + "  active   violation,approval.requested,run.finished  http://127.0.0.1:9/hook"));
  CHECK_THAT(list.out, !Catch::Contains("whsec_"));  // the secret is shown once, by add

  RunResult remove = RunOep({"webhook", "remove", "--state-path", path, id});
  CHECK(remove.exit_code == 0);
  CHECK(remove.out == "removed webhook " + id + "\n");
  list = RunOep({"webhook", "list", "--state-path", path, "--output-format", "json"});
  CHECK_THAT(list.out, Catch::Contains("\"status\": \"removed\""));
  RunResult log = RunOep({"webhook", "log", "--state-path", path});
  CHECK(log.exit_code == 0);
  CHECK(log.out == "no deliveries\n");
}

TEST_CASE("oep webhook add refuses a bad URL an unknown event or tenant with exit 2 and the store unchanged", "[webhooks][cli][bad-input]") {
  ScratchDir dir;
  std::string path = dir / "s.sqlite";
  REQUIRE(RunOep({"tenant", "create", "acme", "--state-path", path}).exit_code == 0);
  std::string before = Digest(path);
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const Case cases[] = {
      {{"--url", "ftp://x.example/hook", "--events", "violation"}, "--url ftp://x.example/hook: expected http://HOST"},
      {{"--url", "http://", "--events", "violation"}, "--url http://: expected a host"},
      {{"--url", "http://user:pw@x.example/", "--events", "violation"}, "expected no user name or password"},
      {{"--url", "http://x.example:99999/", "--events", "violation"}, "expected a port of 1 to 65535, found \"99999\""},
      {{"--url", "http://x.example/a b", "--events", "violation"}, "expected no spaces"},
      {{"--url", "http://x.example?q", "--events", "violation"}, "expected a path beginning with /"},
      {{"--url", "http://x.example/", "--events", "violation,deploy"}, "--events: unknown event \"deploy\"; expected violation, approval.requested, run.finished"},
      {{"--url", "http://x.example/", "--events", ""}, "--events: unknown event \"\""},
      {{"--url", "http://x.example/", "--events", "violation,violation"}, "--events: \"violation\" is named twice"},
      {{"--url", "http://x.example/", "--events", "violation", "--tenant", "globex"}, "--tenant globex: no such tenant"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args = {"webhook", "add", "--state-path", path};
    args.insert(args.end(), c.args.begin(), c.args.end());
    RunResult r = RunOep(args);
    INFO(c.message << "\n" << r.err);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains(c.message));
    CHECK(Digest(path) == before);
  }
  RunResult remove = RunOep({"webhook", "remove", "--state-path", path, "whk_0123456789abcdef"});
  CHECK(remove.exit_code == 1);
  CHECK_THAT(remove.err, Catch::Contains("no webhook subscription \"whk_0123456789abcdef\""));
  CHECK(Digest(path) == before);
}

TEST_CASE("oep webhook add on a store that does not exist and a bad event leaves no store", "[webhooks][cli][bad-input]") {
  ScratchDir dir;
  std::string path = dir / "new.sqlite";
  RunResult r = RunOep({"webhook", "add", "--state-path", path, "--url", "http://x.example/", "--events", "nope"});
  CHECK(r.exit_code == 2);
  CHECK_FALSE(std::filesystem::exists(path));
}
