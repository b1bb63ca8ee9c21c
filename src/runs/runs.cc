#include "runs/runs.h"

#include "audit/audit.h"
#include "crypto/random.h"
#include "crypto/sha256.h"
#include "ingest/ingest.h"
#include "json/json.h"
#include "ledger/ledger.h"
#include "redaction/redaction.h"

namespace oep {
namespace {

constexpr size_t kMaxTags = 32;
constexpr size_t kMaxMetadataString = 256;

Status Bad(const std::string& pointer, const std::string& expected, const rapidjson::Value* found = nullptr) {
  std::string msg = pointer + ": expected " + expected;
  if (found != nullptr) msg += ", found " + json::TypeName(*found);
  return Status::InvalidArgument(msg);
}

// A short optional string member (absent or a string of 1..256 bytes).
Result<std::string> OptionalString(const rapidjson::Value& body, const char* name) {
  const rapidjson::Value* v = json::GetMember(body, name);
  if (v == nullptr) return std::string();
  if (!v->IsString() || v->GetStringLength() == 0 || v->GetStringLength() > kMaxMetadataString) {
    return Bad(std::string("/") + name, "a string of 1 to 256 bytes", v);
  }
  return std::string(v->GetString(), v->GetStringLength());
}

Status CheckRunMembers(const rapidjson::Value& body) {
  for (const auto& m : body.GetObject()) {
    std::string name(m.name.GetString(), m.name.GetStringLength());
    if (name != "run_id" && name != "release_manifest_id" && name != "model" && name != "agent" && name != "tags" &&
        name != "metadata") {
      return Status::InvalidArgument("/" + json::EscapePointerSegment(name) +
                                     ": unknown member; expected only run_id, release_manifest_id, model, agent, tags, "
                                     "metadata");
    }
  }
  const rapidjson::Value* metadata = json::GetMember(body, "metadata");
  if (metadata != nullptr && !metadata->IsObject()) return Bad("/metadata", "an object", metadata);
  return Status::Ok();
}

Result<std::vector<std::string>> Tags(const rapidjson::Value& body) {
  std::vector<std::string> tags;
  const rapidjson::Value* v = json::GetMember(body, "tags");
  if (v == nullptr) return tags;
  if (!v->IsArray() || v->Size() > kMaxTags) return Bad("/tags", "an array of at most 32 strings", v);
  for (rapidjson::SizeType i = 0; i < v->Size(); ++i) {
    const auto& t = (*v)[i];
    if (!t.IsString() || t.GetStringLength() == 0 || t.GetStringLength() > 64) {
      return Bad("/tags/" + std::to_string(i), "a string of 1 to 64 bytes", &t);
    }
    tags.emplace_back(t.GetString(), t.GetStringLength());
  }
  return tags;
}

Result<RunSummary> MustGetRun(Store& store, const std::string& run_id) {
  auto run = store.GetRun(run_id);
  if (!run.ok()) return run.status();
  if (!*run) return Status::NotFound("no run \"" + run_id + "\"");
  return **run;
}

}  // namespace

bool IsRunId(std::string_view id) {
  if (id.size() != 32) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Result<CreatedRun> CreateRun(Store& store, const rapidjson::Value& body, const std::string& source) {
  if (!body.IsObject()) return Bad("/", "a run object", &body);
  OEP_RETURN_IF_ERROR(CheckRunMembers(body));
  RunRecord r;
  const rapidjson::Value* id = json::GetMember(body, "run_id");
  if (id != nullptr) {
    if (!id->IsString() || !IsRunId(std::string_view(id->GetString(), id->GetStringLength()))) {
      return Bad("/run_id", "32 lowercase hex digits (the run's trace id)", id);
    }
    r.run_id = id->GetString();
  } else {
    auto fresh = crypto::RandomHex(16);
    if (!fresh.ok()) return fresh.status();
    r.run_id = *fresh;
  }
  for (auto [name, field] : {std::pair{"release_manifest_id", &r.release_manifest_id}, std::pair{"model", &r.model},
                             std::pair{"agent", &r.agent}}) {
    auto v = OptionalString(body, name);
    if (!v.ok()) return v.status();
    *field = *v;
  }
  auto tags = Tags(body);
  if (!tags.ok()) return tags.status();
  r.tags = *tags;
  if (!r.release_manifest_id.empty()) {
    auto exists = store.Exists(ArtifactKind::kReleaseManifest, r.release_manifest_id);
    if (!exists.ok()) return exists.status();
    if (!*exists) {
      return Status::InvalidArgument("/release_manifest_id: unknown release manifest \"" + r.release_manifest_id +
                                     "\"; expected the id of a stored manifest (POST it to /v1/artifacts first)");
    }
  }
  // The stored body is what the client sent, with the run id: a retry has the same digest.
  rapidjson::Document doc;
  doc.CopyFrom(body, doc.GetAllocator());
  if (id == nullptr) doc.AddMember("run_id", rapidjson::Value(r.run_id.c_str(), doc.GetAllocator()), doc.GetAllocator());
  OEP_RETURN_IF_ERROR(json::Canonicalize(doc, &r.body));
  r.digest = crypto::Sha256Digest(r.body);
  r.chain_id = TenantChain(store.tenant(), ChainForTrace(r.run_id));
  r.created_at = NowUtcMicros();
  r.source = source;

  OEP_RETURN_IF_ERROR(store.BeginBatch());
  LedgerAppender ledger(store);
  CreatedRun out;
  Status s = [&]() -> Status {
    auto entry = ledger.NextEntryId();
    if (!entry.ok()) return entry.status();
    auto put = store.PutRun(r, *entry);
    if (!put.ok()) return put.status();
    out.created = *put == PutOutcome::kInserted;
    if (!out.created) return Status::Ok();
    return ledger.AppendArtifact(ChainForTrace(r.run_id), "runs", r.run_id, ContentHashOfDigest(r.digest), r.source);
  }();
  if (s.ok()) s = store.CommitBatch();
  if (!s.ok()) {
    store.RollbackBatch();
    return s;
  }
  auto run = MustGetRun(store, r.run_id);
  if (!run.ok()) return run.status();
  out.run = *run;
  return out;
}

namespace {

struct ParsedStep {
  int64_t step = 0;
  ArtifactRecord record;
  std::string pointer;  // "/steps/<i>"
};

Result<std::vector<ParsedStep>> ParseSteps(const rapidjson::Value& body, const std::string& run_id,
                                           Validator& validator, const std::string& source,
                                           const RedactionProfile& redaction) {
  if (!body.IsObject()) return Bad("/", "an object {\"steps\": [...]}", &body);
  for (const auto& m : body.GetObject()) {
    if (std::string_view(m.name.GetString(), m.name.GetStringLength()) != "steps") {
      return Status::InvalidArgument("/" + json::EscapePointerSegment(m.name.GetString()) +
                                     ": unknown member; expected only \"steps\"");
    }
  }
  const rapidjson::Value* steps = json::GetMember(body, "steps");
  if (steps == nullptr || !steps->IsArray() || steps->Empty() || steps->Size() > kMaxStepsPerBatch) {
    return Bad("/steps", "an array of 1 to " + std::to_string(kMaxStepsPerBatch) + " steps", steps);
  }
  std::vector<ParsedStep> out;
  for (rapidjson::SizeType i = 0; i < steps->Size(); ++i) {
    const auto& item = (*steps)[i];
    std::string at = "/steps/" + std::to_string(i);
    if (!item.IsObject()) return Bad(at, "a step object {\"step\", \"event\"}", &item);
    for (const auto& m : item.GetObject()) {
      std::string_view name(m.name.GetString(), m.name.GetStringLength());
      if (name != "step" && name != "event" && name != "digest") {
        return Status::InvalidArgument(at + "/" + json::EscapePointerSegment(name) +
                                       ": unknown member; expected step, event (and an ignored digest)");
      }
    }
    const rapidjson::Value* n = json::GetMember(item, "step");
    if (n == nullptr || !n->IsInt64() || n->GetInt64() < 1) return Bad(at + "/step", "an integer >= 1", n);
    ParsedStep p;
    p.step = n->GetInt64();
    p.pointer = at;
    if (!out.empty() && p.step != out.back().step + 1) {
      return Bad(at + "/step", std::to_string(out.back().step + 1) + " (steps of a batch are consecutive), found " +
                                   std::to_string(p.step));
    }
    const rapidjson::Value* event = json::GetMember(item, "event");
    if (event == nullptr || !event->IsObject()) return Bad(at + "/event", "an agent-step event object", event);
    rapidjson::Document redacted;  // what is validated, hashed and stored
    redacted.CopyFrom(*event, redacted.GetAllocator());
    ApplyRedaction(redacted, redaction, redacted.GetAllocator());
    auto record = BuildRecord(redacted, source + "#" + at + "/event", at + "/event", validator);
    if (!record.ok()) return record.status();
    if (record->spec->kind != ArtifactKind::kAgentStepEvent) {
      return Bad(at + "/event/schema_version", "oep.agent_step_event.v0");
    }
    if (json::GetString(*event, "trace_id") != run_id) {
      return Status::InvalidArgument(at + "/event/trace_id: expected the run's trace id " + run_id + ", found \"" +
                                     json::GetString(*event, "trace_id") + "\"");
    }
    if (record->body.size() > kMaxRecordBytes) {
      return Bad(at + "/event", "at most 8 MiB (8388608 bytes) per record, found " + std::to_string(record->body.size()));
    }
    p.record = std::move(*record);
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace

Result<std::vector<StepOutcome>> AppendSteps(Store& store, const std::string& run_id, const rapidjson::Value& body,
                                             const std::string& source, const RedactionProfile* redaction,
                                             const std::function<Status(Ingester&)>& before_commit) {
  auto run = MustGetRun(store, run_id);
  if (!run.ok()) return run.status();
  Validator validator;
  auto steps = ParseSteps(body, run_id, validator, source, redaction ? *redaction : DefaultRedactionProfile());
  if (!steps.ok()) return steps.status();
  auto ingester = Ingester::Begin(store);  // reads below see the batch's own snapshot
  if (!ingester.ok()) return ingester.status();
  if (before_commit) (*ingester)->KeepInserted();
  // Re-read under the write lock: another batch may have finished the run or added steps.
  run = MustGetRun(store, run_id);
  if (!run.ok()) return run.status();
  if (run->finished) return Status::Conflict("run " + run_id + " is finished (its chain is sealed); no steps can be added");
  auto last = store.LastRunStep(run_id);
  if (!last.ok()) return last.status();
  std::vector<StepOutcome> out;
  for (const auto& p : *steps) {
    StepOutcome o{p.step, p.record.id, p.record.digest, false};
    if (p.step <= *last) {
      auto stored = store.GetRunStep(run_id, p.step);
      if (!stored.ok()) return stored.status();
      if (!*stored || (*stored)->digest != p.record.digest || (*stored)->event_id != p.record.id) {
        return Status::Conflict(p.pointer + ": step " + std::to_string(p.step) + " of run " + run_id +
                                " is already stored with other content (event " + (*stored ? (*stored)->event_id : "?") +
                                ", " + (*stored ? (*stored)->digest : "") + "; this step " + p.record.id + ", " +
                                p.record.digest + ")");
      }
      out.push_back(o);
      continue;
    }
    if (p.step != *last + 1) {
      return Status::Conflict(p.pointer + "/step: sequence gap: run " + run_id + " has " + std::to_string(*last) +
                              " steps, so the next is " + std::to_string(*last + 1) + ", found " +
                              std::to_string(p.step));
    }
    OEP_RETURN_IF_ERROR((*ingester)->AddBuiltRecord(p.record, {source, 0, p.pointer + "/event"}));
    OEP_RETURN_IF_ERROR(store.PutRunStep(run_id, {p.step, p.record.id, p.record.digest, ""}));
    *last = p.step;
    o.inserted = true;
    out.push_back(o);
  }
  if (before_commit) OEP_RETURN_IF_ERROR(before_commit(**ingester));
  OEP_RETURN_IF_ERROR((*ingester)->Commit());
  return out;
}

Result<RunEventsOutcome> AppendRunEvents(Store& store, const std::string& run_id, const std::string& agent,
                                         const std::string& origin, const std::vector<const rapidjson::Value*>& events,
                                         const std::string& source) {
  RunEventsOutcome out;
  auto run = store.GetRun(run_id);
  if (!run.ok()) return run.status();
  if (!*run) {
    rapidjson::Document body(rapidjson::kObjectType);
    auto& a = body.GetAllocator();
    body.AddMember("run_id", rapidjson::Value(run_id.c_str(), a), a);
    body.AddMember("agent", rapidjson::Value(agent.c_str(), a), a);
    rapidjson::Value metadata(rapidjson::kObjectType);
    metadata.AddMember("source", rapidjson::Value(origin.c_str(), a), a);
    body.AddMember("metadata", metadata, a);
    auto created = CreateRun(store, body, source);
    if (!created.ok()) return created.status();
    out.run_created = created->created;
  }
  auto last = store.LastRunStep(run_id);
  if (!last.ok()) return last.status();
  rapidjson::Document batch(rapidjson::kObjectType);
  auto& a = batch.GetAllocator();
  rapidjson::Value steps(rapidjson::kArrayType);
  int64_t next = *last + 1;
  auto flush = [&]() -> Status {
    batch.AddMember("steps", steps, a);
    auto appended = AppendSteps(store, run_id, batch, source);
    if (!appended.ok()) return appended.status();
    batch.RemoveMember("steps");
    steps.SetArray();
    return Status::Ok();
  };
  for (const rapidjson::Value* event : events) {
    auto stored = store.Exists(ArtifactKind::kAgentStepEvent, json::GetString(*event, "event_id"));
    if (!stored.ok()) return stored.status();
    if (*stored) {  // a retry
      ++out.unchanged;
      continue;
    }
    ++out.stored;
    rapidjson::Value step(rapidjson::kObjectType);
    step.AddMember("step", next++, a);
    step.AddMember("event", rapidjson::Value(*event, a), a);
    steps.PushBack(step, a);
    if (steps.Size() == kMaxStepsPerBatch) OEP_RETURN_IF_ERROR(flush());
  }
  if (!steps.Empty()) OEP_RETURN_IF_ERROR(flush());
  return out;
}

Result<FinishedRun> FinishRun(Store& store, const std::string& run_id, const std::string& server_key_path) {
  auto run = MustGetRun(store, run_id);
  if (!run.ok()) return run.status();
  FinishedRun out;
  if (!run->finished) {
    std::string summary;
    Status s = SealChain(store, ChainForTrace(run_id), server_key_path, "server", NowUtcMicros(), &summary);
    // A concurrent finish may have sealed it first: finishing is idempotent.
    if (!s.ok() && s.code() != StatusCode::kConflict) return s;
    out.sealed_now = s.ok();
    run = MustGetRun(store, run_id);
    if (!run.ok()) return run.status();
  }
  out.run = *run;
  return out;
}

void RunToJson(const RunSummary& s, rapidjson::Value* out, rapidjson::Document::AllocatorType& a) {
  out->SetObject();
  auto str = [&](const std::string& v) { return rapidjson::Value(v.c_str(), static_cast<rapidjson::SizeType>(v.size()), a); };
  out->AddMember("run_id", str(s.run.run_id), a);
  out->AddMember("chain_id", str(s.run.chain_id), a);
  out->AddMember("created_at", str(s.run.created_at), a);
  out->AddMember("status", rapidjson::StringRef(s.finished ? "finished" : "open"), a);
  out->AddMember("steps", s.steps, a);
  out->AddMember("digest", str(s.run.digest), a);
  auto optional = [&](const char* name, const std::string& v) {
    out->AddMember(rapidjson::StringRef(name), v.empty() ? rapidjson::Value() : str(v), a);
  };
  optional("release_manifest_id", s.run.release_manifest_id);
  optional("model", s.run.model);
  optional("agent", s.run.agent);
  rapidjson::Value tags(rapidjson::kArrayType);
  for (const auto& t : s.run.tags) tags.PushBack(str(t), a);
  out->AddMember("tags", tags, a);
  // The metadata the client sent (an SDK's name, version and framework versions).
  auto body = json::Parse(s.run.body);
  if (body.ok() && body->IsObject() && body->HasMember("metadata")) {
    rapidjson::Value v;
    v.CopyFrom((*body)["metadata"], a);
    out->AddMember("metadata", v, a);
  }
  if (s.finished) {
    auto seal = json::Parse(s.seal_payload);
    if (seal.ok()) {
      rapidjson::Value v;
      v.CopyFrom(*seal, a);
      out->AddMember("seal", v, a);
    }
  }
}

namespace {

// The manifest of evidence posted without a release: fixed content (the same in every
// tenant and server, so storing it again is a no-op), every layer not recorded.
std::string UnspecifiedManifestText() {
  std::string layers;
  for (const char* layer : {"model", "prompt", "tool_schema", "policy", "workflow", "rollout", "eval", "data_state"}) {
    layers += std::string(layers.empty() ? "" : ",") + "\"" + layer + "\":{\"layer_type\":\"" + layer +
              "\",\"name\":\"not recorded\",\"version\":\"not recorded\",\"uri\":\"not-recorded:\",\"digest\":"
              "\"sha256:" + std::string(64, '0') + "\",\"binding_status\":\"not_recorded\",\"notes\":\"the agent "
              "named no release manifest\"}";
  }
  return std::string("{\"schema_version\":\"oep.release_manifest.v0\",\"manifest_id\":\"") + kUnspecifiedRelease +
         "\",\"created_at\":\"1970-01-01T00:00:00Z\",\"release\":{\"name\":\"unspecified\",\"version\":"
         "\"unspecified\",\"status\":\"unspecified\"},\"layer_bindings\":{" + layers +
         "},\"claim_boundaries\":[\"made by oep for evidence that names no release: nothing about the "
         "release is recorded\"]}";
}

}  // namespace

Result<bool> EnsureUnspecifiedRelease(Store& store) {
  auto stored = store.Exists(ArtifactKind::kReleaseManifest, kUnspecifiedRelease);
  if (!stored.ok()) return stored.status();
  if (*stored) return false;
  auto ingester = Ingester::Begin(store);
  if (!ingester.ok()) return ingester.status();
  OEP_RETURN_IF_ERROR((*ingester)->AddRecordText(UnspecifiedManifestText(), "oep: unspecified release"));
  OEP_RETURN_IF_ERROR((*ingester)->Commit());
  return true;
}

}  // namespace oep
