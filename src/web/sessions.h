// Dashboard sessions that survive a restart of `oep serve`: the session is the cookie
// itself, "v1.KEY_ID.KEY_HASH.EXPIRES.CSRF.MAC" — the API key's id and SHA-256 (never the
// key), the expiry (Unix seconds, 8 h after sign-in), the session's CSRF token and an
// HMAC-SHA256 of all of them under a secret kept beside the state (STATE.web-session-key;
// for a PostgreSQL store beside the server key, KEY.web-session-key for KEY.pem;
// 32 random bytes as hex, mode 0600, made on the first start like the server key). The
// key is looked up on every request, so a revoked key ends its sessions. A signed-out
// cookie is remembered (STATE.web-signed-out, until it expires) so that it stays refused.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "store/store.h"
#include "util/status.h"

namespace oep::web {

struct Session {
  std::string key_id, key_hash, csrf_token;
  int64_t expires = 0;  // Unix seconds
  std::string mac;      // identifies the session (for sign-out)
};

// Loads (or makes, mode 0600) the session secret for the store at `state_path`, and the
// signed-out sessions. IOError naming the file when it cannot be read or written;
// InvalidArgument when the secret file does not hold 64 hex digits.
// `base_path`: the SQLite store file, or the server key file without ".pem" for PostgreSQL.
Status OpenSessions(const std::string& base_path);

// A new session cookie value for `key`, valid for 8 h from `now` (Unix seconds).
Result<std::string> IssueSession(const ApiKeyRecord& key, int64_t now);

// The session `cookie` names when it is well formed, signed with this store's secret, not
// expired at `now` and not signed out; nullopt otherwise (a tampered cookie included).
std::optional<Session> ParseSession(std::string_view cookie, int64_t now);

// Remembers `session` as signed out (until it would have expired).
Status EndSession(const Session& session, int64_t now);

// The valid key of `session`: NotFound when the key is gone, Conflict when revoked.
Result<ApiKeyRecord> AuthenticateSession(Store& store, const Session& session);

}  // namespace oep::web
