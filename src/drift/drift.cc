#include "drift/drift.h"

#include <filesystem>

#include "json/json.h"
#include "json/pick.h"
#include "util/files.h"

namespace oep {
namespace {

using rapidjson::Value;
using Alloc = rapidjson::Document::AllocatorType;

constexpr const char* kSurfaces[] = {"model", "prompt", "tool_schema", "policy", "workflow"};

Value Str(const std::string& s, Alloc& a) { return Value(s.c_str(), static_cast<rapidjson::SizeType>(s.size()), a); }

struct Release {
  std::string id, source;
  rapidjson::Document doc;
};

Result<Release> LoadRelease(Store& store, const std::string& arg) {
  Release r;
  std::error_code ec;
  if (std::filesystem::is_regular_file(arg, ec)) {
    auto text = ReadFile(arg);
    if (!text.ok()) return text.status();
    auto doc = json::Parse(*text);
    if (!doc.ok()) return doc.status().WithContext(arg);
    r.doc = std::move(*doc);
    r.source = arg;
  } else {
    auto row = store.Get(ArtifactKind::kReleaseManifest, arg);
    if (!row.ok()) return row.status();
    if (!*row) return UnknownIdError(store, ArtifactKind::kReleaseManifest, arg, "release manifest");
    auto doc = json::Parse((*row)->body);
    if (!doc.ok()) return doc.status().WithContext("stored release manifest " + arg);
    r.doc = std::move(*doc);
    r.source = "store";
  }
  if (!r.doc.IsObject() || json::GetString(r.doc, "schema_version") != "oep.release_manifest.v0") {
    return Status::InvalidArgument(arg + ": /schema_version: expected \"oep.release_manifest.v0\" (a release manifest)");
  }
  r.id = json::GetString(r.doc, "manifest_id");
  if (r.id.empty()) return Status::InvalidArgument(arg + ": /manifest_id: expected a string");
  const Value* bindings = json::GetMember(r.doc, "layer_bindings");
  if (bindings == nullptr || !bindings->IsObject()) {
    return Status::InvalidArgument(arg + ": /layer_bindings: expected an object");
  }
  return r;
}

// "name@version" of a binding ("" when absent).
std::string VersionOf(const Value* b) {
  if (b == nullptr || !b->IsObject()) return "";
  std::string name = json::GetString(*b, "name"), version = json::GetString(*b, "version");
  return version.empty() ? name : name + "@" + version;
}

// How many decisions, and the first ones (in id order).
struct Tally {
  int64_t count = 0;
  std::vector<std::string> first;
  void Add(const std::string& id, int examples) {
    ++count;
    if (static_cast<int>(first.size()) < examples) first.push_back(id);
  }
};

const char* ChangeClass(const std::string& surface) {
  if (surface == "model") return "alias_resolution";
  if (surface == "prompt") return "prompt_edit";
  if (surface == "tool_schema") return "tool_added_removed";
  if (surface == "policy") return "policy_update";
  return "workflow_update";
}

}  // namespace

Result<rapidjson::Document> DriftReleases(Store& store, const std::string& release_a, const std::string& release_b,
                                          const DriftOptions& options) {
  auto a_rel = LoadRelease(store, release_a);
  if (!a_rel.ok()) return a_rel.status();
  auto b_rel = LoadRelease(store, release_b);
  if (!b_rel.ok()) return b_rel.status();
  // Release A's decisions, tallied as they are read (memory does not grow with the store):
  // through the release index when they are few, else one streaming scan of every decision.
  const Value* a_policy = json::GetMember(a_rel->doc["layer_bindings"], "policy");
  const Value* a_model = json::GetMember(a_rel->doc["layer_bindings"], "model");
  std::string policy_digest = a_policy && a_policy->IsObject() ? json::GetString(*a_policy, "digest") : "";
  std::string model_name = a_model && a_model->IsObject() ? json::GetString(*a_model, "name") : "";
  Tally all, by_policy, by_model;
  bool any_model = false;
  const std::vector<std::string> fields = {"release_manifest_id", "policy_bundle_version", "model_alias"};
  std::vector<json::Picked> got;
  auto take = [&](const StoredArtifact& row) {
    if (!json::PickFields(row.body, fields, &got) || got[0].text != a_rel->id) return;
    all.Add(row.id, options.examples);
    if (!policy_digest.empty() && got[1].text == policy_digest) by_policy.Add(row.id, options.examples);
    const std::string& model = got[2].text;
    any_model = any_model || !model.empty();
    if (!model.empty() && model == model_name) by_model.Add(row.id, options.examples);
  };
  auto few = store.FindBy(ArtifactKind::kPermissionPacket, "release_manifest_id", a_rel->id, options.index_limit + 1);
  if (!few.ok()) return few.status();
  if (static_cast<int>(few->size()) <= options.index_limit) {
    for (const auto& row : *few) take(row);
  } else {
    few->clear();
    OEP_RETURN_IF_ERROR(store.ForEach(ArtifactKind::kPermissionPacket, [&](const StoredArtifact& row) {
      take(row);
      return Status::Ok();
    }));
  }
  rapidjson::Document out(rapidjson::kObjectType);
  auto& al = out.GetAllocator();
  auto release = [&](const Release& r) {
    Value v(rapidjson::kObjectType);
    v.AddMember("manifest_id", Str(r.id, al), al);
    v.AddMember("source", Str(r.source, al), al);
    return v;
  };
  out.AddMember("schema_version", "oep.release_drift.v0", al);
  out.AddMember("release_a", release(*a_rel), al);
  out.AddMember("release_b", release(*b_rel), al);
  out.AddMember("decisions_of_release_a", all.count, al);
  Value surfaces(rapidjson::kObjectType), changed(rapidjson::kArrayType), absent(rapidjson::kArrayType);
  const Value& ba = a_rel->doc["layer_bindings"];
  const Value& bb = b_rel->doc["layer_bindings"];
  for (const char* name : kSurfaces) {
    const Value* x = json::GetMember(ba, name);
    const Value* y = json::GetMember(bb, name);
    std::string dx = x && x->IsObject() ? json::GetString(*x, "digest") : "";
    std::string dy = y && y->IsObject() ? json::GetString(*y, "digest") : "";
    std::string status = dx.empty() && dy.empty() ? "absent"
                         : dx.empty()             ? "added"
                         : dy.empty()             ? "removed"
                         : dx == dy               ? "unchanged"
                                                  : "changed";
    Value s(rapidjson::kObjectType);
    s.AddMember("status", Str(status, al), al);
    s.AddMember("before_digest", dx.empty() ? Value(rapidjson::kNullType) : Str(dx, al), al);
    s.AddMember("after_digest", dy.empty() ? Value(rapidjson::kNullType) : Str(dy, al), al);
    std::string vx = VersionOf(x), vy = VersionOf(y);
    s.AddMember("before_version", vx.empty() ? Value(rapidjson::kNullType) : Str(vx, al), al);
    s.AddMember("after_version", vy.empty() ? Value(rapidjson::kNullType) : Str(vy, al), al);
    s.AddMember("change_class", Str(ChangeClass(name), al), al);
    if (status == "absent") {
      absent.PushBack(Str(name, al), al);
    } else if (status != "unchanged") {
      changed.PushBack(Str(name, al), al);
      // Which recorded decisions of release A this change could have touched, and why.
      const Tally* touched = &all;
      std::string criterion = "every decision of release A ran under this surface";
      if (std::string(name) == "policy") {
        touched = &by_policy;
        criterion = "decided under release A's policy bundle (policy_bundle_version)";
      } else if (std::string(name) == "model" && any_model) {
        touched = &by_model;
        criterion = "packet names release A's model (model_alias)";
      }
      Value t(rapidjson::kObjectType);
      t.AddMember("count", touched->count, al);
      t.AddMember("criterion", Str(criterion, al), al);
      Value ids(rapidjson::kArrayType);
      for (const auto& id : touched->first) ids.PushBack(Str(id, al), al);
      t.AddMember("first_decision_ids", ids, al);
      s.AddMember("touched_decisions", t, al);
    }
    surfaces.AddMember(Str(name, al), s, al);
  }
  out.AddMember("changed_surfaces", changed, al);
  out.AddMember("absent_surfaces", absent, al);
  out.AddMember("surfaces", surfaces, al);
  return out;
}

std::string RenderDriftHuman(const Value& r) {
  auto text = [](const Value& v, const char* path) {
    const Value* m = json::FindDotted(v, path);
    if (m == nullptr || m->IsNull()) return std::string("-");
    return m->IsString() ? std::string(m->GetString()) : json::CanonicalText(*m);
  };
  std::string out = "Drift " + text(r, "release_a.manifest_id") + " -> " + text(r, "release_b.manifest_id") + " (" +
                    text(r, "decisions_of_release_a") + " recorded decisions of the first)\n";
  for (const char* name : kSurfaces) {
    const Value& s = r["surfaces"][name];
    std::string line = std::string("  ") + name;
    line.append(14 - std::string(name).size(), ' ');
    std::string status = text(s, "status");
    line += status;
    line.append(status.size() < 11 ? 11 - status.size() : 1, ' ');
    line += text(s, "before_version") + " -> " + text(s, "after_version");
    if (s.HasMember("touched_decisions")) {
      line += "; could touch " + text(s, "touched_decisions.count") + " decisions (" + text(s, "touched_decisions.criterion") + ")";
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace oep
