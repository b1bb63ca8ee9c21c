#include "util/subprocess.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <mutex>
#include <set>

extern char** environ;

namespace oep {
namespace {

using Clock = std::chrono::steady_clock;

// Direct children of RunProcess calls in flight (so that one call's clean-up never kills
// another call's child). Held across fork so that no child exists unregistered.
std::mutex g_children_mu;
std::set<pid_t> g_live_children;

struct Fd {
  int fd = -1;
  Fd() = default;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Close(); }
  void Close() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

Status Errno(const std::string& what) { return Status::IOError(what + ": " + std::strerror(errno)); }

// What /proc/<pid>/stat says of one process.
struct ProcStat {
  pid_t ppid = 0, pgrp = 0, session = 0;
  unsigned long long start_ticks = 0;
};

bool ReadProcStat(pid_t pid, ProcStat* out) {
  std::string path = "/proc/" + std::to_string(pid) + "/stat";
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[1024];
  ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return false;
  buf[n] = '\0';
  const char* p = std::strrchr(buf, ')');  // the command name may hold spaces and ')'
  if (p == nullptr) return false;
  char state = 0;
  long long ppid = 0, pgrp = 0, session = 0;
  unsigned long long start = 0;
  // Fields 3..22 of proc(5): state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt
  // cmajflt utime stime cutime cstime priority nice num_threads itrealvalue starttime.
  if (std::sscanf(p + 1, " %c %lld %lld %lld %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu", &state,
                  &ppid, &pgrp, &session, &start) != 5) {
    return false;
  }
  *out = {static_cast<pid_t>(ppid), static_cast<pid_t>(pgrp), static_cast<pid_t>(session), start};
  return true;
}

std::map<pid_t, ProcStat> AllProcesses() {
  std::map<pid_t, ProcStat> all;
  DIR* d = ::opendir("/proc");
  if (d == nullptr) return all;
  while (dirent* e = ::readdir(d)) {
    char* end = nullptr;
    long pid = std::strtol(e->d_name, &end, 10);
    if (pid <= 0 || *end != '\0') continue;
    ProcStat s;
    if (ReadProcStat(static_cast<pid_t>(pid), &s)) all[static_cast<pid_t>(pid)] = s;
  }
  ::closedir(d);
  return all;
}

// Kills what a finished call left behind. This process is a child subreaper, so every
// orphaned descendant of the call's child (its process group killed, or escaped by
// setsid / setpgid / double fork) has been re-parented to it. Kept alive: children of other
// calls in flight, and children that share this process's group and started before this
// call's child (spawned by other code, e.g. posix_spawn in tests), with their descendants.
// Everything else below this process is killed and its direct members reaped, repeatedly,
// until nothing is left (each round re-parents the next generation here).
void KillOrphanedDescendants(unsigned long long call_start_ticks) {
  std::lock_guard<std::mutex> lock(g_children_mu);
  pid_t self = ::getpid();
  ProcStat me;
  if (!ReadProcStat(self, &me)) return;
  for (int round = 0; round < 100; ++round) {
    auto all = AllProcesses();
    std::multimap<pid_t, pid_t> children;
    for (const auto& [pid, s] : all) children.emplace(s.ppid, pid);
    std::vector<pid_t> doomed, direct;
    std::vector<pid_t> stack;
    auto [b, e] = children.equal_range(self);
    for (auto it = b; it != e; ++it) {
      const ProcStat& s = all[it->second];
      bool other_call = g_live_children.count(it->second) > 0;
      bool unrelated = s.pgrp == me.pgrp && s.session == me.session && s.start_ticks < call_start_ticks;
      if (other_call || unrelated) continue;
      direct.push_back(it->second);
      stack.push_back(it->second);
    }
    while (!stack.empty()) {
      pid_t p = stack.back();
      stack.pop_back();
      doomed.push_back(p);
      auto [cb, ce] = children.equal_range(p);
      for (auto it = cb; it != ce; ++it) stack.push_back(it->second);
    }
    if (doomed.empty()) return;
    for (pid_t p : doomed) ::kill(p, SIGKILL);
    for (pid_t p : direct) {
      while (::waitpid(p, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
  }
}

unsigned long long StartTicks(pid_t pid) {
  ProcStat s;
  return ReadProcStat(pid, &s) ? s.start_ticks : 0;
}

// Writes without dying of SIGPIPE when the child has closed its stdin.
ssize_t WriteNoSigpipe(int fd, const char* data, size_t size) {
  sigset_t pipe_set, old;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
  ssize_t w = ::write(fd, data, size);
  int saved = errno;
  if (w < 0 && saved == EPIPE) {
    timespec zero{0, 0};
    sigtimedwait(&pipe_set, nullptr, &zero);
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  errno = saved;
  return w;
}

// Appends what can be read now from `fd` (non-blocking) to `to`, at most up to `cap`
// bytes in total; returns false at end of file or error. Sets *overflow when more than
// `cap` was there.
bool ReadAvailable(int fd, std::string& to, size_t cap, bool* overflow) {
  char buf[65536];
  for (;;) {
    ssize_t got = ::read(fd, buf, sizeof buf);
    if (got > 0) {
      // Growing by doubling would copy (and briefly hold) up to 1.5x the cap; a bounded cap
      // is reserved once instead, when the output outgrows its first megabyte.
      if (to.size() + static_cast<size_t>(got) > to.capacity() && to.size() >= (1u << 20) && cap <= (1u << 30)) {
        to.reserve(cap);
      }
      size_t room = cap - std::min(cap, to.size());
      to.append(buf, std::min(room, static_cast<size_t>(got)));
      if (static_cast<size_t>(got) > room) {
        *overflow = true;
        return true;
      }
      continue;
    }
    if (got < 0 && errno == EINTR) continue;
    return got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
}

int ExitCode(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status); }

}  // namespace

Result<ProcessResult> RunProcess(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env,
                                 const std::string& stdin_text, double timeout_seconds) {
  ProcessLimits limits;
  limits.timeout_seconds = timeout_seconds;
  return RunProcess(argv, extra_env, stdin_text, limits);
}

Result<ProcessResult> RunProcess(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env,
                                 const std::string& stdin_text, const ProcessLimits& limits) {
  if (argv.empty()) return Status::InvalidArgument("RunProcess: empty argv");
  static std::once_flag subreaper_once;
  std::call_once(subreaper_once, [] { ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); });

  int p[2];
  Fd in_r, in_w, out_r, out_w, err_r, err_w, exec_r, exec_w;
  if (::pipe2(p, O_CLOEXEC)) return Errno("pipe");
  in_r.fd = p[0], in_w.fd = p[1];
  if (::pipe2(p, O_CLOEXEC)) return Errno("pipe");
  out_r.fd = p[0], out_w.fd = p[1];
  if (::pipe2(p, O_CLOEXEC)) return Errno("pipe");
  err_r.fd = p[0], err_w.fd = p[1];
  if (::pipe2(p, O_CLOEXEC)) return Errno("pipe");  // the child's exec errno, if exec fails
  exec_r.fd = p[0], exec_w.fd = p[1];
  for (int fd : {in_w.fd, out_r.fd, err_r.fd}) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);

  std::vector<std::string> env_s;
  auto overridden = [&](const char* e) {
    for (const auto& x : extra_env) {
      size_t eq = x.find('=');
      if (eq != std::string::npos && std::strncmp(e, x.c_str(), eq + 1) == 0) return true;
    }
    return false;
  };
  for (char** e = environ; *e; ++e) {
    if (!overridden(*e)) env_s.emplace_back(*e);
  }
  env_s.insert(env_s.end(), extra_env.begin(), extra_env.end());
  std::vector<char*> args, envp;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  for (const auto& e : env_s) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  pid_t pid;
  {
    std::lock_guard<std::mutex> lock(g_children_mu);
    pid = ::fork();
    if (pid == 0) {
      // Only async-signal-safe calls from here to execve.
      ::setpgid(0, 0);
      sigset_t none;
      sigemptyset(&none);
      ::sigprocmask(SIG_SETMASK, &none, nullptr);
      ::signal(SIGPIPE, SIG_DFL);
      ::dup2(in_r.fd, 0);
      ::dup2(out_w.fd, 1);
      ::dup2(err_w.fd, 2);
      ::execve(args[0], args.data(), envp.data());
      int e = errno;
      ssize_t ignored = ::write(exec_w.fd, &e, sizeof e);
      (void)ignored;
      ::_exit(127);
    }
    if (pid < 0) return Errno("fork");
    g_live_children.insert(pid);
  }
  ::setpgid(pid, pid);
  unsigned long long start_ticks = StartTicks(pid);
  in_r.Close();
  out_w.Close();
  err_w.Close();
  exec_w.Close();

  ProcessResult r;
  int status = 0;
  bool exited = false;
  auto reap = [&](int flags) {
    pid_t w;
    while ((w = ::waitpid(pid, &status, flags)) < 0 && errno == EINTR) {
    }
    if (w == pid) exited = true;
  };
  auto finish = [&]() {
    if (!exited) {
      ::kill(-pid, SIGKILL);
      ::kill(pid, SIGKILL);
      reap(0);
    }
    {
      std::lock_guard<std::mutex> lock(g_children_mu);
      g_live_children.erase(pid);
    }
    ::kill(-pid, SIGKILL);  // the rest of its process group
    KillOrphanedDescendants(start_ticks);
  };

  int exec_errno = 0;
  ssize_t got;
  while ((got = ::read(exec_r.fd, &exec_errno, sizeof exec_errno)) < 0 && errno == EINTR) {
  }
  if (got == static_cast<ssize_t>(sizeof exec_errno)) {
    finish();
    return Status::NotFound("cannot execute " + argv[0] + ": " + std::strerror(exec_errno));
  }

  Fd pid_fd;
#ifdef SYS_pidfd_open
  pid_fd.fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#endif
  if (stdin_text.empty()) in_w.Close();
  size_t written = 0;
  auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                     std::chrono::duration<double>(std::max(0.0, limits.timeout_seconds)));
  Clock::time_point grace_end{};
  auto millis_until = [](Clock::time_point t) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t - Clock::now()).count() + 1;
    return static_cast<int>(std::clamp<long long>(ms, 0, 1 << 30));
  };
  for (;;) {
    if (!exited && pid_fd.fd < 0) reap(WNOHANG);
    if (exited && grace_end == Clock::time_point{}) {
      grace_end = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                     std::chrono::duration<double>(std::max(0.0, limits.exit_grace_seconds)));
      in_w.Close();
      pid_fd.Close();
    }
    if (exited && out_r.fd < 0 && err_r.fd < 0) break;
    Clock::time_point now = Clock::now();
    if (!exited && limits.timeout_seconds > 0 && now >= deadline) {
      r.timed_out = true;
      break;
    }
    if (exited && now >= grace_end) {
      r.pipes_held_open = out_r.fd >= 0 || err_r.fd >= 0;
      break;
    }
    int wait_ms = -1;
    if (exited) wait_ms = millis_until(grace_end);
    else if (limits.timeout_seconds > 0) wait_ms = millis_until(deadline);
    if (!exited && pid_fd.fd < 0) wait_ms = wait_ms < 0 ? 10 : std::min(wait_ms, 10);
    pollfd fds[4];
    int n = 0;
    if (out_r.fd >= 0) fds[n++] = {out_r.fd, POLLIN, 0};
    if (err_r.fd >= 0) fds[n++] = {err_r.fd, POLLIN, 0};
    if (in_w.fd >= 0) fds[n++] = {in_w.fd, POLLOUT, 0};
    if (pid_fd.fd >= 0) fds[n++] = {pid_fd.fd, POLLIN, 0};
    if (::poll(fds, static_cast<nfds_t>(n), wait_ms) < 0 && errno != EINTR) {
      finish();
      return Errno("poll");
    }
    for (int i = 0; i < n; ++i) {
      if (!fds[i].revents) continue;
      int fd = fds[i].fd;
      if (fd == pid_fd.fd) {
        reap(WNOHANG);
      } else if (fd == in_w.fd) {
        ssize_t w = WriteNoSigpipe(fd, stdin_text.data() + written, stdin_text.size() - written);
        if (w > 0) written += static_cast<size_t>(w);
        if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == stdin_text.size()) in_w.Close();
      } else if (fd == out_r.fd) {
        if (!ReadAvailable(fd, r.out, limits.max_stdout_bytes, &r.stdout_overflow)) out_r.Close();
      } else if (fd == err_r.fd) {
        if (!ReadAvailable(fd, r.err, limits.max_stderr_bytes, &r.stderr_overflow)) err_r.Close();
      }
    }
    if (r.stdout_overflow || r.stderr_overflow) break;
  }
  finish();
  // What was written before the end is kept: the writers are dead now, so this does not wait.
  if (out_r.fd >= 0 && !r.stdout_overflow) ReadAvailable(out_r.fd, r.out, limits.max_stdout_bytes, &r.stdout_overflow);
  if (err_r.fd >= 0 && !r.stderr_overflow) ReadAvailable(err_r.fd, r.err, limits.max_stderr_bytes, &r.stderr_overflow);
  r.exit_code = ExitCode(status);
  return r;
}

std::string QuoteChildOutput(std::string_view text, size_t max_bytes) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  size_t end = text.size();
  auto hex = [&](unsigned char c) {
    out += "\\x";
    out += kHex[c >> 4];
    out += kHex[c & 15];
  };
  size_t i = 0;
  while (i < end && out.size() < max_bytes) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\n') out += "\\n", ++i;
    else if (c == '\t') out += "\\t", ++i;
    else if (c == '\r') out += "\\r", ++i;
    else if (c < 0x20 || c == 0x7f) hex(c), ++i;
    else if (c < 0x80) out += static_cast<char>(c), ++i;
    else {
      // A well-formed UTF-8 sequence is kept unless it encodes a C1 control (U+0080..U+009F).
      size_t len = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
      bool ok = len > 0 && i + len <= end;
      for (size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(text[i + k]) & 0xc0) == 0x80;
      if (ok && len == 3) {
        unsigned char c1 = static_cast<unsigned char>(text[i + 1]);
        ok = !(c == 0xe0 && c1 < 0xa0) && !(c == 0xed && c1 >= 0xa0);  // overlong, surrogate
      }
      if (ok && len == 4) {
        unsigned char c1 = static_cast<unsigned char>(text[i + 1]);
        ok = !(c == 0xf0 && c1 < 0x90) && !(c == 0xf4 && c1 >= 0x90);
      }
      if (ok && len == 2 && c == 0xc2 && static_cast<unsigned char>(text[i + 1]) < 0xa0) ok = false;  // C1
      if (ok) {
        out.append(text.data() + i, len);
        i += len;
      } else {
        hex(c);
        ++i;
      }
    }
  }
  if (i < end) out += "…";
  return out;
}

}  // namespace oep
