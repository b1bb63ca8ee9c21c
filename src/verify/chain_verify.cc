#include "verify/chain_verify.h"

#include <map>
#include <unordered_map>

#include "crypto/ed25519.h"
#include "crypto/sha256.h"
#include "json/json.h"
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

struct ArtifactEntry {
  std::string chain_id;
  int64_t seq;
  std::string content_hash;
  std::string source;
};

std::string RowKey(std::string_view table, std::string_view id) {
  std::string k(table);
  k.push_back('\x1f');
  k.append(id);
  return k;
}

// Checks a seal entry's payload against the chain it closes.
void CheckSeal(ChainState& st, const LedgerEntry& e) {
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
  payload->RemoveMember("signature");
  if (!crypto::VerifyEd25519(json::GetString(*payload, "public_key"), json::CanonicalOrDie(*payload), signature)) {
    return st.Fail(e.seq, "seal signature does not verify under its recorded public key");
  }
  st.report.sealed = true;
  st.report.authority = authority;
}

}  // namespace

const char* EvidenceClassName(EvidenceClass c) {
  switch (c) {
    case EvidenceClass::kAuthoritative: return "AUTHORITATIVE";
    case EvidenceClass::kPartialAuthoritative: return "PARTIAL_AUTHORITATIVE";
    case EvidenceClass::kNonAuthoritative: return "NON_AUTHORITATIVE";
  }
  return "?";
}

bool ChainVerifyReport::ok(bool reject_local_authority) const {
  if (!coverage_failures.empty()) return false;
  for (const auto& c : chains) {
    if (!c.ok) return false;
    if (reject_local_authority && c.evidence_class == EvidenceClass::kNonAuthoritative) return false;
  }
  return true;
}

std::string ChainVerifyReport::Render(bool all_chains, bool reject_local_authority) const {
  constexpr size_t kListAll = 20;
  std::string out;
  int64_t by_class[3] = {}, failed = 0;
  for (const auto& c : chains) {
    if (c.ok) ++by_class[static_cast<int>(c.evidence_class)];  // a broken chain gets no class
    bool rejected = reject_local_authority && c.evidence_class == EvidenceClass::kNonAuthoritative;
    failed += !c.ok || rejected;
    if (c.ok && !rejected && !all_chains && chains.size() > kListAll) continue;
    std::string detail = std::to_string(c.entries) + " entries, " + EvidenceClassName(c.evidence_class);
    if (!c.sealed) detail += " (unsealed)";
    else detail += " (sealed by " + c.authority + " authority" + (c.drops ? ", " + std::to_string(c.drops) + " drop(s)" : "") +
                   (c.breaks ? ", " + std::to_string(c.breaks) + " break(s)" : "") + ")";
    if (!c.ok) detail = "entry " + std::to_string(c.failed_seq) + ": " + c.failure + " [" + std::to_string(c.entries) + " entries; no evidence class: verification failed]";
    else if (rejected) detail += ": rejected (--reject-local-authority)";
    out += std::string(c.ok && !rejected ? "ok   " : "FAIL ") + "chain " + c.chain_id + ": " + detail + "\n";
  }
  if (coverage_failures.empty()) {
    out += "ok   coverage: " + std::to_string(covered_rows) + " stored rows, each covered by one ledger entry\n";
  } else {
    out += "FAIL coverage: " + std::to_string(coverage_failures.size()) + " problem(s): " + coverage_failures[0];
    for (size_t i = 1; i < coverage_failures.size() && i < 3; ++i) out += "; " + coverage_failures[i];
    out += "\n";
  }
  out += "summary: " + std::to_string(chains.size()) + " chains, " + std::to_string(entries) + " entries: " +
         std::to_string(by_class[0]) + " AUTHORITATIVE, " + std::to_string(by_class[1]) + " PARTIAL_AUTHORITATIVE, " +
         std::to_string(by_class[2]) + " NON_AUTHORITATIVE; " + std::to_string(failed) + " failed\n";
  return out;
}

Result<ChainVerifyReport> VerifyChains(Store& store, const std::string& chain_id) {
  std::map<std::string, ChainState, std::less<>> chains;
  std::unordered_map<std::string, ArtifactEntry> artifacts;
  ChainVerifyReport report;
  Status s = store.ForEachLedgerEntry(chain_id, [&](const LedgerEntry& e) {
    ++report.entries;
    auto [it, fresh] = chains.try_emplace(e.chain_id);
    ChainState& st = it->second;
    if (fresh) st.report.chain_id = e.chain_id;
    ++st.report.entries;
    if (st.report.sealed) st.Fail(e.seq, "entry after the chain's seal");
    if (e.seq != st.next_seq) {
      st.Fail(e.seq, e.seq > st.next_seq ? "sequence gap: seq " + std::to_string(st.next_seq) + " is missing"
                                         : "seq " + std::to_string(e.seq) + " follows seq " +
                                               std::to_string(st.next_seq - 1) + " (duplicated or reordered)");
    } else if (e.prev_hash != st.last_hash) {
      st.Fail(e.seq, "prev_hash does not link to the previous entry's hash");
    }
    if (ComputeEntryHash(e) != e.entry_hash) st.Fail(e.seq, "entry hash does not match its contents (entry edited)");
    if (e.kind == "artifact") {
      auto [a, inserted] = artifacts.try_emplace(RowKey(e.artifact_table, e.artifact_id),
                                                 ArtifactEntry{e.chain_id, e.seq, e.content_hash, e.source});
      if (!inserted) st.Fail(e.seq, e.artifact_table + "/" + e.artifact_id + " has a second ledger entry");
    } else if (e.kind == "drop") {
      ++st.report.drops;
    } else if (e.kind == "break") {
      ++st.report.breaks;
    } else if (e.kind == "seal") {
      CheckSeal(st, e);
    } else {
      st.Fail(e.seq, "unknown entry kind \"" + e.kind + "\"");
    }
    st.next_seq = std::max(st.next_seq, e.seq + 1);
    st.last_hash = e.entry_hash;
    return Status::Ok();
  });
  if (!s.ok()) return s;

  // Every stored row against the entry that covers it.
  s = store.ForEachCoveredRow([&](std::string_view table, const StoredArtifact& row) {
    auto it = artifacts.find(RowKey(table, row.id));
    if (it == artifacts.end()) {
      if (chain_id.empty()) report.coverage_failures.push_back(std::string(table) + "/" + row.id + " is not covered by the ledger");
      return Status::Ok();
    }
    ++report.covered_rows;
    ChainState& st = chains[it->second.chain_id];
    std::string hash = crypto::Sha256Hex(row.body);
    std::string ref = std::string(table) + "/" + row.id;
    if (hash != it->second.content_hash) {
      st.Fail(it->second.seq, "content hash of " + ref + " does not match the stored row (row edited)");
    } else if (row.digest != "sha256:" + hash) {
      st.Fail(it->second.seq, "digest column of " + ref + " does not match its body");
    } else if (row.source != it->second.source) {
      st.Fail(it->second.seq, "source of " + ref + " differs from the ledger's");
    }
    artifacts.erase(it);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  for (const auto& [key, entry] : artifacts) {
    std::string ref = key;
    ref[ref.find('\x1f')] = '/';
    chains[entry.chain_id].Fail(entry.seq, "names " + ref + ", which is not stored (row deleted)");
  }

  for (auto& [id, st] : chains) {
    ChainReport& c = st.report;
    if (c.sealed && c.authority == "server") {
      c.evidence_class = c.drops || c.breaks ? EvidenceClass::kPartialAuthoritative : EvidenceClass::kAuthoritative;
    }
    report.chains.push_back(std::move(c));
  }
  if (!chain_id.empty() && report.chains.empty()) return Status::NotFound("no ledger chain \"" + chain_id + "\" in " + store.path());
  return report;
}

}  // namespace oep
