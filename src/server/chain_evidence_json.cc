#include "server/chain_evidence_json.h"

#include "server/api.h"

namespace oep::server {

rapidjson::Value ChainEvidenceJson(const ChainEvidence& chain, rapidjson::Document::AllocatorType& a,
                                   bool with_chain_id) {
  rapidjson::Value evidence(rapidjson::kObjectType);
  if (with_chain_id) evidence.AddMember("chain_id", Str(chain.chain_id, a), a);
  evidence.AddMember("class", chain.evidence_class.empty() ? rapidjson::Value() : Str(chain.evidence_class, a), a);
  evidence.AddMember("verified", !chain.evidence_class.empty(), a);
  evidence.AddMember("detail", Str(chain.detail, a), a);
  return evidence;
}

}  // namespace oep::server
