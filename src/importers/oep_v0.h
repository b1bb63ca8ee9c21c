// `oep import oep-v0 <dir>`: the reference implementation's v0.3 artifact tree.
#pragma once

#include <string>

#include "ingest/ingest.h"
#include "store/store.h"

namespace oep {

struct OepV0ImportReport {
  IngestReport ingest;
  int64_t artifacts = 0;  // files stored as typed artifacts
  int64_t inputs = 0;     // OPA inputs joined to their decision by tool_call_id
  int64_t documents = 0;  // everything else, stored verbatim
};

// Imports every file below `dir` in one transaction, losing nothing: JSON files with a
// known schema_version become typed artifacts; OPA input files
// (permissions/policy/input/*.json) are recorded as the input of the decision with the
// same tool_call_id; every other file (policies, fixtures, projections, counterfactual
// outputs) is stored byte for byte under its path relative to `dir`. Symbolic links and
// special files below `dir` are refused (see ListTreeFiles): only the tree's own files are stored.
Result<OepV0ImportReport> ImportOepV0(Store& store, const std::string& dir);

}  // namespace oep
