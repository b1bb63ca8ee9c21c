#include "monitors/monitors.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "audit/audit.h"
#include "crypto/sha256.h"
#include "ingest/ingest.h"
#include "json/json.h"
#include "rego/parser.h"
#include "rego/policy_loader.h"
#include "tenants/tenants.h"
#include "rego/value_reader.h"
#include "util/files.h"
#include "util/rfc3339.h"

namespace oep {

struct MonitorSet::Monitor {
  std::string name;            // the package, "monitors.blocked_tool"
  std::string policy_version;  // sha256:<hex> over the files it was loaded from
  std::shared_ptr<rego::Engine> engine;
  std::vector<std::string> rules;  // "violation", "deny": the sets it defines
};

namespace {

namespace fs = std::filesystem;
using Alloc = rapidjson::Document::AllocatorType;

bool IsPolicyFile(const fs::path& p) {
  auto ext = p.extension().string();
  return ext == ".rego" || ext == ".json" || ext == ".yaml" || ext == ".yml";
}

// sha256 over each policy file's relative path and bytes, in path order.
Result<std::string> MonitorVersion(const std::string& path) {
  std::error_code ec;
  std::vector<std::pair<std::string, std::string>> files;  // relative name, full path
  if (fs::is_directory(path, ec)) {
    for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
      if (it->is_regular_file() && IsPolicyFile(it->path())) {
        files.emplace_back(fs::relative(it->path(), path).generic_string(), it->path().string());
      }
    }
    if (ec) return Status::InvalidArgument(path + ": cannot list the folder: " + ec.message());
  } else {
    files.emplace_back(fs::path(path).filename().string(), path);
  }
  std::sort(files.begin(), files.end());
  crypto::Sha256 h;
  for (const auto& [name, full] : files) {
    auto bytes = ReadFile(full);
    if (!bytes.ok()) return bytes.status();
    h.Update(name + "\n" + std::to_string(bytes->size()) + "\n");
    h.Update(*bytes);
  }
  return "sha256:" + h.FinishHex();
}

Status Bad(const std::string& where, const std::string& what) { return Status::InvalidArgument(where + ": " + what); }

std::string JoinDots(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ".") + p;
  return out;
}

Status StringList(const rego::Value& v, const std::string& where, std::vector<std::string>* out) {
  if (v.kind() != rego::Kind::kArray && v.kind() != rego::Kind::kSet) {
    return Bad(where, "expected an array of strings, found " + v.TypeName());
  }
  rapidjson::Document d;
  v.ToRapid(&d, d.GetAllocator());
  for (const auto& item : d.GetArray()) {
    if (!item.IsString()) return Bad(where, "expected an array of strings");
    out->emplace_back(item.GetString(), item.GetStringLength());
  }
  return Status::Ok();
}

// One element of a monitor's set as a finding.
Result<ViolationFinding> Finding(const MonitorSet::Monitor& m, const std::string& rule, const rego::Value& v) {
  ViolationFinding f{m.name, m.policy_version, rule, "", "medium", "", {}, {}, ""};
  std::string where = "monitor " + m.name + ": " + rule;
  if (v.kind() == rego::Kind::kString) {
    f.message = v.str();
    return f;
  }
  if (v.kind() != rego::Kind::kObject) return Bad(where, "expected a message string or an object, found " + v.TypeName());
  static const std::set<std::string> kKnown = {"msg", "severity", "run_id", "event_ids", "decision_ids", "details"};
  rapidjson::Document d;
  v.ToRapid(&d, d.GetAllocator());
  for (const auto& member : d.GetObject()) {
    std::string key(member.name.GetString(), member.name.GetStringLength());
    if (!kKnown.count(key)) return Bad(where + "/" + key, "unknown member; expected msg, severity, run_id, event_ids, decision_ids, details");
  }
  auto text = [&](const char* key, std::string* out) -> Status {
    const auto* value = json::GetMember(d, key);
    if (!value) return Status::Ok();
    if (!value->IsString()) return Bad(where + "/" + key, "expected a string");
    *out = std::string(value->GetString(), value->GetStringLength());
    return Status::Ok();
  };
  OEP_RETURN_IF_ERROR(text("msg", &f.message));
  OEP_RETURN_IF_ERROR(text("severity", &f.severity));
  OEP_RETURN_IF_ERROR(text("run_id", &f.run_id));
  if (!IsSeverity(f.severity)) return Bad(where + "/severity", "expected low, medium, high or critical, found \"" + f.severity + "\"");
  for (const char* key : {"event_ids", "decision_ids"}) {
    auto value = v.Get(rego::Value::String(key));
    if (!value) continue;
    OEP_RETURN_IF_ERROR(StringList(*value, where + "/" + key, std::string(key) == "event_ids" ? &f.event_ids : &f.decision_ids));
  }
  if (const auto* details = json::GetMember(d, "details")) f.details_json = json::CanonicalText(*details);
  return f;
}

std::string ViolationId(const ViolationFinding& f) {
  rapidjson::Document d(rapidjson::kObjectType);
  auto& a = d.GetAllocator();
  auto str = [&a](const std::string& s) { return rapidjson::Value(s.c_str(), static_cast<rapidjson::SizeType>(s.size()), a); };
  d.AddMember("monitor", str(f.monitor), a);
  d.AddMember("policy_version", str(f.policy_version), a);
  d.AddMember("rule", str(f.rule), a);
  d.AddMember("message", str(f.message), a);
  d.AddMember("run_id", str(f.run_id), a);
  rapidjson::Value events(rapidjson::kArrayType), decisions(rapidjson::kArrayType);
  for (const auto& id : f.event_ids) events.PushBack(str(id), a);
  for (const auto& id : f.decision_ids) decisions.PushBack(str(id), a);
  d.AddMember("event_ids", events, a);
  d.AddMember("decision_ids", decisions, a);
  return "vio_" + crypto::Sha256Hex(json::CanonicalText(d));
}

}  // namespace

bool IsSeverity(const std::string& s) { return s == "low" || s == "medium" || s == "high" || s == "critical"; }

MonitorSet::~MonitorSet() = default;

std::vector<std::string> MonitorSet::Names() const {
  std::vector<std::string> out;
  for (const auto& m : monitors_) out.push_back(m->name);
  return out;
}

Result<std::unique_ptr<MonitorSet>> MonitorSet::Load(const std::vector<std::string>& paths) {
  std::unique_ptr<MonitorSet> set(new MonitorSet());
  std::set<std::string> names;
  for (const auto& path : paths) {
    std::error_code ec;
    if (!fs::exists(path, ec)) return Bad(path, "no such monitor file or folder");
    auto version = MonitorVersion(path);
    if (!version.ok()) return version.status();
    auto loaded = rego::LoadPolicy({path});
    if (auto* error = std::get_if<rego::RegoError>(&loaded)) return Bad(path, error->Text());
    std::shared_ptr<rego::Engine> engine = std::move(std::get<rego::LoadedPolicy>(loaded).engine);
    std::map<std::string, std::set<std::string>> rules_by_package;
    for (const auto& module : engine->Modules()) {
      for (const auto& rule : module.rules) {
        if (rule->path.size() != module.package.size() + 1) continue;
        const std::string& head = rule->path.back();
        if (head != "violation" && head != "deny") continue;
        if (rule->kind != rego::RuleKind::kPartialSet) {
          return Bad(module.file + ":" + std::to_string(rule->loc.row),
                     head + " must be a set (`" + head + " contains x if ...`)");
        }
        rules_by_package[JoinDots(module.package)].insert(head);
      }
    }
    if (rules_by_package.empty()) return Bad(path, "no monitor: no package defines a violation or deny set");
    for (const auto& [package, rules] : rules_by_package) {
      if (!names.insert(package).second) return Bad(path, "monitor " + package + " is loaded twice");
      auto m = std::make_unique<Monitor>();
      m->name = package;
      m->policy_version = *version;
      m->engine = engine;
      m->rules.assign(rules.begin(), rules.end());
      set->monitors_.push_back(std::move(m));
    }
  }
  return set;
}

Result<TenantMonitors> TenantMonitors::Load(const std::vector<std::string>& specs) {
  std::vector<std::string> every;
  std::map<std::string, std::vector<std::string>> own;
  for (const auto& spec : specs) {
    size_t eq = spec.find('=');
    if (eq != std::string::npos && ValidateTenantName(std::string_view(spec).substr(0, eq)).ok()) {
      own[spec.substr(0, eq)].push_back(spec.substr(eq + 1));
    } else {
      every.push_back(spec);
    }
  }
  TenantMonitors out;
  if (!every.empty()) {
    auto set = MonitorSet::Load(every);
    if (!set.ok()) return set.status();
    out.all_ = std::move(*set);
  }
  for (auto& [tenant, paths] : own) {
    paths.insert(paths.begin(), every.begin(), every.end());
    auto set = MonitorSet::Load(paths);
    if (!set.ok()) return set.status().WithContext(tenant);
    out.own_.emplace(tenant, std::move(*set));
  }
  return out;
}

const MonitorSet* TenantMonitors::For(std::string_view tenant) const {
  auto it = own_.find(tenant);
  return it != own_.end() ? it->second.get() : all_.get();
}

Result<std::vector<ViolationFinding>> EvaluateMonitors(const MonitorSet& monitors, const rapidjson::Value& input) {
  return EvaluateMonitors(monitors, rego::Value::FromRapid(input));
}

Result<std::vector<ViolationFinding>> EvaluateMonitors(const MonitorSet& monitors, const rego::Value& in) {
  std::vector<ViolationFinding> out;
  for (const auto& m : monitors.monitors()) {
    for (const auto& rule : m->rules) {
      auto query = rego::ParseQuery("data." + m->name + "." + rule);
      if (auto* error = std::get_if<rego::RegoError>(&query)) return Bad("monitor " + m->name, error->Text());
      rego::EvalOptions options;
      options.max_steps = 5'000'000;
      options.max_memory_bytes = int64_t{256} << 20;
      auto results = m->engine->Query(std::get<rego::Body>(query), in, options);
      if (auto* error = std::get_if<rego::RegoError>(&results)) return Bad("monitor " + m->name, error->Text());
      for (const auto& result : std::get<std::vector<rego::QueryResult>>(results)) {
        if (result.expressions.empty()) continue;
        const rego::Value& set = result.expressions[0];
        if (set.kind() != rego::Kind::kSet) return Bad("monitor " + m->name + ": " + rule, "expected a set");
        for (const auto& element : set.set()) {
          auto finding = Finding(*m, rule, element);
          if (!finding.ok()) return finding.status();
          out.push_back(std::move(*finding));
        }
      }
    }
  }
  return out;
}

Result<std::vector<rapidjson::Document>> NewViolationRecords(Store& store, const std::vector<ViolationFinding>& findings) {
  std::vector<rapidjson::Document> out;
  std::string now = NowUtcMicros();
  std::set<std::string> seen;
  for (const auto& f : findings) {
    std::string id = ViolationId(f);
    if (!seen.insert(id).second) continue;
    auto exists = store.Exists(ArtifactKind::kMonitorViolation, id);
    if (!exists.ok()) return exists.status();
    if (*exists) continue;  // flagged before (its first record keeps its time)
    rapidjson::Document& d = out.emplace_back(rapidjson::kObjectType);
    auto& a = d.GetAllocator();
    auto str = [&a](const std::string& s) { return rapidjson::Value(s.c_str(), static_cast<rapidjson::SizeType>(s.size()), a); };
    d.AddMember("schema_version", "oep.monitor_violation.v0", a);
    d.AddMember("violation_id", str(id), a);
    d.AddMember("created_at", str(now), a);
    d.AddMember("monitor", str(f.monitor), a);
    d.AddMember("policy_version", str(f.policy_version), a);
    d.AddMember("rule", str(f.rule), a);
    d.AddMember("message", str(f.message), a);
    d.AddMember("severity", str(f.severity), a);
    if (!f.run_id.empty()) d.AddMember("run_id", str(f.run_id), a);
    rapidjson::Value events(rapidjson::kArrayType), decisions(rapidjson::kArrayType);
    for (const auto& e : f.event_ids) events.PushBack(str(e), a);
    for (const auto& e : f.decision_ids) decisions.PushBack(str(e), a);
    d.AddMember("event_ids", events, a);
    d.AddMember("decision_ids", decisions, a);
    if (!f.details_json.empty()) {
      auto details = json::Parse(f.details_json);
      if (!details.ok()) return details.status();
      rapidjson::Value v;
      v.CopyFrom(*details, a);
      d.AddMember("details", v, a);
    }
  }
  return out;
}

Result<std::vector<rapidjson::Document>> StoreViolations(Store& store, const std::vector<ViolationFinding>& findings,
                                                         const std::string& source) {
  if (findings.empty()) return std::vector<rapidjson::Document>();
  auto records = NewViolationRecords(store, findings);
  if (!records.ok() || records->empty()) return records;
  auto ingester = Ingester::Begin(store);
  if (!ingester.ok()) return ingester.status();
  (*ingester)->SetRedaction(nullptr);  // oep's own records
  for (const auto& r : *records) OEP_RETURN_IF_ERROR((*ingester)->AddRecord(r, {source, 0, ""}));
  OEP_RETURN_IF_ERROR((*ingester)->Commit());
  return records;
}

Result<std::vector<rapidjson::Document>> MonitorBatch(const MonitorSet& monitors, Store& store, Ingester& ingester,
                                                      const std::string& source,
                                                      const std::vector<const rapidjson::Value*>& drops) {
  // The input is built straight from the canonical bodies (no rapidjson tree in between:
  // that and its conversion were most of a monitored batch's cost).
  rego::Array events, decisions, drop_values;
  for (const ArtifactRecord& r : ingester.inserted()) {
    bool event = r.spec->kind == ArtifactKind::kAgentStepEvent, decision = r.spec->kind == ArtifactKind::kPermissionPacket;
    if (!event && !decision) continue;
    auto value = rego::ReadJsonValueText(r.body, r.id);
    if (!value.ok()) return Status::Corruption(r.id + ": its canonical body does not parse: " + value.status().message());
    (event ? events : decisions).push_back(std::move(*value));
  }
  for (const rapidjson::Value* d : drops) drop_values.push_back(rego::Value::FromRapid(*d));
  if (events.empty() && decisions.empty() && drop_values.empty()) return std::vector<rapidjson::Document>();
  rego::Object input;
  input.emplace(rego::Value::String("decisions"), rego::Value::MakeArray(std::move(decisions)));
  input.emplace(rego::Value::String("drops"), rego::Value::MakeArray(std::move(drop_values)));
  input.emplace(rego::Value::String("events"), rego::Value::MakeArray(std::move(events)));
  auto found = EvaluateMonitors(monitors, rego::Value::MakeObject(std::move(input)));
  if (!found.ok()) return found.status();
  auto records = NewViolationRecords(store, *found);
  if (!records.ok()) return records.status();
  Validator validator;
  std::vector<ArtifactRecord> built;
  for (const auto& r : *records) {
    auto record = BuildRecord(r, source, "", validator);
    if (!record.ok()) return record.status();
    built.push_back(std::move(*record));
  }
  for (const auto& r : built) OEP_RETURN_IF_ERROR(ingester.AddBuiltRecord(r, {source, 0, ""}));
  return records;
}

namespace {

Status AppendStored(Store& store, ArtifactKind kind, const std::string& id, rapidjson::Value& array, Alloc& a) {
  auto row = store.Get(kind, id);
  if (!row.ok()) return row.status();
  if (!*row) return Status::Ok();
  auto doc = json::Parse((*row)->body);
  if (!doc.ok()) return doc.status().WithContext(id + " as stored");
  rapidjson::Value v;
  v.CopyFrom(*doc, a);
  array.PushBack(v, a);
  return Status::Ok();
}

}  // namespace

Result<rapidjson::Document> BatchInput(Store& store, const std::vector<std::string>& event_ids,
                                       const std::vector<std::string>& decision_ids,
                                       const std::vector<std::string>& drop_payloads_json) {
  rapidjson::Document d(rapidjson::kObjectType);
  auto& a = d.GetAllocator();
  rapidjson::Value events(rapidjson::kArrayType), decisions(rapidjson::kArrayType), drops(rapidjson::kArrayType);
  for (const auto& id : event_ids) OEP_RETURN_IF_ERROR(AppendStored(store, ArtifactKind::kAgentStepEvent, id, events, a));
  for (const auto& id : decision_ids) {
    OEP_RETURN_IF_ERROR(AppendStored(store, ArtifactKind::kPermissionPacket, id, decisions, a));
  }
  for (const auto& text : drop_payloads_json) {
    auto drop = json::Parse(text);
    if (!drop.ok()) return drop.status().WithContext("drop payload");
    rapidjson::Value v;
    v.CopyFrom(*drop, a);
    drops.PushBack(v, a);
  }
  d.AddMember("events", events, a);
  d.AddMember("decisions", decisions, a);
  d.AddMember("drops", drops, a);
  return d;
}

Result<std::vector<ViolationFinding>> TestMonitorsOnHistory(Store& store, const MonitorSet& monitors) {
  // Event ids by run, then each run's input built from the store.
  std::map<std::string, std::vector<std::string>> events_by_run;
  std::map<std::string, std::vector<std::string>> decisions_by_run;
  OEP_RETURN_IF_ERROR(store.ForEach(ArtifactKind::kAgentStepEvent, [&](const StoredArtifact& row) -> Status {
    auto doc = json::Parse(row.body);
    if (!doc.ok()) return doc.status().WithContext(row.id + " as stored");
    events_by_run[json::GetString(*doc, "trace_id")].push_back(row.id);
    return Status::Ok();
  }));
  OEP_RETURN_IF_ERROR(store.ForEach(ArtifactKind::kPermissionPacket, [&](const StoredArtifact& row) -> Status {
    auto doc = json::Parse(row.body);
    if (!doc.ok()) return doc.status().WithContext(row.id + " as stored");
    decisions_by_run[json::GetString(*doc, "trace_id")].push_back(row.id);
    return Status::Ok();
  }));
  for (const auto& [run, ids] : decisions_by_run) events_by_run[run];  // runs with decisions only
  std::vector<ViolationFinding> out;
  for (const auto& [run, ids] : events_by_run) {
    auto input = BatchInput(store, ids, decisions_by_run[run], {});
    if (!input.ok()) return input.status();
    auto found = EvaluateMonitors(monitors, *input);
    if (!found.ok()) return found.status();
    for (auto& f : *found) out.push_back(std::move(f));
  }
  return out;
}

Result<std::vector<StoredArtifact>> ListViolations(Store& store, const ViolationFilter& filter, const std::string& after,
                                                   int limit) {
  if (!filter.severity.empty() && !IsSeverity(filter.severity)) {
    return Status::InvalidArgument("severity: expected low, medium, high or critical, found \"" + filter.severity + "\"");
  }
  if (!filter.since.empty() && !ParseRfc3339Ns(filter.since)) {
    return Status::InvalidArgument("since: expected an RFC 3339 time, found \"" + filter.since + "\"");
  }
  std::optional<int64_t> since = filter.since.empty() ? std::nullopt : ParseRfc3339Ns(filter.since);
  std::vector<StoredArtifact> out;
  Status s = store.ForEach(ArtifactKind::kMonitorViolation, [&](const StoredArtifact& row) -> Status {
    if (static_cast<int>(out.size()) >= limit || (!after.empty() && row.id <= after)) return Status::Ok();
    auto doc = json::Parse(row.body);
    if (!doc.ok()) return doc.status().WithContext(row.id + " as stored");
    if (!filter.monitor.empty() && json::GetString(*doc, "monitor") != filter.monitor) return Status::Ok();
    if (!filter.severity.empty() && json::GetString(*doc, "severity") != filter.severity) return Status::Ok();
    if (!filter.run_id.empty() && json::GetString(*doc, "run_id") != filter.run_id) return Status::Ok();
    if (since) {
      auto at = ParseRfc3339Ns(json::GetString(*doc, "created_at"));
      if (!at || *at < *since) return Status::Ok();
    }
    out.push_back(row);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

}  // namespace oep
