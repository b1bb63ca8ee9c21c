#include "replay/replay.h"

#include "crypto/sha256.h"
#include "json/json.h"

namespace oep {
namespace {

using rapidjson::Value;
using Alloc = rapidjson::Document::AllocatorType;

class RecordBuilder {
 public:
  RecordBuilder() : out_(rapidjson::kObjectType), a_(out_.GetAllocator()) {}

  Value Str(std::string_view s) { return Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), a_); }
  Value Copy(const Value* v) { return v ? Value(*v, a_) : Value(rapidjson::kNullType); }
  void Set(Value& obj, const char* key, Value v) { obj.AddMember(Value(key, a_), v, a_); }
  void Set(const char* key, Value v) { Set(out_, key, std::move(v)); }

  // {"digest", "source", "body"} for a stored artifact, body parsed into this record.
  Result<Value> Stored(const StoredArtifact& s) {
    auto body = json::Parse(s.body);
    if (!body.ok()) return Status::Corruption(s.source + ": stored body is not JSON: " + body.status().message());
    Value v(rapidjson::kObjectType);
    Set(v, "digest", Str(s.digest));
    Set(v, "source", Str(s.source));
    Set(v, "body", Value(*body, a_));
    return v;
  }

  rapidjson::Document& doc() { return out_; }
  Alloc& alloc() { return a_; }

 private:
  rapidjson::Document out_;
  Alloc& a_;
};

std::string Str(const Value& obj, const char* key) { return json::GetString(obj, key); }

const Value* FindSpan(const Value& trace, const std::string& span_id) {
  const Value* spans = json::GetMember(trace, "spans");
  if (spans == nullptr || !spans->IsArray()) return nullptr;
  for (const auto& span : spans->GetArray()) {
    if (json::GetString(span, "span_id") == span_id) return &span;
  }
  return nullptr;
}

}  // namespace

Result<rapidjson::Document> ReplayDecision(Store& store, std::string_view decision_id) {
  auto packet_row = store.Get(ArtifactKind::kPermissionPacket, decision_id);
  if (!packet_row.ok()) return packet_row.status();
  if (!*packet_row) return UnknownIdError(store, ArtifactKind::kPermissionPacket, decision_id, "decision");

  RecordBuilder b;
  auto packet_entry = b.Stored(**packet_row);
  if (!packet_entry.ok()) return packet_entry.status();
  const Value& packet = (*packet_entry)["body"];
  std::vector<std::string> issues;
  const bool imported = json::GetMember(packet, "opa_decision_log") != nullptr;
  Value evidence(rapidjson::kObjectType);
  // `source_lacks`: the packet's source cannot record this evidence (an imported OPA
  // decision log), so its absence is "not_recorded" rather than "missing".
  auto mark = [&](const char* what, bool present, bool source_lacks = false) {
    b.Set(evidence, what, b.Str(present ? "present" : source_lacks ? "not_recorded" : "missing"));
  };

  b.Set("schema_version", b.Str("oep.decision_replay.v0"));
  b.Set("decision_id", b.Str(decision_id));
  b.Set("decision", b.Copy(json::GetMember(packet, "decision")));
  b.Set("decision_time", b.Copy(json::GetMember(packet, "decision_time")));
  for (const char* key : {"actor", "tool", "requested_action", "resource"}) b.Set(key, b.Copy(json::GetMember(packet, key)));
  Value policy = b.Copy(json::GetMember(packet, "policy"));
  b.Set(policy, "bundle_digest", b.Copy(json::GetMember(packet, "policy_bundle_version")));

  // OPA input: inside the packet, or recorded beside it (reference v0 artifacts).
  Value opa_input(rapidjson::kNullType);
  if (const Value* inline_input = json::GetMember(packet, "opa_input")) {
    StoredArtifact s{std::string(decision_id), crypto::Sha256Digest(json::CanonicalText(*inline_input)),
                     json::CanonicalText(*inline_input), (*packet_row)->source + "#/opa_input"};
    auto v = b.Stored(s);
    if (!v.ok()) return v.status();
    opa_input = std::move(*v);
  } else {
    auto input_row = store.GetDecisionInput(decision_id);
    if (!input_row.ok()) return input_row.status();
    if (*input_row) {
      auto v = b.Stored(**input_row);
      if (!v.ok()) return v.status();
      opa_input = std::move(*v);
    }
  }
  mark("opa_input", !opa_input.IsNull());

  // Agent-step event: by the packet's event_id, else the event naming this packet.
  std::string event_id = Str(packet, "event_id");
  auto event_row = store.Get(ArtifactKind::kAgentStepEvent, event_id);
  if (!event_row.ok()) return event_row.status();
  std::optional<StoredArtifact> event_found = *event_row;
  if (!event_found) {
    auto by_ref = store.FindBy(ArtifactKind::kAgentStepEvent, "permission_packet_ref", decision_id, 1);
    if (!by_ref.ok()) return by_ref.status();
    if (!by_ref->empty()) event_found = (*by_ref)[0];
    // An OPA decision log records no agent-step events: not recorded, not a broken join.
    if (!imported) issues.push_back("event \"" + event_id + "\" named by the packet is not stored");
  }
  Value event(rapidjson::kNullType);
  bool has_replay_handle = false;
  if (event_found) {
    auto v = b.Stored(*event_found);
    if (!v.ok()) return v.status();
    event = std::move(*v);
    const Value& body = event["body"];
    for (const char* key : {"tool_call_id", "trace_id", "span_id", "release_manifest_id"}) {
      if (Str(body, key) != Str(packet, key)) {
        issues.push_back(std::string("event ") + key + " \"" + Str(body, key) + "\" differs from the packet's \"" +
                         Str(packet, key) + "\"");
      }
    }
    if (Str(body, "permission_packet_ref") != decision_id) {
      issues.push_back("event permission_packet_ref \"" + Str(body, "permission_packet_ref") +
                       "\" does not name this decision");
    }
    const Value* handle = json::GetMember(body, "replay_handle");
    has_replay_handle = handle != nullptr && handle->IsObject();
  }
  mark("event", !event.IsNull(), imported);
  mark("replay_handle", has_replay_handle);

  // Trace bundle: summary and the span of this decision.
  std::string trace_id = Str(packet, "trace_id");
  auto trace_row = store.Get(ArtifactKind::kOperationalTrace, trace_id);
  if (!trace_row.ok()) return trace_row.status();
  Value trace(rapidjson::kNullType);
  bool has_span = false;
  if (*trace_row) {
    auto parsed = json::Parse((*trace_row)->body);
    if (!parsed.ok()) return Status::Corruption((*trace_row)->source + ": stored trace is not JSON");
    trace.SetObject();
    b.Set(trace, "trace_id", b.Str(trace_id));
    b.Set(trace, "digest", b.Str((*trace_row)->digest));
    b.Set(trace, "source", b.Str((*trace_row)->source));
    for (const char* key : {"status", "scenario", "started_at", "ended_at", "replay", "evidence_loss"}) {
      if (const Value* v = json::GetMember(*parsed, key)) b.Set(trace, key, b.Copy(v));
    }
    const Value* spans = json::GetMember(*parsed, "spans");
    b.Set(trace, "span_count", Value(spans && spans->IsArray() ? spans->Size() : 0u));
    b.Set(trace, "spans", b.Copy(spans && spans->IsArray() ? spans : nullptr));  // the incident view lists them
    const Value* span = FindSpan(*parsed, Str(packet, "span_id"));
    has_span = span != nullptr;
    b.Set(trace, "span", b.Copy(span));
    if (!has_span) issues.push_back("trace " + trace_id + " has no span " + Str(packet, "span_id"));
  } else if (!imported) {
    issues.push_back("trace \"" + trace_id + "\" is not stored");
  }
  mark("trace", !trace.IsNull(), imported);
  mark("span", has_span, imported);

  // Release manifest summary: what shipped, layer by layer.
  std::string manifest_id = Str(packet, "release_manifest_id");
  auto manifest_row = store.Get(ArtifactKind::kReleaseManifest, manifest_id);
  if (!manifest_row.ok()) return manifest_row.status();
  Value manifest(rapidjson::kNullType);
  if (*manifest_row) {
    auto parsed = json::Parse((*manifest_row)->body);
    if (!parsed.ok()) return Status::Corruption((*manifest_row)->source + ": stored manifest is not JSON");
    manifest.SetObject();
    b.Set(manifest, "manifest_id", b.Str(manifest_id));
    b.Set(manifest, "digest", b.Str((*manifest_row)->digest));
    b.Set(manifest, "source", b.Str((*manifest_row)->source));
    b.Set(manifest, "created_at", b.Copy(json::GetMember(*parsed, "created_at")));
    b.Set(manifest, "release", b.Copy(json::GetMember(*parsed, "release")));
    Value layers(rapidjson::kObjectType);
    if (const Value* bindings = json::GetMember(*parsed, "layer_bindings"); bindings && bindings->IsObject()) {
      for (const auto& m : bindings->GetObject()) {
        Value layer(rapidjson::kObjectType);
        for (const char* key : {"name", "version", "uri", "digest", "binding_status"}) {
          b.Set(layer, key, b.Copy(json::GetMember(m.value, key)));
        }
        layers.AddMember(Value(m.name, b.alloc()), layer, b.alloc());
      }
    }
    b.Set(manifest, "layer_bindings", std::move(layers));
    const Value* rollback = json::GetMember(*parsed, "rollback");
    b.Set(manifest, "previous_manifest_id", b.Copy(rollback ? json::GetMember(*rollback, "previous_manifest_id") : nullptr));
  } else {
    issues.push_back("release manifest \"" + manifest_id + "\" is not stored");
  }
  mark("manifest", !manifest.IsNull());

  // Eval of the trace.
  auto evals = store.FindBy(ArtifactKind::kEvalResult, "trace_id", trace_id, 1);
  if (!evals.ok()) return evals.status();
  Value eval(rapidjson::kNullType);
  if (!evals->empty()) {
    auto parsed = json::Parse((*evals)[0].body);
    if (!parsed.ok()) return Status::Corruption((*evals)[0].source + ": stored eval is not JSON");
    eval.SetObject();
    b.Set(eval, "eval_id", b.Str((*evals)[0].id));
    b.Set(eval, "digest", b.Str((*evals)[0].digest));
    for (const char* key : {"status", "name", "summary", "checks", "metrics"}) {
      if (const Value* v = json::GetMember(*parsed, key)) b.Set(eval, key, b.Copy(v));
    }
  }
  mark("eval", !eval.IsNull());

  // Human reviews of the event, and the reconstruction packet of this decision.
  Value reviews(rapidjson::kArrayType);
  if (event_found) {
    auto rows = store.FindBy(ArtifactKind::kHumanReviewEvent, "reviewed_event_id", event_found->id, 100);
    if (!rows.ok()) return rows.status();
    for (const auto& row : *rows) {
      auto parsed = json::Parse(row.body);
      if (!parsed.ok()) return Status::Corruption(row.source + ": stored review is not JSON");
      Value r(rapidjson::kObjectType);
      b.Set(r, "event_id", b.Str(row.id));
      b.Set(r, "digest", b.Str(row.digest));
      for (const char* key : {"event_time", "event_type", "reviewer", "action"}) b.Set(r, key, b.Copy(json::GetMember(*parsed, key)));
      reviews.PushBack(r, b.alloc());
    }
  }
  auto recon_rows = store.FindBy(ArtifactKind::kReconstructionPacket, "permission_packet_id", decision_id, 1);
  if (!recon_rows.ok()) return recon_rows.status();
  Value recon(rapidjson::kNullType);
  if (!recon_rows->empty()) {
    auto parsed = json::Parse((*recon_rows)[0].body);
    if (!parsed.ok()) return Status::Corruption((*recon_rows)[0].source + ": stored packet is not JSON");
    recon.SetObject();
    b.Set(recon, "packet_id", b.Str((*recon_rows)[0].id));
    b.Set(recon, "digest", b.Str((*recon_rows)[0].digest));
    for (const char* key : {"reconstruction_status", "evidence_summary", "open_limitations"}) {
      if (const Value* v = json::GetMember(*parsed, key)) b.Set(recon, key, b.Copy(v));
    }
  }

  b.Set("policy", std::move(policy));
  b.Set("permission_packet", std::move(*packet_entry));
  b.Set("opa_input", std::move(opa_input));
  b.Set("event", std::move(event));
  b.Set("trace", std::move(trace));
  b.Set("manifest", std::move(manifest));
  b.Set("eval", std::move(eval));
  b.Set("human_reviews", std::move(reviews));
  b.Set("reconstruction", std::move(recon));
  b.Set("evidence", std::move(evidence));
  Value issue_list(rapidjson::kArrayType);
  for (const auto& i : issues) issue_list.PushBack(b.Str(i), b.alloc());
  b.Set("join_issues", std::move(issue_list));
  return std::move(b.doc());
}

}  // namespace oep
