#include "verify/els_verify.h"

#include <set>

#include "crypto/sha256.h"
#include "json/json.h"
#include "json/json_lines.h"
#include "store/store.h"
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

void ElsChain::Add(const rapidjson::Value& event, int64_t line, bool check_hash) {
  static const std::set<std::string> kV1Fields = {"seq", "event_type", "session_id", "timestamp",
                                                  "payload", "prev_hash", "event_hash"};
  auto& r = r_;
  ++r.events;
  bool v1 = event.HasMember("seq");
  if (r.envelope.empty()) r.envelope = v1 ? "v1.0" : "legacy";
  std::string where = "line " + std::to_string(line);
  if (v1) {
    const rapidjson::Value& seq = event["seq"];
    where += ", seq " + (seq.IsInt64() ? std::to_string(seq.GetInt64()) : json::CanonicalText(seq));
    for (const auto& m : event.GetObject()) {
      if (!kV1Fields.count(m.name.GetString())) r.failures.push_back(where + ": unexpected field \"" + std::string(m.name.GetString()) + "\"");
    }
    for (const auto& f : kV1Fields) {
      if (!event.HasMember(f.c_str())) r.failures.push_back(where + ": missing field \"" + f + "\"");
    }
    if (!seq.IsInt64()) {
      r.failures.push_back(where + ": seq is not an integer");
    } else if (seq.GetInt64() != expected_seq_) {
      r.failures.push_back(where + ": sequence " + (seq.GetInt64() > expected_seq_ ? "gap, seq " + std::to_string(expected_seq_) + " is missing"
                                                                                : "duplicated or reordered (expected " + std::to_string(expected_seq_) + ")"));
    }
    if (seq.IsInt64()) expected_seq_ = seq.GetInt64() + 1;
  }
  std::string event_hash = json::GetString(event, "event_hash");
  if (check_hash) {
    rapidjson::Document unhashed;
    unhashed.CopyFrom(event, unhashed.GetAllocator());
    unhashed.RemoveMember("event_hash");
    std::string canonical;
    Status canon = json::Canonicalize(unhashed, &canonical);
    if (!canon.ok()) r.failures.push_back(where + ": " + canon.message());
    else if (crypto::Sha256Hex(canonical) != event_hash) r.failures.push_back(where + ": event_hash does not match the event's canonical form (event edited)");
  }
  if (json::GetString(event, "prev_hash") != prev_hash_) r.failures.push_back(where + ": prev_hash does not link to the previous event_hash");
  std::string type = json::GetString(event, "event_type");
  if (sealed_) r.failures.push_back(where + ": event after CHAIN_SEAL");
  if (type == "LOG_DROP") dropped_ = true;
  if (type == "CHAIN_BROKEN") broken_ = true;
  if (type == "CHAIN_SEAL") {
    sealed_ = true;
    const rapidjson::Value* payload = json::GetMember(event, "payload");
    const rapidjson::Value* count = payload ? json::GetMember(*payload, "event_count") : nullptr;
    if (!payload || json::GetString(*payload, "final_hash") != prev_hash_) r.failures.push_back(where + ": seal final_hash is not the previous event_hash");
    if (!count || !count->IsInt64() || count->GetInt64() != r.events - 1) r.failures.push_back(where + ": seal event_count does not match the events before it");
    const rapidjson::Value* hmac = payload ? json::GetMember(*payload, "server_hmac") : nullptr;
    if (hmac && hmac->IsString()) r.notes.push_back(where + ": seal carries a server_hmac, which cannot be checked without the server's key");
  }
  prev_hash_ = event_hash;
  r.last_hash = event_hash;
}

ElsReport ElsChain::Finish() const {
  ElsReport r = r_;
  r.evidence_class = !sealed_ ? "NON_AUTHORITATIVE_EVIDENCE"
                     : (dropped_ || broken_) ? "PARTIAL_AUTHORITATIVE_EVIDENCE"
                                             : "AUTHORITATIVE_EVIDENCE";
  return r;
}

Result<ElsReport> VerifyAgentOpsEls(const std::string& path) {
  auto text = ReadFile(path);
  if (!text.ok()) return text.status();
  ElsChain chain;
  OEP_RETURN_IF_ERROR(json::ForEachLine(*text, [&](std::string_view line, int64_t line_no) {
    auto doc = json::Parse(line);
    if (!doc.ok()) return Status::InvalidArgument(path + ": line " + std::to_string(line_no) + ": " + doc.status().message());
    if (!doc->IsObject()) return Status::InvalidArgument(path + ": line " + std::to_string(line_no) + ": expected an event object");
    chain.Add(*doc, line_no);
    return Status::Ok();
  }));
  return chain.Finish();
}

Result<StoredElsCheck> CheckStoredEls(Store& store) {
  StoredElsCheck out;
  RunFilter filter;
  filter.tag = kElsRunTag;
  std::optional<RunCursor> after;
  while (true) {
    auto runs = store.ListRuns(filter, after, 200);
    if (!runs.ok()) return runs.status();
    for (const auto& run : *runs) {
      ++out.runs;
      ElsChain chain;
      std::string recorded;  // the evidence class the last step recorded
      int64_t step = 0, deleted = 0;
      while (true) {
        auto steps = store.RunSteps(run.run.run_id, step, 500);
        if (!steps.ok()) return steps.status();
        for (const auto& s : *steps) {
          step = s.step;
          if (s.tombstoned) {
            ++deleted;
            continue;
          }
          auto event = json::Parse(s.body);
          if (!event.ok()) return event.status();
          const rapidjson::Value* els = json::GetMember(*event, "payload");
          els = els != nullptr ? json::GetMember(*els, "els") : nullptr;
          if (els == nullptr || !els->IsObject()) {
            out.failures.push_back("run " + run.run.run_id + ": step " + std::to_string(s.step) + ": no payload.els event");
            continue;
          }
          const rapidjson::Value* status = json::GetMember(*event, "evidence_status");
          bool declared = status != nullptr && json::GetString(*status, "els_hash") == "declared";
          chain.Add(*els, s.step, !declared);
          recorded = json::GetString((*event)["payload"], "evidence_class");
          ++out.events;
        }
        if (steps->size() < 500) break;
      }
      if (deleted > 0) {
        out.tombstoned += deleted;
        out.classes.push_back(run.run.run_id + " not re-verified: " + std::to_string(deleted) +
                              " of its events deleted by retention");
        continue;
      }
      ElsReport r = chain.Finish();
      for (const auto& f : r.failures) out.failures.push_back("run " + run.run.run_id + ": step " + f.substr(5));
      if (r.ok() && recorded != r.evidence_class) {
        out.failures.push_back("run " + run.run.run_id + ": its steps record " + recorded + ", the stored chain is " +
                               r.evidence_class);
      }
      out.classes.push_back(run.run.run_id + " " + r.evidence_class);
    }
    if (runs->size() < 200) break;
    after = RunCursor{runs->back().run.created_at, runs->back().run.run_id};
  }
  return out;
}

}  // namespace oep
