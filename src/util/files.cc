#include "util/files.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

namespace oep {
namespace fs = std::filesystem;

namespace {

const char* FileTypeName(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  return "not a plain file";
}

const char* FileTypeName(fs::file_type type) {
  switch (type) {
    case fs::file_type::directory: return "a directory";
    case fs::file_type::fifo: return "a FIFO";
    case fs::file_type::socket: return "a socket";
    case fs::file_type::character: return "a character device";
    case fs::file_type::block: return "a block device";
    default: return "not a plain file";
  }
}

}  // namespace

Status ReadFileChunks(const std::string& path, FunctionRef<Status(std::string_view chunk)> sink, uint64_t* size) {
  // O_NONBLOCK: opening a FIFO with no writer must not wait; it is refused below.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return Status::IOError(path + ": cannot open: " + std::strerror(errno));
  struct stat st;
  Status s;
  if (::fstat(fd, &st) != 0) {
    s = Status::IOError(path + ": cannot stat: " + std::strerror(errno));
  } else if (!S_ISREG(st.st_mode)) {
    s = Status::InvalidArgument(path + ": not a regular file (" + FileTypeName(st.st_mode) + ")");
  } else if (size != nullptr) {
    *size = static_cast<uint64_t>(st.st_size);
  }
  char buf[1 << 16];
  while (s.ok()) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) s = Status::IOError(path + ": read failed: " + std::strerror(errno));
    if (n <= 0) break;
    s = sink(std::string_view(buf, static_cast<size_t>(n)));
  }
  ::close(fd);
  return s;
}

Result<std::string> ReadFile(const std::string& path) {
  std::string out;
  uint64_t size = 0;
  OEP_RETURN_IF_ERROR(ReadFileChunks(
      path,
      [&](std::string_view chunk) {
        if (out.empty()) out.reserve(static_cast<size_t>(size));
        out.append(chunk);
        return Status::Ok();
      },
      &size));
  return out;
}

std::string TempSiblingPath(const std::string& path) {
  static std::atomic<uint64_t> counter{0};
  auto nanos = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  for (;;) {
    std::string tmp = path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" +
                      std::to_string(nanos % 1000000007u);
    std::error_code ec;
    if (!fs::exists(fs::symlink_status(tmp, ec))) return tmp;
  }
}

void RemoveStaleTempSiblings(const std::string& path) {
  fs::path p(path);
  std::string prefix = p.filename().string() + ".tmp-";
  fs::path dir = p.parent_path().empty() ? fs::path(".") : p.parent_path();
  std::error_code ec;
  std::vector<fs::path> stale;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    std::string_view rest = std::string_view(name).substr(prefix.size());
    size_t digits = rest.find_first_not_of("0123456789");
    if (digits == 0 || digits == std::string_view::npos || rest[digits] != '-') continue;
    long pid = std::strtol(std::string(rest.substr(0, digits)).c_str(), nullptr, 10);
    if (pid <= 0 || pid == ::getpid()) continue;
    if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) stale.push_back(it->path());
  }
  for (const auto& f : stale) fs::remove(f, ec);
}

Status WriteFileAtomic(const std::string& path, std::string_view data) {
  std::string tmp = TempSiblingPath(path);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IOError(tmp + ": cannot create: " + std::strerror(errno));
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return Status::IOError(tmp + ": write failed: " + std::strerror(err));
    }
    off += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    return Status::IOError(tmp + ": cannot flush: " + std::strerror(errno));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return Status::IOError(path + ": cannot publish: " + std::strerror(errno));
  }
  return Status::Ok();
}

Result<std::vector<TreeFile>> ListTreeFiles(const std::string& root, FunctionRef<bool(std::string_view name)> include) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return Status::InvalidArgument(root + ": not a directory");
  std::vector<TreeFile> files;
  // The iterator does not follow directory links; every entry is classified by lstat.
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    fs::file_status st = it->symlink_status(ec);
    if (ec) return Status::IOError(it->path().string() + ": cannot stat: " + ec.message());
    if (st.type() == fs::file_type::directory) continue;
    if (!include(it->path().filename().string())) continue;
    std::string path = it->path().string();
    if (st.type() == fs::file_type::symlink) {
      return Status::InvalidArgument(path + ": a symbolic link; oep reads only regular files inside a directory "
                                            "(a link may point outside the tree or loop)");
    }
    if (st.type() != fs::file_type::regular) {
      return Status::InvalidArgument(path + ": not a regular file (" + FileTypeName(st.type()) + ")");
    }
    files.push_back({path, it->path().lexically_relative(root).generic_string()});
  }
  if (ec) return Status::IOError(root + ": cannot list directory: " + ec.message());
  std::sort(files.begin(), files.end(), [](const TreeFile& a, const TreeFile& b) { return a.relative < b.relative; });
  return files;
}

}  // namespace oep
