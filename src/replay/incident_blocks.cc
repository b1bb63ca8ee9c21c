#include "replay/incident_blocks.h"

#include <algorithm>

#include "json/json.h"
#include "util/display_text.h"

namespace oep::incident {
namespace {

using rapidjson::Value;

// Reads a replay record; what is absent reads "-", or "not recorded" for a decision
// imported from an OPA decision log (the log has no such field: nothing was lost).
class Reader {
 public:
  explicit Reader(const Value& r) : r_(r) {
    const Value* log = json::FindDotted(r, "permission_packet.body.opa_decision_log");
    log_ = log && log->IsObject() ? log : nullptr;
  }
  bool imported() const { return log_ != nullptr; }
  const Value* log() const { return log_; }
  const Value* Find(const Value& root, std::string_view path) const {
    const Value* v = json::FindDotted(root, path);
    return v == nullptr || v->IsNull() ? nullptr : v;
  }
  const Value* Find(std::string_view path) const { return Find(r_, path); }
  std::string Absent() const { return imported() ? "not recorded" : "-"; }
  // The value at `path` (strings as they are, other values as canonical JSON).
  std::string At(const Value& root, std::string_view path) const {
    const Value* v = Find(root, path);
    if (v == nullptr) return Absent();
    if (!v->IsString()) return json::CanonicalText(*v);
    std::string s(v->GetString(), v->GetStringLength());
    // The importer's placeholders for what a decision log does not hold.
    bool placeholder = imported() && (s == "unreported" || s == "unrecorded" || s == "not recorded" || s == "not_recorded");
    return s.empty() || placeholder ? Absent() : s;
  }
  std::string At(std::string_view path) const { return At(r_, path); }
  // The present values at `paths`, joined by spaces; Absent() when none is present.
  std::string Join(std::initializer_list<std::string_view> paths, std::string_view sep = " ") const {
    std::string out;
    for (auto p : paths) {
      if (Find(p) == nullptr) continue;
      if (!out.empty()) out += sep;
      out += At(p);
    }
    return out.empty() ? Absent() : out;
  }

 private:
  const Value& r_;
  const Value* log_ = nullptr;
};

std::string ShortDigest(const std::string& digest) {
  return digest.size() > 19 ? digest.substr(0, 19) + "…" : digest;
}

std::string Verdict(const Reader& rd) {
  const Value* allow = rd.Find("decision.allow");
  if (rd.imported() && !rd.log()->HasMember("result")) return "UNDEFINED";
  if (allow == nullptr || !allow->IsBool()) return "NO DECISION";
  return allow->GetBool() ? "ALLOWED" : "DENIED";
}

Block DecisionBlock(const Reader& rd) {
  Block b;
  b.heading = "Decision " + rd.At("decision_id") + ": " + Verdict(rd);
  b.fields.push_back({"rule", rd.At("decision.matched_rule"), true});
  b.fields.push_back({"reason", rd.At("decision.reason")});
  if (rd.Find("decision.decision_code")) b.fields.push_back({"code", rd.At("decision.decision_code"), true});
  b.fields.push_back({"time", rd.At("decision_time")});
  if (rd.imported()) {
    const Value& log = *rd.log();
    b.fields.push_back({"logged", "OPA decision log: decision_id " + rd.At(log, "decision_id") + ", path " +
                                      rd.At(log, "path") + ", requested by " + rd.At(log, "requested_by")});
  }
  b.fields.push_back({"actor", rd.Join({"actor.type", "actor.id"})});
  std::string tool = rd.At("tool.name");
  if (rd.Find("tool.operation")) tool += " (" + rd.At("tool.operation") + ")";
  if (rd.Find("tool.version")) tool += " " + rd.At("tool.version");
  b.fields.push_back({"tool", tool});
  b.fields.push_back({"action", rd.Join({"requested_action.action_type", "requested_action.name"}, ": ")});
  std::string resource = rd.Join({"resource.type", "resource.id"});
  if (const Value* m = rd.Find("resource.mutable"); m && m->IsBool()) resource += m->GetBool() ? " (mutable)" : " (immutable)";
  b.fields.push_back({"resource", resource});
  std::string policy = rd.Join({"policy.policy_id", "policy.policy_version"});
  if (rd.Find("policy.package") || rd.Find("policy.engine")) {
    policy += " (" + rd.Join({"policy.package", "policy.engine"}, ", engine ") + ")";
  }
  b.fields.push_back({"policy", policy});
  if (rd.Find("policy.query")) b.fields.push_back({"query", rd.At("policy.query"), true});
  b.fields.push_back({"bundle", rd.At("policy.bundle_digest"), true});
  return b;
}

Block InputBlock(const Reader& rd, const IncidentViewOptions& options) {
  Block b;
  const Value* input = rd.Find("opa_input.body");
  if (input == nullptr) {
    b.heading = "OPA input: MISSING from the store";
    return b;
  }
  std::string text;
  if (options.full_input) {
    b.heading = "OPA input";
    (void)json::Canonicalize(*input, &text, 2);
    b.preformatted = text;
    return b;
  }
  b.heading = "OPA input (summary; --full shows all of it)";
  if (!input->IsObject()) {
    b.fields.push_back({"input", json::CanonicalText(*input)});
    return b;
  }
  for (const auto& m : input->GetObject()) {
    std::string value = m.value.IsString() ? std::string(m.value.GetString(), m.value.GetStringLength())
                                           : json::CanonicalText(m.value);
    b.fields.push_back({std::string(m.name.GetString(), m.name.GetStringLength()), Truncate(value, 100), true, true});
  }
  return b;
}

Block ReleaseBlock(const Reader& rd) {
  Block b;
  if (rd.Find("manifest") == nullptr) {
    b.heading = "Release " + rd.At("permission_packet.body.release_manifest_id") + ": MISSING from the store";
    return b;
  }
  b.heading = "Release " + rd.At("manifest.manifest_id");
  b.fields.push_back({"release", rd.Join({"manifest.release.name", "manifest.release.version"}) +
                                     (rd.Find("manifest.release.status") ? " (" + rd.At("manifest.release.status") + ")" : "")});
  if (const Value* prev = rd.Find("manifest.previous_manifest_id")) {
    b.fields.push_back({"previous", prev->IsString() ? prev->GetString() : json::CanonicalText(*prev), true});
  }
  b.table.headers = {"LAYER", "NAME@VERSION", "DIGEST", "BINDING"};
  b.table.right = {false, false, false, false};
  b.table.wrap_column = 1;
  if (const Value* layers = rd.Find("manifest.layer_bindings"); layers && layers->IsObject()) {
    const char* order[] = {"model", "prompt", "tool_schema", "policy", "workflow", "rollout", "eval", "data_state"};
    std::vector<std::string> names(std::begin(order), std::end(order));
    for (const auto& m : layers->GetObject()) {  // layers outside the known eight, after them
      std::string name = m.name.GetString();
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    }
    for (const auto& name : names) {
      const Value* layer = json::GetMember(*layers, name.c_str());
      if (layer == nullptr) continue;
      if (json::GetString(*layer, "binding_status") == "not_recorded") {
        b.table.rows.push_back({name, "not recorded", "not recorded", "not recorded"});
        continue;
      }
      std::string nv = rd.At(*layer, "name");
      if (rd.Find(*layer, "version")) nv += "@" + rd.At(*layer, "version");
      std::string digest = rd.Find(*layer, "digest") ? ShortDigest(rd.At(*layer, "digest")) : rd.Absent();
      b.table.rows.push_back({name, nv, digest, rd.At(*layer, "binding_status")});
    }
  }
  return b;
}

Block EventBlock(const Reader& rd) {
  Block b;
  const Value* ev = rd.Find("event.body");
  if (ev == nullptr) {
    b.heading = std::string("Event: ") + (rd.imported() ? "not recorded (an OPA decision log records no agent steps)"
                                                        : "MISSING from the store");
    return b;
  }
  b.heading = "Event " + rd.At(*ev, "event_id");
  b.fields.push_back({"type", rd.At(*ev, "event_type") + " at " + rd.At(*ev, "event_time")});
  if (rd.Find(*ev, "checkpoint")) {
    b.fields.push_back({"checkpoint", rd.At(*ev, "checkpoint.name") + " #" + rd.At(*ev, "checkpoint.sequence") + " (" +
                                          rd.At(*ev, "checkpoint.state") + ")"});
  }
  b.fields.push_back({"outcome", rd.At(*ev, "outcome.status") + ": " + rd.At(*ev, "outcome.summary")});
  if (const Value* loss = rd.Find(*ev, "evidence_loss"); loss && loss->IsArray()) {
    for (const auto& item : loss->GetArray()) {
      b.notes.push_back("Evidence loss (" + rd.At(item, "severity") + ") " + rd.At(item, "field") + ": " +
                        rd.At(item, "impact"));
    }
  }
  return b;
}

// Depth of each span below the trace's roots, for indenting names as a tree.
int SpanDepth(const Value& spans, const Value& span) {
  int depth = 0;
  std::string parent = json::GetString(span, "parent_span_id");
  while (!parent.empty() && depth < 32) {
    const Value* next = nullptr;
    for (const auto& s : spans.GetArray()) {
      if (json::GetString(s, "span_id") == parent) next = &s;
    }
    if (next == nullptr) break;
    ++depth;
    parent = json::GetString(*next, "parent_span_id");
  }
  return depth;
}

Block TraceBlock(const Reader& rd) {
  Block b;
  if (rd.Find("trace") == nullptr) {
    b.heading = std::string("Trace: ") + (rd.imported() ? "not recorded (an OPA decision log records no traces)"
                                                        : "MISSING from the store");
    return b;
  }
  b.heading = "Trace " + rd.At("trace.trace_id") + " (" + rd.At("trace.status") + ", " + rd.At("trace.span_count") +
              " spans)";
  const std::string mine = rd.At("permission_packet.body.span_id");
  b.table.headers = {"", "SPAN", "NAME", "STATUS"};
  b.table.right = {false, false, false, false};
  b.table.wrap_column = 2;
  bool marked = false;
  if (const Value* spans = rd.Find("trace.spans"); spans && spans->IsArray()) {
    for (const auto& s : spans->GetArray()) {
      std::string id = json::GetString(s, "span_id");
      bool is_mine = id == mine;
      marked = marked || is_mine;
      b.table.rows.push_back({is_mine ? "→" : "", id, std::string(2 * SpanDepth(*spans, s), ' ') + rd.At(s, "name"),
                              rd.At(s, "status")});
    }
  } else if (const Value* span = rd.Find("trace.span")) {  // a record made before spans were listed
    b.table.rows.push_back({"→", rd.At(*span, "span_id"), rd.At(*span, "name"), rd.At(*span, "status")});
    marked = true;
  }
  b.notes.push_back(marked ? "→ marks the span of this decision (" + mine + ")"
                           : "the decision's span " + mine + " is not in the trace");
  return b;
}

Block ReviewBlock(const Reader& rd) {
  Block b;
  b.heading = "Reviews and approvals";
  if (const Value* eval = rd.Find("eval")) {
    b.fields.push_back({"eval", rd.At(*eval, "eval_id") + ": " + rd.At(*eval, "status")});
  }
  if (const Value* reviews = rd.Find("human_reviews"); reviews && reviews->IsArray()) {
    for (const auto& rev : reviews->GetArray()) {
      b.fields.push_back({"review", rd.At(rev, "event_id") + ": " + rd.At(rev, "action.outcome") + " by " +
                                        rd.At(rev, "reviewer.id") + " (" + rd.At(rev, "reviewer.authority.role") + ") at " +
                                        rd.At(rev, "event_time")});
    }
    if (reviews->Empty()) b.fields.push_back({"review", rd.imported() ? "not recorded" : "none stored"});
  }
  const Value* packet = rd.Find("permission_packet.body");
  const Value* capture = packet ? rd.Find(*packet, "approval_capture") : nullptr;
  if (capture == nullptr) {
    b.fields.push_back({"approval", rd.imported() ? "not recorded" : "none recorded in the permission packet"});
  } else {
    b.fields.push_back({"approval", Truncate(json::CanonicalText(*capture), 200)});
  }
  if (packet && rd.Find(*packet, "scoped_credential_lifetime")) {
    b.fields.push_back({"credential", "scoped, lifetime " + rd.At(*packet, "scoped_credential_lifetime")});
  }
  return b;
}

Block ReconstructionBlock(const Reader& rd) {
  Block b;
  const Value* recon = rd.Find("reconstruction");
  if (recon == nullptr) {
    b.heading = std::string("Reconstruction: ") + (rd.imported() ? "not recorded" : "no reconstruction packet stored");
    return b;
  }
  std::string status = rd.At(*recon, "reconstruction_status");
  std::string verdict = status == "ready" ? "sufficient" : status == "blocked" ? "insufficient (blocked)" : status;
  b.heading = "Reconstruction " + rd.At(*recon, "packet_id") + ": " + verdict;
  std::string missing, stale;
  if (const Value* summary = rd.Find(*recon, "evidence_summary"); summary && summary->IsObject()) {
    for (const auto& m : summary->GetObject()) {
      std::string s = json::GetString(m.value, "status");
      if (s == "missing") missing += (missing.empty() ? "" : ", ") + std::string(m.name.GetString());
      if (s == "stale") stale += (stale.empty() ? "" : ", ") + std::string(m.name.GetString());
    }
  }
  b.fields.push_back({"missing", missing.empty() ? "none" : missing});
  b.fields.push_back({"stale", stale.empty() ? "none" : stale});
  if (const Value* limits = rd.Find(*recon, "open_limitations"); limits && limits->IsArray()) {
    for (const auto& l : limits->GetArray()) {
      b.fields.push_back({"limitation", l.IsString() ? l.GetString() : json::CanonicalText(l)});
    }
  }
  return b;
}

Block EvidenceBlock(const Reader& rd, const IncidentViewOptions& options) {
  Block b;
  b.heading = "Evidence";
  if (options.chain) {
    const ChainEvidence& c = *options.chain;
    b.fields.push_back({"chain", c.chain_id + ": " + (c.evidence_class.empty() ? c.detail : c.evidence_class + " (" +
                                                                                                c.detail + ")")});
  } else {
    b.fields.push_back({"chain", "not classified"});
  }
  if (const Value* ev = rd.Find("evidence"); ev && ev->IsObject()) {
    std::string line;
    for (const char* key : {"manifest", "event", "trace", "span", "eval", "opa_input", "replay_handle"}) {
      std::string status = rd.At(*ev, key);
      if (status == "not_recorded") status = "not recorded";
      line += (line.empty() ? "" : ", ") + std::string(key) + " " + status;
    }
    b.fields.push_back({"pieces", line});
  }
  if (const Value* issues = rd.Find("join_issues"); issues && issues->IsArray()) {
    for (const auto& issue : issues->GetArray()) {
      b.notes.push_back("Join issue: " + std::string(issue.IsString() ? issue.GetString() : ""));
    }
  }
  return b;
}

}  // namespace

std::vector<Block> BuildIncidentBlocks(const Value& record, const IncidentViewOptions& options) {
  Reader rd(record);
  return {DecisionBlock(rd),   InputBlock(rd, options),   ReleaseBlock(rd),
          EventBlock(rd),      TraceBlock(rd),            ReviewBlock(rd),
          ReconstructionBlock(rd), EvidenceBlock(rd, options)};
}

}  // namespace oep::incident
