// The forgeries of issue 12, done as an attacker with write access to the SQLite file
// would: each passed `verify --chain` before trust came from outside the store and before
// checkpoints; each is now refused. Also the checkpoint and inclusion-proof verbs.
#include <filesystem>

#include <SQLiteCpp/SQLiteCpp.h>
#include <catch2/catch.hpp>

#include "crypto/encoding.h"
#include "crypto/sha256.h"
#include "ledger/ledger.h"
#include "store/store.h"
#include "support/store_backends.h"
#include "support/support.h"

using namespace oep::test;

namespace {

const std::string kRun = "run:5e0c1d2a9b8f47d6a1c3e5f7091b2d4f";
const std::string kDenied = "pder_oep_demo_write_file_0002";
const std::vector<std::string> kRowTables = {"manifests",  "events", "human_reviews", "decisions", "traces", "evals",
                                             "reconstructions", "counterfactual_runs", "decision_inputs", "documents"};

// Recomputes prev_hash and entry_hash of every entry of `chain`, in seq order, as an
// attacker who knows the hashing rules (src/ledger/ledger.h) would.
void Rechain(const std::string& path, const std::string& chain) {
  std::vector<oep::LedgerEntry> entries;
  {
    auto store = oep::Store::Open(path, oep::Store::Mode::kReadOnly);
    REQUIRE(store.ok());
    REQUIRE((*store)->ForEachLedgerEntry(chain, [&](oep::LedgerEntry& e) {
      entries.push_back(std::move(e));
      return oep::Status::Ok();
    }).ok());
  }
  TamperSql(path, "SELECT 1");  // drops the append-only triggers
  SQLite::Database db(path, SQLite::OPEN_READWRITE);
  std::string prev(oep::kGenesisHash);
  for (auto& e : entries) {
    e.prev_hash = prev;
    e.entry_hash = oep::ComputeEntryHash(e);
    prev = e.entry_hash;
    SQLite::Statement u(db, "UPDATE ledger SET prev_hash = ?, entry_hash = ? WHERE entry_id = ?");
    u.bind(1, e.prev_hash);
    u.bind(2, e.entry_hash);
    u.bind(3, e.entry_id);
    u.exec();
  }
}

// Flips the denied write to allow in its body, its `allow` column, its digest and its
// ledger entry's content hash: a rewrite every row-level check agrees with.
void FlipDeniedToAllow(const std::string& path) {
  TamperSql(path, "UPDATE decisions SET body = replace(body, '\"allow\":false', '\"allow\":true'), allow = 1 "
                  "WHERE decision_id = '" + kDenied + "'");
  SQLite::Database db(path, SQLite::OPEN_READWRITE);
  std::string body = db.execAndGet("SELECT body FROM decisions WHERE decision_id = '" + kDenied + "'").getString();
  REQUIRE(body.find("\"allow\":true") != std::string::npos);
  std::string hash = oep::crypto::Sha256Hex(body);
  db.exec("UPDATE decisions SET digest = 'sha256:" + hash + "' WHERE decision_id = '" + kDenied + "'");
  db.exec("UPDATE ledger SET content_hash = '" + hash + "' WHERE artifact_table = 'decisions' AND artifact_id = '" +
          kDenied + "'");
}

// Deletes the ledger entries `where` selects together with the rows they cover.
void DeleteEntriesAndRows(const std::string& url, const std::string& where) {
  std::string sql;
  for (const auto& t : kRowTables) sql += "DELETE FROM " + t + " WHERE ledger_entry IN (SELECT entry_id FROM ledger WHERE " + where + ");";
  TamperStoreSql(url, sql + "DELETE FROM ledger WHERE " + where);
}

struct Keys {
  std::string key, pub;
};

Keys MakeKey(const ScratchDir& dir, const std::string& name) {
  Keys k{dir / (name + ".pem"), dir / (name + ".pub.pem")};
  REQUIRE(RunOep({"keys", "generate", "--out", k.key}).exit_code == 0);
  REQUIRE(RunOep({"keys", "export", "--key", k.key, "--out", k.pub}).exit_code == 0);
  return k;
}

// The demo store on `backend` (see support/store_backends.h) with its run chain sealed by
// the server key, and a checkpoint of it signed by the server key and kept outside the store.
struct Audited {
  ScratchDir dir;
  std::string store;
  Keys server = MakeKey(dir, "server");
  std::string checkpoint = dir / "checkpoint.txt";
  explicit Audited(const std::string& backend = "sqlite") : store(backend == "sqlite" ? dir / "demo.sqlite" : NewStoreUrl(backend, dir)) {
    MakeDemoStore(store);
    REQUIRE(RunOep({"seal", "--store", store, "--chain", kRun, "--key", server.key}).exit_code == 0);
    RunResult cp = RunOep({"checkpoint", "--store", store, "--key", server.key});
    REQUIRE(cp.exit_code == 0);
    WriteText(checkpoint, cp.out);
  }
  RunResult Chain(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"verify", "--chain", "--store", store, "--trusted-key", "server=" + server.pub};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunOep(args);
  }
  RunResult Checkpoint(const std::string& file = "") {
    return RunOep({"verify", "--checkpoint", file.empty() ? checkpoint : file, "--store", store, "--trusted-key",
                   "server=" + server.pub});
  }
};

}  // namespace

TEST_CASE("forgery a: a flipped decision re-chained and re-sealed with a fresh key is not authoritative", "[ledger][forgery]") {
  Audited a;
  FlipDeniedToAllow(a.store);
  TamperSql(a.store, "DELETE FROM ledger WHERE chain_id = '" + kRun + "' AND kind = 'seal'");
  Rechain(a.store, kRun);
  Keys forger = MakeKey(a.dir, "forger");
  REQUIRE(RunOep({"seal", "--store", a.store, "--chain", kRun, "--key", forger.key, "--authority", "server"}).exit_code == 0);

  // Every hash recomputes: only who signed the seal gives the forgery away.
  RunResult r = a.Chain({"--run", kRun});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("NON_AUTHORITATIVE (sealed by untrusted key ") && Catch::Contains("the seal claims server"));
  CHECK_THAT(r.out, !Catch::Contains(", AUTHORITATIVE"));
  RunResult strict = a.Chain({"--run", kRun, "--reject-local-authority"});
  CHECK(strict.exit_code == 1);
  CHECK_THAT(strict.out, Catch::Contains("rejected (--reject-local-authority)"));
  // And the checkpoint kept elsewhere sees the rewritten entries.
  RunResult cp = a.Checkpoint();
  CHECK(cp.exit_code == 1);
  CHECK_THAT(cp.out, Catch::Contains("FAIL checkpoint") && Catch::Contains("not an append-only extension"));
  CHECK_THAT(cp.out, Catch::Contains("[OEP-V004 docs/playbooks/checkpoint-inconsistency.md]"));
}

TEST_CASE("forgery b: a sealed chain's seal deleted with its last entry and row fails the checkpoint", "[ledger][forgery]") {
  Audited a(GENERATE(from_range(StoreBackends())));
  DeleteEntriesAndRows(a.store, "chain_id = '" + kRun + "' AND seq >= 8");
  CHECK(RunOep({"verify", "--chain", "--store", a.store}).exit_code == 0);  // the chain alone cannot tell
  RunResult r = a.Checkpoint();
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.out, Catch::Contains("FAIL checkpoint") && Catch::Contains("holds 9 ledger entries, fewer than the 11") &&
                        Catch::Contains("2 entries were deleted"));
}

TEST_CASE("forgery b': the deleted tail replaced by as many new entries fails the consistency proof", "[ledger][forgery]") {
  Audited a(GENERATE(from_range(StoreBackends())));
  DeleteEntriesAndRows(a.store, "chain_id = '" + kRun + "' AND seq >= 8");
  for (int i = 0; i < 2; ++i) {
    REQUIRE(RunOep({"ledger", "break", "--store", a.store, "--chain", kRun, "--reason", "filler"}).exit_code == 0);
  }
  RunResult r = a.Checkpoint();
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.out, Catch::Contains("not an append-only extension") && Catch::Contains("from its 11 entries to the store's 11"));
}

TEST_CASE("forgery c: a whole run chain deleted with its rows fails the checkpoint", "[ledger][forgery]") {
  Audited a(GENERATE(from_range(StoreBackends())));
  DeleteEntriesAndRows(a.store, "chain_id = '" + kRun + "'");
  RunResult chain = RunOep({"verify", "--chain", "--store", a.store});
  CHECK(chain.exit_code == 0);  // the chain alone cannot tell
  CHECK_THAT(chain.out, !Catch::Contains(kRun));
  RunResult r = a.Checkpoint();
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.out, Catch::Contains("holds 2 ledger entries, fewer than the 11"));
}

TEST_CASE("a rewritten entry anywhere fails the checkpoint", "[ledger][forgery]") {
  Audited a(GENERATE(from_range(StoreBackends())));
  TamperStoreSql(a.store, "UPDATE ledger SET source = 'elsewhere' WHERE entry_id = 1");
  RunResult r = a.Checkpoint();
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.out, Catch::Contains("not an append-only extension"));
}

TEST_CASE("evidence appended after the checkpoint extends it", "[ledger][checkpoint]") {
  Audited a(GENERATE(from_range(StoreBackends())));
  REQUIRE(RunOep({"ledger", "drop", "--store", a.store, "--chain", "store", "--count", "1", "--reason", "x"}).exit_code == 0);
  RunResult r = a.Checkpoint();
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("ok   checkpoint") && Catch::Contains("the store's 12 ledger entries extend the checkpoint's 11") &&
                        Catch::Contains("signed by trusted server key "));
}

TEST_CASE("a checkpoint is a C2SP signed note with an Ed25519 signature line", "[ledger][checkpoint]") {
  Audited a(GENERATE(from_range(StoreBackends())));
  std::string note = ReadText(a.checkpoint);
  CHECK_THAT(note, Catch::StartsWith("oep/ledger\n11\n"));
  std::string sig_line = note.substr(note.rfind("\n\n") + 2);
  CHECK_THAT(sig_line, Catch::StartsWith("\xE2\x80\x94 oep/ledger "));
  // base64 of 4 + 64 bytes: 92 characters, then the newline.
  CHECK(sig_line.size() == std::string("\xE2\x80\x94 oep/ledger ").size() + 92 + 1);
  RunResult named = RunOep({"checkpoint", "--store", a.store, "--key", a.server.key, "--origin", "example.com/evidence"});
  CHECK_THAT(named.out, Catch::StartsWith("example.com/evidence\n11\n") && Catch::Contains("\xE2\x80\x94 example.com/evidence "));
  CHECK(RunOep({"checkpoint", "--store", a.store, "--key", a.server.key, "--origin", "has space"}).exit_code == 2);
}

TEST_CASE("a checkpoint counts only when a trusted server key signed it", "[ledger][checkpoint]") {
  Audited a(GENERATE(from_range(StoreBackends())));
  Keys other = MakeKey(a.dir, "other");
  RunResult untrusted = RunOep({"verify", "--checkpoint", a.checkpoint, "--store", a.store, "--trusted-key",
                                "server=" + other.pub});
  CHECK(untrusted.exit_code == 1);
  CHECK_THAT(untrusted.out, Catch::Contains("not signed by any trusted key"));
  RunResult local = RunOep({"verify", "--checkpoint", a.checkpoint, "--store", a.store, "--trusted-key",
                            "local=" + a.server.pub});
  CHECK(local.exit_code == 1);
  CHECK_THAT(local.out, Catch::Contains("signed only by trusted local key"));
  RunResult none = RunOep({"verify", "--checkpoint", a.checkpoint, "--store", a.store});
  CHECK(none.exit_code == 1);
  CHECK_THAT(none.out, Catch::Contains("no trusted keys given"));
  // An edited tree size breaks the signature.
  std::string note = ReadText(a.checkpoint);
  WriteText(a.dir / "edited.txt", "oep/ledger\n2\n" + note.substr(note.find('\n', note.find('\n') + 1) + 1));
  RunResult edited = a.Checkpoint(a.dir / "edited.txt");
  CHECK(edited.exit_code == 1);
  CHECK_THAT(edited.out, Catch::Contains("does not verify under trusted server key"));
}

TEST_CASE("malformed checkpoints are errors naming what is wrong", "[ledger][checkpoint][bad-input]") {
  Audited a(GENERATE(from_range(StoreBackends())));
  std::string note = ReadText(a.checkpoint);
  std::string sigs = note.substr(note.rfind("\n\n") + 1);
  struct Case {
    std::string text, expect;
  };
  std::vector<Case> cases = {
      {"oep/ledger\n11\n", "no blank line before the signature lines"},
      {"oep/ledger\n011\nAAAA\n" + sigs, "line 2: tree size \"011\""},
      {"oep/ledger\n11\nnot-base64\n" + sigs, "line 3: root hash is not base64 of 32 bytes"},
      {"oep/ledger\n11\n" + sigs, "a checkpoint has at least three lines"},
      {note.substr(0, note.size() - 1), "the last signature line does not end with a newline"},
      {note + "- x y\n", "signature line does not start with"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    WriteText(a.dir / "bad.txt", c.text);
    RunResult r = a.Checkpoint(a.dir / "bad.txt");
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("bad.txt: " + c.expect));
  }
  RunResult dir = a.Checkpoint(a.dir.path());
  CHECK(dir.exit_code == 2);
  CHECK_THAT(dir.err, Catch::Contains("not a regular file"));
  WriteText(a.dir / "big.txt", std::string((1 << 20) + 1, 'x'));
  RunResult big = a.Checkpoint(a.dir / "big.txt");
  CHECK(big.exit_code == 2);
  CHECK_THAT(big.err, Catch::Contains("larger than 1 MiB"));
  RunResult key_dir = RunOep({"checkpoint", "--store", a.store, "--key", a.dir.path()});
  CHECK(key_dir.exit_code == 2);
  CHECK_THAT(key_dir.err, Catch::Contains("not a regular file of at most 64 KiB"));
}

TEST_CASE("an inclusion proof verifies offline and fails when edited", "[ledger][proof]") {
  Audited a(GENERATE(from_range(StoreBackends())));
  std::string proof = a.dir / "proof.json";
  RunResult p = RunOep({"prove", "5", "--store", a.store, "--checkpoint", a.checkpoint});
  INFO(p.err);
  REQUIRE(p.exit_code == 0);
  WriteText(proof, p.out);
  DropStore(a.store);  // offline: no store
  auto verify = [&](const std::string& file, const std::string& pub) {
    return RunOep({"verify", "--proof", file, "--trusted-key", "server=" + pub});
  };
  RunResult ok = verify(proof, a.server.pub);
  INFO(ok.out << ok.err);
  CHECK(ok.exit_code == 0);
  CHECK_THAT(ok.out, Catch::Contains("ok   proof") && Catch::Contains(" is leaf 4 of the 11-entry ledger tree"));
  Keys other = MakeKey(a.dir, "other");
  CHECK(verify(proof, other.pub).exit_code == 1);

  std::string text = ReadText(proof);
  auto edit = [&](const std::string& from, const std::string& to) {
    std::string t = text;
    size_t at = t.find(from);
    REQUIRE(at != std::string::npos);
    t.replace(at, from.size(), to);
    WriteText(a.dir / "edited.json", t);
    return verify(a.dir / "edited.json", a.server.pub);
  };
  RunResult leaf = edit("\"seq\\\":", "\"seq\\\": ");
  CHECK(leaf.exit_code == 1);
  CHECK_THAT(leaf.out, Catch::Contains("leaf_hash is not the hash of canonical_entry"));
  RunResult index = edit("\"leaf_index\": 4", "\"leaf_index\": 5");
  CHECK(index.exit_code == 1);
  CHECK_THAT(index.out, Catch::Contains("does not lead from leaf 5"));
  RunResult size = edit("\"tree_size\": 11", "\"tree_size\": 12");
  CHECK(size.exit_code == 1);
  CHECK_THAT(size.out, Catch::Contains("tree_size 12 is not the checkpoint's 11"));
  RunResult shape = edit("\"audit_path\": [", "\"audit_path\": [1,");
  CHECK(shape.exit_code == 2);
  CHECK_THAT(shape.err, Catch::Contains("/audit_path/0: expected 64 hex digits"));
}

TEST_CASE("prove needs a checkpoint or a key, and an entry the checkpoint covers", "[ledger][proof][bad-input]") {
  Audited a(GENERATE(from_range(StoreBackends())));
  RunResult neither = RunOep({"prove", "5", "--store", a.store});
  CHECK(neither.exit_code == 2);
  CHECK_THAT(neither.err, Catch::Contains("--checkpoint FILE"));
  RunResult fresh = RunOep({"prove", "5", "--store", a.store, "--key", a.server.key});
  CHECK(fresh.exit_code == 0);
  CHECK(RunOep({"prove", "99", "--store", a.store, "--checkpoint", a.checkpoint}).exit_code == 1);
  REQUIRE(RunOep({"ledger", "drop", "--store", a.store, "--chain", "store", "--count", "1", "--reason", "x"}).exit_code == 0);
  RunResult later = RunOep({"prove", "12", "--store", a.store, "--checkpoint", a.checkpoint});
  CHECK(later.exit_code == 2);
  CHECK_THAT(later.err, Catch::Contains("after the checkpoint's 11 entries"));
}

TEST_CASE("keys generate writes a 0600 key and never overwrites", "[keys]") {
  ScratchDir dir;
  RunResult r = RunOep({"keys", "generate", "--out", dir / "k.pem"});
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("key id "));
  auto perms = std::filesystem::status(dir / "k.pem").permissions();
  CHECK((perms & std::filesystem::perms::all) == (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));
  std::string before = FileSha256(dir / "k.pem");
  RunResult again = RunOep({"keys", "generate", "--out", dir / "k.pem"});
  CHECK(again.exit_code == 2);
  CHECK_THAT(again.err, Catch::Contains("already exists"));
  CHECK(FileSha256(dir / "k.pem") == before);
  RunResult pub = RunOep({"keys", "export", "--key", dir / "k.pem"});
  CHECK_THAT(pub.out, Catch::StartsWith("-----BEGIN PUBLIC KEY-----"));
  // The key id is the SHA-256 of the raw 32-byte public key: the last 32 bytes of the
  // SubjectPublicKeyInfo DER the PEM holds.
  std::string b64 = pub.out.substr(pub.out.find('\n') + 1);
  b64 = b64.substr(0, b64.find('\n'));
  auto der = oep::crypto::Base64Decode(b64);
  REQUIRE(der);
  REQUIRE(der->size() == 44);
  std::string key_id = oep::crypto::Sha256Hex(der->substr(12));
  CHECK_THAT(r.out, Catch::Contains("key id " + key_id));
  WriteText(dir / "k.pub", pub.out);
  RunResult list = RunOep({"keys", "list", "--trusted-key", "server=" + dir / "k.pub"});
  CHECK(list.out == "server " + key_id + " " + dir / "k.pub" + "\n");
}
