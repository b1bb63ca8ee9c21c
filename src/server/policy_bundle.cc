#include "server/policy_bundle.h"

#include <stdlib.h>

#include <filesystem>

#include "util/files.h"
#include "util/gzip.h"

namespace oep::server {
namespace {

constexpr size_t kMaxArchiveBytes = 32u << 20, kMaxMemberBytes = 8u << 20, kBlock = 512;

// A NUL-terminated field of a tar header.
std::string Field(std::string_view header, size_t offset, size_t size) {
  std::string_view f = header.substr(offset, size);
  return std::string(f.substr(0, f.find('\0')));
}

// An octal number field (ustar sizes), or -1.
int64_t Octal(std::string_view header, size_t offset, size_t size) {
  int64_t v = 0;
  bool any = false;
  for (char c : header.substr(offset, size)) {
    if (c == '\0' || c == ' ') {
      if (any) break;
      continue;
    }
    if (c < '0' || c > '7' || v > (int64_t{1} << 40)) return -1;
    v = v * 8 + (c - '0');
    any = true;
  }
  return any ? v : -1;
}

// A member name safe to write below the folder: relative, no "..", a .rego or data.json file.
bool Wanted(const std::string& name) {
  if (name.empty() || name[0] == '/' || name.size() > 255) return false;
  for (size_t start = 0; start <= name.size();) {
    size_t end = name.find('/', start);
    if (end == std::string::npos) end = name.size();
    std::string_view seg(name.data() + start, end - start);
    if (seg == ".." || (seg.empty() && end != name.size())) return false;
    start = end + 1;
  }
  std::string base = std::filesystem::path(name).filename().string();
  return base == "data.json" || (base.size() > 5 && base.substr(base.size() - 5) == ".rego");
}

Status Untar(std::string_view tar, const std::string& dir, const std::string& what, int* modules) {
  for (size_t at = 0; at + kBlock <= tar.size();) {
    std::string_view header = tar.substr(at, kBlock);
    if (header.find_first_not_of('\0') == std::string_view::npos) break;  // end of archive
    int64_t size = Octal(header, 124, 12);
    if (size < 0) return Status::InvalidArgument(what + ": not a tar archive (bad member size at offset " + std::to_string(at) + ")");
    char type = header[156];
    std::string name = Field(header, 0, 100);
    if (header.substr(257, 5) == "ustar") {
      std::string prefix = Field(header, 345, 155);
      if (!prefix.empty()) name = prefix + "/" + name;
    }
    if (name.rfind("./", 0) == 0) name = name.substr(2);
    size_t data = at + kBlock, padded = (static_cast<size_t>(size) + kBlock - 1) / kBlock * kBlock;
    if (data + static_cast<size_t>(size) > tar.size()) return Status::InvalidArgument(what + ": the tar archive ends inside " + name);
    if ((type == '0' || type == '\0') && Wanted(name)) {
      if (static_cast<size_t>(size) > kMaxMemberBytes) {
        return Status::InvalidArgument(what + ": " + name + " is " + std::to_string(size) + " bytes; expected at most 8 MiB");
      }
      std::filesystem::path out = std::filesystem::path(dir) / name;
      std::error_code ec;
      std::filesystem::create_directories(out.parent_path(), ec);
      if (ec) return Status::IOError(what + ": cannot make the folder of " + name + ": " + ec.message());
      OEP_RETURN_IF_ERROR(WriteFileAtomic(out.string(), tar.substr(data, static_cast<size_t>(size))));
      if (name.size() > 5 && name.substr(name.size() - 5) == ".rego") ++*modules;
    }
    at = data + padded;
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<PolicyBundle>> PolicyBundle::Write(std::string_view bytes, const std::string& what) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "oep-serve-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) return Status::IOError("cannot make a temporary folder for a policy");
  std::unique_ptr<PolicyBundle> b(new PolicyBundle(tmpl));
  if (!IsGzip(bytes)) {
    b->path_ = b->dir_ + "/policy.rego";
    OEP_RETURN_IF_ERROR(WriteFileAtomic(b->path_, bytes));
    return b;
  }
  auto tar = GunzipBounded(bytes, what, kMaxArchiveBytes);
  if (!tar.ok()) return tar.status();
  b->path_ = b->dir_ + "/bundle";
  int modules = 0;
  OEP_RETURN_IF_ERROR(Untar(*tar, b->path_, what, &modules));
  if (modules == 0) return Status::InvalidArgument(what + ": expected a bundle with at least one .rego module");
  return b;
}

PolicyBundle::~PolicyBundle() {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

}  // namespace oep::server
