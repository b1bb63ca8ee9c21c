#include "importers/agentops_els.h"

#include <cctype>
#include <filesystem>
#include <map>

#include "crypto/sha256.h"
#include "ingest/ingest.h"
#include "json/json.h"
#include "json/json_lines.h"
#include "redaction/redaction.h"
#include "runs/runs.h"
#include "util/files.h"

namespace oep {
namespace {

constexpr uintmax_t kMaxLogBytes = 256u << 20;

struct LoggedEvent {
  int64_t line = 0;
  rapidjson::Document doc;
};

std::string SessionOf(const rapidjson::Value& event) {
  if (event.HasMember("seq")) return json::GetString(event, "session_id");
  const rapidjson::Value* payload = json::GetMember(event, "payload");
  return payload != nullptr ? json::GetString(*payload, "session_id") : "";
}

// The session id's 32 hex digits when it is a UUID, else the first 32 of its SHA-256.
std::string RunIdOf(const std::string& session) {
  std::string hex;
  bool uuid = session.size() == 36;
  for (size_t i = 0; uuid && i < session.size(); ++i) {
    char c = static_cast<char>(std::tolower(static_cast<unsigned char>(session[i])));
    if (i == 8 || i == 13 || i == 18 || i == 23) uuid = c == '-';
    else if (std::isxdigit(static_cast<unsigned char>(c))) hex += c;
    else uuid = false;
  }
  return uuid ? hex : crypto::Sha256Hex(session).substr(0, 32);
}

std::string EventTypeOf(const std::string& els_type) {
  static const std::map<std::string, std::string> kTypes = {
      {"LLM_CALL", "llm.call"},           {"LLM_RESPONSE", "llm.response"},
      {"TOOL_CALL", "tool_call.requested"}, {"TOOL_RESULT", "tool_call.completed"},
      {"SESSION_START", "session.started"}, {"SESSION_END", "session.ended"},
      {"LOG_DROP", "evidence.log_drop"},  {"CHAIN_SEAL", "evidence.chain_sealed"},
      {"CHAIN_BROKEN", "evidence.chain_broken"}};
  if (auto it = kTypes.find(els_type); it != kTypes.end()) return it->second;
  std::string out = "els.";
  for (char c : els_type) out += std::isalpha(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '_';
  return out == "els." ? "els.event" : out;
}

// The agent-step event of the n-th logged event.
rapidjson::Document StepEvent(const rapidjson::Value& els, int64_t n, const std::string& run_id, const std::string& agent,
                              const std::string& evidence_class) {
  rapidjson::Document e(rapidjson::kObjectType);
  auto& a = e.GetAllocator();
  auto str = [&](const std::string& s) { return rapidjson::Value(s.c_str(), static_cast<rapidjson::SizeType>(s.size()), a); };
  std::string type = json::GetString(els, "event_type");
  std::string hash = json::GetString(els, "event_hash");
  const rapidjson::Value* payload = json::GetMember(els, "payload");
  auto payload_string = [&](const char* name) {
    return payload != nullptr && payload->IsObject() ? json::GetString(*payload, name) : std::string();
  };
  e.AddMember("schema_version", "oep.agent_step_event.v0", a);
  e.AddMember("event_id", str("els_" + run_id + "_" + std::to_string(n)), a);
  e.AddMember("event_time", str(json::GetString(els, "timestamp")), a);
  e.AddMember("event_type", str(EventTypeOf(type)), a);
  e.AddMember("release_manifest_id", rapidjson::StringRef(kUnspecifiedRelease), a);
  e.AddMember("trace_id", str(run_id), a);
  e.AddMember("span_id", str(hash.substr(0, 16)), a);
  rapidjson::Value checkpoint(rapidjson::kObjectType);  // the event's place in the logged chain
  checkpoint.AddMember("name", rapidjson::StringRef(kElsRunTag), a);
  checkpoint.AddMember("sequence", n, a);
  checkpoint.AddMember("state", str(hash), a);
  e.AddMember("checkpoint", checkpoint, a);
  rapidjson::Value actor(rapidjson::kObjectType);
  actor.AddMember("type", "agent", a);
  actor.AddMember("id", str(agent), a);
  e.AddMember("actor", actor, a);
  rapidjson::Value action(rapidjson::kObjectType);
  std::string name = payload_string("tool_name");
  if (name.empty()) name = payload_string("model_id");
  if (name.empty()) name = payload_string("model");
  action.AddMember("action_type", str(type.empty() ? "ELS_EVENT" : type), a);
  action.AddMember("name", str(name.empty() ? type : name), a);
  e.AddMember("action", action, a);
  rapidjson::Value outcome(rapidjson::kObjectType);
  outcome.AddMember("status", "recorded", a);
  e.AddMember("outcome", outcome, a);
  rapidjson::Value links(rapidjson::kObjectType);
  links.AddMember("els_prev_hash", str(json::GetString(els, "prev_hash")), a);
  links.AddMember("els_event_hash", str(hash), a);
  e.AddMember("links", links, a);
  if (type == "LOG_DROP" || type == "CHAIN_BROKEN") {
    rapidjson::Value loss(rapidjson::kArrayType), item(rapidjson::kObjectType);
    std::string impact = type == "CHAIN_BROKEN" ? "the logger recorded a break in its chain"
                                                : "events lost before logging";
    const rapidjson::Value* lost = payload != nullptr && payload->IsObject() ? json::GetMember(*payload, "lost_count") : nullptr;
    if (lost != nullptr && lost->IsInt64()) impact = std::to_string(lost->GetInt64()) + " " + impact;
    std::string reason = payload_string("reason");
    if (!reason.empty()) impact += " (" + reason + ")";
    item.AddMember("field", "events", a);
    item.AddMember("impact", str(impact), a);
    item.AddMember("severity", rapidjson::StringRef(type == "CHAIN_BROKEN" ? "blocking" : "degrading"), a);
    loss.PushBack(item, a);
    e.AddMember("evidence_loss", loss, a);
  }
  rapidjson::Value body(rapidjson::kObjectType);
  body.AddMember("els", rapidjson::Value(els, a), a);
  body.AddMember("evidence_class", str(evidence_class), a);
  // Would the default redaction erase part of it? Then its hash cannot be recomputed later.
  rapidjson::Document probe;
  probe.CopyFrom(body, probe.GetAllocator());
  bool redacted = ApplyRedaction(probe, DefaultRedactionProfile(), probe.GetAllocator()) > 0;
  rapidjson::Value status(rapidjson::kObjectType);
  status.AddMember("els_hash", rapidjson::StringRef(redacted ? "declared" : "present"), a);
  e.AddMember("evidence_status", status, a);
  e.AddMember("payload", body, a);
  return e;
}

Result<std::vector<LoggedEvent>> ReadLog(const std::string& path) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  if (!ec && size > kMaxLogBytes) {
    return Status::InvalidArgument(path + ": expected at most 256 MiB of ELS events, found " + std::to_string(size) + " bytes");
  }
  auto text = ReadFile(path);
  if (!text.ok()) return text.status();
  std::vector<LoggedEvent> events;
  OEP_RETURN_IF_ERROR(json::ForEachLine(*text, [&](std::string_view line, int64_t line_no) {
    auto doc = json::Parse(line);
    std::string where = path + ": line " + std::to_string(line_no);
    if (!doc.ok()) return Status::InvalidArgument(where + ": " + doc.status().message());
    if (!doc->IsObject()) return Status::InvalidArgument(where + ": expected an ELS event object");
    events.push_back({line_no, std::move(*doc)});
    return Status::Ok();
  }));
  if (events.empty()) return Status::InvalidArgument(path + ": expected ELS events (one JSON object a line), found none");
  return events;
}

// The stored event_hash of each step's ELS event, by event id (none when the run is new).
Result<std::map<std::string, std::string>> StoredHashes(Store& store, const std::string& run_id) {
  std::map<std::string, std::string> out;
  int64_t after = 0;
  while (true) {
    auto steps = store.RunSteps(run_id, after, 500);
    if (!steps.ok()) return steps.status();
    for (const auto& s : *steps) {
      after = s.step;
      auto body = json::Parse(s.body);
      if (!body.ok()) return body.status();
      const rapidjson::Value* links = json::GetMember(*body, "links");
      out[s.event_id] = links != nullptr ? json::GetString(*links, "els_event_hash") : "";
    }
    if (steps->size() < 500) return out;
  }
}

// Creates the run when new; Conflict when the id is another kind of run or session.
Result<bool> EnsureRun(Store& store, const std::string& run_id, const std::string& session, const std::string& agent,
                       const std::string& envelope, const std::string& source) {
  auto run = store.GetRun(run_id);
  if (!run.ok()) return run.status();
  if (*run) {
    auto body = json::Parse((*run)->run.body);
    const rapidjson::Value* metadata = body.ok() ? json::GetMember(*body, "metadata") : nullptr;
    if (metadata == nullptr || json::GetString(*metadata, "source") != kElsRunTag ||
        json::GetString(*metadata, "session_id") != session) {
      return Status::Conflict("run " + run_id + " is stored, and is not the AgentOps session " + session);
    }
    return false;
  }
  rapidjson::Document body(rapidjson::kObjectType);
  auto& a = body.GetAllocator();
  body.AddMember("run_id", rapidjson::Value(run_id.c_str(), a), a);
  body.AddMember("agent", rapidjson::Value(agent.c_str(), a), a);
  rapidjson::Value tags(rapidjson::kArrayType);
  tags.PushBack(rapidjson::StringRef(kElsRunTag), a);
  body.AddMember("tags", tags, a);
  rapidjson::Value metadata(rapidjson::kObjectType);
  metadata.AddMember("source", rapidjson::StringRef(kElsRunTag), a);
  metadata.AddMember("session_id", rapidjson::Value(session.c_str(), a), a);
  metadata.AddMember("envelope", rapidjson::Value(envelope.c_str(), a), a);
  body.AddMember("metadata", metadata, a);
  auto created = CreateRun(store, body, source);
  if (!created.ok()) return created.status();
  return created->created;
}

}  // namespace

std::string ElsImportReport::Summary() const {
  return std::to_string(chain.events) + " events (" + chain.envelope + " envelope, " + chain.evidence_class + ") of run " +
         run_id + ": " + std::to_string(stored) + " stored, " + std::to_string(unchanged) + " already stored" +
         (run_created ? "; new run" : "");
}

Result<ElsImportReport> ImportAgentOpsEls(Store& store, const std::string& path) {
  auto events = ReadLog(path);
  if (!events.ok()) return events.status();
  ElsChain chain;
  for (const auto& e : *events) chain.Add(e.doc, e.line);
  ElsImportReport report;
  report.chain = chain.Finish();
  if (!report.chain.ok()) {
    std::string why;
    for (const auto& f : report.chain.failures) why += "\n  " + f;
    return Status::InvalidArgument(path + ": the ELS hash chain does not verify, nothing imported:" + why);
  }
  const auto& first = (*events)[0].doc;
  std::string session = SessionOf(first);
  if (session.empty()) return Status::InvalidArgument(path + ": line " + std::to_string((*events)[0].line) + ": expected a session_id");
  for (const auto& e : *events) {
    if (SessionOf(e.doc) != session) {
      return Status::InvalidArgument(path + ": line " + std::to_string(e.line) + ": session_id \"" + SessionOf(e.doc) +
                                     "\" differs from the first event's \"" + session + "\"");
    }
  }
  const rapidjson::Value* payload = json::GetMember(first, "payload");
  std::string agent = payload != nullptr && payload->IsObject() ? json::GetString(*payload, "agent_id") : "";
  if (agent.empty() && payload != nullptr && payload->IsObject()) agent = json::GetString(*payload, "agent");
  if (agent.empty()) agent = "agentops";
  report.run_id = RunIdOf(session);
  std::string source = "oep import agentops-els " + path;

  std::vector<rapidjson::Document> steps;
  Validator validator;
  for (size_t i = 0; i < events->size(); ++i) {
    steps.push_back(StepEvent((*events)[i].doc, static_cast<int64_t>(i + 1), report.run_id, agent.substr(0, 256),
                              report.chain.evidence_class));
    auto record = BuildRecord(steps.back(), source, path + ": line " + std::to_string((*events)[i].line) + ": ", validator);
    if (!record.ok()) return record.status();
  }
  auto stored = StoredHashes(store, report.run_id);
  if (!stored.ok()) return stored.status();
  for (size_t i = 0; i < steps.size(); ++i) {
    auto it = stored->find(json::GetString(steps[i], "event_id"));
    std::string hash = json::GetString((*events)[i].doc, "event_hash");
    if (it != stored->end() && it->second != hash) {
      return Status::Conflict(path + ": line " + std::to_string((*events)[i].line) + ": run " + report.run_id +
                              " holds another event at position " + std::to_string(i + 1) + " (event_hash " + it->second +
                              ", the log has " + hash + ")");
    }
  }
  auto made = EnsureUnspecifiedRelease(store);
  if (!made.ok()) return made.status();
  auto created = EnsureRun(store, report.run_id, session, agent.substr(0, 256), report.chain.envelope, source);
  if (!created.ok()) return created.status();
  report.run_created = *created;
  std::vector<const rapidjson::Value*> pointers;
  for (const auto& s : steps) pointers.push_back(&s);
  auto outcome = AppendRunEvents(store, report.run_id, agent, kElsRunTag, pointers, source);
  if (!outcome.ok()) return outcome.status();
  report.stored = outcome->stored;
  report.unchanged = outcome->unchanged;
  return report;
}

}  // namespace oep
