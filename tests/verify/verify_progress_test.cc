// VerifyChains reports its progress on the calling thread: monotonic, against a total of
// every ledger entry and the row it covers, ending at that total on an intact store.
#include <cstdio>

#include <catch2/catch.hpp>

#include "demo/demo.h"
#include "keys/keys.h"
#include "support/support.h"
#include "verify/chain_verify.h"

using namespace oep;
using namespace oep::test;

TEST_CASE("verify --chain reports progress up to every entry and row", "[verify][progress]") {
  ScratchDir dir;
  std::string path = dir / "s.sqlite";
  REQUIRE(BuildSyntheticStore(RepoRoot(), path, 6000, 7).ok());
  auto store = Store::Open(path, Store::Mode::kReadOnly);
  REQUIRE(store.ok());
  auto entries = (*store)->LedgerEntryCount();
  REQUIRE(entries.ok());
  std::vector<std::pair<int64_t, int64_t>> calls;
  auto report = VerifyChains(**store, TrustedKeys(), "", [&](int64_t done, int64_t total) { calls.emplace_back(done, total); });
  REQUIRE(report.ok());
  CHECK(report->ok(false));
  REQUIRE(calls.size() >= 2);
  for (size_t i = 0; i < calls.size(); ++i) {
    CHECK(calls[i].second == 2 * *entries);
    CHECK(calls[i].first <= calls[i].second);
    if (i) CHECK(calls[i].first >= calls[i - 1].first);
  }
  CHECK(calls.back().first == 2 * *entries);
}

TEST_CASE("verify --chain shows progress on a terminal and nothing on a pipe", "[verify][progress]") {
  ScratchDir dir;
  std::string path = dir / "s.sqlite";
  REQUIRE(RunOep({"demo", "--state-path", path, "--decisions", "3000"}).exit_code == 0);
  RunResult piped = RunOep({"verify", "--chain", "--state-path", path});
  CHECK(piped.exit_code == 0);
  CHECK(piped.err.empty());
  TerminalRun run = RunOepWithTerminalStderr({"verify", "--chain", "--state-path", path});
  INFO(run.terminal);
  CHECK(run.exit_code == 0);
  auto store = Store::Open(path, Store::Mode::kReadOnly);
  REQUIRE(store.ok());
  auto entries = (*store)->LedgerEntryCount();
  REQUIRE(entries.ok());
  int64_t n = 2 * *entries;  // from 1,000 to 999,999 here
  REQUIRE(n >= 1000);
  char all[32];
  std::snprintf(all, sizeof all, "%lld,%03lld", static_cast<long long>(n / 1000), static_cast<long long>(n % 1000));
  CHECK_THAT(run.terminal, Catch::Contains(std::string("verify: ") + all + "/" + all + " entries and rows checked (100%)"));
}
