// Trusted keys: the Ed25519 public keys, given from outside the store, whose seals and
// checkpoints count. A seal's authority is the role of the trusted key that signed it,
// never what the seal itself claims.
//
// Key id: lowercase hex SHA-256 of the raw 32-byte Ed25519 public key (RFC 8032 encoding).
// Trusted key lines (--trusted-key and each line of the $OEP_TRUSTED_KEYS file):
//   ROLE=PATH   ROLE is "server" or "local"; PATH a public key PEM ("-----BEGIN PUBLIC KEY-----",
//               from `oep keys export`). In the file, a relative PATH is relative to the
//               file's folder; blank lines and lines starting with # are ignored.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace oep {

struct TrustedKey {
  std::string role;            // "server" | "local"
  std::string key_id;          // see above
  std::string public_key_hex;  // raw 32 bytes
  std::string file;            // where it was read from
};

class TrustedKeys {
 public:
  // `specs` are ROLE=PATH strings (relative to the working directory); `file` (may be
  // empty) a trusted-keys file. Errors name the spec or file:line. A key trusted in two
  // different roles is an error.
  static Result<TrustedKeys> Load(const std::vector<std::string>& specs, const std::string& file);
  // Load(specs, $OEP_TRUSTED_KEYS when set).
  static Result<TrustedKeys> LoadWithEnvironment(const std::vector<std::string>& specs);

  // Trusts the key whose private (or public) key file is `key_path` in `role`: a server
  // trusts the key it seals with. Errors as Load's.
  Status TrustOwnKey(const std::string& role, const std::string& key_path);

  const TrustedKey* Find(std::string_view public_key_hex) const;  // nullptr when not trusted
  const std::vector<TrustedKey>& keys() const { return keys_; }
  bool empty() const { return keys_.empty(); }

 private:
  Status Add(const std::string& spec, const std::string& base_dir, const std::string& where, bool allow_private = false);
  std::vector<TrustedKey> keys_;
};

// Key id of a raw public key given in hex, and of the public or private key file at `path`.
std::string KeyIdOf(std::string_view public_key_hex);
Result<std::string> KeyIdOfFile(const std::string& path);

// Writes a fresh Ed25519 private key (PEM) to `out_path` with mode 0600; refuses an
// existing path. Returns the new key's id.
Result<std::string> GenerateKeyFile(const std::string& out_path);

// An Ed25519 key file kept beside a store: `given` when not empty, else `sqlite_file` +
// `kind.suffix`, made (mode 0600) when absent and announced on stderr by `who`. A store
// that is not a SQLite file (`sqlite_file` empty: PostgreSQL) needs `given`:
// InvalidArgument "<kind.flag>: required with a PostgreSQL store; <kind.why>".
struct StoreKeyKind {
  std::string_view suffix, what, flag, why;
};
inline constexpr StoreKeyKind kServerKeyFile{".server-key.pem", "server key", "--server-key",
                                             "every server of one database seals with its own key file"};
inline constexpr StoreKeyKind kWebhookKeyFile{".webhook-key.pem", "webhook key", "--webhook-key",
                                              "every server of one database derives webhook secrets from the same key file"};
Result<std::string> ResolveStoreKey(const std::string& given, const std::string& sqlite_file, const StoreKeyKind& kind,
                                    std::string_view who);

// The public key PEM of the private (or public) key file at `key_path`.
Result<std::string> ExportPublicKey(const std::string& key_path);

}  // namespace oep
