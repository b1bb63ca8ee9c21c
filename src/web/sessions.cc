#include "web/sessions.h"

#include <map>
#include <mutex>
#include <stdexcept>

#include "crypto/random.h"

namespace oep::web {
namespace {

constexpr size_t kMaxSessions = 10000;
constexpr auto kLifetime = std::chrono::hours(8);

std::mutex mutex;
std::map<std::string, Session> sessions;

std::string Random() {
  auto hex = crypto::RandomHex(32);
  if (!hex.ok()) throw std::runtime_error("no random bytes: " + hex.status().message());
  return *hex;
}

}  // namespace

std::string CreateSession(const std::string& api_key) {
  Session s{api_key, Random(), std::chrono::steady_clock::now() + kLifetime};
  std::string id = Random();
  std::lock_guard<std::mutex> lock(mutex);
  auto now = std::chrono::steady_clock::now();
  std::erase_if(sessions, [&](const auto& e) { return e.second.expires <= now; });
  if (sessions.size() >= kMaxSessions) {
    auto first = sessions.begin();
    for (auto it = sessions.begin(); it != sessions.end(); ++it) {
      if (it->second.expires < first->second.expires) first = it;
    }
    sessions.erase(first);
  }
  sessions[id] = std::move(s);
  return id;
}

std::optional<Session> FindSession(const std::string& id) {
  std::lock_guard<std::mutex> lock(mutex);
  auto it = sessions.find(id);
  if (it == sessions.end()) return std::nullopt;
  if (it->second.expires <= std::chrono::steady_clock::now()) {
    sessions.erase(it);
    return std::nullopt;
  }
  return it->second;
}

void DeleteSession(const std::string& id) {
  std::lock_guard<std::mutex> lock(mutex);
  sessions.erase(id);
}

}  // namespace oep::web
