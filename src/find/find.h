// `oep decisions` and `oep runs`: finding evidence without knowing its id. Lists are
// newest first and bounded by a limit; each item is what one line shows.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/store.h"
#include "util/status.h"

namespace oep {

struct DecisionQuery {
  Store::DecisionFilter filter;
  // A decision path ("oep/permissions/decision", as OPA logs it) or query
  // ("data.oep.permissions.decision"): only decisions recorded at it. "" = any.
  std::string path;
  int limit = 20;  // at least 1
};

struct DecisionListing {
  std::string decision_id, decision_time, tool, actor, trace_id;
  std::string outcome;  // allow | deny | value | undefined | error (the recorded outcome)
  std::string rule, reason;  // "" when the outcome records none
  std::string query;         // the query the decision was recorded at
  bool imported = false;     // from an OPA decision log
};

struct RunQuery {
  Store::RunListFilter filter;
  int limit = 20;  // at least 1
};

// InvalidArgument for a limit below 1.
Result<std::vector<DecisionListing>> FindDecisions(Store& store, const DecisionQuery& query);
Result<std::vector<Store::RunListing>> FindRuns(Store& store, const RunQuery& query);

// The lists in the four output formats: human (a table at `width` columns), markdown (a
// table), json (an array), jsonl (one object per line). Untrusted strings are escaped for
// the terminal (human) or for markdown.
std::string RenderDecisions(const std::vector<DecisionListing>& list, const std::string& format, size_t width = 80);
std::string RenderRuns(const std::vector<Store::RunListing>& list, const std::string& format, size_t width = 80);

}  // namespace oep
