#include "verify/chain_verify.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <future>
#include <unordered_map>
#include <unordered_set>

#include "crypto/ed25519.h"
#include "crypto/sha256.h"
#include "json/json.h"
#include "keys/keys.h"
#include "ledger/ledger.h"

namespace oep {
namespace {

struct ChainState {
  ChainReport report;
  int64_t next_seq = 1;
  std::string last_hash = std::string(kGenesisHash);

  void Fail(int64_t seq, std::string why) {
    if (report.ok || seq < report.failed_seq) {
      report.ok = false;
      report.failed_seq = seq;
      report.failure = std::move(why);
    }
  }
};

// Checks a seal entry's payload against the chain it closes.
void CheckSeal(ChainState& st, const LedgerEntry& e, const TrustedKeys& trusted) {
  auto payload = json::Parse(e.payload);
  if (!payload.ok() || !payload->IsObject()) return st.Fail(e.seq, "seal payload is not a JSON object");
  std::string authority = json::GetString(*payload, "authority");
  const rapidjson::Value* count = json::GetMember(*payload, "entry_count");
  if (!count || !count->IsInt64() || count->GetInt64() != e.seq - 1) {
    return st.Fail(e.seq, "seal entry_count does not equal the " + std::to_string(e.seq - 1) + " entries before it");
  }
  if (json::GetString(*payload, "final_hash") != e.prev_hash) {
    return st.Fail(e.seq, "seal final_hash is not the hash of the entry before it");
  }
  std::string signature = json::GetString(*payload, "signature");
  std::string public_key = json::GetString(*payload, "public_key");
  payload->RemoveMember("signature");
  if (!crypto::VerifyEd25519(public_key, json::CanonicalText(*payload), signature)) {
    return st.Fail(e.seq, "seal signature does not verify under its recorded public key");
  }
  st.report.sealed = true;
  st.report.claimed_authority = authority;
  st.report.seal_key_id = KeyIdOf(public_key);
  // Who signed decides, not what the seal says: the key must be trusted from outside the store.
  if (const TrustedKey* key = trusted.Find(public_key)) st.report.authority = key->role;
}

// Entry ids as a set: a bitmap for the ids a store assigns (1, 2, ...), a hash set for
// anything else a tampered store may hold (negative or huge ids), so memory stays bounded.
class EntryIdSet {
 public:
  void Insert(int64_t id) {
    if (id > 0 && id < kDenseLimit) {
      auto i = static_cast<size_t>(id);
      if (dense_.size() <= i) dense_.resize(std::min<size_t>(i * 2 + 1024, kDenseLimit));
      dense_[i] = 1;
    } else {
      sparse_.insert(id);
    }
  }
  bool Contains(int64_t id) const {
    if (id > 0 && id < kDenseLimit) return static_cast<size_t>(id) < dense_.size() && dense_[static_cast<size_t>(id)];
    return sparse_.count(id) > 0;
  }
  void Merge(const EntryIdSet& other) {
    if (dense_.size() < other.dense_.size()) dense_.resize(other.dense_.size());
    for (size_t i = 0; i < other.dense_.size(); ++i) dense_[i] |= other.dense_[i];
    sparse_.insert(other.sparse_.begin(), other.sparse_.end());
  }
  template <typename Fn>
  void ForEach(Fn fn) const {
    for (size_t i = 0; i < dense_.size(); ++i) {
      if (dense_[i]) fn(static_cast<int64_t>(i));
    }
    for (int64_t id : sparse_) fn(id);
  }

 private:
  static constexpr int64_t kDenseLimit = int64_t{1} << 26;  // 64 MiB of flags at most
  std::vector<uint8_t> dense_;
  std::unordered_set<int64_t> sparse_;
};

}  // namespace

const char* EvidenceClassName(EvidenceClass c) {
  switch (c) {
    case EvidenceClass::kAuthoritative: return "AUTHORITATIVE";
    case EvidenceClass::kPartialAuthoritative: return "PARTIAL_AUTHORITATIVE";
    case EvidenceClass::kNonAuthoritative: return "NON_AUTHORITATIVE";
  }
  return "?";
}

bool ChainVerifyReport::chains_ok() const { return FirstFailure().empty(); }

std::string ChainVerifyReport::FirstFailure() const {
  for (const auto& c : chains) {
    if (!c.ok) return "chain " + c.chain_id + ": entry " + std::to_string(c.failed_seq) + ": " + c.failure;
  }
  if (!coverage_failures.empty()) return "coverage: " + coverage_failures[0];
  return "";
}

bool ChainVerifyReport::ok(bool reject_local_authority) const {
  if (!chains_ok() || !derived_columns.ok) return false;
  for (const auto& c : chains) {
    if (reject_local_authority && c.evidence_class == EvidenceClass::kNonAuthoritative) return false;
  }
  return true;
}

namespace {

// Who sealed a chain, as far as the trusted keys tell.
std::string SealDetail(const ChainReport& c, bool trusted_keys_given) {
  std::string claim = c.claimed_authority.empty() ? "" : "; the seal claims " + c.claimed_authority;
  if (!trusted_keys_given) return "sealed by key " + c.seal_key_id + ", untrusted: no trusted keys given" + claim;
  if (c.authority.empty()) return "sealed by untrusted key " + c.seal_key_id + claim;
  return "sealed by trusted " + c.authority + " key " + c.seal_key_id;
}

}  // namespace

std::string ChainVerifyReport::Render(bool all_chains, bool reject_local_authority) const {
  constexpr size_t kListAll = 20;
  std::string out;
  if (!trusted_keys_given) {
    out += "note: no trusted keys given (--trusted-key ROLE=PUBLIC_KEY.pem or $OEP_TRUSTED_KEYS): every seal is "
           "untrusted and no chain is AUTHORITATIVE\n";
  }
  int64_t by_class[3] = {}, failed = 0;
  for (const auto& c : chains) {
    if (c.ok) ++by_class[static_cast<int>(c.evidence_class)];  // a broken chain gets no class
    bool rejected = reject_local_authority && c.evidence_class == EvidenceClass::kNonAuthoritative;
    failed += !c.ok || rejected;
    if (c.ok && !rejected && !all_chains && chains.size() > kListAll) continue;
    std::string detail = std::to_string(c.entries) + " entries, " + EvidenceClassName(c.evidence_class);
    if (!c.sealed) detail += " (unsealed)";
    else detail += " (" + SealDetail(c, trusted_keys_given) + (c.drops ? ", " + std::to_string(c.drops) + " drop(s)" : "") +
                   (c.breaks ? ", " + std::to_string(c.breaks) + " break(s)" : "") + ")";
    if (!c.ok) detail = "entry " + std::to_string(c.failed_seq) + ": " + c.failure + " [" + std::to_string(c.entries) + " entries; no evidence class: verification failed]";
    else if (rejected) detail += ": rejected (--reject-local-authority)";
    out += std::string(c.ok && !rejected ? "ok   " : "FAIL ") + "chain " + c.chain_id + ": " + detail + "\n";
  }
  if (coverage_failures.empty()) {
    out += "ok   coverage: " + std::to_string(covered_rows) + " stored rows, each covered by one ledger entry" +
           (tombstoned_rows ? " (" + std::to_string(tombstoned_rows) +
                                  " tombstoned: payload deleted by retention, content hash matches the ledger)"
                            : "") +
           "\n";
  } else {
    out += "FAIL coverage: " + std::to_string(coverage_failures.size()) + " problem(s): " + coverage_failures[0];
    for (size_t i = 1; i < coverage_failures.size() && i < 3; ++i) out += "; " + coverage_failures[i];
    out += "\n";
  }
  out += std::string(derived_columns.ok ? "ok   " : "FAIL ") + derived_columns.name + ": " + derived_columns.detail + "\n";
  out += "summary: " + std::to_string(chains.size()) + " chains, " + std::to_string(entries) + " entries: " +
         std::to_string(by_class[0]) + " AUTHORITATIVE, " + std::to_string(by_class[1]) + " PARTIAL_AUTHORITATIVE, " +
         std::to_string(by_class[2]) + " NON_AUTHORITATIVE; " + std::to_string(failed) + " failed\n";
  return out;
}

namespace {

// Pass 1 (one connection): the chains themselves.
struct ChainsPass {
  explicit ChainsPass(const TrustedKeys& keys) : trusted(keys) {}
  const TrustedKeys& trusted;
  std::vector<ChainState> chains;
  std::unordered_map<std::string, size_t> index;
  EntryIdSet artifact_entries;
  int64_t entries = 0;
  size_t last = SIZE_MAX;

  ChainState& Of(const std::string& id) {
    if (last != SIZE_MAX && chains[last].report.chain_id == id) return chains[last];
    auto [it, fresh] = index.try_emplace(id, chains.size());
    if (fresh) {
      chains.emplace_back();
      chains.back().report.chain_id = id;
    }
    last = it->second;
    return chains[last];
  }

  void Check(const LedgerEntry& e, const std::string& computed_hash) {
    ++entries;
    ChainState& st = Of(e.chain_id);
    ++st.report.entries;
    if (st.report.sealed) st.Fail(e.seq, "entry after the chain's seal [OEP-V003 docs/playbooks/missing-seal.md]");
    if (e.seq != st.next_seq) {
      st.Fail(e.seq, e.seq > st.next_seq ? "sequence gap: seq " + std::to_string(st.next_seq) + " is missing [OEP-V002 docs/playbooks/sequence-gap.md]"
                                         : "seq " + std::to_string(e.seq) + " follows seq " +
                                               std::to_string(st.next_seq - 1) + " (duplicated or reordered)");
    } else if (e.prev_hash != st.last_hash) {
      st.Fail(e.seq, "prev_hash does not link to the previous entry's hash [OEP-V001 docs/playbooks/hash-mismatch.md]");
    }
    if (computed_hash != e.entry_hash) st.Fail(e.seq, "entry hash does not match its contents (entry edited) [OEP-V001 docs/playbooks/hash-mismatch.md]");
    if (e.entry_id <= 0) st.Fail(e.seq, "entry_id " + std::to_string(e.entry_id) + " is not positive (the store numbers entries 1, 2, ...)");
    if (e.kind == "artifact") {
      artifact_entries.Insert(e.entry_id);
    } else if (e.kind == "drop") {
      ++st.report.drops;
    } else if (e.kind == "break") {
      ++st.report.breaks;
    } else if (e.kind == "seal") {
      CheckSeal(st, e, trusted);
    } else {
      st.Fail(e.seq, "unknown entry kind \"" + e.kind + "\"");
    }
    st.next_seq = std::max(st.next_seq, e.seq + 1);
    st.last_hash = e.entry_hash;
  }
};

// What the passes have checked (entries and rows), for progress; `report` is called on
// the calling thread of VerifyChains only.
struct Checked {
  std::atomic<int64_t> count{0};
  int64_t total = 0;
  const VerifyProgress* report = nullptr;
  void Add() { count.fetch_add(1, std::memory_order_relaxed); }
  void Report() const {
    if (report && *report) (*report)(count.load(std::memory_order_relaxed), total);
  }
};

// `checked` may be null (one chain's classification reports no progress).
Status RunChainsPass(Store& store, const std::string& chain_id, ChainsPass* pass, Checked* checked) {
  int64_t n = 0;
  return store.ForEachLedgerEntry(chain_id, [&](LedgerEntry& e) {
    pass->Check(e, ComputeEntryHash(e));
    if (checked == nullptr) return Status::Ok();
    checked->Add();
    if ((++n & 4095) == 0) checked->Report();
    return Status::Ok();
  });
}

// Pass 2 (its own connections, concurrently): every stored row against its entry.
struct RowsPass {
  struct Failure {
    std::string chain_id;
    int64_t seq;
    std::string why;
  };
  std::vector<Failure> failures;
  EntryIdSet claimed;
  std::vector<std::string> coverage_failures;
  int64_t covered_rows = 0;
  int64_t tombstoned_rows = 0;  // of covered_rows: deleted by retention, their hash kept

  // For a tombstone, `computed_hash` is the hash it holds: it must be the ledger's.
  void Check(const Store::CoveredRow& r, const std::string& computed_hash, const std::string& chain_id) {
    std::string ref = std::string(r.table) + "/" + r.row.id + (r.tombstoned ? " (tombstoned)" : "");
    if (!r.has_entry || r.entry.kind != "artifact") {
      if (chain_id.empty()) coverage_failures.push_back(ref + " is not covered by the ledger");
      return;
    }
    if (!chain_id.empty() && r.entry.chain_id != chain_id) return;
    ++covered_rows;
    if (r.tombstoned) ++tombstoned_rows;
    int64_t id = r.entry.entry_id;
    auto fail = [&](std::string why) { failures.push_back({r.entry.chain_id, r.entry.seq, std::move(why)}); };
    if (r.entry.artifact_table != r.table || r.entry.artifact_id != r.row.id) {
      fail("names " + r.entry.artifact_table + "/" + r.entry.artifact_id + " but covers " + ref);
    } else if (claimed.Contains(id)) {
      fail(ref + " shares its ledger entry with another row");
    } else if (r.tombstoned && computed_hash != r.entry.content_hash) {
      fail("tombstone of " + ref + " holds content hash " + computed_hash + ", the ledger entry commits to " +
           r.entry.content_hash + " (tombstone forged or edited)");
    } else if (r.tombstoned) {
      // The row's bytes are gone; the ledger's commitment to them is what remains.
    } else if (computed_hash != r.entry.content_hash) {
      fail("content hash of " + ref + " does not match the stored row (row edited)");
    } else if (r.row.digest != "sha256:" + computed_hash) {
      fail("digest column of " + ref + " does not match its body");
    } else if (r.row.source != r.entry.source) {
      fail("source of " + ref + " differs from the ledger's");
    }
    claimed.Insert(id);
  }
};

// Rows of the tables `include` selects, hashed on this thread from the row buffer the store
// reuses (handing rows to other threads would cost a copy and an allocation each).
Status RunRowsPass(const std::string& path, const std::string& chain_id, bool decisions, RowsPass* pass, Checked* checked) {
  auto store = Store::Open(path, Store::Mode::kReadOnly);
  if (!store.ok()) return store.status();
  return (*store)->ForEachCoveredRow(
      [&](Store::CoveredRow& r) {
        pass->Check(r, r.tombstoned ? ContentHashOfDigest(r.row.digest) : crypto::Sha256Hex(r.row.body), chain_id);
        checked->Add();
        return Status::Ok();
      },
      [&](std::string_view table) { return (table == "decisions") == decisions; });
}

void MergeRows(RowsPass& into, RowsPass& from) {
  into.covered_rows += from.covered_rows;
  into.tombstoned_rows += from.tombstoned_rows;
  for (auto& f : from.failures) into.failures.push_back(std::move(f));
  for (auto& c : from.coverage_failures) into.coverage_failures.push_back(std::move(c));
  into.claimed.Merge(from.claimed);
}

// The derived join-key columns, on their own connection (the check `oep verify` runs).
Status RunDerivedColumnsPass(const std::string& path, CheckResult* out) {
  auto store = Store::Open(path, Store::Mode::kReadOnly);
  if (!store.ok()) return store.status();
  *out = CheckDerivedColumns(**store);
  return Status::Ok();
}

// Only a seal by a key trusted as "server" makes a chain (partially) authoritative.
void Classify(ChainReport& c) {
  if (c.sealed && c.authority == "server") {
    c.evidence_class = c.drops || c.breaks ? EvidenceClass::kPartialAuthoritative : EvidenceClass::kAuthoritative;
  }
}

}  // namespace

ChainReport VerifyChainEntries(const std::string& chain_id, const std::vector<LedgerEntry>& entries,
                               const TrustedKeys& trusted) {
  ChainsPass pass(trusted);
  pass.Of(chain_id);
  for (const auto& e : entries) {
    if (e.chain_id != chain_id) {
      pass.Of(chain_id).Fail(e.seq, "entry " + std::to_string(e.entry_id) + " belongs to chain " + e.chain_id);
      continue;
    }
    pass.Check(e, ComputeEntryHash(e));
  }
  ChainReport report = std::move(pass.Of(chain_id).report);
  Classify(report);
  return report;
}

Result<ChainReport> ClassifyChain(Store& store, const TrustedKeys& trusted, const std::string& chain_id) {
  ChainsPass chains(trusted);
  OEP_RETURN_IF_ERROR(RunChainsPass(store, chain_id, &chains, nullptr));
  if (chains.chains.empty()) return Status::NotFound("no ledger chain \"" + chain_id + "\" in " + store.path());
  Classify(chains.chains[0].report);
  return chains.chains[0].report;
}

Result<ChainVerifyReport> VerifyChains(Store& store, const TrustedKeys& trusted, const std::string& chain_id,
                                       const VerifyProgress& progress) {
  Checked checked;
  if (progress) {
    auto entries = store.LedgerEntryCount();
    if (!entries.ok()) return entries.status();
    checked.total = 2 * *entries;  // each entry, and the row it covers
    checked.report = &progress;
  }
  // Three passes on their own connections, balanced over two cores: the chains then the
  // derived columns, the decision rows (most of the bytes), and every other row.
  RowsPass rows, decision_rows;
  CheckResult derived;
  auto decisions_done = std::async(std::launch::async, RunRowsPass, store.path(), chain_id, true, &decision_rows, &checked);
  auto rows_done = std::async(std::launch::async, RunRowsPass, store.path(), chain_id, false, &rows, &checked);
  ChainsPass chains(trusted);
  Status s = RunChainsPass(store, chain_id, &chains, &checked);
  if (s.ok()) s = RunDerivedColumnsPass(store.path(), &derived);
  for (auto* f : {&decisions_done, &rows_done}) {
    while (f->wait_for(std::chrono::milliseconds(100)) != std::future_status::ready) checked.Report();
  }
  checked.Report();
  Status decisions_status = decisions_done.get();
  Status rows_status = rows_done.get();
  if (!s.ok()) return s;
  if (!decisions_status.ok()) return decisions_status;
  if (!rows_status.ok()) return rows_status;
  MergeRows(rows, decision_rows);
  std::sort(rows.coverage_failures.begin(), rows.coverage_failures.end());
  auto open_retention = store.OpenRetentionCount();
  if (!open_retention.ok()) return open_retention.status();
  if (*open_retention > 0) {
    rows.coverage_failures.push_back("retention_open holds " + std::to_string(*open_retention) +
                                     " retention run(s) in a committed state (it is empty after every retention run)");
  }

  ChainVerifyReport report;
  report.trusted_keys_given = !trusted.empty();
  report.derived_columns = std::move(derived);
  report.entries = chains.entries;
  report.covered_rows = rows.covered_rows;
  report.tombstoned_rows = rows.tombstoned_rows;
  report.coverage_failures = std::move(rows.coverage_failures);
  for (auto& f : rows.failures) chains.Of(f.chain_id).Fail(f.seq, std::move(f.why));
  Status unclaimed = Status::Ok();
  chains.artifact_entries.ForEach([&](int64_t id) {
    if (!unclaimed.ok() || rows.claimed.Contains(id)) return;
    auto e = store.GetLedgerEntry(id);
    if (!e.ok()) {
      unclaimed = e.status();
      return;
    }
    if (!*e) return;
    chains.Of((*e)->chain_id).Fail((*e)->seq, "names " + (*e)->artifact_table + "/" + (*e)->artifact_id +
                                                   ", which is not stored (row deleted)");
  });
  OEP_RETURN_IF_ERROR(unclaimed);
  std::sort(chains.chains.begin(), chains.chains.end(),
            [](const ChainState& a, const ChainState& b) { return a.report.chain_id < b.report.chain_id; });
  for (auto& st : chains.chains) {
    Classify(st.report);
    report.chains.push_back(std::move(st.report));
  }
  if (!chain_id.empty() && report.chains.empty()) return Status::NotFound("no ledger chain \"" + chain_id + "\" in " + store.path());
  return report;
}

}  // namespace oep
