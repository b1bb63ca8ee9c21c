#include "keys/keys.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "crypto/ed25519.h"
#include "crypto/encoding.h"
#include "crypto/sha256.h"
#include "util/files.h"

namespace oep {

std::string KeyIdOf(std::string_view public_key_hex) {
  auto raw = crypto::HexDecode(public_key_hex);
  return crypto::Sha256Hex(raw ? *raw : std::string());
}

Result<std::string> KeyIdOfFile(const std::string& path) {
  auto pub = crypto::ReadEd25519PublicKey(path, true);
  if (!pub.ok()) return pub.status();
  return KeyIdOf(*pub);
}

Status TrustedKeys::Add(const std::string& spec, const std::string& base_dir, const std::string& where, bool allow_private) {
  size_t eq = spec.find('=');
  if (eq == std::string::npos) return Status::InvalidArgument(where + ": expected ROLE=PUBLIC_KEY.pem, found \"" + spec + "\"");
  std::string role = spec.substr(0, eq), path = spec.substr(eq + 1);
  if (role != "server" && role != "local") {
    return Status::InvalidArgument(where + ": role must be server or local, found \"" + role + "\"");
  }
  if (path.empty()) return Status::InvalidArgument(where + ": no key file after " + role + "=");
  if (!base_dir.empty() && std::filesystem::path(path).is_relative()) path = (std::filesystem::path(base_dir) / path).string();
  auto pub = crypto::ReadEd25519PublicKey(path, allow_private);
  if (!pub.ok()) return pub.status().WithContext(where);
  for (const auto& k : keys_) {
    if (k.public_key_hex != *pub) continue;
    if (k.role == role) return Status::Ok();
    return Status::InvalidArgument(where + ": key " + k.key_id + " is already trusted as " + k.role + " (" + k.file +
                                   "); a key has one role");
  }
  keys_.push_back({role, KeyIdOf(*pub), *pub, path});
  return Status::Ok();
}

Status TrustedKeys::TrustOwnKey(const std::string& role, const std::string& key_path) {
  return Add(role + "=" + key_path, "", "key " + key_path, true);
}

Result<TrustedKeys> TrustedKeys::Load(const std::vector<std::string>& specs, const std::string& file) {
  TrustedKeys out;
  for (const auto& spec : specs) OEP_RETURN_IF_ERROR(out.Add(spec, "", "--trusted-key " + spec));
  if (file.empty()) return out;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) return Status::InvalidArgument("$OEP_TRUSTED_KEYS: " + file + ": not a file");
  if (std::filesystem::file_size(file, ec) > (1u << 20) || ec) {
    return Status::InvalidArgument("$OEP_TRUSTED_KEYS: " + file + ": larger than 1 MiB");
  }
  auto text = ReadFile(file);
  if (!text.ok()) return text.status().WithContext("$OEP_TRUSTED_KEYS");
  std::string base = std::filesystem::path(file).parent_path().string();
  if (base.empty()) base = ".";
  std::istringstream lines(*text);
  std::string line;
  for (int n = 1; std::getline(lines, line); ++n) {
    size_t b = line.find_first_not_of(" \t\r"), e = line.find_last_not_of(" \t\r");
    if (b == std::string::npos || line[b] == '#') continue;
    OEP_RETURN_IF_ERROR(out.Add(line.substr(b, e - b + 1), base, file + ":" + std::to_string(n)));
  }
  return out;
}

Result<TrustedKeys> TrustedKeys::LoadWithEnvironment(const std::vector<std::string>& specs) {
  const char* file = std::getenv("OEP_TRUSTED_KEYS");
  return Load(specs, file ? file : "");
}

const TrustedKey* TrustedKeys::Find(std::string_view public_key_hex) const {
  for (const auto& k : keys_) {
    if (k.public_key_hex == public_key_hex) return &k;
  }
  return nullptr;
}

Result<std::string> ResolveStoreKey(const std::string& given, const std::string& sqlite_file, const StoreKeyKind& kind,
                                    std::string_view who) {
  if (!given.empty()) return given;
  if (sqlite_file.empty()) {
    return Status::InvalidArgument(std::string(kind.flag) + ": required with a PostgreSQL store; " + std::string(kind.why));
  }
  std::string path = sqlite_file + std::string(kind.suffix);
  if (!std::filesystem::exists(path)) {
    auto id = GenerateKeyFile(path);
    if (!id.ok()) return id.status();
    std::cerr << who << ": made " << kind.what << " " << path << " (key id " << *id << ")\n";
  }
  return path;
}

Result<std::string> GenerateKeyFile(const std::string& out_path) {
  auto pem = crypto::GenerateEd25519PrivateKeyPem();
  if (!pem.ok()) return pem.status();
  int fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return Status::InvalidArgument(out_path + ": already exists; not overwriting a key");
    return Status::IOError(out_path + ": " + std::strerror(errno));
  }
  bool ok = ::fchmod(fd, 0600) == 0 && ::write(fd, pem->data(), pem->size()) == static_cast<ssize_t>(pem->size()) &&
            ::fsync(fd) == 0;
  ok = ::close(fd) == 0 && ok;
  if (!ok) {
    ::unlink(out_path.c_str());
    return Status::IOError(out_path + ": cannot write the key");
  }
  return KeyIdOfFile(out_path);
}

Result<std::string> ExportPublicKey(const std::string& key_path) {
  auto pub = crypto::ReadEd25519PublicKey(key_path, true);
  if (!pub.ok()) return pub.status();
  return crypto::Ed25519PublicKeyPem(*pub);
}

}  // namespace oep
