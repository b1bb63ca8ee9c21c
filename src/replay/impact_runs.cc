#include "replay/impact_runs.h"

#include <algorithm>

#include "crypto/sha256.h"
#include "ingest/ingest.h"
#include "json/json.h"
#include "util/display_text.h"
#include "util/text_table.h"

namespace oep {
namespace {

constexpr const char* kRunSchemaVersion = "oep.counterfactual_run.v0";

Result<SavedImpactRun> RunFromJson(const std::string& body, const std::string& where) {
  auto doc = json::Parse(body);
  if (!doc.ok()) return doc.status().WithContext(where);
  SavedImpactRun run;
  run.run_id = json::GetString(*doc, "run_id");
  run.created_at = json::GetString(*doc, "created_at");
  run.label = json::GetString(*doc, "label");
  const auto* report = json::GetMember(*doc, "report");
  if (report == nullptr) return Status::Corruption(where + ": /report missing");
  auto parsed = ImpactReport::FromJson(*report);
  if (!parsed.ok()) return parsed.status().WithContext(where);
  run.report = std::move(*parsed);
  return run;
}

}  // namespace

std::string SavedImpactRun::ToJson() const {
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  doc.AddMember("schema_version", rapidjson::StringRef(kRunSchemaVersion), a);
  if (!run_id.empty()) doc.AddMember("run_id", rapidjson::Value(run_id.c_str(), a), a);
  doc.AddMember("created_at", rapidjson::Value(created_at.c_str(), a), a);
  if (!label.empty()) doc.AddMember("label", rapidjson::Value(label.c_str(), a), a);
  rapidjson::Document report_doc(&a);
  report_doc.Parse(report.ToJson().c_str());
  doc.AddMember("report", rapidjson::Value(report_doc, a), a);
  return json::CanonicalText(doc);
}

std::string SavedImpactRun::RenderHuman() const {
  return "Counterfactual run " + run_id + " saved " + created_at + (label.empty() ? "" : " — " + label) + "\n" +
         report.RenderHuman();
}

Result<SavedImpactRun> SaveImpactRun(Store& store, const ImpactReport& report, const std::string& created_at,
                                     const std::string& label) {
  SavedImpactRun run;
  run.created_at = created_at;
  run.label = label;
  run.report = report;
  run.run_id = "cfr_" + crypto::Sha256Hex(run.ToJson()).substr(0, 20);  // content address, id excluded
  auto doc = json::Parse(run.ToJson());
  if (!doc.ok()) return doc.status();
  auto ingester = Ingester::Begin(store);
  if (!ingester.ok()) return ingester.status();
  OEP_RETURN_IF_ERROR((*ingester)->AddRecord(*doc, {"oep impact --save", 0, ""}));
  OEP_RETURN_IF_ERROR((*ingester)->Commit());
  return run;
}

Result<std::vector<SavedImpactRun>> ListImpactRuns(Store& store) {
  std::vector<SavedImpactRun> runs;
  Status s = store.ForEach(ArtifactKind::kCounterfactualRun, [&](const StoredArtifact& row) -> Status {
    auto run = RunFromJson(row.body, "counterfactual run " + row.id);
    if (!run.ok()) return run.status();
    runs.push_back(std::move(*run));
    return Status::Ok();
  });
  if (!s.ok()) return s;
  std::stable_sort(runs.begin(), runs.end(), [](const SavedImpactRun& x, const SavedImpactRun& y) {
    return std::tie(x.created_at, x.run_id) < std::tie(y.created_at, y.run_id);
  });
  return runs;
}

std::string RenderImpactRunList(const std::vector<SavedImpactRun>& runs, bool markdown) {
  using Align = TextTable::Align;
  TextTable t({{"RUN"}, {"CREATED (UTC)"}, {"DECISIONS", Align::kRight}, {"ALLOW->DENY", Align::kRight},
               {"DENY->ALLOW", Align::kRight}, {"CHANGED", Align::kRight}, {"ERRORS", Align::kRight},
               {"POLICY BUNDLE"}});
  for (const auto& r : runs) {
    const ImpactCounts& p = r.report.counts;
    std::string bundle = r.report.policy_bundle + (r.label.empty() ? "" : " (" + r.label + ")");
    t.AddRow({r.run_id, r.created_at, std::to_string(p.total), std::to_string(p.allow_to_deny),
              std::to_string(p.deny_to_allow), std::to_string(p.changed()), std::to_string(p.errors),
              markdown ? MarkdownCode(bundle) : EscapeForTerminal(bundle)});
  }
  return markdown ? t.RenderMarkdown() : t.Render();
}

Result<SavedImpactRun> LoadImpactRun(Store& store, const std::string& run_id) {
  auto row = store.Get(ArtifactKind::kCounterfactualRun, run_id);
  if (!row.ok()) return row.status();
  if (!*row) return UnknownIdError(store, ArtifactKind::kCounterfactualRun, run_id, "counterfactual run");
  return RunFromJson((*row)->body, "counterfactual run " + run_id);
}

}  // namespace oep
