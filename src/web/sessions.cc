#include "web/sessions.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <vector>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "crypto/random.h"

namespace oep::web {
namespace {

constexpr int64_t kLifetimeSeconds = 8 * 3600;
constexpr size_t kMaxSignedOut = 100000;  // beyond this the ones expiring first are forgotten

std::mutex mutex;
std::string secret;                         // 64 hex digits; empty until OpenSessions
std::string signed_out_path;                // STATE.web-signed-out
std::map<std::string, int64_t> signed_out;  // mac -> expires

bool IsHex(std::string_view s, size_t n) {
  return s.size() == n && s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

bool IsKeyId(std::string_view s) {
  return !s.empty() && s.size() <= 64 && s.find_first_not_of("0123456789abcdefghijklmnopqrstuvwxyz") == std::string_view::npos;
}

std::string Mac(const std::string& key, std::string_view payload) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(payload.data()),
       payload.size(), out, &len);
  static const char* digits = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) {
    hex += digits[out[i] >> 4];
    hex += digits[out[i] & 15];
  }
  return hex;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t pos = 0;
  while (parts.size() < 8) {
    size_t end = s.find(sep, pos);
    parts.push_back(s.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos));
    if (end == std::string_view::npos) break;
    pos = end + 1;
  }
  return parts;
}

// Writes `text` to `path` with mode 0600 (through a temporary file and a rename).
Status WritePrivate(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IOError(tmp + ": cannot create");
  bool ok = ::fchmod(fd, 0600) == 0 && ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
            ::fsync(fd) == 0;
  ok = ::close(fd) == 0 && ok;
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return Status::IOError(path + ": cannot write");
  }
  return Status::Ok();
}

Status SaveSignedOut(int64_t now) {
  std::erase_if(signed_out, [&](const auto& e) { return e.second <= now; });
  while (signed_out.size() > kMaxSignedOut) {
    auto first = signed_out.begin();
    for (auto it = signed_out.begin(); it != signed_out.end(); ++it) {
      if (it->second < first->second) first = it;
    }
    signed_out.erase(first);
  }
  std::string text;
  for (const auto& [mac, expires] : signed_out) text += mac + " " + std::to_string(expires) + "\n";
  return WritePrivate(signed_out_path, text);
}

}  // namespace

Status OpenSessions(const std::string& base_path) {
  std::string path = base_path + ".web-session-key";
  std::string loaded;
  if (!std::filesystem::exists(path)) {
    auto hex = crypto::RandomHex(32);
    if (!hex.ok()) return hex.status();
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return Status::IOError(path + ": cannot create the dashboard's session secret");
    std::string line = *hex + "\n";
    bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
    ok = ::close(fd) == 0 && ok;
    if (!ok) return Status::IOError(path + ": cannot write the dashboard's session secret");
    loaded = *hex;
  } else {
    std::ifstream in(path);
    if (!in || !std::getline(in, loaded)) return Status::IOError(path + ": cannot read the dashboard's session secret");
    if (!IsHex(loaded, 64)) {
      return Status::InvalidArgument(path + ": expected the dashboard's session secret (64 hex digits on one line)");
    }
  }
  std::map<std::string, int64_t> ended;
  std::string ended_path = base_path + ".web-signed-out";
  if (std::filesystem::exists(ended_path)) {
    std::ifstream in(ended_path);
    if (!in) return Status::IOError(ended_path + ": cannot read the signed-out dashboard sessions");
    std::string mac;
    int64_t expires = 0;
    while (in >> mac >> expires) {
      if (IsHex(mac, 64)) ended[mac] = expires;
    }
  }
  std::lock_guard<std::mutex> lock(mutex);
  secret = loaded;
  signed_out_path = ended_path;
  signed_out = std::move(ended);
  return Status::Ok();
}

Result<std::string> IssueSession(const ApiKeyRecord& key, int64_t now) {
  if (!IsKeyId(key.key_id) || !IsHex(key.key_hash, 64)) return Status::InvalidArgument("key " + key.key_id + ": cannot make a session of it");
  auto csrf = crypto::RandomHex(32);
  if (!csrf.ok()) return csrf.status();
  std::lock_guard<std::mutex> lock(mutex);
  if (secret.empty()) return Status::IOError("dashboard sessions are not open (no session secret)");
  std::string payload = "v1." + key.key_id + "." + key.key_hash + "." + std::to_string(now + kLifetimeSeconds) + "." + *csrf;
  return payload + "." + Mac(secret, payload);
}

std::optional<Session> ParseSession(std::string_view cookie, int64_t now) {
  if (cookie.size() > 512) return std::nullopt;
  auto parts = Split(cookie, '.');
  if (parts.size() != 6 || parts[0] != "v1" || !IsKeyId(parts[1]) || !IsHex(parts[2], 64) || parts[3].empty() ||
      parts[3].size() > 12 || parts[3].find_first_not_of("0123456789") != std::string_view::npos || !IsHex(parts[4], 64) ||
      !IsHex(parts[5], 64)) {
    return std::nullopt;
  }
  std::string_view payload = cookie.substr(0, cookie.size() - 65);
  std::lock_guard<std::mutex> lock(mutex);
  if (secret.empty()) return std::nullopt;
  std::string want = Mac(secret, payload);
  if (CRYPTO_memcmp(want.data(), parts[5].data(), want.size()) != 0) return std::nullopt;
  Session s{std::string(parts[1]), std::string(parts[2]), std::string(parts[4]), std::stoll(std::string(parts[3])),
            std::string(parts[5])};
  if (s.expires <= now || signed_out.count(s.mac)) return std::nullopt;
  return s;
}

Status EndSession(const Session& session, int64_t now) {
  std::lock_guard<std::mutex> lock(mutex);
  signed_out[session.mac] = session.expires;
  return SaveSignedOut(now);
}

Result<ApiKeyRecord> AuthenticateSession(Store& store, const Session& session) {
  auto found = store.FindApiKeyByHash(session.key_hash);
  if (!found.ok()) return found.status();
  if (!*found || (*found)->key_id != session.key_id) return Status::NotFound("unknown API key");
  if (!(*found)->revoked_at.empty()) return Status::Conflict("API key " + (*found)->key_id + " is revoked");
  return **found;
}

}  // namespace oep::web
