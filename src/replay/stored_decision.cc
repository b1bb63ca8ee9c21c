#include "replay/stored_decision.h"

#include <cctype>

#include "importers/opa_decision_log.h"
#include "json/json.h"
#include "util/rfc3339.h"

namespace oep {
namespace {

bool IsIdentifier(std::string_view s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

}  // namespace

const char* QuerySourceName(QuerySource s) {
  switch (s) {
    case QuerySource::kRecorded: return "recorded";
    case QuerySource::kDecisionLogPath: return "decision log path";
    case QuerySource::kPackageConvention: return "policy.package + \".decision\"";
  }
  return "";
}

std::string DecisionPathToQuery(std::string_view path) {
  std::string out = "data";
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view seg = path.substr(start, end - start);
    if (!seg.empty()) {
      if (IsIdentifier(seg)) {
        out += ".";
        out += seg;
      } else {
        out += "[";
        json::AppendCanonicalString(seg, &out);
        out += "]";
      }
    }
    start = end + 1;
  }
  return out;
}

StoredDecision ReadStoredDecision(std::string_view id, const rapidjson::Value& packet, const std::string* detached_input) {
  StoredDecision d;
  d.id = std::string(id);
  const rapidjson::Value* policy = json::GetMember(packet, "policy");
  const rapidjson::Value* log = json::GetMember(packet, "opa_decision_log");
  if (log && !log->IsObject()) log = nullptr;
  d.imported_from_decision_log = log != nullptr;
  if (std::string q = policy ? json::GetString(*policy, "query") : ""; !q.empty()) {
    d.query = q;
    d.query_source = QuerySource::kRecorded;
  } else if (std::string path = log ? json::GetString(*log, "path") : ""; !path.empty()) {
    while (!path.empty() && path.front() == '/') path.erase(path.begin());
    d.query = DecisionPathToQuery(path.rfind("data/", 0) == 0 ? path.substr(5) : path);
    d.query_source = QuerySource::kDecisionLogPath;
  } else if (std::string adhoc = log ? json::GetString(*log, "query") : ""; !adhoc.empty()) {
    d.query = adhoc;
    d.query_source = QuerySource::kDecisionLogPath;
  } else {
    std::string package = policy ? json::GetString(*policy, "package") : "";
    d.query = (package.empty() ? std::string("data.oep.permissions") : package) + ".decision";
  }
  if (log) {
    d.recorded = Outcome::FromJson(json::GetMember(*log, "result"));  // absent: undefined
    d.redactions = DecisionLogInputRedactions(*log);
  } else if (const auto* block = json::GetMember(packet, "decision")) {
    d.recorded = Outcome::FromDecisionBlock(*block);
  }
  if (const auto* input = json::GetMember(packet, "opa_input")) {
    d.input = rego::Value::FromRapid(*input);
  } else if (detached_input) {
    auto parsed = rego::Value::FromJsonText(*detached_input);
    if (parsed.ok()) d.input = *parsed;
  }
  d.decision_time = json::GetString(packet, "decision_time");
  d.pinned_time_ns = ParseRfc3339Ns(d.decision_time);
  if (const auto* cache = json::GetMember(packet, "nd_builtin_cache")) d.nd_builtin_cache = rego::Value::FromRapid(*cache);
  if (const auto* tool = json::GetMember(packet, "tool")) d.tool = json::GetString(*tool, "name");
  if (const auto* actor = json::GetMember(packet, "actor")) d.actor = json::GetString(*actor, "id");
  return d;
}

}  // namespace oep
