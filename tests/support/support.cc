#include "support/support.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <SQLiteCpp/SQLiteCpp.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <catch2/catch.hpp>

#include "crypto/sha256.h"
#include "support/store_backends.h"
#include "util/subprocess.h"

extern char** environ;

namespace oep::test {

RunResult RunOep(const std::vector<std::string>& args, const std::vector<std::string>& env) {
  std::vector<std::string> argv = {OEP_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = RunProcess(argv, env);
  if (!r.ok()) throw std::runtime_error(r.status().message());
  return RunResult{r->exit_code, r->out, r->err};
}

int SpawnOep(const std::vector<std::string>& args) {
  std::vector<std::string> argv_s = {OEP_BINARY};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid;
  int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw std::runtime_error("cannot spawn oep");
  return pid;
}

void WriteEd25519Key(const std::string& path) {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  FILE* f = std::fopen(path.c_str(), "w");
  if (key == nullptr || f == nullptr || PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    throw std::runtime_error("cannot write an Ed25519 key");
  }
  std::fclose(f);
  EVP_PKEY_free(key);
}

ScratchDir::ScratchDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "oep-test-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string RepoRoot() { return OEP_SOURCE_DIR; }
std::string OepBinary() { return OEP_BINARY; }

std::string CorpusDir(const std::string& sub) {
  auto p = std::filesystem::path(OEP_SOURCE_DIR) / ".." / "shared" / "corpus" / sub;
  return std::filesystem::exists(p) ? p.lexically_normal().string() : "";
}

std::string FileSha256(const std::string& path) {
  if (!std::filesystem::exists(path)) return "";
  return crypto::Sha256Hex(ReadText(path));
}

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void MakeDemoStore(const std::string& url) {
  RunResult r = RunOep({"demo", "--store", url});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
}

DemoFixture::DemoFixture(const std::string& backend)
    : store(backend == "sqlite" ? dir / "demo.sqlite" : NewStoreUrl(backend, dir)) {
  MakeDemoStore(store);
}

RunResult DemoFixture::Run(std::vector<std::string> args) const {
  args.insert(args.begin() + 1, {"--store", store});
  return RunOep(args, {"OEP_TRUSTED_KEYS=", "COLUMNS="});  // output is a pipe: tables unlimited in width
}

void CheckFlagRefused(const DemoFixture& demo, const std::vector<std::string>& args, const std::string& expected) {
  std::string before = StoreFingerprint(demo.store);
  RunResult r = demo.Run(args);
  INFO(expected);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::StartsWith("oep: ") && Catch::Contains(expected));
  CHECK(r.out.empty());
  CHECK(StoreFingerprint(demo.store) == before);
}

void ExecSql(const std::string& path, const std::string& sql) {
  SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  db.exec(sql);
}

void TamperSql(const std::string& path, const std::string& sql) {
  SQLite::Database db(path, SQLite::OPEN_READWRITE);
  std::vector<std::string> triggers;
  SQLite::Statement q(db, "SELECT name FROM sqlite_schema WHERE type = 'trigger'");
  while (q.executeStep()) triggers.push_back(q.getColumn(0).getString());
  for (const auto& t : triggers) db.exec("DROP TRIGGER " + t);
  db.exec(sql);
}

RunResult EvalPolicy(const std::string& policy_text, const std::string& query, const std::string& input) {
  ScratchDir dir;
  WriteText(dir / "p.rego", policy_text);
  std::vector<std::string> args = {"rego", "eval", "-d", dir / "p.rego"};
  if (!input.empty()) {
    WriteText(dir / "in.json", input);
    args.insert(args.end(), {"-i", dir / "in.json"});
  }
  args.push_back(query);
  return RunOep(args);
}

void CheckRefusedUntouched(const std::vector<std::string>& args, const std::string& path, const std::string& expected) {
  std::string before = FileSha256(path);
  RunResult r = RunOep(args);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains(path) && Catch::Contains(expected));
  CHECK(FileSha256(path) == before);
}

}  // namespace oep::test

namespace oep::test {

TerminalRun RunOepWithTerminalStderr(const std::vector<std::string>& args) {
  TerminalRun out;
  int master = ::posix_openpt(O_RDWR | O_NOCTTY);
  if (master < 0 || ::grantpt(master) != 0 || ::unlockpt(master) != 0) return out;
  std::string slave_name = ::ptsname(master);
  std::string bin = OepBinary();
  std::vector<char*> argv{bin.data()};
  std::vector<std::string> copy = args;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    int slave = ::open(slave_name.c_str(), O_RDWR);
    int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(slave, 2);
    ::dup2(devnull, 1);
    ::execv(bin.c_str(), argv.data());
    ::_exit(127);
  }
  char buf[4096];
  int status = 0;
  // Read until the child has exited and the terminal has nothing more, at most 60 s. The
  // master reports hang-up (EIO) while no slave is open — before the child opened it, and
  // after it exited — so hang-ups wait a little rather than count.
  bool exited = false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{master, POLLIN, 0};
    if (::poll(&p, 1, 200) > 0) {
      ssize_t n = ::read(master, buf, sizeof buf);
      if (n > 0) {
        out.terminal.append(buf, static_cast<size_t>(n));
        continue;
      }
      if (!exited) ::usleep(20000);
    }
    if (exited) break;
    exited = ::waitpid(pid, &status, WNOHANG) == pid;
  }
  if (!exited) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
  }
  ::close(master);
  out.exit_code = exited && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

}  // namespace oep::test
