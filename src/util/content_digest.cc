#include "util/content_digest.h"

#include <algorithm>
#include <filesystem>
#include <vector>

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
  std::vector<std::string> files;
  for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->is_regular_file()) files.push_back(fs::relative(it->path(), path).generic_string());
  }
  if (ec) return Status::IOError(path + ": cannot list directory: " + ec.message());
  std::sort(files.begin(), files.end());
  crypto::Sha256 tree;
  for (const auto& rel : files) {
    auto bytes = ReadFile((fs::path(path) / rel).string());
    if (!bytes.ok()) return bytes.status();
    tree.Update(crypto::Sha256Hex(*bytes) + " " + rel + "\n");
  }
  return "sha256:" + tree.FinishHex();
}

}  // namespace oep
