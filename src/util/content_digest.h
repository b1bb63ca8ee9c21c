// Digests of the files a release manifest binds.
#pragma once

#include <string>

#include "util/status.h"

namespace oep {

// "sha256:<hex>" of a file's bytes; for a directory, the tree digest: SHA-256 over the
// lines "<sha256 hex of file> <path relative to the directory>\n" of every regular file
// below it, sorted by relative path (bytewise). Hidden files are included; links and
// special files below it are refused (see ListTreeFiles).
Result<std::string> ContentDigest(const std::string& path);

}  // namespace oep
