#include "ledger/ledger.h"

#include "crypto/ed25519.h"
#include "crypto/sha256.h"
#include "json/json.h"
#include "keys/keys.h"

namespace oep {
namespace {

void Member(std::string& out, const char* key, std::string_view value, bool first = false) {
  if (!first) out.push_back(',');
  json::AppendCanonicalString(key, &out);
  out.push_back(':');
  if (value.empty()) out += "null";
  else json::AppendCanonicalString(value, &out);
}

}  // namespace

std::string CanonicalEntry(const LedgerEntry& e) {
  // Keys in RFC 8785 order (all ASCII, so bytewise).
  std::string out;
  out.reserve(256 + e.payload.size() + e.artifact_id.size() + e.source.size());
  out.push_back('{');
  Member(out, "artifact_id", e.artifact_id, true);
  Member(out, "artifact_table", e.artifact_table);
  Member(out, "chain_id", e.chain_id);
  Member(out, "content_hash", e.content_hash);
  Member(out, "kind", e.kind);
  out += ",\"payload\":";
  out += e.payload.empty() ? "null" : e.payload;
  Member(out, "prev_hash", e.prev_hash);
  out += ",\"seq\":" + std::to_string(e.seq);
  Member(out, "source", e.source);
  out.push_back('}');
  return out;
}

std::string ComputeEntryHash(const LedgerEntry& e) { return crypto::Sha256Hex(CanonicalEntry(e)); }

std::string ContentHashOfDigest(std::string_view digest) {
  constexpr std::string_view kPrefix = "sha256:";
  return std::string(digest.substr(0, kPrefix.size()) == kPrefix ? digest.substr(kPrefix.size()) : digest);
}

std::string ChainForTrace(const std::optional<std::string>& trace_id) {
  return trace_id && !trace_id->empty() ? "run:" + *trace_id : std::string(kStoreChain);
}

Result<int64_t> LedgerAppender::NextEntryId() {
  if (next_id_ == 0) {
    auto next = store_.NextLedgerEntryId();
    if (!next.ok()) return next.status();
    next_id_ = *next;
  }
  return next_id_;
}

std::string TenantChain(std::string_view tenant, std::string_view chain) {
  if (tenant == kDefaultTenant) return std::string(chain);
  return "tenant:" + std::string(tenant) + "/" + std::string(chain);
}

Status LedgerAppender::Append(LedgerEntry& e) {
  e.chain_id = TenantChain(store_.tenant(), e.chain_id);
  auto id = NextEntryId();
  if (!id.ok()) return id.status();
  auto it = heads_.find(e.chain_id);
  if (it == heads_.end()) {
    auto head = store_.GetChainHead(e.chain_id);
    if (!head.ok()) return head.status();
    it = heads_.emplace(e.chain_id, head->value_or(ChainHead{0, std::string(kGenesisHash), ""})).first;
  }
  if (it->second.kind == "seal") {
    return Status::Conflict("chain " + e.chain_id + " is sealed; nothing can be appended to it");
  }
  e.seq = it->second.seq + 1;
  e.prev_hash = it->second.entry_hash;
  e.entry_hash = ComputeEntryHash(e);
  e.entry_id = *id;
  OEP_RETURN_IF_ERROR(store_.AppendLedgerEntry(e));
  ++next_id_;
  it->second = ChainHead{e.seq, e.entry_hash, e.kind};
  return Status::Ok();
}

Status LedgerAppender::AppendArtifact(const std::string& chain_id, std::string_view table, std::string_view id,
                                      std::string_view content_hash, std::string_view source) {
  LedgerEntry e;
  e.chain_id = chain_id;
  e.kind = "artifact";
  e.artifact_table = table;
  e.artifact_id = id;
  e.content_hash = content_hash;
  e.source = source;
  return Append(e);
}

Status LedgerAppender::AppendEvent(const std::string& chain_id, std::string_view kind, std::string payload) {
  LedgerEntry e;
  e.chain_id = chain_id;
  e.kind = kind;
  e.payload = std::move(payload);
  return Append(e);
}

Status RecordChainEvent(Store& store, const std::string& chain_id, std::string_view kind, const std::string& payload) {
  auto head = store.GetChainHead(TenantChain(store.tenant(), chain_id));
  if (!head.ok()) return head.status();
  if (!*head) return Status::NotFound("no ledger chain \"" + chain_id + "\" in " + store.path());
  OEP_RETURN_IF_ERROR(store.BeginBatch());
  LedgerAppender appender(store);
  Status s = appender.AppendEvent(chain_id, kind, payload);
  if (!s.ok()) {
    store.RollbackBatch();
    return s;
  }
  return store.CommitBatch();
}

Status SealChain(Store& store, const std::string& chain_id, const std::string& key_path, const std::string& authority,
                 const std::string& sealed_at, std::string* summary) {
  if (authority != "server" && authority != "local") {
    return Status::InvalidArgument("--authority: expected server or local, found " + authority);
  }
  auto head = store.GetChainHead(TenantChain(store.tenant(), chain_id));
  if (!head.ok()) return head.status();
  if (!*head) return Status::NotFound("no ledger chain \"" + chain_id + "\" in " + store.path());
  if ((*head)->kind == "seal") return Status::Conflict("chain " + chain_id + " is already sealed");
  std::string unsigned_payload = "{\"authority\":\"" + authority + "\",\"entry_count\":" +
                                 std::to_string((*head)->seq) + ",\"final_hash\":\"" + (*head)->entry_hash +
                                 "\",\"public_key\":\"";
  // The public key is part of what is signed, so sign a placeholder-free payload: first
  // learn the key, then sign the complete payload.
  auto probe = crypto::SignEd25519(key_path, "");
  if (!probe.ok()) return probe.status();
  std::string to_sign = unsigned_payload + probe->public_key_hex + "\",\"sealed_at\":";
  json::AppendCanonicalString(sealed_at, &to_sign);
  to_sign += "}";
  auto sig = crypto::SignEd25519(key_path, to_sign);
  if (!sig.ok()) return sig.status();
  std::string payload = to_sign.substr(0, to_sign.size() - 1) + ",\"signature\":\"" + sig->signature_hex + "\"}";
  OEP_RETURN_IF_ERROR(store.BeginBatch());
  LedgerAppender appender(store);
  LedgerEntry e;
  e.chain_id = chain_id;
  e.kind = "seal";
  e.payload = payload;
  Status s = appender.Append(e);
  if (!s.ok()) {
    store.RollbackBatch();
    return s;
  }
  OEP_RETURN_IF_ERROR(store.CommitBatch());
  *summary = "sealed " + chain_id + " claiming " + authority + " authority (verifiers decide by the key): " +
             std::to_string((*head)->seq) + " entries, final hash " + (*head)->entry_hash + ", key id " +
             KeyIdOf(sig->public_key_hex);
  return Status::Ok();
}

}  // namespace oep
