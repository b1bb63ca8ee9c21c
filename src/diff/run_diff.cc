#include "diff/run_diff.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>

#include "json/json.h"
#include "json/json_pointer.h"
#include "redaction/redaction_marker.h"
#include "util/files.h"
#include "util/rfc3339.h"

namespace oep {
namespace {

using Alloc = rapidjson::Document::AllocatorType;

// ---------------------------------------------------------------------------------------
// Profiles

const std::vector<std::string>& StrictIgnores() {
  static const std::vector<std::string> v = {"event_id",  "trace_id",       "span_id",   "parent_span_id",
                                             "tool_call_id", "permission_packet_ref", "packet_id", "run_id",
                                             "chain_id",  "links",
                                             // a step's position: what the alignment compares
                                             "/checkpoint/sequence"};
  return v;
}

const std::vector<std::string>& DefaultExtraIgnores() {
  static const std::vector<std::string> v = {"event_time", "decision_time", "created_at", "started_at", "ended_at",
                                             "timestamp",  "duration_ms",   "duration_s", "latency_ms", "request_id",
                                             "x-request-id"};
  return v;
}

std::optional<DiffProfile> BuiltinProfile(std::string_view name) {
  DiffProfile p;
  p.name = std::string(name);
  p.source = "built-in";
  if (name == "strict") {
    p.ignore = StrictIgnores();
  } else if (name == "default") {
    p.ignore = StrictIgnores();
    p.ignore.insert(p.ignore.end(), DefaultExtraIgnores().begin(), DefaultExtraIgnores().end());
  } else {
    return std::nullopt;
  }
  return p;
}

Status ProfileError(const std::string& file, const std::string& pointer, const std::string& expected) {
  return Status::InvalidArgument(file + ": " + pointer + ": expected " + expected);
}

// One ignore entry: a member name, or a pointer pattern split into unescaped segments.
struct IgnoreRule {
  bool is_pointer = false;
  std::string name;
  std::vector<std::string> segments;
};

std::vector<IgnoreRule> CompileIgnores(const DiffProfile& profile) {
  std::vector<IgnoreRule> rules;
  for (const auto& entry : profile.ignore) {
    IgnoreRule r;
    if (!entry.empty() && entry[0] == '/') {
      r.is_pointer = true;
      r.segments = json::SplitPointer(entry);
    } else {
      r.name = entry;
    }
    rules.push_back(std::move(r));
  }
  return rules;
}

// ---------------------------------------------------------------------------------------
// Value differences

struct Change {
  std::string pointer;
  std::string kind;  // changed | added | removed | changed (redacted) | same (redacted)
  std::string a, b;  // canonical JSON of each side ("" when absent or redacted)
  bool Counts() const { return kind != "same (redacted)"; }
};

class ValueDiff {
 public:
  explicit ValueDiff(const std::vector<IgnoreRule>& rules) : rules_(rules) {}

  // Appends what differs between `a` and `b` (nullptr: absent) below `path`.
  void Compare(const rapidjson::Value* a, const rapidjson::Value* b, std::vector<std::string>& path,
               std::vector<Change>& out) const {
    if (Ignored(path)) return;
    if (a == nullptr && b == nullptr) return;
    std::optional<std::string> ha = a ? RedactionMarkerHash(*a) : std::nullopt;
    std::optional<std::string> hb = b ? RedactionMarkerHash(*b) : std::nullopt;
    bool redacted = ha || hb;
    if (a == nullptr || b == nullptr) {
      Change c{Pointer(path), a == nullptr ? (redacted ? "added (redacted)" : "added")
                                           : (redacted ? "removed (redacted)" : "removed"),
               "", ""};
      if (!redacted) (a ? c.a : c.b) = json::CanonicalText(a ? *a : *b);
      out.push_back(std::move(c));
      return;
    }
    if (redacted) {
      std::string x = ha ? *ha : RedactionHashOf(*a), y = hb ? *hb : RedactionHashOf(*b);
      out.push_back({Pointer(path), x == y ? "same (redacted)" : "changed (redacted)", "", ""});
      return;
    }
    if (a->IsObject() && b->IsObject()) {
      std::set<std::string> names;
      for (const auto& m : a->GetObject()) names.emplace(m.name.GetString(), m.name.GetStringLength());
      for (const auto& m : b->GetObject()) names.emplace(m.name.GetString(), m.name.GetStringLength());
      for (const auto& name : names) {
        path.push_back(name);
        Compare(Member(*a, name), Member(*b, name), path, out);
        path.pop_back();
      }
      return;
    }
    if (a->IsArray() && b->IsArray()) {
      rapidjson::SizeType n = std::max(a->Size(), b->Size());
      for (rapidjson::SizeType i = 0; i < n; ++i) {
        path.push_back(std::to_string(i));
        Compare(i < a->Size() ? &(*a)[i] : nullptr, i < b->Size() ? &(*b)[i] : nullptr, path, out);
        path.pop_back();
      }
      return;
    }
    std::string x = json::CanonicalText(*a), y = json::CanonicalText(*b);
    if (x != y) out.push_back({Pointer(path), "changed", std::move(x), std::move(y)});
  }

  std::vector<Change> Compare(const rapidjson::Value* a, const rapidjson::Value* b, std::vector<std::string> path = {}) const {
    std::vector<Change> out;
    Compare(a, b, path, out);
    return out;
  }

  // The canonical text of `v` without the members the profile ignores (markers kept as
  // they are): equal texts mean no difference.
  std::string Normalized(const rapidjson::Value& v) const {
    rapidjson::Document copy;
    std::vector<std::string> path;
    Strip(v, path, &copy, copy.GetAllocator());
    return json::CanonicalText(copy);
  }

 private:
  static const rapidjson::Value* Member(const rapidjson::Value& obj, const std::string& name) {
    auto it = obj.FindMember(rapidjson::StringRef(name.data(), static_cast<rapidjson::SizeType>(name.size())));
    return it == obj.MemberEnd() ? nullptr : &it->value;
  }

  bool Ignored(const std::vector<std::string>& path) const {
    if (path.empty()) return false;
    for (const auto& r : rules_) {
      if (!r.is_pointer) {
        if (path.back() == r.name) return true;
        continue;
      }
      if (r.segments.size() != path.size()) continue;
      bool match = true;
      for (size_t i = 0; i < path.size() && match; ++i) match = r.segments[i] == "*" || r.segments[i] == path[i];
      if (match) return true;
    }
    return false;
  }

  void Strip(const rapidjson::Value& v, std::vector<std::string>& path, rapidjson::Value* out, Alloc& a) const {
    if (v.IsObject() && !RedactionMarkerHash(v)) {
      out->SetObject();
      for (const auto& m : v.GetObject()) {
        path.emplace_back(m.name.GetString(), m.name.GetStringLength());
        if (!Ignored(path)) {
          rapidjson::Value child;
          Strip(m.value, path, &child, a);
          out->AddMember(rapidjson::Value(m.name, a), child, a);
        }
        path.pop_back();
      }
    } else if (v.IsArray()) {
      out->SetArray();
      for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
        path.push_back(std::to_string(i));
        rapidjson::Value child;
        if (!Ignored(path)) Strip(v[i], path, &child, a);  // an ignored element compares as null
        out->PushBack(child, a);
        path.pop_back();
      }
    } else {
      out->CopyFrom(v, a);
    }
  }

  static std::string Pointer(const std::vector<std::string>& path) {
    std::string p;
    for (const auto& s : path) p += "/" + json::EscapePointerSegment(s);
    return p;
  }

  const std::vector<IgnoreRule>& rules_;
};

// ---------------------------------------------------------------------------------------
// Runs

struct Step {
  int64_t index = 0;  // 1-based position in the run
  std::string event_id;
  rapidjson::Document event;
  std::optional<rapidjson::Document> packet;
  std::string kind, action, checkpoint, tool;
  std::string Key() const { return kind + "|" + action + "|" + checkpoint; }
  std::string Label() const {
    std::string s = tool.empty() ? (action.empty() ? kind : action) : tool;
    return checkpoint.empty() ? s : s + " @ " + checkpoint;
  }
};

struct RunView {
  std::string id;
  std::string source;  // "server run" | "stored events"
  std::optional<RunSummary> run;
  rapidjson::Document run_body;  // null when not a server run
  std::vector<Step> steps;
  std::string manifest_id;
  std::optional<rapidjson::Document> manifest;
};

Result<rapidjson::Document> ParseStored(const StoredArtifact& row, const std::string& what) {
  auto doc = json::Parse(row.body);
  if (!doc.ok()) return doc.status().WithContext(what + " " + row.id + " as stored");
  return std::move(*doc);
}

Status FillStep(Store& store, Step& s) {
  const rapidjson::Value& e = s.event;
  std::string type = json::GetString(e, "event_type");
  s.kind = type.substr(0, type.find('.'));
  if (const auto* action = json::GetMember(e, "action"); action && action->IsObject()) {
    s.action = json::GetString(*action, "action_type");
  }
  if (const auto* cp = json::GetMember(e, "checkpoint"); cp && cp->IsObject()) s.checkpoint = json::GetString(*cp, "name");
  std::string ref = json::GetString(e, "permission_packet_ref");
  std::optional<StoredArtifact> packet_row;
  if (!ref.empty()) {
    auto row = store.Get(ArtifactKind::kPermissionPacket, ref);
    if (!row.ok()) return row.status();
    packet_row = std::move(*row);
  }
  if (!packet_row) {
    auto rows = store.FindBy(ArtifactKind::kPermissionPacket, "event_id", s.event_id, 1);
    if (!rows.ok()) return rows.status();
    if (!rows->empty()) packet_row = std::move(rows->front());
  }
  if (packet_row) {
    auto doc = ParseStored(*packet_row, "permission packet");
    if (!doc.ok()) return doc.status();
    s.packet = std::move(*doc);
    if (const auto* tool = json::GetMember(*s.packet, "tool"); tool && tool->IsObject()) s.tool = json::GetString(*tool, "name");
  }
  return Status::Ok();
}

Result<RunView> LoadRun(Store& store, const std::string& id) {
  RunView v;
  v.id = id;
  v.run_body.SetNull();
  auto run = store.GetRun(id);
  if (!run.ok()) return run.status();
  std::vector<StoredArtifact> events;
  if (*run) {
    v.source = "server run";
    v.run = **run;
    auto body = json::Parse((*run)->run.body);
    if (!body.ok()) return body.status().WithContext("run " + id + " as stored");
    v.run_body = std::move(*body);
    if ((*run)->steps > static_cast<int64_t>(kMaxDiffSteps)) {
      return Status::InvalidArgument("run " + id + " has " + std::to_string((*run)->steps) + " steps; oep diff compares runs of at most " +
                                     std::to_string(kMaxDiffSteps));
    }
    for (int64_t after = 0;;) {
      auto page = store.RunSteps(id, after, 1000);
      if (!page.ok()) return page.status();
      if (page->empty()) break;
      for (auto& step : *page) {
        after = step.step;
        if (step.tombstoned) continue;  // deleted by retention: nothing left to compare
        events.push_back({step.event_id, step.digest, std::move(step.body), ""});
      }
    }
  } else {
    v.source = "stored events";
    auto rows = store.FindBy(ArtifactKind::kAgentStepEvent, "trace_id", id, static_cast<int>(kMaxDiffSteps) + 1);
    if (!rows.ok()) return rows.status();
    if (rows->empty()) {
      return Status::NotFound("no run " + id + ": no run posted to oep serve and no agent-step event has this trace id");
    }
    if (rows->size() > kMaxDiffSteps) {
      return Status::InvalidArgument("run " + id + " has more than " + std::to_string(kMaxDiffSteps) +
                                     " events; oep diff compares runs of at most " + std::to_string(kMaxDiffSteps));
    }
    events = std::move(*rows);
  }
  for (auto& row : events) {
    Step s;
    s.event_id = row.id;
    auto doc = ParseStored(row, "agent-step event");
    if (!doc.ok()) return doc.status();
    s.event = std::move(*doc);
    OEP_RETURN_IF_ERROR(FillStep(store, s));
    v.steps.push_back(std::move(s));
  }
  if (!v.run) {
    // Stored events have no step numbers: checkpoint sequence, then time, then id.
    auto order = [](const Step& s) {
      int64_t seq = INT64_MAX;
      if (const auto* cp = json::GetMember(s.event, "checkpoint"); cp && cp->IsObject()) {
        if (const auto* n = json::GetMember(*cp, "sequence"); n && n->IsInt64()) seq = n->GetInt64();
      }
      return std::make_tuple(seq, ParseRfc3339Ns(json::GetString(s.event, "event_time")).value_or(INT64_MAX), s.event_id);
    };
    std::stable_sort(v.steps.begin(), v.steps.end(), [&](const Step& x, const Step& y) { return order(x) < order(y); });
  }
  for (size_t i = 0; i < v.steps.size(); ++i) v.steps[i].index = static_cast<int64_t>(i + 1);
  v.manifest_id = v.run ? v.run->run.release_manifest_id : "";
  if (v.manifest_id.empty() && !v.steps.empty()) v.manifest_id = json::GetString(v.steps.front().event, "release_manifest_id");
  if (!v.manifest_id.empty()) {
    auto row = store.Get(ArtifactKind::kReleaseManifest, v.manifest_id);
    if (!row.ok()) return row.status();
    if (*row) {
      auto doc = ParseStored(**row, "release manifest");
      if (!doc.ok()) return doc.status();
      v.manifest = std::move(*doc);
    }
  }
  return v;
}

// ---------------------------------------------------------------------------------------
// Alignment: the longest common subsequence of step keys over the part of the two runs
// between their common prefix and suffix; runs whose differing middles are too large for
// that are aligned by position (and the record says so).

inline constexpr size_t kMaxAlignmentCells = size_t{16} << 20;

struct Aligned {
  std::optional<size_t> a, b;  // indexes into the runs' steps; one empty: deleted / inserted
};

std::vector<Aligned> Align(const std::vector<Step>& a, const std::vector<Step>& b, bool* positional) {
  std::vector<Aligned> out;
  // Keys are built once: the LCS below compares them O(n*m) times.
  std::vector<std::string> ka, kb;
  for (const auto& s : a) ka.push_back(s.Key());
  for (const auto& s : b) kb.push_back(s.Key());
  size_t n = a.size(), m = b.size(), pre = 0, suf = 0;
  while (pre < n && pre < m && ka[pre] == kb[pre]) ++pre;
  while (suf < n - pre && suf < m - pre && ka[n - 1 - suf] == kb[m - 1 - suf]) ++suf;
  for (size_t i = 0; i < pre; ++i) out.push_back({i, i});
  size_t an = n - pre - suf, bm = m - pre - suf;
  *positional = an > 0 && bm > 0 && an * bm > kMaxAlignmentCells;
  if (*positional) {
    for (size_t i = 0; i < std::max(an, bm); ++i) {
      out.push_back({i < an ? std::optional<size_t>(pre + i) : std::nullopt, i < bm ? std::optional<size_t>(pre + i) : std::nullopt});
    }
  } else if (an > 0 || bm > 0) {
    // lcs[i][j]: the LCS length of a[pre+i..] and b[pre+j..].
    std::vector<uint32_t> lcs((an + 1) * (bm + 1), 0);
    auto at = [&](size_t i, size_t j) -> uint32_t& { return lcs[i * (bm + 1) + j]; };
    for (size_t i = an; i-- > 0;) {
      for (size_t j = bm; j-- > 0;) {
        at(i, j) = ka[pre + i] == kb[pre + j] ? at(i + 1, j + 1) + 1 : std::max(at(i + 1, j), at(i, j + 1));
      }
    }
    size_t i = 0, j = 0;
    while (i < an || j < bm) {
      if (i < an && j < bm && ka[pre + i] == kb[pre + j]) {
        out.push_back({pre + i++, pre + j++});
      } else if (j < bm && (i == an || at(i, j + 1) >= at(i + 1, j))) {
        out.push_back({std::nullopt, pre + j++});
      } else {
        out.push_back({pre + i++, std::nullopt});
      }
    }
  }
  for (size_t k = 0; k < suf; ++k) out.push_back({n - suf + k, m - suf + k});
  return out;
}

// ---------------------------------------------------------------------------------------
// The record

rapidjson::Value Str(std::string_view s, Alloc& a) {
  return rapidjson::Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), a);
}

rapidjson::Value ParsedOrNull(const std::string& canonical, Alloc& a) {
  rapidjson::Value v;
  if (canonical.empty()) return v;
  auto doc = json::Parse(canonical);
  if (doc.ok()) v.CopyFrom(*doc, a);
  return v;
}

rapidjson::Value ChangesJson(const std::vector<Change>& changes, Alloc& a) {
  rapidjson::Value arr(rapidjson::kArrayType);
  for (const auto& c : changes) {
    rapidjson::Value o(rapidjson::kObjectType);
    o.AddMember("pointer", Str(c.pointer, a), a);
    o.AddMember("change", Str(c.kind, a), a);
    if (!c.a.empty()) o.AddMember("a", ParsedOrNull(c.a, a), a);
    if (!c.b.empty()) o.AddMember("b", ParsedOrNull(c.b, a), a);
    arr.PushBack(o, a);
  }
  return arr;
}

int64_t Counted(const std::vector<Change>& changes) {
  return std::count_if(changes.begin(), changes.end(), [](const Change& c) { return c.Counts(); });
}

// The manifest's layer bindings of one group (prompt, model, or the rest).
enum class LayerGroup { kPrompt, kModel, kOther };

void AddLayers(const RunView& v, LayerGroup group, rapidjson::Value* out, Alloc& a) {
  out->SetObject();
  if (!v.manifest) return;
  const auto* layers = json::GetMember(*v.manifest, "layer_bindings");
  if (layers == nullptr || !layers->IsObject()) return;
  for (const auto& m : layers->GetObject()) {
    std::string type = m.value.IsObject() ? json::GetString(m.value, "layer_type") : "";
    LayerGroup g = type == "prompt" ? LayerGroup::kPrompt : type == "model" ? LayerGroup::kModel : LayerGroup::kOther;
    if (g != group) continue;
    rapidjson::Value copy;
    copy.CopyFrom(m.value, a);
    out->AddMember(rapidjson::Value(m.name, a), copy, a);
  }
}

// What the prompt-stack category compares: the manifest's prompt layers, and prompt
// templates the run's metadata declares ("prompt_stack").
rapidjson::Document PromptDoc(const RunView& v) {
  rapidjson::Document d(rapidjson::kObjectType);
  auto& a = d.GetAllocator();
  rapidjson::Value layers;
  AddLayers(v, LayerGroup::kPrompt, &layers, a);
  d.AddMember("layers", layers, a);
  const rapidjson::Value* meta = v.run_body.IsObject() ? json::GetMember(v.run_body, "metadata") : nullptr;
  if (meta && meta->IsObject()) {
    if (const auto* stack = json::GetMember(*meta, "prompt_stack")) {
      rapidjson::Value copy;
      copy.CopyFrom(*stack, a);
      d.AddMember("prompt_stack", copy, a);
    }
  }
  return d;
}

// The model configuration: the run's model, the manifest's model layers, and the distinct
// "model" members of its steps (as SDKs record them), sorted.
rapidjson::Document ModelDoc(const RunView& v) {
  rapidjson::Document d(rapidjson::kObjectType);
  auto& a = d.GetAllocator();
  d.AddMember("run_model", v.run && !v.run->run.model.empty() ? Str(v.run->run.model, a) : rapidjson::Value(), a);
  rapidjson::Value layers;
  AddLayers(v, LayerGroup::kModel, &layers, a);
  d.AddMember("layers", layers, a);
  std::set<std::string> models;
  for (const auto& s : v.steps) {
    if (const auto* m = json::GetMember(s.event, "model")) models.insert(json::CanonicalText(*m));
  }
  rapidjson::Value arr(rapidjson::kArrayType);
  for (const auto& m : models) arr.PushBack(ParsedOrNull(m, a), a);
  d.AddMember("step_models", arr, a);
  return d;
}

// Metadata and tags: tags as a set ({"tag": true}), the run's agent and metadata, the
// release manifest id and its other layers.
rapidjson::Document MetadataDoc(const RunView& v) {
  rapidjson::Document d(rapidjson::kObjectType);
  auto& a = d.GetAllocator();
  d.AddMember("release_manifest_id", v.manifest_id.empty() ? rapidjson::Value() : Str(v.manifest_id, a), a);
  d.AddMember("agent", v.run && !v.run->run.agent.empty() ? Str(v.run->run.agent, a) : rapidjson::Value(), a);
  rapidjson::Value tags(rapidjson::kObjectType);
  if (v.run) {
    std::set<std::string> sorted(v.run->run.tags.begin(), v.run->run.tags.end());
    for (const auto& t : sorted) tags.AddMember(Str(t, a), rapidjson::Value(true), a);
  }
  d.AddMember("tags", tags, a);
  rapidjson::Value meta;
  const rapidjson::Value* m = v.run_body.IsObject() ? json::GetMember(v.run_body, "metadata") : nullptr;
  if (m) meta.CopyFrom(*m, a);
  if (meta.IsObject()) meta.RemoveMember("prompt_stack");  // compared as the prompt stack
  d.AddMember("metadata", meta, a);
  rapidjson::Value layers;
  AddLayers(v, LayerGroup::kOther, &layers, a);
  d.AddMember("release_layers", layers, a);
  return d;
}

double RoundCost(double x) { return std::round(x * 1e9) / 1e9; }

// Cost, tokens, duration and counts of a run.
rapidjson::Document CostDoc(const RunView& v) {
  rapidjson::Document d(rapidjson::kObjectType);
  auto& a = d.GetAllocator();
  double cost = 0, run_cost = 0;
  int64_t tokens = 0, denials = 0, tool_calls = 0;
  std::optional<int64_t> first, last;
  for (const auto& s : v.steps) {
    if (const auto* b = json::GetMember(s.event, "budget"); b && b->IsObject()) {
      if (const auto* c = json::GetMember(*b, "step_cost_usd"); c && c->IsNumber()) cost += c->GetDouble();
      if (const auto* c = json::GetMember(*b, "run_cost_usd"); c && c->IsNumber()) run_cost = std::max(run_cost, c->GetDouble());
      if (const auto* t = json::GetMember(*b, "step_tokens"); t && t->IsInt64()) tokens += t->GetInt64();
    }
    if (s.packet) {
      ++tool_calls;
      const auto* decision = json::GetMember(*s.packet, "decision");
      const auto* allow = decision && decision->IsObject() ? json::GetMember(*decision, "allow") : nullptr;
      if (allow && allow->IsBool() && !allow->GetBool()) ++denials;
    }
    if (auto t = ParseRfc3339Ns(json::GetString(s.event, "event_time"))) {
      first = first ? std::min(*first, *t) : *t;
      last = last ? std::max(*last, *t) : *t;
    }
  }
  d.AddMember("steps", static_cast<int64_t>(v.steps.size()), a);
  d.AddMember("tool_calls", tool_calls, a);
  d.AddMember("denials", denials, a);
  d.AddMember("cost_usd", RoundCost(std::max(cost, run_cost)), a);
  d.AddMember("tokens", tokens, a);
  if (first) {
    d.AddMember("duration_ms", (*last - *first) / 1000000, a);
  } else {
    d.AddMember("duration_ms", rapidjson::Value(), a);
  }
  return d;
}

// The part of a permission packet a tool call's comparison includes (the decision itself
// is the policy category's).
rapidjson::Document PacketCallDoc(const Step& s) {
  rapidjson::Document d;
  if (!s.packet) return d;
  d.SetObject();
  for (const char* name : {"tool", "requested_action", "resource"}) {
    if (const auto* m = json::GetMember(*s.packet, name)) {
      rapidjson::Value copy;
      copy.CopyFrom(*m, d.GetAllocator());
      d.AddMember(rapidjson::StringRef(name), copy, d.GetAllocator());
    }
  }
  return d;
}

std::vector<Change> StepChanges(const ValueDiff& diff, const Step& x, const Step& y) {
  std::vector<Change> out = diff.Compare(&x.event, &y.event);
  rapidjson::Document px = PacketCallDoc(x), py = PacketCallDoc(y);
  std::vector<std::string> path{"permission_packet"};
  diff.Compare(px.IsNull() ? nullptr : &px, py.IsNull() ? nullptr : &py, path, out);
  return out;
}

// The decision block of a step's packet as the policy category shows it (null: no packet).
rapidjson::Value DecisionJson(const Step& s, Alloc& a) {
  rapidjson::Value o;
  if (!s.packet) return o;
  o.SetObject();
  o.AddMember("decision_id", Str(json::GetString(*s.packet, "packet_id"), a), a);
  const auto* d = json::GetMember(*s.packet, "decision");
  for (const char* name : {"allow", "matched_rule", "reason", "decision_code"}) {
    const auto* m = d && d->IsObject() ? json::GetMember(*d, name) : nullptr;
    rapidjson::Value copy;
    if (m) copy.CopyFrom(*m, a);
    o.AddMember(rapidjson::StringRef(name), copy, a);
  }
  return o;
}

void AddStepRef(rapidjson::Value& o, const char* side, const Step* s, Alloc& a) {
  if (s == nullptr) return;
  o.AddMember(rapidjson::StringRef(side == std::string_view("a") ? "a_step" : "b_step"), s->index, a);
  o.AddMember(rapidjson::StringRef(side == std::string_view("a") ? "a_event_id" : "b_event_id"), Str(s->event_id, a), a);
}

rapidjson::Value RunJson(const RunView& v, Alloc& a) {
  rapidjson::Value o(rapidjson::kObjectType);
  o.AddMember("run_id", Str(v.id, a), a);
  o.AddMember("source", Str(v.source, a), a);
  o.AddMember("steps", static_cast<int64_t>(v.steps.size()), a);
  o.AddMember("release_manifest_id", v.manifest_id.empty() ? rapidjson::Value() : Str(v.manifest_id, a), a);
  o.AddMember("release_manifest_stored", v.manifest.has_value(), a);
  if (v.run) o.AddMember("status", rapidjson::StringRef(v.run->finished ? "finished" : "open"), a);
  return o;
}

}  // namespace

std::vector<std::string> BuiltinDiffProfileNames() { return {"default", "strict"}; }

Result<DiffProfile> ResolveDiffProfile(const std::string& name_or_file) {
  if (auto p = BuiltinProfile(name_or_file)) return *p;
  if (name_or_file.find('/') == std::string::npos && name_or_file.find('.') == std::string::npos) {
    return Status::InvalidArgument("--profile " + name_or_file + ": not a built-in profile (default, strict) and not a file path");
  }
  auto text = ReadFile(name_or_file);
  if (!text.ok()) return text.status().WithContext("--profile");
  auto doc = json::Parse(*text);
  if (!doc.ok()) return doc.status().WithContext(name_or_file);
  const rapidjson::Value& d = *doc;
  if (!d.IsObject()) return ProfileError(name_or_file, "/", "an object {\"name\", \"extends\"?, \"ignore\"}");
  for (const auto& m : d.GetObject()) {
    std::string_view name(m.name.GetString(), m.name.GetStringLength());
    if (name != "name" && name != "extends" && name != "ignore") {
      return ProfileError(name_or_file, "/" + json::EscapePointerSegment(name), "only name, extends and ignore");
    }
  }
  DiffProfile p;
  const auto* name = json::GetMember(d, "name");
  if (name == nullptr || !name->IsString() || name->GetStringLength() == 0) return ProfileError(name_or_file, "/name", "a non-empty string");
  p.name = name->GetString();
  p.source = name_or_file;
  if (const auto* extends = json::GetMember(d, "extends")) {
    auto base = extends->IsString() ? BuiltinProfile(extends->GetString()) : std::nullopt;
    if (!base) return ProfileError(name_or_file, "/extends", "a built-in profile name (default, strict)");
    p.ignore = base->ignore;
  }
  const auto* ignore = json::GetMember(d, "ignore");
  if (ignore == nullptr || !ignore->IsArray()) return ProfileError(name_or_file, "/ignore", "an array of member names and JSON pointers");
  for (rapidjson::SizeType i = 0; i < ignore->Size(); ++i) {
    const auto& e = (*ignore)[i];
    if (!e.IsString() || e.GetStringLength() == 0) {
      return ProfileError(name_or_file, "/ignore/" + std::to_string(i), "a non-empty string (a member name, or a JSON pointer starting with /)");
    }
    p.ignore.emplace_back(e.GetString(), e.GetStringLength());
  }
  return p;
}

Result<rapidjson::Document> DiffRuns(Store& store, const std::string& run_a, const std::string& run_b,
                                     const DiffProfile& profile) {
  auto ra = LoadRun(store, run_a);
  if (!ra.ok()) return ra.status();
  auto rb = LoadRun(store, run_b);
  if (!rb.ok()) return rb.status();
  const RunView &A = *ra, &B = *rb;
  std::vector<IgnoreRule> rules = CompileIgnores(profile);
  ValueDiff diff(rules);

  rapidjson::Document out(rapidjson::kObjectType);
  auto& a = out.GetAllocator();
  out.AddMember("schema_version", "oep.run_diff.v0", a);
  rapidjson::Value prof(rapidjson::kObjectType);
  prof.AddMember("name", Str(profile.name, a), a);
  prof.AddMember("source", Str(profile.source, a), a);
  rapidjson::Value ignore(rapidjson::kArrayType);
  for (const auto& i : profile.ignore) ignore.PushBack(Str(i, a), a);
  prof.AddMember("ignore", ignore, a);
  out.AddMember("profile", prof, a);
  rapidjson::Value runs(rapidjson::kObjectType);
  runs.AddMember("a", RunJson(A, a), a);
  runs.AddMember("b", RunJson(B, a), a);
  out.AddMember("runs", runs, a);

  rapidjson::Value summary(rapidjson::kObjectType);
  int64_t total = 0;
  auto category = [&](const char* name, rapidjson::Document da, rapidjson::Document db) {
    std::vector<Change> changes = diff.Compare(&da, &db);
    int64_t n = Counted(changes);
    total += n;
    summary.AddMember(rapidjson::StringRef(name), n, a);
    out.AddMember(rapidjson::StringRef(name), ChangesJson(changes, a), a);
  };
  category("prompt_stack", PromptDoc(A), PromptDoc(B));
  category("model", ModelDoc(A), ModelDoc(B));

  // Tool calls and policy decisions, over the aligned steps.
  bool positional = false;
  std::vector<Aligned> aligned = Align(A.steps, B.steps, &positional);
  // A deleted step and an inserted one with the same key and the same content moved.
  std::unordered_map<std::string, std::vector<size_t>> inserted_by_content;
  std::vector<std::string> normalized_b(B.steps.size());
  auto content = [&](const Step& s) {
    rapidjson::Document p = PacketCallDoc(s);
    return s.Key() + "\n" + diff.Normalized(s.event) + "\n" + (p.IsNull() ? "" : diff.Normalized(p));
  };
  for (size_t k = 0; k < aligned.size(); ++k) {
    if (!aligned[k].a && aligned[k].b) inserted_by_content[content(B.steps[*aligned[k].b])].push_back(k);
  }
  for (auto& [key, list] : inserted_by_content) std::reverse(list.begin(), list.end());  // pop_back takes the first
  std::vector<std::optional<size_t>> moved_to(aligned.size());
  std::vector<bool> moved_from(aligned.size(), false);
  for (size_t k = 0; k < aligned.size(); ++k) {
    if (!aligned[k].a || aligned[k].b) continue;
    auto it = inserted_by_content.find(content(A.steps[*aligned[k].a]));
    if (it == inserted_by_content.end() || it->second.empty()) continue;
    moved_to[k] = it->second.back();
    moved_from[it->second.back()] = true;
    it->second.pop_back();
  }
  rapidjson::Value steps(rapidjson::kArrayType), decisions(rapidjson::kArrayType);
  int64_t same = 0, changed = 0, inserted = 0, deleted = 0, moved = 0;
  auto compare_decisions = [&](const Step& x, const Step& y) {
    rapidjson::Value dx = DecisionJson(x, a), dy = DecisionJson(y, a);
    std::vector<std::string> fields;
    for (const char* f : {"allow", "matched_rule", "reason", "decision_code"}) {
      const rapidjson::Value* vx = dx.IsObject() ? &dx[f] : nullptr;
      const rapidjson::Value* vy = dy.IsObject() ? &dy[f] : nullptr;
      std::string tx = vx ? json::CanonicalText(*vx) : "absent", ty = vy ? json::CanonicalText(*vy) : "absent";
      if (tx != ty && !diff.Compare(vx, vy, std::vector<std::string>{f}).empty()) fields.emplace_back(f);
    }
    if (dx.IsNull() != dy.IsNull() && fields.empty()) fields.emplace_back("decision");
    if (fields.empty()) return;
    rapidjson::Value o(rapidjson::kObjectType);
    AddStepRef(o, "a", &x, a);
    AddStepRef(o, "b", &y, a);
    o.AddMember("call", Str(x.Label(), a), a);
    o.AddMember("a", dx, a);
    o.AddMember("b", dy, a);
    rapidjson::Value list(rapidjson::kArrayType);
    for (const auto& f : fields) list.PushBack(Str(f, a), a);
    o.AddMember("changed", list, a);
    decisions.PushBack(o, a);
  };
  for (size_t k = 0; k < aligned.size(); ++k) {
    const Step* x = aligned[k].a ? &A.steps[*aligned[k].a] : nullptr;
    const Step* y = aligned[k].b ? &B.steps[*aligned[k].b] : nullptr;
    if (moved_from[k]) continue;  // reported with the deleted step it matches
    rapidjson::Value o(rapidjson::kObjectType);
    if (x && y) {
      std::vector<Change> changes = StepChanges(diff, *x, *y);
      compare_decisions(*x, *y);
      if (Counted(changes) == 0) {
        ++same;
        if (changes.empty()) continue;  // only "same (redacted)" entries are shown
        o.AddMember("op", "same", a);
      } else {
        ++changed;
        o.AddMember("op", "changed", a);
      }
      AddStepRef(o, "a", x, a);
      AddStepRef(o, "b", y, a);
      o.AddMember("call", Str(x->Label(), a), a);
      o.AddMember("changes", ChangesJson(changes, a), a);
    } else if (x && moved_to[k]) {
      ++moved;
      y = &B.steps[*aligned[*moved_to[k]].b];
      compare_decisions(*x, *y);
      o.AddMember("op", "moved", a);
      AddStepRef(o, "a", x, a);
      AddStepRef(o, "b", y, a);
      o.AddMember("call", Str(x->Label(), a), a);
    } else {
      ++(x ? deleted : inserted);
      o.AddMember("op", rapidjson::StringRef(x ? "deleted" : "inserted"), a);
      AddStepRef(o, "a", x, a);
      AddStepRef(o, "b", y, a);
      o.AddMember("call", Str((x ? x : y)->Label(), a), a);
    }
    steps.PushBack(o, a);
  }
  rapidjson::Value calls(rapidjson::kObjectType);
  calls.AddMember("alignment", rapidjson::StringRef(positional ? "positional" : "lcs"), a);
  calls.AddMember("same", same, a);
  calls.AddMember("changed", changed, a);
  calls.AddMember("inserted", inserted, a);
  calls.AddMember("deleted", deleted, a);
  calls.AddMember("moved", moved, a);
  calls.AddMember("steps", steps, a);
  int64_t call_changes = changed + inserted + deleted + moved;
  total += call_changes;
  summary.AddMember("tool_calls", call_changes, a);
  out.AddMember("tool_calls", calls, a);
  int64_t decision_changes = decisions.Size();
  total += decision_changes;
  summary.AddMember("policy_decisions", decision_changes, a);
  out.AddMember("policy_decisions", decisions, a);

  category("metadata", MetadataDoc(A), MetadataDoc(B));
  {
    rapidjson::Document ca = CostDoc(A), cb = CostDoc(B);
    std::vector<Change> changes = diff.Compare(&ca, &cb);
    int64_t n = Counted(changes);
    total += n;
    summary.AddMember("cost_duration", n, a);
    rapidjson::Value cost(rapidjson::kObjectType), va, vb;
    va.CopyFrom(ca, a);
    vb.CopyFrom(cb, a);
    cost.AddMember("a", va, a);
    cost.AddMember("b", vb, a);
    cost.AddMember("changes", ChangesJson(changes, a), a);
    out.AddMember("cost_duration", cost, a);
  }
  summary.AddMember("total", total, a);
  out.AddMember("identical", total == 0, a);
  out.AddMember("summary", summary, a);
  return out;
}

}  // namespace oep
