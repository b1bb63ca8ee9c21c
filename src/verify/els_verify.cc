#include "verify/els_verify.h"

#include <set>

#include "crypto/sha256.h"
#include "json/json.h"
#include "json/json_lines.h"
#include "util/files.h"

namespace oep {

std::string ElsReport::Render() const {
  std::string out;
  for (const auto& f : failures) out += "FAIL " + f + "\n";
  for (const auto& n : notes) out += "note " + n + "\n";
  // A log that fails verification gets no evidence class.
  out += std::string(ok() ? "ok   " : "FAIL ") + std::to_string(events) + " events (" + envelope + " envelope), " +
         (ok() ? evidence_class : std::to_string(failures.size()) + " failure(s); no evidence class") + "\n";
  return out;
}

Result<ElsReport> VerifyAgentOpsEls(const std::string& path) {
  auto text = ReadFile(path);
  if (!text.ok()) return text.status();
  static const std::set<std::string> kV1Fields = {"seq", "event_type", "session_id", "timestamp",
                                                  "payload", "prev_hash", "event_hash"};
  ElsReport r;
  std::string prev_hash(64, '0');
  int64_t expected_seq = 1;
  bool sealed = false, dropped = false, broken = false;
  OEP_RETURN_IF_ERROR(json::ForEachLine(*text, [&](std::string_view line, int64_t line_no) {
    auto doc = json::Parse(line);
    if (!doc.ok()) return Status::InvalidArgument(path + ": line " + std::to_string(line_no) + ": " + doc.status().message());
    if (!doc->IsObject()) return Status::InvalidArgument(path + ": line " + std::to_string(line_no) + ": expected an event object");
    ++r.events;
    bool v1 = doc->HasMember("seq");
    if (r.envelope.empty()) r.envelope = v1 ? "v1.0" : "legacy";
    std::string where = "line " + std::to_string(line_no);
    if (v1) {
      const rapidjson::Value& seq = (*doc)["seq"];
      where = "seq " + (seq.IsInt64() ? std::to_string(seq.GetInt64()) : json::CanonicalText(seq));
      for (const auto& m : doc->GetObject()) {
        if (!kV1Fields.count(m.name.GetString())) r.failures.push_back(where + ": unexpected field \"" + std::string(m.name.GetString()) + "\"");
      }
      for (const auto& f : kV1Fields) {
        if (!doc->HasMember(f.c_str())) r.failures.push_back(where + ": missing field \"" + f + "\"");
      }
      if (!seq.IsInt64()) {
        r.failures.push_back(where + ": seq is not an integer");
      } else if (seq.GetInt64() != expected_seq) {
        r.failures.push_back(where + ": sequence " + (seq.GetInt64() > expected_seq ? "gap, seq " + std::to_string(expected_seq) + " is missing"
                                                                                  : "duplicated or reordered (expected " + std::to_string(expected_seq) + ")"));
      }
      if (seq.IsInt64()) expected_seq = seq.GetInt64() + 1;
    }
    std::string event_hash = json::GetString(*doc, "event_hash");
    doc->RemoveMember("event_hash");
    std::string canonical;
    Status canon = json::Canonicalize(*doc, &canonical);
    if (!canon.ok()) r.failures.push_back(where + ": " + canon.message());
    else if (crypto::Sha256Hex(canonical) != event_hash) r.failures.push_back(where + ": event_hash does not match the event's canonical form (event edited)");
    if (json::GetString(*doc, "prev_hash") != prev_hash) r.failures.push_back(where + ": prev_hash does not link to the previous event_hash");
    std::string type = json::GetString(*doc, "event_type");
    if (sealed) r.failures.push_back(where + ": event after CHAIN_SEAL");
    if (type == "LOG_DROP") dropped = true;
    if (type == "CHAIN_BROKEN") broken = true;
    if (type == "CHAIN_SEAL") {
      sealed = true;
      const rapidjson::Value* payload = json::GetMember(*doc, "payload");
      const rapidjson::Value* count = payload ? json::GetMember(*payload, "event_count") : nullptr;
      if (!payload || json::GetString(*payload, "final_hash") != prev_hash) r.failures.push_back(where + ": seal final_hash is not the previous event_hash");
      if (!count || !count->IsInt64() || count->GetInt64() != r.events - 1) r.failures.push_back(where + ": seal event_count does not match the events before it");
      const rapidjson::Value* hmac = payload ? json::GetMember(*payload, "server_hmac") : nullptr;
      if (hmac && hmac->IsString()) r.notes.push_back(where + ": seal carries a server_hmac, which cannot be checked without the server's key");
    }
    prev_hash = event_hash;
    return Status::Ok();
  }));
  r.evidence_class = !sealed ? "NON_AUTHORITATIVE_EVIDENCE"
                     : (dropped || broken) ? "PARTIAL_AUTHORITATIVE_EVIDENCE"
                                           : "AUTHORITATIVE_EVIDENCE";
  return r;
}

}  // namespace oep
