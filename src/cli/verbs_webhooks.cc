// webhook add | list | remove | log: a tenant's webhook subscriptions and their delivery
// log (src/webhooks/webhooks.h); `oep serve` delivers.
#include <iostream>
#include <memory>

#include "cli/cli.h"
#include "json/json.h"
#include "keys/keys.h"
#include "util/display_text.h"
#include "webhooks/webhooks.h"

namespace oep::cli {
namespace {

struct WebhookArgs {
  std::string state_path, format = "human", subscription_id, webhook_key;
  WebhookSubscriptionSpec spec;
};

// Runs `fn` on the store scoped to --tenant; a store this command created is removed again
// when it fails, so a refused command leaves nothing behind.
template <typename Fn>
int WithStore(const WebhookArgs& a, Store::Mode mode, Fn fn) {
  std::string url = Resolve(a.state_path);
  bool existed = StoreExists(url);
  int code = 0;
  {
    auto store = OpenStore(url, mode);
    code = store.ok() ? fn(**store) : Fail(store.status());
  }
  if (code != 0 && !existed) RemoveStoreFiles(url);
  return code;
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ",") + s;
  return out;
}

void SubscriptionJson(const WebhookSubscription& s, bool with_secret, rapidjson::Value* out, rapidjson::Document::AllocatorType& a) {
  auto str = [&a](const std::string& v) { return rapidjson::Value(v.c_str(), static_cast<rapidjson::SizeType>(v.size()), a); };
  out->SetObject();
  out->AddMember("subscription_id", str(s.subscription_id), a);
  out->AddMember("url", str(s.url), a);
  rapidjson::Value events(rapidjson::kArrayType);
  for (const auto& e : s.events) events.PushBack(str(e), a);
  out->AddMember("events", events, a);
  out->AddMember("created_at", str(s.created_at), a);
  out->AddMember("status", rapidjson::StringRef(s.removed_at.empty() ? "active" : "removed"), a);
  if (!s.removed_at.empty()) out->AddMember("removed_at", str(s.removed_at), a);
  if (!s.secret_key_id.empty()) out->AddMember("secret_key_id", str(s.secret_key_id), a);
  if (s.secret_in_store) out->AddMember("secret_in_store", true, a);
  if (with_secret) out->AddMember("secret", str(s.secret), a);
}

int AddCommand(const WebhookArgs& a) {
  return WithStore(a, Store::Mode::kReadWrite, [&](Store& store) {
    auto key = ResolveStoreKey(a.webhook_key, SqliteFilePath(Resolve(a.state_path)), kWebhookKeyFile, "oep webhook add");
    if (!key.ok()) return Fail(key.status());
    auto secrets = WebhookSecrets::FromKeyFile(*key);
    if (!secrets.ok()) return Fail(secrets.status().WithContext("--webhook-key " + *key));
    auto s = AddWebhookSubscription(store, a.spec, *secrets);
    if (!s.ok()) return Fail(s.status());
    if (a.format == "human") {
      std::cout << "added webhook " << s->subscription_id << " " << EscapeForTerminal(s->url) << " (" << Join(s->events)
                << ")\nsecret (shown once; receivers verify X-Oep-Signature with it): " << s->secret << "\n";
      return 0;
    }
    rapidjson::Document doc;
    SubscriptionJson(*s, true, &doc, doc.GetAllocator());
    return PrintRecord(doc, "", a.format, {});
  });
}

int ListCommand(const WebhookArgs& a) {
  return WithStore(a, Store::Mode::kReadOnly, [&](Store& store) {
    auto list = ListWebhookSubscriptions(store);
    if (!list.ok()) return Fail(list.status());
    if (a.format == "human") {
      for (const auto& s : *list) {
        std::cout << s.subscription_id << "  " << (s.removed_at.empty() ? "active " : "removed") << "  "
                  << Join(s.events) << "  " << EscapeForTerminal(s.url)
                  << (s.secret_in_store ? "  (its secret is stored in the store: remove it and add it again)" : "") << "\n";
      }
      if (list->empty()) std::cout << "no webhooks\n";
      return 0;
    }
    rapidjson::Document doc(rapidjson::kArrayType);
    for (const auto& s : *list) {
      rapidjson::Value item;
      SubscriptionJson(s, false, &item, doc.GetAllocator());
      doc.PushBack(item, doc.GetAllocator());
    }
    return PrintRecord(doc, "", a.format, {});
  });
}

int RemoveCommand(const WebhookArgs& a) {
  return WithStore(a, Store::Mode::kReadWrite, [&](Store& store) {
    auto removed = RemoveWebhookSubscription(store, a.subscription_id, "cli:webhook remove");
    if (!removed.ok()) return Fail(removed.status());
    std::cout << (*removed ? "removed webhook " : "webhook already removed: ") << a.subscription_id << "\n";
    return 0;
  });
}

int LogCommand(const WebhookArgs& a) {
  return WithStore(a, Store::Mode::kReadOnly, [&](Store& store) {
    auto rows = ListWebhookAttempts(store, a.subscription_id);
    if (!rows.ok()) return Fail(rows.status());
    rapidjson::Document doc(rapidjson::kArrayType);
    for (const auto& row : *rows) {
      auto v = json::Parse(row.body);
      if (!v.ok()) return Fail(v.status());
      if (a.format == "human") {
        int status = (*v)["http_status"].GetInt();
        std::cout << json::GetString(*v, "at") << "  " << json::GetString(*v, "subscription_id") << "  "
                  << json::GetString(*v, "delivery_id") << "  " << json::GetString(*v, "event_type") << "  attempt "
                  << (*v)["attempt"].GetInt() << "  "
                  << (status ? "HTTP " + std::to_string(status) : EscapeForTerminal(json::GetString(*v, "error"))) << "  "
                  << json::GetString(*v, "outcome") << "\n";
        continue;
      }
      rapidjson::Value item;
      item.CopyFrom(*v, doc.GetAllocator());
      doc.PushBack(item, doc.GetAllocator());
    }
    if (a.format == "human") {
      if (rows->empty()) std::cout << "no deliveries\n";
      return 0;
    }
    return PrintRecord(doc, "", a.format, {});
  });
}

}  // namespace

void AddWebhookVerbs(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<WebhookArgs>();
  CLI::App* root = app.add_subcommand("webhook", "webhook subscriptions of a tenant (oep serve posts signed events to them)");
  root->require_subcommand(1);
  auto common = [&](CLI::App* cmd) {
    AddStatePath(cmd, &a->state_path);
    AddTenant(cmd);
    cmd->add_option("--output-format", a->format, "human, json or jsonl")->check(CLI::IsMember({"human", "json", "jsonl"}));
  };
  CLI::App* add = root->add_subcommand("add", "subscribe a URL to events; prints the signing secret once");
  common(add);
  add->add_option("--url", a->spec.url, "http://HOST[:PORT]/PATH or https://... receiving the POSTs")->required();
  add->add_option("--events", a->spec.events, "comma-separated: violation, approval.requested, run.finished")->required();
  add->add_option("--webhook-key", a->webhook_key,
                  "Ed25519 key the signing secret is derived from; give `oep serve` the same file (default: "
                  "STATE.webhook-key.pem, made on first use; required with PostgreSQL)");
  add->callback([a, &exit_code] {
    a->spec.created_by = "cli:webhook add";
    exit_code = AddCommand(*a);
  });
  CLI::App* list = root->add_subcommand("list", "the tenant's webhooks (secrets are not shown)");
  common(list);
  list->callback([a, &exit_code] { exit_code = ListCommand(*a); });
  CLI::App* remove = root->add_subcommand("remove", "end a subscription: nothing more is delivered to it");
  common(remove);
  remove->add_option("subscription_id", a->subscription_id, "the webhook's id (whk_...)")->required();
  remove->callback([a, &exit_code] { exit_code = RemoveCommand(*a); });
  CLI::App* log = root->add_subcommand("log", "the delivery log: every attempt and its outcome, oldest first");
  common(log);
  log->add_option("--subscription", a->subscription_id, "one webhook's deliveries");
  log->callback([a, &exit_code] { exit_code = LogCommand(*a); });
}

}  // namespace oep::cli
