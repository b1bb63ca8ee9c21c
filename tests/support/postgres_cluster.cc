#include "support/postgres_cluster.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>

#ifdef OEP_WITH_POSTGRES
#include <pqxx/pqxx>
#endif

namespace oep::test {
namespace {

constexpr const char* kSuperuser = "oeptest";

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

int Shell(const std::string& cmd) { return std::system(cmd.c_str()); }

// The directory of initdb/pg_ctl: the newest /usr/lib/postgresql/<version>/bin.
std::string FindBinaries() {
  std::string best;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
    std::string bin = e.path().string() + "/bin";
    if (std::filesystem::exists(bin + "/initdb") && std::filesystem::exists(bin + "/pg_ctl") && bin > best) best = bin;
  }
  return best;
}

// Directories of clusters whose test process died (the postmaster stopped with it, see
// PR_SET_PDEATHSIG below, and removed its pid file): older than ten minutes, no server.
void RemoveStaleClusters() {
  std::error_code ec;
  auto now = std::filesystem::file_time_type::clock::now();
  for (const auto& e : std::filesystem::directory_iterator("/tmp", ec)) {
    if (e.path().filename().string().rfind("oep-pg-", 0) != 0) continue;
    auto age = now - std::filesystem::last_write_time(e.path(), ec);
    if (ec || age < std::chrono::minutes(10) || std::filesystem::exists(e.path() / "data/postmaster.pid")) continue;
    std::filesystem::remove_all(e.path(), ec);
  }
}

std::unique_ptr<PostgresCluster>& Slot() {
  static std::unique_ptr<PostgresCluster> cluster;
  return cluster;
}

}  // namespace

#ifdef OEP_WITH_POSTGRES

PostgresCluster* PostgresCluster::Get(std::string* why) {
  static std::once_flag once;
  static std::string failure;
  std::call_once(once, [] {
    std::string bin = FindBinaries();
    if (bin.empty() && geteuid() == 0) {
      Shell("DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null 2>&1");
      bin = FindBinaries();
    }
    if (bin.empty()) {
      failure = "no PostgreSQL binaries under /usr/lib/postgresql and apt-get install postgresql failed";
      return;
    }
    RemoveStaleClusters();
    std::unique_ptr<PostgresCluster> c(new PostgresCluster());
    c->bin_ = bin;
    c->owner_pid_ = getpid();
    char tmpl[] = "/tmp/oep-pg-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) {
      failure = "cannot make a temporary directory";
      return;
    }
    c->dir_ = tmpl;
    // initdb refuses to run as root: the cluster belongs to an unprivileged user.
    std::string as_user;
    if (geteuid() == 0) {
      c->os_user_ = kSuperuser;
      Shell(std::string("id -u ") + kSuperuser + " >/dev/null 2>&1 || useradd --system --no-create-home " + kSuperuser);
      Shell("chown " + std::string(kSuperuser) + " " + c->dir_);
      as_user = "runuser -u " + std::string(kSuperuser) + " -- ";
    }
    std::string log = c->dir_ + "/log";
    if (Shell(as_user + bin + "/initdb -D " + c->dir_ + "/data -U " + kSuperuser +
              " -A trust -E UTF8 --no-locale --no-sync > " + log + " 2>&1") != 0) {
      failure = "initdb failed (see " + log + ")";
      return;
    }
    // The postmaster runs as a direct child of this process, in its process group: the
    // subprocess helper (a child subreaper) kills orphans that left the group, which is
    // what a daemon started by pg_ctl would be.
    std::string data = c->dir_ + "/data", server_log = c->dir_ + "/server.log";
    std::vector<std::string> args = {bin + "/postgres", "-D", data, "-k", c->dir_, "-c", "listen_addresses=",
                                     "-c", "fsync=" + std::string(Env("OEP_TEST_PG_FSYNC") == "on" ? "on" : "off"),
                                     "-c", "max_connections=60"};
    struct passwd* user = c->os_user_.empty() ? nullptr : getpwnam(c->os_user_.c_str());
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
      int fd = open(server_log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
      }
      if (user != nullptr && (setgroups(0, nullptr) != 0 || setgid(user->pw_gid) != 0 || setuid(user->pw_uid) != 0)) {
        _exit(126);
      }
      // A test process that dies without its destructors (abort, SIGKILL) takes the
      // cluster with it: SIGQUIT is postgres's immediate shutdown.
      prctl(PR_SET_PDEATHSIG, SIGQUIT);
      if (getppid() != parent) _exit(0);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    c->server_pid_ = pid;
    bool ready = false;
    for (int i = 0; i < 600 && !ready; ++i) {  // up to 60 s
      ready = std::filesystem::exists(c->dir_ + "/.s.PGSQL.5432") &&
              Shell(bin + "/pg_isready -q -h " + c->dir_ + " -U " + kSuperuser) == 0;
      int status = 0;
      if (!ready && waitpid(pid, &status, WNOHANG) == pid) break;
      if (!ready) usleep(100000);
    }
    if (!ready) {
      failure = "postgres did not start (see " + server_log + ")";
      return;
    }
    Slot() = std::move(c);
    // Stopped when the test process exits (static destruction runs the destructor).
  });
  if (why != nullptr) *why = failure;
  return Slot().get();
}

PostgresCluster::~PostgresCluster() {
  if (getpid() != owner_pid_) return;
  std::string as_user = os_user_.empty() ? "" : "runuser -u " + os_user_ + " -- ";
  Shell(as_user + bin_ + "/pg_ctl -D " + dir_ + "/data -m immediate -w stop >/dev/null 2>&1");
  if (server_pid_ > 0) waitpid(server_pid_, nullptr, 0);
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string PostgresCluster::Url(const std::string& db, const std::string& user) const {
  return "postgresql://" + (user.empty() ? std::string(kSuperuser) : user) + "@/" + db + "?host=" + dir_;
}

std::string PostgresCluster::NewDatabase() {
  std::string name = "oep_" + std::to_string(getpid()) + "_" + std::to_string(++databases_);
  Sql("postgres", "CREATE DATABASE " + name);
  return Url(name);
}

std::string PostgresCluster::Sql(const std::string& db, const std::string& sql) const {
  pqxx::connection conn(Url(db));
  pqxx::nontransaction n(conn);
  std::string out;
  for (const auto& row : n.exec(sql)) {
    for (pqxx::row::size_type i = 0; i < row.size(); ++i) {
      if (i > 0) out += "|";
      out += row[i].is_null() ? "" : row[i].c_str();
    }
    out += "\n";
  }
  return out;
}

std::string PostgresCluster::SqlError(const std::string& db, const std::string& user, const std::string& sql) const {
  try {
    pqxx::connection conn(Url(db, user));
    pqxx::nontransaction n(conn);
    n.exec(sql);
    return "";
  } catch (const std::exception& e) {
    return e.what();
  }
}

#else

PostgresCluster* PostgresCluster::Get(std::string* why) {
  if (why != nullptr) *why = "this oep was built without libpqxx (OEP_POSTGRES off)";
  return nullptr;
}
PostgresCluster::~PostgresCluster() = default;
std::string PostgresCluster::Url(const std::string&, const std::string&) const { return ""; }
std::string PostgresCluster::NewDatabase() { return ""; }
std::string PostgresCluster::Sql(const std::string&, const std::string&) const { return ""; }
std::string PostgresCluster::SqlError(const std::string&, const std::string&, const std::string&) const { return ""; }

#endif

std::string DatabaseOf(const std::string& url) {
  size_t start = url.find("@/") + 2;
  return url.substr(start, url.find('?') - start);
}

}  // namespace oep::test
