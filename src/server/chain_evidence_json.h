// The JSON the server's views give a classified chain: {"class", "verified", "detail"}
// (class null when the chain is broken), and "chain_id" when asked.
#pragma once

#include <rapidjson/document.h>

#include "replay/replay.h"

namespace oep::server {

rapidjson::Value ChainEvidenceJson(const ChainEvidence& chain, rapidjson::Document::AllocatorType& a,
                                   bool with_chain_id);

}  // namespace oep::server
