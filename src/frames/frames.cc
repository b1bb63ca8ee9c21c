#include "frames/frames.h"

#include <algorithm>
#include <map>
#include <optional>
#include <vector>

#include "crypto/sha256.h"
#include "json/json.h"
#include "ledger/ledger.h"
#include "redaction/redaction_marker.h"
#include "schema/artifact_kind.h"
#include "verify/chain_verify.h"

namespace oep {
namespace {

using rapidjson::Value;
using Alloc = rapidjson::Document::AllocatorType;

constexpr const char* kGapCode = "OEP-F001";
constexpr const char* kDropCode = "OEP-F002";
constexpr const char* kRedactionCode = "OEP-F003";
constexpr const char* kUnverifiedCode = "OEP-F004";
constexpr const char* kUnsealedCode = "OEP-F005";
constexpr const char* kTombstonedCode = "OEP-F006";

Value Str(std::string_view s, Alloc& a) { return Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), a); }

// The stored bytes of an artifact entry's row (nullopt: the row is missing); *readable is
// false for tables whose rows are not read here (documents), so not checked.
Result<std::optional<std::string>> RowBytes(Store& store, const LedgerEntry& e, bool* readable) {
  *readable = true;
  if (e.artifact_table == "decision_inputs") {
    auto row = store.GetDecisionInput(e.artifact_id);
    if (!row.ok()) return row.status();
    if (!*row) return std::optional<std::string>();
    return std::optional<std::string>((*row)->body);
  }
  if (e.artifact_table == "runs") {
    auto run = store.GetRun(e.artifact_id);
    if (!run.ok()) return run.status();
    if (!*run) return std::optional<std::string>();
    return std::optional<std::string>((*run)->run.body);
  }
  for (const auto& spec : AllKinds()) {
    if (spec.table != e.artifact_table) continue;
    auto row = store.Get(spec.kind, e.artifact_id);
    if (!row.ok()) return row.status();
    if (!*row) return std::optional<std::string>();
    return std::optional<std::string>((*row)->body);
  }
  *readable = false;
  return std::optional<std::string>();
}

// Every redaction marker below `v`, by JSON pointer.
void FindMarkers(const Value& v, const std::string& pointer, std::vector<std::pair<std::string, std::string>>& out) {
  if (auto hash = RedactionMarkerHash(v)) {
    std::string text = v.GetString();
    // "oep:redacted:<detector>:sha256:<hex>"
    std::string detector = text.substr(13, text.find(':', 13) - 13);
    out.emplace_back(pointer, detector + " " + *hash);
    return;
  }
  if (v.IsObject()) {
    for (const auto& m : v.GetObject()) FindMarkers(m.value, pointer + "/" + json::EscapePointerSegment(m.name.GetString()), out);
  } else if (v.IsArray()) {
    for (rapidjson::SizeType i = 0; i < v.Size(); ++i) FindMarkers(v[i], pointer + "/" + std::to_string(i), out);
  }
}

// What a row says, for its EVENT frame: its time and, for a decision, tool and outcome.
void Describe(const Value& body, Value& frame, Alloc& a) {
  for (const char* key : {"decision_time", "event_time", "timestamp", "started_at", "created_at", "time"}) {
    std::string t = json::GetString(body, key);
    if (!t.empty()) {
      frame.AddMember("time", Str(t, a), a);
      break;
    }
  }
  std::string schema = json::GetString(body, "schema_version");
  if (!schema.empty()) frame.AddMember("schema_version", Str(schema, a), a);
  std::string type = json::GetString(body, "event_type");
  if (!type.empty()) frame.AddMember("event_type", Str(type, a), a);
  if (const Value* seq = json::FindDotted(body, "checkpoint.sequence"); seq && seq->IsInt64()) {
    frame.AddMember("event_sequence", seq->GetInt64(), a);
  }
  if (const Value* tool = json::FindDotted(body, "tool.name"); tool && tool->IsString()) {
    frame.AddMember("tool", Str(tool->GetString(), a), a);
  }
  if (const Value* allow = json::FindDotted(body, "decision.allow"); allow && allow->IsBool()) {
    frame.AddMember("outcome", Str(allow->GetBool() ? "allow" : "deny", a), a);
    if (const Value* rule = json::FindDotted(body, "decision.matched_rule"); rule && rule->IsString()) {
      frame.AddMember("matched_rule", Str(rule->GetString(), a), a);
    }
  }
  if (const Value* step = json::GetMember(body, "step"); step && step->IsInt64()) frame.AddMember("step", step->GetInt64(), a);
}

Value Frame(int64_t n, const char* type, const LedgerEntry& e, Alloc& a) {
  Value f(rapidjson::kObjectType);
  f.AddMember("frame", n, a);
  f.AddMember("type", Str(type, a), a);
  f.AddMember("seq", e.seq, a);
  return f;
}

}  // namespace

Result<rapidjson::Document> RunFrames(Store& store, const std::string& run_id, const TrustedKeys& trusted) {
  std::string chain_id = TenantChain(store.tenant(), "run:" + run_id);
  auto chain = ClassifyChain(store, trusted, chain_id);
  if (!chain.ok()) {
    if (chain.status().code() == StatusCode::kNotFound) {
      return Status::NotFound("run \"" + run_id + "\" has no ledger chain (run:" + run_id + "); `oep runs` lists the runs");
    }
    return chain.status();
  }
  std::vector<LedgerEntry> entries;
  OEP_RETURN_IF_ERROR(store.ForEachLedgerEntry(chain_id, [&](LedgerEntry& e) {
    entries.push_back(std::move(e));
    return Status::Ok();
  }));

  rapidjson::Document out(rapidjson::kObjectType);
  auto& a = out.GetAllocator();
  Value frames(rapidjson::kArrayType);
  std::map<std::string, int64_t> warnings;
  bool verified = chain->ok;
  int64_t failed_seq = chain->failed_seq;
  std::string failure = chain->failure;
  int64_t n = 0;
  // Agent-step events carry checkpoint.sequence: a jump not covered by a recorded drop is
  // a GAP of its own (evidence missing without a record of its loss).
  int64_t last_event_seq = 0;
  std::vector<std::pair<int64_t, int64_t>> dropped;  // ranges recorded by drop entries
  auto covered = [&](int64_t from, int64_t to) {
    for (int64_t s = from; s <= to; ++s) {
      bool in = false;
      for (const auto& [f, l] : dropped) in = in || (s >= f && s <= l);
      if (!in) return false;
    }
    return true;
  };
  if (verified) {
    for (const LedgerEntry& e : entries) {
      if (e.kind == "artifact") {
        bool readable = true;
        auto bytes = RowBytes(store, e, &readable);
        if (!bytes.ok()) return bytes.status();
        std::optional<Tombstone> tombstone;
        if (readable && !*bytes) {
          auto t = store.GetTombstone(e.artifact_table, e.artifact_id);
          if (!t.ok()) return t.status();
          tombstone = std::move(*t);
        }
        if (tombstone) {
          // Deleted by retention: served as such when the tombstone keeps the entry's hash.
          if (tombstone->content_hash != e.content_hash) {
            verified = false;
            failed_seq = e.seq;
            failure = "the tombstone of " + e.artifact_table + "/" + e.artifact_id + " does not hold the entry's content hash";
            break;
          }
          Value f = Frame(++n, "EVENT", e, a);
          f.AddMember("artifact_table", Str(e.artifact_table, a), a);
          f.AddMember("artifact_id", Str(e.artifact_id, a), a);
          f.AddMember("content_hash", Str(e.content_hash, a), a);
          f.AddMember("content_checked", false, a);
          f.AddMember("status", "tombstoned", a);
          f.AddMember("deleted_at", Str(tombstone->deleted_at, a), a);
          f.AddMember("retention_id", Str(tombstone->retention_id, a), a);
          f.AddMember("warning_code", Str(kTombstonedCode, a), a);
          ++warnings[kTombstonedCode];
          frames.PushBack(f, a);
          continue;
        }
        if (readable && (!*bytes || crypto::Sha256Hex(**bytes) != e.content_hash)) {
          verified = false;
          failed_seq = e.seq;
          failure = !*bytes ? "the row " + e.artifact_table + "/" + e.artifact_id + " it covers is missing"
                            : "the row " + e.artifact_table + "/" + e.artifact_id + " does not match its content hash (edited)";
          break;
        }
        std::optional<rapidjson::Document> body;
        if (readable) {
          auto parsed = json::Parse(**bytes);
          if (parsed.ok()) body = std::move(*parsed);
        }
        const Value* event_seq = body ? json::FindDotted(*body, "checkpoint.sequence") : nullptr;
        if (event_seq && event_seq->IsInt64() && e.artifact_table == "events") {
          int64_t at = event_seq->GetInt64();
          if (last_event_seq > 0 && at > last_event_seq + 1 && at - last_event_seq < (int64_t{1} << 40) &&
              !covered(last_event_seq + 1, std::min(at - 1, last_event_seq + 100000))) {
            Value g = Frame(++n, "GAP", e, a);
            g.AddMember("missing_first_seq", last_event_seq + 1, a);
            g.AddMember("missing_last_seq", at - 1, a);
            g.AddMember("reason", "event sequence numbers missing, with no recorded drop", a);
            g.AddMember("warning_code", Str(kGapCode, a), a);
            ++warnings[kGapCode];
            frames.PushBack(g, a);
          }
          if (at > last_event_seq) last_event_seq = at;
        }
        Value f = Frame(++n, "EVENT", e, a);
        f.AddMember("artifact_table", Str(e.artifact_table, a), a);
        f.AddMember("artifact_id", Str(e.artifact_id, a), a);
        f.AddMember("content_hash", Str(e.content_hash, a), a);
        f.AddMember("content_checked", readable, a);
        std::vector<std::pair<std::string, std::string>> markers;
        if (body) {
          Describe(*body, f, a);
          FindMarkers(*body, "", markers);
        }
        frames.PushBack(f, a);
        for (const auto& [pointer, what] : markers) {
          Value r = Frame(++n, "REDACTION", e, a);
          r.AddMember("artifact_id", Str(e.artifact_id, a), a);
          r.AddMember("pointer", Str(pointer, a), a);
          r.AddMember("detector", Str(what.substr(0, what.find(' ')), a), a);
          r.AddMember("redacted_hash", Str(what.substr(what.find(' ') + 1), a), a);
          r.AddMember("warning_code", Str(kRedactionCode, a), a);
          ++warnings[kRedactionCode];
          frames.PushBack(r, a);
        }
      } else if (e.kind == "drop" || e.kind == "break") {
        auto payload = json::Parse(e.payload);
        Value p(rapidjson::kObjectType);
        if (payload.ok() && payload->IsObject()) p.CopyFrom(*payload, a);
        if (e.kind == "drop") {
          Value f = Frame(++n, "LOG_DROP", e, a);
          const Value* count = json::GetMember(p, "count");
          f.AddMember("count", count && count->IsInt64() ? Value(count->GetInt64()) : Value(rapidjson::kNullType), a);
          f.AddMember("reason", Str(json::GetString(p, "reason"), a), a);
          f.AddMember("warning_code", Str(kDropCode, a), a);
          ++warnings[kDropCode];
          frames.PushBack(f, a);
          const Value* first = json::GetMember(p, "first_seq");
          const Value* last = json::GetMember(p, "last_seq");
          if (first && last && first->IsInt64() && last->IsInt64()) {
            dropped.emplace_back(first->GetInt64(), last->GetInt64());
            Value g = Frame(++n, "GAP", e, a);
            g.AddMember("missing_first_seq", first->GetInt64(), a);
            g.AddMember("missing_last_seq", last->GetInt64(), a);
            g.AddMember("reason", Str(json::GetString(p, "reason"), a), a);
            g.AddMember("warning_code", Str(kGapCode, a), a);
            ++warnings[kGapCode];
            frames.PushBack(g, a);
          }
        } else {
          Value g = Frame(++n, "GAP", e, a);
          g.AddMember("reason", Str(json::GetString(p, "reason"), a), a);
          g.AddMember("warning_code", Str(kGapCode, a), a);
          ++warnings[kGapCode];
          frames.PushBack(g, a);
        }
      }
      // A seal closes the chain: it is reported in "chain", not as a frame.
    }
  }
  if (!verified) {
    frames.SetArray();
    warnings.clear();
    Value f(rapidjson::kObjectType);
    f.AddMember("frame", 1, a);
    f.AddMember("type", "CHAIN_UNVERIFIED", a);
    f.AddMember("reason", Str(failure, a), a);
    f.AddMember("failed_seq", failed_seq, a);
    Value affected(rapidjson::kArrayType);
    for (const LedgerEntry& e : entries) {
      if (e.seq >= failed_seq) affected.PushBack(e.seq, a);
    }
    f.AddMember("affected_seqs", affected, a);
    f.AddMember("warning_code", Str(kUnverifiedCode, a), a);
    ++warnings[kUnverifiedCode];
    frames.PushBack(f, a);
  } else if (!chain->sealed) {
    ++warnings[kUnsealedCode];
  }
  out.AddMember("schema_version", "oep.run_frames.v0", a);
  out.AddMember("run_id", Str(run_id, a), a);
  Value c(rapidjson::kObjectType);
  c.AddMember("chain_id", Str(chain_id, a), a);
  c.AddMember("entries", static_cast<int64_t>(entries.size()), a);
  c.AddMember("verified", verified, a);
  c.AddMember("sealed", chain->sealed, a);
  c.AddMember("evidence_class", Str(verified ? EvidenceClassName(chain->evidence_class) : "BROKEN", a), a);
  if (!verified) c.AddMember("failure", Str(failure, a), a);
  out.AddMember("chain", c, a);
  out.AddMember("served", verified, a);
  Value w(rapidjson::kArrayType);
  for (const auto& [code, count] : warnings) {
    Value v(rapidjson::kObjectType);
    v.AddMember("code", Str(code, a), a);
    v.AddMember("count", count, a);
    w.PushBack(v, a);
  }
  out.AddMember("warnings", w, a);
  out.AddMember("frames", frames, a);
  return out;
}

std::string RenderFramesHuman(const Value& r) {
  auto text = [](const Value& v, const char* key) {
    const Value* m = json::GetMember(v, key);
    if (m == nullptr || m->IsNull()) return std::string("-");
    return m->IsString() ? std::string(m->GetString()) : json::CanonicalText(*m);
  };
  const Value& chain = r["chain"];
  std::string out = "Run " + text(r, "run_id") + ": chain " + text(chain, "chain_id") + ", " + text(chain, "entries") +
                    " entries, " + (chain["verified"].GetBool() ? "verified" : "NOT VERIFIED") + ", " +
                    (chain["sealed"].GetBool() ? "sealed" : "unsealed [OEP-F005]") + ", " + text(chain, "evidence_class") + "\n";
  for (const auto& f : r["frames"].GetArray()) {
    std::string type = text(f, "type");
    std::string line = "  " + text(f, "frame") + ". " + type;
    line.append(type.size() < 17 ? 17 - type.size() : 1, ' ');
    if (type == "EVENT") {
      line += "seq " + text(f, "seq") + "  " + text(f, "artifact_table") + "/" + text(f, "artifact_id");
      if (f.HasMember("time")) line += "  " + text(f, "time");
      if (f.HasMember("tool")) line += "  " + text(f, "tool");
      if (f.HasMember("outcome")) line += " " + text(f, "outcome") + " (" + text(f, "matched_rule") + ")";
      if (f.HasMember("status")) line += "  TOMBSTONED (payload deleted by retention " + text(f, "deleted_at") + "; hash " +
                                         text(f, "content_hash") + ") [" + text(f, "warning_code") + "]";
    } else if (type == "REDACTION") {
      line += "seq " + text(f, "seq") + "  " + text(f, "artifact_id") + "#" + text(f, "pointer") + " " + text(f, "detector") +
              " " + text(f, "redacted_hash");
    } else if (type == "LOG_DROP") {
      line += "seq " + text(f, "seq") + "  " + text(f, "count") + " events lost: " + text(f, "reason");
    } else if (type == "GAP") {
      line += "seq " + text(f, "seq") + "  ";
      if (f.HasMember("missing_first_seq")) line += "missing " + text(f, "missing_first_seq") + ".." + text(f, "missing_last_seq") + ": ";
      else line += "break in continuity: ";
      line += text(f, "reason");
    } else {
      line += "at seq " + text(f, "failed_seq") + ": " + text(f, "reason") + "; affected entries " + text(f, "affected_seqs");
    }
    if (f.HasMember("warning_code")) line += "  [" + text(f, "warning_code") + "]";
    out += line + "\n";
  }
  return out;
}

std::string RenderFramesJsonl(const Value& r) {
  std::string out;
  rapidjson::Document head(rapidjson::kObjectType);
  for (const auto& m : r.GetObject()) {
    if (std::string(m.name.GetString()) == "frames") continue;
    head.AddMember(Value(m.name, head.GetAllocator()), Value(m.value, head.GetAllocator()), head.GetAllocator());
  }
  out += json::CanonicalText(head) + "\n";
  for (const auto& f : r["frames"].GetArray()) out += json::CanonicalText(f) + "\n";
  return out;
}

}  // namespace oep
