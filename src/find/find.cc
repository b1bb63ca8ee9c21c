#include "find/find.h"

#include "json/json.h"
#include "replay/stored_decision.h"
#include "util/display_text.h"
#include "util/text_table.h"

namespace oep {
namespace {

using rapidjson::Value;

Status CheckLimit(int limit) {
  if (limit < 1) return Status::InvalidArgument("--limit " + std::to_string(limit) + ": expected a whole number of at least 1");
  return Status::Ok();
}

// "oep/permissions/decision", "/v1/data/oep/permissions/decision" or "data.oep..." as a query.
std::string PathAsQuery(std::string path) {
  if (path.rfind("data.", 0) == 0 || path == "data") return path;
  if (path.rfind("/v1/data/", 0) == 0) path.erase(0, 9);
  while (!path.empty() && path.front() == '/') path.erase(path.begin());
  if (path.rfind("data/", 0) == 0) path.erase(0, 5);
  return DecisionPathToQuery(path);
}

Result<DecisionListing> ReadListing(const StoredArtifact& row) {
  static const rego::InputPaths kNoInput;  // the listing shows no input: build none of it
  auto d = ReadStoredDecision(row.id, row.body, nullptr, &kNoInput);
  if (!d.ok()) return d.status();
  auto body = json::Parse(row.body);
  if (!body.ok()) return Status::Corruption(row.source + ": stored decision is not JSON");
  DecisionListing l;
  l.decision_id = row.id;
  l.decision_time = d->decision_time;
  l.tool = d->tool;
  l.actor = d->actor;
  l.trace_id = json::GetString(*body, "trace_id");
  l.outcome = d->recorded.decision;
  l.rule = d->recorded.has_matched_rule ? d->recorded.matched_rule : "";
  l.reason = d->recorded.has_reason ? d->recorded.reason : "";
  if (l.reason.empty() && d->recorded.kind == Outcome::Kind::kError) l.reason = d->recorded.error;
  l.query = d->query;
  l.imported = d->imported_from_decision_log;
  return l;
}

// json: the array indented (sorted keys, as every oep JSON output); jsonl: one canonical
// object per line.
std::string JsonList(const rapidjson::Document& array, const std::string& format) {
  std::string out;
  if (format == "json") {
    if (!json::Canonicalize(array, &out, 2).ok()) return "[]\n";
    return out + "\n";
  }
  for (const auto& item : array.GetArray()) out += json::CanonicalText(item) + "\n";
  return out;
}

struct JsonBuilder {
  rapidjson::Document doc{rapidjson::kArrayType};
  rapidjson::Document::AllocatorType& a = doc.GetAllocator();
  Value Str(const std::string& s) { return Value(s.c_str(), static_cast<rapidjson::SizeType>(s.size()), a); }
  Value OptStr(const std::string& s) { return s.empty() ? Value() : Str(s); }
};

}  // namespace

Result<std::vector<DecisionListing>> FindDecisions(Store& store, const DecisionQuery& query) {
  OEP_RETURN_IF_ERROR(CheckLimit(query.limit));
  const std::string want_query = query.path.empty() ? "" : PathAsQuery(query.path);
  std::vector<DecisionListing> out;
  std::optional<Store::DecisionCursor> before;
  // Without a path every row matches, so one batch of `limit` rows is the answer.
  const int batch = query.path.empty() ? query.limit : 500;
  while (static_cast<int>(out.size()) < query.limit) {
    auto rows = store.RecentDecisions(query.filter, before, batch);
    if (!rows.ok()) return rows.status();
    for (const auto& row : *rows) {
      auto listing = ReadListing(row);
      if (!listing.ok()) return listing.status();
      before = Store::DecisionCursor{listing->decision_time, listing->decision_id};
      if (!want_query.empty() && listing->query != want_query) continue;
      out.push_back(std::move(*listing));
      if (static_cast<int>(out.size()) == query.limit) break;
    }
    if (static_cast<int>(rows->size()) < batch) break;
  }
  return out;
}

Result<std::vector<Store::RunListing>> FindRuns(Store& store, const RunQuery& query) {
  OEP_RETURN_IF_ERROR(CheckLimit(query.limit));
  return store.RecentRuns(query.filter, query.limit);
}

std::string RenderDecisions(const std::vector<DecisionListing>& list, const std::string& format, size_t width) {
  if (format == "json" || format == "jsonl") {
    JsonBuilder b;
    for (const auto& l : list) {
      Value o(rapidjson::kObjectType);
      for (const auto& [key, value] : {std::pair{"decision_id", &l.decision_id}, {"decision_time", &l.decision_time},
                                       {"tool", &l.tool}, {"actor", &l.actor}, {"trace_id", &l.trace_id},
                                       {"outcome", &l.outcome}, {"query", &l.query}}) {
        o.AddMember(Value(key, b.a), b.Str(*value), b.a);
      }
      o.AddMember("matched_rule", b.OptStr(l.rule), b.a);
      o.AddMember("reason", b.OptStr(l.reason), b.a);
      o.AddMember("imported_from_decision_log", Value(l.imported), b.a);
      b.doc.PushBack(o, b.a);
    }
    return JsonList(b.doc, format);
  }
  bool md = format == "markdown";
  // Narrower than a row: the rule goes under it (`  rule NAME`), ids stay whole.
  TextTable t({{"DECISION"}, {"TIME"}, {"TOOL"}, {"OUTCOME"}, {"RULE", TextTable::Align::kLeft, false, 0, true}});
  for (const auto& l : list) {
    auto cell = [&](const std::string& s) { return md ? EscapeMarkdown(s) : EscapeForTerminal(s); };
    std::string rule = l.rule.empty() ? (l.imported ? "not recorded" : "-") : cell(l.rule);
    t.AddRow({md ? MarkdownCode(l.decision_id) : cell(l.decision_id), cell(l.decision_time), cell(l.tool),
              l.outcome, rule});
  }
  return md ? t.RenderMarkdown() : t.Render(width);
}

std::string RenderRuns(const std::vector<Store::RunListing>& list, const std::string& format, size_t width) {
  if (format == "json" || format == "jsonl") {
    JsonBuilder b;
    for (const auto& r : list) {
      Value o(rapidjson::kObjectType);
      o.AddMember("run_id", b.Str(r.run_id), b.a);
      o.AddMember("started_at", b.Str(r.started_at), b.a);
      o.AddMember("status", b.Str(r.status), b.a);
      o.AddMember("release_manifest_id", b.OptStr(r.release_manifest_id), b.a);
      o.AddMember("decisions", Value(static_cast<int64_t>(r.decisions)), b.a);
      o.AddMember("denied", Value(static_cast<int64_t>(r.denied)), b.a);
      b.doc.PushBack(o, b.a);
    }
    return JsonList(b.doc, format);
  }
  bool md = format == "markdown";
  auto right = TextTable::Align::kRight;
  // Narrower than a row: release, then status, go under it (`  status S  release R`).
  auto left = TextTable::Align::kLeft;
  TextTable t({{"RUN"}, {"STARTED"}, {"STATUS", left, false, 0, true}, {"DECISIONS", right}, {"DENIED", right},
               {"RELEASE", left, false, 0, true}});
  for (const auto& r : list) {
    auto cell = [&](const std::string& s) { return md ? EscapeMarkdown(s) : EscapeForTerminal(s); };
    t.AddRow({md ? MarkdownCode(r.run_id) : cell(r.run_id), cell(r.started_at), cell(r.status),
              std::to_string(r.decisions), std::to_string(r.denied), cell(r.release_manifest_id)});
  }
  return md ? t.RenderMarkdown() : t.Render(width);
}

}  // namespace oep
