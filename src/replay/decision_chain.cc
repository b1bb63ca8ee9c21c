#include "replay/decision_chain.h"

#include <optional>
#include <string>

#include "json/json.h"
#include "ledger/ledger.h"
#include "verify/chain_verify.h"

namespace oep {

ChainEvidence ClassifyChainEvidence(Store& store, const std::string& chain_id, const TrustedKeys& trusted) {
  ChainEvidence out;
  out.chain_id = chain_id;
  auto chain = ClassifyChain(store, trusted, out.chain_id);
  if (!chain.ok()) {
    out.detail = "not classified: " + chain.status().message();
    return out;
  }
  if (!chain->ok) {
    out.detail = "BROKEN at entry " + std::to_string(chain->failed_seq) + ": " + chain->failure;
    return out;
  }
  out.evidence_class = EvidenceClassName(chain->evidence_class);
  out.detail = std::to_string(chain->entries) + " entries, ";
  if (!chain->sealed) out.detail += "unsealed";
  else if (trusted.empty()) out.detail += "sealed by key " + chain->seal_key_id + ", untrusted: no trusted keys given";
  else if (chain->authority.empty()) out.detail += "sealed by untrusted key " + chain->seal_key_id;
  else out.detail += "sealed by trusted " + chain->authority + " key " + chain->seal_key_id;
  out.detail += "; links and hashes checked";
  return out;
}

ChainEvidence ClassifyDecisionChain(Store& store, const rapidjson::Value& record, const TrustedKeys& trusted) {
  const rapidjson::Value* body = json::FindDotted(record, "permission_packet.body");
  std::string trace = body ? json::GetString(*body, "trace_id") : "";
  return ClassifyChainEvidence(store, ChainForTrace(trace.empty() ? std::nullopt : std::optional<std::string>(trace)), trusted);
}

}  // namespace oep
