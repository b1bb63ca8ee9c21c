#include "importers/otlp.h"

#include <chrono>
#include <filesystem>
#include <map>

#include "importers/otlp_protobuf.h"
#include "ingest/ingest.h"
#include "json/json.h"
#include "json/json_lines.h"
#include "runs/runs.h"
#include "util/files.h"
#include "util/gzip.h"

namespace oep {
namespace {

constexpr size_t kMaxSpansPerRequest = 10000;
constexpr uintmax_t kMaxFileBytes = 256u << 20;  // the whole file is read, and its requests parsed, before storing

Status Bad(const std::string& pointer, const std::string& expected) {
  return Status::InvalidArgument(pointer + ": expected " + expected);
}

// An OTLP AnyValue as plain JSON.
void AnyValueToJson(const rapidjson::Value& v, rapidjson::Value* out, rapidjson::Document::AllocatorType& a) {
  out->SetNull();
  if (!v.IsObject()) return;
  if (const auto* s = json::GetMember(v, "stringValue"); s != nullptr && s->IsString()) {
    out->SetString(s->GetString(), s->GetStringLength(), a);
  } else if (const auto* b = json::GetMember(v, "boolValue"); b != nullptr && b->IsBool()) {
    out->SetBool(b->GetBool());
  } else if (const auto* i = json::GetMember(v, "intValue"); i != nullptr) {
    // int64 is a JSON string in OTLP/JSON (a number is accepted too).
    if (i->IsInt64()) out->SetInt64(i->GetInt64());
    else if (i->IsString()) {
      try {
        out->SetInt64(std::stoll(i->GetString()));
      } catch (const std::exception&) {
        out->SetString(i->GetString(), i->GetStringLength(), a);
      }
    }
  } else if (const auto* d = json::GetMember(v, "doubleValue"); d != nullptr && d->IsNumber()) {
    out->SetDouble(d->GetDouble());
  } else if (const auto* arr = json::GetMember(v, "arrayValue"); arr != nullptr && arr->IsObject()) {
    out->SetArray();
    const auto* values = json::GetMember(*arr, "values");
    if (values != nullptr && values->IsArray()) {
      for (const auto& e : values->GetArray()) {
        rapidjson::Value item;
        AnyValueToJson(e, &item, a);
        out->PushBack(item, a);
      }
    }
  } else if (const auto* kv = json::GetMember(v, "kvlistValue"); kv != nullptr && kv->IsObject()) {
    out->SetObject();
    const auto* values = json::GetMember(*kv, "values");
    if (values != nullptr && values->IsArray()) {
      for (const auto& e : values->GetArray()) {
        if (!e.IsObject() || !e.HasMember("key") || !e["key"].IsString()) continue;
        rapidjson::Value item;
        if (e.HasMember("value")) AnyValueToJson(e["value"], &item, a);
        out->AddMember(rapidjson::Value(e["key"].GetString(), a), item, a);
      }
    }
  } else if (const auto* by = json::GetMember(v, "bytesValue"); by != nullptr && by->IsString()) {
    out->SetString(by->GetString(), by->GetStringLength(), a);
  }
}

// attributes [{key, value}] as one object; InvalidArgument naming `at` when malformed.
Status Attributes(const rapidjson::Value& holder, const std::string& at, rapidjson::Value* out,
                  rapidjson::Document::AllocatorType& a) {
  out->SetObject();
  const auto* attrs = json::GetMember(holder, "attributes");
  if (attrs == nullptr) return Status::Ok();
  if (!attrs->IsArray()) return Bad(at + "/attributes", "an array of {\"key\", \"value\"}");
  for (rapidjson::SizeType i = 0; i < attrs->Size(); ++i) {
    const auto& kv = (*attrs)[i];
    if (!kv.IsObject() || !kv.HasMember("key") || !kv["key"].IsString()) {
      return Bad(at + "/attributes/" + std::to_string(i), "{\"key\": string, \"value\": AnyValue}");
    }
    rapidjson::Value v;
    if (kv.HasMember("value")) AnyValueToJson(kv["value"], &v, a);
    rapidjson::Value key(kv["key"].GetString(), kv["key"].GetStringLength(), a);
    if (out->HasMember(key)) (*out)[key] = v;
    else out->AddMember(key, v, a);
  }
  return Status::Ok();
}

bool IsHex(const std::string& s, size_t n) {
  if (s.size() != n) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Nanoseconds since the epoch (a string or number) as RFC 3339 UTC with microseconds.
Result<std::string> Rfc3339(const rapidjson::Value* v, const std::string& at) {
  int64_t ns = 0;
  try {
    if (v != nullptr && v->IsString()) ns = std::stoll(v->GetString());
    else if (v != nullptr && v->IsInt64()) ns = v->GetInt64();
    else return Bad(at, "nanoseconds since the epoch (a string of digits)");
  } catch (const std::exception&) {
    return Bad(at, "nanoseconds since the epoch (a string of digits)");
  }
  if (ns <= 0) return Bad(at, "nanoseconds since the epoch > 0");
  std::time_t secs = static_cast<std::time_t>(ns / 1000000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>((ns % 1000000000) / 1000));
  return std::string(buf);
}

struct SpanEvent {
  std::string trace_id, event_id, service;
  std::string pointer;  // the span's JSON pointer in the request
  rapidjson::Document event;
};

std::string EventTypeOf(const std::string& operation, bool failed) {
  if (operation == "chat" || operation == "text_completion" || operation == "generate_content" ||
      operation == "embeddings") {
    return "llm.call";
  }
  if (operation == "execute_tool") return failed ? "tool_call.failed" : "tool_call.completed";
  if (operation == "invoke_agent" || operation == "create_agent") return "agent.invoked";
  return "otel.span";
}

// One span as an agent-step event.
Result<SpanEvent> SpanToEvent(const rapidjson::Value& span, const std::string& at, const rapidjson::Value& resource,
                              const std::string& service, const std::string& release) {
  if (!span.IsObject()) return Bad(at, "a span object");
  SpanEvent out;
  out.trace_id = Lower(json::GetString(span, "traceId"));
  std::string span_id = Lower(json::GetString(span, "spanId"));
  std::string parent = Lower(json::GetString(span, "parentSpanId"));
  if (!IsHex(out.trace_id, 32) || out.trace_id == std::string(32, '0')) {
    return Bad(at + "/traceId", "32 hex digits, not all zero (OTLP/JSON encodes ids as hex)");
  }
  if (!IsHex(span_id, 16)) return Bad(at + "/spanId", "16 hex digits");
  if (!parent.empty() && !IsHex(parent, 16)) return Bad(at + "/parentSpanId", "16 hex digits or empty");
  auto start = Rfc3339(json::GetMember(span, "startTimeUnixNano"), at + "/startTimeUnixNano");
  if (!start.ok()) return start.status();
  auto& e = out.event;
  auto& a = e.GetAllocator();
  rapidjson::Value attrs;
  OEP_RETURN_IF_ERROR(Attributes(span, at, &attrs, a));
  rapidjson::Value gen_ai(rapidjson::kObjectType), others(rapidjson::kObjectType);
  for (auto& m : attrs.GetObject()) {
    std::string key = m.name.GetString();
    rapidjson::Value v(m.value, a);
    if (key.rfind("gen_ai.", 0) == 0) gen_ai.AddMember(rapidjson::Value(key.substr(7).c_str(), a), v, a);
    else others.AddMember(rapidjson::Value(key.c_str(), a), v, a);
  }
  std::string operation = json::GetString(gen_ai, "operation.name");
  const rapidjson::Value* status = json::GetMember(span, "status");
  int code = 0;
  std::string message;
  if (status != nullptr && status->IsObject()) {
    const auto* c = json::GetMember(*status, "code");
    if (c != nullptr && c->IsInt()) code = c->GetInt();
    else if (c != nullptr && c->IsString()) code = std::string(c->GetString()) == "STATUS_CODE_ERROR" ? 2 : 0;
    message = json::GetString(*status, "message");
  }
  bool failed = code == 2;
  std::string name = json::GetString(span, "name", "span");
  out.event_id = "otel_" + out.trace_id + "_" + span_id;
  out.pointer = at;
  out.service = service;
  e.SetObject();
  auto str = [&](const std::string& s) { return rapidjson::Value(s.c_str(), static_cast<rapidjson::SizeType>(s.size()), a); };
  e.AddMember("schema_version", "oep.agent_step_event.v0", a);
  e.AddMember("event_id", str(out.event_id), a);
  e.AddMember("event_time", str(*start), a);
  std::string type = EventTypeOf(operation, failed);
  e.AddMember("event_type", str(type), a);
  e.AddMember("release_manifest_id", str(release), a);
  e.AddMember("trace_id", str(out.trace_id), a);
  e.AddMember("span_id", str(span_id), a);
  e.AddMember("parent_span_id", parent.empty() ? rapidjson::Value() : str(parent), a);
  rapidjson::Value actor(rapidjson::kObjectType);
  actor.AddMember("type", "agent", a);
  actor.AddMember("id", str(service), a);
  e.AddMember("actor", actor, a);
  rapidjson::Value action(rapidjson::kObjectType);
  std::string tool = json::GetString(gen_ai, "tool.name");
  action.AddMember("action_type", str(operation.empty() ? "span" : operation), a);
  action.AddMember("name", str(tool.empty() ? name : tool), a);
  e.AddMember("action", action, a);
  std::string call_id = json::GetString(gen_ai, "tool.call.id");
  if (!call_id.empty()) e.AddMember("tool_call_id", str(call_id), a);
  rapidjson::Value outcome(rapidjson::kObjectType);
  outcome.AddMember("status", rapidjson::StringRef(failed ? "failed" : (code == 1 ? "succeeded" : "recorded")), a);
  if (!message.empty()) outcome.AddMember("summary", str(message), a);
  e.AddMember("outcome", outcome, a);
  const auto* in = json::GetMember(gen_ai, "usage.input_tokens");
  const auto* outp = json::GetMember(gen_ai, "usage.output_tokens");
  if ((in != nullptr && in->IsInt64()) || (outp != nullptr && outp->IsInt64())) {
    int64_t tokens = (in != nullptr && in->IsInt64() ? in->GetInt64() : 0) +
                     (outp != nullptr && outp->IsInt64() ? outp->GetInt64() : 0);
    rapidjson::Value budget(rapidjson::kObjectType);
    budget.AddMember("step_tokens", tokens < 0 ? 0 : tokens, a);
    e.AddMember("budget", budget, a);
  }
  rapidjson::Value payload(rapidjson::kObjectType), info(rapidjson::kObjectType);
  info.AddMember("name", str(name), a);
  if (const auto* k = json::GetMember(span, "kind"); k != nullptr) info.AddMember("kind", rapidjson::Value(*k, a), a);
  info.AddMember("start_time", str(*start), a);
  if (const auto* end_ns = json::GetMember(span, "endTimeUnixNano"); end_ns != nullptr) {
    auto end = Rfc3339(end_ns, at + "/endTimeUnixNano");
    if (!end.ok()) return end.status();
    info.AddMember("end_time", str(*end), a);
    try {
      int64_t ns = std::stoll(json::GetString(span, "endTimeUnixNano", "0")) -
                   std::stoll(json::GetString(span, "startTimeUnixNano", "0"));
      double ms = static_cast<double>(ns) / 1e6;
      if (ms >= 0) info.AddMember("duration_ms", ms, a);
    } catch (const std::exception&) {
    }
  }
  payload.AddMember("span", info, a);
  payload.AddMember("gen_ai", gen_ai, a);
  payload.AddMember("attributes", others, a);
  payload.AddMember("resource", rapidjson::Value(resource, a), a);
  e.AddMember("payload", payload, a);
  return out;
}

// Every span of the request, in order, as events.
Result<std::vector<SpanEvent>> ParseExport(const rapidjson::Value& body) {
  if (!body.IsObject()) return Bad("/", "an ExportTraceServiceRequest object {\"resourceSpans\": [...]}");
  const auto* rs = json::GetMember(body, "resourceSpans");
  if (rs == nullptr || !rs->IsArray()) return Bad("/resourceSpans", "an array");
  std::vector<SpanEvent> out;
  for (rapidjson::SizeType r = 0; r < rs->Size(); ++r) {
    std::string at = "/resourceSpans/" + std::to_string(r);
    const auto& item = (*rs)[r];
    if (!item.IsObject()) return Bad(at, "a ResourceSpans object");
    rapidjson::Document resource(rapidjson::kObjectType);
    const auto* res = json::GetMember(item, "resource");
    if (res != nullptr && res->IsObject()) OEP_RETURN_IF_ERROR(Attributes(*res, at + "/resource", &resource, resource.GetAllocator()));
    std::string service = json::GetString(resource, "service.name", "otel");
    std::string release = json::GetString(resource, "oep.release_manifest_id", kUnspecifiedRelease);
    const auto* scopes = json::GetMember(item, "scopeSpans");
    if (scopes == nullptr) continue;
    if (!scopes->IsArray()) return Bad(at + "/scopeSpans", "an array");
    for (rapidjson::SizeType s = 0; s < scopes->Size(); ++s) {
      std::string sat = at + "/scopeSpans/" + std::to_string(s);
      const auto* spans = (*scopes)[s].IsObject() ? json::GetMember((*scopes)[s], "spans") : nullptr;
      if (spans == nullptr) continue;
      if (!spans->IsArray()) return Bad(sat + "/spans", "an array");
      for (rapidjson::SizeType i = 0; i < spans->Size(); ++i) {
        if (out.size() == kMaxSpansPerRequest) {
          return Bad(sat + "/spans/" + std::to_string(i), "at most " + std::to_string(kMaxSpansPerRequest) +
                                                              " spans per request");
        }
        auto ev = SpanToEvent((*spans)[i], sat + "/spans/" + std::to_string(i), resource, service, release);
        if (!ev.ok()) return ev.status();
        out.push_back(std::move(*ev));
      }
    }
  }
  return out;
}

// Stores one trace's new spans as steps of its run (created when new).
Status StoreTrace(Store& store, const std::string& trace_id, const std::vector<const SpanEvent*>& spans,
                  const std::string& source, OtlpReport* report) {
  std::vector<const rapidjson::Value*> events;
  for (const SpanEvent* span : spans) events.push_back(&span->event);
  auto outcome = AppendRunEvents(store, trace_id, spans.front()->service.substr(0, 256), "otlp", events, source);
  if (!outcome.ok()) return outcome.status();
  report->stored += outcome->stored;
  report->unchanged += outcome->unchanged;
  report->runs_created += outcome->run_created ? 1 : 0;
  return Status::Ok();
}

// Every event of `spans` checked against its schema (what AppendSteps would refuse).
Status ValidateEvents(const std::vector<SpanEvent>& spans, const std::string& where) {
  Validator validator;
  for (const auto& span : spans) {
    auto record = BuildRecord(span.event, where, span.pointer, validator);
    if (!record.ok()) return record.status();
  }
  return Status::Ok();
}

Status StoreSpans(Store& store, const std::vector<SpanEvent>& spans, const std::string& source, OtlpReport* report) {
  std::map<std::string, std::vector<const SpanEvent*>> by_trace;
  std::vector<std::string> order;
  for (const auto& s : spans) {
    auto& list = by_trace[s.trace_id];
    if (list.empty()) order.push_back(s.trace_id);
    list.push_back(&s);
    if (s.event.HasMember("release_manifest_id") &&
        std::string_view(s.event["release_manifest_id"].GetString()) == kUnspecifiedRelease) {
      auto made = EnsureUnspecifiedRelease(store);
      if (!made.ok()) return made.status();
    }
  }
  for (const auto& trace : order) OEP_RETURN_IF_ERROR(StoreTrace(store, trace, by_trace[trace], source, report));
  report->spans += static_cast<int64_t>(spans.size());
  ++report->requests;
  return Status::Ok();
}

// JSON text never holds a byte below 0x20 other than tab, LF and CR (RFC 8259, not even
// inside strings); every ExportTraceServiceRequest with a span holds the tag 0x12
// (scope_spans, spans and span_id are field 2, length-delimited).
bool IsOtlpProtobuf(std::string_view bytes) {
  for (char c : bytes) {
    auto b = static_cast<unsigned char>(c);
    if (b < 0x20 && b != '\t' && b != '\n' && b != '\r') return true;
  }
  return false;
}

}  // namespace

std::string OtlpReport::Summary() const {
  return std::to_string(requests) + " requests, " + std::to_string(spans) + " spans: " + std::to_string(stored) +
         " stored, " + std::to_string(unchanged) + " already stored; " + std::to_string(runs_created) + " new runs";
}

Result<OtlpReport> ImportOtlpRequest(Store& store, const rapidjson::Value& request, const std::string& source) {
  auto spans = ParseExport(request);
  if (!spans.ok()) return spans.status();
  OEP_RETURN_IF_ERROR(ValidateEvents(*spans, "body"));
  OtlpReport report;
  OEP_RETURN_IF_ERROR(StoreSpans(store, *spans, source, &report));
  return report;
}

Result<OtlpReport> ImportOtlpFile(Store& store, const std::string& path) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  if (!ec && size > kMaxFileBytes) {
    return Status::InvalidArgument(path + ": expected at most 256 MiB of OTLP, found " + std::to_string(size) +
                                   " bytes (split the file)");
  }
  auto text = ReadFile(path);
  if (!text.ok()) return text.status();
  if (IsGzip(*text)) {
    auto inflated = GunzipBounded(*text, path, kMaxFileBytes);
    if (!inflated.ok()) return inflated.status();
    *text = std::move(*inflated);
  }
  std::vector<std::pair<std::string, rapidjson::Document>> requests;  // (where, request)
  if (IsOtlpProtobuf(*text)) {
    auto request = OtlpProtobufToJson(*text);
    if (!request.ok()) return Status::InvalidArgument(path + " (OTLP protobuf): " + request.status().message());
    requests.emplace_back(path, std::move(*request));
  } else if (auto whole = json::Parse(*text); whole.ok()) {  // one document, else JSON Lines
    requests.emplace_back(path, std::move(*whole));
  } else {
    OEP_RETURN_IF_ERROR(json::ForEachLine(*text, [&](std::string_view line, int64_t line_no) {
      auto doc = json::Parse(line);
      std::string where = path + ":" + std::to_string(line_no);
      if (!doc.ok()) return Status::InvalidArgument(where + ": " + doc.status().message());
      requests.emplace_back(where, std::move(*doc));
      return Status::Ok();
    }));
  }
  std::vector<std::vector<SpanEvent>> parsed;
  for (auto& [where, request] : requests) {
    auto spans = ParseExport(request);
    if (!spans.ok()) return Status::InvalidArgument(where + ": " + spans.status().message());
    OEP_RETURN_IF_ERROR(ValidateEvents(*spans, where));
    parsed.push_back(std::move(*spans));
  }
  OtlpReport report;
  for (size_t i = 0; i < parsed.size(); ++i) {
    OEP_RETURN_IF_ERROR(StoreSpans(store, parsed[i], "oep import otlp " + requests[i].first, &report));
  }
  return report;
}

}  // namespace oep
