// `oep serve`: the evidence server. HTTP/1.1 (TLS when a certificate is given) on
// cpp-httplib, JSON API v1 (src/server/openapi.v1.json, served at /v1/openapi.json),
// tenants and API keys (src/tenants), one store scoped per request to the caller's tenant.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "util/status.h"

namespace oep {

// A tenant's retention in the serve config (durations as `oep retention apply` takes them;
// "" audit_older_than = the default, 365d).
struct RetentionSetting {
  std::string older_than, audit_older_than;
};

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port (see port_file)
  std::string state_path;
  std::string tls_cert, tls_key;  // both or neither
  // Ed25519 private key that seals finished runs; when empty, <state_path>.server-key.pem
  // (made on first start, mode 0600).
  std::string server_key;
  // Keys whose seals the server's own views (incident markdown, exports, run evidence class)
  // trust: ROLE=PUBLIC_KEY.pem specs and a trusted-keys file ("" = none), as `oep verify`
  // takes them. The server always trusts its own sealing key as `server`.
  std::vector<std::string> trusted_keys;
  std::string trusted_keys_file;
  // Redaction profile (JSON, src/redaction) applied before hashing to what the ingest routes
  // store (artifacts, run steps, OPA decision logs); "" = the default profile (credential
  // members only; OTLP spans always get the default).
  std::string redaction_profile;
  // Monitor folders or .rego files (src/monitors) evaluated over every ingested batch: "PATH"
  // for every tenant, "TENANT=PATH" for that tenant's batches only (TenantMonitors).
  std::vector<std::string> monitors;
  // Webhook deliveries (src/webhooks): attempts per delivery, the wait before the first retry
  // (doubled after each failure, up to 60 s), deliveries waiting before the queue refuses more.
  // Ed25519 private key the subscriptions' signing secrets are derived from (never stored;
  // src/webhooks): every server of one store needs the same file. "": <state_path>
  // .webhook-key.pem (made on first use); with PostgreSQL and no key, deliveries are not
  // sent (logged no_secret).
  std::string webhook_key;
  int webhook_max_attempts = 6;
  int webhook_initial_backoff_ms = 500;
  size_t webhook_queue_capacity = 1024;
  int threads = 8;              // request workers
  size_t max_queued = 64;       // accepted connections waiting for a worker (then accept waits)
  size_t max_body_bytes = 64u << 20;  // one request body, after decompression
  int read_timeout_seconds = 30, write_timeout_seconds = 30;
  std::string port_file;  // written (atomically) with the bound port once listening
  // Retention per tenant, what POST /v1/retention:apply applies when its body names no
  // duration (src/retention). Checked when the config is read.
  std::map<std::string, RetentionSetting> retention;
  // How often the server applies `retention` itself, first when it starts (a duration, or
  // "off": only the route applies it). See ParseRetentionInterval.
  std::string retention_interval = "24h";
};

// Serves until SIGTERM or SIGINT, then stops accepting, finishes the requests in flight
// and closes the store. Errors: the store cannot be opened, the address cannot be bound,
// the TLS files cannot be loaded.
Status RunServer(const ServerOptions& options);

}  // namespace oep
