#include "mcp_proxy/mcp_proxy.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <memory>
#include <mutex>
#include <thread>

#include "audit/audit.h"
#include "json/json.h"

namespace oep {
namespace {

constexpr size_t kMaxRecordedLine = size_t{8} << 20;  // as kMaxRecordBytes: longer lines are counted only

// Appends one JSON line per forwarded message; thread-safe.
class Recorder {
 public:
  explicit Recorder(int fd) : fd_(fd) {}
  void Line(const char* from, const std::string& line, size_t bytes, bool oversize) {
    rapidjson::Document doc(rapidjson::kObjectType);
    auto& a = doc.GetAllocator();
    std::string time = NowUtcMicros();
    doc.AddMember("time", rapidjson::Value(time.c_str(), a), a);
    doc.AddMember("from", rapidjson::StringRef(from), a);
    if (oversize) {
      doc.AddMember("oversize", static_cast<uint64_t>(bytes), a);
    } else {
      std::string text = line;
      if (!text.empty() && text.back() == '\r') text.pop_back();
      auto message = json::Parse(text);
      if (message.ok()) doc.AddMember("message", rapidjson::Value(*message, a), a);
      else doc.AddMember("unparsed", rapidjson::Value(text.c_str(), static_cast<rapidjson::SizeType>(text.size()), a), a);
    }
    std::string out = json::CanonicalText(doc) + "\n";
    std::lock_guard<std::mutex> lock(mu_);
    if (failed_) return;
    for (size_t off = 0; off < out.size();) {
      ssize_t n = ::write(fd_, out.data() + off, out.size() - off);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        failed_ = true;
        std::cerr << "oep mcp-proxy: the recording stopped (" << std::strerror(errno) << "); the session goes on\n";
        return;
      }
      off += static_cast<size_t>(n);
    }
  }

 private:
  int fd_;
  std::mutex mu_;
  bool failed_ = false;
};

bool WriteAll(int fd, const char* data, size_t size) {
  for (size_t off = 0; off < size;) {
    ssize_t n = ::write(fd, data + off, size - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

// Copies `in` to `out` as it arrives, recording each line as coming `from`; returns at EOF
// of `in` or when `out` is closed. A chunk's complete lines are recorded before the chunk is
// passed on, so whatever the other side has read is on record even if this process is
// killed right after (a client that closes its transport may end the proxy at once).
void Pump(int in, int out, const char* from, Recorder& recorder) {
  std::string line;
  size_t line_bytes = 0;
  bool oversize = false;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(in, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    for (ssize_t i = 0; i < n; ++i) {
      if (buf[i] == '\n') {
        recorder.Line(from, line, line_bytes, oversize);
        line.clear();
        line_bytes = 0;
        oversize = false;
        continue;
      }
      ++line_bytes;
      if (line_bytes > kMaxRecordedLine) {
        oversize = true;
        line.clear();
      } else if (!oversize) {
        line.push_back(buf[i]);
      }
    }
    if (!WriteAll(out, buf, static_cast<size_t>(n))) break;  // the other side closed
  }
  if (line_bytes > 0) recorder.Line(from, line, line_bytes, oversize);
}

}  // namespace

Result<int> RunMcpProxy(const McpProxyOptions& options) {
  if (options.command.empty()) return Status::InvalidArgument("expected the MCP server's command after --");
  int record = ::open(options.record_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (record < 0) return Status::IOError("--record " + options.record_path + ": " + std::strerror(errno));
  int to_server[2], from_server[2];
  if (::pipe2(to_server, O_CLOEXEC) != 0 || ::pipe2(from_server, O_CLOEXEC) != 0) {
    ::close(record);
    return Status::IOError(std::string("pipe: ") + std::strerror(errno));
  }
  ::signal(SIGPIPE, SIG_IGN);
  int ready[2];  // closed on exec; carries errno when exec fails
  if (::pipe2(ready, O_CLOEXEC) != 0) return Status::IOError(std::string("pipe: ") + std::strerror(errno));
  pid_t pid = ::fork();
  if (pid < 0) return Status::IOError(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::dup2(to_server[0], 0);
    ::dup2(from_server[1], 1);
    std::vector<char*> argv;
    for (const auto& a : options.command) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    ::execvp(argv[0], argv.data());
    int e = errno;
    (void)!::write(ready[1], &e, sizeof e);
    ::_exit(127);
  }
  ::close(ready[1]);
  ::close(to_server[0]);
  ::close(from_server[1]);
  int exec_errno = 0;
  ssize_t got = ::read(ready[0], &exec_errno, sizeof exec_errno);
  ::close(ready[0]);
  if (got == static_cast<ssize_t>(sizeof exec_errno)) {
    ::waitpid(pid, nullptr, 0);
    ::close(record);
    return Status::InvalidArgument("cannot run " + options.command[0] + ": " + std::strerror(exec_errno));
  }
  // Shared with the client's thread, which may outlive this call (the process ends then).
  auto recorder = std::make_shared<Recorder>(record);
  // The client's side ends when the client closes our stdin (then the server's stdin is
  // closed) or when the server exits; it is not joined, as a client may never close stdin.
  std::thread client([recorder, fd = to_server[1]] {
    Pump(0, fd, "client", *recorder);
    ::close(fd);
  });
  client.detach();
  Pump(from_server[0], 1, "server", *recorder);
  ::close(from_server[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace oep
