#include "verify/verify.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "crypto/sha256.h"
#include "demo/demo.h"
#include "ingest/ingest.h"
#include "json/json.h"
#include "replay/counterfactual.h"
#include "frames/frames.h"
#include "replay/replay.h"
#include "schema/validator.h"
#include "util/content_digest.h"
#include "util/files.h"
#include "verify/chain_verify.h"
#include "verify/els_verify.h"

namespace oep {
namespace {

using rapidjson::Value;

// Collects failures; keeps the first few for the report line.
class Problems {
 public:
  void Add(std::string p) {
    if (count_++ < 3) first_.push_back(std::move(p));
  }
  CheckResult Result(const std::string& name, const std::string& ok_detail) const {
    if (count_ == 0) return {name, true, ok_detail};
    std::string detail = std::to_string(count_) + " problem(s): ";
    for (size_t i = 0; i < first_.size(); ++i) detail += (i ? "; " : "") + first_[i];
    return {name, false, detail};
  }

 private:
  int count_ = 0;
  std::vector<std::string> first_;
};

std::set<std::string> Ids(Store& store, ArtifactKind kind) {
  std::set<std::string> ids;
  (void)store.ForEach(kind, [&](const StoredArtifact& a) {
    ids.insert(a.id);
    return Status::Ok();
  });
  return ids;
}

// The ids of the scoped tenant's runs (posted to oep serve or imported); a listing that
// fails is added to `problems`.
std::set<std::string> RunIds(Store& store, Problems& problems) {
  std::set<std::string> ids;
  std::optional<RunCursor> after;
  while (true) {
    auto runs = store.ListRuns(RunFilter{}, after, 500);
    if (!runs.ok()) {
      problems.Add("cannot list the runs: " + runs.status().message());
      return ids;
    }
    for (const auto& r : *runs) ids.insert(r.run.run_id);
    if (runs->size() < 500) return ids;
    after = RunCursor{runs->back().run.created_at, runs->back().run.run_id};
  }
}

// Ids of `table`'s rows that retention deleted (format 7).
std::set<std::string> TombstonedIds(Store& store, std::string_view table) {
  std::set<std::string> ids;
  (void)store.ForEachTombstone(table, [&](const Tombstone& t) {
    ids.insert(t.artifact_id);
    return Status::Ok();
  });
  return ids;
}

}  // namespace

bool VerifyReport::ok() const {
  for (const auto& c : checks) {
    if (!c.ok) return false;
  }
  return true;
}

std::string VerifyReport::Render() const {
  std::string out;
  for (const auto& c : checks) out += (c.ok ? "ok   " : "FAIL ") + c.name + ": " + c.detail + "\n";
  return out;
}

CheckResult CheckJoins(Store& store) {
  Problems problems;
  auto manifests = Ids(store, ArtifactKind::kReleaseManifest);
  auto events = Ids(store, ArtifactKind::kAgentStepEvent);
  auto decisions = Ids(store, ArtifactKind::kPermissionPacket);
  auto traces = Ids(store, ArtifactKind::kOperationalTrace);
  auto runs = RunIds(store, problems);  // a run is the record of its steps' trace id
  std::map<std::string, std::string> policy_digest_by_manifest;
  (void)store.ForEach(ArtifactKind::kReleaseManifest, [&](const StoredArtifact& a) {
    auto doc = json::Parse(a.body);
    if (doc.ok()) {
      if (const Value* d = json::FindDotted(*doc, "layer_bindings.policy.digest"); d && d->IsString()) {
        policy_digest_by_manifest[a.id] = d->GetString();
      }
    }
    return Status::Ok();
  });
  // A reference to a row retention deleted resolves to its tombstone.
  std::map<const std::set<std::string>*, std::set<std::string>> tombstoned = {
      {&events, TombstonedIds(store, "events")}, {&decisions, TombstonedIds(store, "decisions")}};
  int64_t joins = 0, not_recorded = 0, to_tombstones = 0;
  auto need = [&](const std::set<std::string>& set, const std::string& id, const std::string& what) {
    ++joins;
    if (set.count(id)) return;
    if (auto it = tombstoned.find(&set); it != tombstoned.end() && it->second.count(id)) {
      ++to_tombstones;
      return;
    }
    problems.Add(what + " \"" + id + "\" is not stored");
  };
  Status s = store.ForEach(ArtifactKind::kPermissionPacket, [&](const StoredArtifact& a) {
    auto doc = json::Parse(a.body);
    if (!doc.ok()) return Status::Corruption(a.id + ": stored body is not JSON");
    std::string where = "decision " + a.id + ": ";
    std::string manifest = json::GetString(*doc, "release_manifest_id");
    need(manifests, manifest, where + "release manifest");
    std::string event = json::GetString(*doc, "event_id"), trace = json::GetString(*doc, "trace_id");
    if (json::GetMember(*doc, "opa_decision_log") && !events.count(event) && !traces.count(trace)) {
      ++not_recorded;  // an OPA decision log records no agent-step events or traces
    } else {
      need(events, event, where + "event");
      need(traces, trace, where + "trace");
    }
    auto it = policy_digest_by_manifest.find(manifest);
    std::string bundle = json::GetString(*doc, "policy_bundle_version");
    ++joins;
    if (it != policy_digest_by_manifest.end() && it->second != bundle) {
      problems.Add(where + "policy bundle " + bundle + " is not the manifest's policy " + it->second);
    }
    return Status::Ok();
  });
  if (s.ok()) s = store.ForEach(ArtifactKind::kAgentStepEvent, [&](const StoredArtifact& a) {
    auto doc = json::Parse(a.body);
    if (!doc.ok()) return Status::Corruption(a.id + ": stored body is not JSON");
    std::string where = "event " + a.id + ": ";
    need(manifests, json::GetString(*doc, "release_manifest_id"), where + "release manifest");
    std::string trace = json::GetString(*doc, "trace_id");
    if (runs.count(trace)) ++joins;
    else need(traces, trace, where + "trace");
    std::string packet = json::GetString(*doc, "permission_packet_ref");
    if (!packet.empty()) need(decisions, packet, where + "permission packet");
    return Status::Ok();
  });
  if (s.ok()) s = store.ForEach(ArtifactKind::kOperationalTrace, [&](const StoredArtifact& a) {
    auto doc = json::Parse(a.body);
    if (!doc.ok()) return Status::Corruption(a.id + ": stored body is not JSON");
    std::string where = "trace " + a.id + ": ";
    need(manifests, json::GetString(*doc, "release_manifest_id"), where + "release manifest");
    if (const Value* spans = json::GetMember(*doc, "spans"); spans && spans->IsArray()) {
      for (const auto& span : spans->GetArray()) {
        std::string ev = json::GetString(span, "event_id"), pk = json::GetString(span, "permission_packet_id");
        if (!ev.empty()) need(events, ev, where + "span event");
        if (!pk.empty()) need(decisions, pk, where + "span permission packet");
      }
    }
    return Status::Ok();
  });
  if (s.ok()) s = store.ForEach(ArtifactKind::kEvalResult, [&](const StoredArtifact& a) {
    auto doc = json::Parse(a.body);
    if (!doc.ok()) return Status::Corruption(a.id + ": stored body is not JSON");
    need(traces, json::GetString(*doc, "trace_id"), "eval " + a.id + ": trace");
    return Status::Ok();
  });
  if (s.ok()) s = store.ForEach(ArtifactKind::kHumanReviewEvent, [&](const StoredArtifact& a) {
    auto doc = json::Parse(a.body);
    if (!doc.ok()) return Status::Corruption(a.id + ": stored body is not JSON");
    const Value* ev = json::FindDotted(*doc, "reviewed_decision_ref.event_id");
    need(events, ev && ev->IsString() ? ev->GetString() : "", "review " + a.id + ": reviewed event");
    return Status::Ok();
  });
  if (s.ok()) s = store.ForEach(ArtifactKind::kReconstructionPacket, [&](const StoredArtifact& a) {
    auto doc = json::Parse(a.body);
    if (!doc.ok()) return Status::Corruption(a.id + ": stored body is not JSON");
    std::string where = "reconstruction " + a.id + ": ";
    need(events, json::GetString(*doc, "event_id"), where + "event");
    need(decisions, json::GetString(*doc, "permission_packet_id"), where + "permission packet");
    need(traces, json::GetString(*doc, "trace_id"), where + "trace");
    return Status::Ok();
  });
  if (!s.ok()) problems.Add(s.message());
  return problems.Result("joins", std::to_string(joins) + " references resolve across " +
                                      std::to_string(decisions.size()) + " decisions, " +
                                      std::to_string(events.size()) + " events, " + std::to_string(traces.size()) +
                                      " traces" +
                                      (not_recorded ? "; " + std::to_string(not_recorded) +
                                                          " decisions imported from OPA decision logs record no event or trace"
                                                    : "") +
                                      (to_tombstones ? "; " + std::to_string(to_tombstones) +
                                                           " to rows deleted by retention (tombstoned)"
                                                     : ""));
}

CheckResult CheckManifestDigests(Store& store, const std::string& root) {
  Problems problems;
  int bindings = 0, unfiled = 0;
  Status s = store.ForEach(ArtifactKind::kReleaseManifest, [&](const StoredArtifact& a) {
    auto doc = json::Parse(a.body);
    if (!doc.ok()) return Status::Corruption(a.id + ": stored body is not JSON");
    const Value* layers = json::GetMember(*doc, "layer_bindings");
    if (layers == nullptr || !layers->IsObject()) return Status::Ok();
    for (const auto& m : layers->GetObject()) {
      std::string uri = json::GetString(m.value, "uri"), want = json::GetString(m.value, "digest");
      // Not recorded, or declared from a decision log's bundle revisions (no file to hash;
      // the joins check compares it with the packets' policy_bundle_version).
      if (json::GetString(m.value, "binding_status") == "not_recorded" || uri.rfind("opa-decision-log:", 0) == 0) {
        ++unfiled;
        continue;
      }
      ++bindings;
      auto got = ContentDigest(root + "/" + uri);
      std::string where = "manifest " + a.id + " layer " + m.name.GetString() + " (" + uri + ")";
      if (!got.ok()) problems.Add(where + ": " + got.status().message());
      else if (*got != want) problems.Add(where + ": digest " + *got + ", manifest says " + want);
    }
    return Status::Ok();
  });
  if (!s.ok()) problems.Add(s.message());
  return problems.Result("manifest digests", std::to_string(bindings) + " layer bindings match the files they name" +
                                                (unfiled ? "; " + std::to_string(unfiled) + " not recorded or declared without a file" : ""));
}

CheckResult CheckReplays(Store& store) {
  Problems problems;
  Validator validator;
  int64_t n = 0;
  Status s = store.ForEach(ArtifactKind::kPermissionPacket, [&](const StoredArtifact& a) {
    ++n;
    auto record = ReplayDecision(store, a.id);
    if (!record.ok()) {
      problems.Add(a.id + ": " + record.status().message());
      return Status::Ok();
    }
    Status valid = validator.ValidateWith(kReplaySchemaPath, *record);
    if (!valid.ok()) problems.Add(a.id + ": replay record " + valid.message());
    const Value* issues = json::GetMember(*record, "join_issues");
    if (issues && issues->IsArray() && !issues->Empty()) problems.Add(a.id + ": " + (*issues)[0].GetString());
    return Status::Ok();
  });
  if (!s.ok()) problems.Add(s.message());
  return problems.Result("replay", std::to_string(n) + " decisions replay with complete joins and a valid record");
}

CheckResult CheckExamples(const std::string& root) {
  Problems problems;
  Validator validator;
  int n = 0;
  auto files = ExpandPaths(DemoArtifactDirs(root));
  if (!files.ok()) return {"examples", false, files.status().message()};
  for (const auto& f : *files) {
    ++n;
    auto text = ReadFile(f);
    if (!text.ok()) { problems.Add(text.status().message()); continue; }
    auto doc = json::Parse(*text);
    if (!doc.ok()) { problems.Add(f + ": " + doc.status().message()); continue; }
    auto record = BuildRecord(*doc, f, "", validator);
    if (!record.ok()) problems.Add(f + ": " + record.status().message());
  }
  return problems.Result("examples", std::to_string(n) + " example artifacts validate against their schemas");
}

Result<std::string> DumpDigest(Store& store) {
  crypto::Sha256 h;
  OEP_RETURN_IF_ERROR(store.Dump([&](std::string_view line) {
    h.Update(line);
    h.Update("\n");
  }));
  return "sha256:" + h.FinishHex();
}

CheckResult CheckLedger(Store& store) {
  auto chains = VerifyChains(store, TrustedKeys());
  if (!chains.ok()) return {"ledger", false, chains.status().message()};
  if (!chains->chains_ok()) return {"ledger", false, chains->FirstFailure()};
  return {"ledger", true, std::to_string(chains->chains.size()) + " chains, " + std::to_string(chains->entries) +
                              " entries: links, hashes and coverage of " + std::to_string(chains->covered_rows) +
                              " rows recompute" +
                              (chains->tombstoned_rows ? " (" + std::to_string(chains->tombstoned_rows) +
                                                             " tombstoned by retention: their hashes match the ledger)"
                                                       : "")};
}

CheckResult CheckDerivedColumns(Store& store) {
  Problems problems;
  int kinds = 0;
  for (const auto& spec : AllKinds()) {
    ++kinds;
    auto stale = store.RowsWithStaleColumns(spec.kind, 3);
    if (!stale.ok()) {
      problems.Add(stale.status().message());
      continue;
    }
    for (const auto& id : *stale) {
      problems.Add(std::string(spec.table) + "/" + id + ": a join-key column differs from the value in its body");
    }
  }
  return problems.Result("derived columns",
                         "join-key columns of " + std::to_string(kinds) + " kinds equal the values in their bodies");
}

VerifyReport VerifyStore(Store& store, const std::string& root) {
  VerifyReport report;
  report.checks.push_back(CheckJoins(store));
  report.checks.push_back(CheckLedger(store));
  report.checks.push_back(CheckDerivedColumns(store));
  report.checks.push_back(CheckManifestDigests(store, root));
  report.checks.push_back(CheckReplays(store));
  // Imported AgentOps sessions, when the store holds any.
  auto els = CheckStoredEls(store);
  if (!els.ok()) {
    report.checks.push_back({"agentops-els", false, els.status().message()});
  } else if (els->runs > 0) {
    std::string detail = std::to_string(els->runs) + " imported AgentOps sessions, " + std::to_string(els->events) +
                         " ELS events re-verified from their steps" +
                         (els->tombstoned ? ", " + std::to_string(els->tombstoned) + " deleted by retention" : "");
    if (!els->failures.empty()) {
      detail = std::to_string(els->failures.size()) + " failure(s), first: " + els->failures.front();
    } else {
      for (const auto& c : els->classes) detail += "; " + c;
    }
    report.checks.push_back({"agentops-els", els->failures.empty(), detail});
  }
  return report;
}

CheckResult CheckCounterfactualDeterminism(Store& store, const std::string& root) {
  Problems problems;
  Validator validator;
  std::vector<std::string> policies;
  std::error_code ec;
  for (auto& e : std::filesystem::directory_iterator(root + "/permissions/policy/counterfactual", ec)) {
    std::string p = e.path().string();
    if (e.path().extension() == ".rego" && p.find("_test.rego") == std::string::npos) policies.push_back(p);
  }
  std::sort(policies.begin(), policies.end());
  int replays = 0, flips = 0;
  Status s = store.ForEach(ArtifactKind::kPermissionPacket, [&](const StoredArtifact& a) {
    for (const auto& policy : policies) {
      CounterfactualOptions options;
      options.engine.bundle = policy;
      options.replay_timestamp_utc = "2026-01-01T00:00:00Z";
      std::string forms[2][2];
      for (int run = 0; run < 2; ++run) {
        auto record = CounterfactualReplay(store, a.id, options);
        if (!record.ok()) {
          problems.Add(a.id + " under " + policy + ": " + record.status().message());
          return Status::Ok();
        }
        if (run == 0) {
          Status valid = validator.ValidateWith(kCounterfactualSchemaPath, *record);
          if (!valid.ok()) problems.Add(a.id + " under " + policy + ": record " + valid.message());
          const auto* changed = json::FindDotted(*record, "diff.decision_changed");
          flips += changed && changed->IsBool() && changed->GetBool();
        }
        (void)json::Canonicalize(*record, &forms[run][0], 2);
        (void)json::Canonicalize(*record, &forms[run][1], 0);
      }
      ++replays;
      if (forms[0][0] != forms[1][0] || forms[0][1] != forms[1][1]) {
        problems.Add(a.id + " under " + policy + ": two replays differ");
      }
    }
    return Status::Ok();
  });
  if (!s.ok()) problems.Add(s.message());
  if (policies.empty()) problems.Add("no counterfactual policies under permissions/policy/counterfactual");
  return problems.Result("counterfactual determinism",
                         std::to_string(replays) + " counterfactual replays (" + std::to_string(policies.size()) +
                             " policies) are byte-identical twice in JSON and JSONL; " + std::to_string(flips) +
                             " change the decision");
}

// Every stored decision replayed under each surface substitution set (README: Counterfactual
// surfaces) twice: the records validate and are byte-identical.
CheckResult CheckSurfaceDeterminism(Store& store, const std::string& root) {
  Problems problems;
  Validator validator;
  const std::vector<std::pair<std::string, std::vector<std::string>>> sets = {
      {"", {"budget.per_run_cap_usd=0", "model=bedrock:anthropic.claude-opus-4-6"}},
      {"", {"reserve.usd=0", "identity.credential_ttl_s=0", "cache=recorded"}},
      {"", {"cache=fresh", "prompt=prompt@2", "tool_schema=tools@2", "workflow=workflow@2"}},
      {root + "/permissions/policy/counterfactual/budget_per_run_cap.rego", {"budget.per_run_cap_usd=0.005"}}};
  int replays = 0, evaluative = 0;
  Status s = store.ForEach(ArtifactKind::kPermissionPacket, [&](const StoredArtifact& a) {
    for (const auto& [bundle, subs] : sets) {
      CounterfactualOptions options;
      options.engine.bundle = bundle;
      options.substitute = subs;
      options.replay_timestamp_utc = "2026-01-01T00:00:00Z";
      std::string forms[2];
      for (int run = 0; run < 2; ++run) {
        auto record = CounterfactualReplay(store, a.id, options);
        if (!record.ok()) {
          problems.Add(a.id + " under --substitute " + subs[0] + ": " + record.status().message());
          return Status::Ok();
        }
        if (run == 0) {
          Status valid = validator.ValidateWith(kCounterfactualSchemaPath, *record);
          if (!valid.ok()) problems.Add(a.id + " under --substitute " + subs[0] + ": record " + valid.message());
          const auto* cls = json::FindDotted(*record, "replay_metadata.replay_class");
          evaluative += cls && cls->IsString() && std::string(cls->GetString()) == "evaluative";
        }
        (void)json::Canonicalize(*record, &forms[run], 0);
      }
      ++replays;
      if (forms[0] != forms[1]) problems.Add(a.id + " under --substitute " + subs[0] + ": two replays differ");
    }
    return Status::Ok();
  });
  if (!s.ok()) problems.Add(s.message());
  return problems.Result("surface determinism", std::to_string(replays) + " surface replays (" + std::to_string(sets.size()) +
                                                    " substitution sets) are byte-identical twice; " +
                                                    std::to_string(evaluative) + " evaluative");
}

// Every run chain's frames (oep replay run) twice: served, and byte-identical.
CheckResult CheckFrameDeterminism(Store& store) {
  Problems problems;
  std::set<std::string> runs;
  Status s = store.ForEachLedgerEntry("", [&](LedgerEntry& e) {
    if (e.chain_id.rfind("run:", 0) == 0) runs.insert(e.chain_id.substr(4));
    return Status::Ok();
  });
  if (!s.ok()) problems.Add(s.message());
  int64_t frames = 0;
  for (const auto& run : runs) {
    std::string forms[2];
    for (int i = 0; i < 2; ++i) {
      auto report = RunFrames(store, run, TrustedKeys());
      if (!report.ok()) {
        problems.Add(run + ": " + report.status().message());
        break;
      }
      if (!(*report)["served"].GetBool()) problems.Add(run + ": frames not served (the chain does not verify)");
      if (Status valid = Validator().ValidateWith(kRunFramesSchemaPath, *report); !valid.ok()) {
        problems.Add(run + ": frames " + valid.message());
      }
      if (i == 0) frames += (*report)["frames"].Size();
      forms[i] = RenderFramesJsonl(*report) + RenderFramesHuman(*report);
    }
    if (forms[0] != forms[1]) problems.Add(run + ": two frame replays differ");
  }
  if (runs.empty()) problems.Add("no run chains in the store");
  return problems.Result("frame determinism", std::to_string(runs.size()) + " runs replay as " + std::to_string(frames) +
                                                  " frames, byte-identical twice in JSONL and human form");
}

VerifyReport VerifyDemo(const std::string& root, const std::string& scratch_dir) {
  VerifyReport report;
  report.checks.push_back(CheckExamples(root));
  std::string digests[2];
  for (int i = 0; i < 2; ++i) {
    std::string path = scratch_dir + "/demo-" + std::to_string(i + 1) + ".sqlite";
    auto built = BuildDemoStore(root, path);
    if (!built.ok()) {
      report.checks.push_back({"regenerate #" + std::to_string(i + 1), false, built.status().message()});
      return report;
    }
    auto store = Store::Open(path, Store::Mode::kReadOnly);
    if (!store.ok()) {
      report.checks.push_back({"regenerate #" + std::to_string(i + 1), false, store.status().message()});
      return report;
    }
    auto digest = DumpDigest(**store);
    digests[i] = digest.ok() ? *digest : digest.status().message();
    report.checks.push_back({"regenerate #" + std::to_string(i + 1), digest.ok(), built->Summary()});
    if (i == 0) {
      VerifyReport store_checks = VerifyStore(**store, root);
      report.checks.insert(report.checks.end(), store_checks.checks.begin(), store_checks.checks.end());
      report.checks.push_back(CheckCounterfactualDeterminism(**store, root));
      report.checks.push_back(CheckSurfaceDeterminism(**store, root));
      report.checks.push_back(CheckFrameDeterminism(**store));
    }
  }
  bool same = digests[0] == digests[1];
  report.checks.push_back({"deterministic", same,
                           same ? "two regenerations have the same canonical dump " + digests[0]
                                : "canonical dumps differ: " + digests[0] + " vs " + digests[1]});
  return report;
}

}  // namespace oep
