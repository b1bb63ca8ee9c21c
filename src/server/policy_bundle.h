// Private to src/server: a stored policy — one Rego module, or an OPA bundle as a .tar.gz —
// written to a private temporary folder for a policy engine, removed with the object.
//
// A .tar.gz is read as POSIX ustar (and GNU tar's plain regular members): only regular
// files named *.rego or data.json are written, under their relative paths; absolute names,
// ".." segments, links, devices and other member types are skipped; the decompressed
// archive is refused past 32 MiB and any member past 8 MiB.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "util/status.h"

namespace oep::server {

class PolicyBundle {
 public:
  // InvalidArgument (naming `what`) for a corrupt archive or one without any .rego module.
  static Result<std::unique_ptr<PolicyBundle>> Write(std::string_view bytes, const std::string& what);
  ~PolicyBundle();
  PolicyBundle(const PolicyBundle&) = delete;
  PolicyBundle& operator=(const PolicyBundle&) = delete;

  // What to give PolicyEngineConfig::bundle: the module file, or the bundle's folder.
  const std::string& path() const { return path_; }
  const std::string& dir() const { return dir_; }

 private:
  explicit PolicyBundle(std::string dir) : dir_(std::move(dir)) {}
  std::string dir_, path_;
};

}  // namespace oep::server
