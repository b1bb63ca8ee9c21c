#include "importers/opa_decision_log.h"

#include <algorithm>
#include <map>
#include <initializer_list>
#include <string_view>
#include <vector>

#include "crypto/sha256.h"
#include "json/json.h"
#include "json/json_lines.h"
#include "util/gzip.h"

namespace oep {
namespace {

using rapidjson::Value;

bool IdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
         c == ':' || c == '-';
}

// `s` with every character an oep id may not hold replaced by '_'.
std::string IdSafe(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (!IdChar(c)) c = '_';
  }
  return out;
}

bool IsId(const Value* v) {
  if (v == nullptr || !v->IsString() || v->GetStringLength() == 0 || v->GetStringLength() > 256) return false;
  std::string_view s(v->GetString(), v->GetStringLength());
  return s[0] != '_' && s[0] != '.' && s[0] != ':' && s[0] != '-' && std::all_of(s.begin(), s.end(), IdChar);
}

bool IsLowerHex(const Value* v, size_t length) {
  if (v == nullptr || !v->IsString() || v->GetStringLength() != length) return false;
  std::string_view s(v->GetString(), length);
  return std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// `v` when it is an object whose `keys` are all non-empty strings (oep's shape for it).
const Value* ShapedObject(const Value* v, std::initializer_list<const char*> keys) {
  if (v == nullptr || !v->IsObject()) return nullptr;
  for (const char* k : keys) {
    const Value* m = json::GetMember(*v, k);
    if (m == nullptr || !m->IsString() || m->GetStringLength() == 0) return nullptr;
  }
  return v;
}

// "data.a.b" / "data/a/b" / "/a/b" / "a.b" -> "a/b": the decision path as OPA logs it.
std::string NormalizePath(std::string p) {
  if (p.rfind("data.", 0) == 0 || p.rfind("data/", 0) == 0) p = p.substr(5);
  while (!p.empty() && p.front() == '/') p.erase(p.begin());
  if (p.find('/') == std::string::npos) std::replace(p.begin(), p.end(), '.', '/');
  return p;
}

// "a/b/c" -> "data.a.b": the package of the rule the path names.
std::string PackageOf(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string seg = path.substr(start, end - start);
    for (char& c : seg) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') c = '_';
    }
    if (!seg.empty()) parts.push_back(std::isdigit(static_cast<unsigned char>(seg[0])) ? "_" + seg : seg);
    start = end + 1;
  }
  if (parts.size() > 1) parts.pop_back();
  std::string out = "data";
  for (const auto& p : parts) out += "." + p;
  return parts.empty() ? "data.unknown" : out;
}

// The JSON pointers the decision logger erased or masked under `root` ("/input"), each
// with how ("erased" / "masked").
std::vector<std::pair<std::string, std::string>> Redacted(const Value& event, std::string_view root) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const char* how : {"erased", "masked"}) {
    const Value* ptrs = json::GetMember(event, how);
    if (ptrs == nullptr || !ptrs->IsArray()) continue;
    for (const auto& p : ptrs->GetArray()) {
      if (!p.IsString()) continue;
      std::string_view s(p.GetString(), p.GetStringLength());
      if (s == root || (s.size() > root.size() && s.substr(0, root.size()) == root && s[root.size()] == '/')) {
        out.emplace_back(how, std::string(s));
      }
    }
  }
  return out;
}

bool TouchesResult(const Value& event) { return !Redacted(event, "/result").empty(); }


// What an event says about the release it was decided under: its bundles (name ->
// revision) and labels, canonical. Events with the same release share one manifest.
std::string ReleaseFacts(const Value& event) {
  rapidjson::Document facts(rapidjson::kObjectType);
  auto& a = facts.GetAllocator();
  for (const char* key : {"bundles", "labels", "revision"}) {
    if (const Value* v = json::GetMember(event, key)) facts.AddMember(Value(key, a), Value(*v, a), a);
  }
  return json::CanonicalText(facts);
}

std::string ImportedManifestId(const Value& event) {
  return "rmf_opa_" + crypto::Sha256Hex(ReleaseFacts(event)).substr(0, 20);
}

// The release manifest recorded for decisions imported without --manifest: the policy
// layer declared from the logged bundle revisions (its digest is the packets'
// policy_bundle_version), every layer the log does not carry marked not recorded.
rapidjson::Document ImportedManifest(const Value& event, const std::string& policy_digest, const std::string& created_at) {
  rapidjson::Document m(rapidjson::kObjectType);
  auto& a = m.GetAllocator();
  auto str = [&](const std::string& s) { return Value(s.c_str(), static_cast<rapidjson::SizeType>(s.size()), a); };
  m.AddMember("schema_version", "oep.release_manifest.v0", a);
  m.AddMember("manifest_id", str(ImportedManifestId(event)), a);
  m.AddMember("created_at", str(created_at), a);
  Value release(rapidjson::kObjectType);
  const Value* labels = json::GetMember(event, "labels");
  std::string id = labels ? json::GetString(*labels, "id") : "";
  release.AddMember("name", str(id.empty() ? "opa" : "opa " + id), a);
  release.AddMember("version", str(ReleaseFacts(event)), a);
  release.AddMember("status", "imported", a);
  m.AddMember("release", release, a);
  Value layers(rapidjson::kObjectType);
  for (const char* layer : {"model", "prompt", "tool_schema", "policy", "workflow", "rollout", "eval", "data_state"}) {
    bool policy = std::string_view(layer) == "policy";
    Value b(rapidjson::kObjectType);
    b.AddMember("layer_type", Value(layer, a), a);
    b.AddMember("name", policy ? str("opa bundles") : Value("not recorded", a), a);
    b.AddMember("version", policy ? str(ReleaseFacts(event)) : Value("not recorded", a), a);
    b.AddMember("uri", policy ? Value("opa-decision-log:bundles", a) : Value("not-recorded:", a), a);
    b.AddMember("digest", policy ? str(policy_digest) : str("sha256:" + std::string(64, '0')), a);
    b.AddMember("binding_status", Value(policy ? "declared" : "not_recorded", a), a);
    b.AddMember("notes", policy ? Value("the digest is over the logged bundle revisions: the log has no bundle bytes", a)
                                : Value("an OPA decision log does not record this layer", a), a);
    layers.AddMember(Value(layer, a), b, a);
  }
  m.AddMember("layer_bindings", layers, a);
  Value claims(rapidjson::kArrayType);
  claims.PushBack("recorded by oep import opa-decision-log from what the log carries (bundle revisions, labels); "
                  "created_at is the earliest decision imported with it", a);
  m.AddMember("claim_boundaries", claims, a);
  return m;
}

class PacketBuilder {
 public:
  explicit PacketBuilder(const OpaDecisionLogOptions& options) : options_(options) {}

  // The packet for one event; errors name `where` + `pointer` + the member and what was expected.
  Result<rapidjson::Document> Build(const Value& event, const std::string& where, const std::string& pointer) {
    auto bad = [&](const std::string& member, const std::string& expected) {
      return Status::InvalidArgument(where + ": " + pointer + "/" + member + ": expected " + expected);
    };
    const Value* decision_id = json::GetMember(event, "decision_id");
    if (decision_id == nullptr || !decision_id->IsString() || decision_id->GetStringLength() == 0) {
      return bad("decision_id", "the event's decision id (a non-empty string)");
    }
    const Value* timestamp = json::GetMember(event, "timestamp");
    if (timestamp == nullptr || !timestamp->IsString()) return bad("timestamp", "the decision time (an RFC 3339 string)");
    std::string path;
    if (const Value* p = json::GetMember(event, "path"); p && p->IsString()) path = NormalizePath(p->GetString());
    else if (const Value* q = json::GetMember(event, "query"); q && q->IsString()) path = q->GetString();
    if (path.empty()) return bad("path", "the decision path (or an ad-hoc \"query\") as a non-empty string");
    if (TouchesResult(event)) {
      return Status::InvalidArgument(where + ": " + pointer +
                                     "/result: the decision logger erased or masked the result, so the recorded "
                                     "decision is unknown and cannot be compared");
    }

    rapidjson::Document packet(rapidjson::kObjectType);
    auto& a = packet.GetAllocator();
    auto str = [&](std::string_view s) { return Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), a); };
    auto copy = [&](const Value& v) { return Value(v, a); };
    const Value* input = json::GetMember(event, "input");
    const Value* in = input && input->IsObject() ? input : nullptr;
    auto from_input = [&](const char* key) { return in ? json::GetMember(*in, key) : nullptr; };
    std::string fallback_id = "opa_dl_" + IdSafe(std::string_view(decision_id->GetString(), decision_id->GetStringLength()));

    packet.AddMember("schema_version", "oep.tool_permission_packet.v0", a);
    packet.AddMember("packet_id", str("pder_opa_" + IdSafe(decision_id->GetString())), a);
    packet.AddMember("decision_time", copy(*timestamp), a);
    packet.AddMember("release_manifest_id", str(options_.manifest_id.empty() ? ImportedManifestId(event) : options_.manifest_id), a);
    for (const char* key : {"event_id", "tool_call_id"}) {
      const Value* v = from_input(key);
      packet.AddMember(Value(key, a), IsId(v) ? copy(*v) : str(fallback_id), a);
    }
    for (auto [key, length] : {std::pair{"trace_id", size_t{32}}, std::pair{"span_id", size_t{16}}}) {
      const Value* v = json::GetMember(event, key);
      if (!IsLowerHex(v, length)) v = from_input(key);
      // W3C trace context: an all-zero id means "no trace recorded".
      packet.AddMember(Value(key, a), IsLowerHex(v, length) ? copy(*v) : str(std::string(length, '0')), a);
    }
    if (const Value* actor = ShapedObject(from_input("actor"), {"type", "id"})) {
      packet.AddMember("actor", copy(*actor), a);
    } else {
      Value actor_v(rapidjson::kObjectType);
      std::string by = json::GetString(event, "requested_by");
      actor_v.AddMember("type", "opa_client", a);
      actor_v.AddMember("id", str(by.empty() ? "unrecorded" : by), a);
      packet.AddMember("actor", actor_v, a);
    }
    auto shaped_or = [&](const char* key, const Value* shaped, const char* kind_key, const char* kind, const char* name_key) {
      if (shaped) {
        packet.AddMember(Value(key, a), copy(*shaped), a);
        return;
      }
      Value v(rapidjson::kObjectType);
      v.AddMember(Value(kind_key, a), Value(kind, a), a);
      v.AddMember(Value(name_key, a), str(path), a);
      packet.AddMember(Value(key, a), v, a);
    };
    shaped_or("tool", ShapedObject(from_input("tool"), {"name", "operation"}), "operation", "opa_decision", "name");
    shaped_or("requested_action", ShapedObject(from_input("action"), {"action_type"}), "action_type", "opa_decision", "name");
    shaped_or("resource", ShapedObject(from_input("resource"), {"type", "id"}), "type", "opa_decision_path", "id");

    packet.AddMember("decision", DecisionBlock(json::GetMember(event, "result"), a), a);

    Value policy(rapidjson::kObjectType);
    policy.AddMember("engine", "opa", a);
    policy.AddMember("package", str(PackageOf(path)), a);
    const Value* labels = json::GetMember(event, "labels");
    std::string policy_id = labels ? json::GetString(*labels, "id") : "";
    policy.AddMember("policy_id", str(policy_id.empty() ? "opa" : policy_id), a);
    policy.AddMember("policy_uri", str("opa decision path " + path), a);
    policy.AddMember("policy_version", str(Revisions(event)), a);
    packet.AddMember("policy", policy, a);
    // The log names bundle revisions, not bundle bytes: the digest is over the revisions.
    const Value* bundles = json::GetMember(event, "bundles");
    std::string revisions_json = bundles ? json::CanonicalText(*bundles) : json::CanonicalText(str(Revisions(event)));
    packet.AddMember("policy_bundle_version", str(crypto::Sha256Digest(revisions_json)), a);
    if (in) packet.AddMember("opa_input", copy(*in), a);
    if (const Value* cache = json::GetMember(event, "nd_builtin_cache"); cache && cache->IsObject()) {
      packet.AddMember("nd_builtin_cache", copy(*cache), a);
    }
    Value log(rapidjson::kObjectType);
    for (const auto& m : event.GetObject()) {
      std::string_view name(m.name.GetString(), m.name.GetStringLength());
      if (name == "input" || name == "nd_builtin_cache") continue;
      log.AddMember(copy(m.name), copy(m.value), a);
    }
    packet.AddMember("opa_decision_log", log, a);
    packet.AddMember("claim_boundary",
                     str("imported from an OPA decision log: fields OPA does not log are marked as not recorded "
                         "(zero trace and span ids, opa_dl_ event and tool-call ids, the decision path as tool and "
                         "resource)"),
                     a);
    return packet;
  }

 private:
  // The packet's decision block: a summary of the logged result (which the packet keeps
  // whole in opa_decision_log and which replay compares).
  static Value DecisionBlock(const Value* result, rapidjson::Document::AllocatorType& a) {
    Value d(rapidjson::kObjectType);
    auto text = [&](const Value* v, const char* fallback) {
      return v && v->IsString() && v->GetStringLength() > 0 ? Value(*v, a) : Value(fallback, a);
    };
    if (result == nullptr) {
      d.AddMember("allow", false, a);
      d.AddMember("matched_rule", "undefined", a);
      d.AddMember("reason", "OPA logged no result: the decision was undefined", a);
    } else if (result->IsBool()) {
      d.AddMember("allow", result->GetBool(), a);
      d.AddMember("matched_rule", "unreported", a);
      d.AddMember("reason", "", a);
    } else if (const Value* allow = result->IsObject() ? json::GetMember(*result, "allow") : nullptr;
               allow && allow->IsBool()) {
      d.AddMember("allow", allow->GetBool(), a);
      d.AddMember("matched_rule", text(json::GetMember(*result, "matched_rule"), "unreported"), a);
      d.AddMember("reason", text(json::GetMember(*result, "reason"), ""), a);
      if (const Value* code = json::GetMember(*result, "decision_code"); code && code->IsString()) {
        d.AddMember("decision_code", Value(*code, a), a);
      }
    } else {
      d.AddMember("matched_rule", "unreported", a);
      d.AddMember("reason", "OPA logged a result that is not an allow/deny decision; it is compared as a value", a);
    }
    return d;
  }

  // "name@revision, ..." of the event's bundles (sorted), or its legacy "revision".
  static std::string Revisions(const Value& event) {
    std::vector<std::string> out;
    if (const Value* bundles = json::GetMember(event, "bundles"); bundles && bundles->IsObject()) {
      for (const auto& m : bundles->GetObject()) {
        out.push_back(std::string(m.name.GetString()) + "@" + json::GetString(m.value, "revision"));
      }
    }
    std::sort(out.begin(), out.end());
    std::string joined;
    for (const auto& r : out) joined += (joined.empty() ? "" : ", ") + r;
    if (joined.empty()) joined = json::GetString(event, "revision");
    return joined.empty() ? "unrecorded" : joined;
  }

  const OpaDecisionLogOptions& options_;
};

class Importer {
 public:
  Importer(Store& store, Ingester& ingester, const OpaDecisionLogOptions& options, const std::string& file)
      : store_(store), ingester_(ingester), options_(options), file_(file), builder_(options) {}

  Status AddEvent(const Value& event, int line, const std::string& pointer) {
    RecordLocation loc{file_, line, pointer};
    if (!event.IsObject()) return Status::InvalidArgument(loc.Where() + ": " + pointer + ": expected a decision-log event (an object)");
    if (const Value* msg = json::GetMember(event, "msg"); msg && msg->IsString() && std::string_view(msg->GetString()) != "Decision Log") {
      ++report_.other_lines;  // another console log line
      return Status::Ok();
    }
    ++report_.events;
    if (!options_.path.empty()) {
      std::string path = NormalizePath(json::GetString(event, "path"));
      if (path != NormalizePath(options_.path)) {
        ++report_.other_paths;
        return Status::Ok();
      }
    }
    auto packet = builder_.Build(event, loc.Where(), pointer);
    if (!packet.ok()) return packet.status();
    if (options_.manifest_id.empty()) OEP_RETURN_IF_ERROR(AddManifest(event, *packet, loc));
    Status added = ingester_.AddRecord(*packet, loc);
    if (!added.ok()) {
      return Status::InvalidArgument(loc.Where() + ": decision-log event " + json::GetString(event, "decision_id") +
                                     " does not make a valid permission packet: " + added.message());
    }
    const Value* input = json::GetMember(event, "input");
    if (input && !input->IsObject()) {  // OPA inputs may be any JSON; oep keeps them beside the packet
      OEP_RETURN_IF_ERROR(ingester_.AddDecisionInput(json::GetString(*packet, "packet_id"), *input, loc.Source() + "/input"));
    }
    ++report_.imported;
    if (!DecisionLogInputRedactions(json::GetMember(*packet, "opa_decision_log") ? (*packet)["opa_decision_log"] : *packet).empty()) ++report_.redacted;
    return Status::Ok();
  }

  OpaDecisionLogReport& report() { return report_; }

  // Adds the release manifest of a packet imported without --manifest unless the store
  // or this batch has it: re-importing the same release is a no-op, whatever the file.
  Status AddManifest(const Value& event, const Value& packet, const RecordLocation& loc) {
    std::string id = json::GetString(packet, "release_manifest_id");
    auto it = manifests_.find(id);
    if (it == manifests_.end()) {
      auto stored = store_.Exists(ArtifactKind::kReleaseManifest, id);
      if (!stored.ok()) return stored.status();
      it = manifests_.emplace(id, Pending{*stored, {}, {}, {}}).first;
    }
    Pending& p = it->second;
    if (p.stored) return Status::Ok();
    std::string time = json::GetString(packet, "decision_time");
    if (p.created_at.empty() || time < p.created_at) {
      p.created_at = time;
      p.doc = ImportedManifest(event, json::GetString(packet, "policy_bundle_version"), time);
      p.loc = loc;
    }
    return Status::Ok();
  }

  // Adds the manifests collected by AddManifest (one per release, created at its earliest decision).
  Status AddPendingManifests() {
    for (auto& [id, p] : manifests_) {
      if (p.stored) continue;
      OEP_RETURN_IF_ERROR(ingester_.AddRecord(p.doc, p.loc));
    }
    return Status::Ok();
  }

 private:
  struct Pending {
    bool stored = false;
    std::string created_at;
    rapidjson::Document doc;
    RecordLocation loc;
  };
  std::map<std::string, Pending> manifests_;
  Store& store_;
  Ingester& ingester_;
  const OpaDecisionLogOptions& options_;
  std::string file_;
  PacketBuilder builder_;
  OpaDecisionLogReport report_;
};

}  // namespace

std::vector<std::string> DecisionLogInputRedactions(const rapidjson::Value& log) {
  std::vector<std::string> out;
  for (const auto& [how, ptr] : Redacted(log, "/input")) {
    out.push_back("the OPA decision logger " + how + " " + ptr + ", so the recorded input is not the input the policy saw");
  }
  return out;
}

Result<OpaDecisionLogReport> ImportOpaDecisionLog(Store& store, const std::string& file,
                                                  const OpaDecisionLogOptions& options) {
  auto text = ReadBoundedText(file, {options.max_total_bytes, kMaxRecordBytes});
  if (!text.ok()) return text.status();
  return ImportOpaDecisionLogText(store, *text, file, options);
}

Result<OpaDecisionLogReport> ImportOpaDecisionLogText(Store& store, std::string_view text, const std::string& file,
                                                      const OpaDecisionLogOptions& options) {
  auto ingester = Ingester::Begin(store);
  if (!ingester.ok()) return ingester.status();
  if (options.redaction) (*ingester)->SetRedaction(options.redaction);
  Importer importer(store, **ingester, options, file);
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && text[first] == '[') {
    auto doc = json::Parse(text);
    if (!doc.ok()) return doc.status().WithContext(file);
    for (rapidjson::SizeType i = 0; i < doc->Size(); ++i) {
      OEP_RETURN_IF_ERROR(importer.AddEvent((*doc)[i], 0, "/" + std::to_string(i)));
      if (options.progress && (i + 1) % 1024 == 0) options.progress(i + 1, doc->Size());
    }
  } else {
    OEP_RETURN_IF_ERROR(json::ForEachLine(text, [&](std::string_view line, int64_t line_no) {
      auto doc = json::Parse(line);
      if (!doc.ok()) {
        return Status::InvalidArgument(file + ": line " + std::to_string(line_no) +
                                       ": expected a JSON decision-log event or console log line: " + doc.status().message());
      }
      if (Status added = importer.AddEvent(*doc, static_cast<int>(line_no), ""); !added.ok()) return added;
      if (options.progress && line_no % 1024 == 0) options.progress(importer.report().events, 0);
      return Status::Ok();
    }));
  }
  if (options.progress) options.progress(importer.report().events, importer.report().events);
  if (importer.report().events == 0) {
    return Status::InvalidArgument(file + ": no OPA decision-log events (expected a JSON array of events or JSON lines)");
  }
  OEP_RETURN_IF_ERROR(importer.AddPendingManifests());
  OEP_RETURN_IF_ERROR((*ingester)->Commit());
  importer.report().ingest = (*ingester)->report();
  return importer.report();
}

}  // namespace oep
