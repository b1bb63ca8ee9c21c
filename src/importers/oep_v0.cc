#include "importers/oep_v0.h"

#include <algorithm>
#include <filesystem>
#include <map>

#include "json/json.h"
#include "schema/artifact_kind.h"
#include "util/files.h"

namespace oep {
namespace fs = std::filesystem;

namespace {

bool IsOpaInputPath(const std::string& rel) {
  return rel.rfind("permissions/policy/input/", 0) == 0 && rel.size() > 5 && rel.substr(rel.size() - 5) == ".json";
}

}  // namespace

Result<OepV0ImportReport> ImportOepV0(Store& store, const std::string& dir) {
  auto files = ListTreeFiles(dir, [](std::string_view) { return true; });
  if (!files.ok()) return files.status();
  std::vector<std::string> rels;
  for (auto& f : *files) rels.push_back(std::move(f.relative));

  auto ingester = Ingester::Begin(store);
  if (!ingester.ok()) return ingester.status();
  Ingester& in = **ingester;
  OepV0ImportReport report;
  std::map<std::string, std::string> decision_by_tool_call;
  std::vector<std::pair<std::string, std::string>> inputs;  // rel, text
  std::vector<std::pair<std::string, std::string>> documents;

  for (const auto& rel : rels) {
    std::string path = (fs::path(dir) / rel).string();
    auto text = ReadFile(path);
    if (!text.ok()) return text.status();
    if (IsOpaInputPath(rel)) {
      inputs.emplace_back(rel, std::move(*text));
      continue;
    }
    bool artifact = false;
    if (rel.size() > 5 && rel.substr(rel.size() - 5) == ".json") {
      auto doc = json::Parse(*text);
      if (!doc.ok()) return doc.status().WithContext(path);
      std::string version = json::GetString(*doc, "schema_version");
      if (const KindSpec* spec = SpecForSchemaVersion(version)) {
        OEP_RETURN_IF_ERROR(in.AddRecord(*doc, {path, 0, ""}));
        ++report.artifacts;
        artifact = true;
        if (spec->kind == ArtifactKind::kPermissionPacket) {
          decision_by_tool_call[json::GetString(*doc, "tool_call_id")] = json::GetString(*doc, "packet_id");
        }
      }
    }
    if (!artifact) documents.emplace_back(rel, std::move(*text));
  }
  for (auto& [rel, text] : inputs) {
    auto doc = json::Parse(text);
    if (!doc.ok()) return doc.status().WithContext((fs::path(dir) / rel).string());
    auto it = decision_by_tool_call.find(json::GetString(*doc, "tool_call_id"));
    if (it == decision_by_tool_call.end()) {
      documents.emplace_back(rel, std::move(text));  // an input no packet claims is kept verbatim
      continue;
    }
    OEP_RETURN_IF_ERROR(in.AddDecisionInput(it->second, *doc, rel));
    ++report.inputs;
  }
  for (const auto& [rel, bytes] : documents) {
    OEP_RETURN_IF_ERROR(in.AddDocument(rel, bytes));
    ++report.documents;
  }
  OEP_RETURN_IF_ERROR(in.Commit());
  report.ingest = in.report();
  return report;
}

}  // namespace oep
