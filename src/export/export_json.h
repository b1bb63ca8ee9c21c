// Private to src/export: ledger entries as the export writes and reads them.
#pragma once

#include <rapidjson/document.h>

#include "store/store.h"
#include "util/status.h"

namespace oep {

rapidjson::Value EntryToJson(const LedgerEntry& e, rapidjson::Document::AllocatorType& a);
// InvalidArgument naming `pointer` and the member that is missing or of the wrong type.
Status EntryFromJson(const rapidjson::Value& v, const std::string& pointer, LedgerEntry* out);

}  // namespace oep
