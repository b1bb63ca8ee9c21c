#include "replay/stored_decision.h"

#include <cctype>

#include "importers/opa_decision_log.h"
#include "json/json.h"
#include "json/json_cursor.h"
#include "rego/value_reader.h"
#include "util/rfc3339.h"

namespace oep {
namespace {

using namespace std::string_view_literals;

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

namespace {

// Reads the members of the object at the cursor that `read(key)` takes (returning false
// when it does not); the others, and a value that is not an object, are skipped.
template <typename Reader>
bool ReadMembers(json::JsonCursor& c, Reader read) {
  if (c.Peek() != '{') return c.SkipValue();
  if (!c.BeginObject()) return false;
  std::string_view key;
  while (c.NextMember(&key)) {
    if (!read(key) && !c.SkipValue()) return false;
  }
  return c.ok();
}

// A string member's value into `out` (true when read: the member is a string).
bool ReadStringInto(json::JsonCursor& c, std::string* out) { return c.Peek() == '"' && c.ReadString(out); }

bool ReadOptionalBool(json::JsonCursor& c, std::optional<bool>* out) {
  int which = 0;
  if ((c.Peek() != 't' && c.Peek() != 'f') || !c.ReadLiteral(&which)) return false;
  *out = which == 1;
  return true;
}

bool ReadOptionalString(json::JsonCursor& c, std::optional<std::string>* out) {
  return c.Peek() == '"' && c.ReadString(&out->emplace());
}

}  // namespace

Result<StoredDecision> ReadStoredDecision(std::string_view id, std::string_view packet, const std::string* detached_input,
                                          const rego::InputPaths* input_read) {
  StoredDecision d;
  d.id = std::string(id);
  // One pass over the packet; only the members a re-decision needs are built.
  json::JsonCursor c(packet);
  std::string query, package, decision_log;
  // The input is built as the projection says while the packet is read; once the query is
  // known (policy comes later in canonical order) it is read again whole if the query may
  // read input itself.
  std::string_view input;
  std::optional<Outcome::DecisionBlock> block;
  std::string_view key;
  bool ok = c.BeginObject();
  while (ok && c.NextMember(&key)) {
    if (key == "opa_input"sv) {
      size_t at = c.offset();
      ok = rego::ReadJsonValue(c, &d.input.emplace(), input_read);
      if (ok) input = packet.substr(at, c.offset() - at);
    } else if (key == "nd_builtin_cache"sv) {
      ok = rego::ReadJsonValue(c, &d.nd_builtin_cache.emplace());
    } else if (key == "decision"sv) {
      Outcome::DecisionBlock& b = block.emplace();
      ok = ReadMembers(c, [&](std::string_view k) {
        if (k == "allow"sv) return ReadOptionalBool(c, &b.allow);
        if (k == "matched_rule"sv) return ReadOptionalString(c, &b.matched_rule);
        if (k == "reason"sv) return ReadOptionalString(c, &b.reason);
        if (k == "decision_code"sv) return ReadOptionalString(c, &b.decision_code);
        return false;
      });
    } else if (key == "decision_time"sv && c.Peek() == '"') {
      ok = c.ReadString(&d.decision_time);
    } else if (key == "policy"sv) {
      ok = ReadMembers(c, [&](std::string_view k) {
        return (k == "query"sv && ReadStringInto(c, &query)) || (k == "package"sv && ReadStringInto(c, &package));
      });
    } else if (key == "tool"sv) {
      ok = ReadMembers(c, [&](std::string_view k) { return k == "name"sv && ReadStringInto(c, &d.tool); });
    } else if (key == "actor"sv) {
      ok = ReadMembers(c, [&](std::string_view k) { return k == "id"sv && ReadStringInto(c, &d.actor); });
    } else if (key == "opa_decision_log"sv && c.Peek() == '{') {
      std::string_view span;
      ok = c.SkipValue(&span);
      decision_log = std::string(span);
    } else {
      ok = c.SkipValue();
    }
  }
  if (!ok || !c.ExpectEnd()) return Status::Corruption("stored decision " + d.id + " is not a JSON object: " + c.error());

  std::optional<rapidjson::Document> log;
  if (!decision_log.empty()) {
    auto parsed = json::Parse(decision_log);
    if (!parsed.ok()) return parsed.status().WithContext("stored decision " + d.id + " opa_decision_log");
    log = std::move(*parsed);
  }
  d.imported_from_decision_log = log.has_value();
  std::string path = log ? json::GetString(*log, "path") : "";
  std::string adhoc = log ? json::GetString(*log, "query") : "";
  if (!query.empty()) {
    d.query = query;
    d.query_source = QuerySource::kRecorded;
  } else if (!path.empty()) {
    while (!path.empty() && path.front() == '/') path.erase(path.begin());
    d.query = DecisionPathToQuery(path.rfind("data/", 0) == 0 ? path.substr(5) : path);
    d.query_source = QuerySource::kDecisionLogPath;
  } else if (!adhoc.empty()) {
    d.query = adhoc;
    d.query_source = QuerySource::kDecisionLogPath;
  } else {
    d.query = (package.empty() ? std::string("data.oep.permissions") : package) + ".decision";
  }
  if (log) {
    d.recorded = Outcome::FromJson(json::GetMember(*log, "result"));  // absent: undefined
    d.redactions = DecisionLogInputRedactions(*log);
  } else if (block) {
    d.recorded = Outcome::FromDecisionBlock(std::move(*block));
  }
  if (input_read && rego::QueryMayReadInput(d.query)) {
    input_read = nullptr;
    if (!input.empty()) {
      json::JsonCursor in(input);
      if (!rego::ReadJsonValue(in, &*d.input)) return Status::Corruption("stored decision " + d.id + " opa_input: " + in.error());
    }
  }
  if (!d.input && detached_input) {
    auto v = rego::ReadJsonValueText(*detached_input, "stored OPA input of " + d.id, input_read);
    if (v.ok()) d.input = std::move(*v);  // unreadable: reported as no recorded input
  }
  d.pinned_time_ns = ParseRfc3339Ns(d.decision_time);
  return d;
}

}  // namespace oep
