// The ledger end to end through the CLI: chains, seals, evidence classes, and every
// tampering an attacker with the SQLite file could do, detected and located.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include <catch2/catch.hpp>

#include "demo/demo.h"
#include "support/support.h"

using namespace oep::test;

namespace {

const std::string kRun = "run:5e0c1d2a9b8f47d6a1c3e5f7091b2d4f";

// The server's key pair: the private key seals, the public key is trusted from outside the store.
std::string MakeServerKey(const ScratchDir& dir, const std::string& name = "server") {
  std::string key = dir / (name + ".pem"), pub = dir / (name + ".pub.pem");
  WriteEd25519Key(key);
  RunResult r = RunOep({"keys", "export", "--key", key, "--out", pub});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return key;
}

struct SealedDemo {
  ScratchDir dir;
  std::string store = dir / "demo.sqlite";
  std::string key = MakeServerKey(dir);
  std::string trusted = "server=" + dir / "server.pub.pem";
  SealedDemo() {
    MakeDemoStore(store);
    RunResult r = RunOep({"seal", "--state-path", store, "--chain", kRun, "--key", key, "--sealed-at",
                          "2026-11-01T10:00:00Z"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
  }
  RunResult Verify(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"verify", "--chain", "--state-path", store, "--trusted-key", trusted};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunOep(args);
  }
};

}  // namespace

TEST_CASE("every stored row is chained and an untouched store verifies", "[ledger]") {
  ScratchDir dir;
  MakeDemoStore(dir / "s.sqlite");
  RunResult r = RunOep({"verify", "--chain", "--state-path", dir / "s.sqlite"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("ok   chain " + kRun + ": 8 entries, NON_AUTHORITATIVE (unsealed)"));
  CHECK_THAT(r.out, Catch::Contains("ok   coverage: 10 stored rows"));
}

TEST_CASE("a chain sealed by a trusted server key without drops is AUTHORITATIVE", "[ledger]") {
  SealedDemo d;
  RunResult r = d.Verify();
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("chain " + kRun + ": 9 entries, AUTHORITATIVE (sealed by trusted server key "));
}

TEST_CASE("without trusted keys no seal is authoritative, and the output says so", "[ledger][trust]") {
  SealedDemo d;
  RunResult r = RunOep({"verify", "--chain", "--state-path", d.store});
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("note: no trusted keys given"));
  CHECK_THAT(r.out, Catch::Contains("9 entries, NON_AUTHORITATIVE (sealed by key ") &&
                        Catch::Contains("untrusted: no trusted keys given; the seal claims server)"));
  CHECK_THAT(r.out, Catch::Contains("0 AUTHORITATIVE"));
  CHECK(RunOep({"verify", "--chain", "--state-path", d.store, "--run", kRun, "--reject-local-authority"}).exit_code == 1);
}

TEST_CASE("a seal by a key that is not trusted is reported as such", "[ledger][trust]") {
  SealedDemo d;
  MakeServerKey(d.dir, "other");
  RunResult r = RunOep({"verify", "--chain", "--state-path", d.store, "--run", kRun, "--trusted-key",
                        "server=" + d.dir / "other.pub.pem"});
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("NON_AUTHORITATIVE (sealed by untrusted key "));
}

TEST_CASE("the trusted role decides the authority, not the seal's claim", "[ledger][trust]") {
  SealedDemo d;  // the seal claims server
  RunResult r = RunOep({"verify", "--chain", "--state-path", d.store, "--run", kRun, "--trusted-key",
                        "local=" + d.dir / "server.pub.pem", "--reject-local-authority"});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.out, Catch::Contains("NON_AUTHORITATIVE (sealed by trusted local key "));
}

TEST_CASE("trusted keys come from $OEP_TRUSTED_KEYS, relative to the file", "[ledger][trust]") {
  SealedDemo d;
  WriteText(d.dir / "trusted.txt", "# the production server\n\nserver=server.pub.pem\n");
  RunResult r = RunOep({"verify", "--chain", "--state-path", d.store, "--run", kRun},
                       {"OEP_TRUSTED_KEYS=" + d.dir / "trusted.txt"});
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("AUTHORITATIVE (sealed by trusted server key "));
  RunResult list = RunOep({"keys", "list"}, {"OEP_TRUSTED_KEYS=" + d.dir / "trusted.txt"});
  CHECK(list.exit_code == 0);
  CHECK_THAT(list.out, Catch::StartsWith("server ") && Catch::Contains(d.dir / "server.pub.pem"));
}

TEST_CASE("bad trusted key lines are errors naming where", "[ledger][trust][bad-input]") {
  SealedDemo d;
  struct Case {
    std::string line, expect;
  };
  std::vector<Case> cases = {
      {"server", "trusted.txt:2: expected ROLE=PUBLIC_KEY.pem"},
      {"admin=server.pub.pem", "trusted.txt:2: role must be server or local"},
      {"server=missing.pem", "trusted.txt:2: "},
      {"server=server.pem", "trusted.txt:2: " },  // a private key is not a public key file
      {"local=server.pub.pem", "already trusted as server"},
  };
  for (const auto& c : cases) {
    INFO(c.line);
    WriteText(d.dir / "trusted.txt", "server=server.pub.pem\n" + c.line + "\n");
    RunResult r = RunOep({"verify", "--chain", "--state-path", d.store}, {"OEP_TRUSTED_KEYS=" + d.dir / "trusted.txt"});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains(c.expect));
  }
  RunResult arg = RunOep({"verify", "--chain", "--state-path", d.store, "--trusted-key", "root=x.pem"});
  CHECK(arg.exit_code == 2);
  CHECK_THAT(arg.err, Catch::Contains("--trusted-key root=x.pem: role must be server or local"));
}

TEST_CASE("sealing twice and appending after a seal are refused", "[ledger][bad-input]") {
  SealedDemo d;
  RunResult again = RunOep({"seal", "--state-path", d.store, "--chain", kRun, "--key", d.key});
  CHECK(again.exit_code == 2);
  CHECK_THAT(again.err, Catch::Contains("already sealed"));
  std::string before = FileSha256(d.store);
  RunResult drop = RunOep({"ledger", "drop", "--state-path", d.store, "--chain", kRun, "--count", "2", "--reason", "late"});
  CHECK(drop.exit_code == 2);
  CHECK_THAT(drop.err, Catch::Contains("is sealed"));
  CHECK(FileSha256(d.store) == before);
}

TEST_CASE("a seal over recorded drops is PARTIAL_AUTHORITATIVE", "[ledger]") {
  ScratchDir dir;
  std::string store = dir / "s.sqlite", key = MakeServerKey(dir);
  MakeDemoStore(store);
  REQUIRE(RunOep({"ledger", "drop", "--state-path", store, "--chain", kRun, "--count", "3", "--reason",
                  "buffer overflow", "--first-seq", "10", "--last-seq", "12"}).exit_code == 0);
  REQUIRE(RunOep({"seal", "--state-path", store, "--chain", kRun, "--key", key}).exit_code == 0);
  RunResult r = RunOep({"verify", "--chain", "--state-path", store, "--trusted-key", "server=" + dir / "server.pub.pem"});
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("PARTIAL_AUTHORITATIVE (sealed by trusted server key ") && Catch::Contains(", 1 drop(s))"));
}

TEST_CASE("local-key seals are NON_AUTHORITATIVE and can be rejected", "[ledger]") {
  ScratchDir dir;
  std::string store = dir / "s.sqlite", key = MakeServerKey(dir, "laptop");
  std::string trusted = "local=" + dir / "laptop.pub.pem";
  MakeDemoStore(store);
  REQUIRE(RunOep({"seal", "--state-path", store, "--chain", kRun, "--key", key, "--authority", "local"}).exit_code == 0);
  RunResult r = RunOep({"verify", "--chain", "--state-path", store, "--run", kRun, "--trusted-key", trusted});
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("NON_AUTHORITATIVE (sealed by trusted local key "));
  RunResult strict = RunOep({"verify", "--chain", "--state-path", store, "--run", kRun, "--trusted-key", trusted,
                             "--reject-local-authority"});
  CHECK(strict.exit_code == 1);
  CHECK_THAT(strict.out, Catch::Contains("rejected (--reject-local-authority)"));
}

TEST_CASE("the store's triggers refuse UPDATE and DELETE", "[ledger]") {
  ScratchDir dir;
  MakeDemoStore(dir / "s.sqlite");
  for (const char* sql : {"UPDATE ledger SET kind = 'x'", "DELETE FROM decisions", "UPDATE events SET body = '{}'",
                          "DELETE FROM manifests"}) {
    INFO(sql);
    CHECK_THROWS_WITH(ExecSql(dir / "s.sqlite", sql), Catch::Contains("append-only"));
  }
}

TEST_CASE("tampering is detected and located", "[ledger][tamper]") {
  struct Case {
    const char* name;
    std::string sql;
    std::string expect;
  };
  std::vector<Case> cases = {
      {"edit a payload",
       "UPDATE events SET body = replace(body, '9-line', '10-line') WHERE event_id = 'evt_oep_demo_read_diff_0001'",
       "content hash of events/evt_oep_demo_read_diff_0001 does not match the stored row"},
      {"edit a payload and its digest column",
       "UPDATE decisions SET body = replace(body, '\"allow\":false', '\"allow\":true'), digest = 'sha256:00' "
       "WHERE decision_id = 'pder_oep_demo_write_file_0002'",
       "content hash of decisions/pder_oep_demo_write_file_0002"},
      {"edit a hash", "UPDATE ledger SET entry_hash = '" + std::string(64, 'f') + "' WHERE chain_id = '" + kRun + "' AND seq = 3",
       "entry 3: entry hash does not match its contents (entry edited) [OEP-V001 docs/playbooks/hash-mismatch.md]"},
      {"edit a ledger entry's content hash and recompute nothing",
       "UPDATE ledger SET content_hash = '" + std::string(64, '1') + "' WHERE chain_id = '" + kRun + "' AND seq = 2",
       "entry 2: entry hash does not match"},
      {"delete a row", "DELETE FROM ledger WHERE chain_id = '" + kRun + "' AND seq = 4",
       "entry 5: sequence gap: seq 4 is missing [OEP-V002 docs/playbooks/sequence-gap.md]"},
      {"delete an artifact", "DELETE FROM traces", "is not stored (row deleted)"},
      {"swap two rows",
       "UPDATE ledger SET seq = -2 WHERE chain_id = '" + kRun + "' AND seq = 2; UPDATE ledger SET seq = 2 WHERE chain_id = '" +
           kRun + "' AND seq = 3; UPDATE ledger SET seq = 3 WHERE chain_id = '" + kRun + "' AND seq = -2",
       "entry 2: seq 2 follows seq 3 (duplicated or reordered)"},
      {"truncate the tail before the seal",
       "DELETE FROM ledger WHERE chain_id = '" + kRun + "' AND seq IN (7, 8); DELETE FROM reconstructions",
       "entry 9: sequence gap: seq 7 is missing"},
      {"truncate the tail with the seal", "DELETE FROM ledger WHERE chain_id = '" + kRun + "' AND seq >= 8",
       "is not covered by the ledger"},
  };
  for (const auto& c : cases) {
    SECTION(c.name) {
      SealedDemo d;
      TamperSql(d.store, c.sql);
      RunResult r = d.Verify();
      INFO(r.out << r.err);
      CHECK(r.exit_code == 1);
      CHECK_THAT(r.out, Catch::Contains(c.expect));
      CHECK_THAT(r.out, Catch::Contains("FAIL"));
    }
  }
}

TEST_CASE("dropping the triggers does not hide an edit from verify", "[ledger][tamper]") {
  SealedDemo d;
  TamperSql(d.store, "UPDATE manifests SET body = replace(body, 'canary', 'stable')");
  RunResult r = d.Verify();
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.out, Catch::Contains("FAIL chain store") && Catch::Contains("manifests/rmf_oep_code_review_demo_v0"));
}

TEST_CASE("a forged seal signature fails", "[ledger][tamper]") {
  SealedDemo d;
  TamperSql(d.store, "UPDATE ledger SET payload = replace(payload, '\"entry_count\":8', '\"entry_count\":8 ') WHERE kind = 'seal'");
  // Whitespace inside the payload changes the entry hash: detected without the key.
  CHECK(d.Verify().exit_code == 1);
}

TEST_CASE("kill -9 during a large ingest leaves exactly the committed batches", "[ledger][crash]") {
  ScratchDir dir;
  std::string store = dir / "s.sqlite";
  MakeDemoStore(store);
  WriteText(dir / "a.jsonl", oep::SyntheticEventsJsonl(0, 1000, 1));
  WriteText(dir / "b.jsonl", oep::SyntheticEventsJsonl(1000, 200000, 1));
  REQUIRE(RunOep({"ingest", "--state-path", store, dir / "a.jsonl"}).exit_code == 0);
  std::string committed = RunOep({"dump", "--digest", "--state-path", store}).out;

  int pid = SpawnOep({"ingest", "--state-path", store, dir / "b.jsonl"});
  // Kill once the batch is under way (its pages spill into the WAL).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::error_code ec;
  while (std::chrono::steady_clock::now() < deadline) {
    auto size = std::filesystem::file_size(store + "-wal", ec);
    if (!ec && size > (4u << 20)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  REQUIRE(WIFSIGNALED(status));

  RunResult v = RunOep({"verify", "--chain", "--state-path", store});
  INFO(v.out << v.err);
  CHECK(v.exit_code == 0);
  CHECK(RunOep({"dump", "--digest", "--state-path", store}).out == committed);
}

TEST_CASE("AgentOps ELS vectors verify as the corpus says", "[ledger][corpus]") {
  std::string dir = CorpusDir("agentops-replay");
  if (dir.empty()) {
    WARN("skipped: ../shared/corpus/agentops-replay is absent");
    return;
  }
  auto els = [&](const char* name) { return RunOep({"verify", "--agentops-els", dir + "/" + name}); };
  RunResult valid = els("valid_session.jsonl");
  CHECK(valid.exit_code == 0);
  CHECK_THAT(valid.out, Catch::Contains("8 events (v1.0 envelope), NON_AUTHORITATIVE_EVIDENCE"));
  RunResult tampered = els("tampered_hash.jsonl");
  CHECK(tampered.exit_code == 1);
  CHECK_THAT(tampered.out, Catch::Contains("FAIL line 5, seq 5: event_hash does not match"));
  CHECK_THAT(tampered.out, Catch::Contains("FAIL line 6, seq 6: prev_hash does not link"));
  RunResult gap = els("sequence_gap.jsonl");
  CHECK(gap.exit_code == 1);
  CHECK_THAT(gap.out, Catch::Contains("seq 4 is missing"));
  CHECK_THAT(els("authoritative_session.jsonl").out, Catch::Contains("ok   3 events (legacy envelope), AUTHORITATIVE_EVIDENCE"));
  CHECK_THAT(els("signed_authoritative_session.jsonl").out, Catch::Contains("AUTHORITATIVE_EVIDENCE"));
  CHECK_THAT(els("log_drop_session.jsonl").out, Catch::Contains("PARTIAL_AUTHORITATIVE_EVIDENCE"));
  CHECK_THAT(els("non_authoritative_session.jsonl").out, Catch::Contains("NON_AUTHORITATIVE_EVIDENCE"));
  RunResult edited = els("tampered_session.jsonl");
  CHECK(edited.exit_code == 1);
  CHECK_THAT(edited.out, Catch::Contains("line 2: event_hash does not match"));
  CHECK(RunOep({"verify", "--agentops-els", dir + "/non_authoritative_session.jsonl", "--reject-local-authority"}).exit_code == 1);
}

TEST_CASE("an unreadable ELS file is an error, not a verdict", "[ledger][bad-input]") {
  ScratchDir dir;
  WriteText(dir / "bad.jsonl", "{\"seq\": 1,\n");
  RunResult r = RunOep({"verify", "--agentops-els", dir / "bad.jsonl"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("bad.jsonl: line 1"));
}

TEST_CASE("negative and huge entry ids are failures, not crashes", "[ledger][tamper]") {
  SECTION("negative, in the ledger and the row that names it") {
    SealedDemo d;
    TamperSql(d.store, "UPDATE ledger SET entry_id = -5 WHERE entry_id = (SELECT ledger_entry FROM manifests); "
                       "UPDATE manifests SET ledger_entry = -5");
    RunResult r = d.Verify();
    INFO(r.out << r.err);
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.out, Catch::Contains("FAIL chain store: entry 1: entry_id -5 is not positive"));
  }
  SECTION("huge, in the ledger only") {
    SealedDemo d;
    TamperSql(d.store, "UPDATE ledger SET entry_id = 4000000000000000000 WHERE entry_id = (SELECT ledger_entry FROM manifests)");
    RunResult r = d.Verify();
    INFO(r.out << r.err);
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.out, Catch::Contains("manifests/rmf_oep_code_review_demo_v0 is not covered by the ledger"));
  }
  SECTION("huge, in the ledger and the row") {
    SealedDemo d;
    TamperSql(d.store, "UPDATE ledger SET entry_id = 4000000000000000000 WHERE entry_id = (SELECT ledger_entry FROM "
                       "manifests); UPDATE manifests SET ledger_entry = 4000000000000000000");
    RunResult r = d.Verify();
    INFO(r.out << r.err);
    CHECK((r.exit_code == 0 || r.exit_code == 1));  // renumbered, not crashed
    CHECK_THAT(r.out, Catch::Contains("summary: "));
  }
}

TEST_CASE("verify --chain finds a join-key column edited alone", "[ledger][tamper]") {
  SealedDemo d;
  TamperSql(d.store, "UPDATE decisions SET tool_name = 'read_diff' WHERE decision_id = 'pder_oep_demo_write_file_0002'");
  RunResult r = d.Verify();
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.out, Catch::Contains("FAIL derived columns") && Catch::Contains("decisions/pder_oep_demo_write_file_0002"));
}

TEST_CASE("trusted keys are refused where no oep key signs, not ignored", "[ledger][trust][bad-input]") {
  ScratchDir dir;
  WriteText(dir / "log.jsonl", "");
  RunResult r = RunOep({"verify", "--agentops-els", dir / "log.jsonl", "--trusted-key", "server=" + dir / "k.pem"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("--trusted-key does not apply to --agentops-els"));
}
