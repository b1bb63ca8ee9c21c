#include "importers/mcp.h"

#include <filesystem>
#include <map>
#include <optional>
#include <vector>

#include "crypto/sha256.h"
#include "ingest/ingest.h"
#include "json/json.h"
#include "json/json_lines.h"
#include "runs/runs.h"
#include "util/files.h"
#include "util/rfc3339.h"

namespace oep {
namespace {

constexpr uintmax_t kMaxRecordingBytes = uintmax_t{256} << 20;
constexpr size_t kSummaryChars = 200;

using rapidjson::Value;

struct Call {
  int line = 0;
  std::string line_text, time, tool;
  rapidjson::Document request;  // the JSON-RPC request
  std::optional<rapidjson::Document> response;
  std::string response_time;
};

// The text of the first text content of a tools/call result, or "".
std::string FirstText(const Value& result) {
  const Value* content = json::GetMember(result, "content");
  if (content == nullptr || !content->IsArray()) return "";
  for (const auto& c : content->GetArray()) {
    if (c.IsObject() && json::GetString(c, "type") == "text") return json::GetString(c, "text");
  }
  return "";
}

std::string Clip(const std::string& s) {
  if (s.size() <= kSummaryChars) return s;
  size_t cut = kSummaryChars;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // whole UTF-8 characters
  return s.substr(0, cut) + "…";
}

// One tools/call as an agent-step event.
rapidjson::Document CallEvent(const Call& call, const std::string& run_id, const Value& client, const Value& server,
                              const std::string& protocol) {
  std::string h = crypto::Sha256Hex(run_id + "\n" + call.line_text);
  rapidjson::Document e(rapidjson::kObjectType);
  auto& a = e.GetAllocator();
  auto str = [&](const std::string& s) { return Value(s.c_str(), static_cast<rapidjson::SizeType>(s.size()), a); };
  std::string status = "unanswered", type = "tool_call.unanswered", summary;
  const Value* result = nullptr;
  const Value* error = nullptr;
  if (call.response) {
    result = json::GetMember(*call.response, "result");
    error = json::GetMember(*call.response, "error");
    bool failed = error != nullptr ||
                  (result != nullptr && result->IsObject() && json::GetMember(*result, "isError") != nullptr &&
                   (*result)["isError"].IsBool() && (*result)["isError"].GetBool());
    status = failed ? "failed" : "succeeded";
    type = failed ? "tool_call.failed" : "tool_call.completed";
    if (error != nullptr && error->IsObject()) summary = json::GetString(*error, "message");
    else if (result != nullptr && result->IsObject()) summary = FirstText(*result);
  }
  e.AddMember("schema_version", "oep.agent_step_event.v0", a);
  e.AddMember("event_id", str("mcp_" + h.substr(0, 24)), a);
  e.AddMember("event_time", str(call.time), a);
  e.AddMember("event_type", str(type), a);
  e.AddMember("release_manifest_id", str(kUnspecifiedRelease), a);
  e.AddMember("trace_id", str(run_id), a);
  e.AddMember("span_id", str(h.substr(24, 16)), a);
  Value actor(rapidjson::kObjectType);
  std::string client_name = client.IsObject() ? json::GetString(client, "name") : "";
  actor.AddMember("type", "agent", a);
  actor.AddMember("id", str(client_name.empty() ? "mcp-client" : client_name), a);
  e.AddMember("actor", actor, a);
  Value action(rapidjson::kObjectType);
  action.AddMember("action_type", "mcp.tools_call", a);
  action.AddMember("name", str(call.tool), a);
  e.AddMember("action", action, a);
  Value outcome(rapidjson::kObjectType);
  outcome.AddMember("status", str(status), a);
  if (!summary.empty()) outcome.AddMember("summary", str(Clip(summary)), a);
  e.AddMember("outcome", outcome, a);

  Value mcp(rapidjson::kObjectType);
  mcp.AddMember("protocol_version", protocol.empty() ? Value() : str(protocol), a);
  mcp.AddMember("client", Value(client, a), a);
  mcp.AddMember("server", Value(server, a), a);
  mcp.AddMember("request_id", Value(call.request["id"], a), a);
  const Value* params = json::GetMember(call.request, "params");
  const Value* arguments = params != nullptr && params->IsObject() ? json::GetMember(*params, "arguments") : nullptr;
  mcp.AddMember("arguments", arguments ? Value(*arguments, a) : Value(rapidjson::kObjectType), a);
  if (result != nullptr) mcp.AddMember("result", Value(*result, a), a);
  if (error != nullptr) mcp.AddMember("error", Value(*error, a), a);
  mcp.AddMember("request_time", str(call.time), a);
  if (call.response) {
    mcp.AddMember("response_time", str(call.response_time), a);
    auto t0 = ParseRfc3339Ns(call.time), t1 = ParseRfc3339Ns(call.response_time);
    if (t0 && t1 && *t1 >= *t0) mcp.AddMember("duration_ms", static_cast<double>(*t1 - *t0) / 1e6, a);
  }
  Value payload(rapidjson::kObjectType);
  payload.AddMember("mcp", mcp, a);
  e.AddMember("payload", payload, a);
  return e;
}

Status Bad(const std::string& where, const std::string& pointer, const std::string& expected) {
  return Status::InvalidArgument(where + ": " + pointer + ": expected " + expected);
}

}  // namespace

std::string McpImportReport::Summary() const {
  return "run " + run_id + ": " + std::to_string(messages) + " MCP messages, " + std::to_string(tool_calls) +
         " tools/call (" + std::to_string(unanswered) + " unanswered): " + std::to_string(stored) + " stored, " +
         std::to_string(unchanged) + " already stored" + (run_created ? ", new run" : "") + "; " +
         std::to_string(other_lines) + " unparsed or oversized lines skipped";
}

Result<McpImportReport> ImportMcpRecording(Store& store, const std::string& path, const std::string& run_id) {
  if (!run_id.empty() && !IsRunId(run_id)) return Status::InvalidArgument("--run " + run_id + ": expected 32 lower-case hex digits");
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  if (!ec && size > kMaxRecordingBytes) {
    return Status::InvalidArgument(path + ": expected at most 256 MiB of MCP recording, found " + std::to_string(size) + " bytes");
  }
  auto text = ReadFile(path);
  if (!text.ok()) return text.status();
  McpImportReport report;
  rapidjson::Document client(rapidjson::kNullType), server(rapidjson::kNullType);
  std::string protocol, first_line;
  std::vector<Call> calls;
  std::map<std::string, size_t> pending;  // request id (canonical JSON) -> index in calls
  OEP_RETURN_IF_ERROR(json::ForEachLine(*text, [&](std::string_view line_view, int64_t line_no) -> Status {
    std::string line(line_view);
    if (first_line.empty()) first_line = line;
    std::string where = path + ":" + std::to_string(line_no);
    auto doc = json::Parse(line);
    if (!doc.ok()) return Status::InvalidArgument(where + ": " + doc.status().message());
    const std::string envelope = "an object {\"time\", \"from\": \"client\" | \"server\", \"message\"} as oep mcp-proxy records";
    if (!doc->IsObject()) return Bad(where, "/", envelope);
    std::string time = json::GetString(*doc, "time"), from = json::GetString(*doc, "from");
    if (!ParseRfc3339Ns(time)) return Bad(where, "/time", "an RFC 3339 time (" + envelope + ")");
    if (from != "client" && from != "server") return Bad(where, "/from", "\"client\" or \"server\"");
    const Value* message = json::GetMember(*doc, "message");
    if (message == nullptr) {
      if (doc->HasMember("unparsed") || doc->HasMember("oversize")) {
        ++report.other_lines;
        return Status::Ok();
      }
      return Bad(where, "/message", "a JSON-RPC message (or \"unparsed\" / \"oversize\")");
    }
    if (!message->IsObject() || json::GetString(*message, "jsonrpc") != "2.0") {
      return Bad(where, "/message", "a JSON-RPC 2.0 message object ({\"jsonrpc\": \"2.0\", ...})");
    }
    ++report.messages;
    std::string method = json::GetString(*message, "method");
    const Value* id = json::GetMember(*message, "id");
    if (from == "client" && method == "initialize") {
      const Value* params = json::GetMember(*message, "params");
      if (params != nullptr && params->IsObject()) {
        if (const Value* info = json::GetMember(*params, "clientInfo")) client.CopyFrom(*info, client.GetAllocator());
      }
    }
    if (from == "client" && method == "tools/call") {
      if (id == nullptr || !(id->IsString() || id->IsInt64())) return Bad(where, "/message/id", "a string or integer request id");
      const Value* params = json::GetMember(*message, "params");
      std::string tool = params != nullptr && params->IsObject() ? json::GetString(*params, "name") : "";
      if (tool.empty()) return Bad(where, "/message/params/name", "the name of the tool called");
      Call call;
      call.line = line_no;
      call.line_text = line;
      call.time = time;
      call.tool = tool;
      call.request.CopyFrom(*message, call.request.GetAllocator());
      pending[json::CanonicalText(*id)] = calls.size();
      calls.push_back(std::move(call));
      return Status::Ok();
    }
    if (from == "server" && method.empty() && id != nullptr) {  // a response
      std::string key = json::CanonicalText(*id);
      const Value* result = json::GetMember(*message, "result");
      if (result != nullptr && result->IsObject() && json::GetMember(*result, "serverInfo") != nullptr) {
        server.CopyFrom((*result)["serverInfo"], server.GetAllocator());
        protocol = json::GetString(*result, "protocolVersion");
      }
      auto it = pending.find(key);
      if (it == pending.end()) return Status::Ok();
      Call& call = calls[it->second];
      call.response.emplace();
      call.response->CopyFrom(*message, call.response->GetAllocator());
      call.response_time = time;
      pending.erase(it);
    }
    return Status::Ok();
  }));
  if (report.messages == 0) return Status::InvalidArgument(path + ": no MCP messages (expected JSON Lines as oep mcp-proxy records)");
  report.run_id = run_id.empty() ? crypto::Sha256Hex(first_line).substr(0, 32) : run_id;
  report.tool_calls = static_cast<int64_t>(calls.size());
  report.unanswered = static_cast<int64_t>(pending.size());
  std::vector<rapidjson::Document> events;
  Validator validator;
  for (const auto& call : calls) {
    events.push_back(CallEvent(call, report.run_id, client, server, protocol));
    auto record = BuildRecord(events.back(), path, "", validator);
    if (!record.ok()) return record.status().WithContext(path + ":" + std::to_string(call.line));
  }
  if (events.empty()) return report;
  auto release = EnsureUnspecifiedRelease(store);
  if (!release.ok()) return release.status();
  std::vector<const Value*> refs;
  for (const auto& e : events) refs.push_back(&e);
  std::string agent = client.IsObject() ? json::GetString(client, "name") : "";
  auto outcome = AppendRunEvents(store, report.run_id, agent.empty() ? "mcp-client" : agent.substr(0, 256), "mcp", refs,
                                 "oep import mcp " + std::filesystem::path(path).filename().string());
  if (!outcome.ok()) return outcome.status();
  report.stored = outcome->stored;
  report.unchanged = outcome->unchanged;
  report.run_created = outcome->run_created;
  return report;
}

}  // namespace oep
