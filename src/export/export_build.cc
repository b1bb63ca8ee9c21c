// Building an export from the store (see export.h for the document).
#include <algorithm>
#include <ctime>
#include <set>

#include "chain_rows/chain_rows.h"
#include "checkpoint/checkpoint.h"
#include "crypto/sha256.h"
#include "export/export.h"
#include "export/export_json.h"
#include "exposure/exposure.h"
#include "json/json.h"
#include "ledger/ledger.h"
#include "replay/counterfactual.h"
#include "replay/replay.h"
#include "tool_audit/tool_audit.h"
#include "util/rfc3339.h"
#include "verify/chain_verify.h"

namespace oep {

using rapidjson::Value;

std::string ExportTimestamp(std::string_view ts) {
  auto ns = ParseRfc3339Ns(ts);
  if (!ns) return "";
  int64_t ms = *ns >= 0 ? *ns / 1000000 : (*ns - 999999) / 1000000;
  std::time_t secs = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  std::tm tm{};
  if (gmtime_r(&secs, &tm) == nullptr) return "";
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(((ms % 1000) + 1000) % 1000));
  return buf;
}

namespace {

struct Ref {
  std::string table, id;
  bool operator<(const Ref& o) const { return std::tie(table, id) < std::tie(o.table, o.id); }
};

class ExportBuilder {
 public:
  ExportBuilder(Store& store, const ExportOptions& options) : store_(store), options_(options), a_(doc_.GetAllocator()) {
    doc_.SetObject();
  }

  // `wanted` empty: every row of the chain; else those rows (from the chain or elsewhere).
  Result<std::string> Build(const char* kind, const std::string& id, const ChainContents& chain, std::set<Ref> wanted) {
    Value subject(rapidjson::kObjectType);
    Set(subject, "kind", Str(kind));
    Set(subject, "id", Str(id));
    Set(subject, "tenant", Str(store_.tenant()));
    Set(subject, "chain_id", Str(chain.chain_id));
    Set("schema_version", Str(kExportSchemaVersion));
    Set("notice", Str(kExportNotice));
    Set("subject", std::move(subject));
    std::string at = ExportTimestamp(options_.generated_at);
    if (at.empty()) return Status::InvalidArgument("--generated-at \"" + options_.generated_at + "\": expected RFC 3339");
    Set("generated_at", Str(at));
    Set("generator", Str(std::string("oep ") + OEP_VERSION));

    Value entries(rapidjson::kArrayType), seals(rapidjson::kArrayType);
    for (const auto& e : chain.entries) {
      entries.PushBack(EntryToJson(e, a_), a_);
      if (e.kind == "seal") seals.PushBack(ParsedOrNull(e.payload), a_);
    }
    Set("chain", std::move(entries));
    Set("seals", std::move(seals));
    OEP_RETURN_IF_ERROR(AddRecords(chain, wanted));
    OEP_RETURN_IF_ERROR(AddVerification(chain));
    OEP_RETURN_IF_ERROR(AddInclusion(chain));
    OEP_RETURN_IF_ERROR(AddDerived());
    OEP_RETURN_IF_ERROR(AddCounterfactual());
    std::string body;
    OEP_RETURN_IF_ERROR(json::Canonicalize(doc_, &body));
    Set("export_digest", Str(crypto::Sha256Digest(body)));
    std::string out;
    OEP_RETURN_IF_ERROR(json::Canonicalize(doc_, &out));
    return out + "\n";
  }

 private:
  Value Str(std::string_view s) { return Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), a_); }
  void Set(Value& obj, const char* key, Value v) { obj.AddMember(Value(key, a_), v, a_); }
  void Set(const char* key, Value v) { Set(doc_, key, std::move(v)); }
  Value ParsedOrNull(const std::string& text) {
    auto d = json::Parse(text);
    return d.ok() ? Value(*d, a_) : Value(rapidjson::kNullType);
  }

  Result<Value> RecordJson(const std::string& table, const StoredArtifact& row, int64_t entry_id) {
    auto body = json::Parse(row.body);
    if (!body.ok()) return Status::Corruption(table + "/" + row.id + ": stored body is not JSON");
    bodies_.push_back({table, row.id, std::move(*body)});
    Value r(rapidjson::kObjectType);
    Set(r, "table", Str(table));
    Set(r, "id", Str(row.id));
    Set(r, "digest", Str(row.digest));
    Set(r, "source", Str(row.source));
    Set(r, "entry_id", Value(entry_id));
    Set(r, "body", Value(bodies_.back().body, a_));
    return r;
  }

  Status AddRecords(const ChainContents& chain, std::set<Ref> wanted) {
    const bool all = wanted.empty();
    Value records(rapidjson::kArrayType), context(rapidjson::kArrayType);
    std::set<Ref> in_chain;
    for (const auto& r : chain.records) {
      Ref ref{r.table, r.id};
      in_chain.insert(ref);
      if (!all && !wanted.count(ref)) continue;
      wanted.erase(ref);
      auto v = RecordJson(r.table, StoredArtifact{r.id, r.digest, r.body, r.source}, r.entry.entry_id);
      if (!v.ok()) return v.status();
      records.PushBack(*v, a_);
    }
    // Context: the trace and release manifests the records name, and wanted rows of other chains.
    for (const auto& b : bodies_) {
      std::string manifest = json::GetString(b.body, "release_manifest_id");
      if (!manifest.empty()) wanted.insert({"manifests", manifest});
      std::string trace = json::GetString(b.body, "trace_id");
      if (!trace.empty() && b.table != "traces") wanted.insert({"traces", trace});
    }
    const std::string store_chain = TenantChain(store_.tenant(), kStoreChain);
    for (const auto& ref : wanted) {
      if (in_chain.count(ref)) continue;
      auto row = ReadRow(store_, ref.table, ref.id);
      if (!row.ok()) return row.status();
      if (!*row) continue;
      auto entry = FindCoveringEntry(store_, store_chain, ref.table, ref.id);
      if (!entry.ok()) return entry.status();
      auto v = RecordJson(ref.table, **row, *entry ? (*entry)->entry_id : 0);
      if (!v.ok()) return v.status();
      Value c(rapidjson::kObjectType);
      Set(c, "record", std::move(*v));
      Set(c, "entry", *entry ? EntryToJson(**entry, a_) : Value(rapidjson::kNullType));
      if (*entry) context_entries_.push_back(**entry);
      context.PushBack(c, a_);
    }
    Set("records", std::move(records));
    Set("context", std::move(context));
    // Rows of the chain retention deleted: their hash and status, never a body (present only
    // when there are some, so exports of other runs are unchanged).
    if (!chain.tombstoned.empty()) {
      Value tombstoned(rapidjson::kArrayType);
      for (const auto& t : chain.tombstoned) {
        Value r(rapidjson::kObjectType);
        Set(r, "table", Str(t.tombstone.artifact_table));
        Set(r, "id", Str(t.tombstone.artifact_id));
        Set(r, "status", Str("tombstoned"));
        Set(r, "content_hash", Str(t.tombstone.content_hash));
        Set(r, "entry_id", Value(t.entry.entry_id));
        Set(r, "deleted_at", Str(t.tombstone.deleted_at));
        Set(r, "retention_id", Str(t.tombstone.retention_id));
        tombstoned.PushBack(r, a_);
      }
      Set("tombstoned", std::move(tombstoned));
    }
    return Status::Ok();
  }

  // The chain's own checks (VerifyChainEntries) and each of its rows against the content
  // hash its entry commits to: what an export covers, without scanning the whole store.
  Status AddVerification(const ChainContents& chain) {
    ChainReport c = VerifyChainEntries(chain.chain_id, chain.entries, options_.trusted);
    std::string failure = c.ok ? "" : "entry " + std::to_string(c.failed_seq) + ": " + c.failure;
    for (const auto& r : chain.records) {
      if (!failure.empty()) break;
      std::string ref = r.table + "/" + r.id;
      if (crypto::Sha256Hex(r.body) != r.entry.content_hash) failure = "content hash of " + ref + " does not match the stored row (row edited)";
      else if (r.digest != "sha256:" + r.entry.content_hash) failure = "digest column of " + ref + " does not match its body";
      else if (r.source != r.entry.source) failure = "source of " + ref + " differs from the ledger's";
    }
    for (const auto& t : chain.tombstoned) {
      if (!failure.empty()) break;
      if (t.tombstone.content_hash != t.entry.content_hash) {
        failure = "tombstone of " + t.tombstone.artifact_table + "/" + t.tombstone.artifact_id +
                  " does not hold its entry's content hash (tombstone forged or edited)";
      }
    }
    if (failure.empty() && !chain.missing.empty()) failure = chain.missing[0] + " is named by the chain but not stored (row deleted)";
    const bool ok = failure.empty();
    Value v(rapidjson::kObjectType);
    Set(v, "ok", Value(ok));
    Set(v, "failure", Str(failure));
    Set(v, "evidence_class", Str(ok ? EvidenceClassName(c.evidence_class) : "NONE"));
    Set(v, "entries", Value(c.entries));
    Set(v, "drops", Value(c.drops));
    Set(v, "breaks", Value(c.breaks));
    Set(v, "sealed", Value(c.sealed));
    if (!chain.tombstoned.empty()) Set(v, "tombstoned", Value(static_cast<int64_t>(chain.tombstoned.size())));
    Set(v, "authority", Str(c.authority));
    Set(v, "claimed_authority", Str(c.claimed_authority));
    Set(v, "seal_key_id", Str(c.seal_key_id));
    Set(v, "trusted_keys_given", Value(!options_.trusted.empty()));
    Set("verification", std::move(v));
    return Status::Ok();
  }

  Status AddInclusion(const ChainContents& chain) {
    if (options_.checkpoint_note.empty() && options_.checkpoint_key.empty()) {
      Set("inclusion", Value(rapidjson::kNullType));
      return Status::Ok();
    }
    auto cp = options_.checkpoint_key.empty()
                  ? ParseCheckpoint(options_.checkpoint_note, "--checkpoint")
                  : MakeCheckpoint(store_, options_.checkpoint_key,
                                   options_.checkpoint_origin.empty() ? std::string(kDefaultCheckpointOrigin)
                                                                      : options_.checkpoint_origin);
    if (!cp.ok()) return cp.status();
    Value proofs(rapidjson::kArrayType), beyond(rapidjson::kArrayType);
    std::vector<const LedgerEntry*> all;
    for (const auto& e : chain.entries) all.push_back(&e);
    for (const auto& e : context_entries_) all.push_back(&e);
    for (const LedgerEntry* e : all) {
      auto proof = ProveEntry(store_, e->entry_id, *cp);
      if (!proof.ok() && proof.status().code() == StatusCode::kInvalidArgument) {
        beyond.PushBack(Value(e->entry_id), a_);  // appended after the checkpoint
        continue;
      }
      if (!proof.ok()) return proof.status();
      proofs.PushBack(ParsedOrNull(*proof), a_);
    }
    Value inc(rapidjson::kObjectType);
    Set(inc, "checkpoint", Str(cp->note));
    Set(inc, "proofs", std::move(proofs));
    Set(inc, "entries_after_checkpoint", std::move(beyond));
    Set("inclusion", std::move(inc));
    return Status::Ok();
  }

  // release, decisions, timeline, exposure, tool_audit: read from the exported bodies.
  Status AddDerived() {
    Value release(rapidjson::kNullType), decisions(rapidjson::kArrayType), findings(rapidjson::kArrayType);
    std::vector<std::pair<std::string, Value>> timeline;
    std::vector<ExposureFinding> exposure;
    std::vector<ToolUse> uses;
    auto event = [&](const std::string& at, const char* kind, const std::string& ref, const std::string& what) {
      Value t(rapidjson::kObjectType);
      std::string norm = ExportTimestamp(at);
      Set(t, "at", norm.empty() ? Value(rapidjson::kNullType) : Str(norm));
      Set(t, "kind", Str(kind));
      Set(t, "ref", Str(ref));
      Set(t, "what", Str(what));
      timeline.emplace_back(norm, std::move(t));
    };
    for (const auto& b : bodies_) {
      ScanForExposure(b.body, b.table + "/" + b.id, &exposure);
      if (b.table == "manifests") {
        release.SetObject();
        Set(release, "manifest_id", Str(b.id));
        const Value* r = json::GetMember(b.body, "release");
        Set(release, "release", r ? Value(*r, a_) : Value(rapidjson::kNullType));
      } else if (b.table == "decisions") {
        CountToolUse(b.body, &uses);
        auto summary = DecisionSummary(b);
        if (!summary.ok()) return summary.status();
        const Value& sv = *summary;
        std::string verdict = sv["allow"].IsBool() ? (sv["allow"].GetBool() ? "allowed" : "denied") : "decided";
        event(json::GetString(b.body, "decision_time"), "decision", b.id,
              json::GetString(sv, "tool") + " " + verdict + " by " + json::GetString(sv, "matched_rule"));
        decisions.PushBack(*summary, a_);
      } else if (b.table == "events") {
        event(json::GetString(b.body, "event_time"), "event", b.id, json::GetString(b.body, "event_type"));
      } else if (b.table == "human_reviews") {
        event(json::GetString(b.body, "event_time"), "review", b.id, json::GetString(b.body, "event_type"));
      }
    }
    for (const auto& e : doc_["seals"].GetArray()) {
      if (e.IsObject()) event(json::GetString(e, "sealed_at"), "seal", json::GetString(e, "authority"), "chain sealed");
    }
    std::stable_sort(timeline.begin(), timeline.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
    Value tl(rapidjson::kArrayType);
    for (auto& [at, v] : timeline) tl.PushBack(v, a_);
    for (const auto& f : exposure) {
      Value o(rapidjson::kObjectType);
      Set(o, "severity", Str(f.severity));
      Set(o, "detector", Str(f.detector));
      Set(o, "record", Str(f.record));
      Set(o, "pointer", Str(f.pointer));
      Set(o, "excerpt", Str(f.excerpt));
      findings.PushBack(o, a_);
    }
    for (auto& u : uses) {  // the export's own time format
      u.first_use = ExportTimestamp(u.first_use);
      u.last_use = ExportTimestamp(u.last_use);
    }
    Value tools;
    ToolUseToJson(uses, &tools, a_);
    Set("release", std::move(release));
    Set("decisions", std::move(decisions));
    Set("timeline", std::move(tl));
    Set("exposure", std::move(findings));
    Set("tool_audit", std::move(tools));
    return Status::Ok();
  }

  // Each exported decision re-decided under the substituted bundle, at the export's time.
  Status AddCounterfactual() {
    if (options_.counterfactual_bundle.empty()) {
      Set("counterfactual", Value(rapidjson::kNullType));
      return Status::Ok();
    }
    CounterfactualOptions o;
    o.engine.bundle = options_.counterfactual_bundle;
    o.replay_timestamp_utc = ExportTimestamp(options_.generated_at);
    Value results(rapidjson::kArrayType), out(rapidjson::kObjectType);
    std::string bundle_digest, engine;
    for (const auto& b : bodies_) {
      if (b.table != "decisions") continue;
      auto r = CounterfactualReplay(store_, b.id, o);
      if (!r.ok()) return r.status().WithContext("--counterfactual " + options_.counterfactual_bundle);
      const Value& cf = (*r)["counterfactual"];
      auto first_rule = [](const Value& side) {
        const Value* rules = json::GetMember(side, "matched_rules");
        return rules && rules->IsArray() && !rules->Empty() && (*rules)[0].IsString() ? std::string((*rules)[0].GetString()) : "";
      };
      bundle_digest = json::GetString(cf, "policy_bundle_version");
      engine = json::GetString((*r)["engine"], "version");
      Value x(rapidjson::kObjectType);
      Set(x, "decision_id", Str(b.id));
      Set(x, "transition", Str(json::GetString((*r)["diff"], "transition")));
      Set(x, "original_rule", Str(first_rule((*r)["original"])));
      Set(x, "counterfactual_rule", Str(first_rule(cf)));
      Set(x, "counterfactual_reason", Str(json::GetString(cf, "rationale")));
      Set(x, "replay_class", Str(json::GetString((*r)["replay_metadata"], "replay_class")));
      results.PushBack(x, a_);
    }
    Set(out, "bundle_digest", Str(bundle_digest));
    Set(out, "engine", Str(engine));
    Set(out, "results", std::move(results));
    Set("counterfactual", std::move(out));
    return Status::Ok();
  }

  struct Body {
    std::string table, id;
    rapidjson::Document body;
  };

  Result<Value> DecisionSummary(const Body& b) {
    const Value& p = b.body;
    Value s(rapidjson::kObjectType);
    const Value* decision = json::GetMember(p, "decision");
    const Value* allow = decision ? json::GetMember(*decision, "allow") : nullptr;
    const Value* actor = json::GetMember(p, "actor");
    const Value* tool = json::GetMember(p, "tool");
    const Value* approval = json::GetMember(p, "approval_capture");
    Set(s, "decision_id", Str(b.id));
    Set(s, "decision_time", Str(ExportTimestamp(json::GetString(p, "decision_time"))));
    Set(s, "actor", Str(actor ? json::GetString(*actor, "id") : ""));
    Set(s, "tool", Str(tool ? json::GetString(*tool, "name") : ""));
    Set(s, "allow", allow && allow->IsBool() ? Value(allow->GetBool()) : Value(rapidjson::kNullType));
    Set(s, "matched_rule", Str(decision ? json::GetString(*decision, "matched_rule") : ""));
    Set(s, "reason", Str(decision ? json::GetString(*decision, "reason") : ""));
    Set(s, "approval", approval && approval->IsObject() ? Value(*approval, a_) : Value(rapidjson::kNullType));
    Set(s, "break_glass", Value(IsBreakGlass(p)));
    auto replay = ReplayDecision(store_, b.id);
    if (!replay.ok()) return replay.status();
    Set(s, "join_issues", Value((*replay)["join_issues"], a_));
    return s;
  }

  Store& store_;
  const ExportOptions& options_;
  rapidjson::Document doc_;
  rapidjson::Document::AllocatorType& a_;
  std::vector<Body> bodies_;
  std::vector<LedgerEntry> context_entries_;
};

ExportOptions WithNow(const ExportOptions& o, std::string* storage) {
  ExportOptions copy = o;
  if (copy.generated_at.empty()) {
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    *storage = buf;
    copy.generated_at = *storage;
  }
  return copy;
}

}  // namespace

Result<std::string> ExportRun(Store& store, const std::string& run_id, const ExportOptions& options) {
  auto chain = ReadChain(store, TenantChain(store.tenant(), "run:" + run_id));
  if (chain.status().code() == StatusCode::kNotFound) {
    return Status::NotFound("no run \"" + run_id + "\" in " + store.path() + " (a run is the chain run:<trace id>)");
  }
  if (!chain.ok()) return chain.status();
  std::string now;
  ExportOptions o = WithNow(options, &now);
  return ExportBuilder(store, o).Build("run", run_id, *chain, {});
}

Result<std::string> ExportDecision(Store& store, const std::string& decision_id, const ExportOptions& options) {
  auto replay = ReplayDecision(store, decision_id);
  if (!replay.ok()) return replay.status();
  const Value& r = *replay;
  std::set<Ref> wanted{{"decisions", decision_id}};
  wanted.insert({"decision_inputs", decision_id});
  auto add = [&](const char* table, const Value& obj, const char* id_key) {
    if (obj.IsObject()) {
      std::string id = json::GetString(obj, id_key);
      if (id.empty() && obj.HasMember("body")) id = json::GetString(obj["body"], id_key);
      if (!id.empty()) wanted.insert({table, id});
    }
  };
  add("events", r["event"], "event_id");
  add("traces", r["trace"], "trace_id");
  add("manifests", r["manifest"], "manifest_id");
  add("evals", r["eval"], "eval_id");
  add("reconstructions", r["reconstruction"], "packet_id");
  for (const auto& review : r["human_reviews"].GetArray()) add("human_reviews", review, "event_id");
  std::string trace_id = json::GetString(r["permission_packet"]["body"], "trace_id");
  std::optional<std::string> trace;
  if (!trace_id.empty()) trace = trace_id;
  auto chain = ReadChain(store, TenantChain(store.tenant(), ChainForTrace(trace)));
  if (!chain.ok()) return chain.status();
  std::string now;
  ExportOptions o = WithNow(options, &now);
  return ExportBuilder(store, o).Build("decision", decision_id, *chain, std::move(wanted));
}

}  // namespace oep
