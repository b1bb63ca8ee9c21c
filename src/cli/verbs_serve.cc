// serve, tenant create, key create | revoke | list: the evidence server and who may call it.
// `oep serve` checks its options and executes `oep-serve` beside the oep binary (which links
// the HTTP library and its shared runtime; see CMakeLists.txt) with the same arguments.
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <set>

#include "cli/cli.h"
#include "monitors/monitors.h"
#include "retention/retention.h"
#include "serve_config/serve_config.h"
#include "server/server.h"
#include "tenants/tenants.h"
#include "util/files.h"

namespace oep::cli {
namespace {

Status ParseListen(const std::string& listen, ServerOptions* o) {
  size_t colon = listen.rfind(':');
  std::string port = colon == std::string::npos ? "" : listen.substr(colon + 1);
  bool digits = !port.empty() && port.size() <= 5;
  for (char c : port) digits = digits && c >= '0' && c <= '9';
  if (!digits || std::stoi(port) > 65535 || colon == 0) {
    return Status::InvalidArgument("--listen " + listen + ": expected HOST:PORT (e.g. 127.0.0.1:8080; port 0 = any)");
  }
  o->host = listen.substr(0, colon);
  o->port = std::stoi(port);
  return Status::Ok();
}

// The options as the server gets them: the listen address split, the store resolved,
// $OEP_TRUSTED_KEYS unless the config names a trusted-keys file.
Result<ServerOptions> Effective(ServerOptions o, const std::string& listen, const std::string& state_path) {
  OEP_RETURN_IF_ERROR(ParseListen(listen, &o));
  if (o.tls_cert.empty() != o.tls_key.empty()) {
    return Status::InvalidArgument("--tls-cert and --tls-key: expected both or neither");
  }
  if (auto interval = ParseRetentionInterval("--retention-interval", o.retention_interval); !interval.ok()) {
    return interval.status();
  }
  o.state_path = Resolve(state_path);
  const char* file = std::getenv("OEP_TRUSTED_KEYS");
  if (o.trusted_keys_file.empty() && file != nullptr && *file != '\0') o.trusted_keys_file = file;
  return o;
}

int RunServe(ServerOptions o, const std::string& listen, const std::string& state_path, ServeFn serve) {
  auto effective = Effective(std::move(o), listen, state_path);
  if (!effective.ok()) return Fail(effective.status());
  return serve(*effective);
}

// --check-config: everything RunServe and the server check before opening the store
// (monitors compile), then the effective config as YAML on stdout.
int CheckConfig(const ServeSettings& s) {
  auto effective = Effective(s.server, s.listen, s.state_path);
  if (!effective.ok()) return Fail(effective.status());
  if (!effective->monitors.empty()) {
    auto monitors = TenantMonitors::Load(effective->monitors);
    if (!monitors.ok()) return Fail(monitors.status().WithContext("monitors"));
  }
  ServeSettings shown = s;
  shown.server = *effective;
  shown.state_path = effective->state_path;
  std::cout << EffectiveConfigYaml(shown);
  return 0;
}

// Replaces this process by oep-serve with this process's own arguments (the same pid, so a
// supervisor's signals reach the server).
int ExecServer(const ServerOptions&) {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return Fail(Status::IOError("cannot find the oep binary: " + ec.message()));
  std::string server = (self.parent_path() / "oep-serve").string();
  auto cmdline = ReadFile("/proc/self/cmdline");
  if (!cmdline.ok()) return Fail(cmdline.status());
  std::vector<std::string> args;
  for (size_t start = 0; start < cmdline->size();) {
    size_t end = cmdline->find('\0', start);
    if (end == std::string::npos) end = cmdline->size();
    args.push_back(cmdline->substr(start, end - start));
    start = end + 1;
  }
  args[0] = server;
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  execv(server.c_str(), argv.data());
  return Fail(Status::IOError("cannot run " + server + ": " + std::strerror(errno)));
}

int RunTenantCreate(const std::string& state_path, const std::string& name) {
  return WriteBatch(Resolve(state_path), [&](Store& store) -> Status {
    auto outcome = CreateTenant(store, name, "cli");
    if (!outcome.ok()) return outcome.status();
    std::cout << (*outcome == PutOutcome::kInserted ? "created tenant " : "tenant already exists: ") << name << "\n";
    return Status::Ok();
  });
}

int RunKeyCreate(const std::string& state_path, const std::string& tenant, const std::string& role,
                 const std::string& label) {
  return WriteBatch(Resolve(state_path), [&](Store& store) -> Status {
    auto issued = CreateApiKey(store, tenant, role, label, "cli");
    if (!issued.ok()) return issued.status();
    std::cout << "created API key " << issued->record.key_id << " (tenant " << tenant << ", role " << role
              << "); it is shown once and stored only as a hash:\n"
              << issued->key << "\n";
    return Status::Ok();
  });
}

int RunKeyRevoke(const std::string& state_path, const std::string& key) {
  return WriteBatch(Resolve(state_path), [&](Store& store) -> Status {
    auto outcome = RevokeApiKey(store, key, "cli");
    if (!outcome.ok()) return outcome.status();
    std::cout << (*outcome == PutOutcome::kInserted ? "revoked API key " : "API key already revoked: ") << key << "\n";
    return Status::Ok();
  });
}

int RunKeyList(const std::string& state_path, const std::string& tenant) {
  auto store = Store::Open(Resolve(state_path), Store::Mode::kReadOnly);
  if (!store.ok()) return Fail(store.status());
  auto keys = (*store)->ListApiKeys(tenant);
  if (!keys.ok()) return Fail(keys.status());
  for (const auto& k : *keys) {
    std::cout << k.key_id << " tenant=" << k.tenant << " role=" << k.role << " created=" << k.created_at
              << (k.revoked_at.empty() ? "" : " revoked=" + k.revoked_at) << (k.label.empty() ? "" : " label=" + k.label)
              << "\n";
  }
  if (keys->empty()) std::cout << "no API keys" << (tenant.empty() ? "" : " for tenant " + tenant) << "\n";
  return 0;
}

}  // namespace

void AddServeVerb(CLI::App& app, int& exit_code, ServeFn run) {
  struct Args {
    std::string state_path, listen = "127.0.0.1:8080", config;
    bool check_config = false;
    ServerOptions server;
  };
  auto a = std::make_shared<Args>();

  auto* serve = app.add_subcommand("serve", "run the evidence server (HTTP JSON API v1; stops on SIGTERM/SIGINT)");
  AddStatePath(serve, &a->state_path);
  serve->add_option("--listen", a->listen, "HOST:PORT to listen on (port 0: any free port)");
  serve->add_option("--tls-cert", a->server.tls_cert, "TLS certificate chain (PEM); with --tls-key, serve HTTPS");
  serve->add_option("--tls-key", a->server.tls_key, "TLS private key (PEM)");
  serve->add_option("--server-key", a->server.server_key,
                    "Ed25519 key sealing finished runs (default: STATE.server-key.pem, made on first start)");
  serve->add_option("--trusted-key", a->server.trusted_keys,
                    "ROLE=PUBLIC_KEY.pem whose seals the server's views trust, repeatable; also $OEP_TRUSTED_KEYS "
                    "(its own sealing key is always trusted as server)");
  serve->add_option("--redaction-profile", a->server.redaction_profile,
                    "redaction profile (JSON) for what the ingest routes store (default: credential members only)");
  serve->add_option("--monitor", a->server.monitors,
                    "a monitor folder or .rego file (Rego violation/deny sets) evaluated over every ingested batch, "
                    "repeatable; TENANT=PATH: for that tenant's batches only");
  serve->add_option("--threads", a->server.threads, "request worker threads")->check(CLI::Range(1, 256));
  serve->add_option("--max-body-bytes", a->server.max_body_bytes, "largest request body (after decompression)")
      ->check(CLI::Range(size_t{1024}, size_t{1} << 31));
  serve->add_option("--read-timeout", a->server.read_timeout_seconds, "seconds")->check(CLI::Range(1, 3600));
  serve->add_option("--write-timeout", a->server.write_timeout_seconds, "seconds")->check(CLI::Range(1, 3600));
  serve->add_option("--webhook-key", a->server.webhook_key,
                    "Ed25519 key the webhooks' signing secrets are derived from, the same file on every server of one "
                    "store (default: STATE.webhook-key.pem, made on first use; required with PostgreSQL for webhooks)");
  serve->add_option("--webhook-attempts", a->server.webhook_max_attempts, "attempts per webhook delivery before giving up")
      ->check(CLI::Range(1, 100));
  serve->add_option("--webhook-backoff-ms", a->server.webhook_initial_backoff_ms,
                    "wait before a webhook's first retry, doubled after each failure up to 60 s")
      ->check(CLI::Range(1, 3600000));
  serve->add_option("--webhook-queue", a->server.webhook_queue_capacity,
                    "webhook deliveries waiting; past it a delivery is refused and logged queue_full")
      ->check(CLI::Range(size_t{1}, size_t{1000000}));
  serve->add_option("--port-file", a->server.port_file, "write the bound port to this file once listening");
  serve->add_option("--retention-interval", a->server.retention_interval,
                    "how often the server applies the config's per-tenant retention, first at start (a duration "
                    "such as 24h, or off)");
  serve->add_option("--config", a->config, "YAML config (listen, state_path, tls, server_key, trusted_keys, "
                    "trusted_keys_file, redaction_profile, monitors, limits, webhooks, port_file); flags given win");
  serve->add_flag("--check-config", a->check_config, "validate the options and print the effective config; do not serve");
  serve->callback([a, serve, &exit_code, run] {
    ServeSettings s{a->server, a->listen, a->state_path};
    if (!a->config.empty()) {
      static const std::pair<const char*, const char*> kFlagKeys[] = {
          {"--listen", "listen"}, {"--state-path", "state_path"}, {"--tls-cert", "tls.cert"}, {"--tls-key", "tls.key"},
          {"--server-key", "server_key"}, {"--trusted-key", "trusted_keys"}, {"--redaction-profile", "redaction_profile"},
          {"--monitor", "monitors"}, {"--threads", "limits.threads"}, {"--max-body-bytes", "limits.max_body_bytes"},
          {"--read-timeout", "limits.read_timeout_seconds"}, {"--write-timeout", "limits.write_timeout_seconds"},
          {"--webhook-key", "webhooks.key"}, {"--webhook-attempts", "webhooks.max_attempts"}, {"--webhook-backoff-ms", "webhooks.initial_backoff_ms"},
          {"--webhook-queue", "webhooks.queue_capacity"}, {"--port-file", "port_file"}, {"--retention-interval", "retention_interval"}};
      std::set<std::string> given;
      for (const auto& [flag, key] : kFlagKeys) {
        if (serve->get_option(flag)->count() > 0) given.insert(key);
      }
      Status read = ReadServeConfig(a->config, given, &s);
      if (!read.ok()) {
        exit_code = Fail(read);
        return;
      }
    }
    exit_code = a->check_config ? CheckConfig(s) : RunServe(s.server, s.listen, s.state_path, run);
  });
}

void AddServeVerbs(CLI::App& app, int& exit_code) {
  AddServeVerb(app, exit_code, ExecServer);
  struct Args {
    std::string state_path, name, tenant, role, label, key;
  };
  auto a = std::make_shared<Args>();

  auto* tenant = app.add_subcommand("tenant", "tenants of the evidence server");
  tenant->require_subcommand(1);
  auto* tenant_create = tenant->add_subcommand("create", "create a tenant");
  AddStatePath(tenant_create, &a->state_path);
  tenant_create->add_option("name", a->name, "tenant name ([a-z0-9-], 1-63)")->required();
  tenant_create->callback([a, &exit_code] { exit_code = RunTenantCreate(a->state_path, a->name); });

  auto* key = app.add_subcommand("key", "API keys of the evidence server (not signing keys: see `oep keys`)");
  key->require_subcommand(1);
  auto* key_create = key->add_subcommand("create", "create an API key; prints it once, on the last line");
  AddStatePath(key_create, &a->state_path);
  key_create->add_option("--tenant", a->tenant, "the key's tenant")->required();
  key_create->add_option("--role", a->role, "admin | approver | viewer | ingest")->required();
  key_create->add_option("--label", a->label, "what the key is for");
  key_create->callback([a, &exit_code] { exit_code = RunKeyCreate(a->state_path, a->tenant, a->role, a->label); });
  auto* key_revoke = key->add_subcommand("revoke", "revoke an API key (by key id or the key itself)");
  AddStatePath(key_revoke, &a->state_path);
  key_revoke->add_option("key", a->key, "key id or key")->required();
  key_revoke->callback([a, &exit_code] { exit_code = RunKeyRevoke(a->state_path, a->key); });
  auto* key_list = key->add_subcommand("list", "list API keys (ids, tenants, roles; never the keys)");
  AddStatePath(key_list, &a->state_path);
  key_list->add_option("--tenant", a->tenant, "only this tenant's keys");
  key_list->callback([a, &exit_code] { exit_code = RunKeyList(a->state_path, a->tenant); });
}

}  // namespace oep::cli
