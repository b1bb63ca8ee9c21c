#include "util/content_digest.h"

#include <filesystem>

#include "crypto/sha256.h"
#include "util/files.h"

namespace oep {
namespace fs = std::filesystem;

Result<std::string> ContentDigest(const std::string& path) {
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) {
    auto bytes = ReadFile(path);
    if (!bytes.ok()) return bytes.status();
    return crypto::Sha256Digest(*bytes);
  }
  if (!fs::is_directory(path, ec)) return Status::NotFound(path + ": no such file or directory");
  auto files = ListTreeFiles(path, [](std::string_view) { return true; });
  if (!files.ok()) return files.status();
  crypto::Sha256 tree;
  for (const auto& f : *files) {
    auto bytes = ReadFile(f.path);
    if (!bytes.ok()) return bytes.status();
    tree.Update(crypto::Sha256Hex(*bytes) + " " + f.relative + "\n");
  }
  return "sha256:" + tree.FinishHex();
}

}  // namespace oep
