// In-memory dashboard sessions of one `oep serve` process (lost on restart: sign in again).
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace oep::web {

struct Session {
  std::string api_key;  // re-authenticated on every request, so a revoked key ends the session
  std::string csrf_token;
  std::chrono::steady_clock::time_point expires;
};

// Creates a session for `api_key` (8 h); returns its id (64 hex digits). At most 10,000
// sessions are held; the one expiring first is dropped to make room.
std::string CreateSession(const std::string& api_key);
// The live session `id`, or nullopt.
std::optional<Session> FindSession(const std::string& id);
void DeleteSession(const std::string& id);

}  // namespace oep::web
