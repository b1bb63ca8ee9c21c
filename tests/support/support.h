// Test helpers: run the real `oep` binary, make scratch directories, hash files.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace oep::test {

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs the oep binary with `args` (no shell), extra environment `env` ("K=V").
RunResult RunOep(const std::vector<std::string>& args, const std::vector<std::string>& env = {});

// `oep rego eval -d <policy_text> [-i <input>] <query>` on files in a scratch directory.
RunResult EvalPolicy(const std::string& policy_text, const std::string& query, const std::string& input = "");

// A fresh directory under the system temp dir, removed when the object dies.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::string RepoRoot();                       // the source tree (tests run from it)
std::string OepBinary();                      // the oep binary under test
std::string CorpusDir(const std::string& sub);  // ../shared/corpus/<sub>, "" when absent
std::string FileSha256(const std::string& path);  // "" when the file does not exist
void WriteText(const std::string& path, const std::string& text);
std::string ReadText(const std::string& path);
// Runs oep with `args` and its stderr on a pseudo-terminal (stdout to /dev/null): what a
// person at a terminal would see on stderr, and the exit code (-1 when killed after 60 s).
struct TerminalRun {
  int exit_code = -1;
  std::string terminal;
};
TerminalRun RunOepWithTerminalStderr(const std::vector<std::string>& args);

// Starts oep in the background (stdout/stderr to /dev/null); returns its pid.
int SpawnOep(const std::vector<std::string>& args);
// Writes a fresh Ed25519 private key (PEM) made with OpenSSL.
void WriteEd25519Key(const std::string& path);

// Builds the demo store at `url` (a file path, sqlite:PATH or postgresql://...) through the CLI.
void MakeDemoStore(const std::string& url);

// A fresh demo store of `backend` (see store_backends.h; a file path in the scratch
// directory for "sqlite"); Run({"VERB", args...}) runs `oep VERB --store STORE args...` on
// it (with no $OEP_TRUSTED_KEYS from outside).
struct DemoFixture {
  explicit DemoFixture(const std::string& backend = "sqlite");
  ScratchDir dir;
  std::string store;
  RunResult Run(std::vector<std::string> args) const;
};

// The contract for a mistaken flag: exit 2, "oep: " and `expected` in stderr, nothing on
// stdout (no work was done), the store unchanged (StoreFingerprint).
void CheckFlagRefused(const DemoFixture& demo, const std::vector<std::string>& args, const std::string& expected);
// Runs SQL against a store with the sqlite3 library (tamper and inspection tests).
void ExecSql(const std::string& path, const std::string& sql);
// Drops the append-only triggers first, as an attacker with file access would, then runs SQL.
void TamperSql(const std::string& path, const std::string& sql);
// Runs oep with `args` and checks the bad-input contract: exit 2, `path` and `expected`
// in stderr, `path`'s bytes unchanged.
void CheckRefusedUntouched(const std::vector<std::string>& args, const std::string& path, const std::string& expected);

}  // namespace oep::test
