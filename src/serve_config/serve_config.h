// `oep serve --config FILE`: the server's options as YAML (read with libyaml), and the
// effective configuration `oep serve --check-config` prints.
//
//   listen: 127.0.0.1:8080          state_path: /var/lib/oep/evidence.sqlite
//   tls: {cert: FILE, key: FILE}    server_key: FILE
//   trusted_keys: [ROLE=FILE, ...]  trusted_keys_file: FILE
//   redaction_profile: FILE         monitors: [DIR, ...]
//   limits: {threads, max_body_bytes, read_timeout_seconds, write_timeout_seconds}
//   webhooks: {key: FILE, max_attempts, initial_backoff_ms, queue_capacity}
//   port_file: FILE
//   retention: {TENANT: {older_than: 30d, audit_older_than: 365d}, ...}
//     what POST /v1/retention:apply applies to the tenant when its body names no duration,
//     and what the server applies itself every
//   retention_interval: 24h     (first at start; "off": only the route)
// Every key is also a flag of `oep serve`; a flag given on the command line wins.
#pragma once

#include <set>
#include <string>

#include "server/server.h"
#include "util/status.h"

namespace oep {

struct ServeSettings {
  ServerOptions server;
  std::string listen = "127.0.0.1:8080";
  std::string state_path;
};

// Reads `path` into `out`, leaving the settings named in `keep` (dotted keys, e.g.
// "limits.threads", for the flags given on the command line) as they are.
// InvalidArgument "FILE:LINE: ..." for YAML that does not parse, an unknown key (with the
// keys expected there), a value of the wrong type or out of range.
Status ReadServeConfig(const std::string& path, const std::set<std::string>& keep, ServeSettings* out);

// The settings as the YAML document ReadServeConfig reads (every key, defaults included).
std::string EffectiveConfigYaml(const ServeSettings& settings);

}  // namespace oep
